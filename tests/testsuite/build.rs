//! Building the demo sites: real content, nav, canonical URLs, JSON-LD,
//! sitemap, atomic output and byte-identical rebuilds.

use crate::harness::{attr_values, json_ld, title, tree, SiteTest, DEMO_DOMAINS};

#[test]
fn every_demo_site_builds_with_all() {
    let t = SiteTest::demo();
    let run = t.run(&["build", "--all"]);
    run.success();
    for domain in DEMO_DOMAINS {
        assert!(
            run.stdout.contains(&format!("built {domain}: ")),
            "{}",
            run.stdout
        );
        let out = t.output(domain);
        for required in [
            "public/index.html",
            "public/404.html",
            "public/sitemap.xml",
            "public/robots.txt",
            "manifest.json",
        ] {
            assert!(out.contains_key(required), "{domain} lacks {required}");
        }
        assert_eq!(
            t.page(domain, "robots.txt"),
            format!("User-agent: *\nAllow: /\n\nSitemap: https://{domain}/sitemap.xml\n")
        );
    }
    assert!(run.stdout.contains("4 of 4 sites built"), "{}", run.stdout);
}

#[test]
fn org_site_pages_have_titles_nav_canonical_and_organization_json_ld() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let home = t.page("cocotte.maison", "index.html");
    assert_eq!(
        title(&home),
        "Cocotte — Une maison lyonnaise de coachs en intimité et de praticiens du toucher indépendants"
    );
    assert!(home.contains("<html lang=\"fr-FR\">"));
    assert!(home.contains("<link rel=\"canonical\" href=\"https://cocotte.maison/\">"));
    assert!(home.contains("<a class=\"skip-link\" href=\"#main\">"));
    assert!(home.contains("<main id=\"main\""));
    let hrefs = attr_values(&home, "href");
    for nav in [
        "/a-propos/",
        "/members/",
        "/prestations/",
        "/actualites/",
        "/contact/",
    ] {
        assert!(hrefs.contains(&nav), "nav link {nav} missing");
    }
    let en_home = t.page("cocotte.maison", "en/index.html");
    let en_hrefs = attr_values(&en_home, "href");
    for nav in [
        "/en/about/",
        "/en/members/",
        "/en/services/",
        "/en/news/",
        "/en/contact/",
    ] {
        assert!(en_hrefs.contains(&nav), "English nav link {nav} missing");
    }
    let ld = json_ld(&home);
    assert_eq!(ld[0]["@type"], "Organization");
    assert_eq!(ld[0]["url"], "https://cocotte.maison/");
    let members: Vec<&str> = ld[0]["member"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["Inès Caradec", "Jules Marchand", "Margot Lune"]);

    let about = t.page("cocotte.maison", "a-propos/index.html");
    assert_eq!(title(&about), "À propos de la maison · Cocotte");
    assert!(about.contains("<a href=\"/a-propos/\" aria-current=\"page\">À propos</a>"));
    assert!(about.contains("<h2 id=\"a-quoi-sert-une-maison\">À quoi sert une maison <a class=\"anchor\" href=\"#a-quoi-sert-une-maison\""));
    assert!(
        about.contains("<meta property=\"og:url\" content=\"https://cocotte.maison/a-propos/\">")
    );
    let about = t.page("cocotte.maison", "en/about/index.html");
    assert_eq!(title(&about), "About the house · Cocotte");
    assert!(about.contains("<a href=\"/en/about/\" aria-current=\"page\">About</a>"));
    assert!(about.contains("<h2 id=\"what-a-house-is-for\">What a house is for <a class=\"anchor\" href=\"#what-a-house-is-for\""));
    assert!(
        about.contains("<meta property=\"og:url\" content=\"https://cocotte.maison/en/about/\">")
    );

    let member = t.page("cocotte.maison", "members/margot-lune/index.html");
    assert!(member.contains("<h1>Margot Lune</h1>"));
    let ld = json_ld(&member);
    assert_eq!(ld[1]["@type"], "ProfilePage");
    assert_eq!(ld[1]["mainEntity"]["@type"], "Person");
    assert_eq!(
        ld[1]["mainEntity"]["memberOf"]["@id"],
        "https://cocotte.maison/#org"
    );

    let services = t.page("cocotte.maison", "prestations/index.html");
    assert!(services.contains("<table>"), "tables render");
    assert!(services.contains("type=\"checkbox\""), "task lists render");
    assert!(services.contains("footnote"), "footnotes render");

    let news = t.page("cocotte.maison", "actualites/index.html");
    let first = news.find("Portes ouvertes de printemps").unwrap();
    let second = news.find("les cinq premières minutes").unwrap();
    assert!(first < second, "news is newest first");
    assert!(!news.contains("en chiffres, 2026"), "drafts are not listed");
    let news = t.page("cocotte.maison", "en/news/index.html");
    let first = news.find("Spring open house").unwrap();
    let second = news.find("the first five minutes").unwrap();
    assert!(first < second, "news is newest first");
    assert!(!news.contains("in numbers, 2026"), "drafts are not listed");
}

