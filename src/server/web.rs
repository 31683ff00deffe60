//! The DPO's web view: server-rendered HTML in English and German, no JavaScript. A token
//! is exchanged once for a session cookie (`HttpOnly`, `SameSite=Strict`); every form that
//! changes something carries the session's CSRF token; only the DPO sees and may use the
//! approve and reject forms, and every refusal is journaled as in the API.
//!
//! Pages: `/ui/login`, `/ui/findings` (filters: decision, law, activity, subject, date),
//! `/ui/findings/{id}` (the explanation as a tree with norms, sources and the facts that must
//! be absent; the remedy; the approval and the forms), `/ui/activities/{id}` (what the gate
//! would answer now, without recording a gate), `/ui/pending`, and `/ui/report`, the weekly report
//! of `sphere report` over the current model and journal.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

use super::api::{self, blocking, ApiError};
use super::auth::{Principal, Role};
use super::App;
use crate::explain::{Derivation, Premise, Step};
use crate::gate::{self, Verb};
use crate::{Finding, Lang, Texts};

const COOKIE: &str = "sphere_session";
/// A browser session lasts a working day.
const SESSION_SECONDS: i64 = 12 * 3600;

/// A logged-in browser.
#[derive(Clone, Debug)]
struct WebSession {
    principal: Principal,
    csrf: String,
    lang: Lang,
    expires: i64,
}

/// Logged-in browser sessions, by the cookie's random id.
#[derive(Default)]
pub(crate) struct Sessions {
    by_id: Mutex<HashMap<String, WebSession>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, WebSession>> {
        self.by_id.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// 32 random bytes as hex, from the operating system.
fn random_hex() -> Result<String, ApiError> {
    use std::io::Read;
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("no randomness for a session: {e}"),
                "the server needs /dev/urandom",
            )
        })?;
    Ok(crate::journal::EntryHash(buf).to_hex())
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub(crate) fn router(body_limit: usize) -> Router<Arc<App>> {
    Router::new()
        .route("/", get(|| async { redirect("/ui/findings") }))
        .route("/ui", get(|| async { redirect("/ui/findings") }))
        .route("/ui/style.css", get(style))
        .route("/ui/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/ui/login", get(login_page).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/lang/{lang}", get(set_lang))
        .route("/ui/findings", get(findings_page))
        .route("/ui/findings/{id}", get(finding_page))
        .route("/ui/findings/{id}/approve", post(approve))
        .route("/ui/findings/{id}/reject", post(reject))
        .route("/ui/activities/{id}", get(activity_page))
        .route("/ui/pending", get(pending_page))
        .route("/ui/report", get(report_page))
        .route("/ui/report.css", get(report_css))
        .layer(DefaultBodyLimit::max(body_limit))
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A query-string component.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The interface's words in both languages.
fn t(lang: Lang, key: &str) -> &'static str {
    let (en, de) = match key {
        "findings" => ("Findings", "Befunde"),
        "pending" => ("Waiting for the DPO", "Wartet auf den DSB"),
        "report" => ("Weekly report", "Wochenbericht"),
        "logout" => ("Log out", "Abmelden"),
        "login" => ("Log in", "Anmelden"),
        "token" => ("Access token", "Zugangstoken"),
        "decision" => ("Decision", "Entscheidung"),
        "law" => ("Law", "Gesetz"),
        "activity" => ("Activity", "Tätigkeit"),
        "subject" => ("Data subject", "Betroffene Person"),
        "date" => ("Date", "Datum"),
        "filter" => ("Filter", "Filtern"),
        "message" => ("Finding", "Befund"),
        "cites" => ("Cites", "Rechtsgrundlagen"),
        "remedy" => ("Remedy", "Abhilfe"),
        "why" => ("Why: the derivation", "Warum: die Herleitung"),
        "norms" => ("Norms and sources", "Normen und Quellen"),
        "approval" => ("Approval", "Freigabe"),
        "approve" => ("Approve", "Freigeben"),
        "reject" => ("Reject", "Ablehnen"),
        "reason" => (
            "Reason (the journal keeps only its digest)",
            "Begründung (das Journal speichert nur ihren Hashwert)",
        ),
        "until" => ("Last day (optional)", "Letzter Tag (optional)"),
        "only_dpo" => (
            "Only the DPO approves or rejects.",
            "Nur der/die DSB gibt frei oder lehnt ab.",
        ),
        "gate" => ("Gate", "Freigabeprüfung"),
        "allowed" => ("allowed", "erlaubt"),
        "blocked" => ("blocked", "blockiert"),
        "waiting" => ("waits for the DPO", "wartet auf den DSB"),
        "approved" => ("approved", "freigegeben"),
        "rejected" => ("rejected", "abgelehnt"),
        "expired" => ("approval expired", "Freigabe abgelaufen"),
        "none" => ("None.", "Keine."),
        "absent" => ("absent", "liegt nicht vor"),
        "holds" => ("holds", "gilt"),
        "fact" => ("fact of the model", "Tatsache aus dem Modell"),
        "since" => ("since", "seit"),
        "refused" => ("Refused", "Abgelehnt"),
        "all" => ("all", "alle"),
        "contested" => ("Contested", "Umstritten"),
        "error" => ("Error", "Fehler"),
        "hint" => ("hint", "Hinweis"),
        "suppressed" => ("suppressed", "verdrängt"),
        "rule" => ("rule", "Regel"),
        "no" => ("no", "nicht"),
        _ => ("?", "?"),
    };
    match lang {
        Lang::En => en,
        Lang::De => de,
    }
}

fn page(lang: Lang, title: &str, session: Option<&WebSession>, body: &str) -> String {
    let mut nav = String::new();
    if let Some(s) = session {
        let _ = write!(
            nav,
            "<nav><a href=\"/ui/findings\">{}</a> <a href=\"/ui/pending\">{}</a> <a href=\"/ui/report\">{}</a> \
             <span class=\"who\">{} ({})</span> <a href=\"/ui/lang/{}\">{}</a> \
             <form method=\"post\" action=\"/ui/logout\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">{}</button></form></nav>",
            t(lang, "findings"),
            t(lang, "pending"),
            t(lang, "report"),
            esc(&s.principal.staff),
            s.principal
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if lang == Lang::En { "de" } else { "en" },
            if lang == Lang::En { "Deutsch" } else { "English" },
            esc(&s.csrf),
            t(lang, "logout"),
        );
    }
    format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} · sphere</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><link rel=\"stylesheet\" href=\"/ui/style.css\">\
         <link rel=\"icon\" href=\"/ui/favicon.svg\" type=\"image/svg+xml\"></head>\
         <body><header><strong>sphere</strong>{nav}</header><main>\n<h1>{}</h1>\n{body}</main></body></html>\n",
        lang.as_str(),
        esc(title),
        esc(title)
    )
}

