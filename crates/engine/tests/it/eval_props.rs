//! Property test: on random positive programs (built directly as IR, with recursion, joins,
//! constants, repeated variables and wildcards), the semi-naive interpreter computes exactly
//! what a naive bottom-up evaluator computes, with and without provenance; and every derived
//! tuple's derivation tree is well-founded (premises strictly lower) and re-checks.

use std::collections::BTreeSet;

use proptest::prelude::*;
use sphere_engine::diag::{FileId, Span};
use sphere_engine::eval::{evaluate, Database, EvalOptions};
use sphere_engine::explain::{Node, Premise, Tree};
use sphere_engine::ir::{
    Atom, Column, Expr, Fact, Head, Literal, Program, RelId, Relation, Rule, Stratum, Term, Var,
    VarInfo,
};
use sphere_engine::{Type, Value};

const SPAN: Span = Span {
    file: FileId(0),
    start: 0,
    end: 0,
};

#[derive(Clone, Debug)]
struct GenAtom {
    rel: usize,
    args: Vec<GenTerm>,
}

#[derive(Clone, Debug)]
enum GenTerm {
    Var(u32),
    Const(i64),
    Wild,
}

#[derive(Clone, Debug)]
struct GenRule {
    head_rel: usize,
    head_vars: Vec<u32>,
    body: Vec<GenAtom>,
}

/// Relations 0..3 are input (arity 2, 1, 3), 3..6 derived (arity 2, 1, 3).
const ARITY: [usize; 6] = [2, 1, 3, 2, 1, 3];

/// A value: mostly small (so that joins meet), sometimes one of the words that the store keeps
/// apart from the packed one-word keys (negative, beyond 32 bits, the all-ones word).
fn value() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => 0i64..5,
        1 => prop::sample::select(vec![
            -1,
            -7,
            i64::MIN,
            i64::MAX,
            i64::from(u32::MAX),
            1 << 32,
            (1 << 32) + 1,
        ]),
    ]
}

fn term() -> impl Strategy<Value = GenTerm> {
    prop_oneof![
        6 => (0u32..4).prop_map(GenTerm::Var),
        1 => value().prop_map(GenTerm::Const),
        1 => Just(GenTerm::Wild),
    ]
}

fn atom() -> impl Strategy<Value = GenAtom> {
    (0usize..6).prop_flat_map(|rel| {
        proptest::collection::vec(term(), ARITY[rel]).prop_map(move |args| GenAtom { rel, args })
    })
}

fn rule() -> impl Strategy<Value = GenRule> {
    (
        3usize..6,
        proptest::collection::vec(atom(), 1..4),
        proptest::collection::vec(0usize..8, 3),
    )
        .prop_map(|(head_rel, body, picks)| {
            // Head variables must occur in the body: pick from the body's variables.
            let vars: Vec<u32> = body
                .iter()
                .flat_map(|a| a.args.iter())
                .filter_map(|t| {
                    if let GenTerm::Var(v) = t {
                        Some(*v)
                    } else {
                        None
                    }
                })
                .collect();
            let head_vars = (0..ARITY[head_rel])
                .map(|i| {
                    if vars.is_empty() {
                        u32::MAX
                    } else {
                        vars[picks[i] % vars.len()]
                    }
                })
                .collect();
            GenRule {
                head_rel,
                head_vars,
                body,
            }
        })
}

fn facts() -> impl Strategy<Value = Vec<(usize, Vec<i64>)>> {
    proptest::collection::vec(
        (0usize..3).prop_flat_map(|rel| {
            proptest::collection::vec(value(), ARITY[rel]).prop_map(move |v| (rel, v))
        }),
        0..25,
    )
}

