//! `sphere facts`: write the facts extracted from a model as a `sphere-facts/1` directory
//! (one tab-separated `<relation>.facts` per input relation, Soufflé's convention).

use std::path::PathBuf;

use sphere_model::write_facts_dir;

use super::{exit, CliError, CmdResult};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  sphere facts facts/s10_newsletter_selection.json -D out/s10\n  \
    sphere facts company.json activities.json -D export\n\n\
    The layout (FORMAT file, one <relation>.facts per relation of knowledge/model.dl, \
    escaping of tabs, newlines and backslashes) is described in docs/model.md. \
    `sphere check --facts DIR` reads such a directory back."
)]
pub struct Args {
    /// Model files (JSON, sphere-model/2 or sphere-model/1); several files are merged into one model
    #[arg(required = true, value_name = "MODEL")]
    pub models: Vec<PathBuf>,
    /// Output directory: created if absent; an earlier facts export is replaced
    #[arg(short = 'D', long = "output-dir", value_name = "DIR")]
    pub dir: PathBuf,
}

pub fn run(args: Args) -> CmdResult {
    let model = super::load::load_models(&args.models)?;
    let facts = model.facts();
    let files = write_facts_dir(facts, &args.dir).map_err(|e| {
        let c = CliError::new(format!("{}: {}", e.file, e.message));
        match e.hint {
            Some(h) => c.with_hint(h),
            None => c,
        }
    })?;
    eprintln!(
        "wrote {} facts in {files} files to {}",
        facts.len(),
        args.dir.display()
    );
    Ok(exit::OK)
}
