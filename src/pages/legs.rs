//! Tour leg pages: one per leg of the tenant's tours, at `/tour/<city>/`,
//! each a schema.org Event with its booking offer. Only kinds with
//! `Generator::Legs` have them; every kind gets `tour_events` in templates.

use std::collections::{BTreeMap, HashSet};

use minijinja::value::Value;
use serde_json::{json, Value as Json};
use time::OffsetDateTime;

use super::{Entry, Route, Scope, Source};
use crate::config::{Language, Site};
use crate::platform::{LegStatus, PlatformData, Tour, TourLeg};
use crate::seo::Graph;
use crate::text::slugify;

/// The schedule section leg pages belong to.
pub const SECTION: &str = "/tour/";

/// A page per leg in each of `langs`, under that language's schedule
/// section (`section(lang)`; `leg.url` is the default language's).
pub fn entries<'a>(
    langs: &[&'a Language],
    data: impl Fn(&Language) -> &'a PlatformData,
    section: impl Fn(&Language) -> String,
) -> Vec<Entry<'a>> {
    langs
        .iter()
        .flat_map(|lang| {
            let base = section(lang);
            data(lang).tours.iter().flat_map(move |t| {
                let base = base.clone();
                t.legs.iter().map(move |l| Entry {
                    url: format!("{base}{}", l.url.strip_prefix(SECTION).unwrap_or(&l.url)),
                    lang,
                    template: "leg.html",
                    source: Source::Leg(t, l),
                    listed: None,
                })
            })
        })
        .collect()
}

/// Leg pages live at `/tour/<city>/`; a city visited twice gets its start
/// date (`/tour/lyon-2027-04-02/`). A city with nothing left to slug (no
/// letter or digit any script transliterates) uses the leg's record id
/// (`/tour/leg-07/`). Every segment is a slug (`[a-z0-9-]`, never empty) and
/// any clash that remains (the same city on the same day, an id equal to
/// another city) gets `-2`, `-3`… in date order, so no two legs share a URL.
/// Legs are sorted by date; each gets its `url`.
pub fn assign_urls(data: &mut PlatformData) {
    for tour in &mut data.tours {
        tour.legs
            .sort_by(|a, b| a.start_date.cmp(&b.start_date).then(a.id.cmp(&b.id)));
    }
    let base = |leg: &TourLeg| {
        [slugify(&leg.city), slugify(&leg.id)]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| "leg".to_string())
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for leg in data.tours.iter().flat_map(|t| &t.legs) {
        *counts.entry(base(leg)).or_default() += 1;
    }
    let mut used: HashSet<String> = HashSet::new();
    for leg in data.tours.iter_mut().flat_map(|t| &mut t.legs) {
        let base = base(leg);
        let date = slugify(&leg.start_date);
        let slug = if counts[&base] > 1 && !date.is_empty() {
            format!("{base}-{date}")
        } else {
            base
        };
        let mut unique = slug.clone();
        let mut n = 2;
        while !used.insert(unique.clone()) {
            unique = format!("{slug}-{n}");
            n += 1;
        }
        leg.url = format!("{SECTION}{unique}/");
    }
}

/// Marks the legs whose end date is over at `now` as past: from 00:00 UTC
/// the day after it. Returns the next instant a leg becomes past, when the
/// pages change by the clock alone. A date that does not parse is never past
/// (the leg shows as its status says).
pub fn mark_past(data: &mut PlatformData, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let mut next: Option<OffsetDateTime> = None;
    for leg in data.tours.iter_mut().flat_map(|t| &mut t.legs) {
        let Some(over) = crate::clock::parse_date(&leg.end_date)
            .and_then(|d| d.next_day())
            .map(|d| d.with_time(time::Time::MIDNIGHT).assume_utc())
        else {
            continue;
        };
        leg.past = over <= now;
        if !leg.past {
            next = Some(next.map_or(over, |n| n.min(over)));
        }
    }
    next
}

pub fn context(scope: &Scope<'_>, tour: &Tour, leg: &TourLeg, route: &Route<'_>) -> Value {
    let site = scope.site;
    let url = &route.url;
    let page = json!({
        "title": format!("{} in {}", tour.title, leg.city),
        // Dates in words are the template's (`leg.description`, in the page's language).
        "description": format!("{} — {}, {}", tour.title, leg.city, leg.country),
        "url": url, "permalink": super::permalink(site, url), "kind": "leg",
        "parent": url.trim_end_matches('/').rsplit_once('/').map_or("/", |(parent, _)| parent).to_string() + "/",
        "jsonld": scope.jsonld(route.lang(), [event(site, scope.graph, tour, leg, url)]),
    });
    minijinja::context! {
        page => Value::from_serialize(page),
        leg => Value::from_serialize(leg),
        tour => Value::from_serialize(tour),
    }
}

/// A schema.org Event for one tour leg, at `url` (its page in one
/// language; its `@id` is its default-language page's, `leg.url`): part of
/// the brand's `EventSeries` on tour sites, performed and organised by the
/// site entity. Only what the platform's public contract has: dates without
/// times, the venue's name without a street address, no price.
pub fn event(site: &Site, graph: &Graph, tour: &Tour, leg: &TourLeg, url: &str) -> Json {
    let base = site.base_url();
    let status = match leg.status {
        LegStatus::Cancelled => "https://schema.org/EventCancelled",
        _ => "https://schema.org/EventScheduled",
    };
    // An ISO 3166-1 alpha-2 code; a name no table knows stays as written.
    let country =
        crate::seo::country_code(&leg.country).map_or_else(|| leg.country.clone(), String::from);
    let mut event = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": graph.event_id(&leg.url),
        "name": format!("{} — {}", tour.title, leg.city),
        "startDate": leg.start_date,
        "endDate": leg.end_date,
        "eventStatus": status,
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "url": format!("{base}{url}"),
        "image": graph.image,
        "location": {
            "@type": "Place",
            "name": leg.venue.clone().unwrap_or_else(|| leg.city.clone()),
            "address": {"@type": "PostalAddress", "addressLocality": leg.city, "addressCountry": country},
        },
        "organizer": graph.site_ref(),
        "performer": graph.site_ref(),
    });
    if let Some(series) = graph.series_id() {
        event["superEvent"] = json!({"@id": series});
    }
    if let Some(summary) = &tour.summary {
        event["description"] = summary.to_string().into();
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
