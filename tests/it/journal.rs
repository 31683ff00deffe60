//! The journal: hash chain, head anchoring, tampering of every kind, prune, concurrency of
//! threads and processes, a SIGKILL during a burst of writes, and failing writes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use jiff::civil::date;
use jiff::Timestamp;
use rusqlite::Connection;
use sphere::journal::{
    entry_hash, text_digest, Action, Block, Config, Context, Decision, EntryHash, Filter,
    FindingRef, Head, Journal, JournalError, NewEntry, Payload, ProblemKind, Receipt, Refusal,
};

// --- helpers ---------------------------------------------------------------------------

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

fn context() -> Context {
    Context {
        engine_version: "sphere 0.1.0".into(),
        kb_digest: Some("0123456789abcdef".into()),
        model_digest: Some("fedcba9876543210".into()),
    }
}

fn finding(i: u64) -> FindingRef {
    FindingRef {
        id: format!("F-{i:016x}"),
        facts_digest: format!("{:016x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
    }
}

/// A time `i` hours after 2020-01-01 (UTC).
fn time(i: u64) -> Timestamp {
    Timestamp::from_second(1_577_836_800 + 3600 * i as i64).expect("a valid time")
}

/// Entry number `i` of a test journal: the actions vary, and every entry's actor
/// (`staff-0037`) is unique, so one byte of it can be found in the file.
fn entry(i: u64) -> NewEntry {
    let payload = match i % 4 {
        0 => Payload::Block(Block {
            activity_id: format!("A-{i}"),
            decision: "block".into(),
            norms: vec!["gdpr.art6.1".into(), "uwg.7.2.1".into()],
            as_of: date(2026, 6, 1),
        }),
        1 => Payload::Approve(Decision {
            reason_digest: text_digest("consent found on paper"),
            until: Some(date(2026, 12, 31)),
        }),
        2 => Payload::Refusal(Refusal {
            attempted: "approve".into(),
            code: "not-dpo".into(),
        }),
        _ => Payload::Receipt(Receipt {
            command: "gate".into(),
            activity_id: Some(format!("A-{i}")),
            as_of: date(2026, 6, 1),
            evaluator: "compiled".into(),
            outcome: "blocked".into(),
            result_digest: format!("{:016x}", i * 31),
            findings: i,
            lines: (i % 8 == 3).then(|| vec![format!("F-{i:016x} block")]),
        }),
    };
    let with_finding = !matches!(payload, Payload::Receipt(_));
    NewEntry {
        time: time(i),
        actor: format!("staff-{i:04}"),
        finding: with_finding.then(|| finding(i)),
        context: context(),
        payload,
    }
}

fn create(path: &Path) -> Journal {
    Journal::open(path, &Config::create()).expect("the journal opens")
}

/// A journal of entries 1..=n; returns the head of every append.
fn journal_of(path: &Path, n: u64) -> Vec<Head> {
    let mut j = create(path);
    (1..=n)
        .map(|i| j.append(&entry(i)).expect("append"))
        .collect()
}

fn verify(path: &Path, expect: Option<&Head>) -> sphere::journal::Verification {
    let mut j = Journal::open(path, &Config::default()).expect("the journal opens");
    j.verify(expect).expect("verify runs")
}

/// Changes the database as an attacker with SQLite would (the guard triggers dropped first).
fn tamper(path: &Path, sql: &str) {
    let conn = Connection::open(path).expect("open for tampering");
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS entries_no_update; DROP TRIGGER IF EXISTS entries_no_delete;",
    )
    .expect("drop the guards");
    conn.execute_batch(sql).expect("tamper");
}

