//! Phase 4, assemble: the bundle from the rendered pages, the processed
//! images, the stylesheet and static files, the pages an incremental build
//! kept, the sitemap and robots.txt. Two outputs on one path is an error.

use std::collections::{BTreeMap, HashSet};

use super::load::Loaded;
use super::plan::{sitemap_entry, Plan};
use super::render::RenderedPage;
use super::{BuildMode, BuildOptions, Phases};
use crate::bundle::{check_bundle_path, Bundle};
use crate::config::Site;
use crate::error::{Error, Location, Result};
use crate::seo;

pub fn assemble(
    site: &Site,
    loaded: &Loaded,
    listings: &crate::listing::Listings<'_>,
    plan: &Plan<'_>,
    rendered: Vec<RenderedPage>,
    opts: &BuildOptions,
    phase: &mut Phases<'_>,
) -> Result<Bundle> {
    let mut bundle = Bundle::new(site.domain());
    bundle.data_digest = loaded.data_digest.clone();
    bundle.next_change = loaded.next_change;
    bundle.clock = opts.now;
    bundle.pages = rendered.len();
    bundle.rendered = rendered.len();
    let mut reused: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    if let Some(inc) = plan.reusing {
        let fresh: HashSet<&str> = rendered.iter().map(|(p, _, _)| p.as_str()).collect();
        let outputs: HashSet<&str> = plan.routes.iter().map(|r| r.output.as_str()).collect();
        for (path, bytes) in &inc.previous.files {
            if outputs.contains(path.as_str()) && !fresh.contains(path.as_str()) {
                reused.insert(path.clone(), bytes.clone());
                bundle.pages += 1;
                // A published page's gzip twin goes with it.
                let twin = format!("{path}.gz");
                if let Some(gz) = inc.previous.files.get(&twin) {
                    if opts.mode == BuildMode::Publish {
                        reused.insert(twin, gz.clone());
                    }
                }
            }
        }
    }
    let data = &loaded.data;
    bundle.warnings = data
        .stale
        .iter()
        .map(|what| format!("built from STALE cached platform data: {what}"))
        .chain(data.warnings.iter().cloned())
        .collect();
    let processed = loaded.images.process()?;
    phase.done(&format!("images: {} files", processed.len()));
    let cards = match &loaded.cards {
        Some(cards) => cards.process()?,
        None => Vec::new(),
    };
    phase.done(&format!("social cards: {} files", cards.len()));
    bundle.warnings.extend(loaded.images.take_warnings());
    bundle.warnings.extend(loaded.strings.take_warnings());
    let assets = loaded
        .assets
        .files
        .iter()
        .map(|(p, b)| (p.clone(), b.clone()));
    for (path, bytes) in assets.chain(processed).chain(cards).chain(
        rendered
            .into_iter()
            .flat_map(|(p, h, gz)| std::iter::once((p, h.into_bytes())).chain(gz)),
    ) {
        insert(&mut bundle, path, bytes)?;
    }
    if let Some(inc) = &opts.incremental {
        // Reused pages reference images (and their social cards) produced
        // by the build that rendered them, and so do pages rendered again from markdown that was not
        // parsed again (`content::load_reusing` queued none of its images).
        // Only those a page still references are carried: the portrait of a
        // member who stopped sharing goes with her page.
        let pages = bundle.files.iter().chain(reused.iter());
        let referenced = referenced_images(pages.filter(|(p, _)| p.ends_with(".html")));
        for (path, bytes) in &inc.previous.files {
            if (path.starts_with(IMAGES) || path.starts_with(CARDS))
                && !bundle.files.contains_key(path)
                && referenced.contains(path.as_str())
            {
                reused.insert(path.clone(), bytes.clone());
            }
        }
    }
    bundle.files.extend(reused);
    bundle.aliases = aliases(site, &loaded.pages, &bundle)?;
    bundle.redirects = site
        .config
        .redirects
        .iter()
        .map(|r| {
            (
                r.from.as_str().to_string(),
                (r.status.0, r.to.as_str().to_string()),
            )
        })
        .chain(
            bundle
                .aliases
                .iter()
                .map(|(from, to)| (from.clone(), (301, to.clone()))),
        )
        .collect();

    // Every page is in the sitemap (listing pages after the first too),
    // unless its front matter says `sitemap: false`.
    let mut entries: Vec<seo::SitemapEntry<'_>> = plan
        .routes
        .iter()
        .filter_map(|r| sitemap_entry(site, plan, r))
        .collect();
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
    let feeds = crate::feeds::atom_feeds(site, &loaded.pages, listings);
    for (path, bytes) in feeds
        .into_iter()
        .chain(crate::feeds::calendars(site, &plan.routes))
    {
        insert(&mut bundle, path, bytes)?;
    }
    // Kept so that the next incremental build parses only what changed
    // (`serve` after an edit, the edge after a platform change).
    bundle.source_pages = loaded.pages.clone();
    if opts.mode == BuildMode::Publish {
        bundle.markdown = loaded.pages.iter().map(|p| p.source.clone()).collect();
        // What the edge needs to render these pages again (`edge::ship`).
        let edge = crate::edge::ship::DIST_DIR;
        bundle.extra.insert(
            format!("{edge}/deps.json"),
            crate::edge::ship::deps_index(site, &plan.routes, &plan.records),
        );
        for (path, bytes) in crate::edge::ship::data(site, &loaded.raw)? {
            bundle
                .extra
                .insert(format!("{edge}/workspace/{path}"), bytes);
        }
    }
    Ok(bundle)
}

