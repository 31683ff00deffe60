//! `sphere serve`: the decision API in process (through the router) and over loopback (a real
//! listener and a real HTTP client on 127.0.0.1), on the demo company's planned phone call to
//! Karl Kaufmann without consent (`facts/s12_what_if_consent.json`), with a real SQLite
//! journal in a temporary folder.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{json, Value};
use sphere::journal::{Action, Config, Filter, Journal, Payload};
use sphere::server::{hash_token, App, Auth, Limits, Principal, Role, Settings, ROUTES};
use sphere::{Date, EvalOptions, KnowledgeBase, Model};
use tower::ServiceExt;

const MODEL: &str = "facts/s12_what_if_consent.json";
const CALL: &str = "act-s4-call";
const DPO: &str = "staff-markus-richter";
const MARKETING: &str = "staff-jonas-weber";

const DPO_TOKEN: &str = "dpo-token-7f3a";
const CRM_TOKEN: &str = "crm-token-19c2";
const MM_TOKEN: &str = "marketing-token-55d0";
/// A token with the role `dpo` held by someone who is not the model's DPO.
const FAKE_DPO_TOKEN: &str = "fake-dpo-token-0b1e";

fn auth() -> Auth {
    let mut a = Auth::default();
    for (token, staff, role) in [
        (DPO_TOKEN, DPO, Role::Dpo),
        (CRM_TOKEN, "crm", Role::Crm),
        (MM_TOKEN, MARKETING, Role::Viewer),
        (FAKE_DPO_TOKEN, MARKETING, Role::Dpo),
    ] {
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

fn kb() -> Arc<KnowledgeBase> {
    Arc::new(KnowledgeBase::shipped().expect("the shipped knowledge base"))
}

fn today() -> Date {
    Date::parse("2025-06-16").expect("a date")
}

fn model_text() -> String {
    std::fs::read_to_string(MODEL).expect("the fixture")
}

fn model() -> Model {
    Model::from_text(MODEL, &model_text(), today()).expect("a valid model")
}

fn settings(journal: &Path) -> Settings {
    Settings {
        journal: journal.to_path_buf(),
        auth: auth(),
        engine_version: "sphere test".into(),
        clock: Arc::new(|| "2025-06-16T09:00:00Z".parse::<Timestamp>().expect("a time")),
        limits: Limits::default(),
        eval_limits: sphere::Limits::NONE,
        webhook: None,
    }
}

fn start(journal: &Path) -> Arc<App> {
    App::start(kb(), model(), settings(journal))
        .expect("starts")
        .0
}

/// One request through the router, in process.
fn call(app: &Arc<App>, method: &str, uri: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(call_async(
        app,
        method,
        uri,
        token,
        body.as_bytes().to_vec(),
    ))
}

async fn call_async(
    app: &Arc<App>,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req.body(Body::from(body)).expect("a request");
    let resp = app.router().oneshot(req).await.expect("infallible");
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("a body");
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, v)
}

/// A running server on a free loopback port, stopped when dropped.
struct Loopback {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Loopback {
    fn start(app: Arc<App>) -> Loopback {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a loopback port");
                addr_tx
                    .send(listener.local_addr().expect("an address"))
                    .expect("the test waits");
                axum::serve(listener, app.router())
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .expect("serves");
            });
        });
        let addr = addr_rx.recv().expect("the server's address");
        Loopback {
            addr,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    /// One HTTP/1.1 request over a new connection: status, headers and body.
    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, String, String) {
        let mut s = TcpStream::connect(self.addr).expect("connects");
        let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .expect("sends");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("reads");
        let (head, body) = text.split_once("\r\n\r\n").expect("a response");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("a status");
        (status, head.to_string(), body.to_string())
    }

    /// One HTTP/1.1 request with the given headers (a cookie, a form's content type):
    /// status, head and body.
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String, String) {
        let mut s = TcpStream::connect(self.addr).expect("connects");
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .expect("sends");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("reads");
        let (head, body) = text.split_once("\r\n\r\n").expect("a response");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("a status");
        (status, head.to_string(), body.to_string())
    }

    fn json(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        let (status, _, body) = self.request(method, path, token, body);
        (status, serde_json::from_str(&body).expect("a JSON body"))
    }
}

/// Logs the DPO into the web view in `lang` (303 to the findings); the session cookie.
fn dpo_login(server: &Loopback, lang: &str) -> String {
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let (status, head, _) = server.send(
        "POST",
        "/ui/login",
        &[form],
        &format!("token={DPO_TOKEN}&lang={lang}"),
    );
    assert_eq!(status, 303, "{head}");
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(": ")?;
            k.eq_ignore_ascii_case("set-cookie")
                .then(|| v.split(';').next())?
        })
        .expect("a session cookie")
        .to_string()
}

impl Drop for Loopback {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn refusals(journal: &Path) -> Vec<(String, String, String)> {
    let j = Journal::open(journal, &Config::default()).expect("the journal");
    j.entries(&Filter {
        actions: vec![Action::Refusal],
        ..Filter::default()
    })
    .expect("entries")
    .into_iter()
    .filter_map(|e| match e.payload {
        Payload::Refusal(r) => Some((e.actor, r.attempted, r.code)),
        _ => None,
    })
    .collect()
}

fn without_head(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("journal_head");
    }
    v
}

#[test]
fn the_openapi_document_lists_exactly_the_routes_the_router_serves() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let app = start(&dir.path().join("j.db"));
    let (status, doc) = call(&app, "GET", "/v1/openapi.json", None, "");
    assert_eq!(status, 200);
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut routes: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    routes.sort();
    assert_eq!(documented, routes);
    // Every listed route is served with its method (not 404, not 405); another path is not.
    for (method, path) in &routes {
        let uri = path.replace("{id}", "F-0000000000000000");
        let (status, _) = call(&app, &method.to_uppercase(), &uri, Some(DPO_TOKEN), "{}");
        assert!(
            status != 404 && status != 405 || uri.starts_with("/v1/findings/F-"),
            "{method} {uri}: {status}"
        );
        let (wrong, _) = call(&app, "DELETE", &uri, Some(DPO_TOKEN), "");
        assert_eq!(wrong, 405, "DELETE {uri}");
    }
    let (status, v) = call(&app, "GET", "/v1/nothing", Some(DPO_TOKEN), "");
    assert_eq!(status, 404);
    assert!(v["error"]["hint"]
        .as_str()
        .expect("hint")
        .contains("openapi"));
}

#[test]
fn a_gate_over_loopback_answers_as_the_cli_gate_and_the_dpo_opens_it() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let journal = dir.path().join("server.db");
    let server = Loopback::start(start(&journal));
    let (status, head, body) = server.request(
        "POST",
        "/v1/gate",
        Some(CRM_TOKEN),
        &json!({ "activity": CALL }).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let served: Value = serde_json::from_str(&body).expect("JSON");

    let cli_journal = dir.path().join("cli.db");
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args([
            "gate",
            MODEL,
            CALL,
            "--format",
            "json",
            "--as-of",
            "2025-06-16",
            "--by",
            "crm",
        ])
        .arg("--journal")
        .arg(&cli_journal)
        .output()
        .expect("sphere runs");
    assert_eq!(out.status.code(), Some(1), "blocked");
    let cli: Value = serde_json::from_slice(&out.stdout).expect("gate JSON");
    assert_eq!(without_head(served.clone()), without_head(cli));
    assert_eq!(served["verdict"], "blocked");

    // The marketing manager may read but not approve; the DPO approves every block.
    let blocking: Vec<String> = served["blocking"]
        .as_array()
        .expect("blocking")
        .iter()
        .map(|b| b["id"].as_str().expect("id").to_string())
        .collect();
    assert!(!blocking.is_empty());
    let (status, pending) = server.json("GET", "/v1/pending", Some(MM_TOKEN), "");
    assert_eq!(status, 200);
    assert_eq!(pending.as_array().expect("a list").len(), blocking.len());
    for id in &blocking {
        let path = format!("/v1/findings/{id}/approve");
        let reason = json!({"reason": "consent on paper, filed as K-17"}).to_string();
        let (status, _) = server.json("POST", &path, Some(MM_TOKEN), &reason);
        assert_eq!(status, 403);
        let (status, v) = server.json("POST", &path, Some(FAKE_DPO_TOKEN), &reason);
        assert_eq!(status, 403, "{v}");
        assert!(v["error"]["hint"].as_str().expect("hint").contains(DPO));
        let (status, v) = server.json("POST", &path, Some(DPO_TOKEN), &reason);
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["finding_id"], id.as_str());
    }
    let (_, after) = server.json(
        "POST",
        "/v1/gate",
        Some(CRM_TOKEN),
        &json!({ "activity": CALL }).to_string(),
    );
    assert_eq!(after["verdict"], "allowed", "{after}");
    let (_, pending) = server.json("GET", "/v1/pending", Some(MM_TOKEN), "");
    assert_eq!(pending, json!([]));
    let (status, v) = server.json("GET", "/v1/journal/verify", Some(MM_TOKEN), "");
    assert_eq!(status, 200);
    assert_eq!(v["intact"], true, "{v}");
    drop(server);
    let refused = refusals(&journal);
    assert_eq!(refused.len(), 2 * blocking.len(), "{refused:?}");
    assert!(refused.iter().any(|(who, what, code)| who == MARKETING
        && what.ends_with("/approve")
        && code == "wrong-role"));
    assert!(refused
        .iter()
        .any(|(who, _, code)| who == MARKETING && code == "not-dpo"));
}

