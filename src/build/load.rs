//! Phase 1, load: everything a build reads, each through its own module —
//! content pages (`crate::content`), the tenant's guarded platform data
//! (`crate::platform`), the stylesheet and static files (`crate::assets`),
//! the interface strings of every language (`crate::i18n`) — and the image
//! queue the other phases request images from.

use std::path::Path;
use std::sync::Arc;

use super::{BuildOptions, Phases};
use crate::assets::cards::Cards;
use crate::assets::images::{resolve_source, ImageQueue, PictureOptions, Variant, Watermark};
use crate::assets::{self, Assets};
use crate::config::{Site, Workspace};
use crate::content::{self, Page};
use crate::error::{Error, Location, Result};
use crate::i18n::Strings;
use crate::platform::{self, PlatformData};

/// What the build works from.
pub struct Loaded {
    /// Content pages in file order (shared with the bundle of a preview
    /// build, for the next incremental build).
    pub pages: Arc<Vec<Page>>,
    /// The tenant's data as pages in the default language show it (leg
    /// URLs assigned, localised fields resolved).
    pub data: PlatformData,
    /// The data as loaded (every language, no URLs assigned): what a
    /// release ships for the edge.
    pub raw: Arc<PlatformData>,
    /// The same for each other language of the site, by code.
    pub translated: std::collections::HashMap<String, PlatformData>,
    /// Short digest of the data as loaded, for reports.
    pub data_digest: String,
    /// When the pages change next by the clock alone (a leg becomes past).
    pub next_change: Option<time::OffsetDateTime>,
    pub assets: Assets,
    pub images: Arc<ImageQueue>,
    /// The site's social image (`seo.social_image`).
    pub social: Option<Variant>,
    /// The social cards pages request; None when the theme has no `card_font`.
    pub cards: Option<Arc<Cards>>,
    /// Interface strings and locale formats; collects the warnings of
    /// strings shown from a fallback language.
    pub strings: Arc<Strings>,
}

impl Loaded {
    /// The tenant's data as pages in `lang` show it.
    pub fn data_in(&self, lang: &crate::config::Language) -> &PlatformData {
        self.translated.get(&lang.code).unwrap_or(&self.data)
    }
}

pub fn load(
    ws: &Workspace,
    site: &Site,
    opts: &BuildOptions,
    phase: &mut Phases<'_>,
) -> Result<Loaded> {
    let images = Arc::new(image_queue(ws, site, opts)?);
    let strings = Arc::new(Strings::load(site, opts.strict)?);
    let content = content_pages(site, opts, &images, ws.config.templates.max_fuel)?;
    let pages = Arc::new(content.pages);
    phase.done(&format!(
        "content: {} markdown pages{}",
        pages.len(),
        match content.next_change {
            Some(at) => format!(", next scheduled change {}", crate::clock::format(at)),
            None => String::new(),
        }
    ));
    let mut data = match &opts.data {
        Some(d) => (**d).clone(),
        None => platform::load(ws, site, opts.fetch)?,
    };
    let data_digest = data.digest();
    let raw = Arc::new(data.clone());
    crate::pages::legs::assign_urls(&mut data);
    // The output changes by the clock alone when a tour leg becomes past
    // or a scheduled page goes live or expires: whichever comes first.
    let next_change = [
        crate::pages::legs::mark_past(&mut data, opts.now()),
        content.next_change,
    ]
    .into_iter()
    .flatten()
    .min();
    let languages = &site.languages;
    let chain = |lang| -> Vec<&str> { languages.chain(lang).map(|l| l.code.as_str()).collect() };
    let translated = languages
        .iter()
        .filter(|l| *l != languages.default_language())
        .map(|l| (l.code.clone(), data.localized(&chain(l))))
        .collect();
    let data = data.localized(&chain(languages.default_language()));
    phase.done(&format!(
        "platform data: {} public profiles, {} tours{}",
        data.profiles.len(),
        data.tours.len(),
        if data.stale.is_empty() {
            ""
        } else {
            " (STALE cache)"
        }
    ));
    let assets = assets::build(site, &ws.config.css.browserslist)?;
    phase.done(&format!(
        "css, static files and icons: {} files",
        assets.files.len()
    ));
    let cards = assets.brand.clone().and_then(|brand| {
        Cards::new(
            brand,
            site.base_url(),
            Some(ws.root.join(".sitegen/cache/cards")),
        )
    });
    let social = match &site.config.seo.social_image {
        Some(file) => {
            Some(images.social(&site.roots.site.check(&site.site_dir.join(file.as_str()))?)?)
        }
        None => None,
    };
    let default = &site.languages.default_language().code;
    if !pages.iter().any(|p| p.is_home() && &p.lang == default) {
        return Err(Error::content("the site has no home page")
            .at(Location::file(site.content_dir.join("_index.md")))
            .hint("create content/<domain>/_index.md with a title"));
    }
    Ok(Loaded {
        pages,
        data,
        raw,
        translated,
        data_digest,
        next_change,
        assets,
        images,
        social,
        cards: cards.map(Arc::new),
        strings,
    })
}

fn image_queue(ws: &Workspace, site: &Site, opts: &BuildOptions) -> Result<ImageQueue> {
    let watermark = match &site.config.images.watermark {
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
    };
    ImageQueue::new(
        ws.config.images.clone(),
        ws.root.join(".sitegen/cache/images"),
        watermark,
        opts.strict,
    )
}

/// The site's content pages, their markdown images requested from `images`;
/// an incremental build parses only the files that changed.
fn content_pages(
    site: &Site,
    opts: &BuildOptions,
    images: &ImageQueue,
    max_fuel: u64,
) -> Result<content::Loaded> {
    // Paths stay as the workspace names them (relative to it when it is the
    // working directory), so errors show `content/<domain>/…`.
    let content_root = &site.content_dir;
    let resolver =
        |file: &Path, dest: &str, alt: &str, first: bool, line: usize| -> Result<String> {
            let path = resolve_source(
                &site.roots.content,
                file.parent().unwrap_or(content_root),
                dest,
            )
            .map_err(|e| match e.location {
                Some(_) => e,
                None => e.at(Location::file(file).line(line)),
            })?;
            if alt.is_empty() {
                images.missing_alt(
                    format!("{}:{line}: image {dest} has no alt text", file.display()),
                    Some(Location::file(file).line(line)),
                )?;
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
    let sel = content::Selection {
        drafts: opts.drafts,
        future: opts.future,
        now: opts.now(),
    };
    let shortcodes = content::shortcodes::Shortcodes::new(site, max_fuel);
    let hooks = content::Hooks {
        images: &resolver,
        shortcodes: &shortcodes,
    };
    match &opts.incremental {
        Some(inc) => content::load_reusing(
            &site.roots.content,
            &site.languages,
            &sel,
            &hooks,
            Some((&inc.previous.source_pages, &inc.sources)),
        ),
        None => content::load(&site.roots.content, &site.languages, &sel, &hooks),
    }
}
