//! Join planning: each rule (and, in recursive strata, each semi-naive variant of it) becomes a
//! flat list of operations in the order [`crate::ir::order`] chooses from the relations' sizes
//! and distinct counts when the stratum starts (the delta atom first, then the atom expected
//! to yield the fewest rows; filters, negations and bindings as soon as their variables are
//! bound). Every
//! atom with a bound argument is read through a hash index on exactly its bound columns, so no
//! join is a nested loop over a whole relation.

use crate::ir::order::{expected_rows, order_body, Estimates, Step};
use crate::ir::{self, BinOp, Builtin, CmpOp, Expr, Literal, Program, RelId, Rule, Term, Var};
use crate::value::{Interner, Type, Value};

use super::store::{Indexes, Store};

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

#[derive(Clone, Copy, Debug)]
pub(crate) enum Operand {
    Slot(u32),
    Const(u64),
}

#[derive(Clone, Debug)]
pub(crate) enum CExpr {
    Slot(u32),
    Const(u64),
    Bin(BinOp, Box<CExpr>, Box<CExpr>),
    Neg(Box<CExpr>),
    Call(Builtin, Vec<(CExpr, Type)>),
}

#[derive(Clone, Debug)]
pub(crate) enum Op {
    /// Read rows of `rel` (all of `range`, or those matching `key` through index `index`),
    /// keep those passing `checks`, bind `binds`. `prem` numbers the positive premise (the
    /// generated code names the row `r<prem>`).
    Read {
        rel: RelId,
        index: Option<usize>,
        key: Vec<Operand>,
        range: Range,
        checks: Vec<(usize, Operand)>,
        binds: Vec<(usize, u32)>,
        prem: usize,
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

impl Op {
    /// Length of the index key the op looks up (0 if none).
    pub fn key_len(&self) -> usize {
        match self {
            Op::Read { key, .. } | Op::Absent { key, .. } => key.len(),
            _ => 0,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub rule: u32,
    pub ops: Vec<Op>,
    pub head_rel: RelId,
    pub head: Vec<CExpr>,
    /// How the last join step feeds the head, when it can do so directly (see [`Tail`]).
    pub tail: Option<Tail>,
    pub slots: usize,
    /// Per op: for a read, the later lookups (and the head tuple) whose keys are known from
    /// the row read (see [`Ahead`], [`Plan::ahead_of`]).
    pub ahead: Vec<Vec<Ahead>>,
}

/// The common shape of a rule's last step: the last op reads rows (an index lookup or a scan)
/// with no per-row check, and every head argument is a variable. Then each row read goes
/// straight into the head tuple, without binding registers or running the generic step.
#[derive(Clone, Debug)]
pub(crate) struct Tail {
    /// (head position, column of the row read) for the variables the last read binds.
    pub from_row: Vec<(usize, usize)>,
    /// (head position, register) for the variables bound before it.
    pub from_regs: Vec<(usize, u32)>,
    /// Where each head word comes from (the two lists above, by head position).
    pub words: Vec<TailWord>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum TailWord {
    /// A column of the row read.
    Col(usize),
    /// A register bound before the read.
    Reg(u32),
}

/// A lookup after a read (or the head tuple's insertion) with a key known once a row is read:
/// a loop over the read's rows can compute that key for a row some way ahead and prefetch its
/// slot ([`Plan::ahead`]), so that the lookups of successive rows overlap their waits for
/// memory instead of queueing them.
#[derive(Clone, Debug)]
pub(crate) struct Ahead {
    pub rel: RelId,
    /// The index looked up, or `None` for a whole tuple (a probe or a negation on every
    /// column).
    pub index: Option<usize>,
    pub key: Vec<AheadWord>,
    /// For a lookup keyed (in part) by a row that an earlier lookup of the same list finds
    /// (a chain: [`AheadWord::Via`]), the position of that earlier lookup in the list. Its
    /// key is computed from the row read a few rows ahead, after that lookup's own prefetches
    /// have brought its slot and row in ([`super::store::PREFETCH_CHAIN_AHEAD`]).
    pub via: Option<usize>,
    /// A whole tuple of the head relation (the head's own insertion, or a probe of it in a
    /// recursive rule): that table grows as the loop derives, so whether it is worth
    /// prefetching is asked row by row, not once before the loop.
    pub grows: bool,
}

/// One word of an [`Ahead`] key.
#[derive(Clone, Copy, Debug)]
pub(crate) enum AheadWord {
    /// A column of the row read.
    Col(usize),
    /// A register bound before the read, or a constant.
    Fixed(Operand),
    /// A column of the first row that the lookup [`Ahead::via`] finds for the row read.
    Via(usize),
}

/// At most this many lookups are prefetched by one read's loop ([`Plan::ahead`]) with keys
/// taken from its row: each costs a few instructions per row, and the first ones after a read
/// are the likeliest to run.
pub(crate) const MAX_AHEAD: usize = 3;

/// At most this many lookups are prefetched along a chain ([`Ahead::via`]), besides the
/// [`MAX_AHEAD`] others: each costs a lookup more per row.
pub(crate) const MAX_CHAIN: usize = 2;

/// A chain ([`Ahead::via`]) starts only at a lookup expected to find at most this many rows
/// per key (by the estimates the join order is chosen from): it follows the first row only,
/// and a loop over a key's many rows (a node's edges in a transitive closure) would pay a
/// lookup per row for a fraction of what it then reads.
pub(crate) const CHAIN_MAX_ROWS: f64 = 2.0;

/// The stages in which a loop over a short list issues its prefetches up front, one stage for
/// all its rows before the next: the slots that the rows' keys look up, then what those slots
/// point to, then the slots along a chain ([`Ahead::via`]), whose keys those rows give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    Slot,
    Rows,
    Chain,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Slot, Stage::Rows, Stage::Chain];

    /// Whether this stage prefetches what a slot points to, not the slot.
    pub fn rows(self) -> bool {
        self == Stage::Rows
    }

    /// Whether `a` is prefetched in this stage.
    pub fn takes(self, a: &Ahead) -> bool {
        match self {
            Stage::Slot => a.via.is_none(),
            Stage::Rows => a.via.is_none() && a.index.is_some(),
            Stage::Chain => a.via.is_some(),
        }
    }
}

impl Plan {
    /// For the read at `pc`: the lookups after it whose keys it knows once it has read a row
    /// (each word a column of that row, a register bound before it or a constant, at least
    /// one a column), in op order, then the head tuple if it is made the same way; at most
    /// [`MAX_AHEAD`] (see [`Ahead`]). Then, at most [`MAX_CHAIN`], the lookups (and the head
    /// tuple) whose keys also take columns of the first row that one of those index lookups
    /// finds ([`AheadWord::Via`]; only a lookup that `few_rows` marks, see
    /// [`CHAIN_MAX_ROWS`]): a subject's notices, looked up by the subject that an activity's
    /// row leads to. A lookup nested in a later loop runs once per row of that
    /// loop with the same key, so one prefetch serves them all; one behind a test that fails
    /// is a wasted prefetch, which costs memory bandwidth but no time the loop waits.
    fn ahead_of(&self, pc: usize, few_rows: &[bool]) -> Vec<Ahead> {
        let Some(Op::Read { binds, .. }) = self.ops.get(pc) else {
            return Vec::new();
        };
        // Registers bound before the read.
        let mut before = Vec::new();
        for op in &self.ops[..pc] {
            match op {
                Op::Read { binds, .. } => before.extend(binds.iter().map(|&(_, s)| s)),
                Op::Let { slot, .. } => before.push(*slot),
                _ => {}
            }
        }
        // The lookups after the read, as (rel, index, key), with the op's position.
        let lookups: Vec<(usize, RelId, Option<usize>, &[Operand])> = self.ops[pc + 1..]
            .iter()
            .enumerate()
            .filter_map(|(i, op)| match op {
                Op::Read {
                    rel,
                    index: Some(ix),
                    key,
                    ..
                } => Some((pc + 1 + i, *rel, Some(*ix), &key[..])),
                Op::Probe { rel, args, .. } => Some((pc + 1 + i, *rel, None, &args[..])),
                Op::Absent {
                    rel,
                    index,
                    key,
                    whole,
                } if *whole || index.is_some() => Some((
                    pc + 1 + i,
                    *rel,
                    if *whole { None } else { *index },
                    &key[..],
                )),
                _ => None,
            })
            .collect();
        let head: Option<Vec<Operand>> = self
            .head
            .iter()
            .map(|e| match e {
                CExpr::Slot(s) => Some(Operand::Slot(*s)),
                CExpr::Const(w) => Some(Operand::Const(*w)),
                _ => None,
            })
            .collect();
        // The key of a lookup as words, the registers bound by the read at `via` (if any)
        // standing for columns of its first row; `None` unless every word is known and one
        // comes from a row (the read's, or with `via`, that read's).
        let known = |key: &[Operand], via: Option<&[(usize, u32)]>| -> Option<Vec<AheadWord>> {
            let words = key
                .iter()
                .map(|o| match *o {
                    Operand::Slot(s) => {
                        if let Some(&(c, _)) = binds.iter().find(|&&(_, b)| b == s) {
                            Some(AheadWord::Col(c))
                        } else if let Some(&(c, _)) =
                            via.and_then(|v| v.iter().find(|&&(_, b)| b == s))
                        {
                            Some(AheadWord::Via(c))
                        } else {
                            before.contains(&s).then_some(AheadWord::Fixed(*o))
                        }
                    }
                    Operand::Const(_) => Some(AheadWord::Fixed(*o)),
                })
                .collect::<Option<Vec<AheadWord>>>()?;
            let from_row = |w: &AheadWord| match via {
                Some(_) => matches!(w, AheadWord::Via(_)),
                None => matches!(w, AheadWord::Col(_)),
            };
            words.iter().any(from_row).then_some(words)
        };
        let ahead = |rel: RelId, index: Option<usize>, key: Vec<AheadWord>, via| Ahead {
            rel,
            index,
            key,
            via,
            grows: rel == self.head_rel && index.is_none(),
        };
        let mut out: Vec<Ahead> = Vec::new();
        // Ops (by position) of the index lookups in `out`, with their place there.
        let mut direct: Vec<(usize, usize)> = Vec::new();
        for &(at, rel, index, key) in &lookups {
            if out.len() == MAX_AHEAD {
                break;
            }
            if let Some(key) = known(key, None) {
                if index.is_some() && few_rows.get(at) == Some(&true) {
                    direct.push((at, out.len()));
                }
                out.push(ahead(rel, index, key, None));
            }
        }
        let head_direct = out.len() < MAX_AHEAD
            && head
                .as_deref()
                .and_then(|h| known(h, None))
                .map(|key| out.push(ahead(self.head_rel, None, key, None)))
                .is_some();
        // Along a chain: the lookups after an index lookup of `out`, keyed by its row.
        let mut chains = 0;
        for &(at, k) in &direct {
            let Op::Read { binds: via, .. } = &self.ops[at] else {
                continue;
            };
            let later = lookups.iter().filter(|l| l.0 > at);
            let head = (!head_direct).then_some(head.as_deref()).flatten();
            let candidates = later
                .map(|&(_, rel, index, key)| (rel, index, key))
                .chain(head.map(|h| (self.head_rel, None, h)));
            for (rel, index, key) in candidates {
                if chains == MAX_CHAIN {
                    return out;
                }
                if let Some(key) = known(key, Some(via)) {
                    out.push(ahead(rel, index, key, Some(k)));
                    chains += 1;
                }
            }
        }
        out
    }
}

#[derive(Debug)]
pub(crate) struct PlanError(pub String);

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
pub(crate) trait IndexAlloc {
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
    let mut prems = 0;
    // Per op: whether it is a read expected to find few rows per lookup (a chain may start
    // there, see `Plan::ahead_of`).
    let mut few_rows: Vec<bool> = Vec::new();
    for step in steps {
        match step {
            Step::Atom(i) => {
                let Literal::Atom(a) = &rule.body[i] else {
                    unreachable!("an atom step is an atom")
                };
                let prem = prems;
                prems += 1;
                few_rows.push(expected_rows(rule, i, &bound, est).0 <= CHAIN_MAX_ROWS);
                ops.push(read_op(a, ranges[i], prem, &mut bound, indexes));
            }
            Step::Negation(i) => {
                let Literal::Atom(a) = &rule.body[i] else {
                    unreachable!("a negation step is an atom")
                };
                few_rows.push(false);
                ops.push(absent_op(a, &bound, indexes));
            }
            Step::Filter(i) => {
                let Literal::Cmp(c) = &rule.body[i] else {
                    unreachable!("a filter step is a comparison")
                };
                few_rows.push(false);
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
                few_rows.push(false);
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
    let head_slots: Option<Vec<u32>> = rule
        .head
        .args
        .iter()
        .map(|a| match a {
            Expr::Var(v) => Some(v.0),
            _ => None,
        })
        .collect();
    let tail = match (ops.last(), head_slots) {
        (Some(Op::Read { checks, binds, .. }), Some(slots)) if checks.is_empty() => {
            let mut tail = Tail {
                from_row: Vec::new(),
                from_regs: Vec::new(),
                words: Vec::new(),
            };
            for (i, &s) in slots.iter().enumerate() {
                match binds.iter().find(|&&(_, b)| b == s) {
                    Some(&(c, _)) => {
                        tail.from_row.push((i, c));
                        tail.words.push(TailWord::Col(c));
                    }
                    None => {
                        tail.from_regs.push((i, s));
                        tail.words.push(TailWord::Reg(s));
                    }
                }
            }
            Some(tail)
        }
        _ => None,
    };
    let mut plan = Plan {
        rule: rule_idx,
        ops,
        head_rel: rule.head.rel,
        head: rule.head.args.iter().map(|a| cexpr(a, rule)).collect(),
        tail,
        slots: rule.vars.len(),
        ahead: Vec::new(),
    };
    debug_assert_eq!(few_rows.len(), plan.ops.len());
    plan.ahead = (0..plan.ops.len())
        .map(|pc| plan.ahead_of(pc, &few_rows))
        .collect();
    Ok(plan)
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

fn read_op(
    a: &ir::Atom,
    range: Range,
    prem: usize,
    bound: &mut [bool],
    indexes: &mut dyn IndexAlloc,
) -> Op {
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
        prem,
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
        CExpr::Neg(a) => Some((eval_cexpr(a, regs, interner)? as i64).wrapping_neg() as u64),
        CExpr::Call(f, args) => {
            let mut vals = Vec::with_capacity(args.len());
            for (a, ty) in args {
                vals.push(Value::from_word(*ty, eval_cexpr(a, regs, interner)?));
            }
            crate::builtins::call(*f, &vals, interner).map(Value::word)
        }
    }
}

/// Compares two words of type `ty`. Symbols order by their text, so results do not depend on
/// interning order.
#[inline]
pub(crate) fn compare(op: CmpOp, ty: Type, a: u64, b: u64, interner: &Interner) -> bool {
    use std::cmp::Ordering;
    let ord = match ty {
        Type::Number | Type::Date => (a as i64).cmp(&(b as i64)),
        Type::Symbol => {
            if a == b {
                Ordering::Equal
            } else {
                let sa = interner.resolve(crate::value::Sym(a as u32));
                let sb = interner.resolve(crate::value::Sym(b as u32));
                sa.cmp(sb)
            }
        }
    };
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
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
    fn a_read_knows_the_next_lookup_keyed_by_its_row() {
        let text =
            format!("{DECLS}.decl h(x: number, z: number)\nh(x, z) :- a(x, y), b(y, z), !c(z).\n");
        // b's key is its first column: one row per lookup, so chains start there.
        let (p, plan) = plan_with(&text, "h", &mut Keyed);
        let rel = |n: &str| p.relation_by_name(n).expect("declared");
        // a is scanned, then b looked up by a's column 1, then c tested on b's column 1.
        let reads: Vec<RelId> = plan
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Read { rel, .. } => Some(*rel),
                _ => None,
            })
            .collect();
        assert_eq!(reads, [rel("a"), rel("b")]);
        // After a: b, looked up by a's column 1; then, along a chain, c (its key comes from
        // b's row) and the head (x from a's row, z from b's).
        let [a0, c0, h0] = &plan.ahead[0][..] else {
            panic!("b, then c and the head through b: {:?}", plan.ahead[0]);
        };
        assert_eq!(a0.rel, rel("b"));
        assert!(a0.index.is_some() && a0.via.is_none());
        assert!(matches!(a0.key[..], [AheadWord::Col(1)]));
        assert_eq!((c0.rel, c0.index, c0.via), (rel("c"), None, Some(0)));
        assert!(matches!(c0.key[..], [AheadWord::Via(1)]));
        assert_eq!((h0.rel, h0.index, h0.via), (rel("h"), None, Some(0)));
        assert!(matches!(h0.key[..], [AheadWord::Col(0), AheadWord::Via(1)]));
        assert!(h0.grows && !c0.grows);
        assert!(Stage::Chain.takes(c0) && !Stage::Slot.takes(c0) && !Stage::Rows.takes(c0));
        assert!(Stage::Slot.takes(a0) && Stage::Rows.takes(a0) && !Stage::Chain.takes(a0));
        // After b: c's tuple (b's column 1), then the head (x from a register, z from b).
        let [a1, h] = &plan.ahead[1][..] else {
            panic!("c and the head: {:?}", plan.ahead[1]);
        };
        assert_eq!((a1.rel, a1.index, a1.via), (rel("c"), None, None));
        assert!(matches!(a1.key[..], [AheadWord::Col(1)]));
        assert!(Stage::Slot.takes(a1) && !Stage::Rows.takes(a1));
        assert_eq!((h.rel, h.index), (rel("h"), None));
        assert!(
            h.grows && !a1.grows,
            "only the head's table grows in the loop"
        );
        assert!(matches!(
            h.key[..],
            [AheadWord::Fixed(Operand::Slot(_)), AheadWord::Col(1)]
        ));
        assert!(
            plan.ahead[2..].iter().all(Vec::is_empty),
            "{:?}",
            plan.ahead
        );
    }

    #[test]
    fn a_read_knows_lookups_further_on_and_at_most_max_ahead() {
        // a is scanned; b (by y), c (by y, nested in b's loop) and d (by x) are all keyed by
        // a's row; the head is too, but only MAX_AHEAD lookups are kept, in op order.
        let text = format!(
            "{DECLS}.decl h(x: number, y: number)\n\
             h(x, y) :- a(x, y), b(y, z), c(y), d(x, _).\n"
        );
        let (p, plan) = plan_of(&text, "h");
        let rel = |n: &str| p.relation_by_name(n).expect("declared");
        let first = plan
            .ops
            .iter()
            .position(|op| matches!(op, Op::Read { .. }))
            .expect("a read");
        let got: Vec<RelId> = plan.ahead[first].iter().map(|a| a.rel).collect();
        assert_eq!(got.len(), MAX_AHEAD, "{:?}", plan.ops);
        assert!(!got.contains(&rel("h")), "{got:?}");
        assert_eq!(got, [rel("b"), rel("c"), rel("d")], "{:?}", plan.ops);
    }

    #[test]
    fn lookups_along_a_chain_start_at_one_lookup_and_are_at_most_max_chain() {
        // a is scanned, b looked up by a's y; c(z) and d(z, _) are keyed by b's row (chains
        // through b), c(w) by d's row (no lookup of a's list finds that row) and the head by
        // b's row too, but only MAX_CHAIN chains are kept, in op order.
        let text = format!(
            "{DECLS}.decl h(x: number, z: number)\n\
             h(x, z) :- a(x, y), b(y, z), c(z), d(z, w), c(w).\n"
        );
        let (p, plan) = plan_with(&text, "h", &mut Keyed);
        let rel = |n: &str| p.relation_by_name(n).expect("declared");
        let first = plan
            .ops
            .iter()
            .position(|op| matches!(op, Op::Read { rel: r, .. } if *r == rel("a")))
            .expect("a read of a");
        assert_eq!(first, 0, "{:?}", plan.ops);
        let got: Vec<(RelId, Option<usize>)> =
            plan.ahead[0].iter().map(|a| (a.rel, a.via)).collect();
        assert_eq!(
            got,
            [(rel("b"), None), (rel("c"), Some(0)), (rel("d"), Some(0))],
            "{:?}",
            plan.ops
        );
        assert_eq!(got.len(), 1 + MAX_CHAIN);
        assert!(plan.ahead[0][1..]
            .iter()
            .all(|a| a.key.iter().all(|w| matches!(w, AheadWord::Via(1)))));
    }

    #[test]
    fn no_chain_starts_at_a_lookup_expected_to_find_many_rows() {
        // With uniform estimates, b's lookup by y finds a thousand rows (a node's edges):
        // c and the head, keyed by b's row, are not prefetched from a's loop, only from b's.
        let text =
            format!("{DECLS}.decl h(x: number, z: number)\nh(x, z) :- a(x, y), b(y, z), !c(z).\n");
        let (p, plan) = plan_of(&text, "h");
        let got: Vec<RelId> = plan.ahead[0].iter().map(|a| a.rel).collect();
        assert_eq!(got, [p.relation_by_name("b").expect("declared")]);
        assert!(plan.ahead.iter().flatten().all(|a| a.via.is_none()));
        assert_eq!(
            plan.ahead[1].len(),
            2,
            "c and the head: {:?}",
            plan.ahead[1]
        );
    }

    #[test]
    fn a_lookup_whose_key_does_not_depend_on_the_row_is_not_prefetched() {
        // d is read first (a constant is bound), then a is scanned: a's key does not come
        // from d's row, and nothing follows a.
        let text = format!("{DECLS}.decl h(x: number, w: number)\nh(x, w) :- a(x, y), d(5, w).\n");
        let (p, plan) = plan_of(&text, "h");
        assert_eq!(plan.ahead.len(), plan.ops.len());
        assert!(plan.ahead[0].is_empty(), "{:?}", plan.ahead);
        // The scan of a knows the head tuple (x from its row, w bound before).
        let [h] = &plan.ahead[1][..] else {
            panic!("the head: {:?}", plan.ahead);
        };
        assert_eq!(
            (h.rel, h.index),
            (p.relation_by_name("h").expect("declared"), None)
        );
    }
}
