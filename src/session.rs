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

    fn to_json(&self) -> serde_json::Value {
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
    /// Assumes a fact (what-if): `consent_channel("c1", "phone")`.
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
                    options.retract.retain(|r| *r != a);
                    if !options.assume.contains(&a) {
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
