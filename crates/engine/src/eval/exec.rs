//! Runs a [`Plan`]: nested loops over index lookups, appending head tuples straight to the head
//! relation. That is safe even when the rule reads its own head relation: every read stops at
//! the relation's `recent` mark (index lists are only extended when a round ends, scans and
//! probes are bounded by the range), so tuples appended during the run are invisible to it,
//! exactly as if they had been buffered and inserted afterwards in the same order.

use crate::value::Interner;

use super::plan::{
    compare, eval_cexpr, Ahead, AheadWord, CExpr, Op, Operand, Plan, Range, Stage, Tail, TailWord,
};
use super::store::{Index, Row, Store, PREFETCH_AHEAD, PREFETCH_CHAIN_AHEAD, PREFETCH_ROWS_AHEAD};

pub(crate) struct Exec<'a> {
    plan: &'a Plan,
    stores: &'a mut [Store],
    indexes: &'a [Vec<Index>],
    interner: &'a mut Interner,
    regs: Vec<u64>,
    head: Vec<u64>,
    /// The key of the index lookup being made.
    key: Vec<u64>,
    /// Head tuples produced, before deduplication.
    pub fired: u64,
    /// The plan's last op when it is a read with a [`Tail`], taken apart once.
    last: Option<LastRead<'a>>,
    /// The key of a prefetch for the lookup after a read (see [`Plan::ahead`]).
    ahead_key: Vec<u64>,
}

/// The last op of a plan, a read with a [`Tail`]: what [`Exec::read_tail`] needs, read off the
/// plan once instead of once per row of the read before it.
#[derive(Clone, Copy)]
struct LastRead<'a> {
    pc: usize,
    rel: usize,
    index: Option<usize>,
    key: &'a [Operand],
    range: Range,
    tail: &'a Tail,
}

#[inline]
fn operand(regs: &[u64], o: Operand) -> u64 {
    match o {
        Operand::Slot(s) => regs[s as usize],
        Operand::Const(w) => w,
    }
}

impl<'a> Exec<'a> {
    pub fn new(
        plan: &'a Plan,
        stores: &'a mut [Store],
        indexes: &'a [Vec<Index>],
        interner: &'a mut Interner,
    ) -> Self {
        Exec {
            plan,
            stores,
            indexes,
            interner,
            regs: vec![0; plan.slots],
            head: vec![0; plan.head.len()],
            key: vec![0; plan.ops.iter().map(Op::key_len).max().unwrap_or(0)],
            fired: 0,
            last: match (&plan.tail, plan.ops.last()) {
                (
                    Some(tail),
                    Some(Op::Read {
                        rel,
                        index,
                        key,
                        range,
                        ..
                    }),
                ) => Some(LastRead {
                    pc: plan.ops.len() - 1,
                    rel: rel.0 as usize,
                    index: *index,
                    key,
                    range: *range,
                    tail,
                }),
                _ => None,
            },
            ahead_key: Vec::new(),
        }
    }

    /// Which of the read at `pc`'s lookups ahead ([`Plan::ahead`]) probe a table large enough
    /// to prefetch for: bit `k` for the `k`th. The head relation's own tuples (the derivations the loop makes) are in `.1` when not
    /// worth it yet: that table grows as the loop runs, so it is asked again row by row
    /// ([`Exec::on`]).
    fn live_aheads(&self, pc: usize) -> (u32, u32) {
        let (mut live, mut grows) = (0, 0);
        for (k, a) in self.plan.ahead[pc].iter().enumerate() {
            if self.worth_prefetching(a) {
                live |= 1 << k;
            } else if a.grows {
                grows |= 1 << k;
            }
        }
        (live, grows)
    }

    /// Whether to prefetch for the `k`th lookup ahead, `a` ([`Exec::live_aheads`]).
    #[inline(always)]
    fn on(&self, k: usize, a: &Ahead, (live, grows): (u32, u32)) -> bool {
        live & 1 << k != 0 || (grows & 1 << k != 0 && self.worth_prefetching(a))
    }

    /// Whether the table `a` looks up is large enough to prefetch for (`Store::worth_prefetching`).
    fn worth_prefetching(&self, a: &Ahead) -> bool {
        let target = a.rel.0 as usize;
        match a.index {
            Some(ix) => self.indexes[target][ix].worth_prefetching(),
            None => self.stores[target].worth_prefetching(),
        }
    }

