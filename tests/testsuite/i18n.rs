//! Multilingual sites (`i18n:` in site.yaml) on the `multilingual` fixture:
//! a French-first org site with English translations of most pages, a
//! French-only page (`/energie/`) and an English-only one
//! (`/en/enterprise/`), a translated section slug (`/actualites/`,
//! `/en/news/`) and a 404 page per language.

use std::collections::{BTreeMap, BTreeSet};

use crate::harness::SiteTest;

const DOMAIN: &str = "maison.example";
const BASE: &str = "https://maison.example";

fn built() -> (SiteTest, BTreeMap<String, Vec<u8>>) {
    let t = SiteTest::from_dir("multilingual");
    t.run(&["build", DOMAIN, "--offline"]).success();
    let out = public(&t, DOMAIN);
    (t, out)
}

/// The files of a built site's `public/`, by bundle path.
fn public(t: &SiteTest, domain: &str) -> BTreeMap<String, Vec<u8>> {
    t.output(domain)
        .into_iter()
        .filter_map(|(p, b)| Some((p.strip_prefix("public/")?.to_string(), b)))
        .collect()
}

/// `(hreflang, href)` of every `<link rel="alternate" hreflang>` of a page.
fn head_alternates(html: &str) -> Vec<(String, String)> {
    alternates_after(html, "<link rel=\"alternate\" hreflang=\"")
}

/// `(hreflang, href)` of every tag starting with `opening` (which ends at
/// the hreflang value): head links and sitemap `xhtml:link`s alike.
fn alternates_after(text: &str, opening: &str) -> Vec<(String, String)> {
    text.split(opening)
        .skip(1)
        .map(|rest| {
            let (lang, rest) = rest.split_once('"').unwrap();
            let href = rest.split("href=\"").nth(1).unwrap();
            (
                lang.to_string(),
                href.split('"').next().unwrap().to_string(),
            )
        })
        .collect()
}

