mod check;
mod cli_doc;
mod eval;
mod export;
mod graph_gen;
mod journal;
mod kb;
mod scenarios;
