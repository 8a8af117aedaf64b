//! YAML parsing with locations: every error names file, line, column and the
//! dotted key path and says in plain words what is wrong, and the value types
//! here validate while they deserialize so a bad value is reported at its own
//! line. [`Positions`] places errors found after parsing (a theme that does
//! not exist, a slug a home page may not set) at their key's line.
//!
//! The parser is serde-saphyr (pure Rust, positions for every error, budgets
//! against alias bombs and deep nesting). Choices that keep what copy editors
//! wrote working as before:
//! - booleans are `true`/`false` only: `draft: yes` is an error naming the
//!   value, and `no`, `on`, `off` stay text everywhere (`extra: {country: no}`);
//! - an empty value is empty text (`description:`), `~` and `null` stay text
//!   for text keys, as they were;
//! - dates (`2026-03-14`) are text, checked where a date is expected;
//! - a byte order mark at the start of a file is skipped;
//! - a key given twice in one mapping is an error (it was silently the last).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_saphyr::granit_parser::{self, Event, StructureStyle};
use serde_saphyr::{Error as YamlError, ExternalMessageSource, MessageFormatter};

use crate::error::{Error, ErrorKind, Location, Result};

/// The parser settings every YAML file of sitegen is read with.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        // YAML 1.1's yes/no/on/off stay text: `draft: yes` is an error
        // saying so, `extra: {country: no}` is the text "no".
        strict_booleans: true,
        // `title:` is "" and `~` is "~", as serde_yaml read them.
        null_as_string: true,
        // `zip: 01234` in `extra:` is the text "01234", not 1234.0.
        leading_zero_numbers_as_strings: true,
        // `.nan` in `extra:` is the text ".nan" rather than an error.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        // Code frames are drawn by `crate::frame`, under every error alike.
        with_snippet: false,
        // Config and front matter nest a few levels; each level is stack
        // for serde, and build threads have 2 MiB.
        budget: serde_saphyr::budget! { max_depth: 32 },
    }
}

/// Parses `text` (the contents of `path`) as a `T`, rejecting unknown keys
/// where `T` says so, with the error located at file:line:col and key.
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str, kind: ErrorKind) -> Result<T> {
    parse_at(path, text, 0, kind)
}

/// [`parse`] for YAML that starts `lines_before` lines into its file (front
/// matter below its `---` line): every line number is one of the file.
pub fn parse_at<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    lines_before: usize,
    kind: ErrorKind,
) -> Result<T> {
    let mut key_path = None;
    serde_saphyr::with_deserializer_from_str_with_options(text, options(), |de| {
        serde_path_to_error::deserialize(de).map_err(|err| {
            key_path = Some(err.path().to_string());
            err.into_inner()
        })
    })
    .map_err(|err| {
        let key_path = key_path.as_deref().unwrap_or("");
        let mut e = located(text, key_path, &err, lines_before);
        e.location = e.location.take().map(|mut loc| {
            loc.file = path.to_path_buf();
            loc
        });
        e.kind = kind;
        e
    })
}

/// Turns a parser error into ours: where (the key path serde_path_to_error
/// tracked, the line and column the parser gave) and what, in plain words.
/// Lines are those of the text plus `lines_before`.
fn located(text: &str, key_path: &str, err: &YamlError, lines_before: usize) -> Error {
    let outer = err;
    let err = innermost(err);
    let positions = Positions::of(text);
    // serde_path_to_error writes `?` for positions it could not name.
    let mut key = key_path
        .split('.')
        .filter(|seg| !seg.is_empty() && *seg != "?")
        .collect::<Vec<_>>()
        .join(".");
    // A value reached through an `*alias` is placed where it is used.
    let place = match outer {
        YamlError::AliasError { locations, .. } => Some(locations.reference_location),
        _ => err.location(),
    };
    let (mut line, mut column) = match place {
        Some(l) if l.line() > 0 => (Some(l.line() as usize), Some(l.column() as usize)),
        _ => (None, None),
    };
    let file_line = |l: usize| l + lines_before;
    let (mut message, mut hint);
    if let Some(scan) = &positions.syntax_error {
        // Not YAML at all: that comes first, even where the parser, reading
        // as it goes, met a value of the wrong kind before the bad syntax.
        let stop = scan.marker().line();
        (line, column) = (Some(stop), Some(scan.marker().col() + 1));
        (message, hint) = syntax(scan, text, lines_before);
        key = positions.syntax_path.clone();
        if scan.info().contains("found a tab") || scan.info().contains("tabs disallowed") {
            // Met while reading a value on: the tab is in the indentation
            // of a line from here on.
            let tab = text
                .lines()
                .enumerate()
                .skip(stop.saturating_sub(1))
                .find_map(|(i, l)| {
                    let indent = &l[..l.len() - l.trim_start().len()];
                    indent
                        .find('\t')
                        .map(|c| (i + 1, indent[..c].chars().count() + 1))
                });
            if let Some((l, c)) = tab {
                (line, column) = (Some(l), Some(c));
            }
        }
        if let Some((at, quote)) = positions.open_quote(text).filter(|(at, _)| at.0 < stop) {
            // A quote not closed on its line runs on to the next quote mark
            // (often the next value's opening one) and the parser stops
            // there: name the quote instead.
            message = format!(
                "`{quote}` opens a quoted text that is not closed on its line: it runs on into line {}",
                file_line(stop)
            );
            hint = Some(format!(
                "end the text with `{quote}` on line {}, or remove the opening `{quote}`",
                file_line(at.0)
            ));
            (line, column) = (Some(at.0), Some(at.1));
        } else if let Some(open) = positions.open_flow.filter(|o| o.line < stop) {
            // A `[` or `{` left open swallows the lines after it.
            let (what, close) = if open.bracket == '[' {
                ("list", ']')
            } else {
                ("mapping", '}')
            };
            message = format!(
                "`{}` opens a {what} that is not closed: the {what} runs on into line {}",
                open.bracket,
                file_line(stop)
            );
            hint = Some(format!(
                "end the {what} with `{close}` on line {}{}",
                file_line(open.line),
                if what == "list" {
                    ", or write one `- item` per line instead"
                } else {
                    ""
                }
            ));
            (line, column) = (Some(open.line), Some(open.column));
        }
    } else {
        if matches!(
            err,
            YamlError::SerdeInvalidType { .. } | YamlError::SerdeInvalidValue { .. }
        ) {
            // A visitor's own type error is placed at the key: the value is
            // the better place (the key path names the key already).
            let steps = Positions::steps(key_path);
            if positions.get(&steps).map(|(l, c)| (Some(l), Some(c))) == Some((line, column)) {
                if let Some((l, c)) = positions.value(&steps) {
                    (line, column) = (Some(l), Some(c));
                }
            }
        }
        (message, hint) = describe(err, text, lines_before, line, column, &key);
        if let YamlError::DuplicateMappingKey { key: Some(dup), .. } = err {
            let mut steps = Positions::steps(&key);
            steps.push(Step::Key(dup.clone()));
            if let Some((first, _)) = positions.get(&steps) {
                if Some(first) != line {
                    message = format!(
                        "`{dup}` is given twice in the same mapping: first on line {}, again here",
                        file_line(first)
                    );
                }
            }
            key = if key.is_empty() {
                dup.clone()
            } else {
                format!("{key}.{dup}")
            };
        }
    }
    let mut loc = Location::file("").key(key);
    if let Some(l) = line {
        loc = loc.line(file_line(l));
        if let Some(c) = column.filter(|c| *c > 0) {
            loc = loc.column(c);
        }
    }
    let mut e = Error::config(message).at(loc);
    if let Some(hint) = hint {
        e = e.hint(hint);
    }
    e
}

