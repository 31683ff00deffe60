mod check;
mod cli_doc;
#[cfg(feature = "crepe")]
mod crepe;
mod eval;
mod export;
mod gate;
mod graph_gen;
mod incremental;
mod journal;
mod kb;
mod repl;
mod report;
mod robust;
mod scenarios;
mod server;
