//! Compiled evaluation: the interpreter's plans turned into Rust.
//!
//! [`generate`] plans every rule as the interpreter does ([`super::plan`], join order from
//! [`crate::ir::order`]), but with statistics recorded from a sample run instead of the
//! relations' live sizes, and writes each plan as Rust functions that run it a batch of
//! bindings at a time, exactly as [`super::exec`] does: one function per segment of the plan
//! ([`Plan::segments`]) over a queue of bindings typed `[u64; W]` (the registers later steps
//! read), tests as prefetch passes and `retain`s, a read as prefetch passes and a loop that
//! pushes onto the next queue, the head as a prefetch pass and insertions, with every
//! relation, column, index and constant a literal. [`evaluate_native`] runs such functions with the interpreter's own
//! driver (strata, semi-naive rounds, stores, indexes, provenance recorded at insertion): the
//! two evaluators differ only in who executes a plan, [`super::exec`] or generated code. So
//! they agree by construction on results and provenance, and explanations of a compiled run
//! are those of an interpreted one.
//!
//! Invariant: generated code runs only on the program it was generated from: the digest of
//! the resolved program and its interned symbols ([`program_digest`]) is checked before any
//! generated function runs, and the indexes the code looks up are created, and their numbers
//! checked, when its stratum starts.

use std::fmt::Write as _;

use crate::ir::order::Estimates;
use crate::ir::{dump, Program, RelId, Stratum};
use crate::value::{Interner, Value};

use super::exec::{bounds, restrict};
use super::plan::{compare, read_cols, CExpr, IndexAlloc, Op, Operand, Plan};
use super::store::{Index, Row, Store};
pub use super::store::{BATCH, SHORT_LIST};
use super::EvalError;

pub use super::plan::Range;
pub use crate::ir::{BinOp, Builtin, CmpOp};
pub use crate::value::Type;

/// A generated program: what [`generate`] writes, as the generated module declares it.
pub struct NativeProgram {
    /// Where it was generated from (for messages).
    pub source: &'static str,
    /// [`program_digest`] of the program it was generated from.
    pub digest: u64,
    /// The program's strata, in evaluation order.
    pub strata: &'static [NativeStratum],
}

/// One stratum of a [`NativeProgram`].
pub struct NativeStratum {
    /// The indexes its plans look up, created when the stratum starts: (relation, columns,
    /// the index's number among the relation's indexes).
    pub indexes: &'static [(u32, &'static [usize], usize)],
    /// Its plans, in the order the interpreter runs them.
    pub plans: &'static [NativePlan],
}

/// One plan: a rule, or one semi-naive variant of a recursive rule.
pub struct NativePlan {
    pub rule: u32,
    /// Runs in the first round only (a rule without premises in its own stratum).
    pub once: bool,
    pub run: fn(&mut Cx<'_>),
}

/// A stable digest of a resolved program and of the ids it gives its symbols (FNV-1a over
/// its text dump and its interned symbols in id order): generated code embeds interned ids
/// and column numbers, so it must run on exactly the program it was made from.
pub fn program_digest(program: &Program) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(dump::dump(program).as_bytes());
    for i in 0..program.interner.len() {
        eat(&[0xff]);
        eat(program
            .interner
            .resolve(crate::value::Sym(i as u32))
            .as_bytes());
    }
    h
}

/// Whether `code` was generated from `program` (digest and number of strata); the error says
/// which version it expects.
pub fn check(code: &NativeProgram, program: &Program) -> Result<(), EvalError> {
    let digest = program_digest(program);
    if digest != code.digest || program.strata.len() != code.strata.len() {
        return Err(EvalError {
            message: format!(
                "the compiled program was generated from a different version of {} (digest {:016x}, this program {digest:016x})",
                code.source, code.digest
            ),
        });
    }
    Ok(())
}

