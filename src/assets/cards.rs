//! Social cards: a 1200×630 PNG per page that has no image of its own,
//! requested by templates (`social_card(page.permalink, title)`) while pages
//! render and drawn in parallel at the end, like the image queue.
//!
//! A card shows what its page already shows publicly and nothing else: the
//! page's title and the site's name, with the logo or monogram, on the brand
//! palette, set in the theme's `card_font`. A theme without a `card_font`
//! gets no cards (system fonts would make the bytes depend on the machine).
//!
//! A card's file name is fingerprinted by everything it is drawn from
//! (`Brand::digest`, the page's URL and title), so its URL is known before
//! it is drawn, an unchanged page keeps its card, and drawn cards are
//! cached under that name.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use resvg::tiny_skia;

use super::identity::{self, xml_escape, Brand, CardFont};
use crate::error::Result;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;
/// Where cards are in the bundle.
pub const DIR: &str = "assets/cards/";

/// A requested card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRef {
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// The cards a build's pages asked for.
pub struct Cards {
    brand: Arc<Brand>,
    /// `https://<domain>`, stripped from permalinks.
    base_url: String,
    /// Bundle path → title.
    requested: Mutex<BTreeMap<String, String>>,
    /// Drawn cards by file name (`.sitegen/cache/cards/`), or no cache.
    cache: Option<PathBuf>,
}

impl Cards {
    /// Cards for a brand whose theme has a `card_font`; None without one.
    pub fn new(brand: Arc<Brand>, base_url: String, cache: Option<PathBuf>) -> Option<Cards> {
        brand.font.as_ref()?;
        Some(Cards {
            brand,
            base_url,
            requested: Mutex::new(BTreeMap::new()),
            cache,
        })
    }

    /// The card of the page at `permalink` titled `title`.
    pub fn request(&self, permalink: &str, title: &str) -> CardRef {
        let path = permalink.strip_prefix(&self.base_url).unwrap_or(permalink);
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut input = self.brand.digest.clone().into_bytes();
        for part in [path, &title] {
            input.push(0);
            input.extend(part.as_bytes());
        }
        let hash = &crate::digest::sha256_hex(&input)[..10];
        let file = format!("{DIR}{}.{hash}.png", slug(path));
        self.requested
            .lock()
            .expect("no panics while holding the lock")
            .insert(file.clone(), title);
        CardRef {
            url: format!("/{file}"),
            width: WIDTH,
            height: HEIGHT,
        }
    }

    /// Every requested card drawn (or read from the cache), in parallel.
    pub fn process(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let requested = std::mem::take(&mut *self.requested.lock().expect("not poisoned"));
        Ok(requested
            .into_par_iter()
            .map(|(path, title)| {
                let name = path.rsplit('/').next().unwrap_or(&path).to_string();
                let cached = self.cache.as_ref().map(|dir| dir.join(&name));
                if let Some(bytes) = cached.as_ref().and_then(|c| cached_png(c)) {
                    return (path, bytes);
                }
                let bytes = draw(&self.brand, &title);
                if let Some(c) = cached {
                    store(&c, &bytes);
                }
                (path, bytes)
            })
            .collect())
    }
}

/// A cached card, if it is a PNG of the right size (a torn or foreign
/// file is drawn again).
fn cached_png(path: &std::path::Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    let ok = bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        && bytes.len() > 24
        && bytes[16..20] == WIDTH.to_be_bytes()
        && bytes[20..24] == HEIGHT.to_be_bytes()
        && bytes.ends_with(b"IEND\xaeB`\x82");
    ok.then_some(bytes)
}

/// Writes a cache entry through a unique temp file and a rename; a cache
/// that cannot be written only costs the next build a drawing.
fn store(path: &std::path::Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else { return };
    let _ = std::fs::create_dir_all(dir);
    if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) {
        use std::io::Write;
        if tmp.write_all(bytes).is_ok() {
            let _ = tmp.persist(path);
        }
    }
}

/// `/actualites/bienvenue-ines/` → `actualites-bienvenue-ines`; `/` → `home`.
pub fn slug(path: &str) -> String {
    let ascii = deunicode::deunicode(path).to_ascii_lowercase();
    let mut out = String::new();
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    match out {
        "" => "home".to_string(),
        _ => out.chars().take(80).collect(),
    }
}

