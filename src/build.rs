//! Build: runs the stages for one site and returns its Bundle. Writes nothing;
//! the sinks in bundle.rs (and later serve and deploy) do that.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use minijinja::value::Value;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value as Json;

use std::path::Path;
use std::sync::Arc;

use crate::assets;
use crate::assets::images::{resolve_source, ImageQueue, PictureOptions, Variant, Watermark};
use crate::bundle::{check_bundle_path, Bundle};
use crate::config::{Site, SiteKind, Workspace};
use crate::content::{self, Page};
use crate::error::{Error, Location, Result};
use crate::listing::{self, Listings, Pager, Term};
use crate::platform::{self, PlatformData, Profile, Tour, TourLeg};
use crate::render::{Helpers, Renderer};
use crate::seo;
use crate::text::slugify;

/// Choices that change what a build emits.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Include pages marked `draft: true`.
    pub drafts: bool,
    /// How platform data may use the network and the cache.
    pub fetch: crate::platform::FetchMode,
    /// Make warnings that have a fix (an image without alt text) errors.
    pub strict: bool,
    /// Platform data already loaded (`serve` fetches once per session).
    pub data: Option<Arc<PlatformData>>,
    /// A preview build (`serve`): no gzip twins, no nginx config.
    pub preview: bool,
    /// Re-render only what an edit touched; take the rest from a previous bundle.
    pub incremental: Option<Incremental>,
}

/// What changed since `previous` was built, for an incremental rebuild.
#[derive(Debug, Clone)]
pub struct Incremental {
    pub previous: Arc<Bundle>,
    /// Content files that changed (as the workspace names them: `content/<domain>/about.md`).
    pub sources: std::collections::BTreeSet<std::path::PathBuf>,
    /// Template file names that changed (`page.html`); partials and the base
    /// template affect every page, so they are given as `all_templates`.
    pub templates: std::collections::BTreeSet<String>,
    pub all_templates: bool,
}

impl Incremental {
    /// The content pages to render again: those whose file or template
    /// changed. None when another page may show the change, so everything
    /// renders: a page added or removed, or an edit to what listings show of
    /// a page (title, date, tags… — `listing::Summary`). A body-only edit, the
    /// usual copy edit, renders one page.
    fn dirty(&self, pages: &[Page], templates: &[&str]) -> Option<HashSet<String>> {
        let before: HashMap<&Path, &Page> = self
            .previous
            .source_pages
            .iter()
            .map(|p| (p.source.as_path(), p))
            .collect();
        let mut dirty = HashSet::new();
        for source in &self.sources {
            let page = pages.iter().find(|p| &p.source == source)?;
            let old = before.get(source.as_path())?;
            if listing::summary(old) != listing::summary(page) || old.parent != page.parent {
                return None;
            }
            dirty.insert(page.output.clone());
        }
        for (page, template) in pages.iter().zip(templates) {
            if self.templates.contains(*template) {
                dirty.insert(page.output.clone());
            }
            // A page the previous build did not have (say, a draft) is new.
            if !self.previous.files.contains_key(&page.output) {
                return None;
            }
        }
        Some(dirty)
    }
}

/// What one site's build produced, for the summary line.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub domain: String,
    pub pages: usize,
    pub files: usize,
    pub bytes: usize,
    pub warnings: Vec<String>,
    /// Short digest of the platform data used.
    pub data_digest: String,
    #[serde(skip)]
    pub duration: Duration,
}

impl BuildReport {
    pub fn new(bundle: &Bundle, started: Instant) -> Self {
        BuildReport {
            domain: bundle.domain.clone(),
            pages: bundle.pages,
            files: bundle.files.len(),
            bytes: bundle.total_bytes(),
            warnings: bundle.warnings.clone(),
            data_digest: bundle.data_digest.clone(),
            duration: started.elapsed(),
        }
    }
}

/// A page made from platform data or listings rather than a content file.
enum Generated<'a> {
    Member(&'a Profile),
    Leg(&'a Tour, &'a TourLeg),
    /// `/tags/`: every tag.
    Tags,
    /// `/tags/<slug>/`: the pages of one tag.
    Term(&'a Term<'a>),
}

