//! The picture of the leaks: the data-flow graph of a model with every system, source, flow
//! and recipient a finding concerns marked by the worst decision of its findings, and the
//! places where personal data leave the company's protection drawn as leaks.
//!
//! What a finding concerns: a finding about an activity concerns the activity's source,
//! system and flow, and the flow's recipient; a finding about an object concerns that object
//! when it is on the picture. An activity with findings that moves data from a source to a
//! system without a flow of the model is drawn as an edge of its own (the activity's id), so
//! that a reuse of content (a photo taken from a fan page onto the website) is visible as a
//! path.
//!
//! A leak is one of:
//! - a flow into a third country (outside the EU/EEA, as the knowledge base's relation `eea`
//!   says); whether the transfer had a basis on the date of each activity that used it comes
//!   from the knowledge base's relations `third_country_transfer` and `transfer_basis` (the
//!   rules of Chapter V GDPR), never from a second list here. A transfer without a basis is an
//!   unlawful leak; one with a basis is still drawn as data leaving the EU/EEA, with its basis
//!   named;
//! - a flow or an activity edge whose activity a `breach` finding concerns (data already went
//!   where the law does not allow).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sphere_engine::Value;
use sphere_model::graph::{EdgeKind, FlowGraph, NodeKind};

use crate::findings::{Decision, Finding, Lang};
use crate::outcome::Outcome;

/// The worst decision of the findings that concern an element. Ordered from worst to least.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Breach,
    Block,
    Warn,
    Info,
}

impl Level {
    pub fn of(d: Decision) -> Level {
        match d {
            Decision::Breach => Level::Breach,
            Decision::Block => Level::Block,
            Decision::Warn => Level::Warn,
            Decision::Info => Level::Info,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Breach => "breach",
            Level::Block => "block",
            Level::Warn => "warn",
            Level::Info => "info",
        }
    }

    /// The word drawn on the element, so that colour is never the only signal.
    pub fn badge(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, Level::Breach) => "BREACH",
            (Lang::En, Level::Block) => "BLOCK",
            (Lang::En, Level::Warn) => "WARN",
            (Lang::En, Level::Info) => "INFO",
            (Lang::De, Level::Breach) => "VERSTOSS",
            (Lang::De, Level::Block) => "SPERRE",
            (Lang::De, Level::Warn) => "WARNUNG",
            (Lang::De, Level::Info) => "HINWEIS",
        }
    }
}

/// The findings that concern one element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Mark {
    /// The worst decision; `None` when no finding concerns the element.
    pub level: Option<Level>,
    /// Finding ids, sorted.
    pub findings: Vec<String>,
    /// Norm ids the findings cite, sorted.
    pub norms: Vec<String>,
}

impl Mark {
    fn add(&mut self, f: &Finding) {
        let l = Level::of(f.decision);
        self.level = Some(self.level.map_or(l, |m| m.min(l)));
        self.findings.push(f.id.clone());
        self.norms.extend(f.norms.iter().map(|n| n.id.clone()));
    }

    fn finish(&mut self) {
        self.findings.sort();
        self.findings.dedup();
        self.norms.sort();
        self.norms.dedup();
    }

    pub fn is_marked(&self) -> bool {
        self.level.is_some()
    }
}

/// Why an edge is a leak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Leak {
    /// Personal data went to a third country without a transfer basis on the date.
    NoTransferBasis,
    /// A done activity along this edge is a breach.
    Breach,
    /// Personal data leave the EU/EEA, with a transfer basis on the date of every activity
    /// that used the flow.
    ThirdCountryWithBasis,
    /// A flow into a third country that no activity of the model used: the knowledge base
    /// judges transfers by the act's date, so its basis was not judged.
    ThirdCountryUnjudged,
}

impl Leak {
    pub fn as_str(self) -> &'static str {
        match self {
            Leak::NoTransferBasis => "no_transfer_basis",
            Leak::Breach => "breach",
            Leak::ThirdCountryWithBasis => "third_country_with_basis",
            Leak::ThirdCountryUnjudged => "third_country_unjudged",
        }
    }

    /// Unlawful on the record: drawn as a leak in the strongest style.
    pub fn unlawful(self) -> bool {
        matches!(self, Leak::NoTransferBasis | Leak::Breach)
    }
}

