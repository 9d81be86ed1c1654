//! The command line. With no command the binary is the stdio MCP server (what an MCP client
//! runs); the commands serve the person who owns the machine, on the same engine and store as
//! the servers, so what a person sees is what the calling model sees. `supervise` is the
//! engine's own: the process that runs one task.

mod answer;
mod doctor;
mod engine_check;
mod events;
mod follow;
mod gc;
mod hosts;
mod install;
mod land;
mod logs;
mod reply;
mod review;
mod run;
mod serve;
mod show;
mod smoke;
mod style;
mod tasks;
mod words;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::config::Config;
use crate::engine::{Engine, EngineError};
use crate::runner::{LiveView, run_supervisor};

const AFTER_HELP: &str = "\
With no command, codex-mcp serves MCP on stdin/stdout: register it with
  codex-mcp install claude        (or: codex-mcp install cursor)
Environment variables: https://github.com/codex-mcp/codex-mcp/blob/main/docs/configuration.md
Every command: https://github.com/codex-mcp/codex-mcp/blob/main/docs/cli.md";

/// An MCP server that hands coding tasks to the OpenAI Codex CLI, and the commands to run,
/// watch, steer and clean up those tasks from a terminal.
#[derive(Debug, Parser)]
#[command(name = "codex-mcp", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve MCP on stdin/stdout (the same as no command)
    #[command(
        after_help = "Example (what `codex-mcp install claude` does, and what doctor accepts):\n  claude mcp add --scope user codex -- \"$(command -v codex-mcp)\""
    )]
    Serve,
    /// Run a task and follow it to its answer (or start it with --detach)
    Run(run::RunArgs),
    /// Codex's code review of the uncommitted changes, a branch, a commit or a task's work
    Review(review::ReviewCmdArgs),
    /// Bring an ended full-access task's work into your branch (squash, merge or rebase)
    Land(land::LandCmdArgs),
    /// The newest tasks, as a table
    List(show::ListArgs),
    /// One task: status, timings, model, usage, worktree, branch, the answer
    Show(show::ShowArgs),
    /// A task's log as a person reads it; -f follows it to the end
    Logs(logs::LogsArgs),
    /// Watch a task live: its tmux session, or its log for a read-only task
    Attach(logs::AttachArgs),
    /// Steer a running task, join a queued one's prompt, or follow up an ended one
    Reply(reply::ReplyArgs),
    /// Accept a question a task waits on (it runs outside Codex's sandbox)
    Approve(answer::ApproveArgs),
    /// Decline a question a task waits on
    Deny(answer::DenyArgs),
    /// Stop tasks and everything they started
    Cancel(tasks::CancelArgs),
    /// Wait for tasks to end
    Wait(tasks::WaitArgs),
    /// Remove old finished tasks, and the worktrees and branches that hold no work of their own
    Gc(gc::GcArgs),
    /// Check what tasks need (codex, login, git, tmux, the store, Codex's sandbox)
    Doctor(doctor::DoctorArgs),
    /// The hosts of hosts.toml: how each is reached, its places, and whether it answers
    Hosts(hosts::HostsArgs),
    /// The log of every task's status changes
    Events(events::EventsArgs),
    /// Register this binary with Claude Code or Cursor
    Install(install::InstallArgs),
    /// Take the registration back out of Claude Code or Cursor
    Uninstall(install::UninstallArgs),
    /// A completion script for your shell
    #[command(
        after_help = "Example:\n  codex-mcp completions bash > ~/.local/share/bash-completion/completions/codex-mcp"
    )]
    Completions {
        /// bash, zsh or fish
        #[arg(value_enum)]
        shell: Shell,
    },
    /// One task as JSON (the same as `show --json`)
    #[command(hide = true)]
    Status { task_id: String },
    /// Runs the CODEXMCP_NOTIFY program with a time limit (started by the engine, not by people)
    #[command(hide = true)]
    NotifyRun {
        /// The most milliseconds it may run
        #[arg(long)]
        timeout_ms: u64,
        /// The program and its arguments
        #[arg(last = true, required = true)]
        argv: Vec<String>,
    },
    /// Runs one task (started by the engine, not by people)
    #[command(hide = true)]
    Supervise {
        /// Show a readable account of the run on stdout (its tmux pane)
        #[arg(long)]
        view: bool,
        task_dir: PathBuf,
    },
}

