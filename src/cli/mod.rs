//! The command line. One file per command; each parses its arguments, calls the library,
//! renders and sets the exit code.
//!
//! Invariant: only this module prints. stdout is data, stderr is diagnostics and progress.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};
use sphere::texts::Texts;
use sphere::{Date, Error, ErrorKind};

pub mod check;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod facts;
pub mod gate;
pub mod gen;
pub mod graph;
pub mod journal;
pub mod kb;
pub mod load;
mod progress;
pub mod remedies;
pub mod repl;
pub mod replay;
pub mod report;
pub mod serve;
pub mod validate;

/// Exit codes shared by every command.
pub mod exit {
    /// Nothing that needs action.
    pub const OK: u8 = 0;
    /// Findings that need action (decision `block` or `breach`).
    pub const FINDINGS: u8 = 1;
    /// Bad input or usage.
    pub const BAD_INPUT: u8 = 2;
    /// Stopped by SIGINT (Ctrl-C) or SIGTERM: the shell's code for SIGINT (128 + 2).
    pub const INTERRUPTED: u8 = 130;
}

/// Set by the first SIGINT or SIGTERM: evaluations stop at their next check (see
/// [`Bounds::start`]), writes move nothing more into place, and the command ends with
/// [`exit::INTERRUPTED`].
static STOP: AtomicBool = AtomicBool::new(false);

/// Whether SIGINT or SIGTERM asked the command to stop.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// How long a command may take to stop by itself after the first signal, before the process
/// ends anyway (a phase that does not look at [`STOP`]: reading a large model).
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

const INTERRUPTED_MESSAGE: &str = "error: stopped by SIGINT or SIGTERM; files being written were left as they were (their temporary files removed)\n";

/// The handler of SIGINT and SIGTERM. The first asks the command to stop (evaluations and
/// writes look at [`STOP`]) and, should it not end within [`STOP_GRACE`], ends the process;
/// a second ends it at once. Either way temporary files are removed first and the exit code
/// is [`exit::INTERRUPTED`].
fn on_signal() {
    let end = || {
        sphere_model::output::remove_temporaries();
        let _ = std::io::stderr().write_all(INTERRUPTED_MESSAGE.as_bytes());
        std::process::exit(exit::INTERRUPTED.into());
    };
    if STOP.swap(true, Ordering::SeqCst) {
        end();
    }
    sphere_model::output::cancel();
    std::thread::spawn(move || {
        std::thread::sleep(STOP_GRACE);
        end();
    });
}

/// What ends a command with exit code 2.
#[derive(Debug)]
pub enum CliError {
    /// Already written to stderr.
    Reported,
    /// Written to stderr by [`main`]: `error: ...` and a hint, or the problems of a model,
    /// or diagnostics with carets.
    Error(Box<Error>),
}

impl CliError {
    /// A usage error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        CliError::Error(Box::new(Error::new(ErrorKind::Usage, message)))
    }

    /// The error in `lang` where it has words in it (see [`Error::in_lang`]).
    pub fn in_lang(self, lang: sphere::Lang) -> Self {
        match self {
            CliError::Error(e) => CliError::Error(Box::new(e.in_lang(lang))),
            r => r,
        }
    }

    pub fn with_hint(self, hint: impl Into<String>) -> Self {
        match self {
            CliError::Error(e) => CliError::Error(Box::new(e.with_hint(hint))),
            r => r,
        }
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        CliError::Error(Box::new(e))
    }
}

