//! Evaluating a knowledge base on a model: the options ([`EvalOptions`]) and the result
//! ([`Outcome`]): typed findings, the suppressed ones with their exceptions, and derivations
//! built when asked.
//!
//! Invariant: nothing here prints or reads a clock, except that [`EvalOptions::timing`] asks
//! for the phases to be timed (a monotonic clock, read only then).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sphere_engine::eval::limits::{Guard, Limits};
use sphere_engine::eval::{
    evaluate_with, Database, EvalErrorKind, EvalOptions as EngineOptions, Evaluation,
};
use sphere_engine::ir::RelId;
use sphere_engine::{Date, Value};
use sphere_model::Origin;

use crate::error::{Error, ErrorKind, Result};
use crate::explain::{derivation, Build, Derivation, Exception, Explanation};
use crate::facts::{insert, Assumption, Origins};
use crate::findings::{collect, Finding, Handle, Lang, Suppressed, Texts};
use crate::kb::{KnowledgeBase, Origin as KbOrigin};
use crate::model::Model;
use crate::whynot::{self, RuleAnswer};

/// Which evaluator runs the rules. Both give the same findings and derivations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Engine {
    /// The shipped knowledge base compiled to Rust (`crates/kb-compiled`): used when it was
    /// generated from exactly the knowledge base evaluated, else the interpreter runs (and
    /// [`Outcome::notes`] says why).
    #[default]
    Compiled,
    /// The semi-naive interpreter.
    Interpreted,
}

impl Engine {
    /// `compiled` / `interpreted`, as the JSON output names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Compiled => "compiled",
            Engine::Interpreted => "interpreted",
        }
    }
}

/// A phase of an evaluation, for progress reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Putting the model's facts into the database.
    Facts,
    /// Running the rules.
    Rules,
    /// Turning the `finding` relation into findings.
    Findings,
}

impl Phase {
    /// What the phase does, for a progress line.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Facts => "loading facts",
            Phase::Rules => "evaluating rules",
            Phase::Findings => "collecting findings",
        }
    }
}

/// A progress report: a phase starts or ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    Started(Phase),
    Finished(Phase),
}

/// A callback for progress reports. The library never prints; a front end decides (the
/// command line shows a line on a terminal).
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Asked now and then while rules run: `true` stops the evaluation (a deadline the caller
/// reads a clock for, a request to cancel). The library reads no clock itself.
pub type InterruptFn = Arc<dyn Fn() -> bool + Send + Sync>;

/// How to evaluate.
#[derive(Clone, Default)]
pub struct EvalOptions {
    /// Bounds on the evaluation: none by default (the shipped knowledge base on a model, whose
    /// size bounds it); [`Limits::UNTRUSTED`] for rules from outside. A bound reached is an
    /// error naming the rule and the relation that grew.
    pub limits: Limits,
    /// See [`InterruptFn`].
    pub interrupt: Option<InterruptFn>,
    /// The evaluation date, when it is not the model's `as_of`.
    pub as_of: Option<Date>,
    /// Facts assumed in addition to the model's (what-if).
    pub assume: Vec<Assumption>,
    /// Facts of the model left out (what-if).
    pub retract: Vec<Assumption>,
    pub engine: Engine,
    /// Time the phases and every rule ([`Outcome::timings`], [`Outcome::evaluation`]'s
    /// profile). Off by default: then no clock is read.
    pub timing: bool,
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for EvalOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvalOptions")
            .field("as_of", &self.as_of)
            .field("assume", &self.assume)
            .field("retract", &self.retract)
            .field("engine", &self.engine)
            .field("timing", &self.timing)
            .field("progress", &self.progress.is_some())
            .field("limits", &self.limits)
            .field("interrupt", &self.interrupt.is_some())
            .finish()
    }
}

/// Why the interpreter ran although the compiled evaluator was asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// Rules beyond the knowledge base were given; only the interpreter runs them.
    ExtraRules,
    /// The knowledge base read from a directory is not the one compiled in.
    OtherKnowledgeBase,
    /// The compiled program was generated from another version of the shipped knowledge
    /// base: regenerate it. Why, in English and German.
    Stale(Texts),
    /// The compiled program failed to run (the evaluator's message: an internal error).
    CompiledFailed(String),
}

