//! `sphere kb export`: the resolved knowledge base and a model's facts in the syntax of another
//! engine, so that an independent engine can run the same program on the same facts.
//!
//! Two targets. **clingo** (`program.lp`, `facts.lp`): predicates lower-case, variables `V0..`,
//! symbols as quoted strings, numbers and dates (days since 1970-01-01) as integers, `not` for
//! negation, `#show` for every relation the program derives. **Soufflé** (`program.dl` plus one
//! tab-separated `<rel>.facts` per `.input` relation): dates become `number` columns holding day
//! numbers.
//!
//! Built-in functions and arithmetic are never left to the target: every computed expression
//! becomes a helper relation (`fn_add_months(D, N, Result)`) whose facts the exporter computes
//! with [`sphere_engine::builtins`], the implementation both of sphere's evaluators call. The
//! arguments range over their *active domain*: a column analysis follows each argument back
//! through the rules to the input facts and program constants that can feed it, and iterates
//! to a fixpoint (a computed value that feeds another call is closed over). An argument whose
//! values cannot be bounded (more than [`MAX_HELPER_FACTS`]) is an error, not a truncation.
//!
//! The export works from the resolved program ([`Program`]), never from rule text; the legal
//! annotations are already lowered to plain rules there and only survive as a comment with
//! each rule's id.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use sphere_engine::builtins;
use sphere_engine::eval::Evaluation;
use sphere_engine::ir::{BinOp, Builtin, CmpOp, Expr, Literal, Program, RelId, Rule, Term};
use sphere_engine::{Interner, Type, Value};

/// The engine whose syntax is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Clingo,
    Souffle,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Clingo => "clingo",
            Target::Souffle => "Soufflé",
        }
    }
}

/// Precomputing one helper relation may not take more facts than this: beyond it the active
/// domain of an argument is too large (or unbounded, through recursion) to enumerate.
pub const MAX_HELPER_FACTS: usize = 20_000_000;

/// Rounds of the active-domain fixpoint; a domain that still grows after these is unbounded.
const MAX_ROUNDS: usize = 1_000;

/// Why the program or the facts cannot be written in the target's syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    pub hint: Option<String>,
}

impl Error {
    fn new(message: impl Into<String>, hint: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

/// The files of an export: path relative to the output directory, and contents.
#[derive(Debug, Default)]
pub struct Files {
    pub files: Vec<(String, String)>,
    /// Rules written.
    pub rules: usize,
    /// Facts written (model facts and facts of the program).
    pub facts: usize,
    /// Precomputed facts per helper relation, by the helper's name in the export.
    pub helpers: BTreeMap<String, usize>,
}

/// Exports `program` with the input `facts` (values interned in `interner`, which must extend
/// the program's own interner; built-ins such as `cat` intern new symbols in it).
pub fn export(
    program: &Program,
    interner: &mut Interner,
    facts: &[(RelId, Vec<Value>)],
    target: Target,
) -> Result<Files, Error> {
    let names = Names::new(program, target);
    let mut rules = Vec::with_capacity(program.rules.len());
    for r in &program.rules {
        rules.push(flatten(r, target)?);
    }
    let helpers = precompute(program, &rules, facts, interner)?;
    let w = Writer {
        program,
        interner,
        names: &names,
        target,
    };
    let mut out = Files {
        rules: rules.len(),
        ..Files::default()
    };
    for (key, h) in &helpers {
        out.helpers.insert(names.helper(key), h.tuples.len());
    }
    match target {
        Target::Clingo => w.clingo(&rules, &helpers, facts, &mut out)?,
        Target::Souffle => w.souffle(&rules, &helpers, facts, &mut out)?,
    }
    Ok(out)
}

/// sphere's own answer, in the target's syntax, for comparison with the target's run: every
/// relation the export shows (clingo: `answer.lp`, one fact per line) or writes as `.output`
/// (Soufflé: `answer/<rel>.csv`, tab-separated), lines sorted.
pub fn answer(ev: &Evaluation, target: Target) -> Result<Vec<(String, String)>, Error> {
    let program = ev.program();
    let names = Names::new(program, target);
    let w = Writer {
        program,
        interner: ev.interner(),
        names: &names,
        target,
    };
    let mut files = Vec::new();
    let mut all = Vec::new();
    for (i, rel) in program.relations.iter().enumerate() {
        let id = RelId(i as u32);
        if !shown(program, id) {
            continue;
        }
        let mut lines = Vec::new();
        for t in ev.tuples(id) {
            lines.push(match target {
                Target::Clingo => w.clingo_fact(&names.rels[i], &t, || rel.name.clone())?,
                Target::Souffle => w.souffle_row(&t, || rel.name.clone())?,
            });
        }
        lines.sort();
        match target {
            Target::Clingo => all.extend(lines),
            Target::Souffle => {
                files.push((format!("answer/{}.csv", names.rels[i]), joined(lines)));
            }
        }
    }
    if target == Target::Clingo {
        all.sort();
        files.push(("answer.lp".to_string(), joined(all)));
    }
    files.sort();
    Ok(files)
}

/// Writes `files` below `dir`, all or nothing: every file is written in full into a
/// temporary folder created exclusively in `dir`, and only when all are written are they
/// renamed into place ([`sphere_model::output::write_files`]).
pub fn write_files(dir: &Path, files: &[(String, String)]) -> Result<(), String> {
    let files: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, t)| (n.clone(), t.clone().into_bytes()))
        .collect();
    sphere_model::output::write_files(dir, &files, |_| false)
        .map(drop)
        .map_err(|e| format!("cannot write {}: {}", e.path.display(), e.message))
}

fn joined(lines: Vec<String>) -> String {
    let mut s = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for l in lines {
        s.push_str(&l);
        s.push('\n');
    }
    s
}

/// Whether the export shows (clingo `#show`, Soufflé `.output`) a relation: every relation the
/// program defines (not an input, or an input that rules extend).
fn shown(program: &Program, rel: RelId) -> bool {
    !program.relation(rel).input || program.rules.iter().any(|r| r.head.rel == rel)
}

// ---------------------------------------------------------------------------------------------
// Names

/// Relation names in the target, and the prefix of helper relations (chosen so that no
/// relation of the program starts with it).
struct Names {
    rels: Vec<String>,
    helper_prefix: String,
}

