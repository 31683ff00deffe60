//! The knowledge base as a standalone Cargo crate of `crepe!` programs (`sphere kb export
//! --crepe DIR`), for a team that wants the law inside its own Rust service as an ordinary
//! dependency, with no sphere engine at run time.
//!
//! What is written (paths relative to the crate):
//! - `Cargo.toml` (dependencies: crepe only) and `README.md` (how to use the crate); in an
//!   export (`Options::own_workspace`) also `Cargo.lock`, crepe and its dependencies at the
//!   versions of sphere's own lock;
//! - `src/lib.rs`: `evaluate(&Facts) -> Findings`, the order of the blocks;
//! - `src/facts.rs`: a typed struct per input relation of the program, `Facts`, and the reader
//!   of a `sphere facts` export (`sphere-facts/1`);
//! - `src/program.rs`: the symbols the rules name, the program's own facts (rule windows,
//!   exceptions, facts written in the rules), the finding rules' annotations;
//! - one module per *block*: a `crepe!` program over the rules of one law area (the directory
//!   of `knowledge/` the rule is written in), each rule preceded by its id and the norms it
//!   cites; the blocks run in an order in which every relation a block reads is complete
//!   (what an earlier block derived is fed to the later one as `@input`);
//! - `src/findings.rs`: the `finding` relation as findings (rule, activity or object,
//!   subjects, date, the norm versions in force on that date, decision, severity, sphere's id);
//! - `src/rt.rs`: values and built-in functions (this crate's `crepe_rt.rs`, verbatim: it
//!   mirrors `sphere_rt::builtins` and is tested against it);
//! - `src/main.rs`: reads a facts directory and prints the findings as JSON.
//!
//! The crepe limits and how the generator meets them (see `docs/architecture.md`, "The crepe
//! back end"): relations are tuple structs over `u32` symbols, `i64` numbers and `i32` days;
//! names are CamelCase, unique even lower-cased, never `Crepe`; only `@input`/`@output`
//! relations are `pub`; body atoms come in the order the shared planner gives
//! ([`sphere_engine::ir::order`], from statistics of a sample run), since crepe joins in
//! clause order; a recursive rule with one recursive atom puts it first (crepe's semi-naive
//! delta is then what is scanned); a variable repeated in one atom is a fresh variable and
//! an equality; a negation with a constant reads a helper relation that projects the
//! constant away (otherwise crepe indexes the whole relation for it); at most 12 bound
//! fields per atom; heads never hold `_`; computed values go through `let` and the functions
//! of `rt`; one hasher (`rt::FxBuild`).
//!
//! Invariant: the generator reads only the resolved program; it never re-parses rule text,
//! and the same program and estimates give the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use sphere_engine::ir::legal::{About, RuleKind};
use sphere_engine::ir::order::{order_body, Estimates, Step};
use sphere_engine::ir::{
    BinOp, Builtin, CmpOp, Expr, Literal, Program, RelId, Rule, RuleIdx, Term, Var,
};
use sphere_engine::{SourceMap, Sym, Type, Value};

use crate::File;

/// The runtime module written into every crate (and compiled into this one for its tests).
pub const RT_SOURCE: &str = include_str!("crepe_rt.rs");

/// The version of crepe the crate is written for.
pub const CREPE_VERSION: &str = "0.2.0";

/// The oldest Rust the exported crate builds with: the newest `rust-version` among the
/// packages its `Cargo.lock` pins (hashbrown 0.17 and indexmap 2.14 need 1.85).
/// `tests/export/check_crepe.py` checks it against `cargo metadata` of the export.
pub const RUST_VERSION: &str = "1.85";

/// sphere's own lock file: an export's `Cargo.lock` pins crepe and its dependencies to the
/// versions sphere builds and tests the crate with.
const SPHERE_LOCK: &str = include_str!("../../../Cargo.lock");

/// The packages of an export's build besides itself: crepe and what it needs, as cargo resolves
/// them for a crate whose only dependency is crepe. The lock follows dependencies from crepe
/// through sphere's lock but only to these names (sphere's lock also has what other packages'
/// features pull in, e.g. hashbrown's default hasher). `check_crepe.py` builds the export with
/// `--locked`, so a dependency crepe gains and this list lacks fails there.
const LOCKED: &[&str] = &[
    "crepe",
    "equivalent",
    "fixedbitset",
    "hashbrown",
    "indexmap",
    "petgraph",
    "proc-macro-error",
    "proc-macro-error-attr",
    "proc-macro2",
    "quote",
    "syn",
    "unicode-ident",
    "version_check",
];

/// One `[[package]]` of a `Cargo.lock`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    pub source: Option<String>,
    pub checksum: Option<String>,
    /// As written: `name`, `name version` or `name version (source)`.
    pub dependencies: Vec<String>,
}

/// The `version` of a lock file and its packages (the line format cargo writes).
pub fn parse_lock(text: &str) -> Result<(u32, Vec<LockedPackage>), String> {
    let mut version = 0;
    let mut packages: Vec<LockedPackage> = Vec::new();
    let mut in_deps = false;
    for (i, line) in text.lines().enumerate() {
        let quoted = |l: &str| -> Result<String, String> {
            let v = l.split_once(" = ").map(|(_, v)| v).unwrap_or("");
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_string)
                .ok_or_else(|| format!("Cargo.lock line {}: expected a quoted value", i + 1))
        };
        if in_deps {
            if line == "]" {
                in_deps = false;
            } else if let Some(p) = packages.last_mut() {
                let dep = line.trim().trim_end_matches(',');
                p.dependencies.push(dep.trim_matches('"').to_string());
            }
            continue;
        }
        if line == "[[package]]" {
            packages.push(LockedPackage {
                name: String::new(),
                version: String::new(),
                source: None,
                checksum: None,
                dependencies: Vec::new(),
            });
        } else if line.starts_with("version = ") && packages.is_empty() {
            version = line["version = ".len()..]
                .parse()
                .map_err(|_| format!("Cargo.lock line {}: a version number", i + 1))?;
        } else if let Some(p) = packages.last_mut() {
            if line.starts_with("name = ") {
                p.name = quoted(line)?;
            } else if line.starts_with("version = ") {
                p.version = quoted(line)?;
            } else if line.starts_with("source = ") {
                p.source = Some(quoted(line)?);
            } else if line.starts_with("checksum = ") {
                p.checksum = Some(quoted(line)?);
            } else if line == "dependencies = [" {
                in_deps = true;
            }
        }
    }
    Ok((version, packages))
}

/// The package a dependency entry of a lock file names, among `packages`.
fn resolve_dep<'a>(dep: &str, packages: &'a [LockedPackage]) -> Option<&'a LockedPackage> {
    let mut parts = dep.split(' ');
    let name = parts.next()?;
    let version = parts.next();
    let mut found = packages
        .iter()
        .filter(|p| p.name == name && version.is_none_or(|v| p.version == v));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// The `Cargo.lock` of an export named `name`: itself, depending on crepe, and crepe's
/// dependencies at the versions of sphere's own lock, written as cargo writes it.
pub fn cargo_lock(name: &str) -> Result<String, String> {
    let (version, sphere) = parse_lock(SPHERE_LOCK)?;
    let mut picked: Vec<LockedPackage> = Vec::new();
    let crepe = sphere
        .iter()
        .find(|p| p.name == "crepe" && p.version == CREPE_VERSION)
        .ok_or_else(|| format!("sphere's Cargo.lock has no crepe {CREPE_VERSION}"))?;
    let mut todo = vec![crepe.clone()];
    while let Some(p) = todo.pop() {
        if picked
            .iter()
            .any(|q| q.name == p.name && q.version == p.version)
        {
            continue;
        }
        let mut deps = Vec::new();
        for d in &p.dependencies {
            let dep = resolve_dep(d, &sphere).ok_or_else(|| {
                format!(
                    "sphere's Cargo.lock: {} {} depends on `{d}`, which it does not list",
                    p.name, p.version
                )
            })?;
            if LOCKED.contains(&dep.name.as_str()) {
                deps.push(dep.clone());
            }
        }
        todo.extend(deps.iter().cloned());
        // Rewritten below, once it is known which names have several versions.
        picked.push(LockedPackage {
            dependencies: deps
                .iter()
                .map(|d| format!("{} {}", d.name, d.version))
                .collect(),
            ..p
        });
    }
    picked.push(LockedPackage {
        name: name.to_string(),
        version: "0.1.0".to_string(),
        source: None,
        checksum: None,
        dependencies: vec![format!("crepe {CREPE_VERSION}")],
    });
    picked
        .sort_by(|a, b| (&a.name, semver_key(&a.version)).cmp(&(&b.name, semver_key(&b.version))));
    // cargo names a dependency by its name alone unless the lock holds several versions of it.
    let several = |n: &str| picked.iter().filter(|p| p.name == n).count() > 1;
    let mut out = format!(
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = {version}\n"
    );
    for p in &picked {
        let _ = write!(
            out,
            "\n[[package]]\nname = \"{}\"\nversion = \"{}\"\n",
            p.name, p.version
        );
        if let Some(s) = &p.source {
            let _ = writeln!(out, "source = \"{s}\"");
        }
        if let Some(c) = &p.checksum {
            let _ = writeln!(out, "checksum = \"{c}\"");
        }
        if !p.dependencies.is_empty() {
            let mut deps: Vec<(String, String)> = p
                .dependencies
                .iter()
                .map(|d| {
                    let (n, v) = d.split_once(' ').expect("written as `name version` above");
                    (n.to_string(), v.to_string())
                })
                .collect();
            deps.sort_by(|a, b| (&a.0, semver_key(&a.1)).cmp(&(&b.0, semver_key(&b.1))));
            out.push_str("dependencies = [\n");
            for (n, v) in deps {
                if several(&n) {
                    let _ = writeln!(out, " \"{n} {v}\",");
                } else {
                    let _ = writeln!(out, " \"{n}\",");
                }
            }
            out.push_str("]\n");
        }
    }
    Ok(out)
}

