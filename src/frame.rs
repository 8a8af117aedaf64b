//! Code frames: under an error, the lines of the file around its location,
//! the line marked and a caret at the column (as rustc draws them, with
//! annotate-snippets). The terminal and the preview's overlay show the same
//! report: `file:line:col: message`, the frame, the hint.
//!
//! A frame shows only what the user wrote: a regular UTF-8 text file in the
//! workspace's source folders (`sites/`, `content/`, `templates/`, `themes/`,
//! `sitegen.yaml`), still inside that folder after following links. Never a
//! file a link leads out to (`/etc/passwd`, `/proc/self/environ`), never
//! platform data (`data/`, the cache; its messages hide values on purpose),
//! never a binary file. Control characters are replaced and registered
//! secrets masked, so a frame cannot drive the terminal or show a token.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::error::{Error, Location};

/// The folders of a workspace that hold what its users write.
const SOURCE_FOLDERS: [&str; 4] = ["sites", "content", "templates", "themes"];

/// Lines shown before and after the error's line.
const CONTEXT: usize = 2;

/// Files larger than this are not sources anyone edits by hand.
const MAX_BYTES: u64 = 4 << 20;

/// `file:line:col: key: message`, the code frame when the file is one of
/// the user's sources under `root` (the workspace), and the hint; coloured
/// with ANSI escapes when `colour`. Every registered secret is masked.
pub fn report(err: &Error, root: Option<&Path>, colour: bool) -> String {
    let mut text = String::new();
    if let Some(loc) = &err.location {
        text.push_str(&format!("{loc}: "));
    }
    text.push_str(&err.message);
    if let Some(frame) = root.and_then(|root| frame(err.location.as_ref()?, root, colour)) {
        text.push('\n');
        text.push_str(&frame);
    }
    if let Some(hint) = &err.hint {
        text.push_str(&format!("\n  hint: {hint}"));
    }
    crate::redact::redact(&text).into_owned()
}

