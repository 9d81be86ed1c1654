//! `codex-mcp cancel` and `codex-mcp wait`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::style::Style;
use crate::engine::{BatchEntry, Engine, TaskBatch, TaskView, WaitFor};
use crate::store::{EndedBy, InputRequest, TaskStatus};
use crate::text::{clock, shorten};

/// The exit status of `wait` when its time ran out first.
const TIME_RAN_OUT: u8 = 3;
/// The exit status of `wait` when a task waits for a person's answer.
const ASKS: u8 = 4;

/// `codex-mcp cancel`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  codex-mcp cancel codex-fix-flaky_test-v1 codex-review-api-v1")]
pub struct CancelArgs {
    /// The tasks to stop (ids or topics)
    #[arg(required = true)]
    task_ids: Vec<String>,
    /// Print JSON: one object per task, as codex_cancel answers
    #[arg(long)]
    json: bool,
}

/// `codex-mcp wait`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  codex-mcp wait codex-review-api-v1 codex-review-db-v1 --timeout 600\n\nExit status: 0 when all completed, 1 when any did not, 3 when the time ran out first, 4 when a task waits for an answer to Codex's question (it returns at once, with the commands that answer it)."
)]
pub struct WaitArgs {
    /// The tasks to wait for
    #[arg(required = true)]
    task_ids: Vec<String>,
    /// Wait at most this long
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Print JSON: the fields of codex_status with task_ids
    #[arg(long)]
    json: bool,
}

/// Stops each task (recorded as ended by the command line); 1 when one could not be.
pub fn cancel(args: &CancelArgs, engine: &Engine) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    let mut answers = Vec::new();
    for raw in &args.task_ids {
        match super::words::task_named(engine, raw)
            .and_then(|id| engine.blocking_cancel(&id, EndedBy::Cli, None))
        {
            Ok(done) if args.json => answers.push(serde_json::to_value(&done).unwrap_or_default()),
            Ok(done) if done.cancelled => println!("cancelled {raw}"),
            Ok(done) => println!("{raw} had already ended ({})", done.task.status),
            Err(e) => {
                code = super::failed(&e);
                if args.json {
                    answers.push(serde_json::json!({"task_id": raw, "error": e.to_string()}));
                }
            }
        }
    }
    if args.json {
        super::print_json(&answers);
    }
    code
}

/// Waits for the tasks and prints how each ended.
pub fn wait(args: &WaitArgs, engine: &Engine) -> ExitCode {
    let ids: Vec<_> = match args
        .task_ids
        .iter()
        .map(|t| super::words::task_named(engine, t))
        .collect()
    {
        Ok(ids) => ids,
        Err(e) => return super::failed(&e),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    // No limit given: a year is as good as forever here.
    let limit = Duration::from_secs(args.timeout.unwrap_or(365 * 24 * 3600));
    let views = runtime.block_on(async {
        engine
            .wait_tasks(&ids, WaitFor::AllUnlessOneAsks, limit, |_| {})
            .await;
        engine.statuses(&ids).await
    });
    let batch = TaskBatch::of(&args.task_ids, views, usize::MAX);
    let asking: Vec<&TaskView> = batch
        .tasks
        .iter()
        .filter_map(|e| match e {
            BatchEntry::Task(v) if v.status == TaskStatus::InputRequired => Some(v.as_ref()),
            _ => None,
        })
        .collect();
    if args.json {
        super::print_json(&batch);
    } else {
        print_batch(&batch, Style::for_stdout(engine.no_color()));
        for v in &asking {
            for q in &v.input_requests {
                eprintln!("{}", how_to_answer(&v.task_id, q));
            }
        }
        let still = batch.running - asking.len();
        if still > 0 && asking.is_empty() {
            eprintln!(
                "timed out after {} s: {still} task(s) still running",
                limit.as_secs()
            );
        }
    }
    exit_of(&batch, !asking.is_empty())
}

/// How `wait` exits: a task asks; all completed; time ran out; or one ended otherwise.
fn exit_of(batch: &TaskBatch, asks: bool) -> ExitCode {
    if asks {
        return ExitCode::from(ASKS);
    }
    let completed = |e: &BatchEntry| match e {
        BatchEntry::Task(v) => v.status == TaskStatus::Completed,
        BatchEntry::Brief(b) => b.status == TaskStatus::Completed,
        BatchEntry::Missing(_) => false,
    };
    if batch.tasks.iter().all(completed) {
        ExitCode::SUCCESS
    } else if batch.running > 0 {
        ExitCode::from(TIME_RAN_OUT)
    } else {
        ExitCode::FAILURE
    }
}

fn print_batch(batch: &TaskBatch, style: Style) {
    // One line a task: the first line of its error or answer, cut.
    let first_line = |s: &str| shorten(s.trim().lines().next().unwrap_or_default(), 80);
    for entry in &batch.tasks {
        match entry {
            BatchEntry::Task(v) => {
                let what = v.error.as_deref().or(v.result.as_deref()).map(first_line);
                println!(
                    "{}  {}  {}  {}",
                    v.task_id,
                    style.status(v.status, 9),
                    clock(v.elapsed_seconds),
                    what.unwrap_or_default()
                );
            }
            BatchEntry::Brief(b) => {
                let what = b.error.as_deref().map(first_line).unwrap_or_default();
                println!("{}  {}  {what}", b.task_id, style.status(b.status, 9));
            }
            BatchEntry::Missing(m) => println!("{}  not found", m.task_id),
        }
    }
}

/// A waiting task's question and the commands that answer it.
pub(super) fn how_to_answer(task_id: &str, q: &InputRequest) -> String {
    format!(
        "{task_id} waits for an answer to {}\n  accept: codex-mcp approve {task_id} --request {id}  ·  decline: codex-mcp deny {task_id} --request {id}",
        q.line(),
        id = q.id
    )
}