#[test]
fn no_token_is_401_a_wrong_role_403_and_every_refusal_is_journaled() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let journal = dir.path().join("j.db");
    let app = start(&journal);
    let gate = json!({ "activity": CALL }).to_string();
    assert_eq!(call(&app, "POST", "/v1/gate", None, &gate).0, 401);
    assert_eq!(call(&app, "POST", "/v1/gate", Some("guess"), &gate).0, 401);
    assert_eq!(call(&app, "GET", "/v1/findings", None, "").0, 401);
    // The DPO and the marketing manager may not gate or change the model; the CRM may.
    assert_eq!(call(&app, "POST", "/v1/gate", Some(MM_TOKEN), &gate).0, 403);
    assert_eq!(
        call(&app, "POST", "/v1/model/changes", Some(DPO_TOKEN), "{}").0,
        403
    );
    assert_eq!(
        call(&app, "POST", "/v1/gate", Some(CRM_TOKEN), &gate).0,
        200
    );
    // The CRM may not decide.
    let (status, _) = call(
        &app,
        "POST",
        "/v1/findings/F-38be7ac3588f551b/approve",
        Some(CRM_TOKEN),
        r#"{"reason": "x"}"#,
    );
    assert_eq!(status, 403);
    // Health, metrics and the API description need no token.
    assert_eq!(call(&app, "GET", "/healthz", None, "").0, 200);
    assert_eq!(call(&app, "GET", "/v1/openapi.json", None, "").0, 200);
    let refused = refusals(&journal);
    let codes: Vec<&str> = refused.iter().map(|r| r.2.as_str()).collect();
    assert_eq!(
        codes,
        [
            "no-token",
            "bad-token",
            "no-token",
            "wrong-role",
            "wrong-role",
            "wrong-role"
        ]
    );
    assert_eq!(refused[0].0, "anonymous");
    assert_eq!(refused[0].1, "POST /v1/gate");
    assert_eq!(refused[3].0, MARKETING);
    // The journal keeps the token's owner, never the token.
    let bytes = std::fs::read(&journal).expect("the journal file");
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("guess") && !text.contains(CRM_TOKEN));
}

#[test]
fn bad_json_is_a_400_with_the_place_and_the_text_of_the_cli() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let app = start(&dir.path().join("j.db"));
    let body = "{\"activities\": [\n  {\"id\": \"act-x\",}\n]}";
    let (status, v) = call(&app, "POST", "/v1/model/changes", Some(CRM_TOKEN), body);
    assert_eq!(status, 400);
    let p = &v["error"]["problems"][0];
    assert_eq!(p["line"], 2, "{v}");
    // `sphere validate` on the same text in a file of the same name.
    let file = dir.path().join("request");
    std::fs::write(&file, body).expect("written");
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .current_dir(dir.path())
        .args(["validate", "request"])
        .env("NO_COLOR", "1")
        .output()
        .expect("sphere runs");
    assert_eq!(out.status.code(), Some(2));
    let cli = String::from_utf8_lossy(&out.stderr);
    let served = v["error"]["text"].as_str().expect("text");
    assert!(!served.is_empty());
    assert!(
        cli.contains(served.trim_end()),
        "CLI:\n{cli}\nserver:\n{served}"
    );

    // A value of the wrong kind: its JSON path, and the model reader's words.
    let body = json!({"consents": [{"id": "c1", "subject": "subj-karl-kaufmann", "purposes": ["marketing"], "channels": ["phone"], "given": "2025-02-30", "form": "double_opt_in", "documented": true, "obtained_by": "org-optik-ag"}]});
    let (status, v) = call(
        &app,
        "POST",
        "/v1/model/changes",
        Some(CRM_TOKEN),
        &body.to_string(),
    );
    assert_eq!(status, 400);
    assert_eq!(
        v["error"]["problems"][0]["path"], "$.consents[0].given",
        "{v}"
    );
    // A gate body with an unknown key.
    let (status, v) = call(
        &app,
        "POST",
        "/v1/gate",
        Some(CRM_TOKEN),
        r#"{"activty": "x"}"#,
    );
    assert_eq!(status, 400);
    assert_eq!(v["error"]["problems"][0]["path"], "$.activty");
    assert!(
        v["error"]["hint"].is_null()
            || v["error"]["problems"][0]["hint"]
                .as_str()
                .expect("hint")
                .contains("activity")
    );
    // A planned activity: problems point into `$.activity`.
    let (status, v) = call(
        &app,
        "POST",
        "/v1/gate",
        Some(CRM_TOKEN),
        r#"{"activity": {"id": "act-new", "kind": "contact"}}"#,
    );
    assert_eq!(status, 400);
    assert!(
        v["error"]["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .all(|p| p["path"]
                .as_str()
                .expect("a path")
                .starts_with("$.activity")),
        "{v}"
    );
    // Too large a body.
    let big = format!("{{\"activity\": \"{}\"}}", "a".repeat(100_000));
    let (status, _) = call(&app, "POST", "/v1/gate", Some(CRM_TOKEN), &big);
    assert_eq!(status, 413);
}

/// A key given twice in one object of a request body is refused with its JSON path and the
/// model reader's hint, as `sphere validate` refuses it in a model file: serde_json would keep
/// the second value and drop the first without a word (a change of `"name"` twice answered
/// 200; a gate with `"activity"` twice gated the second).
#[test]
fn a_key_given_twice_in_a_request_body_is_a_400_with_its_path() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let journal = dir.path().join("j.db");
    let server = Loopback::start(start(&journal));
    let bodies = [
        (
            "/v1/model/changes",
            CRM_TOKEN,
            r#"{"subjects": [{"id": "subj-new", "name": "A", "name": "B", "kind": "consumer", "country": "DE"}]}"#,
            "$.subjects[0].name",
            "name",
        ),
        (
            "/v1/gate",
            CRM_TOKEN,
            r#"{"activity": "act-s4-call", "activity": "act-none"}"#,
            "$.activity",
            "activity",
        ),
        (
            "/v1/findings/F-0/approve",
            DPO_TOKEN,
            r#"{"reason": "checked", "until": "2025-07-01", "until": "2099-12-31"}"#,
            "$.until",
            "until",
        ),
    ];
    let entries = || {
        Journal::open(&journal, &Config::default())
            .expect("the journal")
            .entries(&Filter::default())
            .expect("entries")
            .len()
    };
    let before = entries();
    for (path, token, body, at, key) in bodies {
        let (status, v) = server.json("POST", path, Some(token), body);
        assert_eq!(status, 400, "{path}: {v}");
        let p = &v["error"]["problems"][0];
        assert_eq!(p["path"], at, "{path}: {v}");
        assert_eq!(p["code"], "duplicate_key", "{path}: {v}");
        assert!(
            p["message"]
                .as_str()
                .is_some_and(|m| m.contains(&format!("the key \"{key}\" is given twice"))),
            "{path}: {v}"
        );
        assert!(
            p["hint"]
                .as_str()
                .is_some_and(|h| h.contains("remove or merge one of them")),
            "{path}: {v}"
        );
    }
    assert_eq!(entries(), before, "nothing was journaled");
    // The same change without the second key is taken.
    let (status, v) = server.json(
        "POST",
        "/v1/model/changes",
        Some(CRM_TOKEN),
        r#"{"subjects": [{"id": "subj-new", "name": "A", "kind": "consumer", "country": "DE"}]}"#,
    );
    assert_eq!(status, 200, "{v}");
}

#[test]
fn a_planned_activity_is_gated_and_becomes_part_of_the_model() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let app = start(&dir.path().join("j.db"));
    let planned = json!({"activity": {
        "id": "act-new-call", "kind": "contact", "date": "2025-06-20", "status": "planned",
        "by": "staff-sandra-bauer", "system": "sys-crm", "subjects": ["subj-karl-kaufmann"],
        "categories": ["identity", "contact_phone"], "purpose": "sales", "channel": "phone",
        "audience": "one_to_one", "identifies_company": true, "promotional": true, "products": ["lenses"]
    }});
    let (status, v) = call(
        &app,
        "POST",
        "/v1/gate",
        Some(CRM_TOKEN),
        &planned.to_string(),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["activity"], "act-new-call");
    assert_eq!(v["verdict"], "blocked");
    let (_, doc) = call(
        &app,
        "GET",
        "/v1/findings?activity=act-new-call",
        Some(MM_TOKEN),
        "",
    );
    assert!(!doc["findings"].as_array().expect("findings").is_empty());
    assert!(doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["activity"] == "act-new-call"));
}

/// A random change: (kind, subject index, day, channel index).
fn change_strategy() -> impl Strategy<Value = (u8, u8, u8, u8)> {
    (0u8..5, 0u8..3, 1u8..28, 0u8..3)
}

const SUBJECTS: [&str; 3] = ["subj-karl-kaufmann", "subj-new-1", "subj-new-2"];
const CHANNELS: [&str; 3] = ["phone", "email", "post"];

