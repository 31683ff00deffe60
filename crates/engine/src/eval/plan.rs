//! Join planning: each rule (and, in recursive strata, each semi-naive variant of it) becomes a
//! flat list of operations in the order [`crate::ir::order`] chooses from the relations' sizes
//! and distinct counts when the stratum starts (the delta atom first, then the atom expected
//! to yield the fewest rows; filters, negations and bindings as soon as their variables are
//! bound). Every
//! atom with a bound argument is read through a hash index on exactly its bound columns, so no
//! join is a nested loop over a whole relation.

use std::cmp::Ordering;

use crate::ir::order::{order_body, Estimates, Step};
use crate::ir::{
    self, BinOp, Builtin, CmpOp, Expr, Literal, Program, RelId, Rule, RuleIdx, Stratum, Term, Var,
};
use crate::value::{Interner, Type, Value};

use super::store::{Cols, Indexes, Store};

/// Comparisons have one implementation, beside arithmetic.
pub(crate) use crate::builtins::compare;

/// Which rows of a relation an atom reads in a semi-naive round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// Everything visible: rows before `recent`.
    Full,
    /// The previous round's news: rows in `[stable, recent)`.
    Delta,
    /// Rows known before the previous round: `[0, stable)`.
    Old,
}

/// A register or a constant word.
#[derive(Clone, Copy, Debug)]
pub enum Operand {
    Slot(u32),
    Const(u64),
}

/// An expression over registers, compiled from [`ir::Expr`].
#[derive(Clone, Debug)]
pub enum CExpr {
    Slot(u32),
    Const(u64),
    Bin(BinOp, Box<CExpr>, Box<CExpr>),
    Neg(Box<CExpr>),
    Call(Builtin, Vec<(CExpr, Type)>),
}

impl CExpr {
    /// Appends the registers the expression reads to `out`.
    pub fn slots(&self, out: &mut Vec<u32>) {
        match self {
            CExpr::Slot(s) => out.push(*s),
            CExpr::Const(_) => {}
            CExpr::Bin(_, a, b) => {
                a.slots(out);
                b.slots(out);
            }
            CExpr::Neg(a) => a.slots(out),
            CExpr::Call(_, args) => args.iter().for_each(|(a, _)| a.slots(out)),
        }
    }
}

/// One operation of a plan.
#[derive(Clone, Debug)]
pub enum Op {
    /// Read rows of `rel` (all of `range`, or those matching `key` through index `index`),
    /// keep those passing `checks`, bind `binds`.
    Read {
        rel: RelId,
        index: Option<usize>,
        key: Vec<Operand>,
        range: Range,
        checks: Vec<(usize, Operand)>,
        binds: Vec<(usize, u32)>,
    },
    /// Every argument bound: look the tuple up.
    Probe {
        rel: RelId,
        args: Vec<Operand>,
        range: Range,
    },
    /// Negation: no visible row matches the bound arguments (`index` on them, or a whole
    /// tuple lookup when all are bound; `None` with an empty key means "relation is empty").
    Absent {
        rel: RelId,
        index: Option<usize>,
        key: Vec<Operand>,
        whole: bool,
    },
    Filter {
        op: CmpOp,
        lhs: CExpr,
        rhs: CExpr,
        ty: Type,
    },
    Let {
        slot: u32,
        expr: CExpr,
    },
}

/// The first and the last column a read with these `binds` and `checks` takes from a row
/// (`(0, 0)` when it takes none): the part of a row worth prefetching.
pub fn read_cols(binds: &[(usize, u32)], checks: &[(usize, Operand)]) -> Cols {
    let cols = binds.iter().map(|b| b.0).chain(checks.iter().map(|c| c.0));
    match (cols.clone().min(), cols.max()) {
        (Some(lo), Some(hi)) => (lo, hi),
        _ => (0, 0),
    }
}

