//! Validation of model files (`sphere validate`): merged into one model, every problem at
//! once, or a summary. Several files are one merged model (model.md). One exception makes
//! `sphere validate facts/*.json` useful: when every file given is a complete model (each has
//! its own `organization`), each is validated on its own, since merging them could only fail.

use std::path::Path;

use sphere_model::{load_texts, parse_file, Model};

use crate::error::{Error, ErrorKind};
use crate::findings::Lang;

/// Reads model files as `(name, text)`; a file that cannot be read is a problem.
pub fn read(paths: &[impl AsRef<Path>]) -> Result<Vec<(String, String)>, Error> {
    // The one reader of model files: input limit, UTF-8 with the offset of a bad byte, `-`.
    sphere_model::load::read_files(paths)
        .map_err(|errors| Error::validation(ErrorKind::Model, errors))
}

/// Validates `(name, text)` files: merged into one model, or each on its own when every one
/// is complete. Returns the summary lines, or every problem.
pub fn validate_texts(
    refs: &[(&str, &str)],
    today: sphere_engine::Date,
) -> Result<Vec<String>, Error> {
    validate_texts_in(refs, today, Lang::En)
}

/// [`validate_texts`] in `lang`: the summary lines, or every problem said in `lang` (see
/// [`Error::in_lang`]).
pub fn validate_texts_in(
    refs: &[(&str, &str)],
    today: sphere_engine::Date,
    lang: Lang,
) -> Result<Vec<String>, Error> {
    if refs.len() > 1 && all_complete(refs) {
        let mut lines = Vec::new();
        let mut errors = Vec::new();
        for (name, text) in refs {
            match load_texts(&[(name, text)], today.into()) {
                Ok(model) => lines.push(format!("{name}: {}", summary_in(&model, 1, lang))),
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            return Err(Error::validation(ErrorKind::Model, errors).in_lang(lang));
        }
        lines.push(match lang {
            Lang::En => format!("ok: {} complete models, each valid on its own", refs.len()),
            Lang::De => format!(
                "gültig: {} vollständige Modelle, jedes für sich",
                refs.len()
            ),
        });
        Ok(lines)
    } else {
        load_texts(refs, today.into())
            .map(|model| vec![summary_in(&model, refs.len(), lang)])
            .map_err(|e| Error::validation(ErrorKind::Model, e).in_lang(lang))
    }
}

/// Whether every file parses and has its own organization.
fn all_complete(files: &[(&str, &str)]) -> bool {
    files.iter().all(|(name, text)| {
        let mut ignored = Vec::new();
        parse_file(name, text, &mut ignored).is_some_and(|f| f.organization.is_some())
    })
}

/// `ok: 2 files, 13 activities, ...`: the count of every non-empty list, in model order.
pub fn summary(model: &Model, files: usize) -> String {
    summary_in(model, files, Lang::En)
}

/// [`summary`] in `lang` (`gültig: 2 Dateien, 13 Verarbeitungstätigkeiten, ...`).
pub fn summary_in(model: &Model, files: usize, lang: Lang) -> String {
    // The count, the English word, the German word for one and for several.
    let counts = [
        (model.staff.len(), "staff", "Mitarbeiter", "Mitarbeiter"),
        (model.parties.len(), "parties", "Partei", "Parteien"),
        (model.systems.len(), "systems", "System", "Systeme"),
        (
            model.agreements.len(),
            "agreements",
            "Vereinbarung",
            "Vereinbarungen",
        ),
        (
            model.assessments.len(),
            "assessments",
            "Bewertung",
            "Bewertungen",
        ),
        (model.sources.len(), "sources", "Quelle", "Quellen"),
        (
            model.subjects.len(),
            "subjects",
            "betroffene Person",
            "betroffene Personen",
        ),
        (
            model.consents.len(),
            "consents",
            "Einwilligung",
            "Einwilligungen",
        ),
        (
            model.objections.len(),
            "objections",
            "Widerspruch",
            "Widersprüche",
        ),
        (
            model.notices.len(),
            "notices",
            "Datenschutzhinweis",
            "Datenschutzhinweise",
        ),
        (model.flows.len(), "flows", "Datenfluss", "Datenflüsse"),
        (
            model.activities.len(),
            "activities",
            "Verarbeitungstätigkeit",
            "Verarbeitungstätigkeiten",
        ),
        (model.campaigns.len(), "campaigns", "Kampagne", "Kampagnen"),
        (
            model.guidelines.len(),
            "guidelines",
            "Leitlinie",
            "Leitlinien",
        ),
    ];
    let counted = counts.iter().filter(|c| c.0 > 0);
    match lang {
        Lang::En => {
            let mut parts = vec![format!("{files} file{}", if files == 1 { "" } else { "s" })];
            parts.extend(counted.map(|(n, what, _, _)| format!("{n} {what}")));
            format!("ok: {} (as_of {})", parts.join(", "), model.as_of)
        }
        Lang::De => {
            let mut parts = vec![format!(
                "{files} {}",
                if files == 1 { "Datei" } else { "Dateien" }
            )];
            parts.extend(counted.map(|(n, _, one, several)| {
                format!("{n} {}", if *n == 1 { one } else { several })
            }));
            format!("gültig: {} (Stichtag {})", parts.join(", "), model.as_of)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(rel: &str) -> (String, String) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join(rel)).expect("fixture");
        (rel.to_string(), text)
    }

    fn today() -> sphere_engine::Date {
        sphere_engine::Date::parse("2025-01-01").expect("date")
    }

    fn refs(files: &[(String, String)]) -> Vec<(&str, &str)> {
        files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect()
    }

    /// `sphere validate facts/*.json` passes: every demo model is complete and valid.
    #[test]
    fn every_demo_model_validates_on_its_own() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(root.join("facts"))
            .expect("facts/")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        let files: Vec<_> = names.iter().map(|n| read(&format!("facts/{n}"))).collect();
        assert!(files.len() > 1);
        let lines = validate_texts(&refs(&files), today())
            .unwrap_or_else(|e| panic!("{}", e.render(false)));
        assert_eq!(lines.len(), files.len() + 1);
        let last = format!("ok: {} complete models, each valid on its own", files.len());
        assert_eq!(lines.last(), Some(&last));
    }

    #[test]
    fn fragments_are_merged_and_summarised() {
        let files = [
            read("tests/fixtures/model/merge/base.json"),
            read("tests/fixtures/model/merge/activities.json"),
        ];
        let lines = validate_texts(&refs(&files), today()).expect("valid");
        assert_eq!(
            lines,
            ["ok: 2 files, 1 staff, 1 sources, 1 subjects, 1 activities (as_of 2025-06-16)"]
        );
    }

    #[test]
    fn two_organizations_with_a_fragment_are_a_conflict_not_two_models() {
        let files = [
            read("tests/fixtures/model/merge/base.json"),
            read("tests/fixtures/model/merge/second_organization.json"),
            read("tests/fixtures/model/merge/activities.json"),
        ];
        let errors = validate_texts(&refs(&files), today()).expect_err("conflict");
        let codes: Vec<String> = errors
            .problems()
            .into_iter()
            .filter_map(|p| p.code)
            .collect();
        assert_eq!(codes, ["organization_conflict"]);
    }
}
