//! Bad input: one clear message with file:line and a hint, exit code 1, and
//! the previous output left byte-for-byte as it was.

use crate::harness::{without_frames, SiteTest};

/// Builds `domain` once, applies `breakage`, builds again and checks the
/// failure message exactly, that it has a code frame when it names a line
/// (the frames themselves are pinned whole below), and that dist/ did not
/// change.
#[track_caller]
fn fails_untouched(domain: &str, breakage: impl FnOnce(&SiteTest), expected: &str) {
    let t = SiteTest::demo();
    t.run(&["build", domain]).success();
    let before = t.output(domain);
    assert!(!before.is_empty());
    breakage(&t);
    let run = t.run(&["build", domain]);
    run.failure();
    let (shown, frames) = without_frames(&run.stderr);
    assert_eq!(
        shown,
        format!("{expected}\nerror: build failed: {domain}\n")
    );
    let names_a_line = expected
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("error: "))
        .and_then(|l| l.split(": ").next())
        .is_some_and(|place| place.split(':').nth(1).is_some());
    assert_eq!(
        frames,
        usize::from(names_a_line),
        "a frame under an error naming a line: {}",
        run.stderr
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
        "error: sites/cocotte.maison/site.yaml:4:15: the value of `kind` contains `: `, which YAML reads as the start of another key\n  hint: put the whole value in double quotes",
    );
}

#[test]
fn unknown_key_in_site_config() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "  tagline: Une maison", "  tagine: Une maison"),
        "error: sites/cocotte.maison/site.yaml:29:3: brand.tagine: unknown field `tagine`, expected one of `name`, `tagline`, `palette`, `fonts`, `logo`, `cta`, `booking`\n  hint: did you mean `tagline`? The accepted keys are listed in docs/site-config.md",
    );
}

#[test]
fn alias_that_is_not_a_host_name() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "  - cocotte-lyon.fr", "  - \"cocotte lyon;\""),
        "error: sites/cocotte.maison/site.yaml:3:5: aliases[0]: \"cocotte lyon;\" is not a valid host name (expected e.g. cocotte.maison)",
    );
}

#[test]
fn colour_that_is_not_a_colour() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "accent: \"#2f5d50\"", "accent: \"red;} body{x:y\""),
        "error: sites/cocotte.maison/site.yaml:32:13: brand.palette.accent: \"red;} body{x:y\" is not a colour (use #rrggbb, #rgb, rgb(), hsl() or oklch())",
    );
}

#[test]
fn missing_theme() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "theme: atelier", "theme: ateliers"),
        "error: sites/cocotte.maison/site.yaml:5: theme: theme \"ateliers\" does not exist (no themes/ateliers/theme.yaml)\n  hint: available themes: affiche, atelier, nocturne, studio",
    );
}

#[test]
fn front_matter_with_unknown_key() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "weight: 1", "wieght: 1"),
        "error: content/cocotte.maison/about.md:4:1: wieght: unknown field `wieght`, expected one of `title`, `description`, `slug`, `weight`, `draft`, `date`, `publish_date`, `expiry_date`, `template`, `image`, `tags`, `aliases`, `sitemap`, `translation_key`, `extra`\n  hint: did you mean `weight`? The accepted keys are listed in docs/site-config.md",
    );
}

#[test]
fn front_matter_with_bad_date() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/news/welcome-ines.md", "date: 2025-11-03", "date: 3 November"),
        "error: content/cocotte.maison/news/welcome-ines.md:4:7: date: \"3 November\" is not a date (use YYYY-MM-DD or 2026-03-14T18:00:00Z)",
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
        "error: templates/_base/partials/footer.html:3:48: unknown filter: filter no_such_filter is unknown\n  hint: included from templates/_base/base.html:75",
    );
}

