//! Tenancy invariants on the snapshot path (DESIGN.md): one tenant per site,
//! foreign records fail the build, private fields and unshared members never
//! reach output, untrusted markup is escaped.

use crate::harness::{SiteTest, DEMO_DOMAINS};

fn all_output(t: &SiteTest) -> String {
    let mut text = String::new();
    for d in DEMO_DOMAINS {
        for bytes in t.output(d).values() {
            text.push_str(&String::from_utf8_lossy(bytes));
        }
    }
    text
}

#[test]
fn private_fields_and_unshared_members_never_reach_output() {
    let t = SiteTest::demo();
    t.run(&["build", "--all"]).success();
    let text = all_output(&t);
    // Every snapshot carries canaries in fields a view model has no place for.
    assert!(t
        .read("data/platform/cocotte/profiles.json")
        .contains("CANARY-JOURNAL"));
    assert!(
        !text.contains("CANARY"),
        "a private or unshared value leaked into dist/"
    );
    assert!(!text.contains("celine-hidden"));
    assert!(!text.contains("quinn-at-sansonnet"));
}

#[test]
fn hostile_profile_fields_are_escaped_or_dropped() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let page = t.page("cocotte.maison", "members/jules-marchand/index.html");
    assert!(!page.contains("<script>alert"));
    assert!(page.contains("&lt;script&gt;"));
    assert!(!page.contains("javascript:"));
    assert!(
        !page.contains("Broken link"),
        "a link with a javascript: URL is dropped"
    );
}

#[test]
fn each_site_holds_only_its_own_tenant() {
    let t = SiteTest::demo();
    t.run(&["build", "--all"]).success();
    let cocotte: String = t
        .output("cocotte.maison")
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    let sansonnet: String = t
        .output("sansonnet.maison")
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    for other in [
        "Léa Fournier",
        "Tomás Ibarra",
        "Divine Gironde",
        "org_b81e44d0",
        "prof_s1",
    ] {
        assert!(!cocotte.contains(other), "cocotte shows {other}");
    }
    for other in [
        "Margot Lune",
        "Jules Marchand",
        "Inès Caradec",
        "org_7f3c2a91",
    ] {
        assert!(!sansonnet.contains(other), "sansonnet shows {other}");
    }
}

#[test]
fn a_record_of_another_tenant_fails_the_build_and_writes_nothing() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    t.edit("data/platform/cocotte/profiles.json", "\"org_id\": \"org_7f3c2a91\",\n      \"shared_publicly\": true,\n      \"slug\": \"jules-marchand\"", "\"org_id\": \"org_b81e44d0\",\n      \"shared_publicly\": true,\n      \"slug\": \"jules-marchand\"");
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: site cocotte.maison: data/platform/cocotte/profiles.json returned profile \"prof_c2\" that is not a member profile of this org; refusing to build\n  hint: the platform returned data of another tenant: nothing was written; report this to the platform team\nerror: build failed: cocotte.maison\n"
    );
    assert!(
        !run.stderr.contains("Jules"),
        "the error names the record id, never its content"
    );
    assert!(t.output("cocotte.maison") == before);
}

#[test]
fn a_tenant_record_that_is_not_the_sites_tenant_fails() {
    let t = SiteTest::demo();
    t.edit(
        "data/platform/quinn-avery/tenant.json",
        "\"slug\": \"quinn-avery\"",
        "\"slug\": \"someone-else\"",
    );
    let run = t.run(&["build", "transquinnftw.com"]);
    run.failure();
    assert!(run.stderr.starts_with("error: site transquinnftw.com: data/platform/quinn-avery/tenant.json returned tenant \"usr_quinn\" that is not person:quinn-avery; refusing to build"), "{}", run.stderr);
}

#[test]
fn a_tour_of_another_tenant_fails() {
    let t = SiteTest::demo();
    t.edit(
        "data/platform/ada-marlowe/tours.json",
        "\"user_id\": \"usr_ada\"",
        "\"user_id\": \"usr_quinn\"",
    );
    let run = t.run(&["build", "adulttherapytour.com"]);
    run.failure();
    assert!(
        run.stderr
            .contains("tours.json returned tour \"tour_2027\" that is owned by another tenant"),
        "{}",
        run.stderr
    );
    assert!(t.output("adulttherapytour.com").is_empty());
}

#[test]
fn a_snapshot_avatar_cannot_name_another_tenants_file() {
    let t = crate::harness::SiteTest::demo();
    std::fs::create_dir_all(t.root().join("data/platform/quinn-avery/media")).unwrap();
    std::fs::copy(
        t.root().join("data/platform/cocotte/media/margot-lune.jpg"),
        t.root().join("data/platform/quinn-avery/media/quinn.jpg"),
    )
    .unwrap();
    for reference in [
        "../quinn-avery/media/quinn.jpg",
        "/etc/passwd",
        "media/../../quinn-avery/media/quinn.jpg",
    ] {
        t.edit(
            "data/platform/cocotte/profiles.json",
            "\"avatar_url\": \"media/margot-lune.jpg\"",
            &format!("\"avatar_url\": \"{reference}\""),
        );
        let run = t.run(&["build", "cocotte.maison"]);
        run.failure();
        assert!(
            run.stderr
                .contains("profile prof_c1: avatar_url is not a file in the snapshot folder")
                && !run.stderr.contains(reference),
            "{reference}: {}",
            run.stderr
        );
        t.edit(
            "data/platform/cocotte/profiles.json",
            &format!("\"avatar_url\": \"{reference}\""),
            "\"avatar_url\": \"media/margot-lune.jpg\"",
        );
    }
    t.run(&["build", "cocotte.maison"]).success();
}
