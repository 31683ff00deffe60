//! Loading: JSON text → [`ModelFile`] (every problem of the file collected at once), and
//! several files → one [`Model`].
//!
//! A file is split into its top-level keys without building one tree for the whole document
//! (`serde_json::value::RawValue`); each object of a list is then parsed and read on its own,
//! so memory stays proportional to the input even for a million activities. The readers below
//! know every key of model.md and apply its defaults; they report unknown keys (except
//! `x-...`), wrong types, missing keys, bad dates, countries and enum values, and the
//! contradictions visible inside one object (a consent withdrawn before it was given).
//! Checks across objects (references, duplicate ids) are in [`crate::validate`].

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::countries::country_name;
use crate::error::{did_you_mean, ErrorKind, Place, ValidationError};
use crate::types::*;
use crate::Section;

/// Reads and merges model files, then validates the result.
///
/// `files` are the names as given on the command line; they are used in messages as written.
/// `today` is the `as_of` of a model that sets none.
pub fn load_paths(files: &[impl AsRef<Path>], today: Date) -> Result<Model, Vec<ValidationError>> {
    let texts = read_files(files)?;
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    load_texts(&refs, today)
}

/// Reads model files as `(name as given, text)`, for [`load_texts`]; every file that cannot
/// be read is a problem.
pub fn read_files(
    files: &[impl AsRef<Path>],
) -> Result<Vec<(String, String)>, Vec<ValidationError>> {
    let mut texts = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for f in files {
        let f = f.as_ref();
        let name = f.display().to_string();
        match crate::input::read_text(f) {
            Ok(text) => texts.push((name, text)),
            Err(crate::input::InputError::Io(e)) => errors.push(
                ValidationError::new(ErrorKind::Io, &name, Place::File, format!("cannot read the file: {e}"))
                    .de(match e.kind() {
                        std::io::ErrorKind::NotFound => "die Datei gibt es nicht".to_string(),
                        std::io::ErrorKind::PermissionDenied => "die Datei darf nicht gelesen werden".to_string(),
                        _ => "die Datei lässt sich nicht lesen".to_string(),
                    })
                    .with_hints(
                        "check the path; model files are JSON documents with \"format\": \"sphere-model/1\"",
                        "den Pfad prüfen; Modelldateien sind JSON-Dokumente mit \"format\": \"sphere-model/1\"",
                    ),
            ),
            Err(e) => {
                let (message, hint) = e.describe();
                let (message_de, hint_de) = e.describe_de();
                let kind = match e {
                    crate::input::InputError::TooLarge { .. } => ErrorKind::TooLarge,
                    _ => ErrorKind::Syntax,
                };
                errors.push(
                    ValidationError::new(kind, &name, Place::File, message)
                        .de(message_de)
                        .with_hints(hint, hint_de),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(texts)
    } else {
        Err(errors)
    }
}

/// Parses, merges and validates model texts given as `(file name, JSON text)`.
pub fn load_texts(files: &[(&str, &str)], today: Date) -> Result<Model, Vec<ValidationError>> {
    let mut errors = Vec::new();
    let mut parsed = Vec::with_capacity(files.len());
    let mut incomplete = Vec::new();
    for (name, text) in files {
        if let Some((file, lost)) = parse_file_inner(name, text, &mut errors) {
            parsed.push((name.to_string(), file));
            incomplete.extend(lost);
        }
    }
    // A file that does not parse at all would make a merge report misleading problems
    // (a missing organization that is really in the broken file): stop here.
    if parsed.len() < files.len() {
        return Err(errors);
    }
    let model = merge(parsed, today, &mut errors);
    if let Some(model) = &model {
        crate::validate::validate_with(model, &incomplete, &mut errors);
    }
    match model {
        Some(m) if errors.is_empty() => Ok(m),
        _ => Err(errors),
    }
}

/// The problem [`crate::json_check::check`] found in the JSON text `name`, as the model
/// reader reports it: a duplicate key (`duplicate_key`) or a value no reader may accept (a
/// number out of range, a lone surrogate, nesting too deep), at its JSON path, with a hint.
/// Also for JSON that is not a model file (the server's request bodies).
pub fn json_problem(name: &str, p: crate::json_check::JsonProblem) -> ValidationError {
    let (kind, message, de, hint) = if p.duplicate {
        // The message names the key in double quotes: `the key "c" is given twice ...`.
        let key = p.message.split('"').nth(1).unwrap_or_default();
        let de = format!("der Schlüssel \"{key}\" steht zweimal in einem Objekt");
        (
            ErrorKind::DuplicateKey,
            p.message,
            de,
            (
                "JSON readers keep only one of the two values: remove or merge one of them",
                "JSON-Leser behalten nur einen der beiden Werte: einen entfernen oder beide zusammenführen",
            ),
        )
    } else {
        let de = match syntax_de(&p.message) {
            Some(d) => format!(
                "kein gültiges JSON: {d} (Zeile {}, Spalte {})",
                p.line, p.column
            ),
            None => format!("kein gültiges JSON (Zeile {}, Spalte {})", p.line, p.column),
        };
        (
            ErrorKind::Syntax,
            format!("not valid JSON: {} (line {}, column {})", p.message, p.line, p.column),
            de,
            (
                "numbers within ±1.8e308, strings without lone surrogates (\\ud800 alone), and at most 127 nested arrays and objects",
                "Zahlen innerhalb von ±1.8e308, Zeichenketten ohne einzelne Surrogate (\\ud800 allein) und höchstens 127 verschachtelte Listen und Objekte",
            ),
        )
    };
    ValidationError::at_path(kind, name, p.path, message)
        .de(de)
        .with_hints(hint.0, hint.1)
}

/// Reads one model file. Problems are appended to `errors`; the result is `None` only when
/// the text is not a JSON object at all. A file with problems still yields its readable
/// parts, so later checks can report more than the first problem.
pub fn parse_file(name: &str, text: &str, errors: &mut Vec<ValidationError>) -> Option<ModelFile> {
    parse_file_inner(name, text, errors).map(|(f, _)| f)
}

/// [`parse_file`], plus the sections in which an object was lost (not an object, or without
/// a readable id): references into them may name that object, so they are not reported as
/// dangling.
fn parse_file_inner(
    name: &str,
    text: &str,
    errors: &mut Vec<ValidationError>,
) -> Option<(ModelFile, Vec<Section>)> {
    let text = crate::facts_io::strip_bom(text);
    let top: BTreeMap<String, &RawValue> = match serde_json::from_str(text) {
        Ok(top) => top,
        Err(e) => {
            let (kind, msg, de) = if e.is_data() {
                (
                    ErrorKind::WrongType,
                    "the document is not a JSON object".to_string(),
                    "das Dokument ist kein JSON-Objekt".to_string(),
                )
            } else {
                let detail = strip_position(&e.to_string());
                let de = match syntax_de(&detail) {
                    Some(d) => format!("kein gültiges JSON: {d}"),
                    None => "kein gültiges JSON".to_string(),
                };
                (ErrorKind::Syntax, format!("not valid JSON: {detail}"), de)
            };
            let place = if e.line() == 0 {
                Place::Path("$".into())
            } else {
                Place::Line(e.line(), e.column())
            };
            errors.push(ValidationError::new(kind, name, place, msg).de(de).with_hints(
                "a model file is one JSON object: {\"format\": \"sphere-model/1\", ...}; JSON allows no trailing commas and no comments",
                "eine Modelldatei ist ein JSON-Objekt: {\"format\": \"sphere-model/1\", ...}; JSON erlaubt weder Kommas am Ende noch Kommentare",
            ));
            return None;
        }
    };
    // The reader above skips what it does not read yet (raw sections, `x-` keys) and keeps
    // the last of two equal keys: one strict pass finds what that hides, where it is.
    if let Err(p) = crate::json_check::check(text) {
        errors.push(json_problem(name, p));
        return None;
    }
    let mut r = Reader {
        file: name,
        errors,
        lost_id: false,
        incomplete: Vec::new(),
    };
    let mut file = ModelFile::default();
    let mut saw_format = false;
    for (key, raw) in &top {
        let key = key.as_str();
        if key.starts_with("x-") {
            continue;
        }
        let path = format!("$.{key}");
        let section = Section::ALL.iter().find(|s| s.key() == key);
        if let Some(&section) = section {
            r.section(&mut file, section, raw, &path);
            continue;
        }
        match key {
            "format" => {
                saw_format = true;
                let v = r.value(raw);
                match v.as_str().and_then(Format::parse) {
                    Some(f) => file.format = f,
                    None => r.push(
                        ValidationError::at_path(
                            ErrorKind::UnsupportedFormat,
                            name,
                            path,
                            format!("format is {v}, not \"{FORMAT}\" or \"{FORMAT_V1}\""),
                        )
                        .de(format!("format ist {v}, nicht \"{FORMAT}\" oder \"{FORMAT_V1}\""))
                        .with_hints(
                            format!("write \"format\": \"{FORMAT}\"; this sphere reads no other version than these two"),
                            format!("\"format\": \"{FORMAT}\" schreiben; dieses sphere liest keine anderen Versionen als diese beiden"),
                        ),
                    ),
                }
            }
            // null is the same as absent here, as for every optional key.
            "as_of" => {
                let v = r.value(raw);
                if !v.is_null() {
                    file.as_of = r.date_value(&v, &path);
                }
            }
            "organization" => {
                let v = r.value(raw);
                if !v.is_null() {
                    file.organization = r.organization(&v, &path);
                }
            }
            _ => {
                let mut known = vec!["format", "as_of", "organization"];
                known.extend(Section::ALL.iter().map(|s| s.key()));
                r.unknown_key("$", key, &known);
            }
        }
    }
    if !saw_format {
        r.push(
            ValidationError::at_path(
                ErrorKind::UnsupportedFormat,
                name,
                "$",
                "the key `format` is missing",
            )
            .de("der Schlüssel `format` fehlt")
            .with_hints(
                format!("every model file starts with \"format\": \"{FORMAT}\""),
                format!("jede Modelldatei beginnt mit \"format\": \"{FORMAT}\""),
            ),
        );
    }
    if file.format == Format::V1 {
        for path in v2_keys(&file) {
            let key = path.rsplit('.').next().unwrap_or_default().to_string();
            r.push(
                ValidationError::at_path(
                    ErrorKind::UnknownKey,
                    name,
                    path,
                    format!("`{key}` is a key of {FORMAT}, but this file is {FORMAT_V1}"),
                )
                .de(format!("`{key}` ist ein Schlüssel von {FORMAT}, diese Datei ist aber {FORMAT_V1}"))
                .with_hints(
                    format!("write \"format\": \"{FORMAT}\" to use it; a {FORMAT_V1} file keeps the meaning it always had"),
                    format!("\"format\": \"{FORMAT}\" schreiben, um ihn zu nutzen; eine Datei in {FORMAT_V1} behält die Bedeutung, die sie immer hatte"),
                ),
            );
        }
    }
    Some((file, r.incomplete))
}

/// The JSON paths of the keys `sphere-model/2` added that a file uses, in file order (a
/// `sphere-model/1` file may use none of them).
fn v2_keys(file: &ModelFile) -> Vec<String> {
    let mut out = Vec::new();
    if file
        .organization
        .as_ref()
        .is_some_and(|o| o.core_activities.is_some())
    {
        out.push("$.organization.core_activities".to_string());
    }
    for (i, x) in file.staff.iter().enumerate() {
        if x.private_account_consent.is_some() {
            out.push(format!("$.staff[{i}].private_account_consent"));
        }
    }
    for (i, x) in file.systems.iter().enumerate() {
        if !x.incidents.is_empty() {
            out.push(format!("$.systems[{i}].incidents"));
        }
    }
    for (i, x) in file.sources.iter().enumerate() {
        for (j, t) in x.tracking.iter().enumerate() {
            if t.reject.is_some() {
                out.push(format!("$.sources[{i}].tracking[{j}].reject"));
            }
        }
    }
    for (i, x) in file.subjects.iter().enumerate() {
        let used = [
            ("birth_date", x.birth_date.is_some()),
            ("contracts", !x.contracts.is_empty()),
            ("requests", !x.requests.is_empty()),
            ("retain_until", x.retain_until.is_some()),
        ];
        out.extend(
            used.iter()
                .filter(|(_, u)| *u)
                .map(|(k, _)| format!("$.subjects[{i}].{k}")),
        );
    }
    for (i, x) in file.consents.iter().enumerate() {
        if x.parental_authorisation.is_some() {
            out.push(format!("$.consents[{i}].parental_authorisation"));
        }
        if x.verified.is_some() {
            out.push(format!("$.consents[{i}].verified"));
        }
    }
    for (i, x) in file.flows.iter().enumerate() {
        if x.derogation.is_some() {
            out.push(format!("$.flows[{i}].derogation"));
        }
    }
    for (i, x) in file.activities.iter().enumerate() {
        let used = [
            ("sender", x.sender.is_some()),
            ("objection_notice", x.objection_notice.is_some()),
            ("post", x.post.is_some()),
            ("reviews", x.reviews.is_some()),
            ("significant_effects", x.significant_effects),
        ];
        out.extend(
            used.iter()
                .filter(|(_, u)| *u)
                .map(|(k, _)| format!("$.activities[{i}].{k}")),
        );
        if let Some(c) = &x.content {
            if c.used_as.is_some() {
                out.push(format!("$.activities[{i}].content.used_as"));
            }
            if c.kug_exception.is_some() {
                out.push(format!("$.activities[{i}].content.kug_exception"));
            }
        }
    }
    out
}

/// Merges files into one model: lists are concatenated in the order given, `as_of` must
/// agree, and exactly one file has the `organization`.
pub fn merge(
    files: Vec<(String, ModelFile)>,
    today: Date,
    errors: &mut Vec<ValidationError>,
) -> Option<Model> {
    let mut model = Model::default();
    let mut as_of: Option<(Date, usize)> = None;
    let mut org: Option<(Organization, usize)> = None;
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    for (i, (name, file)) in files.into_iter().enumerate() {
        if let Some(d) = file.as_of {
            match as_of {
                Some((first, j)) if first != d => errors.push(
                    ValidationError::at_path(
                        ErrorKind::AsOfConflict,
                        &name,
                        "$.as_of",
                        format!("as_of is {d} here but {first} in {}", names[j]),
                    )
                    .de(format!("as_of ist hier {d}, aber {first} in {}", names[j]))
                    .with_hints(
                        "merged files describe one moment: give them the same as_of, or leave it out of fragments",
                        "zusammengeführte Dateien beschreiben einen Zeitpunkt: ihnen dasselbe as_of geben oder es in Fragmenten weglassen",
                    ),
                ),
                Some(_) => {}
                None => as_of = Some((d, i)),
            }
        }
        if let Some(o) = file.organization {
            match &org {
                Some((_, j)) => errors.push(
                    ValidationError::at_path(
                        ErrorKind::OrganizationConflict,
                        &name,
                        "$.organization",
                        format!("a second organization; {} already has one", names[*j]),
                    )
                    .de(format!("eine zweite Organisation; {} hat schon eine", names[*j]))
                    .with_hints(
                        "exactly one of the merged files describes the organization; the others are fragments without it",
                        "genau eine der zusammengeführten Dateien beschreibt die Organisation; die anderen sind Fragmente ohne sie",
                    ),
                ),
                None => org = Some((o, i)),
            }
        }
        model.format = model.format.max(file.format);
        let f = i as u32;
        macro_rules! take {
            ($($field:ident: $section:ident),*) => {$(
                let places = &mut model.provenance.places[Section::$section as usize];
                places.extend((0..file.$field.len() as u32).map(|k| (f, k)));
                model.$field.extend(file.$field);
            )*};
        }
        take!(
            staff: Staff, parties: Parties, systems: Systems, agreements: Agreements,
            assessments: Assessments, sources: Sources, subjects: Subjects, consents: Consents,
            objections: Objections, notices: Notices, flows: Flows, activities: Activities,
            campaigns: Campaigns, guidelines: Guidelines
        );
    }
    let Some((organization, org_file)) = org else {
        let file = names.first().map_or("<no file>", String::as_str);
        let (message, de) = if names.len() == 1 {
            (
                "the model has no organization (this file is a fragment)".to_string(),
                "das Modell hat keine Organisation (diese Datei ist ein Fragment)".to_string(),
            )
        } else {
            (
                format!(
                    "none of the {} merged files has an organization",
                    names.len()
                ),
                format!(
                    "keine der {} zusammengeführten Dateien hat eine Organisation",
                    names.len()
                ),
            )
        };
        errors.push(
            ValidationError::at_path(ErrorKind::MissingOrganization, file, "$", message)
                .de(de)
                .with_hints(
                    "add \"organization\" to the model, or give the file that has it together with this fragment",
                    "dem Modell \"organization\" hinzufügen oder die Datei, die sie enthält, zusammen mit diesem Fragment angeben",
                ),
        );
        return None;
    };
    model.organization = organization;
    model.as_of = as_of.map_or(today, |(d, _)| d);
    model.provenance.files = names;
    model.provenance.organization_file = org_file as u32;
    Some(model)
}

/// An object read by serde alone, if it is clean: it deserializes (no unknown or `x-` key,
/// no wrong type, no missing key, no bad date or enum value) and passes the checks serde
/// cannot make ([`Clean`]). Otherwise the caller reads it with the reporting reader.
fn fast<T: serde::de::DeserializeOwned + Clean>(raw: &RawValue) -> Option<T> {
    let x: T = serde_json::from_str(raw.get()).ok()?;
    x.clean().then_some(x)
}

/// The checks of the reporting reader that serde's derive does not make: non-empty ids,
/// known countries, and the contradictions inside one object. Must be true exactly when the
/// reader would report nothing for an object that serde read (a test checks every invalid
/// fixture both ways).
trait Clean {
    fn clean(&self) -> bool;
}

fn id_ok(s: &str) -> bool {
    !s.trim().is_empty() && !s.chars().any(char::is_control)
}

fn country_ok(s: &str) -> bool {
    country_name(s).is_some()
}

fn ordered(from: Option<Date>, to: Option<Date>) -> bool {
    match (from, to) {
        (Some(f), Some(t)) => f <= t,
        _ => true,
    }
}

impl Clean for Staff {
    fn clean(&self) -> bool {
        id_ok(&self.id)
    }
}

impl Clean for Party {
    fn clean(&self) -> bool {
        id_ok(&self.id)
            && country_ok(&self.country)
            && self
                .certifications
                .iter()
                .all(|c| ordered(Some(c.from), c.to))
    }
}

impl Clean for System {
    fn clean(&self) -> bool {
        id_ok(&self.id)
            && id_ok(&self.operator)
            && country_ok(&self.hosting_country)
            && self.incidents.iter().all(|x| {
                ordered(Some(x.aware), x.authority_notified)
                    && ordered(Some(x.aware), x.subjects_informed)
            })
    }
}

impl Clean for Agreement {
    fn clean(&self) -> bool {
        id_ok(&self.id) && id_ok(&self.with) && ordered(Some(self.from), self.to)
    }
}

impl Clean for Assessment {
    fn clean(&self) -> bool {
        id_ok(&self.id) && id_ok(&self.about)
    }
}

impl Clean for Source {
    fn clean(&self) -> bool {
        id_ok(&self.id) && id_ok(&self.operator)
    }
}

impl Clean for Subject {
    fn clean(&self) -> bool {
        id_ok(&self.id)
            && country_ok(&self.country)
            && !(self.kind == SubjectKind::Minor && self.age.is_some_and(|a| a >= 18))
            && self.contracts.iter().all(|c| ordered(Some(c.from), c.to))
            && self
                .requests
                .iter()
                .all(|q| ordered(Some(q.received), q.answered))
    }
}

impl Clean for Consent {
    fn clean(&self) -> bool {
        id_ok(&self.id) && id_ok(&self.subject) && ordered(Some(self.given), self.withdrawn)
    }
}

impl Clean for Objection {
    fn clean(&self) -> bool {
        id_ok(&self.subject)
    }
}

impl Clean for Notice {
    fn clean(&self) -> bool {
        id_ok(&self.id)
    }
}

impl Clean for Flow {
    fn clean(&self) -> bool {
        id_ok(&self.id)
            && id_ok(&self.from)
            && id_ok(&self.to)
            && self.from != self.to
            && ordered(self.from_date, self.to_date)
    }
}

impl Clean for Activity {
    fn clean(&self) -> bool {
        id_ok(&self.id) && id_ok(&self.by) && self.triggered_by.as_deref() != Some(self.id.as_str())
    }
}

impl Clean for Campaign {
    fn clean(&self) -> bool {
        id_ok(&self.id) && id_ok(&self.owner)
    }
}

impl Clean for Guideline {
    fn clean(&self) -> bool {
        id_ok(&self.id) && self.forbid != Forbid::default()
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Reads JSON values into model types, collecting problems.
struct Reader<'a> {
    file: &'a str,
    errors: &'a mut Vec<ValidationError>,
    /// The `id` of the object being read could not be read.
    lost_id: bool,
    /// Sections in which an object or its id was lost.
    incomplete: Vec<Section>,
}

/// One JSON object being read: its keys, its path, and whether every field read cleanly
/// (checks between fields run only then, so one bad date does not cause a second error).
struct Obj<'v> {
    map: &'v Map<String, Value>,
    path: String,
    clean: bool,
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// [`describe`] in German.
fn describe_de(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "ein Wahrheitswert",
        Value::Number(_) => "eine Zahl",
        Value::String(_) => "eine Zeichenkette",
        Value::Array(_) => "eine Liste",
        Value::Object(_) => "ein Objekt",
    }
}

/// What [`Reader::wrong_type`] expected, in German.
fn expected_de(expected: &str) -> String {
    if expected.starts_with("a list") {
        "eine Liste".into()
    } else if expected.starts_with("a whole number") {
        "eine ganze Zahl".into()
    } else if expected.starts_with("true or false") {
        "true oder false".into()
    } else if expected.ends_with("(a JSON object)") {
        "ein JSON-Objekt".into()
    } else if expected.starts_with("a date") {
        "ein Datum \"YYYY-MM-DD\"".into()
    } else {
        "eine Zeichenkette".into()
    }
}

/// serde_json's words for a syntax error, in German (`None` for one not listed here).
pub fn syntax_de(msg: &str) -> Option<&'static str> {
    Some(match msg {
        "expected value" => "Wert erwartet",
        "expected ident" => "Wert erwartet",
        "trailing comma" => "Komma am Ende",
        "expected `:`" => "`:` erwartet",
        "expected `,` or `}`" => "`,` oder `}` erwartet",
        "expected `,` or `]`" => "`,` oder `]` erwartet",
        "key must be a string" => "Schlüssel muss eine Zeichenkette sein",
        "EOF while parsing a value" => "Textende in einem Wert",
        "EOF while parsing an object" => "Textende in einem Objekt",
        "EOF while parsing a list" => "Textende in einer Liste",
        "EOF while parsing a string" => "Textende in einer Zeichenkette",
        "trailing characters" => "weitere Zeichen nach dem Ende",
        "invalid number" => "ungültige Zahl",
        "number out of range" => "Zahl außerhalb des Bereichs",
        "invalid escape" => "ungültige Escape-Sequenz",
        "recursion limit exceeded" => "zu tief verschachtelt",
        "lone leading surrogate in hex escape" => "einzelnes Surrogat in einer Escape-Sequenz",
        "invalid unicode code point" => "ungültiger Unicode-Codepunkt",
        "control character (\\u0000-\\u001F) found while parsing a string" => {
            "Steuerzeichen in einer Zeichenkette"
        }
        _ => return None,
    })
}

fn first<V: Vocab>() -> V {
    V::parse(V::ALL[0]).expect("every spelling in ALL parses")
}

fn key_path(path: &str, key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::String(key.to_string()))
    }
}

