//! `sitegen serve`: builds sites into memory and serves them with axum on
//! loopback, watches the workspace, rebuilds on change and tells browsers to
//! reload over Server-Sent Events. Nothing under dist/ is touched.
//!
//! - Routing: by Host (`cocotte.maison.localhost:4000`, the bare domain or
//!   an alias), or by the path prefix `/_/<domain>/` (which also sets a
//!   cookie so the site's root-relative links keep working); `/` on a
//!   loopback name lists the served sites.
//! - Who may ask: only loopback names (`localhost`, `127.0.0.1`, `[::1]`),
//!   `<domain>.localhost` and the served domains and their aliases; any
//!   other Host is answered 421, so a DNS-rebinding page cannot read
//!   held-back sites or drafts. Only GET and HEAD (405 otherwise). A client
//!   gets `HEADER_TIMEOUT` to send its request headers, and an idle
//!   keep-alive connection is closed after as long.
//! - Every response of a site carries the Content-Security-Policy its nginx
//!   config will send (`nginx::content_security_policy` of the preview
//!   bundle), so what production blocks is blocked in the preview. Pages add
//!   to it only what the preview itself injects: the inline live-reload
//!   script and the error overlay's stylesheet by hash, and `connect-src` for
//!   exactly the event stream's URL.
//! - Only files of the in-memory bundle are ever answered: request paths are
//!   decoded and checked (`..`, backslashes, NUL, `//`) and never touch the
//!   filesystem.
//! - Rebuilds: platform data is loaded once per session (on every rebuild
//!   with `--refresh`, and again when the tenant's snapshot changes); a change
//!   under `themes/<t>/css/` recompiles the stylesheet only and swaps it in
//!   the live pages; anything else rebuilds the affected sites in memory.
//!   Editors' save bursts are debounced into one rebuild.
//! - A failed rebuild keeps the last good bundle: its pages are served with
//!   an overlay naming the file, line and message; the terminal prints the
//!   error once.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, Response, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;

use crate::build::{build_site, BuildOptions, Incremental};
use crate::bundle::Bundle;
use crate::config::{Site, Workspace};
use crate::error::{Error, Result};
use crate::platform::{self, PlatformData};
use crate::text::escape_html;

/// How long a client may take to send a request's headers; also how long an
/// idle keep-alive connection stays open (hyper's header-read timer runs
/// while a connection waits for its next request).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// What a request with a Host this server does not answer for gets.
const MISDIRECTED: &str = "421 Misdirected Request: sitegen serve answers only localhost, 127.0.0.1, [::1], <domain>.localhost and the domains it serves\n";

/// The script every served HTML page gets inline (never in build output);
/// the preview's policy allows exactly this text by hash.
const LIVE_JS: &str = r#"(function () {
  var session = null;
  function connect() {
    var es = new EventSource("/_sitegen/events?site=" + encodeURIComponent(document.documentElement.dataset.sitegenSite || ""));
    es.addEventListener("hello", function (e) {
      if (session !== null && session !== e.data) { location.reload(); }
      session = e.data;
    });
    es.addEventListener("reload", function () { location.reload(); });
    es.addEventListener("css", function (e) {
      var msg = JSON.parse(e.data);
      document.querySelectorAll('link[rel="stylesheet"]').forEach(function (link) {
        if (link.getAttribute("href") === msg.old) {
          link.removeAttribute("integrity");
          link.setAttribute("href", msg.new);
        }
      });
    });
    es.onerror = function () { es.close(); setTimeout(connect, 500); };
  }
  connect();
})();
"#;

pub struct ServeOptions {
    pub bind: SocketAddr,
    pub domains: Vec<String>,
    pub drafts: bool,
    /// Reload platform data on every rebuild instead of once per session.
    pub refresh: bool,
}

/// The error overlay's look, in a `<style>` the preview's policy allows by
/// hash (a `style=` attribute would be blocked like any other).
const OVERLAY_CSS: &str = "#sitegen-error{position:fixed;inset:auto 1rem 1rem 1rem;z-index:2147483647;background:#fff1f0;color:#5c0011;border:2px solid #cf1322;border-radius:.5rem;padding:1rem 1.2rem;font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap;box-shadow:0 6px 24px rgba(0,0,0,.25)}";

