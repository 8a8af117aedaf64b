//! nginx: the complete server config of one site, and the shared `http{}`
//! snippet every site's config relies on. Generated from the validated site
//! config and the finished bundle; every value that reaches the text was
//! validated when the YAML was read (host names, paths, listen addresses,
//! redirect paths), and values are also written inside double quotes, so no
//! site.yaml can add a directive.

use std::fmt::Write;

use crate::bundle::Bundle;
use crate::config::{Site, Workspace};

/// File name of the shared snippet, the same for every site.
pub const SNIPPET: &str = "sitegen-http.conf";

/// Cache-Control of fingerprinted files (`name.<10 hex>.ext` under /assets/).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Where a site's releases live on the web server: the path part of
/// `deploy.target`, or `/srv/www/<domain>`.
pub fn site_root(site: &Site) -> String {
    match &site.config.deploy.target {
        Some(t) => match t.split_once(':') {
            Some((_, path)) => path.to_string(),
            None => t.to_string(),
        },
        None => format!("/srv/www/{}", site.domain()),
    }
    .trim_end_matches('/')
    .to_string()
}

/// Mozilla "intermediate" TLS (https://ssl-config.mozilla.org/), written into
/// every TLS server block rather than once in `http{}`: a distribution's
/// nginx.conf sets some of these at `http{}` level (Debian:
/// `ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3`, `ssl_prefer_server_ciphers
/// on`), and a second `http{}` value is either a "duplicate" error or, for
/// `ssl_protocols`, silently merged in. A server's own value always wins.
const TLS_SETTINGS: &str = "    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers off;
    ssl_session_timeout 1d;
    ssl_session_cache shared:sitegen_tls:10m;
    ssl_session_tickets off;
";

/// Files nginx never serves from a release, whatever the bundle holds:
/// editor and backup leftovers, database dumps, logs and env files (also
/// rotated, `.log.1`, and compressed, `.sql.gz`). Dotfiles (`.env`, `.git/`)
/// have their own rule.
const REFUSED_SUFFIXES: &str = r"(~|\.(bak|old|orig|swp|tmp|save|sql|sqlite|sqlite3|db|env|log)(\.[0-9]+)?(\.(gz|bz2|xz|zst|zip))?)$";

fn listens(out: &mut String, listen: &str, ipv6: bool, extra: &str) {
    let _ = writeln!(out, "    listen {listen}{extra};");
    if ipv6 && !listen.contains(':') {
        let _ = writeln!(out, "    listen [::]:{listen}{extra};");
    }
}

/// The Content-Security-Policy for what the bundle loads: everything is
/// same-origin; scripts, fonts and manifests only if the bundle has them;
/// inline `<style>` and `<script>` elements (any case, as a browser's
/// tokenizer reads them) by hash. Never `'unsafe-inline'` nor
/// `'unsafe-hashes'`: `style="…"` attributes, `on…="…"` event handlers and
/// `javascript:` URLs never apply or run, in production as in the preview,
/// and `sitegen check` reports each one as an error.
pub fn content_security_policy(bundle: &Bundle) -> String {
    let has = |ext: &[&str]| {
        bundle
            .files
            .keys()
            .any(|p| ext.iter().any(|e| p.ends_with(e)))
    };
    use rayon::prelude::*;
    type Hashes = std::collections::BTreeSet<String>;
    let (style_hashes, script_hashes) = bundle
        .files
        .par_iter()
        .filter(|(path, _)| path.ends_with(".html"))
        .map(|(_, bytes)| {
            let code = inline_code(&String::from_utf8_lossy(bytes));
            let hashes =
                |bodies: Vec<String>| -> Hashes { bodies.iter().map(|b| csp_hash(b)).collect() };
            (hashes(code.styles), hashes(code.scripts))
        })
        .reduce(
            || (Hashes::new(), Hashes::new()),
            |(mut a, mut b), (c, d)| {
                a.extend(c);
                b.extend(d);
                (a, b)
            },
        );
    let sources = |own: bool, hashes: &std::collections::BTreeSet<String>| -> Option<String> {
        let mut v: Vec<String> = Vec::new();
        if own {
            v.push("'self'".into());
        }
        v.extend(hashes.iter().map(|h| format!("'{h}'")));
        (!v.is_empty()).then(|| v.join(" "))
    };
    let mut csp = vec!["default-src 'none'".to_string()];
    if let Some(s) = sources(has(&[".js"]), &script_hashes) {
        csp.push(format!("script-src {s}"));
    }
    if let Some(s) = sources(has(&[".css"]), &style_hashes) {
        csp.push(format!("style-src {s}"));
    }
    csp.push("img-src 'self'".into());
    // No script can run (no script-src), so this lets no page fetch
    // anything; it lets in-page auditors such as Lighthouse read the site's
    // own robots.txt, which `default-src 'none'` blocked (SEO audit 92).
    csp.push("connect-src 'self'".into());
    if has(&[".woff2", ".woff"]) {
        csp.push("font-src 'self'".into());
    }
    if has(&[".webmanifest"]) {
        csp.push("manifest-src 'self'".into());
    }
    csp.extend([
        "base-uri 'none'".to_string(),
        "form-action 'self'".to_string(),
        "frame-ancestors 'none'".to_string(),
    ]);
    csp.join("; ")
}

