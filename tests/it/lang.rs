//! `--lang de` leaves no English text: the catalogue has German for every English free text
//! (norm titles and summaries, authority titles, contested reasons), `sphere kb check` names a
//! missing translation with its place and a hint, a German text without its English is an
//! error, and the German output of `check`, `explain` (with `--norm-text`) and `remedies` on
//! every demo model contains no English sentence.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use sphere::kb::german;
use sphere::remedies::remedies;
use sphere::{render, Date, EvalOptions, KnowledgeBase, Lang, Model};

fn today() -> Date {
    Date::parse("2025-06-16").expect("a date")
}

fn model_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("facts/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// English words that German output never contains outside ids, citations and URLs.
const ENGLISH: &[&str] = &[
    "the",
    "is",
    "are",
    "of",
    "and",
    "with",
    "without",
    "not",
    "for",
    "from",
    "by",
    "on",
    "has",
    "have",
    "no",
    "any",
    "covers",
    "does",
    "before",
    "after",
    "which",
    "because",
    "this",
    "that",
    "finding",
    "findings",
    "need",
    "needs",
    "action",
    "as",
    "at",
    "or",
    "be",
    "been",
    "can",
    "cannot",
    "would",
    "should",
    "there",
    "none",
    "why",
    "rule",
    "rules",
    "holds",
    "absent",
    "gave",
    "given",
    "obtain",
    "remedy",
    "remedies",
    "cures",
    "until",
    "since",
    "later",
    "new",
    "appeared",
    "vanished",
    "act",
    "court",
    "chamber",
    "commission",
    "guidelines",
    "decision",
    "cjeu",
    "edpb",
    "working",
    "party",
    "definition",
    "lawfulness",
    "processing",
    "principle",
    "right",
    "breach",
    "block",
    "warn",
    "high",
    "medium",
    "low",
    "summary",
    "source",
    "cited",
    "declared",
    "force",
    "replaced",
    "leak",
    "public",
    "error",
    "hint",
    "did",
    "mean",
    "unknown",
    "lists",
    "model",
    "answers",
    "yes",
];

/// The English words of a German text, each with its line: words are what is left after
/// dropping the model's own texts in quotes and ids, citations and URLs (tokens with `-`,
/// `_`, `:`, `/`, `.`, `@`, `#`, `(`, digits: model and rule ids, dates, norm ids, Datalog
/// atoms).
pub(crate) fn english_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        // The model's own texts (a guideline's wording) are quoted in atoms: not sphere's.
        let mut unquoted = String::new();
        for (i, part) in line.split('"').enumerate() {
            if i % 2 == 0 {
                unquoted.push_str(part);
            }
        }
        for token in unquoted.split(|c: char| c.is_whitespace() || "[],;!?".contains(c)) {
            let token = token.trim_end_matches(')');
            if token.is_empty()
                || token
                    .chars()
                    .any(|c| c.is_ascii_digit() || "-_:/.@#'`{}=<>$(".contains(c))
            {
                continue;
            }
            let word = token.to_lowercase();
            if ENGLISH.contains(&word.as_str()) {
                out.push(format!("`{word}` in: {line}"));
            }
        }
    }
    out
}

#[test]
fn the_word_check_finds_english_and_passes_german() {
    assert!(!english_words("consent c1 covers channel email, not phone").is_empty());
    assert!(!english_words("10 findings, 10 need action (as of 2025-06-13)").is_empty());
    assert!(english_words(
        "Einwilligung c-karl-1 umfasst den Kanal email, nicht phone (uwg_email_without_consent, https://eur-lex.europa.eu/x)"
    )
    .is_empty());
}

#[test]
fn the_shipped_catalogue_has_german_for_every_english_text() {
    let kb = KnowledgeBase::shipped().expect("the shipped knowledge base compiles");
    let missing = german::missing(&kb);
    let text = sphere_engine::diag::render(&missing, kb.sources(), Default::default());
    assert!(missing.is_empty(), "texts without German:\n{text}");
    let legal = kb.catalogue();
    // Spot checks that the German is German and differs from the English where it must.
    for n in &legal.norms {
        let de = n.title_de.as_deref().expect("checked above");
        assert_ne!(
            de,
            n.title,
            "{}: the German title is the English one",
            n.key()
        );
        assert!(english_words(de).is_empty(), "{}: {de}", n.key());
        if let Some(s) = &n.summary_de {
            assert!(english_words(s).is_empty(), "{}: {s}", n.key());
        }
    }
    for m in &legal.rule_meta {
        if let Some(c) = &m.contested_de {
            assert!(english_words(c).is_empty(), "{}: {c}", m.id);
        }
    }
    for a in &legal.authorities {
        let cite = a.citation_de();
        assert!(english_words(&cite).is_empty(), "{}: {cite}", a.id);
    }
}

/// The visible text of an HTML or SVG page: tags dropped (each ends a line), the entities
/// sphere writes decoded, style and script blocks left out, and the model's own texts (`name`,
/// `text`, `reason` values of the model files) taken out: they are the company's words.
pub(crate) fn visible_text(page: &str, models: &[&Path]) -> String {
    let mut out = String::new();
    let mut rest = page;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push('\n');
        let after = &rest[i..];
        let skip_to = ["<style", "<script"]
            .iter()
            .find(|t| after.starts_with(**t))
            .map(|t| format!("</{}>", &t[1..]));
        rest = match skip_to {
            Some(end) => after.find(&end).map_or("", |j| &after[j + end.len()..]),
            None => after.find('>').map_or("", |j| &after[j + 1..]),
        };
    }
    out.push_str(rest);
    let mut out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let mut own = Vec::new();
    fn walk(v: &serde_json::Value, own: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match x {
                        serde_json::Value::String(s)
                            if ["name", "text", "reason"].contains(&k.as_str()) =>
                        {
                            own.push(s.clone())
                        }
                        _ => walk(x, own),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, own)),
            _ => {}
        }
    }
    for m in models {
        let text = std::fs::read_to_string(m).expect("the model");
        walk(&serde_json::from_str(&text).expect("json"), &mut own);
    }
    own.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in own {
        out = out.replace(&s, "");
    }
    out
}