/// One served site: the last good bundle and the policy nginx would send
/// with it, and the error of the last build if it failed.
#[derive(Default)]
struct Slot {
    bundle: Option<Arc<Bundle>>,
    /// `nginx::content_security_policy` of `bundle`.
    csp: Option<String>,
    error: Option<String>,
    data: Option<Arc<PlatformData>>,
    /// The site's aliases (site.yaml), answered like the domain itself.
    aliases: Vec<String>,
}

struct Hub {
    ws: Workspace,
    opts: ServeOptions,
    sites: RwLock<BTreeMap<String, Slot>>,
    events: tokio::sync::broadcast::Sender<(String, Event)>,
    /// Identifies this server run: a browser that sees a new one reloads.
    session: String,
    last_printed: Mutex<BTreeMap<String, String>>,
}

/// What a batch of changed paths means for one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    /// Only the theme's stylesheets.
    Css,
    /// Content or templates: render what they touch again.
    Pages,
    /// Config, static files, images: build the site again (with the session's data).
    Rebuild,
    /// The tenant's snapshot changed: load platform data again too.
    Data,
}

/// The rebuild one site needs.
#[derive(Debug, Clone)]
struct Plan {
    change: Change,
    /// Markdown files that changed.
    sources: BTreeSet<PathBuf>,
    /// Templates that changed, by name (`page.html`).
    templates: BTreeSet<String>,
    /// A template other templates use (base, partials) changed.
    all_templates: bool,
}

impl Plan {
    fn new(change: Change) -> Plan {
        Plan {
            change,
            sources: BTreeSet::new(),
            templates: BTreeSet::new(),
            all_templates: false,
        }
    }
}

impl Hub {
    fn site(&self, domain: &str) -> Result<Site> {
        self.ws.load_site(domain)
    }

    /// Builds `domain` in memory and stores the result; returns whether it
    /// succeeded.
    fn rebuild(&self, domain: &str, plan: &Plan) -> bool {
        let started = Instant::now();
        let change = plan.change;
        let result = self.site(domain).and_then(|site| {
            if change == Change::Css {
                if let Some(done) = self.swap_css(domain, &site)? {
                    println!(
                        "rebuilt {domain}: stylesheet swapped in {} ms",
                        started.elapsed().as_millis()
                    );
                    return Ok(done);
                }
            }
            let data = {
                let cached = self
                    .sites
                    .read()
                    .expect("lock")
                    .get(domain)
                    .and_then(|s| s.data.clone());
                match cached {
                    Some(d) if change != Change::Data && !self.opts.refresh => d,
                    _ => Arc::new(platform::load(
                        &self.ws,
                        &site,
                        platform::FetchMode::Online,
                    )?),
                }
            };
            let previous = {
                let sites = self.sites.read().expect("lock");
                sites.get(domain).and_then(|s| match (&s.bundle, &s.error) {
                    (Some(b), None) => Some(b.clone()),
                    _ => None,
                })
            };
            let incremental = match (change, previous) {
                (Change::Pages, Some(previous)) => Some(Incremental {
                    previous,
                    sources: plan.sources.clone(),
                    templates: plan.templates.clone(),
                    all_templates: plan.all_templates,
                }),
                _ => None,
            };
            let opts = BuildOptions {
                drafts: self.opts.drafts,
                data: Some(data.clone()),
                mode: crate::build::BuildMode::Preview,
                incremental,
                ..Default::default()
            };
            let bundle = build_site(&self.ws, &site, &opts)?;
            let csp = crate::nginx::content_security_policy(&bundle);
            println!(
                "rebuilt {domain}: {} of {} pages rendered in {} ms",
                bundle.rendered,
                bundle.pages,
                started.elapsed().as_millis()
            );
            let mut sites = self.sites.write().expect("lock");
            let slot = sites.entry(domain.to_string()).or_default();
            slot.bundle = Some(Arc::new(bundle));
            slot.csp = Some(csp);
            slot.error = None;
            slot.data = Some(data);
            slot.aliases = aliases(&site);
            Ok(Event::default().event("reload").data(domain))
        });
        match result {
            Ok(event) => {
                self.last_printed.lock().expect("lock").remove(domain);
                let _ = self.events.send((domain.to_string(), event));
                true
            }
            Err(e) => {
                let text = e.to_string();
                let mut printed = self.last_printed.lock().expect("lock");
                if printed.get(domain) != Some(&text) {
                    eprintln!("error: {text}");
                    printed.insert(domain.to_string(), text.clone());
                }
                drop(printed);
                self.sites
                    .write()
                    .expect("lock")
                    .entry(domain.to_string())
                    .or_default()
                    .error = Some(text);
                let _ = self.events.send((
                    domain.to_string(),
                    Event::default().event("reload").data(domain),
                ));
                false
            }
        }
    }

