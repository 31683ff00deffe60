//! A stable text rendering of a resolved program, for snapshot tests and `--debug` output.
//! Rules are printed back in the rule language, with binding equalities marked `:=`.

use std::fmt::Write;

use crate::ir::legal::RuleKind;
use crate::ir::{Expr, Literal, Program, Rule, Term};
use crate::value::{display, Value};

/// Renders the whole program: relations, facts, rules, strata and the legal catalogue.
pub fn dump(p: &Program) -> String {
    let mut out = String::new();
    out.push_str("relations:\n");
    for (i, r) in p.relations.iter().enumerate() {
        let cols: Vec<String> = r
            .columns
            .iter()
            .map(|c| format!("{}: {}", c.name, c.ty))
            .collect();
        let mut flags = Vec::new();
        if r.input {
            flags.push("input");
        }
        if r.output {
            flags.push("output");
        }
        if r.generated {
            flags.push("generated");
        }
        let _ = write!(out, "  {i}: {}({})", r.name, cols.join(", "));
        if !flags.is_empty() {
            let _ = write!(out, " [{}]", flags.join(", "));
        }
        out.push('\n');
    }
    out.push_str("facts:\n");
    for f in &p.facts {
        let vals: Vec<String> = f.values.iter().map(|v| value(p, *v)).collect();
        let _ = writeln!(out, "  {}({}).", p.relation(f.rel).name, vals.join(", "));
    }
    out.push_str("rules:\n");
    for r in &p.rules {
        let _ = writeln!(out, "  [{}] {}", r.id, rule(p, r));
        let vars: Vec<String> = r
            .vars
            .iter()
            .map(|v| format!("{}: {}", v.name, v.ty))
            .collect();
        if !vars.is_empty() {
            let _ = writeln!(out, "      vars: {}", vars.join(", "));
        }
    }
    out.push_str("strata:\n");
    for (i, s) in p.strata.iter().enumerate() {
        let rels: Vec<&str> = s
            .relations
            .iter()
            .map(|r| p.relation(*r).name.as_str())
            .collect();
        let rules: Vec<&str> = s.rules.iter().map(|r| p.rule(*r).id.as_str()).collect();
        let _ = writeln!(
            out,
            "  {i}: {}{} <- {}",
            rels.join(", "),
            if s.recursive { " (recursive)" } else { "" },
            rules.join(", ")
        );
    }
    let legal = &p.legal;
    if !legal.norms.is_empty() || !legal.authorities.is_empty() || !legal.rule_meta.is_empty() {
        out.push_str("legal:\n");
    }
    for n in &legal.norms {
        let _ = write!(
            out,
            "  norm {} to {} ({} / {})",
            n.key(),
            n.to.map_or("open".to_string(), |d| d.to_string()),
            n.de,
            n.en
        );
        if let Some(r) = &n.replaced_by {
            let _ = write!(
                out,
                " replaced by {}{}",
                r.id,
                r.version.map(|d| format!("@{d}")).unwrap_or_default()
            );
        }
        out.push('\n');
    }
    for a in &legal.authorities {
        let _ = writeln!(out, "  authority {}: {:?} {}", a.id, a.kind, a.citation());
    }
    for m in &legal.rule_meta {
        let kind = match &m.kind {
            RuleKind::Finding {
                severity,
                decision,
                about,
            } => format!(
                "finding {} {} about {:?}",
                severity.as_str(),
                decision.as_str(),
                about
            ),
            RuleKind::Exception { to, .. } => format!("exception to {to}"),
            RuleKind::Reasoning => "reasoning".to_string(),
        };
        let norms: Vec<String> = m
            .norms
            .iter()
            .map(|r| {
                format!(
                    "{}{}",
                    r.id,
                    r.version.map(|d| format!("@{d}")).unwrap_or_default()
                )
            })
            .collect();
        let window: Vec<String> = m
            .window
            .iter()
            .map(|(a, b)| format!("{a}..{}", b.map_or("open".to_string(), |d| d.to_string())))
            .collect();
        let _ = writeln!(
            out,
            "  rule {}: {kind}; norms [{}]; authorities [{}]; window [{}]; rule #{}",
            m.id,
            norms.join(", "),
            m.authorities.join(", "),
            window.join(", "),
            m.rule.map_or("-".to_string(), |r| r.0.to_string())
        );
    }
    out
}

fn value(p: &Program, v: Value) -> String {
    match v {
        Value::Sym(_) => format!("{:?}", display(v, &p.interner)),
        _ => display(v, &p.interner),
    }
}

/// One rule in the rule language.
pub fn rule(p: &Program, r: &Rule) -> String {
    let head: Vec<String> = r.head.args.iter().map(|e| expr(p, r, e)).collect();
    let mut s = format!("{}({})", p.relation(r.head.rel).name, head.join(", "));
    if !r.body.is_empty() {
        let body: Vec<String> = r
            .body
            .iter()
            .map(|l| match l {
                Literal::Atom(a) => {
                    let args: Vec<String> = a
                        .args
                        .iter()
                        .map(|t| match t {
                            Term::Var(v) => r.vars[v.0 as usize].name.clone(),
                            Term::Const(c) => value(p, *c),
                            Term::Wildcard => "_".to_string(),
                        })
                        .collect();
                    format!(
                        "{}{}({})",
                        if a.negated { "!" } else { "" },
                        p.relation(a.rel).name,
                        args.join(", ")
                    )
                }
                Literal::Cmp(c) => {
                    let op = if c.binds.is_some() {
                        ":="
                    } else {
                        c.op.symbol()
                    };
                    format!("{} {op} {}", expr(p, r, &c.lhs), expr(p, r, &c.rhs))
                }
            })
            .collect();
        s.push_str(" :- ");
        s.push_str(&body.join(", "));
    }
    s.push('.');
    s
}

fn expr(p: &Program, r: &Rule, e: &Expr) -> String {
    match e {
        Expr::Var(v) => r.vars[v.0 as usize].name.clone(),
        Expr::Const(c) => value(p, *c),
        Expr::Binary(op, a, b) => format!("({} {} {})", expr(p, r, a), op.symbol(), expr(p, r, b)),
        Expr::Neg(a) => format!("-{}", expr(p, r, a)),
        Expr::Call(f, args) => {
            let args: Vec<String> = args.iter().map(|a| expr(p, r, a)).collect();
            format!("{}({})", f.name(), args.join(", "))
        }
    }
}
