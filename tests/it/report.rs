//! `sphere report` through the binary: the three forms, the counts against `sphere check`,
//! bad input.

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

const WEEK: [&str; 5] = [
    "facts/demo_week.json",
    "--from",
    "2025-06-09",
    "--to",
    "2025-06-15",
];

fn report(format: &str, more: &[&str]) -> Output {
    let mut args = vec!["report"];
    args.extend(WEEK);
    args.extend(["--format", format]);
    args.extend(more);
    sphere(&args)
}

#[test]
fn the_demo_week_report_counts_what_check_finds() {
    let out = report("json", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(r["format"], "sphere-report/1");
    let check = sphere(&["check", "facts/demo_week.json", "--format", "json"]);
    let c: serde_json::Value = serde_json::from_slice(&check.stdout).expect("JSON");
    let found: Vec<&serde_json::Value> = c["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            let d = f["date"].as_str().unwrap_or("");
            ("2025-06-09"..="2025-06-15").contains(&d)
        })
        .collect();
    assert_eq!(r["findings"]["total"]["count"], found.len());
    let needs = found
        .iter()
        .filter(|f| matches!(f["decision"].as_str(), Some("block" | "breach")))
        .count();
    assert_eq!(r["findings"]["needs_action"]["count"], needs);
    // By law as `check` counts it.
    for (law, n) in c["summary"]["by_law"].as_object().expect("by law") {
        assert_eq!(&r["findings"]["by_law"][law]["count"], n, "{law}");
    }
    // Each number carries the ids behind it.
    let ids: Vec<&str> = found.iter().filter_map(|f| f["id"].as_str()).collect();
    let listed: Vec<&str> = r["findings"]["total"]["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(listed, sorted);
    assert_eq!(r["decisions"]["journal"], "none");
    let leaks: Vec<&str> = r["leaks"]
        .as_array()
        .expect("leaks")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert!(leaks.contains(&"flow-crm-monitoring") && leaks.contains(&"act-week-reuse-photo"));
}

#[test]
fn html_is_one_self_contained_file_and_markdown_has_every_section() {
    let html = text(&report("html", &[]).stdout);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for needle in [
        "<h1>",
        "<th scope=\"col\">",
        "@media print",
        "class=\"sphere-leaks\"",
        "<svg ",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    for external in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(external), "network access: {external}");
    }
    let de = text(&report("html", &["--lang", "de"]).stdout);
    assert!(de.contains("<html lang=\"de\">") && de.contains("Wochenbericht"));
    let md = text(&report("md", &[]).stdout);
    for section in [
        "## Activities",
        "## Findings",
        "### By law",
        "### By norm",
        "## Warning letters",
        "## Fines",
        "## Company guidelines",
        "## DPO decisions",
        "## Trend",
        "## Leaks",
    ] {
        assert!(md.contains(section), "{section} missing");
    }
    assert!(md.contains("No journal"));
    // Leaks are named in words, in English as in German, never by their JSON key.
    assert!(
        md.contains("- `flow-crm-monitoring`: leaves the EU/EEA (transfer basis on the date)\n"),
        "{md}"
    );
    let md_de = text(&report("md", &["--lang", "de"]).stdout);
    assert!(
        md_de.contains(
            "- `flow-crm-monitoring`: verlässt EU/EWR (Übermittlungsgrundlage am Tag vorhanden)"
        ),
        "{md_de}"
    );
    for md in [&md, &md_de] {
        for key in [
            "third_country_with_basis",
            "no_transfer_basis",
            "third_country_unjudged",
        ] {
            assert!(!md.contains(key), "the key {key} in:\n{md}");
        }
    }
}

#[test]
fn a_bad_period_or_a_missing_journal_exits_2_with_a_hint() {
    let out = sphere(&[
        "report",
        "facts/demo_week.json",
        "--from",
        "2025-06-15",
        "--to",
        "2025-06-09",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("before it starts") && err.contains("hint:"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let out = report("json", &["--journal", "tests/no-such-journal.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no-such-journal.db"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}