    /// Prefetches the slot that the op after a read will look up for row `r` of `rel`, the
    /// relation read (see [`Plan::ahead`]); with `rows`, what that slot points to (an index's
    /// only: see [`Index::prefetch_rows`]). Along a chain ([`Ahead::via`], `aheads` the read's
    /// list), the words [`AheadWord::Via`] come from the first row that the earlier lookup
    /// finds for row `r`; when it finds none, nothing is prefetched.
    #[inline(always)]
    fn prefetch(&mut self, rel: usize, aheads: &[Ahead], a: &Ahead, r: usize, rows: bool) {
        let store = &self.stores[rel];
        let mut via = None;
        if let Some(v) = a.via {
            let of = &aheads[v];
            ahead_key(&mut self.ahead_key, &of.key, store, r, &self.regs, None);
            let of_rel = of.rel.0 as usize;
            let ix = of.index.expect("a chain starts at an index lookup");
            match self.indexes[of_rel][ix].lookup(&self.stores[of_rel], &self.ahead_key) {
                [m, ..] => via = Some((&self.stores[of_rel], *m as usize)),
                [] => return,
            }
        }
        ahead_key(&mut self.ahead_key, &a.key, store, r, &self.regs, via);
        let target = a.rel.0 as usize;
        match a.index {
            Some(ix) if rows => {
                self.indexes[target][ix].prefetch_rows(&self.stores[target], &self.ahead_key)
            }
            Some(ix) => self.indexes[target][ix].prefetch(&self.ahead_key),
            None => self.stores[target].prefetch(&self.ahead_key),
        }
    }

    pub fn run(&mut self) {
        self.step(0);
    }

    /// Runs op `pc` and everything after it; past the last op, emits the head.
    #[inline]
    fn next(&mut self, pc: usize) {
        if pc == self.plan.ops.len() {
            self.emit();
        } else {
            self.step(pc);
        }
    }

