mod check;
mod cli_doc;
mod eval;
mod graph_gen;
mod kb;
mod scenarios;
