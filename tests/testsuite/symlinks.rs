//! Invariant 7 after following links (issue 12, item 2): every file read for
//! publishing resolves inside its own root (`sites/<d>/`, `content/<d>/`,
//! `themes/<t>/`, `templates/`, `data/platform/<tenant>/`), or the build
//! fails naming the link and where it points, and the previous output stays.
//! Git stores symlinks, so a content pull request can carry any of these.

use std::os::unix::fs::symlink;
use std::path::Path;

use crate::harness::SiteTest;

const CANARY: &str = "tok_CANARY_environ_6b1f0c";

struct Case {
    what: &'static str,
    domain: &'static str,
    /// The link to make (removing what is there), and where it points.
    link: &'static str,
    target: &'static str,
    /// Files to write first (path, text).
    setup: &'static [(&'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        what: "a logo linked to the process environment",
        domain: "cocotte.maison",
        link: "sites/cocotte.maison/logo.svg",
        target: "/proc/self/environ",
        setup: &[],
    },
    Case {
        what: "a social image linked to a content photo",
        domain: "cocotte.maison",
        link: "sites/cocotte.maison/social.jpg",
        target: "../../content/cocotte.maison/images/studio.jpg",
        setup: &[],
    },
    Case {
        what: "a watermark linked out of the site folder",
        domain: "transquinnftw.com",
        link: "sites/transquinnftw.com/watermark.png",
        target: "../cocotte.maison/social.jpg",
        setup: &[],
    },
    Case {
        what: "a site template linked to /etc/passwd",
        domain: "cocotte.maison",
        link: "sites/cocotte.maison/templates/page.html",
        target: "/etc/passwd",
        setup: &[],
    },
    Case {
        what: "a site's templates folder linked to /etc",
        domain: "cocotte.maison",
        link: "sites/cocotte.maison/templates",
        target: "/etc",
        setup: &[],
    },
    Case {
        what: "a kind template linked to /etc/passwd",
        domain: "cocotte.maison",
        link: "templates/org-site/member.html",
        target: "/etc/passwd",
        setup: &[],
    },
    Case {
        what: "a static folder linked to another site's static folder",
        domain: "transquinnftw.com",
        link: "sites/transquinnftw.com/static",
        target: "../cocotte.maison/static",
        setup: &[("sites/cocotte.maison/static/private.txt", "cocotte only")],
    },
    Case {
        what: "a static file linked out of the site folder",
        domain: "cocotte.maison",
        link: "sites/cocotte.maison/static/hosts.txt",
        target: "/etc/hosts",
        setup: &[],
    },
    Case {
        what: "a content image linked to another tenant's snapshot media",
        domain: "transquinnftw.com",
        link: "content/transquinnftw.com/gallery/fitting-room.jpg",
        target: "../../../data/platform/cocotte/media/margot-lune.jpg",
        setup: &[],
    },
    Case {
        what: "a content folder linked to another site's images",
        domain: "transquinnftw.com",
        link: "content/transquinnftw.com/gallery",
        target: "../cocotte.maison/images",
        setup: &[],
    },
    Case {
        what: "a front matter image linked out of the content folder",
        domain: "cocotte.maison",
        link: "content/cocotte.maison/images/studio.jpg",
        target: "../../../sites/cocotte.maison/social.jpg",
        setup: &[],
    },
    Case {
        what: "snapshot media linked to another site's photo",
        domain: "cocotte.maison",
        link: "data/platform/cocotte/media/margot-lune.jpg",
        target: "../../../../content/transquinnftw.com/gallery/fitting-room.jpg",
        setup: &[],
    },
    Case {
        what: "a snapshot media folder linked out of the snapshot",
        domain: "cocotte.maison",
        link: "data/platform/cocotte/media",
        target: "../../../content/cocotte.maison/avatars",
        setup: &[(
            "content/cocotte.maison/avatars/margot-lune.jpg",
            "not a photo",
        )],
    },
    Case {
        what: "a snapshot file linked to another tenant's",
        domain: "sansonnet.maison",
        link: "data/platform/sansonnet/profiles.json",
        target: "../cocotte/profiles.json",
        setup: &[],
    },
    Case {
        what: "a content page linked to /etc/passwd",
        domain: "cocotte.maison",
        link: "content/cocotte.maison/passwd.md",
        target: "/etc/passwd",
        setup: &[],
    },
    Case {
        what: "a site's content folder linked to another site's",
        domain: "sansonnet.maison",
        link: "content/sansonnet.maison",
        target: "cocotte.maison",
        setup: &[],
    },
    Case {
        what: "a theme stylesheet linked to /etc/hostname",
        domain: "cocotte.maison",
        link: "themes/atelier/css/site.css",
        target: "/etc/hostname",
        setup: &[],
    },
    Case {
        what: "the templates' base stylesheet linked to /etc/hostname",
        domain: "cocotte.maison",
        link: "templates/_base/css/base.css",
        target: "/etc/hostname",
        setup: &[],
    },
    Case {
        what: "a stylesheet the base imports linked to /etc/hostname",
        domain: "cocotte.maison",
        link: "templates/_base/css/structure.css",
        target: "/etc/hostname",
        setup: &[],
    },
    Case {
        what: "a theme's static folder linked out of the theme",
        domain: "cocotte.maison",
        link: "themes/atelier/static",
        target: "../nocturne/static",
        setup: &[],
    },
];

