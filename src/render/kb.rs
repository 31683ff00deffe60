//! The knowledge base's own reports: the summary of `sphere kb check`, lints, the rule list,
//! norms with the rules citing them, rule-test results with coverage, and the catalogue
//! `docs/knowledge.md` (Markdown).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sphere_engine::ir::legal::{AuthorityKind, NormRef, NormVersion, RuleKind, RuleMeta};
use sphere_engine::ir::lower::resolve_ref;
use sphere_engine::Date;

use crate::kb::lint::Lint;
use crate::kb::testing::{self, Coverage, Outcome, Problem, TestFile};
use crate::kb::{ref_text, KnowledgeBase};
use crate::Lang;

/// `ok: N norms (V versions), ...` and the number of warnings: what `sphere kb check` prints
/// for a knowledge base that compiles.
pub fn summary(kb: &KnowledgeBase) -> String {
    let legal = kb.catalogue();
    let ids: std::collections::BTreeSet<&str> = legal.norms.iter().map(|n| n.id.as_str()).collect();
    let count = |k: &str| legal.rule_meta.iter().filter(|m| kind_name(m) == k).count();
    let warnings = kb.warnings().len();
    format!(
        "ok: {} norms ({} versions), {} authorities, {} rules ({} finding, {} exception, {} reasoning){}\n",
        ids.len(),
        legal.norms.len(),
        legal.authorities.len(),
        legal.rule_meta.len(),
        count("finding"),
        count("exception"),
        count("reasoning"),
        if warnings > 0 {
            format!(", {warnings} warning(s)")
        } else {
            String::new()
        }
    )
}

/// Lint warnings, one block each, and their count.
pub fn lints(kb: &KnowledgeBase, lints: &[Lint]) -> String {
    let mut out = String::new();
    for l in lints {
        let _ = writeln!(
            out,
            "{}: warning[{}]: {}\n  hint: {}",
            kb.location(l.span),
            l.code,
            l.message,
            l.hint
        );
    }
    let _ = writeln!(out, "{} warning(s)", lints.len());
    out
}