#[test]
fn other_org_site_uses_its_own_theme_and_palette() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison", "sansonnet.maison"])
        .success();
    let css_of = |domain: &str| {
        let home = t.page(domain, "index.html");
        let href = attr_values(&home, "href")
            .into_iter()
            .find(|h| h.ends_with(".css"))
            .unwrap()
            .to_string();
        t.page(domain, href.trim_start_matches('/'))
    };
    let cocotte = css_of("cocotte.maison");
    let sansonnet = css_of("sansonnet.maison");
    assert!(cocotte.contains("--color-primary:#8a3219;"));
    assert!(sansonnet.contains("--color-primary:#ffb86b;"));
    assert!(sansonnet.contains("color-scheme:dark"), "nocturne theme");
    assert!(!cocotte.contains("color-scheme:dark"), "atelier theme");
}

#[test]
fn tour_site_has_schedule_city_pages_and_events() {
    let t = SiteTest::demo();
    t.run(&["build", "adulttherapytour.com"]).success();
    let schedule = t.page("adulttherapytour.com", "tour/index.html");
    let events: Vec<_> = json_ld(&schedule)
        .into_iter()
        .filter(|e| e["@type"] == "Event")
        .collect();
    assert_eq!(events.len(), 8);
    assert_eq!(
        events[0]["location"]["address"]["addressLocality"],
        "Lisbon"
    );
    let brussels = events
        .iter()
        .find(|e| e["location"]["address"]["addressLocality"] == "Brussels")
        .unwrap();
    assert_eq!(brussels["eventStatus"], "https://schema.org/EventCancelled");
    assert!(schedule.contains("<a href=\"/tour/lyon/\">Lyon</a>, France"));

    let lyon = t.page("adulttherapytour.com", "tour/lyon/index.html");
    assert!(lyon.contains("<h1>Lyon</h1>"));
    assert!(lyon.contains("Le Périscope"));
    assert!(lyon.contains("https://tickets.example/att/lyon"));
    // The tenant, the tour as a series, then the leg's Event.
    let ld = json_ld(&lyon);
    assert_eq!(ld[2]["@type"], "Event");
    assert_eq!(ld[2]["startDate"], "2027-04-02");
    assert_eq!(ld[2]["url"], "https://adulttherapytour.com/tour/lyon/");
    assert!(t
        .page("adulttherapytour.com", "faq/index.html")
        .contains("Can I get a refund?"));
}

#[test]
fn provider_site_has_person_profile_gallery_and_links() {
    let t = SiteTest::demo();
    t.run(&["build", "transquinnftw.com"]).success();
    let home = t.page("transquinnftw.com", "index.html");
    let ld = json_ld(&home);
    assert_eq!(ld[0]["@type"], "Person");
    assert_eq!(ld[0]["jobTitle"], "Illustrator and style coach");
    assert!(home.contains("Style coaching (90 minutes)"));
    let gallery = t.page("transquinnftw.com", "gallery/index.html");
    assert!(gallery.contains(
        "alt=\"Line drawing of a person with short curly hair looking over their shoulder\""
    ));
    assert!(t
        .output("transquinnftw.com")
        .contains_key("public/gallery/self-portrait.svg"));
    let links = t.page("transquinnftw.com", "links/index.html");
    assert!(links.contains("https://cal.example/quinn"));
}

