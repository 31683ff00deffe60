//! `sphere check --engine crepe` (cargo feature `crepe`): the knowledge base as the crepe
//! programs of `crates/kb-crepe` gives the interpreter's findings, documents included.

use std::process::Command;

use serde_json::Value;

fn check(model: &str, engine: &str) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(["check", model, "--format", "json", "--engine", engine])
        .output()
        .expect("sphere runs");
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{model} --engine {engine}: {e}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), doc)
}

#[test]
fn crepe_engine_gives_the_interpreters_findings() {
    let mut models: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/facts"))
        .expect("facts/")
        .flatten()
        .map(|e| format!("facts/{}", e.file_name().to_string_lossy()))
        .filter(|p| p.ends_with(".json"))
        .collect();
    models.sort();
    assert!(models.len() > 20);
    let mut findings = 0;
    for m in &models {
        let (code_c, crepe) = check(m, "crepe");
        let (code_i, interp) = check(m, "interpreted");
        assert_eq!(code_c, code_i, "{m}");
        assert_eq!(crepe["engine"], "crepe");
        assert_eq!(crepe["findings"], interp["findings"], "{m}");
        assert_eq!(crepe["summary"], interp["summary"], "{m}");
        findings += crepe["findings"].as_array().map_or(0, Vec::len);
    }
    assert!(findings > 20, "the demo models have findings: {findings}");
}

#[test]
fn crepe_engine_runs_only_the_shipped_knowledge_base() {
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args([
            "check",
            "facts/s04_phone_call.json",
            "--engine",
            "crepe",
            "--assume",
            "consent_channel(\"cons-karl\", \"phone\")",
        ])
        .output()
        .expect("sphere runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--engine crepe") && err.contains("hint:"),
        "{err}"
    );
}
