//! Deploy: ships a finished bundle as a new release and switches to it
//! atomically; rollback; release listing.
//!
//! Layout on the target (`deploy.target`, local or `user@host:/path`):
//!
//! ```text
//! <root>/releases/<UTC time>-<manifest hash>/   one finished bundle each
//! <root>/current -> releases/<id>                 what nginx serves
//! ```
//!
//! Steps: rsync into `releases/<id>.partial/` (checksums, no preserved
//! times, hard links to unchanged files of the live release), carry over the
//! live release's fingerprinted assets that the new one dropped (pages open in
//! browsers keep working), rename to `releases/<id>`, install the nginx config
//! if it changed (checked with `nginx -t`; restored on failure), switch
//! `current` with `ln -s` + `mv -T` (one rename), reload nginx, prune. Until
//! the switch nothing visitors see has changed, so a failure anywhere before
//! it (rsync killed, disk full, ssh gone) leaves the old release live.
//!
//! Local and ssh targets run the same shell steps; only the transport differs.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::assets::sha256_hex;
use crate::config::{Site, Workspace};
use crate::error::{Error, Location, Result};
use crate::fsutil;
use crate::nginx;

/// Program names, overridable for operators (and tests) through the environment.
fn program(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// `'…'` for sh; every value we pass was validated, this is belt and braces.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Where releases go and how to run commands there.
pub struct Target {
    /// `user@host` for ssh targets.
    login: Option<String>,
    /// The site's folder on the target (holds releases/ and current).
    root: String,
    /// As written in site.yaml, for messages.
    pub display: String,
}

impl Target {
    pub fn of(site: &Site) -> Result<Target> {
        let t = site.config.deploy.target.as_ref().ok_or_else(|| {
            Error::config(format!("{} has no deploy.target", site.domain()))
                .at(site.key_location("deploy.target"))
                .hint("set deploy.target to a path or user@host:/path")
        })?;
        let (login, root) = match t.split_once(':') {
            Some((login, path)) if !t.starts_with('/') => (Some(login.to_string()), path),
            _ => (None, t.as_str()),
        };
        Ok(Target {
            login,
            root: root.trim_end_matches('/').to_string(),
            display: t.to_string(),
        })
    }

    /// Runs a shell script on the target; its stdout, or an error with stderr.
    fn sh(&self, what: &str, script: &str) -> Result<String> {
        let mut cmd = match &self.login {
            None => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(script);
                c
            }
            Some(login) => {
                let mut c = Command::new(program("SITEGEN_SSH", "ssh"));
                c.args(["-o", "BatchMode=yes", "--", login, script]);
                c
            }
        };
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::deploy(format!("{what}: cannot run the shell: {e}")))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(Error::deploy(format!(
                "{what} failed on {}: {}",
                self.display,
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    /// An rsync destination for a path on the target.
    fn rsync_dest(&self, path: &str) -> String {
        match &self.login {
            Some(login) => format!("{login}:{path}"),
            None => path.to_string(),
        }
    }

    fn releases_dir(&self) -> String {
        format!("{}/releases", self.root)
    }

    /// The live release and every finished release, oldest first.
    pub fn state(&self) -> Result<(Option<String>, Vec<String>)> {
        let out = self.sh(
            "reading the releases",
            &format!(
                "mkdir -p {r} && cd {root} && (readlink current || true) && echo --- && ls -1 releases",
                r = q(&self.releases_dir()),
                root = q(&self.root)
            ),
        )?;
        let (current, list) = out.split_once("---\n").unwrap_or((&out, ""));
        let current = current
            .trim()
            .strip_prefix("releases/")
            .map(str::to_string)
            .filter(|c| !c.is_empty());
        let mut releases: Vec<String> = list
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.ends_with(".partial"))
            .map(str::to_string)
            .collect();
        releases.sort();
        Ok((current, releases))
    }

    /// Points `current` at `releases/<id>` with one rename.
    fn switch(&self, id: &str) -> Result<()> {
        self.sh(
            "switching current",
            &format!(
                "cd {root} && test -d {rel} && ln -sfn {rel} current.tmp && mv -T current.tmp current",
                root = q(&self.root),
                rel = q(&format!("releases/{id}"))
            ),
        )
        .map(drop)
    }
}

/// What `deploy` did.
#[derive(Debug)]
pub struct Deployed {
    pub release: String,
    /// The release was already live: nothing was copied or switched.
    pub unchanged: bool,
    pub previous: Option<String>,
    pub nginx: NginxOutcome,
    pub pruned: Vec<String>,
    /// `--dry-run`: what rsync would change, one itemized line per file.
    pub changes: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum NginxOutcome {
    /// `nginx.conf_dir` is not set: the operator installs it.
    NotManaged,
    Unchanged,
    Installed,
    WouldInstall,
}

pub struct DeployOptions {
    pub force: bool,
    pub dry_run: bool,
}

/// The finished bundle in `dist/<domain>/`: every file the manifest lists,
/// with its size and hash, and nothing else. Returns the manifest's hash.
fn check_bundle(dir: &Path, domain: &str) -> Result<String> {
    let manifest_path = dir.join("manifest.json");
    if !manifest_path.is_file() {
        return Err(Error::deploy(format!(
            "{} has no finished build of {domain}",
            dir.display()
        ))
        .hint(format!("run `sitegen build {domain}` first; only a finished bundle with its manifest can be deployed")));
    }
    let text = fsutil::read(&manifest_path)?;
    let manifest: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
        Error::deploy(format!("unreadable manifest: {e}")).at(Location::file(&manifest_path))
    })?;
    let public = dir.join("public");
    let mut listed = BTreeSet::new();
    for f in manifest["files"].as_array().into_iter().flatten() {
        let path = f["path"].as_str().unwrap_or_default();
        crate::bundle::check_bundle_path(path)?;
        let bytes = std::fs::read(public.join(path)).map_err(|_| {
            Error::deploy(format!("{path} is in the manifest but not in the bundle"))
                .at(Location::file(&manifest_path))
                .hint("the bundle was changed after the build; rebuild it")
        })?;
        if f["sha256"].as_str() != Some(sha256_hex(&bytes).as_str()) {
            return Err(Error::deploy(format!("{path} differs from the manifest"))
                .at(Location::file(&manifest_path))
                .hint("the bundle was changed after the build; rebuild it"));
        }
        listed.insert(path.to_string());
    }
    for entry in walkdir::WalkDir::new(&public) {
        let entry = entry.map_err(|e| Error::io(&public, "walk the bundle", e.into()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(&public)
            .expect("inside")
            .to_string_lossy()
            .replace('\\', "/");
        if !entry.file_type().is_file() || !listed.contains(&rel) {
            return Err(
                Error::deploy(format!("{rel} is in the bundle but not in the manifest"))
                    .at(Location::file(&manifest_path))
                    .hint("the bundle was changed after the build; rebuild it"),
            );
        }
    }
    Ok(sha256_hex(&text))
}

fn release_id(manifest_hash: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    // Milliseconds, so two deploys in one second still sort in the order
    // they happened (pruning and rollback go by name).
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}{:03}Z-{}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond(),
        &manifest_hash[..10]
    )
}

fn hash_of(release: &str) -> &str {
    release.rsplit('-').next().unwrap_or("")
}

fn rsync(args: &[String]) -> Result<String> {
    let prog = program("SITEGEN_RSYNC", "rsync");
    let out = Command::new(&prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::deploy(format!("cannot run {prog}: {e}")).hint("install rsync"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let why = match out.status.code() {
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".into(),
        };
        Err(Error::deploy(format!(
            "rsync failed ({why}): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Deploys the finished bundle of `site`.
pub fn deploy(ws: &Workspace, site: &Site, opts: &DeployOptions) -> Result<Deployed> {
    let domain = site.domain();
    if site.config.deploy.held_back && !opts.force {
        return Err(Error::deploy(format!("{domain} is held back"))
            .at(site.key_location("deploy.held_back"))
            .hint("set held_back: false, or pass --force to deploy it anyway"));
    }
    let dist = crate::site_output_dir(ws, domain);
    let manifest_hash = check_bundle(&dist, domain)?;
    let target = Target::of(site)?;
    let (current, releases) = target.state()?;
    let public = format!("{}/", dist.join("public").display());

    if opts.dry_run {
        let compare = match &current {
            Some(c) => format!("{}/{c}/", target.releases_dir()),
            None => format!("{}/.dry-run-empty/", target.releases_dir()),
        };
        let out = rsync(&[
            "-rcn".into(),
            "--delete".into(),
            "--itemize-changes".into(),
            "--exclude=/.sitegen-manifest.json".into(),
            public,
            target.rsync_dest(&compare),
        ])?;
        let nginx = match &ws.config.nginx.conf_dir {
            None => NginxOutcome::NotManaged,
            Some(_) => NginxOutcome::WouldInstall,
        };
        return Ok(Deployed {
            release: release_id(&manifest_hash),
            unchanged: current.as_deref().map(hash_of) == Some(&manifest_hash[..10]),
            previous: current,
            nginx,
            pruned: Vec::new(),
            changes: out.lines().map(str::to_string).collect(),
        });
    }

    let unchanged = current.as_deref().map(hash_of) == Some(&manifest_hash[..10]);
    let release = if unchanged {
        current.clone().expect("unchanged implies a live release")
    } else {
        let id = release_id(&manifest_hash);
        let partial = format!("{}/{id}.partial", target.releases_dir());
        let mut args: Vec<String> = vec![
            "-r".into(),
            "--checksum".into(),
            "--delete".into(),
            "--chmod=D755,F644".into(),
        ];
        if let Some(c) = &current {
            args.push(format!("--link-dest={}/{c}", target.releases_dir()));
        }
        args.push(public);
        args.push(format!("{}/", target.rsync_dest(&partial)));
        if let Err(e) = rsync(&args) {
            let _ = target.sh("cleaning up", &format!("rm -rf {}", q(&partial)));
            return Err(e.hint("the live release was not touched"));
        }
        // The manifest goes along (a dotfile: nginx does not serve it), so the
        // next deploy knows which assets this release published.
        let manifest = dist.join("manifest.json");
        rsync(&[
            "--checksum".into(),
            manifest.display().to_string(),
            target.rsync_dest(&format!("{partial}/.sitegen-manifest.json")),
        ])?;
        if let Some(c) = &current {
            carry_assets(&target, c, &partial, &dist)?;
        }
        target.sh(
            "finishing the release",
            &format!(
                "mv -T {} {}",
                q(&partial),
                q(&format!("{}/{id}", target.releases_dir()))
            ),
        )?;
        id
    };

    let nginx = install_nginx(ws, site, &target, &dist)?;
    if !unchanged {
        target.switch(&release)?;
    }
    if nginx == NginxOutcome::Installed {
        let reload: Vec<String> = ws
            .config
            .nginx
            .reload_command
            .iter()
            .map(|a| q(a))
            .collect();
        target.sh("reloading nginx", &reload.join(" "))?;
    }
    let pruned = prune(
        &target,
        site.config.deploy.keep_releases.max(1) as usize,
        &release,
        &releases,
    )?;
    Ok(Deployed {
        release,
        unchanged,
        previous: current,
        nginx,
        pruned,
        changes: Vec::new(),
    })
}

/// Hard-links into the new release the fingerprinted assets the live release
/// published (per its manifest) and the new one does not have.
fn carry_assets(target: &Target, live: &str, partial: &str, dist: &Path) -> Result<()> {
    let live_dir = format!("{}/{live}", target.releases_dir());
    let text = target.sh(
        "reading the live manifest",
        &format!(
            "cat {} 2>/dev/null || true",
            q(&format!("{live_dir}/.sitegen-manifest.json"))
        ),
    )?;
    let Ok(old) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(());
    };
    let new: serde_json::Value =
        serde_json::from_slice(&fsutil::read(&dist.join("manifest.json"))?)
            .map_err(|e| Error::deploy(format!("unreadable manifest: {e}")))?;
    let have: BTreeSet<&str> = new["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["path"].as_str())
        .collect();
    let carry: Vec<String> = old["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["path"].as_str())
        .filter(|p| p.starts_with("assets/") && !have.contains(p))
        .filter(|p| crate::bundle::check_bundle_path(p).is_ok())
        .map(q)
        .collect();
    if carry.is_empty() {
        return Ok(());
    }
    target
        .sh(
            "keeping the previous release's assets",
            &format!(
                "cd {} && cp -l -n --parents {} {}/",
                q(&live_dir),
                carry.join(" "),
                q(partial)
            ),
        )
        .map(drop)
}

/// Installs the site's nginx config and the shared snippet where they
/// changed, then runs the configured check; on failure puts the old files
/// back and fails.
fn install_nginx(
    ws: &Workspace,
    site: &Site,
    target: &Target,
    dist: &Path,
) -> Result<NginxOutcome> {
    let Some(conf_dir) = &ws.config.nginx.conf_dir else {
        return Ok(NginxOutcome::NotManaged);
    };
    let files = [
        (
            dist.join(format!("nginx/{}.conf", site.domain())),
            format!("{}.conf", site.domain()),
        ),
        (
            dist.join(format!("nginx/{}", nginx::SNIPPET)),
            nginx::SNIPPET.to_string(),
        ),
    ];
    // Stage the new files beside the live ones, then swap only those that differ.
    for (local, name) in &files {
        if !local.is_file() {
            return Err(Error::deploy(format!("{} is missing", local.display()))
                .hint("rebuild the site; builds write the nginx config"));
        }
        rsync(&[
            "--checksum".into(),
            "--chmod=F644".into(),
            local.display().to_string(),
            target.rsync_dest(&format!("{conf_dir}/.{name}.sitegen-new")),
        ])?;
    }
    // Each file that differs is swapped in (the old one kept as a backup);
    // if the check fails, exactly those files are put back.
    let mut script = format!("set -e; cd {}; changed=0\n", q(conf_dir));
    for (i, (_, name)) in files.iter().enumerate() {
        let (new, live, bak) = (
            q(&format!(".{name}.sitegen-new")),
            q(name),
            q(&format!(".{name}.sitegen-old")),
        );
        script.push_str(&format!(
            "c{i}=0; rm -f {bak}\nif cmp -s {new} {live}; then rm -f {new}; else if [ -e {live} ]; then cp -p {live} {bak}; fi; mv -f {new} {live}; c{i}=1; changed=1; fi\n"
        ));
    }
    let test: Vec<String> = ws.config.nginx.test_command.iter().map(|a| q(a)).collect();
    let log = "/tmp/.sitegen-nginx-test.$$";
    script.push_str("if [ $changed = 0 ]; then echo unchanged; exit 0; fi\n");
    script.push_str(&format!(
        "if {} >{log} 2>&1; then rm -f {log}; echo installed; exit 0; fi\n",
        test.join(" ")
    ));
    for (i, (_, name)) in files.iter().enumerate() {
        let (live, bak) = (q(name), q(&format!(".{name}.sitegen-old")));
        script.push_str(&format!(
            "if [ $c{i} = 1 ]; then if [ -e {bak} ]; then mv -f {bak} {live}; else rm -f {live}; fi; fi\n"
        ));
    }
    script.push_str(&format!("cat {log} >&2; rm -f {log}; exit 1\n"));
    let out = target
        .sh("installing the nginx config", &script)
        .map_err(|e| {
            Error::deploy(format!(
                "the nginx config check failed; the previous config was kept: {}",
                e.message
            ))
            .hint("the live release was not switched; fix the config and deploy again")
        })?;
    Ok(if out.trim() == "installed" {
        NginxOutcome::Installed
    } else {
        NginxOutcome::Unchanged
    })
}

/// Removes all but the newest `keep` releases, never the live one, and any
/// `.partial` left by an interrupted deploy.
fn prune(target: &Target, keep: usize, live: &str, before: &[String]) -> Result<Vec<String>> {
    let mut all: Vec<String> = before.to_vec();
    if !all.iter().any(|r| r == live) {
        all.push(live.to_string());
    }
    all.sort();
    let cut = all.len().saturating_sub(keep);
    let doomed: Vec<String> = all[..cut].iter().filter(|r| *r != live).cloned().collect();
    let mut script = format!("cd {} && rm -rf ./*.partial", q(&target.releases_dir()));
    for r in &doomed {
        script.push_str(&format!(" {}", q(r)));
    }
    target.sh("pruning old releases", &script)?;
    Ok(doomed)
}

/// Points `current` at the release before the live one, or at `to`.
pub fn rollback(site: &Site, to: Option<&str>) -> Result<(Option<String>, String)> {
    let target = Target::of(site)?;
    let (current, releases) = target.state()?;
    let choice = match to {
        Some(name) => releases
            .iter()
            .find(|r| *r == name)
            .cloned()
            .ok_or_else(|| {
                Error::deploy(format!("{} has no release {name}", target.display))
                    .hint(format!("`sitegen releases {}` lists them", site.domain()))
            })?,
        None => {
            let live = current.as_deref().ok_or_else(|| {
                Error::deploy(format!(
                    "{} has no live release to roll back from",
                    target.display
                ))
            })?;
            releases
                .iter()
                .rfind(|r| r.as_str() < live)
                .cloned()
                .ok_or_else(|| {
                    Error::deploy(format!(
                        "no release older than {live} on {}",
                        target.display
                    ))
                })?
        }
    };
    target.switch(&choice)?;
    Ok((current, choice))
}

/// Releases on the target, oldest first, and which one is live.
pub fn releases(site: &Site) -> Result<(Option<String>, Vec<String>)> {
    Target::of(site)?.state()
}
