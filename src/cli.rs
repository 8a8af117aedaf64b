//! Command-line definition (clap derive). Doc comments are the help text.
//! Turns arguments into plain values; runs nothing.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::platform::FetchMode;

/// `0.1.0 (3f2a9c1 2026-12-05)`: the version and the commit it was built
/// from (see build.rs).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SITEGEN_COMMIT"), ")");

const ENVIRONMENT: &str = "\
Environment:
  SITEGEN_PLATFORM_TOKEN  token for the platform API (a site's tenant.token_env names another)
  SITEGEN_PLATFORM_API    platform API base URL, instead of platform.api_base in sitegen.yaml
  SITEGEN_LOG             log filter, e.g. debug or sitegen=debug,warn (-q/-v otherwise)
  SITEGEN_RSYNC           rsync program for deploy (default rsync)
  SITEGEN_SSH             ssh program for deploy (default ssh)
  SITEGEN_LOCK_TIMEOUT    seconds deploy waits for another deploy of the site (default 600)
  SITEGEN_EDGE_SECRET     shared secret of platform events for `sitegen edge`
  NO_COLOR                no colour in logs (colour is only ever on a terminal)
  GITHUB_ACTIONS          when true, errors and findings are also GitHub annotations

Getting started:
  sitegen build cocotte.maison     build a demo site into dist/cocotte.maison/
  sitegen serve cocotte.maison     preview it at http://cocotte.maison.localhost:4000/
  sitegen <command> --help         options and examples of a command

Run from any folder inside a workspace: sitegen finds the folder with sites/.";

/// Static brand sites for a multi-tenant platform: build, preview, deploy.
#[derive(Debug, Parser)]
#[command(name = "sitegen", version = VERSION, propagate_version = true, after_help = ENVIRONMENT)]
pub struct Cli {
    /// Workspace root (the folder with sites/, content/, templates/,
    /// themes/); default: the nearest folder up from here that has sites/
    /// and sitegen.yaml or templates/.
    #[arg(long, global = true)]
    pub root: Option<PathBuf>,
    /// Output directory (default: `output_dir` from sitegen.yaml, else <root>/dist).
    #[arg(long, global = true)]
    pub out: Option<PathBuf>,
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More logging (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Build as if it were this instant (2027-03-01 or 2027-03-01T18:30:00Z):
    /// preview what a date shows (a tour leg over shows as past). The edge's
    /// and serve's clocks start there and run on.
    #[arg(long, global = true, value_parser = crate::clock::parse)]
    pub clock: Option<time::OffsetDateTime>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build sites into <out>/<domain>/ (public/ and manifest.json).
    #[command(
        after_help = "Examples:\n  sitegen build cocotte.maison\n  sitegen build --all --changed --json > report.json\n  sitegen --clock 2027-06-01 build adulttherapytour.com   # as on that day\n  sitegen build cocotte.maison --drafts --future          # everything, unpublished too"
    )]
    Build(BuildArgs),
    /// List the sites of the workspace: domain, kind, tenant, theme.
    #[command(after_help = "Examples:\n  sitegen list\n  sitegen list --json")]
    List(ListArgs),
    /// Fetch a site's tenant data from the platform API and save it as the
    /// snapshot in data/platform/<tenant>/ (public fields only).
    #[command(after_help = "Examples:\n  SITEGEN_PLATFORM_TOKEN=… sitegen fetch cocotte.maison")]
    Fetch(FetchArgs),
    /// Deploy a built site: rsync into a new release, install the nginx
    /// config if it changed, switch `current` atomically, prune old releases.
    #[command(
        after_help = "Examples:\n  sitegen deploy cocotte.maison --dry-run\n  sitegen deploy cocotte.maison\n  sitegen deploy --all --json"
    )]
    Deploy(DeployArgs),
    /// Point `current` back at the previous release (or a named one).
    #[command(
        after_help = "Examples:\n  sitegen rollback cocotte.maison\n  sitegen rollback cocotte.maison --to 20261204"
    )]
    Rollback(RollbackArgs),
    /// List a site's releases on its target, oldest first: when each was
    /// deployed, its size, and which one is live (`*`).
    #[command(after_help = "Examples:\n  sitegen releases cocotte.maison")]
    Releases(ReleasesArgs),
    /// Build sites in memory and check links, images, titles, sitemap, HTML
    /// and JSON-LD; exit 1 on any error-level finding.
    #[command(
        after_help = "Examples:\n  sitegen check cocotte.maison\n  sitegen check --all --external\n  sitegen check --shard 2/4 --json"
    )]
    Check(CheckArgs),
    /// Onboard a provider: write sites/<domain>/site.yaml (held back) and
    /// starter brand copy, then check that the site builds.
    #[command(
        after_help = "Examples:\n  sitegen new merche-biche.com --kind provider-site --tenant person:merche-biche\n  sitegen new maison.example --kind org-site --tenant org:maison --language fr --language en"
    )]
    New(NewArgs),
    /// Preview sites from memory with live reload while you edit
    /// (all sites when none are named). Nothing under dist/ is written.
    #[command(
        after_help = "Examples:\n  sitegen serve cocotte.maison      # http://cocotte.maison.localhost:4000/\n  sitegen serve --drafts --future   # every site, unpublished pages too"
    )]
    Serve(ServeArgs),
    /// On the web server: keep deployed sites fresh when platform data
    /// changes (signed events, a reconcile loop); `edge status` reports.
    #[command(
        after_help = "Examples:\n  SITEGEN_EDGE_SECRET=… sitegen edge /srv/www/cocotte.maison\n  sitegen edge status"
    )]
    Edge(EdgeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  sitegen completions bash > ~/.local/share/bash-completion/completions/sitegen\n  sitegen completions zsh > ~/.zfunc/_sitegen\n  sitegen completions fish > ~/.config/fish/completions/sitegen.fish"
    )]
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EdgeArgs {
    #[command(subcommand)]
    pub action: Option<EdgeAction>,
    /// Loopback address to listen on (nginx proxies the webhook host to it).
    #[arg(long, default_value = "127.0.0.1:7433")]
    pub listen: std::net::SocketAddr,
    /// Seconds between two reconciling refreshes of every tenant.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub reconcile_secs: u64,
    /// Deploy targets to keep fresh (each site's deploy.target, local paths).
    pub targets: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum EdgeAction {
    /// Print what a running `sitegen edge` says of each site.
    #[command(
        after_help = "Examples:\n  sitegen edge status\n  sitegen edge status --listen 127.0.0.1:7433"
    )]
    Status {
        /// Where the daemon listens.
        #[arg(long, default_value = "127.0.0.1:7433")]
        listen: std::net::SocketAddr,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Domains to check (inside content/<domain>/ or sites/<domain>/: that site).
    #[arg(conflicts_with = "all")]
    pub domains: Vec<String>,
    /// Check every site.
    #[arg(long)]
    pub all: bool,
    /// Also check external links (8 at a time, answers cached for a day).
    #[arg(long)]
    pub external: bool,
    /// Fail on warnings too: what `build --strict` refuses (a string key
    /// missing in a language, an image without alt text) and every finding.
    #[arg(long)]
    pub strict: bool,
    /// Check only shard I of N (the sites `build --shard I/N` builds).
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
    /// Print one JSON report on stdout instead of findings and summary lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The site's domain, e.g. merche-biche.com.
    pub domain: String,
    /// The site kind (one of `crate::kinds::KINDS`, listed in the help).
    #[arg(long, value_parser = parse_kind, help = kind_help())]
    pub kind: crate::config::SiteKind,
    /// The tenant the site shows: person:<slug> or org:<slug>.
    #[arg(long)]
    pub tenant: String,
    /// Theme under themes/ (default: atelier; nocturne for tour sites).
    #[arg(long)]
    pub theme: Option<String>,
    /// Another host name that redirects to the domain (repeatable).
    #[arg(long = "alias")]
    pub aliases: Vec<String>,
    /// Brand name (default: from the domain).
    #[arg(long)]
    pub name: Option<String>,
    /// The site's language (default: en); repeat it for a multilingual site,
    /// the first being the default: --language fr --language en.
    #[arg(long = "language")]
    pub languages: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Domains to serve (default: every site; inside content/<domain>/ or
    /// sites/<domain>/: that site).
    pub domains: Vec<String>,
    /// Address to listen on; anything but loopback is reachable by others.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Port (0 picks a free one).
    #[arg(long, default_value_t = 4000)]
    pub port: u16,
    /// Include draft pages.
    #[arg(long)]
    pub drafts: bool,
    /// Include pages whose `publish_date` (or `date`) is still to come.
    #[arg(long)]
    pub future: bool,
    /// Load platform data again on every rebuild (default: once per session).
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The domain whose finished build (dist/<domain>/) to deploy.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub domain: Option<String>,
    /// Deploy every built site that is not held back; continue past failures.
    #[arg(long, conflicts_with = "force")]
    pub all: bool,
    /// Deploy even if the site is held back.
    #[arg(long)]
    pub force: bool,
    /// Print what would change on the target; change nothing and create
    /// nothing there (a held-back site too).
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON report on stdout instead of lines per site.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The site whose live release to switch.
    pub domain: String,
    /// The release to switch to, or the start of its name if only one
    /// release starts so (default: the one before the live one).
    #[arg(long)]
    pub to: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print one JSON report on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReleasesArgs {
    /// The site whose releases to list.
    pub domain: String,
    /// Print one JSON report on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Domains whose tenants to fetch.
    #[arg(required = true)]
    pub domains: Vec<String>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Domains to build, e.g. cocotte.maison (inside content/<domain>/ or
    /// sites/<domain>/: that site).
    #[arg(conflicts_with = "all")]
    pub domains: Vec<String>,
    /// Build every site under sites/.
    #[arg(long)]
    pub all: bool,
    /// Include pages marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
    /// Include pages whose `publish_date` (or `date`) is still to come.
    #[arg(long)]
    pub future: bool,
    /// Use only cached platform data (.sitegen/cache/); fail if any is missing.
    #[arg(long, conflicts_with = "stale_ok")]
    pub offline: bool,
    /// If the platform API is unavailable, build from cached data and warn.
    #[arg(long)]
    pub stale_ok: bool,
    /// Treat fixable warnings (an image without alt text) as errors.
    #[arg(long)]
    pub strict: bool,
    /// Skip sites whose inputs (config, content, templates, theme, platform
    /// data, sitegen version, --drafts, --future and --strict) match their
    /// last build's manifest, unless a scheduled change (a page going live
    /// or expiring, a tour date passing) has come since.
    #[arg(long)]
    pub changed: bool,
    /// Build only shard I of N (1-based, stable by domain hash), e.g. `--shard 2/4`.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
    /// Print one JSON report on stdout instead of progress and summary lines.
    #[arg(long)]
    pub json: bool,
}

/// `--kind`'s help, from the table of site kinds.
fn kind_help() -> String {
    format!("The site kind: {}", crate::kinds::names())
}

fn parse_kind(s: &str) -> Result<crate::config::SiteKind, String> {
    crate::config::SiteKind::parse(s)
}

fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (i, n) = s.split_once('/').ok_or("expected I/N, e.g. 2/4")?;
    let i: u32 = i
        .trim()
        .parse()
        .map_err(|_| format!("{i:?} is not a number"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a number"))?;
    if n == 0 {
        return Err(format!(
            "shard {i}/{n}: there must be at least one shard (2/4 is the second of four)"
        ));
    }
    if i == 0 || i > n {
        return Err(format!(
            "shard {i}/{n}: there is no shard {i} of {n}; the shards are 1/{n} to {n}/{n}"
        ));
    }
    Ok((i, n))
}

impl BuildArgs {
    pub fn fetch_mode(&self) -> FetchMode {
        if self.offline {
            FetchMode::Offline
        } else if self.stale_ok {
            FetchMode::StaleOk
        } else {
            FetchMode::Online
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    #[test]
    fn cli_definition_is_valid() {
        super::Cli::command().debug_assert();
    }

    /// Issue 17 item 8: every argument says what it is, every command
    /// shows examples, and every example is a command line that parses.
    #[test]
    fn every_argument_has_a_description_and_every_command_examples_that_parse() {
        fn walk(cmd: &clap::Command, path: &str, examples: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(
                    arg.get_help()
                        .is_some_and(|h| !h.to_string().trim().is_empty()),
                    "{path} {id}: no description"
                );
            }
            for sub in cmd.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                assert!(sub.get_about().is_some(), "{path}: no description");
                let after = sub
                    .get_after_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                if sub.get_subcommands().next().is_none() {
                    assert!(after.starts_with("Examples:\n"), "{path}: no examples");
                }
                examples.extend(after.lines().filter_map(|l| {
                    l.trim()
                        .split(" sitegen ")
                        .nth(1)
                        .map(|x| format!("sitegen {x}"))
                        .or_else(|| {
                            l.trim()
                                .strip_prefix("sitegen ")
                                .map(|x| format!("sitegen {x}"))
                        })
                }));
                walk(sub, &path, examples);
            }
        }
        let mut examples = Vec::new();
        walk(&super::Cli::command(), "sitegen", &mut examples);
        assert!(examples.len() >= 20, "{examples:?}");
        for example in examples {
            // Shell comments and redirections are not the command's.
            let line = example
                .split(" #")
                .next()
                .unwrap()
                .split(" >")
                .next()
                .unwrap();
            let words = line.split_whitespace().map(|w| w.trim_matches('"'));
            if let Err(e) = super::Cli::try_parse_from(words) {
                panic!("{example}: {e}");
            }
        }
    }
}
