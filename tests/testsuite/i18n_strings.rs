//! Interface strings, plural forms and locale formats (issue 14, item 3):
//! `t()`, `format_date` and `format_number` in the page's language, string
//! files looked up `_base` → kind → theme → site, fallbacks along the
//! language chain, and bad or linked string files. On the `i18n-strings`
//! fixture: a French tour site (`language: fr`) with tags, a paginated
//! section and a page (`compteurs.md`, template `counts.html`) that prints
//! plural forms, a number and dates.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::harness::{without_frames, SiteTest, DEMO_DOMAINS};

const D: &str = "fr.example";
const NBSP: char = '\u{a0}';
const NNBSP: char = '\u{202f}';

/// English interface text that a French page must not show (none of it is
/// in the fixture's or the demo sites' copy).
const ENGLISH: [&str; 22] = [
    "Skip to content",
    ">Sitemap<",
    "aria-label=\"Main\"",
    "aria-label=\"Elsewhere\"",
    "aria-label=\"Tags\"",
    "Page not found",
    "Back to the home page",
    "Nothing here yet",
    "More in this section",
    " of 2<",
    "Book a place in",
    "See every date",
    "To be announced",
    "All tour dates",
    ">Venue<",
    ">Status<",
    "Meet everyone",
    "Latest news",
    "The people of",
    "All members of",
    "Portrait of",
    "What I offer",
];

fn fixture() -> SiteTest {
    SiteTest::from_dir("i18n-strings")
}

/// Every HTML page of a built site, path → text.
fn pages(t: &SiteTest, domain: &str) -> BTreeMap<String, String> {
    t.output(domain)
        .into_iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .map(|(p, b)| (p, String::from_utf8(b).unwrap()))
        .collect()
}

#[track_caller]
fn contains_all(html: &str, what: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(html.contains(w), "{what} lacks {w:?}:\n{html}");
    }
}

#[test]
fn a_french_site_shows_french_interface_strings_and_dates() {
    let t = fixture();
    let run = t.run(&["build", D]);
    run.success();
    assert_eq!(run.stderr, "", "no warnings");
    let lyon = t.page(D, "tour/lyon/index.html");
    contains_all(
        &lyon,
        "the Lyon leg",
        &[
            "<title>Printemps 2027 à Lyon · Tournée d’essai</title>",
            &format!("<meta name=\"description\" content=\"Printemps 2027 — Lyon, France{NBSP}: du 2 avril 2027 au 3 avril 2027\">"),
            "<a class=\"skip-link\" href=\"#main\">Aller au contenu</a>",
            "<nav class=\"site-nav\" aria-label=\"Menu principal\">",
            "<p class=\"lede\"><time datetime=\"2027-04-02\">2 avr.</time> – <time datetime=\"2027-04-03\">3 avril 2027</time> · France</p>",
            "<dt>Lieu</dt><dd>Salle Rameau</dd>",
            "<dt>Statut</dt><dd><span class=\"badge status-open\">Ouvert</span></dd>",
            "rel=\"noopener\">Réserver une place à Lyon</a>",
            "<a href=\"/tour/\">Toutes les dates de la tournée</a>",
            ">Plan du site</a>",
        ],
    );
    contains_all(
        &t.page(D, "tour/nantes/index.html"),
        "the Nantes leg",
        &[
            "<dt>Lieu</dt><dd>À confirmer</dd>",
            "<span class=\"badge status-full\">Complet</span>",
            "<p>Cette date est complète. Inscrivez-vous sur la liste d’attente",
        ],
    );
    contains_all(
        &t.page(D, "tour/lille/index.html"),
        "the Lille leg",
        &[
            "<p class=\"lede\"><time datetime=\"2027-06-11\">11 juin 2027</time> · France</p>",
            "<span class=\"badge status-cancelled\">Annulé</span>",
            "<p>Cette date est annulée.",
        ],
    );
    contains_all(
        &t.page(D, "tour/index.html"),
        "the schedule",
        &[
            "<th scope=\"col\">Ville</th><th scope=\"col\">Dates</th><th scope=\"col\">Lieu</th><th scope=\"col\">Statut</th><th scope=\"col\">Réservation</th>",
            "rel=\"noopener\">Réserver à Lyon</a>",
            "<td data-label=\"Lieu\">À confirmer</td>",
        ],
    );
    contains_all(
        &t.page(D, "index.html"),
        "the home page",
        &[
            ">Voir toutes les dates</a>",
            "<span class=\"badge status-open\">Ouvert</span>",
        ],
    );
    contains_all(
        &t.page(D, "journal/lyon/index.html"),
        "a dated page",
        &[
            "<p class=\"meta\"><time datetime=\"2027-04-02\">2 avril 2027</time></p>",
            "<ul class=\"tags\" aria-label=\"Étiquettes\">",
        ],
    );
    contains_all(
        &t.page(D, "journal/index.html"),
        "the section's first page",
        &[
            "<nav class=\"pagination\" aria-label=\"Pages\">",
            "<span>Page 1 sur 2</span>",
            "rel=\"next\" href=\"/journal/page/2/\">Suivante →</a>",
        ],
    );
    contains_all(
        &t.page(D, "journal/page/2/index.html"),
        "the section's second page",
        &[
            "rel=\"prev\" href=\"/journal/\">← Précédente</a>",
            "<span>Page 2 sur 2</span>",
        ],
    );
    contains_all(
        &t.page(D, "tags/lyon/index.html"),
        "a tag with two pages",
        &[
            &format!("<meta name=\"description\" content=\"Pages étiquetées «{NBSP}Lyon{NBSP}» sur Tournée d’essai\">"),
            "<a href=\"/tags/\">Étiquettes</a>",
            "<p>2 pages</p>",
        ],
    );
    contains_all(
        &t.page(D, "tags/atelier/index.html"),
        "a tag with one page",
        &["<p>1 page</p>"],
    );
    contains_all(
        &t.page(D, "tags/index.html"),
        "the tags index",
        &[
            "<title>Étiquettes · Tournée d’essai</title>",
            "<meta name=\"description\" content=\"Toutes les étiquettes de Tournée d’essai\">",
            "<h1>Étiquettes</h1>",
        ],
    );
    contains_all(
        &t.page(D, "404.html"),
        "the 404 page",
        &[
            "<title>Page introuvable · Tournée d’essai</title>",
            "<h1>Page introuvable</h1>",
            "<p>Cette page n’existe pas, ou elle a été déplacée.</p>",
            ">Retour à la page d’accueil</a>",
        ],
    );
    for (path, html) in pages(&t, D) {
        for english in ENGLISH {
            assert!(!html.contains(english), "{path} shows {english:?}");
        }
        assert!(!html.contains("April"), "{path} has an English date");
    }
}

