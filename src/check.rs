//! `sitegen check`: builds a site in memory and verifies what a visitor and a
//! crawler would meet: links and fragments resolve, assets and images exist,
//! images have alt text, pages have a title and a description, no page is
//! orphaned, the sitemap matches the pages, the HTML parses, JSON-LD parses,
//! nothing is blocked by the Content-Security-Policy the site's nginx config
//! will send (`style=` and `on*=` attributes, `javascript:` URLs, inline
//! `<script>`/`<style>` the policy does not hash, files from elsewhere), and
//! (with `--external`) external links answer. Findings name the source file
//! and line when the offending text can be found there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use rayon::prelude::*;

use crate::build::{build_site, BuildOptions};
use crate::bundle::Bundle;
use crate::config::{CheckConfig, Level, Site, Workspace};
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
    parse_errors: Vec<ParseError>,
    /// What the policy blocks.
    blocked: Vec<Blocked>,
    /// `<link rel=alternate hreflang href>`: (hreflang, href).
    alternates: Vec<(String, String)>,
    /// `<link rel=canonical href>`.
    canonical: Option<String>,
}

/// Something on a page the Content-Security-Policy blocks.
struct Blocked {
    /// Text to find in the source: an attribute's value, a URL, or the first
    /// line of an inline `<script>`/`<style>` (then `tag` names it).
    needle: String,
    tag: Option<&'static str>,
    message: String,
}

/// The Content-Security-Policy nginx will send with a site (see
/// `nginx::content_security_policy`), read the way a browser applies it, to
/// tell which of a page's inline code, attributes and URLs it blocks.
struct Policy {
    directives: BTreeMap<String, Vec<String>>,
    /// The site's own origin, `https://<domain>/`: what `'self'` matches,
    /// and what a relative URL is resolved against.
    origin: url::Url,
}

impl Policy {
    fn parse(text: &str, origin: &str) -> Policy {
        let mut directives = BTreeMap::new();
        for d in text.split(';') {
            let mut words = d.split_ascii_whitespace();
            if let Some(name) = words.next() {
                // The first of a repeated directive is the one that counts.
                directives
                    .entry(name.to_ascii_lowercase())
                    .or_insert_with(|| words.map(str::to_string).collect());
            }
        }
        Policy {
            directives,
            origin: url::Url::parse(origin).expect("a site's base URL is a valid URL"),
        }
    }

    /// The directive that governs `directive` (CSP3 fallbacks: `script-src-elem`
    /// → `script-src` → `default-src`…) and its sources; None if nothing does.
    fn governing(&self, directive: &str) -> Option<(&str, &[String])> {
        let chain: &[&str] = match directive {
            "script-src-elem" | "script-src-attr" => &[directive, "script-src", "default-src"],
            "style-src-elem" | "style-src-attr" => &[directive, "style-src", "default-src"],
            "frame-src" => &["frame-src", "child-src", "default-src"],
            // Not fetches: no fallback to default-src.
            "form-action" | "base-uri" => &[directive],
            _ => &[directive, "default-src"],
        };
        chain
            .iter()
            .find_map(|d| self.directives.get_key_value(*d))
            .map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Whether inline code under `directive` runs: `text` is allowed by its
    /// hash, or by `'unsafe-inline'` when no hash or nonce switches that off.
    /// Attributes (`*-attr`) need `'unsafe-hashes'` for a hash to count.
    fn allows_inline(&self, directive: &str, text: &str) -> std::result::Result<(), String> {
        let Some((name, sources)) = self.governing(directive) else {
            return Ok(());
        };
        let has = |s: &str| sources.iter().any(|x| x.eq_ignore_ascii_case(s));
        let hashed = sources.iter().any(|s| {
            let s = s.to_ascii_lowercase();
            s.starts_with("'sha") || s.starts_with("'nonce-") || s == "'strict-dynamic'"
        });
        let hash = csp_hash(text);
        let by_hash = has(&hash) && (!directive.ends_with("-attr") || has("'unsafe-hashes'"));
        if by_hash || (has("'unsafe-inline'") && !hashed) {
            Ok(())
        } else {
            Err(shown(name, sources))
        }
    }

    /// Whether a page may load `url` under `directive`.
    fn allows_url(&self, directive: &str, url: &str) -> std::result::Result<(), String> {
        let Some((name, sources)) = self.governing(directive) else {
            return Ok(());
        };
        // Resolved against the page as the browser does first: a path stays
        // on the page's origin, `//host/…` keeps its scheme; a URL that does
        // not parse loads nothing.
        let Ok(target) = self.origin.join(url) else {
            return Ok(());
        };
        let scheme = target.scheme();
        // The host as a source names it: the port only when not the default.
        let have_host = match (target.host_str(), target.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => String::new(),
        };
        let allowed = sources.iter().any(|s| {
            let s = s.to_ascii_lowercase();
            match s.as_str() {
                "'self'" => target.origin() == self.origin.origin(),
                "*" => matches!(scheme, "http" | "https"),
                _ if s.starts_with('\'') => false,
                // A scheme source: `https:`, `data:`.
                _ if s.ends_with(':') => s.strip_suffix(':') == Some(scheme),
                // A host source: `https://cdn.example`, `cdn.example`, `*.cdn.example`.
                _ => {
                    let (want_scheme, rest) = s.split_once("://").unwrap_or(("https", &s));
                    let want = rest.split('/').next().unwrap_or("");
                    !have_host.is_empty()
                        && want_scheme == scheme
                        && match want.strip_prefix("*.") {
                            Some(parent) => have_host.ends_with(&format!(".{parent}")),
                            None => have_host == want,
                        }
                }
            }
        });
        if allowed {
            Ok(())
        } else {
            Err(shown(name, sources))
        }
    }
}

/// A directive as a finding shows it: its name and sources, hashes left out
/// (they say what is allowed, not why this is not).
fn shown(name: &str, sources: &[String]) -> String {
    let mut out = name.to_string();
    for s in sources.iter().filter(|s| !s.starts_with("'sha")) {
        out.push(' ');
        out.push_str(s);
    }
    out
}

/// A CSP hash source for `text`: `'sha256-<base64>'`.
fn csp_hash(text: &str) -> String {
    use sha2::Digest;
    format!(
        "'sha256-{}'",
        crate::digest::base64(&sha2::Sha256::digest(text.as_bytes()))
    )
}

/// Whether a URL attribute's value is a `javascript:` URL, its scheme read
/// as a browser reads it (leading and trailing spaces and control
/// characters dropped, tabs and newlines anywhere, any case).
fn is_javascript_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|u| u.scheme() == "javascript")
}