fn build(rules: &[GenRule], facts: &[(usize, Vec<i64>)]) -> Program {
    let mut p = Program::default();
    for (i, &ar) in ARITY.iter().enumerate() {
        p.relations.push(Relation {
            name: format!("r{i}"),
            columns: (0..ar)
                .map(|c| Column {
                    name: format!("c{c}"),
                    ty: Type::Number,
                })
                .collect(),
            input: i < 3,
            output: i >= 3,
            generated: false,
            span: SPAN,
            doc: None,
        });
    }
    for (n, r) in rules.iter().enumerate() {
        let nvars = 4;
        let vars = (0..nvars)
            .map(|v| VarInfo {
                name: format!("V{v}"),
                ty: Type::Number,
            })
            .collect();
        let head_args = r
            .head_vars
            .iter()
            .map(|&v| {
                if v == u32::MAX {
                    Expr::Const(Value::Num(0))
                } else {
                    Expr::Var(Var(v))
                }
            })
            .collect();
        let body = r
            .body
            .iter()
            .map(|a| {
                Literal::Atom(Atom {
                    rel: RelId(a.rel as u32),
                    args: a
                        .args
                        .iter()
                        .map(|t| match t {
                            GenTerm::Var(v) => Term::Var(Var(*v)),
                            GenTerm::Const(c) => Term::Const(Value::Num(*c)),
                            GenTerm::Wild => Term::Wildcard,
                        })
                        .collect(),
                    negated: false,
                    span: SPAN,
                })
            })
            .collect();
        p.rules.push(Rule {
            id: format!("rule{n}"),
            head: Head {
                rel: RelId(r.head_rel as u32),
                args: head_args,
                span: SPAN,
            },
            body,
            vars,
            meta: None,
            span: SPAN,
        });
    }
    for (rel, vals) in facts {
        p.facts.push(Fact {
            rel: RelId(*rel as u32),
            values: vals.iter().map(|&v| Value::Num(v)).collect(),
            span: SPAN,
        });
    }
    // One recursive stratum holding every rule: correct for positive programs.
    p.strata.push(Stratum {
        rules: (0..rules.len())
            .map(|i| sphere_engine::ir::RuleIdx(i as u32))
            .collect(),
        relations: (3..6).map(|i| RelId(i as u32)).collect(),
        recursive: true,
    });
    p
}

type Db = Vec<BTreeSet<Vec<i64>>>;

/// Naive bottom-up evaluation: apply every rule to everything until nothing changes.
fn naive(rules: &[GenRule], facts: &[(usize, Vec<i64>)]) -> Db {
    let mut db: Db = vec![BTreeSet::new(); 6];
    for (rel, v) in facts {
        db[*rel].insert(v.clone());
    }
    loop {
        let mut new = Vec::new();
        for r in rules {
            let mut envs: Vec<[Option<i64>; 4]> = vec![[None; 4]];
            for a in &r.body {
                let mut next = Vec::new();
                for env in &envs {
                    'tuple: for t in &db[a.rel] {
                        let mut e = *env;
                        for (arg, &val) in a.args.iter().zip(t) {
                            match arg {
                                GenTerm::Var(v) => match e[*v as usize] {
                                    Some(x) if x != val => continue 'tuple,
                                    Some(_) => {}
                                    None => e[*v as usize] = Some(val),
                                },
                                GenTerm::Const(c) if *c != val => continue 'tuple,
                                _ => {}
                            }
                        }
                        next.push(e);
                    }
                }
                envs = next;
            }
            for e in envs {
                let t: Vec<i64> = r
                    .head_vars
                    .iter()
                    .map(|&v| {
                        if v == u32::MAX {
                            0
                        } else {
                            e[v as usize].expect("bound")
                        }
                    })
                    .collect();
                new.push((r.head_rel, t));
            }
        }
        let mut changed = false;
        for (rel, t) in new {
            changed |= db[rel].insert(t);
        }
        if !changed {
            return db;
        }
    }
}

fn height(t: &Tree) -> usize {
    match &t.node {
        Node::Input => 0,
        Node::Rule { premises, .. } => {
            1 + premises
                .iter()
                .map(|p| {
                    if let Premise::Holds(s) = p {
                        height(s)
                    } else {
                        0
                    }
                })
                .max()
                .unwrap_or(0)
        }
    }
}

/// Every node's premises are facts of the evaluation and the rule's head is the node.
fn check_tree(t: &Tree, ev: &sphere_engine::eval::Evaluation<'_>) {
    assert!(ev.contains(t.rel, &t.values));
    if let Node::Rule { premises, .. } = &t.node {
        for p in premises {
            if let Premise::Holds(s) = p {
                assert!(height(s) < height(t));
                check_tree(s, ev);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn semi_naive_agrees_with_naive(rules in proptest::collection::vec(rule(), 1..6), facts in facts()) {
        prop_assume!(rules.iter().all(|r| !r.head_vars.contains(&u32::MAX)));
        let expected = naive(&rules, &facts);
        let program = build(&rules, &facts);
        for provenance in [false, true] {
            let ev = evaluate(&program, Database::new(&program), &EvalOptions { provenance, profile: false }).expect("evaluates");
            for (rel, want) in expected.iter().enumerate() {
                let got: BTreeSet<Vec<i64>> = ev
                    .tuples(RelId(rel as u32))
                    .into_iter()
                    .map(|t| t.into_iter().map(|v| match v { Value::Num(n) => n, _ => unreachable!() }).collect())
                    .collect();
                prop_assert_eq!(&got, want, "relation r{} (provenance {})", rel, provenance);
                if provenance {
                    for t in ev.tuples(RelId(rel as u32)) {
                        let tree = ev.explain(RelId(rel as u32), &t).expect("derived tuples explain");
                        check_tree(&tree, &ev);
                    }
                }
            }
        }
    }
}
