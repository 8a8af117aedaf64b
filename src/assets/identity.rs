//! Brand identity files, generated per site from its logo (`brand.logo`) or,
//! without one, a monogram of `brand.name` on the resolved palette: an SVG
//! favicon, `/favicon.ico` (16, 32 and 48 px), `/apple-touch-icon.png`
//! (180 px), the web app manifest `/site.webmanifest` with 192 and 512 px
//! icons, and the theme colour pages declare. Also the `Brand` that social
//! cards (`cards.rs`) are drawn from.
//!
//! A logo is operator input: it is parsed by usvg with no access to files
//! or the network (an `<image>` may only embed its data), a size limit, and
//! only the theme's `card_font` to set any text in. Rasterising reads no
//! system fonts, so every machine draws the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use resvg::tiny_skia;
use serde_json::json;
use skrifa::MetadataProvider;
use usvg::fontdb;

use super::{fingerprinted_name, Assets};
use crate::config::Site;
use crate::error::{Error, Location, Result};

/// Logos larger than this are refused: an icon does not need more, and it
/// bounds the work a hostile or broken file can cause.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// Bumped when the drawing of icons or cards changes, so their fingerprints change.
const DRAWING_VERSION: &str = "identity-1";

/// What identity files and cards are drawn from.
pub struct Brand {
    pub name: String,
    /// `#rrggbb` of the resolved palette's `primary`, `on-primary` and `background`.
    pub primary: String,
    pub on_primary: String,
    pub background: String,
    /// The logo, parsed safely; None draws the monogram.
    pub logo: Option<usvg::Tree>,
    /// The theme's `card_font`, the only font text is set in.
    pub font: Option<CardFont>,
    /// Digest of all of the above: a card's fingerprint starts from it.
    pub digest: String,
}

impl std::fmt::Debug for Brand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Brand")
            .field("name", &self.name)
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

/// The theme's `card_font`, loaded.
pub struct CardFont {
    pub db: Arc<fontdb::Database>,
    /// Its family name, as SVG `font-family` names it.
    pub family: String,
    pub weight: u16,
    data: Vec<u8>,
}

impl CardFont {
    /// Width in px of `text` set at `size` px (advances, without kerning).
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(font) = skrifa::FontRef::new(&self.data) else {
            return 0.0;
        };
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(
            skrifa::instance::Size::new(size),
            skrifa::instance::LocationRef::default(),
        );
        text.chars()
            .map(|c| {
                let gid = charmap.map(c).unwrap_or_default();
                metrics.advance_width(gid).unwrap_or(0.0)
            })
            .sum()
    }

    /// Whether the font has a glyph for `c`.
    pub fn has(&self, c: char) -> bool {
        skrifa::FontRef::new(&self.data).is_ok_and(|f| f.charmap().map(c).is_some())
    }

    /// Cap height in px at `size` px (0.7 em if the font does not say).
    pub fn cap_height(&self, size: f32) -> f32 {
        skrifa::FontRef::new(&self.data)
            .ok()
            .and_then(|f| {
                f.metrics(
                    skrifa::instance::Size::new(size),
                    skrifa::instance::LocationRef::default(),
                )
                .cap_height
            })
            .unwrap_or(size * 0.7)
    }
}

/// usvg options that read nothing but the SVG text itself: no resources
/// folder, `<image href>` only as embedded data (never a file or URL), and
/// fonts from `font` alone (none from the system).
pub fn safe_options(font: Option<&CardFont>) -> usvg::Options<'static> {
    let mut opt = usvg::Options {
        resources_dir: None,
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        ..Default::default()
    };
    match font {
        Some(f) => {
            opt.fontdb = f.db.clone();
            opt.font_family = f.family.clone();
        }
        None => opt.fontdb = Arc::new(fontdb::Database::new()),
    }
    opt
}

