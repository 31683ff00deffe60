//! Stratification: the strongly connected components of the relation dependency graph
//! (petgraph's Kosaraju, which is iterative: a long chain of rules cannot exhaust the stack),
//! in a deterministic topological order, with a `cyclic_negation`
//! diagnostic for every component that reads its own negation.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use petgraph::graphmap::DiGraphMap;

use crate::diag::{Code, Diagnostic, Span};
use crate::ir::{Literal, Program, RelId, RuleIdx, Stratum};

/// An edge "relation `to` is derived from `from`", made by one body literal of one rule.
#[derive(Clone, Copy, Debug)]
struct Dep {
    from: u32,
    to: u32,
    negated: bool,
    rule: RuleIdx,
    span: Span,
}

/// Groups the program's rules into strata, or explains every negative cycle.
pub fn stratify(program: &Program) -> Result<Vec<Stratum>, Vec<Diagnostic>> {
    let n = program.relations.len();
    let mut graph: DiGraphMap<u32, (), rustc_hash::FxBuildHasher> = DiGraphMap::default();
    for i in 0..n as u32 {
        graph.add_node(i);
    }
    let mut deps = Vec::new();
    for (ri, rule) in program.rules.iter().enumerate() {
        for lit in &rule.body {
            if let Literal::Atom(a) = lit {
                deps.push(Dep {
                    from: a.rel.0,
                    to: rule.head.rel.0,
                    negated: a.negated,
                    rule: RuleIdx(ri as u32),
                    span: a.span,
                });
                graph.add_edge(a.rel.0, rule.head.rel.0, ());
            }
        }
    }
    let sccs = petgraph::algo::kosaraju_scc(&graph);
    let mut comp = vec![0usize; n];
    for (ci, scc) in sccs.iter().enumerate() {
        for &r in scc {
            comp[r as usize] = ci;
        }
    }

    // Negative cycles: one diagnostic per component, at its first negated literal.
    let mut diags = Vec::new();
    let mut reported = vec![false; sccs.len()];
    for d in &deps {
        let c = comp[d.from as usize];
        if d.negated && c == comp[d.to as usize] && !reported[c] {
            reported[c] = true;
            diags.push(cycle_diagnostic(program, &deps, &comp, d));
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }

    // Kahn's algorithm over the components, smallest relation id first among the ready ones,
    // so the order depends only on the program.
    let mut min_rel: Vec<u32> = sccs
        .iter()
        .map(|s| s.iter().copied().min().unwrap_or(0))
        .collect();
    min_rel.shrink_to_fit();
    let mut indegree = vec![0usize; sccs.len()];
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); sccs.len()];
    for d in &deps {
        let (a, b) = (comp[d.from as usize], comp[d.to as usize]);
        if a != b && !succ[a].contains(&b) {
            succ[a].push(b);
            indegree[b] += 1;
        }
    }
    let mut ready: BinaryHeap<Reverse<(u32, usize)>> = indegree
        .iter()
        .enumerate()
        .filter(|(_, &d)| d == 0)
        .map(|(c, _)| Reverse((min_rel[c], c)))
        .collect();
    let mut order = Vec::with_capacity(sccs.len());
    while let Some(Reverse((_, c))) = ready.pop() {
        order.push(c);
        for &s in &succ[c] {
            indegree[s] -= 1;
            if indegree[s] == 0 {
                ready.push(Reverse((min_rel[s], s)));
            }
        }
    }

    let mut rules_of: Vec<Vec<RuleIdx>> = vec![Vec::new(); sccs.len()];
    for (ri, rule) in program.rules.iter().enumerate() {
        rules_of[comp[rule.head.rel.0 as usize]].push(RuleIdx(ri as u32));
    }
    let mut strata = Vec::new();
    for c in order {
        if rules_of[c].is_empty() {
            continue;
        }
        let rules = std::mem::take(&mut rules_of[c]);
        let mut relations: Vec<RelId> = rules.iter().map(|&r| program.rule(r).head.rel).collect();
        relations.sort();
        relations.dedup();
        let recursive = rules.iter().any(|&r| {
            program.rule(r).body.iter().any(|l| match l {
                Literal::Atom(a) => comp[a.rel.0 as usize] == c,
                Literal::Cmp(_) => false,
            })
        });
        strata.push(Stratum {
            rules,
            relations,
            recursive,
        });
    }
    Ok(strata)
}

