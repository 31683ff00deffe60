//! Fact extraction: a [`Model`] becomes the input relations declared in `knowledge/model.dl`.
//!
//! The relations, their columns and the conventions (flags as one-column relations, absent
//! optional values as absent rows, open periods as 0001-01-01 / 9999-12-31) are documented in
//! that file and in docs/model.md. The defaults of model.md that depend on other parts of the
//! model are applied here, once, through the methods of [`Model`].

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use sphere_engine::value::Type;

use crate::types::*;
use crate::{Origin, Section};

/// One value of a fact.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FactValue {
    Sym(String),
    Num(i64),
    Date(sphere_engine::value::Date),
}

impl FactValue {
    /// The engine value, symbols interned by `intern` (the database's or a program's interner).
    pub fn value(&self, intern: impl FnOnce(&str) -> sphere_engine::Sym) -> sphere_engine::Value {
        match self {
            FactValue::Sym(s) => sphere_engine::Value::Sym(intern(s)),
            FactValue::Num(n) => sphere_engine::Value::Num(*n),
            FactValue::Date(d) => sphere_engine::Value::Date(*d),
        }
    }

    pub fn ty(&self) -> Type {
        match self {
            FactValue::Sym(_) => Type::Symbol,
            FactValue::Num(_) => Type::Number,
            FactValue::Date(_) => Type::Date,
        }
    }
}

impl std::fmt::Display for FactValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FactValue::Sym(s) => f.write_str(s),
            FactValue::Num(n) => write!(f, "{n}"),
            FactValue::Date(d) => write!(f, "{d}"),
        }
    }
}

/// One row of a relation and where it comes from.
pub type Row = (Vec<FactValue>, Origin);

/// The extracted facts: every declared input relation (also the empty ones). Rows are in
/// model order (deterministic for the same input); [`Facts::sort`] sorts them, as the facts
/// export does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    pub relations: BTreeMap<String, Vec<Row>>,
}

impl Facts {
    /// The rows of `relation` (empty if it has none or is unknown).
    pub fn rows(&self, relation: &str) -> &[Row] {
        self.relations.get(relation).map_or(&[], Vec::as_slice)
    }

    /// Sorts every relation's rows (by values, then origin), so output is deterministic.
    pub fn sort(&mut self) {
        for rows in self.relations.values_mut() {
            rows.sort_unstable();
        }
    }

    /// Number of rows over all relations.
    pub fn len(&self) -> usize {
        self.relations.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A relation declared in `knowledge/model.dl`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputRelation {
    pub name: String,
    /// Column names and types, in order.
    pub columns: Vec<(String, Type)>,
    /// The `///` comment: where in the model the relation comes from.
    pub doc: String,
}

/// The text of `knowledge/model.dl`, compiled in so the declarations and the extraction
/// cannot drift apart between builds.
pub const MODEL_DL: &str = include_str!("../../../knowledge/model.dl");

/// The input relations declared in `knowledge/model.dl`, in file order.
///
/// Read with a deliberately small reader of `.decl` lines (one declaration per line), not the
/// engine's parser: the model crate depends on the engine only for its date type.
pub fn input_relations() -> &'static [InputRelation] {
    static DECLS: OnceLock<Vec<InputRelation>> = OnceLock::new();
    DECLS.get_or_init(|| parse_decls(MODEL_DL))
}

/// Reads `/// doc` + `.decl name(col: type, ...)` lines. Lines it cannot read are skipped;
/// a test checks that every `.decl` line of model.dl is read.
pub fn parse_decls(text: &str) -> Vec<InputRelation> {
    let mut out = Vec::new();
    let mut doc = String::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(d) = line.strip_prefix("///") {
            if !doc.is_empty() {
                doc.push(' ');
            }
            doc.push_str(d.trim());
            continue;
        }
        if let Some(rest) = line.strip_prefix(".decl ") {
            if let Some(rel) = parse_decl(rest, std::mem::take(&mut doc)) {
                out.push(rel);
            }
        }
        doc.clear();
    }
    out
}

