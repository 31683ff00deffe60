//! `sphere journal replay ENTRY MODEL...`: re-runs the check or gate an execution receipt
//! records, on the receipt's as-of date, evaluator and (for a gate) the DPO's decisions as
//! the journal held them before the receipt, and says whether the result is the same.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::json;

use sphere::journal::{self, Action, Entry, Payload, Receipt};
use sphere::{gate, EvalOptions};

use super::journal::{write_out, Format};
use super::load::{cli_error, load_kb, open_journal, read_model, result_lines};
use super::{exit, leave_to_exit, progress, CliError, CmdResult};

/// What a replay found.
struct Replayed {
    seq: u64,
    receipt: Receipt,
    engine_version: (String, String),
    model_digest: String,
    kb_digest: (Option<String>, String),
    lines: Vec<String>,
    result_digest: String,
}

impl Replayed {
    fn same(&self) -> bool {
        self.result_digest == self.receipt.result_digest
    }

    /// The lines only the receipt has, and those only the replay has; `None` when the receipt
    /// kept only the digest.
    fn differences(&self) -> Option<(Vec<String>, Vec<String>)> {
        let then: BTreeSet<&String> = self.receipt.lines.as_ref()?.iter().collect();
        let now: BTreeSet<&String> = self.lines.iter().collect();
        Some((
            then.difference(&now).map(|s| s.to_string()).collect(),
            now.difference(&then).map(|s| s.to_string()).collect(),
        ))
    }
}