fn html(status: StatusCode, text: String) -> Response {
    let mut r = (status, text).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("web.css"),
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml")],
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" r=\"7\" fill=\"#1d4f91\"/></svg>",
    )
        .into_response()
}

fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The browser's session, if it is logged in and not expired.
fn session(app: &App, headers: &HeaderMap) -> Option<WebSession> {
    let id = cookie_id(headers)?;
    let now = app.now().as_second();
    let mut map = app.web.lock();
    match map.get(&id) {
        Some(s) if s.expires > now => Some(s.clone()),
        Some(_) => {
            map.remove(&id);
            None
        }
        None => None,
    }
}

/// The session, or the login page.
fn need_session(app: &App, headers: &HeaderMap) -> Result<WebSession, Response> {
    session(app, headers).ok_or_else(|| redirect("/ui/login"))
}

fn lang_for(s: &WebSession, q: &BTreeMap<String, String>) -> Lang {
    match q.get("lang").map(String::as_str) {
        Some("de") => Lang::De,
        Some("en") => Lang::En,
        _ => s.lang,
    }
}

fn error_page(lang: Lang, s: Option<&WebSession>, e: ApiError) -> Response {
    let (message, hint) = e.words(lang);
    let mut body = format!("<p class=\"error\">{}</p>", esc(&message));
    if let Some(h) = hint {
        let _ = write!(
            body,
            "<p class=\"hint\">{}: {}</p>",
            t(lang, "hint"),
            esc(&h)
        );
    }
    let title = if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::UNAUTHORIZED {
        t(lang, "refused")
    } else {
        t(lang, "error")
    };
    html(e.status, page(lang, title, s, &body))
}

async fn login_page(
    State(app): State<Arc<App>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let lang = if q.get("lang").map(String::as_str) == Some("de") {
        Lang::De
    } else {
        Lang::En
    };
    let _ = app;
    html(StatusCode::OK, login_html(lang, None))
}

