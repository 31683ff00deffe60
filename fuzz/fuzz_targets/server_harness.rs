//! The input format and the driver of the `server` fuzz target, shared with the replay of its
//! corpus in the tests (`server::the_server_fuzz_corpus_is_answered_below_500`), so that
//! both read an input the same way.
//!
//! An input is one HTTP request to a fresh server on the demo model
//! (`facts/s12_what_if_consent.json`), sent through the router in process:
//!
//! - byte 0: the method (`GET`, `POST`, `PUT`, `DELETE`, `PATCH`, `HEAD`, `OPTIONS`);
//! - byte 1: who asks: nobody, a bearer token of the configuration (the DPO, the CRM, a
//!   viewer, a `dpo` role held by someone who is not the model's DPO), an unknown token, or a
//!   web session of one of the four (logged in through `/ui/login` first; `{csrf}` in the body
//!   is replaced by the session's CSRF token);
//! - byte 2: the content type (none, JSON, a form, plain text);
//! - byte 3: a route of the server to start the path with, or none;
//! - then the rest of the path (appended to the route: a query, an id) up to a NUL byte;
//! - then the body.
//!
//! What must hold for every input: no panic, no status of 500 or above, and a 400 of the API
//! carries a JSON error object (the place and the text a user needs).

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use sphere::server::{hash_token, App, Auth, Principal, Role};
use tower::ServiceExt;

/// The model every input is sent to, relative to the repository.
pub const MODEL: &str = "facts/s12_what_if_consent.json";

/// Tokens of the configuration: token, staff id, role.
pub const TOKENS: [(&str, &str, Role); 4] = [
    ("fuzz-dpo-token", "staff-markus-richter", Role::Dpo),
    ("fuzz-crm-token", "crm", Role::Crm),
    ("fuzz-viewer-token", "staff-jonas-weber", Role::Viewer),
    ("fuzz-fake-dpo-token", "staff-jonas-weber", Role::Dpo),
];

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("text/plain"),
];

/// Routes a path may start with (byte 3), so that the fuzzer reaches the handlers without
/// having to spell their paths. `F-38be7ac3588f551b` is the model's blocked finding (the
/// planned call).
const ROUTES: [&str; 24] = [
    "/healthz",
    "/metrics",
    "/v1/openapi.json",
    "/v1/gate",
    "/v1/findings",
    "/v1/findings/F-38be7ac3588f551b",
    "/v1/findings/F-38be7ac3588f551b/approve",
    "/v1/findings/F-38be7ac3588f551b/reject",
    "/v1/pending",
    "/v1/journal/verify",
    "/v1/model/changes",
    "/",
    "/ui",
    "/ui/style.css",
    "/ui/login",
    "/ui/logout",
    "/ui/lang/",
    "/ui/findings",
    "/ui/findings/F-38be7ac3588f551b",
    "/ui/findings/F-38be7ac3588f551b/approve",
    "/ui/findings/F-38be7ac3588f551b/reject",
    "/ui/activities/act-s4-call",
    "/ui/pending",
    "/ui/report",
];

/// Who sends the request.
#[derive(Clone, Copy, Debug)]
pub enum Who {
    Nobody,
    Bearer(&'static str),
    Session(&'static str),
}

/// One decoded input.
#[derive(Clone, Debug)]
pub struct Input {
    pub method: &'static str,
    pub who: Who,
    pub content_type: Option<&'static str>,
    pub path: String,
    pub body: Vec<u8>,
}

/// Reads an input (see the module comment). Never fails: missing bytes count as zero.
pub fn decode(data: &[u8]) -> Input {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0) as usize;
    let method = METHODS[byte(0) % METHODS.len()];
    let who = match byte(1) % 10 {
        0 => Who::Nobody,
        n @ 1..=4 => Who::Bearer(TOKENS[n - 1].0),
        n @ 5..=8 => Who::Session(TOKENS[n - 5].0),
        _ => Who::Bearer("not-a-token-of-the-configuration"),
    };
    let content_type = CONTENT_TYPES[byte(2) % CONTENT_TYPES.len()];
    let route = byte(3) % (ROUTES.len() + 1);
    let rest = data.get(4..).unwrap_or(&[]);
    let (tail, body) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], rest[at + 1..].to_vec()),
        None => (rest, Vec::new()),
    };
    let tail = String::from_utf8_lossy(tail);
    let path = match ROUTES.get(route) {
        Some(r) => format!("{r}{tail}"),
        None if tail.starts_with('/') => tail.into_owned(),
        None => format!("/{tail}"),
    };
    Input {
        method,
        who,
        content_type,
        path,
        body,
    }
}

