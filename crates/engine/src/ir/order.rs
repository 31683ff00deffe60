//! The order in which a rule's body is evaluated, shared by both evaluators: the interpreter
//! plans with statistics of the relations as they are when a stratum starts, the code
//! generator with statistics recorded from a sample run (crepe joins in clause order).
//!
//! The order is greedy. Comparisons, negations and bindings (`X = e`) are placed as soon as
//! their variables are bound. The next positive atom is one connected to what is bound (a
//! bound argument or a constant) whenever there is one, so no cross product is planned where
//! a join exists; among those, the one expected to yield the fewest rows per binding of what
//! is bound so far: its size divided by the number of distinct values of each bound column
//! (constants count as bound), assuming the columns independent. Ties go to the atom with
//! more bound arguments, then to source order. (Relations of a recursive stratum are still
//! growing when it is planned; their sizes at that moment say little, which is one more
//! reason never to start a cross product from one of them.) A given first atom
//! (the semi-naive delta) always comes first.
//!
//! Invariant: the order depends only on the rule and the estimates (no hashing, no
//! iteration over unordered maps), so the same inputs give the same plan and the same code.

use super::{CmpOp, Expr, Literal, RelId, Rule, Term, Var};

/// One step of a rule body, in evaluation order; the `usize` is the literal's position in
/// [`Rule::body`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Read a positive atom (a join, or a lookup when every argument is bound).
    Atom(usize),
    /// A negated atom, every variable bound.
    Negation(usize),
    /// A comparison, every variable bound.
    Filter(usize),
    /// An equality that binds `var` to the other side, whose variables are bound.
    Bind {
        lit: usize,
        var: Var,
        /// The bound expression is the right-hand side (`var = expr`); otherwise the left.
        expr_is_rhs: bool,
    },
}

/// What the planner knows about relation sizes.
pub trait Estimates {
    /// Number of tuples of `rel`.
    fn size(&mut self, rel: RelId) -> f64;
    /// Number of distinct values in column `col` of `rel`.
    fn distinct(&mut self, rel: RelId, col: usize) -> f64;
}

/// No statistics: every relation equally large, every column equally selective. The order
/// is then "most bound arguments first, then source order".
#[derive(Clone, Copy, Debug, Default)]
pub struct Uniform;

impl Estimates for Uniform {
    fn size(&mut self, _: RelId) -> f64 {
        1e6
    }
    fn distinct(&mut self, _: RelId, _: usize) -> f64 {
        1e3
    }
}

/// Recorded statistics: size and per-column distinct counts by relation (see
/// [`crate::eval::Evaluation::stats`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub sizes: Vec<f64>,
    pub distinct: Vec<Vec<f64>>,
}

impl Estimates for Stats {
    fn size(&mut self, rel: RelId) -> f64 {
        self.sizes.get(rel.0 as usize).copied().unwrap_or(0.0)
    }
    fn distinct(&mut self, rel: RelId, col: usize) -> f64 {
        self.distinct
            .get(rel.0 as usize)
            .and_then(|d| d.get(col))
            .copied()
            .unwrap_or(1.0)
    }
}

fn is_nullary(rule: &Rule, lit: usize) -> bool {
    matches!(&rule.body[lit], Literal::Atom(a) if a.args.is_empty())
}

/// Rows expected from reading atom `lit` when `bound` variables are known.
pub fn expected_rows(
    rule: &Rule,
    lit: usize,
    bound: &[bool],
    est: &mut dyn Estimates,
) -> (f64, usize) {
    let Literal::Atom(a) = &rule.body[lit] else {
        return (0.0, 0);
    };
    let size = est.size(a.rel);
    let mut rows = size;
    let mut nbound = 0;
    let mut seen: Vec<Var> = Vec::new();
    for (c, t) in a.args.iter().enumerate() {
        let selective = match t {
            Term::Const(_) => true,
            Term::Var(v) if bound[v.0 as usize] && !seen.contains(v) => {
                seen.push(*v);
                true
            }
            _ => false,
        };
        if selective {
            nbound += 1;
            rows /= est.distinct(a.rel, c).max(1.0);
        }
    }
    // At least one row per probe of a non-empty relation: the independence assumption must
    // not make a many-column lookup look cheaper than a key lookup.
    (rows.max(size.min(1.0)), nbound)
}

