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

/// The export carries a `Cargo.lock` (sphere's copy is built with sphere's lock) that pins
/// crepe and each of its dependencies to the version and checksum of sphere's own lock, and
/// names every package it depends on. That cargo accepts it unchanged is checked where the
/// export is built: `tests/export/check_crepe.py` builds with `--locked`.
#[test]
fn export_lock_pins_the_versions_of_sphere_s_lock() {
    use sphere_codegen::crepe::{cargo_lock, parse_lock, KB_CRATE};
    let lock = cargo_lock(KB_CRATE).unwrap_or_else(|e| panic!("{e}"));
    let (version, packages) = parse_lock(&lock).expect("the export's lock parses");
    let sphere_text =
        std::fs::read_to_string(root().join("Cargo.lock")).expect("sphere's Cargo.lock");
    let (sphere_version, sphere) = parse_lock(&sphere_text).expect("sphere's lock parses");
    assert_eq!(version, sphere_version);
    let own = packages
        .iter()
        .find(|p| p.name == KB_CRATE)
        .expect("the crate itself is in its lock");
    assert_eq!(own.dependencies, ["crepe"]);
    assert!(packages
        .iter()
        .any(|p| p.name == "crepe" && p.version == sphere_codegen::crepe::CREPE_VERSION));
    for p in packages.iter().filter(|p| p.name != KB_CRATE) {
        assert!(
            sphere.iter().any(|q| q.name == p.name
                && q.version == p.version
                && q.source == p.source
                && q.checksum == p.checksum
                && p.checksum.is_some()),
            "{} {} is not in sphere's Cargo.lock as the export pins it",
            p.name,
            p.version
        );
        for d in &p.dependencies {
            let mut parts = d.split(' ');
            let (name, version) = (parts.next().unwrap(), parts.next());
            let found = packages
                .iter()
                .filter(|q| q.name == name && version.is_none_or(|v| q.version == v))
                .count();
            assert_eq!(
                found, 1,
                "{} depends on `{d}`: {found} packages match",
                p.name
            );
        }
    }
    // The whole closure: every package but the crate is reached from it.
    assert!(packages.len() >= 10, "{} packages", packages.len());
    // Only the export has the lock; sphere's copy is built with sphere's own lock.
    let committed = sphere_codegen::crepe::kb_crate(&root()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!committed.iter().any(|f| f.path == "Cargo.lock"));
}

/// Each README says what its manifest does with the feature `rules`: on by default in an
/// export, off in sphere's copy (which says how to turn it on).
#[test]
fn readmes_say_whether_the_rules_are_on() {
    let text = |files: &[sphere_codegen::File], path: &str| {
        files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no {path}"))
            .text
            .clone()
    };
    let export = sphere_codegen::crepe::kb_export(&root()).unwrap_or_else(|e| panic!("{e}"));
    assert!(text(&export, "Cargo.toml").contains("default = [\"rules\"]"));
    let readme = text(&export, "README.md");
    assert!(
        readme.contains("feature `rules`, on by default"),
        "{readme}"
    );
    assert!(
        readme.contains("cargo build --release --locked"),
        "{readme}"
    );
    assert!(export.iter().any(|f| f.path == "Cargo.lock"));

    let copy = sphere_codegen::crepe::kb_crate(&root()).unwrap_or_else(|e| panic!("{e}"));
    assert!(text(&copy, "Cargo.toml").contains("default = []"));
    let readme = text(&copy, "README.md");
    assert!(!readme.contains("`rules`, on by default"), "{readme}");
    assert!(readme.contains("leaves off"), "{readme}");
    assert!(readme.contains("--features rules"), "{readme}");
}
