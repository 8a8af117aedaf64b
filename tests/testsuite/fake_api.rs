//! A fake platform API: real axum on 127.0.0.1:0 in its own thread, serving
//! the demo snapshots (private canaries included) the way the contract in
//! docs/platform-api.md says: bearer auth, cursor pagination, ETags, gzip.
//! Tests script faults per path and read the request log.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, StatusCode};

pub const TOKEN: &str = "tok_live_9c1f3e77d2a84b05_secret";

/// A scripted answer for the next request to a path.
#[derive(Clone, Debug)]
pub enum Fault {
    Status(u16),
    /// 429 with `Retry-After: <secs>`.
    TooMany(u64),
    /// Wait this long before answering normally.
    Delay(Duration),
    Malformed,
    /// 302 to another host.
    Redirect,
    /// `status` with a body that echoes the request's Authorization header,
    /// as plain text or as the platform's JSON error message.
    EchoAuth {
        status: u16,
        json: bool,
    },
    /// A 200 with this body, gzip-encoded when `gzip` (a bomb when it is
    /// mostly zeros).
    Body {
        bytes: Vec<u8>,
        gzip: bool,
    },
    /// An empty page whose `next` is a cursor never seen before, after a pause.
    EndlessPages(Duration),
}

#[derive(Clone, Debug)]
pub struct Logged {
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub if_none_match: Option<String>,
    pub accept_encoding: Option<String>,
    pub status: u16,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    /// tenant slug → endpoint (tenant, profiles, tours) → JSON
    data: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    faults: BTreeMap<String, VecDeque<Fault>>,
    /// Faults that repeat for every request to a path.
    always: BTreeMap<String, Fault>,
    log: Vec<Logged>,
    page_size: usize,
    /// Media path (`/v1/public/media/<slug>/<file>`) → bytes.
    media: BTreeMap<String, Vec<u8>>,
}

