//! Derivation trees as data a reader can follow: each derived node names its rule, the norms
//! (in the version in force on the act's date) and authorities the rule rests on, and its
//! variable bindings; each input fact names where in the model it comes from. Built from the
//! engine's provenance only when asked; [`crate::render`] writes them as text, JSON and DOT.

use sphere_engine::eval::Evaluation;
use sphere_engine::explain::{atom_text, quote, Node, Tree};
use sphere_engine::ir::legal::RuleMeta;
use sphere_engine::ir::RelId;
use sphere_engine::{Date, Value};
use sphere_model::Origin;

use crate::facts::Origins;
use crate::findings::{Finding, Texts};
use crate::kb::version_at;

/// Why a fact holds. `Clone`, `PartialEq` and `Drop` work with a stack of their own, not by
/// recursion: a chain of derivations is as long as the evaluation had rounds, and a hundred
/// thousand steps would overflow a thread's stack. `Debug` is derived and recursive, for small
/// trees in tests only.
#[derive(Debug)]
pub struct Derivation {
    /// The relation's name.
    pub relation: String,
    /// The fact as written in the language: `consent("c1", "s1")`.
    pub fact: String,
    /// The fact's values as text (symbols unquoted), in column order.
    pub args: Vec<String>,
    pub step: Step,
}

/// How a fact came to hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An input fact, with its place in the model (file and JSON path) where it has one.
    Input { origin: Option<Origin> },
    /// Derived by a rule.
    Rule(RuleStep),
}

/// One rule instance of a derivation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleStep {
    /// The rule's id.
    pub rule: String,
    /// The norms the rule's annotation cites, as written (`uwg:7.2.2@2022-05-28`).
    pub norms: Vec<String>,
    /// The authorities the annotation cites, by id.
    pub authorities: Vec<String>,
    /// Citations of the cited norms in the version in force on the date explained.
    pub citations: Vec<Texts>,
    /// Citations of the authorities (`BGH I ZR 164/09 (2011-02-10)`).
    pub authority_citations: Vec<Texts>,
    /// The rule's variables as bound in this instance, values as text.
    pub bindings: Vec<(String, String)>,
    /// One entry per body literal, in the rule's source order.
    pub premises: Vec<Premise>,
}

/// One body literal of a rule instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Premise {
    Holds(Box<Derivation>),
    /// A negated premise: no fact matches this pattern (`_` for any value): `consent(_, "s1")`.
    Absent(String),
    /// A comparison that held, with the values filled in.
    Compare(String),
}

/// Dropped with a stack of its own: the derived drop would recurse once per level, and a
/// chain of a hundred thousand steps would overflow the thread's stack.
impl Drop for Derivation {
    fn drop(&mut self) {
        let mut stack: Vec<Derivation> = Vec::new();
        let take = |d: &mut Derivation, stack: &mut Vec<Derivation>| {
            if let Step::Rule(r) = &mut d.step {
                for p in r.premises.drain(..) {
                    if let Premise::Holds(sub) = p {
                        stack.push(*sub);
                    }
                }
            }
        };
        take(self, &mut stack);
        while let Some(mut d) = stack.pop() {
            take(&mut d, &mut stack);
            // `d` has no premises left: its drop ends here.
        }
    }
}

impl Clone for Derivation {
    fn clone(&self) -> Derivation {
        // Post-order: a node is copied once its premises are; `done` holds the copies.
        enum Task<'d> {
            Visit(&'d Derivation),
            Finish(&'d Derivation),
        }
        let mut tasks = vec![Task::Visit(self)];
        let mut done: Vec<Derivation> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(d) => {
                    tasks.push(Task::Finish(d));
                    if let Step::Rule(r) = &d.step {
                        for p in r.premises.iter().rev() {
                            if let Premise::Holds(sub) = p {
                                tasks.push(Task::Visit(sub));
                            }
                        }
                    }
                }
                Task::Finish(d) => {
                    let step = match &d.step {
                        Step::Input { origin } => Step::Input {
                            origin: origin.clone(),
                        },
                        Step::Rule(r) => {
                            let held = r
                                .premises
                                .iter()
                                .filter(|p| matches!(p, Premise::Holds(_)))
                                .count();
                            let mut subs = done.split_off(done.len() - held).into_iter();
                            Step::Rule(RuleStep {
                                rule: r.rule.clone(),
                                norms: r.norms.clone(),
                                authorities: r.authorities.clone(),
                                citations: r.citations.clone(),
                                authority_citations: r.authority_citations.clone(),
                                bindings: r.bindings.clone(),
                                premises: r
                                    .premises
                                    .iter()
                                    .map(|p| match p {
                                        Premise::Holds(_) => Premise::Holds(Box::new(
                                            subs.next().expect("one copy per derived premise"),
                                        )),
                                        Premise::Absent(t) => Premise::Absent(t.clone()),
                                        Premise::Compare(t) => Premise::Compare(t.clone()),
                                    })
                                    .collect(),
                            })
                        }
                    };
                    done.push(Derivation {
                        relation: d.relation.clone(),
                        fact: d.fact.clone(),
                        args: d.args.clone(),
                        step,
                    });
                }
            }
        }
        done.pop().expect("the root is copied last")
    }
}

