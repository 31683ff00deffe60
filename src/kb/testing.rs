//! Rule tests: the `*.test.json` files beside the rules, how they are read (strictly, with
//! every problem named by file and JSON path), run (one evaluation per test, by the
//! interpreter on the knowledge base from disk) and judged, and the coverage they give
//! (every finding and exception rule shown firing and not firing, every norm cited).
//!
//! A test file:
//!
//! ```json
//! { "tests": [ {
//!     "name": "consumer phone call without consent is blocked",
//!     "model": ["facts/s04_phone_call.json"],
//!     "as_of": "2025-06-20",
//!     "assume": ["consent_channel(\"cns-1\", \"phone\")"],
//!     "expect":     [ { "rule": "uwg_phone_without_consent", "activity": "act-s4-call",
//!                       "norms": ["uwg:7.2.1"], "decision": "block" } ],
//!     "expect_not": [ { "rule": "uwg_phone_without_consent", "activity": "act-s4-call-lindner" } ]
//! } ] }
//! ```
//!
//! An expectation naming an exception rule is about suppressions: it holds where that
//! exception suppressed a finding (of the rule it excepts) with the given activity, object
//! and subject; its `norms` are the exception's own.
//!
//! Invariant: nothing here prints; [`crate::render::kb`] renders the results.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use sphere_engine::ir::legal::{Catalogue, RuleKind, RuleMeta};
use sphere_engine::ir::lower::resolve_ref;
use sphere_engine::{Date, Value};

use crate::did_you_mean;
use crate::kb::{chain, norm_prefix, version_at, KnowledgeBase};
use crate::{Assumption, EvalOptions, Model, Outcome as Evaluated};

/// A problem with a test file: where (file and JSON path, or line:col for bad JSON), what,
/// and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// `$.tests[0].expect[1].rule`, or `line 3, column 7` for JSON syntax errors.
    pub place: String,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    fn new(file: &str, place: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            place: place.into(),
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }
}

/// One `*.test.json` file.
#[derive(Clone, Debug)]
pub struct TestFile {
    /// As shown to the user (`knowledge/uwg/phone.test.json`).
    pub path: String,
    pub tests: Vec<Case>,
}

/// One test: a model, optional date and assumptions, and the expectations.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    /// Model files, relative to the repository root.
    pub model: Vec<String>,
    pub as_of: Option<Date>,
    pub assume: Vec<String>,
    pub expect: Vec<Expect>,
    pub expect_not: Vec<Expect>,
    /// `$.tests[i]`.
    pub place: String,
}

/// What a finding (or, for an exception rule, a suppression) must look like. Every field but
/// `rule` is optional; `None` and empty `norms` match anything.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub rule: String,
    pub activity: Option<String>,
    pub object: Option<String>,
    pub subject: Option<String>,
    /// Norm ids, each matched by prefix on unit boundaries (`gdpr:6` matches `gdpr:6.1.f`),
    /// optionally pinned to a version with `@from` (`uwg:7.2.2@2008-12-30`).
    pub norms: Vec<String>,
    pub decision: Option<String>,
    /// `$.tests[i].expect[j]`.
    pub place: String,
}

const CASE_KEYS: &[&str] = &["name", "model", "as_of", "assume", "expect", "expect_not"];
const EXPECT_KEYS: &[&str] = &["rule", "activity", "object", "subject", "norms", "decision"];
const DECISIONS: &[&str] = &["block", "breach", "warn", "info"];

/// The `*.test.json` files below `dir`, sorted.
pub fn discover(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    crate::files::files_below(dir, &|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".test.json"))
    })
}

