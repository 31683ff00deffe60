//! `sphere validate`: load and merge model files, report every problem, or a summary (see
//! `sphere::validate`).

use std::path::PathBuf;

use sphere::validate::{read, validate_texts_in};

use super::check::Lang;
use super::load::model_problems;
use super::{exit, today, write_stdout, CmdResult};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  sphere validate facts/s01_forum_complaint.json\n  \
    sphere validate company.json vendors.json activities-2025-06.json\n  \
    sphere validate facts/*.json\n  \
    sphere validate facts/demo_week.json --lang de\n\n\
    Several files are merged into one model; the one exception: when every file is a \
    complete model (each has an organization), each is validated on its own.\n\
    Exit codes: 0 valid, 2 problems (each printed on stderr with its file, JSON path and a \
    hint)."
)]
pub struct Args {
    /// Model files (JSON, sphere-model/2 or sphere-model/1); several files are merged into one model
    #[arg(required = true, value_name = "MODEL")]
    pub models: Vec<PathBuf>,
    /// Language of the summary and of the problems
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
}

pub fn run(args: Args) -> CmdResult {
    let lang = args.lang.into();
    let fail = |e: sphere::Error| model_problems(e.in_lang(lang), lang);
    let texts = read(&args.models).map_err(fail)?;
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let lines = validate_texts_in(&refs, today(), lang).map_err(fail)?;
    let mut out = String::new();
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    write_stdout(&out)?;
    Ok(exit::OK)
}
