//! Incremental re-evaluation: `Session::apply` of one change (a consent withdrawn, a fact
//! assumed, a fact retracted) against a full evaluation of the same model, measured in one
//! run; and the gate for one activity through `Session::gate` (the activity's part of the
//! model only) against the gate on a full evaluation. Results are recorded in
//! docs/performance.md.
//!
//! `cargo bench --bench incremental` (a plain binary, so the tail is reported). The models are
//! generated in-process: `sphere gen --subjects 10000 --activities 100000 --seed 42`, and with
//! `SPHERE_BENCH_1M=1` also `--subjects 100000 --activities 1000000`;
//! `SPHERE_BENCH_ACTIVITIES=N` chooses another size for the first.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{generated, ms, report};

use jiff::Timestamp;
use sphere::gate::{gate, Request};
use sphere::journal::{Config, Journal};
use sphere::session::Change;
use sphere::{EvalOptions, KnowledgeBase, Model, Session};

fn request() -> Request {
    Request {
        actor: "bench".into(),
        time: Timestamp::now(),
        engine_version: "sphere bench".into(),
    }
}

fn run(label: &str, kb: &Arc<KnowledgeBase>, model: Model, n: usize, fulls: usize) {
    let today = model.as_of();
    // A full check of the same model, measured alongside.
    let mut full = Vec::new();
    for _ in 0..fulls {
        let t = Instant::now();
        let o = kb
            .evaluate(&model, &EvalOptions::default())
            .expect("evaluates");
        std::hint::black_box(o.findings().len());
        full.push(t.elapsed());
    }
    let full_median = report(&format!("{label}: full evaluation"), full);
    let t = Instant::now();
    let mut session =
        Session::new(Arc::clone(kb), model, EvalOptions::default()).expect("evaluates");
    println!("{label}: session start {:.0} ms", ms(t.elapsed()));
    let company = session.model().company().expect("a model").clone();
    let step = |i: usize, len: usize| (i * 7919 + 13) % len;
    let mut kinds: Vec<(&str, Vec<Duration>)> = Vec::new();
    for kind in ["withdraw consent", "assume", "retract"] {
        let mut times = Vec::new();
        for i in 0..n {
            let change = match kind {
                "withdraw consent" => Change::WithdrawConsent {
                    consent: company.consents[step(i, company.consents.len())].id.clone(),
                    date: today,
                },
                "assume" => Change::Assume(format!(
                    "activity_large_scale(\"{}\")",
                    company.activities[step(i, company.activities.len())].id
                )),
                _ => {
                    let c = &company.consents[step(i + 1, company.consents.len())];
                    Change::Retract(format!(
                        "consent_channel(\"{}\", \"{}\")",
                        c.id,
                        c.channels.first().map_or("email", |c| c.as_str())
                    ))
                }
            };
            let t = Instant::now();
            let delta = session.apply(&[change]).expect("applies");
            std::hint::black_box(session.findings().len() + delta.appeared.len());
            times.push(t.elapsed());
        }
        kinds.push((kind, times));
    }
    for (kind, times) in kinds {
        let median = report(&format!("{label}: apply {kind}"), times);
        println!(
            "{label}: apply {kind} / full evaluation = {:.2} %",
            100.0 * median / full_median
        );
    }
    println!("{label}: {:?}", session.stats());
    // The gate: on the activity's part of the model.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder");
    let mut journal = Journal::open(&dir.path().join("gate.db"), &Config::create()).expect("open");
    let activity = session
        .findings()
        .iter()
        .find(|f| f.needs_action() && f.about.activity().is_some())
        .and_then(|f| f.about.activity())
        .expect("a blocked activity")
        .to_string();
    let mut times = Vec::new();
    for i in 0..(n * 5) {
        // Half the gates on the blocked activity, half on others.
        let a = if i % 2 == 0 {
            activity.clone()
        } else {
            company.activities[step(i, company.activities.len())]
                .id
                .clone()
        };
        let t = Instant::now();
        session.gate(&mut journal, &a, &request()).expect("gate");
        times.push(t.elapsed());
    }
    report(
        &format!("{label}: Session::gate (the activity's part)"),
        times,
    );
}

fn main() {
    let kb = Arc::new(KnowledgeBase::shipped().expect("the knowledge base"));
    let today = sphere::Date::parse("2025-06-16").expect("a date");
    let week = Model::from_files(
        &[concat!(env!("CARGO_MANIFEST_DIR"), "/facts/demo_week.json")],
        today,
    )
    .expect("the demo week");
    {
        // The gate on a full evaluation, for comparison on the demo week.
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder");
        let mut journal =
            Journal::open(&dir.path().join("gate.db"), &Config::create()).expect("open");
        let outcome = kb
            .evaluate(&week, &EvalOptions::default())
            .expect("evaluates");
        let activity = outcome
            .findings()
            .iter()
            .find_map(|f| f.about.activity().filter(|_| f.needs_action()))
            .expect("a blocked activity")
            .to_string();
        drop(outcome);
        let mut times = Vec::new();
        for _ in 0..100 {
            let t = Instant::now();
            let o = kb
                .evaluate(&week, &EvalOptions::default())
                .expect("evaluates");
            gate(&mut journal, &o, &activity, &request()).expect("gate");
            times.push(t.elapsed());
        }
        report("demo week: full evaluation and gate", times);
    }
    run("demo week", &kb, week, 40, 20);
    let activities: u32 = std::env::var("SPHERE_BENCH_ACTIVITIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    run(
        &format!("generated {activities}"),
        &kb,
        generated((activities / 10).max(1), activities, today),
        40,
        3,
    );
    if std::env::var_os("SPHERE_BENCH_1M").is_some() {
        run(
            "generated 1M",
            &kb,
            generated(100_000, 1_000_000, today),
            20,
            1,
        );
    }
}
