//! The weekly report (`sphere report`): one typed value built from an outcome, a period and
//! optionally the decision journal, rendered to JSON ([`Report::to_json`]), Markdown
//! ([`markdown`]) and HTML ([`html`]), so the three agree number for number.
//!
//! Every number carries the ids behind it ([`Count::ids`]): finding ids, except for counts
//! of activities, which carry activity ids. What each section means in law is in
//! `docs/report.md`.
//!
//! Invariant: the report reads no clock; the period and the journal are given. Lists are
//! sorted, so the same inputs give the same bytes.

pub mod html;
pub mod markdown;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sphere_engine::{Date, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::findings::{Decision, Finding, Lang};
use crate::graph::{Leak, Picture};
use crate::journal::{Action, Filter, Journal};
use crate::outcome::Outcome;

/// The format name of the JSON form.
pub const FORMAT: &str = "sphere-report/1";

/// At most this many findings of the period carry their explanation (derivation tree) in
/// the HTML form; beyond it the HTML lists message and remedy and names the command that
/// explains them, so that a report over a large model stays a document one can open.
pub const EXPLAINED: usize = 200;

/// A number and the ids behind it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    pub count: usize,
    /// Sorted finding ids (activity ids for counts of activities).
    pub ids: Vec<String>,
}

impl Count {
    fn of<'a>(ids: impl IntoIterator<Item = &'a str>) -> Count {
        let set: BTreeSet<&str> = ids.into_iter().collect();
        Count {
            count: set.len(),
            ids: set.into_iter().map(str::to_string).collect(),
        }
    }
}

/// The period and its predecessor of the same length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// A period from `from` to `to`, both inclusive.
    pub fn new(from: Date, to: Date) -> Result<Period> {
        if to < from {
            return Err(Error::texts(
                ErrorKind::Usage,
                crate::Texts::new(
                    format!("the period ends ({to}) before it starts ({from})"),
                    format!("der Zeitraum endet ({to}), bevor er beginnt ({from})"),
                ),
            )
            .with_hint_texts(crate::Texts::new(
                "give --from the first day and --to the last day, e.g. --from 2025-06-09 --to 2025-06-15",
                "bei --from den ersten und bei --to den letzten Tag angeben, z. B. --from 2025-06-09 --to 2025-06-15",
            )));
        }
        Ok(Period { from, to })
    }

    pub fn days(self) -> i64 {
        self.from.days_until(self.to) + 1
    }

    pub fn contains(self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }

    /// The period of the same length that ends the day before this one starts.
    pub fn previous(self) -> Period {
        let n = self.days();
        Period {
            from: Date(self.from.0.saturating_sub(n as i32)),
            to: Date(self.from.0.saturating_sub(1)),
        }
    }
}

/// Activities of the period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Activities {
    pub total: Count,
    pub done: Count,
    pub planned: Count,
    /// Activities that touched personal data (the knowledge base's `personal_activity`: with
    /// data subjects or categories of personal data).
    pub personal_data: Count,
    /// Activities with at least one finding.
    pub with_findings: Count,
}

/// Findings of the period, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Findings {
    pub total: Count,
    /// `block` and `breach`.
    pub needs_action: Count,
    pub by_decision: BTreeMap<String, Count>,
    /// By law: the part of a norm id before `:` (`gdpr`, `uwg`, `guideline`, ...); a finding
    /// citing norms of two laws counts under both.
    pub by_law: BTreeMap<String, Count>,
    pub by_norm: BTreeMap<String, NormCount>,
    pub by_severity: BTreeMap<String, Count>,
}

/// Findings citing one norm.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NormCount {
    /// The citation in the report's language (`Art. 6(1) GDPR`).
    pub citation: String,
    #[serde(flatten)]
    pub count: Count,
}

/// Who can send a warning letter about findings of one law, and on what ground.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Route {
    pub law: String,
    /// Who may claim (competitor, association, rights holder, person).
    pub who: String,
    /// Breaches (done): the risk now.
    pub breaches: Count,
    /// Blocked planned activities: the risk if they went ahead.
    pub if_done: Count,
}

/// Warning letters (Abmahnungen) the period's findings could draw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WarningLetters {
    /// Breaches of laws with a warning-letter route.
    pub total: Count,
    pub routes: Vec<Route>,
}

/// Fine tiers of Art. 83 GDPR the period's breaches fall under.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Fines {
    /// Art. 83(5): up to EUR 20 million or 4 % of worldwide annual turnover (principles,
    /// lawfulness, consent, special categories, rights of data subjects, transfers).
    pub art_83_5: Count,
    /// Art. 83(4): up to EUR 10 million or 2 % (obligations of controller and processor:
    /// Arts. 8, 11, 25 to 39, 42, 43), for breaches under no Art. 83(5) norm.
    pub art_83_4: Count,
}

/// Breaches of one company guideline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GuidelineBreach {
    pub guideline: String,
    #[serde(flatten)]
    pub count: Count,
}

/// One finding waiting for the DPO at the end of the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pending {
    pub finding: String,
    pub activity: String,
    /// The day the gate blocked it.
    pub since: String,
    /// Whole days from the block to the end of the period.
    pub waiting_days: i64,
}

