//! Fact extraction: a [`Model`] becomes the input relations declared in `knowledge/model.dl`.
//!
//! The relations, their columns and the conventions (flags as one-column relations, absent
//! optional values as absent rows, open periods as 0001-01-01 / 9999-12-31) are documented in
//! that file and in docs/model.md. The defaults of model.md that depend on other parts of the
//! model are applied here, once, through the methods of [`Model`].

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use sphere_rt::value::{Interner, Sym, Type};

use crate::types::*;
use crate::{Origin, Section};

/// One value of a fact.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FactValue {
    Sym(String),
    Num(i64),
    Date(sphere_rt::value::Date),
}

impl FactValue {
    /// The engine value, symbols interned by `intern` (the database's or a program's interner).
    pub fn value(&self, intern: impl FnOnce(&str) -> sphere_rt::Sym) -> sphere_rt::Value {
        match self {
            FactValue::Sym(s) => sphere_rt::Value::Sym(intern(s)),
            FactValue::Num(n) => sphere_rt::Value::Num(*n),
            FactValue::Date(d) => sphere_rt::Value::Date(*d),
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

/// Where an input fact comes from, in 16 bytes: the file, the place of its object (a
/// section's element, `$.organization`, a line of a facts file) and the field below it. It
/// becomes text ([`Facts::origin`]) only when an explanation or a message shows it; the
/// texts are interned once in the facts' table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct At {
    /// The file, a text id.
    file: u32,
    /// The place's text (`$.activities`, `line`), a text id; [`LINE`] set for a line number.
    head: u32,
    /// The element of the list at `head`, or [`NO_INDEX`].
    index: u32,
    /// The path below the element (`.subjects[0]`), a text id; the empty text for none.
    tail: u32,
}

impl At {
    /// No origin: what a [`FactSink`] that keeps none receives.
    pub const NONE: At = At {
        file: 0,
        head: 0,
        index: NO_INDEX,
        tail: 0,
    };
}

/// `At::head` names a line of a facts file: the index is its number (`line 12`).
const LINE: u32 = 1 << 31;
/// `At::index` when the place is no element of a list.
const NO_INDEX: u32 = u32::MAX;

/// The rows of one input relation: each value one word in `words` (a symbol is its number
/// in the facts' symbol table, a date its days, a number itself), `types` says how to read
/// them back; `at` holds each row's origin.
#[derive(Clone, Debug, Default)]
struct Relation {
    types: Vec<Type>,
    words: Vec<u64>,
    at: Vec<At>,
}

/// A value on its way into a [`FactSink`], symbols borrowed.
#[derive(Clone, Copy, Debug)]
pub enum Val<'a> {
    Sym(&'a str),
    Num(i64),
    Date(sphere_rt::value::Date),
}

/// The extracted facts: every declared input relation (also the empty ones). Rows are in
/// model order (deterministic for the same input); [`Facts::sort`] sorts them, as the facts
/// export does.
///
/// Compact on purpose (a million-activity model has tens of millions of facts): one word
/// per value, symbols interned once in the facts' own table, and a 16-byte [`At`] per row
/// for its origin. The engine numbers symbols itself when the facts go into a database.
#[derive(Clone, Debug)]
pub struct Facts {
    symbols: Interner,
    /// The texts of the rows' origins.
    places: Places,
    relations: BTreeMap<String, Relation>,
}

impl Default for Facts {
    fn default() -> Facts {
        Facts {
            symbols: Interner::new(),
            places: Places::default(),
            relations: BTreeMap::new(),
        }
    }
}

/// The texts an [`At`] refers to: files and the parts of origin paths, each interned once.
/// Extraction makes them ([`extract_into`]); [`Places::origin`] turns an `At` into a file and
/// JSON path when an explanation or a message shows it.
#[derive(Clone, Debug)]
pub struct Places {
    /// The empty text is id 0.
    texts: Interner,
}

impl Default for Places {
    fn default() -> Places {
        let mut texts = Interner::new();
        texts.intern("");
        Places { texts }
    }
}

impl Places {
    /// The file and JSON path (or line) of an origin.
    pub fn origin(&self, at: At) -> Origin {
        use std::fmt::Write as _;
        let mut path = self.texts.resolve(Sym(at.head & !LINE)).to_string();
        if at.index != NO_INDEX {
            let _ = if at.head & LINE != 0 {
                write!(path, " {}", at.index)
            } else {
                write!(path, "[{}]", at.index)
            };
        }
        path.push_str(self.texts.resolve(Sym(at.tail)));
        Origin {
            file: self.texts.resolve(Sym(at.file)).to_string(),
            path,
        }
    }

    fn text(&mut self, s: &str) -> u32 {
        self.texts.intern(s).0
    }

    /// The origin of element `index` of the list at `head` (`$.activities`) in `file`.
    pub(crate) fn element(&mut self, file: &str, head: &str, index: usize) -> At {
        At {
            file: self.text(file),
            head: self.text(head),
            index: u32::try_from(index).unwrap_or(NO_INDEX - 1),
            tail: 0,
        }
    }

    /// The origin of line `line` of `file`.
    pub(crate) fn line(&mut self, file: &str, line: usize) -> At {
        At {
            file: self.text(file),
            head: self.text("line") | LINE,
            index: u32::try_from(line).unwrap_or(NO_INDEX - 1),
            tail: 0,
        }
    }

    /// The origin `path` in `file`, as given.
    pub(crate) fn place(&mut self, origin: &Origin) -> At {
        At {
            file: self.text(&origin.file),
            head: self.text(&origin.path),
            index: NO_INDEX,
            tail: 0,
        }
    }

    /// `at` followed by `suffix` (`.subjects[0]`).
    pub(crate) fn below(&mut self, at: At, suffix: &str) -> At {
        let tail = if at.tail == 0 {
            self.text(suffix)
        } else {
            let mut t = self.texts.resolve(Sym(at.tail)).to_string();
            t.push_str(suffix);
            self.text(&t)
        };
        At { tail, ..at }
    }

    /// Bytes held, for memory figures.
    pub fn memory_bytes(&self) -> usize {
        self.texts.memory_bytes()
    }
}

/// Where extracted rows go, each written once: the compact [`Facts`] (kept where one model is
/// evaluated under several knowledge bases, exported, or changed in a session), or an engine's
/// database (sphere's `facts::Feed`), which extraction then fills straight.
pub trait FactSink {
    /// Whether rows need their origin. When not, extraction makes no origin texts and passes
    /// [`At::NONE`].
    fn origins(&self) -> bool {
        true
    }

    /// A row of the input relation `relation` declared in `knowledge/model.dl`, with the
    /// declaration's column types.
    fn row(&mut self, relation: &str, values: &[Val<'_>], at: At);
}

impl FactSink for Facts {
    fn row(&mut self, relation: &str, values: &[Val<'_>], at: At) {
        // Only declared relations exist; a test checks that nothing is dropped here.
        if self.relations.contains_key(relation) {
            let fits = self.add(relation, values, at);
            // The values' types are those of the declaration; a test extracts every relation.
            debug_assert!(fits, "a `{relation}` row that does not fit its declaration");
        }
    }
}

impl PartialEq for Facts {
    fn eq(&self, other: &Facts) -> bool {
        self.relations.len() == other.relations.len()
            && self
                .relations()
                .zip(other.relations())
                .all(|(a, b)| a.0 == b.0 && a.1.len() == b.1.len() && a.1.iter().eq(b.1.iter()))
    }
}

/// The rows of one relation of [`Facts`].
#[derive(Clone, Copy)]
pub struct Rows<'a> {
    facts: &'a Facts,
    rel: &'a Relation,
}

impl<'a> Rows<'a> {
    pub fn len(&self) -> usize {
        self.rel.at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rel.at.is_empty()
    }

    /// The column types.
    pub fn types(&self) -> &'a [Type] {
        &self.rel.types
    }

    /// Row `i` as words: a symbol's is its number in [`Facts::symbol`].
    pub fn words(&self, i: usize) -> &'a [u64] {
        let n = self.rel.types.len();
        &self.rel.words[i * n..(i + 1) * n]
    }

    /// Row `i`'s values.
    pub fn values(&self, i: usize) -> Vec<FactValue> {
        self.words(i)
            .iter()
            .zip(&self.rel.types)
            .map(|(&w, &t)| self.facts.value(t, w))
            .collect()
    }

    /// Where row `i` comes from.
    pub fn at(&self, i: usize) -> At {
        self.rel.at[i]
    }

    /// Where row `i` comes from, as text.
    pub fn origin(&self, i: usize) -> Origin {
        self.facts.origin(self.rel.at[i])
    }

    /// Every row with its values and origin, as text (for exports and tests; evaluation
    /// reads [`Rows::words`]).
    pub fn iter(&self) -> impl Iterator<Item = (Vec<FactValue>, Origin)> + 'a {
        let rows = *self;
        (0..rows.len()).map(move |i| (rows.values(i), rows.origin(i)))
    }
}

impl Facts {
    /// No rows, every relation declared in `knowledge/model.dl` present.
    pub fn declared() -> Facts {
        let mut f = Facts::default();
        for r in input_relations() {
            f.relations.insert(
                r.name.clone(),
                Relation {
                    types: r.columns.iter().map(|c| c.1).collect(),
                    ..Relation::default()
                },
            );
        }
        f
    }

