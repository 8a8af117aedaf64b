//! The minijinja environment: loader chain, filters and functions. Pure:
//! templates and values in, strings out. Template lookup order is
//! site override → theme → site kind → shared base:
//! `sites/<domain>/templates/`, `themes/<theme>/templates/`,
//! `templates/<kind>/`, `templates/_base/`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, ErrorKind as JinjaKind, State, UndefinedBehavior};

use crate::config::Site;
use crate::content::markdown;
use crate::error::{Error, Location, Result};
use crate::fsutil::Root;
use crate::i18n::format::DateStyle;
use crate::i18n::{LangId, Strings};

pub(crate) mod diagnose;

pub use diagnose::closest as closest_name;

/// The folders templates are looked up in, in order, each with the root
/// its files must resolve inside (after following links): the site's
/// folder, the theme's, and `templates/` for the kind and `_base`.
#[derive(Debug, Clone)]
pub struct TemplateDirs(Vec<(PathBuf, Root)>);

impl TemplateDirs {
    pub fn for_site(site: &Site) -> Self {
        let r = &site.roots;
        TemplateDirs(vec![
            (site.site_dir.join("templates"), r.site.clone()),
            (site.theme_dir.join("templates"), r.theme.clone()),
            (site.kind_dir.clone(), r.templates.clone()),
            (site.base_dir.clone(), r.templates.clone()),
        ])
    }

    /// Every template folder that exists must itself resolve inside its
    /// root: a `templates` folder linked to `/etc` fails the build even
    /// before anything is read through it.
    pub fn check(&self) -> Result<()> {
        for (dir, root) in &self.0 {
            root.check(dir)?;
        }
        Ok(())
    }

    /// The file a template name resolves to, if any.
    pub fn resolve(&self, name: &str) -> Option<PathBuf> {
        if !crate::text::is_safe_template_name(name) {
            return None;
        }
        self.0
            .iter()
            .map(|(d, _)| d.join(name))
            .find(|p| p.is_file())
    }

    /// The names of the files under `folder` in any of the folders (the
    /// first of each name wins, as for templates), without the folder.
    pub fn files_under(&self, folder: &str) -> std::collections::BTreeSet<String> {
        self.0
            .iter()
            .map(|(d, _)| d.join(folder))
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect()
    }

    /// Every template file (regular files, links not followed), the one
    /// that wins for each name first in the order templates are looked up
    /// (site, theme, kind, `_base`), for `check` to find where markup that
    /// is in no page's source came from.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for (dir, _) in &self.0 {
            for entry in walkdir::WalkDir::new(dir)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .flatten()
                .filter(|e| e.file_type().is_file())
            {
                let Ok(rel) = entry.path().strip_prefix(dir) else {
                    continue;
                };
                if seen.insert(rel.to_path_buf()) {
                    out.push(entry.into_path());
                }
            }
        }
        out
    }

    /// The source of a template, if it exists: read only if it resolves
    /// inside its root, so a template (or a templates folder) linked to
    /// `/etc/passwd` is an error naming the link, never a page.
    pub fn load(&self, name: &str) -> Result<Option<String>> {
        if !crate::text::is_safe_template_name(name) {
            return Ok(None);
        }
        for (dir, root) in &self.0 {
            let path = dir.join(name);
            let linked = std::fs::symlink_metadata(&path).is_ok();
            if path.is_file() || linked {
                return root.read_to_string(&path).map(Some);
            }
        }
        Ok(None)
    }
}

/// A `picture(src, alt, sizes=…, eager=…, watermark=…, class=…)` call.
#[derive(Debug)]
pub struct PictureRequest<'a> {
    /// As written: `images/studio.jpg` (content folder) or `/images/…`.
    pub src: &'a str,
    /// Trimmed; empty when the template gave none.
    pub alt: &'a str,
    pub sizes: Option<&'a str>,
    pub eager: bool,
    pub watermark: bool,
    pub class: Option<&'a str>,
}

