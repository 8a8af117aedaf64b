//! Phase 2, plan: the route table. Every page type in `crate::pages` gives
//! its entries (content pages, the kind's generators, tags, the default
//! 404); listings are split into pager pages where their template reads
//! `paginator`; templates of content pages must exist; every URL is claimed
//! once. An incremental build then picks the routes an edit touched.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::load::Loaded;
use super::BuildOptions;
use crate::config::{Language, Site};
use crate::error::{Error, Location, Result};
use crate::kinds::Generator;
use crate::listing::{self, Listings, Pager};
use crate::pages::{self, Entry, Route, Source};
use crate::render::Renderer;
use crate::seo::SitemapEntry;

/// The route table of a build, and which routes to render now.
pub struct Plan<'a> {
    /// Every page of the site, in plan order (content, generated, 404).
    pub routes: Vec<Route<'a>>,
    /// Indices into `routes` of the pages to render; the others come from
    /// the previous bundle of an incremental build.
    pub render: Vec<usize>,
    /// Taking unrendered pages from this previous build.
    pub reusing: Option<&'a super::Incremental>,
    /// Translation key → the routes of that page, (language code, URL), in
    /// the site's language order; only keys with two languages or more.
    pub translations: HashMap<String, Vec<(String, String)>>,
    /// Language code → its home page URL, for languages that have one.
    pub homes: HashMap<String, String>,
    /// URL → translation key of the pages that have translations.
    pub keys: HashMap<String, String>,
    /// Per route, the platform records it shows (`pages::Shows::keys`):
    /// `deps.json`, and what the edge renders again.
    pub records: Vec<Vec<String>>,
    /// URL → the page's name in breadcrumbs (`Route::crumb`), for every
    /// page that can be a breadcrumb: first pages of listings, no 404s.
    pub crumbs: HashMap<String, String>,
}

pub fn plan<'a>(
    site: &'a Site,
    loaded: &'a Loaded,
    listings: &'a Listings<'a>,
    renderer: &Renderer,
    opts: &'a BuildOptions,
) -> Result<Plan<'a>> {
    let mut entries = pages::content::entries(site, &loaded.pages, listings);
    // Generated pages exist in the default language and in every language
    // the site has a home page in.
    let langs: Vec<&Language> = site
        .languages
        .iter()
        .filter(|l| {
            *l == site.languages.default_language()
                || loaded.pages.iter().any(|p| p.is_home() && p.lang == l.code)
        })
        .collect();
    // A generated page's section follows the content section of the same
    // folder in other languages than the default: `members/_index.en.md`
    // with `slug: team` puts the English member pages at `/en/team/<slug>/`.
    // In the default language they stay where links and JSON-LD expect them.
    let section = |lang: &Language, default: &str| -> String {
        let key = format!("{}/_index.md", default.trim_matches('/'));
        loaded
            .pages
            .iter()
            .filter(|_| lang != site.languages.default_language())
            .find(|p| p.is_section && p.lang == lang.code && p.key == key)
            .map_or_else(|| site.languages.url(lang, default), |p| p.url.clone())
    };
    for generator in site.config.kind.spec().generators {
        let default = match generator {
            Generator::Members => pages::members::SECTION,
            Generator::Legs => pages::legs::SECTION,
        };
        if let Some(page) = loaded.pages.iter().find(|p| {
            p.is_section
                && p.lang == site.languages.default_language().code
                && p.key == format!("{}/_index.md", default.trim_matches('/'))
                && p.url != default
        }) {
            return Err(Error::content(format!(
                "this section holds generated pages, at {default} in the default language"
            ))
            .at(Location::file(&page.source))
            .hint("remove its slug: (other languages may translate it)"));
        }
    }
    for generator in site.config.kind.spec().generators {
        entries.extend(match generator {
            Generator::Members => pages::members::entries(
                &langs,
                |l| loaded.data_in(l),
                |l| section(l, pages::members::SECTION),
            ),
            Generator::Legs => pages::legs::entries(
                &langs,
                |l| loaded.data_in(l),
                |l| section(l, pages::legs::SECTION),
            ),
        });
    }
    entries.extend(pages::tags::entries(site, listings));
    entries.extend(pages::not_found::entries(site, &loaded.pages, &langs));
    entries.extend(pages::sitemap::entries(site, &langs));
    entries.extend(pages::legal::entries(site, &langs));

    let mut pagination = Pagination {
        per_page: usize::from(site.config.paginate_by),
        uses: HashMap::new(),
        renderer,
    };
    let mut routes = Vec::with_capacity(entries.len());
    for entry in entries {
        if let Source::Content(page) = entry.source {
            check_template(site, renderer, page, entry.template)?;
        }
        routes.extend(pagination.routes(entry)?);
    }
    check_urls(&routes)?;
    let mut reads: HashMap<&str, crate::render::Reads> = HashMap::new();
    let mut records = Vec::with_capacity(routes.len());
    for r in &routes {
        if !reads.contains_key(r.template) {
            reads.insert(r.template, renderer.reads(r.template)?);
        }
        records.push(r.source.shows().keys(&reads[r.template]));
    }

    let (render, reusing) = match incremental_selection(loaded, &routes, &records, opts) {
        Some((inc, keep)) => (keep, Some(inc)),
        None => ((0..routes.len()).collect(), None),
    };
    let (translations, homes) = translations(site, &routes);
    let keys = translations
        .iter()
        .flat_map(|(key, list)| list.iter().map(move |(_, url)| (url.clone(), key.clone())))
        .collect();
    let crumbs = routes
        .iter()
        .filter_map(|r| Some((r.url.clone(), r.crumb(site)?)))
        .collect();
    Ok(Plan {
        routes,
        render,
        reusing,
        translations,
        homes,
        keys,
        records,
        crumbs,
    })
}

