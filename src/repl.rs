//! The REPL's interpreter: one input (a command, or a query continued over lines up to its
//! final `.`) in, the answer as text out. It prints nothing and reads no terminal, so a line
//! editor (the binary's `sphere repl`), a script on stdin and a test all drive it the same way.
//!
//! State is a [`Session`]: `assume`, `retract` and `as-of` go through [`Session::apply`] and
//! answer with the findings that appeared and vanished; `load` and `reload` read the model
//! files again and compare the findings before and after.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use sphere_engine::value::display;
use sphere_engine::{Date, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::findings::{Finding, Lang, Texts};
use crate::kb::KnowledgeBase;
use crate::model::Model;
use crate::outcome::EvalOptions;
use crate::query::{self, Resolved};
use crate::render;
use crate::session::{Change, Delta, Session};

/// The commands, with their arguments and what they do in English and German: `help` and
/// completion read this.
pub const COMMANDS: &[(&str, &str, &str, &str)] = &[
    ("?-", "ATOM.", "query: `?- finding(R, A, S, D).` lists every binding, sorted; `_` matches anything",
        "Abfrage: `?- finding(R, A, S, D).` listet jede Belegung, sortiert; `_` passt auf alles"),
    ("findings", "", "the current findings, one per line",
        "die aktuellen Befunde, einer je Zeile"),
    ("why", "ID|ACTIVITY", "explain a finding down to model facts and norms; for an activity, every finding that blocks it",
        "einen Befund bis zu den Fakten des Modells und den Normen erklären; für eine Tätigkeit jeden Befund, der sie sperrt"),
    ("whynot", "FACT|RULE ID", "why a fact does not hold, or why a finding rule gives no finding about an activity: the closest candidates and the first condition each fails, in words",
        "warum ein Fakt nicht gilt oder warum eine Befundregel zu einer Tätigkeit keinen Befund ergibt: die nächsten Kandidaten und die erste Bedingung, an der jeder scheitert, in Worten"),
    ("remedies", "ID", "the smallest changes that cure a finding, each verified by evaluating the changed model",
        "die kleinsten Änderungen, die einen Befund beheben, jede durch Auswertung des geänderten Modells geprüft"),
    ("assume", "FACT", "what-if: add a fact and show the findings that appear and vanish",
        "Was-wäre-wenn: einen Fakt hinzufügen und die Befunde zeigen, die entstehen und entfallen"),
    ("retract", "FACT", "what-if: take an assumption back, or leave a fact of the model out",
        "Was-wäre-wenn: eine Annahme zurücknehmen oder einen Fakt des Modells weglassen"),
    ("norm", "ID", "a norm's citations, title, summary, in-force interval and source",
        "Zitate, Titel, Zusammenfassung, Geltungszeitraum und Quelle einer Norm"),
    ("rules", "NORM", "the rules citing a norm (or a provision below it)",
        "die Regeln, die eine Norm (oder eine Vorschrift darunter) zitieren"),
    ("as-of", "DATE", "evaluate on another date (YYYY-MM-DD)",
        "zu einem anderen Stichtag auswerten (JJJJ-MM-TT)"),
    ("lang", "en|de", "the language of messages, remedies and citations",
        "die Sprache der Meldungen, Abhilfen und Zitate"),
    ("load", "FILE", "merge another model file into the model",
        "eine weitere Modelldatei in das Modell übernehmen"),
    ("reload", "", "read the model files again",
        "die Modelldateien neu einlesen"),
    ("help", "", "this list",
        "diese Liste"),
];

/// A parsed input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Nothing to do (an empty line or a comment).
    Nothing,
    /// `?- atom.`: the atom without `?-` and the final `.`.
    Query(String),
    Findings,
    Why(String),
    WhyNot(String),
    /// `whynot RULE ACTIVITY`: why a finding rule gives no finding about an activity.
    WhyNotRule(String, String),
    Remedies(String),
    Assume(String),
    Retract(String),
    Norm(String),
    Rules(String),
    AsOf(Date),
    Lang(Lang),
    Load(PathBuf),
    Reload,
    Help,
}