fn sphere(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("SPHERE_JOURNAL")
        .output()
        .expect("sphere runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// --- the chain, the head and the queries -------------------------------------------------

#[test]
fn appends_form_a_chain_and_return_the_head() {
    let d = dir();
    let path = d.path().join("j.db");
    let heads = journal_of(&path, 20);
    let j = Journal::open(&path, &Config::default()).expect("open");
    assert_eq!(j.head().expect("head"), heads[19]);
    let mut prev = EntryHash::GENESIS;
    for (i, head) in heads.iter().enumerate() {
        let e = j.entry(i as u64 + 1).expect("read").expect("present");
        assert_eq!(e.seq, head.seq);
        assert_eq!(e.hash, head.hash);
        assert_eq!(e.prev_hash, prev, "entry {} follows the one before", e.seq);
        // The stored hash is the documented encoding's SHA-256.
        let payload = e.payload.to_json();
        let want = entry_hash(
            &e.prev_hash,
            e.seq,
            e.time_ms,
            &e.actor,
            e.action().as_str(),
            e.finding.as_ref(),
            e.context.kb_digest.as_deref(),
            &e.context.engine_version,
            e.context.model_digest.as_deref(),
            &payload,
        );
        assert_eq!(e.hash, want);
        assert_eq!(e.payload, entry(e.seq).payload);
        prev = e.hash;
    }
    let v = verify(&path, Some(&heads[19]));
    assert!(v.is_intact(), "{:?}", v.problem);
    assert_eq!((v.entries, v.first_seq, v.head), (20, 1, heads[19]));
    // An older head kept elsewhere still verifies: the journal only grew since.
    assert!(verify(&path, Some(&heads[4])).is_intact());
}

#[test]
fn a_head_prints_and_parses_back() {
    let d = dir();
    let path = d.path().join("j.db");
    let heads = journal_of(&path, 3);
    let printed = heads[2].to_string();
    assert!(printed.starts_with("3:"));
    assert_eq!(printed.len(), 2 + 64);
    assert_eq!(printed.parse::<Head>(), Ok(heads[2]));
    assert!("3:abc".parse::<Head>().is_err());
    assert!("x:".parse::<Head>().is_err());
    assert_eq!(Head::EMPTY.to_string().parse::<Head>(), Ok(Head::EMPTY));
}

#[test]
fn decisions_bind_to_the_finding_and_its_facts_and_pending_is_oldest_first() {
    let d = dir();
    let path = d.path().join("j.db");
    let mut j = create(&path);
    let a = finding(1);
    let b = finding(2);
    let a_other_facts = FindingRef {
        id: a.id.clone(),
        facts_digest: "another-facts-digest".into(),
    };
    let new = |f: &FindingRef, payload: Payload, t: u64| NewEntry {
        time: time(t),
        actor: "dpo".into(),
        finding: Some(f.clone()),
        context: context(),
        payload,
    };
    let block = |activity: &str| {
        Payload::Block(Block {
            activity_id: activity.into(),
            decision: "block".into(),
            norms: vec!["gdpr.art6.1".into()],
            as_of: date(2026, 6, 1),
        })
    };
    let approve = Payload::Approve(Decision {
        reason_digest: text_digest("ok"),
        until: None,
    });
    let reject = Payload::Reject(Decision {
        reason_digest: text_digest("no"),
        until: None,
    });
    j.append(&new(&b, block("A-2"), 1)).expect("append");
    j.append(&new(&a, block("A-1"), 2)).expect("append");
    let pending = j.pending().expect("pending");
    assert_eq!(
        pending
            .iter()
            .map(|e| e.finding.clone())
            .collect::<Vec<_>>(),
        vec![Some(b.clone()), Some(a.clone())],
        "oldest first"
    );
    assert!(j.is_pending(&a).expect("query"));
    assert!(j.latest_decision(&a).expect("query").is_none());

    j.append(&new(&a, approve.clone(), 3)).expect("append");
    assert_eq!(
        j.latest_decision(&a).expect("query").map(|e| e.action()),
        Some(Action::Approve)
    );
    assert!(!j.is_pending(&a).expect("query"));
    // The same finding id on other facts is not covered by the approval.
    assert!(j.latest_decision(&a_other_facts).expect("query").is_none());
    assert_eq!(j.pending().expect("pending").len(), 1);

    j.append(&new(&b, reject, 4)).expect("append");
    j.append(&new(&b, block("A-2"), 5)).expect("append");
    j.append(&new(&b, block("A-2"), 6)).expect("append");
    let pending = j.pending().expect("pending");
    assert_eq!(
        pending.len(),
        1,
        "a finding waits once, however often it is blocked"
    );
    assert_eq!(
        pending[0].seq, 5,
        "the first block after the latest decision"
    );
    assert_eq!(
        j.latest_decision(&b).expect("query").map(|e| e.action()),
        Some(Action::Reject)
    );

    let shown = j
        .entries(&Filter {
            since: Some(time(4)),
            finding_id: Some(b.id.clone()),
            actions: vec![],
        })
        .expect("entries");
    assert_eq!(
        shown.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![4, 5, 6]
    );
}

#[test]
fn entries_without_an_actor_or_with_long_fields_are_refused_and_not_recorded() {
    let d = dir();
    let path = d.path().join("j.db");
    let mut j = create(&path);
    let mut e = entry(1);
    e.actor = " ".into();
    assert!(matches!(
        j.append(&e),
        Err(JournalError::InvalidEntry { .. })
    ));
    let mut e = entry(1);
    e.finding = Some(FindingRef {
        id: "x".repeat(sphere::journal::MAX_FIELD + 1),
        facts_digest: "d".into(),
    });
    assert!(matches!(
        j.append(&e),
        Err(JournalError::InvalidEntry { .. })
    ));
    assert_eq!(j.head().expect("head"), Head::EMPTY);
}

#[test]
fn every_action_is_read_back_as_written() {
    use sphere::journal::Change;
    let d = dir();
    let path = d.path().join("j.db");
    let mut j = create(&path);
    let mut written = vec![entry(1), entry(2), entry(3), entry(4)];
    let mut reject = entry(5);
    reject.payload = Payload::Reject(Decision {
        reason_digest: text_digest("no basis"),
        until: None,
    });
    written.push(reject);
    written.push(NewEntry {
        time: time(6),
        actor: "crm".into(),
        finding: None,
        context: context(),
        payload: Payload::Change(Change {
            what: "withdrawal".into(),
            record_id: "C-17".into(),
            content_digest: text_digest("{\"consent\":\"C-17\"}"),
            content: Some("{\"consent\":\"C-17\",\"withdrawn\":\"2026-06-02\"}".into()),
        }),
    });
    for e in &written {
        j.append(e).expect("append");
    }
    let read = j.entries(&Filter::default()).expect("entries");
    assert_eq!(read.len(), written.len());
    for (r, w) in read.iter().zip(&written) {
        assert_eq!(
            (&r.actor, &r.finding, &r.context, &r.payload),
            (&w.actor, &w.finding, &w.context, &w.payload)
        );
        assert_eq!(r.time_ms, w.time.as_millisecond());
    }
    let actions: Vec<Action> = read.iter().map(|e| e.action()).collect();
    assert_eq!(
        actions,
        vec![
            Action::Approve,
            Action::Refusal,
            Action::Receipt,
            Action::Block,
            Action::Reject,
            Action::Change
        ]
    );
    assert!(j.verify(None).expect("verify").is_intact());
}

#[test]
fn a_group_commit_appends_all_or_nothing() {
    let d = dir();
    let path = d.path().join("j.db");
    journal_of(&path, 3);
    let mut j = Journal::open(&path, &Config::default()).expect("open");
    let group: Vec<NewEntry> = (4..=13).map(entry).collect();
    let heads = j.append_all(&group).expect("append_all");
    assert_eq!(
        heads.iter().map(|h| h.seq).collect::<Vec<_>>(),
        (4..=13).collect::<Vec<_>>()
    );
    assert_eq!(j.head().expect("head"), heads[9]);
    assert_eq!(j.append_all(&[]).expect("nothing"), vec![]);
    // One bad entry refuses the whole group.
    let mut bad: Vec<NewEntry> = (14..=16).map(entry).collect();
    bad[2].actor = String::new();
    assert!(j.append_all(&bad).is_err());
    // A write failing in the middle of a group records none of it.
    let group: Vec<NewEntry> = (14..=40).map(entry).collect();
    let (result, failed, _) =
        failing_writes::with_nth_write_failing(4, libc::EIO, || j.append_all(&group));
    assert!(failed && result.is_err());
    drop(j);
    let v = verify(&path, Some(&heads[9]));
    assert!(v.is_intact(), "{:?}", v.problem);
    assert_eq!(v.head, heads[9]);
}

// --- tampering ---------------------------------------------------------------------------

/// A fresh copy of a closed 100-entry journal for each mutation.
fn hundred(d: &tempfile::TempDir) -> (PathBuf, Vec<Head>) {
    let path = d.path().join("hundred.db");
    let heads = journal_of(&path, 100);
    // Closing the last connection moved the log into the database file.
    assert!(!d.path().join("hundred.db-wal").exists());
    (path, heads)
}

fn copy(d: &tempfile::TempDir, from: &Path, name: &str) -> PathBuf {
    let to = d.path().join(name);
    std::fs::copy(from, &to).expect("copy the journal");
    to
}

fn first_problem(path: &Path, expect: Option<&Head>) -> (Option<u64>, ProblemKind) {
    let v = verify(path, expect);
    let p = v.problem.expect("the tampering is detected");
    (p.seq, p.kind)
}

#[test]
fn every_kind_of_tampering_is_detected_and_the_entry_named() {
    let d = dir();
    let (orig, heads) = hundred(&d);
    let head = heads[99];
    assert!(verify(&orig, Some(&head)).is_intact());

    // A changed field.
    let p = copy(&d, &orig, "changed.db");
    tamper(&p, "UPDATE entries SET actor = 'staff-9999' WHERE seq = 37");
    assert_eq!(first_problem(&p, None), (Some(37), ProblemKind::Changed));
    let p = copy(&d, &orig, "changed-payload.db");
    tamper(
        &p,
        "UPDATE entries SET payload = replace(payload, '2026-12-31', '2099-12-31') WHERE seq = 41",
    );
    assert_eq!(first_problem(&p, None), (Some(41), ProblemKind::Changed));
    let p = copy(&d, &orig, "changed-time.db");
    tamper(&p, "UPDATE entries SET time_ms = time_ms + 1 WHERE seq = 3");
    assert_eq!(first_problem(&p, None), (Some(3), ProblemKind::Changed));

    // A changed entry whose own hash was recomputed: the next entry no longer follows it.
    let p = copy(&d, &orig, "rehashed.db");
    let e = {
        let j = Journal::open(&p, &Config::default()).expect("open");
        j.entry(60).expect("read").expect("present")
    };
    let forged = entry_hash(
        &e.prev_hash,
        60,
        e.time_ms,
        "someone-else",
        e.action().as_str(),
        e.finding.as_ref(),
        e.context.kb_digest.as_deref(),
        &e.context.engine_version,
        e.context.model_digest.as_deref(),
        &e.payload.to_json(),
    );
    tamper(
        &p,
        &format!(
            "UPDATE entries SET actor = 'someone-else', hash = X'{}' WHERE seq = 60",
            forged.to_hex()
        ),
    );
    assert_eq!(first_problem(&p, None), (Some(61), ProblemKind::Broken));

    // A deleted entry.
    let p = copy(&d, &orig, "deleted.db");
    tamper(&p, "DELETE FROM entries WHERE seq = 50");
    assert_eq!(first_problem(&p, None), (Some(50), ProblemKind::Missing));
    // A sequence number made zero or negative.
    let p = copy(&d, &orig, "zero.db");
    tamper(&p, "UPDATE entries SET seq = 0 WHERE seq = 1");
    assert_eq!(first_problem(&p, None), (Some(1), ProblemKind::Unreadable));
    // A checkpoint forged at the end, claiming more was pruned than was.
    let p = copy(&d, &orig, "forged-checkpoint.db");
    tamper(
        &p,
        &format!(
            "DELETE FROM entries WHERE seq <= 5;
             INSERT INTO entries VALUES (101, X'{h}', X'{h}', 0, 'x', 'checkpoint', NULL, NULL, NULL, 'v', NULL,
               '{{\"before_ms\":0,\"pruned_through\":18446744073709551615,\"pruned_hash\":\"00\"}}')",
            h = head.hash.to_hex()
        ),
    );
    assert_eq!(first_problem(&p, None).1, ProblemKind::Missing);
    // Deleted first entries, without a checkpoint.
    let p = copy(&d, &orig, "deleted-start.db");
    tamper(&p, "DELETE FROM entries WHERE seq <= 10");
    assert_eq!(first_problem(&p, None), (Some(1), ProblemKind::Missing));

    // An inserted entry, hashed correctly onto entry 40; the entries after it renumbered.
    let p = copy(&d, &orig, "inserted.db");
    let e40 = {
        let j = Journal::open(&p, &Config::default()).expect("open");
        j.entry(40).expect("read").expect("present")
    };
    let payload = e40.payload.to_json();
    let h = entry_hash(
        &e40.hash,
        41,
        e40.time_ms,
        "intruder",
        e40.action().as_str(),
        e40.finding.as_ref(),
        e40.context.kb_digest.as_deref(),
        &e40.context.engine_version,
        e40.context.model_digest.as_deref(),
        &payload,
    );
    let f = e40.finding.clone().expect("entry 40 has a finding");
    tamper(
        &p,
        &format!(
            "UPDATE entries SET seq = -seq WHERE seq > 40;
             UPDATE entries SET seq = -seq + 1 WHERE seq < 0;
             INSERT INTO entries VALUES (41, X'{}', X'{}', {}, 'intruder', '{}', '{}', '{}', '{}', '{}', '{}', '{}')",
            e40.hash.to_hex(),
            h.to_hex(),
            e40.time_ms,
            e40.action(),
            f.id,
            f.facts_digest,
            e40.context.kb_digest.as_deref().unwrap_or_default(),
            e40.context.engine_version,
            e40.context.model_digest.as_deref().unwrap_or_default(),
            payload.replace('\'', "''"),
        ),
    );
    // The inserted entry itself is well formed; the entry after it is where the chain breaks.
    assert_eq!(first_problem(&p, None), (Some(42), ProblemKind::Changed));

    // Two entries swapped (their contents exchanged, the sequence numbers kept).
    let p = copy(&d, &orig, "swapped.db");
    tamper(
        &p,
        "CREATE TEMP TABLE t AS SELECT * FROM entries WHERE seq IN (60, 61);
         DELETE FROM entries WHERE seq IN (60, 61);
         INSERT INTO entries SELECT CASE seq WHEN 60 THEN 61 ELSE 60 END, prev_hash, hash, time_ms,
           actor, action, finding_id, facts_digest, kb_digest, engine_version, model_digest, payload
           FROM t;",
    );
    assert_eq!(first_problem(&p, None), (Some(60), ProblemKind::Changed));

    // A cut tail: the chain alone is fine; the head kept elsewhere is not in the journal.
    let p = copy(&d, &orig, "cut.db");
    tamper(&p, "DELETE FROM entries WHERE seq > 90");
    assert!(verify(&p, None).is_intact());
    assert_eq!(
        first_problem(&p, Some(&head)),
        (Some(100), ProblemKind::Head)
    );

    // A whole rewrite with a different entry 50: consistent in itself, but not the head.
    let p = d.path().join("rewritten.db");
    {
        let mut j = create(&p);
        for i in 1..=100 {
            let mut e = entry(i);
            if i == 50 {
                e.actor = "staff-rewritten".into();
            }
            j.append(&e).expect("append");
        }
    }
    assert!(verify(&p, None).is_intact());
    assert_eq!(
        first_problem(&p, Some(&head)),
        (Some(100), ProblemKind::Head)
    );
    assert_eq!(
        first_problem(&p, Some(&heads[49])),
        (Some(50), ProblemKind::Head)
    );
    assert!(verify(&p, Some(&heads[48])).is_intact());

    // Bytes appended to the file.
    let p = copy(&d, &orig, "appended.db");
    let mut bytes = std::fs::read(&p).expect("read");
    bytes.extend_from_slice(b"an extra entry nobody hashed");
    std::fs::write(&p, &bytes).expect("write");
    assert_eq!(first_problem(&p, Some(&head)), (None, ProblemKind::File));

    // One byte of the file edited: the `7` of `staff-0037`, the actor of entry 37.
    let p = copy(&d, &orig, "byte.db");
    let mut bytes = std::fs::read(&p).expect("read");
    let at = find_once(&bytes, b"staff-0037");
    bytes[at + 9] = b'8';
    std::fs::write(&p, &bytes).expect("write");
    assert_eq!(first_problem(&p, None), (Some(37), ProblemKind::Changed));
    // ... and `sphere journal verify` says so, exit 1.
    let out = sphere(&["journal", "verify", "--journal", p.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("verdict: does not verify: entry 37: changed"),
        "{stdout}"
    );
}

fn find_once(hay: &[u8], needle: &[u8]) -> usize {
    let hits: Vec<usize> = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "the text occurs once in the file");
    hits[0]
}

#[test]
fn every_single_byte_edit_of_the_entries_is_detected() {
    // Every byte of every entry's text fields, flipped one at a time in the file: verify
    // fails each time (no edit of the stored content goes unnoticed).
    let d = dir();
    let (orig, _) = hundred(&d);
    let bytes = std::fs::read(&orig).expect("read");
    let at = find_once(&bytes, b"staff-0012");
    // The actor of entry 12 and the bytes around it (the record's header and neighbours).
    let mut detected = 0;
    for pos in at.saturating_sub(40)..at + 60 {
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        let p = d.path().join("flip.db");
        std::fs::write(&p, &b).expect("write");
        let _ = std::fs::remove_file(d.path().join("flip.db-wal"));
        let _ = std::fs::remove_file(d.path().join("flip.db-shm"));
        match Journal::open(&p, &Config::default()).and_then(|mut j| j.verify(None)) {
            Ok(v) => {
                let problem = v.problem.unwrap_or_else(|| {
                    panic!("a flipped byte at {pos} (actor at {at}) was not detected")
                });
                assert!(problem.seq.is_some() || problem.kind == ProblemKind::File);
                detected += 1;
            }
            Err(e) => {
                // SQLite itself could not read the damaged page: a clear error is fine too.
                assert!(e.to_string().contains("flip.db"), "{e}");
                detected += 1;
            }
        }
    }
    assert_eq!(detected, 100);
}

// --- errors -------------------------------------------------------------------------------

#[test]
fn a_missing_or_foreign_journal_is_a_clear_error_with_exit_2() {
    let d = dir();
    let missing = d.path().join("missing.db");
    let out = sphere(&[
        "journal",
        "verify",
        "--journal",
        missing.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("missing.db: no journal at this path"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(!missing.exists(), "reading never creates a journal");

    let garbage = d.path().join("garbage.db");
    std::fs::write(
        &garbage,
        "this is not a database, just some text ".repeat(200),
    )
    .expect("write");
    for cmd in [&["verify"][..], &["head"], &["show"]] {
        let mut args = vec!["journal"];
        args.extend_from_slice(cmd);
        args.extend(["--journal", garbage.to_str().expect("utf-8")]);
        let out = sphere(&args);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        let err = text(&out.stderr);
        assert!(err.contains("garbage.db: not a sphere journal"), "{err}");
        assert!(err.contains("hint:"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }

    let other = d.path().join("other.db");
    Connection::open(&other)
        .and_then(|c| c.execute_batch("CREATE TABLE t (x)"))
        .expect("another database");
    let out = sphere(&[
        "journal",
        "head",
        "--journal",
        other.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("without the journal's tables"));

    let out = sphere(&[
        "journal",
        "verify",
        "--expect-head",
        "12:zz",
        "--journal",
        "x.db",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--expect-head"));
}

// --- the command line ---------------------------------------------------------------------

#[test]
fn cli_head_show_and_verify_against_the_head() {
    let d = dir();
    let path = d.path().join("j.db");
    let heads = journal_of(&path, 12);
    let p = path.to_str().expect("utf-8");

    let out = sphere(&["journal", "head", "--journal", p]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), format!("{}\n", heads[11]));

    // SPHERE_JOURNAL names the journal when --journal does not.
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(["journal", "head"])
        .env("SPHERE_JOURNAL", p)
        .output()
        .expect("sphere runs");
    assert_eq!(text(&out.stdout), format!("{}\n", heads[11]));

    let h = heads[11].to_string();
    let out = sphere(&["journal", "verify", "--journal", p, "--expect-head", &h]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("verdict: intact"));
    let out = sphere(&["journal", "verify", "--journal", p, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["intact"], true);
    assert_eq!(v["entries"], 12);
    assert_eq!(v["head"], h);

    tamper(&path, "DELETE FROM entries WHERE seq > 10");
    let out = sphere(&[
        "journal",
        "verify",
        "--journal",
        p,
        "--expect-head",
        &h,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["intact"], false);
    assert_eq!(v["problem"]["seq"], 12);
    assert_eq!(v["problem"]["kind"], "head");

    // show: by sequence number, filtered by time and finding, the same bytes every time.
    let out = sphere(&["journal", "show", "--journal", p, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let seqs: Vec<u64> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, (1..=10).collect::<Vec<_>>());
    assert_eq!(list[4]["action"], "approve");
    assert_eq!(list[4]["actor"], "staff-0005");
    assert_eq!(list[4]["hash"], heads[4].hash.to_hex());
    assert_eq!(
        out.stdout,
        sphere(&["journal", "show", "--journal", p, "--format", "json"]).stdout
    );
    let out = sphere(&[
        "journal",
        "show",
        "--journal",
        p,
        "--since",
        "2020-01-01T07:00:00Z",
    ]);
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[0]
            .trim_start()
            .starts_with("7  2020-01-01T07:00:00Z  receipt     by staff-0007"),
        "{lines:?}"
    );
    let f = finding(9).id;
    let out = sphere(&["journal", "show", "--journal", p, "--finding", &f]);
    let shown = text(&out.stdout);
    assert_eq!(shown.lines().count(), 1, "{shown}");
    assert!(shown.contains(&f));
    let out = sphere(&["journal", "show", "--journal", p, "--since", "June"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("hint:"));
}

// --- prune --------------------------------------------------------------------------------

#[test]
fn prune_keeps_the_rest_verifiable_through_a_checkpoint() {
    let d = dir();
    let path = d.path().join("j.db");
    let heads = journal_of(&path, 100);
    let mut j = Journal::open(&path, &Config::default()).expect("open");
    // Entries are an hour apart from 2020-01-01 00:00: those of the first day are 1..=23.
    let before = time(24);
    let (c, head) = j
        .prune(before, "dpo", &context(), time(500))
        .expect("prune")
        .expect("something pruned");
    assert_eq!(c.pruned_through, 23);
    assert_eq!(c.pruned_hash, heads[22].hash.to_hex());
    assert_eq!(head.seq, 101);
    assert!(j.entry(23).expect("read").is_none());
    assert_eq!(
        j.entry(101).expect("read").expect("checkpoint").action(),
        Action::Checkpoint
    );
    let v = j.verify(Some(&head)).expect("verify");
    assert!(v.is_intact(), "{:?}", v.problem);
    assert_eq!((v.first_seq, v.entries), (24, 78));
    // A head exported before the prune still verifies, and so does the pruned head itself.
    assert!(j.verify(Some(&heads[99])).expect("verify").is_intact());
    assert!(j.verify(Some(&heads[22])).expect("verify").is_intact());
    let older = j.verify(Some(&heads[10])).expect("verify");
    assert_eq!(older.problem.map(|p| p.kind), Some(ProblemKind::Head));
    // The pruned personal data is gone from the file (secure_delete, log truncated).
    drop(j);
    let bytes = std::fs::read(&path).expect("read");
    assert!(!bytes.windows(10).any(|w| w == b"staff-0005"));
    assert!(bytes.windows(10).any(|w| w == b"staff-0050"));

    // Nothing older left: a second prune with the same date changes nothing.
    let mut j = Journal::open(&path, &Config::default()).expect("open");
    assert!(j
        .prune(before, "dpo", &context(), time(501))
        .expect("prune")
        .is_none());
    // Appends go on after the checkpoint.
    let h = j.append(&entry(102)).expect("append");
    assert_eq!(h.seq, 102);
    drop(j);

    // Deleting more of the start is still detected after a prune.
    tamper(&path, "DELETE FROM entries WHERE seq = 24");
    assert_eq!(first_problem(&path, None), (Some(24), ProblemKind::Missing));
}

#[test]
fn prune_refuses_a_journal_that_does_not_verify_and_the_cli_keeps_the_retention_rule() {
    let d = dir();
    let path = d.path().join("j.db");
    journal_of(&path, 30);
    tamper(&path, "UPDATE entries SET actor = 'x' WHERE seq = 5");
    let mut j = Journal::open(&path, &Config::default()).expect("open");
    let err = j
        .prune(time(24), "dpo", &context(), time(99))
        .expect_err("refused");
    assert!(matches!(err, JournalError::NotIntact { .. }), "{err}");
    assert!(j.entry(1).expect("read").is_some(), "nothing was pruned");

    let p = path.to_str().expect("utf-8");
    let out = sphere(&[
        "journal",
        "prune",
        "--journal",
        p,
        "--before",
        "2999-01-01",
        "--by",
        "dpo",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("retention rule"),
        "{}",
        text(&out.stderr)
    );

    // Entries of 2020 are past the retention period; the CLI prunes them once the journal
    // verifies.
    let clean = d.path().join("clean.db");
    journal_of(&clean, 30);
    let c = clean.to_str().expect("utf-8");
    let out = sphere(&[
        "journal",
        "prune",
        "--journal",
        c,
        "--before",
        "2020-01-02",
        "--by",
        "dpo",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("pruned: entries up to 23"), "{stdout}");
    assert!(stdout.contains("head: 31:"), "{stdout}");
    let out = sphere(&["journal", "verify", "--journal", c]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

// --- concurrency and crashes ----------------------------------------------------------------

const WRITERS: u64 = 8;
const PER_WRITER: u64 = 1000;

fn long_wait() -> Config {
    // Eight writers hammer one file; a writer may wait for many others' fsyncs in a row.
    Config {
        busy_timeout: Duration::from_secs(600),
        ..Config::create()
    }
}

fn writer_entry(writer: u64, i: u64) -> NewEntry {
    let mut e = entry(i);
    e.actor = format!("writer-{writer}");
    e.finding = Some(FindingRef {
        id: format!("F-w{writer}-{i}"),
        facts_digest: "d".into(),
    });
    e.payload = Payload::Refusal(Refusal {
        attempted: "approve".into(),
        code: "not-dpo".into(),
    });
    e
}

/// Checks that every head an appender was told of is in the journal with its hash, that the
/// sequence numbers are 1..=n without a gap, and that the chain verifies.
fn check_no_loss_no_fork(path: &Path, told: &[Head], n: u64) {
    let v = verify(path, None);
    assert!(v.is_intact(), "{:?}", v.problem);
    assert_eq!(v.entries, n);
    let j = Journal::open(path, &Config::default()).expect("open");
    let all = j.entries(&Filter::default()).expect("entries");
    assert_eq!(all.len() as u64, n);
    for h in told {
        let e = &all[(h.seq - 1) as usize];
        assert_eq!(
            (e.seq, e.hash),
            (h.seq, h.hash),
            "the entry an append returned is kept"
        );
    }
    let mut seqs: Vec<u64> = told.iter().map(|h| h.seq).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(
        seqs.len(),
        told.len(),
        "no two appends got the same place in the chain"
    );
}

#[test]
fn eight_threads_append_a_thousand_entries_each_without_loss_or_fork() {
    let d = dir();
    let path = d.path().join("threads.db");
    drop(Journal::open(&path, &long_wait()).expect("create"));
    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut j = Journal::open(&path, &long_wait()).expect("open");
                (0..PER_WRITER)
                    .map(|i| j.append(&writer_entry(w, i)).expect("append"))
                    .collect::<Vec<Head>>()
            })
        })
        .collect();
    let told: Vec<Head> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("a writer thread"))
        .collect();
    check_no_loss_no_fork(&path, &told, WRITERS * PER_WRITER);
    // Each writer's entries are all there.
    let j = Journal::open(&path, &Config::default()).expect("open");
    for w in 0..WRITERS {
        let n = j
            .entries(&Filter::default())
            .expect("entries")
            .iter()
            .filter(|e| e.actor == format!("writer-{w}"))
            .count();
        assert_eq!(n as u64, PER_WRITER);
    }
}

/// The child process of the process tests: appends `SPHERE_TEST_COUNT` entries to
/// `SPHERE_TEST_JOURNAL` as writer `SPHERE_TEST_WRITER`, printing `HEAD seq:hash` after each
/// append has returned (that is, once it is durable).
#[test]
#[ignore = "run as a child process by the journal's process tests"]
fn journal_child_writer() {
    use std::io::Write;
    // Run by hand (`--ignored`) without a parent, it has nothing to do.
    let Some(path) = std::env::var_os("SPHERE_TEST_JOURNAL").map(PathBuf::from) else {
        return;
    };
    let count: u64 = std::env::var("SPHERE_TEST_COUNT")
        .expect("SPHERE_TEST_COUNT")
        .parse()
        .expect("a count");
    let writer: u64 = std::env::var("SPHERE_TEST_WRITER")
        .expect("SPHERE_TEST_WRITER")
        .parse()
        .expect("a writer number");
    let mut j = Journal::open(&path, &long_wait()).expect("open");
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        let head = j.append(&writer_entry(writer, i)).expect("append");
        writeln!(out, "HEAD {head}").expect("stdout");
        out.flush().expect("stdout");
    }
}

fn child(path: &Path, writer: u64, count: u64) -> std::process::Child {
    Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "journal::journal_child_writer",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SPHERE_TEST_JOURNAL", path)
        .env("SPHERE_TEST_COUNT", count.to_string())
        .env("SPHERE_TEST_WRITER", writer.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child writer starts")
}

fn heads_in(out: &str) -> Vec<Head> {
    out.lines()
        // The test harness prints `test ... ` before the child's first line.
        .filter_map(|l| l.find("HEAD ").map(|at| &l[at + 5..]))
        .map(|h| h.parse::<Head>().expect("a head"))
        .collect()
}

#[test]
fn eight_processes_append_a_thousand_entries_each_without_loss_or_fork() {
    let d = dir();
    // No journal yet: the eight processes also race to create it.
    let path = d.path().join("processes.db");
    let children: Vec<_> = (0..WRITERS).map(|w| child(&path, w, PER_WRITER)).collect();
    let mut told = Vec::new();
    for c in children {
        let out = c.wait_with_output().expect("the child ends");
        assert!(
            out.status.success(),
            "a child writer failed: {}",
            text(&out.stderr)
        );
        let heads = heads_in(&text(&out.stdout));
        assert_eq!(heads.len() as u64, PER_WRITER);
        told.extend(heads);
    }
    check_no_loss_no_fork(&path, &told, WRITERS * PER_WRITER);
}

#[test]
fn sigkill_during_a_burst_loses_nothing_committed() {
    let d = dir();
    let path = d.path().join("killed.db");
    drop(Journal::open(&path, &long_wait()).expect("create"));
    let mut told = Vec::new();
    for round in 0..3u64 {
        // Two writers, one killed in the middle of its burst.
        let mut victim = child(&path, 10 + round, 100_000);
        let other = child(&path, 20 + round, 200);
        let stdout = victim.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        for _ in 0..(150 + 50 * round) {
            let line = lines.next().expect("a line").expect("utf-8");
            told.extend(heads_in(&line));
        }
        victim.kill().expect("SIGKILL");
        victim.wait().expect("reaped");
        // Whatever it printed before it died was durable when printed.
        for line in lines {
            let Ok(line) = line else { break };
            told.extend(heads_in(&line));
        }
        let out = other.wait_with_output().expect("the other writer ends");
        assert!(out.status.success());
        told.extend(heads_in(&text(&out.stdout)));
    }
    let n = verify(&path, None).head.seq;
    assert!(n >= told.len() as u64);
    check_no_loss_no_fork(&path, &told, n);
    let out = sphere(&[
        "journal",
        "verify",
        "--journal",
        path.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

// --- failing writes -------------------------------------------------------------------------

/// Makes the n-th `write`/`pwrite` system call of SQLite's unix VFS on this thread fail (with
/// EIO, an I/O error, or ENOSPC, a full disk): SQLite's own hook for fault injection (`xSetSystemCall`). Other threads are not
/// affected: the countdown is per thread, and SQLite writes on the caller's thread.
mod failing_writes {
    use std::cell::Cell;
    use std::ffi::{c_int, c_void};
    use std::sync::OnceLock;

    use rusqlite::ffi;

    type Write = unsafe extern "C" fn(c_int, *const c_void, usize) -> isize;
    type PWrite = unsafe extern "C" fn(c_int, *const c_void, usize, i64) -> isize;

    struct Originals {
        write: Option<Write>,
        pwrite: Option<PWrite>,
        pwrite64: Option<PWrite>,
    }

    static ORIGINALS: OnceLock<Originals> = OnceLock::new();

    thread_local! {
        static COUNTDOWN: Cell<u64> = const { Cell::new(0) };
        static FAILED: Cell<bool> = const { Cell::new(false) };
        static WRITES: Cell<u64> = const { Cell::new(0) };
        static ERRNO: Cell<c_int> = const { Cell::new(libc::EIO) };
    }

    /// Whether this write is the one that must fail.
    fn fail_now() -> bool {
        WRITES.with(|w| w.set(w.get() + 1));
        COUNTDOWN.with(|c| match c.get() {
            0 => false,
            1 => {
                c.set(0);
                FAILED.with(|f| f.set(true));
                true
            }
            n => {
                c.set(n - 1);
                false
            }
        })
    }

    fn set_eio() {
        let errno = ERRNO.with(|e| e.get());
        // SAFETY: errno is thread-local; SQLite reads it right after the failed call.
        unsafe { *libc::__errno_location() = errno };
    }

    unsafe extern "C" fn write(fd: c_int, buf: *const c_void, n: usize) -> isize {
        if fail_now() {
            set_eio();
            return -1;
        }
        let orig = ORIGINALS.get().and_then(|o| o.write).expect("installed");
        // SAFETY: the arguments are SQLite's, passed through unchanged.
        unsafe { orig(fd, buf, n) }
    }

    unsafe extern "C" fn pwrite(fd: c_int, buf: *const c_void, n: usize, off: i64) -> isize {
        if fail_now() {
            set_eio();
            return -1;
        }
        let orig = ORIGINALS.get().and_then(|o| o.pwrite).expect("installed");
        // SAFETY: as above.
        unsafe { orig(fd, buf, n, off) }
    }

    unsafe extern "C" fn pwrite64(fd: c_int, buf: *const c_void, n: usize, off: i64) -> isize {
        if fail_now() {
            set_eio();
            return -1;
        }
        let orig = ORIGINALS.get().and_then(|o| o.pwrite64).expect("installed");
        // SAFETY: as above.
        unsafe { orig(fd, buf, n, off) }
    }

    /// Installs the hooks once per process.
    pub fn install() {
        ORIGINALS.get_or_init(|| {
            // SAFETY: the default VFS lives for the whole process; its system-call table is
            // SQLite's documented test hook, and the replacements have the same signatures.
            unsafe {
                let vfs = ffi::sqlite3_vfs_find(std::ptr::null());
                assert!(!vfs.is_null(), "SQLite has a default VFS");
                let get = (*vfs)
                    .xGetSystemCall
                    .expect("the unix VFS has xGetSystemCall");
                let set = (*vfs)
                    .xSetSystemCall
                    .expect("the unix VFS has xSetSystemCall");
                let orig = |name: &std::ffi::CStr| get(vfs, name.as_ptr());
                let originals = Originals {
                    write: orig(c"write")
                        .map(|f| std::mem::transmute::<unsafe extern "C" fn(), Write>(f)),
                    pwrite: orig(c"pwrite")
                        .map(|f| std::mem::transmute::<unsafe extern "C" fn(), PWrite>(f)),
                    pwrite64: orig(c"pwrite64")
                        .map(|f| std::mem::transmute::<unsafe extern "C" fn(), PWrite>(f)),
                };
                let hook = |name: &std::ffi::CStr, f: unsafe extern "C" fn()| {
                    set(vfs, name.as_ptr(), Some(f));
                };
                if originals.write.is_some() {
                    hook(
                        c"write",
                        std::mem::transmute::<Write, unsafe extern "C" fn()>(write),
                    );
                }
                if originals.pwrite.is_some() {
                    hook(
                        c"pwrite",
                        std::mem::transmute::<PWrite, unsafe extern "C" fn()>(pwrite),
                    );
                }
                if originals.pwrite64.is_some() {
                    hook(
                        c"pwrite64",
                        std::mem::transmute::<PWrite, unsafe extern "C" fn()>(pwrite64),
                    );
                }
                originals
            }
        });
    }

    /// Runs `f` with the n-th write on this thread failing; returns what `f` returned, whether
    /// a write was made to fail, and how many writes were made.
    pub fn with_nth_write_failing<T>(
        n: u64,
        errno: c_int,
        f: impl FnOnce() -> T,
    ) -> (T, bool, u64) {
        install();
        ERRNO.with(|e| e.set(errno));
        FAILED.with(|x| x.set(false));
        WRITES.with(|w| w.set(0));
        COUNTDOWN.with(|c| c.set(n));
        let out = f();
        COUNTDOWN.with(|c| c.set(0));
        (out, FAILED.with(|x| x.get()), WRITES.with(|w| w.get()))
    }
}

#[test]
fn a_failed_write_is_an_error_not_an_entry_and_the_journal_still_verifies() {
    for (errno, says) in [
        (libc::EIO, "disk I/O error"),
        (libc::ENOSPC, "database or disk is full"),
    ] {
        failing_writes_each(errno, says);
    }
}

fn failing_writes_each(errno: i32, says: &str) {
    let d = dir();
    let path = d.path().join("io.db");
    journal_of(&path, 5);
    let mut recorded: Vec<Head> = Vec::new();
    let mut failures = 0;
    let mut n = 1;
    loop {
        let before = verify(&path, None).head;
        let mut j = Journal::open(&path, &Config::default()).expect("open");
        let (result, failed, writes) =
            failing_writes::with_nth_write_failing(n, errno, || j.append(&entry(1000 + n)));
        drop(j);
        let after = verify(&path, None);
        assert!(
            after.is_intact(),
            "after write {n} failed: {:?}",
            after.problem
        );
        match result {
            Err(e) => {
                assert!(failed, "an error without a failed write ({e})");
                assert_eq!(
                    after.head, before,
                    "a failed append recorded nothing (write {n})"
                );
                let message = e.to_string();
                assert!(message.contains("cannot append an entry"), "{message}");
                assert!(message.contains(says), "{message}");
                assert!(e.hint().is_some());
                failures += 1;
            }
            Ok(head) => {
                assert_eq!(after.head, head, "a reported append is in the journal");
                recorded.push(head);
                if !failed {
                    // The append needed fewer than n writes: every write point was failed once.
                    assert!(writes < n);
                    break;
                }
            }
        }
        n += 1;
        assert!(n < 200, "an append should need far fewer writes");
    }
    assert!(
        failures >= 2,
        "at least the log frame and the commit were failed ({failures})"
    );
    // The journal goes on after the failures, and every reported append is kept.
    let mut j = Journal::open(&path, &Config::default()).expect("open");
    let last = j.append(&entry(5000)).expect("append after the failures");
    check_no_loss_no_fork(&path, &recorded, last.seq);
}

/// A gate whose n-th write fails, for each n, on the blocked call and on the allowed one:
/// an error and never an answer; the journal verifies and holds nothing of the failed gate
/// (its blocks and its receipt are one transaction), so the next gate alerts the DPO.
#[test]
fn a_gate_whose_write_fails_records_nothing_and_the_next_gate_alerts() {
    use sphere::gate::{self, Request, Verdict};
    let kb = sphere::KnowledgeBase::shipped().expect("the shipped knowledge base");
    let today = sphere::Date::parse("2025-06-16").expect("a date");
    let request = Request {
        actor: "gate".into(),
        time: time(50_000),
        engine_version: "sphere test".into(),
    };
    for (file, verdict) in [
        (S12, Verdict::Blocked),
        ("facts/s12_what_if_consent_clean.json", Verdict::Allowed),
    ] {
        let text = std::fs::read_to_string(file).expect("the fixture");
        let model = sphere::Model::from_text(file, &text, today).expect("a valid model");
        let outcome = kb
            .evaluate(&model, &sphere::EvalOptions::default())
            .expect("evaluates");
        let mut failures = 0;
        let mut n = 1;
        loop {
            let d = dir();
            let path = d.path().join("gate.db");
            journal_of(&path, 3);
            let before = verify(&path, None).head;
            let mut j = Journal::open(&path, &Config::default()).expect("open");
            let (result, failed, writes) =
                failing_writes::with_nth_write_failing(n, libc::EIO, || {
                    gate::gate(&mut j, &outcome, "act-s4-call", &request)
                });
            drop(j);
            let after = verify(&path, None);
            assert!(
                after.is_intact(),
                "{file}: after write {n} failed: {:?}",
                after.problem
            );
            match result {
                Err(e) => {
                    assert!(failed, "an error without a failed write ({e})");
                    assert_eq!(
                        after.head, before,
                        "{file}: a failed gate recorded nothing (write {n})"
                    );
                    assert!(
                        e.message().contains("cannot append an entry"),
                        "{}",
                        e.message()
                    );
                    failures += 1;
                    // The next gate decides again, and alerts as if the failed one never ran.
                    let mut j = Journal::open(&path, &Config::default()).expect("open");
                    let g = gate::gate(&mut j, &outcome, "act-s4-call", &request).expect("gate");
                    assert_eq!(g.verdict, verdict);
                    assert!(g.blocking.iter().all(|b| b.alerted), "{file}: write {n}");
                    assert_eq!(verify(&path, None).head, g.head);
                }
                Ok(g) => {
                    assert_eq!(g.verdict, verdict);
                    assert_eq!(after.head, g.head, "a reported gate is in the journal");
                    assert!(g.blocking.iter().all(|b| b.alerted));
                    if !failed {
                        assert!(writes < n);
                        break;
                    }
                }
            }
            n += 1;
            assert!(n < 200, "a gate should need far fewer writes");
        }
        assert!(failures >= 2, "{file}: {failures} failures");
    }
}

// --- execution receipts and replay ---------------------------------------------------------

const S12: &str = "facts/s12_what_if_consent.json";
const S04: &str = "facts/s04_phone_call.json";
const DPO: &str = "staff-markus-richter";

/// `sphere ARGS --journal PATH` (the journal flag given after the subcommand's own).
fn sphere_j(journal: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(args)
        .arg("--journal")
        .arg(journal)
        .env("NO_COLOR", "1")
        .env_remove("SPHERE_JOURNAL")
        .output()
        .expect("sphere runs");
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// The receipts of a journal, as (seq, payload JSON).
fn receipts(journal: &Path) -> Vec<(u64, serde_json::Value)> {
    let (code, out, err) = sphere_j(journal, &["journal", "show", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).expect("JSON");
    list.into_iter()
        .filter(|e| e["action"] == "receipt")
        .map(|e| (e["seq"].as_u64().expect("seq"), e["payload"].clone()))
        .collect()
}

fn replay(journal: &Path, seq: u64, extra: &[&str]) -> (i32, String, String) {
    let seq = seq.to_string();
    let mut args = vec!["journal", "replay", seq.as_str()];
    args.extend_from_slice(extra);
    sphere_j(journal, &args)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for e in std::fs::read_dir(from).expect("read folder") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

/// Without `--journal` and `SPHERE_JOURNAL`: the gate records in `./sphere-journal.db` of the
/// folder it runs in (creating it); a check records there only once the file exists, and
/// never creates it.
#[test]
fn the_default_journal_is_used_by_the_gate_and_by_a_check_only_when_it_exists() {
    let d = dir();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join(S12);
    let default = d.path().join("sphere-journal.db");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
            .args(args)
            .current_dir(d.path())
            .env("NO_COLOR", "1")
            .env_remove("SPHERE_JOURNAL")
            .output()
            .expect("sphere runs");
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let model = model.to_str().expect("utf-8");

    let (code, _, err) = run(&["check", model]);
    assert_eq!(code, Some(1), "{err}");
    assert!(!err.contains("journal head"), "{err}");
    assert!(!default.exists(), "a check creates no journal");

    let (code, out, err) = run(&["gate", model, "act-s4-call"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(out.contains("journal head: 3:"), "{out}");
    assert!(default.exists(), "the gate created ./sphere-journal.db");

    let (code, _, err) = run(&["check", model]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("journal head: 4:"), "{err}");
    let r = receipts(&default);
    assert_eq!(r.len(), 2, "the gate's receipt and the check's");
    assert_eq!(r[1].0, 4);
    assert_eq!(r[1].1["command"], "check");
    let v = verify(&default, None);
    assert!(v.is_intact(), "{:?}", v.problem);
    assert_eq!(v.head.seq, 4);
}

#[test]
fn journal_show_since_takes_a_date() {
    let d = dir();
    let path = d.path().join("since.db");
    // Entries i hours after 2020-01-01: 1..=60 span 2020-01-01T01:00 to 2020-01-03T12:00.
    journal_of(&path, 60);
    let show = |since: &str| {
        let (code, out, err) = sphere_j(
            &path,
            &["journal", "show", "--since", since, "--format", "json"],
        );
        assert_eq!(code, 0, "{err}");
        let list: Vec<serde_json::Value> = serde_json::from_str(&out).expect("JSON");
        list.iter()
            .map(|e| e["seq"].as_u64().expect("seq"))
            .collect::<Vec<_>>()
    };
    assert_eq!(show("2020-01-01"), (1..=60).collect::<Vec<_>>());
    // A date is its midnight (UTC): from 2020-01-02T00:00, entry 24 on.
    assert_eq!(show("2020-01-02"), (24..=60).collect::<Vec<_>>());
    assert!(show("2099-01-01").is_empty());
    let (code, _, err) = sphere_j(&path, &["journal", "show", "--since", "2020-13-01"]);
    assert_eq!(code, 2);
    assert!(err.contains("--since: `2020-13-01` is not a date"), "{err}");
}

#[test]
fn a_check_and_a_gate_leave_receipts_that_replay_to_the_same_result() {
    let d = dir();
    let j = d.path().join("journal.db");

    // A plain check records nothing and creates no journal, not even the default one.
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join(S12);
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .arg("check")
        .arg(&model)
        .current_dir(d.path())
        .env_remove("SPHERE_JOURNAL")
        .output()
        .expect("sphere runs");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!d.path().join("sphere-journal.db").exists());
    let plain = text(&out.stdout);

    // With a journal: the same output, and a receipt with the findings' digest and lines.
    let (code, out, err) = sphere_j(&j, &["check", S12]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, plain, "the receipt does not change what check prints");
    assert!(err.contains("journal head: 1:"), "{err}");
    let r = receipts(&j);
    assert_eq!(r.len(), 1);
    let (check_seq, check) = &r[0];
    assert_eq!(check["command"], "check");
    assert_eq!(check["outcome"], "1");
    assert_eq!(check["activity_id"], serde_json::Value::Null);
    let lines = check["lines"].as_array().expect("the result lines");
    assert_eq!(lines.len() as u64, check["findings"].as_u64().expect("n"));
    let (_, json_out, _) = sphere_j(&j, &["check", S12, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json_out).expect("JSON");
    let expected: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["id"].as_str().expect("id"),
                f["decision"].as_str().expect("d")
            )
        })
        .collect();
    let kept: Vec<String> = lines
        .iter()
        .map(|l| l.as_str().expect("text").to_string())
        .collect();
    assert_eq!(
        kept, expected,
        "the lines are the findings' ids and decisions"
    );
    assert_eq!(
        check["result_digest"].as_str().expect("digest"),
        sphere::journal::result_digest(&expected)
    );

    // SPHERE_JOURNAL also records; a what-if records nothing and says so.
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args([
            "check",
            S12,
            "--assume",
            r#"consent_channel("c1", "phone")"#,
        ])
        .env("SPHERE_JOURNAL", &j)
        .output()
        .expect("sphere runs");
    assert!(
        text(&out.stderr).contains("no receipt recorded"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        receipts(&j).len(),
        2,
        "the --format json check above recorded one"
    );

    let (code, out, err) = replay(&j, *check_seq, &[S12]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("result: the same"), "{out}");
    assert!(out.contains("(the same)"), "{out}");

    // A gate: blocked, its receipt replays the same; the DPO approves and a second gate is
    // allowed; each receipt still replays to its own result (the decisions as they stood).
    let (code, out, err) = sphere_j(&j, &["gate", S12, "act-s4-call", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let gated: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let blocked_seq = receipts(&j).last().expect("a receipt").0;
    for b in gated["blocking"].as_array().expect("blocking") {
        let id = b["id"].as_str().expect("id");
        let (code, out, err) = sphere_j(
            &j,
            &[
                "approve",
                S12,
                id,
                "--by",
                DPO,
                "--reason",
                "consent on paper",
            ],
        );
        assert_eq!(code, 0, "{out}{err}");
    }
    let (code, _, err) = sphere_j(&j, &["gate", S12, "act-s4-call"]);
    assert_eq!(code, 0, "allowed after the approvals: {err}");
    let r = receipts(&j);
    let (allowed_seq, allowed) = r.last().expect("a receipt");
    assert_eq!(allowed["outcome"], "allowed");
    let (blocked_payload, allowed_payload) = (
        &r.iter().find(|(s, _)| *s == blocked_seq).expect("it").1,
        allowed,
    );
    assert_ne!(
        blocked_payload["result_digest"],
        allowed_payload["result_digest"]
    );
    for seq in [blocked_seq, *allowed_seq] {
        let (code, out, err) = replay(&j, seq, &[S12, "--format", "json"]);
        assert_eq!(code, 0, "entry {seq}: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(v["same"], true, "{v}");
        assert_eq!(v["command"], "gate");
        assert_eq!(v["activity"], "act-s4-call");
        assert_eq!(v["kb_digest"]["same"], true);
    }
    // Replay records nothing.
    let before = sphere_j(&j, &["journal", "head"]).1;
    replay(&j, blocked_seq, &[S12]);
    assert_eq!(sphere_j(&j, &["journal", "head"]).1, before);
    assert_eq!(sphere_j(&j, &["journal", "verify"]).0, 0);
}

#[test]
fn a_replay_with_other_model_files_is_refused_with_a_hint() {
    let d = dir();
    let j = d.path().join("journal.db");
    let (code, _, err) = sphere_j(&j, &["check", S12]);
    assert_eq!(code, 1, "{err}");
    let seq = receipts(&j)[0].0;
    // Another as-of date in the file is another model: the as-of date a replay uses is the
    // receipt's, but the files must be the ones the run read.
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(S12).expect("model")).expect("JSON");
    v["subjects"][0]["country"] = "AT".into();
    let other = d.path().join("other.json");
    std::fs::write(&other, v.to_string()).expect("written");
    let (code, out, err) = replay(&j, seq, &[other.to_str().expect("utf-8")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("model files differ from those of entry 1"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert!(out.is_empty(), "{out}");
}

#[test]
fn a_changed_knowledge_base_is_named_and_the_findings_that_differ_listed() {
    let d = dir();
    let j = d.path().join("journal.db");
    let (code, _, err) = sphere_j(&j, &["check", S04]);
    assert_eq!(code, 1, "{err}");
    let seq = receipts(&j)[0].0;
    // A knowledge base that forbids advertising calls to consumers only: the call to a
    // business is no longer a finding.
    let kb = d.path().join("kb");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
        &kb,
    );
    let file = kb.join("uwg/phone.dl");
    let rules = std::fs::read_to_string(&file).expect("phone.dl");
    let rule = "finding(A, S, D) :- phone_ad(A, S, D), !ad_consent(A, S).";
    assert!(rules.contains(rule), "the rule to change is there");
    std::fs::write(
        &file,
        rules.replace(
            rule,
            "finding(A, S, D) :- phone_ad(A, S, D), !ad_consent(A, S), consumer(S).",
        ),
    )
    .expect("written");
    // What vanishes: the findings of a check with the shipped knowledge base that a check
    // with the changed one lacks.
    let lines_of = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", S04, "--format", "json"];
        all.extend_from_slice(args);
        let out = sphere(&all);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["id"].as_str().expect("id"),
                    f["decision"].as_str().expect("d")
                )
            })
            .collect()
    };
    let now = lines_of(&["--kb", kb.to_str().expect("utf-8")]);
    let vanished: Vec<String> = lines_of(&[])
        .into_iter()
        .filter(|l| !now.contains(l))
        .collect();
    assert!(
        !vanished.is_empty(),
        "the change of the knowledge base removes a finding"
    );
    let (code, out, err) = replay(&j, seq, &[S04, "--kb", kb.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("knowledge base: differs: the receipt's "),
        "{out}"
    );
    assert!(out.contains("result: different"), "{out}");
    let listed: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("  - ")).collect();
    assert_eq!(listed, vanished, "{out}");
    assert!(!out.contains("  + "), "nothing appears: {out}");
    let phone = vanished[0].clone();
    let (code, out, _) = replay(
        &j,
        seq,
        &[S04, "--kb", kb.to_str().expect("utf-8"), "--format", "json"],
    );
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["same"], false);
    assert_eq!(v["kb_digest"]["same"], false);
    assert!(
        v["only_in_receipt"]
            .as_array()
            .expect("list")
            .iter()
            .any(|l| l == &serde_json::json!(phone)),
        "{v}"
    );

    // The knowledge base unchanged but read from a folder: the result is the same again.
    std::fs::write(&file, rules).expect("restored");
    let (code, out, err) = replay(&j, seq, &[S04, "--kb", kb.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("result: the same"), "{out}");
}

#[test]
fn a_replay_of_an_entry_that_is_no_receipt_or_not_there_is_a_clear_error() {
    let d = dir();
    let j = d.path().join("journal.db");
    let (code, _, err) = sphere_j(&j, &["gate", S12, "act-s4-call"]);
    assert_eq!(code, 1, "{err}");
    // Entry 1 is the block the gate recorded, before its receipt.
    let (code, out, err) = replay(&j, 1, &[S12]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("entry 1 is a `block` entry, not an execution receipt"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    let (code, _, err) = replay(&j, 999, &[S12]);
    assert_eq!(code, 2);
    assert!(err.contains("no entry 999 in the journal"), "{err}");
    assert!(err.contains("the journal ends at entry"), "{err}");
    let (code, _, err) = sphere_j(&j, &["journal", "replay", "first", S12]);
    assert_eq!(code, 2);
    assert!(err.contains("`first` is not an entry number"), "{err}");
    let missing = d.path().join("none.db");
    let (code, _, err) = sphere_j(&missing, &["journal", "replay", "1", S12]);
    assert_eq!(code, 2);
    assert!(err.contains("no journal at this path"), "{err}");
    assert!(!missing.exists(), "replay creates no journal");
}
