//! `provider-site`: one provider's own site (a Person): brand copy and their
//! public profile.

use super::{starter, Entity, Kind};

pub static KIND: Kind = Kind {
    name: "provider-site",
    generators: &[],
    entity: Entity::Person,
    default_theme: "atelier",
    starters,
};

fn starters(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("_index.md", starter::home(name)),
        ("contact.md", starter::contact(name)),
    ]
}