/// Orders the body of `rule`; `first` is placed first (the semi-naive delta atom). Errs with
/// the position of a literal whose variables are never bound (the resolver rules that out).
pub fn order_body(
    rule: &Rule,
    first: Option<usize>,
    est: &mut dyn Estimates,
) -> Result<Vec<Step>, usize> {
    let mut bound = vec![false; rule.vars.len()];
    let mut placed = vec![false; rule.body.len()];
    let mut steps = Vec::with_capacity(rule.body.len());
    let mut pending_first = first;
    loop {
        place_ready(rule, &mut bound, &mut placed, &mut steps, pending_first);
        let next = match pending_first.take() {
            Some(i) => Some(i),
            None => {
                let mut best: Option<(usize, f64, usize)> = None;
                for (i, lit) in rule.body.iter().enumerate() {
                    if placed[i] || !matches!(lit, Literal::Atom(a) if !a.negated) {
                        continue;
                    }
                    let (rows, nbound) = expected_rows(rule, i, &bound, est);
                    let connected = nbound > 0 || is_nullary(rule, i);
                    let better = match best {
                        None => true,
                        Some((b, r, n)) => {
                            let b_connected = n > 0 || is_nullary(rule, b);
                            (connected && !b_connected)
                                || (connected == b_connected
                                    && (rows < r || (rows == r && nbound > n)))
                        }
                    };
                    if better {
                        best = Some((i, rows, nbound));
                    }
                }
                best.map(|(i, _, _)| i)
            }
        };
        let Some(i) = next else { break };
        if let Literal::Atom(a) = &rule.body[i] {
            for t in &a.args {
                if let Term::Var(v) = t {
                    bound[v.0 as usize] = true;
                }
            }
        }
        placed[i] = true;
        steps.push(Step::Atom(i));
    }
    match placed.iter().position(|p| !p) {
        Some(i) => Err(i),
        None => Ok(steps),
    }
}

/// Places every comparison, negation and binding whose variables are bound, until none is
/// left ready (a binding can make another literal ready). `skip` is not placed here.
fn place_ready(
    rule: &Rule,
    bound: &mut [bool],
    placed: &mut [bool],
    steps: &mut Vec<Step>,
    skip: Option<usize>,
) {
    let mut progress = true;
    while progress {
        progress = false;
        for (i, lit) in rule.body.iter().enumerate() {
            if placed[i] || Some(i) == skip {
                continue;
            }
            match lit {
                Literal::Atom(a) if a.negated => {
                    let ready = a.args.iter().all(|t| match t {
                        Term::Var(v) => bound[v.0 as usize],
                        _ => true,
                    });
                    if ready {
                        steps.push(Step::Negation(i));
                        placed[i] = true;
                        progress = true;
                    }
                }
                Literal::Cmp(c) => {
                    let lhs_ready = all_bound(&c.lhs, bound);
                    let rhs_ready = all_bound(&c.rhs, bound);
                    if lhs_ready && rhs_ready {
                        steps.push(Step::Filter(i));
                        placed[i] = true;
                        progress = true;
                    } else if c.op == CmpOp::Eq {
                        let bind = match (&c.lhs, &c.rhs) {
                            (Expr::Var(v), _) if !bound[v.0 as usize] && rhs_ready => {
                                Some((*v, true))
                            }
                            (_, Expr::Var(v)) if !bound[v.0 as usize] && lhs_ready => {
                                Some((*v, false))
                            }
                            _ => None,
                        };
                        if let Some((var, expr_is_rhs)) = bind {
                            steps.push(Step::Bind {
                                lit: i,
                                var,
                                expr_is_rhs,
                            });
                            bound[var.0 as usize] = true;
                            placed[i] = true;
                            progress = true;
                        }
                    }
                }
                Literal::Atom(_) => {}
            }
        }
    }
}