/// What a command returns: the exit code, or the error that ends it with exit code 2.
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
    /// The smallest sets of model changes that cure a finding, each verified by evaluation
    Remedies(remedies::Args),
    /// The findings that appear, vanish or change with another knowledge base, date or model
    Diff(diff::Args),
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
    /// Check one planned activity before it goes ahead: allowed, or blocked until the DPO approves
    Gate(gate::GateArgs),
    /// The DPO approves a blocking finding for exactly the facts it rests on
    Approve(gate::DecideArgs),
    /// The DPO rejects a blocking finding: the gate stays closed for these facts
    Reject(gate::DecideArgs),
    /// What waits for the DPO, oldest first, with reasons and how long each has waited
    Pending(gate::PendingArgs),
    /// The decision journal: verify its hash chain, export its head, show and prune entries
    Journal(journal::Args),
    /// The weekly report over a period: activities, findings by law and norm, warning-letter
    /// and fine risks, guideline breaches, DPO decisions, trend, the leaks (HTML, Markdown, JSON)
    Report(report::Args),
    /// Ask the model questions interactively: findings, why, what-if, norms (reads a script
    /// from stdin when it is not a terminal)
    Repl(repl::Args),
    /// Serve the decision API for a CRM and the DPO's web view over HTTP
    Serve(serve::Args),
}

/// Gives the memory freed so far back to the system (glibc keeps the pages of small freed
/// blocks, such as a large company model's strings, in the process): called once the company
/// model is gone, before the evaluation, so that the peak does not count both.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: glibc's `malloc_trim` only returns free memory of the allocator's arenas
        // to the system; it takes no pointer and may be called at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Caps glibc's malloc arenas for a long-running server. glibc gives each new thread its own
/// arena (up to eight per core) and keeps the freed pages of each: under tokio, whose worker
/// and blocking threads take turns with requests, a ten-minute soak grew by about 1 MiB per
/// 30 s with the default, and levelled off with two arenas (docs/performance.md, "Soak").
/// `MALLOC_ARENA_MAX` in the environment, when set, is left to win. Called before the
/// runtime starts its threads.
pub(crate) fn limit_malloc_arenas(arenas: i32) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
            return;
        }
        extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        /// glibc's `M_ARENA_MAX` (malloc.h).
        const M_ARENA_MAX: std::ffi::c_int = -8;
        // SAFETY: `mallopt` changes a tuning parameter of the allocator; it takes no pointer
        // and is called before the server starts its threads.
        unsafe {
            mallopt(M_ARENA_MAX, arenas);
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = arenas;
}

/// Leaves `value` to the operating system, which takes a process's memory back at once when it
/// exits, instead of freeing it allocation by allocation. For the model, facts and evaluation
/// a command holds until it returns, right before the process ends: at a million activities
/// they are tens of millions of small allocations, and freeing them took 12 s of a 49 s
/// `sphere check` (`free` merging the blocks). Commands call it on their way out only.
pub(crate) fn leave_to_exit<T>(value: T) {
    if DROP_ON_RETURN.load(Ordering::Relaxed) {
        drop(value);
    } else {
        std::mem::forget(value);
    }
}

/// Set when commands run many times in one process (the fuzz target of the argument path):
/// [`leave_to_exit`] then drops what it is given.
static DROP_ON_RETURN: AtomicBool = AtomicBool::new(false);

/// Makes [`leave_to_exit`] drop its values: for a process that runs many commands (the fuzz
/// target includes this module; the binary never calls it).
#[allow(dead_code)]
pub fn drop_on_return() {
    DROP_ON_RETURN.store(true, Ordering::Relaxed);
}

/// Colour on stderr only for a terminal, and never when `NO_COLOR` is set (no-color.org).
pub fn color_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Today's date from the system clock (UTC): the default evaluation date of a model without
/// `as_of`. Read here, at the edge, and passed to the library.
pub fn today() -> Date {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    Date(now as i32)
}

pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date of the form YYYY-MM-DD"))
}

