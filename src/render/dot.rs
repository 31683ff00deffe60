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
    let mut n = 0usize;
    node(tree, why_not, lang, &mut n, &mut out);
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

fn node(t: &Derivation, why_not: &[WhyNot], lang: Lang, n: &mut usize, out: &mut String) -> usize {
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
                    Premise::Holds(sub) => node(sub, why_not, lang, n, out),
                    Premise::Absent(text) => {
                        let c = *n;
                        *n += 1;
                        let words = why_not
                            .iter()
                            .find(|w| w.fact == *text)
                            .map(|w| format!("\n{}", absent_words(w, lang)))
                            .unwrap_or_default();
                        let _ = writeln!(
                            out,
                            "  n{c} [label={}, style=dashed];",
                            quote(&format!("no {text}{words}"))
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
