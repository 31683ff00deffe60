//! The findings layer: the `finding` relation of an evaluation becomes typed findings, as
//! `docs/findings.md` describes them: the norm versions in force on the act's date (following
//! replacement chains), the decision (`block` on a done activity is a `breach`), messages and
//! remedies filled from the finding rule's bindings in both languages, model citations
//! (`guideline:`, `terms:`), and ids that are stable across runs, engines and machines.
//!
//! Findings an exception suppressed come from the same pass, each with the exceptions that
//! applied. Derivation trees are not kept: [`crate::Outcome::explain`] builds one when asked.
//!
//! Invariant: findings are sorted by (activity or object, rule, id); the JSON renderer writes
//! them in this order.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sphere_engine::eval::Evaluation;
use sphere_engine::ir::legal::{self, RuleKind};
use sphere_engine::ir::{Program, RelId};
use sphere_engine::{Date, Interner, Value};

use crate::kb::version_at;
pub use crate::texts::{Lang, Texts};

/// The error for a finding id the model does not have, in both languages.
pub fn no_finding(id: &str) -> crate::Error {
    crate::Error::texts(
        crate::ErrorKind::Usage,
        Texts::new(
            format!("no finding `{id}` in this model"),
            format!("kein Befund `{id}` in diesem Modell"),
        ),
    )
    .with_hint_texts(Texts::new(
        "`sphere check` with the same model files lists the findings and their ids",
        "`sphere check` mit denselben Modelldateien zeigt die Befunde und ihre Kennungen",
    ))
}

/// Implements `as_str`, `Display` and `FromStr` for an enum of fixed words, the same words
/// serde uses.
macro_rules! words {
    ($name:ident { $($var:ident = $s:literal),* $(,)? }) => {
        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$var),*];

            /// The word of the JSON output.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$var => $s),*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($name::$var),)*
                    _ => Err(format!(
                        "`{s}` is not one of: {}",
                        [$($s),*].join(", ")
                    )),
                }
            }
        }
    };
}

/// What a finding asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// A planned activity must not go ahead.
    Block,
    /// A done activity broke the law (a `block` rule on an act already done).
    Breach,
    /// Should be looked at.
    Warn,
    /// For information.
    Info,
}

words!(Decision { Block = "block", Breach = "breach", Warn = "warn", Info = "info" });

impl Decision {
    /// `block` and `breach` need action (exit code 1 on the command line).
    pub fn needs_action(self) -> bool {
        matches!(self, Decision::Block | Decision::Breach)
    }
}

/// How serious the rule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    High,
    Medium,
    Low,
}

words!(Severity { High = "high", Medium = "medium", Low = "low" });

impl From<legal::Severity> for Severity {
    fn from(s: legal::Severity) -> Severity {
        match s {
            legal::Severity::High => Severity::High,
            legal::Severity::Medium => Severity::Medium,
            legal::Severity::Low => Severity::Low,
        }
    }
}

/// What a finding is about: an activity of the model, or another object (a system, a
/// source, an agreement, ...).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum About {
    Activity(String),
    Object(String),
}

impl About {
    /// The model id.
    pub fn id(&self) -> &str {
        match self {
            About::Activity(id) | About::Object(id) => id,
        }
    }

    pub fn activity(&self) -> Option<&str> {
        match self {
            About::Activity(id) => Some(id),
            About::Object(_) => None,
        }
    }

    pub fn object(&self) -> Option<&str> {
        match self {
            About::Object(id) => Some(id),
            About::Activity(_) => None,
        }
    }
}

/// The version of a norm in force on the act's date.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NormVersion {
    /// First day in force.
    pub from: Date,
    /// Last day in force; `None` while in force.
    pub to: Option<Date>,
    pub title: Texts,
    /// Official source (EUR-Lex, gesetze-im-internet.de).
    pub source: String,
}

/// A norm a finding cites.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NormCite {
    /// `uwg:7.2.1`; for the model's own rules `guideline:<id>` or `terms:<source>`.
    pub id: String,
    /// The catalogued version in force on the act's date; `None` for the model's own rules,
    /// which have no catalogued versions.
    pub version: Option<NormVersion>,
    /// `§ 7 Abs. 2 Nr. 1 UWG` / `Section 7(2) no. 1 UWG`.
    pub citation: Texts,
}

/// What kind of authority a finding rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorityKind {
    /// A court decision.
    Ruling,
    /// Supervisory guidance.
    Guidance,
    /// A company guideline.
    Guideline,
}

