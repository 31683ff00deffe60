//! `sphere remedies`: the smallest verified sets of model changes that cure one finding;
//! `--apply N -o FILE` writes the model with remedy N applied.

use std::path::PathBuf;
use std::sync::Arc;

use sphere::render;
use sphere::{Date, EvalOptions, Model};

use super::check::Lang;
use super::load::load_kb;
use super::{exit, parse_date, write_stdout, CliError, CmdResult};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere check facts/s04_phone_call.json                 # lists findings with their ids
  sphere remedies facts/s04_phone_call.json F-dc0dcb7057fb09a2
  sphere remedies facts/s04_phone_call.json F-dc0dcb7057fb09a2 --apply 1 -o fixed.json")]
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
    #[arg(long, value_name = "DIR")]
    pub kb: Option<PathBuf>,
    /// Write the model with remedy N (as numbered in the output) applied to `-o FILE`
    #[arg(long, value_name = "N", requires = "output")]
    pub apply: Option<usize>,
    /// Where `--apply` writes the changed model (written whole or not at all)
    #[arg(short = 'o', long = "output", value_name = "FILE", requires = "apply")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub limits: super::LimitArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(args: Args) -> CmdResult {
    let Some((id, models)) = args.args.split_last() else {
        return Err(CliError::new("no finding id given"));
    };
    let models: Vec<PathBuf> = models.iter().map(PathBuf::from).collect();
    let mut model = Model::from_files(&models, super::today())?;
    if let Some(d) = args.as_of {
        model = model.with_as_of(d);
    }
    let kb = Arc::new(load_kb(args.kb.as_deref(), &[])?);
    // Rules from outside run under the bounds `check` puts on them: they may never end. The
    // timeout bounds the whole search (each candidate is an evaluation).
    let (limits, interrupt) = super::rules_bounds(&args.limits, &[], args.kb.as_deref()).start();
    let options = EvalOptions {
        limits,
        interrupt,
        ..EvalOptions::default()
    };
    let found = sphere::remedies::remedies(Arc::clone(&kb), &model, &options, id)?;
    let lang = args.lang.into();
    if let (Some(n), Some(out)) = (args.apply, &args.output) {
        let Some(remedy) = n.checked_sub(1).and_then(|i| found.remedies.get(i)) else {
            let found = found.remedies.len();
            return Err(CliError::from(sphere::Error::texts(
                sphere::ErrorKind::Usage,
                sphere::Texts::new(
                    format!("no remedy {n}: {found} were found for {id}"),
                    format!("keine Abhilfe {n}: für {id} wurden {found} gefunden"),
                ),
            )));
        };
        let text = sphere::remedies::changed_model(kb, &model, &options, remedy)?;
        write_whole(out, &text)?;
        match lang {
            sphere::Lang::En => eprintln!("wrote {} (remedy {n} applied)", out.display()),
            sphere::Lang::De => {
                eprintln!("{} geschrieben (Abhilfe {n} angewandt)", out.display())
            }
        }
        return Ok(exit::OK);
    }
    let text = match args.format {
        Format::Text => render::text::remedies(&found, lang),
        Format::Json => render::json::pretty(&render::json::remedies(&found, lang)),
    };
    write_stdout(&text)?;
    Ok(exit::OK)
}

/// Writes `text` to `path` whole or not at all, through the one writer of output files
/// ([`sphere_model::output::write_file`]): an exclusive temporary file in the target folder
/// (a link planted at a predictable name cannot redirect the write), renamed over the target,
/// removed on an error or on SIGINT/SIGTERM.
fn write_whole(path: &std::path::Path, text: &str) -> Result<(), CliError> {
    sphere_model::output::write_file(path, |w| w.write_all(text.as_bytes()))
        .map_err(|e| CliError::new(format!("cannot write the changed model to {e}")))
}