fn login_html(lang: Lang, problem: Option<&str>) -> String {
    let mut body = String::new();
    if let Some(p) = problem {
        let _ = write!(body, "<p class=\"error\">{}</p>", esc(p));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/ui/login\" class=\"login\">\
         <label for=\"token\">{}</label> <input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"off\" required>\
         <input type=\"hidden\" name=\"lang\" value=\"{}\">\
         <button type=\"submit\" id=\"login\">{}</button></form>\
         <p><a href=\"/ui/login?lang=en\">English</a> · <a href=\"/ui/login?lang=de\">Deutsch</a></p>",
        t(lang, "token"),
        lang.as_str(),
        t(lang, "login")
    );
    page(lang, t(lang, "login"), None, &body)
}

async fn login(
    State(app): State<Arc<App>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    blocking(app, move |app| {
        let Ok(Form(form)) = form else {
            return Ok(html(
                StatusCode::BAD_REQUEST,
                login_html(Lang::En, Some("the form could not be read")),
            ));
        };
        let lang = if form.get("lang").map(String::as_str) == Some("de") {
            Lang::De
        } else {
            Lang::En
        };
        let token = form.get("token").map(|s| s.trim()).unwrap_or("");
        let Some(p) = app.auth.principal(token).cloned() else {
            app.refuse("anonymous", "POST /ui/login", "bad-token")?;
            let msg = match lang {
                Lang::En => "the token is not known to this server; the refusal is recorded",
                Lang::De => {
                    "das Token ist diesem Server nicht bekannt; die Ablehnung ist protokolliert"
                }
            };
            return Ok(html(StatusCode::UNAUTHORIZED, login_html(lang, Some(msg))));
        };
        let id = random_hex()?;
        let s = WebSession {
            principal: p,
            csrf: random_hex()?,
            lang,
            expires: app.now().as_second() + SESSION_SECONDS,
        };
        app.web.lock().insert(id.clone(), s);
        let mut r = redirect("/ui/findings");
        let cookie =
            format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        Ok(r)
    })
    .await
}

async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    blocking(app, move |app| {
        if let (Some(id), Some(s), Ok(Form(f))) =
            (cookie_id(&headers), session(app, &headers), form)
        {
            if f.get("csrf").is_some_and(|c| same(c, &s.csrf)) {
                app.web.lock().remove(&id);
            }
        }
        let mut r = redirect("/ui/login");
        r.headers_mut().insert(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "sphere_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
            ),
        );
        Ok(r)
    })
    .await
}

async fn set_lang(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(lang): Path<String>,
) -> Response {
    blocking(app, move |app| {
        let lang = if lang == "de" { Lang::De } else { Lang::En };
        if let Some(id) = cookie_id(&headers) {
            if let Some(s) = app.web.lock().get_mut(&id) {
                s.lang = lang;
            }
        }
        Ok(redirect(
            headers
                .get(header::REFERER)
                .and_then(|r| r.to_str().ok())
                .and_then(|r| r.find("/ui/").map(|i| r[i..].to_string()))
                .as_deref()
                .unwrap_or("/ui/findings"),
        ))
    })
    .await
}

fn decision_class(f: &Finding) -> &'static str {
    if f.needs_action() {
        "block"
    } else {
        "info"
    }
}

