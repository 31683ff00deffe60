//! The facts directory, `sphere-facts/1`: extracted facts as tab-separated files, one per
//! input relation (Soufflé's `.facts` convention), written by `sphere facts` and read by
//! `sphere check --facts`, so a CRM can export relational tables instead of JSON.
//!
//! The contract (docs/model.md has the full text):
//! - a file `FORMAT` holding the line `sphere-facts/1`;
//! - for every relation of `knowledge/model.dl`, a file `<relation>.facts` (empty when the
//!   relation has no rows); a missing file reads as empty, an unknown one is an error;
//! - one row per line, ended by `\n`, rows sorted; columns separated by one tab, in
//!   declaration order;
//! - symbols as written, with `\` written `\\`, tab `\t`, newline `\n`, carriage return
//!   `\r`; numbers in decimal; dates `YYYY-MM-DD`;
//! - flags are one-column relations (a row when true) and absent values have no row, so no
//!   column is ever empty for want of a value.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use sphere_rt::value::Type;

use crate::error::{did_you_mean, ErrorKind, Place, ValidationError};
use crate::extract::{input_relations, FactValue, Facts, InputRelation};
use crate::Origin;

/// The version line of the `FORMAT` file.
pub const FACTS_FORMAT: &str = "sphere-facts/1";

/// The name of the version file in a facts directory.
pub const FORMAT_FILE: &str = "FORMAT";

/// The list of the files an export wrote, one name a line (itself included).
pub const MANIFEST_FILE: &str = "MANIFEST";

/// Writes a symbol with `\`, tab, newline and carriage return escaped.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['\\', '\t', '\n', '\r']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Reads an escaped symbol back; `Err` names the offending escape.
pub fn unescape(s: &str) -> Result<Cow<'_, str>, String> {
    if !s.contains('\\') {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => return Err(format!("unknown escape `\\{other}`")),
            None => return Err(LONE_BACKSLASH.into()),
        }
    }
    Ok(Cow::Owned(out))
}

/// [`unescape`]'s message for a field that ends in a lone backslash.
const LONE_BACKSLASH: &str = "a lone `\\` at the end of the field";

/// [`unescape`]'s message in German.
fn unescape_message_de(message: &str) -> String {
    if message == LONE_BACKSLASH {
        return "ein einzelnes `\\` am Ende des Feldes".into();
    }
    match message.strip_prefix("unknown escape ") {
        Some(escape) => format!("unbekannte Escape-Sequenz {escape}"),
        None => message.to_string(),
    }
}

/// One row as a line (with its `\n`).
fn write_row(out: &mut Vec<u8>, values: &[FactValue]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        match v {
            FactValue::Sym(s) => out.extend_from_slice(escape(s).as_bytes()),
            FactValue::Num(n) => out.extend_from_slice(n.to_string().as_bytes()),
            FactValue::Date(d) => out.extend_from_slice(d.to_string().as_bytes()),
        }
    }
    out.push(b'\n');
}

/// A file or directory that cannot be read: `what` is the English verb phrase (`read the
/// directory`), `thing` the German noun with its article (`das Verzeichnis`).
fn io_error(file: &Path, what: &str, thing: &str, e: std::io::Error) -> ValidationError {
    let de = match e.kind() {
        std::io::ErrorKind::NotFound => format!("{thing} gibt es nicht"),
        std::io::ErrorKind::PermissionDenied => format!("{thing} darf nicht gelesen werden"),
        _ => format!("{thing} lässt sich nicht lesen"),
    };
    ValidationError::new(
        ErrorKind::Io,
        &file.display().to_string(),
        Place::File,
        format!("cannot {what}: {e}"),
    )
    .de(de)
}

