//! `sphere kb` through the binary: the rule tests of the repository pass with full coverage,
//! broken expectations and broken knowledge fail with the right exit code and a message that
//! names the place, lint output, and the generated catalogue `docs/knowledge.md`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sphere_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the sphere binary runs")
}

fn sphere(args: &[&str]) -> Output {
    sphere_in(repo(), args)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh, empty scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sphere-it-kb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create directory");
    for e in std::fs::read_dir(from).expect("read directory") {
        let p = e.expect("directory entry").path();
        let target = to.join(p.file_name().expect("file name"));
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).expect("copy file");
        }
    }
}

/// A copy of the repository's knowledge base in a scratch directory.
fn kb_copy(name: &str) -> PathBuf {
    let dir = scratch(name);
    copy_dir(&repo().join("knowledge"), &dir.join("knowledge"));
    dir
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("scratch paths are UTF-8")
}

#[test]
fn kb_test_passes_on_the_repository_with_full_coverage() {
    let out = sphere(&["kb", "test"]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert!(!stdout.contains("FAIL"), "{stdout}");
    let cov: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("coverage: "))
        .collect();
    assert_eq!(cov.len(), 2, "{stdout}");
    for line in cov {
        // "coverage: N of N ..." with both numbers equal.
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[1], words[3], "{line}");
    }
    assert!(stdout.trim_end().ends_with(" 0 failed"), "{stdout}");
}

