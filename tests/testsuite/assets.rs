//! Assets: CSS through lightningcss, images through the image pipeline,
//! fingerprints, SRI and gzip twins. The privacy invariant (no published
//! image carries EXIF, GPS, XMP or IPTC data) is checked with a real
//! metadata reader (kamadak-exif) and by searching the bytes.

use std::collections::BTreeMap;
use std::io::Read;

use sha2::Digest;

use crate::harness::{attr_values, SiteTest};

const RASTER: [&str; 3] = [".jpg", ".png", ".webp"];

fn is_raster(path: &str) -> bool {
    RASTER.iter().any(|ext| path.ends_with(ext))
}

/// The demo's GPS-tagged sources: content photos, the social image, a platform avatar.
const GPS_SOURCES: [&str; 5] = [
    "content/cocotte.maison/images/studio.jpg",
    "content/transquinnftw.com/gallery/studio-wall.jpg",
    "content/transquinnftw.com/gallery/fitting-room.jpg",
    "sites/cocotte.maison/social.jpg",
    "data/platform/cocotte/media/margot-lune.jpg",
];

fn exif_fields(bytes: &[u8]) -> Vec<String> {
    match exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) {
        Ok(data) => data.fields().map(|f| f.tag.to_string()).collect(),
        Err(_) => Vec::new(),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A PNG's bytes with the compressed pixels (IDAT chunk data) left out:
/// deflate output holds any three bytes now and then ("GPS" in a social
/// card), while metadata lives in chunks of its own.
fn without_pixel_data(bytes: &[u8]) -> Vec<u8> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return bytes.to_vec();
    }
    let mut out = bytes[..8].to_vec();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let end = (at + 12 + len).min(bytes.len());
        if &bytes[at + 4..at + 8] == b"IDAT" {
            out.extend(&bytes[at..at + 8]);
        } else {
            out.extend(&bytes[at..end]);
        }
        at = end;
    }
    out
}

#[test]
fn no_published_image_carries_gps_exif_xmp_or_iptc_and_no_original_is_copied() {
    let t = SiteTest::demo();
    let mut originals = Vec::new();
    for src in GPS_SOURCES {
        let bytes = std::fs::read(t.root().join(src)).unwrap();
        // The fixtures really are tagged, or this test proves nothing.
        let fields = exif_fields(&bytes);
        assert!(
            fields.iter().any(|f| f == "GPSLatitude"),
            "{src} should carry GPS: {fields:?}"
        );
        assert!(contains(&bytes, b"CANARY-XMP") && contains(&bytes, b"CANARY-IPTC"));
        originals.push(sha2::Sha256::digest(&bytes));
    }
    t.run(&["build", "--all"]).success();
    let mut images = 0;
    for (path, bytes) in t.dist_published() {
        if !is_raster(&path) {
            continue;
        }
        images += 1;
        let fields = exif_fields(&bytes);
        assert!(fields.is_empty(), "{path} has EXIF fields {fields:?}");
        let searched = without_pixel_data(&bytes);
        for marker in [
            &b"Exif\0\0"[..],
            b"GPS",
            b"http://ns.adobe.com/xap",
            b"Photoshop 3.0",
            b"CANARY",
        ] {
            assert!(
                !contains(&searched, marker),
                "{path} contains {:?}",
                String::from_utf8_lossy(marker)
            );
        }
        assert!(
            !originals.contains(&sha2::Sha256::digest(&bytes)),
            "{path} is a copy of an original"
        );
    }
    assert!(images >= 28, "only {images} images published");
}

