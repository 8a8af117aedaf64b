//! The HTTP side of `serve`: `app(hub)` is the whole server as an axum
//! `Router`, answered from the hub's in-memory bundles.
//!
//! - Who may ask: only loopback names (`localhost`, `127.0.0.1`, `[::1]`),
//!   `<domain>.localhost` and the served domains and their aliases; any
//!   other Host is answered 421, so a DNS-rebinding page cannot read
//!   held-back sites or drafts. Only GET and HEAD (405 otherwise).
//! - Routing: by Host (`cocotte.maison.localhost:4000`, the bare domain or
//!   an alias), or by the path prefix `/_/<domain>/` (which also sets a
//!   cookie so the site's root-relative links keep working); `/` on a
//!   loopback name lists the served sites.
//! - Every response of a site carries the Content-Security-Policy its nginx
//!   config will send; pages add what the preview injects (`overlay.rs`).
//! - Only files of the in-memory bundle are ever answered: request paths are
//!   decoded and checked (`..`, backslashes, NUL, `//`) and never touch the
//!   filesystem.
//! - `/_sitegen/events` is the live-reload stream (Server-Sent Events).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Request, Response, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::Router;

use super::hub::{self, Hub, Notice};
use super::overlay;
use crate::text::escape_html;

/// What a request with a Host this server does not answer for gets.
const MISDIRECTED: &str = "421 Misdirected Request: sitegen serve answers only localhost, 127.0.0.1, [::1], <domain>.localhost and the domains it serves\n";

/// The preview server: every request, whatever its method or path, goes
/// through the checks above to the hub's bundles.
pub fn app(hub: Arc<Hub>) -> Router {
    Router::new().fallback(handle).with_state(hub)
}

async fn handle(State(hub): State<Arc<Hub>>, req: Request<Body>) -> Response<Body> {
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
        let site = site_param(req.uri().query().unwrap_or(""));
        let site = if site.is_empty() {
            route(&hub, by_host.as_deref(), req.headers(), "/x")
                .map(|r| r.0)
                .unwrap_or_default()
        } else {
            site
        };
        return events(&hub, site).into_response();
    }
    let Some((domain, path, via_prefix)) = route(&hub, by_host.as_deref(), req.headers(), &path)
    else {
        return index_page(&hub);
    };
    let page = Page {
        domain: &domain,
        csp: "",
        authority: &authority,
        set_cookie: via_prefix,
    };
    file(&hub, page, &path, req.headers())
}

/// The `site` parameter of the event stream's query, decoded as a form
/// (the live-reload script sends it through `encodeURIComponent`).
fn site_param(query: &str) -> String {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "site")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A file of a site's bundle (or its 404 page); an error page if the site
/// has no good build.
fn file(hub: &Hub, page: Page<'_>, path: &str, headers: &HeaderMap) -> Response<Body> {
    let served = hub.served(page.domain);
    let (Some(bundle), Some(csp)) = (served.bundle, served.csp) else {
        let msg = served
            .error
            .unwrap_or_else(|| "the site has not been built yet".into());
        let page = Page {
            csp: "default-src 'none'",
            ..page
        };
        let html = overlay::error_page(page.domain);
        return page.html(StatusCode::INTERNAL_SERVER_ERROR, &html, Some(&msg));
    };
    let found = bundle
        .resolve(path)
        .map(|(k, b)| (k.to_string(), b.to_vec()));
    if found.is_none() {
        // site.yaml `redirects` and page aliases, as nginx answers them.
        if let Some((status, to)) = bundle.redirects.get(path) {
            // Came by the /_/<domain>/ prefix: stay on it.
            let to = match to.starts_with('/') && page.set_cookie {
                true => format!("/_/{}{to}", page.domain),
                false => to.clone(),
            };
            return Response::builder()
                .status(StatusCode::from_u16(*status).unwrap_or(StatusCode::MOVED_PERMANENTLY))
                .header(header::LOCATION, to)
                .header(header::CACHE_CONTROL, "no-cache")
                .header(header::CONTENT_SECURITY_POLICY, csp)
                .body(Body::empty())
                .expect("response");
        }
    }
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
        let page = Page { csp: &csp, ..page };
        return page.html(status, &html, served.error.as_deref());
    }
    let etag = format!("\"{}\"", &crate::digest::sha256_hex(&bytes)[..20]);
    if headers
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

