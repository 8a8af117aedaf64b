//! `tour-site`: a tour's site: its schedule and a page per leg (city, dates,
//! venue, status, booking link), each a schema.org Event.

use super::{starter, Entity, Generator, Kind};

pub static KIND: Kind = Kind {
    name: "tour-site",
    generators: &[Generator::Legs],
    entity: Entity::TenantOnTour,
    default_theme: "affiche",
    starters,
};

fn starters(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("_index.md", starter::home(name)),
        (
            "tour/_index.md",
            starter::page(
                "Tour dates",
                "Every city, date and venue, with booking links.",
                1,
                "template: schedule.html\n",
                "Dates come from the platform and update at every build.",
            ),
        ),
        (
            "faq.md",
            starter::page(
                "Questions",
                "Practical questions about the tour.",
                5,
                "",
                "## How do I book?\n\nExplain booking, prices and cancellations.",
            ),
        ),
    ]
}
