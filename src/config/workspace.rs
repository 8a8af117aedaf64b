//! `sitegen.yaml` at the workspace root: defaults shared by every site.

use serde::Deserialize;

use super::yaml::ApiBase;

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
    pub images: crate::assets::images::ImageConfig,
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
            images: Default::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// Base URL of the platform API; without it builds read data/platform/ snapshots.
    #[serde(default)]
    pub api_base: Option<ApiBase>,
    /// Time allowed to open a connection.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_ms: u64,
    /// Time allowed for a whole request, body included.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// Retries after a timeout, 429 or 5xx (0 to 10).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// First backoff before a retry; doubles each time, plus jitter.
    #[serde(default = "default_backoff")]
    pub backoff_ms: u64,
    /// Cap on a server's Retry-After.
    #[serde(default = "default_max_retry_after")]
    pub max_retry_after_secs: u64,
    /// Largest media file (an avatar) downloaded from the API.
    #[serde(default = "default_max_media_bytes")]
    pub max_media_bytes: u64,
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
        }
    }
}