/// Issue 17 item 3: an undefined lookup rendered as nothing; now it names
/// the template, line, column and the missing key, with the closest name.
#[test]
fn an_undefined_variable_names_the_missing_key_and_what_was_meant() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("templates/_base/partials/footer.html", "{{ site.brand.name }}{% if", "{{ site.brand.tagine }}{% if"),
        "error: templates/_base/partials/footer.html:3:32: `site.brand.tagine` is undefined: `site.brand` has no `tagine`\n  hint: did you mean `site.brand.tagline`? (included from templates/_base/base.html:75)",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.write("sites/cocotte.maison/templates/page.html", "{% extends \"base.html\" %}\n{% block main %}\n<h1>{{ pgae.title }}</h1>\n{% endblock %}\n"),
        "error: sites/cocotte.maison/templates/page.html:3:8: `pgae.title` is undefined: there is no variable `pgae`\n  hint: did you mean `page`? (while rendering content/cocotte.maison/about.en.md)",
    );
}

/// A page may still test for what it does not have: `if` on a missing key
/// is false, and `default` fills it in.
#[test]
fn optional_values_can_still_be_tested_and_defaulted() {
    let t = SiteTest::demo();
    t.write(
        "sites/cocotte.maison/templates/page.html",
        "{% extends \"base.html\" %}\n{% block main %}\n{% if page.extra.subtitle %}never{% endif %}<p id=\"d\">{{ page.extra.subtitle | default(\"no subtitle\") }}</p>\n{% endblock %}\n",
    );
    t.run(&["build", "cocotte.maison"]).success();
    let html = t.read("dist/cocotte.maison/public/a-propos/index.html");
    assert!(html.contains("<p id=\"d\">no subtitle</p>"), "{html}");
    assert!(!html.contains("never"));
}

/// A block never closed was reported at the end of the file ("unexpected
/// end of input"); it is reported where it was opened.
#[test]
fn an_unclosed_block_is_reported_where_it_opens() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("templates/_base/partials/footer.html", "{% if site.brand.tagline_lang %}", "{% if site.brand.tagline_lang %}{% if true %}"),
        "error: templates/_base/partials/footer.html:3:50: `{% if site.brand.tagline_lang %}` is never closed\n  hint: add `{% endif %}` where the block ends (the file ends with it still open)",
    );
}

/// Inside a `{% block %}` the parser stops at `{% endblock %}` ("unknown
/// statement endblock"); the mistake is the `{% if %}` left open before it.
/// A stray end tag with nothing of its kind open keeps the parser's words.
#[test]
fn an_if_left_open_inside_a_block_is_reported_where_it_opens() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("templates/_base/page.html", "{% if page.date %}", "{% if page.date %}{% if page.title %}"),
        "error: templates/_base/page.html:7:5: `{% if page.date %}` is never closed: `{% endblock %}` on line 18 comes while it is still open\n  hint: add `{% endif %}` where the `if` ends, before `{% endblock %}`",
    );
    fails_untouched(
        "cocotte.maison",
        |t| {
            t.edit(
                "templates/_base/page.html",
                "<article class=\"wrap prose\">",
                "{% endif %}<article class=\"wrap prose\">",
            )
        },
        "error: templates/_base/page.html:4:4: syntax error: unknown statement endif",
    );
}

/// An error inside a macro of a partial names the partial, not the page
/// template that imported it.
#[test]
fn an_error_in_a_partials_macro_names_the_partial() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("templates/_base/partials/date.html", "{{ value|format_date }}", "{{ value.day }}"),
        "error: templates/_base/partials/date.html:2:56: `value.day` is undefined\n  hint: while rendering content/cocotte.maison/_index.en.md",
    );
}

