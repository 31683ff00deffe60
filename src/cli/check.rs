//! `sphere check`: evaluate the knowledge base on a model and print the findings.

use std::path::{Path, PathBuf};

use sphere::render;
use sphere::{Date, EvalOptions, Note};

use super::load::{assumptions, cli_error, load_kb, load_model, result_lines};
use super::progress;
use super::{exit, leave_to_exit, parse_date, write_stdout, CmdResult};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere check facts/s04_phone_call.json
  sphere check facts/s04_phone_call.json --format json --lang de
  sphere check facts/s04_phone_call.json --assume 'consent_channel(\"cons-karl\", \"phone\")'
  sphere check --facts export/")]
pub struct Args {
    /// Model files (merged into one model)
    pub models: Vec<PathBuf>,
    /// Evaluate a `sphere-facts/1` export (written by `sphere facts`) instead of a model
    #[arg(long, value_name = "DIR")]
    pub facts: Option<PathBuf>,
    /// Evaluation date for planned activities without a date and for obligations not tied to
    /// one activity (overrides the model's `as_of`)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Language of messages, remedies and citations
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    /// Extra rule files, evaluated with the knowledge base (by the interpreter)
    #[arg(long, value_name = "FILE.dl")]
    pub rules: Vec<PathBuf>,
    /// Evaluator: the shipped knowledge base compiled to Rust (default), or the interpreter
    /// (same findings and explanations); `--rules`, and a `--kb` that differs from the
    /// compiled one, run the interpreter. Built with the cargo feature `crepe`, also `crepe`:
    /// the shipped knowledge base as crepe programs, cross-checked with the interpreter, which
    /// gives the explanations
    #[arg(long, value_enum, default_value_t = Engine::Compiled)]
    pub engine: Engine,
    /// Assume a fact (what-if), e.g. `consent_channel("c1", "phone")`; repeatable
    #[arg(long, value_name = "FACT")]
    pub assume: Vec<String>,
    /// Include each finding's derivation tree (JSON output)
    #[arg(long)]
    pub tree: bool,
    /// Read the knowledge base from this directory instead of the shipped one
    #[arg(long, value_name = "DIR")]
    pub kb: Option<PathBuf>,
    /// Also list the findings an exception suppressed, with the exception (text and JSON)
    #[arg(long)]
    pub show_suppressed: bool,
    /// Print timings, the size of every relation (largest first) and the costliest rules on
    /// stderr, to see what a model or a rule change makes grow
    #[arg(long)]
    pub stats: bool,
    #[command(flatten)]
    pub limits: super::LimitArgs,
    /// Record an execution receipt of this check in this journal (default: $SPHERE_JOURNAL,
    /// else ./sphere-journal.db when that file exists; a check creates no journal of its
    /// own). `sphere journal replay` re-runs it later
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
}

/// The time rules from outside (`--rules`, `--kb`) get when `--timeout` is not given.
pub const RULES_TIMEOUT_SECONDS: f64 = 600.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Md,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    Interpreted,
    Compiled,
    #[cfg(feature = "crepe")]
    Crepe,
}

impl From<Engine> for sphere::Engine {
    fn from(e: Engine) -> sphere::Engine {
        match e {
            Engine::Interpreted => sphere::Engine::Interpreted,
            Engine::Compiled => sphere::Engine::Compiled,
            // The crepe programs list the findings; the interpreter explains them.
            #[cfg(feature = "crepe")]
            Engine::Crepe => sphere::Engine::Interpreted,
        }
    }
}

/// Output language of messages, remedies and citations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    #[default]
    En,
    De,
}

impl From<Lang> for sphere::Lang {
    fn from(l: Lang) -> sphere::Lang {
        match l {
            Lang::En => sphere::Lang::En,
            Lang::De => sphere::Lang::De,
        }
    }
}

/// An operator's note on stderr, in the language of the output (`note:` / `Anmerkung:`).
fn say_note(lang: Lang, en: &str, de: &str) {
    match lang {
        Lang::En => eprintln!("note: {en}"),
        Lang::De => eprintln!("Anmerkung: {de}"),
    }
}

