//! Generated pages as a route table. Every output page of a site is a
//! `Route`: its URL and bundle path, its template, what it is made from
//! (`Source`), which page of a listing it is, and the platform records it
//! shows. Each page type is one module here that owns its URL pattern, its
//! template context and its JSON-LD:
//!
//! | module | pages | URL |
//! |---|---|---|
//! | `content` | markdown pages and their section listings | from the file, `<section>/page/N/` |
//! | `members` | a publicly shared member profile (kinds with `Generator::Members`) | `/members/<slug>/` |
//! | `legs` | a tour leg (kinds with `Generator::Legs`) | `/tour/<city>/` |
//! | `tags` | the tags index and one listing per tag | `/tags/`, `/tags/<slug>/page/N/` |
//! | `not_found` | the default 404 page when the content has none | `/404.html` |
//! | `sitemap` | every page of a language, for people | `/sitemap/` |
//! | `legal` | the legal notice from site.yaml's `legal:` | `/legal/` |
//!
//! Adding a page type: a module with `entries` (URL, template, source) and
//! `context`, a `Source` variant, and its arms in `Source::what`,
//! `Source::shows` and `context` below; the build plans, paginates,
//! collision-checks, renders and lists it in the sitemap like any other.

pub mod content;
pub mod legal;
pub mod legs;
pub mod members;
pub mod not_found;
pub mod sitemap;
pub mod tags;

use std::collections::HashMap;
use std::sync::Arc;

use minijinja::value::Value;
use serde_json::Value as Json;

use crate::assets::images::ImageQueue;
use crate::config::{Language, Languages, Site};
use crate::content::Page;
use crate::error::Result;
use crate::listing::{Listings, Pager, Term};
use crate::platform::{Profile, Tour, TourLeg};

/// What a page is made from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    Content(&'a Page),
    Member(&'a Profile),
    Leg(&'a Tour, &'a TourLeg),
    /// `/tags/`: every tag.
    Tags,
    /// `/tags/<slug>/`: the pages of one tag.
    Term(&'a Term<'a>),
    /// The default 404 page.
    NotFound,
    /// `/sitemap/`: every page, for people.
    SiteMap,
    /// `/legal/`: the legal notice.
    Legal,
}

/// Platform records a page shows by what it is made from: one profile,
/// one leg, or (`All`) whatever its templates read of the site-wide values
/// (`tenant`, `members`, `tours`); `keys` names them for `deps.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shows {
    All,
    /// One profile (by record id), and the tenant.
    Profile(String),
    /// One tour leg (by record id), its tour and the tenant.
    Leg(String),
}

impl Source<'_> {
    /// What the page is made from, for errors.
    pub fn what(&self) -> String {
        match self {
            Source::Content(p) => p.source.display().to_string(),
            Source::Member(p) => format!("the member page of profile {}", p.id),
            Source::Leg(_, leg) => format!("the page of tour leg {}", leg.id),
            Source::Tags => "the tags index".to_string(),
            Source::Term(t) => format!("the page of tag {:?}", t.name),
            Source::NotFound => "the default 404 page".to_string(),
            Source::SiteMap => "the sitemap page".to_string(),
            Source::Legal => "the legal notice".to_string(),
        }
    }

    pub fn shows(&self) -> Shows {
        match self {
            Source::Member(p) => Shows::Profile(p.id.clone()),
            Source::Leg(_, leg) => Shows::Leg(leg.id.clone()),
            _ => Shows::All,
        }
    }
}

impl Shows {
    /// The record keys of `deps.json` for a page showing this, rendered by
    /// a template that (with everything it uses) reads `reads`: `tenant`,
    /// `members` (the list: who is in it and what the roster shows of
    /// each), `member:<id>`, `tours` (the list and every leg), `leg:<id>`.
    /// Every page shows the tenant and the members list: the footer names
    /// the tenant and the JSON-LD site entity an org's members or a
    /// person's name and role (the tour site's `EventSeries` and the
    /// `@id`s, `image` and `logo` of entities come from site config and
    /// assets; breadcrumbs name only the page's own record, `Route::crumb`). A page shows the tours if its templates read `tours`
    /// or `tour_events`; a leg page if they read its whole `tour` (a bare
    /// `tour` or `tour.legs`; `tour.title` is the leg's own key, which a
    /// change to its tour marks). A template named by an expression may
    /// read anything.
    pub fn keys(&self, reads: &crate::render::Reads) -> Vec<String> {
        let mut keys = vec!["tenant".to_string(), "members".to_string()];
        let whole_tour = matches!(self, Shows::Leg(_))
            && (reads.vars.contains("tour") || reads.touches("tour.legs"));
        if whole_tour || reads.touches("tours") || reads.touches("tour_events") {
            keys.push("tours".into());
        }
        match self {
            Shows::Profile(id) => keys.push(format!("member:{id}")),
            Shows::Leg(id) => keys.push(format!("leg:{id}")),
            Shows::All => {}
        }
        keys
    }
}

/// A page to plan: a generator's answer before pagination.
pub struct Entry<'a> {
    /// The URL of its first page.
    pub url: String,
    /// The language it is in.
    pub lang: &'a Language,
    pub template: &'a str,
    pub source: Source<'a>,
    /// A listing of this many items, split into pages when its template
    /// reads `paginator`; None for a single page.
    pub listed: Option<usize>,
}