#[test]
fn sitemap_lists_every_published_page_and_nothing_else() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let sitemap = t.page("cocotte.maison", "sitemap.xml");
    let locs: Vec<&str> = sitemap
        .split("<loc>")
        .skip(1)
        .map(|s| &s[..s.find("</loc>").unwrap()])
        .collect();
    assert_eq!(
        locs,
        [
            "https://cocotte.maison/",
            "https://cocotte.maison/a-propos/",
            "https://cocotte.maison/actualites/",
            "https://cocotte.maison/actualites/bienvenue-ines/",
            "https://cocotte.maison/actualites/les-cinq-premieres-minutes/",
            "https://cocotte.maison/actualites/permanence-juridique/",
            "https://cocotte.maison/actualites/portes-ouvertes-de-printemps/",
            "https://cocotte.maison/contact/",
            "https://cocotte.maison/en/",
            "https://cocotte.maison/en/about/",
            "https://cocotte.maison/en/contact/",
            "https://cocotte.maison/en/legal/",
            "https://cocotte.maison/en/members/",
            "https://cocotte.maison/en/members/ines-caradec/",
            "https://cocotte.maison/en/members/jules-marchand/",
            "https://cocotte.maison/en/members/margot-lune/",
            "https://cocotte.maison/en/news/",
            "https://cocotte.maison/en/news/consent-workshop/",
            "https://cocotte.maison/en/news/spring-open-house/",
            "https://cocotte.maison/en/news/welcome-ines/",
            "https://cocotte.maison/en/services/",
            "https://cocotte.maison/en/sitemap/",
            "https://cocotte.maison/en/tags/",
            "https://cocotte.maison/en/tags/consent/",
            "https://cocotte.maison/en/tags/events/",
            "https://cocotte.maison/en/tags/members/",
            "https://cocotte.maison/en/tags/open-house/",
            "https://cocotte.maison/en/tags/workshops/",
            "https://cocotte.maison/legal/",
            "https://cocotte.maison/members/",
            "https://cocotte.maison/members/ines-caradec/",
            "https://cocotte.maison/members/jules-marchand/",
            "https://cocotte.maison/members/margot-lune/",
            "https://cocotte.maison/prestations/",
            "https://cocotte.maison/sitemap/",
            "https://cocotte.maison/tags/",
            "https://cocotte.maison/tags/ateliers/",
            "https://cocotte.maison/tags/consentement/",
            "https://cocotte.maison/tags/evenements/",
            "https://cocotte.maison/tags/membres/",
            "https://cocotte.maison/tags/portes-ouvertes/",
            "https://cocotte.maison/tags/vie-de-la-maison/",
        ]
    );
    // Every listed URL exists as a page, and every HTML page but 404 is listed.
    let out = t.output("cocotte.maison");
    let pages: Vec<String> = out
        .keys()
        .filter(|k| k.ends_with("index.html"))
        .map(|k| {
            format!(
                "https://cocotte.maison/{}",
                k.trim_start_matches("public/")
                    .trim_end_matches("index.html")
            )
        })
        .collect();
    assert_eq!(pages.len(), locs.len());
    for p in &pages {
        assert!(locs.contains(&p.as_str()), "{p} missing from sitemap");
    }
    assert!(sitemap.contains("<lastmod>2026-02-20</lastmod>"));
}

#[test]
fn drafts_are_built_only_with_the_flag() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let drafts = [
        "public/actualites/la-maison-en-chiffres-2026/index.html",
        "public/en/news/annual-report-draft/index.html",
    ];
    for draft in drafts {
        assert!(!t.output("cocotte.maison").contains_key(draft), "{draft}");
    }
    t.run(&["build", "cocotte.maison", "--drafts"]).success();
    for draft in drafts {
        assert!(t.output("cocotte.maison").contains_key(draft), "{draft}");
    }
}

#[test]
fn builds_are_byte_identical() {
    let t = SiteTest::demo();
    t.run(&["build", "--all", "--out", "first"]).success();
    t.run(&["build", "--all", "--out", "second"]).success();
    let first = tree(&t.root().join("first"));
    let second = tree(&t.root().join("second"));
    assert!(first.len() > 40);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(bytes == &second[path], "{path} differs between builds");
    }
}

#[test]
fn manifest_lists_every_file_with_size_and_hash() {
    let t = SiteTest::demo();
    t.run(&["build", "transquinnftw.com"]).success();
    let manifest: serde_json::Value =
        serde_json::from_str(&t.read("dist/transquinnftw.com/manifest.json")).unwrap();
    let out = t.output("transquinnftw.com");
    let files = manifest["files"].as_array().unwrap();
    let public = out.keys().filter(|p| p.starts_with("public/")).count();
    assert_eq!(files.len(), public, "every public file");
    assert_eq!(
        out.keys()
            .filter(|p| !p.starts_with("public/"))
            .collect::<Vec<_>>(),
        [
            "manifest.json",
            "nginx/sitegen-http.conf",
            "nginx/transquinnftw.com.conf"
        ],
        "beside public/: the manifest and the nginx config"
    );
    for f in files {
        let bytes = &out[&format!("public/{}", f["path"].as_str().unwrap())];
        assert_eq!(f["bytes"].as_u64().unwrap() as usize, bytes.len());
        assert_eq!(
            f["sha256"].as_str().unwrap(),
            sitegen::digest::sha256_hex(bytes)
        );
    }
}