fn html_lang(html: &str) -> &str {
    html.split("<html lang=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
}

fn canonical(html: &str) -> &str {
    html.split("<link rel=\"canonical\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
}

/// The bundle file a permalink names, as nginx finds it.
fn file_of(out: &BTreeMap<String, Vec<u8>>, permalink: &str) -> Option<String> {
    let path = permalink.strip_prefix(BASE)?.trim_start_matches('/');
    [format!("{path}index.html"), path.to_string()]
        .into_iter()
        .find(|p| out.contains_key(p))
}

fn pages(out: &BTreeMap<String, Vec<u8>>) -> Vec<(&str, String)> {
    out.iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .map(|(p, b)| (p.as_str(), String::from_utf8(b.clone()).unwrap()))
        .collect()
}

#[test]
fn hreflang_is_reciprocal_self_referencing_absolute_and_only_on_real_translations() {
    let (_t, out) = built();
    let mut with = 0;
    for (path, html) in pages(&out) {
        if path.ends_with("404.html") {
            // Answered with status 404: no canonical URL to claim.
            assert!(!html.contains("rel=\"canonical\""), "{path}");
            continue;
        }
        let alternates = head_alternates(&html);
        let own = canonical(&html);
        if alternates.is_empty() {
            continue;
        }
        with += 1;
        let (langs, hrefs): (Vec<&str>, Vec<&str>) = alternates
            .iter()
            .map(|(l, h)| (l.as_str(), h.as_str()))
            .unzip();
        assert!(
            alternates.contains(&(html_lang(&html).to_string(), own.to_string())),
            "{path}: no self-reference among {alternates:?}"
        );
        assert_eq!(langs.last(), Some(&"x-default"), "{path}");
        for href in &hrefs {
            assert!(href.starts_with(BASE), "{path}: {href} is not absolute");
            let target =
                file_of(&out, href).unwrap_or_else(|| panic!("{path}: {href} is not a page"));
            let theirs = head_alternates(&String::from_utf8(out[&target].clone()).unwrap());
            assert_eq!(theirs, alternates, "{path} and {target} disagree");
        }
        let unique: BTreeSet<&&str> = langs.iter().collect();
        assert_eq!(unique.len(), langs.len(), "{path}: a language twice");
    }
    assert_eq!(
        with, 14,
        "home, about, news, opening, members, a member and the sitemap page in two languages (404 pages are no one's translation)"
    );
    for untranslated in ["energie/index.html", "en/enterprise/index.html"] {
        let html = String::from_utf8(out[untranslated].clone()).unwrap();
        assert_eq!(head_alternates(&html), [], "{untranslated}");
    }
    let about = String::from_utf8(out["en/about/index.html"].clone()).unwrap();
    assert_eq!(
        head_alternates(&about),
        [
            ("fr-FR".into(), format!("{BASE}/a-propos/")),
            ("en-GB".into(), format!("{BASE}/en/about/")),
            ("x-default".into(), format!("{BASE}/a-propos/")),
        ]
    );
    assert_eq!(html_lang(&about), "en-GB");
    let web_page = crate::harness::json_ld(&about)
        .into_iter()
        .find(|e| e["@type"] == "WebPage")
        .expect("a WebPage entity");
    assert_eq!(
        web_page,
        serde_json::json!({
            "@context": "https://schema.org", "@type": "WebPage",
            "url": format!("{BASE}/en/about/"), "inLanguage": "en-GB",
            "workTranslation": [{"@type": "WebPage", "url": format!("{BASE}/a-propos/"), "inLanguage": "fr-FR"}],
        })
    );
    assert!(about.contains("<meta property=\"og:locale\" content=\"en_GB\">\n<meta property=\"og:locale:alternate\" content=\"fr_FR\">"), "{about}");
}

#[test]
fn the_sitemap_lists_each_page_once_with_the_alternates_of_its_head() {
    let (_t, out) = built();
    let sitemap = String::from_utf8(out["sitemap.xml"].clone()).unwrap();
    assert!(sitemap.contains("xmlns:xhtml=\"http://www.w3.org/1999/xhtml\""));
    let mut locs = BTreeSet::new();
    for entry in sitemap.split("<url>").skip(1) {
        let loc = entry
            .split("<loc>")
            .nth(1)
            .unwrap()
            .split("</loc>")
            .next()
            .unwrap();
        assert!(locs.insert(loc.to_string()), "{loc} twice");
        let listed: Vec<(String, String)> =
            alternates_after(entry, "<xhtml:link rel=\"alternate\" hreflang=\"");
        let file = file_of(&out, loc).unwrap_or_else(|| panic!("{loc} is not a page"));
        let html = String::from_utf8(out[&file].clone()).unwrap();
        assert_eq!(listed, head_alternates(&html), "{loc}");
        assert_eq!(canonical(&html), loc);
    }
    let pages_in_sitemap: BTreeSet<String> = pages(&out)
        .into_iter()
        .filter(|(p, _)| !p.ends_with("404.html"))
        .map(|(p, _)| format!("{BASE}/{}", p.trim_end_matches("index.html")))
        .collect();
    assert_eq!(locs, pages_in_sitemap);
}

#[test]
fn prefixes_are_whole_segments_and_translated_section_slugs_cascade() {
    let (_t, out) = built();
    let urls: BTreeSet<&str> = out
        .keys()
        .filter(|p| p.ends_with(".html"))
        .map(String::as_str)
        .collect();
    let want = [
        "index.html",
        "a-propos/index.html",
        "actualites/index.html",
        "actualites/ouverture/index.html",
        "energie/index.html",
        "404.html",
        "en/index.html",
        "en/about/index.html",
        "en/news/index.html",
        "en/news/opening/index.html",
        "en/enterprise/index.html",
        "en/404.html",
        "members/index.html",
        "members/ana-lima/index.html",
        "en/team/index.html",
        "en/team/ana-lima/index.html",
        "sitemap/index.html",
        "en/sitemap/index.html",
    ];
    assert_eq!(urls, want.into_iter().collect::<BTreeSet<_>>());
    assert!(out.keys().all(|p| !p.contains("en/en/")));
    // Generated pages follow their section's slug in that language.
    let member = String::from_utf8(out["en/team/ana-lima/index.html"].clone()).unwrap();
    assert!(
        member.contains(&format!(
            "<link rel=\"alternate\" hreflang=\"fr-FR\" href=\"{BASE}/members/ana-lima/\">"
        )),
        "{member}"
    );
    let section = String::from_utf8(out["en/news/index.html"].clone()).unwrap();
    assert!(section.contains("href=\"/en/news/opening/\""), "{section}");
    assert!(!section.contains("/actualites/ouverture/\""), "{section}");
}

#[test]
fn the_switcher_and_the_menu_link_only_to_pages_that_exist() {
    let (_t, out) = built();
    for (path, html) in pages(&out) {
        let Some(switcher) = html.split("<nav class=\"site-nav languages\"").nth(1) else {
            panic!("{path}: no language switcher");
        };
        let switcher = switcher.split("</nav>").next().unwrap();
        for href in switcher
            .split("href=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
        {
            assert!(
                file_of(&out, &format!("{BASE}{href}")).is_some(),
                "{path}: {href}"
            );
        }
        let brand = html
            .split("class=\"brand\" href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let home = if path.starts_with("en/") { "/en/" } else { "/" };
        assert_eq!(brand, home, "{path}");
    }
    let energie = String::from_utf8(out["energie/index.html"].clone()).unwrap();
    assert!(
        energie.contains("<li><a href=\"/en/\" hreflang=\"en-GB\" lang=\"en-GB\" rel=\"nofollow\">English</a></li>"),
        "an untranslated page switches to the other language's home: {energie}"
    );
    let about = String::from_utf8(out["a-propos/index.html"].clone()).unwrap();
    assert!(about
        .contains("<li><a href=\"/en/about/\" hreflang=\"en-GB\" lang=\"en-GB\">English</a></li>"));
}

#[test]
fn each_language_has_its_own_404_in_nginx() {
    let (t, _out) = built();
    let conf = t.read(&format!("dist/{DOMAIN}/nginx/{DOMAIN}.conf"));
    assert!(conf.contains("    error_page 404 /404.html;\n"), "{conf}");
    assert!(
        conf.contains("    location /en/ {\n        error_page 404 /en/404.html;\n        try_files $uri $uri/index.html $uri.html =404;\n    }\n"),
        "{conf}"
    );
}

#[test]
fn an_unknown_language_suffix_is_an_error_at_the_file() {
    let t = SiteTest::from_dir("multilingual");
    t.write(
        &format!("content/{DOMAIN}/about.es.md"),
        "---\ntitle: Sobre\n---\nHola.\n",
    );
    let run = t.run(&["build", DOMAIN, "--offline"]);
    run.failure();
    assert!(
        crate::harness::without_frames(&run.stderr).0.contains(&format!(
            "error: content/{DOMAIN}/about.es.md:1: \"es\" in about.es.md is not one of the site's languages (fr, en)\n  hint: name the file after a language in i18n.languages of site.yaml, or add the language there"
        )),
        "{}",
        run.stderr
    );
    assert!(!t.root().join("dist").exists(), "nothing was written");
}

#[test]
fn two_pages_on_one_url_in_a_language_name_both_files() {
    let t = SiteTest::from_dir("multilingual");
    t.write(
        &format!("content/{DOMAIN}/enterprise.en.md"),
        "---\ntitle: Enterprise\nslug: about\n---\nClash.\n",
    );
    let run = t.run(&["build", DOMAIN, "--offline"]);
    run.failure();
    assert!(
        run.stderr.contains(&format!(
            "content/{DOMAIN}/about.en.md and content/{DOMAIN}/enterprise.en.md both claim the URL /en/about/"
        )) || run.stderr.contains(&format!(
            "content/{DOMAIN}/enterprise.en.md and content/{DOMAIN}/about.en.md both claim the URL /en/about/"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn brand_copy_is_per_language_and_marked_where_it_falls_back() {
    let (t, out) = built();
    let page =
        |out: &BTreeMap<String, Vec<u8>>, f: &str| String::from_utf8(out[f].clone()).unwrap();
    let (fr, en) = (page(&out, "index.html"), page(&out, "en/index.html"));
    // English has no tagline of its own: the French one, marked as French.
    assert!(fr.contains("<h1>Un collectif en deux langues</h1>"), "{fr}");
    assert!(
        fr.contains("Maison Fixture · Un collectif en deux langues</p>"),
        "{fr}"
    );
    assert!(
        en.contains("<h1 lang=\"fr\">Un collectif en deux langues</h1>"),
        "{en}"
    );
    assert!(
        en.contains("Maison Fixture · <span lang=\"fr\">Un collectif en deux langues</span></p>"),
        "{en}"
    );

    let yaml = std::fs::read_to_string(t.root().join("sites/maison.example/site.yaml")).unwrap();
    let yaml = yaml.replace(
        "      label: English\n",
        "      label: English\n      tagline: A collective in two languages\n      description: Two languages, one house.\n",
    );
    t.write("sites/maison.example/site.yaml", &yaml);
    t.write(
        "content/maison.example/plain.en.md",
        "---\ntitle: Plain\n---\nText.\n",
    );
    t.run(&["build", DOMAIN, "--offline"]).success();
    let again = public(&t, DOMAIN);
    assert_eq!(
        page(&again, "index.html"),
        fr,
        "the default language is unchanged"
    );
    let en = page(&again, "en/index.html");
    assert!(
        en.contains("<title>Maison Fixture — A collective in two languages</title>"),
        "{en}"
    );
    assert!(
        en.contains("<h1>A collective in two languages</h1>"),
        "{en}"
    );
    assert!(
        en.contains("Maison Fixture · A collective in two languages</p>"),
        "{en}"
    );
    assert!(!en.contains("deux langues"), "{en}");
    assert!(
        en.contains("\"description\":\"A collective in two languages\""),
        "the Organization in English: {en}"
    );
    // A page without a description of its own gets the site's, in its language.
    let plain = page(&again, "en/plain/index.html");
    assert!(
        plain.contains("<meta name=\"description\" content=\"Two languages, one house.\">"),
        "{plain}"
    );
}

#[test]
fn a_single_language_site_keeps_language_suffixes_in_its_urls() {
    let t = SiteTest::from_dir("org-site");
    t.write(
        "content/org.example/about.fr.md",
        "---\ntitle: À propos\n---\nBonjour.\n",
    );
    t.write(
        "content/org.example/_index.fr.md",
        "---\ntitle: Accueil\n---\nBonjour.\n",
    );
    t.run(&["build", "org.example", "--offline"]).success();
    let out = public(&t, "org.example");
    assert!(out.contains_key("about.fr/index.html"));
    assert!(!out.keys().any(|p| p.starts_with("fr/")));
    let home = String::from_utf8(out["index.html"].clone()).unwrap();
    assert!(home.starts_with("<!doctype html>\n<html lang=\"en\">"));
    assert!(!home.contains("hreflang") && !home.contains("og:locale:alternate"));
    assert!(home.contains("<meta property=\"og:locale\" content=\"en\">"));
}

#[test]
fn the_default_language_keeps_generated_sections_where_links_expect_them() {
    let t = SiteTest::from_dir("multilingual");
    t.edit(
        &format!("content/{DOMAIN}/members/_index.md"),
        "title: Members\n",
        "title: Members\nslug: membres\n",
    );
    let run = t.run(&["build", DOMAIN, "--offline"]);
    run.failure();
    assert!(
        run.stderr.contains(&format!(
            "error: content/{DOMAIN}/members/_index.md: this section holds generated pages, at /members/ in the default language\n  hint: remove its slug: (other languages may translate it)"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn localised_platform_fields_follow_the_fallback_chain() {
    let (_t, out) = built();
    let fr = String::from_utf8(out["members/ana-lima/index.html"].clone()).unwrap();
    let en = String::from_utf8(out["en/team/ana-lima/index.html"].clone()).unwrap();
    assert!(
        fr.contains("<p class=\"meta\">Masseuse · she/her</p>"),
        "{fr}"
    );
    assert!(fr.contains("<li>Massage lent</li>"), "{fr}");
    assert!(fr.contains("Ana travaille <em>lentement</em>."), "{fr}");
    assert!(
        en.contains("<p class=\"meta\">Massage therapist · she/her</p>"),
        "{en}"
    );
    assert!(en.contains("<li>Slow massage</li>"), "{en}");
    // No English bio: the French one, by the chain en → fr, marked as French.
    assert!(
        en.contains("<div lang=\"fr\"><p>Ana travaille <em>lentement</em>.</p>\n</div>"),
        "{en}"
    );
    assert!(!fr.contains("<div lang="), "{fr}");
    assert!(
        en.contains("<title>Ana Lima — Massage therapist · Maison Fixture</title>"),
        "{en}"
    );
}

#[test]
fn check_verifies_hreflang_targets_self_reference_and_reciprocity() {
    let t = SiteTest::from_dir("multilingual");
    let run = t.run(&["check", DOMAIN]);
    assert!(!run.stdout.contains("[hreflang]"), "{}", run.stdout);
    assert!(
        run.stdout.contains("check maison.example: 0 error(s)"),
        "{}",
        run.stdout
    );
    run.success();

    // A site override of base.html that drops the page itself from its
    // alternates and adds a language the site does not have.
    let base = t.read("templates/_base/base.html");
    let broken = base
        .replace(
            "{% for a in alternates %}",
            "{% for a in alternates if a.lang != lang %}",
        )
        .replace(
            "{% if alternates and x_default %}",
            "{% if alternates %}<link rel=\"alternate\" hreflang=\"de\" href=\"https://maison.example/de/\">{% endif %}\n{% if alternates and x_default %}",
        );
    assert_ne!(broken, base);
    t.write(&format!("sites/{DOMAIN}/templates/base.html"), &broken);
    let run = t.run(&["check", DOMAIN]);
    run.failure();
    for want in [
        "error: [hreflang] hreflang alternates do not include the page itself (https://maison.example/en/about/)",
        "error: [hreflang] hreflang de → https://maison.example/de/ is not a page of this site",
        "error: [hreflang] hreflang fr-FR → https://maison.example/a-propos/: that page does not list the same alternates (not reciprocal)",
    ] {
        assert!(run.stdout.contains(want), "{want}\n{}", run.stdout);
    }
}

#[test]
fn new_sites_get_their_languages() {
    let t = SiteTest::from_dir("multilingual");
    let run = t.run(&[
        "new",
        "bistro.example",
        "--kind",
        "org-site",
        "--tenant",
        "org:fixture-org",
        "--language",
        "fr",
        "--language",
        "en",
    ]);
    run.success();
    let yaml = t.read("sites/bistro.example/site.yaml");
    assert!(
        yaml.contains("i18n:\n  default: fr\n  languages:\n    - code: fr\n      label: \"Français\"\n    - code: en\n      label: \"English\"\n"),
        "{yaml}"
    );
    assert!(t
        .root()
        .join("content/bistro.example/_index.en.md")
        .is_file());
    t.run(&["build", "bistro.example", "--offline"]).success();
    let out = public(&t, "bistro.example");
    assert!(
        out.contains_key("en/index.html") && out.contains_key("en/members/ana-lima/index.html")
    );
    let home = String::from_utf8(out["index.html"].clone()).unwrap();
    assert!(
        home.starts_with("<!doctype html>\n<html lang=\"fr\">"),
        "{home}"
    );

    let run = t.run(&[
        "new",
        "solo.example",
        "--kind",
        "org-site",
        "--tenant",
        "org:fixture-org",
        "--language",
        "fr",
    ]);
    run.success();
    assert!(t
        .read("sites/solo.example/site.yaml")
        .contains("\nlanguage: fr\n"));
    assert!(!t.root().join("content/solo.example/_index.en.md").exists());

    let run = t.run(&[
        "new",
        "bad.example",
        "--kind",
        "org-site",
        "--tenant",
        "org:fixture-org",
        "--language",
        "French",
    ]);
    run.failure();
    assert!(
        run.stderr
            .contains("error: --language: \"French\" is not a language tag (e.g. en, fr, en-GB)"),
        "{}",
        run.stderr
    );
    assert!(!t.root().join("sites/bad.example").exists());
}

#[test]
fn a_multilingual_build_is_deterministic() {
    let (_t, first) = built();
    let (_u, second) = built();
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(second[path] == *bytes, "{path} differs between two builds");
    }
}

// The demo sites (issue 14, item 8): cocotte.maison and sansonnet.maison are
// French-first with English translations of most pages, adulttherapytour.com
// is English-first with French pages, transquinnftw.com has one language.
// These tests go over every page of every demo site.

/// What a demo site is: its languages (URL prefix, "" for the default, and
/// locale), how many of its pages have hreflang alternates, and the content
/// pages it has in one language only, on purpose.
struct Demo {
    domain: &'static str,
    languages: &'static [(&'static str, &'static str)],
    with_alternates: usize,
    single_language: &'static [&'static str],
}

const DEMOS: [Demo; 4] = [
    Demo {
        domain: "adulttherapytour.com",
        languages: &[("", "en-GB"), ("fr", "fr-FR")],
        // Home, schedule, FAQ, contact, the eight legs, the sitemap and
        // legal pages, in two languages (404 pages are no one's translation).
        with_alternates: 28,
        single_language: &["workshop/index.html"],
    },
    Demo {
        domain: "cocotte.maison",
        languages: &[("", "fr-FR"), ("en", "en-GB")],
        // Home, about, services, contact, members and their three pages,
        // news and three posts, the tags index and the five tags paired in
        // site.yaml (i18n.tags), the sitemap and legal pages, in two languages.
        with_alternates: 40,
        single_language: &[
            "actualites/permanence-juridique/index.html",
            "tags/vie-de-la-maison/index.html",
        ],
    },
    Demo {
        domain: "sansonnet.maison",
        languages: &[("", "fr-FR"), ("en", "en-GB")],
        // … and two of its three tags paired in site.yaml.
        with_alternates: 32,
        single_language: &[
            "actualites/appel-aux-comperes/index.html",
            "tags/artistes/index.html",
        ],
    },
    Demo {
        domain: "transquinnftw.com",
        languages: &[("", "en")],
        with_alternates: 0,
        single_language: &[],
    },
];

impl Demo {
    fn base(&self) -> String {
        format!("https://{}", self.domain)
    }

    fn multilingual(&self) -> bool {
        self.languages.len() > 1
    }

    /// The locale of a bundle path, by its first segment.
    fn locale_of(&self, path: &str) -> &'static str {
        let first = path.split('/').next().unwrap_or("");
        self.languages
            .iter()
            .find(|(prefix, _)| !prefix.is_empty() && *prefix == first && path.contains('/'))
            .unwrap_or(&self.languages[0])
            .1
    }

    /// The site path of a language's home page.
    fn home_of(&self, locale: &str) -> String {
        let (prefix, _) = self.languages.iter().find(|(_, l)| *l == locale).unwrap();
        if prefix.is_empty() {
            "/".to_string()
        } else {
            format!("/{prefix}/")
        }
    }
}

/// The bundle file a permalink of `base` names, as nginx finds it.
fn demo_file_of(out: &BTreeMap<String, Vec<u8>>, base: &str, permalink: &str) -> Option<String> {
    let path = permalink.strip_prefix(base)?.trim_start_matches('/');
    [format!("{path}index.html"), path.to_string()]
        .into_iter()
        .find(|p| out.contains_key(p))
}

/// The inside of a page's `<nav>` of class `class` (found by class: its
/// label is an interface string, translated on other languages' pages).
fn nav_of<'h>(html: &'h str, class: &str) -> Option<&'h str> {
    html.split(&format!("<nav class=\"{class}\""))
        .nth(1)?
        .split("</nav>")
        .next()
}

/// The `href`s inside a page's `<nav>` of class `class`.
fn nav_links<'h>(html: &'h str, class: &str) -> Option<Vec<&'h str>> {
    Some(
        nav_of(html, class)?
            .split("href=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect(),
    )
}

/// `(loc, alternates)` of every `<url>` of a sitemap.
fn sitemap_entries(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
    xml.split("<url>")
        .skip(1)
        .map(|entry| {
            let loc = entry.split("<loc>").nth(1).unwrap();
            let loc = loc.split("</loc>").next().unwrap().to_string();
            let alternates = alternates_after(entry, "<xhtml:link rel=\"alternate\" hreflang=\"");
            (loc, alternates)
        })
        .collect()
}

fn demo_built() -> (SiteTest, Vec<BTreeMap<String, Vec<u8>>>) {
    let t = SiteTest::demo();
    t.run(&["build", "--all"]).success();
    let outs = DEMOS.iter().map(|d| public(&t, d.domain)).collect();
    (t, outs)
}

#[test]
fn every_demo_page_has_reciprocal_self_referencing_hreflang_to_existing_pages() {
    let (_t, outs) = demo_built();
    for (demo, out) in DEMOS.iter().zip(&outs) {
        let base = demo.base();
        let mut with = 0;
        for (path, html) in pages(out) {
            let locale = demo.locale_of(path);
            assert_eq!(html_lang(&html), locale, "{}/{path}", demo.domain);
            let alternates = head_alternates(&html);
            if alternates.is_empty() {
                continue;
            }
            with += 1;
            let here = format!("{}/{path}", demo.domain);
            let own = canonical(&html);
            assert!(
                alternates.contains(&(locale.to_string(), own.to_string())),
                "{here}: no self-reference among {alternates:?}"
            );
            let (last, versions) = alternates.split_last().unwrap();
            // x-default is the default language's version.
            let default = &demo.languages[0].1;
            assert_eq!(last.0, "x-default", "{here}");
            assert!(
                versions.contains(&(default.to_string(), last.1.clone())),
                "{here}: x-default {} is not the {default} version",
                last.1
            );
            let mut seen = BTreeSet::new();
            for (lang, href) in versions {
                assert!(seen.insert(lang), "{here}: {lang} twice");
                assert!(href.starts_with(&base), "{here}: {href} is not absolute");
                let target = demo_file_of(out, &base, href)
                    .unwrap_or_else(|| panic!("{here}: {href} is not a page"));
                assert_eq!(demo.locale_of(&target), lang, "{here}: {href}");
                let theirs = head_alternates(&String::from_utf8(out[&target].clone()).unwrap());
                assert_eq!(theirs, alternates, "{here} and {target} disagree");
            }
        }
        assert_eq!(with, demo.with_alternates, "{}", demo.domain);
        for path in demo.single_language {
            let html = String::from_utf8(out[*path].clone()).unwrap();
            assert_eq!(head_alternates(&html), [], "{}/{path}", demo.domain);
        }
    }
}

#[test]
fn every_demo_sitemap_lists_each_page_once_with_the_alternates_of_its_head() {
    let (_t, outs) = demo_built();
    for (demo, out) in DEMOS.iter().zip(&outs) {
        let base = demo.base();
        let sitemap = String::from_utf8(out["sitemap.xml"].clone()).unwrap();
        let mut locs = BTreeSet::new();
        let mut with = 0;
        for (loc, listed) in sitemap_entries(&sitemap) {
            let file =
                demo_file_of(out, &base, &loc).unwrap_or_else(|| panic!("{loc} is not a page"));
            let html = String::from_utf8(out[&file].clone()).unwrap();
            assert_eq!(listed, head_alternates(&html), "{loc}");
            assert_eq!(canonical(&html), loc);
            assert!(locs.insert(loc.clone()), "{loc} twice");
            with += usize::from(!listed.is_empty());
        }
        // Every translated page (404 pages have no translations).
        assert_eq!(with, demo.with_alternates, "{}", demo.domain);
        let every_page: BTreeSet<String> = pages(out)
            .into_iter()
            .filter(|(p, _)| !p.ends_with("404.html"))
            .map(|(p, _)| format!("{base}/{}", p.trim_end_matches("index.html")))
            .collect();
        assert_eq!(locs, every_page, "{}", demo.domain);
    }
}

#[test]
fn no_demo_url_doubles_a_language_prefix() {
    let (_t, outs) = demo_built();
    for (demo, out) in DEMOS.iter().zip(&outs) {
        for (prefix, _) in demo.languages.iter().filter(|(p, _)| !p.is_empty()) {
            let doubled = format!("/{prefix}/{prefix}/");
            assert!(
                out.keys().any(|p| p.starts_with(&format!("{prefix}/"))),
                "{}: no pages under /{prefix}/",
                demo.domain
            );
            for (path, bytes) in out {
                assert!(!format!("/{path}").contains(&doubled), "{path}");
                if path.ends_with(".html") || path.ends_with(".xml") {
                    let text = String::from_utf8_lossy(bytes);
                    assert!(!text.contains(&doubled), "{}/{path}", demo.domain);
                }
            }
        }
    }
}

#[test]
fn every_demo_switcher_and_menu_link_leads_to_a_page_in_the_right_language() {
    let (_t, outs) = demo_built();
    for (demo, out) in DEMOS.iter().zip(&outs) {
        let base = demo.base();
        let page_of = |href: &str| {
            demo_file_of(out, &base, &format!("{base}{href}"))
                .unwrap_or_else(|| panic!("{}{href} is not a file of the bundle", demo.domain))
        };
        for (path, html) in pages(out) {
            let here = format!("{}/{path}", demo.domain);
            let locale = demo.locale_of(path);
            let alternates = head_alternates(&html);

            let brand = html.split("class=\"brand\" href=\"").nth(1).unwrap();
            assert_eq!(
                brand.split('"').next().unwrap(),
                demo.home_of(locale),
                "{here}"
            );

            // The menu links each page's version in this page's language, where
            // it has one.
            for href in nav_links(&html, "site-nav").unwrap_or_default() {
                let target = page_of(href);
                let target_html = String::from_utf8(out[&target].clone()).unwrap();
                if let Some((_, version)) = head_alternates(&target_html)
                    .into_iter()
                    .find(|(l, _)| l == locale)
                {
                    assert_eq!(format!("{base}{href}"), version, "{here}: menu");
                }
            }

            let Some(switcher) = nav_links(&html, "site-nav languages") else {
                assert!(!demo.multilingual(), "{here}: no language switcher");
                continue;
            };
            assert!(
                demo.multilingual(),
                "{here}: a switcher on a one-language site"
            );
            let entries: Vec<(&str, &str)> = nav_of(&html, "site-nav languages")
                .unwrap()
                .split("<a href=\"")
                .skip(1)
                // The current language links the page itself (aria-current).
                .filter(|a| {
                    !a.split('>')
                        .next()
                        .unwrap()
                        .contains("aria-current=\"page\"")
                })
                .map(|a| {
                    let (href, rest) = a.split_once('"').unwrap();
                    let lang = rest.split("hreflang=\"").nth(1).unwrap();
                    (href, lang.split('"').next().unwrap())
                })
                .collect();
            assert_eq!(entries.len(), demo.languages.len() - 1, "{here}");
            assert_eq!(switcher.len(), demo.languages.len(), "{here}");
            for (href, lang) in entries {
                page_of(href);
                // This page in that language, or that language's home.
                let want = alternates
                    .iter()
                    .find(|(l, _)| l == lang)
                    .map_or_else(|| demo.home_of(lang), |(_, v)| v[base.len()..].to_string());
                assert_eq!(href, want, "{here}: switcher to {lang}");
            }
        }
    }
}

/// Links to the demo sites' pages from before they had languages: every
/// URL of their old sitemaps is still a page, or a redirect to one.
#[test]
fn the_demo_sites_old_addresses_still_lead_to_a_page() {
    let (t, outs) = demo_built();
    let old: [(&str, &[&str]); 3] = [
        (
            "adulttherapytour.com",
            &[
                "/",
                "/faq/",
                "/tour/",
                "/tour/amsterdam/",
                "/tour/berlin/",
                "/tour/brussels/",
                "/tour/copenhagen/",
                "/tour/lisbon/",
                "/tour/lyon/",
                "/tour/madrid/",
                "/tour/zurich/",
                "/workshop/",
            ],
        ),
        (
            "cocotte.maison",
            &[
                "/",
                "/about/",
                "/contact/",
                "/members/",
                "/members/ines-caradec/",
                "/members/jules-marchand/",
                "/members/margot-lune/",
                "/news/",
                "/news/consent-workshop/",
                "/news/spring-open-house/",
                "/news/welcome-ines/",
                "/services/",
                "/tags/",
                "/tags/consent/",
                "/tags/events/",
                "/tags/members/",
                "/tags/open-house/",
                "/tags/workshops/",
            ],
        ),
        (
            "sansonnet.maison",
            &[
                "/",
                "/about/",
                "/contact/",
                "/members/",
                "/members/divine-gironde/",
                "/members/lea-fournier/",
                "/members/tomas-ibarra/",
                "/news/",
                "/news/dressing-room-standard/",
                "/news/winter-season/",
                "/services/",
                "/tags/",
                "/tags/events/",
                "/tags/house-rules/",
            ],
        ),
    ];
    for (domain, urls) in old {
        let out = &outs[DEMOS.iter().position(|d| d.domain == domain).unwrap()];
        let base = format!("https://{domain}");
        let conf = t.read(&format!("dist/{domain}/nginx/{domain}.conf"));
        // `location = "/from/" {` then `return 301 "/to/";`
        let redirects: BTreeMap<&str, (&str, &str)> = conf
            .split("location = \"")
            .skip(1)
            .map(|rest| {
                let (from, rest) = rest.split_once('"').unwrap();
                let ret = rest.split("return ").nth(1).unwrap();
                let (status, to) = ret.split_once(' ').unwrap();
                (from, (status, to.split('"').nth(1).unwrap()))
            })
            .collect();
        for (from, (_, to)) in &redirects {
            assert!(
                demo_file_of(out, &base, &format!("{base}{to}")).is_some(),
                "{domain}: {from} redirects to {to}, which is not a page"
            );
        }
        for url in urls {
            if demo_file_of(out, &base, &format!("{base}{url}")).is_some() {
                continue;
            }
            let (status, _) = redirects
                .get(url)
                .unwrap_or_else(|| panic!("{domain}{url} is neither a page nor redirected"));
            assert_eq!(*status, "301", "{domain}{url} moved for good");
        }
    }
}

/// The demo snapshots carry tenant text in both languages: each page shows
/// its own language's, and where a member wrote only in English the French
/// page shows the English text marked `lang="en"` (and the brand copy of
/// site.yaml follows the page's language too).
#[test]
fn demo_pages_show_tenant_text_and_brand_copy_in_their_language() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let out = public(&t, "cocotte.maison");
    let page = |f: &str| String::from_utf8(out[f].clone()).unwrap();
    let (fr, en) = (
        page("members/margot-lune/index.html"),
        page("en/members/margot-lune/index.html"),
    );
    assert!(
        fr.contains("Coach en intimité et cofondatrice · elle"),
        "{fr}"
    );
    assert!(fr.contains("<li>Coaching en intimité</li>"), "{fr}");
    assert!(fr.contains("Margot a étudié la sexologie"), "{fr}");
    assert!(
        !fr.contains("Margot trained") && !fr.contains("lang=\"en\""),
        "{fr}"
    );
    assert!(
        en.contains("Intimacy coach and co-founder · she/her"),
        "{en}"
    );
    assert!(en.contains("Margot trained in sexology"), "{en}");
    assert!(
        !en.contains("Margot a étudié") && !en.contains("lang=\"fr\""),
        "{en}"
    );
    let ines = page("members/ines-caradec/index.html");
    assert!(
        ines.contains("<div lang=\"en\"><p>A former physiotherapist from Rennes"),
        "{ines}"
    );
    let (home_fr, home_en) = (page("index.html"), page("en/index.html"));
    assert!(
        home_fr.contains("<title>Cocotte — Une maison lyonnaise"),
        "{home_fr}"
    );
    assert!(
        home_en.contains("<title>Cocotte — A Lyon house"),
        "{home_en}"
    );
    assert!(
        home_en.contains("Founded in 2019 on the Croix-Rousse"),
        "{home_en}"
    );
    assert!(home_fr.contains("Fondée en 2019"), "{home_fr}");
}

/// `(hreflang, href path)` of a page's head alternates, whatever the host.
fn alternate_paths(html: &str) -> Vec<(String, String)> {
    head_alternates(html)
        .into_iter()
        .map(|(lang, href)| {
            let path = href
                .splitn(4, '/')
                .nth(3)
                .map_or("/".into(), |p| format!("/{p}"));
            (lang, path)
        })
        .collect()
}

/// Incremental preview: editing one language's file re-renders it and the
/// pages that name it (its translations' hreflang and switcher links, and
/// the sitemap), and removing a translation takes it out of all of them.
#[test]
fn serve_re_renders_an_edited_page_and_its_translations_alternates() {
    let s = crate::serve::Serving::start(&["cocotte.maison"]);
    let d = "cocotte.maison";
    let (status, fr) = s.get(d, "/a-propos/");
    assert_eq!(status, 200);
    assert!(
        alternate_paths(&fr).contains(&("en-GB".into(), "/en/about/".into())),
        "{fr}"
    );

    s.t.edit(
        "content/cocotte.maison/about.en.md",
        "title: About the house\n",
        "title: About the house\nslug: about-us\n",
    );
    let fr = s.wait_for(d, "/a-propos/", "the French page names the new URL", |b| {
        alternate_paths(b).contains(&("en-GB".into(), "/en/about-us/".into()))
    });
    assert!(
        nav_links(&fr, "site-nav languages")
            .unwrap()
            .contains(&"/en/about-us/"),
        "the switcher follows: {fr}"
    );
    assert!(
        !fr.contains("/en/about/\""),
        "no trace of the old URL: {fr}"
    );
    let (status, en) = s.get(d, "/en/about-us/");
    assert_eq!(status, 200);
    assert!(
        alternate_paths(&en).contains(&("fr-FR".into(), "/a-propos/".into())),
        "{en}"
    );
    assert_eq!(s.get(d, "/en/about/").0, 404);
    s.wait_for(d, "/sitemap.xml", "the sitemap follows", |b| {
        b.contains("/en/about-us/</loc>") && !b.contains("/en/about/<")
    });

    // A translation removed: the French page has no alternates left, and
    // its switcher leads to the English home page.
    std::fs::remove_file(s.t.root().join("content/cocotte.maison/contact.en.md")).unwrap();
    let fr = s.wait_for(
        d,
        "/contact/",
        "the French page loses its alternates",
        |b| b.contains("<html") && alternate_paths(b).is_empty(),
    );
    assert!(
        nav_links(&fr, "site-nav languages")
            .unwrap()
            .contains(&"/en/"),
        "{fr}"
    );
    assert_eq!(s.get(d, "/en/contact/").0, 404);
}

/// `i18n.tags` pairs tags that are translations of each other: their tag
/// pages carry hreflang to each other and the switcher follows; unlisted
/// tags with different slugs stay apart (no alternates, switcher to the
/// other language's home). A language that is not the site's is an error
/// at its key, as is a tag listed twice.
#[test]
fn tags_listed_as_translations_are_each_others_alternates() {
    let t = SiteTest::from_dir("multilingual");
    t.write(
        "content/maison.example/news/ouverture.md",
        &t.read("content/maison.example/news/ouverture.md").replacen(
            "---\n",
            "---\ntags: [Fête, Maison]\n",
            1,
        ),
    );
    t.write(
        "content/maison.example/news/opening.en.md",
        &t.read("content/maison.example/news/opening.en.md")
            .replacen("---\n", "---\ntags: [Party, House]\n", 1),
    );
    let yaml = t.read("sites/maison.example/site.yaml");
    t.write(
        "sites/maison.example/site.yaml",
        &yaml.replace(
            "      label: English\n",
            "      label: English\n  tags:\n    - {fr: Fête, en: Party}\n",
        ),
    );
    t.run(&["build", DOMAIN, "--offline"]).success();
    let out = public(&t, DOMAIN);
    let page = |f: &str| String::from_utf8(out[f].clone()).unwrap();
    let fete = page("tags/fete/index.html");
    assert_eq!(
        head_alternates(&fete),
        [
            ("fr-FR".to_string(), format!("{BASE}/tags/fete/")),
            ("en-GB".to_string(), format!("{BASE}/en/tags/party/")),
            ("x-default".to_string(), format!("{BASE}/tags/fete/")),
        ]
    );
    assert!(nav_links(&fete, "site-nav languages")
        .unwrap()
        .contains(&"/en/tags/party/"));
    let party = page("en/tags/party/index.html");
    assert!(head_alternates(&party).contains(&("fr-FR".to_string(), format!("{BASE}/tags/fete/"))));
    // Not listed: Maison and House are not each other's translations.
    let maison = page("tags/maison/index.html");
    assert!(head_alternates(&maison).is_empty(), "{maison}");
    assert!(nav_links(&maison, "site-nav languages")
        .unwrap()
        .contains(&"/en/"));
    t.run(&["check", DOMAIN]).success();

    for (tags, message) in [
        ("    - {fr: Fête, es: Fiesta}\n", "error: sites/maison.example/site.yaml:17: i18n.tags[0]: es is not a language of the site (fr, en)"),
        ("    - {fr: Fête, en: Party}\n    - {fr: fête, en: Feast}\n", "error: sites/maison.example/site.yaml:18: i18n.tags[1]: tag \"fête\" (fr) is in two entries of i18n.tags"),
    ] {
        t.write(
            "sites/maison.example/site.yaml",
            &yaml.replace("      label: English\n", &format!("      label: English\n  tags:\n{tags}")),
        );
        let run = t.run(&["build", DOMAIN, "--offline"]);
        run.failure();
        assert!(run.stderr.starts_with(message), "{}", run.stderr);
    }
}
