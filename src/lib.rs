//! sitegen: turns per-domain site configs, brand copy and tenant-scoped
//! platform data into static brand sites. See DESIGN.md for the pipeline:
//! config → platform → content → render → assets → build → Bundle → sinks.

pub mod annotation;
pub mod assets;
pub mod build;
pub mod bundle;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod deploy;
pub mod digest;
pub mod edge;
pub mod error;
pub mod feeds;
pub mod frame;
pub mod fsutil;
pub mod i18n;
pub mod inputs;
pub mod kinds;
pub mod listing;
pub mod manifest;
pub mod new;
pub mod nginx;
pub mod output;
pub mod pages;
pub mod platform;
pub mod redact;
pub mod render;
pub mod seo;
pub mod serve;
pub mod text;

pub use build::{BuildOptions, BuildReport};
pub use bundle::Bundle;
pub use config::{Site, Workspace};
pub use error::{Error, ErrorKind, Location, Result};
pub use output::{build_and_write, site_output_dir, Outcome};

/// Builds and writes one site (see `output::build_if_changed`); in debug
/// builds, first the test hook below.
pub fn build_if_changed(
    ws: &Workspace,
    domain: &str,
    opts: &BuildOptions,
    changed_only: bool,
) -> Result<Outcome> {
    test_panic_hook(domain);
    output::build_if_changed(ws, domain, opts, changed_only)
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
