//! `sphere serve`: the decision API a CRM asks before every interaction, and the DPO's web
//! view, over one [`Session`] and one [`Journal`] held in memory.
//!
//! The answers are the library's: a gate is [`Session::gate`] (on the activity's part of the
//! model), an approval [`crate::gate::decide`], the findings `sphere-findings/1` and the gate's
//! JSON [`render::gate::gated`], so the server and the command line answer alike. The CRM's
//! events change the model through [`Session::apply_as`]; each batch is journaled (an `change`
//! entry holding the batch, which holds ids, dates and flags only) before it is answered, and a
//! server started again on the same model files and journal replays them, so it holds the same
//! state.
//!
//! Invariant: the library reads no clock: the time of every journal entry comes from the
//! [`Clock`] the caller passes in (the binary passes the system clock). Latencies are measured
//! with the monotonic clock, as [`crate::EvalOptions::timing`] does.
//! Invariant: a request never panics the server; every input error is a 400 with the problems
//! as data and the text the command line prints.

mod api;
pub mod auth;
pub mod changes;
pub mod metrics;
pub mod openapi;
mod web;
pub mod webhook;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use jiff::Timestamp;
use serde_json::{json, Value};

use crate::error::{Error, ErrorKind, Place, Result};
use crate::gate::{journal_error, Request};
use crate::journal::{self, Action, Config, Context, Filter, Journal, NewEntry, Payload};
use crate::kb::KnowledgeBase;
use crate::model::Model;
use crate::outcome::EvalOptions;
use crate::session::Session;

pub use auth::{hash_token, Auth, Principal, Role};
pub use openapi::ROUTES;

/// Now, as the caller's clock says.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Bounds on what a request may send.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Every request body but a change batch, in bytes.
    pub body_bytes: usize,
    /// A change batch, in bytes: the journal keeps the batch in one entry, whose fields hold
    /// at most 64 KiB ([`journal::MAX_FIELD`]).
    pub changes_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 16 * 1024,
            changes_bytes: 48 * 1024,
        }
    }
}

/// How to run a server.
#[derive(Clone)]
pub struct Settings {
    /// The journal file (created when missing).
    pub journal: PathBuf,
    pub auth: Auth,
    /// The program's version, e.g. `sphere 0.1.0`, recorded in every entry.
    pub engine_version: String,
    pub clock: Clock,
    pub limits: Limits,
    /// Bounds on every evaluation of the model ([`crate::Limits::NONE`] for the shipped
    /// knowledge base, whose growth the model bounds). A bound the whole model reaches after
    /// changes applied in parts is answered as an evaluation error on the routes that need the
    /// whole model's outcome.
    pub eval_limits: crate::Limits,
    /// Where the DPO's alarms are POSTed (`"webhook"` in the configuration), if anywhere.
    pub webhook: Option<webhook::Webhook>,
}

/// The state every request works on, behind one lock: a request sees the model and journal
/// as one consistent state, and changes are applied in the order they are journaled.
pub(crate) struct Core {
    pub session: Session,
    pub journal: Journal,
    /// Change batches applied since the model files were read (names the next batch).
    pub batches: u64,
    /// A change was applied but could not be journaled: the state is ahead of the journal
    /// and must not answer until a restart rebuilds it from the journal.
    pub broken: Option<String>,
}

/// A running server's shared state.
pub struct App {
    core: Mutex<Core>,
    pub(crate) auth: Auth,
    pub(crate) metrics: Arc<metrics::Metrics>,
    pub(crate) clock: Clock,
    pub(crate) engine_version: String,
    pub(crate) limits: Limits,
    pub(crate) web: web::Sessions,
    /// The queue of alarms to the webhook, when one is configured.
    alarms: Option<webhook::Alarms>,
}

/// What became of the replay of the journal's changes at start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Batches applied again.
    pub applied: u64,
    /// Change entries of another model (another digest) or knowledge base, left alone.
    pub skipped: u64,
}

