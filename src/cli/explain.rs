//! `sphere explain`: the full derivation tree of one finding, down to model facts and norms;
//! for a finding an exception suppressed, also the exception that applied.

use std::path::PathBuf;

use sphere::render;
use sphere::{Date, EvalOptions};

use super::check::{assumptions, load_kb, load_model, Lang};
use super::{exit, leave_to_exit, parse_date, progress, write_stdout, CmdResult};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere check facts/s04_phone_call.json            # lists findings with their ids
  sphere explain facts/s04_phone_call.json F-dc0dcb7057fb09a2
  sphere explain facts/s04_phone_call.json F-dc0dcb7057fb09a2 --format dot | dot -Tsvg > tree.svg")]
pub struct Args {
    /// Model files, then the finding id (as `sphere check` prints it)
    #[arg(required = true, num_args = 2.., value_name = "MODEL... FINDING-ID")]
    pub args: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    #[arg(long, value_name = "FILE.dl")]
    pub rules: Vec<PathBuf>,
    #[arg(long, value_name = "FACT")]
    pub assume: Vec<String>,
    #[arg(long, value_name = "DIR")]
    pub kb: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Dot,
}

pub fn run(args: Args) -> CmdResult {
    let Some((id, models)) = args.args.split_last() else {
        return Err(super::CliError::new("no finding id given"));
    };
    let models: Vec<PathBuf> = models.iter().map(PathBuf::from).collect();
    let line = progress::Line::new();
    let model = load_model(&models, None, args.as_of, &line)?;
    let kb = load_kb(args.kb.as_deref(), &args.rules)?;
    let options = EvalOptions {
        assume: assumptions(&kb, &args.assume)?,
        progress: line.callback(),
        ..EvalOptions::default()
    };
    let outcome = kb.evaluate(&model, &options)?;
    let explanation = outcome.explain(id)?;
    let lang = args.lang.into();
    let out = match args.format {
        Format::Text => {
            render::text::terminal_safe(&render::text::explanation(&explanation, lang)).into_owned()
        }
        Format::Dot => explanation
            .derivation
            .as_ref()
            .map(|d| render::dot::derivation(d, lang))
            .unwrap_or_default(),
        Format::Json => render::json::pretty(&render::json::explanation(&explanation, lang)),
    };
    write_stdout(&out)?;
    leave_to_exit(outcome);
    leave_to_exit(model);
    leave_to_exit(kb);
    Ok(exit::OK)
}
