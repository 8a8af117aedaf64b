//! Phase 3, render: each planned route's context (made by its page type, in
//! the render threads, so contexts never pile up in memory) rendered with
//! its template, in parallel. A publishing build compresses each page as it
//! renders: the text is still in cache, and no second pass is needed.

use rayon::prelude::*;

use super::plan::Plan;
use super::BuildMode;
use crate::assets;
use crate::error::Result;
use crate::pages::{self, Scope};
use crate::render::Renderer;

/// A rendered page: its bundle path, HTML, and `.gz` twin if it has one.
pub type RenderedPage = (String, String, Option<(String, Vec<u8>)>);

pub fn render(
    plan: &Plan<'_>,
    scope: &Scope<'_>,
    renderer: &Renderer,
    mode: BuildMode,
) -> Result<Vec<RenderedPage>> {
    let compress = mode == BuildMode::Publish;
    // Collect every result, then take the first error in plan order, so the
    // reported error does not depend on thread timing.
    let rendered: Vec<Result<RenderedPage>> = plan
        .render
        .par_iter()
        .map(|&i| {
            let route = &plan.routes[i];
            let what = route.source.what();
            let ctx = pages::context(route, scope)?;
            let language = super::context::language_context(scope, plan, route);
            let ctx = minijinja::context! { ..ctx, ..language };
            let mut html = renderer
                .render(route.template, ctx, &what)
                .map_err(|mut e| {
                    let during = format!("while rendering {what}");
                    e.hint = Some(match e.hint.take() {
                        None => during,
                        Some(h) if h.contains("included from") || e.message.contains(&what) => h,
                        Some(h) => format!("{h} ({during})"),
                    });
                    e
                })?;
            // Pages stay in memory until the bundle is written: no slack.
            html.shrink_to_fit();
            let gz = compress
                .then(|| assets::twin(&route.output, html.as_bytes()))
                .flatten();
            Ok((route.output.clone(), html, gz))
        })
        .collect();
    rendered.into_iter().collect()
}
