//! Lints of the knowledge base (`sphere kb lint`): norms without source, untested rules,
//! citations outside a rule's window, empty windows, authorities nobody cites.

use std::collections::BTreeSet;

use sphere_engine::ir::lower::{chain_intervals, resolve_ref, window};
use sphere_engine::{Date, Span};

use crate::kb::testing::{self, TestFile};
use crate::kb::{ref_text, KnowledgeBase};

/// One lint warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lint {
    pub span: Span,
    /// Stable: `norm_without_source`, `rule_without_test`, `norm_outside_rule_window`,
    /// `empty_window`, `authority_never_cited`.
    pub code: &'static str,
    pub message: String,
    pub hint: String,
}

/// Every lint of the knowledge base, given its rule tests, in source order.
pub fn lints(kb: &KnowledgeBase, files: &[TestFile]) -> Vec<Lint> {
    let legal = kb.catalogue();
    let mut out = Vec::new();
    for n in &legal.norms {
        let s = n.source.trim();
        if !(s.starts_with("https://") || s.starts_with("http://")) {
            out.push(Lint {
                span: n.span,
                code: "norm_without_source",
                message: format!("norm `{}` has no source URL", n.key()),
                hint: "give the official source (EUR-Lex, gesetze-im-internet.de) as `source: \"https://...\"`".into(),
            });
        }
    }
    let tested = testing::tests_by_rule(files);
    let mut cited_authorities = BTreeSet::new();
    for m in &legal.rule_meta {
        cited_authorities.extend(m.authorities.iter().map(String::as_str));
        if testing::rule_kind(m).is_some() && !tested.contains_key(&m.id) {
            out.push(Lint {
                span: m.span,
                code: "rule_without_test",
                message: format!("rule `{}` is named by no test", m.id),
                hint: "add tests to the `.test.json` beside the rule: one where it fires (`expect`), one where it does not (`expect_not`)".into(),
            });
        }
        if m.from.is_some() || m.to.is_some() {
            let own = (m.from.unwrap_or(Date::MIN), m.to.unwrap_or(Date::MAX));
            for r in &m.norms {
                let Some(i) = resolve_ref(&legal.norms, r) else {
                    continue;
                };
                let n = &legal.norms[i];
                let intervals = if r.version.is_some() {
                    vec![(n.from, n.to.unwrap_or(Date::MAX))]
                } else {
                    chain_intervals(&legal.norms, i)
                };
                if !intervals.iter().any(|&(a, b)| a <= own.1 && own.0 <= b) {
                    out.push(Lint {
                        span: m.span,
                        code: "norm_outside_rule_window",
                        message: format!(
                            "rule `{}` ({}) cites `{}`, which is not in force at any time in it ({})",
                            m.id,
                            interval_text(m.from.unwrap_or(Date::MIN), m.to, "from"),
                            ref_text(r),
                            intervals
                                .iter()
                                .map(|&(a, b)| interval_text(a, (b != Date::MAX).then_some(b), "in force"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        hint: "cite the version in force during the rule's `from`/`to`, or correct the rule's dates".into(),
                    });
                }
            }
        }
        if window(&legal.norms, m).is_empty() {
            out.push(Lint {
                span: m.span,
                code: "empty_window",
                message: format!(
                    "rule `{}` applies on no date: its norms were never in force together{}",
                    m.id,
                    if m.from.is_some() || m.to.is_some() {
                        " within its own `from`/`to`"
                    } else {
                        ""
                    }
                ),
                hint: "check the norms' intervals with `sphere kb show <norm>` and the rule's `from`/`to`".into(),
            });
        }
    }
    for a in &legal.authorities {
        if !cited_authorities.contains(a.id.as_str()) {
            out.push(Lint {
                span: a.span,
                code: "authority_never_cited",
                message: format!("authority `{}` is cited by no rule", a.id),
                hint: "cite it in the `authorities` of the rules it supports, or remove it".into(),
            });
        }
    }
    out.sort_by_key(|l| (l.span.file, l.span.start, l.code));
    out
}

fn interval_text(from: Date, to: Option<Date>, word: &str) -> String {
    match (from == Date::MIN, to) {
        (true, Some(t)) => format!("until {t}"),
        (true, None) => "always".to_string(),
        (false, Some(t)) => format!("{word} {from} to {t}"),
        (false, None) => format!("{word} {from}"),
    }
}
