//! Platform data: the only module that talks to the platform API or reads
//! its snapshots. Returns typed public view models that passed the tenant
//! guard; raw JSON never leaves this module.
//!
//! Sources: the API (when `platform.api_base` or `SITEGEN_PLATFORM_API` is
//! set), with a per-tenant cache for ETag revalidation, `--offline` and
//! `--stale-ok`; otherwise the snapshots in `data/platform/<tenant-slug>/`.

pub mod api;
pub mod cache;
pub mod guard;
pub mod model;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use model::{ExternalLink, LegStatus, PlatformData, Profile, Tenant, Tour, TourLeg};

use crate::config::{Site, Workspace};
use crate::error::{Error, Location, Result};
use crate::fsutil;
use api::{ApiError, Fetched};

/// Environment variable naming the API base URL; overrides sitegen.yaml.
pub const API_ENV: &str = "SITEGEN_PLATFORM_API";
/// Default environment variable holding the API token.
pub const TOKEN_ENV: &str = "SITEGEN_PLATFORM_TOKEN";

/// How a build may use the network and the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FetchMode {
    /// Ask the API (revalidating cached copies); fail if it cannot answer.
    #[default]
    Online,
    /// Use only the cache; fail if an entry is missing.
    Offline,
    /// Ask the API; if it is unavailable, use the cache and say so.
    StaleOk,
}

/// One page of a list endpoint, as the API serves it.
#[derive(Debug, Deserialize, Serialize)]
struct ListPage<T> {
    items: Vec<T>,
    #[serde(default)]
    next: Option<String>,
}

/// Where a site's platform data comes from.
enum Source {
    Snapshot(PathBuf),
    Api {
        client: Box<api::Client>,
        cache: cache::Cache,
        mode: FetchMode,
    },
}

/// A response as loaded, before the guard.
enum Loaded<T> {
    /// From the API (a 200) or a snapshot file; guarded, then cached (API only).
    Fresh { value: T, etag: Option<String> },
    /// From the cache (a 304, `--offline`, `--stale-ok`); guarded again.
    Cached(T),
}

/// Reads one tenant's data from one source and guards every record, on
/// every path: a fresh response, a revalidated or offline or stale cache
/// entry, a snapshot.
pub struct Fetcher<'a> {
    site: &'a Site,
    source: Source,
    /// Requests answered from a stale cache (`--stale-ok`), for loud warnings.
    stale: Vec<String>,
    /// Values dropped while loading (refused URLs).
    warnings: Vec<String>,
    max_media_bytes: u64,
    max_pages: u32,
    max_fetch: Duration,
    /// When loading must have finished (`platform.max_fetch_secs`).
    deadline: Instant,
}

