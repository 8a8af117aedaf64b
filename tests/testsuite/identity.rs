//! Brand identity files (favicons, touch icon, web app manifest, theme
//! colour) and the social cards of pages, as a build writes them.

use std::collections::BTreeMap;

use crate::harness::{attr_values, SiteTest, DEMO_DOMAINS};

/// Each demo site's resolved `primary` and `background` (theme.yaml's
/// palette overridden by site.yaml's `brand.palette`).
const PALETTES: [(&str, &str, &str); 4] = [
    ("adulttherapytour.com", "#15130f", "#f6f1e7"),
    ("cocotte.maison", "#8a3219", "#fbf7f2"),
    ("sansonnet.maison", "#ffb86b", "#121017"),
    ("transquinnftw.com", "#5b3fa0", "#fffaf5"),
];

fn rgb(hex: &str) -> [u8; 3] {
    let n = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
    [(n >> 16) as u8, (n >> 8) as u8, n as u8]
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 3)
}

/// The share of opaque pixels of `img` within a few steps of `colour`.
fn share(img: &image::RgbaImage, colour: [u8; 3]) -> f64 {
    let opaque: Vec<_> = img.pixels().filter(|p| p[3] == 255).collect();
    let hits = opaque
        .iter()
        .filter(|p| near([p[0], p[1], p[2]], colour))
        .count();
    hits as f64 / opaque.len().max(1) as f64
}

/// (width, height) of each image in an ICO file's directory.
fn ico_sizes(bytes: &[u8]) -> Vec<(u32, u32)> {
    assert_eq!(&bytes[..4], &[0, 0, 1, 0], "an ICO header");
    let count = u16::from_le_bytes([bytes[4], bytes[5]]) as usize;
    (0..count)
        .map(|i| {
            let e = &bytes[6 + 16 * i..];
            let side = |b: u8| if b == 0 { 256 } else { u32::from(b) };
            (side(e[0]), side(e[1]))
        })
        .collect()
}

fn pages(files: &BTreeMap<String, Vec<u8>>) -> impl Iterator<Item = (&String, String)> {
    files
        .iter()
        .filter(|(p, _)| p.starts_with("public/") && p.ends_with(".html"))
        .map(|(p, b)| (p, String::from_utf8(b.clone()).unwrap()))
}

/// The value of `<meta property|name="{key}" content="…">` in a page.
fn meta<'a>(html: &'a str, key: &str) -> Option<&'a str> {
    let at = html
        .find(&format!("property=\"{key}\" content=\""))
        .or_else(|| html.find(&format!("name=\"{key}\" content=\"")))?;
    let rest = &html[at..];
    let start = rest.find("content=\"")? + 9;
    Some(&rest[start..start + rest[start..].find('"')?])
}

/// Page → its card's bundle path, for the pages that have a card.
fn cards(files: &BTreeMap<String, Vec<u8>>, domain: &str) -> BTreeMap<String, String> {
    let prefix = format!("https://{domain}/");
    pages(files)
        .filter_map(|(p, html)| {
            let url = meta(&html, "og:image")?;
            let path = url.strip_prefix(&prefix)?;
            path.starts_with("assets/cards/")
                .then(|| (p.clone(), format!("public/{path}")))
        })
        .collect()
}

