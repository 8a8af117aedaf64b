//! `sitegen edge`: the daemon on the web server. One per host, serving the
//! deploy targets it is given, on loopback only.
//!
//! - `POST /_sitegen/events`: a signed platform event (`events`). Wrong
//!   signature or stale timestamp → 401; a repeated id → 200; a tenant none
//!   of the targets shows → 404; accepted → 202. Nothing else is done on
//!   the request: the event wakes its tenant's worker.
//! - One worker per tenant: events arriving together are coalesced (the
//!   worker waits `COALESCE`, then takes every reason queued meanwhile), and
//!   a tenant's fetches never overlap (single-flight). A refresh renders
//!   each site of the tenant again from its live release's shipped sources
//!   with fresh data (same client, cache and tenant guard as a build; the
//!   tenant is the site's own, never the event's) and publishes the result
//!   as a deploy to the same target: a new release made by hard links plus
//!   the changed files, under the target's lock, switched atomically, and
//!   only if the release it was rendered from is still live (a deploy or a
//!   rollback meanwhile wins; the edge renders again from it). A failed
//!   fetch or render changes nothing on disk.
//! - A reconcile loop refreshes every tenant at start and every
//!   `reconcile` interval (conditional requests: unchanged data costs a
//!   304), catching lost events.
//! - Deploys and rollbacks: when `current` points at a release the daemon
//!   did not make, the site is refreshed from that release's sources
//!   (checked every second), so CI's data is never older than the edge's
//!   for long.
//! - Time: a build says when its pages change next by the clock alone (a
//!   tour leg becomes past, `Bundle::next_change`); the site is refreshed
//!   at that instant (checked every second against the daemon's clock).
//! - `GET /_sitegen/health`: per site the live release, when its data was
//!   last fetched, the last refresh and the last error.
//!
//! Each site keeps its working state in `<target>/.sitegen-edge-state/`:
//! a copy of the live release's workspace (with its platform and image
//! caches) and the build output it deploys from.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::events::{self, Refused, Seen};
use super::ship;
use crate::build::{BuildMode, BuildOptions};
use crate::clock::Clock;
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::platform::FetchMode;

/// How long a worker waits after a wake-up for more events of its tenant.
const COALESCE: Duration = Duration::from_millis(50);
/// The working folder of a target.
pub const STATE_DIR: &str = ".sitegen-edge-state";

pub struct EdgeOptions {
    pub listen: SocketAddr,
    pub targets: Vec<PathBuf>,
    /// The shared secret events are signed with (`SITEGEN_EDGE_SECRET`).
    pub secret: Vec<u8>,
    /// Interval of the reconcile loop.
    pub reconcile: Duration,
    /// The clock pages are rendered for (`--clock`, running on).
    pub clock: crate::clock::Clock,
}

/// A site's last build: the release it is live as, the bundle (pages,
/// parsed content) and the data it was made from.
struct Last {
    release: String,
    bundle: Arc<crate::bundle::Bundle>,
    data: Arc<crate::platform::PlatformData>,
}

/// What `/_sitegen/health` says of one site.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Health {
    pub domain: String,
    pub tenant: String,
    pub target: String,
    /// The release `current` points at.
    pub live: Option<String>,
    /// Unix seconds of the last successful fetch of the tenant's data.
    pub data_fetched_at: Option<u64>,
    /// Seconds since then.
    pub data_age_secs: Option<u64>,
    /// Unix seconds of the last refresh that ended (well or not).
    pub last_refresh_at: Option<u64>,
    /// Why the last refresh failed; None once one succeeds.
    pub last_error: Option<String>,
    pub refreshes: u64,
    /// When the pages change next by the clock alone (RFC 3339): the site
    /// is refreshed then.
    pub next_change: Option<String>,
}

struct EdgeSite {
    domain: String,
    tenant: String,
    target: PathBuf,
    health: Mutex<Health>,
    /// When the live pages change by the clock alone; taken when it is due.
    next_change: Mutex<Option<OffsetDateTime>>,
    /// A change by the clock is due and not yet published.
    clock_due: std::sync::atomic::AtomicBool,
    /// The last build, for the next refresh to render only what changed.
    last: Mutex<Option<Last>>,
    /// The live release as the daemon last saw or made it: another one
    /// means a deploy or a rollback, rendered again with fresh data.
    seen_live: Mutex<Option<String>>,
}