impl<'a> Fetcher<'a> {
    /// Chooses the source for `site`: the API when configured, else snapshots.
    pub fn new(ws: &Workspace, site: &'a Site, mode: FetchMode) -> Result<Fetcher<'a>> {
        let slug = site.config.tenant.slug.as_str();
        let source = match api_config(ws, site)? {
            Some(cfg) => Source::Api {
                cache: cache::Cache::new(&ws.root, &cfg.base, &site.config.tenant),
                client: Box::new(api::Client::new(cfg)?),
                mode,
            },
            None => Source::Snapshot(ws.root.join("data/platform").join(slug)),
        };
        let p = &ws.config.platform;
        let max_fetch = Duration::from_secs(p.max_fetch_secs);
        Ok(Fetcher {
            site,
            source,
            stale: Vec::new(),
            warnings: Vec::new(),
            max_media_bytes: p.max_media_bytes,
            max_pages: p.max_pages,
            max_fetch,
            deadline: Instant::now() + max_fetch,
        })
    }

    pub fn is_api(&self) -> bool {
        matches!(self.source, Source::Api { .. })
    }

    /// Fetches the tenant, its profiles and tours, all guarded.
    pub fn load(mut self) -> Result<PlatformData> {
        let site = self.site;
        let want = &site.config.tenant;
        let domain = site.domain();
        let slug = want.slug.as_str();

        let tenant_path = format!("/v1/public/tenants/{slug}");
        let label = self.label(&tenant_path);
        let src = guard::Source {
            site,
            endpoint: &label,
        };
        let mut tenant: Tenant = self.fetch_one(&tenant_path, |t: Tenant| {
            guard::check_tenant(&src, want, &t)?;
            Ok(t)
        })?;
        tenant.sanitize(&mut self.warnings);

        let profiles_path = format!("/v1/public/tenants/{slug}/profiles");
        let label = self.label(&profiles_path);
        let src = guard::Source {
            site,
            endpoint: &label,
        };
        let mut profiles: Vec<Profile> = self.fetch_list(&profiles_path, |items| {
            guard::filter_profiles(&src, &tenant, items)
        })?;
        for p in &mut profiles {
            p.sanitize(&mut self.warnings);
            if !crate::text::is_safe_segment(&p.slug) {
                return Err(Error::platform(format!(
                    "site {domain}: {label} returned profile {:?} with an unusable slug",
                    p.id
                )));
            }
        }
        profiles.sort_by(|a, b| a.display_name.cmp(&b.display_name).then(a.id.cmp(&b.id)));
        for p in &mut profiles {
            if let Some(reference) = p.avatar_url.clone() {
                p.avatar_file = Some(self.media(&p.id, &p.slug, &reference)?);
            }
        }

        let tours_path = format!("/v1/public/tenants/{slug}/tours");
        let label = self.label(&tours_path);
        let src = guard::Source {
            site,
            endpoint: &label,
        };
        let mut tours: Vec<Tour> = self.fetch_list(&tours_path, |items| {
            guard::check_tours(&src, &tenant, &items)?;
            Ok(items)
        })?;
        for t in &mut tours {
            t.sanitize(&mut self.warnings);
        }

        for what in &self.stale {
            tracing::warn!("{domain}: built from STALE cached platform data for {what}: the API was unavailable");
        }
        Ok(PlatformData {
            tenant,
            profiles,
            tours,
            stale: self.stale,
            warnings: self.warnings,
        })
    }

    /// Loads one response and runs `guard` on it, whatever its source;
    /// a fresh API response is cached only after it passed.
    fn fetch_one<T>(&mut self, path: &str, guard: impl Fn(T) -> Result<T>) -> Result<T>
    where
        T: DeserializeOwned + Serialize,
    {
        match self.get::<T>(path)? {
            Loaded::Fresh { value, etag } => {
                let value = guard(value)?;
                if let Source::Api { cache, .. } = &self.source {
                    let data = serde_json::to_value(&value).expect("view models serialize");
                    cache.put(path, etag, data)?;
                }
                Ok(value)
            }
            Loaded::Cached(value) => guard(value),
        }
    }

    /// Follows `next` cursors, at most `platform.max_pages` of them; the
    /// guard runs on every page.
    fn fetch_list<T>(
        &mut self,
        path: &str,
        guard: impl Fn(Vec<T>) -> Result<Vec<T>>,
    ) -> Result<Vec<T>>
    where
        T: DeserializeOwned + Serialize,
    {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        let mut seen = std::collections::BTreeSet::new();
        loop {
            let page_path = match &cursor {
                Some(c) => format!("{path}?cursor={}", encode_query(c)),
                None => path.to_string(),
            };
            let page: ListPage<T> = self.fetch_one(&page_path, |page: ListPage<T>| {
                Ok(ListPage {
                    items: guard(page.items)?,
                    next: page.next,
                })
            })?;
            all.extend(page.items);
            match page.next {
                Some(next) if self.is_api() => {
                    if !seen.insert(next.clone()) {
                        return Err(Error::platform(format!(
                            "site {}: {} returned a pagination cursor that loops",
                            self.site.domain(),
                            endpoint_name(path)
                        )));
                    }
                    if seen.len() >= self.max_pages as usize {
                        return Err(Error::platform(format!(
                            "site {}: {} has more than {} pages (platform.max_pages)",
                            self.site.domain(),
                            endpoint_name(path),
                            self.max_pages
                        ))
                        .hint("nothing was built; the API may be paginating without end: report it to the platform team, or raise platform.max_pages in sitegen.yaml if the tenant really has that much data"));
                    }
                    cursor = Some(next);
                }
                Some(_) => {
                    return Err(Error::platform(
                        "snapshot is an incomplete page (it has a `next` cursor)",
                    )
                    .at(Location::file(snapshot_file(self.snapshot_dir(), path))))
                }
                None => return Ok(all),
            }
        }
    }

    /// The local file behind a profile's avatar: inside the snapshot folder,
    /// or downloaded from the tenant's media path on the API's origin into
    /// the media cache (media URLs are content-addressed by the platform, so
    /// a cached copy is reused). Messages never repeat the reference itself.
    fn media(&mut self, profile: &str, name: &str, reference: &str) -> Result<PathBuf> {
        let domain = self.site.domain();
        let slug = self.site.config.tenant.slug.as_str();
        match &self.source {
            Source::Snapshot(dir) => {
                let rel = Path::new(reference);
                let confined = !reference.contains("://")
                    && rel.is_relative()
                    && rel
                        .components()
                        .all(|c| matches!(c, std::path::Component::Normal(_)));
                let file = dir.join(rel);
                if !confined || !file.is_file() {
                    return Err(Error::platform(format!(
                        "profile {profile}: avatar_url is not a file in the snapshot folder"
                    ))
                    .at(Location::file(snapshot_file(dir, "/profiles")))
                    .hint("snapshots name media relative to their folder (media/<slug>.jpg); `sitegen fetch` writes them so"));
                }
                self.site.roots.snapshot.check(&file)
            }
            Source::Api {
                client,
                cache,
                mode,
            } => {
                let url = client.media_url(reference, slug).ok_or_else(|| {
                    Error::platform(format!(
                        "site {domain}: profile {profile}: avatar_url is not under the tenant's media path on the platform API's origin ({}/v1/public/media/{slug}/…); it was not downloaded",
                        client.base()
                    ))
                    .hint("media of a tenant must be served under its own media path (docs/platform-api.md); report this to the platform team")
                })?;
                let file = cache.media_file(name, &url);
                if file.is_file() {
                    return Ok(file);
                }
                if *mode == FetchMode::Offline {
                    return Err(Error::platform(format!(
                        "site {domain}: --offline, and the avatar of profile {profile} is not cached"
                    )));
                }
                if Instant::now() > self.deadline {
                    return Err(self.too_slow("the avatar of profile ".to_string() + profile));
                }
                let max = self.max_media_bytes;
                let bytes = client.get_media(&url, max).map_err(|e| match e {
                    ApiError::Unavailable(m) | ApiError::Rejected(m) => {
                        Error::platform(format!("site {domain}: avatar of profile {profile}: {m}"))
                    }
                })?;
                cache.put_media(&file, &bytes)?;
                Ok(file)
            }
        }
    }

    /// The error for a load that ran past `platform.max_fetch_secs`.
    fn too_slow(&self, next: String) -> Error {
        Error::platform(format!(
            "site {}: loading platform data took longer than {} s (platform.max_fetch_secs); stopped before {next}",
            self.site.domain(),
            self.max_fetch.as_secs()
        ))
        .hint("nothing was built; the API is slow or paginates without end: retry later, or raise platform.max_fetch_secs in sitegen.yaml")
    }

    /// How errors name a request: the snapshot file, or `GET <path>`.
    fn label(&self, path: &str) -> String {
        match &self.source {
            Source::Snapshot(dir) => snapshot_file(dir, path).display().to_string(),
            Source::Api { .. } => format!("GET {}", path.split('?').next().unwrap_or(path)),
        }
    }

    fn snapshot_dir(&self) -> &Path {
        match &self.source {
            Source::Snapshot(dir) => dir,
            Source::Api { .. } => Path::new(""),
        }
    }

    /// Gets one response through the source, parsed as view models but not
    /// yet guarded.
    fn get<T: DeserializeOwned>(&mut self, path: &str) -> Result<Loaded<T>> {
        let domain = self.site.domain();
        match &self.source {
            Source::Snapshot(dir) => {
                if !dir.is_dir() {
                    return Err(Error::platform(format!(
                        "no platform data for tenant {}: {} does not exist",
                        self.site.config.tenant,
                        dir.display()
                    ))
                    .at(Location::file(&self.site.config_path).key("tenant"))
                    .hint("set platform.api_base in sitegen.yaml, or run `sitegen fetch <domain>` where the API is reachable"));
                }
                let file = snapshot_file(dir, path);
                let is_list = !file.ends_with("tenant.json");
                let text = if is_list && !file.is_file() && !is_link(&file) {
                    // A list endpoint without a snapshot file is an empty list.
                    "{\"items\": [], \"next\": null}".to_string()
                } else {
                    self.site.roots.snapshot.read_to_string(&file)?
                };
                let value = Origin::File(&file).parse(&text)?;
                Ok(Loaded::Fresh { value, etag: None })
            }
            Source::Api {
                client,
                cache,
                mode,
            } => {
                let endpoint = endpoint_name(path);
                // A cached entry is usable only if it is this API's and this
                // tenant's, in this sitegen's format, and parses as the view model.
                let cached: Option<std::result::Result<(T, Option<String>), String>> =
                    match cache.get(path) {
                        cache::Lookup::Missing => None,
                        cache::Lookup::Unusable(why) => Some(Err(why)),
                        cache::Lookup::Found(entry) => Some(
                            serde_json::from_value::<T>(entry.data)
                                .map(|v| (v, entry.etag))
                                .map_err(|_| "it was written by another version of sitegen".into()),
                        ),
                    };
                if *mode == FetchMode::Offline {
                    return match cached {
                        Some(Ok((value, _))) => Ok(Loaded::Cached(value)),
                        None => Err(Error::platform(format!(
                            "site {domain}: --offline, and nothing is cached for {endpoint}"
                        ))
                        .hint("build once with the API reachable (or run `sitegen fetch`) to fill .sitegen/cache/")),
                        Some(Err(why)) => Err(Error::platform(format!(
                            "site {domain}: --offline, and the cached {endpoint} cannot be used: {why}"
                        ))
                        .hint(format!("build once with the API reachable to refresh {}", cache.dir().display()))),
                    };
                }
                if Instant::now() > self.deadline {
                    return Err(self.too_slow(format!("GET {}", path)));
                }
                let usable = cached.and_then(|c| c.ok());
                let etag = usable.as_ref().and_then(|(_, etag)| etag.as_deref());
                match client.get(path, etag) {
                    Ok(Fetched::Fresh { body, etag }) => {
                        let value = Origin::Api { client, path, domain }.parse(&body)?;
                        Ok(Loaded::Fresh { value, etag })
                    }
                    Ok(Fetched::NotModified) => match usable {
                        Some((value, _)) => Ok(Loaded::Cached(value)),
                        None => Err(Error::platform(format!(
                            "site {domain}: GET {path} answered 304 Not Modified to a request without a cached copy"
                        ))),
                    },
                    Err(ApiError::Unavailable(msg)) => match (mode, usable) {
                        (FetchMode::StaleOk, Some((value, _))) => {
                            self.stale.push(format!("{endpoint} ({msg})"));
                            Ok(Loaded::Cached(value))
                        }
                        (FetchMode::StaleOk, None) => Err(Error::platform(format!(
                            "site {domain}: the platform API is unavailable and nothing usable is cached: {msg}"
                        ))),
                        _ => Err(Error::platform(format!("site {domain}: the platform API is unavailable: {msg}"))
                            .hint("nothing was built; retry later, or pass --stale-ok to build from the last cached data")),
                    },
                    Err(ApiError::Rejected(msg)) => {
                        let mut e = Error::platform(format!("site {domain}: the platform API refused the request: {msg}"));
                        if msg.contains("HTTP 401") || msg.contains("HTTP 403") {
                            e = e.hint(format!("check the token in ${}", token_env(self.site)));
                        } else if msg.contains("platform.max_body_bytes") {
                            e = e.hint("nothing was built; raise platform.max_body_bytes in sitegen.yaml if the tenant really has that much data");
                        }
                        Err(e)
                    }
                }
            }
        }
    }
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Where a body came from, for parse errors.
enum Origin<'a> {
    File(&'a Path),
    Api {
        client: &'a api::Client,
        path: &'a str,
        domain: &'a str,
    },
}

impl Origin<'_> {
    /// Parses a body as view models. Errors name where (file:line:col, or
    /// the request) and the JSON path of the bad value, never the value.
    fn parse<T: DeserializeOwned>(&self, body: &str) -> Result<T> {
        let mut de = serde_json::Deserializer::from_str(body);
        let result = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Ok(value) => de.end().map(|()| value).map_err(|e| (String::new(), e)),
            Err(e) => Err((e.path().to_string(), e.into_inner())),
        };
        result.map_err(|(key, e)| {
            let key = if key == "." { String::new() } else { key };
            let message = scrub_values(&e.to_string());
            match self {
                Origin::File(file) => Error::platform(format!(
                    "malformed platform data: {message}"
                ))
                .at(Location::file(file)
                    .line(e.line())
                    .column(e.column())
                    .key(key)),
                Origin::Api {
                    client,
                    path,
                    domain,
                } => {
                    let at = if key.is_empty() {
                        String::new()
                    } else {
                        format!(" at {key}")
                    };
                    Error::platform(format!(
                        "site {domain}: GET {}{path} returned malformed JSON{at}: {message}",
                        client.base(),
                    ))
                }
            }
        })
    }
}

