//! Drawing the picture: DOT, Mermaid, SVG (laid out by [`super::layout`], no Graphviz) and
//! HTML (the SVG with a legend and a table of what is marked, as a page or a fragment).
//!
//! Colour is never the only signal: every marked element carries its decision as a word
//! (`BREACH`, `BLOCK`, `WARN`), a line style (breach solid and thick, block dashed, warn
//! dotted) and its finding ids and norms as a label or tooltip; a leak is labelled `LEAK`.

use std::fmt::Write as _;

use sphere_model::graph::NodeKind;

use super::layout::{self, NODE_H, NODE_W};
use super::risk::{Leak, Level, Mark, PEdge, PEdgeKind, PNode, Picture};
use crate::findings::Lang;

/// Fill and stroke of a level.
fn colours(level: Option<Level>) -> (&'static str, &'static str) {
    match level {
        Some(Level::Breach) => ("#f8c4c4", "#8e0000"),
        Some(Level::Block) => ("#ffd8b0", "#b34700"),
        Some(Level::Warn) => ("#fff3b0", "#7a6200"),
        Some(Level::Info) => ("#e3eefc", "#1f4e8c"),
        None => ("#ffffff", "#444444"),
    }
}

/// The dash pattern of a level (the second signal beside colour).
fn dash(level: Option<Level>) -> &'static str {
    match level {
        Some(Level::Block) => "8 4",
        Some(Level::Warn) => "2 3",
        _ => "",
    }
}

fn stroke_width(level: Option<Level>) -> f64 {
    match level {
        Some(Level::Breach) => 3.5,
        Some(Level::Block) | Some(Level::Warn) => 2.5,
        _ => 1.2,
    }
}

/// A leak in words: `LEAK: breach` / `LECK: Verstoß`.
pub fn leak_text(leak: Leak, lang: Lang) -> &'static str {
    match (leak, lang) {
        (Leak::NoTransferBasis, Lang::En) => "LEAK: third country, no transfer basis",
        (Leak::NoTransferBasis, Lang::De) => "LECK: Drittland ohne Übermittlungsgrundlage",
        (Leak::Breach, Lang::En) => "LEAK: breach",
        (Leak::Breach, Lang::De) => "LECK: Verstoß",
        (Leak::ThirdCountryWithBasis, Lang::En) => {
            "LEAK: leaves the EU/EEA (transfer basis on the date)"
        }
        (Leak::ThirdCountryWithBasis, Lang::De) => {
            "LECK: verlässt EU/EWR (Übermittlungsgrundlage am Tag vorhanden)"
        }
        (Leak::ThirdCountryUnjudged, Lang::En) => {
            "LEAK: leaves the EU/EEA (no activity used it: basis not judged)"
        }
        (Leak::ThirdCountryUnjudged, Lang::De) => {
            "LECK: verlässt EU/EWR (keine Tätigkeit: Grundlage nicht geprüft)"
        }
    }
}

fn mark_text(m: &Mark, lang: Lang) -> String {
    let Some(l) = m.level else {
        return String::new();
    };
    let (f, n) = match lang {
        Lang::En => ("findings", "norms"),
        Lang::De => ("Befunde", "Normen"),
    };
    format!(
        "{}: {f} {}; {n} {}",
        l.badge(lang),
        m.findings.join(", "),
        m.norms.join(", ")
    )
}

/// `third country` / `Drittland`.
fn third_country(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "third country",
        Lang::De => "Drittland",
    }
}

fn node_lines(n: &PNode, lang: Lang) -> Vec<String> {
    let detail = match lang {
        Lang::En => &n.detail,
        Lang::De => &n.detail_de,
    };
    let mut lines = vec![n.name.clone(), detail.clone()];
    let mut marks = Vec::new();
    if let Some(l) = n.mark.level {
        marks.push(l.badge(lang).to_string());
    }
    if n.kind == NodeKind::Party && n.processor {
        marks.push(
            match lang {
                Lang::En => "processor",
                Lang::De => "Auftragsverarbeiter",
            }
            .into(),
        );
    }
    if n.kind == NodeKind::Party && n.joint_controller {
        marks.push(
            match lang {
                Lang::En => "joint controller",
                Lang::De => "gemeinsam Verantwortlicher",
            }
            .into(),
        );
    }
    if n.third_country {
        marks.push(third_country(lang).into());
    }
    if !marks.is_empty() {
        lines.push(format!("[{}]", marks.join(", ")));
    }
    lines
}