/// The shells completion scripts are made for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Runs the program with this process's arguments: the MCP server, a command, or a task's
/// supervisor.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        None | Some(Command::Serve) => serve::serve(),
        Some(Command::NotifyRun { timeout_ms, argv }) => {
            let limit = std::time::Duration::from_millis(timeout_ms);
            // What to tell the program comes on stdin, never in an argument (`ps` shows those).
            let mut input = Vec::new();
            let _ = std::io::Read::read_to_end(
                &mut std::io::Read::take(std::io::stdin(), 1024 * 1024),
                &mut input,
            );
            match crate::child::run_with_time_limit(&argv, &input, limit) {
                true => ExitCode::SUCCESS,
                false => ExitCode::FAILURE,
            }
        }
        Some(Command::Supervise { view, task_dir }) => {
            init_logging(&Config::from_env());
            let view = if view { LiveView::Pane } else { LiveView::Off };
            run_supervisor(&task_dir, view)
        }
        Some(Command::Completions { shell }) => {
            quiet_on_a_closed_pipe();
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
            };
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "codex-mcp",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Some(command) => {
            let config = Config::from_env();
            init_logging(&config);
            person(command, config)
        }
    }
}

/// Like other Unix tools, a command for people whose reader went away (`codex-mcp list |
/// head`) ends quietly by SIGPIPE instead of failing to print. Not the server (it handles a
/// closed stdout itself), nor a supervisor (its pane may close under it), nor a command that
/// feeds a child through a pipe.
fn quiet_on_a_closed_pipe() {
    // SAFETY: restoring a signal's default disposition runs no code of ours.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        )
    };
}

/// The commands for people.
fn person(command: Command, config: Config) -> ExitCode {
    match &command {
        // Only the commands that print and read, never the ones that write to a child (doctor's
        // probes, run): there SIGPIPE would kill us for a child that ended early.
        Command::List(_)
        | Command::Show(_)
        | Command::Status { .. }
        | Command::Logs(_)
        | Command::Events(_) => quiet_on_a_closed_pipe(),
        _ => {}
    }
    match &command {
        Command::Doctor(args) => return doctor::doctor(args, &config),
        Command::Install(args) => return install::install(args, &config),
        Command::Uninstall(args) => return install::uninstall(args, &config),
        _ => {}
    }
    let engine = match Engine::from_config(config) {
        Ok(e) => e,
        Err(e) => return failed(&e),
    };
    match command {
        Command::Run(args) => run::run(args, &engine),
        Command::Review(args) => review::review(args, &engine),
        Command::Land(args) => land::land(&args, &engine),
        Command::List(args) => show::list(&args, &engine),
        Command::Show(args) => show::show(&args, &engine),
        Command::Status { task_id } => show::show(
            &show::ShowArgs {
                task_id,
                json: true,
            },
            &engine,
        ),
        Command::Logs(args) => logs::logs(&args, &engine),
        Command::Attach(args) => logs::attach(&args, &engine),
        Command::Reply(args) => reply::reply(&args, &engine),
        Command::Approve(args) => answer::approve(&args, &engine),
        Command::Deny(args) => answer::deny(&args, &engine),
        Command::Cancel(args) => tasks::cancel(&args, &engine),
        Command::Wait(args) => tasks::wait(&args, &engine),
        Command::Gc(args) => gc::gc(&args, &engine),
        Command::Hosts(args) => hosts::hosts(&args, &engine),
        Command::Events(args) => events::events(&args, &engine),
        Command::Serve
        | Command::Supervise { .. }
        | Command::NotifyRun { .. }
        | Command::Completions { .. }
        | Command::Doctor(_)
        | Command::Install(_)
        | Command::Uninstall(_) => {
            // Handled before the engine is made; reaching here is a bug, never a success.
            eprintln!("codex-mcp: internal error: a command was not dispatched");
            ExitCode::FAILURE
        }
    }
}

/// Prints why a command failed; exit status 1.
/// Exit status 2 for a usage error (a bad argument, refused before anything starts), 1 for
/// anything else; the message in command-line terms.
fn failed(e: &EngineError) -> ExitCode {
    eprintln!("codex-mcp: {}", words::for_terminal(&e.to_string()));
    match e {
        // A bad argument, and a name that is no task, are the same mistake wherever made.
        EngineError::InvalidArgument { .. } | EngineError::NotFound(_) => ExitCode::from(USAGE),
        _ => ExitCode::FAILURE,
    }
}

/// The exit status of a usage error, as clap gives it.
const USAGE: u8 = 2;

/// A runtime for the commands that wait.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("codex-mcp: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        })
}

/// Prints `value` as pretty JSON (the same fields the tools give).
fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
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
