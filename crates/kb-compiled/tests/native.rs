//! The compiled evaluator against the interpreter on the program that holds every kind of
//! operation a plan can contain (`crates/codegen/programs/features.dl`): on random facts,
//! both give the same relations and the same derivation tree for every derived tuple.
//! (The shipped knowledge base is compared on models by the root crate's
//! `tests/it/compiled_parity.rs`.)

use proptest::prelude::*;
use sphere_engine::eval::{evaluate, Database, EvalOptions, Evaluation};
use sphere_engine::explain::render_tree;
use sphere_engine::ir::{Program, RelId};
use sphere_engine::value::display;
use sphere_engine::{compile, CompileOptions, Date, SourceMap, Value};
use sphere_kb_compiled::{Generated, KB};

// The generated test programs, as the generator wrote them (the staleness test compares bytes).
#[rustfmt::skip]
#[path = "programs/features.rs"]
mod features;
#[rustfmt::skip]
#[path = "programs/tc.rs"]
mod tc;

/// The compiled evaluator's test program (`crates/codegen/programs/features.dl`).
const FEATURES: Generated = Generated {
    code: &features::PROGRAM,
};

/// The tc-anchor program (`../shared/bench/tc-anchor/tc.dl`).
const TC: Generated = Generated { code: &tc::PROGRAM };

const FEATURES_DL: &str = include_str!("../../codegen/programs/features.dl");

fn program(name: &str, text: &str) -> Program {
    let mut sources = SourceMap::new();
    sources.add(name.to_string(), text.to_string());
    compile(&sources, &CompileOptions::default())
        .program
        .expect("the program compiles")
}

fn features() -> Program {
    program("crates/codegen/programs/features.dl", FEATURES_DL)
}

