//! `sphere eval`: diagnostics, the Soufflé-style `.facts`/`.csv` round trip, `--json`,
//! `--explain` and `--why-not`, run through the built binary.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A fresh, empty directory for one test (under Cargo's per-target scratch directory), so
/// paths in diagnostics are relative and snapshots do not depend on the machine.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("eval")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch directory can be created");
    dir
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("parent directory can be created");
    }
    fs::write(path, text).expect("test file can be written");
}

fn sphere(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sphere binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    pipe.write_all(stdin.unwrap_or("").as_bytes())
        .expect("stdin can be written");
    drop(pipe);
    let out = child.wait_with_output().expect("sphere finishes");
    Run {
        code: out
            .status
            .code()
            .expect("sphere exits normally, not by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn pretty(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).expect("stdout is one JSON value");
    serde_json::to_string_pretty(&v).expect("JSON values serialise")
}

/// `{"relations": ...}` with one relation per line, for snapshots that read like a table.
fn relations_table(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).expect("stdout is one JSON value");
    let relations = v["relations"].as_object().expect("relations is an object");
    relations
        .iter()
        .map(|(name, rows)| format!("{name}: {rows}\n"))
        .collect()
}

const PATH_PROGRAM: &str = "\
.decl edge(x: number, y: number)
.input edge
.decl label(x: number, name: symbol)
.input label
.decl path(x: number, y: number)
.output path
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
.decl named_path(a: symbol, b: symbol)
.output named_path
named_path(A, B) :- path(X, Y), label(X, A), label(Y, B).
";

#[test]
fn three_mistakes_show_three_carets_and_exit_2() {
    let dir = scratch("three_mistakes");
    write(
        &dir,
        "bad.dl",
        "\
.decl edge(x: number, y: number)
.decl path(x: number, y: number)
path(X, Y) :- edge(X, Y, 3).
path(X, Z) :- path(X, Y), edeg(Y, Z).
path(X, W) :- edge(X, _).
",
    );
    let run = sphere(&dir, &["eval", "bad.dl"], None);
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    assert_eq!(
        run.stdout, "",
        "nothing is evaluated, so nothing is printed"
    );
    assert_eq!(run.stderr.matches("error[").count(), 3);
    let caret_lines = run.stderr.lines().filter(|l| l.contains('^')).count();
    assert_eq!(
        caret_lines, 3,
        "one caret line per mistake:\n{}",
        run.stderr
    );
    for place in ["bad.dl:3:", "bad.dl:4:", "bad.dl:5:"] {
        assert!(
            run.stderr.contains(place),
            "{place} missing:\n{}",
            run.stderr
        );
    }
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn facts_in_csv_out_round_trip() {
    let dir = scratch("round_trip");
    write(&dir, "path.dl", PATH_PROGRAM);
    // Unsorted, with a duplicate, a CRLF line ending and a blank line.
    write(&dir, "in/edge.facts", "3\t4\n1\t2\r\n2\t3\n\n1\t2\n");
    write(&dir, "in/label.facts", "1\tBerlin\n4\tRome, Lazio\n");
    let run = sphere(&dir, &["eval", "path.dl", "-F", "in", "-D", "out"], None);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(run.stdout, "", "with -D the results go to files only");
    let path_csv = fs::read_to_string(dir.join("out/path.csv")).expect("path.csv is written");
    assert_eq!(path_csv, "1\t2\n1\t3\n1\t4\n2\t3\n2\t4\n3\t4\n");
    let named = fs::read_to_string(dir.join("out/named_path.csv")).expect("named_path.csv");
    assert_eq!(named, "Berlin\tRome, Lazio\n");
    let mut files: Vec<String> = fs::read_dir(dir.join("out"))
        .expect("out exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["named_path.csv", "path.csv"],
        "only .output relations are written, and no temporary file is left behind"
    );

    // The written relation, read back as facts, gives the same relation.
    write(&dir, "again_in/path.facts", &path_csv);
    write(
        &dir,
        "copy.dl",
        ".decl path(x: number, y: number)\n.input path\n.decl again(x: number, y: number)\n\
         .output again\nagain(X, Y) :- path(X, Y).\n",
    );
    let run = sphere(
        &dir,
        &["eval", "copy.dl", "-F", "again_in", "-D", "back"],
        None,
    );
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let again = fs::read_to_string(dir.join("back/again.csv")).expect("again.csv");
    assert_eq!(again, path_csv);
}

#[test]
fn without_output_dir_outputs_are_printed_sorted() {
    let dir = scratch("print");
    write(&dir, "path.dl", PATH_PROGRAM);
    write(&dir, "facts/edge.facts", "2\t3\n1\t2\n");
    let run = sphere(&dir, &["eval", "path.dl", "-F", "facts"], None);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    // `label.facts` is missing: an empty relation, so `named_path` is empty.
    assert_eq!(
        run.stdout,
        "# named_path(a, b)\n\n# path(x, y)\n1\t2\n1\t3\n2\t3\n"
    );
}

#[test]
fn bad_facts_lines_name_file_line_and_column() {
    let dir = scratch("bad_facts");
    write(&dir, "path.dl", PATH_PROGRAM);
    write(&dir, "facts/edge.facts", "1\t2\n2\tthree\n3\t4\t5\n");
    let run = sphere(&dir, &["eval", "path.dl", "-F", "facts"], None);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("facts/edge.facts:2:3"),
        "the bad value `three` is on line 2, column 3:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("facts/edge.facts:3:1"),
        "{}",
        run.stderr
    );
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn json_success_lists_every_relation() {
    let dir = scratch("json_ok");
    let input = r#"{
        "facts": {"edge": [[2, 3], [1, 2]], "name": [[1, "one"], [3, "three"], [4, "four"]]},
        "rules": [
            "path(X, Y) :- edge(X, Y)",
            "path(X, Z) :- path(X, Y), edge(Y, Z).",
            "named(A, B) :- path(X, Y), name(X, A), name(Y, B)",
            "lonely(X) :- name(X, _), !edge(X, _), !edge(_, X)",
            "unused(X) :- nothing(X)"
        ]
    }"#;
    let run = sphere(&dir, &["eval", "--json"], Some(input));
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let out: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        out["relations"]["path"],
        serde_json::json!([[1, 2], [1, 3], [2, 3]])
    );
    assert_eq!(
        out["relations"]["named"],
        serde_json::json!([["one", "three"]])
    );
    assert_eq!(out["relations"]["nothing"], serde_json::json!([]));
    assert_eq!(out["relations"]["lonely"], serde_json::json!([[4]]));
    insta::assert_snapshot!(relations_table(&run.stdout));
}

