//! Deploy: ships a finished bundle as a new release and switches to it
//! atomically; rollback; release listing.
//!
//! Layout on the target (`deploy.target`, local or `user@host:/path`):
//!
//! ```text
//! <root>/releases/<UTC time>-<manifest hash>/   one finished bundle each
//! <root>/current -> releases/<id>                 what nginx serves
//! <root>/.live-history                            every release that has been live
//! <root>/.deploy.lock                             flock(1) lock of deploy and rollback
//! ```
//!
//! Steps, all under the target's lock: rsync into `releases/<id>.partial/`
//! (checksums, no preserved times, hard links to unchanged files of the live
//! release), carry over the live release's fingerprinted assets that the new
//! one dropped (pages open in browsers keep working), install the nginx
//! config if it changed (checked with `nginx -t`; restored on failure, and
//! the release is deleted), rename to `releases/<id>`, switch `current` with
//! `ln -s` + `mv -T` (one rename) and record it in `.live-history`, reload
//! nginx, prune. Until the switch nothing visitors see has changed, so a
//! failure anywhere before it (rsync killed, disk full, ssh gone) leaves the
//! old release live. Rollback only goes to a release that was live before.
//!
//! The lock is one long-lived `flock` child on the target (local `sh`, or
//! over ssh) whose stdin this process holds open: it is held across write,
//! switch and prune, and released when the deploy ends or dies. Installing
//! into the shared `nginx.conf_dir` takes a second lock there, always after
//! the site's, so deploys of different sites to one web server take turns.
//!
//! Local and ssh targets run the same shell steps; only the transport differs.
//! Reads `dist/` only; the nginx config it ships must be the one the current
//! settings generate (else: rebuild).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use crate::bundle::Bundle;
use crate::config::{Site, Workspace};
use crate::digest::sha256_hex;
use crate::error::{Error, Location, Result};
use crate::fsutil;
use crate::manifest::{self, Manifest};
use crate::nginx;

/// How long a deploy or rollback waits for another one's lock, unless
/// `SITEGEN_LOCK_TIMEOUT` (seconds) says otherwise.
const LOCK_WAIT_SECS: u64 = 600;

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