struct Worker {
    wake: Notify,
    reasons: Mutex<Vec<String>>,
    sites: Vec<Arc<EdgeSite>>,
}

/// Reasons kept per pending refresh (the rest are only counted).
const MAX_REASONS: usize = 100;

impl Worker {
    fn push(&self, reason: String) {
        let mut reasons = self.reasons.lock().expect("lock");
        if reasons.len() < MAX_REASONS {
            reasons.push(reason);
        }
        drop(reasons);
        self.wake.notify_one();
    }
}

struct Edge {
    clock: Clock,
    /// Requests refused (bad signature, stale, not an event), for health.
    refused: std::sync::atomic::AtomicU64,
    secret: Vec<u8>,
    workers: HashMap<String, Arc<Worker>>,
    sites: Vec<Arc<EdgeSite>>,
    seen: Mutex<Seen>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The site a target serves, from its live release's `deps.json`.
fn site_of(target: &Path) -> Result<EdgeSite> {
    let deps_file = target
        .join("current")
        .join(ship::RELEASE_DIR)
        .join("deps.json");
    let text = fsutil::read(&deps_file).map_err(|e| {
        e.hint("set nginx.hook_host in sitegen.yaml, then build and deploy the site: only then does a release carry what the edge renders from")
    })?;
    let deps: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| Error::deploy(format!("{}: {e}", deps_file.display())))?;
    let field = |k: &str| deps[k].as_str().map(str::to_string);
    let (Some(domain), Some(tenant)) = (field("domain"), field("tenant")) else {
        return Err(Error::deploy(format!(
            "{} names no domain and tenant",
            deps_file.display()
        )));
    };
    // When the live pages change by the clock, from the release's manifest.
    let manifest = target.join("current").join(crate::deploy::RELEASE_MANIFEST);
    let next_change = std::fs::read(&manifest)
        .ok()
        .and_then(|bytes| crate::manifest::Manifest::parse(&bytes, &manifest).ok())
        .and_then(|m| m.next_change)
        .and_then(|t| crate::clock::parse(&t).ok());
    Ok(EdgeSite {
        last: Mutex::new(None),
        seen_live: Mutex::new(live_release(target)),
        clock_due: Default::default(),
        next_change: Mutex::new(next_change),
        health: Mutex::new(Health {
            domain: domain.clone(),
            tenant: tenant.clone(),
            target: target.display().to_string(),
            live: live_release(target),
            next_change: next_change.map(crate::clock::format),
            ..Default::default()
        }),
        domain,
        tenant,
        target: target.to_path_buf(),
    })
}

/// Takes `<target>/.sitegen-edge-state/daemon.lock` for this process:
/// two daemons serving one target would render over each other's working
/// copy. The lock goes with the process, however it ends.
fn lock_state(target: &Path) -> Result<std::fs::File> {
    let state = target.join(STATE_DIR);
    fsutil::create_dir_all(&state)?;
    let path = state.join("daemon.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, "open the edge's lock", e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::config(format!(
            "another sitegen edge already serves {}",
            target.display()
        ))
        .hint("run one daemon per host, with every target on its command line")),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, "lock", e)),
    }
}

/// The id of the release `current` points at.
fn live_release(target: &Path) -> Option<String> {
    let link = std::fs::read_link(target.join("current")).ok()?;
    Some(link.file_name()?.to_string_lossy().into_owned())
}

