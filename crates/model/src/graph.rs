//! The data-flow graph of a model: who holds personal data and where it goes.
//!
//! Nodes are the organisation, its sources, systems and the outside parties; edges are the
//! model's flows (personal data moving) and "operates" links (a party runs a system or a
//! source). Nodes and edges carry the marks a DPO looks for first: third country (outside the
//! EU/EEA), processor, joint controller.
//!
//! Rendering to DOT and Mermaid is pure text; the caller decides where it goes. Findings can
//! colour nodes and edges through [`Highlights`] (keyed by model id), so the graph module needs
//! to know nothing about rules.
//!
//! Invariant: output is deterministic. Nodes are added sorted by (kind, id) and edges by id,
//! so the same model gives the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::{Model, SystemRole};

/// What a node stands for. The order is the drawing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    Organization,
    Source,
    System,
    Party,
}

/// A system's role in German words.
fn role_de(role: SystemRole) -> &'static str {
    match role {
        SystemRole::Own => "eigenes System",
        SystemRole::Processor => "Auftragsverarbeiter",
        SystemRole::JointController => "gemeinsam Verantwortlicher",
        SystemRole::IndependentController => "eigenständig Verantwortlicher",
    }
}

/// A source, system, party or the organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The model id.
    pub id: String,
    pub kind: NodeKind,
    pub name: String,
    /// A short second line: `crm · DE`, `forum · public`, `US`.
    pub detail: String,
    /// The second line in German (`forum · öffentlich`).
    pub detail_de: String,
    /// The operator is the organisation itself (its own systems and sources).
    pub own: bool,
    /// The system is hosted, or the party located, outside the EU/EEA.
    pub third_country: bool,
    /// The system's operator is a processor, or the party runs a system as processor.
    pub processor: bool,
    /// The system's operator is a joint controller, or the party is one.
    pub joint_controller: bool,
}

/// What an edge stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// A flow of the model: personal data moving.
    Flow,
    /// The source node operates the target (a system or a source).
    Operates,
}

/// A flow, or an "operates" link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The flow id; for an "operates" link `<operator>/<target>`.
    pub id: String,
    pub kind: EdgeKind,
    /// For a flow: `purpose · mechanism`, with its dates when it has any.
    pub label: String,
    /// The label in German.
    pub label_de: String,
    /// A flow into a node outside the EU/EEA.
    pub third_country: bool,
}

/// The data-flow graph of one model.
#[derive(Clone, Debug)]
pub struct FlowGraph {
    pub graph: DiGraph<Node, Edge>,
    /// Node index by model id.
    pub index: BTreeMap<String, NodeIndex>,
}

/// How serious the most severe finding on a highlighted element is (the findings layer's
/// severity; the model crate does not depend on the engine that defines it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// Colours from findings, by model id: nodes by source, system, party or organization id,
/// edges by flow id. Where several findings hit one element, the caller passes the most
/// severe. Empty highlights draw the plain graph.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Highlights {
    pub nodes: BTreeMap<String, Severity>,
    pub edges: BTreeMap<String, Severity>,
}

/// How to draw the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dot,
    Mermaid,
}

