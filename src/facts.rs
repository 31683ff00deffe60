//! Input facts meet the program: the one loop that turns a model's extracted facts (and
//! assumed facts) into engine values and hands them on, the origins of the facts inserted,
//! and assumptions (what-if facts) checked against the program.

use std::sync::Arc;

use sphere_engine::eval::Database;
use sphere_engine::ir::{Program, RelId};
use sphere_engine::{parse_query, QueryArg, Sym, Value};
use sphere_model::extract::Facts;
use sphere_model::Origin;

use crate::error::{Error, ErrorKind, Result};
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
                    return Err(Error::new(
                        ErrorKind::Usage,
                        format!("the fact `{text}`: argument {} is not a constant", i + 1),
                    )
                    .with_hint("an assumption is a fact: write every argument as a constant, e.g. `consent_channel(\"c1\", \"phone\")`"));
                }
            });
        }
        let relation = program.relation(q.rel);
        if !relation.input {
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "the fact `{text}`: `{}` is derived by the rules, not read from the model",
                    relation.name
                ),
            )
            .with_hint(
                "an assumption adds a fact of the model (an input relation of knowledge/model.dl, e.g. `consent_channel(\"c1\", \"phone\")`); assume the facts the derived one would follow from",
            ));
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
                        let hint = match sphere_engine::ir::resolve::did_you_mean(
                            word,
                            all.iter().copied(),
                        ) {
                            Some(m) => format!("did you mean \"{m}\"? allowed: {}", all.join(", ")),
                            None => format!("allowed: {}", all.join(", ")),
                        };
                        return Err(Error::new(
                            ErrorKind::Usage,
                            format!(
                                "the fact `{text}`: column `{column}`: \"{word}\" is not a {what}"
                            ),
                        )
                        .with_hint(hint));
                    }
                    sphere_model::facts_check::Col::Country
                        if sphere_model::countries::country_name(word).is_none() =>
                    {
                        return Err(Error::new(
                            ErrorKind::Usage,
                            format!("the fact `{text}`: column `{column}`: \"{word}\" is not an ISO 3166 alpha-2 country code"),
                        )
                        .with_hint("use an upper-case code such as \"DE\", \"IE\" or \"US\""));
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

/// Where an input fact came from: a row of the model's facts, or an assumption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Row `row` of the facts' relation of the same name.
    Row(u32),
    /// The assumption at this index.
    Assumed(u32),
}

/// Puts facts into a program's relations: every row of `facts` whose relation the program
/// has, then every assumption, in that order. `intern` interns symbols (the database's, or a
/// copy of the program's interner); `put` receives each fact with its source and says whether
/// it was new. A fact that does not fit its relation's declaration is an error naming its
/// origin. This is the one loop between extracted facts and a program.
pub(crate) fn feed(
    program: &Program,
    facts: &Facts,
    assumed: &[Assumption],
    retracted: &[Assumption],
    intern: &mut impl FnMut(&str) -> Sym,
    put: &mut impl FnMut(RelId, &[Value], Source),
) -> Result<()> {
    let mut values: Vec<Value> = Vec::new();
    // Retracted facts, as values, per relation (few: what-if questions).
    let retracted: Vec<(RelId, Vec<Value>)> = retracted
        .iter()
        .map(|a| (a.rel, a.values(intern)))
        .collect();
    for (name, rows) in &facts.relations {
        let Some(rel) = program.relation_by_name(name) else {
            continue;
        };
        let cols = &program.relation(rel).columns;
        for (i, (vals, origin)) in rows.iter().enumerate() {
            values.clear();
            values.extend(vals.iter().map(|v| v.value(&mut *intern)));
            let fits =
                cols.len() == values.len() && cols.iter().zip(&values).all(|(c, v)| c.ty == v.ty());
            if !fits {
                return Err(Error::new(
                    ErrorKind::Facts,
                    format!(
                        "fact {name} from {} {} does not fit the declaration of `{name}` in the knowledge base",
                        origin.file, origin.path
                    ),
                ));
            }
            if !retracted.is_empty() && retracted.iter().any(|(r, v)| *r == rel && *v == values) {
                continue;
            }
            put(rel, &values, Source::Row(i as u32));
        }
    }
    for (i, a) in assumed.iter().enumerate() {
        let values = a.values(intern);
        put(a.rel, &values, Source::Assumed(i as u32));
    }
    Ok(())
}