/// Bounds on an evaluation, for the commands that run rules from outside.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LimitArgs {
    /// Stop the evaluation (exit 2, naming the rule that grew) once the relations hold more
    /// than N tuples together; 0 for no bound. Rules from outside (`--rules`, `--kb`,
    /// `--kb-old`, `kb test`, `eval`) run under 200000000 tuples (100000000 in one relation)
    /// and about 8 GiB by default
    #[arg(long, value_name = "N")]
    pub max_tuples: Option<u64>,
    /// Stop the evaluation (exit 2, naming the rule it was in) after SECONDS; 0 for no limit.
    /// Default with rules from outside: 600 for `check`, `explain`, `diff`, `remedies`, `repl`
    /// (each input) and `kb test` (each test); 60 for `eval --json`; else none
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<f64>,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1e9).contains(&x) => Ok(x),
        _ => Err(format!("`{s}` is not a number of seconds, e.g. 30 or 0.5")),
    }
}

/// The bounds of an evaluation before the clock is read: the engine's limits and the timeout
/// in seconds (`None`: none).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub limits: sphere::Limits,
    pub timeout: Option<f64>,
}

/// The bounds of an evaluation of the knowledge base (`--kb DIR` or the shipped one) and the
/// rule files of `--rules`: with any rule from outside, those of untrusted rules and
/// [`check::RULES_TIMEOUT_SECONDS`], unless the flags say otherwise. `check`, `explain`,
/// `diff`, `remedies` and `repl` work their bounds out here.
pub fn rules_bounds(limits: &LimitArgs, rules: &[PathBuf], kb: Option<&Path>) -> Bounds {
    let untrusted = !rules.is_empty() || kb.is_some();
    limits.bounds(untrusted, untrusted.then_some(check::RULES_TIMEOUT_SECONDS))
}

/// The bounds of each test of `kb test`: its rules are read from a folder, so those of
/// untrusted rules and [`check::RULES_TIMEOUT_SECONDS`].
pub fn kb_test_bounds(limits: &LimitArgs) -> Bounds {
    limits.bounds(true, Some(check::RULES_TIMEOUT_SECONDS))
}

/// The bounds of `eval --json`: rules from outside, [`eval::JSON_TIMEOUT_SECONDS`].
pub fn eval_json_bounds(limits: &LimitArgs) -> Bounds {
    limits.bounds(true, Some(eval::JSON_TIMEOUT_SECONDS))
}

impl LimitArgs {
    /// The bounds the flags give an evaluation, before the clock is read ([`Bounds::start`]):
    /// `untrusted` for rules from outside, and the timeout when none is given.
    pub fn bounds(&self, untrusted: bool, default_timeout: Option<f64>) -> Bounds {
        let mut limits = if untrusted {
            sphere::Limits::UNTRUSTED
        } else {
            sphere::Limits::NONE
        };
        match self.max_tuples {
            Some(0) => {
                limits.max_tuples = None;
                limits.max_relation_tuples = None;
            }
            Some(n) => {
                limits.max_tuples = Some(n);
                limits.max_relation_tuples =
                    Some(limits.max_relation_tuples.map_or(n, |m| m.min(n)));
            }
            None => {}
        }
        let timeout = self.timeout.or(default_timeout).filter(|t| *t > 0.0);
        Bounds { limits, timeout }
    }
}

impl Bounds {
    /// The limits and the deadline callback; the clock is read here, at the edge: the timeout
    /// counts from now.
    pub fn start(self) -> (sphere::Limits, Option<sphere::InterruptFn>) {
        let deadline = self
            .timeout
            .map(|t| std::time::Instant::now() + std::time::Duration::from_secs_f64(t));
        // Always set: SIGINT and SIGTERM stop an evaluation at its next check.
        let interrupt = std::sync::Arc::new(move || {
            stop_requested() || deadline.is_some_and(|d| std::time::Instant::now() >= d)
        }) as sphere::InterruptFn;
        (self.limits, Some(interrupt))
    }

    /// [`Self::start`] as the engine's guard.
    pub fn guard(self) -> sphere_engine::eval::limits::Guard {
        let (limits, interrupt) = self.start();
        let mut guard = sphere_engine::eval::limits::Guard::new(limits);
        if let Some(stop) = interrupt {
            guard = guard.with_interrupt(move || stop());
        }
        guard
    }

