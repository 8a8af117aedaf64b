//! The disk sink: a published site in `dist/<domain>/`. Takes a bundle of a
//! `BuildMode::Publish` build (pages already have their gzip twins) and adds
//! what only a deployable site needs — gzip twins of the other text files,
//! the nginx server config and the shared snippet, the inputs digest for
//! `build --changed` — then writes it beside the old output and swaps it in
//! (`Bundle::write_atomic`), so a failure leaves the previous output whole.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::build::{build_site, BuildMode, BuildOptions, BuildReport, Phases};
use crate::bundle::Bundle;
use crate::config::{Site, Workspace};
use crate::error::Result;
use crate::{assets, inputs, nginx, platform};

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
/// manifest. On any error nothing is written.
pub fn build_if_changed(
    ws: &Workspace,
    domain: &str,
    opts: &BuildOptions,
    changed_only: bool,
) -> Result<Outcome> {
    let started = Instant::now();
    let site = ws.load_site(domain)?;
    // Loaded first: the inputs digest covers the data as the platform gave it.
    let data = match &opts.data {
        Some(d) => d.clone(),
        None => Arc::new(platform::load(ws, &site, opts.fetch)?),
    };
    let digest = inputs::digest(ws, &site, &data, opts);
    if changed_only
        && inputs::recorded(&site_output_dir(ws, domain), opts.now).as_deref()
            == Some(digest.as_str())
    {
        return Ok(Outcome::Unchanged {
            warnings: data
                .stale
                .iter()
                .map(|what| format!("compared with STALE cached platform data: {what}"))
                .collect(),
        });
    }
    let opts = BuildOptions {
        data: Some(data),
        mode: BuildMode::Publish,
        ..opts.clone()
    };
    let mut bundle = build_site(ws, &site, &opts)?;
    write(ws, &site, &mut bundle, digest)?;
    Ok(Outcome::Built(BuildReport::new(&bundle, started)))
}

/// Builds a site for publishing and completes it as `write` would, without
/// writing it: the edge publishes it from memory (`deploy::publish`).
pub fn build_complete(ws: &Workspace, site: &Site, opts: &BuildOptions) -> Result<Bundle> {
    let data = match &opts.data {
        Some(d) => d.clone(),
        None => Arc::new(platform::load(ws, site, opts.fetch)?),
    };
    let digest = inputs::digest(ws, site, &data, opts);
    let opts = BuildOptions {
        data: Some(data),
        mode: BuildMode::Publish,
        ..opts.clone()
    };
    let mut bundle = build_site(ws, site, &opts)?;
    complete(ws, site, &mut bundle, digest)?;
    Ok(bundle)
}

/// Loads, builds and writes one site. On any error nothing is written and
/// the previous output stays as it was.
pub fn build_and_write(ws: &Workspace, domain: &str, opts: &BuildOptions) -> Result<BuildReport> {
    match build_if_changed(ws, domain, opts, false)? {
        Outcome::Built(report) => Ok(report),
        Outcome::Unchanged { .. } => unreachable!("only --changed skips a site"),
    }
}

/// Completes a published bundle and writes it to `dist/<domain>/`.
pub fn write(ws: &Workspace, site: &Site, bundle: &mut Bundle, inputs: String) -> Result<()> {
    complete(ws, site, bundle, inputs)?;
    let mut phase = Phases::new(site.domain());
    bundle.write_atomic(&site_output_dir(ws, site.domain()))?;
    phase.done("write");
    Ok(())
}

/// What a deployable bundle has beyond the pages: gzip twins of the other
/// text files, the inputs digest, the nginx config and snippet, and what
/// the edge renders from.
fn complete(ws: &Workspace, site: &Site, bundle: &mut Bundle, inputs: String) -> Result<()> {
    let mut phase = Phases::new(site.domain());
    // Every page got its twin as it rendered; the other text files get theirs here.
    assets::precompress(&mut bundle.files, |path| path.ends_with(".html"));
    phase.done("gzip");
    bundle.inputs = Some(inputs);
    bundle.extra.insert(
        format!("nginx/{}.conf", site.domain()),
        nginx::server_config(ws, site, bundle).into_bytes(),
    );
    bundle.extra.insert(
        format!("nginx/{}", nginx::SNIPPET),
        nginx::http_snippet(ws).into_bytes(),
    );
    let edge = crate::edge::ship::DIST_DIR;
    if !crate::edge::ship::enabled(ws) {
        // No edge on this host: releases carry only what nginx serves.
        bundle
            .extra
            .retain(|path, _| !path.starts_with(&format!("{edge}/")));
        return Ok(());
    }
    for (path, bytes) in crate::edge::ship::sources(ws, site, &bundle.markdown)? {
        bundle
            .extra
            .insert(format!("{edge}/workspace/{path}"), bytes);
    }
    Ok(())
}
