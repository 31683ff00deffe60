//! Arithmetic, comparisons and built-in functions: the one implementation is in `sphere-rt`,
//! shared by the interpreter and the compiled evaluator's generated code, so both evaluators
//! compute the same values.

pub use sphere_rt::builtins::*;
