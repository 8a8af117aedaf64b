//! What CI reads (issue 17, items 11 and 15): the `--json` reports of
//! `check` and `list`, `check --shard`, a filter that matches no site,
//! annotations on GitHub Actions, and the example workflow of docs/ci.md
//! run step by step. (`deploy --json` and `releases --json` are in deploy.rs.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fake_api::{FakeApi, TOKEN};
use crate::harness::{Run, SiteTest, DEMO_DOMAINS};

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn domains(v: &serde_json::Value) -> Vec<String> {
    v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["domain"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn check_shards_split_the_sites_and_json_reports_findings_and_failures() {
    let t = SiteTest::demo();
    let mut seen = Vec::new();
    for i in 1..=4 {
        let run = t.run(&["check", "--shard", &format!("{i}/4"), "--json"]);
        run.success();
        assert!(run.stderr.is_empty(), "{}", run.stderr);
        let v = json(&run);
        assert_eq!((&v["failed"], &v["passed"]), (&0.into(), &1.into()), "{v}");
        assert_eq!(v["sites"][0]["status"], "passed");
        seen.extend(domains(&v));
    }
    seen.sort();
    assert_eq!(seen, DEMO_DOMAINS, "each site in exactly one shard");

    // Findings at their file and line; exit 1 on an error-level one.
    let t = SiteTest::from_dir("check-links");
    let about = "content/check-links.example/about.md";
    let line = t
        .read(about)
        .lines()
        .position(|l| l.contains("/equipe-old/"))
        .unwrap()
        + 1;
    let run = t.run(&["check", "check-links.example", "--json"]);
    run.failure();
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let v = json(&run);
    assert_eq!((&v["failed"], &v["passed"]), (&1.into(), &0.into()));
    let site = &v["sites"][0];
    assert_eq!(site["status"], "failed");
    assert!(
        site["findings"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({
                "rule": "links",
                "level": "error",
                "file": about,
                "line": line,
                "message": "/equipe-old/ (href) does not resolve to a page or file"
            })),
        "{site}"
    );
    assert_eq!(site["errors"], serde_json::json!([]));

    // A site that does not build: its error, where and what to do.
    t.edit("sites/check-links.example/site.yaml", "name:", "nmae:");
    let run = t.run(&["check", "check-links.example", "--json"]);
    run.failure();
    let v = json(&run);
    let error = &v["sites"][0]["errors"][0];
    assert_eq!(
        error["file"], "sites/check-links.example/site.yaml",
        "{error}"
    );
    assert!(error["message"]
        .as_str()
        .unwrap()
        .starts_with("unknown field `nmae`"));
    assert!(
        error["line"].is_u64() && error["hint"].is_string(),
        "{error}"
    );
}

#[test]
fn list_json_has_what_the_table_shows_and_deploy_settings() {
    let t = SiteTest::demo();
    let table = t.run(&["list"]);
    table.success();
    let run = t.run(&["list", "--json"]);
    run.success();
    let v = json(&run);
    assert_eq!(domains(&v), DEMO_DOMAINS);
    for (line, site) in table.stdout.lines().zip(v["sites"].as_array().unwrap()) {
        let want: Vec<&str> = ["domain", "kind", "tenant", "theme"]
            .iter()
            .map(|k| site[k].as_str().unwrap())
            .collect();
        assert_eq!(line.split_whitespace().collect::<Vec<_>>(), want);
    }
    let sansonnet = &v["sites"][2];
    assert_eq!(
        (&sansonnet["held_back"], &sansonnet["target"]),
        (
            &true.into(),
            &"deploy@web1.internal:/srv/www/sansonnet.maison".into()
        )
    );
    assert_eq!(v["sites"][1]["held_back"], false);
}

/// Issue 17, item 11: `build cocotte.maison --shard 2/2` built nothing and
/// said nothing.
#[test]
fn a_filter_that_matches_no_site_says_so() {
    let t = SiteTest::demo();
    // cocotte.maison is in shard 1 of 2.
    let run = t.run(&["build", "cocotte.maison", "--shard", "2/2"]);
    run.success();
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "warning: no site to build: cocotte.maison is in shard 1/2, not in shard 2/2\n"
    );
    let run = t.run(&["check", "cocotte.maison", "--shard", "2/2"]);
    run.success();
    assert_eq!(
        run.stderr,
        "warning: no site to check: cocotte.maison is in shard 1/2, not in shard 2/2\n"
    );
    // Every demo site is in shard 2 of 3.
    let run = t.run(&["build", "--shard", "3/3", "--json"]);
    run.success();
    assert_eq!(json(&run)["sites"], serde_json::json!([]));
    assert_eq!(
        run.stderr,
        "warning: no site to build: none of the 4 site(s) of the workspace is in shard 3/3\n"
    );
    assert!(!t.root().join("dist").exists());
    // A name that is no site is an error, whatever the shard.
    let run = t.run(&["build", "cocotte.masion", "--shard", "2/2"]);
    run.failure();
    assert!(
        run.stderr
            .starts_with("error: no site named \"cocotte.masion\""),
        "{}",
        run.stderr
    );
    // On GitHub Actions, a warning annotation too.
    let run = t.run_env(
        &["build", "cocotte.maison", "--shard", "2/2"],
        &[("GITHUB_ACTIONS", "true")],
    );
    run.success();
    assert!(
        run.stderr.ends_with(
            "\n::warning::no site to build: cocotte.maison is in shard 1/2, not in shard 2/2\n"
        ),
        "{}",
        run.stderr
    );
}

/// Issue 17, item 11: on GitHub Actions, errors and warnings show as
/// annotations at their file and line (`::error file=…,line=…::…`), with
/// the workflow-command escaping: `%`, CR, LF in the message, and `:` and
/// `,` too in a property.
#[test]
fn on_github_actions_errors_and_findings_are_also_annotations() {
    let t = SiteTest::from_dir("org-site");
    t.write(
        "content/org.example/we,ird:100%.md",
        "---\ntitle: Weird\nwieght: 3\n---\nHi.\n",
    );
    let gh = [("GITHUB_ACTIONS", "true")];
    let annotation = "::error file=content/org.example/we%2Cird%3A100%25.md,line=3,col=1::wieght: unknown field `wieght`, expected one of ";
    let run = t.run_env(&["build", "org.example"], &gh);
    run.failure();
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines[0].starts_with(
            "error: content/org.example/we,ird:100%.md:3:1: wieght: unknown field `wieght`"
        ),
        "{}",
        run.stderr
    );
    let note = lines
        .iter()
        .find(|l| l.starts_with("::"))
        .unwrap_or_else(|| panic!("no annotation: {}", run.stderr));
    assert!(note.starts_with(annotation), "{note}");
    assert!(
        note.ends_with(
            "%0Ahint: did you mean `weight`? The accepted keys are listed in docs/site-config.md"
        ),
        "{note}"
    );
    // With --json, on stderr only: stdout stays one JSON document.
    let run = t.run_env(&["build", "org.example", "--json"], &gh);
    run.failure();
    assert_eq!(json(&run)["failed"], 1);
    assert!(run.stderr.starts_with(annotation), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    // Not on GitHub Actions: no workflow commands.
    let run = t.run(&["build", "org.example"]);
    run.failure();
    assert!(!run.stderr.contains("::"), "{}", run.stderr);

    // check's findings, as errors and warnings.
    let t = SiteTest::from_dir("check-links");
    let about = "content/check-links.example/about.md";
    let line = t
        .read(about)
        .lines()
        .position(|l| l.contains("/equipe-old/"))
        .unwrap()
        + 1;
    t.write("sitegen.yaml", "check:\n  alt_text: warn\n");
    let run = t.run_env(&["check", "check-links.example"], &gh);
    run.failure();
    assert!(
        run.stderr.contains(&format!("::error file={about},line={line}::[links] /equipe-old/ (href) does not resolve to a page or file\n")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "::warning file={about},line={}::[alt-text] image /apple-touch-icon.png has no alt attribute\n",
            line + 2
        )),
        "{}",
        run.stderr
    );
    // A finding that names no file of the workspace says where in its text.
    let t = SiteTest::demo();
    let run = t.run_env(&["check", "cocotte.maison"], &gh);
    run.success();
    assert_eq!(
        run.stderr,
        "::warning::cocotte.maison: [build] profile prof_c2: links[1].url dropped: only https, http, mailto, tel URLs are published\n"
    );
}