    /// Recompiles the stylesheet and swaps it into the last good bundle
    /// (every page's link to it is rewritten); None if there is no bundle to
    /// patch or the site is showing an error.
    fn swap_css(&self, domain: &str, site: &Site) -> Result<Option<Event>> {
        let css = crate::assets::css::compile(site, &self.ws.config.css.browserslist)?;
        let mut sites = self.sites.write().expect("lock");
        let Some(slot) = sites.get_mut(domain) else {
            return Ok(None);
        };
        let (Some(old), None) = (&slot.bundle, &slot.error) else {
            return Ok(None);
        };
        let old_path = old
            .files
            .keys()
            .find(|p| p.starts_with("assets/site.") && p.ends_with(".css"))
            .cloned();
        let Some(old_path) = old_path else {
            return Ok(None);
        };
        let name = crate::assets::fingerprinted_name("site", "css", css.as_bytes());
        let new_path = format!("assets/{name}");
        let old_integrity = crate::digest::sri(&old.files[&old_path]);
        let new_integrity = crate::digest::sri(css.as_bytes());
        let mut bundle = (**old).clone();
        bundle.files.remove(&old_path);
        bundle.files.remove(&format!("{old_path}.gz"));
        let (old_url, new_url) = (format!("/{old_path}"), format!("/{new_path}"));
        for (path, bytes) in bundle.files.iter_mut() {
            if path.ends_with(".html") {
                let html = String::from_utf8_lossy(bytes)
                    .replace(&old_url, &new_url)
                    .replace(&old_integrity, &new_integrity);
                *bytes = html.into_bytes();
            }
        }
        bundle.files.retain(|p, _| !p.ends_with(".html.gz"));
        bundle.files.insert(new_path, css.into_bytes());
        slot.csp = Some(crate::nginx::content_security_policy(&bundle));
        slot.bundle = Some(Arc::new(bundle));
        Ok(Some(Event::default().event("css").data(
            serde_json::json!({"old": old_url, "new": new_url}).to_string(),
        )))
    }

    /// Which sites a set of changed paths affects, and how.
    fn classify(&self, paths: &BTreeSet<PathBuf>) -> BTreeMap<String, Plan> {
        let mut out: BTreeMap<String, Plan> = BTreeMap::new();
        let sites: Vec<Site> = self
            .opts
            .domains
            .iter()
            .filter_map(|d| self.site(d).ok())
            .collect();
        for rel in paths {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let name = parts.last().map(String::as_str).unwrap_or("");
            // Editors' swap and backup files are not edits.
            if name.starts_with(".#")
                || name.ends_with('~')
                || name.ends_with(".swp")
                || name.ends_with(".swx")
                || name.ends_with(".tmp")
                || name == "4913"
            {
                continue;
            }
            let part = |i: usize| parts.get(i).map(String::as_str).unwrap_or("");
            for domain in &self.opts.domains {
                let Some(site) = sites.iter().find(|s| s.domain() == domain) else {
                    out.insert(domain.clone(), Plan::new(Change::Rebuild));
                    continue;
                };
                let kind = site.config.kind.to_string();
                // (change, template path inside its templates folder)
                let (change, template): (Option<Change>, Option<String>) = match part(0) {
                    "content" if part(1) == domain => {
                        if name.ends_with(".md") {
                            (Some(Change::Pages), None)
                        } else {
                            (Some(Change::Rebuild), None)
                        }
                    }
                    "sites" if part(1) == domain && part(2) == "templates" => {
                        (Some(Change::Pages), Some(parts[3..].join("/")))
                    }
                    "sites" if part(1) == domain => (Some(Change::Rebuild), None),
                    "sitegen.yaml" => (Some(Change::Rebuild), None),
                    "templates" if part(1) == "_base" || part(1) == kind => {
                        (Some(Change::Pages), Some(parts[2..].join("/")))
                    }
                    "themes" if part(1) == site.config.theme.as_str() => match part(2) {
                        "css" => (Some(Change::Css), None),
                        "templates" => (Some(Change::Pages), Some(parts[3..].join("/"))),
                        _ => (Some(Change::Rebuild), None),
                    },
                    "data" if part(2) == site.config.tenant.slug.as_str() => {
                        (Some(Change::Data), None)
                    }
                    _ => (None, None),
                };
                let Some(change) = change else { continue };
                let plan = out
                    .entry(domain.clone())
                    .or_insert_with(|| Plan::new(change));
                plan.change = plan.change.max(change);
                if name.ends_with(".md") && part(0) == "content" {
                    plan.sources.insert(self.ws.root.join(rel));
                }
                if let Some(t) = template {
                    if t.contains('/') || t == "base.html" || is_used_by_other_templates(site, &t) {
                        plan.all_templates = true;
                    } else {
                        plan.templates.insert(t);
                    }
                }
            }
        }
        out
    }
}

