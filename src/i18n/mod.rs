//! Interface strings and locale formats of a site, per language: the text
//! templates print with `t(key, count=…)` ("Read more", "Page 2 of 5",
//! "1 page" / "3 pages"), and dates and numbers as the language writes them
//! (`format_date`, `format_number`).
//!
//! Strings come from YAML string files, one per language code, read in this
//! order, later files overriding earlier ones key by key:
//! `templates/_base/i18n/<code>.yaml` → `templates/<kind>/i18n/<code>.yaml`
//! → `themes/<theme>/i18n/<code>.yaml` → `sites/<domain>/i18n/<code>.yaml`
//! (`strings.rs` parses one). Every read goes through the site's roots, so
//! a string file linked out of its folder is refused like any other read.
//! A key missing in a page's language is looked up along the language's
//! fallback chain (`config::Languages::chain`), with a warning (an error
//! under `--strict`); a key missing in the whole chain is an error.
//!
//! Plural categories, dates and numbers are ICU4X's, from CLDR
//! (`format.rs`). This module reads config and files; it knows nothing of
//! templates: `render` registers the template functions, `build` loads it
//! and collects its warnings.

pub mod format;
pub mod strings;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::Site;
use crate::error::{Error, Result};
use crate::fsutil::Root;
use format::{DateStyle, Formats};
use strings::Entry;

/// The strings and formats of every language of one site.
#[derive(Debug)]
pub struct Strings {
    langs: Vec<Lang>,
    default: usize,
    /// `--strict`: a string shown from a fallback language is an error.
    strict: bool,
    /// Suggested file for a missing key (`sites/<domain>/i18n/`).
    site_dir: PathBuf,
    warnings: Mutex<BTreeSet<String>>,
}

#[derive(Debug)]
struct Lang {
    code: String,
    /// Indices into `langs`: this language, its fallbacks, the default.
    chain: Vec<usize>,
    entries: BTreeMap<String, Entry>,
    formats: Formats,
}

/// A language of the site, as `Strings::language` resolves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LangId(usize);

impl Strings {
    /// Reads the string files of every language of `site` and makes their
    /// formatters. `strict`: a key shown from a fallback language fails.
    pub fn load(site: &Site, strict: bool) -> Result<Strings> {
        let r = &site.roots;
        let layers: [(PathBuf, &Root); 4] = [
            (site.base_dir.join("i18n"), &r.templates),
            (site.kind_dir.join("i18n"), &r.templates),
            (site.theme_dir.join("i18n"), &r.theme),
            (site.site_dir.join("i18n"), &r.site),
        ];
        for (dir, root) in &layers {
            root.check(dir)?;
        }
        let codes: Vec<&str> = site.languages.iter().map(|l| l.code.as_str()).collect();
        let mut langs = Vec::with_capacity(codes.len());
        for (i, language) in site.languages.iter().enumerate() {
            let formats = Formats::new(&language.locale)
                .map_err(|msg| Error::config(msg).at(locale_key(site, i)))?;
            let mut entries = BTreeMap::new();
            for (dir, root) in &layers {
                for code in file_codes(&language.code) {
                    if let Some(file) = read(root, &dir.join(format!("{code}.yaml")))? {
                        entries.extend(file);
                    }
                }
            }
            let chain = site
                .languages
                .chain(language)
                .filter_map(|l| codes.iter().position(|c| *c == l.code))
                .collect();
            langs.push(Lang {
                code: language.code.clone(),
                chain,
                entries,
                formats,
            });
        }
        let default_code = &site.languages.default_language().code;
        let default = codes
            .iter()
            .position(|c| c == default_code)
            .expect("the default language is one of the site's");
        Ok(Strings {
            langs,
            default,
            strict,
            site_dir: site.site_dir.join("i18n"),
            warnings: Mutex::new(BTreeSet::new()),
        })
    }

    /// The language a template means by `lang` (a page's language code):
    /// the site's default language when it has none.
    pub fn language(&self, lang: Option<&str>) -> std::result::Result<LangId, String> {
        let Some(code) = lang else {
            return Ok(LangId(self.default));
        };
        self.langs
            .iter()
            .position(|l| l.code == code)
            .map(LangId)
            .ok_or_else(|| {
                let codes: Vec<&str> = self.langs.iter().map(|l| l.code.as_str()).collect();
                format!(
                    "lang is {code:?}, which is not a language of this site ({})",
                    codes.join(", ")
                )
            })
    }

