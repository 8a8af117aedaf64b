//! The sitemap for people: every page of a language as a tree of its
//! sections, then the pages made from platform data (members, tour dates)
//! and the tags, at `/sitemap/` (`/<prefix>/sitemap/`) and linked from every
//! footer. `sitemap.xml` is for search engines; under the site's policy a
//! browser shows it as run-together text.

use minijinja::value::Value;
use serde_json::{json, Value as Json};

use super::{Entry, Route, Scope, Source};
use crate::config::{Language, Site};
use crate::listing::Listings;

pub const URL: &str = "/sitemap/";

/// Sections deeper than this are listed without their pages.
const MAX_DEPTH: usize = 6;

pub fn entries<'a>(site: &Site, langs: &[&'a Language]) -> Vec<Entry<'a>> {
    langs
        .iter()
        .map(|lang| Entry {
            url: site.languages.url(lang, URL),
            lang,
            template: "sitemap.html",
            source: Source::SiteMap,
            listed: None,
        })
        .collect()
}

pub fn context(scope: &Scope<'_>, route: &Route<'_>) -> Value {
    let site = scope.site;
    let url = &route.url;
    let home = site.languages.url(route.lang, "/");
    let generators = site.config.kind.spec().generators;
    minijinja::context! { page => Value::from_serialize(json!({
        "url": url, "kind": "sitemap",
        "permalink": super::permalink(site, url), "jsonld": scope.jsonld(route.lang(), []),
        "home": home,
        "tree": children(scope.listings, &home, 0),
        "member_pages": generators.contains(&crate::kinds::Generator::Members),
        "leg_pages": generators.contains(&crate::kinds::Generator::Legs),
    })) }
}

/// The pages of a section, each section with its own, in listing order.
fn children(listings: &Listings<'_>, section: &str, depth: usize) -> Vec<Json> {
    let Some(pages) = listings.sections.get(section) else {
        return Vec::new();
    };
    pages
        .iter()
        .filter(|p| p.front.sitemap)
        .map(|p| {
            let below = if p.is_section && depth < MAX_DEPTH {
                children(listings, &p.url, depth + 1)
            } else {
                Vec::new()
            };
            json!({"title": p.front.title, "url": p.url, "children": below})
        })
        .collect()
}
