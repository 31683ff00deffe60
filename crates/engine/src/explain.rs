//! Derivation trees and why-not explanations, rebuilt from the provenance an evaluation
//! recorded (for each tuple: the rule that first derived it and the round it did so in).
//!
//! A tree's premises always come from earlier rounds than their conclusion, so trees are
//! acyclic. A tuple's height is 0 for an input fact, else one more than its highest premise
//! in the instance of its recorded rule, over premises of earlier rounds, whose highest
//! premise is lowest; that instance is the tree's. So every subtree is of minimal height among
//! the derivations by the rules recorded. Heights are computed when an explanation first
//! needs them (evaluation records none, so provenance costs no work on a tuple derived again)
//! and kept in the evaluation.
//!
//! Invariant: provenance is data. Text and DOT rendering here, JSON in the application, and
//! the REPL all render these structures.
//!
//! Invariant: no recursion over a tree's depth. A chain of derivations is as long as the
//! evaluation had rounds (a hundred thousand steps are easy to write), so building, cloning,
//! comparing, rendering and dropping a [`Tree`] all walk it with a stack of their own on the
//! heap, and the text rendering indents at most [`INDENT_LEVELS`] levels before it starts
//! again (see [`render_tree`]), so its output stays linear in the size of the tree.

use std::fmt::Write as _;

use crate::eval::plan::{compare, eval_cexpr, expr_type};
use crate::eval::Evaluation;
use crate::ir::{Expr, Literal, Program, RelId, Rule, RuleIdx, Term};
use crate::value::{display, Interner, Value};

/// Why a tuple holds. `Clone`, `PartialEq` and `Drop` work with a stack of their own, not by
/// recursion (see the module's documentation); `Debug` is derived and recursive, for small
/// trees in tests only.
#[derive(Debug)]
pub struct Tree {
    pub rel: RelId,
    pub values: Vec<Value>,
    pub node: Node,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// An input fact (from the program text, a facts file or the model).
    Input,
    /// Derived by `rule` with these variable bindings.
    Rule {
        rule: RuleIdx,
        bindings: Vec<(String, Value)>,
        premises: Vec<Premise>,
    },
}

/// One body literal of the rule instance, in the rule's source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Premise {
    Holds(Tree),
    /// A negated premise: no fact matches (`None` = any value).
    Absent {
        rel: RelId,
        pattern: Vec<Option<Value>>,
    },
    /// A comparison that held, as text with the values filled in.
    Compare {
        text: String,
    },
}

/// A candidate [`Evaluation::closest`] found: where it failed, and the value of every variable
/// of the rule (generated ones too) it had bound then, by variable index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Close {
    pub attempt: Attempt,
    pub vars: Vec<Option<Value>>,
}

/// Why a tuple does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhyNot {
    pub rel: RelId,
    pub values: Vec<Value>,
    pub status: WhyNotStatus,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WhyNotStatus {
    /// It does hold after all.
    Holds,
    /// No rule has this relation in its head (an input relation without this fact).
    NotAFact,
    /// Every rule that could derive it, and where each fails.
    Rules(Vec<Attempt>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub rule: RuleIdx,
    /// The variables bound when the rule failed (`None`: still unbound).
    pub bindings: Vec<(String, Option<Value>)>,
    pub failure: Failure,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The head cannot produce these values (a constant or computed argument differs).
    Head { position: usize },
    /// No fact matches body literal `literal` (0-based, source order).
    Missing {
        literal: usize,
        rel: RelId,
        pattern: Vec<Option<Value>>,
        nested: Option<Box<WhyNot>>,
    },
    /// A negated premise is contradicted by a fact that holds.
    Present {
        literal: usize,
        rel: RelId,
        values: Vec<Value>,
    },
    /// A comparison or computation is false for every binding tried.
    Compare { literal: usize, text: String },
}

impl Drop for Tree {
    /// Takes the subtrees out before the node is dropped, so that dropping a long chain does
    /// not recurse once per step.
    fn drop(&mut self) {
        let mut stack = Vec::new();
        take_subtrees(&mut self.node, &mut stack);
        while let Some(mut t) = stack.pop() {
            take_subtrees(&mut t.node, &mut stack);
            // `t` is dropped here, holding no subtree any more.
        }
    }
}

fn take_subtrees(node: &mut Node, out: &mut Vec<Tree>) {
    if let Node::Rule { premises, .. } = node {
        if premises.iter().any(|p| matches!(p, Premise::Holds(_))) {
            for p in std::mem::take(premises) {
                if let Premise::Holds(t) = p {
                    out.push(t);
                }
            }
        }
    }
}

impl Clone for Tree {
    fn clone(&self) -> Tree {
        struct Frame<'t> {
            src: &'t Tree,
            next: usize,
            built: Vec<Premise>,
        }
        let mut stack = vec![Frame {
            src: self,
            next: 0,
            built: Vec::new(),
        }];
        loop {
            let top = stack
                .last_mut()
                .expect("the stack holds the tree being copied");
            if let Node::Rule { premises, .. } = &top.src.node {
                if let Some(p) = premises.get(top.next) {
                    top.next += 1;
                    match p {
                        Premise::Holds(t) => stack.push(Frame {
                            src: t,
                            next: 0,
                            built: Vec::new(),
                        }),
                        other => top.built.push(other.clone()),
                    }
                    continue;
                }
            }
            let f = stack.pop().expect("the stack holds the tree being copied");
            let node = match &f.src.node {
                Node::Input => Node::Input,
                Node::Rule { rule, bindings, .. } => Node::Rule {
                    rule: *rule,
                    bindings: bindings.clone(),
                    premises: f.built,
                },
            };
            let t = Tree {
                rel: f.src.rel,
                values: f.src.values.clone(),
                node,
            };
            match stack.last_mut() {
                Some(parent) => parent.built.push(Premise::Holds(t)),
                None => return t,
            }
        }
    }
}