    /// The text of `key` in `lang`, its plural form chosen by `count` and
    /// its placeholders filled: `{count}` with the count as the language
    /// writes numbers, the others with `arg(name)`. `template` names the
    /// template asking, for the warning when the text comes from a fallback
    /// language.
    pub fn text(
        &self,
        lang: LangId,
        key: &str,
        count: Option<i64>,
        arg: &dyn Fn(&str) -> Option<String>,
        template: &str,
    ) -> std::result::Result<String, String> {
        let asked = &self.langs[lang.0];
        let Some((n, entry)) = asked
            .chain
            .iter()
            .enumerate()
            .find_map(|(n, &i)| Some((n, self.langs[i].entries.get(key)?)))
        else {
            return Err(self.undefined(asked, key));
        };
        let found = &self.langs[asked.chain[n]];
        if n > 0 {
            self.fell_back(asked, found, key, template)?;
        }
        let category = match (&entry.message, count) {
            (_, Some(c)) => found.formats.plural(c),
            (strings::Message::Plural(_), None) => {
                return Err(format!(
                    "string key {key:?} has plural forms ({}): call t({key:?}, count=…)",
                    entry.place()
                ))
            }
            (strings::Message::Text(_), None) => icu_plurals::PluralCategory::Other,
        };
        let count_text = count.map(|c| {
            found
                .formats
                .number(&c.to_string())
                .expect("an integer is a number")
        });
        entry
            .message
            .form(category)
            .fill(|name| match (name, &count_text) {
                ("count", Some(c)) => Some(c.clone()),
                _ => arg(name),
            })
            .map_err(|name| {
                format!(
                    "string key {key:?} ({}) has the placeholder {{{name}}}: give t() {name}=…",
                    entry.place()
                )
            })
    }

    /// A date in `lang`'s locale (see `Formats::date`).
    pub fn date(
        &self,
        lang: LangId,
        value: &str,
        style: DateStyle,
    ) -> std::result::Result<String, String> {
        self.langs[lang.0].formats.date(value, style)
    }

    /// A number in `lang`'s locale (see `Formats::number`).
    pub fn number(&self, lang: LangId, value: &str) -> std::result::Result<String, String> {
        self.langs[lang.0].formats.number(value)
    }

    /// The warnings so far (strings shown from a fallback language), sorted
    /// and without repeats; rendering is parallel.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().expect("lock"))
            .into_iter()
            .collect()
    }

    fn fell_back(
        &self,
        asked: &Lang,
        found: &Lang,
        key: &str,
        template: &str,
    ) -> std::result::Result<(), String> {
        let (code, used) = (&asked.code, &found.code);
        if self.strict {
            return Err(format!(
                "string key {key:?} is missing in {code} (--strict; without it the page shows the {used} text); add it to {}",
                self.site_dir.join(format!("{code}.yaml")).display()
            ));
        }
        self.warnings.lock().expect("lock").insert(format!(
            "{template}: string key {key:?} is missing in {code}; the page shows the {used} text"
        ));
        Ok(())
    }

    fn undefined(&self, asked: &Lang, key: &str) -> String {
        let code = &asked.code;
        let fallbacks: Vec<&str> = asked.chain[1..]
            .iter()
            .map(|&i| self.langs[i].code.as_str())
            .collect();
        let also = if fallbacks.is_empty() {
            String::new()
        } else {
            format!(" nor in its fallbacks ({})", fallbacks.join(", "))
        };
        format!(
            "string key {key:?} is not defined in {code}{also}; add it to {} (or to an i18n/{code}.yaml of the site kind or theme)",
            self.site_dir.join(format!("{code}.yaml")).display()
        )
    }
}

/// The file codes of a language code, least specific first: `pt-BR` reads
/// `pt.yaml`, then `pt-BR.yaml`, in each folder.
fn file_codes(code: &str) -> Vec<&str> {
    code.match_indices('-')
        .map(|(i, _)| &code[..i])
        .chain(std::iter::once(code))
        .collect()
}

/// A string file's entries, or None if there is none. A link that leads
/// out of its root is refused, even a dangling one.
fn read(root: &Root, path: &Path) -> Result<Option<BTreeMap<String, Entry>>> {
    let linked = std::fs::symlink_metadata(path).is_ok();
    if !linked {
        return Ok(None);
    }
    let text = root.read_to_string(path)?;
    strings::parse(path, &text).map(Some)
}

/// Where the locale of the `i`-th language is set in site.yaml.
fn locale_key(site: &Site, i: usize) -> crate::error::Location {
    match &site.config.i18n {
        Some(i18n) => {
            let field = match i18n.languages.get(i) {
                Some(l) if l.locale.is_some() => "locale",
                _ => "code",
            };
            site.key_location(&format!("i18n.languages[{i}].{field}"))
        }
        None => site.key_location("language"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_subtags_read_the_base_language_first() {
        assert_eq!(file_codes("fr"), ["fr"]);
        assert_eq!(file_codes("pt-BR"), ["pt", "pt-BR"]);
        assert_eq!(file_codes("zh-Hant-TW"), ["zh", "zh-Hant", "zh-Hant-TW"]);
    }
}
