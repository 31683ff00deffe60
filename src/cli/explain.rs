//! `sphere explain`: the full derivation tree of one finding, down to model facts and norms;
//! for a finding an exception suppressed, also the exception that applied.

use std::path::PathBuf;

use sphere::render;
use sphere::{Date, EvalOptions};

use super::check::Lang;
use super::load::{assumptions, load_kb, load_model};
use super::{exit, leave_to_exit, parse_date, progress, write_stdout, CmdResult};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere check facts/s04_phone_call.json            # lists findings with their ids
  sphere explain facts/s04_phone_call.json F-dc0dcb7057fb09a2
  sphere explain facts/s04_phone_call.json F-dc0dcb7057fb09a2 --format dot | dot -Tsvg > tree.svg
  sphere explain facts/demo_week.json --why-not uwg_phone_without_consent act-week-call-hartmann")]
pub struct Args {
    /// Model files, then the finding id (as `sphere check` prints it); with `--why-not`, the
    /// model files only
    #[arg(required = true, num_args = 1.., value_name = "MODEL... FINDING-ID")]
    pub args: Vec<String>,
    /// Why the finding rule RULE gives no finding about ACTIVITY (an activity or object id):
    /// its closest candidates and the first condition each fails, in words
    #[arg(long, num_args = 2, value_names = ["RULE", "ACTIVITY"])]
    pub why_not: Option<Vec<String>>,
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
    /// Show each norm's citation, title, in-force interval and official source, and each
    /// authority's link (authorities dated after the act marked as later)
    #[arg(long)]
    pub norm_text: bool,
    #[command(flatten)]
    pub limits: super::LimitArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Dot,
}

pub fn run(args: Args) -> CmdResult {
    let (id, models) = match &args.why_not {
        Some(_) => ("", args.args.as_slice()),
        None => match args.args.split_last() {
            Some((id, models)) if !models.is_empty() => (id.as_str(), models),
            _ => {
                return Err(sphere::Error::texts(
                    sphere::ErrorKind::Usage,
                    sphere::Texts::new(
                        "give the model files and then a finding id, or `--why-not RULE ACTIVITY`",
                        "die Modelldateien und dann die Kennung eines Befunds angeben, oder `--why-not` mit Regel und Tätigkeit",
                    ),
                )
                .into())
            }
        },
    };
    let models: Vec<PathBuf> = models.iter().map(PathBuf::from).collect();
    let line = progress::Line::in_lang(args.lang.into());
    let model = load_model(&models, None, args.as_of, &line)?;
    let kb = load_kb(args.kb.as_deref(), &args.rules)?;
    // Rules from outside run under the bounds `check` puts on them: they may never end.
    let (limits, interrupt) =
        super::rules_bounds(&args.limits, &args.rules, args.kb.as_deref()).start();
    let options = EvalOptions {
        limits,
        interrupt,
        assume: assumptions(&kb, &args.assume)?,
        progress: line.callback(),
        ..EvalOptions::default()
    };
    let outcome = kb.evaluate(&model, &options)?;
    let lang = args.lang.into();
    if let Some([rule, about]) = args.why_not.as_deref() {
        let answer = outcome.why_not_rule(rule, about)?;
        let out = match args.format {
            Format::Json => {
                render::json::pretty(&render::json::rule_answer(rule, about, &answer, lang))
            }
            _ => render::text::rule_answer(rule, about, &answer, lang),
        };
        write_stdout(&out)?;
        leave_to_exit(outcome);
        leave_to_exit(model);
        leave_to_exit(kb);
        return Ok(exit::OK);
    }
    let explanation = outcome.explain(id)?;
    let out = match args.format {
        Format::Text if args.norm_text => {
            let mut text = render::text::explanation(&explanation, lang);
            // The norms after the header's blank line, before the tree.
            let norms = render::text::norm_text(&explanation.finding, lang);
            match text.find(
                "

",
            ) {
                Some(i) => text.insert_str(i + 1, &norms),
                None => text.push_str(&norms),
            }
            render::text::terminal_safe(&text).into_owned()
        }
        Format::Text => {
            render::text::terminal_safe(&render::text::explanation(&explanation, lang)).into_owned()
        }
        Format::Dot => render::dot::explanation(&explanation, lang),
        Format::Json => {
            let doc = render::json::explanation(&explanation, lang);
            let text = render::json::pretty(&doc);
            render::json::dispose(doc);
            text
        }
    };
    write_stdout(&out)?;
    leave_to_exit(outcome);
    leave_to_exit(model);
    leave_to_exit(kb);
    Ok(exit::OK)
}