impl Names {
    fn new(program: &Program, target: Target) -> Names {
        let mut used = HashSet::new();
        let mut rels = Vec::with_capacity(program.relations.len());
        for r in &program.relations {
            let base = safe_name(&r.name, target);
            let mut name = base.clone();
            let mut n = 1;
            while !used.insert(name.clone()) {
                n += 1;
                name = format!("{base}_{n}");
            }
            rels.push(name);
        }
        let mut helper_prefix = "fn_".to_string();
        while rels.iter().any(|n| n.starts_with(&helper_prefix)) {
            helper_prefix.insert(0, 'x');
        }
        Names {
            rels,
            helper_prefix,
        }
    }

    fn helper(&self, key: &str) -> String {
        format!("{}{key}", self.helper_prefix)
    }
}

/// A relation name the target accepts: kept when it already is one, otherwise `r_` and the
/// name with every other character replaced by `_` (clingo predicates start lower-case).
pub fn safe_name(name: &str, target: Target) -> String {
    let ident = |s: &str| {
        let mut cs = s.chars();
        matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let ok = match target {
        Target::Clingo => {
            ident(name)
                && name
                    .trim_start_matches('_')
                    .starts_with(|c: char| c.is_ascii_lowercase())
                && name != "not"
        }
        Target::Souffle => ident(name),
    };
    if ok {
        return name.to_string();
    }
    let body: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("r_{body}")
}

/// A string constant in clingo's syntax: quoted, with `\\`, `\"` and `\n` escaped.
pub fn clingo_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string constant in Soufflé's (and sphere's) rule syntax.
pub fn souffle_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A number as a 32-bit integer (clingo's integers, Soufflé's default `number`).
fn int32(n: i64, target: Target, place: impl FnOnce() -> String) -> Result<i32, Error> {
    i32::try_from(n).map_err(|_| {
        Error::new(
            format!(
                "the number {n} in {} does not fit a 32-bit integer",
                place()
            ),
            format!(
                "{} integers are 32-bit ({} to {}); sphere's numbers are 64-bit, so this program or model cannot be exported as it is",
                target.name(),
                i32::MIN,
                i32::MAX
            ),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Flattening: every computed expression becomes a helper atom.

#[derive(Clone, Debug, PartialEq)]
enum FTerm {
    Var(u32),
    Const(Value),
    Wild,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Func {
    Builtin(Builtin),
    Bin(BinOp),
    Neg,
}

#[derive(Clone, Debug)]
enum FLit {
    Atom {
        rel: RelId,
        args: Vec<FTerm>,
        negated: bool,
    },
    Cmp {
        op: CmpOp,
        lhs: FTerm,
        rhs: FTerm,
    },
    /// `helper(args.., out)`: `out` is the function's result on `args`.
    Call {
        key: String,
        func: Func,
        args: Vec<FTerm>,
        out: FTerm,
    },
}

#[derive(Clone, Debug)]
struct FRule {
    id: String,
    head_rel: RelId,
    head: Vec<FTerm>,
    body: Vec<FLit>,
    /// Types of the rule's variables, then of the fresh ones flattening introduced.
    var_types: Vec<Type>,
}

fn builtin_type(f: Builtin, first: Option<Type>) -> Type {
    match f {
        Builtin::DaysBetween | Builtin::Year | Builtin::Strlen | Builtin::ToNumber => Type::Number,
        Builtin::AddDays | Builtin::AddMonths | Builtin::ParseDate => Type::Date,
        Builtin::Cat | Builtin::ToString => Type::Symbol,
        Builtin::Min | Builtin::Max => first.unwrap_or(Type::Number),
    }
}

fn expr_type(e: &Expr, rule: &Rule) -> Type {
    match e {
        Expr::Var(v) => rule.vars[v.0 as usize].ty,
        Expr::Const(c) => c.ty(),
        Expr::Binary(..) | Expr::Neg(_) => Type::Number,
        Expr::Call(f, args) => builtin_type(*f, args.first().map(|a| expr_type(a, rule))),
    }
}

/// The helper relation's name (without prefix) for a function on arguments of these types.
fn helper_key(func: Func, arg_types: &[Type]) -> String {
    match func {
        Func::Bin(op) => match op {
            BinOp::Add => "add",
            BinOp::Sub => "sub",
            BinOp::Mul => "mul",
            BinOp::Div => "div",
            BinOp::Rem => "rem",
        }
        .to_string(),
        Func::Neg => "neg".to_string(),
        Func::Builtin(b) => {
            let base = b.name().trim_start_matches('@');
            match b {
                Builtin::ParseDate => "parse_date".to_string(),
                Builtin::Min | Builtin::Max => {
                    format!(
                        "{base}_{}",
                        arg_types.first().map_or("number", |t| t.name())
                    )
                }
                _ => base.to_string(),
            }
        }
    }
}

struct Flattener<'a> {
    rule: &'a Rule,
    body: Vec<FLit>,
    var_types: Vec<Type>,
}

impl Flattener<'_> {
    fn fresh(&mut self, ty: Type) -> u32 {
        self.var_types.push(ty);
        (self.var_types.len() - 1) as u32
    }

    /// The term for `e`; computed expressions add helper atoms. With `out`, the result is that
    /// variable (an equality when `e` is a plain term).
    fn term(&mut self, e: &Expr, out: Option<u32>) -> FTerm {
        let simple = match e {
            Expr::Var(v) => Some(FTerm::Var(v.0)),
            Expr::Const(c) => Some(FTerm::Const(*c)),
            _ => None,
        };
        if let Some(t) = simple {
            return match out {
                Some(o) => {
                    self.body.push(FLit::Cmp {
                        op: CmpOp::Eq,
                        lhs: FTerm::Var(o),
                        rhs: t,
                    });
                    FTerm::Var(o)
                }
                None => t,
            };
        }
        let (func, args): (Func, Vec<&Expr>) = match e {
            Expr::Binary(op, a, b) => (Func::Bin(*op), vec![a, b]),
            Expr::Neg(a) => (Func::Neg, vec![a]),
            Expr::Call(f, args) => (Func::Builtin(*f), args.iter().collect()),
            Expr::Var(_) | Expr::Const(_) => unreachable!("handled above"),
        };
        let arg_types: Vec<Type> = args.iter().map(|a| expr_type(a, self.rule)).collect();
        let terms: Vec<FTerm> = args.into_iter().map(|a| self.term(a, None)).collect();
        let ty = expr_type(e, self.rule);
        let o = out.unwrap_or_else(|| self.fresh(ty));
        self.body.push(FLit::Call {
            key: helper_key(func, &arg_types),
            func,
            args: terms,
            out: FTerm::Var(o),
        });
        FTerm::Var(o)
    }
}

fn flatten(rule: &Rule, target: Target) -> Result<FRule, Error> {
    let mut f = Flattener {
        rule,
        body: Vec::new(),
        var_types: rule.vars.iter().map(|v| v.ty).collect(),
    };
    for lit in &rule.body {
        match lit {
            Literal::Atom(a) => {
                let args = a
                    .args
                    .iter()
                    .map(|t| match t {
                        Term::Var(v) => FTerm::Var(v.0),
                        Term::Const(c) => FTerm::Const(*c),
                        Term::Wildcard => FTerm::Wild,
                    })
                    .collect();
                f.body.push(FLit::Atom {
                    rel: a.rel,
                    args,
                    negated: a.negated,
                });
            }
            Literal::Cmp(c) => {
                if let Some(v) = c.binds {
                    f.term(&c.rhs, Some(v.0));
                    continue;
                }
                let ty = expr_type(&c.lhs, rule);
                if ty == Type::Symbol
                    && !matches!(c.op, CmpOp::Eq | CmpOp::Ne)
                    && target == Target::Souffle
                {
                    return Err(Error::new(
                        format!(
                            "rule `{}` orders symbols (`{}`), which sphere does by their text; Soufflé's order of symbols is not guaranteed to be the same",
                            rule.id,
                            c.op.symbol()
                        ),
                        "export this program for clingo (which orders strings by their bytes, as sphere does), or compare symbols only with `=` and `!=`",
                    ));
                }
                let lhs = f.term(&c.lhs, None);
                let rhs = f.term(&c.rhs, None);
                f.body.push(FLit::Cmp { op: c.op, lhs, rhs });
            }
        }
    }
    let head = rule.head.args.iter().map(|e| f.term(e, None)).collect();
    Ok(FRule {
        id: rule.id.clone(),
        head_rel: rule.head.rel,
        head,
        body: f.body,
        var_types: f.var_types,
    })
}

// ---------------------------------------------------------------------------------------------
// Precomputation of the helper relations over the active domain.

#[derive(Debug)]
struct Helper {
    func: Func,
    arg_types: Vec<Type>,
    out_type: Type,
    /// `args.., result` for every argument tuple in the active domain that has a result.
    tuples: BTreeSet<Vec<Value>>,
    /// Argument tuples already computed, with their result if any.
    done: HashMap<Vec<Value>, Option<Value>>,
}

/// Where a rule's variable gets its values from.
#[derive(Clone, Debug)]
enum Source {
    /// Column of a positive atom (the first one it occurs in).
    Col(RelId, usize),
    /// The result of the call at this body position.
    Call(usize),
    /// An equality with this term.
    Eq(FTerm),
}

fn source(rule: &FRule, v: u32) -> Option<Source> {
    for lit in &rule.body {
        if let FLit::Atom {
            rel,
            args,
            negated: false,
        } = lit
        {
            if let Some(c) = args.iter().position(|a| *a == FTerm::Var(v)) {
                return Some(Source::Col(*rel, c));
            }
        }
    }
    for (i, lit) in rule.body.iter().enumerate() {
        if let FLit::Call { out, .. } = lit {
            if *out == FTerm::Var(v) {
                return Some(Source::Call(i));
            }
        }
    }
    for lit in &rule.body {
        if let FLit::Cmp {
            op: CmpOp::Eq,
            lhs,
            rhs,
        } = lit
        {
            if *lhs == FTerm::Var(v) && *rhs != FTerm::Var(v) {
                return Some(Source::Eq(rhs.clone()));
            }
            if *rhs == FTerm::Var(v) && *lhs != FTerm::Var(v) {
                return Some(Source::Eq(lhs.clone()));
            }
        }
    }
    None
}

type Dom = BTreeSet<Value>;

fn precompute(
    program: &Program,
    rules: &[FRule],
    facts: &[(RelId, Vec<Value>)],
    interner: &mut Interner,
) -> Result<BTreeMap<String, Helper>, Error> {
    let mut helpers: BTreeMap<String, Helper> = BTreeMap::new();
    for r in rules {
        for lit in &r.body {
            if let FLit::Call {
                key,
                func,
                args,
                out,
            } = lit
            {
                let ty = |t: &FTerm| match t {
                    FTerm::Var(v) => r.var_types[*v as usize],
                    FTerm::Const(c) => c.ty(),
                    FTerm::Wild => Type::Number,
                };
                helpers.entry(key.clone()).or_insert_with(|| Helper {
                    func: *func,
                    arg_types: args.iter().map(ty).collect(),
                    out_type: ty(out),
                    tuples: BTreeSet::new(),
                    done: HashMap::new(),
                });
            }
        }
    }
    if helpers.is_empty() {
        return Ok(helpers);
    }

    // Which columns and variables feed a call's arguments.
    let sources: Vec<HashMap<u32, Option<Source>>> = rules
        .iter()
        .map(|r| {
            (0..r.var_types.len() as u32)
                .map(|v| (v, source(r, v)))
                .collect()
        })
        .collect();
    let mut needed_vars: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); rules.len()];
    let mut needed_cols: HashSet<(RelId, usize)> = HashSet::new();
    let mut work: Vec<(usize, u32)> = Vec::new();
    for (ri, r) in rules.iter().enumerate() {
        for lit in &r.body {
            if let FLit::Call { args, .. } = lit {
                for a in args {
                    if let FTerm::Var(v) = a {
                        work.push((ri, *v));
                    }
                }
            }
        }
    }
    while let Some((ri, v)) = work.pop() {
        if !needed_vars[ri].insert(v) {
            continue;
        }
        let r = &rules[ri];
        match &sources[ri][&v] {
            Some(Source::Col(rel, c)) => {
                if needed_cols.insert((*rel, *c)) {
                    for (rj, other) in rules.iter().enumerate() {
                        if other.head_rel == *rel {
                            if let FTerm::Var(u) = other.head[*c] {
                                work.push((rj, u));
                            }
                        }
                    }
                }
            }
            Some(Source::Call(i)) => {
                if let FLit::Call { args, .. } = &r.body[*i] {
                    for a in args {
                        if let FTerm::Var(u) = a {
                            work.push((ri, *u));
                        }
                    }
                }
            }
            Some(Source::Eq(FTerm::Var(u))) => work.push((ri, *u)),
            Some(Source::Eq(_)) => {}
            None => {
                return Err(Error::new(
                    format!(
                        "rule `{}`: cannot tell which values variable {} takes, so the built-in functions it feeds cannot be precomputed",
                        r.id,
                        var_name(program, r, v)
                    ),
                    "bind every argument of a built-in function with a positive atom of the rule",
                ));
            }
        }
    }

    // The values of the needed columns, from the facts up to a fixpoint.
    let mut cols: HashMap<(RelId, usize), Dom> =
        needed_cols.iter().map(|k| (*k, Dom::new())).collect();
    let program_facts = program.facts.iter().map(|f| (f.rel, &f.values));
    for (rel, values) in facts.iter().map(|(r, v)| (*r, v)).chain(program_facts) {
        for (c, v) in values.iter().enumerate() {
            if let Some(d) = cols.get_mut(&(rel, c)) {
                d.insert(*v);
            }
        }
    }
    let mut rounds = 0usize;
    loop {
        rounds += 1;
        let mut changed = false;
        for (ri, r) in rules.iter().enumerate() {
            let has_call = r.body.iter().any(|l| matches!(l, FLit::Call { .. }));
            let head_needed = (0..r.head.len()).any(|c| cols.contains_key(&(r.head_rel, c)));
            if !has_call && !head_needed {
                continue;
            }
            let doms = rule_domains(
                r,
                &sources[ri],
                &needed_vars[ri],
                &cols,
                &mut helpers,
                interner,
            )?;
            for (c, t) in r.head.iter().enumerate() {
                let Some(col) = cols.get_mut(&(r.head_rel, c)) else {
                    continue;
                };
                let before = col.len();
                match t {
                    FTerm::Var(v) => {
                        if let Some(d) = doms.get(v) {
                            col.extend(d.iter().copied());
                        }
                    }
                    FTerm::Const(k) => {
                        col.insert(*k);
                    }
                    FTerm::Wild => {}
                }
                if col.len() > MAX_HELPER_FACTS {
                    return Err(too_many(
                        r,
                        &format!(
                            "column {} of `{}`",
                            c + 1,
                            program.relation(r.head_rel).name
                        ),
                    ));
                }
                changed |= col.len() != before;
            }
        }
        if !changed {
            break;
        }
        if rounds > MAX_ROUNDS {
            return Err(Error::new(
                format!("the values that feed built-in functions or arithmetic still grow after {MAX_ROUNDS} rounds, so they cannot be precomputed into facts"),
                "a computed value that feeds back into its own computation through recursion (e.g. `n(Y) :- n(X), Y = X + 1.`) has no finite active domain; such a program cannot be exported",
            ));
        }
    }
    Ok(helpers)
}

fn too_many(r: &FRule, what: &str) -> Error {
    Error::new(
        format!(
            "the values of {what} (rule `{}`) grow beyond {MAX_HELPER_FACTS}: the built-in functions of this program cannot be precomputed into facts",
            r.id
        ),
        "a built-in whose result feeds back into its own arguments (through recursion) has no finite active domain; such a program cannot be exported",
    )
}

fn var_name(program: &Program, r: &FRule, v: u32) -> String {
    let rule = program.rule_by_id(&r.id).map(|i| program.rule(i));
    match rule.and_then(|rule| rule.vars.get(v as usize)) {
        Some(info) => format!("`{}`", info.name),
        None => format!("#{v}"),
    }
}

/// The domains of the needed variables of one rule, computing its calls (and recording their
/// results in `helpers`) as their arguments become known.
fn rule_domains(
    r: &FRule,
    sources: &HashMap<u32, Option<Source>>,
    needed: &BTreeSet<u32>,
    cols: &HashMap<(RelId, usize), Dom>,
    helpers: &mut BTreeMap<String, Helper>,
    interner: &mut Interner,
) -> Result<HashMap<u32, Dom>, Error> {
    let mut doms: HashMap<u32, Dom> = HashMap::new();
    let calls: Vec<usize> = r
        .body
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(l, FLit::Call { .. }))
        .map(|(i, _)| i)
        .collect();
    let mut done = vec![false; calls.len()];
    loop {
        let mut progress = false;
        for &v in needed {
            if doms.contains_key(&v) {
                continue;
            }
            let d = match &sources[&v] {
                Some(Source::Col(rel, c)) => cols.get(&(*rel, *c)).cloned(),
                Some(Source::Eq(FTerm::Const(k))) => Some(Dom::from([*k])),
                Some(Source::Eq(FTerm::Var(u))) => doms.get(u).cloned(),
                _ => None,
            };
            if let Some(d) = d {
                doms.insert(v, d);
                progress = true;
            }
        }
        for (k, &i) in calls.iter().enumerate() {
            if done[k] {
                continue;
            }
            let FLit::Call { key, args, out, .. } = &r.body[i] else {
                continue;
            };
            let mut arg_doms: Vec<Vec<Value>> = Vec::with_capacity(args.len());
            for a in args {
                match a {
                    FTerm::Const(c) => arg_doms.push(vec![*c]),
                    FTerm::Var(v) => match doms.get(v) {
                        Some(d) => arg_doms.push(d.iter().copied().collect()),
                        None => break,
                    },
                    FTerm::Wild => break,
                }
            }
            if arg_doms.len() != args.len() {
                continue;
            }
            let combos = arg_doms
                .iter()
                .try_fold(1usize, |n, d| n.checked_mul(d.len()));
            if combos.is_none_or(|n| n > MAX_HELPER_FACTS) {
                return Err(too_many(r, &format!("the arguments of `{key}`")));
            }
            let helper = helpers.get_mut(key).expect("every call has its helper");
            let mut results = Dom::new();
            let mut idx = vec![0usize; arg_doms.len()];
            'combos: loop {
                if arg_doms.iter().all(|d| !d.is_empty()) {
                    let vals: Vec<Value> = idx.iter().zip(&arg_doms).map(|(&i, d)| d[i]).collect();
                    let res = match helper.done.get(&vals) {
                        Some(r) => *r,
                        None => {
                            let r = apply(helper.func, &vals, interner);
                            if let Some(res) = r {
                                let mut t = vals.clone();
                                t.push(res);
                                helper.tuples.insert(t);
                            }
                            helper.done.insert(vals, r);
                            r
                        }
                    };
                    if let Some(res) = res {
                        results.insert(res);
                    }
                    if helper.tuples.len() > MAX_HELPER_FACTS {
                        return Err(too_many(r, &format!("the arguments of `{key}`")));
                    }
                } else {
                    break 'combos;
                }
                // Next combination (odometer).
                let mut p = idx.len();
                loop {
                    if p == 0 {
                        break 'combos;
                    }
                    p -= 1;
                    idx[p] += 1;
                    if idx[p] < arg_doms[p].len() {
                        break;
                    }
                    idx[p] = 0;
                }
            }
            done[k] = true;
            progress = true;
            if let FTerm::Var(o) = out {
                if let Some(Some(Source::Call(j))) = sources.get(o) {
                    if *j == i {
                        doms.insert(*o, results);
                    }
                }
            }
        }
        if !progress {
            break;
        }
    }
    if let Some(k) = done.iter().position(|d| !d) {
        let FLit::Call { key, .. } = &r.body[calls[k]] else {
            unreachable!("calls are calls")
        };
        return Err(Error::new(
            format!(
                "rule `{}`: the arguments of `{key}` depend on each other, so it cannot be precomputed",
                r.id
            ),
            "bind every argument of a built-in function with a positive atom of the rule",
        ));
    }
    Ok(doms)
}

