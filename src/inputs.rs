//! What a site's build reads, as one digest: the sitegen version, the build
//! options that change what it writes or whether it succeeds (`--drafts`,
//! `--strict`), the workspace and site config, the site's content and folder,
//! the templates of its kind and `_base`, its theme, and its platform data.
//! `build --changed` rebuilds a site only when this differs from the digest in
//! its manifest.

use std::path::Path;

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::build::BuildOptions;
use crate::config::{Site, Workspace};
use crate::platform::PlatformData;

/// Hashes every file under `dir` (path relative to `rel_to`, then bytes), in
/// name order; a missing folder hashes as empty. Files are read and hashed
/// in parallel, then their digests are combined in order.
fn hash_tree(h: &mut Sha256, dir: &Path, rel_to: &Path) {
    use rayon::prelude::*;
    if !dir.exists() {
        return;
    }
    let files: Vec<std::path::PathBuf> = WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect();
    let digests: Vec<_> = files
        .par_iter()
        .map(|path| {
            let mut f = Sha256::new();
            let rel = path.strip_prefix(rel_to).unwrap_or(path);
            f.update(rel.to_string_lossy().as_bytes());
            f.update([0]);
            if let Ok(bytes) = std::fs::read(path) {
                f.update((bytes.len() as u64).to_le_bytes());
                f.update(&bytes);
            }
            f.finalize()
        })
        .collect();
    for d in digests {
        h.update(d);
    }
}

/// The digest of the site's inputs, with its platform data already loaded,
/// built with `opts`.
pub fn digest(ws: &Workspace, site: &Site, data: &PlatformData, opts: &BuildOptions) -> String {
    let mut h = Sha256::new();
    h.update(concat!("sitegen ", env!("CARGO_PKG_VERSION")).as_bytes());
    hash_options(&mut h, opts);
    let root = &ws.root;
    hash_tree(&mut h, &root.join("sitegen.yaml"), root);
    for dir in [
        &site.site_dir,
        &site.content_dir,
        &site.kind_dir,
        &site.base_dir,
        &site.theme_dir,
    ] {
        hash_tree(&mut h, dir, root);
    }
    h.update(b"platform\0");
    h.update(serde_json::to_vec(data).unwrap_or_default());
    for p in &data.profiles {
        if let Some(file) = &p.avatar_file {
            if let Ok(bytes) = std::fs::read(file) {
                h.update(&bytes);
            }
        }
    }
    crate::digest::sha256_hex(&h.finalize())
}

/// The build options that are inputs. Every field is named here so that a
/// new option is a compile error until it is sorted into one of the two lists.
fn hash_options(h: &mut Sha256, opts: &BuildOptions) {
    let BuildOptions {
        // Change the output: drafts and future pages add pages.
        drafts,
        future,
        // Changes whether a build succeeds: a site built with warnings must
        // not pass as "unchanged" under `--strict`, which fails on them.
        strict,
        // Not inputs. How data was fetched does not matter, only the data
        // itself, which is hashed below (stale cached data included: when it
        // equals what the last build used, so does the output). Preview and
        // incremental builds (`serve`) record no digest.
        fetch: _,
        data: _,
        mode: _,
        incremental: _,
        // Not an input either: the output depends on the clock only at the
        // instants the manifest records (`next_change`), and `--changed`
        // builds again once that one has passed.
        now: _,
    } = opts;
    h.update(format!("options drafts={drafts} future={future} strict={strict}\0").as_bytes());
}

/// The inputs digest recorded in a built site's manifest, if any and if
/// its pages have not changed by the clock alone by `now` (a tour leg
/// became past since): then the same inputs no longer give the same output.
/// A build made for a set instant (`--clock`) counts only for that instant.
pub fn recorded(dist: &Path, clock: Option<time::OffsetDateTime>) -> Option<String> {
    let manifest = crate::manifest::Manifest::read(dist).ok()?;
    let now = clock.unwrap_or_else(time::OffsetDateTime::now_utc);
    if manifest.outdated_at(now) || manifest.clock != clock.map(crate::clock::format) {
        return None;
    }
    manifest.inputs
}

/// Whether `domain` is in shard `index` of `count` (1-based), by a stable hash.
pub fn in_shard(domain: &str, index: u32, count: u32) -> bool {
    let d = Sha256::digest(domain.as_bytes());
    let n = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
    n % u64::from(count) == u64::from(index - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_domain_exactly_once() {
        let domains: Vec<String> = (0..500).map(|i| format!("site-{i}.example")).collect();
        for n in [1, 2, 3, 7] {
            let mut sizes = Vec::new();
            for d in &domains {
                let hits = (1..=n).filter(|i| in_shard(d, *i, n)).count();
                assert_eq!(hits, 1, "{d} in {hits} of {n} shards");
            }
            for i in 1..=n {
                sizes.push(domains.iter().filter(|d| in_shard(d, i, n)).count());
            }
            assert!(sizes.iter().all(|s| *s > 500 / n as usize / 2), "{sizes:?}");
        }
    }
}
