//! A company model ready to evaluate: loaded from texts, readers or files (several merged
//! into one, as `docs/model.md` describes), or read from a `sphere-facts/1` export; its facts
//! extracted once, its digest and evaluation date known.
//!
//! Every text has a name (a file path, or whatever a server calls a request body): problems
//! name it with a JSON path, and explanations say which fact came from where in it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use sphere_engine::Date;
use sphere_model::extract::{extract, FactValue, Facts};
use sphere_model::{Origin, ValidationError};

use crate::error::{Error, ErrorKind, Result};
use crate::facts::FactSource;

/// A model (or a facts export) with its facts.
#[derive(Clone, Debug)]
pub struct Model {
    /// The company model; `None` for a facts export, which has no JSON form.
    company: Option<sphere_model::Model>,
    /// Extracted on first use, so that [`Model::with_as_of`] right after loading costs no
    /// second extraction.
    facts: OnceLock<Arc<Facts>>,
    as_of: Date,
    /// Given when loaded from texts or facts; of the JSON form, computed on first use, for a
    /// model built in code (a session's changed model needs it only for a receipt).
    digest: OnceLock<String>,
}

impl Model {
    /// Loads one model text. `today` is the evaluation date of a model without `as_of`.
    pub fn from_text(name: &str, text: &str, today: Date) -> Result<Model> {
        Self::from_texts(&[(name, text)], today)
    }

    /// Loads model texts `(name, JSON)`, merged into one model, and validates it: every
    /// problem of every text is in the error.
    pub fn from_texts(texts: &[(&str, &str)], today: Date) -> Result<Model> {
        let company = sphere_model::load_texts(texts, today.into())
            .map_err(|e| Error::validation(ErrorKind::Model, e))?;
        let mut h = crate::digest::Fnv::default();
        for (_, text) in texts {
            h.write(text.as_bytes()).write(&[0]);
        }
        Ok(Self::from_company(company, h.hex()))
    }

