//! A session: for front ends that evaluate many times (the REPL, the gate, the server). It
//! holds the knowledge base, the model and the current outcome, and takes typed changes to
//! the model (an object added, replaced or removed, a consent withdrawn, a fact assumed or
//! retracted, another date), answering with the findings that appeared, vanished or changed.
//!
//! [`Session::apply`] re-evaluates only what a change can reach when the rules are local
//! (see [`crate::locality`]); its contract is that the findings afterwards equal a fresh
//! evaluation of the changed model (held to it by a differential test).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use sphere_engine::Date;
use sphere_model::{
    Activity, Agreement, Assessment, Campaign, Consent, Flow, Guideline, Notice, Objection, Party,
    Section, Source, Staff, Subject, System,
};

use crate::error::{Error, ErrorKind, Result};
use crate::explain::Explanation;
use crate::facts::Assumption;
use crate::findings::{Finding, Suppressed, Texts};
use crate::kb::KnowledgeBase;
use crate::locality::persons::FindingKey;
use crate::locality::{Components, Locality, Records};
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
///
/// A change to the records of some data subjects re-evaluates only their components with the
/// shared data ([`crate::locality`]), when the knowledge base's rules are local; a change to
/// shared data, the date, or records that take part in a finding about shared data evaluates
/// the whole model. [`Session::findings`], [`Session::suppressed`] and [`Session::explain`]
/// answer from those parts; [`Session::try_outcome`] is the whole model's outcome, evaluated
/// on first use after a change that was applied in parts.
pub struct Session {
    model: Model,
    options: EvalOptions,
    /// The last evaluation of the whole model; current unless parts were re-evaluated since.
    base: Evaluated,
    /// The whole model's outcome, evaluated when asked for after changes applied in parts.
    full: OnceLock<Evaluated>,
    /// The parts, when the knowledge base's findings are local and the model is a company
    /// model.
    parts: Option<Parts>,
    /// Batches of changes applied so far (names the origin of objects they add).
    batches: usize,
    /// The model validates: a change to some records is then checked on their part only.
    valid: bool,
    /// Changes applied in parts, and by a whole evaluation (for benchmarks and tests).
    stats: Stats,
    /// The parts gated since the last change, by activity: a CRM asks about the same planned
    /// activity again and again, and its part is evaluated once per state of the model.
    gates: std::sync::Mutex<Gates>,
}

/// The evaluated parts of gated activities, the oldest let go past [`MAX_GATES`].
#[derive(Default)]
struct Gates {
    order: std::collections::VecDeque<String>,
    parts: std::collections::HashMap<String, Evaluated>,
}

/// The gated parts a session keeps between changes.
const MAX_GATES: usize = 256;

impl Gates {
    fn clear(&mut self) {
        self.order.clear();
        self.parts.clear();
    }
}

/// How a session applied its changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Batches applied by re-evaluating the components they reach.
    pub partial: usize,
    /// Batches applied by evaluating the whole model.
    pub whole: usize,
    /// The number of ids (records of data subjects) in the part of the last batch applied
    /// in parts.
    pub last_part: usize,
}

/// The evaluations of this many parts are kept (for explanations); older ones are let go, and
/// their findings explained by evaluating their part again (it bounds the memory parts hold
/// without a whole evaluation).
const MAX_OVERLAYS: usize = 64;

struct Parts {
    locality: Arc<Locality>,
    /// The components, kept under changes: they merge where a change links records, and
    /// stay as they were where one could split (which is safe); a whole evaluation partitions
    /// the model again.
    components: Components,
    /// Where each component's records are, to cut a part in time proportional to it.
    records: Records,
    findings: Vec<Finding>,
    suppressed: Vec<Suppressed>,
    /// Parts evaluated since the last whole evaluation, with the ids they cover (disjoint).
    overlays: Vec<Overlay>,
    /// The ids of parts evaluated since the last whole evaluation whose evaluation was let go.
    evicted: BTreeSet<String>,
    /// What findings are about that is not a record of their subjects' component (shared
    /// data): with the part's ids, where the findings a part replaces are.
    loose: BTreeSet<String>,
    /// The global relations' tuples of the shared data alone.
    shared: BTreeSet<String>,
}

/// A part evaluated for a change, not yet in place.
struct Prepared {
    ids: BTreeSet<String>,
    after: Evaluated,
    /// The overlays the part covers (they are replaced by it).
    merged: Vec<bool>,
    /// The objects put, read as a model fragment.
    fragment: Option<sphere_model::ModelFile>,
    /// Split activities that a rule now reads all the subjects of: whole from now on.
    unsplit: Vec<String>,
}

/// A batch of changes to records, as [`Session::apply_as`] sorted it.
struct Job<'a> {
    name: &'a str,
    puts: &'a [&'a Object],
    removals: &'a [&'a Change],
    /// The records each change touches, linked into one component.
    groups: &'a [Vec<String>],
    /// The options after the batch (its assumptions and retractions made).
    options: &'a EvalOptions,
    /// The changed model's digest.
    digest: &'a str,
}

struct Overlay {
    ids: BTreeSet<String>,
    evaluated: Evaluated,
}