impl PartialEq for Derivation {
    fn eq(&self, other: &Derivation) -> bool {
        let mut stack = vec![(self, other)];
        while let Some((a, b)) = stack.pop() {
            if a.relation != b.relation || a.fact != b.fact || a.args != b.args {
                return false;
            }
            match (&a.step, &b.step) {
                (Step::Input { origin: o1 }, Step::Input { origin: o2 }) => {
                    if o1 != o2 {
                        return false;
                    }
                }
                (Step::Rule(r1), Step::Rule(r2)) => {
                    if r1.rule != r2.rule
                        || r1.norms != r2.norms
                        || r1.authorities != r2.authorities
                        || r1.citations != r2.citations
                        || r1.authority_citations != r2.authority_citations
                        || r1.bindings != r2.bindings
                        || r1.premises.len() != r2.premises.len()
                    {
                        return false;
                    }
                    for (x, y) in r1.premises.iter().zip(&r2.premises) {
                        match (x, y) {
                            (Premise::Holds(s), Premise::Holds(t)) => stack.push((s, t)),
                            (Premise::Absent(s), Premise::Absent(t))
                            | (Premise::Compare(s), Premise::Compare(t)) => {
                                if s != t {
                                    return false;
                                }
                            }
                            _ => return false,
                        }
                    }
                }
                _ => return false,
            }
        }
        true
    }
}

impl Eq for Derivation {}

impl Derivation {
    /// The input facts this derivation rests on, each once, in the order the tree meets them:
    /// what a decision about the finding depends on.
    pub fn inputs(&self) -> Vec<&Derivation> {
        let mut out: Vec<&Derivation> = Vec::new();
        let mut stack = vec![self];
        while let Some(d) = stack.pop() {
            match &d.step {
                Step::Input { .. } => {
                    if !out.iter().any(|x| x.fact == d.fact) {
                        out.push(d);
                    }
                }
                Step::Rule(r) => {
                    for p in r.premises.iter().rev() {
                        if let Premise::Holds(sub) = p {
                            stack.push(sub);
                        }
                    }
                }
            }
        }
        out
    }

    /// The origin of an input fact.
    pub fn origin(&self) -> Option<&Origin> {
        match &self.step {
            Step::Input { origin } => origin.as_ref(),
            Step::Rule(_) => None,
        }
    }
}

/// What a tree built for a program shows besides rules and facts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Build<'o> {
    /// Input facts' origins.
    pub origins: Option<&'o Origins>,
    /// The date whose norm versions are cited; `None`: cite nothing (a plain program).
    pub date: Option<Date>,
}