pub fn run(
    path: &Path,
    entry: &str,
    models: &[PathBuf],
    kb_dir: Option<&Path>,
    format: Format,
) -> CmdResult {
    let seq: u64 = entry.parse().map_err(|_| {
        CliError::new(format!("`{entry}` is not an entry number"))
            .with_hint("give the receipt's sequence number, as `sphere journal show` lists it")
    })?;
    let journal = open_journal(path)?;
    let Some(e) = journal.entry(seq).map_err(cli_error)? else {
        let head = journal.head().map_err(cli_error)?;
        return Err(
            CliError::new(format!("{}: no entry {seq} in the journal", path.display())).with_hint(
                if seq > head.seq {
                    format!("the journal ends at entry {}", head.seq)
                } else {
                    "it was pruned (`sphere journal show` lists the entries kept)".into()
                },
            ),
        );
    };
    let Payload::Receipt(receipt) = &e.payload else {
        return Err(CliError::new(format!(
            "entry {seq} is a `{}` entry, not an execution receipt",
            e.action()
        ))
        .with_hint(
            "replay takes the number of a `receipt` entry: `sphere journal show` lists them",
        ));
    };
    let receipt = receipt.clone();
    let replayed = replay(&journal, &e, receipt, models, kb_dir)?;
    let text = match format {
        Format::Text => text(&replayed),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&to_json(&replayed)).expect("JSON values serialize")
        ),
    };
    write_out(&text)?;
    Ok(if replayed.same() {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

fn replay(
    journal: &journal::Journal,
    e: &Entry,
    receipt: Receipt,
    models: &[PathBuf],
    kb_dir: Option<&Path>,
) -> Result<Replayed, CliError> {
    let as_of = sphere::Date::parse(&receipt.as_of.to_string()).ok_or_else(|| {
        CliError::new(format!(
            "entry {}: the as-of date {} cannot be read",
            e.seq, receipt.as_of
        ))
    })?;
    let line = progress::Line::new();
    let model = read_model(models, None, Some(as_of), &line)?;
    let expected = e.context.model_digest.clone().unwrap_or_default();
    if model.digest() != expected {
        return Err(CliError::new(format!(
            "the model files differ from those of entry {}: their digest is {}, the receipt's is {expected}",
            e.seq,
            model.digest()
        ))
        .with_hint(
            "give the model files the run read, unchanged (a server's receipts name its model after the changes it applied)",
        ));
    }
    let kb = load_kb(kb_dir, &[])?;
    let engine = match receipt.evaluator.as_str() {
        "interpreted" => sphere::Engine::Interpreted,
        _ => sphere::Engine::Compiled,
    };
    let options = EvalOptions {
        engine,
        progress: line.callback(),
        ..EvalOptions::default()
    };
    let lines = match (receipt.command.as_str(), receipt.activity_id.as_deref()) {
        ("gate", Some(activity)) => {
            let outcome = gate::outcome_for(&kb, &model, &options, activity)?;
            // The DPO's decisions as they stood before the receipt, on the day of the gate.
            let today = e
                .time()
                .map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
                .unwrap_or(receipt.as_of);
            let (blocking, warnings) = gate::assess(&outcome, activity, |r| {
                let latest = journal
                    .latest_before(r, &[Action::Approve, Action::Reject], e.seq)
                    .map_err(gate::journal_error)?;
                Ok(gate::status_of(latest, today))
            })?;
            let lines = gate::result_lines(&blocking, &warnings);
            leave_to_exit(outcome);
            lines
        }
        ("check", None) => {
            let model = model.into_facts_only();
            let outcome = kb.evaluate(&model, &options)?;
            let lines = result_lines(&outcome);
            leave_to_exit(outcome);
            leave_to_exit(model);
            lines
        }
        (command, _) => {
            return Err(CliError::new(format!(
                "entry {}: a receipt of `{command}` cannot be replayed",
                e.seq
            ))
            .with_hint("replay knows receipts of `check` and of `gate` (with an activity)"));
        }
    };
    let replayed = Replayed {
        seq: e.seq,
        engine_version: (
            e.context.engine_version.clone(),
            format!("sphere {}", env!("CARGO_PKG_VERSION")),
        ),
        model_digest: expected,
        kb_digest: (e.context.kb_digest.clone(), kb.digest().to_string()),
        result_digest: journal::result_digest(&lines),
        lines,
        receipt,
    };
    leave_to_exit(kb);
    Ok(replayed)
}

fn what(r: &Replayed) -> String {
    match &r.receipt.activity_id {
        Some(a) => format!("{} of {a}", r.receipt.command),
        None => r.receipt.command.clone(),
    }
}

fn text(r: &Replayed) -> String {
    let mut s = format!(
        "entry {}: {} as of {}, {} evaluator, {}\n",
        r.seq,
        what(r),
        r.receipt.as_of,
        r.receipt.evaluator,
        r.engine_version.0
    );
    if r.engine_version.0 != r.engine_version.1 {
        s.push_str(&format!("note: replayed by {}\n", r.engine_version.1));
    }
    s.push_str(&format!("model: {} (the same)\n", r.model_digest));
    match &r.kb_digest.0 {
        Some(k) if *k == r.kb_digest.1 => s.push_str(&format!("knowledge base: {k} (the same)\n")),
        then => s.push_str(&format!(
            "knowledge base: differs: the receipt's {}, now {}\n",
            then.as_deref().unwrap_or("(none)"),
            r.kb_digest.1
        )),
    }
    if r.same() {
        s.push_str(&format!(
            "result: the same ({} findings, outcome {}, digest {})\n",
            r.receipt.findings, r.receipt.outcome, r.result_digest
        ));
        return s;
    }
    s.push_str(&format!(
        "result: different: {} findings then, {} now; digest {} then, {} now\n",
        r.receipt.findings,
        r.lines.len(),
        r.receipt.result_digest,
        r.result_digest
    ));
    match r.differences() {
        Some((then, now)) => {
            for l in then {
                s.push_str(&format!("  - {l}\n"));
            }
            for l in now {
                s.push_str(&format!("  + {l}\n"));
            }
        }
        None => s.push_str(
            "  (the receipt kept only the digest of its result, so the findings that differ cannot be named)\n",
        ),
    }
    s
}

fn to_json(r: &Replayed) -> serde_json::Value {
    let (then, now) = match r.differences() {
        Some((a, b)) => (json!(a), json!(b)),
        None => (serde_json::Value::Null, serde_json::Value::Null),
    };
    json!({
        "entry": r.seq,
        "command": r.receipt.command,
        "activity": r.receipt.activity_id,
        "as_of": r.receipt.as_of.to_string(),
        "evaluator": r.receipt.evaluator,
        "engine_version": {"receipt": r.engine_version.0, "replay": r.engine_version.1},
        "model_digest": r.model_digest,
        "kb_digest": {
            "receipt": r.kb_digest.0,
            "replay": r.kb_digest.1,
            "same": r.kb_digest.0.as_deref() == Some(r.kb_digest.1.as_str()),
        },
        "same": r.same(),
        "result_digest": {"receipt": r.receipt.result_digest, "replay": r.result_digest},
        "findings": {"receipt": r.receipt.findings, "replay": r.lines.len()},
        "outcome": r.receipt.outcome,
        "only_in_receipt": then,
        "only_in_replay": now,
    })
}
