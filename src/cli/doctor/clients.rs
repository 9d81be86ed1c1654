//! The doctor's check of the MCP clients that run codex-mcp: each registration, whether it
//! still starts this server, and whether the settings it gives it are usable.

use std::path::Path;

use super::{Check, Verdict};
use crate::cli::install::{Client, Registered, registrations};
use crate::config::{Config, is_executable};

/// Which MCP clients have codex-mcp registered, and whether each entry still starts it.
pub(super) fn check_clients(config: &Config) -> Vec<Check> {
    let home = dirs::home_dir().unwrap_or_default();
    let here = std::env::current_dir().unwrap_or_default();
    let exe = std::env::current_exe().unwrap_or_default();
    let found = registrations(&home, &here);
    let mut checks = Vec::new();
    for client in [Client::Claude, Client::Cursor] {
        let mut mine = found.iter().filter(|r| r.client == client).peekable();
        if mine.peek().is_none() {
            checks.push(
                Check::new(
                    client.as_str(),
                    Verdict::Note,
                    "codex-mcp is not registered",
                )
                .fix(format!("codex-mcp install {}", client.as_str())),
            );
        }
        checks.extend(mine.map(|r| check_registration(r, config)));
    }
    checks.extend(conflicting_scopes(&found));
    checks.push(Check::new(
        "program",
        if is_executable(&exe) {
            Verdict::Ok
        } else {
            Verdict::Note
        },
        exe.display().to_string(),
    ));
    checks
}

/// Whether the client can start what the entry names, with usable settings.
fn check_registration(r: &Registered, config: &Config) -> Check {
    let found = can_start(r, config);
    if found.status == Verdict::Fail {
        return found;
    }
    let problems = settings_problems(r);
    if problems.is_empty() {
        return found;
    }
    Check::new(
        r.client.as_str(),
        Verdict::Fail,
        format!(
            "{} in {} gives codex-mcp settings every task would refuse or ignore: {}",
            r.name,
            r.place,
            problems.join("; ")
        ),
    )
    .fix(format!(
        "correct them: {} (with -e NAME=value for each to change)",
        r.reinstall
    ))
}

/// What the entry's `env` would make every task refuse or ignore, checked as a task's start
/// checks the server's own settings.
fn settings_problems(r: &Registered) -> Vec<String> {
    if r.env.is_empty() {
        return Vec::new();
    }
    let over: std::collections::HashMap<&str, &str> = r
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let lookup = |name: &str| {
        over.get(name)
            .map(std::ffi::OsString::from)
            .or_else(|| std::env::var_os(name))
    };
    let config = Config::from_lookup(lookup);
    let mut problems: Vec<String> = config.problems.clone();
    // Names codex-mcp does not read, among those the entry sets.
    problems.extend(
        r.env
            .iter()
            .filter(|(k, _)| k.starts_with("CODEXMCP_") && !crate::config::is_setting(k))
            .map(|(k, _)| format!("{k} is not a setting of codex-mcp (a typo?)")),
    );
    if let Ok(engine) = crate::engine::Engine::from_config(config) {
        for p in engine.blocking_settings_problems() {
            if !problems.contains(&p) {
                problems.push(p);
            }
        }
    }
    problems
}

/// Claude Code reads an entry of one name from one scope only: local over project over user.
/// Several scopes naming it say which one runs.
fn conflicting_scopes(found: &[Registered]) -> Vec<Check> {
    let claude: Vec<&Registered> = found
        .iter()
        .filter(|r| r.client == Client::Claude)
        .collect();
    let mut names: Vec<&str> = claude.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let places: Vec<&str> = claude
                .iter()
                .filter(|r| r.name == name)
                .map(|r| r.place.as_str())
                .collect();
            (places.len() > 1).then(|| {
                Check::new(
                    "claude",
                    Verdict::Note,
                    format!(
                        "`{name}` is registered in several of Claude Code's scopes ({}); Claude \
                         Code runs the local one over the project's over the user's",
                        places.join(", ")
                    ),
                )
                .fix(format!(
                    "keep one: codex-mcp uninstall claude{} for each you do not want",
                    if name == "codex" {
                        String::new()
                    } else {
                        format!(" --name {name}")
                    }
                ))
            })
        })
        .collect()
}

/// An entry that names its command without a path: whether PATH has it.
fn found_on_path(r: &Registered, config: &Config, at: &str) -> Check {
    let check = r.client.as_str();
    // A project's shared entry runs `codex-mcp` from each person's PATH on purpose: everyone
    // who works on the project installs it (`install --scope project` writes it so).
    match (config.find_on_path(&r.command), r.shared) {
        (Some(found), true) => Check::new(
            check,
            Verdict::Ok,
            format!(
                "registered for the project: {at} runs `{}` from each person's PATH (here {})",
                r.command,
                found.display()
            ),
        ),
        (None, true) => Check::new(
            check,
            Verdict::Fail,
            format!(
                "{at} runs `{}` from PATH, and it is not on this machine's PATH",
                r.command
            ),
        )
        .fix("install codex-mcp so `codex-mcp` is on PATH (npm install -g codex-mcp)"),
        (Some(found), false) => Check::new(
            check,
            Verdict::Note,
            format!(
                "{at} runs `{}` from PATH ({}); a client started from the desktop may not have \
                 your shell's PATH",
                r.command,
                found.display()
            ),
        )
        .fix(r.reinstall.clone()),
        (None, false) => Check::new(
            check,
            Verdict::Fail,
            format!("{at} runs `{}`, which is not on PATH", r.command),
        )
        .fix(r.reinstall.clone()),
    }
}

/// Whether the client can start what the entry names.
fn can_start(r: &Registered, config: &Config) -> Check {
    let check = r.client.as_str();
    let at = format!("{} in {}", r.name, r.place);
    if r.via_npx {
        return Check::new(
            check,
            Verdict::Note,
            format!(
                "{at} starts codex-mcp through npx, whose start-up can miss the client's handshake"
            ),
        )
        .fix(r.reinstall.clone());
    }
    let command = Path::new(&r.command);
    if command.is_absolute() {
        return if is_executable(command) {
            Check::new(
                check,
                Verdict::Ok,
                format!("registered: {at} → {}", r.command),
            )
        } else {
            Check::new(
                check,
                Verdict::Fail,
                format!(
                    "{at} runs {}, which is not there: the client cannot start it",
                    r.command
                ),
            )
            .fix(r.reinstall.clone())
        };
    }
    found_on_path(r, config, &at)
}
