//! The sitegen binary: parse arguments, start logging, call the library,
//! print results and the error chain, set the exit code.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// `println!` that ends the process quietly when stdout is a pipe whose
/// reader has gone (`sitegen list | head -1`), as Unix tools do, where the
/// standard one panics. Rust ignores SIGPIPE so that servers survive a
/// closed socket; `serve` and `edge` are servers, so it stays ignored.
macro_rules! println {
    () => {
        println!("")
    };
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            panic!("failed printing to stdout: {e}");
        }
    }};
}

use clap::Parser;
use rayon::prelude::*;

use sitegen::annotation::{self, Level};
use sitegen::cli::{
    BuildArgs, CheckArgs, Cli, Command, DeployArgs, EdgeAction, EdgeArgs, FetchArgs, ListArgs,
    NewArgs, ReleasesArgs, RollbackArgs, ServeArgs,
};
use sitegen::clock::Clock;
use sitegen::deploy::{self, NginxOutcome};
use sitegen::{BuildOptions, Error, Outcome, Workspace};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(err) = init_logging(&cli) {
        print_error(&err);
        return ExitCode::FAILURE;
    }
    match run(&cli) {
        Ok(code) => code,
        Err(err) => {
            print_error(&err);
            ExitCode::FAILURE
        }
    }
}

/// Logging to stderr: `-q`/`-v` or `SITEGEN_LOG` (a filter such as `debug`
/// or `sitegen=debug,usvg=off`; a filter that does not parse is an error,
/// not silently the default), in colour only on a terminal and never with
/// `NO_COLOR` set.
fn init_logging(cli: &Cli) -> Result<(), Error> {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = match std::env::var("SITEGEN_LOG") {
        Ok(spec) if !spec.trim().is_empty() => {
            let invalid = |why: String| {
                Error::config(format!("SITEGEN_LOG={spec:?} is not a log filter: {why}"))
                    .hint("for example SITEGEN_LOG=debug or SITEGEN_LOG=sitegen=debug,warn")
            };
            // tracing reads a bare word as "everything from that target",
            // so a misspelt level (`debgu`) would silently log nothing of
            // ours: a directive is a level or `target=level`.
            const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
            if let Some(word) = spec.split(',').map(str::trim).find(|d| {
                !d.is_empty()
                    && !d.contains('=')
                    && !LEVELS.contains(&d.to_ascii_lowercase().as_str())
            }) {
                return Err(invalid(format!(
                    "{word:?} is not a level ({}) nor target=level",
                    LEVELS.join(", ")
                )));
            }
            tracing_subscriber::EnvFilter::try_new(&spec).map_err(|e| invalid(e.to_string()))?
        }
        _ => tracing_subscriber::EnvFilter::new(level),
    };
    let colour = colour_on_stderr();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sitegen::redact::Stderr::default)
        .with_ansi(colour)
        .without_time()
        .init();
    Ok(())
}

/// Colour on standard error: only on a terminal, never with `NO_COLOR`.
fn colour_on_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn run(cli: &Cli) -> Result<ExitCode, Error> {
    if let Command::Edge(args) = &cli.command {
        return edge(cli, args);
    }
    if let Command::Completions { shell } = cli.command {
        use clap::CommandFactory;
        let mut command = Cli::command();
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut command, "sitegen", &mut out);
        print!("{}", String::from_utf8_lossy(&out));
        return Ok(ExitCode::SUCCESS);
    }
    let (root, out) = workspace_root(cli)?;
    let _ = WORKSPACE_ROOT.set(root.clone());
    let ws = Workspace::open(&root, out.as_deref())?;
    match &cli.command {
        Command::Build(args) => Ok(build(cli, &ws, args)),
        Command::List(args) => list(&ws, args),
        Command::Fetch(args) => fetch(cli, &ws, args),
        Command::Deploy(args) => deploy_site(cli, &ws, args),
        Command::Rollback(args) => rollback(cli, &ws, args),
        Command::Releases(args) => releases(&ws, args),
        Command::Check(args) => check(cli, &ws, args),
        Command::New(args) => new(&ws, args),
        Command::Serve(args) => serve(cli, ws, args),
        Command::Edge(_) | Command::Completions { .. } => {
            unreachable!("handled before the workspace is opened")
        }
    }
}

