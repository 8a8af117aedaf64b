//! Deploys with real rsync to local targets, served by a private nginx whose
//! config the deploy itself installs: atomic switches under load, old assets
//! kept, pruning, rollback, held-back sites, a failed nginx check, and rsync
//! killed in the middle of a transfer.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::SiteTest;
use crate::nginx::Server;

const D: &str = "cocotte.maison";

pub(crate) fn current(s: &Server) -> String {
    std::fs::read_link(s.root().join("srv").join(D).join("current"))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

pub(crate) fn releases(s: &Server) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(s.root().join("srv").join(D).join("releases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Changes the brand copy and palette so the next build differs (new HTML, new CSS).
pub(crate) fn change(s: &Server, n: u32) {
    s.t.edit(
        "content/cocotte.maison/_index.md",
        "---\n",
        &format!("---\n# revision {n}\n"),
    );
    let yaml = s.t.read("sites/cocotte.maison/site.yaml");
    let primary = yaml
        .split("primary: \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    s.t.edit(
        "sites/cocotte.maison/site.yaml",
        &primary,
        &format!("#8a32{:02x}", 0x20 + n),
    );
    std::fs::write(
        s.root().join("content/cocotte.maison/revision.md"),
        format!("---\ntitle: Revision {n}\n---\nRevision {n}.\n"),
    )
    .unwrap();
}

fn deploy(s: &Server) -> crate::harness::Run {
    let run = s.t.run(&["deploy", D]);
    if run.status == 0 && run.stdout.contains("reloaded") {
        wait_serving(s, D);
    }
    run
}

/// After a reload: waits until nginx's new workers serve `host` (`nginx -s
/// reload` returns before they do).
pub(crate) fn wait_serving(s: &Server, host: &str) {
    s.wait_listening();
    let c = s.client();
    wait_for(&format!("nginx to serve {host}"), || {
        c.get(s.https_url(host, "/"))
            .send()
            .is_ok_and(|r| r.status() == 200)
    });
}

/// A server whose nginx runs with an empty conf.d: the first deploy installs
/// the site's config and reloads it.
pub(crate) fn live_server() -> Server {
    let mut s = Server::new();
    s.start();
    s
}

pub(crate) fn index_body(s: &Server, c: &reqwest::blocking::Client) -> (u16, Vec<u8>) {
    let r = s.get(c, D, "/");
    (r.status().as_u16(), r.bytes().unwrap().to_vec())
}

#[test]
fn deploys_switch_atomically_under_load_keep_old_assets_prune_and_roll_back() {
    let s = live_server();
    s.t.write(
        "sites/cocotte.maison/site.yaml",
        &s.t.read("sites/cocotte.maison/site.yaml")
            .replace("keep_releases: 5", "keep_releases: 2"),
    );
    s.t.run(&["build", D]).success();
    let run = deploy(&s);
    run.success();
    assert!(
        run.stdout
            .contains("nginx config installed, checked and reloaded"),
        "{}",
        run.stdout
    );
    let c = s.client();
    let first = releases(&s);
    assert_eq!(first.len(), 1);
    assert_eq!(current(&s), format!("releases/{}", first[0]));
    let old = std::fs::read(s.root().join("dist/cocotte.maison/public/index.html")).unwrap();
    assert_eq!(index_body(&s, &c), (200, old.clone()));
    // No webhook host: the release carries nothing for the edge.
    let release = s.root().join("srv").join(D).join(current(&s));
    assert!(!release.join(".sitegen-edge").exists());
    let old_index = String::from_utf8(old.clone()).unwrap();
    let old_css = crate::harness::attr_values(&old_index, "href")
        .into_iter()
        .find(|h| h.ends_with(".css"))
        .unwrap()
        .to_string();

    // Same build again: nothing to ship.
    let run = deploy(&s);
    run.success();
    assert!(
        run.stdout
            .contains("is already live; nginx config unchanged"),
        "{}",
        run.stdout
    );

    // A changed build, deployed while requests keep coming: every response is
    // a whole page of the old or of the new release.
    change(&s, 1);
    s.t.run(&["build", D]).success();
    let new = std::fs::read(s.root().join("dist/cocotte.maison/public/index.html")).unwrap();
    assert_ne!(old, new);
    let stop = Arc::new(AtomicBool::new(false));
    let url = s.https_url(D, "/");
    let hammer = {
        let (stop, c) = (stop.clone(), s.client());
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let r = c.get(&url).send().unwrap();
                seen.push((r.status().as_u16(), r.bytes().unwrap().to_vec()));
            }
            seen
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let run = deploy(&s);
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::Relaxed);
    run.success();
    let seen = hammer.join().unwrap();
    assert!(
        seen.len() > 10,
        "only {} requests during the deploy",
        seen.len()
    );
    let (mut olds, mut news) = (0, 0);
    for (status, body) in &seen {
        assert_eq!(*status, 200);
        if *body == old {
            olds += 1;
        } else if *body == new {
            news += 1;
        } else {
            panic!(
                "a response was neither release: {}",
                String::from_utf8_lossy(body)
            );
        }
    }
    assert!(olds > 0 && news > 0, "old {olds}, new {news}");
    assert_eq!(index_body(&s, &c), (200, new.clone()));
    assert_eq!(s.get(&c, D, "/revision/").status(), 200);

    // The stylesheet of the old release still loads for pages opened before.
    let r = s.get(&c, D, &old_css);
    assert_eq!(r.status(), 200, "{old_css} vanished with the switch");
    // Unchanged files are hard links to the previous release.
    let rel = releases(&s);
    let logo = |r: &str| {
        let dir = s
            .root()
            .join("srv")
            .join(D)
            .join("releases")
            .join(r)
            .join("assets");
        let name = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("logo."))
            .unwrap();
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(name).unwrap())
    };
    assert_eq!(
        logo(&rel[0]),
        logo(&rel[1]),
        "unchanged files are hard-linked"
    );

    // A third release: only two are kept, never the live one.
    change(&s, 2);
    s.t.run(&["build", D]).success();
    std::thread::sleep(Duration::from_millis(1100));
    let run = deploy(&s);
    run.success();
    assert!(
        run.stdout.contains(&format!("pruned: {}", first[0])),
        "{}",
        run.stdout
    );
    let rel = releases(&s);
    assert_eq!(rel.len(), 2);
    assert_eq!(current(&s), format!("releases/{}", rel[1]));

    // Rollback to the previous release, then forward again by name.
    let run = s.t.run(&["rollback", D]);
    run.success();
    assert_eq!(current(&s), format!("releases/{}", rel[0]));
    assert_eq!(index_body(&s, &c), (200, new));
    let run = s.t.run(&["releases", D]);
    assert_eq!(
        marks(&run.stdout),
        [("*", rel[0].as_str()), ("", rel[1].as_str())]
    );
    s.t.run(&["rollback", D, "--to", &rel[1]]).success();
    assert_eq!(current(&s), format!("releases/{}", rel[1]));
    let run = s.t.run(&["rollback", D, "--to", "19990101T000000Z-nope"]);
    run.failure();
    assert!(
        run.stderr.contains("has no release 19990101T000000Z-nope"),
        "{}",
        run.stderr
    );
}

