//! Variables of a rule and range restriction: every variable of a head, a negation or a
//! comparison must be bound by a positive atom or a binding equality.

use rustc_hash::FxHashMap;

use crate::diag::{Code, Diagnostic, Span};
use crate::ir::{CmpOp, Expr, Literal, Term, Var, VarInfo};
use crate::value::Type;

/// Where a variable occurs, for the safety check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Occ {
    Head,
    /// A plain argument of a positive atom: binds.
    Pos,
    /// Inside an expression argument of a positive atom: does not bind.
    PosExpr,
    Neg,
    Cmp,
}

pub(super) struct RuleBuilder {
    pub(super) vars: Vec<VarInfo>,
    pub(super) by_name: FxHashMap<String, Var>,
    pub(super) occs: Vec<(Var, Span, Occ)>,
    /// Next constant of the clause (same order as in [`Walk`]).
    pub(super) k: usize,
    pub(super) temps: usize,
    pub(super) errors: bool,
}

impl RuleBuilder {
    pub(super) fn var(
        &mut self,
        name: &str,
        span: Span,
        occ: Occ,
        types: &FxHashMap<String, Type>,
        generated: bool,
    ) -> Var {
        let v = match self.by_name.get(name) {
            Some(&v) => v,
            None => {
                let v = Var(self.vars.len() as u32);
                let shown = if generated {
                    format!("${}", name.to_lowercase())
                } else {
                    name.to_string()
                };
                self.vars.push(VarInfo {
                    name: shown,
                    ty: types.get(name).copied().unwrap_or(Type::Symbol),
                });
                self.by_name.insert(name.to_string(), v);
                v
            }
        };
        self.occs.push((v, span, occ));
        v
    }

    /// A variable made by lowering an expression argument; bound by its atom unless negated.
    pub(super) fn fresh(&mut self, name: String, ty: Type, negated: bool, span: Span) -> Var {
        let v = Var(self.vars.len() as u32);
        self.vars.push(VarInfo { name, ty });
        self.occs
            .push((v, span, if negated { Occ::Neg } else { Occ::Pos }));
        v
    }

    /// Range restriction: marks binding equalities and reports every variable nothing binds.
    pub(super) fn check_safety(&mut self, body: &mut [Literal], diags: &mut Vec<Diagnostic>) {
        let mut bound = vec![false; self.vars.len()];
        for lit in body.iter() {
            if let Literal::Atom(a) = lit {
                if !a.negated {
                    for t in &a.args {
                        if let Term::Var(v) = t {
                            bound[v.0 as usize] = true;
                        }
                    }
                }
            }
        }
        loop {
            let mut changed = false;
            for lit in body.iter_mut() {
                let Literal::Cmp(c) = lit else { continue };
                if c.op != CmpOp::Eq || c.binds.is_some() {
                    continue;
                }
                let all_bound = |e: &Expr, bound: &[bool]| {
                    let mut ok = true;
                    expr_vars(e, &mut |v| ok &= bound[v.0 as usize]);
                    ok
                };
                let target = match (&c.lhs, &c.rhs) {
                    (Expr::Var(v), rhs) if !bound[v.0 as usize] && all_bound(rhs, &bound) => {
                        Some((*v, false))
                    }
                    (lhs, Expr::Var(v)) if !bound[v.0 as usize] && all_bound(lhs, &bound) => {
                        Some((*v, true))
                    }
                    _ => None,
                };
                let target = target.map(|(v, swap)| {
                    if swap {
                        std::mem::swap(&mut c.lhs, &mut c.rhs);
                    }
                    v
                });
                if let Some(v) = target {
                    bound[v.0 as usize] = true;
                    c.binds = Some(v);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (vi, info) in self.vars.iter().enumerate() {
            if bound[vi] {
                continue;
            }
            self.errors = true;
            let occs: Vec<&(Var, Span, Occ)> =
                self.occs.iter().filter(|o| o.0 .0 as usize == vi).collect();
            let name = &info.name;
            if let Some((_, span, _)) = occs.iter().find(|o| o.2 == Occ::Neg) {
                diags.push(
                    Diagnostic::error(
                        Code::UnsafeNegation,
                        *span,
                        format!("variable `{name}` occurs only in a negated atom"),
                    )
                    .with_label(format!("`{name}` is not bound by a positive atom"))
                    .with_hint(format!(
                        "bind `{name}` in a positive atom of the body, or write `_` if any value will do"
                    ))
                    .de(format!("die Variable `{name}` kommt nur in einem negierten Atom vor"))
                    .label_de(format!("kein positives Atom bindet `{name}`"))
                    .hint_de(format!(
                        "`{name}` in einem positiven Atom des Rumpfs binden, oder `_` schreiben, wenn jeder Wert passt"
                    )),
                );
                continue;
            }
            let Some((_, span, occ)) = occs.first() else {
                continue;
            };
            let mut d = Diagnostic::error(
                Code::UnboundVariable,
                *span,
                match occ {
                    Occ::Head => format!("variable `{name}` in the head is not bound by the body"),
                    _ => format!("variable `{name}` is not bound"),
                },
            )
            .with_label(format!("`{name}` has no value here"))
            .with_hint(format!(
                "use `{name}` as an argument of a positive atom of the body, or bind it with `{name} = ...`"
            ))
            .de(match occ {
                Occ::Head => {
                    format!("die Variable `{name}` im Kopf wird vom Rumpf nicht gebunden")
                }
                _ => format!("die Variable `{name}` ist nicht gebunden"),
            })
            .label_de(format!("`{name}` hat hier keinen Wert"))
            .hint_de(format!(
                "`{name}` als Argument eines positiven Atoms des Rumpfs verwenden oder mit `{name} = ...` binden"
            ));
            if occs.iter().any(|o| o.2 == Occ::PosExpr) {
                d = d.with_note(format!(
                    "an expression inside an atom, such as `f({name} - 1, X)`, does not bind `{name}`"
                ));
            }
            diags.push(d);
        }
    }
}

pub(super) fn expr_vars(e: &Expr, f: &mut impl FnMut(Var)) {
    match e {
        Expr::Var(v) => f(*v),
        Expr::Const(_) => {}
        Expr::Binary(_, a, b) => {
            expr_vars(a, f);
            expr_vars(b, f);
        }
        Expr::Neg(a) => expr_vars(a, f),
        Expr::Call(_, args) => args.iter().for_each(|a| expr_vars(a, f)),
    }
}