    /// [`Self::start`] for a command that evaluates again and again (the REPL): the timeout
    /// counts from the last call of the returned [`Restart`] (the first at once), so that it
    /// bounds each input's work, not the whole session.
    pub fn start_restartable(self) -> (sphere::Limits, sphere::InterruptFn, Restart) {
        let Bounds { limits, timeout } = self;
        let timeout = timeout.map(std::time::Duration::from_secs_f64);
        let restart = Restart {
            timeout,
            deadline: std::sync::Arc::new(std::sync::Mutex::new(None)),
        };
        restart.restart();
        let deadline = std::sync::Arc::clone(&restart.deadline);
        let interrupt = std::sync::Arc::new(move || {
            stop_requested()
                || deadline
                    .lock()
                    .ok()
                    .and_then(|d| *d)
                    .is_some_and(|d| std::time::Instant::now() >= d)
        }) as sphere::InterruptFn;
        (limits, interrupt, restart)
    }
}

/// Starts the timeout of [`Bounds::start_restartable`] again.
pub struct Restart {
    timeout: Option<std::time::Duration>,
    deadline: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl Restart {
    /// From now on the evaluations have the whole timeout again.
    pub fn restart(&self) {
        if let Ok(mut d) = self.deadline.lock() {
            *d = self.timeout.map(|t| std::time::Instant::now() + t);
        }
    }
}

/// Writes `text` to stdout. A closed pipe (`sphere ... | head`) is the reader's choice, not an
/// error.
pub fn write_stdout(text: &str) -> Result<(), CliError> {
    write_stdout_after(text, None)
}

/// [`write_stdout`] for the answer to something already done (a decision recorded in the
/// journal): should stdout refuse the write, the error goes on with `done` (what happened all
/// the same), so that a full disk does not make it look undone.
pub fn write_stdout_after(text: &str, done: Option<&Texts>) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(match done {
            None => stdout_error(&e),
            Some(done) => CliError::Error(Box::new(Error::texts(
                ErrorKind::Usage,
                Texts::new(
                    format!("cannot write to stdout: {e}; {}", done.en),
                    format!(
                        "auf die Standardausgabe lässt sich nicht schreiben: {e}; {}",
                        done.de
                    ),
                ),
            ))),
        }),
    }
}

/// Stdout refused a write (a full disk, a closed file): said in English and German.
pub fn stdout_error(e: &std::io::Error) -> CliError {
    CliError::Error(Box::new(Error::texts(
        ErrorKind::Usage,
        Texts::new(
            format!("cannot write to stdout: {e}"),
            format!("auf die Standardausgabe lässt sich nicht schreiben: {e}"),
        ),
    )))
}

/// Writes an error to stderr as [`main`] would, for commands that go on or add a line.
pub fn print_error(e: &Error) {
    eprint_safe(|color| e.render(color));
}

/// Writes diagnostics to stderr, rendered by `render` with or without colour, such that no
/// control character of the input (an escape sequence in an id, a carriage return in a line
/// quoted from a file) reaches the terminal: when the plain rendering holds one, it is written
/// escaped (`\u{1b}`) and without colour.
pub fn eprint_safe(render: impl Fn(bool) -> String) {
    let plain = render(false);
    let text = match sphere::render::text::terminal_safe(&plain) {
        std::borrow::Cow::Borrowed(_) if color_stderr() => render(true),
        safe => safe.into_owned(),
    };
    let _ = std::io::stderr().write_all(text.as_bytes());
}