/// Builds a change body and applies the same change to the model's JSON, as a CRM's export
/// of the changed model would read.
fn make_change(
    model: &mut Value,
    step: usize,
    (kind, who, day, channel): (u8, u8, u8, u8),
) -> Option<Value> {
    let subject = SUBJECTS[who as usize];
    let date = format!("2025-06-{day:02}");
    let has = |m: &Value, section: &str, id: &str| {
        m[section]
            .as_array()
            .is_some_and(|l| l.iter().any(|o| o["id"] == id))
    };
    let mut ensure_subject = Vec::new();
    if !has(model, "subjects", subject) {
        let s = json!({"id": subject, "name": subject, "kind": "consumer", "country": "DE"});
        ensure_subject.push(s);
    }
    let push = |m: &mut Value, section: &str, o: &Value| {
        if m[section].is_null() {
            m[section] = json!([]);
        }
        let list = m[section].as_array_mut().expect("a list");
        match list.iter().position(|x| x["id"] == o["id"]) {
            Some(i) => list[i] = o.clone(),
            None => list.push(o.clone()),
        }
    };
    let body = match kind {
        0 => {
            let c = json!({"id": format!("cns-{who}-{channel}"), "subject": subject, "purposes": ["marketing"],
                "channels": [CHANNELS[channel as usize]], "given": date, "form": "double_opt_in",
                "documented": true, "obtained_by": "org-optik-ag"});
            push(model, "consents", &c);
            json!({"consents": [c]})
        }
        1 => {
            let id = format!("cns-{who}-{channel}");
            let list = model.get_mut("consents")?.as_array_mut()?;
            let c = list.iter_mut().find(|c| c["id"] == id.as_str())?;
            // A withdrawal before the consent was given is a contradiction the model reader
            // rejects; the generator withdraws on or after the day it was given.
            let given = c["given"].as_str().unwrap_or("").to_string();
            let date = if date < given { given } else { date };
            c["withdrawn"] = json!(date);
            json!({"withdraw": [{"consent": id, "date": date}]})
        }
        2 => {
            let a = json!({"id": format!("act-r{step}"), "kind": "contact", "date": date, "status": "planned",
                "by": "staff-sandra-bauer", "system": "sys-crm", "subjects": [subject],
                "categories": ["identity", "contact_phone"], "purpose": "sales",
                "channel": CHANNELS[channel as usize], "audience": "one_to_one",
                "identifies_company": true, "promotional": true, "products": ["lenses"]});
            push(model, "activities", &a);
            json!({"activities": [a]})
        }
        3 => {
            let list = model.get_mut("activities")?.as_array_mut()?;
            let i = list
                .iter()
                .position(|a| a["id"].as_str().is_some_and(|s| s.starts_with("act-r")))?;
            let id = list.remove(i)["id"].clone();
            json!({"remove": [{"section": "activities", "id": id}]})
        }
        _ => {
            let o = json!({"subject": subject, "scope": "direct_marketing", "date": date});
            let list = {
                if model["objections"].is_null() {
                    model["objections"] = json!([]);
                }
                model["objections"].as_array_mut().expect("a list")
            };
            if !list.contains(&o) {
                list.push(o.clone());
            }
            json!({"objections": [o]})
        }
    };
    let mut body = body;
    if !ensure_subject.is_empty() {
        for s in &ensure_subject {
            push(model, "subjects", s);
        }
        body["subjects"] = Value::Array(ensure_subject);
    }
    Some(body)
}

fn findings_of(doc: &Value) -> Value {
    json!({"summary": doc["summary"], "findings": doc["findings"], "as_of": doc["as_of"]})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// After any sequence of changes, the served findings equal a fresh evaluation of the
    /// changed model (written as a model file), and a server started again on the same model
    /// file and journal holds the same findings.
    #[test]
    fn findings_after_changes_equal_a_fresh_check_and_survive_a_restart(
        steps in proptest::collection::vec(change_strategy(), 1..6)
    ) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let journal = dir.path().join("j.db");
        let app = start(&journal);
        let mut expected: Value = serde_json::from_str(&model_text()).expect("JSON");
        let mut applied = 0u64;
        for (i, s) in steps.into_iter().enumerate() {
            let Some(body) = make_change(&mut expected, i, s) else { continue };
            let (status, v) = call(&app, "POST", "/v1/model/changes", Some(CRM_TOKEN), &body.to_string());
            prop_assert_eq!(status, 200, "{} -> {}", body, v);
            applied += 1;
        }
        let (_, served) = call(&app, "GET", "/v1/findings", Some(MM_TOKEN), "");
        let fresh_model = Model::from_text("changed.json", &expected.to_string(), today()).expect("valid");
        let kb = kb();
        let outcome = kb.evaluate(&fresh_model, &EvalOptions::default()).expect("evaluates");
        let fresh = sphere::render::json::document(&outcome, &sphere::render::json::Options::default());
        prop_assert_eq!(findings_of(&served), findings_of(&fresh));
        drop(app);
        let (again, replayed) = App::start(kb, model(), settings(&journal)).expect("starts again");
        prop_assert_eq!(replayed.applied, applied);
        let (_, after) = call(&again, "GET", "/v1/findings", Some(MM_TOKEN), "");
        prop_assert_eq!(after, served);
    }

    /// Whatever a client sends, the server answers with a status below 500 and JSON.
    #[test]
    fn no_request_makes_the_server_fail(
        route in 0usize..6,
        body in proptest::string::string_regex("[\\[\\]{}\":,a-z0-9 .$-]{0,80}").expect("a regex"),
        json_body in prop_oneof![
            Just(json!({})),
            Just(json!({"activity": null})),
            Just(json!({"activity": 7})),
            Just(json!({"activity": {"id": []}})),
            Just(json!({"withdraw": [{"consent": "nope", "date": "2025-01-01"}]})),
            Just(json!({"withdraw": {"x": 1}})),
            Just(json!({"remove": [{"section": "staff", "id": "x"}]})),
            Just(json!({"consents": [{}]})),
            Just(json!({"reason": 5, "until": "yesterday"})),
            Just(json!({"reason": "ok", "until": "2020-01-01"})),
            Just(json!({"organization": {}})),
        ],
        raw in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let app = start(&dir.path().join("j.db"));
        let (method, uri, token) = [
            ("POST", "/v1/gate", CRM_TOKEN),
            ("POST", "/v1/model/changes", CRM_TOKEN),
            ("POST", "/v1/findings/F-38be7ac3588f551b/approve", DPO_TOKEN),
            ("POST", "/v1/findings/F-38be7ac3588f551b/reject", DPO_TOKEN),
            ("GET", "/v1/findings?decision=block&law=x&lang=fr", MM_TOKEN),
            ("GET", "/v1/journal/verify?expect_head=1:00", MM_TOKEN),
        ][route];
        let text = if raw { body } else { json_body.to_string() };
        let (status, v) = call(&app, method, uri, Some(token), &text);
        prop_assert!(status < 500, "{} {} {}: {} {}", method, uri, text, status, v);
        prop_assert!(v.is_object() || v.is_array(), "{}", v);
    }
}

/// Every input the server's fuzz target kept (`fuzz/corpus/server`, one request each, see
/// `fuzz/fuzz_targets/server_harness.rs`) sent to a fresh server: no panic, no status of 500 or
/// above, and every 400 of the API a JSON error object. The seeds reach every route; the test
/// also holds that they do, so a route the corpus no longer reaches fails here.
#[test]
fn the_server_fuzz_corpus_is_answered_below_500() {
    use crate::server_harness::{decode, drive};
    assert_eq!(
        crate::server_harness::MODEL,
        MODEL,
        "the fuzz target serves this model"
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/server");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fuzz/corpus/server")
        .map(|e| e.expect("an entry").path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "the corpus holds the seeds: {}",
        files.len()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let kb = kb();
    let model = model();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut routes_ok = std::collections::BTreeSet::new();
    for file in &files {
        let data = std::fs::read(file).expect("a corpus file");
        let scratch = tempfile::tempdir().expect("a temporary folder");
        let mut s = settings(&scratch.path().join("j.db"));
        s.auth = crate::server_harness::auth();
        let (app, _) = App::start(Arc::clone(&kb), model.clone(), s).expect("starts");
        let input = decode(&data);
        match rt.block_on(drive(&app, &input)) {
            Ok(Some((status, _))) => {
                *statuses.entry(status).or_default() += 1;
                if status < 300 {
                    routes_ok.insert(input.path.split('?').next().unwrap_or("").to_string());
                }
            }
            Ok(None) => {}
            Err(broken) => panic!("{}: {broken}", file.display()),
        }
    }
    // The seeds answer with success on the main routes, and with refusals too.
    for route in [
        "/v1/gate",
        "/v1/model/changes",
        "/v1/findings",
        "/v1/findings/F-38be7ac3588f551b/approve",
        "/v1/pending",
        "/v1/journal/verify",
    ] {
        assert!(
            routes_ok.contains(route),
            "no seed succeeds on {route}: {routes_ok:?}"
        );
    }
    for status in [400, 401, 403, 404] {
        assert!(
            statuses.contains_key(&status),
            "no input answered {status}: {statuses:?}"
        );
    }
}

/// The text `GET /metrics` answers (200).
fn metrics_text(app: &Arc<App>) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let resp = app
            .router()
            .oneshot(
                Request::builder()
                    .uri("/metrics")
                    .body(Body::empty())
                    .expect("req"),
            )
            .await
            .expect("infallible");
        assert_eq!(resp.status(), StatusCode::OK);
        let b = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        String::from_utf8(b.to_vec()).expect("text")
    })
}

#[test]
fn metrics_count_requests_and_report_the_model() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let app = start(&dir.path().join("j.db"));
    call(&app, "GET", "/v1/findings", Some(MM_TOKEN), "");
    call(&app, "GET", "/v1/findings", None, "");
    let text = metrics_text(&app);
    assert!(
        !text.contains("sphere_webhook"),
        "no webhook, no webhook counters: {text}"
    );
    assert!(
        text.contains(
            r#"sphere_http_requests_total{route="/v1/findings",method="GET",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"sphere_http_requests_total{route="/v1/findings",method="GET",status="401"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"sphere_evaluation_seconds_count{what="start"} 1"#),
        "{text}"
    );
    let activities = model().company().expect("a company model").activities.len();
    assert!(
        text.contains(&format!(
            "sphere_model_objects{{section=\"activities\"}} {activities}"
        )),
        "{text}"
    );
    assert!(text.contains("# TYPE sphere_http_request_duration_seconds histogram"));
}

