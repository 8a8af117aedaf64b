//! Incremental builds (`serve`): what a batch of edits means for one site
//! (`ChangeSet`: how much to build again, which files changed), and which
//! content pages must render again (`Incremental`). Everything else is
//! taken from the previous bundle. `serve` decides when to rebuild; this
//! module decides what.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::bundle::Bundle;
use crate::config::Site;
use crate::content::Page;
use crate::listing;

/// What a batch of changed files means for one site, least to most work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Only the theme's stylesheets.
    Css,
    /// Content or templates: render what they touch again.
    Pages,
    /// Config, static files, images: build the site again (with the session's data).
    Rebuild,
    /// The tenant's snapshot changed: load platform data again too.
    Data,
}

/// The rebuild one site needs: the largest change of a batch and the files
/// an incremental build needs to know about.
#[derive(Debug, Clone)]
pub struct ChangeSet {
    pub change: Change,
    /// Markdown files that changed.
    pub sources: BTreeSet<PathBuf>,
    /// Templates that changed, by name (`page.html`).
    pub templates: BTreeSet<String>,
    /// A template other templates use (base, partials) changed.
    pub all_templates: bool,
}

impl ChangeSet {
    pub fn new(change: Change) -> ChangeSet {
        ChangeSet {
            change,
            sources: BTreeSet::new(),
            templates: BTreeSet::new(),
            all_templates: false,
        }
    }

    /// Widens the set to cover `change` too.
    pub fn add(&mut self, change: Change) {
        self.change = self.change.max(change);
    }

    /// `template` (its path inside a templates folder) of `site`'s lookup
    /// chain changed: only the pages using it render again, unless other
    /// templates use it (base, partials, anything extended, included or
    /// imported), which can touch any page.
    pub fn template(&mut self, site: &Site, template: String) {
        if template.contains('/')
            || template == "base.html"
            || is_used_by_other_templates(site, &template)
        {
            self.all_templates = true;
        } else {
            self.templates.insert(template);
        }
    }

    /// The incremental build these changes allow on top of `previous` (the
    /// last good bundle); None when the site must be built whole.
    pub fn incremental(&self, previous: Option<Arc<Bundle>>) -> Option<Incremental> {
        match (self.change, previous) {
            (Change::Pages, Some(previous)) => Some(Incremental {
                previous,
                sources: self.sources.clone(),
                templates: self.templates.clone(),
                all_templates: self.all_templates,
                records: None,
            }),
            _ => None,
        }
    }
}

/// Whether any template of the site's lookup chain names `template`
/// (extends, include, import): then a change to it can touch any page.
fn is_used_by_other_templates(site: &Site, template: &str) -> bool {
    let quoted = [format!("\"{template}\""), format!("'{template}'")];
    [
        site.site_dir.join("templates"),
        site.theme_dir.join("templates"),
        site.kind_dir.clone(),
        site.base_dir.clone(),
    ]
    .iter()
    .filter(|d| d.is_dir())
    .flat_map(|d| walkdir::WalkDir::new(d).into_iter().flatten())
    .filter(|e| e.file_type().is_file())
    .any(|e| {
        std::fs::read_to_string(e.path())
            .is_ok_and(|text| quoted.iter().any(|q| text.contains(q.as_str())))
    })
}

/// What changed since `previous` was built, for an incremental rebuild.
#[derive(Debug, Clone)]
pub struct Incremental {
    pub previous: Arc<Bundle>,
    /// Content files that changed (as the workspace names them: `content/<domain>/about.md`).
    pub sources: BTreeSet<PathBuf>,
    /// Template file names that changed (`page.html`); partials and the base
    /// template affect every page, so they are given as `all_templates`.
    pub templates: BTreeSet<String>,
    pub all_templates: bool,
    /// Platform records that changed (`Shows::keys`: `members`,
    /// `member:<id>`…), for the edge: the routes showing one render again.
    pub records: Option<BTreeSet<String>>,
}

impl Incremental {
    /// For the edge: the same sources as `previous`, new platform data in
    /// which the `changed` records differ.
    pub fn records(previous: Arc<Bundle>, changed: BTreeSet<String>) -> Incremental {
        Incremental {
            previous,
            sources: BTreeSet::new(),
            templates: BTreeSet::new(),
            all_templates: false,
            records: Some(changed),
        }
    }

    /// The content pages to render again: those whose file or template
    /// changed. None when another page may show the change, so everything
    /// renders: a page added or removed, or an edit to what listings show of
    /// a page (title, date, tags… — `listing::Summary`). A body-only edit, the
    /// usual copy edit, renders one page.
    pub(crate) fn dirty(&self, pages: &[Page], templates: &[&str]) -> Option<HashSet<String>> {
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
