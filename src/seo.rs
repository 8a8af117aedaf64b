//! Machine-readable outputs: sitemap.xml, robots.txt and JSON-LD entities.
//! Pure functions of the site and its pages; deterministic.

use serde_json::{json, Value as Json};

use crate::config::{Language, Site, TenantKind};
use crate::kinds::Entity;
use crate::platform::{PlatformData, Profile};

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

/// The site's own entity: an Organization for Org tenants, a Person for Persons.
/// `member_url` is where a member's page is (`crate::pages::members::url`).
/// `lang` is the language of the pages that show it (its description);
/// `data` is the tenant's data in that language.
pub fn site_entity(
    site: &Site,
    lang: &Language,
    data: &PlatformData,
    logo_url: Option<&str>,
    member_url: impl Fn(&Profile) -> String,
) -> Json {
    let base = site.base_url();
    let same_as: Vec<&str> = data
        .tenant
        .links
        .iter()
        .filter_map(|l| l.url.get())
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .collect();
    let description = site
        .languages
        .copy(lang, |l| l.tagline.as_deref())
        .map(|(t, _)| t.to_string())
        .or_else(|| data.tenant.tagline.as_ref().map(ToString::to_string));
    let kind_entity = site.config.kind.spec().entity;
    let is_person = kind_entity == Entity::Person || data.tenant.kind == TenantKind::Person;
    let mut entity = json!({
        "@context": "https://schema.org",
        "@type": if is_person { "Person" } else { "Organization" },
        "@id": format!("{base}/#{}", if is_person { "person" } else { "organization" }),
        "name": site.config.brand.name,
        "url": format!("{base}/"),
    });
    let obj = entity.as_object_mut().expect("object");
    if let Some(d) = description {
        obj.insert("description".into(), d.into());
    }
    if !same_as.is_empty() {
        obj.insert("sameAs".into(), json!(same_as));
    }
    if let Some(logo) = logo_url {
        let key = if is_person { "image" } else { "logo" };
        obj.insert(key.into(), format!("{base}{logo}").into());
    }
    if is_person {
        if let Some(p) = data.profiles.first() {
            if let Some(role) = &p.role_title {
                obj.insert("jobTitle".into(), role.to_string().into());
            }
        }
    } else if kind_entity == Entity::TenantWithMembers && !data.profiles.is_empty() {
        let members: Vec<Json> = data
            .profiles
            .iter()
            .map(|p| json!({"@type": "Person", "name": p.display_name, "url": format!("{base}{}", member_url(p))}))
            .collect();
        obj.insert("member".into(), json!(members));
    }
    entity
}