/// The other names a site answers to (never its own domain).
fn aliases(site: &Site) -> Vec<String> {
    site.config
        .aliases
        .iter()
        .map(|a| a.as_str().to_ascii_lowercase())
        .filter(|a| a != site.domain())
        .collect()
}

/// Whether any template of the site's lookup chain names `template`
/// (extends, include, import): then a change to it can touch any page.
fn is_used_by_other_templates(site: &Site, template: &str) -> bool {
    let quoted = [format!("\"{template}\""), format!("'{template}'")];
    [
        site.site_dir.join("templates"),
        site.theme_dir.join("templates"),
        site.kind_dir.clone(),
        site.base_dir.clone(),
    ]
    .iter()
    .filter(|d| d.is_dir())
    .flat_map(|d| walkdir::WalkDir::new(d).into_iter().flatten())
    .filter(|e| e.file_type().is_file())
    .any(|e| {
        std::fs::read_to_string(e.path())
            .is_ok_and(|text| quoted.iter().any(|q| text.contains(q.as_str())))
    })
}

/// Starts the server and blocks until it is stopped.
pub fn serve(ws: Workspace, opts: ServeOptions) -> Result<()> {
    if !opts.bind.ip().is_loopback() {
        tracing::warn!(
            "serving on {} — not loopback: anyone who can reach this address can read the previews",
            opts.bind
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::build(format!("cannot start the server runtime: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(opts.bind))
        .map_err(|e| Error::build(format!("cannot listen on {}: {e}", opts.bind)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::build(e.to_string()))?;
    let (events, _) = tokio::sync::broadcast::channel(64);
    let session = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    );
    let hub = Arc::new(Hub {
        ws,
        opts,
        sites: RwLock::new(BTreeMap::new()),
        events,
        session,
        last_printed: Mutex::new(BTreeMap::new()),
    });
    let started = Instant::now();
    let domains = hub.opts.domains.clone();
    let ok = std::thread::scope(|s| {
        let handles: Vec<_> = domains
            .iter()
            .map(|d| s.spawn(|| hub.rebuild(d, &Plan::new(Change::Data))))
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .filter(|ok| *ok)
            .count()
    });
    // Watching before saying "serving": an edit saved right after that line
    // must not be missed.
    let _watcher = watch(hub.clone())?;
    println!(
        "serving {} site(s) ({ok} built) in {} ms at http://{addr}/",
        domains.len(),
        started.elapsed().as_millis()
    );
    for d in &domains {
        let host = if addr.ip().is_loopback() {
            format!("{d}.localhost")
        } else {
            addr.ip().to_string()
        };
        println!(
            "  {d}: http://{host}:{}/  (or http://{addr}/_/{d}/)",
            addr.port()
        );
    }
    runtime.block_on(accept(listener, hub));
    Ok(())
}

/// Serves HTTP/1.1 connections until the process ends. hyper directly
/// rather than `axum::serve`, which sets no timer: without one a client that
/// trickles its headers, or never sends any, holds a connection forever.
async fn accept(listener: tokio::net::TcpListener, hub: Arc<Hub>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: wait for connections to close.
                tracing::warn!("cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let hub = hub.clone();
        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
            let hub = hub.clone();
            async move { Ok::<_, std::convert::Infallible>(handle(hub, req.map(Body::new)).await) }
        });
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!("connection closed: {e}");
            }
        });
    }
}

