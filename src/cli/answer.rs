//! `codex-mcp approve` and `codex-mcp deny`: the person at a terminal answers a question a
//! task waits on. The question is shown first, and the answer is bound to it: if the task
//! moved on to another question meanwhile, nothing is answered and the new one is shown.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;

use crate::engine::{Delivery, Engine, EngineError, ReplyWith};
use crate::store::{InputRequest, TaskId};
use crate::vocab::{Answerer, Decision};

/// `codex-mcp approve`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp approve codex-fix-flaky_test-v1\n  codex-mcp approve codex-fix-flaky_test-v1 --request 2 --yes\n\nThe question is shown before it is answered; on a terminal you are asked to confirm unless --yes. An accepted request runs outside Codex's sandbox.\nExit status: 0 when the task took the answer; 2 when it asks nothing now, or not the question named (nothing was answered); 1 when you did not confirm, or on any other failure."
)]
pub struct ApproveArgs {
    /// The task whose question to accept (id or topic)
    task_id: String,
    /// The question to answer (its number, as `show` prints it); needed when the task asks several
    #[arg(long, value_name = "RID")]
    request: Option<u64>,
    /// Accept this and the like for the rest of the task's session
    #[arg(long)]
    for_session: bool,
    /// Do not ask for confirmation on a terminal
    #[arg(long, short = 'y')]
    yes: bool,
    /// Print JSON: the fields of codex_reply
    #[arg(long)]
    json: bool,
}

/// `codex-mcp deny`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp deny codex-fix-flaky_test-v1\n  codex-mcp deny codex-fix-flaky_test-v1 --request 3\n\nCodex goes on without it.\nExit status: 0 when the task took the answer; 2 when it asks nothing now, or not the question named (nothing was answered); 1 on any other failure."
)]
pub struct DenyArgs {
    /// The task whose question to decline (id or topic)
    task_id: String,
    /// The question to answer (its number, as `show` prints it); needed when the task asks several
    #[arg(long, value_name = "RID")]
    request: Option<u64>,
    /// Print JSON: the fields of codex_reply
    #[arg(long)]
    json: bool,
}

pub fn approve(args: &ApproveArgs, engine: &Engine) -> ExitCode {
    let decision = match args.for_session {
        true => Decision::AcceptForSession,
        false => Decision::Accept,
    };
    let how = How {
        decision,
        request: args.request,
        confirm: !args.yes,
        json: args.json,
    };
    answer(&args.task_id, how, engine)
}

pub fn deny(args: &DenyArgs, engine: &Engine) -> ExitCode {
    let how = How {
        decision: Decision::Decline,
        request: args.request,
        confirm: false,
        json: args.json,
    };
    answer(&args.task_id, how, engine)
}

/// What the person asked for.
struct How {
    decision: Decision,
    request: Option<u64>,
    /// Ask before answering, when stdin is a terminal.
    confirm: bool,
    json: bool,
}

fn answer(raw: &str, how: How, engine: &Engine) -> ExitCode {
    let (id, question) = match super::words::task_named(engine, raw)
        .and_then(|id| the_question(engine, &id, how.request).map(|q| (id, q)))
    {
        Ok(found) => found,
        Err(e) => return super::failed(&e),
    };
    // Shown before it is answered, on stderr when stdout carries JSON.
    let shown = format!("{}: {}", id.as_str(), question.line());
    match how.json {
        true => eprintln!("{shown}"),
        false => println!("{shown}"),
    }
    if how.confirm && std::io::stdin().is_terminal() && !confirmed(how.decision) {
        eprintln!("not answered");
        return ExitCode::FAILURE;
    }
    let with = ReplyWith::Decision {
        request_id: question.id,
        decision: how.decision,
    };
    match engine.blocking_reply(&id, with, Answerer::Cli) {
        Ok(Delivery::Done(view)) if how.json => {
            super::print_json(&view);
            ExitCode::SUCCESS
        }
        Ok(Delivery::Done(view)) => {
            println!(
                "{}: question {} {} ({})",
                view.task_id,
                question.id,
                past_tense(how.decision),
                view.status
            );
            ExitCode::SUCCESS
        }
        // A decision never starts a follow-up.
        Ok(Delivery::FollowUp { .. }) => ExitCode::FAILURE,
        Err(e) => super::failed(&e),
    }
}

/// The open question the person answers: the one named, or the only one.
fn the_question(
    engine: &Engine,
    id: &TaskId,
    named: Option<u64>,
) -> Result<InputRequest, EngineError> {
    let view = engine.blocking_status(id)?;
    let open = view.input_requests;
    let list = |qs: &[InputRequest]| {
        qs.iter()
            .map(|q| format!("\n  {}", q.line()))
            .collect::<String>()
    };
    if open.is_empty() {
        return Err(EngineError::invalid(
            "task_id",
            format!(
                "task `{}` asks nothing now (it is {}); nothing was answered",
                id.as_str(),
                view.status
            ),
        ));
    }
    match named {
        Some(n) => open.iter().find(|q| q.id == n).cloned().ok_or_else(|| {
            EngineError::invalid(
                "request_id",
                format!(
                    "task `{}` has no open question {n}, so nothing was answered; it asks:{}",
                    id.as_str(),
                    list(&open)
                ),
            )
        }),
        None if open.len() == 1 => Ok(open[0].clone()),
        None => Err(EngineError::invalid(
            "request_id",
            format!(
                "task `{}` asks {} questions; name the one to answer with --request N:{}",
                id.as_str(),
                open.len(),
                list(&open)
            ),
        )),
    }
}

/// Asks the person at the terminal; true on yes.
fn confirmed(decision: Decision) -> bool {
    let what = match decision {
        Decision::AcceptForSession => "Accept it, and the like for the rest of the session",
        _ => "Accept it",
    };
    eprint!("{what}? It runs outside Codex's sandbox. [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes" | "Yes")
}

fn past_tense(decision: Decision) -> &'static str {
    match decision {
        Decision::Accept => "accepted",
        Decision::AcceptForSession => "accepted for the session",
        Decision::Decline => "declined",
        Decision::Cancel => "cancelled",
    }
}