fn sphere(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("sphere runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A copy of the shipped knowledge directory with `edit` applied to one file.
fn knowledge_copy(file: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let dir = tempfile::tempdir().expect("a temporary directory");
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("read_dir") {
            let e = e.expect("entry");
            let p = e.path();
            if p.is_dir() {
                copy(&p, &to.join(e.file_name()));
            } else {
                std::fs::copy(&p, to.join(e.file_name())).expect("copy");
            }
        }
    }
    copy(&src, dir.path());
    let path = dir.path().join(file);
    let text = std::fs::read_to_string(&path).expect("the file");
    std::fs::write(&path, edit(&text)).expect("write");
    dir
}

#[test]
fn kb_check_names_a_missing_translation_with_its_place_and_a_hint() {
    let dir = knowledge_copy("gdpr/norms.dl", |t| {
        t.replacen(
            "    title_de: \"Begriffsbestimmung: Verarbeitung\",\n",
            "",
            1,
        )
    });
    let kb = dir.path().to_str().expect("utf-8");
    let (code, _, err) = sphere(&["kb", "check", "--kb", kb]);
    assert_eq!(code, Some(0), "a missing translation is a warning: {err}");
    let text = std::fs::read_to_string(dir.path().join("gdpr/norms.dl")).expect("file");
    let line = text
        .lines()
        .position(|l| l.starts_with(".norm \"gdpr:4.2\""))
        .expect("the norm")
        + 1;
    assert!(
        err.contains(&format!("gdpr/norms.dl:{line}:")),
        "names file and line {line}: {err}"
    );
    assert!(
        err.contains("norm `gdpr:4.2@2018-05-25` has no German `title_de`"),
        "{err}"
    );
    assert!(err.contains("hint: add `title_de:"), "{err}");
    // One missing text, one warning.
    assert_eq!(err.matches("has no German").count(), 1, "{err}");
    // The same warning rendered in German has no English of sphere's own (the English text
    // it quotes is the catalogue's).
    let kb = KnowledgeBase::from_dir(dir.path()).expect("the copy compiles");
    let missing = german::missing(&kb);
    let de = sphere_engine::diag::render_in(&missing, kb.sources(), Default::default(), true);
    for expected in [
        "Warnung[bad_annotation]: die Norm `gdpr:4.2@2018-05-25` hat kein deutsches `title_de`",
        "`title` gibt es nur auf Englisch",
        "= Hinweis: `title_de: \"...\"` nach `title` ergänzen, auf Deutsch in eigenen Worten (Englisch: \"",
    ] {
        assert!(de.contains(expected), "no `{expected}` in:\n{de}");
    }
    let ours: String = de
        .lines()
        .map(|l| l.split("(Englisch:").next().unwrap_or(l))
        .filter(|l| !l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| format!("{l}\n"))
        .collect();
    let problems = english_in_errors(&ours);
    assert!(problems.is_empty(), "{de}\n{}", problems.join("\n"));
}

#[test]
fn a_german_text_without_its_english_is_an_error() {
    let dir = knowledge_copy("copyright/reuse.dl", |t| {
        let start = t.find("    contested: \"").expect("a contested reason");
        let end = start + t[start..].find('\n').expect("line end") + 1;
        format!("{}{}", &t[..start], &t[end..])
    });
    let kb = dir.path().to_str().expect("utf-8");
    let (code, _, err) = sphere(&["kb", "check", "--kb", kb]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("`contested_de` translates `contested`, which"),
        "{err}"
    );
    assert!(err.contains("copyright/reuse.dl:"), "{err}");
}

#[test]
fn german_check_explain_and_remedies_on_every_demo_model_have_no_english() {
    let kb = Arc::new(KnowledgeBase::shipped().expect("kb"));
    let mut problems = Vec::new();
    let mut explained = 0;
    for file in model_files() {
        let model = Model::from_files(&[&file], today()).expect("model");
        let outcome = kb
            .evaluate(&model, &EvalOptions::default())
            .expect("evaluates");
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let mut text = render::text::findings(&outcome, Lang::De, true);
        text.push_str(&render::markdown::findings(&outcome, Lang::De));
        for f in outcome.findings() {
            let e = outcome.explain(&f.id).expect("explains");
            text.push_str(&render::text::explanation(&e, Lang::De));
            text.push_str(&render::text::norm_text(f, Lang::De));
            // The DOT labels stand in quotes, which the word check leaves out: unquoted here,
            // the model's own texts inside them (escaped quotes) kept quoted.
            text.push_str(
                &render::dot::explanation(&e, Lang::De)
                    .replace("\\\"", "\u{1}")
                    .replace('"', " ")
                    .replace('\u{1}', "\""),
            );
            explained += 1;
        }
        // Remedies of the first finding of each model (every finding's remedies are verified
        // in `remedies.rs`; their words come from the same code).
        if let Some(f) = outcome.findings().first() {
            let r = remedies(Arc::clone(&kb), &model, &EvalOptions::default(), &f.id)
                .expect("remedies");
            text.push_str(&render::text::remedies(&r, Lang::De));
        }
        problems.extend(
            english_words(&text)
                .into_iter()
                .map(|w| format!("{name}: {w}")),
        );
    }
    assert!(explained > 20, "the demo models have findings: {explained}");
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} English words in German output, first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The REPL in German: its own answers (help, findings, why for an activity, what-if deltas,
/// as-of, queries, rules, norm) carry no English words, on the planned call of the demo company.
#[test]
fn the_repl_in_german_answers_without_english() {
    let kb = Arc::new(KnowledgeBase::shipped().expect("kb"));
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("facts/s12_what_if_consent.json");
    let mut repl =
        sphere::repl::Repl::new(kb, vec![file], today(), EvalOptions::default()).expect("repl");
    let mut text = String::new();
    for line in [
        "lang de",
        "help",
        "findings",
        "why act-s4-call",
        "assume activity_large_scale(\"act-s4-call\").",
        "retract activity_large_scale(\"act-s4-call\").",
        "as-of 2025-06-17",
        "reload",
        "rules uwg:7.2.1",
        "?- finding(R, A, S, D).",
        "?- activity_channel(\"act-s4-call\", \"phone\").",
        "?- activity_channel(\"act-s4-call\", \"email\").",
        "?- consent(\"nowhere\", S, D, F, O).",
        "norm uwg:7.2.1",
        "norm gdpr:6.1",
    ] {
        let answer = repl
            .run(line)
            .unwrap_or_else(|e| panic!("{line}: {}", e.render(false)));
        assert!(!answer.trim().is_empty(), "{line} answers");
        text.push_str(&answer);
    }
    assert!(text.contains("Befehle:"), "{text}");
    // The command names themselves are the commands' words, not English prose: the help
    // table is checked from its second column on.
    let names: Vec<&str> = sphere::repl::COMMANDS.iter().map(|c| c.0).collect();
    let text: String = text
        .lines()
        .map(|l| match l.strip_prefix("  ") {
            Some(rest) if names.iter().any(|n| rest.starts_with(n)) => rest.get(23..).unwrap_or(""),
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("mit Handlungsbedarf"), "{text}");
    assert!(text.contains("zitiert von:"), "{text}");
    assert!(text.contains("Modell: "), "{text}");
    assert!(
        text.contains("(2 Antworten)") && text.contains("\nja\n"),
        "{text}"
    );
    assert!(
        text.contains("Telefonwerbung ohne (mutmaßliche) Einwilligung"),
        "the German title: {text}"
    );
    let problems = english_words(&text);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The German command line beyond `check`: why-not in words, remedies, diff, the gate,
/// pending, approve and reject, and the errors a user meets (an unknown finding, rule or activity) carry no English words.
#[test]
fn german_why_not_remedies_diff_and_errors_have_no_english() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/demo_week.json");
    let demo = demo.to_str().expect("utf-8");
    let facts = |f: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("facts")
            .join(f)
            .to_string_lossy()
            .into_owned()
    };
    let (s12, s12_clean) = (
        facts("s12_what_if_consent.json"),
        facts("s12_what_if_consent_clean.json"),
    );
    let mut text = String::new();
    let mut run = |args: &[&str], ok: bool| {
        let (code, out, err) = sphere(args);
        assert_eq!(code, Some(if ok { 0 } else { 2 }), "{args:?}: {err}");
        assert!(
            !(out.trim().is_empty() && err.trim().is_empty()),
            "{args:?} says something"
        );
        text.push_str(&out);
        text.push_str(&err);
    };
    for (rule, about) in [
        ("uwg_phone_without_consent", "act-week-send-newsletter"),
        ("uwg_email_without_consent", "act-week-send-newsletter"),
        ("uwg_email_without_consent", "act-week-product-teaser"),
        ("gdpr_no_legal_basis", "act-week-monitor-mentions"),
        ("uwg_phone_without_consent", "act-week-call-karl"),
    ] {
        run(
            &["explain", demo, "--why-not", rule, about, "--lang", "de"],
            true,
        );
    }
    // Every finding of the demo week: remedies with their steps, cures and new findings.
    let (_, json, _) = sphere(&["check", demo, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    let ids: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_string())
        .collect();
    assert!(ids.len() >= 5, "{ids:?}");
    for id in &ids {
        run(&["remedies", demo, id, "--lang", "de"], true);
    }
    // A remedy applied as a to-do file, and one that does not exist.
    let out_dir = tempfile::tempdir().expect("a temporary directory");
    let changed = out_dir.path().join("changed.json");
    let changed = changed.to_str().expect("utf-8");
    run(
        &[
            "remedies", demo, &ids[0], "--apply", "1", "-o", changed, "--lang", "de",
        ],
        true,
    );
    run(
        &[
            "remedies", demo, &ids[0], "--apply", "99", "-o", changed, "--lang", "de",
        ],
        false,
    );
    run(
        &["diff", &s12_clean, "--model-old", &s12, "--lang", "de"],
        true,
    );
    run(
        &["diff", &s12, "--model-old", &s12_clean, "--lang", "de"],
        true,
    );
    run(
        &["diff", &s12, "--as-of-old", "2020-01-01", "--lang", "de"],
        true,
    );
    // A knowledge base whose phone rule only warned: the decision and severity changed.
    let old_kb = knowledge_copy("uwg/phone.dl", |t| {
        t.replacen(
            "    severity: high,\n    decision: block,",
            "    severity: medium,\n    decision: warn,",
            1,
        )
    });
    let old_kb = old_kb.path().to_str().expect("utf-8").to_string();
    run(&["diff", &s12, "--kb-old", &old_kb, "--lang", "de"], true);
    // The gate: blocked (exit 1) with its reasons, then allowed on the clean model.
    let journal = tempfile::tempdir().expect("a temporary directory");
    let journal = journal.path().join("journal.db");
    let journal = journal.to_str().expect("utf-8");
    let mut gated = String::new();
    for (model, code) in [(&s12, 1), (&s12_clean, 0)] {
        let (c, out, err) = sphere(&[
            "gate",
            model,
            "act-s4-call",
            "--journal",
            journal,
            "--lang",
            "de",
        ]);
        assert_eq!(c, Some(code), "{out}{err}");
        gated.push_str(&out);
    }
    // What waits for the DPO, a refused and an accepted decision, a rejection with an end date.
    for (args, code) in [
        (vec!["pending", &s12], 0),
        (
            vec![
                "approve",
                &s12,
                "F-dc0dcb7057fb09a2",
                "--by",
                "staff-jonas-weber",
                "--reason",
                "r",
            ],
            2,
        ),
        (
            vec![
                "reject",
                &s12,
                "F-dc0dcb7057fb09a2",
                "--by",
                "staff-markus-richter",
                "--reason",
                "r",
                "--until",
                "2099-01-01",
            ],
            2,
        ),
        (
            vec![
                "approve",
                &s12,
                "F-dc0dcb7057fb09a2",
                "--by",
                "staff-markus-richter",
                "--reason",
                "r",
            ],
            0,
        ),
    ] {
        let mut args = args;
        args.extend(["--journal", journal, "--lang", "de"]);
        let (c, out, err) = sphere(&args);
        assert_eq!(c, Some(code), "{args:?}: {out}{err}");
        gated.push_str(&out);
        gated.push_str(&err);
    }
    assert!(gated.contains("wartet"), "{gated}");
    assert!(gated.contains("freigegeben: F-dc0dcb7057fb09a2"), "{gated}");
    assert!(gated.contains("GESPERRT act-s4-call"), "{gated}");
    assert!(gated.contains("ERLAUBT act-s4-call"), "{gated}");
    // Errors the user meets.
    run(
        &["explain", demo, "F-0000000000000000", "--lang", "de"],
        false,
    );
    run(
        &["remedies", demo, "F-0000000000000000", "--lang", "de"],
        false,
    );
    run(
        &[
            "explain",
            demo,
            "--why-not",
            "uwg_phone",
            "act-week-call-karl",
            "--lang",
            "de",
        ],
        false,
    );
    run(
        &[
            "explain",
            demo,
            "--why-not",
            "uwg_phone_without_consent",
            "act-nowhere",
            "--lang",
            "de",
        ],
        false,
    );
    text.push_str(&gated);
    assert!(text.contains("behebt:"), "{text}");
    assert!(text.contains("entfallen"), "{text}");
    assert!(text.contains("Entscheidung: Warnung -> Sperre"), "{text}");
    assert!(
        text.contains("Fehler: kein Befund `F-0000000000000000`"),
        "{text}"
    );
    let problems = english_words(&text);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The same errors in English without `--lang de`.
    let (_, _, err) = sphere(&["explain", demo, "F-0000000000000000"]);
    assert!(
        err.starts_with("error: no finding `F-0000000000000000`"),
        "{err}"
    );
}

/// The REPL's errors come in the session's language: unknown command, finding, norm, a bad
/// date, a missing argument.
#[test]
fn the_repl_in_german_says_its_errors_in_german() {
    let kb = Arc::new(KnowledgeBase::shipped().expect("kb"));
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("facts/demo_week.json");
    let mut repl =
        sphere::repl::Repl::new(kb, vec![file], today(), EvalOptions::default()).expect("repl");
    repl.run("lang de").expect("lang de");
    let mut text = String::new();
    for line in [
        "why F-nope",
        "why act-nowhere",
        "remedies F-nope",
        "whynot uwg_phone act-week-call-karl",
        "whynot uwg_phone_without_consent act-nowhere",
        "norm gdpr:99",
        "norm gdpr:6@2018-13-01",
        "as-of 2025-13-01",
        "as-of",
        "findings now",
        "lang fr",
        "frobnicate",
    ] {
        let e = repl.run(line).expect_err(line);
        text.push_str(&e.render(false));
    }
    assert!(
        text.contains("Fehler: unbekannter Befehl `frobnicate`"),
        "{text}"
    );
    assert_eq!(text.matches("Fehler: ").count(), 12, "{text}");
    let problems = english_words(&text);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // `lang en` turns them back into English.
    repl.run("lang en").expect("lang en");
    let e = repl.run("why F-nope").expect_err("unknown");
    assert!(
        e.render(false).starts_with("error: no finding or activity"),
        "{}",
        e.render(false)
    );
}

/// The weekly report (Markdown and HTML, with a journal's decisions) and the picture of the
/// leaks (HTML with its SVG, Mermaid) in German: no English words outside the model's own texts,
/// ids and citations.
#[test]
fn the_german_report_and_graph_have_no_english() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let journal = dir.path().join("journal.db");
    let journal = journal.to_str().expect("utf-8");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let demo = manifest.join("facts/demo_week.json");
    let demo_s = demo.to_str().expect("utf-8");
    // A gate, an approval and a rejection in the journal: the report's DPO decisions.
    let (code, out, err) = sphere(&[
        "gate",
        demo_s,
        "act-week-linkedin-dm",
        "--journal",
        journal,
        "--as-of",
        "2025-06-13",
    ]);
    assert_eq!(code, Some(1), "{out}{err}");
    let mut problems = Vec::new();
    for (verb, id) in [
        ("approve", "F-ab95c271d3fbf1dd"),
        ("reject", "F-9de790153cc6ae06"),
    ] {
        let (code, out, err) = sphere(&[
            verb,
            demo_s,
            id,
            "--journal",
            journal,
            "--by",
            "staff-markus-richter",
            "--reason",
            "checked",
        ]);
        assert_eq!(code, Some(0), "{out}{err}");
    }
    let today = jiff::Timestamp::now().to_string()[..10].to_string();
    for file in [
        "demo_week.json",
        "s06_us_monitoring.json",
        "s08_fan_page.json",
        "demo_v2.json",
    ] {
        let model = manifest.join("facts").join(file);
        let m = model.to_str().expect("utf-8");
        let mut outputs = Vec::new();
        for format in ["md", "html"] {
            for (from, to) in [("2025-06-09", "2025-06-15"), ("2025-01-01", today.as_str())] {
                let (code, out, err) = sphere(&[
                    "report",
                    m,
                    "--from",
                    from,
                    "--to",
                    to,
                    "--format",
                    format,
                    "--lang",
                    "de",
                    "--journal",
                    journal,
                ]);
                assert_eq!(code, Some(0), "{file} {format}: {err}");
                outputs.push((format!("report {format} {from}"), out));
            }
        }
        for format in ["html", "mermaid", "svg"] {
            let (code, out, err) = sphere(&["graph", m, "--format", format, "--lang", "de"]);
            assert_eq!(code, Some(0), "{file} {format}: {err}");
            outputs.push((format!("graph {format}"), out));
        }
        for (what, out) in outputs {
            let mut text = visible_text(&out.replace("<br/>", "\n"), &[&model]);
            if what == "graph mermaid" {
                // Labels stand in quotes, and `class`/`classDef` lines are the syntax's styling.
                text = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("class"))
                    .collect::<Vec<_>>()
                    .join("\n")
                    .replace('"', " ");
            }
            problems.extend(
                english_words(&text)
                    .into_iter()
                    .map(|w| format!("{file} {what}: {w}")),
            );
            if what.starts_with("report") {
                assert!(out.contains("Befunde"), "{file} {what}: {out}");
            }
        }
    }
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What a block of the German guide shows, run again: `<!-- sphere ARGS -->` is the standard
/// output and standard error of `sphere ARGS` (run in the package directory, so that the
/// guide's paths are the ones a user types); `<!-- repl MODEL... -->` a REPL session, inputs
/// after `sphere> ` each followed by its answer (errors as a terminal shows them).
fn guide_block(marker: &str, body: &str) -> String {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Some(args) = marker.strip_prefix("sphere ") {
        let args: Vec<&str> = args.split_whitespace().collect();
        let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
            .current_dir(manifest)
            .env("NO_COLOR", "1")
            .args(&args)
            .output()
            .expect("sphere runs");
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{marker}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let models: Vec<PathBuf> = marker
        .strip_prefix("repl ")
        .unwrap_or_else(|| panic!("a marker `sphere ...` or `repl ...`, not `{marker}`"))
        .split_whitespace()
        .map(|m| manifest.join(m))
        .collect();
    let kb = Arc::new(KnowledgeBase::shipped().expect("kb"));
    let mut repl =
        sphere::repl::Repl::new(kb, models, today(), EvalOptions::default()).expect("loads");
    let mut fresh = String::new();
    for input in body.lines().filter_map(|l| l.strip_prefix("sphere> ")) {
        fresh.push_str(&format!("sphere> {input}\n"));
        match repl.run(input) {
            Ok(answer) => fresh.push_str(&answer),
            Err(e) => fresh.push_str(&e.render(false)),
        }
    }
    // Evidence names the model files as the guide gives them, not as paths of this machine.
    let root = format!("{}/", manifest.display());
    fresh.replace(&root, "")
}

/// `docs/dpo-guide.de.md`, the German walk-through linked from `docs/dpo-guide.md`: every
/// block of output is what sphere answers today (`UPDATE_GENERATED=1` rewrites them), and
/// none of it has English words.
#[test]
fn the_german_dpo_guide_is_what_sphere_answers_in_german() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let english = std::fs::read_to_string(manifest.join("docs/dpo-guide.md")).expect("guide");
    assert!(
        english.contains("(dpo-guide.de.md)"),
        "the English guide links to the German one"
    );
    let path = manifest.join("docs/dpo-guide.de.md");
    let text = std::fs::read_to_string(&path).expect("docs/dpo-guide.de.md");
    let mut fresh_text = String::new();
    let mut rest = text.as_str();
    let mut blocks = 0;
    let mut stale = Vec::new();
    let mut problems = Vec::new();
    while let Some(at) = rest.find("<!-- ") {
        let line_end = at + rest[at..].find('\n').expect("marker line");
        let marker = rest[at + 5..line_end].trim_end_matches("-->").trim();
        let open = line_end + 1;
        assert!(
            rest[open..].starts_with("```text\n"),
            "{marker}: a text block follows"
        );
        let body_start = open + "```text\n".len();
        let body_end = body_start + rest[body_start..].find("```\n").expect("closed block");
        let body = &rest[body_start..body_end];
        let fresh = guide_block(marker, body);
        if fresh != body {
            stale.push(marker.to_string());
        }
        let answers: String = fresh
            .lines()
            .filter(|l| !l.starts_with("sphere> "))
            .collect::<Vec<_>>()
            .join("\n");
        problems.extend(
            english_words(&answers)
                .into_iter()
                .map(|w| format!("{marker}: {w}")),
        );
        fresh_text.push_str(&rest[..body_start]);
        fresh_text.push_str(&fresh);
        rest = &rest[body_end..];
        blocks += 1;
    }
    fresh_text.push_str(rest);
    assert!(blocks >= 4, "the guide shows several outputs: {blocks}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    if !stale.is_empty() {
        if std::env::var_os("UPDATE_GENERATED").is_some() {
            std::fs::write(&path, fresh_text).expect("docs/dpo-guide.de.md is writable");
            return;
        }
        panic!(
            "blocks of docs/dpo-guide.de.md are stale ({}): run `UPDATE_GENERATED=1 cargo test --test it lang` and review the diff",
            stale.join(", ")
        );
    }
}

/// `sphere repl --lang de` on a script: answers and errors in German, down to a query the
/// script leaves open at its end.
#[test]
fn a_german_repl_script_has_no_english() {
    use std::io::Write as _;
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s12_what_if_consent.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .env("NO_COLOR", "1")
        .args(["repl", model.to_str().expect("utf-8"), "--lang", "de"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sphere runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"findings\nwhy act-s4-cal\n?- finding(R,\n")
        .expect("the script");
    let out = child.wait_with_output().expect("ends");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an error in the script is exit 2"
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("mit Handlungsbedarf"), "{text}");
    assert!(
        text.contains("Fehler: die Eingabe endete mitten in einer Anfrage"),
        "{text}"
    );
    let problems = english_words(&text);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A broken model is reported in German under `--lang de`: a missing file, JSON that does not
/// parse (with line and column), an unknown key, a value of the wrong type, a missing key, an
/// unknown word (with its did-you-mean), a dangling reference, a duplicate id, a date that is
/// no date, dates that contradict each other, an unknown format and a key given twice; each at its place, with exit code 2 and without English. Without `--lang de`
/// the same files are reported in English.
#[test]
fn a_broken_model_is_reported_in_german() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/demo_week.json");
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&demo).expect("demo model")).expect("JSON");
    let broken = |name: &str, edit: &dyn Fn(&mut serde_json::Value)| -> String {
        let mut v = base.clone();
        edit(&mut v);
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_string_pretty(&v).expect("JSON")).expect("write");
        path.display().to_string()
    };
    let syntax = dir.path().join("syntax.json");
    std::fs::write(
        &syntax,
        "{\"format\": \"sphere-model/2\",\n  \"as_of\": }\n",
    )
    .expect("write");
    let twice = dir.path().join("twice.json");
    std::fs::write(
        &twice,
        "{\"format\": \"sphere-model/2\", \"as_of\": \"2025-01-01\", \"as_of\": \"2025-01-02\"}",
    )
    .expect("write");
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            dir.path().join("missing.json").display().to_string(),
            vec!["Fehler[io]: die Datei gibt es nicht", "Hinweis: den Pfad prüfen"],
        ),
        (
            syntax.display().to_string(),
            vec![
                "Fehler[syntax]: kein gültiges JSON: Wert erwartet",
                "syntax.json:2:12",
                "Hinweis: eine Modelldatei ist ein JSON-Objekt",
            ],
        ),
        (
            broken("key.json", &|v| v["subjects"][0]["colour"] = "red".into()),
            vec![
                "Fehler[unknown_key]: unbekannter Schlüssel `colour`",
                "key.json: $.subjects[0].colour",
                "Hinweis: hier zulässige Schlüssel: `id`",
            ],
        ),
        (
            broken("type.json", &|v| v["subjects"][0]["name"] = 5.into()),
            vec![
                "Fehler[wrong_type]: erwartet: eine Zeichenkette, gefunden: eine Zahl",
                "type.json: $.subjects[0].name",
            ],
        ),
        (
            broken("missing_key.json", &|v| {
                v["subjects"][0]
                    .as_object_mut()
                    .expect("an object")
                    .remove("kind");
            }),
            vec![
                "Fehler[missing_key]: der Pflichtschlüssel `kind` fehlt",
                "missing_key.json: $.subjects[0]",
            ],
        ),
        (
            broken("word.json", &|v| v["subjects"][0]["kind"] = "consumr".into()),
            vec![
                "Fehler[unknown_value]: \"consumr\" ist hier kein zulässiger Wert",
                "Hinweis: meinten Sie \"consumer\"?",
            ],
        ),
        (
            broken("dangling.json", &|v| {
                v["activities"][0]["subjects"] = serde_json::json!(["subj-nobody"])
            }),
            vec![
                "Fehler[dangling_reference]: `subj-nobody` ist die ID keines Objekts; erwartet: eine betroffene Person",
                "dangling.json: $.activities[0].subjects[0]",
            ],
        ),
        (
            broken("duplicate.json", &|v| {
                v["subjects"][1]["id"] = v["subjects"][0]["id"].clone()
            }),
            vec![
                "Fehler[duplicate_id]: die ID `subj-karl-kaufmann` ist schon vergeben",
                "duplicate.json: $.subjects[1].id",
            ],
        ),
        (
            broken("date.json", &|v| v["as_of"] = "2025-02-30".into()),
            vec![
                "Fehler[bad_date]: `2025-02-30` ist kein Kalendertag",
                "date.json: $.as_of",
                "Hinweis: Daten als YYYY-MM-DD schreiben",
            ],
        ),
        (
            broken("withdrawn.json", &|v| v["consents"][0]["withdrawn"] = "2024-01-01".into()),
            vec![
                "Fehler[contradiction]: die Einwilligung ist widerrufen (2024-01-01), bevor sie erteilt wurde (2024-02-19)",
                "withdrawn.json: $.consents[0].withdrawn",
            ],
        ),
        (
            broken("format.json", &|v| v["format"] = "sphere-model/9".into()),
            vec!["Fehler[unsupported_format]: format ist \"sphere-model/9\""],
        ),
        (
            twice.display().to_string(),
            vec![
                "Fehler[duplicate_key]: der Schlüssel \"as_of\" steht zweimal in einem Objekt",
                "Hinweis: JSON-Leser behalten nur einen der beiden Werte",
            ],
        ),
    ];
    for (file, expected) in &cases {
        let (code, out, err) = sphere(&["check", file, "--lang", "de"]);
        assert_eq!(code, Some(2), "{file}: {err}");
        assert!(out.is_empty(), "{out}");
        for e in expected {
            assert!(err.contains(e), "{file}: no `{e}` in:\n{err}");
        }
        let mut problems = english_words(&err);
        // Words of the English error form that the German one must not have either.
        for line in err.lines().filter(|l| !l.trim_start().starts_with("-->")) {
            for word in ["error", "hint", "unknown", "missing", "expected", "allowed"] {
                if line
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == word)
                {
                    problems.push(format!("`{word}` in: {line}"));
                }
            }
        }
        assert!(problems.is_empty(), "{file}:\n{}", problems.join("\n"));
        // English, as before, without `--lang de`.
        let (code, _, err) = sphere(&["check", file]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.starts_with("error["), "{err}");
        assert!(!err.contains("Fehler") && !err.contains("Hinweis"), "{err}");
    }
}