impl Note {
    /// The note as the command line says it in `lang`: a `note: ...` line (`Anmerkung: ...`)
    /// and, for a stale compiled program, a `hint:` line (`Hinweis:`), each ended by a newline.
    pub fn text(&self, lang: Lang) -> String {
        let (note, hint_word, running) = match lang {
            Lang::En => ("note", "hint", "running the interpreter"),
            Lang::De => ("Anmerkung", "Hinweis", "es läuft der Interpreter"),
        };
        let regenerate = "UPDATE_GENERATED=1 cargo test -p sphere-codegen";
        let (body, hint) = match (self, lang) {
            (Note::ExtraRules, Lang::En) => ("--rules runs the interpreter".to_string(), None),
            (Note::ExtraRules, Lang::De) => ("mit --rules läuft der Interpreter".to_string(), None),
            (Note::OtherKnowledgeBase, Lang::En) => (
                format!("the knowledge base given with --kb is not the compiled one; {running}"),
                None,
            ),
            (Note::OtherKnowledgeBase, Lang::De) => (
                format!("die mit --kb angegebene Wissensbasis ist nicht die kompilierte; {running}"),
                None,
            ),
            (Note::Stale(why), Lang::En) => (
                format!("{}; {running}", why.en),
                Some(format!("regenerate with `{regenerate}`")),
            ),
            (Note::Stale(why), Lang::De) => (
                format!("{}; {running}", why.de),
                Some(format!("mit `{regenerate}` neu erzeugen")),
            ),
            (Note::CompiledFailed(e), Lang::En) => (format!("{e}; {running}"), None),
            // The evaluator's own message is an internal one, for a bug report in English.
            (Note::CompiledFailed(_), Lang::De) => (
                format!("die kompilierte Auswertung ist fehlgeschlagen (ein interner Fehler, die Meldung dazu zeigt `--lang en`); {running}"),
                None,
            ),
        };
        let mut out = format!("{note}: {body}\n");
        if let Some(h) = hint {
            out.push_str(&format!("  {hint_word}: {h}\n"));
        }
        out
    }
}

/// The model an evaluation reads its facts from.
enum Held<'m> {
    /// Kept by the caller: the facts' origins are kept for explanations.
    Borrowed(&'m Model),
    /// Given: dropped once its facts are in the database; their origins kept when `true`.
    Owned(Option<Box<Model>>, bool),
}

/// Time spent per phase, with [`EvalOptions::timing`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    pub facts: Duration,
    pub rules: Duration,
    pub findings: Duration,
}

/// The result of an evaluation: findings (listed and suppressed) and what is needed to explain
/// them. Borrows the knowledge base it was evaluated with.
pub struct Outcome<'kb> {
    kb: &'kb KnowledgeBase,
    evaluation: Evaluation<'kb>,
    origins: Origins,
    as_of: Date,
    model_digest: String,
    engine: Engine,
    notes: Vec<Note>,
    findings: Vec<Finding>,
    handles: Vec<Handle>,
    suppressed: Vec<Suppressed>,
    suppressed_handles: Vec<Handle>,
    timings: Option<Timings>,
}

