//! Extraction produces exactly the relations declared in `knowledge/model.dl`, with their
//! arities and column types, and the full example fills every one of them.

use sphere_model::{extract, input_relations, FactValue};

use crate::{load, root};

#[test]
fn model_dl_declares_every_relation_once_with_input_and_doc() {
    // The table is generated from model.dl by sphere-codegen (whose test fails when the two
    // differ); here, what the table says about the file.
    let text =
        std::fs::read_to_string(root().join("knowledge/model.dl")).expect("knowledge/model.dl");
    let decl_lines = text
        .lines()
        .filter(|l| l.trim_start().starts_with(".decl "))
        .count();
    let decls = input_relations();
    assert_eq!(decls.len(), decl_lines, "every .decl line is in the table");
    let mut names: Vec<&str> = decls.iter().map(|d| d.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), decls.len(), "no relation is declared twice");
    for d in decls {
        assert!(!d.doc.is_empty(), "{} has no /// comment", d.name);
        assert!(
            text.lines()
                .any(|l| l.trim() == format!(".input {}", d.name)),
            "{} is not marked .input",
            d.name
        );
    }
}

#[test]
fn extraction_gives_exactly_the_declared_relations_with_their_types() {
    let model = load(&["valid/full.json"]).expect("valid");
    let facts = extract(&model);
    let declared: Vec<&str> = input_relations().iter().map(|r| r.name.as_str()).collect();
    let mut produced: Vec<&str> = facts.relations().map(|(n, _)| n).collect();
    let mut sorted = declared.clone();
    sorted.sort();
    produced.sort();
    assert_eq!(produced, sorted);
    for rel in input_relations() {
        let rows = facts.rows(&rel.name);
        // The full example sets every key of model.md, so every relation has rows.
        assert!(
            !rows.is_empty(),
            "the full example gives no `{}` rows",
            rel.name
        );
        for (values, origin) in rows {
            let types: Vec<_> = values.iter().map(FactValue::ty).collect();
            let declared: Vec<_> = rel.columns.iter().map(|c| c.1).collect();
            assert_eq!(types, declared, "{} at {}", rel.name, origin.path);
            assert_eq!(origin.file, "valid/full.json");
            assert!(origin.path.starts_with("$."), "{}", origin.path);
        }
    }
}

fn rows(facts: &sphere_model::Facts, rel: &str) -> Vec<String> {
    facts
        .rows(rel)
        .iter()
        .map(|(v, o)| {
            let vals: Vec<String> = v.iter().map(ToString::to_string).collect();
            format!("{}  <- {}", vals.join(", "), o.path)
        })
        .collect()
}

#[test]
fn defaults_flags_and_absent_values_follow_the_conventions() {
    let model = load(&["valid/full.json"]).expect("valid");
    let facts = extract(&model);
    // A planned activity without a date happens on as_of; status defaults to done.
    assert!(rows(&facts, "activity").contains(
        &"reply_forum, contact, planned, 2025-06-16, sandra, support  <- $.activities[1]"
            .to_string()
    ));
    assert!(rows(&facts, "activity").contains(
        &"notify_mail, contact, done, 2025-06-03, sandra, support  <- $.activities[2]".to_string()
    ));
    // A system the organization operates has the role own.
    assert!(rows(&facts, "system")
        .contains(&"crm, Optik CRM, crm, optik, DE, own  <- $.systems[0]".to_string()));
    // A consent without obtained_by was obtained by the organization.
    assert!(rows(&facts, "consent").contains(
        &"petra_presumed, petra_b2b, 2025-06-10, presumed, optik  <- $.consents[1]".to_string()
    ));
    // Open periods end on 9999-12-31 and start on 0001-01-01.
    assert!(rows(&facts, "party_certification").contains(
        &"socialscope, dpf, 2023-07-10, 9999-12-31  <- $.parties[0].certifications[1]".to_string()
    ));
    assert!(rows(&facts, "flow").contains(
        &"forum_to_crm, fotoforum, crm, service, manual, 0001-01-01, 9999-12-31  <- $.flows[1]"
            .to_string()
    ));
    // Flags hold only when true; fires_before_consent defaults to true.
    assert_eq!(
        rows(&facts, "tracking_fires_before_consent"),
        ["fanpage/tracking/1  <- $.sources[1].tracking[1].fires_before_consent"]
    );
    assert_eq!(
        rows(&facts, "activity_automated"),
        ["notify_mail  <- $.activities[2].automated"]
    );
    // A null subject of a notice is a public notice, not a row with an empty subject.
    assert_eq!(
        rows(&facts, "notice_public"),
        ["privacy_policy_fanpage  <- $.notices[1].subject"]
    );
    assert_eq!(
        rows(&facts, "notice_subject"),
        ["notice_karl, karl  <- $.notices[0].subject"]
    );
    // Every audience is stated, the default too.
    assert_eq!(
        rows(&facts, "activity_audience").len(),
        model.activities.len()
    );
    // List members point at their element.
    assert!(rows(&facts, "activity_subject")
        .contains(&"select_newsletter, petra_b2b  <- $.activities[4].subjects[1]".to_string()));
    assert_eq!(rows(&facts, "as_of"), ["2025-06-16  <- $.as_of"]);
}

