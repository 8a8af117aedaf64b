//! The one integration-test binary: one module per feature.

mod harness;

mod build;
mod errors;
mod tenancy;
