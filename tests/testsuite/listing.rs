//! Listings: sections and tag pages paginated, tags, prev/next, latest().

use crate::harness::{attr_values, SiteTest};

/// Adds a `blog` section of `n` dated posts to cocotte.maison: post `i` is
/// dated `i` days into 2026 (so post n-1 is the newest) and tagged "Rust"
/// (every post; spelled "rust" on odd ones) and "Week k".
fn blog(t: &SiteTest, n: usize) {
    t.write(
        "content/cocotte.maison/blog/_index.md",
        "---\ntitle: Blog\ndescription: Every post.\n---\nThe intro paragraph.\n",
    );
    for i in 0..n {
        let day = time_day(i);
        let rust = if i % 2 == 1 { "rust" } else { "Rust" };
        t.write(
            &format!("content/cocotte.maison/blog/post-{i:02}.md"),
            &format!(
                "---\ntitle: Post {i:02}\ndescription: Post number {i}.\ndate: {day}\ntags: [{rust}, Week {}]\n---\nBody of post {i}.\n",
                i / 7
            ),
        );
    }
}

fn time_day(i: usize) -> String {
    let month = 1 + i / 28;
    let day = 1 + i % 28;
    format!("2026-{month:02}-{day:02}")
}

/// The post titles a listing page shows, in order.
fn titles(html: &str) -> Vec<String> {
    html.match_indices(">Post ")
        .map(|(i, _)| &html[i + 1..])
        .filter(|s| s.as_bytes().get(7) == Some(&b'<'))
        .map(|s| s[..7].to_string())
        .collect()
}

