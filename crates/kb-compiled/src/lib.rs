//! The shipped knowledge base compiled to Rust, and how to run it.
//!
//! [`kb`] is what `sphere-codegen`'s `native::generate` writes for `knowledge/`: one
//! function per plan (a rule, or a semi-naive variant of a recursive rule), run by the
//! engine's own driver ([`sphere_engine::eval::evaluate_native`]) on the engine's relations
//! and indexes, with provenance recorded at insertion as the interpreter records it. It is
//! committed; `sphere-codegen`'s `tests/generated.rs` fails when it is stale and rewrites it
//! with `UPDATE_GENERATED=1`. The programs generated for tests and benchmarks only (the
//! evaluator's test program, every kind of operation a plan can hold, and the tc-anchor
//! benchmark program) live under `tests/programs/`, so that the shipped binary does not
//! carry them.
//!
//! Invariant: a generated program only runs on the resolved program it was generated from
//! (checked by the digest of the program and its interned symbols).

// Generated modules are left as the generator wrote them (the staleness test compares bytes).
#[rustfmt::skip]
pub mod kb;

use sphere_engine::eval::limits::Guard;
use sphere_engine::eval::native::{check, NativeProgram};
use sphere_engine::eval::{
    evaluate_native, evaluate_native_with, Database, EvalError, EvalOptions, Evaluation,
};
use sphere_engine::ir::Program;

/// One generated program.
pub struct Generated {
    pub code: &'static NativeProgram,
}

/// The shipped knowledge base.
pub const KB: Generated = Generated { code: &kb::PROGRAM };

/// Why a generated program cannot run on what it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl Generated {
    /// Whether `program` is the one this code was generated from.
    pub fn matches(&self, program: &Program) -> Result<(), Error> {
        check(self.code, program).map_err(|e| Error { message: e.message })
    }

    /// Runs the generated program on `db` (the program's facts plus inserted ones).
    pub fn evaluate<'p>(
        &self,
        program: &'p Program,
        db: Database,
        opts: &EvalOptions,
    ) -> Result<Evaluation<'p>, Error> {
        // `evaluate_native` checks that the code matches the program.
        evaluate_native(program, db, opts, self.code).map_err(|e| Error { message: e.message })
    }

    /// [`Generated::evaluate`] under the bounds and interrupt of `guard`; the engine's error,
    /// which names the rule and relation that grew when a bound is reached.
    pub fn evaluate_with<'p>(
        &self,
        program: &'p Program,
        db: Database,
        opts: &EvalOptions,
        guard: Guard,
    ) -> Result<Evaluation<'p>, EvalError> {
        evaluate_native_with(program, db, opts, self.code, guard)
    }
}
