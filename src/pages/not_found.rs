//! The default 404 page, for sites whose content has no `404.md`: rendered
//! with the `404.html` template at `/404.html` (nginx's `error_page`).

use minijinja::value::Value;
use serde_json::json;

use super::{Entry, Route, Scope, Source};
use crate::config::{Language, Site};
use crate::content::Page;

pub const URL: &str = "/404.html";

/// The default 404 page of each of `langs` whose content has no `404.md`
/// (`/404.html`, `/<prefix>/404.html`).
pub fn entries<'a>(site: &Site, pages: &[Page], langs: &[&'a Language]) -> Vec<Entry<'a>> {
    langs
        .iter()
        .filter(|lang| !pages.iter().any(|p| p.is_404() && p.lang == lang.code))
        .map(|lang| Entry {
            url: site.languages.url(lang, URL),
            lang,
            template: "404.html",
            source: Source::NotFound,
            listed: None,
        })
        .collect()
}

pub fn context(scope: &Scope<'_>, route: &Route<'_>) -> Value {
    let url = &route.url;
    minijinja::context! { page => Value::from_serialize(json!({
        "title": "Page not found", "url": url, "kind": "404", "content": "",
        "permalink": super::permalink(scope.site, url), "jsonld": scope.jsonld(route.lang(), []),
    })) }
}
