//! A session: for front ends that evaluate many times (the REPL, the gate, the server). It
//! holds the knowledge base, the model and the current outcome, and takes typed changes to
//! the model (an object added, replaced or removed, a consent withdrawn, a fact assumed or
//! retracted, another date), answering with the findings that appeared, vanished or changed.
//!
//! [`Session::apply`] re-evaluates the whole changed model today. Its contract is only that the
//! outcome afterwards equals a fresh evaluation of the changed model, so a later version can
//! re-evaluate only what a change can reach without changing a caller.

use std::collections::BTreeMap;
use std::sync::Arc;

use sphere_engine::Date;
use sphere_model::{
    Activity, Agreement, Assessment, Campaign, Consent, Flow, Guideline, Notice, Objection, Party,
    Section, Source, Staff, Subject, System,
};

use crate::error::{Error, ErrorKind, Result};
use crate::facts::Assumption;
use crate::findings::Finding;
use crate::kb::KnowledgeBase;
use crate::model::Model;
use crate::outcome::{EvalOptions, Outcome};

self_cell::self_cell!(
    /// The knowledge base and the outcome that borrows it.
    struct Evaluated {
        owner: Arc<KnowledgeBase>,
        #[covariant]
        dependent: Outcome,
    }
);

/// One object of a model section.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Staff(Staff),
    Party(Party),
    System(System),
    Agreement(Agreement),
    Assessment(Assessment),
    Source(Source),
    Subject(Subject),
    Consent(Consent),
    Objection(Objection),
    Notice(Notice),
    Flow(Flow),
    Activity(Activity),
    Campaign(Campaign),
    Guideline(Guideline),
}

/// Calls `$body` with `$v` bound to the list of `$section` in `$model` (mutable or not).
macro_rules! with_list {
    ($model:expr, $section:expr, |$v:ident| $body:expr) => {
        match $section {
            Section::Staff => {
                let $v = &mut $model.staff;
                $body
            }
            Section::Parties => {
                let $v = &mut $model.parties;
                $body
            }
            Section::Systems => {
                let $v = &mut $model.systems;
                $body
            }
            Section::Agreements => {
                let $v = &mut $model.agreements;
                $body
            }
            Section::Assessments => {
                let $v = &mut $model.assessments;
                $body
            }
            Section::Sources => {
                let $v = &mut $model.sources;
                $body
            }
            Section::Subjects => {
                let $v = &mut $model.subjects;
                $body
            }
            Section::Consents => {
                let $v = &mut $model.consents;
                $body
            }
            Section::Objections => {
                let $v = &mut $model.objections;
                $body
            }
            Section::Notices => {
                let $v = &mut $model.notices;
                $body
            }
            Section::Flows => {
                let $v = &mut $model.flows;
                $body
            }
            Section::Activities => {
                let $v = &mut $model.activities;
                $body
            }
            Section::Campaigns => {
                let $v = &mut $model.campaigns;
                $body
            }
            Section::Guidelines => {
                let $v = &mut $model.guidelines;
                $body
            }
        }
    };
}

/// The id of an object (objections have none).
trait Keyed {
    fn key(&self) -> Option<&str>;
}

macro_rules! keyed {
    ($($t:ty),*) => { $(impl Keyed for $t { fn key(&self) -> Option<&str> { Some(&self.id) } })* };
}
keyed!(
    Staff, Party, System, Agreement, Assessment, Source, Subject, Consent, Notice, Flow, Activity,
    Campaign, Guideline
);

impl Keyed for Objection {
    fn key(&self) -> Option<&str> {
        None
    }
}