/// Issue 17 item 7: an alias (front matter `aliases`) may not hide a page,
/// repeat a site.yaml redirect, or lead to two pages.
#[test]
fn an_alias_that_hides_a_page_or_leads_two_ways_is_refused() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/contact.md", "---\n", "---\naliases:\n  - /old-contact/\n  - /a-propos/\n"),
        "error: content/cocotte.maison/contact.md:4: aliases[1]: /a-propos/ is the address of a-propos/index.html on this site; a redirect there would hide it\n  hint: remove the alias, or move the page that lives there",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/contact.md", "---\n", "---\naliases: [/equipe/]\n"),
        "error: content/cocotte.maison/contact.md:2: aliases[0]: /equipe/ is already redirected by site.yaml `redirects`\n  hint: keep one of the two",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/contact.md", "---\n", "---\naliases: [/news/welcome-ines/]\n"),
        "error: content/cocotte.maison/news/welcome-ines.md:7: aliases[0]: /news/welcome-ines/ is an alias of content/cocotte.maison/contact.md too\n  hint: an old address can lead to one page only; remove one alias",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/contact.md", "---\n", "---\naliases: [\"/x\\\" ; return 200 \\\"y\"]\n"),
        "error: content/cocotte.maison/contact.md:2:11: aliases[0]: \"/x\\\" ; return 200 \\\"y\" is not a site path (must start with / and contain no .., quotes, spaces or ; { } $; letters with accents are fine)",
    );
    // Paths nginx never matches as written (it decodes and merges slashes).
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/contact.md", "---\n", "---\naliases: [/caf%C3%A9/]\n"),
        "error: content/cocotte.maison/contact.md:2:11: aliases[0]: \"/caf%C3%A9/\" has a %-escape: the web server matches the path decoded, so write it as it reads (/café/, not /caf%C3%A9/)",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/contact.md", "---\n", "---\naliases: [/a//b/]\n"),
        "error: content/cocotte.maison/contact.md:2:11: aliases[0]: \"/a//b/\" has //: the web server merges repeated slashes before matching, so write one /",
    );
}

#[test]
fn template_error_in_a_site_override() {
    fails_untouched(
        "cocotte.maison",
        |t| t.write("sites/cocotte.maison/templates/page.html", "{% extends \"base.html\" %}\n{% block main %}\n{{ page.title + 1 }}\n{% endblock %}\n"),
        "error: sites/cocotte.maison/templates/page.html:3:4: invalid operation: tried to use + operator on unsupported types string and number\n  hint: while rendering content/cocotte.maison/about.en.md",
    );
}

#[test]
fn slug_that_escapes_the_output_folder() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "slug: a-propos", "slug: ../../../etc"),
        "error: content/cocotte.maison/about.md:5:7: slug: slug \"../../../etc\" would escape the site's output folder or is not a plain URL segment (use lowercase letters, digits, hyphens; no / or ..)",
    );
}

#[test]
fn two_pages_claiming_the_same_url() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/contact.md", "weight: 3", "weight: 3\nslug: a-propos"),
        "error: content/cocotte.maison/contact.md:5: slug: content/cocotte.maison/about.md and content/cocotte.maison/contact.md both claim the URL /a-propos/\n  hint: change the `slug:` of one of them or rename a file",
    );
}

/// A front matter `image:` that is not there was the file system's words
/// about the image's path ("cannot read file"), naming no page or line.
#[test]
fn a_missing_front_matter_image_is_named_at_its_line() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "image: images/studio.jpg", "image: images/nope.jpg"),
        "error: content/cocotte.maison/about.md:6: image: image \"images/nope.jpg\" does not exist\n  hint: `image:` is relative to the site's content folder (content/cocotte.maison), not to the page",
    );
}

#[test]
fn content_page_on_a_member_page_url() {
    fails_untouched(
        "cocotte.maison",
        |t| t.write("content/cocotte.maison/members/margot-lune.md", "---\ntitle: Margot\n---\nHi\n"),
        "error: content/cocotte.maison/members/margot-lune.md:1: content/cocotte.maison/members/margot-lune.md claims the URL /members/margot-lune/, which is also the member page of profile prof_c1\n  hint: generated pages own their URLs; choose another slug for the content page",
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
        "error: content/cocotte.maison/about.md:5:15: tags[1]: tag \"???\" needs letters or digits (at most 100 characters): its page is /tags/<tag as a slug>/",
    );
}