fn edge_label(e: &PEdge, lang: Lang) -> Vec<String> {
    let mut lines = vec![e.id.clone()];
    if e.kind != PEdgeKind::Operates {
        let label = match lang {
            Lang::En => &e.label,
            Lang::De => &e.label_de,
        };
        lines.extend(label.lines().map(str::to_string));
    }
    if let Some(l) = e.mark.level {
        lines.push(format!("{} {}", l.badge(lang), e.mark.findings.join(" ")));
    }
    if let Some(leak) = e.leak {
        lines.push(leak_text(leak, lang).to_string());
    } else if e.third_country {
        lines.push(third_country(lang).into());
    }
    lines
}

/// Graphviz DOT.
pub fn dot(p: &Picture, lang: Lang) -> String {
    let mut out = String::from("digraph dataflow {\n");
    out.push_str(
        "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, nodesep=0.4, ranksep=0.9];\n",
    );
    out.push_str("  node [fontname=\"Helvetica\", fontsize=10, style=filled, fillcolor=white];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    let node_line = |n: &PNode| {
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
        match n.mark.level {
            Some(Level::Block) => style.push("dashed"),
            Some(Level::Warn) => style.push("dotted"),
            _ => {}
        }
        let (fill, stroke) = colours(n.mark.level);
        let mut attrs = format!(
            "shape={shape}, style=\"{}\", label=\"{}\", fillcolor=\"{fill}\", color=\"{stroke}\", penwidth={}",
            style.join(","),
            esc(&node_lines(n, lang).join("\n")),
            stroke_width(n.mark.level)
        );
        if n.mark.is_marked() {
            let _ = write!(attrs, ", tooltip=\"{}\"", esc(&mark_text(&n.mark, lang)));
        }
        format!("\"{}\" [{attrs}];", esc(&n.id))
    };
    let org = p.nodes.iter().find(|n| n.kind == NodeKind::Organization);
    if let Some(org) = org {
        out.push_str("  subgraph cluster_organization {\n");
        let _ = writeln!(
            out,
            "    label=\"{}\"; style=\"rounded,filled\"; fillcolor=\"#eef4fb\"; color=\"#5b8bc9\";",
            esc(&format!("{} ({})", org.name, org.id))
        );
        for n in p
            .nodes
            .iter()
            .filter(|n| n.own && n.kind != NodeKind::Organization)
        {
            let _ = writeln!(out, "    {}", node_line(n));
        }
        out.push_str("  }\n");
    }
    let clustered = |n: &PNode| org.is_some() && n.own && n.kind != NodeKind::Organization;
    for n in p.nodes.iter().filter(|n| !clustered(n)) {
        let _ = writeln!(out, "  {}", node_line(n));
    }
    for e in &p.edges {
        let (from, to) = (&p.nodes[e.from], &p.nodes[e.to]);
        if e.kind == PEdgeKind::Operates && from.kind == NodeKind::Organization {
            continue;
        }
        let mut attrs = vec![format!("id=\"{}\"", esc(&e.id))];
        attrs.push(format!(
            "label=\"{}\"",
            esc(&edge_label(e, lang).join("\n"))
        ));
        if e.kind == PEdgeKind::Operates {
            attrs.push(
                "style=dashed, arrowhead=none, color=\"#888888\", fontcolor=\"#888888\"".into(),
            );
        }
        if e.kind == PEdgeKind::Activity {
            attrs.push("arrowhead=vee".into());
        }
        let level = e.mark.level.or(e.leak.map(|_| Level::Breach));
        if e.leak.is_some() || e.mark.is_marked() {
            let (_, c) = colours(level);
            let style = if e.leak.is_some_and(Leak::unlawful) {
                "bold"
            } else if e.leak.is_some() {
                "dashed"
            } else {
                match e.mark.level {
                    Some(Level::Block) => "dashed",
                    Some(Level::Warn) => "dotted",
                    _ => "solid",
                }
            };
            attrs.push(format!(
                "color=\"{c}\", fontcolor=\"{c}\", penwidth={}, style={style}",
                stroke_width(level)
            ));
            if e.mark.is_marked() {
                attrs.push(format!("tooltip=\"{}\"", esc(&mark_text(&e.mark, lang))));
            }
        } else if e.third_country {
            attrs.push("color=\"#8e0000\", fontcolor=\"#8e0000\", penwidth=2".into());
        }
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [{}];",
            esc(&from.id),
            esc(&to.id),
            attrs.join(", ")
        );
    }
    dot_legend(&mut out, lang);
    out.push_str("}\n");
    out
}

