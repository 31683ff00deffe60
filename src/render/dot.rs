//! Graphviz DOT of a derivation tree: one box per node, edges from conclusions to premises.

use std::fmt::Write as _;

use crate::explain::{Derivation, Premise, Step};
use crate::findings::Lang;
use crate::render::text::rule_label;

/// The tree as a DOT digraph.
pub fn derivation(tree: &Derivation, lang: Lang) -> String {
    let mut out = String::from(
        "digraph derivation {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n",
    );
    let mut n = 0usize;
    node(tree, lang, &mut n, &mut out);
    out.push_str("}\n");
    out
}

fn node(t: &Derivation, lang: Lang, n: &mut usize, out: &mut String) -> usize {
    let id = *n;
    *n += 1;
    match &t.step {
        Step::Input { origin } => {
            let place = origin
                .as_ref()
                .map_or(String::new(), |o| format!("\n{} {}", o.file, o.path));
            let _ = writeln!(
                out,
                "  n{id} [label={}, style=filled, fillcolor=\"#eef5ff\"];",
                quote(&format!("{}{place}", t.fact))
            );
        }
        Step::Rule(r) => {
            let label = format!("{}\n{}", t.fact, rule_label(r, lang));
            let _ = writeln!(out, "  n{id} [label={}];", quote(&label));
            for p in &r.premises {
                let child = match p {
                    Premise::Holds(sub) => node(sub, lang, n, out),
                    Premise::Absent(text) => {
                        let c = *n;
                        *n += 1;
                        let _ = writeln!(
                            out,
                            "  n{c} [label={}, style=dashed];",
                            quote(&format!("no {text}"))
                        );
                        c
                    }
                    Premise::Compare(text) => {
                        let c = *n;
                        *n += 1;
                        let _ = writeln!(out, "  n{c} [label={}, shape=plaintext];", quote(text));
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
pub fn quote(s: &str) -> String {
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
