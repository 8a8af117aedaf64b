//! The edge (`sitegen edge`): what a release ships for it, and the daemon.

use std::collections::BTreeMap;

use crate::harness::tree;

/// A published build carries what the edge needs to render its pages again:
/// the site's sources as a workspace, the platform data it was built from
/// (public fields only) and the page → records index from the route table.
/// That workspace alone builds the very same pages.
#[test]
fn a_build_ships_sources_data_and_a_dependency_index_that_rebuild_the_same_pages() {
    let (t, api) = crate::platform_api::api_site();
    // Without a webhook host there is no edge: nothing is shipped for it.
    crate::platform_api::build(&t, &["build", "cocotte.maison"]).success();
    assert!(!t.root().join("dist/cocotte.maison/edge").exists());
    let yaml = t.read("sitegen.yaml");
    t.write(
        "sitegen.yaml",
        &format!("{yaml}nginx:\n  hook_host: hooks.example.net\n"),
    );
    crate::platform_api::build(&t, &["build", "cocotte.maison"]).success();
    let edge = t.root().join("dist/cocotte.maison/edge");
    let deps: serde_json::Value =
        serde_json::from_slice(&std::fs::read(edge.join("deps.json")).unwrap()).unwrap();
    assert_eq!(deps["tenant"], "org:cocotte");
    let outputs = &deps["outputs"];
    // Every page shows the members list: the organisation's JSON-LD names them.
    assert_eq!(
        outputs["members/margot-lune/index.html"],
        serde_json::json!(["tenant", "members", "member:prof_c1"])
    );
    assert_eq!(
        outputs["en/members/margot-lune/index.html"],
        serde_json::json!(["tenant", "members", "member:prof_c1"])
    );
    // The home page's templates read no tours: a tour change leaves it be.
    assert_eq!(
        outputs["index.html"],
        serde_json::json!(["tenant", "members"])
    );
    let public = t.output("cocotte.maison");
    let pages: Vec<&String> = public
        .keys()
        .filter(|p| p.starts_with("public/") && p.ends_with(".html"))
        .collect();
    assert_eq!(
        outputs.as_object().unwrap().len(),
        pages.len(),
        "every page is in the index: {pages:?}"
    );
    // What templates read is tracked through what they include: a site's
    // footer that lists the tours makes every page show them.
    let footer = t.read("templates/_base/partials/footer.html");
    t.write(
        "sites/cocotte.maison/templates/partials/footer.html",
        &format!("{footer}{{% for tour in tours %}}{{{{ tour.title }}}}{{% endfor %}}\n"),
    );
    crate::platform_api::build(&t, &["build", "cocotte.maison"]).success();
    let deps: serde_json::Value =
        serde_json::from_slice(&std::fs::read(edge.join("deps.json")).unwrap()).unwrap();
    assert_eq!(
        deps["outputs"]["index.html"],
        serde_json::json!(["tenant", "members", "tours"])
    );
    assert_eq!(
        deps["outputs"]["members/margot-lune/index.html"],
        serde_json::json!(["tenant", "members", "tours", "member:prof_c1"])
    );
    std::fs::remove_file(
        t.root()
            .join("sites/cocotte.maison/templates/partials/footer.html"),
    )
    .unwrap();
    crate::platform_api::build(&t, &["build", "cocotte.maison"]).success();

    let shipped = t.edge_files("cocotte.maison");
    for (path, bytes) in &shipped {
        // Platform records: public fields of shared profiles only, and no
        // avatar (the edge fetches it from the API as a build does). The
        // brand's own images are shipped as its repository holds them (the
        // demo's carry EXIF canaries that only published variants drop).
        let text = String::from_utf8_lossy(bytes);
        if !path.starts_with("workspace/content/") && !path.starts_with("workspace/sites/") {
            assert!(!text.contains("CANARY"), "{path} carries private data");
        }
        assert!(
            !path.contains("draft"),
            "{path}: drafts stay in the repository"
        );
        assert!(!path.contains("/media/"), "{path}: avatars stay on the API");
    }
    let profiles =
        String::from_utf8_lossy(&shipped["workspace/data/platform/cocotte/profiles.json"])
            .into_owned();
    assert!(profiles.contains("Margot Lune"), "{profiles}");
    assert!(!profiles.contains("celine-hidden"), "{profiles}");
    assert!(shipped.contains_key("workspace/templates/_base/base.html"));
    assert!(!shipped
        .keys()
        .any(|p| p.starts_with("workspace/templates/tour-site/")));

    let ws = edge.join("workspace");
    let run = t.run_env(
        &["--root", ws.to_str().unwrap(), "build", "cocotte.maison"],
        &[
            ("SITEGEN_PLATFORM_TOKEN", crate::fake_api::TOKEN),
            ("SITEGEN_PLATFORM_API", &api.url),
        ],
    );
    run.success();
    let again = tree(&ws.join("dist/cocotte.maison/public"));
    let before: BTreeMap<String, Vec<u8>> = public
        .into_iter()
        .filter_map(|(p, b)| Some((p.strip_prefix("public/")?.to_string(), b)))
        .collect();
    let differ = crate::harness::differing(&before, &again);
    assert!(
        differ.is_empty(),
        "the shipped workspace builds other pages: {differ:?}"
    );
}

use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::deploy::{current, wait_for, wait_serving};
use crate::fake_api::{FakeApi, TOKEN};
use crate::nginx::{free_port, Server};

const D: &str = "cocotte.maison";
const SECRET: &str = "edge-test-secret-0123456789";