/// One approval or rejection of the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decided {
    pub finding: String,
    pub day: String,
    pub by: String,
    /// Whole days from the first block of the finding to the decision, when it was blocked.
    pub after_days: Option<i64>,
}

/// The DPO's decisions in the period, from the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "journal", rename_all = "snake_case")]
pub enum Decisions {
    /// No journal was given.
    None,
    Read {
        approved: Count,
        rejected: Count,
        pending: Count,
        approvals: Vec<Decided>,
        rejections: Vec<Decided>,
        waiting: Vec<Pending>,
    },
}

/// One line of the trend: this period against the previous one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrendRow {
    pub key: String,
    pub current: Count,
    pub previous: Count,
    pub change: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trend {
    pub previous_from: String,
    pub previous_to: String,
    pub rows: Vec<TrendRow>,
}

/// A leak of the picture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeakRow {
    /// Flow or activity id.
    pub id: String,
    pub kind: String,
    pub findings: Vec<String>,
}

/// A finding of the period, as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    pub id: String,
    pub decision: String,
    pub severity: String,
    pub about: String,
    pub date: String,
    pub citations: Vec<String>,
    pub message: String,
    pub remedy: String,
    /// The derivation as text (the first [`EXPLAINED`] findings).
    #[serde(skip)]
    pub explanation: Option<String>,
}

/// The weekly report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub format: &'static str,
    pub lang: Lang,
    pub from: String,
    pub to: String,
    pub as_of: String,
    pub kb_digest: String,
    pub model_digest: String,
    pub activities: Activities,
    pub findings: Findings,
    pub warning_letters: WarningLetters,
    pub fines: Fines,
    pub guidelines: Vec<GuidelineBreach>,
    pub guideline_breaches: Count,
    pub decisions: Decisions,
    pub trend: Trend,
    /// `None` when the model is a facts export (no data-flow graph).
    pub leaks: Option<Vec<LeakRow>>,
    pub list: Vec<Row>,
    /// The picture of the leaks, drawn in HTML.
    #[serde(skip)]
    pub picture: Option<Picture>,
}

/// What the report is asked for.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub period: Period,
    pub lang: Lang,
    /// Whether the first [`EXPLAINED`] findings of the period carry their explanation: the
    /// HTML form shows them, JSON and Markdown do not (so their outcome need not keep the
    /// origins of the model's facts, [`crate::KnowledgeBase::evaluate_once`]).
    pub explain: bool,
}

/// An activity as the evaluation knows it.
struct Act {
    id: String,
    done: bool,
    date: Date,
    personal: bool,
}

/// The activities of the evaluation (its relation `activity`) with status, date and whether
/// they touched personal data (`personal_activity`), in the evaluation's order (they are
/// counted by id: the order does not matter, and sorting a large model's activities by text
/// costs seconds).
fn activities(outcome: &Outcome<'_>) -> Vec<Act> {
    let ev = outcome.evaluation();
    let program = ev.program();
    let Some(rel) = program.relation_by_name("activity") else {
        return Vec::new();
    };
    let personal = program.relation_by_name("personal_activity");
    let cols = &program.relation(rel).columns;
    let col =
        |name: &str, default: usize| cols.iter().position(|c| c.name == name).unwrap_or(default);
    let (id_col, status_col, date_col) = (col("activity", 0), col("status", 2), col("date", 3));
    let mut out = Vec::new();
    for (_, t) in ev.tuples_unsorted(rel) {
        let (Some(Value::Sym(id)), Some(Value::Sym(st)), Some(Value::Date(d))) =
            (t.get(id_col), t.get(status_col), t.get(date_col))
        else {
            continue;
        };
        out.push(Act {
            id: ev.interner().resolve(*id).to_string(),
            done: ev.interner().resolve(*st) != "planned",
            date: *d,
            personal: personal.is_some_and(|p| ev.contains(p, &[Value::Sym(*id)])),
        });
    }
    out
}

fn law(norm: &str) -> &str {
    norm.split(':').next().unwrap_or(norm)
}

