//! Assets: the site stylesheet (brand custom properties + theme CSS), the
//! logo and static files, fingerprinted by content. Reads only the theme's
//! and the site's own folders.
//!
//! Raster images are refused here: every published image must be re-encoded
//! without metadata (DESIGN.md, invariant 6), which is the image pipeline's job.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::config::Site;
use crate::error::{Error, Location, Result};
use crate::fsutil;

/// Files to publish and the URLs templates reach them by.
#[derive(Debug, Default)]
pub struct Assets {
    /// Logical name (`css/site.css`, `logo`, `favicon.svg`) → URL.
    pub urls: BTreeMap<String, String>,
    /// Bundle path → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
}

const RASTER: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "avif", "tif", "tiff", "bmp", "heic",
];

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `site.css` + bytes → `site.1a2b3c4d5e.css`.
pub fn fingerprinted_name(stem: &str, ext: &str, bytes: &[u8]) -> String {
    format!("{stem}.{}.{ext}", &sha256_hex(bytes)[..10])
}

pub fn build(site: &Site) -> Result<Assets> {
    let mut assets = Assets::default();

    let css = stylesheet(site)?;
    let name = fingerprinted_name("site", "css", css.as_bytes());
    assets
        .urls
        .insert("css/site.css".into(), format!("/assets/{name}"));
    assets
        .files
        .insert(format!("assets/{name}"), css.into_bytes());

    if let Some(logo) = &site.config.brand.logo {
        let path = site.site_dir.join(logo.as_str());
        let ext = extension(&path);
        if ext != "svg" {
            return Err(Error::config(format!(
                "logo {logo} is a raster image; use an SVG logo"
            ))
            .at(Location::file(&site.config_path).key("brand.logo"))
            .hint("raster images are only published through the image pipeline, which strips their metadata"));
        }
        let bytes = fsutil::read(&path)?;
        let name = fingerprinted_name("logo", &ext, &bytes);
        assets.urls.insert("logo".into(), format!("/assets/{name}"));
        assets.files.insert(format!("assets/{name}"), bytes);
    }

    // Theme static files first, then the site's, which override them.
    for dir in [site.theme_dir.join("static"), site.site_dir.join("static")] {
        copy_static(&dir, &mut assets)?;
    }
    Ok(assets)
}

/// Brand palette and fonts as custom properties, then the theme's sheets in order.
fn stylesheet(site: &Site) -> Result<String> {
    let mut palette = site.theme.palette.clone();
    palette.extend(site.config.brand.palette.clone());
    let mut fonts = site.theme.fonts.clone();
    fonts.extend(site.config.brand.fonts.clone());
    let mut css = String::from(":root{");
    for (name, colour) in &palette {
        let _ = write!(css, "--color-{name}:{colour};");
    }
    for (name, stack) in &fonts {
        let _ = write!(css, "--font-{name}:{stack};");
    }
    css.push_str("}\n");
    for sheet in &site.theme.stylesheets {
        css.push_str(&fsutil::read_to_string(
            &site.theme_dir.join(sheet.as_str()),
        )?);
        css.push('\n');
    }
    Ok(css)
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn copy_static(dir: &Path, assets: &mut Assets) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in WalkDir::new(dir).follow_links(false).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::io(dir, "walk static files", e.into()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("inside dir")
            .to_string_lossy()
            .replace('\\', "/");
        if rel.split('/').any(|s| s.starts_with('.')) {
            continue;
        }
        if RASTER.contains(&extension(entry.path()).as_str()) {
            return Err(Error::build(format!(
                "{rel} is a raster image in a static folder; it would be published with its metadata"
            ))
            .at(Location::file(entry.path()))
            .hint("reference images from content or templates so they are re-encoded"));
        }
        let bytes = fsutil::read(entry.path())?;
        assets.urls.insert(rel.clone(), format!("/{rel}"));
        assets.files.insert(rel, bytes);
    }
    Ok(())
}