/// A request through the router with headers; status, headers and body text.
fn raw(
    app: &Arc<App>,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, axum::http::HeaderMap, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = app
            .router()
            .oneshot(req.body(Body::from(body.to_string())).expect("req"))
            .await
            .expect("infallible");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let b = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, headers, String::from_utf8_lossy(&b).into_owned())
    })
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// Logs in with a token; the session cookie (`name=value`) and the page's CSRF token.
fn web_login(app: &Arc<App>, token: &str) -> (String, String) {
    let (status, headers, _) = raw(
        app,
        "POST",
        "/ui/login",
        &[FORM],
        &format!("token={token}&lang=en"),
    );
    assert_eq!(status, 303);
    let set = headers["set-cookie"].to_str().expect("a cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().expect("name=value").to_string();
    let (_, _, page) = raw(app, "GET", "/ui/findings", &[("cookie", &cookie)], "");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a CSRF token on the page")
        .to_string();
    (cookie, csrf)
}

#[test]
fn the_web_view_logs_in_by_token_and_only_the_dpo_decides_with_a_csrf_token() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let journal = dir.path().join("j.db");
    let app = start(&journal);
    // Not logged in: to the login page. A wrong token: refused and journaled.
    let (status, headers, _) = raw(&app, "GET", "/ui/findings", &[], "");
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/ui/login");
    let (status, _, page) = raw(&app, "POST", "/ui/login", &[FORM], "token=nope&lang=de");
    assert_eq!(status, 401);
    assert!(page.contains("nicht bekannt"), "{page}");

    let blocked = "F-38be7ac3588f551b";
    let (mm, mm_csrf) = web_login(&app, MM_TOKEN);
    let (_, headers, page) = raw(
        &app,
        "GET",
        &format!("/ui/findings/{blocked}"),
        &[("cookie", &mm)],
        "",
    );
    assert!(headers["content-security-policy"]
        .to_str()
        .expect("csp")
        .contains("default-src 'none'"));
    assert!(
        page.contains("id=\"only-dpo\"") && !page.contains("approve-form"),
        "{page}"
    );
    assert!(
        page.contains("ad_consent(&quot;act-s4-call&quot;"),
        "the tree, escaped"
    );
    // The marketing manager's forged approval: refused (403) and journaled.
    let body = format!("csrf={mm_csrf}&reason=ok");
    let (status, _, _) = raw(
        &app,
        "POST",
        &format!("/ui/findings/{blocked}/approve"),
        &[FORM, ("cookie", &mm)],
        &body,
    );
    assert_eq!(status, 403);

    let (dpo, csrf) = web_login(&app, DPO_TOKEN);
    let (_, _, page) = raw(
        &app,
        "GET",
        &format!("/ui/findings/{blocked}"),
        &[("cookie", &dpo)],
        "",
    );
    assert!(page.contains("id=\"approve-form\""), "{page}");
    assert!(page.contains("class=\"status waiting\""));
    // Without the CSRF token (or with another session's): refused.
    let (status, _, _) = raw(
        &app,
        "POST",
        &format!("/ui/findings/{blocked}/approve"),
        &[FORM, ("cookie", &dpo)],
        "reason=ok",
    );
    assert_eq!(status, 403);
    let (status, _, _) = raw(
        &app,
        "POST",
        &format!("/ui/findings/{blocked}/approve"),
        &[FORM, ("cookie", &dpo)],
        &format!("csrf={mm_csrf}&reason=ok"),
    );
    assert_eq!(status, 403);
    let (status, headers, _) = raw(
        &app,
        "POST",
        &format!("/ui/findings/{blocked}/approve"),
        &[FORM, ("cookie", &dpo)],
        &format!("csrf={csrf}&reason=consent+on+paper"),
    );
    assert_eq!(status, 303);
    assert_eq!(headers["location"], format!("/ui/findings/{blocked}"));
    let (_, _, page) = raw(
        &app,
        "GET",
        &format!("/ui/findings/{blocked}"),
        &[("cookie", &dpo)],
        "",
    );
    assert!(page.contains("class=\"status approved\""), "{page}");
    let codes: Vec<String> = refusals(&journal).into_iter().map(|r| r.2).collect();
    assert_eq!(codes, ["bad-token", "wrong-role", "bad-csrf", "bad-csrf"]);
    // German pages.
    let (_, _, page) = raw(&app, "GET", "/ui/pending?lang=de", &[("cookie", &dpo)], "");
    assert!(
        page.contains("<html lang=\"de\">") && page.contains("Wartet auf den DSB"),
        "{page}"
    );
    // Filters: by decision and by an activity that has none.
    let (_, _, page) = raw(
        &app,
        "GET",
        "/ui/findings?decision=block&activity=act-none",
        &[("cookie", &dpo)],
        "",
    );
    assert!(page.contains("<p class=\"count\">0 / "), "{page}");
    // The weekly report of the current model and journal: the approval is counted.
    let (status, _, page) = raw(
        &app,
        "GET",
        "/ui/report?from=2025-06-10&to=2025-06-20",
        &[("cookie", &dpo)],
        "",
    );
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("id=\"report\"") && page.contains(blocked),
        "{page}"
    );
    let (status, _, _) = raw(
        &app,
        "GET",
        "/ui/report?from=yesterday",
        &[("cookie", &dpo)],
        "",
    );
    assert_eq!(status, 400);
}

// --- SIGKILL during a burst, and a restart ---------------------------------------------------

/// One request on a new connection to `addr`: the status and the JSON body, or `None` when
/// the server is not there (killed) or the answer is cut off.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, serde_json::from_str(body).ok()?))
}

/// A child process, killed (SIGKILL) when dropped, so that a failing test leaves no server
/// behind.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `sphere serve` as a child process on a free loopback port.
fn serve_process(dir: &Path, journal: &Path) -> (Killed, SocketAddr) {
    serve_process_with(dir, journal, MODEL, &[])
}

/// [`serve_process`] on `model`, with more arguments; the configuration is written to
/// `dir/server.json`.
fn serve_process_with(
    dir: &Path,
    journal: &Path,
    model: &str,
    more: &[&str],
) -> (Killed, SocketAddr) {
    use std::io::BufRead;
    let config = dir.join("server.json");
    let tokens: Vec<Value> = [
        (DPO_TOKEN, DPO, "dpo"),
        (CRM_TOKEN, "crm", "crm"),
        (MM_TOKEN, MARKETING, "viewer"),
    ]
    .iter()
    .map(|(t, staff, role)| json!({"staff": staff, "roles": [role], "sha256": hash_token(t)}))
    .collect();
    std::fs::write(
        &config,
        json!({"format": "sphere-server/1", "tokens": tokens}).to_string(),
    )
    .expect("the configuration");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["serve", model, "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--journal")
        .arg(journal)
        .args(more)
        .env_remove("SPHERE_JOURNAL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sphere serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server says where it listens")
            .expect("a line");
        if let Some(a) = line.strip_prefix("sphere serve: listening on http://") {
            break a.parse().expect("an address");
        }
    };
    // Keep reading stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Killed(child), addr)
}

/// A planned advertising call to Karl Kaufmann (no consent): each one adds blocking findings.
fn planned_call(i: usize) -> Value {
    json!({"id": format!("act-k{i}"), "kind": "contact", "date": "2025-06-20", "status": "planned",
        "by": "staff-sandra-bauer", "system": "sys-crm", "subjects": ["subj-karl-kaufmann"],
        "categories": ["identity", "contact_phone"], "purpose": "sales", "channel": "phone",
        "audience": "one_to_one", "identifies_company": true, "promotional": true,
        "products": ["lenses"]})
}

/// The journal head an answer reports.
fn answered_head(v: &Value) -> (u64, String) {
    (
        v["journal_head"]["seq"].as_u64().expect("a head"),
        v["journal_head"]["hash"]
            .as_str()
            .expect("a hash")
            .to_string(),
    )
}