/// The YAML of the example workflow in docs/ci.md.
fn example_workflow() -> serde_json::Value {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md")).unwrap();
    let section = &doc[doc.find("## An example workflow").expect("the section")..];
    let start = section.find("```yaml\n").expect("a yaml block") + 8;
    let end = section[start..].find("\n```").unwrap();
    serde_saphyr::from_str(&section[start..start + end]).expect("the workflow parses")
}

/// A `run:` step: its name (or its script), environment and script.
struct Step {
    name: String,
    env: BTreeMap<String, String>,
    run: String,
}

/// The workflow's `run:` steps for one shard, with the GitHub expressions
/// they use filled in; any other expression fails the test, so a new one
/// has to be looked at.
fn run_steps(job: &serde_json::Value, shard: u64, secrets: &BTreeMap<&str, String>) -> Vec<Step> {
    let fill = |text: &str| -> String {
        let mut out = text.replace("${{ matrix.shard }}", &shard.to_string());
        for (name, value) in secrets {
            out = out.replace(&format!("${{{{ secrets.{name} }}}}"), value);
        }
        assert!(
            !out.contains("${{"),
            "an expression the test does not know: {out}"
        );
        out
    };
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|step| {
            let run = step["run"].as_str()?;
            assert!(
                step.get("if").is_none(),
                "a run step with a condition: {step:?}"
            );
            let env = step["env"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.to_string(), fill(&v))
                })
                .collect();
            Some(Step {
                name: step["name"].as_str().unwrap_or(run).to_string(),
                env,
                run: fill(run),
            })
        })
        .collect()
}

