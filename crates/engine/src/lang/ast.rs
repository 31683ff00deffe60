//! The syntax tree: what the parser saw, with a span on everything a diagnostic may point at.
//! Names are still strings; the resolver (`crate::ir::resolve`) turns them into indexes.

use crate::builtins::{BinOp, CmpOp};
use crate::diag::Span;
use crate::value::Date;

/// One source file.
#[derive(Clone, Debug, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub enum Item {
    Decl(Decl),
    /// `.input a, b` or `.output a(IO=file, ...)`: the parameters are accepted and ignored.
    Io {
        output: bool,
        names: Vec<Name>,
        span: Span,
    },
    /// `.type Name <: base` or `.type Name = base`.
    TypeDef {
        name: Name,
        base: Name,
        span: Span,
    },
    Clause(Clause),
    Norm(Block),
    Authority(Block),
}

/// An identifier with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Decl {
    pub name: Name,
    pub columns: Vec<ColumnDecl>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ColumnDecl {
    pub name: Name,
    pub ty: Name,
}

/// A fact (no body) or a rule, with the `.rule` annotation that precedes it, if any.
#[derive(Clone, Debug)]
pub struct Clause {
    pub head: AtomAst,
    pub body: Vec<LiteralAst>,
    pub annotation: Option<Block>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct AtomAst {
    pub name: Name,
    pub args: Vec<ExprAst>,
    pub negated: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum LiteralAst {
    Atom(AtomAst),
    Cmp {
        op: CmpOp,
        lhs: ExprAst,
        rhs: ExprAst,
        span: Span,
    },
}

impl LiteralAst {
    pub fn span(&self) -> Span {
        match self {
            LiteralAst::Atom(a) => a.span,
            LiteralAst::Cmp { span, .. } => *span,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ExprAst {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Var(String),
    Wildcard,
    Str(String),
    Num(i64),
    Date(Date),
    Binary(BinOp, Box<ExprAst>, Box<ExprAst>),
    Neg(Box<ExprAst>),
    /// A function call; `name` includes the `@` for the date functions.
    Call(Name, Vec<ExprAst>),
}

/// A `.norm`, `.authority` or `.rule` block: `<head> { key: value, ... }`.
#[derive(Clone, Debug)]
pub struct Block {
    /// The norm id string, the authority name or the rule id.
    pub id: Name,
    pub fields: Vec<Field>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub key: Name,
    pub value: AValue,
}

/// A value in an annotation block.
#[derive(Clone, Debug)]
pub struct AValue {
    pub kind: AValueKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum AValueKind {
    Str(String),
    /// A bare word: `high`, `block`, `none`, `true`, an authority name, a rule id.
    Word(String),
    Date(Date),
    Num(i64),
    List(Vec<AValue>),
    Map(Vec<Field>),
}

impl AValueKind {
    pub fn describe(&self) -> &'static str {
        match self {
            AValueKind::Str(_) => "a string",
            AValueKind::Word(_) => "a word",
            AValueKind::Date(_) => "a date",
            AValueKind::Num(_) => "a number",
            AValueKind::List(_) => "a list",
            AValueKind::Map(_) => "a `{ en: .., de: .. }` block",
        }
    }

    /// [`AValueKind::describe`] in German.
    pub fn describe_de(&self) -> &'static str {
        match self {
            AValueKind::Str(_) => "eine Zeichenkette",
            AValueKind::Word(_) => "ein Wort",
            AValueKind::Date(_) => "ein Datum",
            AValueKind::Num(_) => "eine Zahl",
            AValueKind::List(_) => "eine Liste",
            AValueKind::Map(_) => "ein Textpaar `{ en: .., de: .. }`",
        }
    }
}
