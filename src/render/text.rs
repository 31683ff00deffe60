//! Plain text: the findings of `sphere check`, a derivation tree (one node per line), the
//! explanation of one finding, and the statistics of `--stats`.

use std::fmt::Write as _;

use sphere_engine::eval::Evaluation;

use crate::explain::{Derivation, Explanation, Premise, RuleStep, Step};
use crate::findings::{Finding, Lang, Suppressed};
use crate::outcome::{Outcome, Timings};
use crate::remedies::Remedies;
use crate::whynot::{RuleAnswer, Status, WhyNot};

/// The findings, each with its decision, id, severity, message, citations, authorities,
/// remedy and rule, and a summary line; `suppressed` adds the findings exceptions suppressed.
pub fn findings(outcome: &Outcome<'_>, lang: Lang, suppressed: bool) -> String {
    let mut out = String::new();
    let found = outcome.findings();
    if found.is_empty() {
        let _ = match lang {
            Lang::En => writeln!(out, "no findings (as of {})", outcome.as_of()),
            Lang::De => writeln!(out, "keine Befunde (Stichtag {})", outcome.as_of()),
        };
    } else {
        for f in found {
            finding(&mut out, f, lang);
        }
        let blocking = found.iter().filter(|f| f.needs_action()).count();
        let _ = match lang {
            Lang::En => writeln!(
                out,
                "\n{} findings, {} need action (as of {})",
                found.len(),
                blocking,
                outcome.as_of()
            ),
            Lang::De => writeln!(
                out,
                "\n{} Befunde, {} mit Handlungsbedarf (Stichtag {})",
                found.len(),
                blocking,
                outcome.as_of()
            ),
        };
    }
    if suppressed {
        out.push_str(&suppressed_list(outcome.suppressed(), lang));
    }
    out
}

fn finding(out: &mut String, f: &Finding, lang: Lang) {
    let what = match (&f.about, lang) {
        (crate::findings::About::Activity(a), Lang::En) => format!("activity {a}"),
        (crate::findings::About::Object(o), Lang::En) => format!("object {o}"),
        (crate::findings::About::Activity(a), Lang::De) => format!("Tätigkeit {a}"),
        (crate::findings::About::Object(o), Lang::De) => format!("Objekt {o}"),
    };
    let _ = writeln!(
        out,
        "{} {} [{}] {} ({})",
        decision_word(f.decision, lang),
        f.id,
        severity_word(f.severity, lang),
        what,
        f.date
    );
    let _ = writeln!(out, "  {}", f.message.get(lang));
    let l = Labels::of(lang);
    let _ = writeln!(out, "  {}: {}", l.cites, f.citations(lang).join("; "));
    if !f.authorities.is_empty() {
        let _ = writeln!(out, "  {}: {}", l.see, authorities(f, lang).join("; "));
    }
    if let Some(r) = &f.contested {
        let _ = writeln!(out, "  {}: {}", l.contested, r.get(lang));
    }
    let _ = writeln!(out, "  {}: {}", l.remedy, f.remedy.get(lang));
    let _ = writeln!(
        out,
        "  {}: {}   (sphere explain ... {})",
        l.rule, f.rule, f.id
    );
}

fn suppressed_list(suppressed: &[Suppressed], lang: Lang) -> String {
    let mut out = String::new();
    if suppressed.is_empty() {
        return out;
    }
    let (title, by) = match lang {
        Lang::En => ("suppressed by exceptions", "suppressed by"),
        Lang::De => ("durch Ausnahmen ausgesetzt", "ausgesetzt durch"),
    };
    let _ = writeln!(out, "\n{title}:");
    for s in suppressed {
        let f = &s.finding;
        let _ = writeln!(
            out,
            "  {} {} {} ({}): {by} {}",
            f.id,
            f.rule,
            f.about_id(),
            f.date,
            s.exceptions.join(", ")
        );
    }
    out
}

pub use crate::findings::{decision_word, severity_word};

/// The labels of the text output, in each language.
struct Labels {
    cites: &'static str,
    see: &'static str,
    contested: &'static str,
    remedy: &'static str,
    rule: &'static str,
    later: &'static str,
    in_force: &'static str,
    until: &'static str,
    today: &'static str,
}

