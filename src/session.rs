//! One evaluation of the knowledge base on a company model: load and validate the model (or a
//! facts export), compile the knowledge base (plus `--rules` files), insert the facts (plus
//! `--assume` facts), evaluate with provenance. Shared by `check`, `explain`, `gate`, the REPL.

use std::path::PathBuf;

use sphere_engine::eval::{evaluate, Database, EvalOptions, Evaluation};
use sphere_engine::ir::{Program, RelId};
use sphere_engine::{compile, parse_query, CompileOptions, Date, QueryArg, SourceMap, Value};
use sphere_model::extract::{extract, FactValue, Facts};

use crate::findings::{Origin, Origins};
use crate::kb;

/// What to evaluate.
#[derive(Clone, Debug)]
pub struct Request {
    /// Model files (merged into one model).
    pub models: Vec<PathBuf>,
    /// A `sphere-facts/1` export to evaluate instead of a model.
    pub facts_dir: Option<PathBuf>,
    /// Overrides the model's `as_of`.
    pub as_of: Option<Date>,
    pub kb: kb::Origin,
    /// Extra rule files (run by the interpreter).
    pub rules: Vec<PathBuf>,
    /// Facts to assume (what-if), as atoms: `consent_channel("c1", "phone")`.
    pub assume: Vec<String>,
    /// The date that stands for "today" where the model sets no `as_of`.
    pub today: Date,
    /// Colour in rendered diagnostics.
    pub color: bool,
}

/// Why a session could not be set up: everything already rendered for stderr.
#[derive(Debug)]
pub struct Failure {
    pub rendered: String,
}

impl Failure {
    fn msg(message: impl Into<String>, hint: Option<&str>) -> Failure {
        let mut rendered = format!("error: {}\n", message.into());
        if let Some(h) = hint {
            rendered.push_str(&format!("  hint: {h}\n"));
        }
        Failure { rendered }
    }
}

/// A compiled knowledge base with the facts of one model.
pub struct Session {
    pub sources: SourceMap,
    pub program: Program,
    pub facts: Facts,
    pub as_of: Date,
    pub kb_digest: String,
    pub model_digest: String,
    /// The assumed facts, resolved.
    pub assumed: Vec<Assumption>,
    /// Measure each rule's cost when the interpreter runs (`check --stats`).
    pub profile: bool,
}

impl Session {
    pub fn load(req: &Request) -> Result<Session, Failure> {
        // The model, or a facts export.
        let (facts, as_of, model_digest) = if let Some(dir) = &req.facts_dir {
            let facts = sphere_model::facts_io::read_facts_dir(dir).map_err(|errs| Failure {
                rendered: sphere_model::render(&errs),
            })?;
            let as_of = facts
                .rows("as_of")
                .first()
                .and_then(|(v, _)| match v.first() {
                    Some(FactValue::Date(d)) => Some(*d),
                    _ => None,
                })
                .or(req.as_of)
                .unwrap_or(req.today);
            let digest = digest_facts(&facts);
            (facts, as_of, digest)
        } else {
            if req.models.is_empty() {
                return Err(Failure::msg(
                    "no model given",
                    Some("name one or more model files, e.g. `sphere check facts/s04_phone_call.json`, or a facts export with `--facts DIR`"),
                ));
            }
            let mut model =
                sphere_model::load_paths(&req.models, req.today.into()).map_err(|errs| {
                    Failure {
                        rendered: sphere_model::render(&errs),
                    }
                })?;
            if let Some(d) = req.as_of {
                model.as_of = d.into();
            }
            let digest = digest_files(&req.models);
            (extract(&model), model.as_of.into(), digest)
        };
        let mut facts = facts;
        if let (Some(_), Some(d)) = (&req.facts_dir, req.as_of) {
            // `--as-of` with a facts export replaces the exported evaluation date.
            facts.relations.insert(
                "as_of".into(),
                vec![(
                    vec![FactValue::Date(d)],
                    sphere_model::Origin {
                        file: "--as-of".into(),
                        path: "$".into(),
                    },
                )],
            );
        }

        // The knowledge base.
        let kb_sources = kb::sources(&req.kb).map_err(|e| Failure::msg(e, None))?;
        let kb_digest = kb::digest(&kb_sources);
        let mut sources = SourceMap::new();
        for s in &kb_sources {
            sources.add(s.name.clone(), s.text.clone());
        }
        for f in &req.rules {
            let text = std::fs::read_to_string(f).map_err(|e| {
                Failure::msg(
                    format!("cannot read rules file {}: {e}", f.display()),
                    Some("check the path given to --rules"),
                )
            })?;
            sources.add(f.display().to_string(), text);
        }
        let compiled = compile(&sources, &CompileOptions::default());
        let program = match compiled.program {
            Some(p) if !compiled.diagnostics.iter().any(|d| d.is_error()) => p,
            _ => {
                let rendered = sphere_engine::diag::render(
                    &compiled.diagnostics,
                    &sources,
                    sphere_engine::diag::RenderOptions { color: req.color },
                );
                return Err(Failure { rendered });
            }
        };

        // Assumptions: ground atoms, checked against the program now, interned later.
        let mut assumed = Vec::new();
        let mut qsources = sources.clone();
        for text in &req.assume {
            let q = parse_query(text, &program, &mut qsources).map_err(|d| Failure {
                rendered: sphere_engine::diag::render(
                    &d,
                    &qsources,
                    sphere_engine::diag::RenderOptions { color: req.color },
                ),
            })?;
            if let Some(i) = q
                .args
                .iter()
                .position(|a| matches!(a, QueryArg::Var(_) | QueryArg::Wildcard))
            {
                return Err(Failure::msg(
                    format!("--assume `{text}`: argument {} is not a constant", i + 1),
                    Some("an assumption is a fact: write every argument as a constant, e.g. `consent_channel(\"c1\", \"phone\")`"),
                ));
            }
            assumed.push(Assumption {
                origin: Origin {
                    file: "--assume".into(),
                    path: text.clone(),
                },
                text: text.clone(),
                rel: q.rel,
                args: q.args,
            });
        }
        Ok(Session {
            sources,
            program,
            facts,
            as_of,
            kb_digest,
            model_digest,
            assumed,
            profile: false,
        })
    }

