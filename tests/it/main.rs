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