impl App {
    /// Evaluates `model`, opens the journal and replays the changes journaled for this model,
    /// in journal order.
    pub fn start(
        kb: Arc<KnowledgeBase>,
        model: Model,
        settings: Settings,
    ) -> Result<(Arc<App>, Replayed)> {
        let metrics = Arc::new(metrics::Metrics::default());
        let started = Instant::now();
        let options = EvalOptions {
            limits: settings.eval_limits,
            ..EvalOptions::default()
        };
        let mut session = Session::new(kb, model, options)?;
        metrics.evaluation("start", started.elapsed());
        let journal = Journal::open(&settings.journal, &Config::create()).map_err(journal_error)?;
        let replayed = replay(&mut session, &journal)?;
        let user_agent = settings.engine_version.replace(' ', "/");
        let alarms = settings
            .webhook
            .map(|w| webhook::Alarms::start(w, user_agent, Arc::clone(&metrics)))
            .transpose()?;
        let app = App {
            core: Mutex::new(Core {
                session,
                journal,
                batches: replayed.applied,
                broken: None,
            }),
            auth: settings.auth,
            metrics,
            clock: settings.clock,
            engine_version: settings.engine_version,
            limits: settings.limits,
            web: web::Sessions::default(),
            alarms,
        };
        Ok((Arc::new(app), replayed))
    }

    /// The router: the API, the web view, `/healthz` and `/metrics`.
    pub fn router(self: &Arc<App>) -> axum::Router {
        let pages = web::router(self.limits.body_bytes);
        api::router(Arc::clone(self), pages)
    }

    /// Waits until every alarm queued for the webhook so far was POSTed (or failed, which is
    /// reported on stderr); returns at once without a webhook. Called when the server stops.
    pub fn flush_alarms(&self) {
        if let Some(a) = &self.alarms {
            a.flush();
        }
    }

    /// Locks the state. A request that panicked while holding it (a bug) leaves the session
    /// as it was before its change (changes are all or nothing), so the lock is taken anyway.
    pub(crate) fn core(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn now(&self) -> Timestamp {
        (self.clock)()
    }

    pub(crate) fn request(&self, actor: &str) -> Request {
        Request {
            actor: actor.to_string(),
            time: self.now(),
            engine_version: self.engine_version.clone(),
        }
    }

    /// Journals a refused request: who (or `anonymous`), what was attempted, and why.
    pub(crate) fn refuse(&self, actor: &str, attempted: &str, code: &str) -> Result<()> {
        let mut core = self.core();
        let context = Context {
            engine_version: self.engine_version.clone(),
            kb_digest: Some(core.session.kb().digest().to_string()),
            model_digest: Some(core.session.model().digest().to_string()),
        };
        let entry = NewEntry {
            time: self.now(),
            actor: actor.to_string(),
            finding: None,
            context,
            payload: Payload::Refusal(journal::Refusal {
                attempted: attempted.to_string(),
                code: code.to_string(),
            }),
        };
        core.journal.append(&entry).map_err(journal_error)?;
        Ok(())
    }

    /// The model's DPO (`organization.dpo`).
    pub(crate) fn dpo(core: &Core) -> Option<String> {
        core.session
            .model()
            .company()
            .and_then(|m| m.organization.dpo.clone())
            .map(|d| d.to_string())
    }

    /// Applies a batch of changes and journals it; answers with the delta and the new head.
    pub(crate) fn apply(&self, batch: &changes::Batch, actor: &str) -> Result<Value> {
        let mut core = self.core();
        if let Some(why) = &core.broken {
            return Err(broken_error(why));
        }
        let before = core.session.model().digest().to_string();
        let kb_digest = core.session.kb().digest().to_string();
        let name = batch_name(core.batches + 1);
        let started = Instant::now();
        let delta = core.session.apply_as(&name, &batch.changes)?;
        self.metrics.evaluation("change", started.elapsed());
        let entry = change_entry(self, actor, batch, &before, &kb_digest);
        let head = match core.journal.append(&entry) {
            Ok(h) => h,
            Err(e) => {
                let err = journal_error(e);
                core.broken = Some(err.message());
                return Err(err);
            }
        };
        core.batches += 1;
        let ids = |list: &[crate::Finding]| -> Vec<String> {
            list.iter().map(|f| f.id.clone()).collect()
        };
        Ok(json!({
            "batch": name,
            "model_digest": core.session.model().digest(),
            "appeared": ids(&delta.appeared),
            "vanished": ids(&delta.vanished),
            "changed": delta.changed.iter().map(|c| c.after.id.clone()).collect::<Vec<_>>(),
            "findings": core.session.findings().len(),
            "journal_head": head_json(&head),
        }))
    }
}

fn broken_error(why: &str) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("a change could not be journaled ({why}); the server answers nothing until it is restarted"),
    )
    .with_hint("restart the server: it rebuilds its state from the model files and the journal")
}