/// A serde_json message without the record values it quotes:
/// `invalid type: string "Jules", expected u32 at line 3 column 9` →
/// `invalid type: string "…", expected u32`. What is expected (the schema)
/// and field names (`missing field `id``) stay.
fn scrub_values(msg: &str) -> String {
    let msg = match msg.find(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    let (head, tail) = match msg.find(", expected") {
        Some(i) => msg.split_at(i),
        None => (msg, ""),
    };
    if ["missing field", "unknown field", "duplicate field"]
        .iter()
        .any(|p| head.starts_with(p))
    {
        return msg.to_string();
    }
    let mut out = String::with_capacity(head.len());
    let mut quote: Option<char> = None;
    for c in head.chars() {
        match quote {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    quote = Some(c);
                }
            }
        }
    }
    if quote.is_some() {
        out.push('…');
    }
    out + tail
}

/// `/v1/public/tenants/x/profiles?cursor=..` → `profiles`; the tenant path → `tenant`.
fn endpoint_name(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [.., "tenants", _slug] => "tenant endpoint".into(),
        [.., last] => format!("{last} endpoint"),
        [] => path.into(),
    }
}

/// The snapshot file that stands for an API path.
fn snapshot_file(dir: &Path, path: &str) -> PathBuf {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [.., "tenants", _slug] => dir.join("tenant.json"),
        [.., last] => dir.join(format!("{last}.json")),
        [] => dir.join("tenant.json"),
    }
}

