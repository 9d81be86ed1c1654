//! What the tools report about a task: built from `meta.json` and, while it runs,
//! `progress.json`. Both are small files, whatever the size of the log.

use serde::Serialize;

use crate::codex::{Progress, Usage};
use crate::runner::attach_command;
use crate::store::{TaskFiles, TaskMeta, TaskStatus, TaskSummary, now_ms, read_json};
use crate::workspace::summarize;

/// The full report of one task. Finished tasks carry the result fields of the `codex` tool;
/// running ones carry `progress`.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    pub success: bool,
    pub status: &'static str,
    pub task_id: String,
    pub topic: String,
    pub sandbox: &'static str,
    pub cwd: String,
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    pub exit_code: Option<i32>,
    pub elapsed_seconds: f64,
    pub usage: Usage,
    pub log_file: String,
    pub started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<ProgressView>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<IsolationView>,
}

/// Where a full-access task works and, once it is finished, what it changed.
#[derive(Debug, Clone, Serialize)]
pub struct IsolationView {
    pub worktree_dir: String,
    pub agent_branch: String,
    pub base_branch: String,
    pub tmux_session: Option<String>,
    /// How a human watches the task live (the session closes when the task ends).
    pub attach_command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits_ahead: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_stat: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncommitted_changes: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProgressView {
    pub phase: &'static str,
    pub commands_run: u64,
    pub files_changed: u64,
    pub last_message: Option<String>,
    pub last_command: Option<String>,
}

impl TaskView {
    pub fn build(files: &TaskFiles, meta: &TaskMeta) -> TaskView {
        let mut view = TaskView {
            success: meta.status == TaskStatus::Completed,
            status: meta.status.as_str(),
            task_id: meta.task_id.clone(),
            topic: meta.topic.clone(),
            sandbox: meta.sandbox.as_str(),
            cwd: meta.cwd.display().to_string(),
            session_id: meta.resume_session_id.clone(),
            result: None,
            exit_code: None,
            elapsed_seconds: meta.elapsed_seconds(now_ms()),
            usage: Usage::default(),
            log_file: meta.log_file.display().to_string(),
            started_at: meta.started_at.clone(),
            ended_at: meta.ended_at.clone(),
            error: None,
            warnings: meta.warnings.clone(),
            progress: None,
            isolation: None,
        };
        match (&meta.outcome, meta.status.is_final()) {
            (Some(o), true) => {
                view.session_id = o.session_id.clone().or(view.session_id);
                view.result = Some(o.result.clone());
                view.exit_code = o.exit_code;
                view.usage = o.usage;
                view.error = o.error.clone();
            }
            _ => {
                let p: Progress = read_json(&files.progress())
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                view.session_id = p.session_id.clone().or(view.session_id);
                view.usage = p.usage;
                view.progress = Some(ProgressView {
                    phase: p.phase.as_str(),
                    commands_run: p.commands_run,
                    files_changed: p.files_changed,
                    last_message: p.last_message,
                    last_command: p.last_command,
                });
            }
        }
        if let Some(wt) = &meta.worktree {
            let mut iso = IsolationView {
                worktree_dir: wt.dir.display().to_string(),
                agent_branch: wt.branch.clone(),
                base_branch: wt.base_branch.clone(),
                tmux_session: meta.tmux_session.clone(),
                attach_command: meta.tmux_session.as_deref().map(attach_command),
                commits_ahead: None,
                diff_stat: None,
                uncommitted_changes: None,
            };
            if meta.status.is_final() {
                // Read live from the worktree: a finished task's branch is what the caller
                // reviews or merges next.
                match summarize(&wt.dir, &wt.base_branch) {
                    Ok(g) => {
                        iso.commits_ahead = Some(g.commits_ahead);
                        iso.diff_stat = Some(g.diff_stat);
                        iso.uncommitted_changes = Some(g.uncommitted_changes);
                    }
                    Err(e) => view.warnings.push(format!(
                        "cannot read the worktree `{}`: {e}",
                        wt.dir.display()
                    )),
                }
            } else {
                iso.attach_command = meta.tmux_session.as_deref().map(attach_command);
            }
            view.isolation = Some(iso);
        }
        view
    }
}

/// One line of the task list.
#[derive(Debug, Clone, Serialize)]
pub struct TaskListing {
    pub total: usize,
    pub shown: usize,
    /// `task_id | status | started_at | elapsed | cwd`, newest first.
    pub tasks: Vec<String>,
}

pub fn listing_line(meta: &TaskSummary) -> String {
    let cwd = meta.cwd.display().to_string();
    let cwd = if cwd.chars().count() > 80 {
        let tail: String = cwd
            .chars()
            .rev()
            .take(79)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    } else {
        cwd
    };
    format!(
        "{} | {} | {} | {}s | {}",
        meta.task_id,
        meta.status.as_str(),
        meta.started_at,
        meta.elapsed_seconds(now_ms()),
        cwd
    )
}
