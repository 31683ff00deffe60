//! The committed generated code is what `sphere-codegen` makes of `knowledge/` (the index
//! `crates/kb-compiled/src/kb.rs` and the part crates `crates/kb-parts/p<k>`) and of the
//! tc-anchor program, when `../shared` is present (`crates/kb-compiled/src/tc*.rs`):
//! `UPDATE_GENERATED=1 cargo test -p sphere-codegen` rewrites all of it.

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

/// The number of parts the knowledge base is generated as (see `docs/performance.md`,
/// "Build cost"). The part crates are `crates/kb-parts/p<k>`.
const KB_PARTS: usize = 6;

fn program_of(sources: &SourceMap, source: &str) -> Program {
    let compiled = compile(sources, &CompileOptions::default());
    let errors: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    assert!(errors.is_empty(), "{source} does not compile: {errors:#?}");
    compiled.program.expect("a program without errors")
}

/// Compares `path` (relative to the repository) with `code`; rewrites it with
/// `UPDATE_GENERATED`, else returns the staleness message.
fn check_file(path: &str, code: &str, source: &str) -> Option<String> {
    let full = root().join(path);
    let current = std::fs::read_to_string(&full).unwrap_or_default();
    if current == code {
        return None;
    }
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir).expect("directory is writable");
        }
        // Atomically: a half-written file would break the build of the part.
        let tmp = full.with_extension("tmp");
        std::fs::write(&tmp, code).expect("generated file is writable");
        std::fs::rename(&tmp, &full).expect("generated file is replaceable");
        None
    } else {
        Some(format!(
            "{path} is stale: {source} changed since it was generated"
        ))
    }
}

fn finish(stale: Vec<String>) {
    assert!(
        stale.is_empty(),
        "{}\nhint: run `UPDATE_GENERATED=1 cargo test -p sphere-codegen`",
        stale.join("\n")
    );
}

fn part_manifest(k: usize) -> String {
    format!(
        "# @generated by sphere-codegen: do not edit.\n[package]\nname = \"sphere-kb-p{k}\"\ndescription = \"Part {k} of sphere's compiled knowledge base (generated by sphere-codegen)\"\nedition.workspace = true\nversion.workspace = true\nlicense.workspace = true\nrust-version.workspace = true\npublish = false\n\n[dependencies]\nsphere-rt.workspace = true\ncrepe.workspace = true\nrustc-hash.workspace = true\n"
    )
}

fn part_lib(k: usize) -> String {
    format!(
        "//! @generated by sphere-codegen: part {k} of the compiled knowledge base. Do not edit.\n\n#[rustfmt::skip]\nmod part;\n\npub use part::run;\n"
    )
}

#[test]
fn kb_is_up_to_date() {
    let source = "knowledge/";
    let program = program_of(&kb_sources(), source);
    let stats = Some(sample_stats(&program));
    let split = sphere_codegen::generate_split(
        &program,
        &sphere_codegen::Options {
            source: source.to_string(),
            provenance: true,
            stats,
        },
        KB_PARTS,
        |k| format!("sphere_kb_p{k}"),
    )
    .unwrap_or_else(|e| panic!("{source}: {e}"));
    let mut stale = Vec::new();
    stale.extend(check_file(
        "crates/kb-compiled/src/kb.rs",
        &split.index,
        source,
    ));
    for (k, code) in split.parts.iter().enumerate() {
        let dir = format!("crates/kb-parts/p{k}");
        stale.extend(check_file(
            &format!("{dir}/Cargo.toml"),
            &part_manifest(k),
            source,
        ));
        stale.extend(check_file(
            &format!("{dir}/src/lib.rs"),
            &part_lib(k),
            source,
        ));
        stale.extend(check_file(&format!("{dir}/src/part.rs"), code, source));
    }
    // No part beyond the last (the workspace takes every directory under kb-parts).
    let extra = root().join(format!("crates/kb-parts/p{KB_PARTS}"));
    if extra.exists() {
        stale.push(format!(
            "crates/kb-parts/p{KB_PARTS} is left over from a split into more parts: delete it"
        ));
    }
    // The adapter depends on every part.
    let manifest = std::fs::read_to_string(root().join("crates/kb-compiled/Cargo.toml"))
        .expect("kb-compiled has a manifest");
    for k in 0..KB_PARTS {
        let line = format!("sphere-kb-p{k} = {{ path = \"../kb-parts/p{k}\" }}");
        if !manifest.lines().any(|l| l.trim() == line) {
            stale.push(format!(
                "crates/kb-compiled/Cargo.toml does not depend on part {k}: add `{line}`"
            ));
        }
    }
    finish(stale);
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
    let source = "tc-anchor/tc.dl";
    let program = program_of(&sources, source);
    let mut stale = Vec::new();
    for (file, provenance) in [("tc.rs", false), ("tc_prov.rs", true)] {
        let code = sphere_codegen::generate(
            &program,
            &sphere_codegen::Options {
                source: source.to_string(),
                provenance,
                stats: None,
            },
        )
        .unwrap_or_else(|e| panic!("{source}: {e}"));
        stale.extend(check_file(
            &format!("crates/kb-compiled/src/{file}"),
            &code,
            source,
        ));
    }
    finish(stale);
}
