//! Plain Datalog with Soufflé's conventions, behind `sphere eval`: a program from files,
//! `.input` relations from tab-separated `<rel>.facts` files, `.output` relations as sorted
//! tab-separated text or `<rel>.csv` files; and the JSON protocol of `sphere eval --json` (a
//! program and its facts as one JSON object in, every relation as JSON out), the interface of
//! the conformance adapter (`tests/conformance/`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value as Json};
use sphere_engine::diag::Severity;
use sphere_engine::eval::limits::Guard;
use sphere_engine::eval::{self, Database, EvalOptions, Evaluation};
use sphere_engine::ir::{Program, RelId};
use sphere_engine::value::display;
use sphere_engine::{
    compile, Code, CompileOptions, Diagnostic, ExternalRelation, FileId, RawValue, SourceMap, Span,
    Type, Value,
};
use sphere_model::facts_io::{read_lines, Dialect, Field, LineError};

use crate::error::{Error, ErrorKind, Result};

/// At most this many problems are listed per facts file; a file that is wrong throughout
/// (the wrong file, the wrong separator) says so in the first few lines.
pub const MAX_FACTS_ERRORS_PER_FILE: usize = 20;

/// Evaluation fails only on an internal inconsistency: the resolver has checked the program.
pub const EVAL_BUG_HINT: &str =
    "the program passed every check, so this is a bug in sphere: please report it with the program";

/// A compiled program and its sources.
#[derive(Debug)]
pub struct Loaded {
    pub sources: SourceMap,
    pub program: Program,
    /// Warnings of the compiler.
    pub warnings: Vec<Diagnostic>,
}

/// Reads and compiles program files as one program. Compile errors are rendered diagnostics.
pub fn load(paths: &[PathBuf]) -> Result<Loaded> {
    let mut sources = SourceMap::new();
    for path in paths {
        let text = sphere_model::input::read_text(path).map_err(|e| {
            let hint = match e {
                sphere_model::input::InputError::Io(_) => "give the path of a `.dl` file".into(),
                ref other => other.describe().1,
            };
            Error::new(
                ErrorKind::Io,
                format!("cannot read the program `{}`: {e}", path.display()),
            )
            .with_hint(hint)
        })?;
        sources.add(path.display().to_string(), text);
    }
    let compiled = compile(&sources, &CompileOptions::default());
    match compiled.program {
        Some(program) => Ok(Loaded {
            sources,
            program,
            warnings: compiled.diagnostics,
        }),
        None => Err(Error::diagnostics(
            ErrorKind::Rules,
            compiled.diagnostics,
            sources,
        )),
    }
}

/// Fills a database with the program's `.input` relations from `dir/<rel>.facts` (a missing
/// file is an empty relation). Problems with the contents are returned as diagnostics (the
/// files with problems join `sources`, so they show the line); an unreadable file or a
/// missing directory is an error.
pub fn read_inputs(
    program: &Program,
    dir: &Path,
    db: &mut Database,
    sources: &mut SourceMap,
) -> Result<Vec<Diagnostic>> {
    let has_inputs = program.relations.iter().any(|r| r.input);
    if has_inputs && !dir.is_dir() {
        // Every input would silently be empty: far more likely a typo than intended.
        return Err(Error::texts(
            ErrorKind::Io,
            crate::Texts::new(
                format!(
                    "the facts directory `{}` does not exist or is not a directory",
                    dir.display()
                ),
                format!(
                    "das Faktenverzeichnis `{}` gibt es nicht, oder es ist kein Verzeichnis",
                    dir.display()
                ),
            ),
        )
        .with_hint_texts(crate::Texts::new(
            "give the directory with the `<relation>.facts` files after -F",
            "nach -F das Verzeichnis mit den Dateien `<relation>.facts` angeben",
        )));
    }
    let mut diags = Vec::new();
    for (i, rel) in program.relations.iter().enumerate() {
        if rel.input {
            read_facts(program, RelId(i as u32), dir, db, sources, &mut diags)?;
        }
    }
    Ok(diags)
}