async fn findings_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    blocking(app, move |app| {
        let s = match need_session(app, &headers) {
            Ok(s) => s,
            Err(r) => return Ok(r),
        };
        let lang = lang_for(&s, &q);
        let mut filters = q.clone();
        filters.remove("lang");
        let core = app.core();
        let outcome = match core.session.try_outcome() {
            Ok(o) => o,
            Err(e) => return Ok(error_page(lang, Some(&s), e.into())),
        };
        let mut laws: Vec<String> = outcome
            .findings()
            .iter()
            .flat_map(|f| f.norms.iter().map(|n| n.id.split(':').next().unwrap_or("").to_string()))
            .filter(|l| !l.is_empty())
            .collect();
        laws.sort();
        laws.dedup();
        let mut decisions: Vec<&str> = outcome.findings().iter().map(|f| f.decision.as_str()).collect();
        decisions.sort();
        decisions.dedup();
        let select = |name: &str, options: &[&str]| {
            let mut s = format!("<select name=\"{name}\" id=\"f-{name}\"><option value=\"\">{}</option>", t(lang, "all"));
            for o in options {
                let sel = if filters.get(name).map(String::as_str) == Some(*o) { " selected" } else { "" };
                let label = crate::report::key_word(lang, o);
                if label == *o {
                    let _ = write!(s, "<option{sel}>{}</option>", esc(o));
                } else {
                    let _ = write!(s, "<option value=\"{}\"{sel}>{}</option>", esc(o), esc(&label));
                }
            }
            s.push_str("</select>");
            s
        };
        let text = |name: &str| {
            format!(
                "<input name=\"{name}\" id=\"f-{name}\" value=\"{}\" size=\"16\">",
                esc(filters.get(name).map_or("", String::as_str))
            )
        };
        let law_refs: Vec<&str> = laws.iter().map(String::as_str).collect();
        let mut body = format!(
            "<form method=\"get\" action=\"/ui/findings\" class=\"filters\">\
             <label>{} {}</label> <label>{} {}</label> <label>{} {}</label> <label>{} {}</label> <label>{} {}</label> \
             <button type=\"submit\">{}</button></form>",
            t(lang, "decision"),
            select("decision", &decisions),
            t(lang, "law"),
            select("law", &law_refs),
            t(lang, "activity"),
            text("activity"),
            t(lang, "subject"),
            text("subject"),
            t(lang, "date"),
            text("date"),
            t(lang, "filter"),
        );
        let shown: Vec<&Finding> = outcome
            .findings()
            .iter()
            .filter(|f| api::passes(f, &filters))
            .collect();
        let _ = write!(
            body,
            "<p class=\"count\">{} / {}</p><table class=\"findings\"><thead><tr><th>{}</th><th>id</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            shown.len(),
            outcome.findings().len(),
            t(lang, "decision"),
            t(lang, "activity"),
            t(lang, "date"),
            t(lang, "message"),
            t(lang, "cites"),
            t(lang, "subject"),
        );
        for f in shown {
            let _ = write!(
                body,
                "<tr class=\"{}\"><td><span class=\"badge {}\">{}</span></td><td><a class=\"finding\" href=\"/ui/findings/{}\">{}</a></td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                decision_class(f),
                decision_class(f),
                esc(&crate::report::key_word(lang, f.decision.as_str())),
                enc(&f.id),
                esc(&f.id),
                about_link(f),
                f.date,
                esc(f.message.get(lang)),
                esc(&f.citations(lang).join("; ")),
                esc(&f.subjects.join(", ")),
            );
        }
        body.push_str("</tbody></table>");
        Ok(html(StatusCode::OK, page(lang, t(lang, "findings"), Some(&s), &body)))
    })
    .await
}

fn about_link(f: &Finding) -> String {
    match f.about.activity() {
        Some(a) => format!("<a href=\"/ui/activities/{}\">{}</a>", enc(a), esc(a)),
        None => esc(f.about_id()),
    }
}

/// A derivation tree as nested lists, without recursion: a chain of derivations is as long as
/// the evaluation had rounds.
fn tree_html(d: &Derivation, lang: Lang, out: &mut String) {
    enum Item<'d> {
        Tree(&'d Derivation),
        Other(&'d Premise),
        Close,
    }
    let mut stack = vec![Item::Tree(d)];
    while let Some(item) = stack.pop() {
        match item {
            Item::Close => out.push_str("</ul></details></li>"),
            Item::Tree(d) => match &d.step {
                Step::Input { origin } => {
                    let _ = write!(
                        out,
                        "<li class=\"input\"><code>{}</code> <span class=\"tag\">{}{}</span></li>",
                        esc(&d.fact),
                        t(lang, "fact"),
                        origin
                            .as_ref()
                            .map(|o| format!(": {} {}", esc(&o.file), esc(&o.path)))
                            .unwrap_or_default()
                    );
                }
                Step::Rule(r) => {
                    let cites: Vec<&str> = r
                        .citations
                        .iter()
                        .map(|c| c.get(lang))
                        .chain(r.authority_citations.iter().map(|t| t.get(lang)))
                        .collect();
                    let _ = write!(
                        out,
                        "<li class=\"rule\"><details open><summary><code>{}</code> <span class=\"tag\">{} {}</span>{}</summary><ul>",
                        esc(&d.fact),
                        t(lang, "rule"),
                        esc(&r.rule),
                        if cites.is_empty() {
                            String::new()
                        } else {
                            format!(" <span class=\"cite\">{}</span>", esc(&cites.join("; ")))
                        }
                    );
                    stack.push(Item::Close);
                    for p in r.premises.iter().rev() {
                        stack.push(match p {
                            Premise::Holds(sub) => Item::Tree(sub),
                            other => Item::Other(other),
                        });
                    }
                }
            },
            Item::Other(Premise::Absent(text)) => {
                let _ = write!(
                    out,
                    "<li class=\"absent\">{} <code>{}</code> <span class=\"tag\">{}</span></li>",
                    t(lang, "no"),
                    esc(text),
                    t(lang, "absent")
                );
            }
            Item::Other(Premise::Compare(text)) => {
                let _ = write!(
                    out,
                    "<li class=\"compare\"><code>{}</code> <span class=\"tag\">{}</span></li>",
                    esc(text),
                    t(lang, "holds")
                );
            }
            Item::Other(Premise::Holds(sub)) => stack.push(Item::Tree(sub)),
        }
    }
}

fn status_words(lang: Lang, s: &gate::Status) -> String {
    match s {
        gate::Status::Waiting => t(lang, "waiting").to_string(),
        gate::Status::Approved { by, seq, until } => format!(
            "{} ({by}, #{seq}{})",
            t(lang, "approved"),
            until.map(|u| format!(", ≤ {u}")).unwrap_or_default()
        ),
        gate::Status::Expired { by, seq, until } => {
            format!("{} ({by}, #{seq}, {until})", t(lang, "expired"))
        }
        gate::Status::Rejected { by, seq } => format!("{} ({by}, #{seq})", t(lang, "rejected")),
    }
}

async fn finding_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    blocking(app, move |app| {
        let s = match need_session(app, &headers) {
            Ok(s) => s,
            Err(r) => return Ok(r),
        };
        let lang = lang_for(&s, &q);
        Ok(match finding_html(app, &s, &id, lang) {
            Ok(body) => html(StatusCode::OK, page(lang, &id, Some(&s), &body)),
            Err(e) => error_page(lang, Some(&s), e),
        })
    })
    .await
}