/// A node of the picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PNode {
    pub id: String,
    pub kind: NodeKind,
    pub name: String,
    pub detail: String,
    /// The second line in German.
    pub detail_de: String,
    pub own: bool,
    pub third_country: bool,
    pub processor: bool,
    pub joint_controller: bool,
    pub mark: Mark,
}

/// What an edge of the picture stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PEdgeKind {
    /// A flow of the model.
    Flow,
    /// An operator runs a system or a source.
    Operates,
    /// An activity with findings that moved data from a source to a system without a flow.
    Activity,
}

/// An edge of the picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PEdge {
    /// Flow id, activity id, or `<operator>/<target>`.
    pub id: String,
    pub kind: PEdgeKind,
    pub from: usize,
    pub to: usize,
    pub label: String,
    /// The label in German.
    pub label_de: String,
    pub third_country: bool,
    pub mark: Mark,
    pub leak: Option<Leak>,
}

/// The data-flow graph with findings and leaks.
#[derive(Clone, Debug, Default)]
pub struct Picture {
    /// Sorted by (kind, id).
    pub nodes: Vec<PNode>,
    /// Flows by id, then activity edges by id, then "operates" links.
    pub edges: Vec<PEdge>,
    /// Findings about objects or activities that touch nothing on the picture, by id (so
    /// that the picture says what it cannot show).
    pub elsewhere: Vec<String>,
}

/// How much to draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Only what a finding concerns, the leaks, and their ends.
    pub only_risky: bool,
}

/// What the picture reads of the company model besides its activities: the data-flow graph
/// (nothing marked), each flow's recipient, each system's operator and the organisation.
/// Taken before the evaluation, so that a command that evaluates once can let the company
/// model go before the rules run (`sphere report`); the activities the findings concern are
/// read from the outcome (the input relations `activity`, `activity_source`,
/// `activity_system` and `activity_flow`, the model's fields one to one).
#[derive(Clone, Debug)]
pub struct Sketch {
    plain: Picture,
    flow_to: BTreeMap<String, String>,
    operator: BTreeMap<String, String>,
    org: String,
}

impl Sketch {
    /// The sketch of `company`, whose data-flow graph is `graph`.
    pub fn new(graph: &FlowGraph, company: &sphere_model::Model) -> Sketch {
        Sketch {
            plain: Picture::plain(graph),
            flow_to: company
                .flows
                .iter()
                .map(|f| (f.id.clone(), f.to.clone()))
                .collect(),
            // A system's operator is a recipient of what reaches the system.
            operator: company
                .systems
                .iter()
                .map(|s| (s.id.clone(), s.operator.clone()))
                .collect(),
            org: company.organization.id.clone(),
        }
    }
}

/// An activity as the picture draws it.
struct Activity {
    id: String,
    source: Option<String>,
    system: Option<String>,
    flow: Option<String>,
    kind: String,
    purpose: String,
}

