//! Events from the platform: `POST /_sitegen/events`, signed the way Stripe
//! and GitHub sign webhooks. The body is JSON
//! `{"id", "tenant": "org:cocotte", "type": "member.updated", "entity": "<record id>"}`;
//! `Sitegen-Timestamp` is the sending time in unix seconds and
//! `Sitegen-Signature` is `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`
//! under the shared secret. A timestamp more than `TOLERANCE` away from
//! now is refused, so a captured request cannot be replayed later; within
//! that window an `id` seen before is a repeat (`Seen`).

use std::collections::{HashMap, VecDeque};

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// How far a timestamp may be from now, either way (seconds).
pub const TOLERANCE: i64 = 300;
/// Largest event body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// One platform event, as its body says.
/// Fields the platform may add later are ignored.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    /// `org:<slug>` or `person:<slug>`.
    pub tenant: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub entity: Option<String>,
}

/// Why a request was refused (the daemon answers 401 or 400 and does nothing).
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// No or malformed timestamp or signature, or a signature that does not match.
    Signature,
    /// The timestamp is more than `TOLERANCE` seconds from now.
    Stale,
    /// Signed, but not an event (400).
    Body(String),
}

/// Checks the signature and the timestamp, then reads the event.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<Event, Refused> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(Refused::Signature);
    };
    let given = signature
        .strip_prefix("sha256=")
        .and_then(hex_decode)
        .ok_or(Refused::Signature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    // Constant-time comparison.
    mac.verify_slice(&given).map_err(|_| Refused::Signature)?;
    let sent: i64 = timestamp.parse().map_err(|_| Refused::Signature)?;
    if (now - sent).abs() > TOLERANCE {
        return Err(Refused::Stale);
    }
    let event: Event =
        serde_json::from_slice(body).map_err(|e| Refused::Body(format!("not an event: {e}")))?;
    if event.id.is_empty() || event.id.len() > 200 {
        return Err(Refused::Body("id must be 1 to 200 characters".into()));
    }
    // Logged: short and printable, so an event cannot forge log lines.
    let printable = |s: &str| s.len() <= 100 && !s.chars().any(char::is_control);
    if !printable(&event.kind) || !event.entity.as_deref().is_none_or(printable) {
        return Err(Refused::Body(
            "type and entity must be printable, 100 characters at most".into(),
        ));
    }
    Ok(event)
}

/// The signature header value for `body` sent at `timestamp` (for senders and tests).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// How many ids `Seen` keeps at most: beyond, events are refused (503)
/// until old ones leave the window.
pub const MAX_SEEN: usize = 100_000;

/// Event ids seen within the replay window (twice `TOLERANCE`: an older
/// request is refused by its timestamp anyway).
#[derive(Default)]
pub struct Seen {
    at: HashMap<String, i64>,
    order: VecDeque<(i64, String)>,
}

impl Seen {
    /// Records `id` at `now`; false if it was seen before (a repeat), or if
    /// the set is full (`is_full` tells which).
    pub fn first_time(&mut self, id: &str, now: i64) -> bool {
        while let Some((t, _)) = self.order.front() {
            if now - t <= 2 * TOLERANCE {
                break;
            }
            let (_, old) = self.order.pop_front().expect("front");
            self.at.remove(&old);
        }
        if self.at.contains_key(id) {
            return false;
        }
        if self.at.len() >= MAX_SEEN {
            return false;
        }
        self.at.insert(id.to_string(), now);
        self.order.push_back((now, id.to_string()));
        true
    }
}

