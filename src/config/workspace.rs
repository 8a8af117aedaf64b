//! `sitegen.yaml` at the workspace root: defaults shared by every site.

use serde::Deserialize;

use super::yaml::{self, AbsPath, ApiBase, Listen};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    /// Where `build` writes, relative to the root (default `dist`).
    #[serde(default = "default_output")]
    pub output_dir: String,
    #[serde(default)]
    pub platform: PlatformConfig,
    #[serde(default)]
    pub css: CssConfig,
    #[serde(default)]
    pub images: ImageConfig,
    #[serde(default)]
    pub nginx: NginxConfig,
    #[serde(default)]
    pub check: CheckConfig,
    #[serde(default)]
    pub templates: TemplatesConfig,
}

/// Bounds on rendering one page, so a runaway template (nested loops, a
/// loop writing without end) fails the build instead of running until
/// killed or filling the disk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatesConfig {
    /// Template instructions one page may execute (minijinja fuel), 1 to
    /// 100 billion.
    #[serde(
        default = "default_max_fuel",
        deserialize_with = "yaml::int::<_, u64, 1, 100_000_000_000>"
    )]
    pub max_fuel: u64,
    /// Largest page a template may write, in bytes (1 byte to 1 GiB).
    #[serde(
        default = "default_max_page_bytes",
        deserialize_with = "yaml::int::<_, u64, 1, 1_073_741_824>"
    )]
    pub max_page_bytes: u64,
}

fn default_max_fuel() -> u64 {
    50_000_000
}
fn default_max_page_bytes() -> u64 {
    16 * 1024 * 1024
}

impl Default for TemplatesConfig {
    fn default() -> Self {
        TemplatesConfig {
            max_fuel: default_max_fuel(),
            max_page_bytes: default_max_page_bytes(),
        }
    }
}

/// How serious each `sitegen check` rule is: `error` fails the check,
/// `warn` reports, `off` skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warn,
    Off,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    /// Internal links, fragments, assets and images resolve.
    #[serde(default = "error")]
    pub links: Level,
    /// Every image has alt text.
    #[serde(default = "error")]
    pub alt_text: Level,
    /// Every page has a title and a description.
    #[serde(default = "error")]
    pub title_description: Level,
    /// Every page is linked from another page (front matter `extra: {orphan: true}` exempts one).
    #[serde(default = "warn")]
    pub orphans: Level,
    /// sitemap.xml lists exactly the published pages.
    #[serde(default = "error")]
    pub sitemap: Level,
    /// HTML parses without errors.
    #[serde(default = "error")]
    pub html: Level,
    /// JSON-LD blocks parse.
    #[serde(default = "error")]
    pub json_ld: Level,
    /// External links answer (only with `check --external`).
    #[serde(default = "warn")]
    pub external: Level,
    /// What the build warns about (a string key missing in a language, a
    /// platform link dropped); `check --strict` fails on them.
    #[serde(default = "warn")]
    pub build: Level,
    /// Starter copy `sitegen new` wrote and nobody replaced ("Replace with
    /// …", "Write two or three sentences here…").
    #[serde(default = "warn")]
    pub placeholder: Level,
}

fn error() -> Level {
    Level::Error
}
fn warn() -> Level {
    Level::Warn
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            links: Level::Error,
            alt_text: Level::Error,
            title_description: Level::Error,
            orphans: Level::Warn,
            sitemap: Level::Error,
            html: Level::Error,
            json_ld: Level::Error,
            external: Level::Warn,
            build: Level::Warn,
            placeholder: Level::Warn,
        }
    }
}

