//! `sphere check --engine crepe` (cargo feature `crepe`): the shipped knowledge base run as
//! the crepe programs of `crates/kb-crepe` (what `sphere kb export --crepe` writes), on the
//! same facts. The crate says which findings there are; their documents (messages, remedies,
//! citations, derivation trees) come from the interpreter's evaluation of the same facts, and
//! the two must name the same findings.

use sphere_model::extract::FactValue;

use crate::findings::Finding;
use crate::session::Session;

/// The findings of the crepe programs, as the documents `explained` (the interpreter's
/// findings on the same facts) gives for them. Errs when the crate cannot take a fact, or when
/// the two disagree on which findings there are.
pub fn findings(session: &Session, explained: Vec<Finding>) -> Result<Vec<Finding>, String> {
    let mut facts = sphere_kb_crepe::Facts::new();
    for (name, rows) in &session.facts.relations {
        if !sphere_kb_crepe::INPUT_RELATIONS
            .iter()
            .any(|(n, _)| n == name)
        {
            continue;
        }
        for (values, origin) in rows {
            let row: Vec<sphere_kb_crepe::Value<'_>> = values
                .iter()
                .map(|v| match v {
                    FactValue::Sym(s) => sphere_kb_crepe::Value::Sym(s),
                    FactValue::Num(n) => sphere_kb_crepe::Value::Num(*n),
                    FactValue::Date(d) => sphere_kb_crepe::Value::Date(sphere_kb_crepe::Date(d.0)),
                })
                .collect();
            facts
                .push(name, &row)
                .map_err(|e| format!("fact {name} from {} {}: {e}", origin.file, origin.path))?;
        }
    }
    let found = sphere_kb_crepe::evaluate(&facts);
    let key = |id: &str, date: String| (id.to_string(), date);
    let mut docs: std::collections::BTreeMap<(String, String), Finding> = explained
        .into_iter()
        .map(|f| (key(&f.id, f.date.clone()), f))
        .collect();
    let mut out = Vec::with_capacity(found.findings.len());
    let mut missing = Vec::new();
    for f in &found.findings {
        match docs.remove(&key(&f.id, f.date.to_string())) {
            Some(doc) => out.push(doc),
            None => missing.push(format!("{} ({} on {})", f.id, f.rule, f.date)),
        }
    }
    if !missing.is_empty() || !docs.is_empty() {
        let extra: Vec<String> = docs
            .values()
            .map(|f| format!("{} ({} on {})", f.id, f.rule, f.date))
            .collect();
        return Err(format!(
            "the crepe programs and the interpreter disagree: only crepe {missing:?}, only the interpreter {extra:?}"
        ));
    }
    Ok(out)
}
