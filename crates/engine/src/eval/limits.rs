//! Bounds on an evaluation: rules that keep deriving new values (`n(X + 1) :- n(X).`) never
//! reach a fixpoint, so an evaluation of rules from outside runs under [`Limits`] and a
//! cooperative stop ([`Guard::interrupt`]), and ends with an [`EvalError`] that names the rule
//! and the relation that grew instead of exhausting the machine.
//!
//! The checks are cheap: they run once per batch of bindings (at most [`super::store::BATCH`]
//! bindings, or one step of a plan), never per tuple, and the interrupt callback is asked once
//! every [`POLL_EVERY`] batches. The engine reads no clock: a caller that wants a time limit
//! passes a callback that reads one.

use crate::ir::{Program, RelId, RuleIdx};

use super::store::Store;
use super::{EvalError, EvalErrorKind};

/// Tuples, all relations together, that [`Limits::UNTRUSTED`] allows.
pub const DEFAULT_MAX_TUPLES: u64 = 200_000_000;
/// Tuples of one relation that [`Limits::UNTRUSTED`] allows.
pub const DEFAULT_MAX_RELATION_TUPLES: u64 = 100_000_000;
/// Estimated bytes (relations, indexes, symbols) that [`Limits::UNTRUSTED`] allows: 8 GiB.
pub const DEFAULT_MAX_MEMORY_BYTES: u64 = 8 << 30;
/// Batches between two calls of the interrupt callback.
pub const POLL_EVERY: u32 = 256;

/// Bounds on an evaluation; `None` is no bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Tuples of all relations together, input facts included.
    pub max_tuples: Option<u64>,
    /// Tuples of any one relation.
    pub max_relation_tuples: Option<u64>,
    /// The estimated memory of relations, indexes and symbols, in bytes (checked after every
    /// run of a rule, and within a run from the rows it added).
    pub max_memory_bytes: Option<u64>,
}

impl Limits {
    /// No bound: the shipped knowledge base on a model, whose growth the model bounds.
    pub const NONE: Limits = Limits {
        max_tuples: None,
        max_relation_tuples: None,
        max_memory_bytes: None,
    };

    /// For rules from outside (`check --rules`, `eval`, `eval --json`): the `DEFAULT_*`
    /// bounds, far above what the knowledge base needs on a model of a million activities,
    /// far below what exhausts a machine with 16 GiB.
    pub const UNTRUSTED: Limits = Limits {
        max_tuples: Some(DEFAULT_MAX_TUPLES),
        max_relation_tuples: Some(DEFAULT_MAX_RELATION_TUPLES),
        max_memory_bytes: Some(DEFAULT_MAX_MEMORY_BYTES),
    };
}

/// Which bound an evaluation reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// [`Limits::max_tuples`].
    Tuples(u64),
    /// [`Limits::max_relation_tuples`].
    RelationTuples(u64),
    /// [`Limits::max_memory_bytes`].
    Memory(u64),
    /// The symbol table can take no more symbols.
    Symbols,
    /// The interrupt callback asked to stop.
    Interrupted,
}

/// What an evaluation runs under: its [`Limits`] and an optional interrupt callback, asked
/// every [`POLL_EVERY`] batches whether to stop (`true` stops it: a deadline, a cancel flag).
#[derive(Default)]
pub struct Guard {
    pub limits: Limits,
    pub interrupt: Option<Box<dyn FnMut() -> bool>>,
}

impl Guard {
    pub fn new(limits: Limits) -> Self {
        Guard {
            limits,
            interrupt: None,
        }
    }

    /// With an interrupt callback.
    pub fn with_interrupt(mut self, interrupt: impl FnMut() -> bool + 'static) -> Self {
        self.interrupt = Some(Box::new(interrupt));
        self
    }
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("limits", &self.limits)
            .field("interrupt", &self.interrupt.is_some())
            .finish()
    }
}

/// The checks made while a plan runs: set up by the driver before each run with the head
/// relation's size and the totals, asked by the interpreter and generated code at every batch.
pub(crate) struct Watch {
    limits: Limits,
    interrupt: Option<Box<dyn FnMut() -> bool>>,
    head: usize,
    /// Rows of the head relation when the run started.
    head_start: usize,
    /// Most rows the head relation may reach in this run (either bound).
    head_max: usize,
    /// Estimated memory when the run started, and per row added to the head relation.
    mem_start: u64,
    row_bytes: u64,
    ticks: u32,
    /// The bound reached, once one is.
    pub stopped: Option<Limit>,
}

impl Watch {
    pub fn new(guard: Guard) -> Self {
        Watch {
            limits: guard.limits,
            interrupt: guard.interrupt,
            head: 0,
            head_start: 0,
            head_max: usize::MAX,
            mem_start: 0,
            row_bytes: 0,
            ticks: POLL_EVERY,
            stopped: None,
        }
    }

    /// Whether any bound or interrupt is set (without, the driver skips the sums).
    pub fn active(&self) -> bool {
        self.limits != Limits::NONE || self.interrupt.is_some()
    }

