//! Input facts meet the program: the one loop that turns a model's facts (extracted straight
//! into it, or replayed from facts kept apart) and assumed facts into engine values and puts
//! them into a database or an export, the origins of the facts put, and assumptions (what-if
//! facts) checked against the program.

use rustc_hash::FxHashMap;
use sphere_engine::eval::{Database, Evaluation};
use sphere_engine::ir::{Program, RelId};
use sphere_engine::value::{Interner, Type};
use sphere_engine::{parse_query, QueryArg, Sym, Value};
use sphere_model::extract::{At, FactSink, Facts, Places, Val};
use sphere_model::Origin;

use crate::error::{Error, ErrorKind, Result};
use crate::findings::Texts;
use crate::kb::KnowledgeBase;

/// A fact assumed for a what-if question: `consent_channel("c1", "phone")`, checked against
/// the program (relation, arity, column types).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assumption {
    text: String,
    rel: RelId,
    args: Vec<Arg>,
}

/// One argument of an assumption: a value of the program, or a symbol the program does not
/// know yet (interned when inserted).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Arg {
    Value(Value),
    Symbol(String),
}

impl Assumption {
    /// Parses `text` as a fact of `kb`'s program. Errors are rendered diagnostics pointing into
    /// the text, or a message when an argument is not a constant.
    pub fn parse(kb: &KnowledgeBase, text: &str) -> Result<Assumption> {
        let program = kb.program();
        let mut sources = kb.sources().clone();
        let q = parse_query(text, program, &mut sources)
            .map_err(|d| Error::diagnostics(ErrorKind::Rules, d, sources.clone()))?;
        let mut args = Vec::with_capacity(q.args.len());
        for (i, a) in q.args.into_iter().enumerate() {
            args.push(match a {
                QueryArg::Const(v) => Arg::Value(v),
                QueryArg::UnknownSymbol(s) => Arg::Symbol(s),
                QueryArg::Var(_) | QueryArg::Wildcard => {
                    return Err(Error::texts(
                        ErrorKind::Usage,
                        Texts::new(
                            format!("the fact `{text}`: argument {} is not a constant", i + 1),
                            format!("die Tatsache `{text}`: Argument {} ist keine Konstante", i + 1),
                        ),
                    )
                    .with_hint_texts(Texts::new(
                        "an assumption is a fact: write every argument as a constant, e.g. `consent_channel(\"c1\", \"phone\")`",
                        "eine Annahme ist eine Tatsache: jedes Argument als Konstante schreiben, z. B. `consent_channel(\"c1\", \"phone\")`",
                    )));
                }
            });
        }
        let relation = program.relation(q.rel);
        if !relation.input {
            return Err(Error::texts(
                ErrorKind::Usage,
                Texts::new(
                    format!(
                        "the fact `{text}`: `{}` is derived by the rules, not read from the model",
                        relation.name
                    ),
                    format!(
                        "die Tatsache `{text}`: `{}` leiten die Regeln ab, sie stammt nicht aus dem Modell",
                        relation.name
                    ),
                ),
            )
            .with_hint_texts(Texts::new(
                "an assumption adds a fact of the model (an input relation of knowledge/model.dl, e.g. `consent_channel(\"c1\", \"phone\")`); assume the facts the derived one would follow from",
                "eine Annahme fügt eine Tatsache des Modells hinzu (eine Eingaberelation aus knowledge/model.dl, z. B. `consent_channel(\"c1\", \"phone\")`); die Tatsachen annehmen, aus denen die abgeleitete folgen würde",
            )));
        }
        // A value the model would refuse would make the assumption silently match nothing.
        if let Some((cols, _)) = sphere_model::facts_check::schema(&relation.name) {
            for (i, (col, a)) in cols.iter().zip(&args).enumerate() {
                let word = match a {
                    Arg::Symbol(s) => s.as_str(),
                    Arg::Value(Value::Sym(sym)) => program.interner.resolve(*sym),
                    Arg::Value(_) => continue,
                };
                let column = relation.columns.get(i).map_or("", |c| c.name.as_str());
                match *col {
                    sphere_model::facts_check::Col::Vocab(what, all) if !all.contains(&word) => {
                        // In German each value in quotes: the words are the model's.
                        let quoted = all
                            .iter()
                            .map(|v| format!("\"{v}\""))
                            .collect::<Vec<_>>()
                            .join(", ");
                        let hint = match sphere_engine::ir::resolve::did_you_mean(
                            word,
                            all.iter().copied(),
                        ) {
                            Some(m) => Texts::new(
                                format!("did you mean \"{m}\"? allowed: {}", all.join(", ")),
                                format!("meinten Sie \"{m}\"? zulässig: {quoted}"),
                            ),
                            None => Texts::new(
                                format!("allowed: {}", all.join(", ")),
                                format!("zulässig: {quoted}"),
                            ),
                        };
                        return Err(Error::texts(
                            ErrorKind::Usage,
                            Texts::new(
                                format!(
                                    "the fact `{text}`: column `{column}`: \"{word}\" is not a {what}"
                                ),
                                format!(
                                    "die Tatsache `{text}`: Spalte `{column}`: \"{word}\" ist hier kein zulässiger Wert"
                                ),
                            ),
                        )
                        .with_hint_texts(hint));
                    }
                    sphere_model::facts_check::Col::Country
                        if sphere_model::countries::country_name(word).is_none() =>
                    {
                        return Err(Error::texts(
                            ErrorKind::Usage,
                            Texts::new(
                                format!("the fact `{text}`: column `{column}`: \"{word}\" is not an ISO 3166 alpha-2 country code"),
                                format!("die Tatsache `{text}`: Spalte `{column}`: \"{word}\" ist kein Ländercode nach ISO 3166 alpha-2"),
                            ),
                        )
                        .with_hint_texts(Texts::new(
                            "use an upper-case code such as \"DE\", \"IE\" or \"US\"",
                            "einen großgeschriebenen Code wie \"DE\", \"IE\" oder \"US\" verwenden",
                        )));
                    }
                    _ => {}
                }
            }
        }
        Ok(Assumption {
            text: text.to_string(),
            rel: q.rel,
            args,
        })
    }