/// Fills a database with facts, recording the origin of each new one.
pub(crate) fn insert(
    program: &Program,
    db: &mut Database,
    facts: Arc<Facts>,
    assumed: &[Assumption],
    retracted: &[Assumption],
) -> Result<Origins> {
    let mut origins = Origins {
        rels: Vec::new(),
        facts: Arc::clone(&facts),
        assumed: assumed.iter().map(Assumption::origin).collect(),
    };
    let names: Vec<&str> = program.relations.iter().map(|r| r.name.as_str()).collect();
    // Both closures use the database: one interns, the other inserts.
    let db_cell = std::cell::RefCell::new(db);
    feed(
        program,
        &facts,
        assumed,
        retracted,
        &mut |s| db_cell.borrow_mut().intern(s),
        &mut |rel, values, source| {
            if db_cell.borrow_mut().insert(rel, values) {
                origins.record(rel, names[rel.0 as usize], values, source);
            }
        },
    )?;
    Ok(origins)
}

/// Input facts' origins, found by relation and values. Loading records each new fact's words
/// and where it came from (a row number, no copy); the first lookup in a relation indexes
/// that relation, so only the relations that explanations show are indexed.
#[derive(Debug)]
pub(crate) struct Origins {
    rels: Vec<RelOrigins>,
    facts: Arc<Facts>,
    assumed: Vec<Origin>,
}

#[derive(Debug, Default)]
struct RelOrigins {
    name: String,
    arity: usize,
    words: Vec<u64>,
    sources: Vec<Source>,
    /// Hash of a fact's words -> its positions.
    index: std::sync::OnceLock<rustc_hash::FxHashMap<u64, Vec<u32>>>,
}

fn hash_words(words: &[u64]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    words.hash(&mut h);
    h.finish()
}

impl Origins {
    fn record(&mut self, rel: RelId, name: &str, values: &[Value], source: Source) {
        let r = rel.0 as usize;
        if self.rels.len() <= r {
            self.rels.resize_with(r + 1, RelOrigins::default);
        }
        let ro = &mut self.rels[r];
        if ro.sources.is_empty() {
            ro.name = name.to_string();
        }
        ro.arity = values.len();
        ro.words.extend(values.iter().map(|v| v.word()));
        ro.sources.push(source);
        ro.index.take();
    }

    /// Where the input fact `rel(values)` came from.
    pub fn get(&self, rel: RelId, values: &[Value]) -> Option<&Origin> {
        let ro = self.rels.get(rel.0 as usize)?;
        if ro.arity != values.len() || ro.sources.is_empty() {
            return None;
        }
        let row = |i: usize| &ro.words[i * ro.arity..(i + 1) * ro.arity];
        let index = ro.index.get_or_init(|| {
            let mut index: rustc_hash::FxHashMap<u64, Vec<u32>> = Default::default();
            for i in 0..ro.sources.len() {
                index.entry(hash_words(row(i))).or_default().push(i as u32);
            }
            index
        });
        let key: Vec<u64> = values.iter().map(|v| v.word()).collect();
        let i = *index
            .get(&hash_words(&key))?
            .iter()
            .find(|&&i| row(i as usize) == key.as_slice())?;
        match ro.sources[i as usize] {
            Source::Row(r) => self
                .facts
                .rows(&ro.name)
                .get(r as usize)
                .map(|(_, origin)| origin),
            Source::Assumed(a) => self.assumed.get(a as usize),
        }
    }
}
