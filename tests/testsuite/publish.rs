//! Publishing in CI: `build --changed`, `--shard`, `--json`, `deploy --all`.

use crate::fake_api::{FakeApi, Fault, TOKEN};
use crate::harness::{SiteTest, DEMO_DOMAINS};

fn statuses(json: &str) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["domain"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn built(t: &SiteTest) -> Vec<String> {
    let run = t.run(&["build", "--all", "--changed", "--json"]);
    run.success();
    statuses(&run.stdout)
        .into_iter()
        .filter(|(_, s)| s == "built")
        .map(|(d, _)| d)
        .collect()
}

#[test]
fn changed_rebuilds_only_the_sites_whose_inputs_changed() {
    let t = SiteTest::demo();
    assert_eq!(built(&t), DEMO_DOMAINS, "first build: everything");
    let before = t.output("cocotte.maison");
    assert!(built(&t).is_empty(), "nothing changed");
    assert!(
        t.output("cocotte.maison") == before,
        "unchanged sites are not rewritten"
    );

    t.edit(
        "content/cocotte.maison/contact.md",
        "---\n",
        "---\n# edited\n",
    );
    assert_eq!(
        built(&t),
        ["cocotte.maison"],
        "a copy edit rebuilds one brand"
    );

    let css = t.read("themes/atelier/css/site.css");
    t.write(
        "themes/atelier/css/site.css",
        &format!("{css}\n.x{{color:red}}\n"),
    );
    assert_eq!(built(&t), ["cocotte.maison"], "the sites on that theme");

    t.edit(
        "templates/org-site/index.html",
        "{% block main %}",
        "{% block main %}<!-- x -->",
    );
    assert_eq!(
        built(&t),
        ["cocotte.maison", "sansonnet.maison"],
        "the sites of that kind"
    );

    t.edit(
        "data/platform/quinn-avery/tenant.json",
        "\"name\"",
        "\"tagline_unused\": 1, \"name\"",
    );
    assert!(
        built(&t).is_empty(),
        "an ignored API field changes no public data"
    );
    t.edit(
        "data/platform/quinn-avery/profiles.json",
        "\"display_name\": \"Quinn Avery\"",
        "\"display_name\": \"Quinn A. Avery\"",
    );
    assert_eq!(
        built(&t),
        ["transquinnftw.com"],
        "platform data is an input"
    );

    t.edit(
        "templates/_base/partials/footer.html",
        "</footer>",
        "<!-- y --></footer>",
    );
    assert_eq!(built(&t), DEMO_DOMAINS, "shared templates: every site");
}

/// `build <domain> --changed --json <extra>`: the site's status and report.
fn changed(t: &SiteTest, domain: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["build", domain, "--changed", "--json"];
    args.extend_from_slice(extra);
    let run = t.run_env(&args, &[("SITEGEN_PLATFORM_TOKEN", TOKEN)]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    v["sites"][0].clone()
}

/// Regression (issue 12, item 11): `build --changed` ignored build options:
/// after a plain build, `build --changed --drafts` said "unchanged".
#[test]
fn changed_rebuilds_when_drafts_differ_from_the_last_build() {
    let t = SiteTest::demo();
    let draft = "public/actualites/la-maison-en-chiffres-2026/index.html";
    t.run(&["build", "cocotte.maison"]).success();
    assert_eq!(changed(&t, "cocotte.maison", &[])["status"], "unchanged");
    assert_eq!(
        changed(&t, "cocotte.maison", &["--drafts"])["status"],
        "built"
    );
    assert!(t.output("cocotte.maison").contains_key(draft));
    assert_eq!(
        changed(&t, "cocotte.maison", &["--drafts"])["status"],
        "unchanged"
    );
    // And the reverse: the draft must go again.
    assert_eq!(changed(&t, "cocotte.maison", &[])["status"], "built");
    assert!(!t.output("cocotte.maison").contains_key(draft));
    assert_eq!(changed(&t, "cocotte.maison", &[])["status"], "unchanged");
}

/// `--changed` sees time: a build records when its pages change by the
/// clock alone (the next tour leg to end shows as past from 00:00 UTC the
/// day after), and `--changed` builds again once that instant has passed.
/// A build made for a set instant (`--clock`) counts only for that instant.
#[test]
fn changed_builds_again_once_a_tour_leg_is_over() {
    let t = SiteTest::demo();
    let d = "adulttherapytour.com";
    let manifest = |t: &SiteTest| -> serde_json::Value {
        serde_json::from_str(&t.read(&format!("dist/{d}/manifest.json"))).unwrap()
    };
    let copenhagen = |t: &SiteTest| {
        String::from_utf8(t.output(d)["public/tour/copenhagen/index.html"].clone()).unwrap()
    };
    let past = r#"<span class="badge status-past">Past</span>"#;
    t.run(&["--clock", "2027-05-20T10:00:00Z", "build", d])
        .success();
    // Copenhagen ends on 28 May 2027.
    assert_eq!(manifest(&t)["next_change"], "2027-05-29T00:00:00Z");
    assert_eq!(manifest(&t)["clock"], "2027-05-20T10:00:00Z");
    assert!(!copenhagen(&t).contains(past));
    let at = |clock: &[&str]| changed(&t, d, clock)["status"].clone();
    assert_eq!(at(&["--clock", "2027-05-20T10:00:00Z"]), "unchanged");
    // Another instant, or the real clock: built again for it.
    assert_eq!(at(&["--clock", "2027-05-29T00:00:00Z"]), "built");
    assert!(copenhagen(&t).contains(past));
    assert_eq!(at(&[]), "built");
    assert!(!copenhagen(&t).contains(past));
    assert!(manifest(&t).get("clock").is_none());
    assert_eq!(at(&[]), "unchanged");
    // The last build's next change has passed (as if it were made the day
    // before a leg ended): built again.
    let path = format!("dist/{d}/manifest.json");
    let next = manifest(&t)["next_change"].as_str().unwrap().to_string();
    t.write(&path, &t.read(&path).replace(&next, "2026-01-01T00:00:00Z"));
    assert_eq!(at(&[]), "built");
    assert_eq!(at(&[]), "unchanged");
}

/// A build that passed with warnings is not "unchanged" for `--strict`,
/// which fails on them.
#[test]
fn changed_with_strict_does_not_pass_a_build_that_had_warnings() {
    let t = SiteTest::demo();
    t.edit(
        "content/cocotte.maison/about.md",
        "![Le salon du studio de la Croix-Rousse\u{a0}: lumière douce, deux fauteuils et une table basse](images/studio.jpg)",
        "![](images/studio.jpg)",
    );
    t.run(&["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    let site = changed(&t, "cocotte.maison", &["--strict"]);
    assert_eq!(site["status"], "failed", "{site}");
    let error = &site["errors"][0];
    assert_eq!(error["message"], "image images/studio.jpg has no alt text");
    assert_eq!(error["file"], "content/cocotte.maison/about.md");
    assert_eq!(error["line"], 14);
    assert!(t.output("cocotte.maison") == before);
    assert_eq!(changed(&t, "cocotte.maison", &[])["status"], "unchanged");
}

/// `--changed --stale-ok` with the API down compares with cached data; an
/// "unchanged" answer still says the data was stale.
#[test]
fn changed_with_stale_data_says_so_even_when_unchanged() {
    let t = SiteTest::demo();
    let api = FakeApi::start(&t.root().join("data/platform"));
    std::fs::remove_dir_all(t.root().join("data/platform")).unwrap();
    t.write(
        "sitegen.yaml",
        &format!(
            "output_dir: dist\nplatform:\n  api_base: {}\n  retries: 1\n  backoff_ms: 10\n",
            api.url
        ),
    );
    assert_eq!(changed(&t, "cocotte.maison", &[])["status"], "built");
    assert_eq!(changed(&t, "cocotte.maison", &[])["status"], "unchanged");
    api.always("/v1/public/tenants/cocotte/profiles", Fault::Status(502));
    let site = changed(&t, "cocotte.maison", &["--stale-ok"]);
    assert_eq!(site["status"], "unchanged", "{site}");
    // The detail after the endpoint is the platform module's to word.
    let warnings = site["warnings"].as_array().unwrap();
    assert!(!warnings.is_empty(), "{site}");
    for w in warnings {
        assert!(
            w.as_str()
                .unwrap()
                .starts_with("compared with STALE cached platform data: profiles endpoint ("),
            "{w}"
        );
    }
    let run = t.run_env(
        &["build", "cocotte.maison", "--changed", "--stale-ok", "-q"],
        &[("SITEGEN_PLATFORM_TOKEN", TOKEN)],
    );
    run.success();
    assert!(
        run.stderr.contains(
            "warning: cocotte.maison: compared with STALE cached platform data: profiles endpoint"
        ),
        "{}",
        run.stderr
    );
}

/// Regression (issue 12, item 7): a 700-deep theme `@import` chain aborted
/// the whole process, so `build --all --json` printed no report at all. Now
/// the sites on that theme fail with the clear error and the others build.
#[test]
fn deep_css_import_chain_fails_its_sites_and_the_report_has_every_site() {
    let t = SiteTest::demo();
    crate::errors::import_chain(&t, 700);
    let run = t.run(&["build", "--all", "--json"]);
    run.failure();
    let v: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr));
    assert_eq!(
        (v["built"].as_u64(), v["failed"].as_u64()),
        (Some(3), Some(1))
    );
    for site in v["sites"].as_array().unwrap() {
        let domain = site["domain"].as_str().unwrap();
        // cocotte.maison is the atelier theme's only site.
        if domain == "cocotte.maison" {
            assert_eq!(site["status"], "failed", "{site}");
            assert_eq!(site["errors"][0]["file"], "themes/atelier/css/deep/a30.css");
            assert_eq!(site["errors"][0]["line"], 1);
            assert!(site["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("@import chain is deeper than 32 stylesheets: "));
            assert!(t.output(domain).is_empty());
        } else {
            assert_eq!(site["status"], "built", "{site}");
            assert!(t.output(domain).contains_key("manifest.json"));
        }
    }
}

/// A panic in one site's build (a sitegen bug) is that site's failed entry,
/// in the JSON report and in the text summary; the other sites build.
#[test]
fn a_panic_in_one_site_is_one_failed_entry() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    let panic = [
        ("__SITEGEN_TEST_PANIC", "cocotte.maison"),
        ("RUST_BACKTRACE", "0"),
    ];
    let run = t.run_env(&["build", "--all", "--json"], &panic);
    run.failure();
    let v: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr));
    assert_eq!(
        (v["built"].as_u64(), v["failed"].as_u64()),
        (Some(3), Some(1))
    );
    let mut statuses = statuses(&run.stdout);
    statuses.sort();
    assert_eq!(
        statuses,
        [
            ("adulttherapytour.com".to_string(), "built".to_string()),
            ("cocotte.maison".to_string(), "failed".to_string()),
            ("sansonnet.maison".to_string(), "built".to_string()),
            ("transquinnftw.com".to_string(), "built".to_string()),
        ]
    );
    let cocotte = v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["domain"] == "cocotte.maison")
        .unwrap();
    assert_eq!(
        cocotte["errors"][0]["message"],
        "internal error (panic): test panic requested for cocotte.maison; this is a sitegen bug"
    );
    assert!(t.output("cocotte.maison") == before, "previous output kept");

    let run = t.run_env(&["build", "--all"], &panic);
    run.failure();
    assert!(run.stdout.contains("3 of 4 sites built"), "{}", run.stdout);
    assert!(
        run.stderr.ends_with(
            "error: internal error (panic): test panic requested for cocotte.maison; this is a sitegen bug\n  hint: the site's previous output is left as it was; please report it with the command you ran (RUST_BACKTRACE=1 shows where it happened)\nerror: build failed: cocotte.maison\n"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn json_report_has_per_site_status_and_errors_with_file_and_line() {
    let t = SiteTest::demo();
    t.run(&["build", "--all"]).success();
    let before = t.output("cocotte.maison");
    t.edit("content/cocotte.maison/about.md", "weight: 1", "wieght: 1");
    let run = t.run(&["build", "--all", "--json"]);
    run.failure();
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["failed"], 1);
    assert_eq!(v["built"], 3);
    let site = v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["domain"] == "cocotte.maison")
        .unwrap();
    assert_eq!(site["status"], "failed");
    assert_eq!(site["errors"][0]["file"], "content/cocotte.maison/about.md");
    assert_eq!(site["errors"][0]["line"], 4);
    assert_eq!(site["errors"][0]["key"], "wieght");
    let ok = v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["domain"] == "transquinnftw.com")
        .unwrap();
    assert_eq!(ok["status"], "built");
    assert!(ok["pages"].as_u64().unwrap() > 0 && ok["data_digest"].as_str().unwrap().len() == 16);
    assert!(
        t.output("cocotte.maison") == before,
        "the failed site keeps its previous output"
    );
    // The plain summary names the failures too.
    let run = t.run(&["build", "--all"]);
    run.failure();
    assert!(
        run.stderr
            .ends_with("error: build failed: cocotte.maison\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn shards_cover_every_site_exactly_once() {
    let mut seen = Vec::new();
    for i in 1..=3 {
        let t = SiteTest::demo();
        let run = t.run(&["build", "--shard", &format!("{i}/3"), "--json"]);
        run.success();
        seen.extend(statuses(&run.stdout).into_iter().map(|(d, _)| d));
    }
    seen.sort();
    assert_eq!(seen, DEMO_DOMAINS);
    let t = SiteTest::demo();
    let run = t.run(&["build", "--shard", "4/3"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("shard 4/3: there is no shard 4 of 3; the shards are 1/3 to 3/3"),
        "{}",
        run.stderr
    );
}

#[test]
fn deploy_all_skips_held_back_and_unbuilt_sites_and_continues_past_failures() {
    let t = SiteTest::demo();
    let root = t.root().canonicalize().unwrap();
    t.edit(
        "sites/cocotte.maison/site.yaml",
        "target: /srv/www/cocotte.maison",
        &format!("target: {}/srv/cocotte.maison", root.display()),
    );
    // A target that cannot be created: this deploy fails, the others go on.
    std::fs::write(root.join("blocker"), "a file, not a folder").unwrap();
    t.edit(
        "sites/adulttherapytour.com/site.yaml",
        "target: /srv/www/adulttherapytour.com",
        &format!("target: {}/blocker/adulttherapytour.com", root.display()),
    );
    for d in ["cocotte.maison", "adulttherapytour.com", "sansonnet.maison"] {
        t.run(&["build", d]).success();
    }
    let run = t.run(&["deploy", "--all"]);
    run.failure();
    assert!(
        run.stdout.contains("deployed cocotte.maison: current → "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("skipped sansonnet.maison: held back"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("skipped transquinnftw.com: not built"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .ends_with("error: deploy failed: adulttherapytour.com\n"),
        "{}",
        run.stderr
    );
    assert!(root.join("srv/cocotte.maison/current/index.html").is_file());
}

#[test]
fn new_writes_a_held_back_site_that_builds_and_refuses_bad_input() {
    let t = SiteTest::demo();
    // A Person with platform data here: the new site builds at once.
    let run = t.run(&[
        "new",
        "merche-biche.com",
        "--kind",
        "provider-site",
        "--tenant",
        "person:quinn-avery",
        "--alias",
        "www.merche.fr",
        "--alias",
        "www.merche-biche.com",
    ]);
    run.success();
    assert!(run.stdout.contains("it builds: 5 pages"), "{}", run.stdout);
    // Only the next steps that apply: the data is here, so no fetch.
    assert!(
        run.stdout.contains("next:\n  1. DNS: point merche-biche.com, www.merche-biche.com and its aliases at the web server\n  2. sitegen serve merche-biche.com ")
            && !run.stdout.contains("sitegen fetch"),
        "next steps: {}",
        run.stdout
    );
    // www.<domain> is always redirected by the nginx config: not written.
    assert!(
        run.stdout
            .contains("--alias www.merche-biche.com not written"),
        "{}",
        run.stdout
    );
    let yaml = t.read("sites/merche-biche.com/site.yaml");
    assert!(
        yaml.contains("held_back: true")
            && yaml.contains("aliases:\n  - www.merche.fr\nkind:")
            && yaml.contains("slug: quinn-avery"),
        "{yaml}"
    );
    t.run(&["build", "merche-biche.com"]).success();
    assert!(t
        .page("merche-biche.com", "index.html")
        .contains("Merche Biche"));
    // The starter uses the brand pieces: the theme's palette to change, a
    // booking button, and a legal notice to fill in.
    assert!(
        yaml.contains("  palette:\n    primary: \"#8a3219\"\n")
            && yaml.contains("  booking:\n    title: Book\n    url: /contact/\n")
            && yaml.contains("legal:\n  publisher: Replace with"),
        "{yaml}"
    );
    let home = t.page("merche-biche.com", "index.html");
    assert_eq!(
        home.matches("<a class=\"button\" href=\"/contact/\">Book</a>")
            .count(),
        2,
        "{home}"
    );
    assert!(t
        .page("merche-biche.com", "legal/index.html")
        .contains("Replace with the business"));
    let run = t.run(&["deploy", "merche-biche.com"]);
    run.failure();
    assert!(
        run.stderr.contains("merche-biche.com is held back"),
        "{}",
        run.stderr
    );

    // An Org the machine has no data for yet: created, with a clear note.
    let run = t.run(&[
        "new",
        "brand-new.org",
        "--kind",
        "org-site",
        "--tenant",
        "org:brand-new",
    ]);
    run.success();
    assert!(
        run.stdout
            .contains("it cannot build yet, the tenant's data is not here"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("  2. sitegen fetch brand-new.org "),
        "{}",
        run.stdout
    );
    assert!(t
        .root()
        .join("content/brand-new.org/members/_index.md")
        .is_file());

    // Refusals: an existing domain, a bad host name, a bad slug, a bad kind; nothing written.
    let before = t.files_under("sites");
    for (args, msg) in [
        (
            vec![
                "new",
                "cocotte.maison",
                "--kind",
                "org-site",
                "--tenant",
                "org:cocotte",
            ],
            "sites/cocotte.maison already exists",
        ),
        (
            vec![
                "new",
                "bad_domain",
                "--kind",
                "org-site",
                "--tenant",
                "org:x",
            ],
            "is not a valid host name",
        ),
        (
            vec![
                "new",
                "ok.example",
                "--kind",
                "org-site",
                "--tenant",
                "org:Not_A_Slug",
            ],
            "is not a valid slug",
        ),
        (
            vec![
                "new",
                "ok.example",
                "--kind",
                "org-site",
                "--tenant",
                "team:x",
            ],
            "is not a tenant kind",
        ),
        (
            vec![
                "new",
                "ok.example",
                "--kind",
                "org-site",
                "--tenant",
                "org:x",
                "--theme",
                "missing",
            ],
            "there is no theme \"missing\"",
        ),
    ] {
        let run = t.run(&args);
        assert_ne!(run.status, 0, "{args:?}");
        assert!(run.stderr.contains(msg), "{args:?}: {}", run.stderr);
    }
    let run = t.run(&["new", "ok.example", "--kind", "blog", "--tenant", "org:x"]);
    assert_eq!(run.status, 2);
    assert!(t.files_under("sites") == before);
    assert!(!t.root().join("content/ok.example").exists());
}

/// Issue 17 item 5: scheduled publishing. A page goes live at its
/// `publish_date` (or `date`) and is taken down at its `expiry_date`;
/// before that nothing of it is published (not its page, card, image,
/// listing entry, sitemap or feed line), `--future` previews it, and the
/// manifest records the instant so `--changed` builds again then.
#[test]
fn scheduled_pages_go_live_and_expire_on_their_dates() {
    let t = SiteTest::demo();
    let d = "cocotte.maison";
    std::fs::copy(
        t.root().join("content/cocotte.maison/images/studio.jpg"),
        t.root().join("content/cocotte.maison/images/lancement.jpg"),
    )
    .unwrap();
    t.write(
        "content/cocotte.maison/news/lancement.md",
        "---\ntitle: Lancement secret\ndate: 2031-01-01\ntags: [Lancement]\n---\nBientôt.\n\n![La nouvelle salle](../images/lancement.jpg)\n",
    );
    t.write(
        "content/cocotte.maison/news/soldes.md",
        "---\ntitle: Soldes d'hiver\ndate: 2030-01-10\nexpiry_date: 2031-02-01T12:00:00+01:00\n---\nJusqu'au 1er février.\n",
    );
    let manifest = |t: &SiteTest| -> serde_json::Value {
        serde_json::from_str(&t.read(&format!("dist/{d}/manifest.json"))).unwrap()
    };
    let everything = |t: &SiteTest| -> String {
        t.output(d)
            .into_iter()
            .map(|(path, bytes)| format!("{path}\n{}\n", String::from_utf8_lossy(&bytes)))
            .collect()
    };
    let launch = "public/actualites/lancement/index.html";
    let sale = "public/actualites/soldes/index.html";

    t.run(&["--clock", "2030-12-31T23:00:00Z", "build", d])
        .success();
    let out = t.output(d);
    assert!(!out.contains_key(launch));
    assert!(out.contains_key(sale));
    let all = everything(&t);
    for trace in ["Lancement secret", "lancement", "tags/lancement"] {
        assert!(!all.contains(trace), "{trace} published before its date");
    }
    assert_eq!(manifest(&t)["next_change"], "2031-01-01T00:00:00Z");

    // --future previews it (images and all), and is an input of --changed.
    let future = changed(&t, d, &["--clock", "2030-12-31T23:00:00Z", "--future"]);
    assert_eq!(future["status"], "built");
    assert!(t.output(d).contains_key(launch));
    assert!(t
        .output(d)
        .keys()
        .any(|p| p.starts_with("public/assets/images/lancement-")));
    assert_eq!(
        manifest(&t)["next_change"],
        "2031-02-01T11:00:00Z",
        "the expiry is next"
    );

    // The instant passes: --changed builds again and the page is live.
    assert_eq!(
        changed(&t, d, &["--clock", "2031-01-01T00:00:00Z"])["status"],
        "built"
    );
    assert!(t.output(d).contains_key(launch));
    let news = String::from_utf8(t.output(d)["public/actualites/index.html"].clone()).unwrap();
    assert!(news.contains("Lancement secret"), "listed once live");
    assert!(t
        .read(&format!("dist/{d}/public/sitemap.xml"))
        .contains("/actualites/lancement/"));
    assert_eq!(manifest(&t)["next_change"], "2031-02-01T11:00:00Z");
    assert_eq!(
        changed(&t, d, &["--clock", "2031-01-01T00:00:00Z"])["status"],
        "unchanged"
    );

    // The expiry passes: the sale is taken down.
    assert_eq!(
        changed(&t, d, &["--clock", "2031-02-01T11:00:00Z"])["status"],
        "built"
    );
    assert!(!t.output(d).contains_key(sale));
    assert!(t.output(d).contains_key(launch));

    // publish_date wins over date: an event page dated ahead can go out now.
    t.edit(
        "content/cocotte.maison/news/lancement.md",
        "date: 2031-01-01\n",
        "date: 2031-01-01\npublish_date: 2030-06-01\n",
    );
    t.run(&["--clock", "2030-12-31T23:00:00Z", "build", d])
        .success();
    assert!(t.output(d).contains_key(launch));
}

/// A schedule that can never publish, or a date that is not one, is an
/// error at the file and line, and earlier output stays.
#[test]
fn a_schedule_that_cannot_be_is_an_error_at_its_line() {
    let t = SiteTest::demo();
    let d = "cocotte.maison";
    t.run(&["build", d]).success();
    let before = t.output(d);
    t.write(
        "content/cocotte.maison/news/soldes.md",
        "---\ntitle: Soldes\npublish_date: 2031-02-01\nexpiry_date: 2031-01-01\n---\nx\n",
    );
    let run = t.run(&["build", d]);
    run.failure();
    assert!(
        run.stderr.starts_with("error: content/cocotte.maison/news/soldes.md:4: expiry_date: 2031-01-01 is not after publish_date 2031-02-01: the page would never be published"),
        "{}",
        run.stderr
    );
    t.write(
        "content/cocotte.maison/news/soldes.md",
        "---\ntitle: Soldes\npublish_date: demain\n---\nx\n",
    );
    let run = t.run(&["build", d]);
    run.failure();
    assert!(
        run.stderr
            .starts_with("error: content/cocotte.maison/news/soldes.md:3:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("\"demain\" is not a date"),
        "{}",
        run.stderr
    );
    assert!(t.output(d) == before);
}

/// Issue 17 item 13: a tenant the platform API answers 404 for is a typo
/// (or a tenant who shares nothing): `new` refuses it and writes nothing.
#[test]
fn new_refuses_a_tenant_the_platform_does_not_know() {
    let t = SiteTest::demo();
    let api = FakeApi::start(&t.root().join("data/platform"));
    t.write(
        "sitegen.yaml",
        &format!(
            "output_dir: dist\nplatform:\n  api_base: {}\n  retries: 0\n  backoff_ms: 10\n",
            api.url
        ),
    );
    let before = t.files_under("sites");
    let run = t.run_env(
        &[
            "new",
            "typo.example",
            "--kind",
            "org-site",
            "--tenant",
            "org:cocote",
        ],
        &[("SITEGEN_PLATFORM_TOKEN", TOKEN)],
    );
    run.failure();
    assert!(
        run.stderr
            .starts_with("error: the platform has no public org \"cocote\": ")
            && run.stderr.contains("HTTP 404")
            && run.stderr.contains("check the slug in --tenant"),
        "{}",
        run.stderr
    );
    assert_eq!(t.files_under("sites"), before);
    assert!(!t.root().join("content/typo.example").exists());
    // The same tenant spelled right is created, and builds from the API.
    let run = t.run_env(
        &[
            "new",
            "cocotte-bis.example",
            "--kind",
            "org-site",
            "--tenant",
            "org:cocotte",
        ],
        &[("SITEGEN_PLATFORM_TOKEN", TOKEN)],
    );
    run.success();
    assert!(run.stdout.contains("it builds: "), "{}", run.stdout);
    // An alias that is the domain itself is refused.
    let run = t.run(&[
        "new",
        "x.example",
        "--kind",
        "org-site",
        "--tenant",
        "org:x",
        "--alias",
        "x.example",
    ]);
    run.failure();
    assert!(
        run.stderr
            .contains("--alias x.example is the site's own domain"),
        "{}",
        run.stderr
    );
}
