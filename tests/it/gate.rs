//! The gate, the DPO's approvals bound to the facts, and what waits for the DPO: over the real
//! binary and a real SQLite journal in a temporary folder, on the demo company's planned
//! phone call to Karl Kaufmann without consent (`facts/s12_what_if_consent.json`).

use std::path::{Path, PathBuf};
use std::process::Command;

use rusqlite::Connection;
use serde_json::Value;

const MODEL: &str = "facts/s12_what_if_consent.json";
const CLEAN: &str = "facts/s12_what_if_consent_clean.json";
const CALL: &str = "act-s4-call";
const DPO: &str = "staff-markus-richter";
const MARKETING: &str = "staff-jonas-weber";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn sphere(journal: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(args)
        .arg("--journal")
        .arg(journal)
        .env("NO_COLOR", "1")
        .env_remove("SPHERE_JOURNAL")
        .output()
        .expect("sphere runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn gate_json(journal: &Path, model: &str) -> (i32, Value) {
    let r = sphere(journal, &["gate", model, CALL, "--format", "json"]);
    assert!(r.code == 0 || r.code == 1, "gate failed: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("gate JSON");
    (r.code, v)
}

/// The blocking finding of the uncovered call: id and facts digest.
fn blocking(v: &Value, rule: &str) -> (String, String, String) {
    let b = v["blocking"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|b| b["rule"] == rule)
        .unwrap_or_else(|| panic!("a blocking finding of {rule} in {v}"));
    (
        b["id"].as_str().expect("id").to_string(),
        b["facts_digest"].as_str().expect("digest").to_string(),
        b["approval"]["status"]
            .as_str()
            .expect("status")
            .to_string(),
    )
}

fn head_line(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("journal head: "))
        .unwrap_or_else(|| panic!("a journal head in {stdout}"))
        .to_string()
}

fn actions(journal: &Path) -> Vec<(String, String)> {
    let conn = Connection::open(journal).expect("open the journal");
    let mut stmt = conn
        .prepare("SELECT action, actor FROM entries ORDER BY seq")
        .expect("query");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect()
}

/// A copy of a model file with `edit` applied to its JSON.
fn changed(dir: &Path, from: &str, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(from).expect("model")).expect("JSON");
    edit(&mut v);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&v).expect("JSON")).expect("written");
    path
}

fn call_of(v: &mut Value) -> &mut Value {
    v["activities"]
        .as_array_mut()
        .expect("activities")
        .iter_mut()
        .find(|a| a["id"] == CALL)
        .expect("the planned call")
}

