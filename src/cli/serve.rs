//! `sphere serve`: the decision API and the DPO's web view over HTTP.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::Timestamp;
use sphere::server::{self, App, Auth, Limits, Settings};
use sphere::Date;

use super::load::{journal_path, load_kb, read_model};
use super::{exit, parse_date, progress, write_stdout, CliError, CmdResult};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sphere serve facts/demo_week.json --config server.json --listen 127.0.0.1:8080
  printf %s \"$TOKEN\" | sphere serve --hash-token

The configuration maps tokens, stored as their SHA-256 (`--hash-token`), to staff ids and \
roles (dpo, crm, viewer), and may name a webhook (`\"webhook\": \"http://...\"`) the DPO's \
alarms are POSTed to, once per new block. The journal records every gate, decision, change and refusal; a \
server started again on the same model files and journal replays the changes it journaled. \
docs/server.md describes the API, the configuration and the security model.")]
pub struct Args {
    /// Model files
    #[arg(value_name = "MODEL", required_unless_present = "hash_token")]
    pub models: Vec<PathBuf>,
    /// The address to listen on (port 0: any free port; the address is printed on stderr)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The journal file (default: $SPHERE_JOURNAL, else ./sphere-journal.db)
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// The server's configuration: tokens (as SHA-256) with staff ids and roles
    #[arg(long, value_name = "FILE", required_unless_present = "hash_token")]
    pub config: Option<PathBuf>,
    /// Evaluation date (overrides the model's `as_of`)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// Bound every evaluation of the server: once the relations hold more than N tuples
    /// together, the request that needed the evaluation is answered with an error (HTTP 500,
    /// kind `evaluation`) and the server goes on; a model past the bound at the start is an
    /// error (exit 2). 0 or absent: no bound
    #[arg(long, value_name = "N")]
    pub max_tuples: Option<u64>,
    /// Read a token on stdin and print its SHA-256 for the configuration, then exit
    #[arg(long, conflicts_with_all = ["models", "config"])]
    pub hash_token: bool,
}

pub fn run(args: Args) -> CmdResult {
    if args.hash_token {
        let mut token = String::new();
        std::io::stdin()
            .read_to_string(&mut token)
            .map_err(|e| CliError::new(format!("cannot read the token from stdin: {e}")))?;
        let token = token.trim_end_matches(['\n', '\r']);
        if token.is_empty() {
            return Err(CliError::new("no token on stdin")
                .with_hint("printf %s \"$TOKEN\" | sphere serve --hash-token"));
        }
        write_stdout(&format!("{}\n", server::hash_token(token)))?;
        return Ok(exit::OK);
    }
    let Some(config) = args.config else {
        return Err(CliError::new("--config is missing"));
    };
    let text = std::fs::read_to_string(&config).map_err(|e| {
        CliError::new(format!("cannot read {}: {e}", config.display()))
            .with_hint("the configuration lists the tokens (as SHA-256) with staff ids and roles")
    })?;
    let auth = Auth::from_text(&config.display().to_string(), &text)?;
    let webhook = server::webhook::from_config(&config.display().to_string(), &text)?;
    super::limit_malloc_arenas(2);
    let line = progress::Line::new();
    // The company model stays: changes apply to it, and the DPO is read from it.
    let model = read_model(&args.models, None, args.as_of, &line)?;
    let kb = Arc::new(load_kb(None, &[])?);
    let settings = Settings {
        journal: journal_path(args.journal),
        auth,
        engine_version: format!("sphere {}", env!("CARGO_PKG_VERSION")),
        clock: Arc::new(Timestamp::now),
        limits: Limits::default(),
        // The shipped knowledge base: no bound but the one asked for.
        eval_limits: super::LimitArgs {
            max_tuples: args.max_tuples,
            timeout: None,
        }
        .bounds(false, None)
        .limits,
        webhook,
    };
    let (app, replayed) = App::start(kb, model, settings)?;
    let stopped = Arc::clone(&app);
    if replayed.applied > 0 {
        eprintln!(
            "replayed {} change batch(es) from the journal",
            replayed.applied
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| {
                CliError::new(format!("cannot listen on {}: {e}", args.listen))
                    .with_hint("choose another --listen address, or port 0 for any free port")
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::new(format!("cannot read the listening address: {e}")))?;
        eprintln!("sphere serve: listening on http://{addr}");
        axum::serve(listener, app.router())
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| CliError::new(format!("the server stopped: {e}")))
    })?;
    // Deliver the alarms still queued (each POST has a short timeout).
    stopped.flush_alarms();
    Ok(exit::OK)
}

/// Ctrl-C or SIGTERM: stop taking connections, finish the requests under way.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
