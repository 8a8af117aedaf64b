//! `sitegen new`: onboarding a provider is a config change. Writes
//! `sites/<domain>/site.yaml` (held back) and starter brand copy for the site
//! kind, then builds the site in memory to prove it works.

use std::path::{Path, PathBuf};

use crate::build::{build_site, BuildOptions};
use crate::config::yaml::LanguageTag;
use crate::config::{Hostname, SiteKind, Slug, TenantKind, Workspace};
use crate::error::{Error, ErrorKind, Result};
use crate::fsutil;

pub struct NewSite {
    pub domain: String,
    pub kind: SiteKind,
    /// `person:<slug>` or `org:<slug>`.
    pub tenant: String,
    pub theme: Option<String>,
    pub aliases: Vec<String>,
    /// Brand name (default: from the domain).
    pub name: Option<String>,
    /// Language tags, the default first; empty for English only.
    pub languages: Vec<String>,
}

/// What `new` did.
pub struct Created {
    pub files: Vec<PathBuf>,
    /// `--alias` values left out as redundant (`www.<domain>`, which the
    /// nginx config always redirects).
    pub skipped_aliases: Vec<String>,
    /// Pages the in-memory build rendered, or why it could not build yet
    /// (the tenant's platform data is not available here).
    pub built: std::result::Result<usize, Error>,
}

fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// `merche-biche.com` → `Merche Biche`.
fn name_from_domain(domain: &str) -> String {
    domain
        .split('.')
        .next()
        .unwrap_or(domain)
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes the new site and validates it.
pub fn create(ws: &Workspace, new: &NewSite) -> Result<Created> {
    let args = Checked::from(ws, new)?;
    let mut pages: Vec<(String, String)> = (new.kind.spec().starters)(&args.name)
        .into_iter()
        .map(|(file, text)| (file.to_string(), text))
        .collect();
    // A home page per other language, so its generated pages exist too.
    for code in args.languages.iter().skip(1) {
        pages.push((
            format!("_index.{code}.md"),
            crate::kinds::starter_home(&args.name),
        ));
    }
    let yaml = site_yaml(&args, new.kind, &pages);
    let site_dir = ws.root.join("sites").join(args.domain.as_str());
    let content_dir = ws.root.join("content").join(args.domain.as_str());
    for dir in [&site_dir, &content_dir] {
        if dir.exists() {
            return Err(Error::config(format!(
                "{} already exists; {} is already a site",
                dir.display(),
                args.domain
            ))
            .hint("pick another domain, or edit the existing site"));
        }
    }
    let undo = || {
        let _ = std::fs::remove_dir_all(&site_dir);
        let _ = std::fs::remove_dir_all(&content_dir);
    };
    let files = write_all(&site_dir, &content_dir, &yaml, &pages).inspect_err(|_| undo())?;
    // Validate: the config loads and the site builds in memory. Missing
    // platform data is expected for a tenant this machine has never fetched.
    let site = ws.load_site(&args.domain).inspect_err(|_| undo())?;
    let opts = BuildOptions {
        mode: crate::build::BuildMode::Preview,
        ..Default::default()
    };
    let built = match build_site(ws, &site, &opts) {
        Ok(bundle) => Ok(bundle.pages),
        // The platform knows no such public tenant: a typo in the slug, or
        // a tenant who shares nothing. Nothing is kept.
        Err(e) if e.kind == ErrorKind::Platform && e.message.contains("HTTP 404") => {
            undo();
            return Err(Error::platform(format!(
                "the platform has no public {} {:?}: {}",
                match args.tenant_kind {
                    TenantKind::Person => "person",
                    TenantKind::Org => "org",
                },
                args.slug.as_str(),
                e.message
            ))
            .hint("check the slug in --tenant (it is the tenant's handle on the platform); nothing was created"));
        }
        Err(e) if e.kind == ErrorKind::Platform => Err(e),
        Err(e) => {
            undo();
            return Err(
                e.hint("nothing was created; this is a bug in the starter content or templates")
            );
        }
    };
    let skipped_aliases = new
        .aliases
        .iter()
        .filter(|a| !args.aliases.iter().any(|k| k.as_str() == a.as_str()))
        .cloned()
        .collect();
    Ok(Created {
        files,
        built,
        skipped_aliases,
    })
}

/// The command-line values of `new`, validated.
struct Checked {
    domain: Hostname,
    tenant_kind: TenantKind,
    slug: Slug,
    aliases: Vec<Hostname>,
    theme: String,
    name: String,
    languages: Vec<LanguageTag>,
    /// The theme's primary and accent colours.
    palette: Vec<(&'static str, String)>,
}

impl Checked {
    fn from(ws: &Workspace, new: &NewSite) -> Result<Checked> {
        let domain =
            Hostname::parse(&new.domain).map_err(|e| Error::config(format!("domain: {e}")))?;
        let (kind, slug) = new.tenant.split_once(':').ok_or_else(|| {
            Error::config(format!(
                "--tenant {:?}: expected person:<slug> or org:<slug>",
                new.tenant
            ))
        })?;
        let tenant_kind = match kind {
            "person" => TenantKind::Person,
            "org" => TenantKind::Org,
            other => {
                return Err(Error::config(format!(
                    "--tenant: {other:?} is not a tenant kind (person or org)"
                )))
            }
        };
        let slug = Slug::parse(slug).map_err(|e| Error::config(format!("--tenant: {e}")))?;
        let mut aliases = Vec::new();
        let www = format!("www.{domain}");
        for a in &new.aliases {
            let alias = Hostname::parse(a).map_err(|e| Error::config(format!("--alias: {e}")))?;
            if alias.as_str() == domain.as_str() {
                return Err(
                    Error::config(format!("--alias {a} is the site's own domain"))
                        .hint("an alias is another host name that redirects to the domain"),
                );
            }
            // The nginx config always redirects www.<domain>: not an alias.
            if alias.as_str() != www && !aliases.contains(&alias) {
                aliases.push(alias);
            }
        }
        let theme = match &new.theme {
            Some(t) => Slug::parse(t)
                .map_err(|e| Error::config(format!("--theme: {e}")))?
                .to_string(),
            None => new.kind.spec().default_theme.to_string(),
        };
        let theme_file = ws.root.join("themes").join(&theme).join("theme.yaml");
        if !theme_file.is_file() {
            return Err(Error::config(format!(
                "there is no theme {theme:?} under themes/"
            )));
        }
        // Its colours, written into site.yaml for the operator to change.
        let theme_config: crate::config::ThemeConfig = crate::config::yaml::parse(
            &theme_file,
            &crate::fsutil::read_to_string(&theme_file)?,
            crate::error::ErrorKind::Config,
        )?;
        let palette = ["primary", "accent"]
            .into_iter()
            .filter_map(|key| {
                let (_, colour) = theme_config
                    .palette
                    .iter()
                    .find(|(k, _)| k.as_str() == key)?;
                Some((key, colour.to_string()))
            })
            .collect();
        let name = new
            .name
            .clone()
            .unwrap_or_else(|| name_from_domain(&domain));
        let mut languages = Vec::new();
        for code in &new.languages {
            let tag =
                LanguageTag::parse(code).map_err(|e| Error::config(format!("--language: {e}")))?;
            if languages.contains(&tag) {
                return Err(Error::config(format!("--language {code} is given twice")));
            }
            languages.push(tag);
        }
        Ok(Checked {
            domain,
            tenant_kind,
            slug,
            aliases,
            theme,
            name,
            languages,
            palette,
        })
    }
}

/// The new site's `site.yaml`: held back, with a nav entry per starter page.
fn site_yaml(args: &Checked, kind: SiteKind, pages: &[(String, String)]) -> String {
    let Checked {
        domain,
        tenant_kind,
        slug,
        aliases,
        theme,
        name,
        languages,
        palette,
    } = args;
    let mut yaml = format!("domain: {domain}\n");
    if !aliases.is_empty() {
        yaml.push_str("aliases:\n");
        for a in aliases {
            yaml.push_str(&format!("  - {a}\n"));
        }
    }
    yaml.push_str(&language_yaml(languages));
    yaml.push_str(&format!(
        "kind: {}\ntheme: {theme}\ntenant:\n  kind: {}\n  slug: {slug}\nbrand:\n  name: {}\n  tagline: {}\n",
        kind,
        match tenant_kind {
            TenantKind::Person => "person",
            TenantKind::Org => "org",
        },
        yaml_string(name),
        yaml_string("Replace with one line about what you offer"),
    ));
    if !palette.is_empty() {
        yaml.push_str("  # The theme's colours: change them to the brand's.\n  palette:\n");
        for (key, colour) in palette {
            yaml.push_str(&format!("    {key}: \"{colour}\"\n"));
        }
    }
    let contact = pages.iter().any(|(file, _)| file == "contact.md");
    if contact {
        yaml.push_str(
            "  # The home page's button, and the booking button of profile pages.\n  cta:\n    title: Get in touch\n    url: /contact/\n  booking:\n    title: Book\n    url: /contact/\n",
        );
    }
    yaml.push_str("nav:\n");
    for (file, text) in pages {
        if file.starts_with("_index.") {
            continue;
        }
        let url = format!(
            "/{}/",
            file.trim_end_matches(".md").trim_end_matches("/_index")
        );
        let title = text
            .lines()
            .find_map(|l| l.strip_prefix("title: "))
            .unwrap_or("Page");
        yaml.push_str(&format!("  - title: {title}\n    url: {url}\n"));
    }
    yaml.push_str(concat!(
        "# The legal notice at /legal/, linked from every footer (French law\n",
        "# requires it on commercial sites: the mentions légales).\n",
        "legal:\n",
        "  publisher: Replace with the business's legal name\n",
        "  address: Replace with its postal address\n",
        "  director: Replace with the publication director's name\n",
        "  contact: Replace with an email address or phone number\n",
        "  host:\n",
        "    name: Replace with the web host's name\n",
        "    address: Replace with the web host's address\n",
    ));
    yaml.push_str(&format!(
        "seo:\n  description: {}\ndeploy:\n  target: /srv/www/{domain}\n  held_back: true\n  keep_releases: 5\n",
        yaml_string(&format!("{name}: replace this with one sentence for search results."))
    ));
    yaml
}

/// `language:` for one language, an `i18n:` block for several (the first
/// the default), nothing for English alone.
fn language_yaml(languages: &[LanguageTag]) -> String {
    match languages {
        [] => String::new(),
        [one] if one.as_str() == "en" => String::new(),
        [one] => format!("language: {one}\n"),
        [default, ..] => {
            let mut yaml = format!("i18n:\n  default: {default}\n  languages:\n");
            for l in languages {
                yaml.push_str(&format!(
                    "    - code: {l}\n      label: {}\n",
                    yaml_string(&endonym(l.as_str()))
                ));
            }
            yaml
        }
    }
}

/// A language's name in itself, for the switcher (edit it in site.yaml
/// for languages this short list does not know).
fn endonym(code: &str) -> String {
    let known = [
        ("fr", "Français"),
        ("en", "English"),
        ("de", "Deutsch"),
        ("es", "Español"),
        ("it", "Italiano"),
        ("nl", "Nederlands"),
        ("pt", "Português"),
        ("ca", "Català"),
    ];
    let primary = code.split('-').next().unwrap_or(code);
    known
        .iter()
        .find(|(c, _)| *c == primary)
        .map_or_else(|| code.to_uppercase(), |(_, name)| name.to_string())
}

/// Writes site.yaml and the starter pages; returns the files written.
fn write_all(
    site_dir: &Path,
    content_dir: &Path,
    yaml: &str,
    pages: &[(String, String)],
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    fsutil::create_dir_all(site_dir)?;
    let path = site_dir.join("site.yaml");
    fsutil::write(&path, yaml.as_bytes())?;
    written.push(path);
    for (file, text) in pages {
        let path = content_dir.join(file);
        fsutil::create_dir_all(path.parent().expect("in content"))?;
        fsutil::write(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}
