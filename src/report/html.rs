//! The report as HTML: one self-contained file (no network access: styles, charts and the
//! picture of the leaks inline), print styles for "print to PDF", real headings and tables
//! with headers. Every key number is an element with `data-key` (its JSON path), followed by
//! links to the findings behind it; each finding of the period has an anchor whose details
//! hold its explanation.
//!
//! [`fragment`] is the report as an `<article>` for a page of another front end (with
//! [`CSS`]); [`page`] the whole document.

use std::fmt::Write as _;

use super::markdown::IDS_SHOWN;
use super::{key_word, trend_label, word, Count, Decisions, Report};
use crate::graph::draw::xml;

/// The report's styles (the picture's included).
pub fn css() -> String {
    format!(
        "{}{}",
        crate::graph::CSS,
        "
.sphere-report { font-family: Helvetica, Arial, sans-serif; color: #111; max-width: 70em; }
.sphere-report .num { font-weight: bold; text-align: right; }
.sphere-report .ids a, .sphere-report .ids code { font-family: monospace; font-size: 0.85em; margin-right: 0.4em; }
.sphere-report details { margin: 0.3em 0; border-left: 4px solid #bbb; padding-left: 0.5em; }
.sphere-report details.breach { border-color: #8e0000; }
.sphere-report details.block { border-color: #b34700; }
.sphere-report details.warn { border-color: #7a6200; }
.sphere-report pre { white-space: pre-wrap; font-size: 0.85em; background: #f6f6f6; padding: 0.5em; }
.sphere-report .chart { display: block; margin: 0.5em 0 1em; }
.sphere-report .meta { color: #444; font-size: 0.9em; }
@media print {
  .sphere-report { max-width: none; }
  .sphere-report section { break-inside: avoid-page; }
  .sphere-report details { break-inside: avoid; }
  .sphere-report details > pre { display: none; }
  .sphere-report a { color: inherit; text-decoration: none; }
}
"
    )
}

fn ids(c: &Count) -> String {
    let mut s: Vec<String> = c
        .ids
        .iter()
        .take(IDS_SHOWN)
        .map(|i| {
            // Findings have an anchor with their explanation; activities are named.
            if i.starts_with("F-") {
                format!("<a href=\"#{}\">{}</a>", xml(i), xml(i))
            } else {
                format!("<code>{}</code>", xml(i))
            }
        })
        .collect();
    if c.ids.len() > IDS_SHOWN {
        s.push(format!("… +{}", c.ids.len() - IDS_SHOWN));
    }
    s.join(" ")
}

/// A horizontal bar chart as inline SVG: one bar per (label, value), the value written at
/// the bar's end (colour is not the only signal).
fn bars(title: &str, rows: &[(String, usize)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let h = 22.0 * rows.len() as f64 + 10.0;
    let mut out = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"460\" height=\"{h:.0}\" viewBox=\"0 0 460 {h:.0}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        xml(title),
        xml(title)
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 5.0 + i as f64 * 22.0;
        let wdt = 280.0 * *v as f64 / max as f64;
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{:.0}\" font-size=\"12\">{}</text><rect x=\"130\" y=\"{y:.0}\" width=\"{wdt:.1}\" height=\"16\" fill=\"#5b7fb0\"/><text x=\"{:.1}\" y=\"{:.0}\" font-size=\"12\" font-weight=\"bold\">{v}</text>",
            y + 12.0,
            xml(label),
            135.0 + wdt,
            y + 12.0
        );
    }
    out.push_str("</svg>");
    out
}

/// The trend as grouped bars: this period solid, the previous one hatched-light, each with
/// its number.
fn trend_chart(title: &str, rows: &[(String, usize, usize)], now: &str, before: &str) -> String {
    let max = rows.iter().map(|r| r.1.max(r.2)).max().unwrap_or(0).max(1);
    let h = 34.0 * rows.len() as f64 + 30.0;
    let mut out = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"520\" height=\"{h:.0}\" viewBox=\"0 0 520 {h:.0}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        xml(title),
        xml(title)
    );
    let _ = write!(
        out,
        "<rect x=\"170\" y=\"2\" width=\"12\" height=\"10\" fill=\"#2f5d8a\"/><text x=\"186\" y=\"11\" font-size=\"11\">{}</text><rect x=\"300\" y=\"2\" width=\"12\" height=\"10\" fill=\"#c9d6e6\" stroke=\"#2f5d8a\"/><text x=\"316\" y=\"11\" font-size=\"11\">{}</text>",
        xml(now),
        xml(before)
    );
    for (i, (label, c, p)) in rows.iter().enumerate() {
        let y = 22.0 + i as f64 * 34.0;
        let wc = 280.0 * *c as f64 / max as f64;
        let wp = 280.0 * *p as f64 / max as f64;
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{:.0}\" font-size=\"12\">{}</text><rect x=\"170\" y=\"{y:.0}\" width=\"{wc:.1}\" height=\"13\" fill=\"#2f5d8a\"/><text x=\"{:.1}\" y=\"{:.0}\" font-size=\"11\" font-weight=\"bold\">{c}</text><rect x=\"170\" y=\"{:.0}\" width=\"{wp:.1}\" height=\"13\" fill=\"#c9d6e6\" stroke=\"#2f5d8a\"/><text x=\"{:.1}\" y=\"{:.0}\" font-size=\"11\">{p}</text>",
            y + 16.0,
            xml(label),
            175.0 + wc,
            y + 11.0,
            y + 14.0,
            175.0 + wp,
            y + 25.0
        );
    }
    out.push_str("</svg>");
    out
}

/// The report as an `<article>` (headings from `<h1>`), for embedding in a page that
/// includes [`css`].
pub fn fragment(r: &Report) -> String {
    let l = r.lang;
    let w = |en, de| word(l, en, de);
    let keys = r.key_numbers();
    let th = |a: &str, b: &str| {
        format!(
            "<thead><tr><th scope=\"col\"></th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>",
            xml(a),
            xml(b)
        )
    };
    let number = w("Number", "Anzahl");
    let findings_word = w("Findings behind it", "Zugehörige Ids");
    let row = |out: &mut String, key: &str, c: &Count| {
        if let Some((_, label, n)) = keys.iter().find(|(k, _, _)| k == key) {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td class=\"num\" data-key=\"{key}\">{n}</td><td class=\"ids\">{}</td></tr>",
                xml(label),
                ids(c)
            );
        }
    };
    let mut out = String::new();
    out.push_str("<article class=\"sphere-report\">\n");
    let _ = writeln!(
        out,
        "<h1>{} {} – {}</h1>\n<p class=\"meta\">{}: {} · kb <code>{}</code> · {} <code>{}</code></p>",
        xml(w("Weekly report", "Wochenbericht")),
        xml(&r.from),
        xml(&r.to),
        xml(w("As of", "Stand")),
        xml(&r.as_of),
        xml(&r.kb_digest),
        xml(w("model", "Modell")),
        xml(&r.model_digest)
    );

    let _ = writeln!(
        out,
        "<section aria-labelledby=\"s-activities\"><h2 id=\"s-activities\">{}</h2>",
        xml(w("Activities", "Tätigkeiten"))
    );
    let _ = writeln!(
        out,
        "<table>{}<tbody>",
        th(number, w("Activities", "Tätigkeiten"))
    );
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
    out.push_str("</tbody></table></section>\n");

    let _ = writeln!(
        out,
        "<section aria-labelledby=\"s-findings\"><h2 id=\"s-findings\">{}</h2>",
        xml(w("Findings", "Befunde"))
    );
    let _ = writeln!(out, "<table>{}<tbody>", th(number, findings_word));
    row(&mut out, "findings.total", &r.findings.total);
    row(&mut out, "findings.needs_action", &r.findings.needs_action);
    out.push_str("</tbody></table>\n");
    for (key, title, map) in [
        ("by_law", w("By law", "Nach Gesetz"), &r.findings.by_law),
        (
            "by_severity",
            w("By severity", "Nach Schwere"),
            &r.findings.by_severity,
        ),
        (
            "by_decision",
            w("By decision", "Nach Entscheidung"),
            &r.findings.by_decision,
        ),
    ] {
        let _ = writeln!(out, "<h3>{}</h3>", xml(title));
        if key != "by_decision" {
            let data: Vec<(String, usize)> =
                map.iter().map(|(k, c)| (key_word(l, k), c.count)).collect();
            out.push_str(&bars(title, &data));
            out.push('\n');
        }
        let _ = writeln!(out, "<table>{}<tbody>", th(number, findings_word));
        for (k, c) in map {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td class=\"num\" data-key=\"findings.{key}.{}\">{}</td><td class=\"ids\">{}</td></tr>",
                xml(&key_word(l, k)),
                xml(k),
                c.count,
                ids(c)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    let _ = writeln!(
        out,
        "<h3>{}</h3><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        xml(w("By norm", "Nach Norm")),
        xml(w("Norm", "Norm")),
        xml(w("Citation", "Zitat")),
        xml(number),
        xml(findings_word)
    );
    for (k, n) in &r.findings.by_norm {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td><td class=\"num\">{}</td><td class=\"ids\">{}</td></tr>",
            xml(k),
            xml(&n.citation),
            n.count.count,
            ids(&n.count)
        );
    }
    out.push_str("</tbody></table></section>\n");

    let _ = writeln!(
        out,
        "<section aria-labelledby=\"s-letters\"><h2 id=\"s-letters\">{}</h2>",
        xml(w("Warning letters (Abmahnung)", "Abmahnungen"))
    );
    let _ = writeln!(out, "<table>{}<tbody>", th(number, findings_word));
    row(&mut out, "warning_letters.total", &r.warning_letters.total);
    out.push_str("</tbody></table>\n");
    if !r.warning_letters.routes.is_empty() {
        let _ = writeln!(
            out,
            "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            xml(w("Law", "Gesetz")),
            xml(w("Who may claim", "Wer abmahnen kann")),
            xml(w("Breaches", "Verstöße")),
            xml(w("If the blocked plans went ahead", "Falls Gesperrtes stattfände"))
        );
        for rt in &r.warning_letters.routes {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td><span class=\"num\">{}</span> <span class=\"ids\">{}</span></td><td><span class=\"num\">{}</span> <span class=\"ids\">{}</span></td></tr>",
                xml(&rt.law),
                xml(&rt.who),
                rt.breaches.count,
                ids(&rt.breaches),
                rt.if_done.count,
                ids(&rt.if_done)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");

    let _ = writeln!(
        out,
        "<section aria-labelledby=\"s-fines\"><h2 id=\"s-fines\">{}</h2>",
        xml(w("Fines (Art. 83 GDPR)", "Bußgelder (Art. 83 DSGVO)"))
    );
    let _ = writeln!(out, "<table>{}<tbody>", th(number, findings_word));
    row(&mut out, "fines.art_83_5", &r.fines.art_83_5);
    row(&mut out, "fines.art_83_4", &r.fines.art_83_4);
    out.push_str("</tbody></table></section>\n");

    let _ = writeln!(
        out,
        "<section aria-labelledby=\"s-guidelines\"><h2 id=\"s-guidelines\">{}</h2>",
        xml(w("Company guidelines", "Unternehmensrichtlinien"))
    );
    let _ = writeln!(out, "<table>{}<tbody>", th(number, findings_word));
    row(&mut out, "guideline_breaches", &r.guideline_breaches);
    for g in &r.guidelines {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><code>{}</code></th><td class=\"num\">{}</td><td class=\"ids\">{}</td></tr>",
            xml(&g.guideline),
            g.count.count,
            ids(&g.count)
        );
    }
    out.push_str("</tbody></table></section>\n");

    let _ = writeln!(
        out,
        "<section aria-labelledby=\"s-decisions\"><h2 id=\"s-decisions\">{}</h2>",
        xml(w("DPO decisions", "Entscheidungen des DSB"))
    );
    match &r.decisions {
        Decisions::None => {
            let _ = writeln!(
                out,
                "<p data-key=\"decisions.journal\">{}</p>",
                xml(w(
                    "No journal: no decisions to report.",
                    "Kein Journal: keine Entscheidungen zu berichten."
                ))
            );
        }
        Decisions::Read {
            approved,
            rejected,
            pending,
            waiting,
            ..
        } => {
            let _ = writeln!(out, "<table>{}<tbody>", th(number, findings_word));
            row(&mut out, "decisions.approved", approved);
            row(&mut out, "decisions.rejected", rejected);
            row(&mut out, "decisions.pending", pending);
            out.push_str("</tbody></table>\n");
            if !waiting.is_empty() {
                let _ = writeln!(
                    out,
                    "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
                    xml(w("Finding", "Befund")),
                    xml(w("Activity", "Tätigkeit")),
                    xml(w("Blocked since", "Gesperrt seit")),
                    xml(w("Days waiting", "Tage wartend"))
                );
                for p in waiting {
                    let _ = writeln!(
                        out,
                        "<tr><th scope=\"row\"><a href=\"#{}\">{}</a></th><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                        xml(&p.finding),
                        xml(&p.finding),
                        xml(&p.activity),
                        xml(&p.since),
                        p.waiting_days
                    );
                }
                out.push_str("</tbody></table>\n");
            }
        }
    }
    out.push_str("</section>\n");

    let trend_title = format!(
        "{} ({} {} – {})",
        w("Trend", "Trend"),
        w("previous period", "Vorperiode"),
        r.trend.previous_from,
        r.trend.previous_to
    );
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"s-trend\"><h2 id=\"s-trend\">{}</h2>",
        xml(&trend_title)
    );
    let data: Vec<(String, usize, usize)> = r
        .trend
        .rows
        .iter()
        .map(|t| {
            (
                trend_label(&t.key, l).to_string(),
                t.current.count,
                t.previous.count,
            )
        })
        .collect();
    out.push_str(&trend_chart(
        &trend_title,
        &data,
        w("This period", "Diese Periode"),
        w("Previous", "Vorher"),
    ));
    let _ = writeln!(
        out,
        "\n<table><thead><tr><th scope=\"col\"></th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        xml(w("This period", "Diese Periode")),
        xml(w("Previous", "Vorher")),
        xml(w("Change", "Änderung"))
    );
    for t in &r.trend.rows {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"num\" data-key=\"trend.{}.current\">{}</td><td class=\"num\" data-key=\"trend.{}.previous\">{}</td><td class=\"num\">{:+}</td></tr>",
            xml(trend_label(&t.key, l)),
            t.key,
            t.current.count,
            t.key,
            t.previous.count,
            t.change
        );
    }
    out.push_str("</tbody></table></section>\n");

    if let Some(leaks) = &r.leaks {
        let _ = writeln!(
            out,
            "<section aria-labelledby=\"s-leaks\"><h2 id=\"s-leaks\">{}</h2>",
            xml(w("Leaks", "Lecks"))
        );
        if let Some((_, label, n)) = keys.iter().find(|(k, _, _)| k == "leaks") {
            let _ = writeln!(
                out,
                "<table><tbody><tr><th scope=\"row\">{}</th><td class=\"num\" data-key=\"leaks\">{n}</td><td class=\"ids\">{}</td></tr></tbody></table>",
                xml(label),
                leaks.iter().map(|k| format!("<code>{}</code>", xml(&k.id))).collect::<Vec<_>>().join(" ")
            );
        }
        if let Some(p) = &r.picture {
            out.push_str(&crate::graph::html_fragment(p, l, 3));
        }
        out.push_str("</section>\n");
    }

    let _ = writeln!(
        out,
        "<section aria-labelledby=\"s-list\"><h2 id=\"s-list\">{}</h2>",
        xml(w("Findings of the period", "Befunde der Periode"))
    );
    for f in &r.list {
        let _ = writeln!(
            out,
            "<details id=\"{}\" class=\"{}\"><summary><strong>{}</strong> <code>{}</code> [{}] {} ({}): {}</summary><p>{}: {}<br>{}: {}</p>{}</details>",
            xml(&f.id),
            xml(&f.decision),
            xml(&key_word(l, &f.decision).to_uppercase()),
            xml(&f.id),
            xml(&key_word(l, &f.severity)),
            xml(&f.about),
            xml(&f.date),
            xml(&f.message),
            xml(w("Cites", "Zitiert")),
            xml(&f.citations.join("; ")),
            xml(w("Remedy", "Abhilfe")),
            xml(&f.remedy),
            match &f.explanation {
                Some(e) => format!("<pre>{}</pre>", xml(e)),
                None => format!("<p><code>sphere explain MODEL {}</code></p>", xml(&f.id)),
            }
        );
    }
    out.push_str("</section>\n</article>\n");
    out
}

/// Opens the details of a finding when a link to it is followed (a click on an id). Inline,
/// so the file needs nothing from the network.
const SCRIPT: &str = "<script>
(function () {
  function open() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === 'DETAILS') { el.open = true; }
  }
  window.addEventListener('hashchange', open);
  open();
})();
</script>";

/// The report as a whole HTML document: one self-contained file.
pub fn page(r: &Report) -> String {
    let title = format!(
        "{} {} – {}",
        word(r.lang, "Weekly report", "Wochenbericht"),
        r.from,
        r.to
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>body {{ margin: 1.5em; }}{}</style>\n</head>\n<body>\n<main>\n{}</main>\n{SCRIPT}\n</body>\n</html>\n",
        r.lang.as_str(),
        xml(&title),
        css(),
        fragment(r)
    )
}