impl PartialEq for Tree {
    fn eq(&self, other: &Tree) -> bool {
        let mut stack = vec![(self, other)];
        while let Some((a, b)) = stack.pop() {
            if a.rel != b.rel || a.values != b.values {
                return false;
            }
            match (&a.node, &b.node) {
                (Node::Input, Node::Input) => {}
                (
                    Node::Rule {
                        rule: r1,
                        bindings: b1,
                        premises: p1,
                    },
                    Node::Rule {
                        rule: r2,
                        bindings: b2,
                        premises: p2,
                    },
                ) => {
                    if r1 != r2 || b1 != b2 || p1.len() != p2.len() {
                        return false;
                    }
                    for (x, y) in p1.iter().zip(p2) {
                        match (x, y) {
                            (Premise::Holds(s), Premise::Holds(t)) => stack.push((s, t)),
                            (Premise::Holds(_), _) | (_, Premise::Holds(_)) => return false,
                            _ if x != y => return false,
                            _ => {}
                        }
                    }
                }
                _ => return false,
            }
        }
        true
    }
}

impl Eq for Tree {}

impl Tree {
    /// Every node of the tree with its depth (the root's is 0), root first, each node's
    /// premises in order: the order in which a renderer writes them, without recursion.
    pub fn walk(&self) -> Vec<(usize, &Tree)> {
        let mut out = Vec::new();
        let mut stack = vec![(0, self)];
        while let Some((d, t)) = stack.pop() {
            out.push((d, t));
            if let Node::Rule { premises, .. } = &t.node {
                for p in premises.iter().rev() {
                    if let Premise::Holds(s) = p {
                        stack.push((d + 1, s));
                    }
                }
            }
        }
        out
    }
}

/// Errors of explanation requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExplainError {
    /// The evaluation did not record provenance.
    NoProvenance,
    /// The tuple does not hold (ask `why_not`).
    NotDerived,
}

/// A premise of a node being built: a tuple whose tree is still to be built, or one that is
/// complete.
enum Spec {
    Holds(RelId, usize),
    Other(Premise),
}

/// The deepest a why-not explanation goes: it is built, rendered and dropped by recursion over
/// its levels, so the levels are bounded here, whatever a caller asks for.
pub const MAX_WHY_NOT_DEPTH: usize = 64;

/// How many places where a candidate stopped [`Evaluation::closest`] keeps per rule.
const MAX_ENDS: usize = 4096;

/// The most rows a lookup in an index on some of the bound columns may give for an
/// explanation to filter them rather than make an index on all of them.
const SUBSET_ROWS: usize = 32;

/// How many candidate bindings a search may try before settling for the best so far.
const BUDGET: usize = 200_000;

