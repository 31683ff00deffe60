//! Diagnostics: every problem the front end finds, with its place in the source.
//!
//! The front end collects diagnostics and never aborts on the first; rendering with carets
//! (rustc style, through codespan-reporting) happens at the edge, in [`render`].

use std::fmt;
use std::ops::Range;

/// "Did you mean" hints, one implementation for the whole of sphere.
pub use sphere_rt::suggest::did_you_mean;

/// An index into a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span {
            file,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// The stable error codes, printed as `error[code]`. They are part of the public contract
/// (tests, the conformance adapter and `--json` output match on them): never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    Syntax,
    UnknownRelation,
    ArityMismatch,
    TypeMismatch,
    UnboundVariable,
    UnsafeNegation,
    WildcardInHead,
    CyclicNegation,
    DuplicateRuleId,
    UnknownNorm,
    /// A reference to an authority or a rule id that is not declared.
    UnknownReference,
    /// A declaration that repeats or contradicts another (relation, norm version, authority).
    DuplicateDeclaration,
    /// A legal annotation with a missing or malformed field.
    BadAnnotation,
    /// An input file (facts, JSON) that cannot be read.
    Io,
    /// A program beyond the documented bounds on its size (see
    /// [`crate::ir::resolve::MAX_PROGRAM_BYTES`]).
    TooLarge,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::UnknownRelation => "unknown_relation",
            Code::ArityMismatch => "arity_mismatch",
            Code::TypeMismatch => "type_mismatch",
            Code::UnboundVariable => "unbound_variable",
            Code::UnsafeNegation => "unsafe_negation",
            Code::WildcardInHead => "wildcard_in_head",
            Code::CyclicNegation => "cyclic_negation",
            Code::DuplicateRuleId => "duplicate_rule_id",
            Code::UnknownNorm => "unknown_norm",
            Code::UnknownReference => "unknown_reference",
            Code::DuplicateDeclaration => "duplicate_declaration",
            Code::BadAnnotation => "bad_annotation",
            Code::Io => "io",
            Code::TooLarge => "too_large",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A secondary place that explains the primary one ("first declared here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    /// The message in German, where the site gave one.
    pub de: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// What is wrong, without a trailing period.
    pub message: String,
    /// Where; `None` only for problems that have no place (an unreadable file).
    pub span: Option<Span>,
    /// Text under the caret.
    pub label: String,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    /// What to do about it, rendered as `hint: ...`.
    pub hint: Option<String>,
    /// The message, label and hint in German, where the site that found the problem gave
    /// them ([`Diagnostic::de`], [`Diagnostic::label_de`], [`Diagnostic::hint_de`]);
    /// [`render_in`] shows them.
    pub de: Option<Box<German>>,
}

/// A diagnostic's words in German; a part left `None` (or a message left empty) is said in
/// English.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct German {
    pub message: String,
    pub label: Option<String>,
    pub hint: Option<String>,
    /// German notes, each beside the English note it stands for.
    pub notes: Vec<(String, String)>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span: Some(span),
            label: String::new(),
            secondary: Vec::new(),
            notes: Vec::new(),
            hint: None,
            de: None,
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn without_span(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span: None,
            ..Diagnostic::error(code, Span::new(FileId(0), 0..0), message)
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
            de: None,
        });
        self
    }

    /// A secondary place with its label in English and German.
    pub fn with_secondaries(
        mut self,
        span: Span,
        en: impl Into<String>,
        de: impl Into<String>,
    ) -> Self {
        self.secondary.push(Label {
            span,
            message: en.into(),
            de: Some(de.into()),
        });
        self
    }

    /// A note in English and German.
    pub fn with_notes(mut self, en: impl Into<String>, de: impl Into<String>) -> Self {
        let en = en.into();
        self.de
            .get_or_insert_with(Default::default)
            .notes
            .push((en.clone(), de.into()));
        self.notes.push(en);
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The message in German (the English one stays the message).
    pub fn de(mut self, message: impl Into<String>) -> Self {
        self.de.get_or_insert_with(Default::default).message = message.into();
        self
    }

    /// The label under the caret in German.
    pub fn label_de(mut self, label: impl Into<String>) -> Self {
        self.de.get_or_insert_with(Default::default).label = Some(label.into());
        self
    }

    /// The hint in German.
    pub fn hint_de(mut self, hint: impl Into<String>) -> Self {
        self.de.get_or_insert_with(Default::default).hint = Some(hint.into());
        self
    }

    /// The label and its German.
    pub fn with_labels(self, en: impl Into<String>, de: impl Into<String>) -> Self {
        self.with_label(en).label_de(de)
    }

    /// The hint and its German.
    pub fn with_hints(self, en: impl Into<String>, de: impl Into<String>) -> Self {
        self.with_hint(en).hint_de(de)
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

    /// The label in German where there is one, else the English label.
    pub fn german_label(&self) -> &str {
        match &self.de {
            Some(g) if g.label.is_some() => g.label.as_deref().unwrap_or_default(),
            _ => &self.label,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The source files of one program, by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        self.files.push(SourceFile {
            name: name.into(),
            text,
            line_starts,
        });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: u32) -> (usize, usize) {
        let f = self.get(file);
        let offset = (offset as usize).min(f.text.len());
        let line = f.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = f.line_starts[line];
        let col = f
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// `file:line:col` of a span's start.
    pub fn location(&self, span: Span) -> String {
        let (l, c) = self.line_col(span.file, span.start);
        format!("{}:{l}:{c}", self.get(span.file).name)
    }

    /// The source text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file).text.get(span.range()).unwrap_or("")
    }
}

impl<'a> codespan_reporting::files::Files<'a> for SourceMap {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(&self.get(id).name)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(&self.get(id).text)
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self.get(id).line_starts.partition_point(|&s| s <= byte) - 1)
    }

    fn line_range(
        &'a self,
        id: FileId,
        line: usize,
    ) -> Result<Range<usize>, codespan_reporting::files::Error> {
        let f = self.get(id);
        let start =
            *f.line_starts
                .get(line)
                .ok_or(codespan_reporting::files::Error::LineTooLarge {
                    given: line,
                    max: f.line_starts.len() - 1,
                })?;
        let end = f.line_starts.get(line + 1).copied().unwrap_or(f.text.len());
        Ok(start..end)
    }
}

