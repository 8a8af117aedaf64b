//! Shortcodes: reusable components in brand copy, in Zola's syntax. An
//! inline call `{{ figure(src="images/studio.jpg", alt="…") }}` or a call
//! with a body of markdown, `{% callout(kind="tip") %}…{% end %}`, is
//! rendered by the template `shortcodes/<name>.html` or
//! `shortcodes/<name>.md`, found like any template (site, theme, kind,
//! `_base`).
//!
//! - An `.html` shortcode's output is put into the page's HTML after the
//!   markdown is rendered (a call alone on its lines replaces the paragraph
//!   it would have been); its body, if any, is the call's markdown rendered
//!   to HTML.
//! - An `.md` shortcode's output is markdown put in place of the call before
//!   the page's markdown is rendered, so its images go through the image
//!   pipeline like the page's own; its output is not searched for calls.
//!
//! Arguments are literals only (strings, numbers, booleans, lists, maps),
//! read by minijinja's expression parser; both kinds of template are
//! autoescaped, so an argument never becomes markup. Calls inside code
//! spans and code blocks are text. Errors name the content file and the
//! call's line.

use std::collections::BTreeSet;
use std::path::Path;

use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, ErrorKind as JinjaKind, UndefinedBehavior};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::config::Site;
use crate::error::{Error, Location, Result};
use crate::render::TemplateDirs;

/// How deep bodies may hold calls with bodies.
const MAX_DEPTH: usize = 8;

pub struct Shortcodes {
    env: Environment<'static>,
    dirs: TemplateDirs,
}

/// One call found in markdown.
#[derive(Debug, PartialEq)]
struct Call<'a> {
    name: &'a str,
    /// What is between the parentheses.
    args: &'a str,
    /// The markdown between `{% name(…) %}` and `{% end %}`, and the line
    /// it starts on.
    body: Option<(&'a str, usize)>,
    /// The call's bytes in the markdown, body and `{% end %}` included.
    start: usize,
    end: usize,
    /// 1-based line and column of its start.
    line: usize,
    column: usize,
}

/// Markdown with its calls replaced: what to render, and how to finish.
pub struct Expanded {
    pub markdown: String,
    /// The HTML of `.html` calls, put back in place of their tokens.
    html: Vec<(String, String)>,
    /// (start in `markdown`, start in the source, or the call's line for
    /// inserted text).
    segments: Vec<(usize, Segment)>,
    source: String,
}

#[derive(Debug, Clone, Copy)]
enum Segment {
    Source(usize),
    Inserted(usize),
}

impl Expanded {
    /// The source line (1-based, in the markdown given to `expand`) of a
    /// line of the expanded markdown: text from a `.md` shortcode is at the
    /// call's line.
    pub fn source_line(&self, line: usize) -> usize {
        let offset = if line <= 1 {
            0
        } else {
            self.markdown
                .match_indices('\n')
                .nth(line - 2)
                .map_or(self.markdown.len(), |(i, _)| i + 1)
        };
        let at = self
            .segments
            .iter()
            .rev()
            .find(|(start, _)| *start <= offset)
            .copied();
        match at {
            Some((start, Segment::Source(src))) => {
                let src = (src + offset - start).min(self.source.len());
                self.source[..src].matches('\n').count() + 1
            }
            Some((_, Segment::Inserted(line))) => line,
            None => line,
        }
    }

    /// The page's HTML with each `.html` call's output in place: a call
    /// that was a paragraph of its own replaces that paragraph.
    pub fn finish(&self, mut html: String) -> String {
        for (token, out) in &self.html {
            let alone = format!("<p>{token}</p>");
            if html.contains(&alone) {
                html = html.replacen(&alone, out, 1);
            } else {
                html = html.replacen(token.as_str(), out, 1);
            }
        }
        html
    }
}

impl Shortcodes {
    pub fn new(site: &Site, max_fuel: u64) -> Shortcodes {
        let dirs = TemplateDirs::for_site(site);
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        // Both kinds: an argument is text, never markup.
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        // Escaped as the page templates are (URLs keep their slashes).
        env.set_formatter(crate::render::format_value);
        env.set_fuel(Some(max_fuel));
        let loader_dirs = dirs.clone();
        env.set_loader(move |name| {
            loader_dirs
                .load(name)
                .map_err(|e| minijinja::Error::new(JinjaKind::InvalidOperation, e.to_string()))
        });
        env.add_function("__args", |kwargs: Kwargs| Value::from(kwargs));
        env.add_filter("markdown_escape", markdown_escape);
        env.add_filter("link", link);
        Shortcodes { env, dirs }
    }