impl Object {
    /// The section the object belongs to.
    pub fn section(&self) -> Section {
        match self {
            Object::Staff(_) => Section::Staff,
            Object::Party(_) => Section::Parties,
            Object::System(_) => Section::Systems,
            Object::Agreement(_) => Section::Agreements,
            Object::Assessment(_) => Section::Assessments,
            Object::Source(_) => Section::Sources,
            Object::Subject(_) => Section::Subjects,
            Object::Consent(_) => Section::Consents,
            Object::Objection(_) => Section::Objections,
            Object::Notice(_) => Section::Notices,
            Object::Flow(_) => Section::Flows,
            Object::Activity(_) => Section::Activities,
            Object::Campaign(_) => Section::Campaigns,
            Object::Guideline(_) => Section::Guidelines,
        }
    }

    /// The object's id; `None` for an objection.
    pub fn id(&self) -> Option<&str> {
        match self {
            Object::Staff(x) => x.key(),
            Object::Party(x) => x.key(),
            Object::System(x) => x.key(),
            Object::Agreement(x) => x.key(),
            Object::Assessment(x) => x.key(),
            Object::Source(x) => x.key(),
            Object::Subject(x) => x.key(),
            Object::Consent(x) => x.key(),
            Object::Objection(x) => x.key(),
            Object::Notice(x) => x.key(),
            Object::Flow(x) => x.key(),
            Object::Activity(x) => x.key(),
            Object::Campaign(x) => x.key(),
            Object::Guideline(x) => x.key(),
        }
    }

    /// The object as model JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            Object::Staff(x) => serde_json::to_value(x),
            Object::Party(x) => serde_json::to_value(x),
            Object::System(x) => serde_json::to_value(x),
            Object::Agreement(x) => serde_json::to_value(x),
            Object::Assessment(x) => serde_json::to_value(x),
            Object::Source(x) => serde_json::to_value(x),
            Object::Subject(x) => serde_json::to_value(x),
            Object::Consent(x) => serde_json::to_value(x),
            Object::Objection(x) => serde_json::to_value(x),
            Object::Notice(x) => serde_json::to_value(x),
            Object::Flow(x) => serde_json::to_value(x),
            Object::Activity(x) => serde_json::to_value(x),
            Object::Campaign(x) => serde_json::to_value(x),
            Object::Guideline(x) => serde_json::to_value(x),
        };
        v.expect("model objects serialise")
    }
}

/// A change to the model of a session.
// Changes are few and short-lived: an object inline is simpler to build than a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Adds the object, or replaces the object of its section with the same id. An objection
    /// (it has no id) is added unless an equal one is there.
    Put(Object),
    /// Removes the object with this id from a section.
    Remove { section: Section, id: String },
    /// Removes the objections equal to this one.
    RemoveObjection(Objection),
    /// The data subject withdrew the consent on this date.
    WithdrawConsent { consent: String, date: Date },
    /// Assumes a fact (what-if): `consent_channel("c1", "phone")`; for a fact retracted before,
    /// takes the retraction back.
    Assume(String),
    /// Takes back an assumption, or leaves a fact of the model out (what-if).
    Retract(String),
    /// Evaluates on another date.
    AsOf(Date),
}

/// What changed in the findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delta {
    /// Findings that are new.
    pub appeared: Vec<Finding>,
    /// Findings that are gone.
    pub vanished: Vec<Finding>,
    /// Findings with the same id whose content changed (decision, date, message...).
    pub changed: Vec<Changed>,
}

/// A finding before and after a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    pub before: Finding,
    pub after: Finding,
}

