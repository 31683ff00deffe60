//! `sphere diff`: the findings that appear, vanish or change when the knowledge base, the
//! date or the model changes, each with its reason.

use std::path::PathBuf;

use sphere::render;
use sphere::{Date, EvalOptions, Model};

use super::check::Lang;
use super::load::load_kb;
use super::{exit, leave_to_exit, parse_date, write_stdout, CmdResult};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere diff facts/demo_week.json --kb-old ../sphere-v1/knowledge   # what the law update changes
  sphere diff facts/s04_phone_call.json --as-of-old 2022-01-01
  sphere diff facts/s12_what_if_consent_clean.json --model-old facts/s12_what_if_consent.json")]
pub struct Args {
    /// Model files (the new side)
    #[arg(required = true, value_name = "MODEL")]
    pub models: Vec<PathBuf>,
    /// The knowledge base of the new side (default: the shipped one)
    #[arg(long, value_name = "DIR")]
    pub kb: Option<PathBuf>,
    /// The knowledge base of the old side (default: the new side's)
    #[arg(long, value_name = "DIR")]
    pub kb_old: Option<PathBuf>,
    /// The evaluation date of the new side
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// The evaluation date of the old side (default: the new side's)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of_old: Option<Date>,
    /// The model files of the old side (default: the new side's)
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub model_old: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    #[command(flatten)]
    pub limits: super::LimitArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(args: Args) -> CmdResult {
    if args.kb_old.is_none() && args.as_of_old.is_none() && args.model_old.is_empty() {
        return Err(sphere::Error::texts(
            sphere::ErrorKind::Usage,
            sphere::Texts::new(
                "nothing to compare: give --kb-old DIR, --as-of-old DATE or --model-old FILE...",
                "nichts zu vergleichen: --kb-old DIR, --as-of-old DATE oder --model-old FILE... angeben",
            ),
        )
        .into());
    }
    let today = super::today();
    let load = |files: &[PathBuf], as_of: Option<Date>| -> Result<Model, sphere::Error> {
        let m = Model::from_files(files, today)?;
        Ok(match as_of {
            Some(d) => m.with_as_of(d),
            None => m,
        })
    };
    let new_model = load(&args.models, args.as_of)?;
    let old_files = if args.model_old.is_empty() {
        &args.models
    } else {
        &args.model_old
    };
    let old_model = load(old_files, args.as_of_old.or(args.as_of))?;
    let new_kb = load_kb(args.kb.as_deref(), &[])?;
    let old_kb = match &args.kb_old {
        Some(dir) => load_kb(Some(dir), &[])?,
        None => load_kb(args.kb.as_deref(), &[])?,
    };
    // Rules from outside run under the bounds `check` puts on them: they may never end.
    let from_outside = args.kb.as_deref().or(args.kb_old.as_deref());
    let (limits, interrupt) = super::rules_bounds(&args.limits, &[], from_outside).start();
    let options = EvalOptions {
        limits,
        interrupt,
        ..EvalOptions::default()
    };
    let old = old_kb.evaluate(&old_model, &options)?;
    let new = new_kb.evaluate(&new_model, &options)?;
    let entries = sphere::diff::diff(&old, &new);
    let lang = args.lang.into();
    let out = match args.format {
        Format::Text => render::text::diff(&entries, old.as_of(), new.as_of(), lang),
        Format::Json => render::json::pretty(&render::json::diff(&entries, lang)),
    };
    write_stdout(&out)?;
    leave_to_exit(old);
    leave_to_exit(new);
    Ok(exit::OK)
}
