//! `codex-mcp doctor`: checks what tasks need and says, one line each, what is wrong and how to
//! fix it — offline, without calling a model. `--smoke` goes further: one read-only and one
//! full-access task through the real Codex CLI against the scripted model built into this
//! binary, in a temporary repository and store, cleaned up after. The checks live beside this
//! file by what they look at: Codex itself (`codex.rs`), this machine and its settings
//! (`local.rs`), the MCP clients' registrations (`clients.rs`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::cli::smoke::SmokeReport;
use crate::config::Config;

mod clients;
mod codex;
mod hosts;
mod local;

/// `codex-mcp doctor`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp doctor\n  codex-mcp doctor --smoke\n  codex-mcp doctor --json\n\nExit status: 0 when everything a task needs works, 1 when something is broken."
)]
pub struct DoctorArgs {
    /// Print the checks as JSON
    #[arg(long)]
    json: bool,
    /// Also run one read-only and one full-access task against a scripted model (offline)
    #[arg(long)]
    smoke: bool,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Verdict {
    Ok,
    /// Works, with something worth knowing.
    Note,
    /// Something a task needs is broken.
    Fail,
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Check {
    check: std::borrow::Cow<'static, str>,
    status: Verdict,
    detail: String,
    /// What to do, when something is to be done.
    #[serde(skip_serializing_if = "String::is_empty")]
    fix: String,
}

impl Check {
    pub(super) fn new(
        check: impl Into<std::borrow::Cow<'static, str>>,
        status: Verdict,
        detail: impl Into<String>,
    ) -> Check {
        Check {
            check: check.into(),
            status,
            detail: detail.into(),
            fix: String::new(),
        }
    }

    pub(super) fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = fix.into();
        self
    }
}

/// Runs the checks (and the smoke test), prints them, and says whether all is well.
pub fn doctor(args: &DoctorArgs, config: &Config) -> ExitCode {
    let (checks, codex) = all_checks(config);
    let broken = checks.iter().any(|c| c.status == Verdict::Fail);
    if !args.json {
        for c in &checks {
            print_check(c);
        }
    }
    let smoke = smoke(args, config, codex.is_some());
    let smoke_ok = smoke.as_ref().is_none_or(|s| s.passed);
    if args.json {
        // One document: the checks, and the smoke test's steps when it ran.
        match &smoke {
            None => crate::cli::print_json(&checks),
            Some(smoke) => crate::cli::print_json(&serde_json::json!({
                "checks": checks,
                "smoke": smoke,
            })),
        }
    }
    if broken || !smoke_ok {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Every check of this machine, in the order they print; with the Codex that starts, if one
/// does.
fn all_checks(config: &Config) -> (Vec<Check>, Option<PathBuf>) {
    let mut checks = Vec::new();
    let codex = codex::check_codex(config, &mut checks);
    checks.extend(codex::check_codex_home());
    checks.push(codex::check_login(config, codex.as_deref()));
    checks.push(local::check_program(
        config,
        "git",
        &["--version"],
        "needed to work in repositories",
        "install git",
    ));
    checks.push(local::check_program(
        config,
        "tmux",
        &["-V"],
        "needed for full-access tasks",
        "install tmux (apt install tmux, brew install tmux)",
    ));
    checks.push(local::check_store(config));
    checks.push(local::check_settings(config));
    checks.extend(local::check_links_here());
    let engine = crate::cli::engine_check::engine_finding(config, codex.as_deref());
    let verdict = if engine.ok {
        Verdict::Ok
    } else {
        Verdict::Fail
    };
    let found = Check::new("engine", verdict, engine.detail);
    checks.push(match engine.fix {
        Some(fix) => found.fix(fix),
        None => found,
    });
    if let Some(codex) = &codex {
        checks.push(codex::check_models(config, codex));
        checks.push(codex::check_sandbox(config, codex));
    }
    checks.extend(clients::check_clients(config));
    checks.extend(hosts::check_hosts(config));
    (checks, codex)
}

/// The smoke test, when asked for. It needs no login (its model is built in), only a Codex
/// that starts.
fn smoke(args: &DoctorArgs, config: &Config, codex_starts: bool) -> Option<SmokeReport> {
    match (args.smoke, codex_starts) {
        (false, _) => None,
        (true, true) => Some(crate::cli::smoke::smoke(config, !args.json)),
        (true, false) => {
            if !args.json {
                println!("\nthe smoke test needs a Codex CLI that starts (see above)");
            }
            Some(SmokeReport {
                passed: false,
                steps: Vec::new(),
            })
        }
    }
}

fn print_check(c: &Check) {
    let mark = match c.status {
        Verdict::Ok => "✔",
        Verdict::Note => "!",
        Verdict::Fail => "✘",
    };
    let fix = if c.fix.is_empty() {
        String::new()
    } else {
        format!(" — {}", c.fix)
    };
    println!("{mark} {:<9} {}{fix}", c.check, c.detail);
}
