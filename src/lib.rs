//! sphere: compliance checks for social CRM, as Datalog rules with derivations back to the law.
//!
//! This library is what every front end calls (the command line today; the REPL, the gate,
//! the server and the report next). It joins the engine (`sphere-engine`) and the company
//! model (`sphere-model`):
//!
//! - [`KnowledgeBase`]: the rules, compiled once and evaluated any number of times;
//! - [`Model`]: a company model from texts, readers or files (or a facts export);
//! - [`KnowledgeBase::evaluate`] gives an [`Outcome`]: typed [`Finding`]s, the suppressed ones
//!   with their exceptions, and [`Outcome::explain`] for a finding's derivation;
//! - [`Session`]: a knowledge base, a model and its outcome kept current under [`Change`]s;
//! - [`render`]: text, JSON (`sphere-findings/1`), Markdown, SARIF and DOT;
//! - [`Error`]: one error type, with the file and the JSON path or line of every problem.
//!
//! ```no_run
//! use sphere::{Date, EvalOptions, KnowledgeBase, Lang, Model};
//!
//! let kb = KnowledgeBase::shipped()?;
//! let today = Date::parse("2025-06-16").expect("a date");
//! let text = std::fs::read_to_string("facts/s04_phone_call.json").expect("readable");
//! let model = Model::from_text("s04.json", &text, today)?;
//! let outcome = kb.evaluate(&model, &EvalOptions::default())?;
//! for f in outcome.findings() {
//!     println!("{} {} {}", f.decision, f.id, f.message.get(Lang::En));
//! }
//! # Ok::<(), sphere::Error>(())
//! ```
//!
//! Invariant: the library prints nothing and reads no clock (today's date is passed in;
//! [`EvalOptions::timing`] is the one switch that reads a monotonic clock). Only the binary's
//! `cli` module prints.

#[cfg(feature = "crepe")]
pub mod crepe_engine;
pub mod datalog;
pub mod diff;
pub mod digest;
pub mod error;
pub mod explain;
pub mod export;
pub mod facts;
pub mod files;
pub mod findings;
pub mod gate;
pub mod graph;
pub mod journal;
pub mod kb;
pub mod locality;
pub mod model;
pub mod outcome;
pub mod query;
pub mod remedies;
pub mod render;
pub mod repl;
pub mod report;
pub mod server;
pub mod session;
pub mod texts;
pub mod validate;
pub mod whynot;
pub mod words;

pub use error::{Error, ErrorKind, Place, Problem};
pub use explain::{Derivation, Exception, Explanation, Premise, RuleStep, Step};
pub use facts::Assumption;
pub use findings::{
    About, AuthorityCite, AuthorityKind, Decision, Finding, Lang, NormCite, NormVersion, Severity,
    Suppressed, Texts,
};
pub use kb::KnowledgeBase;
pub use model::Model;
pub use outcome::{
    Engine, EvalOptions, InterruptFn, Note, Outcome, Phase, Progress, ProgressFn, Timings,
};
pub use session::{Change, Changed, Delta, Object, Session};
pub use sphere_engine::eval::limits::Limits;
pub use sphere_engine::Date;
pub use sphere_model::{Origin, Section};

/// The closest of `candidates` to `word`, if one is near enough to be a likely typo: the one
/// "did you mean" of sphere (the rule compiler's, for names, keys and ids alike).
pub use sphere_engine::ir::resolve::did_you_mean;

/// The hint `did you mean `s`?` in both output languages.
pub fn did_you_mean_texts(s: &str) -> Texts {
    Texts::new(
        format!("did you mean `{s}`?"),
        format!("meinten Sie `{s}`?"),
    )
}
