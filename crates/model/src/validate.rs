//! Checks across objects of a merged model: ids are unique (one name space across kinds and
//! files), every reference names an object of the kind it must, and facts stated in two
//! places agree (a campaign lists an activity that names another campaign).
//!
//! Every check is one pass over the model with hash maps of ids, so a model with a million
//! activities validates in linear time. The ids of activities, most of the ids of a large
//! model, have a map of their own: most references name other kinds (subjects above all), and
//! the map of those stays small enough to be answered from the cache.

use std::collections::hash_map::Entry;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::{did_you_mean, ErrorKind, ValidationError};
use crate::types::*;
use crate::{Origin, Section};

/// The kinds of object that have an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    Organization,
    Staff,
    Party,
    System,
    Agreement,
    Assessment,
    Source,
    Subject,
    Consent,
    Notice,
    Flow,
    Activity,
    Campaign,
    Guideline,
}

impl IdKind {
    /// The kind as a word, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            IdKind::Organization => "the organization",
            IdKind::Staff => "a staff member",
            IdKind::Party => "a party",
            IdKind::System => "a system",
            IdKind::Agreement => "an agreement",
            IdKind::Assessment => "an assessment",
            IdKind::Source => "a source",
            IdKind::Subject => "a subject",
            IdKind::Consent => "a consent",
            IdKind::Notice => "a notice",
            IdKind::Flow => "a flow",
            IdKind::Activity => "an activity",
            IdKind::Campaign => "a campaign",
            IdKind::Guideline => "a guideline",
        }
    }

    /// [`IdKind::noun`] in German.
    pub fn noun_de(self) -> &'static str {
        match self {
            IdKind::Organization => "die Organisation",
            IdKind::Staff => "ein Mitarbeiter",
            IdKind::Party => "eine Partei",
            IdKind::System => "ein System",
            IdKind::Agreement => "eine Vereinbarung",
            IdKind::Assessment => "eine Bewertung",
            IdKind::Source => "eine Quelle",
            IdKind::Subject => "eine betroffene Person",
            IdKind::Consent => "eine Einwilligung",
            IdKind::Notice => "ein Datenschutzhinweis",
            IdKind::Flow => "ein Datenfluss",
            IdKind::Activity => "eine Verarbeitungstätigkeit",
            IdKind::Campaign => "eine Kampagne",
            IdKind::Guideline => "eine Leitlinie",
        }
    }

    /// The kind of the objects of a section (`None` for objections, which have no id).
    fn of(s: Section) -> Option<IdKind> {
        Some(match s {
            Section::Staff => IdKind::Staff,
            Section::Parties => IdKind::Party,
            Section::Systems => IdKind::System,
            Section::Agreements => IdKind::Agreement,
            Section::Assessments => IdKind::Assessment,
            Section::Sources => IdKind::Source,
            Section::Subjects => IdKind::Subject,
            Section::Consents => IdKind::Consent,
            Section::Objections => return None,
            Section::Notices => IdKind::Notice,
            Section::Flows => IdKind::Flow,
            Section::Activities => IdKind::Activity,
            Section::Campaigns => IdKind::Campaign,
            Section::Guidelines => IdKind::Guideline,
        })
    }

    /// The top-level key that defines objects of this kind.
    pub fn key(self) -> &'static str {
        match self {
            IdKind::Organization => "organization",
            IdKind::Staff => "staff",
            IdKind::Party => "parties",
            IdKind::System => "systems",
            IdKind::Agreement => "agreements",
            IdKind::Assessment => "assessments",
            IdKind::Source => "sources",
            IdKind::Subject => "subjects",
            IdKind::Consent => "consents",
            IdKind::Notice => "notices",
            IdKind::Flow => "flows",
            IdKind::Activity => "activities",
            IdKind::Campaign => "campaigns",
            IdKind::Guideline => "guidelines",
        }
    }
}

/// Where an id is defined: its kind and the object (`None` for the organization).
#[derive(Clone, Copy, Debug)]
struct Def {
    kind: IdKind,
    at: Option<(Section, usize)>,
}

/// Appends every problem across objects of `model` to `errors`.
pub fn validate(model: &Model, errors: &mut Vec<ValidationError>) {
    validate_with(model, &[], errors)
}