/// Watches the workspace and rebuilds on change, debouncing bursts.
fn watch(hub: Arc<Hub>) -> Result<notify::RecommendedWatcher> {
    use notify::Watcher;
    let (tx, rx) = std::sync::mpsc::channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(event) = res {
            if matches!(event.kind, notify::EventKind::Access(_)) {
                return;
            }
            for p in event.paths {
                let _ = tx.send(p);
            }
        }
    })
    .map_err(|e| Error::build(format!("cannot watch files: {e}")))?;
    let root = if hub.ws.root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        hub.ws.root.clone()
    };
    for dir in ["sites", "content", "templates", "themes", "data"] {
        let path = root.join(dir);
        if path.is_dir() {
            watcher
                .watch(&path, notify::RecursiveMode::Recursive)
                .map_err(|e| Error::build(format!("cannot watch {}: {e}", path.display())))?;
        }
    }
    if root.join("sitegen.yaml").is_file() {
        let _ = watcher.watch(
            &root.join("sitegen.yaml"),
            notify::RecursiveMode::NonRecursive,
        );
    }
    let abs_root = std::path::absolute(&root).unwrap_or(root);
    std::thread::spawn(move || {
        while let Ok(first) = rx.recv() {
            // One save is often several events (write, rename, chmod): wait
            // for a quiet moment, at most 300 ms.
            let mut paths = BTreeSet::from([first]);
            let start = Instant::now();
            while let Ok(p) = rx.recv_timeout(Duration::from_millis(15)) {
                paths.insert(p);
                if start.elapsed() > Duration::from_millis(300) {
                    break;
                }
            }
            let rel: BTreeSet<PathBuf> = paths
                .into_iter()
                .map(|p| {
                    let abs = std::path::absolute(&p).unwrap_or(p);
                    abs.strip_prefix(&abs_root)
                        .map(Path::to_path_buf)
                        .unwrap_or(abs)
                })
                .collect();
            let work = hub.classify(&rel);
            std::thread::scope(|s| {
                for (domain, plan) in &work {
                    let hub = &hub;
                    s.spawn(move || hub.rebuild(domain, plan));
                }
            });
        }
    });
    Ok(watcher)
}

/// Percent-decodes a request path; None for anything that could leave the
/// bundle or is not plain UTF-8.
fn clean_path(raw: &str) -> Option<String> {
    let path = crate::bundle::percent_decode(raw)?;
    let bad = !path.starts_with('/')
        || path.contains('\\')
        || path.contains('\0')
        || path.contains("//")
        || path.split('/').any(|seg| seg == ".." || seg == ".");
    (!bad).then_some(path)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "xml" => "application/xml",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "woff2" => "font/woff2",
        "webmanifest" => "application/manifest+json",
        "gz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(text.to_string()))
        .expect("response")
}

/// The authority a request names, lowercased: the request target's in
/// absolute form (which HTTP says wins), else the Host header.
fn authority<B>(req: &Request<B>) -> String {
    match req.uri().authority() {
        Some(a) => a.as_str().to_string(),
        None => req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_string(),
    }
    .to_ascii_lowercase()
}

/// What a request's authority (`host[:port]`, lowercased) names.
#[derive(Debug, PartialEq, Eq)]
enum HostName<'a> {
    /// `localhost`.
    Localhost,
    /// An IP address (`127.0.0.1`, `[::1]`).
    Ip(std::net::IpAddr),
    /// A DNS name, without a trailing dot or `.localhost`.
    Name(&'a str),
}