/// Applies a function exactly as sphere's evaluators do.
fn apply(func: Func, args: &[Value], interner: &mut Interner) -> Option<Value> {
    match (func, args) {
        (Func::Bin(op), [Value::Num(a), Value::Num(b)]) => {
            builtins::binary(op, *a, *b).map(Value::Num)
        }
        (Func::Neg, [Value::Num(a)]) => Some(Value::Num(a.wrapping_neg())),
        (Func::Builtin(f), _) => builtins::call(f, args, interner),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

struct Writer<'a> {
    program: &'a Program,
    interner: &'a Interner,
    names: &'a Names,
    target: Target,
}

impl Writer<'_> {
    fn value(&self, v: Value, place: impl FnOnce() -> String) -> Result<String, Error> {
        Ok(match v {
            Value::Sym(s) => {
                let text = self.interner.resolve(s);
                match self.target {
                    Target::Clingo => clingo_string(text),
                    Target::Souffle => souffle_string(text),
                }
            }
            Value::Num(n) => int32(n, self.target, place)?.to_string(),
            Value::Date(d) => d.0.to_string(),
        })
    }

    fn term(&self, t: &FTerm, rule: &FRule) -> Result<String, Error> {
        Ok(match t {
            FTerm::Var(v) => format!("V{v}"),
            FTerm::Const(c) => self.value(*c, || format!("rule `{}`", rule.id))?,
            FTerm::Wild => "_".to_string(),
        })
    }

    fn atom(&self, name: &str, args: &[FTerm], rule: &FRule) -> Result<String, Error> {
        let args: Vec<String> = args
            .iter()
            .map(|a| self.term(a, rule))
            .collect::<Result<_, _>>()?;
        Ok(if args.is_empty() && self.target == Target::Clingo {
            name.to_string()
        } else {
            format!("{name}({})", args.join(", "))
        })
    }

    fn rule(&self, r: &FRule) -> Result<String, Error> {
        let head = self.atom(&self.names.rels[r.head_rel.0 as usize], &r.head, r)?;
        let mut body = Vec::with_capacity(r.body.len());
        for lit in &r.body {
            body.push(match lit {
                FLit::Atom { rel, args, negated } => {
                    let a = self.atom(&self.names.rels[rel.0 as usize], args, r)?;
                    match (negated, self.target) {
                        (false, _) => a,
                        (true, Target::Clingo) => format!("not {a}"),
                        (true, Target::Souffle) => format!("!{a}"),
                    }
                }
                FLit::Cmp { op, lhs, rhs } => {
                    format!(
                        "{} {} {}",
                        self.term(lhs, r)?,
                        op.symbol(),
                        self.term(rhs, r)?
                    )
                }
                FLit::Call { key, args, out, .. } => {
                    let mut all = args.clone();
                    all.push(out.clone());
                    self.atom(&self.names.helper(key), &all, r)?
                }
            });
        }
        let comment = match self.target {
            Target::Clingo => "%",
            Target::Souffle => "//",
        };
        let id = r.id.replace('\n', " ");
        Ok(if body.is_empty() {
            format!("{comment} {id}\n{head}.\n")
        } else {
            format!("{comment} {id}\n{head} :- {}.\n", body.join(", "))
        })
    }

    fn clingo_fact(
        &self,
        name: &str,
        values: &[Value],
        place: impl Fn() -> String,
    ) -> Result<String, Error> {
        if values.is_empty() {
            return Ok(format!("{name}."));
        }
        let mut s = String::with_capacity(name.len() + 8 * values.len());
        s.push_str(name);
        s.push('(');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&self.value(*v, &place)?);
        }
        s.push_str(").");
        Ok(s)
    }

    /// One tab-separated line of a Soufflé `.facts` file (symbols as they are, as Soufflé
    /// reads them; `()` for a nullary tuple).
    fn souffle_row(&self, values: &[Value], place: impl Fn() -> String) -> Result<String, Error> {
        if values.is_empty() {
            return Ok("()".to_string());
        }
        let mut fields = Vec::with_capacity(values.len());
        for v in values {
            fields.push(match v {
                Value::Sym(s) => {
                    let text = self.interner.resolve(*s);
                    if text.contains(['\t', '\n', '\r']) {
                        return Err(Error::new(
                            format!(
                                "the symbol {} in {} contains a tab or a line break, which a tab-separated Soufflé facts file cannot hold",
                                clingo_string(text),
                                place()
                            ),
                            "remove tabs and line breaks from the model's texts, or export for clingo",
                        ));
                    }
                    text.to_string()
                }
                Value::Num(n) => int32(*n, self.target, &place)?.to_string(),
                Value::Date(d) => d.0.to_string(),
            });
        }
        Ok(fields.join("\t"))
    }

    fn clingo(
        &self,
        rules: &[FRule],
        helpers: &BTreeMap<String, Helper>,
        facts: &[(RelId, Vec<Value>)],
        out: &mut Files,
    ) -> Result<(), Error> {
        let p = self.program;
        let mut prog = String::new();
        prog.push_str(
            "% The knowledge base in clingo's syntax, written by `sphere kb export --clingo`.\n\
             % Symbols are strings, numbers and dates (days since 1970-01-01) integers; built-in\n\
             % functions read helper relations `fn_*` whose facts are in facts.lp.\n\
             % Run: clingo program.lp facts.lp\n\n",
        );
        for (i, r) in p.relations.iter().enumerate() {
            let _ = writeln!(prog, "#defined {}/{}.", self.names.rels[i], r.arity());
        }
        for (key, h) in helpers {
            let _ = writeln!(
                prog,
                "#defined {}/{}.",
                self.names.helper(key),
                h.arg_types.len() + 1
            );
        }
        prog.push('\n');
        for r in rules {
            prog.push_str(&self.rule(r)?);
        }
        if !p.facts.is_empty() {
            prog.push_str("\n% Facts of the knowledge base.\n");
            let mut lines = Vec::new();
            for f in &p.facts {
                let rel = p.relation(f.rel);
                lines.push(self.clingo_fact(
                    &self.names.rels[f.rel.0 as usize],
                    &f.values,
                    || format!("a fact of `{}`", rel.name),
                )?);
            }
            lines.sort();
            lines.dedup();
            out.facts += lines.len();
            prog.push_str(&joined(lines));
        }
        prog.push('\n');
        for (i, r) in p.relations.iter().enumerate() {
            if shown(p, RelId(i as u32)) {
                let _ = writeln!(prog, "#show {}/{}.", self.names.rels[i], r.arity());
            }
        }

        let mut lines = Vec::with_capacity(facts.len());
        for (rel, values) in facts {
            let r = p.relation(*rel);
            lines.push(
                self.clingo_fact(&self.names.rels[rel.0 as usize], values, || {
                    format!("a fact of `{}`", r.name)
                })?,
            );
        }
        lines.sort();
        lines.dedup();
        out.facts += lines.len();
        let mut fact_text =
            String::from("% The model's facts, written by `sphere kb export --clingo`.\n");
        fact_text.push_str(&joined(lines));
        for (key, h) in helpers {
            let name = self.names.helper(key);
            let _ = writeln!(fact_text, "\n% {name}: {}", describe(h));
            let mut lines = Vec::with_capacity(h.tuples.len());
            for t in &h.tuples {
                lines.push(
                    self.clingo_fact(&name, t, || format!("a precomputed fact of `{name}`"))?,
                );
            }
            lines.sort();
            fact_text.push_str(&joined(lines));
        }
        out.files.push(("facts.lp".to_string(), fact_text));
        out.files.push(("program.lp".to_string(), prog));
        out.files.sort();
        Ok(())
    }

    fn souffle(
        &self,
        rules: &[FRule],
        helpers: &BTreeMap<String, Helper>,
        facts: &[(RelId, Vec<Value>)],
        out: &mut Files,
    ) -> Result<(), Error> {
        let p = self.program;
        let col_type = |t: Type| match t {
            Type::Symbol => "symbol",
            Type::Number | Type::Date => "number",
        };
        let col_name = |name: &str, i: usize| {
            let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if ok {
                name.to_string()
            } else {
                format!("c{i}")
            }
        };
        let mut by_rel: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for (rel, values) in facts {
            let r = p.relation(*rel);
            by_rel
                .entry(rel.0 as usize)
                .or_default()
                .push(self.souffle_row(values, || format!("a fact of `{}`", r.name))?);
        }
        let mut prog = String::new();
        prog.push_str(
            "// The knowledge base in Soufflé's syntax, written by `sphere kb export --souffle`.\n\
             // Dates are numbers (days since 1970-01-01); built-in functions read helper\n\
             // relations `fn_*` whose facts are precomputed in fn_*.facts.\n\
             // Run: souffle -F . -D out program.dl\n\n",
        );
        for (i, r) in p.relations.iter().enumerate() {
            let cols: Vec<String> = r
                .columns
                .iter()
                .enumerate()
                .map(|(c, col)| format!("{}: {}", col_name(&col.name, c), col_type(col.ty)))
                .collect();
            let name = &self.names.rels[i];
            let _ = writeln!(prog, ".decl {name}({})", cols.join(", "));
            if r.input || by_rel.contains_key(&i) {
                let _ = writeln!(prog, ".input {name}");
                let mut lines = by_rel.remove(&i).unwrap_or_default();
                lines.sort();
                lines.dedup();
                out.facts += lines.len();
                out.files.push((format!("{name}.facts"), joined(lines)));
            }
            if shown(p, RelId(i as u32)) {
                let _ = writeln!(prog, ".output {name}");
            }
        }
        for (key, h) in helpers {
            let name = self.names.helper(key);
            let mut cols: Vec<String> = h
                .arg_types
                .iter()
                .enumerate()
                .map(|(i, t)| format!("a{i}: {}", col_type(*t)))
                .collect();
            cols.push(format!("result: {}", col_type(h.out_type)));
            let _ = writeln!(prog, "// {name}: {}", describe(h));
            let _ = writeln!(prog, ".decl {name}({})\n.input {name}", cols.join(", "));
            let mut lines = Vec::with_capacity(h.tuples.len());
            for t in &h.tuples {
                lines.push(self.souffle_row(t, || format!("a precomputed fact of `{name}`"))?);
            }
            lines.sort();
            out.files.push((format!("{name}.facts"), joined(lines)));
        }
        prog.push('\n');
        if !p.facts.is_empty() {
            prog.push_str("// Facts of the knowledge base.\n");
            let mut lines = Vec::new();
            for f in &p.facts {
                let rel = p.relation(f.rel);
                let args: Vec<String> = f
                    .values
                    .iter()
                    .map(|v| self.value(*v, || format!("a fact of `{}`", rel.name)))
                    .collect::<Result<_, _>>()?;
                lines.push(format!(
                    "{}({}).",
                    self.names.rels[f.rel.0 as usize],
                    args.join(", ")
                ));
            }
            lines.sort();
            lines.dedup();
            out.facts += lines.len();
            prog.push_str(&joined(lines));
            prog.push('\n');
        }
        for r in rules {
            prog.push_str(&self.rule(r)?);
        }
        out.files.push(("program.dl".to_string(), prog));
        out.files.sort();
        Ok(())
    }
}

