//! Replays the model fuzzer's corpus (`fuzz/corpus/model/`) through the loader, validation and
//! fact extraction, so CI guards every input the fuzzer kept without running the fuzzer.

use std::path::Path;

#[test]
fn fuzz_corpus_never_panics_the_loader() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/model");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("fuzz/corpus/model exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    assert!(entries.len() >= 30, "the corpus holds the seeds at least");
    let today = sphere_model::Date::parse("2025-06-16").expect("date");
    let (mut ok, mut rejected) = (0, 0);
    for path in entries {
        let bytes = std::fs::read(&path).expect("readable corpus file");
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        match sphere_model::load_texts(&[("fuzz.json", text)], today) {
            Ok(model) => {
                let _ = sphere_model::extract::extract(&model);
                ok += 1;
            }
            Err(errors) => {
                assert!(
                    !errors.is_empty(),
                    "{}: rejected without a reason",
                    path.display()
                );
                let _ = sphere_model::render(&errors);
                rejected += 1;
            }
        }
    }
    // The seeds include valid demo models and one invalid fixture per error class.
    assert!(ok > 0 && rejected > 0, "ok {ok}, rejected {rejected}");
}

/// Replays the facts fuzzer's corpus (`fuzz/corpus/facts/`): files separated by NUL bytes,
/// each `<relation>\n<text>`, through the reader of facts exports and Soufflé's dialect.
#[test]
fn facts_fuzz_corpus_never_panics_the_reader() {
    use sphere_model::facts_io::{read_facts_texts, read_lines, Dialect};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/facts");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("fuzz/corpus/facts exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    assert!(entries.len() >= 30, "the corpus holds the seeds at least");
    let (mut ok, mut rejected) = (0, 0);
    for path in entries {
        let bytes = std::fs::read(&path).expect("readable corpus file");
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let files: Vec<(String, &str)> = text
            .split('\0')
            .map(|part| {
                let (name, body) = part.split_once('\n').unwrap_or((part, ""));
                (format!("export/{name}.facts"), body)
            })
            .collect();
        let refs: Vec<(&str, &str)> = files.iter().map(|(f, t)| (f.as_str(), *t)).collect();
        match read_facts_texts(&refs) {
            Ok(_) => ok += 1,
            Err(errors) => {
                assert!(!errors.is_empty(), "{}", path.display());
                let _ = sphere_model::render(&errors);
                rejected += 1;
            }
        }
        for (file, body) in &files {
            let name = file
                .trim_start_matches("export/")
                .trim_end_matches(".facts");
            if let Some(rel) = sphere_model::input_relations()
                .iter()
                .find(|r| r.name == name)
            {
                let types: Vec<_> = rel.columns.iter().map(|(_, t)| *t).collect();
                read_lines(body, &types, Dialect::Souffle, |_, _| {});
            }
        }
    }
    // The seeds are the demo exports (valid) and one broken export per class of problem.
    assert!(ok > 0 && rejected > 0, "ok {ok}, rejected {rejected}");
}