impl Generated<'_> {
    fn url(&self) -> String {
        match self {
            Generated::Member(p) => format!("/members/{}/", p.slug),
            Generated::Leg(_, leg) => leg.url.clone(),
            Generated::Tags => listing::TAGS_URL.to_string(),
            Generated::Term(t) => t.url(),
        }
    }

    fn template(&self) -> &'static str {
        match self {
            Generated::Member(_) => "member.html",
            Generated::Leg(..) => "leg.html",
            Generated::Tags => "tags.html",
            Generated::Term(_) => "tag.html",
        }
    }

    fn what(&self) -> String {
        match self {
            Generated::Member(p) => format!("the member page of profile {}", p.id),
            Generated::Leg(_, leg) => format!("the page of tour leg {}", leg.id),
            Generated::Tags => "the tags index".to_string(),
            Generated::Term(t) => format!("the page of tag {:?}", t.name),
        }
    }
}

/// A rendered page: its bundle path, HTML, and `.gz` twin if it has one.
type RenderedPage = (String, String, Option<(String, Vec<u8>)>);

/// One output to render.
struct Job<'a> {
    output: String,
    /// The output of the content page this one shows (listing pages after
    /// the first belong to their section); empty for generated pages.
    owner: &'a str,
    template: &'a str,
    made: Made<'a>,
}

/// What a job renders: a content page (and which page of its listing), a
/// generated page (and which page of its listing), or the default 404.
enum Made<'a> {
    Page(&'a Page, Option<(Arc<[Pager]>, usize)>),
    Generated(&'a Generated<'a>, Arc<[Pager]>, usize),
    NotFound,
}

/// What every job's template context is made from.
struct JobContext<'a> {
    site: &'a Site,
    listings: &'a Listings<'a>,
    site_entity: &'a Json,
    section_items: &'a HashMap<&'a str, Vec<Value>>,
    term_items: &'a HashMap<&'a str, Vec<Value>>,
    summaries: &'a HashMap<&'a str, Value>,
    images: &'a ImageQueue,
}

