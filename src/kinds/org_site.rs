//! `org-site`: the public face of an Org (an agency, a house, a collective):
//! its brand copy and a page per member who shares their profile publicly.

use super::{starter, Entity, Generator, Kind};

pub static KIND: Kind = Kind {
    name: "org-site",
    generators: &[Generator::Members],
    entity: Entity::TenantWithMembers,
    default_theme: "atelier",
    starters,
};

fn starters(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("_index.md", starter::home(name)),
        ("about.md", starter::page("About", &format!("What {name} is and how it works."), 1, "", "## What we are\n\nDescribe the collective: who is in it, what members share, what they keep.")),
        ("members/_index.md", starter::page("Members", &format!("The members of {name}."), 4, "template: members.html\n", "Members appear here once they share their profile publicly with the organisation.")),
        ("contact.md", starter::contact(name)),
    ]
}
