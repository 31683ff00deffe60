//! Runs a [`Plan`]: nested loops over index lookups, writing head tuples to a buffer that the
//! caller inserts after the plan has run (so reads never alias the relation being written).

use crate::value::Interner;

use super::plan::{compare, eval_cexpr, CExpr, Op, Operand, Plan, Range};
use super::store::{Row, Store};

/// Head tuples produced by one plan run, with their provenance.
#[derive(Default)]
pub(crate) struct Output {
    pub words: Vec<u64>,
    /// (rule, height) per tuple when provenance is recorded.
    pub prov: Vec<(u32, u32)>,
    /// Number of tuples (zero-arity heads produce no words).
    pub count: usize,
}

impl Output {
    pub fn clear(&mut self) {
        self.words.clear();
        self.prov.clear();
        self.count = 0;
    }
}

pub(crate) struct Exec<'a> {
    plan: &'a Plan,
    stores: &'a [Store],
    interner: &'a mut Interner,
    regs: Vec<u64>,
    rows: Vec<Row>,
    provenance: bool,
    out: &'a mut Output,
    head: Vec<u64>,
}

impl<'a> Exec<'a> {
    pub fn new(
        plan: &'a Plan,
        stores: &'a [Store],
        interner: &'a mut Interner,
        provenance: bool,
        out: &'a mut Output,
    ) -> Self {
        Exec {
            plan,
            stores,
            interner,
            regs: vec![0; plan.slots],
            rows: vec![0; plan.prem_rels.len()],
            provenance,
            out,
            head: Vec::with_capacity(plan.head.len()),
        }
    }

    pub fn run(&mut self) {
        self.step(0);
    }

    #[inline]
    fn operand(&self, o: Operand) -> u64 {
        match o {
            Operand::Slot(s) => self.regs[s as usize],
            Operand::Const(w) => w,
        }
    }

    fn step(&mut self, pc: usize) {
        let plan = self.plan;
        let Some(op) = plan.ops.get(pc) else {
            self.emit();
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
                let stores = self.stores;
                let store = &stores[rel.0 as usize];
                let visit = |this: &mut Self, r: Row| {
                    let base = r as usize;
                    for &(c, s) in binds.iter() {
                        this.regs[s as usize] = store.get(base, c);
                    }
                    for &(c, o) in checks.iter() {
                        if store.get(base, c) != this.operand(o) {
                            return;
                        }
                    }
                    this.rows[*prem] = r;
                    this.step(pc + 1);
                };
                match index {
                    Some(ix) => {
                        let ix = &store.indexes[*ix];
                        let rows = ix.lookup(store, |i| self.operand(key[i]));
                        let rows = restrict(rows, *range, store);
                        for &r in rows {
                            visit(self, r);
                        }
                    }
                    None => {
                        let (lo, hi) = bounds(*range, store);
                        for r in lo..hi {
                            visit(self, r as Row);
                        }
                    }
                }
            }
            Op::Probe {
                rel,
                args,
                range,
                prem,
            } => {
                let stores = self.stores;
                let store = &stores[rel.0 as usize];
                if let Some(r) = store.find_with(|i| self.operand(args[i])) {
                    let (lo, hi) = bounds(*range, store);
                    if (lo..hi).contains(&(r as usize)) {
                        self.rows[*prem] = r;
                        self.step(pc + 1);
                    }
                }
            }
            Op::Absent {
                rel,
                index,
                key,
                whole,
            } => {
                let stores = self.stores;
                let store = &stores[rel.0 as usize];
                let present = if *whole {
                    store
                        .find_with(|i| self.operand(key[i]))
                        .is_some_and(|r| (r as usize) < store.recent)
                } else if let Some(ix) = index {
                    !store.indexes[*ix]
                        .lookup(store, |i| self.operand(key[i]))
                        .is_empty()
                } else {
                    store.recent > 0
                };
                if !present {
                    self.step(pc + 1);
                }
            }
            Op::Filter { op, lhs, rhs, ty } => {
                let (Some(a), Some(b)) = (self.eval(lhs), self.eval(rhs)) else {
                    return;
                };
                if compare(*op, *ty, a, b, self.interner) {
                    self.step(pc + 1);
                }
            }
            Op::Let { slot, expr } => {
                if let Some(v) = self.eval(expr) {
                    self.regs[*slot as usize] = v;
                    self.step(pc + 1);
                }
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

    fn emit(&mut self) {
        if let Some(slots) = &self.plan.head_slots {
            // Fast path: every head argument is a variable. A tuple the relation already
            // holds (most derivations of a recursive rule) is dropped here, without a trip
            // through the buffer.
            let regs = &self.regs;
            let head = &self.stores[self.plan.head_rel.0 as usize];
            if head.find_with(|i| regs[slots[i] as usize]).is_some() {
                return;
            }
            for &s in slots {
                self.out.words.push(self.regs[s as usize]);
            }
        } else {
            self.head.clear();
            for i in 0..self.plan.head.len() {
                let e = &self.plan.head[i];
                let Some(w) = self.eval(e) else { return };
                self.head.push(w);
            }
            self.out.words.extend_from_slice(&self.head);
        }
        self.out.count += 1;
        if self.provenance {
            let mut h = 0;
            for (p, rel) in self.plan.prem_rels.iter().enumerate() {
                h = h.max(self.stores[rel.0 as usize].height(self.rows[p]));
            }
            self.out.prov.push((self.plan.rule, h + 1));
        }
    }
}

/// The row-number interval a range covers.
#[inline]
fn bounds(range: Range, store: &Store) -> (usize, usize) {
    match range {
        Range::Full => (0, store.recent),
        Range::Delta => (store.stable, store.recent),
        Range::Old => (0, store.stable),
    }
}

/// Index lists are sorted by row number, so a range is a sub-slice.
#[inline]
fn restrict<'r>(rows: &'r [Row], range: Range, store: &Store) -> &'r [Row] {
    match range {
        Range::Full => rows,
        Range::Delta => &rows[rows.partition_point(|&r| (r as usize) < store.stable)..],
        Range::Old => &rows[..rows.partition_point(|&r| (r as usize) < store.stable)],
    }
}
