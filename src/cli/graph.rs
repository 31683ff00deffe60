//! `sphere graph`: the data-flow graph of a model as DOT, Mermaid or SVG.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use clap::ValueEnum;
use sphere_model::graph::{FlowGraph, Format, Highlights};
use sphere_model::{load_paths, render, Date, Model};

use super::{exit, CliError, CmdResult};

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
    let graph = FlowGraph::new(&model);
    // Findings do not colour the graph yet; `Highlights` is where they will.
    let highlights = Highlights::default();
    let text = match args.format {
        GraphFormat::Dot => graph.render(Format::Dot, &highlights),
        GraphFormat::Mermaid => graph.render(Format::Mermaid, &highlights),
        GraphFormat::Svg => svg(&graph.render(Format::Dot, &highlights))?,
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::new(format!("cannot write the graph to stdout: {e}")))?;
    Ok(exit::OK)
}

/// Renders DOT to SVG with the Graphviz `dot` program.
fn svg(dot: &str) -> Result<String, CliError> {
    let spawned = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::new(
                "--format svg needs the Graphviz program `dot`, which is not installed (not found on PATH)",
            )
            .with_hint(
                "install Graphviz (`apt-get install graphviz`, `brew install graphviz`), \
                 or write DOT with `--format dot` and render it elsewhere",
            ))
        }
        Err(e) => return Err(CliError::new(format!("cannot run Graphviz `dot`: {e}"))),
    };
    // Write on a thread so a large SVG cannot dead-lock against a full stdin pipe.
    let mut stdin = child.stdin.take().expect("stdin was piped");
    let input = dot.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| CliError::new(format!("Graphviz `dot` did not finish: {e}")))?;
    let wrote = writer.join().is_ok_and(|r| r.is_ok());
    let svg = String::from_utf8(output.stdout);
    match svg {
        Ok(svg) if output.status.success() && wrote => Ok(svg),
        _ => Err(CliError::new(format!(
            "Graphviz `dot` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
        .with_hint("run with `--format dot` to see the input given to Graphviz")),
    }
}

/// Loads and validates model files; on problems prints every one on stderr and ends the
/// command with exit code 2. Models without `as_of` are evaluated at today's date (UTC).
pub fn load_models(files: &[PathBuf]) -> Result<Model, CliError> {
    match load_paths(files, today()) {
        Ok(m) => Ok(m),
        Err(errors) => {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(render(&errors).as_bytes());
            let _ = writeln!(err, "error: {} problem(s) in the model", errors.len());
            Err(CliError::new(""))
        }
    }
}

/// Today in UTC. The clock is read here, at the edge, and nowhere in the libraries.
pub fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date(sphere_engine::Date((secs / 86_400) as i32))
}
