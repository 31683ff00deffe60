//! The legal catalogue (norms, authorities, rule annotations) and how it is lowered to plain
//! Datalog, so that both evaluators see one program and explanations come out of ordinary
//! provenance.
//!
//! Lowering, for a finding rule `R` (annotated with a `decision`) written as
//! `finding(About, Subject, Date) :- Body.`:
//!
//! ```text
//! finding_raw("R", About, Subject, Date) :- Body, rule_window("R", F, T), F <= Date, Date <= T.
//! ```
//!
//! and for an exception rule `E` (annotated `exception_to: R`) written as
//! `exception(About, Subject, Date) :- Body.`:
//!
//! ```text
//! exception_raw("E", About, Subject, Date) :- Body, rule_window("E", F, T), F <= Date, Date <= T.
//! ```
//!
//! with the generated relations and rules
//!
//! ```text
//! rule_window(rule: symbol, from: date, to: date)     // facts: when all cited norms were in force
//! exception_of(exception: symbol, rule: symbol)        // facts: from the annotations
//! suppressed(rule, exception, about, subject, date) :-
//!     finding_raw(rule, about, subject, date), exception_of(exception, rule),
//!     exception_raw(exception, about, subject, date).
//! suppressed_any(rule, about, subject, date) :- suppressed(rule, _, about, subject, date).
//! finding(rule, about, subject, date) :-
//!     finding_raw(rule, about, subject, date), !suppressed_any(rule, about, subject, date).
//! ```
//!
//! A finding head with two arguments, `finding(About, Date)`, has the subject `""` (a finding
//! about an object rather than about people). The window of a rule is the set of maximal date
//! intervals on which every cited norm, followed along its replacement chain, had a version in
//! force, intersected with the rule's own `from`/`to` if it has them.

use crate::diag::Span;
use crate::ir::RuleIdx;
use crate::value::Date;

/// Index into [`Catalogue::rule_meta`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleMetaId(pub u32);

/// Index into [`Catalogue::norms`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NormIdx(pub u32);

#[derive(Debug, Default)]
pub struct Catalogue {
    /// Every norm version, sorted by (id, from).
    pub norms: Vec<NormVersion>,
    pub authorities: Vec<Authority>,
    pub rule_meta: Vec<RuleMeta>,
}

/// One version of a provision: an id plus the interval in which this text was in force.
/// Several versions of one id have disjoint intervals.
#[derive(Clone, Debug)]
pub struct NormVersion {
    /// Canonical id, `<law>:<unit>[.<unit>]*`, e.g. `uwg:7.2.2`.
    pub id: String,
    /// First day in force (for the GDPR: the day it applied, 2018-05-25).
    pub from: Date,
    /// Last day in force; `None` while in force.
    pub to: Option<Date>,
    /// Citation in German, e.g. `§ 7 Abs. 2 Nr. 2 UWG`.
    pub de: String,
    /// Citation in English, e.g. `Section 7(2) no. 2 UWG`.
    pub en: String,
    pub title: String,
    /// The title in German (`title_de`); `None` where the catalogue has not given it yet
    /// (`sphere kb check` warns).
    pub title_de: Option<String>,
    /// Our summary, in our own words.
    pub summary: Option<String>,
    /// The summary in German (`summary_de`).
    pub summary_de: Option<String>,
    /// Official source (EUR-Lex, gesetze-im-internet.de).
    pub source: String,
    /// The version that replaced this one (`id@from`), if any.
    pub replaced_by: Option<NormRef>,
    /// Catalogued for reference and cited by no rule on purpose.
    pub context_only: bool,
    pub span: Span,
}

impl NormVersion {
    pub fn in_force(&self, d: Date) -> bool {
        self.from <= d && self.to.is_none_or(|t| d <= t)
    }

    /// `id@from`, the version's unique key.
    pub fn key(&self) -> String {
        format!("{}@{}", self.id, self.from)
    }
}