pub fn run(args: Args) -> CmdResult {
    if !args.rules.is_empty() && args.engine != Engine::Interpreted {
        say_note(
            args.lang,
            "--rules runs the interpreter",
            "mit --rules läuft der Interpreter",
        );
    }
    #[cfg(feature = "crepe")]
    if args.engine == Engine::Crepe
        && (!args.rules.is_empty() || !args.assume.is_empty() || args.kb.is_some())
    {
        return Err(sphere::Error::texts(
            sphere::ErrorKind::Usage,
            sphere::texts::Texts::new(
                "--engine crepe runs the shipped knowledge base as it is",
                "--engine crepe führt die mitgelieferte Wissensbasis so aus, wie sie ist",
            ),
        )
        .with_hint_texts(sphere::texts::Texts::new(
            "leave out --rules, --assume and --kb, or choose another --engine",
            "--rules, --assume und --kb weglassen oder eine andere --engine wählen",
        ))
        .into());
    }
    let line = progress::Line::in_lang(args.lang.into());
    let started = args.stats.then(std::time::Instant::now);
    let model = load_model(&args.models, args.facts.as_deref(), args.as_of, &line)?;
    let mut memory = Vec::new();
    if let Some(started) = started {
        memory.push((("model", "dem Lesen des Modells"), memory_now()));
        match args.lang {
            Lang::En => eprintln!(
                "model read and validated in {:.2} s",
                started.elapsed().as_secs_f64()
            ),
            Lang::De => eprintln!(
                "Modell in {} s gelesen und geprüft",
                render::text::seconds_de(started.elapsed())
            ),
        }
    }
    let kb = load_kb(args.kb.as_deref(), &args.rules)?;
    // Rules from outside run under bounds: they may never reach a fixpoint.
    let (limits, interrupt) =
        super::rules_bounds(&args.limits, &args.rules, args.kb.as_deref()).start();
    let options = EvalOptions {
        limits,
        interrupt,
        assume: assumptions(&kb, &args.assume)?,
        engine: args.engine.into(),
        timing: args.stats,
        progress: Some(release_after_loading(line.callback())),
        ..EvalOptions::default()
    };
    // Without derivations to show (SARIF shows where each finding's facts are), nothing
    // names where an input fact came from: the model's facts go once they are in the
    // database, instead of sitting beside it while the rules run.
    let origins = match args.format {
        Format::Json => args.tree,
        Format::Text | Format::Md => false,
        Format::Sarif => true,
    };
    #[cfg(feature = "crepe")]
    let origins = origins || args.engine == Engine::Crepe;
    let (outcome, model) = if origins {
        (kb.evaluate(&model, &options)?, Some(model))
    } else {
        (kb.evaluate_once(model, &options)?, None)
    };
    for note in outcome.notes() {
        match note {
            // Said before loading: it follows from the arguments alone.
            Note::ExtraRules => {}
            note => eprint!("{}", note.text(args.lang.into())),
        }
    }
    #[cfg(feature = "crepe")]
    if args.engine == Engine::Crepe {
        sphere::crepe_engine::cross_check(
            model.as_ref().expect("kept for the crepe engine"),
            &outcome,
        )?;
    }
    if let Some(t) = outcome.timings() {
        eprint!("{}", render::text::timings(&outcome, t, args.lang.into()));
        memory.push((("evaluation", "der Auswertung"), memory_now()));
        for ((phase, phase_de), (live, peak)) in &memory {
            match args.lang {
                Lang::En => eprintln!("memory after {phase}: resident {live}, peak {peak}"),
                Lang::De => {
                    eprintln!("Speicher nach {phase_de}: belegt {live}, Höchststand {peak}")
                }
            }
        }
    }
    let lang = args.lang.into();
    let out = match args.format {
        // Written below, as it is made, once the receipt is recorded.
        Format::Json => String::new(),
        // Text for a terminal: values from the model cannot carry escape sequences through.
        Format::Text => render::text::terminal_safe(&render::text::findings(
            &outcome,
            lang,
            args.show_suppressed,
        ))
        .into_owned(),
        Format::Md => {
            render::text::terminal_safe(&render::markdown::findings(&outcome, lang)).into_owned()
        }
        Format::Sarif => render::json::pretty(&render::sarif::log(&outcome, lang)),
    };
    let code = if outcome.needs_action() {
        exit::FINDINGS
    } else {
        exit::OK
    };
    // The receipt is durable before the result is shown: no check is reported that the
    // journal lacks.
    let receipt = record_receipt(&args, &outcome, code)?;
    write_stdout(&out)?;
    if args.format == Format::Json {
        #[allow(unused_mut)]
        let mut engine = outcome.engine().as_str();
        #[cfg(feature = "crepe")]
        if args.engine == Engine::Crepe {
            engine = "crepe";
        }
        let options = render::json::Options {
            lang,
            tree: args.tree,
            suppressed: args.show_suppressed,
        };
        // Finding by finding: a large model's findings are never one document in memory
        // (with trees, the document is made whole and written without recursion).
        let stdout = std::io::BufWriter::new(std::io::stdout().lock());
        match render::json::write_document(&outcome, &options, engine, stdout) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(super::stdout_error(&e));
            }
            _ => {}
        }
    }
    if let Some(head) = receipt {
        match args.lang {
            Lang::En => eprintln!("journal head: {head} (receipt)"),
            Lang::De => eprintln!("Kopf des Journals: {head} (Beleg)"),
        }
    }
    leave_to_exit(outcome);
    leave_to_exit(model);
    leave_to_exit(kb);
    Ok(code)
}