impl Labels {
    fn of(lang: Lang) -> Labels {
        match lang {
            Lang::En => Labels {
                cites: "cites",
                see: "see",
                contested: "contested",
                remedy: "remedy",
                rule: "rule",
                later: "later than the act",
                in_force: "in force",
                until: "to",
                today: "today",
            },
            Lang::De => Labels {
                cites: "Normen",
                see: "siehe",
                contested: "umstritten",
                remedy: "Abhilfe",
                rule: "Regel",
                later: "jünger als die Handlung",
                in_force: "in Kraft",
                until: "bis",
                today: "heute",
            },
        }
    }
}

/// The citations of a finding's authorities, each dated after the act marked as later.
fn authorities(f: &Finding, lang: Lang) -> Vec<String> {
    let l = Labels::of(lang);
    f.authorities
        .iter()
        .map(|a| {
            if f.is_later(a) {
                format!("{} [{}]", a.citation.get(lang), l.later)
            } else {
                a.citation.get(lang).to_string()
            }
        })
        .collect()
}

/// The norms and authorities of a finding as a jurist follows them to the source: each norm's
/// citation and title in the version in force on the act's date, its interval and official
/// source; each authority with its date (marked when later than the act) and link.
pub fn norm_text(f: &Finding, lang: Lang) -> String {
    let l = Labels::of(lang);
    let mut out = String::new();
    for n in &f.norms {
        match &n.version {
            Some(v) => {
                let to = v.to.map_or(l.today.to_string(), |d| d.to_string());
                let _ = writeln!(
                    out,
                    "  {} ({}): {}\n    {} {} {} {}; {}",
                    n.citation.get(lang),
                    n.id,
                    v.title.get(lang),
                    l.in_force,
                    v.from,
                    l.until,
                    to,
                    v.source
                );
            }
            None => {
                let _ = writeln!(out, "  {} ({})", n.citation.get(lang), n.id);
            }
        }
    }
    for a in &f.authorities {
        let later = if f.is_later(a) {
            format!(" [{}]", l.later)
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {}{later}\n    {}", a.citation.get(lang), a.url);
    }
    out
}

/// One finding explained: a header (decision, id, message, citations, remedy), its tree, and
/// for a suppressed finding each exception that applied with its tree.
pub fn explanation(e: &Explanation, lang: Lang) -> String {
    let f = &e.finding;
    let l = Labels::of(lang);
    let mut out = format!(
        "{} {} [{}] {} ({})\n  {}\n  {}: {}\n",
        match (e.suppressed, lang) {
            (true, Lang::En) => "SUPPRESSED".to_string(),
            (true, Lang::De) => "AUSGESETZT".to_string(),
            (false, _) => decision_word(f.decision, lang),
        },
        f.id,
        severity_word(f.severity, lang),
        f.about_id(),
        f.date,
        f.message.get(lang),
        l.cites,
        f.citations(lang).join("; ")
    );
    if !f.authorities.is_empty() {
        out.push_str(&format!(
            "  {}: {}\n",
            l.see,
            authorities(f, lang).join("; ")
        ));
    }
    if let Some(r) = &f.contested {
        out.push_str(&format!("  {}: {}\n", l.contested, r.get(lang)));
    }
    out.push_str(&format!("  {}: {}\n\n", l.remedy, f.remedy.get(lang)));
    if let Some(tree) = &e.derivation {
        out.push_str(&derivation(tree, lang));
    }
    for x in &e.exceptions {
        out.push_str(&format!("\nsuppressed by exception {}:\n", x.rule));
        if let Some(t) = &x.derivation {
            out.push_str(&derivation(t, lang));
        }
    }
    if !e.why_not.is_empty() {
        out.push_str(match lang {
            Lang::En => "\nwhy the absent premises are absent:\n",
            Lang::De => "\nwarum die fehlenden Voraussetzungen fehlen:\n",
        });
        for w in &e.why_not {
            out.push_str(&why_not(w, lang));
        }
    }
    out
}

/// A why-not in words: the fact and what its absence means, then each rule that could derive
/// it with its closest candidates and the first condition each fails, nested premises
/// indented below (recursion is bounded by [`crate::whynot::Options::depth`]).
pub fn why_not(w: &WhyNot, lang: Lang) -> String {
    let mut out = String::new();
    why_not_lines(w, lang, "", &mut out);
    out
}

fn why_not_lines(w: &WhyNot, lang: Lang, indent: &str, out: &mut String) {
    let no = match lang {
        Lang::En => "no",
        Lang::De => "nicht",
    };
    let _ = writeln!(out, "{indent}{no} {}: {}", w.fact, w.words.get(lang));
    tries_lines(w, lang, indent, out);
}

fn tries_lines(w: &WhyNot, lang: Lang, indent: &str, out: &mut String) {
    let rule = match lang {
        Lang::En => "rule",
        Lang::De => "Regel",
    };
    match &w.status {
        Status::Holds => {
            let _ = writeln!(
                out,
                "{indent}  {}",
                match lang {
                    Lang::En => "(it holds)",
                    Lang::De => "(trifft zu)",
                }
            );
        }
        Status::NotRecorded => {}
        Status::NotFollowed => {
            let _ = writeln!(
                out,
                "{indent}  {}",
                match lang {
                    Lang::En => "(not followed further)",
                    Lang::De => "(nicht weiter verfolgt)",
                }
            );
        }
        Status::Rules(tries) => {
            for t in tries {
                if t.candidates.is_empty() {
                    let _ = writeln!(
                        out,
                        "{indent}  {rule} {}: {}",
                        t.rule,
                        match lang {
                            Lang::En => "no candidate comes close",
                            Lang::De => "kein Kandidat kommt in Betracht",
                        }
                    );
                }
                for c in &t.candidates {
                    let chosen = if c.chosen.is_empty() {
                        String::new()
                    } else {
                        let v: Vec<String> =
                            c.chosen.iter().map(|(n, v)| format!("{n} = {v}")).collect();
                        format!(" ({})", v.join(", "))
                    };
                    let _ = writeln!(
                        out,
                        "{indent}  {rule} {}{chosen}: {}  [{}]",
                        t.rule,
                        c.reason.get(lang),
                        c.premise
                    );
                    if let Some(n) = &c.nested {
                        // The nested fact is the premise just named, its words the reason just
                        // given: only its rules follow.
                        tries_lines(n, lang, &format!("{indent}  "), out);
                    }
                }
            }
        }
    }
}

/// The answer to "why does rule R not find against A?".
pub fn rule_answer(rule: &str, about: &str, answer: &RuleAnswer, lang: Lang) -> String {
    match answer {
        RuleAnswer::Fires(ids) => match lang {
            Lang::En => format!("rule {rule} does find against {about}: {}\n", ids.join(", ")),
            Lang::De => format!("Regel {rule} beanstandet {about}: {}\n", ids.join(", ")),
        },
        RuleAnswer::Suppressed(ids) => match lang {
            Lang::En => format!(
                "rule {rule} applies to {about}, but an exception sets it aside: {} (`why` shows the exception)\n",
                ids.join(", ")
            ),
            Lang::De => format!(
                "Regel {rule} greift für {about}, doch eine Ausnahme verdrängt sie: {} (`why` zeigt die Ausnahme)\n",
                ids.join(", ")
            ),
        },
        RuleAnswer::Not(w) => why_not(w, lang),
    }
}

/// The remedies of a finding: the finding and its remedy sentence as the summary line, then
/// each verified remedy, numbered, with its steps, the findings it cures and those that
/// appear with it.
pub fn remedies(r: &Remedies, lang: Lang) -> String {
    let f = &r.finding;
    let mut out = format!(
        "{} {} {} {} ({})\n  {}\n  {}: {}\n",
        decision_word(f.decision, lang),
        f.id,
        f.about_id(),
        f.rule,
        f.date,
        f.message.get(lang),
        Labels::of(lang).remedy,
        f.remedy.get(lang)
    );
    if r.done {
        out.push_str(match lang {
            Lang::En => "  the act is done and stays as it was: what to do now, checked on its next use\n",
            Lang::De => "  die Handlung ist erfolgt und bleibt, wie sie war: was jetzt zu tun ist, geprüft an ihrer nächsten Nutzung\n",
        });
    }
    if r.remedies.is_empty() {
        out.push_str(match lang {
            Lang::En => "\nno change found that cures it and could be verified\n",
            Lang::De => "\nkeine Änderung gefunden, die sie nachweislich behebt\n",
        });
        return out;
    }
    for (i, m) in r.remedies.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{}. {}",
            i + 1,
            m.steps
                .iter()
                .map(|s| s.get(lang))
                .collect::<Vec<_>>()
                .join(match lang {
                    Lang::En => "; and ",
                    Lang::De => "; und ",
                })
        );
        let cures: Vec<String> = m
            .cures
            .iter()
            .map(|c| format!("{} ({})", c.id, c.rule))
            .collect();
        let _ = writeln!(
            out,
            "   {}: {}",
            match lang {
                Lang::En => "cures",
                Lang::De => "behebt",
            },
            cures.join(", ")
        );
        let new: Vec<String> = m
            .new_findings
            .iter()
            .map(|c| format!("{} ({} {})", c.id, c.rule, c.about_id()))
            .collect();
        let _ = writeln!(
            out,
            "   {}: {}",
            match lang {
                Lang::En => "new findings",
                Lang::De => "neue Befunde",
            },
            if new.is_empty() {
                match lang {
                    Lang::En => "none".to_string(),
                    Lang::De => "keine".to_string(),
                }
            } else {
                new.join(", ")
            }
        );
    }
    out
}

