//! `sphere repl`: scripted sessions on stdin through the binary (answers only on stdout,
//! errors on stderr, the session going on after each), completion through the library's
//! interpreter, and the session shown in `docs/dpo-guide.md`, re-run so it cannot go stale.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde_json::Value;
use sphere::repl::Repl;
use sphere::{Date, EvalOptions, KnowledgeBase};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `sphere repl MODEL...` with `script` on stdin (a pipe, so not a terminal).
fn repl(models: &[&str], script: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .arg("repl")
        .args(models)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sphere runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("script written");
    let out = child.wait_with_output().expect("sphere ends");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

/// The ids of the findings of `sphere check MODEL --format json`, with their rule and what
/// they are about.
fn check(model: &str) -> Vec<(String, String, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", model, "--format", "json"])
        .output()
        .expect("sphere runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let about = f["activity"].as_str().or(f["object"].as_str());
            (
                f["id"].as_str().expect("id").to_string(),
                f["rule"].as_str().expect("rule").to_string(),
                about.expect("about").to_string(),
            )
        })
        .collect()
}

fn transcript(script: &str, run: &Run) -> String {
    format!(
        "script:\n{script}\nexit code: {:?}\n\nstdout:\n{}\nstderr:\n{}",
        run.code, run.stdout, run.stderr
    )
}

