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
fn svg_needs_no_graphviz() {
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["graph", "facts/s06_us_monitoring.json", "--format", "svg"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("PATH", "/nonexistent-sphere-test")
        .output()
        .expect("the sphere binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let svg = text(&out.stdout);
    assert!(
        svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
}

/// The findings of `sphere check --format json` on a model: (id, about id, decision).
fn findings(model: &str) -> Vec<(String, String, String)> {
    let out = sphere(&["check", model, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check writes JSON");
    doc["findings"]
        .as_array()
        .expect("a list of findings")
        .iter()
        .map(|f| {
            let about = f["activity"]
                .as_str()
                .or(f["object"].as_str())
                .unwrap_or("");
            (
                f["id"].as_str().unwrap_or("").to_string(),
                about.to_string(),
                f["decision"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The SVG element of a node or edge (its `<g ...>` start tag).
fn element<'a>(svg: &'a str, id: &str) -> &'a str {
    let at = svg
        .find(&format!("data-id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} is not on the picture"));
    let start = svg[..at].rfind("<g ").expect("an element starts");
    let end = at + svg[at..].find('>').expect("the tag ends");
    &svg[start..end]
}

#[test]
fn demo_week_picture_marks_what_findings_concern_and_draws_the_leaks() {
    let out = sphere(&["graph", "facts/demo_week.json", "--format", "svg"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let svg = text(&out.stdout);
    // The US transfer leaves the EU/EEA; the knowledge base finds a basis on its date (the
    // recipient's certification), so it is drawn as a leak out of the EU/EEA, not as
    // unlawful.
    let us = element(&svg, "flow-crm-monitoring");
    assert!(
        us.contains("data-leak=\"third_country_with_basis\""),
        "{us}"
    );
    // The photo reuse has no flow of its own: the activity is drawn from the fan page to the
    // website, as a leak of a breach, with every finding about it.
    let photo = element(&svg, "act-week-reuse-photo");
    assert!(
        photo.contains("data-leak=\"breach\"") && photo.contains("data-decision=\"breach\""),
        "{photo}"
    );
    let all = findings("facts/demo_week.json");
    for (id, about, decision) in &all {
        if about == "act-week-reuse-photo" {
            assert!(photo.contains(id.as_str()), "{id} missing on {photo}");
            assert_eq!(decision, "breach");
        }
        // The phone call was made from the CRM: the CRM carries its findings.
        if about == "act-week-call-karl" {
            assert!(element(&svg, "sys-crm").contains(id.as_str()));
        }
    }
    // The planned LinkedIn message is blocked, and its source says so in words too.
    let linkedin = element(&svg, "src-linkedin");
    assert!(linkedin.contains("data-decision=\"block\""), "{linkedin}");
    // Nothing concerns the helpdesk.
    assert!(!element(&svg, "sys-helpdesk").contains("data-decision"));
    assert!(svg.contains("BREACH") && svg.contains("Legend"));
}

#[test]
fn a_transfer_without_basis_is_an_unlawful_leak() {
    let out = sphere(&["graph", "facts/s06_us_monitoring.json", "--format", "svg"]);
    let svg = text(&out.stdout);
    let at = svg
        .find("data-leak=\"no_transfer_basis\"")
        .expect("an unlawful transfer is drawn");
    let tag = &svg[svg[..at].rfind("<g ").expect("its element")..at];
    // The leak carries the findings `check` reports on that transfer.
    let ids = findings("facts/s06_us_monitoring.json");
    assert!(
        ids.iter().any(|(id, _, _)| tag.contains(id.as_str())),
        "{tag}"
    );
    let clean = sphere(&[
        "graph",
        "facts/s06_us_monitoring_clean.json",
        "--format",
        "svg",
    ]);
    assert!(!text(&clean.stdout).contains("data-leak=\"no_transfer_basis\""));
}

#[test]
fn only_risky_draws_just_the_risky_part() {
    let all = text(&sphere(&["graph", "facts/demo_week.json"]).stdout);
    let risky = text(&sphere(&["graph", "facts/demo_week.json", "--only-risky"]).stdout);
    assert!(all.contains("\"sys-helpdesk\" ["));
    assert!(!risky.contains("\"sys-helpdesk\" ["), "{risky}");
    for kept in [
        "\"sys-crm\" [",
        "\"src-linkedin\" [",
        "\"sys-website\" [",
        "id=\"flow-crm-monitoring\"",
    ] {
        assert!(risky.contains(kept), "{kept} missing: {risky}");
    }
    let html = text(
        &sphere(&[
            "graph",
            "facts/demo_week.json",
            "--format",
            "html",
            "--lang",
            "de",
        ])
        .stdout,
    );
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<html lang=\"de\">"));
    assert!(html.contains("Legende") && html.contains("<th scope=\"col\">"));
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "no network access"
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

#[test]
fn dot_and_mermaid_have_a_legend_and_mermaid_names_findings_and_norms() {
    for (lang, legend, breach, leak) in [
        (
            "en",
            "Legend",
            "BREACH: a done activity broke the law",
            "LEAK: personal data",
        ),
        (
            "de",
            "Legende",
            "VERSTOSS (BREACH):",
            "LECK: personenbezogene Daten",
        ),
    ] {
        let draw = |format: &str| {
            let out = sphere(&[
                "graph",
                "facts/demo_week.json",
                "--format",
                format,
                "--lang",
                lang,
            ]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            text(&out.stdout)
        };
        let (dot, mermaid) = (draw("dot"), draw("mermaid"));
        assert!(dot.contains("subgraph cluster_legend {"), "{dot}");
        assert!(
            mermaid.contains(&format!("subgraph sphere_key[\"{legend}\"]")),
            "{mermaid}"
        );
        for out in [&dot, &mermaid] {
            for words in [legend, breach, leak] {
                assert!(
                    out.contains(words),
                    "{words} missing in the {lang} legend:\n{out}"
                );
            }
        }
    }
    // Mermaid shows no tooltips everywhere: a marked node's label names its findings and norms.
    let out = sphere(&["graph", "facts/demo_week.json", "--format", "mermaid"]);
    let mermaid = text(&out.stdout);
    let crm = mermaid
        .lines()
        .find(|l| l.trim_start().starts_with("n_sys_crm("))
        .expect("the CRM node");
    let mut on_crm = 0;
    for (id, about, _) in findings("facts/demo_week.json") {
        if about == "act-week-call-karl" {
            assert!(crm.contains(&id), "{id} missing on {crm}");
            on_crm += 1;
        }
    }
    assert!(on_crm > 0);
    assert!(
        crm.contains("[BREACH]") && crm.contains("norms ") && crm.contains("uwg:7.2.1"),
        "{crm}"
    );
}
