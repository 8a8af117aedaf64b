//! The legal notice (French *mentions légales*): who publishes the site,
//! where, under which registration, who directs the publication and who
//! hosts it, from site.yaml's `legal:` block. One page per language at
//! `/legal/` (`/<prefix>/legal/`), linked from every footer.

use minijinja::value::Value;
use serde_json::json;

use super::{Entry, Route, Scope, Source};
use crate::config::{Language, Site};

pub const URL: &str = "/legal/";

pub fn entries<'a>(site: &Site, langs: &[&'a Language]) -> Vec<Entry<'a>> {
    if site.config.legal.is_none() {
        return Vec::new();
    }
    langs
        .iter()
        .map(|lang| Entry {
            url: site.languages.url(lang, URL),
            lang,
            template: "legal.html",
            source: Source::Legal,
            listed: None,
        })
        .collect()
}

pub fn context(scope: &Scope<'_>, route: &Route<'_>) -> Value {
    let url = &route.url;
    minijinja::context! { page => Value::from_serialize(json!({
        "url": url, "kind": "legal", "legal": scope.site.config.legal,
        "permalink": super::permalink(scope.site, url), "jsonld": scope.jsonld(route.lang(), []),
    })) }
}