/// The activities `ids` of the outcome's evaluation, by id, with their source, system, flow,
/// kind and purpose: one pass over each of the four input relations, keeping only those
/// activities (a large model has millions).
fn activities<'a>(
    outcome: &Outcome<'_>,
    ids: impl Iterator<Item = &'a str>,
) -> BTreeMap<String, Activity> {
    let ev = outcome.evaluation();
    let program = ev.program();
    let interner = ev.interner();
    let wanted: BTreeSet<u32> = ids.filter_map(|id| interner.get(id)).map(|s| s.0).collect();
    let mut out: BTreeMap<u32, Activity> = BTreeMap::new();
    if wanted.is_empty() {
        return BTreeMap::new();
    }
    let sym = |v: Option<&Value>| match v {
        Some(Value::Sym(s)) => Some(*s),
        _ => None,
    };
    let text = |s: sphere_engine::Sym| interner.resolve(s).to_string();
    // The columns by name, as knowledge/model.dl declares them.
    let column = |rel: sphere_engine::ir::RelId, name: &str| {
        program
            .relation(rel)
            .columns
            .iter()
            .position(|c| c.name == name)
    };
    if let Some(rel) = program.relation_by_name("activity") {
        let cols = (
            column(rel, "activity"),
            column(rel, "kind"),
            column(rel, "purpose"),
        );
        if let (Some(a), Some(k), Some(p)) = cols {
            for (_, t) in ev.tuples_unsorted(rel) {
                let Some(id) = sym(t.get(a)).filter(|s| wanted.contains(&s.0)) else {
                    continue;
                };
                let (Some(kind), Some(purpose)) = (sym(t.get(k)), sym(t.get(p))) else {
                    continue;
                };
                out.insert(
                    id.0,
                    Activity {
                        id: text(id),
                        source: None,
                        system: None,
                        flow: None,
                        kind: text(kind),
                        purpose: text(purpose),
                    },
                );
            }
        }
    }
    for (name, field) in [
        ("activity_source", 0),
        ("activity_system", 1),
        ("activity_flow", 2),
    ] {
        let Some(rel) = program.relation_by_name(name) else {
            continue;
        };
        for (_, t) in ev.tuples_unsorted(rel) {
            let (Some(id), Some(v)) = (sym(t.first()), sym(t.get(1))) else {
                continue;
            };
            if let Some(a) = out.get_mut(&id.0) {
                let slot = match field {
                    0 => &mut a.source,
                    1 => &mut a.system,
                    _ => &mut a.flow,
                };
                *slot = Some(text(v));
            }
        }
    }
    out.into_values().map(|a| (a.id.clone(), a)).collect()
}

impl Picture {
    /// The plain graph, nothing marked.
    pub fn plain(graph: &FlowGraph) -> Picture {
        let mut nodes = Vec::new();
        let mut at = BTreeMap::new();
        for n in graph.graph.node_weights() {
            at.insert(n.id.clone(), nodes.len());
            nodes.push(PNode {
                id: n.id.clone(),
                kind: n.kind,
                name: n.name.clone(),
                detail: n.detail.clone(),
                detail_de: n.detail_de.clone(),
                own: n.own,
                third_country: n.third_country,
                processor: n.processor,
                joint_controller: n.joint_controller,
                mark: Mark::default(),
            });
        }
        let mut edges = Vec::new();
        for e in graph.graph.edge_indices() {
            let Some((a, b)) = graph.graph.edge_endpoints(e) else {
                continue;
            };
            let w = &graph.graph[e];
            let (Some(&from), Some(&to)) = (at.get(&graph.graph[a].id), at.get(&graph.graph[b].id))
            else {
                continue;
            };
            edges.push(PEdge {
                id: w.id.clone(),
                kind: match w.kind {
                    EdgeKind::Flow => PEdgeKind::Flow,
                    EdgeKind::Operates => PEdgeKind::Operates,
                },
                from,
                to,
                label: w.label.clone(),
                label_de: w.label_de.clone(),
                third_country: w.third_country,
                mark: Mark::default(),
                leak: None,
            });
        }
        Picture {
            nodes,
            edges,
            elsewhere: Vec::new(),
        }
    }

    /// The picture of the sketch's company with the outcome's findings and the transfers the
    /// knowledge base judged.
    pub fn new(sketch: &Sketch, outcome: &Outcome<'_>) -> Picture {
        Picture::with_findings(sketch, outcome, &|_| true)
    }

