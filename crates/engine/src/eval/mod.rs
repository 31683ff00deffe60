//! The interpreted evaluator: semi-naive, stratum by stratum, with stratified negation, hash
//! indexes per join and, when asked, provenance (the rule that first derived each tuple and
//! the round it did so in) from which [`crate::explain`] rebuilds derivation trees.
//!
//! Invariant: evaluation does no I/O and never panics on a program the resolver accepted.

mod exec;
pub mod limits;
pub mod native;
pub mod plan;
mod rows;
pub(crate) mod store;

use std::cmp::Ordering;

use crate::ir::{Program, RelId, RuleIdx, Stratum};
use crate::value::{Interner, Sym, Type, Value};

use exec::Exec;
use limits::{limit_error, Guard, Watch};
use plan::{DistinctCache, Plan, StoreEstimates, StoreIndexes};
use store::{Index, Indexes, Store, INPUT_RULE};

#[derive(Clone, Copy, Debug, Default)]
pub struct EvalOptions {
    /// Record, for every tuple, the rule that first derived it and the round it did so in,
    /// so that derivation trees can be rebuilt. Costs one 12-byte segment per run of a plan
    /// that adds tuples (see `Store::record`), nothing per tuple or derivation.
    pub provenance: bool,
    /// Measure the time each rule takes and the tuples it produces ([`Evaluation::profile`]).
    pub profile: bool,
}

/// What one rule cost in an evaluation with [`EvalOptions::profile`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleProfile {
    pub rule: RuleIdx,
    /// Time spent joining the rule's body and inserting its head tuples, over all rounds.
    pub time: std::time::Duration,
    /// Head tuples produced (before deduplication), over all rounds.
    pub produced: u64,
    /// Rounds in which the rule ran.
    pub runs: u32,
}

/// Where an evaluation's time went, stratum by stratum (always measured: a few clock reads
/// per stratum and round).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Phases {
    /// Planning each stratum (the interpreter) and creating the indexes it reads.
    pub planning: std::time::Duration,
    /// Running the rules: joins and head insertions.
    pub rules: std::time::Duration,
    /// Ending rounds and strata: taking the new tuples into the indexes.
    pub rounds: std::time::Duration,
}

/// Facts to evaluate a program on: the program's own facts plus those inserted.
pub struct Database {
    interner: Interner,
    stores: Vec<Store>,
    types: Vec<Vec<Type>>,
    /// The words of the tuples [`Database::insert_many`] inserts, kept between calls.
    words: Vec<u64>,
}

/// An evaluation that did not complete: a bound of its [`limits::Guard`] was reached, or
/// (never for a program the resolver accepted) the evaluator itself failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
    /// The message in German, where there is one (a bound reached).
    pub message_de: Option<String>,
    pub kind: EvalErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalErrorKind {
    /// The evaluator failed (generated code for another program, a plan that cannot be made).
    Internal,
    /// A bound was reached (or the interrupt asked to stop) while `rule` derived into
    /// `relation`: the rule and relation that grew.
    Limit {
        limit: limits::Limit,
        rule: RuleIdx,
        relation: RelId,
    },
}

impl EvalError {
    pub fn internal(message: impl Into<String>) -> EvalError {
        EvalError {
            message: message.into(),
            message_de: None,
            kind: EvalErrorKind::Internal,
        }
    }
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

impl Database {
    pub fn new(program: &Program) -> Database {
        let mut db = Database {
            interner: program.interner.clone(),
            stores: program
                .relations
                .iter()
                .map(|r| Store::new(r.arity(), false))
                .collect(),
            types: program
                .relations
                .iter()
                .map(|r| r.columns.iter().map(|c| c.ty).collect())
                .collect(),
            words: Vec::new(),
        };
        for f in &program.facts {
            db.insert(f.rel, &f.values);
        }
        db
    }

    pub fn intern(&mut self, s: &str) -> Sym {
        self.interner.intern(s)
    }

    pub fn interner(&self) -> &Interner {
        &self.interner
    }

    /// Inserts an input tuple; returns whether it was new. Values must have the column types
    /// (a value of another type is rejected and `false` returned).
    pub fn insert(&mut self, rel: RelId, values: &[Value]) -> bool {
        let types = &self.types[rel.0 as usize];
        if values.len() != types.len() || values.iter().zip(types).any(|(v, t)| v.ty() != *t) {
            return false;
        }
        // No allocation per fact for the usual arities (millions of facts at scale).
        let mut buf = [0u64; 16];
        let heap: Vec<u64>;
        let words: &[u64] = if values.len() <= buf.len() {
            for (b, v) in buf.iter_mut().zip(values) {
                *b = v.word();
            }
            &buf[..values.len()]
        } else {
            heap = values.iter().map(|v| v.word()).collect();
            &heap
        };
        self.stores[rel.0 as usize].insert(words).is_some()
    }

    pub fn len(&self, rel: RelId) -> usize {
        self.stores[rel.0 as usize].len()
    }

