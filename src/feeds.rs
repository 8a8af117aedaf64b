//! Feeds and calendars: what readers and calendar apps subscribe to,
//! written by maintained crates (escaping, line folding and dates done to
//! the RFCs).
//!
//! - Atom (RFC 4287): every section with dated pages has a feed per
//!   language at `<section>/atom.xml`, its newest `MAX_ENTRIES` pages first,
//!   each with its permalink as id, its date as published and updated, its
//!   description as summary and its HTML as content (relative URLs resolve
//!   against the site, `xml:base`). Section pages and their pages link it
//!   with `rel=alternate` (`feed_url`).
//! - iCalendar (RFC 5545): beside each tour leg's page `event.ics` (one
//!   all-day event), and beside the schedule `<tour slug>.ics` with every
//!   leg of the tour, in each language the pages exist in. A cancelled leg
//!   is `STATUS:CANCELLED`, so subscribed calendars show it crossed out.
//!
//! Output is deterministic (builds are compared byte for byte): `DTSTAMP`
//! is the leg's first day, not the build's time.

use std::collections::BTreeMap;

use atom_syndication as atom;
use chrono::{FixedOffset, NaiveDate, TimeZone};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

use crate::config::Site;
use crate::content::Page;
use crate::listing::Listings;
use crate::pages::{Route, Source};
use crate::platform::{LegStatus, Tour, TourLeg};

/// A section's feed, beside its listing page.
pub const ATOM_FILE: &str = "atom.xml";
/// A leg's calendar, beside its page.
pub const EVENT_FILE: &str = "event.ics";
/// Entries per feed: the newest ones.
pub const MAX_ENTRIES: usize = 20;

/// The dated regular pages of the section at `section` (its URL), newest
/// first; none means the section has no feed.
pub fn dated<'a>(listings: &Listings<'a>, section: &str) -> Vec<&'a Page> {
    let mut pages: Vec<&Page> = listings
        .sections
        .get(section)
        .map(|list| {
            list.iter()
                .copied()
                .filter(|p| !p.is_section && p.front.date.is_some())
                .collect()
        })
        .unwrap_or_default();
    pages.sort_by(crate::listing::newest_first);
    pages
}

/// The URL of the feed `page` links to: its own if it is a section with
/// dated pages, else its section's if that has one.
pub fn feed_url(listings: &Listings<'_>, page: &Page) -> Option<String> {
    let section = if page.is_section {
        page.url.as_str()
    } else {
        page.parent.as_deref()?
    };
    (!dated(listings, section).is_empty()).then(|| format!("{section}{ATOM_FILE}"))
}

/// A page's date (`2026-03-01` or RFC 3339) as Atom wants it.
fn instant(date: &str) -> Option<atom::FixedDateTime> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(date) {
        return Some(at);
    }
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let utc = FixedOffset::east_opt(0)?;
    utc.from_local_datetime(&day.and_hms_opt(0, 0, 0)?).single()
}