/// How GitHub runs a `run:` step on Linux for the `shell:` the job sets: a
/// script file after these words.
fn shell_of(job: &serde_json::Value, workflow: &serde_json::Value) -> Vec<&'static str> {
    let shell = job["defaults"]["run"]["shell"]
        .as_str()
        .or(workflow["defaults"]["run"]["shell"].as_str());
    match shell {
        // The default when no shell is set: no pipefail.
        None => vec!["bash", "-e"],
        Some("bash") => vec!["bash", "--noprofile", "--norc", "-eo", "pipefail"],
        Some(other) => panic!("a shell the test does not know: {other}"),
    }
}

/// The workspace a runner of the example works in: the demo, deploying to
/// local folders, with stand-ins on PATH for the tools the steps install or
/// need a real runner for (`cargo install`, the ssh agent).
struct Runner {
    t: SiteTest,
    root: PathBuf,
    path: String,
    home: PathBuf,
}

impl Runner {
    fn new() -> Runner {
        let (t, root) = crate::deploy::demo_with_local_targets();
        let bin = root.join(".runner/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_sitegen"), bin.join("sitegen")).unwrap();
        for (tool, script) in [
            ("cargo", "#!/bin/sh\nexit 0\n"),
            ("ssh-agent", "#!/bin/sh\nexit 0\n"),
            ("ssh-add", "#!/bin/sh\ncat >/dev/null\n"),
        ] {
            let file = bin.join(tool);
            std::fs::write(&file, script).unwrap();
            std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
        }
        let home = root.join(".runner/home");
        std::fs::create_dir_all(&home).unwrap();
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
        Runner {
            t,
            root,
            path,
            home,
        }
    }

    /// Runs one step as the runner would; its exit status and output.
    fn step(&self, shell: &[&str], step: &Step, api: &str) -> (i32, String) {
        let script = self.root.join(".runner/step.sh");
        std::fs::write(&script, &step.run).unwrap();
        let mut cmd = Command::new(shell[0]);
        cmd.args(&shell[1..])
            .arg(&script)
            .current_dir(&self.root)
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", &self.home)
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true");
        for (k, v) in &step.env {
            // The platform API of the example is the test's stand-in.
            let v = v.replace("https://api.platform.example", api);
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// Runs the steps in order up to the first that fails, as the runner
    /// does; the names of those that ran and the failing one's output.
    fn run_all(&self, shell: &[&str], steps: &[Step], api: &str) -> (Vec<String>, Option<String>) {
        let mut ran = Vec::new();
        for step in steps {
            ran.push(step.name.clone());
            let (status, output) = self.step(shell, step, api);
            if status != 0 {
                return (ran, Some(output));
            }
        }
        (ran, None)
    }

    fn live(&self, domain: &str) -> bool {
        self.root.join("srv").join(domain).join("current").exists()
    }
}

/// Issue 17, item 15: the example workflow hid a failed build (`| tee`
/// without pipefail), named a runner that does not exist and checked every
/// site in every shard. Its `run:` steps are run here for each shard against
/// the demo, and then with a failing build and a failing check.
#[test]
fn the_example_workflow_runs_and_a_failing_step_fails() {
    let workflow = example_workflow();
    let job = &workflow["jobs"]["publish"];
    let label = job["runs-on"].as_str().unwrap();
    assert!(
        ["ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04"].contains(&label),
        "runs-on: {label} is no GitHub-hosted runner"
    );
    let shell = shell_of(job, &workflow);
    let shards: Vec<u64> = job["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let api = FakeApi::start(&SiteTest::demo().root().join("data/platform"));
    let secrets = BTreeMap::from([
        ("PLATFORM_TOKEN", TOKEN.to_string()),
        (
            "DEPLOY_KEY",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----"
                .to_string(),
        ),
        (
            "KNOWN_HOSTS",
            "web1.example.net ssh-ed25519 AAAAnotakey".to_string(),
        ),
    ]);
    let names: Vec<String> = run_steps(job, 1, &secrets)
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(
        names.iter().any(|n| n == "build")
            && names.iter().any(|n| n == "check")
            && names.last().is_some_and(|n| n == "deploy"),
        "{names:?}"
    );

    // Every shard passes and deploys its sites that are not held back; each
    // site is built and deployed by exactly one shard.
    let mut deployed = Vec::new();
    for &shard in &shards {
        let r = Runner::new();
        let steps = run_steps(job, shard, &secrets);
        let (ran, failed) = r.run_all(&shell, &steps, &api.url);
        assert_eq!(failed, None, "shard {shard} failed in step {ran:?}");
        let report: serde_json::Value = serde_json::from_str(&r.t.read("report.json")).unwrap();
        assert_eq!(report["failed"], 0);
        for d in DEMO_DOMAINS {
            if r.live(d) {
                deployed.push(d);
                assert!(
                    domains(&report).iter().any(|b| b == d),
                    "{d} deployed by shard {shard}, not built there"
                );
            }
        }
    }
    deployed.sort();
    assert_eq!(
        deployed,
        [
            "adulttherapytour.com",
            "cocotte.maison",
            "transquinnftw.com"
        ],
        "the sites not held back, once each"
    );

    // A build that fails fails its step, though `tee` succeeds, and nothing
    // after it runs; the report says why.
    let n = shards.len() as u32;
    let shard_of = |d: &str| {
        shards
            .iter()
            .copied()
            .find(|i| sitegen::inputs::in_shard(d, *i as u32, n))
            .unwrap()
    };
    let cocotte = shard_of("cocotte.maison");
    let r = Runner::new();
    r.t.edit(
        "sites/cocotte.maison/site.yaml",
        "  tagline: Une maison",
        "  tagilne: Une maison",
    );
    let steps = run_steps(job, cocotte, &secrets);
    let (ran, failed) = r.run_all(&shell, &steps, &api.url);
    assert_eq!(ran.last().map(String::as_str), Some("build"), "{ran:?}");
    let output = failed.expect("the build step fails");
    assert!(
        output.contains("::error file=sites/cocotte.maison/site.yaml,line="),
        "{output}"
    );
    let report: serde_json::Value = serde_json::from_str(&r.t.read("report.json")).unwrap();
    assert_eq!(report["failed"], 1);
    assert!(!r.live("cocotte.maison"));
    // Under GitHub's default shell (no `shell: bash`), the same step passed.
    let build = steps.iter().find(|s| s.name == "build").unwrap();
    assert_eq!(
        r.step(&["bash", "-e"], build, &api.url).0,
        0,
        "bash -e hides it"
    );

    // A page with a broken link fails the check of its own shard only.
    let transquinn = shard_of("transquinnftw.com");
    assert_ne!(transquinn, cocotte);
    let broken = |r: &Runner| {
        r.t.edit(
            "content/transquinnftw.com/_index.md",
            "\n---\n",
            "\n---\n[gone](/no-such-page/)\n\n",
        )
    };
    let r = Runner::new();
    broken(&r);
    let (ran, failed) = r.run_all(&shell, &run_steps(job, transquinn, &secrets), &api.url);
    assert_eq!(ran.last().map(String::as_str), Some("check"), "{ran:?}");
    assert!(failed.unwrap().contains("[links] /no-such-page/"));
    assert!(!r.live("transquinnftw.com"));
    let r = Runner::new();
    broken(&r);
    let (ran, failed) = r.run_all(&shell, &run_steps(job, cocotte, &secrets), &api.url);
    assert_eq!(
        failed, None,
        "another shard's broken page failed shard {cocotte} in {ran:?}"
    );
    assert!(r.live("cocotte.maison"));
}
