//! Snapshots of what people read (insta): one page per site kind, a generated
//! nginx server config and the shared snippet, a CLI error as the user sees
//! it, and the `--json` build report, each built from a fixture workspace
//! under `tests/fixtures/`. The accepted output is in
//! `tests/testsuite/snapshots/*.snap`; a change of output fails here with a
//! diff to review and accept (README, "Testing").
//!
//! Snapshots hold nothing that differs between machines or runs: the fixtures
//! have fixed dates and no images, temp paths and durations are redacted, and
//! so is the crate version (a release is not a change of output to review).

use crate::harness::SiteTest;

/// `text` with what varies between machines, runs and releases replaced by a
/// placeholder: the workspace's temp path, durations (`in 12 ms`) and the
/// sitegen version.
fn redact(t: &SiteTest, text: &str) -> String {
    let mut text = text.to_string();
    let root = t.root();
    if let Ok(real) = root.canonicalize() {
        text = text.replace(&*real.to_string_lossy(), "[ROOT]");
    }
    text = text.replace(&*root.to_string_lossy(), "[ROOT]");
    let text = text.replace(
        &format!("sitegen {}", env!("CARGO_PKG_VERSION")),
        "sitegen [VERSION]",
    );
    redact_ms(&text)
}

/// `in 12 ms` → `in [N] ms`.
fn redact_ms(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("in ") {
        let (before, after) = rest.split_at(i + 3);
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(" ms") {
            out.push_str("[N]");
            rest = &after[digits..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A `--json` report with its durations replaced by `"[duration]"`, pretty
/// printed with sorted keys.
fn redact_report(t: &SiteTest, json: &str) -> String {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if k == "duration_ms" {
                        assert!(v.is_u64(), "duration_ms is a number: {v}");
                        *v = "[duration]".into();
                    } else {
                        walk(v);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}):\n{json}"));
    walk(&mut v);
    redact(t, &serde_json::to_string_pretty(&v).unwrap())
}

/// Builds every site of a fixture workspace and returns it.
fn built(fixture: &str) -> SiteTest {
    let t = SiteTest::from_dir(fixture);
    t.run(&["build", "--all"]).success();
    t
}

#[test]
fn org_site_member_page() {
    let t = built("org-site");
    let html = t.page("org.example", "members/ana-lima/index.html");
    insta::assert_snapshot!("org_site_member_page", redact(&t, &html));
}

#[test]
fn tour_site_leg_page() {
    let t = built("tour-site");
    let html = t.page("tour.example", "tour/porto/index.html");
    insta::assert_snapshot!("tour_site_leg_page", redact(&t, &html));
}

#[test]
fn provider_site_home_page() {
    let t = built("provider-site");
    let html = t.page("provider.example", "index.html");
    insta::assert_snapshot!("provider_site_home_page", redact(&t, &html));
}

#[test]
fn nginx_server_config_and_shared_snippet() {
    let t = built("org-site");
    let conf = t.read("dist/org.example/nginx/org.example.conf");
    insta::assert_snapshot!("nginx_org_example_conf", redact(&t, &conf));
    let snippet = t.read("dist/org.example/nginx/sitegen-http.conf");
    insta::assert_snapshot!("nginx_sitegen_http_conf", redact(&t, &snippet));
}

/// A typo in site.yaml, as the user sees it: the whole stderr of the failed
/// build, and the same failure in the `--json` report.
#[test]
fn cli_error_for_an_unknown_site_yaml_key() {
    let t = SiteTest::from_dir("org-site");
    t.edit(
        "sites/org.example/site.yaml",
        "  tagline: A two-file collective",
        "  tagine: A two-file collective",
    );
    let run = t.run(&["build", "org.example"]);
    run.failure();
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    insta::assert_snapshot!("cli_error_unknown_site_yaml_key", redact(&t, &run.stderr));

    let run = t.run(&["build", "--all", "--json"]);
    run.failure();
    insta::assert_snapshot!("build_json_report_failed", redact_report(&t, &run.stdout));
    assert!(!t.root().join("dist").exists(), "nothing written");
}

/// What `sitegen build` prints, here with `--out` outside the workspace.
#[test]
fn build_output() {
    let t = SiteTest::from_dir("org-site");
    let out = t.root().join("out");
    let run = t.run(&["build", "--all", "--out", &out.to_string_lossy()]);
    run.success();
    insta::assert_snapshot!("build_output", redact(&t, &run.stdout));
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn build_json_report() {
    let t = SiteTest::from_dir("org-site");
    let run = t.run(&["build", "--all", "--json"]);
    run.success();
    insta::assert_snapshot!("build_json_report", redact_report(&t, &run.stdout));
}
