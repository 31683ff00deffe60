//! Bad input never panics: random structural and byte-level damage to a valid model is
//! answered with errors (or, where the damage happens to be harmless, with a model whose
//! facts still fit their declarations).

use proptest::prelude::*;
use serde_json::{json, Value};

/// Every place in a JSON document, as JSON pointers.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                pointers(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn replacement(k: u8) -> Value {
    match k % 14 {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(0),
        3 => json!(-1),
        4 => json!(1.5),
        5 => json!(""),
        6 => json!("karl"),
        7 => json!("2025-02-30"),
        8 => json!([]),
        9 => json!({}),
        10 => json!(u64::MAX),
        11 => json!([[[[[[[[[[[]]]]]]]]]]]),
        12 => json!({"x-note": 1, "id": ""}),
        _ => json!("\u{0}\t\n\\"),
    }
}

/// Applies one damage at the place picked by `pick`.
fn damage(doc: &mut Value, pick: usize, op: u8, payload: u8) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let target = &all[pick % all.len()];
    if target.is_empty() {
        *doc = replacement(payload);
        return;
    }
    let (parent, last) = target
        .rsplit_once('/')
        .expect("non-empty pointers have a parent");
    let Some(p) = doc.pointer_mut(parent) else {
        return;
    };
    match (op % 3, p) {
        (0, p) => {
            if let Some(x) = p.pointer_mut(&format!("/{last}")) {
                *x = replacement(payload);
            }
        }
        (1, Value::Object(m)) => {
            m.remove(&last.replace("~1", "/").replace("~0", "~"));
        }
        (1, Value::Array(a)) => {
            if let Ok(i) = last.parse::<usize>() {
                if i < a.len() {
                    a.remove(i);
                }
            }
        }
        (_, Value::Object(m)) => {
            let key = last.replace("~1", "/").replace("~0", "~");
            if let Some(x) = m.remove(&key) {
                let names = ["x-renamed", "", "id", "subjects", "kind ", "Kind", "as_of"];
                m.insert(names[payload as usize % names.len()].to_string(), x);
            }
        }
        _ => {}
    }
}

fn load_never_panics(text: &str) {
    let today = sphere_model::Date::parse("2025-01-01").expect("date");
    match sphere_model::load_texts(&[("fuzzed.json", text)], today) {
        Err(errors) => {
            assert!(!errors.is_empty());
            // Rendering works too, and every error names its file.
            for e in &errors {
                assert_eq!(e.file, "fuzzed.json");
                let _ = e.to_string();
            }
        }
        Ok(model) => {
            let facts = sphere_model::extract(&model);
            for rel in sphere_model::input_relations() {
                for (values, _) in facts.rows(&rel.name) {
                    assert_eq!(values.len(), rel.columns.len(), "{}", rel.name);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn structural_damage_never_panics(damages in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6)) {
        let mut doc: Value = serde_json::from_str(&crate::fixture_text("valid/full.json")).expect("json");
        for (pick, op, payload) in damages {
            damage(&mut doc, pick, op, payload);
        }
        load_never_panics(&serde_json::to_string(&doc).expect("json"));
    }

    #[test]
    fn byte_damage_never_panics(cut in any::<usize>(), at in any::<usize>(), byte in any::<u8>()) {
        let text = crate::fixture_text("valid/full.json");
        let mut bytes = text.into_bytes();
        let i = at % bytes.len();
        bytes[i] = byte;
        bytes.truncate(cut % (bytes.len() + 1));
        load_never_panics(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn every_fixture_loads_without_panicking() {
    let dir = crate::root().join("tests/fixtures/model");
    let mut stack = vec![dir];
    let mut n = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                n += 1;
                load_never_panics(&std::fs::read_to_string(&p).expect("read"));
            }
        }
    }
    assert!(n >= 20, "found {n} fixtures");
}