/// The legend of the DOT picture, as in the SVG: the decisions' colours and line styles in
/// words, the two kinds of leak arrows, the shapes. Its ids contain spaces, which no model id
/// of a drawn element has.
fn dot_legend(out: &mut String, lang: Lang) {
    let w = words(lang);
    out.push_str("  subgraph cluster_legend {\n");
    let _ = writeln!(
        out,
        "    label=\"{}\"; style=\"rounded\"; color=\"#888888\"; fontsize=10;",
        esc(w.legend)
    );
    for (lv, text, style) in [
        (Level::Breach, w.breach, "filled"),
        (Level::Block, w.block, "filled,dashed"),
        (Level::Warn, w.warn, "filled,dotted"),
    ] {
        let (fill, stroke) = colours(Some(lv));
        let _ = writeln!(
            out,
            "    \"legend {}\" [shape=box, style=\"{style}\", label=\"{}\", fillcolor=\"{fill}\", color=\"{stroke}\", penwidth={}, fontsize=9];",
            lv.as_str(),
            esc(text),
            stroke_width(Some(lv))
        );
    }
    for (name, text, style, width) in [
        ("leak", w.leak, "bold", 4.5),
        ("outflow", w.outflow, "dashed", 3.0),
    ] {
        let _ = writeln!(
            out,
            "    \"legend {name} from\" [shape=point, width=0.05, color=\"#c00000\", fillcolor=\"#c00000\"]; \"legend {name} to\" [shape=point, width=0.05, color=\"#c00000\", fillcolor=\"#c00000\"];"
        );
        let _ = writeln!(
            out,
            "    \"legend {name} from\" -> \"legend {name} to\" [label=\"{}\", color=\"#c00000\", fontcolor=\"#c00000\", penwidth={width}, style={style}, fontsize=9];",
            esc(text)
        );
    }
    let _ = writeln!(
        out,
        "    \"legend shapes\" [shape=plaintext, style=\"\", label=\"{}\", fontsize=9];",
        esc(w.shapes)
    );
    out.push_str("  }\n");
}