    /// Before a run of a plan deriving into `head`: the totals now.
    pub fn start(&mut self, stores: &[Store], head: usize, total: u64, memory: u64) {
        let len = stores[head].len();
        let l = self.limits;
        let by_total = l.max_tuples.map_or(u64::MAX, |m| {
            m.saturating_sub(total).saturating_add(len as u64)
        });
        let by_rel = l.max_relation_tuples.unwrap_or(u64::MAX);
        self.head = head;
        self.head_start = len;
        self.head_max = usize::try_from(by_total.min(by_rel)).unwrap_or(usize::MAX);
        self.mem_start = memory;
        // A row, its slot in the deduplication table and an entry in an index or two.
        self.row_bytes = stores[head].arity as u64 * 8 + 48;
    }

    /// The check of one batch: `true` when the run must stop.
    #[inline]
    pub fn halt(&mut self, stores: &[Store], symbols_full: bool) -> bool {
        if self.stopped.is_some() {
            return true;
        }
        let len = stores[self.head].len();
        if len > self.head_max {
            self.stopped = Some(self.tuple_limit(len));
            return true;
        }
        self.ticks -= 1;
        if self.ticks == 0 {
            self.ticks = POLL_EVERY;
            if symbols_full {
                self.stopped = Some(Limit::Symbols);
                return true;
            }
            if let Some(max) = self.limits.max_memory_bytes {
                let added = (len - self.head_start) as u64 * self.row_bytes;
                if self.mem_start + added > max {
                    self.stopped = Some(Limit::Memory(max));
                    return true;
                }
            }
            if let Some(stop) = self.interrupt.as_mut() {
                if stop() {
                    self.stopped = Some(Limit::Interrupted);
                    return true;
                }
            }
        }
        false
    }

    fn tuple_limit(&self, len: usize) -> Limit {
        match self.limits.max_relation_tuples {
            Some(m) if len as u64 > m => Limit::RelationTuples(m),
            _ => Limit::Tuples(self.limits.max_tuples.unwrap_or(u64::MAX)),
        }
    }

    /// After a run: the head relation and the totals checked exactly.
    pub fn check_totals(&mut self, stores: &[Store], total: u64, memory: u64, symbols_full: bool) {
        if self.stopped.is_some() {
            return;
        }
        let l = self.limits;
        let head = stores.get(self.head).map_or(0, Store::len) as u64;
        if symbols_full {
            self.stopped = Some(Limit::Symbols);
        } else if let Some(m) = l.max_relation_tuples.filter(|&m| head > m) {
            self.stopped = Some(Limit::RelationTuples(m));
        } else if let Some(m) = l.max_tuples.filter(|&m| total > m) {
            self.stopped = Some(Limit::Tuples(m));
        } else if let Some(m) = l.max_memory_bytes.filter(|&m| memory > m) {
            self.stopped = Some(Limit::Memory(m));
        }
    }
}

/// The error for a bound reached while `rule` derived into `relation`.
pub(crate) fn limit_error(
    program: &Program,
    limit: Limit,
    rule: RuleIdx,
    relation: RelId,
) -> EvalError {
    let r = program.rule(rule);
    let name = &program.relation(relation).name;
    let what = match limit {
        Limit::Tuples(m) => format!("the relations together grew past {m} tuples"),
        Limit::RelationTuples(m) => format!("relation `{name}` grew past {m} tuples"),
        Limit::Memory(m) => format!("the evaluation grew past an estimated {} MiB", m >> 20),
        Limit::Symbols => "the symbol table is full".to_string(),
        Limit::Interrupted => "the evaluation was interrupted".to_string(),
    };
    let message = match limit {
        Limit::Interrupted => format!(
            "{what} while rule `{}` derived `{name}` (a time limit, or a request to stop)",
            r.id
        ),
        _ => format!(
            "evaluation stopped: {what} while rule `{}` derived `{name}`; a rule that derives new values from its own results, such as `n(X + 1) :- n(X).`, never ends",
            r.id
        ),
    };
    let what_de = match limit {
        Limit::Tuples(m) => format!("die Relationen zusammen wuchsen über {m} Tupel"),
        Limit::RelationTuples(m) => format!("die Relation `{name}` wuchs über {m} Tupel"),
        Limit::Memory(m) => format!("die Auswertung wuchs über geschätzt {} MiB", m >> 20),
        Limit::Symbols => "die Symboltabelle ist voll".to_string(),
        Limit::Interrupted => "die Auswertung wurde unterbrochen".to_string(),
    };
    let message_de = match limit {
        Limit::Interrupted => format!(
            "{what_de}, während die Regel `{}` `{name}` ableitete (ein Zeitlimit oder eine Aufforderung anzuhalten)",
            r.id
        ),
        _ => format!(
            "Auswertung angehalten: {what_de}, während die Regel `{}` `{name}` ableitete; eine Regel, die aus ihren eigenen Ergebnissen neue Werte ableitet, etwa `n(X + 1) :- n(X).`, endet nie",
            r.id
        ),
    };
    EvalError {
        message,
        message_de: Some(message_de),
        kind: EvalErrorKind::Limit {
            limit,
            rule,
            relation,
        },
    }
}