impl Evaluation<'_> {
    /// The derivation tree of a tuple that holds.
    pub fn explain(&self, rel: RelId, values: &[Value]) -> Result<Tree, ExplainError> {
        if !self.has_provenance() {
            return Err(ExplainError::NoProvenance);
        }
        let row = self.row_of(rel, values).ok_or(ExplainError::NotDerived)?;
        Ok(self.tree(rel, row))
    }

    /// The bindings of the first node of the derivation of a tuple that holds whose rule is
    /// `wanted` and binds a named variable, the nodes taken in the order of
    /// [`Evaluation::explain`]'s tree (depth first, premises in order) without going below a
    /// node of a wanted rule; empty when there is none. The same as searching the tree, but
    /// only the nodes on the way are built (collecting findings needs the bindings of the
    /// annotated rule, not the whole derivation).
    pub fn first_bindings(
        &self,
        rel: RelId,
        values: &[Value],
        wanted: impl Fn(RuleIdx) -> bool,
    ) -> Result<Vec<(String, Value)>, ExplainError> {
        if !self.has_provenance() {
            return Err(ExplainError::NoProvenance);
        }
        let row = self.row_of(rel, values).ok_or(ExplainError::NotDerived)?;
        let mut next = Some((rel, row));
        let mut stack: Vec<std::vec::IntoIter<Spec>> = Vec::new();
        loop {
            if let Some((rel, row)) = next.take() {
                if let (_, Some((rule, bindings)), specs) = self.node_parts(rel, row) {
                    if !wanted(rule) {
                        stack.push(specs.into_iter());
                    } else if !bindings.is_empty() {
                        return Ok(bindings);
                    }
                }
            }
            let Some(top) = stack.last_mut() else {
                return Ok(Vec::new());
            };
            match top.next() {
                Some(Spec::Holds(rel, row)) => next = Some((rel, row)),
                Some(Spec::Other(_)) => {}
                None => {
                    stack.pop();
                }
            }
        }
    }

    /// The tree of `row` of `rel`, built with a stack of frames instead of recursion (a chain
    /// of derivations can be as long as the evaluation had rounds).
    fn tree(&self, rel: RelId, row: usize) -> Tree {
        struct Frame {
            rel: RelId,
            values: Vec<Value>,
            rule: Option<(RuleIdx, Vec<(String, Value)>)>,
            specs: std::vec::IntoIter<Spec>,
            premises: Vec<Premise>,
        }
        let frame = |ev: &Self, rel: RelId, row: usize| {
            let (values, rule, specs) = ev.node_parts(rel, row);
            Frame {
                rel,
                values,
                rule,
                premises: Vec::with_capacity(specs.len()),
                specs: specs.into_iter(),
            }
        };
        let mut stack = vec![frame(self, rel, row)];
        loop {
            let top = stack
                .last_mut()
                .expect("the stack holds the tree being built");
            match top.specs.next() {
                Some(Spec::Holds(rel, row)) => {
                    let f = frame(self, rel, row);
                    stack.push(f);
                }
                Some(Spec::Other(p)) => top.premises.push(p),
                None => {
                    let f = stack.pop().expect("the stack holds the tree being built");
                    let node = match f.rule {
                        None => Node::Input,
                        Some((rule, bindings)) => Node::Rule {
                            rule,
                            bindings,
                            premises: f.premises,
                        },
                    };
                    let t = Tree {
                        rel: f.rel,
                        values: f.values,
                        node,
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.premises.push(Premise::Holds(t)),
                        None => return t,
                    }
                }
            }
        }
    }

    /// One node of a tree: its values, its rule with the bindings (`None` for an input fact),
    /// and its premises, those that hold still to be built from their rows.
    #[allow(clippy::type_complexity)]
    fn node_parts(
        &self,
        rel: RelId,
        row: usize,
    ) -> (
        Vec<Value>,
        Option<(RuleIdx, Vec<(String, Value)>)>,
        Vec<Spec>,
    ) {
        let values = self.values(rel, row);
        let (rule, round) = self.prov_of(rel, row).unwrap_or((None, 0));
        let Some(rule) = rule else {
            return (values, None, Vec::new());
        };
        let r = self.program.rule(rule);
        let mut m = Matcher::new(self, r, round);
        let found = m.bind_head(&values) && {
            m.search(0);
            m.best.is_some()
        };
        if !found {
            // Cannot happen for a tuple this rule derived; show the rule without premises
            // rather than failing.
            return (values, Some((rule, Vec::new())), Vec::new());
        }
        let (regs, rows) = m.best.take().expect("checked above");
        let mut specs = Vec::new();
        let mut prem = 0;
        for lit in &r.body {
            match lit {
                Literal::Atom(a) if !a.negated => {
                    specs.push(Spec::Holds(a.rel, rows[prem]));
                    prem += 1;
                }
                Literal::Atom(a) => specs.push(Spec::Other(Premise::Absent {
                    rel: a.rel,
                    pattern: a
                        .args
                        .iter()
                        .map(|t| match t {
                            Term::Const(c) => Some(*c),
                            Term::Var(v) => Some(Value::from_word(
                                r.vars[v.0 as usize].ty,
                                regs[v.0 as usize],
                            )),
                            Term::Wildcard => None,
                        })
                        .collect(),
                })),
                Literal::Cmp(c) => {
                    let text = format!(
                        "{} {} {}",
                        expr_text(&c.lhs, r, &regs, &self.interner),
                        c.op.symbol(),
                        expr_text(&c.rhs, r, &regs, &self.interner)
                    );
                    specs.push(Spec::Other(Premise::Compare { text }));
                }
            }
        }
        let bindings = r
            .vars
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.name.starts_with('$'))
            .map(|(i, v)| (v.name.clone(), Value::from_word(v.ty, regs[i])))
            .collect();
        (values, Some((rule, bindings)), specs)
    }

    /// The height of the tree [`Evaluation::explain`] gives for `row` of `rel` (see the
    /// module's documentation). Computed from the premises up with a stack of its own, not by
    /// recursion (a chain of derivations can be as long as the evaluation had rounds), and
    /// kept for the next explanation.
    pub(crate) fn height(&self, rel: RelId, row: usize) -> u32 {
        if let Some(h) = self.known_height(rel, row) {
            return h;
        }
        let mut stack = vec![(rel, row)];
        while let Some(&(rel, row)) = stack.last() {
            if self.known_height(rel, row).is_some() {
                stack.pop();
                continue;
            }
            let Some((Some(rule), round)) = self.prov_of(rel, row) else {
                // An input fact or no provenance: `known_height` knows those (never here).
                stack.pop();
                continue;
            };
            let r = self.program.rule(rule);
            let mut m = Matcher::new(self, r, round);
            m.missing = Some(Vec::new());
            let found = m.bind_head(&self.values(rel, row)) && {
                m.search(0);
                m.best.is_some()
            };
            let missing = m.missing.take().unwrap_or_default();
            if missing.is_empty() {
                // Not found cannot happen for a tuple this rule derived (see `tree`).
                let h = if found { m.best_height + 1 } else { 1 };
                self.set_height(rel, row, h);
                stack.pop();
            } else {
                // Premises whose height is not known yet: theirs first, then this one again.
                stack.extend(missing);
            }
        }
        self.known_height(rel, row).unwrap_or(0)
    }

    /// The height of `row` of `rel` if known without a search: 0 for input facts (and
    /// without provenance), else the height computed before.
    fn known_height(&self, rel: RelId, row: usize) -> Option<u32> {
        match self.prov_of(rel, row) {
            None | Some((None, _)) => Some(0),
            Some((Some(_), _)) => self.heights.borrow().get(&(rel.0, row as u32)).copied(),
        }
    }

    fn set_height(&self, rel: RelId, row: usize, h: u32) {
        self.heights.borrow_mut().insert((rel.0, row as u32), h);
    }

    /// Why a tuple does not hold: every rule that could derive it and the first premise that
    /// fails, explained again down to `depth` levels (at most [`MAX_WHY_NOT_DEPTH`]).
    pub fn why_not(&self, rel: RelId, values: &[Value], depth: usize) -> WhyNot {
        let depth = depth.min(MAX_WHY_NOT_DEPTH);
        let values = values.to_vec();
        if self.row_of(rel, &values).is_some() {
            return WhyNot {
                rel,
                values,
                status: WhyNotStatus::Holds,
            };
        }
        let rules: Vec<RuleIdx> = (0..self.program.rules.len())
            .map(|i| RuleIdx(i as u32))
            .filter(|&i| self.program.rule(i).head.rel == rel)
            .collect();
        if rules.is_empty() {
            return WhyNot {
                rel,
                values,
                status: WhyNotStatus::NotAFact,
            };
        }
        let attempts = rules
            .into_iter()
            .map(|ri| self.attempt(ri, &values, depth))
            .collect();
        WhyNot {
            rel,
            values,
            status: WhyNotStatus::Rules(attempts),
        }
    }

    /// The candidates that came closest to deriving a fact matching `pattern` (`None`: any
    /// value), for each rule whose head can produce it: per rule at most `per_rule`
    /// candidates, those that got furthest through the body first (then in the order the
    /// search met them), each with its bindings and the first premise it fails. A rule whose
    /// head cannot produce the pattern is left out. Missing premises are not followed into
    /// their own rules (`nested` is `None`): a caller that wants to goes on with their
    /// patterns, to the depth it chooses. Deterministic: rows are tried in store order.
    pub fn closest(
        &self,
        rel: RelId,
        pattern: &[Option<Value>],
        per_rule: usize,
    ) -> Vec<(RuleIdx, Vec<Close>)> {
        let mut out = Vec::new();
        for i in 0..self.program.rules.len() {
            let ri = RuleIdx(i as u32);
            let r = self.program.rule(ri);
            if r.head.rel != rel {
                continue;
            }
            let mut m = Matcher::new(self, r, u32::MAX);
            if !m.bind_head_pattern(pattern) {
                continue;
            }
            m.ends = Some(Vec::new());
            m.probe(0);
            let mut ends = m.ends.take().unwrap_or_default();
            // Furthest first; a stable sort keeps the search order among equals.
            ends.sort_by_key(|e| std::cmp::Reverse(e.0));
            let mut attempts: Vec<Close> = Vec::new();
            for (_, lit, regs, bound) in ends {
                if attempts.len() >= per_rule {
                    break;
                }
                m.regs = regs;
                m.bound = bound;
                let attempt = Attempt {
                    rule: ri,
                    bindings: m.bindings(),
                    failure: self.failure_at(&m, lit, 0),
                };
                if attempts.iter().any(|c| c.attempt == attempt) {
                    continue;
                }
                let vars = r
                    .vars
                    .iter()
                    .enumerate()
                    .map(|(i, v)| m.bound[i].then(|| Value::from_word(v.ty, m.regs[i])))
                    .collect();
                attempts.push(Close { attempt, vars });
            }
            out.push((ri, attempts));
        }
        out
    }

    /// Why literal `lit` of the matcher's rule fails under its current bindings; a missing
    /// premise is explained again down to `depth` levels.
    fn failure_at(&self, m: &Matcher<'_, '_>, lit: usize, depth: usize) -> Failure {
        let r = m.rule;
        match &r.body.get(lit) {
            Some(Literal::Atom(a)) if !a.negated => {
                let pattern = m.pattern(&a.args);
                let nested = (depth > 0 && pattern.iter().all(Option::is_some)).then(|| {
                    let vals: Vec<Value> = pattern.iter().map(|v| v.expect("all bound")).collect();
                    Box::new(self.why_not(a.rel, &vals, depth - 1))
                });
                Failure::Missing {
                    literal: lit,
                    rel: a.rel,
                    pattern,
                    nested,
                }
            }
            Some(Literal::Atom(a)) => {
                let pattern = m.pattern(&a.args);
                let values = self
                    .select(a.rel, &pattern)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                Failure::Present {
                    literal: lit,
                    rel: a.rel,
                    values,
                }
            }
            Some(Literal::Cmp(c)) => Failure::Compare {
                literal: lit,
                text: format!(
                    "{} {} {}",
                    expr_text(&c.lhs, r, &m.regs, &self.interner),
                    c.op.symbol(),
                    expr_text(&c.rhs, r, &m.regs, &self.interner)
                ),
            },
            None => Failure::Compare {
                literal: lit,
                text: "the head cannot be computed".into(),
            },
        }
    }

    fn attempt(&self, ri: RuleIdx, values: &[Value], depth: usize) -> Attempt {
        let r = self.program.rule(ri);
        let mut m = Matcher::new(self, r, u32::MAX);
        if let Some(position) = m.head_mismatch(values) {
            return Attempt {
                rule: ri,
                bindings: m.bindings(),
                failure: Failure::Head { position },
            };
        }
        m.probe(0);
        let (lit, regs, bound) = m
            .furthest
            .clone()
            .unwrap_or((0, m.regs.clone(), m.bound.clone()));
        m.regs = regs;
        m.bound = bound;
        let failure = self.failure_at(&m, lit, depth);
        Attempt {
            rule: ri,
            bindings: m.bindings(),
            failure,
        }
    }
}

