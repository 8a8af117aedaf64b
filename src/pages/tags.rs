//! Tag pages: the index of every tag at `/tags/` and one listing per tag at
//! `/tags/<slug>/` (paginated like sections), made from the front matter
//! `tags:` of content pages. Only sites that use tags have them.

use minijinja::value::Value;
use serde_json::json;

use super::{Entry, Route, Scope, Source};
use crate::config::Site;
use crate::listing::{self, Listings, Pager, Term};

/// For each language with tagged pages: its tags index and a listing per tag.
pub fn entries<'a>(site: &'a Site, listings: &'a Listings<'a>) -> Vec<Entry<'a>> {
    let mut out = Vec::new();
    for lang in site.languages.iter() {
        let root = site.languages.url(lang, "/");
        let mut terms = listings.terms.iter().filter(|t| t.root == root).peekable();
        if terms.peek().is_none() {
            continue;
        }
        out.push(Entry {
            url: format!("{root}tags/"),
            lang,
            template: "tags.html",
            source: Source::Tags,
            listed: None,
        });
        out.extend(terms.map(|t| Entry {
            url: t.url(),
            lang,
            template: "tag.html",
            source: Source::Term(t),
            listed: Some(t.pages.len()),
        }));
    }
    out
}

/// Every tag of one language (its home URL `root`) with its page count, by
/// slug: the `tags` value and the tags index.
pub fn terms_value(listings: &Listings<'_>, root: &str) -> Value {
    Value::from_serialize(
        listings
            .terms
            .iter()
            .filter(|t| t.root == root)
            .map(
                |t| json!({"name": t.name, "slug": t.slug, "url": t.url(), "count": t.pages.len()}),
            )
            .collect::<Vec<_>>(),
    )
}

pub fn index_context(scope: &Scope<'_>, route: &Route<'_>) -> Value {
    let site = scope.site;
    let url = &route.url;
    let root = site.languages.url(route.lang, "/");
    let page = json!({
        "title": "Tags", "description": format!("Every tag on {}", site.config.brand.name),
        "url": url, "permalink": super::permalink(site, url),
        "kind": "tags", "jsonld": scope.jsonld(route.lang(), []),
    });
    minijinja::context! { page => Value::from_serialize(page), terms => terms_value(scope.listings, &root) }
}

/// Page `i` of a tag's listing.
pub fn term_context(scope: &Scope<'_>, term: &Term<'_>, pagers: &[Pager], i: usize) -> Value {
    let site = scope.site;
    let items = &scope.term_items[term.url().as_str()];
    let paginator = listing::paginator_value(pagers, i, items);
    let url = &pagers[i].url;
    let page = json!({
        "title": term.name,
        "description": format!("Pages tagged “{}” on {}", term.name, site.config.brand.name),
        "url": url, "permalink": super::permalink(site, url),
        "kind": "tag", "parent": format!("{}tags/", term.root),
        "jsonld": scope.jsonld(&scope.site.languages.of_url(&term.root).code, []),
    });
    let term_value = json!({
        "name": term.name, "slug": term.slug, "url": term.url(), "count": term.pages.len(),
    });
    minijinja::context! {
        page => Value::from_serialize(page),
        term => Value::from_serialize(term_value),
        paginator => paginator,
    }
}