#[test]
fn sigkill_during_a_burst_loses_nothing_answered_and_a_restart_holds_the_same_state() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Mutex;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let journal = dir.path().join("server.db");
    let (mut child, addr) = serve_process(dir.path(), &journal);

    // Every head a 2xx answer reported, and the findings after each answered change.
    let heads: Arc<Mutex<Vec<(String, u64, String)>>> = Arc::default();
    let docs: Arc<Mutex<Vec<(usize, Value)>>> = Arc::default();
    let changed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    // The CRM's changes: one planned call after another, each answered before the next.
    {
        let (heads, docs, changed, stop) =
            (heads.clone(), docs.clone(), changed.clone(), stop.clone());
        clients.push(std::thread::spawn(move || {
            for i in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let body = json!({"activities": [planned_call(i)]}).to_string();
                let Some((status, v)) = http(addr, "POST", "/v1/model/changes", CRM_TOKEN, &body)
                else {
                    break;
                };
                assert_eq!(status, 200, "{v}");
                let (seq, hash) = answered_head(&v);
                heads
                    .lock()
                    .expect("lock")
                    .push(("change".into(), seq, hash));
                changed.store(i + 1, Ordering::SeqCst);
                let Some((200, doc)) = http(addr, "GET", "/v1/findings", MM_TOKEN, "") else {
                    break;
                };
                docs.lock().expect("lock").push((i + 1, findings_of(&doc)));
            }
        }));
    }
    // Gates of the call and of the planned calls answered so far, from two clients.
    for c in 0..2 {
        let (heads, changed, stop) = (heads.clone(), changed.clone(), stop.clone());
        clients.push(std::thread::spawn(move || {
            for i in 0usize.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let n = changed.load(Ordering::SeqCst);
                let activity = match (i + c) % 2 {
                    0 if n > 0 => format!("act-k{}", i % n),
                    _ => CALL.to_string(),
                };
                let body = json!({"activity": activity}).to_string();
                let Some((status, v)) = http(addr, "POST", "/v1/gate", CRM_TOKEN, &body) else {
                    break;
                };
                assert_eq!(status, 200, "{v}");
                let (seq, hash) = answered_head(&v);
                heads.lock().expect("lock").push(("gate".into(), seq, hash));
            }
        }));
    }
    // The DPO approves what waits.
    {
        let (heads, stop) = (heads.clone(), stop.clone());
        clients.push(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let Some((200, pending)) = http(addr, "GET", "/v1/pending", DPO_TOKEN, "") else {
                    break;
                };
                let ids: Vec<String> = pending
                    .as_array()
                    .or_else(|| pending["pending"].as_array())
                    .map(|l| {
                        l.iter()
                            .filter_map(|p| p["finding_id"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                for id in ids {
                    let path = format!("/v1/findings/{id}/approve");
                    let Some((status, v)) =
                        http(addr, "POST", &path, DPO_TOKEN, r#"{"reason": "checked"}"#)
                    else {
                        return;
                    };
                    // A finding that vanished with a change in between is a 404, not a loss.
                    if status == 200 {
                        let (seq, hash) = answered_head(&v);
                        heads
                            .lock()
                            .expect("lock")
                            .push(("approve".into(), seq, hash));
                    }
                }
            }
        }));
    }
    // Kill in the middle of the burst: once every kind of request has been answered a few
    // times, while all clients are still sending.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let h = heads.lock().expect("lock");
        let count = |k: &str| h.iter().filter(|(kind, _, _)| kind == k).count();
        if (count("change") >= 5 && count("gate") >= 20 && count("approve") >= 3)
            || std::time::Instant::now() > deadline
        {
            break;
        }
    }
    child.0.kill().expect("SIGKILL");
    child.0.wait().expect("the server is gone");
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().expect("a client");
    }
    let heads = heads.lock().expect("lock").clone();
    let count = |k: &str| heads.iter().filter(|(kind, _, _)| kind == k).count();
    assert!(
        count("change") >= 5 && count("gate") >= 20 && count("approve") >= 3,
        "the burst ran: {} changes, {} gates, {} approvals answered",
        count("change"),
        count("gate"),
        count("approve")
    );

    // Nothing answered is lost: every head a 2xx answer reported is in the journal.
    let j = Journal::open(&journal, &Config::default()).expect("the journal opens");
    for (kind, seq, hash) in &heads {
        let e = j
            .entry(*seq)
            .expect("reads")
            .unwrap_or_else(|| panic!("the {kind} answered with entry {seq} is lost"));
        assert_eq!(&e.hash.to_hex(), hash, "the {kind} of entry {seq}");
    }
    drop(j);
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["journal", "verify", "--journal"])
        .arg(&journal)
        .output()
        .expect("sphere runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A restart on the same model and journal holds the same model and findings: every
    // answered change, and at most the one in flight when the server was killed.
    let answered = changed.load(Ordering::SeqCst);
    let (again, addr) = serve_process(dir.path(), &journal);
    let (status, doc) = http(addr, "GET", "/v1/findings", MM_TOKEN, "").expect("answers");
    assert_eq!(status, 200);
    let (_, health) = http(addr, "GET", "/healthz", MM_TOKEN, "").expect("answers");
    let j = Journal::open(&journal, &Config::default()).expect("the journal opens");
    let journaled = j
        .entries(&Filter {
            since: None,
            finding_id: None,
            actions: vec![Action::Change],
        })
        .expect("reads")
        .len();
    assert!(
        journaled == answered || journaled == answered + 1,
        "{answered} changes answered, {journaled} journaled"
    );
    let mut expected: Value = serde_json::from_str(&model_text()).expect("JSON");
    for i in 0..journaled {
        expected["activities"]
            .as_array_mut()
            .expect("activities")
            .push(planned_call(i));
    }
    let changed_model = dir.path().join("changed.json");
    std::fs::write(&changed_model, expected.to_string()).expect("written");
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .arg("check")
        .arg(&changed_model)
        .args(["--format", "json"])
        .env_remove("SPHERE_JOURNAL")
        .output()
        .expect("sphere runs");
    let fresh: Value = serde_json::from_slice(&out.stdout).expect("check JSON");
    assert_eq!(
        findings_of(&doc),
        findings_of(&fresh),
        "the restarted findings are those of the model with every journaled change"
    );
    assert_eq!(
        health["findings"],
        json!(fresh["findings"].as_array().expect("a list").len())
    );
    if let Some((_, before)) = docs
        .lock()
        .expect("lock")
        .iter()
        .find(|(n, _)| *n == journaled)
    {
        assert_eq!(
            &findings_of(&doc),
            before,
            "the findings equal those served before the kill"
        );
    }
    drop(again);
}

/// The server holds one model that the CRM changes: a block whose facts changed since is
/// superseded and leaves the pending list (the DPO would otherwise approve the new facts and
/// still see the old block); the next gate blocks and lists the finding again on its current
/// facts.
#[test]
fn a_block_whose_facts_changed_leaves_the_pending_list_until_the_gate_blocks_again() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let app = start(&dir.path().join("server.db"));
    let gate = json!({ "activity": CALL }).to_string();
    let digests = |v: &Value| -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = v
            .as_array()
            .expect("a list")
            .iter()
            .map(|p| {
                (
                    p["finding_id"].as_str().expect("id").to_string(),
                    p["facts_digest"].as_str().expect("digest").to_string(),
                )
            })
            .collect();
        out.sort();
        out
    };

    let (status, first) = call(&app, "POST", "/v1/gate", Some(CRM_TOKEN), &gate);
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["verdict"], "blocked");
    let (_, pending) = call(&app, "GET", "/v1/pending", Some(MM_TOKEN), "");
    let before = digests(&pending);
    assert_eq!(
        before.len(),
        first["blocking"].as_array().expect("blocking").len()
    );

    // Karl gives a consent to e-mail newsletters: the call still has no consent, but his
    // records, on which the absence of a phone consent rests, are other facts now.
    let change = json!({ "consents": [{
        "id": "cns-karl-newsletter", "subject": "subj-karl-kaufmann", "purposes": ["newsletter"],
        "channels": ["email"], "given": "2025-06-12", "form": "double_opt_in", "documented": true,
        "informed": true
    }]});
    let (status, v) = call(
        &app,
        "POST",
        "/v1/model/changes",
        Some(CRM_TOKEN),
        &change.to_string(),
    );
    assert_eq!(status, 200, "{v}");
    let (_, pending) = call(&app, "GET", "/v1/pending", Some(MM_TOKEN), "");
    assert_eq!(pending, json!([]), "the old blocks are superseded");

    let (_, again) = call(&app, "POST", "/v1/gate", Some(CRM_TOKEN), &gate);
    assert_eq!(again["verdict"], "blocked", "{again}");
    let (_, pending) = call(&app, "GET", "/v1/pending", Some(MM_TOKEN), "");
    let after = digests(&pending);
    assert_eq!(after.len(), before.len(), "{pending}");
    for ((id_b, digest_b), (id_a, digest_a)) in before.iter().zip(&after) {
        assert_eq!(id_a, id_b, "the same findings");
        assert_ne!(digest_a, digest_b, "on other facts");
    }
}

