//! `sphere eval`: generic Datalog evaluation with Soufflé's conventions.
//!
//! Two ways in. With program files, `.input` relations are read from tab-separated
//! `FACTS_DIR/<rel>.facts` files and `.output` relations are written to `OUT_DIR/<rel>.csv`
//! (or printed). With `--json`, a program and its facts come as one JSON object on stdin, are
//! compiled in lenient mode (no declarations needed), and every relation comes back as JSON;
//! this is the interface of the conformance adapter (`tests/conformance/`).

use std::fmt::Write as _;
use std::fs;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value as Json};
use sphere_engine::diag::{render, RenderOptions, Severity};
use sphere_engine::eval::{self, Database, EvalOptions, Evaluation};
use sphere_engine::explain::{render_tree, render_why_not};
use sphere_engine::ir::{Program, RelId};
use sphere_engine::value::display;
use sphere_engine::{
    compile, parse_query, Code, CompileOptions, Date, Diagnostic, ExternalRelation, FileId,
    QueryArg, RawValue, SourceMap, Span, Type, Value,
};

use super::{exit, CliError, CmdResult};

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
}

pub fn run(args: Args) -> CmdResult {
    if args.json {
        run_json()
    } else {
        run_files(&args)
    }
}

/// How deep `--why-not` follows a missing premise into the rules that could derive it.
const WHY_NOT_DEPTH: usize = 3;

/// At most this many problems are listed per facts file; a file that is wrong throughout
/// (the wrong file, the wrong separator) says so in the first few lines.
const MAX_FACTS_ERRORS_PER_FILE: usize = 20;

/// Evaluation fails only on an internal inconsistency: the resolver has checked the program.
const EVAL_BUG_HINT: &str =
    "the program passed every check, so this is a bug in sphere: please report it with the program";

/// At most this many tuples are explained for one `--explain` pattern.
const MAX_EXPLAINED: usize = 20;

/// Colour on stderr only for a terminal, and never when `NO_COLOR` is set (no-color.org).
fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn print_diagnostics(diags: &[Diagnostic], sources: &SourceMap) {
    if diags.is_empty() {
        return;
    }
    let text = render(
        diags,
        sources,
        RenderOptions {
            color: stderr_color(),
        },
    );
    eprint!("{text}");
}

fn count_errors(diags: &[Diagnostic]) -> usize {
    diags.iter().filter(|d| d.is_error()).count()
}

fn errors_summary(n: usize, what: &str) -> CliError {
    let s = if n == 1 { "" } else { "s" };
    CliError::new(format!("{n} error{s} in the {what}, nothing was evaluated"))
}

fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`sphere eval ... | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::new(format!("cannot write to stdout: {e}"))),
    }
}

// ---------------------------------------------------------------------------------------------
// Program files, `.facts` in, `.csv` out.

fn run_files(args: &Args) -> CmdResult {
    let mut sources = SourceMap::new();
    for path in &args.programs {
        let text = fs::read_to_string(path).map_err(|e| {
            let hint = match e.kind() {
                std::io::ErrorKind::InvalidData => "program files are UTF-8 text",
                _ => "give the path of a `.dl` file",
            };
            CliError::new(format!("cannot read the program `{}`: {e}", path.display()))
                .with_hint(hint)
        })?;
        sources.add(path.display().to_string(), text);
    }
    let compiled = compile(&sources, &CompileOptions::default());
    print_diagnostics(&compiled.diagnostics, &sources);
    let Some(program) = compiled.program else {
        return Err(errors_summary(
            count_errors(&compiled.diagnostics),
            "program",
        ));
    };

    let has_inputs = program.relations.iter().any(|r| r.input);
    if has_inputs && !args.facts_dir.is_dir() {
        // Every input would silently be empty: far more likely a typo than intended.
        return Err(CliError::new(format!(
            "the facts directory `{}` does not exist or is not a directory",
            args.facts_dir.display()
        ))
        .with_hint("give the directory with the `<relation>.facts` files after -F"));
    }
    let mut db = Database::new(&program);
    let mut facts_diags = Vec::new();
    for (i, rel) in program.relations.iter().enumerate() {
        if rel.input {
            read_facts(
                &program,
                RelId(i as u32),
                &args.facts_dir,
                &mut db,
                &mut sources,
                &mut facts_diags,
            )?;
        }
    }
    if !facts_diags.is_empty() {
        print_diagnostics(&facts_diags, &sources);
        return Err(errors_summary(count_errors(&facts_diags), "facts"));
    }

    let explaining = !args.explain.is_empty() || !args.why_not.is_empty();
    let evaluation = eval::evaluate(
        &program,
        db,
        &EvalOptions {
            provenance: explaining,
            ..EvalOptions::default()
        },
    )
    .map_err(|e| CliError::new(format!("evaluation failed: {e}")).with_hint(EVAL_BUG_HINT))?;

    let outputs: Vec<RelId> = (0..program.relations.len())
        .map(|i| RelId(i as u32))
        .filter(|&r| program.relation(r).output)
        .collect();
    if let Some(dir) = &args.output_dir {
        write_outputs(&evaluation, &outputs, dir)?;
    } else if !explaining {
        if outputs.is_empty() {
            eprintln!(
                "note: the program declares no `.output` relation, so there is nothing to print"
            );
            eprintln!("  hint: add `.output <relation>` for each relation you want to see");
        }
        write_stdout(&outputs_text(&evaluation, &outputs))?;
    }
    if explaining {
        let mut sections = Vec::new();
        for atom in &args.explain {
            sections.push(explain(&evaluation, atom, &mut sources)?);
        }
        for atom in &args.why_not {
            sections.push(why_not(&evaluation, atom, &mut sources)?);
        }
        write_stdout(&sections.join("\n"))?;
    }
    Ok(exit::OK)
}

/// Reads `FACTS_DIR/<rel>.facts` into `db`. Problems with the contents become diagnostics
/// (with the file added to `sources` so they show the line); an unreadable file is an error.
fn read_facts(
    program: &Program,
    rel: RelId,
    dir: &Path,
    db: &mut Database,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Result<(), CliError> {
    let relation = program.relation(rel);
    let path = dir.join(format!("{}.facts", relation.name));
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        // Soufflé's convention here: an input without a file is an empty relation.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(CliError::new(format!(
                "cannot read the facts file `{}`: {e}",
                path.display()
            ))
            .with_hint("facts files are UTF-8 text, one tab-separated tuple per line"));
        }
    };
    // The file joins `sources` only if it has problems to show, so a large, clean facts file
    // is not kept in memory twice; its diagnostics use the id it will get then.
    let file = FileId(sources.files().count() as u32);
    let diags_before = diags.len();
    let types: Vec<Type> = relation.columns.iter().map(|c| c.ty).collect();
    let columns = relation
        .columns
        .iter()
        .map(|c| format!("{}: {}", c.name, c.ty))
        .collect::<Vec<_>>()
        .join(", ");
    let mut errors = 0usize;
    let mut start = 0usize;
    for raw_line in text.split_inclusive('\n') {
        let line_start = start;
        start += raw_line.len();
        let line = raw_line.trim_end_matches('\n').trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if errors >= MAX_FACTS_ERRORS_PER_FILE {
            errors += 1;
            continue;
        }
        let line_span = Span::new(file, line_start..line_start + line.len());
        // A nullary relation holds if its file has any line (Soufflé writes `()`).
        let fields: Vec<&str> = if types.is_empty() {
            Vec::new()
        } else {
            line.split('\t').collect()
        };
        if fields.len() != types.len() {
            errors += 1;
            diags.push(
                Diagnostic::error(
                    Code::ArityMismatch,
                    line_span,
                    format!(
                        "this line has {} column{}, but `{}` has {}",
                        fields.len(),
                        if fields.len() == 1 { "" } else { "s" },
                        relation.name,
                        types.len()
                    ),
                )
                .with_label(format!("expected {} tab-separated values", types.len()))
                .with_hint(format!(
                    "columns are separated by tabs; `{}` takes ({columns})",
                    relation.name
                )),
            );
            continue;
        }
        let mut values = Vec::with_capacity(types.len());
        let mut offset = line_start;
        let mut ok = true;
        for (c, (field, &ty)) in fields.iter().zip(&types).enumerate() {
            let span = Span::new(file, offset..offset + field.len());
            offset += field.len() + 1;
            match parse_field(field, ty, db) {
                Some(v) => values.push(v),
                None => {
                    ok = false;
                    errors += 1;
                    let column = &relation.columns[c];
                    let example = match ty {
                        Type::Number => "a whole number such as `42` or `-7`",
                        Type::Date => "a date written `YYYY-MM-DD`",
                        Type::Symbol => "any text without tabs",
                    };
                    diags.push(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            span,
                            format!("expected a {ty}, found `{field}`"),
                        )
                        .with_label(format!(
                            "column {} (`{}`) of `{}` is a {ty}",
                            c + 1,
                            column.name,
                            relation.name
                        ))
                        .with_hint(format!("write {example} here")),
                    );
                    break;
                }
            }
        }
        if ok {
            db.insert(rel, &values);
        }
    }
    if errors > MAX_FACTS_ERRORS_PER_FILE {
        if let Some(last) = diags.last_mut() {
            last.notes.push(format!(
                "{} more problems in `{}` are not shown",
                errors - MAX_FACTS_ERRORS_PER_FILE,
                path.display()
            ));
        }
    }
    if diags.len() > diags_before {
        let added = sources.add(path.display().to_string(), text);
        debug_assert_eq!(added, file, "no other file was added meanwhile");
    }
    Ok(())
}

/// One `.facts` field in a column of type `ty`; `None` if it is not a value of that type.
fn parse_field(field: &str, ty: Type, db: &mut Database) -> Option<Value> {
    match ty {
        // Symbols are taken as written, as Soufflé does: no quotes, no escapes.
        Type::Symbol => Some(Value::Sym(db.intern(field))),
        Type::Number => field.trim().parse().ok().map(Value::Num),
        Type::Date => Date::parse(field.trim()).map(Value::Date),
    }
}

fn tuple_line(values: &[Value], evaluation: &Evaluation) -> String {
    if values.is_empty() {
        return "()".to_string();
    }
    values
        .iter()
        .map(|&v| display(v, evaluation.interner()))
        .collect::<Vec<_>>()
        .join("\t")
}

/// The `.output` relations as text: a `# rel(columns)` header, then one tab-separated tuple
/// per line, sorted; relations in name order, separated by a blank line.
fn outputs_text(evaluation: &Evaluation, outputs: &[RelId]) -> String {
    let program = evaluation.program();
    let mut sorted = outputs.to_vec();
    sorted.sort_by(|a, b| program.relation(*a).name.cmp(&program.relation(*b).name));
    let mut text = String::new();
    for (i, &rel) in sorted.iter().enumerate() {
        let relation = program.relation(rel);
        if i > 0 {
            text.push('\n');
        }
        let columns: Vec<&str> = relation.columns.iter().map(|c| c.name.as_str()).collect();
        let _ = writeln!(text, "# {}({})", relation.name, columns.join(", "));
        for t in evaluation.tuples(rel) {
            text.push_str(&tuple_line(&t, evaluation));
            text.push('\n');
        }
    }
    text
}