/// The error itself, without the snippet and alias wrappers.
fn innermost(err: &YamlError) -> &YamlError {
    match err {
        YamlError::WithSnippet { error, .. } | YamlError::AliasError { error, .. } => {
            innermost(error)
        }
        other => other,
    }
}

/// What went wrong in plain words, and what to do about it.
fn describe(
    err: &YamlError,
    text: &str,
    lines_before: usize,
    line: Option<usize>,
    column: Option<usize>,
    key: &str,
) -> (String, Option<String>) {
    let found = || match (line, column) {
        (Some(l), Some(c)) => found_at(text, l, c),
        _ => Found::Unknown,
    };
    let leaf = key.rsplit('.').next().unwrap_or(key);
    match err {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => (
            format!("unknown field `{field}`, {}", one_of(expected)),
            Some(
                match crate::render::closest_name(field, expected.iter().map(|e| e.to_string())) {
                    Some(close) => format!("did you mean `{close}`? The accepted keys are listed in docs/site-config.md"),
                    None => "check the spelling; the accepted keys are listed in docs/site-config.md".into(),
                },
            ),
        ),
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => (
            format!("unknown variant `{variant}`, {}", one_of(expected)),
            None,
        ),
        YamlError::SerdeMissingField { field, .. } => (
            format!("missing field `{field}`"),
            Some(format!("add a line `{field}: ...` to this mapping")),
        ),
        YamlError::SerdeInvalidType {
            unexpected,
            expected,
            ..
        }
        | YamlError::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => {
            wrong_kind(&plain_expected(expected), &found_serde(unexpected, found()), leaf)
        }
        YamlError::InvalidScalar { ty, .. } => wrong_kind(&plain_expected(ty), &found(), leaf),
        YamlError::Unexpected { expected, .. } => {
            wrong_kind(&plain_expected(expected), &found(), leaf)
        }
        YamlError::InvalidBooleanStrict { .. } => wrong_kind("true or false", &found(), leaf),
        YamlError::DuplicateMappingKey { key: dup, .. } => (
            match dup {
                Some(k) => format!("`{k}` is given twice in the same mapping"),
                None => "a key is given twice in the same mapping".into(),
            },
            Some("keep one of the two: a key may appear only once in a mapping".into()),
        ),
        YamlError::Eof { .. } => (
            "the file ends in the middle of a value".into(),
            Some("look for an unclosed quote or bracket above".into()),
        ),
        YamlError::Budget { .. }
        | YamlError::AliasReplayCounterOverflow { .. }
        | YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. } => too_big(err),
        YamlError::MultipleDocuments { .. } => (
            "a second YAML document starts here (after a `---` line)".into(),
            Some("a file holds one document: remove the `---` line and what follows, or merge it into the first".into()),
        ),
        YamlError::ExternalMessage { source, .. } => match &**source {
            ExternalMessageSource::Parser(scan) => syntax(scan, text, lines_before),
            _ => (message_of(err), None),
        },
        _ => (message_of(err), None),
    }
}

/// A YAML syntax error in plain words; `text` is what was parsed (its
/// lines are those of the parser's marker), `lines_before` lines into its
/// file.
fn syntax(
    scan: &granit_parser::ScanError,
    text: &str,
    lines_before: usize,
) -> (String, Option<String>) {
    use granit_parser::ErrorKind as K;
    match scan.kind() {
        K::UnclosedQuotedScalar => (
            "this quote is not closed".into(),
            Some("end the value with the same quote mark (\" or ') it starts with, or remove the opening quote".into()),
        ),
        K::UnclosedFlowCollection { open } => {
            let (what, close) = if *open == '[' {
                ("list", ']')
            } else {
                ("mapping", '}')
            };
            (
                format!("`{open}` opens a {what} that is not closed"),
                Some(format!("end the {what} with `{close}`")),
            )
        }
        K::RecursionLimitExceeded => too_big_detail("brackets nest too deep".into()),
        _ => {
            let info = scan.info();
            let line_no = scan.marker().line();
            let line = text.lines().nth(line_no.saturating_sub(1)).unwrap_or("");
            let col = scan.marker().col();
            if info.contains("tabs disallowed") || info.contains("found a tab") {
                return (
                    "a tab is used for indentation here".into(),
                    Some("indent with spaces: YAML does not allow tabs for indentation".into()),
                );
            }
            if info.contains("mapping values are not allowed") {
                // Where the parser met the `:`: is it the line's first
                // `key:`? Then the line is read as going on with the value
                // above it, because it is indented more than that key.
                let before: String = line.chars().take(col).collect();
                let key = before.trim();
                let first_key = !key.is_empty() && !key.contains(": ") && !key.starts_with('-');
                if first_key {
                    let lines: Vec<&str> = text.lines().take(line_no.saturating_sub(1)).collect();
                    let above = lines
                        .iter()
                        .enumerate()
                        .rev()
                        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                        .map(|(i, _)| i + 1 + lines_before);
                    let above = above.map(|a| format!(" (line {a})")).unwrap_or_default();
                    return (
                        format!(
                            "`{key}:` is indented more than the key above it{above}, so it is read as part of that key's value"
                        ),
                        Some(
                            "keys of one mapping start in the same column: line this key up with the one it stands beside, or indent the key above it like its neighbours".into(),
                        ),
                    );
                }
                let key = key.split(": ").next().unwrap_or(key).trim_start_matches("- ");
                return (
                    format!("the value of `{key}` contains `: `, which YAML reads as the start of another key"),
                    Some("put the whole value in double quotes".into()),
                );
            }
            if info.contains("did not find expected '-' indicator")
                || info.contains("did not find expected key")
            {
                return (
                    "this line is not indented like the lines around it".into(),
                    Some(
                        "the keys of one mapping start in the same column, and so do the `- ` of one list's items (a key of an item lines up with the first one after its `- `)".into(),
                    ),
                );
            }
            (info, None)
        }
    }
}

