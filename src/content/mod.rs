//! Content: walks `content/<domain>/`, splits front matter, renders markdown
//! and assigns each page its URL. Reads only the site's own content folder;
//! knows nothing of templates or output.

pub mod frontmatter;
pub mod markdown;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

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
}

impl Page {
    pub fn is_home(&self) -> bool {
        self.url == "/"
    }

    pub fn is_404(&self) -> bool {
        self.url == "/404.html"
    }
}

/// Loads every page under `dir`. Drafts are left out unless `drafts`.
/// Files and folders starting with `.` or `_` (other than `_index.md`) are skipped.
pub fn load(root: &Root, drafts: bool, images: &ImageResolver<'_>) -> Result<Vec<Page>> {
    load_reusing(root, drafts, images, None)
}

/// Like `load`, but pages of files not in `changed` are taken from
/// `previous` instead of being parsed again (the preview server's rebuilds).
pub fn load_reusing(
    root: &Root,
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
            let name = e.file_name().to_string_lossy();
            e.depth() == 0
                || !(name.starts_with('.') || (name.starts_with('_') && name != "_index.md"))
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
            load_page(dir, path, drafts, images)
        })
        .collect::<Result<_>>()?;
    Ok(pages.into_iter().flatten().collect())
}

/// Turns an image reference in a content file into HTML:
/// (content file, destination, alt text, is it the page's first image).
pub type ImageResolver<'r> = dyn Fn(&Path, &str, &str, bool) -> Result<String> + Sync + 'r;

fn load_page(
    dir: &Path,
    path: &Path,
    drafts: bool,
    images: &ImageResolver<'_>,
) -> Result<Option<Page>> {
    let text = fsutil::read_to_string(path)?;
    let (front, body) = frontmatter::split(path, &text)?;
    if front.draft && !drafts {
        return Ok(None);
    }
    let rel_path = path.strip_prefix(dir).expect("walked inside dir");
    let mut segments: Vec<String> = Vec::new();
    for comp in rel_path.components() {
        let s = comp.as_os_str().to_string_lossy().to_string();
        segments.push(s);
    }
    let rel = segments.join("/");
    let file = segments.pop().expect("a file name");
    let is_section = file == "_index.md";
    if !is_section {
        segments.push(file.trim_end_matches(".md").to_string());
    }
    for seg in &segments {
        if !is_safe_segment(seg) {
            return Err(Error::content(format!(
                "{seg:?} cannot be part of a URL: use lowercase letters, digits, hyphens"
            ))
            .at(Location::file(path))
            .hint("rename the file or folder, or set `slug:` in the front matter"));
        }
    }
    if let Some(slug) = &front.slug {
        if is_section {
            // A section's URL is the prefix of all its pages: the folder name decides it.
            let line = crate::config::yaml::key_line(&text, "slug").unwrap_or(1);
            return Err(Error::content("an _index.md cannot set a slug")
                .at(Location::file(path).line(line).key("slug"))
                .hint("rename the folder to change the section's URL"));
        }
        if let Some(last) = segments.last_mut() {
            *last = slug.0.clone();
        }
    }
    let (url, output) = if !is_section && segments == ["404"] {
        ("/404.html".to_string(), "404.html".to_string())
    } else if segments.is_empty() {
        ("/".to_string(), "index.html".to_string())
    } else {
        let joined = segments.join("/");
        (format!("/{joined}/"), format!("{joined}/index.html"))
    };
    let parent = if segments.is_empty() {
        None
    } else {
        // A page's section is its folder; a section's parent is the folder above.
        let dir_segments = &segments[..segments.len() - 1];
        Some(if dir_segments.is_empty() {
            "/".to_string()
        } else {
            format!("/{}/", dir_segments.join("/"))
        })
    };
    let hook = |dest: &str, alt: &str, first: bool| images(path, dest, alt, first);
    let (content, toc) = markdown::render(body, &hook)?;
    let template_line = front
        .template
        .as_ref()
        .and_then(|_| crate::config::yaml::key_line(&text, "template"));
    Ok(Some(Page {
        source: path.to_path_buf(),
        rel,
        url,
        output,
        is_section,
        parent,
        front,
        content,
        toc,
        template_line,
    }))
}
