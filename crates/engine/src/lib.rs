//! sphere's engine: the rule language (lexer, parser, AST with spans), the resolved program
//! (interned, typed, stratified, with the legal annotations lowered to plain Datalog), and the
//! semi-naive interpreter with provenance.
//!
//! Invariant: this crate knows nothing of JSON or of the company model. It does no I/O except
//! where a caller hands it file contents, and it never prints.

pub mod builtins;
pub mod diag;
pub mod eval;
pub mod explain;
pub mod ir;
pub mod lang;
pub mod value;

pub use diag::{Code, Diagnostic, FileId, SourceMap, Span};
pub use ir::query::{parse_query, Query, QueryArg};
pub use ir::resolve::{compile, CompileOptions, Compiled, ExternalRelation, RawValue};
pub use value::{Date, Interner, Sym, Type, Value};