/// Backtracking search over one rule's body for instances with given head values.
struct Matcher<'e, 'p> {
    ev: &'e Evaluation<'p>,
    rule: &'p Rule,
    /// Premises must come from rounds before this one.
    limit: u32,
    /// While heights are being computed ([`Evaluation::height`]): the premises met whose
    /// height is not known yet (taken as 0 meanwhile). Otherwise unknown heights are computed
    /// on the spot.
    missing: Option<Vec<(RelId, usize)>>,
    regs: Vec<u64>,
    bound: Vec<bool>,
    rows: Vec<usize>,
    /// Head arguments that are computed, to check once everything is bound.
    deferred: Vec<(usize, u64)>,
    best: Option<(Vec<u64>, Vec<usize>)>,
    best_height: u32,
    steps: usize,
    /// For why-not: the furthest literal reached, with the bindings then.
    furthest: Option<(usize, Vec<u64>, Vec<bool>)>,
    /// For [`Evaluation::closest`]: every place the probe stopped, as (literals passed,
    /// the literal that failed, registers, bound flags).
    #[allow(clippy::type_complexity)]
    ends: Option<Vec<(usize, usize, Vec<u64>, Vec<bool>)>>,
    /// A private copy of the interner, made only when an expression calls a function that
    /// may intern a new symbol (copying it for every node of a tree would dominate).
    scratch: Option<Interner>,
}

