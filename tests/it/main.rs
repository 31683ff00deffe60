mod check;
mod cli_doc;
#[cfg(feature = "crepe")]
mod crepe;
mod eval;
mod export;
mod graph_gen;
mod kb;
mod scenarios;
