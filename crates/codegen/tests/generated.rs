//! The committed generated code in `crates/kb-compiled` is what `sphere-codegen` makes of `knowledge/` (and of the
//! tc-anchor program, when `../shared` is present): `UPDATE_GENERATED=1 cargo test -p
//! sphere-codegen` rewrites it.

use std::path::{Path, PathBuf};

use sphere_engine::{compile, CompileOptions, SourceMap};

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

fn check_generated(sources: &SourceMap, source: &str, file: &str, provenance: bool) {
    let compiled = compile(sources, &CompileOptions::default());
    let errors: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    assert!(errors.is_empty(), "{source} does not compile: {errors:#?}");
    let program = compiled.program.expect("a program without errors");
    let code = sphere_codegen::generate(
        &program,
        &sphere_codegen::Options {
            source: source.to_string(),
            provenance,
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
    check_generated(&kb_sources(), "knowledge/", "kb.rs", true);
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
    check_generated(&sources, "tc-anchor/tc.dl", "tc.rs", false);
    check_generated(&sources, "tc-anchor/tc.dl", "tc_prov.rs", true);
}
