//! JSON of the gate: the answer of `sphere gate --format json` and of the server's
//! `POST /v1/gate`, one function so both answer alike.

use serde_json::{json, Value};

use crate::findings::Lang;
use crate::gate::{Blocking, Gated, Status};
use crate::render::json::finding;

/// Where a blocking finding stands with the DPO, as JSON.
pub fn status(s: &Status) -> Value {
    match s {
        Status::Waiting => json!({"status": "waiting"}),
        Status::Approved { by, seq, until } => {
            json!({"status": "approved", "by": by, "entry": seq, "until": until.map(|d| d.to_string())})
        }
        Status::Expired { by, seq, until } => {
            json!({"status": "expired", "by": by, "entry": seq, "until": until.to_string()})
        }
        Status::Rejected { by, seq } => json!({"status": "rejected", "by": by, "entry": seq}),
    }
}

/// The answer of a gate: verdict, blocking findings with their facts digest and approval,
/// warnings, and the journal head after the gate's entries.
pub fn gated(g: &Gated, lang: Lang) -> Value {
    let blocking: Vec<Value> = g
        .blocking
        .iter()
        .map(|b| {
            let mut v = finding(&b.finding, lang, None);
            if let Some(o) = v.as_object_mut() {
                o.insert("facts_digest".into(), json!(b.facts_digest));
                o.insert("approval".into(), status(&b.status));
                o.insert("alerted".into(), json!(b.alerted));
            }
            v
        })
        .collect();
    let warnings: Vec<Value> = g.warnings.iter().map(|w| finding(w, lang, None)).collect();
    json!({
        "activity": g.activity,
        "verdict": g.verdict.as_str(),
        "blocking": blocking,
        "warnings": warnings,
        "journal_head": {"seq": g.head.seq, "hash": g.head.hash.to_hex(), "head": g.head.to_string()},
    })
}

/// The alarm of a new block, what `sphere gate --notify` gives its command on stdin and the
/// server POSTs to its webhook: the finding's JSON (in English) with its `facts_digest` and
/// the `gate_activity` the gate was asked about.
pub fn alarm(b: &Blocking, activity: &str) -> Value {
    let mut doc = finding(&b.finding, Lang::En, None);
    if let Some(o) = doc.as_object_mut() {
        o.insert("facts_digest".into(), json!(b.facts_digest));
        o.insert("gate_activity".into(), json!(activity));
    }
    doc
}