/// What `policy` blocks on one element: (text to find in the source, message).
fn blocked_by_policy(
    tag: &str,
    attrs: &[(String, String)],
    text: impl Fn() -> String,
    policy: &Policy,
    out: &mut Vec<Blocked>,
) {
    let get = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    blocked_attributes(attrs, policy, out);
    match tag {
        "script" if get("src").is_none() && crate::nginx::runs_as_script(get("type")) => {
            blocked_inline("script", &text(), policy, out)
        }
        "style" => blocked_inline("style", &text(), policy, out),
        _ => {}
    }
    for (directive, attr, url) in loads(tag, &get) {
        if url.is_empty() || is_javascript_url(&url) {
            continue;
        }
        if let Err(why) = policy.allows_url(directive, &url) {
            let what = match directive {
                "frame-src" | "object-src" => "blocks embedding it; link to it instead",
                "form-action" => "blocks sending the form there; link to the form instead",
                "base-uri" => "blocks it; remove the <base> element",
                _ => "blocks loading it; publish the file with the site",
            };
            out.push(Blocked {
                message: format!(
                    "{url} ({tag} {attr}): the Content-Security-Policy ({why}) {what}"
                ),
                needle: url,
                tag: None,
            });
        }
    }
}

/// `style=`, `on…=` and `javascript:` URLs in attributes.
fn blocked_attributes(attrs: &[(String, String)], policy: &Policy, out: &mut Vec<Blocked>) {
    for (name, value) in attrs {
        if name == "style" && !value.trim().is_empty() {
            if let Err(why) = policy.allows_inline("style-src-attr", value) {
                out.push(Blocked {
                    needle: value.clone(),
                    tag: None,
                    message: format!("style=\"{value}\": the Content-Security-Policy ({why}) blocks style attributes; use a class and a rule in the theme's CSS"),
                });
            }
        } else if name.len() > 2 && name.starts_with("on") {
            if let Err(why) = policy.allows_inline("script-src-attr", value) {
                out.push(Blocked {
                    needle: value.clone(),
                    tag: None,
                    message: format!("{name}=\"{value}\": the Content-Security-Policy ({why}) blocks event-handler attributes; scripts belong in a .js file of the theme"),
                });
            }
        } else if matches!(
            name.as_str(),
            "href" | "src" | "action" | "formaction" | "data"
        ) && is_javascript_url(value)
        {
            if let Err(why) = policy.allows_inline("script-src-elem", value) {
                out.push(Blocked {
                    needle: value.trim().to_string(),
                    tag: None,
                    message: format!(
                        "{} ({name}): the Content-Security-Policy ({why}) blocks javascript: URLs",
                        value.trim()
                    ),
                });
            }
        }
    }
}

/// An inline `<script>` or `<style>` whose hash the policy does not allow.
fn blocked_inline(tag: &'static str, body: &str, policy: &Policy, out: &mut Vec<Blocked>) {
    let (directive, fix) = match tag {
        "script" => (
            "script-src-elem",
            "scripts belong in a .js file of the theme",
        ),
        _ => ("style-src-elem", "styles belong in the theme's CSS"),
    };
    if let Err(why) = policy.allows_inline(directive, body) {
        let needle = body.lines().map(str::trim).find(|l| !l.is_empty());
        out.push(Blocked {
            needle: needle.map_or_else(|| format!("<{tag}"), str::to_string),
            tag: Some(tag),
            message: format!("an inline <{tag}> is blocked by the Content-Security-Policy ({why}): its hash {} is not allowed; {fix}", csp_hash(body)),
        });
    }
}

/// What an element loads from a URL: (CSP directive, attribute, URL). In
/// `<picture>` a `<source>` is an image; in `<video>`/`<audio>` a media file.
fn loads<'v>(
    tag: &str,
    get: &dyn Fn(&str) -> Option<&'v str>,
) -> Vec<(&'static str, &'static str, String)> {
    let one = |directive, attr| get(attr).map(|url: &str| (directive, attr, url.to_string()));
    let srcset = |directive| -> Vec<(&'static str, &'static str, String)> {
        get("srcset")
            .unwrap_or("")
            .split(',')
            .filter_map(|c| c.split_whitespace().next())
            .map(|url| (directive, "srcset", url.to_string()))
            .collect()
    };
    match tag {
        "script" => one("script-src-elem", "src").into_iter().collect(),
        "link" => {
            let rel = get("rel").unwrap_or("").to_ascii_lowercase();
            let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
            let directive = if rels.contains(&"stylesheet") {
                Some("style-src-elem")
            } else if rels.contains(&"icon") || rels.contains(&"apple-touch-icon") {
                Some("img-src")
            } else if rels.contains(&"manifest") {
                Some("manifest-src")
            } else {
                None
            };
            directive.and_then(|d| one(d, "href")).into_iter().collect()
        }
        "img" => one("img-src", "src")
            .into_iter()
            .chain(srcset("img-src"))
            .collect(),
        "source" => srcset("img-src")
            .into_iter()
            .chain(one("media-src", "src"))
            .collect(),
        "video" | "audio" | "track" => one("media-src", "src")
            .into_iter()
            .chain(one("img-src", "poster"))
            .collect(),
        "iframe" | "frame" => one("frame-src", "src").into_iter().collect(),
        "object" => one("object-src", "data").into_iter().collect(),
        "embed" => one("object-src", "src").into_iter().collect(),
        "form" => one("form-action", "action").into_iter().collect(),
        "base" => one("base-uri", "href").into_iter().collect(),
        _ => Vec::new(),
    }
}

/// The text under `h`, in document order. Iterative, like `walk`: markdown
/// may nest HTML thousands of levels deep.
fn text_of(h: &Handle, out: &mut String) {
    let mut stack = vec![h.clone()];
    while let Some(n) = stack.pop() {
        match &n.data {
            NodeData::Text { contents } => out.push_str(&contents.borrow()),
            _ => stack.extend(n.children.borrow().iter().rev().cloned()),
        }
    }
}

/// Visits every node in document order with an explicit stack, so a page
/// nested 20,000 elements deep cannot overflow the thread's stack.
fn walk(root: &Handle, facts: &mut PageFacts, policy: &Policy) {
    let mut stack = vec![root.clone()];
    while let Some(h) = stack.pop() {
        visit(&h, facts, policy);
        stack.extend(h.children.borrow().iter().rev().cloned());
    }
}

