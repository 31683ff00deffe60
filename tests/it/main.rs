mod eval;
mod graph_gen;