fn verify(journal: &Path) {
    let r = sphere(journal, &["journal", "verify"]);
    assert_eq!(r.code, 0, "journal verify: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("verdict: intact"), "{}", r.stdout);
}

const RULE: &str = "uwg_phone_without_consent";

/// The DPO approves every other finding that blocks the call on these facts, so that a test
/// can follow the UWG finding alone (the call has no GDPR basis either: the UWG veto on the
/// balancing gives a second blocking finding on the same facts).
fn approve_others(journal: &Path, model: &str, except: &str) {
    let (_, v) = gate_json(journal, model);
    let others: Vec<String> = v["blocking"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|b| b["id"].as_str().expect("id").to_string())
        .filter(|id| id != except)
        .collect();
    assert!(
        !others.is_empty(),
        "the call has a second blocking finding: {v}"
    );
    for id in others {
        let r = sphere(
            journal,
            &[
                "approve",
                model,
                &id,
                "--by",
                DPO,
                "--reason",
                "decided with the UWG finding",
            ],
        );
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    }
}

#[test]
fn a_call_without_consent_is_blocked_until_the_dpo_approves_and_closes_when_the_facts_change() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let j = dir.path().join("journal.db");

    // Blocked, with the reason and the remedy; the block waits for the DPO.
    let r = sphere(&j, &["gate", MODEL, CALL]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("BLOCKED act-s4-call"), "{}", r.stdout);
    assert!(r.stdout.contains("Section 7(2) no. 1 UWG"), "{}", r.stdout);
    assert!(
        r.stdout.contains("to unblock: Call only after obtaining"),
        "{}",
        r.stdout
    );
    let first_head = head_line(&r.stdout);
    assert!(
        first_head.starts_with("3:"),
        "two blocks (UWG and the GDPR veto) and the receipt: {first_head}"
    );
    let (id, digest, status) = blocking(&gate_json(&j, MODEL).1, RULE);
    assert_eq!(status, "waiting");

    // The marketing manager may not approve: exit 2, the refusal is journaled.
    let r = sphere(
        &j,
        &[
            "approve", MODEL, &id, "--by", MARKETING, "--reason", "urgent",
        ],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("only the DPO decides"), "{}", r.stderr);
    assert!(
        r.stderr.contains(DPO),
        "the hint names the DPO: {}",
        r.stderr
    );
    let refused_head = head_line(&r.stdout);
    assert!(refused_head.starts_with("5:"), "{refused_head}");
    assert_eq!(
        actions(&j).last(),
        Some(&("refusal".to_string(), MARKETING.to_string()))
    );
    let (code, _) = gate_json(&j, MODEL);
    assert_eq!(code, 1, "a refused approval opens nothing");

    // The DPO approves; the gate opens.
    let r = sphere(
        &j,
        &[
            "approve",
            MODEL,
            &id,
            "--by",
            DPO,
            "--reason",
            "written consent on paper, K-17",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&digest),
        "the approval names the facts: {}",
        r.stdout
    );
    head_line(&r.stdout);
    let (code, _) = gate_json(&j, MODEL);
    assert_eq!(code, 1, "the GDPR finding still waits");
    approve_others(&j, MODEL, &id);
    let (code, v) = gate_json(&j, MODEL);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["verdict"], "allowed");
    assert_eq!(blocking(&v, RULE).2, "approved");

    // The reason's text is not in the journal, only its digest.
    let bytes = std::fs::read(&j).expect("journal bytes");
    let needle = b"K-17";
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));

    // A new date: same finding id, other facts: the approval no longer applies.
    let moved = changed(dir.path(), MODEL, "moved.json", |v| {
        call_of(v)["date"] = "2025-06-20".into();
    });
    let (code, v) = gate_json(&j, moved.to_str().expect("path"));
    assert_eq!(code, 1, "{v}");
    let (moved_id, moved_digest, status) = blocking(&v, RULE);
    assert_eq!(moved_id, id, "the finding id does not depend on the date");
    assert_ne!(moved_digest, digest);
    assert_eq!(status, "waiting");

    // The subject withdraws the consent of the clean variant: the gate closes, and the
    // approval of the call without consent does not cover the call after a withdrawal.
    let r = sphere(&j, &["gate", CLEAN, CALL]);
    assert_eq!(r.code, 0, "with consent the call is allowed: {}", r.stdout);
    let withdrawn = changed(dir.path(), CLEAN, "withdrawn.json", |v| {
        v["consents"][0]["withdrawn"] = "2025-06-10".into();
    });
    let (code, v) = gate_json(&j, withdrawn.to_str().expect("path"));
    assert_eq!(code, 1, "{v}");
    let (w_id, w_digest, status) = blocking(&v, RULE);
    assert_eq!(w_id, id);
    assert_ne!(w_digest, digest, "a withdrawn consent is another fact");
    assert_eq!(status, "waiting");

    // The original facts are still approved.
    assert_eq!(gate_json(&j, MODEL).0, 0);
    verify(&j);

    // Editing one byte of the journal makes `verify` fail and name the entry: the actor of
    // the refused approval (entry 5) is the only place the marketing manager's id is stored.
    assert!(
        !dir.path().join("journal.db-wal").exists(),
        "the last process checkpointed the log into the file"
    );
    let mut bytes = std::fs::read(&j).expect("journal bytes");
    let at = bytes
        .windows(MARKETING.len())
        .position(|w| w == MARKETING.as_bytes())
        .expect("the refusal's actor in the file");
    assert_eq!(
        bytes[at + 1..]
            .windows(MARKETING.len())
            .filter(|w| *w == MARKETING.as_bytes())
            .count(),
        0,
        "stored once"
    );
    bytes[at + 6] ^= 0x20; // `staff-jonas-weber` becomes `staff-Jonas-weber`
    let edited = dir.path().join("edited.db");
    std::fs::write(&edited, &bytes).expect("written");
    let r = sphere(&edited, &["journal", "verify"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("entry 5: changed"), "{}", r.stdout);
}