/// Whether `input` is a whole command: a query ends with `.` (outside a string), everything
/// else with its line. A line editor asks this before it hands the input over.
pub fn is_complete(input: &str) -> bool {
    let t = input.trim();
    if !t.starts_with("?-") {
        return true;
    }
    let mut in_string = false;
    let mut escaped = false;
    let mut last = ' ';
    for c in t.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        }
        last = c;
    }
    !in_string && last == '.'
}

/// A usage error, its message and hint in English and German.
fn usage(message: Texts, hint: Texts) -> Error {
    Error::texts(ErrorKind::Usage, message).with_hint_texts(hint)
}

/// `e.g. ...` / `z. B. ...`.
fn eg(example: String) -> Texts {
    Texts::new(format!("e.g. {example}"), format!("z. B. {example}"))
}

/// Parses one whole input (see [`is_complete`]).
pub fn parse(input: &str) -> Result<Command> {
    let t = input.trim();
    if t.is_empty() || t.starts_with('%') || t.starts_with("//") {
        return Ok(Command::Nothing);
    }
    if let Some(rest) = t.strip_prefix("?-") {
        let atom = rest.trim();
        let atom = atom.strip_suffix('.').unwrap_or(atom).trim();
        if atom.is_empty() {
            return Err(usage(
                Texts::new("`?-` needs an atom", "`?-` braucht ein Atom"),
                eg("`?- finding(R, A, S, D).`".into()),
            ));
        }
        return Ok(Command::Query(atom.to_string()));
    }
    let (word, rest) = match t.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (t, ""),
    };
    let a_fact = Texts::new("a fact", "eine Tatsache");
    let a_norm = Texts::new("a norm id", "die Kennung einer Norm");
    // A fact may be written with the final `.` of Datalog.
    let fact = || rest.strip_suffix('.').unwrap_or(rest).trim().to_string();
    let need = |what: &Texts, example: &str| {
        if rest.is_empty() {
            Err(usage(
                Texts::new(
                    format!("`{word}` needs {}", what.en),
                    format!("`{word}` braucht {}", what.de),
                ),
                eg(format!("`{word} {example}`")),
            ))
        } else {
            Ok(())
        }
    };
    let none = || {
        if rest.is_empty() {
            Ok(())
        } else {
            Err(usage(
                Texts::new(
                    format!("`{word}` takes no argument, got `{rest}`"),
                    format!("`{word}` nimmt kein Argument, erhalten: `{rest}`"),
                ),
                Texts::new(
                    format!("write `{word}` alone"),
                    format!("`{word}` allein schreiben"),
                ),
            ))
        }
    };
    let one = |what: &Texts, example: &str| -> Result<String> {
        need(what, example)?;
        if rest.split_whitespace().count() > 1 {
            return Err(usage(
                Texts::new(
                    format!("`{word}` takes one argument ({}), got `{rest}`", what.en),
                    format!(
                        "`{word}` nimmt ein Argument ({}), erhalten: `{rest}`",
                        what.de
                    ),
                ),
                eg(format!("`{word} {example}`")),
            ));
        }
        Ok(rest.to_string())
    };
    Ok(match word {
        "findings" => none().map(|()| Command::Findings)?,
        "why" => Command::Why(one(
            &Texts::new(
                "a finding or activity id",
                "die Kennung eines Befunds oder einer Tätigkeit",
            ),
            "act-s4-call",
        )?),
        "whynot" => {
            need(&a_fact, "consent_channel(\"cons-karl\", \"phone\")")?;
            let words: Vec<&str> = rest.split_whitespace().collect();
            match words.as_slice() {
                [rule, about] if !rest.contains('(') => {
                    Command::WhyNotRule(rule.to_string(), about.to_string())
                }
                _ => Command::WhyNot(fact()),
            }
        }
        "remedies" => Command::Remedies(one(
            &Texts::new("a finding id", "die Kennung eines Befunds"),
            "F-0ac2e1988f725aa0",
        )?),
        "assume" => {
            need(&a_fact, "consent_channel(\"cons-karl\", \"phone\")")?;
            Command::Assume(fact())
        }
        "retract" => {
            need(&a_fact, "consent_channel(\"cons-karl\", \"phone\")")?;
            Command::Retract(fact())
        }
        "norm" => Command::Norm(one(&a_norm, "uwg:7.2.1")?),
        "rules" => Command::Rules(one(&a_norm, "uwg:7.2.1")?),
        "as-of" => {
            let d = one(&Texts::new("a date", "ein Datum"), "2025-06-16")?;
            Command::AsOf(Date::parse(&d).ok_or_else(|| {
                usage(
                    Texts::new(
                        format!("`{d}` is not a date"),
                        format!("`{d}` ist kein Datum"),
                    ),
                    Texts::new(
                        "write the date as YYYY-MM-DD, e.g. `as-of 2025-06-16`",
                        "das Datum als JJJJ-MM-TT schreiben, z. B. `as-of 2025-06-16`",
                    ),
                )
            })?)
        }
        "lang" => match one(&Texts::new("a language", "eine Sprache"), "de")?.as_str() {
            "en" => Command::Lang(Lang::En),
            "de" => Command::Lang(Lang::De),
            other => {
                return Err(usage(
                    Texts::new(
                        format!("no language `{other}`"),
                        format!("keine Sprache `{other}`"),
                    ),
                    Texts::new("`lang en` or `lang de`", "`lang en` oder `lang de`"),
                ))
            }
        },
        "load" => {
            need(
                &Texts::new("a model file", "eine Modelldatei"),
                "facts/s12_what_if_consent.json",
            )?;
            Command::Load(PathBuf::from(rest))
        }
        "reload" => none().map(|()| Command::Reload)?,
        "help" | "?" => Command::Help,
        other => {
            let names = COMMANDS.iter().map(|c| c.0);
            let hint = match crate::did_you_mean(other, names) {
                Some(s) => Texts::new(
                    format!("did you mean `{s}`? `help` lists the commands"),
                    format!("meinten Sie `{s}`? `help` zeigt die Befehle"),
                ),
                None => Texts::new(
                    "`help` lists the commands; a query starts with `?-`",
                    "`help` zeigt die Befehle; eine Anfrage beginnt mit `?-`",
                ),
            };
            return Err(usage(
                Texts::new(
                    format!("unknown command `{other}`"),
                    format!("unbekannter Befehl `{other}`"),
                ),
                hint,
            ));
        }
    })
}