fn too_big(err: &YamlError) -> (String, Option<String>) {
    too_big_detail(message_of(err))
}

fn too_big_detail(detail: String) -> (String, Option<String>) {
    (
        format!("this YAML is too large or nests too deep to be read ({detail})"),
        Some("a site file needs neither: look for a runaway `*alias` of an `&anchor`, or brackets left open".into()),
    )
}

/// The parser's own message, without its position (the location says it).
fn message_of(err: &YamlError) -> String {
    serde_saphyr::DefaultMessageFormatter
        .format_message(err)
        .into_owned()
}

/// `expected X, found Y` and a hint for the kind of value expected.
fn wrong_kind(expected: &str, found: &Found, leaf: &str) -> (String, Option<String>) {
    let message = format!("expected {expected}, found {found}");
    let quoted_number = matches!(found, Found::Quoted(t) if t.trim().parse::<f64>().is_ok());
    let example_key = if leaf.is_empty() || leaf.contains('[') {
        String::new()
    } else {
        format!("{leaf}: ")
    };
    let hint = if quoted_number && expected.contains("number") {
        Some("remove the quotes: a number in quotes is text".to_string())
    } else if expected.starts_with("a whole number") {
        Some(format!(
            "write a whole number without quotes, e.g. `{example_key}3`"
        ))
    } else if expected == "a number" {
        Some(format!(
            "write a number without quotes, e.g. `{example_key}1.5`"
        ))
    } else if expected == "true or false" {
        Some("write true or false (yes, no, on and off are not accepted)".into())
    } else if expected == "text" && matches!(found, Found::List | Found::Mapping) {
        Some("this key takes one value: write it on the key's line, in double quotes if it contains `: ` or ` #`".into())
    } else if expected == "a list" {
        Some(format!(
            "write the items as `- item` lines under the key, or as `{example_key}[a, b]`"
        ))
    } else if expected.starts_with("a mapping") {
        Some("write `key: value` lines indented under it".into())
    } else {
        None
    };
    (message, hint)
}

/// What stands at a position of a YAML text, for `found ...`.
enum Found {
    Unknown,
    List,
    Mapping,
    Nothing,
    Plain(String),
    Quoted(String),
    /// Serde's own words (`sequence`, `string "x"`) when the text could not be read.
    Described(String),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Unknown => f.write_str("something else"),
            Found::List => f.write_str("a list"),
            Found::Mapping => f.write_str("a mapping"),
            Found::Nothing => f.write_str("nothing"),
            Found::Plain(t) => write!(f, "`{t}`"),
            Found::Quoted(t) => write!(f, "the quoted text {t:?}"),
            Found::Described(d) => f.write_str(d),
        }
    }
}

/// What serde says it found (`sequence`, `string "3"`, `integer `5``), in
/// words; `at_text` is what the text shows where the parser stopped.
fn found_serde(unexpected: &str, at_text: Found) -> Found {
    let inner = |prefix: &str, open: char, close: char| {
        unexpected
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix(open))
            .and_then(|r| r.strip_suffix(close))
            .map(str::to_string)
    };
    if let Some(s) = inner("string ", '"', '"') {
        return match at_text {
            Found::Quoted(t) if t == s => Found::Quoted(t),
            _ => Found::Plain(s),
        };
    }
    for prefix in ["integer ", "floating point ", "boolean ", "character "] {
        if let Some(v) = inner(prefix, '`', '`') {
            return Found::Plain(v);
        }
    }
    match unexpected {
        "sequence" => Found::List,
        "map" => Found::Mapping,
        "unit value" | "null" | "none" => Found::Nothing,
        _ => Found::Described(unexpected.to_string()),
    }
}

/// Reads the value starting at 1-based `line` and `column` (in characters).
fn found_at(text: &str, line: usize, column: usize) -> Found {
    let Some(text_line) = text.lines().nth(line.saturating_sub(1)) else {
        return Found::Unknown;
    };
    let text_line = text_line.strip_prefix('\u{feff}').unwrap_or(text_line);
    let rest: String = text_line.chars().skip(column.saturating_sub(1)).collect();
    let short = |s: &str| -> String {
        let s = s.trim();
        if s.chars().count() > 40 {
            format!("{}…", s.chars().take(40).collect::<String>())
        } else {
            s.to_string()
        }
    };
    match rest.chars().next() {
        None | Some('#') => Found::Nothing,
        Some('[') => Found::List,
        Some('{') => Found::Mapping,
        Some('-') if matches!(rest.chars().nth(1), None | Some(' ' | '\t')) => Found::List,
        Some(q @ ('"' | '\'')) => {
            let inner = &rest[1..];
            Found::Quoted(short(inner.split(q).next().unwrap_or(inner)))
        }
        _ => {
            let value = rest.split(" #").next().unwrap_or(&rest).trim_end();
            if value.ends_with(':') || value.contains(": ") {
                Found::Mapping
            } else {
                Found::Plain(short(value))
            }
        }
    }
}

/// Serde's and the parser's names of kinds of values, in words.
fn plain_expected(expected: &str) -> String {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "an integer" => "a whole number".into(),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number (0 or more)".into(),
        "f32" | "f64" | "a float" => "a number".into(),
        "bool" | "a boolean" => "true or false".into(),
        "a string" | "string scalar" | "a borrowed string" | "str" | "string" | "char"
        | "a character" => "text".into(),
        "sequence start" | "a sequence" | "sequence" => "a list".into(),
        "mapping start" | "a map" | "map" => "a mapping (`key: value` lines)".into(),
        "scalar" => "a single value".into(),
        other if other.starts_with("struct ") => "a mapping (`key: value` lines)".into(),
        other => other.to_string(),
    }
}

