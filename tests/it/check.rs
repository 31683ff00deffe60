//! `sphere check` output formats and error handling, beyond the scenarios.

use std::process::Command;

use serde_json::Value;

fn sphere(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sphere"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("sphere runs")
}

#[test]
fn sarif_results_carry_the_finding_ids_and_model_places() {
    let json = sphere(&["check", "facts/s08_fan_page.json", "--format", "json"]);
    let sarif = sphere(&["check", "facts/s08_fan_page.json", "--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&json.stdout).expect("json");
    let log: Value = serde_json::from_slice(&sarif.stdout).expect("sarif is json");
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(results.len(), ids.len());
    for r in results {
        assert!(ids.contains(
            &r["partialFingerprints"]["sphereFindingId"]
                .as_str()
                .expect("id")
        ));
        assert_eq!(r["level"], "error", "block findings are errors");
        let loc = &r["locations"][0];
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "facts/s08_fan_page.json"
        );
        let path = loc["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .expect("path");
        assert!(
            path.starts_with("$.sources[") || path.starts_with("$.systems["),
            "{path}"
        );
    }
}

#[test]
fn json_output_is_deterministic_and_sorted() {
    let a = sphere(&[
        "check",
        "facts/demo_week.json",
        "--format",
        "json",
        "--tree",
    ]);
    let b = sphere(&[
        "check",
        "facts/demo_week.json",
        "--format",
        "json",
        "--tree",
    ]);
    assert_eq!(a.stdout, b.stdout, "same input, same bytes");
    let doc: Value = serde_json::from_slice(&a.stdout).expect("json");
    assert_eq!(doc["format"], "sphere-findings/1");
    let keys: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let about = f
                .get("activity")
                .or_else(|| f.get("object"))
                .and_then(Value::as_str)
                .unwrap_or("");
            (
                about.to_string(),
                f["rule"].as_str().unwrap_or("").to_string(),
                f["id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by (about, rule, id)");
    // Every finding's tree starts at the finding and ends in model facts with their origin.
    for f in doc["findings"].as_array().expect("findings") {
        let tree = &f["tree"];
        assert!(tree["fact"].as_str().expect("fact").starts_with("finding("));
        fn has_origin(t: &Value) -> bool {
            t["origin"]["file"]
                .as_str()
                .is_some_and(|s| s.starts_with("facts/"))
                || t["premises"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(has_origin))
        }
        assert!(has_origin(tree), "tree reaches the model: {tree}");
    }
    let counted: u64 = doc["summary"]["by_decision"]
        .as_object()
        .expect("counts")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(
        counted as usize,
        doc["findings"].as_array().expect("findings").len()
    );
}

#[test]
fn explain_shows_rule_norms_and_model_places() {
    let doc: Value = serde_json::from_slice(
        &sphere(&["check", "facts/s04_phone_call.json", "--format", "json"]).stdout,
    )
    .expect("json");
    let f = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["activity"] == "act-s4-call-2021" && f["rule"] == "uwg_phone_without_consent")
        .expect("2021 call");
    let id = f["id"].as_str().expect("id");
    let out = sphere(&["explain", "facts/s04_phone_call.json", id]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    // The old numbering on the act's date, and the evidence in the model.
    assert!(
        text.contains("rule uwg_phone_without_consent: Section 7(2) no. 2 UWG (old numbering)"),
        "{text}"
    );
    assert!(
        text.contains("[fact: facts/s04_phone_call.json $.activities["),
        "{text}"
    );
    assert!(text.contains("no ad_consent("), "{text}");
    let dot = sphere(&[
        "explain",
        "facts/s04_phone_call.json",
        id,
        "--format",
        "dot",
    ]);
    let dot = String::from_utf8_lossy(&dot.stdout);
    assert!(
        dot.starts_with("digraph derivation {") && dot.contains("->"),
        "{dot}"
    );
}

#[test]
fn suppressed_findings_are_explained_with_their_exception() {
    // S4's business contact with a presumed consent: the B2B exception suppresses the
    // phone finding, so `check` does not list it, while `explain` shows it with the exception.
    let out = sphere(&["check", "facts/s04_phone_call.json", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        !doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["activity"] == "act-s4-call-lindner"),
        "the presumed-consent call is not listed"
    );
    let out = sphere(&[
        "check",
        "facts/s04_phone_call.json",
        "--format",
        "json",
        "--show-suppressed",
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let s = doc["suppressed"]
        .as_array()
        .expect("suppressed list")
        .iter()
        .find(|f| f["activity"] == "act-s4-call-lindner")
        .expect("the presumed-consent call is suppressed, not absent");
    let exceptions: Vec<&str> = s["exceptions"]
        .as_array()
        .expect("exceptions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!exceptions.is_empty());
    let out = sphere(&[
        "explain",
        "facts/s04_phone_call.json",
        s["id"].as_str().expect("id"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("SUPPRESSED"), "{text}");
    assert!(
        text.contains(&format!("suppressed by exception {}", exceptions[0])),
        "{text}"
    );
}

#[test]
fn bad_input_exits_2_with_the_place() {
    let out = sphere(&["check", "facts/does-not-exist.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("facts/does-not-exist.json"));
    let out = sphere(&[
        "check",
        "facts/s04_phone_call.json",
        "--assume",
        "consent_channel(X, \"phone\")",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("argument 1 is not a constant"));
    let out = sphere(&[
        "check",
        "facts/s04_phone_call.json",
        "--as-of",
        "2025-13-01",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = sphere(&["explain", "facts/s04_phone_call.json", "F-0000000000000000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no finding `F-0000000000000000`"));
}

#[test]
fn rules_switch_the_compiled_engine_to_the_interpreter_and_say_so() {
    let extra = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("extra_rules_note.dl");
    std::fs::write(&extra, "// No rules: enough to ask for the interpreter.\n").expect("tmp");
    let extra = extra.to_str().expect("a UTF-8 path");
    let model = "facts/s08_fan_page.json";
    let with = sphere(&["check", model, "--format", "json", "--rules", extra]);
    let stderr = String::from_utf8_lossy(&with.stderr);
    assert!(
        stderr.contains("note: --rules runs the interpreter"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&with.stdout).expect("json");
    assert_eq!(doc["engine"], "interpreted");
    // The compiled engine is the default: no flag, no note.
    let without = sphere(&["check", model, "--format", "json"]);
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert!(!stderr.contains("interpreter"), "{stderr}");
    let doc2: Value = serde_json::from_slice(&without.stdout).expect("json");
    assert_eq!(doc2["engine"], "compiled");
    assert_eq!(doc["findings"], doc2["findings"]);
}

#[test]
fn stats_list_relation_sizes_and_the_costliest_rules() {
    for engine in ["interpreted", "compiled"] {
        let out = sphere(&[
            "check",
            "facts/s08_fan_page.json",
            "--engine",
            engine,
            "--stats",
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(1), "s08 has findings");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.lines().any(|l| l.ends_with(" s")
                && l.contains(" input facts loaded in ")
                && l.split(' ')
                    .next()
                    .is_some_and(|n| n.parse::<usize>().is_ok_and(|n| n > 0))),
            "the input facts, counted: {err}"
        );
        assert!(err.contains("evaluated in"), "{err}");
        assert!(err.contains("s rules, "), "evaluation phases: {err}");
        assert!(
            err.contains("model read and validated in "),
            "load time: {err}"
        );
        assert!(
            err.lines().any(|l| l.starts_with("database: ")
                && l.contains(" MB rows, ")
                && l.contains(" MB deduplication, ")
                && l.contains(" MB indexes, ")),
            "the database's memory by part: {err}"
        );
        if cfg!(target_os = "linux") {
            // Memory after loading and after evaluating, resident and peak, in kB.
            for phase in ["model", "evaluation"] {
                let line = err
                    .lines()
                    .find(|l| l.starts_with(&format!("memory after {phase}: resident ")))
                    .unwrap_or_else(|| panic!("no memory line for {phase}:\n{err}"));
                assert!(
                    line.ends_with(" kB") && line.contains(" kB, peak "),
                    "{line}"
                );
            }
        }
        // Relation sizes: the `finding` relation is listed with a positive count.
        let finding = err
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some("finding"))
            .unwrap_or_else(|| panic!("no size line for `finding`:\n{err}"));
        let n: usize = finding.split_whitespace().next().unwrap().parse().unwrap();
        assert!(n > 0);
        // Rule profile (both engines): at most 20 rules, each with time, tuples, rounds and
        // a rule id the knowledge base declares.
        let rules: Vec<&str> = err
            .lines()
            .skip_while(|l| !l.starts_with("rules by time"))
            .skip(1)
            .take_while(|l| l.split_whitespace().count() == 4)
            .collect();
        assert!(!rules.is_empty() && rules.len() <= 20, "{engine}: {err}");
        let times: Vec<f64> = rules
            .iter()
            .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] >= w[1]),
            "sorted by time: {err}"
        );
        // The findings on stdout are unaffected by --stats.
        let plain = sphere(&[
            "check",
            "facts/s08_fan_page.json",
            "--engine",
            engine,
            "--format",
            "json",
        ]);
        assert_eq!(out.stdout, plain.stdout);
    }
}