/// How the generated nginx config listens and where it finds things on the
/// web server, and how `deploy` installs it there.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NginxConfig {
    #[serde(default = "default_http_listen")]
    pub http_listen: Listen,
    #[serde(default = "default_https_listen")]
    pub https_listen: Listen,
    /// Also listen on IPv6 (`[::]:<port>`), for plain-port listens.
    #[serde(default = "yes")]
    pub ipv6: bool,
    /// certbot's `--webroot-path`: ACME challenges are served from here.
    #[serde(default = "default_acme_webroot")]
    pub acme_webroot: AbsPath,
    /// Where certbot keeps certificates (`<cert_dir>/<cert-name>/fullchain.pem`).
    #[serde(default = "default_cert_dir")]
    pub cert_dir: AbsPath,
    /// Folder on the web server whose `*.conf` nginx includes inside `http{}`
    /// (Debian: /etc/nginx/conf.d). Unset: `deploy` does not touch nginx.
    #[serde(default)]
    pub conf_dir: Option<AbsPath>,
    /// Command that checks the configuration, run on the web server.
    #[serde(default = "default_test_command")]
    pub test_command: Vec<String>,
    /// Command that reloads nginx after a changed config passed the check.
    #[serde(default = "default_reload_command")]
    pub reload_command: Vec<String>,
    /// The host the platform sends events to (`sitegen edge`): the shared
    /// snippet gets a server for it that passes `POST /_sitegen/events`
    /// (64 KiB at most, rate-limited) to `edge_listen`, and nothing else.
    #[serde(default)]
    pub hook_host: Option<super::yaml::Hostname>,
    /// Where `sitegen edge` listens: a loopback IP and port (the daemon
    /// refuses any other address).
    #[serde(default = "default_edge_listen")]
    pub edge_listen: std::net::SocketAddr,
}

fn default_edge_listen() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 7433))
}

fn yes() -> bool {
    true
}
fn default_http_listen() -> Listen {
    Listen::parse("80").expect("valid")
}
fn default_https_listen() -> Listen {
    Listen::parse("443").expect("valid")
}
fn default_acme_webroot() -> AbsPath {
    AbsPath::parse("/var/www/letsencrypt").expect("valid")
}
fn default_cert_dir() -> AbsPath {
    AbsPath::parse("/etc/letsencrypt/live").expect("valid")
}
fn default_test_command() -> Vec<String> {
    vec!["nginx".into(), "-t".into()]
}
fn default_reload_command() -> Vec<String> {
    vec!["nginx".into(), "-s".into(), "reload".into()]
}

impl Default for NginxConfig {
    fn default() -> Self {
        NginxConfig {
            http_listen: default_http_listen(),
            https_listen: default_https_listen(),
            ipv6: true,
            acme_webroot: default_acme_webroot(),
            cert_dir: default_cert_dir(),
            conf_dir: None,
            test_command: default_test_command(),
            reload_command: default_reload_command(),
            hook_host: None,
            edge_listen: default_edge_listen(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CssConfig {
    /// Browserslist queries: CSS is lowered for these browsers.
    #[serde(default = "default_browserslist")]
    pub browserslist: Vec<String>,
}

fn default_browserslist() -> Vec<String> {
    vec!["defaults".into()]
}

impl Default for CssConfig {
    fn default() -> Self {
        CssConfig {
            browserslist: default_browserslist(),
        }
    }
}

fn default_output() -> String {
    "dist".to_string()
}

impl Default for WorkspaceConfig {
    fn default() -> Self {
        WorkspaceConfig {
            output_dir: default_output(),
            platform: PlatformConfig::default(),
            css: CssConfig::default(),
            nginx: NginxConfig::default(),
            check: CheckConfig::default(),
            images: Default::default(),
            templates: TemplatesConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// Base URL of the platform API; without it builds read data/platform/ snapshots.
    #[serde(default)]
    pub api_base: Option<ApiBase>,
    /// Time allowed to open a connection (1 ms to 10 minutes).
    #[serde(
        default = "default_connect_timeout",
        deserialize_with = "yaml::int::<_, u64, 1, 600_000>"
    )]
    pub connect_timeout_ms: u64,
    /// Time allowed for a whole request, body included (1 ms to 1 hour).
    #[serde(
        default = "default_timeout",
        deserialize_with = "yaml::int::<_, u64, 1, 3_600_000>"
    )]
    pub timeout_ms: u64,
    /// Retries after a timeout, 429 or 5xx (0 to 10).
    #[serde(
        default = "default_retries",
        deserialize_with = "yaml::int::<_, u32, 0, 10>"
    )]
    pub retries: u32,
    /// First backoff before a retry; doubles each time, plus jitter (0 to 60 s).
    #[serde(
        default = "default_backoff",
        deserialize_with = "yaml::int::<_, u64, 0, 60_000>"
    )]
    pub backoff_ms: u64,
    /// Cap on a server's Retry-After (0 to 1 hour).
    #[serde(
        default = "default_max_retry_after",
        deserialize_with = "yaml::int::<_, u64, 0, 3_600>"
    )]
    pub max_retry_after_secs: u64,
    /// Largest media file (an avatar) downloaded from the API (1 byte to 1 GiB).
    #[serde(
        default = "default_max_media_bytes",
        deserialize_with = "yaml::int::<_, u64, 1, 1_073_741_824>"
    )]
    pub max_media_bytes: u64,
    /// Largest API response body, after decompression (1 byte to 1 GiB).
    #[serde(
        default = "default_max_body_bytes",
        deserialize_with = "yaml::int::<_, u64, 1, 1_073_741_824>"
    )]
    pub max_body_bytes: u64,
    /// Most pages followed on one list endpoint (1 to 100000).
    #[serde(
        default = "default_max_pages",
        deserialize_with = "yaml::int::<_, u32, 1, 100_000>"
    )]
    pub max_pages: u32,
    /// Longest time one site's platform data may take to load, all requests
    /// (retries and media included); 1 second to 1 day.
    #[serde(
        default = "default_max_fetch_secs",
        deserialize_with = "yaml::int::<_, u64, 1, 86_400>"
    )]
    pub max_fetch_secs: u64,
}

