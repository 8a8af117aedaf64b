//! The edge (`sitegen edge`): what a release ships for it, and the daemon.

use std::collections::BTreeMap;

use crate::harness::{tree, SiteTest};

/// A published build carries what the edge needs to render its pages again:
/// the site's sources as a workspace, the platform data it was built from
/// (public fields only) and the page → records index from the route table.
/// That workspace alone builds the very same pages.
#[test]
fn a_build_ships_sources_data_and_a_dependency_index_that_rebuild_the_same_pages() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let edge = t.root().join("dist/cocotte.maison/edge");
    let deps: serde_json::Value =
        serde_json::from_slice(&std::fs::read(edge.join("deps.json")).unwrap()).unwrap();
    assert_eq!(deps["tenant"], "org:cocotte");
    let outputs = &deps["outputs"];
    assert_eq!(
        outputs["members/margot-lune/index.html"],
        serde_json::json!(["tenant", "member:prof_c1"])
    );
    assert_eq!(
        outputs["en/members/margot-lune/index.html"],
        serde_json::json!(["tenant", "member:prof_c1"])
    );
    assert_eq!(
        outputs["index.html"],
        serde_json::json!(["tenant", "members", "tours"])
    );
    let public = t.output("cocotte.maison");
    let pages: Vec<&String> = public
        .keys()
        .filter(|p| p.starts_with("public/") && p.ends_with(".html"))
        .collect();
    assert_eq!(
        outputs.as_object().unwrap().len(),
        pages.len(),
        "every page is in the index: {pages:?}"
    );

    let shipped = tree(&edge);
    for (path, bytes) in &shipped {
        // Platform records: public fields only. (Images are sources, shipped
        // as the repository and the snapshot hold them; the demo's carry an
        // EXIF canary that only published variants must drop.)
        let text = String::from_utf8_lossy(bytes);
        if !path.ends_with(".jpg") {
            assert!(!text.contains("CANARY"), "{path} carries private data");
        }
        assert!(
            !path.contains("draft"),
            "{path}: drafts stay in the repository"
        );
    }
    assert!(shipped.contains_key("workspace/data/platform/cocotte/media/margot-lune.jpg"));
    assert!(shipped.contains_key("workspace/templates/_base/base.html"));
    assert!(!shipped
        .keys()
        .any(|p| p.starts_with("workspace/templates/tour-site/")));

    let ws = edge.join("workspace");
    let run = t.run(&["--root", ws.to_str().unwrap(), "build", "cocotte.maison"]);
    run.success();
    let again = tree(&ws.join("dist/cocotte.maison/public"));
    let before: BTreeMap<String, Vec<u8>> = public
        .into_iter()
        .filter_map(|(p, b)| Some((p.strip_prefix("public/")?.to_string(), b)))
        .collect();
    let differ: Vec<&String> = before
        .keys()
        .chain(again.keys())
        .filter(|p| before.get(*p) != again.get(*p))
        .collect();
    assert!(
        differ.is_empty(),
        "the shipped workspace builds other pages: {differ:?}"
    );
}
