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
use std::time::Duration;

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
        client: api::Client,
        cache: cache::Cache,
        mode: FetchMode,
    },
}

/// Reads one tenant's data from one source and guards every record.
pub struct Fetcher<'a> {
    site: &'a Site,
    source: Source,
    /// Requests answered from a stale cache (`--stale-ok`), for loud warnings.
    stale: Vec<String>,
    max_media_bytes: u64,
}

impl<'a> Fetcher<'a> {
    /// Chooses the source for `site`: the API when configured, else snapshots.
    pub fn new(ws: &Workspace, site: &'a Site, mode: FetchMode) -> Result<Fetcher<'a>> {
        let slug = site.config.tenant.slug.as_str();
        let source = match api_config(ws, site)? {
            Some(cfg) => Source::Api {
                client: api::Client::new(cfg).map_err(Error::platform)?,
                cache: cache::Cache::new(&ws.root, slug),
                mode,
            },
            None => Source::Snapshot(ws.root.join("data/platform").join(slug)),
        };
        Ok(Fetcher {
            site,
            source,
            stale: Vec::new(),
            max_media_bytes: ws.config.platform.max_media_bytes,
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
        let mut tenant: Tenant = self.fetch_one(&tenant_path, |t: &Tenant| {
            guard::check_tenant(
                &guard::Source {
                    domain,
                    endpoint: &label,
                },
                want,
                t,
            )
        })?;
        model::sanitize_links(&mut tenant.links);

        let profiles_path = format!("/v1/public/tenants/{slug}/profiles");
        let label = self.label(&profiles_path);
        let mut profiles: Vec<Profile> = self.fetch_list(&profiles_path, |items| {
            guard::filter_profiles(
                &guard::Source {
                    domain,
                    endpoint: &label,
                },
                &tenant,
                items,
            )
        })?;
        for p in &mut profiles {
            model::sanitize_links(&mut p.links);
            if !crate::content::is_safe_segment(&p.slug) {
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
        let tours: Vec<Tour> = self.fetch_list(&tours_path, |items| {
            guard::check_tours(
                &guard::Source {
                    domain,
                    endpoint: &label,
                },
                &tenant,
                &items,
            )?;
            Ok(items)
        })?;

        for what in &self.stale {
            tracing::warn!("{domain}: built from STALE cached platform data for {what}: the API was unavailable");
        }
        Ok(PlatformData {
            tenant,
            profiles,
            tours,
            stale: self.stale,
        })
    }

    fn fetch_one<T>(&mut self, path: &str, check: impl Fn(&T) -> Result<()>) -> Result<T>
    where
        T: DeserializeOwned + Serialize,
    {
        let value = self.fetch(path, &|body: &str, origin: &Origin<'_>| {
            let item: T = origin.parse(body)?;
            check(&item)?;
            Ok(serde_json::to_value(&item).expect("view model serializes"))
        })?;
        Ok(serde_json::from_value(value).expect("cached view model parses"))
    }

    /// Follows `next` cursors; the guard runs on every page before it is cached.
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
            let value = self.fetch(&page_path, &|body: &str, origin: &Origin<'_>| {
                let page: ListPage<T> = origin.parse(body)?;
                let items = guard(page.items)?;
                Ok(serde_json::to_value(ListPage {
                    items,
                    next: page.next,
                })
                .expect("serializes"))
            })?;
            let page: ListPage<T> = serde_json::from_value(value).expect("cached page parses");
            all.extend(page.items);
            match page.next {
                Some(next) if self.is_api() => {
                    if !seen.insert(next.clone()) || seen.len() > 10_000 {
                        return Err(Error::platform(format!(
                            "site {}: {} returned a pagination cursor that loops",
                            self.site.domain(),
                            endpoint_name(path)
                        )));
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
    /// or downloaded from the API's origin into the media cache (media URLs
    /// are content-addressed by the platform, so a cached copy is reused).
    fn media(&mut self, profile: &str, name: &str, reference: &str) -> Result<PathBuf> {
        let domain = self.site.domain();
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
                        "profile {profile}: avatar_url {reference:?} is not a file in the snapshot folder"
                    ))
                    .at(Location::file(snapshot_file(dir, "/profiles")))
                    .hint("snapshots name media relative to their folder (media/<slug>.jpg); `sitegen fetch` writes them so"));
                }
                Ok(file)
            }
            Source::Api {
                client,
                cache,
                mode,
            } => {
                let url = client.media_url(reference).ok_or_else(|| {
                    Error::platform(format!(
                        "site {domain}: profile {profile}: avatar_url {reference:?} is not on the platform API's origin; it was not downloaded"
                    ))
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

    /// Gets one response body through the source and turns it into guarded
    /// view-model JSON with `convert`.
    fn fetch(
        &mut self,
        path: &str,
        convert: &dyn Fn(&str, &Origin<'_>) -> Result<serde_json::Value>,
    ) -> Result<serde_json::Value> {
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
                if is_list && !file.is_file() {
                    // A list endpoint without a snapshot file is an empty list.
                    return convert("{\"items\": [], \"next\": null}", &Origin::File(&file));
                }
                let text = fsutil::read_to_string(&file)?;
                convert(&text, &Origin::File(&file))
            }
            Source::Api {
                client,
                cache,
                mode,
            } => {
                let cached = cache.get(path);
                if *mode == FetchMode::Offline {
                    return match cached {
                        Some(entry) => Ok(entry.data),
                        None => Err(Error::platform(format!(
                            "site {domain}: --offline, and nothing is cached for {}",
                            endpoint_name(path)
                        ))
                        .hint("build once with the API reachable (or run `sitegen fetch`) to fill .sitegen/cache/")),
                    };
                }
                let etag = cached.as_ref().and_then(|e| e.etag.as_deref());
                match client.get(path, etag) {
                    Ok(Fetched::Fresh { body, etag }) => {
                        let data = convert(&body, &Origin::Api { client, path, domain })?;
                        cache.put(&cache::Entry { path: path.to_string(), etag, data: data.clone() })?;
                        Ok(data)
                    }
                    Ok(Fetched::NotModified) => {
                        Ok(cached.expect("a 304 only answers a request that sent a cached ETag").data)
                    }
                    Err(ApiError::Unavailable(msg)) => match (mode, cached) {
                        (FetchMode::StaleOk, Some(entry)) => {
                            self.stale.push(format!("{} ({msg})", endpoint_name(path)));
                            Ok(entry.data)
                        }
                        (FetchMode::StaleOk, None) => Err(Error::platform(format!(
                            "site {domain}: the platform API is unavailable and nothing is cached: {msg}"
                        ))),
                        _ => Err(Error::platform(format!("site {domain}: the platform API is unavailable: {msg}"))
                            .hint("nothing was built; retry later, or pass --stale-ok to build from the last cached data")),
                    },
                    Err(ApiError::Rejected(msg)) => {
                        let mut e = Error::platform(format!("site {domain}: the platform API refused the request: {msg}"));
                        if msg.contains("HTTP 401") || msg.contains("HTTP 403") {
                            e = e.hint(format!("check the token in ${}", token_env(self.site)));
                        }
                        Err(e)
                    }
                }
            }
        }
    }
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
    fn parse<T: DeserializeOwned>(&self, body: &str) -> Result<T> {
        serde_json::from_str(body).map_err(|e| match self {
            Origin::File(file) => Error::platform(format!("malformed platform data: {e}"))
                .at(Location::file(file).line(e.line()).column(e.column())),
            Origin::Api {
                client,
                path,
                domain,
            } => Error::platform(format!(
                "site {domain}: GET {}{path} returned malformed JSON: {}",
                client.base(),
                client.redact(&e.to_string())
            )),
        })
    }
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

fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
    }))
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
    let mut data = data;
    for p in &mut data.profiles {
        if let Some(file) = &p.avatar_file {
            let bytes = fsutil::read(file)?;
            let ext = image::guess_format(&bytes)
                .ok()
                .and_then(|f| f.extensions_str().first().copied())
                .unwrap_or("bin");
            let rel = format!("media/{}.{ext}", p.slug);
            fsutil::create_dir_all(&dir.join("media"))?;
            fsutil::write(&dir.join(&rel), &bytes)?;
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
            serde_json::json!({"items": data.profiles, "next": null}),
        ),
        (
            "tours.json",
            serde_json::json!({"items": data.tours, "next": null}),
        ),
    ];
    for (name, value) in files {
        let file = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let mut json = serde_json::to_vec_pretty(&value).expect("serializes");
        json.push(b'\n');
        fsutil::write(&tmp, &json)?;
        fsutil::rename(&tmp, &file)?;
    }
    Ok((data, dir))
}