/// The site's brand: resolved palette, logo and card font, checked.
pub fn brand(site: &Site) -> Result<Brand> {
    let mut palette = site.theme.palette.clone();
    palette.extend(site.config.brand.palette.clone());
    let colour = |key: &str| -> Result<Option<String>> {
        let Some((k, value)) = palette.iter().find(|(k, _)| k.as_str() == key) else {
            return Ok(None);
        };
        match hex(value.as_str()) {
            Some(h) => Ok(Some(h)),
            None => {
                let at = if site.config.brand.palette.contains_key(k) {
                    site.key_location(&format!("brand.palette.{key}"))
                } else {
                    Location::file(site.theme_dir.join("theme.yaml")).key(format!("palette.{key}"))
                };
                Err(Error::config(format!(
                    "palette colour {key} ({value}) cannot be used for the generated icons and cards"
                ))
                .at(at)
                .hint("give it as #rrggbb, rgb() or hsl()"))
            }
        }
    };
    let primary = colour("primary")?.unwrap_or_else(|| "#333333".into());
    let on_primary = colour("on-primary")?.unwrap_or_else(|| contrasting(&primary));
    let background = colour("background")?.unwrap_or_else(|| "#ffffff".into());
    let font = match &site.theme.card_font {
        Some(rel) => Some(card_font(site, rel.as_str())?),
        None => None,
    };
    let mut logo_bytes = Vec::new();
    let logo = match &site.config.brand.logo {
        Some(rel) => {
            let bytes = site.roots.site.read(&site.site_dir.join(rel.as_str()))?;
            let tree = parse_logo(&bytes, font.as_ref()).map_err(|why| {
                Error::config(format!("logo {rel} cannot be read as an SVG image: {why}"))
                    .at(site.key_location("brand.logo"))
                    .hint("brand.logo must be a self-contained SVG file (no links to other files), at most 512 KiB")
            })?;
            logo_bytes = bytes;
            Some(tree)
        }
        None => None,
    };
    let mut input = Vec::new();
    for part in [
        DRAWING_VERSION.as_bytes(),
        site.config.brand.name.as_bytes(),
        primary.as_bytes(),
        on_primary.as_bytes(),
        background.as_bytes(),
        &logo_bytes,
        font.as_ref().map_or(&[][..], |f| &f.data),
    ] {
        input.extend((part.len() as u64).to_le_bytes());
        input.extend(part);
    }
    Ok(Brand {
        name: site.config.brand.name.clone(),
        primary,
        on_primary,
        background,
        logo,
        font,
        digest: crate::digest::sha256_hex(&input),
    })
}

/// Parses a logo with `safe_options`; the error says why not.
pub fn parse_logo(
    bytes: &[u8],
    font: Option<&CardFont>,
) -> std::result::Result<usvg::Tree, String> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(format!(
            "it is {} KiB, more than {} KiB",
            bytes.len() / 1024,
            MAX_LOGO_BYTES / 1024
        ));
    }
    usvg::Tree::from_data(bytes, &safe_options(font)).map_err(|e| e.to_string())
}

fn card_font(site: &Site, rel: &str) -> Result<CardFont> {
    let at = || Location::file(site.theme_dir.join("theme.yaml")).key("card_font");
    let data = site
        .roots
        .theme
        .read(&site.theme_dir.join(rel))
        .map_err(|e| e.at(at()))?;
    let mut db = fontdb::Database::new();
    db.load_font_data(data.clone());
    let Some(face) = db.faces().next() else {
        return Err(Error::config(format!(
            "card_font {rel} is not a TrueType or OpenType font"
        ))
        .at(at())
        .hint(
            "name a .ttf or .otf file under the theme folder (browsers' woff2 files are not read)",
        ));
    };
    let family = face
        .families
        .first()
        .map(|(name, _)| name.clone())
        .unwrap_or_default();
    let weight = face.weight.0;
    Ok(CardFont {
        db: Arc::new(db),
        family,
        weight,
        data,
    })
}

/// `#rrggbb` of a CSS colour usvg can paint (alpha dropped).
fn hex(css: &str) -> Option<String> {
    let c: svgtypes::Color = css.trim().parse().ok()?;
    Some(format!("#{:02x}{:02x}{:02x}", c.red, c.green, c.blue))
}

/// Black or white, whichever reads better on `hex`.
fn contrasting(hex: &str) -> String {
    let c: svgtypes::Color = hex.parse().unwrap_or(svgtypes::Color::black());
    let luma = 0.299 * f32::from(c.red) + 0.587 * f32::from(c.green) + 0.114 * f32::from(c.blue);
    if luma > 150.0 { "#000000" } else { "#ffffff" }.into()
}

