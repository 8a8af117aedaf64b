//! `sitegen check`: every demo site passes; broken links, fragments, alt
//! text, orphans and HTML errors are reported at the markdown line.

use crate::harness::SiteTest;

#[test]
fn every_demo_site_passes_check() {
    let t = SiteTest::demo();
    let run = t.run(&["check", "--all"]);
    run.success();
    for d in crate::harness::DEMO_DOMAINS {
        // Cocotte's snapshot carries a hostile link on purpose (the tenancy
        // tests show it dropped); check says so, as the build does.
        let warnings = usize::from(d == "cocotte.maison");
        assert!(
            run.stdout
                .contains(&format!("check {d}: 0 error(s), {warnings} warning(s)")),
            "{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("cocotte.maison: warning: [build] profile prof_c2: links[1].url dropped: only https, http, mailto, tel URLs are published\n"),
        "{}",
        run.stdout
    );
    assert!(!t.root().join("dist").exists(), "check builds in memory");
}

/// The about page of the `check-links` fixture has a link to no page, a link
/// to a missing fragment of a page that exists, an image without alt text
/// and unbalanced HTML.
#[test]
fn broken_links_fragments_alt_text_and_html_are_reported_at_their_line() {
    let t = SiteTest::from_dir("check-links");
    let about = "content/check-links.example/about.md";
    let line = t
        .read(about)
        .lines()
        .position(|l| l.contains("/equipe-old/"))
        .unwrap()
        + 1;
    let img_line = line + 2;
    let run = t.run(&["check", "check-links.example"]);
    run.failure();
    let out = &run.stdout;
    assert!(
        out.contains(&format!(
            "{about}:{line}: error: [links] /equipe-old/ (href) does not resolve to a page or file"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("{about}:{line}: error: [links] /services/#no-such-heading: no element with id \"no-such-heading\" on /services/")), "{out}");
    assert!(
        out.contains(&format!(
            "{about}:{img_line}: error: [alt-text] image /apple-touch-icon.png has no alt attribute"
        )),
        "{out}"
    );
    // The parse error is placed at the markdown line the bad HTML came
    // from, and quotes it with its line in the generated page.
    let div_line = line + 4;
    assert!(
        out.contains(&format!(
            "{about}:{div_line}: error: [html] HTML parse error on line "
        )) && out.contains(" of the generated page: ")
            && out.contains(
                "(`<div><span>unclosed</div>`): close every tag in the order it was opened"
            ),
        "{out}"
    );
    assert!(
        out.contains("check check-links.example: 4 error(s)"),
        "{out}"
    );
    assert!(run
        .stderr
        .ends_with("error: check failed: check-links.example\n"));

    // Levels come from sitegen.yaml.
    t.write(
        "sitegen.yaml",
        "check:\n  links: warn\n  alt_text: warn\n  html: off\n",
    );
    let run = t.run(&["check", "check-links.example"]);
    run.success();
    assert!(
        run.stdout
            .contains("check check-links.example: 0 error(s), 3 warning(s)"),
        "{}",
        run.stdout
    );

    // Bad HTML inside a paragraph is found at its line too, though the
    // generated line wraps it in <p>; a line a template wrote has none.
    t.write("sitegen.yaml", "check:\n  links: off\n  alt_text: off\n");
    t.edit(
        about,
        "Nothing else to report.",
        "Nothing else to report.\n\nA stray closing </em> tag in a paragraph.",
    );
    let stray = t
        .read(about)
        .lines()
        .position(|l| l.contains("stray closing"))
        .unwrap()
        + 1;
    let run = t.run(&["check", "check-links.example"]);
    run.failure();
    assert!(
        run.stdout.contains(&format!(
            "{about}:{stray}: error: [html] HTML parse error on line "
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn orphan_pages_warn_unless_marked_and_the_sitemap_matches_the_pages() {
    let t = SiteTest::demo();
    t.write(
        "content/cocotte.maison/hidden.md",
        "---\ntitle: Hidden\ndescription: Nobody links here.\n---\nHello.\n",
    );
    let run = t.run(&["check", "cocotte.maison"]);
    run.success();
    assert!(
        run.stdout.contains(
            "content/cocotte.maison/hidden.md:1: warning: [orphans] no page links to /hidden/"
        ),
        "{}",
        run.stdout
    );
    t.write("content/cocotte.maison/hidden.md", "---\ntitle: Hidden\ndescription: Nobody links here.\nsitemap: false\nextra:\n  orphan: true\n---\nHello.\n");
    let run = t.run(&["check", "cocotte.maison"]);
    run.success();
    assert!(
        run.stdout
            .contains("check cocotte.maison: 0 error(s), 1 warning(s)"),
        "{}",
        run.stdout
    );
}

/// A web server for external links: `/ok` (HEAD refused, GET 200), `/gone`
/// (404), `/slow/<n>` (200 after 300 ms). Counts requests per path and the
/// most requests in flight at once.
struct LinkServer {
    url: String,
    hits: std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, usize>>>,
    max_in_flight: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl LinkServer {
    fn start() -> LinkServer {
        use axum::http::{Method, StatusCode};
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, Mutex};
        let hits: Arc<Mutex<std::collections::BTreeMap<String, usize>>> = Arc::default();
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let (h, m) = (hits.clone(), max_in_flight.clone());
        let app = axum::Router::new().fallback(move |method: Method, uri: axum::http::Uri| {
            let (h, m, f) = (h.clone(), m.clone(), in_flight.clone());
            async move {
                let path = uri.path().to_string();
                *h.lock().unwrap().entry(path.clone()).or_default() += 1;
                let now = f.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                let status = if path == "/gone" {
                    StatusCode::NOT_FOUND
                } else if path == "/ok" && method == Method::HEAD {
                    StatusCode::METHOD_NOT_ALLOWED
                } else if path.starts_with("/slow/") {
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    StatusCode::OK
                } else {
                    StatusCode::OK
                };
                f.fetch_sub(1, Ordering::SeqCst);
                status
            }
        });
        let url = crate::harness::spawn_http(app);
        LinkServer {
            url,
            hits,
            max_in_flight,
        }
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    fn total(&self) -> usize {
        self.hits.lock().unwrap().values().sum()
    }
}

#[test]
fn external_links_are_checked_with_bounded_concurrency_and_a_cache() {
    let t = SiteTest::demo();
    let server = LinkServer::start();
    let u = &server.url;
    let about = "content/cocotte.maison/about.md";
    let slow: String = (0..16).map(|i| format!("[s{i}]({u}/slow/{i}) ")).collect();
    t.edit(
        about,
        "## Ce que les membres gardent",
        &format!("Read [this]({u}/ok), [that]({u}/gone), [old]({u}/stale) and [cached]({u}/cached-broken).\n\n{slow}\n\n## Ce que les membres gardent"),
    );
    let line = t
        .read(about)
        .lines()
        .position(|l| l.contains("/gone"))
        .unwrap()
        + 1;

    // The demo's own external links (Instagram, newsletter) answer from the
    // cache, as do two of ours: one broken a minute ago, one stale.
    t.run(&["build", "cocotte.maison"]).success();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut cache = serde_json::Map::new();
    for (path, bytes) in t.output("cocotte.maison") {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        for attr in ["href", "src"] {
            for v in crate::harness::attr_values(&html, attr) {
                if v.starts_with("http") && !v.starts_with(u.as_str()) {
                    cache.insert(v.to_string(), serde_json::json!([now, null]));
                }
            }
        }
    }
    assert!(cache.keys().any(|k| k.contains("instagram")), "{cache:?}");
    cache.insert(
        format!("{u}/cached-broken"),
        serde_json::json!([now - 60, "HTTP 410"]),
    );
    cache.insert(
        format!("{u}/stale"),
        serde_json::json!([now - 2 * 86_400, "HTTP 500"]),
    );
    t.write(
        ".sitegen/cache/links.json",
        &serde_json::to_string(&cache).unwrap(),
    );

    let run = t.run(&["check", "cocotte.maison", "--external"]);
    run.success(); // external findings are warnings by default
    let out = &run.stdout;
    assert!(
        out.contains(&format!(
            "{about}:{line}: warning: [external] {u}/gone: HTTP 404"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("warning: [external] {u}/cached-broken: HTTP 410")),
        "a cached answer is used: {out}"
    );
    assert!(
        !out.contains("/stale"),
        "a stale entry is asked again: {out}"
    );
    assert!(
        !out.contains(&format!("{u}/ok")),
        "GET after a refused HEAD: {out}"
    );
    assert!(!out.contains("/slow/"), "{out}");
    assert!(
        out.contains("check cocotte.maison: 0 error(s), 3 warning(s)"),
        "{out}"
    );
    assert_eq!(server.hits("/ok"), 2, "HEAD, then GET");
    assert_eq!(server.hits("/cached-broken"), 0);
    assert_eq!(server.hits("/stale"), 1);
    let peak = server
        .max_in_flight
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (2..=8).contains(&peak),
        "at most 8 requests in flight, saw {peak}"
    );

    // A second run within a day asks nothing; without --external, nothing either.
    let before = server.total();
    let again = t.run(&["check", "cocotte.maison", "--external"]);
    assert!(again.stdout.contains("3 warning(s)"), "{}", again.stdout);
    t.run(&["check", "cocotte.maison"]).success();
    assert_eq!(server.total(), before, "answers come from the cache");

    // `check.external: error` in sitegen.yaml makes a dead link fail the check.
    t.write(
        "sitegen.yaml",
        &format!("{}\ncheck:\n  external: error\n", t.read("sitegen.yaml")),
    );
    let strict = t.run(&["check", "cocotte.maison", "--external"]);
    strict.failure();
    assert!(
        strict
            .stdout
            .contains(&format!("error: [external] {u}/gone: HTTP 404")),
        "{}",
        strict.stdout
    );
}

/// Regression: content the site's Content-Security-Policy blocks (a
/// `style=` attribute, an event handler, a `javascript:` link, files from
/// elsewhere) passed `check` and broke in production.
#[test]
fn content_the_policy_blocks_is_reported_at_its_markdown_line() {
    // The about page of the `check-csp` fixture holds each case.
    let t = SiteTest::from_dir("check-csp");
    let about = "content/check-csp.example/about.md";
    let text = t.read(about);
    let line = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let run = t.run(&["check", "check-csp.example"]);
    run.failure();
    let out = &run.stdout;
    let want = [
        format!("{about}:{}: error: [csp] style=\"color: red\": the Content-Security-Policy (style-src 'self') blocks style attributes; use a class and a rule in the theme's CSS", line("Red words")),
        format!("{about}:{}: error: [csp] onclick=\"subscribe()\": the Content-Security-Policy (script-src) blocks event-handler attributes; scripts belong in a .js file of the theme", line("Subscribe")),
        format!("{about}:{}: error: [csp] javascript:alert(document.domain) (href): the Content-Security-Policy (script-src) blocks javascript: URLs", line("Say hello")),
        format!("{about}:{}: error: [csp] https://cdn.example/pixel.png (img src): the Content-Security-Policy (img-src 'self') blocks loading it; publish the file with the site", line("pixel.png")),
        format!("{about}:{}: error: [csp] https://video.example/embed/1 (iframe src): the Content-Security-Policy (default-src 'none') blocks embedding it; link to it instead", line("iframe")),
    ];
    for w in &want {
        assert!(out.contains(&format!("{w}\n")), "missing:\n{w}\nin:\n{out}");
    }
    // What the policy allows by hash (`<SCRIPT>` and `<STYLE>` too) is not
    // reported, nor is anything else.
    assert_eq!(out.matches("[csp]").count(), want.len(), "{out}");
    assert!(
        out.contains("check check-csp.example: 5 error(s), 0 warning(s)"),
        "{out}"
    );
}

/// Regression: the build found inline code by a case-sensitive string
/// search, so `<SCRIPT>` and `<STYLE>` in markdown had no hash in the policy
/// and were blocked in production (and `check` said to write them in
/// lowercase). Attributes never get a hash: `style=` and `onclick=` stay
/// blocked, with neither `'unsafe-hashes'` nor `'unsafe-inline'`.
#[test]
fn inline_code_in_any_case_is_hashed_and_attributes_never_are() {
    let t = SiteTest::from_dir("check-csp");
    t.run(&["build", "check-csp.example"]).success();
    let conf = t.read("dist/check-csp.example/nginx/check-csp.example.conf");
    let csp = conf
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("add_header Content-Security-Policy \"")
        })
        .and_then(|l| l.strip_suffix("\" always;"))
        .expect("a policy");
    let hash = crate::serve::sha256_source;
    let directive = |name: &str| -> Vec<String> {
        csp.split("; ")
            .find_map(|d| d.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in {csp}"))
            .split(' ')
            .map(str::to_string)
            .collect()
    };
    let mut styles = vec![
        "'self'".to_string(),
        hash(".allowed{color:blue}"),
        hash(".upper{color:green}"),
    ];
    styles[1..].sort();
    assert_eq!(directive("style-src"), styles, "{csp}");
    let mut scripts = vec![
        hash("console.log(\"allowed by its hash\")"),
        hash("track(\"about\")"),
    ];
    scripts.sort();
    assert_eq!(directive("script-src"), scripts, "{csp}");
    for never in ["unsafe-hashes", "unsafe-inline", "-attr"] {
        assert!(!csp.contains(never), "{never}: {csp}");
    }
    for attribute in ["color: red", "subscribe()"] {
        assert!(!csp.contains(&hash(attribute)), "{attribute}: {csp}");
    }
}

/// Regression: `check` walked the parsed page recursively and aborted with a
/// stack overflow on markdown nesting 20,000 `<div>`s, which `build` handles.
#[test]
fn deeply_nested_html_is_checked_without_overflowing_the_stack() {
    let t = SiteTest::demo();
    t.write(
        "content/cocotte.maison/deep.md",
        &format!(
            "---\ntitle: Deep\ndescription: Nested\nextra: {{orphan: true}}\n---\n{}x{}\n",
            "<div>".repeat(20_000),
            "</div>".repeat(20_000)
        ),
    );
    let run = t.run(&["check", "cocotte.maison"]);
    run.success();
    assert!(
        run.stdout.contains("check cocotte.maison: 0 error(s)"),
        "{}",
        run.stdout
    );
}

/// Issue 17 item 4: findings about content images carry the markdown line
/// (they had only the file), a missing image is a build error at its line,
/// and starter copy `sitegen new` wrote and nobody replaced is a warning at
/// each line that still has it.
#[test]
fn image_findings_have_their_line_and_starter_copy_left_in_place_warns() {
    let t = SiteTest::demo();
    let about = "content/cocotte.maison/about.md";
    t.edit(
        about,
        "![Le salon du studio de la Croix-Rousse\u{a0}: lumière douce, deux fauteuils et une table basse](images/studio.jpg)",
        "![](images/studio.jpg)",
    );
    let line = t
        .read(about)
        .lines()
        .position(|l| l == "![](images/studio.jpg)")
        .unwrap()
        + 1;
    let run = t.run(&["check", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stdout.contains(&format!(
            "{about}:{line}: error: [alt-text] image /assets/images/studio-960."
        )) && run.stdout.contains(&format!(
            "{about}:{line}: warning: [build] image images/studio.jpg has no alt text"
        )),
        "{}",
        run.stdout
    );
    let run = t.run(&["build", "cocotte.maison", "--strict"]);
    run.failure();
    assert!(
        run.stderr.starts_with(&format!(
            "error: {about}:{line}: image images/studio.jpg has no alt text"
        )),
        "{}",
        run.stderr
    );
    t.edit(
        about,
        "![](images/studio.jpg)",
        "![Le salon](images/absent.jpg)",
    );
    let run = t.run(&["check", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.starts_with(&format!(
            "error: {about}:{line}: image \"images/absent.jpg\" does not exist"
        )),
        "{}",
        run.stderr
    );

    // A new site is all starter copy: each line of it is a warning.
    t.run(&[
        "new",
        "merche-biche.com",
        "--kind",
        "provider-site",
        "--tenant",
        "person:quinn-avery",
    ])
    .success();
    let run = t.run(&["check", "merche-biche.com"]);
    run.success();
    let yaml = t.read("sites/merche-biche.com/site.yaml");
    let tagline = yaml.lines().position(|l| l.contains("tagline:")).unwrap() + 1;
    assert!(
        run.stdout.contains(&format!(
            "sites/merche-biche.com/site.yaml:{tagline}: warning: [placeholder] starter copy left in place (\"Replace with\"…): write the brand's own words"
        )) && run.stdout.contains(
            "content/merche-biche.com/_index.md:5: warning: [placeholder] starter copy left in place (\"Write two or three sentences here\"…)"
        ),
        "{}",
        run.stdout
    );
    let placeholders = run.stdout.matches("[placeholder]").count();
    assert!(placeholders >= 9, "{placeholders}: {}", run.stdout);
    // The rule has a level like the others.
    t.write("sitegen.yaml", "check:\n  placeholder: error\n");
    t.run(&["check", "merche-biche.com"]).failure();
    t.write("sitegen.yaml", "check:\n  placeholder: off\n");
    let run = t.run(&["check", "merche-biche.com"]);
    run.success();
    assert!(!run.stdout.contains("[placeholder]"), "{}", run.stdout);
}

/// Markup a template writes on every page (a broken link in the footer)
/// was one finding per page, each at a content file without a line; it is
/// one finding at the template's line, saying on how many pages it is.
#[test]
fn a_finding_from_a_template_is_one_finding_at_the_template() {
    let t = SiteTest::demo();
    let footer = "templates/_base/partials/footer.html";
    t.edit(
        footer,
        "      <li><a href=\"{{ url_for('/sitemap/') }}\">",
        "      <li><a href=\"/missing-from-template/\">x</a></li>\n      <li><a href=\"{{ url_for('/sitemap/') }}\">",
    );
    let line = t
        .read(footer)
        .lines()
        .position(|l| l.contains("/missing-from-template/"))
        .unwrap()
        + 1;
    let run = t.run(&["check", "cocotte.maison"]);
    run.failure();
    let prefix = format!(
        "{footer}:{line}: error: [links] /missing-from-template/ (href) does not resolve to a page or file (on "
    );
    assert_eq!(
        run.stdout.matches("/missing-from-template/").count(),
        1,
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&prefix), "{}", run.stdout);
    assert!(
        run.stdout.contains("check cocotte.maison: 1 error(s)"),
        "{}",
        run.stdout
    );
}