fn host_name(authority: &str) -> HostName<'_> {
    let host = match authority.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    // `cocotte.maison.` is the same name as `cocotte.maison`.
    let host = host.strip_suffix('.').unwrap_or(host);
    if host == "localhost" {
        return HostName::Localhost;
    }
    let ip = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        // Only an IPv6 address goes in brackets, and only it.
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().ok().map(Into::into),
        None => host.parse::<std::net::Ipv4Addr>().ok().map(Into::into),
    };
    match ip {
        Some(ip) => HostName::Ip(ip),
        None => HostName::Name(host.strip_suffix(".localhost").unwrap_or(host)),
    }
}

/// Who a request's authority is for: `Ok(Some(domain))` for a served site
/// by name or alias, `Ok(None)` for a loopback name (routed by path prefix
/// or cookie), `Err(())` for anything else.
fn host_site(hub: &Hub, authority: &str) -> std::result::Result<Option<String>, ()> {
    match host_name(authority) {
        HostName::Localhost => Ok(None),
        // An address names no DNS entry an attacker could rebind; beyond
        // loopback only when the operator chose to serve beyond it.
        HostName::Ip(ip) if ip.is_loopback() || !hub.opts.bind.ip().is_loopback() => Ok(None),
        HostName::Ip(_) => Err(()),
        HostName::Name(name) => {
            if let Some(d) = hub.opts.domains.iter().find(|d| *d == name) {
                return Ok(Some(d.clone()));
            }
            let sites = hub.sites.read().expect("lock");
            sites
                .iter()
                .find(|(_, slot)| slot.aliases.iter().any(|a| a == name))
                .map(|(d, _)| Some(d.clone()))
                .ok_or(())
        }
    }
}

/// The site a request is for: by Host, else by the `/_/<domain>/` prefix,
/// else by the cookie that prefix set. Returns the domain and the path within it.
fn route(
    hub: &Hub,
    by_host: Option<&str>,
    headers: &HeaderMap,
    path: &str,
) -> Option<(String, String, bool)> {
    if let Some(domain) = by_host {
        return Some((domain.to_string(), path.to_string(), false));
    }
    if let Some(rest) = path.strip_prefix("/_/") {
        let (domain, tail) = rest.split_once('/').unwrap_or((rest, ""));
        if hub.opts.domains.iter().any(|d| d == domain) {
            return Some((domain.to_string(), format!("/{tail}"), true));
        }
    }
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or("");
    cookie
        .split(';')
        .filter_map(|kv| kv.trim().strip_prefix("sitegen_site="))
        .find(|d| hub.opts.domains.iter().any(|x| x == d))
        .filter(|_| path != "/" || !cookie.is_empty())
        .map(|d| (d.to_string(), path.to_string(), false))
}

async fn handle(hub: Arc<Hub>, req: Request<Body>) -> Response<Body> {
    let authority = authority(&req);
    let Ok(by_host) = host_site(&hub, &authority) else {
        return plain(StatusCode::MISDIRECTED_REQUEST, MISDIRECTED);
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "405 Method Not Allowed: sitegen serve answers only GET and HEAD\n",
        );
        r.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let raw = req.uri().path().to_string();
    let Some(path) = clean_path(&raw) else {
        return plain(StatusCode::BAD_REQUEST, "bad request path\n");
    };
    if path == "/_sitegen/events" {
        let site = req
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("site="))
            .unwrap_or("")
            .to_string();
        let site = if site.is_empty() {
            route(&hub, by_host.as_deref(), req.headers(), "/x")
                .map(|r| r.0)
                .unwrap_or_default()
        } else {
            site
        };
        return events(hub, site).into_response();
    }
    let Some((domain, path, via_prefix)) = route(&hub, by_host.as_deref(), req.headers(), &path)
    else {
        return index_page(&hub);
    };
    let (bundle, csp, error) = {
        let sites = hub.sites.read().expect("lock");
        match sites.get(&domain) {
            Some(slot) => (slot.bundle.clone(), slot.csp.clone(), slot.error.clone()),
            None => (None, None, None),
        }
    };
    let (Some(bundle), Some(csp)) = (bundle, csp) else {
        let msg = error.unwrap_or_else(|| "the site has not been built yet".into());
        let page = Page {
            domain: &domain,
            csp: "default-src 'none'",
            authority: &authority,
            set_cookie: via_prefix,
        };
        return page.html(
            StatusCode::INTERNAL_SERVER_ERROR,
            &error_page(&domain),
            Some(&msg),
        );
    };
    let found = bundle
        .resolve(&path)
        .map(|(k, b)| (k.to_string(), b.to_vec()));
    let (status, key, bytes) = match found {
        Some((k, b)) => (StatusCode::OK, k, b),
        None => match bundle.files.get("404.html") {
            Some(b) => (StatusCode::NOT_FOUND, "404.html".to_string(), b.clone()),
            None => {
                let mut r = plain(StatusCode::NOT_FOUND, "not found\n");
                if let Ok(v) = header::HeaderValue::from_str(&csp) {
                    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
                }
                return r;
            }
        },
    };
    if key.ends_with(".html") {
        let html = String::from_utf8_lossy(&bytes);
        let page = Page {
            domain: &domain,
            csp: &csp,
            authority: &authority,
            set_cookie: via_prefix,
        };
        return page.html(status, &html, error.as_deref());
    }
    let etag = format!("\"{}\"", &crate::digest::sha256_hex(&bytes)[..20]);
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header(header::ETAG, etag)
            .header(header::CONTENT_SECURITY_POLICY, csp)
            .body(Body::empty())
            .expect("response");
    }
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type(&key))
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::CONTENT_SECURITY_POLICY, csp)
        .body(Body::from(bytes))
        .expect("response")
}

