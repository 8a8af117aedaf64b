//! What a brand owner and their visitors expect of every demo site: the
//! theme's own web fonts, shipped with their licences; the brand's call to
//! action and booking buttons from site.yaml; a sitemap for people and the
//! legal notice linked from every footer.

use std::collections::BTreeMap;

use crate::harness::{attr_values, SiteTest};

const DOMAINS: [&str; 4] = [
    "adulttherapytour.com",
    "cocotte.maison",
    "sansonnet.maison",
    "transquinnftw.com",
];

fn html_pages(out: &BTreeMap<String, Vec<u8>>) -> impl Iterator<Item = (&String, String)> {
    out.iter()
        .filter(|(p, _)| p.starts_with("public/") && p.ends_with(".html"))
        .map(|(p, b)| (p, String::from_utf8(b.clone()).unwrap()))
}

/// `/en/x/` → `public/en/x/index.html`.
fn bundle_path(url: &str) -> String {
    format!("public{url}index.html")
}

#[test]
fn each_theme_ships_its_web_fonts_with_their_licences_and_every_page_preloads_them() {
    let t = SiteTest::demo();
    t.run(&["build", "--all"]).success();
    let mut families = BTreeMap::new();
    for domain in DOMAINS {
        let out = t.output(domain);
        let css_path = out
            .keys()
            .find(|p| p.starts_with("public/assets/site.") && p.ends_with(".css"))
            .unwrap();
        let css = String::from_utf8(out[css_path].clone()).unwrap();
        let faces: Vec<&str> = css.split("@font-face{").skip(1).collect();
        assert!(!faces.is_empty(), "{domain}: no @font-face");
        for face in &faces {
            let face = &face[..face.find('}').unwrap()];
            assert!(face.contains("font-display:swap"), "{domain}: {face}");
            let url = &face[face.find("url(").unwrap() + 4..];
            let url = url[..url.find(')').unwrap()].trim_matches('"');
            let font = &out[&format!("public{url}")];
            assert!(font.starts_with(b"wOF2"), "{domain}: {url} is not woff2");
            assert!(
                url.starts_with("/assets/"),
                "fingerprinted, cached for a year: {url}"
            );
            let family = face["font-family:".len()..face.find(';').unwrap()].trim_matches('"');
            families
                .entry(domain)
                .or_insert_with(Vec::new)
                .push(family.to_string());
        }
        // Every licence travels with its fonts.
        let licences: Vec<_> = out
            .keys()
            .filter(|p| p.starts_with("public/fonts/OFL-") && p.ends_with(".txt"))
            .collect();
        assert!(!licences.is_empty(), "{domain}");
        for l in &licences {
            assert!(
                String::from_utf8_lossy(&out[*l]).contains("SIL Open Font License"),
                "{l}"
            );
        }
        // Every page preloads the faces marked so, and they exist.
        for (path, html) in html_pages(&out) {
            let preloads: Vec<_> = html
                .lines()
                .filter(|l| l.starts_with("<link rel=\"preload\"") && l.contains("as=\"font\""))
                .collect();
            assert!(!preloads.is_empty(), "{path}");
            for l in preloads {
                assert!(l.contains("crossorigin"), "{path}: {l}");
                let href = attr_values(l, "href")[0];
                assert!(out.contains_key(&format!("public{href}")), "{path}: {href}");
            }
        }
    }
    // Sites that looked alike no longer share a typeface.
    assert_ne!(
        families["sansonnet.maison"],
        families["adulttherapytour.com"]
    );
    assert_ne!(families["cocotte.maison"], families["adulttherapytour.com"]);
    assert_ne!(families["cocotte.maison"], families["sansonnet.maison"]);
    assert_ne!(families["cocotte.maison"], families["transquinnftw.com"]);
}

