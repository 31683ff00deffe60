//! Remedies: the smallest sets of changes to a model that cure a finding, each verified by
//! evaluating the changed model.
//!
//! Candidates come from the why-not analysis of the finding, not from fixed sentences: a
//! negated premise that a missing consent, notice or agreement keeps absent gives "obtain a
//! consent of the right purpose and channel", "send the notice", "sign the agreement"; the
//! finding's own premises give "switch the channel" and "drop a subject from the selection".
//! What cannot change is never changed: a remedy only adds new objects (a consent obtained
//! now, a notice sent now, an agreement signed now) or changes a planned activity. For a done
//! activity the remedy is what to do now: it is checked on the next use, a planned copy of the
//! activity dated on the evaluation date.
//!
//! Every candidate is applied to a [`Session`] and kept only if the finding vanished; the
//! findings that appeared with it are listed with it, not hidden. Remedies are sorted by the
//! number of changes, then by how many findings they cure (most first), then by their text.

use std::collections::BTreeSet;
use std::sync::Arc;

use sphere_engine::Date;
use sphere_model::{
    Activity, ActivityStatus, Agreement, AgreementKind, Article, Channel, Consent, ConsentForm,
    Notice,
};

use crate::error::{Error, ErrorKind, Result};
use crate::explain::Derivation;
use crate::findings::{About, Finding, Texts};
use crate::kb::KnowledgeBase;
use crate::model::Model;
use crate::outcome::EvalOptions;
use crate::session::{Change, Object, Session};
use crate::whynot::{Status, WhyNot};

/// The most changes a remedy combines.
pub const MAX_SIZE: usize = 2;

/// The remedies for one finding.
#[derive(Clone, Debug)]
pub struct Remedies {
    pub finding: Finding,
    /// The act is done: remedies are what to do now, checked on its next use.
    pub done: bool,
    /// Verified remedies, sorted (see the module's documentation); numbered from 1 in output.
    pub remedies: Vec<Remedy>,
}

/// One verified remedy.
#[derive(Clone, Debug)]
pub struct Remedy {
    /// One line per change, in words.
    pub steps: Vec<Texts>,
    /// The changes to the model (for a done act, with the planned next use they apply to).
    pub changes: Vec<Change>,
    /// The findings it cures: the finding itself first (for a done act, its next use's), then
    /// others that vanished with it, by id.
    pub cures: Vec<Finding>,
    /// Findings that appear with the change.
    pub new_findings: Vec<Finding>,
}

impl Remedy {
    /// No finding appears with it.
    pub fn is_clean(&self) -> bool {
        self.new_findings.is_empty()
    }
}

/// One candidate change and its words.
#[derive(Clone, Debug)]
struct Step1 {
    words: Texts,
    change: Change,
}

/// Finds and verifies the remedies for finding `id` of `model`.
pub fn remedies(
    kb: Arc<KnowledgeBase>,
    model: &Model,
    options: &EvalOptions,
    id: &str,
) -> Result<Remedies> {
    let session = Session::new(kb, model.clone(), options.clone())?;
    remedies_in(&session, id)
}

/// [`remedies`] for finding `id` of a session's model as changed so far. Candidates are
/// verified on the part of the model the finding's records reach (their components and the
/// shared data), so that their cost is that of the part, not of the model; a finding about
/// shared data, or a candidate that changes one, is verified on the whole model.
pub fn remedies_in(session: &Session, id: &str) -> Result<Remedies> {
    let finding = if let Some(f) = session.findings().iter().find(|f| f.id == id) {
        f.clone()
    } else if session.suppressed().iter().any(|s| s.finding.id == id) {
        return Err(Error::texts(
            ErrorKind::Usage,
            Texts::new(
                format!("finding `{id}` is set aside by an exception: there is nothing to cure"),
                format!(
                    "Befund `{id}` wird durch eine Ausnahme verdrängt: es gibt nichts zu beheben"
                ),
            ),
        )
        .with_hint_texts(Texts::new(
            "`sphere explain` shows the exception",
            "`sphere explain` zeigt die Ausnahme",
        )));
    } else {
        return Err(crate::findings::no_finding(id));
    };
    let kb = session.kb();
    let whole = || {
        Session::new(
            Arc::clone(kb),
            session.model().clone(),
            session.options().clone(),
        )
    };
    let local = !kb.locality().global_rules().contains(&finding.rule);
    let ids: Vec<String> = std::iter::once(finding.about_id().to_string())
        .chain(finding.subjects.iter().cloned())
        .collect();
    // A part whose shared data names records outside it (an incident's subjects) does not
    // validate on its own: then the whole model is verified on.
    let validates = |m: &Model| {
        m.company().is_some_and(|c| {
            let mut errors = Vec::new();
            sphere_model::validate::validate(c, &mut errors);
            errors.is_empty()
        })
    };
    let part = match session.part_model(&ids).filter(|m| local && validates(m)) {
        Some(model) => {
            let part = Session::new(Arc::clone(kb), model, session.options().clone())?;
            // The part has the finding as the whole model has it, or it is no part of it.
            part.findings().contains(&finding).then_some(part)
        }
        None => None,
    };
    match part {
        Some(part) => cure(part, finding, Some(&whole)),
        None => cure(whole()?, finding, None),
    }
}

