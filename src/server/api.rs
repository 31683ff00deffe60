//! The routes of the decision API and their handlers. Every handler runs its work on a
//! blocking thread (the state sits behind one lock and evaluation is CPU work), checks the
//! bearer token first, and answers errors as [`super::error_json`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::auth::{Principal, Role};
use super::{changes, error_json, head_json, run_gate, App};
use crate::error::{Error, ErrorKind};
use crate::gate::{self, Decided, Verb};
use crate::journal::Payload;
use crate::render;
use crate::{Lang, Texts};

/// An answer other than success: a status and a JSON body.
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub body: Value,
    /// The message and hint in German, where the error has them (the web pages in German
    /// show them; the JSON API answers in English).
    pub de: Option<Box<(String, Option<String>)>>,
    /// The whole JSON body in German (message, every problem, the text), where the error has
    /// German words: a request with `?lang=de` gets it.
    de_body: Option<Box<Value>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match e.kind() {
            ErrorKind::Io | ErrorKind::Evaluation => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::of(status, e)
    }
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>, hint: &str) -> ApiError {
        ApiError::of(
            status,
            Error::new(ErrorKind::Usage, message).with_hint(hint),
        )
    }

    /// An error with its message and hint in English and German.
    pub fn texts(status: StatusCode, message: Texts, hint: Texts) -> ApiError {
        ApiError::of(
            status,
            Error::texts(ErrorKind::Usage, message).with_hint_texts(hint),
        )
    }

    /// A library error answered with `status`.
    pub fn of(status: StatusCode, e: Error) -> ApiError {
        let de = e.clone().in_lang(Lang::De);
        // A model's problems have no hint of the error's own: the first problem's is the one.
        let de = (de.message() != e.message()).then(|| {
            let hint = de.hint().map(str::to_string).or_else(|| {
                de.problems()
                    .into_iter()
                    .find(|p| !p.warning)
                    .and_then(|p| p.hint)
            });
            Box::new((de.message(), hint))
        });
        let body = error_json(&e);
        let de_body = Some(error_json(&e.clone().in_lang(Lang::De)))
            .filter(|b| *b != body)
            .map(Box::new);
        ApiError {
            status,
            body,
            de,
            de_body,
        }
    }

    /// The error with its JSON message, hint and every problem in `lang` where it has German
    /// words (a request with `?lang=de`); the codes, places and kinds stay.
    pub fn in_lang(mut self, lang: Lang) -> ApiError {
        if lang == Lang::De {
            if let Some(body) = self.de_body.take() {
                self.body = *body;
            }
            if let Some((m, h)) = self.de.as_deref() {
                if let Some(err) = self.body.get_mut("error") {
                    err["message"] = json!(m);
                    if h.is_some() {
                        err["hint"] = json!(h);
                    }
                    if let Some(first) = err
                        .get_mut("problems")
                        .and_then(Value::as_array_mut)
                        .and_then(|p| p.first_mut())
                    {
                        first["message"] = json!(m);
                        if h.is_some() {
                            first["hint"] = json!(h);
                        }
                    }
                }
            }
        }
        self
    }

    /// The message and hint in `lang` (English where the error has no German).
    pub fn words(&self, lang: Lang) -> (String, Option<String>) {
        match (self.de.as_deref(), lang) {
            (Some((m, h)), Lang::De) => (m.clone(), h.clone()),
            _ => {
                let err = &self.body["error"];
                (
                    err["message"].as_str().unwrap_or("error").to_string(),
                    err["hint"].as_str().map(str::to_string),
                )
            }
        }
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

/// Runs `f` on a blocking thread. A panic in `f` (a bug) is a 500, never a dead server.
pub(crate) async fn blocking<F>(app: Arc<App>, f: F) -> Response
where
    F: FnOnce(&App) -> ApiResult + Send + 'static,
{
    match tokio::task::spawn_blocking(move || f(&app)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => e.into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request failed inside the server",
            "this is a bug in sphere; the state is unchanged",
        )
        .into_response(),
    }
}