/// Regression (issue 12, item 8): numbers in sitegen.yaml were not
/// range-checked. `images.widths: []`, `[0]` and `quality: 255` panicked,
/// `quality: 0` and an overflowing `max_alloc_mib` were accepted, and
/// `platform.retries: 4294967295` wrapped to 0 attempts.
#[test]
fn workspace_numbers_out_of_range_are_errors_at_their_line() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    let original = t.read("sitegen.yaml");
    assert!(
        original.ends_with("  api_base: null\n"),
        "platform: is the last block"
    );
    for (added, expected) in [
        ("images:\n  widths: []\n", "sitegen.yaml:7:11: images.widths: 0 widths given; list 1 to 16 widths in pixels, e.g. [480, 960, 1600]"),
        ("images:\n  widths: [480, 0]\n", "sitegen.yaml:7:17: images.widths[1]: 0 is not between 1 and 16383"),
        ("images:\n  widths:\n    - 480\n    - 16384\n", "sitegen.yaml:9:7: images.widths[1]: 16384 is not between 1 and 16383"),
        ("images:\n  widths: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]\n", "sitegen.yaml:7:11: images.widths: 17 widths given; list 1 to 16 widths in pixels, e.g. [480, 960, 1600]"),
        ("images:\n  quality: 255\n", "sitegen.yaml:7:12: images.quality: 255 is not between 1 and 100"),
        ("images:\n  quality: 0\n", "sitegen.yaml:7:12: images.quality: 0 is not between 1 and 100"),
        ("images:\n  quality: 80.5\n", "sitegen.yaml:7:12: images.quality: 80.5 is not a whole number between 1 and 100"),
        ("images:\n  max_side: 20000\n", "sitegen.yaml:7:13: images.max_side: 20000 is not between 1 and 16383"),
        ("images:\n  max_alloc_mib: 18446744073709551615\n", "sitegen.yaml:7:18: images.max_alloc_mib: 18446744073709551615 is not between 1 and 65536"),
        ("images:\n  max_alloc_mib: -1\n", "sitegen.yaml:7:18: images.max_alloc_mib: -1 is not between 1 and 65536"),
        ("  retries: 4294967295\n", "sitegen.yaml:6:12: platform.retries: 4294967295 is not between 0 and 10"),
        ("  retries: 11\n", "sitegen.yaml:6:12: platform.retries: 11 is not between 0 and 10"),
        ("  connect_timeout_ms: 0\n", "sitegen.yaml:6:23: platform.connect_timeout_ms: 0 is not between 1 and 600000"),
        ("  timeout_ms: 3600001\n", "sitegen.yaml:6:15: platform.timeout_ms: 3600001 is not between 1 and 3600000"),
        ("  backoff_ms: 60001\n", "sitegen.yaml:6:15: platform.backoff_ms: 60001 is not between 0 and 60000"),
        ("  max_retry_after_secs: 3601\n", "sitegen.yaml:6:25: platform.max_retry_after_secs: 3601 is not between 0 and 3600"),
        ("  max_media_bytes: 0\n", "sitegen.yaml:6:20: platform.max_media_bytes: 0 is not between 1 and 1073741824"),
        ("  max_body_bytes: 0\n", "sitegen.yaml:6:19: platform.max_body_bytes: 0 is not between 1 and 1073741824"),
        ("  max_pages: 0\n", "sitegen.yaml:6:14: platform.max_pages: 0 is not between 1 and 100000"),
        // An Instant plus this many seconds panicked with an overflow.
        ("  max_fetch_secs: 18446744073709551615\n", "sitegen.yaml:6:19: platform.max_fetch_secs: 18446744073709551615 is not between 1 and 86400"),
        ("templates:\n  max_fuel: 0\n", "sitegen.yaml:7:13: templates.max_fuel: 0 is not between 1 and 100000000000"),
        ("templates:\n  max_page_bytes: 1073741825\n", "sitegen.yaml:7:19: templates.max_page_bytes: 1073741825 is not between 1 and 1073741824"),
        ("  retries: \"3\"\n", "sitegen.yaml:6:12: platform.retries: expected a whole number between 0 and 10, found the quoted text \"3\"\n  hint: remove the quotes: a number in quotes is text"),
    ] {
        t.write("sitegen.yaml", &format!("{original}{added}"));
        let run = t.run(&["build", "cocotte.maison"]);
        run.failure();
        let (shown, frames) = without_frames(&run.stderr);
        assert_eq!(shown, format!("error: {expected}\n"), "{added}");
        assert_eq!(frames, 1, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            t.output("cocotte.maison") == before,
            "the previous output was changed"
        );
    }
}