fn finding_html(app: &App, s: &WebSession, id: &str, lang: Lang) -> Result<String, ApiError> {
    let core = app.core();
    let outcome = core.session.try_outcome()?;
    let e = outcome
        .explain(id)
        .map_err(|e| ApiError::of(StatusCode::NOT_FOUND, e))?;
    let f = &e.finding;
    let mut body = format!(
        "<p><span class=\"badge {}\" id=\"decision\">{}</span> {} {} · {} · {}</p>\
         <p class=\"message\" id=\"message\">{}</p>",
        decision_class(f),
        if e.suppressed {
            t(lang, "suppressed").to_string()
        } else {
            crate::report::key_word(lang, f.decision.as_str())
        },
        crate::render::text::severity_word(f.severity, lang),
        about_link(f),
        f.date,
        esc(&f.subjects.join(", ")),
        esc(f.message.get(lang)),
    );
    if let Some(c) = &f.contested {
        let _ = write!(
            body,
            "<p class=\"contested\"><strong>{}:</strong> {}</p>",
            t(lang, "contested"),
            esc(c.get(lang))
        );
    }
    let _ = write!(
        body,
        "<h2>{}</h2><p class=\"remedy\" id=\"remedy\">{}</p><h2>{}</h2><ul class=\"norms\">",
        t(lang, "remedy"),
        esc(f.remedy.get(lang)),
        t(lang, "norms")
    );
    for n in &f.norms {
        let _ = write!(body, "<li><strong>{}</strong>", esc(n.citation.get(lang)));
        if let Some(v) = &n.version {
            let _ = write!(
                body,
                " — {} ({} {}{}) <a href=\"{}\" rel=\"noreferrer\">{}</a>",
                esc(v.title.get(lang)),
                t(lang, "since"),
                v.from,
                v.to.map(|d| format!(" – {d}")).unwrap_or_default(),
                esc(&v.source),
                esc(&v.source)
            );
        }
        body.push_str("</li>");
    }
    for a in &f.authorities {
        let _ = write!(
            body,
            "<li>{}{} <a href=\"{}\" rel=\"noreferrer\">{}</a></li>",
            esc(a.citation.get(lang)),
            a.title
                .as_ref()
                .map(|t| format!(" — {}", esc(t.get(lang))))
                .unwrap_or_default(),
            esc(&a.url),
            esc(&a.url)
        );
    }
    body.push_str("</ul>");
    // The approval: where the finding stands and, for the DPO, the forms.
    if let Some(i) = outcome.findings().iter().position(|x| x.id == id) {
        if f.needs_action() {
            let _ = write!(body, "<h2>{}</h2>", t(lang, "approval"));
            if let Some(d) = gate::facts_digest(outcome, i) {
                let today = app.now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
                let r = crate::journal::FindingRef {
                    id: id.to_string(),
                    facts_digest: d.clone(),
                };
                let status = gate::status(&core.journal, &r, today)?;
                let _ = write!(
                    body,
                    "<p id=\"approval\" class=\"status {}\">{}</p><p class=\"digest\">facts digest <code>{}</code></p>",
                    status.as_str(),
                    esc(&status_words(lang, &status)),
                    esc(&d)
                );
                let dpo = App::dpo(&core);
                if s.principal.has(Role::Dpo) && dpo.as_deref() == Some(s.principal.staff.as_str())
                {
                    for verb in [Verb::Approve, Verb::Reject] {
                        let _ = write!(
                            body,
                            "<form method=\"post\" action=\"/ui/findings/{}/{}\" class=\"decide\" id=\"{}-form\">\
                             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                             <label>{} <input name=\"reason\" id=\"{}-reason\" required size=\"40\"></label>{}\
                             <button type=\"submit\" id=\"{}\">{}</button></form>",
                            enc(id),
                            verb.as_str(),
                            verb.as_str(),
                            esc(&s.csrf),
                            t(lang, "reason"),
                            verb.as_str(),
                            if verb == Verb::Approve {
                                format!(" <label>{} <input name=\"until\" type=\"date\"></label>", t(lang, "until"))
                            } else {
                                String::new()
                            },
                            verb.as_str(),
                            t(lang, verb.as_str())
                        );
                    }
                } else {
                    let _ = write!(
                        body,
                        "<p class=\"note\" id=\"only-dpo\">{} ({})</p>",
                        t(lang, "only_dpo"),
                        esc(dpo.as_deref().unwrap_or("-"))
                    );
                }
            }
        }
    }
    let _ = write!(
        body,
        "<h2>{}</h2><ul class=\"tree\" id=\"tree\">",
        t(lang, "why")
    );
    if let Some(d) = &e.derivation {
        tree_html(d, lang, &mut body);
    }
    body.push_str("</ul>");
    for x in &e.exceptions {
        let _ = write!(
            body,
            "<h3>exception {}</h3><ul class=\"tree\">",
            esc(&x.rule)
        );
        if let Some(d) = &x.derivation {
            tree_html(d, lang, &mut body);
        }
        body.push_str("</ul>");
    }
    Ok(body)
}

