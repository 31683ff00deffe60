//! `sphere remedies`: every remedy proposed for every finding of every model in `facts/` is
//! re-checked on a fresh session and removes its finding, lists exactly the findings that
//! appear with it, and changes nothing that cannot change; a property test does the same on
//! generated models; the command line's text, JSON and `--apply N -o FILE`.

use crate::sphere;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;
use sphere::remedies::{remedies, Remedies};
use sphere::session::{Change, Object};
use sphere::{Date, EvalOptions, Finding, KnowledgeBase, Model, Session};

fn today() -> Date {
    Date::parse("2025-06-16").expect("a date")
}

fn model_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("facts/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn same(a: &Finding, rule: &str, about: &str, subjects: &[String]) -> bool {
    a.rule == rule && a.about_id() == about && a.subjects == subjects
}

/// Applies each remedy to a fresh session on `model` and checks it: the finding (for a done
/// act, its next use's) is gone, the findings that appear are exactly those listed, and
/// every object put is new or a planned activity. Returns how many remedies were checked.
fn recheck(kb: &Arc<KnowledgeBase>, model: &Model, r: &Remedies) -> usize {
    let company = model.company().expect("model files");
    let f = &r.finding;
    for (n, m) in r.remedies.iter().enumerate() {
        let what = format!("{} remedy {}", f.id, n + 1);
        for c in &m.changes {
            match c {
                Change::Put(Object::Activity(a)) => {
                    assert_eq!(
                        a.status,
                        sphere_model::ActivityStatus::Planned,
                        "{what}: changes a done act"
                    );
                }
                Change::Put(Object::Consent(c))
                    if company.consents.iter().any(|x| x.id == c.id) =>
                {
                    // The one change to an existing consent: the parents' authorisation added
                    // (Art. 8 GDPR); everything else, the day it was given first, stays.
                    let old = company
                        .consents
                        .iter()
                        .find(|x| x.id == c.id)
                        .expect("checked");
                    assert!(
                        old.parental_authorisation.is_none() && c.parental_authorisation.is_some(),
                        "{what}: changes consent {} other than by adding the parents' authorisation",
                        c.id
                    );
                    let mut back = c.clone();
                    back.parental_authorisation = None;
                    assert_eq!(&back, old, "{what}: changes consent {}", c.id);
                }
                Change::Put(o) => {
                    let id = o.id().expect("objects with ids");
                    let exists = company.consents.iter().any(|x| x.id == id)
                        || company.notices.iter().any(|x| x.id == id)
                        || company.agreements.iter().any(|x| x.id == id);
                    assert!(!exists, "{what}: changes {id}, which exists");
                }
                other => panic!("{what}: unexpected change {other:?}"),
            }
        }
        let mut s =
            Session::new(Arc::clone(kb), model.clone(), EvalOptions::default()).expect("session");
        // For a done act the first change puts its next use: the baseline to compare with.
        let (setup, rest) = if r.done {
            m.changes.split_at(1)
        } else {
            m.changes.split_at(0)
        };
        let about = match setup.first() {
            Some(Change::Put(Object::Activity(a))) => a.id.clone(),
            _ => f.about_id().to_string(),
        };
        if !setup.is_empty() {
            s.apply(setup).expect("the next use is accepted");
        }
        assert!(
            s.try_outcome()
                .expect("the whole model evaluates")
                .findings()
                .iter()
                .any(|x| same(x, &f.rule, &about, &f.subjects)),
            "{what}: the finding is not there before the remedy"
        );
        let delta = s.apply(rest).expect("the remedy is accepted");
        assert!(
            !s.try_outcome()
                .expect("the whole model evaluates")
                .findings()
                .iter()
                .any(|x| same(x, &f.rule, &about, &f.subjects)),
            "{what}: the finding is still there"
        );
        let mut appeared: Vec<&str> = delta
            .appeared
            .iter()
            .chain(delta.changed.iter().map(|c| &c.after))
            .map(|x| x.id.as_str())
            .collect();
        appeared.sort();
        let mut listed: Vec<&str> = m.new_findings.iter().map(|x| x.id.as_str()).collect();
        listed.sort();
        assert_eq!(appeared, listed, "{what}: findings that appeared");
        let mut cured: Vec<&str> = delta.vanished.iter().map(|x| x.id.as_str()).collect();
        cured.sort();
        let mut claims: Vec<&str> = m.cures.iter().map(|x| x.id.as_str()).collect();
        claims.sort();
        assert_eq!(cured, claims, "{what}: findings cured");
    }
    for w in r.remedies.windows(2) {
        assert!(
            (w[0].steps.len(), std::cmp::Reverse(w[0].cures.len()))
                <= (w[1].steps.len(), std::cmp::Reverse(w[1].cures.len())),
            "{}: sorted by size, then by findings cured",
            f.id
        );
    }
    r.remedies.len()
}