/// serde's `expected one of `a`, `b``.
fn one_of(names: &[&str]) -> String {
    match names {
        [] => "there are none".into(),
        [a] => format!("expected `{a}`"),
        [a, b] => format!("expected `{a}` or `{b}`"),
        _ => format!(
            "expected one of {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// One step of a key path: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// `brand.logo`, `nav[1].url`: the inverse of [`Positions::steps`].
fn dotted(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// A `[` or `{` still open where the parser stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFlow {
    pub line: usize,
    pub column: usize,
    pub bracket: char,
}

/// Where each key and list item of a YAML document is, as the YAML parser
/// read it: `brand.logo`, `nav[1].url`, a string file's `tag.pages`.
/// Used to place errors found after parsing at their key's line.
#[derive(Debug, Default)]
pub struct Positions {
    at: HashMap<Vec<Step>, (usize, usize)>,
    /// Where the value of each key starts.
    values: HashMap<Vec<Step>, (usize, usize)>,
    /// The innermost flow collection open when a syntax error stopped the parser.
    pub open_flow: Option<OpenFlow>,
    /// Byte offset where the last event read before a syntax error ends.
    last_end: usize,
    /// The first syntax error of the text, if any, and the key it is under.
    pub syntax_error: Option<granit_parser::ScanError>,
    pub syntax_path: String,
}

impl Positions {
    /// Reads `text` (the first document; what precedes a syntax error).
    pub fn of(text: &str) -> Positions {
        enum State {
            Key,
            Value(Step),
        }
        enum Node {
            Map(State),
            Seq(usize),
        }
        struct Open {
            node: Node,
            step: Option<Step>,
            flow: Option<OpenFlow>,
        }
        let mut out = Positions::default();
        let mut stack: Vec<Open> = Vec::new();
        // The step a node now starting takes under its parent (recording
        // keys and list items as they start).
        fn begin(
            stack: &mut [Open],
            out: &mut Positions,
            key: Option<&str>,
            at: (usize, usize),
        ) -> Option<Step> {
            let path_to = |stack: &[Open], last: Step| -> Vec<Step> {
                stack
                    .iter()
                    .filter_map(|o| o.step.clone())
                    .chain(std::iter::once(last))
                    .collect()
            };
            let step = match stack.last_mut().map(|o| &mut o.node) {
                None => return None,
                Some(Node::Map(State::Key)) => {
                    let step = Step::Key(key.unwrap_or("?").to_string());
                    if key.is_some() {
                        let p = path_to(stack, step.clone());
                        out.at.entry(p).or_insert(at);
                    }
                    return Some(step);
                }
                Some(Node::Map(State::Value(step))) => {
                    let step = step.clone();
                    let p = path_to(stack, step.clone());
                    out.values.entry(p).or_insert(at);
                    return Some(step);
                }
                Some(Node::Seq(n)) => Step::Index(*n),
            };
            if matches!(step, Step::Index(_)) {
                let p = path_to(stack, step.clone());
                out.at.entry(p).or_insert(at);
            }
            Some(step)
        }
        fn complete(stack: &mut [Open], key_step: Option<Step>) {
            match stack.last_mut().map(|o| &mut o.node) {
                Some(Node::Map(state @ State::Key)) => {
                    *state = State::Value(key_step.unwrap_or(Step::Key("?".into())))
                }
                Some(Node::Map(state)) => *state = State::Key,
                Some(Node::Seq(n)) => *n += 1,
                None => {}
            }
        }
        let parser = granit_parser::Parser::new_from_str(text);
        let mut done = false;
        for event in parser {
            let (event, span) = match event {
                Ok(e) => e,
                Err(e) => {
                    out.open_flow = stack.iter().rev().find_map(|o| o.flow);
                    let mut at: Vec<Step> = stack.iter().filter_map(|o| o.step.clone()).collect();
                    if let Some(Node::Map(State::Value(step))) = stack.last().map(|o| &o.node) {
                        at.push(step.clone());
                    }
                    out.syntax_path = dotted(&at);
                    out.syntax_error = Some(e);
                    break;
                }
            };
            if done {
                // Later documents: checked for syntax, not recorded.
                continue;
            }
            let at = (span.start.line(), span.start.col() + 1);
            if let Some(end) = span.end.byte_offset() {
                out.last_end = end;
            }
            match event {
                Event::Scalar(value, ..) => {
                    let step = begin(&mut stack, &mut out, Some(&value), at);
                    complete(&mut stack, step);
                }
                Event::Alias(_) => {
                    let step = begin(&mut stack, &mut out, None, at);
                    complete(&mut stack, step);
                }
                Event::SequenceStart(style, ..) | Event::MappingStart(style, ..) => {
                    let is_seq = matches!(event, Event::SequenceStart(..));
                    let step = begin(&mut stack, &mut out, None, at);
                    stack.push(Open {
                        node: if is_seq {
                            Node::Seq(0)
                        } else {
                            Node::Map(State::Key)
                        },
                        step,
                        flow: (style == StructureStyle::Flow).then_some(OpenFlow {
                            line: at.0,
                            column: at.1,
                            bracket: if is_seq { '[' } else { '{' },
                        }),
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(done) = stack.pop() else { break };
                    complete(&mut stack, done.step);
                }
                Event::DocumentEnd => done = true,
                _ => {}
            }
        }
        out
    }

    /// The quote mark that starts the value the parser was reading when it
    /// stopped at a syntax error, with its line and column.
    pub fn open_quote(&self, text: &str) -> Option<((usize, usize), char)> {
        self.syntax_error.as_ref()?;
        let after = text.get(self.last_end..)?;
        let value = after.trim_start_matches([' ', '\t', '\r', '\n', ':', '-', '?', ',']);
        let quote = value.chars().next().filter(|c| matches!(c, '"' | '\''))?;
        let offset = text.len() - value.len();
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
            .trim_start_matches('\u{feff}')
            .chars()
            .count()
            + 1;
        Some(((line, column), quote))
    }

    /// `brand.logo`, `nav[1].url` as steps.
    pub fn steps(path: &str) -> Vec<Step> {
        let mut steps = Vec::new();
        for part in path.split('.').filter(|p| !p.is_empty()) {
            let (name, mut rest) = match part.find('[') {
                Some(i) => part.split_at(i),
                None => (part, ""),
            };
            if !name.is_empty() {
                steps.push(Step::Key(name.to_string()));
            }
            while let Some(r) = rest.strip_prefix('[') {
                let Some(end) = r.find(']') else { break };
                match r[..end].parse() {
                    Ok(i) => steps.push(Step::Index(i)),
                    Err(_) => steps.push(Step::Key(r[..end].to_string())),
                }
                rest = &r[end + 1..];
            }
        }
        steps
    }

    /// Line and column of the key or item at `steps`.
    pub fn get(&self, steps: &[Step]) -> Option<(usize, usize)> {
        self.at.get(steps).copied()
    }

    /// Line and column where the value of the key at `steps` starts.
    pub fn value(&self, steps: &[Step]) -> Option<(usize, usize)> {
        self.values.get(steps).copied()
    }

    /// The 1-based line of a dotted key path such as `theme`, `brand.logo`
    /// or `nav[1].url`.
    pub fn line(&self, path: &str) -> Option<usize> {
        self.get(&Self::steps(path)).map(|(line, _)| line)
    }
}

/// The location of `key` (a dotted path) in the YAML file `path` whose text
/// is `text`: with its line when the key is there.
pub fn key_location(path: &Path, text: &str, key: &str) -> Location {
    let loc = Location::file(path).key(key);
    match Positions::of(text).line(key) {
        Some(line) => loc.line(line),
        None => loc,
    }
}

/// Any YAML value, for free-form data (`extra:` of front matter): mappings
/// keep the order they were written in, as templates iterate them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
}

impl Value {
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(n) => s.serialize_i64(*n),
            Value::UInt(n) => s.serialize_u64(*n),
            Value::Float(n) => s.serialize_f64(*n),
            Value::Text(t) => s.serialize_str(t),
            Value::List(items) => s.collect_seq(items),
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_unit<E>(self) -> std::result::Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> std::result::Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> std::result::Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> std::result::Result<Value, E> {
                Ok(Value::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> std::result::Result<Value, E> {
                Ok(Value::Int(n))
            }
            fn visit_u64<E>(self, n: u64) -> std::result::Result<Value, E> {
                Ok(i64::try_from(n).map_or(Value::UInt(n), Value::Int))
            }
            fn visit_i128<E>(self, n: i128) -> std::result::Result<Value, E> {
                Ok(i64::try_from(n)
                    .map(Value::Int)
                    .or_else(|_| u64::try_from(n).map(Value::UInt))
                    .unwrap_or(Value::Float(n as f64)))
            }
            fn visit_u128<E>(self, n: u128) -> std::result::Result<Value, E> {
                Ok(u64::try_from(n)
                    .map(|n| i64::try_from(n).map_or(Value::UInt(n), Value::Int))
                    .unwrap_or(Value::Float(n as f64)))
            }
            fn visit_f64<E>(self, n: f64) -> std::result::Result<Value, E> {
                Ok(Value::Float(n))
            }
            fn visit_str<E>(self, s: &str) -> std::result::Result<Value, E> {
                Ok(Value::Text(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> std::result::Result<Value, E> {
                Ok(Value::Text(s))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Value::List(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    entries.push((k, v));
                }
                Ok(Value::Map(entries))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// A whole number from `MIN` to `MAX` (inclusive), as YAML wrote it. Config
/// structs keep plain integer fields and deserialize them through [`int`]
/// (`#[serde(deserialize_with = "yaml::int::<_, u8, 1, 100>")]`), so every
/// number is range-checked where it is read and a bad one is reported at its
/// own line as `255 is not between 1 and 100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int<const MIN: u64, const MAX: u64>(pub u64);

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for Int<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit<const MIN: u64, const MAX: u64>;
        impl<const MIN: u64, const MAX: u64> Visit<MIN, MAX> {
            fn out_of_range<E: serde::de::Error>(n: impl fmt::Display) -> E {
                E::custom(format!("{n} is not between {MIN} and {MAX}"))
            }
        }
        impl<const MIN: u64, const MAX: u64> serde::de::Visitor<'_> for Visit<MIN, MAX> {
            type Value = Int<MIN, MAX>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a whole number between {MIN} and {MAX}")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> std::result::Result<Self::Value, E> {
                if (MIN..=MAX).contains(&n) {
                    Ok(Int(n))
                } else {
                    Err(Self::out_of_range(n))
                }
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> std::result::Result<Self::Value, E> {
                match u64::try_from(n) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(Self::out_of_range(n)),
                }
            }
            fn visit_u128<E: serde::de::Error>(
                self,
                n: u128,
            ) -> std::result::Result<Self::Value, E> {
                match u64::try_from(n) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(Self::out_of_range(n)),
                }
            }
            fn visit_i128<E: serde::de::Error>(
                self,
                n: i128,
            ) -> std::result::Result<Self::Value, E> {
                match u64::try_from(n) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(Self::out_of_range(n)),
                }
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> std::result::Result<Self::Value, E> {
                Err(E::custom(format!(
                    "{n:?} is not a whole number between {MIN} and {MAX}"
                )))
            }
        }
        d.deserialize_any(Visit::<MIN, MAX>)
    }
}

/// Deserializes a whole number in `MIN..=MAX` into the integer type `T`
/// (see [`Int`]). `MAX` must fit in `T`.
pub fn int<'de, D, T, const MIN: u64, const MAX: u64>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    let Int(n) = Int::<MIN, MAX>::deserialize(d)?;
    T::try_from(n).map_err(|_| serde::de::Error::custom(format!("{n} is too large")))
}

macro_rules! validated_string {
    ($(#[$meta:meta])* $name:ident, $check:path) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> std::result::Result<Self, String> {
                $check(s).map(|()| $name(s.to_string()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
    };
}

validated_string!(
    /// A DNS host name: lowercase labels of letters, digits and hyphens.
    Hostname,
    check_hostname
);
validated_string!(
    /// A CSS colour: `#rgb`, `#rrggbb`, `#rrggbbaa`, or `rgb()/hsl()/oklch()` with plain numbers.
    Colour,
    check_colour
);
validated_string!(
    /// A slug: lowercase letters, digits and hyphens, used in paths and names.
    Slug,
    check_slug
);
validated_string!(
    /// A CSS identifier for palette and font names (`primary`, `on-accent`).
    Ident,
    check_ident
);
validated_string!(
    /// A font stack: family names, quotes, commas and spaces only.
    FontStack,
    check_font_stack
);
validated_string!(
    /// A site-relative URL path: starts with `/`, no `..`, no whitespace or quotes.
    UrlPath,
    check_url_path
);
validated_string!(
    /// A link target: a site path (`/about/`) or an absolute `https://` / `mailto:` URL.
    Link,
    check_link
);
validated_string!(
    /// A relative file path inside a site folder (`logo.svg`, `images/hero.jpg`).
    RelPath,
    check_rel_path
);
validated_string!(
    /// A BCP 47 language tag such as `en`, `fr` or `en-GB`.
    LanguageTag,
    check_language
);

validated_string!(
    /// The platform API base URL: `https://host[:port][/path]` (`http://` only for loopback).
    ApiBase,
    check_api_base
);
validated_string!(
    /// An environment variable name: uppercase letters, digits, underscores.
    EnvName,
    check_env_name
);

validated_string!(
    /// An absolute filesystem path of safe characters (it is written into
    /// nginx config and shell commands): `/etc/letsencrypt/live`.
    AbsPath,
    check_abs_path
);
validated_string!(
    /// Where releases go: an absolute local path or `user@host:/path`.
    DeployTarget,
    check_deploy_target
);
validated_string!(
    /// A certbot certificate name (`--cert-name`): letters, digits, `.`, `-`, `_`.
    CertName,
    check_cert_name
);
validated_string!(
    /// An nginx `listen` address: a port, or `address:port`.
    Listen,
    check_listen
);
validated_string!(
    /// The `from` of a redirect: a site path without query or fragment.
    RedirectPath,
    check_redirect_path
);

fn check_abs_path(s: &str) -> std::result::Result<(), String> {
    let ok = s.starts_with('/')
        && s.len() > 1
        && !s.contains("//")
        && s.split('/').all(|seg| seg != ".." && seg != ".")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+@".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an absolute path of letters, digits, / . _ - + @ (no .., spaces, quotes, ; {{ }} $)"
        ))
    }
}

fn check_deploy_target(s: &str) -> std::result::Result<(), String> {
    if s.starts_with('/') {
        return check_abs_path(s);
    }
    let bad = || format!("{s:?} is not a deploy target (an absolute path, or user@host:/path)");
    let (login, path) = s.split_once(':').ok_or_else(bad)?;
    let (user, host) = login.split_once('@').ok_or_else(bad)?;
    let user_ok = !user.is_empty()
        && user.len() <= 32
        && user
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(&b))
        && !user.starts_with('-');
    let host_ok = check_hostname(host).is_ok()
        || (host.split('.').count() == 4 && host.split('.').all(|p| p.parse::<u8>().is_ok()));
    if user_ok && host_ok && check_abs_path(path).is_ok() {
        Ok(())
    } else {
        Err(bad())
    }
}

fn check_cert_name(s: &str) -> std::result::Result<(), String> {
    let ok = !s.is_empty()
        && !s.starts_with(['.', '-'])
        && !s.contains("..")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a certificate name (letters, digits, . _ -)"
        ))
    }
}

fn check_listen(s: &str) -> std::result::Result<(), String> {
    let (addr, port) = match s.rsplit_once(':') {
        Some((a, p)) => (Some(a), p),
        None => (None, s),
    };
    let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
    let addr_ok = addr.is_none_or(|a| {
        a == "*"
            || (a.split('.').count() == 4 && a.split('.').all(|p| p.parse::<u8>().is_ok()))
            || (a.starts_with('[')
                && a.ends_with(']')
                && a[1..a.len() - 1]
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':'))
    });
    if port_ok && addr_ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a listen address (a port like 443, or 127.0.0.1:8443)"
        ))
    }
}