fn default_max_body_bytes() -> u64 {
    32 * 1024 * 1024
}
fn default_max_pages() -> u32 {
    1_000
}
fn default_max_fetch_secs() -> u64 {
    600
}

fn default_max_media_bytes() -> u64 {
    10 * 1024 * 1024
}

fn default_connect_timeout() -> u64 {
    5_000
}
fn default_timeout() -> u64 {
    30_000
}
fn default_retries() -> u32 {
    3
}
fn default_backoff() -> u64 {
    250
}
fn default_max_retry_after() -> u64 {
    30
}

impl Default for PlatformConfig {
    fn default() -> Self {
        PlatformConfig {
            api_base: None,
            connect_timeout_ms: default_connect_timeout(),
            timeout_ms: default_timeout(),
            retries: default_retries(),
            backoff_ms: default_backoff(),
            max_retry_after_secs: default_max_retry_after(),
            max_media_bytes: default_max_media_bytes(),
            max_body_bytes: default_max_body_bytes(),
            max_pages: default_max_pages(),
            max_fetch_secs: default_max_fetch_secs(),
        }
    }
}

/// Image settings from `sitegen.yaml` (`images:`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageConfig {
    /// Widths to produce, in pixels; each is capped at the source width.
    /// One to 16 widths, each 1 to 16383 (WebP's largest side).
    #[serde(default = "default_widths", deserialize_with = "widths")]
    pub widths: Vec<u32>,
    /// JPEG and WebP quality, 1 to 100.
    #[serde(
        default = "default_quality",
        deserialize_with = "yaml::int::<_, u8, 1, 100>"
    )]
    pub quality: u8,
    /// Largest source accepted, in pixels per side: 1 to 16383, WebP's
    /// largest side, so no output can be too large to encode.
    #[serde(
        default = "default_max_side",
        deserialize_with = "yaml::int::<_, u32, 1, 16_383>"
    )]
    pub max_side: u32,
    /// Largest decode allocation, in MiB (1 to 65536, 64 GiB).
    #[serde(
        default = "default_max_alloc",
        deserialize_with = "yaml::int::<_, u64, 1, 65_536>"
    )]
    pub max_alloc_mib: u64,
    /// `sizes` attribute when a template gives none.
    #[serde(default = "default_sizes")]
    pub sizes: String,
}

/// `images.widths`: a non-empty list of at most 16 widths of 1 to 16383
/// pixels; an empty list would leave `<picture>` without a source.
fn widths<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Vec<u32>, D::Error> {
    let list = Vec::<yaml::Int<1, 16_383>>::deserialize(d)?;
    if list.is_empty() || list.len() > 16 {
        return Err(serde::de::Error::custom(format!(
            "{} widths given; list 1 to 16 widths in pixels, e.g. [480, 960, 1600]",
            list.len()
        )));
    }
    Ok(list
        .into_iter()
        .map(|w| u32::try_from(w.0).expect("at most 16383"))
        .collect())
}

fn default_widths() -> Vec<u32> {
    vec![480, 960, 1600]
}
fn default_quality() -> u8 {
    78
}
fn default_max_side() -> u32 {
    12_000
}
fn default_max_alloc() -> u64 {
    600
}
fn default_sizes() -> String {
    "(min-width: 45rem) 42rem, 100vw".into()
}

impl Default for ImageConfig {
    fn default() -> Self {
        ImageConfig {
            widths: default_widths(),
            quality: default_quality(),
            max_side: default_max_side(),
            max_alloc_mib: default_max_alloc(),
            sizes: default_sizes(),
        }
    }
}