/// Escapes text for SVG markup.
pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The initials of the brand name's first two words (`Quinn Avery` → `QA`).
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// The monogram: a rounded square in the primary colour with the brand's
/// initials in on-primary, set in the card font (a plain square without one).
pub fn monogram(brand: &Brand) -> usvg::Tree {
    let mut text = String::new();
    if let Some(font) = &brand.font {
        let letters: String = initials(&brand.name)
            .chars()
            .filter(|c| font.has(*c))
            .collect();
        if !letters.is_empty() {
            // As large as fits 70% of the width, at most 62% of the height.
            let width = font.width(&letters, 100.0).max(1.0);
            let size = (100.0 * 358.0 / width).min(318.0);
            let baseline = 256.0 + font.cap_height(size) / 2.0;
            text = format!(
                r#"<text x="256" y="{baseline:.1}" text-anchor="middle" font-family="'{}'" font-weight="{}" font-size="{size:.1}" fill="{}">{}</text>"#,
                xml_escape(&font.family.replace('\'', "")),
                font.weight,
                brand.on_primary,
                xml_escape(&letters)
            );
        }
    }
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512"><rect width="512" height="512" rx="96" fill="{}"/>{text}</svg>"#,
        brand.primary
    );
    usvg::Tree::from_str(&svg, &safe_options(brand.font.as_ref()))
        .expect("the monogram is valid SVG")
}

/// The icon: the logo, or the monogram.
pub fn icon(brand: &Brand) -> usvg::Tree {
    match &brand.logo {
        Some(tree) => tree.clone(),
        None => monogram(brand),
    }
}

/// Draws `tree` centred in the `w`×`h` box at (`x`, `y`) of `pixmap`, scaled
/// to fit, keeping its proportions.
pub fn draw(tree: &usvg::Tree, pixmap: &mut tiny_skia::Pixmap, x: f32, y: f32, w: f32, h: f32) {
    let size = tree.size();
    let scale = (w / size.width()).min(h / size.height());
    let tx = x + (w - size.width() * scale) / 2.0;
    let ty = y + (h - size.height() * scale) / 2.0;
    resvg::render(
        tree,
        tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, tx, ty),
        &mut pixmap.as_mut(),
    );
}

/// A `#rrggbb` colour for tiny-skia.
pub fn skia_colour(hex: &str) -> tiny_skia::Color {
    let c: svgtypes::Color = hex.parse().unwrap_or(svgtypes::Color::black());
    tiny_skia::Color::from_rgba8(c.red, c.green, c.blue, 255)
}

/// The icon drawn at `size`×`size`: transparent around a logo (the favicon),
/// or `opaque` on a full square for home screens.
fn raster_icon(brand: &Brand, icon: &usvg::Tree, size: u32, opaque: bool) -> tiny_skia::Pixmap {
    let mut pixmap = tiny_skia::Pixmap::new(size, size).expect("icon sizes are not zero");
    let s = size as f32;
    if opaque {
        match brand.logo {
            // A logo gets a margin on the page background; the monogram's
            // square fills the icon (home screens round the corners).
            Some(_) => {
                pixmap.fill(skia_colour(&brand.background));
                draw(icon, &mut pixmap, s * 0.1, s * 0.1, s * 0.8, s * 0.8);
            }
            None => {
                pixmap.fill(skia_colour(&brand.primary));
                draw(icon, &mut pixmap, 0.0, 0.0, s, s);
            }
        }
    } else {
        draw(icon, &mut pixmap, 0.0, 0.0, s, s);
    }
    pixmap
}

/// Straight (not premultiplied) RGBA bytes of a pixmap.
pub fn rgba(pixmap: &tiny_skia::Pixmap) -> Vec<u8> {
    pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect()
}

/// A PNG of `pixmap`: the same pixels give the same bytes.
pub fn png(pixmap: &tiny_skia::Pixmap) -> Vec<u8> {
    encode_png(&rgba(pixmap), pixmap)
}

/// A PNG of a pixmap every pixel of which is opaque (a card: its
/// background is filled first). Premultiplied and straight RGBA are then the
/// same bytes, so no per-pixel pass is needed: a card is 756,000 pixels, and
/// such a pass is slow where this crate is built without optimisation (the
/// test suite draws cards by the hundred).
pub fn png_opaque(pixmap: &tiny_skia::Pixmap) -> Vec<u8> {
    encode_png(pixmap.data(), pixmap)
}

fn encode_png(rgba: &[u8], pixmap: &tiny_skia::Pixmap) -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Default,
        image::codecs::png::FilterType::Adaptive,
    )
    .write_image(
        rgba,
        pixmap.width(),
        pixmap.height(),
        image::ExtendedColorType::Rgba8,
    )
    .expect("encoding a PNG into memory cannot fail");
    out
}

/// Sizes of the frames of `/favicon.ico`.
pub const ICO_SIZES: [u32; 3] = [16, 32, 48];