fn check_redirect_path(s: &str) -> std::result::Result<(), String> {
    // nginx matches `location =` against the path decoded and with
    // repeated slashes merged: a path written otherwise never matches.
    if s.contains('%') {
        return Err(format!(
            "{s:?} has a %-escape: the web server matches the path decoded, so write it as it reads (/café/, not /caf%C3%A9/)"
        ));
    }
    if s.contains("//") {
        return Err(format!(
            "{s:?} has //: the web server merges repeated slashes before matching, so write one /"
        ));
    }
    // Letters with accents are written as they are (as nginx compares the
    // decoded bytes); everything else as any site path.
    let ascii: String = s
        .chars()
        .map(|c| {
            if !c.is_ascii() && c.is_alphanumeric() {
                'a'
            } else {
                c
            }
        })
        .collect();
    check_url_path(&ascii).map_err(|_| {
        format!("{s:?} is not a site path (must start with / and contain no .., quotes, spaces or ; {{ }} $; letters with accents are fine)")
    })?;
    if s.contains(['?', '#']) {
        return Err(format!(
            "{s:?} has a query or fragment; redirects match the path only"
        ));
    }
    Ok(())
}

fn check_api_base(s: &str) -> std::result::Result<(), String> {
    let bad = || format!("{s:?} is not an API base URL (e.g. https://api.example.com)");
    let rest = if let Some(r) = s.strip_prefix("https://") {
        r
    } else if let Some(r) = s.strip_prefix("http://") {
        // Plain HTTP would send the token in the clear: loopback only.
        let host = r.split(['/', ':']).next().unwrap_or("");
        let loopback = host == "127.0.0.1" || host == "localhost" || r.starts_with("[::1]");
        if !loopback {
            return Err(format!("{s:?} uses plain http; the token must travel over https (http is allowed for 127.0.0.1 and localhost only)"));
        }
        r
    } else {
        return Err(bad());
    };
    let ok = !rest.is_empty()
        && !rest.starts_with('/')
        && !rest.contains(['?', '#', '@'])
        && rest
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"\"'<>\\{}`".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(bad())
    }
}

