//! JSON: the `sphere-findings/1` document of `sphere check --format json` (described in
//! `docs/findings.md`), derivation trees, and the explanation of one finding.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use crate::explain::{Derivation, Explanation, Premise, Step};
use crate::findings::{Finding, Lang};
use crate::outcome::Outcome;
use crate::remedies::Remedies;
use crate::session::Change;
use crate::whynot::{RuleAnswer, Status, WhyNot};

/// What the findings document holds besides the findings.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub lang: Lang,
    /// Each finding's derivation tree.
    pub tree: bool,
    /// The suppressed findings, with their exceptions.
    pub suppressed: bool,
}

#[derive(Serialize)]
struct NormJson<'a> {
    id: &'a str,
    version_from: Option<String>,
}

#[derive(Serialize)]
struct AuthorityJson<'a> {
    id: &'a str,
    citation: &'a str,
}

/// One finding in the `sphere-findings/1` layout (field order is part of the format).
#[derive(Serialize)]
struct FindingJson<'a> {
    id: &'a str,
    rule: &'a str,
    norms: Vec<NormJson<'a>>,
    citations: Vec<&'a str>,
    authorities: Vec<AuthorityJson<'a>>,
    decision: &'a str,
    severity: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    activity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    object: Option<&'a str>,
    subjects: &'a [String],
    date: String,
    contested: bool,
    contested_reason: Option<&'a str>,
    message: &'a str,
    remedy: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tree: Option<Value>,
}

/// A finding as the `sphere-findings/1` format writes it, with its tree when given.
pub fn finding(f: &Finding, lang: Lang, tree: Option<&Derivation>) -> Value {
    let j = FindingJson {
        id: &f.id,
        rule: &f.rule,
        norms: f
            .norms
            .iter()
            .map(|n| NormJson {
                id: &n.id,
                version_from: n.version.as_ref().map(|v| v.from.to_string()),
            })
            .collect(),
        citations: f.citations(lang),
        authorities: f
            .authorities
            .iter()
            .map(|a| AuthorityJson {
                id: &a.id,
                citation: a.citation.get(lang),
            })
            .collect(),
        decision: f.decision.as_str(),
        severity: f.severity.as_str(),
        activity: f.about.activity(),
        object: f.about.object(),
        subjects: &f.subjects,
        date: f.date.to_string(),
        contested: f.contested.is_some(),
        contested_reason: f.contested.as_ref().map(|c| c.get(lang)),
        message: f.message.get(lang),
        remedy: f.remedy.get(lang),
        tree: None,
    };
    let mut v = serde_json::to_value(j).expect("a finding serialises");
    // The tree is put in after serialisation, last as the format has it (the map keeps the
    // order of insertion): serialising a value into a value recurses once per level.
    if let (Some(t), Value::Object(map)) = (tree, &mut v) {
        map.insert("tree".into(), derivation(t));
    }
    v
}

/// The `sphere-findings/1` document.
pub fn document(outcome: &Outcome<'_>, opts: &Options) -> Value {
    let found = outcome.findings();
    let findings: Vec<Value> = found
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let tree = opts.tree.then(|| outcome.derivation(i)).flatten();
            finding(f, opts.lang, tree.as_ref())
        })
        .collect();
    let mut doc = json!({
        "format": "sphere-findings/1",
        "as_of": outcome.as_of().to_string(),
        "engine": outcome.engine().as_str(),
        "kb_digest": outcome.kb_digest(),
        "model_digest": outcome.model_digest(),
        "summary": summary(outcome),
    });
    // Moved in, not through `json!`: it serialises a value into a new one, recursing once
    // per level of a tree.
    let map = doc.as_object_mut().expect("an object");
    map.insert("findings".into(), Value::Array(findings));
    if opts.suppressed {
        let list: Vec<Value> = (0..outcome.suppressed().len())
            .map(|i| suppressed(outcome, opts, i))
            .collect();
        map.insert("suppressed".into(), Value::Array(list));
    }
    doc
}