impl JobContext<'_> {
    /// The template context of a job, and what it is made from (for errors).
    /// Made here, in the render threads, so contexts never pile up in memory.
    fn make(&self, job: &Job<'_>) -> Result<(Value, String)> {
        let site = self.site;
        match &job.made {
            Made::Page(page, pager) => {
                let image = match &page.front.image {
                    Some(file) => Some(
                        self.images.social(
                            &site
                                .roots
                                .content
                                .check(&site.content_dir.join(file.as_str()))?,
                        )?,
                    ),
                    None => None,
                };
                let neighbour = |p: Option<&Page>| {
                    p.map_or(Value::from(()), |p| self.summaries[p.url.as_str()].clone())
                };
                let (prev, next) = self
                    .listings
                    .neighbours
                    .get(page.url.as_str())
                    .copied()
                    .unwrap_or_default();
                let mut extra = vec![("prev", neighbour(prev)), ("next", neighbour(next))];
                if let Some((pagers, i)) = pager {
                    let items = &self.section_items[page.url.as_str()];
                    extra.push(("paginator", listing::paginator_value(pagers, *i, items)));
                    if *i > 0 {
                        let url = &pagers[*i].url;
                        extra.push(("url", Value::from(url.as_str())));
                        extra.push((
                            "permalink",
                            Value::from(format!("{}{url}", site.base_url())),
                        ));
                    }
                }
                let ctx = page_context(site, page, self.site_entity, image.as_ref(), extra);
                Ok((ctx, page.source.display().to_string()))
            }
            Made::Generated(g, pagers, i) => Ok((self.generated(g, pagers, *i), g.what())),
            Made::NotFound => {
                let ctx = minijinja::context! { page => Value::from_serialize(serde_json::json!({
                    "title": "Page not found", "url": "/404.html", "kind": "404", "content": "",
                    "permalink": format!("{}/404.html", site.base_url()), "jsonld": [self.site_entity],
                })) };
                Ok((ctx, "the default 404 page".into()))
            }
        }
    }

    /// The context of a generated page: a member, a tour leg, the tags
    /// index, or page `i` of a tag's listing.
    fn generated(&self, g: &Generated<'_>, pagers: &[Pager], i: usize) -> Value {
        let (site, site_entity) = (self.site, self.site_entity);
        let url = g.url();
        let permalink = format!("{}{url}", site.base_url());
        match g {
            Generated::Member(p) => {
                let title = match &p.role_title {
                    Some(role) => format!("{} — {role}", p.display_name),
                    None => p.display_name.clone(),
                };
                let page = serde_json::json!({
                    "title": title, "description": format!("{} at {}", p.display_name, site.config.brand.name),
                    "url": url, "permalink": permalink, "kind": "member", "parent": "/members/",
                    "jsonld": [site_entity, seo::member_entity(site, p)],
                });
                minijinja::context! { page => Value::from_serialize(page), member => Value::from_serialize(p) }
            }
            Generated::Leg(tour, leg) => {
                let page = serde_json::json!({
                    "title": format!("{} in {}", tour.title, leg.city),
                    "description": format!("{} — {}, {}: {} to {}", tour.title, leg.city, leg.country, leg.start_date, leg.end_date),
                    "url": url, "permalink": permalink, "kind": "leg", "parent": "/tour/",
                    "jsonld": [site_entity, seo::leg_event(site, tour, leg)],
                });
                minijinja::context! {
                    page => Value::from_serialize(page),
                    leg => Value::from_serialize(leg),
                    tour => Value::from_serialize(tour),
                }
            }
            Generated::Tags => self.tags_context(),
            Generated::Term(t) => {
                let items = &self.term_items[t.slug.as_str()];
                let paginator = listing::paginator_value(pagers, i, items);
                self.term_context(t, paginator, &pagers[i].url)
            }
        }
    }

    fn tags_context(&self) -> Value {
        let site = self.site;
        let page = serde_json::json!({
            "title": "Tags", "description": format!("Every tag on {}", site.config.brand.name),
            "url": listing::TAGS_URL, "permalink": format!("{}{}", site.base_url(), listing::TAGS_URL),
            "kind": "tags", "jsonld": [self.site_entity],
        });
        minijinja::context! { page => Value::from_serialize(page), terms => terms_value(self.listings) }
    }

    fn term_context(&self, term: &Term<'_>, paginator: Value, url: &str) -> Value {
        let site = self.site;
        let page = serde_json::json!({
            "title": term.name,
            "description": format!("Pages tagged “{}” on {}", term.name, site.config.brand.name),
            "url": url, "permalink": format!("{}{url}", site.base_url()),
            "kind": "tag", "parent": listing::TAGS_URL, "jsonld": [self.site_entity],
        });
        let term_value = serde_json::json!({
            "name": term.name, "slug": term.slug, "url": term.url(), "count": term.pages.len(),
        });
        minijinja::context! {
            page => Value::from_serialize(page),
            term => Value::from_serialize(term_value),
            paginator => paginator,
        }
    }
}

/// Every tag with its page count, by slug: the `tags` global and the tags index.
fn terms_value(listings: &Listings<'_>) -> Value {
    Value::from_serialize(
        listings
            .terms
            .iter()
            .map(|t| serde_json::json!({"name": t.name, "slug": t.slug, "url": t.url(), "count": t.pages.len()}))
            .collect::<Vec<_>>(),
    )
}