#[test]
fn extraction_is_deterministic_in_model_order() {
    let model = load(&["valid/full.json"]).expect("valid");
    let a = extract(&model);
    assert_eq!(a, extract(&model));
    // Rows keep the order of the model, grouped by subject (sorting is left to the export).
    let subjects: Vec<String> = rows(&a, "activity_subject");
    assert_eq!(
        subjects[0],
        "collect_post, karl  <- $.activities[0].subjects[0]"
    );
    let mut sorted = a.clone();
    sorted.sort();
    for (name, rows) in sorted.relations() {
        let rows: Vec<_> = rows.iter().collect();
        assert!(
            rows.windows(2).all(|w| w[0] <= w[1]),
            "{name} is not sorted"
        );
    }
}

/// Consents, objections, notices and activities come grouped by data subject, in the order of
/// the model's subjects (those without one last), model order within a subject; every row
/// still names its own element of the model.
#[test]
fn subject_bound_facts_come_grouped_by_subject() {
    let mut model = load(&["valid/full.json"]).expect("valid");
    model.subjects.reverse(); // petra_b2b, karl
    model.activities[4].subjects.reverse(); // select_newsletter: petra_b2b first
    model.activities[2].subjects.clear(); // notify_mail: no subject
    let facts = extract(&model);
    assert_eq!(
        rows(&facts, "activity"),
        [
            "select_newsletter, select, planned, 2025-06-16, jonas, newsletter  <- $.activities[4]",
            "collect_post, collect, done, 2025-06-02, sandra, service  <- $.activities[0]",
            "reply_forum, contact, planned, 2025-06-16, sandra, support  <- $.activities[1]",
            "faq_review, reuse_content, done, 2025-06-04, jonas, marketing  <- $.activities[3]",
            "notify_mail, contact, done, 2025-06-03, sandra, support  <- $.activities[2]",
        ]
    );
    assert_eq!(
        rows(&facts, "activity_subject"),
        [
            "select_newsletter, petra_b2b  <- $.activities[4].subjects[0]",
            "select_newsletter, karl  <- $.activities[4].subjects[1]",
            "collect_post, karl  <- $.activities[0].subjects[0]",
            "reply_forum, karl  <- $.activities[1].subjects[0]",
            "faq_review, karl  <- $.activities[3].subjects[0]",
        ]
    );
    let consents: Vec<String> = rows(&facts, "consent");
    assert!(
        consents[0].starts_with("petra_presumed, petra_b2b,"),
        "{consents:?}"
    );
    assert!(consents[1].ends_with("<- $.consents[0]"), "{consents:?}");
    assert_eq!(
        rows(&facts, "notice_subject"),
        ["notice_karl, karl  <- $.notices[0].subject"]
    );
    // Grouping moves rows, it adds or drops none: the subjects in the other order give the
    // same rows (values) in another order.
    model.subjects.reverse();
    let other = extract(&model);
    assert_ne!(rows(&other, "activity"), rows(&facts, "activity"));
    let values = |f: &sphere_model::Facts, rel: &str| {
        let mut v: Vec<_> = f.rows(rel).iter().map(|(v, _)| v.clone()).collect();
        v.sort();
        v
    };
    for rel in input_relations() {
        assert_eq!(
            values(&facts, &rel.name),
            values(&other, &rel.name),
            "{}",
            rel.name
        );
    }
}

/// The serde derives (used by the schema and by code that builds models) apply the same
/// defaults as the loader: a model written out and loaded again is the same model.
#[test]
fn serialized_models_load_back_unchanged() {
    let model = load(&["valid/full.json"]).expect("valid");
    let json = serde_json::to_string_pretty(&model).expect("serializes");
    let again =
        sphere_model::load_texts(&[("again.json", &json)], crate::today()).expect("reloads");
    let mut a = model.clone();
    a.provenance = Default::default();
    let mut b = again;
    b.provenance = Default::default();
    assert_eq!(a, b);
    let via_serde: sphere_model::Model = serde_json::from_str(&json).expect("serde reads it too");
    assert_eq!(a, via_serde);
}

/// Clean objects are read by serde's derive, others by the reporting reader: both must give
/// the same model. An `x-` key in every object sends every object through the reader.
#[test]
fn the_fast_and_the_reporting_reader_agree() {
    fn mark(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.values_mut().for_each(mark);
                m.insert(
                    "x-note".into(),
                    serde_json::json!("forces the reporting reader"),
                );
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(mark),
            _ => {}
        }
    }
    let text = crate::fixture_text("valid/full.json");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    mark(&mut v);
    let marked = serde_json::to_string(&v).expect("json");
    let fast = sphere_model::load_texts(&[("full.json", &text)], crate::today()).expect("valid");
    let slow = sphere_model::load_texts(&[("full.json", &marked)], crate::today()).expect("valid");
    assert_eq!(fast, slow);
}