impl Seen {
    pub fn is_full(&self) -> bool {
        self.at.len() >= MAX_SEEN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        br#"{"id":"ev_1","tenant":"org:cocotte","type":"member.updated","entity":"prof_c1"}"#;

    #[test]
    fn a_signed_fresh_event_is_read_and_anything_else_refused() {
        let now = 1_800_000_000;
        let sig = sign(b"s3cret", now, BODY);
        let ok = verify(
            b"s3cret",
            Some(&now.to_string()),
            Some(&sig),
            BODY,
            now + 10,
        )
        .unwrap();
        assert_eq!(ok.tenant, "org:cocotte");
        assert_eq!(ok.entity.as_deref(), Some("prof_c1"));
        let ts = now.to_string();
        let check = |secret: &[u8], ts: Option<&str>, sig: Option<&str>, body: &[u8], at: i64| {
            verify(secret, ts, sig, body, at)
        };
        assert_eq!(
            check(b"other", Some(&ts), Some(&sig), BODY, now),
            Err(Refused::Signature)
        );
        assert_eq!(
            check(b"s3cret", Some(&ts), None, BODY, now),
            Err(Refused::Signature)
        );
        assert_eq!(
            check(b"s3cret", None, Some(&sig), BODY, now),
            Err(Refused::Signature)
        );
        let tampered = BODY
            .to_vec()
            .into_iter()
            .map(|b| if b == b'1' { b'2' } else { b })
            .collect::<Vec<_>>();
        assert_eq!(
            check(b"s3cret", Some(&ts), Some(&sig), &tampered, now),
            Err(Refused::Signature)
        );
        // The timestamp is signed: moving it breaks the signature.
        assert_eq!(
            check(
                b"s3cret",
                Some(&(now + 1).to_string()),
                Some(&sig),
                BODY,
                now
            ),
            Err(Refused::Signature)
        );
        assert_eq!(
            check(b"s3cret", Some(&ts), Some("sha256=zz"), BODY, now),
            Err(Refused::Signature)
        );
        assert_eq!(
            check(b"s3cret", Some(&ts), Some(&sig[7..]), BODY, now),
            Err(Refused::Signature)
        );
        assert_eq!(
            check(b"s3cret", Some(&ts), Some(&sig), BODY, now + 301),
            Err(Refused::Stale)
        );
        assert_eq!(
            check(b"s3cret", Some(&ts), Some(&sig), BODY, now - 301),
            Err(Refused::Stale)
        );
        assert!(check(b"s3cret", Some(&ts), Some(&sig), BODY, now + 300).is_ok());
        for (body, why) in [
            (
                r#"{"id":"","tenant":"org:a","type":"t"}"#.to_string(),
                "empty id",
            ),
            (
                format!(
                    r#"{{"id":"{}","tenant":"org:a","type":"t"}}"#,
                    "x".repeat(201)
                ),
                "long id",
            ),
            (
                r#"{"id":"a","tenant":"org:a","type":"t\nedge: forged"}"#.to_string(),
                "control character",
            ),
            (
                format!(
                    r#"{{"id":"a","tenant":"org:a","type":"t","entity":"{}"}}"#,
                    "e".repeat(101)
                ),
                "long entity",
            ),
        ] {
            let sig = sign(b"s3cret", now, body.as_bytes());
            assert!(
                matches!(
                    check(b"s3cret", Some(&ts), Some(&sig), body.as_bytes(), now),
                    Err(Refused::Body(_))
                ),
                "{why}"
            );
        }
        let longest = format!(
            r#"{{"id":"{}","tenant":"org:a","type":"t","entity":"{}","added":1}}"#,
            "x".repeat(200),
            "e".repeat(100)
        );
        let sig = sign(b"s3cret", now, longest.as_bytes());
        assert!(
            check(b"s3cret", Some(&ts), Some(&sig), longest.as_bytes(), now).is_ok(),
            "limits are inclusive; new fields are ignored"
        );
        let junk = b"{\"id\":\"x\"}";
        let junk_sig = sign(b"s3cret", now, junk);
        assert!(matches!(
            check(b"s3cret", Some(&ts), Some(&junk_sig), junk, now),
            Err(Refused::Body(_))
        ));
    }

    #[test]
    fn an_id_is_new_once_within_the_window() {
        let mut seen = Seen::default();
        assert!(seen.first_time("a", 0));
        assert!(!seen.first_time("a", 100));
        assert!(seen.first_time("b", 100));
        assert!(!seen.first_time("a", 600));
        // Forgotten after the window, when its timestamp is refused anyway.
        assert!(seen.first_time("a", 601));
        // Bounded: a flood of fresh ids fills it, and then nothing is new
        // until the window moves on.
        for i in 0..MAX_SEEN {
            seen.first_time(&format!("f{i}"), 700);
        }
        assert!(seen.is_full());
        assert!(!seen.first_time("new", 700));
        assert!(seen.first_time("new", 700 + 601));
    }
}
