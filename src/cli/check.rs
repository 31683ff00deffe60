//! `sphere check`: evaluate the knowledge base on a model and print the findings.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use serde_json::json;
use sphere_engine::Date;

use super::{exit, CliError, CmdResult};
use crate::findings::{self, Finding, Lang};
use crate::kb;
use crate::session::{Evaluator, Request, Session};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere check facts/s04_phone_call.json
  sphere check facts/s04_phone_call.json --format json --lang de
  sphere check facts/s04_phone_call.json --assume 'consent_channel(\"cons-karl\", \"phone\")'
  sphere check --facts export/")]
pub struct Args {
    /// Model files (merged into one model)
    pub models: Vec<PathBuf>,
    /// Evaluate a `sphere-facts/1` export (written by `sphere facts`) instead of a model
    #[arg(long, value_name = "DIR")]
    pub facts: Option<PathBuf>,
    /// Evaluation date for planned activities without a date and for obligations not tied to
    /// one activity (overrides the model's `as_of`)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Language of messages, remedies and citations
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    /// Extra rule files, evaluated with the knowledge base (by the interpreter)
    #[arg(long, value_name = "FILE.dl")]
    pub rules: Vec<PathBuf>,
    /// Evaluator: the shipped knowledge base compiled to Rust (default), or the interpreter
    /// (same findings and explanations); `--rules`, and a `--kb` that differs from the
    /// compiled one, run the interpreter. Built with the cargo feature `crepe`, also `crepe`:
    /// the shipped knowledge base as crepe programs (explanations from the interpreter)
    #[arg(long, value_enum, default_value_t = Engine::Compiled)]
    pub engine: Engine,
    /// Assume a fact (what-if), e.g. `consent_channel("c1", "phone")`; repeatable
    #[arg(long, value_name = "FACT")]
    pub assume: Vec<String>,
    /// Include each finding's derivation tree (JSON output)
    #[arg(long)]
    pub tree: bool,
    /// Read the knowledge base from this directory instead of the shipped one
    #[arg(long, value_name = "DIR")]
    pub kb: Option<PathBuf>,
    /// Also list the findings an exception suppressed, with the exception (text and JSON)
    #[arg(long)]
    pub show_suppressed: bool,
    /// Print timings, the size of every relation (largest first) and the costliest rules on
    /// stderr, to see what a model or a rule change makes grow
    #[arg(long)]
    pub stats: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Md,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    Interpreted,
    Compiled,
    #[cfg(feature = "crepe")]
    Crepe,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Interpreted => "interpreted",
            Engine::Compiled => "compiled",
            #[cfg(feature = "crepe")]
            Engine::Crepe => "crepe",
        }
    }
}

pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date of the form YYYY-MM-DD"))
}

/// Today's date from the system clock (UTC): the default evaluation date of a model without
/// `as_of`. Read here, at the edge, and passed in.
pub fn today() -> Date {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    Date(now as i32)
}

pub fn color_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

impl Args {
    pub fn request(&self) -> Request {
        Request {
            models: self.models.clone(),
            facts_dir: self.facts.clone(),
            as_of: self.as_of,
            kb: self.kb.clone().map_or(kb::Origin::Shipped, kb::Origin::Dir),
            rules: self.rules.clone(),
            assume: self.assume.clone(),
            today: today(),
            color: color_stderr(),
        }
    }
}