    /// Loads a model from a reader (a request body, stdin) named `name`.
    pub fn from_reader(name: &str, mut reader: impl Read, today: Date) -> Result<Model> {
        let mut text = String::new();
        reader.read_to_string(&mut text).map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot read {name}: {e}"))
                .with_hint("a model is UTF-8 JSON text")
        })?;
        Self::from_text(name, &text, today)
    }

    /// Loads model files (named as given, in messages and origins), merged into one model.
    pub fn from_files(files: &[impl AsRef<Path>], today: Date) -> Result<Model> {
        if files.is_empty() {
            return Err(Error::texts(
                ErrorKind::Usage,
                crate::Texts::new("no model given", "kein Modell angegeben"),
            )
            .with_hint_texts(crate::Texts::new(
                "name one or more model files, e.g. `sphere check facts/s04_phone_call.json`, or a facts export with `--facts DIR`",
                "eine oder mehrere Modelldateien nennen, z. B. `sphere check facts/s04_phone_call.json`, oder einen Faktenexport mit `--facts DIR`",
            )));
        }
        let texts = sphere_model::load::read_files(files)
            .map_err(|e| Error::validation(ErrorKind::Model, e))?;
        let refs: Vec<(&str, &str)> = texts
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        Self::from_texts(&refs, today)
    }

    /// Reads a `sphere-facts/1` export (written by `sphere facts`, or by a CRM). Its evaluation
    /// date is its `as_of` fact, else `today`.
    pub fn from_facts_dir(dir: &Path, today: Date) -> Result<Model> {
        let facts = sphere_model::facts_io::read_facts_dir(dir)
            .map_err(|e| Error::validation(ErrorKind::Facts, e))?;
        let as_of = facts
            .rows("as_of")
            .first()
            .and_then(|(v, _)| match v.first() {
                Some(FactValue::Date(d)) => Some(*d),
                _ => None,
            })
            .unwrap_or(today);
        let digest = digest_facts(&facts);
        Ok(Model {
            company: None,
            facts: OnceLock::from(Arc::new(facts)),
            as_of,
            digest: OnceLock::from(digest),
        })
    }

    /// A model built in code (or changed by a session): extracted now. Its digest is that of
    /// its JSON form.
    pub fn from_model(company: sphere_model::Model) -> Model {
        Model {
            as_of: company.as_of.into(),
            company: Some(company),
            facts: OnceLock::new(),
            digest: OnceLock::new(),
        }
    }

    fn from_company(company: sphere_model::Model, digest: String) -> Model {
        Model {
            as_of: company.as_of.into(),
            company: Some(company),
            facts: OnceLock::new(),
            digest: OnceLock::from(digest),
        }
    }

    /// A part of this model (a slice of its components), evaluated in its stead for the
    /// findings about them: it carries the whole model's digest and date.
    pub(crate) fn part(&self, company: sphere_model::Model) -> Model {
        Model {
            as_of: self.as_of,
            company: Some(company),
            facts: OnceLock::new(),
            digest: OnceLock::from(self.digest().to_string()),
        }
    }

    /// A part of this model changed by a session: it carries the changed model's digest.
    pub(crate) fn part_with_digest(&self, company: sphere_model::Model, digest: &str) -> Model {
        Model {
            as_of: self.as_of,
            company: Some(company),
            facts: OnceLock::new(),
            digest: OnceLock::from(digest.to_string()),
        }
    }

    /// Changes the company model in place (a session's change, checked before): the facts
    /// are extracted again when next asked for, and the digest is `digest`. `None` for a
    /// facts export.
    pub(crate) fn change_company<R>(
        &mut self,
        digest: String,
        change: impl FnOnce(&mut sphere_model::Model) -> R,
    ) -> Option<R> {
        let company = self.company.as_mut()?;
        let out = change(company);
        self.facts = OnceLock::new();
        self.digest = OnceLock::from(digest);
        Some(out)
    }

    /// [`Model::from_model`] with a digest given (a session's changed model: the digest of
    /// the model it changed and of the changes).
    pub(crate) fn from_model_with_digest(company: sphere_model::Model, digest: String) -> Model {
        Model::from_company(company, digest)
    }

    /// The same model evaluated on another date: what was planned without a date happens
    /// then, and obligations not tied to one act are judged then. For a facts export, the
    /// `as_of` fact is replaced.
    pub fn with_as_of(self, as_of: Date) -> Model {
        if as_of == self.as_of {
            return self;
        }
        match self.company {
            Some(mut company) => {
                company.as_of = as_of.into();
                Model {
                    company: Some(company),
                    facts: OnceLock::new(),
                    as_of,
                    digest: self.digest,
                }
            }
            None => {
                let facts = self.shared_facts();
                let mut facts = Arc::unwrap_or_clone(facts);
                facts.replace(
                    "as_of",
                    &[(
                        vec![FactValue::Date(as_of)],
                        Origin {
                            file: "--as-of".into(),
                            path: "$".into(),
                        },
                    )],
                );
                Model {
                    company: None,
                    facts: OnceLock::from(Arc::new(facts)),
                    as_of,
                    digest: self.digest,
                }
            }
        }
    }

    /// The model reduced to its facts, for one evaluation of a large model: the company model
    /// (as large as the facts) is dropped once they are extracted. What needs the company
    /// model afterwards ([`Model::company`], [`Model::to_json`], [`Model::with_as_of`]'s
    /// re-extraction) then works as for a facts export.
    pub fn into_facts_only(self) -> Model {
        let facts = self.shared_facts();
        self.digest();
        Model {
            company: None,
            facts: OnceLock::from(facts),
            as_of: self.as_of,
            digest: self.digest,
        }
    }

    /// The evaluation date.
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// `model_digest`: of the texts as given (of the facts, for an export).
    pub fn digest(&self) -> &str {
        self.digest.get_or_init(|| {
            self.company
                .as_ref()
                .and_then(|c| serde_json::to_string(c).ok())
                .map(|json| crate::digest::Fnv::default().write(json.as_bytes()).hex())
                .unwrap_or_default()
        })
    }

    /// The company model; `None` for a facts export.
    pub fn company(&self) -> Option<&sphere_model::Model> {
        self.company.as_ref()
    }

    /// The extracted facts, each with its origin (file and JSON path, or file and line).
    pub fn facts(&self) -> &Facts {
        self.facts_arc()
    }

    fn facts_arc(&self) -> &Arc<Facts> {
        self.facts.get_or_init(|| {
            let company = self
                .company
                .as_ref()
                .expect("a model without facts has a company model to extract them from");
            Arc::new(extract(company))
        })
    }

    pub(crate) fn shared_facts(&self) -> Arc<Facts> {
        Arc::clone(self.facts_arc())
    }

    /// Where an evaluation reads the facts: the facts when they were extracted already (or
    /// read from an export), else the company model, extracted straight into the database.
    pub(crate) fn fact_source(&self) -> FactSource<'_> {
        match (self.facts.get(), &self.company) {
            (None, Some(company)) => FactSource::Company(company),
            _ => FactSource::Facts(self.facts_arc()),
        }
    }

    /// The model as one JSON document (in the newest format version of the files it was read
    /// from, `sphere-model/2` or `sphere-model/1`), for writing a changed model back.
    pub fn to_json(&self) -> Result<String> {
        let company = self.company.as_ref().ok_or_else(|| {
            Error::texts(
                ErrorKind::Usage,
                crate::Texts::new(
                    "a facts export has no model JSON to write",
                    "ein Faktenexport hat kein Modell-JSON, das sich schreiben ließe",
                ),
            )
            .with_hint_texts(crate::Texts::new(
                "load the model files instead of the facts export",
                "statt des Faktenexports die Modelldateien laden",
            ))
        })?;
        serde_json::to_string_pretty(company)
            .map(|s| s + "\n")
            .map_err(|e| {
                Error::new(
                    ErrorKind::Evaluation,
                    format!("cannot write the model: {e}"),
                )
            })
    }
}

/// Reads model files and merges them, as [`Model::from_files`], without extracting facts: for
/// tools that need only the model (the graph, the facts export, validation).
pub fn load_company(files: &[PathBuf], today: Date) -> Result<sphere_model::Model> {
    sphere_model::load_paths(files, today.into())
        .map_err(|e: Vec<ValidationError>| Error::validation(ErrorKind::Model, e))
}