/// The redirects pages ask for with `aliases:`, checked against each other,
/// site.yaml's `redirects` and the files the site has: an alias never hides
/// a page, and one path never redirects two ways.
fn aliases(
    site: &Site,
    pages: &[crate::content::Page],
    bundle: &Bundle,
) -> Result<BTreeMap<String, String>> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut owner: BTreeMap<&str, &std::path::Path> = BTreeMap::new();
    for page in pages {
        for (i, alias) in page.front.aliases.iter().enumerate() {
            let from = alias.as_str();
            let problem = if let Some((file, _)) = bundle.resolve(from) {
                Some((
                    format!("{from} is the address of {file} on this site; a redirect there would hide it"),
                    "remove the alias, or move the page that lives there",
                ))
            } else if site
                .config
                .redirects
                .iter()
                .any(|r| r.from.as_str() == from)
            {
                Some((
                    format!("{from} is already redirected by site.yaml `redirects`"),
                    "keep one of the two",
                ))
            } else {
                owner.get(from).filter(|o| **o != page.source).map(|other| {
                    (
                        format!("{from} is an alias of {} too", other.display()),
                        "an old address can lead to one page only; remove one alias",
                    )
                })
            };
            if let Some((message, hint)) = problem {
                let text = std::fs::read_to_string(&page.source).unwrap_or_default();
                let key = format!("aliases[{i}]");
                let line = crate::content::frontmatter::key_line(&text, &key)
                    .or_else(|| crate::content::frontmatter::key_line(&text, "aliases"))
                    .unwrap_or(1);
                return Err(Error::content(message)
                    .at(Location::file(&page.source).line(line).key(key))
                    .hint(hint));
            }
            owner.insert(from, &page.source);
            out.insert(from.to_string(), page.url.clone());
        }
    }
    Ok(out)
}

/// Where processed images are in the bundle.
const IMAGES: &str = "assets/images/";
/// Where social cards are (each belongs to its page).
const CARDS: &str = crate::assets::cards::DIR;

/// The processed images (bundle paths) that `pages` reference, by URL
/// (`/assets/images/…` or `https://<domain>/assets/images/…`, in `src`,
/// `srcset`, `og:image` or JSON-LD alike).
fn referenced_images<'a>(
    pages: impl Iterator<Item = (&'a String, &'a Vec<u8>)>,
) -> HashSet<String> {
    let mut found = HashSet::new();
    for (_, html) in pages {
        let html = String::from_utf8_lossy(html);
        let found_at = html.match_indices(IMAGES).chain(html.match_indices(CARDS));
        for (at, _) in found_at {
            let rest = &html[at..];
            let end = rest
                .find(|c: char| {
                    c.is_whitespace()
                        || matches!(
                            c,
                            '"' | '\'' | '<' | '>' | ',' | ')' | '?' | '#' | '&' | '\\'
                        )
                })
                .unwrap_or(rest.len());
            found.insert(rest[..end].to_string());
        }
    }
    found
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