/// Builds the typed tree of an engine derivation, without recursion: a chain of derivations
/// is as long as the evaluation had rounds, far deeper than a thread's stack allows.
pub(crate) fn derivation(ev: &Evaluation<'_>, tree: &Tree, build: Build<'_>) -> Derivation {
    // Post-order: a node is finished once its premises are; `done` holds finished nodes.
    enum Task<'t> {
        Visit(&'t Tree),
        Finish(&'t Tree),
    }
    let mut tasks = vec![Task::Visit(tree)];
    let mut done: Vec<Derivation> = Vec::new();
    while let Some(task) = tasks.pop() {
        match task {
            Task::Visit(t) => {
                tasks.push(Task::Finish(t));
                if let Node::Rule { premises, .. } = &t.node {
                    for p in premises.iter().rev() {
                        if let sphere_engine::explain::Premise::Holds(sub) = p {
                            tasks.push(Task::Visit(sub));
                        }
                    }
                }
            }
            Task::Finish(t) => {
                let held = match &t.node {
                    Node::Rule { premises, .. } => premises
                        .iter()
                        .filter(|p| matches!(p, sphere_engine::explain::Premise::Holds(_)))
                        .count(),
                    Node::Input => 0,
                };
                let subs = done.split_off(done.len() - held);
                done.push(node(ev, t, build, subs));
            }
        }
    }
    done.pop().expect("the root is built last")
}

/// One node of [`derivation`], its derived premises (in order) built already.
fn node(ev: &Evaluation<'_>, tree: &Tree, build: Build<'_>, subs: Vec<Derivation>) -> Derivation {
    let program = ev.program();
    let interner = ev.interner();
    let fact = atom_text(program, tree.rel, &tree.values, interner);
    let relation = program.relation(tree.rel).name.clone();
    let mut subs = subs.into_iter();
    let step = match &tree.node {
        Node::Input => Step::Input {
            origin: build
                .origins
                .and_then(|o| o.get(ev, tree.rel, &tree.values)),
        },
        Node::Rule {
            rule,
            bindings,
            premises,
        } => {
            let r = program.rule(*rule);
            let meta: Option<&RuleMeta> = r.meta.map(|m| &program.legal.rule_meta[m.0 as usize]);
            let (citations, authority_citations) = match (meta, build.date) {
                (Some(m), Some(date)) => (
                    m.norms
                        .iter()
                        .filter_map(|n| version_at(&program.legal.norms, n, date))
                        .map(|v| Texts {
                            en: v.en.clone(),
                            de: v.de.clone(),
                        })
                        .collect(),
                    m.authorities
                        .iter()
                        .filter_map(|a| program.legal.authorities.iter().find(|x| &x.id == a))
                        .map(|a| Texts {
                            en: a.citation(),
                            de: a.citation_de(),
                        })
                        .collect(),
                ),
                _ => (Vec::new(), Vec::new()),
            };
            Step::Rule(RuleStep {
                rule: r.id.clone(),
                norms: meta
                    .map(|m| m.norms.iter().map(crate::kb::ref_text).collect())
                    .unwrap_or_default(),
                authorities: meta.map(|m| m.authorities.clone()).unwrap_or_default(),
                citations,
                authority_citations,
                bindings: bindings
                    .iter()
                    .map(|(n, v)| (n.clone(), sphere_engine::value::display(*v, interner)))
                    .collect(),
                premises: premises
                    .iter()
                    .map(|p| match p {
                        sphere_engine::explain::Premise::Holds(_) => Premise::Holds(Box::new(
                            subs.next().expect("one built premise per derived premise"),
                        )),
                        sphere_engine::explain::Premise::Absent { rel, pattern } => {
                            let args: Vec<String> = pattern
                                .iter()
                                .map(|v| v.map_or_else(|| "_".into(), |v| quote(v, interner)))
                                .collect();
                            Premise::Absent(format!(
                                "{}({})",
                                program.relation(*rel).name,
                                args.join(", ")
                            ))
                        }
                        sphere_engine::explain::Premise::Compare { text } => {
                            Premise::Compare(text.clone())
                        }
                    })
                    .collect(),
            })
        }
    };
    Derivation {
        relation,
        fact,
        args: tree
            .values
            .iter()
            .map(|v| sphere_engine::value::display(*v, interner))
            .collect(),
        step,
    }
}

/// Why each distinct negated premise of a tree holds (the fact it names does not), in the
/// order the tree meets them.
pub(crate) fn absences(ev: &Evaluation<'_>, tree: &Tree) -> Vec<crate::whynot::WhyNot> {
    let mut seen: Vec<(RelId, &[Option<Value>])> = Vec::new();
    for (_, t) in tree.walk() {
        if let Node::Rule { premises, .. } = &t.node {
            for p in premises {
                if let sphere_engine::explain::Premise::Absent { rel, pattern } = p {
                    if !seen
                        .iter()
                        .any(|(r, q)| r == rel && *q == pattern.as_slice())
                    {
                        seen.push((*rel, pattern));
                    }
                }
            }
        }
    }
    seen.into_iter()
        .map(|(rel, pattern)| {
            crate::whynot::analyse(ev, rel, pattern, crate::whynot::Options::PREMISE)
        })
        .collect()
}

/// The derivation of `rel(values)` in a plain program (no origins, no citations): for
/// `sphere eval --explain`.
pub fn derive(
    ev: &Evaluation<'_>,
    rel: RelId,
    values: &[Value],
) -> Result<Derivation, sphere_engine::explain::ExplainError> {
    let tree = ev.explain(rel, values)?;
    Ok(derivation(
        ev,
        &tree,
        Build {
            origins: None,
            date: None,
        },
    ))
}

/// A finding explained: its derivation, and for a suppressed finding the exceptions that
/// applied with theirs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub finding: Finding,
    /// The finding was derived but an exception suppressed it.
    pub suppressed: bool,
    /// `None` only when the evaluation kept no provenance.
    pub derivation: Option<Derivation>,
    /// The exceptions that suppressed the finding (sorted by rule), each with its derivation.
    pub exceptions: Vec<Exception>,
    /// Why each negated premise of the derivation holds, that is why the fact it names does
    /// not: one analysis per distinct absent fact, in the order the tree meets them.
    pub why_not: Vec<crate::whynot::WhyNot>,
}

/// An exception that suppressed a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exception {
    pub rule: String,
    pub derivation: Option<Derivation>,
}

impl Explanation {
    /// The date whose norm versions the explanation cites: the finding's.
    pub fn date(&self) -> Date {
        self.finding.date
    }
}