    /// The picture with only the findings `keep` accepts (the report keeps its period's);
    /// transfers to third countries are judged over every activity of the outcome.
    pub fn with_findings(
        sketch: &Sketch,
        outcome: &Outcome<'_>,
        keep: &dyn Fn(&Finding) -> bool,
    ) -> Picture {
        let mut p = sketch.plain.clone();
        let node_at: BTreeMap<String, usize> = p
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        let mut flow_at: BTreeMap<String, usize> = BTreeMap::new();
        for (i, e) in p.edges.iter().enumerate() {
            if e.kind == PEdgeKind::Flow {
                flow_at.insert(e.id.clone(), i);
            }
        }
        let flow_to = &sketch.flow_to;
        let operator = &sketch.operator;
        let org = sketch.org.as_str();
        let kept: Vec<&Finding> = outcome.findings().iter().filter(|f| keep(f)).collect();
        let activities = activities(outcome, kept.iter().filter_map(|f| f.about.activity()));

        let mut activity_edges: BTreeMap<String, PEdge> = BTreeMap::new();
        let mut elsewhere = Vec::new();
        for f in kept {
            let mut touched = false;
            match f.about.activity().and_then(|a| activities.get(a)) {
                Some(a) => {
                    let mut nodes: Vec<&str> = Vec::new();
                    nodes.extend(a.source.as_deref());
                    nodes.extend(a.system.as_deref());
                    let to = a.flow.as_deref().and_then(|fl| flow_to.get(fl));
                    nodes.extend(to.map(String::as_str));
                    for sys in a
                        .system
                        .as_deref()
                        .into_iter()
                        .chain(to.map(String::as_str))
                    {
                        if let Some(op) = operator.get(sys).filter(|op| op.as_str() != org) {
                            nodes.push(op);
                        }
                    }
                    for n in nodes {
                        if let Some(&i) = node_at.get(n) {
                            p.nodes[i].mark.add(f);
                            touched = true;
                        }
                    }
                    let breach = f.decision == Decision::Breach;
                    match a.flow.as_deref().and_then(|fl| flow_at.get(fl)) {
                        Some(&i) => {
                            let e = &mut p.edges[i];
                            e.mark.add(f);
                            if breach {
                                e.leak = Some(e.leak.map_or(Leak::Breach, |l| l.min(Leak::Breach)));
                            }
                            touched = true;
                        }
                        None => {
                            let ends = a
                                .source
                                .as_deref()
                                .zip(a.system.as_deref())
                                .and_then(|(s, y)| Some((*node_at.get(s)?, *node_at.get(y)?)));
                            if let Some((from, to)) = ends {
                                let e =
                                    activity_edges.entry(a.id.clone()).or_insert_with(|| PEdge {
                                        id: a.id.clone(),
                                        kind: PEdgeKind::Activity,
                                        from,
                                        to,
                                        label: format!(
                                            "{} · {}",
                                            a.kind.as_str(),
                                            a.purpose.as_str()
                                        ),
                                        label_de: format!(
                                            "{} · {}",
                                            a.kind.as_str(),
                                            a.purpose.as_str()
                                        ),
                                        third_country: p.nodes[to].third_country,
                                        mark: Mark::default(),
                                        leak: None,
                                    });
                                e.mark.add(f);
                                if breach {
                                    e.leak = Some(Leak::Breach);
                                }
                                touched = true;
                            }
                        }
                    }
                }
                None => {
                    let id = f.about_id();
                    if let Some(&i) = node_at.get(id) {
                        p.nodes[i].mark.add(f);
                        touched = true;
                    }
                    if let Some(&i) = flow_at.get(id) {
                        p.edges[i].mark.add(f);
                        touched = true;
                    }
                }
            }
            if !touched {
                elsewhere.push(f.id.clone());
            }
        }
        p.edges.extend(activity_edges.into_values());

        // Transfers to third countries, as the knowledge base judged them per activity.
        let judged = transfers(outcome);
        for e in p
            .edges
            .iter_mut()
            .filter(|e| e.kind == PEdgeKind::Flow && e.third_country)
        {
            let users: Vec<&(String, bool)> = judged
                .iter()
                .filter(|(_, (flow, _))| flow == &e.id)
                .map(|(_, v)| v)
                .collect();
            let leak = if users.is_empty() {
                Leak::ThirdCountryUnjudged
            } else if users.iter().any(|(_, basis)| !basis) {
                Leak::NoTransferBasis
            } else {
                Leak::ThirdCountryWithBasis
            };
            e.leak = Some(e.leak.map_or(leak, |l| l.min(leak)));
        }

        for n in &mut p.nodes {
            n.mark.finish();
        }
        for e in &mut p.edges {
            e.mark.finish();
        }
        elsewhere.sort();
        elsewhere.dedup();
        p.elsewhere = elsewhere;
        p
    }

