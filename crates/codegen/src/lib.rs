//! sphere's second back end: a resolved [`Program`] becomes the Rust source of `crepe!`
//! programs plus `run` functions over machine words, the same encoding the interpreter stores
//! ([`sphere_engine::Value::word`]).
//!
//! A program is generated as one or several *parts* ([`generate_split`]): each part is one
//! `crepe!` program over a contiguous group of strata, and the relations an earlier part
//! derives are `@input` of the later ones. Each part can live in its own crate that depends
//! only on crepe, rustc-hash and `sphere-rt`, so rustc builds the parts in parallel, a changed
//! rule rebuilds only its part, and a change in the engine rebuilds none of them. An *index*
//! module holds what the runtime adapter needs about the whole program (digest, symbol ids,
//! the firing table and the list of parts). [`generate`] writes index and one part into one
//! module, for small programs.
//!
//! What the generator does about crepe's limits (see `docs/architecture.md`, "Compiled
//! evaluator"):
//! - relations are typed tuple structs (`u32` interned symbols, `i64` numbers, `i32` dates),
//!   named `R<id><Name>` so that no two clash after crepe lower-cases them;
//! - body literals are ordered for selectivity (crepe joins in clause order) by the
//!   interpreter's own planner ([`sphere_engine::ir::order`]), from statistics of a sample run
//!   when given ([`Options::stats`]); comparisons, bindings and negations are placed as soon as
//!   their variables are bound;
//! - a variable repeated inside one atom binds a fresh variable plus an equality;
//! - a negated atom with a constant argument reads a helper relation that projects the
//!   constant away (otherwise crepe indexes the whole relation for it);
//! - a relation that has rules and also facts gets an `@input` seed relation;
//! - arithmetic and built-in functions call `sphere_rt::builtins` (through
//!   `sphere_rt::gen`), never a second implementation;
//! - the program runs with one fast hasher (`rustc_hash::FxBuildHasher`).
//!
//! Invariant: the generator reads only the resolved program; it never re-parses rule text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sphere_engine::ir::order::{order_body, Estimates, Stats, Step, Uniform};
use sphere_engine::ir::{
    dump, BinOp, Builtin, CmpOp, Expr, Literal, Program, RelId, Rule, RuleIdx, Term, Var,
};
use sphere_engine::value::{Type, Value};

/// How to generate.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Where the program came from, written into the header (e.g. `knowledge/`).
    pub source: String,
    /// Also record every rule firing (see [`generate`]), from which the runtime rebuilds
    /// provenance.
    pub provenance: bool,
    /// Relation sizes and distinct counts from a sample run, for the join order
    /// ([`sphere_engine::ir::order`]); without them, atoms with more bound arguments come
    /// first, then source order.
    pub stats: Option<Stats>,
}

/// Why a program cannot be generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodegenError {
    pub message: String,
}

impl std::fmt::Display for CodegenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CodegenError {}

/// A stable digest of a resolved program (FNV-1a over its text dump): generated code records
/// the digest of the program it was made from, and the runtime refuses any other program.
pub fn program_digest(program: &Program) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in dump::dump(program).bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Crepe allows at most this many bound fields in one atom (Rust's tuple `Hash` limit).
const MAX_BOUND: usize = 12;

/// Generates one module holding the index and the whole program as one part (see
/// [`generate_split`]); it names its own part `self::run`.
///
/// With [`Options::provenance`], every rule `H(..) :- Body.` becomes two crepe rules,
/// `F<k>(vars, wildcards, head values) <- Body;` and `H(..) <- F<k>(..);`: the firing relation
/// holds the bindings of every instance of the rule (wildcards of positive atoms are bound
/// too, so each premise is a whole tuple), and the module's `FIRINGS` table says how to read
/// the head and the positive premises out of a firing.
pub fn generate(program: &Program, opts: &Options) -> Result<String, CodegenError> {
    let g = Gen::new(program, opts, 1)?;
    let part = g.emit_part(0, opts, false);
    let mut index = g.emit_index(opts, &["self::run".to_string()]);
    index.push_str(&part);
    Ok(index)
}

/// A program generated as several parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// The index module: digest, relation count, relations that take facts, symbol ids, the
    /// firing table and `PARTS`, which names each part's `run` as `<crate>::run`.
    pub index: String,
    /// Each part's module source, in evaluation order.
    pub parts: Vec<String>,
}

