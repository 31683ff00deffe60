//! The one error type of the library: what went wrong ([`ErrorKind`]), and every problem with
//! its file, its place (a JSON path, or a line and column) and a hint.
//!
//! An error keeps the problems in the form they were found in (the model's validation errors,
//! the rule compiler's diagnostics with their sources, or one message), so that
//! [`Error::render`] gives exactly the text sphere has always shown, and [`Error::problems`]
//! gives the same problems as data for a server or a REPL. Front ends decide where the text
//! goes; the library never prints it.

use std::fmt;

use sphere_engine::diag::{render_in, RenderOptions, Severity};
use sphere_engine::{Diagnostic, SourceMap};
use sphere_model::ValidationError;

use crate::texts::{Lang, Texts};

/// What kind of input or request failed. Front ends map every kind to the same outcome (exit
/// code 2 on the command line, HTTP 400 in a server) except [`ErrorKind::Evaluation`], which
/// is never the input's fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A model text that is not JSON or breaks the model contract.
    Model,
    /// Rules that do not compile (the knowledge base, extra rule files, a program), or a
    /// query or assumption that does not fit the program.
    Rules,
    /// A facts file or export that does not fit its relations.
    Facts,
    /// A file or directory that cannot be read or written.
    Io,
    /// A request that cannot be answered as asked: no model, an unknown finding id, a change
    /// to a model that has no JSON form.
    Usage,
    /// Evaluation itself failed. The compiler has checked the program, so this is a bug.
    Evaluation,
}

impl ErrorKind {
    /// A stable name (`model`, `rules`, ...), for JSON error objects.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Model => "model",
            ErrorKind::Rules => "rules",
            ErrorKind::Facts => "facts",
            ErrorKind::Io => "io",
            ErrorKind::Usage => "usage",
            ErrorKind::Evaluation => "evaluation",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in a file a problem is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// The file as a whole, or no file at all.
    Whole,
    /// A JSON path: `$.activities[3].subjects[0]`.
    Path(String),
    /// 1-based line and column of a text file.
    Line { line: usize, column: usize },
}

/// One problem, as data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Problem {
    /// A stable code where the problem has one (`dangling_reference`, `E0102`).
    pub code: Option<String>,
    /// The file (or text) as it was named to sphere.
    pub file: Option<String>,
    pub place: Place,
    /// What is wrong, without a trailing period.
    pub message: String,
    pub hint: Option<String>,
    /// A warning that came along with the errors (the rule compiler reports both).
    pub warning: bool,
}

/// An error of the library: a kind and at least one problem.
#[derive(Clone, Debug)]
pub struct Error {
    kind: ErrorKind,
    detail: Detail,
}

#[derive(Clone, Debug)]
enum Detail {
    Message {
        message: String,
        hint: Option<String>,
        /// The message and hint in German, where the error was made with both languages
        /// ([`Error::texts`]); [`Error::in_lang`] picks them.
        de: Option<Box<(String, Option<String>)>>,
        /// The language `message` and `hint` are in (the words `error:` and `hint:` follow it).
        lang: Lang,
    },
    /// Problems of a model or a facts export, every one of them, and the language to say
    /// them in (German where a problem has German words, see [`Error::in_lang`]).
    Validation(Vec<ValidationError>, Lang),
    /// The rule compiler's diagnostics, with the sources they point into, and the language
    /// to say them in (German where a diagnostic has German words).
    Diagnostics(Box<(Vec<Diagnostic>, SourceMap)>, Lang),
}