/// The operator's note that `--rules` runs the interpreter is said in German under
/// `--lang de`, and in English without it.
#[test]
fn the_note_on_extra_rules_is_german_under_lang_de() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let rules = dir.path().join("none.dl");
    std::fs::write(&rules, "").expect("write");
    let rules = rules.display().to_string();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s04_phone_call.json");
    let model = model.display().to_string();
    let (code, _, err) = sphere(&["check", &model, "--rules", &rules, "--lang", "de"]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(err, "Anmerkung: mit --rules läuft der Interpreter\n");
    let (_, _, err) = sphere(&["check", &model, "--rules", &rules]);
    assert_eq!(err, "note: --rules runs the interpreter\n");
}

/// `sphere validate --lang de`: the summary of a valid model, of several complete models, and
/// every problem of a broken one with their count, in German; English without `--lang de`.
#[test]
fn validate_speaks_german_under_lang_de() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let demo = manifest.join("facts/demo_week.json");
    let s12 = manifest.join("facts/s12_what_if_consent.json");
    let (demo, s12) = (demo.to_str().expect("utf-8"), s12.to_str().expect("utf-8"));
    let mut text = String::new();
    let (code, out, err) = sphere(&["validate", demo, "--lang", "de"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("gültig: 1 Datei, "), "{out}");
    assert!(out.contains("Verarbeitungstätigkeiten"), "{out}");
    text.push_str(&out);
    let (code, out, err) = sphere(&["validate", demo, s12, "--lang", "de"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("gültig: 2 vollständige Modelle, jedes für sich"),
        "{out}"
    );
    text.push_str(&out);
    // A model with two problems: a word that is none and a dangling reference.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo).expect("demo")).expect("JSON");
    v["subjects"][0]["kind"] = "consumr".into();
    v["activities"][0]["subjects"] = serde_json::json!(["subj-nobody"]);
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, v.to_string()).expect("write");
    let broken = broken.to_str().expect("utf-8");
    let (code, out, err) = sphere(&["validate", broken, "--lang", "de"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("Fehler[unknown_value]"), "{err}");
    assert!(err.contains("Fehler[dangling_reference]"), "{err}");
    assert!(err.ends_with("Fehler: 2 Probleme im Modell\n"), "{err}");
    text.push_str(&err);
    let missing = dir.path().join("missing.json");
    let (code, _, err) = sphere(&["validate", missing.to_str().expect("utf-8"), "--lang", "de"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.ends_with("Fehler: 1 Problem im Modell\n"), "{err}");
    text.push_str(&err);
    let problems = english_words(&text);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // English, as before, without `--lang de`.
    let (_, out, _) = sphere(&["validate", demo]);
    assert!(out.starts_with("ok: 1 file, "), "{out}");
    let (_, _, err) = sphere(&["validate", broken]);
    assert!(err.starts_with("error[unknown_value]"), "{err}");
    assert!(err.ends_with("error: 2 problems in the model\n"), "{err}");
}

/// Whether `err`, a German error text, has English words: those of [`english_words`] and those
/// of the English error form (`error`, `hint`, `unknown`, ...), outside the `-->` place lines.
pub(crate) fn english_in_errors(err: &str) -> Vec<String> {
    let mut problems = english_words(err);
    for line in err.lines().filter(|l| !l.trim_start().starts_with("-->")) {
        for word in [
            "error", "hint", "unknown", "missing", "expected", "allowed", "column", "columns",
            "line", "already", "used", "defined", "define", "but", "values", "second", "empty",
        ] {
            if line
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|w| w == word)
            {
                problems.push(format!("`{word}` in: {line}"));
            }
        }
    }
    problems
}

/// A broken facts export (`check --facts DIR`) is reported in German under `--lang de`: the
/// reader's problems (a wrong FORMAT, an unknown relation file, a row of too many columns, a
/// number, a date and an escape that are none) and the contract's (a word, a country, a
/// dangling reference, a reference to the wrong kind of object, an id used twice, an empty id,
/// a second row of a key, a missing organization), each at its file, line and column, with
/// exit code 2; in English without `--lang de`.
#[test]
fn a_broken_facts_export_is_reported_in_german() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/demo_week.json");
    type Edit<'a> = (&'a str, &'a dyn Fn(&str) -> String);
    let export = |name: &str, edits: &[Edit<'_>]| -> String {
        let d = dir.path().join(name);
        let (code, _, err) = sphere(&[
            "facts",
            demo.to_str().expect("utf-8"),
            "-D",
            d.to_str().expect("utf-8"),
        ]);
        assert_eq!(code, Some(0), "{err}");
        for (file, edit) in edits {
            let path = d.join(file);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            std::fs::write(&path, edit(&text)).expect("write");
        }
        d.display().to_string()
    };
    let first_line = |t: &str, f: &dyn Fn(Vec<&str>) -> String| -> String {
        let (first, rest) = t.split_once('\n').expect("a row");
        format!("{}\n{rest}", f(first.split('\t').collect()))
    };
    let reading = export(
        "reading",
        &[
            ("FORMAT", &|_| "sphere-facts/9\n".to_string()),
            ("subjects.facts", &|_| "x\n".to_string()),
            ("subject_age.facts", &|_| {
                "subj-felix-wolf\tforty\nsubj-eva-lindner\t40\t41\n".to_string()
            }),
            ("activity.facts", &|t| {
                first_line(t, &|mut f| {
                    f[3] = "2025-02-30";
                    f.join("\t")
                })
            }),
            ("subject.facts", &|t| {
                first_line(t, &|mut f| {
                    f[1] = "Eva\\qLindner";
                    f.join("\t")
                })
            }),
        ],
    );
    let contract = export(
        "contract",
        &[
            ("subject.facts", &|t| {
                let t = first_line(t, &|mut f| {
                    f[2] = "Consumer";
                    f[3] = "de";
                    f.join("\t")
                });
                format!("{t}party-meta\tMeta\tconsumer\tDE\n\tNobody\tconsumer\tDE\n")
            }),
            ("activity.facts", &|t| {
                let t = first_line(t, &|mut f| {
                    f[4] = "staff-nobody";
                    f.join("\t")
                });
                let (first, rest) = t.split_once('\n').expect("rows");
                format!(
                    "{first}\n{}",
                    first_line(rest, &|mut f| {
                        f[4] = "subj-felix-wolf";
                        f.join("\t")
                    })
                )
            }),
            ("subject_city.facts", &|_| {
                "subj-felix-wolf\tKöln\nsubj-felix-wolf\tBonn\n".to_string()
            }),
        ],
    );
    let no_organization = export(
        "no-organization",
        &[("organization.facts", &|_| String::new())],
    );
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            &reading,
            vec![
                "Fehler[unsupported_format]: das Format ist `sphere-facts/9`, nicht `sphere-facts/1`",
                "Hinweis: die Datei FORMAT enthält nur die Zeile sphere-facts/1",
                "Fehler[bad_facts]: `subjects` ist keine Eingaberelation",
                "Hinweis: meinten Sie `subject.facts`?",
                "Fehler[bad_facts]: Spalte `age`: `forty` ist keine ganze Zahl",
                "subject_age.facts:1:17",
                "Fehler[bad_facts]: 3 Spalten, `subject_age` hat aber 2",
                "Hinweis: Spalten, durch je einen Tabulator getrennt:",
                "`2025-02-30` ist kein Kalendertag",
                "unbekannte Escape-Sequenz `\\q`",
            ],
        ),
        (
            &contract,
            vec![
                "Fehler[unknown_value]: Spalte `kind`: `Consumer` ist hier kein zulässiger Wert",
                "Hinweis: meinten Sie `consumer`? zulässig: `consumer`",
                "Fehler[unknown_country]: Spalte `country`: `de` ist kein Ländercode nach ISO 3166 alpha-2",
                "Hinweis: Ländercodes werden großgeschrieben: `DE`",
                "Fehler[duplicate_id]: die ID `party-meta` ist schon vergeben, bei ",
                "(eine Partei)",
                "Fehler[invalid_value]: eine leere ID",
                "Fehler[dangling_reference]: Spalte `by`: `staff-nobody` ist die ID keines Objekts; erwartet: ein Mitarbeiter",
                "Fehler[wrong_reference_kind]: Spalte `by`: `subj-felix-wolf` ist eine betroffene Person, erwartet wird hier ein Mitarbeiter",
                "Fehler[bad_facts]: eine zweite Zeile von `subject_city` für `subj-felix-wolf` (die erste steht in Zeile 1)",
            ],
        ),
        (
            &no_organization,
            vec![
                "Fehler[missing_organization]: der Export hat keine Organisation",
                "Hinweis: ein Faktenexport enthält die Organisation",
            ],
        ),
    ];
    for (export, expected) in &cases {
        let (code, out, err) = sphere(&["check", "--facts", export, "--lang", "de"]);
        assert_eq!(code, Some(2), "{err}");
        assert!(out.is_empty(), "{out}");
        for e in expected {
            assert!(err.contains(e), "no `{e}` in:\n{err}");
        }
        let problems = english_in_errors(&err);
        assert!(problems.is_empty(), "{export}:\n{}", problems.join("\n"));
        // English, as before, without `--lang de`.
        let (code, _, err) = sphere(&["check", "--facts", export]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.starts_with("error["), "{err}");
        assert!(!err.contains("Fehler") && !err.contains("Hinweis"), "{err}");
    }
}

