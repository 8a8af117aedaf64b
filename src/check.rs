//! `sitegen check`: builds a site in memory and verifies what a visitor and a
//! crawler would meet: links and fragments resolve, assets and images exist,
//! images have alt text, pages have a title and a description, no page is
//! orphaned, the sitemap matches the pages, the HTML parses, JSON-LD parses,
//! and (with `--external`) external links answer. Findings name the source
//! file and line when the offending text can be found there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use rayon::prelude::*;

use crate::build::{build_site, BuildOptions};
use crate::config::{Level, Site, Workspace};
use crate::error::Result;

/// One problem found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub error: bool,
    /// The source file when known, else the page's path in the bundle.
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(
            f,
            ": {}: [{}] {}",
            if self.error { "error" } else { "warning" },
            self.rule,
            self.message
        )
    }
}

/// What one HTML page contains that the rules look at.
#[derive(Default)]
struct PageFacts {
    ids: BTreeSet<String>,
    /// (attribute, value) of every reference: href, src, srcset candidates.
    refs: Vec<(&'static str, String)>,
    /// Images without an alt attribute (src), and with an empty one.
    no_alt: Vec<String>,
    empty_alt: Vec<String>,
    title: String,
    description: Option<String>,
    json_ld: Vec<String>,
    parse_errors: Vec<String>,
}

fn text_of(h: &Handle, out: &mut String) {
    match &h.data {
        NodeData::Text { contents } => out.push_str(&contents.borrow()),
        _ => {
            for c in h.children.borrow().iter() {
                text_of(c, out);
            }
        }
    }
}

fn walk(h: &Handle, facts: &mut PageFacts) {
    if let NodeData::Element { name, attrs, .. } = &h.data {
        let attrs = attrs.borrow();
        let get = |n: &str| {
            attrs
                .iter()
                .find(|a| &*a.name.local == n)
                .map(|a| a.value.to_string())
        };
        if let Some(id) = get("id") {
            facts.ids.insert(id);
        }
        let tag = &*name.local;
        match tag {
            "a" | "link" | "area" => {
                if let Some(href) = get("href") {
                    let rel = get("rel").unwrap_or_default();
                    if !rel.contains("canonical") && !rel.contains("alternate") {
                        facts.refs.push(("href", href));
                    }
                }
            }
            "img" | "script" | "source" | "iframe" | "video" | "audio" => {
                if let Some(src) = get("src") {
                    facts.refs.push(("src", src));
                }
                if let Some(set) = get("srcset") {
                    for candidate in set.split(',') {
                        if let Some(url) = candidate.split_whitespace().next() {
                            facts.refs.push(("srcset", url.to_string()));
                        }
                    }
                }
                if tag == "img" {
                    match get("alt") {
                        None => facts.no_alt.push(get("src").unwrap_or_default()),
                        // alt="" is right for a decorative image that says so.
                        Some(a)
                            if a.trim().is_empty()
                                && get("aria-hidden").as_deref() != Some("true")
                                && get("role").as_deref() != Some("presentation") =>
                        {
                            facts.empty_alt.push(get("src").unwrap_or_default())
                        }
                        _ => {}
                    }
                }
                if tag == "script" && get("type").as_deref() == Some("application/ld+json") {
                    let mut s = String::new();
                    text_of(h, &mut s);
                    facts.json_ld.push(s);
                }
            }
            "title" => text_of(h, &mut facts.title),
            "meta" if get("name").as_deref() == Some("description") => {
                facts.description = get("content");
            }
            _ => {}
        }
    }
    for c in h.children.borrow().iter() {
        walk(c, facts);
    }
}

fn facts(html: &[u8]) -> PageFacts {
    let dom = html5ever::parse_document(RcDom::default(), Default::default())
        .from_utf8()
        .read_from(&mut &html[..])
        .expect("reading from memory cannot fail");
    let mut f = PageFacts {
        parse_errors: dom.errors.borrow().iter().map(|e| e.to_string()).collect(),
        ..Default::default()
    };
    walk(&dom.document, &mut f);
    f
}

/// Percent-decoding for paths (`%20` and friends); malformed escapes stay as written.
fn decode(s: &str) -> String {
    crate::bundle::percent_decode(s).unwrap_or_else(|| s.to_string())
}

/// Resolves a reference made on page `from` (a bundle path) to (path, fragment).
fn internal(from: &str, reference: &str) -> Option<(String, Option<String>)> {
    if reference.is_empty()
        || reference.starts_with("//")
        || reference.contains(':')
            && !reference.starts_with('/')
            && !reference.starts_with('#')
            && !reference.starts_with('.')
    {
        return None;
    }
    let (path, fragment) = match reference.split_once('#') {
        Some((p, f)) => (p, Some(f.to_string())),
        None => (reference, None),
    };
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() {
        // `#id` or `?q`: this very page.
        return Some((format!("/{from}"), fragment));
    }
    let full = if path.starts_with('/') {
        path.to_string()
    } else {
        let base = from
            .rsplit_once('/')
            .map(|(d, _)| format!("/{d}/"))
            .unwrap_or_else(|| "/".into());
        format!("{base}{path}")
    };
    let normalized = crate::fsutil::normalize(Path::new(&decode(&full)));
    let mut s = normalized.to_string_lossy().replace('\\', "/");
    if !s.starts_with('/') {
        s.insert(0, '/');
    }
    if full.ends_with('/') && !s.ends_with('/') {
        s.push('/');
    }
    Some((s, fragment))
}

/// Finds where a page's source (or the site config) contains `needle`.
struct Sources<'a> {
    site: &'a Site,
    by_output: BTreeMap<String, PathBuf>,
    texts: std::sync::Mutex<BTreeMap<PathBuf, String>>,
}

