//! The committed generated code in `crates/kb-compiled` is what `sphere-codegen` makes of `knowledge/` (and of the
//! tc-anchor program, when `../shared` is present): `UPDATE_GENERATED=1 cargo test -p
//! sphere-codegen` rewrites it.

use std::path::{Path, PathBuf};

use sphere_engine::eval::{evaluate, Database, EvalOptions};
use sphere_engine::ir::order::Stats;
use sphere_engine::ir::Program;
use sphere_engine::{compile, CompileOptions, SourceMap, Value};
use sphere_model::extract::FactValue;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "dl") {
            out.push(p);
        }
    }
}

/// The knowledge base as `sphere check` compiles the shipped one: files sorted by path.
fn kb_sources() -> SourceMap {
    let dir = root().join("knowledge");
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    let mut sources = SourceMap::new();
    for f in files {
        let rel = f
            .strip_prefix(&dir)
            .expect("below knowledge/")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&f).expect("knowledge file is readable");
        sources.add(format!("knowledge/{rel}"), text);
    }
    sources
}

/// Relation statistics of the knowledge base on a generated model (`sphere gen --subjects 500
/// --activities 5000 --seed 42`): the compiled program's join order is planned from them.
/// Deterministic: the generator is seeded and the interpreter's results do not depend on
/// hashing.
fn sample_stats(program: &Program) -> Stats {
    let cfg = sphere_model::gen::GenConfig::new(500, 5000, 42);
    let mut text = Vec::new();
    sphere_model::gen::write_model(&cfg, &mut text).expect("the generator writes to memory");
    let text = String::from_utf8(text).expect("the generator writes UTF-8");
    let model = sphere_model::load_texts(&[("sample.json", &text)], cfg.as_of)
        .unwrap_or_else(|e| panic!("the generated sample model is invalid: {e:?}"));
    let facts = sphere_model::extract::extract(&model);
    let mut db = Database::new(program);
    for (name, rows) in &facts.relations {
        let rel = program
            .relation_by_name(name)
            .unwrap_or_else(|| panic!("knowledge/ declares no input relation `{name}`"));
        for (values, _) in rows {
            let values: Vec<Value> = values
                .iter()
                .map(|v| match v {
                    FactValue::Sym(s) => Value::Sym(db.intern(s)),
                    FactValue::Num(n) => Value::Num(*n),
                    FactValue::Date(d) => Value::Date(*d),
                })
                .collect();
            db.insert(rel, &values);
        }
    }
    evaluate(program, db, &EvalOptions::default())
        .expect("the knowledge base evaluates")
        .stats()
}

fn check_generated(sources: &SourceMap, source: &str, file: &str, provenance: bool, sample: bool) {
    let compiled = compile(sources, &CompileOptions::default());
    let errors: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    assert!(errors.is_empty(), "{source} does not compile: {errors:#?}");
    let program = compiled.program.expect("a program without errors");
    let stats = sample.then(|| sample_stats(&program));
    let code = sphere_codegen::generate(
        &program,
        &sphere_codegen::Options {
            source: source.to_string(),
            provenance,
            stats,
        },
    )
    .unwrap_or_else(|e| panic!("{source}: {e}"));
    let path = root().join("crates/kb-compiled/src").join(file);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != code {
        if std::env::var_os("UPDATE_GENERATED").is_some() {
            std::fs::write(&path, code).expect("generated file is writable");
        } else {
            panic!(
                "crates/kb-compiled/src/{file} is stale: {source} changed since it was generated\nhint: run `UPDATE_GENERATED=1 cargo test -p sphere-codegen`"
            );
        }
    }
}

#[test]
fn kb_is_up_to_date() {
    check_generated(&kb_sources(), "knowledge/", "kb.rs", true, true);
}

#[test]
fn tc_anchor_is_up_to_date() {
    // `shared/` sits beside the repository and is read at run time only: a clone without it
    // still builds and skips this check.
    let path = root().join("../shared/bench/tc-anchor/tc.dl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: tc-anchor program not found beside the repository");
        return;
    };
    let mut sources = SourceMap::new();
    sources.add("tc.dl".to_string(), text);
    check_generated(&sources, "tc-anchor/tc.dl", "tc.rs", false, false);
    check_generated(&sources, "tc-anchor/tc.dl", "tc_prov.rs", true, false);
}
