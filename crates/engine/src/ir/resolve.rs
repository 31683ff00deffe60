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

use rustc_hash::FxHashMap;

use crate::builtins;
use crate::diag::{Code, Diagnostic, FileId, SourceMap, Span};
use crate::ir::legal::{Catalogue, RuleKind, RuleMetaId};
use crate::ir::lower::{self, RuleAnnotation};
use crate::ir::types::{Origin, Slot, TypeTable};
use crate::ir::{
    Atom, Builtin, Cmp, CmpOp, Column, Expr, Fact, Head, Literal, Program, RelId, Relation, Rule,
    RuleIdx, Term, Var, VarInfo,
};
use crate::lang::ast::{self, AtomAst, Clause, ExprAst, ExprKind, Item, LiteralAst, Name};
use crate::lang::{parse, ParseOptions};
use crate::value::{Date, Interner, Type, Value};

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

/// Compiles all files of `sources` as one program.
pub fn compile(sources: &SourceMap, opts: &CompileOptions) -> Compiled {
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

/// The closest candidate within a small edit distance, for "did you mean" hints.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let max = (name.chars().count() / 3).max(1);
    candidates
        .filter(|c| *c != name)
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= max)
        .min()
        .map(|(_, c)| c.to_string())
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbouring characters (`tilte` is one step from `title`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

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

    // ----- declarations -------------------------------------------------------------------

    fn column_type(&self, ty: &Name, diags: &mut Vec<Diagnostic>) -> Option<Type> {
        let mut cur = ty.clone();
        for _ in 0..32 {
            match cur.text.as_str() {
                "symbol" => return Some(Type::Symbol),
                "number" | "unsigned" => return Some(Type::Number),
                "date" => return Some(Type::Date),
                "float" => {
                    diags.push(
                        Diagnostic::error(Code::TypeMismatch, ty.span, "`float` is not supported")
                            .with_label("unsupported type")
                            .with_hint("use `number` (64-bit integers)"),
                    );
                    return None;
                }
                _ => {}
            }
            match self.aliases.get(&cur.text) {
                Some((_, base)) => cur = base.clone(),
                None => break,
            }
        }
        let known = ["symbol", "number", "date"]
            .into_iter()
            .chain(self.aliases.keys().map(String::as_str));
        let mut d = Diagnostic::error(
            Code::UnknownReference,
            ty.span,
            format!("unknown type `{}`", cur.text),
        )
        .with_label("no such type");
        d = match did_you_mean(&cur.text, known) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d.with_hint("column types are `symbol`, `number`, `date` or a `.type`"),
        };
        diags.push(d);
        None
    }

    fn add_relation(&mut self, name: &str, arity: usize, span: Span, doc: Option<String>) -> RelId {
        let id = RelId(self.rels.len() as u32);
        let slots = (0..arity).map(|_| self.types.fresh()).collect();
        self.rels.push(RelInfo {
            name: name.to_string(),
            columns: (1..=arity).map(|i| format!("c{i}")).collect(),
            slots,
            input: false,
            output: false,
            generated: false,
            declared: None,
            span,
            doc,
        });
        self.by_name.insert(name.to_string(), id);
        id
    }

    fn declare(&mut self, d: &ast::Decl, diags: &mut Vec<Diagnostic>) {
        if self.lowering && lower::is_reserved(&d.name.text) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateDeclaration,
                    d.name.span,
                    format!("`{}` is made by sphere and cannot be declared", d.name.text),
                )
                .with_label("reserved for the lowering of finding and exception rules")
                .with_hint("choose another name; `finding` and its helpers may be queried but not declared"),
            );
            return;
        }
        if let Some(&id) = self.by_name.get(&d.name.text) {
            diags.push(duplicate(
                "relation",
                &d.name.text,
                d.name.span,
                self.rels[id.0 as usize].declared,
            ));
            return;
        }
        let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
        for c in &d.columns {
            if let Some(first) = seen.insert(&c.name.text, c.name.span) {
                diags.push(duplicate("column", &c.name.text, c.name.span, Some(first)));
            }
        }
        let id = self.add_relation(&d.name.text, d.columns.len(), d.name.span, d.doc.clone());
        for (i, c) in d.columns.iter().enumerate() {
            let ty = self.column_type(&c.ty, diags);
            let rel = &mut self.rels[id.0 as usize];
            rel.columns[i] = c.name.text.clone();
            rel.declared = Some(d.name.span);
            let slot = rel.slots[i];
            if let Some(ty) = ty {
                let _ = self.types.require(
                    slot,
                    ty,
                    Origin {
                        span: Some(c.ty.span),
                        why: format!(
                            "the declaration of column `{}` of `{}`",
                            c.name.text, d.name.text
                        ),
                        strong: true,
                    },
                );
            }
        }
        self.rels[id.0 as usize].declared = Some(d.name.span);
    }

    /// The relation a name refers to; in lenient mode an unknown name with a known `arity` is
    /// created.
    fn lookup(
        &mut self,
        n: &Name,
        arity: Option<usize>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<RelId> {
        if let Some(&id) = self.by_name.get(&n.text) {
            return Some(id);
        }
        if self.opts.lenient {
            if let Some(arity) = arity {
                return Some(self.add_relation(&n.text, arity, n.span, None));
            }
        }
        let mut d = Diagnostic::error(
            Code::UnknownRelation,
            n.span,
            format!("unknown relation `{}`", n.text),
        )
        .with_label("not declared");
        let names: Vec<&str> = self
            .rels
            .iter()
            .filter(|r| !r.generated || r.name == lower::FINDING)
            .map(|r| r.name.as_str())
            .collect();
        d = match did_you_mean(&n.text, names.into_iter()) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d.with_hint(format!(
                "declare it with `.decl {}(...)` and the types of its columns",
                n.text
            )),
        };
        diags.push(d);
        None
    }

    // ----- the legal catalogue --------------------------------------------------------------

    fn norms_and_authorities(&mut self, files: &[ast::File], diags: &mut Vec<Diagnostic>) {
        let mut norms = Vec::new();
        let mut authorities: Vec<crate::ir::legal::Authority> = Vec::new();
        for item in files.iter().flat_map(|f| f.items.iter()) {
            match item {
                Item::Norm(b) => {
                    if let Some((n, span)) = lower::norm(b, diags) {
                        if let Some(span) = span {
                            self.replaced_spans.insert(n.key(), span);
                        }
                        norms.push(n);
                    }
                }
                Item::Authority(b) => {
                    if let Some(first) = authorities.iter().find(|a| a.id == b.id.text) {
                        diags.push(duplicate(
                            "authority",
                            &b.id.text,
                            b.id.span,
                            Some(first.span),
                        ));
                    } else if let Some(a) = lower::authority(b, diags) {
                        authorities.push(a);
                    }
                }
                _ => {}
            }
        }
        norms.sort_by(|a, b| (&a.id, a.from).cmp(&(&b.id, b.from)));
        let mut kept: Vec<crate::ir::legal::NormVersion> = Vec::new();
        for n in norms {
            if let Some(prev) = kept.last().filter(|p| p.id == n.id) {
                if prev.from == n.from {
                    diags.push(duplicate("norm version", &n.key(), n.span, Some(prev.span)));
                    continue;
                }
                if prev.to.is_none_or(|t| t >= n.from) {
                    diags.push(
                        Diagnostic::error(
                            Code::BadAnnotation,
                            n.span,
                            format!(
                                "versions of `{}` overlap: `{}` starts on {} while `{}` is still in force",
                                n.id,
                                n.key(),
                                n.from,
                                prev.key()
                            ),
                        )
                        .with_label("this version overlaps")
                        .with_secondary(prev.span, "the earlier version")
                        .with_hint("versions of one provision need disjoint intervals: give the earlier one a `to` before this `from`"),
                    );
                    continue;
                }
            }
            kept.push(n);
        }
        self.catalogue.norms = kept;
        authorities.sort_by(|a, b| a.id.cmp(&b.id));
        self.catalogue.authorities = authorities;
    }

    fn check_catalogue(&mut self, diags: &mut Vec<Diagnostic>) {
        let norms = &self.catalogue.norms;
        let unknown_norm = |r: &crate::ir::legal::NormRef, span: Span| {
            let ids: Vec<&str> = norms.iter().map(|n| n.id.as_str()).collect();
            let versions: Vec<String> = norms
                .iter()
                .filter(|n| n.id == r.id)
                .map(|n| n.key())
                .collect();
            match r.version {
                Some(v) if !versions.is_empty() => Diagnostic::error(
                    Code::UnknownNorm,
                    span,
                    format!("`{}` has no version starting on {v}", r.id),
                )
                .with_label("no such version")
                .with_hint(format!("declared versions: {}", versions.join(", "))),
                _ => {
                    let d = Diagnostic::error(
                        Code::UnknownNorm,
                        span,
                        format!("unknown norm `{}`", r.id),
                    )
                    .with_label("no `.norm` with this id");
                    match did_you_mean(&r.id, ids.into_iter()) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => {
                            d.with_hint(format!("declare it with `.norm \"{}\" {{ ... }}`", r.id))
                        }
                    }
                }
            }
        };
        for n in norms {
            if let Some(r) = &n.replaced_by {
                if lower::resolve_ref(norms, r).is_none() {
                    let span = self.replaced_spans.get(&n.key()).copied().unwrap_or(n.span);
                    diags.push(unknown_norm(r, span));
                }
            }
        }
        let rule_kinds: FxHashMap<&str, (&RuleKind, Span)> = self
            .annotations
            .iter()
            .map(|(a, _)| (a.meta.id.as_str(), (&a.meta.kind, a.meta.span)))
            .collect();
        for (a, _) in &self.annotations {
            for (r, span) in a.meta.norms.iter().zip(&a.norm_spans) {
                if lower::resolve_ref(norms, r).is_none() {
                    diags.push(unknown_norm(r, *span));
                }
            }
            for (name, span) in a.meta.authorities.iter().zip(&a.authority_spans) {
                if !self.catalogue.authorities.iter().any(|x| &x.id == name) {
                    let d = Diagnostic::error(
                        Code::UnknownReference,
                        *span,
                        format!("unknown authority `{name}`"),
                    )
                    .with_label("no `.authority` with this name");
                    let ids = self.catalogue.authorities.iter().map(|x| x.id.as_str());
                    diags.push(match did_you_mean(name, ids) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => {
                            d.with_hint(format!("declare it with `.authority {name} {{ ... }}`"))
                        }
                    });
                }
            }
            if let RuleKind::Exception { to, to_span } = &a.meta.kind {
                match rule_kinds.get(to.as_str()) {
                    Some((RuleKind::Finding { .. }, _)) => {}
                    Some((_, span)) => diags.push(
                        Diagnostic::error(
                            Code::BadAnnotation,
                            *to_span,
                            format!("`{to}` is not a finding rule"),
                        )
                        .with_label("an exception must point at a rule with a `decision`")
                        .with_secondary(*span, "declared here"),
                    ),
                    None => {
                        let d = Diagnostic::error(
                            Code::UnknownReference,
                            *to_span,
                            format!("unknown rule `{to}`"),
                        )
                        .with_label("no annotated rule with this id");
                        diags.push(match did_you_mean(to, rule_kinds.keys().copied()) {
                            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                            None => d.with_hint(
                                "`exception_to` names the id of a `.rule` with a `decision`",
                            ),
                        });
                    }
                }
            }
        }
        let windows: Vec<_> = self
            .annotations
            .iter()
            .map(|(a, _)| lower::window(norms, &a.meta))
            .collect();
        for ((a, _), w) in self.annotations.iter_mut().zip(windows) {
            a.meta.window = w;
        }
    }

    // ----- clauses ----------------------------------------------------------------------------

    fn clause(&mut self, c: &Clause, diags: &mut Vec<Diagnostic>) {
        let mut ast = c.clone();
        let mut ann_idx = None;
        if let Some(block) = &c.annotation {
            let head = (
                c.head.name.text.as_str(),
                c.head.name.span,
                c.head.args.len(),
            );
            let Some(ann) = lower::rule_annotation(block, head, diags) else {
                return;
            };
            if let Some((first, _)) = self
                .annotations
                .iter()
                .find(|(a, _)| a.meta.id == ann.meta.id)
            {
                diags.push(
                    Diagnostic::error(
                        Code::DuplicateRuleId,
                        block.id.span,
                        format!("rule id `{}` is used twice", ann.meta.id),
                    )
                    .with_label("second rule with this id")
                    .with_secondary(first.meta.span, "first used here")
                    .with_hint("rule ids are stable names used in findings and journals: give each rule its own"),
                );
                return;
            }
            let names = var_names(c);
            let cite_texts: Vec<&String> = ann.meta.cites.iter().collect();
            let texts = [&ann.meta.message, &ann.meta.remedy]
                .into_iter()
                .flatten()
                .flat_map(|t| [&t.en, &t.de])
                .chain(cite_texts);
            {
                for t in texts {
                    for p in lower::placeholders(t) {
                        if !names.iter().any(|n| n == p) {
                            diags.push(
                                Diagnostic::error(
                                    Code::BadAnnotation,
                                    block.id.span,
                                    format!("placeholder `{{{p}}}` names no variable of the rule"),
                                )
                                .with_label(format!("in the text of `.rule {}`", block.id.text))
                                .with_hint(format!(
                                    "the rule's variables are: {}",
                                    names.join(", ")
                                )),
                            );
                        }
                    }
                }
            }
            match &ann.meta.kind {
                RuleKind::Finding { .. } => lower_head(&mut ast, "finding_raw", &ann.meta.id),
                RuleKind::Exception { .. } => lower_head(&mut ast, "exception_raw", &ann.meta.id),
                RuleKind::Reasoning => {}
            }
            self.annotations.push((ann, self.clauses.len()));
            ann_idx = Some(self.annotations.len() - 1);
        } else if self.lowering && lower::is_reserved(&c.head.name.text) {
            let what = if c.head.name.text == lower::EXCEPTION {
                "an `exception_to`"
            } else {
                "a `decision`"
            };
            diags.push(
                Diagnostic::error(
                    Code::BadAnnotation,
                    c.head.name.span,
                    format!("`{}` is derived only by annotated rules", c.head.name.text),
                )
                .with_label("this rule has no `.rule` annotation")
                .with_hint(format!(
                    "put a `.rule <id> {{ ... }}` block with {what} before it"
                )),
            );
            return;
        }
        self.add_clause(ast, ann_idx, false, diags);
    }

    fn add_clause(
        &mut self,
        ast: Clause,
        ann: Option<usize>,
        generated: bool,
        diags: &mut Vec<Diagnostic>,
    ) {
        let mut ok = true;
        let head_rel = self.atom_rel(&ast.head, diags);
        ok &= head_rel.is_some();
        let mut lit_rels = Vec::new();
        for lit in &ast.body {
            match lit {
                LiteralAst::Atom(a) => {
                    let r = self.atom_rel(a, diags);
                    ok &= r.is_some();
                    lit_rels.push(r);
                }
                LiteralAst::Cmp { .. } => lit_rels.push(None),
            }
        }
        let (Some(head_rel), true) = (head_rel, ok) else {
            return;
        };
        let n = ast.body.len();
        self.clauses.push(ClauseInfo {
            ast,
            generated,
            id: String::new(),
            ann,
            head_rel,
            lit_rels,
            vars: Vec::new(),
            consts: Vec::new(),
            drop: false,
            drop_lits: vec![false; n],
        });
    }

    fn atom_rel(&mut self, a: &AtomAst, diags: &mut Vec<Diagnostic>) -> Option<RelId> {
        let id = self.lookup(&a.name, Some(a.args.len()), diags)?;
        let rel = &self.rels[id.0 as usize];
        if rel.slots.len() != a.args.len() {
            let mut d = Diagnostic::error(
                Code::ArityMismatch,
                a.span,
                format!(
                    "`{}` has {} column{}, but {} argument{} given here",
                    rel.name,
                    rel.slots.len(),
                    plural(rel.slots.len()),
                    a.args.len(),
                    if a.args.len() == 1 { " is" } else { "s are" }
                ),
            )
            .with_label(format!(
                "expected {} argument{}",
                rel.slots.len(),
                plural(rel.slots.len())
            ));
            if let Some(span) = rel
                .declared
                .or((!rel.generated && rel.span != nowhere()).then_some(rel.span))
            {
                let what = if rel.declared.is_some() {
                    "declared here"
                } else {
                    "first used here"
                };
                d = d.with_secondary(span, what);
            }
            d = d.with_hint(format!("`{}` takes ({})", rel.name, rel.columns.join(", ")));
            diags.push(d);
            return None;
        }
        Some(id)
    }

    fn external_relations(&mut self, diags: &mut Vec<Diagnostic>) {
        for (i, ext) in self.opts.external.iter().enumerate() {
            let id = match self.by_name.get(&ext.name) {
                Some(&id) => id,
                None if self.opts.lenient => {
                    let arity = ext.rows.first().map_or(0, Vec::len);
                    self.add_relation(&ext.name, arity, nowhere(), None)
                }
                None => {
                    diags.push(
                        Diagnostic::without_span(
                            Code::UnknownRelation,
                            format!("facts are given for `{}`, which is not declared", ext.name),
                        )
                        .with_hint(format!(
                            "declare it with `.decl {}(...)` and `.input {}`",
                            ext.name, ext.name
                        )),
                    );
                    continue;
                }
            };
            let arity = self.rels[id.0 as usize].slots.len();
            let mut ok = true;
            for (r, row) in ext.rows.iter().enumerate() {
                if row.len() != arity {
                    diags.push(
                        Diagnostic::without_span(
                            Code::ArityMismatch,
                            format!(
                                "{}: {} values, but `{}` has {} column{}",
                                self.external_place(&ext.name, r, None),
                                row.len(),
                                ext.name,
                                arity,
                                plural(arity)
                            ),
                        )
                        .with_hint(format!(
                            "`{}` takes ({})",
                            ext.name,
                            self.rels[id.0 as usize].columns.join(", ")
                        )),
                    );
                    ok = false;
                }
            }
            if ok {
                self.external.push((i, id));
            }
        }
    }

    fn external_place(&self, name: &str, row: usize, col: Option<usize>) -> String {
        match (self.opts.lenient, col) {
            (true, Some(c)) => format!("facts.{name}[{row}][{c}]"),
            (true, None) => format!("facts.{name}[{row}]"),
            (false, Some(c)) => format!("facts of `{name}`, row {}, column {}", row + 1, c + 1),
            (false, None) => format!("facts of `{name}`, row {}", row + 1),
        }
    }

    fn rule_ids(&mut self) {
        let mut counters: FxHashMap<RelId, usize> = FxHashMap::default();
        for c in &mut self.clauses {
            if c.is_fact() && c.ann.is_none() {
                continue;
            }
            c.id = match c.ann {
                Some(a) => self.annotations[a].0.meta.id.clone(),
                None if c.generated => format!("{}#lower", self.rels[c.head_rel.0 as usize].name),
                None => {
                    let n = counters.entry(c.head_rel).or_insert(0);
                    *n += 1;
                    format!("{}#{}", self.rels[c.head_rel.0 as usize].name, n)
                }
            };
        }
    }

    fn generated_rules(&mut self, diags: &mut Vec<Diagnostic>) {
        // Spans of generated rules point at the first finding rule's annotation, so that a
        // diagnostic through them (a negative cycle) lands on a real place.
        let anchor = self
            .annotations
            .first()
            .map(|(a, _)| a.meta.span)
            .unwrap_or_else(nowhere);
        let mut scratch = Vec::new();
        let file = parse(
            anchor.file,
            lower::GENERATED_RULES,
            ParseOptions::default(),
            &mut scratch,
        );
        debug_assert!(scratch.is_empty(), "generated rules parse: {scratch:?}");
        for item in file.items {
            if let Item::Clause(mut c) = item {
                respan_clause(&mut c, anchor);
                let before = self.clauses.len();
                self.add_clause(c, None, true, diags);
                if let Some(ci) = self.clauses.get_mut(before) {
                    ci.id = format!("{}#lower", self.rels[ci.head_rel.0 as usize].name);
                }
            }
        }
    }

    // ----- types ------------------------------------------------------------------------------

    fn infer(&mut self, diags: &mut Vec<Diagnostic>) {
        let mut ordered = Vec::new();
        // Structure first: variables, columns, arithmetic and built-ins.
        for ci in 0..self.clauses.len() {
            let Resolver {
                clauses,
                types,
                rels,
                ..
            } = self;
            let c = &mut clauses[ci];
            let mut w = Walk {
                types,
                diags,
                vars: &mut c.vars,
                consts: &mut c.consts,
                ordered: &mut ordered,
                loc: Loc::Head,
                generated: c.generated,
            };
            for (i, arg) in c.ast.head.args.iter().enumerate() {
                let s = w.expr(arg);
                let col = rels[c.head_rel.0 as usize].slots[i];
                w.unify_at(s, col, arg.span, &arg_what(&rels[c.head_rel.0 as usize], i));
            }
            for (li, lit) in c.ast.body.iter().enumerate() {
                w.loc = Loc::Lit(li);
                match lit {
                    LiteralAst::Atom(a) => {
                        let Some(rel) = c.lit_rels[li] else { continue };
                        for (i, arg) in a.args.iter().enumerate() {
                            let s = w.expr(arg);
                            let col = rels[rel.0 as usize].slots[i];
                            w.unify_at(s, col, arg.span, &arg_what(&rels[rel.0 as usize], i));
                        }
                    }
                    LiteralAst::Cmp { op, lhs, rhs, .. } => {
                        let l = w.expr(lhs);
                        let r = w.expr(rhs);
                        w.unify_at(
                            r,
                            l,
                            rhs.span,
                            &format!("on the right of `{}`, as on its left", op.symbol()),
                        );
                    }
                }
            }
        }
        // Then the facts of the program text and from outside.
        for ci in 0..self.clauses.len() {
            if self.clauses[ci].is_fact() {
                self.apply_consts(ci, true, diags);
            }
        }
        for ei in 0..self.external.len() {
            let (i, id) = self.external[ei];
            let ext = &self.opts.external[i];
            for (r, row) in ext.rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    let slot = self.rels[id.0 as usize].slots[c];
                    let found = match v {
                        RawValue::Int(_) => Type::Number,
                        RawValue::Str(_) => Type::Symbol,
                    };
                    match self.types.get(slot) {
                        None => {
                            let origin = Origin {
                                span: None,
                                why: format!(
                                    "a {found} in {}",
                                    self.external_place(&ext.name, r, Some(c))
                                ),
                                strong: false,
                            };
                            let _ = self.types.require(slot, found, origin);
                        }
                        Some(t) => {
                            if !raw_fits(v, t, self.opts.lenient) {
                                diags.push(
                                    Diagnostic::without_span(
                                        Code::TypeMismatch,
                                        format!(
                                            "{}: expected a {t}, found {}",
                                            self.external_place(&ext.name, r, Some(c)),
                                            match v {
                                                RawValue::Int(n) => format!("the number {n}"),
                                                RawValue::Str(s) => format!("the string {s:?}"),
                                            }
                                        ),
                                    )
                                    .with_hint(format!(
                                        "column `{}` of `{}` is a {t}",
                                        self.rels[id.0 as usize].columns[c], ext.name
                                    )),
                                );
                            }
                        }
                    }
                }
            }
        }
        // Last the constants of rules, which in lenient mode may not force a type.
        for ci in 0..self.clauses.len() {
            if !self.clauses[ci].is_fact() {
                self.apply_consts(ci, false, diags);
            }
        }
        // `min` and `max` of values nothing else types are numbers.
        for (slot, span, f) in ordered {
            let origin = Origin {
                span: Some(span),
                why: format!("the result of `{f}`"),
                strong: false,
            };
            if self.types.get(slot).is_none() {
                let _ = self.types.require(slot, Type::Number, origin);
            } else if self.types.get(slot) == Some(Type::Symbol) {
                diags.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        span,
                        format!("`{f}` compares numbers or dates, not symbols"),
                    )
                    .with_label("the arguments here are symbols")
                    .with_hint("compare texts with `<` or `>` in a comparison instead"),
                );
            }
        }
    }

    fn apply_consts(&mut self, ci: usize, fact: bool, diags: &mut Vec<Diagnostic>) {
        let lenient = self.opts.lenient;
        let Resolver { clauses, types, .. } = self;
        let c = &mut clauses[ci];
        for k in &c.consts {
            let found = k.value.ty();
            let origin = Origin {
                span: Some(k.span),
                why: format!("the constant {}", k.value.show()),
                strong: false,
            };
            let Some(have) = types.get(k.slot) else {
                let _ = types.require(k.slot, found, origin);
                continue;
            };
            if have == found || (lenient && coercible(&k.value, have)) {
                continue;
            }
            if lenient && !fact {
                // Matches nothing: drop the rule, or a literal whose failure cannot matter.
                match k.loc {
                    Loc::Lit(li) => match &c.ast.body[li] {
                        LiteralAst::Atom(a) if a.negated => c.drop_lits[li] = true,
                        LiteralAst::Cmp { op: CmpOp::Ne, .. } => c.drop_lits[li] = true,
                        _ => c.drop = true,
                    },
                    Loc::Head => c.drop = true,
                }
                continue;
            }
            let origin = types.origin(k.slot);
            let mut d = Diagnostic::error(
                Code::TypeMismatch,
                k.span,
                format!(
                    "type mismatch: expected a {have}, found the {found} {}",
                    k.value.show()
                ),
            )
            .with_label(format!("this is a {found}"));
            if let Some(o) = origin {
                if let Some(s) = o.span {
                    d = d.with_secondary(s, format!("{have} because of {}", o.why));
                } else {
                    d = d.with_note(format!("{have} because of {}", o.why));
                }
            }
            d = match (found, have) {
                (Type::Symbol, Type::Date) => {
                    d.with_hint("write dates bare, without quotes: `2024-05-14`")
                }
                (Type::Date, Type::Symbol) => {
                    d.with_hint("to compare with a text, quote it: `\"2024-05-14\"`")
                }
                (Type::Symbol, Type::Number) => d.with_hint("numbers are written without quotes"),
                _ => d,
            };
            diags.push(d);
        }
    }

    // ----- building the program -------------------------------------------------------------

    fn build(mut self, diags: &mut Vec<Diagnostic>) -> Program {
        let mut program = Program::default();
        let mut column_types = Vec::new();
        for r in &self.rels {
            let cols: Vec<Column> = r
                .columns
                .iter()
                .zip(&r.slots)
                .map(|(name, &s)| Column {
                    name: name.clone(),
                    ty: self.types.get(s).unwrap_or(Type::Symbol),
                })
                .collect();
            column_types.push(cols.iter().map(|c| c.ty).collect::<Vec<_>>());
            program.relations.push(Relation {
                name: r.name.clone(),
                columns: cols,
                input: r.input,
                output: r.output,
                generated: r.generated,
                span: r.span,
                doc: r.doc.clone(),
            });
        }
        let mut rule_of_ann = vec![None; self.annotations.len()];
        for ci in 0..self.clauses.len() {
            if self.clauses[ci].drop {
                continue;
            }
            if self.clauses[ci].is_fact() {
                if let Some(f) = self.build_fact(ci, diags) {
                    program.facts.push(f);
                }
                continue;
            }
            if let Some(rule) = self.build_rule(ci, &column_types, diags) {
                if let Some(a) = self.clauses[ci].ann {
                    rule_of_ann[a] = Some(RuleIdx(program.rules.len() as u32));
                }
                program.rules.push(rule);
            }
        }
        for &(i, id) in &self.external {
            for row in &self.opts.external[i].rows {
                let values: Option<Vec<Value>> = row
                    .iter()
                    .zip(&column_types[id.0 as usize])
                    .map(|(v, &t)| raw_value(v, t, self.opts.lenient, &mut self.interner))
                    .collect();
                if let Some(values) = values {
                    program.facts.push(Fact {
                        rel: id,
                        values,
                        span: nowhere(),
                    });
                }
            }
        }
        // The legal catalogue and its generated facts.
        let mut metas = Vec::new();
        for (ai, (ann, _)) in self.annotations.drain(..).enumerate() {
            let mut meta = ann.meta;
            meta.rule = rule_of_ann[ai];
            if let Some(idx) = meta.rule {
                program.rules[idx.0 as usize].meta = Some(RuleMetaId(metas.len() as u32));
            }
            metas.push(meta);
        }
        if self.lowering {
            let window_rel = self.by_name["rule_window"];
            let exception_of = self.by_name["exception_of"];
            for m in &metas {
                let rule = Value::Sym(self.interner.intern(&m.id));
                match &m.kind {
                    RuleKind::Finding { .. } | RuleKind::Exception { .. } => {
                        for (from, to) in &m.window {
                            program.facts.push(Fact {
                                rel: window_rel,
                                values: vec![
                                    rule,
                                    Value::Date(*from),
                                    Value::Date(to.unwrap_or(Date::MAX)),
                                ],
                                span: m.span,
                            });
                        }
                    }
                    RuleKind::Reasoning => {}
                }
                if let RuleKind::Exception { to, .. } = &m.kind {
                    let to = Value::Sym(self.interner.intern(to));
                    program.facts.push(Fact {
                        rel: exception_of,
                        values: vec![rule, to],
                        span: m.span,
                    });
                }
            }
        }
        self.catalogue.rule_meta = metas;
        program.legal = std::mem::take(&mut self.catalogue);
        program.interner = std::mem::take(&mut self.interner);
        if !diags.iter().any(|d| d.is_error()) {
            match crate::ir::stratify::stratify(&program) {
                Ok(strata) => program.strata = strata,
                Err(ds) => diags.extend(ds),
            }
        }
        program
    }

    fn const_value(&mut self, ci: usize, k: usize) -> Value {
        let c = &self.clauses[ci];
        let Some(cu) = c.consts.get(k) else {
            return Value::Num(0);
        };
        let ty = self.types.get(cu.slot).unwrap_or(cu.value.ty());
        const_to_value(&cu.value, ty, &mut self.interner).unwrap_or(Value::Num(0))
    }

    fn build_fact(&mut self, ci: usize, diags: &mut Vec<Diagnostic>) -> Option<Fact> {
        let head = self.clauses[ci].ast.head.clone();
        let mut k = 0;
        let mut values = Vec::new();
        let mut ok = true;
        for arg in &head.args {
            match self.fold(ci, arg, &mut k, diags) {
                Some(v) => values.push(v),
                None => ok = false,
            }
        }
        ok.then(|| Fact {
            rel: self.clauses[ci].head_rel,
            values,
            span: head.span,
        })
    }

    /// Evaluates a constant expression of a fact.
    fn fold(
        &mut self,
        ci: usize,
        e: &ExprAst,
        k: &mut usize,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Value> {
        match &e.kind {
            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Date(_) => {
                let v = self.const_value(ci, *k);
                *k += 1;
                Some(v)
            }
            ExprKind::Var(name) => {
                diags.push(
                    Diagnostic::error(
                        Code::UnboundVariable,
                        e.span,
                        format!("a fact cannot contain the variable `{name}`"),
                    )
                    .with_label("variable in a fact")
                    .with_hint("facts are ground: write a constant, or turn it into a rule with `:-` and a body that binds the variable"),
                );
                None
            }
            ExprKind::Wildcard => {
                diags.push(
                    Diagnostic::error(Code::WildcardInHead, e.span, "`_` in a fact")
                        .with_label("a fact needs a value here")
                        .with_hint("write the value; `_` only means \"any value\" in a rule body"),
                );
                None
            }
            ExprKind::Binary(op, a, b) => {
                let a = self.fold(ci, a, k, diags);
                let b = self.fold(ci, b, k, diags);
                match (a?, b?) {
                    (Value::Num(x), Value::Num(y)) => match builtins::binary(*op, x, y) {
                        Some(n) => Some(Value::Num(n)),
                        None => {
                            diags.push(no_value(e.span));
                            None
                        }
                    },
                    _ => None,
                }
            }
            ExprKind::Neg(a) => match self.fold(ci, a, k, diags)? {
                Value::Num(x) => Some(Value::Num(x.wrapping_neg())),
                _ => None,
            },
            ExprKind::Call(name, args) => {
                let mut vals = Vec::new();
                for a in args {
                    vals.push(self.fold(ci, a, k, diags));
                }
                let vals: Vec<Value> = vals.into_iter().collect::<Option<_>>()?;
                let (f, _) = builtin(&name.text)?;
                let v = fold_call(f, &vals, &mut self.interner);
                if v.is_none() {
                    diags.push(no_value(e.span));
                }
                v
            }
        }
    }

    fn build_rule(
        &mut self,
        ci: usize,
        column_types: &[Vec<Type>],
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Rule> {
        let ast = self.clauses[ci].ast.clone();
        let generated = self.clauses[ci].generated;
        let mut b = RuleBuilder {
            vars: Vec::new(),
            by_name: FxHashMap::default(),
            occs: Vec::new(),
            k: 0,
            temps: 0,
            errors: false,
        };
        let var_types: FxHashMap<String, Type> = {
            let c = &self.clauses[ci];
            c.vars
                .iter()
                .map(|(n, s)| (n.clone(), self.types.get(*s).unwrap_or(Type::Symbol)))
                .collect()
        };
        // Head.
        let mut head_args = Vec::new();
        for arg in &ast.head.args {
            if let ExprKind::Wildcard = arg.kind {
                diags.push(
                    Diagnostic::error(Code::WildcardInHead, arg.span, "`_` in the head of a rule")
                        .with_label("the head needs a value here")
                        .with_hint("use a variable bound in the body, or a constant"),
                );
                b.errors = true;
                head_args.push(Expr::Const(Value::Num(0)));
                continue;
            }
            head_args.push(self.lower_expr(
                ci,
                arg,
                Occ::Head,
                &mut b,
                &var_types,
                generated,
                diags,
            ));
        }
        // Body, in source order; expression arguments of atoms become fresh variables.
        let mut body = Vec::new();
        for (li, lit) in ast.body.iter().enumerate() {
            let mut lowered = Vec::new();
            match lit {
                LiteralAst::Atom(a) => {
                    let rel =
                        self.clauses[ci].lit_rels[li].expect("atoms of kept clauses are resolved");
                    let mut args = Vec::new();
                    let mut pre = Vec::new();
                    let mut post = Vec::new();
                    for (i, arg) in a.args.iter().enumerate() {
                        let occ = if a.negated { Occ::Neg } else { Occ::Pos };
                        let term = match &arg.kind {
                            ExprKind::Var(name) => {
                                Term::Var(b.var(name, arg.span, occ, &var_types, generated))
                            }
                            ExprKind::Wildcard => Term::Wildcard,
                            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Date(_) => {
                                let v = self.const_value(ci, b.k);
                                b.k += 1;
                                Term::Const(v)
                            }
                            _ => {
                                let occ = if a.negated { Occ::Neg } else { Occ::PosExpr };
                                let e = self
                                    .lower_expr(ci, arg, occ, &mut b, &var_types, generated, diags);
                                b.temps += 1;
                                let t = b.fresh(
                                    format!("$t{}", b.temps),
                                    column_types[rel.0 as usize][i],
                                    a.negated,
                                    arg.span,
                                );
                                let cmp = Literal::Cmp(Cmp {
                                    op: CmpOp::Eq,
                                    lhs: Expr::Var(t),
                                    rhs: e,
                                    binds: None,
                                    span: arg.span,
                                });
                                if a.negated {
                                    pre.push(cmp);
                                } else {
                                    post.push(cmp);
                                }
                                Term::Var(t)
                            }
                        };
                        args.push(term);
                    }
                    lowered.extend(pre);
                    lowered.push(Literal::Atom(Atom {
                        rel,
                        args,
                        negated: a.negated,
                        span: a.span,
                    }));
                    lowered.extend(post);
                }
                LiteralAst::Cmp { op, lhs, rhs, span } => {
                    let l =
                        self.lower_expr(ci, lhs, Occ::Cmp, &mut b, &var_types, generated, diags);
                    let r =
                        self.lower_expr(ci, rhs, Occ::Cmp, &mut b, &var_types, generated, diags);
                    lowered.push(Literal::Cmp(Cmp {
                        op: *op,
                        lhs: l,
                        rhs: r,
                        binds: None,
                        span: *span,
                    }));
                }
            }
            if !self.clauses[ci].drop_lits[li] {
                body.extend(lowered);
            }
        }
        b.check_safety(&mut body, diags);
        if b.errors {
            return None;
        }
        let c = &self.clauses[ci];
        Some(Rule {
            id: c.id.clone(),
            head: Head {
                rel: c.head_rel,
                args: head_args,
                span: ast.head.span,
            },
            body,
            vars: b.vars,
            meta: None,
            span: ast.span,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn lower_expr(
        &mut self,
        ci: usize,
        e: &ExprAst,
        occ: Occ,
        b: &mut RuleBuilder,
        var_types: &FxHashMap<String, Type>,
        generated: bool,
        diags: &mut Vec<Diagnostic>,
    ) -> Expr {
        match &e.kind {
            ExprKind::Var(name) => Expr::Var(b.var(name, e.span, occ, var_types, generated)),
            ExprKind::Wildcard => {
                diags.push(
                    Diagnostic::error(
                        Code::UnboundVariable,
                        e.span,
                        "`_` cannot be used in a comparison or an expression",
                    )
                    .with_label("`_` has no value to compute with")
                    .with_hint("use a variable bound by a positive atom"),
                );
                b.errors = true;
                Expr::Const(Value::Num(0))
            }
            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Date(_) => {
                let v = self.const_value(ci, b.k);
                b.k += 1;
                Expr::Const(v)
            }
            ExprKind::Binary(op, l, r) => {
                let l = self.lower_expr(ci, l, occ, b, var_types, generated, diags);
                let r = self.lower_expr(ci, r, occ, b, var_types, generated, diags);
                Expr::Binary(*op, Box::new(l), Box::new(r))
            }
            ExprKind::Neg(a) => {
                let a = self.lower_expr(ci, a, occ, b, var_types, generated, diags);
                Expr::Neg(Box::new(a))
            }
            ExprKind::Call(name, args) => {
                let args: Vec<Expr> = args
                    .iter()
                    .map(|a| self.lower_expr(ci, a, occ, b, var_types, generated, diags))
                    .collect();
                match builtin(&name.text) {
                    Some((f, Sig::Variadic(_))) => {
                        // `cat(a, b, c)` is `cat(cat(a, b), c)`; likewise `min` and `max`.
                        let mut it = args.into_iter();
                        let first = it.next().unwrap_or(Expr::Const(Value::Num(0)));
                        it.fold(first, |acc, x| Expr::Call(f, vec![acc, x]))
                    }
                    Some((f, _)) => Expr::Call(f, args),
                    None => {
                        b.errors = true;
                        Expr::Const(Value::Num(0))
                    }
                }
            }
        }
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
    .with_label("declared again here");
    if let Some(f) = first {
        d = d.with_secondary(f, "first declared here");
    }
    d.with_hint("remove one of the declarations, or rename one")
}

fn no_value(span: Span) -> Diagnostic {
    Diagnostic::error(Code::TypeMismatch, span, "this expression has no value")
        .with_label("e.g. a division by zero or a date out of range")
}

fn arg_what(rel: &RelInfo, i: usize) -> String {
    format!("in column `{}` of `{}`", rel.columns[i], rel.name)
}

fn var_names(c: &Clause) -> Vec<String> {
    fn walk(e: &ExprAst, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Var(n) if !out.contains(n) => out.push(n.clone()),
            ExprKind::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            ExprKind::Neg(a) => walk(a, out),
            ExprKind::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    c.head.args.iter().for_each(|a| walk(a, &mut out));
    for l in &c.body {
        match l {
            LiteralAst::Atom(a) => a.args.iter().for_each(|a| walk(a, &mut out)),
            LiteralAst::Cmp { lhs, rhs, .. } => {
                walk(lhs, &mut out);
                walk(rhs, &mut out);
            }
        }
    }
    out
}

/// Rewrites the head of a finding (exception) rule to `finding_raw("R", About, Subject, Date)`
/// and adds the window check of [`crate::ir::legal`].
fn lower_head(c: &mut Clause, to: &str, id: &str) {
    let span = c.head.name.span;
    let konst = |kind| ExprAst { kind, span };
    let mut args = std::mem::take(&mut c.head.args);
    if args.len() == 2 {
        args.insert(1, konst(ExprKind::Str(String::new())));
    }
    let date = args
        .last()
        .cloned()
        .unwrap_or_else(|| konst(ExprKind::Wildcard));
    args.insert(0, konst(ExprKind::Str(id.to_string())));
    c.head.args = args;
    c.head.name = Name {
        text: to.to_string(),
        span,
    };
    let var = |n: &str| konst(ExprKind::Var(n.to_string()));
    c.body.push(LiteralAst::Atom(AtomAst {
        name: Name {
            text: "rule_window".into(),
            span,
        },
        args: vec![
            konst(ExprKind::Str(id.to_string())),
            var("$from"),
            var("$to"),
        ],
        negated: false,
        span,
    }));
    c.body.push(LiteralAst::Cmp {
        op: CmpOp::Le,
        lhs: var("$from"),
        rhs: date.clone(),
        span,
    });
    c.body.push(LiteralAst::Cmp {
        op: CmpOp::Le,
        lhs: date,
        rhs: var("$to"),
        span,
    });
}

fn respan_clause(c: &mut Clause, span: Span) {
    fn expr(e: &mut ExprAst, span: Span) {
        e.span = span;
        match &mut e.kind {
            ExprKind::Binary(_, a, b) => {
                expr(a, span);
                expr(b, span);
            }
            ExprKind::Neg(a) => expr(a, span),
            ExprKind::Call(n, args) => {
                n.span = span;
                args.iter_mut().for_each(|a| expr(a, span));
            }
            _ => {}
        }
    }
    fn atom(a: &mut AtomAst, span: Span) {
        a.span = span;
        a.name.span = span;
        a.args.iter_mut().for_each(|e| expr(e, span));
    }
    c.span = span;
    atom(&mut c.head, span);
    for l in &mut c.body {
        match l {
            LiteralAst::Atom(a) => atom(a, span),
            LiteralAst::Cmp {
                lhs, rhs, span: s, ..
            } => {
                *s = span;
                expr(lhs, span);
                expr(rhs, span);
            }
        }
    }
}

/// Lenient mode only: a date-like string in a date column, a bare date in a symbol column.
fn coercible(v: &ConstVal, ty: Type) -> bool {
    match (v, ty) {
        (ConstVal::Str(s), Type::Date) => Date::parse(s).is_some(),
        (ConstVal::Date(_), Type::Symbol) => true,
        _ => false,
    }
}

fn const_to_value(v: &ConstVal, ty: Type, interner: &mut Interner) -> Option<Value> {
    Some(match (v, ty) {
        (ConstVal::Str(s), Type::Symbol) => Value::Sym(interner.intern(s)),
        (ConstVal::Str(s), Type::Date) => Value::Date(Date::parse(s)?),
        (ConstVal::Num(n), Type::Number) => Value::Num(*n),
        (ConstVal::Date(d), Type::Date) => Value::Date(*d),
        (ConstVal::Date(d), Type::Symbol) => Value::Sym(interner.intern(&d.to_string())),
        _ => return None,
    })
}

/// An external value in a column of type `ty`. Strict mode reads `.facts` text, so a string
/// may spell a number; lenient mode reads JSON, where a date is a string.
fn raw_value(v: &RawValue, ty: Type, lenient: bool, interner: &mut Interner) -> Option<Value> {
    Some(match (v, ty) {
        (RawValue::Str(s), Type::Symbol) => Value::Sym(interner.intern(s)),
        (RawValue::Str(s), Type::Date) => Value::Date(Date::parse(s.trim())?),
        (RawValue::Str(s), Type::Number) if !lenient => Value::Num(s.trim().parse().ok()?),
        (RawValue::Int(n), Type::Number) => Value::Num(*n),
        (RawValue::Int(n), Type::Symbol) if !lenient => Value::Sym(interner.intern(&n.to_string())),
        _ => return None,
    })
}

/// Whether [`raw_value`] has a value for `v` in a column of type `ty` (without interning).
fn raw_fits(v: &RawValue, ty: Type, lenient: bool) -> bool {
    match (v, ty) {
        (RawValue::Str(_), Type::Symbol) | (RawValue::Int(_), Type::Number) => true,
        (RawValue::Str(s), Type::Date) => Date::parse(s.trim()).is_some(),
        (RawValue::Str(s), Type::Number) => !lenient && s.trim().parse::<i64>().is_ok(),
        (RawValue::Int(_), Type::Symbol) => !lenient,
        (RawValue::Int(_), Type::Date) => false,
    }
}

fn fold_call(f: Builtin, args: &[Value], interner: &mut Interner) -> Option<Value> {
    match f {
        Builtin::Cat | Builtin::Min | Builtin::Max if args.len() > 2 => {
            let mut acc = args[0];
            for a in &args[1..] {
                acc = builtins::call(f, &[acc, *a], interner)?;
            }
            Some(acc)
        }
        _ => builtins::call(f, args, interner),
    }
}

#[derive(Clone, Copy, Debug)]
enum Sig {
    Fixed(&'static [Type], Type),
    /// At least two arguments of one type, the result of that type; `Some` fixes the type.
    Variadic(Option<Type>),
}

const FUNCTIONS: &[(&str, Builtin, Sig)] = &[
    (
        "@days_between",
        Builtin::DaysBetween,
        Sig::Fixed(&[Type::Date, Type::Date], Type::Number),
    ),
    (
        "@add_days",
        Builtin::AddDays,
        Sig::Fixed(&[Type::Date, Type::Number], Type::Date),
    ),
    (
        "@add_months",
        Builtin::AddMonths,
        Sig::Fixed(&[Type::Date, Type::Number], Type::Date),
    ),
    (
        "@year",
        Builtin::Year,
        Sig::Fixed(&[Type::Date], Type::Number),
    ),
    (
        "@date",
        Builtin::ParseDate,
        Sig::Fixed(&[Type::Symbol], Type::Date),
    ),
    ("cat", Builtin::Cat, Sig::Variadic(Some(Type::Symbol))),
    (
        "strlen",
        Builtin::Strlen,
        Sig::Fixed(&[Type::Symbol], Type::Number),
    ),
    ("min", Builtin::Min, Sig::Variadic(None)),
    ("max", Builtin::Max, Sig::Variadic(None)),
    (
        "to_number",
        Builtin::ToNumber,
        Sig::Fixed(&[Type::Symbol], Type::Number),
    ),
    (
        "to_string",
        Builtin::ToString,
        Sig::Fixed(&[Type::Number], Type::Symbol),
    ),
];

fn builtin(name: &str) -> Option<(Builtin, Sig)> {
    FUNCTIONS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, f, s)| (*f, *s))
}

/// Type inference over one clause.
struct Walk<'a> {
    types: &'a mut TypeTable,
    diags: &'a mut Vec<Diagnostic>,
    vars: &'a mut Vec<(String, Slot)>,
    consts: &'a mut Vec<ConstUse>,
    /// Results of `min` and `max`, which must come out numbers or dates.
    ordered: &'a mut Vec<(Slot, Span, String)>,
    loc: Loc,
    generated: bool,
}

impl Walk<'_> {
    fn var(&mut self, name: &str) -> Slot {
        if let Some((_, s)) = self.vars.iter().find(|(n, _)| n == name) {
            return *s;
        }
        let s = self.types.fresh();
        self.vars.push((name.to_string(), s));
        s
    }

    fn konst(&mut self, value: ConstVal, span: Span) -> Slot {
        let slot = self.types.fresh();
        self.consts.push(ConstUse {
            slot,
            value,
            span,
            loc: self.loc,
        });
        slot
    }

    /// `explained` is the type some earlier use gave the class, with the reason.
    fn mismatch(
        &mut self,
        span: Span,
        expected: Type,
        found: Type,
        explained: (Type, Origin),
        context: &str,
    ) {
        let mut d = Diagnostic::error(
            Code::TypeMismatch,
            span,
            format!("type mismatch: expected a {expected} {context}, found a {found}"),
        )
        .with_label(format!("this is a {found}"));
        let (t, o) = explained;
        match o.span {
            Some(s) if s != span => d = d.with_secondary(s, format!("{t} because of {}", o.why)),
            _ => d = d.with_note(format!("{t} because of {}", o.why)),
        }
        if self.generated {
            d = d.with_note("in a rule generated from the legal annotations");
        }
        self.diags.push(d);
    }

    /// `what` names the use, e.g. "an operand of `+`".
    fn need(&mut self, slot: Slot, ty: Type, span: Span, what: &str) {
        let origin = Origin {
            span: Some(span),
            why: what.to_string(),
            strong: false,
        };
        if let Err(c) = self.types.require(slot, ty, origin) {
            self.mismatch(span, ty, c.have, (c.have, c.origin), &format!("as {what}"));
        }
    }

    /// `b` holds the expected type; `context` completes "expected a T ...".
    fn unify_at(&mut self, a: Slot, b: Slot, span: Span, context: &str) {
        if let Err(c) = self.types.unify(a, b) {
            self.mismatch(span, c.have, c.want, (c.have, c.origin), context);
        }
    }

    fn expr(&mut self, e: &ExprAst) -> Slot {
        match &e.kind {
            ExprKind::Var(n) => self.var(n),
            ExprKind::Wildcard => self.types.fresh(),
            ExprKind::Str(s) => self.konst(ConstVal::Str(s.clone()), e.span),
            ExprKind::Num(n) => self.konst(ConstVal::Num(*n), e.span),
            ExprKind::Date(d) => self.konst(ConstVal::Date(*d), e.span),
            ExprKind::Binary(op, a, b) => {
                let what = format!("an operand of `{}`", op.symbol());
                let sa = self.expr(a);
                self.need(sa, Type::Number, a.span, &what);
                let sb = self.expr(b);
                self.need(sb, Type::Number, b.span, &what);
                self.result(
                    Type::Number,
                    e.span,
                    &format!("the result of `{}`", op.symbol()),
                )
            }
            ExprKind::Neg(a) => {
                let sa = self.expr(a);
                self.need(sa, Type::Number, a.span, "the operand of unary `-`");
                self.result(Type::Number, e.span, "the result of unary `-`")
            }
            ExprKind::Call(name, args) => {
                let slots: Vec<Slot> = args.iter().map(|a| self.expr(a)).collect();
                let Some((_, sig)) = builtin(&name.text) else {
                    let mut d = Diagnostic::error(
                        Code::UnknownReference,
                        name.span,
                        format!("unknown function `{}`", name.text),
                    )
                    .with_label("no such built-in");
                    d = match did_you_mean(&name.text, FUNCTIONS.iter().map(|f| f.0)) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => d.with_hint(format!(
                            "the functions are: {}",
                            FUNCTIONS.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
                        )),
                    };
                    self.diags.push(d);
                    return self.types.fresh();
                };
                let bad_count = match sig {
                    Sig::Fixed(params, _) => params.len() != args.len(),
                    Sig::Variadic(_) => args.len() < 2,
                };
                if bad_count {
                    let want = match sig {
                        Sig::Fixed(p, _) => format!("{} argument{}", p.len(), plural(p.len())),
                        Sig::Variadic(_) => "at least 2 arguments".into(),
                    };
                    self.diags.push(
                        Diagnostic::error(
                            Code::ArityMismatch,
                            e.span,
                            format!("`{}` takes {want}, but {} given", name.text, args.len()),
                        )
                        .with_label(format!("expected {want}")),
                    );
                    return self.types.fresh();
                }
                let what = |i: usize| format!("argument {} of `{}`", i + 1, name.text);
                match sig {
                    Sig::Fixed(params, ret) => {
                        for (i, (&s, &t)) in slots.iter().zip(params.iter()).enumerate() {
                            self.need(s, t, args[i].span, &what(i));
                        }
                        self.result(ret, e.span, &format!("the result of `{}`", name.text))
                    }
                    Sig::Variadic(ty) => {
                        let r = self.types.fresh();
                        if ty.is_none() {
                            self.ordered.push((r, e.span, name.text.clone()));
                        }
                        if let Some(t) = ty {
                            let _ = self.types.require(
                                r,
                                t,
                                Origin {
                                    span: Some(e.span),
                                    why: format!("the result of `{}`", name.text),
                                    strong: false,
                                },
                            );
                        }
                        for (i, &s) in slots.iter().enumerate() {
                            self.unify_at(s, r, args[i].span, &format!("as {}", what(i)));
                        }
                        r
                    }
                }
            }
        }
    }

    fn result(&mut self, ty: Type, span: Span, why: &str) -> Slot {
        let r = self.types.fresh();
        let _ = self.types.require(
            r,
            ty,
            Origin {
                span: Some(span),
                why: why.to_string(),
                strong: false,
            },
        );
        r
    }
}

/// Where a variable occurs, for the safety check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Occ {
    Head,
    /// A plain argument of a positive atom: binds.
    Pos,
    /// Inside an expression argument of a positive atom: does not bind.
    PosExpr,
    Neg,
    Cmp,
}

struct RuleBuilder {
    vars: Vec<VarInfo>,
    by_name: FxHashMap<String, Var>,
    occs: Vec<(Var, Span, Occ)>,
    /// Next constant of the clause (same order as in [`Walk`]).
    k: usize,
    temps: usize,
    errors: bool,
}

impl RuleBuilder {
    fn var(
        &mut self,
        name: &str,
        span: Span,
        occ: Occ,
        types: &FxHashMap<String, Type>,
        generated: bool,
    ) -> Var {
        let v = match self.by_name.get(name) {
            Some(&v) => v,
            None => {
                let v = Var(self.vars.len() as u32);
                let shown = if generated {
                    format!("${}", name.to_lowercase())
                } else {
                    name.to_string()
                };
                self.vars.push(VarInfo {
                    name: shown,
                    ty: types.get(name).copied().unwrap_or(Type::Symbol),
                });
                self.by_name.insert(name.to_string(), v);
                v
            }
        };
        self.occs.push((v, span, occ));
        v
    }

    /// A variable made by lowering an expression argument; bound by its atom unless negated.
    fn fresh(&mut self, name: String, ty: Type, negated: bool, span: Span) -> Var {
        let v = Var(self.vars.len() as u32);
        self.vars.push(VarInfo { name, ty });
        self.occs
            .push((v, span, if negated { Occ::Neg } else { Occ::Pos }));
        v
    }

    /// Range restriction: marks binding equalities and reports every variable nothing binds.
    fn check_safety(&mut self, body: &mut [Literal], diags: &mut Vec<Diagnostic>) {
        let mut bound = vec![false; self.vars.len()];
        for lit in body.iter() {
            if let Literal::Atom(a) = lit {
                if !a.negated {
                    for t in &a.args {
                        if let Term::Var(v) = t {
                            bound[v.0 as usize] = true;
                        }
                    }
                }
            }
        }
        loop {
            let mut changed = false;
            for lit in body.iter_mut() {
                let Literal::Cmp(c) = lit else { continue };
                if c.op != CmpOp::Eq || c.binds.is_some() {
                    continue;
                }
                let all_bound = |e: &Expr, bound: &[bool]| {
                    let mut ok = true;
                    expr_vars(e, &mut |v| ok &= bound[v.0 as usize]);
                    ok
                };
                let target = match (&c.lhs, &c.rhs) {
                    (Expr::Var(v), rhs) if !bound[v.0 as usize] && all_bound(rhs, &bound) => {
                        Some((*v, false))
                    }
                    (lhs, Expr::Var(v)) if !bound[v.0 as usize] && all_bound(lhs, &bound) => {
                        Some((*v, true))
                    }
                    _ => None,
                };
                let target = target.map(|(v, swap)| {
                    if swap {
                        std::mem::swap(&mut c.lhs, &mut c.rhs);
                    }
                    v
                });
                if let Some(v) = target {
                    bound[v.0 as usize] = true;
                    c.binds = Some(v);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (vi, info) in self.vars.iter().enumerate() {
            if bound[vi] {
                continue;
            }
            self.errors = true;
            let occs: Vec<&(Var, Span, Occ)> =
                self.occs.iter().filter(|o| o.0 .0 as usize == vi).collect();
            let name = &info.name;
            if let Some((_, span, _)) = occs.iter().find(|o| o.2 == Occ::Neg) {
                diags.push(
                    Diagnostic::error(
                        Code::UnsafeNegation,
                        *span,
                        format!("variable `{name}` occurs only in a negated atom"),
                    )
                    .with_label(format!("`{name}` is not bound by a positive atom"))
                    .with_hint(format!(
                        "bind `{name}` in a positive atom of the body, or write `_` if any value will do"
                    )),
                );
                continue;
            }
            let Some((_, span, occ)) = occs.first() else {
                continue;
            };
            let mut d = Diagnostic::error(
                Code::UnboundVariable,
                *span,
                match occ {
                    Occ::Head => format!("variable `{name}` in the head is not bound by the body"),
                    _ => format!("variable `{name}` is not bound"),
                },
            )
            .with_label(format!("`{name}` has no value here"))
            .with_hint(format!(
                "use `{name}` as an argument of a positive atom of the body, or bind it with `{name} = ...`"
            ));
            if occs.iter().any(|o| o.2 == Occ::PosExpr) {
                d = d.with_note(format!(
                    "an expression inside an atom, such as `f({name} - 1, X)`, does not bind `{name}`"
                ));
            }
            diags.push(d);
        }
    }
}

fn expr_vars(e: &Expr, f: &mut impl FnMut(Var)) {
    match e {
        Expr::Var(v) => f(*v),
        Expr::Const(_) => {}
        Expr::Binary(_, a, b) => {
            expr_vars(a, f);
            expr_vars(b, f);
        }
        Expr::Neg(a) => expr_vars(a, f),
        Expr::Call(_, args) => args.iter().for_each(|a| expr_vars(a, f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::dump::dump;

    fn run(text: &str, lenient: bool, external: Vec<ExternalRelation>) -> Compiled {
        let mut sources = SourceMap::new();
        sources.add("t.dl", text);
        compile(&sources, &CompileOptions { lenient, external })
    }

    fn codes(c: &Compiled) -> Vec<&'static str> {
        c.diagnostics.iter().map(|d| d.code.as_str()).collect()
    }

    fn ext(name: &str, rows: Vec<Vec<RawValue>>) -> ExternalRelation {
        ExternalRelation {
            name: name.into(),
            rows,
        }
    }

    #[test]
    fn lenient_external_facts_make_and_type_relations() {
        use RawValue::*;
        let c = run(
            "p(X, Y) :- e(X, Y), X < 3",
            true,
            vec![
                ext("e", vec![vec![Int(1), Str("a".into())]]),
                ext("empty", vec![]),
            ],
        );
        let p = c.program.expect("compiles");
        let out = dump(&p);
        assert!(out.contains("e(c1: number, c2: symbol)"), "{out}");
        assert!(out.contains("p(c1: number, c2: symbol)"), "{out}");
        assert!(out.contains("e(1, \"a\")."), "{out}");
        assert!(out.contains("empty()"), "{out}");
    }

    #[test]
    fn external_rows_of_the_wrong_shape_are_named_by_json_path() {
        use RawValue::*;
        let c = run(
            "p(X) :- e(X, _).",
            true,
            vec![ext(
                "e",
                vec![
                    vec![Int(1), Int(2)],
                    vec![Str("x".into()), Int(3)],
                    vec![Int(4)],
                ],
            )],
        );
        assert!(c.program.is_none());
        let msgs: Vec<&str> = c.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(codes(&c), vec!["arity_mismatch"], "{msgs:?}");
        assert!(msgs[0].starts_with("facts.e[2]"), "{msgs:?}");
        let c = run(
            "p(X) :- e(X, _).",
            true,
            vec![ext(
                "e",
                vec![vec![Int(1), Int(2)], vec![Str("x".into()), Int(3)]],
            )],
        );
        assert_eq!(codes(&c), vec!["type_mismatch"]);
        assert!(c.diagnostics[0]
            .message
            .starts_with("facts.e[1][0]: expected a number"));
    }

    #[test]
    fn strict_external_facts_read_text_by_column_type() {
        use RawValue::*;
        let text = ".decl e(n: number, d: date, s: symbol)\n.input e";
        let c = run(
            text,
            false,
            vec![ext(
                "e",
                vec![vec![Str("12".into()), Str("2024-05-14".into()), Int(7)]],
            )],
        );
        let out = dump(&c.program.expect("compiles"));
        assert!(out.contains("e(12, 2024-05-14, \"7\")."), "{out}");
        let c = run(text, false, vec![ext("f", vec![])]);
        assert_eq!(codes(&c), vec!["unknown_relation"]);
        let c = run(
            text,
            false,
            vec![ext(
                "e",
                vec![vec![Str("x".into()), Str("2024-05-14".into()), Int(7)]],
            )],
        );
        assert_eq!(codes(&c), vec!["type_mismatch"]);
    }

    #[test]
    fn unknown_relations_are_errors_only_in_strict_mode() {
        let text = ".decl p(x: number)\np(X) :- q(X).";
        assert_eq!(codes(&run(text, false, vec![])), vec!["unknown_relation"]);
        let c = run(text, true, vec![]);
        assert!(c.diagnostics.is_empty());
        assert!(dump(&c.program.expect("compiles")).contains("q(c1: number)"));
    }

    #[test]
    fn constant_of_the_other_type_is_an_error_in_strict_mode() {
        let text = ".decl e(x: number)\n.decl p(x: number)\np(X) :- e(X), X = \"a\".";
        assert_eq!(codes(&run(text, false, vec![])), vec!["type_mismatch"]);
        let c = run(text, true, vec![]);
        let p = c.program.expect("lenient drops the rule");
        assert!(p.rules.is_empty());
    }

    #[test]
    fn equalities_bind_and_atoms_with_expressions_do_not() {
        let c = run(
            ".decl e(x: number)\n.decl p(x: number, y: number)\np(X, Y) :- e(X), X + 1 = Y.\np(X, Y) :- e(X), !e(X + 1), Y = X.",
            false,
            vec![],
        );
        let p = c.program.expect("compiles");
        for r in &p.rules {
            let binds: Vec<_> = r
                .body
                .iter()
                .filter_map(|l| match l {
                    Literal::Cmp(c) => c.binds,
                    _ => None,
                })
                .collect();
            assert!(!binds.is_empty(), "{}", crate::ir::dump::rule(&p, r));
        }
        let out = dump(&p);
        // `X + 1 = Y` is turned around to bind `Y`; the negated `e(X + 1)` gets a fresh
        // variable bound before it.
        assert!(out.contains("Y := (X + 1)"), "{out}");
        assert!(out.contains("$t1 := (X + 1), !e($t1)"), "{out}");
        assert!(out.contains("[p#2]"), "{out}");
    }

    #[test]
    fn strata_put_negated_relations_first() {
        let c = run(
            "a(X) :- b(X), !c(X).\nc(X) :- d(X).\nb(X) :- d(X).\nd(1).",
            true,
            vec![],
        );
        let p = c.program.expect("compiles");
        let order: Vec<&str> = p
            .strata
            .iter()
            .map(|s| p.relation(s.relations[0]).name.as_str())
            .collect();
        let pos = |n: &str| order.iter().position(|x| *x == n).unwrap();
        assert!(pos("c") < pos("a") && pos("b") < pos("a"), "{order:?}");
        assert!(p.strata.iter().all(|s| !s.recursive));
    }

    #[test]
    fn min_and_max_order_numbers_and_dates_only() {
        let c = run("m(Z) :- a(X), b(Y), Z = min(X, Y).", true, vec![]);
        let out = dump(&c.program.expect("untyped arguments are numbers"));
        assert!(out.contains("a(c1: number)"), "{out}");
        let c = run(
            ".decl s(x: symbol)\n.decl m(x: symbol)\nm(Z) :- s(X), s(Y), Z = max(X, Y).",
            false,
            vec![],
        );
        assert_eq!(codes(&c), vec!["type_mismatch"]);
        let c = run(
            "m(Z) :- Z = max(2024-01-01, 2023-01-01, 2025-02-03).",
            true,
            vec![],
        );
        assert!(c.program.is_some(), "{:?}", c.diagnostics);
    }

    #[test]
    fn raw_fits_agrees_with_raw_value() {
        let values = [
            RawValue::Int(5),
            RawValue::Str("5".into()),
            RawValue::Str("x".into()),
            RawValue::Str("2024-05-14".into()),
        ];
        let mut interner = Interner::new();
        for v in &values {
            for ty in [Type::Symbol, Type::Number, Type::Date] {
                for lenient in [false, true] {
                    assert_eq!(
                        raw_fits(v, ty, lenient),
                        raw_value(v, ty, lenient, &mut interner).is_some(),
                        "{v:?} {ty} {lenient}"
                    );
                }
            }
        }
    }

    #[test]
    fn did_you_mean_uses_small_distances() {
        let names = ["path", "edge", "title"];
        assert_eq!(did_you_mean("pth", names.into_iter()), Some("path".into()));
        assert_eq!(
            did_you_mean("tilte", names.into_iter()),
            Some("title".into())
        );
        assert_eq!(did_you_mean("zzzz", names.into_iter()), None);
    }

    #[test]
    fn broken_input_never_panics() {
        for text in [
            "",
            ".",
            "(",
            "p(",
            ".decl",
            ".decl p(",
            ".rule",
            ".rule r {",
            ".rule r { norms: [",
            ".norm \"a:1\" { from: 2020-01-01, to: 2019-01-01 }",
            "p(X) :- (X",
            "p(X) :- q(X), (X < (1 + ",
            "p(1) :- !",
            "p() :- p(), !p().",
            "\"",
            "/* ",
            "p(\"\\",
            "@",
            "p(X) :- q(X), X = @date(\"2024-13-01\").",
            "p(9999999999999999999999).",
            "finding(A) :- q(A).",
            ".rule r { decision: block } p(X) :- q(X).",
            "p(X) :- q(X), X = cat(X).",
            "p(-) .",
            "ü(1).",
        ] {
            for lenient in [false, true] {
                let c = run(text, lenient, vec![]);
                let mut sources = SourceMap::new();
                sources.add("t.dl", text);
                let _ = crate::diag::render(&c.diagnostics, &sources, Default::default());
            }
        }
    }
}
