//! The `sphere-facts/1` directory: write, read back, and reject what does not fit.

use std::path::PathBuf;

use sphere_model::facts_io::{escape, unescape};
use sphere_model::{extract, read_facts_dir, write_facts_dir, FactValue, Facts};

use crate::load;

/// A fresh directory under the build's temporary area, removed by the caller's guard.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("sphere-model-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn values(f: &Facts) -> Vec<(String, Vec<Vec<FactValue>>)> {
    f.relations()
        .map(|(k, rows)| (k.to_string(), rows.iter().map(|r| r.0).collect()))
        .collect()
}

#[test]
fn export_then_read_gives_the_same_facts() {
    let mut model = load(&["valid/full.json"]).expect("valid");
    // Text with every character that needs escaping survives the round trip.
    model.guidelines[0].text = "tab\there\nnew line \\ backslash \\t literal\r".into();
    let mut facts = extract(&model);
    facts.sort();
    let dir = TempDir::new("roundtrip");
    let n = write_facts_dir(&facts, &dir.0).expect("writes");
    // One file per relation, FORMAT and MANIFEST.
    assert_eq!(n, sphere_model::input_relations().len() + 2);
    let back = read_facts_dir(&dir.0).unwrap_or_else(|e| panic!("{}", sphere_model::render(&e)));
    assert_eq!(values(&back), values(&facts));
    // Every declared relation has a file, also the empty ones, and FORMAT names the version.
    assert_eq!(
        std::fs::read_to_string(dir.0.join("FORMAT")).expect("FORMAT"),
        "sphere-facts/1\n"
    );
    let guideline =
        std::fs::read_to_string(dir.0.join("guideline.facts")).expect("guideline.facts");
    assert!(
        guideline
            .contains("no_marketing_dm\ttab\\there\\nnew line \\\\ backslash \\\\t literal\\r\n"),
        "{guideline}"
    );
    // Every file is sorted, so exports diff well.
    for rel in sphere_model::input_relations() {
        let text =
            std::fs::read_to_string(dir.0.join(format!("{}.facts", rel.name))).expect("file");
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines.windows(2).all(|w| w[0] <= w[1]),
            "{} is not sorted",
            rel.name
        );
    }
    // Writing again over an earlier export works and leaves no temporary files.
    write_facts_dir(&facts, &dir.0).expect("rewrites");
    let stray: Vec<_> = std::fs::read_dir(&dir.0)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(stray.is_empty(), "temporary files left: {stray:?}");
}

#[test]
fn escapes_round_trip_and_bad_escapes_are_refused() {
    for s in [
        "plain",
        "a\tb",
        "line\nbreak",
        "back\\slash",
        "\\t",
        "\r\n",
        "",
    ] {
        assert_eq!(unescape(&escape(s)).expect("round trip"), s);
    }
    assert!(unescape("bad \\x escape").is_err());
    assert!(unescape("trailing \\").is_err());
}

#[test]
fn a_bad_facts_directory_reports_file_and_line() {
    let dir = TempDir::new("bad");
    std::fs::create_dir_all(&dir.0).expect("mkdir");
    std::fs::write(dir.0.join("FORMAT"), "sphere-facts/1\n").expect("write");
    std::fs::write(dir.0.join("activity.facts"), "a1\tcollect\tdone\t2025-06-02\tsandra\tservice\na2\tcollect\tdone\t2025-02-30\tsandra\tservice\na3\tcollect\n").expect("write");
    std::fs::write(dir.0.join("subject_age.facts"), "karl\tfifty\n").expect("write");
    std::fs::write(dir.0.join("activites.facts"), "").expect("write");
    let errors = read_facts_dir(&dir.0).expect_err("three problems");
    let shown: Vec<String> = errors
        .iter()
        .map(|e| {
            let file = std::path::Path::new(&e.file)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{} {file} {:?}: {}", e.kind.code(), e.place, e.message)
        })
        .collect();
    insta::assert_snapshot!("bad_facts_dir", shown.join("\n"));
}

#[test]
fn a_directory_that_is_not_a_facts_export_is_not_overwritten() {
    let dir = TempDir::new("foreign");
    std::fs::create_dir_all(&dir.0).expect("mkdir");
    std::fs::write(dir.0.join("notes.txt"), "mine").expect("write");
    let facts = extract(&load(&["valid/full.json"]).expect("valid"));
    let e = write_facts_dir(&facts, &dir.0).expect_err("refused");
    assert!(e.message.contains("not a facts directory"), "{e}");
    assert_eq!(std::fs::read_dir(&dir.0).expect("dir").count(), 1);
    let e = read_facts_dir(&dir.0).expect_err("no FORMAT");
    assert_eq!(e[0].kind.code(), "io");
}
