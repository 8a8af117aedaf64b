//! Deploys with real rsync to local targets, served by a private nginx whose
//! config the deploy itself installs: atomic switches under load, old assets
//! kept, pruning, rollback, held-back sites, a failed nginx check, and rsync
//! killed in the middle of a transfer.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::nginx::Server;

const D: &str = "cocotte.maison";

fn current(s: &Server) -> String {
    std::fs::read_link(s.root().join("srv").join(D).join("current"))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

fn releases(s: &Server) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(s.root().join("srv").join(D).join("releases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Changes the brand copy and palette so the next build differs (new HTML, new CSS).
fn change(s: &Server, n: u32) {
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
        s.wait_listening();
    }
    run
}

/// A server whose nginx runs with an empty conf.d: the first deploy installs
/// the site's config and reloads it.
fn live_server() -> Server {
    let mut s = Server::new();
    s.start();
    s
}

fn index_body(s: &Server, c: &reqwest::blocking::Client) -> (u16, Vec<u8>) {
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
    assert_eq!(run.stdout, format!("* {}\n  {}\n", rel[0], rel[1]));
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
        run.stderr.starts_with("error: sites/sansonnet.maison/site.yaml:31: deploy.held_back: sansonnet.maison is held back\n  hint: set held_back: false, or pass --force"),
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
        s.root().join("dist/cocotte.maison/public/about/index.html"),
        "defaced",
    )
    .unwrap();
    let run = s.t.run(&["deploy", D]);
    run.failure();
    assert!(
        run.stderr
            .contains("about/index.html differs from the manifest"),
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
