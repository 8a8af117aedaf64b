//! `sitegen.yaml` at the workspace root: defaults shared by every site.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    /// Where `build` writes, relative to the root (default `dist`).
    #[serde(default = "default_output")]
    pub output_dir: String,
    #[serde(default)]
    pub platform: PlatformConfig,
}

fn default_output() -> String {
    "dist".to_string()
}

impl Default for WorkspaceConfig {
    fn default() -> Self {
        WorkspaceConfig {
            output_dir: default_output(),
            platform: PlatformConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// Base URL of the platform API; without it builds read data/platform/ snapshots.
    #[serde(default)]
    pub api_base: Option<String>,
}
