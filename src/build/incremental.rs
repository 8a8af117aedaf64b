//! Incremental builds (`serve`): what an edit touched, and which content
//! pages must render again. Everything else is taken from the previous
//! bundle.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::bundle::Bundle;
use crate::content::Page;
use crate::listing;

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
}

impl Incremental {
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
