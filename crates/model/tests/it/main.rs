//! Integration tests of the model crate, one binary: validation fixtures with snapshots,
//! merging, the demo company, fact extraction against `knowledge/model.dl`, the facts
//! directory, the generated schema, and the fuzz corpus.

mod demo_facts;
mod extraction;
mod facts_dir;
mod fuzz_corpus;
mod robustness;
mod schema;
mod validation;
mod versions;

use std::path::PathBuf;

use sphere_model::{Date, Model, ValidationError};

/// The repository root (fixtures live under `tests/fixtures/model/`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixture_text(rel: &str) -> String {
    let path = root().join("tests/fixtures/model").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// The day tests pretend it is, for models without `as_of`.
pub fn today() -> Date {
    Date::parse("2025-01-01").expect("a valid date")
}

/// Loads fixtures (paths relative to `tests/fixtures/model/`), named in messages by those
/// relative paths so snapshots hold no machine-specific paths.
pub fn load(rels: &[&str]) -> Result<Model, Vec<ValidationError>> {
    let texts: Vec<(String, String)> = rels
        .iter()
        .map(|r| (r.to_string(), fixture_text(r)))
        .collect();
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    sphere_model::load_texts(&refs, today())
}

/// The rendered problems of a model that must not validate.
pub fn check(rels: &[&str]) -> String {
    match load(rels) {
        Ok(_) => panic!("{rels:?} validated, but should not"),
        Err(errors) => sphere_model::render(&errors),
    }
}
