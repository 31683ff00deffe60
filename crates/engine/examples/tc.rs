//! Runs the tc-anchor program once on an `edge.facts` file with the interpreter (or the
//! hand-written floor), for profiling: `cargo run --release -p sphere-engine --example tc --
//! DIR/edge.facts [floor|interpreted|provenance]`.

#[path = "common/floor.rs"]
mod floor;

use sphere_engine::eval::{evaluate, Database, EvalOptions};
use sphere_engine::{compile, CompileOptions, SourceMap, Value};

const TC: &str = ".decl edge(x: number, y: number)
.input edge
.decl node(x: number)
.decl path(x: number, y: number)
.decl unreach(y: number)
node(x) :- edge(x, _).
node(y) :- edge(_, y).
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
unreach(y) :- node(y), !path(0, y).
";

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .expect("usage: tc EDGE_FILE [floor|interpreted|provenance]");
    let mode = args.next().unwrap_or_else(|| "interpreted".into());
    let text = std::fs::read_to_string(&file).expect("readable edge file");
    let edges: Vec<(u32, u32)> = text
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(a, b)| (a.parse().expect("number"), b.parse().expect("number")))
        .collect();
    let start = std::time::Instant::now();
    let (path, unreach) = if mode == "floor" {
        floor::floor_tc(&edges)
    } else {
        let mut sources = SourceMap::new();
        sources.add("tc.dl", TC);
        let p = compile(&sources, &CompileOptions::default())
            .program
            .expect("compiles");
        let mut db = Database::new(&p);
        let edge = p.relation_by_name("edge").expect("edge");
        for &(a, b) in &edges {
            db.insert(edge, &[Value::Num(a as i64), Value::Num(b as i64)]);
        }
        let ev = evaluate(
            &p,
            db,
            &EvalOptions {
                provenance: mode == "provenance",
                ..EvalOptions::default()
            },
        )
        .expect("evaluates");
        (
            ev.len(p.relation_by_name("path").expect("path")),
            ev.len(p.relation_by_name("unreach").expect("unreach")),
        )
    };
    eprintln!(
        "{mode}: path {path}, unreach {unreach}, {:.3} s",
        start.elapsed().as_secs_f64()
    );
}
