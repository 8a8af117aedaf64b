//! The sitegen binary: parse arguments, start logging, call the library,
//! print results and the error chain, set the exit code.

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

use sitegen::cli::{
    BuildArgs, CheckArgs, Cli, Command, DeployArgs, DomainArg, EdgeAction, EdgeArgs, FetchArgs,
    NewArgs, RollbackArgs, ServeArgs,
};
use sitegen::clock::Clock;
use sitegen::deploy::{self, NginxOutcome};
use sitegen::{BuildOptions, Error, Outcome, Workspace};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(err) = init_logging(&cli) {
        print_error(&cli, &err);
        return ExitCode::FAILURE;
    }
    match run(&cli) {
        Ok(code) => code,
        Err(err) => {
            print_error(&cli, &err);
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
        Ok(spec) if !spec.trim().is_empty() => tracing_subscriber::EnvFilter::try_new(&spec)
            .map_err(|e| {
                Error::config(format!("SITEGEN_LOG={spec:?} is not a log filter: {e}"))
                    .hint("for example SITEGEN_LOG=debug or SITEGEN_LOG=sitegen=debug,warn")
            })?,
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
    let ws = Workspace::open(&cli.root, cli.out.as_deref())?;
    match &cli.command {
        Command::Build(args) => Ok(build(cli, &ws, args)),
        Command::List => list(&ws),
        Command::Fetch(args) => fetch(cli, &ws, args),
        Command::Deploy(args) => deploy_site(cli, &ws, args),
        Command::Rollback(args) => rollback(cli, &ws, args),
        Command::Releases(args) => releases(&ws, args),
        Command::Check(args) => check(cli, &ws, args),
        Command::New(args) => new(&ws, args),
        Command::Serve(args) => serve(cli, ws, args),
        Command::Edge(_) => unreachable!("handled before the workspace is opened"),
    }
}

/// `sitegen check`: findings per site; fails if any site has an error.
fn check(cli: &Cli, ws: &Workspace, args: &CheckArgs) -> Result<ExitCode, Error> {
    let domains = if args.all {
        ws.domains()?
    } else {
        args.domains.clone()
    };
    let opts = sitegen::check::CheckOptions {
        external: args.external,
        strict: args.strict,
        now: cli.clock,
    };
    let mut failed = Vec::new();
    for domain in &domains {
        let result = ws
            .load_site(domain)
            .and_then(|site| sitegen::check::check_site(ws, &site, &opts));
        match result {
            Ok(findings) => {
                for f in &findings {
                    println!("{f}");
                }
                let errors = findings.iter().filter(|f| f.error).count();
                if !cli.quiet || errors > 0 {
                    println!(
                        "check {domain}: {errors} error(s), {} warning(s)",
                        findings.len() - errors
                    );
                }
                if errors > 0 {
                    failed.push(domain.clone());
                }
            }
            Err(e) => {
                print_error(cli, &e);
                failed.push(domain.clone());
            }
        }
    }
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: check failed: {}", failed.join(", "));
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
    match &created.built {
        Ok(pages) => println!("it builds: {pages} pages"),
        Err(why) => println!("it cannot build yet, the tenant's data is not here: {why}"),
    }
    println!(
        "next:\n  1. DNS: point {d} and www.{d} (and any aliases) at the web server\n  2. sitegen fetch {d}        # the tenant's public platform data\n  3. sitegen serve {d}        # write the brand copy in content/{d}/, watch it live\n  4. certbot certonly --webroot (docs/deploy.md), set deploy.held_back: false, then sitegen build {d} && sitegen deploy {d}"
    );
    Ok(ExitCode::SUCCESS)
}

/// `sitegen serve`: the watch-mode preview until interrupted.
fn serve(cli: &Cli, ws: Workspace, args: &ServeArgs) -> Result<ExitCode, Error> {
    let domains = if args.domains.is_empty() {
        ws.domains()?
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

/// `sitegen releases`: the target's releases, the live one starred.
fn releases(ws: &Workspace, args: &DomainArg) -> Result<ExitCode, Error> {
    let site = ws.load_site(&args.domain)?;
    let (current, releases) = deploy::releases(&site)?;
    for r in releases {
        let mark = if Some(&r) == current.as_ref() {
            "*"
        } else {
            " "
        };
        println!("{mark} {r}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `sitegen list`: one line per site.
fn list(ws: &Workspace) -> Result<ExitCode, Error> {
    for domain in ws.domains()? {
        let site = ws.load_site(&domain)?;
        let c = &site.config;
        println!(
            "{:<28} {:<14} {:<24} {}",
            c.domain, c.kind, c.tenant, c.theme
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
    let mut domains = if args.all || args.shard.is_some() && args.domains.is_empty() {
        match ws.domains() {
            Ok(d) => d,
            Err(e) => {
                print_error(cli, &e);
                return ExitCode::FAILURE;
            }
        }
    } else {
        args.domains.clone()
    };
    if let Some((i, n)) = args.shard {
        domains.retain(|d| sitegen::inputs::in_shard(d, i, n));
    }
    let opts = BuildOptions {
        drafts: args.drafts,
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
                if !args.json {
                    for w in &r.warnings {
                        eprintln!("warning: {domain}: {w}");
                    }
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
                if !args.json {
                    for w in warnings {
                        eprintln!("warning: {domain}: {w}");
                    }
                }
                reports.push(SiteReport {
                    warnings: warnings.clone(),
                    ..SiteReport::new(domain, "unchanged", t.elapsed().as_millis())
                });
            }
            Err(e) => {
                if !args.json {
                    print_error(cli, e);
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

fn deploy_all(cli: &Cli, ws: &Workspace) -> Result<ExitCode, Error> {
    let mut failed = Vec::new();
    let mut deployed = 0;
    for domain in ws.domains()? {
        let site = match ws.load_site(&domain) {
            Ok(s) => s,
            Err(e) => {
                print_error(cli, &e);
                failed.push(domain);
                continue;
            }
        };
        if site.config.deploy.held_back {
            if !cli.quiet {
                println!("skipped {domain}: held back");
            }
            continue;
        }
        if !sitegen::manifest::path(&sitegen::site_output_dir(ws, &domain)).is_file() {
            if !cli.quiet {
                println!("skipped {domain}: not built");
            }
            continue;
        }
        let opts = deploy::DeployOptions::default();
        match deploy::deploy(ws, &site, &opts) {
            Ok(d) => {
                deployed += 1;
                if !cli.quiet {
                    if d.unchanged {
                        println!("{domain}: release {} is already live", d.release);
                    } else {
                        println!("deployed {domain}: current → {}", d.release);
                    }
                }
            }
            Err(e) => {
                print_error(cli, &e);
                failed.push(domain);
            }
        }
    }
    if failed.is_empty() {
        if !cli.quiet {
            println!("{deployed} site(s) deployed");
        }
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: deploy failed: {}", failed.join(", "));
        Ok(ExitCode::FAILURE)
    }
}

fn deploy_site(cli: &Cli, ws: &Workspace, args: &DeployArgs) -> Result<ExitCode, Error> {
    let Some(domain) = &args.domain else {
        return deploy_all(cli, ws);
    };
    let site = ws.load_site(domain)?;
    let opts = deploy::DeployOptions {
        force: args.force,
        dry_run: args.dry_run,
    };
    let d = deploy::deploy(ws, &site, &opts)?;
    let nginx = match d.nginx {
        NginxOutcome::NotManaged => "not managed (nginx.conf_dir unset)",
        NginxOutcome::Unchanged => "unchanged",
        NginxOutcome::Installed => "installed, checked and reloaded",
        NginxOutcome::WouldInstall => "would be checked and installed if changed",
    };
    if args.dry_run {
        println!(
            "dry run for {}: {} file change(s) against {}; nginx config {nginx}",
            domain,
            d.changes.len(),
            d.previous.as_deref().unwrap_or("an empty target")
        );
        for line in &d.changes {
            println!("  {line}");
        }
    } else if !cli.quiet {
        if d.unchanged {
            println!(
                "{}: release {} is already live; nginx config {nginx}",
                domain, d.release
            );
        } else {
            println!(
                "deployed {}: current → {} (was {}); nginx config {nginx}",
                domain,
                d.release,
                d.previous.as_deref().unwrap_or("none")
            );
        }
        if !d.pruned.is_empty() {
            println!("pruned: {}", d.pruned.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the error with its code frame (the lines of the file it names,
/// when that is one of the workspace's sources) and the causes its message
/// does not already say (most messages quote their cause: "cannot read: No
/// such file...").
fn print_error(cli: &Cli, err: &Error) {
    let text = err.to_string();
    let report = sitegen::frame::report(err, Some(&cli.root), colour_on_stderr());
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