/// Replaces, in a list sorted as findings are, the items about one of `keys` that `ours`
/// accepts by `added` (items of the same list, sorted alike); the replaced ones. Each goes to
/// its place (sorted by (about, rule, id); an equal key keeps the part's order), and the list
/// moves once per `about` whose number of items changed.
fn replace_about<T: Clone>(
    list: &mut Vec<T>,
    finding: impl Fn(&T) -> &Finding,
    keys: &BTreeSet<&str>,
    ours: &dyn Fn(&Finding) -> bool,
    added: Vec<T>,
) -> Vec<T> {
    let mut by_about: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for t in added {
        by_about
            .entry(finding(&t).about_id().to_string())
            .or_default()
            .push(t);
    }
    let mut all: BTreeSet<&str> = keys.clone();
    all.extend(by_about.keys().map(String::as_str));
    let all: Vec<String> = all.into_iter().map(str::to_string).collect();
    let mut removed = Vec::new();
    // From the end, so that the places found for earlier keys stay valid.
    for k in all.iter().rev() {
        let lo = list.partition_point(|x| finding(x).about_id() < k.as_str());
        let hi = lo + list[lo..].partition_point(|x| finding(x).about_id() == k.as_str());
        let adds = by_about.remove(k).unwrap_or_default();
        let mine: Vec<bool> = list[lo..hi].iter().map(|x| ours(finding(x))).collect();
        if adds.is_empty() && !mine.contains(&true) {
            continue;
        }
        let mut new: Vec<T> = list[lo..hi]
            .iter()
            .zip(&mine)
            .filter(|(_, m)| !**m)
            .map(|(x, _)| x.clone())
            .collect();
        for a in adds {
            let at = new.partition_point(|x| sort_key(finding(x)) <= sort_key(finding(&a)));
            new.insert(at, a);
        }
        for (x, m) in list.splice(lo..hi, new).zip(mine) {
            if m {
                removed.push(x);
            }
        }
    }
    // In the list's order, as a scan would have found them.
    removed.reverse();
    removed
}

/// A finding about something else than a record of its subjects' component (shared data): it
/// is found by what it is about only through `Parts::loose`.
fn is_loose(components: &Components, f: &Finding) -> bool {
    if let Some(subjects) = components.split_subjects(f.about_id()) {
        return f.subjects.iter().any(|s| !subjects.contains(s));
    }
    let about = components.get(f.about_id());
    about.is_none() || f.subjects.iter().any(|s| components.get(s) != about)
}

/// The ids a finding is about (its subject of activity or object, and its subjects).
fn finding_ids(f: &Finding) -> impl Iterator<Item = &str> {
    std::iter::once(f.about_id()).chain(f.subjects.iter().map(String::as_str))
}

/// The id whose part decides a finding when activities are split: its subject for a rule
/// keyed by the subject (the part holds that subject's records), else what it is about (see
/// [`crate::locality::persons::FindingKey`]).
fn key_of<'f>(locality: &Locality, f: &'f Finding) -> &'f str {
    match locality.persons().key(&f.rule) {
        Some(FindingKey::Subject) => f.subjects.first().map_or(f.about_id(), String::as_str),
        _ => f.about_id(),
    }
}

/// Whether a part with these ids (a set of components and the split activities they hold)
/// decides a finding.
fn decides(
    locality: &Locality,
    components: &Components,
    ids: &BTreeSet<String>,
    f: &Finding,
) -> bool {
    if components.split_count() == 0 {
        finding_ids(f).any(|x| ids.contains(x))
    } else {
        ids.contains(key_of(locality, f))
    }
}

fn sort_key(f: &Finding) -> (&str, &str, &str) {
    (f.about_id(), f.rule.as_str(), f.id.as_str())
}

impl Session {
    /// Evaluates `kb` on `model` with `options`.
    pub fn new(kb: Arc<KnowledgeBase>, model: Model, options: EvalOptions) -> Result<Session> {
        let base = Evaluated::try_new(kb, |kb| kb.evaluate(&model, &options))?;
        let valid = model.company().is_none_or(|c| {
            let mut errors = Vec::new();
            sphere_model::validate::validate(c, &mut errors);
            errors.is_empty()
        });
        let mut session = Session {
            model,
            options,
            base,
            full: OnceLock::new(),
            parts: None,
            batches: 0,
            valid,
            stats: Stats::default(),
            gates: std::sync::Mutex::default(),
        };
        session.parts = session.fresh_parts()?;
        Ok(session)
    }

    /// The parts of a whole evaluation just made (`None` when changes cannot be applied in
    /// parts).
    fn fresh_parts(&self) -> Result<Option<Parts>> {
        let kb = self.kb();
        let locality = kb.locality();
        let Some(company) = self.model.company() else {
            return Ok(None);
        };
        if !locality.is_local() {
            return Ok(None);
        }
        let outcome = self.base.borrow_dependent();
        let entangled = locality
            .persons()
            .is_split()
            .then(|| crate::locality::entangled(locality.persons(), outcome.evaluation()));
        let mut components = Components::split_of(company, entangled.as_ref());
        if link_assumptions(kb, &locality, &self.options, &mut components).is_none() {
            return Ok(None);
        }
        let records = Records::of(company);
        let empty = self.evaluate_slice(
            records.slice(company, &BTreeSet::new()),
            self.model.digest(),
            &self.options,
        )?;
        let shared = projected(&locality, empty.borrow_dependent(), &components, None);
        let loose = outcome
            .findings()
            .iter()
            .chain(outcome.suppressed().iter().map(|s| &s.finding))
            .filter(|f| is_loose(&components, f))
            .map(|f| f.about_id().to_string())
            .collect();
        Ok(Some(Parts {
            locality,
            components,
            records,
            findings: outcome.findings().to_vec(),
            suppressed: outcome.suppressed().to_vec(),
            overlays: Vec::new(),
            evicted: BTreeSet::new(),
            loose,
            shared,
        }))
    }

