//! The legal annotations: reading `.norm`, `.authority` and `.rule` blocks into the
//! [`Catalogue`], checking their references, computing each rule's window, and the generated
//! relations and rules of the lowering described in [`crate::ir::legal`].
//!
//! Generated rule ids: `suppressed#lower`, `suppressed_any#lower` and `finding#lower` (a `#`
//! cannot appear in an annotation id, so they never clash with the user's). Variables made by
//! lowering start with `$`: `$from` and `$to` for the window of a finding or exception rule.

use rustc_hash::FxHashMap;

use crate::diag::{did_you_mean, Code, Diagnostic, Span};
use crate::ir::legal::*;
use crate::lang::ast::{AValue, AValueKind, Block, Field};
use crate::value::{Date, Type};

/// The relation made for a finding rule's head.
pub const FINDING: &str = "finding";
/// The head an exception rule is written with (rewritten to `exception_raw`).
pub const EXCEPTION: &str = "exception";

/// The relations lowering makes, with their columns, in the order they are added.
pub const GENERATED: &[(&str, &[(&str, Type)])] = &[
    (
        "rule_window",
        &[
            ("rule", Type::Symbol),
            ("from", Type::Date),
            ("to", Type::Date),
        ],
    ),
    (
        "exception_of",
        &[("exception", Type::Symbol), ("rule", Type::Symbol)],
    ),
    (
        "finding_raw",
        &[
            ("rule", Type::Symbol),
            ("about", Type::Symbol),
            ("subject", Type::Symbol),
            ("date", Type::Date),
        ],
    ),
    (
        "exception_raw",
        &[
            ("exception", Type::Symbol),
            ("about", Type::Symbol),
            ("subject", Type::Symbol),
            ("date", Type::Date),
        ],
    ),
    (
        "suppressed",
        &[
            ("rule", Type::Symbol),
            ("exception", Type::Symbol),
            ("about", Type::Symbol),
            ("subject", Type::Symbol),
            ("date", Type::Date),
        ],
    ),
    (
        "suppressed_any",
        &[
            ("rule", Type::Symbol),
            ("about", Type::Symbol),
            ("subject", Type::Symbol),
            ("date", Type::Date),
        ],
    ),
    (
        "finding",
        &[
            ("rule", Type::Symbol),
            ("about", Type::Symbol),
            ("subject", Type::Symbol),
            ("date", Type::Date),
        ],
    ),
];

/// The generated rules, in the rule language (parsed like user text, then resolved; the
/// resolver prefixes their variables with `$`). Their ids are `<head>#lower`.
pub const GENERATED_RULES: &str = "\
suppressed(Rule, Exception, About, Subject, Date) :- finding_raw(Rule, About, Subject, Date), exception_of(Exception, Rule), exception_raw(Exception, About, Subject, Date).
suppressed_any(Rule, About, Subject, Date) :- suppressed(Rule, _, About, Subject, Date).
finding(Rule, About, Subject, Date) :- finding_raw(Rule, About, Subject, Date), !suppressed_any(Rule, About, Subject, Date).
";

/// Whether a name is reserved for lowering (when the program has finding or exception rules).
pub fn is_reserved(name: &str) -> bool {
    name == EXCEPTION || GENERATED.iter().any(|(n, _)| *n == name)
}

/// Reads the fields of one block, reporting unknown, repeated and mistyped keys.
struct Fields<'a, 'd> {
    what: String,
    block: &'a Block,
    allowed: &'static [&'static str],
    diags: &'d mut Vec<Diagnostic>,
}

