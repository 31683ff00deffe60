//! `sphere kb export` through the binary. The Soufflé export is held to sphere itself: the
//! exported `program.dl` and `.facts`, run by `sphere eval` (whose language is Soufflé's core),
//! give exactly the relations sphere's interpreter computes on the model (`--answer`). That
//! guards the syntax, the renaming and the precomputed built-ins; the clingo export is held to
//! clingo itself by `tests/export/check_clingo.py` in CI.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sphere(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .expect("the sphere binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("export")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch directory can be created");
    dir
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("scratch paths are UTF-8")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `<name>.csv` → sorted lines, for every file in `dir`.
fn relations(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for e in fs::read_dir(dir).expect("directory can be read") {
        let p = e.expect("entry").path();
        let mut lines: Vec<String> = fs::read_to_string(&p)
            .expect("file can be read")
            .lines()
            .map(str::to_string)
            .collect();
        lines.sort();
        out.insert(p.file_name().unwrap().to_string_lossy().into_owned(), lines);
    }
    out
}

#[test]
fn souffle_export_run_by_sphere_eval_gives_the_interpreters_relations() {
    for model in [
        "facts/demo_week.json",
        "facts/s04_phone_call.json",
        "facts/s10_newsletter_selection.json",
        "facts/s12_what_if_consent_clean.json",
    ] {
        let name = Path::new(model)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let dir = scratch(&format!("souffle-{name}"));
        let run = sphere(&["kb", "export", "--souffle", arg(&dir), "--answer", model]);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        assert!(
            text(&run.stderr).contains("fn_add_months"),
            "{}",
            text(&run.stderr)
        );
        let out = dir.join("out");
        let run = sphere(&[
            "eval",
            arg(&dir.join("program.dl")),
            "-F",
            arg(&dir),
            "-D",
            arg(&out),
        ]);
        assert_eq!(
            (run.status.code(), text(&run.stderr).as_str()),
            (Some(0), ""),
            "{model}"
        );
        let want = relations(&dir.join("answer"));
        let got = relations(&out);
        assert_eq!(
            want.keys().collect::<Vec<_>>(),
            got.keys().collect::<Vec<_>>(),
            "{model}: the same relations"
        );
        for (rel, rows) in &want {
            assert_eq!(rows, &got[rel], "{model}: relation {rel}");
        }
        // The clean variant has no findings; the others do, so the comparison covers them.
        assert_eq!(
            want["finding.csv"].is_empty(),
            model.ends_with("_clean.json"),
            "{model}: findings"
        );
    }
}

#[test]
fn clingo_export_writes_program_facts_and_shows_the_derived_relations() {
    let dir = scratch("clingo-demo");
    let run = sphere(&[
        "kb",
        "export",
        "--clingo",
        arg(&dir),
        "facts/demo_week.json",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        names,
        ["facts.lp", "program.lp"],
        "no answer without --answer, no temp files"
    );
    let program = fs::read_to_string(dir.join("program.lp")).unwrap();
    let facts = fs::read_to_string(dir.join("facts.lp")).unwrap();
    assert!(program.contains("#show finding/"), "finding is shown");
    assert!(!program.contains("#show activity/"), "inputs are not shown");
    assert!(
        program.contains("fn_add_months("),
        "@add_months reads its helper relation"
    );
    assert!(!program.contains('@'), "no built-in is left to clingo");
    assert!(facts.lines().any(|l| l.starts_with("fn_add_months(")));
    assert!(
        facts.contains("activity(\"act-week-call-karl\","),
        "model facts as strings"
    );
    // Rules keep their id as a comment, variables are V0.., negation is `not`.
    assert!(
        program.contains("% gdpr_art14_notice_overdue\n"),
        "rule ids as comments"
    );
    assert!(program.contains(" not "), "negation");
}

#[test]
fn export_errors_are_clear_and_write_nothing() {
    let dir = scratch("errors");
    let rules = dir.join("big.dl");
    fs::write(
        &rules,
        ".decl big_number(n: number)\nbig_number(3000000000).\n",
    )
    .unwrap();
    let out = dir.join("out");
    let run = sphere(&[
        "kb",
        "export",
        "--clingo",
        arg(&out),
        "--rules",
        arg(&rules),
        "facts/s04_phone_call.json",
    ]);
    assert_eq!(run.status.code(), Some(2));
    let err = text(&run.stderr);
    assert!(
        err.contains("error: cannot export for clingo: the number 3000000000 in a fact of `big_number` does not fit a 32-bit integer"),
        "{err}"
    );
    assert!(err.contains("hint: clingo integers are 32-bit"), "{err}");
    assert!(!out.exists(), "nothing written");

    let run = sphere(&["kb", "export", "facts/s04_phone_call.json"]);
    assert_eq!(run.status.code(), Some(2), "a target is required");
    assert!(
        text(&run.stderr).contains("--clingo"),
        "{}",
        text(&run.stderr)
    );

    let run = sphere(&[
        "kb",
        "export",
        "--clingo",
        arg(&out),
        "--souffle",
        arg(&out),
    ]);
    assert_eq!(run.status.code(), Some(2), "one target at a time");

    let run = sphere(&["kb", "export", "--clingo", arg(&out), "no/such/model.json"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(!out.exists(), "nothing written");
}

/// `--crepe` writes the crate `crates/kb-crepe` holds (built and held to `sphere check` by
/// `tests/export/check_crepe.py` in CI), as a workspace of its own; it takes no model.
#[test]
fn crepe_export_writes_the_committed_crate_as_a_workspace_of_its_own() {
    let dir = scratch("crepe");
    let out = sphere(&["kb", "export", "--crepe", arg(&dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let committed = repo().join("crates/kb-crepe");
    let mut compared = 0;
    for entry in fs::read_dir(committed.join("src")).expect("crates/kb-crepe/src") {
        let path = entry.expect("a file").path();
        let name = path.file_name().expect("a name").to_owned();
        let written = fs::read_to_string(dir.join("src").join(&name))
            .unwrap_or_else(|e| panic!("{name:?} written: {e}"));
        assert_eq!(
            written,
            fs::read_to_string(&path).expect("readable"),
            "{name:?}"
        );
        compared += 1;
    }
    assert!(compared > 8, "{compared} files");
    let manifest = fs::read_to_string(dir.join("Cargo.toml")).expect("a manifest");
    let theirs = fs::read_to_string(committed.join("Cargo.toml")).expect("a manifest");
    assert!(manifest.contains("\n[workspace]\n") && !theirs.contains("[workspace]"));
    assert!(dir.join("README.md").is_file());

    let with_model = sphere(&["kb", "export", "--crepe", arg(&dir), "facts/demo_week.json"]);
    assert_eq!(
        with_model.status.code(),
        Some(2),
        "{}",
        text(&with_model.stderr)
    );
}
