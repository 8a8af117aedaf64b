//! The platform API client against a real HTTP server: pagination, guard,
//! privacy, retries, timeouts, auth, ETag revalidation, offline and stale
//! builds, and the token never leaving the request header.

use crate::fake_api::{FakeApi, Fault, TOKEN};
use crate::harness::{Run, SiteTest, DEMO_DOMAINS};
use std::time::Duration;

const TENANT: &str = "/v1/public/tenants/cocotte";
const PROFILES: &str = "/v1/public/tenants/cocotte/profiles";

/// The demo workspace pointed at a fake API, with its snapshots removed so
/// every byte of platform data must come over HTTP.
pub(crate) fn api_site() -> (SiteTest, FakeApi) {
    let t = SiteTest::demo();
    let api = FakeApi::start(&t.root().join("data/platform"));
    std::fs::remove_dir_all(t.root().join("data/platform")).unwrap();
    t.write(
        "sitegen.yaml",
        &format!(
            "output_dir: dist\nplatform:\n  api_base: {}\n  timeout_ms: 1500\n  connect_timeout_ms: 1000\n  retries: 2\n  backoff_ms: 10\n  max_retry_after_secs: 1\n",
            api.url
        ),
    );
    (t, api)
}

pub(crate) fn build(t: &SiteTest, args: &[&str]) -> Run {
    t.run_env(args, &[("SITEGEN_PLATFORM_TOKEN", TOKEN)])
}

pub(crate) fn text_of(files: std::collections::BTreeMap<String, Vec<u8>>) -> String {
    files
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect()
}

#[test]
fn builds_from_the_api_across_pages_with_the_token_and_gzip() {
    let (t, api) = api_site();
    build(&t, &["build", "cocotte.maison"]).success();
    let roster = t.page("cocotte.maison", "members/index.html");
    for name in ["Margot Lune", "Jules Marchand", "Inès Caradec"] {
        assert!(roster.contains(name), "{name} missing");
    }
    // Four profiles at two per page: the client followed the cursor once.
    let pages: Vec<String> = api
        .requests(PROFILES)
        .iter()
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(pages, ["", "cursor=off-2"]);
    for r in api.log() {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(
            r.accept_encoding.as_deref().unwrap_or("").contains("gzip"),
            "gzip is asked for"
        );
    }
}

#[test]
fn unshared_members_and_private_fields_never_reach_dist_or_cache() {
    let (t, _api) = api_site();
    build(&t, &["build", "--all"]).success();
    // Downloaded media is kept as the API served it (an input, like a
    // content photo; its metadata is stripped when published, see assets.rs),
    // so only the response cache is searched here.
    let responses = t
        .files_under(".sitegen")
        .into_iter()
        .filter(|(p, _)| !p.contains("/media/"))
        .collect();
    // The edge folder's records are checked too; its content images are
    // the brand's sources (EXIF canaries of the demo photos), not data.
    let edge = t
        .files_under("dist")
        .into_iter()
        .filter(|(p, _)| p.contains("/edge/") && p.ends_with(".json"))
        .collect();
    let text = text_of(t.dist_published()) + &text_of(responses) + &text_of(edge);
    assert!(
        !t.files_under(".sitegen").is_empty(),
        "responses are cached"
    );
    assert!(
        !text.contains("CANARY"),
        "a private or unshared value reached dist/ or the cache"
    );
    assert!(!text.contains("celine-hidden"));
    assert!(!text.contains(TOKEN), "the token reached a file");
}

#[test]
fn hostile_fields_from_the_api_are_escaped_or_dropped() {
    let (t, api) = api_site();
    api.edit("cocotte", "profiles", |json| {
        json["items"][0]["display_name"] = "Margot \"<img src=x onerror=alert(1)>\"".into();
        json["items"][0]["bio"] = "Hi <iframe src=//evil></iframe> [x](javascript:alert(1))".into();
    });
    build(&t, &["build", "cocotte.maison"]).success();
    let all = text_of(t.output("cocotte.maison"));
    assert!(!all.contains("<img src=x"));
    assert!(!all.contains("<iframe"));
    assert!(!all.contains("javascript:"));
    assert!(t
        .page("cocotte.maison", "members/margot-lune/index.html")
        .contains("Margot &quot;&lt;img src=x onerror=alert(1)&gt;&quot;"));
}