/// Reads `dir/<rel>.facts` into `db`.
fn read_facts(
    program: &Program,
    rel: RelId,
    dir: &Path,
    db: &mut Database,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    let relation = program.relation(rel);
    let path = dir.join(format!("{}.facts", relation.name));
    let text = match sphere_model::input::read_text(&path) {
        Ok(t) => t,
        // Soufflé's convention here: an input without a file is an empty relation.
        Err(sphere_model::input::InputError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(())
        }
        Err(e) => {
            let (hint, hint_de) = match e {
                sphere_model::input::InputError::Io(_) => (
                    "facts files are UTF-8 text, one tab-separated tuple per line".into(),
                    "Faktendateien sind UTF-8-Text, ein Tupel je Zeile, durch Tabulatoren getrennt"
                        .into(),
                ),
                ref other => (other.describe().1, other.describe_de().1),
            };
            return Err(Error::texts(
                ErrorKind::Io,
                crate::Texts::new(
                    format!("cannot read the facts file `{}`: {e}", path.display()),
                    format!(
                        "die Faktendatei `{}` lässt sich nicht lesen: {}",
                        path.display(),
                        e.describe_de().0
                    ),
                ),
            )
            .with_hint_texts(crate::Texts::new(hint, hint_de)));
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
    let mut values: Vec<Value> = Vec::with_capacity(types.len());
    read_lines(&text, &types, Dialect::Souffle, |line, result| {
        if errors >= MAX_FACTS_ERRORS_PER_FILE {
            // Past the limit every line counts, read or not: the note says how many remain.
            errors += 1;
            return;
        }
        match result {
            Ok(fields) => {
                values.clear();
                values.extend(fields.into_iter().map(|f| match f {
                    Field::Sym(s) => Value::Sym(db.intern(&s)),
                    Field::Num(n) => Value::Num(n),
                    Field::Date(d) => Value::Date(d),
                }));
                db.insert(rel, &values);
            }
            // One problem per line: the first.
            Err(problems) => match problems.into_iter().next() {
                Some(LineError::Arity { found }) => {
                    errors += 1;
                    let span = Span::new(file, line.start..line.start + line.text.len());
                    diags.push(
                        Diagnostic::error(
                            Code::ArityMismatch,
                            span,
                            format!(
                                "this line has {found} column{}, but `{}` has {}",
                                if found == 1 { "" } else { "s" },
                                relation.name,
                                types.len()
                            ),
                        )
                        .with_label(format!("expected {} tab-separated values", types.len()))
                        .with_hint(format!(
                            "columns are separated by tabs; `{}` takes ({columns})",
                            relation.name
                        ))
                        .de(format!(
                            "diese Zeile hat {found} {}, `{}` hat aber {}",
                            if found == 1 { "Spalte" } else { "Spalten" },
                            relation.name,
                            types.len()
                        ))
                        .label_de(format!(
                            "erwartet: {} durch Tabulatoren getrennte Werte",
                            types.len()
                        ))
                        .hint_de(format!(
                            "Spalten werden durch Tabulatoren getrennt; `{}` nimmt ({columns})",
                            relation.name
                        )),
                    );
                }
                Some(LineError::Value {
                    column,
                    offset,
                    field,
                    ..
                }) => {
                    errors += 1;
                    let start = line.start + offset;
                    let span = Span::new(file, start..start + field.len());
                    let ty = types[column];
                    let (example, example_de) = match ty {
                        Type::Number => (
                            "a whole number such as `42` or `-7`",
                            "eine ganze Zahl wie `42` oder `-7`",
                        ),
                        Type::Date => (
                            "a date written `YYYY-MM-DD`",
                            "ein Datum der Form `YYYY-MM-DD`",
                        ),
                        Type::Symbol => {
                            ("any text without tabs", "beliebigen Text ohne Tabulatoren")
                        }
                    };
                    diags.push(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            span,
                            format!("expected a {ty}, found `{field}`"),
                        )
                        .with_label(format!(
                            "column {} (`{}`) of `{}` is a {ty}",
                            column + 1,
                            relation.columns[column].name,
                            relation.name
                        ))
                        .with_hint(format!("write {example} here"))
                        .de(format!(
                            "erwartet: {}, gefunden: `{field}`",
                            sphere_engine::ir::query::type_de(ty)
                        ))
                        .label_de(format!(
                            "Spalte {} (`{}`) von `{}` ist {}",
                            column + 1,
                            relation.columns[column].name,
                            relation.name,
                            sphere_engine::ir::query::type_de(ty)
                        ))
                        .hint_de(format!("hier {example_de} schreiben")),
                    );
                }
                None => {}
            },
        }
    });
    if errors > MAX_FACTS_ERRORS_PER_FILE {
        if let Some(last) = diags.last_mut() {
            let more = errors - MAX_FACTS_ERRORS_PER_FILE;
            let en = format!("{more} more problems in `{}` are not shown", path.display());
            let de = format!(
                "{more} weitere Probleme in `{}` werden nicht gezeigt",
                path.display()
            );
            *last = std::mem::replace(last, Diagnostic::without_span(Code::Syntax, ""))
                .with_notes(en, de);
        }
    }
    if diags.len() > diags_before {
        let added = sources.add(path.display().to_string(), text);
        debug_assert_eq!(added, file, "no other file was added meanwhile");
    }
    Ok(())
}

/// Evaluates a program on a database under `guard`; `provenance` for explanations. A bound
/// reached is an error naming the rule and relation that grew.
pub fn evaluate<'p>(
    program: &'p Program,
    db: Database,
    provenance: bool,
    guard: Guard,
) -> Result<Evaluation<'p>> {
    eval::evaluate_with(
        program,
        db,
        &EvalOptions {
            provenance,
            ..EvalOptions::default()
        },
        guard,
    )
    .map_err(eval_error)
}

