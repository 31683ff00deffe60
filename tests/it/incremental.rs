//! Differential test of incremental re-evaluation: after any sequence of changes, a session's
//! findings, ids, suppressed findings and explanations equal a fresh evaluation of the changed
//! model, on the demo models and on generated ones.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use sphere::session::{Change, Object};
use sphere::{Date, EvalOptions, KnowledgeBase, Model, Section, Session};

fn kb() -> Arc<KnowledgeBase> {
    static KB: OnceLock<Arc<KnowledgeBase>> = OnceLock::new();
    Arc::clone(KB.get_or_init(|| Arc::new(KnowledgeBase::shipped().expect("compiles"))))
}

fn today() -> Date {
    Date::parse("2025-06-16").expect("a date")
}

/// The models changes are drawn on: every demo model with subjects, and two generated ones.
fn models() -> &'static Vec<(String, String)> {
    static MODELS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("facts");
        let mut out = Vec::new();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&root)
            .expect("facts/")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        for p in paths {
            let text = std::fs::read_to_string(&p).expect("readable");
            let name = format!("facts/{}", p.file_name().expect("a name").to_string_lossy());
            out.push((name, text));
        }
        for (subjects, activities, seed) in [(12, 60, 7), (30, 150, 42)] {
            let mut text = Vec::new();
            sphere_model::gen::write_model(
                &sphere_model::gen::GenConfig::new(subjects, activities, seed),
                &mut text,
            )
            .expect("generated");
            out.push((
                format!("gen-{subjects}-{activities}-{seed}.json"),
                String::from_utf8(text).expect("UTF-8"),
            ));
        }
        out
    })
}

fn pick<T>(v: &[T], n: u32) -> Option<&T> {
    (!v.is_empty()).then(|| &v[n as usize % v.len()])
}

/// One change drawn from the session's current model by `(kind, a, b)`.
fn change(session: &Session, kind: u8, a: u32, b: u32) -> Option<Change> {
    let m = session.model().company()?;
    let date = |n: u32| Date(Date::parse("2018-01-01").expect("a date").0 + (n % 3000) as i32);
    Some(match kind % 12 {
        0 => Change::WithdrawConsent {
            consent: pick(&m.consents, a)?.id.clone(),
            date: date(b),
        },
        1 => {
            // A consent given back, or another channel on it.
            let mut c = pick(&m.consents, a)?.clone();
            if c.withdrawn.is_some() {
                c.withdrawn = None;
            } else {
                let chs = ["email", "phone", "sms", "letter", "social_dm"];
                let ch = chs[b as usize % chs.len()];
                c.channels.retain(|x| x.as_str() != ch);
                if b % 2 == 0 {
                    c.channels.push(serde_json::from_value(ch.into()).ok()?);
                }
            }
            Change::Put(Object::Consent(c))
        }
        2 => {
            // A copy of an activity for another subject: joins two components.
            let mut x = pick(&m.activities, a)?.clone();
            x.id = format!("act-copy-{a}-{b}");
            if let Some(s) = pick(&m.subjects, b) {
                x.subjects = vec![s.id.clone()];
            }
            Change::Put(Object::Activity(x))
        }
        3 => {
            // An activity moved to other subjects (a component may split).
            let mut x = pick(&m.activities, a)?.clone();
            let s = pick(&m.subjects, b)?;
            x.subjects = vec![s.id.clone()];
            Change::Put(Object::Activity(x))
        }
        4 => Change::Remove {
            section: Section::Activities,
            id: pick(&m.activities, a)?.id.clone(),
        },
        5 => Change::Remove {
            section: Section::Consents,
            id: pick(&m.consents, a)?.id.clone(),
        },
        6 => {
            let c = pick(&m.consents, a)?;
            let ch = c.channels.first().map_or("email", |c| c.as_str());
            Change::Retract(format!("consent_channel(\"{}\", \"{ch}\")", c.id))
        }
        7 => Change::Assume(format!(
            "activity_large_scale(\"{}\")",
            pick(&m.activities, a)?.id
        )),
        8 => {
            // An objection of a subject, or one taken back.
            match pick(&m.objections, a) {
                Some(o) if b % 2 == 0 => Change::RemoveObjection(o.clone()),
                _ => {
                    let s = pick(&m.subjects, b)?;
                    let o: sphere_model::Objection = serde_json::from_value(serde_json::json!({
                        "subject": s.id,
                        "scope": "direct_marketing",
                        "date": date(a).to_string(),
                    }))
                    .ok()?;
                    Change::Put(Object::Objection(o))
                }
            }
        }
        9 => {
            // Shared data: a system's hosting country (the whole model is evaluated).
            let mut s = pick(&m.systems, a)?.clone();
            let countries = ["US", "DE", "IN", "FR"];
            s.hosting_country = countries[b as usize % countries.len()].into();
            Change::Put(Object::System(s))
        }
        10 => Change::AsOf(date(b)),
        _ => {
            // A subject's kind changes (consumer or business).
            let mut s = pick(&m.subjects, a)?.clone();
            let v = serde_json::to_value(&s).ok()?;
            let kind = if v["kind"] == "consumer" {
                "business"
            } else {
                "consumer"
            };
            let mut v = v;
            v["kind"] = kind.into();
            s = serde_json::from_value(v).ok()?;
            Change::Put(Object::Subject(s))
        }
    })
}

