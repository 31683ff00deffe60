//! The gate: before staff contact someone or select personal data, one planned activity is
//! checked; what needs action blocks it until the DPO has approved exactly its blocking
//! findings for exactly the facts they rest on. Every block alerts the DPO once (a `block`
//! entry in the journal), every gate leaves an execution receipt, and only the model's DPO may
//! approve or reject (anyone else is refused, and the refusal is journaled).
//!
//! An approval covers a finding id and its *facts digest* ([`facts_digest`]): the SHA-256 of
//! the facts the finding's derivation rests on. Change one of them (another subject, a
//! withdrawn consent, a new date) and the approval no longer applies.
//!
//! Decisions: the latest approval or rejection of a finding id and facts digest counts. A
//! rejection keeps the gate closed whatever the retries; the DPO may later approve the same
//! finding, but only by a new, explicit approval (a later `approve` entry), never by a gate.
//!
//! Invariant: nothing here prints or reads a clock; the time of every entry is passed in.
//! Invariant: a gate answers only after its entries are durable in the journal; a journal
//! that cannot be written is an error, never "allowed".

use std::collections::BTreeSet;

use jiff::Timestamp;
use sha2::Digest;

use crate::error::{Error, ErrorKind, Result};
use crate::explain::{Derivation, Premise, Step};
use crate::findings::{Finding, Texts};
use crate::journal::{
    self, Action, Block, Context, FindingRef, Head, Journal, JournalError, NewEntry, Payload,
    Receipt, Refusal,
};
use crate::outcome::Outcome;

/// Whether the activity may go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Blocked,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Blocked => "blocked",
        }
    }
}

/// Where a blocking finding stands with the DPO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// No decision yet: it waits for the DPO.
    Waiting,
    /// Approved for these facts (by, journal entry, last day it applies).
    Approved {
        by: String,
        seq: u64,
        until: Option<jiff::civil::Date>,
    },
    /// The approval for these facts ended on `until`.
    Expired {
        by: String,
        seq: u64,
        until: jiff::civil::Date,
    },
    /// Rejected for these facts.
    Rejected { by: String, seq: u64 },
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Approved { .. } => "approved",
            Status::Expired { .. } => "expired",
            Status::Rejected { .. } => "rejected",
        }
    }

    /// Whether the finding no longer blocks.
    pub fn covers(&self) -> bool {
        matches!(self, Status::Approved { .. })
    }
}

/// A finding of the gated activity that needs action, its facts digest and its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocking {
    pub finding: Finding,
    pub facts_digest: String,
    pub status: Status,
    /// This gate appended the `block` entry that alerts the DPO (the first time these facts
    /// were blocked, or again after an approval expired).
    pub alerted: bool,
}

/// The answer of a gate.
#[derive(Clone, Debug)]
pub struct Gated {
    pub activity: String,
    pub verdict: Verdict,
    /// Findings that need action, sorted as findings; approved ones included (with their
    /// status), so a reader sees what the approval covers.
    pub blocking: Vec<Blocking>,
    /// Warnings and information about the activity, with their legal background.
    pub warnings: Vec<Finding>,
    /// The journal's head after this gate's entries.
    pub head: Head,
}

/// Who and when: what every journal entry of a request needs besides its content.
#[derive(Clone, Debug)]
pub struct Request {
    /// The staff id (or client id) asking.
    pub actor: String,
    /// Now, as the caller's clock says.
    pub time: Timestamp,
    /// The program's version, e.g. `sphere 0.1.0`.
    pub engine_version: String,
}

impl Request {
    fn context(&self, outcome: &Outcome<'_>) -> Context {
        Context {
            engine_version: self.engine_version.clone(),
            kb_digest: Some(outcome.kb_digest().to_string()),
            model_digest: Some(outcome.model_digest().to_string()),
        }
    }

    fn today(&self) -> jiff::civil::Date {
        self.time.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
    }
}

/// A journal error as a library error (the journal's own hint kept).
pub fn journal_error(e: JournalError) -> Error {
    let err = Error::texts(
        ErrorKind::Io,
        crate::Texts::new(e.to_string(), e.message_de()),
    );
    match (e.hint(), e.hint_de()) {
        (Some(en), Some(de)) => err.with_hint_texts(crate::Texts::new(en, de)),
        (Some(en), None) => err.with_hint(en),
        _ => err,
    }
}