/// Adds the identity files to `assets`, over any static file of the same
/// name: `favicon.svg` (fingerprinted), `/favicon.ico`,
/// `/apple-touch-icon.png`, `/site.webmanifest` and its icons.
pub fn publish(brand: &Brand, assets: &mut Assets) -> Result<()> {
    let icon = icon(brand);
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();

    let svg = icon.to_string(&usvg::WriteOptions::default());
    let name = fingerprinted_name("favicon", "svg", svg.as_bytes());
    assets
        .urls
        .insert("favicon.svg".into(), format!("/assets/{name}"));
    files.insert(format!("assets/{name}"), svg.into_bytes());

    let frames: Vec<image::codecs::ico::IcoFrame<'static>> = ICO_SIZES
        .iter()
        .map(|&size| {
            let pixmap = raster_icon(brand, &icon, size, false);
            image::codecs::ico::IcoFrame::as_png(
                &rgba(&pixmap),
                size,
                size,
                image::ExtendedColorType::Rgba8,
            )
            .expect("small frames encode")
        })
        .collect();
    let mut ico = Vec::new();
    image::codecs::ico::IcoEncoder::new(&mut ico)
        .encode_images(&frames)
        .map_err(|e| Error::build(format!("favicon.ico: {e}")))?;
    assets
        .urls
        .insert("favicon.ico".into(), "/favicon.ico".into());
    files.insert("favicon.ico".into(), ico);

    assets.urls.insert(
        "apple-touch-icon.png".into(),
        "/apple-touch-icon.png".into(),
    );
    files.insert(
        "apple-touch-icon.png".into(),
        png(&raster_icon(brand, &icon, 180, true)),
    );

    let mut icons = Vec::new();
    for size in [192, 512] {
        let bytes = png(&raster_icon(brand, &icon, size, true));
        let name = fingerprinted_name(&format!("icon-{size}"), "png", &bytes);
        icons.push(json!({
            "src": format!("/assets/{name}"),
            "sizes": format!("{size}x{size}"),
            "type": "image/png",
        }));
        files.insert(format!("assets/{name}"), bytes);
    }
    let short_name = match brand.name.chars().count() {
        0..=12 => brand.name.clone(),
        _ => brand
            .name
            .split_whitespace()
            .next()
            .unwrap_or(&brand.name)
            .to_string(),
    };
    let mut manifest = serde_json::to_vec_pretty(&json!({
        "name": brand.name,
        "short_name": short_name,
        "icons": icons,
        "theme_color": brand.primary,
        "background_color": brand.background,
        "start_url": "/",
        "display": "minimal-ui",
    }))
    .expect("serializes");
    manifest.push(b'\n');
    assets
        .urls
        .insert("site.webmanifest".into(), "/site.webmanifest".into());
    files.insert("site.webmanifest".into(), manifest);

    assets.files.extend(files);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_brand_names() {
        assert_eq!(initials("Quinn Avery"), "QA");
        assert_eq!(initials("Sansonnet"), "S");
        assert_eq!(initials("Adult Therapy Tour"), "AT");
        assert_eq!(initials("  élan vital "), "ÉV");
        assert_eq!(initials(""), "");
    }

    #[test]
    fn colours_normalise_to_hex() {
        assert_eq!(hex("#FFD166").as_deref(), Some("#ffd166"));
        assert_eq!(hex("#abc").as_deref(), Some("#aabbcc"));
        assert_eq!(hex("rgb(255, 0, 0)").as_deref(), Some("#ff0000"));
        assert_eq!(contrasting("#ffd166"), "#000000");
        assert_eq!(contrasting("#5b3fa0"), "#ffffff");
    }

    #[test]
    fn a_logo_cannot_read_files_or_urls() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret.svg");
        std::fs::write(
            &secret,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#00ff00"/></svg>"##,
        )
        .unwrap();
        for href in [
            secret.display().to_string(),
            "http://example.com/a.svg".into(),
        ] {
            let logo = format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image width="10" height="10" xlink:href="{href}"/></svg>"#
            );
            let tree = parse_logo(logo.as_bytes(), None).unwrap();
            let mut pixmap = tiny_skia::Pixmap::new(10, 10).unwrap();
            draw(&tree, &mut pixmap, 0.0, 0.0, 10.0, 10.0);
            assert!(
                pixmap.pixels().iter().all(|p| p.alpha() == 0),
                "{href} was loaded"
            );
        }
        assert!(parse_logo(&vec![b' '; MAX_LOGO_BYTES + 1], None).is_err());
        assert!(parse_logo(b"not svg", None).is_err());
    }
}
