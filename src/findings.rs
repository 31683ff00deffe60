//! The findings layer: turns the `finding` relation of an evaluation into findings as
//! `docs/findings.md` describes them (`sphere-findings/1`): the norm versions valid on the
//! act's date, the decision (`block` on a done activity is a `breach`), messages and remedies in
//! the chosen language, and ids that are stable across runs, engines and machines.

use std::collections::BTreeMap;

use serde::Serialize;
use sphere_engine::eval::Evaluation;
use sphere_engine::explain::{quote, Node, Premise, Tree};
use sphere_engine::ir::legal::{About, NormRef, NormVersion, RuleKind, RuleMeta};
use sphere_engine::ir::{Program, RelId};
use sphere_engine::{Date, Interner, Value};

/// Output language of messages, remedies and citations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    #[default]
    En,
    De,
}

/// Where an input fact came from (model file and JSON path), for explanations.
pub use sphere_model::Origin;

/// Input facts' origins, found by relation and values. Loading only records each new fact's
/// words and a reference to its origin (no copy, no map per fact); the first lookup in a
/// relation indexes that relation, so only the relations that explanations show are indexed.
#[derive(Default)]
pub struct Origins<'s> {
    rels: Vec<RelOrigins<'s>>,
}

#[derive(Default)]
struct RelOrigins<'s> {
    arity: usize,
    words: Vec<u64>,
    origins: Vec<&'s Origin>,
    /// Hash of a fact's words -> its positions.
    index: std::cell::OnceCell<rustc_hash::FxHashMap<u64, Vec<u32>>>,
}

fn hash_words(words: &[u64]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    words.hash(&mut h);
    h.finish()
}

impl<'s> Origins<'s> {
    /// Records the origin of a fact (the first origin of a fact stays).
    pub fn insert(&mut self, rel: RelId, values: &[Value], origin: &'s Origin) {
        let r = rel.0 as usize;
        if self.rels.len() <= r {
            self.rels.resize_with(r + 1, RelOrigins::default);
        }
        let ro = &mut self.rels[r];
        ro.arity = values.len();
        ro.words.extend(values.iter().map(|v| v.word()));
        ro.origins.push(origin);
        ro.index.take();
    }