/// Writes `facts` into `dir` in the `sphere-facts/1` layout and returns the number of files.
///
/// All or nothing as far as the file system allows ([`crate::output::write_files`]): every
/// file is first written in full into a temporary folder created exclusively in `dir`, and
/// only when all are written are they renamed into place; a failure leaves what was there
/// before. A `MANIFEST` lists what the export wrote, and `.facts` files of relations the new
/// export lacks are removed. `dir` must be absent, empty, or an earlier facts directory (it has `FORMAT`), so a
/// mistyped path never mixes facts into an unrelated directory.
pub fn write_facts_dir(facts: &Facts, dir: &Path) -> Result<usize, ValidationError> {
    if dir.exists() {
        let entries = fs::read_dir(dir)
            .map_err(|e| io_error(dir, "read the directory", "das Verzeichnis", e))?;
        let nonempty = entries.count() > 0;
        if nonempty && !dir.join(FORMAT_FILE).is_file() {
            return Err(ValidationError::new(
                ErrorKind::Io,
                &dir.display().to_string(),
                Place::File,
                "the directory is not empty and is not a facts directory (it has no FORMAT file)",
            )
            .de("das Verzeichnis ist nicht leer und kein Faktenverzeichnis (es hat keine Datei FORMAT)")
            .with_hints(
                "give a new or empty directory, or an earlier output of `sphere facts`",
                "ein neues oder leeres Verzeichnis angeben oder eine frühere Ausgabe von `sphere facts`",
            ));
        }
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.push((
        FORMAT_FILE.to_string(),
        format!("{FACTS_FORMAT}\n").into_bytes(),
    ));
    for rel in input_relations() {
        let mut rows: Vec<Vec<FactValue>> = facts
            .relation(&rel.name)
            .map(|r| (0..r.len()).map(|i| r.values(i)).collect())
            .unwrap_or_default();
        rows.sort_unstable();
        let mut out = Vec::new();
        for values in &rows {
            write_row(&mut out, values);
        }
        files.push((format!("{}.facts", rel.name), out));
    }
    // The folder is sphere's: the MANIFEST lists what the export wrote, and a `.facts` file
    // the new set lacks (a relation that no longer exists) goes, or `check --facts` would
    // read it as part of this export.
    let old_manifest: Vec<String> = fs::read_to_string(dir.join(MANIFEST_FILE))
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    let mut manifest: String = files.iter().map(|(n, _)| format!("{n}\n")).collect();
    manifest.push_str(MANIFEST_FILE);
    manifest.push('\n');
    files.push((MANIFEST_FILE.to_string(), manifest.into_bytes()));
    crate::output::write_files(dir, &files, |n| {
        n.ends_with(".facts") || old_manifest.iter().any(|m| m == n)
    })
    .map_err(|e| {
        ValidationError::new(
            ErrorKind::Io,
            &e.path.display().to_string(),
            Place::File,
            e.message,
        )
    })?;
    Ok(files.len())
}

/// Reads a facts directory written by [`write_facts_dir`] or by hand (a CRM export).
/// Every problem is reported with its file and line.
pub fn read_facts_dir(dir: &Path) -> Result<Facts, Vec<ValidationError>> {
    let mut errors = Vec::new();
    let format_path = dir.join(FORMAT_FILE);
    match fs::read_to_string(&format_path) {
        Ok(text) if strip_bom(&text).trim() == FACTS_FORMAT => {}
        Ok(text) => errors.push(
            ValidationError::new(
                ErrorKind::UnsupportedFormat,
                &format_path.display().to_string(),
                Place::Line(1, 1),
                format!(
                    "the format is `{}`, not `{FACTS_FORMAT}`",
                    text.lines().next().unwrap_or("").trim()
                ),
            )
            .de(format!(
                "das Format ist `{}`, nicht `{FACTS_FORMAT}`",
                text.lines().next().unwrap_or("").trim()
            ))
            .with_hints(
                format!("the FORMAT file holds the single line {FACTS_FORMAT}"),
                format!("die Datei FORMAT enthält nur die Zeile {FACTS_FORMAT}"),
            ),
        ),
        Err(e) => {
            errors.push(
                io_error(
                    &format_path,
                    "read the version file",
                    "die Versionsdatei",
                    e,
                )
                .with_hints(
                    format!("a facts directory has a file FORMAT holding the line {FACTS_FORMAT}"),
                    format!(
                        "ein Faktenverzeichnis hat eine Datei FORMAT mit der Zeile {FACTS_FORMAT}"
                    ),
                ),
            );
            return Err(errors);
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            return Err(vec![io_error(
                dir,
                "read the directory",
                "das Verzeichnis",
                e,
            )])
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".facts"))
        .collect();
    names.sort();
    let mut texts: Vec<(String, String)> = Vec::with_capacity(names.len());
    for name in names {
        let path = dir.join(&name);
        let file = path.display().to_string();
        let is_input = name
            .strip_suffix(".facts")
            .is_some_and(|rel| input_relations().iter().any(|r| r.name == rel));
        if !is_input {
            // Reported by `read_facts_texts`, without reading the file.
            texts.push((file, String::new()));
            continue;
        }
        match crate::input::read_text(&path) {
            Ok(t) => texts.push((file, t)),
            Err(crate::input::InputError::Io(e)) => {
                errors.push(io_error(&path, "read", "die Datei", e))
            }
            Err(e) => {
                let (message, hint) = e.describe();
                let (message_de, hint_de) = e.describe_de();
                errors.push(
                    ValidationError::new(ErrorKind::BadFacts, &file, Place::File, message)
                        .de(message_de)
                        .with_hints(hint, hint_de),
                );
            }
        }
    }
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    match read_facts_texts(&refs) {
        Ok(facts) if errors.is_empty() => Ok(facts),
        Ok(_) => Err(errors),
        Err(more) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

/// Reads the `.facts` files of an export given as `(file, text)`, the relation named by the
/// file's name (`dir/activity.facts`): every line checked against its relation, then the
/// rows against each other and the model's contract ([`crate::facts_check`]). The part of
/// [`read_facts_dir`] that reads no file system (the fuzzer calls it).
pub fn read_facts_texts(files: &[(&str, &str)]) -> Result<Facts, Vec<ValidationError>> {
    let mut errors = Vec::new();
    let decls: BTreeMap<&str, &InputRelation> = input_relations()
        .iter()
        .map(|r| (r.name.as_str(), r))
        .collect();
    // Rows as read, by relation: checked across rows, then sorted into the facts.
    let mut read: BTreeMap<&str, Vec<(Vec<FactValue>, Origin)>> =
        decls.keys().map(|k| (*k, Vec::new())).collect();
    // The 1-based column of every field of every row, for the checks across rows.
    let mut columns: BTreeMap<&str, Vec<Vec<usize>>> = BTreeMap::new();
    for &(file, text) in files {
        let name = Path::new(file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(rel) = name.strip_suffix(".facts") else {
            continue;
        };
        let Some(decl) = decls.get(rel) else {
            let (hint, hint_de) = match did_you_mean(rel, decls.keys().copied()) {
                Some(m) => (
                    format!("did you mean `{m}.facts`?"),
                    format!("meinten Sie `{m}.facts`?"),
                ),
                None => (
                    "the input relations are declared in knowledge/model.dl".to_string(),
                    "die Eingaberelationen sind in knowledge/model.dl deklariert".to_string(),
                ),
            };
            errors.push(
                ValidationError::new(
                    ErrorKind::BadFacts,
                    file,
                    Place::File,
                    format!("`{rel}` is not an input relation"),
                )
                .de(format!("`{rel}` ist keine Eingaberelation"))
                .with_hints(hint, hint_de),
            );
            continue;
        };
        let rows = read.entry(decl.name.as_str()).or_default();
        let cols = columns.entry(decl.name.as_str()).or_default();
        read_rows(text, decl, file, rows, cols, &mut errors);
    }
    if errors.is_empty() {
        check_rows(&read, &columns, &decls, &mut errors);
    }
    if errors.is_empty() {
        let mut facts = Facts::declared();
        for (name, mut rows) in read {
            rows.sort_unstable();
            for (values, origin) in &rows {
                let line = origin
                    .path
                    .strip_prefix("line ")
                    .and_then(|n| n.parse().ok());
                match line {
                    Some(n) => {
                        let at = facts.line(&origin.file, n);
                        facts.push_at(name, values, at)
                    }
                    None => facts.push(name, values, origin),
                };
            }
        }
        Ok(facts)
    } else {
        Err(errors)
    }
}

/// The checks of [`crate::facts_check`] over rows that each fit their relation.
fn check_rows(
    read: &BTreeMap<&str, Vec<(Vec<FactValue>, Origin)>>,
    columns: &BTreeMap<&str, Vec<Vec<usize>>>,
    decls: &BTreeMap<&str, &InputRelation>,
    errors: &mut Vec<ValidationError>,
) {
    let none = Vec::new();
    let no_rows = Vec::new();
    let relations: Vec<(&InputRelation, Vec<crate::facts_check::ReadRow<'_>>)> = input_relations()
        .iter()
        .filter(|rel| decls.contains_key(rel.name.as_str()))
        .map(|rel| {
            let cols = columns.get(rel.name.as_str()).unwrap_or(&none);
            let rows = read
                .get(rel.name.as_str())
                .unwrap_or(&no_rows)
                .iter()
                .zip(cols)
                .map(|((values, origin), cols)| crate::facts_check::ReadRow {
                    values,
                    file: &origin.file,
                    line: origin
                        .path
                        .strip_prefix("line ")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0),
                    columns: cols,
                })
                .collect();
            (rel, rows)
        })
        .collect();
    crate::facts_check::check(&relations, errors);
}

/// `text` without a leading UTF-8 byte-order mark. Editors on Windows and spreadsheet exports
/// write one; every reader of sphere's text inputs takes it as the encoding's signature it is
/// and reads the text after it, so it never becomes part of the first value.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn read_rows(
    text: &str,
    decl: &InputRelation,
    file: &str,
    rows: &mut Vec<(Vec<FactValue>, Origin)>,
    field_columns: &mut Vec<Vec<usize>>,
    errors: &mut Vec<ValidationError>,
) {
    let columns = decl
        .columns
        .iter()
        .map(|(n, t)| format!("{n}: {t}"))
        .collect::<Vec<_>>()
        .join(", ");
    let types: Vec<Type> = decl.columns.iter().map(|(_, t)| *t).collect();
    read_lines(text, &types, Dialect::Sphere, |line, result| match result {
        Ok(fields) => {
            let mut at = Vec::with_capacity(fields.len());
            let mut column = 1;
            for f in line.text.split('\t') {
                at.push(column);
                column += f.chars().count() + 1;
            }
            field_columns.push(at);
            rows.push((
                fields.into_iter().map(Field::into_fact).collect(),
                Origin {
                    file: file.to_string(),
                    path: format!("line {}", line.number),
                },
            ))
        }
        Err(problems) => {
            for p in problems {
                match p {
                    LineError::Arity { found } => errors.push(
                        ValidationError::new(
                            ErrorKind::BadFacts,
                            file,
                            Place::Line(line.number, 1),
                            format!(
                                "{found} columns, but `{}` has {}",
                                decl.name,
                                decl.columns.len()
                            ),
                        )
                        .de(format!(
                            "{found} {}, `{}` hat aber {}",
                            if found == 1 { "Spalte" } else { "Spalten" },
                            decl.name,
                            decl.columns.len()
                        ))
                        .with_hints(
                            format!("columns, separated by one tab: {columns}"),
                            format!("Spalten, durch je einen Tabulator getrennt: {columns}"),
                        ),
                    ),
                    LineError::Value {
                        column,
                        char_column,
                        field,
                        problem,
                        ..
                    } => {
                        let (msg, hint) = problem.describe(field);
                        let (msg_de, hint_de) = problem.describe_de(field);
                        errors.push(
                            ValidationError::new(
                                ErrorKind::BadFacts,
                                file,
                                Place::Line(line.number, char_column),
                                format!("column `{}`: {msg}", decl.columns[column].0),
                            )
                            .de(format!("Spalte `{}`: {msg_de}", decl.columns[column].0))
                            .with_hints(hint, hint_de),
                        )
                    }
                }
            }
        }
    });
}

/// How a `.facts` text writes its values: the one reader of tab-separated facts serves both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `sphere-facts/1` (this module): every line is a row (a blank line is the row of one
    /// empty symbol); symbols escaped (`\\`, `\t`, `\n`, `\r`); numbers and dates exactly.
    Sphere,
    /// Soufflé's (`sphere eval -F`): blank lines are skipped; symbols as written, without
    /// escapes; numbers and dates may be padded with spaces; a relation without columns
    /// holds when its file has a line.
    Souffle,
}

/// A value read from a field, borrowing the text where it can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field<'t> {
    Sym(Cow<'t, str>),
    Num(i64),
    Date(sphere_rt::value::Date),
}

impl Field<'_> {
    /// The value as an extracted fact's.
    pub fn into_fact(self) -> FactValue {
        match self {
            Field::Sym(s) => FactValue::Sym(s.into_owned()),
            Field::Num(n) => FactValue::Num(n),
            Field::Date(d) => FactValue::Date(d),
        }
    }
}

/// One line of a `.facts` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'t> {
    /// 1-based.
    pub number: usize,
    /// Byte offset of the line in the text.
    pub start: usize,
    /// Without its line break.
    pub text: &'t str,
}

