//! The few fields of `meta.json` that listings and scans read, without the large ones.

use std::path::PathBuf;

use serde::Deserialize;

use super::conversation::InputRequest;
use super::meta::{WorktreeRecord, elapsed_seconds, own_usage, session_total};
use crate::vocab::{CodexEngine, CodexOptions, Launch, Sandbox, TaskStatus, Usage};

/// The few fields of `meta.json` that listings and scans need. Reading into it skips the
/// large ones (the answer can be 40,000 characters) without allocating them.
#[derive(Debug, Clone, Deserialize)]
pub struct TaskSummary {
    pub task_id: String,
    pub topic: String,
    pub sandbox: Sandbox,
    pub status: TaskStatus,
    pub cwd: PathBuf,
    pub started_at: String,
    pub started_at_ms: u64,
    pub ended_at_ms: Option<u64>,
    #[serde(default)]
    pub worktree: Option<WorktreeRecord>,
    pub resume_session_id: Option<String>,
    #[serde(default)]
    pub options: CodexOptions,
    #[serde(default)]
    pub usage_before: Option<Usage>,
    pub outcome: Option<OutcomeSummary>,
    #[serde(default)]
    pub engine: CodexEngine,
    /// Where its supervisor was launched (and, for a host's task, which host).
    #[serde(
        default,
        alias = "tmux_session",
        deserialize_with = "super::meta::launch_or_session"
    )]
    pub launched: Launch,
    /// The oldest question the task waits on (records older than several questions).
    #[serde(default)]
    input_request: Option<InputRequest>,
    /// The questions the task waits on, oldest first.
    #[serde(default)]
    input_requests: Vec<InputRequest>,
}

/// The small fields of [`Outcome`] (its `result` is skipped unread).
#[derive(Debug, Clone, Deserialize)]
pub struct OutcomeSummary {
    pub session_id: Option<String>,
    pub usage: Usage,
}

impl TaskSummary {
    /// The questions the task waits on, oldest first.
    pub fn open_questions(&self) -> Vec<InputRequest> {
        match (self.input_requests.is_empty(), &self.input_request) {
            (true, Some(one)) => vec![one.clone()],
            _ => self.input_requests.clone(),
        }
    }

    pub fn elapsed_seconds(&self, now_ms: u64) -> f64 {
        elapsed_seconds(self.started_at_ms, self.ended_at_ms, now_ms)
    }

    /// The Codex session this task ran in, when known.
    pub fn session_id(&self) -> Option<&str> {
        self.outcome
            .as_ref()
            .and_then(|o| o.session_id.as_deref())
            .or(self.resume_session_id.as_deref())
    }

    /// This task's own tokens, and whether that is really the session's running total (a
    /// resume whose earlier total the store does not know).
    pub fn own_usage(&self) -> (Usage, bool) {
        let recorded = self.outcome.as_ref().map(|o| o.usage).unwrap_or_default();
        let resumed = self.resume_session_id.is_some();
        own_usage(recorded, resumed, self.usage_before, self.engine)
    }

    /// The session's token total after this task, when it is known.
    pub fn session_total(&self) -> Option<Usage> {
        let recorded = self.outcome.as_ref().map(|o| o.usage)?;
        Some(session_total(recorded, self.usage_before, self.engine))
    }
}