/// The facts a finding's derivation rests on, canonical (each as written in the rule
/// language) and sorted:
///
/// - every input fact (leaf) of the derivation tree;
/// - every negated premise, as `not <pattern>`: the finding relies on that absence;
/// - because an absence can end by a fact the tree cannot show (a consent given, withdrawn,
///   changed), the input facts that name one of the finding's subjects, and the facts of the
///   records those point at (a consent's channels and withdrawal), activities excepted (each
///   activity is gated on its own). Only when the derivation has a negated premise.
pub fn premises(outcome: &Outcome<'_>, index: usize) -> Option<Vec<String>> {
    let finding = outcome.findings().get(index)?;
    let tree = outcome.derivation(index)?;
    let mut out: BTreeSet<String> = tree.inputs().iter().map(|d| d.fact.clone()).collect();
    let mut absent = Vec::new();
    absences(&tree, &mut absent);
    for a in &absent {
        out.insert(format!("not {a}"));
    }
    if !absent.is_empty() && !finding.subjects.is_empty() {
        records(outcome, &finding.subjects, &mut out);
    }
    Some(out.into_iter().collect())
}

/// The negated premises of the tree in tree order, without recursion: a derivation is as
/// deep as the evaluation had rounds.
fn absences(d: &Derivation, out: &mut Vec<String>) {
    // Premises still to visit, the next at the end.
    fn push<'d>(d: &'d Derivation, stack: &mut Vec<&'d Premise>) {
        if let Step::Rule(r) = &d.step {
            stack.extend(r.premises.iter().rev());
        }
    }
    let mut stack: Vec<&Premise> = Vec::new();
    push(d, &mut stack);
    while let Some(p) = stack.pop() {
        match p {
            Premise::Holds(sub) => push(sub, &mut stack),
            Premise::Absent(text) => out.push(text.clone()),
            Premise::Compare(_) => {}
        }
    }
}

/// The input facts naming one of `subjects`, and those of the records they point at.
fn records(outcome: &Outcome<'_>, subjects: &[String], out: &mut BTreeSet<String>) {
    use sphere_engine::explain::atom_text;
    use sphere_engine::ir::RelId;
    use sphere_engine::Value;
    let ev = outcome.evaluation();
    let program = ev.program();
    let interner = ev.interner();
    let text = |v: &Value| sphere_engine::value::display(*v, interner);
    let inputs: Vec<RelId> = (0..program.relations.len() as u32)
        .map(RelId)
        .filter(|r| program.relation(*r).input)
        .collect();
    let keys: BTreeSet<&str> = subjects.iter().map(String::as_str).collect();
    let mut pointed: BTreeSet<String> = BTreeSet::new();
    for &rel in &inputs {
        let r = program.relation(rel);
        let first_is_activity = r.columns.first().is_some_and(|c| c.name == "activity");
        for t in ev.tuples(rel) {
            if t.iter().any(|v| keys.contains(text(v).as_str())) {
                out.insert(atom_text(program, rel, &t, interner));
                if let (Some(first), false) = (t.first(), first_is_activity) {
                    pointed.insert(text(first));
                }
            }
        }
    }
    for k in &keys {
        pointed.remove(*k);
    }
    if pointed.is_empty() {
        return;
    }
    for &rel in &inputs {
        for t in ev.tuples(rel) {
            if t.first().is_some_and(|v| pointed.contains(&text(v))) {
                out.insert(atom_text(program, rel, &t, interner));
            }
        }
    }
}

/// The SHA-256 (hex) of premises: each fact's text and a newline, sorted and without
/// duplicates, so the digest does not depend on the order facts were found in.
pub fn digest_of(premises: &[String]) -> String {
    let mut sorted: Vec<&String> = premises.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut h = sha2::Sha256::new();
    for p in sorted {
        h.update(p.as_bytes());
        h.update(b"\n");
    }
    journal::EntryHash(h.finalize().into()).to_hex()
}

/// The facts digest of the listed finding with this index: what an approval binds to.
pub fn facts_digest(outcome: &Outcome<'_>, index: usize) -> Option<String> {
    premises(outcome, index).map(|p| digest_of(&p))
}

/// Where a finding id and facts digest stands with the DPO, on `today`.
pub fn status(journal: &Journal, finding: &FindingRef, today: jiff::civil::Date) -> Result<Status> {
    let latest = journal.latest_decision(finding).map_err(journal_error)?;
    Ok(status_of(latest, today))
}

