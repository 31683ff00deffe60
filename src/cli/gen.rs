//! `sphere gen`: write a large, valid, realistic model for benchmarks and tests.

use std::path::PathBuf;

use sphere_model::gen::{write_model, GenConfig};
use sphere_model::Date;

use super::{exit, CliError, CmdResult};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  sphere gen --subjects 1000 --activities 10000 --seed 1 -o model.json\n  \
    sphere gen --subjects 100 --activities 500 --seed 7 | sphere validate /dev/stdin\n\n\
    The same options always give the same bytes. About 3 % of the activities break a rule."
)]
pub struct Args {
    /// Number of people (data subjects)
    #[arg(long, default_value_t = 1000)]
    pub subjects: u32,
    /// Number of activities
    #[arg(long, default_value_t = 10_000)]
    pub activities: u32,
    /// Seed of the random numbers
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The model's `as_of` (YYYY-MM-DD); activities fall in the 540 days before it
    #[arg(long, value_name = "DATE", default_value = "2025-06-16")]
    pub as_of: String,
    /// Write to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args) -> CmdResult {
    let as_of = Date::parse(&args.as_of).ok_or_else(|| {
        CliError::new(format!("--as-of `{}` is not a calendar day", args.as_of))
            .with_hint("write the date as YYYY-MM-DD, e.g. --as-of 2025-06-16")
    })?;
    // Checked before anything is written: the generated dates reach years before `as_of`
    // and days after it, and each must be a calendar day of the model.
    let (min, max) = GenConfig::as_of_range();
    if as_of < min || as_of > max {
        return Err(CliError::new(format!(
            "--as-of {as_of} is outside the range a generated model can have ({min} to {max})"
        ))
        .with_hint(format!(
            "generated dates reach about 3,030 days before --as-of and 30 days after it; give a date from {min} to {max}"
        )));
    }
    if args.subjects == 0 && args.activities > 0 {
        return Err(
            CliError::new("--subjects 0 leaves the activities without people")
                .with_hint("give at least --subjects 1, or --activities 0"),
        );
    }
    let cfg = GenConfig {
        as_of,
        ..GenConfig::new(args.subjects, args.activities, args.seed)
    };
    let written = match &args.output {
        // All or nothing: a full disk or an interruption leaves the old file as it was.
        Some(path) => {
            return sphere_model::output::write_file(path, |w| write_model(&cfg, w))
                .map(|()| exit::OK)
                .map_err(|e| CliError::new(format!("cannot write the model to {e}")));
        }
        None => {
            let out = std::io::stdout().lock();
            write_model(&cfg, out).map_err(|e| ("stdout".to_string(), e))
        }
    };
    written.map_err(|(to, e)| CliError::new(format!("cannot write the model to {to}: {e}")))?;
    Ok(exit::OK)
}