/// The differences between two evaluations: one block per finding that appeared (`+`),
/// vanished (`-`) or changed (`~`), each with its reasons; a summary line.
pub fn diff(
    entries: &[crate::diff::Entry],
    old: sphere_engine::Date,
    new: sphere_engine::Date,
    lang: Lang,
) -> String {
    use crate::diff::Kind;
    let mut out = String::new();
    if old != new {
        let _ = writeln!(
            out,
            "{}",
            match lang {
                Lang::En => format!("as of {old} -> as of {new}"),
                Lang::De => format!("Stichtag {old} -> Stichtag {new}"),
            }
        );
    }
    for e in entries {
        let f = e.finding();
        let sign = match e.kind {
            Kind::Appeared => "+",
            Kind::Vanished => "-",
            Kind::Changed => "~",
        };
        let _ = writeln!(
            out,
            "{sign} {} {} {} {} ({})\n    {}",
            decision_word(f.decision, lang),
            f.id,
            f.about_id(),
            f.rule,
            f.date,
            f.message.get(lang)
        );
        let why = match (e.kind, lang) {
            (Kind::Appeared, Lang::En) => "before",
            (Kind::Appeared, Lang::De) => "vorher",
            (Kind::Vanished, Lang::En) => "now",
            (Kind::Vanished, Lang::De) => "jetzt",
            (Kind::Changed, Lang::En) => "changed",
            (Kind::Changed, Lang::De) => "geändert",
        };
        for r in &e.reasons {
            let _ = writeln!(out, "    {why}: {}", r.get(lang));
        }
    }
    let count = |k: Kind| entries.iter().filter(|e| e.kind == k).count();
    let _ = writeln!(
        out,
        "{}",
        match lang {
            Lang::En => format!(
                "{} appeared, {} vanished, {} changed",
                count(Kind::Appeared),
                count(Kind::Vanished),
                count(Kind::Changed)
            ),
            Lang::De => format!(
                "{} neu, {} entfallen, {} geändert",
                count(Kind::Appeared),
                count(Kind::Vanished),
                count(Kind::Changed)
            ),
        }
    );
    out
}