impl Op {
    /// The registers the op reads (keys, checks, arguments, expressions), in order, with
    /// repeats.
    pub fn uses(&self) -> Vec<u32> {
        let mut out = Vec::new();
        let slots = |ops: &[Operand], out: &mut Vec<u32>| {
            out.extend(ops.iter().filter_map(|o| match o {
                Operand::Slot(s) => Some(*s),
                Operand::Const(_) => None,
            }))
        };
        match self {
            Op::Read { key, checks, .. } => {
                slots(key, &mut out);
                let c: Vec<Operand> = checks.iter().map(|&(_, o)| o).collect();
                slots(&c, &mut out);
            }
            Op::Probe { args, .. } => slots(args, &mut out),
            Op::Absent { key, .. } => slots(key, &mut out),
            Op::Filter { lhs, rhs, .. } => {
                lhs.slots(&mut out);
                rhs.slots(&mut out);
            }
            Op::Let { expr, .. } => expr.slots(&mut out),
        }
        out
    }

    /// The registers the op binds.
    pub fn binds(&self) -> Vec<u32> {
        match self {
            Op::Read { binds, .. } => binds.iter().map(|&(_, s)| s).collect(),
            Op::Let { slot, .. } => vec![*slot],
            _ => Vec::new(),
        }
    }
}

/// A rule (or one semi-naive variant of a recursive rule) as a flat list of operations, run
/// by the interpreter ([`super::exec`]) or written as Rust by the code generator.
#[derive(Clone, Debug)]
pub struct Plan {
    pub rule: u32,
    pub ops: Vec<Op>,
    pub head_rel: RelId,
    pub head: Vec<CExpr>,
    pub slots: usize,
}

impl Plan {
    /// The plan cut where a batch of bindings waits (see [`super::exec`]): segment `k` is
    /// `ops[range]`, a run of tests and bindings (probes, negations, filters, lets) that ends
    /// with a read, except the last segment, whose tests and bindings are followed by the
    /// head. So a plan with `n` reads has `n + 1` segments; segment `k` takes the bindings the
    /// read ending segment `k - 1` made (segment 0 one empty binding).
    pub fn segments(&self) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut start = 0;
        for (pc, op) in self.ops.iter().enumerate() {
            if matches!(op, Op::Read { .. }) {
                out.push(start..pc + 1);
                start = pc + 1;
            }
        }
        out.push(start..self.ops.len());
        out
    }
}

/// A rule that cannot be planned (never for a program the resolver accepted).
#[derive(Debug)]
pub struct PlanError(pub String);

/// Relation statistics for [`order_body`], read off the stores; distinct counts are cached
/// across strata and recomputed when a relation has grown since.
#[derive(Default)]
pub(crate) struct DistinctCache {
    counts: rustc_hash::FxHashMap<(RelId, usize), (usize, f64)>,
}

pub(crate) struct StoreEstimates<'a> {
    pub stores: &'a [Store],
    pub cache: &'a mut DistinctCache,
}

impl Estimates for StoreEstimates<'_> {
    fn size(&mut self, rel: RelId) -> f64 {
        self.stores[rel.0 as usize].len() as f64
    }

    fn distinct(&mut self, rel: RelId, col: usize) -> f64 {
        let store = &self.stores[rel.0 as usize];
        let len = store.len();
        if let Some(&(at, n)) = self.cache.counts.get(&(rel, col)) {
            if at == len {
                return n;
            }
        }
        let n = store.distinct(col) as f64;
        self.cache.counts.insert((rel, col), (len, n));
        n
    }
}

/// Where a plan's index lookups go: the number of the index on some columns of a relation
/// (created if missing). The interpreter creates real indexes ([`StoreIndexes`]); the code
/// generator only numbers them as the interpreter would, and creates them when the generated
/// code runs.
pub trait IndexAlloc {
    fn index(&mut self, rel: RelId, cols: &[usize]) -> usize;
}

/// The indexes of an evaluation, created (and filled) as plans ask for them.
pub(crate) struct StoreIndexes<'a> {
    pub stores: &'a [Store],
    pub indexes: &'a mut Indexes,
}