/// Reads and parses the test files; every problem of every file is returned at once.
pub fn load(paths: &[PathBuf]) -> Result<Vec<TestFile>, Vec<Problem>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        let shown = p.display().to_string();
        match std::fs::read_to_string(p) {
            Ok(text) => match parse(&shown, &text) {
                Ok(f) => files.push(f),
                Err(mut e) => problems.append(&mut e),
            },
            Err(e) => problems.push(
                Problem::new(&shown, "$", format!("cannot read the file: {e}"))
                    .hint("check that the file exists and is readable"),
            ),
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

/// Parses one test file. Unknown keys, wrong types and missing required keys are errors.
pub fn parse(file: &str, text: &str) -> Result<TestFile, Vec<Problem>> {
    let doc: Json = serde_json::from_str(text).map_err(|e| {
        vec![Problem::new(
            file,
            format!("line {}, column {}", e.line(), e.column()),
            format!("invalid JSON: {e}"),
        )
        .hint("a test file is a JSON object `{ \"tests\": [ ... ] }`")]
    })?;
    let mut p = Vec::new();
    let mut tests = Vec::new();
    match &doc {
        Json::Object(top) => {
            for k in top.keys() {
                if k != "tests" {
                    p.push(unknown_key(file, "$", k, &["tests"]));
                }
            }
            match top.get("tests") {
                Some(Json::Array(items)) => {
                    let mut names = BTreeMap::<String, String>::new();
                    for (i, item) in items.iter().enumerate() {
                        let place = format!("$.tests[{i}]");
                        if let Some(c) = parse_case(file, &place, item, &mut p) {
                            if let Some(first) = names.insert(c.name.clone(), place.clone()) {
                                p.push(
                                    Problem::new(
                                        file,
                                        format!("{place}.name"),
                                        format!("test name `{}` is used twice", c.name),
                                    )
                                    .hint(format!(
                                        "first used at {first}; give every test its own name"
                                    )),
                                );
                            }
                            tests.push(c);
                        }
                    }
                }
                Some(_) => p.push(
                    Problem::new(file, "$.tests", "`tests` must be an array of tests")
                        .hint("write `\"tests\": [ { \"name\": ..., \"model\": [...], \"expect\": [...] } ]`"),
                ),
                None => p.push(
                    Problem::new(file, "$", "missing key `tests`")
                        .hint("a test file is a JSON object `{ \"tests\": [ ... ] }`"),
                ),
            }
        }
        _ => p.push(
            Problem::new(file, "$", "a test file must be a JSON object")
                .hint("a test file is a JSON object `{ \"tests\": [ ... ] }`"),
        ),
    }
    if p.is_empty() {
        Ok(TestFile {
            path: file.to_string(),
            tests,
        })
    } else {
        Err(p)
    }
}

fn unknown_key(file: &str, place: &str, key: &str, known: &[&str]) -> Problem {
    let hint = match did_you_mean(key, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? known keys: {}", known.join(", ")),
        None => format!("known keys: {}", known.join(", ")),
    };
    Problem::new(
        file,
        format!("{place}.{key}"),
        format!("unknown key `{key}`"),
    )
    .hint(hint)
}

fn string(
    file: &str,
    place: &str,
    v: Option<&Json>,
    required: bool,
    p: &mut Vec<Problem>,
) -> Option<String> {
    match v {
        Some(Json::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Json::String(_)) => {
            p.push(Problem::new(file, place, "must not be empty"));
            None
        }
        Some(other) => {
            p.push(
                Problem::new(
                    file,
                    place,
                    format!("expected a string, found {}", kind(other)),
                )
                .hint("write the value in double quotes"),
            );
            None
        }
        None if required => {
            let (parent, key) = place.rsplit_once('.').unwrap_or(("$", place));
            p.push(Problem::new(file, parent, format!("missing key `{key}`")));
            None
        }
        None => None,
    }
}

fn strings(file: &str, place: &str, v: Option<&Json>, p: &mut Vec<Problem>) -> Vec<String> {
    match v {
        None => Vec::new(),
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, x)| string(file, &format!("{place}[{i}]"), Some(x), true, p))
            .collect(),
        Some(other) => {
            p.push(
                Problem::new(
                    file,
                    place,
                    format!("expected an array of strings, found {}", kind(other)),
                )
                .hint("write a list, e.g. `[\"a\", \"b\"]`"),
            );
            Vec::new()
        }
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn parse_case(file: &str, place: &str, v: &Json, p: &mut Vec<Problem>) -> Option<Case> {
    let Json::Object(o) = v else {
        p.push(Problem::new(
            file,
            place,
            format!("a test must be an object, found {}", kind(v)),
        ));
        return None;
    };
    for k in o.keys() {
        if !CASE_KEYS.contains(&k.as_str()) {
            p.push(unknown_key(file, place, k, CASE_KEYS));
        }
    }
    let before = p.len();
    let name = string(file, &format!("{place}.name"), o.get("name"), true, p);
    let before_model = p.len();
    let model = strings(file, &format!("{place}.model"), o.get("model"), p);
    if o.contains_key("model") && model.is_empty() && p.len() == before_model {
        p.push(
            Problem::new(file, format!("{place}.model"), "no model file given")
                .hint("name at least one model, e.g. `[\"facts/s04_phone_call.json\"]`"),
        );
    } else if !o.contains_key("model") {
        p.push(
            Problem::new(file, place, "missing key `model`")
                .hint("name the model files, relative to the repository root"),
        );
    }
    let as_of = string(file, &format!("{place}.as_of"), o.get("as_of"), false, p).and_then(|s| {
        let d = Date::parse(&s);
        if d.is_none() {
            p.push(
                Problem::new(
                    file,
                    format!("{place}.as_of"),
                    format!("`{s}` is not a date"),
                )
                .hint("write the date as YYYY-MM-DD"),
            );
        }
        d
    });
    let assume = strings(file, &format!("{place}.assume"), o.get("assume"), p);
    let expect = expectations(file, &format!("{place}.expect"), o.get("expect"), p);
    let expect_not = expectations(file, &format!("{place}.expect_not"), o.get("expect_not"), p);
    if expect.is_empty() && expect_not.is_empty() && p.len() == before {
        p.push(Problem::new(file, place, "the test expects nothing").hint(
            "add `expect` (findings that must appear) or `expect_not` (findings that must not)",
        ));
    }
    Some(Case {
        name: name?,
        model,
        as_of,
        assume,
        expect,
        expect_not,
        place: place.to_string(),
    })
}

fn expectations(file: &str, place: &str, v: Option<&Json>, p: &mut Vec<Problem>) -> Vec<Expect> {
    let items = match v {
        None => return Vec::new(),
        Some(Json::Array(items)) => items,
        Some(other) => {
            p.push(
                Problem::new(
                    file,
                    place,
                    format!("expected an array of expectations, found {}", kind(other)),
                )
                .hint("write `[ { \"rule\": \"...\", \"activity\": \"...\" } ]`"),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let place = format!("{place}[{i}]");
        let Json::Object(o) = item else {
            p.push(Problem::new(
                file,
                &place,
                format!("an expectation must be an object, found {}", kind(item)),
            ));
            continue;
        };
        for k in o.keys() {
            if !EXPECT_KEYS.contains(&k.as_str()) {
                p.push(unknown_key(file, &place, k, EXPECT_KEYS));
            }
        }
        let rule = string(file, &format!("{place}.rule"), o.get("rule"), true, p);
        let decision = string(
            file,
            &format!("{place}.decision"),
            o.get("decision"),
            false,
            p,
        );
        if let Some(d) = &decision {
            if !DECISIONS.contains(&d.as_str()) {
                p.push(
                    Problem::new(
                        file,
                        format!("{place}.decision"),
                        format!("unknown decision `{d}`"),
                    )
                    .hint(format!("one of: {}", DECISIONS.join(", "))),
                );
            }
        }
        let e = Expect {
            rule: rule.unwrap_or_default(),
            activity: string(
                file,
                &format!("{place}.activity"),
                o.get("activity"),
                false,
                p,
            ),
            object: string(file, &format!("{place}.object"), o.get("object"), false, p),
            subject: string(
                file,
                &format!("{place}.subject"),
                o.get("subject"),
                false,
                p,
            ),
            norms: strings(file, &format!("{place}.norms"), o.get("norms"), p),
            decision,
            place,
        };
        out.push(e);
    }
    out
}

/// Checks the test files against the knowledge base and the file system: rule ids and norm
/// ids must exist, model files must be there (relative to `root`).
pub fn validate(files: &[TestFile], catalogue: &Catalogue, root: &Path) -> Vec<Problem> {
    let mut p = Vec::new();
    let rule_ids: Vec<&str> = catalogue
        .rule_meta
        .iter()
        .filter(|m| !matches!(m.kind, RuleKind::Reasoning))
        .map(|m| m.id.as_str())
        .collect();
    for f in files {
        for c in &f.tests {
            for (i, m) in c.model.iter().enumerate() {
                if !root.join(m).is_file() {
                    p.push(
                        Problem::new(
                            &f.path,
                            format!("{}.model[{i}]", c.place),
                            format!("model file `{m}` not found"),
                        )
                        .hint("model paths are relative to the repository root, e.g. `facts/s04_phone_call.json`"),
                    );
                }
            }
            for e in c.expect.iter().chain(&c.expect_not) {
                let meta = catalogue.rule_meta.iter().find(|m| m.id == e.rule);
                match meta {
                    None => {
                        let is_reasoning = catalogue.rule_meta.iter().any(|m| m.id == e.rule);
                        let hint = if is_reasoning {
                            "only finding rules (with a `decision`) and exception rules (with `exception_to`) can be expected".to_string()
                        } else {
                            match did_you_mean(&e.rule, rule_ids.iter().copied()) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => "name an annotated rule; `sphere kb list` shows them all"
                                    .to_string(),
                            }
                        };
                        p.push(
                            Problem::new(
                                &f.path,
                                format!("{}.rule", e.place),
                                format!("no finding or exception rule `{}`", e.rule),
                            )
                            .hint(hint),
                        );
                    }
                    Some(m) if matches!(m.kind, RuleKind::Reasoning) => p.push(
                        Problem::new(
                            &f.path,
                            format!("{}.rule", e.place),
                            format!("`{}` is a reasoning rule: it makes no findings", e.rule),
                        )
                        .hint("expect the finding rule (with a `decision`) or exception rule that uses it"),
                    ),
                    Some(m) => {
                        if matches!(m.kind, RuleKind::Exception { .. }) && e.decision.is_some() {
                            p.push(
                                Problem::new(
                                    &f.path,
                                    format!("{}.decision", e.place),
                                    format!("`{}` is an exception rule: it has no decision", e.rule),
                                )
                                .hint("leave out `decision`; an exception is expected where it suppresses a finding"),
                            );
                        }
                    }
                }
                for (j, n) in e.norms.iter().enumerate() {
                    let (id, version) = split_version(n);
                    let known = catalogue.norms.iter().any(|v| {
                        norm_prefix(id, &v.id) && version.is_none_or(|d| d == v.from.to_string())
                    });
                    if !known {
                        let ids: BTreeSet<&str> =
                            catalogue.norms.iter().map(|v| v.id.as_str()).collect();
                        let hint = match did_you_mean(id, ids.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "`sphere kb show <id>` lists a norm's versions".to_string(),
                        };
                        p.push(
                            Problem::new(
                                &f.path,
                                format!("{}.norms[{j}]", e.place),
                                format!("no norm in the catalogue matches `{n}`"),
                            )
                            .hint(hint),
                        );
                    }
                }
            }
        }
    }
    p
}

fn split_version(n: &str) -> (&str, Option<&str>) {
    match n.split_once('@') {
        Some((id, v)) => (id, Some(v)),
        None => (n, None),
    }
}

/// A finding, or a suppression by an exception rule, as seen by the tests.
#[derive(Clone, Debug)]
pub struct Observed {
    /// The finding rule, or the exception rule that suppressed a finding.
    pub rule: String,
    /// For a suppression: the finding rule whose finding was suppressed.
    pub suppressed: Option<String>,
    pub about: String,
    pub is_activity: bool,
    pub subject: Option<String>,
    /// `(id, version_from)` of the cited norm versions on the act's date.
    pub norms: Vec<(String, String)>,
    /// `None` for a suppression.
    pub decision: Option<String>,
    pub date: String,
}

impl Observed {
    /// One line: `rule activity act-1 subject s norms uwg:7.2.1@2022-05-28 decision block`.
    pub fn describe(&self) -> String {
        let mut s = self.rule.clone();
        s.push_str(if self.is_activity {
            " activity "
        } else {
            " object "
        });
        s.push_str(&self.about);
        if let Some(x) = &self.subject {
            s.push_str(" subject ");
            s.push_str(x);
        }
        s.push_str(" on ");
        s.push_str(&self.date);
        if !self.norms.is_empty() {
            let n: Vec<String> = self.norms.iter().map(|(i, v)| format!("{i}@{v}")).collect();
            s.push_str(" norms ");
            s.push_str(&n.join(", "));
        }
        match (&self.decision, &self.suppressed) {
            (Some(d), _) => {
                s.push_str(" decision ");
                s.push_str(d);
            }
            (None, Some(r)) => {
                s.push_str(" suppresses ");
                s.push_str(r);
            }
            (None, None) => {}
        }
        s
    }
}

impl Expect {
    pub fn matches(&self, o: &Observed) -> bool {
        self.rule == o.rule
            && self
                .activity
                .as_ref()
                .is_none_or(|a| o.is_activity && *a == o.about)
            && self
                .object
                .as_ref()
                .is_none_or(|a| !o.is_activity && *a == o.about)
            && self
                .subject
                .as_ref()
                .is_none_or(|s| o.subject.as_ref() == Some(s))
            && self
                .decision
                .as_ref()
                .is_none_or(|d| o.decision.as_ref() == Some(d))
            && self.norms.iter().all(|n| {
                let (id, version) = split_version(n);
                o.norms
                    .iter()
                    .any(|(i, v)| norm_prefix(id, i) && version.is_none_or(|x| x == v))
            })
    }

    /// One line, like [`Observed::describe`].
    pub fn describe(&self) -> String {
        let mut s = self.rule.clone();
        for (k, v) in [
            ("activity", &self.activity),
            ("object", &self.object),
            ("subject", &self.subject),
        ] {
            if let Some(v) = v {
                s.push_str(&format!(" {k} {v}"));
            }
        }
        if !self.norms.is_empty() {
            s.push_str(&format!(" norms {}", self.norms.join(", ")));
        }
        if let Some(d) = &self.decision {
            s.push_str(&format!(" decision {d}"));
        }
        s
    }
}

/// The findings and suppressions of an evaluation, sorted.
pub fn observe(outcome: &Evaluated<'_>) -> Vec<Observed> {
    let mut out: Vec<Observed> = outcome
        .findings()
        .iter()
        .map(|f| Observed {
            rule: f.rule.clone(),
            suppressed: None,
            about: f.about_id().to_string(),
            is_activity: f.about.activity().is_some(),
            subject: f.subjects.first().cloned(),
            norms: f
                .norms
                .iter()
                .map(|n| {
                    (
                        n.id.clone(),
                        n.version
                            .as_ref()
                            .map(|v| v.from.to_string())
                            .unwrap_or_default(),
                    )
                })
                .collect(),
            decision: Some(f.decision.as_str().to_string()),
            date: f.date.to_string(),
        })
        .collect();
    let ev = outcome.evaluation();
    let program = ev.program();
    let interner = ev.interner();
    let activities: BTreeSet<String> = program
        .relation_by_name("activity")
        .map(|rel| {
            ev.tuples(rel)
                .iter()
                .filter_map(|t| match t.first() {
                    Some(Value::Sym(s)) => Some(interner.resolve(*s).to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(rel) = program.relation_by_name("suppressed") {
        for t in ev.tuples(rel) {
            let [Value::Sym(rule), Value::Sym(exc), Value::Sym(about), Value::Sym(subject), Value::Date(date)] =
                t[..]
            else {
                continue;
            };
            let exc = interner.resolve(exc).to_string();
            let about = interner.resolve(about).to_string();
            let subject = interner.resolve(subject).to_string();
            let norms = program
                .legal
                .rule_meta
                .iter()
                .find(|m| m.id == exc)
                .map(|m| {
                    m.norms
                        .iter()
                        .filter_map(|r| version_at(&program.legal.norms, r, date))
                        .map(|n| (n.id.clone(), n.from.to_string()))
                        .collect()
                })
                .unwrap_or_default();
            out.push(Observed {
                rule: exc,
                suppressed: Some(interner.resolve(rule).to_string()),
                is_activity: activities.contains(&about),
                about,
                subject: (!subject.is_empty()).then_some(subject),
                norms,
                decision: None,
                date: date.to_string(),
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.about, &a.rule, &a.subject, &a.date).cmp(&(&b.about, &b.rule, &b.subject, &b.date))
    });
    out
}

/// How to run the tests.
#[derive(Clone)]
pub struct RunOptions {
    /// Model paths are relative to this directory.
    pub root: PathBuf,
    pub today: Date,
    /// The bounds each test's evaluation runs under (the rules may never end).
    pub limits: crate::Limits,
    pub interrupt: Option<crate::InterruptFn>,
}

/// The outcome of one test.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub file: String,
    pub name: String,
    /// The test could not run (a model that does not load, a bad assumption): rendered.
    pub error: Option<String>,
    /// Expectations that did not hold, with what was found instead.
    pub failures: Vec<Failure>,
    /// Rules matched by an `expect` that held.
    pub fired: BTreeSet<String>,
    /// Rules named by an `expect_not` that held.
    pub not_fired: BTreeSet<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.failures.is_empty()
    }
}

#[derive(Clone, Debug)]
pub struct Failure {
    /// `expect` or `expect_not`.
    pub kind: &'static str,
    pub place: String,
    pub expected: String,
    /// For `expect`: the findings of the same rule (or all, when the rule found nothing);
    /// for `expect_not`: the findings that matched.
    pub found: Vec<String>,
    /// Findings of other rules, counted, when the rule itself found nothing.
    pub others: usize,
}

/// Runs one test: loads its model, evaluates the knowledge base (compiled once for all
/// tests, run by the interpreter when it is not the compiled one), checks expectations.
/// A problem of the test (its model, its assumptions) is the outcome's error; an evaluation
/// that stopped (a bound of [`RunOptions::limits`] reached, the interrupt) is `Err`: the
/// rules, not the test, are at fault, and the run ends there.
pub fn run_case(
    kb: &KnowledgeBase,
    file: &str,
    case: &Case,
    opts: &RunOptions,
) -> Result<Outcome, crate::Error> {
    let mut out = Outcome {
        file: file.to_string(),
        name: case.name.clone(),
        error: None,
        failures: Vec::new(),
        fired: BTreeSet::new(),
        not_fired: BTreeSet::new(),
    };
    let models: Vec<PathBuf> = case.model.iter().map(|m| opts.root.join(m)).collect();
    let model = match Model::from_files(&models, opts.today) {
        Ok(m) => m,
        Err(e) => {
            out.error = Some(e.render(false));
            return Ok(out);
        }
    };
    let model = match case.as_of {
        Some(d) => model.with_as_of(d),
        None => model,
    };
    let mut assume = Vec::new();
    for text in &case.assume {
        match Assumption::parse(kb, text) {
            Ok(a) => assume.push(a),
            Err(e) => {
                out.error = Some(e.render(false));
                return Ok(out);
            }
        }
    }
    let options = EvalOptions {
        assume,
        limits: opts.limits,
        interrupt: opts.interrupt.clone(),
        ..EvalOptions::default()
    };
    let outcome = match kb.evaluate(&model, &options) {
        Ok(x) => x,
        Err(e) if e.kind() == crate::ErrorKind::Evaluation => return Err(e),
        Err(e) => {
            out.error = Some(e.render(false));
            return Ok(out);
        }
    };
    let observed = observe(&outcome);
    for e in &case.expect {
        if observed.iter().any(|o| e.matches(o)) {
            out.fired.insert(e.rule.clone());
        } else {
            let same: Vec<String> = observed
                .iter()
                .filter(|o| o.rule == e.rule)
                .map(Observed::describe)
                .collect();
            let others = observed.len() - same.len();
            out.failures.push(Failure {
                kind: "expect",
                place: e.place.clone(),
                expected: e.describe(),
                found: same,
                others,
            });
        }
    }
    for e in &case.expect_not {
        let hits: Vec<String> = observed
            .iter()
            .filter(|o| e.matches(o))
            .map(Observed::describe)
            .collect();
        if hits.is_empty() {
            out.not_fired.insert(e.rule.clone());
        } else {
            out.failures.push(Failure {
                kind: "expect_not",
                place: e.place.clone(),
                expected: e.describe(),
                found: hits,
                others: 0,
            });
        }
    }
    Ok(out)
}

/// Coverage of the knowledge base by a test run.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    pub rules: Vec<RuleCoverage>,
    pub norms: Vec<NormCoverage>,
}

impl Coverage {
    pub fn full(&self) -> bool {
        self.rules.iter().all(|r| r.fired && r.not_fired)
            && self.norms.iter().all(|n| n.cited || n.context_only)
    }
}

#[derive(Clone, Debug)]
pub struct RuleCoverage {
    pub id: String,
    /// `finding` or `exception`.
    pub kind: &'static str,
    pub location: String,
    pub fired: bool,
    pub not_fired: bool,
}

#[derive(Clone, Debug)]
pub struct NormCoverage {
    /// `id@from`.
    pub key: String,
    pub location: String,
    pub cited: bool,
    pub context_only: bool,
}

/// Coverage from the outcomes: finding and exception rules fired and shown not firing, norm
/// versions cited (directly or along a replacement chain) or context only. `locate` turns a
/// span into `file:line:col`.
pub fn coverage(
    catalogue: &Catalogue,
    outcomes: &[Outcome],
    locate: impl Fn(sphere_engine::Span) -> String,
) -> Coverage {
    let fired: BTreeSet<&str> = outcomes
        .iter()
        .flat_map(|o| o.fired.iter().map(String::as_str))
        .collect();
    let not_fired: BTreeSet<&str> = outcomes
        .iter()
        .flat_map(|o| o.not_fired.iter().map(String::as_str))
        .collect();
    let mut rules: Vec<RuleCoverage> = catalogue
        .rule_meta
        .iter()
        .filter_map(|m| {
            let kind = rule_kind(m)?;
            Some(RuleCoverage {
                id: m.id.clone(),
                kind,
                location: locate(m.span),
                fired: fired.contains(m.id.as_str()),
                not_fired: not_fired.contains(m.id.as_str()),
            })
        })
        .collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    let cited = cited_versions(catalogue);
    let norms = catalogue
        .norms
        .iter()
        .enumerate()
        .map(|(i, n)| NormCoverage {
            key: n.key(),
            location: locate(n.span),
            cited: cited.contains(&i),
            context_only: n.context_only,
        })
        .collect();
    Coverage { rules, norms }
}

/// `finding` or `exception`; `None` for reasoning rules (they are not tested on their own).
pub fn rule_kind(m: &RuleMeta) -> Option<&'static str> {
    match m.kind {
        RuleKind::Finding { .. } => Some("finding"),
        RuleKind::Exception { .. } => Some("exception"),
        RuleKind::Reasoning => None,
    }
}

/// Indexes of the norm versions some rule cites, directly or along a replacement chain.
pub fn cited_versions(catalogue: &Catalogue) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    for m in &catalogue.rule_meta {
        for r in &m.norms {
            if let Some(i) = resolve_ref(&catalogue.norms, r) {
                out.extend(chain(&catalogue.norms, i));
            }
        }
    }
    out
}

/// For every annotated rule id, the tests that name it: `(file, test name)`, sorted.
pub fn tests_by_rule(files: &[TestFile]) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let mut out: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for f in files {
        for c in &f.tests {
            for e in c.expect.iter().chain(&c.expect_not) {
                out.entry(e.rule.clone())
                    .or_default()
                    .insert((f.path.clone(), c.name.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_prefixes_stop_at_unit_boundaries() {
        assert!(norm_prefix("gdpr:6", "gdpr:6.1.f"));
        assert!(norm_prefix("gdpr:6", "gdpr:6"));
        assert!(!norm_prefix("gdpr:6", "gdpr:60"));
        assert!(!norm_prefix("gdpr:6.1.f", "gdpr:6.1"));
        assert!(norm_prefix("uwg:7a", "uwg:7a"));
        assert!(!norm_prefix("uwg:7", "uwg:7a"));
    }

    #[test]
    fn expectations_match_every_given_key() {
        let o = Observed {
            rule: "r".into(),
            suppressed: None,
            about: "act-1".into(),
            is_activity: true,
            subject: Some("s1".into()),
            norms: vec![("gdpr:6.1.f".into(), "2018-05-25".into())],
            decision: Some("block".into()),
            date: "2025-01-01".into(),
        };
        let e = |f: &dyn Fn(&mut Expect)| {
            let mut e = Expect {
                rule: "r".into(),
                ..Expect::default()
            };
            f(&mut e);
            e.matches(&o)
        };
        assert!(e(&|_| {}));
        assert!(e(&|x| x.activity = Some("act-1".into())));
        assert!(!e(&|x| x.object = Some("act-1".into())));
        assert!(!e(&|x| x.rule = "q".into()));
        assert!(!e(&|x| x.subject = Some("s2".into())));
        assert!(e(&|x| x.norms = vec!["gdpr:6".into()]));
        assert!(e(&|x| x.norms = vec!["gdpr:6.1.f@2018-05-25".into()]));
        assert!(!e(&|x| x.norms = vec!["gdpr:6.1.f@2016-05-24".into()]));
        assert!(!e(&|x| x.norms = vec!["gdpr:6".into(), "gdpr:7".into()]));
        assert!(!e(&|x| x.decision = Some("breach".into())));
    }

    #[test]
    fn parse_errors_name_the_json_path_and_hint() {
        let text = r#"{ "tests": [ { "name": "a", "model": ["m.json"],
            "expect": [ { "rule": "r", "activty": "x", "decision": "stop" } ] },
            { "name": "a", "model": [], "expect_not": [ {} ] } ] }"#;
        let errs = parse("t.test.json", text).expect_err("bad file");
        let lines: Vec<String> = errs
            .iter()
            .map(|p| {
                format!(
                    "{} {} | {}",
                    p.place,
                    p.message,
                    p.hint.clone().unwrap_or_default()
                )
            })
            .collect();
        assert!(
            lines.iter().any(
                |l| l.starts_with("$.tests[0].expect[0].activty unknown key")
                    && l.contains("did you mean `activity`")
            ),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("$.tests[0].expect[0].decision unknown decision `stop`")),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("$.tests[1].name test name `a` is used twice")),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("$.tests[1].model no model file given")),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("$.tests[1].expect_not[0] missing key `rule`")),
            "{lines:#?}"
        );
        let syntax = parse("t.test.json", "{ \"tests\": [ }").expect_err("bad JSON");
        assert_eq!(syntax[0].place, "line 1, column 14");
    }
}