/// Who may send a warning letter about a finding of `law`, in `lang`; `None` for laws
/// without such a route.
pub fn route(law: &str, lang: Lang) -> Option<&'static str> {
    Some(match (law, lang) {
        ("uwg", Lang::En) => "competitors (§ 8(3) no. 1 UWG), trade associations and qualified consumer associations (§ 8(3) nos. 2 and 3 UWG)",
        ("uwg", Lang::De) => "Mitbewerber (§ 8 Abs. 3 Nr. 1 UWG), Wirtschaftsverbände und qualifizierte Verbraucherverbände (§ 8 Abs. 3 Nr. 2 und 3 UWG)",
        ("gdpr", Lang::En) => "competitors under § 3a UWG (CJEU C-21/23, 2024-10-04) and consumer associations (Art. 80(2) GDPR with § 2 UKlaG, CJEU C-319/20)",
        ("gdpr", Lang::De) => "Mitbewerber über § 3a UWG (EuGH C-21/23, 4.10.2024) und Verbraucherverbände (Art. 80 Abs. 2 DSGVO mit § 2 UKlaG, EuGH C-319/20)",
        ("ddg" | "tdddg", Lang::En) => "competitors under § 3a UWG and consumer associations (§ 8(3) no. 3 UWG)",
        ("ddg" | "tdddg", Lang::De) => "Mitbewerber über § 3a UWG und Verbraucherverbände (§ 8 Abs. 3 Nr. 3 UWG)",
        ("urhg", Lang::En) => "the rights holder (§ 97 UrhG; warning letter § 97a UrhG)",
        ("urhg", Lang::De) => "der Rechteinhaber (§ 97 UrhG; Abmahnung § 97a UrhG)",
        ("kug", Lang::En) => "the person shown (§§ 823(1), 1004 BGB with §§ 22, 23 KUG)",
        ("kug", Lang::De) => "die abgebildete Person (§§ 823 Abs. 1, 1004 BGB mit §§ 22, 23 KUG)",
        _ => return None,
    })
}

/// The Art. 83 tier of a GDPR norm id (`gdpr:6.1.f` is Art. 6): 5 for Art. 83(5), 4 for
/// Art. 83(4), `None` for articles neither paragraph lists.
pub fn fine_tier(norm: &str) -> Option<u8> {
    let art: u32 = norm
        .strip_prefix("gdpr:")?
        .split('.')
        .next()?
        .parse()
        .ok()?;
    match art {
        5 | 6 | 7 | 9 | 12..=22 | 44..=49 => Some(5),
        8 | 11 | 25..=39 | 42 | 43 => Some(4),
        _ => None,
    }
}

/// The counts of one period (shared by the period and the trend's previous period).
struct Counted {
    activities: Activities,
    findings: Findings,
    warning_letters: WarningLetters,
    fines: Fines,
    guidelines: Vec<GuidelineBreach>,
    guideline_breaches: Count,
}

fn count(acts: &[Act], found: &[&Finding], lang: Lang) -> Counted {
    let ids = |pred: &dyn Fn(&Act) -> bool| {
        Count::of(acts.iter().filter(|a| pred(a)).map(|a| a.id.as_str()))
    };
    let about: BTreeSet<&str> = found.iter().filter_map(|f| f.about.activity()).collect();
    let activities = Activities {
        total: ids(&|_| true),
        done: ids(&|a| a.done),
        planned: ids(&|a| !a.done),
        personal_data: ids(&|a| a.personal),
        with_findings: ids(&|a| about.contains(a.id.as_str())),
    };
    let fids = |pred: &dyn Fn(&Finding) -> bool| {
        Count::of(found.iter().filter(|f| pred(f)).map(|f| f.id.as_str()))
    };
    let mut by_decision: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut by_law: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut by_norm: BTreeMap<String, (String, Vec<&str>)> = BTreeMap::new();
    let mut by_severity: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut guideline: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut routes: BTreeMap<String, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
    let (mut t5, mut t4) = (Vec::new(), Vec::new());
    for f in found {
        by_decision
            .entry(f.decision.as_str().into())
            .or_default()
            .push(&f.id);
        by_severity
            .entry(f.severity.as_str().into())
            .or_default()
            .push(&f.id);
        let laws: BTreeSet<&str> = f.norms.iter().map(|n| law(&n.id)).collect();
        for l in &laws {
            by_law.entry((*l).into()).or_default().push(&f.id);
            if route(l, lang).is_some() {
                let r = routes.entry((*l).into()).or_default();
                match f.decision {
                    Decision::Breach => r.0.push(&f.id),
                    Decision::Block => r.1.push(&f.id),
                    _ => {}
                }
            }
        }
        for n in &f.norms {
            let e = by_norm
                .entry(n.id.clone())
                .or_insert_with(|| (n.citation.get(lang).to_string(), Vec::new()));
            e.1.push(&f.id);
            if let Some(g) = n.id.strip_prefix("guideline:") {
                guideline.entry(g.to_string()).or_default().push(&f.id);
            }
        }
        if f.decision == Decision::Breach {
            let tiers: BTreeSet<u8> = f.norms.iter().filter_map(|n| fine_tier(&n.id)).collect();
            if tiers.contains(&5) {
                t5.push(f.id.as_str());
            } else if tiers.contains(&4) {
                t4.push(f.id.as_str());
            }
        }
    }
    let map = |m: BTreeMap<String, Vec<&str>>| -> BTreeMap<String, Count> {
        m.into_iter().map(|(k, v)| (k, Count::of(v))).collect()
    };
    let routes: Vec<Route> = routes
        .into_iter()
        .map(|(l, (b, p))| Route {
            who: route(&l, lang).unwrap_or_default().to_string(),
            law: l,
            breaches: Count::of(b),
            if_done: Count::of(p),
        })
        .collect();
    let total_letters = Count::of(
        routes
            .iter()
            .flat_map(|r| r.breaches.ids.iter().map(String::as_str)),
    );
    let guidelines: Vec<GuidelineBreach> = guideline
        .into_iter()
        .map(|(g, v)| GuidelineBreach {
            guideline: g,
            count: Count::of(v),
        })
        .collect();
    let guideline_breaches = Count::of(
        guidelines
            .iter()
            .flat_map(|g| g.count.ids.iter().map(String::as_str)),
    );
    Counted {
        activities,
        findings: Findings {
            total: fids(&|_| true),
            needs_action: fids(&|f| f.needs_action()),
            by_decision: map(by_decision),
            by_law: map(by_law),
            by_norm: by_norm
                .into_iter()
                .map(|(k, (c, v))| {
                    (
                        k,
                        NormCount {
                            citation: c,
                            count: Count::of(v),
                        },
                    )
                })
                .collect(),
            by_severity: map(by_severity),
        },
        warning_letters: WarningLetters {
            total: total_letters,
            routes,
        },
        fines: Fines {
            art_83_5: Count::of(t5),
            art_83_4: Count::of(t4),
        },
        guidelines,
        guideline_breaches,
    }
}

