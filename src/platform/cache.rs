//! The response cache: one folder per API and tenant,
//! `.sitegen/cache/platform/<api>-<kind>-<slug>/` (`<api>` is a short hash
//! of the API base URL), one file per request (path and cursor), holding the
//! ETag and the guarded public view models of that response. Never raw API
//! bodies, never the token, never under dist/.
//!
//! An entry records the cache format, the API base and the tenant it was
//! fetched for; an entry that does not match all three is never used (a site
//! whose site.yaml says `person:la-ruche` cannot read what was fetched for
//! `org:la-ruche`). The caller still runs the tenant guard on every entry it
//! uses. Entries are written to a unique temporary file and renamed, so two
//! builds (or two threads) never interleave their bytes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::TenantRef;
use crate::digest::sha256_hex;
use crate::error::Result;
use crate::fsutil::write_atomic;

/// Bumped whenever the view models or the entry layout change: entries of
/// another format are misses.
pub const FORMAT: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub format: u32,
    /// The API base URL the entry was fetched from.
    pub api_base: String,
    /// The tenant it was fetched for: `org:cocotte`.
    pub tenant: String,
    /// The request path, for people reading the cache.
    pub path: String,
    pub etag: Option<String>,
    /// Public view models of the response, after the tenant guard.
    pub data: serde_json::Value,
}

/// What the cache holds for a request.
#[derive(Debug)]
pub enum Lookup {
    Missing,
    /// An entry exists but cannot be used, and why (another format, API or
    /// tenant, or unreadable).
    Unusable(String),
    Found(Entry),
}

pub struct Cache {
    dir: PathBuf,
    api_base: String,
    tenant: String,
}

impl Cache {
    pub fn new(root: &Path, api_base: &str, tenant: &TenantRef) -> Cache {
        let api = &sha256_hex(api_base.as_bytes())[..12];
        Cache {
            dir: root
                .join(".sitegen/cache/platform")
                .join(format!("{api}-{}-{}", tenant.kind, tenant.slug)),
            api_base: api_base.to_string(),
            tenant: tenant.to_string(),
        }
    }

    /// The folder of this API and tenant.
    pub fn dir(&self) -> &Path {
        &self.dir
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

    /// The cached entry for `path`, checked against this cache's format,
    /// API and tenant.
    pub fn get(&self, path: &str) -> Lookup {
        let text = match std::fs::read_to_string(self.file(path)) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Missing,
            Err(e) => return Lookup::Unusable(format!("it cannot be read ({e})")),
        };
        #[derive(Deserialize)]
        struct Head {
            #[serde(default)]
            format: u32,
        }
        match serde_json::from_str::<Head>(&text) {
            Ok(head) if head.format == FORMAT => {}
            Ok(_) => {
                return Lookup::Unusable("it was written by another version of sitegen".into())
            }
            Err(_) => return Lookup::Unusable("it is not a complete cache entry".into()),
        }
        let entry: Entry = match serde_json::from_str(&text) {
            Ok(entry) => entry,
            Err(_) => return Lookup::Unusable("it is not a complete cache entry".into()),
        };
        if entry.api_base != self.api_base || entry.tenant != self.tenant || entry.path != path {
            return Lookup::Unusable(format!(
                "it was fetched for another API, tenant or request than {} at {}",
                self.tenant, self.api_base
            ));
        }
        Lookup::Found(entry)
    }

    /// Where the media file downloaded from `url` is kept: `<name>-<hash of url>`.
    pub fn media_file(&self, name: &str, url: &str) -> PathBuf {
        self.dir
            .join("media")
            .join(format!("{name}-{}", &sha256_hex(url.as_bytes())[..16]))
    }

    /// Stores a downloaded media file.
    pub fn put_media(&self, file: &Path, bytes: &[u8]) -> Result<()> {
        write_atomic(file, bytes)
    }

    /// Stores the guarded view models of the response to `path`, replacing
    /// any earlier entry.
    pub fn put(&self, path: &str, etag: Option<String>, data: serde_json::Value) -> Result<()> {
        let entry = Entry {
            format: FORMAT,
            api_base: self.api_base.clone(),
            tenant: self.tenant.clone(),
            path: path.to_string(),
            etag,
            data,
        };
        let json = serde_json::to_vec_pretty(&entry).expect("cache entry serializes");
        write_atomic(&self.file(path), &json)
    }
}
