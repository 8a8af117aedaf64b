//! Feeds and calendars: an Atom feed per dated section and language, and
//! iCalendar files for tour legs, read back with real parsers.

use std::str::FromStr;

use icalendar::{Component, DatePerhapsTime, EventLike, EventStatus};

use crate::harness::SiteTest;

const FEED_LINK: &str = r#"<link rel="alternate" type="application/atom+xml""#;

/// Every section with dated pages gets an Atom feed in each language: the
/// published posts newest first (drafts only with `--drafts`), with
/// permalinks that exist, linked from the section and its pages.
#[test]
fn dated_sections_get_an_atom_feed_per_language() {
    let t = SiteTest::demo();
    let d = "cocotte.maison";
    t.run(&["build", d]).success();
    let feed = atom_syndication::Feed::from_str(&t.page(d, "actualites/atom.xml")).unwrap();
    assert_eq!(feed.title.value, "Actualités — Cocotte");
    assert_eq!(feed.id, "https://cocotte.maison/actualites/");
    assert_eq!(feed.lang.as_deref(), Some("fr-FR"));
    assert!(feed
        .links
        .iter()
        .any(|l| l.rel == "self" && l.href == "https://cocotte.maison/actualites/atom.xml"));
    let output = t.output(d);
    let dates: Vec<_> = feed.entries.iter().map(|e| e.updated).collect();
    assert_eq!(dates.len(), 4, "{:?}", feed.entries);
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {dates:?}"
    );
    assert_eq!(feed.updated, dates[0]);
    for e in &feed.entries {
        let path = e.id.strip_prefix("https://cocotte.maison/").unwrap();
        assert!(
            output.contains_key(&format!("public/{path}index.html")),
            "{} is not a page",
            e.id
        );
        assert_eq!(e.links[0].href, e.id);
        assert!(e
            .content
            .as_ref()
            .unwrap()
            .value
            .as_ref()
            .unwrap()
            .contains("<p>"));
        assert!(!e.id.contains("draft"), "a draft in the feed: {}", e.id);
    }
    let english = atom_syndication::Feed::from_str(&t.page(d, "en/news/atom.xml")).unwrap();
    assert_eq!(english.lang.as_deref(), Some("en-GB"));
    assert!(english
        .entries
        .iter()
        .all(|e| e.id.starts_with("https://cocotte.maison/en/news/")));

    // Linked from the section and its posts, not from pages elsewhere.
    let link = format!(r#"{FEED_LINK} title="Actualités — Cocotte" href="/actualites/atom.xml">"#);
    assert!(t.page(d, "actualites/index.html").contains(&link));
    assert!(t
        .page(d, "actualites/permanence-juridique/index.html")
        .contains(&link));
    assert!(!t.page(d, "a-propos/index.html").contains(FEED_LINK));
    assert!(!output.contains_key("public/atom.xml"));

    // Drafts only when the build shows them.
    t.run(&["build", d, "--drafts"]).success();
    let feed = atom_syndication::Feed::from_str(&t.page(d, "actualites/atom.xml")).unwrap();
    assert_eq!(feed.entries.len(), 5);
}

/// Each tour leg has its own `.ics` and the schedule one for the whole
/// tour, in every language: all-day events (the end day included), a
/// stable UID, the venue as location, cancelled legs marked so.
#[test]
fn tour_legs_come_as_icalendar_files_that_a_parser_reads() {
    let t = SiteTest::demo();
    let d = "adulttherapytour.com";
    t.run(&["build", d]).success();
    let read = |path: &str| -> icalendar::Calendar {
        let text = t.page(d, path);
        assert!(text.contains("\r\n"), "{path}: lines end in CRLF");
        icalendar::parser::read_calendar(&icalendar::parser::unfold(&text))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .into()
    };
    let lyon = read("tour/lyon/event.ics");
    let events: Vec<_> = lyon.events().collect();
    assert_eq!(events.len(), 1);
    let e = events[0];
    assert_eq!(e.get_uid(), Some("tour_2027-leg_03@adulttherapytour.com"));
    assert_eq!(
        e.get_start(),
        Some(DatePerhapsTime::Date(
            chrono::NaiveDate::from_ymd_opt(2027, 4, 2).unwrap()
        ))
    );
    assert_eq!(
        e.get_end(),
        Some(DatePerhapsTime::Date(
            chrono::NaiveDate::from_ymd_opt(2027, 4, 4).unwrap()
        )),
        "DTEND is the day after the last"
    );
    assert_eq!(e.get_location(), Some("Le Périscope, Lyon, France"));
    assert_eq!(e.get_summary(), Some("Adult Therapy — Europe 2027 — Lyon"));
    assert_eq!(e.get_status(), Some(EventStatus::Confirmed));
    assert_eq!(e.get_url(), Some("https://adulttherapytour.com/tour/lyon/"));

    let tour = read("tour/europe-2027.ics");
    assert_eq!(tour.events().count(), 8);
    let brussels = tour
        .events()
        .find(|e| e.get_location().is_some_and(|l| l.contains("Brussels")))
        .unwrap();
    assert_eq!(brussels.get_status(), Some(EventStatus::Cancelled));
    let french = read("fr/tournee/europe-2027.ics");
    assert_eq!(french.events().count(), 8);
    assert!(french
        .events()
        .all(|e| e.get_url().is_some_and(|u| u.contains("/fr/tournee/"))));

    assert!(t
        .page(d, "tour/lyon/index.html")
        .contains(r#"href="/tour/lyon/event.ics""#));
    assert!(t
        .page(d, "tour/index.html")
        .contains(r#"href="/tour/europe-2027.ics""#));
    // Built twice, byte for byte the same (no build time inside).
    let before = t.output(d);
    t.run(&["build", d]).success();
    assert_eq!(
        t.output(d)["public/tour/europe-2027.ics"],
        before["public/tour/europe-2027.ics"]
    );
}
