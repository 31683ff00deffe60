//! `sphere explain`: the full derivation tree of one finding, down to model facts and norms;
//! for a finding an exception suppressed, also the exception that applied.

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;
use sphere_engine::{Date, Value};

use super::check::{color_stderr, parse_date, today};
use super::{CliError, CmdResult};
use crate::findings::{self, Finding, Lang};
use crate::session::{Request, Session};
use crate::{explain, kb};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere check facts/s04_phone_call.json            # lists findings with their ids
  sphere explain facts/s04_phone_call.json F-dc0dcb7057fb09a2
  sphere explain facts/s04_phone_call.json F-dc0dcb7057fb09a2 --format dot | dot -Tsvg > tree.svg")]
pub struct Args {
    /// Model files, then the finding id (as `sphere check` prints it)
    #[arg(required = true, num_args = 2.., value_name = "MODEL... FINDING-ID")]
    pub args: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    #[arg(long, value_name = "FILE.dl")]
    pub rules: Vec<PathBuf>,
    #[arg(long, value_name = "FACT")]
    pub assume: Vec<String>,
    #[arg(long, value_name = "DIR")]
    pub kb: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Dot,
}

pub fn run(args: Args) -> CmdResult {
    let (id, models) = args.args.split_last().expect("clap requires two or more");
    let req = Request {
        models: models.iter().map(PathBuf::from).collect(),
        facts_dir: None,
        as_of: args.as_of,
        kb: args.kb.clone().map_or(kb::Origin::Shipped, kb::Origin::Dir),
        rules: args.rules.clone(),
        assume: args.assume.clone(),
        today: today(),
        color: color_stderr(),
    };
    let session = Session::load(&req).map_err(|f| {
        eprint!("{}", f.rendered);
        CliError::new("")
    })?;
    let (ev, origins) = session.evaluate().map_err(CliError::new)?;
    let opts = findings::Options {
        lang: args.lang,
        tree: args.format == Format::Json,
    };
    let listed = findings::collect(&ev, &origins, &opts);
    let (finding, suppressed) = match listed.into_iter().find(|f| &f.id == id) {
        Some(f) => (f, false),
        None => match findings::collect_suppressed(&ev, &origins, &opts)
            .into_iter()
            .find(|f| &f.id == id)
        {
            Some(f) => (f, true),
            None => {
                return Err(
                    CliError::new(format!("no finding `{id}` in this model")).with_hint(
                        "`sphere check` with the same model files lists the findings and their ids",
                    ),
                )
            }
        },
    };
    let program = ev.program();
    let date = Date::parse(&finding.date).unwrap_or(session.as_of);
    // The exceptions that applied, with their derivations.
    let mut exceptions = Vec::new();
    if suppressed {
        if let Some(rel) = program.relation_by_name("suppressed") {
            let interner = ev.interner();
            for t in ev.tuples(rel) {
                let s = |v: Value| sphere_engine::value::display(v, interner);
                if s(t[0]) == finding.rule
                    && s(t[2]) == finding.about()
                    && date_matches(&t[4], &finding)
                {
                    let subj = s(t[3]);
                    if finding
                        .subjects
                        .first()
                        .map_or(subj.is_empty(), |x| *x == subj)
                    {
                        exceptions.push((s(t[1]), ev.explain(rel, &t).ok()));
                    }
                }
            }
        }
    }
    let out = match args.format {
        Format::Text => {
            let mut out = header(&finding, suppressed);
            if let Some(tree) = &finding.derivation {
                out.push_str(&explain::text(
                    tree,
                    program,
                    ev.interner(),
                    &origins,
                    date,
                    args.lang,
                ));
            }
            for (exc, tree) in &exceptions {
                out.push_str(&format!("\nsuppressed by exception {exc}:\n"));
                if let Some(t) = tree {
                    out.push_str(&explain::text(
                        t,
                        program,
                        ev.interner(),
                        &origins,
                        date,
                        args.lang,
                    ));
                }
            }
            out
        }
        Format::Dot => match &finding.derivation {
            Some(tree) => explain::dot(tree, program, ev.interner(), &origins, date, args.lang),
            None => String::new(),
        },
        Format::Json => {
            let doc = json!({
                "finding": finding,
                "suppressed": suppressed,
                "exceptions": exceptions.iter().map(|(e, t)| json!({
                    "rule": e,
                    "tree": t.as_ref().map(|t| findings::tree_json(t, program, ev.interner(), &origins)),
                })).collect::<Vec<_>>(),
            });
            serde_json::to_string_pretty(&doc).expect("serialises") + "\n"
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    super::leave_to_exit(ev);
    super::leave_to_exit(origins);
    super::leave_to_exit(session);
    Ok(super::exit::OK)
}

fn date_matches(v: &Value, f: &Finding) -> bool {
    matches!(v, Value::Date(d) if d.to_string() == f.date)
}

fn header(f: &Finding, suppressed: bool) -> String {
    let mut s = format!(
        "{} {} [{}] {} ({})\n  {}\n  cites: {}\n",
        if suppressed {
            "SUPPRESSED".to_string()
        } else {
            f.decision.to_uppercase()
        },
        f.id,
        f.severity,
        f.about(),
        f.date,
        f.message,
        f.citations.join("; ")
    );
    if let Some(r) = &f.contested_reason {
        s.push_str(&format!("  contested: {r}\n"));
    }
    s.push_str(&format!("  remedy: {}\n\n", f.remedy));
    s
}
