//! End-to-end evaluator tests: program text through the front end and the interpreter.

use sphere_engine::eval::{evaluate, Database, EvalOptions};
use sphere_engine::explain::{render_tree, render_why_not};
use sphere_engine::{compile, CompileOptions, SourceMap, Value};

fn run(text: &str) -> (sphere_engine::ir::Program, SourceMap) {
    let mut sources = SourceMap::new();
    sources.add("test.dl", text);
    let c = compile(&sources, &CompileOptions::default());
    let rendered = sphere_engine::diag::render(&c.diagnostics, &sources, Default::default());
    let program = c
        .program
        .unwrap_or_else(|| panic!("program compiles:\n{rendered}"));
    (program, sources)
}

/// All tuples of `rel` as text, one per line.
fn rel_text(ev: &sphere_engine::eval::Evaluation<'_>, name: &str) -> String {
    let p = ev.program();
    let rel = p.relation_by_name(name).expect("relation exists");
    ev.tuples(rel)
        .iter()
        .map(|t| sphere_engine::explain::atom_text(p, rel, t, ev.interner()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn transitive_closure_with_stratified_negation() {
    let (p, _) = run(r#"
        .decl edge(x: number, y: number)
        .decl node(x: number)
        .decl path(x: number, y: number)
        .decl unreach(y: number)
        edge(0, 1). edge(1, 2). edge(2, 0). edge(3, 4).
        node(x) :- edge(x, _).
        node(y) :- edge(_, y).
        path(x, y) :- edge(x, y).
        path(x, z) :- path(x, y), edge(y, z).
        unreach(y) :- node(y), !path(0, y).
    "#);
    for provenance in [false, true] {
        let ev = evaluate(
            &p,
            Database::new(&p),
            &EvalOptions {
                provenance,
                profile: false,
            },
        )
        .unwrap();
        assert_eq!(rel_text(&ev, "unreach"), "unreach(3)\nunreach(4)");
        assert_eq!(ev.len(p.relation_by_name("path").unwrap()), 10);
    }
}

#[test]
fn equality_binds_and_arithmetic_and_dates() {
    let (p, _) = run(r#"
        .decl n(x: number)
        .decl next(x: number, y: number)
        .decl due(d: date, deadline: date, days: number)
        .decl late(d: date)
        n(1). n(2).
        next(x, y) :- n(x), y = x * 10 + 1.
        due(d, e, k) :- n(x), d = @add_days(2024-01-30, x), e = @add_months(d, 1), k = @days_between(d, e).
        late(d) :- due(d, e, _), e > 2024-02-29.
    "#);
    let ev = evaluate(&p, Database::new(&p), &EvalOptions::default()).unwrap();
    assert_eq!(rel_text(&ev, "next"), "next(1, 11)\nnext(2, 21)");
    assert_eq!(
        rel_text(&ev, "due"),
        "due(2024-01-31, 2024-02-29, 29)\ndue(2024-02-01, 2024-03-01, 29)"
    );
    assert_eq!(rel_text(&ev, "late"), "late(2024-02-01)");
}

#[test]
fn symbols_compare_by_text_and_repeated_variables_join() {
    let (p, _) = run(r#"
        .decl s(a: symbol, b: symbol)
        .decl less(a: symbol, b: symbol)
        .decl same(a: symbol)
        s("b", "a"). s("a", "b"). s("c", "c").
        less(a, b) :- s(a, b), a < b.
        same(a) :- s(a, a).
    "#);
    let ev = evaluate(&p, Database::new(&p), &EvalOptions::default()).unwrap();
    assert_eq!(rel_text(&ev, "less"), r#"less("a", "b")"#);
    assert_eq!(rel_text(&ev, "same"), r#"same("c")"#);
}

#[test]
fn derivation_tree_is_minimal_and_why_not_names_the_failing_premise() {
    let (p, _) = run(r#"
        .decl edge(x: number, y: number)
        .decl path(x: number, y: number)
        .decl blocked(x: number)
        .decl open(x: number, y: number)
        edge(1, 2). edge(2, 3). edge(1, 3). blocked(3).
        path(x, y) :- edge(x, y).
        path(x, z) :- path(x, y), edge(y, z).
        open(x, y) :- path(x, y), !blocked(y).
    "#);
    let ev = evaluate(
        &p,
        Database::new(&p),
        &EvalOptions {
            provenance: true,
            profile: false,
        },
    )
    .unwrap();
    let path = p.relation_by_name("path").unwrap();
    let tree = ev.explain(path, &[Value::Num(1), Value::Num(3)]).unwrap();
    // The direct edge is the lowest derivation, not the two-step one.
    assert_eq!(
        render_tree(&tree, &p, ev.interner()),
        "path(1, 3)  [rule path#1]\n└─ edge(1, 3)  [fact]\n"
    );
    let open = p.relation_by_name("open").unwrap();
    let tree = ev.explain(open, &[Value::Num(1), Value::Num(2)]).unwrap();
    assert_eq!(
        render_tree(&tree, &p, ev.interner()),
        "open(1, 2)  [rule open#1]\n├─ path(1, 2)  [rule path#1]\n│  └─ edge(1, 2)  [fact]\n└─ no blocked(2)  [absent]\n"
    );
    let why = ev.why_not(open, &[Value::Num(1), Value::Num(3)], 2);
    let text = render_why_not(&why, &p, ev.interner(), None);
    assert!(text.contains("open(1, 3) does not hold"), "{text}");
    assert!(
        text.contains("blocked(3) holds, but the rule requires its absence"),
        "{text}"
    );
    let why = ev.why_not(path, &[Value::Num(3), Value::Num(1)], 2);
    let text = render_why_not(&why, &p, ev.interner(), None);
    assert!(text.contains("fails at premise 1: no edge(3, 1)"), "{text}");
}

/// Tables beyond a core's L2 cache (`PREFETCH_MIN_BYTES`, 1 MiB) make the read loops
/// prefetch: the lookups a row keys, short lists up front stage by stage, and lookups along
/// a chain (keyed by the row an earlier lookup finds). Prefetching is a hint: the joins give
/// the tuples computed here directly.
#[test]
fn joins_over_tables_large_enough_to_prefetch_give_the_tuples_computed_directly() {
    use std::collections::{BTreeMap, BTreeSet};
    let (p, _) = run(r#"
        .decl act(a: number, kind: number)
        .decl subj(a: number, s: number)
        .decl notice(s: number, d: number)
        .decl h(a: number, d: number)
        .decl g(s: number, b: number)
        h(a, d) :- act(a, 1), subj(a, s), notice(s, d).
        g(s, b) :- act(a, 2), subj(a, s), subj(b, s), !notice(s, 3).
    "#);
    let rel = |n: &str| p.relation_by_name(n).expect("declared");
    // 200,000 activities of three kinds; 40,000 subjects with five activities each, every
    // seventh activity a second subject; notices for every other subject.
    let n = 200_000i64;
    let mut act = Vec::new();
    let mut subj: Vec<(i64, i64)> = Vec::new();
    for a in 0..n {
        act.push((a, a % 3));
        subj.push((a, a % 40_000));
        if a % 7 == 0 {
            subj.push((a, 40_000 + a * 13 % 40_000));
        }
    }
    let mut notice = BTreeSet::new();
    for s in (0..80_000i64).step_by(2) {
        notice.insert((s, s % 5));
        if s % 4 == 0 {
            notice.insert((s, 3));
        }
    }
    let mut db = Database::new(&p);
    for (name, rows) in [
        ("act", &act),
        ("subj", &subj),
        ("notice", &notice.iter().copied().collect::<Vec<_>>()),
    ] {
        for &(x, y) in rows.iter() {
            assert!(db.insert(rel(name), &[Value::Num(x), Value::Num(y)]));
        }
    }
    // The same joins, directly.
    let mut by_subject: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for &(a, s) in &subj {
        by_subject.entry(s).or_default().push(a);
    }
    let (mut h, mut g) = (BTreeSet::new(), BTreeSet::new());
    for &(a, s) in &subj {
        if a % 3 == 1 {
            h.extend(
                notice
                    .range((s, i64::MIN)..=(s, i64::MAX))
                    .map(|&(_, d)| (a, d)),
            );
        }
        if a % 3 == 2 && !notice.contains(&(s, 3)) {
            g.extend(by_subject[&s].iter().map(|&b| (s, b)));
        }
    }
    assert!(
        h.len() > 10_000 && g.len() > 100_000,
        "{} {}",
        h.len(),
        g.len()
    );
    let ev = evaluate(&p, db, &EvalOptions::default()).unwrap();
    for (name, want) in [("h", &h), ("g", &g)] {
        let got: BTreeSet<(i64, i64)> = ev
            .tuples(rel(name))
            .iter()
            .map(|t| match t[..] {
                [Value::Num(x), Value::Num(y)] => (x, y),
                _ => panic!("two numbers: {t:?}"),
            })
            .collect();
        assert_eq!(got.len(), want.len(), "{name}");
        assert!(got == *want, "{name} differs from the direct join");
    }
}

/// A computation whose result is beyond the 64-bit numbers has no result: the rule does not
/// fire for that binding (it used to wrap around: `9223372036854775807 + 1` gave
/// `-9223372036854775808`).
#[test]
fn arithmetic_that_overflows_does_not_fire_the_rule() {
    let (p, _) = run(r#"
        .decl n(x: number)
        n(9223372036854775807). n(-9223372036854775807). n(4611686018427387904). n(1).
        n(-9223372036854775807 - 1).
        .decl next(x: number, y: number)
        next(x, y) :- n(x), y = x + 1.
        .decl before(x: number, y: number)
        before(x, y) :- n(x), y = x - 2.
        .decl twice(x: number, y: number)
        twice(x, y) :- n(x), y = x * 2.
        .decl minus(x: number, y: number)
        minus(x, -x) :- n(x).
        .decl halved(x: number, y: number)
        halved(x, y) :- n(x), y = x / -1.
        .decl big(x: number)
        big(x) :- n(x), x + 1 < 0.
        .decl rest(x: number, y: number)
        rest(x, y) :- n(x), y = x % -1.
    "#);
    let ev = evaluate(&p, Database::new(&p), &EvalOptions::default()).expect("evaluates");
    assert_eq!(
        rel_text(&ev, "next"),
        "next(-9223372036854775808, -9223372036854775807)\n\
         next(-9223372036854775807, -9223372036854775806)\n\
         next(1, 2)\n\
         next(4611686018427387904, 4611686018427387905)"
    );
    assert_eq!(
        rel_text(&ev, "before"),
        "before(1, -1)\n\
         before(4611686018427387904, 4611686018427387902)\n\
         before(9223372036854775807, 9223372036854775805)"
    );
    assert_eq!(rel_text(&ev, "twice"), "twice(1, 2)");
    assert_eq!(
        rel_text(&ev, "minus"),
        "minus(-9223372036854775807, 9223372036854775807)\n\
         minus(1, -1)\n\
         minus(4611686018427387904, -4611686018427387904)\n\
         minus(9223372036854775807, -9223372036854775807)"
    );
    assert_eq!(
        rel_text(&ev, "halved"),
        "halved(-9223372036854775807, 9223372036854775807)\n\
         halved(1, -1)\n\
         halved(4611686018427387904, -4611686018427387904)\n\
         halved(9223372036854775807, -9223372036854775807)"
    );
    // `x + 1 < 0` has no result for the largest number, so it is not "big" by wrapping.
    assert_eq!(
        rel_text(&ev, "big"),
        "big(-9223372036854775808)\nbig(-9223372036854775807)"
    );
    // A remainder exists where the quotient does not: `-9223372036854775808 % -1` is 0 (the
    // rule fires), while `-9223372036854775808 / -1` above has no result.
    assert_eq!(
        rel_text(&ev, "rest"),
        "rest(-9223372036854775808, 0)\n\
         rest(-9223372036854775807, 0)\n\
         rest(1, 0)\n\
         rest(4611686018427387904, 0)\n\
         rest(9223372036854775807, 0)"
    );
}

/// A fact whose constant expression overflows is an error, not a wrapped number.
#[test]
fn a_fact_that_overflows_is_an_error() {
    let mut sources = SourceMap::new();
    sources.add(
        "t.dl",
        ".decl n(x: number)\nn(9223372036854775807 + 1).\nn(-(-9223372036854775807 - 1)).\n",
    );
    let c = compile(&sources, &CompileOptions::default());
    assert!(c.program.is_none());
    let msgs: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect();
    assert_eq!(
        msgs,
        [
            "type_mismatch this expression has no value",
            "type_mismatch this expression has no value"
        ]
    );
}

/// The derivation tree of the end of a chain of `n` steps, built, copied, compared, rendered
/// and dropped on a test thread's small stack (it used to abort with a stack overflow).
fn explain_chain(n: i64) {
    let (p, _) = run(
        ".decl e(a: number, b: number)\n.input e\n.decl reach(a: number)\n\
         reach(0).\nreach(y) :- reach(x), e(x, y).\n",
    );
    let mut db = Database::new(&p);
    let e = p.relation_by_name("e").expect("declared");
    for i in 0..n {
        db.insert(e, &[Value::Num(i), Value::Num(i + 1)]);
    }
    let opts = EvalOptions {
        provenance: true,
        ..EvalOptions::default()
    };
    let ev = evaluate(&p, db, &opts).expect("evaluates");
    let reach = p.relation_by_name("reach").expect("declared");
    let tree = ev.explain(reach, &[Value::Num(n)]).expect("derived");
    let nodes = tree.walk();
    // reach(n) .. reach(1) by the rule, reach(0) and the n edges as facts.
    assert_eq!(nodes.len() as i64, 2 * n + 1);
    assert_eq!(nodes.iter().map(|(d, _)| *d).max(), Some(n as usize));
    let copy = tree.clone();
    assert!(copy == tree);
    let text = render_tree(&tree, &p, ev.interner());
    assert_eq!(text.lines().count() as i64, 2 * n + 1);
    // Lines stay short: the indentation starts again every `INDENT_LEVELS` levels.
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(
        widest < 3 * sphere_engine::explain::INDENT_LEVELS + 60,
        "{widest}"
    );
    // The root's last premise is its edge; reach(0), at depth n, is indented from the last
    // node whose depth is a multiple of 50.
    assert_eq!(
        text.lines().last(),
        Some(format!("└─ e({}, {n})  [fact]", n - 1).as_str())
    );
    let band = (n - 1) / 50 * 50;
    let deepest = format!(
        "[{band}] {}├─ reach(0)  [fact]",
        "│  ".repeat((n - 1 - band) as usize)
    );
    assert!(text.lines().any(|l| l == deepest), "{deepest}");
    drop(copy);
    drop(tree);
}

#[test]
fn a_ten_thousand_step_chain_is_explained() {
    explain_chain(10_000);
}

#[test]
fn a_hundred_thousand_step_chain_is_explained() {
    explain_chain(100_000);
}

/// Below `INDENT_LEVELS` levels, rendering is what it always was.
#[test]
fn a_shallow_tree_renders_with_full_indentation() {
    let (p, _) = run(
        ".decl e(a: number, b: number)\ne(0, 1). e(1, 2).\n.decl reach(a: number)\n\
         reach(0).\nreach(y) :- reach(x), e(x, y).\n",
    );
    let opts = EvalOptions {
        provenance: true,
        ..EvalOptions::default()
    };
    let ev = evaluate(&p, Database::new(&p), &opts).expect("evaluates");
    let reach = p.relation_by_name("reach").expect("declared");
    let tree = ev.explain(reach, &[Value::Num(2)]).expect("derived");
    assert_eq!(
        render_tree(&tree, &p, ev.interner()),
        "reach(2)  [rule reach#1]\n\
         ├─ reach(1)  [rule reach#1]\n\
         │  ├─ reach(0)  [fact]\n\
         │  └─ e(0, 1)  [fact]\n\
         └─ e(1, 2)  [fact]\n"
    );
}

mod limits {
    use super::*;
    use sphere_engine::eval::limits::{Guard, Limit, Limits};
    use sphere_engine::eval::{evaluate_with, EvalErrorKind};

    fn unbounded() -> sphere_engine::ir::Program {
        run(".decl n(x: number)\nn(0).\nn(x + 1) :- n(x).\n").0
    }

    fn limit_of(
        e: &sphere_engine::eval::EvalError,
        p: &sphere_engine::ir::Program,
    ) -> (Limit, String, String) {
        match e.kind {
            EvalErrorKind::Limit {
                limit,
                rule,
                relation,
            } => (
                limit,
                p.rule(rule).id.clone(),
                p.relation(relation).name.clone(),
            ),
            EvalErrorKind::Internal => panic!("a limit, not {e:?}"),
        }
    }

    /// `n(x + 1) :- n(x).` never ends (it used to grow until the machine gave out): a bound on
    /// one relation stops it with an error naming the rule and the relation.
    #[test]
    fn a_rule_that_never_ends_stops_at_the_relation_limit() {
        let p = unbounded();
        let guard = Guard::new(Limits {
            max_relation_tuples: Some(5_000),
            ..Limits::NONE
        });
        let e = evaluate_with(&p, Database::new(&p), &EvalOptions::default(), guard)
            .err()
            .expect("stopped");
        assert_eq!(
            limit_of(&e, &p),
            (Limit::RelationTuples(5_000), "n#1".into(), "n".into())
        );
        assert_eq!(
            e.message,
            "evaluation stopped: relation `n` grew past 5000 tuples while rule `n#1` derived `n`; \
             a rule that derives new values from its own results, such as `n(X + 1) :- n(X).`, never ends"
        );
    }

    #[test]
    fn the_total_and_the_memory_estimate_are_bounds_too() {
        let p = unbounded();
        let total = Guard::new(Limits {
            max_tuples: Some(3_000),
            ..Limits::NONE
        });
        let e = evaluate_with(&p, Database::new(&p), &EvalOptions::default(), total)
            .err()
            .expect("stopped");
        assert_eq!(limit_of(&e, &p).0, Limit::Tuples(3_000));
        let memory = Guard::new(Limits {
            max_memory_bytes: Some(4 << 20),
            ..Limits::NONE
        });
        let e = evaluate_with(&p, Database::new(&p), &EvalOptions::default(), memory)
            .err()
            .expect("stopped");
        assert_eq!(limit_of(&e, &p).0, Limit::Memory(4 << 20));
    }

    /// The caller's callback (a deadline, a cancel flag) is asked while the rules run; the
    /// engine reads no clock itself.
    #[test]
    fn an_interrupt_stops_a_rule_that_never_ends() {
        let p = unbounded();
        let mut asked = 0;
        let guard = Guard::new(Limits::NONE).with_interrupt(move || {
            asked += 1;
            asked > 3
        });
        let e = evaluate_with(&p, Database::new(&p), &EvalOptions::default(), guard)
            .err()
            .expect("stopped");
        assert_eq!(
            limit_of(&e, &p),
            (Limit::Interrupted, "n#1".into(), "n".into())
        );
    }

    /// A single run of a rule that would make millions of tuples (a cross product) stops
    /// within a batch of the bound, not when the run ends.
    #[test]
    fn a_cross_product_stops_inside_one_run() {
        let (p, _) = run(
            ".decl n(x: number)\n.input n\n.decl pair(x: number, y: number)\n\
             pair(x, y) :- n(x), n(y).\n",
        );
        let mut db = Database::new(&p);
        let n = p.relation_by_name("n").expect("declared");
        for i in 0..300 {
            db.insert(n, &[Value::Num(i)]);
        }
        let guard = Guard::new(Limits::UNTRUSTED);
        // 90,000 pairs fit the default bounds: the run completes.
        let ev = evaluate_with(&p, db, &EvalOptions::default(), guard).expect("within bounds");
        assert_eq!(
            ev.len(p.relation_by_name("pair").expect("declared")),
            90_000
        );
        let mut db = Database::new(&p);
        for i in 0..5_000 {
            db.insert(n, &[Value::Num(i)]);
        }
        let guard = Guard::new(Limits {
            max_relation_tuples: Some(10_000),
            ..Limits::NONE
        });
        let e = evaluate_with(&p, db, &EvalOptions::default(), guard)
            .err()
            .expect("stopped");
        assert_eq!(
            limit_of(&e, &p),
            (
                Limit::RelationTuples(10_000),
                "pair#1".into(),
                "pair".into()
            )
        );
    }
}

mod sizes {
    use super::*;
    use sphere_engine::ir::resolve::{MAX_BODY_LITERALS, MAX_PROGRAM_BYTES};

    /// Program text past the bound is refused before it is parsed, at the place where it
    /// crosses the bound (compiling ten megabytes used to take more than a gigabyte).
    #[test]
    fn a_program_past_the_size_bound_is_refused_at_its_place() {
        let fact = "e(1, 2).\n";
        let first = format!(".decl e(a: number, b: number)\n{}", fact.repeat(300_000));
        let second = fact.repeat(300_000);
        let mut sources = SourceMap::new();
        sources.add("a.dl", first.clone());
        sources.add("b.dl", second);
        let c = compile(&sources, &CompileOptions::default());
        assert!(c.program.is_none());
        assert_eq!(c.diagnostics.len(), 1);
        let d = &c.diagnostics[0];
        assert_eq!(d.code.as_str(), "too_large");
        let span = d.span.expect("a place");
        assert_eq!(span.start as usize, MAX_PROGRAM_BYTES - first.len());
        let at = MAX_PROGRAM_BYTES - first.len();
        assert_eq!(
            sources.location(span),
            format!("b.dl:{}:{}", at / fact.len() + 1, at % fact.len() + 1)
        );
        assert!(d.hint.as_deref().is_some_and(|h| h.contains(".facts")));
    }

    #[test]
    fn a_rule_past_the_body_bound_is_refused_at_the_literal_past_it() {
        let body = |n: usize| {
            (0..n)
                .map(|i| format!("e(x{i}, x{})", i + 1))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = |n: usize| {
            format!(
                ".decl e(a: number, b: number)\n.input e\n.decl r(a: number, b: number)\n\
                 r(x0, x{n}) :- {}.\n",
                body(n)
            )
        };
        let mut sources = SourceMap::new();
        sources.add("ok.dl", text(MAX_BODY_LITERALS));
        let c = compile(&sources, &CompileOptions::default());
        assert!(c.program.is_some(), "{:?}", c.diagnostics);
        let mut sources = SourceMap::new();
        let long = text(MAX_BODY_LITERALS + 1);
        sources.add("long.dl", long.clone());
        let c = compile(&sources, &CompileOptions::default());
        assert!(c.program.is_none());
        let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["too_large"]);
        let span = c.diagnostics[0].span.expect("a place");
        let past = format!("e(x{MAX_BODY_LITERALS}, x{})", MAX_BODY_LITERALS + 1);
        assert_eq!(&long[span.start as usize..span.end as usize], past);
    }
}
