//! The DPO's console on a large model: a full evaluation (what `sphere check` costs), the
//! REPL's `assume` and `retract` (what-if, re-evaluating what the change reaches) and
//! `remedies` for one finding, all through `sphere::repl::Repl` as a user types them, measured
//! in one run. Targets (issue "The DPO's console"): `assume` / `retract` at most 10 % of a
//! full check, `remedies` at most 2 s. Results are recorded in docs/performance.md.
//!
//! `cargo bench --bench console` (a plain binary). The model is generated in-process:
//! `sphere gen --subjects 10000 --activities 100000 --seed 42`;
//! `SPHERE_BENCH_ACTIVITIES=N` chooses another size.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use common::{generated_text, ms, report};
use sphere::repl::Repl;
use sphere::{EvalOptions, KnowledgeBase, Model};

fn run(label: &str, kb: &Arc<KnowledgeBase>, file: PathBuf, today: sphere::Date, n: usize) {
    let model = Model::from_files(&[&file], today).expect("the model");
    let company = model.company().expect("a model").clone();
    let mut full = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let o = kb
            .evaluate(&model, &EvalOptions::default())
            .expect("evaluates");
        std::hint::black_box(o.findings().len());
        full.push(t.elapsed());
    }
    drop(model);
    let full_median = report(&format!("{label}: full evaluation"), full);
    let t = Instant::now();
    let mut repl = Repl::new(Arc::clone(kb), vec![file], today, EvalOptions::default())
        .expect("the REPL starts");
    println!("{label}: REPL start {:.0} ms", ms(t.elapsed()));
    let step = |i: usize, len: usize| (i * 7919 + 13) % len;
    let mut kinds = Vec::new();
    for kind in ["assume", "retract"] {
        let mut times = Vec::new();
        for i in 0..n {
            let line = match kind {
                "assume" => format!(
                    "assume activity_large_scale(\"{}\").",
                    company.activities[step(i, company.activities.len())].id
                ),
                _ => {
                    let c = &company.consents[step(i + 1, company.consents.len())];
                    format!(
                        "retract consent_channel(\"{}\", \"{}\").",
                        c.id,
                        c.channels.first().map_or("email", |c| c.as_str())
                    )
                }
            };
            let t = Instant::now();
            let answer = repl.run(&line).expect("answers");
            std::hint::black_box(answer.len());
            times.push(t.elapsed());
        }
        kinds.push((kind, times));
    }
    for (kind, times) in kinds {
        let median = report(&format!("{label}: REPL {kind}"), times);
        println!(
            "{label}: REPL {kind} / full evaluation = {:.2} %",
            100.0 * median / full_median
        );
    }
    println!("{label}: {:?}", repl.session().stats());
    // Remedies for one finding that needs action on a planned activity, and for one on a
    // done activity (its remedies are checked on the next use).
    let mut times = Vec::new();
    for status in [
        sphere_model::ActivityStatus::Planned,
        sphere_model::ActivityStatus::Done,
    ] {
        let found = repl.session().findings().iter().find(|f| {
            f.needs_action()
                && f.about.activity().is_some_and(|a| {
                    company
                        .activities
                        .iter()
                        .any(|x| x.id == a && x.status == status)
                })
        });
        let Some(id) = found.map(|f| f.id.clone()) else {
            println!("{label}: no finding on a {status:?} activity");
            continue;
        };
        let t = Instant::now();
        let answer = repl.run(&format!("remedies {id}")).expect("answers");
        let elapsed = t.elapsed();
        println!(
            "{label}: remedies {id} ({status:?}): {:.0} ms, {} lines",
            ms(elapsed),
            answer.lines().count()
        );
        times.push(elapsed);
    }
    report(&format!("{label}: REPL remedies"), times);
}

fn main() {
    let kb = Arc::new(KnowledgeBase::shipped().expect("the knowledge base"));
    let today = sphere::Date::parse("2025-06-16").expect("a date");
    let week = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/facts/demo_week.json"));
    run("demo week", &kb, week, today, 20);
    let activities: u32 = std::env::var("SPHERE_BENCH_ACTIVITIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder");
    let file = dir.path().join(format!("gen-{activities}.json"));
    std::fs::write(&file, generated_text((activities / 10).max(1), activities)).expect("written");
    run(&format!("generated {activities}"), &kb, file, today, 10);
}