/// Every annotated rule with its kind, decision, norms and place, as a table.
pub fn list(kb: &KnowledgeBase) -> String {
    let mut rows: Vec<[String; 5]> = vec![[
        "rule".into(),
        "kind".into(),
        "decision".into(),
        "norms".into(),
        "where".into(),
    ]];
    let mut metas: Vec<&RuleMeta> = kb.catalogue().rule_meta.iter().collect();
    metas.sort_by(|a, b| a.id.cmp(&b.id));
    for m in metas {
        let (kind, decision) = match &m.kind {
            RuleKind::Finding {
                decision, severity, ..
            } => (
                "finding".to_string(),
                format!("{} ({})", decision.as_str(), severity.as_str()),
            ),
            RuleKind::Exception { to, .. } => ("exception".to_string(), format!("to {to}")),
            RuleKind::Reasoning => ("reasoning".to_string(), "-".to_string()),
        };
        let norms: Vec<String> = m.norms.iter().map(ref_text).collect();
        rows.push([
            m.id.clone(),
            kind,
            decision,
            if norms.is_empty() {
                "-".into()
            } else {
                norms.join(", ")
            },
            kb.location(m.span),
        ]);
    }
    let mut widths = [0usize; 4];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let _ = writeln!(
            out,
            "{:w0$}  {:w1$}  {:w2$}  {:w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    }
    let _ = writeln!(out, "{} annotated rules", rows.len() - 1);
    out
}

/// The words of [`norms`] in each language.
struct NormWords {
    in_force: &'static str,
    to: &'static str,
    today: &'static str,
    summary: &'static str,
    replaced_by: &'static str,
    replaces: &'static str,
    source: &'static str,
    context_only: &'static str,
    declared_at: &'static str,
    cited_by: &'static str,
    no_rule: &'static str,
    as_: &'static str,
}

impl NormWords {
    fn of(lang: Lang) -> NormWords {
        match lang {
            Lang::En => NormWords {
                in_force: "in force",
                to: "to",
                today: "today (still in force)",
                summary: "summary",
                replaced_by: "replaced by",
                replaces: "replaces",
                source: "source",
                context_only: "context only: cited by no rule on purpose",
                declared_at: "declared at",
                cited_by: "cited by",
                no_rule: "no rule",
                as_: "as",
            },
            Lang::De => NormWords {
                in_force: "in Kraft",
                to: "bis",
                today: "heute (noch in Kraft)",
                summary: "Zusammenfassung",
                replaced_by: "ersetzt durch",
                replaces: "ersetzt",
                source: "Quelle",
                context_only: "nur zum Kontext: bewusst von keiner Regel zitiert",
                declared_at: "erklärt in",
                cited_by: "zitiert von",
                no_rule: "keiner Regel",
                as_: "als",
            },
        }
    }
}

/// Norm versions (indexes into the catalogue, as [`KnowledgeBase::find_norms`] gives them),
/// each with its interval, citations, replacements, source and the rules citing it, in
/// `lang` (titles and summaries in German where the catalogue has them).
pub fn norms(kb: &KnowledgeBase, picked: &[usize], lang: Lang) -> String {
    let legal = kb.catalogue();
    let citing = kb.citing_rules();
    let w = NormWords::of(lang);
    let mut out = String::new();
    for &i in picked {
        let n = &legal.norms[i];
        let (title, summary) = match lang {
            Lang::En => (n.title.as_str(), n.summary.as_deref()),
            Lang::De => (
                n.title_de.as_deref().unwrap_or(&n.title),
                n.summary_de.as_deref().or(n.summary.as_deref()),
            ),
        };
        let _ = writeln!(out, "{}  {}", n.key(), title);
        let _ = writeln!(
            out,
            "  {}: {} {} {}",
            w.in_force,
            n.from,
            w.to,
            n.to.map_or_else(|| w.today.to_string(), |d| d.to_string())
        );
        let _ = writeln!(out, "  de: {}", n.de);
        let _ = writeln!(out, "  en: {}", n.en);
        if let Some(s) = summary {
            let _ = writeln!(out, "  {}: {s}", w.summary);
        }
        if let Some(r) = &n.replaced_by {
            let _ = writeln!(out, "  {}: {}", w.replaced_by, ref_text(r));
        }
        for (j, m) in legal.norms.iter().enumerate() {
            if m.replaced_by
                .as_ref()
                .and_then(|r| resolve_ref(&legal.norms, r))
                == Some(i)
            {
                let _ = writeln!(out, "  {}: {}", w.replaces, legal.norms[j].key());
            }
        }
        let _ = writeln!(out, "  {}: {}", w.source, n.source);
        if n.context_only {
            let _ = writeln!(out, "  {}", w.context_only);
        }
        let _ = writeln!(out, "  {}: {}", w.declared_at, kb.location(n.span));
        let rules = citing.get(&i).map(Vec::as_slice).unwrap_or_default();
        if rules.is_empty() {
            let _ = writeln!(out, "  {}: {}", w.cited_by, w.no_rule);
        } else {
            let _ = writeln!(out, "  {}:", w.cited_by);
            for (m, r) in rules {
                let _ = writeln!(
                    out,
                    "    {} ({}) {} `{}`  {}",
                    m.id,
                    kind_word(m, lang),
                    w.as_,
                    ref_text(r),
                    kb.location(m.span)
                );
            }
        }
        out.push('\n');
    }
    out
}

/// A rule's kind in words: `finding`, `exception`, `reasoning` (German: `Befundregel`,
/// `Ausnahme`, `Begründung`).
pub fn kind_word(m: &RuleMeta, lang: Lang) -> &'static str {
    match (lang, kind_name(m)) {
        (Lang::En, k) => k,
        (Lang::De, "finding") => "Befundregel",
        (Lang::De, "exception") => "Ausnahme",
        (Lang::De, _) => "Begründung",
    }
}

/// Problems of rule-test files: `error: file: place: message` and a hint line.
pub fn problems(problems: &[Problem]) -> String {
    let mut s = String::new();
    for p in problems {
        let _ = writeln!(s, "error: {}: {}: {}", p.file, p.place, p.message);
        if let Some(h) = &p.hint {
            let _ = writeln!(s, "  hint: {h}");
        }
    }
    s
}

