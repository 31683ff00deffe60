//! The demo company under `facts/` and the merge fixtures under `tests/fixtures/merge/`:
//! every demo file is a complete, valid model; fragments merge into the same model as the
//! file they were cut from; conflicting fragments are rejected.

use std::path::{Path, PathBuf};

use sphere_model::{load_paths, render, Date, Model};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn today() -> Date {
    Date::parse("2025-01-01").expect("a valid date")
}

/// Loads files given relative to the workspace root, naming them that way in messages.
fn load(files: &[&str]) -> Result<Model, String> {
    let paths: Vec<PathBuf> = files.iter().map(|f| root().join(f)).collect();
    load_paths(&paths, today()).map_err(|e| render(&e).replace(&root().display().to_string(), ""))
}

fn demo_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("facts"))
        .expect("facts/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .map(|n| format!("facts/{n}"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_demo_file_is_a_complete_valid_model() {
    let files = demo_files();
    // Twelve scenarios, each with its clean variant, the demo week and the model v2 demo.
    assert_eq!(files.len(), 26, "{files:?}");
    let mut problems = String::new();
    for f in &files {
        match load(&[f]) {
            Ok(m) => {
                assert_eq!(m.organization.id, "org-optik-ag", "{f}");
                assert_eq!(m.organization.persons_processing, 40, "{f}");
                assert!(!m.activities.is_empty(), "{f} has no activities");
            }
            Err(e) => problems.push_str(&format!("{f}:\n{e}\n")),
        }
    }
    assert!(problems.is_empty(), "{problems}");
}

#[test]
fn every_scenario_has_a_clean_variant() {
    let files = demo_files();
    for f in files
        .iter()
        .filter(|f| f.contains("/s") && !f.ends_with("_clean.json"))
    {
        let clean = f.replace(".json", "_clean.json");
        assert!(files.contains(&clean), "{f} has no {clean}");
    }
}

#[test]
fn fragments_merge_into_the_file_they_were_cut_from() {
    let merged = load(&[
        "tests/fixtures/merge/organization.json",
        "tests/fixtures/merge/vendors.json",
        "tests/fixtures/merge/activities.json",
    ])
    .expect("the fragments merge");
    let whole = load(&["facts/s06_us_monitoring.json"]).expect("the demo file loads");
    let ids = |m: &Model| {
        let mut v: Vec<String> = m
            .systems
            .iter()
            .map(|x| x.id.clone())
            .chain(m.parties.iter().map(|x| x.id.clone()))
            .chain(m.agreements.iter().map(|x| x.id.clone()))
            .chain(m.activities.iter().map(|x| x.id.clone()))
            .chain(m.subjects.iter().map(|x| x.id.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&merged), ids(&whole));
    assert_eq!(merged.as_of, whole.as_of);
}

#[test]
fn a_fragment_alone_is_not_a_model() {
    let e = load(&["tests/fixtures/merge/vendors.json"]).expect_err("no organization");
    assert!(e.contains("organization"), "{e}");
}

#[test]
fn merge_conflicts_are_errors_naming_the_files() {
    for (fragment, what) in [
        ("conflict_duplicate_id.json", "sys-crm"),
        ("conflict_as_of.json", "as_of"),
        ("conflict_second_organization.json", "organization"),
    ] {
        let path = format!("tests/fixtures/merge/{fragment}");
        let e = load(&["tests/fixtures/merge/organization.json", &path]).expect_err(fragment);
        assert!(e.contains(what), "{fragment}: {e}");
        assert!(e.contains(fragment), "{fragment} not named: {e}");
    }
}
