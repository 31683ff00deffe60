//! Replays the parser fuzzer's corpus (`fuzz/corpus/parse`, see `fuzz/README.md`) through the
//! whole front end in both modes: every input that once found new code paths must still
//! compile or fail with diagnostics, never panic.

use std::path::Path;

use sphere_engine::diag::{render, RenderOptions};
use sphere_engine::{compile, CompileOptions, SourceMap};

#[test]
fn fuzz_corpus_never_panics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("the fuzz corpus is committed")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "empty fuzz corpus");
    let mut replayed = 0;
    for path in &paths {
        let bytes = std::fs::read(path).expect("readable corpus file");
        // The fuzz target skips input that is not UTF-8; so does the replay.
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        for lenient in [false, true] {
            let mut sources = SourceMap::new();
            sources.add("corpus.dl", text);
            let opts = CompileOptions {
                lenient,
                external: Vec::new(),
            };
            let compiled = compile(&sources, &opts);
            assert_eq!(
                compiled.program.is_none(),
                compiled.diagnostics.iter().any(|d| d.is_error()),
                "{}: a program exactly when there is no error",
                path.display()
            );
            let _ = render(&compiled.diagnostics, &sources, RenderOptions::default());
        }
        replayed += 1;
    }
    assert!(replayed > 0);
}
