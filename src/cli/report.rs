//! `sphere report`: the weekly report over a period, as HTML, Markdown or JSON.

use std::path::PathBuf;

use sphere::graph::{sketch, Picture};
use sphere::journal::{Config, Journal};
use sphere::report::{html, markdown, Options, Period, Report};
use sphere::{Date, EvalOptions, KnowledgeBase};

use super::check::Lang;
use super::load::{cli_error, load_models_in};
use super::{exit, leave_to_exit, parse_date, write_stdout, CmdResult};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere report facts/demo_week.json --from 2025-06-09 --to 2025-06-15 > week.html
  sphere report facts/demo_week.json --from 2025-06-09 --to 2025-06-15 --format md --lang de
  sphere report model.json --from 2025-06-09 --to 2025-06-15 --journal sphere-journal.db --format json

The period's activities (by their date) and findings (by the date the law was applied at):
how many activities, done and planned, how many touched personal data; findings by law,
norm and severity; warning-letter risks with who may claim; GDPR fine tiers (Art. 83(4)
and (5)); company guideline breaches; the DPO's decisions from the journal (none without
--journal); the trend against the previous period of the same length; the picture of the
leaks (HTML). Every number is followed by the ids behind it. The HTML is one file that needs
no network access.")]
pub struct Args {
    /// Model files (merged into one model)
    #[arg(required = true, value_name = "MODEL")]
    pub models: Vec<PathBuf>,
    /// First day of the period (inclusive)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub from: Date,
    /// Last day of the period (inclusive)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub to: Date,
    #[arg(long, value_enum, default_value_t = Format::Html)]
    pub format: Format,
    /// The decision journal to read the DPO's decisions from (without it the report says
    /// there is no journal)
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Language of the report
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    /// Evaluation date (overrides the model's `as_of`)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Html,
    Md,
    Json,
}

pub fn run(args: Args) -> CmdResult {
    let period = Period::new(args.from, args.to)?;
    // Open the journal before the evaluation, so a wrong path fails at once.
    let journal = match &args.journal {
        Some(p) => Some(Journal::open(p, &Config::default()).map_err(cli_error)?),
        None => None,
    };
    let mut model = load_models_in(&args.models, args.lang.into())?;
    if let Some(d) = args.as_of {
        model = model.with_as_of(d);
    }
    let kb = KnowledgeBase::shipped()?;
    // What the picture reads of the company model is taken now: the company model (as large
    // as its facts) goes once its facts are in the database, as in `sphere check`, and its
    // freed pages are given back before the rules run.
    let sketch = model.company().map(|c| sketch(&kb, c));
    let options = EvalOptions {
        progress: Some(super::check::release_after_loading(None)),
        ..EvalOptions::default()
    };
    // Only the HTML shows explanations, which name where each fact of the model came from:
    // the other forms keep no origins.
    let explain = args.format == Format::Html;
    let outcome = if explain {
        kb.evaluate_once_with_origins(model, &options)?
    } else {
        kb.evaluate_once(model, &options)?
    };
    // The period's findings on the picture: counted in every form, drawn in HTML.
    let picture =
        sketch.map(|s| Picture::with_findings(&s, &outcome, &|f| period.contains(f.date)));
    let report = Report::build(
        &outcome,
        Options {
            period,
            lang: args.lang.into(),
            explain,
        },
        journal.as_ref(),
        picture,
    )?;
    let text = match args.format {
        Format::Html => html::page(&report),
        Format::Md => markdown::markdown(&report),
        Format::Json => report.to_json(),
    };
    write_stdout(&text)?;
    leave_to_exit(outcome);
    Ok(exit::OK)
}