/// Generates `program` as `parts` parts: the strata, in order, are cut into `parts` contiguous
/// groups balanced by weight ([`partition`]) (a stratum goes to the part its middle rule falls in, so a
/// small change moves at most a stratum at a boundary). Part `k` is named `crate_name(k)` in
/// the index. A part may be empty (no rules) when strata are fewer than parts.
pub fn generate_split(
    program: &Program,
    opts: &Options,
    parts: usize,
    crate_name: impl Fn(usize) -> String,
) -> Result<Split, CodegenError> {
    let parts = parts.max(1);
    let g = Gen::new(program, opts, parts)?;
    let names: Vec<String> = (0..parts)
        .map(|k| format!("::{}::run", crate_name(k)))
        .collect();
    Ok(Split {
        index: g.emit_index(opts, &names),
        parts: (0..parts).map(|k| g.emit_part(k, opts, true)).collect(),
    })
}

/// The part of each rule (indexed by `RuleIdx`): rules in strata order, cut into `parts`
/// contiguous groups balanced by weight (a rule weighs one plus its body literals, a rough
/// measure of the code crepe emits for it; rustc's time grows faster than that, so balance
/// matters). A rule goes to the part its middle falls in, so a small change moves at most
/// the rules at a boundary. The rules of a recursive stratum stay together (their fixpoint is
/// one crepe program); those of a stratum without recursion may be spread over consecutive
/// parts: a later part takes what an earlier one derived as a seed and adds to it.
pub fn partition(program: &Program, parts: usize) -> Vec<usize> {
    let parts = parts.max(1);
    let weight = |r: RuleIdx| 1 + program.rule(r).body.len();
    let total: usize = program.rules.iter().map(|r| 1 + r.body.len()).sum();
    let part_at = |mid2: usize| {
        if total == 0 {
            0
        } else {
            (mid2 * parts / (2 * total)).min(parts - 1)
        }
    };
    let mut out = vec![0; program.rules.len()];
    let mut before = 0usize;
    for s in &program.strata {
        if s.recursive {
            let w: usize = s.rules.iter().map(|&r| weight(r)).sum();
            let part = part_at(2 * before + w);
            for &r in &s.rules {
                out[r.0 as usize] = part;
            }
            before += w;
        } else {
            for &r in &s.rules {
                let w = weight(r);
                out[r.0 as usize] = part_at(2 * before + w);
                before += w;
            }
        }
    }
    out
}

/// One firing relation.
struct FiringRel {
    part: usize,
    name: String,
    decl: String,
    desc: String,
    types: Vec<Type>,
}

struct Gen<'p> {
    p: &'p Program,
    /// Relations with at least one rule.
    derived: Vec<bool>,
    /// Derived relations that also take facts (program facts or inserted ones).
    seeded: Vec<bool>,
    /// Helper relations for negations with constants: (rel, pattern) -> helper name.
    helpers: BTreeMap<(u32, String), Helper>,
    /// Constants used: name -> (rust type, value literal, comment).
    consts: BTreeMap<String, (String, String, String)>,
    /// Rules as crepe clauses, with their part, in strata order.
    rules: Vec<(usize, String)>,
    provenance: bool,
    /// The part being generated.
    part: usize,
    /// Firing relations in strata order (which is the order of the firing table).
    firings: Vec<FiringRel>,
    /// The parts with rules for each relation (ascending).
    parts_of_rel: Vec<Vec<usize>>,
    /// Relation statistics for the join order (crepe joins in clause order).
    estimates: Box<dyn Estimates>,
}

/// Where a value of a premise or head comes from in a firing tuple.
enum Slot {
    Field(usize),
    Const(u64),
}

fn slots_text(slots: &[Slot]) -> String {
    let v: Vec<String> = slots
        .iter()
        .map(|s| match s {
            Slot::Field(i) => format!("F({i})"),
            Slot::Const(w) => format!("C({w})"),
        })
        .collect();
    format!("&[{}]", v.join(", "))
}

struct Helper {
    name: String,
    /// Columns (positions of `rel`) the helper keeps, with their types.
    keep: Vec<usize>,
    rule: String,
}

fn rust_type(t: Type) -> &'static str {
    match t {
        Type::Symbol => "u32",
        Type::Number => "i64",
        Type::Date => "i32",
    }
}

fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if up {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            up = false;
        } else {
            up = true;
        }
    }
    out
}

impl<'p> Gen<'p> {
    fn new(p: &'p Program, opts: &Options, parts: usize) -> Result<Self, CodegenError> {
        let n = p.relations.len();
        let mut derived = vec![false; n];
        for r in &p.rules {
            derived[r.head.rel.0 as usize] = true;
        }
        let mut seeded = vec![false; n];
        for f in &p.facts {
            if derived[f.rel.0 as usize] {
                seeded[f.rel.0 as usize] = true;
            }
        }
        for (i, r) in p.relations.iter().enumerate() {
            // Declared inputs that also have rules take facts from outside.
            if r.input && derived[i] {
                seeded[i] = true;
            }
        }
        let mut g = Gen {
            p,
            derived,
            seeded,
            helpers: BTreeMap::new(),
            consts: BTreeMap::new(),
            rules: Vec::new(),
            provenance: opts.provenance,
            part: 0,
            firings: Vec::new(),
            parts_of_rel: vec![Vec::new(); n],
            estimates: match &opts.stats {
                Some(stats) => Box::new(stats.clone()),
                None => Box::new(Uniform),
            },
        };
        g.generate_rules(parts)?;
        Ok(g)
    }

