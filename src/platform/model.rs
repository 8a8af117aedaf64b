//! Public view models: the only shape of platform data that templates see.
//!
//! Each struct lists explicitly public fields and nothing else. Unknown fields
//! in API responses (emails, phones, legal names, hotels, journals, settings)
//! are ignored by serde and have nowhere to go, so they cannot reach a page.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(test)]
mod tests {
    use super::{Localized, WebUrl};

    #[test]
    fn localised_text_picks_along_the_chain_marks_fallbacks_and_round_trips() {
        let by: Localized =
            serde_json::from_str(r#"{"fr": "Masseuse", "en": "Massage therapist"}"#).unwrap();
        let plain: Localized = serde_json::from_str(r#""Masseuse""#).unwrap();
        assert_eq!(by.pick(&["en", "fr"]), Some(("Massage therapist", None)));
        assert_eq!(by.pick(&["de", "fr"]), Some(("Masseuse", Some("fr"))));
        assert_eq!(
            by.pick(&["es"]),
            Some(("Massage therapist", Some("en"))),
            "first entry, marked"
        );
        assert_eq!(plain.pick(&["en"]), Some(("Masseuse", None)));
        // Snapshots keep every language.
        assert_eq!(
            serde_json::to_string(&by).unwrap(),
            r#"{"en":"Massage therapist","fr":"Masseuse"}"#
        );
        assert_eq!(serde_json::to_string(&plain).unwrap(), r#""Masseuse""#);
        let mut resolved = by.clone();
        assert_eq!(resolved.resolve(&["de", "fr"]), Some("fr".to_string()));
        assert_eq!(resolved, Localized::Text("Masseuse".into()));
    }

    #[test]
    fn only_absolute_web_mail_and_phone_urls_are_kept() {
        for ok in [
            "https://a.example/x",
            "http://a.example",
            "mailto:a@b.example",
            "tel:1",
        ] {
            assert!(WebUrl::parse(ok).get().is_some(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "//evil.example",
            "/relative",
            "mailto:",
            "tel:",
            "https://",
            "ftp://a.example",
        ] {
            assert!(WebUrl::parse(bad).is_refused(), "{bad}");
        }
        assert_eq!(
            WebUrl::parse("HTTPS://A.example").get(),
            Some("https://a.example/")
        );
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Tenant {
    pub id: String,
    pub kind: crate::config::TenantKind,
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub tagline: Option<Localized>,
    /// Markdown from the tenant; templates render it with the `markdown` filter.
    #[serde(default)]
    pub bio: Option<Localized>,
    #[serde(default)]
    pub links: Vec<ExternalLink>,
    /// Set by sitegen: the language of `tagline` / `bio` when a page shows
    /// them in a fallback language (templates mark it with `lang=`).
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub tagline_lang: Option<String>,
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub bio_lang: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ExternalLink {
    pub label: String,
    pub url: WebUrl,
}

/// A URL from platform data, checked as it is parsed: only absolute
/// `https:`, `http:`, `mailto:` and `tel:` URLs are kept (normalised by the
/// WHATWG URL parser, so `JaVaScRiPt:` or a leading space cannot pass as
/// another scheme). Anything else is *refused*: the value is discarded at
/// once and the URL serialises as `null`, so it cannot reach a page, JSON-LD,
/// the cache or a snapshot even if a sanitising step were skipped. Every
/// URL-typed field of every view model is a `WebUrl`; `sanitize` turns
/// refused ones into warnings naming the record and field, never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(Option<String>);

/// The schemes a URL from platform data may have.
pub const URL_SCHEMES: [&str; 4] = ["https", "http", "mailto", "tel"];

impl WebUrl {
    pub fn parse(text: &str) -> WebUrl {
        let Ok(url) = reqwest::Url::parse(text) else {
            return WebUrl(None);
        };
        let ok = match url.scheme() {
            "https" | "http" => url.host_str().is_some_and(|h| !h.is_empty()),
            "mailto" | "tel" => !url.path().is_empty(),
            _ => false,
        };
        WebUrl(ok.then(|| url.as_str().to_string()))
    }

    /// The URL, or None when it was refused.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    pub fn is_refused(&self) -> bool {
        self.0.is_none()
    }
}

impl<'de> Deserialize<'de> for WebUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WebUrl, D::Error> {
        // Never an error: a bad URL is dropped with a warning, not a failed
        // build. `null` is how a refused URL is cached.
        Ok(match Option::<String>::deserialize(d)? {
            Some(text) => WebUrl::parse(&text),
            None => WebUrl(None),
        })
    }
}

impl Serialize for WebUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Profile {
    pub id: String,
    /// Owner: the Person this profile belongs to.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Owner: the Org this profile is shown in, when a Person acts in an Org.
    #[serde(default)]
    pub org_id: Option<String>,
    /// The member chose to share this profile publicly with the Org.
    #[serde(default)]
    pub shared_publicly: bool,
    pub slug: String,
    pub display_name: String,
    #[serde(default)]
    pub role_title: Option<Localized>,
    #[serde(default)]
    pub pronouns: Option<Localized>,
    #[serde(default)]
    pub bio: Option<Localized>,
    /// A media reference: a path on the API's origin, or in a snapshot a
    /// file relative to the snapshot folder (`media/margot-lune.jpg`).
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// Set by sitegen: the local copy of the avatar, for the image pipeline.
    #[serde(skip)]
    pub avatar_file: Option<std::path::PathBuf>,
    #[serde(default)]
    pub links: Vec<ExternalLink>,
    #[serde(default)]
    pub services: Vec<Localized>,
    /// Set by sitegen: the language `role_title` / `bio` / `pronouns` are shown in when
    /// it is a fallback for the page's language.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub role_title_lang: Option<String>,
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub bio_lang: Option<String>,
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub pronouns_lang: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Tour {
    pub id: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub org_id: Option<String>,
    pub slug: String,
    pub title: Localized,
    #[serde(default)]
    pub summary: Option<Localized>,
    #[serde(default)]
    pub legs: Vec<TourLeg>,
    /// Set by sitegen: the language `title` / `summary` are shown in when
    /// it is a fallback for the page's language.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub title_lang: Option<String>,
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub summary_lang: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TourLeg {
    pub id: String,
    pub city: String,
    pub country: String,
    #[serde(default)]
    pub venue: Option<String>,
    pub start_date: String,
    pub end_date: String,
    pub status: LegStatus,
    #[serde(default)]
    pub booking_url: Option<WebUrl>,
    /// Set by sitegen: the leg page's URL (`/tour/lyon/`).
    #[serde(default, skip_deserializing)]
    pub url: String,
    /// Set by sitegen: the leg's end date is over (at the build's instant,
    /// in UTC); templates show it as past, whatever its status.
    #[serde(default, skip_deserializing)]
    pub past: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LegStatus {
    Open,
    Limited,
    Full,
    Cancelled,
}

/// Drops refused URLs (see `WebUrl`), saying for each which record and
/// field it was in: `what` is e.g. `profile prof_c2`.
pub fn sanitize_links(links: &mut Vec<ExternalLink>, what: &str, warnings: &mut Vec<String>) {
    let mut index = 0;
    links.retain(|l| {
        index += 1;
        if l.url.is_refused() {
            warnings.push(refused(what, &format!("links[{}].url", index - 1)));
        }
        !l.url.is_refused()
    });
}

/// Drops a refused optional URL, with a warning.
pub fn sanitize_url(url: &mut Option<WebUrl>, what: &str, field: &str, warnings: &mut Vec<String>) {
    if url.as_ref().is_some_and(WebUrl::is_refused) {
        *url = None;
        warnings.push(refused(what, field));
    }
}

fn refused(what: &str, field: &str) -> String {
    format!(
        "{what}: {field} dropped: only {} URLs are published",
        URL_SCHEMES.join(", ")
    )
}

impl Tenant {
    pub fn sanitize(&mut self, warnings: &mut Vec<String>) {
        sanitize_links(&mut self.links, &format!("tenant {}", self.id), warnings);
    }
}

impl Profile {
    pub fn sanitize(&mut self, warnings: &mut Vec<String>) {
        sanitize_links(&mut self.links, &format!("profile {}", self.id), warnings);
    }
}

impl Tour {
    pub fn sanitize(&mut self, warnings: &mut Vec<String>) {
        for leg in &mut self.legs {
            let what = format!("tour {} leg {}", self.id, leg.id);
            sanitize_url(&mut leg.booking_url, &what, "booking_url", warnings);
        }
    }
}

/// Everything a site's templates get from the platform.
#[derive(Debug, Clone, Serialize)]
pub struct PlatformData {
    pub tenant: Tenant,
    /// Public profiles: an Org's publicly shared members, or the Person's own.
    pub profiles: Vec<Profile>,
    pub tours: Vec<Tour>,
    /// Requests answered from a stale cache (`--stale-ok`); empty normally.
    #[serde(skip)]
    pub stale: Vec<String>,
    /// Values dropped while loading (refused URLs), naming record and field.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Text the platform may give in several languages: a string, or an object
/// by language code (`{"fr": "Masseuse", "en": "Massage therapist"}`).
/// A build shows each page the best match for its language along the
/// site's fallback chain (`PlatformData::localized`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Localized {
    Text(String),
    ByLanguage(BTreeMap<String, String>),
}

impl Localized {
    /// The text for a chain of language codes (the page's language, its
    /// fallbacks, the default), and the language it is in when that is
    /// not the first of the chain. A plain string is in every language. A
    /// map without any language of the chain gives its first entry, marked.
    pub fn pick(&self, chain: &[&str]) -> Option<(&str, Option<&str>)> {
        match self {
            Localized::Text(t) => Some((t, None)),
            Localized::ByLanguage(map) => chain
                .iter()
                .find_map(|c| map.get_key_value(*c))
                .or_else(|| map.iter().next())
                .map(|(lang, text)| {
                    let marked =
                        (Some(lang.as_str()) != chain.first().copied()).then_some(lang.as_str());
                    (text.as_str(), marked)
                }),
        }
    }

    /// Resolved for `chain`: a plain string, and its language if marked.
    fn resolve(&mut self, chain: &[&str]) -> Option<String> {
        let (text, lang) = self.pick(chain)?;
        let (text, lang) = (text.to_string(), lang.map(str::to_string));
        *self = Localized::Text(text);
        lang
    }
}

impl fmt::Display for Localized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.pick(&[]).map_or("", |(t, _)| t))
    }
}

impl Serialize for Localized {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Localized::Text(t) => s.serialize_str(t),
            Localized::ByLanguage(map) => map.serialize(s),
        }
    }
}

fn resolve_opt(field: &mut Option<Localized>, chain: &[&str]) -> Option<String> {
    field.as_mut().and_then(|f| f.resolve(chain))
}

impl PlatformData {
    /// The data as pages in one language show it: every localised field
    /// resolved along `chain` (that language, its fallbacks, the default
    /// language), with the `*_lang` fields naming the language of text
    /// shown in a fallback language.
    pub fn localized(&self, chain: &[&str]) -> PlatformData {
        let mut data = self.clone();
        let t = &mut data.tenant;
        t.tagline_lang = resolve_opt(&mut t.tagline, chain);
        t.bio_lang = resolve_opt(&mut t.bio, chain);
        for p in &mut data.profiles {
            p.role_title_lang = resolve_opt(&mut p.role_title, chain);
            p.bio_lang = resolve_opt(&mut p.bio, chain);
            p.pronouns_lang = resolve_opt(&mut p.pronouns, chain);
            for s in &mut p.services {
                s.resolve(chain);
            }
        }
        for tour in &mut data.tours {
            tour.title_lang = tour.title.resolve(chain);
            tour.summary_lang = resolve_opt(&mut tour.summary, chain);
        }
        data
    }

    /// Short hex digest of the data, for build reports.
    pub fn digest(&self) -> String {
        crate::digest::sha256_hex(&serde_json::to_vec(self).unwrap_or_default())[..16].to_string()
    }
}