/// The API's routes, with `pages` (the web view's routes, which take their helpers from here)
/// merged in, the fallback and the request counter around all of them.
pub(crate) fn router(app: Arc<App>, pages: Router<Arc<App>>) -> Router {
    let changes_limit = app.limits.changes_bytes;
    let body_limit = app.limits.body_bytes;
    let api = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/gate", post(gate_route))
        .route("/v1/findings", get(findings))
        .route("/v1/findings/{id}", get(finding))
        .route("/v1/findings/{id}/approve", post(approve))
        .route("/v1/findings/{id}/reject", post(reject))
        .route("/v1/pending", get(pending))
        .route("/v1/journal/verify", get(verify))
        .layer(DefaultBodyLimit::max(body_limit))
        .merge(
            Router::new()
                .route("/v1/model/changes", post(post_changes))
                .layer(DefaultBodyLimit::max(changes_limit)),
        )
        .merge(pages);
    api.fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&app), track))
        .with_state(app)
}

/// Counts every request and its latency by route.
async fn track(State(app): State<Arc<App>>, req: axum::extract::Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    app.metrics.request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

async fn not_found(method: Method, RawQuery(query): RawQuery) -> ApiError {
    let de = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|pair| pair == "lang=de"));
    ApiError::texts(
        StatusCode::NOT_FOUND,
        Texts::new(
            format!("no such route ({method})"),
            format!("keine solche Route ({method})"),
        ),
        Texts::new(
            "GET /v1/openapi.json lists the routes",
            "GET /v1/openapi.json führt die Routen auf",
        ),
    )
    .in_lang(if de { Lang::De } else { Lang::En })
}

/// The bearer token of a request, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Checks the token and the role; every refusal is journaled.
pub(crate) fn authorize(
    app: &App,
    headers: &HeaderMap,
    attempted: &str,
    role: Option<Role>,
) -> Result<Principal, ApiError> {
    let Some(token) = bearer(headers) else {
        app.refuse("anonymous", attempted, "no-token")?;
        return Err(ApiError::texts(
            StatusCode::UNAUTHORIZED,
            Texts::new("no bearer token", "kein Bearer-Token"),
            Texts::new(
                "send `Authorization: Bearer TOKEN`; the server's configuration lists who may ask",
                "`Authorization: Bearer TOKEN` senden; die Konfiguration des Servers führt, wer fragen darf",
            ),
        ));
    };
    let Some(p) = app.auth.principal(token).cloned() else {
        app.refuse("anonymous", attempted, "bad-token")?;
        return Err(ApiError::texts(
            StatusCode::UNAUTHORIZED,
            Texts::new(
                "the token is not known to this server",
                "dieser Server kennt das Token nicht",
            ),
            Texts::new(
                "ask the server's administrator for a token",
                "die Administration des Servers um ein Token bitten",
            ),
        ));
    };
    check_role(app, &p, attempted, role)?;
    Ok(p)
}

pub(crate) fn check_role(
    app: &App,
    p: &Principal,
    attempted: &str,
    role: Option<Role>,
) -> Result<(), ApiError> {
    if let Some(r) = role {
        if !p.has(r) {
            app.refuse(&p.staff, attempted, "wrong-role")?;
            return Err(ApiError::texts(
                StatusCode::FORBIDDEN,
                Texts::new(
                    format!(
                        "{} may not do this: it needs the role `{}`",
                        p.staff,
                        r.as_str()
                    ),
                    format!(
                        "{} darf das nicht: es braucht die Rolle `{}`",
                        p.staff,
                        r.as_str()
                    ),
                ),
                Texts::new(
                    "the refusal is recorded in the journal",
                    "die Weigerung ist im Journal vermerkt",
                ),
            ));
        }
    }
    Ok(())
}

/// `v` as a JSON answer, written and dropped without recursion: an explanation holds a
/// derivation tree as deep as the evaluation had rounds, and serde's serialiser and the
/// value's drop recurse once per level (a chain of ten thousand steps overflowed the stack
/// of a blocking thread and aborted the server).
fn json_response(v: Value) -> Response {
    let text = render::json::compact(&v);
    render::json::dispose(v);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        text,
    )
        .into_response()
}

pub(crate) fn lang_of(q: &BTreeMap<String, String>) -> Result<Lang, ApiError> {
    match q.get("lang").map(String::as_str) {
        None | Some("en") => Ok(Lang::En),
        Some("de") => Ok(Lang::De),
        // The language asked for is none of the two: the answer says it in both.
        Some(other) => {
            let message =
                format!("lang `{other}` is not known; die Sprache `{other}` ist nicht bekannt");
            let hint = "lang=en or lang=de; lang=en oder lang=de";
            Err(ApiError::texts(
                StatusCode::BAD_REQUEST,
                Texts::new(message.clone(), message),
                Texts::new(hint, hint),
            ))
        }
    }
}

