//! The command line. One file per command; this module only parses arguments and dispatches.
//!
//! Invariant: only this module prints. stdout is data, stderr is diagnostics and progress.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod check;
pub mod eval;
pub mod explain;
pub mod facts;
pub mod gen;
pub mod graph;
pub mod journal;
pub mod kb;
pub mod validate;

/// Exit codes shared by every command.
pub mod exit {
    /// Nothing that needs action.
    pub const OK: u8 = 0;
    /// Findings that need action (decision `block` or `breach`).
    pub const FINDINGS: u8 = 1;
    /// Bad input or usage.
    pub const BAD_INPUT: u8 = 2;
}

/// An error that ends a command: printed on stderr as `error: ...`, exit code 2.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// What a command returns: the exit code, or an error already rendered by the command
/// (`Err` with an empty message means "diagnostics were printed, exit 2").
pub type CmdResult = Result<u8, CliError>;

#[derive(Parser, Debug)]
#[command(
    name = "sphere",
    version,
    about = "Compliance checks for social CRM: Datalog rules with derivations back to the law"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Evaluate the knowledge base on a model and print the findings
    Check(check::Args),
    /// Show the full derivation tree of one finding, down to model facts and norms
    Explain(explain::Args),
    /// Evaluate a Datalog program (Soufflé-style `.facts` in, `.csv` out, or JSON on stdin)
    Eval(eval::Args),
    /// Draw the data-flow graph of a model (DOT, Mermaid or SVG)
    Graph(graph::Args),
    /// Generate a large, valid, realistic model (deterministic for a seed)
    Gen(gen::Args),
    /// Tools for the knowledge base: rule tests with coverage, lint, list, show, catalogue
    Kb(kb::Args),
    /// Check model files against the model contract and report every problem at once
    Validate(validate::Args),
    /// Write the facts extracted from a model as tab-separated files (sphere-facts/1)
    Facts(facts::Args),
    /// The decision journal: verify its hash chain, export its head, show and prune entries
    Journal(journal::Args),
}

/// Leaves `value` to the operating system, which takes a process's memory back at once when it
/// exits, instead of freeing it allocation by allocation. For the session, facts and
/// evaluation a command holds until it returns, right before the process ends: at a million
/// activities they are tens of millions of small allocations, and freeing them took 12 s of a
/// 49 s `sphere check` (`free` merging the blocks). Commands call it on their way out only.
pub(crate) fn leave_to_exit<T>(value: T) {
    std::mem::forget(value);
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::BAD_INPUT
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result: CmdResult = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Gen(args) => gen::run(args),
        Command::Kb(args) => kb::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Facts(args) => facts::run(args),
        Command::Journal(args) => journal::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if !e.message.is_empty() {
                eprintln!("error: {}", e.message);
                if let Some(h) = e.hint {
                    eprintln!("  hint: {h}");
                }
            }
            ExitCode::from(exit::BAD_INPUT)
        }
    }
}