/// A REPL: a session on model files, the output language and the input read so far of a
/// query continued over lines.
pub struct Repl {
    session: Session,
    files: Vec<PathBuf>,
    today: Date,
    /// The date asked for with `as-of`, kept over `load` and `reload`.
    as_of: Option<Date>,
    lang: Lang,
    pending: String,
}

impl Repl {
    /// Loads the model `files` (merged) and evaluates `kb` on it. `today` is the evaluation
    /// date of a model without `as_of`.
    pub fn new(
        kb: Arc<KnowledgeBase>,
        files: Vec<PathBuf>,
        today: Date,
        options: EvalOptions,
    ) -> Result<Repl> {
        let as_of = options.as_of;
        let model = load(&files, today, as_of)?;
        let session = Session::new(kb, model, options)?;
        Ok(Repl {
            session,
            files,
            today,
            as_of,
            lang: Lang::En,
            pending: String::new(),
        })
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
    }

    /// Whether a query started on an earlier line waits for its final `.`.
    pub fn continuing(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Forgets the input of a query not finished (Ctrl-C).
    pub fn cancel(&mut self) {
        self.pending.clear();
    }

    /// Takes one line. `None` while a query waits for more lines; else the answer to the
    /// input completed.
    pub fn feed(&mut self, line: &str) -> Option<Result<String>> {
        if !self.pending.is_empty() {
            self.pending.push('\n');
        }
        self.pending.push_str(line);
        if !is_complete(&self.pending) {
            return None;
        }
        let input = std::mem::take(&mut self.pending);
        Some(self.run(&input))
    }

    /// The answer to one whole input. An error leaves the session as it was.
    /// Answers one whole input; an error comes in the session's language.
    pub fn run(&mut self, input: &str) -> Result<String> {
        parse(input)
            .and_then(|command| self.execute(command))
            .map_err(|e| e.in_lang(self.lang))
    }

    pub fn execute(&mut self, command: Command) -> Result<String> {
        match command {
            Command::Nothing => Ok(String::new()),
            Command::Query(atom) => self.query(&atom),
            Command::Findings => Ok(self.findings()),
            Command::Why(id) => self.why(&id),
            Command::WhyNot(fact) => self.why_not(&fact),
            Command::Remedies(id) => {
                let found = crate::remedies::remedies_in(&self.session, &id)?;
                Ok(render::text::remedies(&found, self.lang))
            }
            Command::WhyNotRule(rule, about) => {
                let answer = self.session.try_outcome()?.why_not_rule(&rule, &about)?;
                Ok(render::text::rule_answer(&rule, &about, &answer, self.lang))
            }
            Command::Assume(fact) => self.change(Change::Assume(fact)),
            Command::Retract(fact) => self.change(Change::Retract(fact)),
            Command::Norm(id) => self.norm(&id),
            Command::Rules(id) => self.rules(&id),
            Command::AsOf(d) => {
                let out = self.change(Change::AsOf(d))?;
                self.as_of = Some(d);
                Ok(match self.lang {
                    Lang::De => format!("Stichtag {d}\n{out}"),
                    Lang::En => format!("as of {d}\n{out}"),
                })
            }
            Command::Lang(l) => {
                self.lang = l;
                Ok(match l {
                    Lang::De => "Sprache: de\n".to_string(),
                    Lang::En => "language: en\n".to_string(),
                })
            }
            Command::Load(file) => {
                let mut files = self.files.clone();
                files.push(file);
                self.reread(files)
            }
            Command::Reload => self.reread(self.files.clone()),
            Command::Help => Ok(help(self.lang)),
        }
    }

    fn query(&self, atom: &str) -> Result<String> {
        let ev = self.session.try_outcome()?.evaluation();
        let mut sources = self.session.kb().sources().clone();
        let q = match query::resolve(ev, atom, &mut sources)? {
            Resolved::Query(q) => q,
            Resolved::UnknownSymbol(s) => {
                return Ok(match self.lang {
                    Lang::De => format!(
                        "nein: das Symbol \"{s}\" kommt weder im Modell noch in den Regeln vor\n"
                    ),
                    Lang::En => {
                        format!("no: the symbol \"{s}\" occurs nowhere in the model or the rules\n")
                    }
                })
            }
        };
        let (yes, no) = match self.lang {
            Lang::De => ("ja\n", "nein\n"),
            Lang::En => ("yes\n", "no\n"),
        };
        let matches = q.matches(ev);
        let named: Vec<(usize, &str)> = {
            let mut seen = BTreeSet::new();
            q.vars
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_deref().map(|v| (i, v)))
                .filter(|(_, v)| seen.insert(*v))
                .collect()
        };
        if named.is_empty() {
            return Ok(if matches.is_empty() { no } else { yes }.to_string());
        }
        let mut lines: Vec<String> = matches
            .iter()
            .map(|t| {
                named
                    .iter()
                    .map(|(i, v)| format!("{v} = {}", literal(t[*i], ev.interner())))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect();
        lines.sort();
        lines.dedup();
        if lines.is_empty() {
            return Ok(no.to_string());
        }
        let n = lines.len();
        let mut out = lines.join("\n");
        let _ = match self.lang {
            Lang::De => writeln!(out, "\n({n} Antwort{})", if n == 1 { "" } else { "en" }),
            Lang::En => writeln!(out, "\n({n} answer{})", if n == 1 { "" } else { "s" }),
        };
        Ok(out)
    }

    fn findings(&self) -> String {
        let found = self.session.findings();
        let as_of = self.session.as_of();
        if found.is_empty() {
            return match self.lang {
                Lang::De => format!("keine Befunde (Stichtag {as_of})\n"),
                Lang::En => format!("no findings (as of {as_of})\n"),
            };
        }
        let mut out = String::new();
        for f in found {
            line(&mut out, f, self.lang);
        }
        let blocking = found.iter().filter(|f| f.needs_action()).count();
        let _ = match self.lang {
            Lang::De => writeln!(
                out,
                "{} Befunde, {} mit Handlungsbedarf (Stichtag {})",
                found.len(),
                blocking,
                as_of
            ),
            Lang::En => writeln!(
                out,
                "{} findings, {} need action (as of {})",
                found.len(),
                blocking,
                as_of
            ),
        };
        out
    }

    fn why(&self, id: &str) -> Result<String> {
        let session = &self.session;
        let known = session.findings().iter().any(|f| f.id == id)
            || session.suppressed().iter().any(|s| s.finding.id == id);
        if known {
            let e = session.explain(id)?;
            return Ok(render::text::explanation(&e, self.lang));
        }
        let about: Vec<&Finding> = session
            .findings()
            .iter()
            .filter(|f| f.about_id() == id)
            .collect();
        let activities = self.activity_ids();
        if about.is_empty() {
            if activities.iter().any(|a| a == id) {
                return Ok(match self.lang {
                    Lang::De => format!(
                        "Tätigkeit {id} hat keine Befunde (Stichtag {}): nichts sperrt sie\n",
                        session.as_of()
                    ),
                    Lang::En => format!(
                        "activity {id} has no findings (as of {}): nothing blocks it\n",
                        session.as_of()
                    ),
                });
            }
            let mut names: Vec<&str> = session.findings().iter().map(|f| f.id.as_str()).collect();
            names.extend(activities.iter().map(String::as_str));
            let hint = match crate::did_you_mean(id, names.into_iter()) {
                Some(s) => crate::did_you_mean_texts(&s),
                None => Texts::new(
                    "`findings` lists the finding ids and the activities they are about",
                    "`findings` zeigt die Kennungen der Befunde und die Tätigkeiten, die sie betreffen",
                ),
            };
            return Err(usage(
                Texts::new(
                    format!("no finding or activity `{id}` in this model"),
                    format!("kein Befund und keine Tätigkeit `{id}` in diesem Modell"),
                ),
                hint,
            ));
        }
        // "Why is it blocked?": the findings that need action; else every finding about it.
        let blocking: Vec<&&Finding> = about.iter().filter(|f| f.needs_action()).collect();
        let picked: Vec<&Finding> = if blocking.is_empty() {
            about.clone()
        } else {
            blocking.into_iter().copied().collect()
        };
        let all_block = picked.iter().all(|f| f.needs_action());
        let more = about.len() - picked.len();
        let mut out = match self.lang {
            Lang::De => format!(
                "{} {} zu {id}{}:\n\n",
                picked.len(),
                match (all_block, picked.len() == 1) {
                    (true, true) => "sperrender Befund",
                    (true, false) => "sperrende Befunde",
                    (false, true) => "nicht sperrender Befund",
                    (false, false) => "nicht sperrende Befunde",
                },
                if more > 0 {
                    format!(" ({more} weitere ohne Handlungsbedarf)")
                } else {
                    String::new()
                }
            ),
            Lang::En => format!(
                "{} {} finding{} about {id}{}:\n\n",
                picked.len(),
                if all_block {
                    "blocking"
                } else {
                    "non-blocking"
                },
                if picked.len() == 1 { "" } else { "s" },
                if more > 0 {
                    format!(" ({more} more need no action)")
                } else {
                    String::new()
                }
            ),
        };
        for (i, f) in picked.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let e = session.explain(&f.id)?;
            out.push_str(&render::text::explanation(&e, self.lang));
        }
        Ok(out)
    }

    fn why_not(&self, fact: &str) -> Result<String> {
        let ev = self.session.try_outcome()?.evaluation();
        let mut sources = self.session.kb().sources().clone();
        let q = match query::resolve(ev, fact, &mut sources)? {
            Resolved::Query(q) => q,
            Resolved::UnknownSymbol(s) => {
                return Ok(match self.lang {
                    Lang::De => format!(
                        "{fact} gilt nicht: das Symbol \"{s}\" kommt weder im Modell noch in den Regeln vor\n"
                    ),
                    Lang::En => format!(
                        "{fact} does not hold: the symbol \"{s}\" occurs nowhere in the model or the rules\n"
                    ),
                })
            }
        };
        if !q.matches(ev).is_empty() {
            return Ok(match self.lang {
                Lang::De => format!("{fact} gilt: `?- {fact}.` zeigt es\n"),
                Lang::En => format!("{fact} holds: `?- {fact}.` shows it\n"),
            });
        }
        let w = crate::whynot::analyse(ev, q.rel, &q.pattern, crate::whynot::Options::QUESTION);
        Ok(render::text::why_not(&w, self.lang))
    }

    fn change(&mut self, change: Change) -> Result<String> {
        let delta = self.session.apply(&[change])?;
        Ok(self.delta(&delta))
    }

    fn delta(&self, d: &Delta) -> String {
        let mut out = String::new();
        if d.is_empty() {
            out.push_str(match self.lang {
                Lang::De => "kein Befund ist entstanden oder entfallen\n",
                Lang::En => "no finding appeared or vanished\n",
            });
        }
        for f in &d.appeared {
            out.push_str("+ ");
            line(&mut out, f, self.lang);
        }
        for f in &d.vanished {
            out.push_str("- ");
            line(&mut out, f, self.lang);
        }
        for c in &d.changed {
            out.push_str("~ ");
            line(&mut out, &c.after, self.lang);
        }
        // From the session's parts: no whole evaluation per change.
        let found = self.session.findings();
        let needing = found.iter().filter(|f| f.needs_action()).count();
        let _ = match self.lang {
            Lang::De => writeln!(
                out,
                "jetzt {} Befunde, {} mit Handlungsbedarf (Stichtag {})",
                found.len(),
                needing,
                self.session.as_of()
            ),
            Lang::En => writeln!(
                out,
                "now {} findings, {} need action (as of {})",
                found.len(),
                needing,
                self.session.as_of()
            ),
        };
        out
    }

    fn norm(&self, id: &str) -> Result<String> {
        let kb = self.session.kb();
        let picked = kb.find_norms(id)?;
        Ok(render::kb::norms(kb, &picked, self.lang))
    }

    fn rules(&self, id: &str) -> Result<String> {
        let kb = self.session.kb();
        // An unknown norm is an error with a did-you-mean.
        kb.find_norms(id)?;
        let rules = kb.rules_citing(id);
        if rules.is_empty() {
            return Ok(match self.lang {
                Lang::De => format!("keine Regel zitiert {id}\n"),
                Lang::En => format!("no rule cites {id}\n"),
            });
        }
        let mut out = String::new();
        for m in rules {
            let cites: Vec<String> = m
                .norms
                .iter()
                .filter(|r| crate::kb::norm_prefix(id, &r.id))
                .map(crate::kb::ref_text)
                .collect();
            let _ = writeln!(
                out,
                "{} ({})  {} {}  {}",
                m.id,
                render::kb::kind_word(m, self.lang),
                if self.lang == Lang::De {
                    "zitiert"
                } else {
                    "cites"
                },
                cites.join(", "),
                kb.location(m.span)
            );
        }
        Ok(out)
    }

    fn reread(&mut self, files: Vec<PathBuf>) -> Result<String> {
        let model = load(&files, self.today, self.as_of)?;
        let kb = Arc::clone(self.session.kb());
        let session = Session::new(kb, model, self.session.options().clone())?;
        let d = Delta::between(self.session.findings(), session.findings());
        self.session = session;
        self.files = files;
        let names: Vec<String> = self.files.iter().map(|f| f.display().to_string()).collect();
        let model = match self.lang {
            Lang::En => "model",
            Lang::De => "Modell",
        };
        Ok(format!("{model}: {}\n{}", names.join(" "), self.delta(&d)))
    }

    /// The ids of the model's activities, sorted.
    pub fn activity_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = match self.session.model().company() {
            Some(m) => m.activities.iter().map(|a| a.id.clone()).collect(),
            None => Vec::new(),
        };
        ids.sort();
        ids
    }

