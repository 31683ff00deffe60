//! Compiled vs interpreted, one configuration per process so that peak memory is the run's
//! own. Prints one line: `<workload> <engine> eval_s=<seconds> peak_rss_mib=<MiB> <counts>`.
//!
//! ```text
//! cargo bench -p sphere-kb-compiled --bench compiled -- tc EDGE_FILE floor|interpreted|interpreted-prov|compiled|compiled-prov
//! cargo bench -p sphere-kb-compiled --bench compiled -- kb MODEL.json interpreted|interpreted-prov|compiled|compiled-prov
//! cargo bench -p sphere-kb-compiled --bench compiled -- tc-table EDGE_FILE...
//! ```
//!
//! `tc` runs the tc-anchor program (`../shared/bench/tc-anchor/tc.dl`, embedded below) on an
//! `edge.facts` file from its `gen_graph.py`; `floor` is the hand-written semi-naive closure
//! over `FxHashSet` that the interpreter's benchmark uses too (`crates/engine/examples/common/floor.rs`).
//! `tc-table` measures every tc engine in one process, interleaved, and prints the ratios to
//! the floor. `kb` runs the shipped knowledge base on a model (e.g. from `sphere gen`);
//! `benches/kb-engines` drives it. See `docs/performance.md`, "Compiled evaluator".

use std::path::Path;
use std::time::Instant;

#[path = "../../engine/examples/common/floor.rs"]
mod floor;

use sphere_engine::eval::{evaluate, Database, EvalOptions, Evaluation};
use sphere_engine::ir::Program;
use sphere_engine::{compile, CompileOptions, SourceMap, Value};
use sphere_kb_compiled::{Generated, KB};

/// The tc-anchor program compiled (generated for tests and benchmarks only).
#[rustfmt::skip]
#[path = "../tests/programs/tc.rs"]
mod tc;

const TC: Generated = Generated { code: &tc::PROGRAM };

const TC_DL: &str = "// Anchor workload: transitive closure plus one stratified negation.
// Expected on the generated graph (2000 nodes, 10000 edges, seed 20240601):
//   path: 3950154 tuples, unreach: 11 tuples.
.decl edge(x: number, y: number)
.input edge
.decl node(x: number)
.decl path(x: number, y: number)
.decl unreach(y: number)
.output path
.output unreach

node(x) :- edge(x, _).
node(y) :- edge(_, y).
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
unreach(y) :- node(y), !path(0, y).
";

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// With `SPHERE_PERF_CTL=FIFO`, writes `cmd` to that fifo: `perf record --control=fifo:FIFO -D -1`
/// then samples the evaluation only, not the loading of the model.
fn perf_control(cmd: &str) {
    if let Some(fifo) = std::env::var_os("SPHERE_PERF_CTL") {
        if let Err(e) = std::fs::write(&fifo, format!("{cmd}\n")) {
            eprintln!("warning: perf control: {e}");
        }
    }
}

fn program(sources: &SourceMap) -> Program {
    let c = compile(sources, &CompileOptions::default());
    match c.program {
        Some(p) if !c.diagnostics.iter().any(|d| d.is_error()) => p,
        _ => {
            eprintln!("error: the program does not compile");
            std::process::exit(2);
        }
    }
}

fn run<'p>(p: &'p Program, db: Database, engine: &str) -> Evaluation<'p> {
    let gen = if p.relation_by_name("edge").is_some() {
        &TC
    } else {
        &KB
    };
    let opts = |provenance: bool| EvalOptions {
        provenance,
        profile: std::env::var_os("SPHERE_BENCH_PROFILE").is_some(),
    };
    let result = match engine {
        "interpreted" => evaluate(p, db, &opts(false)).map_err(|e| e.message),
        "interpreted-prov" => evaluate(p, db, &opts(true)).map_err(|e| e.message),
        "compiled" => gen.evaluate(p, db, &opts(false)).map_err(|e| e.message),
        "compiled-prov" => gen.evaluate(p, db, &opts(true)).map_err(|e| e.message),
        other => Err(format!("unknown engine `{other}`")),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    })
}

