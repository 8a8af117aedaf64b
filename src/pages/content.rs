//! Content pages: one per markdown file, at the URL its path (or `slug:`)
//! gives; a section (`_index.md`, not the home page) is a listing of its
//! children, split into `<section>/page/N/` when its template reads
//! `paginator`.

use std::collections::BTreeMap;

use minijinja::value::Value;
use serde_json::{json, Value as Json};

use super::{Entry, Scope, Source};
use crate::config::Site;
use crate::content::Page;
use crate::error::Result;
use crate::listing::{self, Listings, Pager};
use crate::seo;

/// The template a content page renders with: its `template:` or the
/// default for what it is.
pub fn template_for(page: &Page) -> &str {
    if let Some(t) = &page.front.template {
        return &t.0;
    }
    if page.is_home() {
        "index.html"
    } else if page.is_404() {
        "404.html"
    } else if page.is_section {
        "section.html"
    } else {
        "page.html"
    }
}

/// Every content page, in file order; sections are listings.
pub fn entries<'a>(site: &'a Site, pages: &'a [Page], listings: &Listings<'a>) -> Vec<Entry<'a>> {
    pages
        .iter()
        .map(|page| Entry {
            url: page.url.clone(),
            lang: site
                .languages
                .get(&page.lang)
                .unwrap_or(site.languages.default_language()),
            template: template_for(page),
            source: Source::Content(page),
            listed: (page.is_section && !page.is_home())
                .then(|| listings.sections[page.url.as_str()].len()),
        })
        .collect()
}

/// A page's meta description: its own, else the site's description, else
/// its tagline, in the page's language or along its fallback chain.
fn describe<'a>(site: &'a Site, lang: &str, own: Option<&'a str>) -> Option<&'a str> {
    let languages = &site.languages;
    let lang = languages.get(lang).unwrap_or(languages.default_language());
    own.or_else(|| Some(languages.copy(lang, |l| l.description.as_deref())?.0))
        .or_else(|| Some(languages.copy(lang, |l| l.tagline.as_deref())?.0))
}

/// A content page's context: `page` (and `paginator` on listing pages,
/// where pages after the first have their own URL and permalink).
pub fn context(scope: &Scope<'_>, page: &Page, pager: Option<(&[Pager], usize)>) -> Result<Value> {
    let site = scope.site;
    let mut image_url = None;
    let image = match &page.front.image {
        Some(file) => {
            let path = site
                .roots
                .content
                .check(&site.content_dir.join(file.as_str()))?;
            let v = scope.images.social(&path)?;
            image_url = Some(v.url.clone());
            Value::from_serialize(json!({"url": v.url, "width": v.width, "height": v.height}))
        }
        None => Value::from(()),
    };
    let neighbour =
        |p: Option<&Page>| p.map_or(Value::from(()), |p| scope.summaries[p.url.as_str()].clone());
    let (prev, next) = scope
        .listings
        .neighbours
        .get(page.url.as_str())
        .copied()
        .unwrap_or_default();
    let mut extra = vec![("prev", neighbour(prev)), ("next", neighbour(next))];
    if let Some((pagers, i)) = pager {
        let items = &scope.section_items[page.url.as_str()];
        extra.push(("paginator", listing::paginator_value(pagers, i, items)));
        if i > 0 {
            let url = &pagers[i].url;
            extra.push(("url", Value::from(url.as_str())));
            extra.push(("permalink", Value::from(super::permalink(site, url))));
        }
    }
    let kind = if page.is_home() {
        "home"
    } else if page.is_404() {
        "404"
    } else if page.is_section {
        "section"
    } else {
        "page"
    };
    // The Atom feed it links to (its own section's, or its section's).
    let feed = crate::feeds::feed_url(scope.listings, page).map(|url| {
        let section = if page.is_section {
            page.front.title.clone()
        } else {
            page.parent
                .as_deref()
                .and_then(|p| scope.summaries.get(p))
                .and_then(|s| s.get_attr("title").ok())
                .map(|t| t.to_string())
                .unwrap_or_default()
        };
        json!({"url": url, "title": format!("{section} — {}", site.config.brand.name)})
    });
    let own = entities(scope, page, image_url.as_deref());
    let fields = [
        ("feed", Value::from_serialize(feed)),
        ("title", Value::from(page.front.title.as_str())),
        (
            "description",
            Value::from(describe(
                site,
                &page.lang,
                page.front.description.as_deref(),
            )),
        ),
        ("url", Value::from(page.url.as_str())),
        ("permalink", Value::from(super::permalink(site, &page.url))),
        ("kind", Value::from(kind)),
        ("content", Value::from_safe_string(page.content.clone())),
        ("toc", Value::from_serialize(&page.toc)),
        ("date", Value::from_serialize(&page.front.date)),
        ("weight", Value::from(page.front.weight)),
        ("extra", Value::from_serialize(&page.front.extra)),
        ("parent", Value::from_serialize(&page.parent)),
        ("source", Value::from(page.rel.as_str())),
        (
            "jsonld",
            Value::from_serialize(scope.jsonld(&page.lang, own)),
        ),
        ("image", image),
        ("tags", Value::from_serialize(listing::tag_refs(page))),
    ];
    // Later entries win: `extra` replaces url and permalink on listing pages.
    let map: BTreeMap<&str, Value> = fields.into_iter().chain(extra).collect();
    let paginator = map.get("paginator").cloned();
    let page_value = Value::from_iter(map);
    Ok(match paginator {
        Some(paginator) => minijinja::context! { page => page_value, paginator => paginator },
        None => minijinja::context! { page => page_value },
    })
}

/// A content page's own JSON-LD: the `WebSite` on home pages, an `Article`
/// on dated pages (news posts), by the site entity; `image` is its front
/// matter image's URL, if it has one.
fn entities(scope: &Scope<'_>, page: &Page, image: Option<&str>) -> Vec<Json> {
    let site = scope.site;
    let graph = scope.graph;
    let languages = &site.languages;
    let lang = languages
        .get(&page.lang)
        .unwrap_or(languages.default_language());
    if page.is_home() {
        let locales: Vec<&str> = languages.iter().map(|l| l.locale.as_str()).collect();
        return vec![seo::website(site, graph, &locales)];
    }
    let Some(date) = page
        .front
        .date
        .as_ref()
        .filter(|_| !page.is_section && !page.is_404())
    else {
        return Vec::new();
    };
    let permalink = super::permalink(site, &page.url);
    let image = image.map_or_else(
        || graph.image.clone(),
        |url| format!("{}{url}", site.base_url()),
    );
    let mut article = json!({
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": page.front.title,
        "datePublished": date.0,
        "url": permalink,
        "mainEntityOfPage": permalink,
        "image": image,
        "inLanguage": lang.locale,
        "author": graph.site_ref(),
        "publisher": graph.site_ref(),
    });
    if let Some(d) = page.front.description.as_deref() {
        article["description"] = d.into();
    }
    vec![article]
}
