//! `sitegen serve` on a random port: edits in a temp copy of the demo
//! workspace show up in the next responses; broken edits show an overlay
//! over the last good build; requests never leave the in-memory bundle.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;

use crate::harness::SiteTest;

pub struct Serving {
    pub t: SiteTest,
    child: Child,
    pub port: u16,
    client: Client,
    /// Lines the server printed on stdout so far.
    stdout: Lines,
}

type Lines = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Starts `sitegen serve` in the workspace; returns it, its port and its stdout lines.
fn spawn(t: &SiteTest, port: u16, domains: &[&str]) -> (Child, u16, Lines) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sitegen"))
        .args(["serve", "--port", &port.to_string()])
        .args(domains)
        .current_dir(t.root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("serving ") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "serve exited");
    }
    let port: u16 = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .parse()
        .unwrap();
    // Keep reading stdout so the server never blocks on a full pipe.
    let stdout: Lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let lines = stdout.clone();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            lines.lock().unwrap().push(line);
        }
    });
    (child, port, stdout)
}

impl Serving {
    pub fn start(domains: &[&str]) -> Serving {
        Serving::start_with(domains, |_| {})
    }

    /// Like `start`, after `prepare` has changed the workspace.
    pub fn start_with(domains: &[&str], prepare: impl FnOnce(&SiteTest)) -> Serving {
        let t = SiteTest::demo();
        prepare(&t);
        let (child, port, stdout) = spawn(&t, 0, domains);
        let mut b = Client::builder().timeout(Duration::from_secs(10)).no_gzip();
        for d in crate::harness::DEMO_DOMAINS {
            b = b.resolve(
                &format!("{d}.localhost"),
                SocketAddr::from(([127, 0, 0, 1], port)),
            );
        }
        Serving {
            t,
            child,
            port,
            client: b.build().unwrap(),
            stdout,
        }
    }

