//! Configuration: the only place that parses YAML config (sitegen.yaml,
//! site.yaml, theme.yaml). Turns files into typed, validated values; reads
//! nothing else and writes nothing.

mod languages;
mod site;
mod theme;
mod workspace;
pub mod yaml;

use std::path::{Path, PathBuf};

pub use languages::{Language, Languages};
pub use site::{
    Brand, Deploy, Fraction, I18nConfig, LanguageConfig, NavItem, Redirect, RedirectStatus, Seo,
    SiteConfig, SiteImages, SiteKind, TenantKind, TenantRef, Tls, WatermarkConfig,
    WatermarkPosition,
};
pub use theme::ThemeConfig;
pub use workspace::{
    CheckConfig, CssConfig, ImageConfig, Level, NginxConfig, PlatformConfig, TemplatesConfig,
    WorkspaceConfig,
};
pub use yaml::{
    AbsPath, ApiBase, CertName, Colour, DeployTarget, EnvName, FontStack, Hostname, Ident,
    LanguageTag, Link, Listen, RedirectPath, RelPath, Slug, UrlPath,
};

use crate::error::{Error, ErrorKind, Location, Result};
use crate::fsutil;

/// The workspace: a root folder with sitegen.yaml, sites/, content/, templates/, themes/, data/.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub config: WorkspaceConfig,
    /// Absolute or root-relative output directory (`dist/`).
    pub output_dir: PathBuf,
    /// The root with every symbolic link resolved, for `fsutil::Root`.
    pub real_root: PathBuf,
}

/// One site, fully resolved: its config, its theme and the folders it may read.
#[derive(Debug, Clone)]
pub struct Site {
    pub config: SiteConfig,
    pub theme: ThemeConfig,
    /// sites/<domain>/site.yaml
    pub config_path: PathBuf,
    /// sites/<domain>/
    pub site_dir: PathBuf,
    /// content/<domain>/
    pub content_dir: PathBuf,
    /// themes/<theme>/
    pub theme_dir: PathBuf,
    /// templates/<kind>/
    pub kind_dir: PathBuf,
    /// templates/_base/ (shared by every kind, looked up last)
    pub base_dir: PathBuf,
    /// The folders this site's reads for publishing must stay inside.
    pub roots: Roots,
    /// Its languages (one for a single-language site).
    pub languages: Languages,
}

/// The roots a site reads from (see `fsutil::Root`): every file that can
/// reach its output is checked against one of them after following links.
#[derive(Debug, Clone)]
pub struct Roots {
    /// `sites/<domain>/`: site.yaml, logo, social image, watermark, static/, templates/.
    pub site: fsutil::Root,
    /// `content/<domain>/`: markdown and its images.
    pub content: fsutil::Root,
    /// `themes/<theme>/`: theme.yaml, css/, static/, templates/.
    pub theme: fsutil::Root,
    /// `templates/`: the site kinds and `_base`.
    pub templates: fsutil::Root,
    /// `data/platform/<tenant slug>/`: snapshots and their media.
    pub snapshot: fsutil::Root,
}

impl Site {
    pub fn domain(&self) -> &str {
        &self.config.domain
    }

    /// Where `key` (`deploy.held_back`, `nav[1].url`) is in site.yaml, with
    /// its line when it can be found.
    pub fn key_location(&self, key: &str) -> Location {
        match std::fs::read_to_string(&self.config_path) {
            Ok(text) => yaml::key_location(&self.config_path, &text, key),
            Err(_) => Location::file(&self.config_path).key(key),
        }
    }

    /// `https://<domain>`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.config.domain)
    }
}

