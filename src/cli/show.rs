//! `codex-mcp list` and `codex-mcp show`: tasks as a person reads them, or `--json` with the
//! same fields `codex_status` gives.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::style::{Style, thousands};
use crate::engine::{Engine, ListFilter, TaskListEntry, TaskView};
use crate::store::TaskStatus;
use crate::text::{clock, keep_end, shorten};

/// `codex-mcp list`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp list\n  codex-mcp list -n 50 --status failed\n  codex-mcp list --cwd . --json"
)]
pub struct ListArgs {
    /// How many tasks, newest first: 1 to 200, as codex_status's `limit`
    #[arg(short = 'n', long = "limit", default_value_t = 20,
          value_parser = clap::value_parser!(u16).range(1..=200))]
    limit: u16,
    /// Only tasks in this status: queued, running, completed, failed or cancelled
    #[arg(long, value_parser = parse_status)]
    status: Option<TaskStatus>,
    /// Only tasks started for this directory
    #[arg(long)]
    cwd: Option<PathBuf>,
    /// Print JSON: the fields of codex_status's list
    #[arg(long)]
    json: bool,
}

/// `codex-mcp show`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp show codex-review-auth_module-v1\n  codex-mcp show codex-review-auth_module-v1 --json"
)]
pub struct ShowArgs {
    /// The task, e.g. codex-review-auth_module-v1
    pub task_id: String,
    /// Print JSON: the fields of codex_status for this task, with the whole answer
    #[arg(long)]
    pub json: bool,
}

fn parse_status(s: &str) -> Result<TaskStatus, String> {
    serde_json::from_value(serde_json::Value::from(s)).map_err(|_| {
        format!("`{s}` is not a status; use queued, running, completed, failed or cancelled")
    })
}

/// Prints the table (or JSON).
pub fn list(args: &ListArgs, engine: &Engine) -> ExitCode {
    let cwd = args
        .cwd
        .as_ref()
        .map(|c| std::fs::canonicalize(c).unwrap_or_else(|_| c.clone()));
    let filter = ListFilter {
        limit: usize::from(args.limit),
        status: args.status,
        cwd,
        budget: None,
    };
    let list = match engine.list_where(&filter) {
        Ok(l) => l,
        Err(e) => return super::failed(&e),
    };
    if args.json {
        super::print_json(&list);
        return ExitCode::SUCCESS;
    }
    let style = Style::for_stdout(engine.no_color());
    if list.tasks.is_empty() {
        println!("no tasks");
        return ExitCode::SUCCESS;
    }
    print!("{}", table(&list.tasks, style));
    println!(
        "{}",
        style.dim(&format!(
            "{} of {} tasks · {} tokens",
            list.shown,
            list.total,
            thousands(list.total_usage.total())
        ))
    );
    ExitCode::SUCCESS
}

/// id, status, elapsed, tokens, topic, cwd: one task a line, columns aligned.
fn table(tasks: &[TaskListEntry], style: Style) -> String {
    let width = |f: &dyn Fn(&TaskListEntry) -> usize, title: &str| {
        tasks.iter().map(f).max().unwrap_or(0).max(title.len())
    };
    let id_w = width(&|t| t.task_id.len(), "ID");
    let topic_w = width(&|t| t.topic.len(), "TOPIC");
    let mut out = style.bold(&format!(
        "{:<id_w$}  {:<14}  {:>8}  {:>9}  {:<topic_w$}  CWD",
        "ID", "STATUS", "ELAPSED", "TOKENS", "TOPIC"
    ));
    out.push('\n');
    for t in tasks {
        out.push_str(&format!(
            "{:<id_w$}  {}  {:>8}  {:>9}  {:<topic_w$}  {}\n",
            t.task_id,
            style.status(t.status, 14),
            clock(t.elapsed_seconds),
            thousands(t.tokens),
            t.topic,
            match &t.host {
                Some(h) => format!("{h}:{}", keep_end(&t.cwd, 60)),
                None => keep_end(&t.cwd, 60),
            }
        ));
    }
    // What the waiting tasks ask, and how to answer.
    for t in tasks {
        for q in &t.input_requests {
            out.push_str(&format!(
                "\n{} asks to {} (question {n})  (codex-mcp approve {id} --request {n} · codex-mcp deny {id} --request {n})",
                t.task_id,
                shorten(&q.what(), 120),
                id = t.task_id,
                n = q.id
            ));
        }
    }
    if tasks.iter().any(|t| !t.input_requests.is_empty()) {
        out.push('\n');
    }
    out
}

