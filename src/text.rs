//! Small text helpers shared by every layer: HTML escaping, slugs, URL and
//! path-segment checks, byte counts for messages. Pure functions; imports
//! nothing of the crate, so any module may use them.

/// Escapes text for HTML content and quoted attributes: `& < > " '` and
/// nothing else. Not minijinja's `HtmlEscape` (v_htmlescape): it also turns
/// `/` into `&#x2f;`, which would change every URL in every page's bytes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Lowercase ASCII slug of a text: letters and digits joined by hyphens.
/// Letters of every script are transliterated (`Cœur` → `coeur`, `Straße` →
/// `strasse`, `Łódź` → `lodz`, `東京` → `dong-jing`); punctuation, symbols and
/// emoji separate words. The result can be empty (`"???"`): callers that need
/// a URL segment fall back to something else then.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        for a in fold_accent(c).chars() {
            if a.is_ascii_alphanumeric() {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(a.to_ascii_lowercase());
            } else {
                dash = true;
            }
        }
    }
    out
}

/// The ASCII spelling of one character for a slug: itself when ASCII, a
/// transliteration (deunicode) for a letter or digit of another script, and
/// a separator for anything else, so `♥` or `🎉` never become words.
fn fold_accent(c: char) -> &'static str {
    if c.is_ascii() || c.is_alphanumeric() {
        // ASCII maps to itself; `slugify` turns non-alphanumerics into hyphens.
        deunicode::deunicode_char(c).unwrap_or(" ")
    } else {
        " "
    }
}

/// Whether a URL from untrusted markdown may become a link.
pub fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || (lower.starts_with('/') && !lower.starts_with("//"))
        || lower.starts_with('#')
}

/// A path segment that stays inside its folder: letters, digits, `-`, `_`, `.`,
/// not starting with a dot.
pub fn is_safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// `33554432` → `32 MiB`; `1500` → `1500 bytes`.
pub fn bytes_text(n: u64) -> String {
    if n >= 1024 * 1024 && n.is_multiple_of(1024 * 1024) {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// Whether a template name stays inside the template folders.
pub fn is_safe_template_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && name
            .split('/')
            .all(|seg| !seg.is_empty() && seg != ".." && seg != "." && !seg.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kept hand-written: minijinja's `HtmlEscape` and `v_htmlescape` also
    /// escape `/` (`&#x2f;`), which would rewrite every URL in every
    /// attribute of every page for no safety gain.
    #[test]
    fn html_escaping_touches_the_five_characters_only() {
        assert_eq!(
            escape_html("<a href='https://x.example/a?b=1&c=2'>\"Zoë\"</a>"),
            "&lt;a href=&#39;https://x.example/a?b=1&amp;c=2&#39;&gt;&quot;Zoë&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("São Paulo"), "sao-paulo");
        assert_eq!(slugify("  --x--  "), "x");
        // Regression (issue 12, item 12): these were `c-ur`, `stra-e`, `od`.
        assert_eq!(slugify("Cœur"), "coeur");
        assert_eq!(slugify("Straße"), "strasse");
        assert_eq!(slugify("Łódź"), "lodz");
        assert_eq!(slugify("Ærøskøbing"), "aeroskobing");
        assert_eq!(slugify("Αθήνα"), "athena");
        assert_eq!(slugify("Москва"), "moskva");
        assert_eq!(slugify("東京"), "dong-jing");
        assert_eq!(slugify("Fête 🎉 ♥ day"), "fete-day");
        assert_eq!(slugify("???"), "");
    }
}