/// A request body as JSON: invalid JSON names its line and column, a key given twice in one
/// object (which serde_json would read as its last value) its JSON path, as the model reader
/// does.
pub(crate) fn body_json(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body_bytes(body)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        let err = Error::validation(
            ErrorKind::Model,
            vec![sphere_model::ValidationError::new(
                sphere_model::ErrorKind::Syntax,
                "request",
                sphere_model::Place::Line(e.line(), e.column()),
                format!("not valid JSON: {}", strip_position(&e.to_string())),
            )
            .de(format!(
                "kein gültiges JSON: {}",
                sphere_model::load::syntax_de(&strip_position(&e.to_string()))
                    .map_or_else(|| strip_position(&e.to_string()), str::to_string)
            ))
            .with_hints(
                "the body is one JSON object; JSON allows no trailing commas and no comments",
                "der Inhalt ist ein JSON-Objekt; JSON erlaubt weder Kommas am Ende noch Kommentare",
            )],
        );
        ApiError::from(err)
    })?;
    // serde_json read it, so it is UTF-8.
    let text = String::from_utf8_lossy(&bytes);
    crate::error::strict_json("request", &text).map_err(ApiError::from)?;
    Ok(value)
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

pub(crate) fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        let status = e.status();
        let de = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "der Body der Anfrage ist größer als erlaubt".to_string()
        } else {
            format!("der Body der Anfrage lässt sich nicht lesen: {}", e.body_text())
        };
        ApiError::texts(
            status,
            Texts::new(
                format!("the request body cannot be read: {}", e.body_text()),
                de,
            ),
            Texts::new(
                "bodies are limited in size (see docs/server.md); send a smaller batch",
                "die Größe eines Bodys ist begrenzt (siehe docs/server.md); einen kleineren Stapel senden",
            ),
        )
    })
}

/// A problem with a JSON path in the request body, in English and German.
pub(crate) fn at_path(path: &str, message: Texts, hint: Texts) -> ApiError {
    ApiError::from(Error::validation(
        ErrorKind::Model,
        vec![sphere_model::ValidationError::at_path(
            sphere_model::ErrorKind::WrongType,
            "request",
            path,
            message.en,
        )
        .de(message.de)
        .with_hints(hint.en, hint.de)],
    ))
}

fn check_keys(v: &Value, keys: &[&str]) -> Result<(), ApiError> {
    let Some(o) = v.as_object() else {
        return Err(at_path(
            "$",
            Texts::new(
                "the body is not a JSON object",
                "der Inhalt ist kein JSON-Objekt",
            ),
            Texts::new("send one JSON object", "ein JSON-Objekt senden"),
        ));
    };
    for k in o.keys() {
        if !keys.contains(&k.as_str()) {
            let hint = match crate::did_you_mean(k, keys.iter().copied()) {
                Some(s) => crate::did_you_mean_texts(&s),
                None => changes::keys_are(keys),
            };
            return Err(ApiError::from(Error::validation(
                ErrorKind::Model,
                vec![sphere_model::ValidationError::at_path(
                    sphere_model::ErrorKind::UnknownKey,
                    "request",
                    format!("$.{k}"),
                    format!("unknown key `{k}`"),
                )
                .de(format!("unbekannter Schlüssel `{k}`"))
                .with_hints(hint.en, hint.de)],
            )));
        }
    }
    Ok(())
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    blocking(app, |app| {
        let core = app.core();
        let status = if core.broken.is_some() {
            "broken"
        } else {
            "ok"
        };
        let code = if core.broken.is_some() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        };
        // The session's findings, digests and date: a health check evaluates nothing.
        let session = &core.session;
        Ok((
            code,
            axum::Json(json!({
                "status": status,
                "findings": session.findings().len(),
                "kb_digest": session.kb().digest(),
                "model_digest": session.model().digest(),
                "as_of": session.as_of().to_string(),
            })),
        )
            .into_response())
    })
    .await
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    blocking(app, |app| {
        let size = {
            let core = app.core();
            let model = core.session.model();
            let facts = model.facts();
            let company = model.company();
            super::metrics::ModelSize {
                activities: company.map_or(facts.count("activity"), |m| m.activities.len()),
                subjects: company.map_or(0, |m| m.subjects.len()),
                consents: company.map_or(0, |m| m.consents.len()),
                findings: core.session.findings().len(),
                input_facts: facts.len(),
            }
        };
        let text = app.metrics.render(&size);
        Ok((
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            text,
        )
            .into_response())
    })
    .await
}

