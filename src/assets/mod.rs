//! Assets: the site stylesheet (css.rs), images (images.rs), the logo and
//! static files, fingerprinted by content, and gzip twins of text files.
//! Reads only the theme's and the site's own folders.
//!
//! Raster images are refused in static folders: every published image must
//! be re-encoded without metadata (DESIGN.md, invariant 6) by images.rs.

pub mod cards;
pub mod css;
pub mod identity;
pub mod images;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use walkdir::WalkDir;

use crate::config::Site;
use crate::error::{Error, Location, Result};
use crate::fsutil;

/// Files to publish and the URLs templates reach them by.
#[derive(Debug, Default)]
pub struct Assets {
    /// Logical name (`css/site.css`, `logo`, `favicon.svg`, `favicon.ico`,
    /// `apple-touch-icon.png`, `site.webmanifest`) → URL.
    pub urls: BTreeMap<String, String>,
    /// Logical name → Subresource Integrity value (`sha384-…`).
    pub integrity: BTreeMap<String, String>,
    /// Bundle path → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// URLs of the theme's web fonts that every page preloads.
    pub preload_fonts: Vec<String>,
    /// What the identity files were drawn from, and social cards are.
    pub brand: Option<Arc<identity::Brand>>,
}

const RASTER: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "avif", "tif", "tiff", "bmp", "heic",
];

/// `site.css` + bytes → `site.1a2b3c4d5e.css`.
pub fn fingerprinted_name(stem: &str, ext: &str, bytes: &[u8]) -> String {
    format!("{stem}.{}.{ext}", &crate::digest::sha256_hex(bytes)[..10])
}

pub fn build(site: &Site, browserslist: &[String]) -> Result<Assets> {
    let mut assets = Assets::default();

    let faces = webfonts(site, &mut assets)?;
    let css = css::compile(site, browserslist, &faces)?;
    let name = fingerprinted_name("site", "css", css.as_bytes());
    assets
        .urls
        .insert("css/site.css".into(), format!("/assets/{name}"));
    assets
        .integrity
        .insert("css/site.css".into(), crate::digest::sri(css.as_bytes()));
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
            .at(site.key_location("brand.logo"))
            .hint("raster images are only published through the image pipeline, which strips their metadata"));
        }
        let bytes = site.roots.site.read(&path)?;
        let name = fingerprinted_name("logo", &ext, &bytes);
        assets.urls.insert("logo".into(), format!("/assets/{name}"));
        assets.files.insert(format!("assets/{name}"), bytes);
    }

    // Theme static files first, then the site's, which override them.
    for (root, dir) in [
        (&site.roots.theme, site.theme_dir.join("static")),
        (&site.roots.site, site.site_dir.join("static")),
    ] {
        copy_static(root, &dir, &mut assets)?;
    }
    // Generated after the static files: the brand's icons win over a
    // theme's or site's file of the same name.
    let brand = identity::brand(site)?;
    identity::publish(&brand, &mut assets)?;
    assets.brand = Some(Arc::new(brand));
    Ok(assets)
}

/// File types served compressed: each gets a `.gz` twin for nginx's gzip_static.
const TEXT: &[&str] = &[
    "html",
    "css",
    "js",
    "svg",
    "xml",
    "json",
    "txt",
    "webmanifest",
];

/// Adds `<path>.gz` for every text file it makes smaller, except the files
/// `done` says already had their chance (pages compressed as they rendered).
pub fn precompress(files: &mut BTreeMap<String, Vec<u8>>, done: impl Fn(&str) -> bool + Sync) {
    use rayon::prelude::*;
    let twins: Vec<(String, Vec<u8>)> = files
        .par_iter()
        .filter(|(path, _)| !done(path))
        .filter_map(|(path, bytes)| twin(path, bytes))
        .collect();
    files.extend(twins);
}

/// The `.gz` twin of a text file (gzip level 6, no name or time in the
/// header, so deterministic), if compressing makes it smaller. Level 9 made
/// pages 0.4% smaller for a third more build time.
pub fn twin(path: &str, bytes: &[u8]) -> Option<(String, Vec<u8>)> {
    let ext = path.rsplit('.').next().unwrap_or("");
    if !TEXT.contains(&ext) {
        return None;
    }
    let gz = gzip(bytes);
    (gz.len() < bytes.len()).then(|| (format!("{path}.gz"), gz))
}

thread_local! {
    /// One deflate state per thread, reset between files: a new compressor
    /// zeroes several hundred KiB of tables, which cost more than compressing
    /// a typical page (profiled with callgrind).
    static DEFLATE: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::new(6), false));
}