impl<'e, 'p> Matcher<'e, 'p> {
    fn new(ev: &'e Evaluation<'p>, rule: &'p Rule, limit: u32) -> Self {
        Matcher {
            ev,
            rule,
            limit,
            missing: None,
            regs: vec![0; rule.vars.len()],
            bound: vec![false; rule.vars.len()],
            rows: Vec::new(),
            deferred: Vec::new(),
            best: None,
            best_height: u32::MAX,
            steps: 0,
            furthest: None,
            ends: None,
            scratch: None,
        }
    }

    fn bind_head(&mut self, values: &[Value]) -> bool {
        self.head_mismatch(values).is_none()
    }

    /// Binds the head variables a pattern gives (`None`: any value); false if a constant or a
    /// repeated variable of the head cannot match.
    fn bind_head_pattern(&mut self, pattern: &[Option<Value>]) -> bool {
        for (e, v) in self.rule.head.args.iter().zip(pattern) {
            let Some(v) = v else { continue };
            match e {
                Expr::Var(x) if !self.bound[x.0 as usize] => {
                    self.regs[x.0 as usize] = v.word();
                    self.bound[x.0 as usize] = true;
                }
                Expr::Var(x) if self.regs[x.0 as usize] != v.word() => return false,
                Expr::Var(_) => {}
                Expr::Const(c) if c != v => return false,
                Expr::Const(_) => {}
                _ => {}
            }
        }
        true
    }

    /// Binds head variables; returns the first position that cannot match.
    fn head_mismatch(&mut self, values: &[Value]) -> Option<usize> {
        for (i, (e, v)) in self.rule.head.args.iter().zip(values).enumerate() {
            match e {
                Expr::Var(x) if !self.bound[x.0 as usize] => {
                    self.regs[x.0 as usize] = v.word();
                    self.bound[x.0 as usize] = true;
                }
                Expr::Var(x) if self.regs[x.0 as usize] != v.word() => return Some(i),
                Expr::Var(_) => {}
                Expr::Const(c) if c != v => return Some(i),
                Expr::Const(_) => {}
                _ => self.deferred.push((i, v.word())),
            }
        }
        None
    }