/// A version's numeric parts, for ordering as cargo does (`1.0.109` before `2.0.119`).
fn semver_key(v: &str) -> Vec<u64> {
    v.split(['.', '-', '+'])
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// How to write the crate.
#[derive(Clone, Debug)]
pub struct Options {
    /// The package name, e.g. `sphere-kb-crepe`.
    pub name: String,
    /// Where the program came from, for the header of every file (e.g. `knowledge/`).
    pub source: String,
    /// Declare a workspace of its own in `Cargo.toml`, so that the crate builds wherever it is
    /// written, also below another workspace's directory. Off for the copy inside sphere's
    /// workspace (`crates/kb-crepe`), which cargo would refuse as a second workspace root.
    pub own_workspace: bool,
}

/// Crepe allows at most this many bound fields in one atom (Rust's tuple `Hash` limit).
const MAX_BOUND: usize = 12;

/// Writes the crate for `program` (compiled from `sources`), with the join order planned from
/// `est`. Errs, naming the rule, where crepe cannot express the program.
pub fn generate(
    program: &Program,
    sources: &SourceMap,
    est: &mut dyn Estimates,
    opts: &Options,
) -> Result<Vec<File>, String> {
    let g = Gen::new(program, sources, est)?;
    let lib = g.lib_name(&opts.name);
    let mut files = vec![
        File {
            path: "Cargo.toml".into(),
            text: cargo_toml(&opts.name, &lib, opts.own_workspace),
        },
        File {
            path: "README.md".into(),
            text: g.readme(opts, &lib),
        },
        File {
            path: "src/lib.rs".into(),
            text: g.lib_rs(opts),
        },
        File {
            path: "src/main.rs".into(),
            text: g.main_rs(opts, &lib),
        },
        File {
            path: "src/facts.rs".into(),
            text: g.facts_rs(opts),
        },
        File {
            path: "src/program.rs".into(),
            text: g.program_rs(opts),
        },
        File {
            path: "src/findings.rs".into(),
            text: g.findings_rs(opts),
        },
        File {
            path: "src/rt.rs".into(),
            text: RT_SOURCE.to_string(),
        },
    ];
    for (k, b) in g.blocks.iter().enumerate() {
        files.push(File {
            path: format!("src/{}.rs", b.module),
            text: g.block_rs(k, opts),
        });
    }
    if opts.own_workspace {
        // A crate of its own gets the lock of the versions sphere tests it with, so that a
        // fresh copy builds the same code (sphere's copy is built with sphere's lock).
        files.push(File {
            path: "Cargo.lock".into(),
            text: cargo_lock(&opts.name)?,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn cargo_toml(name: &str, lib: &str, own_workspace: bool) -> String {
    // The rules sit behind a feature that is on by default in an export; sphere's own copy
    // (a member of sphere's workspace, as every path dependency inside it is) has it off, so
    // that `cargo test --workspace` builds an empty crate and never waits for crepe.
    let (default, workspace) = if own_workspace {
        (
            "[\"rules\"]",
            "\n# A crate of its own wherever it is written, also below another Cargo workspace.\n[workspace]\n",
        )
    } else {
        ("[]", "")
    };
    format!(
        r#"# Generated by `sphere kb export --crepe`: do not edit (export again instead).
[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
rust-version = "{RUST_VERSION}"
description = "A knowledge base of sphere compiled to crepe Datalog: findings from a company's facts"
license = "MIT"
publish = false

[lib]
name = "{lib}"
path = "src/lib.rs"

[[bin]]
name = "{name}"
path = "src/main.rs"
required-features = ["rules"]

[features]
default = {default}
# The rules and everything that evaluates them.
rules = ["dep:crepe"]

[dependencies]
crepe = {{ version = "{CREPE_VERSION}", optional = true }}
{workspace}"#
    )
}

/// One block: the rules of one law area that run together as one `crepe!` program.
struct Block {
    area: String,
    module: String,
    /// Rules in strata order.
    rules: Vec<RuleIdx>,
}

/// A symbol the program names, as the crate numbers it.
struct SymConst {
    /// The crate's id (position in `SYMBOLS`).
    id: u32,
    /// The Rust constant, e.g. `S_CONTACT`.
    name: String,
    text: String,
}

/// A finding rule's citations of the model's own rules (`guideline:{G}`), which need the
/// rule's bindings: a relation `Cites<..>(about, subject, date, vars..)` derived beside it.
struct CiteRel {
    rule: RuleIdx,
    /// The relation's name in the crate.
    name: String,
    /// The variables the templates name, in order.
    vars: Vec<Var>,
    /// The templates, with the position in `vars` of each placeholder.
    templates: Vec<String>,
}

struct Gen<'p> {
    p: &'p Program,
    /// Crepe struct name per relation.
    names: Vec<String>,
    /// Field names per relation (for the input structs).
    fields: Vec<Vec<String>>,
    /// `Facts` field per relation.
    fact_fields: Vec<String>,
    /// Relations with at least one rule.
    derived: Vec<bool>,
    /// Program facts per relation.
    facts: Vec<Vec<Vec<Value>>>,
    syms: BTreeMap<Sym, SymConst>,
    /// Date constants used by the rules.
    dates: BTreeSet<i32>,
    blocks: Vec<Block>,
    block_of: Vec<usize>,
    /// Rules as crepe clauses, by rule index.
    clauses: Vec<String>,
    /// Helper relations for negations with constants, per block: name -> (decl, rule).
    helpers: Vec<BTreeMap<String, (String, String)>>,
    cites: Vec<CiteRel>,
    /// Names taken (lower-cased: crepe lower-cases them internally).
    taken: BTreeSet<String>,
    /// Whether a rule calls a built-in that reads or makes symbols.
    uses_symbols: bool,
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
    "typeof", "unsized", "virtual", "yield", "try", "gen", "union", "rt", "facts", "st", "program",
];

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
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'R');
    }
    out
}

/// A snake_case Rust identifier for `name` (never a keyword).
fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let mut out = out.trim_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'x');
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

fn upper(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

fn rust_type(t: Type) -> &'static str {
    match t {
        Type::Symbol => "u32",
        Type::Number => "i64",
        Type::Date => "i32",
    }
}

fn date_text(d: i32) -> String {
    sphere_engine::Date(d).to_string()
}

/// The law area of a source file: the directory below `knowledge/` (`gdpr`), else the file's
/// stem (`model`).
fn area_of_file(name: &str) -> String {
    let path = name.strip_prefix("knowledge/").unwrap_or(name);
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() > 1 {
        return snake(parts[0]);
    }
    let file = parts.pop().unwrap_or("rules");
    snake(file.strip_suffix(".dl").unwrap_or(file))
}

impl<'p> Gen<'p> {
    fn new(p: &'p Program, sources: &SourceMap, est: &mut dyn Estimates) -> Result<Self, String> {
        let n = p.relations.len();
        let mut derived = vec![false; n];
        for r in &p.rules {
            derived[r.head.rel.0 as usize] = true;
        }
        let mut facts = vec![Vec::new(); n];
        for f in &p.facts {
            facts[f.rel.0 as usize].push(f.values.clone());
        }
        for f in &mut facts {
            f.sort();
            f.dedup();
        }
        let mut g = Gen {
            p,
            names: Vec::new(),
            fields: Vec::new(),
            fact_fields: Vec::new(),
            derived,
            facts,
            syms: BTreeMap::new(),
            dates: BTreeSet::new(),
            blocks: Vec::new(),
            block_of: vec![0; p.rules.len()],
            clauses: vec![String::new(); p.rules.len()],
            helpers: Vec::new(),
            cites: Vec::new(),
            taken: ["crepe".to_string()].into_iter().collect(),
            uses_symbols: false,
        };
        g.name_relations()?;
        g.collect_symbols();
        g.make_blocks(sources);
        g.helpers = vec![BTreeMap::new(); g.blocks.len()];
        g.make_cites();
        for k in 0..g.blocks.len() {
            for ri in g.blocks[k].rules.clone() {
                let text = g.rule(k, ri, est)?;
                g.clauses[ri.0 as usize] = text;
            }
        }
        Ok(g)
    }

    fn lib_name(&self, package: &str) -> String {
        snake(package)
    }

    /// A name not taken yet (compared lower-cased, as crepe does).
    fn take(&mut self, base: String, fallback: impl Fn(usize) -> String) -> String {
        let mut name = base;
        let mut k = 2;
        while self.taken.contains(&name.to_ascii_lowercase()) {
            name = fallback(k);
            k += 1;
        }
        self.taken.insert(name.to_ascii_lowercase());
        name
    }

    fn name_relations(&mut self) -> Result<(), String> {
        let mut fact_taken: BTreeSet<String> = ["symbols".to_string()].into_iter().collect();
        for i in 0..self.p.relations.len() {
            let r = &self.p.relations[i];
            let base = camel(&r.name);
            let b2 = base.clone();
            let name = self.take(base, |k| format!("{b2}{k}"));
            self.names.push(name);
            let mut cols: Vec<String> = Vec::new();
            for c in &r.columns {
                let mut f = snake(&c.name);
                let base = f.clone();
                let mut k = 2;
                while cols.contains(&f) {
                    f = format!("{base}_{k}");
                    k += 1;
                }
                cols.push(f);
            }
            self.fields.push(cols);
            let mut f = snake(&r.name);
            let base = f.clone();
            let mut k = 2;
            while fact_taken.contains(&f) {
                f = format!("{base}_{k}");
                k += 1;
            }
            fact_taken.insert(f.clone());
            self.fact_fields.push(f);
        }
        Ok(())
    }

    /// Every symbol the rules and the program's facts name, numbered by text.
    fn collect_symbols(&mut self) {
        let mut found: BTreeSet<Sym> = BTreeSet::new();
        let mut dates = BTreeSet::new();
        fn expr(e: &Expr, found: &mut BTreeSet<Sym>, dates: &mut BTreeSet<i32>) {
            match e {
                Expr::Var(_) => {}
                Expr::Const(v) => value(*v, found, dates),
                Expr::Binary(_, a, b) => {
                    expr(a, found, dates);
                    expr(b, found, dates);
                }
                Expr::Neg(a) => expr(a, found, dates),
                Expr::Call(_, args) => args.iter().for_each(|a| expr(a, found, dates)),
            }
        }
        fn value(v: Value, found: &mut BTreeSet<Sym>, dates: &mut BTreeSet<i32>) {
            match v {
                Value::Sym(s) => {
                    found.insert(s);
                }
                Value::Date(d) => {
                    dates.insert(d.0);
                }
                Value::Num(_) => {}
            }
        }
        for r in &self.p.rules {
            for a in &r.head.args {
                expr(a, &mut found, &mut dates);
            }
            for l in &r.body {
                match l {
                    Literal::Atom(a) => {
                        for t in &a.args {
                            if let Term::Const(v) = t {
                                value(*v, &mut found, &mut dates);
                            }
                        }
                    }
                    Literal::Cmp(c) => {
                        expr(&c.lhs, &mut found, &mut dates);
                        expr(&c.rhs, &mut found, &mut dates);
                    }
                }
            }
        }
        let mut fact_dates = BTreeSet::new();
        for rows in &self.facts {
            for row in rows {
                for v in row {
                    value(*v, &mut found, &mut fact_dates);
                }
            }
        }
        self.dates = dates;
        let mut by_text: Vec<(String, Sym)> = found
            .into_iter()
            .map(|s| (self.p.interner.resolve(s).to_string(), s))
            .collect();
        by_text.sort();
        let mut names: BTreeSet<String> = BTreeSet::new();
        for (id, (text, s)) in by_text.into_iter().enumerate() {
            let base = format!("S_{}", upper(&text));
            let base = if base == "S_" {
                format!("S_{id}")
            } else {
                base
            };
            let mut name = base.clone();
            let mut k = 2;
            while names.contains(&name) {
                name = format!("{base}_{k}");
                k += 1;
            }
            names.insert(name.clone());
            self.syms.insert(
                s,
                SymConst {
                    id: id as u32,
                    name,
                    text,
                },
            );
        }
    }

    fn sym(&self, s: Sym) -> &SymConst {
        self.syms
            .get(&s)
            .expect("every symbol of the program was collected")
    }

    /// The Rust text of a constant.
    fn constant(&self, v: Value) -> String {
        match v {
            Value::Sym(s) => self.sym(s).name.clone(),
            Value::Num(n) => format!("{n}i64"),
            Value::Date(d) => date_const(d.0),
        }
    }

    /// The area of a rule: its source file's, or `findings` for the rules the legal layer
    /// generates (suppression, the final `finding` relation).
    fn area_of_rule(&self, sources: &SourceMap, r: &Rule) -> String {
        let head = self.p.relation(r.head.rel);
        if head.generated && r.meta.is_none() {
            return "findings".into();
        }
        let name = &sources.get(r.span.file).name;
        area_of_file(name)
    }

    /// Cuts the rules into blocks, one per law area where the dependencies allow, in an
    /// order in which every relation a block reads is complete before the block runs. Strata
    /// are taken in order; the rules of one stratum and one area go to the latest block of that
    /// area that comes after every block deriving what they read (a new block at the end when
    /// there is none). A recursive stratum stays in one block (crepe computes its fixpoint),
    /// the area of its first rule.
    fn make_blocks(&mut self, sources: &SourceMap) {
        let n = self.p.relations.len();
        // Last block deriving each relation so far.
        let mut last: Vec<Option<usize>> = vec![None; n];
        for s in &self.p.strata {
            let mut groups: Vec<(String, Vec<RuleIdx>)> = Vec::new();
            for &ri in &s.rules {
                let area = if s.recursive {
                    self.area_of_rule(sources, self.p.rule(s.rules[0]))
                } else {
                    self.area_of_rule(sources, self.p.rule(ri))
                };
                match groups.iter_mut().find(|(a, _)| *a == area) {
                    Some((_, v)) => v.push(ri),
                    None => groups.push((area, vec![ri])),
                }
            }
            for (area, rules) in groups {
                let mut lo = 0usize;
                for &ri in &rules {
                    for l in &self.p.rule(ri).body {
                        if let Literal::Atom(a) = l {
                            if let Some(b) = last[a.rel.0 as usize] {
                                // A relation of this very stratum is derived here (recursion).
                                if !s.relations.contains(&a.rel) {
                                    lo = lo.max(b);
                                }
                            }
                        }
                    }
                }
                let found = (lo..self.blocks.len())
                    .rev()
                    .find(|&b| self.blocks[b].area == area);
                let b = match found {
                    Some(b) => b,
                    None => {
                        self.blocks.push(Block {
                            area: area.clone(),
                            module: String::new(),
                            rules: Vec::new(),
                        });
                        self.blocks.len() - 1
                    }
                };
                for &ri in &rules {
                    self.blocks[b].rules.push(ri);
                    self.block_of[ri.0 as usize] = b;
                    let h = self.p.rule(ri).head.rel.0 as usize;
                    last[h] = Some(last[h].map_or(b, |x| x.max(b)));
                }
            }
        }
        // A block moves into the next block of its area when no block between reads what it
        // derives (everything it reads is complete earlier still).
        let mut k = self.blocks.len();
        while k > 0 {
            k -= 1;
            let Some(next) =
                (k + 1..self.blocks.len()).find(|&b| self.blocks[b].area == self.blocks[k].area)
            else {
                continue;
            };
            let heads: BTreeSet<RelId> = self.blocks[k]
                .rules
                .iter()
                .map(|&r| self.p.rule(r).head.rel)
                .collect();
            let read_between = (k + 1..next).any(|b| {
                self.blocks[b].rules.iter().any(|&r| {
                    self.p
                        .rule(r)
                        .body
                        .iter()
                        .any(|l| matches!(l, Literal::Atom(a) if heads.contains(&a.rel)))
                })
            });
            if read_between {
                continue;
            }
            let mut rules = std::mem::take(&mut self.blocks[k].rules);
            rules.append(&mut self.blocks[next].rules);
            self.blocks[next].rules = rules;
            self.blocks.remove(k);
        }
        for (b, block) in self.blocks.iter().enumerate() {
            for &r in &block.rules {
                self.block_of[r.0 as usize] = b;
            }
        }
        // Module names: the area, numbered when an area needs several blocks.
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for b in &self.blocks {
            *count.entry(b.area.clone()).or_default() += 1;
        }
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (k, b) in self.blocks.iter_mut().enumerate() {
            let i = seen.entry(b.area.clone()).or_default();
            *i += 1;
            let base = if count[&b.area] > 1 {
                format!("{}_{}", b.area, i)
            } else {
                b.area.clone()
            };
            b.module = format!("b{:02}_{base}", k + 1);
        }
    }

    fn make_cites(&mut self) {
        for (i, r) in self.p.rules.iter().enumerate() {
            let Some(m) = r.meta else { continue };
            let meta = &self.p.legal.rule_meta[m.0 as usize];
            if meta.cites.is_empty() || !matches!(meta.kind, RuleKind::Finding { .. }) {
                continue;
            }
            let mut vars = Vec::new();
            for t in &meta.cites {
                for name in placeholders(t) {
                    if let Some(v) = r.vars.iter().position(|x| x.name == name) {
                        let v = Var(v as u32);
                        if !vars.contains(&v) {
                            vars.push(v);
                        }
                    }
                }
            }
            let base = format!("Cites{}", camel(&meta.id));
            let b2 = base.clone();
            let name = self.take(base, |k| format!("{b2}{k}"));
            self.cites.push(CiteRel {
                rule: RuleIdx(i as u32),
                name,
                vars,
                templates: meta.cites.clone(),
            });
        }
    }

    fn cite_of(&self, ri: RuleIdx) -> Option<&CiteRel> {
        self.cites.iter().find(|c| c.rule == ri)
    }

    fn types(&self, rel: RelId) -> Vec<Type> {
        self.p.relation(rel).columns.iter().map(|c| c.ty).collect()
    }

    /// The comment above a rule: its id and the norms it cites.
    fn rule_comment(&self, rule: &Rule) -> String {
        let mut s = format!("    // {}", rule.id);
        if let Some(m) = rule.meta {
            let meta = &self.p.legal.rule_meta[m.0 as usize];
            let mut cites: Vec<String> = Vec::new();
            for n in &meta.norms {
                let text = sphere_engine::ir::lower::resolve_ref(&self.p.legal.norms, n)
                    .map(|i| self.p.legal.norms[i].en.clone());
                cites.push(match text {
                    Some(t) => format!("{t} ({})", n.id),
                    None => n.id.clone(),
                });
            }
            cites.extend(meta.cites.iter().cloned());
            if !cites.is_empty() {
                let _ = write!(s, ": {}", cites.join("; "));
            }
            if meta.contested.is_some() {
                s.push_str(" (contested: the cautious reading)");
            }
        }
        s
    }

    /// One rule as crepe clauses (with its comment), for block `k`.
    fn rule(&mut self, k: usize, ri: RuleIdx, est: &mut dyn Estimates) -> Result<String, String> {
        let p = self.p;
        let rule = p.rule(ri);
        // The recursive atom of a linearly recursive rule comes first: crepe reads it as the
        // semi-naive delta, so scanning it is cheap.
        let stratum = p.strata.iter().find(|s| s.rules.contains(&ri));
        let recursive: Vec<usize> = match stratum {
            Some(s) if s.recursive => rule
                .body
                .iter()
                .enumerate()
                .filter(|(_, l)| {
                    matches!(l, Literal::Atom(a) if !a.negated && s.relations.contains(&a.rel))
                })
                .map(|(i, _)| i)
                .collect(),
            _ => Vec::new(),
        };
        let first = (recursive.len() == 1).then(|| recursive[0]);
        let steps = order_body(rule, first, est).map_err(|i| {
            format!(
                "rule {}: literal {} cannot be placed (its variables are never bound)",
                rule.id,
                i + 1
            )
        })?;
        let vname = var_names(rule);
        let v = |x: Var| vname[x.0 as usize].clone();
        let mut bound = vec![false; rule.vars.len()];
        let mut clauses: Vec<String> = Vec::new();
        let mut fresh = 0usize;
        for step in steps {
            match step {
                Step::Negation(i) => {
                    let Literal::Atom(a) = &rule.body[i] else {
                        unreachable!("a negation step is an atom")
                    };
                    let c = self.negation(k, a.rel, &a.args, &vname);
                    clauses.push(c);
                }
                Step::Filter(i) => {
                    let Literal::Cmp(c) = &rule.body[i] else {
                        unreachable!("a filter step is a comparison")
                    };
                    let code = self.filter(rule, c.op, &c.lhs, &c.rhs, &vname);
                    clauses.push(code);
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
                    let code = self.binding(rule, &v(var), e, &vname);
                    clauses.push(code);
                    bound[var.0 as usize] = true;
                }
                Step::Atom(i) => {
                    let Literal::Atom(a) = &rule.body[i] else {
                        unreachable!("an atom step is an atom")
                    };
                    let mut args = Vec::new();
                    let mut checks = Vec::new();
                    let mut nbound = 0;
                    let mut here: Vec<Var> = Vec::new();
                    for t in &a.args {
                        match t {
                            Term::Const(c) => {
                                nbound += 1;
                                args.push(self.constant(*c));
                            }
                            Term::Var(x) if here.contains(x) => {
                                // Repeated inside this atom: crepe cannot bind a variable twice
                                // in one atom.
                                let f = format!("same{fresh}");
                                fresh += 1;
                                checks.push(format!("({} == {f})", v(*x)));
                                args.push(f);
                            }
                            Term::Var(x) if bound[x.0 as usize] => {
                                nbound += 1;
                                args.push(v(*x));
                            }
                            Term::Var(x) => {
                                bound[x.0 as usize] = true;
                                here.push(*x);
                                args.push(v(*x));
                            }
                            Term::Wildcard => args.push("_".into()),
                        }
                    }
                    if nbound > MAX_BOUND {
                        return Err(format!(
                            "rule {}: atom `{}` has {nbound} bound arguments; crepe allows at most {MAX_BOUND}",
                            rule.id,
                            p.relation(a.rel).name
                        ));
                    }
                    clauses.push(format!(
                        "{}({})",
                        self.names[a.rel.0 as usize],
                        args.join(", ")
                    ));
                    clauses.extend(checks);
                }
            }
        }
        let mut head = Vec::new();
        for (i, e) in rule.head.args.iter().enumerate() {
            match e {
                Expr::Var(x) => head.push(v(*x)),
                Expr::Const(c) => head.push(self.constant(*c)),
                e => {
                    let name = format!("head{i}");
                    let code = self.binding(rule, &name, e, &vname);
                    clauses.push(code);
                    head.push(name);
                }
            }
        }
        if clauses.is_empty() {
            clauses.push("(true)".into());
        }
        let body = clauses.join(",\n        ");
        let mut out = format!(
            "{}\n    {}({}) <-\n        {};",
            self.rule_comment(rule),
            self.names[rule.head.rel.0 as usize],
            head.join(", "),
            body
        );
        if let Some(c) = self.cite_of(ri) {
            // The finding's subject, about and date, with the values its citations name.
            let mut args: Vec<String> = head.iter().skip(1).cloned().collect();
            args.extend(c.vars.iter().map(|x| v(*x)));
            let _ = write!(
                out,
                "\n    // {}: the values of its citations {}\n    {}({}) <-\n        {};",
                rule.id,
                c.templates.join(", "),
                c.name,
                args.join(", "),
                body
            );
        }
        Ok(out)
    }

    fn negation(&mut self, k: usize, rel: RelId, args: &[Term], vname: &[String]) -> String {
        let name = self.names[rel.0 as usize].clone();
        if !args.iter().any(|t| matches!(t, Term::Const(_))) {
            let a: Vec<String> = args
                .iter()
                .map(|t| match t {
                    Term::Var(v) => vname[v.0 as usize].clone(),
                    _ => "_".into(),
                })
                .collect();
            return format!("!{name}({})", a.join(", "));
        }
        // Crepe would index the whole relation on the constant; a helper relation holds only
        // the rows with it, without the constant's column.
        let mut code = String::new();
        let mut body_args = Vec::new();
        let mut keep = Vec::new();
        let types = self.types(rel);
        for (c, t) in args.iter().enumerate() {
            match t {
                Term::Const(v) => {
                    let text = match v {
                        Value::Sym(s) => self.sym(*s).name.trim_start_matches("S_").to_string(),
                        Value::Num(n) => n.to_string().replace('-', "M"),
                        Value::Date(d) => date_const(d.0).trim_start_matches("D_").to_string(),
                    };
                    code.push_str(&camel(&text.to_ascii_lowercase()));
                    body_args.push(self.constant(*v));
                }
                Term::Var(_) => {
                    code.push('V');
                    keep.push(c);
                    body_args.push(format!("c{c}"));
                }
                Term::Wildcard => {
                    code.push('W');
                    body_args.push("_".into());
                }
            }
        }
        let helper = format!("{name}Not{code}");
        if !self.helpers[k].contains_key(&helper) {
            let decl = format!(
                "    struct {helper}({});",
                keep.iter()
                    .map(|&c| rust_type(types[c]))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let head: Vec<String> = keep.iter().map(|c| format!("c{c}")).collect();
            let rule = format!(
                "    {helper}({}) <- {name}({});",
                head.join(", "),
                body_args.join(", ")
            );
            self.helpers[k].insert(helper.clone(), (decl, rule));
        }
        let a: Vec<String> = keep
            .iter()
            .map(|&c| match &args[c] {
                Term::Var(v) => vname[v.0 as usize].clone(),
                _ => unreachable!("kept columns are variables"),
            })
            .collect();
        format!("!{helper}({})", a.join(", "))
    }

    fn filter(&mut self, rule: &Rule, op: CmpOp, lhs: &Expr, rhs: &Expr, vn: &[String]) -> String {
        let (l, lt, lf) = self.expr(rule, lhs, vn);
        let (r, _, rf) = self.expr(rule, rhs, vn);
        let cmp = match (lt, op) {
            (Type::Symbol, CmpOp::Eq) => format!("{l} == {r}"),
            (Type::Symbol, CmpOp::Ne) => format!("{l} != {r}"),
            (Type::Symbol, op) => {
                self.uses_symbols = true;
                let m = match op {
                    CmpOp::Lt => "is_lt",
                    CmpOp::Le => "is_le",
                    CmpOp::Gt => "is_gt",
                    _ => "is_ge",
                };
                format!("rt::sym_cmp({l}, {r}).{m}()")
            }
            (_, op) => format!("{l} {} {r}", rust_op(op)),
        };
        if lf || rf {
            format!("((|| -> Option<bool> {{ Some({cmp}) }})() == Some(true))")
        } else {
            format!("({cmp})")
        }
    }

    fn binding(&mut self, rule: &Rule, name: &str, e: &Expr, vn: &[String]) -> String {
        let (code, ty, fallible) = self.expr(rule, e, vn);
        if fallible {
            let simple = code.ends_with(")?") && code.matches('?').count() == 1;
            if simple {
                format!("let Some({name}) = {}", &code[..code.len() - 1])
            } else {
                format!(
                    "let Some({name}) = (|| -> Option<{}> {{ Some({code}) }})()",
                    rust_type(ty)
                )
            }
        } else {
            format!("let {name} = {code}")
        }
    }

    /// Rust code of an expression, its type, and whether it uses `?` (then it must be
    /// wrapped in a closure returning `Option`).
    fn expr(&mut self, rule: &Rule, e: &Expr, vn: &[String]) -> (String, Type, bool) {
        match e {
            Expr::Var(v) => (vn[v.0 as usize].clone(), rule.vars[v.0 as usize].ty, false),
            Expr::Const(c) => (self.constant(*c), c.ty(), false),
            Expr::Neg(a) => {
                let (a, _, _) = self.expr(rule, a, vn);
                (format!("rt::neg({a})?"), Type::Number, true)
            }
            Expr::Binary(op, a, b) => {
                let (a, _, _) = self.expr(rule, a, vn);
                let (b, _, _) = self.expr(rule, b, vn);
                let f = match op {
                    BinOp::Add => "add",
                    BinOp::Sub => "sub",
                    BinOp::Mul => "mul",
                    BinOp::Div => "div",
                    BinOp::Rem => "rem",
                };
                (format!("rt::{f}({a}, {b})?"), Type::Number, true)
            }
            Expr::Call(f, args) => {
                let args: Vec<(String, Type, bool)> =
                    args.iter().map(|a| self.expr(rule, a, vn)).collect();
                let any = args.iter().any(|a| a.2);
                let a = |i: usize| args.get(i).map(|x| x.0.clone()).unwrap_or_default();
                let t0 = args.first().map_or(Type::Number, |x| x.1);
                match f {
                    Builtin::DaysBetween => (
                        format!("rt::days_between({}, {})", a(0), a(1)),
                        Type::Number,
                        any,
                    ),
                    Builtin::Year => (format!("rt::year({})", a(0)), Type::Number, any),
                    Builtin::AddDays => (
                        format!("rt::add_days({}, {})?", a(0), a(1)),
                        Type::Date,
                        true,
                    ),
                    Builtin::AddMonths => (
                        format!("rt::add_months({}, {})?", a(0), a(1)),
                        Type::Date,
                        true,
                    ),
                    Builtin::Min => (format!("rt::min({}, {})", a(0), a(1)), t0, any),
                    Builtin::Max => (format!("rt::max({}, {})", a(0), a(1)), t0, any),
                    Builtin::ParseDate => {
                        self.uses_symbols = true;
                        (format!("rt::parse_date({})?", a(0)), Type::Date, true)
                    }
                    Builtin::Cat => {
                        self.uses_symbols = true;
                        (format!("rt::cat({}, {})", a(0), a(1)), Type::Symbol, any)
                    }
                    Builtin::Strlen => {
                        self.uses_symbols = true;
                        (format!("rt::strlen({})", a(0)), Type::Number, any)
                    }
                    Builtin::ToNumber => {
                        self.uses_symbols = true;
                        (format!("rt::to_number({})?", a(0)), Type::Number, true)
                    }
                    Builtin::ToString => {
                        self.uses_symbols = true;
                        (format!("rt::to_string({})", a(0)), Type::Symbol, any)
                    }
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // What each block reads and writes.

    /// Relations block `k` derives (heads of its rules), in id order.
    fn derives(&self, k: usize) -> Vec<RelId> {
        let mut v: Vec<RelId> = self.blocks[k]
            .rules
            .iter()
            .map(|&r| self.p.rule(r).head.rel)
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Relations block `k` reads without deriving them, in id order.
    fn reads(&self, k: usize) -> Vec<RelId> {
        let derived = self.derives(k);
        let mut v: Vec<RelId> = Vec::new();
        for &r in &self.blocks[k].rules {
            for l in &self.p.rule(r).body {
                if let Literal::Atom(a) = l {
                    if !derived.contains(&a.rel) {
                        v.push(a.rel);
                    }
                }
            }
        }
        v.sort();
        v.dedup();
        v
    }

    /// Whether the tuples of `rel` before block `k` may be non-empty: input facts, program
    /// facts, or an earlier block's derivations.
    fn has_earlier(&self, rel: RelId, k: usize) -> bool {
        let i = rel.0 as usize;
        self.p.relations[i].input
            || !self.facts[i].is_empty()
            || (0..k).any(|b| self.derives(b).contains(&rel))
    }

    /// Whether the derived relation `rel` lives in the state between blocks: a later block
    /// reads it or derives more of it, or the findings read it.
    fn carried(&self, rel: RelId) -> bool {
        if self.is_result(rel) {
            return true;
        }
        let derived_in: Vec<usize> = (0..self.blocks.len())
            .filter(|&b| self.derives(b).contains(&rel))
            .collect();
        let Some(&first) = derived_in.first() else {
            return false;
        };
        derived_in.len() > 1 || (first + 1..self.blocks.len()).any(|b| self.reads(b).contains(&rel))
    }

    /// The relations the findings are made of.
    fn is_result(&self, rel: RelId) -> bool {
        self.p.relation(rel).name == "finding"
    }

    /// Where the tuples of a relation a block takes come from, as a Rust iterator over
    /// tuples: facts, program facts, or the state.
    fn source_of(&self, rel: RelId) -> Vec<String> {
        let i = rel.0 as usize;
        let r = &self.p.relations[i];
        let mut out = Vec::new();
        if r.input {
            let fields: Vec<String> = self.fields[i]
                .iter()
                .zip(self.types(rel))
                .map(|(f, t)| match t {
                    Type::Symbol | Type::Date => format!("x.{f}.0"),
                    Type::Number => format!("x.{f}"),
                })
                .collect();
            out.push(format!(
                "facts.{}.iter().map(|x| ({},))",
                self.fact_fields[i],
                fields.join(", ")
            ));
        }
        if !self.facts[i].is_empty() {
            out.push(format!("program::{}.iter().copied()", facts_const(&r.name)));
        }
        out
    }

    // -----------------------------------------------------------------------------------------
    // Files.

    fn header(&self, opts: &Options, what: &str) -> String {
        format!(
            "//! {what}\n//!\n//! Generated by `sphere kb export --crepe` from {}: do not edit (export again).\n",
            opts.source
        )
    }

    fn tuple_type(&self, rel: RelId) -> String {
        let t: Vec<&str> = self.types(rel).iter().map(|t| rust_type(*t)).collect();
        tuple(&t)
    }

    fn block_rs(&self, k: usize, opts: &Options) -> String {
        let b = &self.blocks[k];
        let p = self.p;
        let mut s = self.header(
            opts,
            &format!(
                "Block {} of {}: the rules of `{}`.",
                k + 1,
                self.blocks.len(),
                b.area
            ),
        );
        s.push_str("\n#![allow(clippy::all, unused_parens, non_snake_case, unused_variables, dead_code)]\n\nuse crepe::crepe;\n\nuse crate::facts::Facts;\n#[allow(unused_imports)]\nuse crate::program::{self, *};\n#[allow(unused_imports)]\nuse crate::rt;\nuse crate::State;\n\ncrepe! {\n");
        let derives = self.derives(k);
        let reads = self.reads(k);
        let fields = |rel: RelId| -> String {
            self.types(rel)
                .iter()
                .map(|t| format!("pub {}", rust_type(*t)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sig = |rel: RelId| -> String {
            let r = p.relation(rel);
            let cols: Vec<String> = r
                .columns
                .iter()
                .map(|c| format!("{}: {}", c.name, c.ty))
                .collect();
            format!("`{}({})`", r.name, cols.join(", "))
        };
        s.push_str(
            "    // What the block reads: facts, the program's facts, earlier blocks' results.\n",
        );
        for &rel in &reads {
            let _ = writeln!(
                s,
                "    @input\n    pub struct {}({}); // {}",
                self.names[rel.0 as usize],
                fields(rel),
                sig(rel)
            );
        }
        s.push_str("\n    // What the block derives.\n");
        let mut outputs: Vec<RelId> = Vec::new();
        let mut seeds: Vec<RelId> = Vec::new();
        for &rel in &derives {
            let name = &self.names[rel.0 as usize];
            if self.carried(rel) {
                outputs.push(rel);
                let _ = writeln!(
                    s,
                    "    @output\n    pub struct {name}({}); // {}",
                    fields(rel),
                    sig(rel)
                );
            } else {
                let plain: Vec<&str> = self.types(rel).iter().map(|t| rust_type(*t)).collect();
                let _ = writeln!(
                    s,
                    "    struct {name}({}); // {}",
                    plain.join(", "),
                    sig(rel)
                );
            }
            if self.has_earlier(rel, k) {
                seeds.push(rel);
                let _ = writeln!(
                    s,
                    "    @input\n    pub struct {name}Before({}); // what `{}` holds before this block",
                    fields(rel),
                    p.relation(rel).name
                );
            }
        }
        let cites: Vec<&CiteRel> = self
            .cites
            .iter()
            .filter(|c| self.block_of[c.rule.0 as usize] == k)
            .collect();
        for c in &cites {
            let _ = writeln!(
                s,
                "    @output\n    pub struct {}({}); // about, subject, date and the values `{}` names",
                c.name,
                self.cite_types(c)
                    .iter()
                    .map(|t| format!("pub {}", rust_type(*t)))
                    .collect::<Vec<_>>()
                    .join(", "),
                p.rule(c.rule).id
            );
        }
        if !self.helpers[k].is_empty() {
            s.push_str("\n    // Negations with a constant read these (crepe would index the whole relation).\n");
            for (decl, _) in self.helpers[k].values() {
                let _ = writeln!(s, "{decl}");
            }
        }
        s.push('\n');
        for &rel in &seeds {
            let name = &self.names[rel.0 as usize];
            let vars: Vec<String> = (0..p.relation(rel).arity())
                .map(|c| format!("c{c}"))
                .collect();
            let _ = writeln!(
                s,
                "    {name}({}) <- {name}Before({});",
                vars.join(", "),
                vars.join(", ")
            );
        }
        for (_, rule) in self.helpers[k].values() {
            let _ = writeln!(s, "{rule}");
        }
        for &ri in &b.rules {
            let _ = writeln!(s, "\n{}", self.clauses[ri.0 as usize]);
        }
        s.push_str("}\n\n");
        // The run function.
        let _ = writeln!(
            s,
            "/// Runs the block on the facts and what earlier blocks derived; keeps what later\n/// blocks and the findings need.\npub(crate) fn run(facts: &Facts, st: &mut State) {{\n    let mut program = Crepe::new();"
        );
        let fact_vars = |rel: RelId| -> (String, String) {
            let n = p.relation(rel).arity();
            let vars: Vec<String> = (0..n).map(|c| format!("c{c}")).collect();
            (format!("({},)", vars.join(", ")), vars.join(", "))
        };
        let take = |s: &mut String, rel: RelId, ctor: &str, from_state: bool| {
            let (pat, args) = fact_vars(rel);
            let mut sources = self.source_of(rel);
            if from_state && self.derived[rel.0 as usize] {
                sources.push(format!(
                    "st.{}.iter().copied()",
                    self.fact_fields[rel.0 as usize]
                ));
            }
            for src in sources {
                let _ = writeln!(s, "    program.extend({src}.map(|{pat}| {ctor}({args})));");
            }
        };
        for &rel in &reads {
            let derived_before = (0..k).any(|b| self.derives(b).contains(&rel));
            if derived_before {
                // What earlier blocks derived already includes the facts.
                let (pat, args) = fact_vars(rel);
                let _ = writeln!(
                    s,
                    "    program.extend(st.{}.iter().map(|&{pat}| {}({args})));",
                    self.fact_fields[rel.0 as usize], self.names[rel.0 as usize]
                );
            } else {
                take(&mut s, rel, &self.names[rel.0 as usize], false);
            }
        }
        for &rel in &seeds {
            let derived_before = (0..k).any(|b| self.derives(b).contains(&rel));
            let ctor = format!("{}Before", self.names[rel.0 as usize]);
            if derived_before {
                let (pat, args) = fact_vars(rel);
                let _ = writeln!(
                    s,
                    "    program.extend(st.{}.iter().map(|&{pat}| {ctor}({args})));",
                    self.fact_fields[rel.0 as usize]
                );
            } else {
                take(&mut s, rel, &ctor, false);
            }
        }
        let mut outs: Vec<String> = outputs
            .iter()
            .map(|r| format!("out_{}", self.fact_fields[r.0 as usize]))
            .collect();
        outs.extend(cites.iter().map(|c| format!("out_{}", snake(&c.name))));
        if outs.is_empty() {
            s.push_str("    let _ = program.run_with_hasher::<rt::FxBuild>();\n");
        } else {
            let _ = writeln!(
                s,
                "    let ({},) = program.run_with_hasher::<rt::FxBuild>();",
                outs.join(", ")
            );
        }
        for &rel in &outputs {
            let (_, args) = fact_vars(rel);
            let f = &self.fact_fields[rel.0 as usize];
            let _ = writeln!(
                s,
                "    st.{f} = out_{f}.into_iter().map(|{}({args})| ({args},)).collect();",
                self.names[rel.0 as usize]
            );
        }
        for c in &cites {
            let n = self.cite_types(c).len();
            let vars: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
            let f = snake(&c.name);
            let _ = writeln!(
                s,
                "    st.{f} = out_{f}.into_iter().map(|{}({})| ({},)).collect();",
                c.name,
                vars.join(", "),
                vars.join(", ")
            );
        }
        s.push_str("}\n");
        s
    }

    fn cite_types(&self, c: &CiteRel) -> Vec<Type> {
        let rule = self.p.rule(c.rule);
        let mut t: Vec<Type> = self.types(rule.head.rel).into_iter().skip(1).collect();
        t.extend(c.vars.iter().map(|v| rule.vars[v.0 as usize].ty));
        t
    }

    /// The relations kept in the state between blocks, in id order.
    fn state_relations(&self) -> Vec<RelId> {
        (0..self.p.relations.len())
            .map(|i| RelId(i as u32))
            .filter(|&r| self.derived[r.0 as usize] && self.carried(r))
            .collect()
    }

    fn lib_rs(&self, opts: &Options) -> String {
        let mut s = self.header(
            opts,
            "The knowledge base as crepe Datalog: `evaluate` takes a company's facts and returns\n//! the findings (which rule, about which activity or object, for whom, on which day, citing\n//! which norm versions).",
        );
        s.push_str("//!\n//! ```ignore\n");
        let _ = writeln!(
            s,
            "//! let facts = {}::read_facts_dir(std::path::Path::new(\"facts-export\")).expect(\"a facts export\");",
            snake(&opts.name)
        );
        let _ = writeln!(
            s,
            "//! for f in {}::evaluate(&facts).findings {{\n//!     println!(\"{{}} {{}} {{}}\", f.id, f.rule, f.about());\n//! }}\n//! ```",
            snake(&opts.name)
        );
        // Without the `rules` feature (sphere's own copy, by default) the crate is empty.
        s.push_str("\n#![cfg(feature = \"rules\")]\n");
        // The modules are written as the generator lays them out, not as rustfmt would.
        s.push_str("\n#[rustfmt::skip]\nmod facts;\n#[rustfmt::skip]\nmod findings;\n#[rustfmt::skip]\nmod program;\n#[rustfmt::skip]\npub mod rt;\n\n");
        for b in &self.blocks {
            let _ = writeln!(s, "#[rustfmt::skip]\nmod {};", b.module);
        }
        s.push_str("\npub use facts::*;\npub use findings::{Finding, Findings, Norm};\npub use rt::{Date, Sym, Symbols};\n\n");
        s.push_str("/// The blocks in the order they run, with their law area.\npub const BLOCKS: &[&str] = &[\n");
        for b in &self.blocks {
            let _ = writeln!(s, "    {:?},", b.module);
        }
        s.push_str("];\n\n");
        s.push_str("/// What the blocks hand on: the derived relations that a later block reads or adds to, and\n/// the ones the findings are made of.\n#[derive(Default)]\npub(crate) struct State {\n");
        for rel in self.state_relations() {
            let _ = writeln!(
                s,
                "    pub {}: Vec<{}>,",
                self.fact_fields[rel.0 as usize],
                self.tuple_type(rel)
            );
        }
        for c in &self.cites {
            let t: Vec<&str> = self.cite_types(c).iter().map(|t| rust_type(*t)).collect();
            let _ = writeln!(s, "    pub {}: Vec<{}>,", snake(&c.name), tuple(&t));
        }
        s.push_str("}\n\n");
        s.push_str("/// Evaluates the knowledge base on `facts`: every block in order, then the `finding`\n/// relation as findings, sorted by activity or object, rule and id.\npub fn evaluate(facts: &Facts) -> Findings {\n    let mut st = State::default();\n");
        if self.uses_symbols {
            s.push_str("    // Some rules read or make symbols (symbol order, `cat`, ...): they see the facts' symbols.\n    let (symbols, ()) = rt::install(facts.symbols.clone(), || {\n");
            for b in &self.blocks {
                let _ = writeln!(s, "        {}::run(facts, &mut st);", b.module);
            }
            s.push_str("    });\n    findings::collect(facts, &symbols, &st)\n}\n");
        } else {
            for b in &self.blocks {
                let _ = writeln!(s, "    {}::run(facts, &mut st);", b.module);
            }
            s.push_str("    findings::collect(facts, &facts.symbols, &st)\n}\n");
        }
        s
    }

    fn main_rs(&self, opts: &Options, lib: &str) -> String {
        let mut s = self.header(
            opts,
            "Reads a `sphere facts` export (`sphere-facts/1`) and prints the findings as JSON.",
        );
        let _ = write!(
            s,
            r#"
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: {name} [--summary] FACTS_DIR
  reads the facts export FACTS_DIR (written by `sphere facts MODEL -D FACTS_DIR`) and prints
  the findings as JSON on stdout; exit 0 without findings that need action, 1 with some,
  2 when the facts cannot be read. --summary prints one line instead: the seconds spent
  reading the facts and evaluating, and the number of findings";

fn main() -> ExitCode {{
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {{
        println!("{{USAGE}}");
        return ExitCode::SUCCESS;
    }}
    let (summary, dir) = match args.as_slice() {{
        [dir] => (false, dir),
        [flag, dir] if flag == "--summary" => (true, dir),
        _ => {{
            eprintln!(
                "error: expected the facts directory, optionally after --summary\n  hint: {{USAGE}}"
            );
            return ExitCode::from(2);
        }}
    }};
    let reading = std::time::Instant::now();
    let facts = match {lib}::read_facts_dir(std::path::Path::new(dir)) {{
        Ok(f) => f,
        Err(errors) => {{
            for e in errors {{
                eprintln!("{{e}}");
            }}
            return ExitCode::from(2);
        }}
    }};
    let read_s = reading.elapsed().as_secs_f64();
    let evaluating = std::time::Instant::now();
    let findings = {lib}::evaluate(&facts);
    let eval_s = evaluating.elapsed().as_secs_f64();
    let mut out = std::io::stdout().lock();
    let text = if summary {{
        format!(
            "read_s={{read_s:.3}} eval_s={{eval_s:.3}} findings={{}}\n",
            findings.findings.len()
        )
    }} else {{
        findings.to_json()
    }};
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    if findings.findings.iter().any(|f| f.needs_action()) {{
        ExitCode::from(1)
    }} else {{
        ExitCode::SUCCESS
    }}
}}
"#,
            name = opts.name
        );
        s
    }

    fn facts_rs(&self, opts: &Options) -> String {
        let p = self.p;
        let mut s = self.header(
            opts,
            "The input relations as typed structs, `Facts`, and the reader of a `sphere facts`\n//! export (`sphere-facts/1`: a file `FORMAT`, one tab-separated `<relation>.facts` per input\n//! relation).",
        );
        s.push_str("\nuse std::path::Path;\n\nuse crate::rt::{self, Date, Sym, Symbols};\n\n");
        let inputs: Vec<RelId> = (0..p.relations.len())
            .map(|i| RelId(i as u32))
            .filter(|&r| p.relation(r).input)
            .collect();
        for &rel in &inputs {
            let i = rel.0 as usize;
            let r = p.relation(rel);
            let cols: Vec<String> = r
                .columns
                .iter()
                .map(|c| format!("{}: {}", c.name, c.ty))
                .collect();
            if let Some(doc) = &r.doc {
                for line in doc.lines() {
                    let _ = writeln!(s, "/// {}", line.trim());
                }
                s.push_str("///\n");
            }
            let _ = writeln!(
                s,
                "/// `{}({})`\n#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub struct {} {{",
                r.name,
                cols.join(", "),
                self.names[i]
            );
            for (f, c) in self.fields[i].iter().zip(&r.columns) {
                let ty = match c.ty {
                    Type::Symbol => "Sym",
                    Type::Number => "i64",
                    Type::Date => "Date",
                };
                let _ = writeln!(s, "    pub {f}: {ty},");
            }
            s.push_str("}\n\n");
        }
        s.push_str("/// The facts of one company: every input relation's rows, symbols interned in `symbols`\n/// (build rows with [`Facts::intern`], or whole rows by name with [`Facts::push`]).\n#[derive(Clone, Debug)]\npub struct Facts {\n    pub symbols: Symbols,\n");
        for &rel in &inputs {
            let i = rel.0 as usize;
            let _ = writeln!(
                s,
                "    pub {}: Vec<{}>,",
                self.fact_fields[i], self.names[i]
            );
        }
        s.push_str("}\n\n");
        s.push_str("/// A value of a row given by name ([`Facts::push`]).\n#[derive(Clone, Copy, Debug, PartialEq, Eq)]\npub enum Value<'a> {\n    Sym(&'a str),\n    Num(i64),\n    Date(Date),\n}\n\n");
        s.push_str("/// The input relations: name and columns (name and type: `symbol`, `number`, `date`).\npub const INPUT_RELATIONS: &[(&str, &[(&str, &str)])] = &[\n");
        for &rel in &inputs {
            let r = p.relation(rel);
            let cols: Vec<String> = r
                .columns
                .iter()
                .map(|c| format!("({:?}, {:?})", c.name, c.ty.name()))
                .collect();
            let _ = writeln!(s, "    ({:?}, &[{}]),", r.name, cols.join(", "));
        }
        s.push_str("];\n\n");
        s.push_str("impl Default for Facts {\n    fn default() -> Self {\n        Facts::new()\n    }\n}\n\n");
        s.push_str("impl Facts {\n    /// No facts; the symbols the rules name are interned first, with the ids the rules use.\n    pub fn new() -> Facts {\n        let mut symbols = Symbols::default();\n        for s in crate::program::SYMBOLS {\n            symbols.intern(s);\n        }\n        Facts {\n            symbols,\n");
        for &rel in &inputs {
            let _ = writeln!(
                s,
                "            {}: Vec::new(),",
                self.fact_fields[rel.0 as usize]
            );
        }
        s.push_str("        }\n    }\n\n    /// The symbol of `text`, interned if new.\n    pub fn intern(&mut self, text: &str) -> Sym {\n        self.symbols.intern(text)\n    }\n\n");
        s.push_str("    /// Adds a row to the input relation `relation`; `Err` when there is no such relation or\n    /// the values do not fit its columns.\n    pub fn push(&mut self, relation: &str, row: &[Value<'_>]) -> Result<(), String> {\n        let sym = |s: &mut Symbols, i: usize| match row.get(i) {\n            Some(Value::Sym(t)) => Ok(s.intern(t)),\n            _ => Err(format!(\"column {} of `{relation}` is a symbol\", i + 1)),\n        };\n        let num = |i: usize| match row.get(i) {\n            Some(Value::Num(n)) => Ok(*n),\n            _ => Err(format!(\"column {} of `{relation}` is a number\", i + 1)),\n        };\n        let date = |i: usize| match row.get(i) {\n            Some(Value::Date(d)) => Ok(*d),\n            _ => Err(format!(\"column {} of `{relation}` is a date\", i + 1)),\n        };\n        let _ = (&sym, &num, &date);\n        match relation {\n");
        for &rel in &inputs {
            let i = rel.0 as usize;
            let r = p.relation(rel);
            let _ = writeln!(
                s,
                "            {:?} => {{\n                if row.len() != {} {{\n                    return Err(format!(\"`{}` has {} columns, not {{}}\", row.len()));\n                }}\n                let x = {} {{",
                r.name,
                r.arity(),
                r.name,
                r.arity(),
                self.names[i]
            );
            for (c, (f, col)) in self.fields[i].iter().zip(&r.columns).enumerate() {
                let get = match col.ty {
                    Type::Symbol => format!("sym(&mut self.symbols, {c})?"),
                    Type::Number => format!("num({c})?"),
                    Type::Date => format!("date({c})?"),
                };
                let _ = writeln!(s, "                    {f}: {get},");
            }
            let _ = writeln!(
                s,
                "                }};\n                self.{}.push(x);\n            }}",
                self.fact_fields[i]
            );
        }
        s.push_str("            _ => return Err(format!(\"`{relation}` is not an input relation\")),\n        }\n        Ok(())\n    }\n}\n\n");
        s.push_str(FACTS_READER);
        s
    }

    fn program_rs(&self, opts: &Options) -> String {
        let p = self.p;
        let mut s = self.header(
            opts,
            "What the rules name: symbols (numbered as `Facts::new` interns them), dates, the\n//! program's own facts (rule windows, exceptions, facts written in the rules) and the\n//! annotations of the finding rules.",
        );
        s.push_str("\n#![allow(dead_code)]\n\n/// The symbols the rules and the program's facts name, by id.\npub const SYMBOLS: &[&str] = &[\n");
        let mut by_id: Vec<&SymConst> = self.syms.values().collect();
        by_id.sort_by_key(|c| c.id);
        for c in &by_id {
            let _ = writeln!(s, "    {:?},", c.text);
        }
        s.push_str("];\n\n");
        for c in &by_id {
            let _ = writeln!(s, "pub const {}: u32 = {}; // {:?}", c.name, c.id, c.text);
        }
        s.push('\n');
        for d in &self.dates {
            let _ = writeln!(
                s,
                "pub const {}: i32 = {d}; // {}",
                date_const(*d),
                date_text(*d)
            );
        }
        for (i, rows) in self.facts.iter().enumerate() {
            if rows.is_empty() {
                continue;
            }
            let rel = RelId(i as u32);
            let r = p.relation(rel);
            let _ = writeln!(
                s,
                "\n/// The facts of `{}` the program states.\npub const {}: &[{}] = &[",
                r.name,
                facts_const(&r.name),
                self.tuple_type(rel)
            );
            for row in rows {
                let vals: Vec<String> = row
                    .iter()
                    .map(|v| match v {
                        Value::Sym(x) => self.sym(*x).id.to_string(),
                        Value::Num(n) => n.to_string(),
                        Value::Date(d) => d.0.to_string(),
                    })
                    .collect();
                let texts: Vec<String> = row
                    .iter()
                    .map(|v| match v {
                        Value::Sym(x) => format!("{:?}", self.sym(*x).text),
                        Value::Num(n) => n.to_string(),
                        Value::Date(d) => d.to_string(),
                    })
                    .collect();
                let _ = writeln!(s, "    ({},), // {}", vals.join(", "), texts.join(", "));
            }
            s.push_str("];\n");
        }
        // The finding rules' annotations.
        s.push_str("\n/// A finding rule: id, severity, decision (`block` on a done activity is reported as\n/// `breach`), whether its findings are about activities, the versions of each cited norm (in\n/// the order of its replacement chain: id, first day, last day), and the templates of its\n/// citations of the model's own rules.\npub struct RuleInfo {\n    pub id: &'static str,\n    pub severity: &'static str,\n    pub decision: &'static str,\n    pub about_activity: bool,\n    pub norms: &'static [&'static [(&'static str, i32, i32)]],\n    pub cites: &'static [&'static str],\n}\n\n/// Every finding rule, by id.\npub const RULES: &[RuleInfo] = &[\n");
        let mut metas: Vec<&sphere_engine::ir::legal::RuleMeta> = p
            .legal
            .rule_meta
            .iter()
            .filter(|m| matches!(m.kind, RuleKind::Finding { .. }))
            .collect();
        metas.sort_by(|a, b| a.id.cmp(&b.id));
        for m in metas {
            let RuleKind::Finding {
                severity,
                decision,
                about,
            } = &m.kind
            else {
                continue;
            };
            let mut chains = Vec::new();
            for n in &m.norms {
                let Some(start) = sphere_engine::ir::lower::resolve_ref(&p.legal.norms, n) else {
                    chains.push("&[]".to_string());
                    continue;
                };
                let members: Vec<String> =
                    sphere_engine::ir::lower::chain_members(&p.legal.norms, start)
                        .into_iter()
                        .map(|i| {
                            let v = &p.legal.norms[i];
                            format!(
                                "({:?}, {}, {})",
                                v.id,
                                v.from.0,
                                v.to.unwrap_or(sphere_engine::Date::MAX).0
                            )
                        })
                        .collect();
                chains.push(format!("&[{}]", members.join(", ")));
            }
            let cites: Vec<String> = m.cites.iter().map(|c| format!("{c:?}")).collect();
            let _ = writeln!(
                s,
                "    RuleInfo {{\n        id: {:?},\n        severity: {:?},\n        decision: {:?},\n        about_activity: {},\n        norms: &[{}],\n        cites: &[{}],\n    }},",
                m.id,
                severity.as_str(),
                decision.as_str(),
                *about == About::Activity,
                chains.join(", "),
                cites.join(", ")
            );
        }
        s.push_str("];\n");
        s
    }

    fn findings_rs(&self, opts: &Options) -> String {
        let p = self.p;
        let mut s = self.header(
            opts,
            "The `finding` relation as findings: the norm versions in force on the act's date,\n//! `block` on a done activity reported as `breach`, sphere's stable ids.",
        );
        s.push_str("\nuse crate::facts::Facts;\nuse crate::program::{RuleInfo, RULES};\nuse crate::rt::{self, Date, Sym, Symbols};\nuse crate::State;\n\n");
        s.push_str(FINDINGS_TYPES);
        // Activity ids and status.
        let activity = p.relation_by_name("activity").and_then(|rel| {
            let r = p.relation(rel);
            let id = r.columns.iter().position(|c| c.name == "id").unwrap_or(0);
            let st = r.columns.iter().position(|c| c.name == "status")?;
            r.input.then(|| {
                (
                    self.fact_fields[rel.0 as usize].clone(),
                    self.fields[rel.0 as usize][id].clone(),
                    self.fields[rel.0 as usize][st].clone(),
                )
            })
        });
        s.push_str("/// Each activity's status (`done`, `planned`), by id.\nfn activity_status(facts: &Facts) -> std::collections::HashMap<Sym, Sym, rt::FxBuild> {\n    let mut out = std::collections::HashMap::default();\n");
        if let Some((rel, id, st)) = &activity {
            let _ = writeln!(
                s,
                "    for a in &facts.{rel} {{\n        out.insert(a.{id}, a.{st});\n    }}"
            );
        }
        s.push_str("    out\n}\n\n");
        // Collect.
        s.push_str("/// The findings of the evaluation, sorted by (activity or object, rule, id).\npub(crate) fn collect(facts: &Facts, symbols: &Symbols, st: &State) -> Findings {\n    let status = activity_status(facts);\n    let text = |s: u32| symbols.resolve(Sym(s)).to_string();\n    let mut cites: std::collections::BTreeMap<(&str, u32, u32, i32), Vec<Vec<u32>>> = Default::default();\n");
        for c in &self.cites {
            let id = &p.legal.rule_meta
                [p.rule(c.rule).meta.expect("a cite rule is annotated").0 as usize]
                .id;
            let n = c.vars.len();
            let vars: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            let _ = writeln!(
                s,
                "    for &(about, subject, date, {}) in &st.{} {{\n        cites.entry(({:?}, about, subject, date)).or_default().push(vec![{}]);\n    }}",
                vars.join(", "),
                snake(&c.name),
                id,
                vars.join(", ")
            );
        }
        let finding = p.relation_by_name("finding").filter(|&r| {
            self.derived[r.0 as usize]
                && self.types(r) == [Type::Symbol, Type::Symbol, Type::Symbol, Type::Date]
        });
        s.push_str("    let mut out = Vec::new();\n");
        if let Some(rel) = finding {
            let _ = writeln!(
                s,
                "    for &(rule, about, subject, date) in &st.{} {{",
                self.fact_fields[rel.0 as usize]
            );
            s.push_str(COLLECT_BODY);
            s.push_str("    }\n");
        }
        s.push_str("    out.sort_by(|a: &Finding, b: &Finding| (a.about(), a.rule, &a.id).cmp(&(b.about(), b.rule, &b.id)));\n    Findings { findings: out }\n}\n\n");
        // Vars of the cite templates.
        s.push_str("/// Fills `{Var}` placeholders, in order of their first appearance across the rule's\n/// templates, with `values`.\nfn fill_all(templates: &[&str], values: &[String]) -> Vec<String> {\n    let mut names: Vec<String> = Vec::new();\n    for t in templates {\n        for n in placeholders(t) {\n            if !names.contains(&n) {\n                names.push(n);\n            }\n        }\n    }\n    templates\n        .iter()\n        .map(|t| {\n            let mut out = t.to_string();\n            for (n, v) in names.iter().zip(values) {\n                out = out.replace(&format!(\"{{{n}}}\"), v);\n            }\n            out\n        })\n        .collect()\n}\n\nfn placeholders(t: &str) -> Vec<String> {\n    let mut out = Vec::new();\n    let mut rest = t;\n    while let Some(open) = rest.find('{') {\n        let after = &rest[open + 1..];\n        let Some(close) = after.find('}') else { break };\n        out.push(after[..close].to_string());\n        rest = &after[close + 1..];\n    }\n    out\n}\n");
        s
    }

    fn readme(&self, opts: &Options, lib: &str) -> String {
        // The export turns the rules on by default; sphere's own copy leaves them off (see
        // `cargo_toml`), so its README says how to turn them on.
        let (feature, build) = if opts.own_workspace {
            (
                "behind the\nfeature `rules`, on by default: without it the crate is empty",
                "cargo build --release --locked   # Cargo.lock: the versions sphere tests the crate with".to_string(),
            )
        } else {
            (
                "behind the\nfeature `rules`, which this copy (sphere's `crates/kb-crepe`, a member of sphere's\nworkspace) leaves off, so that sphere's workspace builds without crepe: without it the\ncrate is empty. sphere's cargo feature `crepe` turns it on, and so does `--features\nrules`; an export of `sphere kb export --crepe` has it on by default",
                format!("cargo build --release -p {} --features rules   # in sphere's workspace", opts.name),
            )
        };
        let areas: Vec<String> = self
            .blocks
            .iter()
            .map(|b| format!("| `src/{}.rs` | {} | {} |", b.module, b.area, b.rules.len()))
            .collect();
        format!(
            r#"# {name}

The knowledge base of sphere ({source}) compiled to [crepe](https://crates.io/crates/crepe)
Datalog: a library that takes a company's facts and returns its findings, and a small binary
that does the same for a facts export. Generated by `sphere kb export --crepe`: do not edit,
export again when the knowledge base changes. Its only dependency is crepe ({feature}).
It needs Rust {RUST_VERSION} or newer.

## Use

```
{build}
sphere facts MODEL.json -D facts-export     # the facts of a company model, sphere-facts/1
target/release/{name} facts-export          # findings as JSON; exit 1 if one needs action
```

As a library (`{lib}` in Rust):

```rust
let facts = {lib}::read_facts_dir(std::path::Path::new("facts-export"))?;
// or build them: let mut facts = {lib}::Facts::new(); let s = facts.intern("subj-1"); ...
// or row by row: facts.push("as_of", &[{lib}::Value::Date({lib}::Date::parse("2024-06-01").unwrap())])?;
for f in {lib}::evaluate(&facts).findings {{
    println!("{{}} {{}} {{}} {{}}", f.id, f.rule, f.about(), f.date);
}}
```

Each finding names the rule that fired, the activity or object it is about, the data
subjects, the date, the norm versions in force on that date (and the company guideline or
platform terms a rule cites), the decision (`block` on a done activity is reported as
`breach`) and severity, and sphere's id for it: the same findings, with the same ids, as
`sphere check` on the same facts. What the crate does not give is the explanation: the
derivation tree of a finding, its message and remedy come from `sphere explain` and `sphere
check` on the same facts.

When several instances of a rule that cites a guideline or platform terms (`guideline:{{G}}`)
derive the same finding with different guidelines, sphere cites the one its derivation tree
shows and the crate lists every one.

## Layout

| file | law area | rules |
|---|---|---:|
{areas}

Each block is one `crepe!` program over the rules of one area of the knowledge base; the
blocks run in this order, and what an earlier block derives is an `@input` of the later ones.
Every rule is written with its id and the norms it cites. `src/facts.rs` has a struct per input
relation and the reader of `sphere-facts/1`; `src/program.rs` the symbols the rules name, the
program's own facts and the finding rules' annotations; `src/rt.rs` the values and built-in
functions (dates as days since 1970-01-01, calendar months clamped to the month's end), which
mirror sphere's and are tested against them in sphere's test suite.

Body atoms are in the order sphere's planner chose for its sample model: crepe joins in
clause order and indexes every relation once per pattern of bound columns, so a large input
(a million activities) needs memory for those indexes; see sphere's `docs/performance.md`.
"#,
            name = opts.name,
            source = opts.source,
            lib = lib,
            areas = areas.join("\n"),
        )
    }
}

/// A tuple type or expression as rustfmt writes it: `(a,)` for one item, `(a, b)` for more.
fn tuple(items: &[&str]) -> String {
    match items {
        [one] => format!("({one},)"),
        _ => format!("({})", items.join(", ")),
    }
}

fn placeholders(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        out.push(after[..close].to_string());
        rest = &after[close + 1..];
    }
    out
}

fn date_const(d: i32) -> String {
    format!("D_{}", date_text(d).replace('-', "_"))
}

fn facts_const(rel: &str) -> String {
    format!("FACTS_{}", upper(rel))
}

/// Crepe variable names for a rule's variables: lower-case, unique, never a keyword.
fn var_names(rule: &Rule) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in &rule.vars {
        let mut n = snake(&v.name);
        let base = n.clone();
        let mut k = 2;
        while out.contains(&n) || is_reserved_var(&n) {
            n = format!("{base}_{k}");
            k += 1;
        }
        out.push(n);
    }
    out
}

/// Names the generator uses for its own variables (`same0`, `head1`, `c2`).
fn is_reserved_var(n: &str) -> bool {
    ["same", "head", "c"].iter().any(|p| {
        n.strip_prefix(p)
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
    })
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

const FACTS_READER: &str = r#"/// Reads a facts directory (`sphere-facts/1`, written by `sphere facts`): every problem, with
/// its file and line and a hint, or the facts.
pub fn read_facts_dir(dir: &Path) -> Result<Facts, Vec<String>> {
    let mut errors = Vec::new();
    let format = dir.join("FORMAT");
    match std::fs::read_to_string(&format) {
        Ok(text) if text.trim() == "sphere-facts/1" => {}
        Ok(text) => errors.push(format!(
            "error: {}:1: the format is `{}`, not `sphere-facts/1`\n  hint: the FORMAT file holds the single line sphere-facts/1",
            format.display(),
            text.lines().next().unwrap_or("").trim()
        )),
        Err(e) => {
            return Err(vec![format!(
                "error: cannot read {}: {e}\n  hint: a facts directory has a file FORMAT holding the line sphere-facts/1 (write one with `sphere facts MODEL -D DIR`)",
                format.display()
            )])
        }
    }
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) => return Err(vec![format!("error: cannot read {}: {e}", dir.display())]),
    };
    names.sort();
    let mut facts = Facts::new();
    for name in names {
        let Some(rel) = name.strip_suffix(".facts") else {
            continue;
        };
        let path = dir.join(&name);
        let Some((_, columns)) = INPUT_RELATIONS.iter().find(|(n, _)| *n == rel) else {
            errors.push(format!(
                "error: {}: `{rel}` is not an input relation\n  hint: the input relations are those of sphere's knowledge/model.dl",
                path.display()
            ));
            continue;
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!("error: cannot read {}: {e}", path.display()));
                continue;
            }
        };
        let mut rows: Vec<Vec<Field>> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() != columns.len() {
                let hint: Vec<String> = columns.iter().map(|(n, t)| format!("{n}: {t}")).collect();
                errors.push(format!(
                    "error: {}:{}: {} columns, but `{rel}` has {}\n  hint: columns, separated by one tab: {}",
                    path.display(),
                    i + 1,
                    fields.len(),
                    columns.len(),
                    hint.join(", ")
                ));
                continue;
            }
            let mut row = Vec::with_capacity(fields.len());
            let mut col = 1;
            for (field, (cname, ty)) in fields.iter().zip(columns.iter()) {
                match read_field(field, ty) {
                    Ok(v) => row.push(v),
                    Err((msg, hint)) => errors.push(format!(
                        "error: {}:{}:{col}: column `{cname}`: {msg}\n  hint: {hint}",
                        path.display(),
                        i + 1
                    )),
                }
                col += field.chars().count() + 1;
            }
            if row.len() == columns.len() {
                rows.push(row);
            }
        }
        for row in rows {
            let values: Vec<Value<'_>> = row
                .iter()
                .map(|f| match f {
                    Field::Sym(s) => Value::Sym(s),
                    Field::Num(n) => Value::Num(*n),
                    Field::Date(d) => Value::Date(*d),
                })
                .collect();
            if let Err(e) = facts.push(rel, &values) {
                errors.push(format!("error: {}: {e}", path.display()));
            }
        }
    }
    if errors.is_empty() {
        Ok(facts)
    } else {
        Err(errors)
    }
}

enum Field {
    Sym(String),
    Num(i64),
    Date(Date),
}

fn read_field(field: &str, ty: &str) -> Result<Field, (String, String)> {
    match ty {
        "symbol" => rt::unescape(field).map(Field::Sym).map_err(|m| {
            (
                m,
                "inside symbols write \\\\ for \\, \\t for tab, \\n for newline, \\r for carriage return".into(),
            )
        }),
        "number" => field.parse::<i64>().map(Field::Num).map_err(|_| {
            (
                format!("`{field}` is not a whole number"),
                "write numbers in decimal, e.g. 40 or -3".into(),
            )
        }),
        _ => Date::parse(field).map(Field::Date).ok_or_else(|| {
            (
                format!("`{field}` is not a calendar day"),
                "write dates as YYYY-MM-DD; open periods end on 9999-12-31".into(),
            )
        }),
    }
}
"#;

const FINDINGS_TYPES: &str = r#"/// A cited norm version: the norm's id and the first day of the version in force on the act's
/// date (`None` for the model's own rules: `guideline:<id>`, `terms:<source>`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Norm {
    pub id: String,
    pub version_from: Option<Date>,
}

/// One finding: which rule fired, about which activity or object, for which data subjects,
/// on which day, citing which norm versions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// sphere's stable id: FNV-1a of rule, about, subjects and norm versions.
    pub id: String,
    pub rule: &'static str,
    pub activity: Option<String>,
    pub object: Option<String>,
    pub subjects: Vec<String>,
    pub date: Date,
    pub norms: Vec<Norm>,
    /// `block`, `warn`, `info`, or `breach` (a `block` on a done activity).
    pub decision: &'static str,
    pub severity: &'static str,
}

impl Finding {
    /// The activity or object the finding is about.
    pub fn about(&self) -> &str {
        self.activity
            .as_deref()
            .or(self.object.as_deref())
            .unwrap_or("")
    }

    pub fn needs_action(&self) -> bool {
        self.decision == "block" || self.decision == "breach"
    }
}

/// The findings of one evaluation, sorted by (activity or object, rule, id).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    pub findings: Vec<Finding>,
}

impl Findings {
    /// As JSON: `{"findings": [{"id", "rule", "activity" or "object", "subjects", "date",
    /// "norms": [{"id", "version_from"}], "decision", "severity"}, ...]}`, field names as in
    /// sphere's `sphere-findings/1`.
    pub fn to_json(&self) -> String {
        let mut s = String::from("{\n  \"format\": \"sphere-crepe-findings/1\",\n  \"findings\": [");
        for (i, f) in self.findings.iter().enumerate() {
            s.push_str(if i == 0 { "\n" } else { ",\n" });
            s.push_str("    {\"id\": ");
            s.push_str(&rt::json_string(&f.id));
            s.push_str(", \"rule\": ");
            s.push_str(&rt::json_string(f.rule));
            if let Some(a) = &f.activity {
                s.push_str(", \"activity\": ");
                s.push_str(&rt::json_string(a));
            }
            if let Some(o) = &f.object {
                s.push_str(", \"object\": ");
                s.push_str(&rt::json_string(o));
            }
            s.push_str(", \"subjects\": [");
            let subjects: Vec<String> = f.subjects.iter().map(|x| rt::json_string(x)).collect();
            s.push_str(&subjects.join(", "));
            s.push_str("], \"date\": ");
            s.push_str(&rt::json_string(&f.date.to_string()));
            s.push_str(", \"norms\": [");
            let norms: Vec<String> = f
                .norms
                .iter()
                .map(|n| {
                    format!(
                        "{{\"id\": {}, \"version_from\": {}}}",
                        rt::json_string(&n.id),
                        n.version_from
                            .map_or_else(|| "null".to_string(), |d| rt::json_string(&d.to_string()))
                    )
                })
                .collect();
            s.push_str(&norms.join(", "));
            s.push_str("], \"decision\": ");
            s.push_str(&rt::json_string(f.decision));
            s.push_str(", \"severity\": ");
            s.push_str(&rt::json_string(f.severity));
            s.push('}');
        }
        if !self.findings.is_empty() {
            s.push_str("\n  ");
        }
        s.push_str("]\n}\n");
        s
    }
}

/// The id sphere gives a finding: FNV-1a of rule, about, sorted subjects and norm versions.
pub fn finding_id(rule: &str, about: &str, subjects: &[String], norms: &[Norm]) -> String {
    let mut subjects = subjects.to_vec();
    subjects.sort();
    let mut key = format!("{rule}\u{0}{about}\u{0}{}\u{0}", subjects.join(","));
    for n in norms {
        key.push_str(&n.id);
        key.push('@');
        if let Some(d) = n.version_from {
            key.push_str(&d.to_string());
        }
        key.push(';');
    }
    format!("F-{}", rt::fnv_hex(key.as_bytes()))
}

/// The rule's annotation.
fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

"#;

const COLLECT_BODY: &str = r#"        let rule_id = text(rule);
        let Some(info) = rule_info(&rule_id) else {
            continue;
        };
        let about_text = text(about);
        let subject_text = text(subject);
        let subjects: Vec<String> = if subject_text.is_empty() {
            Vec::new()
        } else {
            vec![subject_text]
        };
        // The version of each cited norm in force on the date (along its replacement chain).
        let mut norms: Vec<Norm> = info
            .norms
            .iter()
            .filter_map(|chain| chain.iter().find(|(_, from, to)| *from <= date && date <= *to))
            .map(|(id, from, _)| Norm {
                id: id.to_string(),
                version_from: Some(Date(*from)),
            })
            .collect();
        if !info.cites.is_empty() {
            let mut filled: Vec<Vec<String>> = cites
                .get(&(info.id, about, subject, date))
                .map(|vs| {
                    vs.iter()
                        .map(|v| {
                            let values: Vec<String> = v.iter().map(|&s| text(s)).collect();
                            fill_all(info.cites, &values)
                        })
                        .collect()
                })
                .unwrap_or_default();
            filled.sort();
            filled.dedup();
            for ids in filled {
                for id in ids {
                    norms.push(Norm {
                        id,
                        version_from: None,
                    });
                }
            }
        }
        let is_activity = info.about_activity && status.contains_key(&Sym(about));
        let done = status
            .get(&Sym(about))
            .is_some_and(|s| symbols.resolve(*s) == "done");
        let decision = if info.decision == "block" && is_activity && done {
            "breach"
        } else {
            info.decision
        };
        let id = finding_id(info.id, &about_text, &subjects, &norms);
        out.push(Finding {
            id,
            rule: info.id,
            activity: is_activity.then(|| about_text.clone()),
            object: (!is_activity).then(|| about_text.clone()),
            subjects,
            date: Date(date),
            norms,
            decision,
            severity: info.severity,
        });
"#;

/// The package name of the crate made from the shipped knowledge base.
pub const KB_CRATE: &str = "sphere-kb-crepe";

/// The crate of the shipped knowledge base (`knowledge/` below `root`), join order planned
/// from the sample model of [`crate::sample_stats`]: what `crates/kb-crepe` holds, and what
/// `sphere kb export --crepe` writes for the shipped knowledge base but for the `[workspace]`
/// table of its manifest ([`Options::own_workspace`]).
pub fn kb_crate(root: &std::path::Path) -> Result<Vec<File>, String> {
    kb_crate_with(root, false)
}

/// What `sphere kb export --crepe` writes for the shipped knowledge base: [`kb_crate`] with
/// the `[workspace]` table, the rules on by default and a `Cargo.lock`.
pub fn kb_export(root: &std::path::Path) -> Result<Vec<File>, String> {
    kb_crate_with(root, true)
}

fn kb_crate_with(root: &std::path::Path, own_workspace: bool) -> Result<Vec<File>, String> {
    let sources = crate::kb_sources(root)?;
    let program = crate::program_of(&sources, "knowledge/")?;
    let mut stats = crate::sample_stats(&program)?;
    generate(
        &program,
        &sources,
        &mut stats,
        &Options {
            name: KB_CRATE.into(),
            source: "knowledge/".into(),
            own_workspace,
        },
    )
}