words!(AuthorityKind { Ruling = "ruling", Guidance = "guidance", Guideline = "guideline" });

/// A ruling, guidance or guideline a finding rests on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AuthorityCite {
    pub id: String,
    pub kind: AuthorityKind,
    /// `BGH I ZR 164/09 (2011-02-10)`; `EuGH C-673/17 (2019-10-01)` in German.
    pub citation: Texts,
    /// Court or issuer.
    pub issuer: String,
    /// Case number of a ruling.
    pub case: Option<String>,
    pub date: Date,
    pub title: Option<Texts>,
    pub url: String,
}

/// A finding: a rule that fired on an activity or object, with everything a reader needs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Finding {
    /// Stable: `F-` and a digest of rule, about, subjects and cited norm versions.
    pub id: String,
    pub rule: String,
    pub decision: Decision,
    pub severity: Severity,
    pub about: About,
    /// The data subjects concerned (none for a finding about an object).
    pub subjects: Vec<String>,
    /// The date of the act (or the evaluation date).
    pub date: Date,
    /// Catalogued norms first (in the rule's order), then the model's own rules.
    pub norms: Vec<NormCite>,
    pub authorities: Vec<AuthorityCite>,
    /// Why the law is contested here, where it is; the rule takes the cautious reading.
    pub contested: Option<Texts>,
    pub message: Texts,
    pub remedy: Texts,
}

impl Finding {
    /// Whether an authority the finding cites is dated after the act: it cannot have guided
    /// the act (a 2021 guideline for a 2020 act), and a reader must see that it is cited for
    /// the law it states, not as what the actor could have known.
    pub fn is_later(&self, a: &AuthorityCite) -> bool {
        a.date > self.date
    }

    /// The model id the finding is about.
    pub fn about_id(&self) -> &str {
        self.about.id()
    }

    pub fn needs_action(&self) -> bool {
        self.decision.needs_action()
    }

    /// The citations in one language, in the order of [`Finding::norms`].
    pub fn citations(&self, lang: Lang) -> Vec<&str> {
        self.norms.iter().map(|n| n.citation.get(lang)).collect()
    }
}

/// A finding an exception suppressed, and the exception rules that did (sorted).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Suppressed {
    pub finding: Finding,
    pub exceptions: Vec<String>,
}

/// Where a finding's tuple is, so that its derivation can be rebuilt when asked.
#[derive(Clone, Debug)]
pub(crate) struct Handle {
    pub rel: RelId,
    pub values: Vec<Value>,
}

/// The findings of an evaluation (which must have recorded provenance, so messages can name
/// the rule's variables) and the suppressed ones, both sorted.
pub(crate) struct Collected {
    pub listed: Vec<(Finding, Handle)>,
    pub suppressed: Vec<(Suppressed, Handle)>,
}

pub(crate) fn collect(ev: &Evaluation<'_>) -> Collected {
    let program = ev.program();
    let status = activity_status(ev);
    // Findings are built in the order the evaluation derived them, not sorted first: that
    // order follows the activities, whose facts lie together in each relation, so that the
    // explanations' lookups find their rows in the cache more often (at a million findings).
    // Then sorted by key, ties (one finding on several dates) in the order of their tuples.
    let order = |a: &(Finding, Handle), b: &(Finding, Handle)| {
        key(&a.0)
            .cmp(&key(&b.0))
            .then_with(|| ev.cmp_tuples(&a.1.values, &b.1.values))
    };
    let mut listed = Vec::new();
    if let Some(rel) = finding_relation(program, "finding") {
        for (_, t) in ev.tuples_unsorted(rel) {
            if let Some(f) = build(ev, &status, rel, &t) {
                listed.push((f, Handle { rel, values: t }));
            }
        }
    }
    listed.sort_by(order);
    // Derived but not listed: suppressed by an exception. A tuple whose id a listed finding
    // has (the same finding on another date) is not shown twice.
    let ids: std::collections::BTreeSet<&str> = listed.iter().map(|f| f.0.id.as_str()).collect();
    let mut suppressed = Vec::new();
    if let (Some(raw), Some(fin)) = (
        finding_relation(program, "finding_raw"),
        program.relation_by_name("finding"),
    ) {
        for (_, t) in ev.tuples_unsorted(raw) {
            if ev.contains(fin, &t) {
                continue;
            }
            if let Some(f) = build(ev, &status, raw, &t) {
                if ids.contains(f.id.as_str()) {
                    continue;
                }
                let exceptions = exceptions(ev, &t);
                suppressed.push((
                    Suppressed {
                        finding: f,
                        exceptions,
                    },
                    Handle {
                        rel: raw,
                        values: t,
                    },
                ));
            }
        }
    }
    suppressed.sort_by(|a, b| {
        key(&a.0.finding)
            .cmp(&key(&b.0.finding))
            .then_with(|| ev.cmp_tuples(&a.1.values, &b.1.values))
    });
    Collected { listed, suppressed }
}