/// What-if and loading in a German REPL: an assumption the model would refuse (a derived
/// relation, a word or country that is none, a variable), a file that is not there or a model
/// that is broken are said in German; the session goes on. `check --assume` the same.
#[test]
fn the_repls_assume_and_load_errors_are_german() {
    let kb = Arc::new(KnowledgeBase::shipped().expect("kb"));
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut repl = sphere::repl::Repl::new(
        kb,
        vec![manifest.join("facts/s12_what_if_consent.json")],
        today(),
        EvalOptions::default(),
    )
    .expect("repl");
    repl.run("lang de").expect("lang de");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        "{\"format\": \"sphere-model/2\", \"subjects\": [{\"id\": \"s\", \"kind\": \"consumr\"}]}",
    )
    .expect("write");
    let mut text = String::new();
    for line in [
        "assume finding(\"r\", \"a\", \"s\", 2025-01-01).".to_string(),
        "assume consent_channel(\"cons-x\", \"Phone\").".to_string(),
        "assume subject(\"s\", \"n\", \"consumer\", \"de\").".to_string(),
        "assume consent_channel(C, \"phone\").".to_string(),
        format!("load {}", dir.path().join("nowhere.json").display()),
        format!("load {}", broken.display()),
    ] {
        let e = repl.run(&line).expect_err(&line);
        text.push_str(&e.render(false));
    }
    assert!(text.contains("leiten die Regeln ab"), "{text}");
    assert!(text.contains("ist hier kein zulässiger Wert"), "{text}");
    assert!(text.contains("keine Konstante"), "{text}");
    assert!(text.contains("die Datei gibt es nicht"), "{text}");
    let problems = english_in_errors(&text);
    assert!(problems.is_empty(), "{text}\n{}", problems.join("\n"));
    // The session went on.
    assert!(repl.run("findings").expect("findings").contains("Befunde"));
    // The command line's `--assume`.
    let model = manifest.join("facts/s04_phone_call.json");
    let (code, _, err) = sphere(&[
        "check",
        model.to_str().expect("utf-8"),
        "--assume",
        "consent_channel(\"cons-x\", \"Phone\")",
        "--lang",
        "de",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with("Fehler: die Tatsache `consent_channel(\"cons-x\", \"Phone\")`: Spalte `channel`: \"Phone\" ist hier kein zulässiger Wert\n  Hinweis: meinten Sie \"phone\"?"),
        "{err}"
    );
    assert!(english_in_errors(&err).is_empty(), "{err}");
}

