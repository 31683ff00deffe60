//! Sends one HTTP request (method, who asks, content type, path, body: see
//! `server_harness.rs`) to a fresh `sphere serve` application on the demo model, through its
//! router in process: no request may panic a handler, get a status of 500 or above, or get a
//! 400 from the API without a JSON error object. Each input starts from a new journal, so a
//! crash replays exactly.
#![no_main]

#[path = "server_harness.rs"]
mod server_harness;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;
use sphere::server::{App, Limits, Settings};
use sphere::{Date, KnowledgeBase, Model};

struct Fixed {
    kb: Arc<KnowledgeBase>,
    model: Model,
    journal: PathBuf,
    runtime: tokio::runtime::Runtime,
}

static FIXED: OnceLock<Fixed> = OnceLock::new();

fn fixed() -> &'static Fixed {
    FIXED.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let path = format!("{root}/{}", server_harness::MODEL);
        let text = std::fs::read_to_string(&path).expect("the demo model");
        let today = Date::parse("2025-06-16").expect("a date");
        let model = Model::from_text(server_harness::MODEL, &text, today).expect("a valid model");
        let scratch =
            std::env::temp_dir().join(format!("sphere-fuzz-server-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).expect("a scratch folder");
        Fixed {
            kb: Arc::new(KnowledgeBase::shipped().expect("the shipped knowledge base")),
            model,
            journal: scratch.join("journal.db"),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixed();
    for suffix in ["", "-wal", "-shm"] {
        let mut p = f.journal.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    let settings = Settings {
        journal: f.journal.clone(),
        auth: server_harness::auth(),
        engine_version: "sphere fuzz".into(),
        clock: Arc::new(|| "2025-06-16T09:00:00Z".parse::<Timestamp>().expect("a time")),
        limits: Limits::default(),
        eval_limits: sphere::Limits::NONE,
        webhook: None,
    };
    let (app, _) =
        App::start(Arc::clone(&f.kb), f.model.clone(), settings).expect("the server starts");
    let input = server_harness::decode(data);
    if let Err(broken) = f.runtime.block_on(server_harness::drive(&app, &input)) {
        panic!("{broken}");
    }
});
