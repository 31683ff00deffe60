//! What changes in the findings between two evaluations: another knowledge base (a law
//! update), another date, or another model. Each finding that appears, vanishes or changes
//! comes with its reason: for one that appears, why its rule did not fire before; for one
//! that vanishes, why it does not fire now (the why-not analysis of the other evaluation);
//! for one that changed, what changed in it.

use crate::findings::{Finding, Lang, Texts};
use crate::outcome::Outcome;
use crate::session::Delta;
use crate::whynot::{self, RuleAnswer};

/// How a finding differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Appeared,
    Vanished,
    Changed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Appeared => "appeared",
            Kind::Vanished => "vanished",
            Kind::Changed => "changed",
        }
    }
}

/// One finding that differs, with the reasons.
#[derive(Clone, Debug)]
pub struct Entry {
    pub kind: Kind,
    /// The finding before (vanished, changed) and after (appeared, changed).
    pub before: Option<Finding>,
    pub after: Option<Finding>,
    /// Why, in words: for an appearing finding why its rule did not fire before, for a
    /// vanishing one why it does not fire now, for a changed one what changed.
    pub reasons: Vec<Texts>,
}

impl Entry {
    /// The finding as it is now, or as it was when it vanished.
    pub fn finding(&self) -> &Finding {
        self.after
            .as_ref()
            .or(self.before.as_ref())
            .expect("an entry has a finding")
    }
}

/// The differences from `old` to `new`, sorted by what they are about, rule and id.
pub fn diff(old: &Outcome<'_>, new: &Outcome<'_>) -> Vec<Entry> {
    let mut delta = Delta::between(old.findings(), new.findings());
    let mut out = Vec::new();
    // A finding of the same rule about the same thing and people whose id changed (it cites
    // another version of a norm) changed; it did not vanish and appear.
    let key = |f: &Finding| (f.rule.clone(), f.about_id().to_string(), f.subjects.clone());
    let mut vanished = Vec::new();
    for b in std::mem::take(&mut delta.vanished) {
        match delta.appeared.iter().position(|a| key(a) == key(&b)) {
            Some(i) => {
                let a = delta.appeared.remove(i);
                delta.changed.push(crate::session::Changed {
                    before: b,
                    after: a,
                });
            }
            None => vanished.push(b),
        }
    }
    delta.vanished = vanished;
    for f in delta.appeared {
        out.push(Entry {
            kind: Kind::Appeared,
            reasons: why_not(old, &f, Lang::En)
                .into_iter()
                .zip(why_not(old, &f, Lang::De))
                .map(|(en, de)| Texts { en, de })
                .collect(),
            before: None,
            after: Some(f),
        });
    }
    for f in delta.vanished {
        out.push(Entry {
            kind: Kind::Vanished,
            reasons: why_not(new, &f, Lang::En)
                .into_iter()
                .zip(why_not(new, &f, Lang::De))
                .map(|(en, de)| Texts { en, de })
                .collect(),
            before: Some(f),
            after: None,
        });
    }
    for c in delta.changed {
        out.push(Entry {
            kind: Kind::Changed,
            reasons: changes(&c.before, &c.after),
            before: Some(c.before),
            after: Some(c.after),
        });
    }
    out.sort_by(|a, b| {
        let key = |e: &Entry| {
            let f = e.finding();
            (f.about_id().to_string(), f.rule.clone(), f.id.clone())
        };
        key(a).cmp(&key(b))
    });
    out
}

