//! Machine-readable outputs: sitemap.xml, robots.txt and JSON-LD entities.
//! Pure functions of the site and its pages; deterministic.

use serde_json::{json, Value as Json};

use crate::config::{Language, Site, TenantKind};
use crate::kinds::Entity;
use crate::platform::{ExternalLink, PlatformData, Profile};

/// One URL in the sitemap.
pub struct SitemapEntry<'a> {
    pub url: &'a str,
    pub lastmod: Option<&'a str>,
    /// Its translations, itself included, as the page's head lists them:
    /// (hreflang, site path); `x-default` last if there is one. Empty for
    /// a page without translations.
    pub alternates: Vec<(String, String)>,
}

/// sitemap.xml; pages with translations list them as `xhtml:link`
/// alternates (the namespace is declared only when some page has them).
pub fn sitemap(base_url: &str, entries: &[SitemapEntry<'_>]) -> String {
    let xhtml = if entries.iter().any(|e| !e.alternates.is_empty()) {
        " xmlns:xhtml=\"http://www.w3.org/1999/xhtml\""
    } else {
        ""
    };
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"{xhtml}>\n",
    );
    for e in entries {
        out.push_str("  <url><loc>");
        out.push_str(&xml_escape(&format!("{base_url}{}", e.url)));
        out.push_str("</loc>");
        if let Some(d) = e.lastmod {
            out.push_str("<lastmod>");
            out.push_str(&xml_escape(d));
            out.push_str("</lastmod>");
        }
        for (hreflang, url) in &e.alternates {
            out.push_str(&format!(
                "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>",
                xml_escape(hreflang),
                xml_escape(&format!("{base_url}{url}"))
            ));
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

pub fn robots(base_url: &str) -> String {
    format!("User-agent: *\nAllow: /\n\nSitemap: {base_url}/sitemap.xml\n")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How a site's JSON-LD entities link each other (`@id`s: the site entity
/// `https://<domain>/#org` or `#person`, the brand's `EventSeries` `#series`
/// on tour sites, the `WebSite` `#website`, a member `<member page URL>#person`,
/// a tour leg `<leg page URL>#event`), and the images entities without one of
/// their own show. Made once per build from public values only.
#[derive(Debug, Clone)]
pub struct Graph {
    base: String,
    is_person: bool,
    on_tour: bool,
    /// The site's logo (brand logo, else its generated touch icon), absolute.
    pub logo: String,
    /// The brand logo alone, absolute, if the site has one.
    pub brand_logo: Option<String>,
    /// An image for entities that have none of their own: the site's
    /// social image, else its logo; absolute.
    pub image: String,
}

impl Graph {
    /// `logo`: the brand logo's URL, `social`: the social image's, `icon`:
    /// the generated touch icon's (site paths, all in the bundle).
    pub fn new(
        site: &Site,
        data: &PlatformData,
        logo: Option<&str>,
        social: Option<&str>,
        icon: &str,
    ) -> Graph {
        let base = site.base_url();
        let entity = site.config.kind.spec().entity;
        let brand_logo = logo.map(|l| format!("{base}{l}"));
        let logo = brand_logo
            .clone()
            .unwrap_or_else(|| format!("{base}{icon}"));
        let image = social.map_or_else(|| logo.clone(), |s| format!("{base}{s}"));
        Graph {
            is_person: entity == Entity::Person || data.tenant.kind == TenantKind::Person,
            on_tour: entity == Entity::TenantOnTour,
            base,
            logo,
            brand_logo,
            image,
        }
    }

    /// `https://<domain>/#person` or `#org`.
    pub fn site_id(&self) -> String {
        let fragment = if self.is_person { "person" } else { "org" };
        format!("{}/#{fragment}", self.base)
    }

    /// The brand's `EventSeries` (tour sites only).
    pub fn series_id(&self) -> Option<String> {
        self.on_tour.then(|| format!("{}/#series", self.base))
    }

    pub fn website_id(&self) -> String {
        format!("{}/#website", self.base)
    }

    /// A member's Person, by its page's default-language URL.
    pub fn member_id(&self, member_url: &str) -> String {
        format!("{}{member_url}#person", self.base)
    }

    /// A tour leg's Event, by its page's default-language URL.
    pub fn event_id(&self, leg_url: &str) -> String {
        format!("{}{leg_url}#event", self.base)
    }

    /// A reference to the site entity.
    pub fn site_ref(&self) -> Json {
        json!({"@id": self.site_id()})
    }
}

/// Absolute `http(s)` URLs of public links, for `sameAs`.
pub fn same_as(links: &[ExternalLink]) -> Vec<&str> {
    links
        .iter()
        .filter_map(|l| l.url.get())
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .collect()
}

/// The site's own entities as pages in `lang` show them: the tenant (an
/// Organization for Org tenants, a Person, named as the tenant record names
/// it, for Persons) and, on tour sites, the brand as an `EventSeries` the
/// tenant organises and performs. An Organization lists its members by the
/// `@id` of their pages (`member_url`: `crate::pages::members::url`).
/// `data` is the tenant's data in `lang`. Only what pages show publicly:
/// the tenant record's public fields (no address or contact point: the
/// platform's public contract has none).
pub fn site_entities(
    site: &Site,
    lang: &Language,
    data: &PlatformData,
    graph: &Graph,
    member_url: impl Fn(&Profile) -> String,
) -> Vec<Json> {
    let base = site.base_url();
    let same_as = same_as(&data.tenant.links);
    let description = site
        .languages
        .copy(lang, |l| l.tagline.as_deref())
        .map(|(t, _)| t.to_string())
        .or_else(|| data.tenant.tagline.as_ref().map(ToString::to_string));
    let kind_entity = site.config.kind.spec().entity;
    let is_person = graph.is_person;
    let name = if is_person {
        &data.tenant.name
    } else {
        &site.config.brand.name
    };
    let mut entity = json!({
        "@context": "https://schema.org",
        "@type": if is_person { "Person" } else { "Organization" },
        "@id": graph.site_id(),
        "name": name,
        "url": format!("{base}/"),
    });
    let obj = entity.as_object_mut().expect("object");
    // On tour sites the brand's tagline describes the tour, not the tenant.
    if let Some(d) = description.as_ref().filter(|_| !graph.on_tour) {
        obj.insert("description".into(), d.as_str().into());
    }
    if !same_as.is_empty() {
        obj.insert("sameAs".into(), json!(same_as));
    }
    if is_person {
        if let Some(logo) = &graph.brand_logo {
            obj.insert("image".into(), logo.as_str().into());
        }
        if let Some(p) = data.profiles.first() {
            if let Some(role) = &p.role_title {
                obj.insert("jobTitle".into(), role.to_string().into());
            }
        }
    } else {
        obj.insert("logo".into(), graph.logo.as_str().into());
        if kind_entity == Entity::TenantWithMembers && !data.profiles.is_empty() {
            let members: Vec<Json> = data
                .profiles
                .iter()
                .map(|p| {
                    let url = member_url(p);
                    json!({
                        "@type": "Person", "@id": graph.member_id(&url),
                        "name": p.display_name, "url": format!("{base}{url}"),
                    })
                })
                .collect();
            obj.insert("member".into(), json!(members));
        }
    }
    let mut out = vec![entity];
    if let Some(series) = graph.series_id() {
        let mut entity = json!({
            "@context": "https://schema.org",
            "@type": "EventSeries",
            "@id": series,
            "name": site.config.brand.name,
            "url": format!("{base}/"),
            "image": graph.image,
            "organizer": graph.site_ref(),
            "performer": graph.site_ref(),
        });
        if let Some(d) = description {
            entity["description"] = d.into();
        }
        out.push(entity);
    }
    out
}

/// The `WebSite` entity of a home page: its name, URL, languages (`locales`)
/// and publisher.
pub fn website(site: &Site, graph: &Graph, locales: &[&str]) -> Json {
    let in_language = match locales {
        [one] => json!(one),
        many => json!(many),
    };
    json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "@id": graph.website_id(),
        "name": site.config.brand.name,
        "url": format!("{}/", site.base_url()),
        "inLanguage": in_language,
        "publisher": graph.site_ref(),
    })
}

/// A `BreadcrumbList` of (name, absolute URL) items, home first.
pub fn breadcrumbs(items: &[(String, String)]) -> Json {
    let list: Vec<Json> = items
        .iter()
        .enumerate()
        .map(|(i, (name, url))| {
            json!({"@type": "ListItem", "position": i + 1, "name": name, "item": url})
        })
        .collect();
    json!({"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": list})
}

/// ISO 3166-1 alpha-2 code of a country as platform data names it (an
/// English name such as `Netherlands`, or a code already); None when the
/// name is not one the `celes` tables know.
pub fn country_code(country: &str) -> Option<&'static str> {
    use std::str::FromStr;
    let name = country.trim();
    let squashed: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    celes::Country::from_str(name)
        .or_else(|_| celes::Country::from_name(&squashed))
        .or_else(|_| celes::Country::from_alias(&squashed))
        .or_else(|_| celes::Country::from_str(&squashed))
        .ok()
        .map(|c| c.alpha2)
}

#[cfg(test)]
mod tests {
    use super::country_code;

    #[test]
    fn country_names_and_codes_map_to_alpha_2_codes() {
        for (name, code) in [
            ("Portugal", "PT"),
            ("Netherlands", "NL"),
            ("The Netherlands", "NL"),
            ("Switzerland", "CH"),
            ("United Kingdom", "GB"),
            ("fr", "FR"),
            ("DE", "DE"),
        ] {
            assert_eq!(country_code(name), Some(code), "{name}");
        }
        assert_eq!(country_code("Narnia"), None);
    }
}
