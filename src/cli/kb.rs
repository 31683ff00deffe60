//! `sphere kb`: tools for the knowledge base itself. `test` runs the rule tests beside the rules
//! and reports coverage, `check` compiles and prints every diagnostic, `lint` warns about gaps
//! (norms without source, untested rules, citations outside a rule's window, empty windows,
//! authorities nobody cites), `list` and `show` print the catalogue, `doc` writes
//! `docs/knowledge.md`, `export` writes the knowledge base and a model's facts for clingo or
//! Soufflé (see `crate::export`).
//!
//! All but `export` read the knowledge base from a directory (default `knowledge`), never the
//! shipped copy: they are for the people editing it. `export` takes the shipped one unless
//! `--kb` is given, as `sphere check` does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use sphere_engine::diag::{render, RenderOptions};
use sphere_engine::ir::legal::{
    AuthorityKind, Catalogue, NormRef, NormVersion, RuleKind, RuleMeta,
};
use sphere_engine::ir::lower::{chain_intervals, resolve_ref, window};
use sphere_engine::ir::resolve::did_you_mean;
use sphere_engine::ir::Program;
use sphere_engine::{compile, CompileOptions, Date, SourceMap, Span};

use super::check::{color_stderr, today};
use super::{exit, leave_to_exit, CliError, CmdResult};
use crate::kb;
use crate::kbtest::{self, Outcome, Problem, TestFile};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere kb test
  sphere kb test phone            # only tests whose file or name contains `phone`
  sphere kb check --kb knowledge
  sphere kb lint
  sphere kb list
  sphere kb show uwg:7.2.2
  sphere kb doc > docs/knowledge.md
  sphere kb export --clingo out/clingo facts/demo_week.json")]
pub struct Args {
    #[command(subcommand)]
    pub command: KbCommand,
}

#[derive(Subcommand, Debug)]
pub enum KbCommand {
    /// Run the rule tests (`*.test.json` beside the rules) and report coverage
    #[command(after_help = "Examples:
  sphere kb test
  sphere kb test uwg/phone
  sphere kb test --kb my-kb/knowledge --root my-kb

Exit 0 when every test passes and coverage is full (every finding and exception rule fires in
some test and is shown not firing in one, every norm is cited by a rule or `context_only`),
1 otherwise, 2 when a test file or the knowledge base has errors.")]
    Test(TestArgs),
    /// Compile the knowledge base and print every diagnostic
    #[command(after_help = "Example:\n  sphere kb check --kb knowledge")]
    Check(KbArgs),
    /// Warn about norms without source, untested rules, citations outside a rule's window,
    /// empty windows and authorities nobody cites
    #[command(after_help = "Example:\n  sphere kb lint")]
    Lint(LintArgs),
    /// List every annotated rule with its kind, norms and decision
    #[command(after_help = "Example:\n  sphere kb list")]
    List(KbArgs),
    /// Show every version of a norm and the rules that cite it
    #[command(after_help = "Examples:\n  sphere kb show uwg:7.2.2\n  sphere kb show gdpr:6")]
    Show(ShowArgs),
    /// Print the catalogue for humans (docs/knowledge.md) as Markdown
    #[command(after_help = "Example:\n  sphere kb doc > docs/knowledge.md")]
    Doc(KbArgs),
    /// Write the knowledge base and a model's facts in clingo's or Soufflé's syntax, to run
    /// them on an independent engine, or the knowledge base as a Rust crate of crepe programs
    #[command(after_help = "Examples:
  sphere kb export --clingo out/clingo facts/demo_week.json
  sphere kb export --souffle out/souffle facts/demo_week.json --answer
  sphere kb export --crepe out/law && cargo build --release --manifest-path out/law/Cargo.toml

clingo: DIR/program.lp and DIR/facts.lp; run `clingo DIR/program.lp DIR/facts.lp`.
Soufflé: DIR/program.dl and one tab-separated DIR/<rel>.facts per input relation; run
`souffle -F DIR -D OUT DIR/program.dl`. Symbols are strings, numbers and dates (days since
1970-01-01) 32-bit integers; built-in functions and arithmetic are precomputed into facts of
helper relations `fn_*` over the values their arguments can take. Every file is written
atomically. Exit 2 when the program or the facts cannot be written in the target's syntax.
crepe: a standalone Cargo crate (dependency: crepe) with `evaluate(&Facts) -> Findings` and a
binary that prints the findings of a `sphere facts` export as JSON; see DIR/README.md.")]
    Export(ExportArgs),
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["clingo", "souffle", "crepe"])))]
pub struct ExportArgs {
    /// Write clingo's syntax into DIR: program.lp and facts.lp
    #[arg(long, value_name = "DIR")]
    pub clingo: Option<PathBuf>,
    /// Write Soufflé's syntax into DIR: program.dl and one `<rel>.facts` per input relation
    #[arg(long, value_name = "DIR")]
    pub souffle: Option<PathBuf>,
    /// Write the rules as a standalone Cargo crate of crepe programs into DIR (no model: the
    /// crate reads a `sphere facts` export at run time); see its README.md
    #[arg(long, value_name = "DIR", conflicts_with_all = ["models", "facts", "as_of", "answer"])]
    pub crepe: Option<PathBuf>,
    /// Model files (merged into one model)
    pub models: Vec<PathBuf>,
    /// Read the facts from a `sphere-facts/1` export (written by `sphere facts`) instead of a model
    #[arg(long, value_name = "DIR")]
    pub facts: Option<PathBuf>,
    /// Evaluation date (overrides the model's `as_of`)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = super::check::parse_date)]
    pub as_of: Option<Date>,
    /// Read the knowledge base from this directory instead of the shipped one
    #[arg(long, value_name = "DIR")]
    pub kb: Option<PathBuf>,
    /// Extra rule files, exported with the knowledge base
    #[arg(long, value_name = "FILE.dl")]
    pub rules: Vec<PathBuf>,
    /// Also write sphere's own result (the interpreter's) for every relation the export shows:
    /// `answer.lp` (clingo) or `answer/<rel>.csv` (Soufflé), to compare with the other engine
    #[arg(long)]
    pub answer: bool,
}

