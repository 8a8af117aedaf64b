//! SiteTest: a workspace in a temp dir (a copy of the demo workspace, or of a
//! small fixture under `tests/fixtures/`), the real `sitegen` binary run
//! inside it, and helpers to read what it wrote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const DEMO_DOMAINS: [&str; 4] = [
    "adulttherapytour.com",
    "cocotte.maison",
    "sansonnet.maison",
    "transquinnftw.com",
];

pub struct SiteTest {
    dir: tempfile::TempDir,
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.status, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn failure(&self) -> &Self {
        assert_eq!(
            self.status, 1,
            "expected exit 1\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

impl SiteTest {
    /// A fresh copy of the repository's demo workspace.
    pub fn demo() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["sites", "content", "templates", "themes", "data"] {
            copy_tree(&repo().join(sub), &dir.path().join(sub));
        }
        std::fs::copy(repo().join("sitegen.yaml"), dir.path().join("sitegen.yaml")).unwrap();
        SiteTest { dir }
    }

    /// A fresh copy of the fixture workspace `tests/fixtures/<name>/` (its
    /// `sitegen.yaml`, `sites/`, `content/` and `data/platform/` snapshots),
    /// laid over the repository's `templates/` and `themes/`: the site kinds
    /// and themes are the product under test, so a fixture holds only what a
    /// user writes. A fixture file at the same path as one of those replaces it.
    pub fn from_dir(name: &str) -> Self {
        let fixture = repo().join("tests").join("fixtures").join(name);
        assert!(
            fixture.join("sitegen.yaml").is_file(),
            "no fixture workspace tests/fixtures/{name}/ (a fixture has a sitegen.yaml)"
        );
        let dir = tempfile::tempdir().unwrap();
        for sub in ["templates", "themes"] {
            copy_tree(&repo().join(sub), &dir.path().join(sub));
        }
        copy_tree(&fixture, dir.path());
        SiteTest { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `sitegen <args>` with the workspace as working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs `sitegen <args>` with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sitegen"));
        cmd.args(args)
            .current_dir(self.root())
            .env_remove("SITEGEN_LOG")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("SITEGEN_PLATFORM_API")
            .env_remove("SITEGEN_PLATFORM_TOKEN");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run sitegen");
        Run {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// Replaces `from` with `to` in a file, asserting `from` is there.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// A built page of a site: `page("cocotte.maison", "about/index.html")`.
    pub fn page(&self, domain: &str, path: &str) -> String {
        self.read(&format!("dist/{domain}/public/{path}"))
    }

    /// Every file under a folder of the workspace, path → bytes.
    pub fn files_under(&self, rel: &str) -> BTreeMap<String, Vec<u8>> {
        tree(&self.root().join(rel))
    }

    /// Every file under `dist/<domain>/` (public and manifest), path → bytes,
    /// but the edge folder (`edge_files`).
    pub fn output(&self, domain: &str) -> BTreeMap<String, Vec<u8>> {
        let mut files = tree(&self.root().join("dist").join(domain));
        files.retain(|p, _| !p.starts_with("edge/"));
        files
    }

    /// Every file under `dist/` but the sites' edge folders (sources and
    /// data for the edge, never served), path → bytes.
    pub fn dist_published(&self) -> BTreeMap<String, Vec<u8>> {
        let mut files = self.files_under("dist");
        files.retain(|p, _| p.split('/').nth(1) != Some("edge"));
        files
    }

    /// What the build ships for the edge (`dist/<domain>/edge/`), path → bytes.
    pub fn edge_files(&self, domain: &str) -> BTreeMap<String, Vec<u8>> {
        tree(&self.root().join("dist").join(domain).join("edge"))
    }
}

/// The paths whose bytes differ between two trees (present in one only,
/// or with other bytes), each once, sorted.
pub fn differing<'a>(
    a: &'a BTreeMap<String, Vec<u8>>,
    b: &'a BTreeMap<String, Vec<u8>>,
) -> Vec<&'a String> {
    let mut paths: Vec<&String> = a
        .keys()
        .chain(b.keys())
        .filter(|p| a.get(*p) != b.get(*p))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
    files
}

/// All `<script type="application/ld+json">` blocks of a page, parsed.
pub fn json_ld(html: &str) -> Vec<serde_json::Value> {
    let open = "<script type=\"application/ld+json\">";
    html.match_indices(open)
        .map(|(i, _)| {
            let rest = &html[i + open.len()..];
            let end = rest.find("</script>").expect("closed script");
            serde_json::from_str(&rest[..end])
                .unwrap_or_else(|e| panic!("bad JSON-LD: {e}\n{}", &rest[..end]))
        })
        .collect()
}

/// The text between `<title>` and `</title>`.
pub fn title(html: &str) -> &str {
    let start = html.find("<title>").expect("a title") + 7;
    let end = html[start..].find("</title>").unwrap();
    &html[start..start + end]
}

/// Values of an attribute across the document, e.g. every `href`.
pub fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let pat = format!(" {attr}=\"");
    html.match_indices(&pat)
        .map(|(i, _)| {
            let rest = &html[i + pat.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

/// Serves `app` on 127.0.0.1 at a free port from its own thread and runtime
/// for the rest of the test process; returns `http://127.0.0.1:<port>`.
pub fn spawn_http(app: axum::Router) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    url
}

/// `stderr` without its code frames (the `  |` and `12 | ...` lines under
/// an error's first line), and how many frames it had. Tests of messages
/// compare this; the frames themselves are pinned whole in `errors.rs`.
pub fn without_frames(stderr: &str) -> (String, usize) {
    // `  |`, `  |     ^`, `3 | weight: one`, `106 |   keep_releases: 0`
    let is_frame = |line: &str| {
        let trimmed = line.trim_start_matches(' ');
        let rest = trimmed.trim_start_matches(|c: char| c.is_ascii_digit());
        if rest.len() == trimmed.len() {
            line.starts_with(' ') && rest.starts_with('|')
        } else {
            rest.starts_with(" |")
        }
    };
    let mut shown = String::new();
    let mut frames = 0;
    let mut in_frame = false;
    for line in stderr.split_inclusive('\n') {
        if is_frame(line.trim_end_matches('\n')) {
            frames += usize::from(!in_frame);
            in_frame = true;
        } else {
            in_frame = false;
            shown.push_str(line);
        }
    }
    (shown, frames)
}