    fn step(&mut self, pc: usize) {
        let plan = self.plan;
        if let Some(last) = self.last.filter(|l| l.pc == pc) {
            return self.read_tail(last);
        }
        match &plan.ops[pc] {
            Op::Read {
                rel,
                index,
                key,
                range,
                checks,
                binds,
                ..
            } => {
                let rel = rel.0 as usize;
                match index {
                    Some(ix) => {
                        let indexes = self.indexes;
                        let store = &self.stores[rel];
                        for (k, &o) in self.key.iter_mut().zip(key) {
                            *k = operand(&self.regs, o);
                        }
                        let rows = indexes[rel][*ix].lookup(store, &self.key[..key.len()]);
                        let rows = restrict(rows, *range, store);
                        let live = self.live_aheads(pc);
                        if live == (0, 0) {
                            for &r in rows {
                                self.visit(rel, checks, binds, r, pc + 1);
                            }
                            return;
                        }
                        let aheads = &plan.ahead[pc];
                        if rows.len() > 1 && rows.len() <= 2 * PREFETCH_AHEAD {
                            // A short list (most are: an activity's subjects, a subject's
                            // activities) ends before the rows some way ahead exist: its
                            // prefetches are issued up front instead, stage by stage (its
                            // rows, then the slots their keys look up, then what those point
                            // to), so that the misses of one stage overlap.
                            if self.stores[rel].rows_worth_prefetching() {
                                for &n in rows {
                                    self.stores[rel].prefetch_row(n as usize);
                                }
                            }
                            // Then the lookups along a chain, keyed by the rows the
                            // earlier stages brought in.
                            for stage in Stage::ALL {
                                for (k, a) in aheads.iter().enumerate() {
                                    if self.on(k, a, live) && stage.takes(a) {
                                        for &n in rows {
                                            self.prefetch(rel, aheads, a, n as usize, stage.rows());
                                        }
                                    }
                                }
                            }
                        }
                        // Rows of a list are scattered: the row twice as far ahead is
                        // prefetched too, since the prefetch of its key will read it.
                        for (i, &r) in rows.iter().enumerate() {
                            if let Some(&n) = rows.get(i + 2 * PREFETCH_AHEAD) {
                                self.stores[rel].prefetch_row(n as usize);
                            }
                            for (k, a) in aheads.iter().enumerate() {
                                if !self.on(k, a, live) {
                                    continue;
                                }
                                if a.via.is_some() {
                                    if let Some(&n) = rows.get(i + PREFETCH_CHAIN_AHEAD) {
                                        self.prefetch(rel, aheads, a, n as usize, false);
                                    }
                                    continue;
                                }
                                if let Some(&n) = rows.get(i + PREFETCH_AHEAD) {
                                    self.prefetch(rel, aheads, a, n as usize, false);
                                }
                                if let Some(&n) = rows.get(i + PREFETCH_ROWS_AHEAD) {
                                    if a.index.is_some() {
                                        self.prefetch(rel, aheads, a, n as usize, true);
                                    }
                                }
                            }
                            self.visit(rel, checks, binds, r, pc + 1);
                        }
                    }
                    None => {
                        let (lo, hi) = bounds(*range, &self.stores[rel]);
                        let live = self.live_aheads(pc);
                        if live == (0, 0) {
                            for r in lo..hi {
                                self.visit(rel, checks, binds, r as Row, pc + 1);
                            }
                            return;
                        }
                        let aheads = &plan.ahead[pc];
                        for r in lo..hi {
                            for (k, a) in aheads.iter().enumerate() {
                                if !self.on(k, a, live) {
                                    continue;
                                }
                                if a.via.is_some() {
                                    if r + PREFETCH_CHAIN_AHEAD < hi {
                                        self.prefetch(
                                            rel,
                                            aheads,
                                            a,
                                            r + PREFETCH_CHAIN_AHEAD,
                                            false,
                                        );
                                    }
                                    continue;
                                }
                                if r + PREFETCH_AHEAD < hi {
                                    self.prefetch(rel, aheads, a, r + PREFETCH_AHEAD, false);
                                }
                                if r + PREFETCH_ROWS_AHEAD < hi && a.index.is_some() {
                                    self.prefetch(rel, aheads, a, r + PREFETCH_ROWS_AHEAD, true);
                                }
                            }
                            self.visit(rel, checks, binds, r as Row, pc + 1);
                        }
                    }
                }
            }
            Op::Probe { rel, args, range } => {
                let store = &self.stores[rel.0 as usize];
                let regs = &self.regs;
                if let Some(r) = store.find_with(|i| operand(regs, args[i])) {
                    let (lo, hi) = bounds(*range, store);
                    if (lo..hi).contains(&(r as usize)) {
                        self.next(pc + 1);
                    }
                }
            }
            Op::Absent {
                rel,
                index,
                key,
                whole,
            } => {
                let rel = rel.0 as usize;
                let store = &self.stores[rel];
                let regs = &self.regs;
                let present = if *whole {
                    store
                        .find_with(|i| operand(regs, key[i]))
                        .is_some_and(|r| (r as usize) < store.recent)
                } else if let Some(ix) = index {
                    for (k, &o) in self.key.iter_mut().zip(key) {
                        *k = operand(regs, o);
                    }
                    !self.indexes[rel][*ix]
                        .lookup(store, &self.key[..key.len()])
                        .is_empty()
                } else {
                    store.recent > 0
                };
                if !present {
                    self.next(pc + 1);
                }
            }
            Op::Filter { op, lhs, rhs, ty } => {
                let (Some(a), Some(b)) = (self.eval(lhs), self.eval(rhs)) else {
                    return;
                };
                if compare(*op, *ty, a, b, self.interner) {
                    self.next(pc + 1);
                }
            }
            Op::Let { slot, expr } => {
                if let Some(v) = self.eval(expr) {
                    self.regs[*slot as usize] = v;
                    self.next(pc + 1);
                }
            }
        }
    }

    /// One row of a [`Op::Read`]: checks, bindings, then the rest of the plan.
    #[inline(always)]
    fn visit(
        &mut self,
        rel: usize,
        checks: &[(usize, Operand)],
        binds: &[(usize, u32)],
        r: Row,
        next: usize,
    ) {
        let store = &self.stores[rel];
        for &(c, s) in binds {
            self.regs[s as usize] = store.get(r as usize, c);
        }
        for &(c, o) in checks {
            if store.get(r as usize, c) != operand(&self.regs, o) {
                return;
            }
        }
        // The last read of a plan with a tail runs here, without a call to the generic step.
        match self.last {
            Some(last) if last.pc == next => self.read_tail(last),
            _ => self.next(next),
        }
    }

    /// The plan's last op, a read with a [`Tail`].
    #[inline(always)]
    fn read_tail(&mut self, last: LastRead<'a>) {
        let LastRead {
            rel,
            index,
            key,
            range,
            tail,
            ..
        } = last;
        match index {
            Some(ix) => {
                let indexes = self.indexes;
                let store = &self.stores[rel];
                for (k, &o) in self.key.iter_mut().zip(key) {
                    *k = operand(&self.regs, o);
                }
                let rows = indexes[rel][ix].lookup(store, &self.key[..key.len()]);
                let rows = restrict(rows, range, store);
                self.tail(rel, tail, rows.iter().copied());
            }
            None => {
                let (lo, hi) = bounds(range, &self.stores[rel]);
                self.tail(rel, tail, lo as Row..hi as Row);
            }
        }
    }

