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
use crate::assets::Assets;
use crate::config::{Language, NavItem, Site, Workspace};
use crate::content::Page;
use crate::error::Result;
use crate::listing::{self, Listings};
use crate::pages::{self, Scope};
use crate::platform::PlatformData;
use crate::render::{AvatarFn, CardFn, Helpers, PictureFn, PictureRequest, Renderer};
use crate::seo;

/// Values made once per build and shared by every page.
pub struct Shared<'a> {
    /// What listings show of each page, by URL.
    summaries: HashMap<&'a str, Value>,
    section_items: HashMap<&'a str, Vec<Value>>,
    /// Tag URL → its items.
    term_items: HashMap<String, Vec<Value>>,
    /// How the site's JSON-LD entities link each other.
    graph: seo::Graph,
    /// The site's JSON-LD entities as pages in each language show them, by code.
    site_entities: HashMap<String, Vec<Json>>,
    /// Per language other than the default: the tenant's data and tags in
    /// it, made once per build (`language_context` lays them over the globals).
    per_language: HashMap<String, Value>,
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
            .map(|t| (t.url(), items(&t.pages)))
            .collect();
        let urls = &loaded.assets.urls;
        let graph = seo::Graph::new(
            site,
            &loaded.data,
            urls.get("logo").map(String::as_str),
            loaded.social.as_ref().map(|v| v.url.as_str()),
            urls.get("apple-touch-icon.png")
                .map_or("/apple-touch-icon.png", String::as_str),
        );
        // Member pages are linked at their default-language URL in every language.
        let site_entities = site
            .languages
            .iter()
            .map(|l| {
                let data = loaded.data_in(l);
                let entities = seo::site_entities(site, l, data, &graph, pages::members::url);
                (l.code.clone(), entities)
            })
            .collect();
        Shared {
            graph,
            summaries,
            section_items,
            term_items,
            site_entities,
            per_language: per_language(site, loaded, listings),
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
            graph: &self.graph,
            site_entities: &self.site_entities,
            summaries: &self.summaries,
            section_items: &self.section_items,
            term_items: &self.term_items,
            per_language: &self.per_language,
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
            latest: listings
                .latest
                .iter()
                .map(|p| (p.lang.clone(), shared.summaries[p.url.as_str()].clone()))
                .collect(),
            urls: Default::default(),
            picture: picture_fn(site, loaded.images.clone()),
            avatar: avatar_fn(&loaded.data, loaded.images.clone()),
            card: card_fn(loaded.cards.clone()),
            strings: loaded.strings.clone(),
            limits: ws.config.templates.clone(),
        },
        globals(
            site,
            &loaded.data,
            listings,
            assets,
            loaded.social.as_ref(),
            &shared.graph,
        ),
    )
}

/// `social_card()`: requests the card from the build's queue.
fn card_fn(cards: Option<Arc<crate::assets::cards::Cards>>) -> Box<CardFn> {
    Box::new(move |permalink: &str, title: &str| {
        let card = cards.as_ref()?.request(permalink, title);
        Some((card.url, card.width, card.height))
    })
}

/// Values every template of the site sees.
fn globals(
    site: &Site,
    data: &PlatformData,
    listings: &Listings<'_>,
    assets: &Assets,
    social: Option<&Variant>,
    graph: &seo::Graph,
) -> BTreeMap<&'static str, Value> {
    let site_value = site_value(site, site.languages.default_language(), assets, social);
    let events: Vec<Json> = data
        .tours
        .iter()
        .flat_map(|t| {
            t.legs
                .iter()
                .map(move |l| pages::legs::event(site, graph, t, l, &l.url))
        })
        .collect();
    let mut g = BTreeMap::new();
    g.insert("site", site_value);
    g.insert("tenant", Value::from_serialize(&data.tenant));
    g.insert("members", Value::from_serialize(&data.profiles));
    g.insert("profile", Value::from_serialize(data.profiles.first()));
    g.insert("tours", Value::from_serialize(&data.tours));
    g.insert("tour_events", Value::from_serialize(events));
    g.insert("tags", pages::tags::terms_value(listings, "/"));
    g
}

