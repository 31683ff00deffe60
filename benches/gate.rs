//! Gate latency: median and p99 of one gate decision through the library, with the knowledge
//! base loaded and the journal open, on the demo model and on a generated model of 100,000
//! activities. Two figures per model: the gate on an outcome already evaluated (derivation,
//! facts digest, journal reads and the durable receipt: what a server holding a current
//! outcome pays), and evaluation plus gate (what the command line pays, model loading aside).
//! Results are recorded in docs/performance.md.
//!
//! Two more figures go through the part path, which evaluates only the activity's component
//! and the shared data: `gate::gate_model` (what `sphere gate` calls: the part is sliced and
//! evaluated for every gate) and `Session::gate` (a session holding the evaluated model, as a
//! server would; the part is evaluated for the gate). Both on the blocked activity and on
//! others, half each.
//!
//! `cargo bench --bench gate` (a plain binary, so the tail is reported). The 100k model is
//! generated in-process (`sphere gen --subjects 10000 --activities 100000 --seed 42`);
//! `SPHERE_BENCH_1M=1` adds the 1M model (part path only: `gen --subjects 100000 --activities
//! 1000000 --seed 42`); `SPHERE_BENCH_WHOLE=0` leaves out the gate on the whole outcome.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use sphere::gate::{gate, Request};
use sphere::journal::{Config, Journal};
use std::sync::Arc;

use sphere::{EvalOptions, KnowledgeBase, Model, Session};

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

fn request() -> Request {
    Request {
        actor: "bench".into(),
        time: Timestamp::now(),
        engine_version: "sphere bench".into(),
    }
}

/// The first activity with a finding that needs action, and others spread over the model.
fn activities(model: &Model, blocked: &str) -> Vec<String> {
    let company = model.company().expect("a company model");
    let step = (company.activities.len() / 50).max(1);
    let mut out: Vec<String> = vec![blocked.to_string()];
    out.extend(
        company
            .activities
            .iter()
            .step_by(step)
            .take(50)
            .map(|a| a.id.clone()),
    );
    out
}

fn run(
    label: &str,
    kb: &Arc<KnowledgeBase>,
    model: &Model,
    journal: &mut Journal,
    n: (usize, usize),
) {
    let outcome = kb
        .evaluate(model, &EvalOptions::default())
        .expect("evaluates");
    // The first activity with a finding that needs action: the gate's interesting path.
    let activity = outcome
        .findings()
        .iter()
        .find(|f| f.needs_action() && f.about.activity().is_some())
        .and_then(|f| f.about.activity())
        .expect("a blocked activity")
        .to_string();
    if std::env::var("SPHERE_BENCH_WHOLE").as_deref() != Ok("0") {
        let mut on_outcome = Vec::new();
        for _ in 0..n.0 {
            let t = Instant::now();
            gate(journal, &outcome, &activity, &request()).expect("gate");
            on_outcome.push(t.elapsed());
        }
        report(
            &format!("{label}: gate on an evaluated outcome"),
            on_outcome,
        );
        drop(outcome);
        let mut full = Vec::new();
        for _ in 0..n.1 {
            let t = Instant::now();
            let outcome = kb
                .evaluate(model, &EvalOptions::default())
                .expect("evaluates");
            gate(journal, &outcome, &activity, &request()).expect("gate");
            full.push(t.elapsed());
        }
        report(&format!("{label}: evaluation and gate"), full);
    } else {
        drop(outcome);
    }
    run_parts(label, kb, model, journal, &activity, n.0);
}

/// The part path: `gate::gate_model` and `Session::gate`, on the blocked activity and on
/// others, half each.
fn run_parts(
    label: &str,
    kb: &Arc<KnowledgeBase>,
    model: &Model,
    journal: &mut Journal,
    blocked: &str,
    n: usize,
) {
    let others = activities(model, blocked);
    let pick = |i: usize| -> &str {
        if i % 2 == 0 {
            blocked
        } else {
            &others[1 + (i / 2) % (others.len() - 1)]
        }
    };
    let mut part = Vec::new();
    for i in 0..n {
        let t = Instant::now();
        sphere::gate::gate_model(
            journal,
            kb,
            model,
            &EvalOptions::default(),
            pick(i),
            &request(),
        )
        .expect("gate");
        part.push(t.elapsed());
    }
    report(
        &format!("{label}: gate_model (the part, sliced per gate)"),
        part,
    );
    let t = Instant::now();
    let session =
        Session::new(Arc::clone(kb), model.clone(), EvalOptions::default()).expect("a session");
    println!("{label}: session start {:.2} s", t.elapsed().as_secs_f64());
    let mut held = Vec::new();
    for i in 0..n {
        let t = Instant::now();
        session.gate(journal, pick(i), &request()).expect("gate");
        held.push(t.elapsed());
    }
    report(
        &format!("{label}: Session::gate (the part of a held session)"),
        held,
    );
}

fn main() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder");
    let mut journal = Journal::open(&dir.path().join("gate.db"), &Config::create()).expect("open");
    let kb = Arc::new(KnowledgeBase::shipped().expect("the knowledge base"));
    let today = sphere::Date::parse("2025-06-16").expect("a date");
    let demo = Model::from_files(
        &[concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/facts/s12_what_if_consent.json"
        )],
        today,
    )
    .expect("the demo model");
    run("demo (s12)", &kb, &demo, &mut journal, (500, 200));
    let week = Model::from_files(
        &[concat!(env!("CARGO_MANIFEST_DIR"), "/facts/demo_week.json")],
        today,
    )
    .expect("the demo week");
    run("demo week", &kb, &week, &mut journal, (500, 200));
    let mut text = Vec::new();
    sphere_model::gen::write_model(
        &sphere_model::gen::GenConfig::new(10_000, 100_000, 42),
        &mut text,
    )
    .expect("generated");
    let text = String::from_utf8(text).expect("UTF-8");
    let big = Model::from_text("gen-100k.json", &text, today).expect("the generated model");
    drop(text);
    run("generated 100k", &kb, &big, &mut journal, (20, 3));
    drop(big);
    if std::env::var("SPHERE_BENCH_1M").as_deref() == Ok("1") {
        let mut text = Vec::new();
        sphere_model::gen::write_model(
            &sphere_model::gen::GenConfig::new(100_000, 1_000_000, 42),
            &mut text,
        )
        .expect("generated");
        let text = String::from_utf8(text).expect("UTF-8");
        let huge = Model::from_text("gen-1m.json", &text, today).expect("the generated model");
        drop(text);
        let company = huge.company().expect("a company model");
        // The blocked activity is found by the part path itself: the first planned one.
        let blocked = company
            .activities
            .iter()
            .find(|a| a.status.as_str() == "planned")
            .map_or_else(|| company.activities[0].id.clone(), |a| a.id.clone());
        run_parts("generated 1M", &kb, &huge, &mut journal, &blocked, 40);
    }
}