    fn rel_name(&self, rel: RelId) -> String {
        format!("R{}{}", rel.0, camel(&self.p.relation(rel).name))
    }

    fn seed_name(&self, rel: RelId) -> String {
        format!("{}Seed", self.rel_name(rel))
    }

    fn types(&self, rel: RelId) -> Vec<Type> {
        self.p.relation(rel).columns.iter().map(|c| c.ty).collect()
    }

    fn constant(&mut self, v: Value) -> String {
        let (name, ty, lit, comment) = match v {
            Value::Sym(s) => {
                let text = self.p.interner.resolve(s).to_string();
                (
                    format!("S_{}", s.0),
                    "u32",
                    s.0.to_string(),
                    format!("{text:?}"),
                )
            }
            Value::Num(n) => (
                format!("N_{}", n.to_string().replace('-', "M")),
                "i64",
                n.to_string(),
                String::new(),
            ),
            Value::Date(d) => (
                format!("D_{}", d.0.to_string().replace('-', "M")),
                "i32",
                d.0.to_string(),
                d.to_string(),
            ),
        };
        self.consts
            .entry(name.clone())
            .or_insert((ty.to_string(), lit, comment));
        name
    }

    fn generate_rules(&mut self, parts: usize) -> Result<(), CodegenError> {
        for r in self.p.relations.iter() {
            if r.columns.is_empty() {
                return Err(CodegenError {
                    message: format!(
                        "relation `{}` has no columns; the compiled evaluator needs at least one",
                        r.name
                    ),
                });
            }
        }
        let part_of = partition(self.p, parts);
        for stratum in &self.p.strata {
            for &ri in &stratum.rules {
                self.part = part_of[ri.0 as usize];
                let rule = self.p.rule(ri);
                let parts = &mut self.parts_of_rel[rule.head.rel.0 as usize];
                if !parts.contains(&self.part) {
                    parts.push(self.part);
                }
                let text = self.rule(ri.0, rule)?;
                self.rules.push((self.part, text));
            }
        }
        Ok(())
    }

