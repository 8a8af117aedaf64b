//! Markdown to HTML: the one place pulldown-cmark options are chosen.
//!
//! Brand copy is trusted (editors may write raw HTML); platform data is not:
//! `render_untrusted` drops raw HTML, images and links whose scheme is not
//! http(s) or mailto, so a profile bio can never inject markup.

use std::collections::HashSet;
use std::fmt::Write;

use pulldown_cmark::{html, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::error::Result;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// A table-of-contents entry: one heading of a page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// Turns a markdown image (destination, alt text, is it the page's first,
/// its 1-based line in the markdown) into HTML; errors are messages for the
/// content file.
pub type ImageHook<'h> = dyn Fn(&str, &str, bool, usize) -> Result<String> + 'h;

/// Renders trusted brand copy. Headings get unique ids and a self-link;
/// images go through `images` (the image pipeline).
pub fn render(markdown: &str, images: &ImageHook<'_>) -> Result<(String, Vec<Heading>)> {
    let mut toc = Vec::new();
    let mut used = HashSet::new();
    let mut events = with_images(markdown, images)?;
    label_task_boxes(&mut events);
    let events = with_endnotes(events);
    let events = with_heading_anchors(events.into_iter(), &mut toc, &mut used);
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    // Kept for the whole build: give back what the guess over-reserved.
    out.shrink_to_fit();
    Ok((out, toc))
}

/// Replaces each image (start, alt text events, end) with the hook's HTML.
fn with_images<'a>(markdown: &'a str, images: &ImageHook<'_>) -> Result<Vec<Event<'a>>> {
    let mut out = Vec::new();
    let mut open: Option<(CowStr<'a>, String, usize)> = None;
    let mut first = true;
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                let line = markdown[..range.start].matches('\n').count() + 1;
                open = Some((dest_url, String::new(), line));
            }
            Event::End(TagEnd::Image) => {
                if let Some((dest, alt, line)) = open.take() {
                    out.push(Event::Html(images(&dest, alt.trim(), first, line)?.into()));
                    first = false;
                }
            }
            Event::Text(t) | Event::Code(t) if open.is_some() => {
                if let Some((_, alt, _)) = open.as_mut() {
                    alt.push_str(&t);
                }
            }
            _ if open.is_some() => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Footnotes as endnotes: references numbered in reading order
/// (`<sup>` links to `#fn-<name>`), and every definition gathered, wherever
/// the copy wrote it, into one numbered list at the end of the page, each
/// with a link back to where it is first referenced. pulldown-cmark alone
/// renders a definition where it is written, headed by a bare number, with
/// its name as a bare id that can clash with heading ids.
fn with_endnotes(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    let mut order: Vec<String> = Vec::new();
    let mut notes: Vec<(String, Vec<Event<'_>>)> = Vec::new();
    let mut open: Option<(String, Vec<Event<'_>>)> = None;
    // Label → its id: labels that slugify alike (`a b`, `a-b`, or two
    // without letters) get `-2`, `-3`…, never one id for two notes.
    let mut ids: std::collections::HashMap<String, String> = Default::default();
    let mut id = |name: &str| -> String {
        if let Some(known) = ids.get(name) {
            return known.clone();
        }
        let mut slug = crate::text::slugify(name);
        if slug.is_empty() {
            slug = "note".to_string();
        }
        let mut unique = slug.clone();
        let mut n = 1;
        while ids.values().any(|v| *v == unique) {
            n += 1;
            unique = format!("{slug}-{n}");
        }
        ids.insert(name.to_string(), unique.clone());
        unique
    };
    for event in events {
        match event {
            Event::Start(Tag::FootnoteDefinition(name)) => open = Some((id(&name), Vec::new())),
            Event::End(TagEnd::FootnoteDefinition) => notes.extend(open.take()),
            Event::FootnoteReference(name) => {
                let name = id(&name);
                let (number, first) = match order.iter().position(|n| *n == name) {
                    Some(i) => (i + 1, false),
                    None => {
                        order.push(name.clone());
                        (order.len(), true)
                    }
                };
                let anchor = if first {
                    format!(" id=\"fnref-{name}\"")
                } else {
                    String::new()
                };
                let html = format!(
                    "<sup class=\"footnote-ref\"><a href=\"#fn-{name}\"{anchor} role=\"doc-noteref\">{number}</a></sup>"
                );
                match open.as_mut() {
                    Some((_, inner)) => inner.push(Event::InlineHtml(html.into())),
                    None => out.push(Event::InlineHtml(html.into())),
                }
            }
            other => match open.as_mut() {
                Some((_, inner)) => inner.push(other),
                None => out.push(other),
            },
        }
    }
    if notes.is_empty() {
        return out;
    }
    // Referenced notes in reference order, then any never referenced.
    notes.sort_by_key(|(name, _)| order.iter().position(|n| n == name).unwrap_or(usize::MAX));
    out.push(Event::Html(
        "<div class=\"footnotes\" role=\"doc-endnotes\">\n<ol>\n".into(),
    ));
    for (name, mut inner) in notes {
        out.push(Event::Html(format!("<li id=\"fn-{name}\">").into()));
        if order.contains(&name) {
            let back = Event::InlineHtml(
                format!(" <a href=\"#fnref-{name}\" class=\"footnote-back\" role=\"doc-backlink\">↩\u{fe0e}</a>").into(),
            );
            match inner.last() {
                Some(Event::End(TagEnd::Paragraph)) => inner.insert(inner.len() - 1, back),
                _ => inner.push(back),
            }
        }
        out.extend(inner);
        out.push(Event::Html("</li>\n".into()));
    }
    out.push(Event::Html("</ol>\n</div>\n".into()));
    out
}

/// Renders markdown written by platform users: no raw HTML, no images,
/// only http(s), mailto and site-relative links.
pub fn render_untrusted(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    let mut dropped_links = Vec::new();
    let mut in_image = 0usize;
    let events = Parser::new_ext(markdown, options() - Options::ENABLE_HEADING_ATTRIBUTES)
        .filter_map(|event| match event {
            Event::Html(text) | Event::InlineHtml(text) => Some(Event::Text(text)),
            Event::Start(Tag::Image { .. }) => {
                in_image += 1;
                None
            }
            Event::End(TagEnd::Image) => {
                in_image -= 1;
                None
            }
            Event::Start(Tag::Link { dest_url, .. }) if !crate::text::safe_url(&dest_url) => {
                dropped_links.push(true);
                None
            }
            Event::Start(tag @ Tag::Link { .. }) => {
                dropped_links.push(false);
                Some(Event::Start(tag))
            }
            Event::End(TagEnd::Link) => {
                if dropped_links.pop().unwrap_or(false) {
                    None
                } else {
                    Some(Event::End(TagEnd::Link))
                }
            }
            // Headings in a bio would break the page outline: render as strong paragraphs.
            Event::Start(Tag::Heading { .. }) => Some(Event::Start(Tag::Strong)),
            Event::End(TagEnd::Heading(_)) => Some(Event::End(TagEnd::Strong)),
            other if in_image > 0 => match other {
                Event::Text(t) => Some(Event::Text(t)),
                _ => None,
            },
            other => Some(other),
        });
    html::push_html(&mut out, events);
    out
}

/// A heading being collected: level, explicit id, classes, inner events.
type OpenHeading<'a> = (
    HeadingLevel,
    Option<CowStr<'a>>,
    Vec<CowStr<'a>>,
    Vec<Event<'a>>,
);

fn with_heading_anchors<'a>(
    parser: impl Iterator<Item = Event<'a>>,
    toc: &mut Vec<Heading>,
    used: &mut HashSet<String>,
) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    let mut heading: Option<OpenHeading<'a>> = None;
    for event in parser {
        match event {
            Event::Start(Tag::Heading {
                level, id, classes, ..
            }) => heading = Some((level, id, classes, Vec::new())),
            Event::End(TagEnd::Heading(_)) => {
                let Some((level, id, classes, inner)) = heading.take() else {
                    continue;
                };
                let text = plain_text(&inner);
                let base = match id {
                    Some(id) => id.to_string(),
                    None => crate::text::slugify(&text),
                };
                let base = if base.is_empty() {
                    "section".to_string()
                } else {
                    base
                };
                let mut id = base.clone();
                let mut n = 1;
                while !used.insert(id.clone()) {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                let lvl = level as u8;
                let mut open = format!("<h{lvl} id=\"{}\"", crate::text::escape_html(&id));
                if !classes.is_empty() {
                    let joined: Vec<&str> = classes.iter().map(|c| c.as_ref()).collect();
                    let _ = write!(
                        open,
                        " class=\"{}\"",
                        crate::text::escape_html(&joined.join(" "))
                    );
                }
                open.push('>');
                out.push(Event::Html(open.into()));
                out.extend(inner);
                out.push(Event::Html(
                    format!(
                        " <a class=\"anchor\" href=\"#{}\" aria-label=\"Link to this section: {}\">#</a></h{lvl}>\n",
                        crate::text::escape_html(&id),
                        crate::text::escape_html(&text)
                    )
                    .into(),
                ));
                toc.push(Heading {
                    level: lvl,
                    id,
                    title: text,
                });
            }
            other => match heading.as_mut() {
                Some((_, _, _, inner)) => inner.push(other),
                None => out.push(other),
            },
        }
    }
    out
}

/// A task list item's checkbox (`- [x] Written consent`) named by the
/// item's own text (`aria-label`), so assistive technology says what is
/// checked; pulldown-cmark's bare `<input>` has no accessible name.
fn label_task_boxes(events: &mut [Event<'_>]) {
    for i in 0..events.len() {
        let Event::TaskListMarker(checked) = events[i] else {
            continue;
        };
        let end = events[i + 1..]
            .iter()
            .position(|e| matches!(e, Event::End(TagEnd::Item) | Event::Start(Tag::List(_))))
            .map_or(events.len(), |n| i + 1 + n);
        let label = crate::text::escape_html(&plain_text(&events[i + 1..end]));
        let checked = if checked { " checked" } else { "" };
        events[i] = Event::Html(
            format!("<input class=\"task\" type=\"checkbox\" disabled{checked} aria-label=\"{label}\"> ").into(),
        );
    }
}

fn plain_text(events: &[Event<'_>]) -> String {
    let mut s = String::new();
    for e in events {
        match e {
            Event::Text(t) | Event::Code(t) => s.push_str(t),
            Event::SoftBreak | Event::HardBreak => s.push(' '),
            _ => {}
        }
    }
    s.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_list_boxes_are_named_by_their_item() {
        let (html, _) = render(
            "- [x] Written *consent* & care\n- [ ] Walk-ins\n  - [x] nested\n",
            &|_, _, _, _| Ok(String::new()),
        )
        .unwrap();
        assert!(html.contains("<li><input class=\"task\" type=\"checkbox\" disabled checked aria-label=\"Written consent &amp; care\"> Written <em>consent</em> &amp; care</li>"), "{html}");
        assert!(html.contains("<input class=\"task\" type=\"checkbox\" disabled aria-label=\"Walk-ins\"> Walk-ins"), "{html}");
        assert!(html.contains("aria-label=\"nested\""), "{html}");
    }

    #[test]
    fn headings_get_unique_ids_and_anchors() {
        let (html, toc) = render(
            "## Our story\n\ntext\n\n## Our story\n\n### Café & co {#cafe}\n",
            &no_images,
        )
        .unwrap();
        assert!(
            html.contains("<h2 id=\"our-story\">Our story <a class=\"anchor\" href=\"#our-story\"")
        );
        assert!(html.contains("<h2 id=\"our-story-1\">"));
        assert!(html.contains("<h3 id=\"cafe\">"));
        assert_eq!(toc.len(), 3);
        assert_eq!(toc[2].title, "Café & co");
    }

    #[test]
    fn extensions_are_on() {
        let (html, _) = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ \"quoted\"\n\n- [x] done\n\nNote[^1]\n\n[^1]: foot\n", &no_images).unwrap();
        assert!(html.contains("<table>"));
        assert!(html.contains("<del>old</del>"));
        assert!(html.contains("“quoted”"));
        assert!(html.contains("checkbox"));
        assert!(html.contains("footnote"));
    }

    #[test]
    fn footnote_labels_that_slugify_alike_stay_two_notes() {
        let md = "One[^a b] two[^a-b] three[^†] four[^‡].\n\n[^a b]: First.\n\n[^a-b]: Second.\n\n[^†]: Third.\n\n[^‡]: Fourth.\n";
        let (html, _) = render(md, &no_images).unwrap();
        for id in ["fn-a-b", "fn-a-b-2", "fn-note", "fn-note-2"] {
            assert_eq!(
                html.matches(&format!("id=\"{id}\"")).count(),
                1,
                "{id}: {html}"
            );
        }
        for n in 1..=4 {
            assert!(
                html.contains(&format!("role=\"doc-noteref\">{n}</a>")),
                "{n}: {html}"
            );
        }
        let second = html.find("Second").unwrap();
        assert!(
            html[..second].ends_with("<li id=\"fn-a-b-2\">\n<p>"),
            "{html}"
        );
    }

    #[test]
    fn footnotes_become_numbered_endnotes_with_links_both_ways() {
        let md = "# Notes\n\nFirst[^b] then[^a] and again[^b].\n\n[^a]: Alpha.\n\nMiddle.\n\n[^b]: Beta.\n\n[^unused]: Never cited.\n";
        let (html, _) = render(md, &no_images).unwrap();
        // Numbered by first reference, not by definition order.
        assert!(
            html.contains("<a href=\"#fn-b\" id=\"fnref-b\" role=\"doc-noteref\">1</a>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"#fn-a\" id=\"fnref-a\" role=\"doc-noteref\">2</a>"),
            "{html}"
        );
        // A second reference to the same note has its number and no duplicate id.
        assert_eq!(html.matches("id=\"fnref-b\"").count(), 1, "{html}");
        assert_eq!(html.matches(">1</a></sup>").count(), 2, "{html}");
        // Definitions gathered at the end, in reference order, with a way back.
        let notes = &html[html.find("<div class=\"footnotes\"").expect("endnotes")..];
        assert!(
            !html[..html.len() - notes.len()].contains("Alpha"),
            "{html}"
        );
        let (b, a, unused) = (
            notes.find("Beta").unwrap(),
            notes.find("Alpha").unwrap(),
            notes.find("Never").unwrap(),
        );
        assert!(b < a && a < unused, "{notes}");
        assert!(
            notes.contains(
                "<li id=\"fn-b\">\n<p>Beta. <a href=\"#fnref-b\" class=\"footnote-back\""
            ),
            "{notes}"
        );
        assert!(!notes.contains("#fnref-unused"), "{notes}");
        assert!(html.find("Middle").unwrap() < html.find("<div class=\"footnotes\"").unwrap());
    }

    fn no_images(_: &str, _: &str, _: bool, _: usize) -> Result<String> {
        Err(crate::error::Error::content("no images here"))
    }

    #[test]
    fn images_go_through_the_hook_with_their_alt_text() {
        let hook = |dest: &str, alt: &str, first: bool, line: usize| {
            Ok(format!("<pic {dest} {alt} {first} {line}>"))
        };
        let md = "![The *studio* room](a.jpg) and\n\n> quoted\n> ![](b.png)";
        let (html, _) = render(md, &hook).unwrap();
        assert!(
            html.contains("<pic a.jpg The studio room true 1>"),
            "{html}"
        );
        assert!(html.contains("<pic b.png  false 4>"), "{html}");
    }

    #[test]
    fn untrusted_markdown_cannot_inject() {
        let html = render_untrusted(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://a.example) ![i](https://evil/x.png) <b onclick=x>b</b>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b "), "{html}");
        assert!(html.contains("<a href=\"https://a.example\">ok</a>"));
    }
}