    /// The rows of `relation`, if the facts have it.
    pub fn relation(&self, relation: &str) -> Option<Rows<'_>> {
        self.relations
            .get(relation)
            .map(|rel| Rows { facts: self, rel })
    }

    /// Every relation by name, in name order.
    pub fn relations(&self) -> impl Iterator<Item = (&str, Rows<'_>)> {
        self.relations
            .iter()
            .map(|(n, rel)| (n.as_str(), Rows { facts: self, rel }))
    }

    /// The rows of `relation` with their origins, as text (empty if it has none or is
    /// unknown): for exports and tests.
    pub fn rows(&self, relation: &str) -> Vec<(Vec<FactValue>, Origin)> {
        self.relation(relation)
            .map(|r| r.iter().collect())
            .unwrap_or_default()
    }

    /// The number of rows of `relation`.
    pub fn count(&self, relation: &str) -> usize {
        self.relation(relation).map_or(0, |r| r.len())
    }

    /// How many symbols the facts name (their words are `0..symbol_count()`).
    pub fn symbol_count(&self) -> usize {
        self.symbols.len()
    }

    /// The text of a symbol's word.
    pub fn symbol(&self, word: u64) -> &str {
        self.symbols.resolve(Sym(word as u32))
    }

    fn value(&self, ty: Type, w: u64) -> FactValue {
        match sphere_rt::Value::from_word(ty, w) {
            sphere_rt::Value::Sym(_) => FactValue::Sym(self.symbol(w).to_string()),
            sphere_rt::Value::Num(n) => FactValue::Num(n),
            sphere_rt::Value::Date(d) => FactValue::Date(d),
        }
    }