    /// Evaluates a part of the model (a slice of its components) in the model's stead, for
    /// the model with this digest.
    fn evaluate_slice(
        &self,
        company: sphere_model::Model,
        digest: &str,
        options: &EvalOptions,
    ) -> Result<Evaluated> {
        let part = self.model.part_with_digest(company, digest);
        let mut options = options.clone();
        options.as_of = None;
        options.progress = None;
        Evaluated::try_new(Arc::clone(self.kb()), |kb| kb.evaluate(&part, &options))
    }

    pub fn kb(&self) -> &Arc<KnowledgeBase> {
        self.base.borrow_owner()
    }

    /// The model as changed so far.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The options, with the assumptions and retractions made so far.
    pub fn options(&self) -> &EvalOptions {
        &self.options
    }

    /// The evaluation date: the options' date, else the model's.
    pub fn as_of(&self) -> Date {
        self.options.as_of.unwrap_or(self.model.as_of())
    }

    /// How the changes so far were applied.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The current outcome: equal to a fresh evaluation of [`Session::model`] with
    /// [`Session::options`]. After changes applied in parts, the first call evaluates the
    /// whole model ([`Session::findings`] and [`Session::explain`] do not), and that
    /// evaluation can fail where the parts of the same model did not: a bound of the options'
    /// [`crate::Limits`] reached, or a symbol table exhausted, by the whole model. Then the
    /// error is returned (and the whole model evaluated again on the next call); the session
    /// stays as it was.
    pub fn try_outcome(&self) -> Result<&Outcome<'_>> {
        if self
            .parts
            .as_ref()
            .is_none_or(|p| p.overlays.is_empty() && p.evicted.is_empty())
        {
            return Ok(self.base.borrow_dependent());
        }
        if let Some(e) = self.full.get() {
            return Ok(e.borrow_dependent());
        }
        let e = Evaluated::try_new(Arc::clone(self.kb()), |kb| {
            kb.evaluate(&self.model, &self.options)
        })?;
        Ok(self.full.get_or_init(|| e).borrow_dependent())
    }

    /// The findings, sorted as [`Outcome::findings`]: equal to the current outcome's.
    pub fn findings(&self) -> &[Finding] {
        match &self.parts {
            Some(p) => &p.findings,
            None => self.base.borrow_dependent().findings(),
        }
    }

    /// The suppressed findings, sorted as [`Outcome::suppressed`]: equal to the current
    /// outcome's.
    pub fn suppressed(&self) -> &[Suppressed] {
        match &self.parts {
            Some(p) => &p.suppressed,
            None => self.base.borrow_dependent().suppressed(),
        }
    }

    /// Explains a finding (listed or suppressed) as the current outcome would, from the part
    /// that evaluated it.
    pub fn explain(&self, id: &str) -> Result<Explanation> {
        let (mut e, current) = match self.outcome_of(id)? {
            // With no part evaluated since, the last whole evaluation is current.
            Some(part) => (
                part.explain(id)?,
                self.parts
                    .as_ref()
                    .is_none_or(|p| p.overlays.is_empty() && p.evicted.is_empty()),
            ),
            None => {
                // A part evaluated for a change whose evaluation is no longer kept: evaluated
                // again (its components in the model as it is now).
                let (Some(parts), Some(company)) = (&self.parts, self.model.company()) else {
                    return self.try_outcome()?.explain(id);
                };
                let f = parts
                    .findings
                    .iter()
                    .chain(parts.suppressed.iter().map(|s| &s.finding))
                    .find(|f| f.id == id)
                    .ok_or_else(|| {
                        Error::texts(
                            ErrorKind::Usage,
                            Texts::new(format!("no finding `{id}`"), format!("kein Befund `{id}`")),
                        )
                    })?;
                let mut ids: BTreeSet<String> = finding_ids(f).map(str::to_string).collect();
                ids.extend(parts.components.members(ids.iter()));
                let part = self.evaluate_slice(
                    parts.records.slice(company, &ids),
                    self.model.digest(),
                    &self.options,
                )?;
                let e = part.borrow_dependent().explain(id)?;
                (e, false)
            }
        };
        // Why a premise is absent may rest on facts outside the finding's part (a campaign's
        // other activities): those analyses come from the whole model's outcome, so that
        // they equal a fresh evaluation's. An explanation without negated premises has none.
        if !e.why_not.is_empty() && !current {
            e.why_not = self.try_outcome()?.explain(id)?.why_not;
        }
        Ok(e)
    }

    /// The outcome that holds the finding with this id as the current one does: a part's,
    /// or the last whole evaluation's; `None` for a finding of a part whose evaluation was
    /// let go.
    fn outcome_of(&self, id: &str) -> Result<Option<&Outcome<'_>>> {
        let Some(parts) = &self.parts else {
            return self.try_outcome().map(Some);
        };
        let finding = parts.findings.iter().find(|f| f.id == id).or_else(|| {
            parts
                .suppressed
                .iter()
                .map(|s| &s.finding)
                .find(|f| f.id == id)
        });
        let Some(f) = finding else {
            return Ok(Some(self.base.borrow_dependent()));
        };
        if !parts.locality.global_rules().contains(&f.rule) {
            let (l, c) = (&parts.locality, &parts.components);
            for o in parts.overlays.iter().rev() {
                if decides(l, c, &o.ids, f) {
                    return Ok(Some(o.evaluated.borrow_dependent()));
                }
            }
            if decides(l, c, &parts.evicted, f) {
                return Ok(None);
            }
        }
        Ok(Some(self.base.borrow_dependent()))
    }

    /// Gates one activity (see [`crate::gate::gate`]) on the part of the model it belongs
    /// to: its subjects' components and the shared data, not the whole model, when the
    /// knowledge base's findings are local. Same decision, digests and receipt as on the whole
    /// model's outcome.
    pub fn gate(
        &self,
        journal: &mut crate::journal::Journal,
        activity: &str,
        request: &crate::gate::Request,
    ) -> Result<crate::gate::Gated> {
        let (Some(parts), Some(company)) = (&self.parts, self.model.company()) else {
            return crate::gate::gate(journal, self.try_outcome()?, activity, request);
        };
        if !parts.records.is_activity(activity)
            && !company.activities.iter().any(|a| a.id == activity)
        {
            return Err(crate::gate::unknown_activity(
                activity,
                company.activities.iter().map(|a| a.id.as_str()),
            ));
        }
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        if !gates.parts.contains_key(activity) {
            let ids = parts.components.members([&activity.to_string()]);
            let part = self.evaluate_slice(
                parts.records.slice(company, &ids),
                self.model.digest(),
                &self.options,
            )?;
            if gates.order.len() >= MAX_GATES {
                if let Some(old) = gates.order.pop_front() {
                    gates.parts.remove(&old);
                }
            }
            gates.order.push_back(activity.to_string());
            gates.parts.insert(activity.to_string(), part);
        }
        let part = &gates.parts[activity];
        crate::gate::gate(journal, part.borrow_dependent(), activity, request)
    }

    fn gates_mut(&mut self) -> &mut Gates {
        self.gates.get_mut().unwrap_or_else(|p| p.into_inner())
    }

    /// The part of the model that records with these ids reach: their components (as the
    /// changes so far linked them) and the shared data, as a model of its own with this
    /// model's date and digest. `None` when changes cannot be applied in parts (then only the
    /// whole model is such a part).
    pub fn part_model<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> Option<Model> {
        let (parts, company) = (self.parts.as_ref()?, self.model.company()?);
        let ids = parts.components.members(ids);
        Some(self.model.part(parts.records.slice(company, &ids)))
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
    ///
    /// A change to the records of some data subjects is checked and evaluated on their part
    /// of the model only, and then made in place: its cost is that of the part, not of the
    /// model. Anything else (shared data, the date, a change the part refuses, records that
    /// take part in a finding about shared data) is made on a copy of the model, validated
    /// and evaluated whole, as a model file would be.
    pub fn apply_as(&mut self, name: &str, changes: &[Change]) -> Result<Delta> {
        let kb = Arc::clone(self.kb());
        let mut options = self.options.clone();
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
        let objects = !puts.is_empty() || !removals.is_empty();
        // The changed model's digest: of the model changed and the changes (computing it from
        // the changed model would read all of it).
        let digest = if objects {
            changed_digest(self.model.digest(), changes)
        } else {
            self.model.digest().to_string()
        };
        let same_date = as_of.is_none_or(|d| d == self.model.as_of());
        let groups = match (&self.parts, self.model.company()) {
            (Some(parts), Some(old)) if same_date && (self.valid || !objects) => {
                reach(&kb, &parts.locality, old, changes)
            }
            _ => None,
        };
        if let Some(groups) = groups {
            let job = Job {
                name,
                puts: &puts,
                removals: &removals,
                groups: &groups,
                options: &options,
                digest: &digest,
            };
            if let Some(prepared) = self.prepare_parts(&job)? {
                let delta = self.commit_parts(prepared, &job);
                self.options = options;
                self.full = OnceLock::new();
                self.gates_mut().clear();
                self.batches += 1;
                self.stats.partial += 1;
                return Ok(delta);
            }
        }
        let mut company: Option<sphere_model::Model> = None;
        if objects {
            let mut m = self.company()?.clone();
            if let Some(fragment) = parse_puts(name, &puts)? {
                place_all(&mut m, name, fragment);
            }
            for r in &removals {
                remove(&mut m, r)?;
            }
            let mut errors = Vec::new();
            sphere_model::validate::validate(&m, &mut errors);
            if !errors.is_empty() {
                return Err(Error::validation(ErrorKind::Model, errors));
            }
            company = Some(m);
        }
        // The changed model; `None` when only assumptions changed (a model is not copied for
        // them).
        let changed_model = match (company, as_of) {
            (Some(m), d) => {
                let m = Model::from_model_with_digest(m, digest);
                Some(match d {
                    Some(d) => m.with_as_of(d),
                    None => m,
                })
            }
            (None, Some(d)) => Some(self.model.clone().with_as_of(d)),
            (None, None) => None,
        };
        let model = changed_model.unwrap_or_else(|| self.model.clone());
        let evaluated = Evaluated::try_new(kb, |kb| kb.evaluate(&model, &options))?;
        let delta = Delta::between(self.findings(), evaluated.borrow_dependent().findings());
        let (old_model, old_options) = (
            std::mem::replace(&mut self.model, model),
            std::mem::replace(&mut self.options, options),
        );
        let old_base = std::mem::replace(&mut self.base, evaluated);
        match self.fresh_parts() {
            Ok(parts) => self.parts = parts,
            Err(e) => {
                self.model = old_model;
                self.options = old_options;
                self.base = old_base;
                return Err(e);
            }
        }
        if objects {
            self.valid = true;
        }
        self.full = OnceLock::new();
        self.gates_mut().clear();
        self.batches += 1;
        self.stats.whole += 1;
        Ok(delta)
    }

    /// Checks a change on the part of the model it reaches (the components of the records it
    /// touches, before and after, and the parts evaluated before that overlap them) and
    /// evaluates that part before and after; nothing is changed yet. `None` when the part
    /// cannot decide: the change is refused there (the whole model says why, as a model file
    /// would), or it reaches a finding about shared data (the whole model is evaluated).
    fn prepare_parts(&self, job: &Job<'_>) -> Result<Option<Prepared>> {
        let Some(parts) = &self.parts else {
            return Ok(None);
        };
        let Some(company) = self.model.company() else {
            return Ok(None);
        };
        // Components only merge under a change (one that could split one leaves it whole,
        // which is safe): after it, the component of a touched record is the union of the
        // components before of the records linked with it, all of them touched.
        let seeds: BTreeSet<String> = job.groups.iter().flatten().cloned().collect();
        let mut ids = seeds.clone();
        let mut merged = vec![false; parts.overlays.len()];
        loop {
            // A split activity the change touches brings all its subjects; one that a part
            // holds for a subject of its own does not spread the part.
            let mut grown = parts.components.members(
                ids.iter()
                    .filter(|x| seeds.contains(*x) || !parts.components.is_split(x)),
            );
            grown.extend(ids.iter().cloned());
            for (k, o) in parts.overlays.iter().enumerate() {
                // Overlays share split activities (each holds those of its subjects): they
                // overlap where they share a component.
                let overlaps = o
                    .ids
                    .iter()
                    .any(|x| grown.contains(x) && !parts.components.is_split(x));
                if !merged[k] && overlaps {
                    merged[k] = true;
                    grown.extend(o.ids.iter().cloned());
                }
            }
            if grown.len() == ids.len() {
                break;
            }
            ids = grown;
        }
        let before_part = parts.records.slice(company, &ids);
        let mut after_part = before_part.clone();
        let mut fragment = None;
        if !job.puts.is_empty() || !job.removals.is_empty() {
            // A model built in code reports objects by their index in the whole model, which
            // a part does not know for the objects it adds.
            let p = &company.provenance.places;
            let placed = p[Section::Subjects as usize].len() == company.subjects.len()
                && p[Section::Consents as usize].len() == company.consents.len()
                && p[Section::Objections as usize].len() == company.objections.len()
                && p[Section::Notices as usize].len() == company.notices.len()
                && p[Section::Activities as usize].len() == company.activities.len();
            if !placed {
                return Ok(None);
            }
            fragment = parse_puts(job.name, job.puts)?;
            if let Some(f) = &fragment {
                place_all(&mut after_part, job.name, f.clone());
            }
            for r in job.removals {
                if remove(&mut after_part, r).is_err() {
                    return Ok(None);
                }
            }
            let mut errors = Vec::new();
            sphere_model::validate::validate_part(&after_part, &|id| ids.contains(id), &mut errors);
            if !errors.is_empty() {
                return Ok(None);
            }
        }
        let locality = Arc::clone(&parts.locality);
        // The split activities of the part: if a rule reads all the subjects of one after the
        // change, the part must hold all of them (else the whole model is evaluated).
        let split: Vec<(String, Vec<String>)> = after_part
            .activities
            .iter()
            .filter(|a| parts.components.is_split(&a.id))
            .map(|a| (a.id.clone(), a.subjects.clone()))
            .collect();
        // Findings about shared data rest on the records of some components: a change to
        // records that take part in one (before or after) evaluates the whole model.
        let entity = |x: &str| parts.components.contains(x) || ids.contains(x);
        let before = self.evaluate_slice(before_part, self.model.digest(), &self.options)?;
        if projected(
            &locality,
            before.borrow_dependent(),
            &parts.components,
            Some(&entity),
        ) != parts.shared
        {
            return Ok(None);
        }
        drop(before);
        let after = self.evaluate_slice(after_part, job.digest, job.options)?;
        if projected(
            &locality,
            after.borrow_dependent(),
            &parts.components,
            Some(&entity),
        ) != parts.shared
        {
            return Ok(None);
        }
        let mut unsplit = Vec::new();
        if !split.is_empty() {
            let tied = crate::locality::entangled(
                locality.persons(),
                after.borrow_dependent().evaluation(),
            );
            for (a, subjects) in split {
                if tied.contains(&a) {
                    if !subjects.iter().all(|s| ids.contains(s)) {
                        return Ok(None);
                    }
                    unsplit.push(a);
                }
            }
        }
        Ok(Some(Prepared {
            ids,
            after,
            merged,
            fragment,
            unsplit,
        }))
    }

    /// Makes a change prepared by [`Session::prepare_parts`] in place (it cannot fail now: the
    /// part held the same records) and puts the part's findings in place of those it
    /// replaces.
    fn commit_parts(&mut self, prepared: Prepared, job: &Job<'_>) -> Delta {
        let Prepared {
            ids,
            after,
            merged,
            fragment,
            unsplit,
        } = prepared;
        let Some(parts) = &mut self.parts else {
            return Delta::default();
        };
        if !job.puts.is_empty() || !job.removals.is_empty() {
            let shifted = job
                .removals
                .iter()
                .any(|r| matches!(r, Change::Remove { .. } | Change::RemoveObjection(_)));
            let records = &mut parts.records;
            self.model.change_company(job.digest.to_string(), |m| {
                let placed = match fragment {
                    Some(f) => place_all(m, job.name, f),
                    None => Vec::new(),
                };
                for r in job.removals {
                    // Found in the part, so in the model.
                    let _ = remove(m, r);
                }
                if shifted {
                    *records = Records::of(m);
                } else {
                    for (section, i) in placed {
                        records.appended(m, section, i);
                    }
                }
            });
        }
        for g in job.groups {
            parts.components.link(g.iter().map(String::as_str));
        }
        for a in &unsplit {
            parts.components.unsplit(a);
        }
        let locality = Arc::clone(&parts.locality);
        let globals = locality.global_rules();
        let components = &parts.components;
        let ours =
            |f: &Finding| !globals.contains(&f.rule) && decides(&locality, components, &ids, f);
        let out = after.borrow_dependent();
        let added: Vec<Finding> = out.findings().iter().filter(|f| ours(f)).cloned().collect();
        let added_s: Vec<Suppressed> = out
            .suppressed()
            .iter()
            .filter(|s| ours(&s.finding))
            .cloned()
            .collect();
        // The findings the part replaces are about one of its ids, or about shared data and
        // name one of its subjects (`loose`): found by what they are about, not by a scan.
        let mut keys: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        keys.extend(parts.loose.iter().map(String::as_str));
        let mut loose = Vec::new();
        for f in added.iter().chain(added_s.iter().map(|s| &s.finding)) {
            if is_loose(&parts.components, f) {
                loose.push(f.about_id().to_string());
            }
        }
        let removed = replace_about(&mut parts.findings, |f| f, &keys, &ours, added.clone());
        replace_about(&mut parts.suppressed, |s| &s.finding, &keys, &ours, added_s);
        parts.loose.extend(loose);
        let delta = Delta::between(&removed, &added);
        let mut k = 0;
        parts.overlays.retain(|_| {
            k += 1;
            !merged[k - 1]
        });
        self.stats.last_part = ids.len();
        parts.overlays.push(Overlay {
            ids,
            evaluated: after,
        });
        if parts.overlays.len() > MAX_OVERLAYS {
            let old = parts.overlays.remove(0);
            parts.evicted.extend(old.ids);
        }
        delta
    }

    fn company(&self) -> Result<&sphere_model::Model> {
        self.model.company().ok_or_else(|| {
            Error::texts(
                ErrorKind::Usage,
                Texts::new(
                    "a facts export cannot be changed object by object",
                    "ein Faktenexport lässt sich nicht Objekt für Objekt ändern",
                ),
            )
            .with_hint_texts(Texts::new(
                "load the model files, or assume and retract facts instead",
                "die Modelldateien laden oder stattdessen Tatsachen annehmen und zurücknehmen",
            ))
        })
    }
}