    /// Inserts the input tuples of `rel` given one after the other in `values` (each of the
    /// relation's arity, with its column types, else rejected), in order; `new` receives for
    /// each whether it was new. The same as [`Database::insert`] of each, except that a large
    /// relation's deduplication slots of all of them are asked for before the first is
    /// probed, so that their cache misses overlap instead of coming one after the other.
    pub fn insert_many(&mut self, rel: RelId, values: &[Value], new: &mut Vec<bool>) {
        let types = &self.types[rel.0 as usize];
        let arity = types.len();
        new.clear();
        if arity == 0 || values.len() % arity != 0 {
            new.extend(values.chunks(arity.max(1)).map(|_| false));
            return;
        }
        // Called for every few facts while a model loads: the words' buffer is kept.
        let mut words = std::mem::take(&mut self.words);
        words.clear();
        words.extend(values.iter().map(|v| v.word()));
        let store = &mut self.stores[rel.0 as usize];
        if store.worth_prefetching() {
            for t in words.chunks(arity) {
                store.prefetch(t);
            }
        }
        for (t, vs) in words.chunks(arity).zip(values.chunks(arity)) {
            let fits = vs.iter().zip(types).all(|(v, ty)| v.ty() == *ty);
            new.push(fits && store.insert(t).is_some());
        }
        self.words = words;
    }
}

/// Bytes an [`Evaluation`] holds, by part ([`Evaluation::memory_use`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryUse {
    /// The relations' rows (the words written).
    pub rows: usize,
    /// The relations' deduplication tables.
    pub dedup: usize,
    /// The indexes the evaluation built, with their lists of rows.
    pub indexes: usize,
    /// The indexes built for explanations.
    pub explain_indexes: usize,
    /// The provenance segments.
    pub provenance: usize,
    /// The text of the interned symbols.
    pub symbols: usize,
}

/// The result of evaluating a program: every relation, input and derived.
pub struct Evaluation<'p> {
    pub(crate) program: &'p Program,
    pub(crate) interner: Interner,
    pub(crate) stores: Vec<Store>,
    /// The indexes the evaluation built, by relation (explanation reuses them).
    pub(crate) indexes: Indexes,
    pub(crate) types: Vec<Vec<Type>>,
    pub(crate) provenance: bool,
    pub(crate) profile: Vec<RuleProfile>,
    pub(crate) phases: Phases,
    /// Indexes made for explanations on column sets evaluation did not need, by relation.
    pub(crate) explain_indexes: std::cell::RefCell<Indexes>,
    /// Derivation heights computed for explanations, by (relation, row) ([`crate::explain`];
    /// a map, as explanations touch few of the rows of large relations).
    pub(crate) heights: std::cell::RefCell<rustc_hash::FxHashMap<(u32, u32), u32>>,
    /// Rounds run so far, across strata: the round number stamped on the rows derived in
    /// the current one.
    round: u32,
    /// Strata run so far.
    strata_done: usize,
    /// By stratum: the relations whose deduplication tables go once it is done
    /// ([`dedup_drops`]).
    drops: Vec<Vec<RelId>>,
}

/// When each relation's deduplication tables can go: the relations complete once the facts
/// are in (first) and once each stratum is done (then by stratum) that no later stratum may
/// look up by whole tuple. A rule looks an atom's tuples up whole (a probe, or a negation
/// tested in the deduplication table) when every argument is bound when the join reaches it:
/// a negated atom without `_`, or a positive atom without `_` whose variables all occur in
/// other literals of the body (which may bind them first, whatever the join order). Nothing
/// else in an evaluation reads those tables: a relation takes no rows once its stratum is
/// done, and joins read indexes.
fn dedup_drops(program: &Program) -> (Vec<RelId>, Vec<Vec<RelId>>) {
    use crate::ir::{Expr, Literal, Term};
    fn expr_vars(e: &Expr, out: &mut Vec<u32>) {
        match e {
            Expr::Var(v) => out.push(v.0),
            Expr::Const(_) => {}
            Expr::Binary(_, a, b) => {
                expr_vars(a, out);
                expr_vars(b, out);
            }
            Expr::Neg(a) => expr_vars(a, out),
            Expr::Call(_, args) => args.iter().for_each(|a| expr_vars(a, out)),
        }
    }
    fn literal_vars(l: &Literal) -> Vec<u32> {
        let mut out = Vec::new();
        match l {
            Literal::Atom(a) => out.extend(a.args.iter().filter_map(|t| match t {
                Term::Var(v) => Some(v.0),
                _ => None,
            })),
            Literal::Cmp(c) => {
                expr_vars(&c.lhs, &mut out);
                expr_vars(&c.rhs, &mut out);
            }
        }
        out
    }
    let n = program.relations.len();
    // The stratum that defines each relation (none for a relation of facts only), and the
    // last stratum that may look it up whole.
    let mut defined: Vec<Option<usize>> = vec![None; n];
    let mut last_whole: Vec<Option<usize>> = vec![None; n];
    for (s, stratum) in program.strata.iter().enumerate() {
        for &rel in &stratum.relations {
            defined[rel.0 as usize] = Some(s);
        }
        for &ri in &stratum.rules {
            let body = &program.rule(ri).body;
            let vars: Vec<Vec<u32>> = body.iter().map(literal_vars).collect();
            for (i, lit) in body.iter().enumerate() {
                let Literal::Atom(a) = lit else { continue };
                if a.args.iter().any(|t| matches!(t, Term::Wildcard)) {
                    continue;
                }
                let bound_elsewhere = |v: &u32| {
                    vars.iter()
                        .enumerate()
                        .any(|(j, vs)| j != i && vs.contains(v))
                };
                if a.negated || vars[i].iter().all(bound_elsewhere) {
                    last_whole[a.rel.0 as usize] = Some(s);
                }
            }
        }
    }
    let mut first = Vec::new();
    let mut by_stratum = vec![Vec::new(); program.strata.len()];
    for r in 0..n {
        // Complete after this stratum (`None`: once the facts are in); dropped after the
        // later of that and its last lookup of a whole tuple.
        match (defined[r], last_whole[r]) {
            (None, None) => first.push(RelId(r as u32)),
            (d, w) => by_stratum[d.max(w).expect("one of them")].push(RelId(r as u32)),
        }
    }
    (first, by_stratum)
}

