//! Markdown: the findings of `sphere check --format md`, one table row per finding.

use std::fmt::Write as _;

use crate::findings::Lang;
use crate::outcome::Outcome;

/// A heading with the evaluation date and a table of the findings.
pub fn findings(outcome: &Outcome<'_>, lang: Lang) -> String {
    let mut out = format!("# Findings (as of {})\n\n", outcome.as_of());
    let found = outcome.findings();
    if found.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    out.push_str("| decision | severity | about | norms | message | remedy | id |\n|---|---|---|---|---|---|---|\n");
    for f in found {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | `{}` |",
            f.decision,
            f.severity,
            f.about_id(),
            f.citations(lang).join("; "),
            f.message.get(lang).replace('|', "\\|"),
            f.remedy.get(lang).replace('|', "\\|"),
            f.id
        );
    }
    out
}