/// Links the records an assumed or retracted fact names into one component; `None` when one
/// is about shared data (then the whole model is evaluated).
fn link_assumptions(
    kb: &KnowledgeBase,
    locality: &Locality,
    options: &EvalOptions,
    components: &mut Components,
) -> Option<()> {
    for a in options.assume.iter().chain(&options.retract) {
        let ids = assumption_ids(kb, locality, a)?;
        components.link(ids.iter().map(String::as_str));
    }
    Some(())
}

/// The entity ids an assumed fact names; `None` for a fact of shared data.
fn assumption_ids(kb: &KnowledgeBase, locality: &Locality, a: &Assumption) -> Option<Vec<String>> {
    let program = kb.program();
    let cols = locality.entity_columns(a.rel());
    if !program.relation(a.rel()).input || !cols.iter().any(|c| *c) {
        return None;
    }
    let ids: Vec<String> = a
        .symbols(program)
        .into_iter()
        .zip(cols)
        .filter(|(_, e)| **e)
        .filter_map(|(s, _)| s)
        .collect();
    (!ids.is_empty()).then_some(ids)
}

/// The ids a batch of changes touches (objects put or removed, and the records they name,
/// before the change), one group per change (the records it links into one component), or
/// `None` when it changes shared data or the date.
fn reach(
    kb: &KnowledgeBase,
    locality: &Locality,
    old: &sphere_model::Model,
    changes: &[Change],
) -> Option<Vec<Vec<String>>> {
    let mut out = Vec::new();
    for c in changes {
        match c {
            Change::Put(o) => {
                let ids: Vec<&str> = match o {
                    Object::Subject(x) => vec![&x.id],
                    Object::Consent(x) => vec![&x.id, &x.subject],
                    Object::Objection(x) => vec![&x.subject],
                    Object::Notice(x) => {
                        let old_public = old
                            .notices
                            .iter()
                            .any(|n| n.id == x.id && n.subject.is_none());
                        match &x.subject {
                            Some(s) if !old_public => vec![&x.id, s],
                            _ => return None,
                        }
                    }
                    Object::Activity(x) => {
                        let mut v: Vec<&str> = vec![&x.id];
                        v.extend(x.subjects.iter().map(String::as_str));
                        v.extend(x.triggered_by.as_deref());
                        v.extend(x.content.as_ref().and_then(|c| c.author.as_deref()));
                        v
                    }
                    _ => return None,
                };
                out.push(ids.into_iter().map(str::to_string).collect());
            }
            Change::Remove { section, id } => match section {
                Section::Subjects | Section::Consents | Section::Activities => {
                    out.push(vec![id.clone()]);
                }
                Section::Notices => {
                    let personal = old
                        .notices
                        .iter()
                        .any(|n| n.id == *id && n.subject.is_some());
                    if !personal {
                        return None;
                    }
                    out.push(vec![id.clone()]);
                }
                _ => return None,
            },
            Change::RemoveObjection(o) => {
                out.push(vec![o.subject.clone()]);
            }
            Change::WithdrawConsent { consent, .. } => {
                out.push(vec![consent.clone()]);
            }
            Change::Assume(text) | Change::Retract(text) => {
                let a = Assumption::parse(kb, text).ok()?;
                out.push(assumption_ids(kb, locality, &a)?);
            }
            Change::AsOf(_) => return None,
        }
    }
    Some(out)
}