    fn bindings(&self) -> Vec<(String, Option<Value>)> {
        self.rule
            .vars
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.name.starts_with('$'))
            .map(|(i, v)| {
                (
                    v.name.clone(),
                    self.bound[i].then(|| Value::from_word(v.ty, self.regs[i])),
                )
            })
            .collect()
    }

    fn pattern(&self, args: &[Term]) -> Vec<Option<Value>> {
        args.iter()
            .map(|t| match t {
                Term::Const(c) => Some(*c),
                Term::Var(v) if self.bound[v.0 as usize] => Some(Value::from_word(
                    self.rule.vars[v.0 as usize].ty,
                    self.regs[v.0 as usize],
                )),
                _ => None,
            })
            .collect()
    }

    /// Candidate rows of a positive atom under the current bindings.
    fn candidates(&self, rel: RelId, args: &[Term]) -> Vec<usize> {
        let store = self.ev.store(rel);
        let pat: Vec<Option<u64>> = args
            .iter()
            .map(|t| match t {
                Term::Const(c) => Some(c.word()),
                Term::Var(v) if self.bound[v.0 as usize] => Some(self.regs[v.0 as usize]),
                _ => None,
            })
            .collect();
        if !pat.is_empty() && pat.iter().all(Option::is_some) {
            return store
                .find_with(|i| pat[i].expect("all bound"))
                .map(|r| vec![r as usize])
                .unwrap_or_default();
        }
        let matches = |r: usize| {
            pat.iter()
                .enumerate()
                .all(|(c, p)| p.is_none_or(|w| store.get(r, c) == w))
        };
        let bound: Vec<usize> = (0..pat.len()).filter(|&c| pat[c].is_some()).collect();
        if bound.is_empty() {
            return (0..store.len()).filter(|&r| matches(r)).collect();
        }
        let key: Vec<u64> = bound
            .iter()
            .map(|&c| pat[c].expect("bound column"))
            .collect();
        // The evaluation's index on exactly the bound columns, else one made for explanations
        // (kept for the next lookup): never a scan, which over many findings would be
        // quadratic in the size of the model.
        if let Some(ix) = self.ev.indexes(rel).iter().find(|ix| ix.cols == bound) {
            return ix
                .lookup(store, &key)
                .iter()
                .map(|&r| r as usize)
                .filter(|&r| matches(r))
                .collect();
        }
        // An index of the evaluation on some of the bound columns (the most), when the key's
        // rows are few: the same rows, filtered, without an index made for the purpose (at a
        // million activities those took a tenth of the memory).
        if let Some(ix) = self
            .ev
            .indexes(rel)
            .iter()
            .filter(|ix| !ix.cols.is_empty() && ix.cols.iter().all(|c| bound.contains(c)))
            .max_by_key(|ix| ix.cols.len())
        {
            let sub: Vec<u64> = ix
                .cols
                .iter()
                .map(|&c| pat[c].expect("bound column"))
                .collect();
            let rows = ix.lookup(store, &sub);
            if rows.len() <= SUBSET_ROWS {
                return rows
                    .iter()
                    .map(|&r| r as usize)
                    .filter(|&r| matches(r))
                    .collect();
            }
        }
        let mut extra = self.ev.explain_indexes.borrow_mut();
        let list = &mut extra[rel.0 as usize];
        let i = store.ensure_index(list, &bound);
        list[i]
            .lookup(store, &key)
            .iter()
            .map(|&r| r as usize)
            .filter(|&r| matches(r))
            .collect()
    }

    /// Binds the variables of a row; false if a repeated variable disagrees.
    fn bind_row(&mut self, rel: RelId, args: &[Term], row: usize) -> Option<Vec<usize>> {
        let store = self.ev.store(rel);
        let mut newly = Vec::new();
        for (c, t) in args.iter().enumerate() {
            if let Term::Var(v) = t {
                let w = store.get(row, c);
                if self.bound[v.0 as usize] {
                    if self.regs[v.0 as usize] != w {
                        for &n in &newly {
                            self.bound[n] = false;
                        }
                        return None;
                    }
                } else {
                    self.regs[v.0 as usize] = w;
                    self.bound[v.0 as usize] = true;
                    newly.push(v.0 as usize);
                }
            }
        }
        Some(newly)
    }

    fn ready(&self, e: &Expr) -> bool {
        crate::eval::plan::expr_vars(e)
            .iter()
            .all(|v| self.bound[v.0 as usize])
    }

    fn eval(&mut self, e: &Expr) -> Option<u64> {
        let c = crate::eval::plan::cexpr_of(e, self.rule);
        if !has_call(e) {
            // Arithmetic over bound words never touches the interner.
            return eval_cexpr(&c, &self.regs, &mut Interner::new());
        }
        let interner = self.scratch.get_or_insert_with(|| self.ev.interner.clone());
        eval_cexpr(&c, &self.regs, interner)
    }

    /// Processes body literals in an order that respects bindings: the first literal (in
    /// source order) that is ready, where a positive atom is ready when it shares a bound
    /// variable or a constant with what is bound (so a lookup, not a scan of the relation,
    /// finds its rows); only when no literal is ready, the first positive atom.
    fn order(&self) -> Vec<usize> {
        let n = self.rule.body.len();
        let mut bound = self.bound.clone();
        let mut done = vec![false; n];
        let mut out = Vec::new();
        while out.len() < n {
            let mut pick = None;
            for (i, lit) in self.rule.body.iter().enumerate() {
                if done[i] {
                    continue;
                }
                let ok = match lit {
                    Literal::Atom(a) if !a.negated => {
                        a.args.is_empty()
                            || a.args.iter().any(|t| match t {
                                Term::Const(_) => true,
                                Term::Var(v) => bound[v.0 as usize],
                                Term::Wildcard => false,
                            })
                    }
                    Literal::Atom(a) => a
                        .args
                        .iter()
                        .all(|t| !matches!(t, Term::Var(v) if !bound[v.0 as usize])),
                    Literal::Cmp(c) => {
                        let l = crate::eval::plan::expr_vars(&c.lhs)
                            .iter()
                            .all(|v| bound[v.0 as usize]);
                        let r = crate::eval::plan::expr_vars(&c.rhs)
                            .iter()
                            .all(|v| bound[v.0 as usize]);
                        (l && r)
                            || (c.op == crate::ir::CmpOp::Eq
                                && (matches!(c.lhs, Expr::Var(_)) && r
                                    || matches!(c.rhs, Expr::Var(_)) && l))
                    }
                };
                if ok {
                    pick = Some(i);
                    break;
                }
            }
            let pick = pick.or_else(|| {
                (0..n).find(|&i| {
                    !done[i] && matches!(&self.rule.body[i], Literal::Atom(a) if !a.negated)
                })
            });
            let Some(i) = pick else {
                // Only unready literals left (cannot happen for a safe rule); keep order.
                out.extend((0..n).filter(|&i| !done[i]));
                break;
            };
            done[i] = true;
            match &self.rule.body[i] {
                Literal::Atom(a) if !a.negated => {
                    for t in &a.args {
                        if let Term::Var(v) = t {
                            bound[v.0 as usize] = true;
                        }
                    }
                }
                Literal::Cmp(c) => {
                    for v in crate::eval::plan::expr_vars(&c.lhs)
                        .into_iter()
                        .chain(crate::eval::plan::expr_vars(&c.rhs))
                    {
                        bound[v.0 as usize] = true;
                    }
                }
                _ => {}
            }
            out.push(i);
        }
        out
    }

    /// Derivation search: all literals must hold, premises below `limit`.
    fn search(&mut self, k: usize) {
        let order = self.order();
        self.rows = vec![0; self.rule.body.len()];
        self.search_in(&order, k, 0);
    }

    fn search_in(&mut self, order: &[usize], k: usize, max_h: u32) {
        self.steps += 1;
        if self.steps > BUDGET || self.best_height == 0 {
            return;
        }
        let Some(&i) = order.get(k) else {
            for &(pos, w) in &self.deferred.clone() {
                let e = &self.rule.head.args[pos];
                if self.eval(e) != Some(w) {
                    return;
                }
            }
            if max_h < self.best_height {
                // Premise rows in positive-atom order.
                let rows = self
                    .rule
                    .body
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| matches!(l, Literal::Atom(a) if !a.negated))
                    .map(|(j, _)| self.rows[j])
                    .collect();
                self.best = Some((self.regs.clone(), rows));
                self.best_height = max_h;
            }
            return;
        };
        match &self.rule.body[i] {
            Literal::Atom(a) if !a.negated => {
                for row in self.candidates(a.rel, &a.args) {
                    let round = self.ev.prov_of(a.rel, row).map_or(0, |(_, round)| round);
                    if round >= self.limit {
                        continue;
                    }
                    let h = match (self.ev.known_height(a.rel, row), &mut self.missing) {
                        (Some(h), _) => h,
                        (None, Some(missing)) => {
                            missing.push((a.rel, row));
                            0
                        }
                        (None, None) => self.ev.height(a.rel, row),
                    };
                    if h.max(max_h) >= self.best_height {
                        continue;
                    }
                    if let Some(newly) = self.bind_row(a.rel, &a.args, row) {
                        self.rows[i] = row;
                        self.search_in(order, k + 1, h.max(max_h));
                        for n in newly {
                            self.bound[n] = false;
                        }
                    }
                }
            }
            Literal::Atom(a) => {
                if self.candidates(a.rel, &a.args).is_empty() {
                    self.search_in(order, k + 1, max_h);
                }
            }
            Literal::Cmp(c) => {
                if let Some(v) = self.binds(c) {
                    let Some(w) = self.eval(if matches!(c.lhs, Expr::Var(x) if x == v) {
                        &c.rhs
                    } else {
                        &c.lhs
                    }) else {
                        return;
                    };
                    self.regs[v.0 as usize] = w;
                    self.bound[v.0 as usize] = true;
                    self.search_in(order, k + 1, max_h);
                    self.bound[v.0 as usize] = false;
                } else if self.cmp_holds(c) {
                    self.search_in(order, k + 1, max_h);
                }
            }
        }
    }

    fn binds(&self, c: &crate::ir::Cmp) -> Option<crate::ir::Var> {
        if c.op != crate::ir::CmpOp::Eq {
            return None;
        }
        match (&c.lhs, &c.rhs) {
            (Expr::Var(v), e) if !self.bound[v.0 as usize] && self.ready(e) => Some(*v),
            (e, Expr::Var(v)) if !self.bound[v.0 as usize] && self.ready(e) => Some(*v),
            _ => None,
        }
    }

    fn cmp_holds(&mut self, c: &crate::ir::Cmp) -> bool {
        let ty = expr_type(&c.lhs, self.rule);
        match (self.eval(&c.lhs), self.eval(&c.rhs)) {
            (Some(a), Some(b)) => compare(
                c.op,
                ty,
                a,
                b,
                self.scratch.as_ref().unwrap_or(&self.ev.interner),
            ),
            _ => false,
        }
    }

    /// Why-not probe: follow the body as far as any binding gets; remember the furthest
    /// literal reached.
    fn probe(&mut self, _k: usize) {
        let order = self.order();
        self.probe_in(&order, 0);
    }

    fn note(&mut self, k: usize, order: &[usize]) {
        let lit = order.get(k).copied().unwrap_or(self.rule.body.len());
        if let Some(ends) = &mut self.ends {
            if k < order.len() && ends.len() < MAX_ENDS {
                ends.push((k, lit, self.regs.clone(), self.bound.clone()));
            }
        }
        let better = self.furthest.as_ref().is_none_or(|(l, _, _)| {
            order.iter().position(|x| x == l).unwrap_or(usize::MAX) < k
                || *l == self.rule.body.len()
        });
        if better {
            self.furthest = Some((lit, self.regs.clone(), self.bound.clone()));
        }
    }

    fn probe_in(&mut self, order: &[usize], k: usize) -> bool {
        self.steps += 1;
        if self.steps > BUDGET {
            return true;
        }
        let Some(&i) = order.get(k) else {
            self.note(k, order);
            return true;
        };
        let mut progressed = false;
        match &self.rule.body[i] {
            Literal::Atom(a) if !a.negated => {
                for row in self.candidates(a.rel, &a.args).into_iter().take(64) {
                    if let Some(newly) = self.bind_row(a.rel, &a.args, row) {
                        progressed = true;
                        let done = self.probe_in(order, k + 1);
                        for n in newly {
                            self.bound[n] = false;
                        }
                        if done {
                            return true;
                        }
                    }
                }
            }
            Literal::Atom(a) => {
                if self.candidates(a.rel, &a.args).is_empty() {
                    progressed = true;
                    if self.probe_in(order, k + 1) {
                        return true;
                    }
                }
            }
            Literal::Cmp(c) => {
                if let Some(v) = self.binds(c) {
                    let src = if matches!(c.lhs, Expr::Var(x) if x == v) {
                        &c.rhs
                    } else {
                        &c.lhs
                    };
                    if let Some(w) = self.eval(src) {
                        self.regs[v.0 as usize] = w;
                        self.bound[v.0 as usize] = true;
                        progressed = true;
                        let done = self.probe_in(order, k + 1);
                        self.bound[v.0 as usize] = false;
                        if done {
                            return true;
                        }
                    }
                } else if self.cmp_holds(c) {
                    progressed = true;
                    if self.probe_in(order, k + 1) {
                        return true;
                    }
                }
            }
        }
        if !progressed {
            self.note(k, order);
        }
        false
    }
}