    /// The file and JSON path (or line) of an origin.
    pub fn origin(&self, at: At) -> Origin {
        self.places.origin(at)
    }

    /// The texts of the rows' origins.
    pub fn places(&self) -> &Places {
        &self.places
    }

    /// The origin of line `line` of `file`.
    pub(crate) fn line(&mut self, file: &str, line: usize) -> At {
        self.places.line(file, line)
    }

    /// The origin `path` in `file`, as given.
    pub(crate) fn place(&mut self, origin: &Origin) -> At {
        self.places.place(origin)
    }

    /// Every row, relation by relation in name order, into `sink` (symbols resolved to their
    /// texts): what an engine's database is filled from when the facts were kept.
    pub fn replay(&self, sink: &mut dyn FactSink) {
        let mut vals: Vec<Val<'_>> = Vec::new();
        for (name, rows) in self.relations() {
            for i in 0..rows.len() {
                vals.clear();
                for (&w, &ty) in rows.words(i).iter().zip(rows.types()) {
                    vals.push(match sphere_rt::Value::from_word(ty, w) {
                        sphere_rt::Value::Sym(_) => Val::Sym(self.symbol(w)),
                        sphere_rt::Value::Num(n) => Val::Num(n),
                        sphere_rt::Value::Date(d) => Val::Date(d),
                    });
                }
                sink.row(name, &vals, rows.at(i));
            }
        }
    }