pub fn main() -> ExitCode {
    if let Some(v) = std::env::var_os("SPHERE_MAX_INPUT_BYTES") {
        match v.to_str().and_then(|s| s.trim().parse::<u64>().ok()) {
            Some(n) => sphere_model::input::set_max_input_bytes(n),
            None => {
                print_error(
                    &Error::new(
                        ErrorKind::Usage,
                        format!(
                            "SPHERE_MAX_INPUT_BYTES is `{}`, not a number of bytes",
                            v.to_string_lossy()
                        ),
                    )
                    .with_hint("e.g. SPHERE_MAX_INPUT_BYTES=4294967296 for 4 GiB"),
                );
                return ExitCode::from(exit::BAD_INPUT);
            }
        }
    }
    // SIGINT and SIGTERM: the command stops (an output being written is left as it was, its
    // temporary files removed) and ends with exit code 130.
    let _ = ctrlc::set_handler(on_signal);
    ExitCode::from(run(std::env::args_os()))
}

/// `sphere journal`: `replay` re-runs a receipt (`replay.rs`); the other subcommands read or
/// prune the journal (`journal.rs`).
fn journal_command(args: journal::Args) -> CmdResult {
    use journal::Sub;
    let path = load::journal_path(args.journal);
    match args.command {
        Sub::Verify {
            expect_head,
            format,
        } => journal::verify(path, expect_head.as_deref(), format),
        Sub::Head { format } => journal::head(path, format),
        Sub::Show {
            since,
            finding,
            format,
        } => journal::show(path, since.as_deref(), finding, format),
        Sub::Prune { before, by } => journal::prune(path, &before, &by),
        Sub::Replay {
            entry,
            models,
            kb,
            format,
        } => replay::run(&path, &entry, &models, kb.as_deref(), format),
    }
}

/// The command line's own error (an unknown option, a value that is none, a missing
/// argument) in German when the command line asks for `--lang de`; `None` for English or a
/// kind of error not said in German here.
fn german_usage_error(args: &[std::ffi::OsString], e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind as Kind};
    let de = args.windows(2).any(|w| w[0] == "--lang" && w[1] == "de")
        || args.iter().any(|a| a == "--lang=de");
    if !de {
        return None;
    }
    let context = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        _ => None,
    };
    let message = match e.kind() {
        Kind::InvalidValue | Kind::ValueValidation => {
            let arg = context(ContextKind::InvalidArg)?;
            let value = context(ContextKind::InvalidValue)?;
            let mut m = format!("ungültiger Wert '{value}' für '{arg}'");
            if e.kind() == Kind::InvalidValue {
                if let Some(valid) = context(ContextKind::ValidValue) {
                    m.push_str(&format!(" (möglich: {valid})"));
                }
            } else {
                // The reason our value parsers give ([`parse_date`], [`parse_seconds`]).
                let reason = std::error::Error::source(e).map(|r| r.to_string())?;
                if reason.ends_with("is not a date of the form YYYY-MM-DD") {
                    m.push_str(&format!(": `{value}` ist kein Datum der Form YYYY-MM-DD"));
                } else if reason.ends_with("is not a number of seconds, e.g. 30 or 0.5") {
                    m.push_str(&format!(
                        ": `{value}` ist keine Zahl von Sekunden, z. B. 30 oder 0.5"
                    ));
                } else {
                    return None;
                }
            }
            m
        }
        Kind::UnknownArgument => {
            let arg = context(ContextKind::InvalidArg)?;
            match context(ContextKind::SuggestedArg) {
                Some(s) => format!("unbekanntes Argument '{arg}' (meinten Sie '{s}'?)"),
                None => format!("unbekanntes Argument '{arg}'"),
            }
        }
        Kind::MissingRequiredArgument => {
            let missing = context(ContextKind::InvalidArg)?;
            format!("diese Argumente fehlen: {missing}")
        }
        Kind::ArgumentConflict => {
            let arg = context(ContextKind::InvalidArg)?;
            match context(ContextKind::PriorArg) {
                Some(p) => format!("'{arg}' lässt sich nicht mit '{p}' verbinden"),
                None => format!("'{arg}' lässt sich hier nicht verwenden"),
            }
        }
        Kind::TooFewValues | Kind::WrongNumberOfValues => {
            let arg = context(ContextKind::InvalidArg)?;
            format!("zu wenige Werte für '{arg}'")
        }
        _ => return None,
    };
    Some(format!("Fehler: {message}\n\nMehr dazu mit '--help'.\n"))
}

