//! Which findings a change can reach: the locality of the rules and the partition of a model
//! into components.
//!
//! The knowledge base judges what a company does with the data of its data subjects. Most of
//! what it concludes about one subject, or one activity, rests on that subject's own records
//! (its activities, consents, objections, personal notices) and on the company's shared
//! reference data (organisation, staff, systems, parties, agreements, flows, sources,
//! assessments, campaigns, guidelines, public notices, the norms). When that holds, the model
//! splits into *components* (subjects and their records, joined where an activity names
//! several subjects or is triggered by another), and evaluating one component with all the
//! shared data gives exactly the full evaluation's findings about that component.
//!
//! [`Locality::analyse`] checks this from the rules, not from trust: it classifies every
//! relation as shared (depends on shared data only), local (every tuple depends on the records
//! of one component, and names one of them) or mixed (anything else), see [`Class`]. A rule
//! whose body reads local relations is local only when those atoms are joined on entity
//! columns into one group (so they meet within one component), every negated local atom is
//! bound on an entity column of that group, and its head keeps an entity of the group. The
//! knowledge base is local when no mixed relation reaches the findings; otherwise incremental
//! evaluation falls back to a full one ([`Locality::is_local`]).
//!
//! [`Components`] is the partition of one model, and [`slice`] the model reduced to some
//! components and the shared data, with every object's origin kept (explanations point at the
//! same file and JSON path as in the full model).

pub mod persons;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rustc_hash::FxHashMap;

use sphere_engine::ir::{Expr, Literal, Program, RelId, Term};
use sphere_model::{Model as Company, Section};

/// Columns of the input relations that hold the id of a component's record.
///
/// Model ids name one object each; a value that is a subject, activity, consent or personal
/// notice id in one of these columns ties the row to that object's component.
const ENTITY_COLUMNS: [&str; 6] = [
    "activity", "subject", "consent", "notice", "cause", "author",
];

/// The locality class of a relation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// Derived from shared data only: the same in every component (up to its domain
    /// columns, see [`Locality`]).
    Shared,
    /// Each tuple not derived from shared data alone rests on the records of one component,
    /// and names it in every entity column.
    Local,
    /// Each tuple rests on the components its entity columns name (one or several): a pair
    /// of records compared (`consent_misses_category(C, A)`).
    Multi,
    /// Tuples project the records of one component away (`tracked_by_activity(Src)`: some
    /// activity tracks through the source): its value over the whole model is the union of
    /// every component's part. Only shared rules may read it (findings about shared objects).
    Global,
    /// Anything else: a tuple may rest on several components in a way no slice sees.
    Mixed,
}

/// The locality of a program's relations.
///
/// Besides entity columns, a column can be a *domain* column: it ranges over the values of
/// one input column of every component (`scc_dates(F, D)`: every activity's date `D`). A rule
/// may read a domain column only where one of its own records binds the same value from
/// that input column (`activity(A, _, _, D, _, _)`), so that a slice holding the record holds
/// the value too.
#[derive(Clone, Debug)]
pub struct Locality {
    class: Vec<Class>,
    /// Per relation, per column: the column holds an entity of the tuple's component.
    entity: Vec<Vec<bool>>,
    /// Per relation, per column: the input columns a domain column ranges over.
    domain: Vec<Vec<BTreeSet<(u32, usize)>>>,
    /// Why a relation is mixed (the rule that made it so), by relation name.
    reasons: BTreeMap<String, String>,
    /// The global relations whose rules project a component away: compared before and
    /// after a change (see [`Locality::projections`]).
    projections: Vec<RelId>,
    global_rules: BTreeSet<String>,
    local: bool,
    /// Whether an activity's subjects can be evaluated one at a time (see [`persons`]).
    persons: persons::Persons,
}

/// A head's class being gathered from its rules: class, entity columns (of the local rules),
/// domain columns, and why it is mixed.
type Pending = (
    Class,
    Option<Vec<bool>>,
    Vec<BTreeSet<(u32, usize)>>,
    String,
);

/// What one rule gives its head.
struct Verdict {
    class: Class,
    entity: Vec<usize>,
    domain: Vec<(usize, BTreeSet<(u32, usize)>)>,
    why: String,
}

impl Verdict {
    fn mixed(why: impl Into<String>) -> Verdict {
        Verdict {
            class: Class::Mixed,
            entity: Vec::new(),
            domain: Vec::new(),
            why: why.into(),
        }
    }
}