impl FlowGraph {
    /// Builds the graph. Flows whose ends are not sources, systems or parties of the model
    /// (which validation reports) are left out rather than invented. `in_eea` says whether a
    /// country (ISO 3166 alpha-2) is in the EU or the EEA: the caller asks the knowledge
    /// base's list (its relation `eea`), so that the picture and the rules on transfers to
    /// third countries (Chapter V GDPR) cannot disagree.
    pub fn new(model: &Model, in_eea: &dyn Fn(&str) -> bool) -> FlowGraph {
        let org_id = model.organization.id.as_str();
        let items = model;
        let mut nodes: Vec<Node> = Vec::new();
        nodes.push(Node {
            id: org_id.to_string(),
            kind: NodeKind::Organization,
            name: model.organization.name.clone(),
            detail: model.organization.country.clone(),
            detail_de: model.organization.country.clone(),
            own: true,
            third_country: !in_eea(&model.organization.country),
            processor: false,
            joint_controller: false,
        });
        for s in &items.sources {
            let mut detail = s.kind.as_str().to_string();
            let mut detail_de = detail.clone();
            if s.public {
                detail.push_str(" · public");
                detail_de.push_str(" · öffentlich");
            }
            nodes.push(Node {
                id: s.id.clone(),
                kind: NodeKind::Source,
                name: s.name.clone(),
                detail,
                detail_de,
                own: s.operator == org_id,
                third_country: false,
                processor: false,
                joint_controller: false,
            });
        }
        for s in &items.systems {
            let role = model.system_role(s);
            let mut detail = format!("{} · {}", s.kind.as_str(), s.hosting_country);
            let mut detail_de = detail.clone();
            if role != SystemRole::Own {
                let _ = write!(detail, " · {}", role.as_str().replace('_', " "));
                let _ = write!(detail_de, " · {}", role_de(role));
            }
            nodes.push(Node {
                id: s.id.clone(),
                kind: NodeKind::System,
                name: s.name.clone(),
                detail,
                detail_de,
                own: s.operator == org_id,
                third_country: !in_eea(&s.hosting_country),
                processor: role == SystemRole::Processor,
                joint_controller: role == SystemRole::JointController,
            });
        }
        for p in &items.parties {
            let roles: Vec<SystemRole> = items
                .systems
                .iter()
                .filter(|s| s.operator == p.id)
                .map(|s| model.system_role(s))
                .collect();
            nodes.push(Node {
                id: p.id.clone(),
                kind: NodeKind::Party,
                name: p.name.clone(),
                detail: p.country.clone(),
                detail_de: p.country.clone(),
                own: false,
                third_country: !in_eea(&p.country),
                processor: roles.contains(&SystemRole::Processor),
                joint_controller: roles.contains(&SystemRole::JointController),
            });
        }
        nodes.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));

        let mut graph = DiGraph::new();
        let mut index = BTreeMap::new();
        for n in nodes {
            let id = n.id.clone();
            let i = graph.add_node(n);
            // Ids are unique in a valid model; on a duplicate the first node keeps the id.
            index.entry(id).or_insert(i);
        }

        let mut edges: Vec<(NodeIndex, NodeIndex, Edge)> = Vec::new();
        for f in &items.flows {
            let (Some(&a), Some(&b)) = (index.get(&f.from), index.get(&f.to)) else {
                continue;
            };
            let mut label = format!("{} · {}", f.purpose.as_str(), f.mechanism.as_str());
            let mut label_de = label.clone();
            match (f.from_date, f.to_date) {
                (Some(d), Some(e)) => {
                    let _ = write!(label, "\n{d} to {e}");
                    let _ = write!(label_de, "\n{d} bis {e}");
                }
                (Some(d), None) => {
                    let _ = write!(label, "\nfrom {d}");
                    let _ = write!(label_de, "\nab {d}");
                }
                (None, Some(e)) => {
                    let _ = write!(label, "\nuntil {e}");
                    let _ = write!(label_de, "\nbis {e}");
                }
                (None, None) => {}
            }
            edges.push((
                a,
                b,
                Edge {
                    id: f.id.clone(),
                    kind: EdgeKind::Flow,
                    label,
                    label_de,
                    third_country: graph[b].third_country,
                },
            ));
        }
        let operated = items
            .systems
            .iter()
            .map(|s| (&s.operator, &s.id))
            .chain(items.sources.iter().map(|s| (&s.operator, &s.id)));
        for (operator, target) in operated {
            let (Some(&a), Some(&b)) = (index.get(operator), index.get(target)) else {
                continue;
            };
            edges.push((
                a,
                b,
                Edge {
                    id: format!("{operator}/{target}"),
                    kind: EdgeKind::Operates,
                    label: "operates".to_string(),
                    label_de: "betreibt".to_string(),
                    third_country: false,
                },
            ));
        }
        edges.sort_by(|x, y| (x.2.kind, &x.2.id).cmp(&(y.2.kind, &y.2.id)));
        for (a, b, e) in edges {
            graph.add_edge(a, b, e);
        }
        FlowGraph { graph, index }
    }

    /// The flows that leave the EU/EEA, by flow id.
    pub fn third_country_flows(&self) -> Vec<&str> {
        self.graph
            .edge_weights()
            .filter(|e| e.kind == EdgeKind::Flow && e.third_country)
            .map(|e| e.id.as_str())
            .collect()
    }

    /// Draws the graph in `format`.
    pub fn render(&self, format: Format, highlights: &Highlights) -> String {
        match format {
            Format::Dot => self.to_dot(highlights),
            Format::Mermaid => self.to_mermaid(highlights),
        }
    }

    /// Graphviz DOT. The organisation is a cluster holding its own systems and sources, so
    /// "operates" links are drawn only for outside operators.
    pub fn to_dot(&self, highlights: &Highlights) -> String {
        let mut out = String::new();
        out.push_str("digraph dataflow {\n");
        out.push_str("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, nodesep=0.4, ranksep=0.9];\n");
        out.push_str(
            "  node [fontname=\"Helvetica\", fontsize=10, style=filled, fillcolor=white];\n",
        );
        out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
        let org = self
            .graph
            .node_weights()
            .find(|n| n.kind == NodeKind::Organization);
        if let Some(org) = org {
            let _ = writeln!(out, "  subgraph cluster_organization {{");
            let _ = writeln!(
                out,
                "    label=\"{}\"; style=\"rounded,filled\"; fillcolor=\"#eef4fb\"; color=\"#5b8bc9\";",
                dot_escape(&format!("{} ({})", org.name, org.id))
            );
            for n in self
                .graph
                .node_weights()
                .filter(|n| n.own && n.kind != NodeKind::Organization)
            {
                let _ = writeln!(out, "    {}", dot_node(n, highlights));
            }
            out.push_str("  }\n");
        }
        for n in self.graph.node_weights().filter(|n| !n.own) {
            let _ = writeln!(out, "  {}", dot_node(n, highlights));
        }
        for e in self.graph.edge_references() {
            let w = e.weight();
            let from = &self.graph[e.source()];
            let to = &self.graph[e.target()];
            if w.kind == EdgeKind::Operates && from.kind == NodeKind::Organization {
                continue;
            }
            let mut attrs = vec![format!("id=\"{}\"", dot_escape(&w.id))];
            match w.kind {
                EdgeKind::Flow => {
                    let mut label = format!("{}\n{}", w.id, w.label);
                    if w.third_country {
                        label.push_str("\nthird country");
                    }
                    attrs.push(format!("label=\"{}\"", dot_escape(&label)));
                }
                EdgeKind::Operates => {
                    attrs.push("label=\"operates\"".to_string());
                    attrs.push(
                        "style=dashed, arrowhead=none, color=\"#888888\", fontcolor=\"#888888\""
                            .to_string(),
                    );
                }
            }
            let colour = highlights
                .edges
                .get(&w.id)
                .map(|s| severity_colour(*s))
                .or(w.third_country.then_some("#c62828"));
            if let Some(c) = colour {
                attrs.push(format!("color=\"{c}\", fontcolor=\"{c}\", penwidth=2"));
            }
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{}\" [{}];",
                dot_escape(&from.id),
                dot_escape(&to.id),
                attrs.join(", ")
            );
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid flowchart (renders in GitHub, GitLab and most wikis).
    pub fn to_mermaid(&self, highlights: &Highlights) -> String {
        let mut out = String::from("flowchart LR\n");
        if let Some(org) = self
            .graph
            .node_weights()
            .find(|n| n.kind == NodeKind::Organization)
        {
            let _ = writeln!(
                out,
                "  subgraph {}[\"{}\"]",
                mermaid_id(&org.id),
                mermaid_escape(&format!("{} ({})", org.name, org.id))
            );
            for n in self
                .graph
                .node_weights()
                .filter(|n| n.own && n.kind != NodeKind::Organization)
            {
                let _ = writeln!(out, "    {}", mermaid_node(n));
            }
            out.push_str("  end\n");
        }
        for n in self.graph.node_weights().filter(|n| !n.own) {
            let _ = writeln!(out, "  {}", mermaid_node(n));
        }
        // Mermaid styles links by their position, so count the links as they are written.
        let mut link = 0usize;
        let mut link_styles = Vec::new();
        for e in self.graph.edge_references() {
            let w = e.weight();
            let from = &self.graph[e.source()];
            let to = &self.graph[e.target()];
            if w.kind == EdgeKind::Operates && from.kind == NodeKind::Organization {
                continue;
            }
            match w.kind {
                EdgeKind::Flow => {
                    let mut label = format!("{}<br/>{}", w.id, w.label.replace('\n', "<br/>"));
                    if w.third_country {
                        label.push_str("<br/>third country");
                    }
                    let _ = writeln!(
                        out,
                        "  {} -->|\"{}\"| {}",
                        mermaid_id(&from.id),
                        mermaid_escape(&label),
                        mermaid_id(&to.id)
                    );
                }
                EdgeKind::Operates => {
                    let _ = writeln!(
                        out,
                        "  {} -.-|operates| {}",
                        mermaid_id(&from.id),
                        mermaid_id(&to.id)
                    );
                }
            }
            let colour = highlights
                .edges
                .get(&w.id)
                .map(|s| severity_colour(*s))
                .or(w.third_country.then_some("#c62828"));
            if let Some(c) = colour {
                link_styles.push(format!("  linkStyle {link} stroke:{c},stroke-width:2px"));
            }
            link += 1;
        }
        out.push_str("  classDef third fill:#fde2e2,stroke:#c62828,stroke-width:2px\n");
        out.push_str("  classDef high fill:#f8b4b4,stroke:#b71c1c,stroke-width:3px\n");
        out.push_str("  classDef medium fill:#ffe0b2,stroke:#e65100,stroke-width:3px\n");
        out.push_str("  classDef low fill:#fff9c4,stroke:#f9a825,stroke-width:3px\n");
        let mut classes: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for n in self.graph.node_weights() {
            let class = match highlights.nodes.get(&n.id) {
                Some(s) => s.as_str(),
                None if n.third_country => "third",
                None => continue,
            };
            classes.entry(class).or_default().push(mermaid_id(&n.id));
        }
        for (class, ids) in classes {
            let _ = writeln!(out, "  class {} {class}", ids.join(","));
        }
        for s in link_styles {
            out.push_str(&s);
            out.push('\n');
        }
        out
    }
}