impl Delta {
    /// Nothing appeared, vanished or changed.
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.vanished.is_empty() && self.changed.is_empty()
    }

    /// The difference between two lists of findings.
    pub fn between(before: &[Finding], after: &[Finding]) -> Delta {
        let mut old: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in before {
            old.entry(&f.id).or_default().push(f);
        }
        let mut new: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in after {
            new.entry(&f.id).or_default().push(f);
        }
        let mut delta = Delta::default();
        for (id, mut olds) in old {
            let mut news = new.remove(id).unwrap_or_default();
            // Equal findings pair first; what is left pairs in order as changed.
            olds.retain(|o| match news.iter().position(|n| n == o) {
                Some(i) => {
                    news.remove(i);
                    false
                }
                None => true,
            });
            let paired = olds.len().min(news.len());
            for (o, n) in olds.iter().zip(&news) {
                delta.changed.push(Changed {
                    before: (*o).clone(),
                    after: (*n).clone(),
                });
            }
            delta
                .vanished
                .extend(olds[paired..].iter().map(|f| (*f).clone()));
            delta
                .appeared
                .extend(news[paired..].iter().map(|f| (*f).clone()));
        }
        for news in new.into_values() {
            delta.appeared.extend(news.into_iter().cloned());
        }
        let key = |f: &Finding| (f.about_id().to_string(), f.rule.clone(), f.id.clone());
        delta.appeared.sort_by_key(key);
        delta.vanished.sort_by_key(key);
        delta.changed.sort_by_key(|c| key(&c.after));
        delta
    }
}

/// A knowledge base, a model and the outcome of evaluating one on the other, kept current
/// under changes.
pub struct Session {
    model: Model,
    options: EvalOptions,
    evaluated: Evaluated,
    /// Batches of changes applied so far (names the origin of objects they add).
    batches: usize,
}

impl Session {
    /// Evaluates `kb` on `model` with `options`.
    pub fn new(kb: Arc<KnowledgeBase>, model: Model, options: EvalOptions) -> Result<Session> {
        let evaluated = Evaluated::try_new(kb, |kb| kb.evaluate(&model, &options))?;
        Ok(Session {
            model,
            options,
            evaluated,
            batches: 0,
        })
    }

    pub fn kb(&self) -> &Arc<KnowledgeBase> {
        self.evaluated.borrow_owner()
    }

    /// The model as changed so far.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The options, with the assumptions and retractions made so far.
    pub fn options(&self) -> &EvalOptions {
        &self.options
    }

    /// The current outcome: equal to a fresh evaluation of [`Session::model`] with
    /// [`Session::options`].
    pub fn outcome(&self) -> &Outcome<'_> {
        self.evaluated.borrow_dependent()
    }

    /// Applies changes (all or none: a change that fails, or a model that no longer
    /// validates, leaves the session as it was) and re-evaluates. Objects added come from a
    /// batch named `changes-<n>` in explanations.
    pub fn apply(&mut self, changes: &[Change]) -> Result<Delta> {
        let name = format!("changes-{}", self.batches + 1);
        self.apply_as(&name, changes)
    }

    /// [`Session::apply`], naming the batch (a request id, a file): objects it adds are
    /// explained as coming from `name` at `$.<section>[i]`, and problems name it.
    pub fn apply_as(&mut self, name: &str, changes: &[Change]) -> Result<Delta> {
        let kb = Arc::clone(self.kb());
        let mut options = self.options.clone();
        let mut company: Option<sphere_model::Model> = None;
        let mut as_of: Option<Date> = None;
        let mut puts: Vec<&Object> = Vec::new();
        let mut removals: Vec<&Change> = Vec::new();
        for c in changes {
            match c {
                Change::Assume(text) => {
                    let a = Assumption::parse(&kb, text)?;
                    // Assuming a retracted fact of the model takes the retraction back.
                    let before = options.retract.len();
                    options.retract.retain(|r| *r != a);
                    if options.retract.len() == before && !options.assume.contains(&a) {
                        options.assume.push(a);
                    }
                }
                Change::Retract(text) => {
                    let a = Assumption::parse(&kb, text)?;
                    let before = options.assume.len();
                    options.assume.retain(|x| *x != a);
                    if options.assume.len() == before && !options.retract.contains(&a) {
                        options.retract.push(a);
                    }
                }
                Change::AsOf(d) => as_of = Some(*d),
                Change::Put(o) => puts.push(o),
                other => removals.push(other),
            }
        }
        if !puts.is_empty() || !removals.is_empty() {
            let mut m = self.company()?.clone();
            put_all(&mut m, name, &puts)?;
            for r in removals {
                remove(&mut m, r)?;
            }
            let mut errors = Vec::new();
            sphere_model::validate::validate(&m, &mut errors);
            if !errors.is_empty() {
                return Err(Error::validation(ErrorKind::Model, errors));
            }
            company = Some(m);
        }
        let mut model = match company {
            Some(m) => Model::from_model(m),
            None => self.model.clone(),
        };
        if let Some(d) = as_of {
            model = model.with_as_of(d);
        }
        let evaluated = Evaluated::try_new(kb, |kb| kb.evaluate(&model, &options))?;
        let delta = Delta::between(
            self.outcome().findings(),
            evaluated.borrow_dependent().findings(),
        );
        self.model = model;
        self.options = options;
        self.evaluated = evaluated;
        self.batches += 1;
        Ok(delta)
    }

    fn company(&self) -> Result<&sphere_model::Model> {
        self.model.company().ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                "a facts export cannot be changed object by object",
            )
            .with_hint("load the model files, or assume and retract facts instead")
        })
    }
}