/// One test's result: `ok` or `FAIL` with what was expected and found.
pub fn outcome(out: &mut String, o: &Outcome) {
    if o.passed() {
        let _ = writeln!(out, "ok    {}: {}", o.file, o.name);
        return;
    }
    let _ = writeln!(out, "FAIL  {}: {}", o.file, o.name);
    if let Some(e) = &o.error {
        for line in e.lines() {
            let _ = writeln!(out, "      {line}");
        }
    }
    for f in &o.failures {
        match f.kind {
            "expect" => {
                let _ = writeln!(out, "      expected ({}): {}", f.place, f.expected);
                if f.found.is_empty() {
                    let _ = writeln!(
                        out,
                        "      found: no finding of this rule ({} of other rules)",
                        f.others
                    );
                } else {
                    for x in &f.found {
                        let _ = writeln!(out, "      found: {x}");
                    }
                }
            }
            _ => {
                let _ = writeln!(out, "      expected not ({}): {}", f.place, f.expected);
                for x in &f.found {
                    let _ = writeln!(out, "      found: {x}");
                }
            }
        }
    }
}

/// The coverage of a test run: rules shown firing and not firing, norms cited.
pub fn coverage(out: &mut String, cov: &Coverage) {
    let rules_ok = cov.rules.iter().filter(|r| r.fired && r.not_fired).count();
    let _ = writeln!(
        out,
        "\ncoverage: {rules_ok} of {} finding and exception rules fire in a test and are shown not firing in one",
        cov.rules.len()
    );
    for r in cov.rules.iter().filter(|r| !(r.fired && r.not_fired)) {
        let what = match (r.fired, r.not_fired) {
            (false, false) => "never fires and is never shown not firing",
            (false, true) => "never fires in a test (add an `expect`)",
            _ => "is never shown not firing (add an `expect_not`)",
        };
        let _ = writeln!(out, "  {} ({}, {}) {what}", r.id, r.kind, r.location);
    }
    let norms_ok = cov
        .norms
        .iter()
        .filter(|n| n.cited || n.context_only)
        .count();
    let _ = writeln!(
        out,
        "coverage: {norms_ok} of {} norm versions cited by a rule or context only",
        cov.norms.len()
    );
    for n in cov.norms.iter().filter(|n| !(n.cited || n.context_only)) {
        let _ = writeln!(
            out,
            "  {} ({}) is cited by no rule: cite it or mark it `context_only: true`",
            n.key, n.location
        );
    }
}

/// A test file's path below the knowledge directory, as `knowledge/<rel>`.
fn test_rel(kb: &KnowledgeBase, shown: &str) -> String {
    let p = std::path::Path::new(shown);
    let rel = kb.dir().and_then(|d| p.strip_prefix(d).ok()).unwrap_or(p);
    format!("knowledge/{}", rel.to_string_lossy().replace('\\', "/"))
}

pub(crate) fn kind_name(m: &RuleMeta) -> &'static str {
    testing::rule_kind(m).unwrap_or("reasoning")
}

/// Laws in the order the catalogue presents them, with their headings.
const LAWS: &[(&str, &str)] = &[
    ("gdpr", "GDPR (DSGVO)"),
    (
        "bdsg",
        "BDSG (Federal Data Protection Act, from 2018-05-25)",
    ),
    ("bdsg_old", "BDSG old version (until 2018-05-24)"),
    ("uwg", "UWG (Act against Unfair Competition)"),
    ("tmg", "TMG (Telemedia Act, until 2024-05-13)"),
    ("ddg", "DDG (Digitale-Dienste-Gesetz, from 2024-05-14)"),
    ("ttdsg", "TTDSG (until 2024-05-13)"),
    ("tdddg", "TDDDG (from 2024-05-14)"),
    ("urhg", "UrhG (Copyright Act)"),
    ("kug", "KUG (Kunsturhebergesetz: pictures of persons)"),
    ("guideline", "Company guidelines"),
    ("terms", "Platform terms"),
];

/// Sort key that orders `gdpr:4.11` before `gdpr:13` and `uwg:7a` after `uwg:7.3`: each unit
/// by its leading number, then by the rest of its text.
fn natural_key(id: &str) -> (String, Vec<(u64, String)>) {
    let (law, units) = id.split_once(':').unwrap_or((id, ""));
    let key = units
        .split('.')
        .map(|u| {
            let digits: String = u.chars().take_while(char::is_ascii_digit).collect();
            let n = digits.parse::<u64>().unwrap_or(u64::MAX);
            (n, u[digits.len()..].to_string())
        })
        .collect();
    (law.to_string(), key)
}

