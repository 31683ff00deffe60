//! Facts given from outside the program text (`.facts` files, the JSON of `sphere eval
//! --json`): their relations and shape, and their values typed by column.

use super::{nowhere, plural, RawValue, Resolver};
use crate::diag::{Code, Diagnostic};
use crate::value::{Date, Interner, Type, Value};

impl Resolver<'_> {
    pub(super) fn external_relations(&mut self, diags: &mut Vec<Diagnostic>) {
        for (i, ext) in self.opts.external.iter().enumerate() {
            let id = match self.by_name.get(&ext.name) {
                Some(&id) => id,
                None if self.opts.lenient => {
                    let arity = ext.rows.first().map_or(0, Vec::len);
                    self.add_relation(&ext.name, arity, nowhere(), None)
                }
                None => {
                    diags.push(
                        Diagnostic::without_span(
                            Code::UnknownRelation,
                            format!("facts are given for `{}`, which is not declared", ext.name),
                        )
                        .with_hint(format!(
                            "declare it with `.decl {}(...)` and `.input {}`",
                            ext.name, ext.name
                        ))
                        .de(format!(
                            "für `{}` sind Fakten angegeben, die Relation ist aber nicht deklariert",
                            ext.name
                        ))
                        .hint_de(format!(
                            "mit `.decl {}(...)` und `.input {}` deklarieren",
                            ext.name, ext.name
                        )),
                    );
                    continue;
                }
            };
            let arity = self.rels[id.0 as usize].slots.len();
            let mut ok = true;
            for (r, row) in ext.rows.iter().enumerate() {
                if row.len() != arity {
                    diags.push(
                        Diagnostic::without_span(
                            Code::ArityMismatch,
                            format!(
                                "{}: {} values, but `{}` has {} column{}",
                                self.external_place(&ext.name, r, None),
                                row.len(),
                                ext.name,
                                arity,
                                plural(arity)
                            ),
                        )
                        .with_hint(format!(
                            "`{}` takes ({})",
                            ext.name,
                            self.rels[id.0 as usize].columns.join(", ")
                        ))
                        .de(format!(
                            "{}: {} Werte, `{}` hat aber {} Spalte{}",
                            self.external_place_de(&ext.name, r, None),
                            row.len(),
                            ext.name,
                            arity,
                            if arity == 1 { "" } else { "n" }
                        ))
                        .hint_de(format!(
                            "`{}` hat die Spalten ({})",
                            ext.name,
                            self.rels[id.0 as usize].columns.join(", ")
                        )),
                    );
                    ok = false;
                }
            }
            if ok {
                self.external.push((i, id));
            }
        }
    }

    pub(super) fn external_place(&self, name: &str, row: usize, col: Option<usize>) -> String {
        match (self.opts.lenient, col) {
            (true, Some(c)) => format!("facts.{name}[{row}][{c}]"),
            (true, None) => format!("facts.{name}[{row}]"),
            (false, Some(c)) => format!("facts of `{name}`, row {}, column {}", row + 1, c + 1),
            (false, None) => format!("facts of `{name}`, row {}", row + 1),
        }
    }

    /// [`Self::external_place`] in German.
    pub(super) fn external_place_de(&self, name: &str, row: usize, col: Option<usize>) -> String {
        match (self.opts.lenient, col) {
            (true, _) => self.external_place(name, row, col),
            (false, Some(c)) => format!("Fakten von `{name}`, Zeile {}, Spalte {}", row + 1, c + 1),
            (false, None) => format!("Fakten von `{name}`, Zeile {}", row + 1),
        }
    }
}

/// An external value in a column of type `ty`. Strict mode reads `.facts` text, so a string
/// may spell a number; lenient mode reads JSON, where a date is a string.
pub(super) fn raw_value(
    v: &RawValue,
    ty: Type,
    lenient: bool,
    interner: &mut Interner,
) -> Option<Value> {
    Some(match (v, ty) {
        (RawValue::Str(s), Type::Symbol) => Value::Sym(interner.intern(s)),
        (RawValue::Str(s), Type::Date) => Value::Date(Date::parse(s.trim())?),
        (RawValue::Str(s), Type::Number) if !lenient => Value::Num(s.trim().parse().ok()?),
        (RawValue::Int(n), Type::Number) => Value::Num(*n),
        (RawValue::Int(n), Type::Symbol) if !lenient => Value::Sym(interner.intern(&n.to_string())),
        _ => return None,
    })
}

/// Whether [`raw_value`] has a value for `v` in a column of type `ty` (without interning).
pub(super) fn raw_fits(v: &RawValue, ty: Type, lenient: bool) -> bool {
    match (v, ty) {
        (RawValue::Str(_), Type::Symbol) | (RawValue::Int(_), Type::Number) => true,
        (RawValue::Str(s), Type::Date) => Date::parse(s.trim()).is_some(),
        (RawValue::Str(s), Type::Number) => !lenient && s.trim().parse::<i64>().is_ok(),
        (RawValue::Int(_), Type::Symbol) => !lenient,
        (RawValue::Int(_), Type::Date) => false,
    }
}