/// What a query value keeps as written: RFC 3986's unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A cursor as a query value: everything but unreserved characters escaped.
fn encode_query(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// The environment variable that holds this site's token.
pub fn token_env(site: &Site) -> &str {
    site.config.tenant.token_env.as_deref().unwrap_or(TOKEN_ENV)
}

/// The API settings for a site, or None when builds read snapshots.
fn api_config(ws: &Workspace, site: &Site) -> Result<Option<api::ApiConfig>> {
    let p = &ws.config.platform;
    let base = match std::env::var(API_ENV).ok().filter(|v| !v.trim().is_empty()) {
        Some(env) => crate::config::ApiBase::parse(env.trim())
            .map_err(|e| Error::config(format!("${API_ENV}: {e}")))?,
        None => match &p.api_base {
            Some(b) => b.clone(),
            None => return Ok(None),
        },
    };
    let var = token_env(site);
    let token = std::env::var(var).ok().filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        Error::platform(format!("site {}: ${var} is not set; the platform API needs a token", site.domain()))
            .hint(format!("export {var}=<token>, or unset {API_ENV} / platform.api_base to build from snapshots"))
    })?;
    Ok(Some(api::ApiConfig {
        base: base.as_str().trim_end_matches('/').to_string(),
        token: token.trim().to_string(),
        connect_timeout: Duration::from_millis(p.connect_timeout_ms),
        timeout: Duration::from_millis(p.timeout_ms),
        retries: p.retries,
        backoff: Duration::from_millis(p.backoff_ms),
        max_retry_after: Duration::from_secs(p.max_retry_after_secs),
        max_body_bytes: p.max_body_bytes,
    }))
}