#[test]
fn every_remedy_for_every_finding_in_facts_removes_its_finding() {
    let kb = Arc::new(KnowledgeBase::shipped().expect("kb"));
    let mut checked = 0;
    let mut with_remedy = 0;
    let mut findings = 0;
    for file in model_files() {
        let model = Model::from_files(&[&file], today()).expect("model");
        let outcome = kb
            .evaluate(&model, &EvalOptions::default())
            .expect("evaluates");
        let ids: Vec<String> = outcome.findings().iter().map(|f| f.id.clone()).collect();
        drop(outcome);
        for id in ids {
            let r =
                remedies(Arc::clone(&kb), &model, &EvalOptions::default(), &id).expect("remedies");
            findings += 1;
            let n = recheck(&kb, &model, &r);
            if n > 0 {
                with_remedy += 1;
            }
            checked += n;
        }
    }
    eprintln!("{with_remedy} of {findings} findings have a verified remedy; {checked} remedies re-checked");
    assert!(findings > 50, "{findings} findings");
    assert!(
        checked >= findings / 2,
        "{checked} remedies for {findings} findings"
    );
    assert!(
        with_remedy > findings / 3,
        "{with_remedy} of {findings} findings have a remedy"
    );
}

fn generated(seed: u64) -> Model {
    let cfg = sphere_model::gen::GenConfig::new(8, 16, seed);
    let mut text = Vec::new();
    sphere_model::gen::write_model(&cfg, &mut text).expect("generated");
    let text = String::from_utf8(text).expect("utf-8");
    Model::from_text("gen.json", &text, today()).expect("a generated model is valid")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]

    /// Applying a verified remedy never adds a finding the remedy did not list.
    #[test]
    fn a_verified_remedy_adds_no_finding_it_did_not_list(seed in 0u64..1_000_000, pick in 0usize..1000) {
        let kb = Arc::new(KnowledgeBase::shipped().expect("kb"));
        let model = generated(seed);
        let outcome = kb.evaluate(&model, &EvalOptions::default()).expect("evaluates");
        let ids: Vec<String> = outcome.findings().iter().map(|f| f.id.clone()).collect();
        drop(outcome);
        prop_assume!(!ids.is_empty());
        let id = &ids[pick % ids.len()];
        let r = remedies(Arc::clone(&kb), &model, &EvalOptions::default(), id).expect("remedies");
        recheck(&kb, &model, &r);
    }
}