#[test]
fn a_record_of_another_tenant_fails_and_nothing_is_written() {
    let (t, api) = api_site();
    build(&t, &["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    api.edit("cocotte", "profiles", |json| {
        json["items"][3]["org_id"] = "org_b81e44d0".into()
    });
    let run = build(&t, &["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: site cocotte.maison: GET /v1/public/tenants/cocotte/profiles returned profile \"prof_c4\" that is not a member profile of this org; refusing to build\n  hint: the platform returned data of another tenant: nothing was written; report this to the platform team\nerror: build failed: cocotte.maison\n"
    );
    assert!(t.output("cocotte.maison") == before);
}

#[test]
fn a_server_error_is_retried() {
    let (t, api) = api_site();
    api.fault(TENANT, Fault::Status(503));
    let run = build(&t, &["build", "cocotte.maison", "-vv"]);
    run.success();
    assert!(
        run.stderr
            .contains("HTTP 503: scripted: scripted failure; retrying in"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains(TOKEN) && !run.stdout.contains(TOKEN),
        "the token reached the logs"
    );
    let statuses: Vec<u16> = api.requests(TENANT).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 200]);
}

#[test]
fn too_many_requests_honours_retry_after() {
    let (t, api) = api_site();
    api.fault(TENANT, Fault::TooMany(1));
    build(&t, &["build", "cocotte.maison"]).success();
    let reqs = api.requests(TENANT);
    assert_eq!(
        reqs.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 200]
    );
    assert!(
        reqs[1].at - reqs[0].at >= Duration::from_millis(950),
        "waited for Retry-After"
    );
}

#[test]
fn persistent_server_errors_fail_clearly_and_write_nothing() {
    let (t, api) = api_site();
    api.always(PROFILES, Fault::Status(500));
    let run = build(&t, &["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        format!(
            "error: site cocotte.maison: the platform API is unavailable: GET {}{PROFILES}: HTTP 500: scripted: scripted failure (gave up after 3 attempts)\n  hint: nothing was built; retry later, or pass --stale-ok to build from the last cached data\nerror: build failed: cocotte.maison\n",
            api.url
        )
    );
    assert_eq!(api.requests(PROFILES).len(), 3, "one try and two retries");
    assert!(t.output("cocotte.maison").is_empty());
}