    /// What completes the word ending at `pos` of `line`: the byte offset where the word
    /// starts and the candidates, sorted. Commands at the start; relation names where a fact
    /// or query is written; finding, activity and subject ids after `why` and inside a
    /// string; norm ids after `norm` and `rules`.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let head = &line[..pos.min(line.len())];
        let start = head
            .rfind(|c: char| c.is_whitespace() || "(),\"".contains(c))
            .map_or(0, |i| i + 1);
        let word = &head[start..];
        let before = head[..start].trim_start();
        let in_string = head[..start].matches('"').count() % 2 == 1;
        let command = before.split_whitespace().next().unwrap_or("");
        let mut candidates: Vec<String> = if before.is_empty() {
            COMMANDS.iter().map(|c| c.0.to_string()).collect()
        } else if in_string {
            self.ids()
        } else {
            match command {
                "remedies" => self
                    .session
                    .findings()
                    .iter()
                    .map(|f| f.id.clone())
                    .collect(),
                "why" => {
                    let mut v: Vec<String> = self
                        .session
                        .findings()
                        .iter()
                        .map(|f| f.id.clone())
                        .collect();
                    v.extend(self.activity_ids());
                    v
                }
                "norm" | "rules" => self
                    .session
                    .kb()
                    .catalogue()
                    .norms
                    .iter()
                    .map(|n| n.id.clone())
                    .collect(),
                "lang" => vec!["en".into(), "de".into()],
                // `whynot RULE ACTIVITY`: the finding rules, then the activities.
                "whynot" if before.split_whitespace().count() == 2 => self.activity_ids(),
                "whynot" => {
                    let mut v: Vec<String> = self
                        .session
                        .kb()
                        .relation_names()
                        .into_iter()
                        .map(String::from)
                        .collect();
                    v.extend(
                        self.session
                            .kb()
                            .catalogue()
                            .rule_meta
                            .iter()
                            .filter(|m| {
                                matches!(m.kind, sphere_engine::ir::legal::RuleKind::Finding { .. })
                            })
                            .map(|m| m.id.clone()),
                    );
                    v
                }
                "?-" | "assume" | "retract" => self
                    .session
                    .kb()
                    .relation_names()
                    .into_iter()
                    .map(String::from)
                    .collect(),
                _ => Vec::new(),
            }
        };
        candidates.retain(|c| c.starts_with(word));
        candidates.sort();
        candidates.dedup();
        (start, candidates)
    }

    /// Finding, activity and subject ids, for completion inside a string.
    fn ids(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .session
            .findings()
            .iter()
            .map(|f| f.id.clone())
            .collect();
        if let Some(m) = self.session.model().company() {
            v.extend(m.activities.iter().map(|a| a.id.clone()));
            v.extend(m.subjects.iter().map(|s| s.id.clone()));
            v.extend(m.consents.iter().map(|c| c.id.clone()));
        }
        v
    }
}

