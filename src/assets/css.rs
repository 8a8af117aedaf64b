//! CSS: the theme's stylesheets bundled with lightningcss (`@import`s
//! inlined), the brand's palette and fonts prepended as custom properties,
//! lowered for the configured browser targets and minified. Imports may not
//! leave the theme folder or reach the network.

use std::io;
use std::path::{Path, PathBuf};

use lightningcss::bundler::{Bundler, FileProvider, ResolveResult, SourceProvider};
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions};
use lightningcss::targets::{Browsers, Targets};

use crate::config::Site;
use crate::error::{Error, Location, Result};

/// The virtual entry file: brand properties, then one `@import` per stylesheet.
const ENTRY: &str = "__sitegen_entry.css";

struct ThemeProvider {
    root: PathBuf,
    entry: String,
    files: FileProvider,
    /// The theme folder as the workspace names it, and the root every
    /// stylesheet must resolve inside after following links.
    shown: PathBuf,
    confine: crate::fsutil::Root,
}

impl SourceProvider for ThemeProvider {
    type Error = io::Error;

    fn read<'a>(&'a self, file: &Path) -> std::result::Result<&'a str, io::Error> {
        if file == self.root.join(ENTRY) {
            return Ok(&self.entry);
        }
        self.files.read(file)
    }

    fn resolve(
        &self,
        specifier: &str,
        from: &Path,
    ) -> std::result::Result<ResolveResult, io::Error> {
        if specifier.contains("://") || specifier.starts_with("//") {
            return Err(io::Error::other(format!(
                "@import {specifier:?}: stylesheets are bundled from the theme folder; remote imports are not allowed"
            )));
        }
        let path = crate::fsutil::normalize(&from.parent().unwrap_or(&self.root).join(specifier));
        if !path.starts_with(&self.root) {
            return Err(io::Error::other(format!(
                "@import {specifier:?} leaves the theme folder"
            )));
        }
        let rel = path.strip_prefix(&self.root).expect("inside the root");
        self.confine
            .check(&self.shown.join(rel))
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(ResolveResult::File(path))
    }
}

/// Bundles and minifies the site stylesheet.
pub fn compile(site: &Site, browserslist: &[String]) -> Result<String> {
    let mut palette = site.theme.palette.clone();
    palette.extend(site.config.brand.palette.clone());
    let mut fonts = site.theme.fonts.clone();
    fonts.extend(site.config.brand.fonts.clone());
    let mut entry = String::from(":root{");
    for (name, colour) in &palette {
        entry.push_str(&format!("--color-{name}:{colour};"));
    }
    for (name, stack) in &fonts {
        entry.push_str(&format!("--font-{name}:{stack};"));
    }
    entry.push_str("}\n");
    // @import must come first in a stylesheet, so the properties go in a layer-free
    // block after them: imports are hoisted by the bundler in order.
    let imports: String = site
        .theme
        .stylesheets
        .iter()
        .map(|s| format!("@import \"{s}\";\n"))
        .collect();
    let root = crate::fsutil::normalize(
        &std::path::absolute(&site.theme_dir)
            .map_err(|e| Error::io(&site.theme_dir, "resolve", e))?,
    );
    let provider = ThemeProvider {
        entry: format!("{imports}{entry}"),
        root: root.clone(),
        files: FileProvider::new(),
        shown: site.theme_dir.clone(),
        confine: site.roots.theme.clone(),
    };
    let targets = Targets::from(
        Browsers::from_browserslist(browserslist.iter().map(String::as_str))
            .map_err(|e| Error::config(format!("css.browserslist: {e}")))?,
    );
    let mut bundler = Bundler::new(&provider, None, ParserOptions::default());
    let entry_path = root.join(ENTRY);
    let mut sheet = bundler.bundle(&entry_path).map_err(|e| {
        let mut err = Error::build(format!("CSS: {}", e.kind));
        if let Some(loc) = &e.loc {
            let file = PathBuf::from(&loc.filename);
            let shown = file
                .strip_prefix(&root)
                .map(|p| site.theme_dir.join(p))
                .unwrap_or(file);
            err = err.at(Location::file(shown)
                .line(loc.line as usize + 1)
                .column(loc.column as usize));
        } else {
            err = err.at(Location::file(&site.theme_dir));
        }
        err
    })?;
    sheet
        .minify(MinifyOptions {
            targets,
            ..Default::default()
        })
        .map_err(|e| Error::build(format!("CSS: {e}")).at(Location::file(&site.theme_dir)))?;
    let out = sheet
        .to_css(PrinterOptions {
            minify: true,
            targets,
            ..Default::default()
        })
        .map_err(|e| Error::build(format!("CSS: {e}")).at(Location::file(&site.theme_dir)))?;
    Ok(out.code)
}
