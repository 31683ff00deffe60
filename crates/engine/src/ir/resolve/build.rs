//! Building the [`Program`]: relations with their types, facts with their constant
//! expressions folded, rules with expression arguments of atoms turned into fresh variables,
//! the lowering's generated facts, and the strata.

use rustc_hash::FxHashMap;

use super::external::raw_value;
use super::functions::{builtin, fold_call, Sig};
use super::safety::{Occ, RuleBuilder};
use super::{no_value, nowhere, ConstVal, Resolver};
use crate::builtins;
use crate::diag::{Code, Diagnostic};
use crate::ir::legal::RuleKind;
use crate::ir::legal::RuleMetaId;
use crate::ir::{
    Atom, Cmp, CmpOp, Column, Expr, Fact, Head, Literal, Program, Relation, Rule, RuleIdx, Term,
};
use crate::lang::ast::{ExprAst, ExprKind, LiteralAst};
use crate::value::{Date, Interner, Type, Value};

impl Resolver<'_> {
    pub(super) fn build(mut self, diags: &mut Vec<Diagnostic>) -> Program {
        let mut program = Program::default();
        let mut column_types = Vec::new();
        for r in &self.rels {
            let cols: Vec<Column> = r
                .columns
                .iter()
                .zip(&r.slots)
                .map(|(name, &s)| Column {
                    name: name.clone(),
                    ty: self.types.get(s).unwrap_or(Type::Symbol),
                })
                .collect();
            column_types.push(cols.iter().map(|c| c.ty).collect::<Vec<_>>());
            program.relations.push(Relation {
                name: r.name.clone(),
                columns: cols,
                input: r.input,
                output: r.output,
                generated: r.generated,
                span: r.span,
                doc: r.doc.clone(),
            });
        }
        let mut rule_of_ann = vec![None; self.annotations.len()];
        for ci in 0..self.clauses.len() {
            if self.clauses[ci].drop {
                continue;
            }
            if self.clauses[ci].is_fact() {
                if let Some(f) = self.build_fact(ci, diags) {
                    program.facts.push(f);
                }
                continue;
            }
            if let Some(rule) = self.build_rule(ci, &column_types, diags) {
                if let Some(a) = self.clauses[ci].ann {
                    rule_of_ann[a] = Some(RuleIdx(program.rules.len() as u32));
                }
                program.rules.push(rule);
            }
        }
        for &(i, id) in &self.external {
            for row in &self.opts.external[i].rows {
                let values: Option<Vec<Value>> = row
                    .iter()
                    .zip(&column_types[id.0 as usize])
                    .map(|(v, &t)| raw_value(v, t, self.opts.lenient, &mut self.interner))
                    .collect();
                if let Some(values) = values {
                    program.facts.push(Fact {
                        rel: id,
                        values,
                        span: nowhere(),
                    });
                }
            }
        }
        // The legal catalogue and its generated facts.
        let mut metas = Vec::new();
        for (ai, (ann, _)) in self.annotations.drain(..).enumerate() {
            let mut meta = ann.meta;
            meta.rule = rule_of_ann[ai];
            if let Some(idx) = meta.rule {
                program.rules[idx.0 as usize].meta = Some(RuleMetaId(metas.len() as u32));
            }
            metas.push(meta);
        }
        if self.lowering {
            let window_rel = self.by_name["rule_window"];
            let exception_of = self.by_name["exception_of"];
            for m in &metas {
                let rule = Value::Sym(self.interner.intern(&m.id));
                match &m.kind {
                    RuleKind::Finding { .. } | RuleKind::Exception { .. } => {
                        for (from, to) in &m.window {
                            program.facts.push(Fact {
                                rel: window_rel,
                                values: vec![
                                    rule,
                                    Value::Date(*from),
                                    Value::Date(to.unwrap_or(Date::MAX)),
                                ],
                                span: m.span,
                            });
                        }
                    }
                    RuleKind::Reasoning => {}
                }
                if let RuleKind::Exception { to, .. } = &m.kind {
                    let to = Value::Sym(self.interner.intern(to));
                    program.facts.push(Fact {
                        rel: exception_of,
                        values: vec![rule, to],
                        span: m.span,
                    });
                }
            }
        }
        self.catalogue.rule_meta = metas;
        program.legal = std::mem::take(&mut self.catalogue);
        program.interner = std::mem::take(&mut self.interner);
        if !diags.iter().any(|d| d.is_error()) {
            match crate::ir::stratify::stratify(&program) {
                Ok(strata) => program.strata = strata,
                Err(ds) => diags.extend(ds),
            }
        }
        program
    }

    pub(super) fn const_value(&mut self, ci: usize, k: usize) -> Value {
        let c = &self.clauses[ci];
        let Some(cu) = c.consts.get(k) else {
            return Value::Num(0);
        };
        let ty = self.types.get(cu.slot).unwrap_or(cu.value.ty());
        const_to_value(&cu.value, ty, &mut self.interner).unwrap_or(Value::Num(0))
    }

    pub(super) fn build_fact(&mut self, ci: usize, diags: &mut Vec<Diagnostic>) -> Option<Fact> {
        let head = self.clauses[ci].ast.head.clone();
        let mut k = 0;
        let mut values = Vec::new();
        let mut ok = true;
        for arg in &head.args {
            match self.fold(ci, arg, &mut k, diags) {
                Some(v) => values.push(v),
                None => ok = false,
            }
        }
        ok.then(|| Fact {
            rel: self.clauses[ci].head_rel,
            values,
            span: head.span,
        })
    }

    /// Evaluates a constant expression of a fact.
    pub(super) fn fold(
        &mut self,
        ci: usize,
        e: &ExprAst,
        k: &mut usize,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Value> {
        match &e.kind {
            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Date(_) => {
                let v = self.const_value(ci, *k);
                *k += 1;
                Some(v)
            }
            ExprKind::Var(name) => {
                diags.push(
                    Diagnostic::error(
                        Code::UnboundVariable,
                        e.span,
                        format!("a fact cannot contain the variable `{name}`"),
                    )
                    .with_label("variable in a fact")
                    .with_hint("facts are ground: write a constant, or turn it into a rule with `:-` and a body that binds the variable")
                    .de(format!("eine Tatsache kann die Variable `{name}` nicht enthalten"))
                    .label_de("Variable in einer Tatsache")
                    .hint_de("Tatsachen sind variablenfrei: eine Konstante schreiben oder daraus eine Regel mit `:-` und einem Rumpf machen, der die Variable bindet"),
                );
                None
            }
            ExprKind::Wildcard => {
                diags.push(
                    Diagnostic::error(Code::WildcardInHead, e.span, "`_` in a fact")
                        .with_label("a fact needs a value here")
                        .with_hint("write the value; `_` only means \"any value\" in a rule body")
                        .de("`_` in einer Tatsache")
                        .label_de("eine Tatsache braucht hier einen Wert")
                        .hint_de("den Wert schreiben; `_` bedeutet nur im Rumpf einer Regel \"ein beliebiger Wert\""),
                );
                None
            }
            ExprKind::Binary(op, a, b) => {
                let a = self.fold(ci, a, k, diags);
                let b = self.fold(ci, b, k, diags);
                match (a?, b?) {
                    (Value::Num(x), Value::Num(y)) => match builtins::binary(*op, x, y) {
                        Some(n) => Some(Value::Num(n)),
                        None => {
                            diags.push(no_value(e.span));
                            None
                        }
                    },
                    _ => None,
                }
            }
            ExprKind::Neg(a) => match self.fold(ci, a, k, diags)? {
                Value::Num(x) => match builtins::neg(x) {
                    Some(n) => Some(Value::Num(n)),
                    None => {
                        diags.push(no_value(e.span));
                        None
                    }
                },
                _ => None,
            },
            ExprKind::Call(name, args) => {
                let mut vals = Vec::new();
                for a in args {
                    vals.push(self.fold(ci, a, k, diags));
                }
                let vals: Vec<Value> = vals.into_iter().collect::<Option<_>>()?;
                let (f, _) = builtin(&name.text)?;
                let v = fold_call(f, &vals, &mut self.interner);
                if v.is_none() {
                    diags.push(no_value(e.span));
                }
                v
            }
        }
    }

    pub(super) fn build_rule(
        &mut self,
        ci: usize,
        column_types: &[Vec<Type>],
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Rule> {
        let ast = self.clauses[ci].ast.clone();
        let generated = self.clauses[ci].generated;
        let mut b = RuleBuilder {
            vars: Vec::new(),
            by_name: FxHashMap::default(),
            occs: Vec::new(),
            k: 0,
            temps: 0,
            errors: false,
        };
        let var_types: FxHashMap<String, Type> = {
            let c = &self.clauses[ci];
            c.vars
                .iter()
                .map(|(n, s)| (n.clone(), self.types.get(*s).unwrap_or(Type::Symbol)))
                .collect()
        };
        // Head.
        let mut head_args = Vec::new();
        for arg in &ast.head.args {
            if let ExprKind::Wildcard = arg.kind {
                diags.push(
                    Diagnostic::error(Code::WildcardInHead, arg.span, "`_` in the head of a rule")
                        .with_label("the head needs a value here")
                        .with_hint("use a variable bound in the body, or a constant")
                        .de("`_` im Kopf einer Regel")
                        .label_de("der Kopf braucht hier einen Wert")
                        .hint_de("eine im Rumpf gebundene Variable oder eine Konstante verwenden"),
                );
                b.errors = true;
                head_args.push(Expr::Const(Value::Num(0)));
                continue;
            }
            head_args.push(self.lower_expr(
                ci,
                arg,
                Occ::Head,
                &mut b,
                &var_types,
                generated,
                diags,
            ));
        }
        // Body, in source order; expression arguments of atoms become fresh variables.
        let mut body = Vec::new();
        for (li, lit) in ast.body.iter().enumerate() {
            let mut lowered = Vec::new();
            match lit {
                LiteralAst::Atom(a) => {
                    let rel =
                        self.clauses[ci].lit_rels[li].expect("atoms of kept clauses are resolved");
                    let mut args = Vec::new();
                    let mut pre = Vec::new();
                    let mut post = Vec::new();
                    for (i, arg) in a.args.iter().enumerate() {
                        let occ = if a.negated { Occ::Neg } else { Occ::Pos };
                        let term = match &arg.kind {
                            ExprKind::Var(name) => {
                                Term::Var(b.var(name, arg.span, occ, &var_types, generated))
                            }
                            ExprKind::Wildcard => Term::Wildcard,
                            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Date(_) => {
                                let v = self.const_value(ci, b.k);
                                b.k += 1;
                                Term::Const(v)
                            }
                            _ => {
                                let occ = if a.negated { Occ::Neg } else { Occ::PosExpr };
                                let e = self
                                    .lower_expr(ci, arg, occ, &mut b, &var_types, generated, diags);
                                b.temps += 1;
                                let t = b.fresh(
                                    format!("$t{}", b.temps),
                                    column_types[rel.0 as usize][i],
                                    a.negated,
                                    arg.span,
                                );
                                let cmp = Literal::Cmp(Cmp {
                                    op: CmpOp::Eq,
                                    lhs: Expr::Var(t),
                                    rhs: e,
                                    binds: None,
                                    span: arg.span,
                                });
                                if a.negated {
                                    pre.push(cmp);
                                } else {
                                    post.push(cmp);
                                }
                                Term::Var(t)
                            }
                        };
                        args.push(term);
                    }
                    lowered.extend(pre);
                    lowered.push(Literal::Atom(Atom {
                        rel,
                        args,
                        negated: a.negated,
                        span: a.span,
                    }));
                    lowered.extend(post);
                }
                LiteralAst::Cmp { op, lhs, rhs, span } => {
                    let l =
                        self.lower_expr(ci, lhs, Occ::Cmp, &mut b, &var_types, generated, diags);
                    let r =
                        self.lower_expr(ci, rhs, Occ::Cmp, &mut b, &var_types, generated, diags);
                    lowered.push(Literal::Cmp(Cmp {
                        op: *op,
                        lhs: l,
                        rhs: r,
                        binds: None,
                        span: *span,
                    }));
                }
            }
            if !self.clauses[ci].drop_lits[li] {
                body.extend(lowered);
            }
        }
        b.check_safety(&mut body, diags);
        if b.errors {
            return None;
        }
        let c = &self.clauses[ci];
        Some(Rule {
            id: c.id.clone(),
            head: Head {
                rel: c.head_rel,
                args: head_args,
                span: ast.head.span,
            },
            body,
            vars: b.vars,
            meta: None,
            span: ast.span,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn lower_expr(
        &mut self,
        ci: usize,
        e: &ExprAst,
        occ: Occ,
        b: &mut RuleBuilder,
        var_types: &FxHashMap<String, Type>,
        generated: bool,
        diags: &mut Vec<Diagnostic>,
    ) -> Expr {
        match &e.kind {
            ExprKind::Var(name) => Expr::Var(b.var(name, e.span, occ, var_types, generated)),
            ExprKind::Wildcard => {
                diags.push(
                    Diagnostic::error(
                        Code::UnboundVariable,
                        e.span,
                        "`_` cannot be used in a comparison or an expression",
                    )
                    .with_label("`_` has no value to compute with")
                    .with_hint("use a variable bound by a positive atom")
                    .de("`_` kann nicht in einem Vergleich oder Ausdruck stehen")
                    .label_de("mit `_` lässt sich nicht rechnen")
                    .hint_de("eine von einem positiven Atom gebundene Variable verwenden"),
                );
                b.errors = true;
                Expr::Const(Value::Num(0))
            }
            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Date(_) => {
                let v = self.const_value(ci, b.k);
                b.k += 1;
                Expr::Const(v)
            }
            ExprKind::Binary(op, l, r) => {
                let l = self.lower_expr(ci, l, occ, b, var_types, generated, diags);
                let r = self.lower_expr(ci, r, occ, b, var_types, generated, diags);
                Expr::Binary(*op, Box::new(l), Box::new(r))
            }
            ExprKind::Neg(a) => {
                let a = self.lower_expr(ci, a, occ, b, var_types, generated, diags);
                Expr::Neg(Box::new(a))
            }
            ExprKind::Call(name, args) => {
                let args: Vec<Expr> = args
                    .iter()
                    .map(|a| self.lower_expr(ci, a, occ, b, var_types, generated, diags))
                    .collect();
                match builtin(&name.text) {
                    Some((f, Sig::Variadic(_))) => {
                        // `cat(a, b, c)` is `cat(cat(a, b), c)`; likewise `min` and `max`.
                        let mut it = args.into_iter();
                        let first = it.next().unwrap_or(Expr::Const(Value::Num(0)));
                        it.fold(first, |acc, x| Expr::Call(f, vec![acc, x]))
                    }
                    Some((f, _)) => Expr::Call(f, args),
                    None => {
                        b.errors = true;
                        Expr::Const(Value::Num(0))
                    }
                }
            }
        }
    }
}

pub(super) fn const_to_value(v: &ConstVal, ty: Type, interner: &mut Interner) -> Option<Value> {
    Some(match (v, ty) {
        (ConstVal::Str(s), Type::Symbol) => Value::Sym(interner.intern(s)),
        (ConstVal::Str(s), Type::Date) => Value::Date(Date::parse(s)?),
        (ConstVal::Num(n), Type::Number) => Value::Num(*n),
        (ConstVal::Date(d), Type::Date) => Value::Date(*d),
        (ConstVal::Date(d), Type::Symbol) => Value::Sym(interner.intern(&d.to_string())),
        _ => return None,
    })
}