impl Error {
    /// An error of one problem without a place.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            detail: Detail::Message {
                message: message.into(),
                hint: None,
                de: None,
                lang: Lang::En,
            },
        }
    }

    /// An error of one problem without a place, its message in English and German (a message
    /// the user meets in a front end that speaks German: an unknown id, a bad date).
    pub fn texts(kind: ErrorKind, message: Texts) -> Error {
        Error {
            kind,
            detail: Detail::Message {
                message: message.en,
                hint: None,
                de: Some(Box::new((message.de, None))),
                lang: Lang::En,
            },
        }
    }

    /// Adds a hint in English and German to an error of one message.
    pub fn with_hint_texts(mut self, hint: Texts) -> Error {
        if let Detail::Message { hint: h, de, .. } = &mut self.detail {
            *h = Some(hint.en);
            if let Some(de) = de {
                de.1 = Some(hint.de);
            }
        }
        self
    }

    /// The error in `lang`: an error of one message made with German words ([`Error::texts`])
    /// becomes its German message and hint for [`Lang::De`] (a hint given only in English
    /// stays), and a model's problems and the compiler's diagnostics are said with their
    /// German words; every other error is returned as it is.
    pub fn in_lang(mut self, lang: Lang) -> Error {
        if let Detail::Validation(_, l) | Detail::Diagnostics(_, l) = &mut self.detail {
            *l = lang;
        }
        if lang == Lang::De {
            if let Detail::Message {
                message,
                hint,
                de,
                lang: l,
            } = &mut self.detail
            {
                if let Some(g) = de.take() {
                    let (m, h) = *g;
                    *message = m;
                    *l = Lang::De;
                    if h.is_some() {
                        *hint = h;
                    }
                }
            }
        }
        self
    }

    /// Adds a hint to an error of one message (other errors keep their own hints).
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        if let Detail::Message { hint: h, .. } = &mut self.detail {
            *h = Some(hint.into());
        }
        self
    }

    /// Adds a hint where the error has none yet.
    pub fn or_hint(self, hint: impl Into<String>) -> Error {
        match &self.detail {
            Detail::Message { hint: None, .. } => self.with_hint(hint),
            _ => self,
        }
    }

    /// Every problem of a model or a facts export, of `kind`.
    pub fn validation(kind: ErrorKind, errors: Vec<ValidationError>) -> Error {
        Error {
            kind,
            detail: Detail::Validation(errors, Lang::En),
        }
    }

    /// The diagnostics of the rule compiler (or of a query) and the sources they point into.
    pub fn diagnostics(kind: ErrorKind, diagnostics: Vec<Diagnostic>, sources: SourceMap) -> Error {
        Error {
            kind,
            detail: Detail::Diagnostics(Box::new((diagnostics, sources)), Lang::En),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The hint of an error of one message.
    pub fn hint(&self) -> Option<&str> {
        match &self.detail {
            Detail::Message { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }

    /// The message of an error of one message; for the others, their first problem's.
    pub fn message(&self) -> String {
        match &self.detail {
            Detail::Message { message, .. } => message.clone(),
            _ => self
                .problems()
                .into_iter()
                .find(|p| !p.warning)
                .map(|p| p.message)
                .unwrap_or_default(),
        }
    }

    /// The model's validation errors, when this is an error of a model or facts export.
    pub fn validation_errors(&self) -> &[ValidationError] {
        match &self.detail {
            Detail::Validation(e, _) => e,
            _ => &[],
        }
    }

    /// The compiler's diagnostics and their sources, when this is an error of rules.
    pub fn compiler_diagnostics(&self) -> Option<(&[Diagnostic], &SourceMap)> {
        match &self.detail {
            Detail::Diagnostics(d, _) => Some((&d.0, &d.1)),
            _ => None,
        }
    }

    /// Every problem, as data, in the order found.
    pub fn problems(&self) -> Vec<Problem> {
        match &self.detail {
            Detail::Message { message, hint, .. } => vec![Problem {
                code: None,
                file: None,
                place: Place::Whole,
                message: message.clone(),
                hint: hint.clone(),
                warning: false,
            }],
            Detail::Validation(errors, lang) => errors
                .iter()
                .map(|e| Problem {
                    code: Some(e.kind.code().to_string()),
                    file: Some(e.file.clone()),
                    place: match &e.place {
                        sphere_model::Place::Path(p) => Place::Path(p.clone()),
                        sphere_model::Place::Line(line, column) => Place::Line {
                            line: *line,
                            column: *column,
                        },
                        sphere_model::Place::File => Place::Whole,
                    },
                    message: match lang {
                        Lang::En => e.message.clone(),
                        Lang::De => e.german_message().to_string(),
                    },
                    hint: match lang {
                        Lang::En => e.hint.clone(),
                        Lang::De => e.german_hint().map(str::to_string),
                    },
                    warning: false,
                })
                .collect(),
            Detail::Diagnostics(d, lang) => {
                let (diags, sources) = (&d.0, &d.1);
                diags
                    .iter()
                    .map(|d| {
                        let (file, place) = match d.span {
                            Some(span) if (span.file.0 as usize) < sources.files().count() => {
                                let (line, column) = sources.line_col(span.file, span.start);
                                (
                                    Some(sources.get(span.file).name.clone()),
                                    Place::Line { line, column },
                                )
                            }
                            _ => (None, Place::Whole),
                        };
                        Problem {
                            code: Some(d.code.as_str().to_string()),
                            file,
                            place,
                            message: match lang {
                                Lang::En => d.message.clone(),
                                Lang::De => d.german_message().to_string(),
                            },
                            hint: match lang {
                                Lang::En => d.hint.clone(),
                                Lang::De => d.german_hint().map(str::to_string),
                            },
                            warning: d.severity == Severity::Warning,
                        }
                    })
                    .collect()
            }
        }
    }

    /// The error as text for a terminal: `error: ...` and `  hint: ...` lines for one message,
    /// one block per problem of a model, rustc-style diagnostics with carets (coloured when
    /// `color`) for rules.
    pub fn render(&self, color: bool) -> String {
        match &self.detail {
            Detail::Message {
                message,
                hint,
                lang,
                ..
            } => {
                let (error, hint_word) = match lang {
                    Lang::En => ("error", "hint"),
                    Lang::De => ("Fehler", "Hinweis"),
                };
                let mut out = format!("{error}: {message}\n");
                if let Some(h) = hint {
                    out.push_str(&format!("  {hint_word}: {h}\n"));
                }
                out
            }
            Detail::Validation(errors, lang) => sphere_model::render_in(errors, *lang == Lang::De),
            Detail::Diagnostics(d, lang) => {
                render_in(&d.0, &d.1, RenderOptions { color }, *lang == Lang::De)
            }
        }
    }

    /// How many problems the error holds (warnings not counted).
    pub fn len(&self) -> usize {
        match &self.detail {
            Detail::Message { .. } => 1,
            Detail::Validation(e, _) => e.len(),
            Detail::Diagnostics(d, _) => d.0.iter().filter(|d| d.is_error()).count(),
        }
    }

    /// Never true: an error has at least one problem (for clippy's `len` convention).
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Detail::Message { message, .. } => f.write_str(message),
            Detail::Validation(errors, lang) => match errors.first() {
                Some(e) if *lang == Lang::De => write!(f, "{}: {}", e.file, e.german_message()),
                Some(e) => write!(f, "{}: {}", e.file, e.message),
                None => f.write_str("invalid input"),
            },
            Detail::Diagnostics(..) => f.write_str(&self.message()),
        }
    }
}

impl std::error::Error for Error {}

/// What library functions return.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The model reader's strict pass over a JSON text that is not a model file (a request body,
/// a change batch): a key given twice in one object, a number out of range, a lone
/// surrogate, nesting too deep, reported at its JSON path with a hint, as for a model
/// ([`sphere_model::json_check`]); `name` is the file in the problem.
pub(crate) fn strict_json(name: &str, text: &str) -> Result<()> {
    sphere_model::json_check::check(text).map_err(|p| {
        Error::validation(
            ErrorKind::Model,
            vec![sphere_model::load::json_problem(name, p)],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_renders_with_its_hint() {
        let e = Error::new(ErrorKind::Usage, "no model given").with_hint("name a model file");
        assert_eq!(
            e.render(false),
            "error: no model given\n  hint: name a model file\n"
        );
        assert_eq!(e.problems()[0].hint.as_deref(), Some("name a model file"));
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert_eq!(e.to_string(), "no model given");
    }

    #[test]
    fn an_error_in_two_languages_renders_in_the_one_asked_for() {
        let e = Error::texts(
            ErrorKind::Usage,
            Texts::new("no finding `F-1`", "kein Befund `F-1`"),
        )
        .with_hint_texts(Texts::new("list them", "auflisten"));
        assert_eq!(
            e.clone().in_lang(Lang::En).render(false),
            "error: no finding `F-1`\n  hint: list them\n"
        );
        assert_eq!(
            e.clone().in_lang(Lang::De).render(false),
            "Fehler: kein Befund `F-1`\n  Hinweis: auflisten\n"
        );
        // English by default, as before.
        assert_eq!(e.message(), "no finding `F-1`");
        // An error with English words only stays English.
        let e = Error::new(ErrorKind::Io, "x").in_lang(Lang::De);
        assert_eq!(e.message(), "x");
    }

    #[test]
    fn or_hint_keeps_an_existing_hint() {
        let e = Error::new(ErrorKind::Io, "x")
            .with_hint("first")
            .or_hint("second");
        assert_eq!(e.hint(), Some("first"));
        let e = Error::new(ErrorKind::Io, "x").or_hint("second");
        assert_eq!(e.hint(), Some("second"));
    }

    #[test]
    fn a_model_problem_with_german_words_renders_in_german_when_asked() {
        let problem = ValidationError::at_path(
            sphere_model::ErrorKind::BadDate,
            "m.json",
            "$.as_of",
            "`x` is not a calendar day",
        )
        .de("`x` ist kein Kalendertag")
        .with_hints("write YYYY-MM-DD", "YYYY-MM-DD schreiben");
        let english_only = ValidationError::at_path(
            sphere_model::ErrorKind::BadFacts,
            "f.json",
            "$[0]",
            "a bad row",
        );
        let e = Error::validation(ErrorKind::Model, vec![problem, english_only]);
        let en = "error[bad_date]: `x` is not a calendar day\n  --> m.json: $.as_of\n  hint: write YYYY-MM-DD\n\nerror[bad_facts]: a bad row\n  --> f.json: $[0]\n\n";
        assert_eq!(e.render(false), en);
        assert_eq!(e.clone().in_lang(Lang::En).render(false), en);
        let de = e.in_lang(Lang::De);
        assert_eq!(
            de.render(false),
            "Fehler[bad_date]: `x` ist kein Kalendertag\n  --> m.json: $.as_of\n  Hinweis: YYYY-MM-DD schreiben\n\nFehler[bad_facts]: a bad row\n  --> f.json: $[0]\n\n"
        );
        let p = &de.problems()[0];
        assert_eq!(p.message, "`x` ist kein Kalendertag");
        assert_eq!(p.hint.as_deref(), Some("YYYY-MM-DD schreiben"));
        assert_eq!(p.place, Place::Path("$.as_of".into()));
        assert_eq!(de.to_string(), "m.json: `x` ist kein Kalendertag");
    }
}
