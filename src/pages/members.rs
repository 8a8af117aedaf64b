//! Member pages: one per member profile the site shows (an Org's publicly
//! shared members), at `/members/<slug>/`, each a schema.org `ProfilePage`
//! of a Person who is `memberOf` the Org. Only kinds with `Generator::Members` have them.

use minijinja::value::Value;
use serde_json::{json, Value as Json};

use super::{Entry, Route, Scope, Source};
use crate::config::{Language, Site};
use crate::platform::{PlatformData, Profile};
use crate::seo::Graph;

/// The roster section member pages belong to.
pub const SECTION: &str = "/members/";

/// The URL of a member's page.
pub fn url(p: &Profile) -> String {
    format!("{SECTION}{}/", p.slug)
}

/// A member page per profile in each of `langs`, under that language's
/// roster section (`section(lang)`: `/members/`, `/en/members/`).
pub fn entries<'a>(
    langs: &[&'a Language],
    data: impl Fn(&Language) -> &'a PlatformData,
    section: impl Fn(&Language) -> String,
) -> Vec<Entry<'a>> {
    langs
        .iter()
        .flat_map(|lang| {
            let base = section(lang);
            data(lang).profiles.iter().map(move |p| Entry {
                url: format!("{base}{}/", p.slug),
                lang,
                template: "member.html",
                source: Source::Member(p),
                listed: None,
            })
        })
        .collect()
}

pub fn context(scope: &Scope<'_>, p: &Profile, route: &Route<'_>) -> Value {
    let site = scope.site;
    let url = route.url.clone();
    let title = match &p.role_title {
        Some(role) => format!("{} — {role}", p.display_name),
        None => p.display_name.clone(),
    };
    let page = json!({
        "title": title, "description": format!("{} at {}", p.display_name, site.config.brand.name),
        "url": url, "permalink": super::permalink(site, &url), "kind": "member",
        "parent": url.trim_end_matches('/').rsplit_once('/').map_or("/", |(parent, _)| parent).to_string() + "/",
        "jsonld": scope.jsonld(route.lang(), [entity(site, scope.graph, p, &url)]),
    });
    minijinja::context! { page => Value::from_serialize(page), member => Value::from_serialize(p) }
}

/// A member's page entity: a `ProfilePage` whose `mainEntity` is the
/// member, a Person who is a member of the Org (the site entity, by `@id`).
/// The Person's `@id` is its default-language page's, as the Org's `member`
/// list names it, in every language.
pub fn entity(site: &Site, graph: &Graph, p: &Profile, page_url: &str) -> Json {
    let base = site.base_url();
    let mut person = json!({
        "@type": "Person",
        "@id": graph.member_id(&url(p)),
        "name": p.display_name,
        "url": format!("{base}{page_url}"),
        "memberOf": graph.site_ref(),
    });
    if let Some(role) = &p.role_title {
        person["jobTitle"] = role.to_string().into();
    }
    let same_as = crate::seo::same_as(&p.links);
    if !same_as.is_empty() {
        person["sameAs"] = json!(same_as);
    }
    json!({
        "@context": "https://schema.org",
        "@type": "ProfilePage",
        "url": format!("{base}{page_url}"),
        "mainEntity": person,
    })
}
