//! Compiled evaluation: the interpreter's plans turned into Rust.
//!
//! [`generate`] plans every rule as the interpreter does ([`super::plan`], join order from
//! [`crate::ir::order`]), but with statistics recorded from a sample run instead of the
//! relations' live sizes, and writes each plan as a Rust function: the plan's operations
//! become nested `for` loops over index lookups and scans, `if`s for lookups, negations and
//! comparisons, and one insertion of the head tuple, with every relation, column, index and
//! constant a literal. [`evaluate_native`] runs such functions with the interpreter's own
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
use super::plan::{compare, Ahead, AheadWord, CExpr, IndexAlloc, Op, Operand, Plan, Stage};
use super::store::{Index, Row, Store, PREFETCH_AHEAD, PREFETCH_CHAIN_AHEAD, PREFETCH_ROWS_AHEAD};
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

    /// Whether lookups in index `ix` of `rel` are worth prefetching (the engine's
    /// `Index::worth_prefetching`: a table larger than a core's L2 cache).
    #[inline(always)]
    pub fn worth_prefetching(self, rel: u32, ix: usize) -> bool {
        self.0[rel as usize][ix].worth_prefetching()
    }

    /// Starts loading the row (or list of rows) of `key` in index `ix` of `rel`, whose slot
    /// was prefetched a few rows before.
    #[inline(always)]
    pub fn prefetch_rows(self, cx: &Cx<'_>, rel: u32, ix: usize, key: &[u64]) {
        self.0[rel as usize][ix].prefetch_rows(&cx.stores[rel as usize], key)
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

    /// Starts loading row `row` of `rel` into the cache.
    #[inline(always)]
    pub fn prefetch_row(&self, rel: u32, row: Row) {
        self.stores[rel as usize].prefetch_row(row as usize)
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
         use ::sphere_engine::eval::native::{{\n    BinOp, Builtin, CmpOp, Cx, NativePlan, NativeProgram, NativeStratum, Range::{{Delta, Full, Old}}, Type,\n}};\n\n\
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
    let _ = writeln!(
        out,
        "\n/// Rule `{}` ({}{}).\nfn {name}(cx: &mut Cx<'_>) {{\n    let ix = cx.ix();",
        rule.id,
        rel_name(program, plan.head_rel),
        if stratum.recursive {
            ", recursive stratum"
        } else {
            ""
        }
    );
    let mut e = Emitter {
        program,
        plan,
        out: String::new(),
        temps: 0,
        loops: 0,
    };
    e.ops(0, 1);
    out.push_str(&e.out);
    out.push_str("}\n");
}

struct Emitter<'a> {
    program: &'a Program,
    plan: &'a Plan,
    out: String,
    temps: usize,
    /// Loops open around the current point: a failed test continues the innermost one, or
    /// returns when there is none.
    loops: usize,
}

fn operand(o: &Operand) -> String {
    match o {
        Operand::Slot(s) => format!("v{s}"),
        Operand::Const(w) => format!("{w}"),
    }
}

/// Whether the table `a` looks up is worth prefetching for, asked once before a read's loop.
fn worth_call(a: &Ahead) -> String {
    match a.index {
        Some(i) => format!("ix.worth_prefetching({}, {i})", a.rel.0),
        None => format!("cx.worth_prefetching({})", a.rel.0),
    }
}

/// The prefetch of `a`'s slot for row `n` of relation `r` (the row read), or with `rows`, of
/// the rows that slot points to (an index's only). Along a chain ([`Ahead::via`], `ahead`
/// the read's list), the words from the earlier lookup's first row are read from row `m`.
fn prefetch_call(r: u32, ahead: &[Ahead], a: &Ahead, rows: bool) -> String {
    let key = |a: &Ahead, via: Option<u32>| -> String {
        let words: Vec<String> = a
            .key
            .iter()
            .map(|w| match (w, via) {
                (AheadWord::Col(c), _) => format!("cx.get({r}, n, {c})"),
                (AheadWord::Fixed(o), _) => operand(o),
                (AheadWord::Via(c), Some(v)) => format!("cx.get({v}, m, {c})"),
                (AheadWord::Via(_), None) => unreachable!("a chain's words come from its lookup"),
            })
            .collect();
        words.join(", ")
    };
    let via = a.via.map(|v| &ahead[v]);
    let k = key(a, via.map(|v| v.rel.0));
    let call = match a.index {
        Some(i) if rows => format!("ix.prefetch_rows(cx, {}, {i}, &[{k}]);", a.rel.0),
        Some(i) => format!("ix.prefetch({}, {i}, &[{k}]);", a.rel.0),
        None => format!("cx.prefetch({}, &[{k}]);", a.rel.0),
    };
    match via {
        None => call,
        Some(v) => format!(
            "if let Some(&m) = ix.lookup(cx, {}, {}, &[{}], Full).first() {{ {call} }}",
            v.rel.0,
            v.index.expect("a chain starts at an index lookup"),
            key(v, None)
        ),
    }
}

