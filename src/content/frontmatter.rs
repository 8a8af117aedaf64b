//! Front matter: the YAML block between `---` lines at the top of a content
//! file. Errors are reported at the line in the content file, not the block.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use crate::config::yaml;
use crate::error::{Error, ErrorKind, Location, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Replaces the last URL segment (file or folder name).
    #[serde(default)]
    pub slug: Option<PageSlug>,
    /// Lower weights sort first in section listings and menus.
    #[serde(default)]
    pub weight: i64,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub date: Option<PageDate>,
    /// When the page goes live (default: `date`): before it, builds leave
    /// the page out unless `--future`, and the manifest records the instant.
    #[serde(default)]
    pub publish_date: Option<PageDate>,
    /// When the page is taken down: from then on builds leave it out.
    #[serde(default)]
    pub expiry_date: Option<PageDate>,
    /// Template to render with instead of the default (`page.html`, `section.html`).
    #[serde(default)]
    pub template: Option<TemplateName>,
    /// Social (OpenGraph) image for this page, relative to the content folder.
    #[serde(default)]
    pub image: Option<crate::config::RelPath>,
    /// Tags: each gets a page at `/tags/<slug>/` listing the pages that carry it.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Old paths of the page: each redirects (301) to it from the web server.
    #[serde(default)]
    pub aliases: Vec<crate::config::RedirectPath>,
    /// `false` keeps the page out of sitemap.xml.
    #[serde(default = "yes")]
    pub sitemap: bool,
    /// Links translations whose paths differ (multilingual sites): pages
    /// with the same key are one page in several languages.
    #[serde(default)]
    pub translation_key: Option<String>,
    /// Free-form data for templates (`page.extra.*`).
    #[serde(default)]
    pub extra: BTreeMap<String, yaml::Value>,
}

fn yes() -> bool {
    true
}

/// A publication date: `YYYY-MM-DD` or an RFC 3339 date-time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PageDate(pub String);

impl<'de> Deserialize<'de> for PageDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        // The parser hands unquoted dates over as text.
        let s = String::deserialize(d)?;
        let date_only = time::macros::format_description!("[year]-[month]-[day]");
        let ok = time::Date::parse(&s, &date_only).is_ok()
            || time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
                .is_ok();
        if ok {
            Ok(PageDate(s))
        } else {
            Err(serde::de::Error::custom(format!(
                "{s:?} is not a date (use YYYY-MM-DD or 2026-03-14T18:00:00Z)"
            )))
        }
    }
}

impl PageDate {
    /// The instant it names: a date alone is its start, 00:00 UTC.
    pub fn instant(&self) -> Option<time::OffsetDateTime> {
        crate::clock::parse(&self.0).ok()
    }

    /// The `YYYY-MM-DD` part, for sitemaps.
    pub fn day(&self) -> &str {
        &self.0[..10.min(self.0.len())]
    }
}

/// A tag as written (`Open studio`) and its URL segment (`open-studio`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub name: String,
    pub slug: String,
}

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?.trim().to_string();
        let slug = crate::text::slugify(&name);
        if slug.is_empty() || name.chars().count() > 100 {
            return Err(serde::de::Error::custom(format!(
                "tag {name:?} needs letters or digits (at most 100 characters): \
                 its page is /tags/<tag as a slug>/"
            )));
        }
        Ok(Tag { name, slug })
    }
}

/// A URL segment chosen by the author. Anything that could leave the
/// site's output folder is refused at parse time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PageSlug(pub String);

impl<'de> Deserialize<'de> for PageSlug {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if crate::text::is_safe_segment(&s) {
            Ok(PageSlug(s))
        } else {
            Err(serde::de::Error::custom(format!(
                "slug {s:?} would escape the site's output folder or is not a plain URL segment \
                 (use lowercase letters, digits, hyphens; no / or ..)"
            )))
        }
    }
}

/// A template name from front matter: relative, no `..`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TemplateName(pub String);

