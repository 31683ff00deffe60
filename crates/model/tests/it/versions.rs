//! The two versions of the model format: `sphere-model/1` files are still read and keep their
//! meaning; the keys `sphere-model/2` added are reported in a version 1 file, with the path and
//! a hint; the contradictions inside the new objects are reported like the old ones.

use sphere_model::{extract, ErrorKind, Format};

use crate::{fixture_text, today};

fn load_text(
    name: &str,
    text: &str,
) -> Result<sphere_model::Model, Vec<sphere_model::ValidationError>> {
    sphere_model::load_texts(&[(name, text)], today())
}

/// The relations filled only from keys of version 2.
const V2_RELATIONS: &[&str] = &[
    "organization_core_activities_stated",
    "organization_core_activity",
    "incident",
    "incident_authority_notified",
    "incident_delay_reasons",
    "incident_subjects_informed",
    "incident_unintelligible",
    "incident_documented",
    "incident_subject",
    "tracking_reject",
    "subject_birth_date",
    "subject_contract",
    "request",
    "request_answered",
    "request_extended",
    "request_refused",
    "subject_retain_until",
    "consent_parental_authorisation",
    "flow_derogation",
    "activity_content_used_as",
    "activity_content_kug_exception",
    "activity_sender",
    "activity_sender_identified",
    "activity_sender_stop_address",
    "staff_private_account_consent",
    "consent_verified_stated",
    "consent_verified",
    "activity_objection_notice_stated",
    "activity_objection_notice",
    "activity_post",
    "activity_post_consideration",
    "activity_post_labelled",
    "activity_reviews",
    "activity_reviews_claimed_genuine",
    "activity_reviews_checked",
    "activity_reviews_explained",
    "activity_reviews_fake",
    "activity_significant_effects",
];

/// The full example without the keys of version 2, as a version 1 file.
fn as_v1(text: &str) -> String {
    let mut doc: serde_json::Value = serde_json::from_str(text).expect("json");
    doc["format"] = "sphere-model/1".into();
    let strip = |v: &mut serde_json::Value, keys: &[&str]| {
        if let Some(o) = v.as_object_mut() {
            for k in keys {
                o.remove(*k);
            }
        }
    };
    strip(&mut doc["organization"], &["core_activities"]);
    for key in [
        "staff",
        "systems",
        "sources",
        "subjects",
        "consents",
        "flows",
        "activities",
    ] {
        for x in doc[key].as_array_mut().expect("a list") {
            strip(
                x,
                &[
                    "incidents",
                    "birth_date",
                    "contracts",
                    "requests",
                    "retain_until",
                ],
            );
            strip(x, &["parental_authorisation", "derogation", "sender"]);
            strip(
                x,
                &[
                    "private_account_consent",
                    "verified",
                    "objection_notice",
                    "post",
                    "reviews",
                    "significant_effects",
                ],
            );
            // `get_mut`, not indexing: indexing would add the key as null.
            if let Some(ts) = x.get_mut("tracking").and_then(|t| t.as_array_mut()) {
                for t in ts {
                    strip(t, &["reject"]);
                }
            }
            if let Some(c) = x.get_mut("content") {
                strip(c, &["used_as", "kug_exception"]);
            }
        }
    }
    serde_json::to_string_pretty(&doc).expect("json")
}

#[test]
fn a_version_1_file_is_read_and_gives_no_version_2_facts() {
    let v2 = load_text("full.json", &fixture_text("valid/full.json")).expect("v2 valid");
    assert_eq!(v2.format, Format::V2);
    let facts = extract(&v2);
    for rel in V2_RELATIONS {
        assert!(!facts.rows(rel).is_empty(), "the v2 example fills `{rel}`");
    }
    let v1 = load_text("full_v1.json", &as_v1(&fixture_text("valid/full.json")))
        .unwrap_or_else(|e| panic!("{}", sphere_model::render(&e)));
    assert_eq!(v1.format, Format::V1);
    let facts = extract(&v1);
    for rel in V2_RELATIONS {
        assert!(facts.rows(rel).is_empty(), "a v1 file fills `{rel}`");
    }
    // Everything else means what it meant: the same rows in every other relation.
    let v2_facts = extract(&v2);
    for (rel, rows) in facts.relations() {
        if !V2_RELATIONS.contains(&rel) {
            assert_eq!(rows.len(), v2_facts.count(rel), "{rel}");
        }
    }
}