    /// Replaces the calls in `markdown` (the body of `file`, whose first
    /// line is line `offset + 1` of the file). `render_body` turns a body's
    /// markdown into HTML (given the body and the file line it starts on).
    pub fn expand(
        &self,
        markdown: &str,
        file: &Path,
        offset: usize,
        render_body: &dyn Fn(&str, usize) -> Result<String>,
    ) -> Result<Expanded> {
        self.expand_at(markdown, file, offset, render_body, 0)
    }

    fn expand_at(
        &self,
        markdown: &str,
        file: &Path,
        offset: usize,
        render_body: &dyn Fn(&str, usize) -> Result<String>,
        depth: usize,
    ) -> Result<Expanded> {
        let at = |line: usize| Location::file(file).line(offset + line);
        let at_call = |call: &Call<'_>| at(call.line).column(call.column);
        const FORM: &str =
            "a shortcode is {{ name(key=\"value\") }}, or {% name(…) %}…{% end %} with a body";
        let (calls, near) = find_calls_and_near_misses(markdown)
            .map_err(|(line, message)| Error::content(message).at(at(line)).hint(FORM))?;
        if !near.is_empty() {
            let known = self.known();
            if let Some((name, line, column)) = near.iter().find(|(n, ..)| known.contains(*n)) {
                return Err(Error::content(format!(
                    "shortcode {name}: this call does not parse (its arguments are not closed by `)`, or it has no parentheses)"
                ))
                .at(at(*line).column(*column))
                .hint(FORM));
            }
        }
        let mut out = Expanded {
            markdown: String::with_capacity(markdown.len()),
            html: Vec::new(),
            segments: vec![(0, Segment::Source(0))],
            source: markdown.to_string(),
        };
        let mut copied = 0;
        for (i, call) in calls.iter().enumerate() {
            out.markdown.push_str(&markdown[copied..call.start]);
            let (template, is_markdown) =
                self.template(call.name).map_err(|e| e.at(at_call(call)))?;
            let mut ctx = self.args(call).map_err(|e| e.at(at_call(call)))?;
            if let Some((body, body_line)) = call.body {
                if depth >= MAX_DEPTH {
                    return Err(Error::content(format!(
                        "shortcodes with bodies nest deeper than {MAX_DEPTH}"
                    ))
                    .at(at(call.line)));
                }
                let body = if is_markdown {
                    body.to_string()
                } else {
                    let inner =
                        self.expand_at(body, file, offset + body_line - 1, render_body, depth + 1)?;
                    let html = render_body(&inner.markdown, offset + body_line)?;
                    inner.finish(html)
                };
                ctx.push(("body".to_string(), Value::from_safe_string(body)));
            }
            let ctx = Value::from_iter(ctx);
            let rendered = self
                .env
                .get_template(&template)
                .and_then(|t| t.render(ctx.clone()))
                .map_err(|e| self.convert(e, call.name, &ctx, &at_call(call)))?;
            let here = out.markdown.len();
            out.segments.push((here, Segment::Inserted(call.line)));
            if is_markdown {
                out.markdown.push_str(&rendered);
            } else {
                // Letters only, so markdown leaves it as it is.
                let token = format!("sitegenshortcode{i}x{}", markdown.len());
                let alone = standalone(markdown, call.start, call.end);
                if alone {
                    out.markdown.push_str("\n\n");
                }
                out.markdown.push_str(&token);
                if alone {
                    out.markdown.push_str("\n\n");
                }
                out.html.push((token, rendered.trim().to_string()));
            }
            out.segments
                .push((out.markdown.len(), Segment::Source(call.end)));
            copied = call.end;
        }
        out.markdown.push_str(&markdown[copied..]);
        Ok(out)
    }

    /// The template of shortcode `name`, and whether it writes markdown.
    fn template(&self, name: &str) -> Result<(String, bool)> {
        for (ext, is_markdown) in [("html", false), ("md", true)] {
            let template = format!("shortcodes/{name}.{ext}");
            if self.dirs.resolve(&template).is_some() {
                return Ok((template, is_markdown));
            }
        }
        let known = self.known();
        let mut err = Error::content(format!(
            "there is no shortcode {name:?} (no shortcodes/{name}.html or .md template)"
        ));
        err = match crate::render::closest_name(name, known.iter().cloned()) {
            Some(close) => err.hint(format!("did you mean `{close}`?")),
            None if known.is_empty() => {
                err.hint("add a template under templates/_base/shortcodes/")
            }
            None => err.hint(format!(
                "the shortcodes are: {}",
                known.into_iter().collect::<Vec<_>>().join(", ")
            )),
        };
        Err(err)
    }

