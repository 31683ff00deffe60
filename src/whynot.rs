//! Why something does not hold, in words: for a fact (or a pattern) that is absent, every
//! rule that could derive it, the candidates that came closest, and the first condition each
//! one fails, said as a jurist would ("consent c-karl-1 covers channel email, not phone";
//! "the date of act-1 (2025-06-12) is after the end of the DPF certification of
//! clickmetrics (2024-03-01)"). A missing premise that rules derive is explained again one
//! level down. The words come from [`crate::words`].
//!
//! Bounded and deterministic: at most [`Options::per_rule`] candidates per rule (those that got
//! furthest through the rule, then in the order of the evaluation's rows), at most
//! [`Options::depth`] levels and [`MAX_NODES`] explained facts in all.

use std::cell::Cell;

use sphere_engine::eval::Evaluation;
use sphere_engine::explain::{quote, Close, Failure};
use sphere_engine::ir::{CmpOp, Expr, Literal, RelId, Rule, Term};
use sphere_engine::value::display;
use sphere_engine::Value;

use crate::findings::{Lang, Texts};
use crate::words;

/// How far a why-not goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Levels of missing premises followed into the rules that could derive them.
    pub depth: usize,
    /// Candidates shown per rule.
    pub per_rule: usize,
}

impl Options {
    /// For a question asked directly (`whynot`, `--why-not`).
    pub const QUESTION: Options = Options {
        depth: 3,
        per_rule: 3,
    };
    /// For each negated premise of an explanation.
    pub const PREMISE: Options = Options {
        depth: 2,
        per_rule: 2,
    };
}

/// The most facts one why-not explains (the question and its nested premises).
pub const MAX_NODES: usize = 40;

/// Why a fact or pattern does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhyNot {
    /// The fact as written, `_` for any value: `ad_consent("act-1", "subj-1")`.
    pub fact: String,
    /// What its absence means, in words.
    pub words: Texts,
    pub status: Status,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// It holds after all.
    Holds,
    /// An input fact the model does not have; no rule derives it.
    NotRecorded,
    /// Not followed further (depth or size bound reached).
    NotFollowed,
    /// The rules that could derive it, each with its closest candidates.
    Rules(Vec<RuleTry>),
}

/// One rule that could derive the fact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleTry {
    /// The rule's id.
    pub rule: String,
    /// The closest candidates, furthest first; empty when no candidate was found at all.
    pub candidates: Vec<Candidate>,
}

/// A candidate and the first condition it fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The values the candidate chose for the rule's variables that the question did not fix
    /// (`C = c-karl-1`), values as text.
    pub chosen: Vec<(String, String)>,
    /// The failing premise as written, with the values filled in.
    pub premise: String,
    /// The failing premise as data: its relation and values (`None`: any value), whether
    /// the relation is an input relation (a fact of the model), and whether the premise
    /// failed because such a fact is missing (else: because one is present, or a comparison
    /// failed, when `relation` is empty).
    pub relation: String,
    pub args: Vec<Option<String>>,
    pub input: bool,
    pub missing: bool,
    /// Why it fails, in words.
    pub reason: Texts,
    /// For a missing premise that rules derive: why it does not hold.
    pub nested: Option<Box<WhyNot>>,
}

/// Why `rel` has no fact matching `pattern` (`None`: any value).
pub fn analyse(
    ev: &Evaluation<'_>,
    rel: RelId,
    pattern: &[Option<Value>],
    options: Options,
) -> WhyNot {
    let budget = Cell::new(MAX_NODES);
    node(ev, rel, pattern, options, options.depth, &budget)
}

fn node(
    ev: &Evaluation<'_>,
    rel: RelId,
    pattern: &[Option<Value>],
    options: Options,
    depth: usize,
    budget: &Cell<usize>,
) -> WhyNot {
    let program = ev.program();
    let args = texts(ev, pattern);
    let fact = pattern_text(ev, rel, pattern);
    let words = words::absent(program, rel, &args);
    if !ev.select(rel, pattern).is_empty() {
        return WhyNot {
            fact,
            words: words::fact(program, rel, &args),
            status: Status::Holds,
        };
    }
    let derived = program.rules.iter().any(|r| r.head.rel == rel);
    if !derived {
        return WhyNot {
            fact,
            words,
            status: Status::NotRecorded,
        };
    }
    if budget.get() == 0 {
        return WhyNot {
            fact,
            words,
            status: Status::NotFollowed,
        };
    }
    budget.set(budget.get() - 1);
    let mut tries = Vec::new();
    for (ri, closes) in ev.closest(rel, pattern, options.per_rule) {
        let rule = program.rule(ri);
        let head_vars: Vec<u32> = rule
            .head
            .args
            .iter()
            .filter_map(|e| match e {
                Expr::Var(v) => Some(v.0),
                _ => None,
            })
            .collect();
        let candidates = closes
            .iter()
            .map(|c| candidate(ev, rule, c, &head_vars, options, depth, budget))
            .collect();
        tries.push(RuleTry {
            rule: rule.id.clone(),
            candidates,
        });
    }
    WhyNot {
        fact,
        words,
        status: Status::Rules(tries),
    }
}

