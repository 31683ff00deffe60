//! SARIF 2.1.0 output of findings, for code-scanning dashboards and CI annotations. Each
//! finding is a result; its location is the model file and the JSON path of the activity or
//! object it is about (a logical location, since models have no line structure to speak of).

use serde_json::{json, Value};
use sphere_engine::explain::{Node, Premise, Tree};

use sphere_engine::{Interner, Value as V};

use crate::findings::{Finding, Origins};

/// The SARIF log for `found`.
pub fn log(found: &[Finding], origins: &Origins, interner: &Interner, kb_digest: &str) -> Value {
    let mut rules: Vec<&str> = found.iter().map(|f| f.rule.as_str()).collect();
    rules.sort();
    rules.dedup();
    let rule_objs: Vec<Value> = rules
        .iter()
        .map(|r| {
            let f = found
                .iter()
                .find(|f| f.rule == *r)
                .expect("a finding of this rule");
            json!({
                "id": r,
                "shortDescription": { "text": f.citations.join("; ") },
                "help": { "text": f.remedy },
                "properties": { "severity": f.severity },
            })
        })
        .collect();
    let results: Vec<Value> = found
        .iter()
        .map(|f| {
            let (file, path) = place(f, origins, interner).unwrap_or_default();
            json!({
                "ruleId": f.rule,
                "ruleIndex": rules.iter().position(|r| *r == f.rule),
                "level": match f.decision.as_str() {
                    "block" | "breach" => "error",
                    "warn" => "warning",
                    _ => "note",
                },
                "message": { "text": f.message },
                "partialFingerprints": { "sphereFindingId": f.id },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": file } },
                    "logicalLocations": [{ "fullyQualifiedName": path, "name": f.about() }],
                }],
                "properties": {
                    "decision": f.decision,
                    "severity": f.severity,
                    "norms": f.norms,
                    "date": f.date,
                    "contested": f.contested,
                },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "sphere",
                "version": env!("CARGO_PKG_VERSION"),
                "properties": { "kb_digest": kb_digest },
                "rules": rule_objs,
            }},
            "results": results,
        }],
    })
}

/// The model file and JSON path of the object a finding is about: the input fact of the
/// finding's derivation whose first value is that id and whose path is the object itself
/// (`$.activities[3]`, not one of its keys).
fn place(f: &Finding, origins: &Origins, interner: &Interner) -> Option<(String, String)> {
    let tree = f.derivation.as_ref()?;
    let about = f.about();
    let mut best: Option<(String, String)> = None;
    walk(tree, &mut |t| {
        if best.is_some() {
            return;
        }
        let first = t.values.first().map(|v| match v {
            V::Sym(s) => interner.resolve(*s) == about,
            _ => false,
        });
        if first != Some(true) {
            return;
        }
        if let Some(o) = origins.get(t.rel, &t.values) {
            if o.path == "$.organization"
                || (o.path.ends_with(']') && o.path.matches('[').count() == 1)
            {
                best = Some((o.file.clone(), o.path.clone()));
            }
        }
    });
    best
}

fn walk(t: &Tree, f: &mut dyn FnMut(&Tree)) {
    f(t);
    if let Node::Rule { premises, .. } = &t.node {
        for p in premises {
            if let Premise::Holds(s) = p {
                walk(s, f);
            }
        }
    }
}
