//! The sitegen binary: parse arguments, start logging, call the library,
//! print results and the error chain, set the exit code.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use rayon::prelude::*;

use sitegen::cli::{BuildArgs, Cli, Command, DeployArgs, FetchArgs};
use sitegen::deploy::{self, NginxOutcome};
use sitegen::{BuildOptions, BuildReport, Error, Workspace};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    match run(&cli) {
        Ok(code) => code,
        Err(err) => {
            print_error(&err);
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cli: &Cli) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SITEGEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .init();
}

fn run(cli: &Cli) -> Result<ExitCode, Error> {
    let ws = Workspace::open(&cli.root, cli.out.as_deref())?;
    match &cli.command {
        Command::Build(args) => Ok(build(cli, &ws, args)),
        Command::Fetch(args) => fetch(cli, &ws, args),
        Command::Deploy(args) => deploy_site(cli, &ws, args),
        Command::Serve(args) => {
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
            };
            sitegen::serve::serve(ws, opts)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rollback(args) => {
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
        Command::Releases(args) => {
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
        Command::List => {
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
    }
}

fn build(cli: &Cli, ws: &Workspace, args: &BuildArgs) -> ExitCode {
    let domains = if args.all {
        match ws.domains() {
            Ok(d) => d,
            Err(e) => {
                print_error(&e);
                return ExitCode::FAILURE;
            }
        }
    } else {
        args.domains.clone()
    };
    let opts = BuildOptions {
        drafts: args.drafts,
        fetch: args.fetch_mode(),
        strict: args.strict,
        ..Default::default()
    };
    let started = Instant::now();
    let results: Vec<(String, Result<BuildReport, Error>)> = domains
        .par_iter()
        .map(|d| (d.clone(), sitegen::build_and_write(ws, d, &opts)))
        .collect();
    let mut failed = Vec::new();
    for (domain, result) in &results {
        match result {
            Ok(r) => {
                if !cli.quiet {
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
                    eprintln!("warning: {domain}: {w}");
                }
            }
            Err(e) => {
                print_error(e);
                failed.push(domain.as_str());
            }
        }
    }
    if results.len() > 1 && !cli.quiet {
        println!(
            "{} of {} sites built in {} ms",
            results.len() - failed.len(),
            results.len(),
            started.elapsed().as_millis()
        );
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "error: {} failed: {}",
            if failed.len() == 1 { "build" } else { "builds" },
            failed.join(", ")
        );
        ExitCode::FAILURE
    }
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

fn deploy_site(cli: &Cli, ws: &Workspace, args: &DeployArgs) -> Result<ExitCode, Error> {
    let site = ws.load_site(&args.domain)?;
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
            args.domain,
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
                args.domain, d.release
            );
        } else {
            println!(
                "deployed {}: current → {} (was {}); nginx config {nginx}",
                args.domain,
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

/// Prints the error and its causes once.
fn print_error(err: &Error) {
    eprintln!("error: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
}
