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
    // The same in German with `--lang de`.
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args([
            "check",
            "facts/s04_phone_call.json",
            "--engine",
            "crepe",
            "--kb",
            "knowledge",
            "--lang",
            "de",
        ])
        .output()
        .expect("sphere runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "Fehler: --engine crepe führt die mitgelieferte Wissensbasis so aus, wie sie ist"
        ) && err.contains(
            "Hinweis: --rules, --assume und --kb weglassen oder eine andere --engine wählen"
        ),
        "{err}"
    );
    let problems = crate::lang::english_in_errors(&err);
    assert!(problems.is_empty(), "{err}\n{}", problems.join("\n"));
}

/// The cross-check is not a formality: the crepe findings of one model held against the
/// evaluation of another are refused, naming the findings only one side has.
#[test]
fn cross_check_refuses_findings_of_another_model() {
    use sphere::{EvalOptions, KnowledgeBase, Model};
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |name: &str| {
        let path = format!("{root}/facts/{name}");
        let text = std::fs::read_to_string(&path).expect("demo model");
        Model::from_text(
            name,
            &text,
            sphere::Date::from_ymd(2026, 1, 1).expect("date"),
        )
        .expect("the demo model is valid")
    };
    let kb = KnowledgeBase::shipped().expect("the shipped knowledge base");
    let phone = read("s04_phone_call.json");
    let week = read("demo_week.json");
    let opts = EvalOptions::default();
    let on_phone = kb.evaluate(&phone, &opts).expect("evaluates");
    let same = sphere::crepe_engine::cross_check(&phone, &on_phone).expect("the same facts agree");
    assert_eq!(same, on_phone.findings().len());
    assert!(same > 0);
    let err = sphere::crepe_engine::cross_check(&week, &on_phone)
        .expect_err("another model's findings disagree");
    let text = err.to_string();
    assert!(text.contains("disagree"), "{text}");
    let on_week = kb.evaluate(&week, &opts).expect("evaluates");
    let ids = |o: &sphere::Outcome<'_>| -> std::collections::BTreeSet<String> {
        o.findings().iter().map(|f| f.id.clone()).collect()
    };
    let differ: Vec<String> = ids(&on_phone)
        .symmetric_difference(&ids(&on_week))
        .cloned()
        .collect();
    assert!(!differ.is_empty());
    for id in &differ {
        assert!(text.contains(id.as_str()), "the message names {id}: {text}");
    }
}
