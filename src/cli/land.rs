//! `codex-mcp land`: an ended full-access task's work brought into your branch.

use std::process::ExitCode;

use clap::Args;

use super::style::Style;
use crate::engine::{Engine, LandArgs, LandView};
use crate::vocab::LandHow;

/// `codex-mcp land`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp land implement-auth-v1\n  codex-mcp land codex-fix-flaky_test-v2 --rebase\n  codex-mcp land implement-auth-v1 --merge --into develop --keep\n\nWhat Codex left uncommitted is committed first (with a Codex-Task: trailer); then the branch lands in the one checked out where the task started (or --into), with git itself: your hooks run. A conflict, a refusing hook or uncommitted changes of yours in the way change nothing in your checkout.\n\nExit status: 0 when the work landed, 1 when it did not (the message says why and what to do), 2 for a usage error."
)]
pub struct LandCmdArgs {
    /// The task (its id, or its topic for the newest run)
    task: String,
    /// One commit with all of the task's work (the default)
    #[arg(long, conflicts_with_all = ["merge", "rebase"])]
    squash: bool,
    /// A merge commit joining the task's branch
    #[arg(long, conflicts_with = "rebase")]
    merge: bool,
    /// The task's commits replayed on top
    #[arg(long)]
    rebase: bool,
    /// The commit message (default: the task's topic and the first line of its prompt)
    #[arg(long, short = 'm')]
    message: Option<String>,
    /// The branch to land in (default: the one checked out where the task started)
    #[arg(long, value_name = "BRANCH")]
    into: Option<String>,
    /// Keep the task's worktree and branch after landing
    #[arg(long)]
    keep: bool,
    /// Print the result as JSON (the object codex_land returns)
    #[arg(long)]
    json: bool,
}

pub fn land(args: &LandCmdArgs, engine: &Engine) -> ExitCode {
    let id = match super::words::task_named(engine, &args.task) {
        Ok(id) => id,
        Err(e) => return super::failed(&e),
    };
    let how = match (args.merge, args.rebase) {
        (true, _) => LandHow::Merge,
        (_, true) => LandHow::Rebase,
        _ => LandHow::Squash,
    };
    let request = LandArgs {
        task_id: id.to_string(),
        how: Some(how),
        message: args.message.clone(),
        into: args.into.clone(),
        keep: Some(args.keep),
    };
    match engine.blocking_land(request) {
        Ok(done) if args.json => {
            super::print_json(&done);
            ExitCode::SUCCESS
        }
        Ok(done) => {
            print!("{}", readable(&done, Style::for_stdout(engine.no_color())));
            ExitCode::SUCCESS
        }
        Err(e) => super::failed(&e),
    }
}

fn readable(d: &LandView, style: Style) -> String {
    let mut out = format!(
        "{} {} in {} ({}), now at {}\n",
        style.bold("landed"),
        d.task_id,
        d.into,
        d.how.as_str(),
        &d.head[..12.min(d.head.len())]
    );
    if let Some(c) = &d.committed_leftovers {
        out.push_str(&format!(
            "committed first what Codex had left uncommitted: {}\n",
            &c[..12.min(c.len())]
        ));
    }
    for c in &d.commits {
        out.push_str(&format!("  {c}\n"));
    }
    if !d.diff_stat.is_empty() {
        out.push_str(&format!("{}\n", d.diff_stat));
    }
    out.push_str(match d.worktree_removed {
        true => "the task's worktree and branch are removed\n",
        false => "the task's worktree and branch are kept\n",
    });
    for w in &d.warnings {
        out.push_str(&format!("warning   {w}\n"));
    }
    out
}
