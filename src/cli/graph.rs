//! `sphere graph`: the data-flow graph of a model with the findings and leaks marked, as
//! DOT, Mermaid, SVG or HTML.

use std::path::PathBuf;

use clap::ValueEnum;
use sphere::graph::{picture, render, Format, Options};
use sphere::{EvalOptions, KnowledgeBase};

use super::load::load_models_in;
use super::{exit, leave_to_exit, parse_date, write_stdout, CliError, CmdResult};
use sphere::Date;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  sphere graph facts/s06_us_monitoring.json\n  \
    sphere graph facts/demo_week.json --format svg > demo_week.svg\n  \
    sphere graph facts/demo_week.json --format html --only-risky > leaks.html\n  \
    sphere graph base.json vendors.json --format mermaid\n\n\
    Every system, source, flow and recipient a finding concerns is marked by its worst \
    decision (BREACH, BLOCK, WARN: colour, line style and word), with finding ids and norms \
    as labels or tooltips. Flows into a third country are drawn as leaks: without a transfer \
    basis on the date (as the knowledge base judges it) as unlawful leaks, with one as data \
    leaving the EU/EEA; so are flows and activities of a breach."
)]
pub struct Args {
    /// Model files (JSON, sphere-model/2 or sphere-model/1); several files are merged into one model
    #[arg(required = true, value_name = "MODEL")]
    pub models: Vec<PathBuf>,
    /// Output format: Graphviz DOT, Mermaid, SVG (laid out by sphere, no Graphviz needed) or
    /// a self-contained HTML page
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Draw only what a finding concerns, the leaks, and the nodes at their ends
    #[arg(long)]
    pub only_risky: bool,
    /// Language of the legend and labels
    #[arg(long, value_enum, default_value_t = super::check::Lang::En)]
    pub lang: super::check::Lang,
    /// Evaluation date (overrides the model's `as_of`)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
    Html,
}

pub fn run(args: Args) -> CmdResult {
    let mut model = load_models_in(&args.models, args.lang.into())?;
    if let Some(d) = args.as_of {
        model = model.with_as_of(d);
    }
    let kb = KnowledgeBase::shipped()?;
    let Some(company) = model.company() else {
        return Err(CliError::new("a facts export has no data-flow graph"));
    };
    let outcome = kb.evaluate(&model, &EvalOptions::default())?;
    let pic = picture(
        &kb,
        company,
        &outcome,
        Options {
            only_risky: args.only_risky,
        },
    );
    let text = render(
        &pic,
        match args.format {
            GraphFormat::Dot => Format::Dot,
            GraphFormat::Mermaid => Format::Mermaid,
            GraphFormat::Svg => Format::Svg,
            GraphFormat::Html => Format::Html,
        },
        args.lang.into(),
    );
    write_stdout(&text)?;
    leave_to_exit(outcome);
    Ok(exit::OK)
}