impl IndexAlloc for StoreIndexes<'_> {
    fn index(&mut self, rel: RelId, cols: &[usize]) -> usize {
        let r = rel.0 as usize;
        self.stores[r].ensure_index(&mut self.indexes[r], cols)
    }
}

/// Plans every rule of `stratum` in the order the driver runs them: (plan, runs only in the
/// first round), with estimates `est` and index numbers from `ix`. The interpreter plans with
/// the relations' live sizes when the stratum starts and creates the indexes; the code
/// generator plans with statistics of a sample run and only numbers the indexes.
pub fn plan_stratum(
    program: &Program,
    stratum: &Stratum,
    est: &mut dyn Estimates,
    ix: &mut dyn IndexAlloc,
) -> Result<Vec<(Plan, bool)>, PlanError> {
    let in_stratum = |rel: RelId| stratum.relations.contains(&rel);
    // Plans: (plan, runs only in the first round).
    let mut plans: Vec<(Plan, bool)> = Vec::new();
    for &RuleIdx(ri) in &stratum.rules {
        let rule = &program.rules[ri as usize];
        let rec: Vec<usize> = rule
            .body
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l, Literal::Atom(a) if !a.negated && stratum.recursive && in_stratum(a.rel)))
            .map(|(i, _)| i)
            .collect();
        let mut ranges = vec![Range::Full; rule.body.len()];
        if rec.is_empty() {
            plans.push((plan_rule(program, ri, &ranges, None, est, ix)?, true));
        } else {
            for (k, &i) in rec.iter().enumerate() {
                for (j, &lit) in rec.iter().enumerate() {
                    ranges[lit] = match j.cmp(&k) {
                        Ordering::Less => Range::Old,
                        Ordering::Equal => Range::Delta,
                        Ordering::Greater => Range::Full,
                    };
                }
                plans.push((plan_rule(program, ri, &ranges, Some(i), est, ix)?, false));
            }
        }
    }
    Ok(plans)
}

/// Plans one rule. `ranges[i]` is the range of body literal `i` if it is a positive atom.
pub(crate) fn plan_rule(
    program: &Program,
    rule_idx: u32,
    ranges: &[Range],
    delta: Option<usize>,
    est: &mut dyn Estimates,
    indexes: &mut dyn IndexAlloc,
) -> Result<Plan, PlanError> {
    let rule: &Rule = &program.rules[rule_idx as usize];
    let steps = order_body(rule, delta, est).map_err(|i| {
        PlanError(format!(
            "rule {} cannot be ordered: literal {} has unbound variables",
            rule.id,
            i + 1
        ))
    })?;
    let mut bound = vec![false; rule.vars.len()];
    let mut ops = Vec::new();
    for step in steps {
        match step {
            Step::Atom(i) => {
                let Literal::Atom(a) = &rule.body[i] else {
                    unreachable!("an atom step is an atom")
                };
                ops.push(read_op(a, ranges[i], &mut bound, indexes));
            }
            Step::Negation(i) => {
                let Literal::Atom(a) = &rule.body[i] else {
                    unreachable!("a negation step is an atom")
                };
                ops.push(absent_op(a, &bound, indexes));
            }
            Step::Filter(i) => {
                let Literal::Cmp(c) = &rule.body[i] else {
                    unreachable!("a filter step is a comparison")
                };
                ops.push(Op::Filter {
                    op: c.op,
                    lhs: cexpr(&c.lhs, rule),
                    rhs: cexpr(&c.rhs, rule),
                    ty: expr_type(&c.lhs, rule),
                });
            }
            Step::Bind {
                lit,
                var,
                expr_is_rhs,
            } => {
                let Literal::Cmp(c) = &rule.body[lit] else {
                    unreachable!("a binding step is a comparison")
                };
                let e = if expr_is_rhs { &c.rhs } else { &c.lhs };
                ops.push(Op::Let {
                    slot: var.0,
                    expr: cexpr(e, rule),
                });
                bound[var.0 as usize] = true;
            }
        }
    }
    for a in &rule.head.args {
        if expr_vars(a).iter().any(|v| !bound[v.0 as usize]) {
            return Err(PlanError(format!(
                "rule {}: head variable not bound",
                rule.id
            )));
        }
    }
    Ok(Plan {
        rule: rule_idx,
        ops,
        head_rel: rule.head.rel,
        head: rule.head.args.iter().map(|a| cexpr(a, rule)).collect(),
        slots: rule.vars.len(),
    })
}

