//! The German texts of the catalogue: every English free text the knowledge base carries (a
//! norm's `title` and `summary`, an authority's `title`, a rule's `contested` reason) has its
//! German beside it (`title_de`, `summary_de`, `contested_de`; an authority's issuer as German
//! readers name it in `issuer_de` where that differs, `EuGH` for `CJEU`). The texts sit next
//! to the English in the same block, so a jurist edits both at once and a change to one rule
//! does not touch the lines of another.
//!
//! A German text without its English is an error of the compiler; an English text without
//! its German is reported here, as a warning of `sphere kb check` with the block's place and a
//! hint: the knowledge base still loads (German output then falls back to the English text),
//! and the shipped one has none (`tests/it/lang.rs`).

use sphere_engine::diag::{Code, Diagnostic};

use crate::kb::KnowledgeBase;

/// Every English text of the catalogue without its German, in catalogue order (norms,
/// authorities, rules), as warnings at the block's id.
pub fn missing(kb: &KnowledgeBase) -> Vec<Diagnostic> {
    let legal = kb.catalogue();
    let mut out = Vec::new();
    // `what` and `what_de` name the block: "norm `x`", "die Norm `x`".
    let warn = |span, (what, what_de): (String, String), key: &str, en: &str| {
        Diagnostic::warning(
            Code::BadAnnotation,
            span,
            format!("{what} has no German `{key}_de`"),
        )
        .with_label(format!("`{key}` is only in English"))
        .with_hint(format!(
            "add `{key}_de: \"...\"` after `{key}`, in German in your own words (English: \"{}\")",
            shorten(en)
        ))
        .de(format!("{what_de} hat kein deutsches `{key}_de`"))
        .label_de(format!("`{key}` gibt es nur auf Englisch"))
        .hint_de(format!(
            "`{key}_de: \"...\"` nach `{key}` ergänzen, auf Deutsch in eigenen Worten (Englisch: \"{}\")",
            shorten(en)
        ))
    };
    for n in &legal.norms {
        let what = (
            format!("norm `{}`", n.key()),
            format!("die Norm `{}`", n.key()),
        );
        if n.title_de.is_none() {
            out.push(warn(n.span, what.clone(), "title", &n.title));
        }
        if let (Some(s), None) = (&n.summary, &n.summary_de) {
            out.push(warn(n.span, what, "summary", s));
        }
    }
    for a in &legal.authorities {
        if let (Some(t), None) = (&a.title, &a.title_de) {
            let what = (
                format!("authority `{}`", a.id),
                format!("die `.authority` `{}`", a.id),
            );
            out.push(warn(a.span, what, "title", t));
        }
    }
    for m in &legal.rule_meta {
        if let (Some(c), None) = (&m.contested, &m.contested_de) {
            let what = (format!("rule `{}`", m.id), format!("die Regel `{}`", m.id));
            out.push(warn(m.span, what, "contested", c));
        }
    }
    out
}

/// The first words of a text, for a hint.
fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}