impl Sources<'_> {
    fn locate(&self, output: &str, needle: &str) -> (String, Option<usize>) {
        let mut candidates: Vec<PathBuf> =
            self.by_output.get(output).cloned().into_iter().collect();
        candidates.push(self.site.config_path.clone());
        for file in candidates {
            let mut texts = self.texts.lock().expect("lock");
            let text = texts
                .entry(file.clone())
                .or_insert_with(|| std::fs::read_to_string(&file).unwrap_or_default());
            if let Some(line) = text.lines().position(|l| l.contains(needle)) {
                return (file.display().to_string(), Some(line + 1));
            }
        }
        match self.by_output.get(output) {
            Some(f) => (f.display().to_string(), None),
            None => (
                format!("{} (generated page {output})", self.site.domain()),
                None,
            ),
        }
    }
}

pub struct CheckOptions {
    pub external: bool,
}

/// Builds `site` in memory and checks it.
pub fn check_site(ws: &Workspace, site: &Site, opts: &CheckOptions) -> Result<Vec<Finding>> {
    let levels = &ws.config.check;
    let bundle = build_site(
        ws,
        site,
        &BuildOptions {
            preview: true,
            ..Default::default()
        },
    )?;
    let sources = Sources {
        site,
        by_output: bundle
            .source_pages
            .iter()
            .map(|p| (p.output.clone(), p.source.clone()))
            .collect(),
        texts: Default::default(),
    };
    let pages: BTreeMap<&str, PageFacts> = bundle
        .files
        .par_iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .map(|(p, b)| (p.as_str(), facts(b)))
        .collect();
    let mut out = Vec::new();
    let mut push =
        |level: Level, rule: &'static str, output: &str, needle: Option<&str>, message: String| {
            if level == Level::Off {
                return;
            }
            let (file, line) = match needle {
                Some(n) => sources.locate(output, n),
                None => sources.locate(output, "\u{0}"),
            };
            out.push(Finding {
                rule,
                error: level == Level::Error,
                file,
                line,
                message,
            });
        };

    let mut linked: BTreeSet<&str> = BTreeSet::new();
    let mut external: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (page, f) in &pages {
        for (attr, reference) in &f.refs {
            let Some((path, fragment)) = internal(page, reference) else {
                if reference.starts_with("http://") || reference.starts_with("https://") {
                    external
                        .entry(reference.clone())
                        .or_default()
                        .push(page.to_string());
                }
                continue;
            };
            match bundle.resolve(&path).map(|(k, _)| k) {
                Some(target) => {
                    if *attr == "href" && target.ends_with(".html") && target != *page {
                        linked.insert(target);
                    }
                    if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                        let ok = pages
                            .get(target)
                            .is_some_and(|t| t.ids.contains(&decode(&fragment)));
                        if !ok {
                            push(
                                levels.links,
                                "links",
                                page,
                                Some(reference),
                                format!("{reference}: no element with id {fragment:?} on {path}"),
                            );
                        }
                    }
                }
                None => push(
                    levels.links,
                    "links",
                    page,
                    Some(reference),
                    format!("{reference} ({attr}) does not resolve to a page or file"),
                ),
            }
        }
        for src in &f.no_alt {
            push(
                levels.alt_text,
                "alt-text",
                page,
                Some(src),
                format!("image {src} has no alt attribute"),
            );
        }
        for src in &f.empty_alt {
            push(
                levels.alt_text,
                "alt-text",
                page,
                Some(src),
                format!("image {src} has an empty alt text"),
            );
        }
        if f.title.trim().is_empty() {
            push(
                levels.title_description,
                "title-description",
                page,
                Some("title:"),
                "the page has no <title>".into(),
            );
        }
        if f.description.as_deref().is_none_or(|d| d.trim().is_empty()) && *page != "404.html" {
            push(
                levels.title_description,
                "title-description",
                page,
                Some("description:"),
                "the page has no meta description".into(),
            );
        }
        for e in &f.parse_errors {
            push(
                levels.html,
                "html",
                page,
                None,
                format!("HTML parse error: {e}"),
            );
        }
        for block in &f.json_ld {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(block) {
                push(
                    levels.json_ld,
                    "json-ld",
                    page,
                    None,
                    format!("JSON-LD does not parse: {e}"),
                );
            }
        }
    }

    // Orphans: every page must be linked from another, unless marked.
    let exempt: BTreeSet<&str> = bundle
        .source_pages
        .iter()
        .filter(|p| p.front.extra.get("orphan").and_then(|v| v.as_bool()) == Some(true))
        .map(|p| p.output.as_str())
        .collect();
    for page in pages.keys() {
        if *page != "index.html"
            && *page != "404.html"
            && !linked.contains(page)
            && !exempt.contains(page)
        {
            push(
                levels.orphans,
                "orphans",
                page,
                None,
                format!("no page links to /{}", page.trim_end_matches("index.html")),
            );
        }
    }

    // The sitemap lists every published page and nothing else.
    let sitemap = String::from_utf8_lossy(
        bundle
            .files
            .get("sitemap.xml")
            .map(Vec::as_slice)
            .unwrap_or_default(),
    )
    .into_owned();
    let base = site.base_url();
    let mut listed = BTreeSet::new();
    for loc in sitemap
        .split("<loc>")
        .skip(1)
        .filter_map(|s| s.split("</loc>").next())
    {
        let path = loc.strip_prefix(&base).unwrap_or(loc);
        match bundle.resolve(path).map(|(k, _)| k) {
            Some(t) => {
                listed.insert(t.to_string());
            }
            None => push(
                levels.sitemap,
                "sitemap",
                "sitemap.xml",
                None,
                format!("{loc} is in sitemap.xml but is not a page"),
            ),
        }
    }
    let unlisted: BTreeSet<&str> = bundle
        .source_pages
        .iter()
        .filter(|p| !p.front.sitemap)
        .map(|p| p.output.as_str())
        .collect();
    for page in pages.keys() {
        if *page != "404.html" && !unlisted.contains(page) && !listed.contains(*page) {
            push(
                levels.sitemap,
                "sitemap",
                page,
                None,
                format!(
                    "/{} is missing from sitemap.xml",
                    page.trim_end_matches("index.html")
                ),
            );
        }
    }

    if opts.external && ws.config.check.external != Level::Off {
        for (url, problem) in check_external(ws, external.keys().cloned().collect()) {
            for page in &external[&url] {
                push(
                    levels.external,
                    "external",
                    page,
                    Some(&url),
                    format!("{url}: {problem}"),
                );
            }
        }
    }
    out.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
    out.dedup_by(|a, b| a.file == b.file && a.line == b.line && a.message == b.message);
    Ok(out)
}

