//! Graphviz DOT of a derivation tree: one box per node, edges from conclusions to premises.

use std::fmt::Write as _;

use crate::explain::{Derivation, Explanation, Premise, Step};
use crate::findings::Lang;
use crate::render::text::rule_label;
use crate::whynot::{Status, WhyNot};

/// The tree as a DOT digraph.
pub fn derivation(tree: &Derivation, lang: Lang) -> String {
    graph(tree, &[], lang)
}

/// The explanation's tree as a DOT digraph, each absent premise labelled with why it is
/// absent, in words (the first reason of each rule's closest candidate).
pub fn explanation(e: &Explanation, lang: Lang) -> String {
    match &e.derivation {
        Some(d) => graph(d, &e.why_not, lang),
        None => String::new(),
    }
}

fn graph(tree: &Derivation, why_not: &[WhyNot], lang: Lang) -> String {
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
                            let words = why_not
                                .iter()
                                .find(|w| w.fact == *text)
                                .map(|w| format!("\n{}", absent_words(w, lang)))
                                .unwrap_or_default();
                            let _ = writeln!(
                                out,
                                "  n{c} [label={}, style=dashed];",
                                quote(&format!(
                                    "{} {text}{words}",
                                    match lang {
                                        Lang::En => "no",
                                        Lang::De => "nicht",
                                    }
                                ))
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

/// The words of a why-not for a DOT label: what the absence means, then the reason each
/// rule's first candidate fails.
fn absent_words(w: &WhyNot, lang: Lang) -> String {
    let mut lines = vec![w.words.get(lang).to_string()];
    if let Status::Rules(tries) = &w.status {
        for t in tries {
            if let Some(c) = t.candidates.first() {
                lines.push(format!("{}: {}", t.rule, c.reason.get(lang)));
            }
        }
    }
    lines.join("\n")
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
