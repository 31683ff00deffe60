//! The person dimension of locality: whether an activity that names several data subjects
//! can be evaluated one subject at a time.
//!
//! [`super::Locality`] proves that the findings about a component (subjects, their records
//! and the activities that name them) rest on that component and the shared data. A
//! newsletter to thousands of subjects joins them all into one component, so a change to one
//! subject's consent would re-evaluate all of them. Most rules, though, judge an activity
//! *towards one subject*: this subject's consent, objection, notice, age. When every rule
//! does, such an activity need not join its subjects: a part holds a subject's records and
//! every activity that names the subject, whole (with the rows that name its other subjects,
//! whose records are not in the part), and gives exactly the full evaluation's findings about
//! that subject.
//!
//! [`Persons::analyse`] checks this from the rules. The *person data* are the records of a
//! data subject (subject, consent, objection, personal notice rows; the rows that pin an
//! activity to its subjects' component: a cause, a content author). A relation is
//! [`Person::Free`] when no tuple rests on person data (only on activities' own rows, which a
//! part holds whole, and shared data), [`Person::Keyed`] when each tuple rests on the person
//! data of one component and names it in the key columns, [`Person::Proj`] when each rests on
//! one component that it does not name. A rule is sound per subject when the person data it
//! reads (positive or negated) belong to one component: its key variables are one class
//! (joined within atoms that name one component). In a part, a keyed tuple is right when its
//! component is in the part; tuples about the other subjects of an activity in the part may
//! be wrong (their records are missing), and are dropped by the session, which takes from a
//! part only the findings about its own subjects.
//!
//! Every finding rule and exception rule must then be keyed by its subject column (or, for a
//! finding with no subjects, by what it is about, or rest on no person data at all): its
//! [`FindingKey`]. When one is not, [`Persons::is_split`] is false and activities join their
//! subjects as before.

use std::collections::{BTreeMap, BTreeSet};

use sphere_engine::ir::{CmpOp, Expr, Literal, Program, RelId, Term};

/// Columns of the input relations that name the component of a data subject's records.
const KEY_COLUMNS: [&str; 5] = ["subject", "consent", "notice", "cause", "author"];

/// Input relations whose rows pin an activity to its subjects' component (an activity with a
/// cause or a content author is never split): their `activity` column is a key too.
const PINNING: [&str; 2] = ["activity_triggered_by", "activity_content_author"];

/// Input relations with key columns whose rows are stored with an activity or with shared
/// data (an incident), not with a subject's records: a part holds them whole.
const OWN_ROWS: [&str; 3] = ["activity_subject", "incident_subject", "notice_public"];

/// The relations the lowering of findings generates: classified per rule, not per relation.
const FINDINGS: [&str; 5] = [
    "finding_raw",
    "exception_raw",
    "suppressed",
    "suppressed_any",
    "finding",
];

/// The person class of a relation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Person {
    /// No tuple rests on a data subject's records.
    Free,
    /// Each tuple rests on the records of one component, named in these columns.
    Keyed(Vec<bool>),
    /// Each tuple rests on the records of one component, not named in it.
    Proj,
    /// Anything else (the reason).
    Bad(String),
}

/// Which column of a finding (or exception) rule's tuples tells the component it rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingKey {
    /// The subject column: right in a part that holds the subject.
    Subject,
    /// What it is about (a consent, a personal notice): right in a part that holds it.
    About,
    /// No person data, no subject: right in any part that holds what it is about (an
    /// activity's own rows, or shared data).
    Free,
}

/// The person classes of a program's relations and the keys of its finding rules.
#[derive(Clone, Debug, Default)]
pub struct Persons {
    class: Vec<Person>,
    keys: BTreeMap<String, FindingKey>,
    reasons: BTreeMap<String, String>,
    entangling: Vec<Entangling>,
}

