//! Listings: what pages say about other pages. Section order, prev/next
//! neighbours, tags and their term pages, pagination, and the latest dated
//! pages. Pure functions over the loaded pages; build.rs turns them into
//! render jobs and template values.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use minijinja::value::Value;
use serde::Serialize;

use crate::content::Page;

/// One tag and the pages that carry it, newest first.
#[derive(Debug)]
pub struct Term<'a> {
    /// The home URL of its language (`/`, `/en/`): its pages are under it.
    pub root: String,
    /// As the first page (in file order) that uses it spells it.
    pub name: &'a str,
    pub slug: String,
    pub pages: Vec<&'a Page>,
}

impl Term<'_> {
    pub fn url(&self) -> String {
        format!("{}tags/{}/", self.root, self.slug)
    }
}

/// A tag as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagRef {
    pub name: String,
    pub slug: String,
    pub url: String,
}

/// What a listing shows of a page. Everything a template can learn about a
/// page other than its own is here: if none of it changes, no other page does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub url: &'a str,
    pub date: Option<&'a str>,
    pub weight: i64,
    pub is_section: bool,
    pub tags: Vec<TagRef>,
    pub extra: &'a BTreeMap<String, crate::config::yaml::Value>,
}

/// The tags of a page, in the order written (front matter parsing already
/// dropped repeats).
pub fn tag_refs(page: &Page) -> Vec<TagRef> {
    page.front
        .tags
        .iter()
        .map(|tag| TagRef {
            name: tag.name.clone(),
            slug: tag.slug.clone(),
            url: format!("{}tags/{}/", page.root, tag.slug),
        })
        .collect()
}

pub fn summary(page: &Page) -> Summary<'_> {
    Summary {
        title: &page.front.title,
        description: page.front.description.as_deref(),
        url: &page.url,
        date: page.front.date.as_ref().map(|d| d.0.as_str()),
        weight: page.front.weight,
        is_section: page.is_section,
        tags: tag_refs(page),
        extra: &page.front.extra,
    }
}

/// Every listing of the site, computed once per build.
pub struct Listings<'a> {
    /// Section URL → its children (pages and subsections), by weight, then
    /// newest first, then title.
    pub sections: BTreeMap<&'a str, Vec<&'a Page>>,
    /// Tags by slug.
    pub terms: Vec<Term<'a>>,
    /// Dated pages (not sections), newest first.
    pub latest: Vec<&'a Page>,
    /// Page URL → (previous, next) among the regular pages of its section.
    pub neighbours: HashMap<&'a str, (Option<&'a Page>, Option<&'a Page>)>,
}

impl<'a> Listings<'a> {
    pub fn new(pages: &'a [Page]) -> Self {
        let mut sections: BTreeMap<&str, Vec<&Page>> = BTreeMap::new();
        for p in pages.iter().filter(|p| p.is_section) {
            sections.entry(&p.url).or_default();
        }
        for p in pages.iter().filter(|p| !p.is_404()) {
            if let Some(list) = p.parent.as_deref().and_then(|u| sections.get_mut(u)) {
                list.push(p);
            }
        }
        for list in sections.values_mut() {
            list.sort_by(|a, b| {
                a.front
                    .weight
                    .cmp(&b.front.weight)
                    .then_with(|| b.front.date.cmp(&a.front.date))
                    .then_with(|| a.front.title.cmp(&b.front.title))
                    .then_with(|| a.url.cmp(&b.url))
            });
        }
        let mut neighbours = HashMap::new();
        for list in sections.values() {
            let regular: Vec<&Page> = list.iter().copied().filter(|p| !p.is_section).collect();
            for (i, p) in regular.iter().enumerate() {
                let prev = i.checked_sub(1).map(|j| regular[j]);
                neighbours.insert(p.url.as_str(), (prev, regular.get(i + 1).copied()));
            }
        }

        // Tags are per language: `/tags/rust/` and `/en/tags/rust/`.
        let mut by_slug: BTreeMap<(&str, &str), Term<'a>> = BTreeMap::new();
        for p in pages.iter().filter(|p| !p.is_404()) {
            for tag in &p.front.tags {
                by_slug
                    .entry((&p.root, &tag.slug))
                    .or_insert_with(|| Term {
                        root: p.root.clone(),
                        name: &tag.name,
                        slug: tag.slug.clone(),
                        pages: Vec::new(),
                    })
                    .pages
                    .push(p);
            }
        }
        let mut terms: Vec<Term<'a>> = by_slug.into_values().collect();
        for t in &mut terms {
            t.pages.sort_by(newest_first);
        }

        let mut latest: Vec<&Page> = pages
            .iter()
            .filter(|p| !p.is_section && !p.is_404() && p.front.date.is_some())
            .collect();
        latest.sort_by(newest_first);
        Listings {
            sections,
            terms,
            latest,
            neighbours,
        }
    }
}