    /// Where the input fact `rel(values)` came from.
    pub fn get(&self, rel: RelId, values: &[Value]) -> Option<&'s Origin> {
        let ro = self.rels.get(rel.0 as usize)?;
        if ro.arity != values.len() || ro.origins.is_empty() {
            return None;
        }
        let row = |i: usize| &ro.words[i * ro.arity..(i + 1) * ro.arity];
        let index = ro.index.get_or_init(|| {
            let mut index: rustc_hash::FxHashMap<u64, Vec<u32>> = Default::default();
            for i in 0..ro.origins.len() {
                index.entry(hash_words(row(i))).or_default().push(i as u32);
            }
            index
        });
        let key: Vec<u64> = values.iter().map(|v| v.word()).collect();
        index
            .get(&hash_words(&key))?
            .iter()
            .find(|&&i| row(i as usize) == key.as_slice())
            .map(|&i| ro.origins[i as usize])
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct NormCite {
    pub id: String,
    /// First day of the version in force on the act's date; `None` for the model's own rules
    /// (`guideline:<id>`, `terms:<source>`), which have no catalogued versions.
    pub version_from: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AuthorityCite {
    pub id: String,
    pub citation: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub id: String,
    pub rule: String,
    pub norms: Vec<NormCite>,
    pub citations: Vec<String>,
    pub authorities: Vec<AuthorityCite>,
    pub decision: String,
    pub severity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub subjects: Vec<String>,
    pub date: String,
    pub contested: bool,
    pub contested_reason: Option<String>,
    pub message: String,
    pub remedy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<serde_json::Value>,
    /// The derivation, for `explain` (not serialised; `tree` is its JSON form).
    #[serde(skip)]
    pub derivation: Option<Tree>,
}

impl Finding {
    /// What the finding is about (activity or object id).
    pub fn about(&self) -> &str {
        self.activity
            .as_deref()
            .or(self.object.as_deref())
            .unwrap_or("")
    }

    pub fn needs_action(&self) -> bool {
        self.decision == "block" || self.decision == "breach"
    }
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub lang: Lang,
    /// Attach the derivation tree as JSON.
    pub tree: bool,
}

/// Collects the findings of an evaluation (which must have recorded provenance, so messages
/// can name the rule's variables), sorted by (activity or object, rule, id).
pub fn collect(ev: &Evaluation<'_>, origins: &Origins, opts: &Options) -> Vec<Finding> {
    collect_from(ev, "finding", origins, opts)
}

/// Findings that an exception suppressed: those derived (`finding_raw`) but not listed.
pub fn collect_suppressed(ev: &Evaluation<'_>, origins: &Origins, opts: &Options) -> Vec<Finding> {
    let listed: std::collections::BTreeSet<String> = collect(
        ev,
        origins,
        &Options {
            lang: opts.lang,
            tree: false,
        },
    )
    .into_iter()
    .map(|f| f.id)
    .collect();
    collect_from(ev, "finding_raw", origins, opts)
        .into_iter()
        .filter(|f| !listed.contains(&f.id))
        .collect()
}

/// The exception rules that suppressed `f` (a finding from [`collect_suppressed`]), sorted.
pub fn exceptions_for(ev: &Evaluation<'_>, f: &Finding) -> Vec<String> {
    let program = ev.program();
    let Some(rel) = program.relation_by_name("suppressed") else {
        return Vec::new();
    };
    let interner = ev.interner();
    let s = |v: Value| sphere_engine::value::display(v, interner);
    let subject = f.subjects.first().cloned().unwrap_or_default();
    let mut out: Vec<String> = ev
        .tuples(rel)
        .into_iter()
        .filter(|t| t.len() == 5)
        .filter(|t| {
            s(t[0]) == f.rule && s(t[2]) == f.about() && s(t[3]) == subject && s(t[4]) == f.date
        })
        .map(|t| s(t[1]))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Findings from a relation shaped like `finding(rule, about, subject, date)`.
pub fn collect_from(
    ev: &Evaluation<'_>,
    relation: &str,
    origins: &Origins,
    opts: &Options,
) -> Vec<Finding> {
    let program = ev.program();
    let Some(rel) = program.relation_by_name(relation) else {
        return Vec::new();
    };
    if program.relation(rel).arity() != 4 {
        return Vec::new();
    }
    let interner = ev.interner();
    let status = activity_status(ev);
    let mut out = Vec::new();
    for t in ev.tuples(rel) {
        let (Value::Sym(rule), Value::Sym(about), Value::Sym(subject), Value::Date(date)) =
            (t[0], t[1], t[2], t[3])
        else {
            continue;
        };
        let rule_id = interner.resolve(rule).to_string();
        let Some(meta) = program.legal.rule_meta.iter().find(|m| m.id == rule_id) else {
            continue;
        };
        let RuleKind::Finding {
            severity,
            decision,
            about: about_kind,
        } = &meta.kind
        else {
            continue;
        };
        let about = interner.resolve(about).to_string();
        let subject = interner.resolve(subject).to_string();
        let subjects: Vec<String> = if subject.is_empty() {
            Vec::new()
        } else {
            vec![subject]
        };

        let derivation = ev.explain(rel, &t).ok();
        let bindings = derivation
            .as_ref()
            .map(|d| rule_bindings(d, program))
            .unwrap_or_default();

        let versions: Vec<&NormVersion> = meta
            .norms
            .iter()
            .filter_map(|r| version_at(&program.legal.norms, r, date))
            .collect();
        let mut norms: Vec<NormCite> = versions
            .iter()
            .map(|n| NormCite {
                id: n.id.clone(),
                version_from: Some(n.from.to_string()),
            })
            .collect();
        let mut citations: Vec<String> = versions
            .iter()
            .map(|n| match opts.lang {
                Lang::En => n.en.clone(),
                Lang::De => n.de.clone(),
            })
            .collect();
        for template in &meta.cites {
            let id = fill(template, &bindings, interner);
            citations.push(model_citation(&id, opts.lang));
            norms.push(NormCite {
                id,
                version_from: None,
            });
        }
        let authorities = meta
            .authorities
            .iter()
            .filter_map(|a| program.legal.authorities.iter().find(|x| &x.id == a))
            .map(|a| AuthorityCite {
                id: a.id.clone(),
                citation: a.citation(),
            })
            .collect();

        let is_activity = *about_kind == About::Activity && status.contains_key(&about);
        let done = status.get(&about).is_some_and(|s| s == "done");
        let decision = match decision.as_str() {
            "block" if is_activity && done => "breach".to_string(),
            d => d.to_string(),
        };

        let message = fill(pick(meta.message.as_ref(), opts.lang), &bindings, interner);
        let remedy = fill(pick(meta.remedy.as_ref(), opts.lang), &bindings, interner);

        let id = finding_id(&rule_id, &about, &subjects, &norms);
        let tree = if opts.tree {
            derivation
                .as_ref()
                .map(|d| tree_json(d, program, interner, origins))
        } else {
            None
        };
        out.push(Finding {
            id,
            rule: rule_id,
            norms,
            citations,
            authorities,
            decision,
            severity: severity.as_str().to_string(),
            activity: is_activity.then(|| about.clone()),
            object: (!is_activity).then(|| about.clone()),
            subjects,
            date: date.to_string(),
            contested: meta.contested.is_some(),
            contested_reason: meta.contested.clone(),
            message,
            remedy,
            tree,
            derivation,
        });
    }
    out.sort_by(|a, b| (a.about(), &a.rule, &a.id).cmp(&(b.about(), &b.rule, &b.id)));
    out
}

/// Status of each activity (`done` / `planned`), from the input relation `activity`.
fn activity_status(ev: &Evaluation<'_>) -> BTreeMap<String, String> {
    let program = ev.program();
    let mut out = BTreeMap::new();
    let Some(rel) = program.relation_by_name("activity") else {
        return out;
    };
    let cols = &program.relation(rel).columns;
    let id_col = cols.iter().position(|c| c.name == "id").unwrap_or(0);
    let Some(status_col) = cols.iter().position(|c| c.name == "status") else {
        return out;
    };
    for t in ev.tuples(rel) {
        if let (Value::Sym(id), Value::Sym(st)) = (t[id_col], t[status_col]) {
            out.insert(
                ev.interner().resolve(id).to_string(),
                ev.interner().resolve(st).to_string(),
            );
        }
    }
    out
}

/// The version of a cited norm in force on `date`: the cited version or one reachable from it
/// along `replaced_by`, in either direction.
pub fn version_at<'a>(
    norms: &'a [NormVersion],
    r: &NormRef,
    date: Date,
) -> Option<&'a NormVersion> {
    let start = sphere_engine::ir::lower::resolve_ref(norms, r)?;
    sphere_engine::ir::lower::chain_members(norms, start)
        .into_iter()
        .map(|i| &norms[i])
        .find(|n| n.in_force(date))
}

fn pick(text: Option<&sphere_engine::ir::legal::Text>, lang: Lang) -> &str {
    match (text, lang) {
        (Some(t), Lang::En) => &t.en,
        (Some(t), Lang::De) => &t.de,
        (None, _) => "",
    }
}

/// The bindings of the annotated finding rule: the first node of the derivation (below the
/// generated `finding` layer) whose rule carries a finding annotation.
fn rule_bindings(tree: &Tree, program: &Program) -> Vec<(String, Value)> {
    let Node::Rule {
        rule,
        bindings,
        premises,
    } = &tree.node
    else {
        return Vec::new();
    };
    let r = program.rule(*rule);
    if let Some(m) = r.meta {
        if matches!(
            program.legal.rule_meta[m.0 as usize].kind,
            RuleKind::Finding { .. }
        ) {
            return bindings.clone();
        }
    }
    premises
        .iter()
        .find_map(|p| match p {
            Premise::Holds(sub) => Some(rule_bindings(sub, program)).filter(|b| !b.is_empty()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The human citation of one of the model's own rules: a company guideline or a platform's
/// terms of use.
fn model_citation(id: &str, lang: Lang) -> String {
    match (id.split_once(':'), lang) {
        (Some(("guideline", g)), Lang::En) => format!("Company guideline {g}"),
        (Some(("guideline", g)), Lang::De) => format!("Unternehmensrichtlinie {g}"),
        (Some(("terms", s)), Lang::En) => format!("Terms of use of {s}"),
        (Some(("terms", s)), Lang::De) => format!("Nutzungsbedingungen von {s}"),
        _ => id.to_string(),
    }
}

/// Replaces `{Var}` placeholders with the bound values (symbols unquoted).
pub fn fill(template: &str, bindings: &[(String, Value)], interner: &Interner) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match bindings.iter().find(|(n, _)| n == name) {
                    Some((_, v)) => out.push_str(&sphere_engine::value::display(*v, interner)),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Stable id: FNV-1a (64 bit) of rule id, about, sorted subjects and norm versions.
pub fn finding_id(rule: &str, about: &str, subjects: &[String], norms: &[NormCite]) -> String {
    let mut subjects = subjects.to_vec();
    subjects.sort();
    let mut key = format!("{rule}\u{0}{about}\u{0}{}\u{0}", subjects.join(","));
    for n in norms {
        key.push_str(&n.id);
        key.push('@');
        key.push_str(n.version_from.as_deref().unwrap_or(""));
        key.push(';');
    }
    format!(
        "F-{}",
        crate::digest::Fnv::default().write(key.as_bytes()).hex()
    )
}

/// A derivation tree as JSON: each node with its fact, rule (and the rule's norms and
/// authorities), bindings, premises, and for input facts their origin in the model.
pub fn tree_json(
    t: &Tree,
    program: &Program,
    interner: &Interner,
    origins: &Origins,
) -> serde_json::Value {
    use serde_json::json;
    let fact = sphere_engine::explain::atom_text(program, t.rel, &t.values, interner);
    match &t.node {
        Node::Input => {
            let origin = origins
                .get(t.rel, &t.values)
                .map(|o| json!({ "file": o.file, "path": o.path }));
            json!({ "fact": fact, "input": true, "origin": origin })
        }
        Node::Rule {
            rule,
            bindings,
            premises,
        } => {
            let r = program.rule(*rule);
            let meta: Option<&RuleMeta> = r.meta.map(|m| &program.legal.rule_meta[m.0 as usize]);
            let premises: Vec<serde_json::Value> = premises
                .iter()
                .map(|p| match p {
                    Premise::Holds(sub) => tree_json(sub, program, interner, origins),
                    Premise::Absent { rel, pattern } => {
                        let args: Vec<String> =
                            pattern.iter().map(|v| v.map_or_else(|| "_".into(), |v| quote(v, interner))).collect();
                        json!({ "absent": format!("{}({})", program.relation(*rel).name, args.join(", ")) })
                    }
                    Premise::Compare { text } => json!({ "holds": text }),
                })
                .collect();
            let bindings: serde_json::Map<String, serde_json::Value> = bindings
                .iter()
                .map(|(n, v)| {
                    (
                        n.clone(),
                        json!(sphere_engine::value::display(*v, interner)),
                    )
                })
                .collect();
            json!({
                "fact": fact,
                "rule": r.id,
                "norms": meta.map(|m| m.norms.iter().map(|n| match n.version {
                    Some(d) => format!("{}@{}", n.id, d),
                    None => n.id.clone(),
                }).collect::<Vec<_>>()).unwrap_or_default(),
                "authorities": meta.map(|m| m.authorities.clone()).unwrap_or_default(),
                "bindings": bindings,
                "premises": premises,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_sensitive_to_every_part() {
        let n = vec![NormCite {
            id: "uwg:7.2.1".into(),
            version_from: Some("2022-05-28".into()),
        }];
        let a = finding_id("r", "act-1", &["s2".into(), "s1".into()], &n);
        assert_eq!(a, finding_id("r", "act-1", &["s1".into(), "s2".into()], &n));
        assert_ne!(a, finding_id("r", "act-2", &["s1".into(), "s2".into()], &n));
        assert_ne!(
            a,
            finding_id("r2", "act-1", &["s1".into(), "s2".into()], &n)
        );
        let old = vec![NormCite {
            id: "uwg:7.2.1".into(),
            version_from: Some("2008-12-30".into()),
        }];
        assert_ne!(
            a,
            finding_id("r", "act-1", &["s1".into(), "s2".into()], &old)
        );
        assert_eq!(a, "F-".to_string() + &a[2..]);
        assert_eq!(a.len(), 18);
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        let mut i = Interner::new();
        let s = i.intern("subj-karl");
        let b = vec![
            ("S".to_string(), Value::Sym(s)),
            ("N".to_string(), Value::Num(3)),
        ];
        assert_eq!(
            fill("call {S} ({N}x) {X} {", &b, &i),
            "call subj-karl (3x) {X} {"
        );
    }
}