/// Runs the command line `args` (the program's name first) and returns its exit code: the
/// whole command line but the process's setup (environment, signals). The fuzz target of the
/// argument path calls it in-process.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr() {
                match german_usage_error(&args, &e) {
                    Some(text) => eprint!("{text}"),
                    None => {
                        let _ = e.print();
                    }
                }
                return exit::BAD_INPUT;
            }
            // `--help` and `--version` are output like any other: a failed write is exit 2.
            if std::io::stdout().is_terminal() {
                let _ = e.print();
                return exit::OK;
            }
            return match write_stdout(&e.render().to_string()) {
                Ok(()) => exit::OK,
                Err(CliError::Error(e)) => {
                    print_error(&e);
                    exit::BAD_INPUT
                }
                Err(CliError::Reported) => exit::BAD_INPUT,
            };
        }
    };
    let result: CmdResult = match cli.command {
        // An error is said in the language asked for, where it has the words.
        Command::Check(args) => {
            let lang = args.lang.into();
            check::run(args).map_err(|e| e.in_lang(lang))
        }
        Command::Explain(args) => {
            let lang = args.lang.into();
            explain::run(args).map_err(|e| e.in_lang(lang))
        }
        Command::Remedies(args) => {
            let lang = args.lang.into();
            remedies::run(args).map_err(|e| e.in_lang(lang))
        }
        Command::Diff(args) => {
            let lang = args.lang.into();
            diff::run(args).map_err(|e| e.in_lang(lang))
        }
        Command::Eval(args) => {
            let lang = args.lang.into();
            eval::run(args).map_err(|e| e.in_lang(lang))
        }
        Command::Graph(args) => {
            let lang = args.lang.into();
            graph::run(args).map_err(|e| e.in_lang(lang))
        }
        Command::Report(args) => {
            let lang = args.lang.into();
            report::run(args).map_err(|e| e.in_lang(lang))
        }
        Command::Gen(args) => gen::run(args),
        Command::Kb(args) => kb::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Facts(args) => facts::run(args),
        Command::Journal(args) => journal_command(args),
        Command::Repl(args) => repl::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Gate(args) => {
            let lang = args.lang.into();
            gate::run_gate(args).map_err(|e| e.in_lang(lang))
        }
        Command::Approve(args) => {
            let lang = args.lang.into();
            gate::run_decide(args, sphere::gate::Verb::Approve).map_err(|e| e.in_lang(lang))
        }
        Command::Reject(args) => {
            let lang = args.lang.into();
            gate::run_decide(args, sphere::gate::Verb::Reject).map_err(|e| e.in_lang(lang))
        }
        Command::Pending(args) => {
            let lang = args.lang.into();
            gate::run_pending(args).map_err(|e| e.in_lang(lang))
        }
    };
    if stop_requested() {
        // Whatever the command made of it (an interrupted evaluation naming its rule, a write
        // refused): said, and the signal given as the reason it ended.
        if let Err(CliError::Error(e)) = &result {
            print_error(e);
        }
        sphere_model::output::remove_temporaries();
        let _ = std::io::stderr().write_all(INTERRUPTED_MESSAGE.as_bytes());
        return exit::INTERRUPTED;
    }
    match result {
        Ok(code) => code,
        Err(CliError::Reported) => exit::BAD_INPUT,
        Err(CliError::Error(e)) => {
            print_error(&e);
            exit::BAD_INPUT
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(args: &[&str]) -> Command {
        let mut argv = vec!["sphere"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv) {
            Ok(cli) => cli.command,
            Err(e) => panic!("{args:?}: {e}"),
        }
    }

    const UNTRUSTED: Bounds = Bounds {
        limits: sphere::Limits::UNTRUSTED,
        timeout: Some(check::RULES_TIMEOUT_SECONDS),
    };

    /// Without `--max-tuples` and `--timeout`, rules from outside run under the default
    /// tuple and memory bounds and a 600 s timeout (`eval --json`: 60 s); the shipped
    /// knowledge base alone under none.
    #[test]
    fn rules_from_outside_get_the_default_bounds_without_flags() {
        let bounds = |args: &[&str]| match command(args) {
            Command::Check(a) => rules_bounds(&a.limits, &a.rules, a.kb.as_deref()),
            Command::Explain(a) => rules_bounds(&a.limits, &a.rules, a.kb.as_deref()),
            Command::Diff(a) => {
                rules_bounds(&a.limits, &[], a.kb.as_deref().or(a.kb_old.as_deref()))
            }
            Command::Remedies(a) => rules_bounds(&a.limits, &[], a.kb.as_deref()),
            Command::Repl(a) => rules_bounds(&a.limits, &[], a.kb.as_deref()),
            Command::Kb(kb::Args {
                command: kb::KbCommand::Test(a),
            }) => kb_test_bounds(&a.limits),
            Command::Eval(a) if a.json => eval_json_bounds(&a.limits),
            other => panic!("{other:?}"),
        };
        assert_eq!(sphere::Limits::UNTRUSTED.max_tuples, Some(200_000_000));
        assert_eq!(
            sphere::Limits::UNTRUSTED.max_relation_tuples,
            Some(100_000_000)
        );
        assert!(sphere::Limits::UNTRUSTED
            .max_memory_bytes
            .is_some_and(|m| m >= 1 << 32));
        assert_eq!(check::RULES_TIMEOUT_SECONDS, 600.0);
        for args in [
            &["check", "m.json", "--rules", "r.dl"][..],
            &["check", "m.json", "--kb", "k"],
            &["explain", "m.json", "F-1", "--rules", "r.dl"],
            &["explain", "m.json", "F-1", "--kb", "k"],
            &["diff", "m.json", "--kb-old", "k"],
            &["diff", "m.json", "--kb", "k", "--as-of-old", "2024-01-01"],
            &["remedies", "m.json", "F-1", "--kb", "k"],
            &["repl", "m.json", "--kb", "k"],
            &["kb", "test"],
        ] {
            assert_eq!(bounds(args), UNTRUSTED, "{args:?}");
        }
        assert_eq!(
            bounds(&["eval", "--json"]),
            Bounds {
                limits: sphere::Limits::UNTRUSTED,
                timeout: Some(60.0),
            }
        );
        // The shipped knowledge base alone: no bound, no timeout (a signal still stops it).
        let none = Bounds {
            limits: sphere::Limits::NONE,
            timeout: None,
        };
        for args in [
            &["check", "m.json"][..],
            &["explain", "m.json", "F-1"],
            &["diff", "m.json", "--as-of-old", "2024-01-01"],
            &["remedies", "m.json", "F-1"],
            &["repl", "m.json"],
        ] {
            assert_eq!(bounds(args), none, "{args:?}");
        }
        // The flags: 0 lifts the tuple bounds (not the memory bound) and the timeout; a tuple
        // bound also bounds one relation.
        let b = bounds(&[
            "check",
            "m.json",
            "--kb",
            "k",
            "--max-tuples",
            "0",
            "--timeout",
            "0",
        ]);
        assert_eq!(
            (b.limits.max_tuples, b.limits.max_relation_tuples),
            (None, None)
        );
        assert_eq!(
            b.limits.max_memory_bytes,
            sphere::Limits::UNTRUSTED.max_memory_bytes
        );
        assert_eq!(b.timeout, None);
        let b = bounds(&[
            "check",
            "m.json",
            "--rules",
            "r.dl",
            "--max-tuples",
            "5",
            "--timeout",
            "2.5",
        ]);
        assert_eq!(b.limits.max_tuples, Some(5));
        assert_eq!(b.limits.max_relation_tuples, Some(5));
        assert_eq!(b.timeout, Some(2.5));
    }
}