/// [`validate`], knowing that objects of the `incomplete` sections were lost when loading
/// (reported there): a reference that may name one of them is not called dangling.
pub(crate) fn validate_with(
    model: &Model,
    incomplete: &[Section],
    errors: &mut Vec<ValidationError>,
) {
    let incomplete = incomplete.iter().map(|&s| IdKind::of(s)).collect();
    let mut v = Validator::new(model, incomplete, None, errors);
    v.collect_ids();
    v.references();
    v.agreement_of_facts();
}

/// [`validate`] for a part of a valid model: the records of some data subjects (those whose
/// ids `in_part` accepts: subjects, consents, objections, personal notices, activities) with
/// all the shared data, after a change to those records.
///
/// The records of a part reference each other and the shared data only, so their references
/// are judged as in the whole model. A shared object may name a record of another part: such a
/// reference (to an id `in_part` does not accept) is not judged, since the change left both
/// as they were in the valid model. What the change can break is judged: a reference to a
/// record of the part that was removed, a new id that collides, a campaign and an activity
/// that disagree.
pub fn validate_part(
    model: &Model,
    in_part: &dyn Fn(&str) -> bool,
    errors: &mut Vec<ValidationError>,
) {
    let mut v = Validator::new(model, Vec::new(), Some(in_part), errors);
    v.collect_ids();
    v.references();
    v.agreement_of_facts();
}

struct Validator<'m, 'e> {
    model: &'m Model,
    incomplete: Vec<Option<IdKind>>,
    /// When validating a part ([`validate_part`]): which record ids belong to it.
    part: Option<&'m dyn Fn(&str) -> bool>,
    /// Where each id is first defined, for ids first defined by an object other than an
    /// activity.
    ids: FxHashMap<&'m str, Def>,
    /// The ids first defined by an activity, with its index in `model.activities`. An id is
    /// in one of `ids` and `activities` at most, so together they are one name space. The
    /// index is a `u32` to keep the entries small: a model that fits in memory has far fewer
    /// than four billion activities.
    activities: FxHashMap<&'m str, u32>,
    /// Ids defined more than once: references to them are not judged (which one is meant
    /// is unclear, and the duplicate is reported already).
    duplicated: FxHashSet<&'m str>,
    errors: &'e mut Vec<ValidationError>,
}

fn join_kinds(kinds: &[IdKind]) -> String {
    join_nouns(kinds, IdKind::noun, "or")
}

fn join_kinds_de(kinds: &[IdKind]) -> String {
    join_nouns(kinds, IdKind::noun_de, "oder")
}

fn join_nouns(kinds: &[IdKind], noun: fn(IdKind) -> &'static str, or: &str) -> String {
    match kinds {
        [] => String::new(),
        [one] => noun(*one).to_string(),
        [init @ .., last] => format!(
            "{} {or} {}",
            init.iter().map(|k| noun(*k)).collect::<Vec<_>>().join(", "),
            noun(*last)
        ),
    }
}

/// Where the activity at `i` in `model.activities` is defined.
fn activity_def(i: u32) -> Def {
    Def {
        kind: IdKind::Activity,
        at: Some((Section::Activities, i as usize)),
    }
}

impl<'m, 'e> Validator<'m, 'e> {
    /// A validator with its maps of ids sized for every id of `model`, so that collecting
    /// them never grows a map.
    fn new(
        model: &'m Model,
        incomplete: Vec<Option<IdKind>>,
        part: Option<&'m dyn Fn(&str) -> bool>,
        errors: &'e mut Vec<ValidationError>,
    ) -> Self {
        let m = model;
        let others = 1
            + m.staff.len()
            + m.parties.len()
            + m.systems.len()
            + m.agreements.len()
            + m.assessments.len()
            + m.sources.len()
            + m.subjects.len()
            + m.consents.len()
            + m.notices.len()
            + m.flows.len()
            + m.campaigns.len()
            + m.guidelines.len();
        Validator {
            model,
            incomplete,
            part,
            ids: FxHashMap::with_capacity_and_hasher(others, Default::default()),
            activities: FxHashMap::with_capacity_and_hasher(m.activities.len(), Default::default()),
            duplicated: FxHashSet::default(),
            errors,
        }
    }
}

