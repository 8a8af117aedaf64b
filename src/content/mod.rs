//! Content: walks `content/<domain>/`, splits front matter, renders markdown
//! and assigns each page its URL. Reads only the site's own content folder;
//! knows nothing of templates or output.

pub mod frontmatter;
pub mod markdown;
pub mod shortcodes;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::Languages;
use crate::fsutil::Root;

pub use frontmatter::{FrontMatter, PageDate};

use crate::text::is_safe_segment;
pub use markdown::Heading;

use crate::error::{Error, Location, Result};
use crate::fsutil;

/// One content file, rendered.
#[derive(Debug, Clone)]
pub struct Page {
    /// The markdown file.
    pub source: PathBuf,
    /// Path relative to the content folder, with `/` separators.
    pub rel: String,
    /// Site-relative URL: `/`, `/about/`, `/news/opening/`, `/404.html`.
    pub url: String,
    /// Output path inside the bundle: `index.html`, `about/index.html`.
    pub output: String,
    /// An `_index.md`: the page of a folder (section).
    pub is_section: bool,
    /// URL of the section this page belongs to (`/` for top-level pages);
    /// for a section, its parent section. None for the home page.
    pub parent: Option<String>,
    pub front: FrontMatter,
    /// Rendered HTML body.
    pub content: String,
    pub toc: Vec<Heading>,
    /// Line of the `template:` key, for errors about it.
    pub template_line: Option<usize>,
    /// Its language's code (the site's only language on a single-language site).
    pub lang: String,
    /// What links it to its translations: `translation_key:`, else its path
    /// without the language suffix (`about.md`, `news/_index.md`).
    pub key: String,
    /// Its language's home URL, where its generated pages (tags) live: `/`, `/en/`.
    pub root: String,
    /// Folder names from the content root to the file's folder.
    folders: Vec<String>,
    /// Its own last URL segment (`slug:` or the file name); None for a section.
    name: Option<String>,
}

impl Page {
    /// A home page: `_index.md` at the top (`/`, or `/en/` for another language).
    pub fn is_home(&self) -> bool {
        self.is_section && self.folders.is_empty()
    }

    /// A `404.md` at the top: the page nginx shows for missing URLs.
    pub fn is_404(&self) -> bool {
        self.folders.is_empty() && self.name.as_deref() == Some("404")
    }
}

/// Which pages a build takes: drafts only when asked, and pages by their
/// schedule (`publish_date` or `date`, `expiry_date`) at the build's instant.
#[derive(Debug, Clone, Copy)]
pub struct Selection {
    pub drafts: bool,
    /// Take pages whose publication instant is still to come (`--future`).
    pub future: bool,
    pub now: time::OffsetDateTime,
}

/// The pages a build takes, and the next instant at which that changes (a
/// scheduled page goes live or one expires), for `Bundle::next_change`.
#[derive(Debug, Default)]
pub struct Loaded {
    pub pages: Vec<Page>,
    pub next_change: Option<time::OffsetDateTime>,
}

/// Whether a page with front matter `front` is taken at `sel`, and the next
/// instant at which that answer changes.
pub fn scheduled(front: &FrontMatter, sel: &Selection) -> (bool, Option<time::OffsetDateTime>) {
    if front.draft && !sel.drafts {
        return (false, None);
    }
    let publish = front
        .publish_date
        .as_ref()
        .or(front.date.as_ref())
        .and_then(PageDate::instant);
    let expiry = front.expiry_date.as_ref().and_then(PageDate::instant);
    if expiry.is_some_and(|e| e <= sel.now) {
        return (false, None);
    }
    match publish {
        Some(p) if p > sel.now && !sel.future => (false, Some(p)),
        _ => (true, expiry),
    }
}

/// Loads every page under `dir` that `sel` takes.
/// Files and folders starting with `.` or `_` (other than `_index.md`) are skipped.
pub fn load(
    root: &Root,
    languages: &Languages,
    sel: &Selection,
    hooks: &Hooks<'_>,
) -> Result<Loaded> {
    load_reusing(root, languages, sel, hooks, None)
}

/// What rendering markdown calls out to: the image pipeline and the
/// shortcode templates.
pub struct Hooks<'a> {
    pub images: &'a ImageResolver<'a>,
    pub shortcodes: &'a shortcodes::Shortcodes,
}