#[test]
fn exif_orientation_is_applied_and_nothing_is_upscaled() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let about = t.page("cocotte.maison", "a-propos/index.html");
    // The source is stored 1600×1200 and tagged "rotate 90° clockwise".
    assert!(about.contains(r#"width="1200" height="1600""#), "{about}");
    let out = t.output("cocotte.maison");
    let studio: Vec<&String> = out
        .keys()
        .filter(|p| p.contains("/images/studio-") && is_raster(p))
        .collect();
    assert_eq!(studio.len(), 7, "3 widths × 2 formats + social: {studio:?}");
    for path in studio {
        let img = image::load_from_memory(&out[path]).unwrap();
        let (w, h) = (img.width(), img.height());
        if path.contains("studio-1200.") && h == 630 {
            continue; // the social crop
        }
        assert!(h > w, "{path} is {w}×{h}, not portrait");
        assert!(w <= 1200, "{path} was upscaled to {w}");
    }
}

#[test]
fn picture_markup_has_sizes_dimensions_and_lazy_loading_except_the_hero() {
    let t = SiteTest::demo();
    t.run(&["build", "--all"]).success();
    let gallery = t.page("transquinnftw.com", "gallery/index.html");
    let pictures: Vec<&str> = gallery.split("<picture").skip(1).collect();
    assert_eq!(pictures.len(), 2);
    for (i, p) in pictures.iter().enumerate() {
        let p = &p[..p.find("</picture>").unwrap()];
        assert!(p.contains(r#"<source type="image/webp" srcset=""#), "{p}");
        assert!(p.contains(r#"width="1600" height="1067""#), "{p}");
        assert!(p.contains(r#"sizes="(min-width: 60rem) 30rem"#), "{p}");
        assert!(p.contains(r#"decoding="async""#), "{p}");
        if i == 0 {
            assert!(
                p.contains(r#"fetchpriority="high""#) && !p.contains("loading="),
                "{p}"
            );
        } else {
            assert!(p.contains(r#"loading="lazy""#), "{p}");
        }
        assert!(!p.contains(r#"alt="""#));
    }
    // Every srcset and src URL of every page resolves to a published file.
    for domain in ["cocotte.maison", "transquinnftw.com"] {
        let out = t.output(domain);
        for (path, bytes) in &out {
            if !path.ends_with(".html") {
                continue;
            }
            let html = String::from_utf8_lossy(bytes);
            let mut urls: Vec<String> = attr_values(&html, "src")
                .iter()
                .map(|s| s.to_string())
                .collect();
            for set in attr_values(&html, "srcset") {
                urls.extend(
                    set.split(',')
                        .map(|c| c.split_whitespace().next().unwrap().to_string()),
                );
            }
            for url in urls.iter().filter(|u| u.starts_with("/assets/images/")) {
                assert!(
                    out.contains_key(&format!("public{url}")),
                    "{path}: {url} missing"
                );
            }
        }
    }
    // The English roster (cocotte is French-first: « Portrait de … » on /members/).
    let card = t.page("cocotte.maison", "en/members/index.html");
    assert!(card.contains(r#"alt="Portrait of Margot Lune""#));
    assert!(card.contains(r#"width="48" height="48""#));
}

#[test]
fn social_images_are_1200_by_630_and_announced_in_open_graph() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let out = t.output("cocotte.maison");
    let og = |page: &str| -> String {
        let html = t.page("cocotte.maison", page);
        let at = html
            .find(r#"<meta property="og:image" content=""#)
            .unwrap_or_else(|| panic!("{page}: no og:image"));
        let rest = &html[at + 35..];
        assert!(html.contains(r#"<meta name="twitter:card" content="summary_large_image">"#));
        rest[..rest.find('"').unwrap()].to_string()
    };
    let home = og("index.html");
    let about = og("a-propos/index.html");
    assert_ne!(home, about, "about.md sets its own image");
    // The site's image is the home page's; other pages without one of
    // their own get their generated card (identity.rs tests those).
    assert_ne!(og("contact/index.html"), home);
    assert!(og("contact/index.html").contains("/assets/cards/contact."));
    for url in [home, about] {
        let path = url.strip_prefix("https://cocotte.maison/").unwrap();
        let img = image::load_from_memory(&out[&format!("public/{path}")]).unwrap();
        assert_eq!((img.width(), img.height()), (1200, 630), "{url}");
    }
}

#[test]
fn missing_alt_text_warns_and_strict_makes_it_an_error() {
    let t = SiteTest::demo();
    t.edit(
        "content/cocotte.maison/about.md",
        "![Le salon du studio de la Croix-Rousse\u{a0}: lumière douce, deux fauteuils et une table basse](images/studio.jpg)",
        "![](images/studio.jpg)",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.success();
    assert!(
        run.stderr.contains(
            "content/cocotte.maison/about.md:14: image images/studio.jpg has no alt text"
        ),
        "{}",
        run.stderr
    );
    let before = t.output("cocotte.maison");
    let run = t.run(&["build", "--strict", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.contains(
            "error: content/cocotte.maison/about.md:14: image images/studio.jpg has no alt text"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--strict makes this an error"));
    assert!(
        t.output("cocotte.maison") == before,
        "strict failure changed dist/"
    );
}

/// A PNG whose header claims `w`×`h` pixels, with a tiny body.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend(data);
        out.extend(&crc_input);
        let mut hasher = flate2::Crc::new();
        hasher.update(&crc_input);
        out.extend(hasher.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &vec![0u8; 1 << 20]).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", b"");
    out
}

#[test]
fn a_decompression_bomb_is_a_build_error_not_an_out_of_memory() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    std::fs::write(
        t.root().join("content/cocotte.maison/images/bomb.png"),
        png_claiming(60_000, 60_000),
    )
    .unwrap();
    t.edit(
        "content/cocotte.maison/about.md",
        "## Ce que les membres gardent",
        "![A harmless looking picture](images/bomb.png)\n\n## Ce que les membres gardent",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.starts_with(
            "error: content/cocotte.maison/images/bomb.png: image exceeds the decoding limits"
        ),
        "{}",
        run.stderr
    );
    assert!(t.output("cocotte.maison") == before);

    // Inside max_side but over the allocation cap: refused by max_alloc_mib.
    t.write("sitegen.yaml", "images:\n  max_alloc_mib: 16\n");
    std::fs::write(
        t.root().join("content/cocotte.maison/images/bomb.png"),
        png_claiming(8_000, 8_000),
    )
    .unwrap();
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.contains("image exceeds the decoding limits"),
        "{}",
        run.stderr
    );
}

#[test]
fn processed_images_come_from_the_cache_when_the_source_is_unchanged() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let cache = t.files_under(".sitegen/cache/images");
    assert!(cache.len() >= 15, "{}", cache.len());
    // Replace one cache entry with other valid bytes: a rebuild must publish
    // them, which proves the entry was reused rather than recomputed.
    let (name, _) = cache
        .iter()
        .find(|(n, _)| n.starts_with("studio-480.") && n.ends_with(".jpg"))
        .unwrap();
    let marker = {
        let mut out = Vec::new();
        image::DynamicImage::new_rgb8(3, 4)
            .write_to(
                &mut std::io::Cursor::new(&mut out),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
        out
    };
    std::fs::write(
        t.root().join(".sitegen/cache/images").join(name),
        sealed(&marker),
    )
    .unwrap();
    t.run(&["build", "cocotte.maison"]).success();
    assert_eq!(
        t.output("cocotte.maison")[&format!("public/assets/images/{name}")],
        marker
    );
    // Nothing else was written to the cache.
    assert_eq!(t.files_under(".sitegen/cache/images").len(), cache.len());

    // A changed source is a new key: new URLs, new cache entries.
    let src = t.root().join("content/cocotte.maison/images/studio.jpg");
    let mut bytes = std::fs::read(&src).unwrap();
    let n = bytes.len();
    bytes.insert(n - 2, 0); // padding before EOI: same pixels, new bytes
    std::fs::write(&src, bytes).unwrap();
    t.run(&["build", "cocotte.maison"]).success();
    assert!(t.files_under(".sitegen/cache/images").len() > cache.len());
    assert!(!t
        .output("cocotte.maison")
        .contains_key(&format!("public/assets/images/{name}")));
}

/// An image cache entry as sitegen writes it: the image, its SHA-256, `sitegen1`.
fn sealed(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out.extend_from_slice(&sha2::Sha256::digest(bytes));
    out.extend_from_slice(b"sitegen1");
    out
}

/// Regression: a half-written or altered image cache entry was trusted and
/// published. Entries carry their own hash; one that does not match is made
/// again.
#[test]
fn a_torn_or_altered_image_cache_entry_is_made_again() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let good = t.output("cocotte.maison");
    let dir = t.root().join(".sitegen/cache/images");
    let cache = t.files_under(".sitegen/cache/images");
    let mut names = cache
        .keys()
        .filter(|n| n.starts_with("studio-") && !n.contains(".tmp"));
    let (torn, altered, unsealed) = (
        names.next().unwrap(),
        names.next().unwrap(),
        names.next().unwrap(),
    );
    let whole = &cache[torn];
    std::fs::write(dir.join(torn), &whole[..whole.len() / 2]).unwrap();
    let mut bytes = cache[altered].clone();
    bytes[100] ^= 0xff;
    std::fs::write(dir.join(altered), bytes).unwrap();
    let raw = &cache[unsealed];
    std::fs::write(dir.join(unsealed), &raw[..raw.len() - 40]).unwrap();
    t.run(&["build", "cocotte.maison"]).success();
    assert!(
        t.output("cocotte.maison") == good,
        "the same images as a clean build"
    );
    assert!(
        t.files_under(".sitegen/cache/images") == cache,
        "entries made again"
    );
}

/// Regression: a smaller variant was resized from the largest one this run
/// had to make, so its bytes depended on which variants were already cached
/// (sites sharing a photo, a partly filled cache): one file name, two
/// contents, as `build --all` with a shared photo showed under load. Each
/// variant is made from the original; dropping any entries and building again
/// gives the very same files.
#[test]
fn a_variant_made_again_has_the_same_bytes_whatever_else_was_cached() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let good = t.output("cocotte.maison");
    let cache = t.files_under(".sitegen/cache/images");
    let dir = t.root().join(".sitegen/cache/images");
    let smallest: Vec<&String> = cache
        .keys()
        .filter(|n| ["-480.", "-48.", "-96."].iter().any(|w| n.contains(w)))
        .collect();
    assert!(smallest.len() >= 4, "{:?}", cache.keys());
    for name in &smallest {
        std::fs::remove_file(dir.join(name)).unwrap();
    }
    t.run(&["build", "cocotte.maison"]).success();
    let again = t.output("cocotte.maison");
    let differ = crate::harness::differing(&good, &again);
    assert!(
        differ.is_empty(),
        "other bytes under the same name: {differ:?}"
    );
    assert!(t.files_under(".sitegen/cache/images") == cache);
}

/// Regression: `build --all` named temporary files by process id, so its
/// own threads raced on them when several sites shared an image and the
/// cache was empty ("cannot rename" in 6 of 20 runs), and could leave a torn
/// entry. Four sites share one photo here; every run must succeed and
/// publish the same bytes.
#[test]
fn build_all_with_a_shared_image_and_an_empty_cache_never_races() {
    let t = SiteTest::demo();
    let photo = t.root().join("content/cocotte.maison/images/studio.jpg");
    for d in crate::harness::DEMO_DOMAINS {
        let dir = t.root().join(format!("content/{d}/shared"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&photo, dir.join("studio.jpg")).unwrap();
        t.write(
            &format!("content/{d}/shared/index.md"),
            "---\ntitle: Shared\n---\n![The studio](studio.jpg)\n",
        );
    }
    let mut first = None;
    for _ in 0..4 {
        let _ = std::fs::remove_dir_all(t.root().join(".sitegen/cache/images"));
        t.run(&["build", "--all"]).success();
        let images: Vec<_> = crate::harness::DEMO_DOMAINS
            .iter()
            .map(|d| t.files_under(&format!("dist/{d}/public/assets/images")))
            .collect();
        match &first {
            None => first = Some(images),
            Some(f) => {
                let differ: Vec<String> = f
                    .iter()
                    .zip(&images)
                    .flat_map(|(a, b)| {
                        let names: std::collections::BTreeSet<&String> =
                            a.keys().chain(b.keys()).collect();
                        names
                            .into_iter()
                            .filter(|n| a.get(*n) != b.get(*n))
                            .map(|n| {
                                let len = |m: &std::collections::BTreeMap<String, Vec<u8>>| {
                                    m.get(n).map(Vec::len)
                                };
                                format!("{n}: {:?} then {:?} bytes", len(a), len(b))
                            })
                            .collect::<Vec<_>>()
                    })
                    .collect();
                assert!(
                    differ.is_empty(),
                    "another run published other bytes: {differ:#?}"
                );
            }
        }
        let leftovers: Vec<String> = t
            .files_under(".sitegen/cache/images")
            .into_keys()
            .filter(|n| n.contains("tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

fn mean_diff(a: &image::RgbImage, b: &image::RgbImage, x0: u32, y0: u32, w: u32, h: u32) -> f64 {
    let mut sum = 0u64;
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            let (p, q) = (a.get_pixel(x, y), b.get_pixel(x, y));
            sum += (0..3).map(|i| u64::from(p[i].abs_diff(q[i]))).sum::<u64>();
        }
    }
    sum as f64 / f64::from(w * h * 3)
}

#[test]
fn the_watermark_marks_the_configured_corner_of_gallery_images() {
    let t = SiteTest::demo();
    let gallery_jpeg = |t: &SiteTest| -> image::RgbImage {
        let out = t.output("transquinnftw.com");
        let path = out
            .keys()
            .find(|p| p.contains("studio-wall-960.") && p.ends_with(".jpg"))
            .unwrap()
            .clone();
        image::load_from_memory(&out[&path]).unwrap().to_rgb8()
    };
    t.run(&["build", "transquinnftw.com"]).success();
    let marked = gallery_jpeg(&t);
    t.edit(
        "sites/transquinnftw.com/site.yaml",
        "images:\n",
        "unused_images:\n",
    );
    t.edit("sites/transquinnftw.com/site.yaml", "unused_images:\n  watermark:\n    file: watermark.png\n    position: bottom-right\n    opacity: 0.5\n    scale: 0.25\n", "");
    t.run(&["build", "transquinnftw.com"]).success();
    let plain = gallery_jpeg(&t);
    let (w, h) = marked.dimensions();
    assert_eq!((w, h), plain.dimensions());
    let corner = mean_diff(&marked, &plain, w * 3 / 4, h * 3 / 4, w / 4 - 1, h / 4 - 1);
    let elsewhere = mean_diff(&marked, &plain, 0, 0, w / 2, h / 2);
    assert!(
        corner > 3.0,
        "the bottom-right corner barely changed: {corner}"
    );
    assert!(elsewhere < 0.5, "the top-left quarter changed: {elsewhere}");
}

#[test]
fn stylesheet_is_bundled_minified_fingerprinted_with_brand_properties_and_sri() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let out = t.output("cocotte.maison");
    let index = t.page("cocotte.maison", "index.html");
    let href = attr_values(&index, "href")
        .into_iter()
        .find(|h| h.ends_with(".css"))
        .unwrap()
        .to_string();
    let css_bytes = &out[&format!("public{href}")];
    let css = String::from_utf8_lossy(css_bytes);
    let digest = sha2::Sha256::digest(css_bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        href,
        format!("/assets/site.{}.css", &hex[..10]),
        "named by content hash"
    );
    assert!(
        !css.contains("@import") && !css.contains("/*"),
        "bundled and minified"
    );
    assert!(
        css.contains("picture.avatar"),
        "the base stylesheet (structure.css, media.css) is inlined"
    );
    let site_yaml = t.read("sites/cocotte.maison/site.yaml");
    let primary = site_yaml
        .split("primary: \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(css.contains(&format!("--color-primary:{primary}")), "{css}");
    let integrity = attr_values(&index, "integrity");
    assert_eq!(integrity.len(), 1);
    let ours = integrity[0].strip_prefix("sha384-").unwrap();
    assert_eq!(
        base64_decode(ours),
        sha2::Sha384::digest(css_bytes).to_vec()
    );
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("standard base64")
}

#[test]
fn css_is_lowered_for_the_configured_browsers() {
    let t = SiteTest::demo();
    t.write(
        "themes/studio/css/site.css",
        &format!(
            "{}\n.lowered{{.inner{{color:oklch(60% 0.15 30)}}}}\n",
            t.read("themes/studio/css/site.css")
        ),
    );
    t.write("sitegen.yaml", "css:\n  browserslist: [\"safari >= 12\"]\n");
    t.run(&["build", "transquinnftw.com"]).success();
    let out = t.output("transquinnftw.com");
    let css = out
        .iter()
        .find(|(p, _)| p.ends_with(".css"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap();
    assert!(css.contains(".lowered .inner{"), "nesting lowered: {css}");
    assert!(
        !css.contains("oklch("),
        "oklch lowered for Safari 12: {css}"
    );

    t.write(
        "sitegen.yaml",
        "css:\n  browserslist: [\"chrome >= 120\"]\n",
    );
    t.run(&["build", "transquinnftw.com"]).success();
    let out = t.output("transquinnftw.com");
    let css = out
        .iter()
        .find(|(p, _)| p.ends_with(".css"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap();
    assert!(css.contains("oklch("), "kept for modern browsers: {css}");
}

#[test]
fn css_errors_name_file_line_and_column_and_imports_stay_in_the_theme() {
    let t = SiteTest::demo();
    t.run(&["build", "transquinnftw.com"]).success();
    let before = t.output("transquinnftw.com");
    let css = t.read("themes/studio/css/site.css");
    t.write(
        "themes/studio/css/site.css",
        &format!("{css}.broken>>p{{color:red}}\n"),
    );
    let run = t.run(&["build", "transquinnftw.com"]);
    run.failure();
    let line = css.lines().count() + 1;
    assert!(
        run.stderr
            .starts_with(&format!("error: themes/studio/css/site.css:{line}:")),
        "{}",
        run.stderr
    );
    assert!(t.output("transquinnftw.com") == before);

    t.write(
        "themes/studio/css/site.css",
        &format!("@import \"../../../sites/transquinnftw.com/site.yaml\";\n{css}"),
    );
    let run = t.run(&["build", "transquinnftw.com"]);
    run.failure();
    assert!(
        run.stderr.contains("leaves the theme folder"),
        "{}",
        run.stderr
    );

    t.write(
        "themes/studio/css/site.css",
        &format!("@import \"https://fonts.example/x.css\";\n{css}"),
    );
    let run = t.run(&["build", "transquinnftw.com"]);
    run.failure();
    assert!(
        run.stderr.contains("remote imports are not allowed"),
        "{}",
        run.stderr
    );
}

#[test]
fn text_files_have_gzip_twins_with_identical_content() {
    let t = SiteTest::demo();
    t.run(&["build", "--all"]).success();
    let all = t.dist_published();
    let mut twins = 0;
    let by_path: BTreeMap<&str, &Vec<u8>> = all.iter().map(|(p, b)| (p.as_str(), b)).collect();
    for (path, bytes) in &by_path {
        let text = [".html", ".css", ".svg", ".xml", ".txt"]
            .iter()
            .any(|e| path.ends_with(e));
        if let Some(original) = path.strip_suffix(".gz") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(&out, by_path[original], "{path}");
            twins += 1;
        } else if text && bytes.len() > 256 {
            assert!(
                by_path.contains_key(format!("{path}.gz").as_str()),
                "{path} has no .gz"
            );
        } else if is_raster(path) {
            assert!(
                !by_path.contains_key(format!("{path}.gz").as_str()),
                "{path} should not be gzipped"
            );
        }
    }
    assert!(twins > 50, "{twins}");
}

#[test]
fn image_references_cannot_leave_the_site_content_folder() {
    let t = SiteTest::demo();
    // Another site's photo, a site folder's file, and an absolute path.
    for (reference, what) in [
        (
            "../transquinnftw.com/gallery/studio-wall.jpg",
            "outside the site's content folder",
        ),
        (
            "../../sites/cocotte.maison/social.jpg",
            "outside the site's content folder",
        ),
        (
            "/../../data/platform/cocotte/media/margot-lune.jpg",
            "outside the site's content folder",
        ),
        ("https://example.com/x.jpg", "is not a local file"),
    ] {
        let before = t.read("content/cocotte.maison/about.md");
        t.edit(
            "content/cocotte.maison/about.md",
            "## Ce que les membres gardent",
            &format!("![A photo]({reference})\n\n## Ce que les membres gardent"),
        );
        let run = t.run(&["build", "cocotte.maison"]);
        run.failure();
        assert!(
            run.stderr
                .starts_with("error: content/cocotte.maison/about.md:")
                && run.stderr.contains(": image ")
                && run.stderr.contains(what),
            "{reference}: {}",
            run.stderr
        );
        t.write("content/cocotte.maison/about.md", &before);
    }
    // The same rule holds for picture() in templates.
    t.write(
        "sites/cocotte.maison/templates/page.html",
        "{% extends \"base.html\" %}{% block main %}{{ picture(\"../transquinnftw.com/gallery/studio-wall.jpg\", \"x\") }}{% endblock %}",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.contains("outside the site's content folder"),
        "{}",
        run.stderr
    );
}
