//! Watching the workspace: notify events on sites/, content/, templates/,
//! themes/, data/ and sitegen.yaml, debounced into batches (an editor's save
//! is often several events), and each batch sorted into what it means for
//! each served site (`classify`: a `ChangeSet` per site). When to rebuild is
//! decided here; what to rebuild, by `build::incremental`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::build::incremental::{Change, ChangeSet};
use crate::config::{Site, Workspace};
use crate::error::{Error, Result};

/// Watches the workspace at `root` and calls `on_batch` with each debounced
/// batch of changed paths, relative to `root`, on a thread of its own. Stops
/// when the returned watcher is dropped.
pub(super) fn watch(
    root: &Path,
    on_batch: impl Fn(BTreeSet<PathBuf>) + Send + 'static,
) -> Result<notify::RecommendedWatcher> {
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
    let root = if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root.to_path_buf()
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
            on_batch(rel);
        }
    });
    Ok(watcher)
}

/// Which of `domains` a batch of changed paths (relative to the workspace
/// root) affects, and how. A site whose config cannot be read is built
/// again whole, so its error shows.
pub(super) fn classify(
    ws: &Workspace,
    domains: &[String],
    paths: &BTreeSet<PathBuf>,
) -> BTreeMap<String, ChangeSet> {
    let mut out: BTreeMap<String, ChangeSet> = BTreeMap::new();
    let sites: Vec<Site> = domains
        .iter()
        .filter_map(|d| ws.load_site(d).ok())
        .collect();
    for rel in paths {
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let name = parts.last().map(String::as_str).unwrap_or("");
        if is_editor_file(name) {
            continue;
        }
        for domain in domains {
            let Some(site) = sites.iter().find(|s| s.domain() == domain) else {
                out.insert(domain.clone(), ChangeSet::new(Change::Rebuild));
                continue;
            };
            let Some((change, template)) = change_of(&parts, site) else {
                continue;
            };
            let changes = out
                .entry(domain.clone())
                .or_insert_with(|| ChangeSet::new(change));
            changes.add(change);
            if name.ends_with(".md") && parts[0] == "content" {
                changes.sources.insert(ws.root.join(rel));
            }
            if let Some(t) = template {
                changes.template(site, t);
            }
        }
    }
    out
}

/// Editors' swap and backup files are not edits.
fn is_editor_file(name: &str) -> bool {
    name.starts_with(".#")
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913"
}

/// What a change to the file at `parts` (a path relative to the workspace
/// root, split) means for `site`, and the template it is (its path inside
/// its templates folder) if it is one; None if the site does not read it.
fn change_of(parts: &[String], site: &Site) -> Option<(Change, Option<String>)> {
    let part = |i: usize| parts.get(i).map(String::as_str).unwrap_or("");
    let name = parts.last().map(String::as_str).unwrap_or("");
    let domain = site.domain();
    let kind = site.config.kind.to_string();
    // Shortcodes are rendered into the pages' markdown when it is read: an
    // edit to one of the site's reads the content again.
    let shortcode = match part(0) {
        "sites" => part(1) == domain && part(2) == "templates" && part(3) == "shortcodes",
        "themes" => {
            part(1) == site.config.theme.as_str()
                && part(2) == "templates"
                && part(3) == "shortcodes"
        }
        "templates" => (part(1) == "_base" || part(1) == kind) && part(2) == "shortcodes",
        _ => false,
    };
    if shortcode {
        return Some((Change::Rebuild, None));
    }
    Some(match part(0) {
        "content" if part(1) == domain => {
            if name.ends_with(".md") {
                (Change::Pages, None)
            } else {
                (Change::Rebuild, None)
            }
        }
        "sites" if part(1) == domain && part(2) == "templates" => {
            (Change::Pages, Some(parts[3..].join("/")))
        }
        "sites" if part(1) == domain => (Change::Rebuild, None),
        "sitegen.yaml" => (Change::Rebuild, None),
        // The base stylesheet, bundled before the theme's.
        "templates" if part(1) == "_base" && part(2) == "css" => (Change::Css, None),
        "templates" if part(1) == "_base" || part(1) == kind => {
            (Change::Pages, Some(parts[2..].join("/")))
        }
        "themes" if part(1) == site.config.theme.as_str() => match part(2) {
            "css" => (Change::Css, None),
            "templates" => (Change::Pages, Some(parts[3..].join("/"))),
            _ => (Change::Rebuild, None),
        },
        "data" if part(2) == site.config.tenant.slug.as_str() => (Change::Data, None),
        _ => return None,
    })
}
