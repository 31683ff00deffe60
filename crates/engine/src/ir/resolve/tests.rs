use super::external::{raw_fits, raw_value};
use super::*;
use crate::ir::dump::dump;
use crate::ir::Literal;

fn run(text: &str, lenient: bool, external: Vec<ExternalRelation>) -> Compiled {
    let mut sources = SourceMap::new();
    sources.add("t.dl", text);
    compile(&sources, &CompileOptions { lenient, external })
}

fn codes(c: &Compiled) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

fn ext(name: &str, rows: Vec<Vec<RawValue>>) -> ExternalRelation {
    ExternalRelation {
        name: name.into(),
        rows,
    }
}

#[test]
fn lenient_external_facts_make_and_type_relations() {
    use RawValue::*;
    let c = run(
        "p(X, Y) :- e(X, Y), X < 3",
        true,
        vec![
            ext("e", vec![vec![Int(1), Str("a".into())]]),
            ext("empty", vec![]),
        ],
    );
    let p = c.program.expect("compiles");
    let out = dump(&p);
    assert!(out.contains("e(c1: number, c2: symbol)"), "{out}");
    assert!(out.contains("p(c1: number, c2: symbol)"), "{out}");
    assert!(out.contains("e(1, \"a\")."), "{out}");
    assert!(out.contains("empty()"), "{out}");
}

#[test]
fn external_rows_of_the_wrong_shape_are_named_by_json_path() {
    use RawValue::*;
    let c = run(
        "p(X) :- e(X, _).",
        true,
        vec![ext(
            "e",
            vec![
                vec![Int(1), Int(2)],
                vec![Str("x".into()), Int(3)],
                vec![Int(4)],
            ],
        )],
    );
    assert!(c.program.is_none());
    let msgs: Vec<&str> = c.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(codes(&c), vec!["arity_mismatch"], "{msgs:?}");
    assert!(msgs[0].starts_with("facts.e[2]"), "{msgs:?}");
    let c = run(
        "p(X) :- e(X, _).",
        true,
        vec![ext(
            "e",
            vec![vec![Int(1), Int(2)], vec![Str("x".into()), Int(3)]],
        )],
    );
    assert_eq!(codes(&c), vec!["type_mismatch"]);
    assert!(c.diagnostics[0]
        .message
        .starts_with("facts.e[1][0]: expected a number"));
}

#[test]
fn strict_external_facts_read_text_by_column_type() {
    use RawValue::*;
    let text = ".decl e(n: number, d: date, s: symbol)\n.input e";
    let c = run(
        text,
        false,
        vec![ext(
            "e",
            vec![vec![Str("12".into()), Str("2024-05-14".into()), Int(7)]],
        )],
    );
    let out = dump(&c.program.expect("compiles"));
    assert!(out.contains("e(12, 2024-05-14, \"7\")."), "{out}");
    let c = run(text, false, vec![ext("f", vec![])]);
    assert_eq!(codes(&c), vec!["unknown_relation"]);
    let c = run(
        text,
        false,
        vec![ext(
            "e",
            vec![vec![Str("x".into()), Str("2024-05-14".into()), Int(7)]],
        )],
    );
    assert_eq!(codes(&c), vec!["type_mismatch"]);
}

#[test]
fn unknown_relations_are_errors_only_in_strict_mode() {
    let text = ".decl p(x: number)\np(X) :- q(X).";
    assert_eq!(codes(&run(text, false, vec![])), vec!["unknown_relation"]);
    let c = run(text, true, vec![]);
    assert!(c.diagnostics.is_empty());
    assert!(dump(&c.program.expect("compiles")).contains("q(c1: number)"));
}

#[test]
fn constant_of_the_other_type_is_an_error_in_strict_mode() {
    let text = ".decl e(x: number)\n.decl p(x: number)\np(X) :- e(X), X = \"a\".";
    assert_eq!(codes(&run(text, false, vec![])), vec!["type_mismatch"]);
    let c = run(text, true, vec![]);
    let p = c.program.expect("lenient drops the rule");
    assert!(p.rules.is_empty());
}