pub(crate) fn expr_vars(e: &Expr) -> Vec<Var> {
    let mut out = Vec::new();
    fn walk(e: &Expr, out: &mut Vec<Var>) {
        match e {
            Expr::Var(v) => out.push(*v),
            Expr::Const(_) => {}
            Expr::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Expr::Neg(a) => walk(a, out),
            Expr::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
        }
    }
    walk(e, &mut out);
    out
}

/// The type of an expression (the resolver has checked it is well typed).
pub(crate) fn expr_type(e: &Expr, rule: &Rule) -> Type {
    match e {
        Expr::Var(v) => rule.vars[v.0 as usize].ty,
        Expr::Const(c) => c.ty(),
        Expr::Binary(..) | Expr::Neg(_) => Type::Number,
        Expr::Call(f, args) => builtin_type(*f, args.first().map(|a| expr_type(a, rule))),
    }
}

pub(crate) fn builtin_type(f: Builtin, first_arg: Option<Type>) -> Type {
    match f {
        Builtin::DaysBetween | Builtin::Year | Builtin::Strlen | Builtin::ToNumber => Type::Number,
        Builtin::AddDays | Builtin::AddMonths | Builtin::ParseDate => Type::Date,
        Builtin::Cat | Builtin::ToString => Type::Symbol,
        Builtin::Min | Builtin::Max => first_arg.unwrap_or(Type::Number),
    }
}

/// Compiles an expression of `rule` for [`eval_cexpr`].
pub(crate) fn cexpr_of(e: &Expr, rule: &Rule) -> CExpr {
    cexpr(e, rule)
}

fn cexpr(e: &Expr, rule: &Rule) -> CExpr {
    match e {
        Expr::Var(v) => CExpr::Slot(v.0),
        Expr::Const(c) => CExpr::Const(c.word()),
        Expr::Binary(op, a, b) => {
            CExpr::Bin(*op, Box::new(cexpr(a, rule)), Box::new(cexpr(b, rule)))
        }
        Expr::Neg(a) => CExpr::Neg(Box::new(cexpr(a, rule))),
        // Argument types turn words back into values for the builtin.
        Expr::Call(f, args) => CExpr::Call(
            *f,
            args.iter()
                .map(|a| (cexpr(a, rule), expr_type(a, rule)))
                .collect(),
        ),
    }
}

fn operand(t: &Term) -> Option<Operand> {
    match t {
        Term::Const(c) => Some(Operand::Const(c.word())),
        Term::Var(v) => Some(Operand::Slot(v.0)),
        Term::Wildcard => None,
    }
}

fn read_op(a: &ir::Atom, range: Range, bound: &mut [bool], indexes: &mut dyn IndexAlloc) -> Op {
    let mut key_cols = Vec::new();
    let mut key = Vec::new();
    let mut checks = Vec::new();
    let mut binds: Vec<(usize, u32)> = Vec::new();
    for (c, t) in a.args.iter().enumerate() {
        match t {
            Term::Const(v) => {
                key_cols.push(c);
                key.push(Operand::Const(v.word()));
            }
            Term::Var(v) if bound[v.0 as usize] => {
                if binds.iter().any(|&(_, s)| s == v.0) {
                    // Repeated in this atom: compare with the column that binds it.
                    checks.push((c, Operand::Slot(v.0)));
                } else {
                    key_cols.push(c);
                    key.push(Operand::Slot(v.0));
                }
            }
            Term::Var(v) => {
                bound[v.0 as usize] = true;
                binds.push((c, v.0));
            }
            Term::Wildcard => {}
        }
    }
    if !a.args.is_empty() && key_cols.len() == a.args.len() {
        return Op::Probe {
            rel: a.rel,
            args: key,
            range,
        };
    }
    let index = (!key_cols.is_empty()).then(|| indexes.index(a.rel, &key_cols));
    Op::Read {
        rel: a.rel,
        index,
        key,
        range,
        checks,
        binds,
    }
}