fn list(ops: &[Operand]) -> String {
    ops.iter().map(operand).collect::<Vec<_>>().join(", ")
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

    fn fail(&self) -> &'static str {
        if self.loops > 0 {
            "continue"
        } else {
            "return"
        }
    }

    /// Writes ops `pc..` at indentation `d`, then the head.
    fn ops(&mut self, pc: usize, d: usize) {
        let plan = self.plan;
        let Some(op) = plan.ops.get(pc) else {
            self.head(d);
            return;
        };
        match op {
            Op::Read {
                rel,
                index,
                key,
                range,
                checks,
                binds,
                prem,
            } => {
                let r = rel.0;
                let name = rel_name(self.program, *rel).to_string();
                let range = range_name(*range);
                // For each later lookup whose key the row read gives (and the head tuple, see
                // `Plan::ahead`), the loop prefetches that key's slot for the row
                // `PREFETCH_AHEAD` ahead (and, reading an index's list of rows, whose rows are
                // scattered, the row twice as far ahead, whose columns it will then read). A
                // short list is prefetched up front, stage by stage.
                let ahead = &plan.ahead[pc];
                let n = PREFETCH_AHEAD;
                // A flag per lookup ahead, set before the loop; the head relation's own table
                // grows as the loop derives, so whether it is worth prefetching is asked row by
                // row.
                let flags: Vec<String> = ahead
                    .iter()
                    .enumerate()
                    .map(|(k, a)| {
                        if a.grows {
                            worth_call(a)
                        } else {
                            format!("p{prem}_{k}")
                        }
                    })
                    .collect();
                match index {
                    Some(i) if ahead.is_empty() => self.line(
                        d,
                        &format!(
                            "for &r{prem} in ix.lookup(cx, {r}, {i}, &[{}], {range}) {{ // {name}",
                            list(key)
                        ),
                    ),
                    None if ahead.is_empty() => self.line(
                        d,
                        &format!("for r{prem} in cx.bounds({r}, {range}) {{ // {name}"),
                    ),
                    Some(i) => {
                        self.line(
                            d,
                            &format!(
                                "let l{prem} = ix.lookup(cx, {r}, {i}, &[{}], {range}); // {name}",
                                list(key)
                            ),
                        );
                        for (a, f) in ahead.iter().zip(&flags) {
                            if !a.grows {
                                self.line(d, &format!("let {f} = {};", worth_call(a)));
                            }
                        }
                        self.line(d, &format!("let p{prem} = {};", flags.join(" || ")));
                        self.line(
                            d,
                            &format!(
                                "if p{prem} && l{prem}.len() > 1 && l{prem}.len() <= {} {{",
                                2 * n
                            ),
                        );
                        self.line(
                            d + 1,
                            &format!("if cx.rows_worth_prefetching({r}) {{ for &n in l{prem} {{ cx.prefetch_row({r}, n); }} }}"),
                        );
                        for stage in Stage::ALL {
                            for (a, f) in ahead.iter().zip(&flags) {
                                if !stage.takes(a) {
                                    continue;
                                }
                                self.line(
                                    d + 1,
                                    &format!(
                                        "if {f} {{ for &n in l{prem} {{ {} }} }}",
                                        prefetch_call(r, ahead, a, stage.rows())
                                    ),
                                );
                            }
                        }
                        self.line(d, "}");
                        self.line(
                            d,
                            &format!("for (i{prem}, &r{prem}) in l{prem}.iter().enumerate() {{"),
                        );
                        self.line(
                            d + 1,
                            &format!(
                                "if p{prem} {{ if let Some(&n) = l{prem}.get(i{prem} + {}) {{ cx.prefetch_row({r}, n); }} }}",
                                2 * n
                            ),
                        );
                        for (a, f) in ahead.iter().zip(&flags) {
                            self.prefetches(d + 1, r, ahead, a, |k, pf| {
                                format!(
                                    "if {f} {{ if let Some(&n) = l{prem}.get(i{prem} + {k}) {{ {pf} }} }}"
                                )
                            });
                        }
                    }
                    None => {
                        self.line(
                            d,
                            &format!("let b{prem} = cx.bounds({r}, {range}); // {name}"),
                        );
                        for (a, f) in ahead.iter().zip(&flags) {
                            if !a.grows {
                                self.line(d, &format!("let {f} = {};", worth_call(a)));
                            }
                        }
                        self.line(d, &format!("for r{prem} in b{prem}.clone() {{"));
                        for (a, f) in ahead.iter().zip(&flags) {
                            self.prefetches(d + 1, r, ahead, a, |k, pf| {
                                format!(
                                    "if {f} && r{prem} + {k} < b{prem}.end {{ let n = r{prem} + {k}; {pf} }}"
                                )
                            });
                        }
                    }
                }
                for (c, s) in binds {
                    self.line(d + 1, &format!("let v{s} = cx.get({r}, r{prem}, {c});"));
                }
                for (c, o) in checks {
                    self.line(
                        d + 1,
                        &format!(
                            "if cx.get({r}, r{prem}, {c}) != {} {{ continue; }}",
                            operand(o)
                        ),
                    );
                }
                self.loops += 1;
                self.ops(pc + 1, d + 1);
                self.loops -= 1;
                self.line(d, "}");
            }
            Op::Probe { rel, args, range } => {
                let name = rel_name(self.program, *rel).to_string();
                self.line(
                    d,
                    &format!(
                        "if cx.probe({}, &[{}], {}).is_some() {{ // {name}",
                        rel.0,
                        list(args),
                        range_name(*range)
                    ),
                );
                self.ops(pc + 1, d + 1);
                self.line(d, "}");
            }
            Op::Absent {
                rel,
                index,
                key,
                whole,
            } => {
                let name = rel_name(self.program, *rel).to_string();
                let r = rel.0;
                let present = if *whole {
                    format!("cx.contains({r}, &[{}])", list(key))
                } else if let Some(i) = index {
                    format!("ix.any(cx, {r}, {i}, &[{}])", list(key))
                } else {
                    format!("cx.nonempty({r})")
                };
                self.line(d, &format!("if !{present} {{ // !{name}"));
                self.ops(pc + 1, d + 1);
                self.line(d, "}");
            }
            Op::Filter { op, lhs, rhs, ty } => {
                let a = self.expr(lhs, d);
                let b = self.expr(rhs, d);
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
                self.line(d, &format!("if {test} {{"));
                self.ops(pc + 1, d + 1);
                self.line(d, "}");
            }
            Op::Let { slot, expr } => {
                let v = self.expr(expr, d);
                self.line(d, &format!("let v{slot} = {v};"));
                self.ops(pc + 1, d);
            }
        }
    }

    /// An expression's value as Rust text of type `u64`; a function without a result leaves
    /// the current binding (a `let ... else` before it).
    fn expr(&mut self, e: &CExpr, d: usize) -> String {
        match e {
            CExpr::Slot(s) => format!("v{s}"),
            CExpr::Const(w) => format!("{w}"),
            CExpr::Neg(a) => {
                let a = self.expr(a, d);
                format!("(({a} as i64).wrapping_neg() as u64)")
            }
            CExpr::Bin(op, a, b) => {
                let a = self.expr(a, d);
                let b = self.expr(b, d);
                let t = self.temp();
                let fail = self.fail();
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
                let fail = self.fail();
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

    /// The prefetches at the top of a read's loop for `a` (of the read's list `ahead`): the
    /// slot for the row `PREFETCH_AHEAD` ahead and, for an index, what the slot points to for
    /// the row `PREFETCH_ROWS_AHEAD` ahead; along a chain, the slot for the row
    /// `PREFETCH_CHAIN_AHEAD` ahead. `at(k, call)` wraps `call` (reading row `n`) in the test
    /// that row `k` ahead exists.
    fn prefetches(
        &mut self,
        d: usize,
        r: u32,
        ahead: &[Ahead],
        a: &Ahead,
        at: impl Fn(usize, &str) -> String,
    ) {
        if a.via.is_some() {
            self.line(
                d,
                &at(PREFETCH_CHAIN_AHEAD, &prefetch_call(r, ahead, a, false)),
            );
            return;
        }
        self.line(d, &at(PREFETCH_AHEAD, &prefetch_call(r, ahead, a, false)));
        if a.index.is_some() {
            self.line(
                d,
                &at(PREFETCH_ROWS_AHEAD, &prefetch_call(r, ahead, a, true)),
            );
        }
    }

    fn temp(&mut self) -> String {
        self.temps += 1;
        format!("t{}", self.temps)
    }

    fn head(&mut self, d: usize) {
        let plan = self.plan;
        let mut vals = Vec::new();
        for e in &plan.head {
            vals.push(self.expr(e, d));
        }
        let h = plan.head_rel.0;
        self.line(d, &format!("cx.derive({h}, &[{}]);", vals.join(", ")));
    }
}