/// Evaluates `program` on `db`, without bounds (see [`evaluate_with`]).
pub fn evaluate<'p>(
    program: &'p Program,
    db: Database,
    opts: &EvalOptions,
) -> Result<Evaluation<'p>, EvalError> {
    evaluate_with(program, db, opts, Guard::default())
}

/// Evaluates `program` on `db` under `guard`: an error naming the rule and relation that grew
/// when a bound is reached ([`limits::Limits::UNTRUSTED`] for rules from outside).
pub fn evaluate_with<'p>(
    program: &'p Program,
    db: Database,
    opts: &EvalOptions,
    guard: Guard,
) -> Result<Evaluation<'p>, EvalError> {
    let mut watch = Watch::new(guard);
    let mut ev = Evaluation::start(program, db, opts);
    let mut cache = DistinctCache::default();
    for stratum in &program.strata {
        let started = std::time::Instant::now();
        let plans = plan_stratum(
            program,
            stratum,
            &mut ev.stores,
            &mut ev.indexes,
            &mut cache,
        )?;
        ev.phases.planning += started.elapsed();
        let jobs: Vec<Job<'_>> = plans
            .iter()
            .map(|(p, once)| Job {
                rule: p.rule,
                once: *once,
                run: Runner::Plan(p),
            })
            .collect();
        ev.run_stratum(stratum, &jobs, &mut watch)?;
    }
    Ok(ev)
}

/// Evaluates `program` on `db` with code generated from it (by `sphere-codegen`): the same
/// strata, rounds, relations and provenance as [`evaluate`], each plan run by its generated
/// function. An error if the code was generated from another program.
pub fn evaluate_native<'p>(
    program: &'p Program,
    db: Database,
    opts: &EvalOptions,
    code: &native::NativeProgram,
) -> Result<Evaluation<'p>, EvalError> {
    evaluate_native_with(program, db, opts, code, Guard::default())
}

/// [`evaluate_native`] under `guard` (see [`evaluate_with`]).
pub fn evaluate_native_with<'p>(
    program: &'p Program,
    db: Database,
    opts: &EvalOptions,
    code: &native::NativeProgram,
    guard: Guard,
) -> Result<Evaluation<'p>, EvalError> {
    native::check(code, program)?;
    let mut watch = Watch::new(guard);
    let mut ev = Evaluation::start(program, db, opts);
    for (stratum, gen) in program.strata.iter().zip(code.strata) {
        let started = std::time::Instant::now();
        native::prepare_stratum(gen, &ev.stores, &mut ev.indexes)?;
        ev.phases.planning += started.elapsed();
        let jobs: Vec<Job<'_>> = gen
            .plans
            .iter()
            .map(|p| Job {
                rule: p.rule,
                once: p.once,
                run: Runner::Native(p.run),
            })
            .collect();
        ev.run_stratum(stratum, &jobs, &mut watch)?;
    }
    Ok(ev)
}

/// One plan of a stratum and who runs it.
struct Job<'a> {
    rule: u32,
    /// Runs in the first round only.
    once: bool,
    run: Runner<'a>,
}

