//! The language front end: source text to tokens ([`lexer`]), tokens to a syntax tree with
//! spans ([`parser`], [`ast`]). Name resolution, typing, lowering and stratification follow
//! in [`crate::ir`]; [`crate::compile`] runs the whole pipeline.
//!
//! Invariant: the front end collects diagnostics and never stops at the first one, and no
//! input, however broken, makes it panic.

pub mod ast;
pub mod lexer;
pub mod parser;

pub use parser::{parse, ParseOptions};
