//! The legal annotations in the resolver: reading `.norm` and `.authority` blocks into the
//! catalogue, checking every reference to a norm, an authority or a rule, rewriting the head of
//! a finding or exception rule, and adding the rules lowering generates (see
//! [`crate::ir::lower`] and [`crate::ir::legal`]).

use rustc_hash::FxHashMap;

use super::{duplicate, nowhere, Resolver};
use crate::diag::{did_you_mean, Code, Diagnostic, Span};
use crate::ir::legal::RuleKind;
use crate::ir::lower;
use crate::ir::CmpOp;
use crate::lang::ast::Item;
use crate::lang::ast::{self, AtomAst, Clause, ExprAst, ExprKind, LiteralAst, Name};
use crate::lang::{parse, ParseOptions};

impl Resolver<'_> {
    pub(super) fn norms_and_authorities(
        &mut self,
        files: &[ast::File],
        diags: &mut Vec<Diagnostic>,
    ) {
        let mut norms = Vec::new();
        let mut authorities: Vec<crate::ir::legal::Authority> = Vec::new();
        for item in files.iter().flat_map(|f| f.items.iter()) {
            match item {
                Item::Norm(b) => {
                    if let Some((n, span)) = lower::norm(b, diags) {
                        if let Some(span) = span {
                            self.replaced_spans.insert(n.key(), span);
                        }
                        norms.push(n);
                    }
                }
                Item::Authority(b) => {
                    if let Some(first) = authorities.iter().find(|a| a.id == b.id.text) {
                        diags.push(duplicate(
                            "authority",
                            &b.id.text,
                            b.id.span,
                            Some(first.span),
                        ));
                    } else if let Some(a) = lower::authority(b, diags) {
                        authorities.push(a);
                    }
                }
                _ => {}
            }
        }
        norms.sort_by(|a, b| (&a.id, a.from).cmp(&(&b.id, b.from)));
        let mut kept: Vec<crate::ir::legal::NormVersion> = Vec::new();
        for n in norms {
            if let Some(prev) = kept.last().filter(|p| p.id == n.id) {
                if prev.from == n.from {
                    diags.push(duplicate("norm version", &n.key(), n.span, Some(prev.span)));
                    continue;
                }
                if prev.to.is_none_or(|t| t >= n.from) {
                    diags.push(
                        Diagnostic::error(
                            Code::BadAnnotation,
                            n.span,
                            format!(
                                "versions of `{}` overlap: `{}` starts on {} while `{}` is still in force",
                                n.id,
                                n.key(),
                                n.from,
                                prev.key()
                            ),
                        )
                        .with_label("this version overlaps")
                        .with_secondary(prev.span, "the earlier version")
                        .with_hint("versions of one provision need disjoint intervals: give the earlier one a `to` before this `from`")
                        .de(format!(
                            "Fassungen von `{}` überschneiden sich: `{}` beginnt am {}, während `{}` noch in Kraft ist",
                            n.id,
                            n.key(),
                            n.from,
                            prev.key()
                        ))
                        .label_de("diese Fassung überschneidet sich")
                        .hint_de("die Fassungen einer Vorschrift brauchen getrennte Zeiträume: der früheren ein `to` vor diesem `from` geben"),
                    );
                    continue;
                }
            }
            kept.push(n);
        }
        self.catalogue.norms = kept;
        authorities.sort_by(|a, b| a.id.cmp(&b.id));
        self.catalogue.authorities = authorities;
    }

    pub(super) fn check_catalogue(&mut self, diags: &mut Vec<Diagnostic>) {
        let norms = &self.catalogue.norms;
        let unknown_norm = |r: &crate::ir::legal::NormRef, span: Span| {
            let ids: Vec<&str> = norms.iter().map(|n| n.id.as_str()).collect();
            let versions: Vec<String> = norms
                .iter()
                .filter(|n| n.id == r.id)
                .map(|n| n.key())
                .collect();
            match r.version {
                Some(v) if !versions.is_empty() => Diagnostic::error(
                    Code::UnknownNorm,
                    span,
                    format!("`{}` has no version starting on {v}", r.id),
                )
                .with_labels("no such version", "keine solche Fassung")
                .with_hints(
                    format!("declared versions: {}", versions.join(", ")),
                    format!("deklarierte Fassungen: {}", versions.join(", ")),
                )
                .de(format!("`{}` hat keine Fassung, die am {v} beginnt", r.id)),
                _ => {
                    let d = Diagnostic::error(
                        Code::UnknownNorm,
                        span,
                        format!("unknown norm `{}`", r.id),
                    )
                    .with_labels("no `.norm` with this id", "keine `.norm` mit dieser ID")
                    .de(format!("unbekannte Norm `{}`", r.id));
                    match did_you_mean(&r.id, ids.into_iter()) {
                        Some(s) => d.with_hints(
                            format!("did you mean `{s}`?"),
                            format!("meinten Sie `{s}`?"),
                        ),
                        None => d.with_hints(
                            format!("declare it with `.norm \"{}\" {{ ... }}`", r.id),
                            format!("mit `.norm \"{}\" {{ ... }}` deklarieren", r.id),
                        ),
                    }
                }
            }
        };
        for n in norms {
            if let Some(r) = &n.replaced_by {
                if lower::resolve_ref(norms, r).is_none() {
                    let span = self.replaced_spans.get(&n.key()).copied().unwrap_or(n.span);
                    diags.push(unknown_norm(r, span));
                }
            }
        }
        let rule_kinds: FxHashMap<&str, (&RuleKind, Span)> = self
            .annotations
            .iter()
            .map(|(a, _)| (a.meta.id.as_str(), (&a.meta.kind, a.meta.span)))
            .collect();
        for (a, _) in &self.annotations {
            for (r, span) in a.meta.norms.iter().zip(&a.norm_spans) {
                if lower::resolve_ref(norms, r).is_none() {
                    diags.push(unknown_norm(r, *span));
                }
            }
            for (name, span) in a.meta.authorities.iter().zip(&a.authority_spans) {
                if !self.catalogue.authorities.iter().any(|x| &x.id == name) {
                    let d = Diagnostic::error(
                        Code::UnknownReference,
                        *span,
                        format!("unknown authority `{name}`"),
                    )
                    .with_labels(
                        "no `.authority` with this name",
                        "keine `.authority` mit diesem Namen",
                    )
                    .de(format!("unbekannte `.authority` `{name}`"));
                    let ids = self.catalogue.authorities.iter().map(|x| x.id.as_str());
                    diags.push(match did_you_mean(name, ids) {
                        Some(s) => d.with_hints(
                            format!("did you mean `{s}`?"),
                            format!("meinten Sie `{s}`?"),
                        ),
                        None => d.with_hints(
                            format!("declare it with `.authority {name} {{ ... }}`"),
                            format!("mit `.authority {name} {{ ... }}` deklarieren"),
                        ),
                    });
                }
            }
            if let RuleKind::Exception { to, to_span } = &a.meta.kind {
                match rule_kinds.get(to.as_str()) {
                    Some((RuleKind::Finding { .. }, _)) => {}
                    Some((_, span)) => diags.push(
                        Diagnostic::error(
                            Code::BadAnnotation,
                            *to_span,
                            format!("`{to}` is not a finding rule"),
                        )
                        .with_labels(
                            "an exception must point at a rule with a `decision`",
                            "eine Ausnahme muss auf eine Regel mit einer `decision` zeigen",
                        )
                        .with_secondary(*span, "declared here")
                        .de(format!("`{to}` ist keine Befundregel")),
                    ),
                    None => {
                        let d = Diagnostic::error(
                            Code::UnknownReference,
                            *to_span,
                            format!("unknown rule `{to}`"),
                        )
                        .with_labels(
                            "no annotated rule with this id",
                            "keine annotierte Regel mit dieser ID",
                        )
                        .de(format!("unbekannte Regel `{to}`"));
                        diags.push(match did_you_mean(to, rule_kinds.keys().copied()) {
                            Some(s) => d.with_hints(
                                format!("did you mean `{s}`?"),
                                format!("meinten Sie `{s}`?"),
                            ),
                            None => d.with_hints(
                                "`exception_to` names the id of a `.rule` with a `decision`",
                                "`exception_to` nennt die ID einer `.rule` mit einer `decision`",
                            ),
                        });
                    }
                }
            }
        }
        let windows: Vec<_> = self
            .annotations
            .iter()
            .map(|(a, _)| lower::window(norms, &a.meta))
            .collect();
        for ((a, _), w) in self.annotations.iter_mut().zip(windows) {
            a.meta.window = w;
        }
    }

    pub(super) fn generated_rules(&mut self, diags: &mut Vec<Diagnostic>) {
        // Spans of generated rules point at the first finding rule's annotation, so that a
        // diagnostic through them (a negative cycle) lands on a real place.
        let anchor = self
            .annotations
            .first()
            .map(|(a, _)| a.meta.span)
            .unwrap_or_else(nowhere);
        let mut scratch = Vec::new();
        let file = parse(
            anchor.file,
            lower::GENERATED_RULES,
            ParseOptions::default(),
            &mut scratch,
        );
        debug_assert!(scratch.is_empty(), "generated rules parse: {scratch:?}");
        for item in file.items {
            if let Item::Clause(mut c) = item {
                respan_clause(&mut c, anchor);
                let before = self.clauses.len();
                self.add_clause(c, None, true, diags);
                if let Some(ci) = self.clauses.get_mut(before) {
                    ci.id = format!("{}#lower", self.rels[ci.head_rel.0 as usize].name);
                }
            }
        }
    }
}

