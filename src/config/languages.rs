//! The languages of a site, validated: every site has at least one (a
//! single-language site has just `language:`, at `/`). A multilingual site
//! (`i18n:` in site.yaml) has a default language at `/` and the others
//! under their URL prefix (`/en/`). Content files carry the language code
//! as a suffix (`about.en.md`); a file without one is in the default
//! language. URLs get their prefix by whole path segments, never by string
//! replacement, so `/enterprise/` never becomes `/en/terprise/`.

use std::collections::BTreeMap;

use super::site::SiteConfig;
use crate::error::{Error, Location, Result};

/// One language of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    /// The code files carry and templates use: `fr`, `en`.
    pub code: String,
    /// BCP 47 locale for `lang`, hreflang, dates and plurals: `fr-FR`.
    pub locale: String,
    /// Its name in itself: `Français`.
    pub label: String,
    /// First URL segment of its pages; empty for the default language.
    pub prefix: String,
    /// Codes to fall back to, in order, ending with the default language
    /// (empty for the default language itself).
    pub fallback: Vec<String>,
    /// Brand copy in this language: `brand.tagline` and `seo.description`
    /// (the default language's are site.yaml's top-level ones unless its
    /// `i18n.languages` entry sets its own).
    pub tagline: Option<String>,
    pub description: Option<String>,
}

/// The languages of a site, the default first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Languages {
    /// In the order site.yaml lists them (the switcher's order).
    list: Vec<Language>,
    default: usize,
    multilingual: bool,
    /// (code, tag slug) → the key its tag page shares with its translations
    /// (`i18n.tags`); tags not listed there are keyed by their slug.
    tag_groups: BTreeMap<(String, String), String>,
}

impl Languages {
    /// The languages site.yaml gives; `at` locates a key for errors.
    pub fn of(config: &SiteConfig, at: &dyn Fn(&str) -> Location) -> Result<Languages> {
        let Some(i18n) = &config.i18n else {
            let code = config.language.as_str().to_string();
            return Ok(Languages {
                list: vec![Language {
                    locale: code.clone(),
                    label: code.clone(),
                    code,
                    prefix: String::new(),
                    fallback: Vec::new(),
                    tagline: config.brand.tagline.clone(),
                    description: config.seo.description.clone(),
                }],
                default: 0,
                multilingual: false,
                tag_groups: BTreeMap::new(),
            });
        };
        let err = |key: &str, msg: String| Error::config(msg).at(at(key));
        if config.language.as_str() != "en" {
            return Err(err(
                "language",
                "a site with i18n: sets its languages there, not in language:".into(),
            )
            .hint("remove language: and list every language under i18n.languages"));
        }
        let codes: Vec<&str> = i18n.languages.iter().map(|l| l.code.as_str()).collect();
        let Some(default) = codes.iter().position(|c| *c == i18n.default.as_str()) else {
            return Err(err(
                "i18n.default",
                format!(
                    "the default language {} is not in i18n.languages ({})",
                    i18n.default,
                    codes.join(", ")
                ),
            ));
        };
        let mut list = Vec::new();
        let mut prefixes = std::collections::BTreeSet::new();
        for (i, l) in i18n.languages.iter().enumerate() {
            let key = |k: &str| format!("i18n.languages[{i}].{k}");
            if codes[..i].contains(&l.code.as_str()) {
                return Err(err(
                    &key("code"),
                    format!("language {} is listed twice", l.code),
                ));
            }
            let prefix = match (&l.prefix, i == default) {
                (Some(_), true) => {
                    return Err(err(
                        &key("prefix"),
                        format!("{} is the default language: its pages are at /", l.code),
                    )
                    .hint("remove prefix:, or make another language the default"))
                }
                (Some(p), false) => p.as_str().to_string(),
                (None, true) => String::new(),
                (None, false) => l.code.as_str().to_ascii_lowercase(),
            };
            if !prefix.is_empty() && !prefixes.insert(prefix.clone()) {
                return Err(err(
                    &key("prefix"),
                    format!("URL prefix /{prefix}/ is used by two languages"),
                ));
            }
            let mut fallback = Vec::new();
            for f in &l.fallback {
                if !codes.contains(&f.as_str()) {
                    return Err(err(
                        &key("fallback"),
                        format!(
                            "fallback language {f} is not in i18n.languages ({})",
                            codes.join(", ")
                        ),
                    ));
                }
                if f.as_str() != l.code.as_str() && !fallback.iter().any(|x| x == f.as_str()) {
                    fallback.push(f.as_str().to_string());
                }
            }
            if i != default {
                fallback.retain(|c| c != codes[default]);
                fallback.push(codes[default].to_string());
            } else {
                fallback.clear();
            }
            list.push(Language {
                code: l.code.as_str().to_string(),
                locale: l
                    .locale
                    .as_ref()
                    .map_or_else(|| l.code.as_str().to_string(), |x| x.as_str().to_string()),
                label: l.label.clone(),
                prefix,
                fallback,
                tagline: l
                    .tagline
                    .clone()
                    .or_else(|| (i == default).then(|| config.brand.tagline.clone())?),
                description: l
                    .description
                    .clone()
                    .or_else(|| (i == default).then(|| config.seo.description.clone())?),
            });
        }
        let mut tag_groups = BTreeMap::new();
        for (i, group) in i18n.tags.iter().enumerate() {
            let key = format!("i18n.tags[{i}]");
            for (code, name) in group {
                if !codes.contains(&code.as_str()) {
                    return Err(err(
                        &key,
                        format!(
                            "{code} is not a language of the site ({})",
                            codes.join(", ")
                        ),
                    ));
                }
                let slug = crate::text::slugify(name);
                if slug.is_empty() {
                    return Err(err(&key, format!("tag {name:?} needs letters or digits")));
                }
                if tag_groups
                    .insert((code.clone(), slug), format!("#{i}"))
                    .is_some()
                {
                    return Err(err(
                        &key,
                        format!("tag {name:?} ({code}) is in two entries of i18n.tags"),
                    ));
                }
            }
        }
        Ok(Languages {
            list,
            default,
            multilingual: true,
            tag_groups,
        })
    }