/// The inline code of a page the policy must allow by hash.
#[derive(Debug, Default, PartialEq)]
struct InlineCode {
    /// The text of each `<style>` element.
    styles: Vec<String>,
    /// The text of each `<script>` a browser runs: no `src`, and a type of
    /// code rather than data (see `runs_as_script`).
    scripts: Vec<String>,
}

/// Reads a page with html5ever's tokenizer, as a browser does: tag names in
/// any case, comments, `<textarea>`/`<title>` (text only), raw-text
/// elements, `</script>` inside script strings, CRLF read as LF, and inline
/// SVG or MathML as foreign content (CDATA sections are text). Attributes
/// are never collected: no `'unsafe-hashes'` is ever sent.
fn inline_code(html: &str) -> InlineCode {
    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::{BufferQueue, Tokenizer, TokenizerOpts};
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(InlineScan::default(), TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.found.take()
}

/// The token sink of `inline_code`. A tokenizer alone reads `<style>`'s
/// text as markup; switching to raw text at the right start tags is the tree
/// builder's job, done here for the elements that have it.
#[derive(Default)]
struct InlineScan {
    found: std::cell::RefCell<InlineCode>,
    /// The `<style>` or `<script>` being read: its name, whether it counts,
    /// its text so far.
    open: std::cell::RefCell<Option<(&'static str, bool, String)>>,
    /// How many `<svg>`/`<math>` elements are open.
    foreign: std::cell::Cell<usize>,
}

impl InlineScan {
    fn close(&self) {
        if let Some((name, counts, text)) = self.open.take() {
            let mut found = self.found.borrow_mut();
            match (name, counts) {
                ("style", _) => found.styles.push(text),
                (_, true) => found.scripts.push(text),
                _ => {}
            }
        }
    }
}

impl html5ever::tokenizer::TokenSink for InlineScan {
    type Handle = ();

    fn process_token(
        &self,
        token: html5ever::tokenizer::Token,
        _line: u64,
    ) -> html5ever::tokenizer::TokenSinkResult<()> {
        use html5ever::tokenizer::states::RawKind;
        use html5ever::tokenizer::{TagKind, Token, TokenSinkResult};
        match token {
            Token::TagToken(tag) => {
                let name = &*tag.name;
                let foreign = self.foreign.get();
                if tag.kind == TagKind::EndTag {
                    if self.open.borrow().as_ref().is_some_and(|o| o.0 == name) {
                        self.close();
                    }
                    if matches!(name, "svg" | "math") {
                        self.foreign.set(foreign.saturating_sub(1));
                    }
                    return TokenSinkResult::Continue;
                }
                let attr = |n: &str| {
                    tag.attrs
                        .iter()
                        .find(|a| &*a.name.local == n)
                        .map(|a| &*a.value)
                };
                // In foreign content `<x/>` is a whole element.
                if foreign > 0 && tag.self_closing {
                    return TokenSinkResult::Continue;
                }
                match name {
                    "svg" | "math" => self.foreign.set(foreign + 1),
                    "style" => *self.open.borrow_mut() = Some(("style", true, String::new())),
                    "script" => {
                        let runs = attr("src").is_none() && runs_as_script(attr("type"));
                        *self.open.borrow_mut() = Some(("script", runs, String::new()));
                    }
                    _ => {}
                }
                if foreign > 0 || name == "svg" || name == "math" {
                    return TokenSinkResult::Continue;
                }
                match name {
                    "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                    // `<noscript>` too: browsers run scripts, so it is raw text.
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                        TokenSinkResult::RawData(RawKind::Rawtext)
                    }
                    "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
                    "plaintext" => TokenSinkResult::Plaintext,
                    _ => TokenSinkResult::Continue,
                }
            }
            Token::CharacterTokens(text) => {
                if let Some((_, _, body)) = self.open.borrow_mut().as_mut() {
                    body.push_str(&text);
                }
                TokenSinkResult::Continue
            }
            // A `<style>` left open at the end still applies.
            Token::EOFToken => {
                self.close();
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.foreign.get() > 0
    }
}

/// Whether a `<script>` element's `type` makes it code a browser runs (a
/// classic script, a module, an import map), not a data block such as
/// JSON-LD.
pub(crate) fn runs_as_script(script_type: Option<&str>) -> bool {
    let Some(t) = script_type else { return true };
    let t = t.trim().to_ascii_lowercase();
    t.is_empty()
        || matches!(
            t.as_str(),
            "module"
                | "importmap"
                | "speculationrules"
                | "text/javascript"
                | "application/javascript"
                | "application/ecmascript"
                | "application/x-ecmascript"
                | "application/x-javascript"
                | "text/ecmascript"
                | "text/javascript1.0"
                | "text/javascript1.1"
                | "text/javascript1.2"
                | "text/javascript1.3"
                | "text/javascript1.4"
                | "text/javascript1.5"
                | "text/jscript"
                | "text/livescript"
                | "text/x-ecmascript"
                | "text/x-javascript"
        )
}

fn csp_hash(body: &str) -> String {
    use sha2::Digest;
    format!(
        "sha256-{}",
        crate::digest::base64(&sha2::Sha256::digest(body.as_bytes()))
    )
}

/// Security headers every response of the canonical server carries.
fn security_headers(bundle: &Bundle) -> Vec<(&'static str, String)> {
    vec![
        ("Strict-Transport-Security", "max-age=63072000".into()),
        ("Content-Security-Policy", content_security_policy(bundle)),
        ("X-Content-Type-Options", "nosniff".into()),
        ("Referrer-Policy", "strict-origin-when-cross-origin".into()),
        (
            "Permissions-Policy",
            "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()".into(),
        ),
        ("X-Frame-Options", "DENY".into()),
        ("Cross-Origin-Opener-Policy", "same-origin".into()),
        ("Cross-Origin-Resource-Policy", "same-origin".into()),
    ]
}

/// The server config of one site.
pub fn server_config(ws: &Workspace, site: &Site, bundle: &Bundle) -> String {
    let n = &ws.config.nginx;
    let c = &site.config;
    let domain = c.domain.as_str();
    let cert_name = c.tls.cert_name.as_deref().unwrap_or(domain);
    let cert = c
        .tls
        .certificate
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or_else(|| format!("{}/{cert_name}/fullchain.pem", n.cert_dir));
    let key = c
        .tls
        .certificate_key
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or_else(|| format!("{}/{cert_name}/privkey.pem", n.cert_dir));
    let www = format!("www.{domain}");
    let mut others: Vec<&str> = vec![www.as_str()];
    others.extend(
        c.aliases
            .iter()
            .map(|a| a.as_str())
            .filter(|a| *a != domain && *a != www),
    );
    let mut all = vec![domain];
    all.extend(&others);

    let mut o = String::new();
    let _ = writeln!(
        o,
        "# {domain}: generated by sitegen {} from sites/{domain}/site.yaml. Do not edit:\n# change site.yaml and rebuild. Needs {SNIPPET} included once in http{{}}.\n",
        env!("CARGO_PKG_VERSION")
    );
    let tls = |o: &mut String| {
        let _ = writeln!(o, "    ssl_certificate \"{cert}\";");
        let _ = writeln!(o, "    ssl_certificate_key \"{key}\";");
        o.push_str(TLS_SETTINGS);
    };

    // Port 80: ACME challenges, everything else to HTTPS on the same host.
    o.push_str("server {\n");
    listens(&mut o, &n.http_listen, n.ipv6, "");
    let _ = writeln!(o, "    server_name {};", all.join(" "));
    o.push_str("    server_tokens off;\n");
    let _ = writeln!(
        o,
        "    location ^~ /.well-known/acme-challenge/ {{\n        root \"{}\";\n        default_type text/plain;\n        try_files $uri =404;\n    }}",
        n.acme_webroot
    );
    let https_port = n.https_listen.rsplit(':').next().unwrap_or("443");
    let port_suffix = if https_port == "443" {
        String::new()
    } else {
        format!(":{https_port}")
    };
    let _ = writeln!(
        o,
        "    location / {{\n        return 301 https://$host{port_suffix}$request_uri;\n    }}\n}}\n"
    );

    // www and aliases on 443: to the canonical host, path and query kept.
    o.push_str("server {\n");
    listens(&mut o, &n.https_listen, n.ipv6, " ssl http2");
    let _ = writeln!(o, "    server_name {};", others.join(" "));
    o.push_str("    server_tokens off;\n");
    tls(&mut o);
    let _ = writeln!(
        o,
        "    add_header Strict-Transport-Security \"max-age=63072000\" always;\n    return 301 https://{domain}{port_suffix}$request_uri;\n}}\n"
    );

    // The canonical server.
    o.push_str("server {\n");
    listens(&mut o, &n.https_listen, n.ipv6, " ssl http2");
    let _ = writeln!(o, "    server_name {domain};");
    o.push_str("    server_tokens off;\n");
    tls(&mut o);
    let _ = writeln!(o, "    root \"{}/current\";", site_root(site));
    o.push_str(
        "    index index.html;\n    absolute_redirect off;\n    disable_symlinks on from=$document_root;\n    error_page 404 /404.html;\n    charset utf-8;\n    source_charset utf-8;\n\n",
    );
    o.push_str("    # Precompressed .gz twins are served by gzip_static; gzip covers the rest.\n    gzip_static on;\n    gzip on;\n    gzip_vary on;\n    gzip_comp_level 5;\n    gzip_min_length 256;\n    gzip_types text/css application/javascript application/json image/svg+xml application/xml text/plain application/manifest+json;\n\n");
    o.push_str("    # One Cache-Control per response, from the map in the shared snippet;\n    # no location below adds headers, so these apply everywhere.\n");
    o.push_str("    add_header Cache-Control $sitegen_cache_control always;\n");
    for (name, value) in security_headers(bundle) {
        let _ = writeln!(o, "    add_header {name} \"{value}\" always;");
    }
    let _ = writeln!(
        o,
        "\n    # Dotfiles (but not /.well-known/: .env, .git/), editor and backup\n    # leftovers, database dumps, logs and env files, also compressed.\n    location ~ /\\.(?!well-known/) {{\n        return 404;\n    }}\n    location ~* {REFUSED_SUFFIXES} {{\n        return 404;\n    }}"
    );
    if bundle.files.keys().any(|p| p.ends_with(".ics")) {
        // nginx's types know no .ics: calendar apps want text/calendar.
        o.push_str("\n    # Calendars (tour legs).\n    location ~* \\.ics$ {\n        default_type \"text/calendar; charset=utf-8\";\n        try_files $uri =404;\n    }\n");
    }
    if bundle.files.contains_key("site.webmanifest") {
        // Older nginx types know no .webmanifest: browsers want its own type.
        o.push_str("\n    # The web app manifest (generated icons).\n    location = /site.webmanifest {\n        types { }\n        default_type \"application/manifest+json\";\n        try_files $uri =404;\n    }\n");
    }
    if !c.redirects.is_empty() {
        o.push_str("\n    # Redirects from site.yaml.\n");
    }
    for r in &c.redirects {
        let _ = writeln!(
            o,
            "    location = \"{}\" {{\n        return {} \"{}\";\n    }}",
            r.from.as_str(),
            r.status.0,
            r.to.as_str()
        );
    }
    if !bundle.aliases.is_empty() {
        o.push_str("\n    # Old addresses of pages (front matter `aliases`).\n");
    }
    for (from, to) in &bundle.aliases {
        let _ = writeln!(
            o,
            "    location = \"{from}\" {{\n        return 301 \"{to}\";\n    }}"
        );
    }
    // Each language under its prefix shows its own 404 page, if it has one.
    for lang in site.languages.iter().filter(|l| !l.prefix.is_empty()) {
        let page = format!("{}/404.html", lang.prefix);
        if bundle.files.contains_key(&page) {
            let _ = writeln!(
                o,
                "\n    location /{}/ {{\n        error_page 404 /{page};\n        try_files $uri $uri/index.html $uri.html =404;\n    }}",
                lang.prefix
            );
        }
    }
    o.push_str(
        "\n    location / {\n        try_files $uri $uri/index.html $uri.html =404;\n    }\n}\n",
    );
    o
}

/// The shared `http{}` snippet: install once per web server, beside whatever
/// `http{}` settings the distribution's nginx.conf has. It therefore sets no
/// `http{}` directive of its own (a second `gzip`, `ssl_protocols`,
/// `server_tokens`... is a "duplicate" error or silently merges): only the
/// Cache-Control map, whose name is ours, and the TLS default server. Every
/// other setting lives in the sites' server blocks. No port-80 default
/// server either: distributions ship one (Debian's `sites-enabled/default`)
/// and a second is an error.
pub fn http_snippet(ws: &Workspace) -> String {
    let n = &ws.config.nginx;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Shared settings for sitegen sites: include once inside http{{}}\n# (Debian: /etc/nginx/conf.d/{SNIPPET}). Generated by sitegen {}.\n# It only adds names of its own, so it loads beside the http{{}} settings\n# a distribution ships; the sites' server blocks carry their own settings.\n",
        env!("CARGO_PKG_VERSION")
    );
    o.push_str("# Fingerprinted assets never change; everything else revalidates.\n");
    let _ = writeln!(
        o,
        "map $uri $sitegen_cache_control {{\n    default \"no-cache\";\n    \"~^/assets/.+\\.[0-9a-f]{{10}}\\.[a-z0-9]+$\" \"{IMMUTABLE}\";\n}}\n"
    );
    o.push_str("# TLS for hosts no site serves: the handshake is refused. nginx picks the\n# TLS protocol before it knows the host name, with this server's settings.\nserver {\n");
    listens(&mut o, &n.https_listen, n.ipv6, " ssl default_server");
    o.push_str("    server_tokens off;\n    ssl_reject_handshake on;\n");
    o.push_str(TLS_SETTINGS);
    o.push_str("}\n");
    if let Some(hook) = &n.hook_host {
        hook_server(&mut o, n, hook.as_str());
    }
    o
}

/// The webhook host of `sitegen edge`: signed platform events to the
/// daemon on loopback, small bodies, rate-limited; nothing else answers.
fn hook_server(o: &mut String, n: &crate::config::NginxConfig, hook: &str) {
    let _ = writeln!(
        o,
        "\n# Platform events for `sitegen edge` ({hook}): only POST /_sitegen/events,\n# at most 64 KiB, 10 a second per client (bursts of 20), to the daemon on loopback.\nlimit_req_zone $binary_remote_addr zone=sitegen_hooks:1m rate=10r/s;\nserver {{"
    );
    listens(o, &n.http_listen, n.ipv6, "");
    let _ = writeln!(o, "    server_name {hook};\n    server_tokens off;");
    let _ = writeln!(
        o,
        "    location ^~ /.well-known/acme-challenge/ {{\n        root \"{}\";\n        default_type text/plain;\n        try_files $uri =404;\n    }}\n    location / {{\n        return 404;\n    }}\n}}\nserver {{",
        n.acme_webroot
    );
    listens(o, &n.https_listen, n.ipv6, " ssl");
    let _ = writeln!(o, "    server_name {hook};\n    server_tokens off;");
    let _ = writeln!(
        o,
        "    ssl_certificate \"{}/{hook}/fullchain.pem\";",
        n.cert_dir
    );
    let _ = writeln!(
        o,
        "    ssl_certificate_key \"{}/{hook}/privkey.pem\";",
        n.cert_dir
    );
    o.push_str(TLS_SETTINGS);
    let _ = writeln!(
        o,
        "    client_max_body_size 64k;\n    location = /_sitegen/events {{\n        limit_except POST {{\n            deny all;\n        }}\n        limit_req zone=sitegen_hooks burst=20 nodelay;\n        limit_req_status 429;\n        proxy_pass http://{};\n        proxy_set_header Host $host;\n    }}\n    location / {{\n        return 404;\n    }}\n}}",
        n.edge_listen
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(files: &[(&str, &str)]) -> Bundle {
        let mut b = Bundle::new("x.example");
        for (p, body) in files {
            b.files.insert(p.to_string(), body.as_bytes().to_vec());
        }
        b
    }

    #[test]
    fn inline_code_is_read_as_a_browser_tokenizes_it() {
        let code = |html: &str| inline_code(html);
        let styles = |v: &[&str]| InlineCode {
            styles: v.iter().map(|s| s.to_string()).collect(),
            scripts: Vec::new(),
        };
        let scripts = |v: &[&str]| InlineCode {
            styles: Vec::new(),
            scripts: v.iter().map(|s| s.to_string()).collect(),
        };
        // Regression: the scan was case-sensitive, so `<STYLE>` and
        // `<Script>` were blocked in production; `type="Module"` too.
        assert_eq!(
            code("<STYLE>a{}</STYLE><Style media=print>b{}</sTyLe>"),
            styles(&["a{}", "b{}"])
        );
        assert_eq!(
            code("<SCRIPT>go()</SCRIPT><script type=\"Module\">m()</script><script type=importmap>{}</script>"),
            scripts(&["go()", "m()", "{}"])
        );
        // Not code: data blocks, files, look-alike names, comments, text.
        assert_eq!(
            code("<script src=/a.js>x()</script><script type=application/ld+json>{}</script>\
                  <styles>s{}</styles><!-- <style>c{}</style> --><textarea><style>t{}</style></textarea>\
                  <title><script>t()</script></title><noscript><style>n{}</style></noscript>"),
            InlineCode::default()
        );
        // Attributes are never hashed: no 'unsafe-hashes', so they never apply.
        assert_eq!(
            code("<p style=\"color:red\" onclick=\"go()\"><a href=\"javascript:go()\">x</a></p>"),
            InlineCode::default()
        );
        // The text as the browser hashes it: markup inside is text, a `</b`
        // is not an end tag, CRLF is LF, and a `<style>` open at the end counts.
        assert_eq!(
            code("<script>if (a</b) w(\"<p>\")</script>"),
            scripts(&["if (a</b) w(\"<p>\")"])
        );
        assert_eq!(code("<style>\r\na{}\r\n</style>"), styles(&["\na{}\n"]));
        assert_eq!(code("<style>p>a{}"), styles(&["p>a{}"]));
        // Inline SVG is foreign content: CDATA is text, `<title>` is markup.
        assert_eq!(
            code("<svg><title>Logo</title><style><![CDATA[.a{}]]></style><script/></svg><style>b{}</style>"),
            styles(&[".a{}", "b{}"])
        );
    }

    #[test]
    fn csp_allows_only_what_the_bundle_loads() {
        let plain = bundle(&[
            (
                "index.html",
                "<script type=\"application/ld+json\">{}</script>",
            ),
            ("assets/site.0123456789.css", "a{}"),
        ]);
        assert_eq!(
            content_security_policy(&plain),
            "default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        let rich = bundle(&[
            (
                "index.html",
                "<style>p{color:red}</style><script>go()</script><script src=\"/app.js\"></script>",
            ),
            ("app.js", "go()"),
            ("assets/site.0123456789.css", "a{}"),
            ("fonts/a.woff2", ""),
        ]);
        let csp = content_security_policy(&rich);
        assert!(csp.contains("script-src 'self' 'sha256-"), "{csp}");
        assert!(csp.contains("style-src 'self' 'sha256-"), "{csp}");
        assert!(csp.contains("font-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"));
        // The hash is of the element's text, as browsers compute it.
        use sha2::Digest;
        let want = crate::digest::base64(&sha2::Sha256::digest(b"go()"));
        assert!(csp.contains(&format!("'sha256-{want}'")), "{csp}");
    }
}
