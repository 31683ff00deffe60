mod check;
mod eval;
mod graph_gen;
mod kb;
mod scenarios;
