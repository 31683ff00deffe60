//! Rendering of derivation trees for people: each derived node names its rule and the norms
//! (in the version in force on the act's date) and authorities the rule rests on; each input
//! fact names where in the model it comes from. Text and DOT here; JSON in `findings`.

use std::fmt::Write as _;

use sphere_engine::explain::{atom_text, quote, Node, Premise, Tree};
use sphere_engine::ir::legal::RuleMeta;
use sphere_engine::ir::Program;
use sphere_engine::{Date, Interner};

use crate::findings::{version_at, Lang, Origins};

/// What a rule node shows: `rule id: citations; authorities`.
fn rule_label(
    program: &Program,
    rule: sphere_engine::ir::RuleIdx,
    date: Date,
    lang: Lang,
) -> String {
    let r = program.rule(rule);
    let mut label = format!("rule {}", r.id);
    if let Some(m) = r.meta {
        let meta: &RuleMeta = &program.legal.rule_meta[m.0 as usize];
        let cites: Vec<String> = meta
            .norms
            .iter()
            .filter_map(|n| version_at(&program.legal.norms, n, date))
            .map(|v| match lang {
                Lang::En => v.en.clone(),
                Lang::De => v.de.clone(),
            })
            .collect();
        let auths: Vec<String> = meta
            .authorities
            .iter()
            .filter_map(|a| program.legal.authorities.iter().find(|x| &x.id == a))
            .map(|a| a.citation())
            .collect();
        let all: Vec<String> = cites.into_iter().chain(auths).collect();
        if !all.is_empty() {
            label.push_str(": ");
            label.push_str(&all.join("; "));
        }
    }
    label
}

/// Indented text, one node per line.
pub fn text(
    tree: &Tree,
    program: &Program,
    interner: &Interner,
    origins: &Origins,
    date: Date,
    lang: Lang,
) -> String {
    let mut out = String::new();
    node_text(
        tree, program, interner, origins, date, lang, "", "", &mut out,
    );
    out
}

#[allow(clippy::too_many_arguments)]
fn node_text(
    t: &Tree,
    program: &Program,
    interner: &Interner,
    origins: &Origins,
    date: Date,
    lang: Lang,
    first: &str,
    rest: &str,
    out: &mut String,
) {
    let head = atom_text(program, t.rel, &t.values, interner);
    match &t.node {
        Node::Input => {
            let place = origins.get(t.rel, &t.values).map_or_else(
                || "fact".to_string(),
                |o| format!("fact: {} {}", o.file, o.path),
            );
            let _ = writeln!(out, "{first}{head}  [{place}]");
        }
        Node::Rule { rule, premises, .. } => {
            let _ = writeln!(
                out,
                "{first}{head}  [{}]",
                rule_label(program, *rule, date, lang)
            );
            for (i, p) in premises.iter().enumerate() {
                let last = i + 1 == premises.len();
                let f = format!("{rest}{}", if last { "└─ " } else { "├─ " });
                let r = format!("{rest}{}", if last { "   " } else { "│  " });
                match p {
                    Premise::Holds(sub) => {
                        node_text(sub, program, interner, origins, date, lang, &f, &r, out)
                    }
                    Premise::Absent { rel, pattern } => {
                        let args: Vec<String> = pattern
                            .iter()
                            .map(|v| v.map_or_else(|| "_".into(), |v| quote(v, interner)))
                            .collect();
                        let _ = writeln!(
                            out,
                            "{f}no {}({})  [absent]",
                            program.relation(*rel).name,
                            args.join(", ")
                        );
                    }
                    Premise::Compare { text } => {
                        let _ = writeln!(out, "{f}{text}  [holds]");
                    }
                }
            }
        }
    }
}

/// Graphviz DOT: one box per node, edges from conclusions to premises.
pub fn dot(
    tree: &Tree,
    program: &Program,
    interner: &Interner,
    origins: &Origins,
    date: Date,
    lang: Lang,
) -> String {
    let mut out = String::from(
        "digraph derivation {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n",
    );
    let mut n = 0usize;
    dot_node(
        tree, program, interner, origins, date, lang, &mut n, &mut out,
    );
    out.push_str("}\n");
    out
}

#[allow(clippy::too_many_arguments)]
fn dot_node(
    t: &Tree,
    program: &Program,
    interner: &Interner,
    origins: &Origins,
    date: Date,
    lang: Lang,
    n: &mut usize,
    out: &mut String,
) -> usize {
    let id = *n;
    *n += 1;
    let head = atom_text(program, t.rel, &t.values, interner);
    match &t.node {
        Node::Input => {
            let place = origins
                .get(t.rel, &t.values)
                .map_or(String::new(), |o| format!("\n{} {}", o.file, o.path));
            let _ = writeln!(
                out,
                "  n{id} [label={}, style=filled, fillcolor=\"#eef5ff\"];",
                dot_quote(&format!("{head}{place}"))
            );
        }
        Node::Rule { rule, premises, .. } => {
            let label = format!("{head}\n{}", rule_label(program, *rule, date, lang));
            let _ = writeln!(out, "  n{id} [label={}];", dot_quote(&label));
            for p in premises {
                let child = match p {
                    Premise::Holds(sub) => {
                        dot_node(sub, program, interner, origins, date, lang, n, out)
                    }
                    Premise::Absent { rel, pattern } => {
                        let c = *n;
                        *n += 1;
                        let args: Vec<String> = pattern
                            .iter()
                            .map(|v| v.map_or_else(|| "_".into(), |v| quote(v, interner)))
                            .collect();
                        let _ = writeln!(
                            out,
                            "  n{c} [label={}, style=dashed];",
                            dot_quote(&format!(
                                "no {}({})",
                                program.relation(*rel).name,
                                args.join(", ")
                            ))
                        );
                        c
                    }
                    Premise::Compare { text } => {
                        let c = *n;
                        *n += 1;
                        let _ =
                            writeln!(out, "  n{c} [label={}, shape=plaintext];", dot_quote(text));
                        c
                    }
                };
                let _ = writeln!(out, "  n{id} -> n{child};");
            }
        }
    }
    id
}

/// A DOT string literal: quotes and backslashes escaped, line breaks as `\n`.
fn dot_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