/// What a generated plan works on: the evaluation's relations (read and appended to), its
/// indexes (read only while a plan runs) and interner.
pub struct Cx<'a> {
    stores: &'a mut [Store],
    indexes: &'a [Vec<Index>],
    interner: &'a mut Interner,
    /// Head tuples produced, before deduplication.
    pub fired: u64,
}

/// The indexes of a running evaluation. Lookups borrow the indexes, not the [`Cx`], so a
/// plan can insert head tuples while it iterates over rows found (rows appended in a round
/// are not in any index until the round ends, as in the interpreter).
#[derive(Clone, Copy)]
pub struct Ix<'a>(&'a [Vec<Index>]);

impl<'a> Ix<'a> {
    /// Rows of `rel` in `range` whose columns of index `ix` equal `key`.
    #[inline(always)]
    pub fn lookup(self, cx: &Cx<'_>, rel: u32, ix: usize, key: &[u64], range: Range) -> &'a [Row] {
        let store = &cx.stores[rel as usize];
        restrict(self.0[rel as usize][ix].lookup(store, key), range, store)
    }

    /// Starts loading the slot of `key` in index `ix` of `rel` into the cache, for a lookup of
    /// it a few rows later.
    #[inline(always)]
    pub fn prefetch(self, rel: u32, ix: usize, key: &[u64]) {
        self.0[rel as usize][ix].prefetch(key)
    }

    /// Whether a key of index `ix` of `rel` may have more than one row (the engine's
    /// `Index::has_lists`).
    #[inline(always)]
    pub fn has_lists(self, rel: u32, ix: usize) -> bool {
        self.0[rel as usize][ix].has_lists()
    }

    /// Whether lookups in index `ix` of `rel` are worth prefetching (the engine's
    /// `Index::worth_prefetching`: a table larger than a core's L2 cache).
    #[inline(always)]
    pub fn worth_prefetching(self, rel: u32, ix: usize) -> bool {
        self.0[rel as usize][ix].worth_prefetching()
    }

    /// Starts loading columns `first..=last` of the row (or the list of rows) of `key` in
    /// index `ix` of `rel`, whose slot was prefetched a few rows before.
    #[inline(always)]
    pub fn prefetch_rows(
        self,
        cx: &Cx<'_>,
        rel: u32,
        ix: usize,
        key: &[u64],
        first: usize,
        last: usize,
    ) {
        self.0[rel as usize][ix].prefetch_rows(&cx.stores[rel as usize], key, (first, last))
    }

    /// Starts loading the list of rows of `key` in index `ix` of `rel` when it has several
    /// (the engine's `Index::prefetch_list`, for a read that reads no row).
    #[inline(always)]
    pub fn prefetch_list(self, rel: u32, ix: usize, key: &[u64]) {
        self.0[rel as usize][ix].prefetch_list(key)
    }

    /// Whether some visible row of `rel` has `key` in the columns of index `ix`.
    #[inline(always)]
    pub fn any(self, cx: &Cx<'_>, rel: u32, ix: usize, key: &[u64]) -> bool {
        !self.0[rel as usize][ix]
            .lookup(&cx.stores[rel as usize], key)
            .is_empty()
    }
}

impl<'a> Cx<'a> {
    #[inline(always)]
    pub fn ix(&self) -> Ix<'a> {
        Ix(self.indexes)
    }

    /// The row numbers of `rel` that `range` covers.
    #[inline(always)]
    pub fn bounds(&self, rel: u32, range: Range) -> std::ops::Range<Row> {
        let (lo, hi) = bounds(range, &self.stores[rel as usize]);
        lo as Row..hi as Row
    }

    /// Column `col` of row `row` of `rel`.
    #[inline(always)]
    pub fn get(&self, rel: u32, row: Row, col: usize) -> u64 {
        self.stores[rel as usize].get(row as usize, col)
    }