    /// Only what a finding concerns, the leaks, and the nodes at their ends.
    pub fn only_risky(&self) -> Picture {
        let risky_edge = |e: &PEdge| e.mark.is_marked() || e.leak.is_some();
        let mut keep: BTreeSet<usize> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.mark.is_marked())
            .map(|(i, _)| i)
            .collect();
        for e in self.edges.iter().filter(|e| risky_edge(e)) {
            keep.insert(e.from);
            keep.insert(e.to);
        }
        let renumber: BTreeMap<usize, usize> = keep
            .iter()
            .enumerate()
            .map(|(new, &old)| (old, new))
            .collect();
        let nodes = keep.iter().map(|&i| self.nodes[i].clone()).collect();
        let edges = self
            .edges
            .iter()
            .filter(|e| risky_edge(e))
            .filter_map(|e| {
                Some(PEdge {
                    from: *renumber.get(&e.from)?,
                    to: *renumber.get(&e.to)?,
                    ..e.clone()
                })
            })
            .collect();
        Picture {
            nodes,
            edges,
            elsewhere: self.elsewhere.clone(),
        }
    }

    /// The leaks, as (edge id, why), in edge order.
    pub fn leaks(&self) -> Vec<(&str, Leak)> {
        self.edges
            .iter()
            .filter_map(|e| Some((e.id.as_str(), e.leak?)))
            .collect()
    }

    pub fn apply(&self, opts: Options) -> Picture {
        if opts.only_risky {
            self.only_risky()
        } else {
            self.clone()
        }
    }
}

/// For each activity that sends personal data to a third country, its flow (empty when it
/// has none) and whether the transfer had a basis on its date: the knowledge base's
/// relations `third_country_transfer(activity, party, country)` and
/// `transfer_basis(activity, party)`.
fn transfers(outcome: &Outcome<'_>) -> Vec<(String, (String, bool))> {
    let ev = outcome.evaluation();
    let program = ev.program();
    let name = |v: &Value| match v {
        Value::Sym(s) => Some(ev.interner().resolve(*s).to_string()),
        _ => None,
    };
    let (Some(tct), Some(basis)) = (
        program.relation_by_name("third_country_transfer"),
        program.relation_by_name("transfer_basis"),
    ) else {
        return Vec::new();
    };
    let flows: BTreeMap<String, String> = program
        .relation_by_name("activity_flow")
        .map(|rel| {
            ev.tuples(rel)
                .iter()
                .filter_map(|t| Some((name(t.first()?)?, name(t.get(1)?)?)))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for t in ev.tuples(tct) {
        let (Some(a), Some(_)) = (t.first().and_then(name), t.get(1).and_then(name)) else {
            continue;
        };
        let has_basis = ev.contains(basis, &t[..2]);
        let flow = flows.get(&a).cloned().unwrap_or_default();
        out.push((a, (flow, has_basis)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Date, EvalOptions, KnowledgeBase, Model};

    /// A finding of the demo week with another id, decision and norm.
    fn findings(decisions: &[Decision]) -> Vec<Finding> {
        let kb = KnowledgeBase::shipped().expect("the shipped knowledge base");
        let model = Model::from_text(
            "demo_week.json",
            include_str!("../../facts/demo_week.json"),
            Date::parse("2025-06-13").expect("a date"),
        )
        .expect("valid");
        let outcome = kb
            .evaluate(&model, &EvalOptions::default())
            .expect("evaluates");
        let first = outcome.findings()[0].clone();
        decisions
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                let mut f = first.clone();
                f.id = format!("F-{i}-{}", d.as_str());
                f.decision = d;
                f
            })
            .collect()
    }

    fn mark(found: &[Finding]) -> Mark {
        let mut m = Mark::default();
        for f in found {
            m.add(f);
        }
        m.finish();
        m
    }

    #[test]
    fn an_element_takes_the_worst_decision_of_its_findings() {
        use Decision::{Block, Breach, Warn};
        let all = findings(&[Warn, Block, Breach]);
        // In every order: the worst wins, not the first or the last.
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1]] {
            let found: Vec<Finding> = order.iter().map(|&i| all[i].clone()).collect();
            let m = mark(&found);
            assert_eq!(m.level, Some(Level::Breach), "{order:?}");
            assert_eq!(m.findings.len(), 3, "every finding is named");
        }
        let m = mark(&findings(&[Warn, Warn]));
        assert_eq!(m.level, Some(Level::Warn));
        let m = mark(&findings(&[Warn, Block]));
        assert_eq!(m.level, Some(Level::Block));
        assert_eq!(mark(&[]).level, None);
    }
}