    /// Every shortcode name the templates provide.
    fn known(&self) -> BTreeSet<String> {
        self.dirs
            .files_under("shortcodes")
            .into_iter()
            .filter_map(|f| {
                let (stem, ext) = f.rsplit_once('.')?;
                (ext == "html" || ext == "md").then(|| stem.to_string())
            })
            .collect()
    }

    /// The call's arguments as (name, value) pairs: literals only.
    fn args(&self, call: &Call<'_>) -> Result<Vec<(String, Value)>> {
        let bad = |detail: String| {
            Error::content(format!("shortcode {}: arguments: {detail}", call.name))
                .hint("arguments are key=value with literal values: \"text\", 12, true, [\"a\", \"b\"], {\"k\": \"v\"}")
        };
        let source = format!("__args({})", call.args);
        let expr = self
            .env
            .compile_expression(&source)
            .map_err(|e| bad(e.detail().unwrap_or("cannot be read").to_string()))?;
        let value = expr.eval(()).map_err(|e| {
            bad(e
                .detail()
                .map_or_else(|| e.kind().to_string(), str::to_string))
        })?;
        let mut pairs = Vec::new();
        if let Ok(keys) = value.try_iter() {
            for key in keys {
                let v = value.get_item(&key).unwrap_or_default();
                if v.is_undefined() {
                    return Err(bad(format!(
                        "{key} is not a literal (write it in quotes if it is text)"
                    )));
                }
                pairs.push((key.to_string(), v));
            }
        }
        Ok(pairs)
    }

    fn convert(&self, e: minijinja::Error, name: &str, ctx: &Value, call: &Location) -> Error {
        let mut inner = &e;
        let mut cur: &dyn std::error::Error = &e;
        while let Some(next) = cur.source() {
            if let Some(j) = next.downcast_ref::<minijinja::Error>() {
                inner = j;
            }
            cur = next;
        }
        let detail = match inner.detail() {
            Some(d) => format!("{}: {d}", inner.kind()),
            None => inner.kind().to_string(),
        };
        let mut hint = None;
        let mut detail = detail;
        if inner.kind() == JinjaKind::UndefinedError {
            let span = inner
                .range()
                .zip(inner.template_source())
                .and_then(|(r, s)| crate::render::diagnose::blamed(s, r));
            if let Some((expr, _)) = span {
                let found = crate::render::diagnose::undefined(&self.env, ctx, expr);
                detail = found.message;
                hint = found.hint;
            }
        }
        let mut err = Error::template(format!("shortcode {name}: {detail}"));
        if let Some(template) = inner.name() {
            let file = self
                .dirs
                .resolve(template)
                .unwrap_or_else(|| template.into());
            let mut loc = Location::file(file);
            if let Some(line) = inner.line() {
                loc = loc.line(line);
            }
            err = err.at(loc);
        }
        let used = match call.line {
            Some(line) => format!("{}:{line}", call.file.display()),
            None => call.file.display().to_string(),
        };
        match hint {
            Some(h) => err.hint(format!("{h} (called at {used})")),
            None => err.hint(format!("called at {used}")),
        }
    }
}

/// A link's address as a shortcode argument: a path or fragment of the
/// site, or an https, http, mailto or tel URL (as platform links are).
/// Anything else (`javascript:`, `data:`) is an error, not a link the
/// Content-Security-Policy would block in production.
fn link(value: &Value) -> std::result::Result<Value, minijinja::Error> {
    if value.is_undefined() {
        return Ok(value.clone());
    }
    let text = value.to_string();
    let t = text.trim();
    // Read as a browser reads it (tabs and newlines inside dropped): one
    // that parses on its own has a scheme; a relative one has none.
    let allowed = match url::Url::parse(t) {
        Ok(u) => crate::platform::model::URL_SCHEMES.contains(&u.scheme()),
        Err(_) => true,
    };
    if allowed {
        Ok(Value::from(text))
    } else {
        Err(minijinja::Error::new(
            JinjaKind::InvalidOperation,
            format!("{t:?} is not a link: write a path of the site (/contact/) or an https, http, mailto or tel URL"),
        ))
    }
}