async fn approve(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    decide(app, headers, id, form, Verb::Approve).await
}

async fn reject(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    decide(app, headers, id, form, Verb::Reject).await
}

async fn decide(
    app: Arc<App>,
    headers: HeaderMap,
    id: String,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
    verb: Verb,
) -> Response {
    blocking(app, move |app| {
        let attempted = format!("POST /ui/findings/{{id}}/{}", verb.as_str());
        let Some(s) = session(app, &headers) else {
            app.refuse("anonymous", &attempted, "no-session")?;
            return Ok(error_page(
                Lang::En,
                None,
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "not logged in",
                    "log in at /ui/login",
                ),
            ));
        };
        let lang = s.lang;
        let form = match form {
            Ok(Form(f)) => f,
            Err(e) => {
                return Ok(error_page(
                    lang,
                    Some(&s),
                    ApiError::texts(
                        StatusCode::BAD_REQUEST,
                        Texts::new(
                            format!("the form cannot be read: {}", e.body_text()),
                            format!("das Formular ist nicht lesbar: {}", e.body_text()),
                        ),
                        Texts::new("send the page's form", "das Formular der Seite senden"),
                    ),
                ))
            }
        };
        if !form.get("csrf").is_some_and(|c| same(c, &s.csrf)) {
            app.refuse(&s.principal.staff, &attempted, "bad-csrf")?;
            return Ok(error_page(
                lang,
                Some(&s),
                ApiError::texts(
                    StatusCode::FORBIDDEN,
                    Texts::new(
                        "the form's CSRF token does not match this session",
                        "das CSRF-Token des Formulars passt nicht zu dieser Sitzung",
                    ),
                    Texts::new(
                        "reload the page and send its form",
                        "die Seite neu laden und ihr Formular senden",
                    ),
                ),
            ));
        }
        if let Err(e) = api::check_role(app, &s.principal, &attempted, Some(Role::Dpo)) {
            return Ok(error_page(lang, Some(&s), e));
        }
        let reason = form.get("reason").cloned().unwrap_or_default();
        let until = match form
            .get("until")
            .map(|u| u.trim())
            .filter(|u| !u.is_empty())
        {
            None => None,
            Some(u) => match u.parse::<jiff::civil::Date>() {
                Ok(d) => Some(d),
                Err(_) => {
                    return Ok(error_page(
                        lang,
                        Some(&s),
                        ApiError::texts(
                            StatusCode::BAD_REQUEST,
                            Texts::new(
                                format!("`{u}` is not a date"),
                                format!("`{u}` ist kein Datum"),
                            ),
                            Texts::new("YYYY-MM-DD", "JJJJ-MM-TT"),
                        ),
                    ))
                }
            },
        };
        Ok(
            match api::decide(app, &s.principal, verb, &id, &reason, until) {
                Ok(_) => redirect(&format!("/ui/findings/{}", enc(&id))),
                Err(e) => error_page(lang, Some(&s), e),
            },
        )
    })
    .await
}

