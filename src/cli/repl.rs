//! `sphere repl`: the interactive session. The interpreter is the library's (`sphere::repl`);
//! this is the line editor around it (history, completion, Ctrl-C, Ctrl-D) on a terminal, and
//! a plain reader of stdin otherwise (answers only: no prompt, no banner, for scripts).

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};
use sphere::repl::{is_complete, Repl};
use sphere::{Date, EvalOptions};

use super::check::Lang;
use super::load::load_kb;
use super::{exit, parse_date, print_error, today, write_stdout, CliError, CmdResult, Restart};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere repl facts/demo_week.json
  sphere repl facts/s12_what_if_consent.json < questions.txt   # answers only, for scripts

Type `help` in the session for its commands (`findings`, `why ID|ACTIVITY`, `?- ATOM.`,
`assume FACT`, `retract FACT`, `norm ID`, ...). Not on a terminal, every line of stdin is
input and only the answers are printed; errors go to stderr and the exit code is 2 if any
input failed.")]
pub struct Args {
    /// Model files (merged into one model)
    #[arg(required = true)]
    pub models: Vec<PathBuf>,
    /// Evaluation date (overrides the model's `as_of`)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// Language of messages, remedies and citations (`lang en|de` in the session)
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    /// Read the knowledge base from this directory instead of the shipped one
    #[arg(long, value_name = "DIR")]
    pub kb: Option<PathBuf>,
    /// History file (default: `sphere/history` in the user's data directory); only on a
    /// terminal
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    #[command(flatten)]
    pub limits: super::LimitArgs,
}

pub fn run(args: Args) -> CmdResult {
    let kb = Arc::new(load_kb(args.kb.as_deref(), &[])?);
    // Rules from outside run under the bounds `check` puts on them: they may never end. The
    // timeout bounds the work of each input, not the session.
    let (limits, interrupt, restart) =
        super::rules_bounds(&args.limits, &[], args.kb.as_deref()).start_restartable();
    let options = EvalOptions {
        as_of: args.as_of,
        limits,
        interrupt: Some(interrupt),
        ..EvalOptions::default()
    };
    let mut repl = Repl::new(kb, args.models.clone(), today(), options)?;
    repl.set_lang(args.lang.into());
    if std::io::stdin().is_terminal() {
        interactive(repl, args.history, &restart)
    } else {
        script(repl, &restart)
    }
}

/// Reads stdin line by line and prints the answers; an error is reported and the next line
/// read.
fn script(mut repl: Repl, restart: &Restart) -> CmdResult {
    let mut failed = false;
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| CliError::new(format!("cannot read stdin: {e}")))?;
        restart.restart();
        match repl.feed(&line) {
            None => {}
            Some(Ok(answer)) => write_stdout(&answer)?,
            Some(Err(e)) => {
                failed = true;
                print_error(&e);
            }
        }
    }
    if repl.continuing() {
        failed = true;
        print_error(
            &sphere::Error::texts(
                sphere::ErrorKind::Usage,
                sphere::Texts::new(
                    "the input ended inside a query",
                    "die Eingabe endete mitten in einer Anfrage",
                ),
            )
            .with_hint_texts(sphere::Texts::new(
                "end a query with `.`",
                "eine Anfrage mit `.` beenden",
            ))
            .in_lang(repl.lang()),
        );
    }
    Ok(if failed { exit::BAD_INPUT } else { exit::OK })
}

/// The history file: `--history`, else `$XDG_DATA_HOME/sphere/history`, else
/// `~/.local/share/sphere/history`.
fn history_path(given: Option<PathBuf>) -> Option<PathBuf> {
    if given.is_some() {
        return given;
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("sphere").join("history"))
}

/// Completion from the session's ids and names; multi-line queries.
struct ReplHelper {
    repl: Rc<RefCell<Repl>>,
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, words) = self.repl.borrow().complete(line, pos);
        Ok((
            start,
            words
                .into_iter()
                .map(|w| Pair {
                    display: w.clone(),
                    replacement: w,
                })
                .collect(),
        ))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

impl Helper for ReplHelper {}

fn interactive(repl: Repl, history: Option<PathBuf>, restart: &Restart) -> CmdResult {
    let repl = Rc::new(RefCell::new(repl));
    let mut editor: Editor<ReplHelper, FileHistory> =
        Editor::new().map_err(|e| CliError::new(format!("cannot start the line editor: {e}")))?;
    editor.set_helper(Some(ReplHelper {
        repl: Rc::clone(&repl),
    }));
    let history = history_path(history);
    if let Some(h) = &history {
        // A first session has no history yet.
        let _ = editor.load_history(h);
    }
    {
        // The session's findings and date: no whole evaluation of the model for the banner.
        let r = repl.borrow();
        let session = r.session();
        let found = session.findings();
        eprintln!(
            "sphere repl: {} findings, {} need action (as of {}); `help` lists the commands, Ctrl-D leaves",
            found.len(),
            found.iter().filter(|f| f.needs_action()).count(),
            session.as_of()
        );
    }
    loop {
        match editor.readline("sphere> ") {
            Ok(input) => {
                if !input.trim().is_empty() {
                    let _ = editor.add_history_entry(input.as_str());
                }
                restart.restart();
                let answer = repl.borrow_mut().run(&input);
                match answer {
                    Ok(text) => write_stdout(&text)?,
                    Err(e) => print_error(&e),
                }
            }
            Err(ReadlineError::Interrupted) => repl.borrow_mut().cancel(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: cannot read the line: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        let saved = h
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| editor.save_history(h).map_err(std::io::Error::other));
        if let Err(e) = saved {
            eprintln!(
                "warning: cannot save the history to {}: {e}\n  hint: give another file with --history FILE",
                h.display()
            );
        }
    }
    Ok(exit::OK)
}