    /// Stops the server and starts a new one on the same port.
    pub fn restart(&mut self, domains: &[&str]) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, _, stdout) = spawn(&self.t, self.port, domains);
        self.child = child;
        self.stdout = stdout;
    }

    /// Waits for the next stdout line starting with `prefix` after the
    /// first `skip` lines, and returns it.
    #[track_caller]
    pub fn next_line(&self, skip: usize, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(l) = self
                .stdout
                .lock()
                .unwrap()
                .iter()
                .skip(skip)
                .find(|l| l.starts_with(prefix))
            {
                return l.clone();
            }
            assert!(Instant::now() < deadline, "no {prefix:?} line");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn lines(&self) -> usize {
        self.stdout.lock().unwrap().len()
    }

    pub fn url(&self, domain: &str, path: &str) -> String {
        format!("http://{domain}.localhost:{}{path}", self.port)
    }

    pub fn get(&self, domain: &str, path: &str) -> (u16, String) {
        let r = self.client.get(self.url(domain, path)).send().unwrap();
        (r.status().as_u16(), r.text().unwrap())
    }

    /// Polls until `f` holds for the body of `path` (10 s at most).
    #[track_caller]
    pub fn wait_for(
        &self,
        domain: &str,
        path: &str,
        what: &str,
        f: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, body) = self.get(domain, path);
            if f(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: never happened; last body:\n{body}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Status line and whole response (head and body) of a GET sent byte for byte.
    pub fn raw(&self, host: &str, target: &str) -> (String, String) {
        self.raw_method("GET", host, target)
    }

    /// Status line and whole response of a request sent byte for byte.
    pub fn raw_method(&self, method: &str, host: &str, target: &str) -> (String, String) {
        self.raw_request(&format!(
            "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ))
    }

    /// Sends `request` as it is and reads the answer until the server closes.
    pub fn raw_request(&self, request: &str) -> (String, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        let status = text.lines().next().unwrap_or("").to_string();
        (status, text)
    }

    /// Stops the server and returns what it printed on stderr.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let _ = self.child.wait();
        err
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn css_href(html: &str) -> String {
    crate::harness::attr_values(html, "href")
        .into_iter()
        .find(|h| h.ends_with(".css"))
        .unwrap()
        .to_string()
}

#[test]
fn content_template_and_css_edits_show_up_without_touching_dist() {
    let s = Serving::start(&["cocotte.maison"]);
    let (status, about) = s.get("cocotte.maison", "/a-propos/");
    assert_eq!(status, 200);
    assert!(about.contains("À quoi sert une maison"));
    assert!(
        about.contains(r#"<script data-sitegen="live">"#),
        "serve injects live reload"
    );

    // A body edit re-renders that page, nothing else: no other page shows
    // a page's body.
    let mark = s.lines();
    s.t.edit(
        "content/cocotte.maison/about.md",
        "## À quoi sert une maison",
        "## À quoi sert vraiment une maison",
    );
    s.wait_for("cocotte.maison", "/a-propos/", "markdown edit", |b| {
        b.contains("À quoi sert vraiment une maison")
    });
    let line = s.next_line(mark, "rebuilt cocotte.maison: ");
    assert!(
        line.starts_with("rebuilt cocotte.maison: 1 of 44 pages rendered"),
        "{line}"
    );

    // A title edit shows in listings (section, tag pages, neighbours'
    // prev/next links): everything renders.
    let mark = s.lines();
    s.t.edit(
        "content/cocotte.maison/news/consent-workshop.md",
        "title: \"Atelier\u{a0}: les cinq premières minutes\"",
        "title: \"Atelier\u{a0}: les dix premières minutes\"",
    );
    s.wait_for("cocotte.maison", "/tags/consentement/", "title edit", |b| {
        b.contains("les dix premières minutes")
    });
    let line = s.next_line(mark, "rebuilt cocotte.maison: ");
    assert!(
        line.starts_with("rebuilt cocotte.maison: 44 of 44 pages rendered"),
        "{line}"
    );
    for (path, what) in [
        ("/actualites/", "section listing"),
        ("/actualites/bienvenue-ines/", "prev link"),
    ] {
        assert!(
            s.get("cocotte.maison", path)
                .1
                .contains("les dix premières minutes"),
            "{what} shows the new title"
        );
    }

    // A page template re-renders the pages that use it.
    let mark = s.lines();
    s.t.edit(
        "templates/_base/page.html",
        "{% block main %}",
        "{% block main %}<!-- page-template-marker -->",
    );
    s.wait_for("cocotte.maison", "/contact/", "page template edit", |b| {
        b.contains("page-template-marker")
    });
    let line = s.next_line(mark, "rebuilt cocotte.maison: ");
    // about, contact, services and the news posts (four in French, three
    // in English) use page.html.
    assert!(
        line.starts_with("rebuilt cocotte.maison: 13 of 44 pages rendered"),
        "{line}"
    );
    assert!(!s
        .get("cocotte.maison", "/")
        .1
        .contains("page-template-marker"));

    // A partial can be on any page: everything.
    let mark = s.lines();
    s.t.edit(
        "templates/_base/partials/footer.html",
        "</footer>",
        "<p>template-marker-42</p></footer>",
    );
    s.wait_for("cocotte.maison", "/contact/", "template edit", |b| {
        b.contains("template-marker-42")
    });
    let line = s.next_line(mark, "rebuilt cocotte.maison: ");
    assert!(
        line.starts_with("rebuilt cocotte.maison: 44 of 44 pages rendered"),
        "{line}"
    );

    // A stylesheet edit recompiles CSS only and repoints every page.
    let old_href = css_href(&s.get("cocotte.maison", "/").1);
    let mark = s.lines();
    let css = s.t.read("themes/atelier/css/site.css");
    s.t.write(
        "themes/atelier/css/site.css",
        &format!("{css}\n.css-marker{{color:#123456}}\n"),
    );
    let home = s.wait_for("cocotte.maison", "/", "CSS edit", |b| {
        css_href(b) != old_href
    });
    assert!(s
        .next_line(mark, "rebuilt cocotte.maison: ")
        .contains("stylesheet swapped"));
    let (status, new_css) = s.get("cocotte.maison", &css_href(&home));
    assert_eq!(status, 200);
    assert!(new_css.contains(".css-marker{color:#123456}"), "{new_css}");
    assert_eq!(
        css_href(&s.get("cocotte.maison", "/a-propos/").1),
        css_href(&home)
    );

    // So does an edit of the templates' base stylesheet.
    let old_href = css_href(&home);
    let mark = s.lines();
    let css = s.t.read("templates/_base/css/structure.css");
    s.t.write(
        "templates/_base/css/structure.css",
        &format!("{css}\n.base-marker{{color:#654321}}\n"),
    );
    let home = s.wait_for("cocotte.maison", "/", "base CSS edit", |b| {
        css_href(b) != old_href
    });
    assert!(s
        .next_line(mark, "rebuilt cocotte.maison: ")
        .contains("stylesheet swapped"));
    let new_css = s.get("cocotte.maison", &css_href(&home)).1;
    assert!(new_css.contains(".base-marker{color:#654321}"), "{new_css}");
    assert!(new_css.contains(".css-marker{color:#123456}"), "{new_css}");
    assert!(!s.t.root().join("dist").exists(), "serve wrote to dist/");
}

#[test]
fn a_broken_edit_shows_an_overlay_over_the_last_good_build_until_fixed() {
    let s = Serving::start(&["cocotte.maison"]);
    s.get("cocotte.maison", "/a-propos/");
    let good = s.t.read("content/cocotte.maison/about.md");
    s.t.edit("content/cocotte.maison/about.md", "weight: 1", "wieght: 1");
    let page = s.wait_for("cocotte.maison", "/a-propos/", "overlay", |b| {
        b.contains("id=\"sitegen-error\"")
    });
    assert!(
        page.contains("content/cocotte.maison/about.md:4:1: wieght: unknown field"),
        "{page}"
    );
    // With its code frame, escaped (issue 17 item 1).
    assert!(
        page.contains("\n3 | description: &quot;Comment fonctionne")
            && page.contains("\n4 | wieght: 1\n  | ^\n5 | slug: a-propos\n"),
        "{page}"
    );
    assert!(
        page.contains("À quoi sert une maison"),
        "the last good page is still there"
    );
    let (status, contact) = s.get("cocotte.maison", "/contact/");
    assert_eq!(status, 200);
    assert!(contact.contains("id=\"sitegen-error\""));
    // Saving the same broken file again does not print the error again.
    s.t.write(
        "content/cocotte.maison/about.md",
        &good.replace("weight: 1", "wieght: 1"),
    );
    std::thread::sleep(Duration::from_millis(400));
    s.t.write("content/cocotte.maison/about.md", &good);
    s.wait_for("cocotte.maison", "/a-propos/", "overlay cleared", |b| {
        !b.contains("sitegen-error")
    });
    let stderr = s.stop();
    assert_eq!(
        stderr.matches("wieght: unknown field").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("\n4 | wieght: 1\n  | ^\n"),
        "the terminal's frame: {stderr}"
    );
}

#[test]
fn routing_by_host_and_prefix_404s_and_etags() {
    let s = Serving::start(&[]);
    let (status, index) = s.raw("127.0.0.1", "/");
    assert!(status.ends_with("200 OK"), "{status}");
    for d in crate::harness::DEMO_DOMAINS {
        assert!(index.contains(&format!("/_/{d}/")), "{index}");
    }
    let (status, text) = s.raw("127.0.0.1", "/_/transquinnftw.com/gallery/");
    assert!(status.ends_with("200 OK"));
    assert!(
        text.contains("set-cookie: sitegen_site=transquinnftw.com"),
        "{text}"
    );
    // Redirects as nginx makes them: a page's alias and site.yaml's
    // (with its status), staying on the /_/<domain>/ prefix when it came so.
    for (host, target, status, location) in [
        (
            "cocotte.maison.localhost",
            "/news/welcome-ines/",
            "301",
            "/actualites/bienvenue-ines/",
        ),
        (
            "cocotte.maison.localhost",
            "/tarifs/",
            "302",
            "/prestations/",
        ),
        (
            "127.0.0.1",
            "/_/cocotte.maison/equipe/",
            "301",
            "/_/cocotte.maison/members/",
        ),
    ] {
        let (line, text) = s.raw(host, target);
        assert!(line.contains(&format!(" {status} ")), "{target}: {line}");
        assert!(
            text.to_ascii_lowercase()
                .contains(&format!("\r\nlocation: {location}\r\n")),
            "{target}: {text}"
        );
    }
    let (status, body) = s.get("sansonnet.maison", "/no/such/page/");
    assert_eq!(status, 404);
    assert!(body.contains("<title>"), "the site's 404 page");
    let (_, home) = s.get("sansonnet.maison", "/");
    let url = s.url("sansonnet.maison", &css_href(&home));
    let first = s.client.get(&url).send().unwrap();
    assert_eq!(first.headers()["content-type"], "text/css; charset=utf-8");
    let etag = first.headers()["etag"].clone();
    let again = s
        .client
        .get(&url)
        .header("if-none-match", etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
}

#[test]
fn requests_cannot_read_outside_the_in_memory_bundle() {
    let s = Serving::start(&["cocotte.maison"]);
    for target in [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/..%5c..%5cCargo.toml",
        "/assets/%5c..%5c..%5csites/cocotte.maison/site.yaml",
        "//etc/passwd",
        "/_/cocotte.maison/../../sitegen.yaml",
        "/a-propos/%00.html",
        "/C:%5cWindows%5cwin.ini",
        "http://cocotte.maison.localhost/../../etc/passwd",
    ] {
        let (status, text) = s.raw("cocotte.maison.localhost", target);
        let code = status.split_whitespace().nth(1).unwrap_or("");
        assert!(code == "400" || code == "404", "{target}: {status}");
        assert!(
            !text.contains("root:") && !text.contains("[package]") && !text.contains("tenant:"),
            "{target} leaked a file"
        );
    }
}

/// Regression: after a template edit (or an edit that re-renders every page)
/// the preview answered 404 for markdown images until the markdown file was
/// saved again: pages taken over from the previous build had not queued them.
#[test]
fn markdown_images_survive_template_and_listing_edits() {
    let s = Serving::start(&["cocotte.maison"]);
    let images = |html: &str| -> Vec<String> {
        let mut urls: Vec<String> = ["src", "srcset"]
            .iter()
            .flat_map(|a| crate::harness::attr_values(html, a))
            .flat_map(|v| {
                v.split(',')
                    .map(|c| c.split_whitespace().next().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            })
            .filter(|u| u.starts_with("/assets/images/studio-"))
            .collect();
        urls.sort();
        urls.dedup();
        urls
    };
    let (_, about) = s.get("cocotte.maison", "/a-propos/");
    let urls = images(&about);
    assert!(urls.len() >= 4, "the studio photo's variants: {urls:?}");
    let all_found = |when: &str| {
        for u in &urls {
            let (status, _) = s.get("cocotte.maison", u);
            assert_eq!(status, 200, "{u} {when}");
        }
    };
    all_found("before any edit");

    // A partial is on every page: every page renders again.
    s.t.edit(
        "templates/_base/partials/footer.html",
        "</footer>",
        "<p>footer-marker-20</p></footer>",
    );
    let about = s.wait_for("cocotte.maison", "/a-propos/", "partial edit", |b| {
        b.contains("footer-marker-20")
    });
    assert_eq!(images(&about), urls, "the page still shows the same photo");
    all_found("after a partial edit");

    // A title edit on another page shows in listings: everything renders.
    s.t.edit(
        "content/cocotte.maison/news/consent-workshop.md",
        "title: \"Atelier\u{a0}: les cinq premières minutes\"",
        "title: \"Atelier\u{a0}: les vingt premières minutes\"",
    );
    s.wait_for("cocotte.maison", "/actualites/", "title edit", |b| {
        b.contains("les vingt premières minutes")
    });
    all_found("after another page's title edit");

    // A page template: the pages that use it render again.
    s.t.edit(
        "templates/_base/page.html",
        "{% block main %}",
        "{% block main %}<!-- page-marker-20 -->",
    );
    s.wait_for("cocotte.maison", "/a-propos/", "page template edit", |b| {
        b.contains("page-marker-20")
    });
    all_found("after a page template edit");
}

/// The body of a 421 answer (a Host the preview does not serve).
const MISDIRECTED: &str = "421 Misdirected Request: sitegen serve answers only localhost, 127.0.0.1, [::1], <domain>.localhost and the domains it serves\n";

/// Head and body of a raw response.
fn split_response(text: &str) -> (&str, &str) {
    text.split_once("\r\n\r\n").unwrap_or((text, ""))
}

/// Regression: `serve` answered any Host, so a page on a DNS name an
/// attacker rebinds to 127.0.0.1 could read held-back sites and drafts.
#[test]
fn only_loopback_names_and_served_domains_are_answered() {
    let s = Serving::start(&["cocotte.maison"]);
    let p = s.port;
    for (host, target) in [
        ("evil.example", "/"),
        (&format!("evil.example:{p}") as &str, "/a-propos/"),
        ("evil.example", "/_/cocotte.maison/a-propos/"),
        ("evil.example", "/_sitegen/events?site=cocotte.maison"),
        ("cocotte.maison.evil.example", "/"),
        ("localhost.evil.example", "/"),
        ("evil.localhost", "/"),
        // A workspace site this server does not serve.
        ("sansonnet.maison.localhost", "/"),
        ("www.cocotte.maison", "/"),
        ("10.1.2.3", "/"),
        ("[127.0.0.1]", "/"),
        ("", "/"),
    ] {
        let (status, text) = s.raw(host, target);
        assert_eq!(
            status, "HTTP/1.1 421 Misdirected Request",
            "{host:?} {target}"
        );
        assert_eq!(split_response(&text).1, MISDIRECTED, "{host:?}");
        assert!(
            !text.contains("Cocotte"),
            "{host:?} {target} leaked the site"
        );
    }
    // The target in absolute form names the host (HTTP says it wins over Host).
    let (status, _) = s.raw_request(&format!(
        "GET http://evil.example/a-propos/ HTTP/1.1\r\nHost: localhost:{p}\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(status, "HTTP/1.1 421 Misdirected Request");

    // Loopback names, the served domain and its alias, with or without
    // `.localhost`, a port, a trailing dot or capitals.
    for (host, target, want) in [
        (format!("localhost:{p}"), "/", "sitegen serve"),
        ("127.0.0.1".to_string(), "/", "sitegen serve"),
        (format!("[::1]:{p}"), "/", "sitegen serve"),
        (
            format!("127.0.0.1:{p}"),
            "/_/cocotte.maison/a-propos/",
            "À quoi sert une maison",
        ),
        (
            format!("cocotte.maison.localhost:{p}"),
            "/a-propos/",
            "À quoi sert une maison",
        ),
        (
            "COCOTTE.MAISON.LOCALHOST".to_string(),
            "/a-propos/",
            "À quoi sert une maison",
        ),
        (
            "cocotte.maison".to_string(),
            "/a-propos/",
            "À quoi sert une maison",
        ),
        (
            "cocotte.maison.".to_string(),
            "/a-propos/",
            "À quoi sert une maison",
        ),
        (
            "cocotte-lyon.fr.localhost".to_string(),
            "/a-propos/",
            "À quoi sert une maison",
        ),
        (
            format!("cocotte-lyon.fr:{p}"),
            "/a-propos/",
            "À quoi sert une maison",
        ),
    ] {
        let (status, text) = s.raw(&host, target);
        assert_eq!(status, "HTTP/1.1 200 OK", "{host} {target}");
        assert!(text.contains(want), "{host} {target}: {text}");
    }
}

#[test]
fn only_get_and_head_are_answered() {
    let s = Serving::start(&["cocotte.maison"]);
    for method in [
        "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND",
    ] {
        let (status, text) = s.raw_method(method, "cocotte.maison.localhost", "/a-propos/");
        assert_eq!(status, "HTTP/1.1 405 Method Not Allowed", "{method}");
        let (head, body) = split_response(&text);
        assert!(
            head.contains("\r\nallow: GET, HEAD\r\n"),
            "{method}: {head}"
        );
        assert_eq!(
            body, "405 Method Not Allowed: sitegen serve answers only GET and HEAD\n",
            "{method}"
        );
    }
    let (status, text) = s.raw_method("HEAD", "cocotte.maison.localhost", "/a-propos/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let (head, body) = split_response(&text);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert_eq!(body, "", "HEAD has no body");
    // An attacker's host is refused before its method is looked at.
    let (status, _) = s.raw_method("POST", "evil.example", "/");
    assert_eq!(status, "HTTP/1.1 421 Misdirected Request");
}

/// Waits until the server closes `stream` (read gives end of file or an
/// error), calling `tick` between reads; panics after `bound`. Returns what
/// was read.
fn wait_closed(
    mut stream: TcpStream,
    what: &str,
    bound: Duration,
    mut tick: impl FnMut(&mut TcpStream) -> bool,
) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let deadline = Instant::now() + bound;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return got,
        }
        // A write the server refuses means it closed too.
        if !tick(&mut stream) {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the server still holds the connection after {bound:?}"
        );
    }
}

/// Regression: a client that trickled its headers, sent none at all, or
/// held an idle keep-alive connection kept it (and a task) forever.
#[test]
fn stalled_and_idle_connections_are_closed() {
    let s = Serving::start(&["cocotte.maison"]);
    let connect = || TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    // Generous: the server's limit is a fraction of this.
    let bound = Duration::from_secs(120);
    std::thread::scope(|scope| {
        let silent = connect();
        scope.spawn(move || wait_closed(silent, "a client that sends nothing", bound, |_| true));

        let mut slow = connect();
        slow.write_all(b"GET /a-propos/ HTTP/1.1\r\nHost: cocotte.maison.localhost\r\nX-Slow: ")
            .unwrap();
        scope.spawn(move || {
            let got = wait_closed(slow, "headers sent a byte at a time", bound, |s| {
                s.write_all(b"a").is_ok()
            });
            assert!(
                got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
                "{got:?}"
            );
        });

        let mut idle = connect();
        idle.write_all(b"GET /a-propos/ HTTP/1.1\r\nHost: cocotte.maison.localhost\r\n\r\n")
            .unwrap();
        scope.spawn(move || {
            let got = wait_closed(idle, "an idle keep-alive connection", bound, |_| true);
            let text = String::from_utf8_lossy(&got);
            assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
            assert!(
                text.contains("À quoi sert une maison"),
                "the whole page came first"
            );
        });
    });
    // The server still answers.
    assert_eq!(s.get("cocotte.maison", "/a-propos/").0, 200);
}

/// The policy nginx sends with a site, from a real build's config.
fn nginx_policy(t: &crate::harness::SiteTest, domain: &str) -> String {
    let conf = t.read(&format!("dist/{domain}/nginx/{domain}.conf"));
    conf.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("add_header Content-Security-Policy \"")
        })
        .and_then(|l| l.strip_suffix("\" always;"))
        .unwrap_or_else(|| panic!("no CSP in {conf}"))
        .to_string()
}

/// A CSP hash source: `'sha256-<standard base64>'`.
pub fn sha256_source(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Regression: `serve` sent no Content-Security-Policy, so a `style=` in
/// markdown looked right in the preview and was blocked in production.
#[test]
fn preview_pages_carry_the_policy_nginx_will_send() {
    let s = Serving::start(&["cocotte.maison"]);
    // An inline <style> is allowed by hash: the policy depends on the bundle.
    s.t.edit(
        "content/cocotte.maison/about.md",
        "## Ce que les membres gardent",
        "<style>.csp-probe{outline:1px solid}</style>\n\n## Ce que les membres gardent",
    );
    s.wait_for("cocotte.maison", "/a-propos/", "the edit", |b| {
        b.contains("csp-probe")
    });
    s.t.run(&["build", "cocotte.maison"]).success();
    let production = nginx_policy(&s.t, "cocotte.maison");
    let style_hash = sha256_source(".csp-probe{outline:1px solid}");
    assert!(production.contains(&style_hash), "{production}");

    let r = s
        .client
        .get(s.url("cocotte.maison", "/a-propos/"))
        .send()
        .unwrap();
    let preview = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = r.text().unwrap();
    let live = html
        .split("<script data-sitegen=\"live\">")
        .nth(1)
        .and_then(|r| r.split("</script>").next())
        .expect("the live-reload script");
    // Exactly production's, plus the live-reload script by hash and the
    // event stream's URL.
    let events = format!(
        "connect-src 'self' http://cocotte.maison.localhost:{}/_sitegen/events",
        s.port
    );
    let want = format!(
        "{}; script-src {}",
        production.replace("connect-src 'self'", &events),
        sha256_source(live),
    );
    assert_eq!(preview, want);
    assert!(!preview.contains("unsafe-inline"));

    // Other files of the site (and the 404 page's policy) are production's as it is.
    let css = css_href(&html);
    let r = s.client.get(s.url("cocotte.maison", &css)).send().unwrap();
    assert_eq!(r.headers()["content-security-policy"], production.as_str());
    let r = s
        .client
        .get(s.url("cocotte.maison", "/no/such/page/"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-security-policy"], want.as_str());
}

#[test]
fn a_site_whose_first_build_failed_shows_the_error_under_a_policy_that_allows_the_overlay() {
    let about = "content/cocotte.maison/about.md";
    let s = Serving::start_with(&["cocotte.maison"], |t| {
        t.edit(about, "weight: 1", "wieght: 1")
    });
    let r = s
        .client
        .get(s.url("cocotte.maison", "/a-propos/"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 500);
    let policy = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let page = r.text().unwrap();
    assert!(
        page.contains("<title>Build error · cocotte.maison</title>"),
        "{page}"
    );
    assert!(
        page.contains("content/cocotte.maison/about.md:4:1: wieght: unknown field"),
        "{page}"
    );
    let overlay_css = page
        .split("<style data-sitegen=\"overlay\">")
        .nth(1)
        .and_then(|r| r.split("</style>").next())
        .expect("the overlay's stylesheet");
    let live = page
        .split("<script data-sitegen=\"live\">")
        .nth(1)
        .and_then(|r| r.split("</script>").next())
        .expect("the live-reload script");
    assert_eq!(
        policy,
        format!(
            "default-src 'none'; script-src {}; style-src {}; connect-src http://cocotte.maison.localhost:{}/_sitegen/events",
            sha256_source(live),
            sha256_source(overlay_css),
            s.port
        )
    );
    // Fixed: the site is served.
    s.t.edit(about, "wieght: 1", "weight: 1");
    s.wait_for("cocotte.maison", "/a-propos/", "the fixed site", |b| {
        b.contains("À quoi sert une maison") && !b.contains("sitegen-error")
    });
}

// `app(hub)` answered without a socket: the hub built in this process, each
// request sent through the Router with `oneshot`.

mod app {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{HeaderMap, Request, StatusCode};
    use sitegen::build::incremental::{Change, ChangeSet};
    use sitegen::serve::{app, Hub, Outcome, ServeOptions};
    use tower::ServiceExt;

    use super::{css_href, nginx_policy, sha256_source, MISDIRECTED};
    use crate::harness::SiteTest;

    const ABOUT: &str = "content/cocotte.maison/about.md";

    /// The demo workspace, its hub serving cocotte.maison on loopback, built once.
    fn hub() -> (SiteTest, Arc<Hub>) {
        hub_with(|_| {})
    }

    /// As `hub`, after `edit` changed the demo workspace.
    fn hub_with(edit: impl FnOnce(&SiteTest)) -> (SiteTest, Arc<Hub>) {
        let t = SiteTest::demo();
        edit(&t);
        let ws = sitegen::Workspace::open(t.root(), None).unwrap();
        let opts = ServeOptions {
            bind: "127.0.0.1:4000".parse().unwrap(),
            domains: vec!["cocotte.maison".to_string()],
            drafts: false,
            future: false,
            refresh: false,
            clock: sitegen::clock::Clock::system(),
        };
        let hub = Arc::new(Hub::new(ws, opts));
        let outcome = hub.rebuild("cocotte.maison", &ChangeSet::new(Change::Data));
        assert!(
            matches!(&outcome, Outcome::Rebuilt { domain, rendered: 44, pages: 44, .. } if domain == "cocotte.maison"),
            "{outcome:?}"
        );
        (t, hub)
    }

    struct Answer {
        status: StatusCode,
        headers: HeaderMap,
        body: String,
    }

    impl Answer {
        fn header(&self, name: &str) -> &str {
            self.headers
                .get(name)
                .unwrap_or_else(|| panic!("no {name} in {:?}", self.headers))
                .to_str()
                .unwrap()
        }
    }

    /// `method target` with `Host: host`, answered by `app(hub)`.
    fn send(hub: &Arc<Hub>, method: &str, host: &str, target: &str) -> Answer {
        let req = Request::builder()
            .method(method)
            .uri(target)
            .header("host", host)
            .body(Body::empty())
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let r = app(hub.clone()).oneshot(req).await.unwrap();
            let (head, body) = r.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            Answer {
                status: head.status,
                headers: head.headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            }
        })
    }

    fn get(hub: &Arc<Hub>, host: &str, target: &str) -> Answer {
        send(hub, "GET", host, target)
    }

    #[test]
    fn app_answers_only_loopback_names_and_served_domains() {
        let (_t, hub) = hub();
        for (host, target) in [
            ("evil.example", "/"),
            ("evil.example:4000", "/a-propos/"),
            ("evil.example", "/_/cocotte.maison/a-propos/"),
            ("evil.example", "/_sitegen/events?site=cocotte.maison"),
            ("sansonnet.maison.localhost", "/"),
            ("10.1.2.3", "/"),
            ("", "/"),
            // The target in absolute form names the host, not the Host header.
            ("localhost:4000", "http://evil.example/a-propos/"),
        ] {
            let a = get(&hub, host, target);
            assert_eq!(
                a.status,
                StatusCode::MISDIRECTED_REQUEST,
                "{host:?} {target}"
            );
            assert_eq!(a.body, MISDIRECTED, "{host:?} {target}");
        }
        for (host, target, want) in [
            ("localhost:4000", "/", "<h1>sitegen serve</h1><ul><li><a href=\"/_/cocotte.maison/\">cocotte.maison</a> (ok)</li></ul>"),
            ("[::1]:4000", "/", "<h1>sitegen serve</h1>"),
            ("127.0.0.1:4000", "/_/cocotte.maison/a-propos/", "À quoi sert une maison"),
            ("cocotte.maison.localhost:4000", "/a-propos/", "À quoi sert une maison"),
            ("cocotte.maison", "/a-propos/", "À quoi sert une maison"),
            ("cocotte-lyon.fr.localhost", "/a-propos/", "À quoi sert une maison"),
        ] {
            let a = get(&hub, host, target);
            assert_eq!(a.status, StatusCode::OK, "{host} {target}");
            assert!(a.body.contains(want), "{host} {target}: {}", a.body);
        }
    }

    /// Regression: the preview's own MIME table sent `.pdf` (and `.avif`,
    /// `.ics`, `.woff`) as `application/octet-stream`, so a browser
    /// downloaded a menu instead of showing it; it now comes from mime_guess.
    #[test]
    fn app_sends_each_file_type_with_its_content_type() {
        let (_t, hub) = hub_with(|t| {
            t.write("sites/cocotte.maison/static/fonts/brand.woff2", "wOF2");
            t.write("sites/cocotte.maison/static/files/menu.pdf", "%PDF-1.4\n");
        });
        for (target, want) in [
            ("/fonts/brand.woff2", "font/woff2"),
            ("/files/menu.pdf", "application/pdf"),
            ("/favicon.ico", "image/x-icon"),
            ("/site.webmanifest", "application/manifest+json"),
            ("/sitemap.xml", "text/xml; charset=utf-8"),
            ("/robots.txt", "text/plain; charset=utf-8"),
        ] {
            let a = get(&hub, "cocotte.maison.localhost:4000", target);
            assert_eq!(a.status, StatusCode::OK, "{target}");
            assert_eq!(a.header("content-type"), want, "{target}");
        }
    }

    #[test]
    fn app_answers_only_get_and_head() {
        let (_t, hub) = hub();
        for method in ["POST", "PUT", "DELETE", "OPTIONS", "PROPFIND"] {
            let a = send(&hub, method, "cocotte.maison.localhost", "/a-propos/");
            assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
            assert_eq!(a.header("allow"), "GET, HEAD", "{method}");
            assert_eq!(
                a.body, "405 Method Not Allowed: sitegen serve answers only GET and HEAD\n",
                "{method}"
            );
        }
        let head = send(&hub, "HEAD", "cocotte.maison.localhost", "/a-propos/");
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.header("content-type"), "text/html; charset=utf-8");
        // The host is checked before the method.
        let a = send(&hub, "POST", "evil.example", "/");
        assert_eq!(a.status, StatusCode::MISDIRECTED_REQUEST);
    }

    #[test]
    fn app_serves_pages_and_404s_under_the_policy_nginx_will_send() {
        let (t, hub) = hub();
        t.run(&["build", "cocotte.maison"]).success();
        let production = nginx_policy(&t, "cocotte.maison");

        let page = get(&hub, "cocotte.maison.localhost:4000", "/a-propos/");
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("À quoi sert une maison"),
            "{}",
            page.body
        );
        assert!(page
            .body
            .contains("<html data-sitegen-site=\"cocotte.maison\""));
        let live = page
            .body
            .split("<script data-sitegen=\"live\">")
            .nth(1)
            .and_then(|r| r.split("</script>").next())
            .expect("the live-reload script");
        let preview = format!(
            "{}; script-src {}",
            production.replace(
                "connect-src 'self'",
                "connect-src 'self' http://cocotte.maison.localhost:4000/_sitegen/events"
            ),
            sha256_source(live)
        );
        assert_eq!(page.header("content-security-policy"), preview);
        assert_eq!(page.header("cache-control"), "no-cache");
        assert!(!page.body.contains("sitegen-error"));

        // The site's 404 page, as a page of the site.
        let missing = get(&hub, "cocotte.maison.localhost:4000", "/no/such/page/");
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(
            missing
                .body
                .matches("<script data-sitegen=\"live\">")
                .count(),
            1
        );
        assert_eq!(missing.header("content-security-policy"), preview);
        // Other files carry production's policy as it is.
        let robots = get(&hub, "cocotte.maison.localhost:4000", "/robots.txt");
        assert_eq!(robots.status, StatusCode::OK);
        assert_eq!(robots.header("content-type"), "text/plain; charset=utf-8");
        assert_eq!(robots.header("content-security-policy"), production);
        // Paths that could leave the bundle are refused before routing.
        let bad = get(
            &hub,
            "cocotte.maison.localhost:4000",
            "/%2e%2e/sitegen.yaml",
        );
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.body, "bad request path\n");
    }

    #[test]
    fn app_shows_a_failed_rebuild_over_the_last_good_page() {
        let (t, hub) = hub();
        t.edit(ABOUT, "weight: 1", "wieght: 1");
        let mut edit = ChangeSet::new(Change::Pages);
        edit.sources.insert(t.root().join(ABOUT));
        let outcome = hub.rebuild("cocotte.maison", &edit);
        let Outcome::Failed { domain, error } = &outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(domain, "cocotte.maison");
        // The message, the code frame (issue 17 item 1), the hint.
        let (message, rest) = error.split_once('\n').unwrap();
        assert_eq!(
            message,
            format!(
                "{}:4:1: wieght: unknown field `wieght`, expected one of `title`, `description`, `slug`, `weight`, `draft`, `date`, `publish_date`, `expiry_date`, `template`, `image`, `tags`, `aliases`, `sitemap`, `translation_key`, `extra`",
                t.root().join(ABOUT).display()
            )
        );
        assert!(
            rest.starts_with("  |\n2 | title: À propos de la maison\n3 | description: \"Comment")
                && rest.ends_with("\n4 | wieght: 1\n  | ^\n5 | slug: a-propos\n6 | image: images/studio.jpg\n  |\n  hint: did you mean `weight`? The accepted keys are listed in docs/site-config.md"),
            "{error}"
        );

        let page = get(&hub, "cocotte.maison.localhost:4000", "/a-propos/");
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("À quoi sert une maison"),
            "the last good page"
        );
        let overlay = page
            .body
            .split("<div id=\"sitegen-error\" role=\"alert\">")
            .nth(1)
            .and_then(|r| r.split("</div>").next())
            .expect("the overlay");
        assert_eq!(
            overlay,
            format!(
                "<strong>sitegen: the last edit did not build; showing the last good version</strong>\n{}",
                sitegen::text::escape_html(error)
            )
        );
        // The frame is escaped with the rest.
        assert!(
            overlay.contains("\n3 | description: &quot;Comment fonctionne")
                && overlay.contains("\n4 | wieght: 1\n  | ^\n"),
            "{overlay}"
        );
        let overlay_css = page
            .body
            .split("<style data-sitegen=\"overlay\">")
            .nth(1)
            .and_then(|r| r.split("</style>").next())
            .expect("the overlay's stylesheet");
        let policy = page.header("content-security-policy");
        assert!(
            policy.contains(&format!(" {}", sha256_source(overlay_css))),
            "{policy}"
        );
        let index = get(&hub, "127.0.0.1:4000", "/");
        assert!(
            index.body.contains("cocotte.maison</a> (build error)"),
            "{}",
            index.body
        );

        // Fixed: the overlay is gone. The last build failed, so nothing is
        // taken over from the bundle shown under it: every page renders.
        t.edit(ABOUT, "wieght: 1", "weight: 1");
        let outcome = hub.rebuild("cocotte.maison", &edit);
        assert!(
            matches!(
                outcome,
                Outcome::Rebuilt {
                    rendered: 44,
                    pages: 44,
                    ..
                }
            ),
            "{outcome:?}"
        );
        let page = get(&hub, "cocotte.maison.localhost:4000", "/a-propos/");
        assert!(!page.body.contains("sitegen-error"), "{}", page.body);
        assert!(!page
            .header("content-security-policy")
            .contains(&sha256_source(overlay_css)));
    }

    #[test]
    fn a_stylesheet_edit_is_swapped_into_the_last_good_bundle() {
        let (t, hub) = hub();
        let before = get(&hub, "cocotte.maison.localhost", "/").body;
        let css = t.read("themes/atelier/css/site.css");
        t.write(
            "themes/atelier/css/site.css",
            &format!("{css}\n.css-marker{{color:#123456}}\n"),
        );
        let outcome = hub.rebuild("cocotte.maison", &ChangeSet::new(Change::Css));
        assert!(
            matches!(&outcome, Outcome::CssSwapped { domain, .. } if domain == "cocotte.maison"),
            "{outcome:?}"
        );
        let after = get(&hub, "cocotte.maison.localhost", "/").body;
        let href = css_href(&after);
        assert_ne!(href, css_href(&before));
        let css = get(&hub, "cocotte.maison.localhost", &href);
        assert!(
            css.body.contains(".css-marker{color:#123456}"),
            "{}",
            css.body
        );
    }
}