/// The lines of a node's label: name, detail, marks.
fn node_lines(n: &Node) -> Vec<String> {
    let mut lines = vec![n.name.clone(), n.detail.clone()];
    let mut marks = Vec::new();
    if n.kind == NodeKind::Party && n.processor {
        marks.push("processor");
    }
    if n.kind == NodeKind::Party && n.joint_controller {
        marks.push("joint controller");
    }
    if n.third_country {
        marks.push("third country");
    }
    if !marks.is_empty() {
        lines.push(format!("[{}]", marks.join(", ")));
    }
    lines
}

fn dot_node(n: &Node, highlights: &Highlights) -> String {
    let shape = match n.kind {
        NodeKind::Organization => "doubleoctagon",
        NodeKind::Source => "note",
        NodeKind::System => "box",
        NodeKind::Party => "hexagon",
    };
    let mut style = vec!["filled"];
    if n.kind == NodeKind::System {
        style.push("rounded");
    }
    if n.joint_controller {
        style.push("dashed");
    }
    let (fill, border, width) = match highlights.nodes.get(&n.id) {
        Some(s) => (severity_fill(*s), severity_colour(*s), 3),
        None if n.third_country => ("#fde2e2", "#c62828", 2),
        None => ("white", "black", 1),
    };
    let label = node_lines(n).join("\n");
    format!(
        "\"{}\" [shape={shape}, style=\"{}\", label=\"{}\", fillcolor=\"{fill}\", color=\"{border}\", penwidth={width}{}];",
        dot_escape(&n.id),
        style.join(","),
        dot_escape(&label),
        if n.processor || n.joint_controller { ", peripheries=2" } else { "" }
    )
}