/// Runs the daemon until the process ends.
pub fn run(opts: EdgeOptions) -> Result<()> {
    if !opts.listen.ip().is_loopback() {
        return Err(Error::config(format!(
            "sitegen edge listens on loopback only, not {}",
            opts.listen
        ))
        .hint("use --listen 127.0.0.1:<port> and let nginx proxy the webhook host to it"));
    }
    if opts.secret.len() < 16 {
        return Err(Error::config(
            "SITEGEN_EDGE_SECRET must be set to a shared secret of at least 16 bytes",
        ));
    }
    let mut sites = Vec::new();
    // Held until the process ends: one daemon per target.
    let mut locks = Vec::new();
    for target in &opts.targets {
        let target = std::fs::canonicalize(target)
            .map_err(|e| Error::io(target, "open the deploy target", e))?;
        let site = site_of(&target)?;
        locks.push(lock_state(&target)?);
        sites.push(Arc::new(site));
    }
    let mut by_tenant: BTreeMap<String, Vec<Arc<EdgeSite>>> = BTreeMap::new();
    for s in &sites {
        by_tenant
            .entry(s.tenant.clone())
            .or_default()
            .push(s.clone());
    }
    let workers: HashMap<String, Arc<Worker>> = by_tenant
        .into_iter()
        .map(|(tenant, sites)| {
            let w = Worker {
                wake: Notify::new(),
                reasons: Mutex::new(Vec::new()),
                sites,
            };
            (tenant, Arc::new(w))
        })
        .collect();
    let edge = Arc::new(Edge {
        clock: opts.clock,
        refused: Default::default(),
        secret: opts.secret,
        workers,
        sites,
        seen: Mutex::new(Seen::default()),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io(Path::new("."), "start the runtime", e))?;
    let served = runtime.block_on(serve(edge, opts.listen, opts.reconcile));
    drop(locks);
    served
}

async fn serve(edge: Arc<Edge>, listen: SocketAddr, reconcile: Duration) -> Result<()> {
    for worker in edge.workers.values() {
        tokio::spawn(work(worker.clone(), edge.clock));
    }
    let timed = edge.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let now = timed.clock.now();
            for w in timed.workers.values() {
                let mut due = false;
                for s in &w.sites {
                    // Held while the edge publishes: its own switch is no news.
                    let Ok(mut seen) = s.seen_live.try_lock() else {
                        continue;
                    };
                    let live = live_release(&s.target);
                    if *seen != live {
                        // A deploy or rollback: render its sources with fresh data.
                        w.push(format!(
                            "a new live release ({})",
                            live.as_deref().unwrap_or("none")
                        ));
                        *seen = live;
                    }
                    drop(seen);
                    let mut next = s.next_change.lock().expect("lock");
                    if next.take_if(|t| *t <= now).is_some() {
                        s.clock_due
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                        due = true;
                    }
                }
                if due {
                    w.push("the clock (a tour date is over)".into());
                }
            }
        }
    });
    let reconciling = edge.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(reconcile);
        loop {
            tick.tick().await;
            for w in reconciling.workers.values() {
                w.push("reconcile".into());
            }
        }
    });
    let app = Router::new()
        .route("/_sitegen/events", post(event))
        .route("/_sitegen/health", get(health))
        .layer(DefaultBodyLimit::max(events::MAX_BODY))
        .with_state(edge.clone());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::io(Path::new(&listen.to_string()), "listen", e))?;
    let domains: Vec<&str> = edge.sites.iter().map(|s| s.domain.as_str()).collect();
    eprintln!(
        "edge: listening on {} for {}",
        listener.local_addr().map_or(listen, |a| a),
        domains.join(", ")
    );
    axum::serve(listener, app)
        .await
        .map_err(|e| Error::io(Path::new(&listen.to_string()), "serve", e))
}

async fn event(
    State(edge): State<Arc<Edge>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = now_secs() as i64;
    let ev = match events::verify(
        &edge.secret,
        header("sitegen-timestamp"),
        header("sitegen-signature"),
        &body,
        now,
    ) {
        Ok(ev) => ev,
        Err(refused) => {
            let (status, why) = match refused {
                Refused::Signature => (StatusCode::UNAUTHORIZED, "bad signature".to_string()),
                Refused::Stale => (
                    StatusCode::UNAUTHORIZED,
                    "timestamp too far from now".into(),
                ),
                Refused::Body(m) => (StatusCode::BAD_REQUEST, m),
            };
            // Logged at 1, 2, 4, 8… refusals: a wrong secret shows, a flood does not.
            let n = edge
                .refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1;
            if n.is_power_of_two() {
                eprintln!("edge: event refused ({why}); {n} refused so far");
            }
            return (status, format!("{why}\n"));
        }
    };
    let Some(worker) = edge.workers.get(&ev.tenant) else {
        return (
            StatusCode::NOT_FOUND,
            "no site of this tenant here\n".into(),
        );
    };
    {
        let mut seen = edge.seen.lock().expect("lock");
        if !seen.first_time(&ev.id, now) {
            if seen.is_full() {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many events, retry later\n".into(),
                );
            }
            return (StatusCode::OK, "already received\n".into());
        }
    }
    let what = match &ev.entity {
        Some(e) => format!("{} {e}", ev.kind),
        None => ev.kind.clone(),
    };
    worker.push(what);
    (StatusCode::ACCEPTED, "accepted\n".into())
}