/// HEAD (then GET) each external URL with at most 8 in flight; answers are
/// cached for a day in `.sitegen/cache/links.json`. Returns the failures.
fn check_external(ws: &Workspace, urls: Vec<String>) -> Vec<(String, String)> {
    let cache_file = ws.root.join(".sitegen/cache/links.json");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut cache: BTreeMap<String, (u64, Option<String>)> = std::fs::read(&cache_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let todo: Vec<String> = urls
        .iter()
        .filter(|u| {
            cache
                .get(*u)
                .is_none_or(|(at, _)| now.saturating_sub(*at) > 86_400)
        })
        .cloned()
        .collect();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("sitegen-check/", env!("CARGO_PKG_VERSION")))
        .build();
    if let Ok(client) = client {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(8)
            .build()
            .expect("thread pool");
        let answers: Vec<(String, Option<String>)> = pool.install(|| {
            todo.par_iter()
                .map(|url| {
                    let ok = |r: &reqwest::blocking::Response| {
                        r.status().is_success() || r.status().is_redirection()
                    };
                    let problem = match client.head(url).send() {
                        Ok(r) if ok(&r) => None,
                        _ => match client.get(url).send() {
                            Ok(r) if ok(&r) => None,
                            Ok(r) => Some(format!("HTTP {}", r.status().as_u16())),
                            Err(e) => Some(e.to_string()),
                        },
                    };
                    (url.clone(), problem)
                })
                .collect()
        });
        for (url, problem) in answers {
            cache.insert(url, (now, problem));
        }
        if let Some(dir) = cache_file.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(
            &cache_file,
            serde_json::to_vec_pretty(&cache).unwrap_or_default(),
        );
    }
    urls.into_iter()
        .filter_map(|u| cache.get(&u).and_then(|(_, p)| p.clone()).map(|p| (u, p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Bundle;

    #[test]
    fn references_resolve_like_a_browser_would() {
        assert_eq!(
            internal("about/index.html", "#team"),
            Some(("/about/index.html".into(), Some("team".into())))
        );
        assert_eq!(
            internal("about/index.html", "/news/"),
            Some(("/news/".into(), None))
        );
        assert_eq!(
            internal("about/index.html", "../news/?x=1#top"),
            Some(("/news/".into(), Some("top".into())))
        );
        assert_eq!(
            internal("news/a/index.html", "img.png"),
            Some(("/news/a/img.png".into(), None))
        );
        assert_eq!(
            internal("index.html", "/caf%C3%A9/"),
            Some(("/café/".into(), None))
        );
        for external in [
            "https://example.com/",
            "mailto:a@b.example",
            "tel:+331",
            "//cdn.example/x.js",
            "",
        ] {
            assert_eq!(internal("index.html", external), None, "{external}");
        }
    }

    #[test]
    fn bundle_paths_resolve_with_clean_urls() {
        let mut b = Bundle::new("x.example");
        for p in [
            "index.html",
            "about/index.html",
            "404.html",
            "assets/site.css",
        ] {
            b.files.insert(p.into(), Vec::new());
        }
        let resolve = |p: &str| b.resolve(p).map(|(k, _)| k.to_string());
        assert_eq!(resolve("/").as_deref(), Some("index.html"));
        assert_eq!(resolve("/about").as_deref(), Some("about/index.html"));
        assert_eq!(resolve("/about/").as_deref(), Some("about/index.html"));
        assert_eq!(resolve("/404").as_deref(), Some("404.html"));
        assert_eq!(
            resolve("/assets/site.css").as_deref(),
            Some("assets/site.css")
        );
        assert_eq!(resolve("/missing/"), None);
    }
}