fn main() {
    // `cargo bench` passes `--bench`; ignore flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if args.first().map(String::as_str) == Some("tc-table") {
        tc_table(&args[1..]);
        return;
    }
    let [workload, file, engine] = args.as_slice() else {
        eprintln!("usage: compiled tc EDGE_FILE ENGINE | compiled kb MODEL.json ENGINE | compiled tc-table EDGE_FILE...");
        std::process::exit(2);
    };
    match workload.as_str() {
        "tc" => tc(file, engine),
        "kb" => kb(Path::new(file), engine),
        _ => {
            eprintln!("error: unknown workload `{workload}`");
            std::process::exit(2);
        }
    }
}

/// The tc-anchor engines measured in one process, interleaved: for each graph, five rounds of
/// (floor, interpreted, interpreted-prov, compiled, compiled-prov), the fastest run of each,
/// and the ratios. Checks that every engine agrees with the floor first.
fn tc_table(files: &[String]) {
    const ROUNDS: usize = 5;
    const ENGINES: [&str; 5] = [
        "floor",
        "interpreted",
        "interpreted-prov",
        "compiled",
        "compiled-prov",
    ];
    let mut sources = SourceMap::new();
    sources.add("tc.dl".to_string(), TC_DL.to_string());
    let p = program(&sources);
    println!("| graph | floor s | interpreted s | +prov s | compiled s | +prov s | interpreted / floor | compiled / floor | compiled+prov / floor | compiled prov on / off |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for file in files {
        let edges = read_edges(file);
        let small = edges32(&edges);
        let mut best = [f64::INFINITY; 5];
        for round in 0..ROUNDS {
            for k in 0..ENGINES.len() {
                // Rotate the order between rounds so that load hits every engine alike.
                let e = (k + round) % ENGINES.len();
                let (t, counts) = if ENGINES[e] == "floor" {
                    let start = Instant::now();
                    let c = floor::floor_tc(&small);
                    (start.elapsed().as_secs_f64(), c)
                } else {
                    let db = tc_db(&p, &edges);
                    let start = Instant::now();
                    let ev = run(&p, db, ENGINES[e]);
                    let t = start.elapsed().as_secs_f64();
                    let path = ev.len(p.relation_by_name("path").expect("path"));
                    let unreach = ev.len(p.relation_by_name("unreach").expect("unreach"));
                    (t, (path, unreach))
                };
                let expect = floor::floor_tc(&small);
                if counts != expect {
                    eprintln!(
                        "error: {} gives {counts:?}, the floor {expect:?}",
                        ENGINES[e]
                    );
                    std::process::exit(1);
                }
                best[e] = best[e].min(t);
            }
        }
        let [f, i, ip, c, cp] = best;
        println!(
            "| {} edges | {f:.3} | {i:.3} | {ip:.3} | {c:.3} | {cp:.3} | {:.2} | {:.2} | {:.2} | {:.2} |",
            edges.len(),
            i / f,
            c / f,
            cp / f,
            cp / c
        );
    }
}

fn read_edges(file: &str) -> Vec<(i64, i64)> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| {
        eprintln!("error: cannot read {file}: {e}");
        std::process::exit(2);
    });
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
        .collect()
}

/// The graph as the floor takes it (node numbers are small and non-negative).
fn edges32(edges: &[(i64, i64)]) -> Vec<(u32, u32)> {
    edges.iter().map(|&(a, b)| (a as u32, b as u32)).collect()
}

fn tc_db(p: &Program, edges: &[(i64, i64)]) -> Database {
    let mut db = Database::new(p);
    let edge = p.relation_by_name("edge").expect("tc.dl declares edge");
    for &(a, b) in edges {
        db.insert(edge, &[Value::Num(a), Value::Num(b)]);
    }
    db
}

