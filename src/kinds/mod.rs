//! Site kinds as data. A kind says which generated pages a site has, which
//! schema.org entity the site is, its default theme and the starter copy
//! `sitegen new` writes. The templates of a kind live in `templates/<name>/`.
//!
//! Adding a site kind is one file here (a `pub static KIND: Kind`), one row
//! in `KINDS`, and its `templates/<name>/` folder: config, the CLI, the
//! build, JSON-LD and `sitegen new` all read this table. Data only: this
//! module imports nothing of the crate.

mod org_site;
mod provider_site;
mod tour_site;

/// Every site kind, in the order help texts list them.
pub static KINDS: &[&Kind] = &[&org_site::KIND, &tour_site::KIND, &provider_site::KIND];

/// One site kind.
#[derive(Debug)]
pub struct Kind {
    /// As written in site.yaml (`kind: org-site`) and `sitegen new --kind`.
    pub name: &'static str,
    /// The page types made from platform data, beyond content pages, tags,
    /// pagers and the 404 page that every site has.
    pub generators: &'static [Generator],
    /// What the site is in JSON-LD.
    pub entity: Entity,
    /// The theme `sitegen new` picks when none is given.
    pub default_theme: &'static str,
    /// Starter brand copy for `sitegen new`: (path under content/<domain>/, text).
    pub starters: fn(name: &str) -> Vec<(&'static str, String)>,
}

/// A page type generated from platform data (see `crate::pages`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generator {
    /// `/members/<slug>/`: one page per publicly shared member profile.
    Members,
    /// `/tour/<city>/`: one page per tour leg.
    Legs,
}

/// The schema.org entity a site stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// Always a Person (a provider's own site).
    Person,
    /// The tenant: a Person for a Person, an Organization for an Org.
    Tenant,
    /// The tenant, and for an Org its members (`member` of the Organization).
    TenantWithMembers,
    /// The tenant, and the brand as an `EventSeries` the tenant organises
    /// and performs, which every tour leg's `Event` is part of.
    TenantOnTour,
}

/// The kind named `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.name == name)
}

/// `org-site, tour-site, provider-site`, for messages.
pub fn names() -> String {
    KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}

/// The starter home page `sitegen new` writes (also per extra language).
pub fn starter_home(name: &str) -> String {
    starter::home(name)
}

/// The instructions starter copy carries where the brand's own words go:
/// `sitegen check` warns about any left in a site's sources (rule
/// `placeholder`). Every starter file and site.yaml value that asks for
/// copy contains one (a unit test keeps them in step).
pub const PLACEHOLDERS: &[&str] = &[
    "Replace with ",
    "replace this with ",
    "Write two or three sentences here",
    "Describe the collective",
    "Say how people should get in touch",
    "Explain booking, prices and cancellations",
];

/// Starter copy helpers shared by the kinds.
mod starter {
    fn yaml_string(s: &str) -> String {
        serde_json::to_string(s).expect("a string serializes")
    }

    /// A content page with front matter.
    pub fn page(title: &str, description: &str, weight: i32, extra: &str, body: &str) -> String {
        format!(
            "---\ntitle: {}\ndescription: {}\nweight: {weight}\n{extra}---\n{body}\n",
            yaml_string(title),
            yaml_string(description)
        )
    }

    /// The home page every kind starts with.
    pub fn home(name: &str) -> String {
        format!(
            "---\ntitle: {}\ndescription: {}\n---\nWrite two or three sentences here: who {name} is, who it is for, and how to get in touch.\n",
            yaml_string(name),
            yaml_string(&format!("{name}: replace this with one sentence for search results and link previews."))
        )
    }

    pub fn contact(name: &str) -> String {
        page(
            "Contact",
            &format!("How to reach {name}."),
            9,
            "",
            "Say how people should get in touch, and what happens after they do.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_unique_name_a_home_page_and_templates() {
        let mut seen = std::collections::BTreeSet::new();
        for k in KINDS {
            assert!(seen.insert(k.name), "{} twice", k.name);
            assert_eq!(find(k.name).map(|f| f.name), Some(k.name));
            assert!((k.starters)("X").iter().any(|(p, _)| *p == "_index.md"));
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("templates")
                .join(k.name);
            assert!(dir.is_dir(), "templates/{} is missing", k.name);
        }
        assert_eq!(names(), "org-site, tour-site, provider-site");
    }

    #[test]
    fn starter_pages_that_ask_for_copy_carry_a_placeholder_check_knows() {
        // Pages whose starter text is real copy, not an instruction.
        let real = ["members/_index.md", "tour/_index.md"];
        for k in KINDS {
            for (file, text) in (k.starters)("X") {
                if real.contains(&file) {
                    continue;
                }
                assert!(
                    PLACEHOLDERS.iter().any(|p| text.contains(p)),
                    "{}: {file} asks for copy without a placeholder check knows",
                    k.name
                );
            }
        }
    }
}