impl<'a> Fields<'a, '_> {
    fn new<'d>(
        what: String,
        block: &'a Block,
        allowed: &'static [&'static str],
        diags: &'d mut Vec<Diagnostic>,
    ) -> Fields<'a, 'd> {
        let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
        for f in &block.fields {
            if let Some(first) = seen.get(f.key.text.as_str()) {
                diags.push(
                    Diagnostic::error(
                        Code::BadAnnotation,
                        f.key.span,
                        format!("`{}` is given twice in {what}", f.key.text),
                    )
                    .with_labels("repeated here", "hier wiederholt")
                    .with_secondary(*first, "first given here")
                    .with_hints("keep one of them", "einen davon behalten")
                    .de(format!("`{}` steht zweimal in {what}", f.key.text)),
                );
            } else {
                seen.insert(&f.key.text, f.key.span);
            }
            if !allowed.contains(&f.key.text.as_str()) {
                let mut d = Diagnostic::error(
                    Code::BadAnnotation,
                    f.key.span,
                    format!("unknown key `{}` in {what}", f.key.text),
                )
                .with_labels("not a key of this block", "kein Schlüssel dieses Blocks")
                .de(format!("unbekannter Schlüssel `{}` in {what}", f.key.text));
                d = match did_you_mean(&f.key.text, allowed.iter().copied()) {
                    Some(s) => d.with_hints(
                        format!("did you mean `{s}`?"),
                        format!("meinten Sie `{s}`?"),
                    ),
                    None => d.with_hints(
                        format!("the keys are: {}", allowed.join(", ")),
                        format!("mögliche Schlüssel: {}", allowed.join(", ")),
                    ),
                };
                diags.push(d);
            }
        }
        Fields {
            what,
            block,
            allowed,
            diags,
        }
    }

    fn get(&self, key: &str) -> Option<&'a AValue> {
        debug_assert!(self.allowed.contains(&key));
        self.block
            .fields
            .iter()
            .find(|f| f.key.text == key)
            .map(|f| &f.value)
    }

    fn missing(&mut self, key: &str, example: &str) {
        self.diags.push(
            Diagnostic::error(
                Code::BadAnnotation,
                self.block.id.span,
                format!("{} has no `{key}`", self.what),
            )
            .with_labels(
                format!("`{key}` is required"),
                format!("`{key}` ist Pflicht"),
            )
            .with_hints(
                format!("add `{key}: {example}`"),
                format!("`{key}: {example}` ergänzen"),
            )
            .de(format!("{} hat kein `{key}`", self.what)),
        );
    }

    /// A German text (`title_de`) given for an English one (`title`) the block does not have.
    fn german_without_english(&mut self, de: &str, en: &str) {
        if let Some(v) = self.get(de) {
            self.diags.push(
                Diagnostic::error(
                    Code::BadAnnotation,
                    v.span,
                    format!(
                        "`{de}` translates `{en}`, which {} does not have",
                        self.what
                    ),
                )
                .with_labels(
                    format!("German text without `{en}`"),
                    format!("deutscher Text ohne `{en}`"),
                )
                .with_hints(
                    format!("give the English `{en}` too, or remove `{de}`"),
                    format!("auch das englische `{en}` angeben oder `{de}` entfernen"),
                )
                .de(format!(
                    "`{de}` übersetzt `{en}`, das {} nicht hat",
                    self.what
                )),
            );
        }
    }

    fn wrong(&mut self, key: &str, v: &AValue, want: &str) {
        self.diags.push(
            Diagnostic::error(
                Code::BadAnnotation,
                v.span,
                format!("`{key}` must be {want}, found {}", v.kind.describe()),
            )
            .with_labels(
                format!("expected {want}"),
                format!("erwartet: {}", want_de(want)),
            )
            .de(format!(
                "`{key}` muss {} sein, gefunden: {}",
                want_de(want),
                v.kind.describe_de()
            )),
        );
    }

    fn string(&mut self, key: &str, required: Option<&str>) -> Option<String> {
        match self.get(key) {
            Some(AValue {
                kind: AValueKind::Str(s),
                ..
            }) => Some(s.clone()),
            Some(v) => {
                self.wrong(key, v, "a string");
                None
            }
            None => {
                if let Some(ex) = required {
                    self.missing(key, ex);
                }
                None
            }
        }
    }

    fn date(&mut self, key: &str, required: bool) -> Option<Date> {
        match self.get(key) {
            Some(AValue {
                kind: AValueKind::Date(d),
                ..
            }) => Some(*d),
            Some(v) => {
                self.wrong(key, v, "a date `YYYY-MM-DD`");
                None
            }
            None => {
                if required {
                    self.missing(key, "2018-05-25");
                }
                None
            }
        }
    }

    /// A date or `none`: `Ok(None)` for `none` or absent.
    fn date_or_none(&mut self, key: &str) -> Result<Option<Date>, ()> {
        match self.get(key) {
            None => Ok(None),
            Some(AValue {
                kind: AValueKind::Word(w),
                ..
            }) if w == "none" => Ok(None),
            Some(AValue {
                kind: AValueKind::Date(d),
                ..
            }) => Ok(Some(*d)),
            Some(v) => {
                self.wrong(key, v, "a date `YYYY-MM-DD` or `none`");
                Err(())
            }
        }
    }

    /// A bare word from `choices`.
    fn word(&mut self, key: &str, choices: &[&str]) -> Option<(String, Span)> {
        let v = self.get(key)?;
        let word = match &v.kind {
            AValueKind::Word(w) | AValueKind::Str(w) => w.clone(),
            _ => {
                self.wrong(key, v, &format!("one of {}", choices.join(" | ")));
                return None;
            }
        };
        if choices.is_empty() || choices.contains(&word.as_str()) {
            return Some((word, v.span));
        }
        let mut d = Diagnostic::error(
            Code::BadAnnotation,
            v.span,
            format!("`{word}` is not a valid `{key}`"),
        )
        .with_labels(
            format!("expected one of {}", choices.join(" | ")),
            format!("erwartet: eines von {}", code_list(choices.iter().copied())),
        )
        .de(format!("`{word}` ist kein gültiger Wert für `{key}`"));
        if let Some(s) = did_you_mean(&word, choices.iter().copied()) {
            d = d.with_hints(
                format!("did you mean `{s}`?"),
                format!("meinten Sie `{s}`?"),
            );
        }
        self.diags.push(d);
        None
    }

    fn text(&mut self, key: &str) -> Option<Text> {
        let v = self.get(key)?;
        let AValueKind::Map(fields) = &v.kind else {
            self.wrong(key, v, "a `{ en: \"..\", de: \"..\" }` block");
            return None;
        };
        let find = |k: &str| -> Option<&Field> { fields.iter().find(|f| f.key.text == k) };
        let mut out = Text::default();
        for f in fields {
            if f.key.text != "en" && f.key.text != "de" {
                self.diags.push(
                    Diagnostic::error(
                        Code::BadAnnotation,
                        f.key.span,
                        format!("unknown language `{}` in `{key}`", f.key.text),
                    )
                    .with_labels("expected `en` or `de`", "erwartet: `en` oder `de`")
                    .de(format!("unbekannte Sprache `{}` in `{key}`", f.key.text)),
                );
            }
        }
        for (lang, slot) in [("en", &mut out.en), ("de", &mut out.de)] {
            match find(lang).map(|f| &f.value) {
                Some(AValue {
                    kind: AValueKind::Str(s),
                    ..
                }) => *slot = s.clone(),
                Some(other) => {
                    let other = other.clone();
                    self.wrong(&format!("{key}.{lang}"), &other, "a string");
                }
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::BadAnnotation,
                            v.span,
                            format!("`{key}` has no `{lang}` text"),
                        )
                        .with_labels(format!("`{lang}` is missing"), format!("`{lang}` fehlt"))
                        .with_hints(
                            "give the text in both output languages, `en` and `de`",
                            "den Text in beiden Ausgabesprachen angeben, `en` und `de`",
                        )
                        .de(format!("`{key}` hat keinen Text in `{lang}`")),
                    );
                }
            }
        }
        Some(out)
    }

    /// A list of strings or words, with their spans.
    fn list(&mut self, key: &str) -> Vec<(String, Span)> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let AValueKind::List(items) = &v.kind else {
            self.wrong(key, v, "a list `[..]`");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match &item.kind {
                AValueKind::Str(s) | AValueKind::Word(s) => out.push((s.clone(), item.span)),
                _ => self.wrong(key, item, "a name or a string"),
            }
        }
        out
    }
}

