//! sphere's values ([`value`]: interned symbols, numbers, dates, the [`Interner`]) and the one
//! implementation of arithmetic and the built-in functions ([`builtins`]), in a crate of their
//! own so that tools which only handle values (the model, exporters) need not build the
//! engine. `sphere-engine` re-exports both, so there is one implementation of each.

pub mod builtins;
pub mod value;

pub use value::{Date, Interner, Sym, Type, Value};