    /// The row of `rel` in `range` holding exactly `tuple`.
    #[inline(always)]
    pub fn probe(&self, rel: u32, tuple: &[u64], range: Range) -> Option<Row> {
        let s = &self.stores[rel as usize];
        let r = s.find_with(|i| tuple[i])?;
        let (lo, hi) = bounds(range, s);
        (lo..hi).contains(&(r as usize)).then_some(r)
    }

    /// Whether `tuple` is a visible row of `rel`.
    #[inline(always)]
    pub fn contains(&self, rel: u32, tuple: &[u64]) -> bool {
        let s = &self.stores[rel as usize];
        s.find_with(|i| tuple[i])
            .is_some_and(|r| (r as usize) < s.recent)
    }

    /// Starts loading the slot of `tuple` in `rel` into the cache, for a probe of it a few
    /// rows later.
    #[inline(always)]
    pub fn prefetch(&self, rel: u32, tuple: &[u64]) {
        self.stores[rel as usize].prefetch(tuple)
    }

    /// Whether probes of whole tuples of `rel` are worth prefetching (the engine's
    /// `Store::worth_prefetching`).
    #[inline(always)]
    pub fn worth_prefetching(&self, rel: u32) -> bool {
        self.stores[rel as usize].worth_prefetching()
    }

    /// Whether the rows of `rel` are worth prefetching (the engine's
    /// `Store::rows_worth_prefetching`).
    #[inline(always)]
    pub fn rows_worth_prefetching(&self, rel: u32) -> bool {
        self.stores[rel as usize].rows_worth_prefetching()
    }

    /// Starts loading columns `first..=last` of row `row` of `rel` into the cache.
    #[inline(always)]
    pub fn prefetch_row(&self, rel: u32, row: Row, first: usize, last: usize) {
        self.stores[rel as usize].prefetch_row(row as usize, (first, last))
    }

    /// Whether `rel` has a visible row.
    #[inline(always)]
    pub fn nonempty(&self, rel: u32) -> bool {
        self.stores[rel as usize].recent > 0
    }

    /// Appends a derived tuple to `rel` unless present (the driver records which rule added
    /// the rows: the engine's `Store::record`).
    #[inline(always)]
    pub fn derive(&mut self, rel: u32, tuple: &[u64]) {
        self.fired += 1;
        self.stores[rel as usize].insert(tuple);
    }

    /// Orders two symbols by their text.
    #[inline]
    pub fn cmp_sym(&self, op: CmpOp, a: u64, b: u64) -> bool {
        compare(op, Type::Symbol, a, b, self.interner)
    }

    /// Arithmetic; `None` where it has no result (division by zero, overflow).
    #[inline]
    pub fn bin(&self, op: BinOp, a: u64, b: u64) -> Option<u64> {
        crate::builtins::binary(op, a as i64, b as i64).map(|n| n as u64)
    }

    /// A built-in function on (word, type) arguments; `None` where it has no result.
    #[inline]
    pub fn call(&mut self, f: Builtin, args: &[(u64, Type)]) -> Option<u64> {
        let vals: Vec<Value> = args.iter().map(|&(w, t)| Value::from_word(t, w)).collect();
        crate::builtins::call(f, &vals, self.interner).map(Value::word)
    }
}

impl<'a> Cx<'a> {
    pub(crate) fn new(
        stores: &'a mut [Store],
        indexes: &'a [Vec<Index>],
        interner: &'a mut Interner,
    ) -> Self {
        Cx {
            stores,
            indexes,
            interner,
            fired: 0,
        }
    }
}

/// Creates the indexes a stratum's generated code looks up; an error if their numbers are not
/// those the code was generated with.
pub(crate) fn prepare_stratum(
    stratum: &NativeStratum,
    stores: &[Store],
    indexes: &mut [Vec<Index>],
) -> Result<(), EvalError> {
    for &(rel, cols, pos) in stratum.indexes {
        let r = rel as usize;
        let (Some(store), Some(ixs)) = (stores.get(r), indexes.get_mut(r)) else {
            return Err(EvalError {
                message: format!("generated code reads relation {rel}, which the program lacks"),
            });
        };
        let got = store.ensure_index(ixs, cols);
        if got != pos {
            return Err(EvalError {
                message: format!(
                    "generated code expects index {pos} of relation {rel} on columns {cols:?}, the evaluation numbered it {got}"
                ),
            });
        }
    }
    Ok(())
}