    #[inline]
    fn eval(&mut self, e: &CExpr) -> Option<u64> {
        match e {
            CExpr::Slot(s) => Some(self.regs[*s as usize]),
            CExpr::Const(w) => Some(*w),
            _ => eval_cexpr(e, &self.regs, self.interner),
        }
    }

    /// The last read of a plan with a [`Tail`]: each row goes straight into the head tuple.
    #[inline(always)]
    fn tail(&mut self, rel: usize, tail: &Tail, rows: impl ExactSizeIterator<Item = Row>) {
        match self.head.len() {
            1 => return self.tail_fixed::<1>(rel, tail, rows),
            2 => return self.tail_fixed::<2>(rel, tail, rows),
            3 => return self.tail_fixed::<3>(rel, tail, rows),
            _ => {}
        }
        let plan = self.plan;
        let head_rel = plan.head_rel.0 as usize;
        for &(i, s) in &tail.from_regs {
            self.head[i] = self.regs[s as usize];
        }
        for r in rows {
            let row = self.stores[rel].row(r as usize);
            for &(i, c) in &tail.from_row {
                self.head[i] = row[c];
            }
            self.fired += 1;
            self.stores[head_rel].insert(&self.head);
        }
    }

    /// [`Exec::tail`] for a head of arity `N`: the head tuple is a local array, each of its
    /// words read from the row or fixed for the whole read, and the insertion is compiled for
    /// that arity.
    #[inline(always)]
    fn tail_fixed<const N: usize>(
        &mut self,
        rel: usize,
        tail: &Tail,
        rows: impl ExactSizeIterator<Item = Row>,
    ) {
        let plan = self.plan;
        let head_rel = plan.head_rel.0 as usize;
        // Each head word: `Ok(column)` of the row read, or `Err(word)` bound before the read.
        let mut src: [Result<usize, u64>; N] = [Err(0); N];
        for (s, w) in src.iter_mut().zip(&tail.words) {
            *s = match *w {
                TailWord::Col(c) => Ok(c),
                TailWord::Reg(r) => Err(self.regs[r as usize]),
            };
        }
        self.fired += rows.len() as u64;
        // The relation read and the head relation, borrowed once for the whole loop (they are
        // the same relation in a rule such as `p(x, z) :- q(x, y), p(y, z)`).
        macro_rules! run {
            ($from:expr, $to:expr) => {
                for r in rows {
                    let head: [u64; N] = std::array::from_fn(|i| match src[i] {
                        Ok(c) => $from.get(r as usize, c),
                        Err(w) => w,
                    });
                    $to.insert(&head);
                }
            };
        }
        if rel == head_rel {
            let store = &mut self.stores[rel];
            run!(store, store);
        } else {
            let (from, to) = pair_mut(self.stores, rel, head_rel);
            run!(from, to);
        }
    }

    /// Appends the head tuple to the head relation unless it is there already.
    fn emit(&mut self) {
        let plan = self.plan;
        for (i, e) in plan.head.iter().enumerate() {
            self.head[i] = match e {
                CExpr::Slot(s) => self.regs[*s as usize],
                CExpr::Const(w) => *w,
                _ => match eval_cexpr(e, &self.regs, self.interner) {
                    Some(w) => w,
                    None => return,
                },
            };
        }
        self.fired += 1;
        let head_rel = plan.head_rel.0 as usize;
        self.stores[head_rel].insert(&self.head);
    }
}

/// Stores `a` (to read) and `b` (to write), `a != b`.
#[inline(always)]
fn pair_mut(stores: &mut [Store], a: usize, b: usize) -> (&Store, &mut Store) {
    if a < b {
        let (lo, hi) = stores.split_at_mut(b);
        (&lo[a], &mut hi[0])
    } else {
        let (lo, hi) = stores.split_at_mut(a);
        (&hi[0], &mut lo[b])
    }
}

/// Fills `out` with the key `words` of a lookup ahead ([`Ahead`]) for row `r` of `store`:
/// columns of that row, registers and constants, and along a chain columns of row `m` of
/// `via` (the first row the earlier lookup found).
#[inline(always)]
fn ahead_key(
    out: &mut Vec<u64>,
    words: &[AheadWord],
    store: &Store,
    r: usize,
    regs: &[u64],
    via: Option<(&Store, usize)>,
) {
    out.clear();
    for w in words {
        out.push(match *w {
            AheadWord::Col(c) => store.get(r, c),
            AheadWord::Fixed(o) => operand(regs, o),
            AheadWord::Via(c) => via.map_or(0, |(s, m)| s.get(m, c)),
        });
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
