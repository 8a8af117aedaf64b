//! Build: one site's config, content, platform data, templates and assets
//! in, its `Bundle` out, in four named phases:
//!
//! 1. **load** (`load.rs`): content pages, the tenant's guarded platform
//!    data, the stylesheet and static files, the image queue.
//! 2. **plan** (`plan.rs`): the route table — every page from
//!    `crate::pages` (content, the kind's generators, tags, 404), paginated,
//!    templates checked, every URL claimed once; an incremental build
//!    (`incremental.rs`) keeps what an edit did not touch.
//! 3. **render** (`render.rs`, with `context.rs`: what templates see): each
//!    route's context and template, in parallel.
//! 4. **assemble** (`assemble.rs`): pages, images, assets, sitemap and
//!    robots.txt into the bundle.
//!
//! Writes nothing and knows no sink: the disk sink (`crate::output`) adds
//! the gzip twins of the other files, the nginx config and the manifest;
//! `serve` and `check` use the bundle in memory.

mod assemble;
mod context;
pub mod incremental;
mod load;
mod plan;
mod render;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::bundle::Bundle;
use crate::config::{Site, Workspace};
use crate::error::Result;
use crate::listing::Listings;
use crate::platform::PlatformData;

pub use incremental::Incremental;

/// What a build produces besides the pages themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BuildMode {
    /// `sitegen build`: every page gets its gzip twin as it renders (the
    /// text is still in cache); the disk sink adds the rest.
    #[default]
    Publish,
    /// `serve`, `check`, `new`: pages only, and the parsed content pages are
    /// kept in the bundle so the next incremental build parses only what
    /// changed.
    Preview,
}

/// Choices that change what a build emits.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Include pages marked `draft: true`.
    pub drafts: bool,
    /// Include pages whose `publish_date` (or `date`) is still to come.
    pub future: bool,
    /// How platform data may use the network and the cache.
    pub fetch: crate::platform::FetchMode,
    /// Make warnings that have a fix (an image without alt text) errors.
    pub strict: bool,
    /// Platform data already loaded (`serve` fetches once per session; the
    /// disk sink loads it first to digest the inputs).
    pub data: Option<Arc<PlatformData>>,
    pub mode: BuildMode,
    /// Re-render only what an edit touched; take the rest from a previous bundle.
    pub incremental: Option<Incremental>,
    /// The build's instant (`--clock`; default: the system's), for what
    /// changes with time (see `crate::clock`).
    pub now: Option<time::OffsetDateTime>,
}

impl BuildOptions {
    /// The instant the build renders for.
    pub fn now(&self) -> time::OffsetDateTime {
        self.now.unwrap_or_else(time::OffsetDateTime::now_utc)
    }
}

/// What one site's build produced, for the summary line.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub domain: String,
    pub pages: usize,
    pub files: usize,
    pub bytes: usize,
    pub warnings: Vec<String>,
    /// Short digest of the platform data used.
    pub data_digest: String,
    #[serde(skip)]
    pub duration: Duration,
}

impl BuildReport {
    pub fn new(bundle: &Bundle, started: Instant) -> Self {
        BuildReport {
            domain: bundle.domain.clone(),
            pages: bundle.pages,
            files: bundle.files.len(),
            bytes: bundle.total_bytes(),
            warnings: bundle.warnings.clone(),
            data_digest: bundle.data_digest.clone(),
            duration: started.elapsed(),
        }
    }
}

/// Builds one site into memory: load → plan → render → assemble.
pub fn build_site(ws: &Workspace, site: &Site, opts: &BuildOptions) -> Result<Bundle> {
    let mut phase = Phases::new(site.domain());
    let loaded = load::load(ws, site, opts, &mut phase)?;
    let listings = Listings::new(&loaded.pages);
    let shared = context::Shared::new(site, &loaded, &listings);
    let renderer = context::renderer(ws, site, &loaded, &listings, &shared)?;
    let plan = plan::plan(site, &loaded, &listings, &renderer, opts)?;
    renderer.set_urls(plan.url_table(site));
    let rendered = render::render(
        &plan,
        &shared.scope(site, &listings, &loaded),
        &renderer,
        opts.mode,
    )?;
    phase.done(&format!("render: {} pages", rendered.len()));
    assemble::assemble(site, &loaded, &listings, &plan, rendered, opts, &mut phase)
}

/// What each phase of a build did and how long it took, logged at info
/// level (`-v` or `SITEGEN_LOG=info`).
pub(crate) struct Phases<'a> {
    domain: &'a str,
    last: Instant,
}

impl<'a> Phases<'a> {
    pub(crate) fn new(domain: &'a str) -> Self {
        Phases {
            domain,
            last: Instant::now(),
        }
    }

    pub(crate) fn done(&mut self, what: &str) {
        let now = Instant::now();
        tracing::info!(
            "{}: {what} ({} ms)",
            self.domain,
            (now - self.last).as_millis()
        );
        self.last = now;
    }
}
