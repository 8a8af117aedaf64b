//! The one integration-test binary: one module per feature.

mod fake_api;
mod harness;

mod assets;
mod browser;
mod build;
mod check;
mod deploy;
mod errors;
mod listing;
mod nginx;
mod platform_api;
mod publish;
mod serve;
mod ssh;
mod tenancy;
