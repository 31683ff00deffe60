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
