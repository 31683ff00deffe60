//! Clauses: each rule or fact with the relations its atoms refer to, its annotation checked
//! and its head lowered, and the stable rule ids (`rel#n`, or the annotation's id).

use rustc_hash::FxHashMap;

use super::annotations::{lower_head, var_names};
use super::{ClauseInfo, Resolver, MAX_BODY_LITERALS};
use crate::diag::{Code, Diagnostic};
use crate::ir::legal::RuleKind;
use crate::ir::lower;
use crate::ir::RelId;
use crate::lang::ast::{Clause, LiteralAst};

impl Resolver<'_> {
    pub(super) fn clause(&mut self, c: &Clause, diags: &mut Vec<Diagnostic>) {
        if let Some(lit) = c.body.get(MAX_BODY_LITERALS) {
            let span = match lit {
                LiteralAst::Atom(a) => a.span,
                LiteralAst::Cmp { span, .. } => *span,
            };
            diags.push(
                Diagnostic::error(
                    Code::TooLarge,
                    span,
                    format!(
                        "this rule has {} literals in its body, more than the {MAX_BODY_LITERALS} sphere plans",
                        c.body.len()
                    ),
                )
                .with_label(format!("literal {}", MAX_BODY_LITERALS + 1))
                .with_hint("split the rule: give a group of its literals a relation of its own and use that relation here")
                .de(format!(
                    "diese Regel hat {} Literale im Rumpf, mehr als die {MAX_BODY_LITERALS}, die sphere plant",
                    c.body.len()
                ))
                .label_de(format!("Literal {}", MAX_BODY_LITERALS + 1))
                .hint_de("die Regel aufteilen: einer Gruppe ihrer Literale eine eigene Relation geben und diese hier verwenden"),
            );
            return;
        }
        let mut ast = c.clone();
        let mut ann_idx = None;
        if let Some(block) = &c.annotation {
            let head = (
                c.head.name.text.as_str(),
                c.head.name.span,
                c.head.args.len(),
            );
            let Some(ann) = lower::rule_annotation(block, head, diags) else {
                return;
            };
            if let Some((first, _)) = self
                .annotations
                .iter()
                .find(|(a, _)| a.meta.id == ann.meta.id)
            {
                diags.push(
                    Diagnostic::error(
                        Code::DuplicateRuleId,
                        block.id.span,
                        format!("rule id `{}` is used twice", ann.meta.id),
                    )
                    .with_label("second rule with this id")
                    .with_secondary(first.meta.span, "first used here")
                    .with_hint("rule ids are stable names used in findings and journals: give each rule its own")
                    .de(format!("die Regel-ID `{}` wird zweimal verwendet", ann.meta.id))
                    .label_de("zweite Regel mit dieser ID")
                    .hint_de("Regel-IDs sind feste Namen in Befunden und Journalen: jeder Regel eine eigene geben"),
                );
                return;
            }
            let names = var_names(c);
            let cite_texts: Vec<&String> = ann.meta.cites.iter().collect();
            let texts = [&ann.meta.message, &ann.meta.remedy]
                .into_iter()
                .flatten()
                .flat_map(|t| [&t.en, &t.de])
                .chain(cite_texts);
            {
                for t in texts {
                    for p in lower::placeholders(t) {
                        if !names.iter().any(|n| n == p) {
                            diags.push(
                                Diagnostic::error(
                                    Code::BadAnnotation,
                                    block.id.span,
                                    format!("placeholder `{{{p}}}` names no variable of the rule"),
                                )
                                .with_label(format!("in the text of `.rule {}`", block.id.text))
                                .with_hint(format!(
                                    "the rule's variables are: {}",
                                    names.join(", ")
                                ))
                                .de(format!(
                                    "der Platzhalter `{{{p}}}` nennt keine Variable der Regel"
                                ))
                                .label_de(format!("im Text von `.rule {}`", block.id.text))
                                .hint_de(format!(
                                    "die Variablen der Regel sind: {}",
                                    names.join(", ")
                                )),
                            );
                        }
                    }
                }
            }
            match &ann.meta.kind {
                RuleKind::Finding { .. } => lower_head(&mut ast, "finding_raw", &ann.meta.id),
                RuleKind::Exception { .. } => lower_head(&mut ast, "exception_raw", &ann.meta.id),
                RuleKind::Reasoning => {}
            }
            self.annotations.push((ann, self.clauses.len()));
            ann_idx = Some(self.annotations.len() - 1);
        } else if self.lowering && lower::is_reserved(&c.head.name.text) {
            let what = if c.head.name.text == lower::EXCEPTION {
                "an `exception_to`"
            } else {
                "a `decision`"
            };
            diags.push(
                Diagnostic::error(
                    Code::BadAnnotation,
                    c.head.name.span,
                    format!("`{}` is derived only by annotated rules", c.head.name.text),
                )
                .with_label("this rule has no `.rule` annotation")
                .with_hint(format!(
                    "put a `.rule <id> {{ ... }}` block with {what} before it"
                ))
                .de(format!(
                    "`{}` wird nur von annotierten Regeln abgeleitet",
                    c.head.name.text
                ))
                .label_de("diese Regel hat keine `.rule`-Annotation")
                .hint_de(format!(
                    "eine Annotation `.rule <id> {{ ... }}` mit {} davorsetzen",
                    if c.head.name.text == lower::EXCEPTION {
                        "`exception_to`"
                    } else {
                        "`decision`"
                    }
                )),
            );
            return;
        }
        self.add_clause(ast, ann_idx, false, diags);
    }

    pub(super) fn add_clause(
        &mut self,
        ast: Clause,
        ann: Option<usize>,
        generated: bool,
        diags: &mut Vec<Diagnostic>,
    ) {
        let mut ok = true;
        let head_rel = self.atom_rel(&ast.head, diags);
        ok &= head_rel.is_some();
        let mut lit_rels = Vec::new();
        for lit in &ast.body {
            match lit {
                LiteralAst::Atom(a) => {
                    let r = self.atom_rel(a, diags);
                    ok &= r.is_some();
                    lit_rels.push(r);
                }
                LiteralAst::Cmp { .. } => lit_rels.push(None),
            }
        }
        let (Some(head_rel), true) = (head_rel, ok) else {
            return;
        };
        let n = ast.body.len();
        self.clauses.push(ClauseInfo {
            ast,
            generated,
            id: String::new(),
            ann,
            head_rel,
            lit_rels,
            vars: Vec::new(),
            consts: Vec::new(),
            drop: false,
            drop_lits: vec![false; n],
        });
    }

    pub(super) fn rule_ids(&mut self) {
        let mut counters: FxHashMap<RelId, usize> = FxHashMap::default();
        for c in &mut self.clauses {
            if c.is_fact() && c.ann.is_none() {
                continue;
            }
            c.id = match c.ann {
                Some(a) => self.annotations[a].0.meta.id.clone(),
                None if c.generated => format!("{}#lower", self.rels[c.head_rel.0 as usize].name),
                None => {
                    let n = counters.entry(c.head_rel).or_insert(0);
                    *n += 1;
                    format!("{}#{}", self.rels[c.head_rel.0 as usize].name, n)
                }
            };
        }
    }
}