/// Writes `OUT_DIR/<rel>.csv` for each output relation, each through a temporary file in the
/// same directory and a rename, so a reader never sees half a file.
fn write_outputs(evaluation: &Evaluation, outputs: &[RelId], dir: &Path) -> Result<(), CliError> {
    fs::create_dir_all(dir).map_err(|e| {
        CliError::new(format!(
            "cannot create the output directory `{}`: {e}",
            dir.display()
        ))
        .with_hint("give a directory you can write to after -D (it is created if missing)")
    })?;
    let program = evaluation.program();
    for &rel in outputs {
        let name = &program.relation(rel).name;
        let mut text = String::new();
        for t in evaluation.tuples(rel) {
            text.push_str(&tuple_line(&t, evaluation));
            text.push('\n');
        }
        let path = dir.join(format!("{name}.csv"));
        let tmp = dir.join(format!(".{name}.csv.{}.tmp", std::process::id()));
        let written = fs::write(&tmp, text).and_then(|()| fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(
                CliError::new(format!("cannot write `{}`: {e}", path.display()))
                    .with_hint("check that the output directory is writable and the disk not full"),
            );
        }
    }
    Ok(())
}

/// A query's pattern (`None` = any value) and, per position, the variable named there.
type Pattern = (Vec<Option<Value>>, Vec<Option<String>>);

