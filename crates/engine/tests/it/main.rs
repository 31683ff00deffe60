//! The engine's integration tests, one binary: the language front end's fixtures, programs
//! evaluated end to end, the property tests against a naive evaluator, and the fuzz corpus.

mod eval_programs;
mod eval_props;
mod fuzz_corpus;
mod lang_fixtures;
