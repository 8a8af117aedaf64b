//! Platform data under attack (issue 12, items 1, 3–6, 10): the tenant guard
//! on every path data takes (fresh, 304-revalidated, --offline, --stale-ok,
//! snapshot), a cache that cannot cross tenants, media confined to the
//! tenant's own path, URLs sanitised in every model, the token and record
//! values kept out of every message, and bounded bodies and pagination.

use std::path::PathBuf;
use std::time::Duration;

use crate::fake_api::{Fault, TOKEN};
use crate::harness::SiteTest;
use crate::platform_api::{api_site, build, text_of};

const TENANT: &str = "/v1/public/tenants/cocotte";
const PROFILES: &str = "/v1/public/tenants/cocotte/profiles";

/// The cache entries of one API tenant folder (`org-cocotte`), by file.
fn cache_entries(t: &SiteTest, tenant: &str) -> Vec<PathBuf> {
    let dir = t.root().join(".sitegen/cache/platform");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with(tenant)
        {
            for f in std::fs::read_dir(&path).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "json") {
                    out.push(f);
                }
            }
        }
    }
    out.sort();
    out
}

/// The cache entry of one request path.
fn cache_entry(t: &SiteTest, tenant: &str, path: &str) -> PathBuf {
    cache_entries(t, tenant)
        .into_iter()
        .find(|f| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            v["path"] == path
        })
        .unwrap_or_else(|| panic!("no cache entry for {path}"))
}

