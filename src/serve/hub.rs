//! The hub: what `serve` serves. One slot per site holds its last good
//! bundle, the policy nginx would send with it, the error of the last build
//! if it failed and the session's platform data. `rebuild` builds a site in
//! memory (or swaps a recompiled stylesheet into the last good bundle),
//! tells the browsers showing it, and returns what happened as an
//! `Outcome`: the hub prints nothing.
//!
//! Platform data is loaded once per session: again on every rebuild with
//! `--refresh`, and when the tenant's snapshot changed. A failed rebuild
//! keeps the last good bundle; its pages then carry the error.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use super::ServeOptions;
use crate::build::incremental::{Change, ChangeSet};
use crate::build::{build_site, BuildMode, BuildOptions};
use crate::bundle::Bundle;
use crate::config::{Site, Workspace};
use crate::error::Result;
use crate::platform::{self, PlatformData};

/// The served sites, their last builds and the browsers' event channel.
pub struct Hub {
    ws: Workspace,
    opts: ServeOptions,
    sites: RwLock<BTreeMap<String, Slot>>,
    notices: broadcast::Sender<(String, Notice)>,
    /// Identifies this server run: a browser that sees a new one reloads.
    session: String,
}

/// One served site: the last good bundle and the policy nginx would send
/// with it, and the error of the last build if it failed.
#[derive(Default)]
struct Slot {
    bundle: Option<Arc<Bundle>>,
    /// `nginx::content_security_policy` of `bundle`.
    csp: Option<String>,
    error: Option<String>,
    data: Option<Arc<PlatformData>>,
    /// The site's aliases (site.yaml), answered like the domain itself.
    aliases: Vec<String>,
}

/// What one rebuild did, for the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Built in memory: `rendered` of its `pages` pages rendered, the
    /// others taken from the last good build.
    Rebuilt {
        domain: String,
        rendered: usize,
        pages: usize,
        elapsed: Duration,
    },
    /// A stylesheet edit: the recompiled stylesheet swapped into the last
    /// good bundle.
    CssSwapped { domain: String, elapsed: Duration },
    /// The build failed; the last good bundle (if any) is still served,
    /// with this error over its pages.
    Failed { domain: String, error: String },
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        !matches!(self, Outcome::Failed { .. })
    }
}

/// What browsers showing a site are told.
#[derive(Debug, Clone)]
pub(super) enum Notice {
    /// Load the page again.
    Reload,
    /// Point stylesheet links from `old` to `new` (URLs).
    Css { old: String, new: String },
}

/// What a request for one site is answered from.
pub(super) struct Served {
    pub bundle: Option<Arc<Bundle>>,
    pub csp: Option<String>,
    pub error: Option<String>,
}

/// A site's state, for the index page.
pub(super) enum State {
    Building,
    Ok,
    Error,
}