/// The site whose folder the command was run in, if any.
static CURRENT_SITE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// No domain named and neither `--all` nor `--shard`: the site of the
/// current folder, or an error saying what to name.
fn current_site(verb: &str) -> Result<String, Error> {
    match CURRENT_SITE.get() {
        Some(d) => {
            tracing::info!("{d}: the site of the current folder");
            Ok(d.clone())
        }
        None => Err(Error::config(format!("name the sites to {verb}, or give --all"))
            .hint(format!("e.g. sitegen {verb} cocotte.maison (run inside content/<domain>/ or sites/<domain>/, that site is meant)"))),
    }
}

/// The workspace to open and the output folder: `--root` as given, else
/// the nearest folder from here up that has `sites/` and `sitegen.yaml` or
/// `templates/` (as git and cargo find theirs), so sitegen runs from
/// `content/cocotte.maison/` too. sitegen then works from that folder, so
/// messages name files as the workspace does (`content/…`); a relative
/// `--out` still means from where the command was run.
fn workspace_root(cli: &Cli) -> Result<(PathBuf, Option<PathBuf>), Error> {
    if let Some(root) = &cli.root {
        return Ok((root.clone(), cli.out.clone()));
    }
    let here = std::env::current_dir()
        .map_err(|e| Error::io(std::path::Path::new("."), "read the current folder", e))?;
    let is_workspace = |dir: &std::path::Path| {
        dir.join("sites").is_dir()
            && (dir.join("sitegen.yaml").is_file() || dir.join("templates").is_dir())
    };
    match here.ancestors().find(|d| is_workspace(d)) {
        Some(top) if top != here => {
            // Inside a site's folder (content/<domain>/…, sites/<domain>/…):
            // commands that take domains default to that site, as cargo
            // does with the package of the current folder.
            let mut parts = here.strip_prefix(top).unwrap_or(&here).components();
            if let (Some(dir), Some(domain)) = (parts.next(), parts.next()) {
                let (dir, domain) = (dir.as_os_str(), domain.as_os_str().to_string_lossy());
                if (dir == "content" || dir == "sites")
                    && top.join("sites").join(&*domain).join("site.yaml").is_file()
                {
                    let _ = CURRENT_SITE.set(domain.into_owned());
                }
            }
            let out = cli.out.as_ref().map(|o| here.join(o));
            std::env::set_current_dir(top).map_err(|e| Error::io(top, "enter the workspace", e))?;
            tracing::info!("workspace: {}", top.display());
            Ok((PathBuf::from("."), out))
        }
        _ => Ok((PathBuf::from("."), cli.out.clone())),
    }
}

/// Whether this runs as a GitHub Actions step (`GITHUB_ACTIONS=true`): then
/// every error and warning is also printed as a workflow command, which the
/// run shows as an annotation at its file and line. On stderr, so that
/// `--json` keeps stdout one JSON document (the runner reads both).
fn on_github() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"))
}

/// An error as an annotation, on GitHub Actions.
fn annotate_error(err: &Error) {
    if on_github() {
        eprintln!("{}", annotation::error(err));
    }
}

/// A finding of `check` as an annotation, on GitHub Actions: at its file
/// when that is one of the workspace (a markdown page); a page of the
/// bundle or a site's name goes in the message instead.
fn annotate_finding(ws: &Workspace, f: &sitegen::check::Finding) {
    if !on_github() {
        return;
    }
    let at_file = ws.root.join(&f.file).is_file();
    let message = if at_file {
        format!("[{}] {}", f.rule, f.message)
    } else {
        format!("{}: [{}] {}", f.file, f.rule, f.message)
    };
    let level = if f.error {
        Level::Error
    } else {
        Level::Warning
    };
    eprintln!(
        "{}",
        annotation::command(
            level,
            at_file.then_some(f.file.as_str()),
            f.line,
            None,
            &message
        )
    );
}

/// `warning: <text>` on stderr (unless `plain` is false: the `--json`
/// report carries it), and as an annotation on GitHub Actions.
fn print_warning(text: &str, plain: bool) {
    if plain {
        eprintln!("warning: {text}");
    }
    if on_github() {
        eprintln!(
            "{}",
            annotation::command(Level::Warning, None, None, None, text)
        );
    }
}

