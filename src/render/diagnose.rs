//! Template errors a copy editor can act on: which name is undefined and
//! what it was probably meant to be, and which block tag was never closed
//! (minijinja reports that at the end of the file).

use minijinja::value::Value;
use minijinja::Environment;

/// What an undefined lookup was: the message, and a "did you mean" hint
/// when a close name exists.
#[derive(Debug, PartialEq)]
pub struct Undefined {
    pub message: String,
    pub hint: Option<String>,
}

/// Explains the undefined expression `expr` (the source span minijinja
/// blames). A dotted path (`site.brand.tagine`) is evaluated prefix by
/// prefix against the page's context `ctx`, so the message names the first
/// segment that is missing and suggests the closest key of the value before
/// it. A path that starts with a name the context does not have may be a
/// local variable (a loop variable, a macro argument, `set`) whose keys are
/// not known here: then only a close context name is suggested.
pub fn undefined(env: &Environment<'_>, ctx: &Value, expr: &str) -> Undefined {
    let expr = expr.trim();
    let path: Vec<&str> = expr.split('.').map(str::trim).collect();
    let plain = Undefined {
        message: format!("`{expr}` is undefined"),
        hint: None,
    };
    if expr.len() > 200 || !path.iter().all(|p| is_identifier(p)) {
        return plain;
    }
    let eval = |prefix: &[&str]| -> Option<Value> {
        let text = prefix.join(".");
        let expr = env.compile_expression(&text).ok()?;
        expr.eval(ctx).ok()
    };
    for i in 0..path.len() {
        let Some(value) = eval(&path[..=i]) else {
            return plain;
        };
        if !value.is_undefined() {
            continue;
        }
        let missing = path[i];
        if i == 0 {
            let names = keys(ctx)
                .into_iter()
                .chain(env.globals().map(|(n, _)| n.to_string()));
            return match closest(missing, names) {
                Some(name) => Undefined {
                    message: format!("`{expr}` is undefined: there is no variable `{missing}`"),
                    hint: Some(format!("did you mean `{name}`?")),
                },
                None => plain,
            };
        }
        let parent = path[..i].join(".");
        let Some(parent_value) = eval(&path[..i]) else {
            return plain;
        };
        let hint =
            closest(missing, keys(&parent_value)).map(|k| format!("did you mean `{parent}.{k}`?"));
        return Undefined {
            message: format!("`{expr}` is undefined: `{parent}` has no `{missing}`"),
            hint,
        };
    }
    plain
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The keys of a map (or map-like object) value; nothing for other values.
fn keys(value: &Value) -> Vec<String> {
    if value.kind() != minijinja::value::ValueKind::Map {
        return Vec::new();
    }
    value
        .try_iter()
        .map(|it| it.filter_map(|k| k.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The candidate closest to `name`, if it is close enough to be a typo: at
/// most one edit for short names, two for longer ones, or `name` a prefix
/// of it.
pub fn closest(name: &str, candidates: impl IntoIterator<Item = String>) -> Option<String> {
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    candidates
        .into_iter()
        .filter(|c| c != name)
        .map(|c| (strsim::damerau_levenshtein(name, &c), c))
        .filter(|(d, c)| *d <= limit || (name.len() >= 3 && c.starts_with(name)))
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
        .map(|(_, c)| c)
}

/// A block tag opened in `source` and never closed: its name and the
/// 1-based line and column of its `{%`. The innermost one wins, as that is
/// the one the parser was still waiting to close.
pub fn unclosed_block(source: &str) -> Option<(String, String, usize, usize)> {
    open_blocks(source).pop()
}

/// The block tags still open at the end of `source`, outermost first: for
/// each its name, the tag as written and the 1-based line and column of
/// its `{%`.
pub fn open_blocks(source: &str) -> Vec<(String, String, usize, usize)> {
    const BLOCKS: &[&str] = &[
        "if",
        "for",
        "block",
        "macro",
        "call",
        "filter",
        "with",
        "autoescape",
        "raw",
        "set",
    ];
    // (block name, the tag as written, where it starts)
    let mut open: Vec<(String, String, usize)> = Vec::new();
    let mut at = 0;
    while let Some(start) = source[at..].find('{').map(|i| at + i) {
        let rest = &source[start..];
        if rest.starts_with("{#") {
            at = rest.find("#}").map_or(source.len(), |e| start + e + 2);
            continue;
        }
        if !rest.starts_with("{%") {
            at = start + 1;
            continue;
        }
        let Some(end) = rest.find("%}") else {
            break;
        };
        let inner = rest[2..end].trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
        let mut words = inner.split_whitespace();
        let word = words.next().unwrap_or("");
        at = start + end + 2;
        if word == "raw" {
            open.push(("raw".into(), "raw".into(), start));
            match source[at..].find("endraw") {
                Some(e) => {
                    open.pop();
                    at += e;
                }
                None => break,
            }
            continue;
        }
        if let Some(name) = word.strip_prefix("end") {
            if open.last().is_some_and(|(o, _, _)| o == name) {
                open.pop();
            }
            continue;
        }
        // `{% set x = … %}` is a statement; `{% set x %}…{% endset %}` a block.
        if word == "set" && inner.contains('=') {
            continue;
        }
        if BLOCKS.contains(&word) {
            open.push((word.to_string(), inner.to_string(), start));
        }
    }
    open.into_iter()
        .map(|(name, tag, offset)| {
            let (line, column) = line_column(source, offset);
            // A long condition is shortened to its start.
            let tag = match tag.char_indices().nth(60) {
                Some((cut, _)) => format!("{} …", &tag[..cut]),
                None => tag,
            };
            (name, tag, line, column)
        })
        .collect()
}

/// Where the dotted path ending in the span that starts at `start` begins:
/// minijinja blames an attribute lookup from its dot (`.brand.tagine` of
/// `site.brand.tagine`), so the names before it are taken back in.
pub fn path_start(source: &str, start: usize) -> usize {
    let before = source.get(..start).unwrap_or("");
    let taken = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .count();
    start - taken
}

/// The expression minijinja blames for an undefined value at `range`, and
/// where it starts: the dotted path, with the names before a blamed dot
/// taken back in. A filter blamed for the undefined value it was given
/// (`alt | markdown_escape`) gives way to the path before its `|`.
pub fn blamed(source: &str, range: std::ops::Range<usize>) -> Option<(&str, usize)> {
    let (mut start, mut end) = (path_start(source, range.start), range.end);
    let before = source.get(..start)?.trim_end();
    if let Some(value) = before.strip_suffix('|') {
        let value = value.trim_end();
        end = value.len();
        start = path_start(source, end);
    }
    Some((source.get(start..end)?, start))
}

/// The 1-based line and column of byte `offset` in `source`.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blamed_attribute_lookup_takes_back_the_names_before_it() {
        let src = "<p>{{ site.brand.tagine }}</p>";
        let dot = src.find(".brand").unwrap();
        assert_eq!(&src[path_start(src, dot)..dot], "site");
        assert_eq!(path_start(src, 3), 3);
        let src = "![{{ alt | markdown_escape }}]";
        let filter = src.find("markdown_escape").unwrap();
        assert_eq!(blamed(src, filter..filter + 15), Some(("alt", 5)));
        let src = "{{ site.brand.tagine }}";
        assert_eq!(blamed(src, 12..20), Some(("site.brand.tagine", 3)));
    }

    #[test]
    fn typos_get_the_closest_name_and_strangers_none() {
        let names = || ["tagline", "name", "palette", "booking"].map(String::from);
        assert_eq!(closest("tagine", names()).as_deref(), Some("tagline"));
        assert_eq!(closest("nmae", names()).as_deref(), Some("name"));
        assert_eq!(closest("book", names()).as_deref(), Some("booking"));
        assert_eq!(closest("colour", names()), None);
        assert_eq!(closest("x", names()), None);
    }

    #[test]
    fn the_innermost_unclosed_block_is_found_past_comments_raw_and_set() {
        let src = "{% if a %}\n{# {% for x in y %} #}\n{% set v = 1 %}\n  {% for p in ps %}\n{% raw %}{% if %}{% endraw %}\n{% endif %}";
        // The `{% endif %}` does not close the `for`: the for is reported.
        assert_eq!(
            unclosed_block(src),
            Some(("for".into(), "for p in ps".into(), 4, 3))
        );
        assert_eq!(
            unclosed_block("{% set x %}\n{%- if a -%}b{% endif %}"),
            Some(("set".into(), "set x".into(), 1, 1))
        );
        assert_eq!(
            unclosed_block("{% if a %}{% for x in y %}{% endfor %}{% endif %}"),
            None
        );
    }

    #[test]
    fn undefined_paths_name_the_missing_key_with_a_suggestion() {
        let env = Environment::new();
        let ctx = minijinja::context! {
            site => minijinja::context! { brand => minijinja::context! { tagline => "t", name => "n" } },
            page => minijinja::context! { title => "x" },
        };
        assert_eq!(
            undefined(&env, &ctx, " site.brand.tagine "),
            Undefined {
                message: "`site.brand.tagine` is undefined: `site.brand` has no `tagine`".into(),
                hint: Some("did you mean `site.brand.tagline`?".into()),
            }
        );
        assert_eq!(
            undefined(&env, &ctx, "sitee.brand"),
            Undefined {
                message: "`sitee.brand` is undefined: there is no variable `sitee`".into(),
                hint: Some("did you mean `site`?".into()),
            }
        );
        // A local variable's keys are not known here: no false claim.
        assert_eq!(
            undefined(&env, &ctx, "member.nme"),
            Undefined {
                message: "`member.nme` is undefined".into(),
                hint: None
            }
        );
        assert_eq!(
            undefined(&env, &ctx, "page.zzz"),
            Undefined {
                message: "`page.zzz` is undefined: `page` has no `zzz`".into(),
                hint: None
            }
        );
        assert_eq!(
            undefined(&env, &ctx, "page['x'] ~ 1").message,
            "`page['x'] ~ 1` is undefined"
        );
    }
}