/// `site` as pages in `lang` see it: site.yaml's values, with the brand copy
/// (`brand.tagline`, `seo.description`) in that language or, marked by
/// `tagline_lang` / `description_lang` (a language code), in its fallback.
fn site_value(site: &Site, lang: &Language, assets: &Assets, social: Option<&Variant>) -> Value {
    let logo = assets.urls.get("logo");
    let c = &site.config;
    let languages = &site.languages;
    let (tagline, tagline_lang) = languages
        .copy(lang, |l| l.tagline.as_deref())
        .map_or((None, None), |(t, l)| (Some(t), l));
    let (description, description_lang) = languages
        .copy(lang, |l| l.description.as_deref())
        .map_or((None, None), |(t, l)| (Some(t), l));
    Value::from_serialize(json!({
        "domain": c.domain,
        "base_url": site.base_url(),
        "kind": c.kind,
        "language": c.language,
        "theme": c.theme,
        "brand": {
            "name": c.brand.name, "tagline": tagline, "tagline_lang": tagline_lang,
            "palette": c.brand.palette, "fonts": c.brand.fonts, "logo": logo,
            "cta": c.brand.cta, "booking": c.brand.booking,
        },
        "preload_fonts": assets.preload_fonts,
        "theme_color": assets.brand.as_ref().map(|b| &b.primary),
        "nav": c.nav,
        "seo": {
            "description": description, "description_lang": description_lang,
            "twitter": c.seo.twitter,
        },
        "social_image": social.map(|v| json!({"url": v.url, "width": v.width, "height": v.height})),
        "legal": c.legal,
    }))
}

