//! The generated nginx configs under real nginx: `nginx -t`, then a private
//! nginx on loopback high ports (own prefix, pid, logs; a self-signed
//! certificate) serving the built bundles, checked with real HTTP requests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};

use crate::harness::{SiteTest, DEMO_DOMAINS};

fn nginx_bin() -> String {
    for p in ["/usr/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(p).exists() {
            return p.to_string();
        }
    }
    "nginx".to_string()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Whether this machine can listen on IPv6 (`[::]:port`).
fn has_ipv6() -> bool {
    std::fs::read_to_string("/proc/net/if_inet6").is_ok_and(|s| !s.trim().is_empty())
}

/// A copy of the distribution's own `/etc/nginx` (Debian's: `nginx.conf`
/// with its `http{}` settings, `conf.d/`, `sites-enabled/default` listening
/// on port 80 as default server), checked file by file against the md5sums
/// the installed package recorded, so the tests run inside the configuration
/// a fresh `apt-get install nginx` ships. The only changes make it run
/// privately: paths into the copy, our own pid and log files, temp paths,
/// and the port numbers of the default site (80 → `http`).
fn debian_nginx(dir: &Path, http: u16, ipv6: bool) -> PathBuf {
    let stock = Path::new("/etc/nginx");
    assert!(
        stock.join("nginx.conf").is_file(),
        "/etc/nginx/nginx.conf is missing: install Debian's nginx (.ci/run does)"
    );
    // The package's own record of its configuration files: the copy must be
    // the stock files, not a machine's local edits.
    let conffiles = Command::new("dpkg-query")
        .args(["-W", "-f=${Conffiles}\n", "nginx-common"])
        .output()
        .expect("dpkg-query");
    let conffiles = String::from_utf8_lossy(&conffiles.stdout).into_owned();
    let mut checked = 0;
    for line in conffiles.lines() {
        let mut parts = line.split_whitespace();
        let (Some(path), Some(md5)) = (parts.next(), parts.next()) else {
            continue;
        };
        if !path.starts_with("/etc/nginx/") {
            continue;
        }
        let out = Command::new("md5sum").arg(path).output().expect("md5sum");
        let have = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            have.split_whitespace().next(),
            Some(md5),
            "{path} is not the file nginx-common installed; the test needs Debian's stock /etc/nginx"
        );
        checked += 1;
    }
    assert!(checked >= 2, "no nginx-common conffiles found: {conffiles}");

    let copy = dir.join("etc-nginx");
    for entry in walkdir::WalkDir::new(stock).follow_links(true) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(stock).unwrap();
        let dest = copy.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
    for d in ["logs", "run", "tmp"] {
        std::fs::create_dir_all(copy.join(d)).unwrap();
    }
    let c = copy.display().to_string();
    let edit = |rel: &str, edits: &[(&str, String)]| {
        let path = copy.join(rel);
        let mut text = std::fs::read_to_string(&path).unwrap();
        for (from, to) in edits {
            assert!(text.contains(from), "stock {rel} has no {from:?}:\n{text}");
            text = text.replace(from, to);
        }
        std::fs::write(&path, text).unwrap();
    };
    let user = if is_root() { "user root;" } else { "" };
    edit(
        "nginx.conf",
        &[
            ("user www-data;", user.to_string()),
            ("/etc/nginx/", format!("{c}/")),
            ("pid /run/nginx.pid;", format!("pid {c}/run/nginx.pid;")),
            ("/var/log/nginx/", format!("{c}/logs/")),
            (
                "http {\n",
                format!(
                    "http {{\n\tclient_body_temp_path {c}/tmp/body;\n\tproxy_temp_path {c}/tmp/proxy;\n\tfastcgi_temp_path {c}/tmp/fastcgi;\n\tuwsgi_temp_path {c}/tmp/uwsgi;\n\tscgi_temp_path {c}/tmp/scgi;\n"
                ),
            ),
        ],
    );
    let v6 = if ipv6 {
        format!("listen [::]:{http} default_server;")
    } else {
        String::new()
    };
    edit(
        "sites-enabled/default",
        &[
            (
                "listen 80 default_server;",
                format!("listen {http} default_server;"),
            ),
            ("listen [::]:80 default_server;", v6),
        ],
    );
    copy
}

