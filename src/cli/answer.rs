//! `codex-mcp approve` and `codex-mcp deny`: the person at a terminal answers the question a
//! task waits on (its status is `input_required`; `codex-mcp show` prints the question).

use std::process::ExitCode;

use clap::Args;

use crate::engine::{Delivery, Engine, ReplyWith};
use crate::vocab::Decision;

/// `codex-mcp approve`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  codex-mcp approve codex-fix-flaky_test-v1\n\nAn accepted request runs outside Codex's sandbox. Exit status: 0 when the task took the answer, 2 when it asks nothing now, 1 on any other failure."
)]
pub struct ApproveArgs {
    /// The task whose question to accept (id or topic)
    task_id: String,
    /// Accept this and the like for the rest of the task's session
    #[arg(long)]
    for_session: bool,
    /// Print JSON: the fields of codex_reply
    #[arg(long)]
    json: bool,
}

/// `codex-mcp deny`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  codex-mcp deny codex-fix-flaky_test-v1\n\nCodex goes on without it. Exit status: 0 when the task took the answer, 2 when it asks nothing now, 1 on any other failure."
)]
pub struct DenyArgs {
    /// The task whose question to decline (id or topic)
    task_id: String,
    /// Print JSON: the fields of codex_reply
    #[arg(long)]
    json: bool,
}

pub fn approve(args: &ApproveArgs, engine: &Engine) -> ExitCode {
    let decision = match args.for_session {
        true => Decision::AcceptForSession,
        false => Decision::Accept,
    };
    answer(&args.task_id, decision, args.json, engine)
}

pub fn deny(args: &DenyArgs, engine: &Engine) -> ExitCode {
    answer(&args.task_id, Decision::Decline, args.json, engine)
}

fn answer(raw: &str, decision: Decision, json: bool, engine: &Engine) -> ExitCode {
    let delivered = super::words::task_named(engine, raw)
        .and_then(|id| engine.blocking_reply(&id, ReplyWith::Decision(decision), "cli"));
    match delivered {
        Ok(Delivery::Done(view)) if json => {
            super::print_json(&view);
            ExitCode::SUCCESS
        }
        Ok(Delivery::Done(view)) => {
            println!("{}: {} ({})", view.task_id, decision.as_str(), view.status);
            ExitCode::SUCCESS
        }
        // A decision never starts a follow-up.
        Ok(Delivery::FollowUp(_)) => ExitCode::FAILURE,
        Err(e) => super::failed(&e),
    }
}
