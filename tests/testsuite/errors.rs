//! Bad input: one clear message with file:line and a hint, exit code 1, and
//! the previous output left byte-for-byte as it was.

use crate::harness::SiteTest;

/// Builds `domain` once, applies `breakage`, builds again and checks the
/// failure message exactly and that dist/ did not change.
#[track_caller]
fn fails_untouched(domain: &str, breakage: impl FnOnce(&SiteTest), expected: &str) {
    let t = SiteTest::demo();
    t.run(&["build", domain]).success();
    let before = t.output(domain);
    assert!(!before.is_empty());
    breakage(&t);
    let run = t.run(&["build", domain]);
    run.failure();
    assert_eq!(
        run.stderr,
        format!("{expected}\nerror: build failed: {domain}\n")
    );
    assert!(run.stdout.is_empty(), "no success line: {}", run.stdout);
    assert!(
        t.output(domain) == before,
        "the previous output was changed"
    );
    let leftovers: Vec<_> = std::fs::read_dir(t.root().join("dist"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "staging folders left behind: {leftovers:?}"
    );
}

#[test]
fn yaml_syntax_error_in_site_config() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "kind: org-site", "kind: org-site: bis"),
        "error: sites/cocotte.maison/site.yaml:4:15: mapping values are not allowed in this context\n  hint: a value contains `: `; put the whole value in double quotes",
    );
}

#[test]
fn unknown_key_in_site_config() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "  tagline: A house", "  tagine: A house"),
        "error: sites/cocotte.maison/site.yaml:12:3: brand.tagine: unknown field `tagine`, expected one of `name`, `tagline`, `palette`, `fonts`, `logo`\n  hint: check the spelling; the accepted keys are listed in docs/site-config.md",
    );
}

#[test]
fn alias_that_is_not_a_host_name() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "  - cocotte-lyon.fr", "  - \"cocotte lyon;\""),
        "error: sites/cocotte.maison/site.yaml:3:3: aliases[0]: \"cocotte lyon;\" is not a valid host name (expected e.g. cocotte.maison)",
    );
}

#[test]
fn colour_that_is_not_a_colour() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "accent: \"#2f5d50\"", "accent: \"red;} body{x:y\""),
        "error: sites/cocotte.maison/site.yaml:15: brand.palette.accent: \"red;} body{x:y\" is not a colour (use #rrggbb, #rgb, rgb(), hsl() or oklch())",
    );
}

#[test]
fn missing_theme() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "theme: atelier", "theme: ateliers"),
        "error: sites/cocotte.maison/site.yaml:5: theme: theme \"ateliers\" does not exist (no themes/ateliers/theme.yaml)\n  hint: available themes: atelier, nocturne",
    );
}

#[test]
fn front_matter_with_unknown_key() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "weight: 1", "wieght: 1"),
        "error: content/cocotte.maison/about.md:4:1: wieght: unknown field `wieght`, expected one of `title`, `description`, `slug`, `weight`, `draft`, `date`, `template`, `image`, `tags`, `sitemap`, `extra`\n  hint: check the spelling; the accepted keys are listed in docs/site-config.md",
    );
}

#[test]
fn front_matter_with_bad_date() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/news/welcome-ines.md", "date: 2025-11-03", "date: 3 November"),
        "error: content/cocotte.maison/news/welcome-ines.md:4: date: \"3 November\" is not a date (use YYYY-MM-DD or 2026-03-14T18:00:00Z)",
    );
}

#[test]
fn content_without_front_matter() {
    fails_untouched(
        "cocotte.maison",
        |t| t.write("content/cocotte.maison/press.md", "# Press\n"),
        "error: content/cocotte.maison/press.md:1: missing front matter\n  hint: start the file with a --- line, a YAML block with at least `title:`, and another --- line",
    );
}

