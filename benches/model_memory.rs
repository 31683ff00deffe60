//! Where the bytes of `sphere check --format json` go: the phases of one check of a model
//! file, each with the bytes live after it and the most live during it, counted by a global
//! allocator that wraps the system's (exact, unlike the resident set size, which keeps what
//! the allocator does not give back). The phases are those of the command: the facts extracted
//! straight into the database and the company model dropped once they are in
//! (`KnowledgeBase::evaluate_once`), the findings written one by
//! one (`render::json::write_document`; here the bytes are counted, not kept).
//!
//! Run: `cargo bench --bench model_memory -- MODEL.json` (a model from
//! `sphere gen --subjects N/10 --activities N --seed 42`). Prints a Markdown table for
//! docs/performance.md, then the process's peak resident set size (`VmHWM`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use sphere::render::json;
use sphere::{Date, EvalOptions, KnowledgeBase, Lang, Model};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn mb(bytes: usize) -> String {
    format!("{:.0}", bytes as f64 / 1e6)
}

/// Runs `f` as a phase: prints its time, the bytes live after it and the peak during it.
fn phase<T>(name: &str, f: impl FnOnce() -> T) -> T {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let t = Instant::now();
    let v = f();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "| {name} | {secs:.2} | {} | {} |",
        mb(LIVE.load(Ordering::Relaxed)),
        mb(PEAK.load(Ordering::Relaxed))
    );
    v
}

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let Some(path) = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(std::path::PathBuf::from)
    else {
        eprintln!("usage: cargo bench --bench model_memory -- MODEL.json");
        std::process::exit(2);
    };
    let today = Date::parse("2025-06-16").expect("a valid date");
    println!("| phase | s | live after, MB | peak during, MB |");
    println!("|---|---:|---:|---:|");
    let kb = phase("knowledge base", || {
        KnowledgeBase::shipped().expect("the shipped knowledge base compiles")
    });
    let texts = phase("read the file", || {
        sphere_model::load::read_files(&[&path]).expect("the model file reads")
    });
    let model = phase("parse, merge, validate", || {
        let refs: Vec<(&str, &str)> = texts
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        Model::from_texts(&refs, today).expect("the model is valid")
    });
    phase("drop the text", || drop(texts));
    let outcome = phase(
        "evaluate (facts extracted straight into the database, company model dropped, rules, findings collected)",
        || {
            kb.evaluate_once(model, &EvalOptions::default())
                .expect("evaluates")
        },
    );
    let written = phase("findings written as JSON", || {
        let mut out = Counted(0);
        let options = json::Options {
            lang: Lang::En,
            tree: false,
            suppressed: false,
        };
        json::write_document(&outcome, &options, outcome.engine().as_str(), &mut out)
            .expect("counting never fails");
        out.0
    });
    println!();
    println!(
        "{} findings, {} bytes of JSON; peak resident set (VmHWM): {}",
        outcome.findings().len(),
        written,
        vm_hwm()
    );
}

/// A writer that counts the bytes written to it and keeps none.
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