#[test]
fn custom_404_page_is_used() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison", "adulttherapytour.com"])
        .success();
    assert!(t
        .page("cocotte.maison", "404.html")
        .contains("<h1>Cette page a déménagé</h1>"));
    assert!(t
        .page("cocotte.maison", "en/404.html")
        .contains("<h1>This page has moved out</h1>"));
    assert!(t
        .page("adulttherapytour.com", "404.html")
        .contains("<h1>Page not found</h1>"));
}

#[test]
fn list_shows_domain_kind_tenant_theme() {
    let t = SiteTest::demo();
    let run = t.run(&["list"]);
    run.success();
    insta::assert_snapshot!(run.stdout, @r"
    adulttherapytour.com         tour-site      person:ada-marlowe       affiche
    cocotte.maison               org-site       org:cocotte              atelier
    sansonnet.maison             org-site       org:sansonnet            nocturne
    transquinnftw.com            provider-site  person:quinn-avery       studio
    ");
}

#[test]
fn site_override_template_wins_over_theme_and_kind() {
    let t = SiteTest::demo();
    t.write(
        "sites/cocotte.maison/templates/page.html",
        "{% extends \"base.html\" %}{% block main %}<p class=\"override\">{{ page.title }}</p>{% endblock %}",
    );
    t.write(
        "themes/atelier/templates/section.html",
        "{% extends \"base.html\" %}{% block main %}<p class=\"theme-section\">{{ page.title }}</p>{% endblock %}",
    );
    t.run(&["build", "cocotte.maison", "transquinnftw.com"])
        .success();
    assert!(t
        .page("cocotte.maison", "a-propos/index.html")
        .contains("<p class=\"override\">À propos de la maison</p>"));
    assert!(t
        .page("cocotte.maison", "actualites/index.html")
        .contains("<p class=\"theme-section\">Actualités</p>"));
    // The override is the site's own: another site keeps the kind's page.html.
    assert!(!t
        .page("transquinnftw.com", "contact/index.html")
        .contains("override"));
}

/// Regression (issue 12, item 12): accented and non-Latin text was mangled in
/// slugs (`Cœur` → `c-ur`, `Straße` → `stra-e`, `Łódź` → `od`); a tour leg in
/// `東京` failed with "would escape the site's output folder", and two such
/// legs both got `/tour/-2027-03-05/`.
#[test]
fn tour_legs_in_any_script_get_readable_unique_urls() {
    let t = SiteTest::demo();
    let tours = "data/platform/ada-marlowe/tours.json";
    t.edit(tours, "\"city\": \"Lisbon\"", "\"city\": \"東京\"");
    t.edit(tours, "\"city\": \"Madrid\"", "\"city\": \"東京\"");
    t.edit(tours, "\"city\": \"Lyon\"", "\"city\": \"Łódź\"");
    // Nothing in these names transliterates: the leg's record id is the URL.
    t.edit(tours, "\"city\": \"Brussels\"", "\"city\": \"★\"");
    t.edit(tours, "\"city\": \"Amsterdam\"", "\"city\": \"🏙️\"");
    // The same city on the same day twice: the second gets a counter.
    t.edit(
        tours,
        "\"city\": \"Berlin\", \"country\": \"Germany\"",
        "\"city\": \"Zürich\", \"country\": \"Switzerland\"",
    );
    t.edit(tours, "\"2027-05-14\"", "\"2027-06-11\"");
    t.run(&["build", "adulttherapytour.com"]).success();

    let schedule = t.page("adulttherapytour.com", "tour/index.html");
    let legs: Vec<&str> = attr_values(&schedule, "href")
        .into_iter()
        .filter(|h| h.starts_with("/tour/") && *h != "/tour/" && !h.ends_with(".ics"))
        .collect();
    for url in [
        "/tour/dong-jing-2027-03-05/",
        "/tour/dong-jing-2027-03-19/",
        "/tour/lodz/",
        "/tour/leg-04/",
        "/tour/leg-05/",
        "/tour/zurich-2027-06-11/",
        "/tour/zurich-2027-06-11-2/",
    ] {
        assert!(legs.contains(&url), "{url} not in {legs:?}");
    }
    let mut unique = legs.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 8, "one URL per leg: {legs:?}");

    let tokyo = t.page(
        "adulttherapytour.com",
        "tour/dong-jing-2027-03-05/index.html",
    );
    assert!(tokyo.contains("<h1>東京</h1>"), "{tokyo}");
    assert!(tokyo.contains("Teatro do Bairro"));
    assert!(t
        .page("adulttherapytour.com", "tour/lodz/index.html")
        .contains("<h1>Łódź</h1>"));
    let star = t.page("adulttherapytour.com", "tour/leg-04/index.html");
    assert!(star.contains("<h1>★</h1>"), "{star}");
    assert_eq!(
        json_ld(&star)[2]["url"],
        "https://adulttherapytour.com/tour/leg-04/"
    );
}

