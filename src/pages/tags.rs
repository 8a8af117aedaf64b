//! Tag pages: the index of every tag at `/tags/` and one listing per tag at
//! `/tags/<slug>/` (paginated like sections), made from the front matter
//! `tags:` of content pages. Only sites that use tags have them.

use minijinja::value::Value;
use serde_json::json;

use super::{Entry, Scope, Source};
use crate::listing::{self, Listings, Pager, Term};

pub fn entries<'a>(listings: &'a Listings<'a>) -> Vec<Entry<'a>> {
    if listings.terms.is_empty() {
        return Vec::new();
    }
    let index = Entry {
        url: listing::TAGS_URL.to_string(),
        template: "tags.html",
        source: Source::Tags,
        listed: None,
    };
    std::iter::once(index)
        .chain(listings.terms.iter().map(|t| Entry {
            url: t.url(),
            template: "tag.html",
            source: Source::Term(t),
            listed: Some(t.pages.len()),
        }))
        .collect()
}

/// Every tag with its page count, by slug: the `tags` global and the tags index.
pub fn terms_value(listings: &Listings<'_>) -> Value {
    Value::from_serialize(
        listings
            .terms
            .iter()
            .map(
                |t| json!({"name": t.name, "slug": t.slug, "url": t.url(), "count": t.pages.len()}),
            )
            .collect::<Vec<_>>(),
    )
}

pub fn index_context(scope: &Scope<'_>) -> Value {
    let site = scope.site;
    let page = json!({
        "title": "Tags", "description": format!("Every tag on {}", site.config.brand.name),
        "url": listing::TAGS_URL, "permalink": super::permalink(site, listing::TAGS_URL),
        "kind": "tags", "jsonld": [scope.site_entity],
    });
    minijinja::context! { page => Value::from_serialize(page), terms => terms_value(scope.listings) }
}

/// Page `i` of a tag's listing.
pub fn term_context(scope: &Scope<'_>, term: &Term<'_>, pagers: &[Pager], i: usize) -> Value {
    let site = scope.site;
    let items = &scope.term_items[term.slug.as_str()];
    let paginator = listing::paginator_value(pagers, i, items);
    let url = &pagers[i].url;
    let page = json!({
        "title": term.name,
        "description": format!("Pages tagged “{}” on {}", term.name, site.config.brand.name),
        "url": url, "permalink": super::permalink(site, url),
        "kind": "tag", "parent": listing::TAGS_URL, "jsonld": [scope.site_entity],
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