/// `sha256-<base64>` of a text, as a CSP hash source names it.
fn csp_hash(text: &str) -> String {
    use sha2::Digest;
    format!(
        "'sha256-{}'",
        crate::digest::base64(&sha2::Sha256::digest(text.as_bytes()))
    )
}

/// The production policy plus what the preview injects into a page: the
/// live-reload script and (when shown) the overlay's stylesheet by hash, and
/// the event stream's URL in `connect-src`. `authority` is the request's
/// (already checked) `host[:port]`.
fn preview_policy(production: &str, authority: &str, overlay: bool) -> String {
    let mut directives: Vec<String> = production.split("; ").map(str::to_string).collect();
    let mut add = |name: &str, source: String| match directives
        .iter_mut()
        .find(|d| d.split(' ').next() == Some(name))
    {
        Some(d) => {
            d.push(' ');
            d.push_str(&source);
        }
        None => directives.push(format!("{name} {source}")),
    };
    add("script-src", csp_hash(LIVE_JS));
    if overlay {
        add("style-src", csp_hash(OVERLAY_CSS));
    }
    // CSP host sources cannot name an IPv6 address: there, the origin.
    let events = if authority.starts_with('[') {
        "'self'".to_string()
    } else {
        format!("http://{authority}/_sitegen/events")
    };
    add("connect-src", events);
    directives.join("; ")
}

/// How one site's HTML page is answered.
struct Page<'a> {
    domain: &'a str,
    /// The production policy of the site's bundle.
    csp: &'a str,
    /// The request's `host[:port]`, for the event stream's URL.
    authority: &'a str,
    /// Came by the `/_/<domain>/` prefix: remember the site in a cookie.
    set_cookie: bool,
}

impl Page<'_> {
    /// The page with the live-reload script (and the error overlay, when the
    /// last build failed) and the preview's policy.
    fn html(&self, status: StatusCode, html: &str, error: Option<&str>) -> Response<Body> {
        let mut inject = format!("<script data-sitegen=\"live\">{LIVE_JS}</script>");
        if let Some(err) = error {
            inject.push_str(&overlay(err));
        }
        let mut page = match html.rfind("</body>") {
            Some(at) => format!("{}{inject}{}", &html[..at], &html[at..]),
            None => format!("{html}{inject}"),
        };
        page = page.replacen(
            "<html",
            &format!("<html data-sitegen-site=\"{}\"", escape_html(self.domain)),
            1,
        );
        let etag = format!("\"{}\"", &crate::digest::sha256_hex(page.as_bytes())[..20]);
        let policy = preview_policy(self.csp, self.authority, error.is_some());
        let mut b = Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-cache")
            .header(header::ETAG, etag)
            .header(header::CONTENT_SECURITY_POLICY, policy);
        if self.set_cookie {
            b = b.header(
                header::SET_COOKIE,
                format!("sitegen_site={}; Path=/; SameSite=Lax", self.domain),
            );
        }
        b.body(Body::from(page)).expect("response")
    }
}