/// Newest first, then by title and URL (a stable order for equal dates).
pub fn newest_first(a: &&Page, b: &&Page) -> std::cmp::Ordering {
    b.front
        .date
        .cmp(&a.front.date)
        .then_with(|| a.front.title.cmp(&b.front.title))
        .then_with(|| a.url.cmp(&b.url))
}

/// One page of a paginated listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    /// 1-based.
    pub number: usize,
    /// `/news/` for the first, `/news/page/2/` after.
    pub url: String,
    /// Bundle path: `news/index.html`, `news/page/2/index.html`.
    pub output: String,
    /// Which items of the whole listing it shows.
    pub items: Range<usize>,
}

/// Splits `count` items listed at `url` into pages of `per_page` (0: one
/// page with everything). There is always at least one page, maybe empty.
pub fn paginate(url: &str, count: usize, per_page: usize) -> Vec<Pager> {
    let per_page = if per_page == 0 {
        count.max(1)
    } else {
        per_page
    };
    let total = count.div_ceil(per_page).max(1);
    (1..=total)
        .map(|number| {
            let url = if number == 1 {
                url.to_string()
            } else {
                format!("{url}page/{number}/")
            };
            Pager {
                number,
                output: format!("{}index.html", &url[1..]),
                url,
                items: (number - 1) * per_page..(number * per_page).min(count),
            }
        })
        .collect()
}

/// The `paginator` a listing template sees: this page's items and links to
/// the others.
pub fn paginator_value(pagers: &[Pager], index: usize, all_items: &[Value]) -> Value {
    let this = &pagers[index];
    let link = |i: Option<usize>| -> Value {
        i.and_then(|i| pagers.get(i))
            .map_or(Value::from(()), |p| Value::from(p.url.as_str()))
    };
    let pages: Vec<Value> = pagers
        .iter()
        .map(|p| {
            Value::from_iter([
                ("number", Value::from(p.number)),
                ("url", Value::from(p.url.as_str())),
            ])
        })
        .collect();
    Value::from_iter([
        ("items", Value::from(all_items[this.items.clone()].to_vec())),
        ("number", Value::from(this.number)),
        ("total_pages", Value::from(pagers.len())),
        ("total_items", Value::from(all_items.len())),
        ("first", link(Some(0))),
        ("last", link(Some(pagers.len() - 1))),
        ("previous", link(index.checked_sub(1))),
        ("next", link(Some(index + 1))),
        ("pages", Value::from(pages)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_covers_every_item_once() {
        for (count, per_page, expect) in [
            (0, 20, 1),
            (1, 20, 1),
            (20, 20, 1),
            (21, 20, 2),
            (45, 20, 3),
            (45, 0, 1),
        ] {
            let pagers = paginate("/news/", count, per_page);
            assert_eq!(pagers.len(), expect, "{count} by {per_page}");
            let covered: Vec<usize> = pagers.iter().flat_map(|p| p.items.clone()).collect();
            assert_eq!(covered, (0..count).collect::<Vec<_>>());
        }
        let pagers = paginate("/news/", 45, 20);
        assert_eq!(pagers[0].url, "/news/");
        assert_eq!(pagers[0].output, "news/index.html");
        assert_eq!(pagers[2].url, "/news/page/3/");
        assert_eq!(pagers[2].output, "news/page/3/index.html");
        assert_eq!(pagers[2].items, 40..45);
    }

    #[test]
    fn paginator_links() {
        let pagers = paginate("/tags/rust/", 5, 2);
        let items: Vec<Value> = (0..5).map(Value::from).collect();
        let v = paginator_value(&pagers, 1, &items);
        let get = |k: &str| v.get_attr(k).unwrap();
        assert_eq!(get("number"), Value::from(2));
        assert_eq!(get("total_pages"), Value::from(3));
        assert_eq!(get("previous"), Value::from("/tags/rust/"));
        assert_eq!(get("next"), Value::from("/tags/rust/page/3/"));
        assert_eq!(get("items").len(), Some(2));
        let last = paginator_value(&pagers, 2, &items);
        assert!(last.get_attr("next").unwrap().is_none());
        assert_eq!(last.get_attr("items").unwrap().len(), Some(1));
    }
}