/// The day (UTC) of a journal entry's time.
fn day_of(time_ms: i64) -> Date {
    Date(time_ms.div_euclid(86_400_000) as i32)
}

fn decisions(
    journal: &Journal,
    period: Period,
    activity_of: &BTreeMap<&str, &str>,
) -> Result<Decisions> {
    let entries = journal
        .entries(&Filter {
            actions: vec![Action::Block, Action::Approve, Action::Reject],
            ..Filter::default()
        })
        .map_err(crate::gate::journal_error)?;
    // Per finding id and facts digest: the first block still open, in journal order.
    let mut open: BTreeMap<(String, String), (Date, String)> = BTreeMap::new();
    let mut first_block: BTreeMap<String, Date> = BTreeMap::new();
    let (mut approvals, mut rejections) = (Vec::new(), Vec::new());
    for e in &entries {
        let Some(f) = &e.finding else { continue };
        let day = day_of(e.time_ms);
        if day > period.to {
            break;
        }
        let key = (f.id.clone(), f.facts_digest.clone());
        match e.action() {
            Action::Block => {
                first_block.entry(f.id.clone()).or_insert(day);
                let activity = match &e.payload {
                    crate::journal::Payload::Block(b) => b.activity_id.clone(),
                    _ => activity_of
                        .get(f.id.as_str())
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                };
                open.entry(key).or_insert((day, activity));
            }
            action => {
                open.remove(&key);
                if period.contains(day) {
                    let d = Decided {
                        finding: f.id.clone(),
                        day: day.to_string(),
                        by: e.actor.clone(),
                        after_days: first_block.get(&f.id).map(|b| b.days_until(day)),
                    };
                    if action == Action::Approve {
                        approvals.push(d);
                    } else {
                        rejections.push(d);
                    }
                }
            }
        }
    }
    let mut waiting: Vec<Pending> = open
        .into_iter()
        .map(|((finding, _), (since, activity))| Pending {
            finding,
            activity,
            since: since.to_string(),
            waiting_days: since.days_until(period.to).max(0),
        })
        .collect();
    waiting.sort_by(|a, b| {
        (a.since.as_str(), a.finding.as_str()).cmp(&(b.since.as_str(), b.finding.as_str()))
    });
    Ok(Decisions::Read {
        approved: Count::of(approvals.iter().map(|d| d.finding.as_str())),
        rejected: Count::of(rejections.iter().map(|d| d.finding.as_str())),
        pending: Count::of(waiting.iter().map(|p| p.finding.as_str())),
        approvals,
        rejections,
        waiting,
    })
}