fn candidate(
    ev: &Evaluation<'_>,
    rule: &Rule,
    close: &Close,
    head_vars: &[u32],
    options: Options,
    depth: usize,
    budget: &Cell<usize>,
) -> Candidate {
    let program = ev.program();
    let interner = ev.interner();
    let chosen = rule
        .vars
        .iter()
        .enumerate()
        .filter(|(i, v)| !v.name.starts_with('$') && !head_vars.contains(&(*i as u32)))
        .filter_map(|(i, v)| close.vars[i].map(|val| (v.name.clone(), display(val, interner))))
        .collect();
    match &close.attempt.failure {
        Failure::Missing { rel, pattern, .. } => {
            let args = texts(ev, pattern);
            let premise = pattern_text(ev, *rel, pattern);
            let derived = program.rules.iter().any(|r| r.head.rel == *rel);
            if derived {
                let nested = (depth > 0)
                    .then(|| Box::new(node(ev, *rel, pattern, options, depth - 1, budget)));
                return Candidate {
                    chosen,
                    premise,
                    relation: program.relation(*rel).name.clone(),
                    input: program.relation(*rel).input,
                    missing: true,
                    reason: words::absent(program, *rel, &args),
                    args,
                    nested,
                };
            }
            Candidate {
                chosen,
                premise,
                relation: program.relation(*rel).name.clone(),
                input: program.relation(*rel).input,
                missing: true,
                reason: near_miss(ev, *rel, pattern)
                    .unwrap_or_else(|| words::absent(program, *rel, &args)),
                args,
                nested: None,
            }
        }
        Failure::Present { rel, values, .. } => {
            let some: Vec<Option<Value>> = values.iter().copied().map(Some).collect();
            let args = texts(ev, &some);
            let fact = words::fact(program, *rel, &args);
            Candidate {
                chosen,
                premise: format!("!{}", pattern_text(ev, *rel, &some)),
                relation: program.relation(*rel).name.clone(),
                input: program.relation(*rel).input,
                missing: false,
                args: args.clone(),
                reason: Texts {
                    en: format!("{}, which rules it out", fact.en),
                    de: format!("{}; das schließt es aus", fact.de),
                },
                nested: None,
            }
        }
        Failure::Compare { literal, text } => {
            let reason = match rule.body.get(*literal) {
                Some(Literal::Cmp(c)) => compare_words(ev, rule, close, c.op, &c.lhs, &c.rhs),
                _ => None,
            }
            .unwrap_or_else(|| Texts {
                en: format!("the condition {text} is not met"),
                de: format!("die Bedingung {text} ist nicht erfüllt"),
            });
            Candidate {
                chosen,
                premise: text.clone(),
                relation: String::new(),
                args: Vec::new(),
                input: false,
                missing: false,
                reason,
                nested: None,
            }
        }
        Failure::Head { position } => Candidate {
            chosen,
            premise: format!("argument {} of the head", position + 1),
            relation: String::new(),
            args: Vec::new(),
            input: false,
            missing: false,
            reason: Texts {
                en: "the rule cannot produce these values".into(),
                de: "die Regel kann diese Werte nicht ergeben".into(),
            },
            nested: None,
        },
    }
}

/// For a missing input fact with several columns fixed: the facts that differ from it in one
/// column only, said as "what is on record, not what was needed" ("consent c1 covers channel
/// email, not phone"). The last column that gives such facts is taken.
fn near_miss(ev: &Evaluation<'_>, rel: RelId, pattern: &[Option<Value>]) -> Option<Texts> {
    // The first column names the thing the fact is about (a consent, a party): what is on
    // record for that thing is told, never what is on record for another.
    pattern.first().copied().flatten()?;
    let bound: Vec<usize> = (1..pattern.len())
        .filter(|&i| pattern[i].is_some())
        .collect();
    let interner = ev.interner();
    for &j in bound.iter().rev() {
        let mut p = pattern.to_vec();
        p[j] = None;
        let rows = ev.select(rel, &p);
        if rows.is_empty() {
            continue;
        }
        let mut found: Vec<String> = rows.iter().map(|r| display(r[j], interner)).collect();
        found.sort();
        found.dedup();
        let wanted = display(pattern[j].expect("bound column"), interner);
        // With one fact on record, its other columns are told as they are.
        let mut args = match rows.as_slice() {
            [row] => row.iter().map(|v| Some(display(*v, interner))).collect(),
            _ => texts(ev, pattern),
        };
        let en_list = list(&found, "and");
        let de_list = list(&found, "und");
        args[j] = Some(en_list);
        let en = words::fact(ev.program(), rel, &args).en;
        args[j] = Some(de_list);
        let de = words::fact(ev.program(), rel, &args).de;
        return Some(Texts {
            en: format!("{en}, not {wanted}"),
            de: format!("{de}, nicht {wanted}"),
        });
    }
    None
}