fn law_of(id: &str) -> &str {
    id.split(':').next().unwrap_or(id)
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The catalogue for humans (`docs/knowledge.md`): every law's norms with their versions
/// and the rules citing them, the rules with their tests, the authorities.
pub fn catalogue(kbx: &KnowledgeBase, files: &[TestFile]) -> String {
    let legal = kbx.catalogue();
    let tests = testing::tests_by_rule(files);
    let citing = kbx.citing_rules();
    let n_tests: usize = files.iter().map(|f| f.tests.len()).sum();
    let mut ids: Vec<&str> = legal.norms.iter().map(|n| n.id.as_str()).collect();
    ids.sort_by_key(|i| natural_key(i));
    ids.dedup();
    let mut laws: Vec<&str> = ids.iter().map(|i| law_of(i)).collect();
    laws.sort_by_key(|l| {
        (
            LAWS.iter().position(|(k, _)| k == l).unwrap_or(LAWS.len()),
            l.to_string(),
        )
    });
    laws.dedup();
    let heading = |l: &str| {
        LAWS.iter()
            .find(|(k, _)| *k == l)
            .map_or_else(|| l.to_string(), |(_, h)| h.to_string())
    };

    let mut o = String::new();
    o.push_str("# The knowledge base: norms, rules, tests, authorities\n\n");
    o.push_str("<!-- Generated by `sphere kb doc` from `knowledge/`; do not edit by hand. `UPDATE_GENERATED=1 cargo test -p sphere --test it kb::` rewrites it, and that test fails when it is stale. -->\n\n");
    let count = |k: &str| legal.rule_meta.iter().filter(|m| kind_name(m) == k).count();
    let _ = writeln!(
        o,
        "{} norms in {} versions, {} authorities, {} annotated rules ({} finding, {} exception, {} reasoning), {} rule tests. Each norm version lists its interval, citations and official source, then the rules that cite it; each rule lists its tests (`knowledge/<law>/<topic>.test.json`, run by `sphere kb test`). How to add to it: `docs/rule-writing.md`.\n",
        ids.len(),
        legal.norms.len(),
        legal.authorities.len(),
        legal.rule_meta.len(),
        count("finding"),
        count("exception"),
        count("reasoning"),
        n_tests
    );
    o.push_str("## Contents\n\n");
    for l in &laws {
        let _ = writeln!(o, "- [{}](#law-{l})", heading(l));
    }
    o.push_str("- [Rules](#rules)\n- [Authorities](#authorities)\n\n");

    for l in &laws {
        let _ = writeln!(o, "<a id=\"law-{l}\"></a>\n## {}\n", heading(l));
        for id in ids.iter().filter(|i| law_of(i) == *l) {
            let versions: Vec<usize> = (0..legal.norms.len())
                .filter(|&i| legal.norms[i].id == *id)
                .collect();
            let newest = versions.last().map(|&i| &legal.norms[i]);
            let _ = writeln!(
                o,
                "### `{id}` {}\n",
                newest.map_or(String::new(), |n| md(&n.title))
            );
            for &i in &versions {
                let n = &legal.norms[i];
                norm_markdown(&mut o, kbx, n, i, citing.get(&i).map(Vec::as_slice));
            }
            o.push('\n');
        }
    }

    o.push_str("<a id=\"rules\"></a>\n## Rules\n\n");
    let mut metas: Vec<&RuleMeta> = legal.rule_meta.iter().collect();
    metas.sort_by(|a, b| (kbx.rel(a.span), a.span.start).cmp(&(kbx.rel(b.span), b.span.start)));
    let mut current = "";
    for m in metas {
        let file = kbx.rel(m.span);
        if file != current {
            if !current.is_empty() {
                o.push('\n');
            }
            let _ = writeln!(o, "### `knowledge/{file}`\n");
            current = file;
        }
        let what = match &m.kind {
            RuleKind::Finding {
                severity, decision, ..
            } => format!(
                "finding, {}, severity {}",
                decision.as_str(),
                severity.as_str()
            ),
            RuleKind::Exception { to, .. } => format!("exception to `{to}`"),
            RuleKind::Reasoning => "reasoning".to_string(),
        };
        let _ = writeln!(o, "- **`{}`** ({what}), `{}`", m.id, kbx.place(m.span));
        if !m.norms.is_empty() {
            let n: Vec<String> = m
                .norms
                .iter()
                .map(|r| format!("`{}`", ref_text(r)))
                .collect();
            let _ = writeln!(o, "  - norms: {}", n.join(", "));
        }
        if !m.authorities.is_empty() {
            let a: Vec<String> = m.authorities.iter().map(|a| format!("`{a}`")).collect();
            let _ = writeln!(o, "  - authorities: {}", a.join(", "));
        }
        let w: Vec<String> = m
            .window
            .iter()
            .map(|&(a, b)| match b {
                Some(b) => format!("{a} to {b}"),
                None => format!("from {a}"),
            })
            .map(|s| s.replace(&Date::MIN.to_string(), "always"))
            .collect();
        if testing::rule_kind(m).is_some() {
            let _ = writeln!(
                o,
                "  - applies: {}",
                if w.is_empty() {
                    "never (empty window)".to_string()
                } else {
                    w.join("; ")
                }
            );
        }
        if let Some(t) = &m.message {
            let _ = writeln!(o, "  - message: {}", md(&t.en));
        }
        if let Some(c) = &m.contested {
            let _ = writeln!(o, "  - contested: {}", md(c));
        }
        if testing::rule_kind(m).is_some() {
            match tests.get(&m.id) {
                Some(ts) => {
                    let t: Vec<String> = ts
                        .iter()
                        .map(|(f, n)| format!("“{}” (`{}`)", md(n), test_rel(kbx, f)))
                        .collect();
                    let _ = writeln!(o, "  - tests: {}", t.join("; "));
                }
                None => {
                    let _ = writeln!(o, "  - tests: none");
                }
            }
        }
    }
    o.push('\n');

    o.push_str("<a id=\"authorities\"></a>\n## Authorities\n\n");
    let mut cited_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for m in &legal.rule_meta {
        for a in &m.authorities {
            cited_by.entry(a.as_str()).or_default().push(m.id.as_str());
        }
    }
    for (kind, title) in [
        (AuthorityKind::Ruling, "Rulings"),
        (AuthorityKind::Guidance, "Guidance"),
        (AuthorityKind::Guideline, "Company guidelines"),
    ] {
        let mut list: Vec<_> = legal
            .authorities
            .iter()
            .filter(|a| a.kind == kind)
            .collect();
        if list.is_empty() {
            continue;
        }
        list.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
        let _ = writeln!(o, "### {title}\n");
        for a in list {
            let _ = writeln!(
                o,
                "- **{}**{} (`{}`, `{}`)",
                md(&a.citation()),
                a.title
                    .as_ref()
                    .filter(|_| a.case.is_some())
                    .map_or(String::new(), |t| format!(", {}", md(t))),
                a.id,
                kbx.place(a.span)
            );
            let _ = writeln!(o, "  - holding: {}", md(&a.holding));
            let _ = writeln!(o, "  - source: <{}>", a.url);
            let mut rules = cited_by.get(a.id.as_str()).cloned().unwrap_or_default();
            rules.sort_unstable();
            rules.dedup();
            if rules.is_empty() {
                let _ = writeln!(o, "  - cited by: no rule");
            } else {
                let r: Vec<String> = rules.iter().map(|r| format!("`{r}`")).collect();
                let _ = writeln!(o, "  - cited by: {}", r.join(", "));
            }
        }
        o.push('\n');
    }
    while o.ends_with("\n\n") {
        o.pop();
    }
    o
}

fn norm_markdown(
    o: &mut String,
    kbx: &KnowledgeBase,
    n: &NormVersion,
    _index: usize,
    citing: Option<&[(&RuleMeta, &NormRef)]>,
) {
    let interval = match n.to {
        Some(t) => format!("{} to {t}", n.from),
        None => format!("from {}", n.from),
    };
    let _ = writeln!(
        o,
        "- **`{}`**, in force {interval}: {}",
        n.key(),
        md(&n.title)
    );
    let _ = writeln!(o, "  - de: {}; en: {}", md(&n.de), md(&n.en));
    if let Some(s) = &n.summary {
        let _ = writeln!(o, "  - summary: {}", md(s));
    }
    if let Some(r) = &n.replaced_by {
        let _ = writeln!(o, "  - replaced by `{}`", ref_text(r));
    }
    let _ = writeln!(o, "  - source: <{}> (`{}`)", n.source, kbx.place(n.span));
    if n.context_only {
        let _ = writeln!(o, "  - context only: cited by no rule on purpose");
    }
    match citing {
        Some(rules) if !rules.is_empty() => {
            let r: Vec<String> = rules
                .iter()
                .map(|(m, r)| format!("`{}` (as `{}`)", m.id, ref_text(r)))
                .collect();
            let _ = writeln!(o, "  - cited by: {}", r.join(", "));
        }
        _ if !n.context_only => {
            let _ = writeln!(o, "  - cited by: no rule");
        }
        _ => {}
    }
}