fn replace_with_link(root: &Path, link: &str, target: &str) {
    let path = root.join(link);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path).unwrap(),
        Ok(_) => std::fs::remove_file(&path).unwrap(),
        Err(_) => std::fs::create_dir_all(path.parent().unwrap()).unwrap(),
    }
    symlink(target, &path).unwrap();
}

/// Regression: a `sites/<d>/logo.svg` linked to `/proc/self/environ`
/// published the process environment, platform token included; templates,
/// static folders, content images and snapshot media could be linked out
/// the same way.
#[test]
fn links_out_of_their_own_root_fail_the_build_naming_the_link() {
    for case in CASES {
        let t = SiteTest::demo();
        for (file, text) in case.setup {
            t.write(file, text);
        }
        t.run(&["build", case.domain]).success();
        let before = t.output(case.domain);
        replace_with_link(t.root(), case.link, case.target);
        let run = t.run_env(
            &["build", case.domain],
            &[("SITEGEN_PLATFORM_TOKEN", CANARY)],
        );
        assert_eq!(run.status, 1, "{}: {}", case.what, run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "{}: symbolic link to {} leads outside ",
                case.link, case.target
            )),
            "{}: {}",
            case.what,
            run.stderr
        );
        assert!(!run.stderr.contains(CANARY), "{}", case.what);
        assert!(
            t.output(case.domain) == before,
            "{}: the previous output changed",
            case.what
        );
    }
}

#[test]
fn a_linked_logo_gets_the_whole_message() {
    let t = SiteTest::demo();
    replace_with_link(
        t.root(),
        "sites/cocotte.maison/logo.svg",
        "/proc/self/environ",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: sites/cocotte.maison/logo.svg: symbolic link to /proc/self/environ leads outside sites/cocotte.maison; files are published only from inside their own folder\n  hint: replace the link with a copy of the file (git stores links as mode 120000: `git ls-files -s` shows them)\nerror: build failed: cocotte.maison\n"
    );
    assert!(t.output("cocotte.maison").is_empty());
}

/// Links that stay inside their own root are fine: an alias of the logo in
/// the static folder, a content page linked to another in the same folder.
#[test]
fn links_inside_their_own_root_are_followed() {
    let t = SiteTest::demo();
    std::fs::create_dir_all(t.root().join("sites/cocotte.maison/static")).unwrap();
    symlink(
        "../logo.svg",
        t.root().join("sites/cocotte.maison/static/mark.svg"),
    )
    .unwrap();
    symlink(
        "contact.md",
        t.root().join("content/cocotte.maison/reach-us.md"),
    )
    .unwrap();
    t.run(&["build", "cocotte.maison"]).success();
    let logo = t
        .files_under("dist/cocotte.maison/public/assets")
        .into_iter()
        .find(|(name, _)| name.starts_with("logo."))
        .unwrap()
        .1;
    assert_eq!(logo, t.read("sites/cocotte.maison/logo.svg").into_bytes());
    assert_eq!(
        t.page("cocotte.maison", "mark.svg"),
        t.read("sites/cocotte.maison/logo.svg")
    );
    assert!(t
        .root()
        .join("dist/cocotte.maison/public/reach-us/index.html")
        .is_file());
}

/// Issue 17 item 1: a code frame shows only the user's own sources.
/// sitegen.yaml (read without a site's root) linked to a file outside the
/// workspace that holds a token and bad YAML: the error names the line, and
/// not a byte of the outside file is printed.
#[test]
fn a_code_frame_never_shows_a_file_outside_the_workspace() {
    let t = SiteTest::demo();
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), format!("# {CANARY}\nplatform: [\n")).unwrap();
    replace_with_link(t.root(), "sitegen.yaml", outside.path().to_str().unwrap());
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: sitegen.yaml:2:11: platform: `[` opens a list that is not closed\n  hint: end the list with `]`\n"
    );
    // The same file inside the workspace gets its frame.
    std::fs::remove_file(t.root().join("sitegen.yaml")).unwrap();
    std::fs::copy(outside.path(), t.root().join("sitegen.yaml")).unwrap();
    let run = t.run(&["build", "cocotte.maison"]);
    assert!(run.stderr.contains("2 | platform: [\n"), "{}", run.stderr);
}
