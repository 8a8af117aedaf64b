//! The platform API client: blocking reqwest over rustls, bounded retries
//! with exponential backoff and jitter, ETag revalidation, bodies capped
//! after decompression. The only code that sends the API token, and only to
//! the configured base URL: redirects are never followed, the token is
//! registered with `crate::redact` so no message or log line can show it,
//! and response bodies never appear in messages (only the platform's own
//! `{"error": {"code", "message"}}`).

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use reqwest::blocking::Client as Http;
use reqwest::header::{ACCEPT, ETAG, IF_NONE_MATCH, RETRY_AFTER};
use reqwest::StatusCode;

/// How to reach the API and how hard to try.
#[derive(Clone)]
pub struct ApiConfig {
    /// `https://api.example.com`, no trailing slash.
    pub base: String,
    pub token: String,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff; doubles each retry, plus up to the same again as jitter.
    pub backoff: Duration,
    /// Longest Retry-After we honour; longer asks are capped.
    pub max_retry_after: Duration,
    /// Largest response body accepted, after decompression.
    pub max_body_bytes: u64,
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("base", &self.base)
            .field("token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// A successful response.
#[derive(Debug)]
pub enum Fetched {
    Fresh {
        body: String,
        etag: Option<String>,
    },
    /// 304: the cached copy with the sent ETag is current.
    NotModified,
}

/// Why a request failed.
#[derive(Debug)]
pub enum ApiError {
    /// Timeouts, connection failures, 5xx or 429 after every retry: a cached
    /// copy may stand in with `--stale-ok`.
    Unavailable(String),
    /// The API answered and said no (401, 403, 404, other 4xx, a redirect).
    Rejected(String),
}

pub struct Client {
    http: Http,
    cfg: ApiConfig,
}

impl Client {
    pub fn new(cfg: ApiConfig) -> crate::error::Result<Client> {
        crate::redact::register(&cfg.token);
        let http = Http::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("sitegen/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                crate::error::Error::platform(format!("cannot set up the HTTP client: {e}"))
                    .with_source(e)
            })?;
        Ok(Client { http, cfg })
    }

    pub fn base(&self) -> &str {
        &self.cfg.base
    }

    /// Removes the token from any text that might be shown or stored.
    pub fn redact(&self, text: &str) -> String {
        if self.cfg.token.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.cfg.token, "[redacted]")
        }
    }

    /// GET `path` (starting with `/`), revalidating with `etag` when given.
    pub fn get(&self, path: &str, etag: Option<&str>) -> Result<Fetched, ApiError> {
        let url = format!("{}{path}", self.cfg.base);
        let attempts = self.cfg.retries + 1;
        let mut last = String::new();
        for attempt in 0..attempts {
            let mut req = self
                .http
                .get(&url)
                .header(ACCEPT, "application/json")
                .bearer_auth(&self.cfg.token);
            if let Some(tag) = etag {
                req = req.header(IF_NONE_MATCH, tag);
            }
            let mut wait = None;
            match req.send() {
                Err(e) => last = describe(&e),
                Ok(resp) => {
                    let status = resp.status();
                    match status {
                        StatusCode::OK => {
                            let tag = resp
                                .headers()
                                .get(ETAG)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string);
                            match read_capped(resp, self.cfg.max_body_bytes) {
                                Ok(bytes) => match String::from_utf8(bytes) {
                                    Ok(body) => return Ok(Fetched::Fresh { body, etag: tag }),
                                    Err(_) => {
                                        return Err(ApiError::Rejected(format!(
                                            "GET {url}: the response body is not UTF-8 text"
                                        )))
                                    }
                                },
                                Err(BodyError::TooLarge) => {
                                    return Err(ApiError::Rejected(format!(
                                        "GET {url}: the response body is over the {} limit (platform.max_body_bytes)",
                                        crate::text::bytes_text(self.cfg.max_body_bytes)
                                    )))
                                }
                                Err(BodyError::Read(e)) => last = e,
                            }
                        }
                        StatusCode::NOT_MODIFIED if etag.is_some() => {
                            return Ok(Fetched::NotModified)
                        }
                        StatusCode::TOO_MANY_REQUESTS => {
                            wait = retry_after(&resp).map(|w| w.min(self.cfg.max_retry_after));
                            last = "HTTP 429 Too Many Requests".into();
                        }
                        s if s.is_server_error() => {
                            last = format!("HTTP {}{}", s.as_u16(), error_detail(resp));
                        }
                        s if s.is_redirection() => {
                            return Err(ApiError::Rejected(self.redact(&format!(
                                "GET {url}: HTTP {} redirect; redirects are not followed so the token stays with the API host",
                                s.as_u16()
                            ))));
                        }
                        s => {
                            let detail = error_detail(resp);
                            return Err(ApiError::Rejected(
                                self.redact(&format!("GET {url}: HTTP {}{detail}", s.as_u16())),
                            ));
                        }
                    }
                }
            }
            if attempt + 1 < attempts {
                let backoff = self.cfg.backoff * 2u32.saturating_pow(attempt);
                let pause = wait.unwrap_or_else(|| backoff + jitter(backoff));
                tracing::info!(
                    "GET {url}: {}; retrying in {} ms",
                    self.redact(&last),
                    pause.as_millis()
                );
                std::thread::sleep(pause);
            }
        }
        Err(ApiError::Unavailable(self.redact(&format!(
            "GET {url}: {last} (gave up after {attempts} attempts)"
        ))))
    }
}

