//! `sphere eval`: generic Datalog evaluation with Soufflé's conventions.
//!
//! Two ways in. With program files, `.input` relations are read from tab-separated
//! `FACTS_DIR/<rel>.facts` files and `.output` relations are written to `OUT_DIR/<rel>.csv`
//! (or printed). With `--json`, a program and its facts come as one JSON object on stdin, are
//! compiled in lenient mode (no declarations needed), and every relation comes back as JSON;
//! this is the interface of the conformance adapter (`tests/conformance/`).

use std::fmt::Write as _;
use std::path::PathBuf;

use sphere::datalog::{self, Response};
use sphere::query::{self, Resolved};
use sphere::render;
use sphere_engine::diag::{render_in as render_diagnostics, RenderOptions};
use sphere_engine::eval::{Database, Evaluation};
use sphere_engine::explain::render_why_not;
use sphere_engine::{Diagnostic, SourceMap, Value};

use super::{exit, write_stdout, CliError, CmdResult};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    sphere eval examples/dataflow.dl -F examples/dataflow\n  \
    sphere eval examples/dataflow.dl -F examples/dataflow -D out/\n  \
    sphere eval examples/dataflow.dl -F examples/dataflow --explain 'outside_eea(\"crm\", S, C)'\n  \
    sphere eval examples/dataflow.dl -F examples/dataflow --why-not 'untouched(\"analytics\")'\n  \
    echo '{\"facts\": {\"edge\": [[1, 2], [2, 3]]}, \"rules\": [\"path(X, Y) :- edge(X, Y)\", \"path(X, Z) :- path(X, Y), edge(Y, Z)\"]}' | sphere eval --json")]
pub struct Args {
    /// Program files (`.dl`), evaluated together as one program
    #[arg(value_name = "PROGRAM", required_unless_present = "json")]
    pub programs: Vec<PathBuf>,
    /// Directory with one tab-separated `<rel>.facts` file per `.input` relation (a missing
    /// file is an empty relation)
    #[arg(
        short = 'F',
        long = "facts",
        value_name = "FACTS_DIR",
        default_value = "."
    )]
    pub facts_dir: PathBuf,
    /// Write each `.output` relation to `OUT_DIR/<rel>.csv` (tab-separated, sorted) instead
    /// of printing it
    #[arg(short = 'D', long = "output", value_name = "OUT_DIR")]
    pub output_dir: Option<PathBuf>,
    /// Read `{"facts": {"rel": [[v, ...]]}, "rules": ["..."]}` on stdin (no declarations
    /// needed) and write every relation as JSON on stdout
    #[arg(long, conflicts_with_all = ["programs", "output_dir", "explain", "why_not"])]
    pub json: bool,
    /// Print the derivation tree of every tuple matching ATOM, e.g. 'path(1, 3)' or 'path(1, X)'
    #[arg(long, value_name = "ATOM")]
    pub explain: Vec<String>,
    /// Explain why the fact ATOM does not hold: every rule that could derive it and the first
    /// premise that fails
    #[arg(long = "why-not", value_name = "ATOM")]
    pub why_not: Vec<String>,
    #[command(flatten)]
    pub limits: super::LimitArgs,
    /// Language of the errors in program and facts files (`--json` answers in English)
    #[arg(long, value_enum, default_value_t = super::check::Lang::En)]
    pub lang: super::check::Lang,
}

/// The time `eval --json` allows when `--timeout` is not given: its rules come from a client.
pub const JSON_TIMEOUT_SECONDS: f64 = 60.0;

pub fn run(args: Args) -> CmdResult {
    if args.json {
        run_json(&args)
    } else {
        run_files(&args)
    }
}

/// At most this many tuples are explained for one `--explain` pattern.
const MAX_EXPLAINED: usize = 20;