/// Index numbers as the interpreter would give them, for generated code: per relation, the
/// column lists in order of creation; per stratum, the indexes its plans use.
struct Numbering {
    cols: Vec<Vec<Vec<usize>>>,
    used: Vec<(u32, Vec<usize>, usize)>,
}

impl IndexAlloc for Numbering {
    fn index(&mut self, rel: RelId, cols: &[usize]) -> usize {
        let list = &mut self.cols[rel.0 as usize];
        let pos = match list.iter().position(|c| c == cols) {
            Some(p) => p,
            None => {
                list.push(cols.to_vec());
                list.len() - 1
            }
        };
        if !self
            .used
            .iter()
            .any(|(r, c, _)| *r == rel.0 && c.as_slice() == cols)
        {
            self.used.push((rel.0, cols.to_vec(), pos));
        }
        pos
    }
}

/// Writes `program` as a Rust module whose `PROGRAM` is a [`NativeProgram`]; `est` (for the
/// knowledge base, statistics of a sample run, [`super::Evaluation::stats`]) chooses the join
/// order. `source` names what it was
/// generated from. Deterministic: the same program and statistics give the same text.
pub fn generate(
    program: &Program,
    est: &mut dyn Estimates,
    source: &str,
) -> Result<String, EvalError> {
    let mut numbering = Numbering {
        cols: program.relations.iter().map(|_| Vec::new()).collect(),
        used: Vec::new(),
    };
    let mut strata_text = String::new();
    let mut fns = String::new();
    for (si, stratum) in program.strata.iter().enumerate() {
        numbering.used.clear();
        let plans = super::plan_stratum_with(program, stratum, est, &mut numbering)?;
        let mut plan_list = String::new();
        for (pi, (plan, once)) in plans.iter().enumerate() {
            let name = format!("s{si}_p{pi}");
            emit_plan(program, stratum, plan, &name, &mut fns);
            let _ = writeln!(
                plan_list,
                "        NativePlan {{ rule: {}, once: {once}, run: {name} }},",
                plan.rule
            );
        }
        let mut ix_list = String::new();
        for (rel, cols, pos) in &numbering.used {
            let _ = write!(ix_list, "({rel}, &{cols:?}, {pos}), ");
        }
        let _ = writeln!(
            strata_text,
            "    NativeStratum {{\n        indexes: &[{}],\n        plans: &[\n{plan_list}    ]}},",
            ix_list.trim_end_matches(", ")
        );
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "//! @generated by sphere-engine (`eval::native::generate`) from {source}: do not edit.\n\
         //! Regenerate with `UPDATE_GENERATED=1 cargo test -p sphere-codegen`.\n\n\
         #![allow(clippy::all, unused_imports, unused_variables, unused_mut, unused_parens, non_snake_case)]\n\n\
         use ::sphere_engine::eval::native::{{\n    BinOp, Builtin, CmpOp, Cx, NativePlan, NativeProgram, NativeStratum, Range::{{Delta, Full, Old}}, Type,\n    BATCH, SHORT_LIST,\n}};\n\n\
         /// The program, ready for `sphere_engine::eval::evaluate_native`.\n\
         pub static PROGRAM: NativeProgram = NativeProgram {{\n    source: {source:?},\n    digest: 0x{:016x},\n    strata: &[\n{strata_text}    ],\n}};",
        program_digest(program)
    );
    out.push_str(&fns);
    Ok(out)
}