/// Splits a command line the way rsync splits its `-e` value: words
/// separated by spaces, single or double quotes keep spaces in a word. So
/// `SITEGEN_SSH="ssh -i key -p 2222"` means the same to sitegen and to rsync.
fn split_command(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for ch in s.chars() {
        match quote {
            Some(qc) if ch == qc => quote = None,
            Some(_) => word.push(ch),
            None if ch == '\'' || ch == '"' => {
                quote = Some(ch);
                in_word = true;
            }
            None if ch == ' ' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(ch);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The ssh command (`SITEGEN_SSH`, default `ssh`) with the options every
/// connection needs, as rsync's `-e` value.
fn ssh_command() -> String {
    format!("{} -o BatchMode=yes", program("SITEGEN_SSH", "ssh"))
}

/// Seconds to wait for a lock.
fn lock_wait() -> Result<u64> {
    match std::env::var("SITEGEN_LOCK_TIMEOUT") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| {
            Error::deploy(format!(
                "SITEGEN_LOCK_TIMEOUT is {v:?}, not a number of seconds"
            ))
        }),
        _ => Ok(LOCK_WAIT_SECS),
    }
}

/// A release's manifest, beside its pages (a dotfile: nginx serves none).
pub const RELEASE_MANIFEST: &str = ".sitegen-manifest.json";

/// Where releases go and how to run commands there.
pub struct Target {
    /// `user@host` for ssh targets.
    login: Option<String>,
    /// The site's folder on the target (holds releases/ and current).
    root: String,
    /// As written in site.yaml, for messages.
    pub display: String,
}

/// What is on the target, read under its lock.
struct State {
    /// The release `current` points at.
    current: Option<String>,
    /// Finished releases (not `.partial`), oldest first.
    releases: Vec<String>,
    /// Releases that have been live (`.live-history`, and `current`).
    live: BTreeSet<String>,
    /// What the live release holds, when asked for.
    live_release: Option<LiveRelease>,
}

/// What the live release holds: its manifest (None if unreadable: an older
/// sitegen, a hand-made release) and whether it has the edge's folder.
struct LiveRelease {
    edge: bool,
    manifest: Option<Manifest>,
}

impl State {
    /// Whether `release` has been live (a rollback target).
    fn was_live(&self, release: &str) -> bool {
        self.live.contains(release) || self.current.as_deref() == Some(release)
    }

    /// Whether the live release is already the build that `manifest`
    /// describes (`edge`: that build carries the edge's folder), so a deploy
    /// has nothing to ship. The pages decide, not the manifest's bytes: a
    /// rebuild after an edit that changed no output (a comment, a setting
    /// of deploy), by another sitegen version or with another `--clock` is
    /// the same release. With the edge's folder the inputs must match too,
    /// as those are the sources the edge renders from.
    fn is_live(&self, manifest: &Manifest, manifest_hash: &str, edge: bool) -> bool {
        let Some(current) = &self.current else {
            return false;
        };
        match self.live_release.as_ref() {
            Some(LiveRelease {
                edge: live_edge,
                manifest: Some(live),
            }) => same_release(live, *live_edge, manifest, edge),
            // No readable manifest: only its name can tell.
            _ => hash_of(current) == &manifest_hash[..10],
        }
    }
}

/// See `State::is_live`.
fn same_release(live: &Manifest, live_edge: bool, new: &Manifest, new_edge: bool) -> bool {
    live.domain == new.domain
        && live.files == new.files
        && live.next_change == new.next_change
        && live.aliases == new.aliases
        && live_edge == new_edge
        && (!new_edge || live.inputs == new.inputs)
}

enum LockMode {
    /// `flock -x`, creating the folder and the file.
    Exclusive,
    /// `flock -s` if the file is there; nothing otherwise.
    SharedIfPresent,
}

/// An exclusive lock on a file of the target, held by a `flock` child there
/// for as long as this value lives. Dropping it (or this process dying)
/// closes the child's stdin, which ends it and releases the lock.
struct Lock {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Drop for Lock {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
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

    /// The site's folder on the target's host (the path of `user@host:/path`).
    pub fn root(&self) -> &str {
        &self.root
    }

    /// A command that runs `script` with sh on the target.
    fn command(&self, script: &str) -> Command {
        match &self.login {
            None => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(script);
                c
            }
            Some(login) => {
                let words = split_command(&ssh_command());
                let mut c = Command::new(&words[0]);
                // The login shell of the deploy user runs what ssh sends;
                // `sh -c` makes it sh whatever that shell is.
                c.args(&words[1..])
                    .args(["--", login])
                    .arg(format!("sh -c {}", q(script)));
                c
            }
        }
    }

    /// Runs a shell script on the target; its stdout, or an error with stderr.
    fn sh(&self, what: &str, script: &str) -> Result<String> {
        let out = self
            .command(script)
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

    /// Runs rsync to this target: over `SITEGEN_SSH` for ssh targets.
    fn rsync(&self, args: &[String]) -> Result<String> {
        let prog = program("SITEGEN_RSYNC", "rsync");
        let mut cmd = Command::new(&prog);
        if self.login.is_some() {
            cmd.arg("-e").arg(ssh_command());
        }
        let out =
            cmd.args(args).stdin(Stdio::null()).output().map_err(|e| {
                Error::deploy(format!("cannot run {prog}: {e}")).hint("install rsync")
            })?;
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

    fn releases_dir(&self) -> String {
        format!("{}/releases", self.root)
    }

    /// The lock of this site's releases: deploy and rollback hold it from
    /// their first read of the target to their last change.
    fn lock_site(&self) -> Result<Lock> {
        self.lock(
            &self.root,
            ".deploy.lock",
            &format!("another deploy or rollback of {}", self.display),
        )
    }

    /// The site's lock shared, for a look that changes nothing (`deploy
    /// --dry-run`): it waits for a deploy or rollback under way, and none
    /// waits for it long. On a target without the lock file (nothing
    /// deployed yet) there is nothing to wait for: None, and no file or
    /// folder is created.
    fn lock_site_shared(&self) -> Result<Option<Lock>> {
        self.take_lock(
            LockMode::SharedIfPresent,
            &self.root,
            ".deploy.lock",
            &format!("a deploy or rollback of {}", self.display),
        )
    }

    /// Takes `<dir>/<name>` with `flock -x` on the target (creating both),
    /// waiting (bounded) while `holder` has it.
    fn lock(&self, dir: &str, name: &str, holder: &str) -> Result<Lock> {
        Ok(self
            .take_lock(LockMode::Exclusive, dir, name, holder)?
            .expect("an exclusive lock is always taken"))
    }

    fn take_lock(
        &self,
        mode: LockMode,
        dir: &str,
        name: &str,
        holder: &str,
    ) -> Result<Option<Lock>> {
        let file = format!("{dir}/{name}");
        let on = match &self.login {
            Some(login) => format!(" on {login}"),
            None => String::new(),
        };
        let wait = lock_wait()?;
        let (open, flag) = match mode {
            LockMode::Exclusive => (
                format!("mkdir -p {} && exec 9>>{f} || exit 2", q(dir), f = q(&file)),
                "",
            ),
            LockMode::SharedIfPresent => (
                format!(
                    "[ -e {f} ] || {{ echo absent; exit 0; }}\nexec 9<{f} || exit 2",
                    f = q(&file)
                ),
                " -s",
            ),
        };
        let script = format!(
            "command -v flock >/dev/null || {{ echo 'flock(1) is not installed' >&2; exit 2; }}\n{open}\nif ! flock{flag} -n 9; then echo waiting; flock{flag} -w {wait} 9 || {{ echo timeout; exit 3; }}; fi\necho locked\nexec cat >/dev/null\n",
        );
        let mut child = self
            .command(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Error::deploy(format!("taking the lock {file}: cannot run the shell: {e}"))
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        // Drained all along, so a chatty ssh never blocks the lock holder.
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut timed_out = false;
        let mut absent = false;
        for line in BufReader::new(stdout).lines() {
            match line.as_deref().map(str::trim) {
                Ok("locked") => return Ok(Some(Lock { child, stdin })),
                Ok("absent") => absent = true,
                Ok("waiting") => tracing::warn!(
                    "waiting for the lock {file}{on}: {holder} holds it (up to {wait} s)"
                ),
                Ok("timeout") => timed_out = true,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        drop(stdin);
        let _ = child.wait();
        let errors = errors.join().unwrap_or_default();
        if absent {
            Ok(None)
        } else if timed_out {
            Err(Error::deploy(format!(
                "{holder} holds the lock {file}{on}; gave up after {wait} s"
            ))
            .hint("let it finish and try again (SITEGEN_LOCK_TIMEOUT sets the wait in seconds); nothing was changed"))
        } else {
            Err(Error::deploy(format!(
                "cannot take the lock {file}{on}: {}",
                errors.trim()
            ))
            .hint("the target needs flock(1) (util-linux) and a folder it can write"))
        }
    }

    /// The live release, every finished release and the live history;
    /// with `what_is_live`, also the live release's manifest and whether it
    /// carries the edge's folder. Creates nothing: a target with no folder
    /// yet has no releases.
    fn state(&self, what_is_live: bool) -> Result<State> {
        let live_manifest = if what_is_live {
            format!(
                "echo ---; if [ -d current/{edge} ]; then echo edge; else echo plain; fi; cat current/{RELEASE_MANIFEST} 2>/dev/null || true\n",
                edge = crate::edge::ship::RELEASE_DIR,
            )
        } else {
            String::new()
        };
        let out = self.sh(
            "reading the releases",
            &format!(
                "cd {root} 2>/dev/null || exit 0\nreadlink current || true; echo ---; ls -1 releases 2>/dev/null || true; echo ---; cat .live-history 2>/dev/null || true\n{live_manifest}",
                root = q(&self.root)
            ),
        )?;
        let mut sections = out.splitn(4, "---\n");
        let current = sections
            .next()
            .unwrap_or_default()
            .trim()
            .strip_prefix("releases/")
            .map(str::to_string)
            .filter(|c| !c.is_empty());
        let mut releases: Vec<String> = sections
            .next()
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.ends_with(".partial"))
            .map(str::to_string)
            .collect();
        releases.sort();
        let live = sections
            .next()
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let live_release = sections.next().filter(|_| current.is_some()).map(|text| {
            let (edge, manifest) = text.split_once('\n').unwrap_or((text, ""));
            LiveRelease {
                edge: edge.trim() == "edge",
                manifest: Manifest::parse(manifest.as_bytes(), Path::new(RELEASE_MANIFEST)).ok(),
            }
        });
        Ok(State {
            current,
            releases,
            live,
            live_release,
        })
    }

    /// Points `current` at `releases/<id>` with one rename, and records that
    /// the release has been live.
    fn switch(&self, id: &str) -> Result<()> {
        self.sh(
            "switching current",
            &format!(
                "cd {root} && test -d {rel} && ln -sfn {rel} current.tmp && mv -T current.tmp current && echo {id} >> .live-history",
                root = q(&self.root),
                rel = q(&format!("releases/{id}")),
                id = q(id),
            ),
        )
        .map(drop)
    }

    /// Records a release as live without switching (the live one, on a
    /// target whose history predates `.live-history`).
    fn record_live(&self, id: &str) -> Result<()> {
        self.sh(
            "recording the live release",
            &format!("cd {} && echo {} >> .live-history", q(&self.root), q(id)),
        )
        .map(drop)
    }

    /// Removes a release folder that never went live.
    fn discard(&self, path: &str) {
        let _ = self.sh(
            "removing the unfinished release",
            &format!("rm -rf {}", q(path)),
        );
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

#[derive(Default)]
pub struct DeployOptions {
    pub force: bool,
    pub dry_run: bool,
}

/// Why `publish` refused: the release the pages were rendered from is no
/// longer the live one (a deploy or rollback happened meanwhile).
pub const LIVE_CHANGED: &str = "the live release changed while the pages were rendered";

/// The finished bundle in `dist/<domain>/`: every file the manifest lists,
/// with its size and hash, and nothing else. Returns the manifest's hash and
/// the manifest, and the bundle as the nginx config sees it: every path, and the bodies of
/// the HTML files (the CSP hashes their inline blocks; nothing else of a
/// file's content reaches the config, and a config that needed more would
/// differ from the built one, which refuses the deploy: fail closed).
fn check_bundle(dir: &Path, domain: &str) -> Result<(String, Manifest, Bundle)> {
    let manifest_path = manifest::path(dir);
    if !manifest_path.is_file() {
        return Err(Error::deploy(format!(
            "{} has no finished build of {domain}",
            dir.display()
        ))
        .hint(format!("run `sitegen build {domain}` first; only a finished bundle with its manifest can be deployed")));
    }
    let text = fsutil::read(&manifest_path)?;
    let manifest = Manifest::parse(&text, &manifest_path)?;
    let public = dir.join("public");
    let mut bundle = Bundle::new(domain);
    for f in &manifest.files {
        let path = f.path.as_str();
        crate::bundle::check_bundle_path(path)?;
        let bytes = std::fs::read(public.join(path)).map_err(|_| {
            Error::deploy(format!("{path} is in the manifest but not in the bundle"))
                .at(Location::file(&manifest_path))
                .hint("the bundle was changed after the build; rebuild it")
        })?;
        if f.sha256 != sha256_hex(&bytes) {
            return Err(Error::deploy(format!("{path} differs from the manifest"))
                .at(Location::file(&manifest_path))
                .hint("the bundle was changed after the build; rebuild it"));
        }
        let body = if path.ends_with(".html") {
            bytes
        } else {
            Vec::new()
        };
        bundle.files.insert(path.to_string(), body);
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
        if !entry.file_type().is_file() || !bundle.files.contains_key(&rel) {
            return Err(
                Error::deploy(format!("{rel} is in the bundle but not in the manifest"))
                    .at(Location::file(&manifest_path))
                    .hint("the bundle was changed after the build; rebuild it"),
            );
        }
    }
    bundle.aliases = manifest.aliases.clone();
    Ok((sha256_hex(&text), manifest, bundle))
}

/// The nginx config in `dist/<domain>/nginx/` must be what the current
/// sitegen.yaml and site.yaml generate for this bundle: a build made before
/// a settings change (`nginx.cert_dir`, an alias, the deploy target...) would
/// ship a stale config.
fn check_nginx_config(ws: &Workspace, site: &Site, dist: &Path, bundle: &Bundle) -> Result<()> {
    let domain = site.domain();
    let out = ws.output_dir.display();
    let expected = [
        (
            format!("{domain}.conf"),
            nginx::server_config(ws, site, bundle),
        ),
        (nginx::SNIPPET.to_string(), nginx::http_snippet(ws)),
    ];
    for (name, want) in expected {
        let path = dist.join("nginx").join(name);
        let why = match std::fs::read(&path) {
            Ok(have) if have == want.as_bytes() => continue,
            Ok(_) => "was generated with other settings",
            Err(_) => "is missing",
        };
        return Err(Error::deploy(format!(
            "the nginx config in {out}/ {why}; rebuild {domain}"
        ))
        .at(Location::file(&path))
        .hint(format!(
            "sitegen.yaml or site.yaml changed since the build (or the file was edited): run `sitegen build {domain}`, then deploy"
        )));
    }
    Ok(())
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

/// Deploys the finished bundle of `site`. A dry run changes nothing on the
/// target, creates no folder there and is allowed for a held-back site.
pub fn deploy(ws: &Workspace, site: &Site, opts: &DeployOptions) -> Result<Deployed> {
    let domain = site.domain();
    if site.config.deploy.held_back && !opts.force && !opts.dry_run {
        return Err(Error::deploy(format!("{domain} is held back"))
            .at(site.key_location("deploy.held_back"))
            .hint("set held_back: false, or pass --force to deploy it anyway"));
    }
    let dist = crate::output::site_output_dir(ws, domain);
    let (manifest_hash, manifest, bundle) = check_bundle(&dist, domain)?;
    check_nginx_config(ws, site, &dist, &bundle)?;
    drop(bundle);
    let target = Target::of(site)?;
    let public = format!("{}/", dist.join("public").display());
    let edge = dist.join(crate::edge::ship::DIST_DIR).is_dir();

    if opts.dry_run {
        let lock = target.lock_site_shared()?;
        let state = target.state(true)?;
        let unchanged = state.is_live(&manifest, &manifest_hash, edge);
        let dry = dry_run(ws, &target, &state, public, &manifest_hash, unchanged);
        drop(lock);
        return dry;
    }

    // Held from the first read of the target to the last change.
    let lock = target.lock_site()?;
    let state = target.state(true)?;
    let unchanged = state.is_live(&manifest, &manifest_hash, edge);
    let current = state.current.clone();
    let deployed = ship(
        ws,
        site,
        &target,
        &dist,
        &state,
        (&manifest_hash, unchanged),
        |partial| write_release(&target, current.as_deref(), &public, partial, &dist),
    );
    drop(lock);
    deployed
}

/// What deploy and publish share once the target's lock is held: unless the
/// live release is this build (`unchanged`), `write` fills `<id>.partial`
/// (deleted again if it fails), then the nginx config, the switch and
/// pruning (`go_live`).
fn ship(
    ws: &Workspace,
    site: &Site,
    target: &Target,
    dist: &Path,
    state: &State,
    (manifest_hash, unchanged): (&str, bool),
    write: impl FnOnce(&str) -> Result<()>,
) -> Result<Deployed> {
    let current = state.current.clone();
    let new = if unchanged {
        None
    } else {
        let id = release_id(manifest_hash);
        let partial = format!("{}/{id}.partial", target.releases_dir());
        let written = target
            .sh(
                "creating the releases folder",
                &format!("mkdir -p {}", q(&target.releases_dir())),
            )
            .and_then(|_| write(&partial));
        if let Err(e) = written {
            target.discard(&partial);
            return Err(e.hint("the live release was not touched"));
        }
        Some((id, partial))
    };
    let (release, nginx) = go_live(ws, site, target, dist, new, current.as_deref(), state)?;
    let pruned = prune(
        target,
        site.config.deploy.keep_releases.max(1) as usize,
        &release,
        state,
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

/// The edge's deploy: a completed bundle (`output::build_complete`) goes
/// from memory into a new release of the site's local target, as hard links
/// to the live release's files where the bytes are the same (by the live
/// manifest) and new files where they are not — no whole copy of the site in
/// `dist/` and no rsync of it. Everything else is `deploy`: the target's
/// lock, refused unless `expect_live` is still live, the previous release's
/// assets carried over, the nginx config installed only if it changed,
/// an atomic switch, pruning. `dist/<domain>/` gets only the nginx config
/// and the manifest, which the install and the asset carry-over read.
pub fn publish(
    ws: &Workspace,
    site: &Site,
    bundle: &Bundle,
    expect_live: &str,
) -> Result<Deployed> {
    // The edge runs on the target's own host: `user@host:/srv/x`, as CI
    // deploys over ssh, is the folder /srv/x there.
    let mut target = Target::of(site)?;
    target.login = None;
    let dist = crate::output::site_output_dir(ws, site.domain());
    let manifest = bundle.manifest().to_json();
    for (path, bytes) in bundle.extra.iter().filter(|(p, _)| p.starts_with("nginx/")) {
        fsutil::create_dir_all(&dist.join("nginx"))?;
        fsutil::write_atomic(&dist.join(path), bytes)?;
    }
    fsutil::write_atomic(&manifest::path(&dist), &manifest)?;
    let manifest_hash = sha256_hex(&manifest);
    let parsed = Manifest::parse(&manifest, Path::new(RELEASE_MANIFEST))?;
    let edge = crate::edge::ship::enabled(ws);
    let lock = target.lock_site()?;
    let state = target.state(true)?;
    let current = state.current.clone();
    if current.as_deref() != Some(expect_live) {
        return Err(Error::deploy(LIVE_CHANGED).hint("render again from the live release"));
    }
    let unchanged = state.is_live(&parsed, &manifest_hash, edge);
    let live = format!("{}/{expect_live}", target.releases_dir());
    let deployed = ship(
        ws,
        site,
        &target,
        &dist,
        &state,
        (&manifest_hash, unchanged),
        |partial| {
            write_release_from(bundle, &manifest, Path::new(&live), Path::new(partial))?;
            carry_assets(&target, expect_live, partial, &dist)
        },
    );
    drop(lock);
    deployed
}

/// Writes `bundle` into `partial` (local), hard-linking every file whose
/// bytes the live release already has (per its manifest), and the edge
/// folder beside it.
fn write_release_from(bundle: &Bundle, manifest: &[u8], live: &Path, partial: &Path) -> Result<()> {
    use rayon::prelude::*;
    let live_manifest = live.join(RELEASE_MANIFEST);
    let same: BTreeMap<String, String> = std::fs::read(&live_manifest)
        .ok()
        .and_then(|text| Manifest::parse(&text, &live_manifest).ok())
        .map(|m| m.files.into_iter().map(|f| (f.path, f.sha256)).collect())
        .unwrap_or_default();
    for path in bundle.files.keys() {
        crate::bundle::check_bundle_path(path)?;
    }
    let dirs: BTreeSet<PathBuf> = bundle
        .files
        .keys()
        .filter_map(|p| Path::new(p).parent().map(|d| partial.join(d)))
        .chain(std::iter::once(partial.to_path_buf()))
        .collect();
    for dir in &dirs {
        fsutil::create_dir_all(dir)?;
        set_mode(dir, 0o755)?;
    }
    bundle.files.par_iter().try_for_each(|(path, bytes)| {
        let to = partial.join(path);
        if same.get(path).is_some_and(|h| *h == sha256_hex(bytes))
            && std::fs::hard_link(live.join(path), &to).is_ok()
        {
            return Ok(());
        }
        fsutil::write(&to, bytes)?;
        // What rsync's --chmod=D755,F644 gives a deploy, whatever the umask.
        set_mode(&to, 0o644)
    })?;
    fsutil::write(&partial.join(RELEASE_MANIFEST), manifest)?;
    let edge = format!("{}/", crate::edge::ship::DIST_DIR);
    for (path, bytes) in &bundle.extra {
        if let Some(rel) = path.strip_prefix(&edge) {
            let file = partial.join(crate::edge::ship::RELEASE_DIR).join(rel);
            fsutil::create_dir_all(file.parent().expect("inside"))?;
            fsutil::write(&file, bytes)?;
        }
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(path, "set the permissions of", e))
}

/// `deploy --dry-run`: what rsync would change against the live release, or
/// (nothing live yet) against an empty folder here, so nothing is created
/// on the target.
fn dry_run(
    ws: &Workspace,
    target: &Target,
    state: &State,
    public: String,
    manifest_hash: &str,
    unchanged: bool,
) -> Result<Deployed> {
    let empty;
    let compare = match &state.current {
        Some(c) => target.rsync_dest(&format!("{}/{c}/", target.releases_dir())),
        None => {
            empty = tempfile::tempdir()
                .map_err(|e| Error::io(&std::env::temp_dir(), "create a folder in", e))?;
            format!("{}/", empty.path().display())
        }
    };
    let out = target.rsync(&[
        "-rcn".into(),
        "--delete".into(),
        "--itemize-changes".into(),
        format!("--exclude=/{RELEASE_MANIFEST}"),
        format!("--exclude=/{}", crate::edge::ship::RELEASE_DIR),
        public,
        compare,
    ])?;
    let nginx = match &ws.config.nginx.conf_dir {
        None => NginxOutcome::NotManaged,
        Some(_) => NginxOutcome::WouldInstall,
    };
    Ok(Deployed {
        release: if unchanged {
            state
                .current
                .clone()
                .expect("unchanged implies a live release")
        } else {
            release_id(manifest_hash)
        },
        unchanged,
        previous: state.current.clone(),
        nginx,
        pruned: Vec::new(),
        changes: out.lines().map(str::to_string).collect(),
    })
}

/// Installs the nginx config, moves the finished release (if any) into place
/// and switches `current` to it, then reloads nginx if its config changed.
/// A release that fails on the way is deleted. Returns the live release.
fn go_live(
    ws: &Workspace,
    site: &Site,
    target: &Target,
    dist: &Path,
    new: Option<(String, String)>,
    current: Option<&str>,
    state: &State,
) -> Result<(String, NginxOutcome)> {
    // The shared conf_dir has its own lock, always taken after the site's.
    let conf_lock = match &ws.config.nginx.conf_dir {
        Some(dir) => match target.lock(
            dir,
            ".sitegen-deploy.lock",
            "another deploy installing nginx configs",
        ) {
            Ok(l) => Some(l),
            Err(e) => {
                if let Some((_, partial)) = &new {
                    target.discard(partial);
                }
                return Err(e);
            }
        },
        None => None,
    };
    let nginx = match install_nginx(ws, site, target, dist) {
        Ok(n) => n,
        Err(e) => {
            // A release that never went live is deleted, so it can never
            // become a rollback target.
            if let Some((_, partial)) = &new {
                target.discard(partial);
            }
            return Err(e);
        }
    };
    let release = match new {
        Some((id, partial)) => {
            target.sh(
                "finishing the release",
                &format!(
                    "mv -T {} {}",
                    q(&partial),
                    q(&format!("{}/{id}", target.releases_dir()))
                ),
            )?;
            target.switch(&id)?;
            id
        }
        None => {
            let live = current
                .map(str::to_string)
                .expect("unchanged implies a live release");
            if !state.live.contains(&live) {
                target.record_live(&live)?;
            }
            live
        }
    };
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
    drop(conf_lock);
    Ok((release, nginx))
}

/// Copies the bundle into `partial` (hard links to unchanged files of the
/// live release), its manifest beside it, and the live release's assets the
/// new one dropped.
fn write_release(
    target: &Target,
    live: Option<&str>,
    public: &str,
    partial: &str,
    dist: &Path,
) -> Result<()> {
    let releases = target.releases_dir();
    let link_dest = live.map(|c| format!("{releases}/{c}"));
    rsync_tree(target, public, partial, link_dest)?;
    // The manifest goes along (a dotfile: nginx does not serve it), so the
    // next deploy knows which assets this release published.
    let manifest = manifest::path(dist);
    target.rsync(&[
        "--checksum".into(),
        manifest.display().to_string(),
        target.rsync_dest(&format!("{partial}/{RELEASE_MANIFEST}")),
    ])?;
    // What the edge needs to render the pages again (`edge::ship`), as a
    // dotfolder nginx does not serve.
    let edge = dist.join(crate::edge::ship::DIST_DIR);
    if edge.is_dir() {
        let into = crate::edge::ship::RELEASE_DIR;
        rsync_tree(
            target,
            &format!("{}/", edge.display()),
            &format!("{partial}/{into}"),
            live.map(|c| format!("{releases}/{c}/{into}")),
        )?;
    }
    if let Some(c) = live {
        carry_assets(target, c, partial, dist)?;
    }
    Ok(())
}

/// Copies the folder `from` (with a trailing slash) to `into` on the target,
/// hard-linking files that `link_dest` already has with the same content.
fn rsync_tree(target: &Target, from: &str, into: &str, link_dest: Option<String>) -> Result<()> {
    let mut args: Vec<String> = vec![
        "-r".into(),
        "--checksum".into(),
        "--delete".into(),
        "--chmod=D755,F644".into(),
    ];
    if let Some(dir) = link_dest {
        args.push(format!("--link-dest={dir}"));
    }
    args.push(from.to_string());
    args.push(format!("{}/", target.rsync_dest(into)));
    target.rsync(&args).map(drop)
}

/// Hard-links into the new release the fingerprinted assets the live release
/// published (per its manifest) and the new one does not have.
fn carry_assets(target: &Target, live: &str, partial: &str, dist: &Path) -> Result<()> {
    let live_dir = format!("{}/{live}", target.releases_dir());
    let text = target.sh(
        "reading the live manifest",
        &format!(
            "cat {} 2>/dev/null || true",
            q(&format!("{live_dir}/{RELEASE_MANIFEST}"))
        ),
    )?;
    // A live release without a readable manifest (an older sitegen, a
    // hand-made release) has no assets to carry.
    let Ok(old) = Manifest::parse(text.as_bytes(), Path::new(RELEASE_MANIFEST)) else {
        return Ok(());
    };
    let new = Manifest::read(dist)?;
    let have: BTreeSet<&str> = new.paths().collect();
    let carry: Vec<String> = old
        .paths()
        // Stylesheets, scripts, fonts and icons only: images may come from
        // platform records (a portrait), social cards show page titles (a
        // member's name), and one that left the site must not stay served
        // because a page was open somewhere.
        .filter(|p| {
            p.starts_with("assets/")
                && !p.starts_with("assets/images/")
                && !p.starts_with(crate::assets::cards::DIR)
        })
        .filter(|p| !have.contains(p))
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
        target.rsync(&[
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

/// Keeps the live release and the newest `keep - 1` releases that were live
/// before it (rollback targets); removes every other release (older ones,
/// and any that never went live) and any `.partial` left by an interrupted
/// deploy. Runs under the lock, and re-reads `current` on the target so the
/// release it points at is never removed, whatever this process believes.
fn prune(target: &Target, keep: usize, live: &str, state: &State) -> Result<Vec<String>> {
    let mut kept: BTreeSet<&str> = state
        .releases
        .iter()
        .filter(|r| *r != live && state.was_live(r))
        .rev()
        .take(keep.saturating_sub(1))
        .map(String::as_str)
        .collect();
    kept.insert(live);
    let doomed: Vec<String> = state
        .releases
        .iter()
        .filter(|r| !kept.contains(r.as_str()))
        .map(|r| q(r))
        .collect();
    let history: Vec<String> = kept.iter().map(|r| q(r)).collect();
    let script = format!(
        "cd {root} || exit 1\nlive=$(readlink current || true); live=${{live#releases/}}\ncd releases || exit 1\nrm -rf ./*.partial\nfor r in {doomed}; do if [ \"$r\" != \"$live\" ]; then rm -rf \"./$r\" && echo \"$r\"; fi; done\n{{ printf '%s\\n' {history}; [ -z \"$live\" ] || echo \"$live\"; }} | sort -u > ../.live-history.tmp && mv -f ../.live-history.tmp ../.live-history\n",
        root = q(&target.root),
        doomed = doomed.join(" "),
        history = history.join(" "),
    );
    let out = target.sh("pruning old releases", &script)?;
    Ok(out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// Points `current` at the newest release older than the live one that was
/// live before, or at `to`: a release's name or the start of exactly one
/// (which must have been live before).
pub fn rollback(site: &Site, to: Option<&str>) -> Result<(Option<String>, String)> {
    let target = Target::of(site)?;
    let _lock = target.lock_site()?;
    let state = target.state(false)?;
    let listed = format!("`sitegen releases {}` lists them", site.domain());
    let choice = match to {
        Some(name) => {
            let found = find_release(&state.releases, name).map_err(|candidates| {
                if candidates.is_empty() {
                    Error::deploy(format!("{} has no release {name}", target.display))
                        .hint(listed.clone())
                } else {
                    Error::deploy(format!(
                        "{name} is ambiguous: {} releases on {} start with it: {}",
                        candidates.len(),
                        target.display,
                        candidates.join(", ")
                    ))
                    .hint("give more of the name, up to the whole of one")
                }
            })?;
            let name = found.as_str();
            if !state.was_live(found) {
                return Err(Error::deploy(format!(
                    "release {name} on {} was never live; rollback only goes to releases that were live before",
                    target.display
                ))
                .hint("its deploy did not finish (a failed nginx check or an interrupted deploy); the next deploy removes it"));
            }
            found.clone()
        }
        None => {
            let live = state.current.as_deref().ok_or_else(|| {
                Error::deploy(format!(
                    "{} has no live release to roll back from",
                    target.display
                ))
            })?;
            state
                .releases
                .iter()
                .rfind(|r| r.as_str() < live && state.was_live(r))
                .cloned()
                .ok_or_else(|| {
                    Error::deploy(format!(
                        "no release older than {live} on {} was live before",
                        target.display
                    ))
                    .hint(listed.clone())
                })?
        }
    };
    target.switch(&choice)?;
    Ok((state.current, choice))
}

/// The release named `name`, or else the one release whose name starts
/// with it; else the releases it starts (none, or more than one).
fn find_release<'a>(
    releases: &'a [String],
    name: &str,
) -> std::result::Result<&'a String, Vec<String>> {
    if let Some(exact) = releases.iter().find(|r| *r == name) {
        return Ok(exact);
    }
    if name.is_empty() {
        return Err(Vec::new());
    }
    let mut starting = releases.iter().filter(|r| r.starts_with(name));
    match (starting.next(), starting.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(Vec::new()),
        (Some(a), Some(b)) => Err([a, b].into_iter().chain(starting).cloned().collect()),
    }
}

/// One release on a target, as `sitegen releases` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReleaseInfo {
    pub id: String,
    /// When it was deployed (its name says, to the millisecond), RFC 3339
    /// UTC; None for a name sitegen did not give.
    pub deployed_at: Option<String>,
    /// Files and bytes of its pages, per its manifest (None without one).
    pub files: Option<usize>,
    pub bytes: Option<u64>,
    /// The one `current` points at.
    pub live: bool,
    /// Live now or before: a rollback target.
    pub was_live: bool,
}

/// The releases on the site's target, oldest first, with their deploy time,
/// size and whether they are (or were) live. Reads only; takes no lock.
pub fn releases(site: &Site) -> Result<Vec<ReleaseInfo>> {
    let target = Target::of(site)?;
    let state = target.state(false)?;
    // Each release's manifest, one after the other, between markers.
    let mut script = format!("cd {} 2>/dev/null || exit 0\n", q(&target.releases_dir()));
    for r in &state.releases {
        script.push_str(&format!(
            "echo {marker}; cat {} 2>/dev/null || true; echo\n",
            q(&format!("{r}/{RELEASE_MANIFEST}")),
            marker = q(&format!("--- {r}")),
        ));
    }
    let out = target.sh("reading the releases' manifests", &script)?;
    let mut sizes: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    for part in out.split("--- ").skip(1) {
        let (id, text) = part.split_once('\n').unwrap_or((part, ""));
        if let (Some(r), Ok(m)) = (
            state.releases.iter().find(|r| *r == id.trim()),
            Manifest::parse(text.as_bytes(), Path::new(RELEASE_MANIFEST)),
        ) {
            sizes.insert(r, (m.files.len(), m.files.iter().map(|f| f.bytes).sum()));
        }
    }
    Ok(state
        .releases
        .iter()
        .map(|r| ReleaseInfo {
            id: r.clone(),
            deployed_at: deployed_at(r),
            files: sizes.get(r.as_str()).map(|s| s.0),
            bytes: sizes.get(r.as_str()).map(|s| s.1),
            live: state.current.as_ref() == Some(r),
            was_live: state.was_live(r),
        })
        .collect())
}

/// The deploy time in a release's name (`20261123T140106412Z-…`), as RFC
/// 3339: `2026-11-23T14:01:06.412Z`.
fn deployed_at(release: &str) -> Option<String> {
    let stamp = release.split('-').next()?;
    let b = stamp.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|_| &stamp[r])
    };
    if b.len() != 19 || b[8] != b'T' || b[18] != b'Z' {
        return None;
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}.{}Z",
        digits(0..4)?,
        digits(4..6)?,
        digits(6..8)?,
        digits(9..11)?,
        digits(11..13)?,
        digits(13..15)?,
        digits(15..18)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_commands_split_like_rsync_splits_its_e_option() {
        assert_eq!(
            split_command("ssh -i '/keys/my key' -p 2222 -o \"ProxyJump=a b\""),
            [
                "ssh",
                "-i",
                "/keys/my key",
                "-p",
                "2222",
                "-o",
                "ProxyJump=a b"
            ]
        );
        assert_eq!(split_command("  ssh  "), ["ssh"]);
        assert_eq!(split_command("ssh ''"), ["ssh", ""]);
    }

    #[test]
    fn a_release_is_found_by_its_name_or_the_start_of_only_one() {
        let rel: Vec<String> = [
            "20261123T140106412Z-89dbeb86ef",
            "20261124T090000000Z-0123456789",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(find_release(&rel, &rel[1]), Ok(&rel[1]));
        assert_eq!(find_release(&rel, "20261123"), Ok(&rel[0]));
        assert_eq!(find_release(&rel, "2026112"), Err(rel.clone()));
        assert_eq!(find_release(&rel, "2027"), Err(Vec::new()));
        assert_eq!(find_release(&rel, ""), Err(Vec::new()));
    }

    #[test]
    fn the_deploy_time_is_read_from_the_release_name() {
        assert_eq!(
            deployed_at("20261123T140106412Z-89dbeb86ef").as_deref(),
            Some("2026-11-23T14:01:06.412Z")
        );
        assert_eq!(deployed_at("hand-made"), None);
        assert_eq!(deployed_at("2026112xT140106412Z-89dbeb86ef"), None);
    }

    #[test]
    fn the_same_pages_are_the_same_release_whatever_else_the_manifest_says() {
        let files = BTreeMap::from([("index.html".to_string(), b"<p>hi".to_vec())]);
        let live = Manifest::of("example.org", Some("inputs-1"), &files);
        let mut rebuilt = Manifest::of("example.org", Some("inputs-2"), &files);
        rebuilt.generator = "sitegen 9.9.9".into();
        rebuilt.clock = Some("2027-03-01T00:00:00Z".into());
        assert!(same_release(&live, false, &rebuilt, false));
        // With the edge's folder, its sources (the inputs) count too.
        assert!(!same_release(&live, true, &rebuilt, true));
        assert!(same_release(&live, true, &live.clone(), true));
        assert!(!same_release(&live, false, &live.clone(), true));
        let mut later = live.clone();
        later.next_change = Some("2027-03-02T00:00:00Z".into());
        assert!(!same_release(&live, false, &later, false));
        let other = Manifest::of(
            "example.org",
            Some("inputs-1"),
            &BTreeMap::from([("index.html".to_string(), b"<p>ho".to_vec())]),
        );
        assert!(!same_release(&live, false, &other, false));
    }
}
