//! Loading and validating generated models of 10k, 100k and 1M activities.
//!
//! Two measurements:
//! 1. one load of each size in a fresh process (this binary re-run with
//!    `SPHERE_BENCH_CHILD=<file>`), reporting wall time and peak memory (`VmHWM` of
//!    `/proc/self/status`, Linux only) and the time of fact extraction, printed as a Markdown
//!    table for docs/performance.md;
//! 2. criterion timings of load + validate for the sizes up to 100k (the 1M case takes
//!    seconds per iteration and is covered by the one-shot runs).
//!
//! Run: `cargo bench --bench model_load`. `SPHERE_BENCH_SIZES=10000,100000` limits the sizes.
//! The models are written to a directory under the system temp dir and removed afterwards.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use sphere_model::gen::{write_model, GenConfig};
use sphere_model::{load_paths, Date};

/// One person per ten activities, like a CRM where most people are touched a few times.
fn config(activities: u32) -> GenConfig {
    GenConfig::new((activities / 10).max(1), activities, 42)
}

fn today() -> Date {
    Date::parse("2025-06-16").expect("a valid date")
}

fn main() {
    if let Ok(file) = std::env::var("SPHERE_BENCH_CHILD") {
        child(Path::new(&file));
        return;
    }
    let sizes: Vec<u32> = std::env::var("SPHERE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    let dir = std::env::temp_dir().join(format!("sphere-bench-model-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temp dir for the generated models");

    let mut files: Vec<(u32, PathBuf)> = Vec::new();
    println!(
        "| activities | subjects | file size | generate | load + validate | extract | peak memory (VmHWM) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        let path = dir.join(format!("model-{n}.json"));
        let t = Instant::now();
        let f = std::fs::File::create(&path).expect("create the model file");
        write_model(&config(n), f).expect("write the model");
        let generate = t.elapsed();
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let out = Command::new(std::env::current_exe().expect("this benchmark's path"))
            .env("SPHERE_BENCH_CHILD", &path)
            .output()
            .expect("re-run this benchmark as a child");
        let line = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<f64> = line
            .split_whitespace()
            .map(|s| s.parse().unwrap_or(f64::NAN))
            .collect();
        let field = |i: usize| fields.get(i).copied().unwrap_or(f64::NAN);
        let (ms, extract_ms, hwm_kb) = (field(0), field(1), field(2));
        if !out.status.success() {
            eprintln!(
                "child failed for {n}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        println!(
            "| {n} | {} | {:.1} MB | {:.2} s | {:.2} s | {:.2} s | {:.0} MB |",
            config(n).subjects,
            size as f64 / 1e6,
            generate.as_secs_f64(),
            ms / 1000.0,
            extract_ms / 1000.0,
            hwm_kb / 1024.0,
        );
        files.push((n, path));
    }

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    let mut group = c.benchmark_group("model_load");
    for (n, path) in files.iter().filter(|(n, _)| *n <= 100_000) {
        group.throughput(Throughput::Elements(*n as u64));
        group.bench_with_input(BenchmarkId::new("load_validate", n), path, |b, path| {
            b.iter(|| {
                let m = load_paths(&[path], today()).expect("generated models are valid");
                assert_eq!(m.activities.len(), *n as usize);
                m
            })
        });
    }
    group.finish();
    c.final_summary();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Loads one model and extracts its facts, then prints `<load ms> <extract ms> <VmHWM in kB>`
/// on stdout.
fn child(file: &Path) {
    let t = Instant::now();
    let model = match load_paths(&[file], today()) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{}", sphere_model::render(&e));
            std::process::exit(2);
        }
    };
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let facts = sphere_model::extract(&model);
    let extract_ms = t.elapsed().as_secs_f64() * 1000.0;
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .unwrap_or_else(|| "nan".to_string());
    println!("{ms:.1} {extract_ms:.1} {hwm}");
    drop(facts);
    drop(model);
}