impl Plan<'_> {
    /// Every route by translation key and language, for `url_for()`.
    pub fn url_table(&self, site: &Site) -> crate::render::UrlTable {
        let mut table = crate::render::UrlTable {
            default: site.languages.default_language().code.clone(),
            ..Default::default()
        };
        for route in &self.routes {
            let key = route.translation_key(&site.languages);
            table.key_of.insert(route.url.clone(), key.clone());
            table
                .versions
                .entry(key)
                .or_default()
                .insert(route.lang().to_string(), route.url.clone());
        }
        table
    }
}

/// Which routes are one page in several languages (by translation key),
/// and each language's home page.
#[allow(clippy::type_complexity)]
fn translations(
    site: &Site,
    routes: &[Route<'_>],
) -> (
    HashMap<String, Vec<(String, String)>>,
    HashMap<String, String>,
) {
    let mut homes = HashMap::new();
    if !site.languages.is_multilingual() {
        return (HashMap::new(), homes);
    }
    let order: HashMap<&str, usize> = site
        .languages
        .iter()
        .enumerate()
        .map(|(i, l)| (l.code.as_str(), i))
        .collect();
    let mut by_key: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for route in routes {
        let lang = route.lang();
        if let (Source::Content(page), true) = (route.source, route.is_content_page()) {
            if page.is_home() {
                homes.insert(lang.to_string(), route.url.clone());
            }
        }
        // Missing-page pages are no one's translation: no hreflang, and
        // the switcher on one leads to the other language's home.
        let not_found = match route.source {
            Source::NotFound => true,
            Source::Content(page) => page.is_404(),
            _ => false,
        };
        if not_found {
            continue;
        }
        by_key
            .entry(route.translation_key(&site.languages))
            .or_default()
            .push((lang.to_string(), route.url.clone()));
    }
    by_key.retain(|_, list| {
        list.sort_by_key(|(lang, _)| order.get(lang.as_str()).copied().unwrap_or(usize::MAX));
        list.len() > 1
    });
    (by_key, homes)
}

/// Splits listings into pager pages.
struct Pagination<'r> {
    per_page: usize,
    /// Template name → whether it reads `paginator`.
    uses: HashMap<String, bool>,
    renderer: &'r Renderer,
}

