//! The code writer of the compiled evaluator ([`native`]: the interpreter's plans as Rust that
//! calls the runtime half, `sphere_engine::eval::native`), and what sphere generates with it
//! and commits: the compiled knowledge base (`crates/kb-compiled/src/kb.rs`), and for tests and
//! benchmarks only the evaluator's own test program and the tc-anchor benchmark program
//! (`crates/kb-compiled/tests/programs/`, not linked into the shipped binary).
//!
//! The code is committed, not built by a `build.rs`, so that a clean checkout builds without
//! running the planner and a change to generated code shows in review; `tests/generated.rs`
//! fails when any of it is stale and rewrites it with `UPDATE_GENERATED=1` (see
//! `docs/architecture.md`, "Compiled evaluator"). This crate does not depend on the generated
//! code, so a stale or broken generated file never stops its own regeneration.
//!
//! Invariant: generation is deterministic: the same `knowledge/` gives the same bytes (the
//! join order comes from a seeded sample model, never from hashing or timing).

use std::path::Path;

use sphere_engine::eval::{evaluate, Database, EvalOptions};
use sphere_engine::ir::order::{Estimates, Stats, Uniform};
use sphere_engine::ir::Program;
use sphere_engine::{compile, CompileOptions, SourceMap, Value};

pub mod native;

/// One generated file: its path relative to the repository and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub path: String,
    pub text: String,
}

/// The directory walk `sphere` uses for its knowledge base (one implementation).
#[path = "../../../src/files.rs"]
mod files;

pub mod crepe;