impl Client {
    /// The absolute URL of a media reference (an avatar) if it is on the API's
    /// own origin and under the tenant's own media path,
    /// `<base path>/v1/public/media/<tenant slug>/`; anything else is refused,
    /// so the token never leaves the API host, a profile cannot make the build
    /// fetch arbitrary URLs, and a record cannot borrow another tenant's media.
    /// Queries, fragments, encoded or dot segments are refused too: what is
    /// checked is exactly what is requested.
    pub fn media_url(&self, reference: &str, tenant_slug: &str) -> Option<String> {
        let origin = origin(&self.cfg.base)?;
        let path = if reference.starts_with('/') && !reference.starts_with("//") {
            reference
        } else {
            reference.strip_prefix(origin)?
        };
        let base_path = &self.cfg.base[origin.len()..];
        let rest = path.strip_prefix(&format!("{base_path}/v1/public/media/{tenant_slug}/"))?;
        let plain = |seg: &str| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
        };
        rest.split('/')
            .all(plain)
            .then(|| format!("{origin}{path}"))
    }

    /// Downloads a media file of at most `max_bytes`, with the usual retries.
    pub fn get_media(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>, ApiError> {
        let attempts = self.cfg.retries + 1;
        let mut last = String::new();
        for attempt in 0..attempts {
            match self.http.get(url).bearer_auth(&self.cfg.token).send() {
                Err(e) => last = describe(&e),
                Ok(resp) if resp.status() == StatusCode::OK => {
                    if resp.content_length().is_some_and(|n| n > max_bytes) {
                        return Err(ApiError::Rejected(format!(
                            "GET {url}: {} bytes is over the {max_bytes}-byte media limit (platform.max_media_bytes)",
                            resp.content_length().unwrap_or(0)
                        )));
                    }
                    match read_capped(resp, max_bytes) {
                        Err(BodyError::TooLarge) => {
                            return Err(ApiError::Rejected(format!(
                                "GET {url}: the body is over the {max_bytes}-byte media limit (platform.max_media_bytes)"
                            )))
                        }
                        Ok(body) => return Ok(body),
                        Err(BodyError::Read(e)) => last = e,
                    }
                }
                Ok(resp)
                    if resp.status().is_server_error()
                        || resp.status() == StatusCode::TOO_MANY_REQUESTS =>
                {
                    last = format!("HTTP {}", resp.status().as_u16());
                }
                Ok(resp) => {
                    return Err(ApiError::Rejected(
                        self.redact(&format!("GET {url}: HTTP {}", resp.status().as_u16())),
                    ))
                }
            }
            if attempt + 1 < attempts {
                let backoff = self.cfg.backoff * 2u32.saturating_pow(attempt);
                std::thread::sleep(backoff + jitter(backoff));
            }
        }
        Err(ApiError::Unavailable(self.redact(&format!(
            "GET {url}: {last} (gave up after {attempts} attempts)"
        ))))
    }
}

/// `https://host:port/api` → `https://host:port`.
fn origin(base: &str) -> Option<&str> {
    let after_scheme = base.find("://")? + 3;
    Some(match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    })
}

fn describe(e: &reqwest::Error) -> String {
    // reqwest's own Display repeats the URL; the caller names it once, so
    // only the innermost cause is shown.
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        format!("cannot connect ({})", root_cause(e))
    } else if e.is_decode() || e.is_body() {
        format!("the response body could not be read ({})", root_cause(e))
    } else {
        root_cause(e)
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// `: <code>: <message>` from the platform's error body
/// `{"error": {"code", "message"}}`. Any other body is not shown at all: a
/// server that echoes the request (headers included) must not put the token
/// or anything else it was sent into a message.
fn error_detail(resp: reqwest::blocking::Response) -> String {
    #[derive(serde::Deserialize)]
    struct Body {
        error: Detail,
    }
    #[derive(serde::Deserialize)]
    struct Detail {
        #[serde(default)]
        code: Option<String>,
        message: String,
    }
    let Ok(body) = read_capped(resp, 64 * 1024) else {
        return String::new();
    };
    let Ok(b) = serde_json::from_slice::<Body>(&body) else {
        return String::new();
    };
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>()
    };
    match b.error.code {
        Some(code) => format!(": {}: {}", clean(&code), clean(&b.error.message)),
        None => format!(": {}", clean(&b.error.message)),
    }
}

enum BodyError {
    TooLarge,
    Read(String),
}

/// Reads a body of at most `max` bytes after decompression: a larger body
/// (or a gzip bomb) is stopped at `max + 1` bytes, never buffered whole.
fn read_capped(resp: reqwest::blocking::Response, max: u64) -> Result<Vec<u8>, BodyError> {
    use std::io::Read;
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    match resp.take(max + 1).read_to_end(&mut body) {
        Ok(_) if body.len() as u64 > max => Err(BodyError::TooLarge),
        Ok(_) => Ok(body),
        Err(e) => Err(BodyError::Read(format!(
            "the response body could not be read ({})",
            root_cause(&e)
        ))),
    }
}

/// Retry-After in seconds (the HTTP-date form is treated as absent).
fn retry_after(resp: &reqwest::blocking::Response) -> Option<Duration> {
    let v = resp.headers().get(RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A random duration in [0, max): spreads retries of parallel builds apart.
fn jitter(max: Duration) -> Duration {
    let nanos = max.as_nanos() as u64;
    if nanos == 0 {
        return Duration::ZERO;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(nanos);
    Duration::from_nanos(h.finish() % nanos)
}