fn key(f: &Finding) -> (&str, &str, &str) {
    (f.about_id(), &f.rule, &f.id)
}

/// A relation shaped like `finding(rule, about, subject, date)`.
fn finding_relation(program: &Program, name: &str) -> Option<RelId> {
    let rel = program.relation_by_name(name)?;
    (program.relation(rel).arity() == 4).then_some(rel)
}

/// The exception rules in `suppressed(rule, exception, about, subject, date)` for a
/// `finding_raw` tuple, sorted.
fn exceptions(ev: &Evaluation<'_>, t: &[Value]) -> Vec<String> {
    let Some(rel) = ev.program().relation_by_name("suppressed") else {
        return Vec::new();
    };
    if ev.program().relation(rel).arity() != 5 || t.len() != 4 {
        return Vec::new();
    }
    let pattern = [Some(t[0]), None, Some(t[1]), Some(t[2]), Some(t[3])];
    let mut out: Vec<String> = ev
        .select(rel, &pattern)
        .iter()
        .map(|s| sphere_engine::value::display(s[1], ev.interner()))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn build(ev: &Evaluation<'_>, status: &Status, rel: RelId, t: &[Value]) -> Option<Finding> {
    let program = ev.program();
    let interner = ev.interner();
    let (Value::Sym(rule), Value::Sym(about_sym), Value::Sym(subject), Value::Date(date)) =
        (t[0], t[1], t[2], t[3])
    else {
        return None;
    };
    let rule_id = interner.resolve(rule).to_string();
    let meta = program.legal.rule_meta.iter().find(|m| m.id == rule_id)?;
    let RuleKind::Finding {
        severity,
        decision,
        about: about_kind,
    } = &meta.kind
    else {
        return None;
    };
    let about = interner.resolve(about_sym).to_string();
    let subject = interner.resolve(subject).to_string();
    let subjects: Vec<String> = if subject.is_empty() {
        Vec::new()
    } else {
        vec![subject]
    };

    // The bindings of the annotated rule fill the messages. They come from the derivation
    // (the same instance an explanation shows), which is not kept.
    let bindings = ev
        .first_bindings(rel, t, |r| is_finding_rule(program, r))
        .unwrap_or_default();

    let mut norms: Vec<NormCite> = meta
        .norms
        .iter()
        .filter_map(|r| version_at(&program.legal.norms, r, date))
        .map(|n| NormCite {
            id: n.id.clone(),
            version: Some(NormVersion {
                from: n.from,
                to: n.to,
                title: Texts {
                    en: n.title.clone(),
                    de: n.title_de.clone().unwrap_or_else(|| n.title.clone()),
                },
                source: n.source.clone(),
            }),
            citation: Texts {
                en: n.en.clone(),
                de: n.de.clone(),
            },
        })
        .collect();
    for template in &meta.cites {
        let id = fill(template, &bindings, interner);
        norms.push(NormCite {
            citation: model_citation(&id),
            id,
            version: None,
        });
    }
    let authorities = meta
        .authorities
        .iter()
        .filter_map(|a| program.legal.authorities.iter().find(|x| &x.id == a))
        .map(authority_cite)
        .collect();

    let status = status.get(&about_sym).map(|&(s, _)| interner.resolve(s));
    let is_activity = *about_kind == legal::About::Activity && status.is_some();
    let done = status == Some("done");
    let decision = match decision {
        legal::Decision::Block if is_activity && done => Decision::Breach,
        legal::Decision::Block => Decision::Block,
        legal::Decision::Warn => Decision::Warn,
        legal::Decision::Info => Decision::Info,
    };
    let texts = |t: Option<&legal::Text>| Texts {
        en: fill(t.map_or("", |t| &t.en), &bindings, interner),
        de: fill(t.map_or("", |t| &t.de), &bindings, interner),
    };
    let message = texts(meta.message.as_ref());
    let remedy = texts(meta.remedy.as_ref());
    let id = finding_id(&rule_id, &about, &subjects, &norms);
    Some(Finding {
        id,
        rule: rule_id,
        decision,
        severity: (*severity).into(),
        about: if is_activity {
            About::Activity(about)
        } else {
            About::Object(about)
        },
        subjects,
        date,
        norms,
        authorities,
        contested: meta.contested.as_ref().map(|en| Texts {
            en: en.clone(),
            de: meta.contested_de.clone().unwrap_or_else(|| en.clone()),
        }),
        message,
        remedy,
    })
}

pub(crate) fn authority_cite(a: &legal::Authority) -> AuthorityCite {
    AuthorityCite {
        id: a.id.clone(),
        kind: match a.kind {
            legal::AuthorityKind::Ruling => AuthorityKind::Ruling,
            legal::AuthorityKind::Guidance => AuthorityKind::Guidance,
            legal::AuthorityKind::Guideline => AuthorityKind::Guideline,
        },
        citation: Texts {
            en: a.citation(),
            de: a.citation_de(),
        },
        issuer: a.issuer.clone(),
        case: a.case.clone(),
        date: a.date,
        title: a.title.as_ref().map(|en| Texts {
            en: en.clone(),
            de: a.title_de.clone().unwrap_or_else(|| en.clone()),
        }),
        url: a.url.clone(),
    }
}

/// Status of each activity (`done` / `planned`), from the input relation `activity`.
///
/// By symbol, with the tuple it comes from (its id, then its status): of two tuples with one
/// id, the later in [`Evaluation::tuples`]' order (as when they were read in that order).
fn activity_status(ev: &Evaluation<'_>) -> Status {
    let program = ev.program();
    let mut out = Status::default();
    let Some(rel) = program.relation_by_name("activity") else {
        return out;
    };
    let cols = &program.relation(rel).columns;
    let id_col = cols.iter().position(|c| c.name == "id").unwrap_or(0);
    let Some(status_col) = cols.iter().position(|c| c.name == "status") else {
        return out;
    };
    for (row, t) in ev.tuples_unsorted(rel) {
        if let (Value::Sym(id), Value::Sym(st)) = (t[id_col], t[status_col]) {
            match out.entry(id) {
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert((st, row));
                }
                std::collections::hash_map::Entry::Occupied(mut e) => {
                    let before = ev.tuple_at(rel, e.get().1);
                    if ev.cmp_tuples(&t, &before) == std::cmp::Ordering::Greater {
                        e.insert((st, row));
                    }
                }
            }
        }
    }
    out
}