#[test]
fn an_approval_expires_a_rejection_holds_and_pending_lists_oldest_first() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let j = dir.path().join("journal.db");
    let (_, v) = gate_json(&j, MODEL);
    let (id, _, _) = blocking(&v, RULE);
    approve_others(&j, MODEL, &id);

    // Pending: the block waits, with its reason.
    let r = sphere(&j, &["pending", MODEL, "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let p: Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(p.as_array().map(Vec::len), Some(1), "{p}");
    assert_eq!(p[0]["finding_id"], id.as_str());
    assert_eq!(p[0]["activity"], CALL);
    assert!(p[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("without prior express consent")));
    assert!(p[0]["waited_seconds"].as_i64().is_some_and(|s| s >= 0));

    // A second, changed call blocks later: listed after the first.
    let moved = changed(dir.path(), MODEL, "moved.json", |v| {
        call_of(v)["date"] = "2025-06-20".into();
    });
    let moved = moved.to_str().expect("path");
    assert_eq!(gate_json(&j, moved).0, 1);
    let r = sphere(&j, &["pending", MODEL, "--format", "json"]);
    let p: Value = serde_json::from_str(&r.stdout).expect("JSON");
    let entries: Vec<i64> = p
        .as_array()
        .expect("list")
        .iter()
        .map(|e| e["entry"].as_i64().expect("entry"))
        .collect();
    assert_eq!(
        entries.len(),
        3,
        "the first call's UWG block and two of the moved call: {p}"
    );
    assert!(
        entries.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {entries:?}"
    );
    assert_eq!(p[0]["finding_id"], id.as_str(), "{p}");

    // An approval that ended yesterday is refused up front; one that ends today applies.
    let r = sphere(
        &j,
        &[
            "approve",
            MODEL,
            &id,
            "--by",
            DPO,
            "--reason",
            "r",
            "--until",
            "2000-01-01",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("in the past"), "{}", r.stderr);

    // An approval recorded with an end in the past (as a DPO's approval becomes when its
    // day has passed): written as an entry with the library, then the gate sees it expired.
    {
        use sphere::journal::{Config, Context, Decision, FindingRef, Journal, NewEntry, Payload};
        let (_, v) = gate_json(&j, MODEL);
        let (_, digest, _) = blocking(&v, RULE);
        let mut journal = Journal::open(&j, &Config::default()).expect("journal");
        journal
            .append(&NewEntry {
                time: jiff::Timestamp::now(),
                actor: DPO.into(),
                finding: Some(FindingRef {
                    id: id.clone(),
                    facts_digest: digest,
                }),
                context: Context {
                    engine_version: "sphere test".into(),
                    kb_digest: None,
                    model_digest: None,
                },
                payload: Payload::Approve(Decision {
                    reason_digest: sphere::journal::text_digest("until the end of 2024"),
                    until: Some(jiff::civil::date(2024, 12, 31)),
                }),
            })
            .expect("appended");
    }
    let blocks_before = actions(&j).iter().filter(|a| a.0 == "block").count();
    let (code, v) = gate_json(&j, MODEL);
    assert_eq!(code, 1, "an expired approval does not open the gate: {v}");
    assert_eq!(blocking(&v, RULE).2, "expired");
    let blocks_after = actions(&j).iter().filter(|a| a.0 == "block").count();
    assert_eq!(blocks_after, blocks_before + 1, "the DPO is alerted again");

    // Rejected: the gate stays closed whatever the retries, and no new alarm is raised.
    let r = sphere(
        &j,
        &["reject", MODEL, &id, "--by", DPO, "--reason", "no consent"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    head_line(&r.stdout);
    for _ in 0..3 {
        let (code, v) = gate_json(&j, MODEL);
        assert_eq!(code, 1);
        assert_eq!(blocking(&v, RULE).2, "rejected");
    }
    assert_eq!(
        actions(&j).iter().filter(|a| a.0 == "block").count(),
        blocks_after,
        "retries after a rejection alert nobody"
    );
    let r = sphere(&j, &["pending", MODEL, "--format", "json"]);
    let p: Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(
        p.as_array().map(Vec::len),
        Some(2),
        "only the moved call's two findings wait: {p}"
    );

    // A later approval is a new, explicit decision of the DPO: then the gate opens.
    let r = sphere(
        &j,
        &[
            "approve",
            MODEL,
            &id,
            "--by",
            DPO,
            "--reason",
            "consent found",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(gate_json(&j, MODEL).0, 0);

    // Someone else may not reject either.
    let r = sphere(
        &j,
        &["reject", MODEL, &id, "--by", MARKETING, "--reason", "x"],
    );
    assert_eq!(r.code, 2);
    assert_eq!(actions(&j).last().map(|a| a.0.as_str()), Some("refusal"));
    assert_eq!(
        gate_json(&j, MODEL).0,
        0,
        "a refused rejection changes nothing"
    );
    verify(&j);
}

#[test]
fn notify_runs_once_per_finding_and_facts_with_the_finding_as_json() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let j = dir.path().join("journal.db");
    let out = dir.path().join("alerts");
    std::fs::create_dir(&out).expect("folder");
    // Each run of the command writes its stdin to a new file.
    let cmd = format!("cat > \"{}/$(date +%s%N)-$$.json\"", out.display());
    let count = || std::fs::read_dir(&out).expect("folder").count();
    for _ in 0..3 {
        let r = sphere(&j, &["gate", MODEL, CALL, "--notify", &cmd]);
        assert_eq!(r.code, 1, "{}", r.stderr);
    }
    assert_eq!(
        count(),
        2,
        "three gates, one alarm for each of the two findings"
    );
    let mut rules = Vec::new();
    for file in std::fs::read_dir(&out).expect("folder") {
        let path = file.expect("entry").path();
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON");
        assert_eq!(v["activity"], CALL);
        assert!(v["facts_digest"].as_str().is_some_and(|d| d.len() == 64));
        rules.push(v["rule"].as_str().expect("rule").to_string());
    }
    rules.sort();
    assert_eq!(rules, ["gdpr_advertising_without_basis", RULE]);

    // Other facts: a new alarm.
    let moved = changed(dir.path(), MODEL, "moved.json", |v| {
        call_of(v)["date"] = "2025-06-20".into();
    });
    let r = sphere(
        &j,
        &[
            "gate",
            moved.to_str().expect("path"),
            CALL,
            "--notify",
            &cmd,
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(count(), 4);
    verify(&j);
}

#[test]
fn a_gate_whose_journal_cannot_be_written_is_an_error_never_allowed() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let j = dir.path().join("journal.db");
    // With the clean model the call would be allowed.
    assert_eq!(sphere(&j, &["gate", CLEAN, CALL]).code, 0);
    let conn = Connection::open(&j).expect("open");
    conn.execute_batch(
        "CREATE TRIGGER fail BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;",
    )
    .expect("a failing write");
    drop(conn);
    let r = sphere(&j, &["gate", CLEAN, CALL]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("ALLOWED"), "{}", r.stdout);
    assert!(r.stderr.contains("cannot append an entry"), "{}", r.stderr);

    // A missing journal folder: an error too.
    let r = sphere(
        &dir.path().join("no/such/folder/journal.db"),
        &["gate", CLEAN, CALL],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stdout.is_empty());
}

#[test]
fn an_unknown_activity_or_finding_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let j = dir.path().join("journal.db");
    let r = sphere(&j, &["gate", MODEL, "act-s4-cal"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no activity `act-s4-cal`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("hint: did you mean `act-s4-call`?"),
        "{}",
        r.stderr
    );
    let r = sphere(
        &j,
        &[
            "approve",
            MODEL,
            "F-0000000000000000",
            "--by",
            DPO,
            "--reason",
            "x",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no finding `F-0000000000000000`"),
        "{}",
        r.stderr
    );
    let r = sphere(&j, &["pending", MODEL]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "nothing waits for the DPO\n");
}

/// `sphere ARGS --journal PATH`, started and not waited for.
fn spawn(journal: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(args)
        .arg("--journal")
        .arg(journal)
        .env("NO_COLOR", "1")
        .env_remove("SPHERE_JOURNAL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sphere starts")
}

fn finish(child: std::process::Child) -> Run {
    let out = child.wait_with_output().expect("sphere finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The block entries of a journal, as (finding id, facts digest).
fn blocks(journal: &Path) -> Vec<(String, String)> {
    let conn = Connection::open(journal).expect("open the journal");
    let mut stmt = conn
        .prepare("SELECT finding_id, facts_digest FROM entries WHERE action = 'block' ORDER BY seq")
        .expect("query");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect()
}

#[test]
fn concurrent_gates_alert_once_per_finding_and_facts() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let j = dir.path().join("journal.db");
    let out = dir.path().join("alerts");
    std::fs::create_dir(&out).expect("folder");
    let cmd = format!("cat > \"{}/$(date +%s%N)-$$.json\"", out.display());
    // Eight gates at once on a new journal: each reads whether the block is journaled and
    // appends it in one writer transaction, so exactly one of them alerts per finding.
    let children: Vec<_> = (0..8)
        .map(|_| spawn(&j, &["gate", MODEL, CALL, "--notify", &cmd]))
        .collect();
    for c in children {
        let r = finish(c);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    }
    let b = blocks(&j);
    let mut distinct = b.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 2, "two blocking findings: {b:?}");
    assert_eq!(b.len(), 2, "one block entry per finding and facts: {b:?}");
    assert_eq!(
        std::fs::read_dir(&out).expect("folder").count(),
        2,
        "one alarm per finding and facts"
    );
    let receipts = actions(&j).iter().filter(|a| a.0 == "receipt").count();
    assert_eq!(receipts, 8, "every gate left its receipt");
    verify(&j);
}

#[test]
fn gates_and_decisions_at_once_keep_one_chain() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let j = dir.path().join("journal.db");
    let (_, v) = gate_json(&j, MODEL);
    let (id, _, _) = blocking(&v, RULE);
    let mut children: Vec<_> = (0..6)
        .map(|_| spawn(&j, &["gate", MODEL, CALL, "--format", "json"]))
        .collect();
    children.push(spawn(
        &j,
        &[
            "approve",
            MODEL,
            &id,
            "--by",
            DPO,
            "--reason",
            "consent K-17",
        ],
    ));
    children.push(spawn(
        &j,
        &[
            "approve", MODEL, &id, "--by", MARKETING, "--reason", "urgent",
        ],
    ));
    let codes: Vec<i32> = children.into_iter().map(|c| finish(c).code).collect();
    assert!(codes[..6].iter().all(|c| *c == 1), "{codes:?}");
    assert_eq!(&codes[6..], &[0, 2], "{codes:?}");
    verify(&j);
    let a = actions(&j);
    let count = |what: &str| a.iter().filter(|x| x.0 == what).count();
    assert_eq!(count("block"), 2, "no gate alerted again: {a:?}");
    assert_eq!(count("receipt"), 7);
    assert_eq!(count("approve"), 1);
    assert_eq!(count("refusal"), 1);
    assert_eq!(a.len(), 11, "no entry lost: {a:?}");
    // The approval counts for the next gate.
    let (_, v) = gate_json(&j, MODEL);
    assert_eq!(blocking(&v, RULE).2, "approved");
}

#[test]
fn an_allowed_gate_prints_its_warnings_with_their_legal_background() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let j = dir.path().join("journal.db");
    let model = "facts/s09_review_reuse_clean.json";
    let activity = "act-s9-reuse-review";
    let r = sphere(&j, &["gate", model, activity]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.starts_with("ALLOWED act-s9-reuse-review\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\nINFO F-"), "{}", r.stdout);
    assert!(
        r.stdout.contains("authenticity of reviews"),
        "the warning's message: {}",
        r.stdout
    );
    assert!(
        r.stdout.contains("cites: Section 5b(3) UWG"),
        "its legal background: {}",
        r.stdout
    );
    let r = sphere(&j, &["gate", model, activity, "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(v["verdict"], "allowed");
    assert_eq!(v["blocking"].as_array().map(Vec::len), Some(0), "{v}");
    let w = &v["warnings"][0];
    assert_eq!(w["decision"], "info", "{v}");
    assert!(
        !w["citations"].as_array().expect("citations").is_empty(),
        "{v}"
    );
    // Nothing waits for the DPO: a warning is no block.
    assert!(!actions(&j).iter().any(|a| a.0 == "block"));
}

/// An approval `--until` a day applies through the whole of that day (UTC) and not from the
/// next: the library's gate, with the time of each request given.
#[test]
fn an_approval_until_today_applies_today_and_not_the_day_after() {
    use sphere::gate::{self, Decided, Request, Status, Verb, Verdict};
    use sphere::journal::{Config, Journal};
    let kb = sphere::KnowledgeBase::shipped().expect("the shipped knowledge base");
    let text = std::fs::read_to_string(MODEL).expect("the model");
    let today = sphere::Date::parse("2025-06-16").expect("a date");
    let model = sphere::Model::from_text(MODEL, &text, today).expect("a valid model");
    let outcome = kb
        .evaluate(&model, &sphere::EvalOptions::default())
        .expect("evaluates");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut j = Journal::open(&dir.path().join("j.db"), &Config::create()).expect("journal");
    let at = |time: &str| Request {
        actor: DPO.into(),
        time: time.parse().expect("a time"),
        engine_version: "sphere test".into(),
    };
    let g = gate::gate(&mut j, &outcome, CALL, &at("2025-06-20T08:00:00Z")).expect("gate");
    assert_eq!(g.verdict, Verdict::Blocked);
    let until = jiff::civil::date(2025, 6, 20);
    for b in &g.blocking {
        // `--until` today is accepted (it is not in the past).
        let d = gate::decide(
            &mut j,
            &outcome,
            Some(DPO),
            Verb::Approve,
            &b.finding.id,
            "consent on paper, valid today",
            Some(until),
            &at("2025-06-20T08:05:00Z"),
        )
        .expect("decided");
        assert!(matches!(d, Decided::Recorded { .. }), "{d:?}");
    }
    // The last second of the day: still approved.
    let g = gate::gate(&mut j, &outcome, CALL, &at("2025-06-20T23:59:59Z")).expect("gate");
    assert_eq!(g.verdict, Verdict::Allowed);
    assert!(g
        .blocking
        .iter()
        .all(|b| matches!(&b.status, Status::Approved { until: Some(u), .. } if *u == until)));
    // The next day: expired, blocked, and the DPO is alerted again.
    let g = gate::gate(&mut j, &outcome, CALL, &at("2025-06-21T00:00:00Z")).expect("gate");
    assert_eq!(g.verdict, Verdict::Blocked);
    assert!(g.blocking.iter().all(
        |b| matches!(&b.status, Status::Expired { until: u, .. } if *u == until) && b.alerted
    ));
    // An approval until yesterday is refused up front.
    let e = gate::decide(
        &mut j,
        &outcome,
        Some(DPO),
        Verb::Approve,
        &g.blocking[0].finding.id,
        "too late",
        Some(until),
        &at("2025-06-21T09:00:00Z"),
    )
    .expect_err("in the past");
    assert!(e.message().contains("in the past"), "{}", e.message());
}

#[test]
fn an_approval_does_not_follow_the_activity_to_another_subject() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let j = dir.path().join("journal.db");
    let (_, v) = gate_json(&j, MODEL);
    let (id, digest, _) = blocking(&v, RULE);
    approve_others(&j, MODEL, "");
    let (code, v) = gate_json(&j, MODEL);
    assert_eq!(code, 0, "every finding approved: {v}");

    // The same planned call, now to another consumer (also without consent).
    let other = changed(dir.path(), MODEL, "other.json", |v| {
        v["subjects"]
            .as_array_mut()
            .expect("subjects")
            .push(serde_json::json!({
                "id": "subj-erika-muster", "name": "Erika Muster", "kind": "consumer",
                "country": "DE"
            }));
        call_of(v)["subjects"] = serde_json::json!(["subj-erika-muster"]);
    });
    let (code, v) = gate_json(&j, other.to_str().expect("path"));
    assert_eq!(
        code, 1,
        "the approval does not apply to another person: {v}"
    );
    let (other_id, other_digest, status) = blocking(&v, RULE);
    assert_eq!(status, "waiting", "{v}");
    assert!(
        other_id != id || other_digest != digest,
        "another finding or other facts"
    );
    assert_ne!(other_digest, digest);
    // Back to the approved person: open again.
    assert_eq!(gate_json(&j, MODEL).0, 0);
    verify(&j);
}