fn mermaid_node(n: &Node) -> String {
    let label = mermaid_escape(&node_lines(n).join("<br/>"));
    let id = mermaid_id(&n.id);
    match n.kind {
        NodeKind::Organization => format!("{id}{{{{\"{label}\"}}}}"),
        NodeKind::Source => format!("{id}[/\"{label}\"/]"),
        NodeKind::System => format!("{id}(\"{label}\")"),
        NodeKind::Party => format!("{id}{{{{\"{label}\"}}}}"),
    }
}

fn severity_colour(s: Severity) -> &'static str {
    match s {
        Severity::High => "#b71c1c",
        Severity::Medium => "#e65100",
        Severity::Low => "#f9a825",
    }
}

fn severity_fill(s: Severity) -> &'static str {
    match s {
        Severity::High => "#f8b4b4",
        Severity::Medium => "#ffe0b2",
        Severity::Low => "#fff9c4",
    }
}

/// Escapes a DOT double-quoted string. Newlines become `\n`, which DOT draws as a centred
/// line break.
fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Mermaid ids may hold only letters, digits and `_`; other characters are written as `_xx`
/// hex, so distinct model ids stay distinct.
fn mermaid_id(id: &str) -> String {
    let mut out = String::from("n_");
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c == '-' {
            out.push('_');
        } else {
            let _ = write!(out, "_{:x}_", c as u32);
        }
    }
    out
}