fn list(items: &[String], and: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
    }
}

/// A failed comparison of two variables (or a variable and a constant) in words: each side
/// named by the column it was read from.
fn compare_words(
    ev: &Evaluation<'_>,
    rule: &Rule,
    close: &Close,
    op: CmpOp,
    lhs: &Expr,
    rhs: &Expr,
) -> Option<Texts> {
    let (l, lv) = side(ev, rule, close, lhs)?;
    let (r, rv) = side(ev, rule, close, rhs)?;
    let dates = matches!(lv, Value::Date(_)) || matches!(rv, Value::Date(_));
    // What holds instead of the comparison.
    let (en, de) = match (op, dates) {
        (CmpOp::Le, true) => ("is after", "liegt nach"),
        (CmpOp::Lt, true) => ("is not before", "liegt nicht vor"),
        (CmpOp::Ge, true) => ("is before", "liegt vor"),
        (CmpOp::Gt, true) => ("is not after", "liegt nicht nach"),
        (CmpOp::Le, false) => ("is more than", "ist größer als"),
        (CmpOp::Lt, false) => ("is not less than", "ist nicht kleiner als"),
        (CmpOp::Ge, false) => ("is less than", "ist kleiner als"),
        (CmpOp::Gt, false) => ("is not more than", "ist nicht größer als"),
        (CmpOp::Eq, _) => ("differs from", "weicht ab von"),
        (CmpOp::Ne, _) => ("is the same as", "ist gleich"),
    };
    let interner = ev.interner();
    let named = |phrase: &Option<Texts>, v: Value, lang: Lang| match phrase {
        Some(p) => format!("{} ({})", p.get(lang), display(v, interner)),
        None => display(v, interner),
    };
    if l.is_none() && r.is_none() {
        return None;
    }
    Some(Texts {
        en: format!(
            "{} {en} {}",
            named(&l, lv, Lang::En),
            named(&r, rv, Lang::En)
        ),
        de: format!(
            "{} {de} {}",
            named(&l, lv, Lang::De),
            named(&r, rv, Lang::De)
        ),
    })
}

/// One side of a comparison: a constant as itself, a variable by the first positive premise
/// and column that bound it.
fn side(
    ev: &Evaluation<'_>,
    rule: &Rule,
    close: &Close,
    e: &Expr,
) -> Option<(Option<Texts>, Value)> {
    let interner = ev.interner();
    match e {
        Expr::Const(c) => Some((None, *c)),
        Expr::Var(v) => {
            let value = close.vars.get(v.0 as usize).copied().flatten()?;
            for lit in &rule.body {
                let Literal::Atom(a) = lit else { continue };
                if a.negated {
                    continue;
                }
                let Some(col) = a
                    .args
                    .iter()
                    .position(|t| matches!(t, Term::Var(x) if x == v))
                else {
                    continue;
                };
                let args: Vec<Option<String>> = a
                    .args
                    .iter()
                    .map(|t| match t {
                        Term::Const(c) => Some(display(*c, interner)),
                        Term::Var(x) => close
                            .vars
                            .get(x.0 as usize)
                            .copied()
                            .flatten()
                            .map(|v| display(v, interner)),
                        Term::Wildcard => None,
                    })
                    .collect();
                return Some((Some(words::column(ev.program(), a.rel, col, &args)), value));
            }
            None
        }
        _ => None,
    }
}

fn texts(ev: &Evaluation<'_>, pattern: &[Option<Value>]) -> Vec<Option<String>> {
    pattern
        .iter()
        .map(|v| v.map(|v| display(v, ev.interner())))
        .collect()
}

fn pattern_text(ev: &Evaluation<'_>, rel: RelId, pattern: &[Option<Value>]) -> String {
    let args: Vec<String> = pattern
        .iter()
        .map(|v| v.map_or_else(|| "_".into(), |v| quote(v, ev.interner())))
        .collect();
    format!("{}({})", ev.program().relation(rel).name, args.join(", "))
}

impl WhyNot {
    /// Every reason in the analysis, depth first: for tests and summaries.
    pub fn reasons(&self, lang: Lang) -> Vec<&str> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(w) = stack.pop() {
            if let Status::Rules(tries) = &w.status {
                for t in tries.iter().rev() {
                    for c in t.candidates.iter().rev() {
                        if let Some(n) = &c.nested {
                            stack.push(n);
                        }
                    }
                }
                for t in tries {
                    for c in &t.candidates {
                        out.push(c.reason.get(lang));
                    }
                }
            }
        }
        out
    }
}

/// The answer to "why does rule R not find against A?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleAnswer {
    /// It does: the ids of its findings about `A`.
    Fires(Vec<String>),
    /// It applies, but an exception set every such finding aside: their ids.
    Suppressed(Vec<String>),
    /// It does not apply: why, for each way the rule is written.
    Not(WhyNot),
}