/// Why a field is not a value of its column's type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldProblem {
    /// A backslash escape that `sphere-facts/1` does not know (the message names it).
    Escape(String),
    NotNumber,
    NotDate,
}

impl FieldProblem {
    /// What is wrong with `field`, and a hint, in the words of `sphere-facts/1`.
    pub fn describe(&self, field: &str) -> (String, String) {
        match self {
            FieldProblem::Escape(m) => (
                m.clone(),
                "inside symbols write \\\\ for \\, \\t for tab, \\n for newline, \\r for carriage return".into(),
            ),
            FieldProblem::NotNumber => (
                format!("`{field}` is not a whole number"),
                "write numbers in decimal, e.g. 40 or -3".into(),
            ),
            FieldProblem::NotDate => (
                format!("`{field}` is not a calendar day"),
                "write dates as YYYY-MM-DD; open periods end on 9999-12-31".into(),
            ),
        }
    }

    /// [`FieldProblem::describe`] in German.
    pub fn describe_de(&self, field: &str) -> (String, String) {
        match self {
            FieldProblem::Escape(m) => (
                unescape_message_de(m),
                "in Symbolen \\\\ für \\, \\t für Tabulator, \\n für Zeilenumbruch, \\r für Wagenrücklauf schreiben".into(),
            ),
            FieldProblem::NotNumber => (
                format!("`{field}` ist keine ganze Zahl"),
                "Zahlen dezimal schreiben, z. B. 40 oder -3".into(),
            ),
            FieldProblem::NotDate => (
                format!("`{field}` ist kein Kalendertag"),
                "Daten als YYYY-MM-DD schreiben; offene Zeiträume enden am 9999-12-31".into(),
            ),
        }
    }
}