/// Backslash-escapes what markdown reads as syntax, for text a `.md`
/// shortcode puts into markdown (an image's alt text, a link's text);
/// line breaks become spaces, so a text cannot end the paragraph it is in.
/// The result is safe from the HTML autoescape: markdown escapes it when it
/// renders it (escaping it for HTML too showed `&gt;` for `>`).
fn markdown_escape(value: &Value) -> Value {
    // A missing argument stays undefined, for printing it to be the error
    // that names it.
    if value.is_undefined() {
        return value.clone();
    }
    let text = value.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_{}[]()<>#+-.!|~&".contains(c) {
            out.push('\\');
        }
        out.push(if c == '\n' || c == '\r' { ' ' } else { c });
    }
    Value::from_safe_string(out)
}

/// Whether the call at `start..end` has its lines to itself (nothing but
/// spaces before it on its first line or after it on its last).
fn standalone(markdown: &str, start: usize, end: usize) -> bool {
    let before = markdown[..start].rsplit('\n').next().unwrap_or("");
    let after = markdown[end..].split('\n').next().unwrap_or("");
    before.trim().is_empty() && after.trim().is_empty()
}

/// The byte ranges of code spans and code blocks: calls there are text.
fn code_ranges(markdown: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut block: Option<usize> = None;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Code(_) => ranges.push(range),
            Event::Start(Tag::CodeBlock(_)) => block = Some(range.start),
            Event::End(TagEnd::CodeBlock) => {
                if let Some(start) = block.take() {
                    ranges.push(start..range.end);
                }
            }
            _ => {}
        }
    }
    ranges
}

/// The calls in `markdown`, in order; an error (line, message) for a call
/// that starts like one and is not.
#[cfg(test)]
fn find_calls(markdown: &str) -> std::result::Result<Vec<Call<'_>>, (usize, String)> {
    find_calls_and_near_misses(markdown).map(|(calls, _)| calls)
}

/// Text that starts like a call (`{{ name(…` or `{{ name …`) but is not
/// one: (name, line, column). An error when `name` is a shortcode (the
/// call was mistyped), text otherwise.
type NearMiss<'a> = (&'a str, usize, usize);

fn find_calls_and_near_misses(
    markdown: &str,
) -> std::result::Result<(Vec<Call<'_>>, Vec<NearMiss<'_>>), (usize, String)> {
    let code = code_ranges(markdown);
    let in_code = |at: usize| code.iter().any(|r| r.contains(&at));
    let line_of = |at: usize| markdown[..at].matches('\n').count() + 1;
    let column_of = |at: usize| {
        markdown[..at]
            .rsplit('\n')
            .next()
            .map_or(0, |l| l.chars().count())
            + 1
    };
    let mut calls = Vec::new();
    let mut near = Vec::new();
    let mut at = 0;
    while let Some(found) = markdown[at..].find(['{']).map(|i| at + i) {
        at = found + 1;
        let rest = &markdown[found..];
        let block = rest.starts_with("{%");
        if !(block || rest.starts_with("{{")) || in_code(found) {
            continue;
        }
        let Some((name, args, close)) = call_head(&rest[2..]) else {
            let word = rest[2..].trim_start_matches([' ', '\t']);
            let len = word
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(word.len());
            if len > 0 && word[len..].starts_with(['(', ' ', '\t', '}', '%']) {
                near.push((&word[..len], line_of(found), column_of(found)));
            }
            continue;
        };
        let closing = if block { "%}" } else { "}}" };
        let after_args = found + 2 + close;
        let tail = markdown[after_args..].trim_start_matches([' ', '\t']);
        if !tail.starts_with(closing) {
            return Err((
                line_of(found),
                format!("shortcode {name}: expected {closing} after its arguments"),
            ));
        }
        let head_end = markdown.len() - tail.len() + 2;
        let line = line_of(found);
        if !block {
            calls.push(Call {
                name,
                args,
                body: None,
                start: found,
                end: head_end,
                line,
                column: column_of(found),
            });
            at = head_end;
            continue;
        }
        // A body runs to the matching {% end %}, calls with bodies inside
        // it counted.
        let mut depth = 1;
        let mut scan = head_end;
        let mut body_end = None;
        while let Some(i) = markdown[scan..].find("{%").map(|i| scan + i) {
            let tag = &markdown[i + 2..];
            let word = tag.trim_start();
            if word.starts_with("end") && word[3..].trim_start().starts_with("%}") && !in_code(i) {
                depth -= 1;
                if depth == 0 {
                    let close = i + 2 + (tag.len() - word.len()) + 3;
                    let close = close + markdown[close..].find("%}").unwrap_or(0) + 2;
                    body_end = Some((i, close));
                    break;
                }
            } else if call_head(tag).is_some() && !in_code(i) {
                depth += 1;
            }
            scan = i + 2;
        }
        let Some((body_stop, end)) = body_end else {
            return Err((line, format!("shortcode {name} has no {{% end %}}")));
        };
        let body = &markdown[head_end..body_stop];
        calls.push(Call {
            name,
            args,
            body: Some((body, line_of(head_end))),
            start: found,
            end,
            line,
            column: column_of(found),
        });
        at = end;
    }
    Ok((calls, near))
}