/// The hint to raise a bound on evaluation.
pub const LIMIT_HINT: &str = "raise the bound (--max-tuples, --timeout) if the rules are right; otherwise stop the rule from deriving new values from its own results";

/// [`LIMIT_HINT`] in German.
pub const LIMIT_HINT_DE: &str = "die Grenze anheben (--max-tuples, --timeout), wenn die Regeln stimmen; sonst die Regel daran hindern, aus ihren eigenen Ergebnissen neue Werte abzuleiten";

/// The error of a bound reached, in English and German.
pub fn limit_error(e: &eval::EvalError) -> Error {
    Error::texts(
        ErrorKind::Evaluation,
        crate::Texts::new(
            e.message.clone(),
            e.message_de.clone().unwrap_or_else(|| e.message.clone()),
        ),
    )
    .with_hint_texts(crate::Texts::new(LIMIT_HINT, LIMIT_HINT_DE))
}

fn eval_error(e: eval::EvalError) -> Error {
    match e.kind {
        eval::EvalErrorKind::Limit { .. } => limit_error(&e),
        eval::EvalErrorKind::Internal => {
            Error::new(ErrorKind::Evaluation, format!("evaluation failed: {e}"))
                .with_hint(EVAL_BUG_HINT)
        }
    }
}

/// The program's `.output` relations.
pub fn outputs(program: &Program) -> Vec<RelId> {
    (0..program.relations.len())
        .map(|i| RelId(i as u32))
        .filter(|&r| program.relation(r).output)
        .collect()
}

/// A tuple as a tab-separated line (without its line break); `()` for no columns.
pub fn tuple_line(values: &[Value], evaluation: &Evaluation) -> String {
    if values.is_empty() {
        return "()".to_string();
    }
    values
        .iter()
        .map(|&v| display(v, evaluation.interner()))
        .collect::<Vec<_>>()
        .join("\t")
}

/// Relations as text: a `# rel(columns)` header, then one tab-separated tuple per line,
/// sorted; relations in name order, separated by a blank line.
pub fn outputs_text(evaluation: &Evaluation, outputs: &[RelId]) -> String {
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

/// Writes `dir/<rel>.csv` for each relation, all or nothing: every file is written in full
/// into a temporary folder created exclusively in `dir` before any is moved into place
/// ([`sphere_model::output::write_files`]), so a failure leaves the old set, and a link
/// planted in `dir` is never followed.
pub fn write_outputs(evaluation: &Evaluation, outputs: &[RelId], dir: &Path) -> Result<()> {
    let program = evaluation.program();
    let mut files = Vec::with_capacity(outputs.len());
    for &rel in outputs {
        let name = &program.relation(rel).name;
        let mut text = String::new();
        for t in evaluation.tuples(rel) {
            text.push_str(&tuple_line(&t, evaluation));
            text.push('\n');
        }
        files.push((format!("{name}.csv"), text.into_bytes()));
    }
    sphere_model::output::write_files(dir, &files, |_| false).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot write `{}`: {}", e.path.display(), e.message),
        )
        .with_hint("give a directory you can write to after -D (it is created if missing), on a disk with room")
    })?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The JSON protocol: one object in, one out.

