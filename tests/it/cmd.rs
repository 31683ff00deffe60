//! The command line's behaviour as snapshot files, in the manner of `trycmd`: every
//! `tests/cmd/NAME.case` runs the real binary and compares its exit code, stdout and stderr
//! with the case and with `NAME.stdout` and `NAME.stderr` beside it, byte for byte.
//!
//! A case file has one `key = value` per line, each value JSON; `#` starts a comment line:
//!
//! ```text
//! # What the case shows.
//! args = ["validate", "tests/cmd/inputs/bom.json"]
//! stdin = "facts/s04_phone_call.json"   # optional: a file given on standard input
//! env = {"SPHERE_MAX_INPUT_BYTES": "1000"}   # optional
//! status = 2
//! ```
//!
//! The binary runs in the repository's root with `NO_COLOR=1`; `[SCRATCH]` in an argument is
//! a fresh empty folder of the case's own, and is written back as `[SCRATCH]` in the outputs.
//!
//! With `UPDATE_GENERATED=1` (or `TRYCMD=overwrite`) the runner writes what the binary did
//! into the files instead of failing: review the diff (`git diff tests/cmd`) before committing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Case {
    args: Vec<String>,
    stdin: Option<String>,
    env: Vec<(String, String)>,
    status: i32,
}

fn parse(path: &Path, text: &str) -> Case {
    let mut case = Case {
        args: Vec::new(),
        stdin: None,
        env: Vec::new(),
        status: -1,
    };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let where_ = format!("{}:{}", path.display(), n + 1);
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{where_}: `key = value` expected"));
        let value: serde_json::Value = serde_json::from_str(value.trim())
            .unwrap_or_else(|e| panic!("{where_}: the value is not JSON: {e}"));
        match key.trim() {
            "args" => {
                case.args = serde_json::from_value(value)
                    .unwrap_or_else(|e| panic!("{where_}: a list of strings: {e}"))
            }
            "stdin" => {
                case.stdin = Some(
                    serde_json::from_value(value)
                        .unwrap_or_else(|e| panic!("{where_}: a path: {e}")),
                )
            }
            "env" => {
                let map: std::collections::BTreeMap<String, String> = serde_json::from_value(value)
                    .unwrap_or_else(|e| panic!("{where_}: an object of strings: {e}"));
                case.env = map.into_iter().collect();
            }
            "status" => {
                case.status = value
                    .as_i64()
                    .and_then(|s| i32::try_from(s).ok())
                    .unwrap_or_else(|| panic!("{where_}: an exit code"))
            }
            other => panic!("{where_}: unknown key `{other}`"),
        }
    }
    assert!(!case.args.is_empty(), "{}: no args", path.display());
    case
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What the binary wrote, with the case's scratch folder and the repository's path replaced
/// by placeholders (outputs must not depend on where the repository is).
fn normalise(bytes: &[u8], scratch: &Path) -> String {
    String::from_utf8_lossy(bytes)
        .replace(&scratch.display().to_string(), "[SCRATCH]")
        .replace(&repo().display().to_string(), "[ROOT]")
}

fn update() -> bool {
    std::env::var_os("UPDATE_GENERATED").is_some_and(|v| !v.is_empty())
        || std::env::var("TRYCMD").is_ok_and(|v| v == "overwrite")
}

#[test]
fn every_case_of_tests_cmd_gives_its_exit_code_stdout_and_stderr() {
    let dir = repo().join("tests/cmd");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/cmd exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "the cases are there: {}", cases.len());
    let mut failures = Vec::new();
    for path in &cases {
        let name = path.file_stem().and_then(|s| s.to_str()).expect("a name");
        let text = fs::read_to_string(path).expect("readable");
        let case = parse(path, &text);
        let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("cmd")
            .join(name);
        let _ = fs::remove_dir_all(&scratch);
        fs::create_dir_all(&scratch).expect("scratch folder");
        let scratch_text = scratch.display().to_string();
        let mut c = Command::new(env!("CARGO_BIN_EXE_sphere"));
        c.args(
            case.args
                .iter()
                .map(|a| a.replace("[SCRATCH]", &scratch_text)),
        )
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .envs(case.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        match &case.stdin {
            Some(f) => {
                c.stdin(
                    fs::File::open(repo().join(f))
                        .unwrap_or_else(|e| panic!("{}: stdin {f}: {e}", path.display())),
                );
            }
            None => {
                c.stdin(Stdio::null());
            }
        }
        let out = c.output().expect("the sphere binary runs");
        let status = out.status.code().unwrap_or(-1);
        let stdout = normalise(&out.stdout, &scratch);
        let stderr = normalise(&out.stderr, &scratch);
        let stdout_file = path.with_extension("stdout");
        let stderr_file = path.with_extension("stderr");
        if update() {
            if status != case.status {
                let new: String = text
                    .lines()
                    .map(|l| {
                        if l.trim_start().starts_with("status") {
                            format!("status = {status}\n")
                        } else {
                            format!("{l}\n")
                        }
                    })
                    .collect();
                let new = if new.contains("\nstatus = ") || new.starts_with("status = ") {
                    new
                } else {
                    format!("{new}status = {status}\n")
                };
                fs::write(path, new).expect("writable");
            }
            fs::write(&stdout_file, &stdout).expect("writable");
            fs::write(&stderr_file, &stderr).expect("writable");
            continue;
        }
        let expected_out = fs::read_to_string(&stdout_file).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run with UPDATE_GENERATED=1",
                stdout_file.display()
            )
        });
        let expected_err = fs::read_to_string(&stderr_file).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run with UPDATE_GENERATED=1",
                stderr_file.display()
            )
        });
        let mut wrong = Vec::new();
        if status != case.status {
            wrong.push(format!("exit code {status}, expected {}", case.status));
        }
        if stdout != expected_out {
            wrong.push(format!(
                "stdout differs:\n{}",
                first_difference(&expected_out, &stdout)
            ));
        }
        if stderr != expected_err {
            wrong.push(format!(
                "stderr differs:\n{}",
                first_difference(&expected_err, &stderr)
            ));
        }
        if !wrong.is_empty() {
            failures.push(format!("tests/cmd/{name}.case: {}", wrong.join("\n")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ (UPDATE_GENERATED=1 writes what the binary does; review the diff):\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// The first line where `expected` and `actual` differ, with both versions.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut e = expected.lines();
    let mut a = actual.lines();
    let mut n = 1;
    loop {
        match (e.next(), a.next()) {
            (None, None) => return "  (line breaks differ)".to_string(),
            (x, y) if x != y => {
                return format!(
                    "  line {n}\n  expected: {}\n  actual:   {}",
                    x.map_or("(end)".to_string(), |l| format!("{l:?}")),
                    y.map_or("(end)".to_string(), |l| format!("{l:?}"))
                )
            }
            _ => n += 1,
        }
    }
}