#[test]
fn assume_cures_the_planned_call_and_retract_brings_the_finding_back() {
    let before = check("facts/s12_what_if_consent.json");
    let clean = check("facts/s12_what_if_consent_clean.json");
    let (call, rule, act) = before
        .iter()
        .find(|f| f.1 == "uwg_phone_without_consent")
        .cloned()
        .expect("the planned call is blocked");
    assert!(
        clean.is_empty(),
        "the clean file has no findings: {clean:?}"
    );
    let script = "\
findings
why ACT
assume consent(\"cns-assumed\", \"subj-karl-kaufmann\", 2025-01-01, \"written\", \"org-optik-ag\")
assume consent_purpose(\"cns-assumed\", \"sales\")
assume consent_informed(\"cns-assumed\")
assume consent_channel(\"cns-assumed\", \"phone\")
assume consent_documented(\"cns-assumed\").
findings
retract consent_channel(\"cns-assumed\", \"phone\")
findings
"
    .replace("ACT", &act);
    let run = repl(&["facts/s12_what_if_consent.json"], &script);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let out = &run.stdout;
    // `why ACTIVITY` explains the blocking finding down to the model and the norm.
    assert!(
        out.contains(&format!("2 blocking findings about {act}:")),
        "{out}"
    );
    assert!(out.contains(&format!("BLOCK {call} [high] {act}")), "{out}");
    assert!(
        out.contains("[fact: facts/s12_what_if_consent.json $.activities["),
        "{out}"
    );
    assert!(
        out.contains(&format!("rule {rule}: Section 7(2) no. 1 UWG")),
        "{out}"
    );
    // With the consent's channel assumed the call's finding vanishes; once it is documented
    // as well, nothing is left (as in the clean file); retracting the channel brings it back.
    let vanished = format!("- BLOCK {call} {act} {rule}");
    let appeared = format!("+ BLOCK {call} {act} {rule}");
    let v = out.find(&vanished).expect("the finding vanishes");
    let a = out.find(&appeared).expect("and comes back");
    assert!(v < a);
    assert!(out.contains("no findings (as of 2025-06-16)"), "{out}");
    insta::assert_snapshot!(transcript(&script, &run));
}

#[test]
fn a_demo_week_session_answers_every_kind_of_question_and_survives_errors() {
    let script = "\
findings
why act-week-linkedin-dm
?- finding(R, \"act-week-reuse-photo\",
     S, _).
?- consent_channel(C, \"email\").
?- consent_channel(\"cns-week-felix-newsletter\", \"phone\").
whynot ad_consent(\"act-week-call-karl\", \"subj-karl-kaufmann\")
whynot uwg_email_without_consent act-week-call-karl
remedies F-0ac2e1988f725aa0
findngs
why act-nowhere
norm gdpr:6.1.a
rules kug:22
retract activity_channel(\"act-week-linkedin-dm\", \"social_dm\")
assume activity_channel(\"act-week-linkedin-dm\", \"social_dm\")
lang de
why F-0ac2e1988f725aa0
";
    let run = repl(&["facts/demo_week.json"], script);
    // Two inputs failed: the exit code says so, and every later input was answered.
    assert_eq!(run.code, Some(2));
    assert_eq!(
        run.stderr,
        format!(
            "error: unknown command `findngs`\n  hint: did you mean `findings`? `help` lists the commands\n\
             error: no finding or activity `act-nowhere` in this model\n  hint: {}\n",
            hint_for("act-nowhere")
        )
    );
    let out = &run.stdout;
    // `findings` lists exactly the findings of `check`.
    let expected = check("facts/demo_week.json");
    for (id, rule, about) in &expected {
        assert!(out.contains(&format!("{id} {about} {rule}")), "{id}: {out}");
    }
    assert!(
        out.contains(&format!("{} findings", expected.len())),
        "{out}"
    );
    // The query with variables: one line per binding, sorted.
    let reuse: Vec<&String> = expected
        .iter()
        .filter(|f| f.2 == "act-week-reuse-photo")
        .map(|f| &f.1)
        .collect();
    assert_eq!(reuse.len(), 3);
    for r in &reuse {
        assert!(
            out.contains(&format!("R = \"{r}\", S = \"subj-nina-lang\"")),
            "{out}"
        );
    }
    assert!(out.contains("(3 answers)"), "{out}");
    // A retraction cures the three findings on the DM; assuming the fact again brings them back.
    let dm: Vec<&String> = expected
        .iter()
        .filter(|f| f.2 == "act-week-linkedin-dm")
        .map(|f| &f.0)
        .collect();
    assert_eq!(dm.len(), 3);
    for id in dm {
        assert!(out.contains(&format!("- BLOCK {id}")), "{out}");
        assert!(out.contains(&format!("+ BLOCK {id}")), "{out}");
    }
    // `whynot` in words: Karl has no consent at all, and the call is no e-mail.
    assert!(
        out.contains("rule consent_in_effect#1 (D = 2025-06-12): no consent of subj-karl-kaufmann is on record"),
        "{out}"
    );
    assert!(
        out.contains(
            "(Ch = phone): phone is not electronic mail  [electronic_mail_channel(\"phone\")]"
        ),
        "{out}"
    );
    // `remedies`: a consent for the next call, verified.
    assert!(
        out.contains("1. obtain and document a written consent of subj-karl-kaufmann for sales by phone before act-week-call-karl-next"),
        "{out}"
    );
    // `lang de` switches the explanation to German.
    assert!(out.contains("Werbeanruf act-week-call-karl"), "{out}");
    insta::assert_snapshot!(transcript(script, &run));
}

/// The hint the REPL gives for an unknown id in the demo week, as `did_you_mean` picks it.
fn hint_for(id: &str) -> String {
    let ids: Vec<String> = check("facts/demo_week.json")
        .into_iter()
        .flat_map(|f| [f.0, f.2])
        .chain(activity_ids("facts/demo_week.json"))
        .collect();
    match sphere::did_you_mean(id, ids.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "`findings` lists the finding ids and the activities they are about".into(),
    }
}

fn activity_ids(model: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(model)).expect("model");
    let doc: Value = serde_json::from_str(&text).expect("json");
    doc["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn a_query_left_open_at_the_end_of_the_input_is_an_error() {
    let run = repl(&["facts/s12_what_if_consent.json"], "?- finding(R, A,\n");
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("the input ended inside a query"),
        "{}",
        run.stderr
    );
}

#[test]
fn load_merges_a_file_and_reload_reads_every_file_again() {
    // A fragment with the consent of the clean file: loaded, it cures the planned call.
    let clean: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s12_what_if_consent_clean.json"),
        )
        .expect("model"),
    )
    .expect("json");
    let fragment = serde_json::json!({
        "format": clean["format"],
        "consents": clean["consents"],
    });
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("repl_consent_fragment.json");
    std::fs::write(&path, fragment.to_string()).expect("tmp");
    let (call, rule, act) = check("facts/s12_what_if_consent.json")
        .into_iter()
        .find(|f| f.1 == "uwg_phone_without_consent")
        .expect("the planned call is blocked");
    let script = format!(
        "load facts/s04_phone_call.json\nload {}\nreload\nfindings\n",
        path.display()
    );
    let run = repl(&["facts/s12_what_if_consent.json"], &script);
    // S4 repeats the organization and objects of S12: the merge says so, and the session goes
    // on with the model it had.
    assert_eq!(run.code, Some(2), "{}", run.stdout);
    assert!(
        run.stderr.contains("error[organization_conflict]"),
        "{}",
        run.stderr
    );
    let out = &run.stdout;
    let loaded = format!(
        "model: facts/s12_what_if_consent.json {}\n- BLOCK ",
        path.display()
    );
    assert!(out.contains(&loaded), "{out}");
    assert!(
        out.contains(&format!("- BLOCK {call} {act} {rule}")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "model: facts/s12_what_if_consent.json {}\nno finding appeared or vanished",
            path.display()
        )),
        "{out}"
    );
    assert!(out.ends_with("no findings (as of 2025-06-16)\n"), "{out}");
}

fn kb() -> Arc<KnowledgeBase> {
    Arc::new(KnowledgeBase::shipped().expect("the shipped knowledge base"))
}

fn demo() -> Repl {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Repl::new(
        kb(),
        vec![root.join("facts/demo_week.json")],
        Date::parse("2025-06-16").expect("date"),
        EvalOptions::default(),
    )
    .expect("the demo week loads")
}

#[test]
fn completion_offers_commands_relations_and_ids() {
    let r = demo();
    let complete = |line: &str| r.complete(line, line.len());
    assert_eq!(complete("wh"), (0, vec!["why".into(), "whynot".into()]));
    assert_eq!(complete("as"), (0, vec!["as-of".into(), "assume".into()]));
    let (start, got) = complete("why act-week-l");
    assert_eq!((start, got), (4, vec!["act-week-linkedin-dm".to_string()]));
    let (_, got) = complete("why F-0ac");
    assert_eq!(got, vec!["F-0ac2e1988f725aa0".to_string()]);
    let (start, got) = complete("?- consent_ch");
    assert_eq!((start, got), (3, vec!["consent_channel".to_string()]));
    let (start, got) = complete("assume consent_channel(\"cns-week-f");
    assert_eq!(
        (start, got),
        (24, vec!["cns-week-felix-newsletter".to_string()])
    );
    let (_, got) = complete("assume activity_subject(\"act-week-call-karl\", \"subj-karl");
    assert_eq!(got, vec!["subj-karl-kaufmann".to_string()]);
    let (_, got) = complete("norm uwg:7.2.");
    assert!(got.contains(&"uwg:7.2.1".to_string()), "{got:?}");
    assert!(got.iter().all(|n| n.starts_with("uwg:7.2.")), "{got:?}");
    assert_eq!(complete("lang d").1, vec!["de".to_string()]);
    let (_, got) = complete("remedies F-0ac");
    assert_eq!(got, vec!["F-0ac2e1988f725aa0".to_string()]);
    let (_, got) = complete("whynot uwg_phone_w");
    assert_eq!(got, vec!["uwg_phone_without_consent".to_string()]);
    let (_, got) = complete("whynot uwg_phone_without_consent act-week-call");
    assert_eq!(got, vec!["act-week-call-karl".to_string()]);
    assert_eq!(complete("findings ").1, Vec::<String>::new());
}

#[test]
fn an_error_leaves_the_session_as_it_was() {
    let mut r = demo();
    let before: Vec<String> = r
        .session()
        .try_outcome()
        .expect("the whole model evaluates")
        .findings()
        .iter()
        .map(|f| f.id.clone())
        .collect();
    assert!(r.run("assume no_such_relation(\"x\")").is_err());
    assert!(r.run("retract activity_channel(X, \"social_dm\")").is_err());
    assert!(r.run("load facts/missing.json").is_err());
    let after: Vec<String> = r
        .session()
        .try_outcome()
        .expect("the whole model evaluates")
        .findings()
        .iter()
        .map(|f| f.id.clone())
        .collect();
    assert_eq!(before, after);
    // A query continued over lines answers once, at its final `.`.
    assert!(r.feed("?- finding(R,").is_none());
    assert!(r.continuing());
    let answer = r
        .feed("  \"act-week-call-karl\", S, D).")
        .expect("complete");
    assert_eq!(
        answer.expect("an answer"),
        "R = \"gdpr_advertising_without_basis\", S = \"subj-karl-kaufmann\", D = 2025-06-12\nR = \"uwg_phone_without_consent\", S = \"subj-karl-kaufmann\", D = 2025-06-12\n(2 answers)\n"
    );
    r.feed("?- finding(");
    r.cancel();
    assert!(!r.continuing());
}

/// The REPL session in `docs/dpo-guide.md`: the block after the marker
/// `<!-- repl MODEL... -->`, inputs after `sphere> `, each followed by its answer (errors
/// as a terminal shows them). Re-run here; `UPDATE_GENERATED=1` rewrites it.
#[test]
fn the_dpo_guide_session_is_what_the_repl_answers() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dpo-guide.md");
    let text = std::fs::read_to_string(&path).expect("docs/dpo-guide.md");
    let marker = "<!-- repl ";
    let at = text.find(marker).expect("the guide has a REPL session");
    let line_end = at + text[at..].find('\n').expect("marker line");
    let models: Vec<PathBuf> = text[at + marker.len()..line_end]
        .trim_end_matches("-->")
        .split_whitespace()
        // Relative to the package (the directory cargo runs tests in), so that the evidence
        // the guide shows names the model as a user types it, not a path of this machine.
        .map(PathBuf::from)
        .collect();
    let open = line_end + 1;
    assert!(
        text[open..].starts_with("```text\n"),
        "a text block follows"
    );
    let body_start = open + "```text\n".len();
    let body_end = body_start + text[body_start..].find("```\n").expect("closed block");
    let body = &text[body_start..body_end];
    let inputs: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("sphere> "))
        .collect();
    assert!(inputs.len() >= 5, "the session asks several questions");
    let mut r = Repl::new(
        kb(),
        models,
        Date::parse("2025-06-16").expect("date"),
        EvalOptions::default(),
    )
    .expect("the model loads");
    let mut fresh = String::new();
    for input in inputs {
        fresh.push_str(&format!("sphere> {input}\n"));
        match r.run(input) {
            Ok(answer) => fresh.push_str(&answer),
            Err(e) => fresh.push_str(&e.render(false)),
        }
    }
    if fresh != body {
        if std::env::var_os("UPDATE_GENERATED").is_some() {
            let updated = format!("{}{}{}", &text[..body_start], fresh, &text[body_end..]);
            std::fs::write(&path, updated).expect("docs/dpo-guide.md is writable");
            return;
        }
        panic!(
            "the REPL session in docs/dpo-guide.md is stale: run `UPDATE_GENERATED=1 cargo test --test it repl` and review the diff\n\nfresh:\n{fresh}"
        );
    }
}

/// In a real pseudo-terminal: tab completes a command and an activity id, Ctrl-C cancels a
/// line without ending the session, Ctrl-D leaves, and the history file written then brings
/// the last input back (up arrow) in the next session.
#[test]
fn on_a_terminal_tab_completes_and_the_history_outlives_the_session() {
    let history = Path::new(env!("CARGO_TARGET_TMPDIR")).join("repl_history_pty.txt");
    let _ = std::fs::remove_file(&history);
    let start = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sphere"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .env("TERM", "xterm")
            .args(["repl", "facts/s12_what_if_consent.json", "--history"])
            .arg(&history);
        rexpect::session::spawn_command(cmd, Some(60_000)).expect("sphere runs in a pty")
    };
    let mut p = start();
    p.exp_string("sphere> ").expect("a prompt");
    p.send("fin\t").expect("typed");
    p.send_line("").expect("enter");
    p.exp_string("2 findings, 2 need action")
        .expect("`fin` + tab is `findings`");
    p.exp_string("sphere> ").expect("a prompt");
    p.send("why act-s4-c\t").expect("typed");
    p.send_line("").expect("enter");
    p.exp_string("2 blocking findings about act-s4-call")
        .expect("the activity id completed");
    p.exp_string("sphere> ").expect("a prompt");
    p.send("findngs").expect("typed");
    p.send_control('c').expect("ctrl-c");
    // The line editor leaves raw mode and enters it again for the next line, which drops
    // input typed meanwhile: give it that moment.
    std::thread::sleep(std::time::Duration::from_secs(1));
    p.send_line("help").expect("help");
    p.exp_string("commands:")
        .expect("the session goes on after Ctrl-C");
    p.exp_string("sphere> ").expect("a prompt");
    p.send_control('d').expect("ctrl-d");
    p.exp_eof().expect("Ctrl-D leaves");
    let saved = std::fs::read_to_string(&history).expect("the history is written");
    assert!(saved.contains("findings\n"), "{saved}");
    assert!(saved.contains("why act-s4-call\n"), "{saved}");
    assert!(
        !saved.contains("findngs"),
        "a cancelled line is not history: {saved}"
    );
    let mut p = start();
    p.exp_string("sphere> ").expect("a prompt");
    // Up arrow twice: `help`, then `why act-s4-call`.
    p.send("\x1b[A\x1b[A").expect("up arrow");
    p.send_line("").expect("enter");
    p.exp_string("2 blocking findings about act-s4-call")
        .expect("the history of the last session");
    // Ctrl-D only ends the session at a prompt: typed while the answer is still being
    // printed, the terminal (not yet in raw mode) takes it as its own end-of-file mark.
    p.exp_string("sphere> ").expect("a prompt");
    p.send_control('d').expect("ctrl-d");
    p.exp_eof().expect("Ctrl-D leaves");
}

/// Under `--max-tuples` just met by the model, an assumption about one consent is applied in
/// parts, within the bound, but the whole model passes it: a query, which needs the whole
/// model's evaluation, prints the bound's error on stderr, and the session goes on with the
/// next input as if the query had not been asked (exit code 2: an input failed); with the
/// assumption taken back, the same query answers.
#[test]
fn a_query_past_the_bound_of_the_whole_model_is_an_error_and_the_session_goes_on() {
    let bound = crate::bounded_model_tuples().to_string();
    let args = [crate::BOUNDED_MODEL, "--max-tuples", bound.as_str()];
    let assume = "assume consent_channel(\"cns-week-julia-newsletter\", \"phone\")\n";
    let query = "?- consent_channel(\"cns-week-julia-newsletter\", C).\n";
    // Taken back, the assumption leaves the model within the bound: the query answers.
    let rest = format!(
        "findings\nretract consent_channel(\"cns-week-julia-newsletter\", \"phone\")\n{query}"
    );
    let asked = format!("{assume}{query}{rest}");
    let run = repl(&args, &asked);
    assert_eq!(run.code, Some(2), "{}", transcript(&asked, &run));
    assert_eq!(
        run.stderr.matches("error:").count(),
        1,
        "{}",
        transcript(&asked, &run)
    );
    assert!(
        run.stderr.contains(&format!(
            "error: evaluation stopped: the relations together grew past {bound} tuples"
        )),
        "{}",
        transcript(&asked, &run)
    );
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    // Without the query: the same answers, so the failed query changed nothing.
    let not_asked = format!("{assume}{rest}");
    let without = repl(&args, &not_asked);
    assert_eq!(
        without.code,
        Some(0),
        "{}",
        transcript(&not_asked, &without)
    );
    assert_eq!(run.stdout, without.stdout);
    // The findings listed after the error, and the query answered at the end.
    assert!(
        run.stdout.contains("10 findings, 10 need action"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("C = \"email\"\n(1 answer)\n"),
        "{}",
        run.stdout
    );
}