fn all_bound(e: &Expr, bound: &[bool]) -> bool {
    match e {
        Expr::Var(v) => bound[v.0 as usize],
        Expr::Const(_) => true,
        Expr::Binary(_, a, b) => all_bound(a, bound) && all_bound(b, bound),
        Expr::Neg(a) => all_bound(a, bound),
        Expr::Call(_, args) => args.iter().all(|a| all_bound(a, bound)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{compile, CompileOptions, SourceMap};

    fn program(text: &str) -> crate::ir::Program {
        let mut sources = SourceMap::new();
        sources.add("t.dl", text);
        let c = compile(&sources, &CompileOptions::default());
        assert!(
            !c.diagnostics.iter().any(|d| d.is_error()),
            "{:?}",
            c.diagnostics
        );
        c.program.expect("compiles")
    }

    /// The relation names of the atom steps, in order.
    fn atoms(p: &crate::ir::Program, steps: &[Step]) -> Vec<String> {
        let rule = &p.rules[0];
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Atom(i) => match &rule.body[*i] {
                    Literal::Atom(a) => Some(p.relation(a.rel).name.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    const FITS: &str = "
        .decl subject(a: symbol, s: symbol)
        .decl consent(c: symbol, s: symbol)
        .decl purpose(c: symbol, p: symbol)
        .decl activity(a: symbol, p: symbol)
        .decl fits(c: symbol, a: symbol)
        fits(C, A) :- purpose(C, P), activity(A, P), subject(A, S), consent(C, S).
    ";

    fn stats(p: &crate::ir::Program, rels: &[(&str, f64, &[f64])]) -> Stats {
        let mut st = Stats {
            sizes: vec![0.0; p.relations.len()],
            distinct: vec![Vec::new(); p.relations.len()],
        };
        for (name, size, distinct) in rels {
            let r = p.relation_by_name(name).expect("declared").0 as usize;
            st.sizes[r] = *size;
            st.distinct[r] = distinct.to_vec();
        }
        st
    }

    #[test]
    fn a_low_cardinality_column_does_not_drive_the_join() {
        let p = program(FITS);
        // 10 purposes for 100k activities: joining activity on the purpose yields 10k rows per
        // consent; going through the consent's subject yields a handful.
        let mut st = stats(
            &p,
            &[
                ("subject", 120_000.0, &[100_000.0, 10_000.0]),
                ("consent", 48_000.0, &[48_000.0, 10_000.0]),
                ("purpose", 48_000.0, &[48_000.0, 10.0]),
                ("activity", 100_000.0, &[100_000.0, 10.0]),
            ],
        );
        let steps = order_body(&p.rules[0], None, &mut st).expect("orders");
        // `purpose` and `consent` are equally large (source order); then `consent` (one row
        // per C) beats `activity` (10k rows per P), `subject` (12 per S) beats `activity`
        // again, which ends as a lookup.
        assert_eq!(
            atoms(&p, &steps),
            ["purpose", "consent", "subject", "activity"]
        );
    }

    #[test]
    fn without_statistics_more_bound_arguments_then_source_order() {
        let p = program(FITS);
        let steps = order_body(&p.rules[0], None, &mut Uniform).expect("orders");
        // Nothing bound: source order picks `purpose`; then `activity` (P bound) and
        // `consent` (C bound) tie on one bound argument, and source order decides.
        assert_eq!(
            atoms(&p, &steps),
            ["purpose", "activity", "subject", "consent"]
        );
    }

    #[test]
    fn an_empty_growing_relation_does_not_start_a_cross_product() {
        // Planned when the recursive stratum starts: `ptr` is still empty, `store` is not.
        let p = program(
            "
            .decl store(s: symbol, a: symbol)
            .decl ptr(v: symbol, o: symbol)
            .decl mem(o1: symbol, o2: symbol)
            mem(O1, O2) :- store(S, A), ptr(S, O2), ptr(A, O1).
            ",
        );
        let mut st = stats(
            &p,
            &[
                ("store", 1_700.0, &[1_500.0, 1_200.0]),
                ("ptr", 0.0, &[0.0, 0.0]),
            ],
        );
        // Delta `ptr(S, O2)` first; then `store` (joined on S), not the other `ptr`, which
        // looks empty but shares no variable yet.
        let steps = order_body(&p.rules[0], Some(1), &mut st).expect("orders");
        let rule = &p.rules[0];
        let positions: Vec<usize> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Atom(i) => Some(*i),
                _ => None,
            })
            .collect();
        assert_eq!(positions, [1, 0, 2], "{:?}", rule.body.len());
    }

    #[test]
    fn the_delta_atom_comes_first_and_checks_follow_their_bindings() {
        let p = program(
            "
            .decl e(x: number, y: number)
            .decl blocked(x: number)
            .decl p(x: number, y: number)
            p(X, Z) :- e(X, Y), p(Y, Z), !blocked(Z), Z > X, W = X + 1, W != 3.
            ",
        );
        let rule = &p.rules[0];
        let steps = order_body(rule, Some(1), &mut Uniform).expect("orders");
        assert_eq!(steps[0], Step::Atom(1));
        assert_eq!(steps[1], Step::Negation(2));
        assert_eq!(steps[2], Step::Atom(0));
        // After e(X, Y): the comparison, the binding of W, then the check on W.
        assert_eq!(steps[3], Step::Filter(3));
        assert!(matches!(
            steps[4],
            Step::Bind {
                lit: 4,
                expr_is_rhs: true,
                ..
            }
        ));
        assert_eq!(steps[5], Step::Filter(5));
        assert_eq!(steps.len(), rule.body.len());
    }
}
