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

    /// Evaluates `expr` in the page and returns its value.
    fn eval(&mut self, expr: &str) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"id": id, "method": "Runtime.evaluate", "params": {"expression": expr, "returnByValue": true}});
        self.ws.send(Message::Text(msg.to_string().into())).unwrap();
        loop {
            if let Message::Text(text) = self.ws.read().unwrap() {
                let v: Value = serde_json::from_str(text.as_str()).unwrap();
                if v["id"] == id {
                    return v["result"]["result"]["value"].clone();
                }
            }
        }
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
    let mut b = Browser::open(&s.url("cocotte.maison", "/about/"));
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
        "## What a house is for",
        "## What a house is for, in the browser",
    );
    b.wait_until(
        "the edited heading",
        "document.body.innerText.includes('What a house is for, in the browser')",
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
