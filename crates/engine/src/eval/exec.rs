//! Runs a [`Plan`] a batch of bindings at a time.
//!
//! The plan is cut into segments ([`Plan::segments`]): tests and bindings (probes, negations,
//! filters, lets), then a read, or the head at the end. Each segment has a queue of bindings
//! waiting for it; a read extends each binding of its batch by each row it finds into the next
//! segment's queue, which runs as soon as it holds [`BATCH`] bindings, and whatever is left
//! runs segment by segment when the first is done. Every step goes over its whole batch twice
//! or three times: first it prefetches what each binding will look up (an index slot, a whole
//! tuple's slot, the head tuple's slot), then what those slots point to, then it does the
//! lookups. So the memory accesses of a batch overlap instead of following one another, at
//! every step of a rule, not only the first (nested loops wait for each miss in turn).
//!
//! Order: each segment takes its queue in order and appends what it makes to the next queue
//! in order, so head tuples are derived in exactly the order nested loops would derive them
//! (by the rows of the first read, then of the second...). Row order, and with it provenance,
//! does not depend on the batch size. The generated code ([`super::native`]) runs its plans
//! the same way.
//!
//! Appending head tuples straight to the head relation is safe even when the rule reads its
//! own head relation: every read stops at the relation's `recent` mark (index lists are only
//! extended when a round ends, scans and probes are bounded by the range), so tuples appended
//! during the run are invisible to it, exactly as if they had been buffered and inserted
//! afterwards in the same order.

use std::ops::Range as Span;

use crate::value::Interner;

use super::limits::Watch;
use super::plan::{compare, eval_cexpr, CExpr, Op, Operand, Plan, Range};
use super::store::{Index, Row, Store, BATCH, SHORT_LIST};

pub(crate) struct Exec<'a> {
    plan: &'a Plan,
    stores: &'a mut [Store],
    indexes: &'a [Vec<Index>],
    interner: &'a mut Interner,
    /// The evaluation's bounds, checked once per batch.
    watch: &'a mut Watch,
    segs: Vec<Span<usize>>,
    /// Words per binding: the plan's registers (at least one, so that a plan without
    /// variables still counts its bindings).
    width: usize,
    /// Per segment, the bindings waiting for it, `width` words each.
    queues: Vec<Vec<u64>>,
    /// The head, when every argument is a register or a constant.
    head_words: Option<Vec<Operand>>,
    head: Vec<u64>,
    /// The key of the lookup being made.
    key: Vec<u64>,
    /// Head tuples produced, before deduplication.
    pub fired: u64,
}

#[inline(always)]
fn operand(regs: &[u64], o: Operand) -> u64 {
    match o {
        Operand::Slot(s) => regs[s as usize],
        Operand::Const(w) => w,
    }
}

/// Fills `out` with `ops` for the binding `regs`.
#[inline(always)]
fn fill(out: &mut Vec<u64>, ops: &[Operand], regs: &[u64]) {
    out.clear();
    out.extend(ops.iter().map(|&o| operand(regs, o)));
}

impl<'a> Exec<'a> {
    pub fn new(
        plan: &'a Plan,
        stores: &'a mut [Store],
        indexes: &'a [Vec<Index>],
        interner: &'a mut Interner,
        watch: &'a mut Watch,
    ) -> Self {
        let segs = plan.segments();
        let head_words = plan
            .head
            .iter()
            .map(|e| match e {
                CExpr::Slot(s) => Some(Operand::Slot(*s)),
                CExpr::Const(w) => Some(Operand::Const(*w)),
                _ => None,
            })
            .collect();
        Exec {
            plan,
            stores,
            indexes,
            interner,
            watch,
            queues: vec![Vec::new(); segs.len()],
            segs,
            width: plan.slots.max(1),
            head_words,
            head: vec![0; plan.head.len()],
            key: Vec::new(),
            fired: 0,
        }
    }

    pub fn run(&mut self) {
        self.queues[0] = vec![0; self.width];
        for k in 0..self.segs.len() {
            self.segment(k);
        }
    }

    /// Runs segment `k` on the bindings waiting for it (unless a bound of the evaluation is
    /// reached: then every segment returns at once).
    fn segment(&mut self, k: usize) {
        if self.queues[k].is_empty() || self.watch.halt(self.stores, self.interner.is_full()) {
            return;
        }
        let mut batch = std::mem::take(&mut self.queues[k]);
        let seg = self.segs[k].clone();
        let last = k + 1 == self.segs.len();
        let tests = if last {
            seg.clone()
        } else {
            seg.start..seg.end - 1
        };
        for pc in tests {
            self.test(pc, &mut batch);
        }
        if last {
            self.head(&batch);
        } else {
            self.read(seg.end - 1, &batch, k + 1);
        }
        batch.clear();
        self.queues[k] = batch;
    }