/// `name(args)` at the start of `text` (spaces first allowed): the name,
/// the arguments and the offset just past `)`. None when it is not a call.
fn call_head(text: &str) -> Option<(&str, &str, usize)> {
    let trimmed = text.trim_start_matches([' ', '\t']);
    let skipped = text.len() - trimmed.len();
    let name_len = trimmed
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        .unwrap_or(trimmed.len());
    let name = &trimmed[..name_len];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_lowercase()) || name == "end" {
        return None;
    }
    let rest = trimmed[name_len..].strip_prefix('(')?;
    // The closing parenthesis, outside strings.
    let mut quote = None;
    let mut escaped = false;
    let mut level = 0usize;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => level += 1,
            (None, ']' | '}') => level = level.saturating_sub(1),
            (None, ')') if level == 0 => {
                let args = &rest[..i];
                return Some((name, args, skipped + name_len + 1 + i + 1));
            }
            (None, ')') => level -= 1,
            (None, '\n') if rest[..i].matches('\n').count() > 20 => return None,
            _ => {}
        }
        escaped = false;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_found_with_their_bodies_and_lines_but_not_in_code() {
        let md = "Intro {{ button(url=\"/a/\", text=\"A (b)\") }} end.\n\n`{{ figure(src=\"x\") }}`\n\n```\n{% callout() %}x{% end %}\n```\n{% callout(kind=\"tip\") %}\nBody {{ button(url=\"/b/\") }}\n{% callout() %}inner{% end %}\n{% end %}\n";
        let calls = find_calls(md).unwrap();
        let names: Vec<_> = calls.iter().map(|c| (c.name, c.line)).collect();
        assert_eq!(names, [("button", 1), ("callout", 8)]);
        assert_eq!(calls[0].args, "url=\"/a/\", text=\"A (b)\"");
        let (body, line) = calls[1].body.unwrap();
        assert_eq!(line, 8);
        assert_eq!(
            body,
            "\nBody {{ button(url=\"/b/\") }}\n{% callout() %}inner{% end %}\n"
        );
        assert!(md[calls[1].end..].starts_with('\n'));
    }

    #[test]
    fn text_that_only_looks_like_a_call_is_left_and_broken_calls_are_errors() {
        assert!(find_calls("{{ not a call }} {% if x %} {{Name(x)}}")
            .unwrap()
            .is_empty());
        assert_eq!(
            find_calls("a\n{{ figure(src=\"x\") \n"),
            Err((
                2,
                "shortcode figure: expected }} after its arguments".into()
            ))
        );
        assert_eq!(
            find_calls("{% callout() %}\nnever ends\n"),
            Err((1, "shortcode callout has no {% end %}".into()))
        );
    }

    #[test]
    fn links_are_paths_or_web_mail_and_phone_urls() {
        for ok in [
            "/contact/",
            "contact/",
            "#top",
            "https://a.example/",
            "MAILTO:a@b.c",
            "tel:+33",
        ] {
            assert!(link(&Value::from(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " JavaScript:x",
            "java\tscript:x",
            "data:text/html,x",
            "vbscript:x",
        ] {
            assert!(link(&Value::from(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn markdown_syntax_in_arguments_is_escaped_for_md_shortcodes() {
        assert_eq!(
            markdown_escape(&Value::from("a [b](c) *d*")).as_str(),
            Some("a \\[b\\]\\(c\\) \\*d\\*")
        );
        assert_eq!(
            markdown_escape(&Value::from("<b> & x\n\nz")).as_str(),
            Some("\\<b\\> \\& x  z")
        );
    }
}