/// Why `f`'s rule gives no such finding in `other`: the first reason of each rule's closest
/// candidate (at most three), or that the rule is not in that knowledge base, or that an
/// exception sets it aside there.
fn why_not(other: &Outcome<'_>, f: &Finding, lang: Lang) -> Vec<String> {
    match other.why_not_rule(&f.rule, f.about_id()) {
        Err(_) => vec![match lang {
            Lang::En => format!(
                "rule {} is not in the other knowledge base, or {} not in the other model",
                f.rule,
                f.about_id()
            ),
            Lang::De => format!(
                "Regel {} fehlt in der anderen Wissensbasis, oder {} im anderen Modell",
                f.rule,
                f.about_id()
            ),
        }],
        Ok(RuleAnswer::Suppressed(ids)) => vec![match lang {
            Lang::En => format!("there an exception sets it aside ({})", ids.join(", ")),
            Lang::De => format!("dort verdrängt eine Ausnahme sie ({})", ids.join(", ")),
        }],
        Ok(RuleAnswer::Fires(ids)) => vec![match lang {
            // The rule fires there, for other subjects or norm versions.
            Lang::En => format!("there the rule gives other findings ({})", ids.join(", ")),
            Lang::De => format!("dort ergibt die Regel andere Befunde ({})", ids.join(", ")),
        }],
        Ok(RuleAnswer::Not(w)) => {
            let mut reasons: Vec<String> = Vec::new();
            // The deepest reasons say most: the leaves of the analysis.
            leaves(&w, lang, &mut reasons);
            reasons.dedup();
            reasons.truncate(3);
            reasons
        }
    }
}

fn leaves(w: &whynot::WhyNot, lang: Lang, out: &mut Vec<String>) {
    if let whynot::Status::Rules(tries) = &w.status {
        for t in tries {
            if let Some(c) = t.candidates.first() {
                match &c.nested {
                    Some(n) if matches!(n.status, whynot::Status::Rules(_)) => leaves(n, lang, out),
                    _ => out.push(format!("{}: {}", t.rule, c.reason.get(lang))),
                }
            }
        }
    }
}

/// What changed in a finding with the same id.
fn changes(before: &Finding, after: &Finding) -> Vec<Texts> {
    let mut out = Vec::new();
    // A value the same in both languages (ids, dates, norm ids).
    let same = |v: String| Texts::new(v.clone(), v);
    let mut field = |en: &str, de: &str, b: Texts, a: Texts| {
        if en == "decision" && before.id != after.id {
            out.push(Texts {
                en: format!("id: {} -> {}", before.id, after.id),
                de: format!("Kennung: {} -> {}", before.id, after.id),
            });
        }
        if b != a {
            out.push(Texts {
                en: format!("{en}: {} -> {}", b.en, a.en),
                de: format!("{de}: {} -> {}", b.de, a.de),
            });
        }
    };
    let decision = |f: &Finding| {
        Texts::new(
            f.decision.as_str(),
            crate::findings::decision_noun(f.decision, Lang::De),
        )
    };
    let severity = |f: &Finding| {
        Texts::new(
            f.severity.as_str(),
            crate::findings::severity_word(f.severity, Lang::De),
        )
    };
    field(
        "decision",
        "Entscheidung",
        decision(before),
        decision(after),
    );
    field("severity", "Schwere", severity(before), severity(after));
    field(
        "date",
        "Datum",
        same(before.date.to_string()),
        same(after.date.to_string()),
    );
    let norms = |f: &Finding| {
        f.norms
            .iter()
            .map(|n| match &n.version {
                Some(v) => format!("{}@{}", n.id, v.from),
                None => n.id.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    field("norms", "Normen", same(norms(before)), same(norms(after)));
    let auth = |f: &Finding| {
        f.authorities
            .iter()
            .map(|a| a.id.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    field(
        "authorities",
        "Quellen",
        same(auth(before)),
        same(auth(after)),
    );
    for (en, de, b, a) in [
        ("message", "Meldung", &before.message, &after.message),
        ("remedy", "Abhilfe", &before.remedy, &after.remedy),
    ] {
        if b != a {
            out.push(Texts {
                en: format!("{en}: {} -> {}", b.en, a.en),
                de: format!("{de}: {} -> {}", b.de, a.de),
            });
        }
    }
    out
}
