//! The two evaluators are one semantics: every model in `facts/`, every model fixture that
//! validates, and generated models give the same relations and byte-identical
//! `sphere check --format json --tree` documents (findings, messages and derivation trees,
//! except the `engine` field) under the interpreter and the compiled knowledge base.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sphere::cli::check::json_document;
use sphere::findings::{self, Lang};
use sphere::kb;
use sphere::session::{Evaluator, Request, Session};
use sphere_engine::ir::RelId;
use sphere_engine::Date;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn request(models: Vec<PathBuf>) -> Request {
    Request {
        models,
        facts_dir: None,
        as_of: None,
        kb: kb::Origin::Shipped,
        rules: Vec::new(),
        assume: Vec::new(),
        // Fixed, so a model without `as_of` gives the same result every day.
        today: Date::parse("2025-06-16").expect("a date"),
        color: false,
    }
}

/// Both engines on one model: the first difference, or `None`. `Err` when the model does not
/// load (invalid fixtures).
fn compare(models: Vec<PathBuf>) -> Result<Option<String>, String> {
    let session = Session::load(&request(models)).map_err(|f| f.rendered)?;
    // Only a model that does not load is `Err`; an engine that fails is a difference.
    let (a, oa) = match session.evaluate_with(Evaluator::Interpreted) {
        Ok(r) => r,
        Err(e) => return Ok(Some(format!("interpreter: {e}"))),
    };
    let (b, ob) = match session.evaluate_with(Evaluator::Compiled) {
        Ok(r) => r,
        Err(e) => return Ok(Some(format!("compiled: {e}"))),
    };
    for i in 0..session.program.relations.len() {
        let rel = RelId(i as u32);
        let name = &session.program.relation(rel).name;
        let (ta, tb) = (a.tuples(rel), b.tuples(rel));
        // Symbols made at run time (cat, to_string) may have other ids: compare as text.
        let text = |ev: &sphere_engine::eval::Evaluation<'_>, ts: &[Vec<sphere_engine::Value>]| {
            ts.iter()
                .map(|t| {
                    t.iter()
                        .map(|v| sphere_engine::value::display(*v, ev.interner()))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect::<Vec<_>>()
        };
        if text(&a, &ta) != text(&b, &tb) {
            return Ok(Some(format!(
                "relation {name}: interpreter {} tuples, compiled {}",
                ta.len(),
                tb.len()
            )));
        }
    }
    for lang in [Lang::En, Lang::De] {
        let opts = findings::Options { lang, tree: true };
        let fa = findings::collect(&a, &oa, &opts);
        let fb = findings::collect(&b, &ob, &opts);
        let ja = serde_json::to_string_pretty(&json_document(&session, &fa, "either"))
            .expect("findings serialise");
        let jb = serde_json::to_string_pretty(&json_document(&session, &fb, "either"))
            .expect("findings serialise");
        if ja != jb {
            let line = ja
                .lines()
                .zip(jb.lines())
                .position(|(x, y)| x != y)
                .unwrap_or(0);
            return Ok(Some(format!(
                "findings ({lang:?}) differ from line {}: interpreter `{}`, compiled `{}`",
                line + 1,
                ja.lines().nth(line).unwrap_or(""),
                jb.lines().nth(line).unwrap_or("")
            )));
        }
    }
    Ok(None)
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[test]
fn demo_models_agree() {
    let mut files = Vec::new();
    json_files(&root().join("facts"), &mut files);
    files.sort();
    assert!(files.len() >= 20, "the demo models are missing");
    let mut failures = Vec::new();
    for f in &files {
        match compare(vec![f.clone()]) {
            Ok(None) => {}
            Ok(Some(d)) => failures.push(format!("{}: {d}", f.display())),
            Err(e) => failures.push(format!("{}: does not load: {e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fixture_models_that_validate_agree() {
    let mut files = Vec::new();
    json_files(&root().join("tests/fixtures"), &mut files);
    files.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for f in &files {
        match compare(vec![f.clone()]) {
            Ok(None) => checked += 1,
            Ok(Some(d)) => failures.push(format!("{}: {d}", f.display())),
            // Invalid on purpose: nothing to evaluate.
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 0, "no fixture model validated");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn generated_models_agree(subjects in 1u32..40, activities in 0u32..120, seed in any::<u64>()) {
        let cfg = sphere_model::gen::GenConfig::new(subjects, activities, seed);
        let path = std::env::temp_dir().join(format!(
            "sphere-parity-{}-{subjects}-{activities}-{seed}.json",
            std::process::id()
        ));
        let file = std::fs::File::create(&path).expect("temp file");
        sphere_model::gen::write_model(&cfg, file).expect("model written");
        let result = compare(vec![path.clone()]);
        let _ = std::fs::remove_file(&path);
        prop_assert_eq!(result, Ok(None));
    }
}