/// Whether builds of `site` read the platform API (else snapshots).
pub fn has_api(ws: &Workspace, site: &Site) -> Result<bool> {
    Ok(api_config(ws, site)?.is_some())
}

/// Loads the site's tenant data from its source, guarded.
pub fn load(ws: &Workspace, site: &Site, mode: FetchMode) -> Result<PlatformData> {
    Fetcher::new(ws, site, mode)?.load()
}

/// `sitegen fetch`: fetches from the API and writes the guarded public data
/// as the tenant's snapshot under `data/platform/<slug>/`.
pub fn fetch_snapshot(ws: &Workspace, site: &Site) -> Result<(PlatformData, PathBuf)> {
    let fetcher = Fetcher::new(ws, site, FetchMode::Online)?;
    if !fetcher.is_api() {
        return Err(Error::config("no platform API is configured").hint(format!(
            "set platform.api_base in sitegen.yaml or ${API_ENV}"
        )));
    }
    let data = fetcher.load()?;
    let dir = ws
        .root
        .join("data/platform")
        .join(site.config.tenant.slug.as_str());
    fsutil::create_dir_all(&dir)?;
    for (rel, bytes) in snapshot_files(&data, true)? {
        // Never write through a link that leads out of the snapshot folder.
        let file = site.roots.snapshot.check(&dir.join(&rel))?;
        if let Some(parent) = file.parent() {
            fsutil::create_dir_all(parent)?;
        }
        fsutil::write_atomic(&file, &bytes)?;
    }
    Ok((data, dir))
}