#[derive(clap::Args, Debug)]
pub struct KbArgs {
    /// The knowledge base directory
    #[arg(long, value_name = "DIR", default_value = "knowledge")]
    pub kb: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// The knowledge base directory (rules and their `*.test.json`)
    #[arg(long, value_name = "DIR", default_value = "knowledge")]
    pub kb: PathBuf,
    /// Directory the tests' model paths are relative to (default: the parent of --kb)
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Run only tests whose file path or name contains this text (coverage is then not judged)
    pub filter: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct LintArgs {
    /// The knowledge base directory
    #[arg(long, value_name = "DIR", default_value = "knowledge")]
    pub kb: PathBuf,
    /// Exit 1 when there are warnings
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// A norm id (`uwg:7.2.2`), a version (`uwg:7.2.2@2008-12-30`) or a prefix (`gdpr:6`)
    pub norm: String,
    /// The knowledge base directory
    #[arg(long, value_name = "DIR", default_value = "knowledge")]
    pub kb: PathBuf,
}

pub fn run(args: Args) -> CmdResult {
    match args.command {
        KbCommand::Test(a) => test(a),
        KbCommand::Check(a) => check(a),
        KbCommand::Lint(a) => lint(a),
        KbCommand::List(a) => list(a),
        KbCommand::Show(a) => show(a),
        KbCommand::Doc(a) => doc(a),
        KbCommand::Export(a) => export(a),
    }
}

/// A compiled knowledge base read from a directory.
struct Loaded {
    dir: PathBuf,
    sources: SourceMap,
    /// Path below the knowledge directory of each file, by file id.
    rels: Vec<String>,
    program: Program,
}

impl Loaded {
    /// `knowledge/<rel>:line:col`, the same wherever the directory is.
    fn place(&self, span: Span) -> String {
        let (l, c) = self.sources.line_col(span.file, span.start);
        format!("knowledge/{}:{l}:{c}", self.rel(span))
    }

    fn rel(&self, span: Span) -> &str {
        self.rels
            .get(span.file.0 as usize)
            .map_or("?", String::as_str)
    }

    /// `file:line:col` as the user can open it (the path as given with --kb).
    fn location(&self, span: Span) -> String {
        self.sources.location(span)
    }

    fn legal(&self) -> &Catalogue {
        &self.program.legal
    }

    /// The test files below the knowledge directory, parsed.
    fn tests(&self) -> Result<Vec<TestFile>, CliError> {
        let paths = kbtest::discover(&self.dir).map_err(|e| {
            CliError::new(format!(
                "cannot read knowledge directory {}: {e}",
                self.dir.display()
            ))
        })?;
        kbtest::load(&paths).map_err(|problems| {
            eprint!("{}", render_problems(&problems));
            CliError::new("")
        })
    }

    /// A test file's path below the knowledge directory, as `knowledge/<rel>`.
    fn test_rel(&self, shown: &str) -> String {
        let p = Path::new(shown);
        let rel = p.strip_prefix(&self.dir).unwrap_or(p);
        format!("knowledge/{}", rel.to_string_lossy().replace('\\', "/"))
    }
}

/// Compiles the knowledge base; on errors prints the diagnostics and fails.
fn load(dir: &Path) -> Result<Loaded, CliError> {
    let (sources, rels, compiled) = compile_dir(dir)?;
    let color = color_stderr();
    match compiled.program {
        Some(program) => Ok(Loaded {
            dir: dir.to_path_buf(),
            sources,
            rels,
            program,
        }),
        None => {
            eprint!(
                "{}",
                render(&compiled.diagnostics, &sources, RenderOptions { color })
            );
            Err(CliError::new(""))
        }
    }
}

fn compile_dir(dir: &Path) -> Result<(SourceMap, Vec<String>, sphere_engine::Compiled), CliError> {
    let files = kb::sources(&kb::Origin::Dir(dir.to_path_buf())).map_err(|e| {
        CliError::new(e)
            .with_hint("give the knowledge directory with --kb DIR (default `knowledge`)")
    })?;
    let mut sources = SourceMap::new();
    let mut rels = Vec::new();
    for f in files {
        sources.add(f.name, f.text);
        rels.push(f.rel);
    }
    let compiled = compile(&sources, &CompileOptions::default());
    Ok((sources, rels, compiled))
}

fn write_out(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::new(format!("cannot write to stdout: {e}")))
}