#[test]
fn missing_template() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "weight: 1", "weight: 1\ntemplate: about.html"),
        "error: content/cocotte.maison/about.md:5: template: template \"about.html\" does not exist\n  hint: looked in sites/cocotte.maison/templates/, themes/atelier/templates/, templates/org-site/ and templates/_base/",
    );
}

#[test]
fn template_runtime_error_inside_an_included_partial() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("templates/_base/partials/footer.html", "{{ site.brand.name }}{% if", "{{ site.brand.name|no_such_filter }}{% if"),
        "error: templates/_base/partials/footer.html:3: unknown filter: filter no_such_filter is unknown\n  hint: included from templates/_base/base.html:44",
    );
}

#[test]
fn template_error_in_a_site_override() {
    fails_untouched(
        "cocotte.maison",
        |t| t.write("sites/cocotte.maison/templates/page.html", "{% extends \"base.html\" %}\n{% block main %}\n{{ page.title + 1 }}\n{% endblock %}\n"),
        "error: sites/cocotte.maison/templates/page.html:3: invalid operation: tried to use + operator on unsupported types string and number\n  hint: while rendering content/cocotte.maison/about.md",
    );
}

#[test]
fn slug_that_escapes_the_output_folder() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "weight: 1", "slug: ../../../etc"),
        "error: content/cocotte.maison/about.md:4: slug: slug \"../../../etc\" would escape the site's output folder or is not a plain URL segment (use lowercase letters, digits, hyphens; no / or ..)",
    );
}

#[test]
fn two_pages_claiming_the_same_url() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/contact.md", "weight: 3", "weight: 3\nslug: about"),
        "error: content/cocotte.maison/contact.md: content/cocotte.maison/about.md and content/cocotte.maison/contact.md both claim the URL /about/\n  hint: change the `slug:` of one of them or rename a file",
    );
}

#[test]
fn content_page_on_a_member_page_url() {
    fails_untouched(
        "cocotte.maison",
        |t| t.write("content/cocotte.maison/members/margot-lune.md", "---\ntitle: Margot\n---\nHi\n"),
        "error: content/cocotte.maison/members/margot-lune.md: content/cocotte.maison/members/margot-lune.md claims the URL /members/margot-lune/, which is also the member page of profile prof_c1\n  hint: generated pages own their URLs; choose another slug for the content page",
    );
}

#[test]
fn raster_image_in_static_is_refused() {
    fails_untouched(
        "transquinnftw.com",
        |t| t.write("sites/transquinnftw.com/static/photo.jpg", "not really a jpeg"),
        "error: sites/transquinnftw.com/static/photo.jpg: photo.jpg is a raster image in a static folder; it would be published with its metadata\n  hint: reference images from content or templates so they are re-encoded",
    );
}

#[test]
fn unknown_domain() {
    let t = SiteTest::demo();
    let run = t.run(&["build", "nope.example"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: no site named \"nope.example\"\n  hint: known sites: adulttherapytour.com, cocotte.maison, sansonnet.maison, transquinnftw.com\nerror: build failed: nope.example\n"
    );
}

#[test]
fn one_failing_site_does_not_stop_the_others() {
    let t = SiteTest::demo();
    t.edit(
        "content/cocotte.maison/about.md",
        "weight: 1",
        "weight: one",
    );
    let run = t.run(&["build", "--all"]);
    run.failure();
    assert!(run.stdout.contains("built sansonnet.maison"));
    assert!(run.stdout.contains("3 of 4 sites built"));
    assert!(
        run.stderr.contains("content/cocotte.maison/about.md:4"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("error: build failed: cocotte.maison\n"),
        "{}",
        run.stderr
    );
    assert!(t.output("cocotte.maison").is_empty());
}

#[test]
fn tag_without_letters_or_digits() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "weight: 1", "weight: 1\ntags: [house, \"???\"]"),
        "error: content/cocotte.maison/about.md:5:7: tags[1]: tag \"???\" needs letters or digits (at most 100 characters): its page is /tags/<tag as a slug>/",
    );
}