#[test]
fn a_broken_expectation_fails_with_exit_1_and_shows_what_was_found() {
    let dir = kb_copy("broken-expectation");
    // The clean S4 file has no call finding: expecting one must fail, and expecting none on
    // a call that has one must fail too.
    std::fs::write(
        dir.join("knowledge/uwg/phone.test.json"),
        r#"{ "tests": [ {
            "name": "wrong on purpose",
            "model": ["facts/s04_phone_call_clean.json"],
            "expect": [ { "rule": "uwg_phone_without_consent", "activity": "act-s4-call", "decision": "block" } ]
        }, {
            "name": "also wrong",
            "model": ["facts/s04_phone_call.json"],
            "expect": [ { "rule": "uwg_phone_without_consent", "activity": "act-s4-call-2021", "norms": ["uwg:7.2.1@2022-05-28"] } ],
            "expect_not": [ { "rule": "uwg_phone_without_consent", "activity": "act-s4-call" } ]
        } ] }"#,
    )
    .expect("write test file");
    let kb = dir.join("knowledge");
    let out = sphere(&["kb", "test", "--kb", arg(&kb), "--root", ".", "uwg/phone"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("FAIL  "), "{stdout}");
    assert!(
        stdout.contains("phone.test.json: wrong on purpose"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expected ($.tests[0].expect[0]): uwg_phone_without_consent activity act-s4-call decision block"),
        "{stdout}"
    );
    assert!(
        stdout.contains("found: no finding of this rule"),
        "{stdout}"
    );
    // The version pinned in the expectation is not the one cited on 2021-09-14.
    assert!(
        stdout.contains("found: uwg_phone_without_consent activity act-s4-call-2021 subject subj-karl-kaufmann on 2021-09-14 norms uwg:7.2.2@2008-12-30 decision breach"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expected not ($.tests[1].expect_not[0]): uwg_phone_without_consent activity act-s4-call"),
        "{stdout}"
    );
    assert!(stdout.contains("2 tests: 0 passed, 2 failed"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_rule_without_tests_breaks_coverage() {
    let dir = kb_copy("coverage");
    std::fs::remove_file(dir.join("knowledge/uwg/hidden.test.json")).expect("remove test file");
    let kb = dir.join("knowledge");
    let out = sphere(&["kb", "test", "--kb", arg(&kb), "--root", "."]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(!stdout.contains("FAIL"), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("uwg_hidden_commercial_communication (finding, ")
        })
        .unwrap_or_else(|| panic!("no coverage line for the rule:\n{stdout}"));
    assert!(line.contains("hidden.dl:"), "{line}");
    assert!(
        line.ends_with("never fires and is never shown not firing"),
        "{line}"
    );
    assert!(stdout.contains("coverage is not full"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_test_file_is_an_error_with_json_path_and_hint() {
    let dir = kb_copy("malformed");
    std::fs::write(
        dir.join("knowledge/uwg/phone.test.json"),
        r#"{ "tests": [ { "name": "t", "model": ["facts/nope.json"],
            "expect": [ { "rule": "uwg_phone_without_consnt", "activty": "x", "norms": ["uwg:77"] } ] } ] }"#,
    )
    .expect("write test file");
    let kb = dir.join("knowledge");
    let out = sphere(&["kb", "test", "--kb", arg(&kb), "--root", "."]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("phone.test.json: $.tests[0].expect[0].activty: unknown key `activty`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: did you mean `activity`?"),
        "{stderr}"
    );

    // Once the file parses, names are checked against the knowledge base and the disk.
    std::fs::write(
        dir.join("knowledge/uwg/phone.test.json"),
        r#"{ "tests": [ { "name": "t", "model": ["facts/nope.json"],
            "expect": [ { "rule": "uwg_phone_without_consnt", "norms": ["uwg:77"] } ] } ] }"#,
    )
    .expect("write test file");
    let out = sphere(&["kb", "test", "--kb", arg(&kb), "--root", "."]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("$.tests[0].model[0]: model file `facts/nope.json` not found"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "$.tests[0].expect[0].rule: no finding or exception rule `uwg_phone_without_consnt`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: did you mean `uwg_phone_without_consent`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("$.tests[0].expect[0].norms[0]: no norm in the catalogue matches `uwg:77`"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kb_check_summarises_a_good_kb_and_exits_2_on_a_mistake() {
    let out = sphere(&["kb", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("ok: "), "{stdout}");
    assert!(stdout.contains(" authorities, "), "{stdout}");

    let dir = kb_copy("check");
    let phone = dir.join("knowledge/uwg/phone.dl");
    let mut src = std::fs::read_to_string(&phone).expect("read phone.dl");
    src.push_str("\nfinding(A, S, D) :- phone_ad(A, S, D), no_such_relation(S).\n");
    std::fs::write(&phone, src).expect("write phone.dl");
    let out = sphere_in(&dir, &["kb", "check", "--kb", "knowledge"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no_such_relation"), "{stderr}");
    assert!(stderr.contains("knowledge/uwg/phone.dl:"), "{stderr}");
    assert!(
        stderr.contains("the knowledge base has 1 error(s)"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small knowledge base with one instance of every lint.
const LINT_KB: &str = r#"
.decl act(a: symbol, d: date)
.input act

.norm "gdpr:6.1" {
    de: "Art. 6 Abs. 1 DSGVO", en: "Art. 6(1) GDPR", title: "Lawfulness",
    from: 2018-05-25, source: "Official Journal L 119",
}
.norm "uwg:7.2.3" {
    de: "§ 7 Abs. 2 Nr. 3 UWG a.F.", en: "Section 7(2) no. 3 UWG (old numbering)",
    title: "E-mail advertising", from: 2008-12-30, to: 2022-05-27,
    source: "https://www.gesetze-im-internet.de/uwg_2004/__7.html",
}

.authority bgh_i_zr_164_09 {
    kind: ruling, issuer: "BGH", case: "I ZR 164/09", date: 2011-02-10,
    holding: "The advertiser must prove each consent",
    url: "https://juris.bundesgerichtshof.de/",
}

.rule tested {
    norms: ["gdpr:6.1"], severity: high, decision: block,
    message: { en: "m", de: "m" }, remedy: { en: "r", de: "r" },
}
finding(A, A, D) :- act(A, D).

.rule too_late {
    norms: ["uwg:7.2.3@2008-12-30"], severity: low, decision: warn, from: 2023-01-01,
    message: { en: "m", de: "m" }, remedy: { en: "r", de: "r" },
}
finding(A, A, D) :- act(A, D).
"#;

#[test]
fn kb_lint_warns_with_file_line_and_column() {
    let dir = scratch("lint");
    std::fs::create_dir_all(dir.join("knowledge/x")).expect("create kb");
    std::fs::write(dir.join("knowledge/x/rules.dl"), LINT_KB).expect("write kb");
    std::fs::write(
        dir.join("knowledge/x/rules.test.json"),
        r#"{ "tests": [ { "name": "t", "model": ["m.json"], "expect": [ { "rule": "tested" } ] } ] }"#,
    )
    .expect("write tests");
    let out = sphere_in(&dir, &["kb", "lint", "--kb", "knowledge"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!(text(&out.stdout));
    let strict = sphere_in(
        &dir,
        &["kb", "lint", "--kb", "knowledge", "--deny-warnings"],
    );
    assert_eq!(strict.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kb_show_prints_every_version_and_the_citing_rules() {
    let out = sphere(&["kb", "show", "uwg:7.2.2"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // One id, two provisions: the phone rule until the renumbering, the e-mail rule after.
    assert!(stdout.contains("uwg:7.2.2@2008-12-30"), "{stdout}");
    assert!(stdout.contains("uwg:7.2.2@2022-05-28"), "{stdout}");
    assert!(
        stdout.contains("uwg_phone_without_consent (finding)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("uwg_email_without_consent (finding)"),
        "{stdout}"
    );
    let missing = sphere(&["kb", "show", "uwg:7.2.22"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no norm `uwg:7.2.22` in the catalogue"));
}

#[test]
fn kb_list_names_every_annotated_rule() {
    let out = sphere(&["kb", "list"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let line = stdout
        .lines()
        .find(|l| l.starts_with("uwg_phone_b2b_presumed_consent "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("exception"), "{line}");
    assert!(line.contains("to uwg_phone_without_consent"), "{line}");
}

/// `docs/knowledge.md` is generated from the knowledge base and its tests; this fails when
/// it is stale. `UPDATE_GENERATED=1 cargo test -p sphere --test it kb::` rewrites it.
#[test]
fn docs_knowledge_md_is_up_to_date() {
    let out = sphere(&["kb", "doc"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let fresh = text(&out.stdout);
    let path = repo().join("docs/knowledge.md");
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &fresh).expect("write docs/knowledge.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/knowledge.md is stale: run `UPDATE_GENERATED=1 cargo test -p sphere --test it kb::` (or `sphere kb doc > docs/knowledge.md`) and commit it"
    );
}
