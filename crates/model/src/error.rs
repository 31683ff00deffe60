//! Problems with a model: every one names its file, its place (a JSON path, or line and column
//! for JSON that does not parse), what is wrong and, where there is one, a hint.

use std::fmt;

/// The class of a problem. The code strings ([`ErrorKind::code`]) are a stable contract:
/// tests and tools match on them, so never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// The file cannot be read.
    Io,
    /// The file is not JSON.
    Syntax,
    /// `format` is missing or not `sphere-model/1`.
    UnsupportedFormat,
    /// A key the contract does not define (and not `x-...`).
    UnknownKey,
    /// A value of the wrong JSON type (a number where a string belongs, ...).
    WrongType,
    /// A required key is absent.
    MissingKey,
    /// A date that is not a calendar day written `YYYY-MM-DD`.
    BadDate,
    /// A country that is not an ISO 3166 alpha-2 code.
    UnknownCountry,
    /// A word outside an enumeration of the contract.
    UnknownValue,
    /// A value of the right type that is still not allowed (an empty id).
    InvalidValue,
    /// A reference to an id that no object has.
    DanglingReference,
    /// A reference to an id of the wrong kind of object (a flow into a staff member).
    WrongReferenceKind,
    /// Two objects with the same id.
    DuplicateId,
    /// Values that cannot all be true (withdrawn before given, ends before it starts).
    Contradiction,
    /// Merged files name different `as_of` dates.
    AsOfConflict,
    /// More than one merged file has an `organization`.
    OrganizationConflict,
    /// None of the merged files has an `organization`.
    MissingOrganization,
    /// A facts file (`sphere-facts/1`) that does not fit its relation.
    BadFacts,
    /// A key given twice in one JSON object (JSON readers keep one of the values silently).
    DuplicateKey,
    /// A file larger than the input limit, or one without end (a device).
    TooLarge,
}

impl ErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Syntax => "syntax",
            ErrorKind::UnsupportedFormat => "unsupported_format",
            ErrorKind::UnknownKey => "unknown_key",
            ErrorKind::WrongType => "wrong_type",
            ErrorKind::MissingKey => "missing_key",
            ErrorKind::BadDate => "bad_date",
            ErrorKind::UnknownCountry => "unknown_country",
            ErrorKind::UnknownValue => "unknown_value",
            ErrorKind::InvalidValue => "invalid_value",
            ErrorKind::DanglingReference => "dangling_reference",
            ErrorKind::WrongReferenceKind => "wrong_reference_kind",
            ErrorKind::DuplicateId => "duplicate_id",
            ErrorKind::Contradiction => "contradiction",
            ErrorKind::AsOfConflict => "as_of_conflict",
            ErrorKind::OrganizationConflict => "organization_conflict",
            ErrorKind::MissingOrganization => "missing_organization",
            ErrorKind::BadFacts => "bad_facts",
            ErrorKind::DuplicateKey => "duplicate_key",
            ErrorKind::TooLarge => "too_large",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where a problem is: a JSON path in a model file, or a line (and column) of a text file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    /// `$.activities[3].subjects[0]`; `$` for the whole document.
    Path(String),
    /// 1-based line and column.
    Line(usize, usize),
    /// The file as a whole (cannot be read).
    File,
}

/// One problem with a model or a facts directory.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ValidationError {
    pub kind: ErrorKind,
    /// The file as it was named to sphere.
    pub file: String,
    pub place: Place,
    /// What is wrong, without a trailing period.
    pub message: String,
    pub hint: Option<String>,
    /// The message and hint in German, where the site that found the problem gave them
    /// ([`ValidationError::de`], [`ValidationError::with_hints`]); [`render_in`] shows them.
    pub de: Option<Box<German>>,
}

/// A problem's message and hint in German.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct German {
    pub message: String,
    pub hint: Option<String>,
}

impl ValidationError {
    pub fn new(kind: ErrorKind, file: &str, place: Place, message: impl Into<String>) -> Self {
        ValidationError {
            kind,
            file: file.to_string(),
            place,
            message: message.into(),
            hint: None,
            de: None,
        }
    }

    /// The message in German (the English one stays the message).
    pub fn de(mut self, message: impl Into<String>) -> Self {
        self.de.get_or_insert_with(Default::default).message = message.into();
        self
    }

    /// A hint in English and in German.
    pub fn with_hints(mut self, en: impl Into<String>, de: impl Into<String>) -> Self {
        self.hint = Some(en.into());
        self.de.get_or_insert_with(Default::default).hint = Some(de.into());
        self
    }

    /// The message in German where there is one, else the English message.
    pub fn german_message(&self) -> &str {
        match &self.de {
            Some(g) if !g.message.is_empty() => &g.message,
            _ => &self.message,
        }
    }

    /// The hint in German where there is one, else the English hint.
    pub fn german_hint(&self) -> Option<&str> {
        match &self.de {
            Some(g) if g.hint.is_some() => g.hint.as_deref(),
            _ => self.hint.as_deref(),
        }
    }

    /// Renders like [`fmt::Display`], in German: `Fehler[code]: ...` and `Hinweis: ...`.
    pub fn render_de(&self) -> String {
        let mut out = format!("Fehler[{}]: {}\n", self.kind, self.german_message());
        out.push_str(&self.place_line());
        if let Some(h) = self.german_hint() {
            out.push_str(&format!("\n  Hinweis: {h}"));
        }
        out
    }

    fn place_line(&self) -> String {
        match &self.place {
            Place::Path(p) => format!("  --> {}: {p}", self.file),
            Place::Line(l, c) => format!("  --> {}:{l}:{c}", self.file),
            Place::File => format!("  --> {}", self.file),
        }
    }

    pub fn at_path(
        kind: ErrorKind,
        file: &str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(kind, file, Place::Path(path.into()), message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The JSON path, if the place is one.
    pub fn path(&self) -> Option<&str> {
        match &self.place {
            Place::Path(p) => Some(p),
            _ => None,
        }
    }
}

/// Renders as
/// ```text
/// error[dangling_reference]: `karl` is not the id of any subject
///   --> facts/s1.json: $.activities[3].subjects[0]
///   hint: ...
/// ```
impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error[{}]: {}", self.kind, self.message)?;
        f.write_str(&self.place_line())?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// Renders a list of problems, one blank line between them.
pub fn render(errors: &[ValidationError]) -> String {
    let mut out = String::new();
    for e in errors {
        out.push_str(&e.to_string());
        out.push_str("\n\n");
    }
    out
}

/// [`render`] in German ([`ValidationError::render_de`]) when `de`.
pub fn render_in(errors: &[ValidationError], de: bool) -> String {
    if !de {
        return render(errors);
    }
    let mut out = String::new();
    for e in errors {
        out.push_str(&e.render_de());
        out.push_str("\n\n");
    }
    out
}

/// The closest of `candidates` to `word`, if one is close enough to be a likely typo: the rule
/// compiler's "did you mean" (`sphere_rt::suggest::did_you_mean`), so that a misspelt
/// key in a model and a misspelt relation in a rule get the same help.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    let best = sphere_rt::suggest::did_you_mean(word, candidates.iter().copied())?;
    candidates.into_iter().find(|c| *c == best)
}