/// An activity's symbol -> its status and the row of the tuple that says so.
type Status = rustc_hash::FxHashMap<sphere_engine::Sym, (sphere_engine::Sym, usize)>;

/// Whether `rule` carries a finding annotation.
fn is_finding_rule(program: &Program, rule: sphere_engine::ir::RuleIdx) -> bool {
    program.rule(rule).meta.is_some_and(|m| {
        matches!(
            program.legal.rule_meta[m.0 as usize].kind,
            RuleKind::Finding { .. }
        )
    })
}

/// The citation of one of the model's own rules: a company guideline or a platform's terms of
/// use.
fn model_citation(id: &str) -> Texts {
    match id.split_once(':') {
        Some(("guideline", g)) => Texts {
            en: format!("Company guideline {g}"),
            de: format!("Unternehmensrichtlinie {g}"),
        },
        Some(("terms", s)) => Texts {
            en: format!("Terms of use of {s}"),
            de: format!("Nutzungsbedingungen von {s}"),
        },
        _ => Texts {
            en: id.to_string(),
            de: id.to_string(),
        },
    }
}

/// Replaces `{Var}` placeholders with the bound values (symbols unquoted).
pub fn fill(template: &str, bindings: &[(String, Value)], interner: &Interner) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match bindings.iter().find(|(n, _)| n == name) {
                    Some((_, v)) => out.push_str(&sphere_engine::value::display(*v, interner)),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A finding's decision as the header of the text output shows it: `BREACH` / `VERSTOSS`.
pub fn decision_word(d: Decision, lang: Lang) -> String {
    match lang {
        Lang::En => d.as_str().to_uppercase(),
        Lang::De => match d {
            Decision::Breach => "VERSTOSS",
            Decision::Block => "SPERRE",
            Decision::Warn => "WARNUNG",
            Decision::Info => "HINWEIS",
        }
        .to_string(),
    }
}

/// A finding's severity in words: `high` / `hoch`.
pub fn severity_word(s: Severity, lang: Lang) -> String {
    match lang {
        Lang::En => s.to_string(),
        Lang::De => match s {
            Severity::High => "hoch",
            Severity::Medium => "mittel",
            Severity::Low => "niedrig",
        }
        .to_string(),
    }
}

/// A decision as a noun in running text and in the report's groups: `breach` / `Verstoß`.
pub fn decision_noun(d: Decision, lang: Lang) -> String {
    match lang {
        Lang::En => d.as_str().to_string(),
        Lang::De => match d {
            Decision::Breach => "Verstoß",
            Decision::Block => "Sperre",
            Decision::Warn => "Warnung",
            Decision::Info => "Hinweis",
        }
        .to_string(),
    }
}

/// Stable id: FNV-1a (64 bit) of rule id, about, sorted subjects and norm versions.
pub fn finding_id(rule: &str, about: &str, subjects: &[String], norms: &[NormCite]) -> String {
    let mut subjects = subjects.to_vec();
    subjects.sort();
    let mut key = format!("{rule}\u{0}{about}\u{0}{}\u{0}", subjects.join(","));
    for n in norms {
        key.push_str(&n.id);
        key.push('@');
        if let Some(v) = &n.version {
            key.push_str(&v.from.to_string());
        }
        key.push(';');
    }
    format!(
        "F-{}",
        crate::digest::Fnv::default().write(key.as_bytes()).hex()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cite(id: &str, from: Option<&str>) -> NormCite {
        NormCite {
            id: id.into(),
            version: from.map(|f| NormVersion {
                from: Date::parse(f).expect("date"),
                to: None,
                title: Texts::default(),
                source: String::new(),
            }),
            citation: Texts::default(),
        }
    }

    #[test]
    fn ids_are_stable_and_sensitive_to_every_part() {
        let n = vec![cite("uwg:7.2.1", Some("2022-05-28"))];
        let a = finding_id("r", "act-1", &["s2".into(), "s1".into()], &n);
        assert_eq!(a, finding_id("r", "act-1", &["s1".into(), "s2".into()], &n));
        assert_ne!(a, finding_id("r", "act-2", &["s1".into(), "s2".into()], &n));
        assert_ne!(
            a,
            finding_id("r2", "act-1", &["s1".into(), "s2".into()], &n)
        );
        let old = vec![cite("uwg:7.2.1", Some("2008-12-30"))];
        assert_ne!(
            a,
            finding_id("r", "act-1", &["s1".into(), "s2".into()], &old)
        );
        assert_eq!(a, "F-".to_string() + &a[2..]);
        assert_eq!(a.len(), 18);
        // A model citation has no version: `id@;`.
        let g = vec![cite("guideline:g1", None)];
        assert_ne!(a, finding_id("r", "act-1", &[], &g));
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        let mut i = Interner::new();
        let s = i.intern("subj-karl");
        let b = vec![
            ("S".to_string(), Value::Sym(s)),
            ("N".to_string(), Value::Num(3)),
        ];
        assert_eq!(
            fill("call {S} ({N}x) {X} {", &b, &i),
            "call subj-karl (3x) {X} {"
        );
    }

    #[test]
    fn typed_words_round_trip_to_the_json_strings() {
        for d in Decision::ALL {
            let json = serde_json::to_string(d).expect("serialises");
            assert_eq!(json, format!("\"{}\"", d.as_str()));
            assert_eq!(serde_json::from_str::<Decision>(&json).ok(), Some(*d));
            assert_eq!(d.as_str().parse::<Decision>(), Ok(*d));
        }
        let words: Vec<&str> = Decision::ALL.iter().map(|d| d.as_str()).collect();
        assert_eq!(words, ["block", "breach", "warn", "info"]);
        for s in Severity::ALL {
            let json = serde_json::to_string(s).expect("serialises");
            assert_eq!(serde_json::from_str::<Severity>(&json).ok(), Some(*s));
            assert_eq!(s.to_string().parse::<Severity>(), Ok(*s));
        }
        let words: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(words, ["high", "medium", "low"]);
        assert!("stop".parse::<Decision>().is_err());
        assert_eq!(
            serde_json::to_string(&About::Activity("a1".into())).expect("serialises"),
            r#"{"activity":"a1"}"#
        );
        assert_eq!(
            serde_json::to_string(&Lang::De).expect("serialises"),
            "\"de\""
        );
    }
}
