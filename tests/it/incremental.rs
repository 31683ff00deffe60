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
    Some(match kind % 13 {
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
        12 => {
            // A mailing to several subjects reaches one more (or one fewer).
            let mut x = pick(&m.activities, a)?.clone();
            let s = pick(&m.subjects, b)?;
            if x.subjects.contains(&s.id) && x.subjects.len() > 1 {
                x.subjects.retain(|t| *t != s.id);
            } else if !x.subjects.contains(&s.id) {
                x.subjects.push(s.id.clone());
            }
            Change::Put(Object::Activity(x))
        }
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
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn findings_after_random_changes_equal_a_fresh_evaluation(
        model in 0usize..64,
        steps in prop::collection::vec((0u8..13, any::<u32>(), any::<u32>()), 1..7),
    ) {
        let models = models();
        let (name, text) = &models[model % models.len()];
        let m = Model::from_text(name, text, today()).expect("valid");
        let mut session = Session::new(kb(), m, EvalOptions::default()).expect("evaluates");
        for (kind, a, b) in steps {
            let Some(c) = change(&session, kind, a, b) else { continue };
            // Some batches hold two changes (drawn on the model before either).
            let mut batch = vec![c];
            if a % 3 == 0 {
                if let Some(c2) = change(&session, kind.wrapping_add(b as u8 % 11), b, a) {
                    batch.push(c2);
                }
            }
            let before = session.findings().to_vec();
            let model_before = session.model().to_json().expect("writes");
            match session.apply(&batch) {
                Ok(delta) => {
                    let changed: Vec<String> = delta
                        .appeared
                        .iter()
                        .chain(&delta.vanished)
                        .map(|f| f.id.clone())
                        .chain(delta.changed.iter().map(|c| c.after.id.clone()))
                        .collect();
                    check_against_fresh(&session, &changed, a ^ b);
                    // What a session accepts, a model file would: the changed model validates.
                    let mut errors = Vec::new();
                    sphere_model::validate::validate(
                        session.model().company().expect("a model"),
                        &mut errors,
                    );
                    prop_assert!(errors.is_empty(), "{errors:?}");
                }
                // A change the model refuses leaves the session as it was.
                Err(_) => {
                    prop_assert_eq!(session.findings(), before.as_slice());
                    prop_assert_eq!(session.model().to_json().expect("writes"), model_before);
                }
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

fn generated_session() -> Session {
    let (name, text) = models().last().expect("a generated model");
    let m = Model::from_text(name, text, today()).expect("valid");
    Session::new(kb(), m, EvalOptions::default()).expect("evaluates")
}

/// A batch with one change the model refuses is refused whole: the changes before it in the
/// batch are not made either, on the path through the parts and on the whole model's.
#[test]
fn a_batch_with_a_refused_change_changes_nothing() {
    let mut session = generated_session();
    let company = session.model().company().expect("a model").clone();
    let findings = session.findings().to_vec();
    let suppressed = session.suppressed().to_vec();
    let json = session.model().to_json().expect("writes");
    let digest = session.model().digest().to_string();
    let stats = session.stats();
    // A withdrawal that would apply, an activity that would apply, then a subject removed
    // that its consents and activities still name.
    let mut call = company
        .activities
        .iter()
        .find(|a| findings.iter().any(|f| f.about_id() == a.id))
        .expect("an activity with a finding")
        .clone();
    call.id = "act-new-call".into();
    let consent = &company.consents[1];
    let refused = [
        vec![
            Change::WithdrawConsent {
                consent: consent.id.clone(),
                date: today(),
            },
            Change::Put(Object::Activity(call.clone())),
            Change::Remove {
                section: Section::Subjects,
                id: consent.subject.clone(),
            },
        ],
        // A new activity naming a subject that does not exist.
        vec![Change::Put(Object::Activity({
            let mut x = call.clone();
            x.subjects = vec!["subj-nobody".into()];
            x
        }))],
        // A new consent whose id is an activity's.
        vec![Change::Put(Object::Consent({
            let mut c = consent.clone();
            c.id = company.activities[5].id.clone();
            c
        }))],
        // An activity removed that another activity was triggered by, or a campaign lists.
        company
            .activities
            .iter()
            .find_map(|a| a.triggered_by.clone())
            .into_iter()
            .chain(
                company
                    .campaigns
                    .iter()
                    .flat_map(|c| c.activities.first().cloned()),
            )
            .take(1)
            .map(|id| Change::Remove {
                section: Section::Activities,
                id,
            })
            .collect(),
    ];
    for batch in refused {
        assert!(!batch.is_empty(), "the model has a reference to remove");
        let e = session.apply(&batch).expect_err("refused");
        assert_eq!(e.kind(), sphere::ErrorKind::Model, "{}", e.render(false));
        assert_eq!(session.findings(), findings.as_slice());
        assert_eq!(session.suppressed(), suppressed.as_slice());
        assert_eq!(session.model().to_json().expect("writes"), json);
        assert_eq!(session.model().digest(), digest);
        assert_eq!(session.stats(), stats);
    }
    // The same batch without the removal is made, in parts.
    let delta = session
        .apply(&[
            Change::WithdrawConsent {
                consent: consent.id.clone(),
                date: today(),
            },
            Change::Put(Object::Activity(call)),
        ])
        .expect("applies");
    assert!(
        delta
            .appeared
            .iter()
            .any(|f| f.about_id() == "act-new-call"),
        "the new call is judged like the one it copies: {delta:?}"
    );
    assert_eq!(session.stats().partial, stats.partial + 1);
    assert_ne!(session.model().digest(), digest);
    check_against_fresh(&session, &[], 3);
}

/// A consent cannot be withdrawn before it was given: refused as a model file with both dates
/// would be, on the path through the parts too.
#[test]
fn a_withdrawal_dated_before_the_consent_is_refused() {
    let mut session = generated_session();
    let consent = session.model().company().expect("a model").consents[2].clone();
    let json = session.model().to_json().expect("writes");
    let given: Date = consent.given.into();
    let e = session
        .apply(&[Change::WithdrawConsent {
            consent: consent.id.clone(),
            date: Date(given.0 - 1),
        }])
        .expect_err("before it was given");
    assert_eq!(e.kind(), sphere::ErrorKind::Model);
    let p = &e.problems()[0];
    assert_eq!(p.code.as_deref(), Some("contradiction"), "{p:?}");
    assert!(p.message.contains("before it was given"), "{}", p.message);
    assert_eq!(session.model().to_json().expect("writes"), json);
    // On the day it was given, it can be withdrawn.
    session
        .apply(&[Change::WithdrawConsent {
            consent: consent.id.clone(),
            date: given,
        }])
        .expect("the same day");
    check_against_fresh(&session, &[], 5);
}

/// New and changed records (an activity added, a consent changed, an objection) are applied in
/// parts: checked on their part of the model, not by validating and copying the whole.
#[test]
fn records_put_are_applied_in_parts() {
    let mut session = generated_session();
    let company = session.model().company().expect("a model").clone();
    let mut call = company.activities[7].clone();
    call.id = "act-put-in-parts".into();
    let mut consent = company.consents[4].clone();
    consent.channels.retain(|c| c.as_str() != "email");
    let objection: sphere_model::Objection = serde_json::from_value(serde_json::json!({
        "subject": company.subjects[3].id,
        "scope": "direct_marketing",
        "date": "2025-01-02",
    }))
    .expect("an objection");
    for batch in [
        vec![Change::Put(Object::Activity(call))],
        vec![Change::Put(Object::Consent(consent))],
        vec![Change::Put(Object::Objection(objection.clone()))],
        vec![Change::RemoveObjection(objection)],
    ] {
        session.apply(&batch).expect("applies");
        check_against_fresh(&session, &[], 7);
    }
    assert_eq!(session.stats().partial, 4, "{:?}", session.stats());
    assert_eq!(session.stats().whole, 0);
}

/// Many changes in parts: the evaluations of the oldest parts are let go (memory stays
/// bounded), no whole evaluation is made, and their findings are still explained as a fresh
/// evaluation explains them.
#[test]
fn many_changes_stay_in_parts_and_old_parts_are_still_explained() {
    let mut text = Vec::new();
    sphere_model::gen::write_model(&sphere_model::gen::GenConfig::new(150, 300, 11), &mut text)
        .expect("generated");
    let text = String::from_utf8(text).expect("UTF-8");
    let m = Model::from_text("gen-150.json", &text, today()).expect("valid");
    let mut session = Session::new(kb(), m, EvalOptions::default()).expect("evaluates");
    let company = session.model().company().expect("a model").clone();
    // One consent of each of 80 subjects, withdrawn.
    let mut seen = std::collections::BTreeSet::new();
    let consents: Vec<_> = company
        .consents
        .iter()
        .filter(|c| c.withdrawn.is_none() && seen.insert(c.subject.clone()))
        .take(80)
        .collect();
    assert!(consents.len() > 70, "{} consents", consents.len());
    let mut changed = Vec::new();
    for c in &consents {
        let delta = session
            .apply(&[Change::WithdrawConsent {
                consent: c.id.clone(),
                date: today(),
            }])
            .expect("applies");
        changed.extend(delta.appeared.iter().map(|f| f.id.clone()));
        changed.extend(delta.changed.iter().map(|c| c.after.id.clone()));
    }
    assert_eq!(session.stats().whole, 0, "{:?}", session.stats());
    // The findings about the first subjects changed, whose parts were let go, among them.
    let first = &consents[0].subject;
    changed.extend(
        session
            .findings()
            .iter()
            .filter(|f| f.subjects.contains(first))
            .map(|f| f.id.clone()),
    );
    check_against_fresh(&session, &changed, 9);
}

/// An activity that names several subjects (a mailing) does not join them: a part for one
/// subject holds the activity whole, but not the records of its other subjects, so that a
/// change to one subject's consent re-evaluates that subject, not everyone the mailing
/// reached. The findings stay those of a fresh evaluation.
#[test]
fn a_mailing_to_several_subjects_does_not_join_them_into_one_part() {
    let (name, text) = models().last().expect("a generated model");
    let m = Model::from_text(name, text, today()).expect("valid");
    let mut session = Session::new(kb(), m, EvalOptions::default()).expect("evaluates");
    let company = session.model().company().expect("a model").clone();
    let mut shown = 0;
    for a in company.activities.iter().filter(|a| a.subjects.len() > 2) {
        let first = &a.subjects[0];
        let part = session.part_model([first]).expect("parts");
        let part = part.company().expect("a model");
        // The mailing, whole, with every subject it names.
        let held = part
            .activities
            .iter()
            .find(|x| x.id == a.id)
            .expect("the activity is in its subject's part");
        assert_eq!(held.subjects, a.subjects);
        // The subject's records, and of the mailing's other subjects only what names them
        // (their subject records), not their consents.
        let ids: Vec<&str> = part.subjects.iter().map(|s| s.id.as_str()).collect();
        assert!(ids.contains(&first.as_str()));
        let held: Vec<&str> = part.consents.iter().map(|c| c.id.as_str()).collect();
        for c in company.consents.iter().filter(|c| &c.subject == first) {
            assert!(held.contains(&c.id.as_str()), "{} missing", c.id);
        }
        if company
            .consents
            .iter()
            .any(|c| a.subjects[1..].contains(&c.subject) && !held.contains(&c.id.as_str()))
        {
            shown += 1;
        }
        assert!(part.consents.len() < company.consents.len());
    }
    assert!(shown > 0, "no mailing whose subjects stay apart");
    // A consent of one mailed subject withdrawn: applied in parts, equal to a fresh check.
    let a = company
        .activities
        .iter()
        .find(|a| {
            a.subjects.len() > 2 && company.consents.iter().any(|c| c.subject == a.subjects[1])
        })
        .expect("a mailing to a subject with a consent");
    let consent = company
        .consents
        .iter()
        .find(|c| c.subject == a.subjects[1])
        .expect("a consent");
    session
        .apply(&[Change::WithdrawConsent {
            consent: consent.id.clone(),
            date: today(),
        }])
        .expect("applies");
    assert_eq!(session.stats().partial, 1);
    // The subject's records and activities, not the model's.
    let records = company.subjects.len() + company.activities.len() + company.consents.len();
    assert!(
        session.stats().last_part * 4 < records,
        "a part of {} ids of {records}",
        session.stats().last_part
    );
    check_against_fresh(&session, &[], 7);
}

/// A gate on a part of the model (the CLI's `gate::gate_model`, and `Session::gate` as the
/// server calls it) answers as the gate on a whole evaluation: the same decision, findings,
/// facts digests and receipt, for activities with one subject and mailings to several, on the
/// demo models and a generated one.
#[test]
fn a_gate_on_a_part_answers_as_the_gate_on_the_whole_model() {
    use sphere::gate::{self, Request};
    use sphere::journal::{Config, Journal};
    let time = jiff::Timestamp::from_second(1_750_000_000).expect("a time");
    let request = || Request {
        actor: "crm".into(),
        time,
        engine_version: "sphere test".into(),
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut n = 0;
    let mut mailings = 0;
    for (name, text) in models() {
        let model = Model::from_text(name, text, today()).expect("valid");
        let company = model.company().expect("a model").clone();
        let base = kb();
        let whole = base
            .evaluate(&model, &EvalOptions::default())
            .expect("evaluates");
        let session = Session::new(kb(), model.clone(), EvalOptions::default()).expect("evaluates");
        for (k, a) in company.activities.iter().enumerate().step_by(7).take(12) {
            n += 1;
            if a.subjects.len() > 1 {
                mailings += 1;
            }
            let mut answers = Vec::new();
            for way in 0..3 {
                let path = dir.path().join(format!("{n}-{k}-{way}.db"));
                let mut j = Journal::open(&path, &Config::create()).expect("a journal");
                let g = match way {
                    0 => gate::gate(&mut j, &whole, &a.id, &request()),
                    1 => gate::gate_model(
                        &mut j,
                        &base,
                        &model,
                        &EvalOptions::default(),
                        &a.id,
                        &request(),
                    ),
                    _ => session.gate(&mut j, &a.id, &request()),
                }
                .expect("gated");
                let mut v = sphere::render::gate::gated(&g, sphere::Lang::En);
                v.as_object_mut().expect("an object").remove("journal_head");
                answers.push(v);
            }
            assert_eq!(answers[0], answers[1], "{name}: {} (gate_model)", a.id);
            assert_eq!(answers[0], answers[2], "{name}: {} (Session::gate)", a.id);
        }
    }
    assert!(mailings > 0, "no activity with several subjects gated");
}

/// A bound on the evaluation that the model just meets: a subject added is applied in parts,
/// each within the bound, but the whole model passes it. The whole outcome is then the
/// bound's error (every time it is asked for, never a panic), and the session still answers
/// from its parts.
#[test]
fn a_whole_model_past_its_bound_after_changes_in_parts_is_the_bounds_error() {
    let bound = crate::bounded_model_tuples();
    let text = std::fs::read_to_string(crate::BOUNDED_MODEL).expect("the fixture");
    let m = Model::from_text(crate::BOUNDED_MODEL, &text, today()).expect("valid");
    let options = EvalOptions {
        limits: sphere::Limits {
            max_tuples: Some(bound),
            ..sphere::Limits::NONE
        },
        ..EvalOptions::default()
    };
    let mut session = Session::new(kb(), m, options).expect("the model meets its bound");
    assert!(session.try_outcome().is_ok());
    let subject: sphere_model::Subject = serde_json::from_value(serde_json::json!({
        "id": "subj-new-customer",
        "name": "New Customer",
        "kind": "consumer",
        "country": "DE",
    }))
    .expect("a subject");
    session
        .apply(&[Change::Put(Object::Subject(subject))])
        .expect("the part of the new subject stays within the bound");
    assert_eq!(session.stats().partial, 1, "{:?}", session.stats());
    for _ in 0..2 {
        let e = session
            .try_outcome()
            .err()
            .expect("the whole model passes the bound");
        assert_eq!(e.kind(), sphere::ErrorKind::Evaluation);
        assert!(
            e.message()
                .contains(&format!("the relations together grew past {bound} tuples")),
            "{}",
            e.message()
        );
    }
    // The parts still answer, and they are what the changed model gives without the bound.
    let kb = kb();
    let fresh = kb
        .evaluate(session.model(), &EvalOptions::default())
        .expect("evaluates without the bound");
    assert!(crate::total_tuples(&fresh) > bound);
    assert_eq!(session.findings(), fresh.findings());
    assert_eq!(session.suppressed(), fresh.suppressed());
}
