//! CSS: the templates' base stylesheet and the theme's stylesheets bundled
//! with lightningcss (`@import`s inlined), the brand's palette and fonts
//! prepended as custom properties, lowered for the configured browser
//! targets and minified.
//!
//! `templates/_base/css/base.css`, when present, comes first: the structure
//! every template's markup needs whatever the theme (page column, folding
//! menu, hero grid, schedule, galleries, endnotes). It belongs to the
//! templates, so a theme gives it a face and never carries a copy. Imports
//! may not leave the folder of the file that makes them (the theme folder,
//! or `templates/_base/css/` for the base) or reach the network, form a
//! cycle, or chain more than `MAX_IMPORT_DEPTH` stylesheets deep, and blocks
//! and brackets may not nest more than `MAX_NESTING` levels in a file:
//! lightningcss recurses on both, and a stack overflow cannot be caught.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use lightningcss::bundler::{Bundler, FileProvider, ResolveResult, SourceProvider};
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions};
use lightningcss::targets::{Browsers, Targets};

use crate::config::Site;
use crate::error::{Error, Location, Result};
use crate::fsutil::Root;

/// The virtual entry file: the base stylesheet, one `@import` per theme
/// stylesheet, then the brand properties.
const ENTRY: &str = "__sitegen_entry.css";

/// How the entry names the base stylesheet: not a path, so no theme file
/// can name it.
const BASE_SPECIFIER: &str = "sitegen:base.css";

/// The base stylesheet, under `templates/_base/`.
pub const BASE_STYLESHEET: &str = "css/base.css";

/// One folder stylesheets are read from and must stay in.
struct Tree {
    /// Absolute, normalised: what the bundler's paths start with.
    root: PathBuf,
    /// As the workspace names it, for messages and the link check.
    shown: PathBuf,
    confine: Root,
}

struct ThemeProvider {
    entry_path: PathBuf,
    entry: String,
    files: FileProvider,
    theme: Tree,
    /// `templates/_base/css/`, when the base stylesheet exists.
    base: Option<Tree>,
}

impl ThemeProvider {
    /// The tree `file` is in.
    fn tree_of(&self, file: &Path) -> &Tree {
        match &self.base {
            Some(base) if file.starts_with(&base.root) => base,
            _ => &self.theme,
        }
    }

    /// `file` as the workspace names it (`themes/atelier/css/site.css`).
    fn shown(&self, file: &Path) -> PathBuf {
        let tree = self.tree_of(file);
        file.strip_prefix(&tree.root)
            .map(|p| tree.shown.join(p))
            .unwrap_or_else(|_| file.to_path_buf())
    }
}

impl SourceProvider for ThemeProvider {
    type Error = io::Error;

    fn read<'a>(&'a self, file: &Path) -> std::result::Result<&'a str, io::Error> {
        if file == self.entry_path {
            return Ok(&self.entry);
        }
        self.files.read(file)
    }

    fn resolve(
        &self,
        specifier: &str,
        from: &Path,
    ) -> std::result::Result<ResolveResult, io::Error> {
        if from == self.entry_path && specifier == BASE_SPECIFIER {
            if let Some(base) = &self.base {
                return Ok(ResolveResult::File(base.root.join("base.css")));
            }
        }
        if specifier.contains("://") || specifier.starts_with("//") {
            return Err(io::Error::other(format!(
                "@import {specifier:?}: stylesheets are bundled from the theme folder; remote imports are not allowed"
            )));
        }
        let tree = self.tree_of(from);
        let path = crate::fsutil::normalize(&from.parent().unwrap_or(&tree.root).join(specifier));
        if !path.starts_with(&tree.root) {
            let folder = if std::ptr::eq(tree, &self.theme) {
                "the theme folder"
            } else {
                "templates/_base/css"
            };
            return Err(io::Error::other(format!(
                "@import {specifier:?} leaves {folder}"
            )));
        }
        let rel = path.strip_prefix(&tree.root).expect("inside the root");
        tree.confine
            .check(&tree.shown.join(rel))
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(ResolveResult::File(path))
    }
}

