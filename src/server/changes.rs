//! The body of `POST /v1/model/changes`: the CRM's events as a model fragment, read by the
//! model's own reader (so every problem has the text and JSON path `sphere validate` gives),
//! plus withdrawals and removals.
//!
//! ```json
//! {
//!   "subjects": [{"id": "subj-1", "name": "...", "kind": "consumer", "country": "DE"}],
//!   "consents": [...], "objections": [...], "notices": [...], "activities": [...],
//!   "withdraw": [{"consent": "cns-1", "date": "2025-06-20"}],
//!   "remove": [{"section": "activities", "id": "act-9"}]
//! }
//! ```
//!
//! The server keeps no names: a subject's `name` is replaced by its id and its `city`
//! dropped before the change is applied, so the journal (which holds the change, to replay it
//! on restart) stores ids, dates and flags only, and the state before and after a restart is
//! the same.

use serde_json::{Map, Value};
use sphere_model::{ErrorKind as VKind, ModelFile, Section, ValidationError};

use crate::error::{Error, ErrorKind, Result};
use crate::session::{Change, Object};
use crate::Texts;

/// The sections the CRM may change; the rest change in the model files.
pub const SECTIONS: [Section; 5] = [
    Section::Subjects,
    Section::Consents,
    Section::Objections,
    Section::Notices,
    Section::Activities,
];

/// A batch of changes read from a request, with its canonical JSON (what the journal keeps).
#[derive(Clone, Debug)]
pub struct Batch {
    pub changes: Vec<Change>,
    /// Canonical JSON of the batch after redaction: replayed on restart.
    pub content: String,
    /// The kinds of record changed (`activity`, `consent`, `withdrawal`, ...), sorted.
    pub what: Vec<&'static str>,
    /// The ids of the records changed, in order.
    pub ids: Vec<String>,
}

/// A problem at `path` of the request, its message and hint in English and German.
fn problem(file: &str, path: &str, kind: VKind, msg: Texts, hint: Texts) -> Error {
    Error::validation(
        ErrorKind::Model,
        vec![ValidationError::at_path(kind, file, path, msg.en)
            .de(msg.de)
            .with_hints(hint.en, hint.de)],
    )
}

