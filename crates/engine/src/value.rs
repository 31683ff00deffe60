//! Values of the rule language: interned symbols, 64-bit numbers and calendar dates. They live
//! in `sphere-rt`, which generated code shares with this crate without depending on it.

pub use sphere_rt::value::*;