/// Where a finding stands on `today`, given its latest approval or rejection (if any).
pub fn status_of(latest: Option<journal::Entry>, today: jiff::civil::Date) -> Status {
    let Some(e) = latest else {
        return Status::Waiting;
    };
    match &e.payload {
        Payload::Approve(d) => match d.until {
            Some(until) if until < today => Status::Expired {
                by: e.actor,
                seq: e.seq,
                until,
            },
            until => Status::Approved {
                by: e.actor,
                seq: e.seq,
                until,
            },
        },
        _ => Status::Rejected {
            by: e.actor,
            seq: e.seq,
        },
    }
}

/// Gates one activity of the evaluated model: allowed when every finding about it that needs
/// action is covered by a valid approval of the DPO for its current facts. Appends a `block`
/// entry for each blocking finding the DPO has not been alerted of (once per finding and
/// facts digest; again after an approval expired), then the receipt, and answers only after
/// they are durable.
///
/// The statuses are read, the blocks decided and every entry appended in one writer
/// transaction ([`Journal::transact`]): gates and decisions running at the same time (threads
/// or processes) see each other's entries, so a finding is alerted once however many gates
/// ask at once, and the blocks and the receipt are recorded together or not at all (a gate
/// that fails has alerted nobody, and the next gate alerts).
pub fn gate(
    journal: &mut Journal,
    outcome: &Outcome<'_>,
    activity: &str,
    request: &Request,
) -> Result<Gated> {
    if let Some(m) = outcome_company_activities(outcome) {
        if !m.iter().any(|a| a == activity) {
            return Err(unknown_activity(activity, m.iter().map(String::as_str)));
        }
    }
    let today = request.today();
    let context = request.context(outcome);
    let as_of = civil(outcome.as_of())?;
    let evaluator = outcome.engine().as_str();
    // The findings and their digests, from the evaluation alone; their statuses are read
    // under the journal's write lock below.
    let (mut blocking, warnings) = assess(outcome, activity, |_| Ok(Status::Waiting))?;
    let (verdict, heads) = journal
        .transact(|w| {
            for b in blocking.iter_mut() {
                let r = FindingRef {
                    id: b.finding.id.clone(),
                    facts_digest: b.facts_digest.clone(),
                };
                b.status = status_of(w.latest(&r, &[Action::Approve, Action::Reject])?, today);
                if b.status.covers() {
                    continue;
                }
                // Alert once: not while a block waits, not after a rejection (the DPO has
                // decided); again when an approval has expired.
                let latest = w.latest(&r, &[Action::Block, Action::Approve, Action::Reject])?;
                if latest.is_none_or(|e| e.action() == Action::Approve) {
                    let f = &b.finding;
                    let mut norms: Vec<String> = f.norms.iter().map(|n| n.id.clone()).collect();
                    norms.sort();
                    w.append(&NewEntry {
                        time: request.time,
                        actor: request.actor.clone(),
                        finding: Some(r),
                        context: context.clone(),
                        payload: Payload::Block(Block {
                            activity_id: activity.to_string(),
                            decision: f.decision.as_str().to_string(),
                            norms,
                            as_of,
                        }),
                    })?;
                    b.alerted = true;
                }
            }
            let verdict = verdict_of(&blocking);
            let lines = result_lines(&blocking, &warnings);
            w.append(&NewEntry {
                time: request.time,
                actor: request.actor.clone(),
                finding: None,
                context: context.clone(),
                payload: Payload::Receipt(Receipt {
                    command: "gate".into(),
                    activity_id: Some(activity.to_string()),
                    as_of,
                    evaluator: evaluator.into(),
                    outcome: verdict.as_str().into(),
                    result_digest: journal::result_digest(&lines),
                    findings: (blocking.len() + warnings.len()) as u64,
                    lines: (lines.len() <= journal::RECEIPT_LINES).then_some(lines),
                }),
            })?;
            Ok(verdict)
        })
        .map_err(journal_error)?;
    let head = *heads.last().expect("the receipt was appended");
    Ok(Gated {
        activity: activity.to_string(),
        verdict,
        blocking,
        warnings,
        head,
    })
}