#[derive(Clone, Debug)]
struct Facts {
    edge: Vec<(i64, i64)>,
    label: Vec<(i64, &'static str)>,
    when: Vec<(i64, &'static str)>,
    blocked: Vec<i64>,
    stop: bool,
}

/// Labels that parse as dates or numbers, or neither, and one ("z") the rules single out.
const LABELS: &[&str] = &["a", "b", "z", "12", "-3", "2024-01-31", "2024-02-30", ""];
/// Dates around month ends and the end of the calendar (where `@add_months` has no result).
const DATES: &[&str] = &[
    "2023-02-28",
    "2024-01-31",
    "2024-02-29",
    "2024-12-30",
    "1970-01-01",
    "9999-12-31",
];

fn facts() -> impl Strategy<Value = Facts> {
    (
        prop::collection::vec((-1i64..6, -1i64..6), 0..14),
        prop::collection::vec((-1i64..6, prop::sample::select(LABELS)), 0..8),
        prop::collection::vec((-1i64..6, prop::sample::select(DATES)), 0..6),
        prop::collection::vec(-1i64..6, 0..3),
        any::<bool>(),
    )
        .prop_map(|(edge, label, when, blocked, stop)| Facts {
            edge,
            label,
            when,
            blocked,
            stop,
        })
}

fn database(p: &Program, f: &Facts) -> Database {
    let mut db = Database::new(p);
    let rel = |n: &str| p.relation_by_name(n).expect("declared");
    for &(a, b) in &f.edge {
        db.insert(rel("edge"), &[Value::Num(a), Value::Num(b)]);
    }
    for &(a, s) in &f.label {
        let s = db.intern(s);
        db.insert(rel("label"), &[Value::Num(a), Value::Sym(s)]);
    }
    for &(a, d) in &f.when {
        let d = Date::parse(d).expect("a date");
        db.insert(rel("when"), &[Value::Num(a), Value::Date(d)]);
    }
    for &a in &f.blocked {
        db.insert(rel("blocked"), &[Value::Num(a)]);
    }
    if f.stop {
        db.insert(rel("stop"), &[]);
    }
    db
}

/// Every relation as sorted text, and the rendered tree of every derived tuple: symbols made
/// at run time (`cat`, `to_string`) may have other ids in the two runs, so text is compared.
/// (Not row order: the two evaluators may join in other orders, see `Store::record`.)
fn describe(p: &Program, ev: &Evaluation<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, r) in p.relations.iter().enumerate() {
        let rel = RelId(i as u32);
        let derived = p.rules.iter().any(|x| x.head.rel == rel);
        for t in ev.tuples(rel) {
            let text: Vec<String> = t.iter().map(|v| display(*v, ev.interner())).collect();
            out.push(format!("{}({})", r.name, text.join(", ")));
            if derived && ev.has_provenance() {
                let tree = ev.explain(rel, &t).expect("a derived tuple has a tree");
                out.push(render_tree(&tree, p, ev.interner()));
            }
        }
    }
    out
}

fn both(p: &Program, f: &Facts, provenance: bool) -> (Vec<String>, Vec<String>) {
    let opts = EvalOptions {
        provenance,
        profile: false,
    };
    let a = evaluate(p, database(p, f), &opts).expect("the interpreter evaluates");
    let b = FEATURES
        .evaluate(p, database(p, f), &opts)
        .expect("the compiled program evaluates");
    (describe(p, &a), describe(p, &b))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn compiled_and_interpreted_agree_with_provenance(f in facts()) {
        let p = features();
        let (a, b) = both(&p, &f, true);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn compiled_and_interpreted_agree_without_provenance(f in facts()) {
        let p = features();
        let (a, b) = both(&p, &f, false);
        prop_assert_eq!(a, b);
    }
}

/// Facts enough that every queue of bindings fills, and runs, many times in the middle of
/// the step before it (`BATCH` bindings at a time): the two evaluators still agree on every
/// relation, its row order and every tree.
#[test]
fn compiled_and_interpreted_agree_when_batches_fill() {
    let p = features();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let n = 40;
    let f = Facts {
        edge: (0..400)
            .map(|_| (next(n) as i64 - 1, next(n) as i64 - 1))
            .collect(),
        label: (0..200)
            .map(|_| {
                (
                    next(n) as i64 - 1,
                    LABELS[next(LABELS.len() as u64) as usize],
                )
            })
            .collect(),
        when: (0..200)
            .map(|_| (next(n) as i64 - 1, DATES[next(DATES.len() as u64) as usize]))
            .collect(),
        blocked: (0..5).map(|_| next(n) as i64 - 1).collect(),
        stop: false,
    };
    for provenance in [true, false] {
        let (a, b) = both(&p, &f, provenance);
        assert_eq!(a, b);
        // The closure alone holds far more than a batch.
        let paths = b
            .iter()
            .filter(|l| l.starts_with("path(") && !l.contains('\n'))
            .count();
        assert!(
            paths > 10 * sphere_engine::eval::native::BATCH,
            "{paths} paths"
        );
    }
}

#[test]
fn a_hand_checked_case() {
    // 0 -> 1 -> 2 -> 0 and 2 -> 2: every node reaches every node; 3 -> 4 apart.
    let p = features();
    let f = Facts {
        edge: vec![(0, 1), (1, 2), (2, 0), (2, 2), (3, 4)],
        label: vec![(0, "a"), (1, "b"), (2, "2024-01-31"), (3, "12"), (5, "z")],
        when: vec![(0, "2024-01-31"), (1, "2023-02-28")],
        blocked: vec![2],
        stop: false,
    };
    let (a, b) = both(&p, &f, true);
    assert_eq!(a, b);
    for expected in [
        "path(2, 1)",
        "selfloop(2)",
        "from_zero(1)",
        "unreached(3)",
        "unreached(5)",
        "lonely(5)",
        "go()",
        "before(a, b)",
        "due(0, 2024-02-29)",
        "named(0, a-0)",
        "parsed(2, 2024-01-31)",
        "number_of(3, 12)",
        "quotient(1, 100)",
        "fixed(2)",
        "quiet(0)",
        "any_blocked()",
    ] {
        assert!(b.iter().any(|l| l == expected), "missing {expected}");
    }
    // 2 is blocked, `stop` is false.
    // 2 -> 2 divides by zero: only 2 -> 0 gives a quotient.
    assert_eq!(
        b.iter()
            .filter(|l| l.starts_with("quotient(2,") && !l.contains('\n'))
            .collect::<Vec<_>>(),
        ["quotient(2, -50)"]
    );
    for absent in ["negated(2, -2)", "constant_head(seen, 1)"] {
        assert!(
            !b.iter().any(|l| l.starts_with(absent)),
            "unexpected {absent}"
        );
    }
}

#[test]
fn generated_code_refuses_another_program() {
    let p = program(
        "other.dl",
        ".decl e(x: number)\n.input e\n.decl f(x: number)\nf(x) :- e(x).\n",
    );
    for code in [&KB, &TC, &FEATURES] {
        let err = code
            .evaluate(&p, Database::new(&p), &EvalOptions::default())
            .err()
            .expect("refused");
        assert!(err.message.contains("different version"), "{}", err.message);
    }
    // The same program with one rule changed is another program too.
    let changed = FEATURES_DL.replace("s <= 40", "s <= 41");
    let q = program("crates/codegen/programs/features.dl", &changed);
    assert!(FEATURES.matches(&q).is_err());
    assert!(FEATURES.matches(&features()).is_ok());
}

/// Arithmetic beyond the 64-bit numbers has no result in generated code as in the
/// interpreter: `-x` of the smallest number, `x * 10 + y` and `100 / (y - x)` that overflow
/// do not fire their rules; `x % y` has a result for every divisor but zero, also
/// `-9223372036854775808 % -1` (0), whose quotient does not exist.
#[test]
fn compiled_and_interpreted_agree_on_overflow() {
    let p = features();
    let f = Facts {
        edge: vec![
            (i64::MIN, 1),
            (i64::MAX, -1),
            (1, i64::MIN),
            (-1, i64::MAX),
            (2, 3),
            (i64::MIN, -1),
            (7, 0),
        ],
        label: vec![],
        when: vec![],
        blocked: vec![],
        stop: false,
    };
    let (a, b) = both(&p, &f, true);
    assert_eq!(a, b);
    let lines = |prefix: &str| -> Vec<String> {
        b.iter()
            .filter(|l| l.starts_with(prefix) && !l.contains('\n'))
            .cloned()
            .collect()
    };
    // -(-9223372036854775808) does not exist; every other number has a negation.
    assert!(lines("negated(-9223372036854775808,").is_empty());
    assert_eq!(
        lines("negated(9223372036854775807,"),
        ["negated(9223372036854775807, -9223372036854775807)"]
    );
    // 100 / (y - x): three differences of the extreme edges overflow; -1 - 9223372036854775807
    // is the smallest number, and 3 - 2 is one.
    assert_eq!(
        lines("quotient("),
        [
            "quotient(-9223372036854775808, 0)",
            "quotient(2, 100)",
            "quotient(7, -14)",
            "quotient(9223372036854775807, 0)"
        ]
    );
    // x % y: every edge but 7 -> 0 has a remainder, -9223372036854775808 % -1 among them.
    assert_eq!(
        lines("remainder("),
        [
            "remainder(-9223372036854775808, -1, 0)",
            "remainder(-9223372036854775808, 1, 0)",
            "remainder(-1, 9223372036854775807, -1)",
            "remainder(1, -9223372036854775808, 1)",
            "remainder(2, 3, 2)",
            "remainder(9223372036854775807, -1, 0)"
        ]
    );
}

/// Under bounds, generated code stops where the interpreter stops: the same bound, rule and
/// relation.
#[test]
fn compiled_and_interpreted_stop_at_the_same_bound() {
    use sphere_engine::eval::evaluate_with;
    use sphere_engine::eval::limits::{Guard, Limits};
    let p = features();
    let f = Facts {
        // One cycle through 40 nodes: 1,600 paths.
        edge: (0..40).map(|i| (i, (i + 1) % 40)).collect(),
        label: vec![],
        when: vec![],
        blocked: vec![],
        stop: false,
    };
    let guard = || {
        Guard::new(Limits {
            max_relation_tuples: Some(200),
            ..Limits::NONE
        })
    };
    let opts = EvalOptions::default();
    let a = evaluate_with(&p, database(&p, &f), &opts, guard())
        .err()
        .expect("the interpreter stops");
    let b = FEATURES
        .evaluate_with(&p, database(&p, &f), &opts, guard())
        .err()
        .expect("the compiled program stops");
    assert_eq!(a, b);
    assert!(a.message.contains("grew past 200 tuples"), "{}", a.message);
}