    /// The fact as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where explanations say the fact comes from: `--assume` and the text.
    pub fn origin(&self) -> Origin {
        Origin {
            file: "--assume".into(),
            path: self.text.clone(),
        }
    }

    /// The relation's name in `program`.
    pub fn relation<'p>(&self, program: &'p Program) -> &'p str {
        &program.relation(self.rel).name
    }

    /// The relation of the fact.
    pub(crate) fn rel(&self) -> RelId {
        self.rel
    }

    /// The symbols of the fact's arguments, as text (`None` for numbers and dates).
    pub(crate) fn symbols(&self, program: &Program) -> Vec<Option<String>> {
        self.args
            .iter()
            .map(|a| match a {
                Arg::Value(v @ Value::Sym(_)) => {
                    Some(sphere_engine::value::display(*v, &program.interner))
                }
                Arg::Value(_) => None,
                Arg::Symbol(s) => Some(s.clone()),
            })
            .collect()
    }

    fn values(&self, intern: &mut impl FnMut(&str) -> Sym) -> Vec<Value> {
        self.args
            .iter()
            .map(|a| match a {
                Arg::Value(v) => *v,
                Arg::Symbol(s) => Value::Sym(intern(s)),
            })
            .collect()
    }
}

/// Where the facts of an evaluation come from.
#[derive(Clone, Copy)]
pub(crate) enum FactSource<'m> {
    /// A company model: its facts are extracted straight into the program's relations.
    Company(&'m sphere_model::Model),
    /// Facts kept apart (extracted before, or read from a `sphere-facts/1` export).
    Facts(&'m Facts),
}

impl FactSource<'_> {
    /// Writes every fact into `sink`; returns the texts of their origins.
    fn write(self, sink: &mut dyn FactSink) -> Places {
        match self {
            FactSource::Company(model) => sphere_model::extract_into(model, sink),
            FactSource::Facts(facts) => {
                facts.replay(sink);
                facts.places().clone()
            }
        }
    }
}