/// The notes on the evaluator said in German: a compiled program generated from another
/// version of the knowledge base (the real reason, with its digests), one that failed, and a
/// `--kb` that is not the compiled one (on the command line); English as before.
#[test]
fn the_notes_on_the_compiled_evaluator_are_german_under_lang_de() {
    use sphere::{Lang, Note};
    // Extra rules make a program the compiled code was not generated from: its reason is the
    // one a stale compiled program gives.
    let kb = KnowledgeBase::builder()
        .rules_text("extra.dl", ".decl my_flag(a: symbol)\nmy_flag(\"x\").\n")
        .build()
        .expect("compiles");
    let why = kb
        .compiled_reason()
        .expect("not the compiled program")
        .clone();
    assert_eq!(kb.compiled(), Err(why.en.as_str()));
    let stale = Note::Stale(why);
    let en = stale.text(Lang::En);
    assert!(
        en.starts_with("note: the compiled program was generated from a different version of "),
        "{en}"
    );
    assert!(
        en.ends_with("; running the interpreter\n  hint: regenerate with `UPDATE_GENERATED=1 cargo test -p sphere-codegen`\n"),
        "{en}"
    );
    let failed =
        Note::CompiledFailed("generated code reads relation 7, which the program lacks".into());
    assert_eq!(
        failed.text(Lang::En),
        "note: generated code reads relation 7, which the program lacks; running the interpreter\n"
    );
    let mut text = String::new();
    for note in [stale, failed, Note::ExtraRules, Note::OtherKnowledgeBase] {
        let de = note.text(Lang::De);
        assert!(de.starts_with("Anmerkung: "), "{de}");
        assert!(de.contains("läuft der Interpreter"), "{de}");
        text.push_str(&de);
    }
    assert!(text.contains("Prüfsumme"), "{text}");
    assert!(
        text.contains("  Hinweis: mit `UPDATE_GENERATED=1"),
        "{text}"
    );
    let problems = english_in_errors(&text);
    assert!(problems.is_empty(), "{text}\n{}", problems.join("\n"));
    // A `--kb` directory on the command line.
    let dir = knowledge_copy("uwg/phone.dl", |t| {
        t.replacen(
            "    severity: high,\n    decision: block,",
            "    severity: medium,\n    decision: warn,",
            1,
        )
    });
    let kb_dir = dir.path().to_str().expect("utf-8");
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s04_phone_call.json");
    let model = model.to_str().expect("utf-8");
    let (code, _, err) = sphere(&["check", model, "--kb", kb_dir, "--lang", "de"]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        err,
        "Anmerkung: die mit --kb angegebene Wissensbasis ist nicht die kompilierte; es läuft der Interpreter\n"
    );
    let (_, _, err) = sphere(&["check", model, "--kb", kb_dir]);
    assert_eq!(
        err,
        "note: the knowledge base given with --kb is not the compiled one; running the interpreter\n"
    );
}