/// gzip (RFC 1952) of `bytes`, with no name and a zero time in the header,
/// so the output depends on the input only.
///
/// The 10-byte header and 8-byte trailer are written here on purpose, not
/// by `flate2::write::GzEncoder`: that makes a fresh compressor per file,
/// and reusing the thread's `DEFLATE` is the measured speed-up above. The
/// framing is checked by decompressing with flate2's `GzDecoder` (tests).
fn gzip(bytes: &[u8]) -> Vec<u8> {
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 (default level) OS=255 (unknown)
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.reserve(bytes.len() / 2 + 64);
    DEFLATE.with(|cell| {
        let mut c = cell.borrow_mut();
        c.reset();
        loop {
            let consumed = c.total_in() as usize;
            let status = c
                .compress_vec(&bytes[consumed..], &mut out, flate2::FlushCompress::Finish)
                .expect("deflate into memory cannot fail");
            if status == flate2::Status::StreamEnd {
                break;
            }
            out.reserve(out.capacity().max(4096));
        }
    });
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    out.extend(crc.sum().to_le_bytes());
    out.extend((bytes.len() as u32).to_le_bytes());
    out.shrink_to_fit();
    out
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The theme's web fonts: each woff2 file and its licence published, the
/// font as a fingerprinted asset (cached for a year like the stylesheet),
/// and the `@font-face` rules that name them.
pub fn webfonts(site: &Site, assets: &mut Assets) -> Result<String> {
    let theme_yaml = site.theme_dir.join("theme.yaml");
    let mut faces = String::new();
    for (i, font) in site.theme.webfonts.iter().enumerate() {
        let at = || Location::file(&theme_yaml).key(format!("webfonts[{i}]"));
        let family = font.family.trim();
        if family.is_empty()
            || !family
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            return Err(Error::config(format!(
                "web font family {:?} must be letters, digits, spaces and hyphens",
                font.family
            ))
            .at(at()));
        }
        if !(100..=900).contains(&font.weight) {
            return Err(
                Error::config(format!("web font weight {} is not 100–900", font.weight)).at(at()),
            );
        }
        let path = site.theme_dir.join(font.file.as_str());
        if extension(&path) != "woff2" {
            return Err(Error::config(format!("web font {} is not a .woff2 file", font.file))
                .at(at())
                .hint("every browser sitegen targets reads woff2; convert the font with fonttools or woff2_compress"));
        }
        let bytes = site.roots.theme.read(&path)?;
        if !bytes.starts_with(b"wOF2") {
            return Err(
                Error::config(format!("web font {} is not a woff2 font", font.file)).at(at()),
            );
        }
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let name = fingerprinted_name(&stem, "woff2", &bytes);
        let url = format!("/assets/{name}");
        faces.push_str(&format!(
            "@font-face{{font-family:\"{family}\";src:url(\"{url}\") format(\"woff2\");font-weight:{};font-style:{};font-display:swap}}\n",
            font.weight,
            if font.italic { "italic" } else { "normal" },
        ));
        if font.preload && !assets.preload_fonts.contains(&url) {
            assets.preload_fonts.push(url);
        }
        assets.files.insert(format!("assets/{name}"), bytes);
        // The licence travels with the font (the OFL asks for it): the file
        // beside it named in theme.yaml, published under /fonts/.
        let licence = site.theme_dir.join(font.licence.as_str());
        if !site.roots.theme.check(&licence)?.is_file() {
            return Err(
                Error::config(format!("web font licence {} does not exist", font.licence))
                    .at(at())
                    .hint(
                        "a web font is published with its licence (OFL.txt beside the font files)",
                    ),
            );
        }
        let text = site.roots.theme.read(&licence)?;
        let file = licence.file_name().unwrap_or_default().to_string_lossy();
        assets.files.insert(format!("fonts/{file}"), text);
    }
    Ok(faces)
}

/// Copies a static folder. The folder and every link in it must resolve
/// inside `root` (the theme's or the site's folder); a link to a file inside
/// is published as that file, a link to a folder is not followed.
fn copy_static(root: &fsutil::Root, dir: &Path, assets: &mut Assets) -> Result<()> {
    let dir = &root.check(dir)?;
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in WalkDir::new(dir).follow_links(false).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::io(dir, "walk static files", e.into()))?;
        if entry.path_is_symlink() {
            root.check(entry.path())?;
        }
        if !entry.path().is_file() {
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
        // By content too: a photo renamed `.txt` would keep its metadata.
        use image::ImageFormat as F;
        let raster = [F::Jpeg, F::Png, F::WebP, F::Tiff, F::Gif, F::Avif, F::Bmp];
        if image::guess_format(&bytes).is_ok_and(|f| raster.contains(&f)) {
            return Err(Error::build(format!(
                "{rel} is a raster image in a static folder; it would be published with its metadata"
            ))
            .at(Location::file(entry.path()))
            .hint("reference images from content or templates so they are re-encoded"));
        }
        assets.urls.insert(rel.clone(), format!("/{rel}"));
        assets.files.insert(rel, bytes);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_twins_decompress_to_the_same_bytes() {
        use std::io::Read;
        let mut files = BTreeMap::new();
        files.insert(
            "index.html".to_string(),
            "<p>hello hello hello hello</p>".repeat(20).into_bytes(),
        );
        files.insert("tiny.txt".to_string(), b"x".to_vec());
        files.insert("photo.webp".to_string(), vec![0; 500]);
        precompress(&mut files, |_| false);
        assert!(!files.contains_key("tiny.txt.gz"), "only when smaller");
        assert!(!files.contains_key("photo.webp.gz"), "only text");
        // A second file on the same thread reuses the reset compressor.
        let other = b"<p>another page, another page, another page</p>".repeat(30);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&other)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, other);
        assert_eq!(gzip(&other), gzip(&other), "deterministic");
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&files["index.html.gz"][..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, files["index.html"]);
    }
}