/// What a rule node shows: `rule <id>`, then `: ` and the citations (of the norm versions in
/// force on the date explained) and authorities, where it has any.
pub fn rule_label(r: &RuleStep, lang: Lang) -> String {
    let mut label = format!("{} {}", Labels::of(lang).rule, r.rule);
    let all: Vec<&str> = r
        .citations
        .iter()
        .map(|c| c.get(lang))
        .chain(r.authority_citations.iter().map(|t| t.get(lang)))
        .collect();
    if !all.is_empty() {
        label.push_str(": ");
        label.push_str(&all.join("; "));
    }
    label
}

/// What an input node shows: `fact`, with its place in the model where it has one.
pub fn input_label(d: &Derivation) -> String {
    input_label_in(d, Lang::En)
}

fn input_label_in(d: &Derivation, lang: Lang) -> String {
    let fact = match lang {
        Lang::En => "fact",
        Lang::De => "Fakt",
    };
    d.origin().map_or_else(
        || fact.to_string(),
        |o| format!("{fact}: {} {}", o.file, o.path),
    )
}

/// A tree as indented text, one node per line: `fact  [label]`, premises below with tree
/// lines (`├─`, `└─`). Without recursion, and linear in the tree: as the engine's rendering,
/// the premises of a node at a depth that is a multiple of
/// [`sphere_engine::explain::INDENT_LEVELS`] start again at the left margin, prefixed with
/// `[depth] `.
pub fn derivation(tree: &Derivation, lang: Lang) -> String {
    use sphere_engine::explain::INDENT_LEVELS;
    enum Item<'t> {
        Tree(&'t Derivation),
        Line(String),
    }
    let mut out = String::new();
    // (item, its first line's prefix, the prefix of the lines below it, its depth)
    let mut stack: Vec<(Item<'_>, String, String, usize)> =
        vec![(Item::Tree(tree), String::new(), String::new(), 0)];
    while let Some((item, first, rest, depth)) = stack.pop() {
        let t = match item {
            Item::Tree(t) => t,
            Item::Line(text) => {
                let _ = writeln!(out, "{first}{text}");
                continue;
            }
        };
        match &t.step {
            Step::Input { .. } => {
                let _ = writeln!(out, "{first}{}  [{}]", t.fact, input_label_in(t, lang));
            }
            Step::Rule(r) => {
                let _ = writeln!(out, "{first}{}  [{}]", t.fact, rule_label(r, lang));
                let rest = if depth > 0 && depth % INDENT_LEVELS == 0 {
                    format!("[{depth}] ")
                } else {
                    rest
                };
                let n = r.premises.len();
                for (i, p) in r.premises.iter().enumerate().rev() {
                    let last = i + 1 == n;
                    let f = format!("{rest}{}", if last { "└─ " } else { "├─ " });
                    let next = format!("{rest}{}", if last { "   " } else { "│  " });
                    let item = match p {
                        Premise::Holds(sub) => Item::Tree(sub),
                        Premise::Absent(text) => Item::Line(match lang {
                            Lang::En => format!("no {text}  [absent]"),
                            Lang::De => format!("nicht {text}  [fehlt]"),
                        }),
                        Premise::Compare(text) => Item::Line(match lang {
                            Lang::En => format!("{text}  [holds]"),
                            Lang::De => format!("{text}  [gilt]"),
                        }),
                    };
                    stack.push((item, f, next, depth + 1));
                }
            }
        }
    }
    out
}

/// How many of the costliest rules [`stats`] lists.
pub const STATS_RULES: usize = 20;

/// Relation sizes, largest first (ties by name), where evaluation time went, then the
/// costliest rules (with a profile).
pub fn stats(ev: &Evaluation<'_>, lang: Lang) -> String {
    let de = lang == Lang::De;
    let program = ev.program();
    let mut rows: Vec<(usize, &str)> = (0..program.relations.len())
        .map(|i| {
            let rel = sphere_engine::ir::RelId(i as u32);
            (ev.len(rel), program.relation(rel).name.as_str())
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let total: usize = rows.iter().map(|r| r.0).sum();
    let mut out = if de {
        format!("{total} Tupel in {} Relationen\n", rows.len())
    } else {
        format!("{total} tuples in {} relations\n", rows.len())
    };
    for (n, name) in rows.iter().filter(|r| r.0 > 0) {
        let _ = writeln!(out, "{n:>10}  {name}");
    }
    let m = ev.memory_use();
    // One line per part, the words in the language asked for.
    let (head, parts) = if de {
        (
            "Datenbank",
            [
                "Zeilen",
                "Deduplizierung",
                "Indizes",
                "Indizes für Erklärungen",
                "Herkunft",
                "Symbole",
            ],
        )
    } else {
        (
            "database",
            [
                "rows",
                "deduplication",
                "indexes",
                "indexes for explanations",
                "provenance",
                "symbols",
            ],
        )
    };
    let bytes = [
        m.rows,
        m.dedup,
        m.indexes,
        m.explain_indexes,
        m.provenance,
        m.symbols,
    ];
    let list: Vec<String> = bytes
        .iter()
        .zip(parts)
        .map(|(&b, part)| format!("{:.0} MB {part}", b as f64 / 1e6))
        .collect();
    let _ = writeln!(out, "{head}: {}", list.join(", "));
    let ph = ev.phases();
    let secs = |d: std::time::Duration| {
        if de {
            seconds_de(d)
        } else {
            format!("{:.2}", d.as_secs_f64())
        }
    };
    let (head, parts) = if de {
        (
            "Auswertung",
            [
                "Planen und Aufbauen der Indizes",
                "Regeln",
                "Aktualisieren der Indizes",
            ],
        )
    } else {
        (
            "evaluation",
            ["planning and building indexes", "rules", "updating indexes"],
        )
    };
    let list: Vec<String> = [ph.planning, ph.rules, ph.rounds]
        .into_iter()
        .zip(parts)
        .map(|(d, part)| format!("{} s {part}", secs(d)))
        .collect();
    let _ = writeln!(out, "{head}: {}", list.join(", "));
    let mut rules: Vec<_> = ev.profile().iter().filter(|p| p.runs > 0).collect();
    if !rules.is_empty() {
        rules.sort_by(|a, b| b.time.cmp(&a.time).then(a.rule.cmp(&b.rule)));
        let _ = writeln!(
            out,
            "{}",
            if de {
                "Regeln nach Zeit (Sekunden, erzeugte Kopftupel, Runden):"
            } else {
                "rules by time (seconds, head tuples produced, rounds):"
            }
        );
        for p in rules.iter().take(STATS_RULES) {
            let time = format!("{:.3}", p.time.as_secs_f64());
            let _ = writeln!(
                out,
                "{:>10}  {:>9}  {:>3}  {}",
                if de { time.replace('.', ",") } else { time },
                p.produced,
                p.runs,
                program.rules[p.rule.0 as usize].id
            );
        }
    }
    out
}

/// The phase times of an evaluation with timing: facts, evaluation (facts included), stats,
/// findings; as `sphere check --stats` writes them.
pub fn timings(outcome: &Outcome<'_>, t: &Timings, lang: Lang) -> String {
    if lang == Lang::De {
        let mut out = format!(
            "{} Eingabefakten in {} s geladen\n",
            outcome.input_facts(),
            seconds_de(t.facts)
        );
        let _ = writeln!(out, "in {} s ausgewertet", seconds_de(t.facts + t.rules));
        out.push_str(&stats(outcome.evaluation(), lang));
        let _ = writeln!(
            out,
            "{} Befunde in {} s gesammelt und erklärt",
            outcome.findings().len(),
            seconds_de(t.findings)
        );
        return out;
    }
    let mut out = format!(
        "{} input facts loaded in {:.2} s\n",
        outcome.input_facts(),
        t.facts.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "evaluated in {:.2} s",
        (t.facts + t.rules).as_secs_f64()
    );
    out.push_str(&stats(outcome.evaluation(), lang));
    let _ = writeln!(
        out,
        "{} findings collected and explained in {:.2} s",
        outcome.findings().len(),
        t.findings.as_secs_f64()
    );
    out
}

/// Seconds with two decimals and a decimal comma, as German writes them (`0,42`).
pub fn seconds_de(d: std::time::Duration) -> String {
    format!("{:.2}", d.as_secs_f64()).replace('.', ",")
}

/// `text` safe to show on a terminal: every control character but line break and tab written
/// as `\u{1b}`, so that a value from a model (an id, a name) cannot move the cursor, colour
/// the screen or overwrite a line of the report with an escape sequence or a carriage return.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod terminal_tests {
    #[test]
    fn escapes_and_carriage_returns_are_shown_not_obeyed() {
        assert_eq!(super::terminal_safe("a\tb\nc"), "a\tb\nc");
        assert_eq!(
            super::terminal_safe("x\u{1b}[2J\rforged"),
            "x\\u{1b}[2J\\u{d}forged"
        );
    }
}