/// What [`Feed`] puts facts into: a database, or the rows of an export.
pub(crate) trait Target {
    /// The program's symbol of `text`.
    fn intern(&mut self, text: &str) -> Sym;
    /// Puts a fact; whether it was new.
    fn put(&mut self, rel: RelId, values: &[Value]) -> bool;

    /// Puts the facts of `rel` given one after the other in `values`, in order; `new`
    /// receives for each whether it was new.
    fn put_many(&mut self, rel: RelId, arity: usize, values: &[Value], new: &mut Vec<bool>) {
        new.clear();
        for t in values.chunks(arity.max(1)) {
            new.push(self.put(rel, t));
        }
    }
}

impl Target for Database {
    fn intern(&mut self, text: &str) -> Sym {
        Database::intern(self, text)
    }

    fn put(&mut self, rel: RelId, values: &[Value]) -> bool {
        self.insert(rel, values)
    }

    fn put_many(&mut self, rel: RelId, _arity: usize, values: &[Value], new: &mut Vec<bool>) {
        self.insert_many(rel, values, new);
    }
}

/// The facts of an export: every fact of a program's relations, symbols interned in a copy of
/// the program's interner.
pub(crate) struct Rows<'i> {
    pub interner: &'i mut Interner,
    pub rows: Vec<(RelId, Vec<Value>)>,
}

impl Target for Rows<'_> {
    fn intern(&mut self, text: &str) -> Sym {
        self.interner.intern(text)
    }

    fn put(&mut self, rel: RelId, values: &[Value]) -> bool {
        self.rows.push((rel, values.to_vec()));
        true
    }
}

/// The one loop between facts and a program, as the sink extraction writes into: each row of a
/// relation the program has becomes the program's values (symbols interned once per row value)
/// and goes into the target, unless it is a retracted fact; with `keep`, the origin of each
/// new fact is kept in row order.
struct Feed<'a, T: Target> {
    program: &'a Program,
    target: &'a mut T,
    /// The program's relation of each relation name met.
    rels: FxHashMap<String, Option<RelId>>,
    /// Per relation: 0 not met yet, 1 its rows fit the declaration, 2 they do not.
    fits: Vec<u8>,
    retracted: &'a [(RelId, Vec<Value>)],
    keep: bool,
    /// Per relation, with `keep`: the origin of each fact put, in the order put.
    ats: Vec<Vec<At>>,
    /// The first relation whose rows do not fit, with the origin of its first row.
    misfit: Option<(String, At)>,
    /// Facts put that were new.
    count: usize,
    /// The symbols met last, by a hash of their text: see [`Feed::symbol`].
    recent: Vec<Option<(Box<str>, Sym)>>,
    /// Per relation: facts not put yet (their values one after the other, and their origins),
    /// put [`BATCH`] at a time (see [`Database::insert_many`]).
    pending: Vec<(Vec<Value>, Vec<At>)>,
    new: Vec<bool>,
    values: Vec<Value>,
}

/// Facts of one relation put at a time.
const BATCH: usize = 16;

/// Slots of [`Feed::recent`] (a power of two).
const RECENT: usize = 4096;

impl<T: Target> Feed<'_, T> {
    /// The program's symbol of `text`. A model names the same few texts row after row (an
    /// activity's id in each of its rows, its subject's, channels, categories): a small table
    /// of the symbols met last answers those from the processor's cache, where the target's
    /// interner, at a million activities, sends nearly every lookup to a random place in a
    /// table far larger than the cache.
    fn symbol(&mut self, text: &str) -> Sym {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let hash = BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(text);
        let slot = (hash as usize) & (RECENT - 1);
        if let Some((recent, sym)) = &self.recent[slot] {
            if **recent == *text {
                return *sym;
            }
        }
        let sym = self.target.intern(text);
        self.recent[slot] = Some((text.into(), sym));
        sym
    }
}