async fn openapi() -> Response {
    json_response(super::openapi::document())
}

async fn gate_route(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    blocking(app, move |app| {
        let p = authorize(app, &headers, "POST /v1/gate", Some(Role::Crm))
            .map_err(|e| e.in_lang(lang_of(&q).unwrap_or(Lang::En)))?;
        let lang = lang_of(&q)?;
        gate_answer(app, &p, body, lang).map_err(|e| e.in_lang(lang))
    })
    .await
}

/// The gate's answer to a request of `p`, every error in the words of `lang`.
fn gate_answer(
    app: &App,
    p: &Principal,
    body: Result<Bytes, BytesRejection>,
    lang: Lang,
) -> ApiResult {
    let v = body_json(body)?;
    check_keys(&v, &["activity"])?;
    let activity = match v.get("activity") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(Value::Object(o)) => planned(app, o, &p.staff)?,
        Some(other) => {
            return Err(at_path(
                "$.activity",
                Texts::new(
                    format!("expected an activity id or an activity object, found {other}"),
                    format!("erwartet: die ID einer Tätigkeit oder ein Tätigkeitsobjekt, gefunden: {other}"),
                ),
                Texts::new(
                    "{\"activity\": \"act-1\"} or {\"activity\": {\"id\": \"act-1\", \"kind\": \"contact\", ...}}",
                    "{\"activity\": \"act-1\"} oder {\"activity\": {\"id\": \"act-1\", \"kind\": \"contact\", ...}}",
                ),
            ))
        }
        None => {
            return Err(at_path(
                "$",
                Texts::new(
                    "the key `activity` is missing",
                    "der Pflichtschlüssel `activity` fehlt",
                ),
                Texts::new(
                    "{\"activity\": \"act-1\"} or {\"activity\": {\"id\": \"act-1\", ...}}",
                    "{\"activity\": \"act-1\"} oder {\"activity\": {\"id\": \"act-1\", ...}}",
                ),
            ))
        }
    };
    let gated = run_gate(app, &activity, &p.staff, lang)?;
    Ok(json_response(gated))
}

/// A planned activity sent with the gate: it becomes part of the model (a change, journaled),
/// unless the model holds it already as sent. Problems name `$.activity`.
fn planned(app: &App, o: &serde_json::Map<String, Value>, actor: &str) -> Result<String, ApiError> {
    let text = json!({ "activities": [Value::Object(o.clone())] }).to_string();
    let batch = changes::parse("request", &text).map_err(|e| {
        let errors: Vec<_> = e
            .validation_errors()
            .iter()
            .cloned()
            .map(|mut v| {
                if let sphere_model::Place::Path(p) = &mut v.place {
                    *p = p.replacen("$.activities[0]", "$.activity", 1);
                }
                v
            })
            .collect();
        if errors.is_empty() {
            ApiError::from(e)
        } else {
            ApiError::from(Error::validation(ErrorKind::Model, errors))
        }
    })?;
    let Some(crate::Change::Put(crate::Object::Activity(a))) = batch.changes.first() else {
        return Err(at_path(
            "$.activity",
            Texts::new("not an activity", "keine Tätigkeit"),
            Texts::new("send an activity object", "ein Tätigkeitsobjekt senden"),
        ));
    };
    let id = a.id.to_string();
    let same = app
        .core()
        .session
        .model()
        .company()
        .is_some_and(|m| m.activities.iter().any(|x| x == a));
    if !same {
        app.apply(&batch, actor)?;
    }
    Ok(id)
}