/// Makes the markup of a `picture()` call.
pub type PictureFn = dyn Fn(&PictureRequest<'_>) -> Result<String> + Send + Sync;
/// `social_card(permalink, title)`: the generated card of a page, as
/// (URL, width, height), or None when the site has no cards.
pub type CardFn = dyn Fn(&str, &str) -> Option<(String, u32, u32)> + Send + Sync;
/// Makes the markup of an `avatar()` call: (profile id, alt, size, class).
pub type AvatarFn = dyn Fn(&str, &str, u32, &str) -> Result<Option<String>> + Send + Sync;

/// What the templates may call besides the built-ins.
pub struct Helpers {
    /// `https://<domain>`
    pub base_url: String,
    /// Logical asset name → fingerprinted URL (`css/site.css` → `/assets/site.1a2b3c4d.css`).
    pub assets: BTreeMap<String, String>,
    /// Logical asset name → SRI value.
    pub integrity: BTreeMap<String, String>,
    /// Section URL → its pages, already in display order, as template values.
    pub sections: BTreeMap<String, Value>,
    /// Dated pages, newest first, with their language code: `latest(n)`
    /// gives those of the page's language.
    pub latest: Vec<(String, Value)>,
    /// Every page's versions by language, for `url_for()`; filled in once
    /// the routes are planned (`Renderer::set_urls`).
    pub urls: Arc<OnceLock<UrlTable>>,
    /// `picture()`: the `<picture>` markup of a content image (the image
    /// pipeline, handed in by the build so render stays pure).
    pub picture: Box<PictureFn>,
    /// `avatar()`: the portrait markup of a profile id, or None when it has
    /// no avatar.
    pub avatar: Box<AvatarFn>,
    /// `social_card()`: requests a page's social card (`assets::cards`).
    pub card: Box<CardFn>,
    /// Interface strings and locale formats: `t()`, `format_date`,
    /// `format_number` (and the alt text of `avatar()`).
    pub strings: Arc<Strings>,
    /// Bounds on one page's rendering.
    pub limits: crate::config::TemplatesConfig,
}

/// The pages of a site by language, for `url_for()`.
#[derive(Debug, Default)]
pub struct UrlTable {
    /// URL → the translation key of the page there.
    pub key_of: HashMap<String, String>,
    /// Translation key → language code → URL.
    pub versions: HashMap<String, BTreeMap<String, String>>,
    /// The default language's code.
    pub default: String,
}

impl UrlTable {
    /// The URL of `target` (a site URL or a translation key) in `lang`: its
    /// version there, else the version `target` names, else the default
    /// language's; never a page that does not exist. None if there is no
    /// such page at all.
    pub fn resolve(&self, target: &str, lang: Option<&str>) -> Option<&str> {
        let url = site_url(target);
        let (key, named) = match self.key_of.get(&url) {
            Some(key) => (key.as_str(), Some(url.as_str())),
            None => (target, None),
        };
        let versions = self.versions.get(key)?;
        lang.and_then(|l| versions.get(l))
            .map(String::as_str)
            .or(named.and_then(|u| self.key_of.get_key_value(u).map(|(u, _)| u.as_str())))
            .or(versions.get(&self.default).map(String::as_str))
            .or(versions.values().next().map(String::as_str))
    }
}

/// A ready environment for one site. Templates are parsed once, on first use,
/// and shared by every page rendered in parallel.
/// What a template may read (`Renderer::reads`).
#[derive(Debug, Clone, Default)]
pub struct Reads {
    /// Undeclared variables and attribute paths: `tours`, `tour.title`.
    pub vars: std::collections::HashSet<String>,
    /// It names a template by an expression: it may read anything.
    pub dynamic: bool,
}

impl Reads {
    /// Whether it may read `var` or anything inside it (`var.field`).
    pub fn touches(&self, var: &str) -> bool {
        self.dynamic
            || self
                .vars
                .iter()
                .any(|v| v == var || (v.starts_with(var) && v[var.len()..].starts_with('.')))
    }
}

/// The templates `source` names in `extends`, `include`, `import` and
/// `from` tags (with whether it may be missing: `ignore missing`), and
/// whether one is named by anything but a single string literal (a
/// variable, `"a" if x else "b"`, `"p/" ~ name`, a list): then it may read
/// anything. Comments and `raw` blocks are not tags.
fn referenced_templates(source: &str) -> (Vec<(String, bool)>, bool) {
    let mut names = Vec::new();
    let mut dynamic = false;
    let code = strip_comments_and_raw(source);
    for tag in code.split("{%").skip(1) {
        let tag = tag.split("%}").next().unwrap_or(tag);
        let tag = tag.trim_start_matches(['-', '+']).trim();
        let tag = tag.trim_end_matches(['-', '+']).trim_end();
        let Some(rest) = ["extends", "include", "import", "from"]
            .iter()
            .find_map(|kw| {
                tag.strip_prefix(kw)
                    .filter(|r| r.starts_with(char::is_whitespace))
            })
        else {
            continue;
        };
        let rest = rest.trim_start();
        let literal = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..]
                .find(q)
                .map(|end| (&rest[1..1 + end], &rest[2 + end..])),
            _ => None,
        };
        let Some((name, after)) = literal else {
            dynamic = true;
            continue;
        };
        let after = after.trim();
        let plain = after.is_empty()
            || [
                "ignore missing",
                "with context",
                "without context",
                "as ",
                "import ",
            ]
            .iter()
            .any(|p| after.starts_with(p));
        if !plain {
            dynamic = true;
            continue;
        }
        names.push((name.to_string(), after.starts_with("ignore missing")));
    }
    (names, dynamic)
}

