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

/// Where an input fact came from: a row of the model's facts, or an assumption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Row `row` of the facts' relation of the same name.
    Row(u32),
    /// The assumption at this index.
    Assumed(u32),
}

/// The program's symbols of the facts' symbols, numbered as they are first met.
struct SymMap {
    /// By the facts' symbol number; `u32::MAX` for one not met yet.
    syms: Vec<u32>,
}

impl SymMap {
    fn new(facts: &Facts) -> SymMap {
        SymMap {
            syms: vec![u32::MAX; facts.symbol_count()],
        }
    }

    /// The program's symbol of the facts' symbol `word`, interned with `intern` when first met.
    fn get(&mut self, facts: &Facts, word: u64, intern: &mut impl FnMut(&str) -> Sym) -> Sym {
        match self.syms.get(word as usize) {
            Some(&s) if s != u32::MAX => Sym(s),
            _ => {
                let sym = intern(facts.symbol(word));
                if let Some(slot) = self.syms.get_mut(word as usize) {
                    *slot = sym.0;
                }
                sym
            }
        }
    }
}

/// Row `i` of `rows` as values of the program, symbols through `map`.
fn row_values(
    facts: &Facts,
    rows: &sphere_model::Rows<'_>,
    i: usize,
    map: &mut SymMap,
    intern: &mut impl FnMut(&str) -> Sym,
    out: &mut Vec<Value>,
) {
    out.clear();
    for (&w, &ty) in rows.words(i).iter().zip(rows.types()) {
        out.push(match ty {
            sphere_engine::value::Type::Symbol => Value::Sym(map.get(facts, w, intern)),
            ty => Value::from_word(ty, w),
        });
    }
}

