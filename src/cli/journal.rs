//! `sphere journal`: verify, export the head of, show and prune the decision journal.

use std::io::Write;
use std::path::PathBuf;

use jiff::civil::Date;
use jiff::Timestamp;

use sphere::journal::{Context, Filter, Head, Verification};

use super::load::{cli_error, open_journal};
use super::{exit, CliError, CmdResult};

/// How many full calendar years the retention rule keeps (docs/journal.md, "Personal data
/// and retention").
pub const RETENTION_YEARS: i16 = 3;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  sphere journal verify\n  \
    sphere journal head > head.txt\n  \
    sphere journal verify --expect-head \"$(cat head.txt)\"\n  \
    sphere journal show --since 2026-06-01 --finding F-1a2b3c4d5e6f7a8b --format json\n  \
    sphere journal prune --before 2023-01-01 --by dpo\n\n\
    The journal is the file given by --journal, else by the environment variable \
    SPHERE_JOURNAL, else ./sphere-journal.db. See docs/journal.md.")]
pub struct Args {
    /// The journal file (default: $SPHERE_JOURNAL, else ./sphere-journal.db)
    #[arg(long, global = true, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    /// Check every entry's hash and the chain; name the first bad entry
    #[command(after_help = "Examples:\n  sphere journal verify\n  \
        sphere journal verify --expect-head 1042:5f1c...e9 --format json\n\n\
        Exit codes: 0 intact, 1 the journal does not verify (the first bad entry is named), \
        2 the file is missing or not a sphere journal.")]
    Verify {
        /// A head kept elsewhere (SEQ:HASH, as printed by `sphere journal head`): the journal
        /// must contain it, which shows its tail was not cut and it was not rewritten
        #[arg(long, value_name = "HEAD")]
        expect_head: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the head (SEQ:HASH of the last entry), to be kept outside the journal
    #[command(after_help = "Examples:\n  sphere journal head\n  \
        sphere journal head --format json\n\n\
        Keep the head somewhere the journal's writers cannot change (a ticket, a mail to the \
        DPO, a write-once store); `verify --expect-head` checks against it later.")]
    Head {
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print entries by sequence number
    #[command(after_help = "Examples:\n  sphere journal show\n  \
        sphere journal show --since 2026-06-01\n  \
        sphere journal show --finding F-1a2b3c4d5e6f7a8b --format json")]
    Show {
        /// Only entries made on or after this date (YYYY-MM-DD, UTC) or time (RFC 3339)
        #[arg(long, value_name = "D")]
        since: Option<String>,
        /// Only entries about this finding id
        #[arg(long, value_name = "ID")]
        finding: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Re-run the check or gate of an execution receipt and say whether the result is the same
    #[command(
        after_help = "Examples:\n  sphere journal replay 12 facts/s12_what_if_consent.json\n  \
        sphere journal replay 12 facts/s12_what_if_consent.json --kb knowledge/ --format json\n\n\
        Give the model files the run read: their digest must be the receipt's. The run is \
        repeated on the receipt's as-of date with its evaluator (a gate with the DPO's \
        decisions as the journal held them before the receipt). Exit codes: 0 the same \
        result, 1 a different one (the findings that differ are listed when the receipt \
        kept its lines), 2 the entry is missing or not a receipt, or the model files differ."
    )]
    Replay {
        /// The receipt's sequence number (as `sphere journal show` lists it)
        #[arg(value_name = "ENTRY")]
        entry: String,
        /// The model files the run read
        #[arg(required = true, value_name = "MODEL")]
        models: Vec<PathBuf>,
        /// Read the knowledge base from this directory instead of the shipped one
        #[arg(long, value_name = "DIR")]
        kb: Option<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Delete entries made before a date, keeping the rest verifiable by a checkpoint entry
    #[command(
        after_help = "Examples:\n  sphere journal prune --before 2023-01-01 --by dpo\n\n\
        The retention rule keeps three full calendar years: --before may be at most January 1 \
        of the year three years back (docs/journal.md, \"Personal data and retention\"). The prune is itself an \
        entry (a checkpoint that carries the hash of the last pruned entry); it prints the \
        new head. A journal that does not verify is not pruned."
    )]
    Prune {
        /// Delete the entries made before this date (YYYY-MM-DD, UTC)
        #[arg(long, value_name = "D")]
        before: String,
        /// The staff id of who prunes (recorded in the checkpoint entry)
        #[arg(long, value_name = "STAFF-ID")]
        by: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The context of entries the CLI writes without a model (checkpoints).
pub fn engine_context() -> Context {
    Context {
        engine_version: format!("sphere {}", env!("CARGO_PKG_VERSION")),
        kb_digest: None,
        model_digest: None,
    }
}

fn parse_head(text: &str) -> Result<Head, CliError> {
    text.parse::<Head>().map_err(|e| {
        CliError::new(format!("--expect-head: {e}")).with_hint(
            "give the head as printed by `sphere journal head`, e.g. 12:3f0c... (64 hex digits)",
        )
    })
}

pub(super) fn write_out(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| super::stdout_error(&e))
}

pub(super) fn verify(path: PathBuf, expect: Option<&str>, format: Format) -> CmdResult {
    let expect = expect.map(parse_head).transpose()?;
    let mut journal = open_journal(&path)?;
    let v = journal.verify(expect.as_ref()).map_err(cli_error)?;
    let text = match format {
        Format::Text => verify_text(&path, &v, expect.as_ref()),
        Format::Json => {
            let problem = v.problem.as_ref().map(|p| {
                serde_json::json!({
                    "seq": p.seq,
                    "kind": p.kind.as_str(),
                    "detail": p.detail,
                })
            });
            let value = serde_json::json!({
                "journal": path.display().to_string(),
                "intact": v.is_intact(),
                "entries": v.entries,
                "first_seq": v.first_seq,
                "head": v.head.to_string(),
                "expected_head": expect.map(|h| h.to_string()),
                "problem": problem,
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&value).expect("JSON values serialize")
            )
        }
    };
    write_out(&text)?;
    Ok(if v.is_intact() {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

fn verify_text(path: &std::path::Path, v: &Verification, expect: Option<&Head>) -> String {
    let mut s = format!("journal: {}\n", path.display());
    if v.entries == 0 {
        s.push_str("entries: none\n");
    } else {
        s.push_str(&format!(
            "entries: {} (entry {} to {})\n",
            v.entries, v.first_seq, v.head.seq
        ));
    }
    s.push_str(&format!("head: {}\n", v.head));
    if let Some(h) = expect {
        s.push_str(&format!("expected head: {h}\n"));
    }
    match &v.problem {
        None => s.push_str("verdict: intact\n"),
        Some(p) => s.push_str(&format!("verdict: does not verify: {p}\n")),
    }
    s
}

pub(super) fn head(path: PathBuf, format: Format) -> CmdResult {
    let journal = open_journal(&path)?;
    let head = journal.head().map_err(cli_error)?;
    let text = match format {
        Format::Text => format!("{head}\n"),
        Format::Json => format!(
            "{}\n",
            serde_json::json!({ "seq": head.seq, "hash": head.hash.to_hex(), "head": head.to_string() })
        ),
    };
    write_out(&text)?;
    Ok(exit::OK)
}

/// A date (`YYYY-MM-DD`, the start of that day in UTC) or an RFC 3339 time.
fn parse_time(flag: &str, text: &str) -> Result<Timestamp, CliError> {
    if let Ok(date) = text.parse::<Date>() {
        if let Ok(z) = date.to_zoned_datetime(jiff::tz::TimeZone::UTC) {
            return Ok(z.timestamp());
        }
    }
    text.parse::<Timestamp>().map_err(|_| {
        CliError::new(format!(
            "{flag}: `{text}` is not a date (YYYY-MM-DD) or a time (RFC 3339)"
        ))
        .with_hint("write e.g. 2026-06-01 or 2026-06-01T09:30:00Z")
    })
}

pub(super) fn show(
    path: PathBuf,
    since: Option<&str>,
    finding: Option<String>,
    format: Format,
) -> CmdResult {
    let since = since.map(|s| parse_time("--since", s)).transpose()?;
    let journal = open_journal(&path)?;
    let entries = journal
        .entries(&Filter {
            since,
            finding_id: finding,
            actions: Vec::new(),
        })
        .map_err(cli_error)?;
    let text = match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = entries.iter().map(|e| e.to_json()).collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&list).expect("JSON values serialize")
            )
        }
        Format::Text => {
            let mut s = String::new();
            for e in &entries {
                let time = e
                    .time()
                    .map_or_else(|| e.time_ms.to_string(), |t| t.to_string());
                s.push_str(&format!(
                    "{:>6}  {time}  {:<10}  by {}",
                    e.seq,
                    e.action().as_str(),
                    e.actor
                ));
                if let Some(f) = &e.finding {
                    s.push_str(&format!("  finding {} facts {}", f.id, f.facts_digest));
                }
                s.push_str(&format!("  {}\n", e.payload.to_json()));
            }
            s
        }
    };
    write_out(&text)?;
    Ok(exit::OK)
}