/// [`document`] pretty-printed to `out`, with a final line break: the same bytes as
/// `pretty(&document(..))` (the engine named `engine`), written finding by finding instead
/// of holding the whole document and its text (at a million activities they were 700 MB);
/// with trees, made whole and written by [`pretty`].
pub fn write_document(
    outcome: &Outcome<'_>,
    opts: &Options,
    engine: &str,
    mut out: impl std::io::Write,
) -> std::io::Result<()> {
    if opts.tree {
        // With trees, built whole and written by the writer without recursion: serde's
        // serialiser recurses once per level of a tree.
        let mut doc = document(outcome, opts);
        doc["engine"] = engine.into();
        let text = pretty(&doc);
        dispose(doc);
        out.write_all(text.as_bytes())?;
        return out.flush();
    }
    /// The findings (or the suppressed ones), each made when it is written.
    struct List<'a, 'o> {
        outcome: &'a Outcome<'o>,
        opts: &'a Options,
        suppressed: bool,
    }
    impl Serialize for List<'_, '_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeSeq;
            let (o, opts) = (self.outcome, self.opts);
            let n = if self.suppressed {
                o.suppressed().len()
            } else {
                o.findings().len()
            };
            let mut seq = s.serialize_seq(Some(n))?;
            for i in 0..n {
                if self.suppressed {
                    seq.serialize_element(&suppressed(o, opts, i))?;
                } else {
                    let tree = opts.tree.then(|| o.derivation(i)).flatten();
                    seq.serialize_element(&finding(&o.findings()[i], opts.lang, tree.as_ref()))?;
                }
            }
            seq.end()
        }
    }
    /// Field for field (and in the order of) [`document`]'s object.
    #[derive(Serialize)]
    struct Doc<'a, 'o> {
        format: &'static str,
        as_of: String,
        engine: &'a str,
        kb_digest: &'a str,
        model_digest: &'a str,
        summary: Value,
        findings: List<'a, 'o>,
        #[serde(skip_serializing_if = "Option::is_none")]
        suppressed: Option<List<'a, 'o>>,
    }
    let doc = Doc {
        format: "sphere-findings/1",
        as_of: outcome.as_of().to_string(),
        engine,
        kb_digest: outcome.kb_digest(),
        model_digest: outcome.model_digest(),
        summary: summary(outcome),
        findings: List {
            outcome,
            opts,
            suppressed: false,
        },
        suppressed: opts.suppressed.then_some(List {
            outcome,
            opts,
            suppressed: true,
        }),
    };
    serde_json::to_writer_pretty(&mut out, &doc).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Suppressed finding `i` with its exceptions.
fn suppressed(outcome: &Outcome<'_>, opts: &Options, i: usize) -> Value {
    let s = &outcome.suppressed()[i];
    let tree = opts
        .tree
        .then(|| outcome.suppressed_derivation(i))
        .flatten();
    let mut v = finding(&s.finding, opts.lang, tree.as_ref());
    v["exceptions"] = json!(s.exceptions);
    v
}

/// The counts of the findings by decision, law and severity.
fn summary(outcome: &Outcome<'_>) -> Value {
    let found = outcome.findings();
    let mut by_decision = BTreeMap::<&str, usize>::new();
    let mut by_law = BTreeMap::<String, usize>::new();
    let mut by_severity = BTreeMap::<&str, usize>::new();
    for f in found {
        *by_decision.entry(f.decision.as_str()).or_default() += 1;
        *by_severity.entry(f.severity.as_str()).or_default() += 1;
        let mut laws: Vec<String> = f
            .norms
            .iter()
            .map(|n| n.id.split(':').next().unwrap_or("").to_string())
            .collect();
        laws.sort();
        laws.dedup();
        for l in laws {
            *by_law.entry(l).or_default() += 1;
        }
    }
    json!({
        "findings": found.len(),
        "by_decision": by_decision,
        "by_law": by_law,
        "by_severity": by_severity,
    })
}

