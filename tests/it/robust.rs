//! Never a silent wrong answer: hostile and careless input through the binary. Each test is
//! named after what went wrong before it was fixed (a wrong result with exit 0, a crash, a
//! file overwritten or left half-written). Cases that are one command line with its exit
//! code, stdout and stderr live in `tests/cmd/` (see `cmd.rs`): duplicate keys, numbers out of
//! range, lone surrogates, deep nesting, invalid UTF-8, a model without end, `--assume` on a
//! derived relation, runaway rules under `--max-tuples`/`--timeout` (also `explain --rules`),
//! control characters, a huge bad line, too many literals.

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

// ----------------------------------------------------------------- item 13: messages

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
    // A receipt to replay: a check recorded in the journal.
    let receipt = sphere(&["check", model, "--journal", j]);
    assert_eq!(receipt.status.code(), Some(1), "{}", stderr(&receipt));
    let receipt_seq = String::from_utf8_lossy(&sphere(&["journal", "head", "--journal", j]).stdout)
        .split(':')
        .next()
        .expect("SEQ:HASH")
        .trim()
        .to_string();
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
        vec!["explain", model, &id, "--format", "json"],
        vec!["remedies", model, &id],
        vec!["remedies", model, &id, "--format", "json"],
        vec!["diff", model, "--as-of-old", "2021-01-01"],
        vec![
            "report",
            model,
            "--from",
            "2025-06-09",
            "--to",
            "2025-06-15",
        ],
        vec![
            "report",
            model,
            "--from",
            "2025-06-09",
            "--to",
            "2025-06-15",
            "--format",
            "json",
        ],
        vec!["validate", model],
        vec!["graph", model],
        vec!["graph", model, "--format", "mermaid"],
        vec!["gen", "--subjects", "5", "--activities", "20"],
        vec!["kb", "list"],
        vec!["kb", "check"],
        vec!["kb", "lint"],
        vec!["kb", "doc"],
        vec!["kb", "show", "gdpr:6.1.f"],
        vec!["kb", "test", "phone"],
        vec!["eval", "examples/dataflow.dl", "-F", "examples/dataflow"],
        vec!["eval", "--json"],
        vec!["gate", model, &activity, "--journal", j],
        vec!["pending", model, "--journal", j],
        vec!["journal", "verify", "--journal", j],
        vec!["journal", "head", "--journal", j],
        vec!["journal", "show", "--journal", j],
        vec!["journal", "replay", &receipt_seq, model, "--journal", j],
        // Nothing is that old: it says so on stdout.
        vec![
            "journal",
            "prune",
            "--before",
            "2020-01-01",
            "--by",
            "dpo",
            "--journal",
            j,
        ],
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
                let input: &[u8] = if args[..] == ["eval", "--json"] {
                    br#"{"facts": {"e": [[1, 2]]}, "rules": ["p(X) :- e(X, _)."]}"#
                } else {
                    b"findings\n"
                };
                let _ = c.stdin.take().expect("stdin").write_all(input);
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
    // `kb export` writes its files and says so on stderr: nothing goes to stdout.
    let out_dir = dir.join("clingo");
    let export = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["kb", "export", "--clingo", arg(&out_dir), model])
        .current_dir(repo())
        .stdout(full())
        .stderr(Stdio::piped())
        .output()
        .expect("runs");
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    assert!(out_dir.join("program.lp").is_file());
}