impl<T: Target> FactSink for Feed<'_, T> {
    fn origins(&self) -> bool {
        self.keep
    }

    fn row(&mut self, relation: &str, values: &[Val<'_>], at: At) {
        let rel = match self.rels.get(relation) {
            Some(&rel) => rel,
            None => {
                let rel = self.program.relation_by_name(relation);
                self.rels.insert(relation.to_string(), rel);
                rel
            }
        };
        let Some(rel) = rel else {
            return;
        };
        let r = rel.0 as usize;
        match self.fits[r] {
            1 => {}
            2 => return,
            _ => {
                let cols = &self.program.relation(rel).columns;
                let fits = cols.len() == values.len()
                    && cols.iter().zip(values).all(|(c, v)| {
                        c.ty == match v {
                            Val::Sym(_) => Type::Symbol,
                            Val::Num(_) => Type::Number,
                            Val::Date(_) => Type::Date,
                        }
                    });
                if !fits {
                    self.fits[r] = 2;
                    self.misfit
                        .get_or_insert_with(|| (relation.to_string(), at));
                    return;
                }
                self.fits[r] = 1;
            }
        }
        self.values.clear();
        for v in values {
            let value = match *v {
                Val::Sym(s) => Value::Sym(self.symbol(s)),
                Val::Num(n) => Value::Num(n),
                Val::Date(d) => Value::Date(d),
            };
            self.values.push(value);
        }
        if self
            .retracted
            .iter()
            .any(|(q, v)| *q == rel && *v == self.values)
        {
            return;
        }
        let (values, ats) = &mut self.pending[r];
        values.extend_from_slice(&self.values);
        ats.push(at);
        if ats.len() == BATCH {
            self.flush(rel);
        }
    }
}

impl<T: Target> Feed<'_, T> {
    /// Puts the pending facts of `rel`.
    fn flush(&mut self, rel: RelId) {
        let r = rel.0 as usize;
        let (values, ats) = &mut self.pending[r];
        if ats.is_empty() {
            return;
        }
        if values.is_empty() {
            // A relation without columns.
            self.new.clear();
            for _ in 0..ats.len() {
                let new = self.target.put(rel, &[]);
                self.new.push(new);
            }
        } else {
            let arity = values.len() / ats.len();
            self.target.put_many(rel, arity, values, &mut self.new);
        }
        for (&new, &at) in self.new.iter().zip(ats.iter()) {
            if new {
                self.count += 1;
                if self.keep {
                    self.ats[r].push(at);
                }
            }
        }
        values.clear();
        ats.clear();
    }

    /// Puts every pending fact.
    fn flush_all(&mut self) {
        for r in 0..self.pending.len() {
            self.flush(RelId(r as u32));
        }
    }
}

/// Puts the facts of `source` into `target` (see [`Feed`]), then every assumption, leaving
/// out the retracted facts. Returns the origins kept (with `keep`) and the assumptions that
/// added a fact, with their origins. Facts of a relation whose columns do not have the
/// declaration's types are an error naming their origin.
fn feed<T: Target>(
    program: &Program,
    target: &mut T,
    source: FactSource<'_>,
    keep: bool,
    assumed: &[Assumption],
    retracted: &[Assumption],
) -> Result<Fed> {
    // Retracted facts, as values, per relation (few: what-if questions).
    let retracted: Vec<(RelId, Vec<Value>)> = retracted
        .iter()
        .map(|a| (a.rel, a.values(&mut |s| target.intern(s))))
        .collect();
    let n = program.relations.len();
    let mut feed = Feed {
        program,
        target,
        rels: FxHashMap::default(),
        fits: vec![0; n],
        retracted: &retracted,
        keep,
        ats: vec![Vec::new(); if keep { n } else { 0 }],
        misfit: None,
        count: 0,
        recent: vec![None; RECENT],
        pending: vec![(Vec::new(), Vec::new()); n],
        new: Vec::new(),
        values: Vec::new(),
    };
    let places = source.write(&mut feed);
    feed.flush_all();
    if let Some((name, at)) = feed.misfit.take() {
        let from = if at == At::NONE {
            String::new()
        } else {
            let origin = places.origin(at);
            format!(" from {} {}", origin.file, origin.path)
        };
        return Err(Error::new(
            ErrorKind::Facts,
            format!(
                "fact {name}{from} does not fit the declaration of `{name}` in the knowledge base"
            ),
        ));
    }
    let (mut ats, mut count) = (feed.ats, feed.count);
    for a in &mut ats {
        a.shrink_to_fit();
    }
    let mut assumed_values = Vec::new();
    for a in assumed {
        let values = a.values(&mut |s| target.intern(s));
        if target.put(a.rel, &values) {
            count += 1;
            assumed_values.push((a.rel, values, a.origin()));
        }
    }
    Ok(Fed {
        places,
        ats,
        assumed: assumed_values,
        count,
    })
}