/// A workspace set up as a web server would be: sitegen.yaml with the
/// listen ports written as Debian's default site writes them (a port, and
/// `[::]:port`), certbot-style certificate folders holding one self-signed
/// certificate, an ACME webroot, local deploy targets under `<root>/srv/`,
/// and a private nginx running a copy of Debian's stock `/etc/nginx` whose
/// `conf.d/` receives the configs, as docs/deploy.md says.
pub struct Server {
    pub t: SiteTest,
    pub http: u16,
    pub https: u16,
    nginx_dir: PathBuf,
    main_conf: PathBuf,
    running: bool,
}

impl Server {
    pub fn new() -> Server {
        let t = SiteTest::demo();
        let root = t.root().canonicalize().unwrap();
        let (http, https) = (free_port(), free_port());
        let ipv6 = has_ipv6();
        let nginx_dir = debian_nginx(&root, http, ipv6);
        for d in ["acme/.well-known/acme-challenge", "certs"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(
            root.join("acme/.well-known/acme-challenge/tok-123"),
            "tok-123.key",
        )
        .unwrap();
        let cert = root.join("certs/self.pem");
        let key = root.join("certs/self.key");
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=sitegen-test",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl")
            .status
            .success();
        assert!(ok, "openssl could not make a certificate");
        for d in DEMO_DOMAINS {
            let dir = root.join("certs").join(d);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::copy(&cert, dir.join("fullchain.pem")).unwrap();
            std::fs::copy(&key, dir.join("privkey.pem")).unwrap();
            let yaml = t.read(&format!("sites/{d}/site.yaml"));
            let target_line = yaml
                .lines()
                .find(|l| l.trim_start().starts_with("target:"))
                .unwrap();
            t.edit(
                &format!("sites/{d}/site.yaml"),
                target_line,
                &format!("  target: {}/srv/{d}", root.display()),
            );
        }
        let main_conf = nginx_dir.join("nginx.conf");
        let n = nginx_dir.display();
        let q = |s: String| format!("\"{s}\"");
        t.write(
            "sitegen.yaml",
            &format!(
                "output_dir: dist\nnginx:\n  http_listen: \"{http}\"\n  https_listen: \"{https}\"\n  ipv6: {ipv6}\n  acme_webroot: {acme}\n  cert_dir: {certs}\n  conf_dir: {confd}\n  test_command: [{bin}, \"-t\", \"-q\", \"-c\", {main}, \"-p\", {prefix}]\n  reload_command: [{bin}, \"-s\", \"reload\", \"-c\", {main}, \"-p\", {prefix}]\n",
                acme = root.join("acme").display(),
                certs = root.join("certs").display(),
                confd = nginx_dir.join("conf.d").display(),
                bin = q(nginx_bin()),
                main = q(main_conf.display().to_string()),
                prefix = q(format!("{n}/")),
            ),
        );
        Server {
            t,
            http,
            https,
            nginx_dir,
            main_conf,
            running: false,
        }
    }

    /// The `conf.d/` of the private Debian nginx.
    pub fn conf_d(&self) -> PathBuf {
        self.nginx_dir.join("conf.d")
    }

    pub fn root(&self) -> PathBuf {
        self.t.root().canonicalize().unwrap()
    }

    /// Copies the built configs into conf.d (as an operator would) and points
    /// each site's `current` at its build output, without deploying.
    pub fn install_built(&self) {
        let root = self.root();
        for d in DEMO_DOMAINS {
            let nginx = root.join("dist").join(d).join("nginx");
            std::fs::copy(
                nginx.join(format!("{d}.conf")),
                self.conf_d().join(format!("{d}.conf")),
            )
            .unwrap();
            std::fs::copy(
                nginx.join("sitegen-http.conf"),
                self.conf_d().join("sitegen-http.conf"),
            )
            .unwrap();
            let site = root.join("srv").join(d);
            std::fs::create_dir_all(&site).unwrap();
            let _ = std::fs::remove_file(site.join("current"));
            std::os::unix::fs::symlink(
                root.join("dist").join(d).join("public"),
                site.join("current"),
            )
            .unwrap();
        }
    }