    /// Evaluates the knowledge base on the facts (and assumptions), with provenance, and
    /// returns the evaluation with the origin of every input fact: with the compiled
    /// knowledge base when the program is the one it was generated from (the shipped
    /// knowledge base without `--rules`), else with the interpreter. Both give the same
    /// evaluation, provenance included.
    pub fn evaluate(&self) -> Result<(Evaluation<'_>, Origins<'_>), String> {
        if sphere_kb_compiled::KB.matches(&self.program).is_ok() {
            if let Ok(r) = self.evaluate_with(Evaluator::Compiled) {
                return Ok(r);
            }
        }
        self.evaluate_with(Evaluator::Interpreted)
    }

    /// [`Session::evaluate`] with a choice of evaluator. The compiled one runs only the
    /// program it was generated from (the shipped knowledge base without `--rules`); for any
    /// other program it reports why, and the caller can fall back to the interpreter.
    pub fn evaluate_with(
        &self,
        evaluator: Evaluator,
    ) -> Result<(Evaluation<'_>, Origins<'_>), String> {
        let loading = std::time::Instant::now();
        let mut db = Database::new(&self.program);
        let mut origins = Origins::default();
        let mut values: Vec<Value> = Vec::new();
        for (name, rows) in &self.facts.relations {
            let Some(rel) = self.program.relation_by_name(name) else {
                continue;
            };
            for (vals, origin) in rows {
                values.clear();
                values.extend(vals.iter().map(|v| v.value(|s| db.intern(s))));
                if db.insert(rel, &values) {
                    origins.insert(rel, &values, origin);
                } else if !db_contains_typed(&self.program, rel, &values) {
                    return Err(format!(
                        "fact {name} from {} {} does not fit the declaration of `{name}` in the knowledge base",
                        origin.file, origin.path
                    ));
                }
            }
        }
        for a in &self.assumed {
            let values: Vec<Value> = a
                .args
                .iter()
                .map(|x| match x {
                    QueryArg::Const(v) => *v,
                    QueryArg::UnknownSymbol(s) => Value::Sym(db.intern(s)),
                    QueryArg::Var(_) | QueryArg::Wildcard => unreachable!("rejected in load"),
                })
                .collect();
            if db.insert(a.rel, &values) {
                origins.insert(a.rel, &values, &a.origin);
            }
        }
        if self.profile {
            eprintln!(
                "input facts loaded in {:.2} s",
                loading.elapsed().as_secs_f64()
            );
        }
        let opts = EvalOptions {
            provenance: true,
            profile: self.profile,
        };
        let ev = match evaluator {
            Evaluator::Interpreted => {
                evaluate(&self.program, db, &opts).map_err(|e| e.to_string())?
            }
            Evaluator::Compiled => sphere_kb_compiled::KB
                .evaluate(&self.program, db, &opts)
                .map_err(|e| e.to_string())?,
        };
        Ok((ev, origins))
    }
}

/// Which evaluator runs the knowledge base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evaluator {
    /// The semi-naive interpreter, with provenance.
    Interpreted,
    /// The shipped knowledge base compiled to Rust (`crates/kb-compiled`), run by the same
    /// driver, with provenance recorded as the interpreter records it.
    Compiled,
}

/// A fact assumed for a what-if question.
#[derive(Clone, Debug)]
pub struct Assumption {
    pub text: String,
    /// `--assume` and the text, where explanations show a fact's origin.
    pub origin: Origin,
    pub rel: RelId,
    pub args: Vec<QueryArg>,
}

/// Whether `values` fit the column types of `rel` (a duplicate fact fits; a mistyped one not).
fn db_contains_typed(program: &Program, rel: RelId, values: &[Value]) -> bool {
    let cols = &program.relation(rel).columns;
    cols.len() == values.len() && cols.iter().zip(values).all(|(c, v)| c.ty == v.ty())
}

/// Digest of model files' bytes, in the order given.
fn digest_files(files: &[PathBuf]) -> String {
    let mut h = crate::digest::Fnv::default();
    for f in files {
        h.write(&std::fs::read(f).unwrap_or_default()).write(&[0]);
    }
    h.hex()
}

fn digest_facts(facts: &Facts) -> String {
    let mut h = crate::digest::Fnv::default();
    for (name, rows) in &facts.relations {
        h.write(name.as_bytes()).write(&[0]);
        for (vals, _) in rows {
            for v in vals {
                h.write(v.to_string().as_bytes()).write(&[1]);
            }
        }
    }
    h.hex()
}