/// Percent-decodes a request path; None for anything that could leave the
/// bundle, a malformed escape (`%zz`, which nginx answers 400 too) or a path
/// that is not UTF-8.
fn clean_path(raw: &str) -> Option<String> {
    let malformed = raw.split('%').skip(1).any(|s| {
        !s.get(..2)
            .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    if malformed {
        return None;
    }
    let path = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?
        .into_owned();
    let bad = !path.starts_with('/')
        || path.contains('\\')
        || path.contains('\0')
        || path.contains("//")
        || path.split('/').any(|seg| seg == ".." || seg == ".");
    (!bad).then_some(path)
}

/// The Content-Type of a bundle file, by its extension (mime_guess's table,
/// which agrees with nginx's `mime.types` for what sites publish); text
/// types say UTF-8, as nginx's `charset utf-8` does.
fn content_type(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    if mime.type_() == mime_guess::mime::TEXT || mime.subtype() == "javascript" {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
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
        HostName::Ip(ip) if ip.is_loopback() || !hub.bind().ip().is_loopback() => Ok(None),
        HostName::Ip(_) => Err(()),
        HostName::Name(name) => {
            if let Some(d) = hub.domains().iter().find(|d| *d == name) {
                return Ok(Some(d.clone()));
            }
            hub.alias_owner(name).map(Some).ok_or(())
        }
    }
}

/// The site a request is for: by Host, else by the `/_/<domain>/` prefix,
/// else by the cookie that prefix set. Returns the domain, the path within
/// it and whether it came by the prefix.
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
        if hub.domains().iter().any(|d| d == domain) {
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
        .find(|d| hub.domains().iter().any(|x| x == d))
        .filter(|_| path != "/" || !cookie.is_empty())
        .map(|d| (d.to_string(), path.to_string(), false))
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
        let page = overlay::inject(html, self.domain, error);
        let etag = format!("\"{}\"", &crate::digest::sha256_hex(page.as_bytes())[..20]);
        let policy = overlay::preview_policy(self.csp, self.authority, error.is_some());
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

/// `/` on a loopback name: the served sites and how they are doing.
fn index_page(hub: &Hub) -> Response<Body> {
    let mut list = String::new();
    for d in hub.domains() {
        let state = match hub.state(d) {
            hub::State::Error => "build error",
            hub::State::Ok => "ok",
            hub::State::Building => "building",
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

/// The live-reload stream of `site` (every site's, if empty): `hello` with
/// the session first, then what the hub tells browsers of that site.
fn events(
    hub: &Hub,
    site: String,
) -> Sse<impl futures_util::Stream<Item = std::result::Result<Event, std::convert::Infallible>>> {
    let rx = hub.subscribe();
    let hello = Event::default().event("hello").data(hub.session());
    let stream = futures_util::stream::unfold(
        (Some(hello), rx, site),
        |(first, mut rx, site)| async move {
            if let Some(hello) = first {
                return Some((Ok(hello), (None, rx, site)));
            }
            loop {
                match rx.recv().await {
                    Ok((domain, notice)) if domain == site || site.is_empty() => {
                        return Some((Ok(event(&domain, notice)), (None, rx, site)))
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

/// A hub notice as the live-reload script reads it.
fn event(domain: &str, notice: Notice) -> Event {
    match notice {
        Notice::Reload => Event::default().event("reload").data(domain),
        Notice::Css { old, new } => Event::default()
            .event("css")
            .data(serde_json::json!({"old": old, "new": new}).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_get_the_content_type_browsers_expect() {
        for (path, want) in [
            ("index.html", "text/html; charset=utf-8"),
            ("assets/site.0123456789.css", "text/css; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("app.mjs", "application/javascript; charset=utf-8"),
            ("robots.txt", "text/plain; charset=utf-8"),
            ("sitemap.xml", "text/xml; charset=utf-8"),
            ("legs/lyon.ics", "text/calendar; charset=utf-8"),
            ("logo.svg", "image/svg+xml"),
            ("data.json", "application/json"),
            ("favicon.ico", "image/x-icon"),
            ("a.jpg", "image/jpeg"),
            ("a.PNG", "image/png"),
            ("a.webp", "image/webp"),
            ("a.avif", "image/avif"),
            ("a.gif", "image/gif"),
            ("fonts/a.woff2", "font/woff2"),
            ("files/menu.pdf", "application/pdf"),
            ("site.webmanifest", "application/manifest+json"),
            ("index.html.gz", "application/gzip"),
            ("feed.atom", "application/atom+xml"),
            ("LICENSE", "application/octet-stream"),
            ("a.unknown-ext", "application/octet-stream"),
        ] {
            assert_eq!(content_type(path), want, "{path}");
        }
    }

    #[test]
    fn the_event_stream_names_its_site_in_the_query() {
        assert_eq!(site_param("site=cocotte.maison"), "cocotte.maison");
        assert_eq!(site_param("x=1&site=caf%C3%A9.example"), "café.example");
        assert_eq!(site_param("site=a%2Eb&site=c"), "a.b");
        assert_eq!(site_param("sites=x"), "");
        assert_eq!(site_param(""), "");
    }

    #[test]
    fn request_paths_are_decoded_and_kept_inside_the_bundle() {
        for (raw, want) in [
            ("/", Some("/")),
            ("/caf%C3%A9/", Some("/café/")),
            ("/a%20b/c%2Ed.css", Some("/a b/c.d.css")),
            ("/100%25/", Some("/100%/")),
            // Malformed escapes and bytes that are not UTF-8.
            ("/%zz/", None),
            ("/%4/", None),
            ("/a%", None),
            ("/%C3/", None),
            // Escapes that would leave the bundle once decoded.
            ("/%2e%2e/x", None),
            ("/a%2f%2fb", None),
            ("/a%5cb", None),
            ("/a%00b", None),
        ] {
            assert_eq!(clean_path(raw).as_deref(), want, "{raw}");
        }
    }

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
}
