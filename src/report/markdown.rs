//! The report as Markdown: the same sections and numbers as the JSON and HTML forms.

use std::fmt::Write as _;

use super::{key_word, trend_label, word, Count, Decisions, Report};

/// At most this many ids follow a number in Markdown and HTML; the JSON form has them all.
pub const IDS_SHOWN: usize = 50;

fn ids(c: &Count) -> String {
    let mut s: Vec<String> = c
        .ids
        .iter()
        .take(IDS_SHOWN)
        .map(|i| format!("`{i}`"))
        .collect();
    if c.ids.len() > IDS_SHOWN {
        s.push(format!("… +{}", c.ids.len() - IDS_SHOWN));
    }
    s.join(" ")
}

/// The ids in parentheses, or nothing for none.
fn paren(c: &Count) -> String {
    if c.ids.is_empty() {
        String::new()
    } else {
        format!("({})", ids(c))
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report as a Markdown document.
pub fn markdown(r: &Report) -> String {
    let l = r.lang;
    let w = |en, de| word(l, en, de);
    let keys = r.key_numbers();
    let row = |out: &mut String, key: &str, c: &Count| {
        if let Some((_, label, n)) = keys.iter().find(|(k, _, _)| k == key) {
            let _ = writeln!(out, "| {label} | {n} | {} |", ids(c));
        }
    };
    let head = |out: &mut String| {
        let _ = writeln!(
            out,
            "| | {} | {} |\n|---|---:|---|",
            w("Number", "Anzahl"),
            w("Ids", "Ids")
        );
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} {} – {}\n",
        w("Weekly report", "Wochenbericht"),
        r.from,
        r.to
    );
    let _ = writeln!(
        out,
        "{}: {} · kb `{}` · {} `{}`\n",
        w("As of", "Stand"),
        r.as_of,
        r.kb_digest,
        w("model", "Modell"),
        r.model_digest
    );

    let _ = writeln!(out, "## {}\n", w("Activities", "Tätigkeiten"));
    head(&mut out);
    row(&mut out, "activities.total", &r.activities.total);
    row(&mut out, "activities.done", &r.activities.done);
    row(&mut out, "activities.planned", &r.activities.planned);
    row(
        &mut out,
        "activities.personal_data",
        &r.activities.personal_data,
    );
    row(
        &mut out,
        "activities.with_findings",
        &r.activities.with_findings,
    );

    let _ = writeln!(out, "\n## {}\n", w("Findings", "Befunde"));
    head(&mut out);
    row(&mut out, "findings.total", &r.findings.total);
    row(&mut out, "findings.needs_action", &r.findings.needs_action);
    for (title, map) in [
        (
            w("By decision", "Nach Entscheidung"),
            &r.findings.by_decision,
        ),
        (w("By law", "Nach Gesetz"), &r.findings.by_law),
        (w("By severity", "Nach Schwere"), &r.findings.by_severity),
    ] {
        let _ = writeln!(out, "\n### {title}\n");
        head(&mut out);
        for (k, c) in map {
            let _ = writeln!(out, "| {} | {} | {} |", key_word(l, k), c.count, ids(c));
        }
    }
    let _ = writeln!(out, "\n### {}\n", w("By norm", "Nach Norm"));
    let _ = writeln!(
        out,
        "| {} | {} | {} | Ids |\n|---|---|---:|---|",
        w("Norm", "Norm"),
        w("Citation", "Zitat"),
        w("Number", "Anzahl")
    );
    for (k, n) in &r.findings.by_norm {
        let _ = writeln!(
            out,
            "| `{k}` | {} | {} | {} |",
            cell(&n.citation),
            n.count.count,
            ids(&n.count)
        );
    }

    let _ = writeln!(
        out,
        "\n## {}\n",
        w("Warning letters (Abmahnung)", "Abmahnungen")
    );
    head(&mut out);
    row(&mut out, "warning_letters.total", &r.warning_letters.total);
    if !r.warning_letters.routes.is_empty() {
        let _ = writeln!(
            out,
            "\n| {} | {} | {} | {} |\n|---|---|---:|---:|",
            w("Law", "Gesetz"),
            w("Who may claim", "Wer abmahnen kann"),
            w("Breaches", "Verstöße"),
            w(
                "If the blocked plans went ahead",
                "Falls Gesperrtes stattfände"
            )
        );
        for rt in &r.warning_letters.routes {
            let _ = writeln!(
                out,
                "| {} | {} | {} {} | {} {} |",
                rt.law,
                cell(&rt.who),
                rt.breaches.count,
                paren(&rt.breaches),
                rt.if_done.count,
                paren(&rt.if_done)
            );
        }
    }

    let _ = writeln!(
        out,
        "\n## {}\n",
        w("Fines (Art. 83 GDPR)", "Bußgelder (Art. 83 DSGVO)")
    );
    head(&mut out);
    row(&mut out, "fines.art_83_5", &r.fines.art_83_5);
    row(&mut out, "fines.art_83_4", &r.fines.art_83_4);

    let _ = writeln!(
        out,
        "\n## {}\n",
        w("Company guidelines", "Unternehmensrichtlinien")
    );
    head(&mut out);
    row(&mut out, "guideline_breaches", &r.guideline_breaches);
    for g in &r.guidelines {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            g.guideline,
            g.count.count,
            ids(&g.count)
        );
    }

    let _ = writeln!(
        out,
        "\n## {}\n",
        w("DPO decisions", "Entscheidungen des DSB")
    );
    match &r.decisions {
        Decisions::None => {
            let _ = writeln!(
                out,
                "{}",
                w(
                    "No journal: no decisions to report.",
                    "Kein Journal: keine Entscheidungen zu berichten."
                )
            );
        }
        Decisions::Read {
            approved,
            rejected,
            pending,
            waiting,
            ..
        } => {
            head(&mut out);
            row(&mut out, "decisions.approved", approved);
            row(&mut out, "decisions.rejected", rejected);
            row(&mut out, "decisions.pending", pending);
            if !waiting.is_empty() {
                let _ = writeln!(
                    out,
                    "\n| {} | {} | {} | {} |\n|---|---|---|---:|",
                    w("Finding", "Befund"),
                    w("Activity", "Tätigkeit"),
                    w("Blocked since", "Gesperrt seit"),
                    w("Days waiting", "Tage wartend")
                );
                for p in waiting {
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | {} |",
                        p.finding, p.activity, p.since, p.waiting_days
                    );
                }
            }
        }
    }

    let _ = writeln!(
        out,
        "\n## {} ({} {} – {})\n",
        w("Trend", "Trend"),
        w("previous period", "Vorperiode"),
        r.trend.previous_from,
        r.trend.previous_to
    );
    let _ = writeln!(
        out,
        "| | {} | {} | {} |\n|---|---:|---:|---:|",
        w("This period", "Diese Periode"),
        w("Previous", "Vorher"),
        w("Change", "Änderung")
    );
    for t in &r.trend.rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:+} |",
            trend_label(&t.key, l),
            t.current.count,
            t.previous.count,
            t.change
        );
    }

    if let Some(leaks) = &r.leaks {
        let _ = writeln!(out, "\n## {}\n", w("Leaks", "Lecks"));
        if let Some((_, label, n)) = keys.iter().find(|(k, _, _)| k == "leaks") {
            let _ = writeln!(
                out,
                "| | {} |\n|---|---:|\n| {label} | {n} |\n",
                w("Number", "Anzahl")
            );
        }
        for k in leaks {
            let f: String = k.findings.iter().map(|i| format!(" `{i}`")).collect();
            let _ = writeln!(out, "- `{}`: {}{f}", k.id, key_word(l, &k.kind));
        }
        let _ = writeln!(
            out,
            "\n{}",
            w(
                "The picture is in the HTML form (`--format html`) and from `sphere graph`.",
                "Das Bild steht in der HTML-Form (`--format html`) und in `sphere graph`."
            )
        );
    }

    let _ = writeln!(
        out,
        "\n## {}\n",
        w("Findings of the period", "Befunde der Periode")
    );
    for f in &r.list {
        let _ = writeln!(
            out,
            "- **{}** `{}` [{}] {} ({}): {}  \n  {}: {}  \n  {}: {}",
            key_word(l, &f.decision).to_uppercase(),
            f.id,
            key_word(l, &f.severity),
            f.about,
            f.date,
            cell(&f.message),
            w("cites", "zitiert"),
            cell(&f.citations.join("; ")),
            w("remedy", "Abhilfe"),
            cell(&f.remedy)
        );
    }
    out
}