fn has_call(e: &Expr) -> bool {
    match e {
        Expr::Call(..) => true,
        Expr::Binary(_, a, b) => has_call(a) || has_call(b),
        Expr::Neg(a) => has_call(a),
        Expr::Var(_) | Expr::Const(_) => false,
    }
}

fn expr_text(e: &Expr, rule: &Rule, regs: &[u64], interner: &Interner) -> String {
    match e {
        Expr::Var(v) => {
            let ty = rule.vars[v.0 as usize].ty;
            quote(Value::from_word(ty, regs[v.0 as usize]), interner)
        }
        Expr::Const(c) => quote(*c, interner),
        Expr::Binary(op, a, b) => format!(
            "({} {} {})",
            expr_text(a, rule, regs, interner),
            op.symbol(),
            expr_text(b, rule, regs, interner)
        ),
        Expr::Neg(a) => format!("-{}", expr_text(a, rule, regs, interner)),
        Expr::Call(f, args) => format!(
            "{}({})",
            f.name(),
            args.iter()
                .map(|a| expr_text(a, rule, regs, interner))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A value as written in the language: symbols quoted.
pub fn quote(v: Value, interner: &Interner) -> String {
    match v {
        Value::Sym(_) => format!("{:?}", display(v, interner)),
        _ => display(v, interner),
    }
}

/// `rel(v1, v2)` with symbols quoted.
pub fn atom_text(program: &Program, rel: RelId, values: &[Value], interner: &Interner) -> String {
    let args: Vec<String> = values.iter().map(|v| quote(*v, interner)).collect();
    format!("{}({})", program.relation(rel).name, args.join(", "))
}

fn pattern_text(
    program: &Program,
    rel: RelId,
    pattern: &[Option<Value>],
    interner: &Interner,
) -> String {
    let args: Vec<String> = pattern
        .iter()
        .map(|v| v.map_or_else(|| "_".to_string(), |v| quote(v, interner)))
        .collect();
    format!("{}({})", program.relation(rel).name, args.join(", "))
}

/// How many levels of a tree [`render_tree`] indents before it starts again at the left.
pub const INDENT_LEVELS: usize = 50;

/// Renders a tree as indented text, one premise per line, each derived node naming its rule.
///
/// Without recursion, and in space linear in the tree: the premises of a node at a depth that
/// is a multiple of [`INDENT_LEVELS`] start again at the left margin, each of their lines
/// (and their premises', down to the next such depth) prefixed with `[depth] `, the depth of
/// that node. A tree of fewer levels renders as it always did; a chain of a hundred thousand
/// steps renders in lines of bounded width instead of gigabytes of indentation.
pub fn render_tree(tree: &Tree, program: &Program, interner: &Interner) -> String {
    enum Item<'t> {
        Tree(&'t Tree),
        Absent(RelId, &'t [Option<Value>]),
        Compare(&'t str),
    }
    let mut out = String::new();
    // (item, its first line's prefix, the prefix of the lines below it, its depth)
    let mut stack: Vec<(Item<'_>, String, String, usize)> =
        vec![(Item::Tree(tree), String::new(), String::new(), 0)];
    while let Some((item, first, rest, depth)) = stack.pop() {
        let t = match item {
            Item::Tree(t) => t,
            Item::Absent(rel, pattern) => {
                let _ = writeln!(
                    out,
                    "{first}no {}  [absent]",
                    pattern_text(program, rel, pattern, interner)
                );
                continue;
            }
            Item::Compare(text) => {
                let _ = writeln!(out, "{first}{text}  [holds]");
                continue;
            }
        };
        let head = atom_text(program, t.rel, &t.values, interner);
        let Node::Rule { rule, premises, .. } = &t.node else {
            let _ = writeln!(out, "{first}{head}  [fact]");
            continue;
        };
        let _ = writeln!(out, "{first}{head}  [rule {}]", program.rule(*rule).id);
        let rest = if depth > 0 && depth % INDENT_LEVELS == 0 {
            format!("[{depth}] ")
        } else {
            rest
        };
        let n = premises.len();
        for (i, p) in premises.iter().enumerate().rev() {
            let (f, r) = if i + 1 == n {
                ("└─ ", "   ")
            } else {
                ("├─ ", "│  ")
            };
            let item = match p {
                Premise::Holds(sub) => Item::Tree(sub),
                Premise::Absent { rel, pattern } => Item::Absent(*rel, pattern),
                Premise::Compare { text } => Item::Compare(text),
            };
            stack.push((item, format!("{rest}{f}"), format!("{rest}{r}"), depth + 1));
        }
    }
    out
}

/// Renders a why-not explanation as indented text; rules are located as `file:line:col`
/// when the program's sources are given.
pub fn render_why_not(
    w: &WhyNot,
    program: &Program,
    interner: &Interner,
    sources: Option<&crate::diag::SourceMap>,
) -> String {
    let mut out = String::new();
    why_not_lines(w, program, interner, sources, "", &mut out);
    out
}

fn why_not_lines(
    w: &WhyNot,
    program: &Program,
    interner: &Interner,
    sources: Option<&crate::diag::SourceMap>,
    indent: &str,
    out: &mut String,
) {
    let head = atom_text(program, w.rel, &w.values, interner);
    match &w.status {
        WhyNotStatus::Holds => {
            let _ = writeln!(out, "{indent}{head} holds");
        }
        WhyNotStatus::NotAFact => {
            let _ = writeln!(
                out,
                "{indent}{head} is not a fact, and no rule derives {}",
                program.relation(w.rel).name
            );
        }
        WhyNotStatus::Rules(attempts) => {
            let _ = writeln!(out, "{indent}{head} does not hold:");
            for a in attempts {
                let rule = program.rule(a.rule);
                let bound: Vec<String> = a
                    .bindings
                    .iter()
                    .filter_map(|(n, v)| v.map(|v| format!("{n}={}", quote(v, interner))))
                    .collect();
                let _ = writeln!(
                    out,
                    "{indent}  rule {} ({}){}",
                    rule.id,
                    program_location(rule, sources),
                    if bound.is_empty() {
                        String::new()
                    } else {
                        format!(" with {}", bound.join(", "))
                    }
                );
                let deeper = format!("{indent}      ");
                match &a.failure {
                    Failure::Head { position } => {
                        let _ = writeln!(
                            out,
                            "{indent}    fails: its head cannot produce argument {}",
                            position + 1
                        );
                    }
                    Failure::Missing {
                        literal,
                        rel,
                        pattern,
                        nested,
                    } => {
                        let _ = writeln!(
                            out,
                            "{indent}    fails at premise {}: no {}",
                            literal + 1,
                            pattern_text(program, *rel, pattern, interner)
                        );
                        if let Some(n) = nested {
                            if !matches!(n.status, WhyNotStatus::NotAFact) {
                                why_not_lines(n, program, interner, sources, &deeper, out);
                            }
                        }
                    }
                    Failure::Present {
                        literal,
                        rel,
                        values,
                    } => {
                        let _ = writeln!(
                            out,
                            "{indent}    fails at premise {}: {} holds, but the rule requires its absence",
                            literal + 1,
                            atom_text(program, *rel, values, interner)
                        );
                    }
                    Failure::Compare { literal, text } => {
                        let _ = writeln!(
                            out,
                            "{indent}    fails at premise {}: {text} is false",
                            literal + 1
                        );
                    }
                }
            }
        }
    }
}

fn program_location(rule: &Rule, sources: Option<&crate::diag::SourceMap>) -> String {
    match sources {
        Some(m) if (rule.span.file.0 as usize) < m.files().count() => m.location(rule.span),
        _ => format!("bytes {}..{}", rule.span.start, rule.span.end),
    }
}