#[test]
fn held_back_unbuilt_and_tampered_bundles_are_not_deployed() {
    let s = Server::new();
    // sansonnet.maison is held back in its site.yaml.
    s.t.run(&["build", "sansonnet.maison"]).success();
    let run = s.t.run(&["deploy", "sansonnet.maison"]);
    run.failure();
    assert!(
        crate::harness::without_frames(&run.stderr).0.starts_with("error: sites/sansonnet.maison/site.yaml:85: deploy.held_back: sansonnet.maison is held back\n  hint: set held_back: false, or pass --force"),
        "{}",
        run.stderr
    );
    assert!(!s.root().join("srv/sansonnet.maison").exists());
    // Not built yet.
    let run = s.t.run(&["deploy", D]);
    run.failure();
    assert!(
        run.stderr
            .starts_with("error: dist/cocotte.maison has no finished build of cocotte.maison"),
        "{}",
        run.stderr
    );
    // A bundle changed after its build.
    s.t.run(&["build", D]).success();
    std::fs::write(
        s.root()
            .join("dist/cocotte.maison/public/a-propos/index.html"),
        "defaced",
    )
    .unwrap();
    let run = s.t.run(&["deploy", D]);
    run.failure();
    assert!(
        run.stderr
            .contains("a-propos/index.html differs from the manifest"),
        "{}",
        run.stderr
    );
    assert!(!s.root().join("srv").join(D).join("current").exists());
}

