//! The data-flow graph of a model (`sphere graph`): DOT and Mermaid from
//! `sphere_model::graph`, third countries judged by the knowledge base's list of EU/EEA
//! states, and SVG through Graphviz.

use std::io::Write as _;
use std::process::{Command, Stdio};

use sphere_model::graph::{FlowGraph, Format as GraphFormat, Highlights};

use crate::error::{Error, ErrorKind, Result};
use crate::kb::KnowledgeBase;

/// The formats of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dot,
    Mermaid,
    /// Rendered from DOT by the Graphviz program `dot`, which must be on `PATH`.
    Svg,
}

/// The graph of `model`, with third countries as the knowledge base's relation `eea` says.
pub fn flow_graph(kb: &KnowledgeBase, model: &sphere_model::Model) -> FlowGraph {
    let eea = kb.eea();
    FlowGraph::new(model, &|c: &str| eea.contains(c))
}

/// The graph as text in `format`. Findings do not colour it yet; [`Highlights`] is where they
/// will.
pub fn render(graph: &FlowGraph, format: Format) -> Result<String> {
    let highlights = Highlights::default();
    match format {
        Format::Dot => Ok(graph.render(GraphFormat::Dot, &highlights)),
        Format::Mermaid => Ok(graph.render(GraphFormat::Mermaid, &highlights)),
        Format::Svg => svg(&graph.render(GraphFormat::Dot, &highlights)),
    }
}

/// Renders DOT to SVG with the Graphviz `dot` program.
pub fn svg(dot: &str) -> Result<String> {
    let spawned = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::new(
                ErrorKind::Usage,
                "--format svg needs the Graphviz program `dot`, which is not installed (not found on PATH)",
            )
            .with_hint(
                "install Graphviz (`apt-get install graphviz`, `brew install graphviz`), \
                 or write DOT with `--format dot` and render it elsewhere",
            ))
        }
        Err(e) => {
            return Err(Error::new(
                ErrorKind::Io,
                format!("cannot run Graphviz `dot`: {e}"),
            ))
        }
    };
    let Some(mut stdin) = child.stdin.take() else {
        return Err(Error::new(ErrorKind::Io, "cannot write to Graphviz `dot`"));
    };
    // Write on a thread so a large SVG cannot dead-lock against a full stdin pipe.
    let input = dot.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| Error::new(ErrorKind::Io, format!("Graphviz `dot` did not finish: {e}")))?;
    let wrote = writer.join().is_ok_and(|r| r.is_ok());
    match String::from_utf8(output.stdout) {
        Ok(svg) if output.status.success() && wrote => Ok(svg),
        _ => Err(Error::new(
            ErrorKind::Io,
            format!(
                "Graphviz `dot` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        )
        .with_hint("run with `--format dot` to see the input given to Graphviz")),
    }
}