/// A request of the JSON protocol: facts by relation and rules as texts.
#[derive(Clone, Debug)]
pub struct Request {
    pub facts: Vec<ExternalRelation>,
    pub rules: Vec<String>,
}

/// What the JSON protocol answers: every relation, or the diagnostics (with the sources they
/// point into) of what went wrong.
#[derive(Debug)]
pub enum Response {
    Relations(Json),
    Failed {
        diagnostics: Vec<Diagnostic>,
        sources: SourceMap,
    },
}

/// Answers a JSON request: parses it (every problem with its JSON path), compiles the rules
/// leniently (no declarations needed), evaluates, and returns every relation. Warnings of a
/// successful compilation come back beside the answer.
pub fn answer_json(input: &str, guard: Guard) -> (Response, Vec<Diagnostic>, SourceMap) {
    let mut sources = SourceMap::new();
    let request = match parse_request(input) {
        Ok(r) => r,
        Err(diagnostics) => {
            return (
                Response::Failed {
                    diagnostics,
                    sources: sources.clone(),
                },
                Vec::new(),
                sources,
            )
        }
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
        return (
            Response::Failed {
                diagnostics: compiled.diagnostics,
                sources: sources.clone(),
            },
            Vec::new(),
            sources,
        );
    };
    let db = Database::new(&program);
    let evaluation = match eval::evaluate_with(&program, db, &EvalOptions::default(), guard) {
        Ok(e) => e,
        Err(e) => {
            let d = match e.kind {
                eval::EvalErrorKind::Limit { .. } => {
                    Diagnostic::without_span(Code::TooLarge, e.to_string()).with_hint(LIMIT_HINT)
                }
                eval::EvalErrorKind::Internal => {
                    Diagnostic::without_span(Code::Io, format!("evaluation failed: {e}"))
                        .with_hint(EVAL_BUG_HINT)
                }
            };
            return (
                Response::Failed {
                    diagnostics: vec![d],
                    sources: sources.clone(),
                },
                compiled.diagnostics,
                sources,
            );
        }
    };
    (
        Response::Relations(relations_json(&evaluation)),
        compiled.diagnostics,
        sources,
    )
}

/// The error object of the JSON protocol.
pub fn json_error(diags: &[Diagnostic], sources: &SourceMap) -> Json {
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

/// The diagnostic for input that cannot be read at all.
pub fn unreadable_input(e: &std::io::Error) -> Diagnostic {
    Diagnostic::without_span(Code::Io, format!("cannot read stdin: {e}"))
        .with_hint("send one UTF-8 JSON object on stdin")
}

/// Reads and checks the request object; every problem is reported with its JSON path.
pub fn parse_request(input: &str) -> std::result::Result<Request, Vec<Diagnostic>> {
    let root: Json = serde_json::from_str(input).map_err(|e| {
        vec![Diagnostic::without_span(
            Code::Io,
            format!("stdin is not valid JSON: {e}"),
        )
        .with_hint(r#"send one object: {"facts": {"edge": [[1, 2]]}, "rules": ["path(X, Y) :- edge(X, Y)."]}"#)]
    })?;
    // serde_json keeps the last of two equal keys: `"edge"` twice would drop facts silently.
    if let Err(p) = sphere_model::json_check::check(input) {
        let d = if p.duplicate {
            Diagnostic::without_span(Code::Io, format!("{} at {}", p.message, p.path))
                .with_hint("JSON readers keep only one of the two values: merge them into one")
        } else {
            Diagnostic::without_span(
                Code::Io,
                format!(
                    "stdin is not valid JSON: {} at {} (line {}, column {})",
                    p.message, p.path, p.line, p.column
                ),
            )
        };
        return Err(vec![d]);
    }
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
pub fn relations_json(evaluation: &Evaluation) -> Json {
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