fn parse_decl(rest: &str, doc: String) -> Option<InputRelation> {
    let (name, cols) = rest.split_once('(')?;
    let cols = cols.split_once(')')?.0;
    let mut columns = Vec::new();
    for c in cols.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let (n, t) = c.split_once(':')?;
        let ty = match t.trim() {
            "symbol" => Type::Symbol,
            "number" => Type::Number,
            "date" => Type::Date,
            _ => return None,
        };
        columns.push((n.trim().to_string(), ty));
    }
    Some(InputRelation {
        name: name.trim().to_string(),
        columns,
        doc,
    })
}

/// The start of an open period.
pub const OPEN_START: sphere_engine::value::Date = sphere_engine::value::Date::MIN;
/// The end of an open period.
pub const OPEN_END: sphere_engine::value::Date = sphere_engine::value::Date::MAX;

/// Extracts the facts of a model. Every declared relation is present, also when empty.
///
/// Rows follow model order, except that the facts of consents, objections, notices and
/// activities come grouped by data subject, in the order of the model's list of subjects
/// ([`by_subject`]). The knowledge base's joins mostly meet on the subject (an activity's
/// subject, that subject's consents, objections and other activities), and a database numbers
/// symbols in the order it first meets them: so a subject's rows, and the numbers of their
/// activities, consents and subjects, are neighbours, and a join that goes from an activity to
/// its subject's other facts reads memory near what it read for the previous activity. A
/// model whose activities are in date order (as a CRM exports them) otherwise sends every
/// such lookup to a random place in tables that outgrow the processor's caches. Findings do
/// not depend on row order (the output is sorted); an explanation, among derivations of equal
/// height, shows the first it meets, so a subject's own facts keep model order.
pub fn extract(model: &Model) -> Facts {
    let mut x = Extractor {
        relations: input_relations()
            .iter()
            .map(|r| (r.name.clone(), Vec::new()))
            .collect(),
    };
    x.run(model);
    // Not sorted further: model order is deterministic, and sorting millions of rows costs
    // more than the evaluation needs. The export sorts what it writes.
    Facts {
        relations: x.relations,
    }
}

/// The positions of `items` grouped by data subject: ordered by the position of the item's
/// subject in the model's list of subjects (`subjects`), items without one (or with one the
/// list lacks) last, model order among items of one subject. See [`extract`].
fn by_subject<T>(
    items: &[T],
    subjects: &FxHashMap<&str, usize>,
    subject: impl Fn(&T) -> Option<&str>,
) -> Vec<usize> {
    let key: Vec<usize> = items
        .iter()
        .map(|x| {
            subject(x)
                .and_then(|s| subjects.get(s).copied())
                .unwrap_or(usize::MAX)
        })
        .collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    // Stable: model order within one subject.
    order.sort_by_key(|&i| key[i]);
    order
}

struct Extractor {
    relations: BTreeMap<String, Vec<Row>>,
}

fn s(v: &str) -> FactValue {
    FactValue::Sym(v.to_string())
}

fn d(v: Date) -> FactValue {
    FactValue::Date(v.0)
}

fn start(v: Option<Date>) -> FactValue {
    FactValue::Date(v.map_or(OPEN_START, |d| d.0))
}

fn end(v: Option<Date>) -> FactValue {
    FactValue::Date(v.map_or(OPEN_END, |d| d.0))
}

fn at(o: &Origin, suffix: &str) -> Origin {
    let mut path = String::with_capacity(o.path.len() + suffix.len());
    path.push_str(&o.path);
    path.push_str(suffix);
    Origin {
        file: o.file.clone(),
        path,
    }
}

/// The origin of element `i` of list `key` of the object at `o`: `<path>.<key>[<i>]`.
fn item(o: &Origin, key: &str, i: usize) -> Origin {
    use std::fmt::Write as _;
    let mut path = String::with_capacity(o.path.len() + key.len() + 8);
    path.push_str(&o.path);
    path.push('.');
    path.push_str(key);
    let _ = write!(path, "[{i}]");
    Origin {
        file: o.file.clone(),
        path,
    }
}

impl Extractor {
    fn add(&mut self, relation: &str, values: Vec<FactValue>, origin: Origin) {
        // Only declared relations exist; a test checks that nothing is dropped here.
        if let Some(rows) = self.relations.get_mut(relation) {
            rows.push((values, origin));
        }
    }

    /// A one-column row `relation(id)` when `flag` holds.
    fn flag(&mut self, relation: &str, flag: bool, id: &str, origin: Origin) {
        if flag {
            self.add(relation, vec![s(id)], origin);
        }
    }

