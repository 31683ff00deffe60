//! `docs/model.schema.json` is generated from the types; this test fails when it is stale.
//! `UPDATE_GENERATED=1 cargo test -p sphere-model` rewrites it.

use crate::root;

#[test]
fn committed_schema_is_up_to_date() {
    let schema = schemars::schema_for!(sphere_model::ModelFile);
    let text = serde_json::to_string_pretty(&schema).expect("the schema serializes") + "\n";
    let path = root().join("docs/model.schema.json");
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &text).expect("write docs/model.schema.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "docs/model.schema.json is stale: run `UPDATE_GENERATED=1 cargo test -p sphere-model`"
    );
}

#[test]
fn schema_knows_every_key_and_allows_notes() {
    let schema =
        serde_json::to_value(schemars::schema_for!(sphere_model::ModelFile)).expect("json");
    let text = schema.to_string();
    for key in [
        "fires_before_consent",
        "company_participation",
        "right_to_object",
        "triggered_by",
        "records_of_processing",
    ] {
        assert!(text.contains(key), "schema lacks {key}");
    }
    assert_eq!(schema["patternProperties"]["^x-"], serde_json::json!({}));
    assert_eq!(schema["additionalProperties"], serde_json::json!(false));
}
