//! SARIF 2.1.0 output of findings, for code-scanning dashboards and CI annotations. Each
//! finding is a result; its location is the model file and the JSON path of the activity or
//! object it is about (a logical location, since models have no line structure to speak of).

use serde_json::{json, Value};

use crate::explain::{Derivation, Premise, Step};
use crate::findings::{Decision, Finding, Lang};
use crate::outcome::Outcome;

/// The SARIF log of an outcome's findings.
pub fn log(outcome: &Outcome<'_>, lang: Lang) -> Value {
    let found = outcome.findings();
    let mut rules: Vec<&str> = found.iter().map(|f| f.rule.as_str()).collect();
    rules.sort();
    rules.dedup();
    let rule_objs: Vec<Value> = rules
        .iter()
        .filter_map(|r| found.iter().find(|f| f.rule == *r))
        .map(|f| {
            json!({
                "id": f.rule,
                "shortDescription": { "text": f.citations(lang).join("; ") },
                "help": { "text": f.remedy.get(lang) },
                "properties": { "severity": f.severity.as_str() },
            })
        })
        .collect();
    let results: Vec<Value> = found
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (file, path) = outcome
                .derivation(i)
                .and_then(|d| place(f, &d))
                .unwrap_or_default();
            json!({
                "ruleId": f.rule,
                "ruleIndex": rules.iter().position(|r| *r == f.rule),
                "level": match f.decision {
                    Decision::Block | Decision::Breach => "error",
                    Decision::Warn => "warning",
                    Decision::Info => "note",
                },
                "message": { "text": f.message.get(lang) },
                "partialFingerprints": { "sphereFindingId": f.id },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": file } },
                    "logicalLocations": [{ "fullyQualifiedName": path, "name": f.about_id() }],
                }],
                "properties": {
                    "decision": f.decision.as_str(),
                    "severity": f.severity.as_str(),
                    "norms": f.norms.iter().map(|n| json!({
                        "id": n.id,
                        "version_from": n.version.as_ref().map(|v| v.from.to_string()),
                    })).collect::<Vec<_>>(),
                    "date": f.date.to_string(),
                    "contested": f.contested.is_some(),
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
                "properties": { "kb_digest": outcome.kb_digest() },
                "rules": rule_objs,
            }},
            "results": results,
        }],
    })
}

/// The model file and JSON path of the object a finding is about: the first input fact of the
/// finding's derivation (in tree order) whose first value is that id and whose path is the
/// object itself (`$.activities[3]`, not one of its keys).
fn place(f: &Finding, tree: &Derivation) -> Option<(String, String)> {
    let about = f.about_id();
    let mut best: Option<(String, String)> = None;
    walk(tree, &mut |t| {
        if best.is_some() {
            return;
        }
        let Step::Input {
            origin: Some(o), ..
        } = &t.step
        else {
            return;
        };
        if t.args.first().map(String::as_str) != Some(about) {
            return;
        }
        if o.path == "$.organization" || (o.path.ends_with(']') && o.path.matches('[').count() == 1)
        {
            best = Some((o.file.clone(), o.path.clone()));
        }
    });
    best
}

/// Every node of the tree in tree order (pre-order), without recursion: a derivation is as
/// deep as the evaluation had rounds.
fn walk(t: &Derivation, f: &mut dyn FnMut(&Derivation)) {
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        f(t);
        if let Step::Rule(r) = &t.step {
            for p in r.premises.iter().rev() {
                if let Premise::Holds(s) = p {
                    stack.push(s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every node once, in tree order, on a chain a hundred thousand steps deep and a 256 KiB
    /// stack (the walk recursed once per level before).
    #[test]
    fn the_walk_visits_a_deep_tree_in_order_without_recursion() {
        let visited = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| {
                let node = |i: usize, step: Step| Derivation {
                    relation: "p".into(),
                    fact: format!("p({i})"),
                    args: vec![i.to_string()],
                    step,
                };
                let mut d = node(100_000, Step::Input { origin: None });
                for i in (0..100_000).rev() {
                    d = node(
                        i,
                        Step::Rule(crate::explain::RuleStep {
                            rule: "p#1".into(),
                            norms: Vec::new(),
                            authorities: Vec::new(),
                            citations: Vec::new(),
                            authority_citations: Vec::new(),
                            bindings: Vec::new(),
                            premises: vec![
                                Premise::Holds(Box::new(node(
                                    i + 1_000_000,
                                    Step::Input { origin: None },
                                ))),
                                Premise::Holds(Box::new(d)),
                            ],
                        }),
                    );
                }
                let mut seen = Vec::new();
                walk(&d, &mut |t| seen.push(t.fact.clone()));
                seen
            })
            .expect("thread starts")
            .join()
            .expect("no stack overflow");
        assert_eq!(visited.len(), 200_001);
        assert_eq!(&visited[..4], ["p(0)", "p(1000000)", "p(1)", "p(1000001)"]);
        assert_eq!(visited[200_000], "p(100000)");
    }
}