impl Locality {
    /// Classifies every relation of `program`, stratum by stratum (a recursive stratum to a
    /// fixpoint).
    pub fn analyse(program: &Program) -> Locality {
        let n = program.relations.len();
        let mut class: Vec<Option<Class>> = vec![None; n];
        let mut entity: Vec<Vec<bool>> = program
            .relations
            .iter()
            .map(|r| vec![false; r.columns.len()])
            .collect();
        let mut domain: Vec<Vec<BTreeSet<(u32, usize)>>> = program
            .relations
            .iter()
            .map(|r| vec![BTreeSet::new(); r.columns.len()])
            .collect();
        for (i, r) in program.relations.iter().enumerate() {
            if !r.input {
                continue;
            }
            class[i] = Some(Class::Shared);
            for (k, c) in r.columns.iter().enumerate() {
                if ENTITY_COLUMNS.contains(&c.name.as_str()) {
                    entity[i][k] = true;
                    class[i] = Some(Class::Local);
                }
            }
        }
        // Relations with facts in the program text (norm windows) and nothing else are shared.
        let public = program.relation_by_name("notice_public");
        let mut reasons = BTreeMap::new();
        let mut global_rules = BTreeSet::new();
        let mut global_heads: BTreeSet<RelId> = BTreeSet::new();
        for stratum in &program.strata {
            let heads: BTreeSet<usize> = stratum.relations.iter().map(|r| r.0 as usize).collect();
            let mut rounds = 0;
            loop {
                rounds += 1;
                let mut next: BTreeMap<usize, Pending> = BTreeMap::new();
                for idx in &stratum.rules {
                    let rule = program.rule(*idx);
                    let head = rule.head.rel.0 as usize;
                    let v = classify(program, rule, &class, &entity, &domain, public);
                    let e = next.entry(head).or_insert_with(|| {
                        (
                            Class::Shared,
                            None,
                            vec![BTreeSet::new(); entity[head].len()],
                            String::new(),
                        )
                    });
                    for (k, d) in v.domain {
                        e.2[k].extend(d);
                    }
                    let mut cols = vec![false; entity[head].len()];
                    for k in &v.entity {
                        cols[*k] = true;
                    }
                    let merged = match (&e.0, &v.class) {
                        (Class::Mixed, _) => Class::Mixed,
                        (_, Class::Mixed) => {
                            e.3 = format!("rule {}: {}", rule.id, v.why);
                            Class::Mixed
                        }
                        (a, Class::Shared) => a.clone(),
                        (Class::Shared, b) => b.clone(),
                        (a, b) if a == b => a.clone(),
                        (Class::Local, Class::Multi) | (Class::Multi, Class::Local) => Class::Multi,
                        // Findings about shared objects beside findings about records: the
                        // global tuples name no entity, and are kept from before a change
                        // unless the projections changed (see `Locality::global_rules`).
                        (Class::Local, Class::Global) | (Class::Global, Class::Local) => {
                            Class::Local
                        }
                        (a, b) => {
                            e.3 = format!(
                                "rule {}: a {a:?} and a {b:?} rule for one relation",
                                rule.id
                            );
                            Class::Mixed
                        }
                    };
                    e.0 = merged;
                    if v.class == Class::Global && heads.contains(&head) {
                        global_rules.insert(rule.id.clone());
                        global_heads.insert(rule.head.rel);
                    }
                    if matches!(v.class, Class::Local | Class::Multi) {
                        // Entity columns: those every local rule fills with an entity.
                        e.1 = Some(match e.1.take() {
                            None => cols,
                            Some(old) => old.iter().zip(&cols).map(|(a, b)| *a && *b).collect(),
                        });
                    }
                }
                let mut changed = false;
                for (head, (mut c, cols, dom, why)) in next {
                    let cols = cols.unwrap_or_else(|| vec![false; entity[head].len()]);
                    if matches!(c, Class::Local | Class::Multi) && !cols.iter().any(|x| *x) {
                        c = Class::Mixed;
                        reasons.insert(
                            program.relations[head].name.clone(),
                            "no column holds an entity in every rule".to_string(),
                        );
                    } else if c == Class::Mixed {
                        reasons.insert(program.relations[head].name.clone(), why);
                    }
                    if class[head].as_ref() != Some(&c)
                        || entity[head] != cols
                        || domain[head] != dom
                    {
                        changed = true;
                    }
                    class[head] = Some(c);
                    entity[head] = cols;
                    domain[head] = dom;
                }
                if !stratum.recursive || !changed || rounds > 2 * heads.len() + 4 {
                    if changed && stratum.recursive {
                        for h in &heads {
                            class[*h] = Some(Class::Mixed);
                            reasons.insert(
                                program.relations[*h].name.clone(),
                                "recursive stratum without a fixpoint of its classes".into(),
                            );
                        }
                    }
                    break;
                }
            }
        }
        let class: Vec<Class> = class
            .into_iter()
            .map(|c| c.unwrap_or(Class::Shared))
            .collect();
        let local = ["finding_raw", "suppressed", "finding"]
            .iter()
            .filter_map(|name| program.relation_by_name(name))
            .all(|r| class[r.0 as usize] != Class::Mixed);
        let projections: Vec<RelId> = global_heads.into_iter().collect();
        let persons = persons::Persons::analyse(program, &|r| entity[r.0 as usize].clone());
        Locality {
            class,
            entity,
            domain,
            reasons,
            projections,
            global_rules,
            local,
            persons,
        }
    }

    /// The person dimension: whether and how an activity's subjects are evaluated one at a
    /// time.
    pub fn persons(&self) -> &persons::Persons {
        &self.persons
    }

    /// The rules whose tuples project a component away (global findings among them): their
    /// value in a slice is not the model's.
    pub fn global_rules(&self) -> &BTreeSet<String> {
        &self.global_rules
    }

    /// Whether the findings (listed and suppressed) are local: then a component evaluated
    /// with the shared data gives the full evaluation's findings about it, and the findings
    /// about shared objects stay as they were as long as [`Locality::projections`] do.
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// The class of a relation.
    pub fn class(&self, rel: RelId) -> &Class {
        &self.class[rel.0 as usize]
    }

    /// The columns of a relation that hold an entity of the tuple's component.
    pub fn entity_columns(&self, rel: RelId) -> &[bool] {
        &self.entity[rel.0 as usize]
    }