impl Workspace {
    /// Opens the workspace at `root`, reading `sitegen.yaml` when present.
    pub fn open(root: &Path, output_override: Option<&Path>) -> Result<Workspace> {
        // `--root .` (the default) keeps paths in messages short: content/x.md, not ./content/x.md.
        let root = if root == Path::new(".") {
            Path::new("")
        } else {
            root
        };
        if !root.join("sites").is_dir() {
            return Err(Error::config(format!(
                "{} is not a sitegen workspace: it has no sites/ folder",
                if root.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    root
                }
                .display()
            ))
            .hint("run sitegen inside a workspace (a folder with sites/, and sitegen.yaml or templates/; any folder below it works too), or pass --root"));
        }
        let config_path = root.join("sitegen.yaml");
        let config = if config_path.is_file() {
            let text = fsutil::read_to_string(&config_path)?;
            if text.trim_start_matches('\u{feff}').trim().is_empty() {
                WorkspaceConfig::default()
            } else {
                yaml::parse(&config_path, &text, ErrorKind::Config)?
            }
        } else {
            WorkspaceConfig::default()
        };
        let output_dir = match output_override {
            Some(p) => p.to_path_buf(),
            None => root.join(&config.output_dir),
        };
        let here = if root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            root
        };
        let real_root = std::fs::canonicalize(here).map_err(|e| Error::io(here, "resolve", e))?;
        Ok(Workspace {
            root: root.to_path_buf(),
            config,
            output_dir,
            real_root,
        })
    }

    /// Every domain with a `sites/<domain>/site.yaml`, sorted.
    pub fn domains(&self) -> Result<Vec<String>> {
        let sites = self.root.join("sites");
        let entries =
            std::fs::read_dir(&sites).map_err(|e| Error::io(&sites, "list directory", e))?;
        let mut domains = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&sites, "list directory", e))?;
            if entry.path().join("site.yaml").is_file() {
                if let Some(name) = entry.file_name().to_str() {
                    domains.push(name.to_string());
                }
            }
        }
        domains.sort();
        Ok(domains)
    }

    /// Loads and validates `sites/<domain>/site.yaml` and the theme it names.
    pub fn load_site(&self, domain: &str) -> Result<Site> {
        // The domain becomes a path: refuse anything that is not a plain host name.
        if Hostname::parse(domain).is_err() || !self.root.join("sites").join(domain).is_dir() {
            let known = self.domains().unwrap_or_default();
            return Err(Error::config(format!("no site named {domain:?}"))
                .hint(format!("known sites: {}", known.join(", "))));
        }
        let site_dir = self.root.join("sites").join(domain);
        let config_path = site_dir.join("site.yaml");
        let root = |rel: &Path| fsutil::Root::new(&self.real_root, &self.root, rel);
        let site_root = root(&Path::new("sites").join(domain))?;
        let text = site_root.read_to_string(&config_path)?;
        let config: SiteConfig = yaml::parse(&config_path, &text, ErrorKind::Config)?;
        let positions = yaml::Positions::of(&text);
        let at = |key: &str| {
            let mut loc = Location::file(&config_path).key(key);
            if let Some(line) = positions.line(key) {
                loc = loc.line(line);
            }
            loc
        };

        if config.domain.as_str() != domain {
            return Err(Error::config(format!(
                "domain {:?} does not match its folder sites/{domain}/",
                config.domain.as_str()
            ))
            .at(at("domain"))
            .hint("rename the folder or fix the domain key"));
        }
        for alias in &config.aliases {
            if alias == &config.domain {
                return Err(
                    Error::config(format!("alias {alias} is the canonical domain itself"))
                        .at(at("aliases")),
                );
            }
        }

        let kind_dir = self.root.join("templates").join(config.kind.as_str());
        if !kind_dir.is_dir() {
            return Err(Error::config(format!(
                "site kind {} has no templates: {} does not exist",
                config.kind,
                kind_dir.display()
            ))
            .at(at("kind")));
        }

        let languages = Languages::of(&config, &at)?;
        let (theme_dir, theme_root, theme) = self.load_theme(&config, &at)?;
        check_references(&config, &site_root, &site_dir, &at)?;

        let roots = Roots {
            site: site_root,
            content: root(&Path::new("content").join(domain))?,
            theme: theme_root,
            templates: root(Path::new("templates"))?,
            snapshot: root(&Path::new("data/platform").join(config.tenant.slug.as_str()))?,
        };
        Ok(Site {
            roots,
            languages,
            content_dir: self.root.join("content").join(domain),
            base_dir: self.root.join("templates").join("_base"),
            config,
            theme,
            config_path,
            site_dir,
            theme_dir,
            kind_dir,
        })
    }

    /// The theme a site names: its folder, its confined root and its
    /// validated theme.yaml (every stylesheet it lists exists).
    fn load_theme(
        &self,
        config: &SiteConfig,
        at: &dyn Fn(&str) -> Location,
    ) -> Result<(PathBuf, fsutil::Root, ThemeConfig)> {
        let theme_dir = self.root.join("themes").join(config.theme.as_str());
        let theme_path = theme_dir.join("theme.yaml");
        if !theme_path.is_file() {
            let known = list_dirs(&self.root.join("themes"));
            return Err(Error::config(format!(
                "theme {:?} does not exist (no {})",
                config.theme.as_str(),
                theme_path.display()
            ))
            .at(at("theme"))
            .hint(format!("available themes: {}", known.join(", "))));
        }
        let theme_root = fsutil::Root::new(
            &self.real_root,
            &self.root,
            &Path::new("themes").join(config.theme.as_str()),
        )?;
        let theme_text = theme_root.read_to_string(&theme_path)?;
        let theme: ThemeConfig = yaml::parse(&theme_path, &theme_text, ErrorKind::Config)?;
        for sheet in &theme.stylesheets {
            let file = theme_root.check(&theme_dir.join(sheet.as_str()))?;
            if !file.is_file() {
                let loc = yaml::key_location(&theme_path, &theme_text, "stylesheets");
                return Err(Error::config(format!("stylesheet {sheet} does not exist")).at(loc));
            }
        }
        Ok((theme_dir, theme_root, theme))
    }
}

/// The files site.yaml names exist inside the site's own folder, and no
/// redirect is listed twice.
fn check_references(
    config: &SiteConfig,
    site_root: &fsutil::Root,
    site_dir: &Path,
    at: &dyn Fn(&str) -> Location,
) -> Result<()> {
    for (key, file) in [
        ("brand.logo", config.brand.logo.as_ref()),
        ("seo.social_image", config.seo.social_image.as_ref()),
        (
            "images.watermark.file",
            config.images.watermark.as_ref().map(|w| &w.file),
        ),
    ] {
        if let Some(file) = file {
            if !site_root.check(&site_dir.join(file.as_str()))?.is_file() {
                return Err(Error::config(format!(
                    "{file} does not exist in {}",
                    site_dir.display()
                ))
                .at(at(key)));
            }
        }
    }

    let mut froms = std::collections::BTreeSet::new();
    for r in &config.redirects {
        if !froms.insert(r.from.as_str()) {
            return Err(
                Error::config(format!("redirect from {} is listed twice", r.from))
                    .at(at("redirects")),
            );
        }
    }
    Ok(())
}

fn list_dirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    names
}