impl KnowledgeBase {
    /// Evaluates the knowledge base on a model. The knowledge base is not changed and can be
    /// evaluated again, on this or other models, any number of times.
    pub fn evaluate(&self, model: &Model, opts: &EvalOptions) -> Result<Outcome<'_>> {
        let changed;
        let model = match opts.as_of {
            Some(d) if d != model.as_of() => {
                changed = model.clone().with_as_of(d);
                &changed
            }
            _ => model,
        };
        self.evaluate_held(
            Held::Borrowed(model),
            model.as_of(),
            model.digest().to_string(),
            opts,
        )
    }

    /// [`KnowledgeBase::evaluate`] of a model evaluated once, for a large model whose findings
    /// are listed without derivations: its facts go straight into the database, without
    /// origins, and the model is dropped as soon as they are in (unless a clone of it still
    /// holds them), so that it does not sit beside them while the rules run. The findings
    /// are the same; a derivation of this outcome names no file or JSON path for a fact of the
    /// model (only for an assumption).
    pub fn evaluate_once(&self, model: Model, opts: &EvalOptions) -> Result<Outcome<'_>> {
        self.evaluate_owned(model, false, opts)
    }

    /// [`KnowledgeBase::evaluate_once`] keeping the origins of the model's facts (16 bytes a
    /// fact), so that a derivation names the file and JSON path of each, as with
    /// [`KnowledgeBase::evaluate`]; the model still goes once its facts are in the database
    /// (`sphere report` explains some findings of a large model).
    pub fn evaluate_once_with_origins(
        &self,
        model: Model,
        opts: &EvalOptions,
    ) -> Result<Outcome<'_>> {
        self.evaluate_owned(model, true, opts)
    }

    /// Evaluates a model given, dropped once its facts are in the database; `keep` the
    /// origins of its facts.
    fn evaluate_owned(&self, model: Model, keep: bool, opts: &EvalOptions) -> Result<Outcome<'_>> {
        let model = match opts.as_of {
            Some(d) => model.with_as_of(d),
            None => model,
        };
        let (as_of, digest) = (model.as_of(), model.digest().to_string());
        self.evaluate_held(
            Held::Owned(Some(Box::new(model)), keep),
            as_of,
            digest,
            opts,
        )
    }

    /// Evaluates on the facts of `model`: kept for the origins of explanations when borrowed,
    /// dropped once in the database when owned.
    fn evaluate_held(
        &self,
        mut model: Held<'_>,
        as_of: Date,
        model_digest: String,
        opts: &EvalOptions,
    ) -> Result<Outcome<'_>> {
        let progress = |p: Progress| {
            if let Some(f) = &opts.progress {
                f(p);
            }
        };
        let mut notes = Vec::new();
        let mut engine = opts.engine;
        if engine == Engine::Compiled {
            if self.has_extra_rules() {
                notes.push(Note::ExtraRules);
                engine = Engine::Interpreted;
            } else if let Err(e) = self.compiled() {
                notes.push(match self.origin() {
                    KbOrigin::Dir(_) => Note::OtherKnowledgeBase,
                    KbOrigin::Shipped => Note::Stale(
                        self.compiled_reason()
                            .cloned()
                            .unwrap_or_else(|| Texts::new(e, e)),
                    ),
                });
                engine = Engine::Interpreted;
            }
        }
        let program = self.program();
        let clock = |on: bool| on.then(Instant::now);
        let since = |t: Option<Instant>| t.map_or(Duration::ZERO, |t| t.elapsed());
        let mut timings = Timings::default();
        let evaluation = loop {
            progress(Progress::Started(Phase::Facts));
            let started = clock(opts.timing);
            let mut db = Database::new(program);
            let (assume, retract) = (&opts.assume, &opts.retract);
            let origins = match &mut model {
                Held::Borrowed(m) => {
                    insert(program, &mut db, m.fact_source(), true, assume, retract)?
                }
                Held::Owned(held, keep) => {
                    let Some(m) = held.take() else {
                        // Only after the compiled evaluator failed, which it cannot (see below).
                        return Err(Error::new(
                            ErrorKind::Evaluation,
                            "the compiled evaluator failed, and the facts to run the interpreter on were already dropped",
                        )
                        .with_hint(crate::datalog::EVAL_BUG_HINT));
                    };
                    insert(program, &mut db, m.fact_source(), *keep, assume, retract)?
                    // The model goes here, before the rules run.
                }
            };
            timings.facts += since(started);
            progress(Progress::Finished(Phase::Facts));
            progress(Progress::Started(Phase::Rules));
            let started = clock(opts.timing);
            let eopts = EngineOptions {
                provenance: true,
                profile: opts.timing,
            };
            let mut guard = Guard::new(opts.limits);
            if let Some(stop) = opts.interrupt.clone() {
                guard = guard.with_interrupt(move || stop());
            }
            let result = match engine {
                Engine::Interpreted => evaluate_with(program, db, &eopts, guard),
                Engine::Compiled => {
                    sphere_kb_compiled::KB.evaluate_with(program, db, &eopts, guard)
                }
            };
            timings.rules += since(started);
            progress(Progress::Finished(Phase::Rules));
            // A bound reached is the answer, whichever evaluator ran: the other would grow the
            // same relation.
            let result = match result {
                Err(e) if matches!(e.kind, EvalErrorKind::Limit { .. }) => {
                    return Err(crate::datalog::limit_error(&e))
                }
                other => other.map_err(|e| e.to_string()),
            };
            match result {
                Ok(ev) => break (ev, origins),
                // The compiled program matched, so it cannot fail; should it, the interpreter
                // gives the same answer.
                Err(e) if engine == Engine::Compiled => {
                    notes.push(Note::CompiledFailed(e));
                    engine = Engine::Interpreted;
                }
                Err(e) => return Err(Error::new(ErrorKind::Evaluation, e)),
            }
        };
        let (evaluation, origins) = evaluation;
        progress(Progress::Started(Phase::Findings));
        let started = clock(opts.timing);
        let collected = collect(&evaluation);
        timings.findings += since(started);
        progress(Progress::Finished(Phase::Findings));
        let (findings, handles) = collected.listed.into_iter().unzip();
        let (suppressed, suppressed_handles) = collected.suppressed.into_iter().unzip();
        Ok(Outcome {
            kb: self,
            evaluation,
            origins,
            as_of,
            model_digest,
            engine,
            notes,
            findings,
            handles,
            suppressed,
            suppressed_handles,
            timings: opts.timing.then_some(timings),
        })
    }
}

