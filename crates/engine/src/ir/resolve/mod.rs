//! From syntax trees to an [`ir::Program`](crate::ir::Program): names to indexes, constants
//! interned, columns and variables typed (see [`crate::ir::types`]), the legal annotations
//! lowered (see [`crate::ir::lower`]), safety checked, and the rules stratified
//! (see [`crate::ir::stratify`]).
//!
//! Every check runs and reports; a program is returned only if none of them found an error.
//!
//! Two modes. **Strict** (knowledge files): every relation is declared with `.decl`, columns
//! have their declared types, and a constant of the wrong type is an error. **Lenient**
//! (`sphere eval --json`, conformance programs): a relation used but declared nowhere exists
//! and is empty, column types are inferred from facts and use (a column with no typed use is
//! a symbol), a constant of the other type than its column in a rule makes that rule (or, in
//! a negation or `!=`, that literal) match nothing and it is dropped without an error, and the
//! last clause of a file may omit its final `.` (give each rule of the JSON `rules` list its
//! own entry in the [`SourceMap`]).

mod annotations;
mod build;
mod clauses;
mod declare;
mod external;
mod functions;
mod infer;
mod safety;

use rustc_hash::FxHashMap;

use crate::diag::{Code, Diagnostic, FileId, SourceMap, Span};
use crate::ir::legal::Catalogue;
use crate::ir::lower::{self, RuleAnnotation};
use crate::ir::types::{Origin, Slot, TypeTable};
use crate::ir::{Program, RelId};
use crate::lang::ast::{self, Clause, Item, Name};
use crate::lang::{parse, ParseOptions};
use crate::value::{Date, Interner, Type};

/// How to compile.
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// Lenient mode (see the module documentation).
    pub lenient: bool,
    /// Facts given from outside the program text.
    pub external: Vec<ExternalRelation>,
}

/// Facts given from outside the program text (the JSON of `sphere eval --json`, `.facts`
/// files): in lenient mode they also drive type inference and relations need no `.decl`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalRelation {
    pub name: String,
    pub rows: Vec<Vec<RawValue>>,
}

/// One value of an external row, before it is typed by its column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawValue {
    Str(String),
    Int(i64),
}

/// The result of [`compile`].
#[derive(Debug)]
pub struct Compiled {
    /// `None` iff some diagnostic is an error.
    pub program: Option<Program>,
    /// Every problem found, in source order (problems without a place last).
    pub diagnostics: Vec<Diagnostic>,
}

/// The most bytes of program text compiled at once (all files together): 4 MiB, twenty times
/// the shipped knowledge base. Compiling takes about a hundred times the text in memory, so a
/// program of ten megabytes would need more than a gigabyte; facts belong in `.facts` files
/// or the model, not in program text.
pub const MAX_PROGRAM_BYTES: usize = 4 << 20;

/// The most literals in the body of one rule: 1024. Planning a recursive rule plans one
/// semi-naive variant per recursive atom, each in time about linear in the body past
/// [`crate::ir::order::LARGE_BODY`] literals, so the bound keeps the planning of any rule
/// within seconds (the knowledge base's longest body has about ten).
pub const MAX_BODY_LITERALS: usize = 1024;

/// Compiles all files of `sources` as one program.
pub fn compile(sources: &SourceMap, opts: &CompileOptions) -> Compiled {
    if let Some(d) = too_large(sources) {
        return Compiled {
            program: None,
            diagnostics: vec![d],
        };
    }
    let mut diags = Vec::new();
    let parse_opts = ParseOptions {
        allow_missing_final_dot: opts.lenient,
    };
    let files: Vec<ast::File> = sources
        .files()
        .map(|(id, f)| parse(id, &f.text, parse_opts, &mut diags))
        .collect();
    let program = Resolver::new(opts).run(&files, &mut diags);
    diags.sort_by_key(|d| (d.span.is_none(), d.span.map(|s| (s.file, s.start, s.end))));
    let failed = diags.iter().any(|d| d.is_error());
    Compiled {
        program: (!failed).then_some(program),
        diagnostics: diags,
    }
}

