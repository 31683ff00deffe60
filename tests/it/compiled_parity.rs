//! The two evaluators are one semantics: every model in `facts/`, every model fixture that
//! validates, and generated models give the same relations and byte-identical
//! `sphere check --format json --tree` documents (findings, messages and derivation trees,
//! except the `engine` field) under the interpreter and the compiled knowledge base.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sphere::render::json;
use sphere::{Date, Engine, EvalOptions, KnowledgeBase, Lang, Model};
use sphere_engine::ir::RelId;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped knowledge base, compiled once for every comparison.
fn kb() -> &'static KnowledgeBase {
    static KB: std::sync::OnceLock<KnowledgeBase> = std::sync::OnceLock::new();
    KB.get_or_init(|| KnowledgeBase::shipped().expect("the shipped knowledge base compiles"))
}

/// Both engines on one model: the first difference, or `None`. `Err` when the model does not
/// load (invalid fixtures).
fn compare(models: Vec<PathBuf>) -> Result<Option<String>, String> {
    // Fixed, so a model without `as_of` gives the same result every day.
    let today = Date::parse("2025-06-16").expect("a date");
    let model = Model::from_files(&models, today).map_err(|e| e.render(false))?;
    let kb = kb();
    let run = |engine| {
        kb.evaluate(
            &model,
            &EvalOptions {
                engine,
                ..EvalOptions::default()
            },
        )
    };
    // Only a model that does not load is `Err`; an engine that fails is a difference.
    let oa = match run(Engine::Interpreted) {
        Ok(r) => r,
        Err(e) => return Ok(Some(format!("interpreter: {e}"))),
    };
    let ob = match run(Engine::Compiled) {
        Ok(r) => r,
        Err(e) => return Ok(Some(format!("compiled: {e}"))),
    };
    if ob.engine() != Engine::Compiled || !ob.notes().is_empty() {
        return Ok(Some(format!(
            "the compiled engine did not run: {:?}",
            ob.notes()
        )));
    }
    let (a, b) = (oa.evaluation(), ob.evaluation());
    let program = kb.program();
    for i in 0..program.relations.len() {
        let rel = RelId(i as u32);
        let name = &program.relation(rel).name;
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
        if text(a, &ta) != text(b, &tb) {
            return Ok(Some(format!(
                "relation {name}: interpreter {} tuples, compiled {}",
                ta.len(),
                tb.len()
            )));
        }
    }
    for lang in [Lang::En, Lang::De] {
        let opts = json::Options {
            lang,
            tree: true,
            suppressed: true,
        };
        // Everything but the `engine` field.
        let doc = |o: &sphere::Outcome<'_>| {
            let mut d = json::document(o, &opts);
            d["engine"] = "either".into();
            json::pretty(&d)
        };
        let (ja, jb) = (doc(&oa), doc(&ob));
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

/// The `sphere check --format json --tree` document of `outcome`, suppressed findings too.
fn tree_document(outcome: &sphere::Outcome<'_>) -> String {
    json::pretty(&json::document(
        outcome,
        &json::Options {
            lang: Lang::En,
            tree: true,
            suppressed: true,
        },
    ))
}

/// Extraction writes a model's facts straight into the database (numbering symbols in model
/// order); facts kept apart (extracted before, as a session or an export holds them) are
/// replayed relation by relation. Both give the same findings and the same derivations, with
/// the same file and JSON path for every input fact; an evaluation that keeps no origins
/// (`evaluate_once`) gives the same findings.
#[test]
fn facts_extracted_straight_or_replayed_give_the_same_document() {
    let mut files = Vec::new();
    json_files(&root().join("facts"), &mut files);
    files.sort();
    assert!(files.len() >= 20, "the demo models are missing");
    let today = Date::parse("2025-06-16").expect("a date");
    let kb = kb();
    let opts = EvalOptions::default();
    let mut origins = 0;
    for f in &files {
        let straight = Model::from_files(std::slice::from_ref(f), today).expect("a demo model");
        let kept = straight.clone();
        // Extracted now, so the evaluation replays the kept facts.
        assert!(!kept.facts().is_empty());
        let a = kb.evaluate(&straight, &opts).expect("evaluates");
        let b = kb.evaluate(&kept, &opts).expect("evaluates");
        let (da, db) = (tree_document(&a), tree_document(&b));
        assert_eq!(da, db, "{}: straight and replayed differ", f.display());
        origins += da.matches("\"origin\"").count();
        let once = kb
            .evaluate_once(straight.clone(), &opts)
            .expect("evaluates");
        assert_eq!(
            a.findings(),
            once.findings(),
            "{}: evaluate_once differs",
            f.display()
        );
        assert_eq!(a.suppressed(), once.suppressed(), "{}", f.display());
        assert_eq!(a.input_facts(), once.input_facts(), "{}", f.display());
        assert_eq!(a.input_facts(), b.input_facts(), "{}", f.display());
    }
    assert!(
        origins > 100,
        "the documents name where input facts came from"
    );
}