/// Like `load`, but pages of files not in `changed` are taken from
/// `previous` instead of being parsed again (the preview server's rebuilds).
pub fn load_reusing(
    root: &Root,
    languages: &Languages,
    sel: &Selection,
    hooks: &Hooks<'_>,
    reuse: Option<(&[Page], &std::collections::BTreeSet<std::path::PathBuf>)>,
) -> Result<Loaded> {
    let dir = root.shown();
    if !dir.is_dir() {
        return Err(
            Error::content(format!("content folder {} does not exist", dir.display()))
                .hint("create it with an _index.md for the home page"),
        );
    }
    let mut files = Vec::new();
    let walker = WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let is_index = |name: &str| {
                name == "_index.md"
                    || (languages.is_multilingual()
                        && name.starts_with("_index.")
                        && name.ends_with(".md"))
            };
            let name = e.file_name().to_string_lossy();
            e.depth() == 0
                || !(name.starts_with('.') || (name.starts_with('_') && !is_index(&name)))
        });
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            Error::io(&path, "walk content", e.into())
        })?;
        // A link is followed only if it stays inside the content folder;
        // one that leads out fails the build (a pull request can carry one).
        if entry.path_is_symlink() {
            root.check(entry.path())?;
        }
        let is_file =
            entry.file_type().is_file() || (entry.path_is_symlink() && entry.path().is_file());
        if is_file && entry.path().extension().is_some_and(|x| x == "md") {
            files.push(entry.into_path());
        }
    }
    let index: Option<std::collections::HashMap<&Path, &Page>> =
        reuse.map(|(previous, _)| previous.iter().map(|p| (p.source.as_path(), p)).collect());
    let pages: Vec<(Option<Page>, Option<time::OffsetDateTime>)> = files
        .par_iter()
        .map(|path| {
            if let (Some((_, changed)), Some(index)) = (reuse, &index) {
                if !changed.contains(path) {
                    if let Some(page) = index.get(path.as_path()) {
                        // Taken before; the schedule is asked again, as
                        // time has passed since.
                        let (taken, next) = scheduled(&page.front, sel);
                        return Ok((taken.then(|| (*page).clone()), next));
                    }
                }
            }
            load_page(dir, path, languages, sel, hooks)
        })
        .collect::<Result<_>>()?;
    let next_change = pages.iter().filter_map(|(_, next)| *next).min();
    let mut pages: Vec<Page> = pages.into_iter().filter_map(|(p, _)| p).collect();
    assign_urls(&mut pages, languages);
    Ok(Loaded { pages, next_change })
}

/// Turns an image reference in a content file into HTML:
/// (content file, destination, alt text, is it the page's first image).
/// The last argument is the image's 1-based line in the content file.
pub type ImageResolver<'r> = dyn Fn(&Path, &str, &str, bool, usize) -> Result<String> + Sync + 'r;