    fn nginx(&self, extra: &[&str]) -> std::process::Output {
        Command::new(nginx_bin())
            .arg("-c")
            .arg(&self.main_conf)
            .arg("-p")
            .arg(format!("{}/", self.nginx_dir.display()))
            .args(extra)
            .output()
            .expect("run nginx")
    }

    pub fn check(&self) -> std::process::Output {
        self.nginx(&["-t"])
    }

    pub fn start(&mut self) {
        let out = self.nginx(&[]);
        assert!(
            out.status.success(),
            "nginx did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.running = true;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.nginx_dir.join("run/nginx.pid").exists() {
            assert!(Instant::now() < deadline, "nginx did not write its pid");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the HTTPS port accepts connections (after a start or reload).
    pub fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.https)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx is not listening on {}",
                self.https
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.nginx_dir.join("logs/error.log")).unwrap_or_default()
    }

    /// An HTTPS client that sends every demo host (and its www and aliases)
    /// to this nginx, trusts the self-signed certificate and follows nothing.
    pub fn client(&self) -> Client {
        let mut b = Client::builder()
            .danger_accept_invalid_certs(true)
            .redirect(reqwest::redirect::Policy::none())
            .no_gzip()
            .timeout(Duration::from_secs(10));
        for host in [
            "cocotte.maison",
            "www.cocotte.maison",
            "cocotte-lyon.fr",
            "sansonnet.maison",
            "adulttherapytour.com",
            "www.transquinn.art",
            "transquinnftw.com",
            "unknown.example",
        ] {
            b = b.resolve(host, SocketAddr::from(([127, 0, 0, 1], 0)));
        }
        b.build().unwrap()
    }

    pub fn https_url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.https)
    }

    pub fn http_url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.http)
    }

    pub fn get(&self, client: &Client, host: &str, path: &str) -> Response {
        client
            .get(self.https_url(host, path))
            .send()
            .unwrap_or_else(|e| panic!("GET {host}{path}: {e}"))
    }

    /// Status of a raw request line sent as-is (curl --path-as-is).
    pub fn raw_status(&self, host: &str, path: &str) -> (String, String) {
        let out = Command::new("curl")
            .args([
                "-sk",
                "--path-as-is",
                "-o",
                "-",
                "-w",
                "\n%{http_code}",
                "--resolve",
            ])
            .arg(format!("{host}:{}:127.0.0.1", self.https))
            .arg(self.https_url(host, path))
            .output()
            .expect("curl");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        (code.to_string(), body.to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.running {
            if let Ok(pid) = std::fs::read_to_string(self.nginx_dir.join("run/nginx.pid")) {
                let _ = Command::new("kill").arg("-QUIT").arg(pid.trim()).status();
            }
        }
    }
}

