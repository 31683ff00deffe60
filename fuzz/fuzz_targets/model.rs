//! Feeds arbitrary bytes as a model file to the loader, the validator and fact extraction:
//! none of it may panic; every problem must come back as a validation error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let today = sphere_model::Date::parse("2025-06-16").expect("a valid date");
    match sphere_model::load_texts(&[("fuzz.json", text)], today) {
        Ok(model) => {
            let _ = sphere_model::extract::extract(&model);
        }
        Err(errors) => {
            let _ = sphere_model::render(&errors);
        }
    }
});