/// Both ends of every documented range are accepted.
#[test]
fn workspace_and_site_numbers_at_the_ends_of_their_ranges_are_accepted() {
    let t = SiteTest::demo();
    let original = t.read("sitegen.yaml");
    for added in [
        "  connect_timeout_ms: 1\n  timeout_ms: 1\n  retries: 0\n  backoff_ms: 0\n  max_retry_after_secs: 0\n  max_media_bytes: 1\n  max_body_bytes: 1\n  max_pages: 1\n  max_fetch_secs: 1\nimages:\n  widths: [1]\n  quality: 1\n  max_side: 1\n  max_alloc_mib: 1\ntemplates:\n  max_fuel: 1\n  max_page_bytes: 1\n",
        "  connect_timeout_ms: 600000\n  timeout_ms: 3600000\n  retries: 10\n  backoff_ms: 60000\n  max_retry_after_secs: 3600\n  max_media_bytes: 1073741824\n  max_body_bytes: 1073741824\n  max_pages: 100000\n  max_fetch_secs: 86400\nimages:\n  widths: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16383]\n  quality: 100\n  max_side: 16383\n  max_alloc_mib: 65536\ntemplates:\n  max_fuel: 100000000000\n  max_page_bytes: 1073741824\n",
    ] {
        t.write("sitegen.yaml", &format!("{original}{added}"));
        t.run(&["list"]).success();
    }
    for (keep, paginate) in [("1", "0"), ("100", "65535")] {
        t.edit(
            "sites/cocotte.maison/site.yaml",
            "keep_releases: 5",
            &format!("keep_releases: {keep}\npaginate_by: {paginate}"),
        );
        t.run(&["list"]).success();
        t.edit(
            "sites/cocotte.maison/site.yaml",
            &format!("keep_releases: {keep}\npaginate_by: {paginate}"),
            "keep_releases: 5",
        );
    }
}

#[test]
fn site_keep_releases_out_of_range() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "keep_releases: 5", "keep_releases: 0"),
        "error: sites/cocotte.maison/site.yaml:104:18: deploy.keep_releases: 0 is not between 1 and 100",
    );
}

#[test]
fn site_paginate_by_out_of_range() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "keep_releases: 5", "keep_releases: 5\npaginate_by: 70000"),
        "error: sites/cocotte.maison/site.yaml:105:14: paginate_by: 70000 is not between 0 and 65535",
    );
}

/// Adds a chain of `n` stylesheets to the atelier theme: site.css imports
/// deep/a0.css, which imports a1.css… Each adds a rule `.deep-<i>`.
pub fn import_chain(t: &SiteTest, n: usize) {
    for i in 0..n {
        let next = if i + 1 < n {
            format!("@import \"a{}.css\";\n", i + 1)
        } else {
            String::new()
        };
        t.write(
            &format!("themes/atelier/css/deep/a{i}.css"),
            &format!("{next}.deep-{i}{{color:red}}\n"),
        );
    }
    prepend(
        t,
        "themes/atelier/css/site.css",
        "@import \"deep/a0.css\";\n",
    );
}

/// Regression (issue 12, item 7): a theme `@import` chain about 700 deep
/// overflowed the stack and aborted the process (rc 134).
#[test]
fn css_import_chain_deeper_than_the_limit() {
    fails_untouched(
        "cocotte.maison",
        |t| import_chain(t, 700),
        "error: themes/atelier/css/deep/a30.css:1: @import chain is deeper than 32 stylesheets: css/site.css → css/deep/a0.css → … → css/deep/a29.css → css/deep/a30.css → css/deep/a31.css\n  hint: import the files one after another from one stylesheet instead of each from the one before",
    );
}

/// Puts `text` at the start of the workspace file `rel`.
fn prepend(t: &SiteTest, rel: &str, text: &str) {
    t.write(rel, &format!("{text}{}", t.read(rel)));
}

