//! The response cache: `.sitegen/cache/platform/<tenant-slug>/`, one file per
//! request (path and cursor), holding the ETag and the guarded public view
//! models of that response. Never raw API bodies, never the token, never
//! under dist/.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::assets::sha256_hex;
use crate::error::Result;
use crate::fsutil;

#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    /// The request path, for people reading the cache.
    pub path: String,
    pub etag: Option<String>,
    /// Public view models of the response, after the tenant guard.
    pub data: serde_json::Value,
}

pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    pub fn new(root: &Path, tenant_slug: &str) -> Cache {
        Cache {
            dir: root.join(".sitegen/cache/platform").join(tenant_slug),
        }
    }

    fn file(&self, path: &str) -> PathBuf {
        // Readable prefix, unique suffix: "profiles-3f2a9c1d.json".
        let endpoint = path.rsplit('/').next().unwrap_or("tenant");
        let endpoint: String = endpoint
            .split('?')
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        self.dir.join(format!(
            "{endpoint}-{}.json",
            &sha256_hex(path.as_bytes())[..12]
        ))
    }

    /// The cached entry for `path`, if any and readable.
    pub fn get(&self, path: &str) -> Option<Entry> {
        let text = std::fs::read_to_string(self.file(path)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Where the media file downloaded from `url` is kept: `<name>-<hash of url>`.
    pub fn media_file(&self, name: &str, url: &str) -> PathBuf {
        self.dir
            .join("media")
            .join(format!("{name}-{}", &sha256_hex(url.as_bytes())[..16]))
    }

    /// Stores a downloaded media file, by rename.
    pub fn put_media(&self, file: &Path, bytes: &[u8]) -> Result<()> {
        fsutil::create_dir_all(file.parent().expect("in media/"))?;
        let tmp = file.with_extension(format!("tmp-{}", std::process::id()));
        fsutil::write(&tmp, bytes)?;
        fsutil::rename(&tmp, file)
    }

    /// Stores `entry`, replacing any earlier one by rename.
    pub fn put(&self, entry: &Entry) -> Result<()> {
        fsutil::create_dir_all(&self.dir)?;
        let file = self.file(&entry.path);
        let tmp = file.with_extension(format!("tmp-{}", std::process::id()));
        let json = serde_json::to_vec_pretty(entry).expect("cache entry serializes");
        fsutil::write(&tmp, &json)?;
        fsutil::rename(&tmp, &file)
    }
}