/// Relation names in comments: generated code is read when a rule is slow.
fn rel_name(program: &Program, rel: RelId) -> &str {
    &program.relations[rel.0 as usize].name
}

fn emit_plan(program: &Program, stratum: &Stratum, plan: &Plan, name: &str, out: &mut String) {
    let rule = &program.rules[plan.rule as usize];
    let segs = plan.segments();
    let layouts = layouts(plan, &segs);
    let _ = writeln!(
        out,
        "\n/// Rule `{}` ({}{}).\nfn {name}(cx: &mut Cx<'_>) {{",
        rule.id,
        rel_name(program, plan.head_rel),
        if stratum.recursive {
            ", recursive stratum"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "    let mut q0: Vec<[u64; 0]> = vec![[]];");
    for (k, l) in layouts.iter().enumerate().skip(1) {
        let _ = writeln!(
            out,
            "    let mut q{k}: Vec<[u64; {}]> = Vec::new();",
            l.len()
        );
    }
    for k in 0..segs.len() {
        let args: Vec<String> = (k..segs.len()).map(|j| format!("&mut q{j}")).collect();
        let _ = writeln!(out, "    {name}_{k}(cx, {});", args.join(", "));
    }
    out.push_str("}\n");
    for (k, seg) in segs.iter().enumerate() {
        let mut e = Emitter {
            program,
            plan,
            name,
            layouts: &layouts,
            k,
            names: vec![None; plan.slots],
            out: String::new(),
            temps: 0,
            fail: "return false",
        };
        e.segment(seg.clone());
        out.push_str(&e.out);
    }
}

/// For each segment of `plan` ([`Plan::segments`]), the registers its bindings carry, in
/// order: those bound before the segment that it or a later op (or the head) reads, then those
/// its own lets bind that are read after them.
fn layouts(plan: &Plan, segs: &[std::ops::Range<usize>]) -> Vec<Vec<u32>> {
    let mut head_uses = Vec::new();
    for e in &plan.head {
        e.slots(&mut head_uses);
    }
    let used_from = |pc: usize, s: u32| {
        plan.ops[pc..].iter().any(|op| op.uses().contains(&s)) || head_uses.contains(&s)
    };
    segs.iter()
        .map(|seg| {
            let mut bound: Vec<u32> = plan.ops[..seg.start]
                .iter()
                .flat_map(Op::binds)
                .filter(|&s| used_from(seg.start, s))
                .collect();
            bound.sort_unstable();
            bound.dedup();
            for pc in seg.clone() {
                if let Op::Let { slot, .. } = &plan.ops[pc] {
                    if used_from(pc + 1, *slot) && !bound.contains(slot) {
                        bound.push(*slot);
                    }
                }
            }
            bound
        })
        .collect()
}

struct Emitter<'a> {
    program: &'a Program,
    plan: &'a Plan,
    /// The plan's function; segment `k`'s is `{name}_{k}`.
    name: &'a str,
    layouts: &'a [Vec<u32>],
    /// The segment being written.
    k: usize,
    /// How each register is written at the current point (`b[i]`, a word of the binding,
    /// or `v<slot>`, a local).
    names: Vec<Option<String>>,
    out: String,
    temps: usize,
    /// What a binding whose expression has no result does (`return false` in a `retain`
    /// closure, `continue` in a loop).
    fail: &'static str,
}

fn range_name(r: Range) -> &'static str {
    match r {
        Range::Full => "Full",
        Range::Delta => "Delta",
        Range::Old => "Old",
    }
}