fn visit(h: &Handle, facts: &mut PageFacts, policy: &Policy) {
    if let NodeData::Element { name, attrs, .. } = &h.data {
        let attrs = attrs.borrow();
        let pairs: Vec<(String, String)> = attrs
            .iter()
            .map(|a| (a.name.local.to_string(), a.value.to_string()))
            .collect();
        let text = || {
            let mut s = String::new();
            text_of(h, &mut s);
            s
        };
        blocked_by_policy(&name.local, &pairs, text, policy, &mut facts.blocked);
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
                    if tag == "link" && rel == "canonical" {
                        facts.canonical = Some(href.clone());
                    }
                    if let (true, true, Some(lang)) =
                        (tag == "link", rel == "alternate", get("hreflang"))
                    {
                        facts.alternates.push((lang, href.clone()));
                    }
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
}

/// An HTML parse error: the parser's message, the line of the generated
/// page it was found on, and that line's text (to find it in the source).
struct ParseError {
    line: u64,
    text: String,
    message: String,
}

/// An `RcDom` that also notes the line each parse error was found on
/// (`RcDom` keeps only the messages): html5ever's tree builder tells the
/// sink the current line before it handles each token.
#[derive(Default)]
struct Lined {
    dom: RcDom,
    line: std::cell::Cell<u64>,
    errors: std::cell::RefCell<Vec<(u64, std::borrow::Cow<'static, str>)>>,
}

impl html5ever::interface::TreeSink for Lined {
    type Handle = Handle;
    type Output = (RcDom, Vec<(u64, std::borrow::Cow<'static, str>)>);
    type ElemName<'a> = html5ever::ExpandedName<'a>;

    fn finish(self) -> Self::Output {
        (self.dom, self.errors.into_inner())
    }
    fn parse_error(&self, msg: std::borrow::Cow<'static, str>) {
        self.errors.borrow_mut().push((self.line.get(), msg));
    }
    fn set_current_line(&self, line: u64) {
        self.line.set(line);
    }
    fn get_document(&self) -> Handle {
        self.dom.get_document()
    }
    fn elem_name<'a>(&'a self, target: &'a Handle) -> html5ever::ExpandedName<'a> {
        self.dom.elem_name(target)
    }
    fn create_element(
        &self,
        name: html5ever::QualName,
        attrs: Vec<html5ever::Attribute>,
        flags: html5ever::interface::ElementFlags,
    ) -> Handle {
        self.dom.create_element(name, attrs, flags)
    }
    fn create_comment(&self, text: html5ever::tendril::StrTendril) -> Handle {
        self.dom.create_comment(text)
    }
    fn create_pi(
        &self,
        target: html5ever::tendril::StrTendril,
        data: html5ever::tendril::StrTendril,
    ) -> Handle {
        self.dom.create_pi(target, data)
    }
    fn append(&self, parent: &Handle, child: html5ever::interface::NodeOrText<Handle>) {
        self.dom.append(parent, child)
    }
    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: html5ever::interface::NodeOrText<Handle>,
    ) {
        self.dom
            .append_based_on_parent_node(element, prev_element, child)
    }
    fn append_doctype_to_document(
        &self,
        name: html5ever::tendril::StrTendril,
        public_id: html5ever::tendril::StrTendril,
        system_id: html5ever::tendril::StrTendril,
    ) {
        self.dom
            .append_doctype_to_document(name, public_id, system_id)
    }
    fn get_template_contents(&self, target: &Handle) -> Handle {
        self.dom.get_template_contents(target)
    }
    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        self.dom.same_node(x, y)
    }
    fn set_quirks_mode(&self, mode: html5ever::interface::QuirksMode) {
        self.dom.set_quirks_mode(mode)
    }
    fn append_before_sibling(
        &self,
        sibling: &Handle,
        new_node: html5ever::interface::NodeOrText<Handle>,
    ) {
        self.dom.append_before_sibling(sibling, new_node)
    }
    fn add_attrs_if_missing(&self, target: &Handle, attrs: Vec<html5ever::Attribute>) {
        self.dom.add_attrs_if_missing(target, attrs)
    }
    fn remove_from_parent(&self, target: &Handle) {
        self.dom.remove_from_parent(target)
    }
    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        self.dom.reparent_children(node, new_parent)
    }
    fn is_mathml_annotation_xml_integration_point(&self, handle: &Handle) -> bool {
        self.dom.is_mathml_annotation_xml_integration_point(handle)
    }
    fn maybe_clone_an_option_into_selectedcontent(&self, option: &Handle) {
        self.dom.maybe_clone_an_option_into_selectedcontent(option)
    }
}

fn facts(html: &[u8], policy: &Policy) -> PageFacts {
    let (dom, errors) = html5ever::parse_document(Lined::default(), Default::default())
        .from_utf8()
        .read_from(&mut &html[..])
        .expect("reading from memory cannot fail");
    // The page's lines are split only when there is an error to quote.
    let text = if errors.is_empty() {
        Default::default()
    } else {
        String::from_utf8_lossy(html)
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut f = PageFacts {
        parse_errors: errors
            .into_iter()
            .map(|(line, message)| ParseError {
                line,
                text: usize::try_from(line)
                    .ok()
                    .and_then(|l| lines.get(l.checked_sub(1)?))
                    .map(|l| l.trim().to_string())
                    .unwrap_or_default(),
                message: message.into_owned(),
            })
            .collect(),
        ..Default::default()
    };
    walk(&dom.document, &mut f, policy);
    f
}

/// Percent-decoding for paths (`%20` and friends); malformed escapes stay as
/// written, and so does a path that is not UTF-8 once decoded.
fn decode(s: &str) -> String {
    match percent_encoding::percent_decode_str(s).decode_utf8() {
        Ok(d) => d.into_owned(),
        Err(_) => s.to_string(),
    }
}

/// Where the pages of the site being checked live, for resolving links; a
/// name no real host can have, so no absolute link can point at it.
const PAGE_ORIGIN: &str = "https://site.invalid/";

/// Resolves a reference made on page `from` (a bundle path) as a browser
/// does (WHATWG URL: `../`, `./`, `?q`, `#id`, backslashes, tabs and
/// newlines, `%2e%2e`) to (decoded path, decoded fragment); None for an
/// empty reference and for what leaves the site (`//host/…`, another scheme).
fn internal(from: &str, reference: &str) -> Option<(String, Option<String>)> {
    if reference.is_empty() {
        return None;
    }
    let mut page = url::Url::parse(PAGE_ORIGIN).expect("a valid URL");
    page.set_path(from);
    let target = page.join(reference).ok()?;
    if target.origin() != page.origin() {
        return None;
    }
    Some((decode(target.path()), target.fragment().map(decode)))
}

/// Finds where a page's source (or the site config) contains `needle`.
struct Sources<'a> {
    site: &'a Site,
    by_output: BTreeMap<String, PathBuf>,
    /// The site's template files, searched when the text is in neither the
    /// page's source nor site.yaml (a template wrote it).
    templates: Vec<PathBuf>,
    texts: std::sync::Mutex<BTreeMap<PathBuf, String>>,
}

impl Sources<'_> {
    /// The line of the page's own source that a line of the generated page
    /// came from: the same text, or (a paragraph wrapped in `<p>`) a source
    /// line of some length that it contains. Lines a template wrote have
    /// none.
    fn locate_line(&self, output: &str, generated: &str) -> (String, Option<usize>) {
        let Some(file) = self.by_output.get(output) else {
            return self.locate(output, "\u{0}");
        };
        let mut texts = self.texts.lock().expect("lock");
        let text = texts
            .entry(file.clone())
            .or_insert_with(|| std::fs::read_to_string(file).unwrap_or_default());
        let generated = generated.trim();
        let line = (!generated.is_empty())
            .then(|| {
                text.lines().position(|l| {
                    let l = l.trim();
                    l == generated || (l.chars().count() >= 8 && generated.contains(l))
                })
            })
            .flatten();
        (file.display().to_string(), line.map(|l| l + 1))
    }

    fn locate_element(&self, output: &str, tag: &str, needle: &str) -> (String, Option<usize>) {
        let open = format!("<{tag}");
        if let Some(file) = self.by_output.get(output) {
            let mut texts = self.texts.lock().expect("lock");
            let text = texts
                .entry(file.clone())
                .or_insert_with(|| std::fs::read_to_string(file).unwrap_or_default());
            if let Some(line) = text
                .lines()
                .position(|l| l.to_ascii_lowercase().contains(&open) && l.contains(needle))
            {
                return (file.display().to_string(), Some(line + 1));
            }
        }
        self.locate(output, needle)
    }

    fn locate(&self, output: &str, needle: &str) -> (String, Option<usize>) {
        match self.locate_where(output, |l| l.contains(needle)) {
            (file, None) if needle.len() >= 4 && !needle.ends_with(':') => {
                self.locate_in_templates(needle).unwrap_or((file, None))
            }
            found => found,
        }
    }

    /// The first template line with `needle`: markup in every page (a link
    /// in the footer) is one finding at the template, not one per page.
    fn locate_in_templates(&self, needle: &str) -> Option<(String, Option<usize>)> {
        let mut texts = self.texts.lock().expect("lock");
        for file in &self.templates {
            let text = texts
                .entry(file.clone())
                .or_insert_with(|| std::fs::read_to_string(file).unwrap_or_default());
            if let Some(line) = text.lines().position(|l| l.contains(needle)) {
                return Some((file.display().to_string(), Some(line + 1)));
            }
        }
        None
    }

    /// The first line of the page's source (then site.yaml) that `found`
    /// accepts.
    fn locate_where(&self, output: &str, found: impl Fn(&str) -> bool) -> (String, Option<usize>) {
        let mut candidates: Vec<PathBuf> =
            self.by_output.get(output).cloned().into_iter().collect();
        candidates.push(self.site.config_path.clone());
        for file in candidates {
            let mut texts = self.texts.lock().expect("lock");
            let text = texts
                .entry(file.clone())
                .or_insert_with(|| std::fs::read_to_string(&file).unwrap_or_default());
            if let Some(line) = text.lines().position(&found) {
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

/// Where in the source a finding's text is.
enum Find<'a> {
    /// The first line containing this text.
    Text(&'a str),
    /// An element's body: the first line with the opening tag (any case) and
    /// the body's first line, else the first line with the body's first line.
    Element(&'static str, &'a str),
    /// A processed image (`/assets/images/studio-960.77ddc17cef.jpg`): the
    /// first line naming its source file (`images/studio.jpg`).
    Image(&'a str),
    /// A line of the generated page: the page's source line it came from.
    Line(&'a str),
    /// The page as a whole: the first line of its source.
    Page,
    /// Nowhere in particular: the file only.
    Nowhere,
}

/// The source file name stem of a processed image URL: `studio` for
/// `/assets/images/studio-960.77ddc17cef.jpg`.
fn image_stem(src: &str) -> Option<&str> {
    let name = src.split("/assets/images/").nth(1)?;
    let (rest, _ext) = name.rsplit_once('.')?;
    let (rest, _hash) = rest.rsplit_once('.')?;
    let (stem, width) = rest.rsplit_once('-')?;
    (!stem.is_empty() && width.bytes().all(|b| b.is_ascii_digit())).then_some(stem)
}

pub struct CheckOptions {
    pub external: bool,
    /// As `build --strict`: what the build would warn about fails it (a
    /// string key missing in a language, an image without alt text), and
    /// every finding is an error.
    pub strict: bool,
    /// The instant to build for (`--clock`).
    pub now: Option<time::OffsetDateTime>,
}

/// Builds `site` in memory and checks it.
pub fn check_site(ws: &Workspace, site: &Site, opts: &CheckOptions) -> Result<Vec<Finding>> {
    let bundle = build_site(
        ws,
        site,
        &BuildOptions {
            mode: crate::build::BuildMode::Preview,
            strict: opts.strict,
            now: opts.now,
            ..Default::default()
        },
    )?;
    let policy = Policy::parse(
        &crate::nginx::content_security_policy(&bundle),
        &site.base_url(),
    );
    let pages: BTreeMap<&str, PageFacts> = bundle
        .files
        .par_iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .map(|(p, b)| (p.as_str(), facts(b, &policy)))
        .collect();
    let mut c = Checker {
        levels: &ws.config.check,
        sources: Sources {
            site,
            by_output: bundle
                .source_pages
                .iter()
                .map(|p| (p.output.clone(), p.source.clone()))
                .collect(),
            templates: crate::render::TemplateDirs::for_site(site).files(),
            texts: Default::default(),
        },
        out: Vec::new(),
    };
    let mut linked: BTreeSet<&str> = BTreeSet::new();
    let mut external: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // The sitemap pages link every page: what they link is checked, but a
    // page only they link is still an orphan, as with sitemap.xml.
    let sitemaps: BTreeSet<String> = site
        .languages
        .iter()
        .map(|l| {
            let url = site.languages.url(l, crate::pages::sitemap::URL);
            format!("{}index.html", url.trim_start_matches('/'))
        })
        .collect();
    for (page, f) in &pages {
        if sitemaps.contains(*page) {
            let mut ignored = BTreeSet::new();
            c.references(&bundle, &pages, page, f, &mut ignored, &mut external);
        } else {
            c.references(&bundle, &pages, page, f, &mut linked, &mut external);
        }
        c.page(page, f);
    }
    c.orphans(&bundle, &pages, &linked);
    c.sitemap(site, &bundle, &pages);
    c.hreflang(site, &bundle, &pages);
    if opts.external && ws.config.check.external != Level::Off {
        for (url, problem) in check_external(ws, external.keys().cloned().collect()) {
            for page in &external[&url] {
                let message = format!("{url}: {problem}");
                c.push(
                    c.levels.external,
                    "external",
                    page,
                    Find::Text(&url),
                    message,
                );
            }
        }
    }
    c.build_warnings(site, &bundle.warnings);
    c.placeholders(site, &bundle);
    let mut out = c.out;
    if opts.strict {
        for f in &mut out {
            f.error = true;
        }
    }
    out.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
    // One finding per place: markup a template writes on many pages is
    // one finding at the template, saying on how many pages it is.
    let mut merged: Vec<(Finding, usize)> = Vec::new();
    for f in out {
        match merged.last_mut() {
            Some((m, n)) if m.file == f.file && m.line == f.line && m.message == f.message => {
                m.error |= f.error;
                *n += 1;
            }
            _ => merged.push((f, 1)),
        }
    }
    Ok(merged
        .into_iter()
        .map(|(mut f, n)| {
            if n > 1 {
                f.message.push_str(&format!(" (on {n} pages)"));
            }
            f
        })
        .collect())
}

/// The 404 page of a language: `404.html`, `en/404.html`.
fn is_not_found(site: &Site, page: &str) -> bool {
    page == "404.html"
        || site
            .languages
            .iter()
            .any(|l| !l.prefix.is_empty() && page == format!("{}/404.html", l.prefix))
}

/// Collects findings, each placed at the source line that caused it.
struct Checker<'a> {
    levels: &'a CheckConfig,
    sources: Sources<'a>,
    out: Vec<Finding>,
}

impl Checker<'_> {
    fn push(
        &mut self,
        level: Level,
        rule: &'static str,
        output: &str,
        needle: Find<'_>,
        message: String,
    ) {
        if level == Level::Off {
            return;
        }
        let (file, line) = match needle {
            Find::Text(n) => self.sources.locate(output, n),
            Find::Element(tag, n) => self.sources.locate_element(output, tag, n),
            Find::Image(src) => match image_stem(src) {
                // Where the copy shows it (markdown or picture()), before
                // where front matter names it (`image:`).
                Some(stem) => {
                    let name = format!("{stem}.");
                    let shown =
                        |l: &str| l.contains(&name) && (l.contains("](") || l.contains("picture("));
                    match self.sources.locate_where(output, shown) {
                        (file, Some(line)) => (file, Some(line)),
                        _ => self.sources.locate(output, &name),
                    }
                }
                None => self.sources.locate(output, src),
            },
            Find::Line(generated) => self.sources.locate_line(output, generated),
            Find::Page => match self.sources.by_output.get(output) {
                Some(file) => (file.display().to_string(), Some(1)),
                None => self.sources.locate(output, "\u{0}"),
            },
            Find::Nowhere => self.sources.locate(output, "\u{0}"),
        };
        self.out.push(Finding {
            rule,
            error: level == Level::Error,
            file,
            line,
            message,
        });
    }

    /// Internal links, fragments, assets and images of one page resolve;
    /// pages it links are noted (for orphans), external URLs collected.
    fn references<'b>(
        &mut self,
        bundle: &'b Bundle,
        pages: &BTreeMap<&str, PageFacts>,
        page: &str,
        f: &PageFacts,
        linked: &mut BTreeSet<&'b str>,
        external: &mut BTreeMap<String, Vec<String>>,
    ) {
        let level = self.levels.links;
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
            let Some(target) = bundle.resolve(&path).map(|(k, _)| k) else {
                let message = format!("{reference} ({attr}) does not resolve to a page or file");
                self.push(level, "links", page, Find::Text(reference), message);
                continue;
            };
            if *attr == "href" && target.ends_with(".html") && target != page {
                linked.insert(target);
            }
            if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                let ok = pages.get(target).is_some_and(|t| t.ids.contains(&fragment));
                if !ok {
                    let message = format!("{reference}: no element with id {fragment:?} on {path}");
                    self.push(level, "links", page, Find::Text(reference), message);
                }
            }
        }
    }

    /// What the build warned about (a string key shown from a fallback
    /// language, a platform link dropped): at the file the warning names
    /// (`templates/_base/base.html: …`), else at the site.
    fn build_warnings(&mut self, site: &Site, warnings: &[String]) {
        if self.levels.build == Level::Off {
            return;
        }
        for w in warnings {
            let (file, message) = match w.split_once(": ") {
                Some((file, rest)) if !file.contains(' ') && file.contains('/') => {
                    (file.to_string(), rest.to_string())
                }
                _ => (site.domain().to_string(), w.clone()),
            };
            // `content/x/about.md:14: …` names the line too.
            let (file, line) = match file.rsplit_once(':') {
                Some((f, l)) if l.parse::<usize>().is_ok() => (f.to_string(), l.parse().ok()),
                _ => (file, None),
            };
            self.out.push(Finding {
                rule: "build",
                error: self.levels.build == Level::Error,
                file,
                line,
                message,
            });
        }
    }

    /// Starter copy left as `sitegen new` wrote it, in site.yaml and the
    /// site's pages: one finding per line.
    fn placeholders(&mut self, site: &Site, bundle: &Bundle) {
        let level = self.levels.placeholder;
        if level == Level::Off {
            return;
        }
        let files =
            std::iter::once(&site.config_path).chain(bundle.source_pages.iter().map(|p| &p.source));
        let mut seen = BTreeSet::new();
        for file in files {
            if !seen.insert(file) {
                continue;
            }
            let text = std::fs::read_to_string(file).unwrap_or_default();
            for (i, line) in text.lines().enumerate() {
                if let Some(p) = crate::kinds::PLACEHOLDERS
                    .iter()
                    .find(|p| line.contains(*p))
                {
                    self.out.push(Finding {
                        rule: "placeholder",
                        error: level == Level::Error,
                        file: file.display().to_string(),
                        line: Some(i + 1),
                        message: format!(
                            "starter copy left in place ({:?}…): write the brand's own words",
                            p.trim()
                        ),
                    });
                }
            }
        }
    }

    /// hreflang alternates (multilingual sites): absolute URLs of this site
    /// that resolve to pages, the page itself among them, and every target
    /// listing the same alternates back (reciprocal).
    fn hreflang(&mut self, site: &Site, bundle: &Bundle, pages: &BTreeMap<&str, PageFacts>) {
        let level = self.levels.links;
        let base = site.base_url();
        let target = |href: &str| -> Option<&str> {
            let path = href.strip_prefix(&base)?;
            path.starts_with('/')
                .then(|| bundle.resolve(path).map(|(k, _)| k))
                .flatten()
        };
        for (page, f) in pages {
            if f.alternates.is_empty() {
                continue;
            }
            if !f
                .alternates
                .iter()
                .any(|(_, h)| Some(h) == f.canonical.as_ref())
            {
                let message = format!(
                    "hreflang alternates do not include the page itself ({})",
                    f.canonical.as_deref().unwrap_or("no canonical")
                );
                self.push(level, "hreflang", page, Find::Text("hreflang"), message);
            }
            for (lang, href) in &f.alternates {
                let Some(other) = target(href) else {
                    let message = format!("hreflang {lang} → {href} is not a page of this site");
                    self.push(level, "hreflang", page, Find::Text(href), message);
                    continue;
                };
                if pages
                    .get(other)
                    .is_some_and(|o| o.alternates != f.alternates)
                {
                    let message = format!(
                        "hreflang {lang} → {href}: that page does not list the same alternates (not reciprocal)"
                    );
                    self.push(level, "hreflang", page, Find::Text(href), message);
                }
            }
        }
    }

    /// Alt texts, title and description, HTML, the CSP, JSON-LD of one page.
    fn page(&mut self, page: &str, f: &PageFacts) {
        let levels = self.levels;
        for src in &f.no_alt {
            let message = format!("image {src} has no alt attribute");
            self.push(levels.alt_text, "alt-text", page, Find::Image(src), message);
        }
        for src in &f.empty_alt {
            let message = format!("image {src} has an empty alt text");
            self.push(levels.alt_text, "alt-text", page, Find::Image(src), message);
        }
        let rule = "title-description";
        if f.title.trim().is_empty() {
            let message = "the page has no <title>".into();
            self.push(
                levels.title_description,
                rule,
                page,
                Find::Text("title:"),
                message,
            );
        }
        if f.description.as_deref().is_none_or(|d| d.trim().is_empty())
            && !is_not_found(self.sources.site, page)
        {
            let message = "the page has no meta description".into();
            self.push(
                levels.title_description,
                rule,
                page,
                Find::Text("description:"),
                message,
            );
        }
        for e in &f.parse_errors {
            let mut message = format!(
                "HTML parse error on line {} of the generated page: {}",
                e.line, e.message
            );
            if !e.text.is_empty() {
                let shown: String = e.text.chars().take(120).collect();
                message.push_str(&format!(
                    " (`{shown}`): close every tag in the order it was opened"
                ));
            }
            self.push(levels.html, "html", page, Find::Line(&e.text), message);
        }
        // Not configurable: production blocks it whatever the level says.
        for b in &f.blocked {
            let at = match b.tag {
                Some(tag) => Find::Element(tag, &b.needle),
                None => Find::Text(&b.needle),
            };
            self.push(Level::Error, "csp", page, at, b.message.clone());
        }
        for block in &f.json_ld {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(block) {
                let message = format!("JSON-LD does not parse: {e}");
                self.push(levels.json_ld, "json-ld", page, Find::Nowhere, message);
            }
        }
    }

    /// Every page must be linked from another, unless marked `orphan: true`.
    fn orphans(
        &mut self,
        bundle: &Bundle,
        pages: &BTreeMap<&str, PageFacts>,
        linked: &BTreeSet<&str>,
    ) {
        let exempt: BTreeSet<&str> = bundle
            .source_pages
            .iter()
            .filter(|p| p.front.extra.get("orphan").and_then(|v| v.as_bool()) == Some(true))
            .map(|p| p.output.as_str())
            .collect();
        for page in pages.keys() {
            if *page != "index.html"
                && !is_not_found(self.sources.site, page)
                && !linked.contains(page)
                && !exempt.contains(page)
            {
                let message = format!("no page links to /{}", page.trim_end_matches("index.html"));
                self.push(self.levels.orphans, "orphans", page, Find::Page, message);
            }
        }
    }

    /// The sitemap lists every published page and nothing else.
    fn sitemap(&mut self, site: &Site, bundle: &Bundle, pages: &BTreeMap<&str, PageFacts>) {
        let level = self.levels.sitemap;
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
                None => {
                    let message = format!("{loc} is in sitemap.xml but is not a page");
                    self.push(level, "sitemap", "sitemap.xml", Find::Nowhere, message);
                }
            }
        }
        let unlisted: BTreeSet<&str> = bundle
            .source_pages
            .iter()
            .filter(|p| !p.front.sitemap)
            .map(|p| p.output.as_str())
            .collect();
        for page in pages.keys() {
            if !is_not_found(site, page) && !unlisted.contains(page) && !listed.contains(*page) {
                let message = format!(
                    "/{} is missing from sitemap.xml",
                    page.trim_end_matches("index.html")
                );
                self.push(level, "sitemap", page, Find::Page, message);
            }
        }
    }
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
    fn processed_image_urls_lead_back_to_their_source_name() {
        assert_eq!(
            image_stem("/assets/images/studio-960.77ddc17cef.jpg"),
            Some("studio")
        );
        assert_eq!(
            image_stem("https://x.example/assets/images/margot-lune-160.43dfc6b52c.webp"),
            Some("margot-lune")
        );
        assert_eq!(image_stem("/assets/logo.8eda0730d4.svg"), None);
        assert_eq!(image_stem("/assets/images/odd.jpg"), None);
    }

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
    fn relative_references_resolve_by_the_url_standard() {
        let at = |from: &str, reference: &str| internal(from, reference);
        let path = |p: &str| Some((p.to_string(), None));
        // Up, past the root (which stays the root), and through `.`.
        assert_eq!(at("news/a/index.html", "../b/"), path("/news/b/"));
        assert_eq!(at("news/a/index.html", "../../../../x/"), path("/x/"));
        assert_eq!(
            at("news/a/index.html", "./img.png"),
            path("/news/a/img.png")
        );
        assert_eq!(
            at("news/a/index.html", "b/../c/./d.css"),
            path("/news/a/c/d.css")
        );
        // A query or a fragment alone is this page.
        assert_eq!(at("about/index.html", "?q=1"), path("/about/index.html"));
        assert_eq!(
            at("about/index.html", "?q=1#team"),
            Some(("/about/index.html".into(), Some("team".into())))
        );
        assert_eq!(
            at("about/index.html", "#"),
            Some(("/about/index.html".into(), Some("".into())))
        );
        // Percent-encoded paths and fragments, decoded for the lookup; an
        // encoded dot-dot is a dot-dot; a malformed escape stays as written.
        assert_eq!(at("index.html", "caf%C3%A9/"), path("/café/"));
        assert_eq!(at("index.html", "café/"), path("/café/"));
        assert_eq!(at("index.html", "a%20b.pdf"), path("/a b.pdf"));
        assert_eq!(at("a/b/index.html", "%2e%2e/x/"), path("/a/x/"));
        assert_eq!(at("index.html", "100%zz/"), path("/100%zz/"));
        assert_eq!(
            at("index.html", "/#caf%C3%A9"),
            Some(("/".into(), Some("café".into())))
        );
        // Backslashes are slashes; tabs and newlines are dropped; spaces
        // around the reference are trimmed.
        assert_eq!(at("news/a/index.html", "..\\b\\"), path("/news/b/"));
        assert_eq!(at("index.html", "/ab\tout/\n"), path("/about/"));
        assert_eq!(at("index.html", "  /about/  "), path("/about/"));
        // Another host or scheme is not the site, whatever its path.
        for external in [
            "//host/x",
            "\\\\host\\x",
            "HTTPS://example.com/x",
            "data:text/plain,x",
            "javascript:go()",
            "foo:bar",
        ] {
            assert_eq!(at("about/index.html", external), None, "{external}");
        }
        // A colon later in a path is not a scheme.
        assert_eq!(at("index.html", "./a:b/"), path("/a:b/"));
        assert_eq!(at("index.html", "/files/a:b.png"), path("/files/a:b.png"));
    }

    #[test]
    fn the_policy_is_read_as_a_browser_applies_it() {
        let p = Policy::parse(
            "default-src 'none'; script-src 'sha256-abc='; style-src 'self'; img-src 'self' https://cdn.example *.media.example; form-action 'self'",
            "https://x.example",
        );
        // Fallbacks: script-src-attr → script-src; font-src → default-src.
        assert_eq!(p.governing("script-src-attr").unwrap().0, "script-src");
        assert_eq!(p.governing("font-src").unwrap().0, "default-src");
        assert_eq!(p.governing("frame-src").unwrap().0, "default-src");
        assert!(
            p.governing("base-uri").is_none(),
            "no fallback for base-uri"
        );
        for ok in [
            "/a.png",
            "a.png",
            "https://x.example/a.png",
            "HTTPS://X.EXAMPLE/a.png",
            "//x.example/a.png",
            "https://cdn.example/a.png",
            "https://img.media.example/a.png",
        ] {
            assert_eq!(p.allows_url("img-src", ok), Ok(()), "{ok}");
        }
        for blocked in [
            "http://x.example/a.png",
            "https://x.example.evil/a.png",
            "https://cdn.example.evil/a.png",
            "http://cdn.example/a.png",
            "https://media.example/a.png",
            "data:image/png;base64,AAAA",
            "//evil.example/a.png",
        ] {
            assert_eq!(
                p.allows_url("img-src", blocked),
                Err("img-src 'self' https://cdn.example *.media.example".into()),
                "{blocked}"
            );
        }
        assert_eq!(
            p.allows_url("frame-src", "https://x.example/"),
            Err("default-src 'none'".into())
        );
        assert_eq!(p.allows_url("base-uri", "https://evil.example/"), Ok(()));
        // The default port is the same origin; a user name does not change
        // the host; backslashes are slashes; spaces around are trimmed.
        for ok in [
            "https://x.example:443/a.png",
            "https:\\\\x.example\\a.png",
            " /a.png ",
            "HTTPS://CDN.EXAMPLE/A.PNG",
        ] {
            assert_eq!(p.allows_url("img-src", ok), Ok(()), "{ok}");
        }
        for blocked in [
            "https://x.example@evil.example/a.png",
            "https://x.example:8443/a.png",
            "https://cdn.example:8443/a.png",
            "https:\\\\evil.example\\a.png",
        ] {
            assert!(p.allows_url("img-src", blocked).is_err(), "{blocked}");
        }
        // Colons in a path are not a scheme.
        for path in ["/files/a:b.png", ":a.png"] {
            assert_eq!(p.allows_url("img-src", path), Ok(()), "{path}");
        }
        // Wildcard and scheme sources.
        let w = Policy::parse("img-src *; media-src data: https:", "https://x.example");
        assert_eq!(w.allows_url("img-src", "http://a.example/x.png"), Ok(()));
        assert!(w.allows_url("img-src", "data:image/png;base64,AA").is_err());
        assert_eq!(
            w.allows_url("media-src", "data:video/mp4;base64,AA"),
            Ok(())
        );
        assert_eq!(w.allows_url("media-src", "https://a.example/x.mp4"), Ok(()));
        assert!(w.allows_url("media-src", "http://a.example/x.mp4").is_err());
        // Frames fall back to child-src before default-src.
        let c = Policy::parse(
            "default-src 'none'; child-src https://v.example",
            "https://x.example",
        );
        assert_eq!(c.allows_url("frame-src", "https://v.example/embed"), Ok(()));
        // Inline code by hash; attributes need 'unsafe-hashes' besides.
        let h = Policy::parse(
            &format!("script-src {}", csp_hash("go()")),
            "https://x.example",
        );
        assert_eq!(h.allows_inline("script-src-elem", "go()"), Ok(()));
        assert_eq!(
            h.allows_inline("script-src-elem", "go();"),
            Err("script-src".into())
        );
        assert!(h.allows_inline("script-src-attr", "go()").is_err());
        let u = Policy::parse(
            &format!("script-src 'unsafe-hashes' {}", csp_hash("go()")),
            "https://x.example",
        );
        assert_eq!(u.allows_inline("script-src-attr", "go()"), Ok(()));
        // 'unsafe-inline' counts only without hashes.
        let i = Policy::parse("style-src 'unsafe-inline'", "https://x.example");
        assert_eq!(i.allows_inline("style-src-attr", "color:red"), Ok(()));
        let ih = Policy::parse(
            "style-src 'unsafe-inline' 'sha256-abc='",
            "https://x.example",
        );
        assert!(ih.allows_inline("style-src-attr", "color:red").is_err());
        for switch in ["'nonce-abc'", "'strict-dynamic'"] {
            let p = Policy::parse(
                &format!("script-src 'unsafe-inline' {switch}"),
                "https://x.example",
            );
            assert!(
                p.allows_inline("script-src-elem", "go()").is_err(),
                "{switch}"
            );
        }
        // No directive for it at all: allowed.
        let none = Policy::parse("img-src 'self'", "https://x.example");
        assert_eq!(none.allows_inline("script-src-elem", "go()"), Ok(()));
    }

    #[test]
    fn every_kind_of_blocked_content_is_found() {
        let policy = Policy::parse(
            &format!(
                "default-src 'none'; script-src 'self' {}; style-src 'self' {}; img-src 'self'; media-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'",
                csp_hash("ok()"),
                csp_hash(".ok{}")
            ),
            "https://x.example",
        );
        let found = |html: &str| -> Vec<String> {
            facts(html.as_bytes(), &policy)
                .blocked
                .into_iter()
                .map(|b| format!("{} | {:?} | {}", b.needle, b.tag, b.message))
                .collect()
        };
        // Allowed: own files, hashed inline code, data blocks, an attribute named `on`.
        let fine = found(
            "<link rel=stylesheet href=/a.css><link rel=icon href=/i.svg><link rel=manifest href=/m.webmanifest>\
             <link rel=preconnect href=https://cdn.example><link rel=canonical href=https://x.example/>\
             <script>ok()</script><script src=/a.js></script><script type=application/ld+json>{}</script>\
             <style>.ok{}</style><picture><source srcset=\"/a.webp 1x, /b.webp 2x\"><img src=/a.jpg alt=a></picture>\
             <video src=/v.mp4 poster=/p.jpg><track src=/t.vtt></video><form action=/send></form>\
             <p on=x style=\"\">text</p><a href=https://elsewhere.example/>a link is not a load</a>",
        );
        assert_eq!(fine, Vec::<String>::new());
        let blocked = found(
            "<link rel=stylesheet href=https://cdn.example/a.css><link rel=icon href=https://cdn.example/i.png>\
             <link rel=manifest href=https://cdn.example/m.json><script src=https://cdn.example/a.js></script>\
             <style>.nope{}</style><picture><source srcset=\"https://cdn.example/a.webp 1x\"></picture>\
             <audio src=https://cdn.example/a.mp3></audio><video poster=https://cdn.example/p.jpg></video>\
             <object data=https://cdn.example/o.swf></object><embed src=https://cdn.example/e.swf>\
             <form action=https://forms.example/send></form><iframe src=javascript:go()></iframe>",
        );
        let base = found("<base href=/>");
        let csp = "the Content-Security-Policy";
        let load = "blocks loading it; publish the file with the site";
        let embed = "blocks embedding it; link to it instead";
        assert_eq!(
            blocked,
            [
                format!("https://cdn.example/a.css | None | https://cdn.example/a.css (link href): {csp} (style-src 'self') {load}"),
                format!("https://cdn.example/i.png | None | https://cdn.example/i.png (link href): {csp} (img-src 'self') {load}"),
                format!("https://cdn.example/m.json | None | https://cdn.example/m.json (link href): {csp} (manifest-src 'self') {load}"),
                format!("https://cdn.example/a.js | None | https://cdn.example/a.js (script src): {csp} (script-src 'self') {load}"),
                format!(".nope{{}} | Some(\"style\") | an inline <style> is blocked by {csp} (style-src 'self'): its hash {} is not allowed; styles belong in the theme's CSS", csp_hash(".nope{}")),
                format!("https://cdn.example/a.webp | None | https://cdn.example/a.webp (source srcset): {csp} (img-src 'self') {load}"),
                format!("https://cdn.example/a.mp3 | None | https://cdn.example/a.mp3 (audio src): {csp} (media-src 'self') {load}"),
                format!("https://cdn.example/p.jpg | None | https://cdn.example/p.jpg (video poster): {csp} (img-src 'self') {load}"),
                format!("https://cdn.example/o.swf | None | https://cdn.example/o.swf (object data): {csp} (default-src 'none') {embed}"),
                format!("https://cdn.example/e.swf | None | https://cdn.example/e.swf (embed src): {csp} (default-src 'none') {embed}"),
                format!("https://forms.example/send | None | https://forms.example/send (form action): {csp} (form-action 'self') blocks sending the form there; link to the form instead"),
                format!("javascript:go() | None | javascript:go() (src): {csp} (script-src 'self') blocks javascript: URLs"),
            ]
        );
        assert_eq!(
            base,
            [format!("/ | None | / (base href): {csp} (base-uri 'none') blocks it; remove the <base> element")]
        );
    }

    #[test]
    fn scripts_that_run_and_javascript_urls_are_told_apart() {
        for t in [
            None,
            Some(""),
            Some("module"),
            Some(" Text/JavaScript "),
            Some("importmap"),
        ] {
            assert!(crate::nginx::runs_as_script(t), "{t:?}");
        }
        for t in ["application/ld+json", "text/template", "application/json"] {
            assert!(!crate::nginx::runs_as_script(Some(t)), "{t}");
        }
        for u in [
            "javascript:go()",
            " JavaScript:go()",
            "java\tscript:go()",
            "\u{1}javascript:x",
        ] {
            assert!(is_javascript_url(u), "{u:?}");
        }
        for u in [
            "/javascript:",
            "https://x.example/?javascript:",
            "javascript",
            "",
        ] {
            assert!(!is_javascript_url(u), "{u:?}");
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