/// The findings about `activity` that need action, each with its facts digest and its
/// status as `status` reports it (nothing alerted), and the warnings: what a gate decides on,
/// without writing anything. A replay of a receipt calls it with the statuses as they stood
/// then.
pub fn assess(
    outcome: &Outcome<'_>,
    activity: &str,
    mut status: impl FnMut(&FindingRef) -> Result<Status>,
) -> Result<(Vec<Blocking>, Vec<Finding>)> {
    let mut blocking = Vec::new();
    let mut warnings = Vec::new();
    for (i, f) in outcome.findings().iter().enumerate() {
        if f.about.activity() != Some(activity) {
            continue;
        }
        if !f.needs_action() {
            warnings.push(f.clone());
            continue;
        }
        let digest = facts_digest(outcome, i).ok_or_else(|| {
            Error::new(
                ErrorKind::Evaluation,
                format!("finding {} has no derivation", f.id),
            )
        })?;
        let status = status(&FindingRef {
            id: f.id.clone(),
            facts_digest: digest.clone(),
        })?;
        blocking.push(Blocking {
            finding: f.clone(),
            facts_digest: digest,
            status,
            alerted: false,
        });
    }
    Ok((blocking, warnings))
}

/// Allowed when every blocking finding is covered by an approval.
pub fn verdict_of(blocking: &[Blocking]) -> Verdict {
    if blocking.iter().all(|b| b.status.covers()) {
        Verdict::Allowed
    } else {
        Verdict::Blocked
    }
}

/// The result lines of a gate, which its receipt keeps (as a digest, and the lines when
/// short): each blocking finding's id, facts digest and status, then each warning's id and
/// decision, in the order of the findings.
pub fn result_lines(blocking: &[Blocking], warnings: &[Finding]) -> Vec<String> {
    let mut lines: Vec<String> = blocking
        .iter()
        .map(|b| format!("{} {} {}", b.finding.id, b.facts_digest, b.status.as_str()))
        .collect();
    lines.extend(
        warnings
            .iter()
            .map(|w| format!("{} {}", w.id, w.decision.as_str())),
    );
    lines
}

/// The outcome a gate of `activity` decides on: of the activity's component and the shared
/// data when the knowledge base's findings are local, else of the whole model (see
/// [`gate_model`]).
pub fn outcome_for<'k>(
    kb: &'k crate::KnowledgeBase,
    model: &crate::Model,
    options: &crate::EvalOptions,
    activity: &str,
) -> Result<Outcome<'k>> {
    let company = model.company().filter(|_| {
        kb.locality().is_local() && options.assume.is_empty() && options.retract.is_empty()
    });
    let Some(company) = company else {
        return kb.evaluate(model, options);
    };
    if !company.activities.iter().any(|a| a.id == activity) {
        return Err(unknown_activity(
            activity,
            company.activities.iter().map(|a| a.id.as_str()),
        ));
    }
    // Activities with several subjects are split where the rules allow it (see
    // `locality::persons`); one that a rule turns out to read all the subjects of, in the
    // part's evaluation, is made whole and the part evaluated again.
    let locality = kb.locality();
    let persons = locality.persons();
    let none = std::collections::BTreeSet::new();
    let split = persons.is_split();
    let mut components = crate::locality::Components::split_of(company, split.then_some(&none));
    loop {
        let ids = components.members([&activity.to_string()]);
        let part = model.part(crate::locality::slice(company, &ids));
        let outcome = kb.evaluate(&part, options)?;
        if !split {
            return Ok(outcome);
        }
        let tied = crate::locality::entangled(persons, outcome.evaluation());
        let whole: Vec<&String> = tied.iter().filter(|a| components.is_split(a)).collect();
        if whole.is_empty() {
            return Ok(outcome);
        }
        for a in whole {
            components.unsplit(a);
        }
    }
}

/// Gates one activity of `model` (see [`gate`]) without evaluating the whole model: when the
/// knowledge base's findings are local ([`crate::locality`]), only the activity's component
/// (its subjects and their records) with the shared data is evaluated. Same decision, facts
/// digests and receipt as [`gate`] on the whole model's outcome; a facts export, what-if
/// facts or a knowledge base that is not local evaluate the whole model.
pub fn gate_model(
    journal: &mut Journal,
    kb: &crate::KnowledgeBase,
    model: &crate::Model,
    options: &crate::EvalOptions,
    activity: &str,
    request: &Request,
) -> Result<Gated> {
    let outcome = outcome_for(kb, model, options, activity)?;
    gate(journal, &outcome, activity, request)
}

