//! `sites/<domain>/site.yaml`: one brand site. Every key is documented in
//! docs/site-config.md; unknown keys are errors.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::yaml::{
    self, AbsPath, CertName, Colour, DeployTarget, EnvName, FontStack, Hostname, Ident,
    LanguageTag, Link, RedirectPath, RelPath, Slug,
};

/// A parsed and validated site.yaml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The canonical host name; must equal the folder name under sites/.
    pub domain: Hostname,
    /// Other host names that redirect to `domain` (www. is added by nginx).
    #[serde(default)]
    pub aliases: Vec<Hostname>,
    /// Which shared templates this site instantiates.
    pub kind: SiteKind,
    /// The theme folder under themes/.
    pub theme: Slug,
    /// The `lang` of every page of a single-language site.
    #[serde(default = "default_language")]
    pub language: LanguageTag,
    /// A multilingual site: its languages (instead of `language`).
    #[serde(default)]
    pub i18n: Option<I18nConfig>,
    /// The one tenant whose public data this site shows.
    pub tenant: TenantRef,
    pub brand: Brand,
    #[serde(default)]
    pub nav: Vec<NavItem>,
    #[serde(default)]
    pub seo: Seo,
    /// The legal notice (`/legal/`), linked from every footer.
    #[serde(default)]
    pub legal: Option<Legal>,
    #[serde(default)]
    pub redirects: Vec<Redirect>,
    #[serde(default)]
    pub deploy: Deploy,
    #[serde(default)]
    pub images: SiteImages,
    #[serde(default)]
    pub tls: Tls,
    /// Items per page of section and tag listings whose template uses
    /// `paginator`; 0 lists everything on one page.
    #[serde(
        default = "default_paginate_by",
        deserialize_with = "yaml::int::<_, u16, 0, 65_535>"
    )]
    pub paginate_by: u16,
}

fn default_paginate_by() -> u16 {
    20
}

/// Where nginx finds the site's certificate. By default certbot's layout:
/// `<nginx.cert_dir>/<cert_name>/fullchain.pem` and `privkey.pem`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// certbot's `--cert-name` (default: the domain).
    #[serde(default)]
    pub cert_name: Option<CertName>,
    /// Full path of the certificate chain, instead of certbot's.
    #[serde(default)]
    pub certificate: Option<AbsPath>,
    /// Full path of the private key, instead of certbot's.
    #[serde(default)]
    pub certificate_key: Option<AbsPath>,
}

/// Per-site image settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteImages {
    /// Watermark for images a template marks (the provider-site gallery does).
    #[serde(default)]
    pub watermark: Option<WatermarkConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatermarkConfig {
    /// Image file inside sites/<domain>/ (PNG with transparency works best).
    pub file: RelPath,
    #[serde(default)]
    pub position: WatermarkPosition,
    /// 0.0 (invisible) to 1.0 (opaque).
    #[serde(default = "default_opacity")]
    pub opacity: Fraction,
    /// Width of the mark as a fraction of the image width.
    #[serde(default = "default_scale")]
    pub scale: Fraction,
}

fn default_opacity() -> Fraction {
    Fraction(0.35)
}

fn default_scale() -> Fraction {
    Fraction(0.2)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WatermarkPosition {
    TopLeft,
    TopRight,
    BottomLeft,
    #[default]
    BottomRight,
    Center,
}

impl WatermarkPosition {
    pub fn as_str(self) -> &'static str {
        match self {
            WatermarkPosition::TopLeft => "top-left",
            WatermarkPosition::TopRight => "top-right",
            WatermarkPosition::BottomLeft => "bottom-left",
            WatermarkPosition::BottomRight => "bottom-right",
            WatermarkPosition::Center => "center",
        }
    }
}

/// A number from 0.0 to 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Fraction(pub f32);

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = f32::deserialize(d)?;
        if (0.0..=1.0).contains(&n) {
            Ok(Fraction(n))
        } else {
            Err(serde::de::Error::custom(format!(
                "{n} is not between 0.0 and 1.0"
            )))
        }
    }
}

/// `i18n:` in site.yaml: the languages of a multilingual site.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct I18nConfig {
    /// The code of the default language: its pages are at `/`, and content
    /// files without a language suffix are in it.
    pub default: Slug,
    /// Every language of the site, in the order a language switcher lists them.
    pub languages: Vec<LanguageConfig>,
    /// Tags that are translations of each other, one map per tag: language
    /// code → the tag as pages in that language write it
    /// (`{fr: Ateliers, en: Workshops}`). Their tag pages are each other's
    /// translations (hreflang, switcher). Tags with the same slug in two
    /// languages are translations without being listed.
    #[serde(default)]
    pub tags: Vec<BTreeMap<String, String>>,
}

/// One language of a multilingual site.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageConfig {
    /// The code content files carry (`about.en.md`) and templates use: `fr`, `en`.
    pub code: LanguageTag,
    /// The BCP 47 locale for `lang`, hreflang, dates and plurals (default: the code).
    #[serde(default)]
    pub locale: Option<LanguageTag>,
    /// Its name in itself, for language switchers: `Français`.
    pub label: String,
    /// First URL segment of its pages (default: the code; the default
    /// language has none and may not set one).
    #[serde(default)]
    pub prefix: Option<Slug>,
    /// Languages to show content in when a page or a platform field has no
    /// version in this one, in order (the default language is always last).
    #[serde(default)]
    pub fallback: Vec<LanguageTag>,
    /// `brand.tagline` in this language (the top-level one is the default
    /// language's).
    #[serde(default)]
    pub tagline: Option<String>,
    /// `seo.description` in this language.
    #[serde(default)]
    pub description: Option<String>,
}