    /// Keeps the bindings of `batch` for which `keep` holds (which may also write them), in
    /// order.
    fn retain(
        &mut self,
        batch: &mut Vec<u64>,
        mut keep: impl FnMut(&mut Self, &mut [u64]) -> bool,
    ) {
        let w = self.width;
        let mut kept = 0;
        for i in 0..batch.len() / w {
            if keep(self, &mut batch[i * w..(i + 1) * w]) {
                if kept != i {
                    batch.copy_within(i * w..(i + 1) * w, kept * w);
                }
                kept += 1;
            }
        }
        batch.truncate(kept * w);
    }

    /// A test or binding op over the batch: its slots prefetched for every binding, then
    /// each binding tested.
    fn test(&mut self, pc: usize, batch: &mut Vec<u64>) {
        let plan = self.plan;
        let w = self.width;
        match &plan.ops[pc] {
            Op::Probe { rel, args, range } => {
                let rel = rel.0 as usize;
                if self.stores[rel].worth_prefetching() {
                    for regs in batch.chunks_exact(w) {
                        fill(&mut self.key, args, regs);
                        self.stores[rel].prefetch(&self.key);
                    }
                }
                let range = *range;
                self.retain(batch, |ex, regs| {
                    let store = &ex.stores[rel];
                    let found = store.find_with(|i| operand(regs, args[i]));
                    let (lo, hi) = bounds(range, store);
                    found.is_some_and(|r| (lo..hi).contains(&(r as usize)))
                });
            }
            Op::Absent {
                rel,
                index,
                key,
                whole,
            } => {
                let rel = rel.0 as usize;
                if *whole {
                    if self.stores[rel].worth_prefetching() {
                        for regs in batch.chunks_exact(w) {
                            fill(&mut self.key, key, regs);
                            self.stores[rel].prefetch(&self.key);
                        }
                    }
                    self.retain(batch, |ex, regs| {
                        let store = &ex.stores[rel];
                        store
                            .find_with(|i| operand(regs, key[i]))
                            .is_none_or(|r| (r as usize) >= store.recent)
                    });
                } else if let Some(ix) = *index {
                    let index = &self.indexes[rel][ix];
                    if index.worth_prefetching() {
                        for regs in batch.chunks_exact(w) {
                            fill(&mut self.key, key, regs);
                            index.prefetch(&self.key);
                        }
                    }
                    self.retain(batch, |ex, regs| {
                        fill(&mut ex.key, key, regs);
                        ex.indexes[rel][ix]
                            .lookup(&ex.stores[rel], &ex.key)
                            .is_empty()
                    });
                } else if self.stores[rel].recent > 0 {
                    batch.clear();
                }
            }
            Op::Filter { op, lhs, rhs, ty } => {
                let (op, ty) = (*op, *ty);
                self.retain(batch, |ex, regs| {
                    let (Some(a), Some(b)) = (
                        eval_cexpr(lhs, regs, ex.interner),
                        eval_cexpr(rhs, regs, ex.interner),
                    ) else {
                        return false;
                    };
                    compare(op, ty, a, b, ex.interner)
                });
            }
            Op::Let { slot, expr } => {
                let slot = *slot as usize;
                self.retain(batch, |ex, regs| {
                    match eval_cexpr(expr, regs, ex.interner) {
                        Some(v) => {
                            regs[slot] = v;
                            true
                        }
                        None => false,
                    }
                });
            }
            Op::Read { .. } => unreachable!("a read ends its segment"),
        }
    }