/// Options for [`render`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions {
    pub color: bool,
}

/// Renders diagnostics rustc-style (`error[code]: message`, `--> file:line:col`, caret),
/// in the order given.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, opts: RenderOptions) -> String {
    render_in(diags, sources, opts, false)
}

/// [`render`], in German when `de`: `Fehler[code]` and `Warnung[code]`, the German message,
/// label and hint (`Hinweis:`) where the diagnostic has them (English where not).
pub fn render_in(
    diags: &[Diagnostic],
    sources: &SourceMap,
    opts: RenderOptions,
    de: bool,
) -> String {
    use codespan_reporting::diagnostic as cd;
    use codespan_reporting::term;

    let config = term::Config::default();
    let mut out: Vec<u8> = Vec::new();
    for d in diags {
        let mut cdiag = match d.severity {
            Severity::Error => cd::Diagnostic::error(),
            Severity::Warning => cd::Diagnostic::warning(),
        }
        .with_code(d.code.as_str())
        .with_message(if de {
            d.german_message().to_string()
        } else {
            d.message.clone()
        });
        let mut labels = Vec::new();
        // A span into a file the map does not hold (facts given from outside) is shown
        // without a snippet rather than failing.
        let known = |span: &Span| (span.file.0 as usize) < sources.files.len();
        if let Some(span) = d.span.filter(known) {
            let label = if de { d.german_label() } else { &d.label };
            labels.push(cd::Label::primary(span.file, span.range()).with_message(label));
        }
        for l in d.secondary.iter().filter(|l| known(&l.span)) {
            let message = match (&l.de, secondary_de(&l.message)) {
                (Some(m), _) if de => m.as_str(),
                (None, Some(m)) if de => m,
                _ => &l.message,
            };
            labels.push(cd::Label::secondary(l.span.file, l.span.range()).with_message(message));
        }
        let mut notes = d.notes.clone();
        if let (true, Some(g)) = (de, &d.de) {
            for n in &mut notes {
                if let Some((_, german)) = g.notes.iter().find(|(en, _)| en == n) {
                    *n = german.clone();
                }
            }
        }
        if de {
            if let Some(h) = d.german_hint() {
                notes.push(format!("Hinweis: {h}"));
            }
        } else if let Some(h) = &d.hint {
            notes.push(format!("hint: {h}"));
        }
        cdiag = cdiag.with_labels(labels).with_notes(notes);
        if opts.color {
            let mut w = term::termcolor::Ansi::new(&mut out);
            let _ = term::emit_to_write_style(&mut w, &config, sources, &cdiag);
        } else {
            let mut w = term::termcolor::NoColor::new(&mut out);
            let _ = term::emit_to_write_style(&mut w, &config, sources, &cdiag);
        }
    }
    let text = cut_long_lines(&String::from_utf8_lossy(&out), opts.color);
    if de {
        german_severities(&text)
    } else {
        text
    }
}

