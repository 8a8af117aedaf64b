//! The one error type of sitegen: a kind, a message, an optional location
//! (file, line, column, key) and an optional hint saying what to do.
//!
//! Display renders `file:line:col: key: message` followed by `hint: ...`, so
//! every error a user sees points at the place to fix. Library code returns
//! these; only `main.rs` prints them.

use std::fmt;
use std::path::{Path, PathBuf};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely: lets callers and tests branch without parsing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    Io,
    /// A YAML config file (sitegen.yaml, site.yaml, theme.yaml) is invalid.
    Config,
    /// A content file (front matter or markdown) is invalid.
    Content,
    /// A template failed to load, parse or render.
    Template,
    /// Platform data is missing, malformed or violates a tenancy rule.
    Platform,
    /// The pages of a site conflict (two pages on one URL, a path escaping the site).
    Build,
    /// Shipping a release failed (rsync, the target, the nginx check).
    Deploy,
}

/// Where an error happened. Every field is optional except the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted key path inside a YAML document, e.g. `brand.palette.primary`.
    pub key: Option<String>,
}

impl Location {
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Location {
            file: file.into(),
            line: None,
            column: None,
            key: None,
        }
    }

    pub fn line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub fn column(mut self, column: usize) -> Self {
        self.column = Some(column);
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        if !key.is_empty() && key != "." {
            self.key = Some(key);
        }
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        Ok(())
    }
}

/// The sitegen error. Boxed so `Result<T>` stays one pointer wide; fields are
/// reached through `Deref`.
#[derive(Debug)]
pub struct Error(Box<ErrorInner>);

#[derive(Debug)]
pub struct ErrorInner {
    pub kind: ErrorKind,
    pub location: Option<Location>,
    pub message: String,
    pub hint: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(ErrorInner {
            kind,
            location: None,
            message: message.into(),
            hint: None,
            source: None,
        }))
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    pub fn content(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Content, message)
    }

    pub fn build(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Build, message)
    }

    pub fn deploy(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Deploy, message)
    }

    pub fn platform(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Platform, message)
    }

    pub fn template(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Template, message)
    }

    /// An I/O error on `path`; the path is the location.
    pub fn io(path: &Path, action: &str, err: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, format!("cannot {action}: {err}"))
            .at(Location::file(path))
            .with_source(err)
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Prefixes the message with context, keeping location and hint.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl std::ops::Deref for Error {
    type Target = ErrorInner;
    fn deref(&self) -> &ErrorInner {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut ErrorInner {
        &mut self.0
    }
}

impl fmt::Display for Error {
    /// `file:line:col: key: message` and the hint, with every registered
    /// secret (the API token) masked, whatever put it there.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        if let Some(loc) = &self.location {
            text.push_str(&format!("{loc}: "));
        }
        text.push_str(&self.message);
        if let Some(hint) = &self.hint {
            text.push_str(&format!("\n  hint: {hint}"));
        }
        f.write_str(&crate::redact::redact(&text))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}