pub fn run(args: Args) -> CmdResult {
    if !args.rules.is_empty() && args.engine != Engine::Interpreted {
        eprintln!("note: --rules runs the interpreter");
    }
    #[cfg(feature = "crepe")]
    if args.engine == Engine::Crepe
        && (!args.rules.is_empty() || !args.assume.is_empty() || args.kb.is_some())
    {
        return Err(
            CliError::new("--engine crepe runs the shipped knowledge base as it is")
                .with_hint("leave out --rules, --assume and --kb, or choose another --engine"),
        );
    }
    let mut session = match Session::load(&args.request()) {
        Ok(s) => s,
        Err(f) => {
            eprint!("{}", f.rendered);
            return Err(CliError::new(""));
        }
    };
    session.profile = args.stats;
    let mut compiled = args.engine == Engine::Compiled && args.rules.is_empty();
    if compiled {
        if let Err(e) = sphere_kb_compiled::KB.matches(&session.program) {
            if args.kb.is_some() {
                eprintln!("note: the knowledge base given with --kb is not the compiled one; running the interpreter");
            } else {
                eprintln!("note: {e}; running the interpreter\n  hint: regenerate with `UPDATE_GENERATED=1 cargo test -p sphere-codegen`");
            }
            compiled = false;
        }
    }
    // Should the compiled program fail to run (it cannot, once it matches the program), the
    // interpreter gives the same answer.
    let evaluating = std::time::Instant::now();
    let attempt = if compiled {
        match session.evaluate_with(Evaluator::Compiled) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("note: {e}; running the interpreter");
                compiled = false;
                None
            }
        }
    } else {
        None
    };
    let (ev, origins) = match attempt {
        Some(r) => r,
        None => session
            .evaluate_with(Evaluator::Interpreted)
            .map_err(CliError::new)?,
    };
    if args.stats {
        eprintln!("evaluated in {:.2} s", evaluating.elapsed().as_secs_f64());
        eprint!("{}", stats(&ev));
    }
    let collecting = std::time::Instant::now();
    let found = findings::collect(
        &ev,
        &origins,
        &findings::Options {
            lang: args.lang,
            tree: args.tree,
        },
    );
    #[cfg(feature = "crepe")]
    let found = if args.engine == Engine::Crepe {
        crate::crepe_engine::findings(&session, found).map_err(CliError::new)?
    } else {
        found
    };
    if args.stats {
        eprintln!(
            "{} findings collected and explained in {:.2} s",
            found.len(),
            collecting.elapsed().as_secs_f64()
        );
    }
    let suppressed: Vec<(Finding, Vec<String>)> = if args.show_suppressed {
        let opts = findings::Options {
            lang: args.lang,
            tree: args.tree,
        };
        findings::collect_suppressed(&ev, &origins, &opts)
            .into_iter()
            .map(|f| {
                let e = findings::exceptions_for(&ev, &f);
                (f, e)
            })
            .collect()
    } else {
        Vec::new()
    };
    let out = match args.format {
        Format::Json => {
            let engine = if compiled {
                Engine::Compiled
            } else {
                Engine::Interpreted
            };
            #[cfg(feature = "crepe")]
            let engine = if args.engine == Engine::Crepe {
                Engine::Crepe
            } else {
                engine
            };
            let mut doc = json_document(&session, &found, engine.name());
            if args.show_suppressed {
                let list: Vec<serde_json::Value> = suppressed
                    .iter()
                    .map(|(f, e)| {
                        let mut v = serde_json::to_value(f).expect("finding serialises");
                        v["exceptions"] = serde_json::json!(e);
                        v
                    })
                    .collect();
                doc["suppressed"] = serde_json::Value::Array(list);
            }
            serde_json::to_string_pretty(&doc).expect("findings serialise") + "\n"
        }
        Format::Text => {
            let mut out = text(&found, &session);
            if args.show_suppressed {
                out.push_str(&suppressed_text(&suppressed));
            }
            out
        }
        Format::Md => markdown(&found, &session),
        Format::Sarif => {
            let doc = crate::sarif::log(&found, &origins, ev.interner(), &session.kb_digest);
            serde_json::to_string_pretty(&doc).expect("SARIF serialises") + "\n"
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    let code = if found.iter().any(Finding::needs_action) {
        exit::FINDINGS
    } else {
        exit::OK
    };
    super::leave_to_exit(ev);
    super::leave_to_exit(origins);
    super::leave_to_exit(session);
    Ok(code)
}

/// The `sphere-findings/1` document.
pub fn json_document(session: &Session, found: &[Finding], engine: &str) -> serde_json::Value {
    let mut by_decision = std::collections::BTreeMap::<&str, usize>::new();
    let mut by_law = std::collections::BTreeMap::<String, usize>::new();
    let mut by_severity = std::collections::BTreeMap::<&str, usize>::new();
    for f in found {
        *by_decision.entry(f.decision.as_str()).or_default() += 1;
        *by_severity.entry(f.severity.as_str()).or_default() += 1;
        let mut laws: Vec<String> = f
            .norms
            .iter()
            .map(|n| n.id.split(':').next().unwrap_or("").to_string())
            .collect();
        laws.sort();
        laws.dedup();
        for l in laws {
            *by_law.entry(l).or_default() += 1;
        }
    }
    json!({
        "format": "sphere-findings/1",
        "as_of": session.as_of.to_string(),
        "engine": engine,
        "kb_digest": session.kb_digest,
        "model_digest": session.model_digest,
        "summary": {
            "findings": found.len(),
            "by_decision": by_decision,
            "by_law": by_law,
            "by_severity": by_severity,
        },
        "findings": found,
    })
}

fn text(found: &[Finding], session: &Session) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if found.is_empty() {
        let _ = writeln!(out, "no findings (as of {})", session.as_of);
        return out;
    }
    for f in found {
        let what = match (&f.activity, &f.object) {
            (Some(a), _) => format!("activity {a}"),
            (_, Some(o)) => format!("object {o}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{} {} [{}] {} ({})",
            f.decision.to_uppercase(),
            f.id,
            f.severity,
            what,
            f.date
        );
        let _ = writeln!(out, "  {}", f.message);
        let _ = writeln!(out, "  cites: {}", f.citations.join("; "));
        if !f.authorities.is_empty() {
            let a: Vec<&str> = f.authorities.iter().map(|a| a.citation.as_str()).collect();
            let _ = writeln!(out, "  see: {}", a.join("; "));
        }
        if let Some(r) = &f.contested_reason {
            let _ = writeln!(out, "  contested: {r}");
        }
        let _ = writeln!(out, "  remedy: {}", f.remedy);
        let _ = writeln!(out, "  rule: {}   (sphere explain ... {})", f.rule, f.id);
    }
    let blocking = found.iter().filter(|f| f.needs_action()).count();
    let _ = writeln!(
        out,
        "\n{} findings, {} need action (as of {})",
        found.len(),
        blocking,
        session.as_of
    );
    out
}

/// How many of the costliest rules `--stats` lists.
const STATS_RULES: usize = 20;

/// Relation sizes, largest first (ties by name), where evaluation time went, then the
/// costliest rules.
fn stats(ev: &sphere_engine::eval::Evaluation<'_>) -> String {
    use std::fmt::Write as _;
    let program = ev.program();
    let mut rows: Vec<(usize, &str)> = (0..program.relations.len())
        .map(|i| {
            let rel = sphere_engine::ir::RelId(i as u32);
            (ev.len(rel), program.relation(rel).name.as_str())
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let total: usize = rows.iter().map(|r| r.0).sum();
    let mut out = format!("{total} tuples in {} relations\n", rows.len());
    for (n, name) in rows.iter().filter(|r| r.0 > 0) {
        let _ = writeln!(out, "{n:>10}  {name}");
    }
    let ph = ev.phases();
    let _ = writeln!(
        out,
        "evaluation: {:.2} s planning and building indexes, {:.2} s rules, {:.2} s updating indexes",
        ph.planning.as_secs_f64(),
        ph.rules.as_secs_f64(),
        ph.rounds.as_secs_f64()
    );
    let mut rules: Vec<_> = ev.profile().iter().filter(|p| p.runs > 0).collect();
    if !rules.is_empty() {
        rules.sort_by(|a, b| b.time.cmp(&a.time).then(a.rule.cmp(&b.rule)));
        let _ = writeln!(
            out,
            "rules by time (seconds, head tuples produced, rounds):"
        );
        for p in rules.iter().take(STATS_RULES) {
            let _ = writeln!(
                out,
                "{:>10.3}  {:>9}  {:>3}  {}",
                p.time.as_secs_f64(),
                p.produced,
                p.runs,
                program.rules[p.rule.0 as usize].id
            );
        }
    }
    out
}

fn suppressed_text(suppressed: &[(Finding, Vec<String>)]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if suppressed.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\nsuppressed by exceptions:");
    for (f, e) in suppressed {
        let _ = writeln!(
            out,
            "  {} {} {} ({}): suppressed by {}",
            f.id,
            f.rule,
            f.about(),
            f.date,
            e.join(", ")
        );
    }
    out
}

fn markdown(found: &[Finding], session: &Session) -> String {
    use std::fmt::Write as _;
    let mut out = format!("# Findings (as of {})\n\n", session.as_of);
    if found.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    out.push_str("| decision | severity | about | norms | message | remedy | id |\n|---|---|---|---|---|---|---|\n");
    for f in found {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | `{}` |",
            f.decision,
            f.severity,
            f.about(),
            f.citations.join("; "),
            f.message.replace('|', "\\|"),
            f.remedy.replace('|', "\\|"),
            f.id
        );
    }
    out
}
