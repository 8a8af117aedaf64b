//! The default 404 page, for sites whose content has no `404.md`: rendered
//! with the `404.html` template at `/404.html` (nginx's `error_page`).

use minijinja::value::Value;
use serde_json::json;

use super::{Entry, Scope, Source};
use crate::content::Page;

pub const URL: &str = "/404.html";

/// The default 404 page, unless a content page is the 404 page (a `404.md`
/// of another language than the default is at `/<prefix>/404.html`).
pub fn entries(pages: &[Page]) -> Vec<Entry<'static>> {
    if pages.iter().any(|p| p.is_404() && p.url == URL) {
        return Vec::new();
    }
    vec![Entry {
        url: URL.to_string(),
        template: "404.html",
        source: Source::NotFound,
        listed: None,
    }]
}

pub fn context(scope: &Scope<'_>) -> Value {
    minijinja::context! { page => Value::from_serialize(json!({
        "title": "Page not found", "url": URL, "kind": "404", "content": "",
        "permalink": super::permalink(scope.site, URL), "jsonld": [scope.site_entity],
    })) }
}
