//! Interpreter benchmarks: the shared tc-anchor (transitive closure plus one stratified
//! negation) and same-generation, at three sizes each, with and without provenance, next to a
//! hand-written semi-naive transitive closure over a fast hash set (the floor), all in one run
//! so the ratios are comparable. After criterion's own report, prints a ratio table (read from
//! criterion's estimates) for `docs/performance.md`.
//!
//! The tc graphs come from `shared/bench/tc-anchor/gen_graph.py` (python3), so the largest
//! size is exactly the anchor graph with its known answer, which is checked before timing.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../examples/common/floor.rs"]
mod floor;

use criterion::{criterion_group, BenchmarkId, Criterion};
use floor::floor_tc;
use sphere_engine::eval::{evaluate, Database, EvalOptions};
use sphere_engine::{compile, CompileOptions, SourceMap, Value};

const SG: &str = "
.decl parent(p: number, c: number)
.input parent
.decl sg(x: number, y: number)
.output sg
sg(x, y) :- parent(p, x), parent(p, y), x != y.
sg(x, y) :- parent(px, x), parent(py, y), sg(px, py).
";

fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/tc-anchor")
}

/// Edges of the anchor generator for (nodes, edges), cached under target/.
fn tc_edges(nodes: u32, edges: u32) -> Vec<(u32, u32)> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tc-{nodes}-{edges}"));
    let file = dir.join("edge.facts");
    if !file.exists() {
        let status = Command::new("python3")
            .arg(shared_dir().join("gen_graph.py"))
            .arg(&dir)
            .arg(nodes.to_string())
            .arg(edges.to_string())
            .arg("20240601")
            .status()
            .expect("python3 runs the anchor's graph generator");
        assert!(status.success(), "gen_graph.py failed");
    }
    let text = std::fs::read_to_string(&file).expect("generated edge.facts");
    text.lines()
        .map(|l| {
            let (a, b) = l.split_once('\t').expect("tab-separated");
            (a.parse().expect("number"), b.parse().expect("number"))
        })
        .collect()
}

/// A deterministic forest for same-generation: `n` nodes, each node's parent a few levels up.
fn sg_edges(n: u32) -> Vec<(u32, u32)> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::new();
    for c in 1..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let span = (c / 4).max(1);
        let p = c - 1 - (x % span as u64) as u32 % c.max(1);
        out.push((p.min(c - 1), c));
    }
    out
}

fn program(text: &str) -> sphere_engine::ir::Program {
    let mut sources = SourceMap::new();
    sources.add("bench.dl", text);
    let compiled = compile(&sources, &CompileOptions::default());
    compiled.program.expect("benchmark programs compile")
}

fn run(
    p: &sphere_engine::ir::Program,
    input: &str,
    edges: &[(u32, u32)],
    provenance: bool,
) -> Vec<usize> {
    let mut db = Database::new(p);
    let rel = p.relation_by_name(input).expect("input relation");
    for &(a, b) in edges {
        db.insert(rel, &[Value::Num(a as i64), Value::Num(b as i64)]);
    }
    let ev = evaluate(
        p,
        db,
        &EvalOptions {
            provenance,
            profile: false,
        },
    )
    .expect("evaluates");
    p.relations
        .iter()
        .enumerate()
        .map(|(i, _)| ev.len(sphere_engine::ir::RelId(i as u32)))
        .collect()
}

const TC_SIZES: [(u32, u32); 3] = [(500, 2500), (1000, 5000), (2000, 10000)];
const SG_SIZES: [u32; 3] = [1000, 2000, 4000];

