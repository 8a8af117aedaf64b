//! Public view models: the only shape of platform data that templates see.
//!
//! Each struct lists explicitly public fields and nothing else. Unknown fields
//! in API responses (emails, phones, legal names, hotels, journals, settings)
//! are ignored by serde and have nowhere to go, so they cannot reach a page.

use serde::{Deserialize, Serialize};

use crate::content::markdown::safe_url;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Tenant {
    pub id: String,
    pub kind: crate::config::TenantKind,
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub tagline: Option<String>,
    /// Markdown from the tenant; templates render it with the `markdown` filter.
    #[serde(default)]
    pub bio: Option<String>,
    #[serde(default)]
    pub links: Vec<ExternalLink>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ExternalLink {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Profile {
    pub id: String,
    /// Owner: the Person this profile belongs to.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Owner: the Org this profile is shown in, when a Person acts in an Org.
    #[serde(default)]
    pub org_id: Option<String>,
    /// The member chose to share this profile publicly with the Org.
    #[serde(default)]
    pub shared_publicly: bool,
    pub slug: String,
    pub display_name: String,
    #[serde(default)]
    pub role_title: Option<String>,
    #[serde(default)]
    pub pronouns: Option<String>,
    #[serde(default)]
    pub bio: Option<String>,
    /// A media reference: a path on the API's origin, or in a snapshot a
    /// file relative to the snapshot folder (`media/margot-lune.jpg`).
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// Set by sitegen: the local copy of the avatar, for the image pipeline.
    #[serde(skip)]
    pub avatar_file: Option<std::path::PathBuf>,
    #[serde(default)]
    pub links: Vec<ExternalLink>,
    #[serde(default)]
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Tour {
    pub id: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub org_id: Option<String>,
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub legs: Vec<TourLeg>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TourLeg {
    pub id: String,
    pub city: String,
    pub country: String,
    #[serde(default)]
    pub venue: Option<String>,
    pub start_date: String,
    pub end_date: String,
    pub status: LegStatus,
    #[serde(default)]
    pub booking_url: Option<String>,
    /// Set by sitegen: the leg page's URL (`/tour/lyon/`).
    #[serde(default, skip_deserializing)]
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LegStatus {
    Open,
    Limited,
    Full,
    Cancelled,
}

/// Drops links whose URL is not http(s), mailto or site-relative.
pub fn sanitize_links(links: &mut Vec<ExternalLink>) {
    links.retain(|l| safe_url(&l.url));
}

/// Everything a site's templates get from the platform.
#[derive(Debug, Clone, Serialize)]
pub struct PlatformData {
    pub tenant: Tenant,
    /// Public profiles: an Org's publicly shared members, or the Person's own.
    pub profiles: Vec<Profile>,
    pub tours: Vec<Tour>,
    /// Requests answered from a stale cache (`--stale-ok`); empty normally.
    #[serde(skip)]
    pub stale: Vec<String>,
}