#[test]
fn sections_are_paginated_by_twenty_with_links_between_pages() {
    let t = SiteTest::demo();
    blog(&t, 45);
    t.run(&["build", "cocotte.maison"]).success();
    let out = t.output("cocotte.maison");

    let first = t.page("cocotte.maison", "blog/index.html");
    let second = t.page("cocotte.maison", "blog/page/2/index.html");
    let third = t.page("cocotte.maison", "blog/page/3/index.html");
    assert!(!out.contains_key("public/blog/page/4/index.html"));
    assert!(
        !out.contains_key("public/blog/page/1/index.html"),
        "page 1 is the section itself"
    );
    // Newest first (equal weights), 20 a page, each post exactly once.
    let all: Vec<String> = [&first, &second, &third]
        .iter()
        .flat_map(|h| titles(h))
        .collect();
    let expected: Vec<String> = (0..45).rev().map(|i| format!("Post {i:02}")).collect();
    assert_eq!(all, expected);
    assert_eq!(titles(&third).len(), 5);

    assert!(first.contains("The intro paragraph."));
    assert!(
        !second.contains("The intro paragraph."),
        "the intro is on page 1 only"
    );
    assert!(first.contains(r#"<a rel="next" href="/blog/page/2/">"#));
    assert!(!first.contains(r#"rel="prev""#));
    assert!(second.contains(r#"<a rel="prev" href="/blog/">"#));
    assert!(second.contains(r#"<a rel="next" href="/blog/page/3/">"#));
    // cocotte.maison is French-first: the blog written here is French.
    assert!(third.contains("Page 3 sur 3"));
    assert!(!third.contains(r#"rel="next""#));
    // Each page is its own canonical URL, and in the sitemap.
    assert!(second.contains(r#"<link rel="canonical" href="https://cocotte.maison/blog/page/2/">"#));
    let sitemap = t.page("cocotte.maison", "sitemap.xml");
    assert!(sitemap.contains("<loc>https://cocotte.maison/blog/page/3/</loc>"));

    // The whole site still checks clean: no orphans, sitemap matches (the
    // one warning is the demo's deliberately hostile platform link).
    let run = t.run(&["check", "cocotte.maison"]);
    run.success();
    assert!(
        run.stdout.contains("0 error(s), 1 warning(s)"),
        "{}",
        run.stdout
    );

    // paginate_by in site.yaml: 10 a page, or 0 for everything on one page.
    t.edit(
        "sites/cocotte.maison/site.yaml",
        "theme: atelier",
        "theme: atelier\npaginate_by: 10",
    );
    t.run(&["build", "cocotte.maison"]).success();
    let out = t.output("cocotte.maison");
    assert!(out.contains_key("public/blog/page/5/index.html"));
    assert!(!out.contains_key("public/blog/page/6/index.html"));
    t.edit(
        "sites/cocotte.maison/site.yaml",
        "paginate_by: 10",
        "paginate_by: 0",
    );
    t.run(&["build", "cocotte.maison"]).success();
    assert!(!t
        .output("cocotte.maison")
        .contains_key("public/blog/page/2/index.html"));
    assert_eq!(
        titles(&t.page("cocotte.maison", "blog/index.html")).len(),
        45
    );
}

#[test]
fn a_section_template_without_paginator_lists_everything_on_one_page() {
    let t = SiteTest::demo();
    blog(&t, 30);
    t.write(
        "sites/cocotte.maison/templates/section.html",
        "{% extends \"base.html\" %}{% block main %}<ul>{% for c in section(page.url) %}<li><a href=\"{{ c.url }}\">{{ c.title }}</a></li>{% endfor %}</ul>{% endblock %}",
    );
    t.run(&["build", "cocotte.maison"]).success();
    assert!(!t
        .output("cocotte.maison")
        .contains_key("public/blog/page/2/index.html"));
    assert_eq!(
        titles(&t.page("cocotte.maison", "blog/index.html")).len(),
        30
    );
}

#[test]
fn tags_get_term_pages_and_an_index() {
    let t = SiteTest::demo();
    blog(&t, 45);
    t.run(&["build", "cocotte.maison"]).success();
    let out = t.output("cocotte.maison");

    // "Rust" and "rust" are one tag, named as the first file spells it.
    let rust = t.page("cocotte.maison", "tags/rust/index.html");
    assert!(rust.contains("<h1>Rust</h1>"), "{rust}");
    assert!(rust.contains("45 pages"));
    assert_eq!(
        titles(&rust),
        (25..45)
            .rev()
            .map(|i| format!("Post {i:02}"))
            .collect::<Vec<_>>()
    );
    assert!(rust.contains(r#"<a rel="next" href="/tags/rust/page/2/">"#));
    assert!(out.contains_key("public/tags/rust/page/3/index.html"));
    assert!(!out.contains_key("public/tags/rust/page/4/index.html"));
    let week = t.page("cocotte.maison", "tags/week-6/index.html");
    assert_eq!(
        titles(&week),
        ["Post 44", "Post 43", "Post 42"],
        "newest first"
    );

    // The index lists every tag with its count; the demo's own tags too.
    let index = t.page("cocotte.maison", "tags/index.html");
    assert!(index
        .contains(r#"<a href="/tags/rust/" rel="tag">Rust</a> <span class="meta">(45)</span>"#));
    assert!(index
        .contains(r#"<a href="/tags/week-0/" rel="tag">Week 0</a> <span class="meta">(7)</span>"#));
    assert!(index.contains(r#"href="/tags/ateliers/""#));

    // A post links its tags, and its neighbours in the section.
    let post = t.page("cocotte.maison", "blog/post-10/index.html");
    let hrefs = attr_values(&post, "href");
    for want in ["/tags/rust/", "/tags/week-1/"] {
        assert!(hrefs.contains(&want), "{want} in {hrefs:?}");
    }
    assert!(post.contains(r#"<a rel="prev" href="/blog/post-11/">← Post 11</a>"#));
    assert!(post.contains(r#"<a rel="next" href="/blog/post-09/">Post 09 →</a>"#));
    let newest = t.page("cocotte.maison", "blog/post-44/index.html");
    assert!(!newest.contains(r#"rel="prev""#));
    let oldest = t.page("cocotte.maison", "blog/post-00/index.html");
    assert!(!oldest.contains(r#"rel="next""#));

    let sitemap = t.page("cocotte.maison", "sitemap.xml");
    for loc in [
        "/tags/",
        "/tags/rust/",
        "/tags/rust/page/2/",
        "/tags/week-6/",
    ] {
        assert!(
            sitemap.contains(&format!("<loc>https://cocotte.maison{loc}</loc>")),
            "{loc}"
        );
    }
}

#[test]
fn a_site_without_tags_has_no_tag_pages() {
    let t = SiteTest::demo();
    t.run(&["build", "transquinnftw.com"]).success();
    assert!(!t
        .output("transquinnftw.com")
        .keys()
        .any(|k| k.starts_with("public/tags/")));
}

#[test]
fn latest_lists_the_newest_dated_pages_of_the_site() {
    let t = SiteTest::demo();
    blog(&t, 12);
    t.write(
        "sites/cocotte.maison/templates/index.html",
        "{% extends \"base.html\" %}{% block main %}<ol>{% for p in latest(4) %}<li><a href=\"{{ p.url }}\">{{ p.title }}</a> {{ p.date }}</li>{% endfor %}</ol>{% endblock %}",
    );
    t.run(&["build", "cocotte.maison"]).success();
    let home = t.page("cocotte.maison", "index.html");
    // The demo's legal drop-in (19 March) and spring open house (20
    // February) are newer than every post; sections (the blog itself) are
    // not listed, nor the English versions of the demo's news.
    let main = &home[home.find("<ol>").unwrap()..home.find("</ol>").unwrap()];
    assert_eq!(
        attr_values(main, "href"),
        [
            "/actualites/permanence-juridique/",
            "/actualites/portes-ouvertes-de-printemps/",
            "/blog/post-11/",
            "/blog/post-10/"
        ]
    );
}

#[test]
fn listing_urls_cannot_be_claimed_twice() {
    let t = SiteTest::demo();
    blog(&t, 25);
    t.run(&["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    t.write(
        "content/cocotte.maison/blog/page/2.md",
        "---\ntitle: Sneaky\n---\nHi\n",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.contains(
            "content/cocotte.maison/blog/page/2.md claims the URL /blog/page/2/, which is also page 2 of content/cocotte.maison/blog/_index.md"
        ),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(t.root().join("content/cocotte.maison/blog/page")).unwrap();
    t.write(
        "content/cocotte.maison/tags/_index.md",
        "---\ntitle: My tags\n---\nHi\n",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr
            .contains("claims the URL /tags/, which is also the tags index"),
        "{}",
        run.stderr
    );
    assert!(t.output("cocotte.maison") == before, "output untouched");
}