impl Persons {
    /// Classifies every relation and finding rule of `program`.
    pub fn analyse(program: &Program, entity: &dyn Fn(RelId) -> Vec<bool>) -> Persons {
        let n = program.relations.len();
        let mut class: Vec<Option<Person>> = vec![None; n];
        let findings: BTreeSet<RelId> = FINDINGS
            .iter()
            .filter_map(|f| program.relation_by_name(f))
            .collect();
        let public = program.relation_by_name("notice_public");
        for (i, r) in program.relations.iter().enumerate() {
            if !r.input {
                continue;
            }
            let (cols, own) = input_keys(r);
            class[i] = Some(if !own && cols.iter().any(|c| *c) {
                Person::Keyed(cols)
            } else {
                Person::Free
            });
        }
        let mut reasons = BTreeMap::new();
        let mut keys = BTreeMap::new();
        let mut entangling: Vec<Entangling> = Vec::new();
        for stratum in &program.strata {
            let heads: BTreeSet<usize> = stratum.relations.iter().map(|r| r.0 as usize).collect();
            let mut rounds = 0;
            loop {
                rounds += 1;
                let mut next: BTreeMap<usize, Person> = BTreeMap::new();
                for idx in &stratum.rules {
                    let rule = program.rule(*idx);
                    let head = rule.head.rel;
                    if findings.contains(&head) {
                        // Generated joins of the findings layer: per rule, below.
                        if program.relation(head).name == "finding_raw"
                            || program.relation(head).name == "exception_raw"
                        {
                            let (key, tied) =
                                finding_key(program, rule, &class, &findings, public, entity);
                            entangling.extend(tied);
                            match key {
                                Ok(k) => {
                                    keys.insert(rule.id.clone(), k);
                                }
                                Err(why) => {
                                    reasons.insert(format!("rule {}", rule.id), why);
                                }
                            }
                        } else if rule.body.iter().any(|l| {
                            matches!(l, Literal::Atom(a) if !findings.contains(&a.rel)
                                && !matches!(class[a.rel.0 as usize], None | Some(Person::Free)))
                        }) {
                            reasons.insert(
                                format!("rule {}", rule.id),
                                "a rule of the findings layer reads other relations".into(),
                            );
                        }
                        continue;
                    }
                    let v = classify(program, rule, &class, &findings, public, entity);
                    entangling.extend(v.entangling);
                    let h = head.0 as usize;
                    let merged = match (next.remove(&h), v.class) {
                        (None, v) => v,
                        (Some(Person::Bad(w)), _) | (_, Person::Bad(w)) => Person::Bad(w),
                        (Some(a), b) if a == b => a,
                        (Some(Person::Free), Person::Keyed(c))
                        | (Some(Person::Keyed(c)), Person::Free) => {
                            // A free tuple is right wherever its activities are; those that
                            // name a subject are in every part that holds the subject.
                            Person::Bad(format!(
                                "rule {}: tuples on person data and tuples without (columns {c:?})",
                                rule.id
                            ))
                        }
                        (Some(Person::Keyed(a)), Person::Keyed(b)) => {
                            let c: Vec<bool> = a.iter().zip(&b).map(|(x, y)| *x && *y).collect();
                            if c.iter().any(|x| *x) {
                                Person::Keyed(c)
                            } else {
                                Person::Proj
                            }
                        }
                        (Some(Person::Free), Person::Proj)
                        | (Some(Person::Proj), Person::Free)
                        | (Some(Person::Proj), Person::Keyed(_))
                        | (Some(Person::Keyed(_)), Person::Proj)
                        | (Some(Person::Proj), Person::Proj) => Person::Proj,
                        (Some(a), _) => a,
                    };
                    next.insert(h, merged);
                }
                let mut changed = false;
                for (h, c) in next {
                    if class[h].as_ref() != Some(&c) {
                        changed = true;
                    }
                    class[h] = Some(c);
                }
                if !stratum.recursive || !changed || rounds > 2 * heads.len() + 4 {
                    if changed && stratum.recursive {
                        for h in &heads {
                            class[*h] = Some(Person::Bad(
                                "recursive stratum without a fixpoint of its classes".into(),
                            ));
                        }
                    }
                    break;
                }
            }
        }
        let class: Vec<Person> = class
            .into_iter()
            .map(|c| c.unwrap_or(Person::Free))
            .collect();
        // Exceptions suppress findings tuple by tuple: an exception's tuples must be right
        // wherever its rule's are kept.
        for m in &program.legal.rule_meta {
            if let sphere_engine::ir::legal::RuleKind::Exception { to, .. } = &m.kind {
                let (Some(e), Some(r)) = (keys.get(&m.id), keys.get(to)) else {
                    continue;
                };
                if e != r && *e != FindingKey::Free {
                    reasons.insert(
                        format!("rule {}", m.id),
                        format!("an exception keyed by {e:?} to a rule keyed by {r:?}"),
                    );
                }
            }
        }
        // A recursive stratum classifies its rules more than once.
        entangling.sort_by(|a, b| a.rule.cmp(&b.rule).then(a.binder.cmp(&b.binder)));
        entangling.dedup();
        Persons {
            class,
            keys,
            reasons,
            entangling,
        }
    }