async fn health(State(edge): State<Arc<Edge>>) -> axum::Json<serde_json::Value> {
    let now = now_secs();
    let sites: Vec<Health> = edge
        .sites
        .iter()
        .map(|s| {
            let mut h = s.health.lock().expect("lock").clone();
            h.live = live_release(&s.target);
            h.data_age_secs = h.data_fetched_at.map(|t| now.saturating_sub(t));
            h
        })
        .collect();
    let refused = edge.refused.load(std::sync::atomic::Ordering::Relaxed);
    axum::Json(serde_json::json!({ "refused_events": refused, "sites": sites }))
}

/// A tenant's worker: one refresh at a time, events coalesced.
async fn work(worker: Arc<Worker>, clock: Clock) {
    loop {
        worker.wake.notified().await;
        tokio::time::sleep(COALESCE).await;
        let reasons = std::mem::take(&mut *worker.reasons.lock().expect("lock"));
        if reasons.is_empty() {
            continue;
        }
        for site in &worker.sites {
            let run = site.clone();
            let reasons = reasons.clone();
            let done =
                tokio::task::spawn_blocking(move || refresh_logged(&run, &reasons, clock)).await;
            if done.is_err() {
                // A panic: say so where the operator looks, like any failure.
                eprintln!(
                    "edge: {}: the refresh stopped unexpectedly; the live release is untouched",
                    site.domain
                );
                let mut h = site
                    .health
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                h.last_error =
                    Some("the refresh stopped unexpectedly (a bug: please report it)".into());
                h.last_refresh_at = Some(now_secs());
            }
        }
    }
}

fn refresh_logged(site: &EdgeSite, reasons: &[String], clock: Clock) {
    let started = Instant::now();
    let why = summarize(reasons);
    // A change by the clock is due: this refresh renders every page.
    let due = site
        .clock_due
        .swap(false, std::sync::atomic::Ordering::Relaxed);
    let mut result = refresh(site, clock, DataFrom::Api, due);
    let mut api_error = None;
    if result.is_err() && due {
        // The clock changed the pages but the API did not answer: render
        // them from the very data the live release shows (never older: a
        // member who stopped sharing since stays gone), and still report
        // the failure.
        api_error = result
            .err()
            .map(|e| crate::redact::redact(&e.to_string()).into_owned());
        result = refresh(site, clock, DataFrom::Live, due);
    }
    if result.is_err() && due {
        // Still due: the next refresh renders every page again.
        site.clock_due
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let ms = started.elapsed().as_millis();
    let mut h = site.health.lock().expect("lock");
    h.last_refresh_at = Some(now_secs());
    h.refreshes += 1;
    match result {
        Ok(r) => {
            *site.next_change.lock().expect("lock") = r.next_change;
            h.next_change = r.next_change.map(crate::clock::format);
            h.live = Some(r.release.clone());
            if let Some(msg) = &api_error {
                eprintln!(
                    "edge: {}: {why}: the API failed ({msg}); rendered from the live release's data",
                    site.domain
                );
            } else {
                h.data_fetched_at = Some(r.fetched_at);
            }
            h.last_error = api_error;
            if r.changed_pages > 0 || !r.unchanged {
                eprintln!(
                    "edge: {}: {why}: {} pages in {ms} ms → {} ({} of {} rendered)",
                    site.domain, r.changed_pages, r.release, r.rendered, r.pages
                );
            } else {
                tracing::info!("edge: {}: {why}: no change ({ms} ms)", site.domain);
            }
        }
        Err(e) => {
            let msg = crate::redact::redact(&e.to_string()).into_owned();
            eprintln!(
                "edge: {}: {why}: failed, the live release is untouched: {msg}",
                site.domain
            );
            h.last_error = Some(msg);
        }
    }
}

fn summarize(reasons: &[String]) -> String {
    match reasons {
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
        [] => "refresh".into(),
    }
}

struct Refreshed {
    next_change: Option<OffsetDateTime>,
    /// Pages rendered, of the site's `pages`.
    rendered: usize,
    pages: usize,
    release: String,
    unchanged: bool,
    changed_pages: usize,
    fetched_at: u64,
}

/// Renders the site again from its live release's sources with fresh data
/// and deploys the result to the same target, if the release it rendered
/// from is still live (else once more from the new one).
/// Where a refresh takes the tenant's data from.
#[derive(Debug, Clone, Copy)]
enum DataFrom {
    /// Fetched from the API now (revalidating the cache).
    Api,
    /// The data the live release was made from, as the daemon's last build
    /// kept it: for a change by the clock while the API is down.
    Live,
}

fn refresh(site: &EdgeSite, clock: Clock, from: DataFrom, full: bool) -> Result<Refreshed> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match refresh_once(site, clock.now(), from, full) {
            Err(e) if attempt < 3 && e.to_string().contains(crate::deploy::LIVE_CHANGED) => {
                eprintln!(
                    "edge: {}: the live release changed while rendering; rendering again from it",
                    site.domain
                );
            }
            other => return other,
        }
    }
}