fn overlay(err: &str) -> String {
    format!(
        "<style data-sitegen=\"overlay\">{OVERLAY_CSS}</style><div id=\"sitegen-error\" role=\"alert\"><strong>sitegen: the last edit did not build; showing the last good version</strong>\n{}</div>",
        escape_html(err)
    )
}

/// A page for a site that has no good build yet; the overlay says why.
fn error_page(domain: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build error · {}</title></head><body></body></html>",
        escape_html(domain)
    )
}

fn index_page(hub: &Hub) -> Response<Body> {
    let sites = hub.sites.read().expect("lock");
    let mut list = String::new();
    for d in &hub.opts.domains {
        let state = match sites.get(d) {
            Some(Slot { error: Some(_), .. }) => "build error",
            Some(Slot {
                bundle: Some(_), ..
            }) => "ok",
            _ => "building",
        };
        let d = escape_html(d);
        list.push_str(&format!("<li><a href=\"/_/{d}/\">{d}</a> ({state})</li>"));
    }
    let page = format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>sitegen serve</title></head><body><h1>sitegen serve</h1><ul>{list}</ul></body></html>");
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, "default-src 'none'")
        .body(Body::from(page))
        .expect("response")
}

fn events(
    hub: Arc<Hub>,
    site: String,
) -> Sse<impl futures_util::Stream<Item = std::result::Result<Event, std::convert::Infallible>>> {
    let rx = hub.events.subscribe();
    let hello = Event::default().event("hello").data(hub.session.clone());
    let stream = futures_util::stream::unfold(
        (Some(hello), rx, site),
        |(first, mut rx, site)| async move {
            if let Some(hello) = first {
                return Some((Ok(hello), (None, rx, site)));
            }
            loop {
                match rx.recv().await {
                    Ok((domain, event)) if domain == site || site.is_empty() => {
                        return Some((Ok(event), (None, rx, site)))
                    }
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        return Some((
                            Ok(Event::default().event("reload").data(site.clone())),
                            (None, rx, site),
                        ))
                    }
                    Err(_) => return None,
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_read_as_a_browser_sends_them() {
        use std::net::IpAddr;
        let ip = |s: &str| HostName::Ip(s.parse::<IpAddr>().unwrap());
        for (authority, want) in [
            ("localhost", HostName::Localhost),
            ("localhost:4000", HostName::Localhost),
            ("localhost.", HostName::Localhost),
            ("127.0.0.1:4000", ip("127.0.0.1")),
            ("[::1]:4000", ip("::1")),
            ("[::1]", ip("::1")),
            ("192.168.1.5", ip("192.168.1.5")),
            (
                "cocotte.maison.localhost:4000",
                HostName::Name("cocotte.maison"),
            ),
            ("cocotte.maison.:80", HostName::Name("cocotte.maison")),
            ("cocotte.maison", HostName::Name("cocotte.maison")),
            ("evil.example", HostName::Name("evil.example")),
            // Not addresses as a browser writes them: names no site has.
            ("[127.0.0.1]", HostName::Name("[127.0.0.1]")),
            // Unbracketed, the last group reads as a port.
            ("::1", HostName::Name(":")),
            ("localhost:x", HostName::Name("localhost:x")),
            ("", HostName::Name("")),
        ] {
            assert_eq!(host_name(authority), want, "{authority:?}");
        }
    }

    #[test]
    fn the_preview_policy_is_production_plus_what_the_preview_injects() {
        let live = csp_hash(LIVE_JS);
        let overlay = csp_hash(OVERLAY_CSS);
        assert_eq!(
            preview_policy("default-src 'none'; style-src 'self'", "a.localhost:4000", false),
            format!("default-src 'none'; style-src 'self'; script-src {live}; connect-src http://a.localhost:4000/_sitegen/events")
        );
        assert_eq!(
            preview_policy("default-src 'none'; script-src 'self'; style-src 'self'", "[::1]:4000", true),
            format!("default-src 'none'; script-src 'self' {live}; style-src 'self' {overlay}; connect-src 'self'")
        );
    }
}