/// The bundled stylesheet of a built site.
fn site_css(t: &SiteTest, domain: &str) -> String {
    t.output(domain)
        .iter()
        .filter(|(p, _)| p.starts_with("public/assets/site.") && p.ends_with(".css"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect()
}

#[test]
fn css_import_chain_at_the_limit_builds() {
    let t = SiteTest::demo();
    // site.css and 31 more: 32 stylesheets deep.
    import_chain(&t, 31);
    t.run(&["build", "cocotte.maison"]).success();
    let css = site_css(&t, "cocotte.maison");
    assert!(
        css.contains(".deep-30{color:red}"),
        "the deepest rule is bundled"
    );
}

#[test]
fn css_import_cycle() {
    fails_untouched(
        "cocotte.maison",
        |t| {
            t.write("themes/atelier/css/a.css", "/* a */\n@import \"b.css\";\n.a{color:red}\n");
            t.write("themes/atelier/css/b.css", "@import url(a.css);\n.b{color:red}\n");
            prepend(t, "themes/atelier/css/site.css", "@import \"a.css\";\n");
        },
        "error: themes/atelier/css/b.css:1: @import cycle: css/a.css → css/b.css → css/a.css\n  hint: a stylesheet cannot import itself, directly or through others; remove one of these imports",
    );
}

/// lightningcss also recurses per nested block: `@media` 100 deep overflowed
/// a build thread's stack just like the import chain.
#[test]
fn css_nested_deeper_than_the_limit() {
    fails_untouched(
        "sansonnet.maison",
        |t| {
            t.write(
                "themes/nocturne/css/nested.css",
                &format!(
                    ".a{{color:red}}\n{}.x{{color:red}}{}\n",
                    "@media screen{".repeat(700),
                    "}".repeat(700)
                ),
            );
            prepend(t, "themes/nocturne/css/site.css", "@import \"nested.css\";\n");
        },
        "error: themes/nocturne/css/nested.css:2: blocks and brackets nest deeper than 32 levels\n  hint: flatten the nesting; deeper CSS could exhaust the stack of the CSS bundler",
    );
}

/// Every CSS limit reached at once still builds: 32 stylesheets deep, each
/// import under a media condition (the bundler wraps each in `@media`), the
/// last nesting 32 levels of blocks and brackets.
#[test]
fn css_at_every_limit_builds() {
    let t = SiteTest::demo();
    let n = 31;
    for i in 0..n {
        let body = if i + 1 < n {
            format!(
                "@import \"a{}.css\" screen;\n.deep-{i}{{color:red}}\n",
                i + 1
            )
        } else {
            format!(
                "{}.deep-{i}:not(:is(.y)){{color:red}}{}\n",
                "@media screen{".repeat(30),
                "}".repeat(30)
            )
        };
        t.write(&format!("themes/atelier/css/deep/a{i}.css"), &body);
    }
    prepend(
        &t,
        "themes/atelier/css/site.css",
        "@import \"deep/a0.css\" screen;\n",
    );
    t.run(&["build", "cocotte.maison"]).success();
    let css = site_css(&t, "cocotte.maison");
    assert!(
        css.contains(".deep-30:not(.y)"),
        "the deepest rule is bundled"
    );
}

/// Issue 17 item 2: serde_yaml reported an unclosed quote two lines below,
/// at "did not find expected key", without a hint.
#[test]
fn unclosed_quote_is_named_where_it_opens() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "  tagline: Une maison", "  tagline: \"Une maison"),
        "error: sites/cocotte.maison/site.yaml:29:12: brand.tagline: `\"` opens a quoted text that is not closed on its line: it runs on into line 31\n  hint: end the text with `\"` on line 29, or remove the opening `\"`",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "title: À propos", "title: \"À propos"),
        "error: content/cocotte.maison/about.md:2:8: title: `\"` opens a quoted text that is not closed on its line: it runs on into line 3\n  hint: end the text with `\"` on line 2, or remove the opening `\"`",
    );
}

/// Issue 17 item 2: an unclosed `[` was reported where the parser gave up
/// ("did not find expected ',' or ']'", or a host name glued to the next
/// key), not where the list opens.
#[test]
fn unclosed_bracket_is_named_where_it_opens() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "weight: 1", "weight: 1\ntags: [maison, coop\nsitemap: true"),
        "error: content/cocotte.maison/about.md:5:7: tags: `[` opens a list that is not closed: the list runs on into line 6\n  hint: end the list with `]` on line 5, or write one `- item` per line instead",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "aliases:\n  - cocotte-lyon.fr", "aliases: [cocotte-lyon.fr"),
        "error: sites/cocotte.maison/site.yaml:2:10: aliases: `[` opens a list that is not closed: the list runs on into line 3\n  hint: end the list with `]` on line 2, or write one `- item` per line instead",
    );
}