fn header_values(r: &Response, name: &str) -> Vec<String> {
    r.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[track_caller]
fn assert_security_headers(r: &Response, what: &str) {
    let one = |name: &str| -> String {
        let v = header_values(r, name);
        assert_eq!(v.len(), 1, "{what}: {name}: {v:?}");
        v[0].clone()
    };
    assert_eq!(
        one("strict-transport-security"),
        "max-age=63072000",
        "{what}"
    );
    let csp = one("content-security-policy");
    assert!(
        csp.starts_with("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{what}: {csp}"
    );
    assert!(
        csp.contains("style-src 'self'")
            && csp.contains("img-src 'self'")
            && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(one("x-content-type-options"), "nosniff");
    assert_eq!(one("referrer-policy"), "strict-origin-when-cross-origin");
    assert!(one("permissions-policy").contains("camera=()"));
    assert_eq!(one("x-frame-options"), "DENY");
    assert_eq!(one("cross-origin-opener-policy"), "same-origin");
    assert_eq!(one("cross-origin-resource-policy"), "same-origin");
    assert!(
        r.headers().get("expires").is_none(),
        "{what}: Expires alongside Cache-Control"
    );
    assert!(
        r.headers().get("server").is_none_or(|s| s == "nginx"),
        "server_tokens off"
    );
}

#[test]
fn generated_configs_pass_nginx_t_and_serve_every_demo_site() {
    let mut s = Server::new();
    // An old address with an accent, written as it reads.
    s.t.edit(
        "content/cocotte.maison/news/welcome-ines.md",
        "aliases: [/news/welcome-ines/]",
        "aliases: [/news/welcome-ines/, /actualités/bienvenue-inès/]",
    );
    s.t.run(&["build", "--all"]).success();
    s.install_built();
    let check = s.check();
    assert!(
        check.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    s.start();
    s.wait_listening();
    let c = s.client();
    let root = s.root();
    // Calendars as calendar apps want them, with the site's headers; feeds as XML.
    let ics = s.get(&c, "adulttherapytour.com", "/tour/lyon/event.ics");
    assert_eq!(ics.status(), 200);
    assert_eq!(
        header_values(&ics, "content-type"),
        ["text/calendar; charset=utf-8"]
    );
    assert_security_headers(&ics, "adulttherapytour.com");
    let atom = s.get(&c, "cocotte.maison", "/actualites/atom.xml");
    assert_eq!(atom.status(), 200);
    assert!(header_values(&atom, "content-type")[0].contains("xml"));
    // Identity files with their types; their fixed names revalidate, the
    // fingerprinted social cards are immutable.
    for (path, ty) in [
        ("/favicon.ico", "image/x-icon"),
        ("/apple-touch-icon.png", "image/png"),
        ("/site.webmanifest", "application/manifest+json"),
    ] {
        let r = s.get(&c, "transquinnftw.com", path);
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header_values(&r, "content-type"), [ty], "{path}");
        assert_eq!(header_values(&r, "cache-control"), ["no-cache"], "{path}");
        assert_security_headers(&r, path);
    }
    let home =
        std::fs::read_to_string(root.join("dist/transquinnftw.com/public/index.html")).unwrap();
    let card = crate::harness::attr_values(&home, "content")
        .into_iter()
        .find_map(|v| v.strip_prefix("https://transquinnftw.com/assets/cards/"))
        .expect("the home page's card");
    let r = s.get(&c, "transquinnftw.com", &format!("/assets/cards/{card}"));
    assert_eq!(header_values(&r, "content-type"), ["image/png"]);
    assert_eq!(
        header_values(&r, "cache-control"),
        ["public, max-age=31536000, immutable"]
    );
    for d in DEMO_DOMAINS {
        let public = root.join("dist").join(d).join("public");
        let r = s.get(&c, d, "/");
        assert_eq!(r.status(), 200, "{d}");
        assert_security_headers(&r, d);
        assert_eq!(
            header_values(&r, "cache-control"),
            ["no-cache"],
            "{d}: HTML revalidates"
        );
        assert_eq!(
            r.bytes().unwrap(),
            std::fs::read(public.join("index.html")).unwrap()
        );

        // The fingerprinted stylesheet is immutable, with the same security headers.
        let index = std::fs::read_to_string(public.join("index.html")).unwrap();
        let css = crate::harness::attr_values(&index, "href")
            .into_iter()
            .find(|h| h.ends_with(".css"))
            .unwrap()
            .to_string();
        let r = s.get(&c, d, &css);
        assert_eq!(r.status(), 200);
        assert_eq!(
            header_values(&r, "cache-control"),
            ["public, max-age=31536000, immutable"]
        );
        assert_security_headers(&r, &css);

        // gzip_static serves the precompressed twin byte for byte.
        let r = c
            .get(s.https_url(d, "/"))
            .header("accept-encoding", "gzip")
            .send()
            .unwrap();
        assert_eq!(header_values(&r, "content-encoding"), ["gzip"]);
        assert_eq!(
            r.bytes().unwrap(),
            std::fs::read(public.join("index.html.gz")).unwrap()
        );

        // The site's own 404 page, with a 404 status and revalidation.
        let r = s.get(&c, d, "/no/such/page/");
        assert_eq!(r.status(), 404);
        assert_eq!(header_values(&r, "cache-control"), ["no-cache"]);
        assert_eq!(
            r.bytes().unwrap(),
            std::fs::read(public.join("404.html")).unwrap()
        );

        // Port 80: ACME challenges from the webroot, everything else to HTTPS.
        let r = c
            .get(s.http_url(d, "/.well-known/acme-challenge/tok-123"))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().unwrap(), "tok-123.key");
        let r = c.get(s.http_url(d, "/some/page/?a=1&b=2")).send().unwrap();
        assert_eq!(r.status(), 301);
        assert_eq!(
            header_values(&r, "location"),
            [format!("https://{d}:{}/some/page/?a=1&b=2", s.https)]
        );
    }

    // Clean URLs, in both languages of the site.
    for path in [
        "/a-propos/",
        "/a-propos",
        "/a-propos/index.html",
        "/en/about/",
        "/en/about",
    ] {
        assert_eq!(s.get(&c, "cocotte.maison", path).status(), 200, "{path}");
    }
    // A missing page under /en/ gets the English 404 page.
    let r = s.get(&c, "cocotte.maison", "/en/no/such/page/");
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.bytes().unwrap(),
        std::fs::read(root.join("dist/cocotte.maison/public/en/404.html")).unwrap()
    );
    // www and aliases go to the canonical host on 443, path and query kept.
    for host in ["www.cocotte.maison", "cocotte-lyon.fr"] {
        let r = s.get(&c, host, "/a-propos/?ref=x");
        assert_eq!(r.status(), 301, "{host}");
        assert_eq!(
            header_values(&r, "location"),
            [format!(
                "https://cocotte.maison:{}/a-propos/?ref=x",
                s.https
            )]
        );
    }
    // Redirects from site.yaml, exact match, relative Location.
    let r = s.get(&c, "cocotte.maison", "/equipe/");
    assert_eq!(
        (r.status().as_u16(), header_values(&r, "location")),
        (301, vec!["/members/".to_string()])
    );
    let r = s.get(&c, "cocotte.maison", "/tarifs/");
    assert_eq!(
        (r.status().as_u16(), header_values(&r, "location")),
        (302, vec!["/prestations/".to_string()])
    );
    // The English-only site's old addresses lead to the pages that replaced them.
    let r = s.get(&c, "cocotte.maison", "/about/");
    assert_eq!(
        (r.status().as_u16(), header_values(&r, "location")),
        (301, vec!["/a-propos/".to_string()])
    );
    assert_eq!(
        s.get(&c, "cocotte.maison", "/equipe/x").status(),
        404,
        "exact match only"
    );
    // A page's own old address (front matter `aliases`).
    let r = s.get(&c, "cocotte.maison", "/news/welcome-ines/");
    assert_eq!(
        (r.status().as_u16(), header_values(&r, "location")),
        (301, vec!["/actualites/bienvenue-ines/".to_string()])
    );
    let r = s.get(
        &c,
        "cocotte.maison",
        "/actualit%C3%A9s/bienvenue-in%C3%A8s/",
    );
    assert_eq!(
        (r.status().as_u16(), header_values(&r, "location")),
        (301, vec!["/actualites/bienvenue-ines/".to_string()]),
        "an accented alias matches the encoded request"
    );

    // Dotfiles, backups, database dumps, logs and env files are refused,
    // /.well-known/ is not; symlinks inside the served tree are not followed.
    let public = root.join("dist/cocotte.maison/public");
    std::fs::create_dir_all(public.join(".git")).unwrap();
    std::fs::create_dir_all(public.join("data")).unwrap();
    let refused = [
        "/.env",
        "/.git/config",
        "/index.html.bak",
        "/about.md~",
        "/dump.sql",
        "/data/dump.sql.gz",
        "/Backup.SQL",
        "/data/site.sqlite",
        "/data/site.sqlite3",
        "/app.db",
        "/error.log",
        "/data/error.log.1.gz",
        "/production.env",
    ];
    for path in refused {
        std::fs::write(public.join(&path[1..]), "SECRET=1").unwrap();
    }
    std::fs::create_dir_all(public.join(".well-known")).unwrap();
    std::fs::write(
        public.join(".well-known/security.txt"),
        "Contact: mailto:x@example.com",
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", public.join("leak.txt")).unwrap();
    for path in refused {
        let r = s.get(&c, "cocotte.maison", path);
        assert_eq!(r.status(), 404, "{path}");
        assert!(!r.text().unwrap().contains("SECRET"), "{path}");
    }
    assert_eq!(
        s.get(&c, "cocotte.maison", "/.well-known/security.txt")
            .status(),
        200
    );
    let r = s.get(&c, "cocotte.maison", "/leak.txt");
    assert!(
        r.status() == 403 || r.status() == 404,
        "symlink followed: {}",
        r.status()
    );

    // Traversal attempts, sent byte for byte.
    for path in [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc/passwd",
        "/assets/..%5c..%5c..%5cetc/passwd",
        "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "//etc/passwd",
        "/about/../../../etc/passwd",
    ] {
        let (code, body) = s.raw_status("cocotte.maison", path);
        assert!(
            code == "400" || code == "404" || code == "403",
            "{path}: {code}"
        );
        assert!(!body.contains("root:"), "{path} leaked /etc/passwd");
    }

    // A host no site serves gets no site: on 443 the snippet's default
    // server refuses the handshake; on port 80 Debian's own default server
    // answers (not one of ours, so no redirect to HTTPS).
    assert!(
        c.get(s.https_url("unknown.example", "/")).send().is_err(),
        "TLS handshake rejected"
    );
    let r = c.get(s.http_url("unknown.example", "/")).send().unwrap();
    assert!(
        r.headers().get("location").is_none(),
        "port 80 of an unknown host: {:?}",
        r.headers()
    );
    assert!(!s.error_log().contains("[emerg]"), "{}", s.error_log());
}

#[test]
fn site_yaml_values_cannot_inject_nginx_directives() {
    let t = SiteTest::demo();
    let cases = [
        (
            "aliases:\n  - cocotte-lyon.fr",
            "aliases:\n  - \"cocotte-lyon.fr; include /etc/shadow\"",
            "sites/cocotte.maison/site.yaml:3:5: aliases[0]: ",
        ),
        (
            "  - from: /equipe/",
            "  - from: \"/equipe/ { return 200 owned; }\"",
            "sites/cocotte.maison/site.yaml:",
        ),
        (
            "    to: /members/",
            "    to: \"/members/;\"",
            "sites/cocotte.maison/site.yaml:",
        ),
        (
            "  target: /srv/www/cocotte.maison",
            "  target: \"/srv/www/$host/../../etc\"",
            "sites/cocotte.maison/site.yaml:",
        ),
        (
            "deploy:",
            "tls:\n  cert_name: \"../../x\"\ndeploy:",
            "sites/cocotte.maison/site.yaml:",
        ),
        (
            "deploy:",
            "tls:\n  certificate: \"/etc/x.pem\\\"; root /\"\ndeploy:",
            "sites/cocotte.maison/site.yaml:",
        ),
    ];
    for (from, to, prefix) in cases {
        let before = t.read("sites/cocotte.maison/site.yaml");
        t.edit("sites/cocotte.maison/site.yaml", from, to);
        let run = t.run(&["build", "cocotte.maison"]);
        run.failure();
        assert!(
            run.stderr.starts_with(&format!("error: {prefix}")),
            "{to}: {}",
            run.stderr
        );
        t.write("sites/cocotte.maison/site.yaml", &before);
    }
    for bad in [
        "nginx:\n  conf_dir: \"/etc/nginx/conf.d; x\"\n",
        "nginx:\n  https_listen: \"443 ssl; include /x\"\n",
        "nginx:\n  cert_dir: \"/etc/letsencrypt/live/{}\"\n",
    ] {
        t.write("sitegen.yaml", bad);
        let run = t.run(&["build", "cocotte.maison"]);
        run.failure();
        assert!(
            run.stderr.starts_with("error: sitegen.yaml:"),
            "{bad}: {}",
            run.stderr
        );
    }
}

/// Directive names of a config text, each with the names of the blocks it
/// sits in (`["http"]` for `gzip on;` inside `http {}`); comments skipped.
fn directives(text: &str) -> Vec<(Vec<String>, String, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut stmt = String::new();
    let mut quoted = false;
    for line in text.lines() {
        for ch in line.chars() {
            match ch {
                '"' => {
                    quoted = !quoted;
                    stmt.push(ch);
                }
                '#' if !quoted => break,
                ';' | '{' | '}' if !quoted => {
                    let words: Vec<&str> = stmt.split_whitespace().collect();
                    if let Some(name) = words.first() {
                        out.push((stack.clone(), name.to_string(), words[1..].join(" ")));
                        if ch == '{' {
                            stack.push(name.to_string());
                        }
                    }
                    if ch == '}' {
                        stack.pop();
                    }
                    stmt.clear();
                }
                _ => stmt.push(ch),
            }
        }
        stmt.push(' ');
    }
    out
}

// Regression: with the snippet in Debian's conf.d, `nginx -t` stopped on a
// duplicate `gzip` and `ssl_prefer_server_ciphers`, and Debian's
// `ssl_protocols TLSv1 TLSv1.1 ...` silently merged into ours.
#[test]
fn shared_snippet_sets_nothing_debian_sets_and_every_tls_server_has_its_own_protocols() {
    let s = Server::new();
    s.t.run(&["build", "cocotte.maison"]).success();
    let snippet = s.t.read("dist/cocotte.maison/nginx/sitegen-http.conf");
    let debian = std::fs::read_to_string("/etc/nginx/nginx.conf").unwrap();
    let in_http: Vec<String> = directives(&debian)
        .into_iter()
        .filter(|(blocks, _, _)| blocks == &["http"])
        .map(|(_, name, _)| name)
        .collect();
    assert!(
        in_http.iter().any(|d| d == "ssl_protocols") && in_http.iter().any(|d| d == "gzip"),
        "Debian's stock nginx.conf: {in_http:?}"
    );
    let top: Vec<String> = directives(&snippet)
        .into_iter()
        .filter(|(blocks, _, _)| blocks.is_empty())
        .map(|(_, name, _)| name)
        .collect();
    assert_eq!(
        top.iter()
            .filter(|d| *d != "map" && *d != "server")
            .collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "the snippet sets http{{}} directives:\n{snippet}"
    );
    // nginx picks the TLS protocol before it knows the host name, so every
    // TLS server, the default one above all, says which protocols it allows.
    let site = s.t.read("dist/cocotte.maison/nginx/cocotte.maison.conf");
    let mut tls_servers = 0;
    for text in [&snippet, &site] {
        let all = directives(text);
        let servers = all
            .iter()
            .filter(|(b, n, _)| b.is_empty() && n == "server")
            .count();
        for i in 0..servers {
            // Directives of the i-th top-level server block.
            let mut seen = 0;
            let mut own = Vec::new();
            for (blocks, name, args) in &all {
                if blocks.is_empty() && name == "server" {
                    seen += 1;
                } else if seen == i + 1 && blocks.as_slice() == ["server"] {
                    own.push((name.clone(), args.clone()));
                }
            }
            let ssl = own
                .iter()
                .any(|(n, a)| n == "listen" && a.split(' ').any(|w| w == "ssl"));
            if ssl {
                tls_servers += 1;
                assert!(
                    own.contains(&("ssl_protocols".into(), "TLSv1.2 TLSv1.3".into())),
                    "a TLS server without its own ssl_protocols: {own:?}"
                );
            }
        }
    }
    assert_eq!(tls_servers, 3, "the default server, www/aliases, canonical");
}