pub(crate) fn head_json(h: &journal::Head) -> Value {
    json!({"seq": h.seq, "hash": h.hash.to_hex(), "head": h.to_string()})
}

fn batch_name(n: u64) -> String {
    format!("crm-change-{n}")
}

fn change_entry(
    app: &App,
    actor: &str,
    batch: &changes::Batch,
    model_before: &str,
    kb_digest: &str,
) -> NewEntry {
    NewEntry {
        time: app.now(),
        actor: actor.to_string(),
        finding: None,
        context: Context {
            engine_version: app.engine_version.clone(),
            kb_digest: Some(kb_digest.to_string()),
            // The model the change was applied to: a replay applies it only to that model.
            model_digest: Some(model_before.to_string()),
        },
        payload: Payload::Change(journal::Change {
            what: batch.what.join(","),
            record_id: batch.ids.join(","),
            content_digest: journal::text_digest(&batch.content),
            content: Some(batch.content.clone()),
        }),
    }
}

/// Applies the journal's change batches that were made on the session's model, in order: each
/// names the digest of the model it changed, so batches of other model files are skipped.
fn replay(session: &mut Session, journal: &Journal) -> Result<Replayed> {
    let entries = journal
        .entries(&Filter {
            actions: vec![Action::Change],
            ..Filter::default()
        })
        .map_err(journal_error)?;
    let mut out = Replayed::default();
    for e in entries {
        let Payload::Change(c) = &e.payload else {
            continue;
        };
        let ours = e.context.model_digest.as_deref() == Some(session.model().digest())
            && e.context.kb_digest.as_deref() == Some(session.kb().digest());
        let Some(content) = c.content.as_deref().filter(|_| ours) else {
            out.skipped += 1;
            continue;
        };
        if journal::text_digest(content) != c.content_digest {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "journal entry {}: the change does not match its digest",
                    e.seq
                ),
            )
            .with_hint("`sphere journal verify` checks the journal"));
        }
        let batch = changes::parse(&format!("journal entry {}", e.seq), content)?;
        session.apply_as(&batch_name(out.applied + 1), &batch.changes)?;
        out.applied += 1;
    }
    Ok(out)
}

/// An error as the API's JSON: its kind, the message and hint, every problem with its file
/// and place, and the text the command line prints for it.
pub fn error_json(e: &Error) -> Value {
    let problems: Vec<Value> = e
        .problems()
        .into_iter()
        .map(|p| {
            let (path, line, column) = match p.place {
                Place::Path(path) => (Some(path), None, None),
                Place::Line { line, column } => (None, Some(line), Some(column)),
                Place::Whole => (None, None, None),
            };
            json!({
                "code": p.code,
                "file": p.file,
                "path": path,
                "line": line,
                "column": column,
                "message": p.message,
                "hint": p.hint,
            })
        })
        .collect();
    json!({
        "error": {
            "kind": e.kind().as_str(),
            "message": e.message(),
            "hint": e.hint(),
            "problems": problems,
            "text": e.render(false),
        }
    })
}

/// Runs a gate for `activity` as `actor` (the library's gate, the CLI's JSON).
pub(crate) fn run_gate(app: &App, activity: &str, actor: &str, lang: crate::Lang) -> Result<Value> {
    let mut core = app.core();
    if let Some(why) = &core.broken {
        return Err(broken_error(why));
    }
    let request = app.request(actor);
    let core = &mut *core;
    let gated = core.session.gate(&mut core.journal, activity, &request)?;
    // The blocks are durable: alert the DPO of the new ones, off the request path.
    if let Some(alarms) = &app.alarms {
        for b in gated.blocking.iter().filter(|b| b.alerted) {
            alarms.send(
                &b.finding.id,
                &crate::render::gate::alarm(b, &gated.activity),
            );
        }
    }
    Ok(crate::render::gate::gated(&gated, lang))
}