/// Mermaid flowchart.
pub fn mermaid(p: &Picture, lang: Lang) -> String {
    let mut out = String::from("flowchart LR\n");
    let node_line = |n: &PNode| {
        let mut lines = node_lines(n, lang);
        // Mermaid shows no tooltip everywhere: the findings and norms are a line of the label.
        if n.mark.is_marked() {
            lines.push(mark_list(&n.mark, lang));
        }
        let label = lines.join("<br/>").replace('"', "#quot;");
        let id = mermaid_id(&n.id);
        match n.kind {
            NodeKind::Organization | NodeKind::Party => format!("{id}{{{{\"{label}\"}}}}"),
            NodeKind::Source => format!("{id}[/\"{label}\"/]"),
            NodeKind::System => format!("{id}(\"{label}\")"),
        }
    };
    let org = p.nodes.iter().find(|n| n.kind == NodeKind::Organization);
    if let Some(org) = org {
        let _ = writeln!(
            out,
            "  subgraph {}[\"{}\"]",
            mermaid_id(&org.id),
            format!("{} ({})", org.name, org.id).replace('"', "#quot;")
        );
        for n in p
            .nodes
            .iter()
            .filter(|n| n.own && n.kind != NodeKind::Organization)
        {
            let _ = writeln!(out, "    {}", node_line(n));
        }
        out.push_str("  end\n");
    }
    let clustered = |n: &PNode| org.is_some() && n.own && n.kind != NodeKind::Organization;
    for n in p.nodes.iter().filter(|n| !clustered(n)) {
        let _ = writeln!(out, "  {}", node_line(n));
    }
    let mut link = 0usize;
    let mut styles = Vec::new();
    for e in &p.edges {
        let (from, to) = (&p.nodes[e.from], &p.nodes[e.to]);
        if e.kind == PEdgeKind::Operates && from.kind == NodeKind::Organization {
            continue;
        }
        if e.kind == PEdgeKind::Operates {
            let _ = writeln!(
                out,
                "  {} -.-|operates| {}",
                mermaid_id(&from.id),
                mermaid_id(&to.id)
            );
        } else {
            let label = edge_label(e, lang).join("<br/>").replace('"', "#quot;");
            let arrow = if e.leak.is_some_and(Leak::unlawful) {
                "==>"
            } else {
                "-->"
            };
            let _ = writeln!(
                out,
                "  {} {arrow}|\"{label}\"| {}",
                mermaid_id(&from.id),
                mermaid_id(&to.id)
            );
        }
        if e.leak.is_some() || e.mark.is_marked() || e.third_country {
            let (_, c) = colours(e.mark.level.or(Some(Level::Breach)));
            let d = dash(e.mark.level);
            let dash = if d.is_empty() {
                String::new()
            } else {
                format!(",stroke-dasharray:{}", d)
            };
            styles.push(format!(
                "  linkStyle {link} stroke:{c},stroke-width:3px{dash}"
            ));
        }
        link += 1;
    }
    for l in [Level::Breach, Level::Block, Level::Warn, Level::Info] {
        let (fill, stroke) = colours(Some(l));
        let d = dash(Some(l));
        let dash = if d.is_empty() {
            String::new()
        } else {
            format!(",stroke-dasharray:{}", d)
        };
        let _ = writeln!(
            out,
            "  classDef {} fill:{fill},stroke:{stroke},stroke-width:3px{dash}",
            l.as_str()
        );
    }
    let mut by_level: std::collections::BTreeMap<Level, Vec<String>> = Default::default();
    for n in &p.nodes {
        if let Some(l) = n.mark.level {
            by_level.entry(l).or_default().push(mermaid_id(&n.id));
        }
    }
    for (l, ids) in by_level {
        let _ = writeln!(out, "  class {} {}", ids.join(","), l.as_str());
    }
    // The legend, as in the SVG: one box per decision, the two leak arrows, the shapes.
    let w = words(lang);
    let q = |t: &str| t.replace('"', "#quot;");
    let _ = writeln!(out, "  subgraph sphere_key[\"{}\"]", q(w.legend));
    for (lv, text) in [
        (Level::Breach, w.breach),
        (Level::Block, w.block),
        (Level::Warn, w.warn),
    ] {
        let _ = writeln!(
            out,
            "    key_{}[\"{}\"]:::{}",
            lv.as_str(),
            q(text),
            lv.as_str()
        );
    }
    for (name, text, arrow, dash) in [
        ("leak", w.leak, "==>", ""),
        ("outflow", w.outflow, "-->", ",stroke-dasharray:10 5"),
    ] {
        let _ = writeln!(
            out,
            "    key_{name}_from[\" \"] {arrow}|\"{}\"| key_{name}_to[\" \"]",
            q(text)
        );
        styles.push(format!(
            "  linkStyle {link} stroke:#c00000,stroke-width:3px{dash}"
        ));
        link += 1;
    }
    let _ = writeln!(out, "    key_shapes[\"{}\"]", q(w.shapes));
    out.push_str("  end\n");
    for s in styles {
        out.push_str(&s);
        out.push('\n');
    }
    out
}

/// The findings and norms of a mark: `findings F-1, F-2; norms gdpr:6.1.f` (in `lang`).
fn mark_list(m: &Mark, lang: Lang) -> String {
    let (f, n) = match lang {
        Lang::En => ("findings", "norms"),
        Lang::De => ("Befunde", "Normen"),
    };
    format!("{f} {}; {n} {}", m.findings.join(", "), m.norms.join(", "))
}