#[test]
fn version_2_keys_in_a_version_1_file_are_reported_with_path_and_hint() {
    let text = fixture_text("valid/full.json").replace("sphere-model/2", "sphere-model/1");
    let errors = load_text("full.json", &text).expect_err("v2 keys in a v1 file");
    let paths: Vec<String> = errors
        .iter()
        .map(|e| {
            assert_eq!(e.kind, ErrorKind::UnknownKey, "{e}");
            let hint = e.hint.as_deref().unwrap_or_default();
            assert!(hint.contains("\"format\": \"sphere-model/2\""), "{hint}");
            e.to_string()
        })
        .collect();
    for path in [
        "$.organization.core_activities",
        "$.systems[0].incidents",
        "$.sources[1].tracking[0].reject",
        "$.subjects[0].birth_date",
        "$.subjects[0].contracts",
        "$.subjects[0].requests",
        "$.subjects[0].retain_until",
        "$.consents[0].parental_authorisation",
        "$.flows[0].derogation",
        "$.activities[2].sender",
        "$.activities[3].content.used_as",
        "$.activities[3].content.kug_exception",
        "$.staff[1].private_account_consent",
        "$.consents[0].verified",
        "$.activities[2].objection_notice",
        "$.activities[3].post",
        "$.activities[3].reviews",
        "$.activities[1].reviews",
        "$.activities[4].significant_effects",
    ] {
        assert!(
            paths.iter().any(|p| p.contains(path)),
            "{path} not reported in {paths:#?}"
        );
    }
    assert_eq!(paths.len(), 19, "{paths:#?}");
}

#[test]
fn contradictions_in_version_2_objects_are_reported() {
    let text = fixture_text("valid/full.json")
        .replace(
            "\"authority_notified\": \"2025-03-14\"",
            "\"authority_notified\": \"2025-03-01\"",
        )
        .replace(
            "\"answered\": \"2025-03-20\"",
            "\"answered\": \"2024-12-20\"",
        )
        .replace(
            "{ \"kind\": \"contract\", \"from\": \"2019-04-12\" }",
            "{ \"kind\": \"contract\", \"from\": \"2019-04-12\", \"to\": \"2019-01-01\" }",
        );
    let errors = load_text("full.json", &text).expect_err("contradictions");
    let rendered = sphere_model::render(&errors);
    assert_eq!(errors.len(), 3, "{rendered}");
    for e in &errors {
        assert_eq!(e.kind, ErrorKind::Contradiction, "{e}");
        assert!(e.hint.is_some(), "{e}");
    }
    for path in [
        "$.systems[0].incidents[0].authority_notified",
        "$.subjects[0].requests[0].answered",
        "$.subjects[0].contracts[1].to",
    ] {
        assert!(rendered.contains(path), "{path} missing in\n{rendered}");
    }
}

#[test]
fn a_wrong_value_in_a_version_2_key_names_the_allowed_values() {
    let text =
        fixture_text("valid/full.json").replace("\"risk\": \"high\"", "\"risk\": \"severe\"");
    let errors = load_text("full.json", &text).expect_err("bad risk");
    let rendered = sphere_model::render(&errors);
    assert_eq!(errors.len(), 1, "{rendered}");
    assert!(
        rendered.contains("$.systems[0].incidents[0].risk"),
        "{rendered}"
    );
    assert!(
        rendered.contains("unlikely, risk, high") || rendered.contains("\"unlikely\""),
        "{rendered}"
    );
}

#[test]
fn an_incident_names_subjects_of_the_model() {
    let text = fixture_text("valid/full.json").replace(
        "\"subjects\": [\"karl\"]\n        }",
        "\"subjects\": [\"karla\"]\n        }",
    );
    let errors = load_text("full.json", &text).expect_err("dangling subject");
    let rendered = sphere_model::render(&errors);
    assert_eq!(errors.len(), 1, "{rendered}");
    assert_eq!(errors[0].kind, ErrorKind::DanglingReference, "{rendered}");
    assert!(
        rendered.contains("$.systems[0].incidents[0].subjects[0]"),
        "{rendered}"
    );
}