/// Parses a norm reference `id` or `id@YYYY-MM-DD`.
/// What a key's value must be ([`Fields::wrong`]'s `want`), in German.
fn want_de(want: &str) -> String {
    match want {
        "a string" => "eine Zeichenkette".into(),
        "a date `YYYY-MM-DD`" => "ein Datum `YYYY-MM-DD`".into(),
        "a date `YYYY-MM-DD` or `none`" => "ein Datum `YYYY-MM-DD` oder `none`".into(),
        "a `{ en: \"..\", de: \"..\" }` block" => {
            "ein Textpaar `{ en: \"..\", de: \"..\" }`".into()
        }
        "a list `[..]`" => "eine Liste `[..]`".into(),
        "a name or a string" => "ein Name oder eine Zeichenkette".into(),
        "a norm reference string" => "ein Normverweis als Zeichenkette".into(),
        "`true` or `false`" => "`true` oder `false`".into(),
        _ => match want.strip_prefix("one of ") {
            Some(choices) => format!("eines von {}", code_list(choices.split(" | "))),
            None => want.into(),
        },
    }
}

/// Words as code, `a`, `b`, `c`.
fn code_list<'s>(words: impl Iterator<Item = &'s str>) -> String {
    words
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "this head is `name` with N arguments", in German.
fn head_de(name: &str, arity: usize) -> String {
    format!(
        "dieser Kopf ist `{name}` mit {arity} Argument{}",
        if arity == 1 { "" } else { "en" }
    )
}

pub fn parse_norm_ref(s: &str) -> Option<NormRef> {
    let (id, version) = match s.split_once('@') {
        Some((id, d)) => (id, Some(Date::parse(d)?)),
        None => (s, None),
    };
    valid_norm_id(id).then(|| NormRef {
        id: id.to_string(),
        version,
    })
}

/// `<law>:<unit>[.<unit>]*`, lower case letters, digits and `_`.
pub fn valid_norm_id(id: &str) -> bool {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    match id.split_once(':') {
        Some((law, units)) => ok_part(law) && units.split('.').all(ok_part),
        None => false,
    }
}

const NORM_KEYS: &[&str] = &[
    "de",
    "en",
    "title",
    "from",
    "to",
    "source",
    "replaced_by",
    "summary",
    "context_only",
    "title_de",
    "summary_de",
];

/// Reads one `.norm` block, with the place of its `replaced_by` value; `None` after a
/// diagnostic that makes it unusable.
pub fn norm(block: &Block, diags: &mut Vec<Diagnostic>) -> Option<(NormVersion, Option<Span>)> {
    let what = format!("`.norm \"{}\"`", block.id.text);
    if !valid_norm_id(&block.id.text) {
        diags.push(
            Diagnostic::error(
                Code::BadAnnotation,
                block.id.span,
                format!("`{}` is not a valid norm id", block.id.text),
            )
            .with_labels(
                "expected `<law>:<unit>[.<unit>]*`",
                "erwartet: `<law>:<unit>[.<unit>]*`",
            )
            .with_hints(
                "norm ids are lower case, e.g. `gdpr:6.1.a` or `uwg:7.2.2`",
                "Norm-IDs werden kleingeschrieben, z. B. `gdpr:6.1.a` oder `uwg:7.2.2`",
            )
            .de(format!("`{}` ist keine gültige Norm-ID", block.id.text)),
        );
        return None;
    }
    let mut f = Fields::new(what, block, NORM_KEYS, diags);
    let de = f.string("de", Some("\"Art. 6 Abs. 1 DSGVO\""));
    let en = f.string("en", Some("\"Art. 6(1) GDPR\""));
    let title = f.string("title", Some("\"...\""));
    let from = f.date("from", true);
    let to = f.date_or_none("to").ok()?;
    let source = f.string("source", Some("\"https://eur-lex.europa.eu/...\""));
    let summary = f.string("summary", None);
    let title_de = f.string("title_de", None);
    let summary_de = f.string("summary_de", None);
    if summary.is_none() {
        f.german_without_english("summary_de", "summary");
    }
    let replaced_by = match f.get("replaced_by") {
        None => None,
        Some(v) => match &v.kind {
            AValueKind::Str(s) => match parse_norm_ref(s) {
                Some(r) => Some(r),
                None => {
                    f.diags.push(
                        Diagnostic::error(
                            Code::BadAnnotation,
                            v.span,
                            format!("`{s}` is not a norm reference"),
                        )
                        .with_labels(
                            "expected `\"<id>\"` or `\"<id>@YYYY-MM-DD\"`",
                            "erwartet: `\"<id>\"` oder `\"<id>@YYYY-MM-DD\"`",
                        )
                        .de(format!("`{s}` ist kein Normverweis")),
                    );
                    None
                }
            },
            _ => {
                f.wrong("replaced_by", v, "a norm reference string");
                None
            }
        },
    };
    let context_only = match f.get("context_only") {
        None => false,
        Some(v) => match &v.kind {
            AValueKind::Word(w) if w == "true" => true,
            AValueKind::Word(w) if w == "false" => false,
            _ => {
                f.wrong("context_only", v, "`true` or `false`");
                false
            }
        },
    };
    let replaced_span = f.get("replaced_by").map(|v| v.span);
    let (de, en, title, from, source) = (de?, en?, title?, from?, source?);
    if let Some(t) = to {
        if t < from {
            diags.push(
                Diagnostic::error(
                    Code::BadAnnotation,
                    block.id.span,
                    format!("`{}` ends ({t}) before it starts ({from})", block.id.text),
                )
                .with_labels("empty interval", "leerer Zeitraum")
                .with_hints(
                    "`to` is the last day in force and must not be before `from`",
                    "`to` ist der letzte Tag in Kraft und darf nicht vor `from` liegen",
                )
                .de(format!(
                    "`{}` endet ({t}) vor seinem Beginn ({from})",
                    block.id.text
                )),
            );
            return None;
        }
    }
    Some((
        NormVersion {
            id: block.id.text.clone(),
            from,
            to,
            de,
            en,
            title,
            title_de,
            summary,
            summary_de,
            source,
            replaced_by,
            context_only,
            span: block.id.span,
        },
        replaced_span,
    ))
}

const AUTHORITY_KEYS: &[&str] = &[
    "kind",
    "issuer",
    "case",
    "date",
    "title",
    "holding",
    "url",
    "title_de",
    "issuer_de",
];

pub fn authority(block: &Block, diags: &mut Vec<Diagnostic>) -> Option<Authority> {
    let what = format!("`.authority {}`", block.id.text);
    let mut f = Fields::new(what, block, AUTHORITY_KEYS, diags);
    let kind = match f.word("kind", &["ruling", "guidance", "guideline"]) {
        Some((k, _)) => Some(match k.as_str() {
            "ruling" => AuthorityKind::Ruling,
            "guidance" => AuthorityKind::Guidance,
            _ => AuthorityKind::Guideline,
        }),
        None => {
            if f.get("kind").is_none() {
                f.missing("kind", "ruling");
            }
            None
        }
    };
    let issuer = f.string("issuer", Some("\"BGH\""));
    let case = f.string("case", None);
    let date = f.date("date", true);
    let title = f.string("title", None);
    let title_de = f.string("title_de", None);
    let issuer_de = f.string("issuer_de", None);
    if title.is_none() {
        f.german_without_english("title_de", "title");
    }
    let holding = f.string("holding", Some("\"...\""));
    let url = f.string("url", Some("\"https://...\""));
    let kind = kind?;
    if kind == AuthorityKind::Ruling && case.is_none() && f.get("case").is_none() {
        f.missing("case", "\"I ZR 164/09\"");
        return None;
    }
    Some(Authority {
        id: block.id.text.clone(),
        kind,
        issuer: issuer?,
        issuer_de,
        case,
        date: date?,
        title,
        title_de,
        holding: holding?,
        url: url?,
        span: block.id.span,
    })
}

const RULE_KEYS: &[&str] = &[
    "norms",
    "cites",
    "authorities",
    "severity",
    "decision",
    "about",
    "message",
    "remedy",
    "contested",
    "contested_de",
    "from",
    "to",
    "exception_to",
];

/// A `.rule` block, read but not yet checked against the catalogue: the spans of the norm and
/// authority references are kept for those checks.
pub struct RuleAnnotation {
    pub meta: RuleMeta,
    pub norm_spans: Vec<Span>,
    pub authority_spans: Vec<Span>,
}

/// Reads a `.rule` block; `head` is the name of the annotated rule's head relation and
/// `head_arity` its number of arguments.
pub fn rule_annotation(
    block: &Block,
    head: (&str, Span, usize),
    diags: &mut Vec<Diagnostic>,
) -> Option<RuleAnnotation> {
    let before = diags.len();
    let what = format!("`.rule {}`", block.id.text);
    let mut f = Fields::new(what, block, RULE_KEYS, diags);
    let mut norms = Vec::new();
    let mut norm_spans = Vec::new();
    for (s, span) in f.list("norms") {
        match parse_norm_ref(&s) {
            Some(r) => {
                norms.push(r);
                norm_spans.push(span);
            }
            None => f.diags.push(
                Diagnostic::error(
                    Code::BadAnnotation,
                    span,
                    format!("`{s}` is not a norm reference"),
                )
                .with_labels(
                    "expected `\"<id>\"` or `\"<id>@YYYY-MM-DD\"`",
                    "erwartet: `\"<id>\"` oder `\"<id>@YYYY-MM-DD\"`",
                )
                .with_hints(
                    "e.g. `\"uwg:7.2.2\"` or `\"uwg:7.2.3@2008-12-30\"`",
                    "z. B. `\"uwg:7.2.2\"` oder `\"uwg:7.2.3@2008-12-30\"`",
                )
                .de(format!("`{s}` ist kein Normverweis")),
            ),
        }
    }
    let mut cites = Vec::new();
    for (s, span) in f.list("cites") {
        let ok = s.split_once(':').is_some_and(|(law, rest)| {
            matches!(law, "guideline" | "terms") && placeholders(rest).len() == 1
        });
        if ok {
            cites.push(s);
        } else {
            f.diags.push(
                Diagnostic::error(Code::BadAnnotation, span, format!("`{s}` is not a model citation"))
                    .with_label("expected `\"guideline:{Var}\"` or `\"terms:{Var}\"`")
                    .with_hint("a model citation names a company guideline or a platform's terms through a variable of the rule, e.g. `\"guideline:{G}\"`; catalogued norms go in `norms`")
                    .de(format!("`{s}` ist kein Modellzitat"))
                    .label_de("erwartet: `\"guideline:{Var}\"` oder `\"terms:{Var}\"`")
                    .hint_de("ein Modellzitat nennt eine Richtlinie des Unternehmens oder die Bedingungen einer Plattform über eine Variable der Regel, z. B. `\"guideline:{G}\"`; katalogisierte Normen gehören in `norms`"),
            );
        }
    }
    let (authorities, authority_spans): (Vec<_>, Vec<_>) =
        f.list("authorities").into_iter().unzip();
    let severity = f
        .word("severity", &["high", "medium", "low"])
        .map(|(w, _)| match w.as_str() {
            "high" => Severity::High,
            "medium" => Severity::Medium,
            _ => Severity::Low,
        });
    let decision = f
        .word("decision", &["block", "warn", "info"])
        .map(|(w, _)| match w.as_str() {
            "block" => Decision::Block,
            "warn" => Decision::Warn,
            _ => Decision::Info,
        });
    let about = f.word("about", &["activity", "object"]).map(|(w, _)| {
        if w == "object" {
            About::Object
        } else {
            About::Activity
        }
    });
    let exception_to = f.word("exception_to", &[]);
    let message = f.text("message");
    let remedy = f.text("remedy");
    let contested = f.string("contested", None);
    let contested_de = f.string("contested_de", None);
    if contested.is_none() {
        f.german_without_english("contested_de", "contested");
    }
    let from = f.date("from", false);
    let to = f.date_or_none("to").ok().flatten();

    let has = |k: &str| block.fields.iter().any(|fl| fl.key.text == k);
    let kind = if has("decision") {
        if has("exception_to") {
            f.diags.push(
                Diagnostic::error(
                    Code::BadAnnotation,
                    block.id.span,
                    format!(
                        "`.rule {}` has both `decision` and `exception_to`",
                        block.id.text
                    ),
                )
                .with_labels(
                    "a rule either derives findings or excepts from another rule",
                    "eine Regel leitet entweder Befunde ab oder ist eine Ausnahme zu einer anderen Regel",
                )
                .with_hints(
                    "split it into a finding rule and an exception rule",
                    "in eine Befundregel und eine Ausnahmeregel aufteilen",
                )
                .de(format!(
                    "`.rule {}` hat sowohl `decision` als auch `exception_to`",
                    block.id.text
                )),
            );
        }
        if !has("severity") {
            f.missing("severity", "high");
        }
        if !has("message") {
            f.missing("message", "{ en: \"...\", de: \"...\" }");
        }
        if head.0 != FINDING || !(2..=3).contains(&head.2) {
            f.diags.push(
                Diagnostic::error(
                    Code::BadAnnotation,
                    head.1,
                    format!(
                        "the finding rule `{}` must derive `finding(About, Subject, Date)` or `finding(About, Date)`",
                        block.id.text
                    ),
                )
                .with_label(format!(
                    "this head is `{}` with {} argument{}",
                    head.0,
                    head.2,
                    if head.2 == 1 { "" } else { "s" }
                ))
                .with_secondary(block.id.span, "annotated with a `decision` here")
                .de(format!(
                    "die Befundregel `{}` muss `finding(About, Subject, Date)` oder `finding(About, Date)` ableiten",
                    block.id.text
                ))
                .label_de(head_de(head.0, head.2)),
            );
        }
        match (severity, decision) {
            (Some(severity), Some(decision)) => Some(RuleKind::Finding {
                severity,
                decision,
                about: about.unwrap_or(About::Activity),
            }),
            _ => None,
        }
    } else if let Some((to_rule, to_span)) = exception_to {
        if head.0 != EXCEPTION || !(2..=3).contains(&head.2) {
            f.diags.push(
                Diagnostic::error(
                    Code::BadAnnotation,
                    head.1,
                    format!(
                        "the exception rule `{}` must derive `exception(About, Subject, Date)`",
                        block.id.text
                    ),
                )
                .with_label(format!(
                    "this head is `{}` with {} argument{}",
                    head.0,
                    head.2,
                    if head.2 == 1 { "" } else { "s" }
                ))
                .with_secondary(block.id.span, "annotated with `exception_to` here")
                .de(format!(
                    "die Ausnahmeregel `{}` muss `exception(About, Subject, Date)` ableiten",
                    block.id.text
                ))
                .label_de(head_de(head.0, head.2)),
            );
        }
        for k in ["severity", "message", "remedy"] {
            if has(k) {
                f.diags.push(
                    Diagnostic::error(
                        Code::BadAnnotation,
                        block.id.span,
                        format!("the exception rule `{}` has a `{k}`", block.id.text),
                    )
                    .with_labels(
                        "exceptions only suppress findings",
                        "Ausnahmen unterdrücken nur Befunde",
                    )
                    .with_hints(
                        format!("remove `{k}`; the excepted rule carries it"),
                        format!("`{k}` entfernen; die Regel, zu der die Ausnahme gilt, trägt es"),
                    )
                    .de(format!(
                        "die Ausnahmeregel `{}` hat den Schlüssel `{k}`",
                        block.id.text
                    )),
                );
            }
        }
        Some(RuleKind::Exception {
            to: to_rule,
            to_span,
        })
    } else {
        if head.0 == FINDING || head.0 == EXCEPTION {
            f.diags.push(
                Diagnostic::error(
                    Code::BadAnnotation,
                    head.1,
                    format!(
                        "a rule deriving `{}` needs a {}",
                        head.0,
                        if head.0 == FINDING {
                            "`decision`"
                        } else {
                            "`exception_to`"
                        }
                    ),
                )
                .with_labels("derived here", "hier abgeleitet")
                .with_secondaries(
                    block.id.span,
                    "annotation without it",
                    if head.0 == FINDING {
                        "Annotation ohne `decision`"
                    } else {
                        "Annotation ohne `exception_to`"
                    },
                )
                .de(format!(
                    "eine Regel, die `{}` ableitet, braucht ein {}",
                    head.0,
                    if head.0 == FINDING {
                        "`decision`"
                    } else {
                        "`exception_to`"
                    }
                )),
            );
        }
        for k in ["severity", "message", "remedy", "about"] {
            if has(k) {
                f.diags.push(
                    Diagnostic::error(
                        Code::BadAnnotation,
                        block.id.span,
                        format!("`{k}` needs a `decision`"),
                    )
                    .with_label(format!(
                        "`.rule {}` has `{k}` but no `decision`",
                        block.id.text
                    ))
                    .with_hint("add `decision: block | warn | info`, or remove the key")
                    .de(format!("`{k}` braucht eine `decision`"))
                    .label_de(format!(
                        "`.rule {}` hat `{k}`, aber keine `decision`",
                        block.id.text
                    ))
                    .hint_de("`decision` mit `block`, `warn` oder `info` ergänzen oder den Schlüssel entfernen"),
                );
            }
        }
        Some(RuleKind::Reasoning)
    };
    if let (Some(a), Some(b)) = (from, to) {
        if b < a {
            f.diags.push(
                Diagnostic::error(
                    Code::BadAnnotation,
                    block.id.span,
                    format!(
                        "`.rule {}` ends ({b}) before it starts ({a})",
                        block.id.text
                    ),
                )
                .with_labels("empty validity", "leere Geltungsdauer")
                .de(format!(
                    "`.rule {}` endet ({b}) vor seinem Beginn ({a})",
                    block.id.text
                )),
            );
        }
    }
    if diags.len() > before {
        return None;
    }
    Some(RuleAnnotation {
        meta: RuleMeta {
            id: block.id.text.clone(),
            kind: kind?,
            norms,
            authorities,
            cites,
            message,
            remedy,
            contested,
            contested_de,
            from,
            to,
            rule: None,
            window: Vec::new(),
            span: block.id.span,
        },
        norm_spans,
        authority_spans,
    })
}

/// The `{Name}` placeholders of a message template.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

/// Index of the norm version a reference names: the pinned version, or the newest one.
pub fn resolve_ref(norms: &[NormVersion], r: &NormRef) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, n) in norms.iter().enumerate() {
        if n.id != r.id {
            continue;
        }
        match r.version {
            Some(d) if n.from == d => return Some(i),
            Some(_) => {}
            None => {
                if best.is_none_or(|b| norms[b].from < n.from) {
                    best = Some(i);
                }
            }
        }
    }
    best
}

