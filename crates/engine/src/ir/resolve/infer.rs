//! Type inference: every column, variable and constant gets a type through a union-find over
//! slots ([`crate::ir::types`]); in lenient mode a constant of the other type makes its rule
//! (or literal) match nothing instead of an error.

use super::external::raw_fits;
use super::functions::{builtin, Sig, FUNCTIONS};
use super::{arg_what, plural, ConstUse, ConstVal, Loc, RawValue, Resolver};
use crate::diag::{did_you_mean, Code, Diagnostic, Span};
use crate::ir::types::{Origin, Slot, TypeTable};
use crate::ir::CmpOp;
use crate::lang::ast::{ExprAst, ExprKind, LiteralAst};
use crate::value::{Date, Type};

impl Resolver<'_> {
    pub(super) fn infer(&mut self, diags: &mut Vec<Diagnostic>) {
        let mut ordered = Vec::new();
        // Structure first: variables, columns, arithmetic and built-ins.
        for ci in 0..self.clauses.len() {
            let Resolver {
                clauses,
                types,
                rels,
                ..
            } = self;
            let c = &mut clauses[ci];
            let mut w = Walk {
                types,
                diags,
                vars: &mut c.vars,
                consts: &mut c.consts,
                ordered: &mut ordered,
                loc: Loc::Head,
                generated: c.generated,
            };
            for (i, arg) in c.ast.head.args.iter().enumerate() {
                let s = w.expr(arg);
                let col = rels[c.head_rel.0 as usize].slots[i];
                let (en, de) = arg_what(&rels[c.head_rel.0 as usize], i);
                w.unify_at(s, col, arg.span, (&en, &de));
            }
            for (li, lit) in c.ast.body.iter().enumerate() {
                w.loc = Loc::Lit(li);
                match lit {
                    LiteralAst::Atom(a) => {
                        let Some(rel) = c.lit_rels[li] else { continue };
                        for (i, arg) in a.args.iter().enumerate() {
                            let s = w.expr(arg);
                            let col = rels[rel.0 as usize].slots[i];
                            let (en, de) = arg_what(&rels[rel.0 as usize], i);
                            w.unify_at(s, col, arg.span, (&en, &de));
                        }
                    }
                    LiteralAst::Cmp { op, lhs, rhs, .. } => {
                        let l = w.expr(lhs);
                        let r = w.expr(rhs);
                        w.unify_at(
                            r,
                            l,
                            rhs.span,
                            (
                                &format!("on the right of `{}`, as on its left", op.symbol()),
                                &format!("rechts von `{}` wie links davon", op.symbol()),
                            ),
                        );
                    }
                }
            }
        }
        // Then the facts of the program text and from outside.
        for ci in 0..self.clauses.len() {
            if self.clauses[ci].is_fact() {
                self.apply_consts(ci, true, diags);
            }
        }
        for ei in 0..self.external.len() {
            let (i, id) = self.external[ei];
            let ext = &self.opts.external[i];
            for (r, row) in ext.rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    let slot = self.rels[id.0 as usize].slots[c];
                    let found = match v {
                        RawValue::Int(_) => Type::Number,
                        RawValue::Str(_) => Type::Symbol,
                    };
                    match self.types.get(slot) {
                        None => {
                            let origin = Origin {
                                span: None,
                                why: format!(
                                    "a {found} in {}",
                                    self.external_place(&ext.name, r, Some(c))
                                ),
                                why_de: format!(
                                    "{} in {}",
                                    match found {
                                        Type::Symbol => "einem Symbol",
                                        Type::Number => "einer Zahl",
                                        Type::Date => "einem Datum",
                                    },
                                    self.external_place_de(&ext.name, r, Some(c))
                                ),
                                strong: false,
                            };
                            let _ = self.types.require(slot, found, origin);
                        }
                        Some(t) => {
                            if !raw_fits(v, t, self.opts.lenient) {
                                diags.push(
                                    Diagnostic::without_span(
                                        Code::TypeMismatch,
                                        format!(
                                            "{}: expected a {t}, found {}",
                                            self.external_place(&ext.name, r, Some(c)),
                                            match v {
                                                RawValue::Int(n) => format!("the number {n}"),
                                                RawValue::Str(s) => format!("the string {s:?}"),
                                            }
                                        ),
                                    )
                                    .with_hint(format!(
                                        "column `{}` of `{}` is a {t}",
                                        self.rels[id.0 as usize].columns[c], ext.name
                                    ))
                                    .de(format!(
                                        "{}: erwartet: {}, gefunden: {}",
                                        self.external_place_de(&ext.name, r, Some(c)),
                                        crate::ir::query::type_de(t),
                                        match v {
                                            RawValue::Int(n) => format!("die Zahl {n}"),
                                            RawValue::Str(s) => format!("die Zeichenkette {s:?}"),
                                        }
                                    ))
                                    .hint_de(format!(
                                        "die Spalte `{}` von `{}` ist {}",
                                        self.rels[id.0 as usize].columns[c],
                                        ext.name,
                                        crate::ir::query::type_de(t)
                                    )),
                                );
                            }
                        }
                    }
                }
            }
        }
        // Last the constants of rules, which in lenient mode may not force a type.
        for ci in 0..self.clauses.len() {
            if !self.clauses[ci].is_fact() {
                self.apply_consts(ci, false, diags);
            }
        }
        // `min` and `max` of values nothing else types are numbers.
        for (slot, span, f) in ordered {
            let origin = Origin {
                span: Some(span),
                why: format!("the result of `{f}`"),
                why_de: format!("dem Ergebnis von `{f}`"),
                strong: false,
            };
            if self.types.get(slot).is_none() {
                let _ = self.types.require(slot, Type::Number, origin);
            } else if self.types.get(slot) == Some(Type::Symbol) {
                diags.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        span,
                        format!("`{f}` compares numbers or dates, not symbols"),
                    )
                    .with_label("the arguments here are symbols")
                    .with_hint("compare texts with `<` or `>` in a comparison instead")
                    .de(format!("`{f}` vergleicht Zahlen oder Daten, keine Symbole"))
                    .label_de("die Argumente hier sind Symbole")
                    .hint_de("Texte stattdessen mit `<` oder `>` in einem Vergleich vergleichen"),
                );
            }
        }
    }

    pub(super) fn apply_consts(&mut self, ci: usize, fact: bool, diags: &mut Vec<Diagnostic>) {
        let lenient = self.opts.lenient;
        let Resolver { clauses, types, .. } = self;
        let c = &mut clauses[ci];
        for k in &c.consts {
            let found = k.value.ty();
            let origin = Origin {
                span: Some(k.span),
                why: format!("the constant {}", k.value.show()),
                why_de: format!("der Konstante {}", k.value.show()),
                strong: false,
            };
            let Some(have) = types.get(k.slot) else {
                let _ = types.require(k.slot, found, origin);
                continue;
            };
            if have == found || (lenient && coercible(&k.value, have)) {
                continue;
            }
            if lenient && !fact {
                // Matches nothing: drop the rule, or a literal whose failure cannot matter.
                match k.loc {
                    Loc::Lit(li) => match &c.ast.body[li] {
                        LiteralAst::Atom(a) if a.negated => c.drop_lits[li] = true,
                        LiteralAst::Cmp { op: CmpOp::Ne, .. } => c.drop_lits[li] = true,
                        _ => c.drop = true,
                    },
                    Loc::Head => c.drop = true,
                }
                continue;
            }
            let origin = types.origin(k.slot);
            let mut d = Diagnostic::error(
                Code::TypeMismatch,
                k.span,
                format!(
                    "type mismatch: expected a {have}, found the {found} {}",
                    k.value.show()
                ),
            )
            .with_label(format!("this is a {found}"))
            .de(format!(
                "Typfehler: erwartet: {}, gefunden: {} {}",
                crate::ir::query::type_de(have),
                match found {
                    Type::Symbol => "das Symbol",
                    Type::Number => "die Zahl",
                    Type::Date => "das Datum",
                },
                k.value.show()
            ))
            .label_de(format!("das ist {}", crate::ir::query::type_de(found)));
            if let Some(o) = origin {
                if let Some(s) = o.span {
                    d = d.with_secondaries(
                        s,
                        format!("{have} because of {}", o.why),
                        format!("{} laut {}", crate::ir::query::type_de(have), o.why_de),
                    );
                } else {
                    d = d.with_notes(
                        format!("{have} because of {}", o.why),
                        format!("{} laut {}", crate::ir::query::type_de(have), o.why_de),
                    );
                }
            }
            d = match (found, have) {
                (Type::Symbol, Type::Date) => {
                    d.with_hint("write dates bare, without quotes: `2024-05-14`")
                }
                (Type::Date, Type::Symbol) => {
                    d.with_hint("to compare with a text, quote it: `\"2024-05-14\"`")
                }
                (Type::Symbol, Type::Number) => d.with_hint("numbers are written without quotes"),
                _ => d,
            };
            diags.push(d);
        }
    }
}

