//! Gate latency: median and p99 of one gate decision through the library, with the knowledge
//! base loaded and the journal open, on the demo model and on a generated model of 100,000
//! activities. Two figures per model: the gate on an outcome already evaluated (derivation,
//! facts digest, journal reads and the durable receipt: what a server holding a current
//! outcome pays), and evaluation plus gate (what the command line pays, model loading aside).
//! Results are recorded in docs/performance.md.
//!
//! `cargo bench --bench gate` (a plain binary, so the tail is reported). The 100k model is
//! generated in-process (`sphere gen --subjects 10000 --activities 100000 --seed 42`).

use std::time::{Duration, Instant};

use jiff::Timestamp;
use sphere::gate::{gate, Request};
use sphere::journal::{Config, Journal};
use sphere::{EvalOptions, KnowledgeBase, Model};

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

fn run(label: &str, kb: &KnowledgeBase, model: &Model, journal: &mut Journal, n: (usize, usize)) {
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
}

fn main() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder");
    let mut journal = Journal::open(&dir.path().join("gate.db"), &Config::create()).expect("open");
    let kb = KnowledgeBase::shipped().expect("the knowledge base");
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
    run("generated 100k", &kb, &big, &mut journal, (100, 5));
}