/// The sites a `build` or `check` works on: those named, or every site
/// (`--all`, or `--shard` alone), kept to shard I/N. A named site that does
/// not exist stays, to fail as unknown whatever the shard. A selection that
/// leaves none says so with a warning: a shard with nothing to do passes, a
/// filter that matches nothing does not go unnoticed.
fn select(
    ws: &Workspace,
    named: &[String],
    all: bool,
    shard: Option<(u32, u32)>,
    verb: &str,
) -> Result<Vec<String>, Error> {
    let here;
    let named = if named.is_empty() && !all && shard.is_none() {
        here = [current_site(verb)?];
        &here[..]
    } else {
        named
    };
    let every = all || named.is_empty();
    let known = ws.domains()?;
    let mut domains = if every { known.clone() } else { named.to_vec() };
    if let Some((i, n)) = shard {
        domains.retain(|d| !known.contains(d) || sitegen::inputs::in_shard(d, i, n));
    }
    if domains.is_empty() {
        let why = match shard {
            None => "the workspace has no site under sites/".to_string(),
            Some((i, n)) if every => format!(
                "none of the {} site(s) of the workspace is in shard {i}/{n}",
                known.len()
            ),
            Some((i, n)) => {
                let shard_of = |d: &str| {
                    (1..=n)
                        .find(|j| sitegen::inputs::in_shard(d, *j, n))
                        .unwrap_or(0)
                };
                format!(
                    "{} not in shard {i}/{n}",
                    named
                        .iter()
                        .map(|d| format!("{d} is in shard {}/{n},", shard_of(d)))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
        };
        print_warning(&format!("no site to {verb}: {why}"), true);
    }
    Ok(domains)
}

/// One finding in the `check --json` report.
#[derive(serde::Serialize)]
struct FindingReport<'a> {
    rule: &'a str,
    /// `error` or `warning`.
    level: &'static str,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    message: &'a str,
}

/// One site in the `check --json` report.
#[derive(serde::Serialize)]
struct CheckReport<'a> {
    domain: &'a str,
    /// `passed` or `failed`.
    status: &'static str,
    duration_ms: u128,
    findings: Vec<FindingReport<'a>>,
    /// Why the site could not be checked (it does not build).
    errors: Vec<ErrorReport>,
}

