mod check;
mod cli_doc;
mod eval;
mod export;
mod graph_gen;
mod kb;
mod repl;
mod scenarios;