/// A query's pattern over the evaluation's values, or `Err(symbol)` when a constant is a
/// symbol that occurs nowhere, so nothing can match.
fn query_pattern(evaluation: &Evaluation, args: &[QueryArg]) -> Result<Pattern, String> {
    let mut pattern = Vec::with_capacity(args.len());
    let mut vars = Vec::with_capacity(args.len());
    for a in args {
        match a {
            QueryArg::Const(v) => {
                pattern.push(Some(*v));
                vars.push(None);
            }
            QueryArg::UnknownSymbol(s) => match evaluation.interner().get(s) {
                // Interned by a facts file rather than by the program text.
                Some(sym) => {
                    pattern.push(Some(Value::Sym(sym)));
                    vars.push(None);
                }
                None => return Err(s.clone()),
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
    Ok((pattern, vars))
}

/// Whether a tuple gives the same value wherever the query repeats a variable.
fn same_variables_agree(tuple: &[Value], vars: &[Option<String>]) -> bool {
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

fn resolve_query(
    evaluation: &Evaluation,
    text: &str,
    option: &str,
    sources: &mut SourceMap,
) -> Result<sphere_engine::Query, CliError> {
    parse_query(text, evaluation.program(), sources).map_err(|diags| {
        print_diagnostics(&diags, sources);
        CliError::new(format!("cannot read the {option} atom `{text}`"))
            .with_hint("write one atom such as `path(1, 3)`; strings in double quotes")
    })
}

fn explain(
    evaluation: &Evaluation,
    text: &str,
    sources: &mut SourceMap,
) -> Result<String, CliError> {
    let query = resolve_query(evaluation, text, "--explain", sources)?;
    let program = evaluation.program();
    let (pattern, vars) = match query_pattern(evaluation, &query.args) {
        Ok(p) => p,
        Err(symbol) => {
            return Ok(format!(
                "{text} does not hold: the symbol {symbol:?} occurs nowhere in the program or its facts\n"
            ))
        }
    };
    let matches: Vec<Vec<Value>> = evaluation
        .select(query.rel, &pattern)
        .into_iter()
        .filter(|t| same_variables_agree(t, &vars))
        .collect();
    let mut out = String::new();
    if matches.is_empty() {
        if pattern.iter().all(Option::is_some) {
            let values: Vec<Value> = pattern.iter().flatten().copied().collect();
            let w = evaluation.why_not(query.rel, &values, WHY_NOT_DEPTH);
            out.push_str(&render_why_not(
                &w,
                program,
                evaluation.interner(),
                Some(sources),
            ));
        } else {
            let _ = writeln!(
                out,
                "no tuple of `{}` matches {text}",
                program.relation(query.rel).name
            );
        }
        return Ok(out);
    }
    for (i, t) in matches.iter().take(MAX_EXPLAINED).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let tree = evaluation
            .explain(query.rel, t)
            .map_err(|e| CliError::new(format!("cannot explain {text}: {e:?}")))?;
        out.push_str(&render_tree(&tree, program, evaluation.interner()));
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
    let query = resolve_query(evaluation, text, "--why-not", sources)?;
    let (pattern, _) = match query_pattern(evaluation, &query.args) {
        Ok(p) => p,
        Err(symbol) => {
            return Ok(format!(
                "{text} does not hold: the symbol {symbol:?} occurs nowhere in the program or its facts\n"
            ))
        }
    };
    let Some(values) = pattern.iter().copied().collect::<Option<Vec<Value>>>() else {
        return Err(CliError::new(format!(
            "--why-not needs a fact without variables or `_`, got `{text}`"
        ))
        .with_hint(
            "give every argument as a constant, e.g. `path(1, 3)`; use --explain for patterns",
        ));
    };
    let w = evaluation.why_not(query.rel, &values, WHY_NOT_DEPTH);
    Ok(render_why_not(
        &w,
        evaluation.program(),
        evaluation.interner(),
        Some(sources),
    ))
}

// ---------------------------------------------------------------------------------------------
// `--json`: one JSON object in, one out.

/// What `--json` prints on any error, besides the rendered diagnostics on stderr.
fn json_error(diags: &[Diagnostic], sources: &SourceMap) -> Json {
    let first = diags.iter().find(|d| d.is_error()).or(diags.first());
    let errors: Vec<Json> = diags
        .iter()
        .map(|d| {
            let (file, line, column) = match d.span {
                Some(span) => {
                    let (l, c) = sources.line_col(span.file, span.start);
                    (
                        Json::from(sources.get(span.file).name.clone()),
                        Json::from(l),
                        Json::from(c),
                    )
                }
                None => (Json::Null, Json::Null, Json::Null),
            };
            json!({
                "code": d.code.as_str(),
                "severity": match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                "message": d.message,
                "file": file,
                "line": line,
                "column": column,
                "hint": d.hint,
            })
        })
        .collect();
    json!({
        "error": {
            "code": first.map_or("io", |d| d.code.as_str()),
            "message": first.map_or(String::new(), |d| d.message.clone()),
        },
        "errors": errors,
    })
}

/// Prints the error object on stdout and the rendered diagnostics on stderr; exit 2.
fn fail_json(diags: &[Diagnostic], sources: &SourceMap) -> CmdResult {
    print_diagnostics(diags, sources);
    let mut text = json_error(diags, sources).to_string();
    text.push('\n');
    write_stdout(&text)?;
    Err(CliError::new(""))
}

fn run_json() -> CmdResult {
    let mut sources = SourceMap::new();
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        let d = Diagnostic::without_span(Code::Io, format!("cannot read stdin: {e}"))
            .with_hint("send one UTF-8 JSON object on stdin");
        return fail_json(&[d], &sources);
    }
    let request = match parse_request(&input) {
        Ok(r) => r,
        Err(diags) => return fail_json(&diags, &sources),
    };
    for (i, rule) in request.rules.iter().enumerate() {
        // One file per rule, so a diagnostic names the rule it is in (`rules[3]:1:7`).
        sources.add(format!("rules[{i}]"), rule.clone());
    }
    let compiled = compile(
        &sources,
        &CompileOptions {
            lenient: true,
            external: request.facts,
        },
    );
    let Some(program) = compiled.program else {
        return fail_json(&compiled.diagnostics, &sources);
    };
    print_diagnostics(&compiled.diagnostics, &sources);
    let db = Database::new(&program);
    let evaluation = match eval::evaluate(&program, db, &EvalOptions::default()) {
        Ok(e) => e,
        Err(e) => {
            let d = Diagnostic::without_span(Code::Io, format!("evaluation failed: {e}"))
                .with_hint(EVAL_BUG_HINT);
            return fail_json(&[d], &sources);
        }
    };
    let mut text = relations_json(&evaluation).to_string();
    text.push('\n');
    write_stdout(&text)?;
    Ok(exit::OK)
}

struct Request {
    facts: Vec<ExternalRelation>,
    rules: Vec<String>,
}

/// Reads and checks the request object; every problem is reported with its JSON path.
fn parse_request(input: &str) -> Result<Request, Vec<Diagnostic>> {
    let root: Json = serde_json::from_str(input).map_err(|e| {
        vec![Diagnostic::without_span(
            Code::Io,
            format!("stdin is not valid JSON: {e}"),
        )
        .with_hint(r#"send one object: {"facts": {"edge": [[1, 2]]}, "rules": ["path(X, Y) :- edge(X, Y)."]}"#)]
    })?;
    let Json::Object(root) = root else {
        return Err(vec![Diagnostic::without_span(
            Code::Io,
            format!("the input is {}, not an object", json_kind(&root)),
        )
        .with_hint(r#"send one object with the keys "facts" and "rules""#)]);
    };
    let mut diags = Vec::new();
    let mut request = Request {
        facts: Vec::new(),
        rules: Vec::new(),
    };
    for (key, value) in &root {
        match key.as_str() {
            "facts" => parse_facts(value, &mut request.facts, &mut diags),
            "rules" => match value {
                Json::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            Json::String(s) => request.rules.push(s.clone()),
                            other => diags.push(
                                Diagnostic::without_span(
                                    Code::Io,
                                    format!("rules[{i}] is {}, not a string", json_kind(other)),
                                )
                                .with_hint("give each rule as a string, e.g. \"p(X) :- q(X).\""),
                            ),
                        }
                    }
                }
                other => diags.push(
                    Diagnostic::without_span(
                        Code::Io,
                        format!("rules is {}, not a list", json_kind(other)),
                    )
                    .with_hint(r#"give a list of strings: "rules": ["p(X) :- q(X)."]"#),
                ),
            },
            other => diags.push(
                Diagnostic::without_span(Code::Io, format!("unknown key `{other}` in the input"))
                    .with_hint(r#"the input has the keys "facts" and "rules""#),
            ),
        }
    }
    if diags.is_empty() {
        Ok(request)
    } else {
        Err(diags)
    }
}

fn parse_facts(value: &Json, out: &mut Vec<ExternalRelation>, diags: &mut Vec<Diagnostic>) {
    let Json::Object(relations) = value else {
        diags.push(
            Diagnostic::without_span(
                Code::Io,
                format!("facts is {}, not an object", json_kind(value)),
            )
            .with_hint(r#"map each relation to its rows: "facts": {"edge": [[1, 2], [2, 3]]}"#),
        );
        return;
    };
    // Sorted by name, so that the order of the keys cannot change the result.
    let mut names: Vec<&String> = relations.keys().collect();
    names.sort();
    for name in names {
        let rows_json = &relations[name];
        let Json::Array(rows_json) = rows_json else {
            diags.push(
                Diagnostic::without_span(
                    Code::Io,
                    format!(
                        "facts.{name} is {}, not a list of rows",
                        json_kind(rows_json)
                    ),
                )
                .with_hint(format!(
                    r#"give rows as lists: "{name}": [[1, "a"], [2, "b"]]"#
                )),
            );
            continue;
        };
        let mut rows = Vec::with_capacity(rows_json.len());
        for (r, row) in rows_json.iter().enumerate() {
            let Json::Array(cells) = row else {
                diags.push(
                    Diagnostic::without_span(
                        Code::Io,
                        format!(
                            "facts.{name}[{r}] is {}, not a list of values",
                            json_kind(row)
                        ),
                    )
                    .with_hint("a row is a list of numbers and strings, e.g. [1, \"a\"]"),
                );
                continue;
            };
            let mut values = Vec::with_capacity(cells.len());
            for (c, cell) in cells.iter().enumerate() {
                let value = match cell {
                    Json::String(s) => Some(RawValue::Str(s.clone())),
                    Json::Number(n) => n.as_i64().map(RawValue::Int),
                    _ => None,
                };
                match value {
                    Some(v) => values.push(v),
                    None => diags.push(
                        Diagnostic::without_span(
                            Code::TypeMismatch,
                            format!(
                                "facts.{name}[{r}][{c}] is {}, but values are whole numbers or strings",
                                json_kind(cell)
                            ),
                        )
                        .with_hint(
                            "numbers are 64-bit integers; write anything else (dates too) as a string",
                        ),
                    ),
                }
            }
            rows.push(values);
        }
        out.push(ExternalRelation {
            name: name.clone(),
            rows,
        });
    }
}

fn json_kind(v: &Json) -> String {
    match v {
        Json::Null => "null".to_string(),
        Json::Bool(b) => format!("the boolean {b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(_) => "a string".to_string(),
        Json::Array(_) => "a list".to_string(),
        Json::Object(_) => "an object".to_string(),
    }
}

/// `{"relations": {...}}` with every relation the user's program has (input and derived,
/// empty ones included; not the ones sphere generates for legal annotations), by name, each
/// with its tuples sorted.
fn relations_json(evaluation: &Evaluation) -> Json {
    let program = evaluation.program();
    let mut rels: Vec<RelId> = (0..program.relations.len())
        .map(|i| RelId(i as u32))
        .filter(|&r| !program.relation(r).generated)
        .collect();
    rels.sort_by(|a, b| program.relation(*a).name.cmp(&program.relation(*b).name));
    let mut relations = Map::new();
    for rel in rels {
        let rows: Vec<Json> = evaluation
            .tuples(rel)
            .iter()
            .map(|t| Json::Array(t.iter().map(|&v| value_json(v, evaluation)).collect()))
            .collect();
        relations.insert(program.relation(rel).name.clone(), Json::Array(rows));
    }
    json!({ "relations": relations })
}

fn value_json(v: Value, evaluation: &Evaluation) -> Json {
    match v {
        Value::Num(n) => Json::from(n),
        Value::Sym(_) | Value::Date(_) => Json::from(display(v, evaluation.interner())),
    }
}
