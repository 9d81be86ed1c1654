//! `codex-mcp install` and `codex-mcp uninstall`: register this binary with an MCP client in
//! one command, by its absolute path (never `npx`, whose start-up can miss a client's
//! handshake), and take the registration back out.

mod claude;
mod config_file;
mod cursor;
mod registered;
mod splice;

pub(super) use registered::{Client, Registered, registrations};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

const CODEX_REFUSED: &str = "\
codex-mcp does not register itself with the Codex CLI: Codex would then hand its work to
codex-mcp, which hands it back to Codex — a task delegating to itself. Register codex-mcp with
the client that should hand work TO Codex: `codex-mcp install claude` or `codex-mcp install cursor`.";

/// `codex-mcp install`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  codex-mcp install claude
  codex-mcp install claude --scope project -e CODEXMCP_MAX_PARALLEL=2
  codex-mcp install cursor --dry-run

The client then runs this very binary, by its absolute path. Not for the Codex CLI as the
client: it would hand work to itself.")]
pub struct InstallArgs {
    #[command(subcommand)]
    client: InstallClient,
}

/// `codex-mcp uninstall`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp uninstall claude\n  codex-mcp uninstall cursor --project ."
)]
pub struct UninstallArgs {
    #[command(subcommand)]
    client: UninstallClient,
}

#[derive(Debug, Subcommand)]
enum InstallClient {
    /// Register with Claude Code (runs `claude mcp add`)
    Claude(ClaudeInstall),
    /// Add an entry to Cursor's mcp.json (~/.cursor, or a project's .cursor)
    Cursor(CursorInstall),
    /// Not offered: Codex would delegate to itself
    #[command(hide = true)]
    Codex,
}

#[derive(Debug, Subcommand)]
enum UninstallClient {
    /// Remove the registration from Claude Code (runs `claude mcp remove`)
    Claude(ClaudeUninstall),
    /// Remove the entry from Cursor's mcp.json
    Cursor(CursorUninstall),
    /// Not offered: Codex would delegate to itself
    #[command(hide = true)]
    Codex,
}

/// Which entry, and whether only to show the change.
#[derive(Debug, Args)]
struct Entry {
    /// The name the client knows the server by (its tools become mcp__<name>__codex, …)
    #[arg(long, default_value = "codex", value_parser = server_name)]
    name: String,
    /// Print what would change, change nothing
    #[arg(long)]
    dry_run: bool,
}

/// What an installed entry holds beyond the binary's path.
#[derive(Debug, Args)]
struct Settings {
    /// An environment variable for the server: NAME=VALUE, or NAME to pass on its current
    /// value (repeatable)
    #[arg(short = 'e', long = "env", value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// Replace an entry of the same name that differs from this one
    #[arg(long)]
    force: bool,
}

/// `install claude`.
#[derive(Debug, Args)]
struct ClaudeInstall {
    /// user: all your projects; project: this directory's .mcp.json, shared through git (each
    /// person approves it once); local: this directory, only you
    #[arg(long, short = 's', value_enum, default_value_t = Scope::User)]
    scope: Scope,
    #[command(flatten)]
    entry: Entry,
    #[command(flatten)]
    settings: Settings,
}

/// `uninstall claude`.
#[derive(Debug, Args)]
struct ClaudeUninstall {
    /// The scope it was installed in
    #[arg(long, short = 's', value_enum, default_value_t = Scope::User)]
    scope: Scope,
    #[command(flatten)]
    entry: Entry,
}

/// `install cursor`.
#[derive(Debug, Args)]
struct CursorInstall {
    /// Use DIR/.cursor/mcp.json instead of ~/.cursor/mcp.json
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    #[command(flatten)]
    entry: Entry,
    #[command(flatten)]
    settings: Settings,
}

/// `uninstall cursor`.
#[derive(Debug, Args)]
struct CursorUninstall {
    /// The project it was installed in (default: ~/.cursor/mcp.json)
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    #[command(flatten)]
    entry: Entry,
}

/// Claude Code's configuration scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
enum Scope {
    User,
    Project,
    Local,
}