/// Words of the legend and the page, in both languages.
struct Words {
    legend: &'static str,
    breach: &'static str,
    block: &'static str,
    warn: &'static str,
    info: &'static str,
    leak: &'static str,
    outflow: &'static str,
    shapes: &'static str,
    title: &'static str,
    marked: &'static str,
    element: &'static str,
    decision: &'static str,
    findings: &'static str,
    norms: &'static str,
    leaks: &'static str,
    elsewhere: &'static str,
    nothing: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::En => Words {
            legend: "Legend",
            breach: "BREACH: a done activity broke the law (solid, thick)",
            block: "BLOCK: a planned activity must not go ahead (dashed)",
            warn: "WARN: worth a look (dotted)",
            info: "INFO: for information",
            leak: "LEAK: personal data went where the law does not allow (thick red arrow)",
            outflow: "LEAK: personal data leave the EU/EEA, transfer basis named (dashed red arrow)",
            shapes: "Shapes: octagon organisation, folded note source, rounded box system, hexagon outside party",
            title: "Data flows and leaks",
            marked: "What the findings concern",
            element: "Element",
            decision: "Worst decision",
            findings: "Findings",
            norms: "Norms",
            leaks: "Leaks",
            elsewhere: "Findings not on the picture",
            nothing: "No finding concerns an element of the picture",
        },
        Lang::De => Words {
            legend: "Legende",
            breach: "VERSTOSS (BREACH): eine erledigte Tätigkeit verstieß gegen das Recht (durchgezogen, dick)",
            block: "SPERRE (BLOCK): eine geplante Tätigkeit darf nicht stattfinden (gestrichelt)",
            warn: "WARNUNG (WARN): prüfen (gepunktet)",
            info: "INFO: zur Kenntnis",
            leak: "LECK: personenbezogene Daten gingen, wohin das Recht es nicht erlaubt (dicker roter Pfeil)",
            outflow: "LECK: personenbezogene Daten verlassen EU/EWR, Grundlage genannt (gestrichelter roter Pfeil)",
            shapes: "Formen: Achteck Unternehmen, Notiz Quelle, abgerundetes Rechteck System, Sechseck externe Stelle",
            title: "Datenflüsse und Lecks",
            marked: "Was die Befunde betreffen",
            element: "Element",
            decision: "Schwerste Entscheidung",
            findings: "Befunde",
            norms: "Normen",
            leaks: "Lecks",
            elsewhere: "Befunde außerhalb des Bildes",
            nothing: "Kein Befund betrifft ein Element des Bildes",
        },
    }
}