impl Pagination<'_> {
    /// The routes of one entry: one, or one per page of its listing. A
    /// listing is split only if its template uses `paginator`: one that does
    /// not lists everything itself, so page 2 would repeat page 1.
    fn routes<'a>(&mut self, entry: Entry<'a>) -> Result<Vec<Route<'a>>> {
        let Some(count) = entry.listed else {
            let output = match entry.source {
                Source::Content(page) => page.output.clone(),
                Source::NotFound => entry.url.trim_start_matches('/').to_string(),
                _ => listing::paginate(&entry.url, 0, 0)[0].output.clone(),
            };
            return Ok(vec![Route {
                url: entry.url,
                lang: entry.lang,
                output,
                template: entry.template,
                source: entry.source,
                pager: None,
            }]);
        };
        let uses = match self.uses.get(entry.template) {
            Some(uses) => *uses,
            None => {
                let uses = self.renderer.uses_variable(entry.template, "paginator")?;
                self.uses.insert(entry.template.to_string(), uses);
                uses
            }
        };
        let per_page = if uses { self.per_page } else { 0 };
        let list: Arc<[Pager]> = listing::paginate(&entry.url, count, per_page).into();
        Ok(list
            .iter()
            .enumerate()
            .map(|(i, pager)| Route {
                url: pager.url.clone(),
                lang: entry.lang,
                output: match entry.source {
                    Source::Content(page) if i == 0 => page.output.clone(),
                    _ => pager.output.clone(),
                },
                template: entry.template,
                source: entry.source,
                pager: Some((list.clone(), i)),
            })
            .collect())
    }
}

fn check_template(
    site: &Site,
    renderer: &Renderer,
    page: &crate::content::Page,
    template: &str,
) -> Result<()> {
    if renderer.has_template(template) {
        return Ok(());
    }
    let mut loc = Location::file(&page.source);
    if let Some(line) = page.template_line {
        loc = loc.line(line).key("template");
    }
    Err(Error::template(format!("template {template:?} does not exist"))
        .at(loc)
        .hint(format!(
            "looked in sites/{0}/templates/, themes/{1}/templates/, templates/{2}/ and templates/_base/",
            site.domain(),
            site.config.theme,
            site.config.kind
        )))
}

/// The sitemap entry of a route, if it has one: content pages unless their
/// front matter says `sitemap: false` (with their date as `lastmod`),
/// listing pages after the first and generated pages; not the 404 page.
/// Its alternates are the translations its head lists.
pub fn sitemap_entry<'r>(
    site: &Site,
    plan: &'r Plan<'r>,
    route: &'r Route<'r>,
) -> Option<SitemapEntry<'r>> {
    let entry = |lastmod| SitemapEntry {
        url: &route.url,
        lastmod,
        alternates: alternates(site, plan, route),
    };
    match route.source {
        Source::NotFound => None,
        Source::Content(page) if route.is_content_page() => (page.front.sitemap && !page.is_404())
            .then(|| entry(page.front.date.as_ref().map(|d| d.day()))),
        _ => Some(entry(None)),
    }
}

/// (hreflang, URL) of a route's translations, itself included, then
/// `x-default` (the default language's version) if it has one.
fn alternates(site: &Site, plan: &Plan<'_>, route: &Route<'_>) -> Vec<(String, String)> {
    let Some(list) = plan
        .translations
        .get(&route.translation_key(&site.languages))
    else {
        return Vec::new();
    };
    let languages = &site.languages;
    let mut out: Vec<(String, String)> = list
        .iter()
        .filter_map(|(code, url)| Some((languages.get(code)?.locale.clone(), url.clone())))
        .collect();
    if let Some((_, url)) = list
        .iter()
        .find(|(code, _)| *code == languages.default_language().code)
    {
        out.push(("x-default".to_string(), url.clone()));
    }
    out
}