/// The knowledge base under `root/knowledge` as `sphere check` compiles the shipped one:
/// files sorted by path, named `knowledge/<path>`.
pub fn kb_sources(root: &Path) -> Result<SourceMap, String> {
    let dir = root.join("knowledge");
    let files = files::files_below(&dir, &files::is_dl)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    if files.is_empty() {
        return Err(format!("no .dl files under {}", dir.display()));
    }
    let mut sources = SourceMap::new();
    for f in files {
        let rel = f
            .strip_prefix(&dir)
            .map_err(|_| format!("{} is not below knowledge/", f.display()))?
            .to_string_lossy()
            .replace('\\', "/");
        let text =
            std::fs::read_to_string(&f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        sources.add(format!("knowledge/{rel}"), text);
    }
    Ok(sources)
}

/// Compiles `sources`; every error diagnostic as text when they do not compile.
pub fn program_of(sources: &SourceMap, what: &str) -> Result<Program, String> {
    let compiled = compile(sources, &CompileOptions::default());
    let errors: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    match compiled.program {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(format!("{what} does not compile: {errors:#?}")),
    }
}

/// Relation statistics of the knowledge base on a generated model (`sphere gen --subjects 500
/// --activities 5000 --seed 42`), from which the compiled program's join order is planned.
/// Deterministic: the generator is seeded and the interpreter's results do not depend on
/// hashing.
pub fn sample_stats(program: &Program) -> Result<Stats, String> {
    let cfg = sphere_model::gen::GenConfig::new(500, 5000, 42);
    let mut text = Vec::new();
    sphere_model::gen::write_model(&cfg, &mut text)
        .map_err(|e| format!("the generator failed: {e}"))?;
    let text = String::from_utf8(text).map_err(|_| "the generator wrote invalid UTF-8")?;
    let model = sphere_model::load_texts(&[("sample.json", &text)], cfg.as_of)
        .map_err(|e| format!("the generated sample model is invalid: {e:?}"))?;
    let facts = sphere_model::extract::extract(&model);
    let mut db = Database::new(program);
    for (name, rows) in facts.relations() {
        let rel = program
            .relation_by_name(name)
            .ok_or_else(|| format!("knowledge/ declares no input relation `{name}`"))?;
        for (values, _) in rows.iter() {
            let values: Vec<Value> = values.iter().map(|v| v.value(|s| db.intern(s))).collect();
            db.insert(rel, &values);
        }
    }
    Ok(evaluate(program, db, &EvalOptions::default())
        .map_err(|e| format!("the knowledge base does not evaluate: {e}"))?
        .stats())
}

fn generate(
    program: &Program,
    est: &mut dyn Estimates,
    source: &str,
    path: &str,
) -> Result<File, String> {
    let text = native::generate(program, est, source).map_err(|e| format!("{source}: {e}"))?;
    Ok(File {
        path: path.to_string(),
        text,
    })
}

/// Where the table of input relations goes ([`input_relations_file`]).
pub const INPUT_RELATIONS_PATH: &str = "crates/model/src/input_relations.rs";

/// The table of the input relations that `knowledge/model.dl` declares, as Rust for the model
/// crate (which does not depend on the engine): read by the engine's own front end, each
/// relation marked `.input` in declaration order with its columns (name and type) and its
/// `///` comment (lines joined by a space).
pub fn input_relations_file(root: &Path) -> Result<File, String> {
    let source = "knowledge/model.dl";
    let text = std::fs::read_to_string(root.join(source))
        .map_err(|e| format!("cannot read {source}: {e}"))?;
    let mut sources = SourceMap::new();
    sources.add(source.to_string(), text);
    let program = program_of(&sources, source)?;
    let mut out = String::from(
        "// @generated by sphere-codegen from knowledge/model.dl (read by the engine's front end);\n\
         // do not edit: `UPDATE_GENERATED=1 cargo test -p sphere-codegen` rewrites it, and a test\n\
         // there fails when it and model.dl differ.\n\n\
         use sphere_rt::value::Type;\n\n\
         /// An input relation: its name, its columns (name and type) and its `///` comment.\n\
         pub(crate) type Decl = (&'static str, &'static [(&'static str, Type)], &'static str);\n\n\
         /// The input relations of `knowledge/model.dl`, in declaration order.\n\
         #[rustfmt::skip]\n\
         pub(crate) const INPUT_RELATIONS: &[Decl] = &[\n",
    );
    for rel in program.relations.iter().filter(|r| r.input && !r.generated) {
        let doc = rel
            .doc
            .as_deref()
            .unwrap_or("")
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        let columns: Vec<String> = rel
            .columns
            .iter()
            .map(|c| {
                let ty = match c.ty {
                    sphere_engine::Type::Symbol => "Symbol",
                    sphere_engine::Type::Number => "Number",
                    sphere_engine::Type::Date => "Date",
                };
                format!("({:?}, Type::{ty})", c.name)
            })
            .collect();
        out.push_str(&format!(
            "    ({:?}, &[{}], {:?}),\n",
            rel.name,
            columns.join(", "),
            doc
        ));
    }
    out.push_str("];\n");
    Ok(File {
        path: INPUT_RELATIONS_PATH.to_string(),
        text: out,
    })
}

/// Every generated file, from the repository at `root`. The tc-anchor program is read from
/// `../shared/bench/tc-anchor/tc.dl` beside the repository when it is there (a clone without
/// it builds and skips that file).
pub fn generated_files(root: &Path) -> Result<Vec<File>, String> {
    let mut out = Vec::new();
    let kb = program_of(&kb_sources(root)?, "knowledge/")?;
    let mut stats = sample_stats(&kb)?;
    out.push(generate(
        &kb,
        &mut stats,
        "knowledge/",
        "crates/kb-compiled/src/kb.rs",
    )?);
    let features = "crates/codegen/programs/features.dl";
    let text = std::fs::read_to_string(root.join(features))
        .map_err(|e| format!("cannot read {features}: {e}"))?;
    let mut sources = SourceMap::new();
    sources.add(features.to_string(), text);
    let program = program_of(&sources, features)?;
    out.push(generate(
        &program,
        &mut Uniform,
        features,
        "crates/kb-compiled/tests/programs/features.rs",
    )?);
    out.push(input_relations_file(root)?);
    if let Ok(text) = std::fs::read_to_string(root.join("../shared/bench/tc-anchor/tc.dl")) {
        let mut sources = SourceMap::new();
        sources.add("tc.dl".to_string(), text);
        let source = "tc-anchor/tc.dl";
        let program = program_of(&sources, source)?;
        out.push(generate(
            &program,
            &mut Uniform,
            source,
            "crates/kb-compiled/tests/programs/tc.rs",
        )?);
    }
    Ok(out)
}
