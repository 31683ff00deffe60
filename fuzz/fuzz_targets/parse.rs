//! Feeds arbitrary UTF-8 to the whole front end (lexer, parser, resolver, lowering,
//! stratification) in both modes, and renders the diagnostics: none of it may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sphere_engine::diag::{render, RenderOptions};
use sphere_engine::{compile, CompileOptions, SourceMap};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for lenient in [false, true] {
        let mut sources = SourceMap::new();
        sources.add("fuzz.dl", text);
        let opts = CompileOptions {
            lenient,
            external: Vec::new(),
        };
        let compiled = compile(&sources, &opts);
        let _ = render(&compiled.diagnostics, &sources, RenderOptions::default());
        if let Some(program) = &compiled.program {
            let _ = sphere_engine::ir::dump::dump(program);
        }
    }
});