/// Builds one site into memory.
pub fn build_site(ws: &Workspace, site: &Site, opts: &BuildOptions) -> Result<Bundle> {
    let mut phase = Phases::new(site.domain());
    let images = Arc::new(ImageQueue::new(
        ws.config.images.clone(),
        ws.root.join(".sitegen/cache/images"),
        match &site.config.images.watermark {
            Some(w) => Some(Watermark {
                file: site
                    .roots
                    .site
                    .check(&site.site_dir.join(w.file.as_str()))?,
                position: w.position.as_str().to_string(),
                opacity: w.opacity.0,
                scale: w.scale.0,
            }),
            None => None,
        },
        opts.strict,
    )?);
    // Paths stay as the workspace names them (relative to it when it is the
    // working directory), so errors show `content/<domain>/…`.
    let content_root = site.content_dir.clone();
    let resolver = |file: &Path, dest: &str, alt: &str, first: bool| -> Result<String> {
        let path = resolve_source(
            &site.roots.content,
            file.parent().unwrap_or(&content_root),
            dest,
        )
        .map_err(|e| match e.location {
            Some(_) => e,
            None => e.at(Location::file(file)),
        })?;
        if alt.is_empty() {
            images.missing_alt(format!("{}: image {dest} has no alt text", file.display()))?;
        }
        images.picture(
            &path,
            alt,
            &PictureOptions {
                eager: first,
                ..Default::default()
            },
        )
    };
    let pages = match &opts.incremental {
        Some(inc) => content::load_reusing(
            &site.roots.content,
            opts.drafts,
            &resolver,
            Some((&inc.previous.source_pages, &inc.sources)),
        )?,
        None => content::load(&site.roots.content, opts.drafts, &resolver)?,
    };
    phase.done("content");
    let mut data = match &opts.data {
        Some(d) => (**d).clone(),
        None => platform::load(ws, site, opts.fetch)?,
    };
    let inputs = (!opts.preview).then(|| crate::inputs::digest(ws, site, &data, opts));
    let data_digest = crate::inputs::data_digest(&data);
    assign_leg_urls(&mut data);
    phase.done("platform data");
    let assets = assets::build(site, &ws.config.css.browserslist)?;
    phase.done("css and static files");
    let social = match &site.config.seo.social_image {
        Some(file) => {
            Some(images.social(&site.roots.site.check(&site.site_dir.join(file.as_str()))?)?)
        }
        None => None,
    };

    if !pages.iter().any(Page::is_home) {
        return Err(Error::content("the site has no home page")
            .at(Location::file(site.content_dir.join("_index.md")))
            .hint("create content/<domain>/_index.md with a title"));
    }
    let listings = Listings::new(&pages);
    let mut generated: Vec<Generated<'_>> = match site.config.kind {
        SiteKind::OrgSite => data.profiles.iter().map(Generated::Member).collect(),
        SiteKind::TourSite => data
            .tours
            .iter()
            .flat_map(|t| t.legs.iter().map(move |l| Generated::Leg(t, l)))
            .collect(),
        SiteKind::ProviderSite => Vec::new(),
    };
    if !listings.terms.is_empty() {
        generated.push(Generated::Tags);
        generated.extend(listings.terms.iter().map(Generated::Term));
    }
    // What listings show of each page, made once and shared by every listing.
    let summaries: HashMap<&str, Value> = pages
        .par_iter()
        .map(|p| (p.url.as_str(), Value::from_serialize(listing::summary(p))))
        .collect();
    let items = |list: &[&Page]| -> Vec<Value> {
        list.iter()
            .map(|p| summaries[p.url.as_str()].clone())
            .collect()
    };
    let section_items: HashMap<&str, Vec<Value>> = listings
        .sections
        .iter()
        .map(|(url, list)| (*url, items(list)))
        .collect();
    let term_items: HashMap<&str, Vec<Value>> = listings
        .terms
        .iter()
        .map(|t| (t.slug.as_str(), items(&t.pages)))
        .collect();

    let logo = assets.urls.get("logo").cloned();
    let site_entity = seo::site_entity(site, &data, logo.as_deref());
    let renderer = Renderer::new(
        site,
        Helpers {
            base_url: site.base_url(),
            assets: assets.urls.clone(),
            integrity: assets.integrity.clone(),
            sections: section_items
                .iter()
                .map(|(url, list)| (url.to_string(), Value::from(list.clone())))
                .collect(),
            latest: items(&listings.latest),
            picture: picture_fn(site, images.clone()),
            avatar: avatar_fn(&data, images.clone()),
            limits: ws.config.templates.clone(),
        },
        globals(site, &data, &listings, logo.as_deref(), social.as_ref()),
    )?;

    // Plan every output before rendering any: templates must exist, URLs
    // must be unique, and an incremental build must know what it keeps.
    let per_page = usize::from(site.config.paginate_by);
    let mut paginated: HashMap<String, bool> = HashMap::new();
    // A listing is split into pages only if its template uses `paginator`:
    // one that does not lists everything itself, so page 2 would repeat page 1.
    let mut pagers = |template: &str, url: &str, count: usize| -> Result<Arc<[Pager]>> {
        let uses = match paginated.get(template) {
            Some(uses) => *uses,
            None => {
                let uses = renderer.uses_variable(template, "paginator")?;
                paginated.insert(template.to_string(), uses);
                uses
            }
        };
        let per_page = if uses { per_page } else { 0 };
        Ok(listing::paginate(url, count, per_page).into())
    };
    // Non-content URLs (generated pages, listing pages after the first) and what makes them.
    let mut routes: Vec<(String, String)> = Vec::new();
    let mut jobs: Vec<Job<'_>> = Vec::with_capacity(pages.len() + generated.len());
    for page in &pages {
        let template = template_for(page);
        if !renderer.has_template(template) {
            let mut loc = Location::file(&page.source);
            if let Some(line) = page.template_line {
                loc = loc.line(line).key("template");
            }
            return Err(Error::template(format!("template {template:?} does not exist"))
                .at(loc)
                .hint(format!(
                    "looked in sites/{0}/templates/, themes/{1}/templates/, templates/{2}/ and templates/_base/",
                    site.domain(),
                    site.config.theme,
                    site.config.kind
                )));
        }
        if !page.is_section || page.is_home() {
            jobs.push(Job {
                output: page.output.clone(),
                owner: &page.output,
                template,
                made: Made::Page(page, None),
            });
            continue;
        }
        let count = listings.sections[page.url.as_str()].len();
        let list = pagers(template, &page.url, count)?;
        for (i, pager) in list.iter().enumerate() {
            let output = if i == 0 {
                page.output.clone()
            } else {
                routes.push((
                    pager.url.clone(),
                    format!("page {} of {}", pager.number, page.source.display()),
                ));
                pager.output.clone()
            };
            jobs.push(Job {
                output,
                owner: &page.output,
                template,
                made: Made::Page(page, Some((list.clone(), i))),
            });
        }
    }
    for g in &generated {
        let (template, url) = (g.template(), g.url());
        let list = match g {
            Generated::Term(t) => pagers(template, &url, t.pages.len())?,
            _ => listing::paginate(&url, 0, 0).into(),
        };
        for (i, pager) in list.iter().enumerate() {
            let what = match i {
                0 => g.what(),
                _ => format!("page {} of {}", pager.number, g.what()),
            };
            routes.push((pager.url.clone(), what));
            jobs.push(Job {
                output: pager.output.clone(),
                owner: "",
                template,
                made: Made::Generated(g, list.clone(), i),
            });
        }
    }
    check_routes(&pages, &routes)?;
    if !pages.iter().any(Page::is_404) {
        jobs.push(Job {
            output: "404.html".into(),
            owner: "404.html",
            template: "404.html",
            made: Made::NotFound,
        });
    }

    // Incremental: render only what an edit touched; the rest comes from the
    // previous bundle below. Generated pages follow their templates.
    let reuse = match &opts.incremental {
        // Pages link the stylesheet and static files by URL: if any of them
        // changed, every page changes.
        Some(inc)
            if !inc.all_templates
                && assets
                    .files
                    .iter()
                    .all(|(p, b)| inc.previous.files.get(p) == Some(b)) =>
        {
            let names: Vec<&str> = pages.iter().map(template_for).collect();
            inc.dirty(&pages, &names).map(|dirty| (inc, dirty))
        }
        _ => None,
    };
    let outputs: HashSet<String> = jobs.iter().map(|j| j.output.clone()).collect();
    if let Some((inc, dirty)) = &reuse {
        jobs.retain(|j| {
            dirty.contains(j.owner)
                || inc.templates.contains(j.template)
                || !inc.previous.files.contains_key(&j.output)
        });
    }

    // Collect every result, then take the first error in page order, so the
    // reported error does not depend on thread timing.
    let context = JobContext {
        site,
        listings: &listings,
        site_entity: &site_entity,
        section_items: &section_items,
        term_items: &term_items,
        summaries: &summaries,
        images: &images,
    };
    // Pages are compressed as they render (a deploy build): the text is
    // still in cache, and no second pass over every page is needed.
    let compress = !opts.preview;
    let rendered: Vec<Result<RenderedPage>> = jobs
        .into_par_iter()
        .map(|job| {
            let (ctx, what) = context.make(&job)?;
            let html = renderer
                .render(job.template, ctx, &what)
                .map_err(|e| match &e.hint {
                    Some(_) => e,
                    None => e.hint(format!("while rendering {what}")),
                })?;
            // Pages stay in memory until the bundle is written: no slack.
            let mut html = html;
            html.shrink_to_fit();
            let gz = compress
                .then(|| assets::twin(&job.output, html.as_bytes()))
                .flatten();
            Ok((job.output, html, gz))
        })
        .collect();
    let rendered = rendered.into_iter().collect::<Result<Vec<_>>>()?;
    phase.done("render");

    let mut bundle = Bundle::new(site.domain());
    bundle.inputs = inputs;
    bundle.data_digest = data_digest;
    bundle.pages = rendered.len();
    bundle.rendered = rendered.len();
    let mut reused: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    if let Some((inc, _)) = &reuse {
        let fresh: HashSet<&str> = rendered.iter().map(|(p, _, _)| p.as_str()).collect();
        for (path, bytes) in &inc.previous.files {
            if outputs.contains(path) && !fresh.contains(path.as_str()) {
                reused.insert(path.clone(), bytes.clone());
            }
        }
        bundle.pages += reused.len();
    }
    bundle.warnings = data
        .stale
        .iter()
        .map(|what| format!("built from STALE cached platform data: {what}"))
        .chain(data.warnings.iter().cloned())
        .collect();
    let processed = images.process()?;
    phase.done("images");
    bundle.warnings.extend(images.take_warnings());
    for (path, bytes) in assets.files.into_iter().chain(processed).chain(
        rendered
            .into_iter()
            .flat_map(|(p, h, gz)| std::iter::once((p, h.into_bytes())).chain(gz)),
    ) {
        insert(&mut bundle, path, bytes)?;
    }
    if let Some(inc) = &opts.incremental {
        // Reused pages reference images produced by the build that rendered
        // them, and so do pages rendered again from markdown that was not
        // parsed again (`content::load_reusing` queued none of its images).
        for (path, bytes) in &inc.previous.files {
            if path.starts_with("assets/images/") && !bundle.files.contains_key(path) {
                reused.insert(path.clone(), bytes.clone());
            }
        }
    }
    bundle.files.extend(reused);

    // Every page is in the sitemap (listing pages after the first too),
    // unless its front matter says `sitemap: false`.
    let mut entries: Vec<seo::SitemapEntry<'_>> = pages
        .iter()
        .filter(|p| p.front.sitemap && !p.is_404())
        .map(|p| seo::SitemapEntry {
            url: &p.url,
            lastmod: p.front.date.as_ref().map(|d| d.day()),
        })
        .collect();
    entries.extend(
        routes
            .iter()
            .map(|(url, _)| seo::SitemapEntry { url, lastmod: None }),
    );
    entries.sort_by(|a, b| a.url.cmp(b.url));
    let base = site.base_url();
    insert(
        &mut bundle,
        "sitemap.xml".into(),
        seo::sitemap(&base, &entries).into_bytes(),
    )?;
    insert(
        &mut bundle,
        "robots.txt".into(),
        seo::robots(&base).into_bytes(),
    )?;
    if opts.preview {
        bundle.source_pages = Arc::new(pages);
        return Ok(bundle);
    }
    // Every HTML file of a deploy build rendered (and was compressed) above.
    assets::precompress(&mut bundle.files, |path| path.ends_with(".html"));
    phase.done("gzip");
    bundle.extra.insert(
        format!("nginx/{}.conf", site.domain()),
        crate::nginx::server_config(ws, site, &bundle).into_bytes(),
    );
    bundle.extra.insert(
        format!("nginx/{}", crate::nginx::SNIPPET),
        crate::nginx::http_snippet(ws).into_bytes(),
    );
    Ok(bundle)
}