/// The tuples of the relations global rules derive that name no entity (as text): what the
/// shared data and the records evaluated give findings about shared data. `entity` says what
/// is an entity (default: an id of `components`).
fn projected(
    locality: &Locality,
    outcome: &Outcome<'_>,
    components: &Components,
    entity: Option<&dyn Fn(&str) -> bool>,
) -> BTreeSet<String> {
    let ev = outcome.evaluation();
    let program = ev.program();
    let interner = ev.interner();
    let mut out = BTreeSet::new();
    for &rel in locality.projections() {
        for t in ev.tuples(rel) {
            let names = t.iter().any(|v| {
                matches!(v, sphere_engine::Value::Sym(_)) && {
                    let text = sphere_engine::value::display(*v, interner);
                    match entity {
                        Some(f) => f(&text),
                        None => components.contains(&text),
                    }
                }
            });
            if !names {
                out.insert(sphere_engine::explain::atom_text(
                    program, rel, &t, interner,
                ));
            }
        }
    }
    out
}

/// The digest of a model changed by `changes`: of the digest of the model they changed and
/// of the changes, so that it costs what the changes cost (a restart that applies the same
/// changes to the same model files arrives at the same digest).
fn changed_digest(before: &str, changes: &[Change]) -> String {
    let mut h = crate::digest::Fnv::default();
    h.write(before.as_bytes()).write(&[0]);
    for c in changes {
        let text = match c {
            Change::Put(o) => format!("put\0{}\0{}", o.section().key(), o.to_json()),
            Change::Remove { section, id } => format!("remove\0{}\0{id}", section.key()),
            Change::RemoveObjection(o) => format!(
                "remove\0objections\0{}",
                serde_json::to_string(o).unwrap_or_default()
            ),
            Change::WithdrawConsent { consent, date } => format!("withdraw\0{consent}\0{date}"),
            Change::Assume(_) | Change::Retract(_) | Change::AsOf(_) => continue,
        };
        h.write(text.as_bytes()).write(&[0]);
    }
    h.hex()
}