impl Reader<'_> {
    fn push(&mut self, e: ValidationError) {
        self.errors.push(e);
    }

    /// A problem at `path`, its message and hint in English and German: `(en, de)`.
    fn err2(
        &mut self,
        kind: ErrorKind,
        path: String,
        message: (String, String),
        hint: (String, String),
    ) {
        self.errors.push(
            ValidationError::at_path(kind, self.file, path, message.0)
                .de(message.1)
                .with_hints(hint.0, hint.1),
        );
    }

    fn value(&mut self, raw: &RawValue) -> Value {
        // The whole document parsed already, so each part parses again.
        serde_json::from_str(raw.get()).unwrap_or(Value::Null)
    }

    fn unknown_key(&mut self, path: &str, key: &str, known: &[&str]) {
        let hint = match did_you_mean(key, known.iter().copied()) {
            Some(k) => (
                format!(
                    "did you mean `{k}`? (keys starting with `x-` are ignored, for your own notes)"
                ),
                format!(
                    "meinten Sie `{k}`? (Schlüssel, die mit `x-` beginnen, werden übergangen: für eigene Notizen)"
                ),
            ),
            None => (
                format!(
                    "allowed keys here: {}; keys starting with `x-` are ignored",
                    known.join(", ")
                ),
                format!(
                    "hier zulässige Schlüssel: {}; Schlüssel, die mit `x-` beginnen, werden übergangen",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        };
        self.err2(
            ErrorKind::UnknownKey,
            key_path(path, key),
            (
                format!("unknown key `{key}`"),
                format!("unbekannter Schlüssel `{key}`"),
            ),
            hint,
        );
    }

    fn wrong_type(&mut self, path: String, expected: &str, v: &Value) {
        let hint = if expected.starts_with("a list") {
            (
                "write a list in square brackets, e.g. [\"karl\"], or [] for none",
                "eine Liste steht in eckigen Klammern, z. B. [\"karl\"], oder [] für keine",
            )
        } else if expected.starts_with("a whole number") {
            (
                "write the number without quotes, e.g. 40",
                "die Zahl ohne Anführungszeichen schreiben, z. B. 40",
            )
        } else if expected.starts_with("true or false") {
            (
                "write true or false without quotes",
                "true oder false ohne Anführungszeichen schreiben",
            )
        } else if expected.ends_with("(a JSON object)") {
            (
                "write an object in braces: {\"key\": value, ...}",
                "ein Objekt steht in geschweiften Klammern: {\"key\": value, ...}",
            )
        } else {
            (
                "write the value in double quotes",
                "den Wert in doppelte Anführungszeichen setzen",
            )
        };
        self.err2(
            ErrorKind::WrongType,
            path,
            (
                format!("expected {expected}, found {}", describe(v)),
                format!(
                    "erwartet: {}, gefunden: {}",
                    expected_de(expected),
                    describe_de(v)
                ),
            ),
            (hint.0.to_string(), hint.1.to_string()),
        );
    }

    /// Starts reading an object; reports a non-object and every unknown key.
    fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        what: &str,
        keys: &[&str],
    ) -> Option<Obj<'v>> {
        let Value::Object(map) = v else {
            self.wrong_type(path.to_string(), &format!("{what} (a JSON object)"), v);
            return None;
        };
        let mut clean = true;
        for k in map.keys() {
            if !k.starts_with("x-") && !keys.contains(&k.as_str()) {
                self.unknown_key(path, k, keys);
                clean = false;
            }
        }
        Some(Obj {
            map,
            path: path.to_string(),
            clean,
        })
    }

    /// The value of `key`; `None` when absent (reported if `required`) or, unless
    /// `keep_null`, null.
    fn get<'v>(
        &mut self,
        o: &mut Obj<'v>,
        key: &str,
        required: bool,
        keep_null: bool,
    ) -> Option<&'v Value> {
        match o.map.get(key) {
            None => {
                if required {
                    o.clean = false;
                    self.err2(
                        ErrorKind::MissingKey,
                        o.path.clone(),
                        (
                            format!("the required key `{key}` is missing"),
                            format!("der Pflichtschlüssel `{key}` fehlt"),
                        ),
                        (
                            format!(
                                "`{key}` has no default in the model contract (docs/model.md): add it"
                            ),
                            format!(
                                "`{key}` hat im Modellvertrag (docs/model.md) keinen Standardwert: ergänzen"
                            ),
                        ),
                    );
                }
                None
            }
            Some(Value::Null) if !keep_null => None,
            Some(v) => Some(v),
        }
    }

    fn string_value(
        &mut self,
        o: &mut Obj,
        v: &Value,
        path: impl FnOnce() -> String,
    ) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            _ => {
                o.clean = false;
                self.wrong_type(path(), "a string", v);
                None
            }
        }
    }

    /// A required string.
    fn string(&mut self, o: &mut Obj, key: &str) -> Option<String> {
        let v = self.get(o, key, true, true)?;
        let p = o.path.clone();
        self.string_value(o, v, || key_path(&p, key))
    }

    /// A required id: a non-empty string.
    fn id(&mut self, o: &mut Obj, key: &str) -> Option<Id> {
        self.lost_id |= key == "id";
        let s = self.string(o, key)?;
        if s.trim().is_empty() {
            o.clean = false;
            self.err2(
                ErrorKind::InvalidValue,
                key_path(&o.path, key),
                (format!("`{key}` is empty"), format!("`{key}` ist leer")),
                (
                    "ids are non-empty names such as \"karl_kaufmann\"".into(),
                    "IDs sind nicht leere Namen wie \"karl_kaufmann\"".into(),
                ),
            );
            return None;
        }
        if let Some(c) = s.chars().find(|c| c.is_control()) {
            o.clean = false;
            self.err2(
                ErrorKind::InvalidValue,
                key_path(&o.path, key),
                (
                    format!("`{key}` holds the control character U+{:04X}", c as u32),
                    format!("`{key}` enthält das Steuerzeichen U+{:04X}", c as u32),
                ),
                (
                    "ids are names of printable characters: a control character (a line break, an escape sequence) could forge lines of a report".into(),
                    "IDs sind Namen aus druckbaren Zeichen: ein Steuerzeichen (ein Zeilenumbruch, eine Escape-Sequenz) könnte Zeilen eines Berichts fälschen".into(),
                ),
            );
            return None;
        }
        self.lost_id &= key != "id";
        Some(s)
    }

    /// An optional string (absent or null: `None`).
    fn opt_string(&mut self, o: &mut Obj, key: &str) -> Option<String> {
        let v = self.get(o, key, false, false)?;
        let p = o.path.clone();
        self.string_value(o, v, || key_path(&p, key))
    }

    /// An optional id reference (absent or null: `None`).
    fn opt_id(&mut self, o: &mut Obj, key: &str) -> Option<Id> {
        self.opt_string(o, key)
    }

    /// A key that must be present but may be null.
    fn nullable<'v>(&mut self, o: &mut Obj<'v>, key: &str, what: &str) -> Option<&'v Value> {
        match self.get(o, key, false, true) {
            None => {
                o.clean = false;
                self.err2(
                    ErrorKind::MissingKey,
                    o.path.clone(),
                    (
                        format!("the required key `{key}` is missing"),
                        format!("der Pflichtschlüssel `{key}` fehlt"),
                    ),
                    (
                        format!("write \"{key}\": null when there is no {what}"),
                        format!("\"{key}\": null schreiben, wenn es keinen Wert gibt"),
                    ),
                );
                None
            }
            Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn nullable_id(&mut self, o: &mut Obj, key: &str, what: &str) -> Option<Id> {
        let v = self.nullable(o, key, what)?;
        let p = o.path.clone();
        self.string_value(o, v, || key_path(&p, key))
    }

    fn flag(&mut self, o: &mut Obj, key: &str, default: bool) -> bool {
        match self.get(o, key, false, false) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                o.clean = false;
                self.wrong_type(key_path(&o.path, key), "true or false", v);
                default
            }
        }
    }

    /// A flag without a default: reported when missing.
    fn req_flag(&mut self, o: &mut Obj, key: &str) -> bool {
        match self.get(o, key, true, false) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                o.clean = false;
                self.wrong_type(key_path(&o.path, key), "true or false", v);
                false
            }
        }
    }

    fn uint_value(&mut self, o: &mut Obj, v: &Value, key: &str) -> Option<u32> {
        match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Some(n),
            None => {
                o.clean = false;
                if v.is_number() {
                    self.err2(
                        ErrorKind::InvalidValue,
                        key_path(&o.path, key),
                        (
                            format!("`{key}` is {v}, not a whole number from 0 to {}", u32::MAX),
                            format!("`{key}` ist {v}, keine ganze Zahl von 0 bis {}", u32::MAX),
                        ),
                        (
                            "counts and ages are whole numbers, zero or more".into(),
                            "Anzahlen und Alter sind ganze Zahlen, null oder mehr".into(),
                        ),
                    );
                } else {
                    self.wrong_type(key_path(&o.path, key), "a whole number", v);
                }
                None
            }
        }
    }

    fn uint(&mut self, o: &mut Obj, key: &str) -> Option<u32> {
        let v = self.get(o, key, true, true)?;
        self.uint_value(o, v, key)
    }

    fn opt_uint(&mut self, o: &mut Obj, key: &str) -> Option<u32> {
        let v = self.get(o, key, false, false)?;
        self.uint_value(o, v, key)
    }

    /// Reads a date value; reports what is wrong with it.
    fn date_value(&mut self, v: &Value, path: &str) -> Option<Date> {
        let Value::String(s) = v else {
            self.wrong_type(path.to_string(), "a date \"YYYY-MM-DD\"", v);
            return None;
        };
        let d = Date::parse(s);
        if d.is_none() {
            self.err2(
                ErrorKind::BadDate,
                path.to_string(),
                (
                    format!("`{s}` is not a calendar day"),
                    format!("`{s}` ist kein Kalendertag"),
                ),
                (
                    "write dates as YYYY-MM-DD (four-digit year, two-digit month and day), e.g. \"2024-05-14\"".into(),
                    "Daten als YYYY-MM-DD schreiben (vierstelliges Jahr, zweistelliger Monat und Tag), z. B. \"2024-05-14\"".into(),
                ),
            );
        }
        d
    }

    fn date_in(&mut self, o: &mut Obj, v: &Value, key: &str) -> Option<Date> {
        let d = self.date_value(v, &key_path(&o.path, key));
        o.clean &= d.is_some();
        d
    }

    fn date(&mut self, o: &mut Obj, key: &str) -> Option<Date> {
        let v = self.get(o, key, true, true)?;
        self.date_in(o, v, key)
    }

    fn opt_date(&mut self, o: &mut Obj, key: &str) -> Option<Date> {
        let v = self.get(o, key, false, false)?;
        self.date_in(o, v, key)
    }

    fn nullable_date(&mut self, o: &mut Obj, key: &str, what: &str) -> Option<Date> {
        let v = self.nullable(o, key, what)?;
        self.date_in(o, v, key)
    }

    fn vocab_value<V: Vocab>(
        &mut self,
        o: &mut Obj,
        v: &Value,
        path: impl FnOnce() -> String,
    ) -> Option<V> {
        let Value::String(s) = v else {
            o.clean = false;
            self.wrong_type(path(), &format!("a {} (a string)", V::WHAT), v);
            return None;
        };
        let parsed = V::parse(s);
        if parsed.is_none() {
            o.clean = false;
            let allowed = V::ALL
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let hint = match did_you_mean(s, V::ALL.iter().copied()) {
                Some(m) => (
                    format!("did you mean \"{m}\"? allowed: {allowed}"),
                    format!("meinten Sie \"{m}\"? zulässig: {allowed}"),
                ),
                None => (
                    format!("allowed: {allowed}"),
                    format!("zulässig: {allowed}"),
                ),
            };
            self.err2(
                ErrorKind::UnknownValue,
                path(),
                (
                    format!("\"{s}\" is not a {}", V::WHAT),
                    format!("\"{s}\" ist hier kein zulässiger Wert"),
                ),
                hint,
            );
        }
        parsed
    }

    fn vocab<V: Vocab>(&mut self, o: &mut Obj, key: &str) -> Option<V> {
        let v = self.get(o, key, true, true)?;
        let p = o.path.clone();
        self.vocab_value(o, v, || key_path(&p, key))
    }

    fn opt_vocab<V: Vocab>(&mut self, o: &mut Obj, key: &str) -> Option<V> {
        let v = self.get(o, key, false, false)?;
        let p = o.path.clone();
        self.vocab_value(o, v, || key_path(&p, key))
    }

    fn country(&mut self, o: &mut Obj, key: &str) -> Option<String> {
        let s = self.string(o, key)?;
        if country_name(&s).is_none() {
            o.clean = false;
            let upper = s.to_ascii_uppercase();
            let hint = if country_name(&upper).is_some() {
                (
                    format!("country codes are upper case: \"{upper}\""),
                    format!("Ländercodes werden großgeschrieben: \"{upper}\""),
                )
            } else {
                (
                    "use an ISO 3166 alpha-2 code such as \"DE\", \"IE\" or \"US\" (\"EU\" is not a country)".to_string(),
                    "einen Code nach ISO 3166 alpha-2 verwenden, etwa \"DE\", \"IE\" oder \"US\" (\"EU\" ist kein Land)".to_string(),
                )
            };
            self.err2(
                ErrorKind::UnknownCountry,
                key_path(&o.path, key),
                (
                    format!("\"{s}\" is not an ISO 3166 alpha-2 country code"),
                    format!("\"{s}\" ist kein Ländercode nach ISO 3166 alpha-2"),
                ),
                hint,
            );
        }
        Some(s)
    }

    /// The elements of a list with their paths; absent means empty unless `required`.
    fn list<'v>(&mut self, o: &mut Obj<'v>, key: &str, required: bool) -> Vec<(&'v Value, String)> {
        let Some(v) = self.get(o, key, required, true) else {
            return Vec::new();
        };
        let path = key_path(&o.path, key);
        match v {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (v, format!("{path}[{i}]")))
                .collect(),
            _ => {
                o.clean = false;
                self.wrong_type(path, "a list", v);
                Vec::new()
            }
        }
    }

    fn ids(&mut self, o: &mut Obj, key: &str, required: bool) -> Vec<Id> {
        let items = self.list(o, key, required);
        let mut out = Vec::with_capacity(items.len());
        for (v, p) in items {
            if let Some(s) = self.string_value(o, v, || p) {
                out.push(s);
            }
        }
        out
    }

    fn strings(&mut self, o: &mut Obj, key: &str) -> Vec<String> {
        self.ids(o, key, false)
    }

    fn vocabs<V: Vocab>(&mut self, o: &mut Obj, key: &str, required: bool) -> Vec<V> {
        let items = self.list(o, key, required);
        let mut out = Vec::with_capacity(items.len());
        for (v, p) in items {
            if let Some(x) = self.vocab_value(o, v, || p) {
                out.push(x);
            }
        }
        out
    }

    /// Values of `o` that cannot all be true: message and hint in English and German.
    fn contradiction(
        &mut self,
        o: &mut Obj,
        key: &str,
        message: (String, String),
        hint: (&str, &str),
    ) {
        o.clean = false;
        self.err2(
            ErrorKind::Contradiction,
            key_path(&o.path, key),
            message,
            (hint.0.to_string(), hint.1.to_string()),
        );
    }

    /// `to` must not be before `from` (both as read).
    fn interval(&mut self, o: &mut Obj, from: (&str, Option<Date>), to: (&str, Option<Date>)) {
        if let (Some(f), Some(t)) = (from.1, to.1) {
            if t < f {
                self.contradiction(
                    o,
                    to.0,
                    (
                        format!("`{}` ({t}) is before `{}` ({f})", to.0, from.0),
                        format!("`{}` ({t}) liegt vor `{}` ({f})", to.0, from.0),
                    ),
                    (
                        "the period ends before it starts: check both dates",
                        "der Zeitraum endet vor seinem Beginn: beide Daten prüfen",
                    ),
                );
            }
        }
    }

    fn section(&mut self, file: &mut ModelFile, section: Section, raw: &RawValue, path: &str) {
        let items: Vec<&RawValue> = match serde_json::from_str(raw.get()) {
            Ok(items) => items,
            Err(_) => {
                let v = self.value(raw);
                self.wrong_type(path.to_string(), "a list", &v);
                self.incomplete.push(section);
                return;
            }
        };
        macro_rules! read {
            ($list:ident, $reader:ident) => {{
                file.$list.reserve(items.len());
                for (i, raw) in items.iter().enumerate() {
                    // Fast path: a clean object deserializes straight into its type. Anything
                    // else (a problem, an `x-` key, a null for a default) goes through the
                    // reader below, which knows how to report it.
                    if let Some(x) = fast(raw) {
                        file.$list.push(x);
                        continue;
                    }
                    let v = self.value(raw);
                    let p = format!("{path}[{i}]");
                    // Objections have no id; every other object must yield one.
                    self.lost_id = section != Section::Objections;
                    file.$list.extend(self.$reader(&v, &p));
                    if self.lost_id && !self.incomplete.contains(&section) {
                        self.incomplete.push(section);
                    }
                }
            }};
        }
        match section {
            Section::Staff => read!(staff, staff),
            Section::Parties => read!(parties, party),
            Section::Systems => read!(systems, system),
            Section::Agreements => read!(agreements, agreement),
            Section::Assessments => read!(assessments, assessment),
            Section::Sources => read!(sources, source),
            Section::Subjects => read!(subjects, subject),
            Section::Consents => read!(consents, consent),
            Section::Objections => read!(objections, objection),
            Section::Notices => read!(notices, notice),
            Section::Flows => read!(flows, flow),
            Section::Activities => read!(activities, activity),
            Section::Campaigns => read!(campaigns, campaign),
            Section::Guidelines => read!(guidelines, guideline),
        }
    }

    // One reader per object of model.md. Each keeps the order of keys of the contract. An
    // object that is not a JSON object is dropped (and reported); an object with bad fields is
    // kept with placeholders, so that references to its id and from it are still checked
    // (the model is rejected anyway, since an error was reported).

    fn organization(&mut self, v: &Value, path: &str) -> Option<Organization> {
        const KEYS: &[&str] = &[
            "id",
            "name",
            "country",
            "persons_processing",
            "dpo",
            "records_of_processing",
            "core_activities",
        ];
        let mut o = self.object(v, path, "the organization", KEYS)?;
        let core_activities = match o.map.get("core_activities") {
            None | Some(Value::Null) => None,
            Some(_) => Some(self.vocabs(&mut o, "core_activities", false)),
        };
        Some(Organization {
            id: self.id(&mut o, "id").unwrap_or_default(),
            name: self.string(&mut o, "name").unwrap_or_default(),
            country: self.country(&mut o, "country").unwrap_or_default(),
            persons_processing: self.uint(&mut o, "persons_processing").unwrap_or_default(),
            dpo: self.nullable_id(&mut o, "dpo", "data protection officer"),
            records_of_processing: self.flag(&mut o, "records_of_processing", false),
            core_activities,
        })
    }

    fn staff(&mut self, v: &Value, path: &str) -> Option<Staff> {
        const KEYS: &[&str] = &["id", "name", "function", "private_account_consent"];
        let mut o = self.object(v, path, "a staff member", KEYS)?;
        Some(Staff {
            id: self.id(&mut o, "id").unwrap_or_default(),
            name: self.string(&mut o, "name").unwrap_or_default(),
            function: self.vocab(&mut o, "function").unwrap_or_else(first),
            private_account_consent: self.opt_date(&mut o, "private_account_consent"),
        })
    }

    fn party(&mut self, v: &Value, path: &str) -> Option<Party> {
        const KEYS: &[&str] = &["id", "name", "country", "certifications"];
        let mut o = self.object(v, path, "a party", KEYS)?;
        let id = self.id(&mut o, "id").unwrap_or_default();
        let name = self.string(&mut o, "name").unwrap_or_default();
        let country = self.country(&mut o, "country").unwrap_or_default();
        let mut certifications = Vec::new();
        for (v, p) in self.list(&mut o, "certifications", false) {
            const CKEYS: &[&str] = &["scheme", "from", "to"];
            let Some(mut c) = self.object(v, &p, "a certification", CKEYS) else {
                continue;
            };
            let scheme = self.vocab(&mut c, "scheme").unwrap_or_else(first);
            let from = self.date(&mut c, "from");
            let to = self.nullable_date(&mut c, "to", "end yet");
            self.interval(&mut c, ("from", from), ("to", to));
            certifications.push(Certification {
                scheme,
                from: from.unwrap_or_default(),
                to,
            });
        }
        Some(Party {
            id,
            name,
            country,
            certifications,
        })
    }

    fn system(&mut self, v: &Value, path: &str) -> Option<System> {
        const KEYS: &[&str] = &[
            "id",
            "name",
            "kind",
            "operator",
            "hosting_country",
            "role",
            "incidents",
        ];
        let mut o = self.object(v, path, "a system", KEYS)?;
        let id = self.id(&mut o, "id").unwrap_or_default();
        let name = self.string(&mut o, "name").unwrap_or_default();
        let kind = self.vocab(&mut o, "kind").unwrap_or_else(first);
        let operator = self.id(&mut o, "operator").unwrap_or_default();
        let hosting_country = self.country(&mut o, "hosting_country").unwrap_or_default();
        let role = self.opt_vocab(&mut o, "role");
        let mut incidents = Vec::new();
        for (v, p) in self.list(&mut o, "incidents", false) {
            const IKEYS: &[&str] = &[
                "aware",
                "risk",
                "authority_notified",
                "delay_reasons",
                "subjects_informed",
                "unintelligible",
                "documented",
                "subjects",
            ];
            let Some(mut x) = self.object(v, &p, "an incident", IKEYS) else {
                continue;
            };
            let aware = self.date(&mut x, "aware");
            let authority_notified = self.opt_date(&mut x, "authority_notified");
            let subjects_informed = self.opt_date(&mut x, "subjects_informed");
            for (key, d) in [
                ("authority_notified", authority_notified),
                ("subjects_informed", subjects_informed),
            ] {
                if let (Some(a), Some(d)) = (aware, d) {
                    if d < a {
                        self.contradiction(
                            &mut x,
                            key,
                            (
                                format!("`{key}` ({d}) is before the organisation became aware of the breach ({a})"),
                                format!("`{key}` ({d}) liegt vor dem Tag, an dem die Organisation von der Verletzung erfuhr ({a})"),
                            ),
                            (
                                "`aware` is the day the organisation learnt of the breach: check both dates",
                                "`aware` ist der Tag, an dem die Organisation von der Verletzung erfuhr: beide Daten prüfen",
                            ),
                        );
                    }
                }
            }
            incidents.push(Incident {
                aware: aware.unwrap_or_default(),
                risk: self.vocab(&mut x, "risk").unwrap_or_else(first),
                authority_notified,
                delay_reasons: self.flag(&mut x, "delay_reasons", false),
                subjects_informed,
                unintelligible: self.flag(&mut x, "unintelligible", false),
                documented: self.flag(&mut x, "documented", false),
                subjects: self.ids(&mut x, "subjects", false),
            });
        }
        Some(System {
            id,
            name,
            kind,
            operator,
            hosting_country,
            role,
            incidents,
        })
    }

    fn agreement(&mut self, v: &Value, path: &str) -> Option<Agreement> {
        const KEYS: &[&str] = &[
            "id",
            "kind",
            "with",
            "systems",
            "sources",
            "flows",
            "from",
            "to",
            "edition",
            "published",
        ];
        let mut o = self.object(v, path, "an agreement", KEYS)?;
        let id = self.id(&mut o, "id").unwrap_or_default();
        let kind = self.vocab(&mut o, "kind").unwrap_or_else(first);
        let with = self.id(&mut o, "with").unwrap_or_default();
        let systems = self.ids(&mut o, "systems", false);
        let sources = self.ids(&mut o, "sources", false);
        let flows = self.ids(&mut o, "flows", false);
        let from = self.date(&mut o, "from");
        let to = self.opt_date(&mut o, "to");
        self.interval(&mut o, ("from", from), ("to", to));
        Some(Agreement {
            id,
            kind,
            with,
            systems,
            sources,
            flows,
            from: from.unwrap_or_default(),
            to,
            edition: self.opt_string(&mut o, "edition"),
            published: self.flag(&mut o, "published", false),
        })
    }

    fn assessment(&mut self, v: &Value, path: &str) -> Option<Assessment> {
        const KEYS: &[&str] = &[
            "id", "kind", "about", "purpose", "date", "outcome", "measures",
        ];
        let mut o = self.object(v, path, "an assessment", KEYS)?;
        Some(Assessment {
            id: self.id(&mut o, "id").unwrap_or_default(),
            kind: self.vocab(&mut o, "kind").unwrap_or_else(first),
            about: self.id(&mut o, "about").unwrap_or_default(),
            purpose: self.opt_vocab(&mut o, "purpose"),
            date: self.date(&mut o, "date").unwrap_or_default(),
            outcome: self.vocab(&mut o, "outcome").unwrap_or_else(first),
            measures: self.strings(&mut o, "measures"),
        })
    }

    fn source(&mut self, v: &Value, path: &str) -> Option<Source> {
        const KEYS: &[&str] = &[
            "id",
            "name",
            "kind",
            "operator",
            "platform",
            "public",
            "requires_login",
            "white_label",
            "company_participation",
            "scraping",
            "impressum",
            "tracking",
        ];
        let mut o = self.object(v, path, "a source", KEYS)?;
        let id = self.id(&mut o, "id").unwrap_or_default();
        let name = self.string(&mut o, "name").unwrap_or_default();
        let kind = self.vocab(&mut o, "kind").unwrap_or_else(first);
        let operator = self.id(&mut o, "operator").unwrap_or_default();
        let platform = self.opt_id(&mut o, "platform");
        let public = self.flag(&mut o, "public", false);
        let requires_login = self.flag(&mut o, "requires_login", false);
        let white_label = self.flag(&mut o, "white_label", false);
        let company_participation = self
            .opt_vocab(&mut o, "company_participation")
            .unwrap_or_default();
        let scraping = self.opt_vocab(&mut o, "scraping").unwrap_or_default();
        let impressum = self.flag(&mut o, "impressum", false);
        let mut tracking = Vec::new();
        for (v, p) in self.list(&mut o, "tracking", false) {
            const TKEYS: &[&str] = &[
                "kind",
                "recipient",
                "consent_banner",
                "fires_before_consent",
                "reject",
            ];
            let Some(mut t) = self.object(v, &p, "a tracking entry", TKEYS) else {
                continue;
            };
            tracking.push(Tracking {
                kind: self.vocab(&mut t, "kind").unwrap_or_else(first),
                recipient: self.opt_id(&mut t, "recipient"),
                consent_banner: self.flag(&mut t, "consent_banner", false),
                fires_before_consent: self.flag(&mut t, "fires_before_consent", true),
                reject: self.opt_vocab(&mut t, "reject"),
            });
        }
        Some(Source {
            id,
            name,
            kind,
            operator,
            platform,
            public,
            requires_login,
            white_label,
            company_participation,
            scraping,
            impressum,
            tracking,
        })
    }

    fn subject(&mut self, v: &Value, path: &str) -> Option<Subject> {
        const KEYS: &[&str] = &[
            "id",
            "name",
            "kind",
            "country",
            "city",
            "age",
            "crm_record",
            "customer_since",
            "purchases",
            "birth_date",
            "contracts",
            "requests",
            "retain_until",
        ];
        let mut o = self.object(v, path, "a subject", KEYS)?;
        let id = self.id(&mut o, "id").unwrap_or_default();
        let name = self.string(&mut o, "name").unwrap_or_default();
        let kind: Option<SubjectKind> = self.vocab(&mut o, "kind");
        let country = self.country(&mut o, "country").unwrap_or_default();
        let city = self.opt_string(&mut o, "city");
        let age = self.opt_uint(&mut o, "age");
        if let (Some(SubjectKind::Minor), Some(a)) = (kind, age) {
            if a >= 18 {
                self.contradiction(
                    &mut o,
                    "age",
                    (
                        format!("a subject of kind \"minor\" aged {a}"),
                        format!("eine betroffene Person der Art \"minor\" im Alter von {a} Jahren"),
                    ),
                    (
                        "minors are under 18: correct the age or the kind",
                        "Minderjährige sind unter 18: Alter oder Art berichtigen",
                    ),
                );
            }
        }
        let crm_record = self.opt_string(&mut o, "crm_record");
        let customer_since = self.opt_date(&mut o, "customer_since");
        let mut purchases = Vec::new();
        for (v, p) in self.list(&mut o, "purchases", false) {
            const PKEYS: &[&str] = &["product", "category", "date"];
            let Some(mut q) = self.object(v, &p, "a purchase", PKEYS) else {
                continue;
            };
            purchases.push(Purchase {
                product: self.string(&mut q, "product").unwrap_or_default(),
                category: self.string(&mut q, "category").unwrap_or_default(),
                date: self.date(&mut q, "date").unwrap_or_default(),
            });
        }
        let birth_date = self.opt_date(&mut o, "birth_date");
        let mut contracts = Vec::new();
        for (v, p) in self.list(&mut o, "contracts", false) {
            const CKEYS: &[&str] = &["kind", "from", "to"];
            let Some(mut c) = self.object(v, &p, "a contract", CKEYS) else {
                continue;
            };
            let kind = self.vocab(&mut c, "kind").unwrap_or_else(first);
            let from = self.date(&mut c, "from");
            let to = self.opt_date(&mut c, "to");
            self.interval(&mut c, ("from", from), ("to", to));
            contracts.push(Contract {
                kind,
                from: from.unwrap_or_default(),
                to,
            });
        }
        let mut requests = Vec::new();
        for (v, p) in self.list(&mut o, "requests", false) {
            const RKEYS: &[&str] = &["kind", "received", "answered", "extended", "refused"];
            let Some(mut q) = self.object(v, &p, "a request", RKEYS) else {
                continue;
            };
            let kind = self.vocab(&mut q, "kind").unwrap_or_else(first);
            let received = self.date(&mut q, "received");
            let answered = self.opt_date(&mut q, "answered");
            self.interval(&mut q, ("received", received), ("answered", answered));
            requests.push(Request {
                kind,
                received: received.unwrap_or_default(),
                answered,
                extended: self.flag(&mut q, "extended", false),
                refused: self.flag(&mut q, "refused", false),
            });
        }
        let retain_until = self.opt_date(&mut o, "retain_until");
        Some(Subject {
            id,
            name,
            kind: kind.unwrap_or_else(first),
            country,
            city,
            age,
            crm_record,
            customer_since,
            purchases,
            birth_date,
            contracts,
            requests,
            retain_until,
        })
    }

    fn consent(&mut self, v: &Value, path: &str) -> Option<Consent> {
        const KEYS: &[&str] = &[
            "id",
            "subject",
            "purposes",
            "channels",
            "categories",
            "products",
            "given",
            "withdrawn",
            "form",
            "documented",
            "informed",
            "explicit",
            "obtained_by",
            "circumstances",
            "parental_authorisation",
            "verified",
        ];
        let mut o = self.object(v, path, "a consent", KEYS)?;
        let id = self.id(&mut o, "id").unwrap_or_default();
        let subject = self.id(&mut o, "subject").unwrap_or_default();
        let purposes = self.vocabs(&mut o, "purposes", true);
        let channels = self.vocabs(&mut o, "channels", true);
        let categories = self.vocabs(&mut o, "categories", false);
        let products = self.strings(&mut o, "products");
        let given = self.date(&mut o, "given");
        let withdrawn = self.opt_date(&mut o, "withdrawn");
        if let (Some(g), Some(w)) = (given, withdrawn) {
            if w < g {
                self.contradiction(
                    &mut o,
                    "withdrawn",
                    (
                        format!("the consent is withdrawn ({w}) before it was given ({g})"),
                        format!("die Einwilligung ist widerrufen ({w}), bevor sie erteilt wurde ({g})"),
                    ),
                    (
                        "check both dates; a consent can only be withdrawn after it was given",
                        "beide Daten prüfen; eine Einwilligung kann erst nach ihrer Erteilung widerrufen werden",
                    ),
                );
            }
        }
        Some(Consent {
            id,
            subject,
            purposes,
            channels,
            categories,
            products,
            given: given.unwrap_or_default(),
            withdrawn,
            form: self.vocab(&mut o, "form").unwrap_or_else(first),
            documented: self.flag(&mut o, "documented", false),
            informed: self.flag(&mut o, "informed", false),
            explicit: self.flag(&mut o, "explicit", false),
            obtained_by: self.opt_id(&mut o, "obtained_by"),
            circumstances: self.opt_string(&mut o, "circumstances"),
            parental_authorisation: self.opt_date(&mut o, "parental_authorisation"),
            verified: match o.map.get("verified") {
                None | Some(Value::Null) => None,
                Some(_) => Some(self.vocabs(&mut o, "verified", false)),
            },
        })
    }

    fn objection(&mut self, v: &Value, path: &str) -> Option<Objection> {
        const KEYS: &[&str] = &["subject", "scope", "date"];
        let mut o = self.object(v, path, "an objection", KEYS)?;
        Some(Objection {
            subject: self.id(&mut o, "subject").unwrap_or_default(),
            scope: self.vocab(&mut o, "scope").unwrap_or_else(first),
            date: self.date(&mut o, "date").unwrap_or_default(),
        })
    }

    fn notice(&mut self, v: &Value, path: &str) -> Option<Notice> {
        const KEYS: &[&str] = &[
            "id",
            "subject",
            "article",
            "date",
            "channel",
            "covers",
            "sources",
            "categories",
            "right_to_object",
        ];
        let mut o = self.object(v, path, "a notice", KEYS)?;
        Some(Notice {
            id: self.id(&mut o, "id").unwrap_or_default(),
            subject: self.nullable_id(
                &mut o,
                "subject",
                "single person informed (a public notice)",
            ),
            article: self.vocab(&mut o, "article").unwrap_or_else(first),
            date: self.date(&mut o, "date").unwrap_or_default(),
            channel: self.opt_vocab(&mut o, "channel"),
            covers: self.vocabs(&mut o, "covers", false),
            sources: self.ids(&mut o, "sources", false),
            categories: self.vocabs(&mut o, "categories", false),
            right_to_object: self.flag(&mut o, "right_to_object", false),
        })
    }

    fn flow(&mut self, v: &Value, path: &str) -> Option<Flow> {
        const KEYS: &[&str] = &[
            "id",
            "from",
            "to",
            "categories",
            "purpose",
            "mechanism",
            "from_date",
            "to_date",
            "derogation",
        ];
        let mut o = self.object(v, path, "a flow", KEYS)?;
        let id = self.id(&mut o, "id").unwrap_or_default();
        let from = self.id(&mut o, "from").unwrap_or_default();
        let to = self.id(&mut o, "to").unwrap_or_default();
        if !from.is_empty() && from == to {
            self.contradiction(
                &mut o,
                "to",
                (
                    format!("the flow goes from `{from}` to itself"),
                    format!("der Datenfluss führt von `{from}` zu sich selbst"),
                ),
                (
                    "a flow moves data between two different sources, systems or parties",
                    "ein Datenfluss bewegt Daten zwischen zwei verschiedenen Quellen, Systemen oder Parteien",
                ),
            );
        }
        let categories = self.vocabs(&mut o, "categories", false);
        let purpose = self.vocab(&mut o, "purpose").unwrap_or_else(first);
        let mechanism = self.vocab(&mut o, "mechanism").unwrap_or_else(first);
        let from_date = self.opt_date(&mut o, "from_date");
        let to_date = self.opt_date(&mut o, "to_date");
        self.interval(&mut o, ("from_date", from_date), ("to_date", to_date));
        Some(Flow {
            id,
            from,
            to,
            categories,
            purpose,
            mechanism,
            from_date,
            to_date,
            derogation: self.opt_vocab(&mut o, "derogation"),
        })
    }

    fn activity(&mut self, v: &Value, path: &str) -> Option<Activity> {
        const KEYS: &[&str] = &[
            "id",
            "kind",
            "date",
            "status",
            "by",
            "source",
            "system",
            "flow",
            "subjects",
            "categories",
            "purpose",
            "channel",
            "audience",
            "identifies_company",
            "promotional",
            "products",
            "automated",
            "large_scale",
            "triggered_by",
            "content",
            "campaign",
            "sender",
            "objection_notice",
            "post",
            "reviews",
            "significant_effects",
        ];
        let mut o = self.object(v, path, "an activity", KEYS)?;
        let id = self.id(&mut o, "id").unwrap_or_default();
        let kind = self.vocab(&mut o, "kind").unwrap_or_else(first);
        let date = self.opt_date(&mut o, "date");
        let status = self.opt_vocab(&mut o, "status").unwrap_or_default();
        let by = self.id(&mut o, "by").unwrap_or_default();
        let source = self.opt_id(&mut o, "source");
        let system = self.opt_id(&mut o, "system");
        let flow = self.opt_id(&mut o, "flow");
        let subjects = self.ids(&mut o, "subjects", false);
        let categories = self.vocabs(&mut o, "categories", false);
        let purpose = self.vocab(&mut o, "purpose").unwrap_or_else(first);
        let channel = self.opt_vocab(&mut o, "channel");
        let audience = self.opt_vocab(&mut o, "audience").unwrap_or_default();
        let identifies_company = self.flag(&mut o, "identifies_company", false);
        let promotional = self.flag(&mut o, "promotional", false);
        let products = self.strings(&mut o, "products");
        let automated = self.flag(&mut o, "automated", false);
        let large_scale = self.flag(&mut o, "large_scale", false);
        let triggered_by = self.opt_id(&mut o, "triggered_by");
        if triggered_by.is_some() && triggered_by.as_deref() == Some(id.as_str()) {
            self.contradiction(
                &mut o,
                "triggered_by",
                (
                    format!("activity `{id}` is triggered by itself"),
                    format!("die Verarbeitungstätigkeit `{id}` löst sich selbst aus"),
                ),
                (
                    "`triggered_by` names the other activity that caused this one",
                    "`triggered_by` nennt die andere Verarbeitungstätigkeit, die diese ausgelöst hat",
                ),
            );
        }
        let content = match self.get(&mut o, "content", false, false) {
            None => None,
            Some(v) => {
                const CKEYS: &[&str] = &[
                    "origin",
                    "author",
                    "kind",
                    "original",
                    "used_as",
                    "kug_exception",
                ];
                let p = key_path(&o.path, "content");
                match self.object(v, &p, "content", CKEYS) {
                    None => {
                        o.clean = false;
                        None
                    }
                    Some(mut c) => Some(Content {
                        origin: self.vocab(&mut c, "origin").unwrap_or_else(first),
                        author: self.opt_id(&mut c, "author"),
                        kind: self.opt_vocab(&mut c, "kind").unwrap_or_default(),
                        original: self.flag(&mut c, "original", false),
                        used_as: self.opt_vocab(&mut c, "used_as"),
                        kug_exception: self.opt_vocab(&mut c, "kug_exception"),
                    }),
                }
            }
        };
        let campaign = self.opt_id(&mut o, "campaign");
        let sender = match self.get(&mut o, "sender", false, false) {
            None => None,
            Some(v) => {
                const SKEYS: &[&str] = &["identified", "stop_address"];
                let p = key_path(&o.path, "sender");
                match self.object(v, &p, "the sender identification", SKEYS) {
                    None => {
                        o.clean = false;
                        None
                    }
                    Some(mut x) => {
                        let identified = self.req_flag(&mut x, "identified");
                        let stop_address = self.req_flag(&mut x, "stop_address");
                        Some(Sender {
                            identified,
                            stop_address,
                        })
                    }
                }
            }
        };
        let objection_notice = match o.map.get("objection_notice") {
            None | Some(Value::Null) => None,
            Some(_) => Some(self.flag(&mut o, "objection_notice", false)),
        };
        let post = match self.get(&mut o, "post", false, false) {
            None => None,
            Some(v) => {
                const PKEYS: &[&str] = &["account", "consideration", "labelled"];
                let p = key_path(&o.path, "post");
                match self.object(v, &p, "the post", PKEYS) {
                    None => {
                        o.clean = false;
                        None
                    }
                    Some(mut x) => Some(Post {
                        account: self.vocab(&mut x, "account").unwrap_or_else(first),
                        consideration: self.req_flag(&mut x, "consideration"),
                        labelled: self.req_flag(&mut x, "labelled"),
                    }),
                }
            }
        };
        let reviews = match self.get(&mut o, "reviews", false, false) {
            None => None,
            Some(v) => {
                const RKEYS: &[&str] = &["claimed_genuine", "checked", "explained", "fake"];
                let p = key_path(&o.path, "reviews");
                match self.object(v, &p, "the reviews", RKEYS) {
                    None => {
                        o.clean = false;
                        None
                    }
                    Some(mut x) => Some(Reviews {
                        claimed_genuine: self.req_flag(&mut x, "claimed_genuine"),
                        checked: self.req_flag(&mut x, "checked"),
                        explained: self.req_flag(&mut x, "explained"),
                        fake: self.req_flag(&mut x, "fake"),
                    }),
                }
            }
        };
        let significant_effects = self.flag(&mut o, "significant_effects", false);
        Some(Activity {
            id,
            kind,
            date,
            status,
            by,
            source,
            system,
            flow,
            subjects,
            categories,
            purpose,
            channel,
            audience,
            identifies_company,
            promotional,
            products,
            automated,
            large_scale,
            triggered_by,
            content,
            campaign,
            sender,
            objection_notice,
            post,
            reviews,
            significant_effects,
        })
    }

    fn campaign(&mut self, v: &Value, path: &str) -> Option<Campaign> {
        const KEYS: &[&str] = &["id", "name", "owner", "status", "activities"];
        let mut o = self.object(v, path, "a campaign", KEYS)?;
        Some(Campaign {
            id: self.id(&mut o, "id").unwrap_or_default(),
            name: self.string(&mut o, "name").unwrap_or_default(),
            owner: self.id(&mut o, "owner").unwrap_or_default(),
            status: self.vocab(&mut o, "status").unwrap_or_else(first),
            activities: self.ids(&mut o, "activities", true),
        })
    }

    fn guideline(&mut self, v: &Value, path: &str) -> Option<Guideline> {
        const KEYS: &[&str] = &["id", "text", "forbid"];
        const FKEYS: &[&str] = &[
            "kind",
            "channel",
            "purpose",
            "source_kind",
            "category",
            "subject_kind",
        ];
        let mut o = self.object(v, path, "a guideline", KEYS)?;
        let id = self.id(&mut o, "id").unwrap_or_default();
        let text = self.string(&mut o, "text").unwrap_or_default();
        let mut forbid = Forbid::default();
        if let Some(v) = self.get(&mut o, "forbid", true, true) {
            let p = key_path(&o.path, "forbid");
            if let Some(mut f) = self.object(v, &p, "the forbidden pattern", FKEYS) {
                forbid = Forbid {
                    kind: self.opt_vocab(&mut f, "kind"),
                    channel: self.opt_vocab(&mut f, "channel"),
                    purpose: self.opt_vocab(&mut f, "purpose"),
                    source_kind: self.opt_vocab(&mut f, "source_kind"),
                    category: self.opt_vocab(&mut f, "category"),
                    subject_kind: self.opt_vocab(&mut f, "subject_kind"),
                };
                if forbid == Forbid::default() {
                    self.err2(
                        ErrorKind::InvalidValue,
                        p,
                        (
                            "the guideline forbids nothing: `forbid` names no field".into(),
                            "die Leitlinie verbietet nichts: `forbid` nennt kein Feld".into(),
                        ),
                        (
                            format!("give at least one of {}", FKEYS.join(", ")),
                            format!("mindestens eines angeben von: {}", FKEYS.join(", ")),
                        ),
                    );
                }
            }
        }
        Some(Guideline { id, text, forbid })
    }
}
