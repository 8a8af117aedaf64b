//! The Bundle: every output file of one site, in memory, plus its manifest.
//! Sinks (disk, preview server, deploy) consume it; `write_atomic` is the disk
//! sink: it writes beside the old output and renames into place, so a failed
//! build never leaves half-written files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::fsutil;
use crate::manifest::{self, Manifest};

#[derive(Debug, Default, Clone)]
pub struct Bundle {
    pub domain: String,
    /// Path inside `public/` (no leading slash) → bytes, sorted.
    pub files: BTreeMap<String, Vec<u8>>,
    /// How many HTML pages the site has.
    pub pages: usize,
    /// How many of them this build rendered (fewer in an incremental build).
    pub rendered: usize,
    /// Things the operator must hear about even though the build succeeded.
    pub warnings: Vec<String>,
    /// Files beside `public/` (the nginx config): path → bytes.
    pub extra: BTreeMap<String, Vec<u8>>,
    /// The pages it was made from, kept by preview builds so the next
    /// incremental build parses only the files that changed.
    pub source_pages: std::sync::Arc<Vec<crate::content::Page>>,
    /// Digest of everything the build read (see `inputs::digest`), for `build --changed`.
    pub inputs: Option<String>,
    /// Short digest of the platform data it was built from, for reports.
    pub data_digest: String,
    /// When its pages change next by the clock alone (`crate::clock`).
    pub next_change: Option<time::OffsetDateTime>,
    /// The instant it was built for, when one was set (`--clock`).
    pub clock: Option<time::OffsetDateTime>,
    /// Per-page redirects (front matter `aliases:`): old path → the page's
    /// URL, written into the nginx config beside site.yaml's `redirects`.
    pub aliases: BTreeMap<String, String>,
    /// Every redirect the web server makes for the site: site.yaml's
    /// `redirects` and the aliases, as path → (status, target). The preview
    /// server answers with them as nginx does.
    pub redirects: BTreeMap<String, (u16, String)>,
    /// The markdown files its pages were made from (drafts left out unless
    /// the build showed them): the ones a release ships for the edge.
    pub markdown: std::collections::BTreeSet<PathBuf>,
}

impl Bundle {
    pub fn new(domain: &str) -> Self {
        Bundle {
            domain: domain.to_string(),
            ..Default::default()
        }
    }

    pub fn total_bytes(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// The file a site URL path names, found as the nginx config's
    /// `try_files $uri $uri/index.html $uri.html` would find it.
    pub fn resolve(&self, url_path: &str) -> Option<(&str, &[u8])> {
        let key = url_path.trim_start_matches('/');
        let candidates = if key.is_empty() || key.ends_with('/') {
            vec![format!("{key}index.html")]
        } else {
            vec![
                key.to_string(),
                format!("{key}/index.html"),
                format!("{key}.html"),
            ]
        };
        candidates.into_iter().find_map(|k| {
            self.files
                .get_key_value(&k)
                .map(|(k, b)| (k.as_str(), b.as_slice()))
        })
    }

    /// The bundle's manifest (see `manifest`).
    pub fn manifest(&self) -> Manifest {
        let mut m = Manifest::of(&self.domain, self.inputs.as_deref(), &self.files);
        m.next_change = self.next_change.map(crate::clock::format);
        m.clock = self.clock.map(crate::clock::format);
        m.aliases = self.aliases.clone();
        m
    }

    /// Writes `<dest>/public/**` and `<dest>/manifest.json`: first into a
    /// staging folder beside `dest`, then swaps it into place by rename.
    pub fn write_atomic(&self, dest: &Path) -> Result<()> {
        let parent = dest.parent().unwrap_or(Path::new("."));
        fsutil::create_dir_all(parent)?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| self.domain.clone());
        remove_stale_leftovers(parent, &name);
        // Unique names: two builds of one site (two commands, or threads)
        // never write into the same staging folder.
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.staging-"))
            .tempdir_in(parent)
            .map_err(|e| Error::io(parent, "create a staging folder", e))?;
        let old = parent.join(format!(
            ".{name}.old-{}",
            staging
                .path()
                .file_name()
                .expect("named")
                .to_string_lossy()
                .rsplit('-')
                .next()
                .unwrap_or("x")
        ));
        self.write_into(staging.path())?;
        // The staging folder becomes the output: it must outlive the guard.
        let staging = staging.keep();
        let result = swap_into_place(&staging, dest, &old);
        if result.is_err() && staging.exists() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result
    }

    fn write_into(&self, staging: &Path) -> Result<()> {
        let public = staging.join("public");
        let dirs: BTreeSet<PathBuf> = self
            .files
            .keys()
            .filter_map(|p| Path::new(p).parent().map(|d| public.join(d)))
            .chain(std::iter::once(public.clone()))
            .collect();
        for dir in &dirs {
            fsutil::create_dir_all(dir)?;
        }
        self.files
            .par_iter()
            .try_for_each(|(path, bytes)| fsutil::write(&public.join(path), bytes))?;
        for (path, bytes) in &self.extra {
            let file = staging.join(path);
            fsutil::create_dir_all(file.parent().expect("under staging"))?;
            fsutil::write(&file, bytes)?;
        }
        fsutil::write(&manifest::path(staging), &self.manifest().to_json())
    }
}

/// Staging and old folders left by a build that was killed more than an hour
/// ago (a running build's are younger).
fn remove_stale_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let prefixes = [format!(".{name}.staging-"), format!(".{name}.old-")];
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if !prefixes.iter().any(|p| file_name.starts_with(p.as_str())) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(3600));
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn swap_into_place(staging: &Path, dest: &Path, old: &Path) -> Result<()> {
    if dest.exists() {
        fsutil::rename(dest, old)?;
        if let Err(e) = fsutil::rename(staging, dest) {
            // Put the previous output back so the failure changes nothing.
            let _ = std::fs::rename(old, dest);
            return Err(e);
        }
        fsutil::remove_dir_all(old)
    } else {
        fsutil::rename(staging, dest)
    }
}

/// A path inside the bundle must stay inside it.
pub fn check_bundle_path(path: &str) -> Result<()> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != ".." && s != ".");
    if ok {
        Ok(())
    } else {
        Err(Error::build(format!(
            "output path {path:?} would escape the site's output folder"
        )))
    }
}