/// Prints one task (or its JSON).
pub fn show(args: &ShowArgs, engine: &Engine) -> ExitCode {
    let view = match super::words::task_named(engine, &args.task_id)
        .and_then(|id| engine.blocking_status(&id))
    {
        Ok(mut v) => {
            // A person at a terminal gets the whole answer.
            v.fit(0, usize::MAX);
            v
        }
        Err(e) => return super::failed(&e),
    };
    if args.json {
        super::print_json(&view);
    } else {
        print!("{}", readable(&view, Style::for_stdout(engine.no_color())));
    }
    ExitCode::SUCCESS
}

/// A task as a person reads it.
pub fn readable(v: &TaskView, style: Style) -> String {
    let mut out = format!("{}  {}", style.bold(&v.task_id), style.status(v.status, 0));
    if let Some(by) = v.ended_by {
        out.push_str(&style.dim(&format!("  (ended by {})", by.as_str())));
    }
    if let Some(n) = v.queue_position {
        out.push_str(&format!("  position {n} in the queue"));
    }
    out.push('\n');
    let lines = [about(v), talk(v), where_it_works(v), how_it_ended(v)].concat();
    for (label, text) in lines.into_iter().filter(|(_, t)| !t.is_empty()) {
        out.push_str(&format!("{}  {text}\n", style.dim(&format!("{label:<9}"))));
    }
    if let Some(stat) = v.isolation.as_ref().and_then(|i| i.diff_stat.as_ref()) {
        out.push_str(&format!("\n{stat}\n"));
    }
    if let Some(answer) = v.result.as_ref().filter(|a| !a.is_empty()) {
        out.push_str(&format!("\n{}\n{answer}\n", style.bold("answer")));
    }
    out
}

