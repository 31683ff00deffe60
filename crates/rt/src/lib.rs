//! What sphere's two evaluators share at run time, in a crate small enough that generated code
//! can depend on it without depending on the engine: values ([`value`]: interned symbols,
//! numbers, dates, the [`Interner`]), the one implementation of arithmetic and the built-in
//! functions ([`builtins`]), and what generated crepe programs call ([`gen`]: typed built-ins,
//! symbol order and interning through an interner installed for one run, and the tables that
//! describe firing relations).
//!
//! `sphere-engine` re-exports [`value`] and [`builtins`], so there is one implementation of
//! each; a change in the engine does not recompile generated code.

pub mod builtins;
pub mod gen;
pub mod value;

pub use value::{Date, Interner, Sym, Type, Value};