/// Issue 17 item 2: a key given twice was reported at `1:1` (at the start
/// of its mapping); it is named at its second line, with its first one. A
/// key twice in a map (`palette:`) was silently the last.
#[test]
fn duplicate_key_is_named_at_its_line() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "    url: /a-propos/\n", "    url: /a-propos/\n    url: /x/\n"),
        "error: sites/cocotte.maison/site.yaml:45:5: nav[0].url: `url` is given twice in the same mapping: first on line 44, again here\n  hint: keep one of the two: a key may appear only once in a mapping",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "    accent: \"#2f5d50\"\n", "    accent: \"#2f5d50\"\n    primary: \"#000000\"\n"),
        "error: sites/cocotte.maison/site.yaml:33:5: brand.palette.primary: `primary` is given twice in the same mapping: first on line 31, again here\n  hint: keep one of the two: a key may appear only once in a mapping",
    );
}

/// Indentation mistakes were the parser's words ("mapping values are not
/// allowed in this context" with a hint to add quotes, "did not find
/// expected '-' indicator", "tabs disallowed within this context").
#[test]
fn indentation_mistakes_are_said_in_plain_words() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "  description: Cocotte est", "description: Cocotte est"),
        "error: sites/cocotte.maison/site.yaml:59:10: `twitter:` is indented more than the key above it (line 58), so it is read as part of that key's value\n  hint: keys of one mapping start in the same column: line this key up with the one it stands beside, or indent the key above it like its neighbours",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "weight: 1", "  weight: 1"),
        "error: content/cocotte.maison/about.md:4:3: this line is not indented like the lines around it\n  hint: the keys of one mapping start in the same column, and so do the `- ` of one list's items (a key of an item lines up with the first one after its `- `)",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "slug: a-propos", "  slug: a-propos"),
        "error: content/cocotte.maison/about.md:5:7: `slug:` is indented more than the key above it (line 4), so it is read as part of that key's value\n  hint: keys of one mapping start in the same column: line this key up with the one it stands beside, or indent the key above it like its neighbours",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "  twitter: cocottemaison", "  twitter: cocotte: maison"),
        "error: sites/cocotte.maison/site.yaml:59:19: seo: the value of `twitter` contains `: `, which YAML reads as the start of another key\n  hint: put the whole value in double quotes",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "    url: /a-propos/", "   url: /a-propos/"),
        "error: sites/cocotte.maison/site.yaml:44:4: nav: this line is not indented like the lines around it\n  hint: the keys of one mapping start in the same column, and so do the `- ` of one list's items (a key of an item lines up with the first one after its `- `)",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "  twitter: cocottemaison", "\ttwitter: cocottemaison"),
        "error: sites/cocotte.maison/site.yaml:59:1: seo.description: a tab is used for indentation here\n  hint: indent with spaces: YAML does not allow tabs for indentation",
    );
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("sites/cocotte.maison/site.yaml", "  description: Cocotte est", "\tdescription: Cocotte est"),
        "error: sites/cocotte.maison/site.yaml:58:1: seo: a tab is used for indentation here\n  hint: indent with spaces: YAML does not allow tabs for indentation",
    );
}

/// Issue 17 item 2: a wrong type said "invalid type: string \"one\",
/// expected i64".
#[test]
fn wrong_type_is_said_in_plain_words() {
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "weight: 1", "weight: one"),
        "error: content/cocotte.maison/about.md:4:9: weight: expected a whole number, found `one`\n  hint: write a whole number without quotes, e.g. `weight: 3`",
    );
    // YAML 1.1's yes/no are not booleans here: said so, at the value.
    fails_untouched(
        "cocotte.maison",
        |t| t.edit("content/cocotte.maison/about.md", "weight: 1", "weight: 1\ndraft: yes"),
        "error: content/cocotte.maison/about.md:5:8: draft: expected true or false, found `yes`\n  hint: write true or false (yes, no, on and off are not accepted)",
    );
}