fn load(files: &[PathBuf], today: Date, as_of: Option<Date>) -> Result<Model> {
    let model = Model::from_files(files, today)?;
    Ok(match as_of {
        Some(d) => model.with_as_of(d),
        None => model,
    })
}

/// A value as it can be written back into a query: symbols quoted.
fn literal(v: Value, interner: &sphere_engine::Interner) -> String {
    match v {
        Value::Sym(_) => format!("{:?}", display(v, interner)),
        _ => display(v, interner),
    }
}

/// One finding on two lines: decision, id, what it is about, rule, date; then the message.
fn line(out: &mut String, f: &Finding, lang: Lang) {
    let _ = writeln!(
        out,
        "{} {} {} {} ({})\n    {}",
        render::text::decision_word(f.decision, lang),
        f.id,
        f.about_id(),
        f.rule,
        f.date,
        f.message.get(lang)
    );
}

fn help(lang: Lang) -> String {
    let de = lang == Lang::De;
    let mut out = String::from(if de { "Befehle:\n" } else { "commands:\n" });
    for (name, args, what_en, what_de) in COMMANDS {
        let what = if de { what_de } else { what_en };
        let head = if args.is_empty() {
            name.to_string()
        } else {
            format!("{name} {args}")
        };
        let _ = writeln!(out, "  {head:<22} {what}");
    }
    out.push_str(if de {
        "eine Abfrage geht über Zeilen bis zu ihrem abschließenden `.`; Strg-C verwirft die Zeile, Strg-D beendet\n"
    } else {
        "a query continues over lines until its final `.`; Ctrl-C cancels the line, Ctrl-D leaves\n"
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_continue_until_their_final_dot_outside_strings() {
        assert!(is_complete("findings"));
        assert!(is_complete(""));
        assert!(!is_complete("?- finding(R,"));
        assert!(!is_complete("?- finding(R, \"a.\""));
        assert!(!is_complete("?- p(\"x.\")"));
        assert!(is_complete("?- p(\"x.\")."));
        assert!(is_complete("?- finding(R,\n  A, S, D)."));
    }

    #[test]
    fn commands_parse_with_their_arguments() {
        assert_eq!(
            parse("?- finding(R, A, _, D).").unwrap(),
            Command::Query("finding(R, A, _, D)".into())
        );
        assert_eq!(parse("  findings ").unwrap(), Command::Findings);
        assert_eq!(parse("why act-1").unwrap(), Command::Why("act-1".into()));
        assert_eq!(
            parse("assume consent_channel(\"c\", \"phone\").").unwrap(),
            Command::Assume("consent_channel(\"c\", \"phone\")".into())
        );
        assert_eq!(
            parse("retract p(1)").unwrap(),
            Command::Retract("p(1)".into())
        );
        assert_eq!(
            parse("as-of 2025-01-31").unwrap(),
            Command::AsOf(Date::parse("2025-01-31").unwrap())
        );
        assert_eq!(parse("lang de").unwrap(), Command::Lang(Lang::De));
        assert_eq!(
            parse("load more.json").unwrap(),
            Command::Load(PathBuf::from("more.json"))
        );
        assert_eq!(parse("% a comment").unwrap(), Command::Nothing);
        assert_eq!(parse("help").unwrap(), Command::Help);
        assert_eq!(
            parse("whynot uwg_phone_without_consent act-1").unwrap(),
            Command::WhyNotRule("uwg_phone_without_consent".into(), "act-1".into())
        );
        assert_eq!(
            parse("whynot consent(\"c\", \"s\", D, F, O)").unwrap(),
            Command::WhyNot("consent(\"c\", \"s\", D, F, O)".into())
        );
    }

    #[test]
    fn bad_input_gets_a_message_and_a_hint() {
        let e = parse("finding").unwrap_err();
        assert_eq!(e.message(), "unknown command `finding`");
        assert_eq!(
            e.hint(),
            Some("did you mean `findings`? `help` lists the commands")
        );
        let e = parse("as-of 2025-02-30").unwrap_err();
        assert_eq!(e.message(), "`2025-02-30` is not a date");
        let e = parse("why").unwrap_err();
        assert_eq!(e.message(), "`why` needs a finding or activity id");
        let e = parse("why a b").unwrap_err();
        assert!(e.message().contains("takes one"), "{}", e.message());
        let e = parse("findings now").unwrap_err();
        assert!(e.message().contains("takes no argument"), "{}", e.message());
        let e = parse("lang fr").unwrap_err();
        assert_eq!(e.message(), "no language `fr`");
        let e = parse("?- .").unwrap_err();
        assert_eq!(e.message(), "`?-` needs an atom");
    }
}