#[test]
fn equalities_bind_and_atoms_with_expressions_do_not() {
    let c = run(
        ".decl e(x: number)\n.decl p(x: number, y: number)\np(X, Y) :- e(X), X + 1 = Y.\np(X, Y) :- e(X), !e(X + 1), Y = X.",
        false,
        vec![],
    );
    let p = c.program.expect("compiles");
    for r in &p.rules {
        let binds: Vec<_> = r
            .body
            .iter()
            .filter_map(|l| match l {
                Literal::Cmp(c) => c.binds,
                _ => None,
            })
            .collect();
        assert!(!binds.is_empty(), "{}", crate::ir::dump::rule(&p, r));
    }
    let out = dump(&p);
    // `X + 1 = Y` is turned around to bind `Y`; the negated `e(X + 1)` gets a fresh
    // variable bound before it.
    assert!(out.contains("Y := (X + 1)"), "{out}");
    assert!(out.contains("$t1 := (X + 1), !e($t1)"), "{out}");
    assert!(out.contains("[p#2]"), "{out}");
}

#[test]
fn strata_put_negated_relations_first() {
    let c = run(
        "a(X) :- b(X), !c(X).\nc(X) :- d(X).\nb(X) :- d(X).\nd(1).",
        true,
        vec![],
    );
    let p = c.program.expect("compiles");
    let order: Vec<&str> = p
        .strata
        .iter()
        .map(|s| p.relation(s.relations[0]).name.as_str())
        .collect();
    let pos = |n: &str| order.iter().position(|x| *x == n).unwrap();
    assert!(pos("c") < pos("a") && pos("b") < pos("a"), "{order:?}");
    assert!(p.strata.iter().all(|s| !s.recursive));
}

#[test]
fn min_and_max_order_numbers_and_dates_only() {
    let c = run("m(Z) :- a(X), b(Y), Z = min(X, Y).", true, vec![]);
    let out = dump(&c.program.expect("untyped arguments are numbers"));
    assert!(out.contains("a(c1: number)"), "{out}");
    let c = run(
        ".decl s(x: symbol)\n.decl m(x: symbol)\nm(Z) :- s(X), s(Y), Z = max(X, Y).",
        false,
        vec![],
    );
    assert_eq!(codes(&c), vec!["type_mismatch"]);
    let c = run(
        "m(Z) :- Z = max(2024-01-01, 2023-01-01, 2025-02-03).",
        true,
        vec![],
    );
    assert!(c.program.is_some(), "{:?}", c.diagnostics);
}

#[test]
fn raw_fits_agrees_with_raw_value() {
    let values = [
        RawValue::Int(5),
        RawValue::Str("5".into()),
        RawValue::Str("x".into()),
        RawValue::Str("2024-05-14".into()),
    ];
    let mut interner = Interner::new();
    for v in &values {
        for ty in [Type::Symbol, Type::Number, Type::Date] {
            for lenient in [false, true] {
                assert_eq!(
                    raw_fits(v, ty, lenient),
                    raw_value(v, ty, lenient, &mut interner).is_some(),
                    "{v:?} {ty} {lenient}"
                );
            }
        }
    }
}

#[test]
fn broken_input_never_panics() {
    for text in [
        "",
        ".",
        "(",
        "p(",
        ".decl",
        ".decl p(",
        ".rule",
        ".rule r {",
        ".rule r { norms: [",
        ".norm \"a:1\" { from: 2020-01-01, to: 2019-01-01 }",
        "p(X) :- (X",
        "p(X) :- q(X), (X < (1 + ",
        "p(1) :- !",
        "p() :- p(), !p().",
        "\"",
        "/* ",
        "p(\"\\",
        "@",
        "p(X) :- q(X), X = @date(\"2024-13-01\").",
        "p(9999999999999999999999).",
        "finding(A) :- q(A).",
        ".rule r { decision: block } p(X) :- q(X).",
        "p(X) :- q(X), X = cat(X).",
        "p(-) .",
        "ü(1).",
    ] {
        for lenient in [false, true] {
            let c = run(text, lenient, vec![]);
            let mut sources = SourceMap::new();
            sources.add("t.dl", text);
            let _ = crate::diag::render(&c.diagnostics, &sources, Default::default());
        }
    }
}