    /// Appends a row to `relation` (created with the values' types if the facts lack it).
    /// A row whose values do not have the relation's column types is refused (`false`).
    pub fn push(&mut self, relation: &str, values: &[FactValue], origin: &Origin) -> bool {
        let at = self.place(origin);
        self.push_at(relation, values, at)
    }

    /// [`Facts::push`] with the origin made already.
    pub(crate) fn push_at(&mut self, relation: &str, values: &[FactValue], at: At) -> bool {
        let vals: Vec<Val<'_>> = values
            .iter()
            .map(|v| match v {
                FactValue::Sym(s) => Val::Sym(s),
                FactValue::Num(n) => Val::Num(*n),
                FactValue::Date(d) => Val::Date(*d),
            })
            .collect();
        self.add(relation, &vals, at)
    }

    /// Appends a row (see [`Facts::push`]); the relation is created when missing.
    pub(crate) fn add(&mut self, relation: &str, values: &[Val<'_>], at: At) -> bool {
        let ty = |v: &Val<'_>| match v {
            Val::Sym(_) => Type::Symbol,
            Val::Num(_) => Type::Number,
            Val::Date(_) => Type::Date,
        };
        if !self.relations.contains_key(relation) {
            self.relations.insert(
                relation.to_string(),
                Relation {
                    types: values.iter().map(ty).collect(),
                    ..Relation::default()
                },
            );
        }
        let Some(rel) = self.relations.get_mut(relation) else {
            return false;
        };
        if rel.types.len() != values.len() || rel.types.iter().zip(values).any(|(t, v)| *t != ty(v))
        {
            return false;
        }
        for v in values {
            rel.words.push(match *v {
                Val::Sym(s) => u64::from(self.symbols.intern(s).0),
                Val::Num(n) => n as u64,
                Val::Date(d) => d.0 as i64 as u64,
            });
        }
        rel.at.push(at);
        true
    }

    /// Replaces the rows of `relation` by `rows`.
    pub fn replace(&mut self, relation: &str, rows: &[(Vec<FactValue>, Origin)]) {
        if let Some(rel) = self.relations.get_mut(relation) {
            rel.words.clear();
            rel.at.clear();
        }
        for (values, origin) in rows {
            self.push(relation, values, origin);
        }
    }

    /// Sorts every relation's rows (by values, then origin), so output is deterministic.
    pub fn sort(&mut self) {
        let names: Vec<String> = self.relations.keys().cloned().collect();
        for name in names {
            let mut rows = self.rows(&name);
            rows.sort_unstable();
            self.replace(&name, &rows);
        }
    }