impl Scope {
    fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Registers this binary with the client.
pub fn install(args: &InstallArgs, config: &crate::config::Config) -> ExitCode {
    let outcome = match &args.client {
        InstallClient::Claude(a) => Registration::new(&a.entry, &a.settings).and_then(|r| {
            let claude = config.find_on_path("claude");
            claude::install(a.scope, &r, a.settings.force, a.entry.dry_run, claude)
        }),
        InstallClient::Cursor(a) => Registration::new(&a.entry, &a.settings).and_then(|r| {
            cursor::install(a.project.as_deref(), &r, a.settings.force, a.entry.dry_run)
        }),
        InstallClient::Codex => Err(CODEX_REFUSED.to_string()),
    };
    finish(outcome)
}

/// Takes the registration back out of the client.
pub fn uninstall(args: &UninstallArgs, config: &crate::config::Config) -> ExitCode {
    let outcome = match &args.client {
        UninstallClient::Claude(a) => {
            claude::uninstall(a.scope, &a.entry, config.find_on_path("claude"))
        }
        UninstallClient::Cursor(a) => cursor::uninstall(a.project.as_deref(), &a.entry),
        UninstallClient::Codex => Err(CODEX_REFUSED.to_string()),
    };
    finish(outcome)
}

fn finish(outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(said) => {
            println!("{said}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("codex-mcp: {why}");
            ExitCode::FAILURE
        }
    }
}

/// What a client is told to run: this binary and the environment the person named.
#[derive(Debug)]
struct Registration {
    name: String,
    command: PathBuf,
    env: Vec<(String, String)>,
}

impl Registration {
    fn new(entry: &Entry, settings: &Settings) -> Result<Registration, String> {
        let env = settings
            .env
            .iter()
            .map(|e| env_setting(e))
            .collect::<Result<_, _>>()?;
        Ok(Registration {
            name: entry.name.clone(),
            command: this_binary()?,
            env,
        })
    }

    /// A note to show when the path is one that may vanish.
    fn path_warning(&self) -> Option<String> {
        let path = self.command.to_string_lossy();
        (path.contains("/_npx/") || path.contains("/.npm/_cacache/")).then(|| {
            format!(
                "warning: {path} is in npm's cache, which npm may clear; install codex-mcp for good \
                 (npm install -g codex-mcp) and run `codex-mcp install` again"
            )
        })
    }
}

/// The absolute, resolved path of the running binary: what the client will start.
fn this_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot tell where this program is ({e}); pass its path by hand"))?;
    let resolved = exe.canonicalize().unwrap_or(exe);
    if resolved.to_string_lossy().ends_with(" (deleted)") {
        return Err(format!(
            "this program's file was replaced while it ran ({}); run the installed codex-mcp again",
            resolved.display()
        ));
    }
    Ok(resolved)
}

/// The command the person typed, with `--force` added: a suggestion that keeps their flags
/// (`-e`, `--name`, `--project`, `--scope`).
fn again_with_force() -> String {
    let mut words: Vec<String> = std::env::args().skip(1).collect();
    if !words.iter().any(|w| w == "--force") {
        words.push("--force".into());
    }
    format!("codex-mcp {}", shell_words(&words))
}

/// `NAME=VALUE`, or `NAME` to pass on its current value.
fn env_setting(raw: &str) -> Result<(String, String), String> {
    let (name, value) = match raw.split_once('=') {
        Some((n, v)) => (n, Some(v.to_string())),
        None => (raw, None),
    };
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "-e {raw:?}: an environment setting is NAME=VALUE (NAME: ASCII letters, digits and _, not \
             starting with a digit), or NAME alone to pass on its current value"
        ));
    }
    let value = match value {
        Some(v) => v,
        None => std::env::var(name).map_err(|_| {
            format!("-e {name}: {name} is not set here; give its value as -e {name}=VALUE")
        })?,
    };
    Ok((name.to_string(), value))
}

/// `--name`: what clients accept as a server name (it becomes part of tool names).
fn server_name(raw: &str) -> Result<String, String> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(raw.to_string())
    } else {
        Err("a server name is 1 to 64 ASCII letters, digits, '_' or '-'".into())
    }
}

/// An argv as a person would type it (for messages; nothing runs through a shell).
fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
            if plain {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_settings_are_checked() {
        assert_eq!(
            env_setting("A_1=x=y").unwrap(),
            ("A_1".to_string(), "x=y".to_string())
        );
        assert!(env_setting("1A=x").unwrap_err().contains("NAME=VALUE"));
        assert!(env_setting("=x").is_err());
        assert!(
            env_setting("CODEXMCP_SURELY_UNSET_VAR")
                .unwrap_err()
                .contains("is not set here")
        );
    }

    #[test]
    fn names_are_what_clients_accept() {
        assert!(server_name("codex").is_ok());
        assert!(server_name("codex-2_b").is_ok());
        assert!(server_name("co dex").is_err());
        assert!(server_name("").is_err());
    }

    #[test]
    fn words_are_quoted_for_people() {
        let w = |s: &[&str]| shell_words(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(w(&["claude", "-e", "A=b"]), "claude -e A=b");
        assert_eq!(w(&["x y", "it's"]), r"'x y' 'it'\''s'");
    }
}