    /// The input columns (relation, column) a domain column ranges over.
    pub fn domain_columns(&self, rel: RelId) -> &[BTreeSet<(u32, usize)>] {
        &self.domain[rel.0 as usize]
    }

    /// The relations global rules derive: a change whose components give them tuples beyond
    /// those of the shared data alone can change findings about shared objects (a session
    /// then evaluates the whole model).
    pub fn projections(&self) -> &[RelId] {
        &self.projections
    }

    /// The mixed relations with the rule that made each mixed, by name.
    pub fn mixed(&self) -> &BTreeMap<String, String> {
        &self.reasons
    }
}

/// The class a rule gives its head.
fn classify(
    program: &Program,
    rule: &sphere_engine::ir::Rule,
    class: &[Option<Class>],
    entity: &[Vec<bool>],
    domain: &[Vec<BTreeSet<(u32, usize)>>],
    public: Option<RelId>,
) -> Verdict {
    let _ = program;
    // Variables a public notice binds are shared values, not entities.
    let shared_vars: BTreeSet<u32> = rule
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
    struct Seen {
        i: usize,
        negated: bool,
        multi: bool,
        vars: BTreeSet<u32>,
    }
    let mut single: Vec<Seen> = Vec::new();
    let mut other: Vec<Seen> = Vec::new();
    let mut globals = false;
    // Variables bound from a column of a local record (relation, column), to witness domains.
    let mut witnessed: BTreeMap<u32, BTreeSet<(u32, usize)>> = BTreeMap::new();
    // Variables that range over a domain, with its input columns.
    let mut ranging: BTreeMap<u32, BTreeSet<(u32, usize)>> = BTreeMap::new();
    for (i, lit) in rule.body.iter().enumerate() {
        let Literal::Atom(a) = lit else { continue };
        let r = a.rel.0 as usize;
        let c = class[r].clone().unwrap_or(Class::Shared);
        if c == Class::Mixed {
            return Verdict::mixed(format!(
                "reads the mixed relation {}",
                program.relations[r].name
            ));
        }
        for (k, t) in a.args.iter().enumerate() {
            if let Term::Var(v) = t {
                if !domain[r][k].is_empty() {
                    ranging
                        .entry(v.0)
                        .or_default()
                        .extend(domain[r][k].iter().copied());
                }
            }
        }
        if c == Class::Global {
            globals = true;
            continue;
        }
        if c == Class::Shared {
            continue;
        }
        let vars: BTreeSet<u32> = a
            .args
            .iter()
            .enumerate()
            .filter(|(k, _)| entity[r].get(*k).copied().unwrap_or(false))
            .filter_map(|(_, t)| match t {
                Term::Var(v) if !shared_vars.contains(&v.0) => Some(v.0),
                _ => None,
            })
            .collect();
        let any_entity_term = a.args.iter().enumerate().any(|(k, t)| {
            entity[r].get(k).copied().unwrap_or(false)
                && !matches!(t, Term::Var(v) if shared_vars.contains(&v.0))
                && !matches!(t, Term::Wildcard)
        });
        if vars.is_empty() {
            if any_entity_term {
                return Verdict::mixed(format!("atom {} names a record by a constant", i + 1));
            }
            if a.negated
                && a.args.iter().enumerate().any(|(k, t)| {
                    entity[r].get(k).copied().unwrap_or(false) && matches!(t, Term::Wildcard)
                })
            {
                return Verdict::mixed(format!(
                    "negated atom {} ranges over every component",
                    i + 1
                ));
            }
            // A public notice, or a domain atom (every entity column `_`): its other columns
            // range over the values of every component.
            if !a.negated
                && a.args.iter().enumerate().any(|(k, t)| {
                    entity[r].get(k).copied().unwrap_or(false) && matches!(t, Term::Wildcard)
                })
            {
                for (k, t) in a.args.iter().enumerate() {
                    if let Term::Var(v) = t {
                        let src: BTreeSet<(u32, usize)> = if program.relations[r].input {
                            [(r as u32, k)].into()
                        } else {
                            domain[r][k].clone()
                        };
                        if src.is_empty() {
                            return Verdict::mixed(format!(
                                "atom {} projects a component away from a derived column",
                                i + 1
                            ));
                        }
                        ranging.entry(v.0).or_default().extend(src);
                    }
                }
            }
            continue;
        }
        if !a.negated && c == Class::Local {
            for (k, t) in a.args.iter().enumerate() {
                if let Term::Var(v) = t {
                    let w = witnessed.entry(v.0).or_default();
                    if program.relations[r].input {
                        w.insert((r as u32, k));
                    }
                    w.extend(domain[r][k].iter().copied());
                }
            }
        }
        let seen = Seen {
            i,
            negated: a.negated,
            multi: c == Class::Multi,
            vars,
        };
        if !a.negated && c == Class::Local {
            single.push(seen);
        } else {
            other.push(seen);
        }
    }
    // Groups: positive single-component atoms sharing an entity variable.
    let mut parent: Vec<usize> = (0..single.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for i in 0..single.len() {
        for j in i + 1..single.len() {
            if !single[i].vars.is_disjoint(&single[j].vars) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let mut groups: BTreeMap<usize, BTreeSet<u32>> = BTreeMap::new();
    for (i, seen) in single.iter().enumerate() {
        let root = find(&mut parent, i);
        groups
            .entry(root)
            .or_default()
            .extend(seen.vars.iter().copied());
    }
    let group_of = |v: u32| {
        groups
            .iter()
            .find(|(_, vs)| vs.contains(&v))
            .map(|(g, _)| *g)
    };
    // Negated and multi-component atoms: bound within one group.
    for s in &other {
        let gs: BTreeSet<Option<usize>> = s.vars.iter().map(|v| group_of(*v)).collect();
        if gs.contains(&None) && (s.multi || s.vars.iter().all(|v| group_of(*v).is_none())) {
            return Verdict::mixed(format!(
                "atom {} is bound on no record of the rule",
                s.i + 1
            ));
        }
        if s.multi && gs.len() > 1 {
            return Verdict::mixed(format!("atom {} pairs records of several groups", s.i + 1));
        }
        let _ = s.negated;
    }
    // Domain values read must be witnessed by a record of the rule, or kept in the head.
    let head_vars: BTreeSet<u32> = rule
        .head
        .args
        .iter()
        .filter_map(|e| match e {
            Expr::Var(v) => Some(v.0),
            _ => None,
        })
        .collect();
    let mut head_domain: Vec<(usize, BTreeSet<(u32, usize)>)> = Vec::new();
    for (v, src) in &ranging {
        let ok = witnessed
            .get(v)
            .is_some_and(|w| src.iter().all(|s| w.contains(s)));
        if ok {
            continue;
        }
        if !head_vars.contains(v) {
            return Verdict::mixed("a value of every component is read and dropped".to_string());
        }
        for (k, e) in rule.head.args.iter().enumerate() {
            if matches!(e, Expr::Var(x) if x.0 == *v) {
                head_domain.push((k, src.clone()));
            }
        }
    }
    if globals {
        if !groups.is_empty() || !other.is_empty() {
            return Verdict::mixed("a rule on records reads a global relation");
        }
        return Verdict {
            class: Class::Global,
            entity: Vec::new(),
            domain: head_domain,
            why: String::new(),
        };
    }
    if groups.is_empty() {
        return Verdict {
            class: Class::Shared,
            entity: Vec::new(),
            domain: head_domain,
            why: String::new(),
        };
    }
    let mut cols = Vec::new();
    let mut kept = BTreeSet::new();
    for (k, e) in rule.head.args.iter().enumerate() {
        if let Expr::Var(v) = e {
            if let Some(g) = group_of(v.0) {
                cols.push(k);
                kept.insert(g);
            }
        }
    }
    if kept.is_empty() && groups.len() == 1 {
        return Verdict {
            class: Class::Global,
            entity: Vec::new(),
            domain: head_domain,
            why: String::new(),
        };
    }
    if kept.len() != groups.len() {
        return Verdict::mixed("the head keeps no entity of a group of records it rests on");
    }
    Verdict {
        class: if groups.len() == 1 {
            Class::Local
        } else {
            Class::Multi
        },
        entity: cols,
        domain: head_domain,
        why: String::new(),
    }
}

/// A model's partition into components: ids of subjects, activities, consents and personal
/// notices, each in one component.
///
/// A *split* activity (several subjects, when the rules allow it: see [`persons`]) joins no
/// component: it belongs to the component of each of its subjects, and a part that holds one
/// of them holds the activity whole.
#[derive(Clone, Debug, Default)]
pub struct Components {
    /// Component of every entity id.
    of: HashMap<String, usize>,
    /// The ids of every component.
    members: HashMap<usize, Vec<String>>,
    /// The subjects of every split activity.
    split: FxHashMap<String, Vec<String>>,
    /// The split activities that name each subject.
    named: FxHashMap<String, Vec<String>>,
}

impl Components {
    /// Partitions a model. Ids that are equal are one node whatever their section, so a
    /// collision between sections can only merge components (which is safe), never split one.
    pub fn of(m: &Company) -> Components {
        Components::split_of(m, None)
    }

    /// [`Components::of`], with the activities that may be split: those with several
    /// subjects, no cause, no content author, that are no other activity's cause and are not
    /// in `entangled` (activities a rule reads all the subjects of). `None`: none is split.
    pub fn split_of(m: &Company, entangled: Option<&BTreeSet<String>>) -> Components {
        let mut c = Components::default();
        for s in &m.subjects {
            c.link([s.id.as_str()]);
        }
        for x in &m.consents {
            c.link([x.id.as_str(), x.subject.as_str()]);
        }
        for o in &m.objections {
            c.link([o.subject.as_str()]);
        }
        for n in &m.notices {
            if let Some(s) = &n.subject {
                c.link([n.id.as_str(), s.as_str()]);
            }
        }
        let causes: BTreeSet<&str> = match entangled {
            Some(_) => m
                .activities
                .iter()
                .filter_map(|a| a.triggered_by.as_deref())
                .collect(),
            None => BTreeSet::new(),
        };
        for a in &m.activities {
            let splittable = entangled.is_some_and(|e| !e.contains(&a.id))
                && a.subjects.len() > 1
                && a.triggered_by.is_none()
                && a.content.as_ref().is_none_or(|c| c.author.is_none())
                && !causes.contains(a.id.as_str())
                && !c.of.contains_key(&a.id)
                && !c.split.contains_key(&a.id);
            if splittable {
                for s in &a.subjects {
                    c.link([s.as_str()]);
                    let named = c.named.entry(s.clone()).or_default();
                    if !named.contains(&a.id) {
                        named.push(a.id.clone());
                    }
                }
                c.split.insert(a.id.clone(), a.subjects.clone());
                continue;
            }
            let mut ids: Vec<&str> = vec![a.id.as_str()];
            ids.extend(a.subjects.iter().map(String::as_str));
            ids.extend(a.triggered_by.as_deref());
            ids.extend(a.content.as_ref().and_then(|c| c.author.as_deref()));
            c.link(ids);
        }
        c
    }

    /// Whether an activity is split (it belongs to each of its subjects' components).
    pub fn is_split(&self, id: &str) -> bool {
        self.split.contains_key(id)
    }

    /// Number of split activities.
    pub fn split_count(&self) -> usize {
        self.split.len()
    }

    /// The subjects of a split activity.
    pub fn split_subjects(&self, id: &str) -> Option<&[String]> {
        self.split.get(id).map(Vec::as_slice)
    }

    /// Makes a split activity whole again: it joins its subjects into one component.
    pub fn unsplit(&mut self, id: &str) {
        let Some(subjects) = self.split.remove(id) else {
            return;
        };
        for s in &subjects {
            if let Some(list) = self.named.get_mut(s) {
                list.retain(|a| a != id);
            }
        }
        let mut ids: Vec<&str> = vec![id];
        ids.extend(subjects.iter().map(String::as_str));
        self.link(ids);
    }

    /// Puts the ids into one component (merging the components they are in).
    pub fn link<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        let ids: Vec<&str> = ids.into_iter().collect();
        // A split activity linked with other records is whole from now on.
        for id in &ids {
            if self.split.contains_key(*id) && ids.len() > 1 {
                self.unsplit(id);
            }
        }
        let mut target: Option<usize> = None;
        for id in ids {
            if self.split.contains_key(id) {
                continue;
            }
            let comp = match self.of.get(id) {
                Some(&c) => c,
                None => {
                    let c = self.of.len();
                    // A fresh number: ids are never removed, so `of.len()` was never used.
                    let c = if self.members.contains_key(&c) {
                        self.members.keys().max().map_or(0, |m| m + 1)
                    } else {
                        c
                    };
                    self.of.insert(id.to_string(), c);
                    self.members.insert(c, vec![id.to_string()]);
                    c
                }
            };
            match target {
                None => target = Some(comp),
                Some(t) if t == comp => {}
                Some(t) => {
                    // Move the smaller component into the larger.
                    let (small, large) = {
                        let ls = self.members.get(&t).map_or(0, Vec::len);
                        let lc = self.members.get(&comp).map_or(0, Vec::len);
                        if ls < lc {
                            (t, comp)
                        } else {
                            (comp, t)
                        }
                    };
                    let moved = self.members.remove(&small).unwrap_or_default();
                    for m in &moved {
                        self.of.insert(m.clone(), large);
                    }
                    self.members.entry(large).or_default().extend(moved);
                    target = Some(large);
                }
            }
        }
    }

    /// The component of an entity id; `None` for shared data.
    pub fn get(&self, id: &str) -> Option<usize> {
        self.of.get(id).copied()
    }

    /// Whether the id is an entity of a component (or a split activity).
    pub fn contains(&self, id: &str) -> bool {
        self.of.contains_key(id) || self.split.contains_key(id)
    }

    /// The entity ids of the components of `ids` (a split activity's: those of all its
    /// subjects), and the split activities that name a subject among them.
    pub fn members<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
        let mut comps: BTreeSet<usize> = BTreeSet::new();
        let mut out: BTreeSet<String> = BTreeSet::new();
        for i in ids {
            if let Some(c) = self.get(i) {
                comps.insert(c);
            } else if let Some(subjects) = self.split.get(i.as_str()) {
                out.insert(i.clone());
                comps.extend(subjects.iter().filter_map(|s| self.get(s)));
            }
        }
        for m in comps.iter().filter_map(|c| self.members.get(c)).flatten() {
            if let Some(acts) = self.named.get(m) {
                out.extend(acts.iter().cloned());
            }
            out.insert(m.clone());
        }
        out
    }

    /// Number of components.
    pub fn count(&self) -> usize {
        self.members.len()
    }
}

/// Where the records of every entity are in a model's lists, so that a slice is cut in time
/// proportional to the part (its records and the shared data), not to the model.
///
/// Positions are those of one state of the model: [`Records::appended`] follows objects added
/// at the end of a list; after a removal (which shifts the lists) the index is built again.
#[derive(Clone, Debug, Default)]
pub struct Records {
    /// The subject, consent, personal notice or activity with this id.
    at: FxHashMap<String, (Section, u32)>,
    /// The objections of a subject.
    objections: FxHashMap<String, Vec<u32>>,
    /// The notices without a subject (shared).
    public: Vec<u32>,
    /// The campaigns that list an activity, with its place in each list.
    listed: FxHashMap<String, Vec<(u32, u32)>>,
    /// Two records share an id (a model built in code, not validated): slices are cut by
    /// scanning the model then.
    collided: bool,
}

impl Records {
    /// Indexes a model's records.
    pub fn of(m: &Company) -> Records {
        let mut r = Records::default();
        for i in 0..m.subjects.len() {
            r.appended(m, Section::Subjects, i);
        }
        for i in 0..m.consents.len() {
            r.appended(m, Section::Consents, i);
        }
        for i in 0..m.objections.len() {
            r.appended(m, Section::Objections, i);
        }
        for i in 0..m.notices.len() {
            r.appended(m, Section::Notices, i);
        }
        for i in 0..m.activities.len() {
            r.appended(m, Section::Activities, i);
        }
        for (c, campaign) in m.campaigns.iter().enumerate() {
            for (k, a) in campaign.activities.iter().enumerate() {
                r.listed
                    .entry(a.clone())
                    .or_default()
                    .push((c as u32, k as u32));
            }
        }
        r
    }

    /// Notes object `i` of a local section of `m`, appended (or replacing one with the same
    /// id, which changes nothing here).
    pub fn appended(&mut self, m: &Company, section: Section, i: usize) {
        let mut own = |id: &str| match self.at.get(id) {
            Some(&(s, k)) if s == section && k as usize == i => {}
            Some(_) => self.collided = true,
            None => {
                self.at.insert(id.to_string(), (section, i as u32));
            }
        };
        match section {
            Section::Subjects => own(&m.subjects[i].id),
            Section::Consents => own(&m.consents[i].id),
            Section::Activities => own(&m.activities[i].id),
            Section::Notices => match &m.notices[i].subject {
                Some(_) => own(&m.notices[i].id),
                None => {
                    if !self.public.contains(&(i as u32)) {
                        self.public.push(i as u32);
                    }
                }
            },
            Section::Objections => {
                let list = self
                    .objections
                    .entry(m.objections[i].subject.clone())
                    .or_default();
                if !list.contains(&(i as u32)) {
                    list.push(i as u32);
                }
            }
            _ => {}
        }
    }

    /// Whether an activity with this id is in the model.
    pub fn is_activity(&self, id: &str) -> bool {
        matches!(self.at.get(id), Some((Section::Activities, _)))
    }

    /// [`slice`], from the index: the same model, cut in time proportional to the part.
    pub fn slice(&self, m: &Company, ids: &BTreeSet<String>) -> Company {
        if self.collided {
            return slice(m, ids);
        }
        let mut at: [Vec<u32>; 14] = Default::default();
        let mut listed: Vec<(u32, u32)> = Vec::new();
        for id in ids {
            if let Some(&(s, i)) = self.at.get(id.as_str()) {
                at[s as usize].push(i);
            }
            if let Some(list) = self.objections.get(id.as_str()) {
                at[Section::Objections as usize].extend(list);
            }
            if let Some(list) = self.listed.get(id.as_str()) {
                listed.extend(list);
            }
        }
        at[Section::Notices as usize].extend(&self.public);
        // The subjects of a split activity outside the part: their subject records (not the
        // rest of their records), so that the part's references resolve. Findings about them
        // are not the part's (see `persons`).
        let mut named = Vec::new();
        for &i in &at[Section::Activities as usize] {
            for s in &m.activities[i as usize].subjects {
                if let Some(&(Section::Subjects, k)) = self.at.get(s.as_str()) {
                    named.push(k);
                }
            }
        }
        at[Section::Subjects as usize].extend(named);
        for list in &mut at {
            list.sort_unstable();
            list.dedup();
        }
        listed.sort_unstable();
        let p = &m.provenance;
        let mut places: [Vec<(u32, u32)>; 14] = Default::default();
        for s in Section::ALL {
            let recorded = &p.places[s as usize];
            places[s as usize] = match s {
                Section::Subjects
                | Section::Consents
                | Section::Objections
                | Section::Notices
                | Section::Activities => at[s as usize]
                    .iter()
                    .map(|&i| recorded.get(i as usize).copied().unwrap_or((u32::MAX, i)))
                    .collect(),
                _ => recorded.clone(),
            };
        }
        fn pick<T: Clone>(list: &[T], at: &[u32]) -> Vec<T> {
            at.iter().map(|&i| list[i as usize].clone()).collect()
        }
        let mut campaigns: Vec<sphere_model::Campaign> = m
            .campaigns
            .iter()
            .map(|c| sphere_model::Campaign {
                id: c.id.clone(),
                name: c.name.clone(),
                owner: c.owner.clone(),
                status: c.status,
                activities: Vec::new(),
            })
            .collect();
        for (c, k) in listed {
            let name = &m.campaigns[c as usize].activities[k as usize];
            campaigns[c as usize].activities.push(name.clone());
        }
        Company {
            format: m.format,
            as_of: m.as_of,
            organization: m.organization.clone(),
            staff: m.staff.clone(),
            parties: m.parties.clone(),
            systems: m.systems.clone(),
            agreements: m.agreements.clone(),
            assessments: m.assessments.clone(),
            sources: m.sources.clone(),
            subjects: pick(&m.subjects, &at[Section::Subjects as usize]),
            consents: pick(&m.consents, &at[Section::Consents as usize]),
            objections: pick(&m.objections, &at[Section::Objections as usize]),
            notices: pick(&m.notices, &at[Section::Notices as usize]),
            flows: m.flows.clone(),
            activities: pick(&m.activities, &at[Section::Activities as usize]),
            campaigns,
            guidelines: m.guidelines.clone(),
            provenance: sphere_model::Provenance {
                files: p.files.clone(),
                organization_file: p.organization_file,
                places,
            },
        }
    }
}

/// The activities that a read tying an activity's subjects together can concern in an
/// evaluation ([`persons::Entangling`]): a part holds each of them with all its subjects. A
/// rule none of whose witnesses can all hold concerns none.
pub fn entangled(
    persons: &persons::Persons,
    ev: &sphere_engine::eval::Evaluation<'_>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in persons.entangling() {
        let fires = e
            .witnesses
            .iter()
            .all(|(rel, pattern)| !ev.select(*rel, pattern).is_empty());
        if !fires {
            continue;
        }
        let (w, col) = e.binder;
        let (rel, pattern) = &e.witnesses[w];
        for t in ev.select(*rel, pattern) {
            if let Some(v @ sphere_engine::Value::Sym(_)) = t.get(col) {
                out.insert(sphere_engine::value::display(*v, ev.interner()));
            }
        }
    }
    out
}

