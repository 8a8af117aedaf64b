//! Secrets that must never be shown: the platform API tokens in use.
//!
//! The platform client registers each token it reads from the environment;
//! every error (`Error`'s Display) and every log line (`Stderr`, the writer
//! `main.rs` gives the logger) passes through `redact`, so a token that a
//! server echoes back, or that ends up in any message by any path, is printed
//! as `[redacted]`. This is the last line of defence: the client also keeps
//! response bodies out of its messages.

use std::borrow::Cow;
use std::io::Write;
use std::sync::RwLock;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// What a secret is replaced with.
pub const MASK: &str = "[redacted]";

/// Registers a secret for redaction. Very short values are ignored: they
/// would mask ordinary words, and no real token is that short.
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.len() < 8 {
        return;
    }
    let mut all = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !all.iter().any(|s| s == secret) {
        all.push(secret.to_string());
        // Longest first, so a secret that contains another is masked whole.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `text` with every registered secret masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    let all = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    if !all.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for s in all.iter() {
        out = out.replace(s.as_str(), MASK);
    }
    Cow::Owned(out)
}

/// Standard error, redacted: one buffer per log event, masked and written
/// when the event is done.
#[derive(Default)]
pub struct Stderr(Vec<u8>);

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.0).into_owned();
        self.0.clear();
        std::io::stderr().write_all(redact(&text).as_bytes())
    }
}

impl Drop for Stderr {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_masked_everywhere_in_a_text() {
        register("tok_unit_test_0123456789");
        register("short");
        assert_eq!(
            redact("a tok_unit_test_0123456789 b tok_unit_test_0123456789"),
            "a [redacted] b [redacted]"
        );
        assert_eq!(redact("short words stay"), "short words stay");
    }
}