/// The remedies for `finding` verified on `session` (a part of the model when `whole` gives
/// the whole model's session).
fn cure(
    mut session: Session,
    finding: Finding,
    whole: Option<&dyn Fn() -> Result<Session>>,
) -> Result<Remedies> {
    let company = session
        .model()
        .company()
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                "remedies need the model files, not a facts export",
            )
            .with_hint("give the model's JSON files")
        })?
        .clone();
    let today = session.as_of();
    let activity = match &finding.about {
        About::Activity(a) => company.activities.iter().find(|x| &x.id == a).cloned(),
        About::Object(_) => None,
    };
    let done = activity
        .as_ref()
        .is_some_and(|a| a.status == ActivityStatus::Done);
    // For a done act: its next use, planned for today, is what a remedy is checked on.
    let mut setup = Vec::new();
    let activity = match activity {
        Some(a) if done => {
            let mut next = a.clone();
            next.id = fresh(&company, &format!("{}-next", a.id));
            next.status = ActivityStatus::Planned;
            next.date = Some(today.into());
            setup.push(Change::Put(Object::Activity(next.clone())));
            Some(next)
        }
        other => other,
    };
    if !setup.is_empty() {
        session.apply(&setup)?;
    }
    let target_about = activity
        .as_ref()
        .map_or_else(|| finding.about_id().to_string(), |a| a.id.clone());
    let same = |f: &Finding| {
        f.rule == finding.rule && f.about_id() == target_about && f.subjects == finding.subjects
    };
    let outcome = session.try_outcome()?;
    let Some(target) = outcome.findings().iter().find(|f| same(f)).cloned() else {
        // The next use would not have the finding (it rests on the past date): nothing to do
        // for it.
        return Ok(Remedies {
            finding,
            done,
            remedies: Vec::new(),
        });
    };
    let explanation = outcome.explain(&target.id)?;
    let steps = candidates(
        &company,
        activity.as_ref(),
        &target,
        explanation.derivation.as_ref(),
        &explanation.why_not,
        today,
    );
    let mut steps = steps;
    if let Some(a) = activity
        .as_ref()
        .filter(|a| !done && a.status == ActivityStatus::Planned)
    {
        if let Some(step) = move_date(
            &mut session,
            &company,
            a,
            &target,
            &explanation.why_not,
            today,
        )? {
            steps.push(step);
        }
    }
    let kb = Arc::clone(session.kb());
    let mut whole_session: Option<Session> = None;
    let mut out: Vec<Remedy> = Vec::new();
    let mut tried: Vec<Vec<usize>> = Vec::new();
    // Single changes first; pairs only of changes that did not cure alone.
    for size in 1..=MAX_SIZE {
        let combos = combinations(steps.len(), size);
        for combo in combos {
            if tried.iter().any(|t| t.iter().all(|i| combo.contains(i))) {
                // A smaller set already cures it: this one is not smallest.
                continue;
            }
            let changes: Vec<Change> = combo.iter().map(|&i| steps[i].change.clone()).collect();
            // Two versions of one activity would overwrite each other: never in one set.
            let activities: Vec<&str> = changes
                .iter()
                .filter_map(|c| match c {
                    Change::Put(Object::Activity(a)) => Some(a.id.as_str()),
                    _ => None,
                })
                .collect();
            if activities.len() > 1 {
                continue;
            }
            let mut verified = verify(&mut session, &target, &changes)?;
            if let (Some(r), Some(whole)) = (&verified, whole) {
                // A finding about shared data rests on records outside the part too: what
                // the change does to it shows only on the whole model.
                let global = kb.locality();
                if r.0
                    .iter()
                    .chain(&r.1)
                    .any(|f| global.global_rules().contains(&f.rule))
                {
                    if whole_session.is_none() {
                        let mut s = whole()?;
                        if !setup.is_empty() {
                            s.apply(&setup)?;
                        }
                        whole_session = Some(s);
                    }
                    if let Some(s) = whole_session.as_mut() {
                        verified = verify(s, &target, &changes)?;
                    }
                }
            }
            if let Some(r) = verified {
                tried.push(combo.clone());
                let mut all_changes = setup.clone();
                all_changes.extend(changes);
                out.push(Remedy {
                    steps: combo.iter().map(|&i| steps[i].words.clone()).collect(),
                    changes: all_changes,
                    cures: r.0,
                    new_findings: r.1,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.steps
            .len()
            .cmp(&b.steps.len())
            .then(b.cures.len().cmp(&a.cures.len()))
            .then(a.new_findings.len().cmp(&b.new_findings.len()))
            .then_with(|| {
                let t = |r: &Remedy| r.steps.iter().map(|s| s.en.clone()).collect::<Vec<_>>();
                t(a).cmp(&t(b))
            })
    });
    Ok(Remedies {
        finding,
        done,
        remedies: out,
    })
}

/// Applies `changes`, sees whether `target` vanished, and takes the changes back. `Some` with
/// the findings cured (target first) and those that appeared, when it vanished.
#[allow(clippy::type_complexity)]
fn verify(
    session: &mut Session,
    target: &Finding,
    changes: &[Change],
) -> Result<Option<(Vec<Finding>, Vec<Finding>)>> {
    let company = session
        .model()
        .company()
        .expect("checked by the caller")
        .clone();
    let undo = inverse(&company, changes);
    let delta = match session.apply(changes) {
        Ok(d) => d,
        // A change the model does not accept is no remedy.
        Err(_) => return Ok(None),
    };
    session.apply(&undo)?;
    if !delta.vanished.iter().any(|f| f.id == target.id) {
        return Ok(None);
    }
    let mut cures = vec![target.clone()];
    cures.extend(delta.vanished.into_iter().filter(|f| f.id != target.id));
    let mut new = delta.appeared;
    new.extend(delta.changed.into_iter().map(|c| c.after));
    Ok(Some((cures, new)))
}

/// The most dates "move the date" tries, earliest first.
const MAX_DATES: usize = 12;

/// How far ahead "move the date" looks.
const MAX_MONTHS_AHEAD: i64 = 24;

/// "Move the date" of a planned activity: the earliest date, not before today, at which the
/// finding is gone, found by evaluating the activity on the dates the model and the why-not
/// analysis name (a consent given, a notice and the waiting periods after it, the end of a
/// certification or an agreement, dates a failing condition compares with) and the day
/// before and after each. `None` when no such date cures it.
fn move_date(
    session: &mut Session,
    company: &sphere_model::Model,
    a: &Activity,
    target: &Finding,
    why_not: &[WhyNot],
    today: Date,
) -> Result<Option<Step1>> {
    let Some(current) = a.date.map(Date::from) else {
        return Ok(None);
    };
    let mut dates: BTreeSet<Date> = BTreeSet::new();
    let mut fails = Vec::new();
    for w in why_not {
        failures(w, &mut fails);
    }
    for c in &fails {
        let texts = c
            .args
            .iter()
            .flatten()
            .chain(c.chosen.iter().map(|(_, v)| v))
            .cloned()
            .chain(
                c.premise
                    .split(|ch: char| !(ch.is_ascii_digit() || ch == '-'))
                    .map(str::to_string),
            );
        dates.extend(texts.filter_map(|t| Date::parse(&t)));
    }
    for s in &target.subjects {
        for c in company.consents.iter().filter(|c| &c.subject == s) {
            dates.insert(c.given.into());
        }
        for n in company
            .notices
            .iter()
            .filter(|n| n.subject.as_ref() == Some(s))
        {
            let d = Date::from(n.date);
            dates.insert(d);
            dates.extend([d.add_days(14), d.add_months(1)].into_iter().flatten());
        }
    }
    for p in &company.parties {
        for c in &p.certifications {
            dates.extend(c.to.map(Date::from));
        }
    }
    for g in &company.agreements {
        dates.insert(g.from.into());
        dates.extend(g.to.map(Date::from));
    }
    let last = today.add_months(MAX_MONTHS_AHEAD).unwrap_or(today);
    let mut tries: BTreeSet<Date> = BTreeSet::new();
    for d in dates {
        for x in [d.add_days(-1), Some(d), d.add_days(1)]
            .into_iter()
            .flatten()
        {
            if x >= today && x <= last && x != current {
                tries.insert(x);
            }
        }
    }
    for d in tries.into_iter().take(MAX_DATES) {
        let mut moved = a.clone();
        moved.date = Some(d.into());
        let change = Change::Put(Object::Activity(moved));
        if verify(session, target, std::slice::from_ref(&change))?.is_some() {
            return Ok(Some(Step1 {
                words: Texts {
                    en: format!("move {} from {current} to {d}", a.id),
                    de: format!("{} vom {current} auf den {d} verlegen", a.id),
                },
                change,
            }));
        }
    }
    Ok(None)
}

/// The changes that take `changes` back on `company`.
fn inverse(company: &sphere_model::Model, changes: &[Change]) -> Vec<Change> {
    let mut out = Vec::new();
    for c in changes.iter().rev() {
        if let Change::Put(o) = c {
            let id = o.id().unwrap_or_default().to_string();
            let old = match o {
                Object::Activity(_) => company
                    .activities
                    .iter()
                    .find(|a| a.id == id)
                    .map(|a| Object::Activity(a.clone())),
                Object::Consent(_) => company
                    .consents
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| Object::Consent(c.clone())),
                _ => None,
            };
            out.push(match old {
                Some(old) => Change::Put(old),
                None => Change::Remove {
                    section: o.section(),
                    id,
                },
            });
        }
    }
    out
}

fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    fn go(start: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            go(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    go(0, n, k, &mut cur, &mut out);
    out
}

/// An id not used by any object of the model: `base`, else `base-2`, `base-3`...
fn fresh(company: &sphere_model::Model, base: &str) -> String {
    let used = |id: &str| {
        company.activities.iter().any(|x| x.id == id)
            || company.consents.iter().any(|x| x.id == id)
            || company.notices.iter().any(|x| x.id == id)
            || company.agreements.iter().any(|x| x.id == id)
    };
    if !used(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !used(id))
        .expect("some id is free")
}

/// Whether a person is recorded as a minor on `day`: of kind `minor`, younger than 18 by the
/// recorded age, or born less than 18 years before `day`. Only narrows the candidates; the
/// verification decides.
fn is_minor(subject: &sphere_model::Subject, day: Date) -> bool {
    let by_birth = subject.birth_date.is_some_and(|b| {
        Date::from(b)
            .add_months(18 * 12)
            .is_none_or(|adult| day < adult)
    });
    by_birth || subject.age.is_some_and(|a| a < 18) || subject.kind.as_str() == "minor"
}

/// Every failing premise of a why-not, depth first.
fn failures<'w>(w: &'w WhyNot, out: &mut Vec<&'w crate::whynot::Candidate>) {
    if let Status::Rules(tries) = &w.status {
        for t in tries {
            for c in &t.candidates {
                out.push(c);
                if let Some(n) = &c.nested {
                    failures(n, out);
                }
            }
        }
    }
}

/// The input facts the finding's derivation rests on: (relation, values).
fn own_premises(d: Option<&Derivation>) -> Vec<(String, Vec<String>)> {
    d.map(|d| {
        d.inputs()
            .into_iter()
            .map(|x| (x.relation.clone(), x.args.clone()))
            .collect()
    })
    .unwrap_or_default()
}

/// The candidate changes for a finding, from its why-not analyses and its own premises.
fn candidates(
    company: &sphere_model::Model,
    activity: Option<&Activity>,
    finding: &Finding,
    derivation: Option<&Derivation>,
    why_not: &[WhyNot],
    today: Date,
) -> Vec<Step1> {
    let mut fails = Vec::new();
    for w in why_not {
        failures(w, &mut fails);
    }
    let relations: BTreeSet<&str> = fails
        .iter()
        .filter(|c| c.input && c.missing)
        .map(|c| c.relation.as_str())
        .collect();
    let mut out = Vec::new();
    // When the act happens: a consent or notice for it is obtained or sent now, or on the
    // act's date if that is earlier (a planned act overdue).
    let when = activity
        .and_then(|a| a.date)
        .map_or(today, |d| sphere_engine::Date::from(d).min(today));
    // Obtain a consent of the right purpose and channel.
    if let Some(a) = activity {
        if relations.iter().any(|r| r.starts_with("consent")) {
            for s in &finding.subjects {
                let consent = Consent {
                    id: fresh(company, &format!("cns-{s}-{}", a.id)),
                    subject: s.clone(),
                    purposes: vec![a.purpose],
                    channels: a.channel.into_iter().collect(),
                    categories: a.categories.clone(),
                    products: a.products.clone(),
                    given: when.into(),
                    withdrawn: None,
                    form: ConsentForm::Written,
                    documented: true,
                    informed: true,
                    explicit: !a.categories.is_empty(),
                    obtained_by: None,
                    circumstances: None,
                    // For a child the verification shows that this alone does not cure it
                    // (Art. 8 GDPR); proposing the parents' authorisation is not built yet.
                    parental_authorisation: None,
                    verified: None,
                };
                let channel = a.channel.map_or(String::new(), |c| c.as_str().to_string());
                out.push(Step1 {
                    words: Texts {
                        en: format!(
                            "obtain and document a written consent of {s} for {} by {} before {} (new consent {})",
                            a.purpose, if channel.is_empty() { "any channel" } else { &channel }, a.id, consent.id
                        ),
                        de: format!(
                            "eine schriftliche Einwilligung von {s} für {} über {} vor {} einholen und dokumentieren (neue Einwilligung {})",
                            a.purpose, if channel.is_empty() { "jeden Kanal" } else { &channel }, a.id, consent.id
                        ),
                    },
                    change: Change::Put(Object::Consent(consent)),
                });
            }
        }
    }
    // Obtain the authorisation of the holder of parental responsibility for a child's consent
    // (Art. 8(1) GDPR): the consent stays as given, with the day it was given; the
    // authorisation is added now, or on the act's date if that is earlier. Proposed for the
    // consents of the finding's subjects that have none, when the person is recorded as a
    // minor; the verification shows whether it cures.
    if let Some(a) = activity {
        for s in &finding.subjects {
            let Some(subject) = company.subjects.iter().find(|x| &x.id == s) else {
                continue;
            };
            if !is_minor(subject, when) {
                continue;
            }
            for c in company.consents.iter().filter(|c| {
                &c.subject == s
                    && c.parental_authorisation.is_none()
                    && c.withdrawn.is_none()
                    && c.purposes.contains(&a.purpose)
            }) {
                let mut authorised = c.clone();
                authorised.parental_authorisation = Some(when.into());
                out.push(Step1 {
                    words: Texts {
                        en: format!(
                            "obtain and document the authorisation of the holder of parental responsibility for consent {} of {s} before {}",
                            c.id, a.id
                        ),
                        de: format!(
                            "vor {} die Zustimmung des Trägers der elterlichen Verantwortung zur Einwilligung {} von {s} einholen und dokumentieren",
                            a.id, c.id
                        ),
                    },
                    change: Change::Put(Object::Consent(authorised)),
                });
            }
        }
    }
    // Send the notice the rules look for.
    for c in fails
        .iter()
        .filter(|c| c.input && c.missing && c.relation == "notice")
    {
        let Some(article) = c
            .args
            .get(1)
            .cloned()
            .flatten()
            .and_then(|a| Article::parse(&a))
        else {
            continue;
        };
        for s in &finding.subjects {
            if s.is_empty() {
                continue;
            }
            let notice = Notice {
                id: fresh(company, &format!("ntc-{s}-{}", article.as_str())),
                subject: Some(s.clone()),
                article,
                date: when.into(),
                channel: None,
                covers: activity.map(|a| vec![a.purpose]).unwrap_or_default(),
                sources: activity
                    .and_then(|a| a.source.clone())
                    .into_iter()
                    .collect(),
                categories: activity.map(|a| a.categories.clone()).unwrap_or_default(),
                right_to_object: true,
            };
            if out.iter().any(|x: &Step1| matches!(&x.change, Change::Put(Object::Notice(n)) if n.id == notice.id)) {
                continue;
            }
            out.push(Step1 {
                words: Texts {
                    en: format!(
                        "inform {s} under Art. {} now, naming purpose, source, categories and the right to object (new notice {})",
                        article.as_str(), notice.id
                    ),
                    de: format!(
                        "{s} jetzt nach Art. {} informieren, mit Zweck, Quelle, Kategorien und Widerspruchsrecht (neue Information {})",
                        article.as_str(), notice.id
                    ),
                },
                change: Change::Put(Object::Notice(notice)),
            });
        }
    }
    // Sign the agreement the rules look for.
    for c in fails
        .iter()
        .filter(|c| c.input && c.missing && c.relation == "agreement")
    {
        let (Some(kind), Some(with)) = (
            c.args
                .get(1)
                .cloned()
                .flatten()
                .and_then(|k| AgreementKind::parse(&k)),
            c.args.get(2).cloned().flatten(),
        ) else {
            continue;
        };
        let id = fresh(company, &format!("agr-{}-{with}", kind.as_str()));
        if out
            .iter()
            .any(|x: &Step1| matches!(&x.change, Change::Put(Object::Agreement(g)) if g.id == id))
        {
            continue;
        }
        let agreement = Agreement {
            id: id.clone(),
            kind,
            with: with.clone(),
            systems: activity
                .and_then(|a| a.system.clone())
                .into_iter()
                .collect(),
            sources: activity
                .and_then(|a| a.source.clone())
                .into_iter()
                .collect(),
            flows: activity.and_then(|a| a.flow.clone()).into_iter().collect(),
            from: when.into(),
            to: None,
            edition: (kind == AgreementKind::Scc).then(|| "2021/914".to_string()),
            published: kind == AgreementKind::JointControl,
        };
        out.push(Step1 {
            words: Texts {
                en: format!("sign a {} agreement with {with} before the act (new agreement {id})", kind.as_str()),
                de: format!("vor der Handlung eine Vereinbarung der Art {} mit {with} schließen (neue Vereinbarung {id})", kind.as_str()),
            },
            change: Change::Put(Object::Agreement(agreement)),
        });
    }
    // Change the planned act itself: its channel, or the people it selects.
    if let Some(a) = activity.filter(|a| a.status == ActivityStatus::Planned) {
        for (rel, args) in own_premises(derivation) {
            match rel.as_str() {
                "activity_channel" if args.first() == Some(&a.id) => {
                    for ch in [
                        Channel::Post,
                        Channel::InPerson,
                        Channel::Email,
                        Channel::Phone,
                    ] {
                        if Some(ch) == a.channel {
                            continue;
                        }
                        let mut changed = a.clone();
                        changed.channel = Some(ch);
                        out.push(Step1 {
                            words: Texts {
                                en: format!(
                                    "use channel {} instead of {} for {}",
                                    ch.as_str(),
                                    args.get(1).map_or("", String::as_str),
                                    a.id
                                ),
                                de: format!(
                                    "für {} den Kanal {} statt {} nutzen",
                                    a.id,
                                    ch.as_str(),
                                    args.get(1).map_or("", String::as_str)
                                ),
                            },
                            change: Change::Put(Object::Activity(changed)),
                        });
                    }
                }
                "activity_subject" if a.subjects.len() > 1 && args.first() == Some(&a.id) => {
                    let Some(s) = args.get(1) else { continue };
                    let mut changed = a.clone();
                    changed.subjects.retain(|x| x != s);
                    out.push(Step1 {
                        words: Texts {
                            en: format!("leave {s} out of {}", a.id),
                            de: format!("{s} aus {} herausnehmen", a.id),
                        },
                        change: Change::Put(Object::Activity(changed)),
                    });
                }
                _ => {}
            }
        }
    }
    out
}

/// The model with remedy `remedy` applied, as one JSON document (in the format version it was
/// read in): what staff are to do, written down. Checked again: the changed model must
/// validate.
pub fn changed_model(
    kb: Arc<KnowledgeBase>,
    model: &Model,
    options: &EvalOptions,
    remedy: &Remedy,
) -> Result<String> {
    let mut session = Session::new(kb, model.clone(), options.clone())?;
    session.apply(&remedy.changes)?;
    session.model().to_json()
}
