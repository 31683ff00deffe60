//! Questions about an evaluation, as atoms: which tuples match `path(1, X)`, why a tuple
//! holds (its derivation), why a fact does not hold (every rule that could derive it and
//! where each fails). Behind `sphere eval --explain/--why-not`, and the REPL's `?-`.

use sphere_engine::eval::Evaluation;
use sphere_engine::explain::WhyNot;
use sphere_engine::{parse_query, QueryArg, SourceMap, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::explain::Derivation;

/// How deep a why-not follows a missing premise into the rules that could derive it.
pub const WHY_NOT_DEPTH: usize = 3;

/// A query resolved against an evaluation.
#[derive(Clone, Debug)]
pub struct Query {
    pub text: String,
    pub rel: sphere_engine::ir::RelId,
    /// Per argument: the value asked for, or `None` for a variable or `_`.
    pub pattern: Vec<Option<Value>>,
    /// Per argument: the variable named there, if any.
    pub vars: Vec<Option<String>>,
}

/// What a query can come to.
#[derive(Clone, Debug)]
pub enum Resolved {
    Query(Query),
    /// A constant is a symbol that occurs nowhere in the program or its facts, so nothing can
    /// match.
    UnknownSymbol(String),
}

/// Parses `text` as an atom of the evaluation's program. `sources` (the program's) receives
/// the query text, so that diagnostics point into it; they are in the error.
pub fn resolve(ev: &Evaluation<'_>, text: &str, sources: &mut SourceMap) -> Result<Resolved> {
    let q = parse_query(text, ev.program(), sources)
        .map_err(|d| Error::diagnostics(ErrorKind::Rules, d, sources.clone()))?;
    let mut pattern = Vec::with_capacity(q.args.len());
    let mut vars = Vec::with_capacity(q.args.len());
    for a in &q.args {
        match a {
            QueryArg::Const(v) => {
                pattern.push(Some(*v));
                vars.push(None);
            }
            QueryArg::UnknownSymbol(s) => match ev.interner().get(s) {
                // Interned by a facts file rather than by the program text.
                Some(sym) => {
                    pattern.push(Some(Value::Sym(sym)));
                    vars.push(None);
                }
                None => return Ok(Resolved::UnknownSymbol(s.clone())),
            },
            QueryArg::Var(name) => {
                pattern.push(None);
                vars.push(Some(name.clone()));
            }
            QueryArg::Wildcard => {
                pattern.push(None);
                vars.push(None);
            }
        }
    }
    Ok(Resolved::Query(Query {
        text: text.to_string(),
        rel: q.rel,
        pattern,
        vars,
    }))
}

impl Query {
    /// The tuples that match, sorted: every constant equal, and a variable named twice bound
    /// to one value.
    pub fn matches(&self, ev: &Evaluation<'_>) -> Vec<Vec<Value>> {
        ev.select(self.rel, &self.pattern)
            .into_iter()
            .filter(|t| self.same_variables_agree(t))
            .collect()
    }

    fn same_variables_agree(&self, tuple: &[Value]) -> bool {
        let vars = &self.vars;
        vars.iter().enumerate().all(|(i, a)| {
            vars.iter()
                .enumerate()
                .skip(i + 1)
                .all(|(j, b)| match (a, b) {
                    (Some(x), Some(y)) if x == y => tuple[i] == tuple[j],
                    _ => true,
                })
        })
    }

    /// The fact the query names, when it has no variable and no `_`.
    pub fn fact(&self) -> Option<Vec<Value>> {
        self.pattern.iter().copied().collect()
    }

    /// Why the fact the query names does not hold; `None` for a pattern.
    pub fn why_not(&self, ev: &Evaluation<'_>) -> Option<WhyNot> {
        Some(ev.why_not(self.rel, &self.fact()?, WHY_NOT_DEPTH))
    }

    /// The derivation of a matching tuple.
    pub fn derivation(&self, ev: &Evaluation<'_>, tuple: &[Value]) -> Result<Derivation> {
        crate::explain::derive(ev, self.rel, tuple).map_err(|e| {
            Error::new(
                ErrorKind::Evaluation,
                format!("cannot explain {}: {e:?}", self.text),
            )
        })
    }
}
