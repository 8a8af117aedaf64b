//! `manifest.json`: the one on-disk record of a finished build — every file
//! of `public/` with its size and SHA-256, the generator and the inputs
//! digest. Written beside `public/` by the disk sink, shipped with each
//! release as `.sitegen-manifest.json`, and read back by `deploy` (to verify
//! the bundle and carry assets), `build --changed` (the inputs digest) and
//! `publish`. This module is the only place that knows its shape.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::digest::sha256_hex;
use crate::error::{Error, Location, Result};
use crate::fsutil;

/// The manifest's file name inside a built site's folder (`dist/<domain>/`).
pub const FILE: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub generator: String,
    pub domain: String,
    /// Digest of everything the build read (`inputs::digest`); absent for
    /// builds that record none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
    /// When the pages change next by the clock alone (RFC 3339, UTC): a
    /// tour leg becomes past. `build --changed` builds again from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_change: Option<String>,
    /// The instant the build rendered for when one was set (`--clock`):
    /// `build --changed` builds again for any other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// Pages' old addresses (front matter `aliases`) → their URLs: redirects
    /// in the nginx config, which `deploy` generates again to compare.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aliases: BTreeMap<String, String>,
    pub files: Vec<Entry>,
}

/// One file of `public/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Path inside `public/`, `/`-separated, no leading slash.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    /// The manifest of a bundle's files (hashes computed in parallel).
    pub fn of(domain: &str, inputs: Option<&str>, files: &BTreeMap<String, Vec<u8>>) -> Manifest {
        let files = files
            .par_iter()
            .map(|(path, bytes)| Entry {
                path: path.clone(),
                bytes: bytes.len() as u64,
                sha256: sha256_hex(bytes),
            })
            .collect();
        Manifest {
            generator: concat!("sitegen ", env!("CARGO_PKG_VERSION")).to_string(),
            domain: domain.to_string(),
            inputs: inputs.map(str::to_string),
            next_change: None,
            clock: None,
            aliases: BTreeMap::new(),
            files,
        }
    }

    /// Pretty JSON with a final newline, as written to disk.
    pub fn to_json(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self).expect("a manifest serializes");
        json.push(b'\n');
        json
    }

    /// Parses manifest bytes; `origin` names them in the error.
    pub fn parse(bytes: &[u8], origin: &Path) -> Result<Manifest> {
        serde_json::from_slice(bytes).map_err(|e| {
            Error::deploy(format!("unreadable manifest: {e}"))
                .at(Location::file(origin))
                .with_source(e)
        })
    }

    /// The manifest of the built site in `dir` (`dist/<domain>/`).
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = path(dir);
        Manifest::parse(&fsutil::read(&path)?, &path)
    }

    /// Whether the output changes by the clock alone by `now`.
    pub fn outdated_at(&self, now: time::OffsetDateTime) -> bool {
        self.next_change
            .as_deref()
            .and_then(|t| crate::clock::parse(t).ok())
            .is_some_and(|t| t <= now)
    }

    /// Paths of the files it lists.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|f| f.path.as_str())
    }
}

/// Where the manifest of the built site in `dir` is.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_what_was_written_and_keeps_its_layout() {
        let files = BTreeMap::from([("index.html".to_string(), b"<p>hi".to_vec())]);
        let m = Manifest::of("example.org", Some("abc"), &files);
        let json = m.to_json();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(
            text.starts_with("{\n  \"generator\": \"sitegen ")
                && text.contains("\"domain\": \"example.org\",\n  \"inputs\": \"abc\",\n  \"files\": [\n    {\n      \"path\": \"index.html\",\n      \"bytes\": 5,\n      \"sha256\": \"")
                && text.ends_with("}\n"),
            "{text}"
        );
        assert_eq!(Manifest::parse(&json, Path::new("m")).unwrap(), m);
        let text = String::from_utf8(Manifest::of("example.org", None, &files).to_json()).unwrap();
        assert!(!text.contains("inputs"), "{text}");
        let err =
            Manifest::parse(b"{\"files\": 3}", Path::new("dist/x/manifest.json")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("dist/x/manifest.json: unreadable manifest: "),
            "{err}"
        );
        assert!(std::error::Error::source(&err).is_some());
    }
}