/// What the gate would answer for an activity now, read-only: the blocking findings and their
/// approvals (a gate proper, with its receipt, is the CRM's `POST /v1/gate`).
async fn activity_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    blocking(app, move |app| {
        let s = match need_session(app, &headers) {
            Ok(s) => s,
            Err(r) => return Ok(r),
        };
        let lang = lang_for(&s, &q);
        let core = app.core();
        let outcome = match core.session.try_outcome() {
            Ok(o) => o,
            Err(e) => return Ok(error_page(lang, Some(&s), e.into())),
        };
        let today = app.now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        let mut rows = String::new();
        let mut open = true;
        let mut any = false;
        for (i, f) in outcome.findings().iter().enumerate() {
            if f.about.activity() != Some(id.as_str()) {
                continue;
            }
            any = true;
            let status = if f.needs_action() {
                let Some(d) = gate::facts_digest(outcome, i) else { continue };
                let st = gate::status(
                    &core.journal,
                    &crate::journal::FindingRef { id: f.id.clone(), facts_digest: d },
                    today,
                )?;
                open &= st.covers();
                status_words(lang, &st)
            } else {
                String::new()
            };
            let _ = write!(
                rows,
                "<tr class=\"{}\"><td><span class=\"badge {}\">{}</span></td><td><a href=\"/ui/findings/{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                decision_class(f),
                decision_class(f),
                esc(&crate::report::key_word(lang, f.decision.as_str())),
                enc(&f.id),
                esc(&f.id),
                esc(f.message.get(lang)),
                esc(&status),
            );
        }
        let known = core
            .session
            .model()
            .company()
            .is_some_and(|m| m.activities.iter().any(|a| a.id == id));
        if !known && !any {
            return Ok(error_page(
                lang,
                Some(&s),
                ApiError::texts(
                    StatusCode::NOT_FOUND,
                    Texts::new(
                        format!("no activity `{id}` in the model"),
                        format!("keine Tätigkeit `{id}` im Modell"),
                    ),
                    Texts::new(
                        "the findings page links the activities",
                        "die Seite der Befunde verlinkt die Tätigkeiten",
                    ),
                ),
            ));
        }
        let verdict = if open { "allowed" } else { "blocked" };
        let body = format!(
            "<p>{}: <span class=\"badge {}\" id=\"gate\">{}</span></p><table><tbody>{rows}</tbody></table>",
            t(lang, "gate"),
            if open { "info" } else { "block" },
            t(lang, verdict),
        );
        Ok(html(StatusCode::OK, page(lang, &format!("{} {id}", t(lang, "activity")), Some(&s), &body)))
    })
    .await
}

async fn pending_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    blocking(app, move |app| {
        let s = match need_session(app, &headers) {
            Ok(s) => s,
            Err(r) => return Ok(r),
        };
        let lang = lang_for(&s, &q);
        let list = api::pending_list(app, lang)?;
        let mut body = String::new();
        if list.is_empty() {
            let _ = write!(body, "<p id=\"nothing\">{}</p>", t(lang, "none"));
        } else {
            body.push_str("<table class=\"pending\"><tbody>");
            for p in &list {
                let id = p["finding_id"].as_str().unwrap_or("");
                let _ = write!(
                    body,
                    "<tr><td><a href=\"/ui/findings/{}\">{}</a></td><td>{}</td><td>{} {}</td><td>{}</td></tr>",
                    enc(id),
                    esc(id),
                    esc(p["activity"].as_str().unwrap_or("")),
                    t(lang, "since"),
                    esc(p["since"].as_str().unwrap_or("")),
                    esc(p["message"].as_str().unwrap_or("")),
                );
            }
            body.push_str("</tbody></table>");
        }
        Ok(html(StatusCode::OK, page(lang, t(lang, "pending"), Some(&s), &body)))
    })
    .await
}