fn check_env_name(s: &str) -> std::result::Result<(), String> {
    let ok = s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an environment variable name (uppercase letters, digits, _)"
        ))
    }
}

fn check_hostname(s: &str) -> std::result::Result<(), String> {
    let bad = || format!("{s:?} is not a valid host name (expected e.g. cocotte.maison)");
    if s.is_empty() || s.len() > 253 || !s.contains('.') {
        return Err(bad());
    }
    for label in s.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(bad());
        }
    }
    if s.rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    Ok(())
}

fn check_colour(s: &str) -> std::result::Result<(), String> {
    let bad = || format!("{s:?} is not a colour (use #rrggbb, #rgb, rgb(), hsl() or oklch())");
    if let Some(hex) = s.strip_prefix('#') {
        return if matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(())
        } else {
            Err(bad())
        };
    }
    for func in ["rgb(", "rgba(", "hsl(", "hsla(", "oklch(", "oklab("] {
        if let Some(args) = s.strip_prefix(func).and_then(|r| r.strip_suffix(')')) {
            let ok = !args.trim().is_empty()
                && args.bytes().all(|b| {
                    b.is_ascii_digit()
                        || b" .,%/-".contains(&b)
                        || b == b'd'
                        || b == b'e'
                        || b == b'g'
                });
            return if ok { Ok(()) } else { Err(bad()) };
        }
    }
    Err(bad())
}

fn check_slug(s: &str) -> std::result::Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 100
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a valid slug (lowercase letters, digits and hyphens)"
        ))
    }
}

fn check_ident(s: &str) -> std::result::Result<(), String> {
    let ok = s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!("{s:?} is not a valid name (lowercase letters, digits and hyphens, starting with a letter)"))
    }
}

fn check_font_stack(s: &str) -> std::result::Result<(), String> {
    let ok = !s.trim().is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || " ,-'\"".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a font stack (family names separated by commas)"
        ))
    }
}

fn check_url_path(s: &str) -> std::result::Result<(), String> {
    let ok = s.starts_with('/')
        && !s.starts_with("//")
        && !s.split('/').any(|seg| seg == ".." || seg == ".")
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"\"'<>\\{};$`".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("{s:?} is not a site path (must start with / and contain no .., quotes, spaces or ; {{ }} $)"))
    }
}

fn check_link(s: &str) -> std::result::Result<(), String> {
    if s.starts_with('/') {
        return check_url_path(s);
    }
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .or_else(|| s.strip_prefix("mailto:"))
        .or_else(|| s.strip_prefix("tel:"));
    match rest {
        Some(r)
            if !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"\"'<>\\{};$`".contains(&b)) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "{s:?} is not a link (use a site path like /about/ or an https:// URL)"
        )),
    }
}

