//! The runtime half of compiled evaluation: what code generated from the interpreter's plans
//! (by `sphere-codegen`'s `native::generate`) is made of and calls.
//!
//! A generated module declares a [`NativeProgram`]: per stratum the indexes its plans look up
//! and one function per plan, which runs the plan a batch of bindings at a time exactly as
//! [`super::exec`] does, touching the evaluation only through [`Cx`] (rows, index lookups
//! restricted to a semi-naive range, probes, prefetches, insertion, symbol order, arithmetic
//! and built-ins through [`crate::builtins`]). [`super::evaluate_native`] runs those functions
//! with the interpreter's own driver (strata, semi-naive rounds, stores, indexes, provenance
//! recorded at insertion): the two evaluators differ only in who executes a plan,
//! [`super::exec`] or generated code. So they agree by construction on results and
//! provenance, and explanations of a compiled run are those of an interpreted one.
//!
//! Invariant: generated code runs only on the program it was generated from: the digest of
//! the resolved program and its interned symbols ([`program_digest`]) is checked before any
//! generated function runs, and the indexes the code looks up are created, and their numbers
//! checked, when its stratum starts.

use crate::ir::{dump, Program};
use crate::value::{Interner, Value};

use super::exec::{bounds, restrict};
use super::limits::Watch;
use super::plan::compare;
use super::store::{Index, Row, Store};
pub use super::store::{BATCH, SHORT_LIST};
use super::EvalError;

pub use super::plan::Range;
pub use crate::ir::{BinOp, Builtin, CmpOp};
pub use crate::value::Type;
/// A generated program, as the generated module declares it.
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
        return Err(EvalError::internal(format!(
                "the compiled program was generated from a different version of {} (digest {:016x}, this program {digest:016x})",
                code.source, code.digest
        )));
    }
    Ok(())
}

/// What a generated plan works on: the evaluation's relations (read and appended to), its
/// indexes (read only while a plan runs) and interner.
pub struct Cx<'a> {
    stores: &'a mut [Store],
    indexes: &'a [Vec<Index>],
    interner: &'a mut Interner,
    watch: &'a mut Watch,
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
    /// The check of the evaluation's bounds, once per batch (at the start of every segment
    /// function): `true` when the plan must stop, and then every segment returns at once.
    #[inline]
    pub fn halt(&mut self) -> bool {
        self.watch.halt(self.stores, self.interner.is_full())
    }

    /// Whether a bound was reached (after a segment ran a batch of the next).
    #[inline(always)]
    pub fn halted(&self) -> bool {
        self.watch.stopped.is_some()
    }

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

    /// Unary minus; `None` where it has no result (the negation of the smallest number).
    #[inline]
    pub fn neg(&self, a: u64) -> Option<u64> {
        crate::builtins::neg(a as i64).map(|n| n as u64)
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
        watch: &'a mut Watch,
    ) -> Self {
        Cx {
            stores,
            indexes,
            interner,
            watch,
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
            return Err(EvalError::internal(format!(
                "generated code reads relation {rel}, which the program lacks"
            )));
        };
        let got = store.ensure_index(ixs, cols);
        if got != pos {
            return Err(EvalError::internal(format!(
                    "generated code expects index {pos} of relation {rel} on columns {cols:?}, the evaluation numbered it {got}"
            )));
        }
    }
    Ok(())
}