    /// The read that ends a segment: its lookups' slots prefetched for the whole batch, then
    /// what they point to, then the rows of short lists (if the index has any); then each
    /// binding extended by each row it finds into the queue of segment `next`, which runs
    /// whenever it is full.
    fn read(&mut self, pc: usize, batch: &[u64], next: usize) {
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
        let w = self.width;
        let rel = rel.0 as usize;
        let indexes = self.indexes;
        // A read that binds and checks nothing only counts the rows of its key: it never
        // reads them, so it prefetches none (only the list of a key that has several).
        let reads_rows = !binds.is_empty() || !checks.is_empty();
        let rw = reads_rows && self.stores[rel].rows_worth_prefetching();
        let cols = super::plan::read_cols(binds, checks);
        match *index {
            Some(ix) => {
                let index = &indexes[rel][ix];
                if index.worth_prefetching() {
                    for regs in batch.chunks_exact(w) {
                        fill(&mut self.key, key, regs);
                        index.prefetch(&self.key);
                    }
                    if reads_rows {
                        for regs in batch.chunks_exact(w) {
                            fill(&mut self.key, key, regs);
                            index.prefetch_rows(&self.stores[rel], &self.key, cols);
                        }
                    } else if index.has_lists() {
                        for regs in batch.chunks_exact(w) {
                            fill(&mut self.key, key, regs);
                            index.prefetch_list(&self.key);
                        }
                    }
                }
                if rw && index.has_lists() {
                    for regs in batch.chunks_exact(w) {
                        fill(&mut self.key, key, regs);
                        let rows = index.lookup(&self.stores[rel], &self.key);
                        if rows.len() > 1 {
                            for &n in &rows[..rows.len().min(SHORT_LIST)] {
                                self.stores[rel].prefetch_row(n as usize, cols);
                            }
                        }
                    }
                }
                for regs in batch.chunks_exact(w) {
                    fill(&mut self.key, key, regs);
                    let store = &self.stores[rel];
                    let rows = restrict(index.lookup(store, &self.key), *range, store);
                    for (i, &r) in rows.iter().enumerate() {
                        if rw {
                            if let Some(&n) = rows.get(i + SHORT_LIST) {
                                self.stores[rel].prefetch_row(n as usize, cols);
                            }
                        }
                        if !self.extend(regs, rel, r, binds, checks, next) {
                            return;
                        }
                    }
                }
            }
            None => {
                for regs in batch.chunks_exact(w) {
                    let (lo, hi) = bounds(*range, &self.stores[rel]);
                    for r in lo..hi {
                        if !self.extend(regs, rel, r as Row, binds, checks, next) {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Appends binding `regs` extended by row `r` of `rel` (its `binds`, if it passes its
    /// `checks`) to the queue of segment `next`, and runs that segment when its batch is full;
    /// `false` when a bound of the evaluation was reached (the read stops).
    #[inline(always)]
    fn extend(
        &mut self,
        regs: &[u64],
        rel: usize,
        r: Row,
        binds: &[(usize, u32)],
        checks: &[(usize, Operand)],
        next: usize,
    ) -> bool {
        let w = self.width;
        let store = &self.stores[rel];
        let q = &mut self.queues[next];
        let at = q.len();
        q.extend_from_slice(regs);
        let new = &mut q[at..];
        for &(c, s) in binds {
            new[s as usize] = store.get(r as usize, c);
        }
        for &(c, o) in checks {
            if store.get(r as usize, c) != operand(new, o) {
                q.truncate(at);
                return true;
            }
        }
        if q.len() >= BATCH * w {
            self.segment(next);
            return self.watch.stopped.is_none();
        }
        true
    }

    /// The head over the batch: the slots of its tuples prefetched, then each derived.
    fn head(&mut self, batch: &[u64]) {
        let plan = self.plan;
        let w = self.width;
        let h = plan.head_rel.0 as usize;
        let Some(words) = self.head_words.take() else {
            'bindings: for regs in batch.chunks_exact(w) {
                for (i, e) in plan.head.iter().enumerate() {
                    match eval_cexpr(e, regs, self.interner) {
                        Some(v) => self.head[i] = v,
                        None => continue 'bindings,
                    }
                }
                self.fired += 1;
                self.stores[h].insert(&self.head);
            }
            return;
        };
        if self.stores[h].worth_prefetching() {
            for regs in batch.chunks_exact(w) {
                fill(&mut self.key, &words, regs);
                self.stores[h].prefetch(&self.key);
            }
        }
        match self.head.len() {
            1 => self.derive::<1>(batch, &words),
            2 => self.derive::<2>(batch, &words),
            3 => self.derive::<3>(batch, &words),
            _ => {
                for regs in batch.chunks_exact(w) {
                    fill(&mut self.head, &words, regs);
                    self.fired += 1;
                    self.stores[h].insert(&self.head);
                }
            }
        }
        self.head_words = Some(words);
    }

    /// Derives the head tuple of arity `N` of every binding of `batch`: a local array, so
    /// that the insertion is compiled for that arity.
    #[inline(always)]
    fn derive<const N: usize>(&mut self, batch: &[u64], words: &[Operand]) {
        let h = self.plan.head_rel.0 as usize;
        let store = &mut self.stores[h];
        for regs in batch.chunks_exact(self.width) {
            let t: [u64; N] = std::array::from_fn(|i| operand(regs, words[i]));
            store.insert(&t);
        }
        self.fired += (batch.len() / self.width) as u64;
    }
}

/// The row-number interval a range covers (the interpreter's and generated code's).
#[inline(always)]
pub(crate) fn bounds(range: Range, store: &Store) -> (usize, usize) {
    match range {
        Range::Full => (0, store.recent),
        Range::Delta => (store.stable, store.recent),
        Range::Old => (0, store.stable),
    }
}

/// Index lists are sorted by row number, so a range is a sub-slice.
#[inline(always)]
pub(crate) fn restrict<'r>(rows: &'r [Row], range: Range, store: &Store) -> &'r [Row] {
    match range {
        Range::Full => rows,
        Range::Delta => &rows[rows.partition_point(|&r| (r as usize) < store.stable)..],
        Range::Old => &rows[..rows.partition_point(|&r| (r as usize) < store.stable)],
    }
}
