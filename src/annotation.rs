//! GitHub Actions annotations: an error or a warning as the workflow command
//! `::error file=F,line=L,col=C::message`, which the runner shows on the run
//! and beside the line in a pull request's diff. Pure text: `main.rs`
//! decides when (`GITHUB_ACTIONS=true`) and prints them on stderr, beside
//! the usual lines, so `--json` output on stdout stays one JSON document.

use crate::error::Error;

/// How an annotation shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

/// The workflow command for one finding. `file` is as the user wrote it
/// (relative to the workspace, as the repository has it); a line is only
/// given with a file and a column only with a line, as the runner reads them.
pub fn command(
    level: Level,
    file: Option<&str>,
    line: Option<usize>,
    col: Option<usize>,
    message: &str,
) -> String {
    let mut props = Vec::new();
    if let Some(file) = file {
        props.push(format!("file={}", escape_property(file)));
        if let Some(line) = line {
            props.push(format!("line={line}"));
            if let Some(col) = col {
                props.push(format!("col={col}"));
            }
        }
    }
    let name = match level {
        Level::Error => "error",
        Level::Warning => "warning",
    };
    let props = if props.is_empty() {
        String::new()
    } else {
        format!(" {}", props.join(","))
    };
    format!("::{name}{props}::{}", escape_data(message))
}

/// The annotation of an error: at its file, line and column, saying its
/// key, message and hint (secrets masked, as everywhere an error is shown).
pub fn error(e: &Error) -> String {
    let loc = e.location.as_ref();
    let mut text = String::new();
    if let Some(key) = loc.and_then(|l| l.key.as_deref()) {
        text.push_str(&format!("{key}: "));
    }
    text.push_str(&e.message);
    if let Some(hint) = &e.hint {
        text.push_str(&format!("\nhint: {hint}"));
    }
    let file = loc.map(|l| l.file.display().to_string());
    command(
        Level::Error,
        file.as_deref(),
        loc.and_then(|l| l.line),
        loc.and_then(|l| l.column),
        &crate::redact::redact(&text),
    )
}

/// A message as the runner reads it: `%`, CR and LF encoded.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as a message, and `:` and `,` too (they end it).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;

    #[test]
    fn messages_and_properties_are_escaped_as_the_runner_reads_them() {
        assert_eq!(
            command(
                Level::Error,
                Some("content/a,b:c%d.md"),
                Some(4),
                Some(7),
                "100% wrong:\r\nsee, here"
            ),
            "::error file=content/a%2Cb%3Ac%25d.md,line=4,col=7::100%25 wrong:%0D%0Asee, here"
        );
        assert_eq!(
            command(Level::Warning, None, Some(3), None, "no file, no line"),
            "::warning::no file, no line"
        );
        assert_eq!(
            command(Level::Warning, Some("a.md"), None, Some(2), "m"),
            "::warning file=a.md::m"
        );
    }

    #[test]
    fn an_error_shows_its_key_and_hint() {
        let e = Error::config("unknown field `wieght`")
            .at(Location::file("content/x/about.md")
                .line(4)
                .column(1)
                .key("wieght"))
            .hint("check the spelling");
        assert_eq!(
            error(&e),
            "::error file=content/x/about.md,line=4,col=1::wieght: unknown field `wieght`%0Ahint: check the spelling"
        );
        assert_eq!(
            error(&Error::deploy("rsync failed")),
            "::error::rsync failed"
        );
    }
}