    /// Number of rows over all relations.
    pub fn len(&self) -> usize {
        self.relations.values().map(|r| r.at.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held (rows, origins and the symbol and text tables), for memory figures.
    pub fn memory_bytes(&self) -> usize {
        self.symbols.memory_bytes()
            + self.places.memory_bytes()
            + self
                .relations
                .values()
                .map(|r| r.words.capacity() * 8 + r.at.capacity() * std::mem::size_of::<At>())
                .sum::<usize>()
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

/// The input relations declared in `knowledge/model.dl`, in file order: from the table
/// `sphere-codegen` generates from model.dl with the engine's own front end
/// (`src/input_relations.rs`, committed; a test of sphere-codegen fails when it and model.dl
/// differ), so that this crate reads no rule text and does not depend on the engine.
pub fn input_relations() -> &'static [InputRelation] {
    static DECLS: OnceLock<Vec<InputRelation>> = OnceLock::new();
    DECLS.get_or_init(|| {
        crate::input_relations::INPUT_RELATIONS
            .iter()
            .map(|&(name, columns, doc)| InputRelation {
                name: name.to_string(),
                columns: columns.iter().map(|&(c, t)| (c.to_string(), t)).collect(),
                doc: doc.to_string(),
            })
            .collect()
    })
}

/// The start of an open period.
pub const OPEN_START: sphere_rt::value::Date = sphere_rt::value::Date::MIN;
/// The end of an open period.
pub const OPEN_END: sphere_rt::value::Date = sphere_rt::value::Date::MAX;

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
    let mut facts = Facts::declared();
    facts.places = extract_into(model, &mut facts);
    // Not sorted further: model order is deterministic, and sorting millions of rows costs
    // more than the evaluation needs. The export sorts what it writes.
    // The rows grew by doubling; the facts live as long as the evaluation's explanations.
    for rel in facts.relations.values_mut() {
        rel.words.shrink_to_fit();
        rel.at.shrink_to_fit();
    }
    facts
}

/// Extracts the facts of a model straight into `sink`, each row once, in the order
/// [`extract`] describes; returns the texts of the rows' origins (none when the sink keeps no
/// origins).
pub fn extract_into(model: &Model, sink: &mut dyn FactSink) -> Places {
    let origins = sink.origins();
    let mut x = Extractor {
        places: RefCell::new(Places::default()),
        sink,
        origins,
    };
    x.run(model);
    x.places.into_inner()
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

struct Extractor<'s> {
    /// In a cell so that an origin can be made in the arguments of the call that adds its
    /// row (`self.add(.., self.at(o, ".x"))`).
    places: RefCell<Places>,
    sink: &'s mut dyn FactSink,
    /// Whether the sink keeps origins: when not, none is made ([`At::NONE`]).
    origins: bool,
}

fn s(v: &str) -> Val<'_> {
    Val::Sym(v)
}

fn d(v: Date) -> Val<'static> {
    Val::Date(v.0)
}

fn start(v: Option<Date>) -> Val<'static> {
    Val::Date(v.map_or(OPEN_START, |d| d.0))
}

fn end(v: Option<Date>) -> Val<'static> {
    Val::Date(v.map_or(OPEN_END, |d| d.0))
}