/// A content page's `slug:` line, or its first line.
fn page_location(page: &crate::content::Page) -> Location {
    let text = std::fs::read_to_string(&page.source).unwrap_or_default();
    match crate::content::frontmatter::key_line(&text, "slug").filter(|_| page.front.slug.is_some())
    {
        Some(line) => Location::file(&page.source).line(line).key("slug"),
        None => Location::file(&page.source).line(1),
    }
}

/// Two pages on one URL is an error naming both: content files first, then
/// the pages not made from a content file (listing pages after the first,
/// generated pages), with what makes each.
fn check_urls(routes: &[Route<'_>]) -> Result<()> {
    let mut seen: BTreeMap<&str, &crate::content::Page> = BTreeMap::new();
    for route in routes.iter().filter(|r| r.is_content_page()) {
        let Source::Content(page) = route.source else {
            continue;
        };
        if let Some(other) = seen.insert(&page.url, page) {
            // At the `slug:` that made the clash, if one did.
            let blamed = if other.front.slug.is_some() && page.front.slug.is_none() {
                other
            } else {
                page
            };
            return Err(Error::build(format!(
                "{} and {} both claim the URL {}",
                other.source.display(),
                page.source.display(),
                page.url
            ))
            .at(page_location(blamed))
            .hint("change the `slug:` of one of them or rename a file"));
        }
    }
    let mut others: BTreeMap<&str, String> = BTreeMap::new();
    for route in routes {
        if route.is_content_page() || matches!(route.source, Source::NotFound) {
            continue;
        }
        let what = match &route.pager {
            Some((list, i)) if *i > 0 => {
                format!("page {} of {}", list[*i].number, route.source.what())
            }
            _ => route.source.what(),
        };
        let url = route.url.as_str();
        if let Some(page) = seen.get(url) {
            return Err(Error::build(format!(
                "{} claims the URL {url}, which is also {what}",
                page.source.display(),
            ))
            .at(page_location(page))
            .hint("generated pages own their URLs; choose another slug for the content page"));
        }
        if let Some(other) = others.insert(url, what.clone()) {
            return Err(Error::build(format!(
                "{other} and {what} both claim the URL {url}"
            )));
        }
    }
    Ok(())
}

/// Incremental: the routes an edit touched (their content page or template
/// changed, they show a platform record that changed, or the previous build
/// did not have them), when the rest can
/// come from the previous bundle. None renders everything: a template used
/// by every page changed, the stylesheet or a static file changed (pages
/// link them by URL), or the edit changed what other pages show.
fn incremental_selection<'a>(
    loaded: &Loaded,
    routes: &[Route<'_>],
    records: &[Vec<String>],
    opts: &'a BuildOptions,
) -> Option<(&'a super::Incremental, Vec<usize>)> {
    let inc = opts.incremental.as_ref()?;
    let assets_same = loaded
        .assets
        .files
        .iter()
        .all(|(p, b)| inc.previous.files.get(p) == Some(b));
    if inc.all_templates || !assets_same {
        return None;
    }
    let names: Vec<&str> = loaded
        .pages
        .iter()
        .map(pages::content::template_for)
        .collect();
    let dirty: HashSet<String> = inc.dirty(&loaded.pages, &names)?;
    // What each page of the previous build showed (its `deps.json`, when it
    // shipped one): a page now made from other records renders again (a
    // leg's URL handed to another leg, a member's slug to another member).
    let before: HashMap<String, Vec<String>> = inc
        .previous
        .extra
        .get(&format!("{}/deps.json", crate::edge::ship::DIST_DIR))
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(bytes).ok())
        .and_then(|deps| serde_json::from_value(deps["outputs"].clone()).ok())
        .unwrap_or_default();
    let keep = routes
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            dirty.contains(r.owner())
                || inc.templates.contains(r.template)
                || !inc.previous.files.contains_key(&r.output)
                || before
                    .get(&r.output)
                    .is_some_and(|keys| *keys != records[*i])
                || inc
                    .records
                    .as_ref()
                    .is_some_and(|changed| records[*i].iter().any(|k| changed.contains(k)))
        })
        .map(|(i, _)| i)
        .collect();
    Some((inc, keep))
}