/// The rule compiler's diagnostics in German: a bad `?-` query or assumption in a German REPL
/// (a syntax error, an unknown relation, the wrong number of arguments, a value of the wrong
/// type, a date that is no day, an expression) and the common problems of a rule file given
/// with `check --rules ... --lang de` are said in German with their carets (`Fehler[code]`,
/// `Hinweis:`); in English without `--lang de`.
#[test]
fn the_rule_compilers_diagnostics_are_german_under_lang_de() {
    let kb = Arc::new(KnowledgeBase::shipped().expect("kb"));
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut repl = sphere::repl::Repl::new(
        kb,
        vec![manifest.join("facts/s12_what_if_consent.json")],
        today(),
        EvalOptions::default(),
    )
    .expect("repl");
    repl.run("lang de").expect("lang de");
    let mut text = String::new();
    for line in [
        "?- finding(R, A, S).",
        "?- findng(R, A, S, D).",
        "?- finding(R, A, S, D",
        "?- finding(R A).",
        "?- finding(R, A, S, D), x.",
        "?- \"x\".",
        "?- activity_channel(\"act-s4-call\", 5).",
        "?- finding(R, _, _, 2025-13-40).",
        "?- finding(R, _, _, X + 1).",
        "?- finding(R, _, _, \"x\\q\").",
        "?- finding(R, _, _, #).",
        "assume foo(\"x\").",
        "assume activity_channel(\"a\").",
    ] {
        let e = repl.run(line).expect_err(line);
        let rendered = e.render(false);
        assert!(rendered.starts_with("Fehler["), "{line}: {rendered}");
        text.push_str(&rendered);
    }
    for expected in [
        "Fehler[arity_mismatch]: `finding` hat 4 Spalten, die Anfrage gibt aber 3",
        "Fehler[unknown_relation]: unbekannte Relation `findng`",
        "= Hinweis: meinten Sie `finding`?",
        "Fehler[syntax]: erwartet: `,` oder `)`, gefunden: das Ende der Eingabe",
        "Fehler[type_mismatch]: Typfehler: erwartet: ein Symbol, gefunden: eine Zahl",
        "Fehler[syntax]: `2025-13-40` ist kein Kalendertag",
        "Fehler[syntax]: unerwartetes Zeichen `#`",
    ] {
        assert!(text.contains(expected), "no `{expected}` in:\n{text}");
    }
    let problems = english_in_errors(&text);
    assert!(problems.is_empty(), "{text}\n{}", problems.join("\n"));
    // The same query in English.
    repl.run("lang en").expect("lang en");
    let e = repl.run("?- findng(R, A, S, D).").expect_err("unknown");
    assert!(
        e.render(false)
            .starts_with("error[unknown_relation]: unknown relation `findng`"),
        "{}",
        e.render(false)
    );
    // A rule file with the common mistakes, on the command line.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let rules = dir.path().join("bad.dl");
    std::fs::write(
        &rules,
        ".decl my_flag(a: symbol)\n\
         my_flag(A) :- activty(A, _, _, _, _, _).\n\
         my_flag(A) :- activity(A, _, _).\n\
         my_flag(B) :- activity(A, _, _, _, _, _).\n\
         my_flag(A) :- activity(A, _, _, _, _, _), !consent(A, X, _, _, _).\n\
         my_flag(_) :- activity(A, _, _, _, _, _)\n\
         my_flag(\"x\") :- activity(A, _, _, _, _, _), \"a\" < \"b\", X = 3 + _.\n\
         my_flag(\"y\").\n\
         my_flag(A) :- activity(A, _, _, _, _, _), A = 5.\n\
         my_flag(A) :- activity(A, _, _, D, _, _), D + 1 = 3.\n\
         .frobnicate\n",
    )
    .expect("write");
    let rules = rules.to_str().expect("utf-8");
    let model = manifest.join("facts/s04_phone_call.json");
    let model = model.to_str().expect("utf-8");
    let (code, _, err) = sphere(&["check", model, "--rules", rules, "--lang", "de"]);
    assert_eq!(code, Some(2), "{err}");
    for expected in [
        "Fehler[unknown_relation]: unbekannte Relation `activty`",
        "= Hinweis: meinten Sie `activity`?",
        "Fehler[arity_mismatch]: `activity` hat 6 Spalten, hier stehen aber 3 Argumente",
        "hier deklariert",
        "Fehler[unbound_variable]: die Variable `B` im Kopf wird vom Rumpf nicht gebunden",
        "Fehler[unsafe_negation]: die Variable `X` kommt nur in einem negierten Atom vor",
        "Fehler[wildcard_in_head]: `_` im Kopf einer Regel",
        "Fehler[syntax]: am Ende der Klausel fehlt `.`",
        "Fehler[type_mismatch]: Typfehler: erwartet: ein Symbol, gefunden: die Zahl 5",
        "ein Symbol laut der Deklaration der Spalte `",
        "Fehler[type_mismatch]: Typfehler: erwartet: eine Zahl bei einem Operanden von `+`, gefunden: ein Datum",
    ] {
        assert!(err.contains(expected), "no `{expected}` in:\n{err}");
    }
    let problems = english_in_errors(&err);
    assert!(problems.is_empty(), "{err}\n{}", problems.join("\n"));
    let (code, _, err) = sphere(&["check", model, "--rules", rules]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("error[unknown_relation]: unknown relation `activty`"),
        "{err}"
    );
    assert!(!err.contains("Fehler") && !err.contains("Hinweis"), "{err}");
}

/// `sphere eval -F DIR --lang de`: the problems of a facts file (a value of the wrong type, a
/// line of too few columns), a missing facts directory and a program that does not compile
/// are said in German; English without `--lang de`.
#[test]
fn eval_says_its_file_errors_in_german() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let program = dir.path().join("p.dl");
    std::fs::write(
        &program,
        ".decl edge(a: number, b: symbol)\n.input edge\n.decl path(a: number, b: symbol)\n.output path\npath(A, B) :- edge(A, B).\n",
    )
    .expect("write");
    let broken = dir.path().join("broken.dl");
    std::fs::write(&broken, "path(A, B) :- edg(A, B).\n").expect("write");
    let facts = dir.path().join("facts");
    std::fs::create_dir(&facts).expect("mkdir");
    std::fs::write(facts.join("edge.facts"), "1\tx\nzwei\ty\n3\n").expect("write");
    let (program, broken, facts) = (
        program.to_str().expect("utf-8"),
        broken.to_str().expect("utf-8"),
        facts.to_str().expect("utf-8"),
    );
    let nowhere = dir.path().join("nowhere");
    let mut text = String::new();
    for (args, expected) in [
        (
            vec!["eval", program, "-F", facts],
            vec![
                "Fehler[type_mismatch]: erwartet: eine Zahl, gefunden: `zwei`",
                "Fehler[arity_mismatch]: diese Zeile hat 1 Spalte, `edge` hat aber 2",
                "Fehler: 2 Fehler in den Fakten, nichts wurde ausgewertet",
            ],
        ),
        (
            vec!["eval", program, "-F", nowhere.to_str().expect("utf-8")],
            vec!["Fehler: das Faktenverzeichnis"],
        ),
        (
            vec!["eval", broken, "-F", facts],
            vec![
                "Fehler[unknown_relation]: unbekannte Relation `edg`",
                "Fehler: 2 Fehler im Programm, nichts wurde ausgewertet",
            ],
        ),
    ] {
        let mut de = args.clone();
        de.extend(["--lang", "de"]);
        let (code, _, err) = sphere(&de);
        assert_eq!(code, Some(2), "{err}");
        for e in expected {
            assert!(err.contains(e), "no `{e}` in:\n{err}");
        }
        text.push_str(&err);
        let (code, _, err) = sphere(&args);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("error"), "{err}");
        assert!(!err.contains("Fehler") && !err.contains("Hinweis"), "{err}");
    }
    let problems = english_in_errors(&text);
    assert!(problems.is_empty(), "{text}\n{}", problems.join("\n"));
}

/// A bound reached while rules from outside run, and the receipt line of a check recorded in
/// a journal, are said in German under `--lang de`.
#[test]
fn a_bound_reached_and_the_receipt_are_german_under_lang_de() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = manifest.join("facts/s04_phone_call.json");
    let model = model.to_str().expect("utf-8");
    let grow = manifest.join("tests/cmd/inputs/grow_kb.dl");
    let grow = grow.to_str().expect("utf-8");
    let args = ["check", model, "--rules", grow, "--max-tuples", "20000"];
    let mut de = args.to_vec();
    de.extend(["--lang", "de"]);
    let (code, _, err) = sphere(&de);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        "Anmerkung: mit --rules läuft der Interpreter\n\
         Fehler: Auswertung angehalten: die Relationen zusammen wuchsen über 20000 Tupel, während die Regel `grow#1` `grow` ableitete; eine Regel, die aus ihren eigenen Ergebnissen neue Werte ableitet, etwa `n(X + 1) :- n(X).`, endet nie\n  \
         Hinweis: die Grenze anheben (--max-tuples, --timeout), wenn die Regeln stimmen; sonst die Regel daran hindern, aus ihren eigenen Ergebnissen neue Werte abzuleiten\n"
    );
    let mut text = err;
    let (_, _, err) = sphere(&args);
    assert!(err.contains("error: evaluation stopped: "), "{err}");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let journal = dir.path().join("j.db");
    let journal = journal.to_str().expect("utf-8");
    let (code, _, err) = sphere(&["check", model, "--journal", journal, "--lang", "de"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.starts_with("Kopf des Journals: 1:"), "{err}");
    assert!(err.ends_with(" (Beleg)\n"), "{err}");
    text.push_str(&err);
    let problems = english_in_errors(&text);
    assert!(problems.is_empty(), "{text}\n{}", problems.join("\n"));
}