impl Extractor<'_> {
    /// `o` followed by `suffix` (`.consent_banner`).
    fn at(&self, o: &At, suffix: &str) -> At {
        if !self.origins {
            return At::NONE;
        }
        self.places.borrow_mut().below(*o, suffix)
    }

    /// The origin of element `i` of list `key` of the object at `o`: `<path>.<key>[<i>]`.
    fn item(&self, o: &At, key: &str, i: usize) -> At {
        if !self.origins {
            return At::NONE;
        }
        self.at(o, &format!(".{key}[{i}]"))
    }

    /// The origin of object `index` of `section` in the merged model.
    fn object(&self, p: &crate::Provenance, section: Section, index: usize) -> At {
        if !self.origins {
            return At::NONE;
        }
        let (file, i) = p.place(section, index);
        self.places
            .borrow_mut()
            .element(file, &format!("$.{}", section.key()), i)
    }

    fn add(&mut self, relation: &str, values: &[Val<'_>], origin: At) {
        self.sink.row(relation, values, origin);
    }

    /// A one-column row `relation(id)` when `flag` holds.
    fn flag(&mut self, relation: &str, flag: bool, id: &str, origin: At) {
        if flag {
            self.add(relation, &[s(id)], origin);
        }
    }

    /// One row `relation(id, x)` per element of a list.
    fn each<'a, T>(
        &mut self,
        relation: &str,
        id: &str,
        o: &At,
        key: &str,
        list: &'a [T],
        f: impl Fn(&'a T) -> Val<'a>,
    ) {
        for (i, x) in list.iter().enumerate() {
            let at = self.item(o, key, i);
            self.add(relation, &[s(id), f(x)], at);
        }
    }

    /// A row `relation(id, x)` when the optional value is set.
    fn opt<'a, T>(
        &mut self,
        relation: &str,
        id: &str,
        o: &At,
        key: &str,
        v: Option<&'a T>,
        f: impl Fn(&'a T) -> Val<'a>,
    ) {
        if let Some(v) = v {
            let at = self.at(o, &format!(".{key}"));
            self.add(relation, &[s(id), f(v)], at);
        }
    }

    fn run(&mut self, m: &Model) {
        let p = &m.provenance;
        let org = &m.organization;
        let org_origin = p.organization();
        let as_of_origin = Origin {
            file: org_origin.file.clone(),
            path: "$.as_of".into(),
        };
        let (oo, as_of_origin) = {
            let f = self.places.get_mut();
            (f.place(&org_origin), f.place(&as_of_origin))
        };
        self.add("as_of", &[d(m.as_of)], as_of_origin);
        self.add(
            "organization",
            &[
                s(&org.id),
                s(&org.name),
                s(&org.country),
                Val::Num(org.persons_processing.into()),
            ],
            oo,
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
            self.at(&oo, ".records_of_processing"),
        );
        if let Some(core) = &org.core_activities {
            self.add(
                "organization_core_activities_stated",
                &[s(&org.id)],
                self.at(&oo, ".core_activities"),
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
            let o = self.object(p, Section::Staff, i);
            self.opt(
                "staff_private_account_consent",
                &x.id,
                &o,
                "private_account_consent",
                x.private_account_consent.as_ref(),
                |v| d(*v),
            );
            self.add("staff", &[s(&x.id), s(&x.name), s(x.function.as_str())], o);
        }
        for (i, x) in m.parties.iter().enumerate() {
            let o = self.object(p, Section::Parties, i);
            for (j, c) in x.certifications.iter().enumerate() {
                self.add(
                    "party_certification",
                    &[s(&x.id), s(c.scheme.as_str()), d(c.from), end(c.to)],
                    self.at(&o, &format!(".certifications[{j}]")),
                );
            }
            self.add("party", &[s(&x.id), s(&x.name), s(&x.country)], o);
        }
        for (i, x) in m.systems.iter().enumerate() {
            let o = self.object(p, Section::Systems, i);
            let role = m.system_role(x);
            self.add(
                "system",
                &[
                    s(&x.id),
                    s(&x.name),
                    s(x.kind.as_str()),
                    s(&x.operator),
                    s(&x.hosting_country),
                    s(role.as_str()),
                ],
                o,
            );
            for (j, b) in x.incidents.iter().enumerate() {
                let bo = self.item(&o, "incidents", j);
                let bid = format!("{}/incidents/{j}", x.id);
                self.add(
                    "incident",
                    &[s(&bid), s(&x.id), d(b.aware), s(b.risk.as_str())],
                    bo,
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
                    self.at(&bo, ".delay_reasons"),
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
                    self.at(&bo, ".unintelligible"),
                );
                self.flag(
                    "incident_documented",
                    b.documented,
                    &bid,
                    self.at(&bo, ".documented"),
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
            let o = self.object(p, Section::Agreements, i);
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
            self.flag(
                "agreement_published",
                x.published,
                id,
                self.at(&o, ".published"),
            );
            self.add(
                "agreement",
                &[s(id), s(x.kind.as_str()), s(&x.with), d(x.from), end(x.to)],
                o,
            );
        }
        for (i, x) in m.assessments.iter().enumerate() {
            let o = self.object(p, Section::Assessments, i);
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
                &[
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
            let o = self.object(p, Section::Sources, i);
            let id = &x.id;
            self.opt(
                "source_platform",
                id,
                &o,
                "platform",
                x.platform.as_ref(),
                |v| s(v),
            );
            self.flag("source_public", x.public, id, self.at(&o, ".public"));
            self.flag(
                "source_requires_login",
                x.requires_login,
                id,
                self.at(&o, ".requires_login"),
            );
            self.flag(
                "source_white_label",
                x.white_label,
                id,
                self.at(&o, ".white_label"),
            );
            self.flag(
                "source_impressum",
                x.impressum,
                id,
                self.at(&o, ".impressum"),
            );
            for (j, t) in x.tracking.iter().enumerate() {
                let to = self.at(&o, &format!(".tracking[{j}]"));
                let tid = format!("{id}/tracking/{j}");
                self.add("tracking", &[s(&tid), s(id), s(t.kind.as_str())], to);
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
                    self.at(&to, ".consent_banner"),
                );
                self.flag(
                    "tracking_fires_before_consent",
                    t.fires_before_consent,
                    &tid,
                    self.at(&to, ".fires_before_consent"),
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
                &[
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
            let o = self.object(p, Section::Subjects, i);
            let id = &x.id;
            self.opt("subject_city", id, &o, "city", x.city.as_ref(), |v| s(v));
            self.opt("subject_age", id, &o, "age", x.age.as_ref(), |v| {
                Val::Num((*v).into())
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
                    &[s(id), s(&q.product), s(&q.category), d(q.date)],
                    self.at(&o, &format!(".purchases[{j}]")),
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
                    &[
                        s(&format!("{id}/contracts/{j}")),
                        s(id),
                        s(c.kind.as_str()),
                        d(c.from),
                        end(c.to),
                    ],
                    self.item(&o, "contracts", j),
                );
            }
            for (j, q) in x.requests.iter().enumerate() {
                let qo = self.item(&o, "requests", j);
                let qid = format!("{id}/requests/{j}");
                self.add(
                    "request",
                    &[s(&qid), s(id), s(q.kind.as_str()), d(q.received)],
                    qo,
                );
                self.opt(
                    "request_answered",
                    &qid,
                    &qo,
                    "answered",
                    q.answered.as_ref(),
                    |v| d(*v),
                );
                self.flag(
                    "request_extended",
                    q.extended,
                    &qid,
                    self.at(&qo, ".extended"),
                );
                self.flag("request_refused", q.refused, &qid, self.at(&qo, ".refused"));
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
                &[s(id), s(&x.name), s(x.kind.as_str()), s(&x.country)],
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
            let o = self.object(p, Section::Consents, i);
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
                self.at(&o, ".documented"),
            );
            self.flag("consent_informed", x.informed, id, self.at(&o, ".informed"));
            self.flag("consent_explicit", x.explicit, id, self.at(&o, ".explicit"));
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
                self.add(
                    "consent_verified_stated",
                    &[s(id)],
                    self.at(&o, ".verified"),
                );
                self.each("consent_verified", id, &o, "verified", verified, |v| {
                    s(v.as_str())
                });
            }
            self.add(
                "consent",
                &[
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
            let o = self.object(p, Section::Objections, i);
            self.add(
                "objection",
                &[s(&x.subject), s(x.scope.as_str()), d(x.date)],
                o,
            );
        }
        for i in by_subject(&m.notices, &subjects, |x| x.subject.as_deref()) {
            let x = &m.notices[i];
            let o = self.object(p, Section::Notices, i);
            let id = &x.id;
            match &x.subject {
                Some(subj) => {
                    self.add("notice_subject", &[s(id), s(subj)], self.at(&o, ".subject"))
                }
                None => self.add("notice_public", &[s(id)], self.at(&o, ".subject")),
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
                self.at(&o, ".right_to_object"),
            );
            self.add("notice", &[s(id), s(x.article.as_str()), d(x.date)], o);
        }
        for (i, x) in m.flows.iter().enumerate() {
            let o = self.object(p, Section::Flows, i);
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
                &[
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
            let o = self.object(p, Section::Activities, i);
            self.activity(m, x, o);
        }
        for (i, x) in m.campaigns.iter().enumerate() {
            let o = self.object(p, Section::Campaigns, i);
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
                &[s(id), s(&x.name), s(&x.owner), s(x.status.as_str())],
                o,
            );
        }
        for (i, x) in m.guidelines.iter().enumerate() {
            let o = self.object(p, Section::Guidelines, i);
            let id = &x.id;
            let f = &x.forbid;
            let fo = self.at(&o, ".forbid");
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
            self.add("guideline", &[s(id), s(&x.text)], o);
        }
    }

    fn activity(&mut self, m: &Model, x: &Activity, o: At) {
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
            &[s(id), s(x.audience.as_str())],
            self.at(&o, ".audience"),
        );
        self.flag(
            "activity_identifies_company",
            x.identifies_company,
            id,
            self.at(&o, ".identifies_company"),
        );
        self.flag(
            "activity_promotional",
            x.promotional,
            id,
            self.at(&o, ".promotional"),
        );
        self.each("activity_product", id, &o, "products", &x.products, |v| {
            s(v)
        });
        self.flag(
            "activity_automated",
            x.automated,
            id,
            self.at(&o, ".automated"),
        );
        self.flag(
            "activity_large_scale",
            x.large_scale,
            id,
            self.at(&o, ".large_scale"),
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
            let co = self.at(&o, ".content");
            self.add(
                "activity_content",
                &[s(id), s(c.origin.as_str()), s(c.kind.as_str())],
                co,
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
                self.at(&co, ".original"),
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
            let so = self.at(&o, ".sender");
            self.add("activity_sender", &[s(id)], so);
            self.flag(
                "activity_sender_identified",
                x.identified,
                id,
                self.at(&so, ".identified"),
            );
            self.flag(
                "activity_sender_stop_address",
                x.stop_address,
                id,
                self.at(&so, ".stop_address"),
            );
        }
        if let Some(given) = x.objection_notice {
            let no = self.at(&o, ".objection_notice");
            self.add("activity_objection_notice_stated", &[s(id)], no);
            self.flag("activity_objection_notice", given, id, no);
        }
        if let Some(x) = &x.post {
            let po = self.at(&o, ".post");
            self.add(
                "activity_post",
                &[s(id), s(x.account.as_str())],
                self.at(&po, ".account"),
            );
            self.flag(
                "activity_post_consideration",
                x.consideration,
                id,
                self.at(&po, ".consideration"),
            );
            self.flag(
                "activity_post_labelled",
                x.labelled,
                id,
                self.at(&po, ".labelled"),
            );
        }
        if let Some(x) = &x.reviews {
            let ro = self.at(&o, ".reviews");
            self.add("activity_reviews", &[s(id)], ro);
            self.flag(
                "activity_reviews_claimed_genuine",
                x.claimed_genuine,
                id,
                self.at(&ro, ".claimed_genuine"),
            );
            self.flag(
                "activity_reviews_checked",
                x.checked,
                id,
                self.at(&ro, ".checked"),
            );
            self.flag(
                "activity_reviews_explained",
                x.explained,
                id,
                self.at(&ro, ".explained"),
            );
            self.flag("activity_reviews_fake", x.fake, id, self.at(&ro, ".fake"));
        }
        self.flag(
            "activity_significant_effects",
            x.significant_effects,
            id,
            self.at(&o, ".significant_effects"),
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
            &[
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