impl<'m> Validator<'m, '_> {
    fn origin(&self, at: Option<(Section, usize)>) -> Origin {
        match at {
            Some((s, i)) => self.model.provenance.origin(s, i),
            None => self.model.provenance.organization(),
        }
    }

    fn define(&mut self, id: &'m str, kind: IdKind, at: Option<(Section, usize)>) {
        // An empty id was reported when it was read.
        if id.is_empty() {
            return;
        }
        // Each map is probed once for a new id: the other one first (for an activity the
        // small map), then the entry of its own map.
        let first = match (kind, at) {
            (IdKind::Activity, Some((_, i))) => match self.ids.get(id) {
                Some(d) => *d,
                None => match self.activities.entry(id) {
                    Entry::Occupied(e) => activity_def(*e.get()),
                    Entry::Vacant(e) => {
                        e.insert(i as u32);
                        return;
                    }
                },
            },
            _ => match self.activities.get(id) {
                Some(&i) => activity_def(i),
                None => match self.ids.entry(id) {
                    Entry::Occupied(e) => *e.get(),
                    Entry::Vacant(e) => {
                        e.insert(Def { kind, at });
                        return;
                    }
                },
            },
        };
        self.duplicated.insert(id);
        let here = self.origin(at);
        let there = self.origin(first.at);
        let (same, same_de) = if first.kind == kind {
            (String::new(), String::new())
        } else {
            (
                format!(" ({})", first.kind.noun()),
                format!(" ({})", first.kind.noun_de()),
            )
        };
        self.errors.push(
            ValidationError::at_path(
                ErrorKind::DuplicateId,
                &here.file,
                format!("{}.id", here.path),
                format!("the id `{id}` is already used at {}: {}{same}", there.file, there.path),
            )
            .de(format!("die ID `{id}` ist schon vergeben, bei {}: {}{same_de}", there.file, there.path))
            .with_hints(
                "ids are one name space across all objects and all merged files: rename one of them",
                "IDs bilden einen Namensraum über alle Objekte und alle zusammengeführten Dateien: eines der Objekte umbenennen",
            ),
        );
    }

    fn collect_ids(&mut self) {
        let m = self.model;
        self.define(&m.organization.id, IdKind::Organization, None);
        macro_rules! define_all {
            ($($field:ident: $section:ident => $kind:ident),*) => {$(
                for (i, x) in m.$field.iter().enumerate() {
                    self.define(&x.id, IdKind::$kind, Some((Section::$section, i)));
                }
            )*};
        }
        define_all!(
            staff: Staff => Staff, parties: Parties => Party, systems: Systems => System,
            agreements: Agreements => Agreement, assessments: Assessments => Assessment,
            sources: Sources => Source, subjects: Subjects => Subject,
            consents: Consents => Consent, notices: Notices => Notice, flows: Flows => Flow,
            activities: Activities => Activity, campaigns: Campaigns => Campaign,
            guidelines: Guidelines => Guideline
        );
    }

    /// Where `id` is first defined, if anywhere. A reference that may name one of `expected`
    /// is looked up in the map that holds those first: for all but activities the small one.
    fn lookup(&self, id: &str, expected: &[IdKind]) -> Option<Def> {
        let activity = || self.activities.get(id).map(|&i| activity_def(i));
        if expected == [IdKind::Activity] {
            activity().or_else(|| self.ids.get(id).copied())
        } else {
            self.ids.get(id).copied().or_else(activity)
        }
    }

    /// The kind of object `id` names, if any (for a reference expected to name other kinds
    /// than an activity).
    fn kind_of(&self, id: &str) -> Option<IdKind> {
        self.lookup(id, &[]).map(|d| d.kind)
    }

    /// Checks that `id`, referenced at `suffix` under object `at`, names one of `expected`.
    fn check(&mut self, at: Option<(Section, usize)>, suffix: &str, id: &str, expected: &[IdKind]) {
        // Hashing `id` for a set that is empty in a valid model would cost a pass over every
        // reference's text.
        if id.is_empty() || (!self.duplicated.is_empty() && self.duplicated.contains(id)) {
            return;
        }
        if let Some(in_part) = self.part {
            let shared = !matches!(
                at,
                Some((
                    Section::Subjects
                        | Section::Consents
                        | Section::Objections
                        | Section::Notices
                        | Section::Activities,
                    _
                ))
            );
            // A shared object's reference to a record of another part is as valid as it was.
            if shared && !in_part(id) {
                return;
            }
        }
        match self.lookup(id, expected) {
            Some(d) if expected.contains(&d.kind) => {}
            None if expected.iter().any(|k| self.incomplete.contains(&Some(*k))) => {}
            found => {
                let here = self.origin(at);
                let path = format!("{}{suffix}", here.path);
                let wanted = join_kinds(expected);
                let wanted_de = join_kinds_de(expected);
                let e = match found {
                    Some(d) => {
                        let there = self.origin(d.at);
                        ValidationError::at_path(
                            ErrorKind::WrongReferenceKind,
                            &here.file,
                            path,
                            format!("`{id}` is {}, but {wanted} is expected here", d.kind.noun()),
                        )
                        .de(format!(
                            "`{id}` ist {}, erwartet wird hier {wanted_de}",
                            d.kind.noun_de()
                        ))
                        .with_hints(
                            format!(
                                "`{id}` is defined at {}: {}; name {wanted} instead",
                                there.file, there.path
                            ),
                            format!(
                                "`{id}` ist definiert bei {}: {}; stattdessen {wanted_de} nennen",
                                there.file, there.path
                            ),
                        )
                    }
                    None => {
                        let e = ValidationError::at_path(
                            ErrorKind::DanglingReference,
                            &here.file,
                            path,
                            format!("`{id}` is not the id of any object; expected {wanted}"),
                        )
                        .de(format!(
                            "`{id}` ist die ID keines Objekts; erwartet: {wanted_de}"
                        ));
                        let keys: Vec<String> =
                            expected.iter().map(|k| format!("`{}`", k.key())).collect();
                        let (keys, keys_de) = (keys.join(" or "), keys.join(" oder "));
                        match self.suggest(id, expected) {
                            Some(s) => e.with_hints(
                                format!("did you mean `{s}`? or define it under {keys}"),
                                format!("meinten Sie `{s}`? oder unter {keys_de} definieren"),
                            ),
                            None => e.with_hints(
                                format!("define it under {keys} (in any of the merged files), or correct the reference"),
                                format!("unter {keys_de} definieren (in einer der zusammengeführten Dateien) oder den Verweis berichtigen"),
                            ),
                        }
                    }
                };
                self.errors.push(e);
            }
        }
    }

    /// Like [`Self::check`], for an optional reference or a list element: an empty string
    /// there comes from the input (a required reference that could not be read is an empty
    /// placeholder, already reported), so it is reported here.
    fn check_opt(
        &mut self,
        at: Option<(Section, usize)>,
        suffix: &str,
        id: &str,
        expected: &[IdKind],
    ) {
        if !id.trim().is_empty() {
            return self.check(at, suffix, id, expected);
        }
        let here = self.origin(at);
        self.errors.push(
            ValidationError::at_path(
                ErrorKind::InvalidValue,
                &here.file,
                format!("{}{suffix}", here.path),
                format!(
                    "an empty reference where {} is expected",
                    join_kinds(expected)
                ),
            )
            .de(format!(
                "ein leerer Verweis, wo {} erwartet wird",
                join_kinds_de(expected)
            ))
            .with_hints(
                "name the id of the object, or leave the key out (or null) when there is none",
                "die ID des Objekts nennen oder den Schlüssel weglassen (oder null), wenn es keines gibt",
            ),
        );
    }

    /// A likely intended id of one of the `expected` kinds. Only searched while the model is
    /// small enough for a scan per error to be cheap.
    fn suggest(&self, id: &str, expected: &[IdKind]) -> Option<&'m str> {
        if self.ids.len() + self.activities.len() > 50_000 {
            return None;
        }
        let mut candidates: Vec<&'m str> = self
            .ids
            .iter()
            .filter(|(_, d)| expected.contains(&d.kind))
            .map(|(k, _)| *k)
            .collect();
        if expected.contains(&IdKind::Activity) {
            candidates.extend(self.activities.keys());
        }
        candidates.sort_unstable();
        did_you_mean(id, candidates)
    }

    fn references(&mut self) {
        use IdKind as K;
        let m = self.model;
        if let Some(dpo) = &m.organization.dpo {
            self.check(None, ".dpo", dpo, &[K::Staff]);
        }
        for (i, s) in m.systems.iter().enumerate() {
            let at = Some((Section::Systems, i));
            self.check(at, ".operator", &s.operator, &[K::Party, K::Organization]);
            for (j, b) in s.incidents.iter().enumerate() {
                for (k, x) in b.subjects.iter().enumerate() {
                    self.check_opt(
                        at,
                        &format!(".incidents[{j}].subjects[{k}]"),
                        x,
                        &[K::Subject],
                    );
                }
            }
        }
        for (i, a) in m.agreements.iter().enumerate() {
            let at = Some((Section::Agreements, i));
            self.check(at, ".with", &a.with, &[K::Party, K::Subject]);
            for (j, x) in a.systems.iter().enumerate() {
                self.check_opt(at, &format!(".systems[{j}]"), x, &[K::System]);
            }
            for (j, x) in a.sources.iter().enumerate() {
                self.check_opt(at, &format!(".sources[{j}]"), x, &[K::Source]);
            }
            for (j, x) in a.flows.iter().enumerate() {
                self.check_opt(at, &format!(".flows[{j}]"), x, &[K::Flow]);
            }
        }
        for (i, a) in m.assessments.iter().enumerate() {
            let at = Some((Section::Assessments, i));
            self.check(
                at,
                ".about",
                &a.about,
                &[K::System, K::Source, K::Flow, K::Activity, K::Campaign],
            );
        }
        for (i, s) in m.sources.iter().enumerate() {
            let at = Some((Section::Sources, i));
            self.check_opt(
                at,
                ".operator",
                &s.operator,
                &[K::Party, K::Subject, K::Organization],
            );
            if let Some(p) = &s.platform {
                self.check_opt(at, ".platform", p, &[K::Party]);
            }
            for (j, t) in s.tracking.iter().enumerate() {
                if let Some(r) = &t.recipient {
                    self.check_opt(at, &format!(".tracking[{j}].recipient"), r, &[K::Party]);
                }
            }
        }
        for (i, c) in m.consents.iter().enumerate() {
            let at = Some((Section::Consents, i));
            self.check(at, ".subject", &c.subject, &[K::Subject]);
            if let Some(b) = &c.obtained_by {
                self.check_opt(at, ".obtained_by", b, &[K::Organization, K::Party]);
            }
        }
        for (i, o) in m.objections.iter().enumerate() {
            self.check(
                Some((Section::Objections, i)),
                ".subject",
                &o.subject,
                &[K::Subject],
            );
        }
        for (i, n) in m.notices.iter().enumerate() {
            let at = Some((Section::Notices, i));
            if let Some(s) = &n.subject {
                self.check_opt(at, ".subject", s, &[K::Subject]);
            }
            for (j, x) in n.sources.iter().enumerate() {
                self.check_opt(at, &format!(".sources[{j}]"), x, &[K::Source]);
            }
        }
        for (i, f) in m.flows.iter().enumerate() {
            let at = Some((Section::Flows, i));
            self.check(at, ".from", &f.from, &[K::Source, K::System, K::Party]);
            self.check(at, ".to", &f.to, &[K::Source, K::System, K::Party]);
        }
        for (i, a) in m.activities.iter().enumerate() {
            let at = Some((Section::Activities, i));
            self.check(at, ".by", &a.by, &[K::Staff]);
            if let Some(x) = &a.source {
                self.check_opt(at, ".source", x, &[K::Source]);
            }
            if let Some(x) = &a.system {
                self.check_opt(at, ".system", x, &[K::System]);
            }
            if let Some(x) = &a.flow {
                self.check_opt(at, ".flow", x, &[K::Flow]);
            }
            for (j, x) in a.subjects.iter().enumerate() {
                self.check_opt(at, &format!(".subjects[{j}]"), x, &[K::Subject]);
            }
            if let Some(x) = &a.triggered_by {
                self.check_opt(at, ".triggered_by", x, &[K::Activity]);
            }
            if let Some(x) = a.content.as_ref().and_then(|c| c.author.as_ref()) {
                self.check_opt(at, ".content.author", x, &[K::Subject]);
            }
            if let Some(x) = &a.campaign {
                self.check_opt(at, ".campaign", x, &[K::Campaign]);
            }
        }
        for (i, c) in m.campaigns.iter().enumerate() {
            let at = Some((Section::Campaigns, i));
            self.check(at, ".owner", &c.owner, &[K::Staff]);
            for (j, x) in c.activities.iter().enumerate() {
                self.check_opt(at, &format!(".activities[{j}]"), x, &[K::Activity]);
            }
        }
    }

    /// Facts stated twice must agree.
    fn agreement_of_facts(&mut self) {
        let m = self.model;
        // A system's role: `own` exactly when the organisation operates it; required otherwise.
        for (i, s) in m.systems.iter().enumerate() {
            let own_operator = s.operator == m.organization.id;
            if s.operator.is_empty()
                || (!own_operator && self.kind_of(&s.operator) != Some(IdKind::Party))
            {
                continue; // the reference itself was reported
            }
            let here = m.provenance.origin(Section::Systems, i);
            match (own_operator, s.role) {
                (false, None) => self.errors.push(
                    ValidationError::at_path(
                        ErrorKind::MissingKey,
                        &here.file,
                        here.path,
                        format!("the system is operated by the party `{}` but has no `role`", s.operator),
                    )
                    .de(format!("das System betreibt die Partei `{}`, es hat aber keine `role`", s.operator))
                    .with_hints(
                        "say what the operator is to the organisation: \"processor\", \"joint_controller\" or \"independent_controller\"",
                        "angeben, was der Betreiber für die Organisation ist: \"processor\", \"joint_controller\" oder \"independent_controller\"",
                    ),
                ),
                (false, Some(SystemRole::Own)) => self.errors.push(
                    ValidationError::at_path(
                        ErrorKind::Contradiction,
                        &here.file,
                        format!("{}.role", here.path),
                        format!("role \"own\", but the operator is the party `{}`", s.operator),
                    )
                    .de(format!("role \"own\", aber der Betreiber ist die Partei `{}`", s.operator))
                    .with_hints(
                        format!(
                            "\"own\" means the organisation `{}` runs the system itself: make it the operator, or choose the party's role",
                            m.organization.id
                        ),
                        format!(
                            "\"own\" heißt, die Organisation `{}` betreibt das System selbst: sie zum Betreiber machen oder die Rolle der Partei wählen",
                            m.organization.id
                        ),
                    ),
                ),
                (true, Some(r)) if r != SystemRole::Own => self.errors.push(
                    ValidationError::at_path(
                        ErrorKind::Contradiction,
                        &here.file,
                        format!("{}.role", here.path),
                        format!("role \"{r}\", but the operator is the organisation itself"),
                    )
                    .de(format!("role \"{r}\", aber der Betreiber ist die Organisation selbst"))
                    .with_hints(
                        "a system the organisation operates has the role \"own\"; if a vendor runs it, make the vendor (a party) the operator",
                        "ein System, das die Organisation betreibt, hat die Rolle \"own\"; betreibt es ein Anbieter, diesen (eine Partei) zum Betreiber machen",
                    ),
                ),
                _ => {}
            }
        }
        // A campaign lists an activity that names another campaign. A listed id that is
        // duplicated, or empty, means the last activity of that id; such ids are not in
        // `activities` (or there as the first), so they have a map of their own, made only
        // when there are any.
        let mut unclear: Option<FxHashMap<&str, usize>> = None;
        for (i, c) in m.campaigns.iter().enumerate() {
            for (j, a) in c.activities.iter().enumerate() {
                let k = if a.is_empty()
                    || (!self.duplicated.is_empty() && self.duplicated.contains(a.as_str()))
                {
                    let duplicated = &self.duplicated;
                    let unclear = unclear.get_or_insert_with(|| {
                        m.activities
                            .iter()
                            .enumerate()
                            .filter(|(_, x)| x.id.is_empty() || duplicated.contains(x.id.as_str()))
                            .map(|(i, x)| (x.id.as_str(), i))
                            .collect()
                    });
                    unclear.get(a.as_str()).copied()
                } else {
                    self.activities.get(a.as_str()).map(|&k| k as usize)
                };
                let Some(k) = k else {
                    continue;
                };
                if let Some(other) = &m.activities[k].campaign {
                    if *other != c.id && self.kind_of(other) == Some(IdKind::Campaign) {
                        let here = m.provenance.origin(Section::Campaigns, i);
                        let there = m.provenance.origin(Section::Activities, k);
                        self.errors.push(
                            ValidationError::at_path(
                                ErrorKind::Contradiction,
                                &here.file,
                                format!("{}.activities[{j}]", here.path),
                                format!(
                                    "campaign `{}` lists activity `{a}`, but the activity names campaign `{other}` ({}: {}.campaign)",
                                    c.id, there.file, there.path
                                ),
                            )
                            .de(format!(
                                "die Kampagne `{}` führt die Verarbeitungstätigkeit `{a}`, die aber die Kampagne `{other}` nennt ({}: {}.campaign)",
                                c.id, there.file, there.path
                            ))
                            .with_hints(
                                "an activity belongs to one campaign: correct the list or the activity's `campaign`",
                                "eine Verarbeitungstätigkeit gehört zu einer Kampagne: die Liste oder `campaign` der Tätigkeit berichtigen",
                            ),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{load_texts, render, Date};

    /// The rendered problems of a small model: an organisation, one staff member, one source
    /// and the subject `karl`, with `sections` (top-level keys of JSON) added.
    fn problems(sections: &str) -> String {
        let text = format!(
            r#"{{
  "format": "sphere-model/1",
  "as_of": "2025-06-16",
  "organization": {{"id": "optik", "name": "Optik AG", "country": "DE", "persons_processing": 40, "dpo": null}},
  "staff": [{{"id": "sandra", "name": "Sandra Bauer", "function": "service"}}],
  "sources": [{{"id": "fotoforum", "name": "Fotoforum.de", "kind": "forum", "operator": "optik", "public": true}}],
  "subjects": [{{"id": "karl", "name": "Karl Kaufmann", "kind": "consumer", "country": "DE"}}],
  {sections}
}}"#
        );
        let today = Date::parse("2025-01-01").expect("a valid date");
        match load_texts(&[("m.json", &text)], today) {
            Ok(_) => String::new(),
            Err(errors) => render(&errors),
        }
    }

    /// An activity with the given id and further fields (JSON, each with a leading comma).
    fn activity(id: &str, more: &str) -> String {
        format!(
            r#"{{"id": "{id}", "kind": "contact", "by": "sandra", "purpose": "newsletter"{more}}}"#
        )
    }

    const HINT_DUP: &str = "  hint: ids are one name space across all objects and all merged files: rename one of them\n\n";

    #[test]
    fn the_small_model_is_valid() {
        assert_eq!(
            problems(&format!(r#""activities": [{}]"#, activity("a0", ""))),
            ""
        );
    }

    #[test]
    fn an_activity_with_a_subjects_id_names_the_subject_as_first() {
        // The second activity's reference to `karl` is not judged: the id is duplicated.
        let out = problems(&format!(
            r#""activities": [{}, {}]"#,
            activity("karl", ""),
            activity("a1", r#", "subjects": ["karl"]"#)
        ));
        assert_eq!(
            out,
            format!(
                "error[duplicate_id]: the id `karl` is already used at m.json: $.subjects[0] (a subject)\n  --> m.json: $.activities[0].id\n{HINT_DUP}"
            )
        );
    }

    #[test]
    fn a_campaign_with_an_activitys_id_names_the_activity_as_first() {
        let out = problems(&format!(
            r#""activities": [{}],
  "campaigns": [{{"id": "mail", "name": "Mail", "owner": "sandra", "status": "planned", "activities": []}}]"#,
            activity("mail", "")
        ));
        assert_eq!(
            out,
            format!(
                "error[duplicate_id]: the id `mail` is already used at m.json: $.activities[0] (an activity)\n  --> m.json: $.campaigns[0].id\n{HINT_DUP}"
            )
        );
    }

    #[test]
    fn two_activities_with_one_id_and_errors_in_the_order_of_sections() {
        let out = problems(&format!(
            r#""activities": [{}, {}, {}],
  "guidelines": [{{"id": "a0", "text": "no mail", "forbid": {{"kind": "contact"}}}}]"#,
            activity("a0", ""),
            activity("fotoforum", ""),
            activity("a0", "")
        ));
        assert_eq!(
            out,
            format!(
                "error[duplicate_id]: the id `fotoforum` is already used at m.json: $.sources[0] (a source)\n  --> m.json: $.activities[1].id\n{HINT_DUP}\
                 error[duplicate_id]: the id `a0` is already used at m.json: $.activities[0]\n  --> m.json: $.activities[2].id\n{HINT_DUP}\
                 error[duplicate_id]: the id `a0` is already used at m.json: $.activities[0] (an activity)\n  --> m.json: $.guidelines[0].id\n{HINT_DUP}"
            )
        );
    }

    #[test]
    fn a_subject_reference_naming_an_activity_names_the_activitys_place() {
        let out = problems(&format!(
            r#""activities": [{}, {}]"#,
            activity("a0", ""),
            activity("a1", r#", "subjects": ["karl", "a0"]"#)
        ));
        assert_eq!(
            out,
            "error[wrong_reference_kind]: `a0` is an activity, but a subject is expected here\n  --> m.json: $.activities[1].subjects[1]\n  hint: `a0` is defined at m.json: $.activities[0]; name a subject instead\n\n"
        );
    }

    #[test]
    fn a_trigger_naming_a_subject_names_the_subjects_place() {
        let out = problems(&format!(
            r#""activities": [{}]"#,
            activity("a0", r#", "triggered_by": "karl""#)
        ));
        assert_eq!(
            out,
            "error[wrong_reference_kind]: `karl` is a subject, but an activity is expected here\n  --> m.json: $.activities[0].triggered_by\n  hint: `karl` is defined at m.json: $.subjects[0]; name an activity instead\n\n"
        );
    }

    #[test]
    fn dangling_references_suggest_ids_of_the_expected_kinds_only() {
        // `mial` is close to the activity `mail`: suggested where an activity is expected,
        // not where a subject is.
        let out = problems(&format!(
            r#""activities": [{}, {}],
  "campaigns": [{{"id": "spring", "name": "Spring", "owner": "sandra", "status": "planned", "activities": ["mail", "mial"]}}]"#,
            activity("mail", ""),
            activity("a1", r#", "subjects": ["mial"]"#)
        ));
        assert_eq!(
            out,
            "error[dangling_reference]: `mial` is not the id of any object; expected a subject\n  --> m.json: $.activities[1].subjects[0]\n  hint: define it under `subjects` (in any of the merged files), or correct the reference\n\n\
             error[dangling_reference]: `mial` is not the id of any object; expected an activity\n  --> m.json: $.campaigns[0].activities[1]\n  hint: did you mean `mail`? or define it under `activities`\n\n"
        );
    }

    #[test]
    fn a_campaign_listing_another_campaigns_activity_is_a_contradiction() {
        let out = problems(&format!(
            r#""activities": [{}, {}],
  "campaigns": [
    {{"id": "spring", "name": "Spring", "owner": "sandra", "status": "planned", "activities": ["mail"]}},
    {{"id": "summer", "name": "Summer", "owner": "sandra", "status": "planned", "activities": ["a0", "mail"]}}
  ]"#,
            activity("a0", ""),
            activity("mail", r#", "campaign": "spring""#)
        ));
        assert_eq!(
            out,
            "error[contradiction]: campaign `summer` lists activity `mail`, but the activity names campaign `spring` (m.json: $.activities[1].campaign)\n  --> m.json: $.campaigns[1].activities[1]\n  hint: an activity belongs to one campaign: correct the list or the activity's `campaign`\n\n"
        );
    }

    /// A campaign's list naming a duplicated activity id is compared with the last activity
    /// of that id, as it always was.
    #[test]
    fn a_duplicated_activity_in_a_campaigns_list_is_compared_with_the_last_of_them() {
        let out = problems(&format!(
            r#""activities": [{}, {}],
  "campaigns": [
    {{"id": "spring", "name": "Spring", "owner": "sandra", "status": "planned", "activities": []}},
    {{"id": "summer", "name": "Summer", "owner": "sandra", "status": "planned", "activities": ["mail"]}}
  ]"#,
            activity("mail", r#", "campaign": "summer""#),
            activity("mail", r#", "campaign": "spring""#)
        ));
        assert_eq!(
            out,
            format!(
                "error[duplicate_id]: the id `mail` is already used at m.json: $.activities[0]\n  --> m.json: $.activities[1].id\n{HINT_DUP}\
                 error[contradiction]: campaign `summer` lists activity `mail`, but the activity names campaign `spring` (m.json: $.activities[1].campaign)\n  --> m.json: $.campaigns[1].activities[0]\n  hint: an activity belongs to one campaign: correct the list or the activity's `campaign`\n\n"
            )
        );
    }
}