fn tc(file: &str, engine: &str) {
    let edges = read_edges(file);
    if engine == "floor" {
        let edges = edges32(&edges);
        let start = Instant::now();
        let (path, unreach) = floor::floor_tc(&edges);
        let t = start.elapsed().as_secs_f64();
        println!(
            "tc floor eval_s={t:.3} peak_rss_mib={:.0} path={path} unreach={unreach}",
            peak_rss_mib()
        );
        return;
    }
    let mut sources = SourceMap::new();
    sources.add("tc.dl".to_string(), TC_DL.to_string());
    let p = program(&sources);
    let db = tc_db(&p, &edges);
    let start = Instant::now();
    let ev = run(&p, db, engine);
    let t = start.elapsed().as_secs_f64();
    let path = ev.len(p.relation_by_name("path").expect("path"));
    let unreach = ev.len(p.relation_by_name("unreach").expect("unreach"));
    println!(
        "tc {engine} eval_s={t:.3} peak_rss_mib={:.0} path={path} unreach={unreach}",
        peak_rss_mib()
    );
}

fn kb(model: &Path, engine: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sources = sphere_codegen::kb_sources(&root).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let p = program(&sources);
    let today = sphere_engine::Date(20_255);
    let model = match sphere_model::load_paths(&[model], today.into()) {
        Ok(m) => m,
        Err(errs) => {
            eprint!("{}", sphere_model::render(&errs));
            std::process::exit(2);
        }
    };
    let facts = sphere_model::extract::extract(&model);
    drop(model);
    // With `SPHERE_BENCH_REPEAT=N`, the model is loaded once and evaluated N times (each on a
    // database built afresh from the facts): `eval_s` is the median, `runs` lists them all.
    // For comparing builds of the evaluator; peak memory then covers every run.
    let repeat = std::env::var("SPHERE_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let database = || {
        let mut db = Database::new(&p);
        let mut count = 0usize;
        for (name, rows) in facts.relations() {
            let Some(rel) = p.relation_by_name(name) else {
                continue;
            };
            for (vals, _) in rows.iter() {
                let values: Vec<Value> = vals.iter().map(|v| v.value(|s| db.intern(s))).collect();
                count += db.insert(rel, &values) as usize;
            }
        }
        (db, count)
    };
    let mut runs = Vec::new();
    for _ in 1..repeat {
        let (db, _) = database();
        perf_control("enable");
        let start = Instant::now();
        let ev = run(&p, db, engine);
        runs.push(start.elapsed().as_secs_f64());
        perf_control("disable");
        drop(ev);
    }
    let (db, count) = database();
    drop(facts);
    perf_control("enable");
    let start = Instant::now();
    let ev = run(&p, db, engine);
    runs.push(start.elapsed().as_secs_f64());
    perf_control("disable");
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    let t = sorted[sorted.len() / 2];
    let findings = ev.len(
        p.relation_by_name("finding")
            .expect("the knowledge base has findings"),
    );
    let derived: usize = (0..p.relations.len())
        .filter(|&i| p.rules.iter().any(|r| r.head.rel.0 as usize == i))
        .map(|i| ev.len(sphere_engine::ir::RelId(i as u32)))
        .sum();
    // With `SPHERE_BENCH_PROFILE=1`: every rule's time, produced tuples and rule id, on
    // stderr, tab-separated (for comparing two sizes rule by rule).
    if std::env::var_os("SPHERE_BENCH_PROFILE").is_some() {
        let ph = ev.phases();
        eprintln!(
            "phases\tplanning={:.3}\trules={:.3}\trounds={:.3}",
            ph.planning.as_secs_f64(),
            ph.rules.as_secs_f64(),
            ph.rounds.as_secs_f64()
        );
        for r in ev.profile().iter().filter(|r| r.runs > 0) {
            eprintln!(
                "{:.6}\t{}\t{}",
                r.time.as_secs_f64(),
                r.produced,
                p.rules[r.rule.0 as usize].id
            );
        }
    }
    println!(
        "kb {engine} eval_s={t:.3} peak_rss_mib={:.0} input_facts={count} derived={derived} findings={findings}{}",
        peak_rss_mib(),
        if runs.len() > 1 {
            let r: Vec<String> = runs.iter().map(|t| format!("{t:.3}")).collect();
            format!(" runs={}", r.join(","))
        } else {
            String::new()
        }
    );
}