    /// One row `relation(id, x)` per element of a list.
    fn each<T>(
        &mut self,
        relation: &str,
        id: &str,
        o: &Origin,
        key: &str,
        list: &[T],
        f: impl Fn(&T) -> FactValue,
    ) {
        for (i, x) in list.iter().enumerate() {
            self.add(relation, vec![s(id), f(x)], item(o, key, i));
        }
    }

    /// A row `relation(id, x)` when the optional value is set.
    fn opt<T>(
        &mut self,
        relation: &str,
        id: &str,
        o: &Origin,
        key: &str,
        v: Option<&T>,
        f: impl Fn(&T) -> FactValue,
    ) {
        if let Some(v) = v {
            let mut field = String::with_capacity(key.len() + 1);
            field.push('.');
            field.push_str(key);
            self.add(relation, vec![s(id), f(v)], at(o, &field));
        }
    }

    fn run(&mut self, m: &Model) {
        let p = &m.provenance;
        let org = &m.organization;
        let oo = p.organization();
        let as_of_origin = Origin {
            file: oo.file.clone(),
            path: "$.as_of".into(),
        };
        self.add("as_of", vec![d(m.as_of)], as_of_origin);
        self.add(
            "organization",
            vec![
                s(&org.id),
                s(&org.name),
                s(&org.country),
                FactValue::Num(org.persons_processing.into()),
            ],
            oo.clone(),
        );
        self.opt(
            "organization_dpo",
            &org.id,
            &oo,
            "dpo",
            org.dpo.as_ref(),
            |x| s(x),
        );
        self.flag(
            "organization_records_of_processing",
            org.records_of_processing,
            &org.id,
            at(&oo, ".records_of_processing"),
        );
        if let Some(core) = &org.core_activities {
            self.add(
                "organization_core_activities_stated",
                vec![s(&org.id)],
                at(&oo, ".core_activities"),
            );
            self.each(
                "organization_core_activity",
                &org.id,
                &oo,
                "core_activities",
                core,
                |v| s(v.as_str()),
            );
        }

        for (i, x) in m.staff.iter().enumerate() {
            let o = p.origin(Section::Staff, i);
            self.opt(
                "staff_private_account_consent",
                &x.id,
                &o,
                "private_account_consent",
                x.private_account_consent.as_ref(),
                |v| d(*v),
            );
            self.add(
                "staff",
                vec![s(&x.id), s(&x.name), s(x.function.as_str())],
                o,
            );
        }
        for (i, x) in m.parties.iter().enumerate() {
            let o = p.origin(Section::Parties, i);
            for (j, c) in x.certifications.iter().enumerate() {
                self.add(
                    "party_certification",
                    vec![s(&x.id), s(c.scheme.as_str()), d(c.from), end(c.to)],
                    at(&o, &format!(".certifications[{j}]")),
                );
            }
            self.add("party", vec![s(&x.id), s(&x.name), s(&x.country)], o);
        }
        for (i, x) in m.systems.iter().enumerate() {
            let o = p.origin(Section::Systems, i);
            let role = m.system_role(x);
            self.add(
                "system",
                vec![
                    s(&x.id),
                    s(&x.name),
                    s(x.kind.as_str()),
                    s(&x.operator),
                    s(&x.hosting_country),
                    s(role.as_str()),
                ],
                o.clone(),
            );
            for (j, b) in x.incidents.iter().enumerate() {
                let bo = item(&o, "incidents", j);
                let bid = format!("{}/incidents/{j}", x.id);
                self.add(
                    "incident",
                    vec![s(&bid), s(&x.id), d(b.aware), s(b.risk.as_str())],
                    bo.clone(),
                );
                self.opt(
                    "incident_authority_notified",
                    &bid,
                    &bo,
                    "authority_notified",
                    b.authority_notified.as_ref(),
                    |v| d(*v),
                );
                self.flag(
                    "incident_delay_reasons",
                    b.delay_reasons,
                    &bid,
                    at(&bo, ".delay_reasons"),
                );
                self.opt(
                    "incident_subjects_informed",
                    &bid,
                    &bo,
                    "subjects_informed",
                    b.subjects_informed.as_ref(),
                    |v| d(*v),
                );
                self.flag(
                    "incident_unintelligible",
                    b.unintelligible,
                    &bid,
                    at(&bo, ".unintelligible"),
                );
                self.flag(
                    "incident_documented",
                    b.documented,
                    &bid,
                    at(&bo, ".documented"),
                );
                self.each(
                    "incident_subject",
                    &bid,
                    &bo,
                    "subjects",
                    &b.subjects,
                    |v| s(v),
                );
            }
        }
        for (i, x) in m.agreements.iter().enumerate() {
            let o = p.origin(Section::Agreements, i);
            let id = &x.id;
            self.each("agreement_system", id, &o, "systems", &x.systems, |v| s(v));
            self.each("agreement_source", id, &o, "sources", &x.sources, |v| s(v));
            self.each("agreement_flow", id, &o, "flows", &x.flows, |v| s(v));
            self.opt(
                "agreement_edition",
                id,
                &o,
                "edition",
                x.edition.as_ref(),
                |v| s(v),
            );
            self.flag("agreement_published", x.published, id, at(&o, ".published"));
            self.add(
                "agreement",
                vec![s(id), s(x.kind.as_str()), s(&x.with), d(x.from), end(x.to)],
                o,
            );
        }
        for (i, x) in m.assessments.iter().enumerate() {
            let o = p.origin(Section::Assessments, i);
            let id = &x.id;
            self.opt(
                "assessment_purpose",
                id,
                &o,
                "purpose",
                x.purpose.as_ref(),
                |v| s(v.as_str()),
            );
            self.each("assessment_measure", id, &o, "measures", &x.measures, |v| {
                s(v)
            });
            self.add(
                "assessment",
                vec![
                    s(id),
                    s(x.kind.as_str()),
                    s(&x.about),
                    d(x.date),
                    s(x.outcome.as_str()),
                ],
                o,
            );
        }
        for (i, x) in m.sources.iter().enumerate() {
            let o = p.origin(Section::Sources, i);
            let id = &x.id;
            self.opt(
                "source_platform",
                id,
                &o,
                "platform",
                x.platform.as_ref(),
                |v| s(v),
            );
            self.flag("source_public", x.public, id, at(&o, ".public"));
            self.flag(
                "source_requires_login",
                x.requires_login,
                id,
                at(&o, ".requires_login"),
            );
            self.flag(
                "source_white_label",
                x.white_label,
                id,
                at(&o, ".white_label"),
            );
            self.flag("source_impressum", x.impressum, id, at(&o, ".impressum"));
            for (j, t) in x.tracking.iter().enumerate() {
                let to = at(&o, &format!(".tracking[{j}]"));
                let tid = format!("{id}/tracking/{j}");
                self.add(
                    "tracking",
                    vec![s(&tid), s(id), s(t.kind.as_str())],
                    to.clone(),
                );
                self.opt(
                    "tracking_recipient",
                    &tid,
                    &to,
                    "recipient",
                    t.recipient.as_ref(),
                    |v| s(v),
                );
                self.flag(
                    "tracking_consent_banner",
                    t.consent_banner,
                    &tid,
                    at(&to, ".consent_banner"),
                );
                self.flag(
                    "tracking_fires_before_consent",
                    t.fires_before_consent,
                    &tid,
                    at(&to, ".fires_before_consent"),
                );
                self.opt(
                    "tracking_reject",
                    &tid,
                    &to,
                    "reject",
                    t.reject.as_ref(),
                    |v| s(v.as_str()),
                );
            }
            self.add(
                "source",
                vec![
                    s(id),
                    s(&x.name),
                    s(x.kind.as_str()),
                    s(&x.operator),
                    s(x.company_participation.as_str()),
                    s(x.scraping.as_str()),
                ],
                o,
            );
        }
        for (i, x) in m.subjects.iter().enumerate() {
            let o = p.origin(Section::Subjects, i);
            let id = &x.id;
            self.opt("subject_city", id, &o, "city", x.city.as_ref(), |v| s(v));
            self.opt("subject_age", id, &o, "age", x.age.as_ref(), |v| {
                FactValue::Num((*v).into())
            });
            self.opt(
                "subject_crm_record",
                id,
                &o,
                "crm_record",
                x.crm_record.as_ref(),
                |v| s(v),
            );
            self.opt(
                "subject_customer_since",
                id,
                &o,
                "customer_since",
                x.customer_since.as_ref(),
                |v| d(*v),
            );
            for (j, q) in x.purchases.iter().enumerate() {
                self.add(
                    "subject_purchase",
                    vec![s(id), s(&q.product), s(&q.category), d(q.date)],
                    at(&o, &format!(".purchases[{j}]")),
                );
            }
            self.opt(
                "subject_birth_date",
                id,
                &o,
                "birth_date",
                x.birth_date.as_ref(),
                |v| d(*v),
            );
            for (j, c) in x.contracts.iter().enumerate() {
                self.add(
                    "subject_contract",
                    vec![
                        s(&format!("{id}/contracts/{j}")),
                        s(id),
                        s(c.kind.as_str()),
                        d(c.from),
                        end(c.to),
                    ],
                    item(&o, "contracts", j),
                );
            }
            for (j, q) in x.requests.iter().enumerate() {
                let qo = item(&o, "requests", j);
                let qid = format!("{id}/requests/{j}");
                self.add(
                    "request",
                    vec![s(&qid), s(id), s(q.kind.as_str()), d(q.received)],
                    qo.clone(),
                );
                self.opt(
                    "request_answered",
                    &qid,
                    &qo,
                    "answered",
                    q.answered.as_ref(),
                    |v| d(*v),
                );
                self.flag("request_extended", q.extended, &qid, at(&qo, ".extended"));
                self.flag("request_refused", q.refused, &qid, at(&qo, ".refused"));
            }
            self.opt(
                "subject_retain_until",
                id,
                &o,
                "retain_until",
                x.retain_until.as_ref(),
                |v| d(*v),
            );
            self.add(
                "subject",
                vec![s(id), s(&x.name), s(x.kind.as_str()), s(&x.country)],
                o,
            );
        }
        let subjects: FxHashMap<&str, usize> = m
            .subjects
            .iter()
            .enumerate()
            .map(|(i, x)| (x.id.as_str(), i))
            .collect();
        for i in by_subject(&m.consents, &subjects, |x| Some(&x.subject)) {
            let x = &m.consents[i];
            let o = p.origin(Section::Consents, i);
            let id = &x.id;
            self.each("consent_purpose", id, &o, "purposes", &x.purposes, |v| {
                s(v.as_str())
            });
            self.each("consent_channel", id, &o, "channels", &x.channels, |v| {
                s(v.as_str())
            });
            self.each(
                "consent_category",
                id,
                &o,
                "categories",
                &x.categories,
                |v| s(v.as_str()),
            );
            self.each("consent_product", id, &o, "products", &x.products, |v| s(v));
            self.opt(
                "consent_withdrawn",
                id,
                &o,
                "withdrawn",
                x.withdrawn.as_ref(),
                |v| d(*v),
            );
            self.flag(
                "consent_documented",
                x.documented,
                id,
                at(&o, ".documented"),
            );
            self.flag("consent_informed", x.informed, id, at(&o, ".informed"));
            self.flag("consent_explicit", x.explicit, id, at(&o, ".explicit"));
            self.opt(
                "consent_circumstances",
                id,
                &o,
                "circumstances",
                x.circumstances.as_ref(),
                |v| s(v),
            );
            self.opt(
                "consent_parental_authorisation",
                id,
                &o,
                "parental_authorisation",
                x.parental_authorisation.as_ref(),
                |v| d(*v),
            );
            if let Some(verified) = &x.verified {
                self.add("consent_verified_stated", vec![s(id)], at(&o, ".verified"));
                self.each("consent_verified", id, &o, "verified", verified, |v| {
                    s(v.as_str())
                });
            }
            self.add(
                "consent",
                vec![
                    s(id),
                    s(&x.subject),
                    d(x.given),
                    s(x.form.as_str()),
                    s(m.consent_obtained_by(x)),
                ],
                o,
            );
        }
        for i in by_subject(&m.objections, &subjects, |x| Some(&x.subject)) {
            let x = &m.objections[i];
            let o = p.origin(Section::Objections, i);
            self.add(
                "objection",
                vec![s(&x.subject), s(x.scope.as_str()), d(x.date)],
                o,
            );
        }
        for i in by_subject(&m.notices, &subjects, |x| x.subject.as_deref()) {
            let x = &m.notices[i];
            let o = p.origin(Section::Notices, i);
            let id = &x.id;
            match &x.subject {
                Some(subj) => self.add("notice_subject", vec![s(id), s(subj)], at(&o, ".subject")),
                None => self.add("notice_public", vec![s(id)], at(&o, ".subject")),
            }
            self.opt(
                "notice_channel",
                id,
                &o,
                "channel",
                x.channel.as_ref(),
                |v| s(v.as_str()),
            );
            self.each("notice_covers", id, &o, "covers", &x.covers, |v| {
                s(v.as_str())
            });
            self.each("notice_source", id, &o, "sources", &x.sources, |v| s(v));
            self.each(
                "notice_category",
                id,
                &o,
                "categories",
                &x.categories,
                |v| s(v.as_str()),
            );
            self.flag(
                "notice_right_to_object",
                x.right_to_object,
                id,
                at(&o, ".right_to_object"),
            );
            self.add("notice", vec![s(id), s(x.article.as_str()), d(x.date)], o);
        }
        for (i, x) in m.flows.iter().enumerate() {
            let o = p.origin(Section::Flows, i);
            let id = &x.id;
            self.each("flow_category", id, &o, "categories", &x.categories, |v| {
                s(v.as_str())
            });
            self.opt(
                "flow_derogation",
                id,
                &o,
                "derogation",
                x.derogation.as_ref(),
                |v| s(v.as_str()),
            );
            self.add(
                "flow",
                vec![
                    s(id),
                    s(&x.from),
                    s(&x.to),
                    s(x.purpose.as_str()),
                    s(x.mechanism.as_str()),
                    start(x.from_date),
                    end(x.to_date),
                ],
                o,
            );
        }
        for i in by_subject(&m.activities, &subjects, |x| {
            x.subjects.first().map(|s| s.as_str())
        }) {
            let x = &m.activities[i];
            let o = p.origin(Section::Activities, i);
            self.activity(m, x, o);
        }
        for (i, x) in m.campaigns.iter().enumerate() {
            let o = p.origin(Section::Campaigns, i);
            let id = &x.id;
            self.each(
                "campaign_activity",
                id,
                &o,
                "activities",
                &x.activities,
                |v| s(v),
            );
            self.add(
                "campaign",
                vec![s(id), s(&x.name), s(&x.owner), s(x.status.as_str())],
                o,
            );
        }
        for (i, x) in m.guidelines.iter().enumerate() {
            let o = p.origin(Section::Guidelines, i);
            let id = &x.id;
            let f = &x.forbid;
            let fo = at(&o, ".forbid");
            self.opt(
                "guideline_forbid_kind",
                id,
                &fo,
                "kind",
                f.kind.as_ref(),
                |v| s(v.as_str()),
            );
            self.opt(
                "guideline_forbid_channel",
                id,
                &fo,
                "channel",
                f.channel.as_ref(),
                |v| s(v.as_str()),
            );
            self.opt(
                "guideline_forbid_purpose",
                id,
                &fo,
                "purpose",
                f.purpose.as_ref(),
                |v| s(v.as_str()),
            );
            self.opt(
                "guideline_forbid_source_kind",
                id,
                &fo,
                "source_kind",
                f.source_kind.as_ref(),
                |v| s(v.as_str()),
            );
            self.opt(
                "guideline_forbid_category",
                id,
                &fo,
                "category",
                f.category.as_ref(),
                |v| s(v.as_str()),
            );
            self.opt(
                "guideline_forbid_subject_kind",
                id,
                &fo,
                "subject_kind",
                f.subject_kind.as_ref(),
                |v| s(v.as_str()),
            );
            self.add("guideline", vec![s(id), s(&x.text)], o);
        }
    }