/// `picture()` for templates: a content image through the image pipeline.
fn picture_fn(site: &Site, images: Arc<ImageQueue>) -> Box<crate::render::PictureFn> {
    let content = site.roots.content.clone();
    Box::new(move |r: &crate::render::PictureRequest<'_>| {
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
fn avatar_fn(data: &PlatformData, images: Arc<ImageQueue>) -> Box<crate::render::AvatarFn> {
    let files: BTreeMap<String, std::path::PathBuf> = data
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

/// Debug-level timings of a build's stages (`-vv` or `SITEGEN_LOG=debug`).
struct Phases<'a> {
    domain: &'a str,
    last: Instant,
}

impl<'a> Phases<'a> {
    fn new(domain: &'a str) -> Self {
        Phases {
            domain,
            last: Instant::now(),
        }
    }

    fn done(&mut self, what: &str) {
        let now = Instant::now();
        tracing::debug!(
            "{}: {what} took {} ms",
            self.domain,
            (now - self.last).as_millis()
        );
        self.last = now;
    }
}

fn insert(bundle: &mut Bundle, path: String, bytes: Vec<u8>) -> Result<()> {
    check_bundle_path(&path)?;
    if bundle.files.contains_key(&path) {
        return Err(Error::build(format!("two outputs claim {path}")).hint(
            "a static file and a page (or two static files) produce the same path; rename one",
        ));
    }
    bundle.files.insert(path, bytes);
    Ok(())
}

/// Leg pages live at `/tour/<city>/`; a city visited twice gets its start
/// date (`/tour/lyon-2027-04-02/`). A city with nothing left to slug (no
/// letter or digit any script transliterates) uses the leg's record id
/// (`/tour/leg-07/`). Every segment is a slug (`[a-z0-9-]`, never empty) and
/// any clash that remains (the same city on the same day, an id equal to
/// another city) gets `-2`, `-3`… in date order, so no two legs share a URL.
fn assign_leg_urls(data: &mut PlatformData) {
    for tour in &mut data.tours {
        tour.legs
            .sort_by(|a, b| a.start_date.cmp(&b.start_date).then(a.id.cmp(&b.id)));
    }
    let base = |leg: &TourLeg| {
        [slugify(&leg.city), slugify(&leg.id)]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| "leg".to_string())
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for leg in data.tours.iter().flat_map(|t| &t.legs) {
        *counts.entry(base(leg)).or_default() += 1;
    }
    let mut used: HashSet<String> = HashSet::new();
    for leg in data.tours.iter_mut().flat_map(|t| &mut t.legs) {
        let base = base(leg);
        let date = slugify(&leg.start_date);
        let slug = if counts[&base] > 1 && !date.is_empty() {
            format!("{base}-{date}")
        } else {
            base
        };
        let mut unique = slug.clone();
        let mut n = 2;
        while !used.insert(unique.clone()) {
            unique = format!("{slug}-{n}");
            n += 1;
        }
        leg.url = format!("/tour/{unique}/");
    }
}

/// Two pages on one URL is an error naming both. `routes` are the URLs
/// not made from content files, with what makes each.
fn check_routes(pages: &[Page], routes: &[(String, String)]) -> Result<()> {
    let mut seen: BTreeMap<&str, &Page> = BTreeMap::new();
    for page in pages {
        if let Some(other) = seen.insert(&page.url, page) {
            return Err(Error::build(format!(
                "{} and {} both claim the URL {}",
                other.source.display(),
                page.source.display(),
                page.url
            ))
            .at(Location::file(&page.source))
            .hint("change the `slug:` of one of them or rename a file"));
        }
    }
    let mut gen_seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (url, what) in routes {
        if let Some(page) = seen.get(url.as_str()) {
            return Err(Error::build(format!(
                "{} claims the URL {url}, which is also {what}",
                page.source.display(),
            ))
            .at(Location::file(&page.source))
            .hint("generated pages own their URLs; choose another slug for the content page"));
        }
        if let Some(other) = gen_seen.insert(url, what) {
            return Err(Error::build(format!(
                "{other} and {what} both claim the URL {url}"
            )));
        }
    }
    Ok(())
}

fn template_for(page: &Page) -> &str {
    if let Some(t) = &page.front.template {
        return &t.0;
    }
    if page.is_home() {
        "index.html"
    } else if page.is_404() {
        "404.html"
    } else if page.is_section {
        "section.html"
    } else {
        "page.html"
    }
}

fn describe<'a>(site: &'a Site, own: Option<&'a str>) -> Option<&'a str> {
    own.or(site.config.seo.description.as_deref())
        .or(site.config.brand.tagline.as_deref())
}

/// A content page's context. `extra` adds or replaces fields of `page`
/// (prev/next, and on listing pages the paginator and the page's own URL).
fn page_context(
    site: &Site,
    page: &Page,
    site_entity: &Json,
    image: Option<&Variant>,
    extra: Vec<(&'static str, Value)>,
) -> Value {
    let kind = if page.is_home() {
        "home"
    } else if page.is_404() {
        "404"
    } else if page.is_section {
        "section"
    } else {
        "page"
    };
    let fields = [
        ("title", Value::from(page.front.title.as_str())),
        (
            "description",
            Value::from(describe(site, page.front.description.as_deref())),
        ),
        ("url", Value::from(page.url.as_str())),
        (
            "permalink",
            Value::from(format!("{}{}", site.base_url(), page.url)),
        ),
        ("kind", Value::from(kind)),
        ("content", Value::from_safe_string(page.content.clone())),
        ("toc", Value::from_serialize(&page.toc)),
        ("date", Value::from_serialize(&page.front.date)),
        ("weight", Value::from(page.front.weight)),
        ("extra", Value::from_serialize(&page.front.extra)),
        ("parent", Value::from_serialize(&page.parent)),
        ("source", Value::from(page.rel.as_str())),
        ("jsonld", Value::from_serialize([site_entity])),
        ("image", image.map_or(Value::from(()), variant_value)),
        ("tags", Value::from_serialize(listing::tag_refs(page))),
    ];
    // Later entries win: `extra` replaces url and permalink on listing pages.
    let map: BTreeMap<&str, Value> = fields.into_iter().chain(extra).collect();
    let paginator = map.get("paginator").cloned();
    let page_value = Value::from_iter(map);
    match paginator {
        Some(paginator) => minijinja::context! { page => page_value, paginator => paginator },
        None => minijinja::context! { page => page_value },
    }
}

fn variant_value(v: &Variant) -> Value {
    Value::from_serialize(serde_json::json!({"url": v.url, "width": v.width, "height": v.height}))
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
    let site_value = serde_json::json!({
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
        "social_image": social.map(|v| serde_json::json!({"url": v.url, "width": v.width, "height": v.height})),
    });
    let events: Vec<Json> = data
        .tours
        .iter()
        .flat_map(|t| t.legs.iter().map(move |l| seo::leg_event(site, t, l)))
        .collect();
    let mut g = BTreeMap::new();
    g.insert("site", Value::from_serialize(site_value));
    g.insert("tenant", Value::from_serialize(&data.tenant));
    g.insert("members", Value::from_serialize(&data.profiles));
    g.insert("profile", Value::from_serialize(data.profiles.first()));
    g.insert("tours", Value::from_serialize(&data.tours));
    g.insert("tour_events", Value::from_serialize(events));
    g.insert("tags", terms_value(listings));
    g
}
