//! Shortcodes in brand copy (issue 17 item 6): components written in the
//! markdown with arguments, rendered by templates the site or theme can
//! override, escaped by default, with errors at the markdown line.

use crate::harness::SiteTest;

const PAGE: &str = "content/cocotte.maison/atelier.md";

const COPY: &str = r#"---
title: Atelier
---
Intro with {{ button(url="/contact/", text="Écrire <vite>") }} inline.

{{ figure(src="images/studio.jpg", alt="Le salon [clair] > <b>nuit</b> & jour", caption="Le salon, <em>au matin</em>") }}

{% callout(kind="tip", title="À savoir") %}
Un **corps** en markdown, avec {{ button(url="/a-propos/", text="la maison") }}.
{% end %}

`{{ figure(src="nope.jpg") }}` reste du code.

{{ gallery(images=[{"src": "images/studio.jpg", "alt": "Un"}, {"src": "images/studio.jpg", "alt": "Deux"}]) }}
"#;

fn main_of(html: &str) -> &str {
    let start = html.find("<main").unwrap();
    &html[start..html[start..].find("</main>").unwrap() + start]
}

#[test]
fn shortcodes_render_through_templates_escaped_with_markdown_bodies_and_the_image_pipeline() {
    let t = SiteTest::demo();
    t.write(PAGE, COPY);
    t.run(&["build", "cocotte.maison"]).success();
    let html = t.read("dist/cocotte.maison/public/atelier/index.html");
    let main = main_of(&html);
    // Inline, in its paragraph; arguments are text, never markup.
    assert!(
        main.contains(r#"<p>Intro with <a class="button" href="/contact/">Écrire &lt;vite&gt;</a> inline.</p>"#),
        "{main}"
    );
    // A .md shortcode's image goes through the pipeline (WebP, sizes), its
    // caption is escaped, and markdown syntax in the alt text stays text.
    assert!(
        main.contains("<figure class=\"figure\">\n<p><picture><source type=\"image/webp\""),
        "{main}"
    );
    // Escaped once, for HTML, by markdown (not also by the template).
    assert!(
        main.contains("alt=\"Le salon [clair] &gt; &lt;b&gt;nuit&lt;/b&gt; &amp; jour\""),
        "{main}"
    );
    assert!(
        main.contains("<figcaption>Le salon, &lt;em&gt;au matin&lt;/em&gt;</figcaption>"),
        "{main}"
    );
    assert!(
        !main.contains("images/studio.jpg"),
        "no raw image published: {main}"
    );
    // A body is markdown, with calls inside, replacing its paragraph.
    assert!(
        main.contains("<aside class=\"callout callout-tip\">\n<p class=\"callout-title\">À savoir</p>\n<p>Un <strong>corps</strong> en markdown, avec <a class=\"button\" href=\"/a-propos/\">la maison</a>.</p>"),
        "{main}"
    );
    assert!(!main.contains("<p><aside"), "{main}");
    // In code, a call is text.
    assert!(
        main.contains("<code>{{ figure(src=&quot;nope.jpg&quot;) }}</code>")
            || main.contains("<code>{{ figure(src=\"nope.jpg\") }}</code>"),
        "{main}"
    );
    assert_eq!(
        main.matches("<picture>").count(),
        3,
        "figure + 2 gallery tiles: {main}"
    );
    assert!(main.contains("<div class=\"gallery-embed\">"), "{main}");
    let out = t.output("cocotte.maison");
    assert!(
        !out.keys().any(|p| p.ends_with("studio.jpg")),
        "only processed images"
    );

    // A site overrides a shortcode like any template.
    t.write(
        "sites/cocotte.maison/templates/shortcodes/button.html",
        "<a class=\"button button-brand\" href=\"{{ url }}\">{{ text }} →</a>",
    );
    t.run(&["build", "cocotte.maison"]).success();
    let html = t.read("dist/cocotte.maison/public/atelier/index.html");
    assert!(
        html.contains(
            r#"<a class="button button-brand" href="/contact/">Écrire &lt;vite&gt; →</a>"#
        ),
        "{html}"
    );
}

/// Every mistake names the content file and the call's line (the template
/// and its line when the template fails), and leaves the last build alone.
#[test]
fn shortcode_mistakes_are_errors_at_the_markdown_line() {
    let t = SiteTest::demo();
    t.write(PAGE, COPY);
    t.run(&["build", "cocotte.maison"]).success();
    let before = t.output("cocotte.maison");
    let cases = [
        (
            "{{ figure(src=",
            "{{ figur(src=",
            "error: content/cocotte.maison/atelier.md:6:1: there is no shortcode \"figur\" (no shortcodes/figur.html or .md template)\n  hint: did you mean `figure`?",
        ),
        (
            "images/studio.jpg\", alt=\"Le salon",
            "images/absent.jpg\", alt=\"Le salon",
            "error: content/cocotte.maison/atelier.md:6: image \"images/absent.jpg\" does not exist",
        ),
        (
            "alt=\"Le salon [clair] > <b>nuit</b> & jour\"",
            "alt=salon",
            "error: content/cocotte.maison/atelier.md:6:1: shortcode figure: arguments: alt is not a literal (write it in quotes if it is text)",
        ),
        (
            "la maison\") }}.\n{% end %}",
            "la maison\") }}.\n",
            "error: content/cocotte.maison/atelier.md:8: shortcode callout has no {% end %}",
        ),
        (
            "text=\"Écrire <vite>\"",
            "txt=\"x\"",
            "error: templates/_base/shortcodes/button.html:2: shortcode button: `text` is undefined: there is no variable `text`\n  hint: did you mean `txt`? (called at content/cocotte.maison/atelier.md:4)",
        ),
        (
            "{{ button(url=\"/contact/\", text=\"Écrire <vite>\") }}",
            "{{ button(url=\"/contact/\" text=\"x\") }}",
            "error: content/cocotte.maison/atelier.md:4:12: shortcode button: arguments:",
        ),
        (
            "{{ button(url=\"/contact/\", text=\"Écrire <vite>\") }}",
            "{{ button(url=\"/contact/\") ]}",
            "error: content/cocotte.maison/atelier.md:4: shortcode button: expected }} after its arguments",
        ),
        // A missing argument is named, also where a filter is given it.
        (
            "alt=\"Le salon [clair] > <b>nuit</b> & jour\"",
            "al=\"x\"",
            "error: templates/_base/shortcodes/figure.md:6: shortcode figure: `alt` is undefined: there is no variable `alt`\n  hint: did you mean `al`? (called at content/cocotte.maison/atelier.md:6)",
        ),
        // A button's link is a path or a web, mail or phone URL.
        (
            "url=\"/contact/\", text=\"Écrire <vite>\"",
            "url=\"javascript:alert(1)\", text=\"x\"",
            "error: templates/_base/shortcodes/button.html:2: shortcode button: invalid operation: \"javascript:alert(1)\" is not a link: write a path of the site (/contact/) or an https, http, mailto or tel URL\n  hint: called at content/cocotte.maison/atelier.md:4",
        ),
        // A mistyped call of a shortcode is an error, not text on the page.
        (
            "{{ button(url=\"/contact/\", text=\"Écrire <vite>\") }}",
            "{{ button(url=\"/contact/\", text=\"x\" }}",
            "error: content/cocotte.maison/atelier.md:4:12: shortcode button: this call does not parse",
        ),
        (
            "{{ button(url=\"/contact/\", text=\"Écrire <vite>\") }}",
            "{{ button url=\"/contact/\" }}",
            "error: content/cocotte.maison/atelier.md:4:12: shortcode button: this call does not parse",
        ),
    ];
    for (from, to, expected) in cases {
        t.write(PAGE, &COPY.replacen(from, to, 1));
        let run = t.run(&["build", "cocotte.maison"]);
        run.failure();
        // The message's line, then (after the code frame) the hint.
        let (first, hint) = expected.split_once("\n  hint: ").unwrap_or((expected, ""));
        assert!(run.stderr.starts_with(first), "{to}: {}", run.stderr);
        assert!(
            hint.is_empty() || run.stderr.contains(&format!("\n  hint: {hint}")),
            "{to}: {}",
            run.stderr
        );
        assert!(
            t.output("cocotte.maison") == before,
            "{to}: earlier output changed"
        );
    }
    // A shortcode name cannot reach outside shortcodes/.
    t.write(PAGE, "---\ntitle: x\n---\n{{ base(x=1) }}\n");
    let run = t.run(&["build", "cocotte.maison"]);
    run.failure();
    assert!(
        run.stderr.contains("there is no shortcode \"base\""),
        "{}",
        run.stderr
    );
}

/// `sitegen serve` reads the pages again when a shortcode template changes.
#[test]
fn a_shortcode_template_edit_shows_in_the_preview() {
    let s = crate::serve::Serving::start_with(&["cocotte.maison"], |t| t.write(PAGE, COPY));
    s.wait_for("cocotte.maison", "/atelier/", "first build", |b| {
        b.contains("callout-tip")
    });
    s.t.write(
        "templates/_base/shortcodes/callout.html",
        "<aside class=\"edited-callout\">{{ body }}</aside>",
    );
    s.wait_for("cocotte.maison", "/atelier/", "shortcode edit", |b| {
        b.contains("<aside class=\"edited-callout\">")
    });
}