impl<'kb> Outcome<'kb> {
    /// Why the finding rule `rule` gives no finding about `about` (an activity or object id) in
    /// this outcome. An unknown rule, or a rule that is not a finding rule, is an error with a
    /// did-you-mean.
    pub fn why_not_rule(&self, rule: &str, about: &str) -> Result<RuleAnswer> {
        use sphere_engine::ir::legal::RuleKind;
        let outcome = self;
        let kb = outcome.kb();
        let finding_rules = || {
            kb.catalogue()
                .rule_meta
                .iter()
                .filter(|m| matches!(m.kind, RuleKind::Finding { .. }))
                .map(|m| m.id.as_str())
        };
        if !finding_rules().any(|r| r == rule) {
            let hint = match crate::did_you_mean(rule, finding_rules()) {
                Some(s) => crate::did_you_mean_texts(&s),
                None => Texts::new(
                    "`sphere kb list` lists the rules; a finding rule has a decision",
                    "`sphere kb list` zeigt die Regeln; eine Befundregel hat eine Entscheidung",
                ),
            };
            return Err(Error::texts(
                ErrorKind::Usage,
                Texts::new(
                    format!("no finding rule `{rule}`"),
                    format!("keine Befundregel `{rule}`"),
                ),
            )
            .with_hint_texts(hint));
        }
        let fired: Vec<String> = outcome
            .findings()
            .iter()
            .filter(|f| f.rule == rule && f.about_id() == about)
            .map(|f| f.id.clone())
            .collect();
        if !fired.is_empty() {
            return Ok(RuleAnswer::Fires(fired));
        }
        let set_aside: Vec<String> = outcome
            .suppressed()
            .iter()
            .filter(|s| s.finding.rule == rule && s.finding.about_id() == about)
            .map(|s| s.finding.id.clone())
            .collect();
        if !set_aside.is_empty() {
            return Ok(RuleAnswer::Suppressed(set_aside));
        }
        let ev = outcome.evaluation();
        let program = ev.program();
        let Some(rel) = program.relation_by_name("finding_raw") else {
            return Err(Error::new(
                ErrorKind::Usage,
                "the knowledge base has no finding rules",
            ));
        };
        let (Some(r), Some(a)) = (ev.interner().get(rule), ev.interner().get(about)) else {
            return Err(Error::texts(
                ErrorKind::Usage,
                Texts::new(
                    format!("`{about}` occurs nowhere in the model"),
                    format!("`{about}` kommt im Modell nicht vor"),
                ),
            )
            .with_hint_texts(Texts::new(
                "give the id of an activity or object of the model, as `sphere check` prints it",
                "die Kennung einer Tätigkeit oder eines Objekts des Modells angeben, wie `sphere check` sie zeigt",
            )));
        };
        let pattern = [Some(Value::Sym(r)), Some(Value::Sym(a)), None, None];
        Ok(RuleAnswer::Not(whynot::analyse(
            ev,
            rel,
            &pattern,
            whynot::Options::QUESTION,
        )))
    }

