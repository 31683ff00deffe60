//! Declarations and names: column types (through `.type` aliases), relations declared with
//! `.decl` (or, in lenient mode, made on first use), and the relation an atom refers to.

use rustc_hash::FxHashMap;

use super::{duplicate, nowhere, plural, RelInfo, Resolver};
use crate::diag::{did_you_mean, Code, Diagnostic, Span};
use crate::ir::lower;
use crate::ir::types::Origin;
use crate::ir::RelId;
use crate::lang::ast::{self, AtomAst, Name};
use crate::value::Type;

impl Resolver<'_> {
    pub(super) fn column_type(&self, ty: &Name, diags: &mut Vec<Diagnostic>) -> Option<Type> {
        let mut cur = ty.clone();
        for _ in 0..32 {
            match cur.text.as_str() {
                "symbol" => return Some(Type::Symbol),
                "number" | "unsigned" => return Some(Type::Number),
                "date" => return Some(Type::Date),
                "float" => {
                    diags.push(
                        Diagnostic::error(Code::TypeMismatch, ty.span, "`float` is not supported")
                            .with_labels("unsupported type", "nicht unterstützter Typ")
                            .with_hints(
                                "use `number` (64-bit integers)",
                                "`number` verwenden (ganze Zahlen mit 64 Bit)",
                            )
                            .de("`float` wird nicht unterstützt"),
                    );
                    return None;
                }
                _ => {}
            }
            match self.aliases.get(&cur.text) {
                Some((_, base)) => cur = base.clone(),
                None => break,
            }
        }
        let known = ["symbol", "number", "date"]
            .into_iter()
            .chain(self.aliases.keys().map(String::as_str));
        let mut d = Diagnostic::error(
            Code::UnknownReference,
            ty.span,
            format!("unknown type `{}`", cur.text),
        )
        .with_labels("no such type", "kein solcher Typ")
        .de(format!("unbekannter Typ `{}`", cur.text));
        d = match did_you_mean(&cur.text, known) {
            Some(s) => d.with_hints(
                format!("did you mean `{s}`?"),
                format!("meinten Sie `{s}`?"),
            ),
            None => d.with_hints(
                "column types are `symbol`, `number`, `date` or a `.type`",
                "Spaltentypen sind `symbol`, `number`, `date` oder ein `.type`",
            ),
        };
        diags.push(d);
        None
    }

    pub(super) fn add_relation(
        &mut self,
        name: &str,
        arity: usize,
        span: Span,
        doc: Option<String>,
    ) -> RelId {
        let id = RelId(self.rels.len() as u32);
        let slots = (0..arity).map(|_| self.types.fresh()).collect();
        self.rels.push(RelInfo {
            name: name.to_string(),
            columns: (1..=arity).map(|i| format!("c{i}")).collect(),
            slots,
            input: false,
            output: false,
            generated: false,
            declared: None,
            span,
            doc,
        });
        self.by_name.insert(name.to_string(), id);
        id
    }

    pub(super) fn declare(&mut self, d: &ast::Decl, diags: &mut Vec<Diagnostic>) {
        if self.lowering && lower::is_reserved(&d.name.text) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateDeclaration,
                    d.name.span,
                    format!("`{}` is made by sphere and cannot be declared", d.name.text),
                )
                .with_label("reserved for the lowering of finding and exception rules")
                .with_hint("choose another name; `finding` and its helpers may be queried but not declared")
                .de(format!(
                    "`{}` wird von sphere erzeugt und kann nicht deklariert werden",
                    d.name.text
                ))
                .label_de("reserviert für das Übersetzen der Befund- und Ausnahmeregeln")
                .hint_de("einen anderen Namen wählen; `finding` und seine Hilfsrelationen lassen sich abfragen, aber nicht deklarieren"),
            );
            return;
        }
        if let Some(&id) = self.by_name.get(&d.name.text) {
            diags.push(duplicate(
                "relation",
                &d.name.text,
                d.name.span,
                self.rels[id.0 as usize].declared,
            ));
            return;
        }
        let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
        for c in &d.columns {
            if let Some(first) = seen.insert(&c.name.text, c.name.span) {
                diags.push(duplicate("column", &c.name.text, c.name.span, Some(first)));
            }
        }
        let id = self.add_relation(&d.name.text, d.columns.len(), d.name.span, d.doc.clone());
        for (i, c) in d.columns.iter().enumerate() {
            let ty = self.column_type(&c.ty, diags);
            let rel = &mut self.rels[id.0 as usize];
            rel.columns[i] = c.name.text.clone();
            rel.declared = Some(d.name.span);
            let slot = rel.slots[i];
            if let Some(ty) = ty {
                let _ = self.types.require(
                    slot,
                    ty,
                    Origin {
                        span: Some(c.ty.span),
                        why: format!(
                            "the declaration of column `{}` of `{}`",
                            c.name.text, d.name.text
                        ),
                        why_de: format!(
                            "der Deklaration der Spalte `{}` von `{}`",
                            c.name.text, d.name.text
                        ),
                        strong: true,
                    },
                );
            }
        }
        self.rels[id.0 as usize].declared = Some(d.name.span);
    }

    /// The relation a name refers to; in lenient mode an unknown name with a known `arity` is
    /// created.
    pub(super) fn lookup(
        &mut self,
        n: &Name,
        arity: Option<usize>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<RelId> {
        if let Some(&id) = self.by_name.get(&n.text) {
            return Some(id);
        }
        if self.opts.lenient {
            if let Some(arity) = arity {
                return Some(self.add_relation(&n.text, arity, n.span, None));
            }
        }
        let mut d = Diagnostic::error(
            Code::UnknownRelation,
            n.span,
            format!("unknown relation `{}`", n.text),
        )
        .with_label("not declared")
        .de(format!("unbekannte Relation `{}`", n.text))
        .label_de("nicht deklariert");
        let names: Vec<&str> = self
            .rels
            .iter()
            .filter(|r| !r.generated || r.name == lower::FINDING)
            .map(|r| r.name.as_str())
            .collect();
        d = match did_you_mean(&n.text, names.into_iter()) {
            Some(s) => d.with_hints(
                format!("did you mean `{s}`?"),
                format!("meinten Sie `{s}`?"),
            ),
            None => d.with_hints(
                format!(
                    "declare it with `.decl {}(...)` and the types of its columns",
                    n.text
                ),
                format!(
                    "mit `.decl {}(...)` und den Typen ihrer Spalten deklarieren",
                    n.text
                ),
            ),
        };
        diags.push(d);
        None
    }

    pub(super) fn atom_rel(&mut self, a: &AtomAst, diags: &mut Vec<Diagnostic>) -> Option<RelId> {
        let id = self.lookup(&a.name, Some(a.args.len()), diags)?;
        let rel = &self.rels[id.0 as usize];
        if rel.slots.len() != a.args.len() {
            let mut d = Diagnostic::error(
                Code::ArityMismatch,
                a.span,
                format!(
                    "`{}` has {} column{}, but {} argument{} given here",
                    rel.name,
                    rel.slots.len(),
                    plural(rel.slots.len()),
                    a.args.len(),
                    if a.args.len() == 1 { " is" } else { "s are" }
                ),
            )
            .with_label(format!(
                "expected {} argument{}",
                rel.slots.len(),
                plural(rel.slots.len())
            ))
            .de(format!(
                "`{}` hat {} {}, hier {} aber {} {}",
                rel.name,
                rel.slots.len(),
                if rel.slots.len() == 1 {
                    "Spalte"
                } else {
                    "Spalten"
                },
                if a.args.len() == 1 { "steht" } else { "stehen" },
                a.args.len(),
                if a.args.len() == 1 {
                    "Argument"
                } else {
                    "Argumente"
                }
            ))
            .label_de(format!(
                "erwartet: {} {}",
                rel.slots.len(),
                if rel.slots.len() == 1 {
                    "Argument"
                } else {
                    "Argumente"
                }
            ));
            if let Some(span) = rel
                .declared
                .or((!rel.generated && rel.span != nowhere()).then_some(rel.span))
            {
                let what = if rel.declared.is_some() {
                    "declared here"
                } else {
                    "first used here"
                };
                d = d.with_secondary(span, what);
            }
            d = d.with_hints(
                format!("`{}` takes ({})", rel.name, rel.columns.join(", ")),
                format!(
                    "`{}` nimmt ({})",
                    rel.name,
                    rel.columns
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            diags.push(d);
            return None;
        }
        Some(id)
    }
}