impl Hub {
    pub fn new(ws: Workspace, opts: ServeOptions) -> Hub {
        let (notices, _) = broadcast::channel(64);
        let session = format!(
            "{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        );
        Hub {
            ws,
            opts,
            sites: RwLock::new(BTreeMap::new()),
            notices,
            session,
        }
    }

    /// Builds `domain` in memory as `changes` asks, stores the result and
    /// tells the browsers showing the site.
    pub fn rebuild(&self, domain: &str, changes: &ChangeSet) -> Outcome {
        let started = Instant::now();
        match self.build(domain, changes, started) {
            Ok((outcome, notice)) => {
                self.notify(domain, notice);
                outcome
            }
            Err(e) => {
                // With its code frame, plain: the overlay escapes it, and the
                // terminal prints it as it is.
                let error = crate::frame::report(&e, Some(&self.ws.root), false);
                self.sites
                    .write()
                    .expect("lock")
                    .entry(domain.to_string())
                    .or_default()
                    .error = Some(error.clone());
                self.notify(domain, Notice::Reload);
                Outcome::Failed {
                    domain: domain.to_string(),
                    error,
                }
            }
        }
    }

    fn build(
        &self,
        domain: &str,
        changes: &ChangeSet,
        started: Instant,
    ) -> Result<(Outcome, Notice)> {
        let site = self.ws.load_site(domain)?;
        if changes.change == Change::Css {
            if let Some(notice) = self.swap_css(domain, &site)? {
                let elapsed = started.elapsed();
                let domain = domain.to_string();
                return Ok((Outcome::CssSwapped { domain, elapsed }, notice));
            }
        }
        let data = self.data(domain, &site, changes.change)?;
        let opts = BuildOptions {
            drafts: self.opts.drafts,
            future: self.opts.future,
            data: Some(data.clone()),
            mode: BuildMode::Preview,
            incremental: changes.incremental(self.last_good(domain)),
            now: Some(self.opts.clock.now()),
            ..Default::default()
        };
        let bundle = build_site(&self.ws, &site, &opts)?;
        let csp = crate::nginx::content_security_policy(&bundle);
        let outcome = Outcome::Rebuilt {
            domain: domain.to_string(),
            rendered: bundle.rendered,
            pages: bundle.pages,
            elapsed: started.elapsed(),
        };
        let mut sites = self.sites.write().expect("lock");
        let slot = sites.entry(domain.to_string()).or_default();
        slot.bundle = Some(Arc::new(bundle));
        slot.csp = Some(csp);
        slot.error = None;
        slot.data = Some(data);
        slot.aliases = aliases(&site);
        Ok((outcome, Notice::Reload))
    }

    /// The session's platform data of the site, loaded again when the
    /// tenant's snapshot changed or with `--refresh`.
    fn data(&self, domain: &str, site: &Site, change: Change) -> Result<Arc<PlatformData>> {
        let cached = self
            .sites
            .read()
            .expect("lock")
            .get(domain)
            .and_then(|s| s.data.clone());
        match cached {
            Some(d) if change != Change::Data && !self.opts.refresh => Ok(d),
            _ => Ok(Arc::new(platform::load(
                &self.ws,
                site,
                platform::FetchMode::Online,
            )?)),
        }
    }

    /// The last bundle of the site, if its last build succeeded.
    fn last_good(&self, domain: &str) -> Option<Arc<Bundle>> {
        let sites = self.sites.read().expect("lock");
        sites.get(domain).and_then(|s| match (&s.bundle, &s.error) {
            (Some(b), None) => Some(b.clone()),
            _ => None,
        })
    }

    /// Recompiles the stylesheet and swaps it into the last good bundle
    /// (every page's link to it is rewritten); None if there is no bundle to
    /// patch or the site is showing an error.
    fn swap_css(&self, domain: &str, site: &Site) -> Result<Option<Notice>> {
        // The font files are unchanged by a stylesheet edit: only their rules are needed.
        let faces = crate::assets::webfonts(site, &mut Default::default())?;
        let css = crate::assets::css::compile(site, &self.ws.config.css.browserslist, &faces)?;
        let mut sites = self.sites.write().expect("lock");
        let Some(slot) = sites.get_mut(domain) else {
            return Ok(None);
        };
        let (Some(old), None) = (&slot.bundle, &slot.error) else {
            return Ok(None);
        };
        let old_path = old
            .files
            .keys()
            .find(|p| p.starts_with("assets/site.") && p.ends_with(".css"))
            .cloned();
        let Some(old_path) = old_path else {
            return Ok(None);
        };
        let name = crate::assets::fingerprinted_name("site", "css", css.as_bytes());
        let new_path = format!("assets/{name}");
        let old_integrity = crate::digest::sri(&old.files[&old_path]);
        let new_integrity = crate::digest::sri(css.as_bytes());
        let mut bundle = (**old).clone();
        bundle.files.remove(&old_path);
        bundle.files.remove(&format!("{old_path}.gz"));
        let (old_url, new_url) = (format!("/{old_path}"), format!("/{new_path}"));
        for (path, bytes) in bundle.files.iter_mut() {
            if path.ends_with(".html") {
                let html = String::from_utf8_lossy(bytes)
                    .replace(&old_url, &new_url)
                    .replace(&old_integrity, &new_integrity);
                *bytes = html.into_bytes();
            }
        }
        bundle.files.retain(|p, _| !p.ends_with(".html.gz"));
        bundle.files.insert(new_path, css.into_bytes());
        slot.csp = Some(crate::nginx::content_security_policy(&bundle));
        slot.bundle = Some(Arc::new(bundle));
        Ok(Some(Notice::Css {
            old: old_url,
            new: new_url,
        }))
    }

    fn notify(&self, domain: &str, notice: Notice) {
        // No browser listening is no error.
        let _ = self.notices.send((domain.to_string(), notice));
    }

    pub(super) fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// The served domains, in the order given.
    pub(super) fn domains(&self) -> &[String] {
        &self.opts.domains
    }

    /// Where the server listens (the operator's choice, before binding).
    pub(super) fn bind(&self) -> SocketAddr {
        self.opts.bind
    }

    pub(super) fn session(&self) -> &str {
        &self.session
    }

    pub(super) fn subscribe(&self) -> broadcast::Receiver<(String, Notice)> {
        self.notices.subscribe()
    }

    /// What a request for `domain` is answered from.
    pub(super) fn served(&self, domain: &str) -> Served {
        let sites = self.sites.read().expect("lock");
        match sites.get(domain) {
            Some(slot) => Served {
                bundle: slot.bundle.clone(),
                csp: slot.csp.clone(),
                error: slot.error.clone(),
            },
            None => Served {
                bundle: None,
                csp: None,
                error: None,
            },
        }
    }

    /// The served site that has `name` among its aliases.
    pub(super) fn alias_owner(&self, name: &str) -> Option<String> {
        let sites = self.sites.read().expect("lock");
        sites
            .iter()
            .find(|(_, slot)| slot.aliases.iter().any(|a| a == name))
            .map(|(d, _)| d.clone())
    }

    pub(super) fn state(&self, domain: &str) -> State {
        match self.sites.read().expect("lock").get(domain) {
            Some(Slot { error: Some(_), .. }) => State::Error,
            Some(Slot {
                bundle: Some(_), ..
            }) => State::Ok,
            _ => State::Building,
        }
    }
}

/// The other names a site answers to (never its own domain).
fn aliases(site: &Site) -> Vec<String> {
    site.config
        .aliases
        .iter()
        .map(|a| a.as_str().to_ascii_lowercase())
        .filter(|a| a != site.domain())
        .collect()
}
