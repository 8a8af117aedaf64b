//! Runaway templates (issue 12, item 21): a template that loops far too long
//! or writes without end fails the build naming the template and the page,
//! instead of running until killed or filling memory and disk.

use crate::harness::SiteTest;

fn with_template(t: &SiteTest, body: &str) {
    t.write("sites/cocotte.maison/templates/runaway.html", body);
    t.edit(
        "content/cocotte.maison/about.md",
        "title:",
        "template: runaway.html\ntitle:",
    );
}

/// Regression: nested `range(100000)` loops ran until killed.
#[test]
fn a_template_that_loops_too_long_runs_out_of_fuel() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    with_template(
        &t,
        "<p>\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n</p>\n",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: sites/cocotte.maison/templates/runaway.html:2:41: rendering content/cocotte.maison/about.md ran out of fuel: more than 50000000 template instructions (templates.max_fuel)\n  |\n1 | <p>\n2 | {% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n  |                                         ^\n3 | </p>\n  |\n  hint: a loop that runs too long? Raise templates.max_fuel in sitegen.yaml only if the page really needs that much work\nerror: build failed: cocotte.maison\n"
    );
    assert!(t.output("cocotte.maison") == before);
}

/// Regression: a template wrote a 10 GB page.
#[test]
fn a_template_that_writes_without_end_is_stopped_at_the_page_limit() {
    let t = SiteTest::demo();
    let yaml = t.read("sitegen.yaml");
    t.write(
        "sitegen.yaml",
        &format!("{yaml}\ntemplates:\n  max_page_bytes: 1048576\n"),
    );
    with_template(
        &t,
        "{% for i in range(100000) %}\n{{ \"x\" * 100000 }}\n{% endfor %}\n",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: sites/cocotte.maison/templates/runaway.html: rendering content/cocotte.maison/about.md wrote more than 1 MiB (templates.max_page_bytes)\n  hint: a loop that writes without end? Raise templates.max_page_bytes in sitegen.yaml only if the page is really that large\nerror: build failed: cocotte.maison\n"
    );
    assert!(t.output("cocotte.maison").is_empty());
}
