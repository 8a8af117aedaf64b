//! Machine-readable outputs: sitemap.xml, robots.txt and JSON-LD entities.
//! Pure functions of the site and its pages; deterministic.

use serde_json::{json, Value as Json};

use crate::config::{Site, SiteKind, TenantKind};
use crate::platform::{LegStatus, PlatformData, Profile, Tour, TourLeg};

/// One URL in the sitemap.
pub struct SitemapEntry<'a> {
    pub url: &'a str,
    pub lastmod: Option<&'a str>,
}

pub fn sitemap(base_url: &str, entries: &[SitemapEntry<'_>]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
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
pub fn site_entity(site: &Site, data: &PlatformData, logo_url: Option<&str>) -> Json {
    let base = site.base_url();
    let same_as: Vec<&str> = data
        .tenant
        .links
        .iter()
        .filter_map(|l| l.url.get())
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .collect();
    let description = site
        .config
        .brand
        .tagline
        .clone()
        .or_else(|| data.tenant.tagline.clone());
    let is_person =
        site.config.kind == SiteKind::ProviderSite || data.tenant.kind == TenantKind::Person;
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
                obj.insert("jobTitle".into(), role.clone().into());
            }
        }
    } else if site.config.kind == SiteKind::OrgSite && !data.profiles.is_empty() {
        let members: Vec<Json> = data
            .profiles
            .iter()
            .map(|p| json!({"@type": "Person", "name": p.display_name, "url": format!("{base}/members/{}/", p.slug)}))
            .collect();
        obj.insert("member".into(), json!(members));
    }
    entity
}

/// A member's page entity: a Person who is a member of the Org.
pub fn member_entity(site: &Site, p: &Profile) -> Json {
    let base = site.base_url();
    let mut entity = json!({
        "@context": "https://schema.org",
        "@type": "Person",
        "name": p.display_name,
        "url": format!("{base}/members/{}/", p.slug),
        "memberOf": {"@id": format!("{base}/#organization"), "@type": "Organization", "name": site.config.brand.name},
    });
    if let Some(role) = &p.role_title {
        entity["jobTitle"] = role.clone().into();
    }
    let same_as: Vec<&str> = p
        .links
        .iter()
        .filter_map(|l| l.url.get())
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .collect();
    if !same_as.is_empty() {
        entity["sameAs"] = json!(same_as);
    }
    entity
}

/// A schema.org Event for one tour leg.
pub fn leg_event(site: &Site, tour: &Tour, leg: &TourLeg) -> Json {
    let base = site.base_url();
    let status = match leg.status {
        LegStatus::Cancelled => "https://schema.org/EventCancelled",
        _ => "https://schema.org/EventScheduled",
    };
    let mut event = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": format!("{} — {}", tour.title, leg.city),
        "startDate": leg.start_date,
        "endDate": leg.end_date,
        "eventStatus": status,
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "url": format!("{base}{}", leg.url),
        "location": {
            "@type": "Place",
            "name": leg.venue.clone().unwrap_or_else(|| leg.city.clone()),
            "address": {"@type": "PostalAddress", "addressLocality": leg.city, "addressCountry": leg.country},
        },
        "organizer": {"@type": "Organization", "name": site.config.brand.name, "url": format!("{base}/")},
    });
    if let Some(summary) = &tour.summary {
        event["description"] = summary.clone().into();
    }
    if let Some(booking) = leg.booking_url.as_ref().and_then(|u| u.get()) {
        let availability = match leg.status {
            LegStatus::Open => "https://schema.org/InStock",
            LegStatus::Limited => "https://schema.org/LimitedAvailability",
            LegStatus::Full | LegStatus::Cancelled => "https://schema.org/SoldOut",
        };
        event["offers"] = json!({"@type": "Offer", "url": booking, "availability": availability});
    }
    event
}