/// The error for an activity the model does not have, with a did-you-mean.
pub(crate) fn unknown_activity<'a>(activity: &str, ids: impl Iterator<Item = &'a str>) -> Error {
    let hint = match crate::did_you_mean(activity, ids) {
        Some(s) => crate::did_you_mean_texts(&s),
        None => Texts::new(
            "`sphere check` lists the model's activities with findings",
            "`sphere check` zeigt die Tätigkeiten des Modells mit Befunden",
        ),
    };
    Error::texts(
        ErrorKind::Usage,
        Texts::new(
            format!("no activity `{activity}` in the model"),
            format!("keine Tätigkeit `{activity}` im Modell"),
        ),
    )
    .with_hint_texts(hint)
}

fn outcome_company_activities(outcome: &Outcome<'_>) -> Option<Vec<String>> {
    use sphere_engine::Value;
    let ev = outcome.evaluation();
    let program = ev.program();
    let rel = program.relation_by_name("activity")?;
    let mut out: Vec<String> = ev
        .tuples(rel)
        .into_iter()
        .filter_map(|t| match t.first() {
            Some(v @ Value::Sym(_)) => Some(sphere_engine::value::display(*v, ev.interner())),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    Some(out)
}

fn civil(d: sphere_engine::Date) -> Result<jiff::civil::Date> {
    d.to_string()
        .parse()
        .map_err(|e| Error::new(ErrorKind::Evaluation, format!("date {d}: {e}")))
}

/// Approve or reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Approve,
    Reject,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Approve => "approve",
            Verb::Reject => "reject",
        }
    }
}

/// What became of an approval or a rejection.
#[derive(Clone, Debug)]
pub enum Decided {
    /// Recorded for this finding id and facts digest.
    Recorded { finding: FindingRef, head: Head },
    /// The actor is not the model's DPO: refused, and the refusal recorded.
    Refused { dpo: Option<String>, head: Head },
}