/// `sphere-findings/1` of the current model; filters keep the summary of the whole model and
/// list only the findings that pass.
pub(crate) fn findings_doc(app: &App, q: &BTreeMap<String, String>) -> Result<Value, ApiError> {
    let lang = lang_of(q)?;
    for k in q.keys() {
        if !["lang", "decision", "law", "activity", "subject", "date"].contains(&k.as_str()) {
            return Err(ApiError::texts(
                StatusCode::BAD_REQUEST,
                Texts::new(
                    format!("unknown filter `{k}`"),
                    format!("unbekannter Filter `{k}`"),
                ),
                Texts::new(
                    "filters: decision, law, activity, subject, date (YYYY-MM-DD), lang",
                    "Filter: `decision`, `law`, `activity`, `subject`, `date` (YYYY-MM-DD), `lang`",
                ),
            )
            .in_lang(lang));
        }
    }
    let core = app.core();
    let outcome = core.session.try_outcome()?;
    let mut doc = render::json::document(
        outcome,
        &render::json::Options {
            lang,
            tree: false,
            suppressed: false,
        },
    );
    let filtered = q.keys().any(|k| k != "lang");
    if filtered {
        let keep: Vec<bool> = outcome.findings().iter().map(|f| passes(f, q)).collect();
        if let Some(list) = doc.get_mut("findings").and_then(Value::as_array_mut) {
            let mut i = 0;
            list.retain(|_| {
                i += 1;
                keep[i - 1]
            });
        }
    }
    Ok(doc)
}

pub(crate) fn passes(f: &crate::Finding, q: &BTreeMap<String, String>) -> bool {
    let ok =
        |key: &str, test: &dyn Fn(&str) -> bool| q.get(key).is_none_or(|v| v.is_empty() || test(v));
    ok("decision", &|v| f.decision.as_str() == v)
        && ok("law", &|v| {
            f.norms
                .iter()
                .any(|n| n.id.split(':').next() == Some(v) || n.id.starts_with(&format!("{v}.")))
        })
        && ok("activity", &|v| f.about.activity() == Some(v))
        && ok("subject", &|v| f.subjects.iter().any(|s| s == v))
        && ok("date", &|v| f.date.to_string() == v)
}

async fn findings(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    blocking(app, move |app| {
        authorize(app, &headers, "GET /v1/findings", None)
            .map_err(|e| e.in_lang(lang_of(&q).unwrap_or(Lang::En)))?;
        Ok(json_response(findings_doc(app, &q)?))
    })
    .await
}

/// A finding's explanation, and for a finding that blocks its facts digest and where it
/// stands with the DPO.
pub(crate) fn finding_doc(app: &App, id: &str, lang: Lang) -> Result<Value, ApiError> {
    let core = app.core();
    let outcome = core.session.try_outcome()?;
    let explanation = outcome
        .explain(id)
        .map_err(|e| ApiError::of(StatusCode::NOT_FOUND, e))?;
    // Where the finding stands with the DPO, before the document is made: an error must not
    // drop a deep document on the way out (its drop recurses; `dispose` does not).
    let mut approval = None;
    if let Some(i) = outcome.findings().iter().position(|f| f.id == id) {
        if outcome.findings()[i].needs_action() {
            if let Some(d) = gate::facts_digest(outcome, i) {
                let today = app.now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
                let r = crate::journal::FindingRef {
                    id: id.to_string(),
                    facts_digest: d.clone(),
                };
                let status = gate::status(&core.journal, &r, today)?;
                approval = Some((d, render::gate::status(&status)));
            }
        }
    }
    let mut doc = render::json::explanation(&explanation, lang);
    if let (Some((d, status)), Some(o)) = (approval, doc.as_object_mut()) {
        o.insert("facts_digest".into(), json!(d));
        o.insert("approval".into(), status);
    }
    Ok(doc)
}

async fn finding(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    blocking(app, move |app| {
        authorize(app, &headers, "GET /v1/findings/{id}", None)
            .map_err(|e| e.in_lang(lang_of(&q).unwrap_or(Lang::En)))?;
        let lang = lang_of(&q)?;
        Ok(json_response(
            finding_doc(app, &id, lang).map_err(|e| e.in_lang(lang))?,
        ))
    })
    .await
}

async fn approve(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    decide_route(app, headers, id, q, body, Verb::Approve).await
}

async fn reject(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    decide_route(app, headers, id, q, body, Verb::Reject).await
}

async fn decide_route(
    app: Arc<App>,
    headers: HeaderMap,
    id: String,
    q: BTreeMap<String, String>,
    body: Result<Bytes, BytesRejection>,
    verb: Verb,
) -> Response {
    blocking(app, move |app| {
        let attempted = format!("POST /v1/findings/{{id}}/{}", verb.as_str());
        let p = authorize(app, &headers, &attempted, Some(Role::Dpo))
            .map_err(|e| e.in_lang(lang_of(&q).unwrap_or(Lang::En)))?;
        let lang = lang_of(&q)?;
        decide_answer(app, &p, &id, body, verb).map_err(|e| e.in_lang(lang))
    })
    .await
}