impl Report {
    /// The report of `outcome` over `opts.period`: the period's activities (by their date)
    /// and findings (by the date the law was applied at), the DPO's decisions from
    /// `journal` (`Decisions::None` without one), the trend against the previous period of
    /// the same length, and the leaks of `picture` (the picture of the same outcome).
    pub fn build(
        outcome: &Outcome<'_>,
        opts: Options,
        journal: Option<&Journal>,
        picture: Option<Picture>,
    ) -> Result<Report> {
        let lang = opts.lang;
        let period = opts.period;
        let prev = period.previous();
        let acts = activities(outcome);
        let in_period = |p: Period| -> (Vec<Act>, Vec<&Finding>) {
            let a = acts
                .iter()
                .filter(|a| p.contains(a.date))
                .map(|a| Act {
                    id: a.id.clone(),
                    done: a.done,
                    date: a.date,
                    personal: a.personal,
                })
                .collect();
            let f = outcome
                .findings()
                .iter()
                .filter(|f| p.contains(f.date))
                .collect();
            (a, f)
        };
        let (now_acts, now_found) = in_period(period);
        let (prev_acts, prev_found) = in_period(prev);
        let now = count(&now_acts, &now_found, lang);
        let before = count(&prev_acts, &prev_found, lang);

        let fines_total = |c: &Counted| {
            Count::of(
                c.fines
                    .art_83_5
                    .ids
                    .iter()
                    .chain(&c.fines.art_83_4.ids)
                    .map(String::as_str),
            )
        };
        let pairs: Vec<(&str, Count, Count)> = vec![
            (
                "activities",
                now.activities.total.clone(),
                before.activities.total.clone(),
            ),
            (
                "personal_data",
                now.activities.personal_data.clone(),
                before.activities.personal_data.clone(),
            ),
            (
                "findings",
                now.findings.total.clone(),
                before.findings.total.clone(),
            ),
            (
                "needs_action",
                now.findings.needs_action.clone(),
                before.findings.needs_action.clone(),
            ),
            (
                "warning_letters",
                now.warning_letters.total.clone(),
                before.warning_letters.total.clone(),
            ),
            ("fines", fines_total(&now), fines_total(&before)),
            (
                "guideline_breaches",
                now.guideline_breaches.clone(),
                before.guideline_breaches.clone(),
            ),
        ];
        let trend = Trend {
            previous_from: prev.from.to_string(),
            previous_to: prev.to.to_string(),
            rows: pairs
                .into_iter()
                .map(|(k, c, p)| TrendRow {
                    key: k.to_string(),
                    change: c.count as i64 - p.count as i64,
                    current: c,
                    previous: p,
                })
                .collect(),
        };

        let activity_of: BTreeMap<&str, &str> = outcome
            .findings()
            .iter()
            .filter_map(|f| Some((f.id.as_str(), f.about.activity()?)))
            .collect();
        let decisions = match journal {
            Some(j) => decisions(j, period, &activity_of)?,
            None => Decisions::None,
        };

        let list: Vec<Row> = now_found
            .iter()
            .enumerate()
            .map(|(i, f)| Row {
                id: f.id.clone(),
                decision: f.decision.as_str().to_string(),
                severity: f.severity.as_str().to_string(),
                about: f.about_id().to_string(),
                date: f.date.to_string(),
                citations: f.citations(lang).into_iter().map(str::to_string).collect(),
                message: f.message.get(lang).to_string(),
                remedy: f.remedy.get(lang).to_string(),
                explanation: (opts.explain && i < EXPLAINED)
                    .then(|| outcome.explain(&f.id).ok())
                    .flatten()
                    .map(|e| crate::render::text::explanation(&e, lang)),
            })
            .collect();

        let leaks = picture.as_ref().map(|p| {
            p.edges
                .iter()
                .filter_map(|e| {
                    let leak: Leak = e.leak?;
                    Some(LeakRow {
                        id: e.id.clone(),
                        kind: leak.as_str().to_string(),
                        findings: e.mark.findings.clone(),
                    })
                })
                .collect()
        });

        Ok(Report {
            format: FORMAT,
            lang,
            from: period.from.to_string(),
            to: period.to.to_string(),
            as_of: outcome.as_of().to_string(),
            kb_digest: outcome.kb_digest().to_string(),
            model_digest: outcome.model_digest().to_string(),
            activities: now.activities,
            findings: now.findings,
            warning_letters: now.warning_letters,
            fines: now.fines,
            guidelines: now.guidelines,
            guideline_breaches: now.guideline_breaches,
            decisions,
            trend,
            leaks,
            list,
            picture,
        })
    }

    /// The JSON form (`sphere-report/1`), pretty-printed.
    pub fn to_json(&self) -> String {
        let mut s =
            serde_json::to_string_pretty(self).expect("a report of strings and numbers serialises");
        s.push('\n');
        s
    }

    /// The report's key numbers: (JSON path, label in the report's language, value). Each
    /// renderer writes every one of them, and the tests hold the three forms to these.
    pub fn key_numbers(&self) -> Vec<(String, String, usize)> {
        let t = |en: &str, de: &str| match self.lang {
            Lang::En => en.to_string(),
            Lang::De => de.to_string(),
        };
        let mut out = vec![
            (
                "activities.total".into(),
                t("Activities", "Tätigkeiten"),
                self.activities.total.count,
            ),
            (
                "activities.done".into(),
                t("Done", "Erledigt"),
                self.activities.done.count,
            ),
            (
                "activities.planned".into(),
                t("Planned", "Geplant"),
                self.activities.planned.count,
            ),
            (
                "activities.personal_data".into(),
                t("With personal data", "Mit personenbezogenen Daten"),
                self.activities.personal_data.count,
            ),
            (
                "activities.with_findings".into(),
                t("With findings", "Mit Befunden"),
                self.activities.with_findings.count,
            ),
            (
                "findings.total".into(),
                t("Findings", "Befunde"),
                self.findings.total.count,
            ),
            (
                "findings.needs_action".into(),
                t(
                    "Need action (block, breach)",
                    "Handlungsbedarf (Sperre, Verstoß)",
                ),
                self.findings.needs_action.count,
            ),
            (
                "warning_letters.total".into(),
                t(
                    "Warning-letter risks (breaches)",
                    "Abmahnrisiken (Verstöße)",
                ),
                self.warning_letters.total.count,
            ),
            (
                "fines.art_83_5".into(),
                t(
                    "Fine tier Art. 83(5) GDPR",
                    "Bußgeldrahmen Art. 83 Abs. 5 DSGVO",
                ),
                self.fines.art_83_5.count,
            ),
            (
                "fines.art_83_4".into(),
                t(
                    "Fine tier Art. 83(4) GDPR",
                    "Bußgeldrahmen Art. 83 Abs. 4 DSGVO",
                ),
                self.fines.art_83_4.count,
            ),
            (
                "guideline_breaches".into(),
                t(
                    "Company guideline breaches",
                    "Verstöße gegen Unternehmensrichtlinien",
                ),
                self.guideline_breaches.count,
            ),
        ];
        if let Decisions::Read {
            approved,
            rejected,
            pending,
            ..
        } = &self.decisions
        {
            out.push((
                "decisions.approved".into(),
                t("Approved by the DPO", "Vom DSB freigegeben"),
                approved.count,
            ));
            out.push((
                "decisions.rejected".into(),
                t("Rejected by the DPO", "Vom DSB abgelehnt"),
                rejected.count,
            ));
            out.push((
                "decisions.pending".into(),
                t("Waiting for the DPO", "Warten auf den DSB"),
                pending.count,
            ));
        }
        if let Some(leaks) = &self.leaks {
            out.push((
                "leaks".into(),
                t("Leaks on the picture", "Lecks im Bild"),
                leaks.len(),
            ));
        }
        out
    }
}

