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
}