    /// One rule as a crepe clause.
    fn rule(&mut self, idx: u32, rule: &Rule) -> Result<String, CodegenError> {
        // Wildcards of positive atoms, bound when recording firings: (literal, column) ->
        // (name, type).
        let mut wild: Vec<((usize, usize), String, Type)> = Vec::new();
        let mut bound = vec![false; rule.vars.len()];
        let mut clauses: Vec<String> = Vec::new();
        let mut fresh = 0usize;
        let steps = order_body(rule, None, &mut *self.estimates).map_err(|i| CodegenError {
            message: format!(
                "rule {}: literal {} cannot be placed (its variables are never bound)",
                rule.id,
                i + 1
            ),
        })?;
        for step in steps {
            let i = match step {
                Step::Negation(i) => {
                    let Literal::Atom(a) = &rule.body[i] else {
                        unreachable!("a negation step is an atom")
                    };
                    let c = self.negation(rule, a.rel, &a.args);
                    clauses.push(c);
                    continue;
                }
                Step::Filter(i) => {
                    let Literal::Cmp(c) = &rule.body[i] else {
                        unreachable!("a filter step is a comparison")
                    };
                    let code = self.filter(rule, c.op, &c.lhs, &c.rhs);
                    clauses.push(code);
                    continue;
                }
                Step::Bind {
                    lit,
                    var,
                    expr_is_rhs,
                } => {
                    let Literal::Cmp(c) = &rule.body[lit] else {
                        unreachable!("a binding step is a comparison")
                    };
                    let e = if expr_is_rhs { &c.rhs } else { &c.lhs };
                    let code = self.binding(rule, &format!("v{}", var.0), e);
                    clauses.push(code);
                    bound[var.0 as usize] = true;
                    continue;
                }
                Step::Atom(i) => i,
            };
            let Literal::Atom(a) = &rule.body[i] else {
                unreachable!("an atom step is an atom")
            };
            let mut args = Vec::new();
            let mut checks = Vec::new();
            let mut nbound = 0;
            let mut here: Vec<Var> = Vec::new();
            let col_types = self.types(a.rel);
            for (col, t) in a.args.iter().enumerate() {
                match t {
                    Term::Const(c) => {
                        nbound += 1;
                        args.push(self.constant(*c));
                    }
                    Term::Var(v) if bound[v.0 as usize] && !here.contains(v) => {
                        nbound += 1;
                        args.push(format!("v{}", v.0));
                    }
                    Term::Var(v) if here.contains(v) => {
                        // Repeated inside this atom: crepe cannot bind one variable twice.
                        let f = format!("f{fresh}");
                        fresh += 1;
                        checks.push(format!("(v{} == {f})", v.0));
                        args.push(f);
                    }
                    Term::Var(v) => {
                        bound[v.0 as usize] = true;
                        here.push(*v);
                        args.push(format!("v{}", v.0));
                    }
                    Term::Wildcard if self.provenance => {
                        let name = format!("w{}", wild.len());
                        wild.push(((i, col), name.clone(), col_types[col]));
                        args.push(name);
                    }
                    Term::Wildcard => args.push("_".into()),
                }
            }
            if nbound > MAX_BOUND {
                return Err(CodegenError {
                    message: format!(
                        "rule {}: atom `{}` has {nbound} bound arguments; crepe allows at most {MAX_BOUND}",
                        rule.id,
                        self.p.relation(a.rel).name
                    ),
                });
            }
            clauses.push(format!("{}({})", self.rel_name(a.rel), args.join(", ")));
            clauses.extend(checks);
        }
        let mut head = Vec::new();
        let mut head_values: Vec<(String, Type)> = Vec::new();
        for (k, e) in rule.head.args.iter().enumerate() {
            match e {
                Expr::Var(v) => head.push(format!("v{}", v.0)),
                Expr::Const(c) => head.push(self.constant(*c)),
                e => {
                    let name = format!("h{k}");
                    let code = self.binding(rule, &name, e);
                    clauses.push(code);
                    head_values.push((name.clone(), self.types(rule.head.rel)[k]));
                    head.push(name);
                }
            }
        }
        if clauses.is_empty() {
            clauses.push("(true)".into());
        }
        let head_rel = self.rel_name(rule.head.rel);
        if !self.provenance {
            return Ok(format!(
                "    // {}\n    {head_rel}({}) <-\n        {};",
                rule.id,
                head.join(", "),
                clauses.join(",\n        ")
            ));
        }
        if let Some(v) = bound.iter().position(|b| !b) {
            return Err(CodegenError {
                message: format!(
                    "rule {}: variable `{}` is never bound",
                    rule.id, rule.vars[v].name
                ),
            });
        }
        // The firing: every variable, then the wildcards, then computed head values.
        let mut fields: Vec<(String, Type)> = rule
            .vars
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("v{i}"), v.ty))
            .collect();
        fields.extend(wild.iter().map(|(_, n, t)| (n.clone(), *t)));
        fields.extend(head_values.iter().cloned());
        let pos = |name: &str| fields.iter().position(|(n, _)| n == name);
        // Named by position among the part's firings, so that a rule added in another part
        // does not rename (and recompile) this one.
        let local = self.firings.iter().filter(|f| f.part == self.part).count();
        let fire = format!("F{local}");
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        let types: Vec<&str> = fields.iter().map(|(_, t)| rust_type(*t)).collect();
        let decl = format!("    @output\n    pub struct {fire}({});", {
            let t: Vec<String> = types.iter().map(|t| format!("pub {t}")).collect();
            t.join(", ")
        });
        // Descriptor: head and positive premises in source order.
        let mut head_slots = Vec::new();
        for (k, e) in rule.head.args.iter().enumerate() {
            head_slots.push(match e {
                Expr::Var(v) => Slot::Field(v.0 as usize),
                Expr::Const(c) => Slot::Const(c.word()),
                _ => Slot::Field(pos(&format!("h{k}")).expect("head value is a field")),
            });
        }
        let mut premises = Vec::new();
        for (i, lit) in rule.body.iter().enumerate() {
            let Literal::Atom(a) = lit else { continue };
            if a.negated {
                continue;
            }
            let slots: Vec<Slot> = a
                .args
                .iter()
                .enumerate()
                .map(|(c, t)| match t {
                    Term::Var(v) => Slot::Field(v.0 as usize),
                    Term::Const(x) => Slot::Const(x.word()),
                    Term::Wildcard => {
                        let name = wild
                            .iter()
                            .find(|(k, _, _)| *k == (i, c))
                            .map(|(_, n, _)| n.clone())
                            .expect("every wildcard of a positive atom is bound");
                        Slot::Field(pos(&name).expect("wildcard is a field"))
                    }
                })
                .collect();
            premises.push(format!("({}, {})", a.rel.0, slots_text(&slots)));
        }
        let desc = format!(
            "    Firing {{ rule: {idx}, head_rel: {}, head: {}, premises: &[{}] }},",
            rule.head.rel.0,
            slots_text(&head_slots),
            premises.join(", ")
        );
        let field_types = fields.iter().map(|(_, t)| *t).collect();
        self.firings.push(FiringRel {
            part: self.part,
            name: fire.clone(),
            decl,
            desc,
            types: field_types,
        });
        Ok(format!(
            "    // {}\n    {fire}({}) <-\n        {};\n    {head_rel}({}) <- {fire}({});",
            rule.id,
            names.join(", "),
            clauses.join(",\n        "),
            head.join(", "),
            names.join(", ")
        ))
    }

    fn negation(&mut self, rule: &Rule, rel: RelId, args: &[Term]) -> String {
        let has_const = args.iter().any(|t| matches!(t, Term::Const(_)));
        if !has_const {
            let a: Vec<String> = args
                .iter()
                .map(|t| match t {
                    Term::Var(v) => format!("v{}", v.0),
                    _ => "_".into(),
                })
                .collect();
            return format!("!{}({})", self.rel_name(rel), a.join(", "));
        }
        // Move the constants into a helper relation that keeps only the variable columns.
        let mut pattern = String::new();
        let mut body_args = Vec::new();
        let mut keep = Vec::new();
        for (c, t) in args.iter().enumerate() {
            match t {
                Term::Const(v) => {
                    let name = self.constant(*v);
                    let _ = write!(pattern, "{name},");
                    body_args.push(name);
                }
                Term::Var(_) => {
                    pattern.push_str("?,");
                    keep.push(c);
                    body_args.push(format!("c{c}"));
                }
                Term::Wildcard => {
                    pattern.push_str("_,");
                    body_args.push("_".into());
                }
            }
        }
        let rel_name = self.rel_name(rel);
        // Named by the pattern (not by a counter), so names do not depend on other rules.
        let code: String = args
            .iter()
            .map(|t| match t {
                Term::Const(v) => {
                    let c = self.constant(*v);
                    c.replace('_', "")
                }
                Term::Var(_) => "V".into(),
                Term::Wildcard => "W".into(),
            })
            .collect();
        let helper = self.helpers.entry((rel.0, pattern)).or_insert_with(|| {
            let name = format!("{rel_name}Not{code}");
            let head: Vec<String> = keep.iter().map(|c| format!("c{c}")).collect();
            let rule = format!(
                "    {name}({}) <- {rel_name}({});",
                head.join(", "),
                body_args.join(", ")
            );
            Helper { name, keep, rule }
        });
        let a: Vec<String> = helper
            .keep
            .iter()
            .map(|&c| match &args[c] {
                Term::Var(v) => format!("v{}", v.0),
                _ => unreachable!("kept columns are variables"),
            })
            .collect();
        let _ = rule;
        format!("!{}({})", helper.name, a.join(", "))
    }

    fn filter(&mut self, rule: &Rule, op: CmpOp, lhs: &Expr, rhs: &Expr) -> String {
        let (l, lt, lf) = self.expr(rule, lhs);
        let (r, _, rf) = self.expr(rule, rhs);
        let cmp = match (lt, op) {
            (Type::Symbol, CmpOp::Eq) => format!("{l} == {r}"),
            (Type::Symbol, CmpOp::Ne) => format!("{l} != {r}"),
            (Type::Symbol, op) => {
                let m = match op {
                    CmpOp::Lt => "is_lt",
                    CmpOp::Le => "is_le",
                    CmpOp::Gt => "is_gt",
                    _ => "is_ge",
                };
                format!("::sphere_rt::gen::sym_cmp({l}, {r}).{m}()")
            }
            (_, op) => format!("{l} {} {r}", rust_op(op)),
        };
        if lf || rf {
            format!("((|| -> Option<bool> {{ Some({cmp}) }})() == Some(true))")
        } else {
            format!("({cmp})")
        }
    }

    fn binding(&mut self, rule: &Rule, name: &str, e: &Expr) -> String {
        let (code, ty, fallible) = self.expr(rule, e);
        if fallible {
            format!(
                "let Some({name}) = (|| -> Option<{}> {{ Some({code}) }})()",
                rust_type(ty)
            )
        } else {
            format!("let {name} = {code}")
        }
    }

    /// Rust code of an expression, its type, and whether it uses `?` (then it must be
    /// wrapped in a closure returning `Option`).
    fn expr(&mut self, rule: &Rule, e: &Expr) -> (String, Type, bool) {
        match e {
            Expr::Var(v) => (format!("v{}", v.0), rule.vars[v.0 as usize].ty, false),
            Expr::Const(c) => (self.constant(*c), c.ty(), false),
            Expr::Neg(a) => {
                let (a, _, f) = self.expr(rule, a);
                (format!("({a}).wrapping_neg()"), Type::Number, f)
            }
            Expr::Binary(op, a, b) => {
                let (a, _, _) = self.expr(rule, a);
                let (b, _, _) = self.expr(rule, b);
                (
                    format!(
                        "::sphere_rt::gen::binary(::sphere_rt::builtins::BinOp::{}, {a}, {b})?",
                        binop_name(*op)
                    ),
                    Type::Number,
                    true,
                )
            }
            Expr::Call(f, args) => {
                let args: Vec<(String, Type, bool)> =
                    args.iter().map(|a| self.expr(rule, a)).collect();
                let any = args.iter().any(|a| a.2);
                let a = |i: usize| args.get(i).map(|x| x.0.clone()).unwrap_or_default();
                match f {
                    Builtin::DaysBetween => (
                        format!("::sphere_rt::gen::days_between({}, {})", a(0), a(1)),
                        Type::Number,
                        any,
                    ),
                    Builtin::Year => (
                        format!("::sphere_rt::gen::year({})", a(0)),
                        Type::Number,
                        any,
                    ),
                    Builtin::AddDays => (
                        format!("::sphere_rt::gen::add_days({}, {})?", a(0), a(1)),
                        Type::Date,
                        true,
                    ),
                    Builtin::AddMonths => (
                        format!("::sphere_rt::gen::add_months({}, {})?", a(0), a(1)),
                        Type::Date,
                        true,
                    ),
                    f => {
                        // The rarer functions go through the generic entry point with values.
                        let ty = match f {
                            Builtin::Strlen | Builtin::ToNumber => Type::Number,
                            Builtin::ParseDate => Type::Date,
                            Builtin::Cat | Builtin::ToString => Type::Symbol,
                            _ => args.first().map_or(Type::Number, |x| x.1),
                        };
                        let vals: Vec<String> = args
                            .iter()
                            .map(|(c, t, _)| format!("::sphere_rt::gen::{}({c})", value_ctor(*t)))
                            .collect();
                        (
                            format!(
                                "::sphere_rt::gen::{}(::sphere_rt::gen::call(::sphere_rt::builtins::Builtin::{f:?}, &[{}])?)?",
                                value_dtor(ty),
                                vals.join(", ")
                            ),
                            ty,
                            true,
                        )
                    }
                }
            }
        }
    }

    fn header(&self, s: &mut String, opts: &Options, what: &str) {
        let _ = writeln!(
            s,
            "//! @generated by sphere-codegen from {}{what}: do not edit.\n//! Regenerate with `UPDATE_GENERATED=1 cargo test -p sphere-codegen`.\n",
            opts.source
        );
    }

    /// The index: what the runtime needs about the whole program. `parts` are the paths of
    /// the parts' `run` functions.
    fn emit_index(&self, opts: &Options, parts: &[String]) -> String {
        let p = self.p;
        let mut s = String::new();
        self.header(&mut s, opts, "");
        s.push_str("#![allow(clippy::all, dead_code, unused_parens, non_snake_case, non_camel_case_types, unused_variables, unused_imports, unused_mut)]\n\n");
        s.push_str("use ::sphere_rt::gen::{Firing, RunPart, Slot::{Const as C, Field as F}};\n\n");
        let _ = writeln!(
            s,
            "/// Digest of the resolved program this module was generated from.\npub const PROGRAM_DIGEST: u64 = 0x{:016x};\n",
            program_digest(p)
        );
        let _ = writeln!(
            s,
            "/// Number of relations of the program (`RelId`s `0..RELATIONS`).\npub const RELATIONS: usize = {};\n",
            p.relations.len()
        );
        let seeded: Vec<String> = (0..p.relations.len())
            .filter(|&i| self.seeded[i] || !self.derived[i])
            .map(|i| i.to_string())
            .collect();
        let _ = writeln!(
            s,
            "/// Relations that take facts from outside (inputs, and derived relations with a seed).\npub const TAKES_FACTS: &[usize] = &[{}];\n",
            seeded.join(", ")
        );
        let mut syms: Vec<(u32, String)> = Vec::new();
        for (ty, lit, _) in self.consts.values() {
            if ty == "u32" {
                if let Ok(id) = lit.parse::<u32>() {
                    let text = p.interner.resolve(sphere_engine::Sym(id)).to_string();
                    syms.push((id, text));
                }
            }
        }
        syms.sort();
        s.push_str("/// Symbol constants the rules use, by interned id: the runtime checks that the\n/// program it is given interns them alike.\npub const SYMBOLS: &[(u32, &str)] = &[\n");
        for (id, text) in &syms {
            let _ = writeln!(s, "    ({id}, {text:?}),");
        }
        s.push_str("];\n\n");
        s.push_str("/// How to read each firing relation: the rule, its head and its positive premises\n/// (in source order) as fields of the firing tuple or constants.\npub const FIRINGS: &[Firing] = &[\n");
        for f in &self.firings {
            let _ = writeln!(s, "{}", f.desc);
        }
        s.push_str("];\n\n");
        s.push_str("/// The parts in evaluation order, each with the range of `FIRINGS` it writes.\npub const PARTS: &[(RunPart, std::ops::Range<usize>)] = &[\n");
        let mut first = 0;
        for (k, run) in parts.iter().enumerate() {
            let n = self.firings.iter().filter(|f| f.part == k).count();
            let _ = writeln!(s, "    ({run}, {first}..{}),", first + n);
            first += n;
        }
        s.push_str("];\n");
        s
    }

    /// Part `k`: its constants, one `crepe!` program over its rules, and its `run`.
    /// `standalone`: the part is a module of its own (with header and lint allowances), not
    /// appended to the index.
    fn emit_part(&self, k: usize, opts: &Options, standalone: bool) -> String {
        let p = self.p;
        let mut s = String::new();
        if standalone {
            self.header(&mut s, opts, &format!(", part {k}"));
            s.push_str("#![allow(clippy::all, dead_code, unused_parens, non_snake_case, non_camel_case_types, unused_variables, unused_imports, unused_mut)]\n\n");
        }
        if self.rules.iter().all(|(part, _)| *part != k) {
            s.push_str("/// This part has no rules.\npub fn run(_rels: &mut [(usize, Vec<u64>)], _firings: &mut [(usize, Vec<u64>)]) {}\n");
            return s;
        }
        let rules: Vec<&str> = self
            .rules
            .iter()
            .filter(|(part, _)| *part == k)
            .map(|(_, t)| t.as_str())
            .collect();
        let firings: Vec<&FiringRel> = self.firings.iter().filter(|f| f.part == k).collect();
        let helpers: Vec<(u32, &Helper)> = self
            .helpers
            .iter()
            .filter(|(_, h)| rules.iter().any(|r| uses_ident(r, &h.name)))
            .map(|((rel, _), h)| (*rel, h))
            .collect();
        let body_text: String = rules
            .iter()
            .copied()
            .chain(helpers.iter().map(|(_, h)| h.rule.as_str()))
            .collect::<Vec<_>>()
            .join("\n");
        // Relations the part reads or derives.
        let owned = |i: usize| self.parts_of_rel[i].contains(&k);
        // Owned relations that start from tuples: facts, or what earlier parts derived.
        let seeded =
            |i: usize| self.seeded[i] || self.parts_of_rel[i].first().is_some_and(|&f| f < k);
        let used: Vec<usize> = (0..p.relations.len())
            .filter(|&i| owned(i) || uses_ident(&body_text, &self.rel_name(RelId(i as u32))))
            .collect();
        s.push_str("use crepe::crepe;\n\n");
        for (name, (ty, lit, comment)) in &self.consts {
            if !uses_ident(&body_text, name) {
                continue;
            }
            if comment.is_empty() {
                let _ = writeln!(s, "const {name}: {ty} = {lit};");
            } else {
                let _ = writeln!(s, "const {name}: {ty} = {lit}; // {comment}");
            }
        }
        s.push_str("\ncrepe! {\n");
        for &i in &used {
            let r = &p.relations[i];
            let rel = RelId(i as u32);
            let fields: Vec<String> = self
                .types(rel)
                .iter()
                .map(|t| format!("pub {}", rust_type(*t)))
                .collect();
            let _ = writeln!(s, "    // `{}`", r.name);
            if owned(i) {
                let _ = writeln!(
                    s,
                    "    @output\n    pub struct {}({});",
                    self.rel_name(rel),
                    fields.join(", ")
                );
                if seeded(i) {
                    let _ = writeln!(
                        s,
                        "    @input\n    pub struct {}({});",
                        self.seed_name(rel),
                        fields.join(", ")
                    );
                }
            } else {
                let _ = writeln!(
                    s,
                    "    @input\n    pub struct {}({});",
                    self.rel_name(rel),
                    fields.join(", ")
                );
            }
        }
        for f in &firings {
            let _ = writeln!(s, "{}", f.decl);
        }
        for (rel, h) in &helpers {
            let types = self.types(RelId(*rel));
            let fields: Vec<&str> = h.keep.iter().map(|&c| rust_type(types[c])).collect();
            let _ = writeln!(s, "    struct {}({});", h.name, fields.join(", "));
        }
        s.push('\n');
        for &i in &used {
            if owned(i) && seeded(i) {
                let rel = RelId(i as u32);
                let vars: Vec<String> = (0..p.relation(rel).arity())
                    .map(|c| format!("c{c}"))
                    .collect();
                let _ = writeln!(
                    s,
                    "    {}({}) <- {}({});",
                    self.rel_name(rel),
                    vars.join(", "),
                    self.seed_name(rel),
                    vars.join(", ")
                );
            }
        }
        for (_, h) in &helpers {
            let _ = writeln!(s, "{}", h.rule);
        }
        for r in &rules {
            let _ = writeln!(s, "{r}");
        }
        s.push_str("}\n\n");

        // The run function.
        s.push_str(
            "/// Runs this part: reads the relations it takes from `rels` (by `RelId`), replaces the\n/// contents of those it derives, and writes its firings to `firings` (its own range of the\n/// program's firing table; left empty without provenance).\npub fn run(rels: &mut [(usize, Vec<u64>)], firings: &mut [(usize, Vec<u64>)]) {\n    let mut crepe_rt = Crepe::new();\n",
        );
        for &i in &used {
            if owned(i) && !seeded(i) {
                continue;
            }
            let rel = RelId(i as u32);
            let name = if owned(i) {
                self.seed_name(rel)
            } else {
                self.rel_name(rel)
            };
            let types = self.types(rel);
            let fields: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(c, t)| from_word(*t, &format!("w[{c}]")))
                .collect();
            let _ = writeln!(
                s,
                "    crepe_rt.extend(rels[{i}].1.chunks_exact({}).map(|w| {name}({})));",
                types.len(),
                fields.join(", ")
            );
        }
        let outs: Vec<usize> = used.iter().copied().filter(|&i| owned(i)).collect();
        let mut names: Vec<String> = outs.iter().map(|i| format!("o{i}")).collect();
        names.extend((0..firings.len()).map(|j| format!("f{j}")));
        let _ = writeln!(
            s,
            "    let ({},) = crepe_rt.run_with_hasher::<::rustc_hash::FxBuildHasher>();",
            names.join(", ")
        );
        for &i in &outs {
            let rel = RelId(i as u32);
            let types = self.types(rel);
            let vars: Vec<String> = (0..types.len()).map(|c| format!("a{c}")).collect();
            let words: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(c, t)| to_word(*t, &format!("a{c}")))
                .collect();
            let _ = writeln!(
                s,
                "    rels[{i}] = (o{i}.len(), o{i}.into_iter().flat_map(|{}({})| [{}]).collect());",
                self.rel_name(rel),
                vars.join(", "),
                words.join(", ")
            );
        }
        for (j, f) in firings.iter().enumerate() {
            let vars: Vec<String> = (0..f.types.len()).map(|c| format!("a{c}")).collect();
            let words: Vec<String> = f
                .types
                .iter()
                .enumerate()
                .map(|(c, t)| to_word(*t, &format!("a{c}")))
                .collect();
            let _ = writeln!(
                s,
                "    firings[{j}] = (f{j}.len(), f{j}.into_iter().flat_map(|{}({})| [{}]).collect());",
                f.name,
                vars.join(", "),
                words.join(", ")
            );
        }
        s.push_str("}\n");
        s
    }
}

/// Whether `name` occurs in `text` as a whole identifier.
fn uses_ident(text: &str, name: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

fn from_word(t: Type, w: &str) -> String {
    match t {
        Type::Symbol => format!("{w} as u32"),
        Type::Number => format!("{w} as i64"),
        Type::Date => format!("{w} as i32"),
    }
}

fn to_word(t: Type, v: &str) -> String {
    match t {
        Type::Symbol => format!("{v} as u64"),
        Type::Number => format!("{v} as u64"),
        Type::Date => format!("{v} as i64 as u64"),
    }
}

fn value_ctor(t: Type) -> &'static str {
    match t {
        Type::Symbol => "sym",
        Type::Number => "num",
        Type::Date => "date",
    }
}

fn value_dtor(t: Type) -> &'static str {
    match t {
        Type::Symbol => "as_sym",
        Type::Number => "as_num",
        Type::Date => "as_date",
    }
}

fn rust_op(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "==",
        CmpOp::Ne => "!=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

fn binop_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "Add",
        BinOp::Sub => "Sub",
        BinOp::Mul => "Mul",
        BinOp::Div => "Div",
        BinOp::Rem => "Rem",
    }
}
