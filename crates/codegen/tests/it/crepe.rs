//! `crates/kb-crepe` is what `sphere kb export --crepe` writes for the shipped knowledge base
//! (sphere's optional `crepe` feature links it): `UPDATE_GENERATED=1 cargo test -p
//! sphere-codegen` rewrites it. Only text is compared here; building the crate and holding its
//! findings to sphere's is `tests/export/check_crepe.py` (run by `.ci/run`).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const DIR: &str = "crates/kb-crepe";

#[test]
fn committed_crepe_crate_is_up_to_date() {
    let files = sphere_codegen::crepe::kb_crate(&root()).unwrap_or_else(|e| panic!("{e}"));
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    let dir = root().join(DIR);
    let mut stale = Vec::new();
    for f in &files {
        let full = dir.join(&f.path);
        if std::fs::read_to_string(&full).ok().as_deref() == Some(f.text.as_str()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(full.parent().expect("a file has a directory"))
                .expect("the crate's directory is writable");
            let tmp = full.with_extension("tmp");
            std::fs::write(&tmp, &f.text).expect("generated file is writable");
            std::fs::rename(&tmp, &full).expect("generated file is replaceable");
        } else {
            stale.push(format!("{DIR}/{} is stale", f.path));
        }
    }
    // A source file the exporter no longer writes (a block that went away) is stale too.
    let written: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    if let Ok(entries) = std::fs::read_dir(dir.join("src")) {
        for e in entries.flatten() {
            let path = format!("src/{}", e.file_name().to_string_lossy());
            if path.ends_with(".rs") && !written.contains(&path) {
                if update {
                    std::fs::remove_file(e.path()).expect("an old block can be removed");
                } else {
                    stale.push(format!("{DIR}/{path} is no longer generated"));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nhint: run `UPDATE_GENERATED=1 cargo test -p sphere-codegen`",
        stale.join("\n")
    );
}

#[test]
fn crepe_crate_is_deterministic_and_readable() {
    let a = sphere_codegen::crepe::kb_crate(&root()).unwrap_or_else(|e| panic!("{e}"));
    let b = sphere_codegen::crepe::kb_crate(&root()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, b);
    let manifest = a
        .iter()
        .find(|f| f.path == "Cargo.toml")
        .expect("a manifest");
    let deps = manifest
        .text
        .split("[dependencies]")
        .nth(1)
        .expect("a [dependencies] table");
    let deps: Vec<&str> = deps
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('['))
        .collect();
    assert_eq!(
        deps,
        ["crepe = { version = \"0.2.0\", optional = true }"],
        "crepe is the only dependency"
    );
    // sphere's copy leaves the rules (and crepe) off, so its workspace builds without them.
    assert!(
        manifest
            .text
            .contains("default = []\nrules = [\"dep:crepe\"]")
            || manifest.text.contains("default = []\n# The rules")
    );
    // One block per law area where the dependencies allow; every annotated rule is written
    // with its id and its norms.
    let blocks: Vec<&sphere_codegen::File> =
        a.iter().filter(|f| f.path.starts_with("src/b")).collect();
    assert!(blocks.len() >= 6, "{} blocks", blocks.len());
    for area in [
        "gdpr",
        "uwg",
        "bdsg",
        "telemedia",
        "copyright",
        "guidelines",
        "findings",
    ] {
        assert!(
            blocks.iter().any(|b| b.path.contains(area)),
            "no block for {area}"
        );
    }
    let all: String = blocks.iter().map(|b| b.text.as_str()).collect();
    assert!(
        all.contains("// uwg_email_without_consent: Section 7(2) no. 2 UWG"),
        "{}",
        &all[..2000]
    );
    assert_eq!(all.matches("crepe! {").count(), blocks.len());
}
