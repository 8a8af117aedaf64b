//! The copy editor's loop in a real browser: Debian's chromium, headless,
//! driven over the DevTools protocol, opens a page from `sitegen serve`; the
//! test edits the markdown and the CSS and waits for the browser to show the
//! change on its own.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::serve::Serving;

fn chromium() -> PathBuf {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("chromium is required for the browser tests (apt-get install chromium; .ci/run does)")
}

struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Browser {
    fn open(url: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Chromium writes the port it chose to DevToolsActivePort.
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            if let Some(port) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|t| t.lines().next().and_then(|l| l.parse::<u16>().ok()))
            {
                break port;
            }
            assert!(
                Instant::now() < deadline,
                "chromium did not open its DevTools port"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let page = loop {
            let text = reqwest::blocking::get(format!("http://127.0.0.1:{port}/json/list"))
                .unwrap()
                .text()
                .unwrap();
            let list: Value = serde_json::from_str(&text).unwrap();
            if let Some(p) = list
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["type"] == "page")
            {
                break p["webSocketDebuggerUrl"].as_str().unwrap().to_string();
            }
            assert!(Instant::now() < deadline, "no page target");
            std::thread::sleep(Duration::from_millis(50));
        };
        let (ws, _) = tungstenite::connect(page).unwrap();
        Browser {
            child,
            _profile: profile,
            ws,
            next_id: 1,
        }
    }

    /// Calls a DevTools method and returns its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"id": id, "method": method, "params": params});
        self.ws.send(Message::Text(msg.to_string().into())).unwrap();
        loop {
            if let Message::Text(text) = self.ws.read().unwrap() {
                let v: Value = serde_json::from_str(text.as_str()).unwrap();
                if v["id"] == id {
                    return v["result"].clone();
                }
            }
        }
    }

    /// Evaluates `expr` in the page and returns its value.
    fn eval(&mut self, expr: &str) -> Value {
        self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true}),
        )["result"]["value"]
            .clone()
    }

    #[track_caller]
    fn wait_until(&mut self, what: &str, expr: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.eval(expr) != Value::Bool(true) {
            assert!(
                Instant::now() < deadline,
                "the browser never showed: {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_browser_shows_markdown_and_css_edits_without_being_reloaded_by_the_test() {
    let mut s = Serving::start(&["cocotte.maison"]);
    let mut b = Browser::open(&s.url("cocotte.maison", "/a-propos/"));
    b.wait_until(
        "the page",
        "document.readyState === 'complete' && document.querySelector('h1') !== null",
    );
    // Wait for the live-reload connection, then mark this document: a
    // reload replaces it, a stylesheet swap does not.
    std::thread::sleep(Duration::from_millis(500));
    b.eval("window.__sitegenTest = 'same document'");

    s.t.write(
        "themes/atelier/css/site.css",
        &format!(
            "{}\nh1{{letter-spacing:7px}}\n",
            s.t.read("themes/atelier/css/site.css")
        ),
    );
    b.wait_until(
        "the new stylesheet",
        "getComputedStyle(document.querySelector('h1')).letterSpacing === '7px'",
    );
    assert_eq!(
        b.eval("window.__sitegenTest"),
        json!("same document"),
        "a CSS edit swaps the stylesheet without a reload"
    );

    s.t.edit(
        "content/cocotte.maison/about.md",
        "## À quoi sert une maison",
        "## À quoi sert une maison, dans le navigateur",
    );
    b.wait_until(
        "the edited heading",
        "document.body.innerText.includes('À quoi sert une maison, dans le navigateur')",
    );
    assert_eq!(
        b.eval("window.__sitegenTest === undefined"),
        json!(true),
        "the page was reloaded by the server"
    );

    // The server restarts (say, after an upgrade): the page reconnects and
    // reloads from the new server.
    std::thread::sleep(Duration::from_millis(500));
    b.eval("window.__sitegenTest = 'before restart'");
    s.restart(&["cocotte.maison"]);
    b.wait_until(
        "a reload after the restart",
        "window.__sitegenTest === undefined && document.readyState === 'complete'",
    );
}

/// Regression: the preview sent no Content-Security-Policy, so a `style=`
/// attribute in markdown looked right there and was blocked in production.
/// Now chromium blocks it in the preview too, while the preview's own
/// script, event stream and error overlay are not blocked.
#[test]
fn the_browser_blocks_in_the_preview_what_production_blocks() {
    let s = Serving::start(&["cocotte.maison"]);
    s.t.edit(
        "content/cocotte.maison/about.md",
        "## Ce que les membres gardent",
        "<p id=\"csp-attr\" style=\"color: rgb(1, 2, 3)\">inline style</p>\n\n<style>#csp-hashed{color: rgb(4, 5, 6)}</style>\n<p id=\"csp-hashed\">hashed style</p>\n\n## Ce que les membres gardent",
    );
    s.wait_for("cocotte.maison", "/a-propos/", "the edit", |b| {
        b.contains("csp-hashed")
    });
    let mut b = Browser::open("about:blank");
    // Every CSP violation of every document this tab loads, from its start.
    b.call("Page.enable", json!({}));
    b.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "window.__violations = []; document.addEventListener('securitypolicyviolation', function (e) { window.__violations.push(e.effectiveDirective + ' ' + e.blockedURI); });"}),
    );
    b.call(
        "Page.navigate",
        json!({"url": s.url("cocotte.maison", "/a-propos/")}),
    );
    b.wait_until(
        "the page",
        "document.readyState === 'complete' && document.getElementById('csp-hashed') !== null",
    );
    assert_eq!(
        b.eval("getComputedStyle(document.getElementById('csp-hashed')).color"),
        json!("rgb(4, 5, 6)"),
        "an inline <style> is allowed by its hash, as nginx allows it"
    );
    assert_ne!(
        b.eval("getComputedStyle(document.getElementById('csp-attr')).color"),
        json!("rgb(1, 2, 3)"),
        "a style attribute is blocked, as nginx's policy blocks it"
    );
    b.wait_until("the violation report", "window.__violations.length > 0");
    assert_eq!(
        b.eval("window.__violations"),
        json!(["style-src-attr inline"]),
        "only the style attribute: not the live-reload script or its event stream"
    );

    // Live reload works under the policy, and a broken edit's overlay is styled.
    std::thread::sleep(Duration::from_millis(500));
    s.t.edit("content/cocotte.maison/about.md", "weight: 1", "wieght: 1");
    b.wait_until(
        "the error overlay, styled",
        "document.getElementById('sitegen-error') !== null && getComputedStyle(document.getElementById('sitegen-error')).position === 'fixed'",
    );
    assert_eq!(
        b.eval("window.__violations"),
        json!(["style-src-attr inline"]),
        "the reloaded page's only violation is the markdown's style attribute"
    );
}