/// The usage errors of the German commands: `explain` without a finding, `diff` with nothing
/// to compare, a knowledge directory or rule file that cannot be read, a report period that
/// ends before it starts, a model the report and the graph cannot read, and a journal that is
/// missing, is no journal or cannot be opened.
#[test]
fn the_commands_usage_errors_are_german_under_lang_de() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = manifest.join("facts/s12_what_if_consent.json");
    let model = model.to_str().expect("utf-8");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let nowhere = dir.path().join("nowhere");
    let nowhere = nowhere.to_str().expect("utf-8");
    let nowhere_json = format!("{nowhere}.json");
    let nowhere_dl = format!("{nowhere}.dl");
    let not_a_journal = dir.path().join("notes.db");
    std::fs::write(&not_a_journal, "not a journal\n").expect("write");
    let not_a_journal = not_a_journal.to_str().expect("utf-8").to_string();
    // A journal below a file: the folder cannot exist.
    let not_a_folder = format!("{model}/j.db");
    let mut text = String::new();
    for (args, expected) in [
        (
            vec!["explain", model],
            "Fehler: die Modelldateien und dann die Kennung eines Befunds angeben",
        ),
        (vec!["diff", model], "Fehler: nichts zu vergleichen"),
        (
            vec!["check", model, "--kb", nowhere],
            "Fehler: das Verzeichnis der Wissensbasis",
        ),
        (
            vec!["check", model, "--rules", &nowhere_dl],
            "Fehler: die Regeldatei",
        ),
        (
            vec![
                "report",
                model,
                "--from",
                "2025-01-01",
                "--to",
                "2024-01-01",
            ],
            "Fehler: der Zeitraum endet (2024-01-01), bevor er beginnt (2025-01-01)",
        ),
        (
            vec![
                "report",
                &nowhere_json,
                "--from",
                "2025-01-01",
                "--to",
                "2025-02-01",
            ],
            "Fehler: 1 Problem im Modell",
        ),
        (
            vec!["graph", &nowhere_json],
            "Fehler[io]: die Datei gibt es nicht",
        ),
        (
            vec!["pending", model, "--journal", &nowhere_dl],
            "an diesem Pfad ist kein Journal",
        ),
        (
            vec!["pending", model, "--journal", &not_a_journal],
            "kein Journal von sphere",
        ),
        (
            vec!["gate", model, "act-s4-call", "--journal", &not_a_folder],
            "das Öffnen des Journals ist fehlgeschlagen",
        ),
    ] {
        let mut de = args.clone();
        de.extend(["--lang", "de"]);
        let (code, _, err) = sphere(&de);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains(expected),
            "{args:?}: no `{expected}` in:\n{err}"
        );
        text.push_str(&err);
        let (code, _, err) = sphere(&args);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("error"), "{err}");
        assert!(!err.contains("Fehler") && !err.contains("Hinweis"), "{err}");
    }
    let problems = english_in_errors(&text);
    assert!(problems.is_empty(), "{text}\n{}", problems.join("\n"));
}

/// The command line's own errors with `--lang de` on it: a date that is none, an unknown
/// option (with its did-you-mean), a value not among the possible ones, a missing argument,
/// too few values; English as before without it.
#[test]
fn the_command_lines_own_errors_are_german_with_lang_de() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s12_what_if_consent.json");
    let model = model.to_str().expect("utf-8");
    let mut text = String::new();
    for (args, expected) in [
        (
            vec!["check", model, "--as-of", "2025-13-01"],
            "Fehler: ungültiger Wert '2025-13-01' für '--as-of <YYYY-MM-DD>': `2025-13-01` ist kein Datum der Form YYYY-MM-DD",
        ),
        (
            vec!["check", model, "--timeout", "soon"],
            "ist keine Zahl von Sekunden",
        ),
        (
            vec!["check", model, "--formt", "json"],
            "Fehler: unbekanntes Argument '--formt' (meinten Sie '--format'?)",
        ),
        (
            vec!["check", model, "--format", "yaml"],
            "Fehler: ungültiger Wert 'yaml' für '--format <FORMAT>' (möglich: text, json, md, sarif)",
        ),
        (
            vec!["remedies", model, "F-1", "--apply", "1"],
            "Fehler: diese Argumente fehlen: --output <FILE>",
        ),
        (vec!["remedies", model], "Fehler: zu wenige Werte"),
    ] {
        let mut de = args.clone();
        de.extend(["--lang", "de"]);
        let (code, out, err) = sphere(&de);
        assert_eq!(code, Some(2), "{err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(expected), "{args:?}: no `{expected}` in:\n{err}");
        text.push_str(&err);
        let (code, _, err) = sphere(&args);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    let problems = english_in_errors(&text);
    assert!(problems.is_empty(), "{text}\n{}", problems.join("\n"));
}

/// The rule compiler's less common diagnostics under `check --rules ... --lang de`: the legal
/// annotations (`.norm`, `.authority`, `.rule` blocks and what they name), declarations made
/// twice or reserved, unknown types and functions, a function given the wrong number of
/// arguments, the context of a type mismatch and a negation inside a cycle are said in German,
/// with no English left; the same files in English without `--lang de`.
#[test]
fn the_rule_compilers_rarer_diagnostics_are_german_too() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let model = manifest.join("facts/s04_phone_call.json");
    let model = model.to_str().expect("utf-8");
    let files: [(&str, &str, &[&str], &str); 5] = [
        (
            "decls.dl",
            ".decl my_flag(a: symbol)\n\
             .decl my_flag(a: symbol)\n\
             .decl my_t(a: float)\n\
             .decl my_u(a: colour)\n\
             .decl finding_raw(a: symbol)\n\
             .decl my_n(a: number)\n\
             my_n(N) :- activity(A, _, _, _, _, _), N = frob(1).\n\
             my_n(N) :- activity(A, _, _, _, _, _), N = strlen(A, 1).\n\
             my_n(N) :- activity(A, _, _, D, _, _), N = 1 + D.\n\
             my_flag(A) :- activity(A, _, _, D, _, _), my_n(D).\n",
            &[
                "Fehler[duplicate_declaration]: die Relation `my_flag` ist zweimal deklariert",
                "hier erneut deklariert",
                "Fehler[type_mismatch]: `float` wird nicht unterstützt",
                "Fehler[unknown_reference]: unbekannter Typ `colour`",
                "`finding_raw` wird von sphere erzeugt und kann nicht deklariert werden",
                "Fehler[unknown_reference]: unbekannte Funktion `frob`",
                "= Hinweis: die Funktionen sind: ",
                "Fehler[arity_mismatch]: `strlen` nimmt 1 Argument, es sind aber 2 angegeben",
                "Typfehler: erwartet: eine Zahl bei einem Operanden von `+`, gefunden: ein Datum",
                "Typfehler: erwartet: eine Zahl in der Spalte `a` von `my_n`, gefunden: ein Datum",
            ],
            "error[unknown_reference]: unknown function `frob`",
        ),
        (
            "blocks.dl",
            ".norm \"Bad Id\" {\n\
                 de: \"x\", en: \"x\", title: \"x\", from: 2020-01-01, source: \"https://example.org\",\n\
             }\n\
             .norm \"my:2\" {\n\
                 de: \"x\", en: \"x\", title: 5, from: 2020-01-01, source: \"https://example.org\", frob: 1,\n\
             }\n\
             .rule my_rule {\n\
                 norms: [\"bad ref\"],\n\
                 severity: hihg,\n\
                 decision: block,\n\
                 exception_to: other,\n\
                 message: { en: \"x\", fr: \"x\" },\n\
             }\n\
             finding(A, S, D) :- activity(A, S, _, D, _, _).\n",
            &[
                "Fehler[bad_annotation]: `Bad Id` ist keine gültige Norm-ID",
                "= Hinweis: Norm-IDs werden kleingeschrieben",
                "Fehler[bad_annotation]: unbekannter Schlüssel `frob` in `.norm \"my:2\"`",
                "Fehler[bad_annotation]: `title` muss eine Zeichenkette sein, gefunden: eine Zahl",
                "`.rule my_rule` hat sowohl `decision` als auch `exception_to`",
                "Fehler[bad_annotation]: `bad ref` ist kein Normverweis",
                "Fehler[bad_annotation]: `hihg` ist kein gültiger Wert für `severity`",
                "= Hinweis: meinten Sie `high`?",
                "Fehler[bad_annotation]: `message` hat keinen Text in `de`",
                "Fehler[bad_annotation]: unbekannte Sprache `fr` in `message`",
            ],
            "error[bad_annotation]: `Bad Id` is not a valid norm id",
        ),
        (
            "catalogue.dl",
            ".norm \"my:1\" {\n\
                 de: \"x\", en: \"x\", title: \"x\", from: 2020-01-01, source: \"https://example.org\",\n\
             }\n\
             .rule my_rule {\n\
                 norms: [\"nope:1\", \"my:1@2020-02-02\"],\n\
                 authorities: [nobody],\n\
                 severity: high,\n\
                 decision: block,\n\
                 message: { en: \"{Z}\", de: \"{Z}\" },\n\
             }\n\
             finding(A, S, D) :- activity(A, S, _, D, _, _).\n\
             .rule my_rule {\n\
                 severity: high,\n\
                 decision: block,\n\
                 message: { en: \"x\", de: \"x\" },\n\
             }\n\
             finding(A, S, D) :- activity(A, S, _, D, _, _).\n\
             .rule my_exc {\n\
                 exception_to: my_reason,\n\
             }\n\
             exception(A, S, D) :- activity(A, S, _, D, _, _).\n\
             .rule my_reason {\n\
                 from: 2020-01-01,\n\
             }\n\
             my_r(A) :- activity(A, _, _, _, _, _).\n\
             .decl my_r(a: symbol)\n\
             .rule my_bad_head {\n\
                 severity: high,\n\
                 decision: block,\n\
                 message: { en: \"x\", de: \"x\" },\n\
             }\n\
             my_r(A) :- activity(A, _, _, _, _, _).\n\
             .rule my_bad_exc {\n\
                 exception_to: my_rule,\n\
                 severity: high,\n\
             }\n\
             my_r(A) :- activity(A, _, _, _, _, _).\n\
             .rule my_no_dec {\n\
                 from: 2020-01-01,\n\
             }\n\
             exception(A, S, D) :- activity(A, S, _, D, _, _).\n",
            &[
                "der Platzhalter `{Z}` nennt keine Variable der Regel",
                "= Hinweis: die Variablen der Regel sind: A, S, D",
                "Fehler[unknown_norm]: unbekannte Norm `nope:1`",
                "Fehler[unknown_norm]: `my:1` hat keine Fassung, die am 2020-02-02 beginnt",
                "Fehler[unknown_reference]: unbekannte `.authority` `nobody`",
                "Fehler[duplicate_rule_id]: die Regel-ID `my_rule` wird zweimal verwendet",
                "Fehler[bad_annotation]: `my_reason` ist keine Befundregel",
                "die Befundregel `my_bad_head` muss `finding(About, Subject, Date)`",
                "dieser Kopf ist `my_r` mit 1 Argument",
                "die Ausnahmeregel `my_bad_exc` hat den Schlüssel `severity`",
                "die Ausnahmeregel `my_bad_exc` muss `exception(About, Subject, Date)` ableiten",
                "eine Regel, die `exception` ableitet, braucht ein `exception_to`",
                "Annotation ohne `exception_to`",
            ],
            "error[unknown_norm]: unknown norm `nope:1`",
        ),
        (
            "windows.dl",
            ".norm \"my:1\" {\n\
                 de: \"x\", en: \"x\", title: \"x\", from: 2020-01-01, source: \"https://example.org\",\n\
             }\n\
             .norm \"my:1\" {\n\
                 de: \"x\", en: \"x\", title: \"x\", from: 2021-01-01, source: \"https://example.org\",\n\
             }\n\
             .rule my_rule {\n\
                 norms: [\"my:1\"],\n\
                 severity: high,\n\
                 decision: block,\n\
                 message: { en: \"x\", de: \"x\" },\n\
                 from: 2021-01-01, to: 2020-01-01,\n\
             }\n\
             finding(A, S, D) :- activity(A, S, _, D, _, _).\n\
             .rule my_reason {\n\
                 remedy: { en: \"x\", de: \"x\" },\n\
             }\n\
             my_r(A) :- activity(A, _, _, _, _, _).\n\
             .decl my_r(a: symbol)\n\
             finding(A, S, D) :- activity(A, S, _, D, _, _).\n",
            &[
                "Fassungen von `my:1` überschneiden sich: `my:1@2021-01-01` beginnt am 2021-01-01",
                "die frühere Fassung",
                "`.rule my_rule` endet (2020-01-01) vor seinem Beginn (2021-01-01)",
                "Fehler[bad_annotation]: `remedy` braucht eine `decision`",
                "`finding` wird nur von annotierten Regeln abgeleitet",
            ],
            "error[bad_annotation]: `.rule my_rule` ends (2020-01-01) before it starts (2021-01-01)",
        ),
        (
            "cycle.dl",
            ".decl my_p(a: symbol)\n\
             .decl my_q(a: symbol)\n\
             my_p(A) :- activity(A, _, _, _, _, _), !my_q(A).\n\
             my_q(A) :- my_p(A).\n",
            &[
                "Fehler[cyclic_negation]: `my_p` hängt von der Negation von `my_q` ab, das wiederum von `my_p` abhängt",
                "hier negiert, innerhalb eines Zyklus",
                "= Zyklus (`a <- b`: a wird aus b abgeleitet): my_p <- !my_q <- my_p",
                "`my_q` liest hier `my_p` (Regel `",
                "= Hinweis: Negation muss stratifiziert sein",
            ],
            "error[cyclic_negation]: `my_p` depends on the negation of `my_q`",
        ),
    ];
    for (name, text, expected, english) in files {
        let rules = dir.path().join(name);
        std::fs::write(&rules, text).expect("write");
        let rules = rules.to_str().expect("utf-8");
        let (code, _, err) = sphere(&["check", model, "--rules", rules, "--lang", "de"]);
        assert_eq!(code, Some(2), "{name}: {err}");
        for e in expected {
            assert!(err.contains(e), "{name}: no `{e}` in:\n{err}");
        }
        let problems = english_in_errors(&err);
        assert!(
            problems.is_empty(),
            "{name}: {err}\n{}",
            problems.join("\n")
        );
        let (code, _, err) = sphere(&["check", model, "--rules", rules]);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains(english), "{name}: no `{english}` in:\n{err}");
        assert!(
            !err.contains("Fehler") && !err.contains("Hinweis"),
            "{name}: {err}"
        );
    }
}

