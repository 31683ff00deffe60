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

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use sphere::kb::lint::lints;
use sphere::kb::testing::{self, Outcome, TestFile};
use sphere::render;
use sphere::{Date, KnowledgeBase};

use super::load::{load_kb, load_model};
use super::{exit, leave_to_exit, print_error, progress, today, write_stdout, CliError, CmdResult};

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
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = super::parse_date)]
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
    #[command(flatten)]
    pub limits: super::LimitArgs,
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

/// The knowledge base in `dir`; a directory that cannot be read gets a hint.
fn load(dir: &Path) -> Result<KnowledgeBase, CliError> {
    KnowledgeBase::from_dir(dir).map_err(|e| {
        e.or_hint("give the knowledge directory with --kb DIR (default `knowledge`)")
            .into()
    })
}

/// The rule tests below the knowledge directory, parsed; every problem is reported.
fn tests(dir: &Path) -> Result<Vec<TestFile>, CliError> {
    let paths = testing::discover(dir).map_err(|e| {
        CliError::new(format!(
            "cannot read knowledge directory {}: {e}",
            dir.display()
        ))
    })?;
    testing::load(&paths).map_err(|problems| {
        eprint!(
            "{}",
            render::text::terminal_safe(&render::kb::problems(&problems))
        );
        CliError::Reported
    })
}

// ---------------------------------------------------------------------------------------------
// kb export

fn export(args: ExportArgs) -> CmdResult {
    use sphere::export::{self, Target};

    if let Some(dir) = &args.crepe {
        return export_crepe(&args, dir);
    }
    let (target, dir) = match (&args.clingo, &args.souffle) {
        (Some(d), None) => (Target::Clingo, d.clone()),
        (None, Some(d)) => (Target::Souffle, d.clone()),
        _ => {
            return Err(CliError::new(
                "give exactly one of --clingo DIR and --souffle DIR",
            ));
        }
    };
    let line = progress::Line::new();
    let model = load_model(&args.models, args.facts.as_deref(), args.as_of, &line)?;
    let kb = load_kb(args.kb.as_deref(), &args.rules)?;
    let written = export::export_model(&kb, &model, target, args.answer)?;
    export::write_files(&dir, &written.files).map_err(|e| {
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
    leave_to_exit(model);
    leave_to_exit(kb);
    Ok(exit::OK)
}

fn export_crepe(args: &ExportArgs, dir: &Path) -> CmdResult {
    let kb = args
        .kb
        .clone()
        .map_or(sphere::kb::Origin::Shipped, sphere::kb::Origin::Dir);
    let files =
        sphere::export::crepe_crate(&kb, &args.rules, super::color_stderr()).map_err(|e| {
            let err = CliError::new(format!("cannot export for crepe: {}", e.message));
            match e.hint {
                Some(h) => err.with_hint(h),
                None => err,
            }
        })?;
    sphere::export::write_files(dir, &files).map_err(|e| {
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
    let kb = load(&args.kb)?;
    let files = tests(&args.kb)?;
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
    let problems = testing::validate(&files, kb.catalogue(), &root);
    if !problems.is_empty() {
        eprint!(
            "{}",
            render::text::terminal_safe(&render::kb::problems(&problems))
        );
        return Err(CliError::Reported);
    }
    let mut opts = testing::RunOptions {
        root,
        today: today(),
        limits: sphere::Limits::NONE,
        interrupt: None,
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
            // The rules are read from a folder: each test runs under the bounds `check --kb`
            // puts on rules from outside (they may never end), its own timeout from its start.
            (opts.limits, opts.interrupt) = super::kb_test_bounds(&args.limits).start();
            let o = match testing::run_case(&kb, &f.path, c, &opts) {
                Ok(o) => o,
                Err(e) => {
                    // The tests before it are shown; the stopped evaluation ends the run.
                    write_stdout(&out)?;
                    eprintln!("note: the test \"{}\" of {} stopped", c.name, f.path);
                    return Err(e.into());
                }
            };
            render::kb::outcome(&mut out, &o);
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
        let cov = testing::coverage(kb.catalogue(), &outcomes, |s| kb.location(s));
        render::kb::coverage(&mut out, &cov);
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
    write_stdout(&out)?;
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

// ---------------------------------------------------------------------------------------------
// kb check

fn check(args: KbArgs) -> CmdResult {
    match load(&args.kb) {
        Ok(kb) => {
            let mut warnings = kb.warnings().to_vec();
            warnings.extend(sphere::kb::german::missing(&kb));
            if !warnings.is_empty() {
                eprint!(
                    "{}",
                    sphere_engine::diag::render(
                        &warnings,
                        kb.sources(),
                        sphere_engine::diag::RenderOptions {
                            color: super::color_stderr()
                        }
                    )
                );
            }
            write_stdout(&render::kb::summary(&kb))?;
            Ok(exit::OK)
        }
        Err(CliError::Error(e)) if e.compiler_diagnostics().is_some() => {
            print_error(&e);
            Err(CliError::new(format!(
                "the knowledge base has {} error(s)",
                e.len()
            )))
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// kb lint

fn lint(args: LintArgs) -> CmdResult {
    let kb = load(&args.kb)?;
    let files = tests(&args.kb)?;
    let lints = lints(&kb, &files);
    write_stdout(&render::kb::lints(&kb, &lints))?;
    Ok(if args.deny_warnings && !lints.is_empty() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

// ---------------------------------------------------------------------------------------------
// kb list, show, doc

fn list(args: KbArgs) -> CmdResult {
    let kb = load(&args.kb)?;
    write_stdout(&render::kb::list(&kb))?;
    Ok(exit::OK)
}

fn show(args: ShowArgs) -> CmdResult {
    let kb = load(&args.kb)?;
    let picked = kb.find_norms(&args.norm)?;
    write_stdout(&render::kb::norms(&kb, &picked, sphere::Lang::En))?;
    Ok(exit::OK)
}

fn doc(args: KbArgs) -> CmdResult {
    let kb = load(&args.kb)?;
    let files = tests(&args.kb)?;
    write_stdout(&render::kb::catalogue(&kb, &files))?;
    Ok(exit::OK)
}