/// Adds or replaces the objects: they are read as a model fragment named `name` (so every
/// problem is found as in a model file, with a JSON path into the fragment), then placed.
fn put_all(m: &mut sphere_model::Model, name: &str, puts: &[&Object]) -> Result<()> {
    if puts.is_empty() {
        return Ok(());
    }
    let mut doc = serde_json::Map::new();
    doc.insert("format".into(), sphere_model::FORMAT.into());
    for o in puts {
        let list = doc
            .entry(o.section().key())
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let serde_json::Value::Array(items) = list {
            items.push(o.to_json());
        }
    }
    let text = serde_json::Value::Object(doc).to_string();
    let mut errors = Vec::new();
    let fragment = sphere_model::parse_file(name, &text, &mut errors);
    let Some(fragment) = fragment.filter(|_| errors.is_empty()) else {
        return Err(Error::validation(ErrorKind::Model, errors));
    };
    let file = m.provenance.files.len() as u32;
    m.provenance.files.push(name.to_string());
    macro_rules! place {
        ($field:ident, $section:expr) => {
            for (i, o) in fragment.$field.into_iter().enumerate() {
                place(m, $section, (file, i as u32), |l: &mut Vec<_>| {
                    let at = match o.key() {
                        Some(id) => l.iter().position(|x: &_| Keyed::key(x) == Some(id)),
                        None => l.iter().position(|x| *x == o),
                    };
                    match at {
                        Some(k) => {
                            l[k] = o;
                            Some(k)
                        }
                        None => {
                            l.push(o);
                            None
                        }
                    }
                });
            }
        };
    }
    place!(staff, Section::Staff);
    place!(parties, Section::Parties);
    place!(systems, Section::Systems);
    place!(agreements, Section::Agreements);
    place!(assessments, Section::Assessments);
    place!(sources, Section::Sources);
    place!(subjects, Section::Subjects);
    place!(consents, Section::Consents);
    place!(objections, Section::Objections);
    place!(notices, Section::Notices);
    place!(flows, Section::Flows);
    place!(activities, Section::Activities);
    place!(campaigns, Section::Campaigns);
    place!(guidelines, Section::Guidelines);
    Ok(())
}

/// Puts an object into its list with `put` (which says where it replaced one, or `None` when
/// it was appended) and records its place.
fn place<T>(
    m: &mut sphere_model::Model,
    section: Section,
    at: (u32, u32),
    put: impl FnOnce(&mut Vec<T>) -> Option<usize>,
) where
    sphere_model::Model: ListOf<T>,
{
    let len_before = m.list(section).len();
    let replaced = put(m.list(section));
    let places = &mut m.provenance.places[section as usize];
    // A model built in code has no places: objects are reported by index then.
    if places.len() == len_before {
        match replaced {
            Some(k) => places[k] = at,
            None => places.push(at),
        }
    }
}

