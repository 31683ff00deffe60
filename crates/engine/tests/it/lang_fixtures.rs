//! Parser and resolver fixtures: every file under `fixtures/lang/valid` compiles without
//! errors (snapshot: the resolved program), every file under `fixtures/lang/invalid` fails
//! with the rendered diagnostics as snapshot. A fixture named after an error code must
//! produce that code. Files whose name starts with `lenient_` compile in lenient mode.

use std::path::Path;

use sphere_engine::diag::{render, RenderOptions};
use sphere_engine::ir::dump::dump;
use sphere_engine::{compile, Code, CompileOptions, SourceMap};

const CODES: &[Code] = &[
    Code::Syntax,
    Code::UnknownRelation,
    Code::ArityMismatch,
    Code::TypeMismatch,
    Code::UnboundVariable,
    Code::UnsafeNegation,
    Code::WildcardInHead,
    Code::CyclicNegation,
    Code::DuplicateRuleId,
    Code::UnknownNorm,
    Code::UnknownReference,
    Code::DuplicateDeclaration,
    Code::BadAnnotation,
];

/// Compiles one fixture; returns (number of errors, rendered diagnostics + dump).
fn check(kind: &str, stem: &str, text: &str) -> (usize, Vec<Code>, String) {
    let mut sources = SourceMap::new();
    // A relative name: snapshots must not contain paths of this machine.
    sources.add(format!("fixtures/lang/{kind}/{stem}.dl"), text);
    let opts = CompileOptions {
        lenient: stem.starts_with("lenient_"),
        external: Vec::new(),
    };
    let compiled = compile(&sources, &opts);
    let errors = compiled.diagnostics.iter().filter(|d| d.is_error()).count();
    let codes = compiled.diagnostics.iter().map(|d| d.code).collect();
    let mut out = render(
        &compiled.diagnostics,
        &sources,
        RenderOptions { color: false },
    );
    if let Some(p) = &compiled.program {
        out.push_str(&dump(p));
    }
    (errors, codes, out)
}

fn fixtures(kind: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lang")
        .join(kind);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("fixture directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "dl"))
        .map(|p| {
            let stem = p
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&p).expect("fixture is UTF-8");
            (stem, text)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {kind}");
    out
}

#[test]
fn valid_fixtures_compile() {
    for (stem, text) in fixtures("valid") {
        let (errors, _, out) = check("valid", &stem, &text);
        assert_eq!(errors, 0, "{stem}.dl should compile:\n{out}");
        insta::assert_snapshot!(format!("valid_{stem}"), out);
    }
}

#[test]
fn invalid_fixtures_report() {
    let mut covered = Vec::new();
    for (stem, text) in fixtures("invalid") {
        let (errors, codes, out) = check("invalid", &stem, &text);
        assert!(errors > 0, "{stem}.dl should fail");
        if let Some(code) = CODES.iter().find(|c| c.as_str() == stem) {
            assert!(
                codes.contains(code),
                "{stem}.dl should report {code}:\n{out}"
            );
        }
        covered.extend(codes);
        insta::assert_snapshot!(format!("invalid_{stem}"), out);
    }
    for code in CODES {
        assert!(covered.contains(code), "no invalid fixture reports {code}");
    }
}

#[test]
fn three_mistakes_give_three_carets() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lang/invalid/three_mistakes.dl"),
    )
    .expect("fixture");
    let (errors, _, out) = check("invalid", "three_mistakes", &text);
    assert_eq!(errors, 3, "{out}");
    assert_eq!(out.matches("error[syntax]").count(), 3, "{out}");
}
