//! The fixture workspaces under `tests/fixtures/` (`SiteTest::from_dir`):
//! each kind's fixture is the smallest workspace that builds that site kind
//! from its platform snapshot, with the page the kind makes from platform
//! data, over the repository's own templates and themes.

use std::path::Path;

use crate::harness::SiteTest;

/// Fixture, `sitegen list` fields, the page the kind generates from the
/// snapshot and a line of it that only the snapshot's record can produce.
const KIND_FIXTURES: [(&str, [&str; 4], &str, &str); 3] = [
    (
        "org-site",
        ["org.example", "org-site", "org:fixture-org", "atelier"],
        "members/ana-lima/index.html",
        "<p class=\"meta\">Massage therapist · she/her</p>",
    ),
    (
        "tour-site",
        [
            "tour.example",
            "tour-site",
            "person:fixture-tour",
            "nocturne",
        ],
        "tour/porto/index.html",
        "<dt>Venue</dt><dd>Sala Um</dd>",
    ),
    (
        "provider-site",
        [
            "provider.example",
            "provider-site",
            "person:fixture-provider",
            "atelier",
        ],
        "index.html",
        "<p class=\"lede\">Style coach · they/them</p>",
    ),
];

#[test]
fn each_kind_fixture_builds_its_generated_page_from_the_snapshot() {
    for (fixture, listed, page, line) in KIND_FIXTURES {
        let t = SiteTest::from_dir(fixture);
        // The fixture's one site and nothing of the demo workspace.
        let list = t.run(&["list"]);
        list.success();
        assert_eq!(
            list.stdout.split_whitespace().collect::<Vec<_>>(),
            listed,
            "{fixture}: {}",
            list.stdout
        );
        let domain = listed[0];
        let run = t.run(&["build", "--all"]);
        run.success();
        assert!(
            run.stdout.contains(&format!("built {domain}: ")),
            "{fixture}: {}",
            run.stdout
        );
        assert!(
            t.page(domain, page).contains(line),
            "{fixture}: {page} lacks {line:?}"
        );
        // The site kinds and themes are the repository's own.
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        for file in [
            format!("templates/{}/index.html", listed[1]),
            format!("themes/{}/theme.yaml", listed[3]),
        ] {
            assert_eq!(
                t.read(&file),
                std::fs::read_to_string(repo.join(&file)).unwrap(),
                "{fixture}: {file}"
            );
        }
    }
}

#[test]
fn each_test_gets_its_own_copy_of_a_fixture() {
    let a = SiteTest::from_dir("org-site");
    let b = SiteTest::from_dir("org-site");
    assert_ne!(a.root(), b.root());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    a.edit(
        "content/org.example/_index.md",
        "A house of **one** member.",
        "Edited.",
    );
    assert!(b
        .read("content/org.example/_index.md")
        .contains("A house of **one** member."));
    assert!(std::fs::read_to_string(
        repo.join("tests/fixtures/org-site/content/org.example/_index.md")
    )
    .unwrap()
    .contains("A house of **one** member."));
}

#[test]
#[should_panic(expected = "no fixture workspace tests/fixtures/no-such-fixture/")]
fn an_unknown_fixture_is_named() {
    SiteTest::from_dir("no-such-fixture");
}
