//! What templates see: the values shared by every page (what listings show
//! of each page, section and tag items, the site's JSON-LD entity), the
//! globals (`site`, `tenant`, `members`, `tours`, `tour_events`, `tags`), and
//! the renderer with the helpers the build hands it (assets, sections,
//! `latest`, `picture()`, `avatar()`, the interface strings). Each page's
//! own context is made by its page type in `crate::pages`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use minijinja::value::Value;
use rayon::prelude::*;
use serde_json::{json, Value as Json};

use super::load::Loaded;
use crate::assets::images::{resolve_source, ImageQueue, PictureOptions, Variant};
use crate::config::{Site, Workspace};
use crate::content::Page;
use crate::error::Result;
use crate::listing::{self, Listings};
use crate::pages::{self, Scope};
use crate::platform::PlatformData;
use crate::render::{AvatarFn, Helpers, PictureFn, PictureRequest, Renderer};
use crate::seo;

/// Values made once per build and shared by every page.
pub struct Shared<'a> {
    /// What listings show of each page, by URL.
    summaries: HashMap<&'a str, Value>,
    section_items: HashMap<&'a str, Vec<Value>>,
    term_items: HashMap<&'a str, Vec<Value>>,
    site_entity: Json,
}

impl<'a> Shared<'a> {
    pub fn new(site: &Site, loaded: &'a Loaded, listings: &'a Listings<'a>) -> Shared<'a> {
        let summaries: HashMap<&str, Value> = loaded
            .pages
            .par_iter()
            .map(|p| (p.url.as_str(), Value::from_serialize(listing::summary(p))))
            .collect();
        let items = |list: &[&Page]| -> Vec<Value> {
            list.iter()
                .map(|p| summaries[p.url.as_str()].clone())
                .collect()
        };
        let section_items = listings
            .sections
            .iter()
            .map(|(url, list)| (*url, items(list)))
            .collect();
        let term_items = listings
            .terms
            .iter()
            .map(|t| (t.slug.as_str(), items(&t.pages)))
            .collect();
        let logo = loaded.assets.urls.get("logo").map(String::as_str);
        let site_entity = seo::site_entity(site, &loaded.data, logo, pages::members::url);
        Shared {
            summaries,
            section_items,
            term_items,
            site_entity,
        }
    }

    /// What page contexts are made from.
    pub fn scope<'s>(
        &'s self,
        site: &'s Site,
        listings: &'s Listings<'a>,
        loaded: &'s Loaded,
    ) -> Scope<'s>
    where
        'a: 's,
    {
        Scope {
            site,
            listings,
            site_entity: &self.site_entity,
            summaries: &self.summaries,
            section_items: &self.section_items,
            term_items: &self.term_items,
            images: &loaded.images,
        }
    }
}

/// The site's template environment with everything the build hands it.
pub fn renderer(
    ws: &Workspace,
    site: &Site,
    loaded: &Loaded,
    listings: &Listings<'_>,
    shared: &Shared<'_>,
) -> Result<Renderer> {
    let assets = &loaded.assets;
    let items = |list: &[&Page]| -> Vec<Value> {
        list.iter()
            .map(|p| shared.summaries[p.url.as_str()].clone())
            .collect()
    };
    Renderer::new(
        site,
        Helpers {
            base_url: site.base_url(),
            assets: assets.urls.clone(),
            integrity: assets.integrity.clone(),
            sections: shared
                .section_items
                .iter()
                .map(|(url, list)| (url.to_string(), Value::from(list.clone())))
                .collect(),
            latest: items(&listings.latest),
            picture: picture_fn(site, loaded.images.clone()),
            avatar: avatar_fn(&loaded.data, loaded.images.clone()),
            strings: loaded.strings.clone(),
            limits: ws.config.templates.clone(),
        },
        globals(
            site,
            &loaded.data,
            listings,
            assets.urls.get("logo").map(String::as_str),
            loaded.social.as_ref(),
        ),
    )
}

/// Values every template of the site sees.
fn globals(
    site: &Site,
    data: &PlatformData,
    listings: &Listings<'_>,
    logo: Option<&str>,
    social: Option<&Variant>,
) -> BTreeMap<&'static str, Value> {
    let c = &site.config;
    let site_value = json!({
        "domain": c.domain,
        "base_url": site.base_url(),
        "kind": c.kind,
        "language": c.language,
        "theme": c.theme,
        "brand": {
            "name": c.brand.name, "tagline": c.brand.tagline,
            "palette": c.brand.palette, "fonts": c.brand.fonts, "logo": logo,
        },
        "nav": c.nav,
        "seo": {"description": c.seo.description, "twitter": c.seo.twitter},
        "social_image": social.map(|v| json!({"url": v.url, "width": v.width, "height": v.height})),
    });
    let events: Vec<Json> = data
        .tours
        .iter()
        .flat_map(|t| t.legs.iter().map(move |l| pages::legs::event(site, t, l)))
        .collect();
    let mut g = BTreeMap::new();
    g.insert("site", Value::from_serialize(site_value));
    g.insert("tenant", Value::from_serialize(&data.tenant));
    g.insert("members", Value::from_serialize(&data.profiles));
    g.insert("profile", Value::from_serialize(data.profiles.first()));
    g.insert("tours", Value::from_serialize(&data.tours));
    g.insert("tour_events", Value::from_serialize(events));
    g.insert("tags", pages::tags::terms_value(listings));
    g
}

/// `picture()` for templates: a content image through the image pipeline.
fn picture_fn(site: &Site, images: Arc<ImageQueue>) -> Box<PictureFn> {
    let content = site.roots.content.clone();
    Box::new(move |r: &PictureRequest<'_>| {
        let path = resolve_source(&content, content.shown(), r.src)?;
        if r.alt.is_empty() {
            images.missing_alt(format!("picture({:?}) has no alt text", r.src))?;
        }
        let opts = PictureOptions {
            sizes: r.sizes,
            eager: r.eager,
            watermark: r.watermark,
            class: r.class,
        };
        images.picture(&path, r.alt, &opts)
    })
}

/// `avatar()` for templates: a profile's downloaded or snapshot portrait.
fn avatar_fn(data: &PlatformData, images: Arc<ImageQueue>) -> Box<AvatarFn> {
    let files: BTreeMap<String, PathBuf> = data
        .profiles
        .iter()
        .filter_map(|p| Some((p.id.clone(), p.avatar_file.clone()?)))
        .collect();
    Box::new(
        move |id: &str, alt: &str, size: u32, class: &str| match files.get(id) {
            Some(file) => images.avatar(file, alt, size, class).map(Some),
            None => Ok(None),
        },
    )
}