/// A labelled line of `show`; an empty text is left out.
type Line = (&'static str, String);

/// The question the task waits on, with how to answer, and what was said to it.
fn talk(v: &TaskView) -> Vec<Line> {
    let mut lines = Vec::new();
    for q in &v.input_requests {
        lines.push(("asks", q.line()));
        lines.push((
            "answer",
            format!(
                "codex-mcp approve {id} --request {n} [--for-session]  ·  codex-mcp deny {id} \
                 --request {n}  (an approval runs outside Codex's sandbox)",
                id = v.task_id,
                n = q.id
            ),
        ));
    }
    for a in &v.approvals {
        let what = a
            .command
            .clone()
            .unwrap_or_else(|| a.kind.as_str().to_string());
        let note = a
            .note
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        lines.push((
            "answered",
            format!(
                "question {}, {}: {} by {} at {}{note}",
                a.request_id,
                what,
                a.decision.as_str(),
                a.by,
                a.at
            ),
        ));
    }
    for s in &v.steers {
        lines.push(("told", format!("{} ({})", shorten(&s.prompt, 120), s.at)));
    }
    lines
}

/// What the task is: topic and settings, directory, times, session, usage, live progress.
fn about(v: &TaskView) -> Vec<Line> {
    let mut how = vec![v.sandbox.to_string()];
    how.extend(v.model.as_ref().map(|m| format!("model {m}")));
    how.extend(v.reasoning_effort.as_ref().map(|e| format!("effort {e}")));
    how.extend(v.profile.as_ref().map(|p| format!("profile {p}")));
    how.extend(
        v.timeout_seconds
            .map(|t| format!("time limit {}", clock(t as f64))),
    );
    let ended = v
        .ended_at
        .as_ref()
        .map(|e| format!(" · ended {e}"))
        .unwrap_or_default();
    let mut lines = vec![
        ("topic", format!("{} · {}", v.topic, how.join(" · "))),
        (
            "cwd",
            match &v.host {
                Some(h) => format!("{} on host {h}", v.cwd),
                None => v.cwd.clone(),
            },
        ),
        (
            "time",
            format!(
                "started {}{ended} · {}",
                v.started_at,
                clock(v.elapsed_seconds)
            ),
        ),
        ("session", v.session_id.clone().unwrap_or_default()),
        ("usage", usage_line(v)),
    ];
    if let Some(p) = &v.progress {
        // The same line the MCP progress gives: "retrying: …" while Codex retries.
        lines.push(("now", v.progress_line()));
        lines.push((
            "progress",
            format!(
                "{} · {} commands · {} files changed · quiet for {}",
                p.phase.as_str().replace('_', " "),
                p.commands_run,
                p.files_changed,
                clock(p.idle_seconds)
            ),
        ));
        lines.push(("last", p.last_command.clone().unwrap_or_default()));
    }
    lines
}

/// Where a full-access task works: its worktree and branch, your checkout's changes, how to
/// watch it.
fn where_it_works(v: &TaskView) -> Vec<Line> {
    let Some(iso) = &v.isolation else {
        return Vec::new();
    };
    let mut lines = vec![(
        "worktree",
        format!(
            "{} on {} (from {})",
            iso.worktree_dir, iso.agent_branch, iso.base_branch
        ),
    )];
    if let Some(l) = &iso.landed {
        let how = l.how.as_str();
        let head = crate::vocab::short_sha(&l.head);
        lines.push((
            "landed",
            format!("in {} ({how}) at {}, now {head}", l.into, l.at),
        ));
    } else if let (Some(ahead), Some(dirty)) = (iso.commits_ahead, iso.uncommitted_changes) {
        lines.push((
            "branch",
            super::words::work_counts(ahead, dirty, &iso.base_branch),
        ));
        if v.host.is_some() {
            lines.extend(iso.next_steps.clone().map(|n| ("next", n)));
        } else if ahead + dirty > 0 {
            let id = &v.task_id;
            lines.push((
                "next",
                format!("codex-mcp review --task {id} · codex-mcp land {id}"),
            ));
        }
    }
    if let Some(changed) = iso.checkout_changes.as_ref().filter(|c| !c.is_empty()) {
        lines.push((
            "checkout",
            format!("changed while it ran: {}", changed.join(", ")),
        ));
    }
    lines.extend(iso.attach_command.clone().map(|a| ("watch", a)));
    lines
}

/// How it ended: the log, the failure and what to do, the error, the warnings.
fn how_it_ended(v: &TaskView) -> Vec<Line> {
    let mut lines = vec![("log", v.log_file.clone())];
    if let Some(f) = &v.failure {
        lines.push((
            "failure",
            format!(
                "{} — {}",
                f.kind.as_str(),
                super::words::for_terminal(&f.hint)
            ),
        ));
    }
    lines.push(("error", v.error.clone().unwrap_or_default()));
    lines.extend(
        v.warnings
            .iter()
            .map(|w| ("warning", super::words::for_terminal(w))),
    );
    lines
}

fn usage_line(v: &TaskView) -> String {
    let u = &v.usage;
    if u.is_zero() && !v.status.is_final() {
        return String::new();
    }
    let mut text = format!(
        "{} in ({} cached) · {} out ({} reasoning)",
        thousands(u.input_tokens),
        thousands(u.cached_input_tokens),
        thousands(u.output_tokens),
        thousands(u.reasoning_output_tokens)
    );
    if v.session_usage != *u {
        text.push_str(&format!(
            " · session {}",
            thousands(v.session_usage.total())
        ));
    }
    text
}