/// The DPO's web pages in German, fetched over loopback: login (also a refused token),
/// findings, a finding with its derivation before and after the DPO's approval, a rejected
/// one, the activity, what waits, the report and error pages carry no English words outside
/// the model's own texts, ids and citations. The JSON API says its errors in German with
/// `?lang=de`.
#[test]
fn the_web_view_in_german_has_no_english() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let journal = dir.path().join("j.db");
    let app = start(&journal);
    let server = Loopback::start(Arc::clone(&app));
    let (status, _, body) = server.request(
        "POST",
        "/v1/gate",
        Some(CRM_TOKEN),
        &json!({ "activity": CALL }).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let mut pages = Vec::new();
    let (_, _, page) = server.send("GET", "/ui/login?lang=de", &[], "");
    pages.push(("login".to_string(), page));
    let (status, _, page) = server.send("POST", "/ui/login", &[form], "token=nope&lang=de");
    assert_eq!(status, 401);
    pages.push(("login refused".to_string(), page));
    let cookie = dpo_login(&server, "de");
    let get = |path: &str| {
        let (status, _, page) = server.send("GET", path, &[("Cookie", &cookie)], "");
        (status, page)
    };
    let (_, findings) = get("/ui/findings");
    let csrf = findings
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a CSRF token")
        .to_string();
    pages.push(("findings".into(), findings));
    let (approved, rejected) = ("F-38be7ac3588f551b", "F-dc0dcb7057fb09a2");
    pages.push((
        "finding waiting".into(),
        get(&format!("/ui/findings/{approved}")).1,
    ));
    // A rejection with an end date is refused, in German.
    let (status, _, page) = server.send(
        "POST",
        &format!("/ui/findings/{rejected}/reject"),
        &[form, ("Cookie", &cookie)],
        &format!("csrf={csrf}&reason=checked&until=2025-07-31"),
    );
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("eine Ablehnung hat kein Enddatum"), "{page}");
    pages.push(("rejection with an end date".into(), page));
    for (id, verb, until) in [
        (approved, "approve", "2025-07-31"),
        (rejected, "reject", ""),
    ] {
        let (status, _, page) = server.send(
            "POST",
            &format!("/ui/findings/{id}/{verb}"),
            &[form, ("Cookie", &cookie)],
            &format!("csrf={csrf}&reason=checked&until={until}"),
        );
        assert_eq!(status, 303, "{verb}: {page}");
        pages.push((
            format!("finding after {verb}"),
            get(&format!("/ui/findings/{id}")).1,
        ));
    }
    for path in [
        "/ui/findings?decision=block",
        &format!("/ui/activities/{CALL}"),
        "/ui/pending",
        "/ui/report?from=2025-06-10&to=2025-06-20",
    ] {
        let (status, page) = get(path);
        assert_eq!(status, 200, "{path}: {page}");
        pages.push((path.to_string(), page));
    }
    let (status, page) = get("/ui/findings/F-0000000000000000");
    assert_eq!(status, 404, "{page}");
    pages.push(("unknown finding".into(), page));
    let (status, page) = get("/ui/activities/act-nowhere");
    assert_eq!(status, 404, "{page}");
    pages.push(("unknown activity".into(), page));
    // A form without its CSRF token.
    let (status, _, page) = server.send(
        "POST",
        &format!("/ui/findings/{approved}/approve"),
        &[form, ("Cookie", &cookie)],
        "reason=checked",
    );
    assert_eq!(status, 403, "{page}");
    pages.push(("no CSRF token".into(), page));
    let (status, page) = get("/ui/report?from=yesterday");
    assert_eq!(status, 400, "{page}");
    pages.push(("bad report date".into(), page));
    // The JSON API answers in English, and in German with `?lang=de`.
    let (status, v) = server.json(
        "POST",
        "/v1/gate?lang=de",
        Some(CRM_TOKEN),
        &json!({ "activity": "act-s4-cal" }).to_string(),
    );
    assert_eq!(status, 400, "{v}");
    assert_eq!(
        v["error"]["message"], "keine Tätigkeit `act-s4-cal` im Modell",
        "{v}"
    );
    assert_eq!(v["error"]["hint"], "meinten Sie `act-s4-call`?", "{v}");
    let (status, v) = server.json(
        "GET",
        "/v1/findings/F-0000000000000000?lang=de",
        Some(DPO_TOKEN),
        "",
    );
    assert_eq!(status, 404, "{v}");
    assert_eq!(
        v["error"]["message"], "kein Befund `F-0000000000000000` in diesem Modell",
        "{v}"
    );
    let (_, v) = server.json(
        "GET",
        "/v1/findings/F-0000000000000000",
        Some(DPO_TOKEN),
        "",
    );
    assert_eq!(
        v["error"]["message"], "no finding `F-0000000000000000` in this model",
        "{v}"
    );
    let model = Path::new(MODEL);
    let mut problems = Vec::new();
    for (what, page) in &pages {
        assert!(page.contains("<html lang=\"de\">"), "{what}: {page}");
        let text = crate::lang::visible_text(page, &[model]);
        problems.extend(
            crate::lang::english_words(&text)
                .into_iter()
                .map(|w| format!("{what}: {w}")),
        );
    }
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// --- a deep derivation -----------------------------------------------------------------------

/// The explanation of a finding whose derivation is ten thousand steps deep, over loopback as
/// JSON and as the web page: both answer (the JSON written and dropped without recursion; on
/// the blocking threads' 2 MiB stacks serde's serialiser overflowed and aborted the server).
#[test]
fn the_explanation_of_a_ten_thousand_step_derivation_is_served_without_overflow() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let kb = KnowledgeBase::builder()
        .rules_text("deep.dl", crate::deep_rules())
        .build()
        .expect("the rules compile");
    let app = App::start(Arc::new(kb), model(), settings(&dir.path().join("j.db")))
        .expect("starts")
        .0;
    let server = Loopback::start(Arc::clone(&app));
    let (status, list) = server.json("GET", "/v1/findings", Some(DPO_TOKEN), "");
    assert_eq!(status, 200);
    let id = list["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "deep_chain")
        .expect("the chain's finding")["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let (status, head, body) =
        server.request("GET", &format!("/v1/findings/{id}"), Some(DPO_TOKEN), "");
    assert_eq!(status, 200, "{}", &body[..body.len().min(500)]);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    assert!(
        body.starts_with("{\"finding\":{\"id\":"),
        "{}",
        &body[..200]
    );
    // Every step of the chain is in the tree, down to its first fact.
    for n in [10_000, 5_000, 1, 0] {
        assert!(
            body.contains(&format!("\"fact\":\"step({n})\"")),
            "step({n}) in the tree"
        );
    }
    assert!(body.contains("\"approval\":"), "the DPO's part is there");
    // Balanced and complete: as many closing brackets as opening ones (no string in the
    // explanation holds a bracket).
    assert_eq!(body.matches('{').count(), body.matches('}').count());
    assert_eq!(body.matches('[').count(), body.matches(']').count());
    assert!(body.matches("\"premises\":").count() > 10_000);
    // The server still answers.
    let (status, _, _) = server.request("GET", "/healthz", None, "");
    assert_eq!(status, 200);
    let (cookie, _) = web_login(&app, DPO_TOKEN);
    let (status, _, page) = raw(
        &app,
        "GET",
        &format!("/ui/findings/{id}"),
        &[("cookie", &cookie)],
        "",
    );
    assert_eq!(status, 200);
    assert!(
        page.contains("<code>step(10000)</code>"),
        "the tree on the page"
    );
    assert!(
        page.contains("<code>step(0)</code>"),
        "down to its first fact"
    );
}

/// The JSON API with `?lang=de`: every 400 of the gate and of the CRM's changes (a body that
/// is no JSON, keys and values the request does not take, a batch of the model reader's
/// problems, a change the model refuses, an unknown record) says its message, its hint, every
/// problem and its text in German; without `?lang=de` the same request is answered in English.
#[test]
fn the_json_api_in_german_says_every_problem_in_german() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let app = start(&dir.path().join("j.db"));
    let requests: Vec<(&str, &str, String)> = vec![
        ("POST", "/v1/gate", "{\"activity\": ".into()),
        ("POST", "/v1/gate", json!({}).to_string()),
        ("POST", "/v1/gate", json!({"activity": 5}).to_string()),
        ("POST", "/v1/gate", json!({"activity": "act-s4-call", "actvity": 1}).to_string()),
        ("POST", "/v1/gate", json!({"activity": {"id": "act-new", "kind": "contakt", "status": "planed", "subjects": ["subj-nobody"]}}).to_string()),
        ("POST", "/v1/model/changes", "[1, 2".into()),
        ("POST", "/v1/model/changes", json!({}).to_string()),
        ("POST", "/v1/model/changes", json!({"as_of": "2025-01-01"}).to_string()),
        ("POST", "/v1/model/changes", json!({"flows": []}).to_string()),
        ("POST", "/v1/model/changes", json!({"subjects": [{"id": "subj-x", "kind": "consumr", "country": "XX", "colour": "red"}]}).to_string()),
        ("POST", "/v1/model/changes", json!({"withdraw": {}}).to_string()),
        ("POST", "/v1/model/changes", json!({"withdraw": [1]}).to_string()),
        ("POST", "/v1/model/changes", json!({"withdraw": [{"consent": "c", "date": "2025-01-01", "x": 1}]}).to_string()),
        ("POST", "/v1/model/changes", json!({"withdraw": [{"date": "2025-01-01"}]}).to_string()),
        ("POST", "/v1/model/changes", json!({"withdraw": [{"consent": "", "date": "2025-01-01"}]}).to_string()),
        ("POST", "/v1/model/changes", json!({"withdraw": [{"consent": "cons-nowhere", "date": "2025-13-01"}]}).to_string()),
        ("POST", "/v1/model/changes", json!({"withdraw": [{"consent": "cons-nowhere", "date": "2025-01-01"}]}).to_string()),
        ("POST", "/v1/model/changes", json!({"remove": [{"section": "flows", "id": "x"}]}).to_string()),
        ("POST", "/v1/model/changes", json!({"remove": [{"section": "activities", "id": "act-s4-cal"}]}).to_string()),
        ("POST", "/v1/model/changes", json!({"activities": [{"id": "act-x", "kind": "contact", "status": "planned", "purpose": "sales", "by": "staff-nobody", "subjects": ["subj-nobody"]}]}).to_string()),
        ("GET", "/v1/findings?decision=block&colour=red", String::new()),
    ];
    let mut text = String::new();
    let mut several = 0;
    for (method, path, body) in &requests {
        let sep = if path.contains('?') { '&' } else { '?' };
        let token = if path.starts_with("/v1/findings") {
            DPO_TOKEN
        } else {
            CRM_TOKEN
        };
        let (status, v) = call(
            &app,
            method,
            &format!("{path}{sep}lang=de"),
            Some(token),
            body,
        );
        assert_eq!(status, 400, "{path} {body}: {v}");
        let err = &v["error"];
        let mut said = format!("{}\n", err["message"].as_str().expect("a message"));
        if let Some(h) = err["hint"].as_str() {
            said.push_str(&format!("Hinweis: {h}\n"));
        }
        let problems = err["problems"].as_array().expect("problems");
        assert!(!problems.is_empty(), "{v}");
        if problems.len() > 1 {
            several += 1;
        }
        for p in problems {
            said.push_str(&format!("{}\n", p["message"].as_str().expect("a message")));
            if let Some(h) = p["hint"].as_str() {
                said.push_str(&format!("Hinweis: {h}\n"));
            }
        }
        said.push_str(err["text"].as_str().expect("the text"));
        let english = crate::lang::english_in_errors(&said);
        assert!(
            english.is_empty(),
            "{path} {body}:\n{said}\n{}",
            english.join("\n")
        );
        text.push_str(&said);
        // English without `?lang=de`.
        let (status, v) = call(&app, method, path, Some(token), body);
        assert_eq!(status, 400, "{v}");
        let en = v["error"].to_string();
        assert!(!en.contains("Fehler") && !en.contains("Hinweis"), "{en}");
        assert!(
            v["error"]["problems"]
                .as_array()
                .expect("problems")
                .iter()
                .all(|p| p["message"] != Value::Null),
            "{v}"
        );
    }
    assert!(several >= 2, "batches with several problems: {text}");
    assert!(text.contains("kein gültiges JSON"), "{text}");
    assert!(text.contains("der Server nimmt keine"), "{text}");
    assert!(text.contains("unbekannter Filter `colour`"), "{text}");
}

