//! Queries for the command line and the REPL: one atom such as `path(1, X)` or
//! `finding(R, "a1", _, _)`, resolved against a compiled program.

use crate::diag::{Code, Diagnostic, SourceMap, Span};
use crate::ir::resolve::did_you_mean;
use crate::ir::{Program, RelId};
use crate::lang::ast::ExprKind;
use crate::lang::parser::parse_atom_text;
use crate::value::{Date, Type, Value};

/// A query atom, resolved against a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub rel: RelId,
    pub args: Vec<QueryArg>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryArg {
    /// A variable; the same name twice means the same value.
    Var(String),
    Wildcard,
    Const(Value),
    /// A symbol the program never interned: matches nothing.
    UnknownSymbol(String),
}

/// Parses and resolves `text` (a trailing `.` is allowed). The text is added to `sources` as
/// a file named `<query>`, so the diagnostics render with carets like any other.
pub fn parse_query(
    text: &str,
    program: &Program,
    sources: &mut SourceMap,
) -> Result<Query, Vec<Diagnostic>> {
    let file = sources.add("<query>", text);
    let mut diags = Vec::new();
    let Some(atom) = parse_atom_text(file, text, &mut diags) else {
        if diags.is_empty() {
            diags.push(
                Diagnostic::error(
                    Code::Syntax,
                    Span::new(file, 0..text.len()),
                    "expected a query such as `path(1, X)`",
                )
                .de("erwartet: eine Anfrage wie `path(1, X)`"),
            );
        }
        return Err(diags);
    };
    let Some(rel) = program.relation_by_name(&atom.name.text) else {
        let names = program.relations.iter().map(|r| r.name.as_str());
        let d = Diagnostic::error(
            Code::UnknownRelation,
            atom.name.span,
            format!("unknown relation `{}`", atom.name.text),
        )
        .with_label("the program has no such relation")
        .de(format!("unbekannte Relation `{}`", atom.name.text))
        .label_de("das Programm hat keine solche Relation");
        return Err(vec![match did_you_mean(&atom.name.text, names) {
            Some(s) => d.with_hints(
                format!("did you mean `{s}`?"),
                format!("meinten Sie `{s}`?"),
            ),
            None => d.with_hints(
                "`sphere eval` lists the relations of a program",
                "`sphere eval` zeigt die Relationen eines Programms",
            ),
        }]);
    };
    let relation = program.relation(rel);
    if relation.arity() != atom.args.len() {
        let columns = relation
            .columns
            .iter()
            .map(|c| format!("{}: {}", c.name, c.ty))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(vec![Diagnostic::error(
            Code::ArityMismatch,
            atom.span,
            format!(
                "`{}` has {} columns, but the query gives {}",
                relation.name,
                relation.arity(),
                atom.args.len()
            ),
        )
        .with_label(format!("expected {} arguments", relation.arity()))
        .with_hint(format!("`{}` takes ({columns})", relation.name))
        .de(format!(
            "`{}` hat {} Spalten, die Anfrage gibt aber {}",
            relation.name,
            relation.arity(),
            atom.args.len()
        ))
        .label_de(format!("erwartet: {} Argumente", relation.arity()))
        .hint_de(format!("`{}` nimmt ({columns})", relation.name))]);
    }
    let mut args = Vec::new();
    for (arg, col) in atom.args.iter().zip(&relation.columns) {
        let mismatch = |found: Type| {
            Diagnostic::error(
                Code::TypeMismatch,
                arg.span,
                format!("type mismatch: expected a {}, found a {found}", col.ty),
            )
            .with_label(format!(
                "column `{}` of `{}` is a {}",
                col.name, relation.name, col.ty
            ))
            .de(format!(
                "Typfehler: erwartet: {}, gefunden: {}",
                type_de(col.ty),
                type_de(found)
            ))
            .label_de(format!(
                "Spalte `{}` von `{}` ist {}",
                col.name,
                relation.name,
                type_de(col.ty)
            ))
        };
        let a = match (&arg.kind, col.ty) {
            (ExprKind::Var(n), _) => QueryArg::Var(n.clone()),
            (ExprKind::Wildcard, _) => QueryArg::Wildcard,
            (ExprKind::Num(n), Type::Number) => QueryArg::Const(Value::Num(*n)),
            (ExprKind::Date(d), Type::Date) => QueryArg::Const(Value::Date(*d)),
            (ExprKind::Str(s), Type::Date) => match Date::parse(s) {
                Some(d) => QueryArg::Const(Value::Date(d)),
                None => {
                    diags.push(mismatch(Type::Symbol));
                    continue;
                }
            },
            (ExprKind::Str(s), Type::Symbol) => symbol(program, s.clone()),
            (ExprKind::Date(d), Type::Symbol) => symbol(program, d.to_string()),
            (ExprKind::Str(_), _) => {
                diags.push(mismatch(Type::Symbol));
                continue;
            }
            (ExprKind::Num(_), _) => {
                diags.push(mismatch(Type::Number));
                continue;
            }
            (ExprKind::Date(_), _) => {
                diags.push(mismatch(Type::Date));
                continue;
            }
            _ => {
                diags.push(
                    Diagnostic::error(
                        Code::Syntax,
                        arg.span,
                        "a query argument is a variable, a constant or `_`",
                    )
                    .with_label("expressions are not allowed here")
                    .de("ein Argument einer Anfrage ist eine Variable, eine Konstante oder `_`")
                    .label_de("Ausdrücke sind hier nicht erlaubt"),
                );
                continue;
            }
        };
        args.push(a);
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Query {
        rel,
        args,
        span: atom.span,
    })
}