/// The process's resident set and its peak (`VmRSS`, `VmHWM` of `/proc/self/status`; Linux
/// only, `?` elsewhere), for `--stats`.
fn memory_now() -> (String, String) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map_or_else(|| "?".to_string(), |v| v.trim().to_string())
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The journal a check records its receipt in, and whether the check may create it:
/// `--journal`, else `SPHERE_JOURNAL` (created when missing, as for the gate), else
/// `./sphere-journal.db` when it exists (a company that gates has it; it is not created, so a
/// plain check leaves nothing in the folder it runs in); `None` without any of them.
fn receipt_journal(arg: Option<&Path>) -> Option<(PathBuf, bool)> {
    let named = arg.map(Path::to_path_buf).or_else(|| {
        std::env::var_os("SPHERE_JOURNAL")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    match named {
        Some(p) => Some((p, true)),
        None => {
            let default = PathBuf::from(super::load::DEFAULT_PATH);
            default.exists().then_some((default, false))
        }
    }
}

/// Appends the check's execution receipt when a journal is given; returns the new head.
/// A what-if (`--assume`), extra rules (`--rules`) or a facts export (`--facts`) cannot be
/// replayed from model files, so they record nothing (and say so).
fn record_receipt(
    args: &Args,
    outcome: &sphere::Outcome<'_>,
    code: u8,
) -> Result<Option<sphere::journal::Head>, super::CliError> {
    use sphere::journal::{Config, Context, Journal, NewEntry, Payload, Receipt};
    let Some((path, create)) = receipt_journal(args.journal.as_deref()) else {
        return Ok(None);
    };
    if !args.assume.is_empty() || !args.rules.is_empty() || args.facts.is_some() {
        say_note(
            args.lang,
            "no receipt recorded: a check with --assume, --rules or --facts cannot be replayed from the model files",
            "kein Beleg aufgezeichnet: eine Prüfung mit --assume, --rules oder --facts lässt sich aus den Modelldateien nicht wiederholen",
        );
        return Ok(None);
    }
    let as_of =
        outcome.as_of().to_string().parse().map_err(|e| {
            super::CliError::new(format!("the as-of date {}: {e}", outcome.as_of()))
        })?;
    let lines = result_lines(outcome);
    let entry = NewEntry {
        time: jiff::Timestamp::now(),
        actor: "check".into(),
        finding: None,
        context: Context {
            engine_version: format!("sphere {}", env!("CARGO_PKG_VERSION")),
            kb_digest: Some(outcome.kb_digest().to_string()),
            model_digest: Some(outcome.model_digest().to_string()),
        },
        payload: Payload::Receipt(Receipt {
            command: "check".into(),
            activity_id: None,
            as_of,
            evaluator: outcome.engine().as_str().into(),
            outcome: code.to_string(),
            result_digest: sphere::journal::result_digest(&lines),
            findings: lines.len() as u64,
            lines: (lines.len() <= sphere::journal::RECEIPT_LINES).then_some(lines),
        }),
    };
    let config = if create {
        Config::create()
    } else {
        Config::default()
    };
    let mut journal = match Journal::open(&path, &config) {
        Ok(j) => j,
        // The default journal went away since it was seen: nothing to record in.
        Err(sphere::journal::JournalError::NotFound { .. }) if !create => return Ok(None),
        Err(e) => return Err(cli_error(e)),
    };
    let head = journal.append(&entry).map_err(cli_error)?;
    Ok(Some(head))
}

/// `shown` (the progress line), and the memory of a company model given back to the system
/// once its facts are in the database: [`sphere::KnowledgeBase::evaluate_once`] drops the
/// model then, and glibc would otherwise keep its many small blocks' pages while the rules
/// run.
pub(super) fn release_after_loading(shown: Option<sphere::ProgressFn>) -> sphere::ProgressFn {
    std::sync::Arc::new(move |p: sphere::Progress| {
        if p == sphere::Progress::Finished(sphere::Phase::Facts) {
            super::release_freed_memory();
        }
        if let Some(shown) = &shown {
            shown(p);
        }
    })
}