    /// Whether an activity's subjects may be evaluated one at a time: every finding and
    /// exception rule has a key.
    pub fn is_split(&self) -> bool {
        self.reasons.is_empty()
    }

    /// The person class of a relation.
    pub fn class(&self, rel: RelId) -> &Person {
        &self.class[rel.0 as usize]
    }

    /// The key of a finding or exception rule, by id.
    pub fn key(&self, rule: &str) -> Option<FindingKey> {
        self.keys.get(rule).copied()
    }

    /// The reads that tie an activity's subjects together: an activity a firing of one can
    /// concern is evaluated with all its subjects.
    pub fn entangling(&self) -> &[Entangling] {
        &self.entangling
    }

    /// The keys of the finding and exception rules, by rule id.
    pub fn keys(&self) -> &BTreeMap<String, FindingKey> {
        &self.keys
    }

    /// Why activities cannot be split: rule and reason.
    pub fn reasons(&self) -> &BTreeMap<String, String> {
        &self.reasons
    }
}

/// A read that ties an activity's subjects together (`!subject_without_consent(A)`: every
/// subject of `A` consented), with what bounds the activities it can concern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entangling {
    /// The rule that reads it.
    pub rule: String,
    /// The positive atoms of the rule on no person data, as (relation, per column the
    /// constant it must hold or `None`), and the column of the first one that holds the
    /// activity: the activities a firing can concern are among its values there.
    pub witnesses: Vec<(RelId, Vec<Option<sphere_engine::Value>>)>,
    /// Index into `witnesses` of the atom that binds the activity, and the column.
    pub binder: (usize, usize),
}

/// What one rule gives its head.
struct Verdict {
    class: Person,
    /// The key variables the rule's person data belong to.
    members: BTreeSet<u32>,
    entangling: Vec<Entangling>,
}

impl Verdict {
    fn bad(why: impl Into<String>) -> Verdict {
        Verdict {
            class: Person::Bad(why.into()),
            members: BTreeSet::new(),
            entangling: Vec::new(),
        }
    }
}

/// The key columns of an input relation, and whether its rows are stored with an activity or
/// with shared data rather than with a subject's records (`activity_subject`: a part holds
/// an activity's rows whole).
fn input_keys(rel: &sphere_engine::ir::Relation) -> (Vec<bool>, bool) {
    let pinning = PINNING.contains(&rel.name.as_str());
    let cols = rel
        .columns
        .iter()
        .map(|c| KEY_COLUMNS.contains(&c.name.as_str()) || (pinning && c.name == "activity"))
        .collect();
    (cols, OWN_ROWS.contains(&rel.name.as_str()))
}

