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
    // Without recursion (trees are as deep as the evaluation had rounds): nodes numbered in
    // the order a depth-first walk meets them, each edge written after its child's node.
    let mut n = 0usize;
    // (node, the number of its parent)
    let mut stack: Vec<(&Derivation, Option<usize>)> = vec![(tree, None)];
    while let Some((t, parent)) = stack.pop() {
        let id = n;
        n += 1;
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
                let mut subs = Vec::new();
                for p in &r.premises {
                    match p {
                        Premise::Holds(sub) => subs.push(sub.as_ref()),
                        Premise::Absent(text) => {
                            let c = n;
                            n += 1;
                            let _ = writeln!(
                                out,
                                "  n{c} [label={}, style=dashed];",
                                quote(&format!("no {text}"))
                            );
                            let _ = writeln!(out, "  n{id} -> n{c};");
                        }
                        Premise::Compare(text) => {
                            let c = n;
                            n += 1;
                            let _ =
                                writeln!(out, "  n{c} [label={}, shape=plaintext];", quote(text));
                            let _ = writeln!(out, "  n{id} -> n{c};");
                        }
                    }
                }
                for sub in subs.into_iter().rev() {
                    stack.push((sub, Some(id)));
                }
            }
        }
        if let Some(p) = parent {
            let _ = writeln!(out, "  n{p} -> n{id};");
        }
    }
    out.push_str("}\n");
    out
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