#[test]
fn plural_forms_numbers_and_dates_follow_the_language() {
    let t = fixture();
    t.run(&["build", D]).success();
    let fr = t.page(D, "compteurs/index.html");
    contains_all(
        &fr,
        "the French counts page",
        &[
            // French: 0 and 1 are singular.
            &format!("<ul class=\"counts\"><li>0 page</li><li>1 page</li><li>2 pages</li><li>1{NNBSP}234 pages</li></ul>"),
            &format!("<p class=\"number\">1{NNBSP}234{NNBSP}567,5</p>"),
            "<p class=\"dates\">2 avril 2027 | 2 avr. 2027 | 02/04/2027 | 2 avr.</p>",
            // The string's own text as written, the value put into it escaped.
            "<p class=\"escaped\">Réserver une place à &lt;b&gt;R&amp;D&lt;/b&gt;</p>",
        ],
    );
    t.edit(
        &format!("sites/{D}/site.yaml"),
        "language: fr",
        "language: en",
    );
    t.run(&["build", D]).success();
    let en = t.page(D, "compteurs/index.html");
    contains_all(
        &en,
        "the English counts page",
        &[
            // English: only 1 is.
            "<ul class=\"counts\"><li>0 pages</li><li>1 page</li><li>2 pages</li><li>1,234 pages</li></ul>",
            "<p class=\"number\">1,234,567.5</p>",
            "<p class=\"dates\">2 April 2027 | 2 Apr 2027 | 02/04/2027 | 2 Apr</p>",
            "<p class=\"escaped\">Book a place in &lt;b&gt;R&amp;D&lt;/b&gt;</p>",
            "<p class=\"skip\">Skip to content</p>",
        ],
    );
}

