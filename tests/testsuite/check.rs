//! `sitegen check`: every demo site passes; broken links, fragments, alt
//! text, orphans and HTML errors are reported at the markdown line.

use crate::harness::SiteTest;

#[test]
fn every_demo_site_passes_check() {
    let t = SiteTest::demo();
    let run = t.run(&["check", "--all"]);
    run.success();
    for d in crate::harness::DEMO_DOMAINS {
        assert!(
            run.stdout
                .contains(&format!("check {d}: 0 error(s), 0 warning(s)")),
            "{}",
            run.stdout
        );
    }
    assert!(!t.root().join("dist").exists(), "check builds in memory");
}

#[test]
fn broken_links_fragments_alt_text_and_html_are_reported_at_their_line() {
    let t = SiteTest::demo();
    let about = "content/cocotte.maison/about.md";
    t.edit(
        about,
        "## What members keep",
        "See [the old team page](/equipe-old/) and [prices](/services/#no-such-heading).\n\n<img src=\"/favicon.svg\">\n\n<div><span>unclosed</div>\n\n## What members keep",
    );
    let line = t
        .read(about)
        .lines()
        .position(|l| l.contains("/equipe-old/"))
        .unwrap()
        + 1;
    let img_line = line + 2;
    let run = t.run(&["check", "cocotte.maison"]);
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
            "{about}:{img_line}: error: [alt-text] image /favicon.svg has no alt attribute"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("{about}: error: [html] HTML parse error:")),
        "{out}"
    );
    assert!(out.contains("check cocotte.maison: 4 error(s)"), "{out}");
    assert!(run
        .stderr
        .ends_with("error: check failed: cocotte.maison\n"));

    // Levels come from sitegen.yaml.
    t.write(
        "sitegen.yaml",
        "check:\n  links: warn\n  alt_text: warn\n  html: off\n",
    );
    let run = t.run(&["check", "cocotte.maison"]);
    run.success();
    assert!(
        run.stdout
            .contains("check cocotte.maison: 0 error(s), 3 warning(s)"),
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
            "content/cocotte.maison/hidden.md: warning: [orphans] no page links to /hidden/"
        ),
        "{}",
        run.stdout
    );
    t.write("content/cocotte.maison/hidden.md", "---\ntitle: Hidden\ndescription: Nobody links here.\nsitemap: false\nextra:\n  orphan: true\n---\nHello.\n");
    let run = t.run(&["check", "cocotte.maison"]);
    run.success();
    assert!(
        run.stdout
            .contains("check cocotte.maison: 0 error(s), 0 warning(s)"),
        "{}",
        run.stdout
    );
}