pub(super) fn var_names(c: &Clause) -> Vec<String> {
    fn walk(e: &ExprAst, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Var(n) if !out.contains(n) => out.push(n.clone()),
            ExprKind::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            ExprKind::Neg(a) => walk(a, out),
            ExprKind::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    c.head.args.iter().for_each(|a| walk(a, &mut out));
    for l in &c.body {
        match l {
            LiteralAst::Atom(a) => a.args.iter().for_each(|a| walk(a, &mut out)),
            LiteralAst::Cmp { lhs, rhs, .. } => {
                walk(lhs, &mut out);
                walk(rhs, &mut out);
            }
        }
    }
    out
}

/// Rewrites the head of a finding (exception) rule to `finding_raw("R", About, Subject, Date)`
/// and adds the window check of [`crate::ir::legal`].
pub(super) fn lower_head(c: &mut Clause, to: &str, id: &str) {
    let span = c.head.name.span;
    let konst = |kind| ExprAst { kind, span };
    let mut args = std::mem::take(&mut c.head.args);
    if args.len() == 2 {
        args.insert(1, konst(ExprKind::Str(String::new())));
    }
    let date = args
        .last()
        .cloned()
        .unwrap_or_else(|| konst(ExprKind::Wildcard));
    args.insert(0, konst(ExprKind::Str(id.to_string())));
    c.head.args = args;
    c.head.name = Name {
        text: to.to_string(),
        span,
    };
    let var = |n: &str| konst(ExprKind::Var(n.to_string()));
    c.body.push(LiteralAst::Atom(AtomAst {
        name: Name {
            text: "rule_window".into(),
            span,
        },
        args: vec![
            konst(ExprKind::Str(id.to_string())),
            var("$from"),
            var("$to"),
        ],
        negated: false,
        span,
    }));
    c.body.push(LiteralAst::Cmp {
        op: CmpOp::Le,
        lhs: var("$from"),
        rhs: date.clone(),
        span,
    });
    c.body.push(LiteralAst::Cmp {
        op: CmpOp::Le,
        lhs: date,
        rhs: var("$to"),
        span,
    });
}

pub(super) fn respan_clause(c: &mut Clause, span: Span) {
    fn expr(e: &mut ExprAst, span: Span) {
        e.span = span;
        match &mut e.kind {
            ExprKind::Binary(_, a, b) => {
                expr(a, span);
                expr(b, span);
            }
            ExprKind::Neg(a) => expr(a, span),
            ExprKind::Call(n, args) => {
                n.span = span;
                args.iter_mut().for_each(|a| expr(a, span));
            }
            _ => {}
        }
    }
    fn atom(a: &mut AtomAst, span: Span) {
        a.span = span;
        a.name.span = span;
        a.args.iter_mut().for_each(|e| expr(e, span));
    }
    c.span = span;
    atom(&mut c.head, span);
    for l in &mut c.body {
        match l {
            LiteralAst::Atom(a) => atom(a, span),
            LiteralAst::Cmp {
                lhs, rhs, span: s, ..
            } => {
                *s = span;
                expr(lhs, span);
                expr(rhs, span);
            }
        }
    }
}