/// The answer to a decision of `p` on the finding `id`, its errors with German words.
fn decide_answer(
    app: &App,
    p: &Principal,
    id: &str,
    body: Result<Bytes, BytesRejection>,
    verb: Verb,
) -> ApiResult {
    {
        let v = body_json(body)?;
        check_keys(&v, &["reason", "until"])?;
        let reason =
            match v.get("reason") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => return Err(at_path(
                    "$.reason",
                    Texts::new(
                        format!("expected a string, found {other}"),
                        format!("erwartet: eine Zeichenkette, gefunden: {other}"),
                    ),
                    Texts::new(
                        "say why, as text; the journal keeps only its digest",
                        "die Begründung als Text angeben; das Journal behält nur ihren Hashwert",
                    ),
                )),
                None => String::new(),
            };
        let until = match v.get("until") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.parse::<jiff::civil::Date>().map_err(|_| {
                at_path(
                    "$.until",
                    Texts::new(
                        format!("\"{s}\" is not a date"),
                        format!("\"{s}\" ist kein Datum"),
                    ),
                    Texts::new(
                        "write the last day the approval applies as YYYY-MM-DD",
                        "den letzten Tag, für den die Freigabe gilt, als YYYY-MM-DD schreiben",
                    ),
                )
            })?),
            Some(other) => {
                return Err(at_path(
                    "$.until",
                    Texts::new(
                        format!("expected a date, found {other}"),
                        format!("erwartet: ein Datum, gefunden: {other}"),
                    ),
                    Texts::new("write YYYY-MM-DD", "YYYY-MM-DD schreiben"),
                ))
            }
        };
        decide(app, p, verb, id, &reason, until).map(json_response)
    }
}

/// The library's decision; a refusal (not the model's DPO) is a 403, journaled by the
/// library.
pub(crate) fn decide(
    app: &App,
    p: &Principal,
    verb: Verb,
    id: &str,
    reason: &str,
    until: Option<jiff::civil::Date>,
) -> Result<Value, ApiError> {
    let mut core = app.core();
    if core.broken.is_some() {
        return Err(ApiError::texts(
            StatusCode::SERVICE_UNAVAILABLE,
            Texts::new(
                "the server's state is ahead of its journal",
                "der Zustand des Servers ist seinem Journal voraus",
            ),
            Texts::new("restart the server", "den Server neu starten"),
        ));
    }
    let dpo = App::dpo(&core);
    let known = core.session.try_outcome()?.find(id).is_some();
    if !known && dpo.as_deref() == Some(p.staff.as_str()) {
        return Err(ApiError::texts(
            StatusCode::NOT_FOUND,
            Texts::new(
                format!("no finding `{id}` in this model"),
                format!("kein Befund `{id}` in diesem Modell"),
            ),
            Texts::new(
                "GET /v1/findings lists the findings and their ids",
                "GET /v1/findings zeigt die Befunde und ihre Kennungen",
            ),
        ));
    }
    let request = app.request(&p.staff);
    let core = &mut *core;
    let decided = gate::decide(
        &mut core.journal,
        core.session.try_outcome()?,
        dpo.as_deref(),
        verb,
        id,
        reason,
        until,
        &request,
    )?;
    match decided {
        Decided::Recorded { finding, head } => Ok(json!({
            "finding_id": finding.id,
            "facts_digest": finding.facts_digest,
            "decision": verb.as_str(),
            "journal_head": head_json(&head),
        })),
        Decided::Refused { dpo, .. } => Err(ApiError::texts(
            StatusCode::FORBIDDEN,
            Texts::new(
                format!(
                    "{} may not {} findings: only the DPO decides; the refusal is recorded",
                    p.staff,
                    verb.as_str()
                ),
                format!(
                    "{} darf Befunde nicht {}: nur der/die DSB entscheidet; die Weigerung ist vermerkt",
                    p.staff,
                    match verb {
                        Verb::Approve => "freigeben",
                        Verb::Reject => "ablehnen",
                    }
                ),
            ),
            match dpo {
                Some(d) => Texts::new(
                    format!("the model's DPO is {d}"),
                    format!("der/die DSB des Modells ist {d}"),
                ),
                None => Texts::new("the model names no DPO", "das Modell nennt keinen DSB"),
            },
        )),
    }
}