/// `picture()` for templates: a content image through the image pipeline.
fn picture_fn(site: &Site, images: Arc<ImageQueue>) -> Box<PictureFn> {
    let content = site.roots.content.clone();
    Box::new(move |r: &PictureRequest<'_>| {
        let path = resolve_source(&content, content.shown(), r.src)?;
        if r.alt.is_empty() {
            images.missing_alt(format!("picture({:?}) has no alt text", r.src), None)?;
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

/// What every page's template knows of languages: `lang` (its code),
/// `locale` (BCP 47, for `lang=` and hreflang), `alternates` (its real
/// translations, itself included, with absolute permalinks; empty when it
/// has none) and, on multilingual sites, `languages` (the switcher: every
/// language with the URL of this page in it, or that language's home page
/// when the page has no translation there, never a page that does not exist).
pub fn language_context(
    scope: &Scope<'_>,
    plan: &super::plan::Plan<'_>,
    route: &pages::Route<'_>,
) -> Value {
    let site = scope.site;
    let languages = &site.languages;
    let code = route.lang();
    let lang = languages.get(code).unwrap_or(languages.default_language());
    let alternates: &[(String, String)] = plan
        .translations
        .get(&route.translation_key(&site.languages))
        .map_or(&[], Vec::as_slice);
    let base = site.base_url();
    let alternate_values: Vec<Json> = alternates
        .iter()
        .filter_map(|(c, url)| {
            let l = languages.get(c)?;
            Some(json!({
                "lang": l.code, "locale": l.locale, "label": l.label,
                "url": url, "permalink": format!("{base}{url}"),
            }))
        })
        .collect();
    let switcher: Vec<Json> = if languages.is_multilingual() {
        languages
            .iter()
            .map(|l| {
                let translated = alternates.iter().find(|(c, _)| *c == l.code);
                let url = match translated {
                    Some((_, url)) => url.clone(),
                    None if l.code == lang.code => route.url.clone(),
                    None => plan
                        .homes
                        .get(&l.code)
                        .or_else(|| plan.homes.get(&languages.default_language().code))
                        .cloned()
                        .unwrap_or_else(|| "/".to_string()),
                };
                json!({
                    "lang": l.code, "locale": l.locale, "label": l.label, "url": url,
                    "current": l.code == lang.code,
                    "translated": translated.is_some() || l.code == lang.code,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let x_default = alternates
        .iter()
        .find(|(c, _)| *c == languages.default_language().code)
        .map(|(_, url)| format!("{base}{url}"));
    let mut values = json!({
        "lang": lang.code,
        "locale": lang.locale,
        "alternates": alternate_values.clone(),
        "x_default": x_default,
        "languages": switcher,
    });
    // JSON-LD of the page's place in the site (after its `page.jsonld`).
    let mut page_entities: Vec<Json> = breadcrumbs(plan, route, &languages.url(lang, "/"))
        .map(|items| {
            let items: Vec<(String, String)> = items
                .into_iter()
                .map(|(name, url)| (name, format!("{base}{url}")))
                .collect();
            seo::breadcrumbs(&items)
        })
        .into_iter()
        .collect();
    if languages.is_multilingual() {
        values["home_url"] = json!(plan.homes.get(&lang.code).map_or("/", String::as_str));
        values["nav"] = json!(localized_nav(site, plan, &lang.code));
        let brand = &site.config.brand;
        values["cta"] = json!(brand
            .cta
            .as_ref()
            .map(|i| localized_link(i, plan, &lang.code)));
        values["booking"] = json!(brand
            .booking
            .as_ref()
            .map(|i| localized_link(i, plan, &lang.code)));
        // The page as a schema.org WebPage in its language, with its translations.
        let mut entity = json!({
            "@context": "https://schema.org", "@type": "WebPage",
            "url": format!("{base}{}", route.url), "inLanguage": lang.locale,
        });
        let others: Vec<Json> = alternate_values
            .iter()
            .filter(|a| a["lang"] != json!(lang.code))
            .map(|a| json!({"@type": "WebPage", "url": a["permalink"], "inLanguage": a["locale"]}))
            .collect();
        if !others.is_empty() {
            entity["workTranslation"] = json!(others);
        }
        page_entities.push(entity);
    }
    values["page_entities"] = json!(page_entities);
    let value = Value::from_serialize(values);
    // Pages in another language than the default see the tenant's data and
    // tags in theirs (the globals are the default language's).
    match scope.per_language.get(&lang.code) {
        Some(local) => minijinja::context! { ..value, ..local.clone() },
        None => value,
    }
}

/// A page's breadcrumbs, (name, site URL) from its language's home page
/// down through every ancestor in its URL that is a page (`Plan::crumbs`)
/// to itself; None for home and 404 pages and when there is no home page
/// to start from. `root` is the URL of its language's home page.
fn breadcrumbs(
    plan: &super::plan::Plan<'_>,
    route: &pages::Route<'_>,
    root: &str,
) -> Option<Vec<(String, String)>> {
    let url = route.url.as_str();
    let first = match &route.pager {
        Some((list, _)) => list[0].url.as_str(),
        None => url,
    };
    let own = plan.crumbs.get(first)?;
    // Its language's home page, else the site's root.
    let home = [root, "/"]
        .into_iter()
        .find(|h| plan.crumbs.contains_key(*h))?;
    if first == home {
        return None;
    }
    let mut items = vec![(plan.crumbs[home].clone(), home.to_string())];
    let mut prefix = String::from("/");
    for segment in url.trim_matches('/').split('/') {
        prefix.push_str(segment);
        prefix.push('/');
        if prefix.len() <= home.len() || prefix == url {
            continue;
        }
        if let Some(name) = plan.crumbs.get(&prefix) {
            if prefix.starts_with(home) {
                items.push((name.clone(), prefix.clone()));
            }
        }
    }
    items.push((own.clone(), url.to_string()));
    Some(items)
}

/// The values a language other than the default overrides: `site` (its
/// brand copy), `tenant`,
/// `members`, `profile`, `tours` (localised fields resolved) and `tags`.
fn per_language(site: &Site, loaded: &Loaded, listings: &Listings<'_>) -> HashMap<String, Value> {
    loaded
        .translated
        .iter()
        .filter_map(|(code, data)| {
            let lang = site.languages.get(code)?;
            let root = site.languages.url(lang, "/");
            let local = minijinja::context! {
                site => site_value(site, lang, &loaded.assets, loaded.social.as_ref()),
                tenant => Value::from_serialize(&data.tenant),
                members => Value::from_serialize(&data.profiles),
                profile => Value::from_serialize(data.profiles.first()),
                tours => Value::from_serialize(&data.tours),
                tags => pages::tags::terms_value(listings, &root),
            };
            Some((code.clone(), local))
        })
        .collect()
}

/// site.yaml's nav in one language: each item's title in it (`titles:`)
/// and its URL resolved to the translation of that page, if it has one.
fn localized_nav(site: &Site, plan: &super::plan::Plan<'_>, lang: &str) -> Vec<Json> {
    site.config
        .nav
        .iter()
        .map(|item| localized_link(item, plan, lang))
        .collect()
}

/// A link of site.yaml (nav item, call to action) in one language.
fn localized_link(item: &NavItem, plan: &super::plan::Plan<'_>, lang: &str) -> Json {
    let url = item.url.as_str();
    let translated = plan
        .keys
        .get(url)
        .and_then(|key| plan.translations.get(key))
        .and_then(|list| list.iter().find(|(c, _)| c == lang))
        .map_or(url, |(_, u)| u.as_str());
    let title = item.titles.get(lang).unwrap_or(&item.title);
    json!({"title": title, "url": translated})
}