/// `source` without `{# … #}` comments and `{% raw %}` blocks.
fn strip_comments_and_raw(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    loop {
        let comment = rest.find("{#");
        let raw = find_raw(rest);
        let (start, end_marker) = match (comment, raw) {
            (Some(c), Some(r)) if r < c => (r, "endraw"),
            (Some(c), _) => (c, "#}"),
            (None, Some(r)) => (r, "endraw"),
            (None, None) => break,
        };
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let Some(end) = rest.find(end_marker) else {
            return out;
        };
        rest = &rest[end + end_marker.len()..];
        if end_marker == "endraw" {
            rest = rest.split_once("%}").map_or("", |(_, r)| r);
        }
    }
    out.push_str(rest);
    out
}

/// Where the next `{% raw %}` (any whitespace control) starts.
fn find_raw(source: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = source[from..].find("{%") {
        let at = from + i;
        let tag = source[at + 2..].trim_start_matches(['-', '+']).trim_start();
        if tag.starts_with("raw")
            && tag[3..]
                .trim_start()
                .trim_start_matches(['-', '+'])
                .starts_with("%}")
        {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

pub struct Renderer {
    env: Environment<'static>,
    dirs: TemplateDirs,
    limits: crate::config::TemplatesConfig,
    urls: Arc<OnceLock<UrlTable>>,
}

impl Renderer {
    pub fn new(
        site: &Site,
        helpers: Helpers,
        globals: BTreeMap<&'static str, Value>,
    ) -> Result<Renderer> {
        let dirs = TemplateDirs::for_site(site);
        dirs.check()?;
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") || name.ends_with(".xml") || name.ends_with(".svg") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(format_value);
        env.set_fuel(Some(helpers.limits.max_fuel));
        minijinja_contrib::add_to_environment(&mut env);
        let loader_dirs = dirs.clone();
        env.set_loader(move |name| {
            loader_dirs
                .load(name)
                .map_err(|e| minijinja::Error::new(JinjaKind::InvalidOperation, e.to_string()))
        });

        add_links(&mut env, helpers.base_url);
        add_assets(&mut env, helpers.assets, helpers.integrity);
        let i18n = I18n {
            strings: helpers.strings,
            dirs: dirs.clone(),
        };
        add_images(&mut env, helpers.picture, helpers.avatar, i18n.clone());
        add_card(&mut env, helpers.card);
        add_listings(&mut env, helpers.sections, helpers.latest);
        add_url_for(&mut env, helpers.urls.clone());
        add_filters(&mut env);
        add_i18n(&mut env, i18n);
        for (name, value) in globals {
            env.add_global(name, value);
        }
        Ok(Renderer {
            env,
            dirs,
            limits: helpers.limits,
            urls: helpers.urls,
        })
    }

    /// Hands `url_for()` the planned pages (once per build).
    pub fn set_urls(&self, table: UrlTable) {
        let _ = self.urls.set(table);
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.dirs.resolve(name).is_some()
    }

    /// Whether template `name` itself (not what it extends or includes)
    /// reads the variable `var`.
    pub fn uses_variable(&self, name: &str, var: &str) -> Result<bool> {
        let tmpl = self.env.get_template(name).map_err(|e| self.convert(e))?;
        Ok(tmpl.undeclared_variables(false).contains(var))
    }

    /// What template `name` may read, with everything it extends, includes
    /// or imports (followed by name, recursively): the variables it does
    /// not declare itself, with their attribute paths (`tour.title`). A
    /// template named by an expression rather than a string cannot be
    /// followed: then `dynamic` is set and callers assume it reads anything.
    pub fn reads(&self, name: &str) -> Result<Reads> {
        let mut reads = Reads::default();
        let mut todo = vec![name.to_string()];
        let mut seen = std::collections::HashSet::new();
        let mut optional = std::collections::HashSet::new();
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let tmpl = match self.env.get_template(&name) {
                Ok(t) => t,
                // `include … ignore missing` of a template that is not there.
                Err(_) if optional.contains(&name) => continue,
                Err(e) => return Err(self.convert(e)),
            };
            reads.vars.extend(tmpl.undeclared_variables(true));
            let (names, dynamic) = referenced_templates(tmpl.source());
            reads.dynamic |= dynamic;
            for (name, may_miss) in names {
                if may_miss {
                    optional.insert(name.clone());
                }
                todo.push(name);
            }
        }
        Ok(reads)
    }

    /// Renders `name` with `ctx` for `page` (what the page is made from, for
    /// errors). Errors name the template file and line where they happened,
    /// even inside included or extended templates. A render that runs out of
    /// fuel or writes more than `max_page_bytes` stops there and names both
    /// the template and the page.
    pub fn render(&self, name: &str, ctx: Value, page: &str) -> Result<String> {
        let tmpl = self.env.get_template(name).map_err(|e| self.convert(e))?;
        let mut out = Capped {
            bytes: Vec::new(),
            max: self.limits.max_page_bytes,
            over: false,
        };
        let page_ctx = ctx.clone();
        match tmpl.render_captured_to(ctx, &mut out) {
            Ok(_) => Ok(String::from_utf8(out.bytes).expect("templates write UTF-8")),
            Err(e) if out.over => {
                let mut err = self.convert(e);
                if err.location.is_none() {
                    err = err.at(Location::file(self.display_name(name)));
                }
                err.message = format!(
                    "rendering {page} wrote more than {} (templates.max_page_bytes)",
                    crate::text::bytes_text(self.limits.max_page_bytes)
                );
                Err(err.hint("a loop that writes without end? Raise templates.max_page_bytes in sitegen.yaml only if the page is really that large"))
            }
            Err(e) if e.kind() == JinjaKind::OutOfFuel => {
                let mut err = self.convert(e);
                err.message = format!(
                    "rendering {page} ran out of fuel: more than {} template instructions (templates.max_fuel)",
                    self.limits.max_fuel
                );
                Err(err.hint("a loop that runs too long? Raise templates.max_fuel in sitegen.yaml only if the page really needs that much work"))
            }
            Err(e) => Err(self.convert_in(e, Some(&page_ctx))),
        }
    }

    fn convert(&self, err: minijinja::Error) -> Error {
        self.convert_in(err, None)
    }

    /// A minijinja error as ours, at the innermost template and line (and
    /// column, where minijinja knows the span). With the page's context,
    /// an undefined lookup names the missing key and the closest existing
    /// one; a block never closed is reported where it was opened.
    fn convert_in(&self, err: minijinja::Error, ctx: Option<&Value>) -> Error {
        // Walk to the innermost template error: that is where the mistake is.
        let mut chain = vec![&err];
        let mut cur: &dyn std::error::Error = &err;
        while let Some(next) = cur.source() {
            if let Some(j) = next.downcast_ref::<minijinja::Error>() {
                chain.push(j);
            }
            cur = next;
        }
        let inner = chain
            .iter()
            .rev()
            .find(|e| e.name().is_some() && e.line().is_some())
            .copied()
            .unwrap_or(&err);
        let mut message = match inner.detail() {
            Some(d) => format!("{}: {d}", inner.kind()),
            None => inner.kind().to_string(),
        };
        let mut hint = None;
        let mut line = inner.line();
        let mut column = None;
        let source = inner.template_source();
        let span = inner.range().zip(source).and_then(|(r, s)| {
            if inner.kind() == JinjaKind::UndefinedError {
                return diagnose::blamed(s, r);
            }
            let start = diagnose::path_start(s, r.start);
            Some((s.get(start..r.end)?, start))
        });
        if let (Some(src), Some((_, start))) = (source, span) {
            column = Some(diagnose::line_column(src, start).1);
        }
        match inner.kind() {
            JinjaKind::UndefinedError => {
                if let (Some(ctx), Some((expr, _))) = (ctx, span) {
                    let found = diagnose::undefined(&self.env, ctx, expr);
                    message = found.message;
                    hint = found.hint;
                }
            }
            JinjaKind::SyntaxError
                if inner
                    .detail()
                    .is_some_and(|d| d.starts_with("unexpected end of input")) =>
            {
                if let Some((tag, written, l, c)) = source.and_then(diagnose::unclosed_block) {
                    message = format!("`{{% {written} %}}` is never closed");
                    hint = Some(format!(
                        "add `{{% end{tag} %}}` where the block ends (the file ends with it still open)"
                    ));
                    line = Some(l);
                    column = Some(c);
                }
            }
            // An end tag that closes an outer block while an inner one is
            // still open (`{% if %}` left open inside a `{% block %}`):
            // minijinja stops at the end tag; the mistake is the inner one.
            JinjaKind::SyntaxError
                if inner
                    .detail()
                    .is_some_and(|d| d.starts_with("unknown statement end")) =>
            {
                let end_tag = inner
                    .detail()
                    .and_then(|d| d.strip_prefix("unknown statement "))
                    .unwrap_or("end")
                    .to_string();
                let cut = source.and_then(|src| match inner.range() {
                    Some(r) => Some(r.start.min(src.len())),
                    None => {
                        let l = inner.line()?;
                        Some(
                            src.split_inclusive('\n')
                                .take(l.saturating_sub(1))
                                .map(str::len)
                                .sum(),
                        )
                    }
                });
                let open = source
                    .zip(cut)
                    .and_then(|(src, cut)| Some(diagnose::open_blocks(src.get(..cut)?)))
                    .unwrap_or_default();
                let closes = end_tag.strip_prefix("end").unwrap_or_default();
                // Only when the end tag closes an outer block; a stray end
                // tag keeps minijinja's message.
                let inner_open = open
                    .iter()
                    .rposition(|(name, ..)| name == closes)
                    .and_then(|outer| open.get(outer + 1..)?.last());
                if let Some((tag, written, l, c)) = inner_open.cloned() {
                    let at = line.map(|l| format!(" on line {l}")).unwrap_or_default();
                    message = format!(
                        "`{{% {written} %}}` is never closed: `{{% {end_tag} %}}`{at} comes while it is still open"
                    );
                    hint = Some(format!(
                        "add `{{% end{tag} %}}` where the `{tag}` ends, before `{{% {end_tag} %}}`"
                    ));
                    line = Some(l);
                    column = Some(c);
                }
            }
            _ => {}
        }
        let mut e = Error::template(message);
        if let Some(name) = inner.name() {
            let file = self
                .dirs
                .resolve(name)
                .unwrap_or_else(|| PathBuf::from(name));
            let mut loc = Location::file(file);
            if let Some(line) = line {
                loc = loc.line(line);
                if let Some(column) = column {
                    loc = loc.column(column);
                }
            }
            e = e.at(loc);
        }
        if let Some(hint) = hint {
            e = e.hint(hint);
        }
        let outer: Vec<String> = chain
            .iter()
            .filter(|c| !std::ptr::eq(**c, inner))
            .filter_map(|c| Some(format!("{}:{}", self.display_name(c.name()?), c.line()?)))
            .collect();
        if !outer.is_empty() {
            let from = format!("included from {}", outer.join(" ← "));
            e.hint = Some(match e.hint.take() {
                Some(hint) => format!("{hint} ({from})"),
                None => from,
            });
        }
        e
    }

    fn display_name(&self, name: &str) -> String {
        self.dirs
            .resolve(name)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| name.to_string())
    }
}

/// `url()`, `abs_url()` (function and filter).
fn add_links(env: &mut Environment<'static>, base_url: String) {
    // url("/about/") → "/about/"; url("about") → "/about/"; external URLs pass through.
    env.add_function("url", |path: &str| -> String { site_url(path) });
    let base = Arc::new(base_url);
    let abs = move |path: &str| -> String {
        if is_external(path) {
            path.to_string()
        } else {
            format!("{base}{}", site_url(path))
        }
    };
    env.add_function("abs_url", abs.clone());
    env.add_filter("abs_url", abs);
}

/// `asset(name)` and `asset_integrity(name)`: fingerprinted URLs and SRI values.
fn add_assets(
    env: &mut Environment<'static>,
    assets: BTreeMap<String, String>,
    integrity: BTreeMap<String, String>,
) {
    let assets = Arc::new(assets);
    env.add_function(
        "asset",
        move |name: &str| -> Result<String, minijinja::Error> {
            assets.get(name).cloned().ok_or_else(|| {
                minijinja::Error::new(
                    JinjaKind::InvalidOperation,
                    format!("asset {name:?} does not exist"),
                )
            })
        },
    );
    let integrity = Arc::new(integrity);
    env.add_function(
        "asset_integrity",
        move |name: &str| -> Result<String, minijinja::Error> {
            integrity.get(name).cloned().ok_or_else(|| {
                minijinja::Error::new(
                    JinjaKind::InvalidOperation,
                    format!("asset {name:?} has no integrity value"),
                )
            })
        },
    );
}

/// `avatar(member, size, class=…)` and `picture(src, alt, …)`, made by the build.
fn add_images(
    env: &mut Environment<'static>,
    picture: Box<PictureFn>,
    avatar: Box<AvatarFn>,
    i18n: I18n,
) {
    // avatar(member, 48, class="avatar"): the member's portrait, or none;
    // its alt text is the string `member.portrait` in the page's language.
    env.add_function(
        "avatar",
        move |state: &State,
              member: Value,
              size: Option<u32>,
              kwargs: Kwargs|
              -> Result<Value, minijinja::Error> {
            let class: Option<&str> = kwargs.get("class")?;
            kwargs.assert_all_used()?;
            let id = member.get_attr("id")?;
            let name = member.get_attr("display_name")?;
            let name = name.as_str().unwrap_or("").to_string();
            let lang = i18n.lang(state)?;
            // Plain text: the image markup escapes it.
            let alt = i18n.text(state, lang, "member.portrait", None, &|n| {
                (n == "name").then(|| name.clone())
            })?;
            let html = avatar(
                id.as_str().unwrap_or(""),
                &alt,
                size.unwrap_or(48).clamp(16, 1024),
                class.unwrap_or("avatar"),
            )
            .map_err(|e| minijinja::Error::new(JinjaKind::InvalidOperation, e.to_string()))?;
            Ok(html.map_or(Value::from(()), Value::from_safe_string))
        },
    );
    // picture("images/studio.jpg", "alt text", sizes="...", eager=true, watermark=true, class="hero")
    env.add_function(
        "picture",
        move |src: &str, alt: Option<&str>, kwargs: Kwargs| -> Result<Value, minijinja::Error> {
            let sizes: Option<String> = kwargs.get("sizes")?;
            let request = PictureRequest {
                src,
                alt: alt.unwrap_or("").trim(),
                sizes: sizes.as_deref(),
                eager: kwargs.get::<Option<bool>>("eager")?.unwrap_or(false),
                watermark: kwargs.get::<Option<bool>>("watermark")?.unwrap_or(false),
                class: kwargs.get::<Option<&str>>("class")?,
            };
            kwargs.assert_all_used()?;
            picture(&request)
                .map(Value::from_safe_string)
                .map_err(|e| minijinja::Error::new(JinjaKind::InvalidOperation, e.to_string()))
        },
    );
}

/// `social_card(page.permalink, title)`: `{url, width, height}` of the
/// page's generated card, or none.
fn add_card(env: &mut Environment<'static>, card: Box<CardFn>) {
    env.add_function(
        "social_card",
        move |permalink: &str, title: Value| -> Value {
            let title = match title.is_undefined() || title.is_none() {
                true => String::new(),
                false => title.to_string(),
            };
            match card(permalink, &title) {
                Some((url, width, height)) => minijinja::context! { url, width, height },
                None => Value::from(()),
            }
        },
    );
}

/// `has_section(url)`, `section(url)` and `latest(n)`.
fn add_listings(
    env: &mut Environment<'static>,
    sections: BTreeMap<String, Value>,
    latest: Vec<(String, Value)>,
) {
    let sections = Arc::new(sections);
    let known = sections.clone();
    env.add_function("has_section", move |url: &str| -> bool {
        known.contains_key(&site_url(url))
    });
    env.add_function(
        "section",
        move |url: &str| -> Result<Value, minijinja::Error> {
            sections.get(&site_url(url)).cloned().ok_or_else(|| {
                minijinja::Error::new(
                    JinjaKind::InvalidOperation,
                    format!("section {url:?} does not exist (it needs an _index.md)"),
                )
            })
        },
    );
    let latest = Arc::new(latest);
    // latest(5): the five newest dated pages (not sections) in the page's language.
    env.add_function(
        "latest",
        move |state: &minijinja::State<'_, '_>, n: Option<usize>| -> Value {
            let lang = state.lookup("lang");
            let lang = lang.as_ref().and_then(|v| v.as_str());
            Value::from(
                latest
                    .iter()
                    .filter(|(l, _)| lang.is_none_or(|lang| l == lang))
                    .take(n.unwrap_or(5))
                    .map(|(_, v)| v.clone())
                    .collect::<Vec<_>>(),
            )
        },
    );
}

/// `url_for(target, lang=None)`: the URL of a page (by its URL in any
/// language, or its translation key) in the page's language or `lang`.
fn add_url_for(env: &mut Environment<'static>, urls: Arc<OnceLock<UrlTable>>) {
    env.add_function(
        "url_for",
        move |state: &minijinja::State<'_, '_>,
              target: &str,
              lang: Option<&str>|
              -> Result<String, minijinja::Error> {
            let current = state.lookup("lang");
            let lang = lang.or(current.as_ref().and_then(|v| v.as_str()));
            match urls.get().and_then(|t| t.resolve(target, lang)) {
                Some(url) => Ok(url.to_string()),
                // A site path no page has stays as written: `check` reports
                // it as a broken link, as it would without url_for.
                None if target.starts_with('/') => Ok(target.to_string()),
                None => Err(minijinja::Error::new(
                    JinjaKind::InvalidOperation,
                    format!("url_for: no page has the translation key {target:?}"),
                )),
            }
        },
    );
}

/// `markdown` (for untrusted platform text) and `slugify`.
fn add_filters(env: &mut Environment<'static>) {
    // `text|in_lang(lang, "span")`: platform text shown in a fallback
    // language (`bio_lang`…) wrapped in an element that names it; unchanged
    // when `lang` is none. Text is escaped unless already safe HTML.
    env.add_filter(
        "in_lang",
        |value: Value,
         lang: Option<String>,
         tag: Option<String>|
         -> Result<Value, minijinja::Error> {
            let Some(lang) = lang.filter(|l| !l.is_empty()) else {
                return Ok(value);
            };
            let tag = tag.unwrap_or_else(|| "div".to_string());
            if !matches!(tag.as_str(), "div" | "span" | "p") {
                return Err(minijinja::Error::new(
                    JinjaKind::InvalidOperation,
                    format!("in_lang: {tag:?} is not div, span or p"),
                ));
            }
            let inner = if value.is_safe() {
                value.to_string()
            } else {
                crate::text::escape_html(&value.to_string())
            };
            Ok(Value::from_safe_string(format!(
                "<{tag} lang=\"{}\">{inner}</{tag}>",
                crate::text::escape_html(&lang)
            )))
        },
    );
    // Markdown from platform users: raw HTML, images and unsafe links are dropped.
    env.add_filter("markdown", |text: Option<&str>| -> Value {
        Value::from_safe_string(markdown::render_untrusted(text.unwrap_or("")))
    });
    env.add_filter("slugify", |text: &str| -> String {
        crate::text::slugify(text)
    });
}

/// What the i18n template functions share: the site's strings, and the
/// template folders to name a template file in warnings.
#[derive(Clone)]
struct I18n {
    strings: Arc<Strings>,
    dirs: TemplateDirs,
}

impl I18n {
    /// The page's language: the template variable `lang` (a language code
    /// of the site), or the site's default language where it is undefined.
    fn lang(&self, state: &State<'_, '_>) -> Result<LangId, minijinja::Error> {
        let value = state
            .lookup("lang")
            .filter(|v| !v.is_undefined() && !v.is_none());
        let code = match &value {
            None => None,
            Some(v) => Some(v.as_str().ok_or_else(|| {
                invalid(format!("lang must be a language code, not {}", v.kind()))
            })?),
        };
        self.strings.language(code).map_err(invalid)
    }

    /// `Strings::text`, naming the template that asks.
    fn text(
        &self,
        state: &State<'_, '_>,
        lang: LangId,
        key: &str,
        count: Option<i64>,
        arg: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, minijinja::Error> {
        let template = self
            .dirs
            .resolve(state.name())
            .map_or_else(|| state.name().to_string(), |p| p.display().to_string());
        self.strings
            .text(lang, key, count, arg, &template)
            .map_err(invalid)
    }
}

fn invalid(message: String) -> minijinja::Error {
    minijinja::Error::new(JinjaKind::InvalidOperation, message)
}

/// `t(key, count=…, name=…)`, `value|format_date(style=…)` and
/// `value|format_number`, in the page's language (`lang`).
fn add_i18n(env: &mut Environment<'static>, i18n: I18n) {
    add_t(env, i18n.clone());
    add_formats(env, i18n);
}

/// `t(key, count=…, name=…)`: a string of the page's language.
fn add_t(env: &mut Environment<'static>, t: I18n) {
    // t("pagination.page", number=2, total=5); t("tag.pages", count=3).
    // Like Jinja's i18n extension, a string's own text is written as it
    // stands (string files are written like templates), and the values
    // put into it are escaped where the template autoescapes.
    env.add_function(
        "t",
        move |state: &State,
              key: &str,
              count: Option<Value>,
              kwargs: Kwargs|
              -> Result<Value, minijinja::Error> {
            let count = match (count, kwargs.get::<Option<Value>>("count")?) {
                (Some(_), Some(_)) => return Err(invalid("t() got count twice".into())),
                (Some(c), None) | (None, Some(c)) => Some(whole_number(&c)?),
                (None, None) => None,
            };
            let html = state.auto_escape() == AutoEscape::Html;
            let mut args: BTreeMap<String, String> = BTreeMap::new();
            for name in kwargs.args() {
                let v: Value = kwargs.get(name)?;
                let text = if v.is_none() || v.is_undefined() {
                    String::new()
                } else {
                    v.to_string()
                };
                let text = if html && !v.is_safe() {
                    crate::text::escape_html(&text)
                } else {
                    text
                };
                args.insert(name.to_string(), text);
            }
            let lang = t.lang(state)?;
            let text = t.text(state, lang, key, count, &|n| args.get(n).cloned())?;
            Ok(if html {
                Value::from_safe_string(text)
            } else {
                Value::from(text)
            })
        },
    );
}

/// `format_date` and `format_number` in the page's language.
fn add_formats(env: &mut Environment<'static>, i18n: I18n) {
    // page.date|format_date → "2 April 2027"; format_date(style="day_month") → "2 Apr".
    let d = i18n.clone();
    env.add_filter(
        "format_date",
        move |state: &State, value: Value, kwargs: Kwargs| -> Result<String, minijinja::Error> {
            let style = match kwargs.get::<Option<&str>>("style")? {
                None => DateStyle::Long,
                Some(name) => DateStyle::parse(name).ok_or_else(|| {
                    invalid(format!(
                        "format_date: unknown style {name:?} (use {})",
                        DateStyle::NAMES
                    ))
                })?,
            };
            kwargs.assert_all_used()?;
            let Some(text) = value.as_str() else {
                return Err(invalid(format!(
                    "format_date needs a date such as \"2027-04-02\", not {}",
                    describe(&value)
                )));
            };
            let lang = d.lang(state)?;
            d.strings
                .date(lang, text, style)
                .map_err(|e| invalid(format!("format_date: {e}")))
        },
    );
    // 1234567|format_number → "1,234,567" (en), "1 234 567" (fr).
    env.add_filter(
        "format_number",
        move |state: &State, value: Value| -> Result<String, minijinja::Error> {
            let text = match value.kind() {
                minijinja::value::ValueKind::Number => value.to_string(),
                minijinja::value::ValueKind::String => value.to_string(),
                _ => {
                    return Err(invalid(format!(
                        "format_number needs a number, not {}",
                        describe(&value)
                    )))
                }
            };
            let lang = i18n.lang(state)?;
            i18n.strings
                .number(lang, &text)
                .map_err(|e| invalid(format!("format_number: {e}")))
        },
    );
}

/// A count for plural forms: a whole number.
fn whole_number(v: &Value) -> Result<i64, minijinja::Error> {
    i64::try_from(v.clone())
        .map_err(|_| invalid(format!("count must be a whole number, not {}", describe(v))))
}

/// A value as errors show it: `none`, `"text"`, `2.5`.
fn describe(v: &Value) -> String {
    if v.is_undefined() {
        "an undefined value".into()
    } else if v.is_none() {
        "none".into()
    } else if let Some(s) = v.as_str() {
        format!("{s:?}")
    } else {
        v.to_string()
    }
}

/// A page being written, refused past `max` bytes.
struct Capped {
    bytes: Vec<u8>,
    max: u64,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.bytes.len() + buf.len()) as u64 > self.max {
            self.over = true;
            return Err(std::io::Error::other("page too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Prints a value into a template: `none` prints nothing, and HTML escaping
/// touches only the five characters that need it (not `/`, unlike the default).
pub(crate) fn format_value(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if value.is_none() || value.is_undefined() {
        return Ok(());
    }
    if state.auto_escape() == AutoEscape::Html && !value.is_safe() {
        if let Some(s) = value.as_str() {
            return out
                .write_str(&crate::text::escape_html(s))
                .map_err(minijinja::Error::from);
        }
    }
    minijinja::escape_formatter(out, state, value)
}

fn is_external(path: &str) -> bool {
    path.contains("://") || path.starts_with("mailto:") || path.starts_with("tel:")
}

/// Normalises a site path: leading slash, and a trailing slash unless it names a file.
pub fn site_url(path: &str) -> String {
    if is_external(path) || path.starts_with('#') {
        return path.to_string();
    }
    let (path, frag) = match path.find(['#', '?']) {
        Some(i) => (&path[..i], &path[i..]),
        None => (path, ""),
    };
    let mut out = String::with_capacity(path.len() + 2);
    if !path.starts_with('/') {
        out.push('/');
    }
    out.push_str(path);
    let last = out.rsplit('/').next().unwrap_or("");
    if !out.ends_with('/') && !last.contains('.') {
        out.push('/');
    }
    out.push_str(frag);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_named_by_strings_are_followed_and_expressions_are_not() {
        let (names, dynamic) = referenced_templates(
            "{% extends \"base.html\" %}{%- include 'partials/card.html' %}\n{% from \"partials/date.html\" import range %}{% import 'm.html' as m %}{% if x %}{% endif %}",
        );
        let names: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "base.html",
                "partials/card.html",
                "partials/date.html",
                "m.html"
            ]
        );
        assert!(!dynamic);
        assert!(referenced_templates("{% include page.template %}").1);
        assert!(referenced_templates("{% include \"a.html\" if x else \"b.html\" %}").1);
        assert!(referenced_templates("{% include \"p/\" ~ name %}").1);
        assert!(referenced_templates("{% include [\"a.html\", \"b.html\"] %}").1);
        assert!(!referenced_templates("{% includes %}{{ x }}").1);
        // Comments and raw blocks name nothing; `ignore missing` may miss.
        let (names, dynamic) = referenced_templates(
            "{# {% include \"old.html\" %} #}{% raw %}{% include x %}{% endraw %}{%- include \"opt.html\" ignore missing -%}{% include 'w.html' with context %}",
        );
        assert_eq!(
            names,
            [
                ("opt.html".to_string(), true),
                ("w.html".to_string(), false)
            ]
        );
        assert!(!dynamic);
        let only = |source: &str| -> Vec<String> {
            referenced_templates(source)
                .0
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        };
        // A raw block before a comment opener inside it; a comment, then a tag.
        assert_eq!(
            only("{% raw %}{# {% endraw %}{% include \"x.html\" %}"),
            ["x.html"]
        );
        assert_eq!(only("{# c #}{% include \"a.html\" %}"), ["a.html"]);
        assert_eq!(
            only("{%- raw -%}{% include \"in-raw.html\" %}{% endraw %}{% include \"b.html\" %}"),
            ["b.html"]
        );
        // Only `raw` opens a raw block, not any short tag.
        assert_eq!(
            only("{% set %}{% include \"after.html\" %}"),
            ["after.html"]
        );
        let reads = Reads {
            vars: ["tour.title".to_string(), "tours_note".to_string()]
                .into_iter()
                .collect(),
            dynamic: false,
        };
        assert!(reads.touches("tour") && !reads.touches("tours") && !reads.touches("tour.legs"));
        let all = Reads {
            dynamic: true,
            ..Default::default()
        };
        assert!(all.touches("tours"));
    }

    #[test]
    fn site_urls() {
        assert_eq!(site_url("about"), "/about/");
        assert_eq!(site_url("/about/"), "/about/");
        assert_eq!(site_url("/"), "/");
        assert_eq!(site_url("/sitemap.xml"), "/sitemap.xml");
        assert_eq!(site_url("/tour/#dates"), "/tour/#dates");
        assert_eq!(site_url("https://x.example/a"), "https://x.example/a");
    }

    #[test]
    fn template_names() {
        assert!(crate::text::is_safe_template_name("page.html"));
        assert!(crate::text::is_safe_template_name("partials/nav.html"));
        assert!(!crate::text::is_safe_template_name("../site.yaml"));
        assert!(!crate::text::is_safe_template_name("/etc/passwd"));
        assert!(!crate::text::is_safe_template_name(".hidden.html"));
    }
}