/// A derivation tree: each node with its fact, rule (and the rule's norms and authorities),
/// bindings, premises, and for input facts their origin in the model. Built without recursion
/// (post-order, with a stack of its own): a chain of derivations is as long as the evaluation
/// had rounds. Write the value with [`pretty`] and give it back with [`dispose`]: serde's own
/// serialiser and the value's drop recurse once per level.
pub fn derivation(d: &Derivation) -> Value {
    enum Task<'d> {
        Visit(&'d Derivation),
        Finish(&'d Derivation),
    }
    let mut tasks = vec![Task::Visit(d)];
    // Finished nodes, the last at the end.
    let mut done: Vec<Value> = Vec::new();
    while let Some(task) = tasks.pop() {
        match task {
            Task::Visit(d) => {
                tasks.push(Task::Finish(d));
                if let Step::Rule(r) = &d.step {
                    for p in r.premises.iter().rev() {
                        if let Premise::Holds(sub) = p {
                            tasks.push(Task::Visit(sub));
                        }
                    }
                }
            }
            Task::Finish(d) => {
                let v = match &d.step {
                    Step::Input { origin } => {
                        let origin = origin
                            .as_ref()
                            .map(|o| json!({ "file": o.file, "path": o.path }));
                        json!({ "fact": d.fact, "input": true, "origin": origin })
                    }
                    Step::Rule(r) => {
                        let held = r
                            .premises
                            .iter()
                            .filter(|p| matches!(p, Premise::Holds(_)))
                            .count();
                        let mut subs = done.split_off(done.len() - held).into_iter();
                        let premises: Vec<Value> = r
                            .premises
                            .iter()
                            .map(|p| match p {
                                Premise::Holds(_) => {
                                    subs.next().expect("one built premise per derived premise")
                                }
                                Premise::Absent(text) => json!({ "absent": text }),
                                Premise::Compare(text) => json!({ "holds": text }),
                            })
                            .collect();
                        let bindings: serde_json::Map<String, Value> = r
                            .bindings
                            .iter()
                            .map(|(n, v)| (n.clone(), json!(v)))
                            .collect();
                        let mut map = serde_json::Map::new();
                        map.insert("fact".into(), json!(d.fact));
                        map.insert("rule".into(), json!(r.rule));
                        map.insert("norms".into(), json!(r.norms));
                        map.insert("authorities".into(), json!(r.authorities));
                        map.insert("bindings".into(), Value::Object(bindings));
                        map.insert("premises".into(), Value::Array(premises));
                        Value::Object(map)
                    }
                };
                done.push(v);
            }
        }
    }
    done.pop().expect("the root is built last")
}

/// The explanation of one finding: the finding with its tree, whether it was suppressed, and
/// the exceptions that applied with theirs.
pub fn explanation(e: &Explanation, lang: Lang) -> Value {
    let f = &e.finding;
    let norms: Vec<Value> = f
        .norms
        .iter()
        .map(|n| {
            json!({
                "id": n.id,
                "citation": n.citation.get(lang),
                "title": n.version.as_ref().map(|v| v.title.get(lang)),
                "from": n.version.as_ref().map(|v| v.from.to_string()),
                "to": n.version.as_ref().and_then(|v| v.to.map(|d| d.to_string())),
                "source": n.version.as_ref().map(|v| v.source.clone()),
            })
        })
        .collect();
    let authorities: Vec<Value> = f
        .authorities
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "citation": a.citation.get(lang),
                "date": a.date.to_string(),
                "url": a.url,
                "later_than_act": f.is_later(a),
            })
        })
        .collect();
    // Values moved into maps, not through `json!`: it serialises a value into a new one,
    // recursing once per level of a tree.
    let exceptions: Vec<Value> = e
        .exceptions
        .iter()
        .map(|x| {
            let mut m = serde_json::Map::new();
            m.insert("rule".into(), json!(x.rule));
            m.insert(
                "tree".into(),
                x.derivation.as_ref().map_or(Value::Null, derivation),
            );
            Value::Object(m)
        })
        .collect();
    let mut m = serde_json::Map::new();
    m.insert(
        "finding".into(),
        finding(&e.finding, lang, e.derivation.as_ref()),
    );
    m.insert("norms".into(), Value::Array(norms));
    m.insert("authorities".into(), Value::Array(authorities));
    m.insert("suppressed".into(), json!(e.suppressed));
    m.insert(
        "why_not".into(),
        Value::Array(e.why_not.iter().map(|w| why_not(w, lang)).collect()),
    );
    m.insert("exceptions".into(), Value::Array(exceptions));
    Value::Object(m)
}