#[test]
fn favicon_ico_touch_icon_and_manifest_follow_each_brand_palette() {
    let t = SiteTest::demo();
    t.run(&["build", "--all"]).success();
    let mut favicons = Vec::new();
    for (domain, primary, background) in PALETTES {
        let out = t.output(domain);

        let ico = &out["public/favicon.ico"];
        assert_eq!(ico_sizes(ico), [(16, 16), (32, 32), (48, 48)], "{domain}");
        let largest = image::load_from_memory_with_format(ico, image::ImageFormat::Ico)
            .unwrap()
            .to_rgba8();
        assert_eq!(largest.dimensions(), (48, 48));
        assert!(
            share(&largest, rgb(primary)) > 0.5,
            "{domain}: the favicon is mostly {primary}"
        );
        favicons.push(ico.clone());

        let touch = &out["public/apple-touch-icon.png"];
        assert_eq!(image::guess_format(touch).unwrap(), image::ImageFormat::Png);
        let touch = image::load_from_memory(touch).unwrap().to_rgba8();
        assert_eq!(touch.dimensions(), (180, 180), "{domain}");
        assert!(touch.pixels().all(|p| p[3] == 255), "{domain}: opaque");

        let manifest: serde_json::Value =
            serde_json::from_slice(&out["public/site.webmanifest"]).unwrap();
        assert_eq!(manifest["theme_color"], primary, "{domain}");
        assert_eq!(manifest["background_color"], background, "{domain}");
        assert_eq!(manifest["start_url"], "/");
        assert!(manifest["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(manifest["short_name"].as_str().is_some());
        assert!(manifest["display"].as_str().is_some());
        let icons = manifest["icons"].as_array().unwrap();
        let mut sizes = Vec::new();
        for icon in icons {
            let src = icon["src"].as_str().unwrap();
            let bytes = out
                .get(&format!("public{src}"))
                .unwrap_or_else(|| panic!("{domain}: {src} is in the bundle"));
            let img = image::load_from_memory(bytes).unwrap();
            assert_eq!(
                icon["sizes"],
                format!("{}x{}", img.width(), img.height()),
                "{domain}: {src}"
            );
            assert_eq!(icon["type"], "image/png");
            sizes.push(img.width());
        }
        assert_eq!(sizes, [192, 512], "{domain}");

        // Every page declares the theme colour and links the generated files.
        for (path, html) in pages(&out) {
            assert_eq!(meta(&html, "theme-color"), Some(primary), "{domain}/{path}");
            let hrefs = attr_values(&html, "href");
            for linked in ["/favicon.ico", "/apple-touch-icon.png", "/site.webmanifest"] {
                assert!(hrefs.contains(&linked), "{domain}/{path} links {linked}");
            }
            let svg = hrefs
                .iter()
                .find(|h| h.starts_with("/assets/favicon.") && h.ends_with(".svg"))
                .unwrap_or_else(|| panic!("{domain}/{path} links the SVG favicon"));
            assert!(out.contains_key(&format!("public{svg}")), "{domain}: {svg}");
        }
    }
    // Different palettes (and Cocotte's logo): four different favicons.
    favicons.sort();
    favicons.dedup();
    assert_eq!(favicons.len(), 4);
    // The themes' hard-coded favicon is gone from every bundle.
    for domain in DEMO_DOMAINS {
        assert!(!t.output(domain).contains_key("public/favicon.svg"));
    }
}

#[test]
fn every_demo_page_has_an_og_image_in_its_bundle_and_cards_are_1200_by_630() {
    let t = SiteTest::demo();
    t.run(&["build", "--all"]).success();
    let mut card_count = 0;
    for domain in DEMO_DOMAINS {
        let out = t.output(domain);
        let prefix = format!("https://{domain}/");
        for (path, html) in pages(&out) {
            let url = meta(&html, "og:image")
                .unwrap_or_else(|| panic!("{domain}/{path} has an og:image"));
            let file = url.strip_prefix(&prefix).expect("on the site");
            let bytes = out
                .get(&format!("public/{file}"))
                .unwrap_or_else(|| panic!("{domain}/{path}: {url} is in the bundle"));
            let img = image::load_from_memory(bytes).unwrap();
            let w: u32 = meta(&html, "og:image:width").unwrap().parse().unwrap();
            let h: u32 = meta(&html, "og:image:height").unwrap().parse().unwrap();
            assert_eq!((img.width(), img.height()), (w, h), "{domain}/{path}");
            assert_eq!(
                meta(&html, "twitter:card"),
                Some("summary_large_image"),
                "{domain}/{path}"
            );
            if file.starts_with("assets/cards/") {
                assert_eq!((w, h), (1200, 630), "{domain}/{path}");
                card_count += 1;
            }
        }
    }
    assert!(card_count > 50, "most demo pages have a card: {card_count}");
    // Cocotte's home page shows its social image, a page with an image of
    // its own that image, the others their cards.
    let home = t.page("cocotte.maison", "index.html");
    assert!(meta(&home, "og:image")
        .unwrap()
        .contains("/assets/images/social-"));
    let about = t.page("cocotte.maison", "a-propos/index.html");
    assert!(meta(&about, "og:image")
        .unwrap()
        .contains("/assets/images/studio-"));
    let contact = t.page("cocotte.maison", "contact/index.html");
    assert!(meta(&contact, "og:image")
        .unwrap()
        .contains("/assets/cards/contact."));
}

#[test]
fn a_title_change_changes_that_pages_card_only() {
    let t = SiteTest::demo();
    t.run(&["build", "transquinnftw.com"]).success();
    let before_files = t.output("transquinnftw.com");
    let before = cards(&before_files, "transquinnftw.com");
    assert!(before.contains_key("public/links/index.html"));
    t.edit(
        "content/transquinnftw.com/links.md",
        "title: Links",
        "title: Links and shops",
    );
    t.run(&["build", "transquinnftw.com"]).success();
    let after_files = t.output("transquinnftw.com");
    let after = cards(&after_files, "transquinnftw.com");
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (page, card) in &before {
        if page == "public/links/index.html" {
            assert_ne!(card, &after[page], "{page}: a new card");
            assert_ne!(before_files[card], after_files[&after[page]]);
            assert!(!after_files.contains_key(card), "the old card is gone");
        } else {
            assert_eq!(card, &after[page], "{page}: the same card");
            assert_eq!(before_files[card], after_files[card]);
        }
    }
}

#[test]
fn cards_are_byte_identical_across_builds_and_a_bad_cache_entry_is_drawn_again() {
    let t = SiteTest::demo();
    t.run(&["build", "sansonnet.maison"]).success();
    let first: BTreeMap<_, _> = t
        .output("sansonnet.maison")
        .into_iter()
        .filter(|(p, _)| p.starts_with("public/assets/cards/"))
        .collect();
    assert!(!first.is_empty());
    // Drawn again without the cache…
    std::fs::remove_dir_all(t.root().join(".sitegen/cache/cards")).unwrap();
    std::fs::remove_dir_all(t.root().join("dist")).unwrap();
    t.run(&["build", "sansonnet.maison"]).success();
    let second: BTreeMap<_, _> = t
        .output("sansonnet.maison")
        .into_iter()
        .filter(|(p, _)| p.starts_with("public/assets/cards/"))
        .collect();
    assert!(crate::harness::differing(&first, &second).is_empty());
    // …and with every cache entry torn.
    for entry in std::fs::read_dir(t.root().join(".sitegen/cache/cards")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    }
    std::fs::remove_dir_all(t.root().join("dist")).unwrap();
    t.run(&["build", "sansonnet.maison"]).success();
    let third: BTreeMap<_, _> = t
        .output("sansonnet.maison")
        .into_iter()
        .filter(|(p, _)| p.starts_with("public/assets/cards/"))
        .collect();
    assert!(crate::harness::differing(&first, &third).is_empty());
}

#[test]
fn a_logo_does_not_load_files_outside_the_site_folder_or_urls() {
    let t = SiteTest::demo();
    // A bright green image outside the site folder, and a URL.
    let green = image::RgbaImage::from_pixel(8, 8, image::Rgba([0, 255, 0, 255]));
    green.save(t.root().join("secret.png")).unwrap();
    let outside = t.root().join("secret.png");
    t.write(
        "sites/transquinnftw.com/logo.svg",
        &format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 40 40"><rect width="40" height="40" fill="#5b3fa0"/><image width="40" height="40" xlink:href="../../secret.png"/><image width="40" height="40" href="{}"/><image width="40" height="40" href="http://127.0.0.1:9/green.png"/></svg>"##,
            outside.display()
        ),
    );
    t.edit(
        "sites/transquinnftw.com/site.yaml",
        "  palette:\n",
        "  logo: logo.svg\n  palette:\n",
    );
    t.run(&["build", "transquinnftw.com"]).success();
    let out = t.output("transquinnftw.com");
    let is_green = |p: &image::Rgba<u8>| p[1] > 200 && p[0] < 100 && p[2] < 100;
    let ico = image::load_from_memory(&out["public/favicon.ico"])
        .unwrap()
        .to_rgba8();
    assert!(
        !ico.pixels().any(is_green),
        "the favicon shows no loaded file"
    );
    assert!(
        share(&ico, rgb("#5b3fa0")) > 0.9,
        "the logo itself is drawn"
    );
    let touch = image::load_from_memory(&out["public/apple-touch-icon.png"])
        .unwrap()
        .to_rgba8();
    assert!(!touch.pixels().any(is_green));
    let home = t.page("transquinnftw.com", "index.html");
    let card = meta(&home, "og:image")
        .unwrap()
        .strip_prefix("https://transquinnftw.com/")
        .unwrap();
    let card = image::load_from_memory(&out[&format!("public/{card}")])
        .unwrap()
        .to_rgba8();
    assert!(
        !card.pixels().any(is_green),
        "the card shows no loaded file"
    );
}

#[test]
fn an_unreadable_logo_is_a_config_error_naming_site_yaml_and_brand_logo() {
    let t = SiteTest::demo();
    t.write("sites/cocotte.maison/logo.svg", "<svg><g></svg>");
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    let line = t
        .read("sites/cocotte.maison/site.yaml")
        .lines()
        .position(|l| l.trim_start().starts_with("logo:"))
        .unwrap()
        + 1;
    assert!(
        run.stderr.contains(&format!(
            "sites/cocotte.maison/site.yaml:{line}: brand.logo: logo logo.svg cannot be read as an SVG image"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("self-contained SVG"), "{}", run.stderr);
    assert!(
        !t.root().join("dist/cocotte.maison").exists(),
        "nothing written"
    );
}

#[test]
fn a_theme_without_card_font_has_no_cards_but_still_its_icons() {
    let t = SiteTest::demo();
    t.edit(
        "themes/studio/theme.yaml",
        "card_font: fonts/bricolage-grotesque-latin-800-normal.ttf",
        "",
    );
    t.run(&["build", "transquinnftw.com"]).success();
    let out = t.output("transquinnftw.com");
    assert!(!out.keys().any(|p| p.contains("assets/cards/")));
    let home = t.page("transquinnftw.com", "index.html");
    assert_eq!(meta(&home, "og:image"), None);
    assert_eq!(meta(&home, "twitter:card"), Some("summary"));
    // The monogram has no font to be set in: a plain square in the primary colour.
    let ico = image::load_from_memory(&out["public/favicon.ico"])
        .unwrap()
        .to_rgba8();
    assert!(share(&ico, rgb("#5b3fa0")) > 0.95);
}