impl<'de> Deserialize<'de> for TemplateName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if crate::text::is_safe_template_name(&s) {
            Ok(TemplateName(s))
        } else {
            Err(serde::de::Error::custom(format!(
                "template {s:?} is not a template name (e.g. page.html; no .. or leading /)"
            )))
        }
    }
}

/// Splits `text` into front matter and body and parses the front matter.
/// Returns the body and the 1-based line where it starts.
pub fn split<'a>(path: &Path, text: &'a str) -> Result<(FrontMatter, &'a str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let missing = || {
        Error::content("missing front matter")
            .at(Location::file(path).line(1))
            .hint("start the file with a --- line, a YAML block with at least `title:`, and another --- line")
    };
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .ok_or_else(missing)?;
    let (yaml_text, body) = find_closing(rest).ok_or_else(|| {
        Error::content("front matter is not closed")
            .at(Location::file(path).line(1))
            .hint("add a line with --- after the front matter")
    })?;
    // The block starts on the file's second line, below the opening ---.
    let mut fm: FrontMatter =
        yaml::parse_at(path, yaml_text, 1, ErrorKind::Content).map_err(|mut e| {
            if let Some(loc) = e.location.as_mut() {
                loc.line = Some(loc.line.unwrap_or(1));
            }
            if e.message.contains("missing field `title`") {
                e = e.hint("every page needs a title: add `title: ...` to the front matter");
            }
            e
        })?;
    // `[Rust, rust]` is one tag: keep the first spelling, once.
    let mut seen = std::collections::HashSet::new();
    fm.tags.retain(|t| seen.insert(t.slug.clone()));
    Ok((fm, body))
}

/// The 1-based line, in the content file `text`, of the front matter key
/// `key` (`slug`, `template`), for errors found after parsing.
pub fn key_line(text: &str, key: &str) -> Option<usize> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let (yaml_text, _) = find_closing(rest)?;
    // The block starts on the file's second line.
    yaml::Positions::of(yaml_text).line(key).map(|l| l + 1)
}

fn find_closing(rest: &str) -> Option<(&str, &str)> {
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_parses() {
        let (fm, body) = split(
            Path::new("a.md"),
            "---\ntitle: Hi\ndate: 2026-01-02\nweight: 3\n---\n# Body\n",
        )
        .unwrap();
        assert_eq!(fm.title, "Hi");
        assert_eq!(fm.weight, 3);
        assert_eq!(fm.date.unwrap().day(), "2026-01-02");
        assert_eq!(body, "# Body\n");
    }

    #[test]
    fn errors_point_at_file_lines() {
        let err = split(Path::new("a.md"), "---\ntitle: Hi\ncolour: red\n---\n").unwrap_err();
        assert_eq!(err.location.as_ref().unwrap().line, Some(3));
        let err = split(Path::new("a.md"), "---\ntitle: Hi\nslug: ../../etc\n---\n").unwrap_err();
        assert!(err.message.contains("escape"), "{err}");
        assert_eq!(err.location.as_ref().unwrap().line, Some(3));
        let err = split(
            Path::new("a.md"),
            "---\ntitle: Hi\ntags: [ok, \"!!\"]\n---\n",
        )
        .unwrap_err();
        assert!(err.message.contains("needs letters or digits"), "{err}");
        assert_eq!(err.location.as_ref().unwrap().line, Some(3));
        let (fm, _) = split(
            Path::new("a.md"),
            "---\ntitle: Hi\ntags: [Open Studio, café]\n---\n",
        )
        .unwrap();
        let slugs: Vec<&str> = fm.tags.iter().map(|t| t.slug.as_str()).collect();
        assert_eq!(slugs, ["open-studio", "cafe"]);
        let (fm, _) = split(
            Path::new("a.md"),
            "---\ntitle: Hi\ntags: [Rust, rust, Go]\n---\n",
        )
        .unwrap();
        let names: Vec<&str> = fm.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["Rust", "Go"],
            "repeats dropped, first spelling kept"
        );
        let err = split(Path::new("a.md"), "no front matter").unwrap_err();
        assert!(err.message.contains("missing front matter"));
    }
}