fn edit_json(file: &PathBuf, f: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(file, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

/// Regression: only a parsed 200 was guarded, so a cache entry holding
/// another tenant's record was published through a 304, `--offline` and
/// `--stale-ok`.
#[test]
fn the_guard_runs_on_cached_entries_on_every_path() {
    let (t, api) = api_site();
    build(&t, &["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    let entry = cache_entry(&t, "org-cocotte", PROFILES);
    let mut id = String::new();
    edit_json(&entry, |v| {
        id = v["data"]["items"][0]["id"].as_str().unwrap().to_string();
        v["data"]["items"][0]["org_id"] = "org_b81e44d0".into();
    });
    let refusal = format!(
        "error: site cocotte.maison: GET {PROFILES} returned profile \"{id}\" that is not a member profile of this org; refusing to build\n"
    );

    // A 304: the server says the cached copy is current.
    api.clear_log();
    let run = build(&t, &["build", "cocotte.maison"]);
    run.failure();
    assert!(run.stderr.starts_with(&refusal), "{}", run.stderr);
    assert!(api.requests(PROFILES).iter().any(|r| r.status == 304));
    // --offline: no request at all.
    let run = build(&t, &["build", "cocotte.maison", "--offline"]);
    run.failure();
    assert!(run.stderr.starts_with(&refusal), "{}", run.stderr);
    // --stale-ok with the API down.
    api.always(PROFILES, Fault::Status(502));
    let run = build(&t, &["build", "cocotte.maison", "--stale-ok"]);
    run.failure();
    assert!(run.stderr.starts_with(&refusal), "{}", run.stderr);
    assert!(t.output("cocotte.maison") == before, "nothing was written");
}

/// Regression: the cache was keyed by slug only, so after `org:cocotte`
/// was fetched, a site whose site.yaml says `person:cocotte` published the
/// Org's members; and the error blamed the platform for what is a mistake
/// in site.yaml.
#[test]
fn a_person_site_never_reads_what_was_fetched_for_the_org_of_the_same_slug() {
    let (t, api) = api_site();
    build(&t, &["build", "cocotte.maison"]).success();
    let run = build(
        &t,
        &[
            "new",
            "cocotte-bis.org",
            "--kind",
            "org-site",
            "--tenant",
            "person:cocotte",
        ],
    );
    run.success();
    let yaml = t.read("sites/cocotte-bis.org/site.yaml");
    let line = yaml
        .lines()
        .position(|l| l.contains("kind: person"))
        .unwrap()
        + 1;

    let run = build(&t, &["build", "cocotte-bis.org", "--offline"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: site cocotte-bis.org: --offline, and nothing is cached for tenant endpoint\n  hint: build once with the API reachable (or run `sitegen fetch`) to fill .sitegen/cache/\nerror: build failed: cocotte-bis.org\n"
    );
    let run = build(&t, &["build", "cocotte-bis.org"]);
    run.failure();
    // Under the message, the frame of site.yaml (issue 17 item 1).
    let (shown, frames) = crate::harness::without_frames(&run.stderr);
    assert_eq!(frames, 1, "{}", run.stderr);
    assert_eq!(
        shown,
        format!("error: sites/cocotte-bis.org/site.yaml:{line}: tenant.kind: site cocotte-bis.org: site.yaml names the tenant person:cocotte, but the platform's tenant cocotte is an org, not a person; refusing to build\n  hint: if this site is the org's, set `tenant: {{kind: org, slug: cocotte}}` in site.yaml; nothing was written\nerror: build failed: cocotte-bis.org\n")
    );
    assert!(t.output("cocotte-bis.org").is_empty());
    assert!(
        cache_entries(&t, "person-cocotte").is_empty(),
        "nothing refused is cached"
    );

    // Entries copied into the person's folder still say whose they are.
    let org_dir = cache_entry(&t, "org-cocotte", TENANT)
        .parent()
        .unwrap()
        .to_path_buf();
    let name = org_dir.file_name().unwrap().to_string_lossy();
    let person_dir = org_dir.with_file_name(name.replace("-org-", "-person-"));
    std::fs::create_dir_all(&person_dir).unwrap();
    for f in cache_entries(&t, "org-cocotte") {
        std::fs::copy(&f, person_dir.join(f.file_name().unwrap())).unwrap();
    }
    let run = build(&t, &["build", "cocotte-bis.org", "--offline"]);
    run.failure();
    assert!(
        run.stderr.starts_with(&format!("error: site cocotte-bis.org: --offline, and the cached tenant endpoint cannot be used: it was fetched for another API, tenant or request than person:cocotte at {}\n", api.url)),
        "{}",
        run.stderr
    );
    // An entry of another API base in the right folder is refused too.
    edit_json(&cache_entry(&t, "org-cocotte", TENANT), |v| {
        v["api_base"] = "https://api.other.example".into();
    });
    let run = build(&t, &["build", "cocotte.maison", "--offline"]);
    run.failure();
    assert!(
        run.stderr
            .contains("the cached tenant endpoint cannot be used: it was fetched for another API"),
        "{}",
        run.stderr
    );
}

/// Regression: a cache entry written by an older sitegen panicked under
/// `--offline`.
#[test]
fn a_cache_entry_of_another_format_is_a_miss_never_a_panic() {
    let (t, api) = api_site();
    build(&t, &["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    let tenant = cache_entry(&t, "org-cocotte", TENANT);
    let profiles = cache_entry(&t, "org-cocotte", PROFILES);
    // An older layout (no format), and one whose data no longer parses.
    edit_json(&tenant, |v| {
        v.as_object_mut().unwrap().remove("format");
    });
    edit_json(&profiles, |v| v["data"] = serde_json::json!({"items": 5}));

    let run = build(&t, &["build", "cocotte.maison", "--offline"]);
    run.failure();
    assert_eq!(
        run.stderr,
        format!("error: site cocotte.maison: --offline, and the cached tenant endpoint cannot be used: it was written by another version of sitegen\n  hint: build once with the API reachable to refresh {}\nerror: build failed: cocotte.maison\n", tenant.parent().unwrap().strip_prefix(t.root()).unwrap().display())
    );
    assert!(t.output("cocotte.maison") == before);

    // Online, both are misses: asked for without If-None-Match, then rewritten.
    api.clear_log();
    build(&t, &["build", "cocotte.maison"]).success();
    for path in [TENANT, PROFILES] {
        let first = &api.requests(path)[0];
        assert!(
            first.if_none_match.is_none(),
            "{path} revalidated a bad entry"
        );
        assert_eq!(first.status, 200);
    }
    build(&t, &["build", "cocotte.maison", "--offline"]).success();
    assert!(t.output("cocotte.maison") == before);
}

/// Regression: media was checked by origin only, so a profile could name
/// another tenant's avatar on the same API.
#[test]
fn media_of_another_tenant_on_the_same_origin_is_refused() {
    let (t, api) = api_site();
    for reference in [
        "/v1/public/media/sansonnet/lea-fournier.jpg".to_string(),
        format!("{}/v1/public/media/sansonnet/lea-fournier.jpg", api.url),
        "/v1/public/media/cocotte/../sansonnet/lea-fournier.jpg".to_string(),
        "/v1/public/media/cocotte/%2e%2e/sansonnet/lea-fournier.jpg".to_string(),
        "/v1/public/media/cocotte-other/x.jpg".to_string(),
        "/v1/public/media/cocotte/x.jpg?u=/v1/public/media/sansonnet/".to_string(),
        "/v1/public/tenants/sansonnet".to_string(),
    ] {
        api.edit("cocotte", "profiles", |json| {
            json["items"][0]["avatar_url"] = reference.clone().into();
        });
        api.clear_log();
        let run = build(&t, &["build", "cocotte.maison"]);
        run.failure();
        assert_eq!(
            run.stderr,
            format!("error: site cocotte.maison: profile prof_c1: avatar_url is not under the tenant's media path on the platform API's origin ({}/v1/public/media/cocotte/…); it was not downloaded\n  hint: media of a tenant must be served under its own media path (docs/platform-api.md); report this to the platform team\nerror: build failed: cocotte.maison\n", api.url),
            "{reference}"
        );
        assert!(
            api.log().iter().all(|r| !r.path.contains("media")),
            "{reference} was requested"
        );
    }
    assert!(t.output("cocotte.maison").is_empty());

    // The tenant's own media, named by an absolute URL on the API's origin, is fine.
    let own = format!("{}/v1/public/media/cocotte/margot-lune.jpg", api.url);
    api.edit("cocotte", "profiles", |json| {
        json["items"][0]["avatar_url"] = own.clone().into();
    });
    api.clear_log();
    build(&t, &["build", "cocotte.maison"]).success();
    assert_eq!(
        api.requests("/v1/public/media/cocotte/margot-lune.jpg")
            .len(),
        1
    );
}

/// Regression: a leg's `booking_url` of `javascript:…` was published as an
/// href and in JSON-LD. Every URL field of every model accepts only https,
/// http, mailto and tel; anything else is dropped with a warning naming the
/// record and field, never the value.
#[test]
fn urls_from_platform_data_are_sanitised_in_every_model() {
    let (t, api) = api_site();
    api.edit("ada-marlowe", "tours", |json| {
        let legs = json["items"][0]["legs"].as_array_mut().unwrap();
        legs[2]["booking_url"] = "javascript:alert(document.domain)".into();
        legs[4]["booking_url"] = " JaVaScRiPt:alert('SECRET-1')".into();
        legs[1]["booking_url"] = "tel:+33123456789".into();
    });
    api.edit("ada-marlowe", "tenant", |json| {
        json["links"] = serde_json::json!([
            {"label": "Data", "url": "data:text/html,<script>alert('SECRET-2')</script>"},
            {"label": "Protocol-relative", "url": "//evil.example/SECRET-3"},
            {"label": "Relative", "url": "/SECRET-4"},
            {"label": "Mail", "url": "mailto:ada@example.org"},
            {"label": "Site", "url": "https://ada.example/"},
        ]);
    });
    let run = build(&t, &["build", "adulttherapytour.com"]);
    run.success();
    let out = text_of(t.files_under("dist/adulttherapytour.com/public"));
    for bad in ["javascript", "JaVaScRiPt", "alert(", "SECRET", "data:text"] {
        assert!(!out.contains(bad), "{bad} was published");
    }
    assert!(out.contains("mailto:ada@example.org") && out.contains("https://ada.example/"));
    assert!(out.contains("tel:+33123456789"));
    let lyon = t.page("adulttherapytour.com", "tour/lyon/index.html");
    let event = crate::harness::json_ld(&lyon)
        .into_iter()
        .find(|v| v["@type"] == "Event")
        .unwrap();
    assert!(event.get("offers").is_none(), "{event}");
    // Kept URLs reach JSON-LD: offers of the other legs, the tenant's sameAs.
    let offer = |page: &str| {
        crate::harness::json_ld(&t.page("adulttherapytour.com", page))
            .into_iter()
            .find(|v| v["@type"] == "Event")
            .unwrap()["offers"]["url"]
            .clone()
    };
    assert_eq!(
        offer("tour/lisbon/index.html"),
        "https://tickets.example/att/lisbon"
    );
    assert_eq!(offer("tour/madrid/index.html"), "tel:+33123456789");
    let home = t.page("adulttherapytour.com", "index.html");
    let same_as: Vec<serde_json::Value> = crate::harness::json_ld(&home)
        .into_iter()
        .filter_map(|v| v.get("sameAs").cloned())
        .collect();
    assert_eq!(
        same_as,
        [serde_json::json!(["https://ada.example/"])],
        "{home}"
    );
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: adulttherapytour.com: tenant usr_ada: links[0].url dropped: only https, http, mailto, tel URLs are published",
            "warning: adulttherapytour.com: tenant usr_ada: links[1].url dropped: only https, http, mailto, tel URLs are published",
            "warning: adulttherapytour.com: tenant usr_ada: links[2].url dropped: only https, http, mailto, tel URLs are published",
            "warning: adulttherapytour.com: tour tour_2027 leg leg_03: booking_url dropped: only https, http, mailto, tel URLs are published",
            "warning: adulttherapytour.com: tour tour_2027 leg leg_05: booking_url dropped: only https, http, mailto, tel URLs are published",
        ]
    );
    // The cache never holds a refused value either.
    let cache = text_of(crate::harness::tree(&t.root().join(".sitegen")));
    assert!(!cache.contains("SECRET") && !cache.contains("javascript"));
}

/// The same on the snapshot path.
#[test]
fn urls_from_snapshots_are_sanitised_too() {
    let t = SiteTest::demo();
    t.edit(
        "data/platform/ada-marlowe/tours.json",
        "\"booking_url\": \"https://tickets.example/att/lyon\"",
        "\"booking_url\": \"javascript:alert(document.domain)\"",
    );
    let run = t.run(&["build", "adulttherapytour.com"]);
    run.success();
    assert!(
        run.stderr.contains("warning: adulttherapytour.com: tour tour_2027 leg leg_03: booking_url dropped: only https, http, mailto, tel URLs are published"),
        "{}",
        run.stderr
    );
    let out = text_of(t.files_under("dist/adulttherapytour.com/public"));
    assert!(!out.contains("javascript:") && !out.contains("alert("));
}

/// Regression: with `-v`, retry log lines printed a server's error body
/// verbatim, so a server echoing the Authorization header put the token on
/// stderr; and parse errors quoted record values.
#[test]
fn the_token_and_record_values_never_appear_in_messages() {
    let (t, api) = api_site();
    api.fault(
        TENANT,
        Fault::EchoAuth {
            status: 503,
            json: false,
        },
    );
    api.fault(
        TENANT,
        Fault::EchoAuth {
            status: 503,
            json: true,
        },
    );
    let run = build(&t, &["build", "cocotte.maison", "-vv"]);
    run.success();
    assert!(
        run.stderr.contains("HTTP 503; retrying")
            && run
                .stderr
                .contains("HTTP 503: echo: you sent Authorization: Bearer [redacted]; retrying"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(TOKEN));
    assert!(
        !run.stderr.contains("GET /v1"),
        "the plain-text body is never shown"
    );

    // A refusal whose message echoes the token.
    api.fault(
        TENANT,
        Fault::EchoAuth {
            status: 400,
            json: true,
        },
    );
    let run = build(&t, &["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        format!("error: site cocotte.maison: the platform API refused the request: GET {}{TENANT}: HTTP 400: echo: you sent Authorization: Bearer [redacted]\nerror: build failed: cocotte.maison\n", api.url)
    );

    // A bad value is named by its path, never repeated.
    api.edit("ada-marlowe", "tours", |json| {
        json["items"][0]["legs"][1]["status"] = "CANARY-STATUS".into();
        json["items"][0]["legs"][2]["city"] = serde_json::json!({"CANARY": "CANARY-CITY"});
    });
    let run = build(&t, &["build", "adulttherapytour.com"]);
    run.failure();
    assert_eq!(
        run.stderr,
        format!("error: site adulttherapytour.com: GET {}/v1/public/tenants/ada-marlowe/tours returned malformed JSON at items[0].legs[1].status: unknown variant `…`, expected one of `open`, `limited`, `full`, `cancelled`\nerror: build failed: adulttherapytour.com\n", api.url)
    );
    api.edit("ada-marlowe", "tours", |json| {
        json["items"][0]["legs"][1]["status"] = "open".into();
    });
    let run = build(&t, &["build", "adulttherapytour.com"]);
    run.failure();
    assert!(
        run.stderr.contains("returned malformed JSON at items[0].legs[2].city: invalid type: map, expected a string"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("CANARY"));
}

/// Regression: response bodies were unbounded (a 200 MB body, a gzip bomb),
/// and pagination with ever-new cursors ran thousands of requests.
#[test]
fn bodies_pages_and_time_are_bounded() {
    let (t, api) = api_site();
    let yaml = t.read("sitegen.yaml");
    t.write(
        "sitegen.yaml",
        &format!("{yaml}  max_body_bytes: 65536\n  max_pages: 5\n"),
    );
    let big = format!(
        "{{\"id\": \"org_7f3c2a91\", \"kind\": \"org\", \"slug\": \"cocotte\", \"name\": \"{}\"}}",
        "x".repeat(70_000)
    );
    let too_large = format!("error: site cocotte.maison: the platform API refused the request: GET {}{TENANT}: the response body is over the 64 KiB limit (platform.max_body_bytes)\n  hint: nothing was built; raise platform.max_body_bytes in sitegen.yaml if the tenant really has that much data\nerror: build failed: cocotte.maison\n", api.url);
    for (bytes, gzip) in [(big.into_bytes(), false), (vec![b' '; 64 << 20], true)] {
        api.fault(TENANT, Fault::Body { bytes, gzip });
        let run = build(&t, &["build", "cocotte.maison"]);
        run.failure();
        assert_eq!(run.stderr, too_large);
        assert_eq!(
            api.requests(TENANT).last().unwrap().status,
            200,
            "refused after reading, not by the server"
        );
    }

    // A body of exactly the limit is accepted.
    let exact = r#"{"id": "org_7f3c2a91", "kind": "org", "slug": "cocotte", "name": "Cocotte"}"#;
    let padded = format!("{exact}{}", " ".repeat(65536 - exact.len()));
    assert_eq!(padded.len(), 65536);
    api.fault(
        TENANT,
        Fault::Body {
            bytes: padded.into_bytes(),
            gzip: false,
        },
    );
    build(&t, &["build", "cocotte.maison"]).success();
    let good = t.output("cocotte.maison");

    api.clear_log();
    api.always(PROFILES, Fault::EndlessPages(Duration::ZERO));
    let run = build(&t, &["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: site cocotte.maison: profiles endpoint has more than 5 pages (platform.max_pages)\n  hint: nothing was built; the API may be paginating without end: report it to the platform team, or raise platform.max_pages in sitegen.yaml if the tenant really has that much data\nerror: build failed: cocotte.maison\n"
    );
    assert_eq!(api.requests(PROFILES).len(), 5);

    // Slow pages: the whole load stops at platform.max_fetch_secs.
    t.write(
        "sitegen.yaml",
        &format!("{yaml}  max_pages: 100000\n  max_fetch_secs: 1\n"),
    );
    api.always(PROFILES, Fault::EndlessPages(Duration::from_millis(100)));
    let run = build(&t, &["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.starts_with("error: site cocotte.maison: loading platform data took longer than 1 s (platform.max_fetch_secs); stopped before GET /v1/public/tenants/cocotte/profiles?cursor="),
        "{}",
        run.stderr
    );
    assert!(
        t.output("cocotte.maison") == good,
        "failed loads wrote nothing"
    );
}
