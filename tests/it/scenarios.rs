//! The acceptance scenarios S1–S12 of `shared/spec/scenarios.md` on the demo models in
//! `facts/`: each scenario's findings (rule, about, subjects, norm versions, decision) as a
//! reviewed snapshot, the norms scenarios.md names asserted explicitly, the clean variants
//! free of the scenario's findings, the what-if of S12, and the facts round trip.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn sphere() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sphere"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env("NO_COLOR", "1");
    c
}

/// `sphere check ARGS --format json`: (exit code, document).
fn check(args: &[&str]) -> (i32, Value) {
    let out = sphere()
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("sphere runs");
    let code = out.status.code().expect("exit code");
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "json output for {args:?}: {e}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, doc)
}

fn findings(doc: &Value) -> &Vec<Value> {
    doc["findings"].as_array().expect("findings list")
}

/// One line per finding: decision, rule, about, subjects, norm versions.
fn summary(doc: &Value) -> String {
    findings(doc)
        .iter()
        .map(|f| {
            let about = f
                .get("activity")
                .or_else(|| f.get("object"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            let norms: Vec<String> = f["norms"]
                .as_array()
                .expect("norms")
                .iter()
                .map(|n| {
                    format!(
                        "{}@{}",
                        n["id"].as_str().unwrap_or(""),
                        n["version_from"].as_str().unwrap_or("")
                    )
                })
                .collect();
            let subjects: Vec<&str> = f["subjects"]
                .as_array()
                .expect("subjects")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            format!(
                "{} {} {} [{}] {} {}",
                f["decision"].as_str().unwrap_or(""),
                f["rule"].as_str().unwrap_or(""),
                about,
                subjects.join(","),
                f["date"].as_str().unwrap_or(""),
                norms.join(" ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether some finding about `about` cites a norm matching `norm` (prefix on unit
/// boundaries, as in the held-out checks: `gdpr:6` matches `gdpr:6.1.f`).
fn cites(doc: &Value, about: &str, norm: &str) -> bool {
    findings(doc).iter().any(|f| {
        f.get("activity")
            .or_else(|| f.get("object"))
            .and_then(Value::as_str)
            == Some(about)
            && f["norms"].as_array().expect("norms").iter().any(|n| {
                let id = n["id"].as_str().unwrap_or("");
                id == norm || id.starts_with(&format!("{norm}."))
            })
    })
}

fn about_ids(doc: &Value) -> Vec<String> {
    findings(doc)
        .iter()
        .filter_map(|f| {
            f.get("activity")
                .or_else(|| f.get("object"))
                .and_then(Value::as_str)
                .map(String::from)
        })
        .collect()
}

const SCENARIOS: &[&str] = &[
    "s01_forum_complaint",
    "s02_link_to_crm",
    "s03_forum_reply",
    "s04_phone_call",
    "s05_birthday_greeting",
    "s06_us_monitoring",
    "s07_own_forum",
    "s08_fan_page",
    "s09_review_reuse",
    "s10_newsletter_selection",
    "s11_guideline_social_dm",
    "s12_what_if_consent",
];

#[test]
fn every_scenario_matches_its_reviewed_snapshot() {
    for s in SCENARIOS.iter().copied().chain(["demo_week"]) {
        let (_, doc) = check(&[&format!("facts/{s}.json")]);
        insta::assert_snapshot!(format!("scenario_{s}"), summary(&doc));
    }
}

#[test]
fn scenarios_cite_the_norms_scenarios_md_names() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "s01_forum_complaint",
            "act-s1-collect",
            &["gdpr:14.3", "gdpr:21.4"],
        ),
        ("s04_phone_call", "act-s4-call", &["uwg:7.2.1"]),
        ("s05_birthday_greeting", "act-s5-greeting", &["uwg:7.2.2"]),
        (
            "s05_birthday_greeting",
            "act-s5-collect-birthday",
            &["gdpr:14"],
        ),
        ("s08_fan_page", "src-fanpage", &["gdpr:26"]),
        (
            "s09_review_reuse",
            "act-s9-reuse-review",
            &["urhg:31", "gdpr:6.1"],
        ),
        (
            "s10_newsletter_selection",
            "act-s10-select",
            &["gdpr:21.3", "gdpr:6.1", "gdpr:7.3", "uwg:7.2.2"],
        ),
        (
            "s06_us_monitoring",
            "act-s6-transfer-2022",
            &["gdpr:44", "gdpr:46"],
        ),
        (
            "s06_us_monitoring",
            "act-s6-clickmetrics-export",
            &["gdpr:28.3"],
        ),
        ("s02_link_to_crm", "act-s2-link", &["gdpr:6.4", "gdpr:6.1"]),
        ("s03_forum_reply", "act-s3-reply", &["uwg:5a.4"]),
        (
            "s03_forum_reply",
            "act-s3-reply-objektivtreff",
            &["terms:src-objektivtreff"],
        ),
        (
            "s11_guideline_social_dm",
            "act-s11-dm",
            &["guideline:gl-no-social-dm-marketing"],
        ),
    ];
    for (file, about, norms) in cases {
        let (code, doc) = check(&[&format!("facts/{file}.json")]);
        assert_eq!(code, 1, "{file}: findings that need action exit 1");
        for n in *norms {
            assert!(
                cites(&doc, about, n),
                "{file}: no finding on {about} cites {n}:\n{}",
                summary(&doc)
            );
        }
    }
}

#[test]
fn phone_rule_cites_the_number_in_force_on_the_act_date() {
    let (_, doc) = check(&["facts/s04_phone_call.json"]);
    let text = summary(&doc);
    // The same rule before and after the renumbering of 2022-05-28.
    assert!(
        text.contains("act-s4-call-2021 [subj-karl-kaufmann] 2021-09-14 uwg:7.2.2@2008-12-30"),
        "{text}"
    );
    assert!(
        text.contains("act-s4-call-2022 [subj-karl-kaufmann] 2022-05-30 uwg:7.2.1@2022-05-28"),
        "{text}"
    );
}

#[test]
fn cookie_and_impressum_law_follow_the_act_date() {
    let (_, doc) = check(&["facts/s07_own_forum.json"]);
    assert!(
        cites(&doc, "act-s7-track-2021", "tmg:15.3"),
        "{}",
        summary(&doc)
    );
    assert!(
        cites(&doc, "act-s7-track-2023", "ttdsg:25.1"),
        "{}",
        summary(&doc)
    );
    assert!(
        cites(&doc, "act-s7-track-2025", "tdddg:25.1"),
        "{}",
        summary(&doc)
    );
    assert!(cites(&doc, "src-optik-forum", "ddg:5"), "{}", summary(&doc));
    // The same forum judged on a date before the DDG: the TMG's Impressum rule.
    let (_, old) = check(&["facts/s07_own_forum.json", "--as-of", "2023-01-10"]);
    assert!(cites(&old, "src-optik-forum", "tmg:5"), "{}", summary(&old));
}

#[test]
fn planned_is_block_and_done_is_breach() {
    let (_, doc) = check(&["facts/s06_us_monitoring.json"]);
    for f in findings(&doc) {
        assert_eq!(f["decision"], "breach", "done transfers are breaches: {f}");
    }
    let (_, doc) = check(&["facts/s04_phone_call.json"]);
    let planned = findings(&doc)
        .iter()
        .find(|f| f["activity"] == "act-s4-call")
        .expect("planned call");
    assert_eq!(planned["decision"], "block");
}

#[test]
fn clean_variants_have_none_of_the_scenario_findings() {
    for s in SCENARIOS {
        let (_, dirty) = check(&[&format!("facts/{s}.json")]);
        let (code, clean) = check(&[&format!("facts/{s}_clean.json")]);
        let dirty_keys: Vec<(String, String)> = findings(&dirty)
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or("").to_string(),
                    f["decision"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert!(
            !dirty_keys.is_empty(),
            "{s}: the scenario must produce findings"
        );
        for f in findings(&clean) {
            // scenarios.md: an `info` note may remain on a clean variant, nothing else.
            assert_eq!(f["decision"], "info", "{s}_clean: unexpected finding {f}");
        }
        assert_eq!(code, 0, "{s}_clean exits 0");
    }
}

#[test]
fn what_if_consent_removes_the_finding_and_adds_nothing() {
    let (code, before) = check(&["facts/s12_what_if_consent.json"]);
    assert_eq!(code, 1);
    // The consent a call needs, as a fact assumed at the command line.
    let model: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s12_what_if_consent.json"),
        )
        .expect("model"),
    )
    .expect("json");
    let act = model["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .find(|a| a["channel"] == "phone" && a["status"] == "planned")
        .expect("a planned call");
    let act_id = act["id"].as_str().expect("id").to_string();
    assert!(
        about_ids(&before).contains(&act_id),
        "the call is blocked before: {}",
        summary(&before)
    );
    let subject = act["subjects"][0].as_str().expect("subject");
    let consent = format!(
        "consent(\"cns-assumed\", \"{subject}\", 2025-01-01, \"written\", \"org-optik-ag\")"
    );
    let assumptions = [
        consent,
        "consent_purpose(\"cns-assumed\", \"sales\")".to_string(),
        "consent_purpose(\"cns-assumed\", \"marketing\")".to_string(),
        "consent_channel(\"cns-assumed\", \"phone\")".to_string(),
        "consent_documented(\"cns-assumed\")".to_string(),
        "consent_informed(\"cns-assumed\")".to_string(),
    ];
    let mut args: Vec<String> = vec!["facts/s12_what_if_consent.json".into()];
    for a in &assumptions {
        args.push("--assume".into());
        args.push(a.clone());
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, after) = check(&argv);
    let before_set: std::collections::BTreeSet<String> = findings(&before)
        .iter()
        .map(|f| f["id"].as_str().unwrap_or("").to_string())
        .collect();
    let after_set: std::collections::BTreeSet<String> = findings(&after)
        .iter()
        .map(|f| f["id"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        after_set.is_subset(&before_set),
        "nothing new appears:\n{}",
        summary(&after)
    );
    assert!(
        !findings(&after).iter().any(|f| f["activity"] == act["id"]),
        "the call's finding disappears:\n{}",
        summary(&after)
    );
    assert_eq!(code, if after_set.is_empty() { 0 } else { 1 });
}

#[test]
fn facts_round_trip_gives_the_same_findings() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("roundtrip");
    for s in SCENARIOS.iter().copied().chain(["demo_week"]) {
        let out_dir = dir.join(s);
        let _ = std::fs::remove_dir_all(&out_dir);
        let st = sphere()
            .args(["facts", &format!("facts/{s}.json"), "-D"])
            .arg(&out_dir)
            .status()
            .expect("sphere facts runs");
        assert!(st.success(), "{s}: facts export");
        let (_, direct) = check(&[&format!("facts/{s}.json")]);
        let (_, via) = check(&["--facts", out_dir.to_str().expect("utf-8 path")]);
        assert_eq!(
            direct["findings"], via["findings"],
            "{s}: same findings, same ids"
        );
        assert_eq!(direct["kb_digest"], via["kb_digest"]);
    }
}

#[test]
fn german_output_cites_german_norms() {
    let out = sphere()
        .args(["check", "facts/s04_phone_call.json", "--lang", "de"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("§ 7 Abs. 2 Nr. 1 UWG"), "{text}");
    assert_eq!(out.status.code(), Some(1));
}
