//! `sphere gate`, `sphere approve`, `sphere reject` and `sphere pending`: the gate before an
//! activity, the DPO's decisions bound to the facts, and what waits for the DPO.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use jiff::Timestamp;
use serde_json::json;

use sphere::gate::{self, Decided, Gated, Request, Status, Verb, Verdict};
use sphere::journal::{Config, Journal};
use sphere::{render, Date, EvalOptions, KnowledgeBase, Lang, Model, Texts};

use super::load::{cli_error, journal_path, load_kb, read_model};
use super::{
    exit, leave_to_exit, parse_date, progress, write_stdout, write_stdout_after, CliError,
    CmdResult,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere gate facts/s12_what_if_consent.json act-s4-call
  sphere gate facts/s12_what_if_consent.json act-s4-call --format json --notify ./alert-dpo.sh

Exit codes: 0 allowed (warnings printed), 1 blocked (the reasons and what would unblock it), \
2 error (nothing is reported allowed when the journal cannot be written).
Every gate records a receipt in the journal; a new block is recorded once per finding and \
facts and waits for the DPO (`sphere pending`). The new journal head is printed last.")]
pub struct GateArgs {
    /// Model files, then the id of the planned activity
    #[arg(required = true, num_args = 2.., value_name = "MODEL... ACTIVITY-ID")]
    pub args: Vec<String>,
    /// The journal file (default: $SPHERE_JOURNAL, else ./sphere-journal.db)
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Evaluation date (overrides the model's `as_of`)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// Who asks (recorded in the journal)
    #[arg(long, value_name = "STAFF-ID", default_value = "gate")]
    pub by: String,
    /// When a new block is recorded, run this shell command with the finding as JSON on
    /// stdin, once per finding and facts
    #[arg(long, value_name = "CMD")]
    pub notify: Option<String>,
    /// Language of the verdict, messages, remedies and citations
    #[arg(long, value_enum, default_value_t = super::check::Lang::En)]
    pub lang: super::check::Lang,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere approve facts/s12_what_if_consent.json F-dc0dcb7057fb09a2 --by staff-markus-richter \\
      --reason 'consent on paper, filed as K-17' --until 2025-06-30
  sphere reject facts/s12_what_if_consent.json F-dc0dcb7057fb09a2 --by staff-markus-richter \\
      --reason 'no consent'

Only the model's DPO (`organization.dpo`) may decide; anyone else is refused with exit code 2 \
and the refusal is recorded. The decision covers the finding id and the digest of the facts \
it rests on: when those facts change, it no longer applies. The journal keeps the SHA-256 of \
the reason, not its text. The new journal head is printed last.")]
pub struct DecideArgs {
    /// Model files, then the finding id (as `sphere gate` or `sphere check` prints it)
    #[arg(required = true, num_args = 2.., value_name = "MODEL... FINDING-ID")]
    pub args: Vec<String>,
    /// The staff id of who decides: must be the model's DPO
    #[arg(long, value_name = "STAFF-ID")]
    pub by: String,
    /// Why (kept by the DPO; the journal records only its digest)
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Last day the approval applies (approve only)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<String>,
    /// The journal file (default: $SPHERE_JOURNAL, else ./sphere-journal.db)
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Evaluation date (overrides the model's `as_of`)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// Language of the answer (messages, remedies, citations, errors)
    #[arg(long, value_enum, default_value_t = super::check::Lang::En)]
    pub lang: super::check::Lang,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere pending facts/s12_what_if_consent.json
  sphere pending facts/s12_what_if_consent.json --format json

Lists the blocks that wait for the DPO, oldest first, with how long each has waited; the \
reasons come from the model files (the journal keeps only ids and digests).")]
pub struct PendingArgs {
    /// Model files (for the findings' reasons)
    #[arg(required = true, value_name = "MODEL")]
    pub models: Vec<PathBuf>,
    /// The journal file (default: $SPHERE_JOURNAL, else ./sphere-journal.db)
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Evaluation date (overrides the model's `as_of`)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// Language of the answer (messages, remedies, citations, errors)
    #[arg(long, value_enum, default_value_t = super::check::Lang::En)]
    pub lang: super::check::Lang,
}

fn request(actor: &str) -> Request {
    Request {
        actor: actor.to_string(),
        time: Timestamp::now(),
        engine_version: format!("sphere {}", env!("CARGO_PKG_VERSION")),
    }
}

fn open(path: Option<PathBuf>, create: bool) -> Result<Journal, CliError> {
    let path = journal_path(path);
    let config = if create {
        Config::create()
    } else {
        Config::default()
    };
    Journal::open(&path, &config).map_err(cli_error)
}

fn load(models: &[PathBuf], as_of: Option<Date>) -> Result<(Model, KnowledgeBase), CliError> {
    let line = progress::Line::new();
    // The company model stays: the DPO is read from its organization.
    let model = read_model(models, None, as_of, &line)?;
    let kb = load_kb(None, &[])?;
    Ok((model, kb))
}

fn split(args: &[String]) -> Result<(&String, Vec<PathBuf>), CliError> {
    let (last, models) = args
        .split_last()
        .ok_or_else(|| CliError::new("no model files given"))?;
    Ok((last, models.iter().map(PathBuf::from).collect()))
}

fn status_text(s: &Status, lang: Lang) -> String {
    match (lang, s) {
        (Lang::En, Status::Waiting) => "waits for the DPO".into(),
        (Lang::De, Status::Waiting) => "wartet auf den DSB".into(),
        (Lang::En, Status::Approved { by, seq, until }) => match until {
            Some(u) => format!("approved by {by} (entry {seq}) until {u}"),
            None => format!("approved by {by} (entry {seq})"),
        },
        (Lang::De, Status::Approved { by, seq, until }) => match until {
            Some(u) => format!("freigegeben durch {by} (Eintrag {seq}) bis {u}"),
            None => format!("freigegeben durch {by} (Eintrag {seq})"),
        },
        (Lang::En, Status::Expired { by, seq, until }) => {
            format!("the approval by {by} (entry {seq}) ended on {until}; waits for the DPO")
        }
        (Lang::De, Status::Expired { by, seq, until }) => {
            format!("die Freigabe durch {by} (Eintrag {seq}) endete am {until}; wartet auf den DSB")
        }
        (Lang::En, Status::Rejected { by, seq }) => format!("rejected by {by} (entry {seq})"),
        (Lang::De, Status::Rejected { by, seq }) => {
            format!("abgelehnt durch {by} (Eintrag {seq})")
        }
    }
}

/// The words of the gate's text in each language.
struct GateWords {
    allowed: &'static str,
    blocked: &'static str,
    cites: &'static str,
    unblock: &'static str,
    approves: &'static str,
    digest: &'static str,
    head: &'static str,
}

impl GateWords {
    fn of(lang: Lang) -> GateWords {
        match lang {
            Lang::En => GateWords {
                allowed: "ALLOWED",
                blocked: "BLOCKED",
                cites: "cites",
                unblock: "to unblock",
                approves: "or the DPO approves",
                digest: "facts digest",
                head: "journal head",
            },
            Lang::De => GateWords {
                allowed: "ERLAUBT",
                blocked: "GESPERRT",
                cites: "Normen",
                unblock: "zum Entsperren",
                approves: "oder der DSB gibt frei",
                digest: "Digest der Tatsachen",
                head: "Kopf des Journals",
            },
        }
    }
}

pub fn run_gate(args: GateArgs) -> CmdResult {
    let (activity, models) = split(&args.args)?;
    let (model, kb) = load(&models, args.as_of)?;
    let mut journal = open(args.journal, true)?;
    let gated = gate::gate_model(
        &mut journal,
        &kb,
        &model,
        &EvalOptions::default(),
        activity,
        &request(&args.by),
    )?;
    let out = match args.format {
        Format::Text => gate_text(&gated, args.lang.into()),
        Format::Json => render::json::pretty(&render::gate::gated(&gated, args.lang.into())),
    };
    write_stdout(&out)?;
    if let Some(cmd) = &args.notify {
        for b in gated.blocking.iter().filter(|b| b.alerted) {
            let doc = render::gate::alarm(b, &gated.activity);
            if let Err(e) = notify(cmd, &doc) {
                // The block is recorded and listed by `sphere pending`: the alarm is not lost.
                eprintln!(
                    "warning: --notify for {} failed: {e}\n  hint: the block is recorded; `sphere pending` lists it",
                    b.finding.id
                );
            }
        }
    }
    leave_to_exit(model);
    leave_to_exit(kb);
    Ok(match gated.verdict {
        Verdict::Allowed => exit::OK,
        Verdict::Blocked => exit::FINDINGS,
    })
}

fn notify(cmd: &str, doc: &serde_json::Value) -> Result<(), String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run `{cmd}`: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let text = render::json::pretty(doc);
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write to `{cmd}`: {e}"))?;
    }
    let status = child
        .wait()
        .map_err(|e| format!("`{cmd}` did not finish: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{cmd}` exited with {status}"))
    }
}

fn gate_text(g: &Gated, lang: Lang) -> String {
    let w = GateWords::of(lang);
    let verdict = match g.verdict {
        Verdict::Allowed => w.allowed,
        Verdict::Blocked => w.blocked,
    };
    let mut s = format!("{verdict} {}\n", g.activity);
    for b in &g.blocking {
        let f = &b.finding;
        s.push_str(&format!(
            "\n{} {} [{}] {}\n  {}\n  {}: {}\n",
            render::text::decision_word(f.decision, lang),
            f.id,
            render::text::severity_word(f.severity, lang),
            status_text(&b.status, lang),
            f.message.get(lang),
            w.cites,
            f.citations(lang).join("; ")
        ));
        if !b.status.covers() {
            if !f.remedy.get(lang).is_empty() {
                s.push_str(&format!("  {}: {}\n", w.unblock, f.remedy.get(lang)));
            }
            s.push_str(&format!(
                "  {}: sphere approve MODEL... {} --by DPO-ID --reason TEXT\n",
                w.approves, f.id
            ));
        }
        s.push_str(&format!("  {}: {}\n", w.digest, b.facts_digest));
    }
    for x in &g.warnings {
        s.push_str(&format!(
            "\n{} {} [{}]\n  {}\n  {}: {}\n",
            render::text::decision_word(x.decision, lang),
            x.id,
            render::text::severity_word(x.severity, lang),
            x.message.get(lang),
            w.cites,
            x.citations(lang).join("; ")
        ));
    }
    s.push_str(&format!("\n{}: {}\n", w.head, g.head));
    s
}

pub fn run_decide(args: DecideArgs, verb: Verb) -> CmdResult {
    let lang: Lang = args.lang.into();
    let (finding, models) = split(&args.args)?;
    let until = args
        .until
        .as_deref()
        .map(|u| {
            u.parse::<jiff::civil::Date>().map_err(|_| {
                CliError::from(
                    sphere::Error::texts(
                        sphere::ErrorKind::Usage,
                        Texts::new(
                            format!("--until: `{u}` is not a date (YYYY-MM-DD)"),
                            format!("--until: `{u}` ist kein Datum (JJJJ-MM-TT)"),
                        ),
                    )
                    .with_hint_texts(Texts::new(
                        "write e.g. 2026-06-30",
                        "z. B. 2026-06-30 schreiben",
                    )),
                )
            })
        })
        .transpose()?;
    let (model, kb) = load(&models, args.as_of)?;
    let dpo = model
        .company()
        .and_then(|m| m.organization.dpo.clone())
        .map(|d| d.to_string());
    let outcome = kb.evaluate(&model, &EvalOptions::default())?;
    let mut journal = open(args.journal, true)?;
    let decided = gate::decide(
        &mut journal,
        &outcome,
        dpo.as_deref(),
        verb,
        finding,
        &args.reason,
        until,
        &request(&args.by),
    )?;
    leave_to_exit(outcome);
    leave_to_exit(model);
    leave_to_exit(kb);
    match decided {
        Decided::Recorded { finding, head } => {
            let (what, facts, journal_head) = match (lang, verb) {
                (Lang::En, Verb::Approve) => ("approved", "for facts", "journal head"),
                (Lang::En, Verb::Reject) => ("rejected", "for facts", "journal head"),
                (Lang::De, Verb::Approve) => {
                    ("freigegeben", "für die Tatsachen", "Kopf des Journals")
                }
                (Lang::De, Verb::Reject) => ("abgelehnt", "für die Tatsachen", "Kopf des Journals"),
            };
            let done = match verb {
                Verb::Approve => Texts::new(
                    format!(
                        "the approval of {} is recorded all the same (journal head: {head})",
                        finding.id
                    ),
                    format!(
                        "die Freigabe von {} ist trotzdem im Journal vermerkt (Kopf des Journals: {head})",
                        finding.id
                    ),
                ),
                Verb::Reject => Texts::new(
                    format!(
                        "the rejection of {} is recorded all the same (journal head: {head})",
                        finding.id
                    ),
                    format!(
                        "die Ablehnung von {} ist trotzdem im Journal vermerkt (Kopf des Journals: {head})",
                        finding.id
                    ),
                ),
            };
            write_stdout_after(
                &format!(
                    "{what}: {} {facts} {}\n{journal_head}: {head}\n",
                    finding.id, finding.facts_digest
                ),
                Some(&done),
            )?;
            Ok(exit::OK)
        }
        Decided::Refused { dpo, head } => {
            let who = match &dpo {
                None => Texts::new("the model names no DPO", "das Modell benennt keine(n) DSB"),
                Some(d) => Texts::new(
                    format!("the model's DPO is {d}"),
                    format!("DSB laut Modell: {d}"),
                ),
            };
            let head_word = match lang {
                Lang::En => "journal head",
                Lang::De => "Kopf des Journals",
            };
            write_stdout_after(
                &format!("{head_word}: {head}\n"),
                Some(&Texts::new(
                    format!(
                        "the refusal of {} is recorded all the same (journal head: {head})",
                        args.by
                    ),
                    format!(
                        "die Weigerung gegenüber {} ist trotzdem im Journal vermerkt (Kopf des Journals: {head})",
                        args.by
                    ),
                )),
            )?;
            let de_verb = match verb {
                Verb::Approve => "freigeben",
                Verb::Reject => "ablehnen",
            };
            Err(CliError::from(
                sphere::Error::texts(
                    sphere::ErrorKind::Usage,
                    Texts::new(
                        format!(
                            "{} may not {} findings: only the DPO decides; the refusal is recorded",
                            args.by,
                            verb.as_str()
                        ),
                        format!(
                            "{} darf Befunde nicht {de_verb}: nur der/die DSB entscheidet; die Weigerung ist im Journal vermerkt",
                            args.by
                        ),
                    ),
                )
                .with_hint_texts(who),
            ))
        }
    }
}

pub fn run_pending(args: PendingArgs) -> CmdResult {
    let lang: Lang = args.lang.into();
    let (model, kb) = load(&args.models, args.as_of)?;
    let outcome = kb.evaluate(&model, &EvalOptions::default())?;
    let journal = open(args.journal, false)?;
    let now = Timestamp::now();
    let waiting = journal.pending().map_err(cli_error)?;
    let mut rows = Vec::new();
    for e in &waiting {
        let Some(r) = &e.finding else { continue };
        let f = outcome.findings().iter().find(|f| f.id == r.id);
        let waited_s = e
            .time()
            .map_or(0, |t| (now.as_second() - t.as_second()).max(0));
        let activity = match &e.payload {
            sphere::journal::Payload::Block(b) => b.activity_id.clone(),
            _ => String::new(),
        };
        rows.push((e, r, f, waited_s, activity));
    }
    let out = match args.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|(e, r, f, waited, activity)| {
                    json!({
                        "entry": e.seq,
                        "since": e.time().map(|t| t.to_string()),
                        "waited_seconds": waited,
                        "activity": activity,
                        "finding_id": r.id,
                        "facts_digest": r.facts_digest,
                        "in_model": f.is_some(),
                        "message": f.map(|f| f.message.get(lang).to_string()),
                        "remedy": f.map(|f| f.remedy.get(lang).to_string()),
                        "citations": f.map(|f| f.citations(lang)),
                    })
                })
                .collect();
            render::json::pretty(&json!(list))
        }
        Format::Text => {
            let de = lang == Lang::De;
            let mut s = String::new();
            if rows.is_empty() {
                s.push_str(if de {
                    "nichts wartet auf den DSB\n"
                } else {
                    "nothing waits for the DPO\n"
                });
            }
            for (e, r, f, waited, activity) in &rows {
                let since = e
                    .time()
                    .map_or_else(|| e.time_ms.to_string(), |t| t.to_string());
                s.push_str(&if de {
                    format!(
                        "{} {activity} wartet {} (seit {since}, Eintrag {})\n",
                        r.id,
                        duration(*waited, lang),
                        e.seq
                    )
                } else {
                    format!(
                        "{} {activity} waits {} (since {since}, entry {})\n",
                        r.id,
                        duration(*waited, lang),
                        e.seq
                    )
                });
                match f {
                    Some(f) => s.push_str(&format!(
                        "  {}\n  {}: {}\n",
                        f.message.get(lang),
                        if de { "Normen" } else { "cites" },
                        f.citations(lang).join("; ")
                    )),
                    None => s.push_str(if de {
                        "  (kein Befund dieser Modelldateien)\n"
                    } else {
                        "  (not a finding of these model files)\n"
                    }),
                }
            }
            s
        }
    };
    write_stdout(&out)?;
    leave_to_exit(outcome);
    leave_to_exit(model);
    leave_to_exit(kb);
    Ok(exit::OK)
}

/// `3d 4h`, `2h 5m`, `40s` (German: `3 T 4 h`, `2 h 5 min`, `40 s`).
fn duration(s: i64, lang: Lang) -> String {
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    if lang == Lang::De {
        return if d > 0 {
            format!("{d} T {h} h")
        } else if h > 0 {
            format!("{h} h {m} min")
        } else if m > 0 {
            format!("{m} min")
        } else {
            format!("{s} s")
        };
    }
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    }
}