/// The weekly report (`sphere report`, the library's [`crate::report`]) of the current model
/// and journal, for `?from=&to=` (default: the seven days up to the evaluation date).
async fn report_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    blocking(app, move |app| {
        let s = match need_session(app, &headers) {
            Ok(s) => s,
            Err(r) => return Ok(r),
        };
        let lang = lang_for(&s, &q);
        Ok(match report_html(app, &q, lang) {
            Ok(body) => html(
                StatusCode::OK,
                page(lang, t(lang, "report"), Some(&s), &body),
            ),
            Err(e) => error_page(lang, Some(&s), e),
        })
    })
    .await
}

fn report_html(app: &App, q: &BTreeMap<String, String>, lang: Lang) -> Result<String, ApiError> {
    use crate::report::{html as report_html, Options, Period, Report};
    let core = app.core();
    let outcome = core.session.try_outcome()?;
    let day = |key: &str, default: crate::Date| -> Result<crate::Date, ApiError> {
        match q.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(v) => crate::Date::parse(v).ok_or_else(|| {
                ApiError::texts(
                    StatusCode::BAD_REQUEST,
                    Texts::new(
                        format!("{key}: `{v}` is not a date"),
                        format!("{key}: `{v}` ist kein Datum"),
                    ),
                    Texts::new("YYYY-MM-DD", "JJJJ-MM-TT"),
                )
            }),
        }
    };
    let to = day("to", outcome.as_of())?;
    let from = day("from", crate::Date(to.0 - 6))?;
    let period = Period::new(from, to)?;
    let picture = core.session.model().company().map(|c| {
        crate::graph::Picture::with_findings(
            &crate::graph::sketch(outcome.kb(), c),
            outcome,
            &|f| period.contains(f.date),
        )
    });
    let report = Report::build(
        outcome,
        Options {
            period,
            lang,
            explain: true,
        },
        Some(&core.journal),
        picture,
    )?;
    Ok(format!(
        "<form method=\"get\" action=\"/ui/report\" class=\"filters\"><label>{} <input name=\"from\" value=\"{from}\" size=\"10\"></label> \
         <label>– <input name=\"to\" value=\"{to}\" size=\"10\"></label> <button type=\"submit\">{}</button></form>\
         <link rel=\"stylesheet\" href=\"/ui/report.css\"><div id=\"report\">{}</div>",
        t(lang, "date"),
        t(lang, "filter"),
        report_html::fragment(&report)
    ))
}

async fn report_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        crate::report::html::css(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain of `n` derived steps down to one input fact, built bottom up.
    fn chain(n: usize) -> Derivation {
        let mut d = Derivation {
            relation: "e".into(),
            fact: "e(0)".into(),
            args: vec!["0".into()],
            step: Step::Input { origin: None },
        };
        for i in 1..=n {
            d = Derivation {
                relation: "r".into(),
                fact: format!("r({i})"),
                args: vec![i.to_string()],
                step: Step::Rule(crate::explain::RuleStep {
                    rule: "r#1".into(),
                    norms: Vec::new(),
                    authorities: Vec::new(),
                    citations: Vec::new(),
                    authority_citations: Vec::new(),
                    bindings: Vec::new(),
                    premises: vec![
                        Premise::Holds(Box::new(d)),
                        Premise::Compare("1 < 2".into()),
                    ],
                }),
            };
        }
        d
    }

    #[test]
    fn a_shallow_tree_is_nested_lists_in_premise_order() {
        let mut out = String::new();
        tree_html(&chain(1), Lang::En, &mut out);
        assert_eq!(
            out,
            "<li class=\"rule\"><details open><summary><code>r(1)</code> <span class=\"tag\">rule r#1</span></summary><ul>\
             <li class=\"input\"><code>e(0)</code> <span class=\"tag\">fact of the model</span></li>\
             <li class=\"compare\"><code>1 &lt; 2</code> <span class=\"tag\">holds</span></li>\
             </ul></details></li>"
        );
    }

    /// A hundred thousand steps on a 256 KiB stack: the page's tree recursed once per level.
    #[test]
    fn a_hundred_thousand_step_tree_renders_on_a_small_stack() {
        let rendered = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| {
                let d = chain(100_000);
                let mut out = String::new();
                tree_html(&d, Lang::En, &mut out);
                drop(d);
                out
            })
            .expect("thread starts")
            .join()
            .expect("no stack overflow");
        assert_eq!(rendered.matches("<li class=\"rule\">").count(), 100_000);
        assert_eq!(rendered.matches("</ul></details></li>").count(), 100_000);
        assert!(rendered.ends_with("</ul></details></li>"));
    }
}