/// Escapes text inside a quoted Mermaid label (entity codes, as Mermaid documents).
fn mermaid_escape(s: &str) -> String {
    s.replace('"', "#quot;").replace('\n', "<br/>")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The knowledge base's list of EU and EEA states (its facts `eea("..")` in
    /// `knowledge/gdpr/transfers.dl`), as the application asks it.
    fn in_eea(country: &str) -> bool {
        let text = include_str!("../../../knowledge/gdpr/transfers.dl");
        country.len() == 2 && text.contains(&format!("eea(\"{country}\")."))
    }

    fn demo(file: &str) -> Model {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../facts")
            .join(file);
        let today = crate::Date::parse("2025-01-01").expect("a valid date");
        crate::load_paths(&[path], today).expect("the demo file is valid")
    }

    #[test]
    fn dot_of_the_us_monitoring_demo() {
        let g = FlowGraph::new(&demo("s06_us_monitoring.json"), &in_eea);
        insta::assert_snapshot!(g.to_dot(&Highlights::default()));
    }

    #[test]
    fn mermaid_of_the_us_monitoring_demo() {
        let g = FlowGraph::new(&demo("s06_us_monitoring.json"), &in_eea);
        insta::assert_snapshot!(g.to_mermaid(&Highlights::default()));
    }

    #[test]
    fn dot_of_the_demo_week() {
        let g = FlowGraph::new(&demo("demo_week.json"), &in_eea);
        insta::assert_snapshot!(g.to_dot(&Highlights::default()));
    }

    #[test]
    fn marks_third_countries_processors_and_joint_controllers() {
        let g = FlowGraph::new(&demo("demo_week.json"), &in_eea);
        let node = |id: &str| &g.graph[g.index[id]];
        assert!(node("sys-social-monitoring").third_country);
        assert!(node("sys-social-monitoring").processor);
        assert!(node("party-socialscope").third_country && node("party-socialscope").processor);
        assert!(!node("sys-newsletter").third_country && node("sys-newsletter").processor);
        assert!(node("sys-page-insights").joint_controller && node("party-meta").joint_controller);
        assert!(node("sys-crm").own && !node("sys-crm").processor);
        assert_eq!(g.third_country_flows(), vec!["flow-crm-monitoring"]);
    }

    #[test]
    fn highlights_colour_the_named_node_and_edge_only() {
        let g = FlowGraph::new(&demo("s06_us_monitoring.json"), &in_eea);
        let plain = g.to_dot(&Highlights::default());
        let mut h = Highlights::default();
        h.nodes.insert("sys-clickmetrics".into(), Severity::High);
        h.edges
            .insert("flow-crm-clickmetrics".into(), Severity::Medium);
        let lit = g.to_dot(&h);
        let line = |dot: &str, id: &str| {
            dot.lines()
                .find(|l| {
                    l.trim_start().starts_with(&format!("\"{id}\""))
                        || l.contains(&format!("id=\"{id}\""))
                })
                .map(str::to_string)
                .unwrap_or_default()
        };
        assert!(line(&lit, "sys-clickmetrics").contains("#f8b4b4"));
        assert!(line(&lit, "flow-crm-clickmetrics").contains("#e65100"));
        assert_eq!(line(&lit, "sys-crm"), line(&plain, "sys-crm"));
        let changed = plain
            .lines()
            .zip(lit.lines())
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(changed, 2, "only the highlighted node and edge change");
        let m = g.to_mermaid(&h);
        assert!(m.contains("class n_sys_clickmetrics high"), "{m}");
    }

    #[test]
    fn same_model_same_bytes() {
        let a = FlowGraph::new(&demo("demo_week.json"), &in_eea).to_mermaid(&Highlights::default());
        let b = FlowGraph::new(&demo("demo_week.json"), &in_eea).to_mermaid(&Highlights::default());
        assert_eq!(a, b);
    }

    #[test]
    fn third_countries_are_those_outside_the_list_given() {
        assert!(in_eea("DE") && in_eea("NO") && in_eea("IE"));
        assert!(!in_eea("US") && !in_eea("CH") && !in_eea("GB"));
        let with_us = |c: &str| c == "US" || in_eea(c);
        let g = FlowGraph::new(&demo("demo_week.json"), &with_us);
        assert!(!g.graph[g.index["sys-social-monitoring"]].third_country);
        assert!(g.third_country_flows().is_empty());
    }

    #[test]
    fn mermaid_ids_stay_distinct() {
        assert_ne!(mermaid_id("a-b"), mermaid_id("a.b"));
        assert_eq!(mermaid_id("sys-crm"), "n_sys_crm");
    }

    #[test]
    fn dot_escape_quotes_and_newlines() {
        assert_eq!(dot_escape("a \"b\"\nc\\"), "a \\\"b\\\"\\nc\\\\");
    }
}