fn load_page(
    dir: &Path,
    path: &Path,
    languages: &Languages,
    sel: &Selection,
    hooks: &Hooks<'_>,
) -> Result<(Option<Page>, Option<time::OffsetDateTime>)> {
    let text = fsutil::read_to_string(path)?;
    let (front, body) = frontmatter::split(path, &text)?;
    let publish = front.publish_date.as_ref().or(front.date.as_ref());
    if let (Some(publish), Some(expiry)) = (publish, &front.expiry_date) {
        if expiry.instant() <= publish.instant() {
            let line = frontmatter::key_line(&text, "expiry_date").unwrap_or(1);
            let from = if front.publish_date.is_some() {
                "publish_date"
            } else {
                "date"
            };
            return Err(Error::content(format!(
                "{} is not after {from} {}: the page would never be published",
                expiry.0, publish.0
            ))
            .at(Location::file(path).line(line).key("expiry_date"))
            .hint("take the page down after it goes live, or remove expiry_date"));
        }
    }
    // Before the markdown is rendered: a page not taken queues no images,
    // so nothing of a scheduled page is published before it goes live.
    let (taken, next) = scheduled(&front, sel);
    if !taken {
        return Ok((None, next));
    }
    let rel_path = path.strip_prefix(dir).expect("walked inside dir");
    let mut folders: Vec<String> = rel_path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    let rel = folders.join("/");
    let file = folders.pop().expect("a file name");
    let stem = file.strip_suffix(".md").unwrap_or(&file);
    let (base, lang) = languages.split_suffix(stem).map_err(|code| {
        let codes: Vec<&str> = languages.iter().map(|l| l.code.as_str()).collect();
        Error::content(format!(
            "{code:?} in {file} is not one of the site's languages ({})",
            codes.join(", ")
        ))
        .at(Location::file(path).line(1))
        .hint("name the file after a language in i18n.languages of site.yaml, or add the language there")
    })?;
    let is_section = base == "_index";
    let mut name = (!is_section).then(|| base.to_string());
    for seg in folders.iter().chain(name.as_ref()) {
        if !is_safe_segment(seg) {
            return Err(Error::content(format!(
                "{seg:?} cannot be part of a URL: use lowercase letters, digits, hyphens"
            ))
            .at(Location::file(path))
            .hint("rename the file or folder, or set `slug:` in the front matter"));
        }
    }
    if let Some(slug) = &front.slug {
        if is_section && !languages.is_multilingual() {
            // A section's URL is the prefix of all its pages: the folder name decides it.
            let line = frontmatter::key_line(&text, "slug").unwrap_or(1);
            return Err(Error::content("an _index.md cannot set a slug")
                .at(Location::file(path).line(line).key("slug"))
                .hint("rename the folder to change the section's URL"));
        }
        if is_section && folders.is_empty() {
            let line = frontmatter::key_line(&text, "slug").unwrap_or(1);
            return Err(Error::content("a home page cannot set a slug")
                .at(Location::file(path).line(line).key("slug"))
                .hint("a language's home is at its URL prefix (i18n.languages[].prefix)"));
        }
        if !is_section {
            name = Some(slug.0.clone());
        }
    }
    if let Some(image) = &front.image {
        // Named before anything reads it: at the front matter's line (it
        // was the file system's words about the image's path).
        let file = dir.join(image.as_str());
        if std::fs::symlink_metadata(&file).is_err() {
            let line = frontmatter::key_line(&text, "image").unwrap_or(1);
            return Err(
                Error::content(format!("image {:?} does not exist", image.as_str()))
                    .at(Location::file(path).line(line).key("image"))
                    .hint(format!(
                        "`image:` is relative to the site's content folder ({}), not to the page",
                        dir.display()
                    )),
            );
        }
    }
    let key = match &front.translation_key {
        Some(k) => k.clone(),
        None => {
            let own = if is_section { "_index" } else { base };
            let mut parts = folders.clone();
            parts.push(format!("{own}.md"));
            parts.join("/")
        }
    };
    let lang = lang.code.clone();
    // Lines of the body are below the front matter's in the file.
    let above = text.len().saturating_sub(body.len());
    let offset = text[..above].matches('\n').count();
    let images = hooks.images;
    // A shortcode's body: its images are on the file's lines from `first`.
    let render_body = |markdown: &str, first: usize| -> Result<String> {
        let hook = |dest: &str, alt: &str, _: bool, line: usize| {
            images(path, dest, alt, false, first + line - 1)
        };
        markdown::render(markdown, &hook).map(|(html, _)| html)
    };
    let expanded = hooks.shortcodes.expand(body, path, offset, &render_body)?;
    let hook = |dest: &str, alt: &str, first: bool, line: usize| {
        images(path, dest, alt, first, offset + expanded.source_line(line))
    };
    let (content, toc) = markdown::render(&expanded.markdown, &hook)?;
    let content = expanded.finish(content);
    let template_line = front
        .template
        .as_ref()
        .and_then(|_| frontmatter::key_line(&text, "template"));
    Ok((
        Some(Page {
            source: path.to_path_buf(),
            rel,
            url: String::new(),
            output: String::new(),
            is_section,
            parent: None,
            front,
            content,
            toc,
            template_line,
            lang,
            key,
            root: String::new(),
            folders,
            name,
        }),
        next,
    ))
}

/// Gives every page its URL, bundle path and parent section. A folder's
/// URL segment in a language is the `slug:` of that language's `_index`
/// in it, else the folder name, so a translated section slug applies to
/// everything below it (`/actualites/…`, `/en/news/…`). Other languages
/// than the default are under their prefix, as a whole segment.
fn assign_urls(pages: &mut [Page], languages: &Languages) {
    use std::collections::HashMap;
    let section_slugs: HashMap<(String, String), String> = pages
        .iter()
        .filter(|p| p.is_section && !p.folders.is_empty())
        .filter_map(|p| {
            let slug = p.front.slug.as_ref()?;
            Some(((p.lang.clone(), p.folders.join("/")), slug.0.clone()))
        })
        .collect();
    for page in pages.iter_mut() {
        let lang = languages
            .get(&page.lang)
            .unwrap_or(languages.default_language());
        let segments: Vec<String> = (0..page.folders.len())
            .map(|i| {
                section_slugs
                    .get(&(page.lang.clone(), page.folders[..=i].join("/")))
                    .cloned()
                    .unwrap_or_else(|| page.folders[i].clone())
            })
            .collect();
        let path = |segs: &[String]| {
            if segs.is_empty() {
                "/".to_string()
            } else {
                format!("/{}/", segs.join("/"))
            }
        };
        let own: Vec<String> = segments.iter().cloned().chain(page.name.clone()).collect();
        let (url, output) = if page.is_404() {
            let url = languages.url(lang, "/404.html");
            let output = url.trim_start_matches('/').to_string();
            (url, output)
        } else {
            let url = languages.url(lang, &path(&own));
            let output = format!("{}index.html", url.trim_start_matches('/'));
            (url, output)
        };
        page.parent = if page.is_home() {
            None
        } else if page.is_section {
            // A section's parent is the folder above.
            Some(languages.url(lang, &path(&segments[..segments.len() - 1])))
        } else {
            // A page's section is its folder.
            Some(languages.url(lang, &path(&segments)))
        };
        page.url = url;
        page.output = output;
        page.root = languages.url(lang, "/");
    }
}
