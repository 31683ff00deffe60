//! Feeds arbitrary bytes to the `sphere eval --json` protocol (parse the request, compile the
//! rules leniently, evaluate under bounds, answer every relation or the error object): none of
//! it may panic or run past its bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sphere::datalog::{answer_json, json_error, Response};
use sphere_engine::eval::limits::{Guard, Limits};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let guard = Guard::new(Limits {
        max_tuples: Some(200_000),
        max_relation_tuples: Some(100_000),
        max_memory_bytes: Some(256 << 20),
    })
    .with_interrupt(move || std::time::Instant::now() >= deadline);
    let (response, _warnings, _sources) = answer_json(text, guard);
    match response {
        Response::Relations(json) => {
            let _ = json.to_string();
        }
        Response::Failed {
            diagnostics,
            sources,
        } => {
            assert!(!diagnostics.is_empty());
            let _ = json_error(&diagnostics, &sources).to_string();
        }
    }
});