/// Refusals with `?lang=de`: no token, a token the server does not know, a role that may not
/// gate; in English without it.
#[test]
fn refusals_in_german_with_lang_de() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let app = start(&dir.path().join("j.db"));
    let body = json!({"activity": "act-s4-call"}).to_string();
    let mut said = String::new();
    for (token, status, expected) in [
        (None, 401, "kein Bearer-Token"),
        (
            Some("no-such-token"),
            401,
            "dieser Server kennt das Token nicht",
        ),
        (
            Some(MM_TOKEN),
            403,
            "darf das nicht: es braucht die Rolle `crm`",
        ),
    ] {
        let (s, v) = call(&app, "POST", "/v1/gate?lang=de", token, &body);
        assert_eq!(s, status, "{v}");
        let m = v["error"]["message"].as_str().expect("a message");
        assert!(m.contains(expected), "{v}");
        said.push_str(&format!(
            "{m}\n{}\n",
            v["error"]["hint"].as_str().unwrap_or("")
        ));
        let (s, v) = call(&app, "POST", "/v1/gate", token, &body);
        assert_eq!(s, status, "{v}");
        assert!(!v.to_string().contains("Fehler"), "{v}");
    }
    let (s, v) = call(&app, "GET", "/v1/pending?lang=de", None, "");
    assert_eq!(s, 401, "{v}");
    assert_eq!(v["error"]["message"], "kein Bearer-Token", "{v}");
    let english = crate::lang::english_in_errors(&said);
    assert!(english.is_empty(), "{said}\n{}", english.join("\n"));
}

/// Approving, rejecting and verifying the journal take `?lang=de` like the other routes: a
/// body they do not take, a DPO who is not the model's, an unknown finding, a head that is
/// none, a refusal without a token; a body too large (413) and a route that does not exist
/// (404) are said in German with `?lang=de`; a `?lang=` that is neither is said in both
/// languages. Without `?lang=de` all of them are answered in English.
#[test]
fn decisions_verification_and_the_servers_own_refusals_in_german() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let app = start(&dir.path().join("j.db"));
    let big = format!("{{\"activity\": \"{}\"}}", "a".repeat(100_000));
    let huge = "x".repeat(Limits::default().changes_bytes + 1);
    let bad_reason = json!({"reason": 5}).to_string();
    let ok_reason = json!({"reason": "geprüft"}).to_string();
    // Method, path, token, body, status, words of the German message.
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "POST",
            "/v1/findings/F-38be7ac3588f551b/approve",
            Some(DPO_TOKEN),
            &bad_reason,
            400,
            "erwartet: eine Zeichenkette",
        ),
        (
            "POST",
            "/v1/findings/F-38be7ac3588f551b/reject",
            Some(DPO_TOKEN),
            "{\"reason\": ",
            400,
            "kein gültiges JSON",
        ),
        (
            "POST",
            "/v1/findings/F-38be7ac3588f551b/approve",
            Some(FAKE_DPO_TOKEN),
            &ok_reason,
            403,
            "darf Befunde nicht freigeben",
        ),
        (
            "POST",
            "/v1/findings/F-38be7ac3588f551b/reject",
            Some(FAKE_DPO_TOKEN),
            &ok_reason,
            403,
            "darf Befunde nicht ablehnen",
        ),
        (
            "POST",
            "/v1/findings/F-0000000000000000/approve",
            Some(DPO_TOKEN),
            &ok_reason,
            404,
            "kein Befund `F-0000000000000000`",
        ),
        (
            "POST",
            "/v1/findings/F-38be7ac3588f551b/approve",
            None,
            &ok_reason,
            401,
            "kein Bearer-Token",
        ),
        (
            "GET",
            "/v1/journal/verify?expect_head=1:00",
            Some(MM_TOKEN),
            "",
            400,
            "`expect_head` hat nicht die Form SEQ:HASH",
        ),
        (
            "GET",
            "/v1/journal/verify",
            None,
            "",
            401,
            "kein Bearer-Token",
        ),
        (
            "POST",
            "/v1/gate",
            Some(CRM_TOKEN),
            &big,
            413,
            "der Body der Anfrage ist größer als erlaubt",
        ),
        (
            "POST",
            "/v1/model/changes",
            Some(CRM_TOKEN),
            &huge,
            413,
            "der Body der Anfrage ist größer als erlaubt",
        ),
        (
            "GET",
            "/v1/nothing",
            Some(MM_TOKEN),
            "",
            404,
            "keine solche Route (GET)",
        ),
    ];
    let mut said = String::new();
    for (method, path, token, body, status, expected) in &cases {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (s, v) = call(&app, method, &format!("{path}{sep}lang=de"), *token, body);
        assert_eq!(s, *status, "{path}: {v}");
        let err = &v["error"];
        let m = err["message"].as_str().expect("a message");
        assert!(m.contains(expected), "{path}: no `{expected}` in {v}");
        said.push_str(&format!("{m}\n{}\n", err["hint"].as_str().unwrap_or("")));
        let (s, v) = call(&app, method, path, *token, body);
        assert_eq!(s, *status, "{path}: {v}");
        let en = v["error"].to_string();
        assert!(!en.contains(expected), "{path}: {en}");
        for german in ["Fehler", "Hinweis", " ist ", " nicht "] {
            assert!(!en.contains(german), "{path}: {en}");
        }
    }
    let english = crate::lang::english_in_errors(&said);
    assert!(english.is_empty(), "{said}\n{}", english.join("\n"));
    // A verification that succeeds answers the same with `?lang=de`.
    let (s, v) = call(
        &app,
        "GET",
        "/v1/journal/verify?lang=de",
        Some(MM_TOKEN),
        "",
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["intact"], true, "{v}");
    // A language that is neither: the answer says so in both.
    for path in [
        "/v1/pending?lang=fr",
        "/v1/journal/verify?lang=fr",
        "/v1/findings/F-38be7ac3588f551b/approve?lang=fr",
    ] {
        let method = if path.contains("approve") {
            "POST"
        } else {
            "GET"
        };
        let token = if path.contains("journal") {
            MM_TOKEN
        } else {
            DPO_TOKEN
        };
        let (s, v) = call(&app, method, path, Some(token), &ok_reason);
        assert_eq!(s, 400, "{path}: {v}");
        let m = v["error"]["message"].as_str().expect("a message");
        assert!(
            m.contains("lang `fr` is not known")
                && m.contains("die Sprache `fr` ist nicht bekannt"),
            "{path}: {v}"
        );
        let h = v["error"]["hint"].as_str().expect("a hint");
        assert!(
            h.contains("lang=en or lang=de") && h.contains("lang=en oder lang=de"),
            "{v}"
        );
    }
}

/// A webhook receiver on a free loopback port: records each request's line and body and
/// answers with `status`.
struct Receiver {
    url: String,
    got: Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl Receiver {
    fn start(status: &'static str) -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!(
            "http://{}/alarms/sphere",
            listener.local_addr().expect("an address")
        );
        let got = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = Arc::clone(&got);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut s) = conn else { continue };
                let mut bytes = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then as many body bytes as Content-Length says.
                let (line, body) = loop {
                    let n = s.read(&mut buf).unwrap_or(0);
                    bytes.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().expect("a length"))
                            })
                            .expect("a Content-Length");
                        if body.len() >= len || n == 0 {
                            let line = head.lines().next().unwrap_or("").to_string();
                            break (line, body.to_string());
                        }
                    }
                    if n == 0 {
                        break (String::new(), String::new());
                    }
                };
                seen.lock().expect("lock").push((line, body));
                let _ = write!(s, "HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
            }
        });
        Receiver { url, got }
    }

    fn got(&self) -> Vec<(String, String)> {
        self.got.lock().expect("lock").clone()
    }
}

fn with_webhook(journal: &Path, url: &str) -> Arc<App> {
    let mut s = settings(journal);
    s.webhook = Some(sphere::server::webhook::Webhook::parse("test", url).expect("a URL"));
    App::start(kb(), model(), s).expect("starts").0
}