/// A problem of one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineError<'t> {
    /// The line has `found` fields, not one per column.
    Arity { found: usize },
    /// A field that is not a value of its column's type.
    Value {
        /// 0-based column.
        column: usize,
        /// Byte offset of the field in the line.
        offset: usize,
        /// 1-based column of the field's first character in the line.
        char_column: usize,
        field: &'t str,
        problem: FieldProblem,
    },
}

/// Reads a `.facts` text whose columns have `types`: calls `row` for every line that is a row,
/// with its values or every problem it has (each field is judged, in order). The one reader
/// of tab-separated facts: the facts export and `sphere eval -F` both use it.
pub fn read_lines<'t>(
    text: &'t str,
    types: &[Type],
    dialect: Dialect,
    mut row: impl FnMut(Line<'t>, Result<Vec<Field<'t>>, Vec<LineError<'t>>>),
) {
    // A byte-order mark is not part of the first row (offsets stay those of the file).
    let mut start = text.len() - strip_bom(text).len();
    for (i, raw) in text[start..].split_inclusive('\n').enumerate() {
        let line_start = start;
        start += raw.len();
        let body = raw.strip_suffix('\n').unwrap_or(raw);
        let body = match dialect {
            Dialect::Souffle => body.trim_end_matches('\r'),
            // As `str::lines` and one more: `\r\n`, and a `\r` before it.
            Dialect::Sphere => {
                let b = body.strip_suffix('\r').unwrap_or(body);
                b.strip_suffix('\r').unwrap_or(b)
            }
        };
        if dialect == Dialect::Souffle && body.trim().is_empty() {
            continue;
        }
        let line = Line {
            number: i + 1,
            start: line_start,
            text: body,
        };
        let fields: Vec<&str> = if dialect == Dialect::Souffle && types.is_empty() {
            Vec::new()
        } else {
            body.split('\t').collect()
        };
        if fields.len() != types.len() {
            row(
                line,
                Err(vec![LineError::Arity {
                    found: fields.len(),
                }]),
            );
            continue;
        }
        let mut values = Vec::with_capacity(fields.len());
        let mut problems = Vec::new();
        let (mut offset, mut char_column) = (0usize, 1usize);
        for (column, (field, ty)) in fields.iter().zip(types).enumerate() {
            match read_field(field, *ty, dialect) {
                Ok(v) => values.push(v),
                Err(problem) => problems.push(LineError::Value {
                    column,
                    offset,
                    char_column,
                    field,
                    problem,
                }),
            }
            offset += field.len() + 1;
            char_column += field.chars().count() + 1;
        }
        if problems.is_empty() {
            row(line, Ok(values));
        } else {
            row(line, Err(problems));
        }
    }
}

fn read_field(field: &str, ty: Type, dialect: Dialect) -> Result<Field<'_>, FieldProblem> {
    match (ty, dialect) {
        (Type::Symbol, Dialect::Sphere) => unescape(field)
            .map(Field::Sym)
            .map_err(FieldProblem::Escape),
        // Soufflé takes symbols as written: no quotes, no escapes.
        (Type::Symbol, Dialect::Souffle) => Ok(Field::Sym(Cow::Borrowed(field))),
        (Type::Number, Dialect::Sphere) => field
            .parse::<i64>()
            .map(Field::Num)
            .map_err(|_| FieldProblem::NotNumber),
        (Type::Number, Dialect::Souffle) => field
            .trim()
            .parse::<i64>()
            .map(Field::Num)
            .map_err(|_| FieldProblem::NotNumber),
        (Type::Date, Dialect::Sphere) => crate::types::Date::parse(field)
            .map(|d| Field::Date(d.0))
            .ok_or(FieldProblem::NotDate),
        (Type::Date, Dialect::Souffle) => sphere_rt::value::Date::parse(field.trim())
            .map(Field::Date)
            .ok_or(FieldProblem::NotDate),
    }
}
