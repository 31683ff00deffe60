//! The data-flow graph of a model (`sphere graph`) and the picture of the leaks: every
//! system, source, flow and recipient a finding concerns marked by its worst decision, and
//! the flows where personal data leave the company's protection drawn as leaks
//! ([`risk`]). Drawn as DOT, Mermaid, SVG (laid out by [`layout`], no Graphviz needed) or
//! HTML ([`draw`]). Third countries are judged by the knowledge base's list of EU/EEA
//! states and transfers by its rules, never by a second list here.
//!
//! For a front end that embeds the picture (the report, the server's web view):
//! [`html_fragment`] gives a `<section>` with the inline SVG, the legend and a table of what
//! is marked; [`html_page`] a whole self-contained page.

pub mod draw;
pub mod layout;
pub mod risk;

use sphere_model::graph::FlowGraph;

pub use draw::{html_fragment, html_page, CSS};
pub use risk::{Leak, Level, Mark, Options, PEdge, PEdgeKind, PNode, Picture, Sketch};

use crate::findings::Lang;
use crate::kb::KnowledgeBase;
use crate::outcome::Outcome;

/// The formats of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dot,
    Mermaid,
    /// SVG laid out by sphere itself (no Graphviz needed).
    Svg,
    /// A self-contained HTML page: the SVG, a legend and a table of what is marked.
    Html,
}

/// The graph of `model`, with third countries as the knowledge base's relation `eea` says.
pub fn flow_graph(kb: &KnowledgeBase, model: &sphere_model::Model) -> FlowGraph {
    let eea = kb.eea();
    FlowGraph::new(model, &|c: &str| eea.contains(c))
}

/// What the picture of `company` needs of it (its data-flow graph, flows, systems and
/// organisation), so that the company model can go before an evaluation.
pub fn sketch(kb: &KnowledgeBase, model: &sphere_model::Model) -> Sketch {
    Sketch::new(&flow_graph(kb, model), model)
}

/// The picture of the leaks of `company`, marked with `outcome`'s findings (the outcome of
/// evaluating the same model with the same knowledge base).
pub fn picture(
    kb: &KnowledgeBase,
    company: &sphere_model::Model,
    outcome: &Outcome<'_>,
    opts: Options,
) -> Picture {
    Picture::new(&sketch(kb, company), outcome).apply(opts)
}

/// The picture as text in `format`.
pub fn render(picture: &Picture, format: Format, lang: Lang) -> String {
    match format {
        Format::Dot => draw::dot(picture, lang),
        Format::Mermaid => draw::mermaid(picture, lang),
        Format::Svg => draw::svg(picture, lang),
        Format::Html => draw::html_page(picture, lang),
    }
}