/// A rule's body, read for its person data.
fn classify(
    program: &Program,
    rule: &sphere_engine::ir::Rule,
    class: &[Option<Person>],
    findings: &BTreeSet<RelId>,
    public: Option<RelId>,
    entity: &dyn Fn(RelId) -> Vec<bool>,
) -> Verdict {
    // Variables a public notice binds are shared values, not keys.
    let shared: BTreeSet<u32> = rule
        .body
        .iter()
        .filter_map(|l| match l {
            Literal::Atom(a) if !a.negated && Some(a.rel) == public => match a.args.first() {
                Some(Term::Var(v)) => Some(v.0),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let nvars = rule.vars.len();
    let mut parent: Vec<usize> = (0..nvars).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    fn union(p: &mut [usize], a: usize, b: usize) {
        let (a, b) = (find(p, a), find(p, b));
        if a != b {
            p[a] = b;
        }
    }
    struct Read {
        i: usize,
        negated: bool,
        /// Key variables of the atom.
        vars: Vec<u32>,
        /// Rests on person data (not only an activity's or the shared data's own rows).
        person: bool,
        /// Rests on the person data of an unnamed subject.
        proj: bool,
    }
    let mut reads: Vec<Read> = Vec::new();
    for (i, lit) in rule.body.iter().enumerate() {
        let a = match lit {
            Literal::Atom(a) => a,
            Literal::Cmp(c) => {
                if c.op == CmpOp::Eq {
                    if let (Expr::Var(x), Expr::Var(y)) = (&c.lhs, &c.rhs) {
                        union(&mut parent, x.0 as usize, y.0 as usize);
                    }
                }
                continue;
            }
        };
        if findings.contains(&a.rel) {
            return Verdict::bad(format!("atom {} reads the findings", i + 1));
        }
        let c = class[a.rel.0 as usize].clone().unwrap_or(Person::Free);
        if let Person::Bad(w) = &c {
            return Verdict::bad(format!("reads {} ({w})", program.relation(a.rel).name));
        }
        let rel = program.relation(a.rel);
        let (cols, own) = if rel.input {
            input_keys(rel)
        } else {
            match &c {
                Person::Keyed(cols) => (cols.clone(), false),
                _ => (vec![false; a.args.len()], false),
            }
        };
        let mut vars = Vec::new();
        let mut public_key = false;
        for (k, t) in a.args.iter().enumerate() {
            if !cols.get(k).copied().unwrap_or(false) {
                continue;
            }
            match t {
                Term::Var(v) if shared.contains(&v.0) => public_key = true,
                Term::Var(v) => vars.push(v.0),
                Term::Const(_) if !own && matches!(c, Person::Keyed(_)) => {
                    return Verdict::bad(format!("atom {} names a record by a constant", i + 1));
                }
                _ => {}
            }
        }
        if public_key && vars.is_empty() {
            // A public notice's rows: shared data.
            continue;
        }
        for w in vars.windows(2) {
            union(&mut parent, w[0] as usize, w[1] as usize);
        }
        let keyed = matches!(c, Person::Keyed(_)) && !own;
        reads.push(Read {
            i,
            negated: a.negated,
            person: keyed || c == Person::Proj,
            // `consent(_, _, ..)`: some subject's record, unnamed.
            proj: c == Person::Proj || (keyed && vars.is_empty()),
            vars,
        });
    }
    // An activity pinned by a cause or an author is in its subjects' component.
    let keyvars: BTreeSet<u32> = reads.iter().flat_map(|r| r.vars.iter().copied()).collect();
    if let Some(subj) = program.relation_by_name("activity_subject") {
        for lit in &rule.body {
            if let Literal::Atom(a) = lit {
                if let (true, false, Some(Term::Var(act)), Some(Term::Var(s))) =
                    (a.rel == subj, a.negated, a.args.first(), a.args.get(1))
                {
                    if keyvars.contains(&act.0) && keyvars.contains(&s.0) {
                        union(&mut parent, act.0 as usize, s.0 as usize);
                    }
                }
            }
        }
    }
    let head_vars: BTreeSet<u32> = rule
        .head
        .args
        .iter()
        .filter_map(|e| match e {
            Expr::Var(v) => Some(v.0),
            _ => None,
        })
        .collect();
    // Classes of key variables, with the reads that use each.
    let mut uses: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, r) in reads.iter().enumerate() {
        let mut cs: BTreeSet<usize> = BTreeSet::new();
        for v in &r.vars {
            cs.insert(find(&mut parent, *v as usize));
        }
        for c in cs {
            uses.entry(c).or_default().push(k);
        }
    }
    // A class that only one read of an activity's own rows uses, and the head does not keep,
    // is a row of that activity, which a part holds whole (`activity_subject(A, S)` for "A has
    // a subject"): no person's records are read through it.
    let mut classes: BTreeSet<usize> = BTreeSet::new();
    for (c, ks) in &uses {
        let in_head = head_vars
            .iter()
            .any(|v| find(&mut parent, *v as usize) == *c);
        let person = ks.iter().any(|k| reads[*k].person);
        if in_head || person || ks.len() > 1 {
            classes.insert(*c);
        }
    }
    // Reads of an unnamed subject's records: alone and positive, the head rests on them (a
    // union over the subjects); negated, or beside another subject's records, they tie the
    // subjects of an activity together.
    let projs: Vec<usize> = (0..reads.len()).filter(|k| reads[*k].proj).collect();
    let mut entangling = Vec::new();
    let mut proj_head = false;
    let tied = |k: usize| reads[k].negated || projs.len() > 1 || !classes.is_empty();
    for &k in &projs {
        if !tied(k) {
            proj_head = true;
            continue;
        }
        let i = reads[k].i;
        let Literal::Atom(a) = &rule.body[i] else {
            continue;
        };
        // The activities it concerns: its entity columns.
        let ent = entity(a.rel);
        let acts: Vec<u32> = a
            .args
            .iter()
            .enumerate()
            .filter(|(c, _)| ent.get(*c).copied().unwrap_or(false))
            .filter_map(|(_, t)| match t {
                Term::Var(v) => Some(v.0),
                _ => None,
            })
            .collect();
        let Some(&act) = acts.first() else {
            return Verdict::bad(format!(
                "atom {} ties the records of unnamed subjects together",
                i + 1
            ));
        };
        // Witnesses: the positive atoms on no person data.
        let mut witnesses = Vec::new();
        let mut binder = None;
        for lit in &rule.body {
            let Literal::Atom(w) = lit else { continue };
            if w.negated || class[w.rel.0 as usize] != Some(Person::Free) {
                continue;
            }
            if program.relation(w.rel).input
                && input_keys(program.relation(w.rel)).0.iter().any(|c| *c)
                && !OWN_ROWS.contains(&program.relation(w.rel).name.as_str())
            {
                continue;
            }
            let pattern: Vec<Option<sphere_engine::Value>> = w
                .args
                .iter()
                .map(|t| match t {
                    Term::Const(v) => Some(*v),
                    _ => None,
                })
                .collect();
            if binder.is_none() {
                if let Some(col) = w
                    .args
                    .iter()
                    .position(|t| matches!(t, Term::Var(v) if v.0 == act))
                {
                    binder = Some((witnesses.len(), col));
                }
            }
            witnesses.push((w.rel, pattern));
        }
        let Some(binder) = binder else {
            return Verdict::bad(format!(
                "atom {} ties an activity's subjects together, and no atom on the activity's own rows bounds the activities",
                i + 1
            ));
        };
        entangling.push(Entangling {
            rule: rule.id.clone(),
            witnesses,
            binder,
        });
    }
    if classes.len() > 1 {
        return Verdict::bad("rests on the records of two data subjects");
    }
    for r in &reads {
        if r.negated && !r.proj && r.person && r.vars.is_empty() {
            return Verdict::bad(format!(
                "negated atom {} ranges over every subject",
                r.i + 1
            ));
        }
    }
    let Some(&c) = classes.iter().next() else {
        return Verdict {
            class: if proj_head {
                Person::Proj
            } else {
                Person::Free
            },
            members: BTreeSet::new(),
            entangling,
        };
    };
    if proj_head {
        // A union over subjects beside a subject of its own: handled as tied above.
        return Verdict::bad("rests on the records of an unnamed subject and another");
    }
    let members: BTreeSet<u32> = (0..nvars as u32)
        .filter(|v| find(&mut parent, *v as usize) == c)
        .collect();
    let cols: Vec<bool> = rule
        .head
        .args
        .iter()
        .map(|e| matches!(e, Expr::Var(v) if members.contains(&v.0)))
        .collect();
    Verdict {
        class: if cols.iter().any(|x| *x) {
            Person::Keyed(cols)
        } else {
            Person::Proj
        },
        members,
        entangling,
    }
}

/// The key of a finding (`finding_raw`) or exception (`exception_raw`) rule, whose head is
/// `("R", About, Subject, Date)`.
fn finding_key(
    program: &Program,
    rule: &sphere_engine::ir::Rule,
    class: &[Option<Person>],
    findings: &BTreeSet<RelId>,
    public: Option<RelId>,
    entity: &dyn Fn(RelId) -> Vec<bool>,
) -> (Result<FindingKey, String>, Vec<Entangling>) {
    let v = classify(program, rule, class, findings, public, entity);
    let var = |k: usize| match rule.head.args.get(k) {
        Some(Expr::Var(v)) => Some(v.0),
        _ => None,
    };
    let (about, subject) = (var(1), var(2));
    let key = match v.class {
        Person::Bad(w) => Err(w),
        Person::Proj => Err("its findings rest on a subject's records they do not name".into()),
        Person::Free => Ok(if subject.is_some() {
            FindingKey::Subject
        } else {
            FindingKey::Free
        }),
        Person::Keyed(_) => {
            if subject.is_some_and(|s| v.members.contains(&s)) {
                Ok(FindingKey::Subject)
            } else if subject.is_none() && about.is_some_and(|a| v.members.contains(&a)) {
                Ok(FindingKey::About)
            } else {
                Err("its findings rest on the records of a subject they do not name".into())
            }
        }
    };
    (key, v.entangling)
}