    /// The findings, sorted by (activity or object, rule, id).
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The findings an exception suppressed, each with the exceptions, sorted as findings.
    pub fn suppressed(&self) -> &[Suppressed] {
        &self.suppressed
    }

    /// Whether a finding needs action (`block` or `breach`).
    pub fn needs_action(&self) -> bool {
        self.findings.iter().any(Finding::needs_action)
    }

    /// The finding with this id, listed or (second) suppressed; `true` when suppressed.
    pub fn find(&self, id: &str) -> Option<(&Finding, bool)> {
        self.findings
            .iter()
            .find(|f| f.id == id)
            .map(|f| (f, false))
            .or_else(|| {
                self.suppressed
                    .iter()
                    .find(|s| s.finding.id == id)
                    .map(|s| (&s.finding, true))
            })
    }

    /// The derivation of a listed finding (by its index in [`Outcome::findings`]).
    pub fn derivation(&self, index: usize) -> Option<Derivation> {
        let f = self.findings.get(index)?;
        self.derive(self.handles.get(index)?, f.date)
    }

    /// The derivation of a suppressed finding (by its index in [`Outcome::suppressed`]).
    pub fn suppressed_derivation(&self, index: usize) -> Option<Derivation> {
        let f = &self.suppressed.get(index)?.finding;
        self.derive(self.suppressed_handles.get(index)?, f.date)
    }

    fn absences(&self, h: &Handle) -> Vec<crate::whynot::WhyNot> {
        match self.evaluation.explain(h.rel, &h.values) {
            Ok(tree) => crate::explain::absences(&self.evaluation, &tree),
            Err(_) => Vec::new(),
        }
    }

    fn derive(&self, h: &Handle, date: Date) -> Option<Derivation> {
        self.tree(h.rel, &h.values, date)
    }

    fn tree(&self, rel: RelId, values: &[sphere_engine::Value], date: Date) -> Option<Derivation> {
        let tree = self.evaluation.explain(rel, values).ok()?;
        Some(derivation(
            &self.evaluation,
            &tree,
            Build {
                origins: Some(&self.origins),
                date: Some(date),
            },
        ))
    }

    /// Explains the finding with this id (listed, or suppressed with the exceptions that
    /// applied). An unknown id is an error with a hint.
    pub fn explain(&self, id: &str) -> Result<Explanation> {
        if let Some(i) = self.findings.iter().position(|f| f.id == id) {
            return Ok(Explanation {
                finding: self.findings[i].clone(),
                suppressed: false,
                derivation: self.derivation(i),
                exceptions: Vec::new(),
                why_not: self
                    .handles
                    .get(i)
                    .map(|h| self.absences(h))
                    .unwrap_or_default(),
            });
        }
        let Some(i) = self.suppressed.iter().position(|s| s.finding.id == id) else {
            return Err(crate::findings::no_finding(id));
        };
        let finding = self.suppressed[i].finding.clone();
        let h = &self.suppressed_handles[i];
        let mut exceptions = Vec::new();
        let program = self.evaluation.program();
        if let (Some(rel), 4) = (program.relation_by_name("suppressed"), h.values.len()) {
            let v = &h.values;
            let pattern = [Some(v[0]), None, Some(v[1]), Some(v[2]), Some(v[3])];
            let mut tuples = self.evaluation.select(rel, &pattern);
            let name = |t: &Vec<sphere_engine::Value>| {
                sphere_engine::value::display(t[1], self.evaluation.interner())
            };
            tuples.sort_by_key(name);
            for t in tuples {
                exceptions.push(Exception {
                    rule: name(&t),
                    derivation: self.tree(rel, &t, finding.date),
                });
            }
        }
        Ok(Explanation {
            derivation: self.suppressed_derivation(i),
            finding,
            suppressed: true,
            exceptions,
            why_not: self.absences(h),
        })
    }