/// A running `sitegen edge`, killed when dropped.
struct Daemon {
    child: Child,
    port: u16,
    err: std::path::PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    fn start(
        s: &Server,
        api: &FakeApi,
        port: u16,
        reconcile_secs: u64,
        domains: &[&str],
    ) -> Daemon {
        Daemon::start_with(s, api, port, reconcile_secs, domains, &[])
    }

    /// `start` with more arguments before the targets (`--clock …`).
    fn start_with(
        s: &Server,
        api: &FakeApi,
        port: u16,
        reconcile_secs: u64,
        domains: &[&str],
        args: &[&str],
    ) -> Daemon {
        let root = s.root();
        let err = root.join("edge.stderr");
        let child = Command::new(env!("CARGO_BIN_EXE_sitegen"))
            .args(["edge", "--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .args(["--reconcile-secs", &reconcile_secs.to_string()])
            .args(domains.iter().map(|d| root.join("srv").join(d)))
            .env("SITEGEN_EDGE_SECRET", SECRET)
            .env("SITEGEN_PLATFORM_TOKEN", TOKEN)
            .env("SITEGEN_PLATFORM_API", &api.url)
            .env_remove("SITEGEN_LOG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        let d = Daemon { child, port, err };
        wait_for("the edge to answer", || d.health().is_some());
        d
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn health(&self) -> Option<serde_json::Value> {
        let r = reqwest::blocking::get(self.url("/_sitegen/health")).ok()?;
        serde_json::from_slice(&r.bytes().ok()?).ok()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// Sends `body` signed at `ts` with `secret`; the status.
    fn post(&self, body: &str, ts: i64, secret: &str) -> u16 {
        let request = reqwest::blocking::Client::new().post(self.url("/_sitegen/events"));
        signed(request, body, ts, secret)
            .send()
            .unwrap()
            .status()
            .as_u16()
    }
}

/// `request` with `body` and the platform's signature headers for it.
fn signed(
    request: reqwest::blocking::RequestBuilder,
    body: &str,
    ts: i64,
    secret: &str,
) -> reqwest::blocking::RequestBuilder {
    request
        .header("Sitegen-Timestamp", ts.to_string())
        .header(
            "Sitegen-Signature",
            sitegen::edge::events::sign(secret.as_bytes(), ts, body.as_bytes()),
        )
        .body(body.to_string())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn event(id: &str, tenant: &str) -> String {
    format!(r#"{{"id":"{id}","tenant":"{tenant}","type":"member.updated","entity":"prof_c1"}}"#)
}

/// A server whose nginx serves `domains`, deployed from builds that read
/// the fake platform API.
/// nginx also proxies the webhook host `hooks.test` to the daemon's port.
fn deployed_from_api(domains: &[&str]) -> (Server, FakeApi, u16) {
    deployed_from_api_with(domains, |_| {})
}

/// `deployed_from_api`, with `before` changing the workspace first (its
/// root: the platform data the fake API serves is under it).
fn deployed_from_api_with(
    domains: &[&str],
    before: impl FnOnce(&std::path::Path),
) -> (Server, FakeApi, u16) {
    let mut s = Server::new();
    before(s.t.root());
    let api = FakeApi::start(&s.t.root().join("data/platform"));
    let port = free_port();
    let yaml = s.t.read("sitegen.yaml");
    s.t.write(
        "sitegen.yaml",
        &format!("{yaml}  hook_host: hooks.test\n  edge_listen: \"127.0.0.1:{port}\"\nplatform:\n  api_base: {}\n  retries: 0\n  timeout_ms: 2000\n", api.url),
    );
    let certs = s.root().join("certs");
    std::fs::create_dir_all(certs.join("hooks.test")).unwrap();
    std::fs::copy(
        certs.join("self.pem"),
        certs.join("hooks.test/fullchain.pem"),
    )
    .unwrap();
    std::fs::copy(certs.join("self.key"), certs.join("hooks.test/privkey.pem")).unwrap();
    let env = [("SITEGEN_PLATFORM_TOKEN", TOKEN)];
    s.start();
    for d in domains {
        let file = format!("sites/{d}/site.yaml");
        s.t.write(
            &file,
            &s.t.read(&file)
                .replace("held_back: true", "held_back: false"),
        );
        s.t.run_env(&["build", d], &env).success();
        s.t.run_env(&["deploy", d], &env).success();
        wait_serving(&s, d);
    }
    (s, api, port)
}

/// The edge end to end: a member's name changes on the API, one signed
/// event, and nginx serves the new name on the member page, the roster and
/// the home page in a new release; refused requests change nothing.
#[test]
fn a_signed_event_publishes_fresh_pages_and_refused_ones_change_nothing() {
    let (s, api, port) = deployed_from_api(&[D]);
    let edge = Daemon::start(&s, &api, port, 3600, &[D]);
    let c = s.client();
    let page = |path: &str| s.get(&c, D, path).text().unwrap();
    assert!(page("/members/margot-lune/").contains("Margot Lune"));
    // The release carries what the edge needs, where nginx does not serve it.
    let release = s.root().join("srv").join(D).join(current(&s));
    for file in [
        "deps.json",
        "workspace/sites/cocotte.maison/site.yaml",
        "workspace/data/platform/cocotte/profiles.json",
    ] {
        assert!(release.join(".sitegen-edge").join(file).is_file(), "{file}");
    }
    for path in [
        "/.sitegen-edge/deps.json",
        "/.sitegen-edge/workspace/sitegen.yaml",
    ] {
        assert_eq!(s.get(&c, D, path).status(), 404, "{path}");
    }
    // The start-up reconcile finds nothing new: the same release stays live.
    let first = current(&s);
    wait_for("the start-up refresh", || {
        edge.health()
            .is_some_and(|h| h["sites"][0]["refreshes"].as_u64() >= Some(1))
    });
    assert_eq!(current(&s), first, "{}", edge.stderr());

    api.edit("cocotte", "profiles", |v| {
        let text = v.to_string().replace("Margot Lune", "Margot Soleil");
        *v = serde_json::from_str(&text).unwrap();
    });
    // Refused: no effect, whatever they say.
    assert_eq!(
        edge.post(&event("ev_bad", "org:cocotte"), now(), "wrong-secret"),
        401
    );
    assert_eq!(
        edge.post(&event("ev_old", "org:cocotte"), now() - 301, SECRET),
        401
    );
    assert_eq!(
        edge.post(&event("ev_other", "org:sansonnet"), now(), SECRET),
        404
    );
    // Bodies up to 64 KiB are read (new fields are ignored), larger ones not.
    let padded = |n: usize| {
        format!(
            r#"{{"id":"ev_pad{n}","tenant":"org:nobody","type":"t","note":"{}"}}"#,
            "x".repeat(n)
        )
    };
    assert_eq!(edge.post(&padded(60_000), now(), SECRET), 404);
    assert_eq!(edge.post(&padded(70_000), now(), SECRET), 413);
    assert_eq!(edge.post(r#"{"id":"ev_junk"}"#, now(), SECRET), 400);
    let h = edge.health().unwrap();
    assert_eq!(
        h["refused_events"], 3,
        "bad signature, stale, not an event: {h}"
    );
    assert!(
        edge.stderr()
            .contains("edge: event refused (bad signature); 1 refused so far"),
        "{}",
        edge.stderr()
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(current(&s), first, "{}", edge.stderr());
    assert!(page("/members/margot-lune/").contains("Margot Lune"));

    // The accepted one comes the way the platform sends it: through nginx's
    // webhook host, which passes nothing else.
    let hooks = reqwest::blocking::Client::builder()
        .danger_accept_invalid_certs(true)
        .resolve(
            "hooks.test",
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .build()
        .unwrap();
    let url = |path: &str| s.https_url("hooks.test", path);
    assert_eq!(
        hooks.get(url("/_sitegen/events")).send().unwrap().status(),
        403
    );
    assert_eq!(
        hooks.get(url("/_sitegen/health")).send().unwrap().status(),
        404
    );
    let body = event("ev_1", "org:cocotte");
    let r = signed(hooks.post(url("/_sitegen/events")), &body, now(), SECRET)
        .send()
        .unwrap();
    assert_eq!(r.status(), 202);
    wait_for("the new name on the member page", || {
        page("/members/margot-lune/").contains("Margot Soleil")
    });
    assert_ne!(current(&s), first);
    for path in ["/members/", "/", "/en/members/margot-lune/"] {
        let html = page(path);
        assert!(html.contains("Margot Soleil"), "{path}");
        assert!(!html.contains("Margot Lune"), "{path}");
    }
    assert!(page("/sitemap.xml").contains("/members/margot-lune/"));
    // One line per re-render (written once the switch is done).
    wait_for("the re-render's log line", || {
        edge.stderr()
            .contains("edge: cocotte.maison: member.updated prof_c1: ")
    });
    assert_live_equals_a_full_build(&s, &api, D);
    // A replayed id is answered and ignored.
    let live = current(&s);
    assert_eq!(edge.post(&event("ev_1", "org:cocotte"), now(), SECRET), 200);
    let h = edge.health().unwrap();
    assert_eq!(h["sites"][0]["live"], live.trim_start_matches("releases/"));
    assert!(h["sites"][0]["last_error"].is_null(), "{h}");
    assert!(h["sites"][0]["data_age_secs"].as_u64().is_some(), "{h}");

    // nginx guards the webhook host: bodies over 64 KiB never reach the
    // daemon, and a flood gets 429 beyond a burst of 20 at 10 a second.
    let big = hooks
        .post(url("/_sitegen/events"))
        .body("x".repeat(70_000))
        .send()
        .unwrap();
    assert_eq!(big.status(), 413);
    let statuses: Vec<u16> = (0..60)
        .map(|i| {
            hooks
                .post(url("/_sitegen/events"))
                .body(event(&format!("ev_flood{i}"), "org:cocotte"))
                .send()
                .unwrap()
                .status()
                .as_u16()
        })
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 429 || *s == 401),
        "{statuses:?}"
    );
    assert_eq!(current(&s), live, "refused requests publish nothing");
}

/// The live release of `domain`, made by the edge rendering only some
/// pages, is exactly what a whole build of its shipped sources with the
/// API's data gives: every page, gzip twin and image, nothing stale.
fn assert_live_equals_a_full_build(s: &Server, api: &FakeApi, domain: &str) {
    let live = live_of(s, domain);
    let ws = s.root().join(format!("rebuild-{domain}"));
    let _ = std::fs::remove_dir_all(&ws);
    let copied = Command::new("cp")
        .arg("-r")
        .arg(live.join(".sitegen-edge/workspace"))
        .arg(&ws)
        .status()
        .unwrap();
    assert!(copied.success());
    let out = Command::new(env!("CARGO_BIN_EXE_sitegen"))
        .arg("--root")
        .arg(&ws)
        .args(["build", domain])
        .env("SITEGEN_PLATFORM_TOKEN", TOKEN)
        .env("SITEGEN_PLATFORM_API", &api.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let whole = tree(&ws.join("dist").join(domain).join("public"));
    let served: BTreeMap<String, Vec<u8>> = tree(&live)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".sitegen"))
        .collect();
    let differ = crate::harness::differing(&whole, &served);
    assert!(
        differ.is_empty(),
        "the live release differs from a whole build: {differ:?}"
    );
}

/// The live release of `domain`'s target, as `current` names it.
fn live_of(s: &Server, domain: &str) -> std::path::PathBuf {
    let target = s.root().join("srv").join(domain);
    target.join(std::fs::read_link(target.join("current")).unwrap())
}

/// Safety nets and isolation: a change nobody announced is caught by the
/// reconcile loop (a member who stops sharing: their page answers 404 and
/// their name is in no file of the live release); the other tenant's site
/// is never touched; while the API fails, the live pages stay and health
/// says why and how old the data is.
#[test]
fn reconcile_catches_unannounced_changes_tenants_stay_apart_and_api_outages_change_nothing() {
    let other = "sansonnet.maison";
    let (s, api, port) = deployed_from_api(&[D, other]);
    let other_live = live_of(&s, other);
    let other_files = tree(&other_live);
    let edge = Daemon::start(&s, &api, port, 1, &[D, other]);
    let c = s.client();
    assert_eq!(s.get(&c, D, "/members/margot-lune/").status(), 200);
    // After a first refresh the daemon has a build of its own, and renders
    // only what changed from it: the member's departure must still take her
    // page, her name and her portrait with it.
    wait_for("the start-up refresh", || {
        edge.health().is_some_and(|h| {
            h["sites"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["refreshes"].as_u64() >= Some(1))
        })
    });

    // No event: the reconcile loop finds it.
    api.edit("cocotte", "profiles", |v| {
        for p in v["items"].as_array_mut().unwrap() {
            if p["id"] == "prof_c1" {
                p["shared_publicly"] = false.into();
            }
        }
    });
    wait_for("the unshared member's page to go", || {
        s.get(&c, D, "/members/margot-lune/").status() == 404
    });
    let live = live_of(&s, D);
    for (path, bytes) in tree(&live) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("Margot Lune"),
            "{path} still names the member who stopped sharing"
        );
        // Nor her portrait: images are never carried over to the next release.
        assert!(!path.contains("margot-lune"), "{path} is still published");
    }
    assert!(!s.get(&c, D, "/members/").text().unwrap().contains("Margot"));
    assert_live_equals_a_full_build(&s, &api, D);

    // The other tenant's site: same release, same bytes, after many rounds.
    wait_for("more reconcile rounds", || {
        edge.health().is_some_and(|h| {
            h["sites"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["refreshes"].as_u64() >= Some(3))
        })
    });
    assert_eq!(live_of(&s, other), other_live);
    assert!(tree(&other_live) == other_files);

    // The API fails: nothing changes, and health says so.
    api.always(
        "/v1/public/tenants/cocotte/profiles",
        crate::fake_api::Fault::Status(500),
    );
    api.edit("cocotte", "profiles", |v| {
        let text = v.to_string().replace("Jules Marchand", "Jules Marchal");
        *v = serde_json::from_str(&text).unwrap();
    });
    assert_eq!(
        edge.post(&event("ev_down", "org:cocotte"), now(), SECRET),
        202
    );
    wait_for("health to report the failure", || {
        edge.health().is_some_and(|h| {
            h["sites"].as_array().unwrap().iter().any(|x| {
                x["domain"] == D && x["last_error"].as_str().is_some_and(|e| e.contains("500"))
            })
        })
    });
    let h = edge.health().unwrap();
    let site = h["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["domain"] == D)
        .unwrap();
    assert!(site["data_age_secs"].as_u64().is_some(), "{h}");
    assert_eq!(live_of(&s, D), live, "{}", edge.stderr());
    assert!(s
        .get(&c, D, "/members/jules-marchand/")
        .text()
        .unwrap()
        .contains("Jules Marchand"));
    assert!(
        edge.stderr()
            .contains("failed, the live release is untouched"),
        "{}",
        edge.stderr()
    );
    let status = Command::new(env!("CARGO_BIN_EXE_sitegen"))
        .args([
            "edge",
            "status",
            "--listen",
            &format!("127.0.0.1:{}", edge.port),
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&status.stdout);
    assert!(
        !status.status.success(),
        "a failing site fails the status: {out}"
    );
    assert!(
        out.contains("cocotte.maison  org:cocotte  live ") && out.contains("last error: "),
        "{out}"
    );
    assert!(
        out.contains("sansonnet.maison  org:sansonnet  live ") && out.contains("  ok\n"),
        "{out}"
    );
}

/// A deploy while the edge renders wins: the edge publishes only over the
/// release it rendered from, else renders again from the new one, so no
/// release that goes live after the deploy has the old sources.
#[test]
fn a_deploy_during_a_re_render_is_never_reverted() {
    let (s, api, port) = deployed_from_api(&[D]);
    let edge = Daemon::start(&s, &api, port, 3600, &[D]);
    wait_for("the start-up refresh", || {
        edge.health()
            .is_some_and(|h| h["sites"][0]["refreshes"].as_u64() >= Some(1))
    });
    let rename = |from: &str, to: &str| {
        let (from, to) = (from.to_string(), to.to_string());
        api.edit("cocotte", "profiles", move |v| {
            *v = serde_json::from_str(&v.to_string().replace(&from, &to)).unwrap();
        });
    };
    // The edge's next fetch of the profiles takes 1.5 s (under the 2 s timeout).
    rename("Margot Lune", "Margot Soleil");
    api.fault(
        "/v1/public/tenants/cocotte/profiles",
        crate::fake_api::Fault::Delay(std::time::Duration::from_millis(1500)),
    );
    assert_eq!(edge.post(&event("ev_1", "org:cocotte"), now(), SECRET), 202);
    std::thread::sleep(std::time::Duration::from_millis(500));

    // Meanwhile CI deploys new brand copy.
    let yaml = format!("sites/{D}/site.yaml");
    s.t.write(
        &yaml,
        &s.t.read(&yaml).replace(
            "  tagline: Une maison lyonnaise",
            "  tagline: Nouveau slogan. Une maison lyonnaise",
        ),
    );
    let env = [("SITEGEN_PLATFORM_TOKEN", TOKEN)];
    s.t.run_env(&["build", D], &env).success();
    s.t.run_env(&["deploy", D], &env).success();
    let deployed = current(&s).trim_start_matches("releases/").to_string();
    rename("Margot Soleil", "Margot Étoile");
    assert_eq!(edge.post(&event("ev_2", "org:cocotte"), now(), SECRET), 202);

    let c = s.client();
    wait_for("the latest name", || {
        s.get(&c, D, "/members/margot-lune/")
            .text()
            .unwrap()
            .contains("Margot Étoile")
    });
    let target = s.root().join("srv").join(D);
    let history = std::fs::read_to_string(target.join(".live-history")).unwrap();
    let after: Vec<&str> = history.lines().skip_while(|r| *r != deployed).collect();
    assert!(!after.is_empty(), "{history}");
    for release in after {
        let Ok(home) =
            std::fs::read_to_string(target.join("releases").join(release).join("index.html"))
        else {
            continue; // pruned
        };
        assert!(
            home.contains("Nouveau slogan"),
            "{release} went live after the deploy with the old sources"
        );
    }
    assert!(s.get(&c, D, "/").text().unwrap().contains("Nouveau slogan"));
    let log = edge.stderr();
    assert!(!log.contains("failed"), "{log}");
    // Whether the edge met the deploy depends on timing; either way the
    // releases above are checked. Say which it was.
    eprintln!(
        "the edge {} the deploy",
        if log.contains("the live release changed while rendering") {
            "rendered again after"
        } else {
            "did not meet"
        }
    );
}

/// A new tour leg on the API gets its page after one event (the route set
/// changes, not only page contents), in both languages of the tour site.
/// The site is one CI deploys over ssh (`user@host:/srv/…`): the edge, on
/// that host, publishes into the same folder.
#[test]
fn a_new_leg_gets_its_page() {
    let tour = "adulttherapytour.com";
    let (s, api, port) = deployed_from_api(&[tour]);
    let folder = s.root().join("srv").join(tour);
    let shipped = folder
        .join("current/.sitegen-edge/workspace/sites")
        .join(tour)
        .join("site.yaml");
    let yaml = std::fs::read_to_string(&shipped).unwrap();
    let local = format!("target: {}", folder.display());
    assert!(yaml.contains(&local), "{yaml}");
    let over_ssh = format!("target: deploy@web1.example:{}", folder.display());
    std::fs::write(&shipped, yaml.replace(&local, &over_ssh)).unwrap();
    let edge = Daemon::start(&s, &api, port, 3600, &[tour]);
    // The start-up refresh renders every page (the daemon has no build of
    // its own yet); later ones only what changed.
    wait_for("the start-up refresh", || {
        edge.health()
            .is_some_and(|h| h["sites"][0]["refreshes"].as_u64() >= Some(1))
    });
    let c = s.client();
    assert_eq!(s.get(&c, tour, "/tour/vienna/").status(), 404);
    api.edit("ada-marlowe", "tours", |v| {
        let legs = v["items"][0]["legs"].as_array_mut().unwrap();
        legs.push(serde_json::json!({
            "id": "leg_11", "city": "Vienna", "country": "Austria", "venue": "Rabenhof",
            "start_date": "2027-07-02", "end_date": "2027-07-02", "status": "open",
            "booking_url": "https://tickets.example/att/vienna"
        }));
    });
    let body = r#"{"id":"ev_leg","tenant":"person:ada-marlowe","type":"tour.updated","entity":"tour_2027"}"#;
    assert_eq!(edge.post(body, now(), SECRET), 202);
    wait_for("the new leg's page", || {
        s.get(&c, tour, "/tour/vienna/").status() == 200
    });
    assert!(s.get(&c, tour, "/tour/").text().unwrap().contains("Vienna"));
    assert!(s
        .get(&c, tour, "/sitemap.xml")
        .text()
        .unwrap()
        .contains("/tour/vienna/"));
    assert_eq!(s.get(&c, tour, "/fr/tournee/vienna/").status(), 200);
    assert_live_equals_a_full_build(&s, &api, tour);
    // Only the pages deps.json says show the changed records rendered again:
    // those showing the tours or the new leg, not the other legs' pages.
    let deps: serde_json::Value = serde_json::from_slice(
        &std::fs::read(live_of(&s, tour).join(".sitegen-edge/deps.json")).unwrap(),
    )
    .unwrap();
    let outputs = deps["outputs"].as_object().unwrap();
    let showing = outputs
        .values()
        .filter(|keys| {
            keys.as_array()
                .unwrap()
                .iter()
                .any(|k| k == "tours" || k == "leg:leg_11")
        })
        .count();
    assert!(showing < outputs.len());
    let line = format!("({showing} of {} rendered)", outputs.len());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !edge.stderr().contains(&line) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(edge.stderr().contains(&line), "{line}\n{}", edge.stderr());
}

/// The daemon refuses to listen anywhere but loopback, and to start without
/// a real secret or targets it can serve.
#[test]
fn the_edge_refuses_public_addresses_weak_secrets_and_undeployed_targets() {
    let t = crate::harness::SiteTest::demo();
    let run = |args: &[&str], secret: &str| t.run_env(args, &[("SITEGEN_EDGE_SECRET", secret)]);
    let target = t.root().join("srv/none");
    std::fs::create_dir_all(&target).unwrap();
    let target = target.to_str().unwrap();
    let r = run(&["edge", "--listen", "0.0.0.0:7433", target], SECRET);
    r.failure();
    assert!(
        r.stderr
            .starts_with("error: sitegen edge listens on loopback only, not 0.0.0.0:7433"),
        "{}",
        r.stderr
    );
    let r = run(&["edge", "--listen", "127.0.0.1:0", target], "short");
    r.failure();
    assert!(
        r.stderr
            .contains("SITEGEN_EDGE_SECRET must be set to a shared secret of at least 16 bytes"),
        "{}",
        r.stderr
    );
    let r = run(&["edge", "--listen", "127.0.0.1:0", target], SECRET);
    r.failure();
    assert!(
        r.stderr.contains("current/.sitegen-edge/deps.json"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("set nginx.hook_host in sitegen.yaml, then build and deploy"),
        "{}",
        r.stderr
    );
    let r = run(&["edge", "status", "--listen", "127.0.0.1:1"], SECRET);
    r.failure();
    assert!(
        r.stderr
            .starts_with("error: no sitegen edge answers at 127.0.0.1:1"),
        "{}",
        r.stderr
    );
}

/// Time-driven refresh: a tour leg shows as past from 00:00 UTC the day
/// after its end date, by the clock alone (no event, no data change). The
/// daemon's clock is injected with `--clock` and runs on from there.
/// While the API is down, the clock still moves legs to past, rendered
/// from the data last fetched, and health still reports the failure.
#[test]
fn a_leg_moves_to_past_at_its_end_date_by_the_clock_alone() {
    let tour = "adulttherapytour.com";
    let (s, api, port) = deployed_from_api(&[tour]);
    let c = s.client();
    let page = |path: &str| s.get(&c, tour, path).text().unwrap();
    // Built today (2026): every leg is ahead, the first change is Lisbon's.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            s.root()
                .join("srv")
                .join(tour)
                .join("current/.sitegen-manifest.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["next_change"], "2027-03-07T00:00:00Z");
    assert!(page("/tour/madrid/").contains("Limited"));
    assert!(!page("/tour/").contains("status-past"));

    // Madrid ends on 19 March 2027: past from 2027-03-20T00:00:00Z. The
    // daemon's clock starts 15 s before (time enough to start and take the
    // API down first); Lisbon (6 March) is past already.
    let edge = Daemon::start_with(
        &s,
        &api,
        port,
        3600,
        &[tour],
        &["--clock", "2027-03-19T23:59:45Z"],
    );
    wait_for("Lisbon to show as past", || {
        page("/tour/lisbon/").contains("This date is over")
    });
    // Health says when the pages change next (once the refresh has ended).
    wait_for("health to name Madrid's end", || {
        edge.health()
            .is_some_and(|h| h["sites"][0]["next_change"] == "2027-03-20T00:00:00Z")
    });
    assert!(page("/tour/madrid/").contains("Limited"));
    // The API goes down; the clock still moves Madrid to past.
    api.always(
        "/v1/public/tenants/ada-marlowe/tours",
        crate::fake_api::Fault::Status(500),
    );
    wait_for("Madrid to show as past", || {
        page("/tour/madrid/").contains("This date is over")
    });
    let madrid = page("/tour/madrid/");
    assert!(
        madrid.contains(r#"<span class="badge status-past">Past</span>"#)
            && !madrid.contains("Book a place"),
        "{madrid}"
    );
    let schedule = page("/tour/");
    // Two legs are past: each row and its badge say so.
    assert_eq!(schedule.matches("status-past").count(), 4, "{schedule}");
    let home = page("/");
    assert!(
        !home.contains("/tour/madrid/") && home.contains("/tour/lyon/"),
        "{home}"
    );
    assert!(page("/fr/tournee/madrid/").contains("Passé"));
    wait_for("health to report the API failure and Lyon's end", || {
        edge.health().is_some_and(|h| {
            let site = &h["sites"][0];
            site["next_change"] == "2027-04-04T00:00:00Z"
                && site["last_error"]
                    .as_str()
                    .is_some_and(|e| e.contains("500"))
        })
    });
    assert!(
        edge.stderr()
            .contains("rendered from the live release's data"),
        "{}",
        edge.stderr()
    );
}

/// Every switch of `current` is atomic for visitors: while the edge
/// publishes one release after another, each response nginx gives for a
/// page is a whole page of one release (one name, complete), never a mix,
/// an error or a missing file.
#[test]
fn every_switch_is_atomic_under_a_request_loop() {
    let (s, api, port) = deployed_from_api(&[D]);
    let edge = Daemon::start(&s, &api, port, 3600, &[D]);
    wait_for("the start-up refresh", || {
        edge.health()
            .is_some_and(|h| h["sites"][0]["refreshes"].as_u64() >= Some(1))
    });
    let names: Vec<String> = std::iter::once("Margot Lune".to_string())
        .chain((1..=6).map(|i| format!("Margot Version{i}")))
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let paths = ["/members/margot-lune/", "/members/", "/"];
    let loops: Vec<_> = paths
        .iter()
        .map(|path| {
            let stop = stop.clone();
            let c = s.client();
            let url = s.https_url(D, path);
            std::thread::spawn(move || {
                let mut seen: Vec<(u16, String)> = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = c.get(&url).send().unwrap();
                    let status = r.status().as_u16();
                    seen.push((status, r.text().unwrap()));
                }
                seen
            })
        })
        .collect();
    let c = s.client();
    for (i, pair) in names.windows(2).enumerate() {
        let (from, to) = (pair[0].clone(), pair[1].clone());
        api.edit("cocotte", "profiles", move |v| {
            *v = serde_json::from_str(&v.to_string().replace(&from, &to)).unwrap();
        });
        let id = format!("ev_atomic_{i}");
        assert_eq!(edge.post(&event(&id, "org:cocotte"), now(), SECRET), 202);
        wait_for("the new name", || {
            s.get(&c, D, "/members/margot-lune/")
                .text()
                .unwrap()
                .contains(&pair[1])
        });
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    for (path, handle) in paths.iter().zip(loops) {
        let seen = handle.join().unwrap();
        total += seen.len();
        let mut versions = std::collections::BTreeSet::new();
        for (status, body) in &seen {
            assert_eq!(*status, 200, "{path}: {body}");
            assert!(body.trim_end().ends_with("</html>"), "{path}: a cut page");
            let shown: Vec<&String> = names.iter().filter(|n| body.contains(n.as_str())).collect();
            assert_eq!(shown.len(), 1, "{path} shows {shown:?}");
            versions.insert(shown[0].clone());
        }
        assert!(
            versions.len() >= 2,
            "{path}: the loop saw only {versions:?}"
        );
    }
    eprintln!("{total} responses, each a whole page of one release");
}

/// After a rollback (or a deploy) the edge renders the now-live release's
/// sources again with fresh data, without waiting for an event or the
/// reconcile loop, and never brings back the release it made before.
#[test]
fn a_rollback_is_rendered_again_with_fresh_data_and_kept() {
    let (s, api, port) = deployed_from_api(&[D]);
    let edge = Daemon::start(&s, &api, port, 3600, &[D]);
    wait_for("the start-up refresh", || {
        edge.health()
            .is_some_and(|h| h["sites"][0]["refreshes"].as_u64() >= Some(1))
    });
    let first = current(&s);
    // A second daemon for the same target is refused.
    let second = Command::new(env!("CARGO_BIN_EXE_sitegen"))
        .args(["edge", "--listen", &format!("127.0.0.1:{}", free_port())])
        .arg(s.root().join("srv").join(D))
        .env("SITEGEN_EDGE_SECRET", SECRET)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        !second.status.success() && err.contains("another sitegen edge already serves"),
        "{err}"
    );
    let rename = |from: &str, to: &str| {
        let (from, to) = (from.to_string(), to.to_string());
        api.edit("cocotte", "profiles", move |v| {
            *v = serde_json::from_str(&v.to_string().replace(&from, &to)).unwrap();
        });
    };
    let c = s.client();
    let member = || s.get(&c, D, "/members/margot-lune/").text().unwrap();
    rename("Margot Lune", "Margot Soleil");
    assert_eq!(
        edge.post(&event("ev_r1", "org:cocotte"), now(), SECRET),
        202
    );
    wait_for("the edge's release", || member().contains("Margot Soleil"));
    let edges = current(&s);
    assert_ne!(edges, first);

    // The name changes again, and no event comes; the operator rolls back.
    rename("Margot Soleil", "Margot Étoile");
    let env = [("SITEGEN_PLATFORM_TOKEN", TOKEN)];
    s.t.run_env(&["rollback", D], &env).success();
    wait_for("the rolled-back release rendered again", || {
        member().contains("Margot Étoile")
    });
    let live = current(&s);
    assert!(live != first && live != edges, "{live}");
    wait_for("the refresh's log line", || {
        edge.stderr().contains("a new live release")
    });
}

/// Events of one tenant arriving together are coalesced: a burst of ten
/// distinct events makes fewer refreshes than events, and the last state
/// wins.
#[test]
fn a_burst_of_events_is_coalesced() {
    let (s, api, port) = deployed_from_api(&[D]);
    let edge = Daemon::start(&s, &api, port, 3600, &[D]);
    let refreshes = || {
        edge.health().unwrap()["sites"][0]["refreshes"]
            .as_u64()
            .unwrap()
    };
    wait_for("the start-up refresh", || refreshes() >= 1);
    let before = refreshes();
    api.edit("cocotte", "profiles", |v| {
        *v = serde_json::from_str(&v.to_string().replace("Margot Lune", "Margot Burst")).unwrap();
    });
    let threads: Vec<_> = (0..10)
        .map(|i| {
            let url = edge.url("/_sitegen/events");
            std::thread::spawn(move || {
                let body = event(&format!("ev_burst{i}"), "org:cocotte");
                let request = reqwest::blocking::Client::new().post(url);
                signed(request, &body, now(), SECRET)
                    .send()
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 202);
    }
    let c = s.client();
    wait_for("the new name", || {
        s.get(&c, D, "/members/margot-lune/")
            .text()
            .unwrap()
            .contains("Margot Burst")
    });
    // Let any refresh still queued run, then count.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let made = refreshes() - before;
    assert!((1..10).contains(&made), "{made} refreshes for 10 events");
    eprintln!("10 events, {made} refreshes");
}

/// A daemon killed in the middle of a refresh leaves the live release as
/// it was and its lock free: the next one starts, and its start-up refresh
/// publishes what the killed one did not.
#[test]
fn a_daemon_killed_mid_refresh_changes_nothing_and_the_next_one_catches_up() {
    let (s, api, port) = deployed_from_api(&[D]);
    let mut edge = Daemon::start(&s, &api, port, 3600, &[D]);
    wait_for("the start-up refresh", || {
        edge.health()
            .is_some_and(|h| h["sites"][0]["refreshes"].as_u64() >= Some(1))
    });
    let live = current(&s);
    api.edit("cocotte", "profiles", |v| {
        *v = serde_json::from_str(&v.to_string().replace("Margot Lune", "Margot Phénix")).unwrap();
    });
    api.fault(
        "/v1/public/tenants/cocotte/profiles",
        crate::fake_api::Fault::Delay(std::time::Duration::from_millis(1500)),
    );
    assert_eq!(edge.post(&event("ev_k", "org:cocotte"), now(), SECRET), 202);
    std::thread::sleep(std::time::Duration::from_millis(500));
    edge.child.kill().unwrap();
    edge.child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(current(&s), live);
    let c = s.client();
    assert!(s
        .get(&c, D, "/members/margot-lune/")
        .text()
        .unwrap()
        .contains("Margot Lune"));

    let _next = Daemon::start(&s, &api, port, 3600, &[D]);
    wait_for("the next daemon's start-up refresh", || {
        s.get(&c, D, "/members/margot-lune/")
            .text()
            .unwrap()
            .contains("Margot Phénix")
    });
    assert_live_equals_a_full_build(&s, &api, D);
}

/// Regression (review): the clock's fallback while the API is down must
/// never publish data older than the live release. Here the edge cached a
/// member, lost the API, and CI deployed fresh data in which she stopped
/// sharing: at the clock's instant the edge renders nothing rather than
/// bring her back (it holds no build of CI's release).
#[test]
fn the_clock_fallback_never_brings_back_data_older_than_the_live_release() {
    let tours = r#"{"items":[{"id":"t1","org_id":"org_7f3c2a91","slug":"t","title":"T","legs":[{"id":"l1","city":"Nantes","country":"FR","start_date":"2027-03-19","end_date":"2027-03-19","status":"open"}]}],"next":null}"#;
    let (s, api, port) = deployed_from_api_with(&[D], |root| {
        std::fs::write(root.join("data/platform/cocotte/tours.json"), tours).unwrap();
    });
    let c = s.client();
    let edge = Daemon::start_with(
        &s,
        &api,
        port,
        3600,
        &[D],
        &["--clock", "2027-03-19T23:59:40Z"],
    );
    wait_for("the first refresh", || {
        edge.health()
            .is_some_and(|h| h["sites"][0]["next_change"] == "2027-03-20T00:00:00Z")
    });
    // The edge loses the API; CI, which reaches it, deploys the news.
    api.always(
        "/v1/public/tenants/cocotte/profiles",
        crate::fake_api::Fault::Status(500),
    );
    let ci_api = FakeApi::start(&s.t.root().join("data/platform"));
    ci_api.edit("cocotte", "profiles", |v| {
        for p in v["items"].as_array_mut().unwrap() {
            if p["id"] == "prof_c1" {
                p["shared_publicly"] = false.into();
            }
        }
    });
    let env = [
        ("SITEGEN_PLATFORM_TOKEN", TOKEN),
        ("SITEGEN_PLATFORM_API", ci_api.url.as_str()),
    ];
    s.t.run_env(&["build", D], &env).success();
    s.t.run_env(&["deploy", D], &env).success();
    assert_eq!(s.get(&c, D, "/members/margot-lune/").status(), 404);
    let ci = current(&s);
    wait_for("the clock's refresh to give up", || {
        edge.stderr()
            .contains("the change by the clock waits for the API")
    });
    assert_eq!(current(&s), ci, "{}", edge.stderr());
    assert_eq!(s.get(&c, D, "/members/margot-lune/").status(), 404);
}

/// Regression (review): a removed leg hands its URL to another leg of the
/// same city and day; the page at that URL must be the other leg's now,
/// not the removed one's kept from the last build.
#[test]
fn a_url_handed_to_another_leg_shows_that_leg() {
    let tour = "adulttherapytour.com";
    let (s, api, port) = deployed_from_api(&[tour]);
    api.edit("ada-marlowe", "tours", |v| {
        let legs = v["items"][0]["legs"].as_array_mut().unwrap();
        for (id, date, venue) in [
            ("leg_x1", "2027-08-01", "VENUE-OF-X1"),
            ("leg_x2", "2027-08-01", "VENUE-OF-X2"),
            ("leg_x3", "2027-09-01", "VENUE-OF-X3"),
        ] {
            legs.push(
                serde_json::json!({"id": id, "city": "Graz", "country": "Austria", "venue": venue,
                "start_date": date, "end_date": date, "status": "open"}),
            );
        }
    });
    let edge = Daemon::start(&s, &api, port, 3600, &[tour]);
    let c = s.client();
    wait_for("the legs' pages", || {
        s.get(&c, tour, "/tour/graz-2027-08-01-2/").status() == 200
    });
    assert!(s
        .get(&c, tour, "/tour/graz-2027-08-01/")
        .text()
        .unwrap()
        .contains("VENUE-OF-X1"));
    api.edit("ada-marlowe", "tours", |v| {
        let legs = v["items"][0]["legs"].as_array_mut().unwrap();
        legs.retain(|l| l["id"] != "leg_x1");
    });
    let body = r#"{"id":"ev_rm","tenant":"person:ada-marlowe","type":"tour.updated","entity":"tour_2027"}"#;
    assert_eq!(edge.post(body, now(), SECRET), 202);
    wait_for("leg_x2 at the URL", || {
        s.get(&c, tour, "/tour/graz-2027-08-01/")
            .text()
            .unwrap()
            .contains("VENUE-OF-X2")
    });
    assert_live_equals_a_full_build(&s, &api, tour);
}