fn digest_facts(facts: &Facts) -> String {
    let mut h = crate::digest::Fnv::default();
    for (name, rows) in facts.relations() {
        h.write(name.as_bytes()).write(&[0]);
        for i in 0..rows.len() {
            for v in rows.values(i) {
                h.write(v.to_string().as_bytes()).write(&[1]);
            }
        }
    }
    h.hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::parse("2025-01-01").expect("date")
    }

    #[test]
    fn a_bad_model_text_names_its_json_path_and_gives_a_hint() {
        let good = include_str!("../facts/s04_phone_call.json");
        // Karl, the first subject, a consumer in Germany: his country written as ISO alpha-3.
        let karl = "\"kind\": \"consumer\",\n      \"country\": \"DE\"";
        assert!(good.contains(karl), "the fixture has Karl's country");
        let text = good.replacen(
            karl,
            "\"kind\": \"consumer\",\n      \"country\": \"DEU\"",
            1,
        );
        let e = Model::from_text("request.json", &text, today()).expect_err("bad country");
        assert_eq!(e.kind(), ErrorKind::Model);
        let p = &e.problems()[0];
        assert_eq!(p.file.as_deref(), Some("request.json"));
        assert_eq!(
            p.place,
            crate::error::Place::Path("$.subjects[0].country".into())
        );
        assert_eq!(p.code.as_deref(), Some("unknown_country"));
        assert!(p.hint.is_some(), "{p:?}");
        assert!(e
            .render(false)
            .contains("request.json: $.subjects[0].country"));
        Model::from_text("request.json", good, today()).expect("the unchanged model is valid");
    }

    #[test]
    fn a_model_reduced_to_its_facts_keeps_facts_digest_and_date() {
        let text = include_str!("../facts/s04_phone_call.json");
        let model = Model::from_text("s04.json", text, today()).expect("valid");
        let facts = model.facts().clone();
        let (digest, as_of) = (model.digest().to_string(), model.as_of());
        let json = model.to_json().expect("a company model has a JSON form");
        let values = |f: &sphere_model::extract::Facts| -> Vec<(String, Vec<String>)> {
            f.relations()
                .flat_map(|(r, rows)| {
                    rows.iter().map(move |(v, _)| {
                        (r.to_string(), v.iter().map(|x| x.to_string()).collect())
                    })
                })
                .collect()
        };
        let again = Model::from_text("again.json", &json, today()).expect("its JSON reads back");
        assert_eq!(
            values(again.facts()),
            values(&facts),
            "the same facts from its JSON"
        );
        let reduced = model.into_facts_only();
        assert!(reduced.company().is_none());
        assert_eq!(reduced.facts(), &facts);
        assert_eq!(
            (reduced.digest(), reduced.as_of()),
            (digest.as_str(), as_of)
        );
        assert_eq!(
            reduced.to_json().map_err(|e| e.kind()).err(),
            Some(ErrorKind::Usage)
        );
    }

    #[test]
    fn no_files_is_a_usage_error_with_a_hint() {
        let none: [&str; 0] = [];
        let e = Model::from_files(&none, today()).expect_err("nothing to load");
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(e.hint().is_some());
    }

    /// The findings of one evaluation, reduced to what must not depend on the input form.
    fn findings_of(kb: &crate::KnowledgeBase, model: &Model) -> Vec<String> {
        let outcome = kb
            .evaluate(model, &crate::EvalOptions::default())
            .expect("evaluates");
        let mut out: Vec<String> = outcome
            .findings()
            .iter()
            .map(|f| {
                let norms: Vec<&str> = f.norms.iter().map(|n| n.id.as_str()).collect();
                format!(
                    "{} {} {:?} {} {} {norms:?} {}",
                    f.rule,
                    f.about_id(),
                    f.subjects,
                    f.date,
                    f.decision,
                    f.message.en
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Model → facts export → evaluation gives the same findings as evaluating the model.
    #[test]
    fn a_facts_export_gives_the_same_findings_as_its_model() {
        let kb = crate::KnowledgeBase::shipped().expect("compiles");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut models: Vec<PathBuf> = std::fs::read_dir(root.join("facts"))
            .expect("facts/")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        models.sort();
        let dir =
            std::env::temp_dir().join(format!("sphere-facts-roundtrip-{}", std::process::id()));
        let mut total = 0;
        for path in models {
            let _ = std::fs::remove_dir_all(&dir);
            let model = Model::from_files(&[&path], today()).expect("demo models are valid");
            let direct = findings_of(&kb, &model);
            sphere_model::write_facts_dir(model.facts(), &dir).expect("writes");
            let export = Model::from_facts_dir(&dir, today()).expect("reads back");
            assert_eq!(export.as_of(), model.as_of(), "{}", path.display());
            assert_eq!(direct, findings_of(&kb, &export), "{}", path.display());
            total += direct.len();
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            total > 0,
            "the demo models produce findings, so the comparison means something"
        );
    }
}
