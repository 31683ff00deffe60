//! Arithmetic and built-in functions: the one implementation is in `sphere-rt`, shared by the
//! interpreter and the code the crepe generator emits, so both evaluators compute the same
//! values.

pub use sphere_rt::builtins::*;