#[test]
fn timeouts_are_retried_then_fail() {
    let (t, api) = api_site();
    api.always(TENANT, Fault::Delay(Duration::from_millis(2500)));
    let run = build(&t, &["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.starts_with(&format!("error: site cocotte.maison: the platform API is unavailable: GET {}{TENANT}: timed out (gave up after 3 attempts)", api.url)),
        "{}",
        run.stderr
    );
    assert!(t.output("cocotte.maison").is_empty());
}

#[test]
fn malformed_json_fails_clearly() {
    let (t, api) = api_site();
    api.fault(PROFILES, Fault::Malformed);
    let run = build(&t, &["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.starts_with(&format!("error: site cocotte.maison: GET {}{PROFILES} returned malformed JSON at items[0].id: EOF while parsing a value\n", api.url)),
        "{}",
        run.stderr
    );
    assert!(t.output("cocotte.maison").is_empty());
}

#[test]
fn a_rejected_token_is_not_retried_and_not_printed() {
    let (t, api) = api_site();
    let run = t.run_env(
        &["build", "cocotte.maison"],
        &[("SITEGEN_PLATFORM_TOKEN", "tok_wrong_secret_value")],
    );
    run.failure();
    assert_eq!(
        run.stderr,
        format!(
            "error: site cocotte.maison: the platform API refused the request: GET {}{TENANT}: HTTP 401: unauthorized: missing or invalid bearer token\n  hint: check the token in $SITEGEN_PLATFORM_TOKEN\nerror: build failed: cocotte.maison\n",
            api.url
        )
    );
    assert_eq!(api.requests(TENANT).len(), 1, "4xx is not retried");
    assert!(!run.stderr.contains("tok_wrong_secret_value"));
}

#[test]
fn a_missing_token_is_a_clear_error() {
    let (t, _api) = api_site();
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: site cocotte.maison: $SITEGEN_PLATFORM_TOKEN is not set; the platform API needs a token\n  hint: export SITEGEN_PLATFORM_TOKEN=<token>, or unset SITEGEN_PLATFORM_API / platform.api_base to build from snapshots\nerror: build failed: cocotte.maison\n"
    );
}

#[test]
fn a_per_site_token_variable_is_used() {
    let (t, api) = api_site();
    t.edit(
        "sites/cocotte.maison/site.yaml",
        "  slug: cocotte\n",
        "  slug: cocotte\n  token_env: COCOTTE_API_TOKEN\n",
    );
    t.run_env(
        &["build", "cocotte.maison"],
        &[
            ("COCOTTE_API_TOKEN", TOKEN),
            ("SITEGEN_PLATFORM_TOKEN", "other"),
        ],
    )
    .success();
    assert!(api
        .log()
        .iter()
        .all(|r| r.authorization.as_deref() == Some(format!("Bearer {TOKEN}").as_str())));
}

#[test]
fn redirects_are_not_followed() {
    let (t, api) = api_site();
    api.fault(TENANT, Fault::Redirect);
    let run = build(&t, &["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.contains(
            "HTTP 302 redirect; redirects are not followed so the token stays with the API host"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn unchanged_responses_revalidate_with_etags() {
    let (t, api) = api_site();
    build(&t, &["build", "cocotte.maison"]).success();
    let first = t.output("cocotte.maison");
    api.clear_log();
    build(&t, &["build", "cocotte.maison"]).success();
    let log = api.log();
    assert!(!log.is_empty());
    for r in &log {
        assert!(
            r.if_none_match.is_some(),
            "{} sent no If-None-Match",
            r.path
        );
        assert_eq!(r.status, 304, "{}", r.path);
    }
    assert!(
        t.output("cocotte.maison") == first,
        "a 304 build is the same build"
    );
}

#[test]
fn offline_builds_from_the_cache_only() {
    let (t, api) = api_site();
    let run = build(&t, &["build", "cocotte.maison", "--offline"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: site cocotte.maison: --offline, and nothing is cached for tenant endpoint\n  hint: build once with the API reachable (or run `sitegen fetch`) to fill .sitegen/cache/\nerror: build failed: cocotte.maison\n"
    );
    build(&t, &["build", "cocotte.maison"]).success();
    let online = t.output("cocotte.maison");
    api.clear_log();
    api.always(TENANT, Fault::Status(500));
    build(&t, &["build", "cocotte.maison", "--offline"]).success();
    assert!(api.log().is_empty(), "--offline sends no request");
    assert!(t.output("cocotte.maison") == online);
}

#[test]
fn stale_ok_builds_from_the_cache_and_says_so() {
    let (t, api) = api_site();
    build(&t, &["build", "cocotte.maison"]).success();
    api.always(PROFILES, Fault::Status(502));
    build(&t, &["build", "cocotte.maison"]).failure();
    let run = build(&t, &["build", "cocotte.maison", "--stale-ok", "-q"]);
    run.success();
    assert!(
        run.stderr.contains(
            "warning: cocotte.maison: built from STALE cached platform data: profiles endpoint"
        ),
        "{}",
        run.stderr
    );
    assert!(t
        .page("cocotte.maison", "members/index.html")
        .contains("Margot Lune"));
}

#[test]
fn two_tenants_in_one_run_each_get_only_their_own_data() {
    let (t, _api) = api_site();
    build(&t, &["build", "--all"]).success();
    let cocotte = text_of(t.output("cocotte.maison"));
    let sansonnet = text_of(t.output("sansonnet.maison"));
    for other in [
        "Léa Fournier",
        "Tomás Ibarra",
        "Divine Gironde",
        "org_b81e44d0",
        "prof_s1",
    ] {
        assert!(!cocotte.contains(other), "cocotte shows {other}");
    }
    for other in [
        "Margot Lune",
        "Jules Marchand",
        "Inès Caradec",
        "org_7f3c2a91",
        "prof_c1",
    ] {
        assert!(!sansonnet.contains(other), "sansonnet shows {other}");
    }
    for d in DEMO_DOMAINS {
        assert!(!text_of(t.output(d)).contains("CANARY"), "{d}");
    }
}

#[test]
fn fetch_writes_a_public_only_snapshot_that_builds_offline() {
    let (t, _api) = api_site();
    let run = build(&t, &["fetch", "cocotte.maison"]);
    run.success();
    assert_eq!(run.stdout, "fetched org:cocotte for cocotte.maison: 3 public profiles, 0 tours → data/platform/cocotte\n");
    let files = t.files_under("data/platform/cocotte");
    let snapshot = text_of(
        files
            .clone()
            .into_iter()
            .filter(|(p, _)| p.ends_with(".json"))
            .collect(),
    );
    assert!(
        !snapshot.contains("CANARY"),
        "snapshots hold public fields only"
    );
    // Media comes along, named by profile, referenced relative to the snapshot.
    assert!(
        files.contains_key("media/margot-lune.jpg"),
        "{:?}",
        files.keys()
    );
    assert!(snapshot.contains(r#""avatar_url": "media/margot-lune.jpg""#));
    assert!(!snapshot.contains(TOKEN));
    // Without an API the build reads the snapshot just written.
    t.write("sitegen.yaml", "output_dir: dist\n");
    t.run(&["build", "cocotte.maison"]).success();
    let roster = t.page("cocotte.maison", "members/index.html");
    assert!(roster.contains("Inès Caradec"));
    assert!(roster.contains(r#"alt="Portrait de Margot Lune""#));
}

const AVATAR: &str = "/v1/public/media/cocotte/margot-lune.jpg";

#[test]
fn avatars_are_downloaded_from_the_api_once_and_published_re_encoded() {
    let (t, api) = api_site();
    build(&t, &["build", "cocotte.maison"]).success();
    let got = api.requests(AVATAR);
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let page = t.page("cocotte.maison", "members/margot-lune/index.html");
    assert!(page.contains(r#"alt="Portrait de Margot Lune""#), "{page}");
    let out = t.output("cocotte.maison");
    let avatars: Vec<&Vec<u8>> = out
        .iter()
        .filter(|(p, _)| p.contains("/images/margot-lune-"))
        .map(|(_, b)| b)
        .collect();
    assert_eq!(avatars.len(), 8, "48, 96, 80, 160 px × WebP and JPEG");
    for bytes in avatars {
        assert!(
            !bytes.windows(6).any(|w| w == b"CANARY"),
            "metadata survived"
        );
    }
    // The media cache answers the next build; --offline works too.
    api.clear_log();
    build(&t, &["build", "cocotte.maison"]).success();
    build(&t, &["build", "--offline", "cocotte.maison"]).success();
    assert!(api.requests(AVATAR).is_empty());
}

#[test]
fn avatars_over_the_size_limit_or_off_the_api_origin_are_refused() {
    let (t, api) = api_site();
    let yaml = t.read("sitegen.yaml");
    t.write("sitegen.yaml", &format!("{yaml}  max_media_bytes: 5000\n"));
    let run = build(&t, &["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.starts_with(&format!(
            "error: site cocotte.maison: avatar of profile prof_c1: GET {}{AVATAR}: ",
            api.url
        )) && run
            .stderr
            .contains("over the 5000-byte media limit (platform.max_media_bytes)"),
        "{}",
        run.stderr
    );
    assert!(!t.root().join("dist/cocotte.maison").exists());

    t.write("sitegen.yaml", &yaml);
    api.edit("cocotte", "profiles", |json| {
        json["items"][0]["avatar_url"] = "http://127.0.0.2:9/steal.jpg".into();
    });
    api.clear_log();
    let run = build(&t, &["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        format!("error: site cocotte.maison: profile prof_c1: avatar_url is not under the tenant's media path on the platform API's origin ({}/v1/public/media/cocotte/…); it was not downloaded\n  hint: media of a tenant must be served under its own media path (docs/platform-api.md); report this to the platform team\nerror: build failed: cocotte.maison\n", api.url)
    );
    assert!(!run.stderr.contains("steal"), "the value is not repeated");
    assert!(api.log().iter().all(|r| !r.path.contains("steal")));
}

#[test]
fn the_api_base_can_come_from_the_environment() {
    let (t, api) = api_site();
    t.write(
        "sitegen.yaml",
        "output_dir: dist\nplatform:\n  backoff_ms: 10\n",
    );
    t.run_env(
        &["build", "cocotte.maison"],
        &[
            ("SITEGEN_PLATFORM_API", &api.url),
            ("SITEGEN_PLATFORM_TOKEN", TOKEN),
        ],
    )
    .success();
    assert!(!api.requests(TENANT).is_empty());
    // A token must not travel over plain http to anything but loopback.
    let run = t.run_env(
        &["build", "cocotte.maison"],
        &[
            ("SITEGEN_PLATFORM_API", "http://api.example.com"),
            ("SITEGEN_PLATFORM_TOKEN", TOKEN),
        ],
    );
    run.failure();
    assert_eq!(
        run.stderr,
        "error: $SITEGEN_PLATFORM_API: \"http://api.example.com\" uses plain http; the token must travel over https (http is allowed for 127.0.0.1 and localhost only)\nerror: build failed: cocotte.maison\n"
    );
}
