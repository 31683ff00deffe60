//! `sphere graph`: the data-flow graph of a model as DOT, Mermaid or SVG.

use std::path::PathBuf;

use clap::ValueEnum;
use sphere::graph::{flow_graph, render, Format};
use sphere::{KnowledgeBase, Model};

use super::{exit, report, today, write_stdout, CliError, CmdResult};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  sphere graph facts/s06_us_monitoring.json\n  \
    sphere graph facts/demo_week.json --format svg > demo_week.svg\n  \
    sphere graph base.json vendors.json --format mermaid"
)]
pub struct Args {
    /// Model files (JSON, sphere-model/1); several files are merged into one model
    #[arg(required = true, value_name = "MODEL")]
    pub models: Vec<PathBuf>,
    /// Output format: Graphviz DOT, Mermaid, or SVG rendered by Graphviz `dot`
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
}

pub fn run(args: Args) -> CmdResult {
    let model = load_models(&args.models)?;
    let kb = KnowledgeBase::shipped()?;
    let company = model
        .company()
        .ok_or_else(|| CliError::new("a facts export has no data-flow graph"))?;
    let graph = flow_graph(&kb, company);
    let text = render(
        &graph,
        match args.format {
            GraphFormat::Dot => Format::Dot,
            GraphFormat::Mermaid => Format::Mermaid,
            GraphFormat::Svg => Format::Svg,
        },
    )?;
    write_stdout(&text)?;
    Ok(exit::OK)
}

/// Loads and validates model files; on problems prints every one on stderr and ends the
/// command with exit code 2. Models without `as_of` are evaluated at today's date (UTC).
pub fn load_models(files: &[PathBuf]) -> Result<Model, CliError> {
    Model::from_files(files, today()).map_err(|e| {
        report(&e);
        eprintln!("error: {} problem(s) in the model", e.len());
        CliError::Reported
    })
}
