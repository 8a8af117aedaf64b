//! Content: walks `content/<domain>/`, splits front matter, renders markdown
//! and assigns each page its URL. Reads only the site's own content folder;
//! knows nothing of templates or output.

pub mod frontmatter;
pub mod markdown;

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

/// Loads every page under `dir`. Drafts are left out unless `drafts`.
/// Files and folders starting with `.` or `_` (other than `_index.md`) are skipped.
pub fn load(
    root: &Root,
    languages: &Languages,
    drafts: bool,
    images: &ImageResolver<'_>,
) -> Result<Vec<Page>> {
    load_reusing(root, languages, drafts, images, None)
}

/// Like `load`, but pages of files not in `changed` are taken from
/// `previous` instead of being parsed again (the preview server's rebuilds).
pub fn load_reusing(
    root: &Root,
    languages: &Languages,
    drafts: bool,
    images: &ImageResolver<'_>,
    reuse: Option<(&[Page], &std::collections::BTreeSet<std::path::PathBuf>)>,
) -> Result<Vec<Page>> {
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
    let pages: Vec<Option<Page>> = files
        .par_iter()
        .map(|path| {
            if let (Some((_, changed)), Some(index)) = (reuse, &index) {
                if !changed.contains(path) {
                    if let Some(page) = index.get(path.as_path()) {
                        return Ok(Some((*page).clone()));
                    }
                }
            }
            load_page(dir, path, languages, drafts, images)
        })
        .collect::<Result<_>>()?;
    let mut pages: Vec<Page> = pages.into_iter().flatten().collect();
    assign_urls(&mut pages, languages);
    Ok(pages)
}

/// Turns an image reference in a content file into HTML:
/// (content file, destination, alt text, is it the page's first image).
pub type ImageResolver<'r> = dyn Fn(&Path, &str, &str, bool) -> Result<String> + Sync + 'r;

fn load_page(
    dir: &Path,
    path: &Path,
    languages: &Languages,
    drafts: bool,
    images: &ImageResolver<'_>,
) -> Result<Option<Page>> {
    let text = fsutil::read_to_string(path)?;
    let (front, body) = frontmatter::split(path, &text)?;
    if front.draft && !drafts {
        return Ok(None);
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
    let hook = |dest: &str, alt: &str, first: bool| images(path, dest, alt, first);
    let (content, toc) = markdown::render(body, &hook)?;
    let template_line = front
        .template
        .as_ref()
        .and_then(|_| frontmatter::key_line(&text, "template"));
    Ok(Some(Page {
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
    }))
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
