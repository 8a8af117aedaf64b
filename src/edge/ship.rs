//! What a release carries for the edge (`dist/<domain>/edge/`, deployed as
//! `<release>/.sitegen-edge/`):
//!
//! ```text
//! deps.json                       page → the platform records it shows
//! workspace/sitegen.yaml          the workspace settings
//! workspace/sites/<domain>/…      site.yaml, logo, static/, templates/
//! workspace/content/<domain>/…    the brand copy and its images
//! workspace/templates/{_base,<kind>}/…
//! workspace/themes/<theme>/…
//! workspace/data/platform/<tenant>/  the data the pages were built from,
//!                                 as `sitegen fetch` writes a snapshot
//! ```
//!
//! Only workspaces that run the edge ship it (`enabled`: `nginx.hook_host`
//! is set, the host the platform posts events to); the others' releases
//! hold only what nginx serves.
//!
//! Every file is read through its root (`fsutil::Root`), as for
//! publishing: a link out of a root fails the build, and nothing outside
//! the site's own folders is shipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::config::{Site, Workspace};
use crate::error::{Error, Result};
use crate::fsutil::Root;
use crate::pages::Route;
use crate::platform::PlatformData;

/// Where the edge files are in `dist/<domain>/` and in a release.
pub const DIST_DIR: &str = "edge";
pub const RELEASE_DIR: &str = ".sitegen-edge";
/// Format of `deps.json`.
pub const FORMAT: u64 = 1;

/// Whether releases carry what the edge needs: the workspace has a webhook
/// host for `sitegen edge` (`nginx.hook_host`).
pub fn enabled(ws: &Workspace) -> bool {
    ws.config.nginx.hook_host.is_some()
}

/// `deps.json`: every page of the route table (bundle path) → its keys.
pub fn deps_index(site: &Site, routes: &[Route<'_>], records: &[Vec<String>]) -> Vec<u8> {
    let outputs: BTreeMap<&str, &Vec<String>> = routes
        .iter()
        .zip(records)
        .map(|(r, keys)| (r.output.as_str(), keys))
        .collect();
    let mut json = serde_json::to_vec_pretty(&json!({
        "format": FORMAT,
        "domain": site.domain(),
        "tenant": site.config.tenant.to_string(),
        "outputs": outputs,
    }))
    .expect("serializes");
    json.push(b'\n');
    json
}

/// The site's sources as a workspace of their own: path under
/// `workspace/` → bytes. Of the markdown files, only `published` ones (a
/// draft stays in the repository).
pub fn sources(
    ws: &Workspace,
    site: &Site,
    published: &BTreeSet<PathBuf>,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let config = ws.root.join("sitegen.yaml");
    if config.is_file() {
        out.push(("sitegen.yaml".to_string(), crate::fsutil::read(&config)?));
    }
    let kind = site.config.kind.spec().name;
    let trees: [(&Root, &Path, String); 5] = [
        (
            &site.roots.site,
            &site.site_dir,
            format!("sites/{}", site.domain()),
        ),
        (
            &site.roots.content,
            &site.content_dir,
            format!("content/{}", site.domain()),
        ),
        (
            &site.roots.templates,
            &site.base_dir,
            "templates/_base".to_string(),
        ),
        (
            &site.roots.templates,
            &site.kind_dir,
            format!("templates/{kind}"),
        ),
        (
            &site.roots.theme,
            &site.theme_dir,
            format!("themes/{}", site.config.theme),
        ),
    ];
    for (root, dir, into) in trees {
        if !dir.is_dir() {
            continue;
        }
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.map_err(|e| Error::io(dir, "read the site's sources", e.into()))?;
            if entry.file_type().is_dir() {
                continue;
            }
            let is_markdown = entry.path().extension().is_some_and(|e| e == "md");
            if is_markdown && !published.contains(entry.path()) {
                continue;
            }
            let rel = entry.path().strip_prefix(dir).expect("inside");
            if rel
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
            {
                continue;
            }
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.push((format!("{into}/{rel}"), root.read(entry.path())?));
        }
    }
    Ok(out)
}

/// The data the pages were built from, as a snapshot under
/// `workspace/data/platform/<tenant>/`: the records only (guarded, public
/// fields); avatars stay on the API (the edge fetches them as a build
/// does), so no photo's original metadata reaches the release.
pub fn data(site: &Site, data: &PlatformData) -> Result<Vec<(String, Vec<u8>)>> {
    let dir = format!("data/platform/{}", site.config.tenant.slug);
    Ok(crate::platform::snapshot_files(data, false)?
        .into_iter()
        .map(|(rel, bytes)| (format!("{dir}/{rel}"), bytes))
        .collect())
}