/// The session against a fresh evaluation of its model: findings, suppressed findings, and the
/// explanations of some findings (every one that changed, and a sample).
fn check_against_fresh(session: &Session, changed: &[String], sample: u32) {
    let kb = kb();
    let fresh = kb
        .evaluate(session.model(), session.options())
        .expect("evaluates");
    assert_eq!(session.findings(), fresh.findings(), "findings");
    assert_eq!(session.suppressed(), fresh.suppressed(), "suppressed");
    let mut ids: Vec<&str> = changed.iter().map(String::as_str).collect();
    let all: Vec<&str> = fresh
        .findings()
        .iter()
        .map(|f| f.id.as_str())
        .chain(fresh.suppressed().iter().map(|s| s.finding.id.as_str()))
        .collect();
    for k in 0..3u32 {
        if let Some(id) = pick(&all, sample.wrapping_mul(7919).wrapping_add(k * 104_729)) {
            ids.push(id);
        }
    }
    for id in ids {
        if fresh.find(id).is_none() {
            continue;
        }
        assert_eq!(
            session.explain(id).expect("explained"),
            fresh.explain(id).expect("explained"),
            "explanation of {id}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn findings_after_random_changes_equal_a_fresh_evaluation(
        model in 0usize..64,
        steps in prop::collection::vec((0u8..12, any::<u32>(), any::<u32>()), 1..7),
    ) {
        let models = models();
        let (name, text) = &models[model % models.len()];
        let m = Model::from_text(name, text, today()).expect("valid");
        let mut session = Session::new(kb(), m, EvalOptions::default()).expect("evaluates");
        for (kind, a, b) in steps {
            let Some(c) = change(&session, kind, a, b) else { continue };
            let before = session.findings().to_vec();
            match session.apply(&[c]) {
                Ok(delta) => {
                    let changed: Vec<String> = delta
                        .appeared
                        .iter()
                        .chain(&delta.vanished)
                        .map(|f| f.id.clone())
                        .chain(delta.changed.iter().map(|c| c.after.id.clone()))
                        .collect();
                    check_against_fresh(&session, &changed, a ^ b);
                }
                // A change the model refuses leaves the session as it was.
                Err(_) => prop_assert_eq!(session.findings(), before.as_slice()),
            }
        }
    }
}

/// The kinds of change above that touch only some subjects' records are applied in parts (not
/// by evaluating the whole model), so the property test exercises the incremental path.
#[test]
fn changes_to_records_are_applied_in_parts_and_shared_data_in_whole() {
    let (name, text) = models().last().expect("a generated model");
    let m = Model::from_text(name, text, today()).expect("valid");
    let mut session = Session::new(kb(), m, EvalOptions::default()).expect("evaluates");
    let company = session.model().company().expect("a model").clone();
    let consent = company.consents[3].id.clone();
    session
        .apply(&[Change::WithdrawConsent {
            consent,
            date: today(),
        }])
        .expect("applies");
    let c = &company.consents[5];
    session
        .apply(&[Change::Retract(format!(
            "consent_channel(\"{}\", \"{}\")",
            c.id,
            c.channels[0].as_str()
        ))])
        .expect("applies");
    assert_eq!(session.stats().partial, 2, "{:?}", session.stats());
    let mut s = company.systems[0].clone();
    s.hosting_country = "US".into();
    session
        .apply(&[Change::Put(Object::System(s))])
        .expect("applies");
    assert_eq!(session.stats().whole, 1);
    check_against_fresh(&session, &[], 1);
}