/// A why-not in words: the fact, what its absence means (in `lang`), and each rule that could
/// derive it with its closest candidates, the premise each fails, why, and nested analyses.
pub fn why_not(w: &WhyNot, lang: Lang) -> Value {
    let status = match &w.status {
        Status::Holds => json!("holds"),
        Status::NotRecorded => json!("not_recorded"),
        Status::NotFollowed => json!("not_followed"),
        Status::Rules(_) => json!("rules"),
    };
    let rules: Vec<Value> = match &w.status {
        Status::Rules(tries) => tries
            .iter()
            .map(|t| {
                json!({
                    "rule": t.rule,
                    "candidates": t.candidates.iter().map(|c| {
                        let chosen: serde_json::Map<String, Value> = c
                            .chosen
                            .iter()
                            .map(|(n, v)| (n.clone(), json!(v)))
                            .collect();
                        json!({
                            "chosen": chosen,
                            "fails": c.premise,
                            "reason": c.reason.get(lang),
                            "nested": c.nested.as_ref().map(|n| why_not(n, lang)),
                        })
                    }).collect::<Vec<_>>(),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    json!({
        "fact": w.fact,
        "words": w.words.get(lang),
        "status": status,
        "rules": rules,
    })
}

/// The answer to "why does rule R not find against A?".
pub fn rule_answer(rule: &str, about: &str, answer: &RuleAnswer, lang: Lang) -> Value {
    match answer {
        RuleAnswer::Fires(ids) => json!({ "rule": rule, "about": about, "fires": ids }),
        RuleAnswer::Suppressed(ids) => {
            json!({ "rule": rule, "about": about, "suppressed": ids })
        }
        RuleAnswer::Not(w) => json!({ "rule": rule, "about": about, "why_not": why_not(w, lang) }),
    }
}

/// The remedies of a finding (`sphere remedies --format json`): the finding, whether the act
/// is done, and each verified remedy with its steps, the model changes (objects put or
/// removed, as model JSON), the findings it cures and the findings that appear.
pub fn remedies(r: &Remedies, lang: Lang) -> Value {
    let list: Vec<Value> = r
        .remedies
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let changes: Vec<Value> = m
                .changes
                .iter()
                .map(|c| match c {
                    Change::Put(o) => json!({ "put": o.section().key(), "object": o.to_json() }),
                    Change::Remove { section, id } => json!({ "remove": section.key(), "id": id }),
                    other => json!({ "other": format!("{other:?}") }),
                })
                .collect();
            json!({
                "number": i + 1,
                "steps": m.steps.iter().map(|s| s.get(lang)).collect::<Vec<_>>(),
                "changes": changes,
                "cures": m.cures.iter().map(|f| json!({ "id": f.id, "rule": f.rule, "about": f.about_id() })).collect::<Vec<_>>(),
                "new_findings": m.new_findings.iter().map(|f| json!({ "id": f.id, "rule": f.rule, "about": f.about_id() })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "finding": finding(&r.finding, lang, None),
        "done": r.done,
        "remedies": list,
    })
}

/// The differences between two evaluations (`sphere diff --format json`).
pub fn diff(entries: &[crate::diff::Entry], lang: Lang) -> Value {
    let list: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "change": e.kind.as_str(),
                "before": e.before.as_ref().map(|f| finding(f, lang, None)),
                "after": e.after.as_ref().map(|f| finding(f, lang, None)),
                "reasons": e.reasons.iter().map(|r| r.get(lang)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "differences": list })
}

/// Levels of nesting [`pretty`] indents; deeper, it writes compact JSON.
pub const PRETTY_DEPTH: usize = 64;

/// Pretty-printed, with a final line break, as the command line writes JSON: byte for byte
/// what `serde_json::to_string_pretty` writes, but without recursion (a derivation tree is
/// as deep as the evaluation had rounds; serde's serialiser recurses once per level), and
/// compact below [`PRETTY_DEPTH`] levels of nesting, so that the text stays linear in the
/// size of the value (indenting a chain of a hundred thousand steps would take gigabytes).
pub fn pretty(v: &Value) -> String {
    let mut out = write(v, PRETTY_DEPTH);
    out.push('\n');
    out
}

/// Compact, as an HTTP answer carries JSON: byte for byte what `serde_json::to_string`
/// writes, but without recursion (see [`pretty`]).
pub fn compact(v: &Value) -> String {
    write(v, 0)
}

/// `v` as JSON, indented for `levels` levels of nesting and compact below them (`0`: compact
/// throughout), without recursion.
fn write(v: &Value, levels: usize) -> String {
    enum Frame<'v> {
        Array(std::slice::Iter<'v, Value>),
        Object(serde_json::map::Iter<'v>),
    }
    fn indent(out: &mut String, depth: usize) {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
    // Items of a container at `depth` are written compact past the indented levels.
    let compact = |depth: usize| depth > levels;
    let mut out = String::new();
    let mut stack: Vec<(Frame<'_>, bool)> = Vec::new();
    let mut next = Some(v);
    loop {
        if let Some(v) = next.take() {
            match v {
                Value::Array(a) if !a.is_empty() => {
                    out.push('[');
                    stack.push((Frame::Array(a.iter()), true));
                }
                Value::Object(m) if !m.is_empty() => {
                    out.push('{');
                    stack.push((Frame::Object(m.iter()), true));
                }
                Value::Array(_) => out.push_str("[]"),
                Value::Object(_) => out.push_str("{}"),
                leaf => out.push_str(&serde_json::to_string(leaf).expect("JSON values serialise")),
            }
        }
        let depth = stack.len();
        let Some((frame, first)) = stack.last_mut() else {
            break;
        };
        let item = match frame {
            Frame::Array(it) => it.next().map(|v| (None, v)),
            Frame::Object(it) => it.next().map(|(k, v)| (Some(k), v)),
        };
        match item {
            Some((key, v)) => {
                if !*first {
                    out.push(',');
                }
                *first = false;
                if !compact(depth) {
                    indent(&mut out, depth);
                }
                if let Some(k) = key {
                    out.push_str(&serde_json::to_string(k).expect("JSON keys serialise"));
                    out.push_str(if compact(depth) { ":" } else { ": " });
                }
                next = Some(v);
            }
            None => {
                let close = match frame {
                    Frame::Array(_) => ']',
                    Frame::Object(_) => '}',
                };
                stack.pop();
                if !compact(depth) {
                    indent(&mut out, depth - 1);
                }
                out.push(close);
            }
        }
    }
    out
}

/// Drops a value without recursion: the derived drop of [`Value`] recurses once per level of
/// nesting, and a derivation tree of a hundred thousand steps would overflow the stack.
pub fn dispose(v: Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a),
            Value::Object(m) => stack.extend(m.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written finding by finding, the document is the same bytes as built whole, with trees
    /// and suppressed findings too.
    #[test]
    fn the_written_document_is_the_built_one() {
        let kb = crate::KnowledgeBase::shipped().expect("compiles");
        let today = crate::Date::parse("2025-06-16").expect("date");
        let model = crate::Model::from_text(
            "demo_week.json",
            include_str!("../../facts/demo_week.json"),
            today,
        )
        .expect("valid");
        let outcome = kb
            .evaluate(&model, &crate::EvalOptions::default())
            .expect("evaluates");
        assert!(!outcome.findings().is_empty(), "the demo week has findings");
        for (tree, suppressed) in [(false, false), (true, true)] {
            let opts = Options {
                lang: Lang::De,
                tree,
                suppressed,
            };
            let mut written = Vec::new();
            write_document(&outcome, &opts, outcome.engine().as_str(), &mut written)
                .expect("writes to memory");
            assert_eq!(
                String::from_utf8(written).expect("UTF-8"),
                pretty(&document(&outcome, &opts)),
                "tree {tree}, suppressed {suppressed}"
            );
        }
    }
}