fn default_language() -> LanguageTag {
    LanguageTag::parse("en").expect("valid")
}

/// A site kind from the table in `crate::kinds` (`org-site`, …): what a
/// site of that kind generates, its entity, starters and default theme.
#[derive(Clone, Copy)]
pub struct SiteKind(&'static crate::kinds::Kind);

impl SiteKind {
    /// The kind named `name`; the error lists the kinds there are.
    pub fn parse(name: &str) -> std::result::Result<SiteKind, String> {
        crate::kinds::find(name)
            .map(SiteKind)
            .ok_or_else(|| format!("{name:?} is not a site kind ({})", crate::kinds::names()))
    }

    pub fn as_str(self) -> &'static str {
        self.0.name
    }

    /// The kind's entry in the table.
    pub fn spec(self) -> &'static crate::kinds::Kind {
        self.0
    }
}

impl PartialEq for SiteKind {
    fn eq(&self, other: &Self) -> bool {
        self.0.name == other.0.name
    }
}

impl Eq for SiteKind {}

impl fmt::Debug for SiteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SiteKind({})", self.0.name)
    }
}

impl<'de> Deserialize<'de> for SiteKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        SiteKind::parse(&name).map_err(serde::de::Error::custom)
    }
}

impl Serialize for SiteKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name)
    }
}

impl fmt::Display for SiteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantKind {
    Person,
    Org,
}

impl fmt::Display for TenantKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            TenantKind::Person => "person",
            TenantKind::Org => "org",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TenantRef {
    pub kind: TenantKind,
    pub slug: Slug,
    /// Environment variable with this tenant's API token (default SITEGEN_PLATFORM_TOKEN).
    #[serde(default, skip_serializing)]
    pub token_env: Option<EnvName>,
}

impl fmt::Display for TenantRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{}:{}", self.kind, self.slug))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Brand {
    pub name: String,
    #[serde(default)]
    pub tagline: Option<String>,
    /// Colour name → colour; becomes `--color-<name>` and overrides the theme's.
    #[serde(default)]
    pub palette: BTreeMap<Ident, Colour>,
    /// Font role (heading, body) → font stack; becomes `--font-<role>`.
    #[serde(default)]
    pub fonts: BTreeMap<Ident, FontStack>,
    /// Logo file inside sites/<domain>/.
    #[serde(default)]
    pub logo: Option<RelPath>,
    /// The home page's call to action (`{title: Voir les dates, url: /tour/,
    /// titles: {en: See the dates}}`), shown as the hero's button.
    #[serde(default)]
    pub cta: Option<NavItem>,
    /// Where visitors book (a page of the site or an external booking
    /// service): member, profile and contact pages show a booking button to it.
    #[serde(default)]
    pub booking: Option<NavItem>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NavItem {
    pub title: String,
    pub url: Link,
    /// The title in other languages than the default (multilingual sites):
    /// `titles: {en: Members}`. The URL is resolved to the page's
    /// translation in each language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub titles: BTreeMap<String, String>,
}

/// What the law asks a commercial site to say about who publishes it (in
/// France the *mentions légales*: LCEN art. 6-III): shown as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Legal {
    /// The publisher: a company's name, or a person's.
    pub publisher: String,
    /// Its legal form and share capital (`SARL au capital de 10 000 €`).
    #[serde(default)]
    pub legal_form: Option<String>,
    pub address: String,
    /// Trade or company register and number (`RCS Lyon 912 345 678`), or
    /// the trade directory for a sole trader.
    #[serde(default)]
    pub registration: Option<String>,
    /// Intra-community VAT number.
    #[serde(default)]
    pub vat: Option<String>,
    /// The publication director (*directeur de la publication*).
    pub director: String,
    /// How to reach the publisher: an email address or a phone number.
    pub contact: String,
    pub host: LegalHost,
}

/// Who hosts the site: the law asks for its name, address and phone.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LegalHost {
    pub name: String,
    pub address: String,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seo {
    /// Default meta description for pages that set none.
    #[serde(default)]
    pub description: Option<String>,
    /// Default social (OpenGraph) image inside sites/<domain>/.
    #[serde(default)]
    pub social_image: Option<RelPath>,
    /// Twitter/X handle without the @.
    #[serde(default)]
    pub twitter: Option<Slug>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Redirect {
    pub from: RedirectPath,
    pub to: Link,
    #[serde(default = "default_status")]
    pub status: RedirectStatus,
}

fn default_status() -> RedirectStatus {
    RedirectStatus(301)
}

/// 301, 302, 307 or 308.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RedirectStatus(pub u16);

impl<'de> Deserialize<'de> for RedirectStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u16::deserialize(d)?;
        if matches!(n, 301 | 302 | 307 | 308) {
            Ok(RedirectStatus(n))
        } else {
            Err(serde::de::Error::custom(format!(
                "{n} is not a redirect status (use 301, 302, 307 or 308)"
            )))
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// A local path or `user@host:/path`.
    #[serde(default)]
    pub target: Option<DeployTarget>,
    /// A held-back site is not deployed without an explicit override.
    #[serde(default)]
    pub held_back: bool,
    /// How many releases to keep on the target (1 to 100).
    #[serde(
        default = "default_keep",
        deserialize_with = "yaml::int::<_, u32, 1, 100>"
    )]
    pub keep_releases: u32,
}

fn default_keep() -> u32 {
    5
}

impl Default for Deploy {
    fn default() -> Self {
        Deploy {
            target: None,
            held_back: false,
            keep_releases: default_keep(),
        }
    }
}
