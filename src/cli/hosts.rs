//! `codex-mcp hosts`: the hosts of hosts.toml, how each is reached, its places and tasks, and
//! (unless --no-check) whether it answers: the time to Codex's handshake there, its Codex
//! version, its login and its sandbox.

use std::process::ExitCode;

use clap::Args;

use super::style::Style;
use crate::engine::{Engine, HostsReport};

/// `codex-mcp hosts`.
#[derive(Debug, Args)]
#[command(
    after_help = "The hosts live in hosts.toml in the store's folder (~/.codexmcp/hosts.toml, or under\nCODEXMCP_HOME), or the file CODEXMCP_HOSTS_FILE names:\n\n  [hosts.devbox]\n  command = [\"ssh\", \"devbox\", \"codex\", \"app-server\", \"proxy\"]\n  max_parallel = 4\n  [hosts.lab]\n  url = \"ws://10.0.0.5:4500\"\n  token_file = \"~/.codexmcp/lab.token\"\n\nA task runs on one with `codex-mcp run --host devbox` or the tools' `host` (see docs/hosts.md)."
)]
pub struct HostsArgs {
    /// List them without talking to them
    #[arg(long)]
    no_check: bool,
    /// Print them as JSON
    #[arg(long)]
    json: bool,
}

/// Lists the hosts; exit 1 when the file cannot be used, 0 otherwise (a host that does not
/// answer is a state, said in the list, not a failure of the command).
pub fn hosts(args: &HostsArgs, engine: &Engine) -> ExitCode {
    let report = match engine.blocking_hosts(!args.no_check) {
        Ok(r) => r,
        Err(e) => return super::failed(&e),
    };
    if args.json {
        super::print_json(&report);
        return ExitCode::SUCCESS;
    }
    print_report(&report, Style::for_stdout(engine.no_color()));
    ExitCode::SUCCESS
}

fn print_report(report: &HostsReport, style: Style) {
    if report.hosts.is_empty() {
        println!(
            "no hosts: {} names none (see `codex-mcp hosts --help`)",
            report.file
        );
        return;
    }
    println!("hosts of {}", report.file);
    for h in &report.hosts {
        let state = match &h.check {
            None => String::new(),
            Some(c) => match (&c.error, c.initialize_ms) {
                (Some(e), _) => format!("  {}", style.red(&format!("✘ {e}"))),
                (None, ms) => {
                    let mut said = vec![format!("✔ answers in {} ms", ms.unwrap_or_default())];
                    if let Some(v) = &c.codex_version {
                        said.push(format!("Codex {v}"));
                    }
                    if let Some(l) = &c.login {
                        said.push(l.clone());
                    }
                    if c.sandbox_ok == Some(false)
                        && let Some(s) = &c.sandbox
                    {
                        said.push(s.clone());
                    }
                    format!("  {}", style.green(&said.join(" · ")))
                }
            },
        };
        println!(
            "{}  {}  ({} of {} places taken){state}",
            style.bold(&h.name),
            h.reached_by,
            h.tasks.min(h.max_parallel),
            h.max_parallel
        );
        if h.tasks > h.max_parallel {
            println!("    {} waiting for a place", h.tasks - h.max_parallel);
        }
    }
}
