//! Plain text: the findings of `sphere check`, a derivation tree (one node per line), the
//! explanation of one finding, and the statistics of `--stats`.

use std::fmt::Write as _;

use sphere_engine::eval::Evaluation;

use crate::explain::{Derivation, Explanation, Premise, RuleStep, Step};
use crate::findings::{Finding, Lang, Suppressed};
use crate::outcome::{Outcome, Timings};

/// The findings, each with its decision, id, severity, message, citations, authorities,
/// remedy and rule, and a summary line; `suppressed` adds the findings exceptions suppressed.
pub fn findings(outcome: &Outcome<'_>, lang: Lang, suppressed: bool) -> String {
    let mut out = String::new();
    let found = outcome.findings();
    if found.is_empty() {
        let _ = writeln!(out, "no findings (as of {})", outcome.as_of());
    } else {
        for f in found {
            finding(&mut out, f, lang);
        }
        let blocking = found.iter().filter(|f| f.needs_action()).count();
        let _ = writeln!(
            out,
            "\n{} findings, {} need action (as of {})",
            found.len(),
            blocking,
            outcome.as_of()
        );
    }
    if suppressed {
        out.push_str(&suppressed_list(outcome.suppressed()));
    }
    out
}

fn finding(out: &mut String, f: &Finding, lang: Lang) {
    let what = match &f.about {
        crate::findings::About::Activity(a) => format!("activity {a}"),
        crate::findings::About::Object(o) => format!("object {o}"),
    };
    let _ = writeln!(
        out,
        "{} {} [{}] {} ({})",
        f.decision.as_str().to_uppercase(),
        f.id,
        f.severity,
        what,
        f.date
    );
    let _ = writeln!(out, "  {}", f.message.get(lang));
    let _ = writeln!(out, "  cites: {}", f.citations(lang).join("; "));
    if !f.authorities.is_empty() {
        let a: Vec<&str> = f.authorities.iter().map(|a| a.citation.as_str()).collect();
        let _ = writeln!(out, "  see: {}", a.join("; "));
    }
    if let Some(r) = &f.contested {
        let _ = writeln!(out, "  contested: {r}");
    }
    let _ = writeln!(out, "  remedy: {}", f.remedy.get(lang));
    let _ = writeln!(out, "  rule: {}   (sphere explain ... {})", f.rule, f.id);
}

fn suppressed_list(suppressed: &[Suppressed]) -> String {
    let mut out = String::new();
    if suppressed.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\nsuppressed by exceptions:");
    for s in suppressed {
        let f = &s.finding;
        let _ = writeln!(
            out,
            "  {} {} {} ({}): suppressed by {}",
            f.id,
            f.rule,
            f.about_id(),
            f.date,
            s.exceptions.join(", ")
        );
    }
    out
}

/// One finding explained: a header (decision, id, message, citations, remedy), its tree, and
/// for a suppressed finding each exception that applied with its tree.
pub fn explanation(e: &Explanation, lang: Lang) -> String {
    let f = &e.finding;
    let mut out = format!(
        "{} {} [{}] {} ({})\n  {}\n  cites: {}\n",
        if e.suppressed {
            "SUPPRESSED".to_string()
        } else {
            f.decision.as_str().to_uppercase()
        },
        f.id,
        f.severity,
        f.about_id(),
        f.date,
        f.message.get(lang),
        f.citations(lang).join("; ")
    );
    if let Some(r) = &f.contested {
        out.push_str(&format!("  contested: {r}\n"));
    }
    out.push_str(&format!("  remedy: {}\n\n", f.remedy.get(lang)));
    if let Some(tree) = &e.derivation {
        out.push_str(&derivation(tree, lang));
    }
    for x in &e.exceptions {
        out.push_str(&format!("\nsuppressed by exception {}:\n", x.rule));
        if let Some(t) = &x.derivation {
            out.push_str(&derivation(t, lang));
        }
    }
    out
}

/// What a rule node shows: `rule <id>`, then `: ` and the citations (of the norm versions in
/// force on the date explained) and authorities, where it has any.
pub fn rule_label(r: &RuleStep, lang: Lang) -> String {
    let mut label = format!("rule {}", r.rule);
    let all: Vec<&str> = r
        .citations
        .iter()
        .map(|c| c.get(lang))
        .chain(r.authority_citations.iter().map(String::as_str))
        .collect();
    if !all.is_empty() {
        label.push_str(": ");
        label.push_str(&all.join("; "));
    }
    label
}

/// What an input node shows: `fact`, with its place in the model where it has one.
pub fn input_label(d: &Derivation) -> String {
    d.origin().map_or_else(
        || "fact".to_string(),
        |o| format!("fact: {} {}", o.file, o.path),
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
                let _ = writeln!(out, "{first}{}  [{}]", t.fact, input_label(t));
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
                        Premise::Absent(text) => Item::Line(format!("no {text}  [absent]")),
                        Premise::Compare(text) => Item::Line(format!("{text}  [holds]")),
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
pub fn stats(ev: &Evaluation<'_>) -> String {
    let program = ev.program();
    let mut rows: Vec<(usize, &str)> = (0..program.relations.len())
        .map(|i| {
            let rel = sphere_engine::ir::RelId(i as u32);
            (ev.len(rel), program.relation(rel).name.as_str())
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let total: usize = rows.iter().map(|r| r.0).sum();
    let mut out = format!("{total} tuples in {} relations\n", rows.len());
    for (n, name) in rows.iter().filter(|r| r.0 > 0) {
        let _ = writeln!(out, "{n:>10}  {name}");
    }
    let ph = ev.phases();
    let _ = writeln!(
        out,
        "evaluation: {:.2} s planning and building indexes, {:.2} s rules, {:.2} s updating indexes",
        ph.planning.as_secs_f64(),
        ph.rules.as_secs_f64(),
        ph.rounds.as_secs_f64()
    );
    let mut rules: Vec<_> = ev.profile().iter().filter(|p| p.runs > 0).collect();
    if !rules.is_empty() {
        rules.sort_by(|a, b| b.time.cmp(&a.time).then(a.rule.cmp(&b.rule)));
        let _ = writeln!(
            out,
            "rules by time (seconds, head tuples produced, rounds):"
        );
        for p in rules.iter().take(STATS_RULES) {
            let _ = writeln!(
                out,
                "{:>10.3}  {:>9}  {:>3}  {}",
                p.time.as_secs_f64(),
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
pub fn timings(outcome: &Outcome<'_>, t: &Timings) -> String {
    let mut out = format!("input facts loaded in {:.2} s\n", t.facts.as_secs_f64());
    let _ = writeln!(
        out,
        "evaluated in {:.2} s",
        (t.facts + t.rules).as_secs_f64()
    );
    out.push_str(&stats(outcome.evaluation()));
    let _ = writeln!(
        out,
        "{} findings collected and explained in {:.2} s",
        outcome.findings().len(),
        t.findings.as_secs_f64()
    );
    out
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