#[test]
fn json_errors_list_every_diagnostic_with_its_place() {
    let dir = scratch("json_errors");
    let input = r#"{
        "facts": {"fib": [[0, 0, 2], [1, 1]]},
        "rules": ["ok(_) :- ok(_)", "p(X) :- q(Y).", "r(X) :- s(X), !t(X, Y)"]
    }"#;
    let run = sphere(&dir, &["eval", "--json"], Some(input));
    assert_eq!(run.code, 2);
    let out: serde_json::Value = serde_json::from_str(&run.stdout).expect("errors are JSON");
    let codes: Vec<&str> = out["errors"]
        .as_array()
        .expect("errors is a list")
        .iter()
        .map(|e| e["code"].as_str().expect("code is a string"))
        .collect();
    assert_eq!(
        codes,
        [
            "wildcard_in_head",
            "unbound_variable",
            "unsafe_negation",
            "arity_mismatch"
        ]
    );
    assert_eq!(out["error"]["code"], "wildcard_in_head");
    assert_eq!(run.stderr.matches("error[").count(), 4, "{}", run.stderr);
    insta::assert_snapshot!("json_errors_stdout", pretty(&run.stdout));
    insta::assert_snapshot!("json_errors_stderr", run.stderr);
}

#[test]
fn json_input_problems_are_named_by_json_path() {
    let dir = scratch("json_bad_input");
    let run = sphere(
        &dir,
        &["eval", "--json"],
        Some(r#"{"facts": {"e": [[1, 2.5], [true]]}, "rules": [3], "extra": 1}"#),
    );
    assert_eq!(run.code, 2);
    let out: serde_json::Value = serde_json::from_str(&run.stdout).expect("errors are JSON");
    let messages: Vec<&str> = out["errors"]
        .as_array()
        .expect("errors is a list")
        .iter()
        .map(|e| e["message"].as_str().expect("message"))
        .collect();
    assert_eq!(
        messages,
        [
            "facts.e[0][1] is the number 2.5, but values are whole numbers or strings",
            "facts.e[1][0] is the boolean true, but values are whole numbers or strings",
            "rules[0] is the number 3, not a string",
            "unknown key `extra` in the input",
        ]
    );

    let run = sphere(&dir, &["eval", "--json"], Some("{not json"));
    assert_eq!(run.code, 2);
    let out: serde_json::Value = serde_json::from_str(&run.stdout).expect("errors are JSON");
    assert_eq!(out["error"]["code"], "io");
    assert!(
        run.stderr.contains("stdin is not valid JSON"),
        "{}",
        run.stderr
    );
}

#[test]
fn explain_and_why_not_print_trees() {
    let dir = scratch("explain");
    write(&dir, "path.dl", PATH_PROGRAM);
    write(&dir, "facts/edge.facts", "1\t2\n2\t3\n");
    let run = sphere(
        &dir,
        &[
            "eval",
            "path.dl",
            "-F",
            "facts",
            "--explain",
            "path(1, 3)",
            "--why-not",
            "path(3, 1)",
        ],
        None,
    );
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert!(run.stdout.contains("path(1, 3)"), "{}", run.stdout);
    assert!(run.stdout.contains("edge(2, 3)  [fact]"), "{}", run.stdout);
    assert!(
        run.stdout.contains("path(3, 1) does not hold"),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn why_not_needs_a_ground_atom() {
    let dir = scratch("why_not_pattern");
    write(&dir, "path.dl", PATH_PROGRAM);
    let run = sphere(&dir, &["eval", "path.dl", "--why-not", "path(1, X)"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--why-not needs a fact without variables"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_facts_directory_is_an_error() {
    let dir = scratch("missing_facts_dir");
    write(&dir, "path.dl", PATH_PROGRAM);
    let run = sphere(&dir, &["eval", "path.dl", "-F", "fcats"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: the facts directory `fcats` does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn unreadable_program_is_an_error_not_a_panic() {
    let dir = scratch("missing_program");
    let run = sphere(&dir, &["eval", "missing.dl"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: cannot read the program `missing.dl`"),
        "{}",
        run.stderr
    );
}

/// Splits a command line of the help text: words separated by spaces, `'...'` quoted.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(unix)]
#[test]
fn help_examples_run() {
    let dir = scratch("help_examples");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    std::os::unix::fs::symlink(examples, dir.join("examples")).expect("symlink examples");
    let help = sphere(&dir, &["eval", "--help"], None);
    assert_eq!(help.code, 0);
    let commands: Vec<Vec<String>> = help
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("sphere eval examples/"))
        .map(shell_words)
        .collect();
    assert_eq!(commands.len(), 4, "{}", help.stdout);
    for words in commands {
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let run = sphere(&dir, &args, None);
        assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{words:?}");
        if args.contains(&"-D") {
            assert!(dir.join("out/outside_eea.csv").is_file(), "{words:?}");
        } else {
            assert!(!run.stdout.is_empty(), "{words:?} printed nothing");
        }
    }
    let json = help
        .stdout
        .lines()
        .map(str::trim)
        .find_map(|l| {
            l.strip_prefix("echo '")?
                .strip_suffix("' | sphere eval --json")
        })
        .expect("the help shows a --json example");
    let run = sphere(&dir, &["eval", "--json"], Some(json));
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert!(
        run.stdout.contains(r#""path":[[1,2],[1,3],[2,3]]"#),
        "{}",
        run.stdout
    );
}

#[test]
fn diagnostics_are_not_coloured_when_stderr_is_not_a_terminal() {
    let dir = scratch("no_tty_colour");
    write(&dir, "bad.dl", "p(X) :- q(Y).\n");
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["eval", "bad.dl"])
        .current_dir(&dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("the sphere binary runs");
    let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    assert!(stderr.contains("error[unknown_relation]"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no ANSI escapes in a pipe: {stderr:?}"
    );
}