/// Section titles and words, in both languages.
pub(crate) fn word(lang: Lang, en: &'static str, de: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::De => de,
    }
}

/// The words of a key the report's numbers are grouped by, in `lang`: a decision (`breach`,
/// `Verstoß`), a severity (`high`, `hoch`) or a leak's kind (`leaves the EU/EEA (transfer
/// basis on the date)`, never the key `third_country_with_basis`); other keys (laws, norm
/// ids) are ids and stay as they are.
pub(crate) fn key_word(lang: Lang, key: &str) -> String {
    if let Ok(d) = key.parse::<Decision>() {
        return crate::findings::decision_noun(d, lang);
    }
    if let Ok(s) = key.parse::<crate::findings::Severity>() {
        return crate::findings::severity_word(s, lang);
    }
    if let Some(l) = [
        Leak::NoTransferBasis,
        Leak::Breach,
        Leak::ThirdCountryWithBasis,
        Leak::ThirdCountryUnjudged,
    ]
    .into_iter()
    .find(|l| l.as_str() == key)
    {
        let t = crate::graph::draw::leak_text(l, lang);
        return t.split_once(": ").map_or(t, |(_, rest)| rest).to_string();
    }
    key.to_string()
}

/// The label of a trend row's key.
pub(crate) fn trend_label(key: &str, lang: Lang) -> &'static str {
    match key {
        "activities" => word(lang, "Activities", "Tätigkeiten"),
        "personal_data" => word(lang, "With personal data", "Mit personenbezogenen Daten"),
        "findings" => word(lang, "Findings", "Befunde"),
        "needs_action" => word(lang, "Need action", "Handlungsbedarf"),
        "warning_letters" => word(lang, "Warning-letter risks", "Abmahnrisiken"),
        "fines" => word(lang, "Fine risks (Art. 83)", "Bußgeldrisiken (Art. 83)"),
        "guideline_breaches" => word(lang, "Guideline breaches", "Richtlinienverstöße"),
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{self, Config, Context, NewEntry, Payload};
    use crate::{EvalOptions, KnowledgeBase, Model};

    const DEMO: &str = include_str!("../../facts/demo_week.json");

    fn day(s: &str) -> Date {
        Date::parse(s).expect("a valid date")
    }

    fn week() -> Options {
        Options {
            period: Period::new(day("2025-06-09"), day("2025-06-15")).expect("a period"),
            lang: Lang::En,
            explain: true,
        }
    }

    /// The value at a dotted path of the JSON form (`count` of a `Count`).
    fn number(doc: &serde_json::Value, path: &str) -> Option<usize> {
        let mut v = doc;
        for part in path.split('.') {
            v = v.get(part)?;
        }
        let v = v.get("count").unwrap_or(v);
        v.as_u64()
            .map(|n| n as usize)
            .or_else(|| v.as_array().map(Vec::len))
    }

    fn with_demo(journal: Option<&Journal>, opts: Options, check: impl FnOnce(&Report)) {
        let kb = KnowledgeBase::shipped().expect("the shipped knowledge base");
        let model = Model::from_text("demo_week.json", DEMO, day("2025-06-13")).expect("valid");
        let outcome = kb
            .evaluate(&model, &EvalOptions::default())
            .expect("evaluates");
        let company = model.company().expect("a company model");
        let picture = crate::graph::Picture::with_findings(
            &crate::graph::sketch(&kb, company),
            &outcome,
            &|f| opts.period.contains(f.date),
        );
        let r = Report::build(&outcome, opts, journal, Some(picture)).expect("a report");
        check(&r);
    }

    #[test]
    fn json_markdown_and_html_agree_number_for_number() {
        for lang in [Lang::En, Lang::De] {
            with_demo(None, Options { lang, ..week() }, |r| {
                let doc: serde_json::Value = serde_json::from_str(&r.to_json()).expect("JSON");
                let md = markdown::markdown(r);
                let page = html::page(r);
                let keys = r.key_numbers();
                assert!(keys.len() >= 12, "{keys:?}");
                for (key, label, n) in &keys {
                    assert_eq!(number(&doc, key), Some(*n), "JSON {key}");
                    assert!(
                        md.contains(&format!("| {label} | {n} |")),
                        "Markdown {key} = {n}:\n{md}"
                    );
                    assert!(
                        page.contains(&format!("data-key=\"{key}\">{n}<")),
                        "HTML {key} = {n}"
                    );
                }
                for t in &r.trend.rows {
                    assert!(page.contains(&format!(
                        "data-key=\"trend.{}.current\">{}<",
                        t.key, t.current.count
                    )));
                    assert!(md.contains(&format!(
                        "| {} | {} | {} |",
                        trend_label(&t.key, lang),
                        t.current.count,
                        t.previous.count
                    )));
                }
                for (law, c) in &r.findings.by_law {
                    assert!(
                        page.contains(&format!("data-key=\"findings.by_law.{law}\">{}<", c.count))
                    );
                    assert!(md.contains(&format!("| {law} | {} |", c.count)));
                }
            });
        }
    }

    #[test]
    fn the_demo_week_counts_follow_the_model_and_the_findings() {
        let m: serde_json::Value = serde_json::from_str(DEMO).expect("JSON");
        let acts = m["activities"].as_array().expect("activities");
        let status = |s: &str| {
            acts.iter()
                .filter(|a| a["status"].as_str().unwrap_or("done") == s)
                .count()
        };
        with_demo(None, week(), |r| {
            assert_eq!(r.activities.total.count, acts.len());
            assert_eq!(r.activities.done.count, status("done"));
            assert_eq!(r.activities.planned.count, status("planned"));
            // Personal data: subjects or categories named.
            let personal = acts
                .iter()
                .filter(|a| {
                    a["subjects"].as_array().is_some_and(|v| !v.is_empty())
                        || a["categories"].as_array().is_some_and(|v| !v.is_empty())
                })
                .count();
            assert_eq!(r.activities.personal_data.count, personal);
            assert!(r.activities.personal_data.count < r.activities.total.count);
            // Every UWG and GDPR breach is a warning-letter risk; every GDPR breach under an
            // Art. 83(5) norm is in that tier.
            let breaches: Vec<&Row> = r.list.iter().filter(|f| f.decision == "breach").collect();
            assert!(!breaches.is_empty());
            for f in &r.list {
                let uwg = r
                    .findings
                    .by_law
                    .get("uwg")
                    .is_some_and(|c| c.ids.contains(&f.id));
                if uwg && f.decision == "breach" {
                    assert!(r.warning_letters.total.ids.contains(&f.id), "{}", f.id);
                }
            }
            let gdpr = &r.findings.by_law["gdpr"];
            for id in &gdpr.ids {
                let row = r.list.iter().find(|f| &f.id == id).expect("listed");
                assert_eq!(
                    row.decision == "breach",
                    r.fines.art_83_5.ids.contains(id),
                    "{id}"
                );
            }
            assert_eq!(r.guideline_breaches.count, 1);
            assert!(r.guidelines[0].guideline == "gl-no-social-dm-marketing");
            assert_eq!(r.decisions, Decisions::None);
            // The previous week has no activities.
            assert!(r.trend.rows.iter().all(|t| t.previous.count == 0));
            let leaks = r.leaks.as_ref().expect("a picture");
            assert!(leaks.iter().any(|l| l.id == "flow-crm-monitoring"));
            assert!(leaks
                .iter()
                .any(|l| l.id == "act-week-reuse-photo" && l.kind == "breach"));
            // Findings outside the period are left out.
            with_demo(
                None,
                Options {
                    period: Period::new(day("2025-06-12"), day("2025-06-12")).expect("a day"),
                    lang: Lang::En,
                    explain: false,
                },
                |d| {
                    assert!(d.list.iter().all(|f| f.date == "2025-06-12"));
                    assert!(
                        d.findings.total.count < r.findings.total.count
                            && d.findings.total.count > 0
                    );
                    // The day before is the previous period, and has the 2025-06-11 activities.
                    assert!(d.trend.rows[0].previous.count > 0);
                },
            );
        });
    }

    #[test]
    fn decisions_come_from_the_journal_of_the_period() {
        let dir = std::env::temp_dir().join(format!("sphere-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("journal.db");
        let _ = std::fs::remove_file(&path);
        let mut j = Journal::open(&path, &Config::create()).expect("a journal");
        let at = |s: &str| s.parse::<jiff::Timestamp>().expect("a time");
        let entry = |time: &str, id: &str, payload: Payload| NewEntry {
            time: at(time),
            actor: "staff-markus-richter".into(),
            finding: Some(journal::FindingRef {
                id: id.into(),
                facts_digest: "d".into(),
            }),
            context: Context {
                engine_version: "sphere test".into(),
                kb_digest: None,
                model_digest: None,
            },
            payload,
        };
        let block = |a: &str| {
            Payload::Block(journal::Block {
                activity_id: a.into(),
                decision: "block".into(),
                norms: vec![],
                as_of: "2025-06-10".parse().expect("date"),
            })
        };
        let decision = journal::Decision {
            reason_digest: "00".into(),
            until: None,
        };
        j.append_all(&[
            entry("2025-06-10T09:00:00Z", "F-a", block("act-a")),
            entry("2025-06-10T09:00:00Z", "F-b", block("act-b")),
            entry("2025-06-11T09:00:00Z", "F-c", block("act-c")),
            entry(
                "2025-06-12T10:00:00Z",
                "F-a",
                Payload::Approve(decision.clone()),
            ),
            entry(
                "2025-06-13T10:00:00Z",
                "F-b",
                Payload::Reject(decision.clone()),
            ),
            // After the period: F-c is still pending at its end.
            entry("2025-06-20T10:00:00Z", "F-c", Payload::Approve(decision)),
        ])
        .expect("appended");
        with_demo(Some(&j), week(), |r| {
            let Decisions::Read {
                approved,
                rejected,
                pending,
                approvals,
                waiting,
                ..
            } = &r.decisions
            else {
                panic!("a journal was given");
            };
            assert_eq!(approved.ids, vec!["F-a"]);
            assert_eq!(rejected.ids, vec!["F-b"]);
            assert_eq!(pending.ids, vec!["F-c"]);
            assert_eq!(approvals[0].after_days, Some(2));
            assert_eq!(
                (waiting[0].activity.as_str(), waiting[0].waiting_days),
                ("act-c", 4)
            );
            let md = markdown::markdown(r);
            assert!(md.contains("| Waiting for the DPO | 1 |"), "{md}");
        });
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// `sphere report` lets the company model go once its facts are in the database: the
    /// picture's sketch is taken before, the activities the findings concern are read from
    /// the evaluation, and the explanations still name where each fact came from. The
    /// report is the same, byte for byte, as from a model kept whole.
    #[test]
    fn a_report_without_the_company_model_is_the_same_report() {
        let kb = KnowledgeBase::shipped().expect("the shipped knowledge base");
        let load = || Model::from_text("demo_week.json", DEMO, day("2025-06-13")).expect("valid");
        for lang in [Lang::En, Lang::De] {
            let opts = Options { lang, ..week() };
            let keep = |f: &Finding| opts.period.contains(f.date);
            let model = load();
            let outcome = kb
                .evaluate(&model, &EvalOptions::default())
                .expect("evaluates");
            let company = model.company().expect("a company model");
            let whole = crate::graph::Picture::with_findings(
                &crate::graph::sketch(&kb, company),
                &outcome,
                &keep,
            );
            let kept = Report::build(&outcome, opts, None, Some(whole)).expect("a report");

            let model = load();
            let sketch = crate::graph::sketch(&kb, model.company().expect("a company model"));
            let once = kb
                .evaluate_once_with_origins(model, &EvalOptions::default())
                .expect("evaluates");
            let picture = crate::graph::Picture::with_findings(&sketch, &once, &keep);
            let dropped = Report::build(&once, opts, None, Some(picture)).expect("a report");
            assert_eq!(html::page(&dropped), html::page(&kept));
            assert_eq!(markdown::markdown(&dropped), markdown::markdown(&kept));
            assert_eq!(dropped.to_json(), kept.to_json());
            // The leaks need the activities' sources, systems and flows.
            let leaks = dropped.leaks.as_ref().expect("a picture");
            assert!(leaks.iter().any(|l| l.id == "act-week-reuse-photo"));
            let explained = dropped.list[0].explanation.as_deref().expect("explained");
            assert!(
                explained.contains("demo_week.json $.activities["),
                "{explained}"
            );
        }
        // Without explanations (JSON, Markdown) nothing is explained.
        let once = kb
            .evaluate_once(load(), &EvalOptions::default())
            .expect("evaluates");
        let r = Report::build(
            &once,
            Options {
                explain: false,
                ..week()
            },
            None,
            None,
        )
        .expect("a report");
        assert!(r.list.iter().all(|f| f.explanation.is_none()));
    }

    #[test]
    fn fine_tiers_follow_art_83() {
        assert_eq!(fine_tier("gdpr:6.1.f"), Some(5));
        assert_eq!(fine_tier("gdpr:21.3"), Some(5));
        assert_eq!(fine_tier("gdpr:44"), Some(5));
        assert_eq!(fine_tier("gdpr:28.3"), Some(4));
        assert_eq!(fine_tier("gdpr:32"), Some(4));
        assert_eq!(fine_tier("gdpr:4"), None);
        assert_eq!(fine_tier("uwg:7.2.1"), None);
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let p = Period::new(
            Date::parse("2025-06-09").expect("date"),
            Date::parse("2025-06-15").expect("date"),
        )
        .expect("a period");
        let q = p.previous();
        assert_eq!(
            (q.from.to_string(), q.to.to_string()),
            ("2025-06-02".into(), "2025-06-08".into())
        );
        assert_eq!(q.days(), p.days());
        assert!(Period::new(p.to, p.from).is_err());
    }
}
