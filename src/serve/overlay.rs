//! What the preview adds to a site's pages, and the policy that allows
//! exactly that: the inline live-reload script, the error overlay (a failed
//! rebuild's file, line and message over the last good page) and the page
//! shown for a site with no good build yet. Pure text in, text out; knows no
//! HTTP.

use crate::text::escape_html;

/// The script every served HTML page gets inline (never in build output);
/// the preview's policy allows exactly this text by hash.
pub(super) const LIVE_JS: &str = r#"(function () {
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
    es.onerror = function () { es.close(); if (!hidden) { setTimeout(connect, 500); } };
    current = es;
  }
  // A page left for another is kept for Back with its stream open unless
  // the stream is closed: after six such pages Chromium has no connection
  // left for the host and the next page waits a minute. A page brought
  // back may be stale: load it again.
  var current = null, hidden = false;
  addEventListener("pagehide", function () { hidden = true; if (current) { current.close(); } });
  addEventListener("pageshow", function (e) { if (e.persisted) { location.reload(); } });
  connect();
})();
"#;

/// The error overlay's look, in a `<style>` the preview's policy allows by
/// hash (a `style=` attribute would be blocked like any other).
pub(super) const OVERLAY_CSS: &str = "#sitegen-error{position:fixed;inset:auto 1rem 1rem 1rem;z-index:2147483647;background:#fff1f0;color:#5c0011;border:2px solid #cf1322;border-radius:.5rem;padding:1rem 1.2rem;font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap;box-shadow:0 6px 24px rgba(0,0,0,.25)}";

/// `sha256-<base64>` of a text, as a CSP hash source names it.
pub(super) fn csp_hash(text: &str) -> String {
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
pub(super) fn preview_policy(production: &str, authority: &str, overlay: bool) -> String {
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

/// `html` (a page of `domain`) with the live-reload script, and the error
/// overlay when the last build failed, before `</body>`; `<html>` names the
/// site for the script's event stream.
pub(super) fn inject(html: &str, domain: &str, error: Option<&str>) -> String {
    let mut inject = format!("<script data-sitegen=\"live\">{LIVE_JS}</script>");
    if let Some(err) = error {
        inject.push_str(&overlay(err));
    }
    let page = match html.rfind("</body>") {
        Some(at) => format!("{}{inject}{}", &html[..at], &html[at..]),
        None => format!("{html}{inject}"),
    };
    page.replacen(
        "<html",
        &format!("<html data-sitegen-site=\"{}\"", escape_html(domain)),
        1,
    )
}

fn overlay(err: &str) -> String {
    format!(
        "<style data-sitegen=\"overlay\">{OVERLAY_CSS}</style><div id=\"sitegen-error\" role=\"alert\"><strong>sitegen: the last edit did not build; showing the last good version</strong>\n{}</div>",
        escape_html(err)
    )
}

/// A page for a site that has no good build yet; the overlay says why.
pub(super) fn error_page(domain: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build error · {}</title></head><body></body></html>",
        escape_html(domain)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