/// Stack for the threads that run lightningcss. Its parser and printer
/// recurse per nested block and per import, some kilobytes a level; the
/// limits below keep well inside this, whatever thread calls `compile` (rayon
/// workers have 2 MiB). Only what is used is ever touched.
const CSS_STACK_BYTES: usize = 64 << 20;

/// The threads lightningcss runs on. Its bundler loads imports with rayon,
/// so it gets a pool of its own rather than one thread: a worker of the
/// global pool waiting in `install` keeps stealing its own pool's work,
/// where a plain thread spawned from it would wait for a pool whose every
/// worker could be waiting too.
fn css_pool() -> Result<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<std::result::Result<rayon::ThreadPool, String>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("sitegen-css-{i}"))
            .stack_size(CSS_STACK_BYTES)
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Error::build(format!("CSS: cannot start the CSS threads: {e}")))
}

/// Bundles and minifies the site stylesheet, on threads with a stack that
/// the depth limits cannot exhaust (a stack overflow aborts the whole
/// process, and with it the report of every other site).
pub fn compile(site: &Site, browserslist: &[String], faces: &str) -> Result<String> {
    css_pool()?.install(|| compile_here(site, browserslist, faces))
}

fn compile_here(site: &Site, browserslist: &[String], faces: &str) -> Result<String> {
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
    entry.push_str(faces);
    // @import must come first in a stylesheet, so the properties go in a layer-free
    // block after them: imports are hoisted by the bundler in order.
    let absolute = |dir: &Path| {
        std::path::absolute(dir)
            .map(|p| crate::fsutil::normalize(&p))
            .map_err(|e| Error::io(dir, "resolve", e))
    };
    let theme = Tree {
        root: absolute(&site.theme_dir)?,
        shown: site.theme_dir.clone(),
        confine: site.roots.theme.clone(),
    };
    let base_shown = site.base_dir.join("css");
    let base = if site
        .roots
        .templates
        .check(&site.base_dir.join(BASE_STYLESHEET))?
        .is_file()
    {
        Some(Tree {
            root: absolute(&base_shown)?,
            shown: base_shown,
            confine: site.roots.templates.clone(),
        })
    } else {
        None
    };
    let mut imports = String::new();
    if base.is_some() {
        imports.push_str(&format!("@import \"{BASE_SPECIFIER}\";\n"));
    }
    for s in &site.theme.stylesheets {
        imports.push_str(&format!("@import \"{s}\";\n"));
    }
    let entry_path = theme.root.join(ENTRY);
    let provider = ThemeProvider {
        entry_path: entry_path.clone(),
        entry: format!("{imports}{entry}"),
        files: FileProvider::new(),
        theme,
        base,
    };
    let targets = Targets::from(
        Browsers::from_browserslist(browserslist.iter().map(String::as_str))
            .map_err(|e| Error::config(format!("css.browserslist: {e}")))?,
    );
    // lightningcss follows imports recursively: a chain some hundreds deep
    // overflows the stack and aborts the process, so the depth is checked
    // first, through the same provider (same resolution, same confinement).
    check_import_depth(&provider, &entry_path)?;
    let mut bundler = Bundler::new(&provider, None, ParserOptions::default());
    let mut sheet = bundler.bundle(&entry_path).map_err(|e| {
        let mut err = Error::build(format!("CSS: {}", e.kind));
        if let Some(loc) = &e.loc {
            let shown = provider.shown(Path::new(&loc.filename));
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

/// How many stylesheets deep an `@import` chain may go, counting the one
/// theme.yaml lists as the first.
pub const MAX_IMPORT_DEPTH: usize = 32;

/// How deep `{}`, `()` and `[]` may nest in one stylesheet (rules in
/// `@media` in `@supports`…, `calc()` in `calc()`, `:not(:is(…))`).
pub const MAX_NESTING: usize = 32;

/// Follows the `@import`s from the entry file and fails, at the import that
/// goes too far, on a chain deeper than [`MAX_IMPORT_DEPTH`] or a cycle, and
/// on a file nesting deeper than [`MAX_NESTING`]. Imports that do not
/// resolve or cannot be read are left for lightningcss to report. Each file
/// is explored once (its height is remembered), so a lattice of shared
/// imports costs no more than the files in it; recursion stops at the limit,
/// so this cannot overflow the stack either.
fn check_import_depth(provider: &ThemeProvider, entry: &Path) -> Result<()> {
    struct Walk<'a> {
        provider: &'a ThemeProvider,
        /// The current chain, from a theme.yaml stylesheet down.
        chain: Vec<PathBuf>,
        /// Longest chain starting at a fully explored file, in files.
        heights: HashMap<PathBuf, usize>,
    }

    impl Walk<'_> {
        fn rel(&self, file: &Path) -> String {
            let tree = self.provider.tree_of(file);
            file.strip_prefix(&tree.root)
                .unwrap_or(file)
                .display()
                .to_string()
        }

        fn chain_text(&self, last: &Path, from: usize) -> String {
            let names: Vec<String> = self.chain[from..]
                .iter()
                .map(|f| self.rel(f))
                .chain(std::iter::once(self.rel(last)))
                .collect();
            if names.len() > 6 {
                format!(
                    "{} → … → {}",
                    names[..2].join(" → "),
                    names[names.len() - 3..].join(" → ")
                )
            } else {
                names.join(" → ")
            }
        }

        fn error(&self, file: &Path, line: usize, message: String) -> Error {
            Error::build(message).at(Location::file(self.provider.shown(file)).line(line))
        }

        /// Explores `file` (already pushed on the chain); returns its height.
        fn visit(&mut self, file: &Path) -> Result<usize> {
            let Ok(text) = self.provider.read(file) else {
                return Ok(1);
            };
            let scanned = scan(text);
            if let Some(line) = scanned.too_deep {
                return Err(self
                    .error(
                        file,
                        line,
                        format!("blocks and brackets nest deeper than {MAX_NESTING} levels"),
                    )
                    .hint("flatten the nesting; deeper CSS could exhaust the stack of the CSS bundler"));
            }
            let mut height = 1;
            for (spec, line) in scanned.imports {
                let Ok(ResolveResult::File(child)) = self.provider.resolve(&spec, file) else {
                    continue;
                };
                if let Some(start) = self.chain.iter().position(|f| *f == child) {
                    return Err(self
                        .error(
                            file,
                            line,
                            format!("@import cycle: {}", self.chain_text(&child, start)),
                        )
                        .hint("a stylesheet cannot import itself, directly or through others; remove one of these imports"));
                }
                let depth = self.chain.len() + 1;
                if depth > MAX_IMPORT_DEPTH {
                    return Err(self
                        .error(
                            file,
                            line,
                            format!(
                                "@import chain is deeper than {MAX_IMPORT_DEPTH} stylesheets: {}",
                                self.chain_text(&child, 0)
                            ),
                        )
                        .hint("import the files one after another from one stylesheet instead of each from the one before"));
                }
                let below = match self.heights.get(&child) {
                    Some(h) if depth + h - 1 <= MAX_IMPORT_DEPTH => *h,
                    _ => {
                        self.chain.push(child.clone());
                        let h = self.visit(&child)?;
                        self.chain.pop();
                        self.heights.insert(child, h);
                        h
                    }
                };
                height = height.max(below + 1);
            }
            Ok(height)
        }
    }

    let mut walk = Walk {
        provider,
        chain: Vec::new(),
        heights: HashMap::new(),
    };
    // The entry itself is not a theme file: its imports are depth 1.
    walk.visit(entry).map(|_| ())
}

/// What [`scan`] finds in a stylesheet.
#[derive(Debug, Default, PartialEq)]
struct Scanned {
    /// `@import` specifiers with their 1-based lines.
    imports: Vec<(String, usize)>,
    /// The line where `{}`/`()`/`[]` first nest deeper than [`MAX_NESTING`].
    too_deep: Option<usize>,
}

/// Reads a stylesheet as far as the depth checks need, outside comments and
/// strings: the `@import` specifiers (`@import "a.css"`, `'a.css'`,
/// `url(a.css)`, `url("a.css")`) and how deep brackets nest.
fn scan(css: &str) -> Scanned {
    let bytes = css.as_bytes();
    let mut out = Scanned::default();
    let mut line = 1;
    let mut depth = 0usize;
    let mut i = 0;
    // Skips a quoted string starting at `i` (the quote); returns its content.
    let string = |i: &mut usize, line: &mut usize| -> String {
        let quote = bytes[*i];
        let start = *i + 1;
        *i += 1;
        while *i < bytes.len() && bytes[*i] != quote {
            if bytes[*i] == b'\\' {
                *i += 1;
            }
            if bytes.get(*i) == Some(&b'\n') {
                *line += 1;
            }
            *i += 1;
        }
        let end = (*i).min(bytes.len());
        *i += 1;
        css[start..end].to_string()
    };
    let skip_space = |i: &mut usize, line: &mut usize| loop {
        if css[*i..].starts_with("/*") {
            let end = css[*i + 2..]
                .find("*/")
                .map_or(bytes.len(), |e| *i + 2 + e + 2);
            *line += css[*i..end].matches('\n').count();
            *i = end;
        } else if bytes.get(*i).is_some_and(u8::is_ascii_whitespace) {
            if bytes[*i] == b'\n' {
                *line += 1;
            }
            *i += 1;
        } else {
            break;
        }
    };
    while i < bytes.len() {
        match bytes[i] {
            b'/' if css[i..].starts_with("/*") => skip_space(&mut i, &mut line),
            b'"' | b'\'' => {
                string(&mut i, &mut line);
            }
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING && out.too_deep.is_none() {
                    out.too_deep = Some(line);
                }
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'@' if css
                .get(i + 1..i + 7)
                .is_some_and(|w| w.eq_ignore_ascii_case("import")) =>
            {
                let at = line;
                i += 7;
                skip_space(&mut i, &mut line);
                match bytes.get(i) {
                    Some(b'"' | b'\'') => out.imports.push((string(&mut i, &mut line), at)),
                    Some(_)
                        if css
                            .get(i..i + 4)
                            .is_some_and(|w| w.eq_ignore_ascii_case("url(")) =>
                    {
                        i += 4;
                        skip_space(&mut i, &mut line);
                        if matches!(bytes.get(i), Some(b'"' | b'\'')) {
                            out.imports.push((string(&mut i, &mut line), at));
                            skip_space(&mut i, &mut line);
                        } else {
                            let end = css[i..].find(')').map_or(bytes.len(), |e| i + e);
                            out.imports.push((css[i..end].trim().to_string(), at));
                            i = end;
                        }
                        // The closing `)` of `url(`.
                        if bytes.get(i) == Some(&b')') {
                            i += 1;
                        }
                    }
                    _ => {}
                }
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_in_every_spelling() {
        let css = "/* @import \"no.css\"; */\n@import \"a.css\";\n@IMPORT 'b.css' screen;\n.x{content:\"@import 'no'\"}\n@import url(c.css);\n@import url( \"d.css\" ) layer(x);\n@import/**/\"e.css\";\n";
        let imports = |v: &[(&str, usize)]| -> Vec<(String, usize)> {
            v.iter().map(|(s, l)| (s.to_string(), *l)).collect()
        };
        assert_eq!(
            scan(css),
            Scanned {
                imports: imports(&[
                    ("a.css", 2),
                    ("b.css", 3),
                    ("c.css", 5),
                    ("d.css", 6),
                    ("e.css", 7)
                ]),
                too_deep: None,
            }
        );
        assert_eq!(scan("@import"), Scanned::default());
        assert_eq!(
            scan("@import \"unterminated").imports,
            imports(&[("unterminated", 1)])
        );
    }

    #[test]
    fn nesting_depth() {
        let nested =
            |n: usize, open: &str, close: &str| format!("{}\n{}", open.repeat(n), close.repeat(n));
        assert_eq!(
            scan(&nested(MAX_NESTING, "@media screen{", "}")).too_deep,
            None
        );
        assert_eq!(
            scan(&nested(MAX_NESTING + 1, "@media screen{", "}")).too_deep,
            Some(1)
        );
        assert_eq!(
            scan(&nested(MAX_NESTING + 1, ":not(", ")")).too_deep,
            Some(1)
        );
        // Brackets in strings and comments do not count; closed ones do not add up.
        let flat = format!(
            "{}\n/* {} */ .a{{content:\"{}\"}}",
            "a{}".repeat(1000),
            "{".repeat(99),
            "(".repeat(99)
        );
        assert_eq!(scan(&flat).too_deep, None);
    }
}