/// The DPO approves or rejects a finding that needs action, for its current facts. The
/// reason is kept only as its SHA-256. Anyone but the model's DPO (`organization.dpo`) is
/// refused, and the refusal is journaled; a model without a DPO refuses everyone.
#[allow(clippy::too_many_arguments)]
pub fn decide(
    journal: &mut Journal,
    outcome: &Outcome<'_>,
    dpo: Option<&str>,
    verb: Verb,
    finding_id: &str,
    reason: &str,
    until: Option<jiff::civil::Date>,
    request: &Request,
) -> Result<Decided> {
    let index = outcome.findings().iter().position(|f| f.id == finding_id);
    let reference = index.and_then(|i| {
        facts_digest(outcome, i).map(|d| FindingRef {
            id: finding_id.to_string(),
            facts_digest: d,
        })
    });
    let context = request.context(outcome);
    if dpo != Some(request.actor.as_str()) {
        let head = journal
            .append(&NewEntry {
                time: request.time,
                actor: request.actor.clone(),
                finding: reference,
                context,
                payload: Payload::Refusal(Refusal {
                    attempted: verb.as_str().into(),
                    code: "not-dpo".into(),
                }),
            })
            .map_err(journal_error)?;
        return Ok(Decided::Refused {
            dpo: dpo.map(str::to_string),
            head,
        });
    }
    let Some(i) = index else {
        return Err(Error::texts(
            ErrorKind::Usage,
            Texts::new(
                format!("no finding `{finding_id}` in this model"),
                format!("kein Befund `{finding_id}` in diesem Modell"),
            ),
        )
        .with_hint_texts(Texts::new(
            "`sphere gate` or `sphere check` with the same model files lists the findings and their ids",
            "`sphere gate` oder `sphere check` mit denselben Modelldateien zeigt die Befunde und ihre Kennungen",
        )));
    };
    if !outcome.findings()[i].needs_action() {
        let d = outcome.findings()[i].decision;
        return Err(Error::texts(
            ErrorKind::Usage,
            Texts::new(
                format!("finding `{finding_id}` is a {d}: only findings that block need a decision"),
                format!(
                    "Befund `{finding_id}` ist ein(e) {}: nur Befunde, die sperren, brauchen eine Entscheidung",
                    crate::findings::decision_word(d, crate::Lang::De)
                ),
            ),
        ));
    }
    if reason.trim().is_empty() {
        return Err(Error::texts(
            ErrorKind::Usage,
            Texts::new("the reason is empty", "die Begründung ist leer"),
        )
        .with_hint_texts(Texts::new(
            "say why, with --reason TEXT; the journal keeps only its digest",
            "eine Begründung angeben (--reason TEXT); das Journal bewahrt nur ihren Digest",
        )));
    }
    if let Some(u) = until {
        if verb == Verb::Reject {
            return Err(Error::texts(
                ErrorKind::Usage,
                Texts::new(
                    "a rejection has no end date",
                    "eine Ablehnung hat kein Enddatum",
                ),
            )
            .with_hint_texts(Texts::new(
                "leave out --until; approve later if the facts allow it",
                "--until weglassen; später freigeben, wenn die Tatsachen es erlauben",
            )));
        }
        if u < request.today() {
            return Err(Error::texts(
                ErrorKind::Usage,
                Texts::new(
                    format!("--until {u} is in the past: the approval would never apply"),
                    format!("--until {u} liegt in der Vergangenheit: die Freigabe gälte nie"),
                ),
            ));
        }
    }
    let Some(reference) = reference else {
        return Err(Error::new(
            ErrorKind::Evaluation,
            format!("finding {finding_id} has no derivation"),
        ));
    };
    let decision = journal::Decision {
        reason_digest: journal::text_digest(reason),
        until,
    };
    let payload = match verb {
        Verb::Approve => Payload::Approve(decision),
        Verb::Reject => Payload::Reject(decision),
    };
    let head = journal
        .append(&NewEntry {
            time: request.time,
            actor: request.actor.clone(),
            finding: Some(reference.clone()),
            context,
            payload,
        })
        .map_err(journal_error)?;
    Ok(Decided::Recorded {
        finding: reference,
        head,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EvalOptions, KnowledgeBase, Model};

    /// A chain of `n` rule steps; step `i` has the premises `a<i>` absent, step `i + 1`,
    /// and `b<i>` absent.
    fn chain(n: usize) -> Derivation {
        let node = |i: usize, step: Step| Derivation {
            relation: "p".into(),
            fact: format!("p({i})"),
            args: vec![i.to_string()],
            step,
        };
        let mut d = node(n, Step::Input { origin: None });
        for i in (0..n).rev() {
            let premises = vec![
                Premise::Absent(format!("a{i}")),
                Premise::Holds(Box::new(d)),
                Premise::Absent(format!("b{i}")),
            ];
            d = node(
                i,
                Step::Rule(crate::explain::RuleStep {
                    rule: "p#1".into(),
                    norms: Vec::new(),
                    authorities: Vec::new(),
                    citations: Vec::new(),
                    authority_citations: Vec::new(),
                    bindings: Vec::new(),
                    premises,
                }),
            );
        }
        d
    }

    /// The absences in tree order, on a tree a hundred thousand steps deep and a 256 KiB
    /// stack (the walk recursed once per level before).
    #[test]
    fn absences_are_found_in_tree_order_without_recursion() {
        let mut out = Vec::new();
        absences(&chain(2), &mut out);
        assert_eq!(out, ["a0", "a1", "b1", "b0"]);
        let deep = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| {
                let mut out = Vec::new();
                absences(&chain(100_000), &mut out);
                (out.len(), out[99_999].clone(), out[100_000].clone())
            })
            .expect("thread starts")
            .join()
            .expect("no stack overflow");
        assert_eq!(deep, (200_000, "a99999".into(), "b99999".into()));
    }

    const CALL: &str = "act-s4-call";

    fn kb() -> KnowledgeBase {
        KnowledgeBase::shipped().expect("the shipped knowledge base")
    }

    fn model(edit: impl FnOnce(&mut serde_json::Value)) -> Model {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/facts/s12_what_if_consent.json"
        );
        let text = std::fs::read_to_string(path).expect("the fixture");
        let mut v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        edit(&mut v);
        let today = sphere_engine::Date::parse("2025-06-16").expect("a date");
        Model::from_text("s12.json", &v.to_string(), today).expect("a valid model")
    }

    /// The premises and digest of the phone-call finding of `act-s4-call`.
    fn call(kb: &KnowledgeBase, m: &Model) -> (String, Vec<String>, String) {
        let outcome = kb.evaluate(m, &EvalOptions::default()).expect("evaluates");
        let i = outcome
            .findings()
            .iter()
            .position(|f| f.rule == "uwg_phone_without_consent" && f.about_id() == CALL)
            .expect("the call is blocked");
        let p = premises(&outcome, i).expect("a derivation");
        let d = facts_digest(&outcome, i).expect("a derivation");
        (outcome.findings()[i].id.clone(), p, d)
    }

    fn the_call(v: &mut serde_json::Value) -> &mut serde_json::Value {
        v["activities"]
            .as_array_mut()
            .expect("activities")
            .iter_mut()
            .find(|a| a["id"] == CALL)
            .expect("the call")
    }

    fn karl_email_consent(withdrawn: Option<&str>) -> serde_json::Value {
        let mut c = serde_json::json!({
            "id": "cns-karl-email",
            "subject": "subj-karl-kaufmann",
            "purposes": ["marketing"],
            "channels": ["email"],
            "given": "2024-01-10",
            "form": "double_opt_in",
            "documented": true,
            "obtained_by": "org-optik-ag"
        });
        if let Some(w) = withdrawn {
            c["withdrawn"] = w.into();
        }
        c
    }

    #[test]
    fn the_digest_is_the_sorted_premises_hashed_and_order_does_not_matter() {
        let a = vec!["b(\"2\")".to_string(), "a(\"1\")".to_string()];
        let b = vec![
            "a(\"1\")".to_string(),
            "b(\"2\")".to_string(),
            "a(\"1\")".to_string(),
        ];
        assert_eq!(digest_of(&a), digest_of(&b));
        assert_ne!(digest_of(&a), digest_of(&a[..1]));
        assert_eq!(digest_of(&a).len(), 64);
        // One fact per line: two facts are not the same as their texts run together.
        assert_ne!(
            digest_of(&["ab".to_string()]),
            digest_of(&["a".to_string(), "b".to_string()])
        );
    }

    #[test]
    fn the_digest_changes_with_a_premise_and_not_with_an_unrelated_fact() {
        let kb = kb();
        let (id, premises, digest) = call(&kb, &model(|_| {}));
        // The premises: the activity's facts and the absence of a consent it relies on.
        assert!(
            premises
                .iter()
                .any(|p| p.starts_with("activity(\"act-s4-call\"")),
            "{premises:?}"
        );
        assert!(
            premises.iter().any(|p| p.starts_with("not ad_consent(")),
            "{premises:?}"
        );
        let mut sorted = premises.clone();
        sorted.sort();
        assert_eq!(premises, sorted, "canonical order");

        // Unrelated: another staff member's name, an unrelated subject and the other
        // activity's purpose are no premise of the call.
        let (id2, _, unrelated) = call(
            &kb,
            &model(|v| {
                v["staff"][0]["name"] = "Sandra Bauer-Klein".into();
                v["subjects"]
                    .as_array_mut()
                    .expect("subjects")
                    .push(serde_json::json!({
                        "id": "subj-someone-else", "name": "Someone Else", "kind": "consumer",
                        "country": "DE"
                    }));
            }),
        );
        assert_eq!(id2, id);
        assert_eq!(unrelated, digest, "an unrelated change keeps the approval");

        // A new date of the call.
        let (id3, _, moved) = call(&kb, &model(|v| the_call(v)["date"] = "2025-06-19".into()));
        assert_eq!(id3, id);
        assert_ne!(moved, digest);

        // Another purpose of the call (part of the activity fact the finding rests on).
        let (_, _, other_purpose) =
            call(&kb, &model(|v| the_call(v)["purpose"] = "marketing".into()));
        assert_ne!(other_purpose, digest);

        // A consent of the subject (for e-mail, so the call is still without consent), and
        // then its withdrawal: each changes what the absence of a phone consent rests on.
        let (_, with_consent_p, with_consent) = call(
            &kb,
            &model(|v| v["consents"] = serde_json::json!([karl_email_consent(None)])),
        );
        assert_ne!(with_consent, digest);
        assert!(
            with_consent_p.iter().any(|p| p.contains("cns-karl-email")),
            "{with_consent_p:?}"
        );
        let (_, _, withdrawn) = call(
            &kb,
            &model(|v| v["consents"] = serde_json::json!([karl_email_consent(Some("2025-06-01"))])),
        );
        assert_ne!(withdrawn, with_consent);
        assert_ne!(withdrawn, digest);
    }
}
