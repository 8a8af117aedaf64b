//! Deploys over ssh for real: Debian's `sshd` on 127.0.0.1 at a free port,
//! with a host key and a client key generated for the test, `SITEGEN_SSH`
//! naming the client command (so rsync must get it as `-e`), and the private
//! nginx of the nginx tests serving what arrives. The "remote" is this
//! machine, logged into as the user running the tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::deploy::{
    change, current, hold_lock, index_body, live_server, releases, wait_for, wait_serving,
};

const D: &str = "cocotte.maison";
const SSHD: &str = "/usr/sbin/sshd";

fn user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A private sshd; killed when dropped.
struct Sshd {
    child: Child,
    dir: PathBuf,
    /// The client command for `SITEGEN_SSH`.
    ssh: String,
}

impl Sshd {
    fn start(root: &Path) -> Sshd {
        // CI installs openssh-server (.ci/run); without it this test fails.
        assert!(
            Path::new(SSHD).is_file(),
            "{SSHD} is missing: install openssh-server"
        );
        let dir = root.join("sshd");
        std::fs::create_dir_all(&dir).unwrap();
        for key in ["host_key", "client_key"] {
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(dir.join(key))
                .status()
                .expect("ssh-keygen")
                .success();
            assert!(ok, "ssh-keygen {key}");
        }
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        // As root, sshd wants its privilege separation folder, which the
        // packaged service creates at start.
        if crate::nginx::is_root() {
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        let port = crate::nginx::free_port();
        let d = dir.display();
        std::fs::write(
            dir.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\nAuthorizedKeysFile {d}/authorized_keys\nAllowUsers {user}\nPermitRootLogin prohibit-password\nPubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\nLogLevel VERBOSE\n",
                user = user()
            ),
        )
        .unwrap();
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(dir.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("sshd.log")).unwrap())
            .spawn()
            .expect("start sshd");
        let ssh = format!(
            "ssh -F /dev/null -i {d}/client_key -p {port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
        );
        let mut sshd = Sshd { child, dir, ssh };
        // Up when a command runs through it.
        wait_for("sshd to accept the test key", || {
            if let Some(status) = sshd.child.try_wait().unwrap() {
                panic!("sshd exited ({status}): {}", sshd.log());
            }
            Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "{} -o BatchMode=yes {}@127.0.0.1 true",
                    sshd.ssh,
                    user()
                ))
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        sshd
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// Regression: SITEGEN_SSH was ignored by rsync (no `-e`), so a deploy to
// user@host:path through a custom ssh command failed.
#[test]
fn deploy_releases_and_rollback_over_ssh_through_sitegen_ssh() {
    let s = live_server();
    let sshd = Sshd::start(&s.root());
    let site = s.root().join("srv").join(D);
    let login = format!("{}@127.0.0.1", user());
    let target = format!("{login}:{}", site.display());
    let yaml = s.t.read("sites/cocotte.maison/site.yaml");
    s.t.write(
        "sites/cocotte.maison/site.yaml",
        &yaml.replace(
            &format!("target: {}", site.display()),
            &format!("target: {target}"),
        ),
    );
    let env = [("SITEGEN_SSH", sshd.ssh.as_str())];
    let run_ssh = |args: &[&str]| {
        let run = s.t.run_env(args, &env);
        if run.status == 0 && run.stdout.contains("reloaded") {
            wait_serving(&s, D);
        }
        run
    };
    let c = s.client();

    // A dry run against the empty target creates nothing there.
    s.t.run(&["build", D]).success();
    let run = run_ssh(&["deploy", "--dry-run", D]);
    run.success();
    assert!(
        run.stdout.contains("against an empty target"),
        "{}",
        run.stdout
    );
    assert!(!site.exists(), "the dry run created {}", site.display());

    // First deploy: the release, the nginx config (installed, checked and
    // reloaded over ssh), the switch.
    let run = run_ssh(&["deploy", D]);
    run.success();
    assert!(
        run.stdout
            .contains("nginx config installed, checked and reloaded"),
        "{}\n{}",
        run.stdout,
        sshd.log()
    );
    let first = releases(&s);
    assert_eq!(first.len(), 1);
    assert_eq!(current(&s), format!("releases/{}", first[0]));
    let old = std::fs::read(s.root().join("dist/cocotte.maison/public/index.html")).unwrap();
    assert_eq!(index_body(&s, &c), (200, old.clone()));

    // The same build again: nothing to ship.
    let run = run_ssh(&["deploy", D]);
    run.success();
    assert!(run.stdout.contains("is already live"), "{}", run.stdout);

    // A changed build: a dry run, then a new release with hard links to the
    // files that did not change.
    change(&s, 1);
    s.t.run(&["build", D]).success();
    let run = run_ssh(&["deploy", "--dry-run", D]);
    run.success();
    assert!(
        run.stdout.contains(" revision/index.html\n"),
        "{}",
        run.stdout
    );
    assert_eq!(releases(&s), first);
    run_ssh(&["deploy", D]).success();
    let rel = releases(&s);
    assert_eq!(rel.len(), 2);
    assert_eq!(current(&s), format!("releases/{}", rel[1]));
    assert_eq!(s.get(&c, D, "/revision/").status(), 200);
    let ino = |r: &str| {
        std::os::unix::fs::MetadataExt::ino(
            &std::fs::metadata(site.join("releases").join(r).join("robots.txt")).unwrap(),
        )
    };
    assert_eq!(
        ino(&rel[0]),
        ino(&rel[1]),
        "unchanged files are hard-linked"
    );

    // Releases and rollback over ssh.
    let run = run_ssh(&["releases", D]);
    run.success();
    assert_eq!(
        crate::deploy::marks(&run.stdout),
        [("", rel[0].as_str()), ("*", rel[1].as_str())]
    );
    assert!(
        run.stdout.lines().nth(2).unwrap().ends_with("iB  live"),
        "{}",
        run.stdout
    );
    let run = run_ssh(&["rollback", D]);
    run.success();
    assert_eq!(
        run.stdout,
        format!("rolled back {D}: current → {} (was {})\n", rel[0], rel[1])
    );
    assert_eq!(current(&s), format!("releases/{}", rel[0]));
    assert_eq!(index_body(&s, &c), (200, old));

    // The lock is taken over ssh too.
    let lock = site.join(".deploy.lock");
    let mut holder = hold_lock(&lock);
    let run = s.t.run_env(
        &["rollback", D],
        &[("SITEGEN_SSH", &sshd.ssh), ("SITEGEN_LOCK_TIMEOUT", "1")],
    );
    run.failure();
    assert!(
        run.stderr.ends_with(&format!(
            "error: another deploy or rollback of {target} holds the lock {} on {login}; gave up after 1 s\n  hint: let it finish and try again (SITEGEN_LOCK_TIMEOUT sets the wait in seconds); nothing was changed\n",
            lock.display()
        )),
        "{}",
        run.stderr
    );
    drop(holder.stdin.take());
    holder.wait().unwrap();
    assert_eq!(current(&s), format!("releases/{}", rel[0]));
}