/// The error for program text beyond [`MAX_PROGRAM_BYTES`], placed where the text crosses it
/// (nothing is parsed: the bound is what keeps compiling from exhausting memory).
fn too_large(sources: &SourceMap) -> Option<Diagnostic> {
    let total: usize = sources.files().map(|(_, f)| f.text.len()).sum();
    if total <= MAX_PROGRAM_BYTES {
        return None;
    }
    let mut before = 0;
    for (id, f) in sources.files() {
        if before + f.text.len() > MAX_PROGRAM_BYTES {
            let mut at = MAX_PROGRAM_BYTES - before;
            while !f.text.is_char_boundary(at) {
                at -= 1;
            }
            let end = f.text[at..]
                .chars()
                .next()
                .map_or(at, |c| at + c.len_utf8());
            return Some(
                Diagnostic::error(
                    Code::TooLarge,
                    Span::new(id, at..end),
                    format!(
                        "the program is {total} bytes long, more than the {MAX_PROGRAM_BYTES} bytes sphere compiles at once"
                    ),
                )
                .with_label(format!("byte {MAX_PROGRAM_BYTES} of the program"))
                .with_hint("put facts in `.facts` files (`sphere eval -F DIR`) or in the model, and keep rules in program text")
                .de(format!(
                    "das Programm ist {total} Bytes lang, mehr als die {MAX_PROGRAM_BYTES} Bytes, die sphere auf einmal übersetzt"
                ))
                .label_de(format!("Byte {MAX_PROGRAM_BYTES} des Programms"))
                .hint_de("Fakten in `.facts`-Dateien (`sphere eval -F DIR`) oder ins Modell legen und Regeln im Programmtext lassen"),
            );
        }
        before += f.text.len();
    }
    None
}

/// Kept here for the callers that found it here; it lives in [`crate::diag`].
pub use crate::diag::did_you_mean;

/// A span for things that have no place in the text (external facts, lenient relations that
/// only external facts mention). Never used as a diagnostic's span.
fn nowhere() -> Span {
    Span::new(FileId(0), 0..0)
}

struct RelInfo {
    name: String,
    columns: Vec<String>,
    slots: Vec<Slot>,
    input: bool,
    output: bool,
    generated: bool,
    /// Where it was declared, if it was.
    declared: Option<Span>,
    span: Span,
    doc: Option<String>,
}

#[derive(Clone, Debug)]
enum ConstVal {
    Str(String),
    Num(i64),
    Date(Date),
}

impl ConstVal {
    fn ty(&self) -> Type {
        match self {
            ConstVal::Str(_) => Type::Symbol,
            ConstVal::Num(_) => Type::Number,
            ConstVal::Date(_) => Type::Date,
        }
    }

