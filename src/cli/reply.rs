//! `codex-mcp reply`: the person at a terminal talks to a task as codex_reply does — steers a
//! running one, joins a queued one's prompt, or follows up an ended one in its session.

use std::io::Read;
use std::process::ExitCode;

use clap::Args;

use crate::engine::{Delivery, Engine, EngineError, ReplyView, ReplyWith, parse_prompt};
use crate::vocab::Answerer;

/// `codex-mcp reply`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp reply codex-fix-flaky_test-v1 \"Also run the integration tests\"\n  git diff | codex-mcp reply codex-review-api-v1 -\n\nA running task gets it in its current turn (Codex reads it at its next model request); a queued one starts with it; an ended one gets a follow-up turn in the same session, as a new task (next topic version, same worktree, sandbox, options and approval policy).\nExit status: 0 when it was delivered (or the follow-up started), 2 when it was refused (nothing was delivered), 1 on any other failure."
)]
pub struct ReplyArgs {
    /// The task to talk to (id or topic)
    task_id: String,
    /// What to tell Codex; `-` reads it from stdin
    prompt: String,
    /// Print JSON: the fields of codex_reply
    #[arg(long)]
    json: bool,
}

pub fn reply(args: &ReplyArgs, engine: &Engine) -> ExitCode {
    let prompt = match read_prompt(&args.prompt) {
        Ok(p) => p,
        Err(e) => return super::failed(&e),
    };
    let delivered = super::words::task_named(engine, &args.task_id)
        .and_then(|id| engine.blocking_reply(&id, ReplyWith::Prompt(prompt), Answerer::Cli));
    let view = match delivered {
        Ok(Delivery::Done(view)) => view,
        Ok(Delivery::FollowUp {
            spec,
            turn_had_ended,
        }) => {
            let session = spec.session_id.clone();
            let runtime = match super::runtime() {
                Ok(r) => r,
                Err(code) => return code,
            };
            let started = runtime.block_on(engine.dispatch(*spec));
            runtime.shutdown_background();
            match started {
                Ok(started) => ReplyView::follow_up(&started, session, turn_had_ended),
                Err(e) => return super::failed(&e),
            }
        }
        Err(e) => return super::failed(&e),
    };
    if args.json {
        super::print_json(&view);
    } else {
        println!(
            "{}: {} ({})",
            view.task_id,
            delivered_as(&view),
            view.status
        );
        eprintln!("{}", super::words::for_terminal(&view.next));
    }
    ExitCode::SUCCESS
}

fn read_prompt(raw: &str) -> Result<String, EngineError> {
    let text = if raw == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| EngineError::invalid("prompt", format!("cannot read stdin: {e}")))?;
        text
    } else {
        raw.to_string()
    };
    parse_prompt(text)
}

fn delivered_as(view: &ReplyView) -> &'static str {
    match view.delivered {
        crate::engine::Delivered::Steer => "steered into the running turn",
        crate::engine::Delivered::Queued => "added to the prompt it starts with",
        crate::engine::Delivered::Answer => "answered",
        crate::engine::Delivered::FollowUp => "started as a follow-up in the same session",
    }
}