type Interval = (Date, Date);

/// The versions reachable from `start` along `replaced_by` in either direction (the same
/// provision across renumberings), `start` included, in catalogue order.
pub fn chain_members(norms: &[NormVersion], start: usize) -> Vec<usize> {
    let next: Vec<Option<usize>> = norms
        .iter()
        .map(|n| n.replaced_by.as_ref().and_then(|r| resolve_ref(norms, r)))
        .collect();
    let mut seen = vec![false; norms.len()];
    let mut stack = vec![start];
    seen[start] = true;
    while let Some(i) = stack.pop() {
        let neighbours: Vec<usize> = next[i]
            .into_iter()
            .chain((0..norms.len()).filter(|&j| next[j] == Some(i)))
            .collect();
        for j in neighbours {
            if !seen[j] {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
    (0..norms.len()).filter(|&i| seen[i]).collect()
}

/// The maximal intervals on which the version `start`, or one reachable from it along
/// `replaced_by` in either direction, was in force.
pub fn chain_intervals(norms: &[NormVersion], start: usize) -> Vec<Interval> {
    let seen = chain_members(norms, start);
    let intervals = seen
        .into_iter()
        .map(|i| (norms[i].from, norms[i].to.unwrap_or(Date::MAX)))
        .collect();
    merge(intervals)
}

fn merge(mut v: Vec<Interval>) -> Vec<Interval> {
    v.sort();
    let mut out: Vec<Interval> = Vec::new();
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a.0 <= last.1 .0.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn intersect(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let lo = x.0.max(y.0);
            let hi = x.1.min(y.1);
            if lo <= hi {
                out.push((lo, hi));
            }
        }
    }
    merge(out)
}

/// The window of a rule: where all its (resolvable) norms were in force, within its own
/// `from`/`to`. Open ends are `None`.
pub fn window(norms: &[NormVersion], meta: &RuleMeta) -> Vec<(Date, Option<Date>)> {
    let mut w = vec![(meta.from.unwrap_or(Date::MIN), meta.to.unwrap_or(Date::MAX))];
    for r in &meta.norms {
        if let Some(i) = resolve_ref(norms, r) {
            w = intersect(&w, &chain_intervals(norms, i));
        }
    }
    w.into_iter()
        .map(|(a, b)| (a, (b != Date::MAX).then_some(b)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::FileId;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn nv(id: &str, from: &str, to: Option<&str>, replaced_by: Option<&str>) -> NormVersion {
        NormVersion {
            id: id.into(),
            from: d(from),
            to: to.map(d),
            de: String::new(),
            en: String::new(),
            title: String::new(),
            title_de: None,
            summary: None,
            summary_de: None,
            source: String::new(),
            replaced_by: replaced_by.and_then(parse_norm_ref),
            context_only: false,
            span: Span::new(FileId(0), 0..0),
        }
    }

    fn meta(norms: &[&str], from: Option<&str>) -> RuleMeta {
        RuleMeta {
            id: "r".into(),
            kind: RuleKind::Reasoning,
            norms: norms.iter().filter_map(|n| parse_norm_ref(n)).collect(),
            authorities: vec![],
            cites: vec![],
            message: None,
            remedy: None,
            contested: None,
            contested_de: None,
            from: from.map(d),
            to: None,
            rule: None,
            window: vec![],
            span: Span::new(FileId(0), 0..0),
        }
    }

    #[test]
    fn replacement_chains_count_in_both_directions() {
        let norms = vec![
            nv("uwg:7.2.2", "2022-05-28", None, None),
            nv(
                "uwg:7.2.3",
                "2008-12-30",
                Some("2022-05-27"),
                Some("uwg:7.2.2@2022-05-28"),
            ),
            nv("gdpr:6.1.a", "2018-05-25", None, None),
        ];
        // Citing the new number covers the old one too, as one merged interval.
        let w = window(&norms, &meta(&["uwg:7.2.2"], None));
        assert_eq!(w, vec![(d("2008-12-30"), None)]);
        // Citing the old, pinned version reaches forward.
        let w = window(&norms, &meta(&["uwg:7.2.3@2008-12-30"], None));
        assert_eq!(w, vec![(d("2008-12-30"), None)]);
        // Intersection with another norm and with the rule's own start.
        let w = window(
            &norms,
            &meta(&["uwg:7.2.3", "gdpr:6.1.a"], Some("2020-01-01")),
        );
        assert_eq!(w, vec![(d("2020-01-01"), None)]);
    }

    #[test]
    fn gaps_stay_gaps() {
        let norms = vec![
            nv(
                "x:1",
                "2000-01-01",
                Some("2000-12-31"),
                Some("x:1@2002-01-01"),
            ),
            nv("x:1", "2002-01-01", None, None),
        ];
        let w = window(&norms, &meta(&["x:1"], None));
        assert_eq!(
            w,
            vec![
                (d("2000-01-01"), Some(d("2000-12-31"))),
                (d("2002-01-01"), None)
            ]
        );
    }

    #[test]
    fn norm_ids_and_placeholders() {
        assert!(valid_norm_id("gdpr:6.1.a"));
        assert!(!valid_norm_id("GDPR:6"));
        assert!(!valid_norm_id("gdpr"));
        assert!(!valid_norm_id("gdpr:6..1"));
        assert_eq!(parse_norm_ref("uwg:7@2022-13-01"), None);
        assert_eq!(placeholders("a {S} b {D}"), vec!["S", "D"]);
    }
}