/// The list of objects of one type in a model.
trait ListOf<T> {
    fn list(&mut self, section: Section) -> &mut Vec<T>;
}

macro_rules! list_of {
    ($($t:ty => $field:ident),*) => {
        $(impl ListOf<$t> for sphere_model::Model {
            fn list(&mut self, _: Section) -> &mut Vec<$t> {
                &mut self.$field
            }
        })*
    };
}
list_of!(
    Staff => staff, Party => parties, System => systems, Agreement => agreements,
    Assessment => assessments, Source => sources, Subject => subjects, Consent => consents,
    Objection => objections, Notice => notices, Flow => flows, Activity => activities,
    Campaign => campaigns, Guideline => guidelines
);

fn remove(m: &mut sphere_model::Model, change: &Change) -> Result<()> {
    match change {
        Change::Remove { section, id } => {
            let found = with_list!(m, *section, |v| {
                let at = v.iter().position(|x| x.key() == Some(id.as_str()));
                if let Some(k) = at {
                    v.remove(k);
                }
                at
            });
            let Some(k) = found else {
                return Err(not_found(m, *section, id));
            };
            let places = &mut m.provenance.places[*section as usize];
            if k < places.len() {
                places.remove(k);
            }
            Ok(())
        }
        Change::RemoveObjection(o) => {
            let mut k = 0;
            let mut removed = 0;
            while k < m.objections.len() {
                if m.objections[k] == *o {
                    m.objections.remove(k);
                    let places = &mut m.provenance.places[Section::Objections as usize];
                    if k < places.len() {
                        places.remove(k);
                    }
                    removed += 1;
                } else {
                    k += 1;
                }
            }
            if removed == 0 {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!(
                        "no objection of `{}` with scope `{}` on {} in the model",
                        o.subject,
                        o.scope.as_str(),
                        o.date
                    ),
                )
                .with_hint("an objection is removed by its subject, scope and date"));
            }
            Ok(())
        }
        Change::WithdrawConsent { consent, date } => {
            match m.consents.iter_mut().find(|c| c.id == *consent) {
                Some(c) => {
                    c.withdrawn = Some((*date).into());
                    Ok(())
                }
                None => Err(not_found(m, Section::Consents, consent)),
            }
        }
        // Puts, assumptions and dates are handled by the caller.
        Change::Put(_) | Change::Assume(_) | Change::Retract(_) | Change::AsOf(_) => Ok(()),
    }
}