    /// What the tag page of `slug` in language `code` shares with its
    /// translations: its `i18n.tags` entry, else the slug itself.
    pub fn tag_key(&self, code: &str, slug: &str) -> String {
        self.tag_groups
            .get(&(code.to_string(), slug.to_string()))
            .cloned()
            .unwrap_or_else(|| slug.to_string())
    }

    /// Whether the site has `i18n:` (file suffixes and prefixes apply).
    pub fn is_multilingual(&self) -> bool {
        self.multilingual
    }

    pub fn default_language(&self) -> &Language {
        &self.list[self.default]
    }

    pub fn get(&self, code: &str) -> Option<&Language> {
        self.list.iter().find(|l| l.code == code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Language> {
        self.list.iter()
    }

    /// `lang` itself, then its fallbacks, ending with the default language.
    pub fn chain<'a>(&'a self, lang: &'a Language) -> impl Iterator<Item = &'a Language> {
        std::iter::once(lang).chain(lang.fallback.iter().filter_map(|c| self.get(c)))
    }

    /// A piece of brand copy (`|l| l.tagline.as_deref()`) as `lang` shows
    /// it: its own, else the first of its fallback chain that has one. The
    /// second value is the code of a fallback language, for a `lang` attribute
    /// (None when the text is in `lang` itself).
    pub fn copy<'a>(
        &'a self,
        lang: &'a Language,
        field: impl Fn(&'a Language) -> Option<&'a str>,
    ) -> Option<(&'a str, Option<&'a str>)> {
        self.chain(lang).find_map(|l| {
            let text = field(l)?;
            Some((text, (l.code != lang.code).then_some(l.code.as_str())))
        })
    }

    /// Splits a language suffix off a file stem: `about.en` → (`about`,
    /// en). A stem without one is in the default language. On a
    /// single-language site nothing is split (`about.fr.md` is `/about.fr/`,
    /// as it always was). Err(code) for a suffix that looks like a language
    /// code but is not one of the site's.
    pub fn split_suffix<'s>(
        &self,
        stem: &'s str,
    ) -> std::result::Result<(&'s str, &Language), &'s str> {
        let default = self.default_language();
        if !self.multilingual {
            return Ok((stem, default));
        }
        let Some((base, suffix)) = stem.rsplit_once('.') else {
            return Ok((stem, default));
        };
        match self.get(suffix) {
            Some(lang) => Ok((base, lang)),
            None if looks_like_language(suffix) => Err(suffix),
            None => Ok((stem, default)),
        }
    }

    /// A site path in `lang`: its prefix as a whole first segment.
    /// (`en`, `/about/`) → `/en/about/`; the default language's paths are unchanged.
    pub fn url(&self, lang: &Language, path: &str) -> String {
        if lang.prefix.is_empty() {
            path.to_string()
        } else {
            format!("/{}/{}", lang.prefix, path.trim_start_matches('/'))
        }
    }

    /// The language whose prefix is the first segment of `path` (default
    /// language if none): `/en/about/` → en; `/enterprise/` → the default.
    pub fn of_url(&self, path: &str) -> &Language {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        self.list
            .iter()
            .find(|l| !l.prefix.is_empty() && l.prefix == first && path.len() > first.len() + 1)
            .unwrap_or(self.default_language())
    }
}

/// `de`, `pt-BR`, `zh-Hant`: two or three lowercase letters, then subtags.
fn looks_like_language(s: &str) -> bool {
    let mut parts = s.split('-');
    parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.all(|p| (2..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn languages(yaml: &str) -> Result<Languages> {
        let config: SiteConfig = serde_saphyr::from_str(&format!(
            "domain: a.example\nkind: org-site\ntheme: atelier\ntenant: {{kind: org, slug: a}}\nbrand: {{name: A}}\n{yaml}"
        ))
        .expect("valid yaml");
        Languages::of(&config, &|k| Location::file("site.yaml").key(k))
    }

    const FR_EN: &str = "i18n:\n  default: fr\n  languages:\n    - {code: fr, locale: fr-FR, label: Français}\n    - {code: en, locale: en-GB, label: English}\n    - {code: de, label: Deutsch, prefix: deutsch, fallback: [en]}\n";

    #[test]
    fn a_site_without_i18n_has_one_language_at_the_root_and_splits_nothing() {
        let l = languages("language: de\n").unwrap();
        assert!(!l.is_multilingual());
        assert_eq!(l.default_language().code, "de");
        assert_eq!(l.split_suffix("about.fr").unwrap().0, "about.fr");
        assert_eq!(l.url(l.default_language(), "/about/"), "/about/");
    }

    #[test]
    fn prefixes_are_whole_segments_and_fallbacks_end_with_the_default() {
        let l = languages(FR_EN).unwrap();
        let fr = l.get("fr").unwrap();
        let en = l.get("en").unwrap();
        let de = l.get("de").unwrap();
        assert_eq!(
            (fr.prefix.as_str(), en.prefix.as_str(), de.prefix.as_str()),
            ("", "en", "deutsch")
        );
        assert_eq!(l.url(en, "/enterprise/"), "/en/enterprise/");
        assert_eq!(l.url(fr, "/energie/"), "/energie/");
        assert_eq!(l.url(en, "/"), "/en/");
        assert_eq!(l.of_url("/en/about/").code, "en");
        assert_eq!(l.of_url("/enterprise/").code, "fr");
        assert_eq!(l.of_url("/en").code, "fr");
        assert_eq!(l.of_url("/deutsch/x/").code, "de");
        let chain: Vec<&str> = l.chain(de).map(|x| x.code.as_str()).collect();
        assert_eq!(chain, ["de", "en", "fr"]);
        assert_eq!(en.fallback, ["fr"]);
        assert!(fr.fallback.is_empty());
        assert_eq!(en.locale, "en-GB");
        assert_eq!(de.locale, "de");
    }

    #[test]
    fn suffixes_name_a_language_or_are_part_of_the_name() {
        let l = languages(FR_EN).unwrap();
        assert_eq!(
            l.split_suffix("about.en")
                .map(|(b, x)| (b, x.code.as_str())),
            Ok(("about", "en"))
        );
        assert_eq!(
            l.split_suffix("about").map(|(b, x)| (b, x.code.as_str())),
            Ok(("about", "fr"))
        );
        assert_eq!(l.split_suffix("v1.2").map(|(b, _)| b), Ok("v1.2"));
        assert_eq!(l.split_suffix("about.es").map(|_| ()), Err("es"));
    }

    #[test]
    fn bad_i18n_blocks_are_errors_at_their_key() {
        let cases = [
            ("i18n:\n  default: es\n  languages: [{code: fr, label: F}]\n", "site.yaml: i18n.default: the default language es is not in i18n.languages (fr)"),
            ("i18n:\n  default: fr\n  languages: [{code: fr, label: F}, {code: fr, label: G}]\n", "site.yaml: i18n.languages[1].code: language fr is listed twice"),
            ("i18n:\n  default: fr\n  languages: [{code: fr, label: F, prefix: fr}]\n", "site.yaml: i18n.languages[0].prefix: fr is the default language: its pages are at /"),
            ("i18n:\n  default: fr\n  languages: [{code: fr, label: F}, {code: en, label: E, prefix: x}, {code: de, label: D, prefix: x}]\n", "site.yaml: i18n.languages[2].prefix: URL prefix /x/ is used by two languages"),
            ("i18n:\n  default: fr\n  languages: [{code: fr, label: F}, {code: en, label: E, fallback: [es]}]\n", "site.yaml: i18n.languages[1].fallback: fallback language es is not in i18n.languages (fr, en)"),
            ("language: de\ni18n:\n  default: fr\n  languages: [{code: fr, label: F}]\n", "site.yaml: language: a site with i18n: sets its languages there, not in language:"),
        ];
        for (yaml, want) in cases {
            let e = languages(yaml).unwrap_err();
            assert_eq!(e.to_string().lines().next().unwrap(), want);
        }
    }
}