/// `head` reads `!neg`, and `neg` depends on `head` again: find that way back and show it.
fn cycle_diagnostic(program: &Program, deps: &[Dep], comp: &[usize], neg: &Dep) -> Diagnostic {
    let name = |r: u32| program.relation(RelId(r)).name.as_str();
    let c = comp[neg.to as usize];
    // Breadth-first from the head of the negating rule to the negated relation, along
    // "is read by" edges inside the component.
    let mut prev: Vec<Option<usize>> = vec![None; program.relations.len()];
    let mut seen = vec![false; program.relations.len()];
    let mut queue = VecDeque::from([neg.to]);
    seen[neg.to as usize] = true;
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); program.relations.len()];
    for (i, d) in deps.iter().enumerate() {
        out[d.from as usize].push(i);
    }
    while let Some(r) = queue.pop_front() {
        if r == neg.from {
            break;
        }
        for &i in &out[r as usize] {
            let d = &deps[i];
            if comp[d.to as usize] == c && !seen[d.to as usize] {
                seen[d.to as usize] = true;
                prev[d.to as usize] = Some(i);
                queue.push_back(d.to);
            }
        }
    }
    // The edges from `neg.to` to `neg.from`, in order.
    let mut path = Vec::new();
    let mut cur = neg.from;
    while cur != neg.to {
        let Some(i) = prev[cur as usize] else { break };
        path.push(deps[i]);
        cur = deps[i].from;
    }
    path.reverse();

    let mut chain = format!("{} <- !{}", name(neg.to), name(neg.from));
    for d in path.iter().rev() {
        chain.push_str(&format!(
            " <- {}{}",
            if d.negated { "!" } else { "" },
            name(d.from)
        ));
    }
    let mut diag = Diagnostic::error(
        Code::CyclicNegation,
        neg.span,
        format!(
            "`{}` depends on the negation of `{}`, which depends on `{}` again",
            name(neg.to),
            name(neg.from),
            name(neg.to)
        ),
    )
    .with_labels("negated here, inside a cycle", "hier negiert, innerhalb eines Zyklus")
    .with_notes(
        format!("cycle (`a <- b`: a is derived from b): {chain}"),
        format!("Zyklus (`a <- b`: a wird aus b abgeleitet): {chain}"),
    )
    .with_hints(
        "negation must be stratified: a relation cannot depend on its own negation; split the relation or remove the negation from the cycle",
        "Negation muss stratifiziert sein: eine Relation kann nicht von ihrer eigenen Negation abhängen; die Relation aufteilen oder die Negation aus dem Zyklus nehmen",
    )
    .de(format!(
        "`{}` hängt von der Negation von `{}` ab, das wiederum von `{}` abhängt",
        name(neg.to),
        name(neg.from),
        name(neg.to)
    ));
    for d in &path {
        if d.span != neg.span {
            diag = diag.with_secondaries(
                d.span,
                format!(
                    "`{}` reads `{}` here (rule `{}`)",
                    name(d.to),
                    name(d.from),
                    program.rule(d.rule).id
                ),
                format!(
                    "`{}` liest hier `{}` (Regel `{}`)",
                    name(d.to),
                    name(d.from),
                    program.rule(d.rule).id
                ),
            );
        }
    }
    diag
}

#[cfg(test)]
mod tests {
    use crate::diag::SourceMap;
    use crate::ir::resolve::{compile, CompileOptions};

    #[test]
    fn long_chains_of_rules_stratify_without_recursion() {
        let n = 30_000;
        let mut text = String::from("r0(1).\n");
        for i in 1..=n {
            text.push_str(&format!("r{i}(X) :- r{}(X), !s{i}(X).\n", i - 1));
        }
        let mut sources = SourceMap::new();
        sources.add("chain.dl", text);
        let opts = CompileOptions {
            lenient: true,
            external: Vec::new(),
        };
        let p = compile(&sources, &opts).program.expect("compiles");
        assert_eq!(p.strata.len(), n);
        // Each stratum comes after the one it reads.
        let first = |name: &str| {
            p.strata
                .iter()
                .position(|s| p.relation(s.relations[0]).name == name)
                .expect("stratum")
        };
        assert!(first("r1") < first("r2") && first("r2") < first(&format!("r{n}")));
    }
}