/// A facts file with more problems than are shown ends in a note of how many were left out,
/// in German under `--lang de` and in English without it.
#[test]
fn the_problems_not_shown_are_counted_in_german() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let program = dir.path().join("p.dl");
    std::fs::write(
        &program,
        ".decl edge(a: number, b: symbol)\n.input edge\n.decl path(a: number, b: symbol)\n.output path\npath(A, B) :- edge(A, B).\n",
    )
    .expect("write");
    let facts = dir.path().join("facts");
    std::fs::create_dir(&facts).expect("mkdir");
    std::fs::write(facts.join("edge.facts"), "zwei\ty\n".repeat(25)).expect("write");
    let (program, facts) = (
        program.to_str().expect("utf-8"),
        facts.to_str().expect("utf-8"),
    );
    let (code, _, err) = sphere(&["eval", program, "-F", facts, "--lang", "de"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("= 5 weitere Probleme in `") && err.contains("` werden nicht gezeigt"),
        "{err}"
    );
    let problems = english_in_errors(&err);
    assert!(problems.is_empty(), "{err}\n{}", problems.join("\n"));
    let (code, _, err) = sphere(&["eval", program, "-F", facts]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("= 5 more problems in `") && err.contains("` are not shown"),
        "{err}"
    );
}

/// `check --stats --lang de` names its phases, counts, sizes and memory in German (seconds with
/// a decimal comma); the English `--stats` lines stay as they were.
#[test]
fn check_stats_are_german_under_lang_de() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s04_phone_call.json");
    let model = model.to_str().expect("utf-8");
    let (_, _, err) = sphere(&["check", model, "--stats", "--lang", "de"]);
    for expected in [
        "Modell in ",
        " s gelesen und geprüft",
        "112 Eingabefakten in ",
        " s ausgewertet",
        " Tupel in ",
        "Datenbank: ",
        " MB Indizes für Erklärungen, ",
        "Auswertung: ",
        " s Planen und Aufbauen der Indizes, ",
        "Regeln nach Zeit (Sekunden, erzeugte Kopftupel, Runden):",
        "8 Befunde in ",
    ] {
        assert!(err.contains(expected), "no `{expected}` in:\n{err}");
    }
    if cfg!(target_os = "linux") {
        assert!(
            err.contains("Speicher nach der Auswertung: belegt "),
            "{err}"
        );
    }
    assert!(
        !err.lines().any(|l| l.contains("0.")),
        "a decimal point in German: {err}"
    );
    // The tables' rows name relations and rules, which are the knowledge base's own words.
    let sentences: String = err
        .lines()
        .filter(|l| !l.starts_with(' '))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(sentences.lines().count() >= 9, "{err}");
    let problems = english_words(&sentences);
    assert!(problems.is_empty(), "{err}\n{}", problems.join("\n"));
    for english in [
        "model read and validated",
        "input facts loaded",
        "tuples in",
        "database:",
        "evaluation:",
        "rules by time",
        "findings collected",
        "memory after",
    ] {
        assert!(!err.contains(english), "`{english}` in:\n{err}");
    }
    let (_, _, err) = sphere(&["check", model, "--stats"]);
    for english in [
        "model read and validated in ",
        "112 input facts loaded in ",
        "database: ",
        "evaluation: ",
        "rules by time (seconds, head tuples produced, rounds):",
        "8 findings collected and explained in ",
    ] {
        assert!(err.contains(english), "no `{english}` in:\n{err}");
    }
}

/// A stdout that takes nothing (`/dev/full`) is said in German under `--lang de`, for text and
/// JSON output alike, and in English without it.
#[cfg(target_os = "linux")]
#[test]
fn a_stdout_that_takes_nothing_is_said_in_german() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s04_phone_call.json");
    let model = model.to_str().expect("utf-8");
    let run = |args: &[&str]| -> String {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
            .env("NO_COLOR", "1")
            .args(args)
            .stdout(full)
            .output()
            .expect("sphere runs");
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    for format in ["text", "json"] {
        let err = run(&["check", model, "--format", format, "--lang", "de"]);
        assert!(
            err.starts_with("Fehler: auf die Standardausgabe lässt sich nicht schreiben: "),
            "{format}: {err}"
        );
        // The system's own words for the failure (after the colon) are its own.
        let ours = err.rsplit_once(": ").map_or(err.as_str(), |(a, _)| a);
        let problems = english_in_errors(ours);
        assert!(problems.is_empty(), "{err}\n{}", problems.join("\n"));
        let err = run(&["check", model, "--format", format]);
        assert!(
            err.starts_with("error: cannot write to stdout: "),
            "{format}: {err}"
        );
    }
}