/// The frame for `loc`, or `None` when it has no line, or its file is not
/// one of the user's sources under `root`, or the line is not in it.
pub fn frame(loc: &Location, root: &Path, colour: bool) -> Option<String> {
    let line = loc.line.filter(|l| *l > 0)?;
    let text = read_source(&loc.file, root)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let lines: Vec<String> = text
        .split('\n')
        .map(|l| clean(l.strip_suffix('\r').unwrap_or(l)))
        .collect();
    // A text ending in a newline has no line after it.
    let count = lines.len() - usize::from(text.ends_with('\n'));
    if line > count.max(1) {
        return None;
    }
    let first = line.saturating_sub(CONTEXT).max(1);
    let mut last = (line + CONTEXT).min(count.max(1));
    while last > line && lines[last - 1].trim().is_empty() {
        last -= 1;
    }
    let shown = &lines[first - 1..last];
    let source = shown.join("\n");
    let start: usize = shown[..line - first].iter().map(|l| l.len() + 1).sum();
    let marked = &lines[line - 1];
    let span = match loc.column.filter(|c| *c > 0) {
        // The column counts characters from 1.
        Some(col) => match marked.char_indices().nth(col - 1) {
            Some((at, c)) => start + at..start + at + c.len_utf8(),
            None => start + marked.len()..start + marked.len(),
        },
        // No column: the whole line, without its indentation.
        None => {
            let indent = marked.len() - marked.trim_start().len();
            start + indent..start + marked.trim_end().len()
        }
    };
    let group = Group::with_level(Level::ERROR).element(
        Snippet::source(&source)
            .line_start(first)
            .fold(false)
            .annotation(AnnotationKind::Primary.span(span)),
    );
    let renderer = if colour {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    Some(renderer.render(&[group]))
}

/// The text of `file` if it is one of the user's sources under `root`:
/// resolved (links followed), it is a regular file inside the same source
/// folder (or is the workspace's `sitegen.yaml`), small, and UTF-8 text.
fn read_source(file: &Path, root: &Path) -> Option<String> {
    let here = |p: &Path| {
        if p.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            p.to_path_buf()
        }
    };
    let real_root = std::fs::canonicalize(here(root)).ok()?;
    let rel = relative_to(file, root)?;
    let mut parts = rel.components();
    let top = match parts.next()? {
        Component::Normal(top) => top.to_str()?,
        _ => return None,
    };
    let real = std::fs::canonicalize(here(file)).ok()?;
    let inside = if rel == Path::new("sitegen.yaml") {
        real == real_root.join("sitegen.yaml")
    } else {
        SOURCE_FOLDERS.contains(&top)
            && parts.next().is_some()
            && real.starts_with(std::fs::canonicalize(real_root.join(top)).ok()?)
    };
    if !inside {
        return None;
    }
    let meta = std::fs::metadata(&real).ok()?;
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&real)
        .ok()?
        .take(MAX_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.contains(&0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// `file` relative to `root`, made only of plain names (no `..`).
fn relative_to(file: &Path, root: &Path) -> Option<PathBuf> {
    let rel = if root.as_os_str().is_empty() || root == Path::new(".") {
        file.strip_prefix(".").unwrap_or(file)
    } else {
        file.strip_prefix(root).ok()?
    };
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| rel.to_path_buf())
}

/// A line as it can be shown: control characters and bidirectional
/// overrides (which could move the cursor or reorder what is read) become
/// `�`, one character each, so columns still count the same.
fn clean(line: &str) -> String {
    line.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if (c.is_control() && c != '\t') || bidi {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("content/a.example")).unwrap();
        dir
    }

    #[test]
    fn a_frame_shows_the_lines_around_the_error_and_marks_the_column() {
        let dir = workspace();
        let file = dir.path().join("content/a.example/p.md");
        std::fs::write(
            &file,
            "---\ntitle: A\nweight: one\ndraft: false\n---\nBody\n",
        )
        .unwrap();
        let loc = Location::file(&file).line(3).column(9);
        assert_eq!(
            frame(&loc, dir.path(), false).unwrap(),
            "  |\n1 | ---\n2 | title: A\n3 | weight: one\n  |         ^\n4 | draft: false\n5 | ---\n  |"
        );
        // Without a column, the line is underlined.
        let loc = Location::file(&file).line(1);
        assert_eq!(
            frame(&loc, dir.path(), false).unwrap(),
            "  |\n1 | ---\n  | ^^^\n2 | title: A\n3 | weight: one\n  |"
        );
        // In colour: ANSI escapes.
        assert!(frame(&loc, dir.path(), true).unwrap().contains("\u{1b}["));
    }

    #[test]
    fn no_frame_outside_the_sources_or_for_other_files() {
        let dir = workspace();
        let root = dir.path();
        let outside = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(outside.path(), "token: secret\n").unwrap();
        let link = root.join("content/a.example/link.md");
        std::os::unix::fs::symlink(outside.path(), &link).unwrap();
        std::fs::create_dir_all(root.join("data/platform")).unwrap();
        std::fs::write(root.join("data/platform/x.json"), "{\"a\": 1}\n").unwrap();
        std::fs::write(root.join("content/a.example/bin.md"), b"a\0b\n").unwrap();
        std::fs::write(root.join("content/a.example/ok.md"), "ok\n").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("sitegen.yaml")).unwrap();
        for file in [
            link,
            root.join("data/platform/x.json"),
            root.join("content/a.example/bin.md"),
            root.join("sitegen.yaml"),
            root.join("content/a.example/../../data/platform/x.json"),
            outside.path().to_path_buf(),
        ] {
            assert_eq!(
                frame(&Location::file(&file).line(1), root, false),
                None,
                "{}",
                file.display()
            );
        }
        let ok = root.join("content/a.example/ok.md");
        assert!(frame(&Location::file(&ok).line(1), root, false).is_some());
        assert_eq!(
            frame(&Location::file(&ok).line(3), root, false),
            None,
            "past the end"
        );
        assert_eq!(frame(&Location::file(&ok), root, false), None, "no line");
        // A folder named like a source is not read; neither is a file
        // larger than any hand-written source (it is not truncated either).
        let folder = root.join("content/a.example/folder.md");
        std::fs::create_dir(&folder).unwrap();
        assert_eq!(frame(&Location::file(&folder).line(1), root, false), None);
        let size = usize::try_from(MAX_BYTES).unwrap();
        let at_limit = root.join("content/a.example/at-limit.md");
        std::fs::write(&at_limit, format!("ok\n{}\n", "a".repeat(size - 4))).unwrap();
        assert!(frame(&Location::file(&at_limit).line(1), root, false).is_some());
        let over = root.join("content/a.example/over.md");
        std::fs::write(&over, format!("ok\n{}\n", "a".repeat(size - 3))).unwrap();
        assert_eq!(frame(&Location::file(&over).line(1), root, false), None);
    }

    #[test]
    fn control_characters_are_not_sent_to_the_terminal() {
        let dir = workspace();
        let file = dir.path().join("content/a.example/p.md");
        std::fs::write(&file, "a: \u{1b}[2J\u{202e}x\n").unwrap();
        let shown = frame(&Location::file(&file).line(1).column(4), dir.path(), false).unwrap();
        assert_eq!(shown, "  |\n1 | a: �[2J�x\n  |    ^");
    }
}