/// Reads a batch from a request body named `file`.
pub fn parse(file: &str, text: &str) -> Result<Batch> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return Err(model_reader_error(file, text)),
    };
    // serde_json keeps the last of two equal keys: `"name"` twice would drop the first.
    crate::error::strict_json(file, text)?;
    let Value::Object(mut top) = value else {
        return Err(model_reader_error(file, text));
    };
    let withdraw = top.remove("withdraw");
    let remove = top.remove("remove");
    for key in top.keys() {
        if key == "format" || key.starts_with("x-") {
            continue;
        }
        if let Some(s) = Section::ALL.iter().find(|s| s.key() == key) {
            if !SECTIONS.contains(s) {
                return Err(problem(
                    file,
                    &format!("$.{key}"),
                    VKind::UnknownKey,
                    Texts::new(
                        format!("the server takes no changes of `{key}`"),
                        format!("der Server nimmt keine Änderungen von `{key}` an"),
                    ),
                    Texts::new(
                        "the CRM changes subjects, consents, objections, notices and activities; the rest changes in the model files (restart the server)",
                        "das CRM ändert betroffene Personen, Einwilligungen, Widersprüche, Datenschutzhinweise und Tätigkeiten; alles andere ändert sich in den Modelldateien (den Server neu starten)",
                    ),
                ));
            }
        } else if key == "as_of" || key == "organization" {
            return Err(problem(
                file,
                &format!("$.{key}"),
                VKind::UnknownKey,
                Texts::new(
                    format!("the server takes no change of `{key}`"),
                    format!("der Server nimmt keine Änderung von `{key}` an"),
                ),
                Texts::new(
                    "the evaluation date and the organization come from the model files",
                    "Stichtag und Organisation stammen aus den Modelldateien",
                ),
            ));
        }
    }
    top.entry("format")
        .or_insert_with(|| Value::String(sphere_model::FORMAT.into()));
    let fragment_text = Value::Object(top).to_string();
    let mut errors = Vec::new();
    let fragment = sphere_model::parse_file(file, &fragment_text, &mut errors);
    let Some(mut fragment) = fragment.filter(|_| errors.is_empty()) else {
        return Err(Error::validation(ErrorKind::Model, errors));
    };
    redact(&mut fragment);
    let mut batch = Batch {
        changes: Vec::new(),
        content: String::new(),
        what: Vec::new(),
        ids: Vec::new(),
    };
    let mut content = Map::new();
    macro_rules! puts {
        ($field:ident, $variant:ident, $what:expr) => {
            if !fragment.$field.is_empty() {
                let list: Vec<Value> = fragment
                    .$field
                    .iter()
                    .map(|o| serde_json::to_value(o).expect("model objects serialise"))
                    .collect();
                content.insert(stringify!($field).into(), Value::Array(list));
                for o in std::mem::take(&mut fragment.$field) {
                    let object = Object::$variant(o);
                    batch.ids.push(
                        object
                            .id()
                            .map_or_else(|| "objection".to_string(), str::to_string),
                    );
                    batch.what.push($what);
                    batch.changes.push(Change::Put(object));
                }
            }
        };
    }
    puts!(subjects, Subject, "subject");
    puts!(consents, Consent, "consent");
    puts!(objections, Objection, "objection");
    puts!(notices, Notice, "notice");
    puts!(activities, Activity, "activity");
    if let Some(w) = withdraw {
        let list = read_list(file, "$.withdraw", &w)?;
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let at = format!("$.withdraw[{i}]");
            let consent = string_field(file, &at, item, "consent", &["consent", "date"])?;
            let date_text = string_field(file, &at, item, "date", &["consent", "date"])?;
            let date = sphere_engine::Date::parse(&date_text).ok_or_else(|| {
                problem(
                    file,
                    &format!("{at}.date"),
                    VKind::BadDate,
                    Texts::new(
                        format!("\"{date_text}\" is not a date"),
                        format!("\"{date_text}\" ist kein Datum"),
                    ),
                    Texts::new(
                        "write dates as YYYY-MM-DD",
                        "Daten als YYYY-MM-DD schreiben",
                    ),
                )
            })?;
            out.push(serde_json::json!({"consent": consent, "date": date_text}));
            batch.ids.push(consent.clone());
            batch.what.push("withdrawal");
            batch
                .changes
                .push(Change::WithdrawConsent { consent, date });
        }
        content.insert("withdraw".into(), Value::Array(out));
    }
    if let Some(r) = remove {
        let list = read_list(file, "$.remove", &r)?;
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let at = format!("$.remove[{i}]");
            let section_text = string_field(file, &at, item, "section", &["section", "id"])?;
            let id = string_field(file, &at, item, "id", &["section", "id"])?;
            let section = SECTIONS
                .iter()
                .copied()
                .filter(|s| *s != Section::Objections)
                .find(|s| s.key() == section_text)
                .ok_or_else(|| {
                    problem(
                        file,
                        &format!("{at}.section"),
                        VKind::UnknownValue,
                        Texts::new(
                            format!("\"{section_text}\" is not a section the server removes from"),
                            format!("aus \"{section_text}\" entfernt der Server nichts"),
                        ),
                        Texts::new(
                            "one of \"subjects\", \"consents\", \"notices\", \"activities\"",
                            "eines von \"subjects\", \"consents\", \"notices\", \"activities\"",
                        ),
                    )
                })?;
            out.push(serde_json::json!({"section": section_text, "id": id}));
            batch.ids.push(id.clone());
            batch.what.push("removal");
            batch.changes.push(Change::Remove { section, id });
        }
        content.insert("remove".into(), Value::Array(out));
    }
    if batch.changes.is_empty() {
        return Err(problem(
            file,
            "$",
            VKind::MissingKey,
            Texts::new("the request changes nothing", "die Anfrage ändert nichts"),
            Texts::new(
                "send objects under subjects, consents, objections, notices or activities, or withdraw or remove",
                "Objekte unter subjects, consents, objections, notices oder activities senden, oder withdraw oder remove",
            ),
        ));
    }
    batch.content = Value::Object(content).to_string();
    batch.what.sort();
    batch.what.dedup();
    Ok(batch)
}

