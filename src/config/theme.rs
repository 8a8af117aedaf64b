//! `themes/<name>/theme.yaml`: a theme's stylesheets and its default palette
//! and fonts, which a site's `brand` overrides key by key.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::yaml::{Colour, FontStack, Ident, RelPath};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeConfig {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Stylesheets under the theme folder, in order (`css/site.css`).
    #[serde(default)]
    pub stylesheets: Vec<RelPath>,
    #[serde(default)]
    pub palette: BTreeMap<Ident, Colour>,
    #[serde(default)]
    pub fonts: BTreeMap<Ident, FontStack>,
    /// Web fonts the theme ships (woff2 files under its folder, with their
    /// licences): each becomes an `@font-face` and its file a fingerprinted
    /// asset; those marked `preload` are preloaded by every page.
    #[serde(default)]
    pub webfonts: Vec<WebFont>,
    /// A TrueType or OpenType font under the theme folder that generated
    /// images (social cards) set titles in: browsers read woff2, the
    /// rasteriser does not.
    #[serde(default)]
    pub card_font: Option<RelPath>,
}

/// One `@font-face` of a theme.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebFont {
    /// The family name the theme's `fonts` stacks use (`Fraunces`).
    pub family: String,
    /// The woff2 file under the theme folder.
    pub file: RelPath,
    /// 100–900.
    #[serde(default = "normal_weight")]
    pub weight: u16,
    #[serde(default)]
    pub italic: bool,
    /// The font's licence file under the theme folder, published beside it
    /// under `/fonts/` (the SIL Open Font License asks for that).
    pub licence: RelPath,
    /// Preloaded by every page: for the faces above the fold.
    #[serde(default)]
    pub preload: bool,
}

fn normal_weight() -> u16 {
    400
}