/// `sitegen check`: findings per site; fails if any site has an error.
fn check(cli: &Cli, ws: &Workspace, args: &CheckArgs) -> Result<ExitCode, Error> {
    let started = Instant::now();
    let domains = select(ws, &args.domains, args.all, args.shard, "check")?;
    let opts = sitegen::check::CheckOptions {
        external: args.external,
        strict: args.strict,
        now: cli.clock,
    };
    let mut results = Vec::new();
    for domain in &domains {
        let t = Instant::now();
        let result = ws
            .load_site(domain)
            .and_then(|site| sitegen::check::check_site(ws, &site, &opts));
        results.push((domain.as_str(), t.elapsed().as_millis(), result));
    }
    let mut failed = Vec::new();
    let mut reports = Vec::new();
    for (domain, ms, result) in &results {
        let mut report = CheckReport {
            domain,
            status: "passed",
            duration_ms: *ms,
            findings: Vec::new(),
            errors: Vec::new(),
        };
        match result {
            Ok(findings) => {
                for f in findings {
                    if !args.json {
                        println!("{f}");
                    }
                    annotate_finding(ws, f);
                    report.findings.push(FindingReport {
                        rule: f.rule,
                        level: if f.error { "error" } else { "warning" },
                        file: &f.file,
                        line: f.line,
                        message: &f.message,
                    });
                }
                let errors = findings.iter().filter(|f| f.error).count();
                if !args.json && (!cli.quiet || errors > 0) {
                    println!(
                        "check {domain}: {errors} error(s), {} warning(s)",
                        findings.len() - errors
                    );
                }
                if errors > 0 {
                    report.status = "failed";
                }
            }
            Err(e) => {
                if args.json {
                    annotate_error(e);
                } else {
                    print_error(e);
                }
                report.status = "failed";
                report.errors.push(ErrorReport::of(e));
            }
        }
        if report.status == "failed" {
            failed.push(*domain);
        }
        reports.push(report);
    }
    if args.json {
        let report = serde_json::json!({
            "sites": reports,
            "passed": results.len() - failed.len(),
            "failed": failed.len(),
            "duration_ms": started.elapsed().as_millis(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        );
    }
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        if !args.json {
            eprintln!("error: check failed: {}", failed.join(", "));
        }
        Ok(ExitCode::FAILURE)
    }
}

/// `sitegen new`: writes the site held back and says what to do next.
fn new(ws: &Workspace, args: &NewArgs) -> Result<ExitCode, Error> {
    let created = sitegen::new::create(
        ws,
        &sitegen::new::NewSite {
            domain: args.domain.clone(),
            kind: args.kind,
            tenant: args.tenant.clone(),
            theme: args.theme.clone(),
            aliases: args.aliases.clone(),
            name: args.name.clone(),
            languages: args.languages.clone(),
        },
    )?;
    let d = &args.domain;
    println!("created {d} (held back):");
    for f in &created.files {
        println!("  {}", f.display());
    }
    for a in &created.skipped_aliases {
        println!("--alias {a} not written: www.{d} always redirects to {d}");
    }
    match &created.built {
        Ok(pages) => println!("it builds: {pages} pages"),
        Err(why) => println!("it cannot build yet, the tenant's data is not here: {why}"),
    }
    let aliases = if args.aliases.iter().any(|a| *a != format!("www.{d}")) {
        " and its aliases"
    } else {
        ""
    };
    let mut steps = vec![format!(
        "DNS: point {d}, www.{d}{aliases} at the web server"
    )];
    if created.built.is_err() {
        steps.push(format!(
            "sitegen fetch {d}        # the tenant's public platform data (needs the API and its token)"
        ));
    }
    steps.push(format!(
        "sitegen serve {d}        # replace the starter copy in sites/{d}/site.yaml and content/{d}/, watch it live"
    ));
    steps.push(format!(
        "certbot certonly --webroot (docs/deploy.md), set deploy.held_back: false in sites/{d}/site.yaml, then sitegen build {d} && sitegen deploy {d}"
    ));
    println!("next:");
    for (i, step) in steps.iter().enumerate() {
        println!("  {}. {step}", i + 1);
    }
    Ok(ExitCode::SUCCESS)
}

/// `sitegen serve`: the watch-mode preview until interrupted.
fn serve(cli: &Cli, ws: Workspace, args: &ServeArgs) -> Result<ExitCode, Error> {
    let domains = if args.domains.is_empty() {
        match CURRENT_SITE.get() {
            Some(d) => vec![d.clone()],
            None => ws.domains()?,
        }
    } else {
        for d in &args.domains {
            ws.load_site(d)?;
        }
        args.domains.clone()
    };
    let opts = sitegen::serve::ServeOptions {
        bind: std::net::SocketAddr::new(args.bind, args.port),
        domains,
        drafts: args.drafts,
        future: args.future,
        refresh: args.refresh,
        clock: cli.clock.map_or_else(Clock::system, Clock::starting_at),
    };
    sitegen::serve::serve(ws, opts)?;
    Ok(ExitCode::SUCCESS)
}

/// `sitegen rollback`: `current` back to an earlier live release.
fn rollback(cli: &Cli, ws: &Workspace, args: &RollbackArgs) -> Result<ExitCode, Error> {
    let site = ws.load_site(&args.domain)?;
    let (from, to) = deploy::rollback(&site, args.to.as_deref())?;
    if !cli.quiet {
        println!(
            "rolled back {}: current → {to} (was {})",
            args.domain,
            from.as_deref().unwrap_or("none")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `sitegen releases`: the target's releases, oldest first, with when each
/// was deployed and its size; the live one starred.
fn releases(ws: &Workspace, args: &ReleasesArgs) -> Result<ExitCode, Error> {
    let site = ws.load_site(&args.domain)?;
    let releases = deploy::releases(&site)?;
    if args.json {
        let live = releases.iter().find(|r| r.live).map(|r| r.id.as_str());
        let report = serde_json::json!({
            "domain": args.domain,
            "target": site.config.deploy.target.as_ref().map(|t| t.to_string()),
            "live": live,
            "releases": releases,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        );
        return Ok(ExitCode::SUCCESS);
    }
    if releases.is_empty() {
        println!("no releases of {} on its target yet", args.domain);
        return Ok(ExitCode::SUCCESS);
    }
    let width = releases.iter().map(|r| r.id.len()).max().unwrap_or(0);
    println!(
        "  {:<width$}  {:<19}  {:>6}  {:>10}",
        "RELEASE", "DEPLOYED (UTC)", "FILES", "SIZE"
    );
    for r in &releases {
        let deployed = r
            .deployed_at
            .as_deref()
            .map_or("-".to_string(), |t| t[..19].replace('T', " "));
        let files = r.files.map_or("-".to_string(), |f| f.to_string());
        let size = r.bytes.map_or("-".to_string(), human_size);
        let note = if r.live {
            "  live"
        } else if !r.was_live {
            "  never live"
        } else {
            ""
        };
        println!(
            "{} {:<width$}  {deployed:<19}  {files:>6}  {size:>10}{note}",
            if r.live { "*" } else { " " },
            r.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Bytes for people: `512 B`, `846.6 KiB`, `71.2 MiB`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `sitegen list`: one line per site, or the `--json` report.
fn list(ws: &Workspace, args: &ListArgs) -> Result<ExitCode, Error> {
    let mut sites = Vec::new();
    for domain in ws.domains()? {
        let site = ws.load_site(&domain)?;
        let c = &site.config;
        if args.json {
            sites.push(serde_json::json!({
                "domain": c.domain.to_string(),
                "kind": c.kind.to_string(),
                "tenant": c.tenant.to_string(),
                "theme": c.theme.to_string(),
                "held_back": c.deploy.held_back,
                "target": c.deploy.target.as_ref().map(|t| t.to_string()),
            }));
        } else {
            println!(
                "{:<28} {:<14} {:<24} {}",
                c.domain, c.kind, c.tenant, c.theme
            );
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "sites": sites }))
                .expect("report serializes")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One site's line in the `--json` report.
#[derive(serde::Serialize)]
struct SiteReport {
    domain: String,
    /// `built`, `unchanged` or `failed`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pages: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<usize>,
    duration_ms: u128,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_digest: Option<String>,
    warnings: Vec<String>,
    errors: Vec<ErrorReport>,
}

impl SiteReport {
    fn new(domain: &str, status: &'static str, duration_ms: u128) -> Self {
        SiteReport {
            domain: domain.to_string(),
            status,
            pages: None,
            files: None,
            bytes: None,
            duration_ms,
            data_digest: None,
            warnings: Vec::new(),
            errors: Vec::new(),
        }
    }
}

#[derive(serde::Serialize)]
struct ErrorReport {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}

impl ErrorReport {
    fn of(e: &Error) -> Self {
        ErrorReport {
            message: e.message.clone(),
            file: e.location.as_ref().map(|l| l.file.display().to_string()),
            line: e.location.as_ref().and_then(|l| l.line),
            key: e.location.as_ref().and_then(|l| l.key.clone()),
            hint: e.hint.clone(),
        }
    }
}

fn build(cli: &Cli, ws: &Workspace, args: &BuildArgs) -> ExitCode {
    use std::io::IsTerminal;
    let domains = match select(ws, &args.domains, args.all, args.shard, "build") {
        Ok(d) => d,
        Err(e) => {
            print_error(&e);
            return ExitCode::FAILURE;
        }
    };
    let opts = BuildOptions {
        drafts: args.drafts,
        future: args.future,
        fetch: args.fetch_mode(),
        strict: args.strict,
        now: cli.clock,
        ..Default::default()
    };
    let started = Instant::now();
    // A progress bar on a terminal; plain lines per site in CI logs.
    let bar = if !args.json && !cli.quiet && domains.len() > 1 && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(domains.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} sites {elapsed} {msg}")
                .expect("valid template"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let results: Vec<(String, Instant, Result<Outcome, Error>)> = domains
        .par_iter()
        .map(|d| {
            let t = Instant::now();
            let r = build_one(ws, d, &opts, args.changed);
            bar.inc(1);
            bar.set_message(d.clone());
            (d.clone(), t, r)
        })
        .collect();
    bar.finish_and_clear();
    report_build(cli, ws, args, &results, started)
}

/// Prints what `build` did (per site, the summary, or the `--json` report)
/// and gives the exit code: failure if any site failed.
fn report_build(
    cli: &Cli,
    ws: &Workspace,
    args: &BuildArgs,
    results: &[(String, Instant, Result<Outcome, Error>)],
    started: Instant,
) -> ExitCode {
    let mut failed: Vec<(&str, String)> = Vec::new();
    let mut reports = Vec::new();
    let mut unchanged = 0;
    for (domain, t, result) in results {
        match result {
            Ok(Outcome::Built(r)) => {
                if !args.json && !cli.quiet {
                    println!(
                        "built {}: {} pages, {} files, {} bytes in {} ms → {}",
                        r.domain,
                        r.pages,
                        r.files,
                        r.bytes,
                        r.duration.as_millis(),
                        sitegen::site_output_dir(ws, domain)
                            .join("public")
                            .display()
                    );
                }
                // Warnings print even with -q: a stale build must never pass unnoticed.
                for w in &r.warnings {
                    print_warning(&format!("{domain}: {w}"), !args.json);
                }
                reports.push(SiteReport {
                    pages: Some(r.pages),
                    files: Some(r.files),
                    bytes: Some(r.bytes),
                    data_digest: Some(r.data_digest.clone()),
                    warnings: r.warnings.clone(),
                    ..SiteReport::new(domain, "built", r.duration.as_millis())
                });
            }
            Ok(Outcome::Unchanged { warnings }) => {
                unchanged += 1;
                if !args.json && !cli.quiet {
                    println!("unchanged {domain}: inputs match its last build");
                }
                for w in warnings {
                    print_warning(&format!("{domain}: {w}"), !args.json);
                }
                reports.push(SiteReport {
                    warnings: warnings.clone(),
                    ..SiteReport::new(domain, "unchanged", t.elapsed().as_millis())
                });
            }
            Err(e) => {
                if args.json {
                    annotate_error(e);
                } else {
                    print_error(e);
                }
                failed.push((
                    domain.as_str(),
                    e.to_string().lines().next().unwrap_or("").to_string(),
                ));
                reports.push(SiteReport {
                    errors: vec![ErrorReport::of(e)],
                    ..SiteReport::new(domain, "failed", t.elapsed().as_millis())
                });
            }
        }
    }
    if args.json {
        let report = serde_json::json!({
            "sites": reports,
            "built": results.len() - failed.len() - unchanged,
            "unchanged": unchanged,
            "failed": failed.len(),
            "duration_ms": started.elapsed().as_millis(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        );
    } else if results.len() > 1 && !cli.quiet {
        println!(
            "{} of {} sites built{} in {} ms",
            results.len() - failed.len() - unchanged,
            results.len(),
            if unchanged > 0 {
                format!(", {unchanged} unchanged")
            } else {
                String::new()
            },
            started.elapsed().as_millis()
        );
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        if !args.json {
            eprintln!(
                "error: {} failed: {}",
                if failed.len() == 1 { "build" } else { "builds" },
                failed
                    .iter()
                    .map(|(d, _)| *d)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if failed.len() > 1 {
                for (d, why) in &failed {
                    eprintln!("  {d}: {why}");
                }
            }
        }
        ExitCode::FAILURE
    }
}

/// Builds one site of `build`; a panic becomes that site's error, so one
/// site's bug is one failed entry in the summary and the `--json` report while
/// the other sites still build. (A stack overflow cannot be caught: the depth
/// limits on input are what keep it from happening.)
fn build_one(
    ws: &Workspace,
    domain: &str,
    opts: &BuildOptions,
    changed: bool,
) -> Result<Outcome, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sitegen::build_if_changed(ws, domain, opts, changed)
    }))
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        Err(Error::build(format!(
            "internal error (panic): {what}; this is a sitegen bug"
        ))
        .hint("the site's previous output is left as it was; please report it with the command you ran (RUST_BACKTRACE=1 shows where it happened)"))
    })
}

fn fetch(cli: &Cli, ws: &Workspace, args: &FetchArgs) -> Result<ExitCode, Error> {
    for domain in &args.domains {
        let site = ws.load_site(domain)?;
        let (data, dir) = sitegen::platform::fetch_snapshot(ws, &site)?;
        if !cli.quiet {
            println!(
                "fetched {} for {domain}: {} public profiles, {} tours → {}",
                site.config.tenant,
                data.profiles.len(),
                data.tours.len(),
                dir.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `deploy` did with one site.
enum Shipped {
    Done(deploy::Deployed),
    /// `deploy --all` leaves it: held back, or not built.
    Skipped(&'static str),
}

/// One site in the `deploy --json` report.
#[derive(serde::Serialize)]
struct DeployReport {
    domain: String,
    /// `deployed`, `unchanged` (the build is already live), `skipped`,
    /// `failed`; in a dry run `would_deploy` instead of `deployed`.
    status: &'static str,
    /// Why a site was skipped: `held back` or `not built`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    /// The live release after the deploy (in a dry run: the one it would make).
    #[serde(skip_serializing_if = "Option::is_none")]
    release: Option<String>,
    /// The release that was live before.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<String>,
    /// `not_managed`, `unchanged`, `installed` or `would_install`.
    #[serde(skip_serializing_if = "Option::is_none")]
    nginx: Option<&'static str>,
    pruned: Vec<String>,
    /// A dry run's file changes (rsync's itemized lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    changes: Option<Vec<String>>,
    duration_ms: u128,
    errors: Vec<ErrorReport>,
}

/// `sitegen deploy`: one site, or every built site not held back (`--all`),
/// for real or as a dry run; lines per site or the `--json` report.
fn deploy_site(cli: &Cli, ws: &Workspace, args: &DeployArgs) -> Result<ExitCode, Error> {
    let started = Instant::now();
    let opts = deploy::DeployOptions {
        force: args.force,
        dry_run: args.dry_run,
    };
    let domains = match &args.domain {
        Some(d) => vec![d.clone()],
        None => ws.domains()?,
    };
    let mut results: Vec<(String, bool, u128, Result<Shipped, Error>)> = Vec::new();
    let mut failed = Vec::new();
    let mut deployed = 0;
    for domain in domains {
        let t = Instant::now();
        let (held_back, result) = match ws.load_site(&domain) {
            Err(e) => (false, Err(e)),
            Ok(site) => {
                let held_back = site.config.deploy.held_back;
                let result = if args.all && held_back {
                    Ok(Shipped::Skipped("held back"))
                } else if args.all
                    && !sitegen::manifest::path(&sitegen::site_output_dir(ws, &domain)).is_file()
                {
                    Ok(Shipped::Skipped("not built"))
                } else {
                    deploy::deploy(ws, &site, &opts).map(Shipped::Done)
                };
                (held_back, result)
            }
        };
        if args.json {
            results.push((domain, held_back, t.elapsed().as_millis(), result));
            continue;
        }
        // Lines as each site is done: a CI log shows how far it got.
        match result {
            Ok(Shipped::Skipped(why)) => {
                if !cli.quiet {
                    println!("skipped {domain}: {why}");
                }
            }
            Ok(Shipped::Done(d)) => {
                deployed += 1;
                print_deployed(cli, args, &domain, held_back, &d);
            }
            // One site: its error is the command's, printed once by main.
            Err(e) if args.domain.is_some() => return Err(e),
            Err(e) => {
                print_error(&e);
                failed.push(domain);
            }
        }
    }
    if args.json {
        return Ok(report_deploy(args, results, started));
    }
    if args.domain.is_some() {
        return Ok(ExitCode::SUCCESS);
    }
    if failed.is_empty() {
        if !cli.quiet {
            if args.dry_run {
                println!("{deployed} site(s) would be deployed");
            } else {
                println!("{deployed} site(s) deployed");
            }
        }
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: deploy failed: {}", failed.join(", "));
        Ok(ExitCode::FAILURE)
    }
}

fn nginx_text(n: &NginxOutcome) -> &'static str {
    match n {
        NginxOutcome::NotManaged => "not managed (nginx.conf_dir unset)",
        NginxOutcome::Unchanged => "unchanged",
        NginxOutcome::Installed => "installed, checked and reloaded",
        NginxOutcome::WouldInstall => "would be checked and installed if changed",
    }
}

/// The lines of one site's deploy (or dry run).
fn print_deployed(
    cli: &Cli,
    args: &DeployArgs,
    domain: &str,
    held_back: bool,
    d: &deploy::Deployed,
) {
    let nginx = nginx_text(&d.nginx);
    if args.dry_run {
        let held = if held_back {
            " (held back: deploying it needs --force)"
        } else {
            ""
        };
        if d.unchanged {
            println!(
                "dry run for {domain}{held}: release {} is already live; nginx config {nginx}",
                d.release
            );
        } else {
            println!(
                "dry run for {domain}{held}: {} file change(s) against {}; nginx config {nginx}",
                d.changes.len(),
                d.previous.as_deref().unwrap_or("an empty target")
            );
        }
        for line in &d.changes {
            println!("  {line}");
        }
    } else if !cli.quiet {
        if d.unchanged {
            println!(
                "{domain}: release {} is already live; nginx config {nginx}",
                d.release
            );
        } else {
            println!(
                "deployed {domain}: current → {} (was {}); nginx config {nginx}",
                d.release,
                d.previous.as_deref().unwrap_or("none")
            );
        }
        if !d.pruned.is_empty() {
            println!("pruned: {}", d.pruned.join(", "));
        }
    }
}

/// Prints the `deploy --json` report; failure if any site failed.
fn report_deploy(
    args: &DeployArgs,
    results: Vec<(String, bool, u128, Result<Shipped, Error>)>,
    started: Instant,
) -> ExitCode {
    let done = if args.dry_run {
        "would_deploy"
    } else {
        "deployed"
    };
    let mut counts = std::collections::BTreeMap::from([
        (done, 0),
        ("unchanged", 0),
        ("skipped", 0),
        ("failed", 0),
    ]);
    let mut sites = Vec::new();
    for (domain, _, duration_ms, result) in results {
        let mut r = DeployReport {
            domain,
            status: "failed",
            reason: None,
            release: None,
            previous: None,
            nginx: None,
            pruned: Vec::new(),
            changes: None,
            duration_ms,
            errors: Vec::new(),
        };
        match result {
            Ok(Shipped::Skipped(why)) => {
                r.status = "skipped";
                r.reason = Some(why);
            }
            Ok(Shipped::Done(d)) => {
                r.status = if d.unchanged { "unchanged" } else { done };
                r.nginx = Some(match d.nginx {
                    NginxOutcome::NotManaged => "not_managed",
                    NginxOutcome::Unchanged => "unchanged",
                    NginxOutcome::Installed => "installed",
                    NginxOutcome::WouldInstall => "would_install",
                });
                r.release = Some(d.release);
                r.previous = d.previous;
                r.pruned = d.pruned;
                if args.dry_run {
                    r.changes = Some(d.changes);
                }
            }
            Err(e) => {
                annotate_error(&e);
                r.errors.push(ErrorReport::of(&e));
            }
        }
        *counts.entry(r.status).or_default() += 1;
        sites.push(r);
    }
    let failed = counts["failed"];
    let mut report = serde_json::json!({
        "dry_run": args.dry_run,
        "sites": sites,
        "duration_ms": started.elapsed().as_millis(),
    });
    for (k, v) in counts {
        report[k] = v.into();
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("report serializes")
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The workspace sitegen works in (after `workspace_root`), for the code
/// frames of errors: only its sources are ever shown.
static WORKSPACE_ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Prints the error with its code frame (the lines of the file it names,
/// when that is one of the workspace's sources) and the causes its message
/// does not already say (most messages quote their cause: "cannot read: No
/// such file...").
fn print_error(err: &Error) {
    let text = err.to_string();
    let root = WORKSPACE_ROOT
        .get()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let report = sitegen::frame::report(err, Some(&root), colour_on_stderr());
    eprintln!("error: {report}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        let cause_text = sitegen::redact::redact(&cause_text);
        if !text.contains(&*cause_text) {
            eprintln!("  caused by: {cause_text}");
        }
        source = cause.source();
    }
    annotate_error(err);
}

/// `sitegen edge`: the daemon, or `edge status`.
fn edge(cli: &Cli, args: &EdgeArgs) -> Result<ExitCode, Error> {
    if let Some(EdgeAction::Status { listen }) = &args.action {
        return edge_status(*listen);
    }
    if args.targets.is_empty() {
        return Err(
            Error::config("sitegen edge needs the deploy targets to keep fresh")
                .hint("sitegen edge --listen 127.0.0.1:7433 /srv/www/<domain>..."),
        );
    }
    let secret = std::env::var("SITEGEN_EDGE_SECRET").unwrap_or_default();
    sitegen::redact::register(&secret);
    sitegen::edge::daemon::run(sitegen::edge::daemon::EdgeOptions {
        listen: args.listen,
        targets: args.targets.clone(),
        secret: secret.into_bytes(),
        reconcile: std::time::Duration::from_secs(args.reconcile_secs),
        clock: cli.clock.map_or_else(Clock::system, Clock::starting_at),
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `sitegen edge status`: one line per site from the daemon's health report.
fn edge_status(listen: std::net::SocketAddr) -> Result<ExitCode, Error> {
    let url = format!("http://{listen}/_sitegen/health");
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| Error::config(format!("cannot ask {listen}: {e}")))?;
    let body = client
        .get(&url)
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.bytes())
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).map_err(|e| e.to_string()))
        .map_err(|e| {
            Error::config(format!("no sitegen edge answers at {listen}: {e}"))
                .hint("is the daemon running? (systemctl status sitegen-edge)")
        })?;
    let mut failing = false;
    for s in body["sites"].as_array().into_iter().flatten() {
        let text = |k: &str| s[k].as_str().unwrap_or("-").to_string();
        let age = s["data_age_secs"]
            .as_u64()
            .map_or("never fetched".to_string(), |a| format!("data {a} s old"));
        let error = s["last_error"].as_str();
        failing |= error.is_some();
        println!(
            "{}  {}  live {}  {age}  {}",
            text("domain"),
            text("tenant"),
            text("live"),
            error.map_or("ok".to_string(), |e| format!("last error: {e}"))
        );
    }
    Ok(if failing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