/// The model reduced to the records whose ids are in `ids` (their subjects, activities,
/// consents, objections and personal notices) and all shared data. Every object keeps its
/// origin in the full model, so explanations name the same file and JSON path.
pub fn slice(m: &Company, ids: &BTreeSet<String>) -> Company {
    let mut out = Company {
        format: m.format,
        as_of: m.as_of,
        organization: m.organization.clone(),
        staff: m.staff.clone(),
        parties: m.parties.clone(),
        systems: m.systems.clone(),
        agreements: m.agreements.clone(),
        assessments: m.assessments.clone(),
        sources: m.sources.clone(),
        subjects: Vec::new(),
        consents: Vec::new(),
        objections: Vec::new(),
        notices: Vec::new(),
        flows: m.flows.clone(),
        activities: Vec::new(),
        // `campaign_activity(C, A)` rows belong to `A`'s component: a slice keeps those of
        // its activities (rows of other components are never read for it).
        campaigns: m
            .campaigns
            .iter()
            .map(|c| sphere_model::Campaign {
                id: c.id.clone(),
                name: c.name.clone(),
                owner: c.owner.clone(),
                status: c.status,
                activities: c
                    .activities
                    .iter()
                    .filter(|a| ids.contains(a.as_str()))
                    .cloned()
                    .collect(),
            })
            .collect(),
        guidelines: m.guidelines.clone(),
        provenance: m.provenance.clone(),
    };
    let keep = |id: &str| ids.contains(id);
    let p = &m.provenance;
    // The place of object `i` of a section: as recorded, or `<model>` at `i` for a model built
    // in code (then every object is reported by its index in the full model).
    let place = |section: Section, i: usize| -> (u32, u32) {
        p.places[section as usize]
            .get(i)
            .copied()
            .unwrap_or((u32::MAX, i as u32))
    };
    macro_rules! pick {
        ($field:ident, $section:expr, $keep:expr) => {{
            let mut places = Vec::new();
            for (i, x) in m.$field.iter().enumerate() {
                if $keep(x) {
                    out.$field.push(x.clone());
                    places.push(place($section, i));
                }
            }
            out.provenance.places[$section as usize] = places;
        }};
    }
    // The subjects of the activities kept (a split activity's other subjects: their subject
    // records only).
    let named: BTreeSet<&str> = m
        .activities
        .iter()
        .filter(|a| keep(&a.id))
        .flat_map(|a| a.subjects.iter().map(String::as_str))
        .collect();
    pick!(subjects, Section::Subjects, |x: &sphere_model::Subject| {
        keep(&x.id) || named.contains(x.id.as_str())
    });
    pick!(consents, Section::Consents, |x: &sphere_model::Consent| {
        keep(&x.id)
    });
    pick!(
        objections,
        Section::Objections,
        |x: &sphere_model::Objection| keep(&x.subject)
    );
    pick!(notices, Section::Notices, |x: &sphere_model::Notice| x
        .subject
        .as_ref()
        .is_none_or(|_| keep(&x.id)));
    pick!(
        activities,
        Section::Activities,
        |x: &sphere_model::Activity| keep(&x.id)
    );
    // Shared sections keep their places as they are; a model built in code has none and is
    // reported by index, which the full lists keep.
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_of(l: &Locality, kb: &crate::KnowledgeBase, name: &str) -> Class {
        let rel = kb.program().relation_by_name(name).expect("a relation");
        l.class(rel).clone()
    }

    #[test]
    fn the_shipped_knowledge_base_is_local() {
        let kb = crate::KnowledgeBase::shipped().expect("compiles");
        let l = Locality::analyse(kb.program());
        assert!(l.is_local(), "mixed relations: {:#?}", l.mixed());
        assert!(l.mixed().is_empty(), "{:#?}", l.mixed());
        // Findings about records; pairs of records compared; a source that some activity
        // tracks through (a projection).
        assert_eq!(class_of(&l, &kb, "finding_raw"), Class::Local);
        assert_eq!(class_of(&l, &kb, "consent_misses_category"), Class::Multi);
        assert_eq!(class_of(&l, &kb, "tracked_by_activity"), Class::Global);
        // A subject who was a customer by the date of one of the subject's own activities.
        assert_eq!(class_of(&l, &kb, "customer_by"), Class::Local);
        let customer_by = kb.program().relation_by_name("customer_by").expect("there");
        assert_eq!(l.entity_columns(customer_by), [true, false]);
        assert!(l.global_rules().contains("gdpr_dpo_missing_monitoring"));
        assert!(l
            .global_rules()
            .contains("tdddg_site_trackers_without_consent"));
    }

    #[test]
    fn the_shipped_knowledge_base_judges_an_activity_one_subject_at_a_time() {
        use persons::FindingKey;
        let kb = crate::KnowledgeBase::shipped().expect("compiles");
        let p = Locality::analyse(kb.program()).persons().clone();
        assert!(p.is_split(), "{:#?}", p.reasons());
        // Keyed by the subject whose records they rest on; by the request or record they are
        // about; or on no person's records at all.
        assert_eq!(p.key("gdpr_no_legal_basis"), Some(FindingKey::Subject));
        assert_eq!(
            p.key("uwg_phone_without_consent"),
            Some(FindingKey::Subject)
        );
        assert_eq!(
            p.key("urhg_photo_reuse_without_licence"),
            Some(FindingKey::Subject)
        );
        assert_eq!(p.key("gdpr_request_unanswered"), Some(FindingKey::About));
        assert_eq!(p.key("guideline_breach"), Some(FindingKey::Free));
        assert_eq!(p.key("gdpr_transfer_without_basis"), Some(FindingKey::Free));
        // Rules that read every subject of an activity: a transfer on the explicit consent
        // (or the contract) of all the people concerned, a guideline on the kinds of subject.
        let tied: BTreeSet<&str> = p.entangling().iter().map(|e| e.rule.as_str()).collect();
        assert_eq!(
            tied,
            BTreeSet::from([
                "guideline_mismatch#6",
                "transfer_derogation_consent",
                "transfer_derogation_contract"
            ])
        );
    }

    #[test]
    fn rules_that_read_two_subjects_of_an_activity_keep_its_subjects_together() {
        let rules = r#"
            .decl both(a: symbol)
            both(A) :- activity_subject(A, S), activity_subject(A, T), S != T,
                consent(_, S, _, _, _), consent(_, T, _, _, _).
            .decl unconsented(a: symbol)
            unconsented(A) :- activity_subject(A, S), !consent(_, S, _, _, _).
            .decl all_consented(a: symbol)
            all_consented(A) :- activity(A, "contact", _, _, _, _), !unconsented(A).
        "#;
        let kb = crate::KnowledgeBase::builder()
            .rules_text("extra.dl", rules)
            .build()
            .expect("compiles");
        let l = Locality::analyse(kb.program());
        let p = l.persons();
        let class = |name: &str| {
            p.class(kb.program().relation_by_name(name).expect("a relation"))
                .clone()
        };
        // Two subjects' consents in one tuple: no part of one subject can see it.
        assert!(
            matches!(class("both"), persons::Person::Bad(ref w) if w.contains("two data subjects")),
            "{:?}",
            class("both")
        );
        // Some subject of the activity without consent: a union over its subjects.
        assert_eq!(class("unconsented"), persons::Person::Proj);
        // Every subject consented: read for the contacts only, which a part then holds with
        // all their subjects.
        assert_eq!(class("all_consented"), persons::Person::Free);
        let tied: Vec<&str> = p.entangling().iter().map(|e| e.rule.as_str()).collect();
        assert!(tied.contains(&"all_consented#1"), "{tied:?}");
        // None of them reaches a finding.
        assert!(p.is_split(), "{:#?}", p.reasons());

        // A finding on two subjects' records: activities keep their subjects together.
        let finding = r#"
            .rule two_consents {
                norms: ["urhg:31"],
                severity: low,
                decision: warn,
                message: { en: "{A}", de: "{A}" },
            }
            finding(A, D) :- both(A), activity(A, _, _, D, _, _).
        "#;
        let kb = crate::KnowledgeBase::builder()
            .rules_text("extra.dl", rules)
            .rules_text("finding.dl", finding)
            .build()
            .expect("compiles");
        let l = Locality::analyse(kb.program());
        assert!(l.is_local());
        assert!(!l.persons().is_split());
        assert!(
            l.persons().reasons()["rule two_consents"].contains("two data subjects"),
            "{:#?}",
            l.persons().reasons()
        );
    }

    #[test]
    fn rules_that_read_across_components_are_found_and_make_findings_non_local() {
        // `late` compares an activity's date with a withdrawal of any consent: a slice
        // cannot see the other subjects' withdrawals.
        let rules = "
            .decl withdrawal_date(d: date)
            withdrawal_date(D) :- consent_withdrawn(_, D).
            .decl late(a: symbol)
            late(A) :- activity(A, _, _, D, _, _), withdrawal_date(W), W < D.
            .decl paired(a: symbol, b: symbol)
            paired(A, B) :- activity(A, _, _, _, _, P), activity(B, _, _, _, _, P).
            .decl unconsented(a: symbol)
            unconsented(A) :- activity(A, _, _, _, _, P), !consent_purpose(_, P).
        ";
        let kb = crate::KnowledgeBase::builder()
            .rules_text("extra.dl", rules)
            .build()
            .expect("compiles");
        let l = Locality::analyse(kb.program());
        assert_eq!(class_of(&l, &kb, "withdrawal_date"), Class::Shared);
        assert_eq!(class_of(&l, &kb, "late"), Class::Mixed);
        assert!(
            l.mixed()["late"].contains("read and dropped"),
            "{:?}",
            l.mixed()
        );
        // Two activities with one purpose: records of two components, kept apart in the head.
        assert_eq!(class_of(&l, &kb, "paired"), Class::Multi);
        // No consent of anyone for the purpose: an absence over every component.
        assert_eq!(class_of(&l, &kb, "unconsented"), Class::Mixed);
        // None of them reaches a finding: the findings stay local.
        assert!(l.is_local());
    }
}
