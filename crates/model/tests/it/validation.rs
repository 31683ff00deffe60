//! One fixture per class of problem under `tests/fixtures/model/invalid/`, each with a
//! snapshot of its rendered messages; merge conflicts; ten mistakes at once.

use sphere_model::ErrorKind;

use crate::{check, load, root};

/// Every fixture in `invalid/` is named after the error code it must produce, and produces
/// only errors of that code; its messages are pinned by a snapshot.
#[test]
fn each_invalid_fixture_reports_its_class_and_only_it() {
    let dir = root().join("tests/fixtures/model/invalid");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the fixture directory exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 14, "a fixture per class, found {names:?}");
    for name in names {
        let code = name.trim_end_matches(".json");
        let rel = format!("invalid/{name}");
        let errors = load(&[&rel]).expect_err(&rel);
        for e in &errors {
            assert_eq!(e.kind.code(), code, "{rel}: unexpected error\n{e}");
        }
        insta::with_settings!({ snapshot_suffix => code, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("invalid", check(&[&rel]));
        });
    }
}

#[test]
fn ten_mistakes_give_ten_errors_of_ten_kinds() {
    let errors = load(&["ten_mistakes.json"]).expect_err("ten mistakes");
    let mut kinds: Vec<ErrorKind> = errors.iter().map(|e| e.kind).collect();
    assert_eq!(errors.len(), 10, "{}", sphere_model::render(&errors));
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds.len(), 10, "ten different kinds: {kinds:?}");
    insta::assert_snapshot!("ten_mistakes", check(&["ten_mistakes.json"]));
}

#[test]
fn the_full_example_and_every_demo_model_validate() {
    let model =
        load(&["valid/full.json"]).unwrap_or_else(|e| panic!("{}", sphere_model::render(&e)));
    assert_eq!(model.activities.len(), 5);
    assert_eq!(model.organization.id, "optik");
    let facts = root().join("facts");
    let mut n = 0;
    for entry in std::fs::read_dir(&facts).expect("facts/ exists") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            n += 1;
            if let Err(e) = sphere_model::load_paths(&[&path], crate::today()) {
                panic!("{}:\n{}", path.display(), sphere_model::render(&e));
            }
        }
    }
    assert!(n > 0, "no demo models found under facts/");
}

#[test]
fn fragments_merge_with_references_across_files() {
    let model = load(&["merge/base.json", "merge/activities.json"])
        .unwrap_or_else(|e| panic!("{}", sphere_model::render(&e)));
    assert_eq!(model.activities.len(), 1);
    assert_eq!(model.subjects.len(), 1);
    // Provenance points into the file the object came from, with its index there.
    let o = model
        .provenance
        .origin(sphere_model::Section::Activities, 0);
    assert_eq!(
        (o.file.as_str(), o.path.as_str()),
        ("merge/activities.json", "$.activities[0]")
    );
    assert_eq!(model.provenance.organization().file, "merge/base.json");
}

#[test]
fn merge_conflicts_are_reported_with_both_files() {
    insta::assert_snapshot!(
        "merge_as_of_conflict",
        check(&["merge/base.json", "merge/other_as_of.json"])
    );
    insta::assert_snapshot!(
        "merge_second_organization",
        check(&["merge/base.json", "merge/second_organization.json"])
    );
    insta::assert_snapshot!(
        "merge_duplicate_across_files",
        check(&["merge/base.json", "merge/duplicate_subject.json"])
    );
    insta::assert_snapshot!("merge_fragment_alone", check(&["merge/activities.json"]));
}

#[test]
fn as_of_defaults_to_the_day_given_by_the_caller() {
    let text = crate::fixture_text("merge/base.json").replace("\"as_of\": \"2025-06-16\",", "");
    assert!(!text.contains("\"as_of\""));
    let model = sphere_model::load_texts(&[("base.json", &text)], crate::today()).expect("valid");
    assert_eq!(model.as_of, crate::today());
}

/// Regression guard for the placeholders of the loader: a broken object is still checked
/// for references, so one run shows both problems.
#[test]
fn a_broken_object_still_has_its_references_checked() {
    let text = crate::fixture_text("merge/base.json").replace(
        "\"subjects\": [",
        "\"activities\": [{\"id\": \"a\", \"kind\": \"collect\", \"date\": \"2025-13-01\", \"by\": \"ghost\", \"purpose\": \"service\"}],\n  \"subjects\": [",
    );
    let errors =
        sphere_model::load_texts(&[("m.json", &text)], crate::today()).expect_err("two problems");
    let codes: Vec<&str> = errors.iter().map(|e| e.kind.code()).collect();
    assert_eq!(codes, ["bad_date", "dangling_reference"]);
}

#[test]
fn non_objects_and_garbage_never_panic() {
    for text in [
        "",
        "[]",
        "null",
        "42",
        "{\"format\": 1}",
        "{\"activities\": [1, null, []]}",
        "{\"organization\": []}",
        "\u{feff}{}",
    ] {
        let r = sphere_model::load_texts(&[("x.json", text)], crate::today());
        assert!(r.is_err(), "{text:?} must not validate");
    }
}
