//! Why-not in words: every negated premise of every finding of every model in `facts/` is
//! explained (and really is absent), near misses name what is on record instead of what was
//! needed, compared dates are named by what they are, and `--why-not RULE ACTIVITY` / the
//! REPL's `whynot RULE ACTIVITY` answer why a finding rule did not fire.

use crate::sphere;
use std::path::Path;

use sphere::explain::{Derivation, Premise, Step};
use sphere::whynot::{RuleAnswer, Status, WhyNot};
use sphere::{Date, EvalOptions, KnowledgeBase, Lang, Model};

fn today() -> Date {
    Date::parse("2025-06-16").expect("a date")
}

fn model_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("facts/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn absent_premises(d: &Derivation, out: &mut Vec<String>) {
    let mut stack = vec![d];
    while let Some(d) = stack.pop() {
        if let Step::Rule(r) = &d.step {
            for p in r.premises.iter().rev() {
                match p {
                    Premise::Holds(sub) => stack.push(sub),
                    Premise::Absent(text) => {
                        if !out.contains(text) {
                            out.push(text.clone());
                        }
                    }
                    Premise::Compare(_) => {}
                }
            }
        }
    }
}

fn all_text(w: &WhyNot, lang: Lang, out: &mut Vec<String>) {
    out.push(w.words.get(lang).to_string());
    if let Status::Rules(tries) = &w.status {
        for t in tries {
            for c in &t.candidates {
                out.push(c.reason.get(lang).to_string());
                if let Some(n) = &c.nested {
                    all_text(n, lang, out);
                }
            }
        }
    }
}

#[test]
fn every_negated_premise_of_every_finding_is_explained_in_words() {
    let kb = KnowledgeBase::shipped().expect("kb");
    let mut explained = 0;
    for file in model_files() {
        let model = Model::from_files(&[&file], today()).expect("model");
        let outcome = kb
            .evaluate(&model, &EvalOptions::default())
            .expect("evaluates");
        for f in outcome.findings() {
            let e = outcome.explain(&f.id).expect("explains");
            let mut absent = Vec::new();
            absent_premises(e.derivation.as_ref().expect("tree"), &mut absent);
            let facts: Vec<String> = e.why_not.iter().map(|w| w.fact.clone()).collect();
            let mut sorted_absent = absent.clone();
            sorted_absent.sort();
            let mut sorted_facts = facts.clone();
            sorted_facts.sort();
            assert_eq!(sorted_absent, sorted_facts, "{} {}", file.display(), f.id);
            for w in &e.why_not {
                assert_ne!(w.status, Status::Holds, "{}: {} holds", f.id, w.fact);
                for lang in [Lang::En, Lang::De] {
                    let mut texts = Vec::new();
                    all_text(w, lang, &mut texts);
                    for t in texts {
                        assert!(!t.is_empty(), "{}: empty words for {}", f.id, w.fact);
                        assert!(!t.contains('{'), "{}: unfilled template `{t}`", f.id);
                    }
                }
                explained += 1;
            }
        }
    }
    assert!(explained > 50, "only {explained} negated premises met");
}

/// Karl's phone call of scenario 4 with a consent on file that covers e-mail only.
fn call_with_email_consent() -> Model {
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s04_phone_call.json"),
    )
    .expect("fixture");
    let consent = r#"{"format": "sphere-model/1", "consents": [{
        "id": "c-karl-1", "subject": "subj-karl-kaufmann", "purposes": ["sales"],
        "channels": ["email"], "given": "2025-01-10", "form": "written",
        "documented": true, "informed": true
    }]}"#;
    Model::from_texts(&[("s04.json", &base), ("consent.json", consent)], today()).expect("model")
}

#[test]
fn a_consent_for_another_channel_is_named_with_the_channel_it_covers() {
    let kb = KnowledgeBase::shipped().expect("kb");
    let model = call_with_email_consent();
    let outcome = kb
        .evaluate(&model, &EvalOptions::default())
        .expect("evaluates");
    let f = outcome
        .findings()
        .iter()
        .find(|f| f.rule == "uwg_phone_without_consent" && f.about_id() == "act-s4-call")
        .expect("the call still lacks a phone consent");
    let e = outcome.explain(&f.id).expect("explains");
    let w = e
        .why_not
        .iter()
        .find(|w| w.fact.starts_with("ad_consent("))
        .expect("the missing consent is explained");
    let en = w.reasons(Lang::En);
    assert!(
        en.contains(&"consent c-karl-1 covers channel email, not phone"),
        "{en:#?}"
    );
    let de = w.reasons(Lang::De);
    assert!(
        de.contains(&"Einwilligung c-karl-1 umfasst den Kanal email, nicht phone"),
        "{de:#?}"
    );
    let text = sphere::render::text::explanation(&e, Lang::En);
    assert!(
        text.contains("consent c-karl-1 covers channel email, not phone"),
        "{text}"
    );
}