/// The fixed labels of secondary places, in German.
fn secondary_de(label: &str) -> Option<&'static str> {
    Some(match label {
        "declared here" => "hier deklariert",
        "first declared here" => "zuerst hier deklariert",
        "first used here" => "zuerst hier verwendet",
        "first given here" => "zuerst hier angegeben",
        "the earlier version" => "die frühere Fassung",
        "annotated with `exception_to` here" => "hier mit `exception_to` annotiert",
        "annotated with a `decision` here" => "hier mit einer `decision` annotiert",
        _ => return None,
    })
}

/// `error[` and `warning[` at the start of a line (after colour codes) as `Fehler[` and
/// `Warnung[`: the words codespan-reporting writes for a diagnostic's severity.
fn german_severities(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        // The colour codes before the word: `ESC [ ... m`, any number of them.
        let mut rest = line;
        while let Some(after) = rest.strip_prefix("\x1b[") {
            match after.find('m') {
                Some(i) => rest = &after[i + 1..],
                None => break,
            }
        }
        let prefix = &line[..line.len() - rest.len()];
        match [("error[", "Fehler["), ("warning[", "Warnung[")]
            .iter()
            .find(|(en, _)| rest.starts_with(en))
        {
            Some((en, de)) => {
                out.push_str(prefix);
                out.push_str(de);
                out.push_str(&rest[en.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// The most characters of one rendered line: a line of a megabyte (a minified file, a facts
/// line without breaks) is shown by its start, not echoed whole.
pub const MAX_LINE_CHARS: usize = 400;

fn cut_long_lines(text: &str, color: bool) -> String {
    if text.lines().all(|l| l.len() <= MAX_LINE_CHARS) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len().min(1 << 16));
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let count = body.chars().count();
        if count <= MAX_LINE_CHARS {
            out.push_str(line);
            continue;
        }
        out.extend(body.chars().take(MAX_LINE_CHARS));
        if color {
            out.push_str("\x1b[0m");
        }
        out.push_str(&format!(" … ({} more characters)", count - MAX_LINE_CHARS));
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_into_unknown_files_render_without_snippet() {
        let d = Diagnostic::error(
            Code::TypeMismatch,
            Span::new(FileId(3), 0..4),
            "mixed column types",
        )
        .with_hint("use one type per column");
        let out = render(&[d], &SourceMap::new(), RenderOptions::default());
        assert!(
            out.contains("error[type_mismatch]: mixed column types"),
            "{out}"
        );
        assert!(out.contains("hint: use one type per column"), "{out}");
    }

    #[test]
    fn german_words_render_where_given_and_english_stays_as_it_was() {
        let mut m = SourceMap::new();
        let f = m.add("a.dl", "p(X) :- q(X).\n");
        let d = Diagnostic::error(
            Code::UnknownRelation,
            Span::new(f, 8..9),
            "unknown relation `q`",
        )
        .with_labels("not declared", "nicht deklariert")
        .with_hints("declare it", "deklarieren");
        let w = Diagnostic::warning(Code::Syntax, Span::new(f, 0..1), "a warning");
        let en = render(&[d.clone(), w.clone()], &m, RenderOptions::default());
        assert!(
            en.starts_with("error[unknown_relation]: unknown relation `q`"),
            "{en}"
        );
        assert!(
            en.contains("= hint: declare it") && en.contains("warning[syntax]"),
            "{en}"
        );
        let de = render_in(&[d.clone(), w], &m, RenderOptions::default(), true);
        assert!(
            de.starts_with("Fehler[unknown_relation]: unknown relation `q`"),
            "{de}"
        );
        assert!(de.contains("^ nicht deklariert"), "{de}");
        assert!(de.contains("= Hinweis: deklarieren"), "{de}");
        assert!(de.contains("Warnung[syntax]: a warning"), "{de}");
        let d = d.de("unbekannte Relation `q`");
        let colored = render_in(&[d], &m, RenderOptions { color: true }, true);
        assert!(colored.contains("Fehler[unknown_relation]"), "{colored:?}");
        assert!(!colored.contains("error["), "{colored:?}");
        assert!(colored.contains("unbekannte Relation `q`"), "{colored:?}");
    }

    #[test]
    fn line_and_column_count_characters() {
        let mut m = SourceMap::new();
        let f = m.add("a.dl", "ä(1).\n  b(x) :- c(x).\n");
        assert_eq!(m.line_col(f, 9), (2, 3));
        assert_eq!(m.location(Span::new(f, 9..10)), "a.dl:2:3");
    }
}