fn not_found(m: &mut sphere_model::Model, section: Section, id: &str) -> Error {
    let ids: Vec<String> = with_list!(m, section, |v| v
        .iter()
        .filter_map(|x| x.key().map(str::to_string))
        .collect());
    let hint = match crate::did_you_mean(id, ids.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!(
            "the model's {} are listed under `{}`",
            section.key(),
            section.key()
        ),
    };
    Error::new(
        ErrorKind::Usage,
        format!("no `{id}` in the model's {}", section.key()),
    )
    .with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decision, Lang};

    fn today() -> Date {
        Date::parse("2025-06-16").expect("a date")
    }

    fn kb() -> Arc<KnowledgeBase> {
        static KB: std::sync::OnceLock<Arc<KnowledgeBase>> = std::sync::OnceLock::new();
        Arc::clone(KB.get_or_init(|| Arc::new(KnowledgeBase::shipped().expect("compiles"))))
    }

    fn s04() -> Model {
        let text = include_str!("../facts/s04_phone_call.json");
        Model::from_text("facts/s04_phone_call.json", text, today()).expect("valid")
    }

    fn ids(fs: &[Finding]) -> Vec<&str> {
        fs.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn a_session_is_sendable_to_a_server_thread() {
        fn send<T: Send>() {}
        send::<Session>();
    }

    #[test]
    fn the_same_knowledge_base_evaluated_twice_gives_the_same_outcome() {
        let kb = kb();
        let model = s04();
        let a = kb
            .evaluate(&model, &EvalOptions::default())
            .expect("evaluates");
        let b = kb
            .evaluate(&model, &EvalOptions::default())
            .expect("evaluates");
        assert!(!a.findings().is_empty());
        assert_eq!(a.findings(), b.findings());
        assert_eq!(a.suppressed(), b.suppressed());
        let id = &a.findings()[0].id;
        assert_eq!(a.explain(id).expect("known"), b.explain(id).expect("known"));
    }

    #[test]
    fn suppressed_findings_carry_the_exception_that_applied() {
        let kb = kb();
        let outcome = kb
            .evaluate(&s04(), &EvalOptions::default())
            .expect("evaluates");
        let s = outcome
            .suppressed()
            .iter()
            .find(|s| s.finding.about_id() == "act-s4-call-lindner")
            .expect("the presumed-consent call is suppressed, not absent");
        assert_eq!(s.finding.id, "F-22d4fd464ee7f366");
        assert_eq!(s.exceptions, ["uwg_phone_b2b_presumed_consent"]);
        assert!(!outcome.findings().iter().any(|f| f.id == s.finding.id));
        let e = outcome.explain(&s.finding.id).expect("explained");
        assert!(e.suppressed);
        let rules: Vec<&str> = e.exceptions.iter().map(|x| x.rule.as_str()).collect();
        assert_eq!(rules, ["uwg_phone_b2b_presumed_consent"]);
        assert!(e.exceptions[0].derivation.is_some());
    }

    #[test]
    fn withdrawing_a_consent_gives_the_expected_delta_and_equals_a_fresh_evaluation() {
        let mut session = Session::new(kb(), s04(), EvalOptions::default()).expect("evaluates");
        let before = session.outcome().findings().to_vec();
        let withdrawn = Date::parse("2025-05-02").expect("a date");
        let delta = session
            .apply(&[Change::WithdrawConsent {
                consent: "cns-s4-lindner-presumed".into(),
                date: withdrawn,
            }])
            .expect("applies");
        // The call to Eva Lindner rested on her presumed consent: without it the finding
        // that the exception suppressed is listed, and the advertising § 7 UWG forbids has no
        // GDPR basis either (the UWG veto on the balancing); nothing else changes.
        assert_eq!(
            ids(&delta.appeared),
            ["F-057e2739133168af", "F-22d4fd464ee7f366"]
        );
        let mut rules: Vec<&str> = delta.appeared.iter().map(|f| f.rule.as_str()).collect();
        rules.sort();
        assert_eq!(
            rules,
            [
                "gdpr_advertising_without_basis",
                "uwg_phone_without_consent"
            ]
        );
        assert!(
            delta.vanished.is_empty() && delta.changed.is_empty(),
            "{delta:?}"
        );
        assert_eq!(delta.appeared[0].decision, Decision::Block);
        assert_eq!(delta.appeared[0].about_id(), "act-s4-call-lindner");
        assert_eq!(
            session.outcome().findings().len(),
            before.len() + 2,
            "two more findings"
        );
        // The session's outcome is a fresh evaluation of the changed model.
        let company = session.model().company().expect("a model").clone();
        assert_eq!(
            company
                .consents
                .iter()
                .find(|c| c.id == "cns-s4-lindner-presumed")
                .and_then(|c| c.withdrawn),
            Some(withdrawn.into())
        );
        let json = session.model().to_json().expect("writes back");
        let reloaded = Model::from_text("changed.json", &json, today()).expect("still valid");
        let kb = kb();
        let fresh = kb
            .evaluate(&reloaded, &EvalOptions::default())
            .expect("evaluates");
        assert_eq!(session.outcome().findings(), fresh.findings());
        assert_eq!(session.outcome().suppressed(), fresh.suppressed());
        // Back again: the delta is the reverse.
        let mut consent = company
            .consents
            .iter()
            .find(|c| c.id == "cns-s4-lindner-presumed")
            .expect("there")
            .clone();
        consent.withdrawn = None;
        let back = session
            .apply(&[Change::Put(Object::Consent(consent))])
            .expect("applies");
        assert_eq!(
            ids(&back.vanished),
            ["F-057e2739133168af", "F-22d4fd464ee7f366"]
        );
        assert!(back.appeared.is_empty() && back.changed.is_empty());
        assert_eq!(session.outcome().findings(), before.as_slice());
    }

    #[test]
    fn facts_can_be_retracted_and_assumed_back() {
        let mut session = Session::new(kb(), s04(), EvalOptions::default()).expect("evaluates");
        let before = session.outcome().findings().to_vec();
        // What if Eva Lindner's presumed consent did not cover the phone?
        let fact = "consent_channel(\"cns-s4-lindner-presumed\", \"phone\")";
        let delta = session
            .apply(&[Change::Retract(fact.into())])
            .expect("a fact of the program");
        assert_eq!(
            ids(&delta.appeared),
            ["F-057e2739133168af", "F-22d4fd464ee7f366"]
        );
        assert_eq!(session.options().retract.len(), 1);
        let back = session
            .apply(&[Change::Assume(fact.into())])
            .expect("assumes");
        assert_eq!(back.vanished, delta.appeared);
        assert!(back.appeared.is_empty());
        assert!(session.options().retract.is_empty() && session.options().assume.is_empty());
        assert_eq!(session.outcome().findings(), before.as_slice());
        let bad = session.apply(&[Change::Assume("consent_channel(X, \"email\")".into())]);
        assert_eq!(bad.map(|_| ()).map_err(|e| e.kind()), Err(ErrorKind::Usage));
    }

    #[test]
    fn a_change_that_breaks_the_model_is_refused_and_changes_nothing() {
        let mut session = Session::new(kb(), s04(), EvalOptions::default()).expect("evaluates");
        let before = session.outcome().findings().to_vec();
        let e = session
            .apply(&[Change::Remove {
                section: Section::Subjects,
                id: "subj-eva-lindner".into(),
            }])
            .expect_err("her consent and the call name her");
        assert_eq!(e.kind(), ErrorKind::Model);
        assert!(e
            .problems()
            .iter()
            .any(|p| p.code.as_deref() == Some("dangling_reference")));
        let e = session
            .apply(&[Change::WithdrawConsent {
                consent: "cns-s4-lindner-presumd".into(),
                date: today(),
            }])
            .expect_err("no such consent");
        assert_eq!(e.hint(), Some("did you mean `cns-s4-lindner-presumed`?"));
        assert_eq!(session.outcome().findings(), before.as_slice());
        // An added object is explained as coming from its batch.
        let mut call = session.model().company().expect("a model").activities[3].clone();
        call.id = "act-s4-call-again".into();
        let delta = session
            .apply_as("crm-event-7", &[Change::Put(Object::Activity(call))])
            .expect("a valid activity");
        let f = delta
            .appeared
            .iter()
            .find(|f| f.about_id() == "act-s4-call-again")
            .expect("the new call is blocked like the first");
        assert!(f.message.get(Lang::En).contains("subj-karl-kaufmann"));
        let i = session
            .outcome()
            .findings()
            .iter()
            .position(|x| x.id == f.id)
            .expect("listed");
        let tree = session.outcome().derivation(i).expect("derivation");
        let origins: Vec<String> = tree
            .inputs()
            .iter()
            .filter_map(|d| d.origin())
            .map(|o| format!("{} {}", o.file, o.path))
            .collect();
        assert!(
            origins.iter().any(|o| o == "crm-event-7 $.activities[0]"),
            "{origins:?}"
        );
    }
}
