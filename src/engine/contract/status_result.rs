//! What `codex_status` returns besides one task: several ([`TaskBatch`]) or the list
//! ([`TaskList`]), and the union of the three ([`StatusResult`]).

use schemars::JsonSchema;
use serde::Serialize;

use super::TaskView;
use crate::codex::Usage;
use crate::store::{InputRequest, Sandbox, TaskStatus};

/// The tasks asked for, in the order asked.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskBatch {
    /// One entry per id asked for: the task (as codex_status reports one), or `not_found`.
    pub tasks: Vec<BatchEntry>,
    /// How many of them have ended.
    pub ended: usize,
    /// How many are still running.
    pub running: usize,
    /// Present when whole views did not fit the result's size budget: some entries are cut to
    /// their status, and this says how to read them whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One entry of a batch.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum BatchEntry {
    Task(Box<TaskView>),
    Brief(BriefTask),
    Missing(MissingTask),
}

/// A task cut to its status, when the whole views of the tasks asked for do not fit the
/// result's size budget together.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BriefTask {
    pub task_id: String,
    pub status: TaskStatus,
    pub success: bool,
    /// The start of what went wrong, for a task that did not complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An id that names no task.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MissingTask {
    pub task_id: String,
    pub status: NotFound,
    /// Why, and what to do.
    pub error: String,
}

/// The status of an id that names no task.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotFound {
    NotFound,
}

/// The newest tasks of the store.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskList {
    /// How many tasks the store holds.
    pub total: usize,
    /// How many are listed here (at most the `limit` asked for).
    pub shown: usize,
    /// Newest first.
    pub tasks: Vec<TaskListEntry>,
    /// The tokens of the tasks listed here, added up (each task's own, not its session's).
    pub total_usage: Usage,
    /// Present when fewer than `limit` tasks were listed to keep the answer small.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One task of the list. `codex_status` with its `task_id` tells the rest.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskListEntry {
    pub task_id: String,
    pub status: TaskStatus,
    pub topic: String,
    pub sandbox: Sandbox,
    pub cwd: String,
    /// The host Codex runs on (absent: this machine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// Wall time from start to end (to now while running).
    pub elapsed_seconds: f64,
    /// The task's own tokens, input plus output (known once its turn ended).
    pub tokens: u64,
    /// An `input_required` task: the oldest question it waits on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_request: Option<InputRequest>,
    /// An `input_required` task: every question it waits on, oldest first (answer each with
    /// codex_reply and its `id` as `request_id`). Long texts are cut to fit the list.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_requests: Vec<InputRequest>,
}

/// What `codex_status` returns: one task (`task_id`), several (`task_ids`), or the list.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum StatusResult {
    Task(Box<TaskView>),
    Batch(TaskBatch),
    List(TaskList),
}
