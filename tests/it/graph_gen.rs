//! `sphere graph` and `sphere gen` through the binary: exit codes, streams, determinism.

use std::path::Path;
use std::process::{Command, Output};

fn sphere(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .expect("the sphere binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn graph_writes_dot_and_mermaid_on_stdout() {
    let dot = sphere(&["graph", "facts/s06_us_monitoring.json"]);
    assert_eq!(dot.status.code(), Some(0), "{}", text(&dot.stderr));
    assert!(text(&dot.stdout).starts_with("digraph dataflow {"));
    assert!(text(&dot.stdout).contains("\"sys-crm\" -> \"sys-social-monitoring\""));
    let mermaid = sphere(&[
        "graph",
        "facts/s06_us_monitoring.json",
        "--format",
        "mermaid",
    ]);
    assert_eq!(mermaid.status.code(), Some(0));
    assert!(text(&mermaid.stdout).starts_with("flowchart LR"));
}

#[test]
fn graph_merges_fragments() {
    let out = sphere(&[
        "graph",
        "tests/fixtures/merge/organization.json",
        "tests/fixtures/merge/vendors.json",
        "tests/fixtures/merge/activities.json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let whole = sphere(&["graph", "facts/s06_us_monitoring.json"]);
    assert_eq!(text(&out.stdout), text(&whole.stdout));
}

#[test]
fn graph_of_an_invalid_model_exits_2_naming_the_place() {
    let out = sphere(&[
        "graph",
        "tests/fixtures/merge/organization.json",
        "tests/fixtures/merge/conflict_duplicate_id.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("conflict_duplicate_id.json") && err.contains("$.systems[0]"),
        "{err}"
    );
}

#[test]
fn svg_without_graphviz_says_how_to_install_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["graph", "facts/s06_us_monitoring.json", "--format", "svg"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("PATH", "/nonexistent-sphere-test")
        .output()
        .expect("the sphere binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("apt-get install graphviz"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn gen_is_deterministic_and_its_output_loads() {
    let dir = std::env::temp_dir().join(format!("sphere-it-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("model.json");
    let file = file.to_str().expect("utf-8 temp path");
    let a = sphere(&[
        "gen",
        "--subjects",
        "30",
        "--activities",
        "300",
        "--seed",
        "5",
    ]);
    let b = sphere(&[
        "gen",
        "--subjects",
        "30",
        "--activities",
        "300",
        "--seed",
        "5",
        "-o",
        file,
    ]);
    let c = sphere(&[
        "gen",
        "--subjects",
        "30",
        "--activities",
        "300",
        "--seed",
        "6",
    ]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(b.status.code(), Some(0));
    assert!(b.stdout.is_empty(), "with -o nothing goes to stdout");
    assert_eq!(a.stdout, std::fs::read(file).expect("written"));
    assert_ne!(a.stdout, c.stdout);
    // The generated model passes validation: `graph` loads and validates it.
    let g = sphere(&["graph", file]);
    assert_eq!(g.status.code(), Some(0), "{}", text(&g.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_rejects_activities_without_people() {
    let out = sphere(&["gen", "--subjects", "0", "--activities", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--subjects"));
}
