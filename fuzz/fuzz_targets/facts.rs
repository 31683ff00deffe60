//! Feeds arbitrary bytes as the files of a facts export to the facts reader (`sphere check
//! --facts`) and, in Soufflé's dialect, to the reader of `sphere eval -F`: none of it may
//! panic; every problem must come back as a validation error with its file and line.
//!
//! Input: files separated by NUL bytes, each `<relation>\n<text of relation.facts>`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sphere_model::facts_io::{read_facts_texts, read_lines, Dialect};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
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
        Ok(facts) => {
            let _ = facts.len();
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            let _ = sphere_model::render(&errors);
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
});
