//! `docs/cli.md`, the command-line reference, is generated from the commands' own `--help`;
//! this test fails when it is stale (`UPDATE_GENERATED=1 cargo test --test it cli_doc`
//! rewrites it).

use std::path::Path;
use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sphere"))
        .args(args)
        .arg("--help")
        .env("NO_COLOR", "1")
        .output()
        .expect("sphere runs");
    assert!(out.status.success(), "{args:?} --help exits 0");
    String::from_utf8(out.stdout).expect("utf-8 help")
}

/// Subcommand names listed in a help text's `Commands:` section.
fn subcommands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("Commands:") {
            inside = true;
            continue;
        }
        if inside {
            if !line.starts_with("  ") {
                break;
            }
            if let Some(name) = line.split_whitespace().next() {
                if name != "help" {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

fn generate() -> String {
    let mut doc = String::from(
        "# Command-line reference\n\nGenerated from `sphere ... --help` by `tests/it/cli_doc.rs`; do not edit by hand.\n\
         Exit codes everywhere: 0 ok, 1 findings that need action (`block` or `breach`), 2 bad input or usage, 130 stopped by SIGINT (Ctrl-C) or SIGTERM (see `docs/robustness.md`).\n\n",
    );
    let top = help(&[]);
    doc.push_str(&format!("## sphere\n\n```text\n{}```\n\n", top));
    for cmd in subcommands(&top) {
        let text = help(&[&cmd]);
        doc.push_str(&format!("## sphere {cmd}\n\n```text\n{text}```\n\n"));
        for sub in subcommands(&text) {
            let t = help(&[&cmd, &sub]);
            doc.push_str(&format!("### sphere {cmd} {sub}\n\n```text\n{t}```\n\n"));
        }
    }
    doc
}

#[test]
fn docs_cli_md_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md");
    let fresh = generate();
    assert!(
        fresh.contains("## sphere check") && fresh.contains("## sphere kb"),
        "every command is documented"
    );
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &fresh).expect("docs/cli.md is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/cli.md is stale: run `UPDATE_GENERATED=1 cargo test --test it cli_doc` and commit it"
    );
}