#[test]
fn compared_dates_are_named_by_what_they_are() {
    let kb = KnowledgeBase::shipped().expect("kb");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s10_newsletter_selection.json");
    let model = Model::from_files(&[file], today()).expect("model");
    let outcome = kb
        .evaluate(&model, &EvalOptions::default())
        .expect("evaluates");
    let f = outcome
        .findings()
        .iter()
        .find(|f| f.rule == "gdpr_objector_selected_for_email")
        .expect("the objector is selected");
    let e = outcome.explain(&f.id).expect("explains");
    let reasons: Vec<&str> = e.why_not.iter().flat_map(|w| w.reasons(Lang::En)).collect();
    assert!(
        reasons.contains(
            &"the date consent cns-s10-stefan-newsletter was given (2023-09-14) is not after the objection of subj-stefan-braun (2024-11-05)"
        ),
        "{reasons:#?}"
    );
}

#[test]
fn a_rule_that_does_not_fire_is_explained_and_one_that_does_is_named() {
    let kb = KnowledgeBase::shipped().expect("kb");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s04_phone_call_clean.json");
    let model = Model::from_files(&[file], today()).expect("model");
    let outcome = kb
        .evaluate(&model, &EvalOptions::default())
        .expect("evaluates");
    let answer = outcome
        .why_not_rule("uwg_phone_without_consent", "act-s4-call")
        .expect("answers");
    let RuleAnswer::Not(w) = &answer else {
        panic!("the clean call is not flagged: {answer:?}")
    };
    let reasons = w.reasons(Lang::En);
    assert!(
        reasons.iter().any(|r| r.contains(
            "subj-karl-kaufmann gave prior express consent to advertising by act-s4-call"
        )),
        "{reasons:#?}"
    );

    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/s04_phone_call.json");
    let model = Model::from_files(&[file], today()).expect("model");
    let outcome = kb
        .evaluate(&model, &EvalOptions::default())
        .expect("evaluates");
    let answer = outcome
        .why_not_rule("uwg_phone_without_consent", "act-s4-call")
        .expect("answers");
    let ids: Vec<String> = outcome
        .findings()
        .iter()
        .filter(|f| f.rule == "uwg_phone_without_consent" && f.about_id() == "act-s4-call")
        .map(|f| f.id.clone())
        .collect();
    assert_eq!(answer, RuleAnswer::Fires(ids));

    let e = outcome
        .why_not_rule("uwg_phone_without_consen", "act-s4-call")
        .expect_err("unknown rule");
    assert_eq!(e.message(), "no finding rule `uwg_phone_without_consen`");
    assert_eq!(e.hint(), Some("did you mean `uwg_phone_without_consent`?"));
}

#[test]
fn explain_why_not_answers_in_text_and_json_and_dot_shows_the_words() {
    let (code, out, err) = sphere(&[
        "explain",
        "facts/s04_phone_call_clean.json",
        "--why-not",
        "uwg_phone_without_consent",
        "act-s4-call",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("no finding_raw(\"uwg_phone_without_consent\", \"act-s4-call\", _, _): rule uwg_phone_without_consent does not apply to act-s4-call\n"), "{out}");
    assert!(out.contains("which rules it out"), "{out}");

    let (code, out, err) = sphere(&[
        "explain",
        "facts/s04_phone_call_clean.json",
        "--why-not",
        "uwg_phone_without_consent",
        "act-s4-call",
        "--format",
        "json",
        "--lang",
        "de",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["rule"], "uwg_phone_without_consent");
    assert_eq!(
        v["why_not"]["words"],
        "Regel uwg_phone_without_consent greift für act-s4-call nicht"
    );
    assert!(!v["why_not"]["rules"].as_array().expect("rules").is_empty());

    let (code, out, err) = sphere(&[
        "explain",
        "facts/s04_phone_call.json",
        "F-dc0dcb7057fb09a2",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let facts: Vec<&str> = v["why_not"]
        .as_array()
        .expect("why_not")
        .iter()
        .map(|w| w["fact"].as_str().expect("fact"))
        .collect();
    assert!(
        facts.contains(&"ad_consent(\"act-s4-call\", \"subj-karl-kaufmann\")"),
        "{facts:?}"
    );

    let (code, out, err) = sphere(&[
        "explain",
        "facts/s04_phone_call.json",
        "F-dc0dcb7057fb09a2",
        "--format",
        "dot",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains(
            "subj-karl-kaufmann gave no prior express consent to advertising by act-s4-call"
        ),
        "{out}"
    );

    let (code, _, err) = sphere(&[
        "explain",
        "facts/s04_phone_call.json",
        "--why-not",
        "no_such_rule",
        "act-s4-call",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no finding rule `no_such_rule`"), "{err}");
}
