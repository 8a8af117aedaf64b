//! sitegen: turns per-domain site configs, brand copy and tenant-scoped
//! platform data into static brand sites. See DESIGN.md for the pipeline:
//! config → platform → content → render → assets → build → Bundle → sinks.

pub mod assets;
pub mod build;
pub mod bundle;
pub mod check;
pub mod cli;
pub mod config;
pub mod content;
pub mod deploy;
pub mod digest;
pub mod error;
pub mod fsutil;
pub mod inputs;
pub mod listing;
pub mod new;
pub mod nginx;
pub mod platform;
pub mod redact;
pub mod render;
pub mod seo;
pub mod serve;
pub mod text;

use std::path::PathBuf;
use std::time::Instant;

pub use build::{BuildOptions, BuildReport};
pub use bundle::Bundle;
pub use config::{Site, Workspace};
pub use error::{Error, ErrorKind, Location, Result};

/// Where a site's build output goes: `<output_dir>/<domain>/`.
pub fn site_output_dir(ws: &Workspace, domain: &str) -> PathBuf {
    ws.output_dir.join(domain)
}

/// What `build` did with one site.
#[derive(Debug)]
pub enum Outcome {
    Built(BuildReport),
    /// `--changed`: its inputs match the last build's manifest. `warnings`
    /// says when the platform data it was compared with came from a stale
    /// cache (`--stale-ok`), so that never passes unnoticed either.
    Unchanged {
        warnings: Vec<String>,
    },
}

/// Builds and writes one site; with `changed_only`, only if its inputs
/// (config, content, templates, theme, platform data, sitegen version, the
/// `--drafts` and `--strict` options) differ from those recorded in its last
/// manifest.
pub fn build_if_changed(
    ws: &Workspace,
    domain: &str,
    opts: &BuildOptions,
    changed_only: bool,
) -> Result<Outcome> {
    test_panic_hook(domain);
    if !changed_only {
        return build_and_write(ws, domain, opts).map(Outcome::Built);
    }
    let started = Instant::now();
    let site = ws.load_site(domain)?;
    let data = platform::load(ws, &site, opts.fetch)?;
    let digest = inputs::digest(ws, &site, &data, opts);
    if inputs::recorded(&site_output_dir(ws, domain)).as_deref() == Some(digest.as_str()) {
        return Ok(Outcome::Unchanged {
            warnings: data
                .stale
                .iter()
                .map(|what| format!("compared with STALE cached platform data: {what}"))
                .collect(),
        });
    }
    let opts = BuildOptions {
        data: Some(std::sync::Arc::new(data)),
        ..opts.clone()
    };
    let bundle = build::build_site(ws, &site, &opts)?;
    bundle.write_atomic(&site_output_dir(ws, domain))?;
    Ok(Outcome::Built(BuildReport::new(&bundle, started)))
}

/// Loads, builds and writes one site. On any error nothing is written and the
/// previous output stays as it was.
pub fn build_and_write(ws: &Workspace, domain: &str, opts: &BuildOptions) -> Result<BuildReport> {
    let started = Instant::now();
    let site = ws.load_site(domain)?;
    let bundle = build::build_site(ws, &site, opts)?;
    let written = Instant::now();
    bundle.write_atomic(&site_output_dir(ws, domain))?;
    tracing::debug!("{domain}: write took {} ms", written.elapsed().as_millis());
    Ok(BuildReport::new(&bundle, started))
}

/// Test hook: with `__SITEGEN_TEST_PANIC=<domain>` in the environment, that
/// site's build panics inside a rayon job, as a bug in page or image work
/// would, so the tests can check that a panic stays one site's failure.
/// Debug builds only: a release binary never reads the variable.
fn test_panic_hook(domain: &str) {
    if cfg!(debug_assertions)
        && std::env::var_os("__SITEGEN_TEST_PANIC").is_some_and(|d| d == domain)
    {
        rayon::join(|| (), || panic!("test panic requested for {domain}"));
    }
}