/// A decision is recorded in the journal before its answer is written: when stdout is full,
/// the error says it was recorded, with the journal head the answer would have shown,
/// instead of a bare "cannot write to stdout" that makes it look undone. (`journal prune`
/// says the same of its checkpoint; it prunes only entries three years old, which a test
/// cannot make.)
#[test]
fn approve_and_reject_on_a_full_stdout_say_that_they_were_recorded() {
    let dir = scratch("full-decide");
    let journal = dir.join("journal.db");
    let j = arg(&journal);
    let model = "facts/s12_what_if_consent.json";
    let gate = sphere(&["gate", model, "act-s4-call", "--journal", j]);
    assert_eq!(gate.status.code(), Some(1), "{}", stderr(&gate));
    let ids: Vec<String> = stdout(&gate)
        .lines()
        .filter_map(|l| l.strip_prefix("BLOCK "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), 2, "{}", stdout(&gate));
    let full = || {
        fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
    };
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sphere"))
            .args(args)
            .current_dir(repo())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(full())
            .stderr(Stdio::piped())
            .output()
            .expect("runs")
    };
    let head = || {
        let h = sphere(&["journal", "head", "--journal", j]);
        stdout(&h).trim().to_string()
    };
    let dpo = "staff-markus-richter";
    for (verb, id, word) in [
        ("approve", &ids[0], "approval"),
        ("reject", &ids[1], "rejection"),
    ] {
        let out = run(&[
            verb,
            model,
            id,
            "--by",
            dpo,
            "--reason",
            "r",
            "--journal",
            j,
        ]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{verb}: {err}");
        assert!(err.contains("No space left on device"), "{verb}: {err}");
        let head = head();
        assert!(
            err.contains(&format!(
                "the {word} of {id} is recorded all the same (journal head: {head})"
            )),
            "{verb}: {err}"
        );
        // It is in the journal indeed.
        let shown = stdout(&sphere(&["journal", "show", "--journal", j]));
        assert!(
            shown
                .lines()
                .any(|l| l.contains(verb) && l.contains(id.as_str())),
            "{shown}"
        );
    }
    // Someone who is not the DPO: refused, and the refusal recorded.
    let out = run(&[
        "approve",
        model,
        &ids[0],
        "--by",
        "staff-jonas-weber",
        "--reason",
        "r",
        "--journal",
        j,
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "the refusal of staff-jonas-weber is recorded all the same (journal head: {})",
            head()
        )),
        "{err}"
    );
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

// ----------------------------------------------------------------- item 11: planted links

#[cfg(unix)]
#[test]
fn remedies_apply_o_does_not_write_through_a_link_planted_at_a_predictable_name() {
    let dir = scratch("remedies-link");
    let victim = dir.join("victim");
    fs::write(&victim, "precious").expect("writable");
    let out_file = dir.join("out.json");
    // `remedies -o` once wrote `FILE.tmp` with create+truncate, then renamed it.
    std::os::unix::fs::symlink(&victim, dir.join("out.json.tmp")).expect("a link");
    let out = sphere(&[
        "remedies",
        "facts/s04_phone_call.json",
        "F-dc0dcb7057fb09a2",
        "--apply",
        "1",
        "-o",
        arg(&out_file),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&victim).expect("kept"), "precious");
    let written = fs::symlink_metadata(&out_file).expect("written");
    assert!(written.is_file(), "a file of its own, not the link");
    let model: serde_json::Value =
        serde_json::from_slice(&fs::read(&out_file).expect("readable")).expect("JSON");
    assert_eq!(model["format"], "sphere-model/1");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["out.json", "out.json.tmp", "victim"],
        "no temporary left"
    );
}

// ----------------------------------------------------------------- item 6: bounded evaluation

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

/// The CPU time a process has used so far, in clock ticks (`/proc/PID/stat`).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name in parentheses: fields 14 and 15 are utime and stime.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let n = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    n(11) + n(12)
}

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {sig}");
}