/// Lenient mode only: a date-like string in a date column, a bare date in a symbol column.
pub(super) fn coercible(v: &ConstVal, ty: Type) -> bool {
    match (v, ty) {
        (ConstVal::Str(s), Type::Date) => Date::parse(s).is_some(),
        (ConstVal::Date(_), Type::Symbol) => true,
        _ => false,
    }
}

/// Type inference over one clause.
pub(super) struct Walk<'a> {
    pub(super) types: &'a mut TypeTable,
    pub(super) diags: &'a mut Vec<Diagnostic>,
    pub(super) vars: &'a mut Vec<(String, Slot)>,
    pub(super) consts: &'a mut Vec<ConstUse>,
    /// Results of `min` and `max`, which must come out numbers or dates.
    pub(super) ordered: &'a mut Vec<(Slot, Span, String)>,
    pub(super) loc: Loc,
    pub(super) generated: bool,
}

impl Walk<'_> {
    pub(super) fn var(&mut self, name: &str) -> Slot {
        if let Some((_, s)) = self.vars.iter().find(|(n, _)| n == name) {
            return *s;
        }
        let s = self.types.fresh();
        self.vars.push((name.to_string(), s));
        s
    }

    pub(super) fn konst(&mut self, value: ConstVal, span: Span) -> Slot {
        let slot = self.types.fresh();
        self.consts.push(ConstUse {
            slot,
            value,
            span,
            loc: self.loc,
        });
        slot
    }

    /// `explained` is the type some earlier use gave the class, with the reason; `found_why`,
    /// when the found type too comes from elsewhere (two typed classes met), why it is that.
    pub(super) fn mismatch(
        &mut self,
        span: Span,
        expected: Type,
        found: Type,
        explained: (Type, Origin),
        found_why: Option<Origin>,
        context: (&str, &str),
    ) {
        let (context, context_de) = context;
        let mut d = Diagnostic::error(
            Code::TypeMismatch,
            span,
            format!("type mismatch: expected a {expected} {context}, found a {found}"),
        )
        .with_label(format!("this is a {found}"))
        .de(format!(
            "Typfehler: erwartet: {} {context_de}, gefunden: {}",
            crate::ir::query::type_de(expected),
            crate::ir::query::type_de(found)
        ))
        .label_de(format!("das ist {}", crate::ir::query::type_de(found)));
        let (t, o) = explained;
        let expected_at = o.span;
        match o.span {
            Some(s) if s != span => {
                d = d.with_secondaries(
                    s,
                    format!("{t} because of {}", o.why),
                    format!("{} laut {}", crate::ir::query::type_de(t), o.why_de),
                )
            }
            _ => {
                d = d.with_notes(
                    format!("{t} because of {}", o.why),
                    format!("{} laut {}", crate::ir::query::type_de(t), o.why_de),
                )
            }
        }
        // Where the other type came from, so that the message names both sides (a variable
        // typed by the head's declaration and used in a column of another type).
        if let Some(o) = found_why {
            let (en, de) = (
                format!("{found} because of {}", o.why),
                format!("{} laut {}", crate::ir::query::type_de(found), o.why_de),
            );
            match o.span {
                Some(s) if s != span && Some(s) != expected_at => {
                    d = d.with_secondaries(s, en, de);
                }
                Some(_) => {}
                None => d = d.with_notes(en, de),
            }
        }
        if self.generated {
            d = d.with_notes(
                "in a rule generated from the legal annotations",
                "in einer Regel, die aus den rechtlichen Annotationen erzeugt ist",
            );
        }
        self.diags.push(d);
    }

    /// `what` names the use, e.g. "an operand of `+`", and in German in the dative
    /// ("einem Operanden von `+`").
    pub(super) fn need(&mut self, slot: Slot, ty: Type, span: Span, what: (&str, &str)) {
        let (what, what_de) = what;
        let origin = Origin {
            span: Some(span),
            why: what.to_string(),
            why_de: what_de.to_string(),
            strong: false,
        };
        if let Err(c) = self.types.require(slot, ty, origin) {
            self.mismatch(
                span,
                ty,
                c.have,
                (c.have, c.origin),
                c.want_origin.map(|o| *o),
                (&format!("as {what}"), &format!("bei {what_de}")),
            );
        }
    }

    /// `b` holds the expected type; `context` completes "expected a T ...", in English and
    /// in German ("erwartet: eine Zahl ...").
    pub(super) fn unify_at(&mut self, a: Slot, b: Slot, span: Span, context: (&str, &str)) {
        if let Err(c) = self.types.unify(a, b) {
            self.mismatch(
                span,
                c.have,
                c.want,
                (c.have, c.origin),
                c.want_origin.map(|o| *o),
                context,
            );
        }
    }

    pub(super) fn expr(&mut self, e: &ExprAst) -> Slot {
        match &e.kind {
            ExprKind::Var(n) => self.var(n),
            ExprKind::Wildcard => self.types.fresh(),
            ExprKind::Str(s) => self.konst(ConstVal::Str(s.clone()), e.span),
            ExprKind::Num(n) => self.konst(ConstVal::Num(*n), e.span),
            ExprKind::Date(d) => self.konst(ConstVal::Date(*d), e.span),
            ExprKind::Binary(op, a, b) => {
                let what = format!("an operand of `{}`", op.symbol());
                let what_de = format!("einem Operanden von `{}`", op.symbol());
                let sa = self.expr(a);
                self.need(sa, Type::Number, a.span, (&what, &what_de));
                let sb = self.expr(b);
                self.need(sb, Type::Number, b.span, (&what, &what_de));
                self.result(
                    Type::Number,
                    e.span,
                    (
                        &format!("the result of `{}`", op.symbol()),
                        &format!("dem Ergebnis von `{}`", op.symbol()),
                    ),
                )
            }
            ExprKind::Neg(a) => {
                let sa = self.expr(a);
                self.need(
                    sa,
                    Type::Number,
                    a.span,
                    (
                        "the operand of unary `-`",
                        "dem Operanden des einstelligen `-`",
                    ),
                );
                self.result(
                    Type::Number,
                    e.span,
                    (
                        "the result of unary `-`",
                        "dem Ergebnis des einstelligen `-`",
                    ),
                )
            }
            ExprKind::Call(name, args) => {
                let slots: Vec<Slot> = args.iter().map(|a| self.expr(a)).collect();
                let Some((_, sig)) = builtin(&name.text) else {
                    let mut d = Diagnostic::error(
                        Code::UnknownReference,
                        name.span,
                        format!("unknown function `{}`", name.text),
                    )
                    .with_labels("no such built-in", "keine eingebaute Funktion")
                    .de(format!("unbekannte Funktion `{}`", name.text));
                    let all = FUNCTIONS.iter().map(|f| f.0).collect::<Vec<_>>().join(", ");
                    d = match did_you_mean(&name.text, FUNCTIONS.iter().map(|f| f.0)) {
                        Some(s) => d.with_hints(
                            format!("did you mean `{s}`?"),
                            format!("meinten Sie `{s}`?"),
                        ),
                        None => d.with_hints(
                            format!("the functions are: {all}"),
                            format!("die Funktionen sind: {all}"),
                        ),
                    };
                    self.diags.push(d);
                    return self.types.fresh();
                };
                let bad_count = match sig {
                    Sig::Fixed(params, _) => params.len() != args.len(),
                    Sig::Variadic(_) => args.len() < 2,
                };
                if bad_count {
                    let want = match sig {
                        Sig::Fixed(p, _) => format!("{} argument{}", p.len(), plural(p.len())),
                        Sig::Variadic(_) => "at least 2 arguments".into(),
                    };
                    let want_de = match sig {
                        Sig::Fixed(p, _) if p.len() == 1 => "1 Argument".to_string(),
                        Sig::Fixed(p, _) => format!("{} Argumente", p.len()),
                        Sig::Variadic(_) => "mindestens 2 Argumente".into(),
                    };
                    self.diags.push(
                        Diagnostic::error(
                            Code::ArityMismatch,
                            e.span,
                            format!("`{}` takes {want}, but {} given", name.text, args.len()),
                        )
                        .with_labels(format!("expected {want}"), format!("erwartet: {want_de}"))
                        .de(format!(
                            "`{}` nimmt {want_de}, es {} aber {} angegeben",
                            name.text,
                            if args.len() == 1 { "ist" } else { "sind" },
                            args.len()
                        )),
                    );
                    return self.types.fresh();
                }
                let what = |i: usize| format!("argument {} of `{}`", i + 1, name.text);
                let what_de = |i: usize| format!("dem Argument {} von `{}`", i + 1, name.text);
                match sig {
                    Sig::Fixed(params, ret) => {
                        for (i, (&s, &t)) in slots.iter().zip(params.iter()).enumerate() {
                            self.need(s, t, args[i].span, (&what(i), &what_de(i)));
                        }
                        self.result(
                            ret,
                            e.span,
                            (
                                &format!("the result of `{}`", name.text),
                                &format!("dem Ergebnis von `{}`", name.text),
                            ),
                        )
                    }
                    Sig::Variadic(ty) => {
                        let r = self.types.fresh();
                        if ty.is_none() {
                            self.ordered.push((r, e.span, name.text.clone()));
                        }
                        if let Some(t) = ty {
                            let _ = self.types.require(
                                r,
                                t,
                                Origin {
                                    span: Some(e.span),
                                    why: format!("the result of `{}`", name.text),
                                    why_de: format!("dem Ergebnis von `{}`", name.text),
                                    strong: false,
                                },
                            );
                        }
                        for (i, &s) in slots.iter().enumerate() {
                            self.unify_at(
                                s,
                                r,
                                args[i].span,
                                (&format!("as {}", what(i)), &format!("bei {}", what_de(i))),
                            );
                        }
                        r
                    }
                }
            }
        }
    }

    /// A fresh slot of type `ty`: the result of the call or operation at `span`, named in
    /// English and in German (dative).
    pub(super) fn result(&mut self, ty: Type, span: Span, why: (&str, &str)) -> Slot {
        let r = self.types.fresh();
        let _ = self.types.require(
            r,
            ty,
            Origin {
                span: Some(span),
                why: why.0.to_string(),
                why_de: why.1.to_string(),
                strong: false,
            },
        );
        r
    }
}