fn print_diagnostics(diags: &[Diagnostic], sources: &SourceMap, lang: sphere::Lang) {
    if diags.is_empty() {
        return;
    }
    let de = lang == sphere::Lang::De;
    super::eprint_safe(|color| render_diagnostics(diags, sources, RenderOptions { color }, de));
}

fn count_errors(diags: &[Diagnostic]) -> usize {
    diags.iter().filter(|d| d.is_error()).count()
}

/// `N errors in the program|facts, nothing was evaluated`, in English and German.
fn errors_summary(n: usize, what: &str) -> CliError {
    let s = if n == 1 { "" } else { "s" };
    let in_de = if what == "program" {
        "im Programm"
    } else {
        "in den Fakten"
    };
    CliError::from(sphere::Error::texts(
        sphere::ErrorKind::Usage,
        sphere::Texts::new(
            format!("{n} error{s} in the {what}, nothing was evaluated"),
            format!("{n} Fehler {in_de}, nichts wurde ausgewertet"),
        ),
    ))
}

/// Prints the diagnostics of a failed compilation and the summary line.
fn failed(e: sphere::Error, what: &str, lang: sphere::Lang) -> CliError {
    match e.compiler_diagnostics() {
        Some((diags, sources)) => {
            print_diagnostics(diags, sources, lang);
            errors_summary(count_errors(diags), what)
        }
        None => e.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Program files, `.facts` in, `.csv` out.

fn run_files(args: &Args) -> CmdResult {
    let lang = args.lang.into();
    let loaded = datalog::load(&args.programs).map_err(|e| failed(e, "program", lang))?;
    print_diagnostics(&loaded.warnings, &loaded.sources, lang);
    let datalog::Loaded {
        mut sources,
        program,
        ..
    } = loaded;
    let mut db = Database::new(&program);
    let facts_diags = datalog::read_inputs(&program, &args.facts_dir, &mut db, &mut sources)?;
    if !facts_diags.is_empty() {
        print_diagnostics(&facts_diags, &sources, lang);
        return Err(errors_summary(count_errors(&facts_diags), "facts"));
    }

    let explaining = !args.explain.is_empty() || !args.why_not.is_empty();
    let evaluation = datalog::evaluate(
        &program,
        db,
        explaining,
        args.limits.bounds(true, None).guard(),
    )?;

    let outputs = datalog::outputs(&program);
    if let Some(dir) = &args.output_dir {
        datalog::write_outputs(&evaluation, &outputs, dir)?;
    } else if !explaining {
        if outputs.is_empty() {
            eprintln!(
                "note: the program declares no `.output` relation, so there is nothing to print"
            );
            eprintln!("  hint: add `.output <relation>` for each relation you want to see");
        }
        // Symbols may hold control characters: shown escaped, not obeyed by the terminal.
        write_stdout(&render::text::terminal_safe(&datalog::outputs_text(
            &evaluation,
            &outputs,
        )))?;
    }
    if explaining {
        let mut sections = Vec::new();
        for atom in &args.explain {
            sections.push(explain(&evaluation, atom, &mut sources)?);
        }
        for atom in &args.why_not {
            sections.push(why_not(&evaluation, atom, &mut sources)?);
        }
        write_stdout(&render::text::terminal_safe(&sections.join("\n")))?;
    }
    Ok(exit::OK)
}

fn resolve_query(
    evaluation: &Evaluation,
    text: &str,
    option: &str,
    sources: &mut SourceMap,
) -> Result<Resolved, CliError> {
    query::resolve(evaluation, text, sources).map_err(|e| {
        if let Some((diags, sources)) = e.compiler_diagnostics() {
            print_diagnostics(diags, sources, sphere::Lang::En);
        }
        CliError::new(format!("cannot read the {option} atom `{text}`"))
            .with_hint("write one atom such as `path(1, 3)`; strings in double quotes")
    })
}

fn unknown_symbol(text: &str, symbol: &str) -> String {
    format!(
        "{text} does not hold: the symbol {symbol:?} occurs nowhere in the program or its facts\n"
    )
}

fn explain(
    evaluation: &Evaluation,
    text: &str,
    sources: &mut SourceMap,
) -> Result<String, CliError> {
    let q = match resolve_query(evaluation, text, "--explain", sources)? {
        Resolved::Query(q) => q,
        Resolved::UnknownSymbol(symbol) => return Ok(unknown_symbol(text, &symbol)),
    };
    let program = evaluation.program();
    let matches: Vec<Vec<Value>> = q.matches(evaluation);
    let mut out = String::new();
    if matches.is_empty() {
        match q.why_not(evaluation) {
            Some(w) => out.push_str(&render_why_not(
                &w,
                program,
                evaluation.interner(),
                Some(sources),
            )),
            None => {
                let _ = writeln!(
                    out,
                    "no tuple of `{}` matches {text}",
                    program.relation(q.rel).name
                );
            }
        }
        return Ok(out);
    }
    for (i, t) in matches.iter().take(MAX_EXPLAINED).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let tree = q.derivation(evaluation, t)?;
        out.push_str(&render::text::derivation(&tree, sphere::Lang::En));
    }
    if matches.len() > MAX_EXPLAINED {
        let _ = writeln!(
            out,
            "\n({} more tuples match {text}; give more constants to see them)",
            matches.len() - MAX_EXPLAINED
        );
    }
    Ok(out)
}

fn why_not(
    evaluation: &Evaluation,
    text: &str,
    sources: &mut SourceMap,
) -> Result<String, CliError> {
    let q = match resolve_query(evaluation, text, "--why-not", sources)? {
        Resolved::Query(q) => q,
        Resolved::UnknownSymbol(symbol) => return Ok(unknown_symbol(text, &symbol)),
    };
    let Some(w) = q.why_not(evaluation) else {
        return Err(CliError::new(format!(
            "--why-not needs a fact without variables or `_`, got `{text}`"
        ))
        .with_hint(
            "give every argument as a constant, e.g. `path(1, 3)`; use --explain for patterns",
        ));
    };
    Ok(render_why_not(
        &w,
        evaluation.program(),
        evaluation.interner(),
        Some(sources),
    ))
}

// ---------------------------------------------------------------------------------------------
// `--json`: one JSON object in, one out.

/// Prints the error object on stdout and the rendered diagnostics on stderr; exit 2.
fn fail_json(diags: &[Diagnostic], sources: &SourceMap) -> CmdResult {
    print_diagnostics(diags, sources, sphere::Lang::En);
    let mut text = datalog::json_error(diags, sources).to_string();
    text.push('\n');
    write_stdout(&text)?;
    Err(CliError::Reported)
}

fn run_json(args: &Args) -> CmdResult {
    // Under the input limit, so an endless stdin is refused instead of filling memory.
    let input = match sphere_model::input::read_text(std::path::Path::new("-")) {
        Ok(t) => t,
        Err(sphere_model::input::InputError::Io(e)) => {
            return fail_json(&[datalog::unreadable_input(&e)], &SourceMap::new())
        }
        Err(e) => {
            let (message, hint) = e.describe();
            let d = Diagnostic::without_span(
                sphere_engine::diag::Code::Io,
                format!("stdin: {message}"),
            )
            .with_hint(hint);
            return fail_json(&[d], &SourceMap::new());
        }
    };
    let guard = super::eval_json_bounds(&args.limits).guard();
    let (response, warnings, sources) = datalog::answer_json(&input, guard);
    print_diagnostics(&warnings, &sources, sphere::Lang::En);
    match response {
        Response::Relations(json) => {
            let mut text = json.to_string();
            text.push('\n');
            write_stdout(&text)?;
            Ok(exit::OK)
        }
        Response::Failed {
            diagnostics,
            sources,
        } => fail_json(&diagnostics, &sources),
    }
}