/// A reference to a norm as written in an annotation: an id, optionally pinned to the version
/// starting on a date (`uwg:7.2.2@2022-05-28`). Unpinned means the newest version.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NormRef {
    pub id: String,
    pub version: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorityKind {
    /// A court decision.
    Ruling,
    /// Supervisory guidance (EDPB, DSK, BNetzA) or similar.
    Guidance,
    /// A company guideline from the model.
    Guideline,
}

#[derive(Clone, Debug)]
pub struct Authority {
    /// Declared name, e.g. `bgh_i_zr_164_09`.
    pub id: String,
    pub kind: AuthorityKind,
    /// Court (ruling) or issuer (guidance).
    pub issuer: String,
    /// The issuer as German readers name it (`EuGH` for `CJEU`), where it differs.
    pub issuer_de: Option<String>,
    /// Case number for rulings, e.g. `I ZR 164/09`.
    pub case: Option<String>,
    pub date: Date,
    pub title: Option<String>,
    /// The title in German (`title_de`).
    pub title_de: Option<String>,
    /// The holding or key point, in our own words.
    pub holding: String,
    pub url: String,
    pub span: Span,
}

impl Authority {
    /// Human citation: `BGH, 10.02.2011, I ZR 164/09` or `DSK, Orientierungshilfe ..., 2022-02-01`.
    pub fn citation(&self) -> String {
        match (&self.case, &self.title) {
            (Some(case), _) => format!("{} {} ({})", self.issuer, case, self.date),
            (None, Some(title)) => format!("{}, {} ({})", self.issuer, title, self.date),
            (None, None) => format!("{} ({})", self.issuer, self.date),
        }
    }

    /// The citation in German: the German issuer and title where the catalogue gives them.
    pub fn citation_de(&self) -> String {
        let issuer = self.issuer_de.as_deref().unwrap_or(&self.issuer);
        let title = self.title_de.as_ref().or(self.title.as_ref());
        match (&self.case, title) {
            (Some(case), _) => format!("{issuer} {case} ({})", self.date),
            (None, Some(title)) => format!("{issuer}, {title} ({})", self.date),
            (None, None) => format!("{issuer} ({})", self.date),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// What a finding asks for. `block` on a done activity is reported as `breach` by the
/// findings layer; the annotation only says how serious the rule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decision {
    Block,
    Warn,
    Info,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Block => "block",
            Decision::Warn => "warn",
            Decision::Info => "info",
        }
    }
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum About {
    Activity,
    Object,
}

#[derive(Clone, Debug)]
pub enum RuleKind {
    /// Has a `decision`: derives findings.
    Finding {
        severity: Severity,
        decision: Decision,
        about: About,
    },
    /// Has `exception_to`: suppresses the findings of another rule.
    Exception { to: String, to_span: Span },
    /// Only documents its reasoning (norms, authorities) for explanations.
    Reasoning,
}

/// Text in both output languages.
#[derive(Clone, Debug, Default)]
pub struct Text {
    pub en: String,
    pub de: String,
}

#[derive(Clone, Debug)]
pub struct RuleMeta {
    pub id: String,
    pub kind: RuleKind,
    pub norms: Vec<NormRef>,
    pub authorities: Vec<String>,
    /// Citations of the model's own rules, as templates over rule variables:
    /// `guideline:{G}` (a company guideline), `terms:{S}` (a platform's terms of use). They
    /// name no catalogued norm and do not restrict when the rule applies.
    pub cites: Vec<String>,
    /// With `{Var}` placeholders naming variables of the rule.
    pub message: Option<Text>,
    pub remedy: Option<Text>,
    /// `Some(reason)` where the law is contested; the rule takes the cautious reading.
    pub contested: Option<String>,
    /// The contested reason in German (`contested_de`).
    pub contested_de: Option<String>,
    /// The rule's own validity, intersected with its norms' (for guidelines, rulings).
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// The rule this annotation belongs to (set by the resolver).
    pub rule: Option<RuleIdx>,
    /// Maximal intervals on which the rule applies (computed by the resolver).
    pub window: Vec<(Date, Option<Date>)>,
    pub span: Span,
}