#[test]
fn string_files_override_each_other_key_by_key_base_kind_theme_site() {
    let t = fixture();
    // The kind overrides the base, the theme the kind, the site the theme.
    t.write(
        "templates/tour-site/i18n/fr.yaml",
        &(t.read("templates/tour-site/i18n/fr.yaml") + "footer.sitemap: Plan (type)\n"),
    );
    t.write(
        "themes/nocturne/i18n/fr.yaml",
        "skip_link: Contenu (thème)\nstatus.open: Ouvert (thème)\nleg.venue: Lieu (thème)\n",
    );
    t.write(
        &format!("sites/{D}/i18n/fr.yaml"),
        "leg.venue: Lieu (site)\nnot_found.home: Accueil (site)\n",
    );
    t.run(&["build", D]).success();
    let lyon = t.page(D, "tour/lyon/index.html");
    contains_all(
        &lyon,
        "the Lyon leg",
        &[
            ">Contenu (thème)</a>",
            "<dt>Lieu (site)</dt>",
            "<span class=\"badge status-open\">Ouvert (thème)</span>",
            ">Plan (type)</a>",
            // Keys nobody overrides still come from the kind and the base.
            ">Réserver une place à Lyon</a>",
            "<dt>Statut</dt>",
            "aria-label=\"Menu principal\"",
        ],
    );
    contains_all(
        &t.page(D, "404.html"),
        "the 404 page",
        &[">Accueil (site)</a>", "<h1>Page introuvable</h1>"],
    );
    // A regional language reads the language's files, then its own.
    t.edit(
        &format!("sites/{D}/site.yaml"),
        "language: fr",
        "language: fr-CA",
    );
    t.write(
        &format!("sites/{D}/i18n/fr-CA.yaml"),
        "leg.venue: Salle (Québec)\n",
    );
    t.run(&["build", D]).success();
    contains_all(
        &t.page(D, "tour/lyon/index.html"),
        "the Lyon leg in fr-CA",
        &[
            "<dt>Salle (Québec)</dt>",
            "<span class=\"badge status-open\">Ouvert (thème)</span>",
        ],
    );
}

/// Builds once, breaks something, and checks the build fails with exactly
/// `expected` and leaves the first output as it was.
#[track_caller]
fn fails_untouched(t: &SiteTest, args: &[&str], breakage: impl FnOnce(&SiteTest), expected: &str) {
    t.run(&["build", D]).success();
    let before = t.output(D);
    breakage(t);
    let run = t.run(args);
    run.failure();
    // Every error here names a line of a source: its code frame is under it.
    let (shown, frames) = without_frames(&run.stderr);
    assert_eq!(shown, format!("{expected}\nerror: build failed: {D}\n"));
    assert_eq!(frames, 1, "{}", run.stderr);
    assert!(t.output(D) == before, "the previous output was changed");
}

#[test]
fn a_key_missing_in_a_single_language_site_is_an_error_naming_template_and_key() {
    // `language: fr` has no fallback: English having the key does not help.
    let t = fixture();
    fails_untouched(
        &t,
        &["build", D],
        |t| t.edit("templates/tour-site/i18n/fr.yaml", "leg.cancelled: Cette date est annulée.", "x: Cette date est annulée."),
        "error: templates/tour-site/leg.html:21:9: invalid operation: string key \"leg.cancelled\" is not defined in fr; add it to sites/fr.example/i18n/fr.yaml (or to an i18n/fr.yaml of the site kind or theme)\n  hint: while rendering the page of tour leg leg_lille",
    );
}

const BILINGUAL: &str = "i18n:\n  default: en\n  languages:\n    - {code: en, locale: en-GB, label: English}\n    - {code: fr, locale: fr-FR, label: Français}\n";

