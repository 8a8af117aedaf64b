//! String files: `<code>.yaml` in an `i18n/` folder of `templates/_base/`,
//! `templates/<kind>/`, the theme and the site. A file maps keys to a
//! message: a string, or a map of CLDR plural categories (`zero`, `one`,
//! `two`, `few`, `many`, `other`; `other` is required) for `t(key,
//! count=…)`. Messages have `{name}` placeholders (`{{` and `}}` are
//! literal braces). Parsing only: which files are read, and in what order,
//! is `super::Strings::load`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use icu_plurals::PluralCategory;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::config::yaml;
use crate::error::{Error, ErrorKind, Location, Result};

/// One message of a string file, where it was written.
#[derive(Debug, Clone)]
pub struct Entry {
    pub message: Message,
    /// `templates/_base/i18n/fr.yaml:12`, for errors.
    pub file: PathBuf,
    pub line: Option<usize>,
}

impl Entry {
    pub fn place(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.file.display()),
            None => self.file.display().to_string(),
        }
    }
}

/// A message: one text, or one per plural category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Text(Pattern),
    /// Category → text; always has `Other` (`parse` checks).
    Plural(Vec<(PluralCategory, Pattern)>),
}

impl Message {
    /// The text for `category`, or `other` when the message has no form
    /// for it.
    pub fn form(&self, category: PluralCategory) -> &Pattern {
        match self {
            Message::Text(p) => p,
            Message::Plural(forms) => forms
                .iter()
                .find(|(c, _)| *c == category)
                .or_else(|| forms.iter().find(|(c, _)| *c == PluralCategory::Other))
                .map(|(_, p)| p)
                .expect("plural messages have `other`"),
        }
    }
}

/// A message text split into literal text and `{name}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern(Vec<Part>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Arg(String),
}

impl Pattern {
    /// `Book a place in {city}`; `{{`/`}}` for literal braces. A
    /// placeholder name is letters, digits and `_`.
    pub fn parse(text: &str) -> std::result::Result<Pattern, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    lit.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) if c.is_ascii_alphanumeric() || c == '_' => name.push(c),
                            _ => {
                                return Err(format!(
                                    "{{{name}… is not a placeholder: write {{name}} with letters, digits and _, or {{{{ for a literal brace"
                                ))
                            }
                        }
                    }
                    if name.is_empty() {
                        return Err("{} is not a placeholder: name it, as in {count}".into());
                    }
                    if !lit.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Arg(name));
                }
                '}' => return Err("a lone } is not allowed: write }} for a literal brace".into()),
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Text(lit));
        }
        Ok(Pattern(parts))
    }

    /// The text with each placeholder replaced by `arg(name)`; Err(name) for
    /// the first placeholder that has no value.
    pub fn fill(
        &self,
        arg: impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<String, String> {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Arg(name) => match arg(name) {
                    Some(v) => out.push_str(&v),
                    None => return Err(name.clone()),
                },
            }
        }
        Ok(out)
    }
}

/// The categories string files may use, in CLDR's order.
const CATEGORIES: [(&str, PluralCategory); 6] = [
    ("zero", PluralCategory::Zero),
    ("one", PluralCategory::One),
    ("two", PluralCategory::Two),
    ("few", PluralCategory::Few),
    ("many", PluralCategory::Many),
    ("other", PluralCategory::Other),
];

