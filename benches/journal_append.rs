//! Journal append latency: median and p99 of one durable append (BEGIN IMMEDIATE, read the
//! head, hash, insert, commit with the log synced), by one writer and by eight writers at
//! once; and the time `verify` takes per entry. Results are recorded in docs/performance.md.
//!
//! `cargo bench --bench journal_append` (a plain binary: criterion reports means and
//! medians, and the figure that matters for a gate is the tail).

use std::path::Path;
use std::time::{Duration, Instant};

use jiff::civil::date;
use jiff::Timestamp;
use sphere::journal::{
    text_digest, Block, Config, Context, Decision, FindingRef, Journal, NewEntry, Payload,
};

fn entry(writer: u64, i: u64) -> NewEntry {
    let payload = if i % 2 == 0 {
        Payload::Block(Block {
            activity_id: format!("A-{i}"),
            decision: "block".into(),
            norms: vec!["gdpr.art6.1".into(), "uwg.7.2.1".into()],
            as_of: date(2026, 6, 1),
        })
    } else {
        Payload::Approve(Decision {
            reason_digest: text_digest("documented consent"),
            until: None,
        })
    };
    NewEntry {
        time: Timestamp::from_second(1_780_000_000 + i as i64).expect("a valid time"),
        actor: format!("staff-{writer}"),
        finding: Some(FindingRef {
            id: format!("F-{writer:04}{i:012x}"),
            facts_digest: format!("{:016x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        }),
        context: Context {
            engine_version: "sphere 0.1.0".into(),
            kb_digest: Some("0123456789abcdef".into()),
            model_digest: Some("fedcba9876543210".into()),
        },
        payload,
    }
}

fn config() -> Config {
    Config {
        busy_timeout: Duration::from_secs(600),
        ..Config::create()
    }
}

fn appends(path: &Path, writer: u64, n: u64) -> Vec<Duration> {
    let mut j = Journal::open(path, &config()).expect("open");
    (0..n)
        .map(|i| {
            let e = entry(writer, i);
            let t = Instant::now();
            j.append(&e).expect("append");
            t.elapsed()
        })
        .collect()
}

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{label}: n={} median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
    );
}

fn main() {
    // Benches get their own folder under target/, on the same disk as a real journal would be
    // (a tmpfs would make fsync free and the figures meaningless).
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder");

    let one = dir.path().join("one.db");
    drop(Journal::open(&one, &config()).expect("create"));
    appends(&one, 0, 100); // warm up: file growth, the page cache
    report("append, 1 writer", appends(&one, 0, 2000));

    let eight = dir.path().join("eight.db");
    drop(Journal::open(&eight, &config()).expect("create"));
    let threads: Vec<_> = (0..8)
        .map(|w| {
            let path = eight.clone();
            std::thread::spawn(move || appends(&path, w, 250))
        })
        .collect();
    let all: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("a writer"))
        .collect();
    report(
        "append, 8 writers at once (each append's wait included)",
        all,
    );

    let mut j = Journal::open(&one, &Config::default()).expect("open");
    let t = Instant::now();
    let v = j.verify(None).expect("verify");
    let took = t.elapsed();
    assert!(v.is_intact());
    println!(
        "verify: {} entries in {:.1} ms ({:.1} us per entry)",
        v.entries,
        took.as_secs_f64() * 1e3,
        took.as_secs_f64() * 1e6 / v.entries as f64
    );
}