#[test]
fn a_key_missing_in_a_language_falls_back_along_its_chain_warns_and_fails_under_strict() {
    let t = fixture();
    // English by default; the counts page is in French (its `lang`), and
    // French falls back to English.
    t.edit(&format!("sites/{D}/site.yaml"), "language: fr\n", BILINGUAL);
    t.edit(
        &format!("content/{D}/compteurs.md"),
        "sitemap: false\n",
        "sitemap: false\nextra: {lang: fr}\n",
    );
    t.edit(
        "templates/_base/i18n/fr.yaml",
        "skip_link: Aller au contenu\n",
        "",
    );
    let run = t.run(&["build", D]);
    run.success();
    assert_eq!(
        run.stderr,
        format!("warning: {D}: sites/{D}/templates/counts.html: string key \"skip_link\" is missing in fr; the page shows the en text\nwarning: {D}: templates/_base/base.html: string key \"skip_link\" is missing in fr; the page shows the en text\n")
    );
    let counts = t.page(D, "compteurs/index.html");
    contains_all(
        &counts,
        "the French page of an English site",
        &[
            "<a class=\"skip-link\" href=\"#main\">Skip to content</a>",
            "<li>0 page</li>",
            "2 avril 2027",
        ],
    );
    assert!(t
        .page(D, "tour/lyon/index.html")
        .contains("Book a place in Lyon"));

    let before = t.output(D);
    let run = t.run(&["build", D, "--strict"]);
    run.failure();
    assert_eq!(
        without_frames(&run.stderr).0,
        format!("error: templates/_base/base.html:70:38: invalid operation: string key \"skip_link\" is missing in fr (--strict; without it the page shows the en text); add it to sites/{D}/i18n/fr.yaml\n  hint: while rendering content/{D}/compteurs.md\nerror: build failed: {D}\n")
    );
    assert!(t.output(D) == before, "the previous output was changed");

    // `sitegen check` reports the same, and fails on it with --strict.
    let run = t.run(&["check", D]);
    run.success();
    assert!(
        run.stdout.contains("templates/_base/base.html: warning: [build] string key \"skip_link\" is missing in fr; the page shows the en text\n"),
        "{}",
        run.stdout
    );
    let run = t.run(&["check", D, "--strict"]);
    run.failure();
    assert!(
        run.stderr.starts_with("error: templates/_base/base.html:70:38: invalid operation: string key \"skip_link\" is missing in fr (--strict"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bad_string_file_is_an_error_at_its_file_line_and_key() {
    let cases = [
        (
            "skip_link: Au contenu\ntag.pages:\n  one: \"{count} page\"\n",
            "error: sites/fr.example/i18n/fr.yaml:2: tag.pages: plural forms need `other` (the form for any count no other form covers)",
        ),
        (
            "tag.pages:\n  one: \"{count} page\"\n  plusieurs: \"{count} pages\"\n  other: \"{count} pages\"\n",
            "error: sites/fr.example/i18n/fr.yaml:3:3: tag.pages.plusieurs: unknown plural category `plusieurs`, expected one of `zero`, `one`, `two`, `few`, `many`, `other`",
        ),
        (
            "skip_link: Au contenu\nleg.book: \"Réserver à {ville\"\n",
            "error: sites/fr.example/i18n/fr.yaml:2:11: leg.book: {ville… is not a placeholder: write {name} with letters, digits and _, or {{ for a literal brace",
        ),
        (
            "skip_link:\n  - Au contenu\n",
            "error: sites/fr.example/i18n/fr.yaml:2:3: skip_link: expected a string, or a map of plural forms (zero, one, two, few, many, other), found a list\n  hint: a string file maps each key to a string or to plural forms: `pages: {one: \"{count} page\", other: \"{count} pages\"}`",
        ),
    ];
    for (text, expected) in cases {
        let t = fixture();
        fails_untouched(
            &t,
            &["build", D],
            |t| t.write(&format!("sites/{D}/i18n/fr.yaml"), text),
            expected,
        );
    }
}

#[test]
fn string_files_linked_out_of_their_root_are_refused() {
    let cases = [
        (format!("sites/{D}/i18n/fr.yaml"), "/etc/hostname"),
        (format!("sites/{D}/i18n"), "../../templates/_base/i18n"),
        ("templates/_base/i18n/fr.yaml".to_string(), "/etc/passwd"),
        ("themes/nocturne/i18n".to_string(), "/etc"),
    ];
    for (link, target) in cases {
        let t = fixture();
        t.run(&["build", D]).success();
        let before = t.output(D);
        let path = t.root().join(&link);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path).unwrap(),
            Ok(_) => std::fs::remove_file(&path).unwrap(),
            Err(_) => std::fs::create_dir_all(path.parent().unwrap()).unwrap(),
        }
        symlink(target, &path).unwrap();
        let run = t.run(&["build", D]);
        run.failure();
        assert!(
            run.stderr.starts_with(&format!(
                "error: {link}: symbolic link to {target} leads outside "
            )),
            "{link}: {}",
            run.stderr
        );
        assert!(t.output(D) == before, "{link}: the previous output changed");
    }
}

#[test]
fn bad_dates_numbers_counts_and_languages_are_template_errors() {
    let counts = format!("sites/{D}/templates/counts.html");
    // Each error is at the column of the filter or call that failed.
    let at = |column: usize| format!("error: {counts}:7:{column}: invalid operation: ");
    let hint = format!("\n  hint: while rendering content/{D}/compteurs.md");
    let cases = [
        (
            "{{ \"2027-04-02\"|format_date }}",
            "{{ \"2027-02-30\"|format_date }}",
            34,
            "format_date: \"2027-02-30\" is not a date (use YYYY-MM-DD or an RFC 3339 date-time such as 2026-03-14T18:00:00Z)",
        ),
        (
            "{{ \"2027-04-02\"|format_date }}",
            "{{ none|format_date }}",
            26,
            "format_date needs a date such as \"2027-04-02\", not none",
        ),
        (
            "format_date(style=\"medium\")",
            "format_date(style=\"full\")",
            67,
            "format_date: unknown style \"full\" (use long, medium, short, day_month)",
        ),
        (
            "{{ \"2027-04-02\"|format_date }}",
            "{{ \"douze\"|format_number }}",
            29,
            "format_number: \"douze\" is not a number",
        ),
        (
            "{{ \"2027-04-02\"|format_date }}",
            "{{ t(\"tag.pages\") }}",
            21,
            "string key \"tag.pages\" has plural forms (templates/_base/i18n/fr.yaml:42): call t(\"tag.pages\", count=…)",
        ),
        (
            "{{ \"2027-04-02\"|format_date }}",
            "{{ t(\"tag.pages\", count=2.5) }}",
            21,
            "count must be a whole number, not 2.5",
        ),
        (
            "{{ \"2027-04-02\"|format_date }}",
            "{{ t(\"leg.book\") }}",
            21,
            "string key \"leg.book\" (templates/tour-site/i18n/fr.yaml:15) has the placeholder {city}: give t() city=…",
        ),
        (
            "{{ \"2027-04-02\"|format_date }}",
            "{% set lang = \"de\" %}{{ t(\"skip_link\") }}",
            42,
            "lang is \"de\", which is not a language of this site (fr)",
        ),
    ];
    for (from, to, column, message) in cases {
        let t = fixture();
        fails_untouched(
            &t,
            &["build", D],
            |t| t.edit(&counts, from, to),
            &format!("{}{message}{hint}", at(column)),
        );
    }
}

/// A string file's keys and messages.
type StringFile = BTreeMap<String, serde_json::Value>;

/// The string files sitegen ships: (folder, English, French).
fn shipped() -> Vec<(String, StringFile, StringFile)> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &Path| -> StringFile {
        serde_saphyr::from_str_with_options(
            &std::fs::read_to_string(p).unwrap(),
            serde_saphyr::options! { strict_booleans: true },
        )
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    ["_base", "org-site", "tour-site", "provider-site"]
        .iter()
        .map(|kind| {
            let dir = repo.join("templates").join(kind).join("i18n");
            (
                kind.to_string(),
                read(&dir.join("en.yaml")),
                read(&dir.join("fr.yaml")),
            )
        })
        .collect()
}

#[test]
fn shipped_string_files_have_the_same_keys_and_forms_in_english_and_french() {
    for (kind, en, fr) in shipped() {
        assert_eq!(
            en.keys().collect::<Vec<_>>(),
            fr.keys().collect::<Vec<_>>(),
            "templates/{kind}/i18n: en.yaml and fr.yaml differ in keys"
        );
        for (key, value) in &en {
            assert_eq!(
                value.is_object(),
                fr[key].is_object(),
                "templates/{kind}/i18n: {key} has plural forms in one language only"
            );
        }
    }
}

#[test]
fn french_strings_use_french_typography() {
    let texts = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Object(m) => m
                .values()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            other => panic!("not a message: {other:?}"),
        }
    };
    for (kind, _, fr) in shipped() {
        for (key, value) in &fr {
            for text in texts(value) {
                let place = format!("templates/{kind}/i18n/fr.yaml: {key}: {text:?}");
                // A space before : ; ? ! is a non-breaking one; quotes are « »
                // with non-breaking spaces inside; apostrophes are ’.
                for p in [" :", " ;", " ?", " !", "« ", " »"] {
                    assert!(!text.contains(p), "{place}: ordinary space in {p:?}");
                }
                for c in ['"', '\'', '“', '”'] {
                    assert!(!text.contains(c), "{place}: {c:?}");
                }
                for (i, c) in text.char_indices() {
                    if matches!(c, ':' | ';' | '?' | '!') && i > 0 {
                        let before = text[..i].chars().last().unwrap();
                        assert!(
                            before == NBSP || before == NNBSP,
                            "{place}: no non-breaking space before {c:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn every_demo_site_builds_in_french_with_no_english_interface_text() {
    let t = SiteTest::demo();
    for domain in DEMO_DOMAINS {
        let file = format!("sites/{domain}/site.yaml");
        let text = t.read(&file);
        // Multilingual demo sites already have French pages.
        if text.contains("\ni18n:\n") {
            continue;
        }
        let text = if text.contains("language: en\n") {
            text.replace("language: en\n", "language: fr\n")
        } else {
            let kind = text.find("\nkind: ").unwrap() + 1;
            let end = kind + text[kind..].find('\n').unwrap() + 1;
            format!("{}language: fr\n{}", &text[..end], &text[end..])
        };
        t.write(&file, &text);
    }
    let run = t.run(&["build", "--all"]);
    run.success();
    assert!(!run.stderr.contains("string key"), "{}", run.stderr);
    for domain in DEMO_DOMAINS {
        for (path, html) in pages(&t, domain) {
            // Only the French pages (a multilingual site has English ones too).
            if !html.contains("<html lang=\"fr") {
                continue;
            }
            for english in ENGLISH {
                assert!(!html.contains(english), "{domain}/{path} shows {english:?}");
            }
        }
    }
    let member = t.page("cocotte.maison", "members/margot-lune/index.html");
    contains_all(
        &member,
        "a member page",
        &[
            "alt=\"Portrait de Margot Lune\"",
            ">Toute l’équipe de Cocotte</a>",
        ],
    );
    contains_all(
        &t.page("cocotte.maison", "index.html"),
        "an org home page",
        &[
            ">L’équipe de Cocotte</h2>",
            ">Rencontrer toute l’équipe</a>",
            ">Dernières actualités</h2>",
        ],
    );
    contains_all(
        &t.page("transquinnftw.com", "index.html"),
        "a provider home page",
        &["<h2>Ce que je propose</h2>"],
    );
}

#[test]
fn serve_shows_string_file_edits_on_every_page() {
    let s = crate::serve::Serving::start(&["cocotte.maison"]);
    let (status, about) = s.get("cocotte.maison", "/en/about/");
    assert_eq!(status, 200);
    assert!(about.contains(">Sitemap</a>"), "{about}");
    // A shipped string: every page of every site of that kind can show it.
    s.t.edit(
        "templates/_base/i18n/en.yaml",
        "footer.sitemap: Sitemap\n",
        "footer.sitemap: Site map\n",
    );
    // The English pages (cocotte is French-first; en.yaml is theirs).
    for path in ["/en/about/", "/en/members/margot-lune/", "/en/tags/"] {
        s.wait_for("cocotte.maison", path, "a base string edit", |b| {
            b.contains(">Site map</a>")
        });
    }
    // A site's own string file, created while serving.
    s.t.write(
        "sites/cocotte.maison/i18n/en.yaml",
        "skip_link: Jump to the content\n",
    );
    s.wait_for("cocotte.maison", "/en/", "a site string file", |b| {
        b.contains(">Jump to the content</a>") && b.contains(">Site map</a>")
    });
    // A broken one keeps the last good page under the error overlay.
    s.t.write(
        "sites/cocotte.maison/i18n/en.yaml",
        "tag.pages:\n  one: \"{count} page\"\n",
    );
    let page = s.wait_for("cocotte.maison", "/en/", "a broken string file", |b| {
        b.contains("plural forms need `other`")
    });
    assert!(page.contains(">Jump to the content</a>"), "{page}");
}

#[test]
fn a_locale_icu_cannot_read_is_an_error_at_its_site_yaml_key() {
    // Well-formed enough for site.yaml's language tags, not for BCP 47
    // (`xx` is no variant): no plural rules or date formats to use.
    let i18n = |en: &str| {
        format!("i18n:\n  default: fr\n  languages:\n    - code: fr\n      label: Français\n    - {en}\n      label: English\n")
    };
    let cases = [
        ("language: fr-FR-xx\n".to_string(), "error: sites/fr.example/site.yaml:4: language: \"fr-FR-xx\" is not a BCP 47 locale (Invalid subtag)"),
        (i18n("code: en\n      locale: en-GB-xx"), "error: sites/fr.example/site.yaml:10: i18n.languages[1].locale: \"en-GB-xx\" is not a BCP 47 locale (Invalid subtag)"),
        (i18n("code: en-GB-xx"), "error: sites/fr.example/site.yaml:9: i18n.languages[1].code: \"en-GB-xx\" is not a BCP 47 locale (Invalid subtag)"),
    ];
    for (yaml, expected) in cases {
        let t = fixture();
        fails_untouched(
            &t,
            &["build", D],
            |t| t.edit(&format!("sites/{D}/site.yaml"), "language: fr\n", &yaml),
            expected,
        );
    }
}