pub(super) fn prune(path: PathBuf, before: &str, by: &str) -> CmdResult {
    let date: Date = before.parse().map_err(|_| {
        CliError::new(format!("--before: `{before}` is not a date (YYYY-MM-DD)"))
            .with_hint("write e.g. 2023-01-01")
    })?;
    let now = Timestamp::now();
    let this_year = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).year();
    let latest = Date::new(this_year - RETENTION_YEARS, 1, 1)
        .map_err(|e| CliError::new(format!("cannot compute the retention limit: {e}")))?;
    if date > latest {
        return Err(CliError::new(format!(
            "--before {date} would prune entries the retention rule keeps (three full calendar years: at most {latest})"
        ))
        .with_hint(format!("prune with --before {latest} or earlier; see docs/journal.md, \"Personal data and retention\"")));
    }
    let before_ts = date
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map_err(|e| CliError::new(format!("--before: {e}")))?
        .timestamp();
    let mut journal = open_journal(&path)?;
    let outcome = journal
        .prune(before_ts, by, &engine_context(), now)
        .map_err(cli_error)?;
    match outcome {
        None => write_out(&format!(
            "nothing to prune: no entry was made before {date}\n"
        ))?,
        Some((c, head)) => super::write_stdout_after(
            &format!(
                "pruned: entries up to {} (made before {date})\ncheckpoint: entry {}\nhead: {head}\n",
                c.pruned_through, head.seq
            ),
            Some(&sphere::texts::Texts::new(
                format!(
                    "the entries up to {} are pruned all the same (checkpoint: entry {}, head: {head})",
                    c.pruned_through, head.seq
                ),
                format!(
                    "die Einträge bis {} sind trotzdem gelöscht (Prüfpunkt: Eintrag {}, Kopf: {head})",
                    c.pruned_through, head.seq
                ),
            )),
        )?,
    }
    Ok(exit::OK)
}