/// Issue 17 item 2: a byte order mark at the start of site.yaml made its
/// first key unknown ("missing field `kind`"), and theme.yaml "more than
/// one document". Editors that write one: the file reads as without it.
#[test]
fn a_byte_order_mark_is_accepted_everywhere() {
    let t = SiteTest::demo();
    t.run(&["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    for file in [
        "sitegen.yaml",
        "sites/cocotte.maison/site.yaml",
        "themes/atelier/theme.yaml",
        "content/cocotte.maison/about.md",
        "templates/_base/i18n/fr.yaml",
    ] {
        prepend(&t, file, "\u{feff}");
    }
    t.run(&["build", "cocotte.maison"]).success();
    let after = t.output("cocotte.maison");
    // The manifest records a digest of the input bytes, which did change.
    assert_eq!(
        crate::harness::differing(&before, &after),
        ["manifest.json"],
        "the same site"
    );
}

/// A front matter `extra:` of aliases that expand a billion times, or
/// brackets 10,000 deep, is refused at its line; the build neither eats the
/// memory nor overflows the stack.
#[test]
fn yaml_bombs_are_refused() {
    let mut bomb = String::from("weight: 1\nextra:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let t = SiteTest::demo();
    t.edit("content/cocotte.maison/about.md", "weight: 1\n", &bomb);
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr
            .starts_with("error: content/cocotte.maison/about.md:")
            && run
                .stderr
                .contains("this YAML is too large or nests too deep")
            && run.stderr.contains("hint: a site file needs neither"),
        "{}",
        run.stderr
    );
    let deep = format!(
        "weight: 1\nextra:\n  x: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    t.edit("content/cocotte.maison/about.md", &bomb, &deep);
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr
            .starts_with("error: content/cocotte.maison/about.md:6:")
            && run
                .stderr
                .contains("this YAML is too large or nests too deep"),
        "{}",
        run.stderr
    );
}

/// Issue 17 item 1: the lines of the file under the error, the line
/// numbered, a caret at the column; between the message and the hint.
#[test]
fn a_yaml_error_shows_its_code_frame() {
    let t = SiteTest::demo();
    t.edit(
        "content/cocotte.maison/about.md",
        "weight: 1",
        "weight: one",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: content/cocotte.maison/about.md:4:9: weight: expected a whole number, found `one`
  |
2 | title: À propos de la maison
3 | description: \"Comment fonctionne Cocotte\u{a0}: une coopérative de praticiens indépendants qui mettent en commun la vérification des clien...
4 | weight: one
  |         ^
5 | slug: a-propos
6 | image: images/studio.jpg
  |
  hint: write a whole number without quotes, e.g. `weight: 3`
error: build failed: cocotte.maison
"
    );
}

/// Issue 17 item 1: a template error's frame, the caret at the column of
/// the expression that failed.
#[test]
fn a_template_error_shows_its_code_frame() {
    let t = SiteTest::demo();
    t.write(
        "sites/cocotte.maison/templates/page.html",
        "{% extends \"base.html\" %}\n{% block main %}\n<h1>{{ page.title + 1 }}</h1>\n{% endblock %}\n",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert_eq!(
        run.stderr,
        "error: sites/cocotte.maison/templates/page.html:3:8: invalid operation: tried to use + operator on unsupported types string and number
  |
1 | {% extends \"base.html\" %}
2 | {% block main %}
3 | <h1>{{ page.title + 1 }}</h1>
  |        ^
4 | {% endblock %}
  |
  hint: while rendering content/cocotte.maison/about.en.md
error: build failed: cocotte.maison
"
    );
}

/// Frames are coloured on a terminal only, and never with NO_COLOR.
#[test]
fn a_frame_is_coloured_on_a_terminal_unless_no_color() {
    let t = SiteTest::demo();
    t.edit(
        "content/cocotte.maison/about.md",
        "weight: 1",
        "weight: one",
    );
    let run = t.run(&["build", "cocotte.maison"]);
    assert!(!run.stderr.contains('\u{1b}'), "no colour into a pipe");
    // `script` gives the command a terminal.
    let on_terminal = |no_color: &str| {
        let out = std::process::Command::new("script")
            .args([
                "-qec",
                &format!("{} build cocotte.maison", env!("CARGO_BIN_EXE_sitegen")),
                "/dev/null",
            ])
            .current_dir(t.root())
            .env("NO_COLOR", no_color)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = on_terminal("");
    assert!(
        coloured.contains("weight: one") && coloured.contains('\u{1b}'),
        "{coloured}"
    );
    let plain = on_terminal("1");
    assert!(
        plain.contains("weight: one") && !plain.contains('\u{1b}'),
        "{plain}"
    );
}
