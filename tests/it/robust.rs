//! Never a silent wrong answer: hostile and careless input through the binary. Each test is
//! named after what went wrong before it was fixed (a wrong result with exit 0, a crash, a
//! file overwritten or left half-written).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sphere(args: &[&str]) -> Output {
    sphere_env(args, &[])
}

fn sphere_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sphere"));
    c.args(args).current_dir(repo()).env("NO_COLOR", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdin(Stdio::null())
        .output()
        .expect("the sphere binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("robust")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch directory can be created");
    dir
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("scratch paths are UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The demo week exported as facts into a fresh directory.
fn export(name: &str) -> PathBuf {
    let dir = scratch(name).join("facts");
    let out = sphere(&["facts", "facts/demo_week.json", "-D", arg(&dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    dir
}

fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = fs::read_to_string(path).expect("readable");
    let new = f(text.clone());
    assert_ne!(text, new, "the edit changes {}", path.display());
    fs::write(path, new).expect("writable");
}

// ----------------------------------------------------------------- item 1: facts exports

#[test]
fn facts_export_with_a_misspelt_enum_value_is_refused_not_read_as_no_findings() {
    let dir = export("enum");
    let clean = sphere(&["check", "--facts", arg(&dir)]);
    assert_eq!(clean.status.code(), Some(1), "{}", stderr(&clean));
    edit(&dir.join("activity.facts"), |t| {
        t.replacen("\tcontact\t", "\tContact\t", 1)
    });
    let out = sphere(&["check", "--facts", arg(&dir)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        out.stdout.is_empty(),
        "no findings printed: {}",
        stdout(&out)
    );
    assert!(
        err.contains("error[unknown_value]: column `kind`: `Contact` is not a activity kind")
            && err.contains("activity.facts:")
            && err.contains("hint: did you mean `contact`?"),
        "{err}"
    );
}

#[test]
fn facts_export_with_dangling_references_and_duplicate_ids_is_refused() {
    let dir = export("refs");
    edit(&dir.join("activity_subject.facts"), |t| {
        let first = t.lines().next().expect("a row").to_string();
        let (a, _) = first.split_once('\t').expect("two columns");
        format!("{a}\tsubj-nobody\n{t}")
    });
    edit(&dir.join("staff.facts"), |t| {
        let first = t.lines().next().expect("a row").to_string();
        format!("{t}{first}\n")
    });
    let out = sphere(&["check", "--facts", arg(&dir)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error[dangling_reference]: column `subject`: `subj-nobody` is not the id of any object; expected a subject")
            && err.contains("activity_subject.facts:1:"),
        "{err}"
    );
    assert!(
        err.contains("error[duplicate_id]: the id `") && err.contains("staff.facts:1"),
        "{err}"
    );
}

#[test]
fn facts_export_with_a_second_value_where_the_model_has_one_is_refused() {
    let dir = export("twice");
    edit(&dir.join("activity_channel.facts"), |t| {
        let first = t.lines().next().expect("a row").to_string();
        let (a, _) = first.split_once('\t').expect("two columns");
        format!("{t}{a}\tfax\n")
    });
    let out = sphere(&["check", "--facts", arg(&dir)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("a second row of `activity_channel` for `"),
        "{err}"
    );
}

#[test]
fn a_byte_order_mark_is_read_the_same_everywhere() {
    let dir = scratch("bom");
    // A model file.
    let model = fs::read_to_string(repo().join("facts/s04_phone_call.json")).expect("fixture");
    let bom_model = dir.join("model.json");
    fs::write(&bom_model, format!("\u{feff}{model}")).expect("writable");
    let plain = sphere(&["check", "facts/s04_phone_call.json", "--format", "json"]);
    let bom = sphere(&["check", arg(&bom_model), "--format", "json"]);
    assert_eq!(plain.status.code(), Some(1), "{}", stderr(&plain));
    assert_eq!(bom.status.code(), plain.status.code(), "{}", stderr(&bom));
    let findings = |o: &Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        v["findings"].clone()
    };
    assert_eq!(findings(&bom), findings(&plain));
    // A facts export.
    let facts = export("bom-facts");
    let before = sphere(&["check", "--facts", arg(&facts), "--format", "json"]);
    edit(&facts.join("activity.facts"), |t| format!("\u{feff}{t}"));
    edit(&facts.join("FORMAT"), |t| format!("\u{feff}{t}"));
    let after = sphere(&["check", "--facts", arg(&facts), "--format", "json"]);
    assert_eq!(
        after.status.code(),
        before.status.code(),
        "{}",
        stderr(&after)
    );
    assert_eq!(findings(&after), findings(&before));
    // `eval -F` and a program file.
    let prog = dir.join("p.dl");
    fs::write(
        &prog,
        "\u{feff}.decl e(x: symbol)\n.input e\n.decl o(x: symbol)\n.output o\no(X) :- e(X), X = \"a\".\n",
    )
    .expect("writable");
    let input = dir.join("in");
    fs::create_dir_all(&input).expect("directory");
    fs::write(input.join("e.facts"), "\u{feff}a\nb\n").expect("writable");
    let out_dir = dir.join("out");
    let out = sphere(&["eval", arg(&prog), "-F", arg(&input), "-D", arg(&out_dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(out_dir.join("o.csv")).expect("written"),
        "a\n"
    );
}

// ----------------------------------------------------------------- item 4: duplicate keys

#[test]
fn duplicate_json_keys_in_a_model_are_refused_with_the_json_path() {
    let dir = scratch("dupkey");
    let model = fs::read_to_string(repo().join("facts/s04_phone_call.json")).expect("fixture");
    let twice = model.replacen(
        "\"format\": \"sphere-model/1\",",
        "\"format\": \"sphere-model/1\", \"as_of\": \"2020-01-01\",",
        1,
    );
    assert_ne!(twice, model);
    let path = dir.join("m.json");
    fs::write(&path, twice).expect("writable");
    let out = sphere(&["check", arg(&path)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error[duplicate_key]: the key \"as_of\" is given twice in one object")
            && err.contains("m.json: $.as_of"),
        "{err}"
    );
    // Deeper down too.
    let inner = model.replacen(
        "\"id\": \"org-optik-ag\",",
        "\"id\": \"org-optik-ag\", \"id\": \"org-x\",",
        1,
    );
    assert_ne!(inner, model);
    fs::write(&path, inner).expect("writable");
    let out = sphere(&["validate", arg(&path)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("$.organization.id"), "{err}");
}

// ----------------------------------------------------------------- item 13: messages

#[test]
fn problems_a_reader_skips_are_reported_where_they_are_not_as_a_missing_organization() {
    let dir = scratch("skipped");
    let model = fs::read_to_string(repo().join("facts/s04_phone_call.json")).expect("fixture");
    let cases = [
        (
            "\"x-note\": {\"n\": 1e400},",
            "$.x-note.n",
            "number out of range",
        ),
        ("\"x-note\": [\"\\ud800 alone\"],", "$.x-note[0]", "escape"),
    ];
    for (insert, path, what) in cases {
        let text = model.replacen(
            "\"format\": \"sphere-model/1\",",
            &format!("\"format\": \"sphere-model/1\", {insert}"),
            1,
        );
        let file = dir.join("m.json");
        fs::write(&file, text).expect("writable");
        let out = sphere(&["validate", arg(&file)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(path) && err.contains(what), "{insert}: {err}");
        assert!(!err.contains("missing_organization"), "{err}");
    }
    let deep = model.replacen(
        "\"format\": \"sphere-model/1\",",
        &format!(
            "\"format\": \"sphere-model/1\", \"x-deep\": {}1{},",
            "[".repeat(200),
            "]".repeat(200)
        ),
        1,
    );
    let file = dir.join("deep.json");
    fs::write(&file, deep).expect("writable");
    let out = sphere(&["validate", arg(&file)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("recursion limit") && err.contains("$.x-deep"),
        "{err}"
    );
}

#[test]
fn invalid_utf8_is_named_with_its_byte_offset() {
    let dir = scratch("utf8");
    let file = dir.join("m.json");
    fs::write(&file, b"{\"format\": \"sphere-model/1\", \"x\": \"\xff\"}").expect("writable");
    let out = sphere(&["validate", arg(&file)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("not UTF-8: invalid byte at offset 35"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn a_model_without_end_is_refused_at_the_input_limit() {
    let out = sphere_env(
        &["validate", "/dev/zero"],
        &[("SPHERE_MAX_INPUT_BYTES", "100000")],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error[too_large]: the input is larger than the limit of 100000 bytes")
            && err.contains("SPHERE_MAX_INPUT_BYTES"),
        "{err}"
    );
}

#[test]
fn a_dash_reads_the_model_from_standard_input() {
    let model = fs::read(repo().join("facts/s04_phone_call.json")).expect("fixture");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["check", "-", "--format", "json"])
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&model)
        .expect("written");
    let out = child.wait_with_output().expect("ends");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let file = sphere(&["check", "facts/s04_phone_call.json", "--format", "json"]);
    let ids = |o: &Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        v["findings"]
            .as_array()
            .expect("list")
            .iter()
            .map(|f| f["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&out), ids(&file));
}

fn eval_json(input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["eval", "--json"])
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("written");
    child.wait_with_output().expect("ends")
}

#[test]
fn duplicate_json_keys_in_eval_json_are_refused_not_facts_dropped() {
    let out = eval_json(
        r#"{"facts": {"edge": [[1, 2]], "edge": [[2, 3]]}, "rules": ["path(X, Y) :- edge(X, Y)."]}"#,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the error object");
    assert_eq!(
        v["error"]["message"],
        "the key \"edge\" is given twice in one object at $.facts.edge"
    );
}

// ----------------------------------------------------------------- item 2: every write

/// Every command, its output sent to a full disk: exit 2 with a message, never 0.
#[cfg(target_os = "linux")]
#[test]
fn every_command_with_stdout_on_a_full_disk_exits_2() {
    let dir = scratch("full");
    let journal = dir.join("journal.db");
    let j = arg(&journal);
    let model = "facts/s04_phone_call.json";
    let json = sphere(&["check", model, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let id = v["findings"][0]["id"]
        .as_str()
        .expect("a finding")
        .to_string();
    let activity = v["findings"][0]["about"]["id"]
        .as_str()
        .or(v["findings"][0]["activity"].as_str())
        .unwrap_or("act-s1-collect")
        .to_string();
    let facts = export("full-facts");
    let commands: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec!["--version"],
        vec!["check", "--help"],
        vec!["check", model],
        vec!["check", model, "--format", "json"],
        vec!["check", model, "--format", "md"],
        vec!["check", model, "--format", "sarif"],
        vec!["check", "--facts", arg(&facts)],
        vec!["explain", model, &id],
        vec!["explain", model, &id, "--format", "dot"],
        vec!["validate", model],
        vec!["graph", model],
        vec!["graph", model, "--format", "mermaid"],
        vec!["gen", "--subjects", "5", "--activities", "20"],
        vec!["kb", "list"],
        vec!["kb", "check"],
        vec!["kb", "lint"],
        vec!["kb", "doc"],
        vec!["kb", "show", "gdpr:6.1.f"],
        vec!["eval", "examples/dataflow.dl", "-F", "examples/dataflow"],
        vec!["gate", model, &activity, "--journal", j],
        vec!["pending", model, "--journal", j],
        vec!["journal", "verify", "--journal", j],
        vec!["journal", "head", "--journal", j],
        vec!["journal", "show", "--journal", j],
        vec!["repl", model],
    ];
    let full = || {
        fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
    };
    for args in &commands {
        let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
            .args(args)
            .current_dir(repo())
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(full())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                let _ = c.stdin.take().expect("stdin").write_all(b"findings\n");
                c.wait_with_output()
            })
            .expect("runs");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("No space left on device"), "{args:?}: {err}");
    }
    // The journal's test wrote entries, so `journal show` above had something to write.
    let shown = sphere(&["journal", "show", "--journal", j]);
    assert!(!shown.stdout.is_empty(), "{}", stderr(&shown));
}

#[test]
fn eval_d_that_cannot_write_one_file_leaves_the_old_set_whole() {
    let dir = scratch("eval-d");
    let prog = dir.join("p.dl");
    fs::write(
        &prog,
        ".decl a(x: number)\n.output a\n.decl b(x: number)\n.output b\na(1).\nb(2).\n",
    )
    .expect("writable");
    let out_dir = dir.join("out");
    fs::create_dir_all(out_dir.join("b.csv")).expect("a folder where b.csv goes");
    fs::write(out_dir.join("a.csv"), "old\n").expect("writable");
    let out = sphere(&["eval", arg(&prog), "-D", arg(&out_dir)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(
        fs::read_to_string(out_dir.join("a.csv")).expect("kept"),
        "old\n"
    );
    let names: Vec<String> = fs::read_dir(&out_dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "no temporary left: {names:?}");
}

#[test]
fn facts_d_again_removes_stale_relations_so_check_facts_reads_its_own_export() {
    let dir = export("stale");
    // A relation an older export wrote and this one no longer has.
    fs::write(dir.join("activity_mood.facts"), "act-1\thappy\n").expect("writable");
    let out = sphere(&["facts", "facts/demo_week.json", "-D", arg(&dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!dir.join("activity_mood.facts").exists());
    let manifest = fs::read_to_string(dir.join("MANIFEST")).expect("a manifest");
    assert!(
        manifest.lines().any(|l| l == "activity.facts") && manifest.lines().any(|l| l == "FORMAT"),
        "{manifest}"
    );
    let check = sphere(&["check", "--facts", arg(&dir)]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
}

// ----------------------------------------------------------------- item 8: gen --as-of

#[test]
fn gen_as_of_out_of_range_is_refused_before_the_output_is_touched() {
    let dir = scratch("gen");
    let file = dir.join("model.json");
    fs::write(&file, "keep me").expect("writable");
    for as_of in ["9999-12-31", "0003-01-01"] {
        let out = sphere(&[
            "gen",
            "--subjects",
            "3",
            "--activities",
            "5",
            "--as-of",
            as_of,
            "-o",
            arg(&file),
        ]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{as_of}: {err}");
        assert!(
            err.contains("outside the range a generated model can have"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(fs::read_to_string(&file).expect("kept"), "keep me");
    }
}

#[cfg(unix)]
#[test]
fn gen_o_interrupted_leaves_the_old_file_and_no_temporary() {
    let dir = scratch("gen-int");
    let file = dir.join("model.json");
    fs::write(&file, "keep me").expect("writable");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args([
            "gen",
            "--subjects",
            "200000",
            "--activities",
            "2000000",
            "-o",
            arg(&file),
        ])
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    // Wait until the temporary file exists: the write is under way.
    let started = std::time::Instant::now();
    while fs::read_dir(&dir).expect("dir").count() < 2 {
        assert!(
            started.elapsed().as_secs() < 60,
            "gen never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let status = child.wait().expect("ends");
    assert_eq!(status.code(), Some(130));
    assert_eq!(fs::read_to_string(&file).expect("kept"), "keep me");
    assert_eq!(
        fs::read_dir(&dir).expect("dir").count(),
        1,
        "no temporary left"
    );
}

// ----------------------------------------------------------------- item 5: --assume

#[test]
fn assume_on_a_derived_relation_or_with_a_word_the_model_refuses_is_refused() {
    let model = "facts/s04_phone_call.json";
    let derived = sphere(&[
        "check",
        model,
        "--assume",
        "finding(\"r\", \"a\", \"s\", 2025-01-01)",
    ]);
    let err = stderr(&derived);
    assert_eq!(derived.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`finding` is derived by the rules, not read from the model"),
        "{err}"
    );
    assert!(derived.stdout.is_empty());
    let word = sphere(&[
        "check",
        model,
        "--assume",
        "consent_channel(\"cons-x\", \"Phone\")",
    ]);
    let err = stderr(&word);
    assert_eq!(word.status.code(), Some(2), "{err}");
    assert!(
        err.contains("column `channel`: \"Phone\" is not a channel")
            && err.contains("did you mean \"phone\"?"),
        "{err}"
    );
    let fine = sphere(&[
        "check",
        model,
        "--assume",
        "consent_channel(\"cons-x\", \"phone\")",
    ]);
    assert_eq!(fine.status.code(), Some(1), "{}", stderr(&fine));
}

// ----------------------------------------------------------------- item 6: bounded evaluation

#[test]
fn a_rule_that_never_ends_stops_at_the_bound_and_names_the_rule() {
    let dir = scratch("limits");
    let prog = dir.join("grow.dl");
    fs::write(
        &prog,
        ".decl n(x: number)\n.output n\nn(0).\nn(X + 1) :- n(X).\n",
    )
    .expect("writable");
    let out = sphere(&["eval", arg(&prog), "--max-tuples", "20000"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("relation `n` grew past 20000 tuples while rule `n#1` derived `n`")
            && err.contains("hint: raise the bound (--max-tuples, --timeout)"),
        "{err}"
    );
    let out = sphere(&["eval", arg(&prog), "--timeout", "0.5"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("interrupted while rule `n#1` derived `n`"),
        "{err}"
    );
    // `eval --json`: the error object names the rule.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["eval", "--json", "--max-tuples", "5000"])
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(br#"{"facts": {}, "rules": ["n(0).", "n(X + 1) :- n(X)."]}"#)
        .expect("written");
    let out = child.wait_with_output().expect("ends");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the error object");
    assert_eq!(v["error"]["code"], "too_large");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("while rule `n#1` derived `n`")),
        "{v}"
    );
}

#[test]
fn check_rules_that_never_end_stop_at_the_timeout_and_name_the_rule() {
    let dir = scratch("limits-check");
    let rules = dir.join("grow.dl");
    fs::write(
        &rules,
        ".decl grow(x: number)\ngrow(0).\ngrow(X + 1) :- grow(X).\n",
    )
    .expect("writable");
    let out = sphere(&[
        "check",
        "facts/s04_phone_call.json",
        "--rules",
        arg(&rules),
        "--timeout",
        "2",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("while rule `grow#1` derived `grow`"), "{err}");
    assert!(
        out.stdout.is_empty(),
        "no findings printed: {}",
        stdout(&out)
    );
}

// ----------------------------------------------------------------- item 7: deep derivations

#[test]
fn explain_of_a_ten_thousand_step_chain_is_built_rendered_and_dropped_without_overflow() {
    let dir = scratch("deep");
    let prog = dir.join("reach.dl");
    fs::write(
        &prog,
        ".decl e(x: number, y: number)\n.input e\n.decl r(x: number)\n.output r\nr(0).\nr(Y) :- r(X), e(X, Y).\n",
    )
    .expect("writable");
    let facts = dir.join("facts");
    fs::create_dir_all(&facts).expect("dir");
    let chain: String = (0..10_000).map(|i| format!("{i}\t{}\n", i + 1)).collect();
    fs::write(facts.join("e.facts"), chain).expect("writable");
    let out = sphere(&[
        "eval",
        arg(&prog),
        "-F",
        arg(&facts),
        "--explain",
        "r(10000)",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let text = stdout(&out);
    assert!(
        text.starts_with("r(10000)  [rule "),
        "{}",
        &text[..200.min(text.len())]
    );
    assert!(text.contains("e(9999, 10000)  [fact]"));
    // Indentation starts again every 50 levels: the output stays linear in the chain.
    assert!(text.contains("[50] "), "restarts marked");
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest < 400, "lines of bounded width, widest {widest}");
}

// ----------------------------------------------------------------- fuzz corpora

/// Replays the `eval --json` fuzzer's corpus (`fuzz/corpus/eval_json/`) through the protocol
/// under the fuzzer's bounds: an answer or an error object, never a panic or a run past them.
#[test]
fn eval_json_fuzz_corpus_answers_every_input() {
    use sphere::datalog::{answer_json, json_error, Response};
    use sphere_engine::eval::limits::{Guard, Limits};
    let dir = repo().join("fuzz/corpus/eval_json");
    let mut entries: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("fuzz/corpus/eval_json exists")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    assert!(entries.len() >= 10, "the seeds at least");
    let mut codes = std::collections::BTreeMap::new();
    for path in &entries {
        let bytes = fs::read(path).expect("readable");
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let guard = Guard::new(Limits {
            max_tuples: Some(200_000),
            max_relation_tuples: Some(100_000),
            max_memory_bytes: Some(256 << 20),
        });
        let (response, _, _) = answer_json(text, guard);
        let code = match response {
            Response::Relations(json) => {
                assert!(json.is_object(), "{}", path.display());
                "ok".to_string()
            }
            Response::Failed {
                diagnostics,
                sources,
            } => {
                assert!(!diagnostics.is_empty(), "{}", path.display());
                json_error(&diagnostics, &sources)["error"]["code"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            }
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        codes.insert(name, code);
    }
    // Seeds whose answer is known: a runaway rule stops at the bound, a duplicate key is refused.
    assert_eq!(codes.get("grow").map(String::as_str), Some("too_large"));
    assert_eq!(codes.get("duplicate_key").map(String::as_str), Some("io"));
    assert_eq!(codes.get("path").map(String::as_str), Some("ok"));
}

// ----------------------------------------------------------------- item 13: control characters

#[test]
fn an_id_with_an_escape_sequence_is_refused_not_printed_raw() {
    let dir = scratch("ansi");
    let model = fs::read_to_string(repo().join("facts/s04_phone_call.json")).expect("fixture");
    let forged = model.replacen("\"act-s1-collect\"", "\"act-\\u001b[2J\\rforged\"", 1);
    assert_ne!(forged, model);
    let file = dir.join("m.json");
    fs::write(&file, forged).expect("writable");
    let out = sphere(&["check", arg(&file)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("holds the control character U+001B"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "the message itself shows no raw escape: {err:?}"
    );
}

#[test]
fn a_huge_bad_line_is_cut_in_the_diagnostic() {
    let dir = scratch("huge-line");
    let prog = dir.join("p.dl");
    fs::write(&prog, ".decl e(x: number, y: number)\n.input e\n.decl o(x: number)\n.output o\no(X) :- e(X, _).\n")
        .expect("writable");
    let facts = dir.join("facts");
    fs::create_dir_all(&facts).expect("dir");
    fs::write(
        facts.join("e.facts"),
        format!("{}\t2\n", "x".repeat(100_000)),
    )
    .expect("writable");
    let out = sphere(&["eval", arg(&prog), "-F", arg(&facts)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{}", &err[..err.len().min(500)]);
    assert!(
        err.len() < 5_000,
        "{} bytes of diagnostic for one bad line",
        err.len()
    );
    assert!(
        err.contains("more characters)"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert!(
        err.contains("e.facts:1:1"),
        "{}",
        &err[..err.len().min(1000)]
    );
}
