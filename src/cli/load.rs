//! What several commands share: loading the knowledge base and the model they evaluate,
//! opening the journal they record in, and the result lines an execution receipt keeps.
//! Commands take these from here, not from one another's modules.

use std::path::{Path, PathBuf};

use sphere::journal::{Config, Journal, JournalError};
use sphere::{Assumption, Date, KnowledgeBase, Model};

use super::{print_error, progress, today, CliError};

/// The model files, or the facts export, evaluated at `as_of` when given: what `check`,
/// `explain` and `kb export` read. Its facts are not extracted here: an evaluation extracts
/// them straight into its database.
pub fn load_model(
    models: &[PathBuf],
    facts: Option<&Path>,
    as_of: Option<Date>,
    line: &progress::Line,
) -> Result<Model, sphere::Error> {
    read_model(models, facts, as_of, line)
}

/// The model files, or the facts export, evaluated at `as_of` when given, with the company
/// model kept (the gate and the DPO's decisions read its organization).
pub fn read_model(
    models: &[PathBuf],
    facts: Option<&Path>,
    as_of: Option<Date>,
    line: &progress::Line,
) -> Result<Model, sphere::Error> {
    line.start("reading the model");
    let model = match facts {
        Some(dir) => Model::from_facts_dir(dir, today()),
        None => Model::from_files(models, today()),
    };
    line.finish();
    let model = model?;
    Ok(match as_of {
        Some(d) => model.with_as_of(d),
        None => model,
    })
}

/// Loads and validates model files; on problems prints every one on stderr and ends the
/// command with exit code 2. Models without `as_of` are evaluated at today's date (UTC).
pub fn load_models(files: &[PathBuf]) -> Result<Model, CliError> {
    load_models_in(files, sphere::Lang::En)
}

/// [`load_models`], the problems said in `lang`.
pub fn load_models_in(files: &[PathBuf], lang: sphere::Lang) -> Result<Model, CliError> {
    Model::from_files(files, today()).map_err(|e| model_problems(e.in_lang(lang), lang))
}

/// Prints every problem of a model on stderr, then how many there are (`error: 2 problems
/// in the model`, in `lang`); the command ends with exit code 2.
pub fn model_problems(e: sphere::Error, lang: sphere::Lang) -> CliError {
    print_error(&e);
    let n = e.len();
    match lang {
        sphere::Lang::En => {
            eprintln!(
                "error: {n} problem{} in the model",
                if n == 1 { "" } else { "s" }
            )
        }
        sphere::Lang::De => {
            eprintln!(
                "Fehler: {n} Problem{} im Modell",
                if n == 1 { "" } else { "e" }
            )
        }
    }
    CliError::Reported
}

/// The shipped knowledge base or the one in `dir`, with extra rule files.
pub fn load_kb(dir: Option<&Path>, rules: &[PathBuf]) -> Result<KnowledgeBase, sphere::Error> {
    let mut b = KnowledgeBase::builder();
    if let Some(d) = dir {
        b = b.dir(d);
    }
    for r in rules {
        b = b.rules_file(r);
    }
    b.build()
}

/// The `--assume` facts, checked against the knowledge base.
pub fn assumptions(kb: &KnowledgeBase, texts: &[String]) -> Result<Vec<Assumption>, sphere::Error> {
    texts.iter().map(|t| Assumption::parse(kb, t)).collect()
}

/// The result lines of a check, which its receipt keeps: each finding's id and decision, in
/// the findings' order.
pub fn result_lines(outcome: &sphere::Outcome<'_>) -> Vec<String> {
    outcome
        .findings()
        .iter()
        .map(|f| format!("{} {}", f.id, f.decision.as_str()))
        .collect()
}

/// The journal used when neither `--journal` nor `SPHERE_JOURNAL` names one.
pub const DEFAULT_PATH: &str = "sphere-journal.db";

/// The journal's path: `--journal`, else `SPHERE_JOURNAL`, else `./sphere-journal.db`.
pub fn journal_path(arg: Option<PathBuf>) -> PathBuf {
    arg.or_else(|| {
        std::env::var_os("SPHERE_JOURNAL")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .unwrap_or_else(|| PathBuf::from(DEFAULT_PATH))
}

/// A journal error as the CLI reports it (exit 2).
pub fn cli_error(e: JournalError) -> CliError {
    let err = sphere::Error::texts(
        sphere::ErrorKind::Usage,
        sphere::Texts::new(e.to_string(), e.message_de()),
    );
    CliError::from(match (e.hint(), e.hint_de()) {
        (Some(en), Some(de)) => err.with_hint_texts(sphere::Texts::new(en, de)),
        (Some(en), None) => err.with_hint(en),
        _ => err,
    })
}

/// The journal at `path`, which must exist.
pub fn open_journal(path: &Path) -> Result<Journal, CliError> {
    Journal::open(path, &Config::default()).map_err(cli_error)
}