fn check_rel_path(s: &str) -> std::result::Result<(), String> {
    let ok = !s.is_empty()
        && !s.starts_with('/')
        && !s.contains('\\')
        && s.split('/')
            .all(|seg| !seg.is_empty() && seg != ".." && seg != "." && !seg.starts_with('.'));
    if ok {
        Ok(())
    } else {
        Err(format!("{s:?} is not a relative path inside the site folder (no leading /, no .. or hidden files)"))
    }
}

fn check_language(s: &str) -> std::result::Result<(), String> {
    let mut parts = s.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase()));
    if primary_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        Ok(())
    } else {
        Err(format!("{s:?} is not a language tag (e.g. en, fr, en-GB)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames() {
        assert!(Hostname::parse("cocotte.maison").is_ok());
        assert!(Hostname::parse("www.adulttherapytour.com").is_ok());
        for bad in [
            "",
            "localhost",
            "Cocotte.maison",
            "a..b",
            "-a.com",
            "a.com;",
            "a b.com",
            "1.2.3.4",
            "x.com/",
        ] {
            assert!(Hostname::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn colours() {
        for ok in [
            "#fff",
            "#A0b1C2",
            "#00000080",
            "rgb(10 20 30)",
            "hsl(200, 50%, 40%)",
            "oklch(0.7 0.1 200deg)",
        ] {
            assert!(Colour::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["red;}", "#ggg", "#12345", "rgb(1,2,3);x", "url(x)", "blue"] {
            assert!(Colour::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_and_links() {
        assert!(UrlPath::parse("/old-page/").is_ok());
        assert!(UrlPath::parse("/a/../b").is_err());
        assert!(UrlPath::parse("/a;return 200").is_err());
        assert!(RedirectPath::parse("/old?x=1").is_err());
        assert!(AbsPath::parse("/srv/www/cocotte.maison").is_ok());
        for bad in [
            "srv/www",
            "/srv/../etc",
            "/srv/www;",
            "/srv/w w",
            "/srv/$x",
            "/srv/{a}",
            "/a'b",
        ] {
            assert!(AbsPath::parse(bad).is_err(), "{bad}");
        }
        assert!(DeployTarget::parse("deploy@web1.example.net:/srv/www/x").is_ok());
        assert!(DeployTarget::parse("deploy@10.0.0.5:/srv/www/x").is_ok());
        for bad in [
            "-oProxyCommand=x@h:/p",
            "deploy@h:relative",
            "h:/p",
            "deploy@h;x:/p",
        ] {
            assert!(DeployTarget::parse(bad).is_err(), "{bad}");
        }
        assert!(CertName::parse("cocotte.maison-0001").is_ok());
        assert!(CertName::parse("../x").is_err());
        assert!(Listen::parse("443").is_ok() && Listen::parse("127.0.0.1:8443").is_ok());
        assert!(Listen::parse("443; include /etc/passwd").is_err());
        assert!(Link::parse("https://example.com/x?y=1").is_ok());
        assert!(Link::parse("javascript:alert(1)").is_err());
        assert!(RelPath::parse("images/logo.svg").is_ok());
        assert!(RelPath::parse("../secret").is_err());
        assert!(RelPath::parse("/etc/passwd").is_err());
        assert!(ApiBase::parse("https://api.example.com/v1").is_ok());
        assert!(ApiBase::parse("http://127.0.0.1:8080").is_ok());
        assert!(ApiBase::parse("http://[::1]:8080").is_ok());
        assert!(ApiBase::parse("http://[2001:db8::1]:8080").is_err());
        assert!(ApiBase::parse("http://api.example.com").is_err());
        assert!(ApiBase::parse("https://user:pw@api.example.com").is_err());
    }

    #[test]
    fn key_lines() {
        let line = |text: &str, key: &str| Positions::of(text).line(key);
        let text = "domain: a.com\nbrand:\n  name: A\n  logo: x.svg\ntheme: t\n";
        assert_eq!(line(text, "theme"), Some(5));
        assert_eq!(line(text, "brand.logo"), Some(4));
        assert_eq!(line(text, "brand.nope"), None);
        let text = "nav:\n- title: A\n  url: /a/\n- title: B\n  url: /b/\nseo:\n  description: x\n";
        assert_eq!(line(text, "nav[1].url"), Some(5));
        assert_eq!(line(text, "nav[0].title"), Some(2));
        assert_eq!(line(text, "nav[1]"), Some(4));
        assert_eq!(line(text, "seo.description"), Some(7));
        let text = "redirects:\n  - from: /a/\n    to: /b/\n  - from: /c/\n    to: /d/\n";
        assert_eq!(line(text, "redirects[1].to"), Some(5));
        // What a line scanner got wrong: flow style, quoted keys, keys in
        // block text, comments that look like keys.
        let text = "nav: [{title: A, url: /a/},\n  {title: B, url: /b/}]\n\"seo\":\n  # description: no\n  text: |\n    description: no\n  description: x\n";
        assert_eq!(line(text, "nav[1].url"), Some(2));
        assert_eq!(
            Positions::of(text).get(&Positions::steps("nav[1].url")),
            Some((2, 14))
        );
        assert_eq!(line(text, "seo.description"), Some(7));
        // A string file's keys contain dots: looked up as one step.
        let p = Positions::of("tag.pages:\n  one: x\n  other: y\n");
        assert_eq!(
            p.get(&[Step::Key("tag.pages".into()), Step::Key("other".into())]),
            Some((3, 3))
        );
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Page {
        title: String,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        weight: i64,
        #[serde(default)]
        draft: bool,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        nav: Vec<Nav>,
        #[serde(default)]
        extra: std::collections::BTreeMap<String, Value>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Nav {
        title: String,
        url: String,
    }

    fn page(text: &str) -> Result<Page> {
        parse(Path::new("p.yaml"), text, ErrorKind::Content)
    }

    fn err(text: &str) -> String {
        page(text).unwrap_err().to_string()
    }

    /// Issue 17 item 2: each bad input names its real line and says what is
    /// wrong and how to fix it.
    #[test]
    fn bad_yaml_is_named_at_its_line_in_plain_words() {
        // A quote not closed on its line ran on to the next value's quote;
        // serde_yaml said "did not find expected key" two lines below.
        assert_eq!(
            err("title: \"A house\ndescription: \"How it works\"\nweight: 1\n"),
            "p.yaml:1:8: title: `\"` opens a quoted text that is not closed on its line: it runs on into line 2\n  hint: end the text with `\"` on line 1, or remove the opening `\"`"
        );
        assert_eq!(
            err("title: A\ndescription: 'it\n"),
            "p.yaml:2:14: description: this quote is not closed\n  hint: end the value with the same quote mark (\" or ') it starts with, or remove the opening quote"
        );
        // An open `[` swallowed the next lines.
        assert_eq!(
            err("title: A\ntags: [house, studio\nweight: 1\n"),
            "p.yaml:2:7: tags: `[` opens a list that is not closed: the list runs on into line 3\n  hint: end the list with `]` on line 2, or write one `- item` per line instead"
        );
        assert_eq!(
            err("title: A\ntags: [house, studio\n"),
            "p.yaml:2:7: tags: `[` opens a list that is not closed\n  hint: end the list with `]`"
        );
        // A key given twice, at the second one's line.
        assert_eq!(
            err("title: A\nnav:\n  - title: B\n    url: /b/\n    url: /c/\n"),
            "p.yaml:5:5: nav[0].url: `url` is given twice in the same mapping: first on line 4, again here\n  hint: keep one of the two: a key may appear only once in a mapping"
        );
        assert_eq!(
            err("title: A\nweight: 1\ntitle: B\n"),
            "p.yaml:3:1: title: `title` is given twice in the same mapping: first on line 1, again here\n  hint: keep one of the two: a key may appear only once in a mapping"
        );
        // A wrong type, in words.
        assert_eq!(
            err("title: A\nweight: one\n"),
            "p.yaml:2:9: weight: expected a whole number, found `one`\n  hint: write a whole number without quotes, e.g. `weight: 3`"
        );
        // A quoted number where a number is expected is read as the number.
        assert_eq!(page("title: A\nweight: \"3\"\n").unwrap().weight, 3);
        assert_eq!(
            err("title: [A, B]\n"),
            "p.yaml:1:8: title: expected text, found a list\n  hint: this key takes one value: write it on the key's line, in double quotes if it contains `: ` or ` #`"
        );
        assert_eq!(
            err("title: A\ntags: house\n"),
            "p.yaml:2:7: tags: expected a list, found `house`\n  hint: write the items as `- item` lines under the key, or as `tags: [a, b]`"
        );
        // Syntax comes first, even after a value of the wrong kind.
        assert!(err("title: A\nweight: x\ntags: [a\n").starts_with("p.yaml:3:7: tags: `[` opens"));
    }

    #[test]
    fn redirect_paths_are_written_as_nginx_matches_them() {
        for ok in [
            "/equipe/",
            "/actualités/bienvenue-inès/",
            "/ΑΒΓ/",
            "/a-b_c.html",
        ] {
            assert_eq!(check_redirect_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "/caf%C3%A9/",
            "/a//b/",
            "/a\u{a0}b/",
            "/x\u{202e}y/",
            "/«x»/",
            "/a b/",
            "/a\"b/",
            "/a?b",
        ] {
            assert!(check_redirect_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let p = page("\u{feff}title: A\nweight: 2\n").unwrap();
        assert_eq!((p.title.as_str(), p.weight), ("A", 2));
        assert_eq!(
            err("\u{feff}titel: A\n"),
            "p.yaml:1:1: titel: unknown field `titel`, expected one of `title`, `description`, `weight`, `draft`, `tags`, `nav`, `extra`\n  hint: did you mean `title`? The accepted keys are listed in docs/site-config.md"
        );
    }

    /// YAML 1.1 habits copy editors have: what they mean here.
    #[test]
    fn yaml_1_1_words_and_dates() {
        // yes/no/on/off are text, never booleans: the Norway problem.
        let p = page("title: no\ndescription: on\nextra:\n  country: no\n  open: off\n  flag: true\n  date: 2026-03-14\n  version: 1.10\n  zip: 01234\n  empty:\n  tilde: ~\n").unwrap();
        assert_eq!(p.title, "no");
        assert_eq!(p.description.as_deref(), Some("on"));
        assert_eq!(p.extra["country"], Value::Text("no".into()));
        assert_eq!(p.extra["open"], Value::Text("off".into()));
        assert_eq!(p.extra["flag"], Value::Bool(true));
        assert_eq!(p.extra["date"], Value::Text("2026-03-14".into()));
        assert_eq!(p.extra["version"], Value::Float(1.1));
        assert_eq!(p.extra["zip"], Value::Text("01234".into()));
        assert_eq!(p.extra["empty"], Value::Null);
        assert_eq!(p.extra["tilde"], Value::Null);
        // Text keys read numbers and dates as written.
        let p = page("title: 1.10\ndescription: 2026-03-14\n").unwrap();
        assert_eq!(p.title, "1.10");
        assert_eq!(p.description.as_deref(), Some("2026-03-14"));
        // An empty value is empty text, as before.
        assert_eq!(page("title:\n").unwrap().title, "");
        // A boolean is true or false.
        assert!(page("title: A\ndraft: false\n").is_ok());
        assert_eq!(
            err("title: A\ndraft: yes\n"),
            "p.yaml:2:8: draft: expected true or false, found `yes`\n  hint: write true or false (yes, no, on and off are not accepted)"
        );
        // Mappings keep their order.
        let p = page("title: A\nextra:\n  m: {z: 1, a: 2}\n").unwrap();
        let Value::Map(entries) = &p.extra["m"] else {
            panic!("a mapping")
        };
        assert_eq!(entries[0].0, "z");
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("title: A\nextra:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            bomb.push_str(&format!(
                "  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = page(&bomb).unwrap_err();
        assert!(
            e.message
                .starts_with("this YAML is too large or nests too deep"),
            "{e}"
        );
        assert!(e.location.as_ref().unwrap().line.is_some(), "{e}");
    }

    #[test]
    fn flow_nesting() {
        let deep = format!(
            "title: A\nextra:\n  x: {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let e = page(&deep).unwrap_err();
        assert!(
            e.message
                .starts_with("this YAML is too large or nests too deep"),
            "{e}"
        );
    }

    #[test]
    fn block_nesting() {
        let mut block = String::from("title: A\nextra:\n");
        for depth in 1..10_000 {
            block.push_str(&" ".repeat(depth));
            block.push_str("k:\n");
        }
        let e = page(&block).unwrap_err();
        assert!(
            e.message
                .starts_with("this YAML is too large or nests too deep"),
            "{e}"
        );
    }

    #[test]
    fn an_open_bracket_is_found_where_the_parser_stops() {
        let p = Positions::of("a: 1\ntags: [x, y\nb: 2\n");
        assert_eq!(
            p.open_flow,
            Some(OpenFlow {
                line: 2,
                column: 7,
                bracket: '['
            })
        );
        assert_eq!(Positions::of("tags: [x, y]\nb: 2\n").open_flow, None);
    }
}