/// The configuration's tokens, stored as hashes.
pub fn auth() -> Auth {
    let mut a = Auth::default();
    for (token, staff, role) in TOKENS {
        a.insert(
            &hash_token(token),
            Principal {
                staff: staff.into(),
                roles: vec![role],
            },
        );
    }
    a
}

/// Sends `input` to `app`. `Ok` with the status and body, or `Err` with what broke a rule;
/// `Ok(None)` when the path is not a URI at all (the HTTP layer refuses it before the router).
pub async fn drive(app: &Arc<App>, input: &Input) -> Result<Option<(u16, Vec<u8>)>, String> {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut body = input.body.clone();
    match input.who {
        Who::Nobody => {}
        Who::Bearer(token) => headers.push(("authorization".into(), format!("Bearer {token}"))),
        Who::Session(token) => {
            let (cookie, csrf) = login(app, token).await?;
            headers.push(("cookie".into(), cookie));
            body = replace(&body, b"{csrf}", csrf.as_bytes());
        }
    }
    if let Some(ct) = input.content_type {
        headers.push(("content-type".into(), ct.into()));
    }
    let Some((status, bytes)) = send(app, input.method, &input.path, &headers, body).await? else {
        return Ok(None);
    };
    if status >= 500 {
        return Err(format!(
            "{} {}: status {status}: {}",
            input.method,
            input.path,
            String::from_utf8_lossy(&bytes)
        ));
    }
    if status == 400 && input.path.starts_with("/v1/") {
        let json: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
        if !json.as_ref().is_some_and(|v| v["error"].is_object()) {
            return Err(format!(
                "{} {}: a 400 without a JSON error object: {}",
                input.method,
                input.path,
                String::from_utf8_lossy(&bytes)
            ));
        }
    }
    Ok(Some((status, bytes)))
}

async fn send(
    app: &Arc<App>,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Result<Option<(u16, Vec<u8>)>, String> {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let Ok(req) = req.body(Body::from(body)) else {
        return Ok(None);
    };
    let resp = app
        .router()
        .oneshot(req)
        .await
        .map_err(|e| format!("the router failed: {e:?}"))?;
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20)
        .await
        .map_err(|e| format!("{method} {path}: the body cannot be read: {e}"))?;
    Ok(Some((status, bytes.to_vec())))
}

/// Logs in through the web view: the session cookie and the CSRF token of its pages.
async fn login(app: &Arc<App>, token: &str) -> Result<(String, String), String> {
    let form = [(
        "content-type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )];
    let req = Request::builder()
        .method("POST")
        .uri("/ui/login")
        .header(form[0].0.as_str(), form[0].1.as_str())
        .body(Body::from(format!("token={token}&lang=en")))
        .map_err(|e| e.to_string())?;
    let resp = app
        .router()
        .oneshot(req)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| format!("the login with {token} set no cookie"))?
        .to_string();
    let headers = [("cookie".to_string(), cookie.clone())];
    let (_, page) = send(app, "GET", "/ui/findings", &headers, Vec::new())
        .await?
        .ok_or("the findings page is not a URI")?;
    let page = String::from_utf8_lossy(&page);
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .ok_or("no CSRF token on the findings page")?
        .to_string();
    Ok((cookie, csrf))
}

fn replace(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    out
}