    fn show(&self) -> String {
        match self {
            ConstVal::Str(s) => format!("{s:?}"),
            ConstVal::Num(n) => n.to_string(),
            ConstVal::Date(d) => d.to_string(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loc {
    Head,
    Lit(usize),
}

struct ConstUse {
    slot: Slot,
    value: ConstVal,
    span: Span,
    loc: Loc,
}

struct ClauseInfo {
    ast: Clause,
    generated: bool,
    /// Rule id (empty for facts).
    id: String,
    /// Index into `Resolver::annotations`.
    ann: Option<usize>,
    head_rel: RelId,
    lit_rels: Vec<Option<RelId>>,
    /// Variables by name with their type slot, in order of first occurrence.
    vars: Vec<(String, Slot)>,
    consts: Vec<ConstUse>,
    drop: bool,
    drop_lits: Vec<bool>,
}

impl ClauseInfo {
    fn is_fact(&self) -> bool {
        self.ast.body.is_empty()
    }
}

struct Resolver<'o> {
    opts: &'o CompileOptions,
    rels: Vec<RelInfo>,
    by_name: FxHashMap<String, RelId>,
    types: TypeTable,
    aliases: FxHashMap<String, (Name, Name)>,
    clauses: Vec<ClauseInfo>,
    annotations: Vec<(RuleAnnotation, usize)>,
    catalogue: Catalogue,
    interner: Interner,
    lowering: bool,
    /// Where each norm version's `replaced_by` is written, by version key.
    replaced_spans: FxHashMap<String, Span>,
    /// External relations by index into `opts.external`, with their resolved relation.
    external: Vec<(usize, RelId)>,
}

impl<'o> Resolver<'o> {
    fn new(opts: &'o CompileOptions) -> Self {
        Resolver {
            opts,
            rels: Vec::new(),
            by_name: FxHashMap::default(),
            types: TypeTable::default(),
            aliases: FxHashMap::default(),
            clauses: Vec::new(),
            annotations: Vec::new(),
            catalogue: Catalogue::default(),
            interner: Interner::new(),
            lowering: false,
            replaced_spans: FxHashMap::default(),
            external: Vec::new(),
        }
    }

    fn run(mut self, files: &[ast::File], diags: &mut Vec<Diagnostic>) -> Program {
        let items = || files.iter().flat_map(|f| f.items.iter());
        self.lowering = items().any(|i| match i {
            Item::Clause(c) => c.annotation.as_ref().is_some_and(|a| {
                a.fields
                    .iter()
                    .any(|f| f.key.text == "decision" || f.key.text == "exception_to")
            }),
            _ => false,
        });
        for item in items() {
            if let Item::TypeDef { name, base, .. } = item {
                if let Some((first, _)) = self.aliases.get(&name.text) {
                    diags.push(duplicate("type", &name.text, name.span, Some(first.span)));
                } else {
                    self.aliases
                        .insert(name.text.clone(), (name.clone(), base.clone()));
                }
            }
        }
        for item in items() {
            if let Item::Decl(d) = item {
                self.declare(d, diags);
            }
        }
        self.norms_and_authorities(files, diags);
        if self.lowering {
            for (name, cols) in lower::GENERATED {
                let id = self.add_relation(name, cols.len(), nowhere(), None);
                let rel = &mut self.rels[id.0 as usize];
                rel.generated = true;
                for (i, (cname, ty)) in cols.iter().enumerate() {
                    rel.columns[i] = cname.to_string();
                    let slot = rel.slots[i];
                    let _ = self.types.require(
                        slot,
                        *ty,
                        Origin {
                            span: None,
                            why: format!("column `{cname}` of `{name}`, made by sphere"),
                            why_de: format!(
                                "der Spalte `{cname}` von `{name}`, die sphere erzeugt"
                            ),
                            strong: true,
                        },
                    );
                }
            }
        }
        for item in items() {
            if let Item::Clause(c) = item {
                self.clause(c, diags);
            }
        }
        self.external_relations(diags);
        for item in items() {
            if let Item::Io { output, names, .. } = item {
                for n in names {
                    match self.lookup(n, None, diags) {
                        Some(id) if *output => self.rels[id.0 as usize].output = true,
                        Some(id) => self.rels[id.0 as usize].input = true,
                        None => {}
                    }
                }
            }
        }
        self.rule_ids();
        self.check_catalogue(diags);
        if self.lowering {
            self.generated_rules(diags);
        }
        self.infer(diags);
        self.build(diags)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn duplicate(what: &str, name: &str, span: Span, first: Option<Span>) -> Diagnostic {
    let mut d = Diagnostic::error(
        Code::DuplicateDeclaration,
        span,
        format!("{what} `{name}` is declared twice"),
    )
    .with_labels("declared again here", "hier erneut deklariert")
    .de(format!("{} `{name}` ist zweimal deklariert", what_de(what)));
    if let Some(f) = first {
        d = d.with_secondary(f, "first declared here");
    }
    d.with_hints(
        "remove one of the declarations, or rename one",
        "eine der Deklarationen entfernen oder umbenennen",
    )
}

/// What [`duplicate`] names, in German with its article.
fn what_de(what: &str) -> String {
    match what {
        "authority" => "die `.authority`".into(),
        "norm version" => "die Normfassung".into(),
        "relation" => "die Relation".into(),
        "column" => "die Spalte".into(),
        "type" => "der Typ".into(),
        _ => format!("`{what}`"),
    }
}

fn no_value(span: Span) -> Diagnostic {
    Diagnostic::error(Code::TypeMismatch, span, "this expression has no value")
        .with_labels(
            "e.g. a division by zero, a number beyond 64 bits or a date out of range",
            "z. B. eine Division durch null, eine Zahl jenseits von 64 Bit oder ein Datum außerhalb des Bereichs",
        )
        .de("dieser Ausdruck hat keinen Wert")
}

/// "in column `c` of `r`", in English and German.
fn arg_what(rel: &RelInfo, i: usize) -> (String, String) {
    (
        format!("in column `{}` of `{}`", rel.columns[i], rel.name),
        format!("in der Spalte `{}` von `{}`", rel.columns[i], rel.name),
    )
}

#[cfg(test)]
mod tests;