/// The names and contents of the files of a folder, sorted.
fn folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .expect("folder")
        .map(|e| {
            let e = e.expect("entry");
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = fs::read(e.path()).unwrap_or_default();
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

/// SIGINT stops an evaluation where it is (cooperatively: the message names the rule it was
/// in), the outputs are left as they were, and the exit code is 130. Before, Ctrl-C ended the
/// process where it stood, without a word.
#[test]
fn sigint_stops_an_evaluation_names_the_rule_and_leaves_the_outputs() {
    let dir = scratch("sigint-eval");
    let prog = dir.join("slow.dl");
    // Each round joins 1,500 x 1,500 numbers; it never reaches a fixpoint, and grows slowly.
    fs::write(
        &prog,
        ".decl e(x: number)\n.input e\n.decl n(x: number)\n.output n\n\
         n(0).\nn(X + 1) :- n(X), e(A), e(B), A < B + X.\n",
    )
    .expect("writable");
    let facts = dir.join("facts");
    fs::create_dir_all(&facts).expect("dir");
    let numbers: String = (0..1500).map(|i| format!("{i}\n")).collect();
    fs::write(facts.join("e.facts"), numbers).expect("writable");
    let out_dir = dir.join("out");
    fs::create_dir_all(&out_dir).expect("dir");
    fs::write(out_dir.join("n.csv"), "old\n").expect("writable");
    let before = folder(&out_dir);
    let child = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["eval", arg(&prog), "-F", arg(&facts), "-D", arg(&out_dir)])
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    // Until it has worked a while: evaluating, not reading (compiling takes a few ticks).
    let started = std::time::Instant::now();
    while cpu_ticks(child.id()) < 50 {
        assert!(started.elapsed().as_secs() < 120, "never got going");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    signal(child.id(), "-INT");
    let out = child.wait_with_output().expect("ends");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted while rule `n#1` derived `n`"),
        "stopped cooperatively, in the rule: {err}"
    );
    assert!(err.contains("stopped by SIGINT or SIGTERM"), "{err}");
    assert_eq!(folder(&out_dir), before, "the outputs as they were");
}

/// SIGTERM while `facts -D` writes its set: the folder keeps its old export whole (files and
/// manifest), no temporary file is left, and the exit code is 130. The process is frozen
/// (SIGSTOP) as soon as its temporary folder appears, so the signal arrives mid-write.
#[test]
fn sigterm_during_a_facts_export_leaves_the_old_export_and_its_manifest() {
    let dir = scratch("sigterm-facts");
    let model = dir.join("big.json");
    let out = sphere(&[
        "gen",
        "--subjects",
        "5000",
        "--activities",
        "50000",
        "--seed",
        "3",
        "-o",
        arg(&model),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let export = dir.join("export");
    let out = sphere(&["facts", "facts/s04_phone_call.json", "-D", arg(&export)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = folder(&export);
    assert!(
        before.iter().any(|(n, _)| n == "MANIFEST"),
        "an owned export"
    );
    let child = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["facts", arg(&model), "-D", arg(&export)])
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let temporary = || {
        fs::read_dir(&export)
            .expect("folder")
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().starts_with(".sphere-"))
    };
    let started = std::time::Instant::now();
    while !temporary() {
        assert!(started.elapsed().as_secs() < 300, "never started writing");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    signal(child.id(), "-STOP");
    signal(child.id(), "-TERM");
    signal(child.id(), "-CONT");
    let out = child.wait_with_output().expect("ends");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("stopped by SIGINT or SIGTERM"), "{err}");
    assert_eq!(
        folder(&export),
        before,
        "the old export, manifest and all, and no temporary"
    );
    // And the export still reads.
    let out = sphere(&["check", "--facts", arg(&export)]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
}

/// A rule of 800 atoms (recursive: one plan per recursive atom) is planned and evaluated.
/// Choosing the order afresh at every step made planning cubic (11 s), and bodies past 256
/// literals were refused.
#[test]
fn a_rule_of_800_atoms_is_planned_and_evaluated() {
    let dir = scratch("long-rule");
    let body: Vec<String> = (0..800).map(|i| format!("p(X{i}, X{})", i + 1)).collect();
    let prog = dir.join("long.dl");
    fs::write(
        &prog,
        format!(
            ".decl e(x: number, y: number)\n.input e\n.decl p(x: number, y: number)\n.output p\n\
             p(X, Y) :- e(X, Y).\np(X0, X800) :- {}.\n",
            body.join(", ")
        ),
    )
    .expect("writable");
    let facts = dir.join("facts");
    fs::create_dir_all(&facts).expect("dir");
    let edges: String = (0..10).map(|i| format!("{i}\t{}\n", i + 1)).collect();
    fs::write(facts.join("e.facts"), &edges).expect("writable");
    let out_dir = dir.join("out");
    let out = sphere(&["eval", arg(&prog), "-F", arg(&facts), "-D", arg(&out_dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // No path of 800 steps in a chain of 10: p is the edges.
    assert_eq!(
        fs::read_to_string(out_dir.join("p.csv")).expect("written"),
        edges
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

/// `check --tree` and `explain` as JSON on a finding ten thousand derivations deep, on a
/// main thread of 2 MiB (`ulimit -s`): the document is built, written and dropped without
/// recursion (`json!` serialised the trees into the document, once per level, before).
#[test]
fn json_of_a_ten_thousand_step_finding_is_written_on_a_small_stack() {
    let dir = scratch("deep-json");
    let rules = dir.join("deep.dl");
    fs::write(&rules, crate::deep_rules()).expect("writable");
    let model = "facts/s12_what_if_consent.json";
    let small_stack = |args: &[&str]| {
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -s 2048 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_sphere"))
            .args(args)
            .current_dir(repo())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("sh runs sphere")
    };
    let shallow = sphere(&["check", model, "--rules", arg(&rules), "--format", "json"]);
    assert_eq!(shallow.status.code(), Some(1), "{}", stderr(&shallow));
    let doc: serde_json::Value = serde_json::from_slice(&shallow.stdout).expect("JSON");
    let id = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "deep_chain")
        .expect("the chain's finding")["id"]
        .as_str()
        .expect("an id")
        .to_string();
    for args in [
        vec!["check", model, "--tree"],
        vec!["explain", model, id.as_str()],
    ] {
        let mut args = args;
        args.extend(["--rules", arg(&rules), "--format", "json"]);
        let out = small_stack(&args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {:?} {}",
            out.status,
            stderr(&out)
        );
        let text = stdout(&out);
        for fact in ["step(10000)", "step(5000)", "step(0)"] {
            assert!(text.contains(&format!("\"{fact}\"")), "{args:?}: {fact}");
        }
        assert_eq!(text.matches('{').count(), text.matches('}').count());
        assert!(text.ends_with("}\n"), "{args:?}: complete");
    }
}

/// The derivation of the end of a chain of `n` steps, from an evaluation, as the application
/// library builds it: compiled, evaluated and built on a thread with a 256 KiB stack
/// (building recursed once per level before).
fn chain_derivation(n: i64) -> sphere::Derivation {
    use sphere_engine::eval::{evaluate, Database, EvalOptions};
    use sphere_engine::{compile, CompileOptions, SourceMap, Value};
    let build = move || {
        let mut sources = SourceMap::new();
        sources.add(
            "chain.dl",
            ".decl e(a: number, b: number)\n.input e\n.decl reach(a: number)\n\
             reach(0).\nreach(y) :- reach(x), e(x, y).\n",
        );
        let program = compile(&sources, &CompileOptions::default())
            .program
            .expect("compiles");
        let mut db = Database::new(&program);
        let e = program.relation_by_name("e").expect("declared");
        for i in 0..n {
            db.insert(e, &[Value::Num(i), Value::Num(i + 1)]);
        }
        let opts = EvalOptions {
            provenance: true,
            ..EvalOptions::default()
        };
        let ev = evaluate(&program, db, &opts).expect("evaluates");
        let reach = program.relation_by_name("reach").expect("declared");
        sphere::explain::derive(&ev, reach, &[Value::Num(n)]).expect("derived")
    };
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(build)
        .expect("thread starts")
        .join()
        .expect("no stack overflow")
}

/// A hundred thousand steps: built from the evaluation, copied, compared, rendered as text,
/// JSON and DOT, and dropped, all on a thread with a 256 KiB stack (each recursed once per
/// level before, and overflowed it).
#[test]
fn a_hundred_thousand_step_derivation_is_built_rendered_and_dropped_on_a_small_stack() {
    use sphere::findings::Lang;
    use sphere::render;
    const N: i64 = 100_000;
    let tree = chain_derivation(N);
    let checks = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            let copy = tree.clone();
            assert!(copy == tree, "a copy equals its original");
            let text = render::text::derivation(&tree, Lang::En);
            assert_eq!(text.lines().count() as i64, 2 * N + 1);
            assert!(text.starts_with(&format!("reach({N})")), "{}", &text[..80]);
            let json = render::json::derivation(&tree);
            let pretty = render::json::pretty(&json);
            render::json::dispose(json);
            let head: Vec<&str> = pretty.lines().take(3).collect();
            assert_eq!(
                head,
                [
                    "{".to_string(),
                    format!("  \"fact\": \"reach({N})\","),
                    "  \"rule\": \"reach#1\",".to_string()
                ]
            );
            assert_eq!(pretty.matches("\"fact\":").count() as i64, 2 * N + 1);
            assert!(pretty.ends_with("}\n"));
            // Indented to a bounded depth, then compact: linear in the tree, not quadratic.
            let deepest = pretty
                .lines()
                .map(|l| l.len() - l.trim_start_matches(' ').len())
                .max()
                .unwrap_or(0);
            assert!(
                deepest <= 2 * render::json::PRETTY_DEPTH,
                "bounded indentation, deepest {deepest}"
            );
            assert!(
                pretty.len() < 200 * (2 * N as usize + 1),
                "{} bytes",
                pretty.len()
            );
            let dot = render::dot::derivation(&tree, Lang::En);
            assert_eq!(dot.matches(" -> ").count() as i64, 2 * N);
            // A premise changed deep down: no longer equal.
            let mut other = copy.clone();
            let mut d = &mut other;
            for _ in 0..N - 1 {
                let sphere::Step::Rule(r) = &mut d.step else {
                    panic!("a rule node")
                };
                let sphere::Premise::Holds(sub) = &mut r.premises[0] else {
                    panic!("a derived premise")
                };
                d = sub;
            }
            d.fact.push('!');
            assert!(other != tree, "a difference at the bottom is seen");
            drop(other);
            drop(copy);
            drop(tree);
        })
        .expect("thread starts")
        .join();
    assert!(checks.is_ok(), "no stack overflow, no failed check");
}

/// The JSON renderer writes what serde's own pretty printer writes, on a shallow tree.
#[test]
fn the_json_writer_without_recursion_writes_what_serde_writes() {
    let v = serde_json::json!({
        "a": [1, 2.5, "x\u{1b}\"y", null, true, [], {}],
        "b": {"c": [{"d": []}], "e": -3},
        "": "",
    });
    assert_eq!(
        sphere::render::json::pretty(&v),
        serde_json::to_string_pretty(&v).expect("serialises") + "\n"
    );
    // Compact, as the server answers: serde's compact text.
    assert_eq!(
        sphere::render::json::compact(&v),
        serde_json::to_string(&v).expect("serialises")
    );
    // Deeper than the indented levels: the same JSON, compact below them.
    let mut deep = serde_json::json!({"leaf": [1, {"a": "b"}]});
    for i in 0..40 {
        deep = serde_json::json!({"level": i, "below": [deep]});
    }
    let text = sphere::render::json::pretty(&deep);
    let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(back, deep);
    assert_eq!(
        sphere::render::json::compact(&deep),
        serde_json::to_string(&deep).expect("serialises")
    );
    assert!(
        text.contains("{\"level\":3,\"below\":[{\"level\":2,"),
        "compact deep down"
    );
    assert!(text.contains("\n  \"level\": 39,\n"), "indented above");
    let shallow = chain_derivation(3);
    let json = sphere::render::json::derivation(&shallow);
    assert_eq!(
        sphere::render::json::pretty(&json),
        serde_json::to_string_pretty(&json).expect("serialises") + "\n"
    );
    assert_eq!(json["premises"][0]["premises"][0]["fact"], "reach(1)");
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

/// Replays the command-line fuzzer's corpus (`fuzz/corpus/cli/`) through the binary, decoded
/// as the target decodes it (NUL-separated arguments, the last part on standard input, `@M1`
/// and the like naming files of the repository, `@N` a word of the target's list), in a
/// scratch folder: each ends with 0, 1 or 2, never a panic.
#[test]
fn cli_fuzz_corpus_ends_with_an_exit_code_never_a_panic() {
    let target = fs::read_to_string(repo().join("fuzz/fuzz_targets/cli.rs")).expect("the target");
    // The target's word list, read from its source so that the two cannot drift apart.
    let list = target
        .split_once("const WORDS: &[&str] = &[")
        .and_then(|(_, rest)| rest.split_once("];"))
        .map(|(list, _)| list)
        .expect("WORDS in the target");
    let words: Vec<String> = list
        .split("\",")
        .filter_map(|w| {
            w.split_once('"')
                .map(|(_, w)| w.trim_end_matches('"').to_string())
        })
        .collect();
    assert!(words.len() > 50, "{words:?}");
    let files = [
        ("@M1", "facts/s04_phone_call.json"),
        ("@M2", "facts/demo_week.json"),
        ("@M3", "facts/s10_newsletter_selection.json"),
        ("@P1", "examples/dataflow.dl"),
        ("@P2", "examples/dataflow"),
        ("@K", "knowledge"),
    ];
    let dir = scratch("cli-corpus");
    let mut entries: Vec<PathBuf> = fs::read_dir(repo().join("fuzz/corpus/cli"))
        .expect("fuzz/corpus/cli exists")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    assert!(entries.len() >= 20, "the seeds at least");
    let mut ran = 0;
    for path in &entries {
        let data = fs::read(path).expect("readable");
        let mut parts: Vec<&[u8]> = data.split(|b| *b == 0).collect();
        let stdin = parts.pop().unwrap_or_default();
        if parts.is_empty() || parts.len() > 12 {
            continue;
        }
        let mut args: Vec<String> = Vec::new();
        let mut skip = false;
        for p in &parts {
            let text = String::from_utf8_lossy(p).into_owned();
            let word = match text.strip_prefix('@').and_then(|n| n.parse::<usize>().ok()) {
                Some(n) => words[n % words.len()].clone(),
                None => text,
            };
            match files.iter().find(|(w, _)| *w == word) {
                Some((_, f)) => args.push(repo().join(f).to_string_lossy().into_owned()),
                None => {
                    skip |= word.contains('/')
                        || word.contains("..")
                        || word == "serve"
                        || word.parse::<u64>().is_ok_and(|n| n > 10_000);
                    args.push(word);
                }
            }
        }
        if skip {
            continue;
        }
        if args.iter().any(|a| a == "--json") {
            args.extend(["--max-tuples", "100000", "--timeout", "2"].map(String::from));
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_sphere"))
            .args(&args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .env_remove("SPHERE_JOURNAL")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        let mut input = child.stdin.take().expect("stdin");
        let bytes = stdin.to_vec();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let _ = input.write_all(&bytes);
        });
        let out = child.wait_with_output().expect("ends");
        let _ = writer.join();
        let err = stderr(&out);
        assert!(
            matches!(out.status.code(), Some(0..=2)) && !err.contains("panicked"),
            "{}: {args:?} ended with {:?}: {err}",
            path.display(),
            out.status.code()
        );
        ran += 1;
    }
    assert!(ran >= 20, "{ran} command lines ran");
}

// ----------------------------------------------------------------- the argument path

/// Random command lines from sphere's own vocabulary (commands, options, good and bad values,
/// good and bad files), run in a scratch folder with stdin closed: every one ends with 0, 1 or
/// 2 and never with a panic, and writes nothing outside the folder it runs in. A seeded
/// generator, so a failure names the command line and repeats.
#[test]
fn random_command_lines_end_with_an_exit_code_never_a_panic() {
    let dir = scratch("argv");
    let m = |p: &str| repo().join(p).to_string_lossy().into_owned();
    let good = m("facts/s04_phone_call.json");
    let demo = m("facts/demo_week.json");
    let bad = dir.join("bad.json");
    fs::write(
        &bad,
        "{\"format\": \"sphere-model/1\", \"as_of\": \"2025-02-30\", \"as_of\": 1e400}",
    )
    .expect("writable");
    let bad = bad.to_string_lossy().into_owned();
    let prog = m("examples/dataflow.dl");
    let facts = m("examples/dataflow");
    let commands = [
        "check", "explain", "eval", "graph", "gen", "kb", "validate", "facts", "gate", "approve",
        "reject", "pending", "journal", "repl", "nonsense",
    ];
    let words: Vec<String> = vec![
        good.clone(),
        demo,
        bad,
        prog,
        "-F".into(),
        facts,
        "-D".into(),
        "out".into(),
        "-o".into(),
        "out.json".into(),
        "--format".into(),
        "json".into(),
        "text".into(),
        "md".into(),
        "sarif".into(),
        "dot".into(),
        "mermaid".into(),
        "--as-of".into(),
        "2025-06-16".into(),
        "9999-12-31".into(),
        "0000-00-00".into(),
        "--assume".into(),
        "consent_channel(\"c\", \"phone\")".into(),
        "finding(\"a\")".into(),
        "--rules".into(),
        "--kb".into(),
        ".".into(),
        "--facts".into(),
        "--lang".into(),
        "de".into(),
        "--tree".into(),
        "--stats".into(),
        "--explain".into(),
        "path(1, X)".into(),
        "--why-not".into(),
        "--max-tuples".into(),
        "0".into(),
        "100".into(),
        "--timeout".into(),
        "0.2".into(),
        "-1".into(),
        "--subjects".into(),
        "3".into(),
        "--activities".into(),
        "7".into(),
        "--seed".into(),
        "list".into(),
        "check".into(),
        "lint".into(),
        "show".into(),
        "gdpr:6".into(),
        "verify".into(),
        "head".into(),
        "--journal".into(),
        "j.db".into(),
        "--by".into(),
        "staff-x".into(),
        "--reason".into(),
        "r".into(),
        "-".into(),
        "--".into(),
        "\u{1b}[2J".into(),
        "x".repeat(5000),
        "".into(),
        "--json".into(),
        "--engine".into(),
        "interpreted".into(),
        "compiled".into(),
        "--help".into(),
        "--version".into(),
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for _ in 0..150 {
        let mut args: Vec<String> = vec![commands[next(commands.len())].to_string()];
        for _ in 0..next(6) {
            args.push(words[next(words.len())].clone());
        }
        let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
            .args(&args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .env("SPHERE_MAX_INPUT_BYTES", "10000000")
            .stdin(Stdio::null())
            .output()
            .expect("runs");
        let err = stderr(&out);
        let code = out.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "{args:?}: exit {code:?}\n{err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
