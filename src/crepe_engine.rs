//! The shipped knowledge base run as crepe programs (cargo feature `crepe`): the crate
//! `crates/kb-crepe`, a committed and staleness-tested copy of what `sphere kb export --crepe`
//! writes, evaluated on a model's facts. The crate says which findings there are; their
//! documents (messages, remedies, citations, derivation trees) come from an evaluation of the
//! same facts by the interpreter, and the two must agree finding for finding.

use std::collections::BTreeSet;

use sphere_model::extract::FactValue;

use crate::error::{Error, ErrorKind, Result};
use crate::model::Model;
use crate::outcome::Outcome;

/// What identifies a finding across the two evaluators: id, rule, date, decision, severity
/// and the cited norm versions.
type Key = (
    String,
    String,
    String,
    String,
    String,
    Vec<(String, Option<String>)>,
);

/// Runs the crepe programs on the model's facts and compares their findings with `outcome`
/// (an evaluation of the same model by the interpreter or the compiled rules). Returns the
/// number of findings both name; errs when a fact does not fit the crate's input relations or
/// when the two disagree, naming the findings only one of them has.
pub fn cross_check(model: &Model, outcome: &Outcome<'_>) -> Result<usize> {
    let mut facts = sphere_kb_crepe::Facts::new();
    for (name, rows) in model.facts().relations() {
        if !sphere_kb_crepe::INPUT_RELATIONS
            .iter()
            .any(|(n, _)| *n == name)
        {
            continue;
        }
        for (values, origin) in rows.iter() {
            let row: Vec<sphere_kb_crepe::Value<'_>> = values
                .iter()
                .map(|v| match v {
                    FactValue::Sym(s) => sphere_kb_crepe::Value::Sym(s),
                    FactValue::Num(n) => sphere_kb_crepe::Value::Num(*n),
                    FactValue::Date(d) => sphere_kb_crepe::Value::Date(sphere_kb_crepe::Date(d.0)),
                })
                .collect();
            facts.push(name, &row).map_err(|e| {
                Error::new(
                    ErrorKind::Evaluation,
                    format!(
                        "the crepe programs cannot take the fact `{name}` from {} {}: {e}",
                        origin.file, origin.path
                    ),
                )
            })?;
        }
    }
    let found = sphere_kb_crepe::evaluate(&facts);
    let mut crepe: BTreeSet<Key> = BTreeSet::new();
    for f in &found.findings {
        let norms = f
            .norms
            .iter()
            .map(|n| (n.id.clone(), n.version_from.map(|d| d.to_string())))
            .collect();
        crepe.insert((
            f.id.clone(),
            f.rule.to_string(),
            f.date.to_string(),
            f.decision.to_string(),
            f.severity.to_string(),
            norms,
        ));
    }
    let mut only_sphere = Vec::new();
    for f in outcome.findings() {
        let norms = f
            .norms
            .iter()
            .map(|n| (n.id.clone(), n.version.as_ref().map(|v| v.from.to_string())))
            .collect();
        let key = (
            f.id.clone(),
            f.rule.clone(),
            f.date.to_string(),
            f.decision.as_str().to_string(),
            f.severity.as_str().to_string(),
            norms,
        );
        if !crepe.remove(&key) {
            only_sphere.push(format!("{} ({} on {})", f.id, f.rule, f.date));
        }
    }
    if only_sphere.is_empty() && crepe.is_empty() {
        return Ok(outcome.findings().len());
    }
    let only_crepe: Vec<String> = crepe
        .iter()
        .map(|(id, rule, date, ..)| format!("{id} ({rule} on {date})"))
        .collect();
    Err(Error::new(
        ErrorKind::Evaluation,
        format!(
            "the crepe programs and the {} evaluation disagree: only crepe [{}], only {} [{}]",
            outcome.engine().as_str(),
            only_crepe.join(", "),
            outcome.engine().as_str(),
            only_sphere.join(", ")
        ),
    )
    .with_hint(
        "the committed crate is older than the knowledge base: regenerate it with \
         `UPDATE_GENERATED=1 cargo test -p sphere-codegen`",
    ))
}