/// What [`feed`] put.
struct Fed {
    places: Places,
    ats: Vec<Vec<At>>,
    assumed: Vec<(RelId, Vec<Value>, Origin)>,
    count: usize,
}

/// The facts of `source` and the assumptions as the rows of an export (see [`feed`]).
pub(crate) fn rows(
    program: &Program,
    interner: &mut Interner,
    source: FactSource<'_>,
) -> Result<Vec<(RelId, Vec<Value>)>> {
    let mut rows = Rows {
        interner,
        rows: Vec::new(),
    };
    feed(program, &mut rows, source, false, &[], &[])?;
    Ok(rows.rows)
}

/// Fills a database with the facts of `source` (a company model's straight from extraction),
/// then the assumptions, leaving out the retracted facts. With `keep`, the origin of each fact
/// is kept (16 bytes a fact), so that an explanation names the file and JSON path it came
/// from; without, only the assumptions' origins are.
pub(crate) fn insert(
    program: &Program,
    db: &mut Database,
    source: FactSource<'_>,
    keep: bool,
    assumed: &[Assumption],
    retracted: &[Assumption],
) -> Result<Origins> {
    // The program's own facts come first in a relation's rows; the model's follow.
    let base = (0..program.relations.len())
        .map(|r| db.len(RelId(r as u32)))
        .collect();
    let fed = feed(program, db, source, keep, assumed, retracted)?;
    Ok(Origins {
        places: keep.then_some(fed.places),
        base,
        ats: fed.ats,
        assumed: fed.assumed,
        count: fed.count,
    })
}

/// Input facts' origins: for each fact a model put into the database, its [`At`] (16 bytes),
/// in the order of the relation's rows, turned into a file and JSON path only when an
/// explanation shows it; and the origins of the assumptions.
#[derive(Debug)]
pub(crate) struct Origins {
    /// The texts of the kept origins; `None` when none were kept
    /// ([`crate::KnowledgeBase::evaluate_once`]).
    places: Option<Places>,
    /// Per relation: the row of the first fact a model put (the program's own facts come
    /// before).
    base: Vec<usize>,
    /// Per relation: the origin of each fact a model put, in row order.
    ats: Vec<Vec<At>>,
    /// The assumptions that added a fact, with their origins.
    assumed: Vec<(RelId, Vec<Value>, Origin)>,
    /// How many input facts were put (the model's and the assumptions', each once).
    count: usize,
}

impl Origins {
    /// How many input facts were put into the database (each once).
    pub fn count(&self) -> usize {
        self.count
    }

    /// Where the input fact `rel(values)` of `evaluation` came from.
    pub fn get(&self, evaluation: &Evaluation<'_>, rel: RelId, values: &[Value]) -> Option<Origin> {
        let r = rel.0 as usize;
        let from_model = self.places.as_ref().and_then(|places| {
            let row = evaluation.row_of(rel, values)?;
            let at = self.ats.get(r)?.get(row.checked_sub(*self.base.get(r)?)?)?;
            Some(places.origin(*at))
        });
        from_model.or_else(|| {
            self.assumed
                .iter()
                .find(|(q, v, _)| *q == rel && v.as_slice() == values)
                .map(|(_, _, o)| o.clone())
        })
    }
}