/// One output page.
#[derive(Debug, Clone)]
pub struct Route<'a> {
    /// Site URL: `/members/margot-lune/`, `/news/page/2/`.
    pub url: String,
    /// The language it is in.
    pub lang: &'a Language,
    /// Bundle path: `members/margot-lune/index.html`.
    pub output: String,
    pub template: &'a str,
    pub source: Source<'a>,
    /// The pages of its listing and which one this is, if it has any.
    pub pager: Option<(Arc<[Pager]>, usize)>,
}

impl Route<'_> {
    /// The content page this route belongs to (its bundle path), for
    /// incremental rebuilds; "" for generated pages.
    pub fn owner(&self) -> &str {
        match self.source {
            Source::Content(p) => &p.output,
            Source::NotFound => "404.html",
            _ => "",
        }
    }

    /// Its language's code.
    pub fn lang(&self) -> &str {
        &self.lang.code
    }

    /// What links it to its versions in other languages: a content page's
    /// key, or the record or listing a generated page shows; pager pages
    /// pair by number.
    pub fn translation_key(&self, languages: &Languages) -> String {
        let key = match self.source {
            Source::Content(page) => page.key.clone(),
            Source::Member(p) => format!("member:{}", p.id),
            Source::Leg(_, leg) => format!("leg:{}", leg.id),
            Source::Tags => "tags".to_string(),
            Source::Term(t) => format!("tag:{}", languages.tag_key(self.lang(), &t.slug)),
            Source::NotFound => "404".to_string(),
            Source::SiteMap => "sitemap".to_string(),
            Source::Legal => "legal".to_string(),
        };
        match &self.pager {
            Some((list, i)) if *i > 0 => format!("{key}#{}", list[*i].number),
            _ => key,
        }
    }

    /// Its name in breadcrumbs (the brand's on home pages; a member's
    /// name, a leg's city): None for 404 pages and pages after the first of
    /// a listing, which are no breadcrumb of another page. What it shows is
    /// its own record, so the edge's dependency index stays true.
    pub fn crumb(&self, site: &Site) -> Option<String> {
        if self.pager.as_ref().is_some_and(|(_, i)| *i > 0) {
            return None;
        }
        Some(match self.source {
            Source::Content(p) if p.is_404() => return None,
            Source::Content(p) if p.is_home() => site.config.brand.name.clone(),
            Source::Content(p) => p.front.title.clone(),
            Source::Member(p) => p.display_name.clone(),
            Source::Leg(_, leg) => leg.city.clone(),
            Source::Tags => "Tags".to_string(),
            Source::Term(t) => t.name.to_string(),
            // Named by interface strings, which routes do not know: no
            // breadcrumbs (they are no one's ancestors either).
            Source::NotFound | Source::SiteMap | Source::Legal => return None,
        })
    }

    /// Made from a content file and the first page of it: its URL is the
    /// file's own.
    pub fn is_content_page(&self) -> bool {
        matches!(self.source, Source::Content(_))
            && self.pager.as_ref().is_none_or(|(_, i)| *i == 0)
    }
}

/// What every page's context is made from, shared by all routes of a build.
pub struct Scope<'a> {
    pub site: &'a Site,
    pub listings: &'a Listings<'a>,
    /// How the site's JSON-LD entities link each other (`@id`s, images).
    pub graph: &'a crate::seo::Graph,
    /// The site's JSON-LD entities by language code, first in every page's
    /// `jsonld` (`seo::site_entities`).
    pub site_entities: &'a HashMap<String, Vec<Json>>,
    /// What listings show of each page, by URL.
    pub summaries: &'a HashMap<&'a str, Value>,
    /// Section URL → its items, as template values.
    pub section_items: &'a HashMap<&'a str, Vec<Value>>,
    /// Tag URL → its items.
    pub term_items: &'a HashMap<String, Vec<Value>>,
    /// The image pipeline, for social images of pages (front matter `image:`).
    pub images: &'a ImageQueue,
    /// By language code (other than the default): the tenant's data and
    /// tags as its pages show them, laid over the globals.
    pub per_language: &'a HashMap<String, Value>,
}

impl Scope<'_> {
    /// A page's `jsonld` in `lang`: the site's entities as pages in `lang`
    /// show them, then the page's own.
    pub fn jsonld(&self, lang: &str, own: impl IntoIterator<Item = Json>) -> Vec<Json> {
        let default = &self.site.languages.default_language().code;
        let site = self
            .site_entities
            .get(lang)
            .or_else(|| self.site_entities.get(default))
            .expect("entities per language");
        site.iter().cloned().chain(own).collect()
    }
}

/// The template context of a route.
pub fn context(route: &Route<'_>, scope: &Scope<'_>) -> Result<Value> {
    let pager = route.pager.as_ref().map(|(list, i)| (&list[..], *i));
    match route.source {
        Source::Content(page) => content::context(scope, page, pager),
        Source::Member(p) => Ok(members::context(scope, p, route)),
        Source::Leg(tour, leg) => Ok(legs::context(scope, tour, leg, route)),
        Source::Tags => Ok(tags::index_context(scope, route)),
        Source::Term(t) => {
            let (pagers, i) = pager.expect("tag pages are paginated");
            Ok(tags::term_context(scope, t, pagers, i))
        }
        Source::NotFound => Ok(not_found::context(scope, route)),
        Source::SiteMap => Ok(sitemap::context(scope, route)),
        Source::Legal => Ok(legal::context(scope, route)),
    }
}

/// `https://<domain><url>`.
fn permalink(site: &Site, url: &str) -> String {
    format!("{}{url}", site.base_url())
}