/// The page paths of a served site, from its sitemap.
fn sitemap_paths(s: &Serving, domain: &str) -> Vec<String> {
    let (status, xml) = s.get(domain, "/sitemap.xml");
    assert_eq!(status, 200);
    let base = format!("https://{domain}");
    xml.split("<loc>")
        .skip(1)
        .map(|l| {
            l[..l.find("</loc>").unwrap()]
                .trim_start_matches(&base)
                .to_string()
        })
        .collect()
}

#[test]
fn every_demo_page_fits_a_320_pixel_phone_with_its_fonts_and_a_menu_that_needs_no_script() {
    let domains = [
        ("cocotte.maison", "Fraunces"),
        ("sansonnet.maison", "Syne"),
        ("adulttherapytour.com", "Anton"),
        ("transquinnftw.com", "Bricolage Grotesque"),
    ];
    let s = Serving::start(&domains.map(|(d, _)| d));
    let mut b = Browser::open("about:blank");
    b.call("Page.enable", json!({}));
    let phone = |b: &mut Browser, width: u32| {
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": 700, "deviceScaleFactor": 1, "mobile": width < 600}),
        );
    };
    let open = |b: &mut Browser, url: &str| {
        b.call("Page.navigate", json!({"url": url}));
        let deadline = Instant::now() + Duration::from_secs(15);
        let ready = format!("document.readyState === 'complete' && document.fonts.status === 'loaded' && location.href === {}", json!(url));
        while b.eval(&ready) != json!(true) {
            assert!(
                Instant::now() < deadline,
                "{url} never loaded: {}",
                b.eval("[document.readyState, document.fonts.status, location.href].join(' ')")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let mut pages = 0;
    for (domain, font) in domains {
        phone(&mut b, 320);
        let paths = sitemap_paths(&s, domain);
        assert!(paths.len() >= 4, "{domain}: {paths:?}");
        for path in &paths {
            open(&mut b, &s.url(domain, path));
            let overflow = b.eval(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth",
            );
            if overflow != json!(0) {
                let culprits = b.eval("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).slice(-3).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40)).join(' | ')");
                panic!("{domain}{path} scrolls sideways at 320 px by {overflow} px: {culprits}");
            }
            pages += 1;
        }
        // The theme's heading face is the one the browser uses, not a fallback.
        assert_eq!(
            b.eval(&format!("document.fonts.check('1em {font}') && [...document.fonts].some(f => f.family.replace(/\"/g, '') === '{font}' && f.status === 'loaded')")),
            json!(true),
            "{domain}: {font} is loaded"
        );

        // Phones: one compact row (wordmark and "Menu"), the menu folded away
        // until its link is followed, and it holds every nav item.
        open(&mut b, &s.url(domain, "/"));
        let header =
            b.eval("document.querySelector('.site-header').getBoundingClientRect().height");
        assert!(
            header.as_f64().unwrap() <= 72.0,
            "{domain}: the header is {header} px tall on a phone"
        );
        assert_eq!(
            b.eval("getComputedStyle(document.getElementById('menu')).display"),
            json!("none")
        );
        b.eval("document.querySelector('a.menu-open').click()");
        b.wait_until("the menu", "location.hash === '#menu' && getComputedStyle(document.getElementById('menu')).display !== 'none'");
        assert_eq!(
            b.eval("[...document.querySelectorAll('#menu .site-nav a')].every(a => a.getBoundingClientRect().height >= 44 && a.getBoundingClientRect().right <= innerWidth)"),
            json!(true),
            "{domain}: every menu link is on screen and big enough to tap"
        );
        assert_eq!(
            b.eval("window.scrollY"),
            json!(0),
            "{domain}: opening the menu keeps the header in view"
        );
        b.eval("document.querySelector('a.menu-close').click()");
        b.wait_until(
            "the menu closed",
            "getComputedStyle(document.getElementById('menu')).display === 'none'",
        );

        // Desktops: the navigation in the header, no menu link.
        phone(&mut b, 1366);
        open(&mut b, &s.url(domain, "/"));
        assert_eq!(
            b.eval("getComputedStyle(document.querySelector('a.menu-open')).display"),
            json!("none")
        );
        assert_eq!(
            b.eval("[...document.querySelectorAll('#menu .site-nav a')].every(a => a.getBoundingClientRect().bottom <= document.querySelector('.site-header').getBoundingClientRect().bottom)"),
            json!(true),
            "{domain}: the nav is in the header"
        );
    }
    assert!(pages > 80, "{pages} pages");
}
