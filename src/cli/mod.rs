//! The command line: with no arguments the binary is an MCP server on stdio; a few
//! subcommands serve humans (and the supervisor mode serves the engine itself).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::engine::{Engine, EngineError, TaskListEntry, parse_task_id};
use crate::runner::{LiveView, run_supervisor};
use crate::text::keep_end;

const USAGE: &str = "\
codex-mcp: an MCP server (stdio) that delegates coding tasks to the OpenAI Codex CLI.

Usage:
  codex-mcp                 serve MCP on stdin/stdout (what an MCP client runs)
  codex-mcp list [N]        show the newest N tasks (default 20)
  codex-mcp status TASK_ID  show one task as JSON
  codex-mcp --version       print the version
  codex-mcp --help          print this help

Register it with Claude Code:  claude mcp add codex -- codex-mcp
Environment: see docs/configuration.md (CODEXMCP_HOME, CODEXMCP_CODEX_BIN, CODEXMCP_PROFILE, ...).";

/// Runs the program with this process's arguments: the MCP server, a command, or a task's
/// supervisor.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => serve(),
        Some("supervise") => {
            let (view, rest) = match args.get(1).map(String::as_str) {
                Some("--view") => (LiveView::Pane, &args[2..]),
                _ => (LiveView::Off, &args[1..]),
            };
            match rest {
                [dir] => {
                    init_logging(&Config::from_env());
                    run_supervisor(&PathBuf::from(dir), view)
                }
                _ => usage_error("supervise takes [--view] and one task folder"),
            }
        }
        Some("--version" | "-V") => {
            println!("codex-mcp {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("list") => {
            let limit = match args.get(1).map(|n| n.parse::<usize>()) {
                None => 20,
                Some(Ok(n)) if n > 0 => n,
                _ => return usage_error("list takes a positive number"),
            };
            with_engine(|e| {
                let l = e.list(limit)?;
                for task in &l.tasks {
                    println!("{}", list_line(task));
                }
                println!("({} of {} tasks)", l.shown, l.total);
                Ok(())
            })
        }
        Some("status") => match args.get(1) {
            Some(id) => with_engine(|e| {
                let mut view = e.status(&parse_task_id(id)?)?;
                // A person at a terminal gets the whole answer.
                view.fit(0, usize::MAX);
                println!(
                    "{}",
                    serde_json::to_string_pretty(&view).unwrap_or_default()
                );
                Ok(())
            }),
            None => usage_error("status needs a task id"),
        },
        Some(other) => usage_error(&format!("unknown command `{other}`")),
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("codex-mcp: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}

/// `task_id | status | started_at | elapsed | cwd`, the cwd cut to its last 80 characters.
fn list_line(t: &TaskListEntry) -> String {
    format!(
        "{} | {} | {} | {}s | {}",
        t.task_id,
        t.status,
        t.started_at,
        t.elapsed_seconds,
        keep_end(&t.cwd, 80)
    )
}

fn with_engine(f: impl FnOnce(&Engine) -> Result<(), EngineError>) -> ExitCode {
    match Engine::from_config(Config::from_env()).and_then(|e| f(&e)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codex-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> ExitCode {
    let config = Config::from_env();
    init_logging(&config);
    let engine = match Engine::from_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("codex-mcp: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("codex-mcp: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let recovering = engine.clone();
        tokio::task::spawn_blocking(move || {
            let n = recovering.recover_all();
            if n > 0 {
                tracing::info!(tasks = n, "finalized tasks whose supervisor had exited");
            }
        });
        crate::mcp::serve_stdio(engine).await
    });
    // Blocking calls may still be waiting on children; the tasks themselves live on.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codex-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout is the MCP channel), or to `CODEXMCP_LOG_FILE` when set;
/// `RUST_LOG` sets the level (default `warn`).
fn init_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = config
        .log_filter
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    // At debug level the log holds prompts: private like every other file of codex-mcp.
    let file = config
        .log_file
        .as_ref()
        .and_then(|p| crate::store::open_append(p).ok());
    let _ = match file {
        Some(f) => builder.with_writer(std::sync::Mutex::new(f)).try_init(),
        None => builder.with_writer(std::io::stderr).try_init(),
    };
}