#[test]
fn remedies_on_the_command_line_and_apply_writes_a_model_without_the_finding() {
    let (code, out, err) = sphere(&[
        "remedies",
        "facts/s04_phone_call.json",
        "F-dc0dcb7057fb09a2",
    ]);
    assert_eq!(code, Some(0), "{err}");
    insta::assert_snapshot!(out);

    let (code, out, err) = sphere(&[
        "remedies",
        "facts/s04_phone_call.json",
        "F-dc0dcb7057fb09a2",
        "--format",
        "json",
        "--lang",
        "de",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let first = &v["remedies"][0];
    assert_eq!(first["number"], 1);
    assert_eq!(first["changes"][0]["put"], "consents");
    assert_eq!(first["changes"][0]["object"]["channels"][0], "phone");
    assert!(
        first["steps"][0]
            .as_str()
            .expect("step")
            .starts_with("eine schriftliche Einwilligung von subj-karl-kaufmann"),
        "{first}"
    );

    let dir = std::env::temp_dir().join(format!("sphere-remedies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let fixed = dir.join("fixed.json");
    let fixed_s = fixed.to_str().expect("utf-8 path");
    let (code, _, err) = sphere(&[
        "remedies",
        "facts/s04_phone_call.json",
        "F-dc0dcb7057fb09a2",
        "--apply",
        "1",
        "-o",
        fixed_s,
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (_, out, _) = sphere(&["check", fixed_s, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["id"].as_str().expect("id"))
        .collect();
    assert!(!ids.contains(&"F-dc0dcb7057fb09a2"), "{ids:?}");
    assert!(!ids.is_empty(), "the other calls keep their findings");

    // A remedy that does not exist writes nothing.
    let other = dir.join("none.json");
    let (code, _, err) = sphere(&[
        "remedies",
        "facts/s04_phone_call.json",
        "F-dc0dcb7057fb09a2",
        "--apply",
        "99",
        "-o",
        other.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no remedy 99"), "{err}");
    assert!(!other.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

fn remedies_for(model: &Model, rule: &str, about: &str) -> Remedies {
    let kb = Arc::new(KnowledgeBase::shipped().expect("kb"));
    let outcome = kb
        .evaluate(model, &EvalOptions::default())
        .expect("evaluates");
    let f = outcome
        .findings()
        .iter()
        .find(|f| f.rule == rule && f.about_id() == about)
        .unwrap_or_else(|| panic!("a finding {rule} about {about}"))
        .clone();
    let r = remedies(Arc::clone(&kb), model, &EvalOptions::default(), &f.id).expect("remedies");
    assert!(recheck(&kb, model, &r) > 0, "{rule}: some remedy");
    r
}

#[test]
fn a_childs_consent_is_cured_by_the_parents_authorisation() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/demo_v2.json");
    let model = Model::from_files(&[&file], today()).expect("model");
    let r = remedies_for(&model, "gdpr_child_consent", "act-v2-newsletter-june");
    let parental = r
        .remedies
        .iter()
        .find(|m| {
            m.changes.iter().any(|c| {
                matches!(c, Change::Put(Object::Consent(c)) if c.parental_authorisation.is_some())
            })
        })
        .unwrap_or_else(|| panic!("a remedy obtains the parents' authorisation: {r:#?}"));
    assert_eq!(parental.steps.len(), 1, "one change cures it");
    assert!(
        parental.steps[0]
            .en
            .contains("holder of parental responsibility"),
        "{}",
        parental.steps[0].en
    );
    assert!(parental.steps[0].de.contains("elterlichen Verantwortung"));
}

#[test]
fn a_planned_transfer_after_a_certification_ends_is_moved_before_the_end() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s06_us_monitoring_clean.json");
    let text = std::fs::read_to_string(&file).expect("model");
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("json");
    // The DPF certification of the recipient ends on 2025-08-31; a transfer is planned after.
    // Without standard contractual clauses the certification is the only ground.
    json["parties"][0]["certifications"][1]["to"] = "2025-08-31".into();
    json["agreements"]
        .as_array_mut()
        .expect("agreements")
        .retain(|g| g["kind"] != "scc");
    let mut planned = json["activities"][3].clone();
    planned["id"] = "act-plan-transfer".into();
    planned["date"] = "2025-09-15".into();
    planned["status"] = "planned".into();
    json["activities"]
        .as_array_mut()
        .expect("activities")
        .push(planned);
    let model = Model::from_text("moved.json", &json.to_string(), today()).expect("valid");
    let kb = Arc::new(KnowledgeBase::shipped().expect("kb"));
    let outcome = kb
        .evaluate(&model, &EvalOptions::default())
        .expect("evaluates");
    let f = outcome
        .findings()
        .iter()
        .find(|f| f.about_id() == "act-plan-transfer" && f.needs_action())
        .unwrap_or_else(|| panic!("the planned transfer is blocked: {:#?}", outcome.findings()))
        .clone();
    let r = remedies(Arc::clone(&kb), &model, &EvalOptions::default(), &f.id).expect("remedies");
    recheck(&kb, &model, &r);
    let moved = r
        .remedies
        .iter()
        .find_map(|m| {
            m.changes.iter().find_map(|c| match c {
                Change::Put(Object::Activity(a))
                    if a.id == "act-plan-transfer" && m.steps.len() == 1 =>
                {
                    a.date.map(Date::from)
                }
                _ => None,
            })
        })
        .unwrap_or_else(|| panic!("a remedy moves the date: {r:#?}"));
    let end = Date::parse("2025-08-31").expect("date");
    assert!(
        moved >= today() && moved <= end,
        "moved to {moved}, not between today and the end of the certification"
    );
}