/// Reads the objects to add or replace as a model fragment named `name` (so every problem is
/// found as in a model file, with a JSON path into the fragment); `None` for none.
fn parse_puts(name: &str, puts: &[&Object]) -> Result<Option<sphere_model::ModelFile>> {
    if puts.is_empty() {
        return Ok(None);
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
    Ok(Some(fragment))
}

/// Adds or replaces the objects of a fragment read by [`parse_puts`]; the places of the
/// objects of local sections put (where they replaced one, or were appended).
fn place_all(
    m: &mut sphere_model::Model,
    name: &str,
    fragment: sphere_model::ModelFile,
) -> Vec<(Section, usize)> {
    let mut placed = Vec::new();
    let file = m.provenance.files.len() as u32;
    m.provenance.files.push(name.to_string());
    macro_rules! place {
        ($field:ident, $section:expr) => {
            for (i, o) in fragment.$field.into_iter().enumerate() {
                let at = place(m, $section, (file, i as u32), |l: &mut Vec<_>| {
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
                placed.push(($section, at));
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
    placed
}

/// Puts an object into its list with `put` (which says where it replaced one, or `None` when
/// it was appended) and records its place.
fn place<T>(
    m: &mut sphere_model::Model,
    section: Section,
    at: (u32, u32),
    put: impl FnOnce(&mut Vec<T>) -> Option<usize>,
) -> usize
where
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
    replaced.unwrap_or(len_before)
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
                return Err(Error::texts(
                    ErrorKind::Usage,
                    Texts::new(
                        format!(
                            "no objection of `{}` with scope `{}` on {} in the model",
                            o.subject,
                            o.scope.as_str(),
                            o.date
                        ),
                        format!(
                            "kein Widerspruch von `{}` mit Umfang `{}` vom {} im Modell",
                            o.subject,
                            o.scope.as_str(),
                            o.date
                        ),
                    ),
                )
                .with_hint_texts(Texts::new(
                    "an objection is removed by its subject, scope and date",
                    "ein Widerspruch wird über betroffene Person, Umfang und Datum entfernt",
                )));
            }
            Ok(())
        }
        Change::WithdrawConsent { consent, date } => {
            let Some(k) = m.consents.iter().position(|c| c.id == *consent) else {
                return Err(not_found(m, Section::Consents, consent));
            };
            let given: Date = m.consents[k].given.into();
            if *date < given {
                // Refused as a model file with these dates would be.
                let here = m.provenance.origin(Section::Consents, k);
                return Err(Error::validation(
                    ErrorKind::Model,
                    vec![sphere_model::ValidationError::at_path(
                        sphere_model::ErrorKind::Contradiction,
                        &here.file,
                        format!("{}.withdrawn", here.path),
                        format!("the consent is withdrawn ({date}) before it was given ({given})"),
                    )
                    .de(format!(
                        "die Einwilligung ist widerrufen ({date}), bevor sie erteilt wurde ({given})"
                    ))
                    .with_hints(
                        "check both dates; a consent can only be withdrawn after it was given",
                        "beide Daten prüfen; eine Einwilligung lässt sich erst nach ihrer Erteilung widerrufen",
                    )],
                ));
            }
            m.consents[k].withdrawn = Some((*date).into());
            Ok(())
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
    let key = section.key();
    let hint = match crate::did_you_mean(id, ids.iter().map(String::as_str)) {
        Some(s) => crate::did_you_mean_texts(&s),
        None => Texts::new(
            format!("the model's {key} are listed under `{key}`"),
            format!("das Modell führt diese Einträge unter `{key}`"),
        ),
    };
    Error::texts(
        ErrorKind::Usage,
        Texts::new(
            format!("no `{id}` in the model's {key}"),
            format!("kein `{id}` unter `{key}` im Modell"),
        ),
    )
    .with_hint_texts(hint)
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
        let before = session
            .try_outcome()
            .expect("the whole model evaluates")
            .findings()
            .to_vec();
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
            session
                .try_outcome()
                .expect("the whole model evaluates")
                .findings()
                .len(),
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
        assert_eq!(
            session
                .try_outcome()
                .expect("the whole model evaluates")
                .findings(),
            fresh.findings()
        );
        assert_eq!(
            session
                .try_outcome()
                .expect("the whole model evaluates")
                .suppressed(),
            fresh.suppressed()
        );
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
        assert_eq!(
            session
                .try_outcome()
                .expect("the whole model evaluates")
                .findings(),
            before.as_slice()
        );
    }

    #[test]
    fn facts_can_be_retracted_and_assumed_back() {
        let mut session = Session::new(kb(), s04(), EvalOptions::default()).expect("evaluates");
        let before = session
            .try_outcome()
            .expect("the whole model evaluates")
            .findings()
            .to_vec();
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
        assert_eq!(
            session
                .try_outcome()
                .expect("the whole model evaluates")
                .findings(),
            before.as_slice()
        );
        let bad = session.apply(&[Change::Assume("consent_channel(X, \"email\")".into())]);
        assert_eq!(bad.map(|_| ()).map_err(|e| e.kind()), Err(ErrorKind::Usage));
    }

    #[test]
    fn a_change_that_breaks_the_model_is_refused_and_changes_nothing() {
        let mut session = Session::new(kb(), s04(), EvalOptions::default()).expect("evaluates");
        let before = session
            .try_outcome()
            .expect("the whole model evaluates")
            .findings()
            .to_vec();
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
        assert_eq!(
            session
                .try_outcome()
                .expect("the whole model evaluates")
                .findings(),
            before.as_slice()
        );
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
            .try_outcome()
            .expect("the whole model evaluates")
            .findings()
            .iter()
            .position(|x| x.id == f.id)
            .expect("listed");
        let tree = session
            .try_outcome()
            .expect("the whole model evaluates")
            .derivation(i)
            .expect("derivation");
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