fn symbol(program: &Program, s: String) -> QueryArg {
    match program.interner.get(&s) {
        Some(sym) => QueryArg::Const(Value::Sym(sym)),
        None => QueryArg::UnknownSymbol(s),
    }
}

/// A type with its article, in German (`ein Symbol`), for messages.
pub fn type_de(ty: Type) -> &'static str {
    match ty {
        Type::Symbol => "ein Symbol",
        Type::Number => "eine Zahl",
        Type::Date => "ein Datum",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::resolve::{compile, CompileOptions};

    fn program() -> Program {
        let mut sources = SourceMap::new();
        sources.add(
            "p.dl",
            ".decl e(x: number, s: symbol, d: date)\ne(1, \"a\", 2024-05-14).",
        );
        compile(&sources, &CompileOptions::default())
            .program
            .expect("compiles")
    }

    #[test]
    fn queries_resolve_against_the_program() {
        let p = program();
        let mut sources = SourceMap::new();
        let q = parse_query("e(1, \"a\", D).", &p, &mut sources).expect("valid");
        assert_eq!(q.args[0], QueryArg::Const(Value::Num(1)));
        assert!(matches!(q.args[1], QueryArg::Const(Value::Sym(_))));
        assert_eq!(q.args[2], QueryArg::Var("D".into()));
        let q =
            parse_query("e(_, \"never seen\", \"2024-05-14\")", &p, &mut sources).expect("valid");
        assert_eq!(q.args[0], QueryArg::Wildcard);
        assert_eq!(q.args[1], QueryArg::UnknownSymbol("never seen".into()));
        assert_eq!(
            q.args[2],
            QueryArg::Const(Value::Date(Date::parse("2024-05-14").unwrap()))
        );
    }

    #[test]
    fn query_errors_render_against_the_query_text() {
        let p = program();
        let mut sources = SourceMap::new();
        let errs = parse_query("ee(1, X, Y)", &p, &mut sources).unwrap_err();
        assert_eq!(errs[0].code, Code::UnknownRelation);
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `e`?"));
        let rendered = crate::diag::render(&errs, &sources, Default::default());
        assert!(rendered.contains("<query>:1:1"), "{rendered}");
        let errs = parse_query("e(1, 2)", &p, &mut sources).unwrap_err();
        assert_eq!(errs[0].code, Code::ArityMismatch);
        let errs = parse_query("e(\"x\", 2, X + 1)", &p, &mut sources).unwrap_err();
        let codes: Vec<Code> = errs.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            vec![Code::TypeMismatch, Code::TypeMismatch, Code::Syntax]
        );
        let errs = parse_query("e(1, X", &p, &mut sources).unwrap_err();
        assert_eq!(errs[0].code, Code::Syntax);
    }
}