impl Emitter<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// The Rust text of an operand at the current point.
    fn opnd(&self, o: &Operand) -> String {
        match o {
            Operand::Slot(s) => self.names[*s as usize]
                .clone()
                .unwrap_or_else(|| panic!("register {s} is not bound here")),
            Operand::Const(w) => format!("{w}"),
        }
    }

    fn opnds(&self, ops: &[Operand]) -> String {
        ops.iter()
            .map(|o| self.opnd(o))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Names the registers of segment `k`'s bindings `b[i]`.
    fn name_binding(&mut self) {
        self.names = vec![None; self.plan.slots];
        for (i, &s) in self.layouts[self.k].iter().enumerate() {
            self.names[s as usize] = Some(format!("b[{i}]"));
        }
    }

    /// Segment `k`'s function: its tests and bindings over the whole batch, one op at a time
    /// (a lookup's slots prefetched for every binding before any is probed), then its read,
    /// whose rows extend the bindings into the next segment's batch, or the head.
    fn segment(&mut self, seg: std::ops::Range<usize>) {
        let k = self.k;
        let n = self.layouts.len();
        let params: Vec<String> = (k..n)
            .map(|j| format!("q{j}: &mut Vec<[u64; {}]>", self.layouts[j].len()))
            .collect();
        self.line(
            0,
            &format!(
                "\nfn {}_{k}(cx: &mut Cx<'_>, {}) {{",
                self.name,
                params.join(", ")
            ),
        );
        self.line(1, &format!("if q{k}.is_empty() {{ return; }}"));
        self.line(1, "let ix = cx.ix();");
        self.line(1, &format!("let mut batch = std::mem::take(q{k});"));
        self.name_binding();
        let last = seg.end;
        let terminal_read = k + 1 < n;
        let tests_end = if terminal_read { last - 1 } else { last };
        for pc in seg.start..tests_end {
            self.test(pc);
        }
        if terminal_read {
            self.read(last - 1);
        } else {
            self.head();
        }
        self.line(1, "batch.clear();");
        self.line(1, &format!("*q{k} = batch;"));
        self.line(0, "}");
    }

    /// A test or binding op over the batch.
    fn test(&mut self, pc: usize) {
        let plan = self.plan;
        match &plan.ops[pc] {
            Op::Probe { rel, args, range } => {
                let r = rel.0;
                let name = rel_name(self.program, *rel).to_string();
                let a = self.opnds(args);
                self.line(
                    1,
                    &format!("if cx.worth_prefetching({r}) {{ for b in &batch {{ cx.prefetch({r}, &[{a}]); }} }}"),
                );
                self.line(
                    1,
                    &format!(
                        "batch.retain(|b| cx.probe({r}, &[{a}], {}).is_some()); // {name}",
                        range_name(*range)
                    ),
                );
            }
            Op::Absent {
                rel,
                index,
                key,
                whole,
            } => {
                let r = rel.0;
                let name = rel_name(self.program, *rel).to_string();
                let a = self.opnds(key);
                if *whole {
                    self.line(
                        1,
                        &format!("if cx.worth_prefetching({r}) {{ for b in &batch {{ cx.prefetch({r}, &[{a}]); }} }}"),
                    );
                    self.line(
                        1,
                        &format!("batch.retain(|b| !cx.contains({r}, &[{a}])); // !{name}"),
                    );
                } else if let Some(i) = index {
                    self.line(
                        1,
                        &format!("if ix.worth_prefetching({r}, {i}) {{ for b in &batch {{ ix.prefetch({r}, {i}, &[{a}]); }} }}"),
                    );
                    self.line(
                        1,
                        &format!("batch.retain(|b| !ix.any(cx, {r}, {i}, &[{a}])); // !{name}"),
                    );
                } else {
                    self.line(
                        1,
                        &format!("if cx.nonempty({r}) {{ batch.clear(); }} // !{name}"),
                    );
                }
            }
            Op::Filter { op, lhs, rhs, ty } => {
                self.line(1, "batch.retain_mut(|b| {");
                self.fail = "return false";
                let a = self.expr(lhs, 2);
                let b = self.expr(rhs, 2);
                let test = match (op, ty) {
                    (CmpOp::Eq, _) => format!("{a} == {b}"),
                    (CmpOp::Ne, _) => format!("{a} != {b}"),
                    (_, Type::Symbol) => format!("cx.cmp_sym(CmpOp::{op:?}, {a}, {b})"),
                    (_, Type::Number | Type::Date) => {
                        let sym = match op {
                            CmpOp::Lt => "<",
                            CmpOp::Le => "<=",
                            CmpOp::Gt => ">",
                            CmpOp::Ge => ">=",
                            CmpOp::Eq | CmpOp::Ne => unreachable!("handled above"),
                        };
                        format!("({a} as i64) {sym} ({b} as i64)")
                    }
                };
                self.line(2, &test);
                self.line(1, "});");
            }
            Op::Let { slot, expr } => {
                self.line(1, "batch.retain_mut(|b| {");
                self.fail = "return false";
                let v = self.expr(expr, 2);
                let at = self.layouts[self.k].iter().position(|s| s == slot);
                match at {
                    Some(i) => self.line(2, &format!("b[{i}] = {v};")),
                    None => self.line(2, &format!("let _ = {v};")),
                }
                self.line(2, "true");
                self.line(1, "});");
            }
            Op::Read { .. } => unreachable!("a read ends its segment"),
        }
    }

    /// The read that ends segment `k`: its lookups' slots prefetched for the whole batch, then
    /// what they point to, then the rows of short lists (if the index has any); then each
    /// binding extended by each row it finds into the next segment's batch, which runs
    /// whenever it is full.
    fn read(&mut self, pc: usize) {
        let Op::Read {
            rel,
            index,
            key,
            range,
            checks,
            binds,
        } = &self.plan.ops[pc]
        else {
            unreachable!("a segment ends with a read");
        };
        let r = rel.0;
        let name = rel_name(self.program, *rel).to_string();
        let range = range_name(*range);
        let k = self.k;
        let next = k + 1;
        let n = self.layouts.len();
        // A read that binds and checks nothing only counts the rows of its key: it never reads
        // them, so it prefetches none (only the list of a key that has several).
        let reads_rows = !binds.is_empty() || !checks.is_empty();
        // The columns it reads, the first and the last: what it prefetches of a row.
        let (c0, c1) = read_cols(binds, checks);
        if reads_rows {
            self.line(1, &format!("let rw = cx.rows_worth_prefetching({r});"));
        } else {
            self.line(1, "let rw = false;");
        }
        let d = match index {
            Some(i) => {
                let a = self.opnds(key);
                self.line(1, &format!("if ix.worth_prefetching({r}, {i}) {{"));
                self.line(
                    2,
                    &format!("for b in &batch {{ ix.prefetch({r}, {i}, &[{a}]); }}"),
                );
                if reads_rows {
                    self.line(
                        2,
                        &format!("for b in &batch {{ ix.prefetch_rows(cx, {r}, {i}, &[{a}], {c0}, {c1}); }}"),
                    );
                } else {
                    self.line(
                        2,
                        &format!("if ix.has_lists({r}, {i}) {{ for b in &batch {{ ix.prefetch_list({r}, {i}, &[{a}]); }} }}"),
                    );
                }
                self.line(1, "}");
                if reads_rows {
                    self.line(
                    1,
                    &format!("if rw && ix.has_lists({r}, {i}) {{ for b in &batch {{ let l = ix.lookup(cx, {r}, {i}, &[{a}], {range}); if l.len() > 1 {{ for &n in &l[..l.len().min(SHORT_LIST)] {{ cx.prefetch_row({r}, n, {c0}, {c1}); }} }} }} }}"),
                );
                }
                self.line(1, "for b in &batch {");
                self.line(
                    2,
                    &format!("let l = ix.lookup(cx, {r}, {i}, &[{a}], {range}); // {name}"),
                );
                self.line(2, "for (i, &row) in l.iter().enumerate() {");
                self.line(
                    3,
                    &format!("if rw {{ if let Some(&n) = l.get(i + SHORT_LIST) {{ cx.prefetch_row({r}, n, {c0}, {c1}); }} }}"),
                );
                3
            }
            None => {
                self.line(1, "for b in &batch {");
                self.line(
                    2,
                    &format!("for row in cx.bounds({r}, {range}) {{ // {name}"),
                );
                3
            }
        };
        for &(c, s) in binds {
            self.line(d, &format!("let v{s} = cx.get({r}, row, {c});"));
            self.names[s as usize] = Some(format!("v{s}"));
        }
        for (c, o) in checks {
            let o = self.opnd(o);
            self.line(
                d,
                &format!("if cx.get({r}, row, {c}) != {o} {{ continue; }}"),
            );
        }
        let words: Vec<String> = self.layouts[next]
            .iter()
            .map(|&s| self.names[s as usize].clone().unwrap_or_else(|| "0".into()))
            .collect();
        self.line(d, &format!("q{next}.push([{}]);", words.join(", ")));
        let args: Vec<String> = (next..n).map(|j| format!("q{j}")).collect();
        self.line(
            d,
            &format!(
                "if q{next}.len() >= BATCH {{ {}_{next}(cx, {}); }}",
                self.name,
                args.join(", ")
            ),
        );
        self.line(2, "}");
        self.line(1, "}");
    }

    /// The head over the batch: the slots of its tuples prefetched, then each derived.
    fn head(&mut self) {
        let plan = self.plan;
        let h = plan.head_rel.0;
        let simple: Option<Vec<String>> = plan
            .head
            .iter()
            .map(|e| match e {
                CExpr::Slot(s) => self.names[*s as usize].clone(),
                CExpr::Const(w) => Some(format!("{w}")),
                _ => None,
            })
            .collect();
        if let Some(words) = simple {
            let t = words.join(", ");
            self.line(
                1,
                &format!("if cx.worth_prefetching({h}) {{ for b in &batch {{ cx.prefetch({h}, &[{t}]); }} }}"),
            );
            self.line(1, &format!("for b in &batch {{ cx.derive({h}, &[{t}]); }}"));
            return;
        }
        self.line(1, "for b in &batch {");
        self.fail = "continue";
        let mut vals = Vec::new();
        for e in &plan.head {
            vals.push(self.expr(e, 2));
        }
        self.line(2, &format!("cx.derive({h}, &[{}]);", vals.join(", ")));
        self.line(1, "}");
    }

    /// An expression's value as Rust text of type `u64`; a function without a result leaves
    /// the current binding (`self.fail`, after a `let ... else`).
    fn expr(&mut self, e: &CExpr, d: usize) -> String {
        match e {
            CExpr::Slot(s) => self.opnd(&Operand::Slot(*s)),
            CExpr::Const(w) => format!("{w}"),
            CExpr::Neg(a) => {
                let a = self.expr(a, d);
                format!("(({a} as i64).wrapping_neg() as u64)")
            }
            CExpr::Bin(op, a, b) => {
                let a = self.expr(a, d);
                let b = self.expr(b, d);
                let t = self.temp();
                let fail = self.fail;
                self.line(
                    d,
                    &format!("let Some({t}) = cx.bin(BinOp::{op:?}, {a}, {b}) else {{ {fail}; }};"),
                );
                t
            }
            CExpr::Call(f, args) => {
                let mut parts = Vec::new();
                for (a, ty) in args {
                    let a = self.expr(a, d);
                    parts.push(format!("({a}, Type::{ty:?})"));
                }
                let t = self.temp();
                let fail = self.fail;
                self.line(
                    d,
                    &format!(
                        "let Some({t}) = cx.call(Builtin::{f:?}, &[{}]) else {{ {fail}; }};",
                        parts.join(", ")
                    ),
                );
                t
            }
        }
    }

    fn temp(&mut self) -> String {
        self.temps += 1;
        format!("t{}", self.temps)
    }
}