fn describe(h: &Helper) -> String {
    let what = match h.func {
        Func::Builtin(b) => format!("`{}`", b.name()),
        Func::Bin(op) => format!("`{}`", op.symbol()),
        Func::Neg => "unary `-`".to_string(),
    };
    format!(
        "{what} on ({}) -> {}, precomputed over the active domain of its arguments ({} facts)",
        h.arg_types
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", "),
        h.out_type.name(),
        h.tuples.len()
    )
}

/// Exports `kb` with the facts of `model` for `target` (`answer`: with sphere's own result for
/// comparison). The facts reach the program through the one loop that puts facts into a
/// program ([`crate::facts`]); every problem is a [`crate::Error`] naming the target.
pub fn export_model(
    kb: &crate::KnowledgeBase,
    model: &crate::Model,
    target: Target,
    answer_too: bool,
) -> crate::error::Result<Files> {
    use crate::error::ErrorKind;
    let program = kb.program();
    let mut interner = program.interner.clone();
    let facts = crate::facts::rows(program, &mut interner, model.fact_source())?;
    let fail = |e: Error| {
        let err = crate::Error::new(
            ErrorKind::Usage,
            format!("cannot export for {}: {}", target.name(), e.message),
        );
        match e.hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    };
    let mut written = export(program, &mut interner, &facts, target).map_err(fail)?;
    if answer_too {
        let outcome = kb.evaluate(model, &crate::EvalOptions::default())?;
        written
            .files
            .extend(answer(outcome.evaluation(), target).map_err(fail)?);
    }
    Ok(written)
}