#[test]
fn the_webhook_gets_one_post_per_blocked_finding_and_facts_with_the_finding_as_json() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let receiver = Receiver::start("204 No Content");
    let app = with_webhook(&dir.path().join("j.db"), &receiver.url);
    let gate = json!({ "activity": CALL }).to_string();
    let mut first = None;
    for _ in 0..3 {
        let (status, v) = call(&app, "POST", "/v1/gate", Some(CRM_TOKEN), &gate);
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["verdict"], "blocked");
        first.get_or_insert(v);
    }
    app.flush_alarms();
    let got = receiver.got();
    assert_eq!(got.len(), 2, "three gates, one POST per finding: {got:?}");
    let text = metrics_text(&app);
    assert!(
        text.contains("sphere_webhook_posts_total{outcome=\"sent\"} 2\n")
            && text.contains("sphere_webhook_posts_total{outcome=\"failed\"} 0\n"),
        "{text}"
    );
    // Each body is the finding's JSON as the gate answered it, with the facts digest and the
    // activity the gate was asked about (what `sphere gate --notify` gives its command).
    let first = first.expect("a gate");
    let mut expected: Vec<Value> = first["blocking"]
        .as_array()
        .expect("blocking")
        .iter()
        .map(|b| {
            let mut b = b.clone();
            let o = b.as_object_mut().expect("an object");
            o.remove("approval");
            o.remove("alerted");
            o.insert("gate_activity".into(), json!(CALL));
            b
        })
        .collect();
    let mut bodies: Vec<Value> = got
        .iter()
        .map(|(line, body)| {
            assert_eq!(line, "POST /alarms/sphere HTTP/1.1");
            serde_json::from_str(body).expect("the body is JSON")
        })
        .collect();
    let by_id = |v: &Value| v["id"].as_str().unwrap_or("").to_string();
    expected.sort_by_key(by_id);
    bodies.sort_by_key(by_id);
    assert_eq!(bodies, expected);

    // Another planned call to the same person (sent with the gate): other facts, a new alarm
    // for each of its blocking findings, and none again for the first call.
    let mut other: Value = serde_json::from_str(&model_text()).expect("JSON");
    let mut planned = other["activities"]
        .as_array_mut()
        .expect("activities")
        .iter()
        .find(|a| a["id"] == CALL)
        .expect("the call")
        .clone();
    planned["id"] = "act-s4-call-2".into();
    planned["date"] = "2025-06-20".into();
    other = json!({ "activity": planned });
    for _ in 0..2 {
        let (status, v) = call(
            &app,
            "POST",
            "/v1/gate",
            Some(CRM_TOKEN),
            &other.to_string(),
        );
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["verdict"], "blocked", "{v}");
    }
    app.flush_alarms();
    let got = receiver.got();
    assert_eq!(
        got.len(),
        4,
        "two more POSTs, one per finding of the new call: {got:?}"
    );
    assert!(got[2..]
        .iter()
        .all(|(_, body)| body.contains("\"gate_activity\":\"act-s4-call-2\"")));
}

#[test]
fn a_failing_webhook_neither_loses_the_block_nor_holds_up_the_gate() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for receiver_url in [
        // Answers 500.
        Receiver::start("500 Internal Server Error").url,
        // Nobody listens: the port was free a moment ago.
        {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
            format!("http://{}/", l.local_addr().expect("an address"))
        },
    ] {
        let journal = dir.path().join(format!("{}.db", receiver_url.len()));
        let app = with_webhook(&journal, &receiver_url);
        let (status, v) = call(
            &app,
            "POST",
            "/v1/gate",
            Some(CRM_TOKEN),
            &json!({ "activity": CALL }).to_string(),
        );
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["verdict"], "blocked");
        app.flush_alarms();
        let (status, pending) = call(&app, "GET", "/v1/pending", Some(MM_TOKEN), "");
        assert_eq!(status, 200);
        assert_eq!(pending.as_array().map(Vec::len), Some(2), "{pending}");
        // Both alarms failed, and /metrics says so.
        let text = metrics_text(&app);
        assert!(
            text.contains("sphere_webhook_posts_total{outcome=\"failed\"} 2\n")
                && text.contains("sphere_webhook_posts_total{outcome=\"sent\"} 0\n"),
            "{receiver_url}: {text}"
        );
        let mut j = Journal::open(&journal, &Config::default()).expect("journal");
        assert!(j.verify(None).expect("verify").is_intact());
    }
}

#[test]
fn the_configuration_takes_a_webhook_and_refuses_https_with_a_hint() {
    let text =
        |hook: &str| format!(r#"{{"format": "sphere-server/1", "tokens": [], "webhook": {hook}}}"#);
    let ok = text("\"http://127.0.0.1:8090/alarms\"");
    assert!(Auth::from_text("server.json", &ok).is_ok());
    let w = sphere::server::webhook::from_config("server.json", &ok)
        .expect("valid")
        .expect("a webhook");
    assert_eq!(w.url, "http://127.0.0.1:8090/alarms");
    let e =
        sphere::server::webhook::from_config("server.json", &text("\"https://alerts.example/x\""))
            .expect_err("https");
    assert!(
        e.message().contains("server.json: $.webhook"),
        "{}",
        e.message()
    );
    assert!(
        e.hint().is_some_and(|h| h.contains("http://")),
        "{:?}",
        e.hint()
    );
    let e = sphere::server::webhook::from_config("server.json", &text("3")).expect_err("a number");
    assert!(e.message().contains("$.webhook"), "{}", e.message());
    assert!(sphere::server::webhook::from_config(
        "server.json",
        r#"{"format": "sphere-server/1", "tokens": []}"#
    )
    .expect("valid")
    .is_none());
}

/// A bound on evaluation (`Settings::eval_limits`) that the demo week just meets: a subject the
/// CRM adds is applied in parts, within the bound, but the whole model passes it. Over
/// loopback, the routes that need the whole model's outcome answer with the evaluation error's
/// status and its JSON body (the web view with its error page); the gate, which needs only a
/// part, and the health check still answer, and asking again gives the same error.
#[test]
fn a_whole_model_past_its_bound_is_an_error_answer_not_a_dead_request() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let bound = crate::bounded_model_tuples();
    let mut s = settings(&dir.path().join("j.db"));
    s.eval_limits = sphere::Limits {
        max_tuples: Some(bound),
        ..sphere::Limits::NONE
    };
    let text = std::fs::read_to_string(crate::BOUNDED_MODEL).expect("the fixture");
    let model = Model::from_text(crate::BOUNDED_MODEL, &text, today()).expect("a valid model");
    let activity = model.company().expect("a company model").activities[0]
        .id
        .clone();
    let (app, _) = App::start(kb(), model, s).expect("the model meets its bound");
    let server = Loopback::start(app);
    let (status, _, body) = server.request("GET", "/v1/findings", Some(DPO_TOKEN), "");
    assert_eq!(status, 200, "{body}");
    let batch = json!({"subjects": [{
        "id": "subj-new-customer",
        "name": "New Customer",
        "kind": "consumer",
        "country": "DE",
    }]});
    let (status, _, body) = server.request(
        "POST",
        "/v1/model/changes",
        Some(CRM_TOKEN),
        &batch.to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let past = format!("the relations together grew past {bound} tuples");
    for path in ["/v1/findings", "/v1/pending", "/v1/findings"] {
        let (status, head, body) = server.request("GET", path, Some(DPO_TOKEN), "");
        assert_eq!(status, 500, "{path}: {body}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{path}: {head}"
        );
        let v: Value = serde_json::from_str(&body).expect("a JSON error body");
        assert_eq!(v["error"]["kind"], "evaluation", "{path}: {v}");
        let message = v["error"]["message"].as_str().expect("a message");
        assert!(message.contains(&past), "{path}: {v}");
        assert!(v["error"]["hint"].is_string(), "{path}: {v}");
    }
    // The web view: the error page with the message, after a login.
    let cookie = dpo_login(&server, "en");
    let (status, _, page) = server.send("GET", "/ui/findings", &[("Cookie", &cookie)], "");
    assert_eq!(status, 500, "{page}");
    assert!(page.contains(&past), "{page}");
    // A part and no evaluation at all still answer.
    let (status, _, body) = server.request(
        "POST",
        "/v1/gate",
        Some(CRM_TOKEN),
        &json!({ "activity": activity }).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = server.request("GET", "/healthz", None, "");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(v["status"], "ok", "{v}");
}

/// `sphere serve --max-tuples N` bounds every evaluation of the server: the demo week evaluates
/// at the bound; a change that takes the whole model past it makes the findings an error
/// answer (500, kind `evaluation`, the bound named) while the server goes on; one tuple less
/// and the server refuses the model at the start (exit 2, the bound named).
#[test]
fn serve_with_max_tuples_answers_past_the_bound_with_an_error_and_refuses_a_model_past_it() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let bound = crate::bounded_model_tuples();
    let (_server, addr) = serve_process_with(
        dir.path(),
        &dir.path().join("bounded.db"),
        crate::BOUNDED_MODEL,
        &["--max-tuples", &bound.to_string()],
    );
    let (status, v) = http(addr, "GET", "/v1/findings", DPO_TOKEN, "").expect("an answer");
    assert_eq!(status, 200, "{v}");
    let batch = json!({"subjects": [{
        "id": "subj-new-customer",
        "name": "New Customer",
        "kind": "consumer",
        "country": "DE",
    }]});
    let (status, v) = http(
        addr,
        "POST",
        "/v1/model/changes",
        CRM_TOKEN,
        &batch.to_string(),
    )
    .expect("an answer");
    assert_eq!(status, 200, "{v}");
    let (status, v) = http(addr, "GET", "/v1/findings", DPO_TOKEN, "").expect("an answer");
    assert_eq!(status, 500, "{v}");
    assert_eq!(v["error"]["kind"], "evaluation", "{v}");
    let message = v["error"]["message"].as_str().expect("a message");
    assert!(
        message.contains(&format!("the relations together grew past {bound} tuples")),
        "{v}"
    );
    let (status, v) = http(addr, "GET", "/healthz", DPO_TOKEN, "").expect("an answer");
    assert_eq!(status, 200, "the server goes on: {v}");

    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args([
            "serve",
            crate::BOUNDED_MODEL,
            "--listen",
            "127.0.0.1:0",
            "--config",
        ])
        .arg(dir.path().join("server.json"))
        .arg("--journal")
        .arg(dir.path().join("refused.db"))
        .args(["--max-tuples", &(bound - 1).to_string()])
        .env_remove("SPHERE_JOURNAL")
        .output()
        .expect("sphere serve runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("grew past {} tuples", bound - 1)),
        "{stderr}"
    );
    assert!(!stderr.contains("listening on"), "{stderr}");
}