/// Every Atom feed of the site: bundle path → bytes.
pub fn atom_feeds(site: &Site, pages: &[Page], listings: &Listings<'_>) -> Vec<(String, Vec<u8>)> {
    let base = site.base_url();
    let brand = &site.config.brand.name;
    let mut feeds = Vec::new();
    for section in pages.iter().filter(|p| p.is_section && !p.is_404()) {
        let items = dated(listings, &section.url);
        let Some(updated) = items
            .first()
            .and_then(|p| instant(&p.front.date.as_ref()?.0))
        else {
            continue;
        };
        let url = format!("{}{ATOM_FILE}", section.url);
        let entries = items
            .iter()
            .take(MAX_ENTRIES)
            .filter_map(|p| {
                let at = instant(&p.front.date.as_ref()?.0)?;
                let permalink = format!("{base}{}", p.url);
                Some(atom::Entry {
                    title: atom::Text::plain(p.front.title.as_str()),
                    id: permalink.clone(),
                    updated: at,
                    published: Some(at),
                    links: vec![atom::Link {
                        href: permalink,
                        rel: "alternate".into(),
                        mime_type: Some("text/html".into()),
                        ..Default::default()
                    }],
                    summary: p.front.description.as_deref().map(atom::Text::plain),
                    content: Some(atom::Content {
                        value: Some(p.content.clone()),
                        content_type: Some("html".into()),
                        base: Some(format!("{base}{}", p.url)),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
            })
            .collect();
        let feed = atom::Feed {
            title: atom::Text::plain(format!("{} — {brand}", section.front.title)),
            id: format!("{base}{}", section.url),
            updated,
            authors: vec![atom::Person {
                name: brand.clone(),
                uri: Some(format!("{base}/")),
                ..Default::default()
            }],
            links: vec![
                atom::Link {
                    href: format!("{base}{url}"),
                    rel: "self".into(),
                    mime_type: Some("application/atom+xml".into()),
                    ..Default::default()
                },
                atom::Link {
                    href: format!("{base}{}", section.url),
                    rel: "alternate".into(),
                    mime_type: Some("text/html".into()),
                    ..Default::default()
                },
            ],
            generator: Some(atom::Generator {
                value: "sitegen".into(),
                ..Default::default()
            }),
            lang: site.languages.get(&section.lang).map(|l| l.locale.clone()),
            entries,
            ..Default::default()
        };
        let bytes = feed.write_to(Vec::new()).expect("writing to memory");
        feeds.push((url.trim_start_matches('/').to_string(), bytes));
    }
    feeds
}

/// Every calendar of the site: `event.ics` beside each leg page, and
/// `<tour slug>.ics` beside the schedule of each language.
pub fn calendars(site: &Site, routes: &[Route<'_>]) -> Vec<(String, Vec<u8>)> {
    let base = site.base_url();
    let mut out = Vec::new();
    // (schedule folder, tour id) → the tour, and its legs' events in date order.
    let mut tours: BTreeMap<(String, String), (&Tour, Vec<Event>)> = BTreeMap::new();
    for route in routes {
        let Source::Leg(tour, leg) = route.source else {
            continue;
        };
        let Some(event) = event(site, tour, leg, &format!("{base}{}", route.url)) else {
            continue;
        };
        let folder = route.output.trim_end_matches("index.html");
        let mut one = calendar(&format!("{} — {}", tour.title, leg.city));
        one.push(event.clone());
        out.push((
            format!("{folder}{EVENT_FILE}"),
            one.to_string().into_bytes(),
        ));
        let schedule = folder
            .trim_end_matches('/')
            .rsplit_once('/')
            .map_or(String::new(), |(parent, _)| format!("{parent}/"));
        tours
            .entry((schedule, tour.id.clone()))
            .or_insert_with(|| (tour, Vec::new()))
            .1
            .push(event);
    }
    for ((schedule, _), (tour, events)) in tours {
        let mut all = calendar(&tour.title.to_string());
        for e in events {
            all.push(e);
        }
        out.push((
            format!("{schedule}{}.ics", tour.slug),
            all.to_string().into_bytes(),
        ));
    }
    out
}

fn calendar(name: &str) -> Calendar {
    let mut c = Calendar::empty();
    c.append_property(Property::new("VERSION", "2.0"));
    c.append_property(Property::new("PRODID", "-//sitegen//brand sites//EN"));
    c.append_property(Property::new("CALSCALE", "GREGORIAN"));
    c.name(name);
    c
}

/// One leg as an all-day event (the end day included); None if its dates
/// do not parse.
fn event(site: &Site, tour: &Tour, leg: &TourLeg, permalink: &str) -> Option<Event> {
    let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let (start, end) = (day(&leg.start_date)?, day(&leg.end_date)?);
    let after = end.max(start).succ_opt()?;
    let mut place: Vec<&str> = leg.venue.iter().map(String::as_str).collect();
    place.extend([leg.city.as_str(), leg.country.as_str()]);
    let mut e = Event::new();
    e.uid(&format!("{}-{}@{}", tour.id, leg.id, site.domain()))
        .timestamp(start.and_hms_opt(0, 0, 0)?.and_utc())
        .summary(&format!("{} — {}", tour.title, leg.city))
        .starts(start)
        .ends(after)
        .location(&place.join(", "))
        .url(permalink)
        .status(match leg.status {
            LegStatus::Cancelled => EventStatus::Cancelled,
            LegStatus::Open | LegStatus::Limited | LegStatus::Full => EventStatus::Confirmed,
        });
    if let Some(book) = leg.booking_url.as_ref().and_then(|u| u.get()) {
        if matches!(leg.status, LegStatus::Open | LegStatus::Limited) && !leg.past {
            e.description(book);
        }
    }
    Some(e.done())
}