// ---------------------------------------------------------------------------------------------
// crepe

/// `sphere kb export --crepe`: the knowledge base (plus `--rules` files) as a standalone Cargo
/// crate of `crepe!` programs (see `sphere_codegen::crepe`), as (path, text) pairs relative to
/// the crate's directory. Knowledge files are named `knowledge/<path>` as the shipped ones are,
/// so that the law area of a rule is its directory below the knowledge base whichever way it
/// was given, and the shipped knowledge base gives the crate `crates/kb-crepe` holds (but for
/// the `[workspace]` table that makes the export a workspace of its own). The join
/// order is planned from the same sample model as the compiled knowledge base's.
pub fn crepe_crate(
    kb: &crate::kb::Origin,
    rules: &[std::path::PathBuf],
    color: bool,
) -> Result<Vec<(String, String)>, Error> {
    let mut sources = sphere_engine::SourceMap::new();
    for s in crate::kb::sources(kb).map_err(|e| Error {
        message: e.to_string(),
        hint: Some("give the directory of a knowledge base with --kb".into()),
    })? {
        sources.add(format!("knowledge/{}", s.rel), s.text);
    }
    for f in rules {
        let text = std::fs::read_to_string(f).map_err(|e| {
            Error::new(
                format!("cannot read rules file {}: {e}", f.display()),
                "check the path given to --rules",
            )
        })?;
        sources.add(f.display().to_string(), text);
    }
    let compiled = sphere_engine::compile(&sources, &sphere_engine::CompileOptions::default());
    let program = match compiled.program {
        Some(p) if !compiled.diagnostics.iter().any(|d| d.is_error()) => p,
        _ => {
            let rendered = sphere_engine::diag::render(
                &compiled.diagnostics,
                &sources,
                sphere_engine::diag::RenderOptions { color },
            );
            return Err(Error {
                message: format!("the rules do not compile\n{}", rendered.trim_end()),
                hint: Some("run `sphere kb check` on them".into()),
            });
        }
    };
    let mut stats = sphere_codegen::sample_stats(&program).map_err(|e| Error {
        message: e,
        hint: None,
    })?;
    let files = sphere_codegen::crepe::generate(
        &program,
        &sources,
        &mut stats,
        &sphere_codegen::crepe::Options {
            name: sphere_codegen::crepe::KB_CRATE.into(),
            source: "knowledge/".into(),
            own_workspace: true,
        },
    )
    .map_err(|e| {
        Error::new(
            e,
            "rewrite the rule so that crepe can express it, or use `sphere check`",
        )
    })?;
    Ok(files.into_iter().map(|f| (f.path, f.text)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sphere_engine::{compile, CompileOptions, Date, SourceMap};

    fn program(text: &str) -> Program {
        let mut sources = SourceMap::new();
        sources.add("test.dl".to_string(), text.to_string());
        let c = compile(&sources, &CompileOptions::default());
        assert!(
            !c.diagnostics.iter().any(|d| d.is_error()),
            "{:?}",
            c.diagnostics
        );
        c.program.expect("the test program compiles")
    }

    fn date(s: &str) -> Value {
        Value::Date(Date::parse(s).expect("a valid date"))
    }

    fn file<'a>(files: &'a Files, name: &str) -> &'a str {
        files
            .files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or_else(|| {
                panic!(
                    "no {name} among {:?}",
                    files.files.iter().map(|f| &f.0).collect::<Vec<_>>()
                )
            })
    }

    #[test]
    fn strings_are_quoted_and_escaped() {
        assert_eq!(clingo_string("plain"), "\"plain\"");
        assert_eq!(clingo_string("a\"b\\c\nd\te"), "\"a\\\"b\\\\c\\nd\te\"");
        assert_eq!(souffle_string("a\"b\\c\nd\te"), "\"a\\\"b\\\\c\\nd\\te\"");
    }

    #[test]
    fn relation_names_are_made_safe_and_distinct() {
        assert_eq!(safe_name("finding_raw", Target::Clingo), "finding_raw");
        assert_eq!(safe_name("Finding", Target::Clingo), "r_finding");
        assert_eq!(safe_name("not", Target::Clingo), "r_not");
        assert_eq!(safe_name("Finding", Target::Souffle), "Finding");
        let p = program(
            ".decl Edge(a: number)\n.decl r_edge(a: number)\n.decl fn_x(a: number)\n\
             .input Edge\nr_edge(X) :- Edge(X).\nfn_x(X) :- r_edge(X).\n",
        );
        let names = Names::new(&p, Target::Clingo);
        assert_eq!(names.rels, ["r_edge", "r_edge_2", "fn_x"]);
        // No relation may start with the helpers' prefix.
        assert_eq!(names.helper("add"), "xfn_add");
    }

    #[test]
    fn variables_are_renamed_and_negation_compared_written() {
        let p = program(
            ".decl p(x: symbol, n: number)\n.decl q(x: symbol)\n.decl r(x: symbol)\n.input p\n.input q\n\
             r(x) :- p(x, n), n >= 3, !q(x).\n",
        );
        let mut i = p.interner.clone();
        let files = export(&p, &mut i, &[], Target::Clingo).expect("exports");
        let prog = file(&files, "program.lp");
        assert!(
            prog.contains("% r#1\nr(V0) :- p(V0, V1), V1 >= 3, not q(V0).\n"),
            "{prog}"
        );
        assert!(prog.contains("#show r/1.\n"), "{prog}");
        assert!(!prog.contains("#show p/2."), "inputs are not shown: {prog}");
        let files = export(&p, &mut i, &[], Target::Souffle).expect("exports");
        let prog = file(&files, "program.dl");
        assert!(
            prog.contains("r(V0) :- p(V0, V1), V1 >= 3, !q(V0).\n"),
            "{prog}"
        );
        assert!(
            prog.contains(".decl p(x: symbol, n: number)\n.input p\n"),
            "{prog}"
        );
    }

    #[test]
    fn builtins_are_precomputed_over_the_active_domain_closed_over_computed_values() {
        let p = program(
            ".decl start(d: date)\n.decl other(d: date)\n.decl due(d: date)\n.decl late(d: date)\n\
             .input start\n.input other\n\
             due(E) :- start(D), E = @add_months(D, 1).\n\
             late(F) :- due(E), F = @add_days(@add_months(E, 1), 2).\n",
        );
        let start = p.relation_by_name("start").unwrap();
        let other = p.relation_by_name("other").unwrap();
        let facts = vec![
            (start, vec![date("2024-01-31")]),
            // Not an argument of any call: must not widen the domains.
            (other, vec![date("2000-01-01")]),
        ];
        let mut i = p.interner.clone();
        let files = export(&p, &mut i, &facts, Target::Clingo).expect("exports");
        let day = |s: &str| match date(s) {
            Value::Date(d) => d.0,
            _ => unreachable!(),
        };
        let text = file(&files, "facts.lp");
        let months: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("fn_add_months("))
            .collect();
        assert_eq!(
            months,
            [
                format!(
                    "fn_add_months({},1,{}).",
                    day("2024-01-31"),
                    day("2024-02-29")
                ),
                format!(
                    "fn_add_months({},1,{}).",
                    day("2024-02-29"),
                    day("2024-03-29")
                ),
            ]
        );
        let days: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("fn_add_days("))
            .collect();
        assert_eq!(
            days,
            [format!(
                "fn_add_days({},2,{}).",
                day("2024-03-29"),
                day("2024-03-31")
            )]
        );
        assert_eq!(files.helpers.get("fn_add_months"), Some(&2));
        let prog = file(&files, "program.lp");
        assert!(
            prog.contains("late(V0) :- due(V1), fn_add_months(V1, 1, V2), fn_add_days(V2, 2, V0)."),
            "{prog}"
        );
    }

    #[test]
    fn a_partial_builtin_has_no_fact_where_it_has_no_result() {
        let p = program(
            ".decl text(s: symbol)\n.decl day(d: date)\n.input text\nday(D) :- text(S), D = @date(S).\n",
        );
        let rel = p.relation_by_name("text").unwrap();
        let mut i = p.interner.clone();
        let good = Value::Sym(i.intern("2024-05-14"));
        let bad = Value::Sym(i.intern("14.05.2024"));
        let files = export(
            &p,
            &mut i,
            &[(rel, vec![good]), (rel, vec![bad])],
            Target::Souffle,
        )
        .expect("exports");
        let Value::Date(d) = date("2024-05-14") else {
            unreachable!()
        };
        assert_eq!(
            file(&files, "fn_parse_date.facts"),
            format!("2024-05-14\t{}\n", d.0)
        );
    }

    #[test]
    fn unbounded_arithmetic_is_rejected() {
        let p = program(".decl n(x: number)\nn(0).\nn(Y) :- n(X), Y = X + 1.\n");
        let mut i = p.interner.clone();
        let err = export(&p, &mut i, &[], Target::Clingo).expect_err("no finite domain");
        assert!(err.message.contains("still grow"), "{err:?}");
    }

    #[test]
    fn numbers_beyond_32_bits_are_rejected() {
        let p = program(".decl big(x: number)\nbig(3000000000).\n");
        let mut i = p.interner.clone();
        let err = export(&p, &mut i, &[], Target::Clingo).expect_err("does not fit");
        assert!(
            err.message.contains("3000000000") && err.message.contains("`big`"),
            "{err:?}"
        );
        assert!(err.hint.unwrap().contains("32-bit"));
    }

    #[test]
    fn symbol_order_is_kept_for_clingo_and_rejected_for_souffle() {
        let p = program(
            ".decl s(x: symbol)\n.decl before(a: symbol, b: symbol)\n.input s\n\
             before(A, B) :- s(A), s(B), A < B.\n",
        );
        let mut i = p.interner.clone();
        let files = export(&p, &mut i, &[], Target::Clingo).expect("clingo orders symbols");
        // Strings compare in clingo as sphere compares symbols: the comparison is kept as is.
        assert!(
            file(&files, "program.lp").ends_with(
                "% before#1\nbefore(V0, V1) :- s(V0), s(V1), V0 < V1.\n\n#show before/2.\n"
            ),
            "{}",
            file(&files, "program.lp")
        );
        let err = export(&p, &mut i, &[], Target::Souffle).expect_err("order of symbols");
        assert!(err.message.contains("before#1"), "{err:?}");
    }

    #[test]
    fn tabs_in_symbols_cannot_go_to_souffle_facts() {
        let p = program(".decl s(x: symbol)\n.input s\n.decl t(x: symbol)\nt(X) :- s(X).\n");
        let rel = p.relation_by_name("s").unwrap();
        let mut i = p.interner.clone();
        let v = Value::Sym(i.intern("a\tb"));
        let err = export(&p, &mut i, &[(rel, vec![v])], Target::Souffle).expect_err("tab");
        assert!(err.message.contains("tab"), "{err:?}");
        let files = export(&p, &mut i, &[(rel, vec![v])], Target::Clingo).expect("clingo takes it");
        assert!(file(&files, "facts.lp").contains("s(\"a\tb\")."));
    }
}
