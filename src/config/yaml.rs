//! YAML parsing with locations: every error names file, line, column and the
//! dotted key path, and the value types here validate while they deserialize
//! so a bad value is reported at its own line.

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::{Error, ErrorKind, Location, Result};

/// Parses `text` (the contents of `path`) as a `T`, rejecting unknown keys
/// where `T` says so, with the error located at file:line:col and key.
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str, kind: ErrorKind) -> Result<T> {
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|err| {
        // serde_path_to_error writes `?` for positions it could not name.
        let key = err
            .path()
            .to_string()
            .split('.')
            .filter(|seg| *seg != "?")
            .collect::<Vec<_>>()
            .join(".");
        let inner = err.into_inner();
        let mut loc = Location::file(path).key(key.clone());
        if let Some(l) = inner.location() {
            loc = loc.line(l.line()).column(l.column());
        }
        // Errors raised by value validation are placed by serde_yaml at the
        // enclosing mapping; the key's own line is the later, better one.
        if let Some(line) = key_line(text, &key) {
            if loc.line.is_none_or(|l| line > l) {
                loc.line = Some(line);
                loc.column = None;
            }
        }
        let message = clean_message(&inner.to_string());
        let mut e = Error::new(kind, message).at(loc);
        if e.message.contains("mapping values are not allowed") {
            e = e.hint("a value contains `: `; put the whole value in double quotes");
        } else if e.message.starts_with("unknown field") {
            e = e.hint("check the spelling; the accepted keys are listed in docs/site-config.md");
        }
        e
    })
}

/// serde_yaml prefixes nested errors with its own key path and appends
/// " at line N column M"; the location already says both.
fn clean_message(msg: &str) -> String {
    let msg = match msg.find(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    let is_path = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.[]".contains(&b))
    };
    match msg.split_once(": ") {
        Some((head, rest)) if is_path(head) && !rest.is_empty() => rest.to_string(),
        _ => msg.to_string(),
    }
}

/// Finds the 1-based line of a key path such as `theme`, `brand.logo` or
/// `nav[1].url` in a block-style YAML document (as operators write it). Used
/// to locate errors found by validation or after parsing.
pub fn key_line(text: &str, path: &str) -> Option<usize> {
    enum Step<'a> {
        Key(&'a str),
        Index(usize),
    }
    let mut steps = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            if i > 0 {
                steps.push(Step::Key(&rest[..i]));
            }
            rest = &rest[i..];
            while let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']')?;
                steps.push(Step::Index(r[..end].parse().ok()?));
                rest = &r[end + 1..];
            }
        } else {
            steps.push(Step::Key(rest));
        }
    }
    // Per line: column of a leading "- " (if any), and the key with its column.
    struct Line<'a> {
        dash: Option<usize>,
        key: Option<(&'a str, usize)>,
        first: usize,
    }
    let lines: Vec<Option<Line<'_>>> =
        text.lines()
            .map(|l| {
                let trimmed = l.trim_start();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    return None;
                }
                let first = l.len() - trimmed.len();
                let (dash, body, body_col) = match trimmed
                    .strip_prefix("- ")
                    .or(if trimmed == "-" { Some("") } else { None })
                {
                    Some(b) => {
                        let b2 = b.trim_start();
                        (Some(first), b2, first + 2 + (b.len() - b2.len()))
                    }
                    None => (None, trimmed, first),
                };
                let key = body
                    .find(':')
                    .map(|i| (body[..i].trim().trim_matches(['"', '\'']), body_col))
                    .filter(|(k, _)| !k.is_empty() && !k.contains(' ') || k.starts_with('"'));
                Some(Line { dash, key, first })
            })
            .collect();

    let mut start = 0;
    let mut boundary = 0; // lines starting left of this column end the scope
    let mut parent_key_col: Option<usize> = None; // a plain key at this column ends it too
    let mut found = None;
    for step in steps {
        let mut hit = None;
        match step {
            Step::Key(name) => {
                for (i, line) in lines.iter().enumerate().skip(start) {
                    let Some(line) = line else { continue };
                    let first = if i == start && found.is_some() {
                        line.key.map_or(line.first, |k| k.1)
                    } else {
                        line.first
                    };
                    if first < boundary
                        || (line.dash.is_none() && Some(line.first) == parent_key_col)
                    {
                        break;
                    }
                    if let Some((k, col)) = line.key {
                        if k == name && col >= boundary {
                            hit = Some((i, col));
                            break;
                        }
                    }
                }
                let (i, col) = hit?;
                found = Some(i);
                start = i + 1;
                boundary = col;
                parent_key_col = Some(col);
            }
            Step::Index(n) => {
                let mut seen = 0;
                let mut seq_col = None;
                for (i, line) in lines.iter().enumerate().skip(start) {
                    let Some(line) = line else { continue };
                    if line.first < boundary
                        || (line.dash.is_none() && Some(line.first) == parent_key_col)
                    {
                        break;
                    }
                    if let Some(d) = line.dash {
                        let col = *seq_col.get_or_insert(d);
                        if d == col {
                            if seen == n {
                                hit = Some((i, d));
                                break;
                            }
                            seen += 1;
                        }
                    }
                }
                let (i, d) = hit?;
                found = Some(i);
                start = i;
                boundary = d + 1;
                parent_key_col = None;
            }
        }
    }
    found.map(|i| i + 1)
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
    check_url_path(s)?;
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
        let text = "domain: a.com\nbrand:\n  name: A\n  logo: x.svg\ntheme: t\n";
        assert_eq!(key_line(text, "theme"), Some(5));
        assert_eq!(key_line(text, "brand.logo"), Some(4));
        assert_eq!(key_line(text, "brand.nope"), None);
        let text = "nav:\n- title: A\n  url: /a/\n- title: B\n  url: /b/\nseo:\n  description: x\n";
        assert_eq!(key_line(text, "nav[1].url"), Some(5));
        assert_eq!(key_line(text, "nav[0].title"), Some(2));
        assert_eq!(key_line(text, "nav[1]"), Some(4));
        assert_eq!(key_line(text, "seo.description"), Some(7));
        let text = "redirects:\n  - from: /a/\n    to: /b/\n  - from: /c/\n    to: /d/\n";
        assert_eq!(key_line(text, "redirects[1].to"), Some(5));
    }
}