fn render_problems(problems: &[Problem]) -> String {
    let mut s = String::new();
    for p in problems {
        let _ = writeln!(s, "error: {}: {}: {}", p.file, p.place, p.message);
        if let Some(h) = &p.hint {
            let _ = writeln!(s, "  hint: {h}");
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// kb export

fn export(args: ExportArgs) -> CmdResult {
    use crate::export::{self, Target};
    use crate::session::{Request, Session};
    use sphere_engine::Value;

    if let Some(dir) = &args.crepe {
        return export_crepe(&args, dir);
    }
    let (target, dir) = match (&args.clingo, &args.souffle) {
        (Some(d), None) => (Target::Clingo, d.clone()),
        (None, Some(d)) => (Target::Souffle, d.clone()),
        _ => unreachable!("clap requires exactly one of --clingo and --souffle"),
    };
    let request = Request {
        models: args.models.clone(),
        facts_dir: args.facts.clone(),
        as_of: args.as_of,
        kb: args.kb.clone().map_or(kb::Origin::Shipped, kb::Origin::Dir),
        rules: args.rules.clone(),
        assume: Vec::new(),
        today: today(),
        color: color_stderr(),
    };
    let session = Session::load(&request).map_err(|f| {
        eprint!("{}", f.rendered);
        CliError::new("")
    })?;
    let program = &session.program;
    let mut interner = program.interner.clone();
    let mut facts = Vec::new();
    for (name, rows) in &session.facts.relations {
        let Some(rel) = program.relation_by_name(name) else {
            continue;
        };
        let cols = &program.relation(rel).columns;
        for (vals, origin) in rows {
            let values: Vec<Value> = vals
                .iter()
                .map(|v| v.value(|s| interner.intern(s)))
                .collect();
            let fits =
                cols.len() == values.len() && cols.iter().zip(&values).all(|(c, v)| c.ty == v.ty());
            if !fits {
                return Err(CliError::new(format!(
                    "fact {name} from {} {} does not fit the declaration of `{name}` in the knowledge base",
                    origin.file, origin.path
                )));
            }
            facts.push((rel, values));
        }
    }
    let fail = |e: export::Error| {
        let err = CliError::new(format!(
            "cannot export for {}: {}",
            target.name(),
            e.message
        ));
        match e.hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    };
    let written = export::export(program, &mut interner, &facts, target).map_err(fail)?;
    let mut files = written.files;
    if args.answer {
        let (ev, _) = session.evaluate().map_err(CliError::new)?;
        files.extend(export::answer(&ev, target).map_err(fail)?);
    }
    export::write_files(&dir, &files).map_err(|e| {
        CliError::new(e).with_hint("give a directory you can write to (it is created if missing)")
    })?;
    let helpers: Vec<String> = written
        .helpers
        .iter()
        .map(|(name, n)| format!("{name}: {n}"))
        .collect();
    eprintln!(
        "wrote {} rules and {} facts for {} to {}{}",
        written.rules,
        written.facts,
        target.name(),
        dir.display(),
        if helpers.is_empty() {
            String::new()
        } else {
            format!(" (precomputed {})", helpers.join(", "))
        }
    );
    leave_to_exit(facts);
    leave_to_exit(session);
    Ok(exit::OK)
}

fn export_crepe(args: &ExportArgs, dir: &Path) -> CmdResult {
    let kb = args.kb.clone().map_or(kb::Origin::Shipped, kb::Origin::Dir);
    let files = crate::export::crepe_crate(&kb, &args.rules, color_stderr()).map_err(|e| {
        let err = CliError::new(format!("cannot export for crepe: {}", e.message));
        match e.hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    })?;
    crate::export::write_files(dir, &files).map_err(|e| {
        CliError::new(e).with_hint("give a directory you can write to (it is created if missing)")
    })?;
    eprintln!(
        "wrote the crate {} ({} files); build it with `cargo build --release --manifest-path {}`",
        dir.display(),
        files.len(),
        dir.join("Cargo.toml").display()
    );
    Ok(exit::OK)
}

// ---------------------------------------------------------------------------------------------
// kb test

fn test(args: TestArgs) -> CmdResult {
    let kbx = load(&args.kb)?;
    let files = kbx.tests()?;
    let root = args.root.clone().unwrap_or_else(|| {
        args.kb
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    });
    let root = if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root
    };
    let problems = kbtest::validate(&files, kbx.legal(), &root);
    if !problems.is_empty() {
        eprint!("{}", render_problems(&problems));
        return Err(CliError::new(""));
    }
    let opts = kbtest::RunOptions {
        kb_dir: args.kb.clone(),
        root,
        today: today(),
    };
    let mut out = String::new();
    let mut outcomes: Vec<Outcome> = Vec::new();
    for f in &files {
        for c in &f.tests {
            if let Some(flt) = &args.filter {
                if !f.path.contains(flt.as_str()) && !c.name.contains(flt.as_str()) {
                    continue;
                }
            }
            let o = kbtest::run_case(&f.path, c, &opts);
            render_outcome(&mut out, &o);
            outcomes.push(o);
        }
    }
    if outcomes.is_empty() {
        if let Some(flt) = &args.filter {
            return Err(CliError::new(format!("no test matches `{flt}`"))
                .with_hint("the filter is matched against test file paths and test names; `sphere kb test` runs them all"));
        }
    }
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let errors = outcomes.iter().filter(|o| o.error.is_some()).count();
    let failed = outcomes.len() - passed;
    let mut full = true;
    if args.filter.is_none() {
        let cov = kbtest::coverage(kbx.legal(), &outcomes, |s| kbx.location(s));
        render_coverage(&mut out, &cov);
        full = cov.full();
    } else {
        let _ = writeln!(out, "\ncoverage: not judged (a filter was given)");
    }
    let _ = writeln!(
        out,
        "\n{} tests: {passed} passed, {failed} failed{}",
        outcomes.len(),
        if full { "" } else { "; coverage is not full" }
    );
    write_out(&out)?;
    if errors > 0 {
        return Err(CliError::new(format!(
            "{errors} test(s) could not run (see their errors above)"
        ))
        .with_hint("fix the model or the `assume` facts named in the error"));
    }
    Ok(if failed == 0 && full {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

fn render_outcome(out: &mut String, o: &Outcome) {
    if o.passed() {
        let _ = writeln!(out, "ok    {}: {}", o.file, o.name);
        return;
    }
    let _ = writeln!(out, "FAIL  {}: {}", o.file, o.name);
    if let Some(e) = &o.error {
        for line in e.lines() {
            let _ = writeln!(out, "      {line}");
        }
    }
    for f in &o.failures {
        match f.kind {
            "expect" => {
                let _ = writeln!(out, "      expected ({}): {}", f.place, f.expected);
                if f.found.is_empty() {
                    let _ = writeln!(
                        out,
                        "      found: no finding of this rule ({} of other rules)",
                        f.others
                    );
                } else {
                    for x in &f.found {
                        let _ = writeln!(out, "      found: {x}");
                    }
                }
            }
            _ => {
                let _ = writeln!(out, "      expected not ({}): {}", f.place, f.expected);
                for x in &f.found {
                    let _ = writeln!(out, "      found: {x}");
                }
            }
        }
    }
}

fn render_coverage(out: &mut String, cov: &kbtest::Coverage) {
    let rules_ok = cov.rules.iter().filter(|r| r.fired && r.not_fired).count();
    let _ = writeln!(
        out,
        "\ncoverage: {rules_ok} of {} finding and exception rules fire in a test and are shown not firing in one",
        cov.rules.len()
    );
    for r in cov.rules.iter().filter(|r| !(r.fired && r.not_fired)) {
        let what = match (r.fired, r.not_fired) {
            (false, false) => "never fires and is never shown not firing",
            (false, true) => "never fires in a test (add an `expect`)",
            _ => "is never shown not firing (add an `expect_not`)",
        };
        let _ = writeln!(out, "  {} ({}, {}) {what}", r.id, r.kind, r.location);
    }
    let norms_ok = cov
        .norms
        .iter()
        .filter(|n| n.cited || n.context_only)
        .count();
    let _ = writeln!(
        out,
        "coverage: {norms_ok} of {} norm versions cited by a rule or context only",
        cov.norms.len()
    );
    for n in cov.norms.iter().filter(|n| !(n.cited || n.context_only)) {
        let _ = writeln!(
            out,
            "  {} ({}) is cited by no rule: cite it or mark it `context_only: true`",
            n.key, n.location
        );
    }
}

// ---------------------------------------------------------------------------------------------
// kb check

fn check(args: KbArgs) -> CmdResult {
    let (sources, _, compiled) = compile_dir(&args.kb)?;
    if !compiled.diagnostics.is_empty() {
        eprint!(
            "{}",
            render(
                &compiled.diagnostics,
                &sources,
                RenderOptions {
                    color: color_stderr()
                }
            )
        );
    }
    let Some(program) = compiled.program else {
        let n = compiled.diagnostics.iter().filter(|d| d.is_error()).count();
        return Err(CliError::new(format!(
            "the knowledge base has {n} error(s)"
        )));
    };
    let legal = &program.legal;
    let ids: BTreeSet<&str> = legal.norms.iter().map(|n| n.id.as_str()).collect();
    let count = |k: &str| legal.rule_meta.iter().filter(|m| kind_name(m) == k).count();
    let warnings = compiled.diagnostics.len();
    write_out(&format!(
        "ok: {} norms ({} versions), {} authorities, {} rules ({} finding, {} exception, {} reasoning){}\n",
        ids.len(),
        legal.norms.len(),
        legal.authorities.len(),
        legal.rule_meta.len(),
        count("finding"),
        count("exception"),
        count("reasoning"),
        if warnings > 0 {
            format!(", {warnings} warning(s)")
        } else {
            String::new()
        }
    ))?;
    Ok(exit::OK)
}

fn kind_name(m: &RuleMeta) -> &'static str {
    kbtest::rule_kind(m).unwrap_or("reasoning")
}

// ---------------------------------------------------------------------------------------------
// kb lint

/// One lint warning.
struct Lint {
    span: Span,
    code: &'static str,
    message: String,
    hint: String,
}

fn lint(args: LintArgs) -> CmdResult {
    let kbx = load(&args.kb)?;
    let files = kbx.tests()?;
    let lints = lints(&kbx, &files);
    let mut out = String::new();
    for l in &lints {
        let _ = writeln!(
            out,
            "{}: warning[{}]: {}\n  hint: {}",
            kbx.location(l.span),
            l.code,
            l.message,
            l.hint
        );
    }
    let _ = writeln!(out, "{} warning(s)", lints.len());
    write_out(&out)?;
    Ok(if args.deny_warnings && !lints.is_empty() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

fn lints(kbx: &Loaded, files: &[TestFile]) -> Vec<Lint> {
    let legal = kbx.legal();
    let mut out = Vec::new();
    for n in &legal.norms {
        let s = n.source.trim();
        if !(s.starts_with("https://") || s.starts_with("http://")) {
            out.push(Lint {
                span: n.span,
                code: "norm_without_source",
                message: format!("norm `{}` has no source URL", n.key()),
                hint: "give the official source (EUR-Lex, gesetze-im-internet.de) as `source: \"https://...\"`".into(),
            });
        }
    }
    let tested = kbtest::tests_by_rule(files);
    let mut cited_authorities = BTreeSet::new();
    for m in &legal.rule_meta {
        cited_authorities.extend(m.authorities.iter().map(String::as_str));
        if kbtest::rule_kind(m).is_some() && !tested.contains_key(&m.id) {
            out.push(Lint {
                span: m.span,
                code: "rule_without_test",
                message: format!("rule `{}` is named by no test", m.id),
                hint: "add tests to the `.test.json` beside the rule: one where it fires (`expect`), one where it does not (`expect_not`)".into(),
            });
        }
        if m.from.is_some() || m.to.is_some() {
            let own = (m.from.unwrap_or(Date::MIN), m.to.unwrap_or(Date::MAX));
            for r in &m.norms {
                let Some(i) = resolve_ref(&legal.norms, r) else {
                    continue;
                };
                let n = &legal.norms[i];
                let intervals = if r.version.is_some() {
                    vec![(n.from, n.to.unwrap_or(Date::MAX))]
                } else {
                    chain_intervals(&legal.norms, i)
                };
                if !intervals.iter().any(|&(a, b)| a <= own.1 && own.0 <= b) {
                    out.push(Lint {
                        span: m.span,
                        code: "norm_outside_rule_window",
                        message: format!(
                            "rule `{}` ({}) cites `{}`, which is not in force at any time in it ({})",
                            m.id,
                            interval_text(m.from.unwrap_or(Date::MIN), m.to, "from"),
                            ref_text(r),
                            intervals
                                .iter()
                                .map(|&(a, b)| interval_text(a, (b != Date::MAX).then_some(b), "in force"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        hint: "cite the version in force during the rule's `from`/`to`, or correct the rule's dates".into(),
                    });
                }
            }
        }
        if window(&legal.norms, m).is_empty() {
            out.push(Lint {
                span: m.span,
                code: "empty_window",
                message: format!(
                    "rule `{}` applies on no date: its norms were never in force together{}",
                    m.id,
                    if m.from.is_some() || m.to.is_some() {
                        " within its own `from`/`to`"
                    } else {
                        ""
                    }
                ),
                hint: "check the norms' intervals with `sphere kb show <norm>` and the rule's `from`/`to`".into(),
            });
        }
    }
    for a in &legal.authorities {
        if !cited_authorities.contains(a.id.as_str()) {
            out.push(Lint {
                span: a.span,
                code: "authority_never_cited",
                message: format!("authority `{}` is cited by no rule", a.id),
                hint: "cite it in the `authorities` of the rules it supports, or remove it".into(),
            });
        }
    }
    out.sort_by_key(|l| (l.span.file, l.span.start, l.code));
    out
}

fn interval_text(from: Date, to: Option<Date>, word: &str) -> String {
    match (from == Date::MIN, to) {
        (true, Some(t)) => format!("until {t}"),
        (true, None) => "always".to_string(),
        (false, Some(t)) => format!("{word} {from} to {t}"),
        (false, None) => format!("{word} {from}"),
    }
}

fn ref_text(r: &NormRef) -> String {
    match r.version {
        Some(d) => format!("{}@{d}", r.id),
        None => r.id.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// kb list

fn list(args: KbArgs) -> CmdResult {
    let kbx = load(&args.kb)?;
    let mut rows: Vec<[String; 5]> = vec![[
        "rule".into(),
        "kind".into(),
        "decision".into(),
        "norms".into(),
        "where".into(),
    ]];
    let mut metas: Vec<&RuleMeta> = kbx.legal().rule_meta.iter().collect();
    metas.sort_by(|a, b| a.id.cmp(&b.id));
    for m in metas {
        let (kind, decision) = match &m.kind {
            RuleKind::Finding {
                decision, severity, ..
            } => (
                "finding".to_string(),
                format!("{} ({})", decision.as_str(), severity.as_str()),
            ),
            RuleKind::Exception { to, .. } => ("exception".to_string(), format!("to {to}")),
            RuleKind::Reasoning => ("reasoning".to_string(), "-".to_string()),
        };
        let norms: Vec<String> = m.norms.iter().map(ref_text).collect();
        rows.push([
            m.id.clone(),
            kind,
            decision,
            if norms.is_empty() {
                "-".into()
            } else {
                norms.join(", ")
            },
            kbx.location(m.span),
        ]);
    }
    let mut widths = [0usize; 4];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let _ = writeln!(
            out,
            "{:w0$}  {:w1$}  {:w2$}  {:w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    }
    let _ = writeln!(out, "{} annotated rules", rows.len() - 1);
    write_out(&out)?;
    Ok(exit::OK)
}

// ---------------------------------------------------------------------------------------------
// kb show

fn show(args: ShowArgs) -> CmdResult {
    let kbx = load(&args.kb)?;
    let legal = kbx.legal();
    let (id, version) = match args.norm.split_once('@') {
        Some((i, v)) => {
            let d = Date::parse(v).ok_or_else(|| {
                CliError::new(format!("`{v}` is not a date"))
                    .with_hint("pin a version as `<id>@YYYY-MM-DD`, e.g. `uwg:7.2.2@2008-12-30`")
            })?;
            (i, Some(d))
        }
        None => (args.norm.as_str(), None),
    };
    let exact: Vec<usize> = (0..legal.norms.len())
        .filter(|&i| legal.norms[i].id == id && version.is_none_or(|d| legal.norms[i].from == d))
        .collect();
    let picked = if exact.is_empty() && version.is_none() {
        (0..legal.norms.len())
            .filter(|&i| kbtest::norm_prefix(id, &legal.norms[i].id))
            .collect()
    } else {
        exact
    };
    if picked.is_empty() {
        let ids: BTreeSet<&str> = legal.norms.iter().map(|n| n.id.as_str()).collect();
        let hint = match did_you_mean(id, ids.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "ids look like `gdpr:6.1.f` or `uwg:7.2.2`; a prefix like `gdpr:6` shows every provision below it".into(),
        };
        return Err(
            CliError::new(format!("no norm `{}` in the catalogue", args.norm)).with_hint(hint),
        );
    }
    let citing = citing_rules(legal);
    let mut out = String::new();
    for i in picked {
        let n = &legal.norms[i];
        let _ = writeln!(out, "{}  {}", n.key(), n.title);
        let _ = writeln!(
            out,
            "  in force: {} to {}",
            n.from,
            n.to.map_or_else(|| "today (still in force)".to_string(), |d| d.to_string())
        );
        let _ = writeln!(out, "  de: {}", n.de);
        let _ = writeln!(out, "  en: {}", n.en);
        if let Some(s) = &n.summary {
            let _ = writeln!(out, "  summary: {s}");
        }
        if let Some(r) = &n.replaced_by {
            let _ = writeln!(out, "  replaced by: {}", ref_text(r));
        }
        for (j, m) in legal.norms.iter().enumerate() {
            if m.replaced_by
                .as_ref()
                .and_then(|r| resolve_ref(&legal.norms, r))
                == Some(i)
            {
                let _ = writeln!(out, "  replaces: {}", legal.norms[j].key());
            }
        }
        let _ = writeln!(out, "  source: {}", n.source);
        if n.context_only {
            let _ = writeln!(out, "  context only: cited by no rule on purpose");
        }
        let _ = writeln!(out, "  declared at: {}", kbx.location(n.span));
        let rules = citing.get(&i).map(Vec::as_slice).unwrap_or_default();
        if rules.is_empty() {
            let _ = writeln!(out, "  cited by: no rule");
        } else {
            let _ = writeln!(out, "  cited by:");
            for (m, r) in rules {
                let _ = writeln!(
                    out,
                    "    {} ({}) as `{}`  {}",
                    m.id,
                    kind_name(m),
                    ref_text(r),
                    kbx.location(m.span)
                );
            }
        }
        out.push('\n');
    }
    write_out(&out)?;
    Ok(exit::OK)
}

/// For every norm version, the rules citing it (directly or along its replacement chain) and
/// the reference they wrote, sorted by rule id.
fn citing_rules(legal: &Catalogue) -> BTreeMap<usize, Vec<(&RuleMeta, &NormRef)>> {
    let mut out: BTreeMap<usize, Vec<(&RuleMeta, &NormRef)>> = BTreeMap::new();
    for m in &legal.rule_meta {
        for r in &m.norms {
            if let Some(i) = resolve_ref(&legal.norms, r) {
                for j in kbtest::chain(&legal.norms, i) {
                    out.entry(j).or_default().push((m, r));
                }
            }
        }
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        v.dedup_by(|a, b| a.0.id == b.0.id);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// kb doc

fn doc(args: KbArgs) -> CmdResult {
    let kbx = load(&args.kb)?;
    let files = kbx.tests()?;
    write_out(&catalogue_markdown(&kbx, &files))?;
    Ok(exit::OK)
}

/// Laws in the order the catalogue presents them, with their headings.
const LAWS: &[(&str, &str)] = &[
    ("gdpr", "GDPR (DSGVO)"),
    (
        "bdsg",
        "BDSG (Federal Data Protection Act, from 2018-05-25)",
    ),
    ("bdsg_old", "BDSG old version (until 2018-05-24)"),
    ("uwg", "UWG (Act against Unfair Competition)"),
    ("tmg", "TMG (Telemedia Act, until 2024-05-13)"),
    ("ddg", "DDG (Digitale-Dienste-Gesetz, from 2024-05-14)"),
    ("ttdsg", "TTDSG (until 2024-05-13)"),
    ("tdddg", "TDDDG (from 2024-05-14)"),
    ("urhg", "UrhG (Copyright Act)"),
    ("kug", "KUG (Kunsturhebergesetz: pictures of persons)"),
    ("guideline", "Company guidelines"),
    ("terms", "Platform terms"),
];

/// Sort key that orders `gdpr:4.11` before `gdpr:13` and `uwg:7a` after `uwg:7.3`: each unit
/// by its leading number, then by the rest of its text.
fn natural_key(id: &str) -> (String, Vec<(u64, String)>) {
    let (law, units) = id.split_once(':').unwrap_or((id, ""));
    let key = units
        .split('.')
        .map(|u| {
            let digits: String = u.chars().take_while(char::is_ascii_digit).collect();
            let n = digits.parse::<u64>().unwrap_or(u64::MAX);
            (n, u[digits.len()..].to_string())
        })
        .collect();
    (law.to_string(), key)
}

fn law_of(id: &str) -> &str {
    id.split(':').next().unwrap_or(id)
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn catalogue_markdown(kbx: &Loaded, files: &[TestFile]) -> String {
    let legal = kbx.legal();
    let tests = kbtest::tests_by_rule(files);
    let citing = citing_rules(legal);
    let n_tests: usize = files.iter().map(|f| f.tests.len()).sum();
    let mut ids: Vec<&str> = legal.norms.iter().map(|n| n.id.as_str()).collect();
    ids.sort_by_key(|i| natural_key(i));
    ids.dedup();
    let mut laws: Vec<&str> = ids.iter().map(|i| law_of(i)).collect();
    laws.sort_by_key(|l| {
        (
            LAWS.iter().position(|(k, _)| k == l).unwrap_or(LAWS.len()),
            l.to_string(),
        )
    });
    laws.dedup();
    let heading = |l: &str| {
        LAWS.iter()
            .find(|(k, _)| *k == l)
            .map_or_else(|| l.to_string(), |(_, h)| h.to_string())
    };

    let mut o = String::new();
    o.push_str("# The knowledge base: norms, rules, tests, authorities\n\n");
    o.push_str("<!-- Generated by `sphere kb doc` from `knowledge/`; do not edit by hand. `UPDATE_GENERATED=1 cargo test -p sphere --test it kb::` rewrites it, and that test fails when it is stale. -->\n\n");
    let count = |k: &str| legal.rule_meta.iter().filter(|m| kind_name(m) == k).count();
    let _ = writeln!(
        o,
        "{} norms in {} versions, {} authorities, {} annotated rules ({} finding, {} exception, {} reasoning), {} rule tests. Each norm version lists its interval, citations and official source, then the rules that cite it; each rule lists its tests (`knowledge/<law>/<topic>.test.json`, run by `sphere kb test`). How to add to it: `docs/rule-writing.md`.\n",
        ids.len(),
        legal.norms.len(),
        legal.authorities.len(),
        legal.rule_meta.len(),
        count("finding"),
        count("exception"),
        count("reasoning"),
        n_tests
    );
    o.push_str("## Contents\n\n");
    for l in &laws {
        let _ = writeln!(o, "- [{}](#law-{l})", heading(l));
    }
    o.push_str("- [Rules](#rules)\n- [Authorities](#authorities)\n\n");

    for l in &laws {
        let _ = writeln!(o, "<a id=\"law-{l}\"></a>\n## {}\n", heading(l));
        for id in ids.iter().filter(|i| law_of(i) == *l) {
            let versions: Vec<usize> = (0..legal.norms.len())
                .filter(|&i| legal.norms[i].id == *id)
                .collect();
            let newest = versions.last().map(|&i| &legal.norms[i]);
            let _ = writeln!(
                o,
                "### `{id}` {}\n",
                newest.map_or(String::new(), |n| md(&n.title))
            );
            for &i in &versions {
                let n = &legal.norms[i];
                norm_markdown(&mut o, kbx, n, i, citing.get(&i).map(Vec::as_slice));
            }
            o.push('\n');
        }
    }

    o.push_str("<a id=\"rules\"></a>\n## Rules\n\n");
    let mut metas: Vec<&RuleMeta> = legal.rule_meta.iter().collect();
    metas.sort_by(|a, b| (kbx.rel(a.span), a.span.start).cmp(&(kbx.rel(b.span), b.span.start)));
    let mut current = "";
    for m in metas {
        let file = kbx.rel(m.span);
        if file != current {
            if !current.is_empty() {
                o.push('\n');
            }
            let _ = writeln!(o, "### `knowledge/{file}`\n");
            current = file;
        }
        let what = match &m.kind {
            RuleKind::Finding {
                severity, decision, ..
            } => format!(
                "finding, {}, severity {}",
                decision.as_str(),
                severity.as_str()
            ),
            RuleKind::Exception { to, .. } => format!("exception to `{to}`"),
            RuleKind::Reasoning => "reasoning".to_string(),
        };
        let _ = writeln!(o, "- **`{}`** ({what}), `{}`", m.id, kbx.place(m.span));
        if !m.norms.is_empty() {
            let n: Vec<String> = m
                .norms
                .iter()
                .map(|r| format!("`{}`", ref_text(r)))
                .collect();
            let _ = writeln!(o, "  - norms: {}", n.join(", "));
        }
        if !m.authorities.is_empty() {
            let a: Vec<String> = m.authorities.iter().map(|a| format!("`{a}`")).collect();
            let _ = writeln!(o, "  - authorities: {}", a.join(", "));
        }
        let w: Vec<String> = m
            .window
            .iter()
            .map(|&(a, b)| match b {
                Some(b) => format!("{a} to {b}"),
                None => format!("from {a}"),
            })
            .map(|s| s.replace(&Date::MIN.to_string(), "always"))
            .collect();
        if kbtest::rule_kind(m).is_some() {
            let _ = writeln!(
                o,
                "  - applies: {}",
                if w.is_empty() {
                    "never (empty window)".to_string()
                } else {
                    w.join("; ")
                }
            );
        }
        if let Some(t) = &m.message {
            let _ = writeln!(o, "  - message: {}", md(&t.en));
        }
        if let Some(c) = &m.contested {
            let _ = writeln!(o, "  - contested: {}", md(c));
        }
        if kbtest::rule_kind(m).is_some() {
            match tests.get(&m.id) {
                Some(ts) => {
                    let t: Vec<String> = ts
                        .iter()
                        .map(|(f, n)| format!("“{}” (`{}`)", md(n), kbx.test_rel(f)))
                        .collect();
                    let _ = writeln!(o, "  - tests: {}", t.join("; "));
                }
                None => {
                    let _ = writeln!(o, "  - tests: none");
                }
            }
        }
    }
    o.push('\n');

    o.push_str("<a id=\"authorities\"></a>\n## Authorities\n\n");
    let mut cited_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for m in &legal.rule_meta {
        for a in &m.authorities {
            cited_by.entry(a.as_str()).or_default().push(m.id.as_str());
        }
    }
    for (kind, title) in [
        (AuthorityKind::Ruling, "Rulings"),
        (AuthorityKind::Guidance, "Guidance"),
        (AuthorityKind::Guideline, "Company guidelines"),
    ] {
        let mut list: Vec<_> = legal
            .authorities
            .iter()
            .filter(|a| a.kind == kind)
            .collect();
        if list.is_empty() {
            continue;
        }
        list.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
        let _ = writeln!(o, "### {title}\n");
        for a in list {
            let _ = writeln!(
                o,
                "- **{}**{} (`{}`, `{}`)",
                md(&a.citation()),
                a.title
                    .as_ref()
                    .filter(|_| a.case.is_some())
                    .map_or(String::new(), |t| format!(", {}", md(t))),
                a.id,
                kbx.place(a.span)
            );
            let _ = writeln!(o, "  - holding: {}", md(&a.holding));
            let _ = writeln!(o, "  - source: <{}>", a.url);
            let mut rules = cited_by.get(a.id.as_str()).cloned().unwrap_or_default();
            rules.sort_unstable();
            rules.dedup();
            if rules.is_empty() {
                let _ = writeln!(o, "  - cited by: no rule");
            } else {
                let r: Vec<String> = rules.iter().map(|r| format!("`{r}`")).collect();
                let _ = writeln!(o, "  - cited by: {}", r.join(", "));
            }
        }
        o.push('\n');
    }
    while o.ends_with("\n\n") {
        o.pop();
    }
    o
}

fn norm_markdown(
    o: &mut String,
    kbx: &Loaded,
    n: &NormVersion,
    _index: usize,
    citing: Option<&[(&RuleMeta, &NormRef)]>,
) {
    let interval = match n.to {
        Some(t) => format!("{} to {t}", n.from),
        None => format!("from {}", n.from),
    };
    let _ = writeln!(
        o,
        "- **`{}`**, in force {interval}: {}",
        n.key(),
        md(&n.title)
    );
    let _ = writeln!(o, "  - de: {}; en: {}", md(&n.de), md(&n.en));
    if let Some(s) = &n.summary {
        let _ = writeln!(o, "  - summary: {}", md(s));
    }
    if let Some(r) = &n.replaced_by {
        let _ = writeln!(o, "  - replaced by `{}`", ref_text(r));
    }
    let _ = writeln!(o, "  - source: <{}> (`{}`)", n.source, kbx.place(n.span));
    if n.context_only {
        let _ = writeln!(o, "  - context only: cited by no rule on purpose");
    }
    match citing {
        Some(rules) if !rules.is_empty() => {
            let r: Vec<String> = rules
                .iter()
                .map(|(m, r)| format!("`{}` (as `{}`)", m.id, ref_text(r)))
                .collect();
            let _ = writeln!(o, "  - cited by: {}", r.join(", "));
        }
        _ if !n.context_only => {
            let _ = writeln!(o, "  - cited by: no rule");
        }
        _ => {}
    }
}