const MARGIN: f32 = 80.0;
const TEXT_WIDTH: f32 = WIDTH as f32 - 2.0 * MARGIN;
const BAR_TOP: f32 = 534.0;
const MAX_LINES: usize = 3;

/// Breaks `title` into at most three lines of `width` px at `size` px; the
/// last line ends with an ellipsis when the title is longer.
pub fn wrap(font: &CardFont, title: &str, size: f32, width: f32) -> (Vec<String>, bool) {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let fits = |s: &str| font.width(s, size) <= width;
    for word in title.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if fits(&candidate) {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word wider than a line is broken where it must be.
        for c in word.chars() {
            let next = format!("{line}{c}");
            if !line.is_empty() && !fits(&next) {
                lines.push(std::mem::take(&mut line));
                line.push(c);
            } else {
                line = next;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() <= MAX_LINES {
        return (lines, false);
    }
    lines.truncate(MAX_LINES);
    let ellipsis = if font.has('…') { "…" } else { "..." };
    let last = &mut lines[MAX_LINES - 1];
    while !last.is_empty() && !fits(&format!("{last}{ellipsis}")) {
        last.pop();
    }
    let trimmed = last.trim_end().to_string();
    *last = format!("{trimmed}{ellipsis}");
    (lines, true)
}

/// One card's PNG.
pub fn draw(brand: &Brand, title: &str) -> Vec<u8> {
    let font = brand.font.as_ref().expect("cards need a card font");
    let family = xml_escape(&font.family.replace('\'', ""));
    // The largest of these sizes that fits the title in three lines.
    let mut size = 72.0;
    let mut lines = Vec::new();
    for s in [72.0, 62.0, 54.0] {
        size = s;
        let (l, cut) = wrap(font, title, s, TEXT_WIDTH);
        lines = l;
        if !cut {
            break;
        }
    }
    let line_height = size * 1.2;
    let mut text = String::new();
    if !lines.is_empty() {
        // Centred in the space between the logo and the bar.
        let block = line_height * (lines.len() as f32 - 1.0) + font.cap_height(size);
        let top = 220.0 + ((BAR_TOP - 40.0 - 220.0) - block).max(0.0) / 2.0;
        text.push_str(&format!(
            r#"<text font-family="'{family}'" font-weight="{}" font-size="{size}" fill="{}">"#,
            font.weight, brand.primary
        ));
        for (i, line) in lines.iter().enumerate() {
            let y = top + font.cap_height(size) + line_height * i as f32;
            text.push_str(&format!(
                r#"<tspan x="{MARGIN}" y="{y:.1}">{}</tspan>"#,
                xml_escape(line)
            ));
        }
        text.push_str("</text>");
    }
    let (name, _) = wrap(font, &brand.name, 40.0, TEXT_WIDTH);
    let name = name.into_iter().next().unwrap_or_default();
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}"><rect width="{WIDTH}" height="{HEIGHT}" fill="{bg}"/><rect y="{BAR_TOP}" width="{WIDTH}" height="{bar}" fill="{primary}"/><text x="{MARGIN}" y="{name_y:.1}" font-family="'{family}'" font-weight="{weight}" font-size="40" fill="{on_primary}">{name}</text>{text}</svg>"#,
        bg = brand.background,
        bar = HEIGHT as f32 - BAR_TOP,
        primary = brand.primary,
        on_primary = brand.on_primary,
        weight = font.weight,
        name_y = BAR_TOP + (HEIGHT as f32 - BAR_TOP + font.cap_height(40.0)) / 2.0,
        name = xml_escape(&name),
    );
    let tree = usvg::Tree::from_str(&svg, &identity::safe_options(Some(font)))
        .expect("the card is valid SVG");
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT).expect("not empty");
    // Opaque from the start (the palette's colours carry no alpha), so the
    // PNG needs no demultiplying pass.
    pixmap.fill(identity::skia_colour(&brand.background));
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    identity::draw(
        &identity::icon(brand),
        &mut pixmap,
        MARGIN,
        64.0,
        120.0,
        120.0,
    );
    identity::png_opaque(&pixmap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_of_page_paths() {
        assert_eq!(slug("/"), "home");
        assert_eq!(slug("/en/"), "en");
        assert_eq!(
            slug("/actualites/bienvenue-ines/"),
            "actualites-bienvenue-ines"
        );
        assert_eq!(slug("/tags/évènements/"), "tags-evenements");
        assert_eq!(slug("/404.html"), "404-html");
    }
}