    fn activity(&mut self, m: &Model, x: &Activity, o: Origin) {
        let id = &x.id;
        self.opt(
            "activity_source",
            id,
            &o,
            "source",
            x.source.as_ref(),
            |v| s(v),
        );
        self.opt(
            "activity_system",
            id,
            &o,
            "system",
            x.system.as_ref(),
            |v| s(v),
        );
        self.opt("activity_flow", id, &o, "flow", x.flow.as_ref(), |v| s(v));
        self.each("activity_subject", id, &o, "subjects", &x.subjects, |v| {
            s(v)
        });
        self.each(
            "activity_category",
            id,
            &o,
            "categories",
            &x.categories,
            |v| s(v.as_str()),
        );
        self.opt(
            "activity_channel",
            id,
            &o,
            "channel",
            x.channel.as_ref(),
            |v| s(v.as_str()),
        );
        self.add(
            "activity_audience",
            vec![s(id), s(x.audience.as_str())],
            at(&o, ".audience"),
        );
        self.flag(
            "activity_identifies_company",
            x.identifies_company,
            id,
            at(&o, ".identifies_company"),
        );
        self.flag(
            "activity_promotional",
            x.promotional,
            id,
            at(&o, ".promotional"),
        );
        self.each("activity_product", id, &o, "products", &x.products, |v| {
            s(v)
        });
        self.flag("activity_automated", x.automated, id, at(&o, ".automated"));
        self.flag(
            "activity_large_scale",
            x.large_scale,
            id,
            at(&o, ".large_scale"),
        );
        self.opt(
            "activity_triggered_by",
            id,
            &o,
            "triggered_by",
            x.triggered_by.as_ref(),
            |v| s(v),
        );
        if let Some(c) = &x.content {
            let co = at(&o, ".content");
            self.add(
                "activity_content",
                vec![s(id), s(c.origin.as_str()), s(c.kind.as_str())],
                co.clone(),
            );
            self.opt(
                "activity_content_author",
                id,
                &co,
                "author",
                c.author.as_ref(),
                |v| s(v),
            );
            self.flag(
                "activity_content_original",
                c.original,
                id,
                at(&co, ".original"),
            );
            self.opt(
                "activity_content_used_as",
                id,
                &co,
                "used_as",
                c.used_as.as_ref(),
                |v| s(v.as_str()),
            );
            self.opt(
                "activity_content_kug_exception",
                id,
                &co,
                "kug_exception",
                c.kug_exception.as_ref(),
                |v| s(v.as_str()),
            );
        }
        if let Some(x) = &x.sender {
            let so = at(&o, ".sender");
            self.add("activity_sender", vec![s(id)], so.clone());
            self.flag(
                "activity_sender_identified",
                x.identified,
                id,
                at(&so, ".identified"),
            );
            self.flag(
                "activity_sender_stop_address",
                x.stop_address,
                id,
                at(&so, ".stop_address"),
            );
        }
        if let Some(given) = x.objection_notice {
            let no = at(&o, ".objection_notice");
            self.add("activity_objection_notice_stated", vec![s(id)], no.clone());
            self.flag("activity_objection_notice", given, id, no);
        }
        if let Some(x) = &x.post {
            let po = at(&o, ".post");
            self.add(
                "activity_post",
                vec![s(id), s(x.account.as_str())],
                at(&po, ".account"),
            );
            self.flag(
                "activity_post_consideration",
                x.consideration,
                id,
                at(&po, ".consideration"),
            );
            self.flag(
                "activity_post_labelled",
                x.labelled,
                id,
                at(&po, ".labelled"),
            );
        }
        if let Some(x) = &x.reviews {
            let ro = at(&o, ".reviews");
            self.add("activity_reviews", vec![s(id)], ro.clone());
            self.flag(
                "activity_reviews_claimed_genuine",
                x.claimed_genuine,
                id,
                at(&ro, ".claimed_genuine"),
            );
            self.flag(
                "activity_reviews_checked",
                x.checked,
                id,
                at(&ro, ".checked"),
            );
            self.flag(
                "activity_reviews_explained",
                x.explained,
                id,
                at(&ro, ".explained"),
            );
            self.flag("activity_reviews_fake", x.fake, id, at(&ro, ".fake"));
        }
        self.flag(
            "activity_significant_effects",
            x.significant_effects,
            id,
            at(&o, ".significant_effects"),
        );
        self.opt(
            "activity_campaign",
            id,
            &o,
            "campaign",
            x.campaign.as_ref(),
            |v| s(v),
        );
        self.add(
            "activity",
            vec![
                s(id),
                s(x.kind.as_str()),
                s(x.status.as_str()),
                d(m.activity_date(x)),
                s(&x.by),
                s(x.purpose.as_str()),
            ],
            o,
        );
    }
}