/// What waits for the DPO, oldest first (the fields of `sphere pending --format json`).
///
/// The server holds one model that changes under it, so a block whose facts are no longer
/// the finding's facts in that model (the CRM changed them since, or the finding is gone) is
/// superseded and not listed: approving the finding now binds to its current facts, and the
/// next gate blocks (and alerts) again on those. The command line lists every open block of
/// the journal, because it may be given other model files than the ones a gate saw.
pub(crate) fn pending_list(app: &App, lang: Lang) -> Result<Vec<Value>, ApiError> {
    let core = app.core();
    let outcome = core.session.try_outcome()?;
    let now = app.now();
    let waiting = core.journal.pending().map_err(gate::journal_error)?;
    let mut out = Vec::new();
    for e in &waiting {
        let Some(r) = &e.finding else { continue };
        let index = outcome.findings().iter().position(|f| f.id == r.id);
        let current = index
            .and_then(|i| gate::facts_digest(outcome, i))
            .is_some_and(|d| d == r.facts_digest);
        if !current {
            continue;
        }
        let f = index.map(|i| &outcome.findings()[i]);
        let waited = e
            .time()
            .map_or(0, |t| (now.as_second() - t.as_second()).max(0));
        let activity = match &e.payload {
            Payload::Block(b) => b.activity_id.clone(),
            _ => String::new(),
        };
        out.push(json!({
            "entry": e.seq,
            "since": e.time().map(|t| t.to_string()),
            "waited_seconds": waited,
            "activity": activity,
            "finding_id": r.id,
            "facts_digest": r.facts_digest,
            "in_model": f.is_some(),
            "message": f.map(|f| f.message.get(lang).to_string()),
            "remedy": f.map(|f| f.remedy.get(lang).to_string()),
            "citations": f.map(|f| f.citations(lang)),
        }));
    }
    Ok(out)
}

async fn pending(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    blocking(app, move |app| {
        authorize(app, &headers, "GET /v1/pending", None)
            .map_err(|e| e.in_lang(lang_of(&q).unwrap_or(Lang::En)))?;
        let lang = lang_of(&q)?;
        Ok(json_response(Value::Array(pending_list(app, lang)?)))
    })
    .await
}

async fn verify(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    blocking(app, move |app| {
        authorize(app, &headers, "GET /v1/journal/verify", None)
            .map_err(|e| e.in_lang(lang_of(&q).unwrap_or(Lang::En)))?;
        let lang = lang_of(&q)?;
        let expect = match q.get("expect_head") {
            None => None,
            Some(h) => Some(h.parse::<crate::journal::Head>().map_err(|e| {
                ApiError::texts(
                    StatusCode::BAD_REQUEST,
                    Texts::new(
                        e.to_string(),
                        format!("`expect_head` hat nicht die Form SEQ:HASH (`{h}`)"),
                    ),
                    Texts::new("expect_head=SEQ:HASH", "expect_head=SEQ:HASH"),
                )
                .in_lang(lang)
            })?),
        };
        let mut core = app.core();
        let v = core
            .journal
            .verify(expect.as_ref())
            .map_err(|e| ApiError::from(gate::journal_error(e)).in_lang(lang))?;
        Ok(json_response(json!({
            "intact": v.is_intact(),
            "entries": v.entries,
            "first_seq": v.first_seq,
            "head": head_json(&v.head),
            "problem": v.problem.as_ref().map(|p| json!({
                "seq": p.seq,
                "kind": p.kind.as_str(),
                "detail": p.detail,
            })),
        })))
    })
    .await
}

async fn post_changes(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    blocking(app, move |app| {
        let p = authorize(app, &headers, "POST /v1/model/changes", Some(Role::Crm))
            .map_err(|e| e.in_lang(lang_of(&q).unwrap_or(Lang::En)))?;
        let lang = lang_of(&q)?;
        let apply = || -> ApiResult {
            let bytes = body_bytes(body)?;
            let text = String::from_utf8_lossy(&bytes);
            let batch = changes::parse("request", &text)?;
            Ok(json_response(app.apply(&batch, &p.staff)?))
        };
        apply().map_err(|e| e.in_lang(lang))
    })
    .await
}