/// Puts facts into a program's relations: every row of `facts` whose relation the program
/// has, then every assumption, in that order. `intern` interns symbols (the database's, or a
/// copy of the program's interner), each the first time a row names it; `put` receives each
/// fact with its source and says whether it was new. Facts of a relation whose columns do
/// not have the declaration's types are an error naming their origin. This is the one loop
/// between extracted facts and a program. Returns the program's symbol of each of the facts'
/// symbols (`u32::MAX` for one no fed row names).
pub(crate) fn feed(
    program: &Program,
    facts: &Facts,
    assumed: &[Assumption],
    retracted: &[Assumption],
    intern: &mut impl FnMut(&str) -> Sym,
    put: &mut impl FnMut(RelId, &[Value], Source),
) -> Result<Vec<u32>> {
    let mut values: Vec<Value> = Vec::new();
    // Retracted facts, as values, per relation (few: what-if questions).
    let retracted: Vec<(RelId, Vec<Value>)> = retracted
        .iter()
        .map(|a| (a.rel, a.values(intern)))
        .collect();
    let mut map = SymMap::new(facts);
    for (name, rows) in facts.relations() {
        let Some(rel) = program.relation_by_name(name) else {
            continue;
        };
        if rows.is_empty() {
            continue;
        }
        let cols = &program.relation(rel).columns;
        let fits = cols.len() == rows.types().len()
            && cols.iter().zip(rows.types()).all(|(c, t)| c.ty == *t);
        if !fits {
            let origin = rows.origin(0);
            return Err(Error::new(
                ErrorKind::Facts,
                format!(
                    "fact {name} from {} {} does not fit the declaration of `{name}` in the knowledge base",
                    origin.file, origin.path
                ),
            ));
        }
        for i in 0..rows.len() {
            row_values(facts, &rows, i, &mut map, intern, &mut values);
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
    Ok(map.syms)
}

/// Fills a database with facts, and keeps what finds their origins again: with `keep`, the
/// facts themselves (then an explanation names the file and JSON path of each input fact);
/// without, only the assumptions' origins, and the facts go once they are in the database.
pub(crate) fn insert(
    program: &Program,
    db: &mut Database,
    facts: Arc<Facts>,
    keep: bool,
    assumed: &[Assumption],
    retracted: &[Assumption],
) -> Result<Origins> {
    let mut assumed_values = Vec::new();
    let mut retracted_values = Vec::new();
    // Both closures use the database: one interns, the other inserts.
    let db_cell = std::cell::RefCell::new(db);
    let syms = feed(
        program,
        &facts,
        assumed,
        retracted,
        &mut |s| db_cell.borrow_mut().intern(s),
        &mut |rel, values, source| {
            let new = db_cell.borrow_mut().insert(rel, values);
            if let (true, Source::Assumed(a)) = (new, source) {
                assumed_values.push((rel, values.to_vec(), assumed[a as usize].origin()));
            }
        },
    )?;
    let db = db_cell.into_inner();
    for a in retracted {
        let values = a.values(&mut |s| db.intern(s));
        retracted_values.push((a.rel, values));
    }
    Ok(Origins {
        names: program.relations.iter().map(|r| r.name.clone()).collect(),
        index: (0..program.relations.len())
            .map(|_| std::sync::OnceLock::new())
            .collect(),
        facts: keep.then_some(facts),
        syms,
        retracted: retracted_values,
        assumed: assumed_values,
    })
}

/// Input facts' origins, found by relation and values: the facts keep each row's origin
/// (compactly), so loading records nothing per fact. The first lookup in a relation indexes
/// that relation's rows, so only the relations that explanations show are indexed.
#[derive(Debug)]
pub(crate) struct Origins {
    /// The program's relation names, by id.
    names: Vec<String>,
    /// Per relation, built on first use: hash of a row's values (as the program's words) ->
    /// its rows in the facts, in order.
    index: Vec<std::sync::OnceLock<rustc_hash::FxHashMap<u64, Vec<u32>>>>,
    /// `None` when the evaluation dropped them ([`crate::KnowledgeBase::evaluate_once`]).
    facts: Option<Arc<Facts>>,
    /// The program's symbol of each of the facts' symbols (`u32::MAX`: not in the program).
    syms: Vec<u32>,
    /// Facts left out: a model row equal to one is not where a fact came from.
    retracted: Vec<(RelId, Vec<Value>)>,
    /// The assumptions that added a fact, with their origins.
    assumed: Vec<(RelId, Vec<Value>, Origin)>,
}

fn hash_words(words: impl Iterator<Item = u64>) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    for w in words {
        h.write_u64(w);
    }
    h.finish()
}

impl Origins {
    /// Row `i` of `rows` as the program's words (`None` when a symbol is not the program's).
    fn words<'a>(
        &'a self,
        rows: &'a sphere_model::Rows<'_>,
        i: usize,
    ) -> impl Iterator<Item = u64> + 'a {
        rows.words(i)
            .iter()
            .zip(rows.types())
            .map(|(&w, ty)| match ty {
                sphere_engine::value::Type::Symbol => self
                    .syms
                    .get(w as usize)
                    .map_or(u64::MAX, |&s| u64::from(s)),
                _ => w,
            })
    }

    /// Where the input fact `rel(values)` came from.
    pub fn get(&self, rel: RelId, values: &[Value]) -> Option<Origin> {
        let r = rel.0 as usize;
        let from_facts = self
            .names
            .get(r)
            .and_then(|name| self.facts.as_ref()?.relation(name))
            .filter(|rows| rows.types().len() == values.len() && !rows.is_empty())
            .and_then(|rows| {
                let index = self.index.get(r)?.get_or_init(|| {
                    let mut index: rustc_hash::FxHashMap<u64, Vec<u32>> = Default::default();
                    let retracted: Vec<&[Value]> = self
                        .retracted
                        .iter()
                        .filter(|(q, _)| *q == rel)
                        .map(|(_, v)| v.as_slice())
                        .collect();
                    for i in 0..rows.len() {
                        if !retracted.is_empty() {
                            let words: Vec<u64> = self.words(&rows, i).collect();
                            if retracted
                                .iter()
                                .any(|v| v.iter().map(|x| x.word()).eq(words.iter().copied()))
                            {
                                continue;
                            }
                        }
                        index
                            .entry(hash_words(self.words(&rows, i)))
                            .or_default()
                            .push(i as u32);
                    }
                    index
                });
                let key = values.iter().map(|v| v.word());
                let i = *index
                    .get(&hash_words(key.clone()))?
                    .iter()
                    .find(|&&i| self.words(&rows, i as usize).eq(key.clone()))?;
                Some(rows.origin(i as usize))
            });
        from_facts.or_else(|| {
            self.assumed
                .iter()
                .find(|(q, v, _)| *q == rel && v.as_slice() == values)
                .map(|(_, _, o)| o.clone())
        })
    }
}