/// The same transliteration names heading anchors and tag pages.
#[test]
fn headings_and_tags_in_any_script_get_transliterated_slugs() {
    let t = SiteTest::demo();
    t.edit(
        "content/cocotte.maison/about.md",
        "weight: 1",
        "weight: 1\ntags: [Straße, Łódź, \"東京\"]",
    );
    let about = t.read("content/cocotte.maison/about.md");
    t.write(
        "content/cocotte.maison/about.md",
        &format!("{about}\n## Cœur de Lyon\n\nText.\n\n## Ærø ♥\n\nMore.\n"),
    );
    t.run(&["build", "cocotte.maison"]).success();
    let page = t.page("cocotte.maison", "a-propos/index.html");
    assert!(page.contains("<h2 id=\"coeur-de-lyon\">"), "{page}");
    assert!(page.contains("<h2 id=\"aero\">"), "{page}");
    for tag in ["strasse", "lodz", "dong-jing"] {
        let html = t.page("cocotte.maison", &format!("tags/{tag}/index.html"));
        assert!(html.contains("/a-propos/"), "{tag}: {html}");
    }
}

/// Issue 17, item 9: `sitegen list | head -1` ended with "failed printing to
/// stdout: Broken pipe" and a panic's backtrace once head had its line.
#[test]
fn output_into_a_pipe_whose_reader_has_gone_ends_quietly() {
    let t = SiteTest::demo();
    for args in [&["list"][..], &["build", "--all", "--json"][..]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sitegen"))
            .args(args)
            .current_dir(t.root())
            .env_remove("SITEGEN_LOG")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes before the first line is written, as head does
        // after its line.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

/// Issue 17, item 9: an invalid `SITEGEN_LOG` was silently the default, and
/// log lines carried colour codes into files and pipes.
#[test]
fn sitegen_log_must_parse_and_logs_into_a_pipe_have_no_colour() {
    let t = SiteTest::demo();
    let run = t.run_env(&["list"], &[("SITEGEN_LOG", "sitegen===debug")]);
    run.failure();
    assert!(
        run.stderr
            .starts_with("error: SITEGEN_LOG=\"sitegen===debug\" is not a log filter"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    // A misspelt level is not read as a target name (which logs nothing).
    for spec in ["debgu", "sitegen=debug,garbage"] {
        let run = t.run_env(&["list"], &[("SITEGEN_LOG", spec)]);
        run.failure();
        assert!(
            run.stderr
                .contains("is not a level (off, error, warn, info, debug, trace) nor target=level"),
            "{spec}: {}",
            run.stderr
        );
    }
    let run = t.run_env(&["list"], &[("SITEGEN_LOG", "WARN,sitegen=info")]);
    run.success();
    let run = t.run_env(&["build", "cocotte.maison"], &[("SITEGEN_LOG", "debug")]);
    run.success();
    assert!(run.stderr.contains("DEBUG"), "{}", run.stderr);
    assert!(
        !run.stderr.contains('\x1b'),
        "colour codes in a pipe: {:?}",
        run.stderr
    );
}

/// Issue 17, item 9: `-v` says what each stage of a build did and how long
/// it took; without it, none of that.
#[test]
fn verbose_builds_say_what_each_stage_did_and_how_long_it_took() {
    let t = SiteTest::demo();
    let run = t.run(&["-v", "build", "cocotte.maison"]);
    run.success();
    for stage in [
        "cocotte.maison: content: 21 markdown pages (",
        "cocotte.maison: platform data: 3 public profiles, 0 tours (",
        "cocotte.maison: css, static files and icons: ",
        "cocotte.maison: render: 44 pages (",
        "cocotte.maison: images: ",
        "cocotte.maison: social cards: ",
        "cocotte.maison: write (",
    ] {
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains(stage))
            .unwrap_or_else(|| panic!("no {stage:?} in {}", run.stderr));
        assert!(
            line.starts_with(" INFO ") && line.ends_with(" ms)"),
            "{line}"
        );
    }
    let run = t.run(&["build", "cocotte.maison"]);
    run.success();
    assert!(!run.stderr.contains(" INFO "), "{}", run.stderr);
}

/// Issue 17 item 8: `--version` names the commit sitegen was built from,
/// and `completions` prints a script for the shell, from any folder.
#[test]
fn version_names_the_commit_and_completions_need_no_workspace() {
    let t = SiteTest::demo();
    let run = t.run(&["--version"]);
    run.success();
    let manifest_dir = env!("CARGO_MANIFEST_DIR");
    let head = std::process::Command::new("git")
        .args(["-C", manifest_dir, "rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let expected = match head {
        Some(hash) => format!("sitegen {} ({hash} ", env!("CARGO_PKG_VERSION")),
        None => format!("sitegen {} (no git commit)", env!("CARGO_PKG_VERSION")),
    };
    assert!(
        run.stdout.starts_with(&expected),
        "{} vs {expected}",
        run.stdout
    );

    let elsewhere = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "_sitegen()"),
        ("zsh", "#compdef sitegen"),
        ("fish", "complete -c sitegen"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitegen"))
            .args(["completions", shell])
            .current_dir(elsewhere.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("serve") && script.contains("--drafts"),
            "{shell}"
        );
    }
}

/// Issue 17 item 10: sitegen finds its workspace from any folder inside
/// it, as git and cargo do, and names files as the workspace does.
#[test]
fn sitegen_runs_from_any_folder_inside_the_workspace() {
    let t = SiteTest::demo();
    let inside = t.root().join("content/cocotte.maison/news");
    let sitegen = |args: &[&str], dir: &std::path::Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitegen"))
            .args(args)
            .current_dir(dir)
            .env_remove("SITEGEN_LOG")
            .env_remove("SITEGEN_PLATFORM_API")
            .env_remove("SITEGEN_PLATFORM_TOKEN")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, _) = sitegen(&["list"], &inside);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("cocotte.maison") && stdout.contains("transquinnftw.com"),
        "{stdout}"
    );
    let (code, stdout, stderr) = sitegen(&["build", "cocotte.maison"], &inside);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("→ dist/cocotte.maison/public"), "{stdout}");
    assert!(t
        .root()
        .join("dist/cocotte.maison/public/index.html")
        .is_file());
    assert!(!inside.join("dist").exists());
    // Errors name files from the workspace root, as the editor shows them.
    t.edit("content/cocotte.maison/about.md", "weight: 1", "wieght: 1");
    let (code, _, stderr) = sitegen(&["build", "cocotte.maison"], &inside);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("error: content/cocotte.maison/about.md:"),
        "{stderr}"
    );
    t.edit("content/cocotte.maison/about.md", "wieght: 1", "weight: 1");
    // A relative --out is where the command was run.
    let (code, _, stderr) = sitegen(&["build", "cocotte.maison", "--out", "here"], &inside);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(inside
        .join("here/cocotte.maison/public/index.html")
        .is_file());
    // Inside a site's folder, that site is meant when none is named (as
    // cargo means the package of the current folder); elsewhere one must
    // be named.
    std::fs::remove_dir_all(t.root().join("dist")).unwrap();
    let (code, stdout, stderr) = sitegen(&["build"], &inside);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("built cocotte.maison:"), "{stdout}");
    assert_eq!(
        std::fs::read_dir(t.root().join("dist")).unwrap().count(),
        1,
        "that site only"
    );
    let (code, stdout, stderr) = sitegen(&["check"], &t.root().join("sites/sansonnet.maison"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("check sansonnet.maison: 0 error(s)"),
        "{stdout}"
    );
    let (code, _, stderr) = sitegen(&["build"], &t.root().join("content"));
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("error: name the sites to build, or give --all"),
        "{stderr}"
    );
    // Outside any workspace: a clear error.
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, _, stderr) = sitegen(&["list"], elsewhere.path());
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("is not a sitegen workspace")
            && stderr.contains("any folder below it works too"),
        "{stderr}"
    );
}
