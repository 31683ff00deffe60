//! sphere's values ([`value`]: interned symbols, numbers, dates, the [`Interner`]), the one
//! implementation of arithmetic, comparisons and the built-in functions ([`builtins`]) and of
//! "did you mean" hints ([`suggest`]), in a crate of their own so that tools which only handle
//! values (the model, exporters) need not build the engine. `sphere-engine` re-exports them,
//! so there is one implementation of each.

pub mod builtins;
mod interner;
pub mod suggest;
pub mod value;

pub use value::{Date, Interner, Sym, Type, Value};