fn bench_tc(c: &mut Criterion) {
    let tc = std::fs::read_to_string(shared_dir().join("tc.dl"))
        .expect("the shared anchor (shared/bench/tc-anchor/tc.dl beside the repository)");
    let p = program(&tc);
    let path = p.relation_by_name("path").expect("path");
    let unreach = p.relation_by_name("unreach").expect("unreach");
    let mut g = c.benchmark_group("tc");
    g.sample_size(10);
    for (n, m) in TC_SIZES {
        let edges = tc_edges(n, m);
        let (fp, fu) = floor_tc(&edges);
        let sizes = run(&p, "edge", &edges, false);
        assert_eq!(
            (sizes[path.0 as usize], sizes[unreach.0 as usize]),
            (fp, fu),
            "interpreter agrees with the floor"
        );
        if (n, m) == (2000, 10000) {
            assert_eq!((fp, fu), (3_950_154, 11), "the anchor's known answer");
        }
        let id = format!("{n}x{m}");
        g.bench_with_input(BenchmarkId::new("floor", &id), &edges, |b, e| {
            b.iter(|| floor_tc(e))
        });
        g.bench_with_input(BenchmarkId::new("interpreted", &id), &edges, |b, e| {
            b.iter(|| run(&p, "edge", e, false))
        });
        g.bench_with_input(
            BenchmarkId::new("interpreted+provenance", &id),
            &edges,
            |b, e| b.iter(|| run(&p, "edge", e, true)),
        );
    }
    g.finish();
}

fn bench_sg(c: &mut Criterion) {
    let p = program(SG);
    let mut g = c.benchmark_group("sg");
    g.sample_size(10);
    for n in SG_SIZES {
        let edges = sg_edges(n);
        let id = n.to_string();
        g.bench_with_input(BenchmarkId::new("interpreted", &id), &edges, |b, e| {
            b.iter(|| run(&p, "parent", e, false))
        });
        g.bench_with_input(
            BenchmarkId::new("interpreted+provenance", &id),
            &edges,
            |b, e| b.iter(|| run(&p, "parent", e, true)),
        );
    }
    g.finish();
}

criterion_group!(benches, bench_tc, bench_sg);

/// Fastest of `n` interleaved runs of each variant, in seconds. Interleaving and taking the
/// minimum keeps the ratios meaningful on a machine with other load; the order rotates from
/// one round to the next, so that no variant always runs after the same one (and, say, into
/// the memory the previous one just gave back).
fn interleaved(n: usize, variants: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    let k = variants.len();
    let mut best = vec![f64::INFINITY; k];
    for round in 0..n {
        for j in 0..k {
            let i = (round + j) % k;
            let t = std::time::Instant::now();
            variants[i]();
            best[i] = best[i].min(t.elapsed().as_secs_f64());
        }
    }
    best
}

fn main() {
    // `cargo bench --bench eval -- --table` prints only the ratio table.
    if !std::env::args().any(|a| a == "--table") {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    // The ratio table for docs/performance.md, measured in this run.
    let tc = std::fs::read_to_string(shared_dir().join("tc.dl")).expect("the shared anchor");
    let p = program(&tc);
    println!("\n| workload | size | floor s | interpreted s | +provenance s | interpreted / floor | provenance on / off |");
    println!("|---|---|---|---|---|---|---|");
    for (n, m) in TC_SIZES {
        let edges = tc_edges(n, m);
        let t = interleaved(
            6,
            &mut [
                &mut || {
                    floor_tc(&edges);
                },
                &mut || {
                    run(&p, "edge", &edges, false);
                },
                &mut || {
                    run(&p, "edge", &edges, true);
                },
            ],
        );
        println!(
            "| tc | {n} nodes, {m} edges | {:.3} | {:.3} | {:.3} | {:.2} | {:.2} |",
            t[0],
            t[1],
            t[2],
            t[1] / t[0],
            t[2] / t[1]
        );
    }
    let sg = program(SG);
    for n in SG_SIZES {
        let edges = sg_edges(n);
        let t = interleaved(
            6,
            &mut [
                &mut || {
                    run(&sg, "parent", &edges, false);
                },
                &mut || {
                    run(&sg, "parent", &edges, true);
                },
            ],
        );
        println!(
            "| sg | {n} nodes | – | {:.3} | {:.3} | – | {:.2} |",
            t[0],
            t[1],
            t[1] / t[0]
        );
    }
}
