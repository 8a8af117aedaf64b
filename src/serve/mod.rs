//! `sitegen serve`: builds sites into memory and serves them with axum on
//! loopback, watches the workspace, rebuilds on change and tells browsers to
//! reload over Server-Sent Events. Nothing under dist/ is touched.
//!
//! - `hub.rs`: the served sites' last good bundles; builds and rebuilds
//!   them and returns what happened (`Outcome`), which this module prints.
//! - `app.rs`: the HTTP side, `app(hub) -> Router`: which hosts and methods
//!   are answered, routing by Host or `/_/<domain>/`, files from memory, the
//!   live-reload event stream.
//! - `overlay.rs`: what the preview injects into pages (the live-reload
//!   script, the error overlay) and the policy that allows exactly that.
//! - `watch.rs`: file events, debounced into batches and sorted into a
//!   `build::incremental::ChangeSet` per site. A change under
//!   `themes/<t>/css/` recompiles the stylesheet only and swaps it in the
//!   live pages; anything else rebuilds the affected sites in memory.
//!
//! A client gets `HEADER_TIMEOUT` to send its request headers, and an idle
//! keep-alive connection is closed after as long. A failed rebuild keeps
//! the last good bundle: its pages are served with an overlay naming the
//! file, line and message; the terminal prints the error once.

mod app;
mod hub;
mod overlay;
mod watch;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::build::incremental::{Change, ChangeSet};
use crate::config::Workspace;
use crate::error::{Error, Result};

pub use app::app;
pub use hub::{Hub, Outcome};

/// How long a client may take to send a request's headers; also how long an
/// idle keep-alive connection stays open (hyper's header-read timer runs
/// while a connection waits for its next request).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

pub struct ServeOptions {
    pub bind: SocketAddr,
    pub domains: Vec<String>,
    pub drafts: bool,
    /// Include pages scheduled for later (`publish_date`/`date` to come).
    pub future: bool,
    /// Reload platform data on every rebuild instead of once per session.
    pub refresh: bool,
    /// The clock pages are built for (`--clock`, running on).
    pub clock: crate::clock::Clock,
}

/// Starts the server and blocks until it is stopped.
pub fn serve(ws: Workspace, opts: ServeOptions) -> Result<()> {
    if !opts.bind.ip().is_loopback() {
        tracing::warn!(
            "serving on {} — not loopback: anyone who can reach this address can read the previews",
            opts.bind
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::build(format!("cannot start the server runtime: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(opts.bind))
        .map_err(|e| Error::build(format!("cannot listen on {}: {e}", opts.bind)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::build(e.to_string()))?;
    let hub = Arc::new(Hub::new(ws, opts));
    let terminal = Arc::new(Terminal::default());

    let started = Instant::now();
    let domains = hub.domains().to_vec();
    let everything = domains
        .iter()
        .map(|d| (d.clone(), ChangeSet::new(Change::Data)))
        .collect();
    let ok = rebuild(&hub, &terminal, &everything);
    // Watching before saying "serving": an edit saved right after that line
    // must not be missed.
    let _watcher = {
        let (hub, terminal) = (hub.clone(), terminal.clone());
        let root = hub.workspace().root.clone();
        watch::watch(&root, move |paths| {
            let work = watch::classify(hub.workspace(), hub.domains(), &paths);
            rebuild(&hub, &terminal, &work);
        })?
    };
    println!(
        "serving {} site(s) ({ok} built) in {} ms at http://{addr}/",
        domains.len(),
        started.elapsed().as_millis()
    );
    for d in &domains {
        let host = if addr.ip().is_loopback() {
            format!("{d}.localhost")
        } else {
            addr.ip().to_string()
        };
        println!(
            "  {d}: http://{host}:{}/  (or http://{addr}/_/{d}/)",
            addr.port()
        );
    }
    runtime.block_on(accept(listener, app(hub)));
    Ok(())
}

/// Rebuilds each site of `work` on a thread of its own and prints each
/// outcome as it comes; returns how many succeeded.
fn rebuild(hub: &Hub, terminal: &Terminal, work: &BTreeMap<String, ChangeSet>) -> usize {
    std::thread::scope(|s| {
        let handles: Vec<_> = work
            .iter()
            .map(|(domain, changes)| {
                s.spawn(move || {
                    let outcome = hub.rebuild(domain, changes);
                    terminal.print(&outcome);
                    outcome.is_ok()
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .filter(|ok| *ok)
            .count()
    })
}

/// Where the hub's outcomes are printed. A site's error is printed once,
/// until it builds again or the error changes: an editor saving the same
/// broken file again does not fill the terminal.
#[derive(Default)]
struct Terminal {
    last_error: Mutex<BTreeMap<String, String>>,
}

impl Terminal {
    fn print(&self, outcome: &Outcome) {
        match outcome {
            Outcome::Rebuilt {
                domain,
                rendered,
                pages,
                elapsed,
            } => {
                println!(
                    "rebuilt {domain}: {rendered} of {pages} pages rendered in {} ms",
                    elapsed.as_millis()
                );
                self.last_error.lock().expect("lock").remove(domain);
            }
            Outcome::CssSwapped { domain, elapsed } => {
                println!(
                    "rebuilt {domain}: stylesheet swapped in {} ms",
                    elapsed.as_millis()
                );
                self.last_error.lock().expect("lock").remove(domain);
            }
            Outcome::Failed { domain, error } => {
                let mut printed = self.last_error.lock().expect("lock");
                if printed.get(domain) != Some(error) {
                    eprintln!("error: {error}");
                    printed.insert(domain.clone(), error.clone());
                }
            }
        }
    }
}

/// Serves HTTP/1.1 connections until the process ends. hyper directly
/// rather than `axum::serve`, which sets no timer: without one a client that
/// trickles its headers, or never sends any, holds a connection forever.
async fn accept(listener: tokio::net::TcpListener, app: axum::Router) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: wait for connections to close.
                tracing::warn!("cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!("connection closed: {e}");
            }
        });
    }
}