enum Runner<'a> {
    /// The interpreter ([`exec`]).
    Plan(&'a Plan),
    /// Generated code ([`native`]).
    Native(fn(&mut native::Cx<'_>)),
}

/// Plans every rule of `stratum` as [`run_stratum`] runs them: (plan, runs only in the first
/// round), with the relations' current sizes. Creates the indexes the plans read.
fn plan_stratum(
    program: &Program,
    stratum: &Stratum,
    stores: &mut [Store],
    indexes: &mut Indexes,
    cache: &mut DistinctCache,
) -> Result<Vec<(Plan, bool)>, EvalError> {
    plan::plan_stratum(
        program,
        stratum,
        &mut StoreEstimates { stores, cache },
        &mut StoreIndexes { stores, indexes },
    )
    .map_err(|e| EvalError::internal(e.0))
}

impl<'p> Evaluation<'p> {
    /// An evaluation before its first stratum: the facts of `db`, visible.
    fn start(program: &'p Program, db: Database, opts: &EvalOptions) -> Evaluation<'p> {
        let Database {
            interner,
            mut stores,
            types,
            words: _,
        } = db;
        if opts.provenance {
            // Every row so far is an input fact: before the first segment.
            for s in &mut stores {
                s.prov = Some(Vec::new());
            }
        }
        let indexes: Indexes = stores.iter().map(|_| Vec::new()).collect();
        let explain_indexes: Indexes = stores.iter().map(|_| Vec::new()).collect();
        let (first, drops) = dedup_drops(program);
        for rel in first {
            stores[rel.0 as usize].drop_dedup();
        }
        for s in &mut stores {
            s.publish_all(&mut []);
            // Input facts are all in: their tables take no more rows (or grow again).
            s.compact(&mut []);
        }
        let profile: Vec<RuleProfile> = if opts.profile {
            (0..program.rules.len())
                .map(|r| RuleProfile {
                    rule: RuleIdx(r as u32),
                    ..RuleProfile::default()
                })
                .collect()
        } else {
            Vec::new()
        };
        Evaluation {
            program,
            interner,
            stores,
            indexes,
            types,
            provenance: opts.provenance,
            profile,
            phases: Phases::default(),
            explain_indexes: std::cell::RefCell::new(explain_indexes),
            heights: std::cell::RefCell::new(rustc_hash::FxHashMap::default()),
            round: 0,
            strata_done: 0,
            drops,
        }
    }

    /// Tuples of all relations, and the estimated bytes of relations, indexes and symbols.
    fn totals(&self) -> (u64, u64) {
        let tuples = self.stores.iter().map(|s| s.len() as u64).sum();
        let bytes = self.stores.iter().map(Store::memory_bytes).sum::<usize>()
            + self
                .indexes
                .iter()
                .flatten()
                .map(Index::approx_memory_bytes)
                .sum::<usize>()
            + self.interner.memory_bytes();
        (tuples, bytes as u64)
    }

    /// Runs the semi-naive rounds of `stratum` (whose indexes exist) until nothing is new, or
    /// a bound of `watch` is reached.
    fn run_stratum(
        &mut self,
        stratum: &Stratum,
        jobs: &[Job<'_>],
        watch: &mut Watch,
    ) -> Result<(), EvalError> {
        let active = watch.active();
        let mut first = true;
        loop {
            let running = std::time::Instant::now();
            self.round += 1;
            for job in jobs {
                if job.once && !first {
                    continue;
                }
                let started = (!self.profile.is_empty()).then(std::time::Instant::now);
                let head = self.program.rule(RuleIdx(job.rule)).head.rel.0 as usize;
                let before = self.stores[head].len();
                if active {
                    let (tuples, bytes) = self.totals();
                    watch.start(&self.stores, head, tuples, bytes);
                }
                let fired = match job.run {
                    Runner::Plan(plan) => {
                        let mut exec = Exec::new(
                            plan,
                            &mut self.stores,
                            &self.indexes,
                            &mut self.interner,
                            watch,
                        );
                        exec.run();
                        exec.fired
                    }
                    Runner::Native(run) => {
                        let mut cx = native::Cx::new(
                            &mut self.stores,
                            &self.indexes,
                            &mut self.interner,
                            watch,
                        );
                        run(&mut cx);
                        cx.fired
                    }
                };
                self.stores[head].record(before, job.rule, self.round);
                let (tuples, bytes) = if active { self.totals() } else { (0, 0) };
                watch.check_totals(&self.stores, tuples, bytes, self.interner.is_full());
                if let Some(limit) = watch.stopped {
                    return Err(limit_error(
                        self.program,
                        limit,
                        RuleIdx(job.rule),
                        RelId(head as u32),
                    ));
                }
                if let Some(started) = started {
                    let p = &mut self.profile[job.rule as usize];
                    p.time += started.elapsed();
                    p.produced += fired;
                    p.runs += 1;
                }
            }
            first = false;
            let ending = std::time::Instant::now();
            self.phases.rules += ending - running;
            let mut grew = false;
            for &rel in &stratum.relations {
                let r = rel.0 as usize;
                grew |= self.stores[r].advance(&mut self.indexes[r]);
            }
            self.phases.rounds += ending.elapsed();
            if !stratum.recursive || !grew {
                break;
            }
        }
        let ending = std::time::Instant::now();
        for &rel in &stratum.relations {
            let r = rel.0 as usize;
            self.stores[r].publish_all(&mut self.indexes[r]);
        }
        // No later stratum adds rows to a relation of this one or of an earlier one: the
        // deduplication tables no later stratum reads go, the other tables, and the indexes
        // this stratum built on earlier relations, shrink to at most three quarters full
        // (the memory of a large model's evaluation is mostly tables).
        for &rel in &self.drops[self.strata_done] {
            self.stores[rel.0 as usize].drop_dedup();
        }
        self.strata_done += 1;
        for (store, indexes) in self.stores.iter_mut().zip(&mut self.indexes) {
            store.compact(indexes);
        }
        self.phases.rounds += ending.elapsed();
        Ok(())
    }
}

impl<'p> Evaluation<'p> {
    pub fn program(&self) -> &'p Program {
        self.program
    }

    pub fn interner(&self) -> &Interner {
        &self.interner
    }

    pub fn len(&self, rel: RelId) -> usize {
        self.stores[rel.0 as usize].len()
    }

    pub fn has_provenance(&self) -> bool {
        self.provenance
    }

    /// Per rule (indexed by [`RuleIdx`]), its cost, when evaluated with
    /// [`EvalOptions::profile`]; empty otherwise.
    pub fn profile(&self) -> &[RuleProfile] {
        &self.profile
    }

    /// Where the evaluation's time went.
    pub fn phases(&self) -> Phases {
        self.phases
    }

    /// Row `row` of `rel` (rows in the order the evaluation added them, input facts first).
    pub(crate) fn values(&self, rel: RelId, row: usize) -> Vec<Value> {
        let types = &self.types[rel.0 as usize];
        self.stores[rel.0 as usize]
            .row(row)
            .iter()
            .zip(types)
            .map(|(&w, &t)| Value::from_word(t, w))
            .collect()
    }

    /// Every tuple of `rel` in the order the evaluation added them (cheaper than
    /// [`Evaluation::tuples`] when the order does not matter): its row number and values.
    pub fn tuples_unsorted(&self, rel: RelId) -> impl Iterator<Item = (usize, Vec<Value>)> + '_ {
        (0..self.stores[rel.0 as usize].len()).map(move |r| (r, self.values(rel, r)))
    }

    /// The tuple in row `row` of `rel` (a number from [`Evaluation::tuples_unsorted`]).
    pub fn tuple_at(&self, rel: RelId, row: usize) -> Vec<Value> {
        self.values(rel, row)
    }

    /// Every tuple of `rel`, sorted (symbols by their text).
    pub fn tuples(&self, rel: RelId) -> Vec<Vec<Value>> {
        let n = self.stores[rel.0 as usize].len();
        let out: Vec<Vec<Value>> = (0..n).map(|r| self.values(rel, r)).collect();
        self.sorted(out)
    }

    /// `tuples` in the order of [`Evaluation::cmp_tuples`]. Each symbol's text is looked up
    /// once, not at every comparison, and its first 16 bytes are kept beside it as a number,
    /// so that most comparisons read no text at all: at a million findings the texts lie far
    /// apart in memory, and sorting by looking them up spent seconds on cache misses.
    fn sorted(&self, tuples: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
        let mut keyed: Vec<(Vec<SortKey<'_>>, Vec<Value>)> = tuples
            .into_iter()
            .map(|t| (t.iter().map(|v| self.sort_key(v)).collect(), t))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.into_iter().map(|(_, t)| t).collect()
    }

    /// A value as it sorts ([`SortKey`]).
    fn sort_key(&self, v: &Value) -> SortKey<'_> {
        match v {
            Value::Sym(s) => {
                let text = self.interner.resolve(*s);
                let mut head = [0u8; 16];
                let n = text.len().min(16);
                head[..n].copy_from_slice(&text.as_bytes()[..n]);
                SortKey::Text(u128::from_be_bytes(head), text)
            }
            other => SortKey::Other(*other),
        }
    }

    /// Orders tuples by value, symbols by their text, so output is independent of interning.
    pub fn cmp_tuples(&self, a: &[Value], b: &[Value]) -> Ordering {
        let key = |v| self.sort_key(v);
        a.iter().map(key).cmp(b.iter().map(key))
    }

    pub fn contains(&self, rel: RelId, values: &[Value]) -> bool {
        self.row_of(rel, values).is_some()
    }

    /// The row of `rel(values)`, if the evaluation has it (rows in the order added).
    pub fn row_of(&self, rel: RelId, values: &[Value]) -> Option<usize> {
        let types = &self.types[rel.0 as usize];
        if values.len() != types.len() || values.iter().zip(types).any(|(v, t)| v.ty() != *t) {
            return None;
        }
        self.stores[rel.0 as usize]
            .find_with(|i| values[i].word())
            .map(|r| r as usize)
    }

    /// Tuples of `rel` matching a pattern (`None` matches anything), sorted.
    pub fn select(&self, rel: RelId, pattern: &[Option<Value>]) -> Vec<Vec<Value>> {
        let store = &self.stores[rel.0 as usize];
        let out: Vec<Vec<Value>> = (0..store.len())
            .filter(|&r| {
                pattern.iter().enumerate().all(|(c, p)| {
                    p.is_none_or(|v| {
                        store.get(r, c) == v.word() && v.ty() == self.types[rel.0 as usize][c]
                    })
                })
            })
            .map(|r| self.values(rel, r))
            .collect();
        self.sorted(out)
    }

    /// (rule, round) recorded for a tuple, when provenance was on: the first rule that
    /// derived it (`None` for an input fact) and the round it did so in (0 for an input fact).
    pub(crate) fn prov_of(&self, rel: RelId, row: usize) -> Option<(Option<RuleIdx>, u32)> {
        let store::Prov { rule, round } = self.stores[rel.0 as usize].prov(row)?;
        Some(((rule != INPUT_RULE).then_some(RuleIdx(rule)), round))
    }

    pub(crate) fn store(&self, rel: RelId) -> &Store {
        &self.stores[rel.0 as usize]
    }

    /// Every relation's size and per-column distinct counts, for planning the join order of
    /// generated code ([`crate::ir::order`]).
    pub fn stats(&self) -> crate::ir::order::Stats {
        let mut stats = crate::ir::order::Stats::default();
        for s in &self.stores {
            stats.sizes.push(s.len() as f64);
            stats
                .distinct
                .push((0..s.arity).map(|c| s.distinct(c) as f64).collect());
        }
        stats
    }

    /// The indexes evaluation built on `rel`.
    pub(crate) fn indexes(&self, rel: RelId) -> &[Index] {
        &self.indexes[rel.0 as usize]
    }

    /// Bytes held by the evaluation, by part (for `--stats`).
    pub fn memory_use(&self) -> MemoryUse {
        let mut m = MemoryUse {
            symbols: self.interner.memory_bytes(),
            ..MemoryUse::default()
        };
        for s in &self.stores {
            let (rows, dedup, prov) = s.memory_parts();
            m.rows += rows;
            m.dedup += dedup;
            m.provenance += prov;
        }
        m.indexes = self.indexes.iter().flatten().map(Index::memory_bytes).sum();
        m.explain_indexes = self
            .explain_indexes
            .borrow()
            .iter()
            .flatten()
            .map(Index::memory_bytes)
            .sum();
        m
    }

    /// Approximate bytes held by all relations and indexes.
    pub fn memory_bytes(&self) -> usize {
        self.stores.iter().map(Store::memory_bytes).sum::<usize>()
            + self
                .indexes
                .iter()
                .flatten()
                .map(Index::memory_bytes)
                .sum::<usize>()
    }
}

/// A value as tuples sort by it: a symbol by its text (the first 16 bytes, padded with zeros,
/// decide unless equal, so that most comparisons read no text; then the whole text), anything
/// else by itself. A column holds one type, so only keys of one kind meet (and a symbol sorts
/// before a number or date, as in [`Value`]'s own order).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortKey<'t> {
    Text(u128, &'t str),
    Other(Value),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{compile, CompileOptions, SourceMap};

    /// The recorded (rule, round) of `h(1)` and its height when the facts of `p` are inserted
    /// in `order`.
    fn recorded(order: &[i64]) -> (Option<RuleIdx>, u32, u32) {
        let mut sources = SourceMap::new();
        sources.add(
            "t.dl",
            ".decl p(x: number, y: number)\n.input p\n.decl r(y: number)\n.input r\n\
             .decl q(y: number)\n.decl h(x: number)\n\
             q(10) :- r(10).\nq(y) :- r(y), y > 10, s(y).\n.decl s(y: number)\ns(y) :- r(y).\n\
             h(x) :- p(x, y), q(y).\n",
        );
        let p = compile(&sources, &CompileOptions::default())
            .program
            .expect("compiles");
        let mut db = Database::new(&p);
        let rel = |n: &str| p.relation_by_name(n).expect("declared");
        for &y in order {
            db.insert(rel("p"), &[Value::Num(1), Value::Num(y)]);
            db.insert(rel("r"), &[Value::Num(y)]);
        }
        let ev = evaluate(
            &p,
            db,
            &EvalOptions {
                provenance: true,
                profile: false,
            },
        )
        .expect("evaluates");
        let row = ev.row_of(rel("h"), &[Value::Num(1)]).expect("h(1)");
        let (rule, round) = ev.prov_of(rel("h"), row).expect("provenance");
        (rule, round, ev.height(rel("h"), row))
    }

    /// `tuples` and `select` sort as `cmp_tuples` says (symbols by their whole text), also
    /// where texts share their first 16 bytes, end in or hold zero bytes, or are empty, and
    /// whatever order they were interned in.
    #[test]
    fn tuples_sort_by_the_whole_text_of_their_symbols() {
        let mut sources = SourceMap::new();
        sources.add("t.dl", ".decl p(x: symbol, n: number)\n.input p\n");
        let p = compile(&sources, &CompileOptions::default())
            .program
            .expect("compiles");
        let rel = p.relation_by_name("p").expect("declared");
        let texts = [
            "act-0000000000000002",
            "act-0000000000000001",
            "act-00000000000000",
            "act-000000000000000",
            "act-000000000000000\u{0}",
            "act-000000000000000\u{0}\u{0}",
            "",
            "\u{0}",
            "Zürich",
            "Zurich",
            "b",
            "a",
        ];
        let mut db = Database::new(&p);
        for (i, t) in texts.iter().enumerate() {
            let s = db.intern(t);
            for n in [3, -1] {
                db.insert(rel, &[Value::Sym(s), Value::Num(n + i as i64 % 2)]);
            }
        }
        let ev = evaluate(&p, db, &EvalOptions::default()).expect("evaluates");
        let text = |t: &[Value]| match t[0] {
            Value::Sym(s) => ev.interner().resolve(s).to_string(),
            _ => unreachable!("a symbol column"),
        };
        let got: Vec<(String, Value)> = ev.tuples(rel).iter().map(|t| (text(t), t[1])).collect();
        let mut expected: Vec<(String, Value)> = got.clone();
        expected.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.cmp(&b.1)));
        assert_eq!(got, expected);
        assert_eq!(got.len(), texts.len() * 2);
        let mut by_cmp = ev.tuples(rel);
        by_cmp.reverse();
        by_cmp.sort_by(|a, b| ev.cmp_tuples(a, b));
        assert_eq!(by_cmp, ev.tuples(rel));
        let only_a = ev.select(rel, &[None, Some(Value::Num(3))]);
        assert_eq!(
            only_a.iter().map(|t| text(t)).collect::<Vec<_>>(),
            expected
                .iter()
                .filter(|e| e.1 == Value::Num(3))
                .map(|e| e.0.clone())
                .collect::<Vec<_>>()
        );
    }

    /// `insert_many` is `insert` of each tuple in order: the same rows in the same order, each
    /// reported new only the first time, a tuple of the wrong types rejected; on a relation
    /// large enough to prefetch for as well as on a small one.
    #[test]
    fn inserting_many_is_inserting_each_in_order() {
        let mut sources = SourceMap::new();
        sources.add("t.dl", ".decl p(x: number, y: symbol)\n.input p\n");
        let p = compile(&sources, &CompileOptions::default())
            .program
            .expect("compiles");
        let rel = p.relation_by_name("p").expect("declared");
        for n in [10i64, 300_000] {
            let (mut one, mut many) = (Database::new(&p), Database::new(&p));
            let (a, b) = (one.intern("a"), many.intern("a"));
            assert_eq!(a, b);
            let tuples: Vec<[Value; 2]> = (0..n)
                .map(|i| [Value::Num(i % (n / 2 + 1)), Value::Sym(a)])
                .chain([[Value::Sym(a), Value::Num(1)]])
                .collect();
            let expected: Vec<bool> = tuples.iter().map(|t| one.insert(rel, t)).collect();
            let mut got = Vec::new();
            let mut new = Vec::new();
            for chunk in tuples.chunks(16) {
                let flat: Vec<Value> = chunk.iter().flatten().copied().collect();
                many.insert_many(rel, &flat, &mut new);
                got.extend_from_slice(&new);
            }
            assert_eq!(got, expected, "n = {n}");
            assert!(
                expected.iter().any(|&x| !x),
                "duplicates and a mistyped tuple"
            );
            assert_eq!(one.len(rel), many.len(rel));
            let rows = |db: &Database| -> Vec<Vec<u64>> {
                (0..db.len(rel))
                    .map(|r| db.stores[rel.0 as usize].row(r).to_vec())
                    .collect()
            };
            assert_eq!(rows(&one), rows(&many), "n = {n}");
        }
    }

    #[test]
    fn deduplication_tables_go_after_the_last_stratum_that_looks_tuples_up_whole() {
        let mut sources = SourceMap::new();
        sources.add(
            "t.dl",
            ".decl e(x: number, y: number)\n.input e\n.decl n(x: number)\n.input n\n\
             .decl w(x: number)\n.input w\n\
             .decl a(x: number)\na(x) :- e(x, _).\n\
             .decl b(x: number)\nb(x) :- a(x), !n(x).\n\
             .decl c(x: number)\nc(y) :- b(x), e(x, y), a(y).\n\
             .decl d(x: number)\nd(x) :- c(x), !w(_).\n",
        );
        let p = compile(&sources, &CompileOptions::default())
            .program
            .expect("compiles");
        let rel = |n: &str| p.relation_by_name(n).expect("declared");
        let (first, by_stratum) = dedup_drops(&p);
        // `w` is only read under `_`: it goes at once.
        assert_eq!(first, [rel("w")]);
        let stratum_of = |r: RelId| {
            by_stratum
                .iter()
                .position(|rs| rs.contains(&r))
                .expect("dropped after some stratum")
        };
        let defines = |r: RelId| {
            p.strata
                .iter()
                .position(|s| s.relations.contains(&r))
                .expect("derived")
        };
        // `n` is negated whole by b's rule; every atom of c's rule may be probed whole (its
        // variables occur in the others, which may bind them first); `c` and `d` go with their
        // own strata.
        assert_eq!(stratum_of(rel("n")), defines(rel("b")));
        for r in ["a", "b", "e"] {
            assert_eq!(stratum_of(rel(r)), defines(rel("c")), "{r}");
        }
        for r in ["c", "d"] {
            assert_eq!(stratum_of(rel(r)), defines(rel(r)), "{r}");
        }
        // And the evaluation finds what it would with every table kept.
        let mut db = Database::new(&p);
        for (x, y) in [(1, 2), (2, 3), (3, 1), (4, 9)] {
            db.insert(rel("e"), &[Value::Num(x), Value::Num(y)]);
        }
        db.insert(rel("n"), &[Value::Num(3)]);
        let ev = evaluate(&p, db, &EvalOptions::default()).expect("evaluates");
        let nums = |r: &str| -> Vec<i64> {
            ev.tuples(rel(r))
                .iter()
                .map(|t| match t[..] {
                    [Value::Num(x)] => x,
                    _ => panic!("one number"),
                })
                .collect()
        };
        assert_eq!(nums("c"), [2, 3]);
        assert_eq!(nums("d"), [2, 3]);
        assert!(ev.contains(rel("a"), &[Value::Num(4)]));
        assert!(!ev.contains(rel("b"), &[Value::Num(3)]));
        assert!(ev.stores.iter().all(|s| s.dropped));
    }

    #[test]
    fn provenance_does_not_depend_on_the_order_derivations_are_found_in() {
        // h(1) is derived twice in one round: through q(10) (height 1) and through q(20)
        // (height 2, q(20) needs s(20)). Whichever the join meets first, the lower is taken.
        let a = recorded(&[10, 20]);
        let b = recorded(&[20, 10]);
        assert_eq!(a, b);
        assert_eq!(a.2, 2, "h(1) rests on q(10), of height 1");
        // Rounds: s and q's first rule in the first two strata's rounds, h after both.
        assert!(a.1 > 1, "h(1) comes from a later round than its premises");
    }

    /// `h(x, z) :- a(x, y), b(y, z), !c(z), z != x.` on enough rows that every queue of
    /// bindings fills and runs many times in the middle of the segment before it.
    #[test]
    fn head_tuples_come_in_nested_loop_order_whatever_the_batches() {
        use super::store::BATCH;
        let mut sources = SourceMap::new();
        sources.add(
            "t.dl",
            ".decl a(x: number, y: number)\n.input a\n.decl b(y: number, z: number)\n.input b\n\
             .decl c(z: number)\n.input c\n.decl h(x: number, z: number)\n\
             h(x, z) :- a(x, y), b(y, z), !c(z), z != x.\n",
        );
        let p = compile(&sources, &CompileOptions::default())
            .program
            .expect("compiles");
        let rel = |n: &str| p.relation_by_name(n).expect("declared");
        // A fixed pseudo-random sequence: no two runs differ.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as i64
        };
        let a: Vec<(i64, i64)> = (0..30 * BATCH).map(|_| (next(500), next(60))).collect();
        let b: Vec<(i64, i64)> = (0..3000).map(|_| (next(60), next(500))).collect();
        let c: Vec<i64> = (0..100).map(|_| next(500)).collect();
        let mut db = Database::new(&p);
        for &(x, y) in &a {
            db.insert(rel("a"), &[Value::Num(x), Value::Num(y)]);
        }
        for &(y, z) in &b {
            db.insert(rel("b"), &[Value::Num(y), Value::Num(z)]);
        }
        for &z in &c {
            db.insert(rel("c"), &[Value::Num(z)]);
        }
        // Nested loops over the facts as inserted (duplicates dropped, first one kept), in
        // the order the plan reads them (a, the smaller, scanned; b looked up by y): a's rows,
        // then b's rows of each.
        let dedup = |v: &[(i64, i64)]| {
            let mut seen = std::collections::HashSet::new();
            v.iter()
                .copied()
                .filter(|t| seen.insert(*t))
                .collect::<Vec<_>>()
        };
        let (a, b) = (dedup(&a), dedup(&b));
        let mut want = Vec::new();
        for &(x, y) in &a {
            for &(_, z) in b.iter().filter(|&&(y2, _)| y2 == y) {
                if !c.contains(&z) && z != x {
                    want.push((x, z));
                }
            }
        }
        let want = dedup(&want);
        assert!(want.len() > 10 * BATCH, "{} head tuples", want.len());
        let ev = evaluate(&p, db, &EvalOptions::default()).expect("evaluates");
        let got: Vec<(i64, i64)> = (0..ev.len(rel("h")))
            .map(|r| match ev.values(rel("h"), r)[..] {
                [Value::Num(x), Value::Num(z)] => (x, z),
                ref other => panic!("h holds numbers: {other:?}"),
            })
            .collect();
        assert_eq!(got, want);
    }
}
