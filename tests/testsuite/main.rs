//! The one integration-test binary: one module per feature.

mod fake_api;
mod harness;

mod assets;
mod brand;
mod browser;
mod build;
mod check;
mod ci;
mod deploy;
mod edge;
mod errors;
mod feeds;
mod fixtures;
mod i18n;
mod i18n_strings;
mod identity;
mod jsonld;
mod listing;
mod nginx;
mod platform_api;
mod platform_guard;
mod publish;
mod runaway;
mod serve;
mod shortcodes;
mod snapshots;
mod ssh;
mod symlinks;
mod tenancy;