/// The model reader's own error for a text that is not a JSON object (the CLI's words).
fn model_reader_error(file: &str, text: &str) -> Error {
    let mut errors = Vec::new();
    let _ = sphere_model::parse_file(file, text, &mut errors);
    if errors.is_empty() {
        errors.push(
            ValidationError::at_path(
                VKind::WrongType,
                file,
                "$",
                "the document is not a JSON object",
            )
            .de("das Dokument ist kein JSON-Objekt"),
        );
    }
    Error::validation(ErrorKind::Model, errors)
}

fn read_list<'a>(file: &str, path: &str, v: &'a Value) -> Result<&'a Vec<Value>> {
    v.as_array().ok_or_else(|| {
        problem(
            file,
            path,
            VKind::WrongType,
            Texts::new(
                format!("expected a list, found {}", kind_of(v)),
                format!("erwartet: eine Liste, gefunden: {}", kind_of_de(v)),
            ),
            Texts::new("write a list: [ ... ]", "eine Liste schreiben: [ ... ]"),
        )
    })
}

fn string_field(file: &str, at: &str, item: &Value, key: &str, keys: &[&str]) -> Result<String> {
    let Some(o) = item.as_object() else {
        return Err(problem(
            file,
            at,
            VKind::WrongType,
            Texts::new(
                format!("expected an object, found {}", kind_of(item)),
                format!("erwartet: ein Objekt, gefunden: {}", kind_of_de(item)),
            ),
            {
                let object = keys
                    .iter()
                    .map(|k| format!("\"{k}\": ..."))
                    .collect::<Vec<_>>()
                    .join(", ");
                Texts::new(
                    format!("write {{{object}}}"),
                    format!("{{{object}}} schreiben"),
                )
            },
        ));
    };
    for k in o.keys() {
        if !keys.contains(&k.as_str()) {
            return Err(problem(
                file,
                &format!("{at}.{k}"),
                VKind::UnknownKey,
                Texts::new(
                    format!("unknown key `{k}`"),
                    format!("unbekannter Schlüssel `{k}`"),
                ),
                keys_are(keys),
            ));
        }
    }
    match o.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(v) => Err(problem(
            file,
            &format!("{at}.{key}"),
            VKind::WrongType,
            Texts::new(
                format!("expected a non-empty string, found {}", kind_of(v)),
                format!(
                    "erwartet: eine nicht leere Zeichenkette, gefunden: {}",
                    kind_of_de(v)
                ),
            ),
            Texts::new("write a string", "eine Zeichenkette schreiben"),
        )),
        None => Err(problem(
            file,
            at,
            VKind::MissingKey,
            Texts::new(
                format!("the key `{key}` is missing"),
                format!("der Pflichtschlüssel `{key}` fehlt"),
            ),
            keys_are(keys),
        )),
    }
}

/// `the keys are a, b` / `die Schlüssel sind `a`, `b``.
pub(crate) fn keys_are(keys: &[&str]) -> Texts {
    Texts::new(
        format!("the keys are {}", keys.join(", ")),
        format!(
            "die Schlüssel sind {}",
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// [`kind_of`] in German.
fn kind_of_de(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "ein Wahrheitswert",
        Value::Number(_) => "eine Zahl",
        Value::String(_) => "eine Zeichenkette",
        Value::Array(_) => "eine Liste",
        Value::Object(_) => "ein Objekt",
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Names and places of subjects stay in the CRM.
fn redact(m: &mut ModelFile) {
    for s in &mut m.subjects {
        s.name = s.id.clone();
        s.city = None;
    }
}
