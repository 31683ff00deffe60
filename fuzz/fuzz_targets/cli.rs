//! Feeds an argument vector and standard input to the command line's entry point
//! (`cli::run`, the whole of `src/cli` compiled into this target), in-process: no input may
//! panic, and every command line must end with exit code 0, 1 or 2.
//!
//! Input: NUL-separated parts; the last is standard input, the others are arguments. An
//! argument `@N` is word N of [`WORDS`] (commands, options, the repository's models and
//! programs); any other argument is taken as it is, but refused by the harness if it holds a
//! `/` or names a file outside the scratch folder, so that whatever a command writes lands in
//! the scratch folder the target runs in. `serve` is left out (it runs until stopped), and a
//! number above 10,000 too (`gen --activities`); `eval --json` gets small bounds.
#![no_main]

#[path = "../../src/cli/mod.rs"]
#[allow(dead_code, unused_imports)]
mod cli;

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::{Once, OnceLock};

use libfuzzer_sys::fuzz_target;

/// Where the repository is, for the models and programs named by words.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

const WORDS: &[&str] = &[
    "check", "explain", "remedies", "diff", "eval", "graph", "gen", "kb", "validate", "facts",
    "gate", "approve", "reject", "pending", "journal", "report", "repl", "--format", "json",
    "text", "md", "sarif", "dot", "mermaid", "--lang", "de", "en", "--as-of", "2025-06-16",
    "--rules", "--assume", "--kb", "--why-not", "--tree", "--show-suppressed", "--facts", "-F",
    "-D", "-o", "--explain", "--json", "--max-tuples", "--timeout", "--subjects",
    "--activities", "--seed", "lint", "list", "show", "test", "catalogue", "verify", "head",
    "prune", "--journal", "--by", "--reason", "--help", "--version", "-", "@M1", "@M2", "@M3",
    "@P1", "@P2", "@K", "F-dc0dcb7057fb09a2", "uwg_phone_without_consent",
    "act-week-call-hartmann", "path(1, 3)", "out", "0", "1", "10",
];

/// Files of the repository a word can name.
fn file(word: &str) -> Option<String> {
    let rel = match word {
        "@M1" => "facts/s04_phone_call.json",
        "@M2" => "facts/demo_week.json",
        "@M3" => "facts/s10_newsletter_selection.json",
        "@P1" => "examples/dataflow.dl",
        "@P2" => "examples/dataflow",
        "@K" => "knowledge",
        _ => return None,
    };
    Some(format!("{ROOT}/{rel}"))
}

static SETUP: Once = Once::new();

/// The folder the fuzzer was started in, and the scratch folder commands run in.
static DIRS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();

fn setup() {
    SETUP.call_once(|| {
        let dir = std::env::temp_dir().join(format!("sphere-fuzz-cli-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let start = std::env::current_dir().expect("a working folder");
        let _ = DIRS.set((start, dir));
        std::env::remove_var("SPHERE_JOURNAL");
        std::env::set_var("NO_COLOR", "1");
        // stdout is data: thrown away (run with -close_fd_mask=2 to silence stderr too).
        let null = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .expect("/dev/null");
        unsafe { libc::dup2(null.as_raw_fd(), 1) };
        cli::drop_on_return();
    });
}

fuzz_target!(|data: &[u8]| {
    setup();
    let mut parts: Vec<&[u8]> = data.split(|b| *b == 0).collect();
    let stdin = parts.pop().unwrap_or_default();
    if parts.is_empty() || parts.len() > 12 {
        return;
    }
    let mut args: Vec<OsString> = vec!["sphere".into()];
    for p in &parts {
        let text = String::from_utf8_lossy(p);
        let word = match text.strip_prefix('@').and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => WORDS[n % WORDS.len()].to_string(),
            None => text.into_owned(),
        };
        let arg = match file(&word) {
            Some(path) => path,
            None => {
                if word.contains('/') || word.contains("..") || word == "serve" {
                    return;
                }
                if word.parse::<u64>().is_ok_and(|n| n > 10_000) {
                    return;
                }
                word
            }
        };
        args.push(arg.into());
    }
    if args.iter().any(|a| a == "--json") {
        args.extend(["--max-tuples", "100000", "--timeout", "2"].map(OsString::from));
    }
    // Commands run in the scratch folder, and the fuzzer gets its own folder back after each
    // input: libFuzzer reads the files of a corpus given by a relative path one by one as it
    // runs them, and found none past the first input when the folder stayed changed.
    let (start, scratch) = DIRS.get().expect("set up");
    std::env::set_current_dir(scratch).expect("scratch folder");
    let code = run_in_scratch(args.clone(), stdin);
    std::env::set_current_dir(start).expect("the fuzzer's folder");
    if let Some(code) = code {
        assert!(code <= 2, "exit code {code} for {args:?}");
    }
});

/// Runs `args` with `stdin` as standard input, in the current folder; `None` when the input
/// file cannot be written.
fn run_in_scratch(args: Vec<OsString>, stdin: &[u8]) -> Option<u8> {
    // Standard input from a file holding the bytes.
    let input = std::path::Path::new("stdin.bin");
    if std::fs::File::create(input)
        .and_then(|mut f| f.write_all(stdin))
        .is_err()
    {
        return None;
    }
    let f = std::fs::File::open(input).ok()?;
    unsafe { libc::dup2(f.as_raw_fd(), 0) };
    Some(cli::run(args))
}