/// Renders the site from its live release's sources with fresh data: only
/// the pages showing a changed record when the last build is the live
/// release, every page when not (or when `full`: the clock changed them).
fn refresh_once(
    site: &EdgeSite,
    now: OffsetDateTime,
    from: DataFrom,
    full: bool,
) -> Result<Refreshed> {
    let target = &site.target;
    let live = live_release(target)
        .ok_or_else(|| Error::deploy(format!("{} has no live release", target.display())))?;
    let state = target.join(STATE_DIR);
    let ws_dir = workspace_of(target, &live, &state)?;
    let ws = Workspace::open(&ws_dir, Some(&state.join("dist")))?;
    let config = ws.load_site(&site.domain)?;
    // The site's own target, seen from this host: CI may deploy to
    // `user@host:/srv/x` over ssh; the edge runs on that host, at /srv/x.
    let deploy_to = crate::deploy::Target::of(&config)?;
    let configured = PathBuf::from(deploy_to.root());
    let configured = std::fs::canonicalize(&configured).unwrap_or(configured);
    if &configured != target {
        return Err(Error::config(format!(
            "{} deploys to {}, not to {}",
            site.domain,
            deploy_to.display,
            target.display()
        ))
        .hint("give sitegen edge the folder of the site's own deploy.target on this host"));
    }
    if !crate::platform::has_api(&ws, &config)? {
        return Err(Error::config(format!(
            "{}: no platform API is configured: there is nothing to refresh from",
            site.domain
        ))
        .hint("set platform.api_base in sitegen.yaml or SITEGEN_PLATFORM_API for the daemon"));
    }
    let before = manifest_hashes(&target.join("current").join(crate::deploy::RELEASE_MANIFEST));
    // The last build, if the live release is what it published: then only
    // the pages showing a changed record render again (`deps.json`'s keys).
    let previous = site
        .last
        .lock()
        .expect("lock")
        .as_ref()
        .filter(|l| l.release == live)
        .map(|l| (l.bundle.clone(), l.data.clone()));
    let (data, fetch) = match from {
        DataFrom::Api => (
            Arc::new(crate::platform::load(&ws, &config, FetchMode::Online)?),
            FetchMode::Online,
        ),
        DataFrom::Live => match &previous {
            Some((_, data)) => (data.clone(), FetchMode::Offline),
            None => {
                return Err(Error::deploy(
                    "the daemon holds no build of the live release: the change by the clock waits for the API",
                ))
            }
        },
    };
    let fetched_at = now_secs();
    // Pages changed by the clock since the last build: render them all.
    let full = full
        || previous
            .as_ref()
            .is_some_and(|(b, _)| b.next_change.is_some_and(|t| t <= now));
    let incremental = match previous {
        Some((bundle, old)) if !full => {
            let changed = super::changes::changed(&old, &data);
            if changed.is_empty() {
                return Ok(Refreshed {
                    next_change: bundle.next_change,
                    release: live,
                    unchanged: true,
                    changed_pages: 0,
                    rendered: 0,
                    pages: bundle.pages,
                    fetched_at,
                });
            }
            Some(crate::build::Incremental::records(bundle, changed))
        }
        _ => None,
    };
    let opts = BuildOptions {
        mode: BuildMode::Publish,
        fetch,
        now: Some(now),
        data: Some(data.clone()),
        incremental,
        ..Default::default()
    };
    let mut bundle = crate::output::build_complete(&ws, &config, &opts)?;
    let after: BTreeMap<String, String> = bundle
        .manifest()
        .files
        .into_iter()
        .map(|f| (f.path, f.sha256))
        .collect();
    let changed_pages = after
        .iter()
        .filter(|(p, h)| p.ends_with(".html") && before.get(*p) != Some(*h))
        .count()
        + before
            .keys()
            .filter(|p| p.ends_with(".html") && !after.contains_key(*p))
            .count();
    let mut refreshed = Refreshed {
        next_change: bundle.next_change,
        release: live.clone(),
        unchanged: true,
        changed_pages,
        rendered: bundle.rendered,
        pages: bundle.pages,
        fetched_at,
    };
    if after != before {
        let mut seen = site.seen_live.lock().expect("lock");
        let deployed = crate::deploy::publish(&ws, &config, &bundle, &live)?;
        *seen = Some(deployed.release.clone());
        drop(seen);
        // The new release ships the sources this workspace holds: no copy next time.
        fsutil::write_atomic(&state.join("workspace.from"), deployed.release.as_bytes())?;
        refreshed.release = deployed.release;
        refreshed.unchanged = deployed.unchanged;
    }
    // Kept for the next refresh, without what only the deploy needed (but
    // the index: what each page showed).
    let deps = format!("{}/deps.json", ship::DIST_DIR);
    bundle.extra.retain(|path, _| *path == deps);
    *site.last.lock().expect("lock") = Some(Last {
        release: refreshed.release.clone(),
        bundle: Arc::new(bundle),
        data,
    });
    Ok(refreshed)
}