/// The longest label line drawn inside a node box; longer text is cut with an ellipsis
/// (the whole text is in the node's tooltip).
const NODE_CHARS: usize = 32;

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The picture as an SVG document of its own, laid out without Graphviz.
pub fn svg(p: &Picture, lang: Lang) -> String {
    let edges: Vec<(usize, usize)> = p
        .edges
        .iter()
        .map(|e| match e.kind {
            // A party is drawn right of the system it operates (data reach it there); the
            // organisation left of its own.
            PEdgeKind::Operates if p.nodes[e.from].kind != NodeKind::Organization => (e.to, e.from),
            _ => (e.from, e.to),
        })
        .collect();
    let l = layout::layout(p.nodes.len(), &edges);
    let w = words(lang);
    let legend_h = 150.0;
    let width = l.width.max(760.0);
    let height = l.height + legend_h;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sphere-graph\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-labelledby=\"sphere-graph-title\" font-family=\"Helvetica, Arial, sans-serif\">"
    );
    let _ = writeln!(
        out,
        "<title id=\"sphere-graph-title\">{}</title>",
        xml(w.title)
    );
    out.push_str("<defs>");
    for (name, colour) in [
        ("plain", "#444444"),
        ("breach", "#8e0000"),
        ("block", "#b34700"),
        ("warn", "#7a6200"),
        ("info", "#1f4e8c"),
        ("leak", "#c00000"),
    ] {
        let _ = write!(
            out,
            "<marker id=\"arrow-{name}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"11\" markerHeight=\"11\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{colour}\"/></marker>"
        );
    }
    out.push_str("</defs>\n");
    out.push_str("<g class=\"edges\">\n");
    for e in &p.edges {
        let (a, b) = (e.from, e.to);
        let from = &p.nodes[a];
        if e.kind == PEdgeKind::Operates && from.kind == NodeKind::Organization {
            continue;
        }
        // From the right side of the left box to the left side of the right box.
        let (x1, y1, x2, y2) = if l.x[a] <= l.x[b] {
            (
                l.x[a] + NODE_W,
                l.y[a] + NODE_H / 2.0,
                l.x[b],
                l.y[b] + NODE_H / 2.0,
            )
        } else {
            (
                l.x[a],
                l.y[a] + NODE_H / 2.0,
                l.x[b] + NODE_W,
                l.y[b] + NODE_H / 2.0,
            )
        };
        let same_column = (l.x[a] - l.x[b]).abs() < 1.0;
        let bend = if same_column {
            60.0
        } else {
            ((x2 - x1).abs() / 2.0).max(30.0)
        };
        let dir = if x2 >= x1 && !same_column { 1.0 } else { -1.0 };
        let (c1x, c2x) = if same_column {
            (x1 + bend, x2 + bend)
        } else {
            (x1 + dir * bend, x2 - dir * bend)
        };
        let level = e.mark.level;
        let (stroke, marker, sw, dasharray, class) = if let Some(leak) = e.leak {
            let (s, d) = if leak.unlawful() {
                (4.5, "")
            } else {
                (3.0, "10 5")
            };
            (
                "#c00000",
                "leak",
                s,
                d,
                format!("edge leak leak-{}", leak.as_str()),
            )
        } else if let Some(lv) = level {
            let (_, c) = colours(Some(lv));
            (
                c,
                lv.as_str(),
                stroke_width(Some(lv)),
                dash(Some(lv)),
                format!("edge {}", lv.as_str()),
            )
        } else if e.kind == PEdgeKind::Operates {
            ("#999999", "plain", 1.0, "4 3", "edge operates".to_string())
        } else {
            ("#444444", "plain", 1.2, "", "edge".to_string())
        };
        let _ = write!(
            out,
            "<g class=\"{class}\" id=\"e-{}\" data-id=\"{}\"",
            attr(&e.id),
            attr(&e.id)
        );
        if let Some(lv) = level {
            let _ = write!(
                out,
                " data-decision=\"{}\" data-findings=\"{}\"",
                lv.as_str(),
                attr(&e.mark.findings.join(" "))
            );
        }
        if let Some(leak) = e.leak {
            let _ = write!(out, " data-leak=\"{}\"", leak.as_str());
        }
        out.push('>');
        let mut tip = edge_label(e, lang).join("\n");
        if e.mark.is_marked() {
            tip.push('\n');
            tip.push_str(&mark_text(&e.mark, lang));
        }
        let _ = write!(out, "<title>{}</title>", xml(&tip));
        let _ = write!(
            out,
            "<path d=\"M{x1:.1},{y1:.1} C{c1x:.1},{y1:.1} {c2x:.1},{y2:.1} {x2:.1},{y2:.1}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{sw}\""
        );
        if !dasharray.is_empty() {
            let _ = write!(out, " stroke-dasharray=\"{dasharray}\"");
        }
        if e.kind != PEdgeKind::Operates {
            let _ = write!(out, " marker-end=\"url(#arrow-{marker})\"");
        }
        out.push_str("/>");
        if e.kind != PEdgeKind::Operates {
            // The label at the curve's middle: id, then the leak or decision word.
            let mx = (x1 + x2) / 2.0 + if same_column { bend * 0.75 } else { 0.0 };
            let my = (y1 + y2) / 2.0 - 4.0;
            let mut lines = vec![cut(&e.id, 30)];
            if let Some(leak) = e.leak {
                lines.push(
                    match (leak.unlawful(), lang) {
                        (true, Lang::En) => "⚠ LEAK",
                        (true, Lang::De) => "⚠ LECK",
                        (false, Lang::En) => "⚠ LEAK (EU/EEA exit)",
                        (false, Lang::De) => "⚠ LECK (verlässt EU/EWR)",
                    }
                    .to_string(),
                );
            } else if let Some(lv) = level {
                lines.push(lv.badge(lang).to_string());
            }
            for (i, t) in lines.iter().enumerate() {
                let fill = if i == 0 { "#333333" } else { stroke };
                let weight = if i == 0 { "normal" } else { "bold" };
                let _ = write!(
                    out,
                    "<text x=\"{mx:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{fill}\" font-weight=\"{weight}\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
                    my + i as f64 * 12.0,
                    xml(t)
                );
            }
        }
        out.push_str("</g>\n");
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for (i, n) in p.nodes.iter().enumerate() {
        let (x, y) = (l.x[i], l.y[i]);
        let (fill, stroke) = colours(n.mark.level);
        let sw = stroke_width(n.mark.level);
        let d = dash(n.mark.level);
        let class = match n.mark.level {
            Some(lv) => format!("node {}", lv.as_str()),
            None => "node".to_string(),
        };
        let _ = write!(
            out,
            "<g class=\"{class}\" id=\"n-{}\" data-id=\"{}\"",
            attr(&n.id),
            attr(&n.id)
        );
        if let Some(lv) = n.mark.level {
            let _ = write!(
                out,
                " data-decision=\"{}\" data-findings=\"{}\"",
                lv.as_str(),
                attr(&n.mark.findings.join(" "))
            );
        }
        out.push('>');
        let mut tip = format!(
            "{} ({})\n{}",
            n.name,
            n.id,
            node_lines(n, lang)[1..].join("\n")
        );
        if n.mark.is_marked() {
            tip.push('\n');
            tip.push_str(&mark_text(&n.mark, lang));
        }
        let _ = write!(out, "<title>{}</title>", xml(&tip));
        let style = {
            let mut s = format!("fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"");
            if !d.is_empty() {
                let _ = write!(s, " stroke-dasharray=\"{d}\"");
            }
            s
        };
        let (x2, y2) = (x + NODE_W, y + NODE_H);
        match n.kind {
            NodeKind::System => {
                let _ = write!(out, "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"10\" {style}/>");
            }
            NodeKind::Source => {
                let f = 12.0;
                let _ = write!(
                    out,
                    "<path d=\"M{x:.1},{y:.1} L{:.1},{y:.1} L{x2:.1},{:.1} L{x2:.1},{y2:.1} L{x:.1},{y2:.1} z\" {style}/>",
                    x2 - f,
                    y + f
                );
            }
            NodeKind::Party => {
                let c = 14.0;
                let my = y + NODE_H / 2.0;
                let _ = write!(
                    out,
                    "<path d=\"M{:.1},{y:.1} L{:.1},{y:.1} L{x2:.1},{my:.1} L{:.1},{y2:.1} L{:.1},{y2:.1} L{x:.1},{my:.1} z\" {style}/>",
                    x + c,
                    x2 - c,
                    x2 - c,
                    x + c
                );
            }
            NodeKind::Organization => {
                let c = 12.0;
                let _ = write!(
                    out,
                    "<path d=\"M{:.1},{y:.1} L{:.1},{y:.1} L{x2:.1},{:.1} L{x2:.1},{:.1} L{:.1},{y2:.1} L{:.1},{y2:.1} L{x:.1},{:.1} L{x:.1},{:.1} z\" {style}/>",
                    x + c, x2 - c, y + c, y2 - c, x2 - c, x + c, y2 - c, y + c
                );
            }
        }
        let lines = node_lines(n, lang);
        for (k, t) in lines.iter().take(3).enumerate() {
            let weight = if k == 0 { "bold" } else { "normal" };
            let colour = if k == 2 && n.mark.is_marked() {
                stroke
            } else {
                "#222222"
            };
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" font-weight=\"{weight}\" fill=\"{colour}\">{}</text>",
                x + NODE_W / 2.0,
                y + 17.0 + k as f64 * 15.0,
                xml(&cut(t, NODE_CHARS))
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</g>\n");
    // The legend, below the drawing.
    let ly = l.height + 8.0;
    let _ = write!(out, "<g class=\"legend\" transform=\"translate(20,{ly:.1})\"><text x=\"0\" y=\"12\" font-size=\"12\" font-weight=\"bold\">{}</text>", xml(w.legend));
    let items: [(Option<Level>, &str, &str); 4] = [
        (Some(Level::Breach), w.breach, ""),
        (Some(Level::Block), w.block, ""),
        (Some(Level::Warn), w.warn, ""),
        (None, w.leak, "leak"),
    ];
    for (k, (lv, text, kind)) in items.iter().enumerate() {
        let y = 22.0 + k as f64 * 18.0;
        if *kind == "leak" {
            let _ = write!(out, "<line x1=\"0\" y1=\"{:.1}\" x2=\"30\" y2=\"{:.1}\" stroke=\"#c00000\" stroke-width=\"4.5\" marker-end=\"url(#arrow-leak)\"/>", y + 6.0, y + 6.0);
        } else {
            let (fill, stroke) = colours(*lv);
            let d = dash(*lv);
            let _ = write!(out, "<rect x=\"0\" y=\"{y:.1}\" width=\"30\" height=\"12\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\" stroke-dasharray=\"{d}\"/>", stroke_width(*lv));
        }
        let _ = write!(
            out,
            "<text x=\"40\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            y + 10.0,
            xml(text)
        );
    }
    let y = 22.0 + 4.0 * 18.0;
    let _ = write!(out, "<line x1=\"0\" y1=\"{:.1}\" x2=\"30\" y2=\"{:.1}\" stroke=\"#c00000\" stroke-width=\"3\" stroke-dasharray=\"10 5\" marker-end=\"url(#arrow-leak)\"/>", y + 6.0, y + 6.0);
    let _ = write!(
        out,
        "<text x=\"40\" y=\"{:.1}\" font-size=\"11\">{}</text>",
        y + 10.0,
        xml(w.outflow)
    );
    let _ = write!(
        out,
        "<text x=\"0\" y=\"{:.1}\" font-size=\"11\" fill=\"#444444\">{}</text>",
        y + 28.0,
        xml(w.shapes)
    );
    let _ = writeln!(out, "<desc>{}</desc>", xml(w.info));
    out.push_str("</g>\n</svg>\n");
    out
}

/// The picture as an HTML fragment: a heading, the SVG, and tables of what the findings
/// concern and of the leaks (the same facts in text, for readers who cannot see the
/// picture). `heading` is the level of the fragment's heading (2 in a report, 1 on a page
/// of its own).
pub fn html_fragment(p: &Picture, lang: Lang, heading: u8) -> String {
    let w = words(lang);
    let h = heading.clamp(1, 5);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<section class=\"sphere-leaks\" aria-labelledby=\"sphere-leaks-h\">"
    );
    let _ = writeln!(out, "<h{h} id=\"sphere-leaks-h\">{}</h{h}>", xml(w.title));
    let _ = writeln!(
        out,
        "<div class=\"sphere-graph-scroll\">{}</div>",
        svg(p, lang)
    );
    let _ = writeln!(
        out,
        "<h{} id=\"sphere-leaks-marked\">{}</h{}>",
        h + 1,
        xml(w.marked),
        h + 1
    );
    let mut rows = Vec::new();
    for n in &p.nodes {
        if let Some(l) = n.mark.level {
            rows.push((format!("{} ({})", n.name, n.id), l, &n.mark, None));
        }
    }
    for e in &p.edges {
        if e.mark.is_marked() || e.leak.is_some() {
            let l = e.mark.level;
            rows.push((e.id.clone(), l.unwrap_or(Level::Info), &e.mark, e.leak));
        }
    }
    if rows.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", xml(w.nothing));
    } else {
        let _ = writeln!(
            out,
            "<table class=\"sphere-marked\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            xml(w.element), xml(w.decision), xml(w.leaks), xml(w.findings), xml(w.norms)
        );
        for (name, l, m, leak) in rows {
            let decision = if m.is_marked() { l.badge(lang) } else { "" };
            let findings: Vec<String> = m
                .findings
                .iter()
                .map(|id| format!("<a href=\"#{}\">{}</a>", attr(id), xml(id)))
                .collect();
            let _ = writeln!(
                out,
                "<tr class=\"{}\"><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if m.is_marked() { l.as_str() } else { "" },
                xml(&name),
                decision,
                leak.map(|k| xml(leak_text(k, lang))).unwrap_or_default(),
                findings.join(" "),
                xml(&m.norms.join(", "))
            );
        }
        out.push_str("</tbody></table>\n");
    }
    if !p.elsewhere.is_empty() {
        let _ = writeln!(
            out,
            "<p>{}: {}</p>",
            xml(w.elsewhere),
            xml(&p.elsewhere.join(", "))
        );
    }
    out.push_str("</section>\n");
    out
}

/// Styles shared by the graph page and the report.
pub const CSS: &str = "
.sphere-graph-scroll { overflow: auto; max-width: 100%; border: 1px solid #ccc; }
.sphere-graph text { pointer-events: none; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
thead th { background: #eee; }
tr.breach th, tr.breach td { background: #fbe3e3; }
tr.block th, tr.block td { background: #fff0e0; }
tr.warn th, tr.warn td { background: #fffbe0; }
@media print { .sphere-graph-scroll { overflow: visible; border: none; } .sphere-graph { max-width: 100%; height: auto; } }
";

/// A whole HTML page of the picture: self-contained, no network access.
pub fn html_page(p: &Picture, lang: Lang) -> String {
    let w = words(lang);
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #111; }}{CSS}</style>\n</head>\n<body>\n<main>\n{}</main>\n</body>\n</html>\n",
        lang.as_str(),
        xml(w.title),
        html_fragment(p, lang, 1)
    )
}

/// Escapes text for XML and HTML content.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value (ids with spaces stay one attribute).
fn attr(s: &str) -> String {
    xml(s)
}

fn esc(s: &str) -> String {
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