/// A plural category as a key of plural forms.
struct Category(PluralCategory);

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        CATEGORIES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| Category(*c))
            .ok_or_else(|| {
                de::Error::custom(format!(
                    "unknown plural category `{name}`, expected one of `zero`, `one`, `two`, `few`, `many`, `other`"
                ))
            })
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Message;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, or a map of plural forms (zero, one, two, few, many, other)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Message, E> {
                Pattern::parse(s).map(Message::Text).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Message, A::Error> {
                let mut forms: Vec<(PluralCategory, Pattern)> = Vec::new();
                while let Some(Category(category)) = map.next_key()? {
                    let text: String = map.next_value()?;
                    let pattern = Pattern::parse(&text).map_err(de::Error::custom)?;
                    forms.push((category, pattern));
                }
                // `other` is checked by `parse`, which places the error at
                // the key rather than at the end of its forms.
                Ok(Message::Plural(forms))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// Parses the string file `path` (its text `text`): key → entry. An empty
/// file has no keys. Errors name the file, line and key.
pub fn parse(path: &Path, text: &str) -> Result<BTreeMap<String, Entry>> {
    let map: Option<BTreeMap<String, Message>> = yaml::parse(path, text, ErrorKind::Config)
        .map_err(|e: Error| {
            if e.message.starts_with("expected ") {
                e.hint("a string file maps each key to a string or to plural forms: `pages: {one: \"{count} page\", other: \"{count} pages\"}`")
            } else {
                e
            }
        })?;
    // Keys may contain dots (`status.open`): each is one step, not a path.
    let positions = yaml::Positions::of(text);
    let mut out = BTreeMap::new();
    for (key, message) in map.unwrap_or_default() {
        let line = positions
            .get(&[yaml::Step::Key(key.clone())])
            .map(|(line, _)| line);
        let at = || {
            let loc = Location::file(path).key(key.clone());
            match line {
                Some(line) => loc.line(line),
                None => loc,
            }
        };
        if !is_key(&key) {
            return Err(Error::config(format!(
                "{key:?} is not a string key: use letters, digits, `_`, `-` and `.`"
            ))
            .at(at()));
        }
        if let Message::Plural(forms) = &message {
            if !forms.iter().any(|(c, _)| *c == PluralCategory::Other) {
                return Err(Error::config(
                    "plural forms need `other` (the form for any count no other form covers)",
                )
                .at(at()));
            }
        }
        out.insert(
            key,
            Entry {
                message,
                file: path.to_path_buf(),
                line,
            },
        );
    }
    Ok(out)
}

/// `footer.sitemap`, `leg.status.open`: ASCII letters, digits, `_`, `-`, `.`.
fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<BTreeMap<String, Entry>> {
        parse(Path::new("fr.yaml"), text)
    }

    fn err(text: &str) -> String {
        one(text).unwrap_err().to_string()
    }

    #[test]
    fn texts_plurals_and_placeholders() {
        let m = one("# comment\nread_more: Lire la suite\ntag.pages:\n  one: \"{count} page\"\n  other: \"{count} pages\"\n\"leg.book\": Réserver à {city} {{ok}}\n").unwrap();
        assert_eq!(m["read_more"].line, Some(2));
        assert_eq!(m["tag.pages"].line, Some(3));
        assert_eq!(m["leg.book"].line, Some(6));
        let fill = |key: &str, c: PluralCategory| {
            m[key]
                .message
                .form(c)
                .fill(|n| Some(format!("<{n}>")))
                .unwrap()
        };
        assert_eq!(fill("read_more", PluralCategory::One), "Lire la suite");
        assert_eq!(fill("tag.pages", PluralCategory::One), "<count> page");
        assert_eq!(fill("tag.pages", PluralCategory::Few), "<count> pages");
        assert_eq!(
            fill("leg.book", PluralCategory::Other),
            "Réserver à <city> {ok}"
        );
        assert_eq!(
            m["leg.book"]
                .message
                .form(PluralCategory::Other)
                .fill(|_| None),
            Err("city".to_string())
        );
        assert!(one("").unwrap().is_empty());
        assert!(one("# nothing yet\n").unwrap().is_empty());
    }

    #[test]
    fn placeholders_and_literal_braces() {
        let fill =
            |text: &str| Pattern::parse(text).map(|p| p.fill(|n| Some(format!("<{n}>"))).unwrap());
        assert_eq!(fill("{a} {{b}} c_{d_2}"), Ok("<a> {b} c_<d_2>".into()));
        assert_eq!(fill("}} and {{"), Ok("} and {".into()));
        assert_eq!(
            fill("a } b"),
            Err("a lone } is not allowed: write }} for a literal brace".into())
        );
        assert_eq!(
            fill("{a-b}"),
            Err("{a… is not a placeholder: write {name} with letters, digits and _, or {{ for a literal brace".into())
        );
        assert_eq!(
            fill("{a b}"),
            Err("{a… is not a placeholder: write {name} with letters, digits and _, or {{ for a literal brace".into())
        );
        assert_eq!(
            fill("{}"),
            Err("{} is not a placeholder: name it, as in {count}".into())
        );
    }

    #[test]
    fn bad_files_name_file_line_and_key() {
        assert_eq!(
            err("a: A\ntag.pages:\n  one: \"{count} page\"\n"),
            "fr.yaml:2: tag.pages: plural forms need `other` (the form for any count no other form covers)"
        );
        assert_eq!(
            err("a: A\npages:\n  one: x\n  several: y\n  other: z\n"),
            "fr.yaml:4:3: pages.several: unknown plural category `several`, expected one of `zero`, `one`, `two`, `few`, `many`, `other`"
        );
        assert_eq!(
            err("a: A\nleg.book: \"Book {city\"\n"),
            "fr.yaml:2:11: leg.book: {city… is not a placeholder: write {name} with letters, digits and _, or {{ for a literal brace"
        );
        assert_eq!(
            err("a: A\nlist: [1, 2]\n"),
            "fr.yaml:2:7: list: expected a string, or a map of plural forms (zero, one, two, few, many, other), found a list\n  hint: a string file maps each key to a string or to plural forms: `pages: {one: \"{count} page\", other: \"{count} pages\"}`"
        );
        assert_eq!(
            err("a: A\n\"b c\": B\n"),
            "fr.yaml:2: b c: \"b c\" is not a string key: use letters, digits, `_`, `-` and `.`"
        );
        assert_eq!(
            err("a: [\n"),
            "fr.yaml:1:4: a: `[` opens a list that is not closed\n  hint: end the list with `]`"
        );
    }
}
