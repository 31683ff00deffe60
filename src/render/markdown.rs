//! Markdown: the findings of `sphere check --format md`, one table row per finding.

use std::fmt::Write as _;

use crate::findings::Lang;
use crate::outcome::Outcome;

/// A heading with the evaluation date and a table of the findings.
pub fn findings(outcome: &Outcome<'_>, lang: Lang) -> String {
    let (title, as_of, none, head) = match lang {
        Lang::En => (
            "Findings",
            "as of",
            "No findings.",
            "| decision | severity | about | norms | message | remedy | id |",
        ),
        Lang::De => (
            "Befunde",
            "Stichtag",
            "Keine Befunde.",
            "| Entscheidung | Schwere | betrifft | Normen | Meldung | Abhilfe | Kennung |",
        ),
    };
    let mut out = format!("# {title} ({as_of} {})\n\n", outcome.as_of());
    let found = outcome.findings();
    if found.is_empty() {
        out.push_str(none);
        out.push('\n');
        return out;
    }
    out.push_str(head);
    out.push_str("\n|---|---|---|---|---|---|---|\n");
    for f in found {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | `{}` |",
            crate::report::key_word(lang, f.decision.as_str()),
            crate::render::text::severity_word(f.severity, lang),
            f.about_id(),
            f.citations(lang).join("; "),
            f.message.get(lang).replace('|', "\\|"),
            f.remedy.get(lang).replace('|', "\\|"),
            f.id
        );
    }
    out
}