#[test]
fn a_web_font_that_is_not_woff2_has_no_licence_or_an_unsafe_family_is_refused() {
    let cases = [
        (
            "file: fonts/fraunces-latin-600-normal.woff2",
            "file: fonts/fraunces-latin-600-normal.ttf",
            "web font fonts/fraunces-latin-600-normal.ttf is not a .woff2 file",
        ),
        (
            "licence: fonts/OFL-Fraunces.txt",
            "licence: fonts/LICENCE-missing.txt",
            "web font licence fonts/LICENCE-missing.txt does not exist",
        ),
        (
            "family: Fraunces",
            "family: \"Fraunces}body{display:none\"",
            "web font family \"Fraunces}body{display:none\" must be letters, digits, spaces and hyphens",
        ),
    ];
    for (from, to, message) in cases {
        let t = SiteTest::demo();
        t.run(&["build", "cocotte.maison"]).success();
        let before = t.output("cocotte.maison");
        t.edit("themes/atelier/theme.yaml", from, to);
        let run = t.run(&["build", "cocotte.maison"]);
        run.failure();
        assert!(
            run.stderr.contains("themes/atelier/theme.yaml"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(message), "{}", run.stderr);
        assert_eq!(
            t.output("cocotte.maison"),
            before,
            "earlier output untouched"
        );
    }
}

#[test]
fn calls_to_action_and_booking_buttons_come_from_site_yaml_in_each_language() {
    let t = SiteTest::demo();
    t.run(&["build", "--all"]).success();
    let button = |html: &str, href: &str, text: &str| {
        html.contains(&format!("<a class=\"button\" href=\"{href}\">{text}</a>"))
    };
    let fr = t.page("cocotte.maison", "index.html");
    assert!(button(&fr, "/members/", "Rencontrer l’équipe"), "{fr}");
    let en = t.page("cocotte.maison", "en/index.html");
    assert!(
        button(&en, "/en/members/", "Meet the team"),
        "the English page's own URL: {en}"
    );
    let member = t.page("cocotte.maison", "members/margot-lune/index.html");
    assert!(
        button(&member, "/contact/", "Réserver avec Margot Lune"),
        "{member}"
    );
    let member = t.page("cocotte.maison", "en/members/margot-lune/index.html");
    assert!(
        button(&member, "/en/contact/", "Book Margot Lune"),
        "{member}"
    );
    let quinn = t.page("transquinnftw.com", "index.html");
    assert!(
        button(&quinn, "https://cal.example/quinn", "Book a style session"),
        "{quinn}"
    );
    // The tour site's own default, replaced by its brand.cta.
    let tour = t.page("adulttherapytour.com", "index.html");
    assert!(button(&tour, "/tour/", "See the 2027 dates"), "{tour}");

    // Without them: no hero button but the kind's default, no booking button.
    t.edit("sites/cocotte.maison/site.yaml", "  cta:\n    title: Rencontrer l’équipe\n    url: /members/\n    titles: {en: Meet the team}\n", "");
    t.edit("sites/cocotte.maison/site.yaml", "  booking:\n    title: Prendre rendez-vous\n    url: /contact/\n    titles: {en: Book a session}\n", "");
    t.edit("sites/adulttherapytour.com/site.yaml", "  cta:\n    title: See the 2027 dates\n    url: /tour/\n    titles: {fr: Voir les dates 2027}\n", "");
    t.run(&["build", "--all"]).success();
    let fr = t.page("cocotte.maison", "index.html");
    assert!(!fr.contains("class=\"hero-actions\""), "{fr}");
    let member = t.page("cocotte.maison", "members/margot-lune/index.html");
    assert!(!member.contains("class=\"button\""), "{member}");
    let tour = t.page("adulttherapytour.com", "index.html");
    assert!(button(&tour, "/tour/", "See every date"), "{tour}");
}

#[test]
fn every_footer_links_the_sitemap_page_and_the_legal_notice_of_its_language() {
    let t = SiteTest::demo();
    t.run(&["build", "--all"]).success();
    for domain in DOMAINS {
        let out = t.output(domain);
        let xml = String::from_utf8(out["public/sitemap.xml"].clone()).unwrap();
        let listed: Vec<String> = xml
            .split("<loc>")
            .skip(1)
            .map(|l| {
                l[..l.find("</loc>").unwrap()]
                    .trim_start_matches(&format!("https://{domain}"))
                    .to_string()
            })
            .collect();
        for (path, html) in html_pages(&out) {
            // Search engines (and Lighthouse's SEO audit) want a meta
            // description on every page, the default 404 page included.
            assert!(
                html.contains("<meta name=\"description\" content=\""),
                "{domain} {path}"
            );
            let footer = &html[html.find("<footer").unwrap()..];
            let links = attr_values(footer, "href");
            let prefix = if path.starts_with("public/en/")
                && domain != "adulttherapytour.com"
                && domain != "transquinnftw.com"
            {
                "/en"
            } else if path.starts_with("public/fr/") {
                "/fr"
            } else {
                ""
            };
            for page in ["/sitemap/", "/legal/"] {
                let url = format!("{prefix}{page}");
                assert!(
                    links.contains(&url.as_str()),
                    "{domain} {path}: no {url} in {links:?}"
                );
                assert!(out.contains_key(&bundle_path(&url)), "{domain}: {url}");
            }
            assert!(
                !links.contains(&"/sitemap.xml"),
                "{domain} {path}: the raw XML"
            );
        }
        // The sitemap for people lists every page of its language that
        // search engines are given, but listings' later pages.
        for sitemap in listed.iter().filter(|u| u.ends_with("/sitemap/")) {
            let prefix = sitemap.trim_end_matches("sitemap/");
            let html = String::from_utf8(out[&bundle_path(sitemap)].clone()).unwrap();
            let main = &html[html.find("<main").unwrap()..html.find("</main>").unwrap()];
            let links = attr_values(main, "href");
            let other_prefixes: Vec<&str> = listed
                .iter()
                .filter(|u| u.ends_with("/sitemap/") && *u != sitemap)
                .map(|u| u.trim_end_matches("sitemap/"))
                .filter(|p| *p != "/")
                .collect();
            for url in listed.iter().filter(|u| {
                u.starts_with(prefix)
                    && !other_prefixes
                        .iter()
                        .any(|o| u.starts_with(o) && o.len() > prefix.len())
                    && !u.contains("/page/")
                    && *u != sitemap
            }) {
                assert!(
                    links.contains(&url.as_str()),
                    "{domain}{sitemap} misses {url}: {links:?}"
                );
            }
        }
        // The legal notice says what the law asks.
        let legal = String::from_utf8(out["public/legal/index.html"].clone()).unwrap();
        let yaml = t.read(&format!("sites/{domain}/site.yaml"));
        for key in ["publisher", "address", "director", "contact"] {
            let line = yaml
                .lines()
                .find(|l| l.starts_with(&format!("  {key}: ")))
                .unwrap();
            let value = line.split_once(": ").unwrap().1;
            assert!(
                legal.contains(value),
                "{domain}: legal notice without its {key} {value:?}"
            );
        }
        assert!(legal.contains("OVH SAS"), "{domain}: the host");
    }
}

#[test]
fn a_legal_block_without_a_publication_director_names_the_key() {
    let t = SiteTest::demo();
    t.edit(
        "sites/cocotte.maison/site.yaml",
        "  director: Inès Caradec\n",
        "",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.contains("sites/cocotte.maison/site.yaml:")
            && run.stderr.contains("legal: missing field `director`"),
        "{}",
        run.stderr
    );
}

/// The structure the shared templates' markup needs (menu, hero grid,
/// schedule, galleries, endnotes) is one stylesheet the templates own,
/// `templates/_base/css/base.css`: bundled first into every site's CSS, so
/// the theme's rules come after it and win, and no theme carries a copy.
/// Imports stay in the folder of the file that makes them, both ways.
#[test]
fn the_templates_base_stylesheet_comes_first_in_every_site_and_no_theme_copies_it() {
    let t = SiteTest::demo();
    for theme in std::fs::read_dir(t.root().join("themes")).unwrap() {
        let theme = theme.unwrap().path();
        for copy in ["css/structure.css", "css/media.css"] {
            assert!(!theme.join(copy).exists(), "{}/{copy}", theme.display());
        }
    }
    t.run(&["build", "--all"]).success();
    for domain in DOMAINS {
        let out = t.output(domain);
        let (_, css) = out
            .iter()
            .find(|(p, _)| p.starts_with("public/assets/site.") && p.ends_with(".css"))
            .unwrap();
        let css = String::from_utf8_lossy(css);
        let base = css
            .find(".wrap{width:min(")
            .unwrap_or_else(|| panic!("{domain}: no base rules: {css}"));
        let media = css
            .find("picture.avatar")
            .unwrap_or_else(|| panic!("{domain}: no media rules"));
        let theme = css
            .find("body{background:var(--color-background)")
            .unwrap_or_else(|| panic!("{domain}: no theme rules: {css}"));
        assert!(
            base < media && media < theme,
            "{domain}: base, media, theme: {base} {media} {theme}"
        );
    }

    // An edit of the base reaches every site.
    let structure = t.read("templates/_base/css/structure.css");
    t.write(
        "templates/_base/css/structure.css",
        &format!("{structure}.base-marker{{color:#654321}}\n"),
    );
    t.run(&["build", "--all"]).success();
    for domain in DOMAINS {
        let out = t.output(domain);
        assert!(
            out.iter().any(|(p, b)| p.ends_with(".css")
                && String::from_utf8_lossy(b).contains(".base-marker{color:#654321}")),
            "{domain}"
        );
    }
    let before = t.output("cocotte.maison");

    // A theme may not reach into the templates, nor the base out of them.
    let site_css = t.read("themes/atelier/css/site.css");
    t.write(
        "themes/atelier/css/site.css",
        &format!("@import \"../../../templates/_base/css/structure.css\";\n{site_css}"),
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.contains("leaves the theme folder"),
        "{}",
        run.stderr
    );
    t.write("themes/atelier/css/site.css", &site_css);
    let base_css = t.read("templates/_base/css/base.css");
    t.write(
        "templates/_base/css/base.css",
        &format!("@import \"../../../themes/atelier/css/site.css\";\n{base_css}"),
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.contains("leaves templates/_base/css"),
        "{}",
        run.stderr
    );
    // An error in the base names the base file and line.
    t.write("templates/_base/css/base.css", &base_css);
    t.write(
        "templates/_base/css/media.css",
        &format!(
            "{}.broken>>p{{color:red}}\n",
            t.read("templates/_base/css/media.css")
        ),
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    let line = t.read("templates/_base/css/media.css").lines().count();
    assert!(
        run.stderr
            .starts_with(&format!("error: templates/_base/css/media.css:{line}:")),
        "{}",
        run.stderr
    );
    assert!(
        t.output("cocotte.maison") == before,
        "earlier output untouched"
    );
}
