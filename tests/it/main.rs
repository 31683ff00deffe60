mod check;
mod cli_doc;
mod cmd;
mod compiled_parity;
#[cfg(feature = "crepe")]
mod crepe;
mod diff;
mod eval;
mod export;
mod gate;
mod graph_gen;
mod incremental;
mod journal;
mod kb;
mod lang;
mod norms;
mod remedies;
mod repl;
mod report;
mod robust;
mod scenarios;
mod server;
/// The input format and driver of the server's fuzz target, for the replay of its corpus.
#[path = "../../fuzz/fuzz_targets/server_harness.rs"]
mod server_harness;
mod whynot;

/// Runs the built `sphere` in the repository root without colours: exit code, stdout, stderr.
pub fn sphere(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sphere"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("sphere runs");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

/// Rules that make every advertising phone call a finding only at the end of a chain of ten
/// thousand derivations (`step(n)` from `step(n - 1)` and the fact `next(n - 1, n)`): the
/// finding's tree is ten thousand levels deep.
pub fn deep_rules() -> String {
    let mut text = String::from(
        r#".decl next(a: number, b: number)
.decl step(n: number)
step(0).
step(Y) :- step(X), next(X, Y).

.rule deep_chain {
    norms: ["uwg:7.2.1"], severity: high, decision: block,
    message: { en: "call {A} at the end of a long chain", de: "Anruf {A} am Ende einer langen Kette" },
    remedy: { en: "r", de: "r" },
}
finding(A, S, D) :- phone_ad(A, S, D), step(10000).
"#,
    );
    for i in 0..10_000 {
        text.push_str(&format!("next({i}, {}).\n", i + 1));
    }
    text
}

/// The model the tests of a bound reached by the whole model only run on: several subjects,
/// each a part of its own.
pub const BOUNDED_MODEL: &str = "facts/demo_week.json";

/// Tuples of all relations of an outcome's evaluation together, input facts included: what
/// `Limits::max_tuples` bounds.
pub fn total_tuples(outcome: &sphere::Outcome<'_>) -> u64 {
    let ev = outcome.evaluation();
    (0..ev.program().relations.len())
        .map(|i| ev.len(sphere_engine::ir::RelId(i as u32)) as u64)
        .sum()
}

/// The tuples of [`BOUNDED_MODEL`] evaluated by the shipped knowledge base: as `max_tuples`,
/// the model evaluates (the bound is reached, not passed), a part of it stays well within,
/// and one fact more in the whole model passes it.
pub fn bounded_model_tuples() -> u64 {
    let kb = sphere::KnowledgeBase::shipped().expect("the shipped knowledge base");
    let text = std::fs::read_to_string(BOUNDED_MODEL).expect("the fixture");
    let today = sphere::Date::parse("2025-06-16").expect("a date");
    let model = sphere::Model::from_text(BOUNDED_MODEL, &text, today).expect("a valid model");
    let outcome = kb
        .evaluate(&model, &sphere::EvalOptions::default())
        .expect("evaluates");
    total_tuples(&outcome)
}