/// Guarded public data as snapshot files (path in the snapshot folder →
/// bytes): `tenant.json`, `profiles.json`, `tours.json` and, `with_media`,
/// each avatar as `media/<profile slug>.<ext>`, which `avatar_url` then
/// names (without, `avatar_url` stays the API's).
pub fn snapshot_files(data: &PlatformData, with_media: bool) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut profiles = data.profiles.clone();
    for p in profiles.iter_mut().filter(|_| with_media) {
        if let Some(file) = &p.avatar_file {
            let bytes = fsutil::read(file)?;
            let ext = image::guess_format(&bytes)
                .ok()
                .and_then(|f| f.extensions_str().first().copied())
                .unwrap_or("bin");
            let rel = format!("media/{}.{ext}", p.slug);
            out.push((rel.clone(), bytes));
            p.avatar_url = Some(rel);
        }
    }
    let files: [(&str, serde_json::Value); 3] = [
        (
            "tenant.json",
            serde_json::to_value(&data.tenant).expect("serializes"),
        ),
        (
            "profiles.json",
            serde_json::json!({"items": profiles, "next": null}),
        ),
        (
            "tours.json",
            serde_json::json!({"items": data.tours, "next": null}),
        ),
    ];
    for (name, value) in files {
        let mut json = serde_json::to_vec_pretty(&value).expect("serializes");
        json.push(b'\n');
        out.push((name.to_string(), json));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_escaped_as_query_values() {
        assert_eq!(encode_query("off-2_a.b~c"), "off-2_a.b~c");
        assert_eq!(
            encode_query("a b/c?d&e=f+g#h%"),
            "a%20b%2Fc%3Fd%26e%3Df%2Bg%23h%25"
        );
        assert_eq!(encode_query("café"), "caf%C3%A9");
    }
}