    /// The evaluation date.
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// The knowledge base evaluated.
    pub fn kb(&self) -> &'kb KnowledgeBase {
        self.kb
    }

    /// `kb_digest`.
    pub fn kb_digest(&self) -> &str {
        self.kb.digest()
    }

    /// `model_digest`.
    pub fn model_digest(&self) -> &str {
        &self.model_digest
    }

    /// The evaluator that ran.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Why the interpreter ran where the compiled evaluator was asked for.
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// Phase times, with [`EvalOptions::timing`].
    pub fn timings(&self) -> Option<&Timings> {
        self.timings.as_ref()
    }

    /// How many input facts the evaluation started from (the model's and the assumptions',
    /// each once).
    pub fn input_facts(&self) -> usize {
        self.origins.count()
    }

    /// Where an input fact came from.
    pub fn origin(&self, rel: RelId, values: &[sphere_engine::Value]) -> Option<Origin> {
        self.origins.get(&self.evaluation, rel, values)
    }

    /// The engine's evaluation: every relation, provenance, profile. For queries and
    /// analyses beyond findings (the REPL's `?-`, why-not); most front ends need only the
    /// findings.
    pub fn evaluation(&self) -> &Evaluation<'kb> {
        &self.evaluation
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn s04() -> Model {
        let text = include_str!("../facts/s04_phone_call.json");
        let today = Date::parse("2025-06-16").expect("a date");
        Model::from_text("s04.json", text, today).expect("valid")
    }

    #[test]
    fn progress_is_reported_per_phase_and_timing_only_when_asked() {
        let kb = KnowledgeBase::shipped().expect("compiles");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let opts = EvalOptions {
            progress: Some(Arc::new(move |p| log.lock().expect("not poisoned").push(p))),
            ..EvalOptions::default()
        };
        let outcome = kb.evaluate(&s04(), &opts).expect("evaluates");
        assert!(outcome.timings().is_none(), "no clock read without timing");
        assert!(outcome.evaluation().profile().is_empty());
        let phases = [Phase::Facts, Phase::Rules, Phase::Findings];
        let expected: Vec<Progress> = phases
            .iter()
            .flat_map(|&p| [Progress::Started(p), Progress::Finished(p)])
            .collect();
        assert_eq!(*seen.lock().expect("not poisoned"), expected);
        assert_eq!(outcome.engine(), Engine::Compiled);
        assert!(outcome.notes().is_empty());

        let timed = EvalOptions {
            timing: true,
            engine: Engine::Interpreted,
            ..EvalOptions::default()
        };
        let outcome = kb.evaluate(&s04(), &timed).expect("evaluates");
        assert!(outcome.timings().is_some());
        assert!(!outcome.evaluation().profile().is_empty());
        assert_eq!(outcome.engine(), Engine::Interpreted);
    }

    #[test]
    fn extra_rules_run_the_interpreter_and_say_so() {
        let kb = KnowledgeBase::builder()
            .rules_text(
                "extra.dl",
                ".decl my_flag(a: symbol)\nmy_flag(A) :- activity(A, _, _, _, _, _).\n",
            )
            .build()
            .expect("compiles");
        assert!(kb.compiled().is_err());
        let outcome = kb
            .evaluate(&s04(), &EvalOptions::default())
            .expect("evaluates");
        assert_eq!(outcome.engine(), Engine::Interpreted);
        assert_eq!(outcome.notes(), [Note::ExtraRules]);
        let shipped = KnowledgeBase::shipped().expect("compiles");
        let plain = shipped
            .evaluate(&s04(), &EvalOptions::default())
            .expect("evaluates");
        assert_eq!(outcome.findings(), plain.findings());
    }

    #[test]
    fn bad_extra_rules_are_diagnostics_with_file_line_and_column() {
        let e = KnowledgeBase::builder()
            .rules_text("extra.dl", "foo(X) :- bar(X).\n")
            .build()
            .expect_err("undeclared relations");
        assert_eq!(e.kind(), ErrorKind::Rules);
        let p = e
            .problems()
            .into_iter()
            .find(|p| !p.warning)
            .expect("an error");
        assert_eq!(p.file.as_deref(), Some("extra.dl"));
        assert_eq!(p.place, crate::Place::Line { line: 1, column: 1 });
        assert!(e.render(false).contains("extra.dl:1:"));
    }

    #[test]
    fn an_unknown_finding_id_is_a_usage_error_with_a_hint() {
        let kb = KnowledgeBase::shipped().expect("compiles");
        let outcome = kb
            .evaluate(&s04(), &EvalOptions::default())
            .expect("evaluates");
        let e = outcome.explain("F-0000000000000000").expect_err("unknown");
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(e.hint().is_some());
    }
}