pub struct FakeApi {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl FakeApi {
    /// Serves every tenant snapshot found under `data_dir` (data/platform/).
    pub fn start(data_dir: &Path) -> FakeApi {
        let mut state = State {
            page_size: 2,
            ..Default::default()
        };
        for entry in std::fs::read_dir(data_dir).unwrap() {
            let dir = entry.unwrap().path();
            let slug = dir.file_name().unwrap().to_string_lossy().to_string();
            let mut endpoints: BTreeMap<String, serde_json::Value> = BTreeMap::new();
            for name in ["tenant", "profiles", "tours"] {
                let file = dir.join(format!("{name}.json"));
                if let Ok(text) = std::fs::read_to_string(&file) {
                    endpoints.insert(name.to_string(), serde_json::from_str(&text).unwrap());
                }
            }
            // Snapshot media (`media/x.jpg`) is served from the API's origin.
            if let Some(items) = endpoints
                .get_mut("profiles")
                .and_then(|p| p["items"].as_array_mut())
            {
                for item in items {
                    if let Some(rel) = item["avatar_url"].as_str().map(str::to_string) {
                        let path = format!(
                            "/v1/public/media/{slug}/{}",
                            rel.rsplit('/').next().unwrap()
                        );
                        state
                            .media
                            .insert(path.clone(), std::fs::read(dir.join(&rel)).unwrap());
                        item["avatar_url"] = serde_json::Value::String(path);
                    }
                }
            }
            state.data.insert(slug, endpoints);
        }
        let state = Arc::new(Mutex::new(state));
        let shared = state.clone();
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let state = shared.clone();
            async move { handle(state, req).await }
        });
        let url = crate::harness::spawn_http(app);
        FakeApi { url, state }
    }

    /// The next request to `path` gets `fault` (queued in order).
    pub fn fault(&self, path: &str, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .faults
            .entry(path.to_string())
            .or_default()
            .push_back(fault);
    }

    /// Every request to `path` gets `fault` until cleared.
    pub fn always(&self, path: &str, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .always
            .insert(path.to_string(), fault);
    }

    /// Changes a tenant's data: `edit(slug, endpoint, |json| ...)`.
    pub fn edit(&self, slug: &str, endpoint: &str, f: impl FnOnce(&mut serde_json::Value)) {
        let mut s = self.state.lock().unwrap();
        f(s.data.get_mut(slug).unwrap().get_mut(endpoint).unwrap());
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }

    /// Requests to `path`, in order.
    pub fn requests(&self, path: &str) -> Vec<Logged> {
        self.log().into_iter().filter(|l| l.path == path).collect()
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn handle(state: Arc<Mutex<State>>, req: Request<Body>) -> Response<Body> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let headers = req.headers().clone();
    let fault = {
        let mut s = state.lock().unwrap();
        s.faults
            .get_mut(&path)
            .and_then(VecDeque::pop_front)
            .or_else(|| s.always.get(&path).cloned())
    };
    if let Some(Fault::Delay(d) | Fault::EndlessPages(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let resp = respond(&state, &path, &query, &headers, fault);
    state.lock().unwrap().log.push(Logged {
        path,
        query,
        authorization: header(&headers, "authorization"),
        if_none_match: header(&headers, "if-none-match"),
        accept_encoding: header(&headers, "accept-encoding"),
        status: resp.status().as_u16(),
        at: Instant::now(),
    });
    resp
}

fn error(status: u16, code: &str, message: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(
            serde_json::json!({"error": {"code": code, "message": message}}).to_string(),
        ))
        .unwrap()
}

fn respond(
    state: &Mutex<State>,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    fault: Option<Fault>,
) -> Response<Body> {
    match fault {
        Some(Fault::Status(code)) => return error(code, "scripted", "scripted failure"),
        Some(Fault::TooMany(secs)) => {
            let mut r = error(429, "rate_limited", "slow down");
            r.headers_mut()
                .insert("retry-after", secs.to_string().parse().unwrap());
            return r;
        }
        Some(Fault::Malformed) => {
            return Response::builder()
                .status(200)
                .body(Body::from("{\"items\": [ {\"id\": "))
                .unwrap();
        }
        Some(Fault::EchoAuth { status, json }) => {
            let auth = header(headers, "authorization").unwrap_or_default();
            if json {
                return error(status, "echo", &format!("you sent Authorization: {auth}"));
            }
            return Response::builder()
                .status(status)
                .header("content-type", "text/plain")
                .body(Body::from(format!("GET {path}\nAuthorization: {auth}\n")))
                .unwrap();
        }
        Some(Fault::Body { bytes, gzip }) => {
            let builder = Response::builder()
                .status(200)
                .header("content-type", "application/json");
            return if gzip {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(&bytes).unwrap();
                builder
                    .header("content-encoding", "gzip")
                    .body(Body::from(enc.finish().unwrap()))
                    .unwrap()
            } else {
                builder.body(Body::from(bytes)).unwrap()
            };
        }
        Some(Fault::EndlessPages(_)) => {
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::from(
                    serde_json::json!({"items": [], "next": format!("fresh-{n}")}).to_string(),
                ))
                .unwrap();
        }
        Some(Fault::Redirect) => {
            return Response::builder()
                .status(302)
                .header("location", "http://127.0.0.2:9/steal")
                .body(Body::empty())
                .unwrap();
        }
        _ => {}
    }
    if header(headers, "authorization").as_deref() != Some(format!("Bearer {TOKEN}").as_str()) {
        return error(401, "unauthorized", "missing or invalid bearer token");
    }
    if path.starts_with("/v1/public/media/") {
        return match state.lock().unwrap().media.get(path) {
            Some(bytes) => Response::builder()
                .status(200)
                .header("content-type", "image/jpeg")
                .body(Body::from(bytes.clone()))
                .unwrap(),
            None => error(404, "not_found", "no such media"),
        };
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (slug, endpoint) = match parts.as_slice() {
        ["v1", "public", "tenants", slug] => (*slug, "tenant"),
        ["v1", "public", "tenants", slug, ep @ ("profiles" | "tours")] => (*slug, *ep),
        _ => return error(404, "not_found", "no such endpoint"),
    };
    let body = {
        let s = state.lock().unwrap();
        if !s.data.contains_key(slug)
            || (endpoint == "tenant" && !s.data[slug].contains_key("tenant"))
        {
            return error(404, "not_found", "no such tenant");
        }
        let empty = serde_json::json!({"items": [], "next": null});
        let json = s.data[slug].get(endpoint).unwrap_or(&empty);
        if endpoint == "tenant" {
            json.to_string()
        } else {
            // Cursor pagination: `cursor` is the offset of the next page.
            let items = json["items"].as_array().cloned().unwrap_or_default();
            let offset: usize = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("cursor="))
                .map(|c| c.trim_start_matches("off-").parse().unwrap())
                .unwrap_or(0);
            let end = (offset + s.page_size).min(items.len());
            let next = (end < items.len()).then(|| format!("off-{end}"));
            serde_json::json!({"items": items[offset..end], "next": next}).to_string()
        }
    };
    let etag = format!("\"{}\"", sitegen::digest::sha256_hex(body.as_bytes()));
    if header(headers, "if-none-match").as_deref() == Some(etag.as_str()) {
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header("etag", etag)
            .body(Body::empty())
            .unwrap();
    }
    let builder = Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("etag", etag);
    if header(headers, "accept-encoding").is_some_and(|a| a.contains("gzip")) {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(body.as_bytes()).unwrap();
        builder
            .header("content-encoding", "gzip")
            .body(Body::from(enc.finish().unwrap()))
            .unwrap()
    } else {
        builder.body(Body::from(body)).unwrap()
    }
}