/// Path → sha256 of a manifest's files (empty if it cannot be read).
fn manifest_hashes(path: &Path) -> BTreeMap<String, String> {
    std::fs::read(path)
        .ok()
        .and_then(|text| crate::manifest::Manifest::parse(&text, path).ok())
        .map(|m| m.files.into_iter().map(|f| (f.path, f.sha256)).collect())
        .unwrap_or_default()
}

/// The working copy of the live release's shipped workspace, made again
/// when the live release changed (a deploy, a rollback); the caches under
/// `.sitegen/` are kept across copies.
fn workspace_of(target: &Path, live: &str, state: &Path) -> Result<PathBuf> {
    let ws = state.join("workspace");
    let marker = state.join("workspace.from");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(live) && ws.is_dir() {
        return Ok(ws);
    }
    let shipped = target
        .join("releases")
        .join(live)
        .join(ship::RELEASE_DIR)
        .join("workspace");
    let fresh = state.join("workspace.new");
    if fresh.exists() {
        fsutil::remove_dir_all(&fresh)?;
    }
    copy_tree(&shipped, &fresh)?;
    let cache = ws.join(".sitegen");
    if cache.is_dir() {
        fsutil::rename(&cache, &fresh.join(".sitegen"))?;
    }
    if ws.exists() {
        fsutil::remove_dir_all(&ws)?;
    }
    fsutil::rename(&fresh, &ws)?;
    fsutil::write_atomic(&marker, live.as_bytes())?;
    Ok(ws)
}

/// Copies regular files and folders; links are not followed (the shipped
/// workspace has none: ship.rs writes plain files).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(|e| Error::io(from, "read the shipped workspace", e.into()))?;
        let rel = entry.path().strip_prefix(from).expect("inside");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            fsutil::create_dir_all(&dest)?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest)
                .map_err(|e| Error::io(entry.path(), "copy the shipped workspace", e))?;
        }
    }
    Ok(())
}