fn absent_op(a: &ir::Atom, bound: &[bool], indexes: &mut dyn IndexAlloc) -> Op {
    let mut key_cols = Vec::new();
    let mut key = Vec::new();
    for (c, t) in a.args.iter().enumerate() {
        if let Some(o) = operand(t) {
            debug_assert!(!matches!(t, Term::Var(v) if !bound[v.0 as usize]));
            key_cols.push(c);
            key.push(o);
        }
    }
    let whole = key_cols.len() == a.args.len();
    let index = if whole || key_cols.is_empty() {
        None
    } else {
        Some(indexes.index(a.rel, &key_cols))
    };
    Op::Absent {
        rel: a.rel,
        index,
        key,
        whole,
    }
}

/// Evaluates a compiled expression over the registers; `None` when a function has no result.
pub(crate) fn eval_cexpr(e: &CExpr, regs: &[u64], interner: &mut Interner) -> Option<u64> {
    match e {
        CExpr::Slot(s) => Some(regs[*s as usize]),
        CExpr::Const(w) => Some(*w),
        CExpr::Bin(op, a, b) => {
            let a = eval_cexpr(a, regs, interner)? as i64;
            let b = eval_cexpr(b, regs, interner)? as i64;
            crate::builtins::binary(*op, a, b).map(|n| n as u64)
        }
        CExpr::Neg(a) => {
            crate::builtins::neg(eval_cexpr(a, regs, interner)? as i64).map(|n| n as u64)
        }
        CExpr::Call(f, args) => {
            let mut vals = Vec::with_capacity(args.len());
            for (a, ty) in args {
                vals.push(Value::from_word(*ty, eval_cexpr(a, regs, interner)?));
            }
            crate::builtins::call(*f, &vals, interner).map(Value::word)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::order::Uniform;
    use crate::{compile, CompileOptions, SourceMap};

    /// Numbers every index in order of request.
    struct Count(usize);

    impl IndexAlloc for Count {
        fn index(&mut self, _: RelId, _: &[usize]) -> usize {
            self.0 += 1;
            self.0 - 1
        }
    }

    /// Every relation as large, its first column a key (one row per value), the others
    /// repeating (a thousand rows per value).
    struct Keyed;

    impl Estimates for Keyed {
        fn size(&mut self, _: RelId) -> f64 {
            1e6
        }
        fn distinct(&mut self, _: RelId, col: usize) -> f64 {
            if col == 0 {
                1e6
            } else {
                1e3
            }
        }
    }

    /// The plan of the only rule of `head` in `text`, with uniform estimates.
    fn plan_of(text: &str, head: &str) -> (Program, Plan) {
        plan_with(text, head, &mut Uniform)
    }

    /// The plan of the only rule of `head` in `text`.
    fn plan_with(text: &str, head: &str, est: &mut dyn Estimates) -> (Program, Plan) {
        let mut sources = SourceMap::new();
        sources.add("t.dl", text);
        let p = compile(&sources, &CompileOptions::default())
            .program
            .expect("compiles");
        let rel = p.relation_by_name(head).expect("declared");
        let ri = p
            .rules
            .iter()
            .position(|r| r.head.rel == rel)
            .expect("a rule") as u32;
        let n = p.rules[ri as usize].body.len();
        let plan =
            plan_rule(&p, ri, &vec![Range::Full; n], None, est, &mut Count(0)).expect("plans");
        (p, plan)
    }

    const DECLS: &str = ".decl a(x: number, y: number)\n.input a\n\
        .decl b(y: number, z: number)\n.input b\n.decl c(z: number)\n.input c\n\
        .decl d(k: number, w: number)\n.input d\n";

    #[test]
    fn a_read_prefetches_from_the_first_to_the_last_column_it_takes() {
        // Binds columns 4 and 1, checks column 3: columns 1 to 4.
        let binds = [(4, 0), (1, 1)];
        let checks = [(3, Operand::Const(7))];
        assert_eq!(read_cols(&binds, &checks), (1, 4));
        assert_eq!(read_cols(&binds, &[]), (1, 4));
        assert_eq!(read_cols(&[], &[(5, Operand::Slot(0))]), (5, 5));
        // Nothing taken: no row is read (the caller prefetches none).
        assert_eq!(read_cols(&[], &[]), (0, 0));
    }

    #[test]
    fn segments_end_at_each_read_and_the_last_at_the_head() {
        let text = format!(
            "{DECLS}.decl h(x: number, z: number)\nh(x, z) :- a(x, y), y > 1, b(y, z), !c(z).\n"
        );
        let (p, plan) = plan_with(&text, "h", &mut Keyed);
        let rel = |n: &str| p.relation_by_name(n).expect("declared");
        // a is scanned; the filter on y, then b looked up by y; then the negation on z.
        assert!(matches!(plan.ops[0], Op::Read { rel: r, index: None, .. } if r == rel("a")));
        assert!(matches!(plan.ops[1], Op::Filter { .. }));
        assert!(matches!(plan.ops[2], Op::Read { rel: r, index: Some(_), .. } if r == rel("b")));
        assert!(matches!(plan.ops[3], Op::Absent { rel: r, whole: true, .. } if r == rel("c")));
        assert_eq!(plan.segments(), [0..1, 1..3, 3..4]);
        // Every segment but the last ends with a read; the others hold none.
        let segs = plan.segments();
        for (k, seg) in segs.iter().enumerate() {
            let reads = plan.ops[seg.clone()]
                .iter()
                .filter(|op| matches!(op, Op::Read { .. }))
                .count();
            assert_eq!(reads, usize::from(k + 1 < segs.len()), "segment {k}");
        }
    }

    #[test]
    fn a_plan_without_reads_is_one_segment() {
        let text = format!("{DECLS}.decl h(x: number)\nh(1) :- !c(2).\n");
        let (_, plan) = plan_of(&text, "h");
        assert_eq!(plan.ops.len(), 1);
        assert_eq!(plan.segments(), vec![0..1]);
    }

    #[test]
    fn ops_name_the_registers_they_read_and_bind() {
        let text = format!(
            "{DECLS}.decl h(x: number, w: number)\nh(x, w) :- a(x, y), b(y, z), w = z + x, !d(x, w).\n"
        );
        let (_, plan) = plan_of(&text, "h");
        let Op::Read { binds, .. } = &plan.ops[0] else {
            panic!("a is read first: {:?}", plan.ops);
        };
        let (x, y) = (binds[0].1, binds[1].1);
        assert_eq!(plan.ops[0].binds(), [x, y]);
        assert!(plan.ops[0].uses().is_empty());
        // b is looked up by y and binds z.
        assert_eq!(plan.ops[1].uses(), [y]);
        let z = plan.ops[1].binds()[0];
        // w = z + x reads z and x and binds w; the negation reads x and w.
        let Op::Let { slot: w, .. } = plan.ops[2] else {
            panic!("the binding of w: {:?}", plan.ops);
        };
        assert_eq!(plan.ops[2].uses(), [z, x]);
        assert_eq!(plan.ops[2].binds(), [w]);
        assert_eq!(plan.ops[3].uses(), [x, w]);
        assert!(plan.ops[3].binds().is_empty());
    }
}
