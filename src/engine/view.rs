//! What the tools report about a task: built from `meta.json` and, while it runs,
//! `progress.json`. Both are small files, whatever the size of the log.

use serde::Serialize;

use crate::codex::{Progress, Usage};
use crate::store::{TaskFiles, TaskMeta, TaskStatus, now_ms, read_json};

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

pub fn listing_line(meta: &TaskMeta) -> String {
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
