//! The committed generated code is what the compiled evaluator's generator makes of
//! `knowledge/`, of its test program and (when `../shared` is present) of the tc-anchor
//! program: `UPDATE_GENERATED=1 cargo test -p sphere-codegen` rewrites every file.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn generated_code_is_up_to_date() {
    let files = sphere_codegen::generated_files(&root()).unwrap_or_else(|e| panic!("{e}"));
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for f in &files {
        let full = root().join(&f.path);
        let current = std::fs::read_to_string(&full).unwrap_or_default();
        if current == f.text {
            continue;
        }
        if update {
            // Atomically: a half-written file would break the build.
            let tmp = full.with_extension("tmp");
            std::fs::write(&tmp, &f.text).expect("generated file is writable");
            std::fs::rename(&tmp, &full).expect("generated file is replaceable");
        } else {
            stale.push(format!("{} is stale", f.path));
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nhint: run `UPDATE_GENERATED=1 cargo test -p sphere-codegen`",
        stale.join("\n")
    );
}

#[test]
fn generation_is_deterministic() {
    let a = sphere_codegen::generated_files(&root()).unwrap_or_else(|e| panic!("{e}"));
    let b = sphere_codegen::generated_files(&root()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, b);
    assert!(a.len() >= 2, "the knowledge base and the test program");
}

#[test]
fn a_changed_rule_makes_the_knowledge_base_stale() {
    // The digest the runtime checks covers the rules, not only the relations.
    let dir = root();
    let sources = sphere_codegen::kb_sources(&dir).expect("knowledge/ is readable");
    let program = sphere_codegen::program_of(&sources, "knowledge/").expect("compiles");
    let mut changed = sphere_engine::SourceMap::new();
    for (i, (_, file)) in sources.files().enumerate() {
        let text = if i == 0 {
            format!(
                "{}\n.decl codegen_probe(x: symbol)\ncodegen_probe(\"x\").\n",
                file.text
            )
        } else {
            file.text.clone()
        };
        changed.add(file.name.clone(), text);
    }
    let other = sphere_codegen::program_of(&changed, "knowledge/").expect("compiles");
    assert_ne!(
        sphere_engine::eval::native::program_digest(&program),
        sphere_engine::eval::native::program_digest(&other)
    );
}

#[test]
fn a_changed_model_dl_makes_the_input_relations_table_stale() {
    // The table the model crate extracts into follows model.dl as the engine reads it: a
    // relation declared there (its `///` comment on two lines) is in the table, in order.
    let dir = std::env::temp_dir().join(format!("sphere-codegen-model-dl-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("knowledge")).expect("a temporary folder");
    let text = std::fs::read_to_string(root().join("knowledge/model.dl")).expect("model.dl");
    let before = sphere_codegen::input_relations_file(&root()).expect("generates");
    std::fs::write(
        dir.join("knowledge/model.dl"),
        format!("{text}\n/// A probe:\n/// two lines.\n.decl codegen_probe(x: symbol, n: number)\n.input codegen_probe\n"),
    )
    .expect("writable");
    let after = sphere_codegen::input_relations_file(&dir).expect("generates");
    std::fs::remove_dir_all(&dir).expect("removable");
    assert_eq!(before.path, "crates/model/src/input_relations.rs");
    assert_eq!(
        after.text,
        before.text.replace(
            "];\n",
            "    (\"codegen_probe\", &[(\"x\", Type::Symbol), (\"n\", Type::Number)], \"A probe: two lines.\"),\n];\n"
        )
    );
}