#[test]
fn dry_run_lists_changes_and_touches_nothing() {
    let s = Server::new();
    s.t.write(
        "sitegen.yaml",
        &s.t.read("sitegen.yaml")
            .replace("  conf_dir:", "  unused_conf_dir:")
            .lines()
            .filter(|l| !l.contains("unused_conf_dir"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    s.t.run(&["build", D]).success();
    deploy(&s).success();
    let before = (current(&s), releases(&s));
    change(&s, 1);
    s.t.run(&["build", D]).success();
    let run = s.t.run(&["deploy", "--dry-run", D]);
    run.success();
    assert!(
        run.stdout.starts_with("dry run for cocotte.maison: "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(" index.html\n") && run.stdout.contains(" revision/index.html\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("sitegen-manifest"));
    assert_eq!((current(&s), releases(&s)), before);
}

#[test]
fn a_failing_nginx_check_keeps_the_old_config_and_the_live_release() {
    let s = live_server();
    s.t.run(&["build", D]).success();
    deploy(&s).success();
    let conf = s.conf_d().join("cocotte.maison.conf");
    let good = std::fs::read(&conf).unwrap();
    let live = current(&s);
    // A certificate that does not exist: nginx -t fails.
    s.t.edit(
        "sites/cocotte.maison/site.yaml",
        "deploy:",
        "tls:\n  certificate: /nonexistent/fullchain.pem\ndeploy:",
    );
    change(&s, 1);
    s.t.run(&["build", D]).success();
    let run = deploy(&s);
    run.failure();
    assert!(
        run.stderr
            .contains("the nginx config check failed; the previous config was kept"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("/nonexistent/fullchain.pem"),
        "nginx's own message is shown: {}",
        run.stderr
    );
    assert_eq!(std::fs::read(&conf).unwrap(), good);
    assert_eq!(current(&s), live);
    let c = s.client();
    assert_eq!(s.get(&c, D, "/").status(), 200);
    assert!(
        s.check().status.success(),
        "the installed config still passes"
    );
}

#[test]
fn killing_rsync_mid_transfer_leaves_current_on_the_old_release() {
    let s = live_server();
    s.t.run(&["build", D]).success();
    deploy(&s).success();
    let live = current(&s);
    let c = s.client();
    let (_, old) = index_body(&s, &c);

    change(&s, 1);
    s.t.run(&["build", D]).success();
    // rsync through a wrapper that slows it down and records its pid.
    let root = s.root();
    let wrapper = root.join("slow-rsync");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho $$ > {0}/rsync.pid\nexec rsync --bwlimit=64 \"$@\"\n",
            root.display()
        ),
    )
    .unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&wrapper).unwrap().permissions(),
        0o755,
    );
    Command::new("chmod")
        .arg("755")
        .arg(&wrapper)
        .status()
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_sitegen"))
        .args(["deploy", D])
        .current_dir(s.t.root())
        .env("SITEGEN_RSYNC", &wrapper)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid_file = root.join("rsync.pid");
    let releases_dir = root.join("srv").join(D).join("releases");
    let deadline = Instant::now() + Duration::from_secs(20);
    let partial_has_files = || {
        std::fs::read_dir(&releases_dir)
            .unwrap()
            .flatten()
            .any(|e| {
                e.file_name().to_string_lossy().ends_with(".partial")
                    && walkdir::WalkDir::new(e.path())
                        .into_iter()
                        .flatten()
                        .any(|f| f.file_type().is_file())
            })
    };
    while !(pid_file.exists() && partial_has_files()) {
        assert!(Instant::now() < deadline, "rsync never started copying");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("rsync failed (killed by a signal)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the live release was not touched"),
        "{stderr}"
    );
    assert_eq!(current(&s), live);
    assert_eq!(index_body(&s, &c), (200, old));
    // The next deploy finishes the job and clears the leftovers.
    deploy(&s).success();
    assert_ne!(current(&s), live);
    assert!(releases(&s).iter().all(|r| !r.ends_with(".partial")));
    assert!(Path::new(&releases_dir).exists());
}

/// Copies what makes `other` deploy to the same target and web server as
/// `s`: sitegen.yaml and the site's site.yaml.
fn same_target(s: &Server, other: &SiteTest) {
    for f in ["sitegen.yaml", "sites/cocotte.maison/site.yaml"] {
        other.write(f, &s.t.read(f));
    }
}

/// A `sitegen` run in the background; stdout and stderr go to files.
struct Bg {
    child: std::process::Child,
    out: PathBuf,
    err: PathBuf,
}

impl Bg {
    fn start(t: &SiteTest, name: &str, args: &[&str], env: &[(&str, &Path)]) -> Bg {
        let dir = t.root().canonicalize().unwrap();
        let (out, err) = (
            dir.join(format!("{name}.stdout")),
            dir.join(format!("{name}.stderr")),
        );
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sitegen"));
        cmd.args(args)
            .current_dir(&dir)
            .env_remove("SITEGEN_LOG")
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Bg {
            child: cmd.spawn().unwrap(),
            out,
            err,
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Waits until it exits or says it is waiting for a lock.
    fn wait_blocked_or_done(&mut self) {
        wait_for("a lock wait or the end", || {
            self.exited() || self.stderr().contains("waiting for the lock")
        });
    }

    fn finish(mut self) -> crate::harness::Run {
        let status = self.child.wait().unwrap();
        crate::harness::Run {
            status: status.code().unwrap_or(-1),
            stdout: std::fs::read_to_string(&self.out).unwrap(),
            stderr: std::fs::read_to_string(&self.err).unwrap(),
        }
    }
}

/// Polls `cond` with a generous deadline (machines are noisy).
#[track_caller]
pub(crate) fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !cond() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A wrapper script that runs `prog` with its arguments (or, with an empty
/// `prog`, its arguments as the command), then, the first
/// time only, stops until the test opens the gate: a deploy held at a known
/// step, with its lock taken.
struct Gate {
    script: PathBuf,
    dir: PathBuf,
}

impl Gate {
    fn new(root: &Path, name: &str, prog: &str) -> Gate {
        let dir = root.join(format!("gate-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        let script = root.join(format!("gate-{name}.sh"));
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n{prog} \"$@\"\nrc=$?\nif mkdir '{d}/reached' 2>/dev/null; then\n  while [ ! -e '{d}/open' ]; do sleep 0.05; done\nfi\nexit $rc\n",
                d = dir.display()
            ),
        )
        .unwrap();
        Command::new("chmod")
            .arg("755")
            .arg(&script)
            .status()
            .unwrap();
        Gate { script, dir }
    }

    /// Waits until `bg` is held at the gate.
    fn wait_reached(&self, bg: &mut Bg) {
        wait_for("the gate", || {
            assert!(!bg.exited(), "ended before the gate: {}", bg.stderr());
            self.dir.join("reached").exists()
        });
    }

    fn open(&self) {
        std::fs::write(self.dir.join("open"), "").unwrap();
    }
}

/// Watches `current` of a site folder from another thread: every time it
/// looks, the link must resolve to a release whose every file (per the
/// manifest it carries) is there. A problem counts only if `current` still
/// points at the same release after the check (not a switch in between).
struct Monitor {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<(usize, Vec<String>)>,
}

fn incomplete(site: &Path, link: &Path) -> Option<String> {
    let release = site.join(link);
    let manifest = match std::fs::read(release.join(".sitegen-manifest.json")) {
        Ok(m) => m,
        Err(e) => return Some(format!("{}: no manifest: {e}", link.display())),
    };
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    for f in manifest["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        if !release.join(path).is_file() {
            return Some(format!("{}: {path} is missing", link.display()));
        }
    }
    None
}

impl Monitor {
    fn start(site: PathBuf) -> Monitor {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let (mut looks, mut problems) = (0, Vec::new());
            while !flag.load(Ordering::Relaxed) {
                if let Ok(link) = std::fs::read_link(site.join("current")) {
                    looks += 1;
                    if let Some(problem) = incomplete(&site, &link) {
                        if std::fs::read_link(site.join("current")).ok() == Some(link) {
                            problems.push(problem);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            (looks, problems)
        });
        Monitor { stop, handle }
    }

    #[track_caller]
    fn assert_always_complete(self) {
        self.stop.store(true, Ordering::Relaxed);
        let (looks, problems) = self.handle.join().unwrap();
        assert!(looks > 0, "the monitor never saw current");
        assert_eq!(problems, Vec::<String>::new(), "current was broken");
    }
}

pub(crate) fn site_dir(s: &Server) -> PathBuf {
    s.root().join("srv").join(D)
}

// Regression: two deploys at once deleted each other's `.partial`.
#[test]
fn two_deploys_at_once_take_turns_under_the_target_lock() {
    let s = live_server();
    s.t.run(&["build", D]).success();
    deploy(&s).success();
    let first = releases(&s);
    let monitor = Monitor::start(site_dir(&s));

    // A second checkout deploying another build of the site to the same target.
    let other = SiteTest::demo();
    same_target(&s, &other);
    other.write(
        "content/cocotte.maison/other.md",
        "---\ntitle: From the other checkout\n---\nOther.\n",
    );
    other.run(&["build", D]).success();
    change(&s, 1);
    s.t.run(&["build", D]).success();

    // The first deploy stops after copying its bundle, lock in hand.
    let gate = Gate::new(&s.root(), "rsync", "rsync");
    let mut slow = Bg::start(
        &s.t,
        "slow",
        &["deploy", D],
        &[("SITEGEN_RSYNC", &gate.script)],
    );
    gate.wait_reached(&mut slow);
    let mut fast = Bg::start(&other, "fast", &["deploy", D], &[]);
    fast.wait_blocked_or_done();
    gate.open();
    let (slow, fast) = (slow.finish(), fast.finish());
    slow.success();
    fast.success();
    let lock = site_dir(&s).join(".deploy.lock");
    assert!(
        fast.stderr.contains(&format!(
            "waiting for the lock {}: another deploy or rollback of {} holds it",
            lock.display(),
            site_dir(&s).display()
        )),
        "{}",
        fast.stderr
    );
    // Both releases are there, in the order they went live.
    let rel = releases(&s);
    assert_eq!(rel.len(), 3, "{rel:?}");
    assert_eq!(rel[0], first[0]);
    assert!(
        slow.stdout.contains(&format!("current → {}", rel[1])),
        "{}",
        slow.stdout
    );
    assert!(
        fast.stdout
            .contains(&format!("current → {} (was {})", rel[2], rel[1])),
        "{}",
        fast.stdout
    );
    assert_eq!(current(&s), format!("releases/{}", rel[2]));
    let c = s.client();
    assert_eq!(s.get(&c, D, "/other/").status(), 200);
    monitor.assert_always_complete();
}

// Regression: a rollback during a deploy's prune left `current` pointing at
// a deleted release (site down).
#[test]
fn a_rollback_during_a_deploy_waits_and_current_never_points_at_a_pruned_release() {
    let s = live_server();
    s.t.edit(
        "sites/cocotte.maison/site.yaml",
        "keep_releases: 5",
        "keep_releases: 2",
    );
    s.t.run(&["build", D]).success();
    deploy(&s).success();
    change(&s, 1);
    s.t.run(&["build", D]).success();
    deploy(&s).success();
    let before = releases(&s);
    assert_eq!(before.len(), 2);
    let monitor = Monitor::start(site_dir(&s));

    // The next deploy changes the nginx config (a new redirect), so it
    // reloads nginx; the reload stops at a gate: `current` already points at
    // the new release, the prune (of the oldest release) has not run yet.
    s.t.edit(
        "sites/cocotte.maison/site.yaml",
        "redirects:\n",
        "redirects:\n  - from: /old-news/\n    to: /actualites/\n",
    );
    change(&s, 2);
    s.t.run(&["build", D]).success();
    let gate = Gate::new(&s.root(), "reload", "");
    s.t.edit(
        "sitegen.yaml",
        "reload_command: [",
        &format!("reload_command: [\"{}\", ", gate.script.display()),
    );
    let mut dep = Bg::start(&s.t, "deploy", &["deploy", D], &[]);
    gate.wait_reached(&mut dep);
    let new = releases(&s).last().unwrap().clone();
    assert_eq!(current(&s), format!("releases/{new}"));

    // A rollback to the release that deploy is about to prune.
    let mut back = Bg::start(&s.t, "rollback", &["rollback", D, "--to", &before[0]], &[]);
    back.wait_blocked_or_done();
    gate.open();
    let (dep, back) = (dep.finish(), back.finish());
    dep.success();
    assert!(
        dep.stdout.contains(&format!("pruned: {}", before[0])),
        "{}",
        dep.stdout
    );
    assert!(
        back.stderr.contains("waiting for the lock"),
        "{}",
        back.stderr
    );
    back.failure();
    assert!(
        back.stderr.ends_with(&format!(
            "error: {} has no release {}\n  hint: `sitegen releases cocotte.maison` lists them\n",
            site_dir(&s).display(),
            before[0]
        )),
        "{}",
        back.stderr
    );
    assert_eq!(current(&s), format!("releases/{new}"));
    assert_eq!(releases(&s), vec![before[1].clone(), new.clone()]);
    let c = s.client();
    assert_eq!(s.get(&c, D, "/revision/").status(), 200);
    monitor.assert_always_complete();

    // Afterwards a rollback goes to the release live before.
    s.t.run(&["rollback", D]).success();
    assert_eq!(current(&s), format!("releases/{}", before[1]));
}

#[test]
fn deploys_of_two_sites_take_turns_installing_into_the_shared_nginx_conf_dir() {
    let s = live_server();
    let other = "adulttherapytour.com";
    s.t.run(&["build", D]).success();
    s.t.run(&["build", other]).success();
    let gate = Gate::new(&s.root(), "reload", "");
    s.t.edit(
        "sitegen.yaml",
        "reload_command: [",
        &format!("reload_command: [\"{}\", ", gate.script.display()),
    );
    let mut first = Bg::start(&s.t, "first", &["deploy", D], &[]);
    gate.wait_reached(&mut first);
    let mut second = Bg::start(&s.t, "second", &["deploy", other], &[]);
    second.wait_blocked_or_done();
    gate.open();
    let (first, second) = (first.finish(), second.finish());
    first.success();
    second.success();
    assert!(
        second.stderr.contains(&format!(
            "waiting for the lock {}: another deploy installing nginx configs holds it",
            s.conf_d().join(".sitegen-deploy.lock").display()
        )),
        "{}",
        second.stderr
    );
    wait_serving(&s, D);
    wait_serving(&s, other);
}

/// Holds `lock` from another process (flock, as a second deploy would)
/// until the returned child's stdin is closed.
pub(crate) fn hold_lock(lock: &Path) -> std::process::Child {
    let mut holder = Command::new("flock")
        .arg(lock)
        .args(["sh", "-c", "echo held; exec cat >/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "held\n");
    holder
}

#[test]
fn a_deploy_gives_up_on_a_held_lock_with_a_clear_message() {
    let s = live_server();
    s.t.run(&["build", D]).success();
    let site = site_dir(&s);
    std::fs::create_dir_all(&site).unwrap();
    let lock = site.join(".deploy.lock");
    // Another process holds the lock until its stdin closes.
    let mut holder = hold_lock(&lock);
    let run =
        s.t.run_env(&["deploy", D], &[("SITEGEN_LOCK_TIMEOUT", "1")]);
    run.failure();
    assert!(
        run.stderr.ends_with(&format!(
            "error: another deploy or rollback of {site} holds the lock {lock}; gave up after 1 s\n  hint: let it finish and try again (SITEGEN_LOCK_TIMEOUT sets the wait in seconds); nothing was changed\n",
            site = site.display(),
            lock = lock.display()
        )),
        "{}",
        run.stderr
    );
    assert!(!site.join("releases").exists());
    let run =
        s.t.run_env(&["rollback", D], &[("SITEGEN_LOCK_TIMEOUT", "1")]);
    run.failure();
    assert!(run.stderr.contains("gave up after 1 s"), "{}", run.stderr);
    // Released: the next deploy goes through at once.
    drop(holder.stdin.take());
    holder.wait().unwrap();
    let run = deploy(&s);
    run.success();
    assert!(!run.stderr.contains("waiting"), "{}", run.stderr);
}

// Regression: a release that failed its nginx check stayed in releases/ and
// became the default rollback target; after two failed deploys and one good
// one, pruning deleted the previously live release.
#[test]
fn failed_deploys_leave_no_release_and_rollback_only_goes_to_releases_that_were_live() {
    let s = live_server();
    s.t.edit(
        "sites/cocotte.maison/site.yaml",
        "keep_releases: 5",
        "keep_releases: 2",
    );
    s.t.run(&["build", D]).success();
    deploy(&s).success();
    let first = releases(&s);
    let c = s.client();
    let (_, first_body) = index_body(&s, &c);

    // Two deploys whose nginx check fails.
    s.t.edit(
        "sites/cocotte.maison/site.yaml",
        "deploy:",
        "tls:\n  certificate: /nonexistent/fullchain.pem\ndeploy:",
    );
    for n in 1..=2 {
        change(&s, n);
        s.t.run(&["build", D]).success();
        let run = deploy(&s);
        run.failure();
        assert!(
            run.stderr.contains("the nginx config check failed"),
            "{}",
            run.stderr
        );
        assert_eq!(releases(&s), first, "a failed release was left behind");
    }
    // Then a good one: the release live before it is kept.
    let yaml = s.t.read("sites/cocotte.maison/site.yaml");
    s.t.write(
        "sites/cocotte.maison/site.yaml",
        &yaml.replace("tls:\n  certificate: /nonexistent/fullchain.pem\n", ""),
    );
    change(&s, 3);
    s.t.run(&["build", D]).success();
    deploy(&s).success();
    let rel = releases(&s);
    assert_eq!(rel.len(), 2, "{rel:?}");
    assert_eq!(rel[0], first[0]);

    // A release that never went live (a deploy killed between its copy and
    // its switch), named to sort between the two.
    let stray = format!("{}0", first[0]);
    let releases_dir = site_dir(&s).join("releases");
    let ok = Command::new("cp")
        .arg("-a")
        .arg(releases_dir.join(&rel[1]))
        .arg(releases_dir.join(&stray))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let run = s.t.run(&["rollback", D]);
    run.success();
    assert_eq!(current(&s), format!("releases/{}", first[0]));
    assert_eq!(index_body(&s, &c), (200, first_body));
    let run = s.t.run(&["rollback", D, "--to", &stray]);
    run.failure();
    assert_eq!(
        run.stderr,
        format!(
            "error: release {stray} on {} was never live; rollback only goes to releases that were live before\n  hint: its deploy did not finish (a failed nginx check or an interrupted deploy); the next deploy removes it\n",
            site_dir(&s).display()
        )
    );
    assert_eq!(current(&s), format!("releases/{}", first[0]));
    let run = s.t.run(&["rollback", D]);
    run.failure();
    assert_eq!(
        run.stderr,
        format!(
            "error: no release older than {} on {} was live before\n  hint: `sitegen releases cocotte.maison` lists them\n",
            first[0],
            site_dir(&s).display()
        )
    );
    s.t.run(&["rollback", D, "--to", &rel[1]]).success();

    // The next deploy removes the stray release and keeps the one live before.
    change(&s, 4);
    s.t.run(&["build", D]).success();
    let run = deploy(&s);
    run.success();
    let now = releases(&s);
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!(now[0], rel[1]);
    assert!(run.stdout.contains(&stray), "{}", run.stdout);
    assert!(!releases_dir.join(&stray).exists());
}

// Regression: deploy shipped the nginx config generated at build time, stale
// after a sitegen.yaml change (e.g. `nginx.cert_dir`).
#[test]
fn a_settings_change_after_the_build_refuses_the_deploy_until_rebuilt() {
    let s = live_server();
    s.t.run(&["build", D]).success();
    // The certificates move after the build.
    let (certs, moved) = (s.root().join("certs"), s.root().join("certs-moved"));
    let ok = Command::new("cp")
        .arg("-a")
        .arg(&certs)
        .arg(&moved)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    s.t.edit(
        "sitegen.yaml",
        &format!("cert_dir: {}\n", certs.display()),
        &format!("cert_dir: {}\n", moved.display()),
    );
    let refused = |file: &str, why: &str| {
        format!(
            "error: dist/cocotte.maison/nginx/{file}: the nginx config in dist/ {why}; rebuild cocotte.maison\n  hint: sitegen.yaml or site.yaml changed since the build (or the file was edited): run `sitegen build cocotte.maison`, then deploy\n"
        )
    };
    for args in [&["deploy", D][..], &["deploy", "--dry-run", D][..]] {
        let run = s.t.run(args);
        run.failure();
        assert_eq!(
            run.stderr,
            refused("cocotte.maison.conf", "was generated with other settings")
        );
    }
    assert!(!site_dir(&s).exists(), "nothing reached the target");
    s.t.run(&["build", D]).success();
    deploy(&s).success();
    let installed = std::fs::read_to_string(s.conf_d().join("cocotte.maison.conf")).unwrap();
    assert!(
        installed.contains(&format!("{}/cocotte.maison/fullchain.pem", moved.display())),
        "{installed}"
    );

    // A site.yaml change (a new alias) after the build.
    s.t.edit(
        "sites/cocotte.maison/site.yaml",
        "aliases:\n",
        "aliases:\n  - cocotte.example\n",
    );
    let run = deploy(&s);
    run.failure();
    assert_eq!(
        run.stderr,
        refused("cocotte.maison.conf", "was generated with other settings")
    );
    s.t.run(&["build", D]).success();
    deploy(&s).success();

    // The shared snippet edited by hand, or missing.
    let snippet = s.root().join("dist/cocotte.maison/nginx/sitegen-http.conf");
    let text = std::fs::read_to_string(&snippet).unwrap();
    std::fs::write(&snippet, format!("{text}gzip on;\n")).unwrap();
    let run = deploy(&s);
    run.failure();
    assert_eq!(
        run.stderr,
        refused("sitegen-http.conf", "was generated with other settings")
    );
    std::fs::remove_file(&snippet).unwrap();
    let run = deploy(&s);
    run.failure();
    assert_eq!(run.stderr, refused("sitegen-http.conf", "is missing"));
}

/// Each line of `sitegen releases` after its header: the live mark (`*` or
/// nothing) and the release.
pub(crate) fn marks(table: &str) -> Vec<(&str, &str)> {
    table
        .lines()
        .skip(1)
        .map(|l| {
            let (mark, rest) = l.split_at(1);
            (mark.trim(), rest.split_whitespace().next().unwrap_or(""))
        })
        .collect()
}

/// The demo workspace with every site deploying to `<root>/srv/<domain>`
/// (sansonnet.maison, held back, to an ssh target in the demo).
pub(crate) fn demo_with_local_targets() -> (SiteTest, PathBuf) {
    let t = SiteTest::demo();
    let root = t.root().canonicalize().unwrap();
    for d in crate::harness::DEMO_DOMAINS {
        let file = format!("sites/{d}/site.yaml");
        let yaml = t.read(&file);
        let line = yaml
            .lines()
            .find(|l| l.trim_start().starts_with("target: "))
            .unwrap();
        t.edit(
            &file,
            line,
            &format!("  target: {}/srv/{d}", root.display()),
        );
    }
    (t, root)
}

/// Every path under `dir`, folders too, sorted.
fn paths_under(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    v.sort();
    v
}

/// Issue 17, item 12: `deploy --dry-run` refused a held-back site without
/// `--force`, created the target's folders (and its lock file) before
/// comparing, and could not be combined with `--all`.
#[test]
fn dry_runs_work_on_held_back_sites_and_for_all_and_create_nothing() {
    let (t, root) = demo_with_local_targets();
    t.run(&["build", "--all"]).success();
    let srv = root.join("srv");

    let run = t.run(&["deploy", "--dry-run", "sansonnet.maison"]);
    run.success();
    let files = run.stdout.lines().skip(1).count();
    assert!(
        run.stdout.starts_with(&format!("dry run for sansonnet.maison (held back: deploying it needs --force): {files} file change(s) against an empty target; nginx config not managed (nginx.conf_dir unset)\n")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(" index.html\n"), "{}", run.stdout);
    assert!(!srv.exists(), "a dry run created {:?}", paths_under(&srv));
    // The deploy itself still needs --force.
    t.run(&["deploy", "sansonnet.maison"]).failure();
    assert!(!srv.exists());

    let run = t.run(&["deploy", "--all", "--dry-run"]);
    run.success();
    for d in [
        "adulttherapytour.com",
        "cocotte.maison",
        "transquinnftw.com",
    ] {
        assert!(
            run.stdout.contains(&format!("dry run for {d}: ")),
            "{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("skipped sansonnet.maison: held back\n"));
    assert!(
        run.stdout.ends_with("3 site(s) would be deployed\n"),
        "{}",
        run.stdout
    );
    assert!(!srv.exists(), "a dry run created {:?}", paths_under(&srv));

    // On a target with a live release: compared with it, nothing changed.
    t.run(&["deploy", D]).success();
    let before = paths_under(&srv);
    let live = current_of(&root, D);
    let run = t.run(&["deploy", "--dry-run", D]);
    run.success();
    assert_eq!(
        run.stdout,
        format!("dry run for {D}: release {live} is already live; nginx config not managed (nginx.conf_dir unset)\n")
    );
    assert_eq!(paths_under(&srv), before);
}

/// The release `current` points at, on a local target under `<root>/srv/`.
fn current_of(root: &Path, domain: &str) -> String {
    std::fs::read_link(root.join("srv").join(domain).join("current"))
        .unwrap()
        .display()
        .to_string()
        .trim_start_matches("releases/")
        .to_string()
}

fn release_dirs(root: &Path, domain: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root.join("srv").join(domain).join("releases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Issue 17, item 11: `deploy --json`, one report for one site or all.
#[test]
fn deploy_json_reports_each_site() {
    let (t, root) = demo_with_local_targets();
    t.run(&["build", "--all"]).success();
    let json = |run: &crate::harness::Run| -> serde_json::Value {
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
    };
    let run = t.run(&["deploy", "--all", "--dry-run", "--json"]);
    run.success();
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let v = json(&run);
    assert_eq!(
        (
            &v["dry_run"],
            &v["would_deploy"],
            &v["skipped"],
            &v["failed"]
        ),
        (&true.into(), &3.into(), &1.into(), &0.into())
    );
    let site = |v: &serde_json::Value, d: &str| {
        v["sites"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["domain"] == d)
            .unwrap()
            .clone()
    };
    let s = site(&v, D);
    assert_eq!(s["status"], "would_deploy");
    assert!(s["previous"].is_null());
    assert!(s["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c.as_str().unwrap().ends_with(" index.html")));
    let s = site(&v, "sansonnet.maison");
    assert_eq!(
        (&s["status"], &s["reason"]),
        (&"skipped".into(), &"held back".into())
    );
    assert!(!root.join("srv").exists());

    let run = t.run(&["deploy", "--all", "--json"]);
    run.success();
    let v = json(&run);
    assert_eq!((&v["deployed"], &v["skipped"]), (&3.into(), &1.into()));
    let s = site(&v, D);
    assert_eq!(s["status"], "deployed");
    assert_eq!(s["release"].as_str().unwrap(), current_of(&root, D));
    assert_eq!(s["nginx"], "not_managed");
    assert!(s.get("changes").is_none(), "{s}");

    let run = t.run(&["deploy", D, "--json"]);
    run.success();
    let v = json(&run);
    assert_eq!(site(&v, D)["status"], "unchanged");
    assert_eq!(v["unchanged"], 1);

    // A failure is in the report, with where and what to do; exit 1.
    let run = t.run(&["deploy", "sansonnet.maison", "--json"]);
    run.failure();
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let v = json(&run);
    let s = site(&v, "sansonnet.maison");
    assert_eq!(s["status"], "failed");
    assert_eq!(
        s["errors"][0],
        serde_json::json!({
            "message": "sansonnet.maison is held back",
            "file": "sites/sansonnet.maison/site.yaml",
            "line": 85,
            "key": "deploy.held_back",
            "hint": "set held_back: false, or pass --force to deploy it anyway"
        })
    );
}

/// Issue 17, item 12: a rebuild whose pages are the same as the live ones
/// (here after an edit to a comment in front matter: other inputs, same
/// output) shipped a second, identical release.
#[test]
fn deploying_the_build_that_is_already_live_makes_no_new_release() {
    let (t, root) = demo_with_local_targets();
    t.run(&["build", D]).success();
    t.run(&["deploy", D]).success();
    let first = release_dirs(&root, D);
    assert_eq!(first.len(), 1);
    let manifest = t.read("dist/cocotte.maison/manifest.json");
    t.edit(
        "content/cocotte.maison/_index.md",
        "---\n",
        "---\n# a comment: no page changes\n",
    );
    t.run(&["build", D]).success();
    assert_ne!(
        t.read("dist/cocotte.maison/manifest.json"),
        manifest,
        "the inputs digest changed"
    );
    let run = t.run(&["deploy", D]);
    run.success();
    assert_eq!(
        run.stdout,
        format!(
            "{D}: release {} is already live; nginx config not managed (nginx.conf_dir unset)\n",
            first[0]
        )
    );
    assert_eq!(release_dirs(&root, D), first);
    // A build with other pages is a new release.
    std::fs::write(
        root.join("content/cocotte.maison/revision.md"),
        "---\ntitle: Revision\n---\nRevision.\n",
    )
    .unwrap();
    t.run(&["build", D]).success();
    t.run(&["deploy", D]).success();
    assert_eq!(release_dirs(&root, D).len(), 2);
}

/// Issue 17, item 12: `releases` showed bare names; `rollback --to` wanted
/// the whole of one.
#[test]
fn releases_show_date_size_and_the_live_one_and_rollback_takes_a_unique_prefix() {
    let (t, root) = demo_with_local_targets();
    t.run(&["build", D]).success();
    t.run(&["deploy", D]).success();
    std::fs::write(
        root.join("content/cocotte.maison/revision.md"),
        "---\ntitle: Revision\n---\nRevision.\n",
    )
    .unwrap();
    t.run(&["build", D]).success();
    t.run(&["deploy", D]).success();
    let rel = release_dirs(&root, D);
    assert_eq!(rel.len(), 2);

    // What the release's manifest says of its pages.
    let size = |r: &str| -> (usize, u64) {
        let m: serde_json::Value = serde_json::from_slice(
            &std::fs::read(
                root.join("srv")
                    .join(D)
                    .join("releases")
                    .join(r)
                    .join(".sitegen-manifest.json"),
            )
            .unwrap(),
        )
        .unwrap();
        let files = m["files"].as_array().unwrap();
        (
            files.len(),
            files.iter().map(|f| f["bytes"].as_u64().unwrap()).sum(),
        )
    };
    let date = |r: &str| {
        format!(
            "{}-{}-{} {}:{}:{}",
            &r[0..4],
            &r[4..6],
            &r[6..8],
            &r[9..11],
            &r[11..13],
            &r[13..15]
        )
    };
    let run = t.run(&["releases", D]);
    run.success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["RELEASE", "DEPLOYED", "(UTC)", "FILES", "SIZE"]
    );
    for (line, r, live) in [(lines[1], &rel[0], false), (lines[2], &rel[1], true)] {
        let (files, bytes) = size(r);
        // KiB below a MiB, MiB from there (the demo site is about 2 MiB).
        let (size, unit) = if bytes < 1 << 20 {
            (bytes as f64 / 1024.0, "KiB")
        } else {
            (bytes as f64 / (1 << 20) as f64, "MiB")
        };
        let size = format!("{size:.1}");
        let when = date(r);
        let mut want = vec![r.as_str(), &when[..10], &when[11..]];
        let files = files.to_string();
        want.extend([files.as_str(), size.as_str(), unit]);
        if live {
            want.insert(0, "*");
            want.push("live");
        }
        assert_eq!(line.split_whitespace().collect::<Vec<_>>(), want, "{line}");
    }
    let run = t.run(&["releases", D, "--json"]);
    run.success();
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["live"], rel[1].as_str());
    let r0 = &v["releases"][0];
    assert_eq!(r0["id"], rel[0].as_str());
    assert_eq!(
        r0["deployed_at"].as_str().unwrap()[..19],
        date(&rel[0]).replace(' ', "T")
    );
    assert_eq!(
        (
            r0["files"].as_u64().unwrap() as usize,
            r0["bytes"].as_u64().unwrap()
        ),
        size(&rel[0])
    );
    assert_eq!(
        (&r0["live"], &r0["was_live"]),
        (&false.into(), &true.into())
    );
    assert_eq!(v["releases"][1]["live"], true);

    // A prefix that starts both is an error naming them; one that starts
    // one release is that release.
    let run = t.run(&["rollback", D, "--to", "2"]);
    run.failure();
    assert_eq!(
        run.stderr,
        format!(
            "error: 2 is ambiguous: 2 releases on {}/srv/{D} start with it: {}, {}\n  hint: give more of the name, up to the whole of one\n",
            root.display(),
            rel[0],
            rel[1]
        )
    );
    assert_eq!(current_of(&root, D), rel[1]);
    let prefix = &rel[0][..19];
    let run = t.run(&["rollback", D, "--to", prefix]);
    run.success();
    assert_eq!(current_of(&root, D), rel[0]);
}
