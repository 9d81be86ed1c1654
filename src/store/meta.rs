//! `meta.json`: the one record of a task that every server process and the supervisor share.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::vocab::{CodexOptions, Usage};
pub(crate) use crate::vocab::{EndedBy, FailureKind, Sandbox, TaskStatus};

/// Why a task failed, in a form a caller can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Failure {
    pub kind: FailureKind,
    /// True when running it again (with its `session_id`) may well succeed.
    pub retryable: bool,
    /// One sentence on what to do.
    pub hint: String,
    /// What Codex said beyond the task's `error`: the end of its stderr (absent when there is
    /// nothing more).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// One attempt of a task that was retried after a retryable failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Attempt {
    /// 1 for the first run.
    pub attempt: u32,
    /// RFC 3339 UTC.
    pub ended_at: String,
    pub failure: FailureKind,
    pub error: String,
}

/// How a read-only task that ran without Codex's sandbox was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReadonlyAudit {
    /// `fallback`: Codex ran with full access and an instruction to change nothing, because
    /// CODEXMCP_READONLY_FALLBACK is on.
    pub mode: AuditMode,
    /// How many changes the audit found.
    pub violations_detected: usize,
    /// Each change: a path created, modified or deleted in the directory while the task ran
    /// (by Codex or anyone else: the comparison cannot tell), a file change Codex reported,
    /// or a command of Codex's that writes.
    pub violations: Vec<String>,
    pub verdict: Verdict,
    /// What the audit cannot see.
    #[serde(default)]
    pub not_seen: String,
}

/// How read-only was enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditMode {
    Fallback,
}

/// Whether the audit found a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Clean,
    Violation,
}

/// A request to stop a task, as its `cancel-requested` file holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    pub by: EndedBy,
    /// The client's reason, when it gave one.
    #[serde(default)]
    pub reason: Option<String>,
    /// RFC 3339 UTC.
    pub at: String,
}

/// What a finished task produced. Written once, when the task leaves `running`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    pub session_id: Option<String>,
    /// The start of Codex's answer (all of it when short; `answer.md` holds a long one).
    pub result: String,
    pub exit_code: Option<i32>,
    /// The session's token total as codex reported it at the end of the turn.
    pub usage: Usage,
    pub error: Option<String>,
    #[serde(default)]
    pub ended_by: Option<EndedBy>,
    /// The whole answer's length in characters.
    #[serde(default)]
    pub answer_chars: Option<usize>,
    /// A failed task: what kind of failure, and what to do.
    #[serde(default)]
    pub failure: Option<Failure>,
}

/// Everything known about one task, as `meta.json` holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskMeta {
    pub task_id: String,
    pub topic: String,
    pub sandbox: Sandbox,
    /// The directory the caller asked for.
    pub cwd: PathBuf,
    /// Where codex actually runs (the same as `cwd` for read-only tasks).
    pub run_dir: PathBuf,
    /// The session this task resumes, when it is a resume.
    pub resume_session_id: Option<String>,
    pub status: TaskStatus,
    pub started_at: String,
    pub started_at_ms: u64,
    pub ended_at: Option<String>,
    pub ended_at_ms: Option<u64>,
    /// The full codex command line (program first); never passed through a shell.
    pub argv: Vec<String>,
    pub supervisor_pid: Option<u32>,
    pub codex_pid: Option<u32>,
    pub log_file: PathBuf,
    /// `<cwd>/.codex-tasks/<topic>` when the link could be made.
    pub link: Option<PathBuf>,
    #[serde(default)]
    pub warnings: Vec<String>,
    pub outcome: Option<Outcome>,
    /// Full-access tasks: the isolated worktree they run in.
    #[serde(default)]
    pub worktree: Option<WorktreeRecord>,
    /// Full-access tasks: the tmux session (`codex-<topic>`) their supervisor runs in.
    #[serde(default)]
    pub tmux_session: Option<String>,
    /// How codex runs: the options the call gave, else those of the session's previous task,
    /// else the configured defaults.
    #[serde(default)]
    pub options: CodexOptions,
    /// The time limit in seconds, counted from when codex starts.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// A resume: the session's token total before this task, when the store knows it.
    #[serde(default)]
    pub usage_before: Option<Usage>,
    /// How many times a retryable failure is retried (resuming the session).
    #[serde(default)]
    pub retries: u32,
    /// The attempts that failed and were retried, oldest first.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// A read-only task run with full access and audited (CODEXMCP_READONLY_FALLBACK).
    #[serde(default)]
    pub readonly_fallback: bool,
    /// Its audit, taken when it ended.
    #[serde(default)]
    pub readonly_audit: Option<ReadonlyAudit>,
    /// Set once a finished task's records are complete (its branch summary taken, its
    /// session and handed-over environment gone), so that is done once.
    #[serde(default)]
    pub settled: bool,
    /// Full-access: what the task changed on its branch, taken when it ended.
    #[serde(default)]
    pub branch_summary: Option<BranchSummary>,
    /// Where the task stands in a chain of delegation, and the limits the chain shares.
    #[serde(default)]
    pub lineage: Option<Lineage>,
    /// Full-access: paths of the person's own checkout (the repository's main worktree) that
    /// changed while the task ran, taken when it ended.
    #[serde(default)]
    pub checkout_changes: Option<Vec<String>>,
}

/// What is taken of a task once Codex has ended, before (or, when the supervisor could not,
/// after) its end is recorded.
#[derive(Debug, Clone, Default)]
pub struct EndFindings {
    pub branch_summary: Option<BranchSummary>,
    pub checkout_changes: Option<Vec<String>>,
    pub warnings: Vec<String>,
}

impl EndFindings {
    /// Writes the findings into the record (those it does not hold yet).
    pub fn apply(self, meta: &mut TaskMeta) {
        if meta.branch_summary.is_none() {
            meta.branch_summary = self.branch_summary;
        }
        if meta.checkout_changes.is_none() {
            meta.checkout_changes = self.checkout_changes;
            meta.warnings.extend(self.warnings);
        }
    }
}

/// A task's place in a chain of delegation. Codex starts its own MCP servers with a scrubbed
/// environment, so a codex-mcp server that Codex starts inside a task cannot learn its depth,
/// its store or its limits from variables: it finds the task among its ancestor processes and
/// reads them here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    /// How deep the task's Codex runs (1: started by a server that no task started).
    pub depth: u32,
    /// `CODEXMCP_MAX_DEPTH` of the server at the top of the chain.
    pub max_depth: u32,
    /// `CODEXMCP_MAX_PARALLEL` of that server: every task of the chain shares it.
    pub max_parallel: usize,
}

/// What a full-access task changed on its branch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BranchSummary {
    pub commits_ahead: usize,
    pub diff_stat: String,
    pub uncommitted_changes: usize,
}

/// The git worktree of a full-access task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorktreeRecord {
    pub repo_root: PathBuf,
    pub dir: PathBuf,
    pub branch: String,
    pub base_branch: String,
}

impl TaskMeta {
    /// Records the end of a task, unless it already ended (the first writer wins: a cancel and
    /// the supervisor may race). Returns whether this call ended it.
    pub fn finish(&mut self, status: TaskStatus, outcome: Outcome) -> bool {
        if self.status.is_final() {
            return false;
        }
        let now = super::now_ms();
        self.status = status;
        self.outcome = Some(outcome);
        self.ended_at_ms = Some(now);
        self.ended_at = Some(super::rfc3339(now));
        true
    }

    pub fn elapsed_seconds(&self, now_ms: u64) -> f64 {
        elapsed_seconds(self.started_at_ms, self.ended_at_ms, now_ms)
    }
}

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
}

/// The small fields of [`Outcome`] (its `result` is skipped unread).
#[derive(Debug, Clone, Deserialize)]
pub struct OutcomeSummary {
    pub session_id: Option<String>,
    pub usage: Usage,
}

impl TaskSummary {
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
        let total = self.outcome.as_ref().map(|o| o.usage).unwrap_or_default();
        own_usage(total, self.resume_session_id.is_some(), self.usage_before)
    }
}

/// The tokens a task used itself: the session's total after it minus the total before it.
pub fn own_usage(total: Usage, resumed: bool, before: Option<Usage>) -> (Usage, bool) {
    match (resumed, before) {
        (false, _) => (total, false),
        (true, Some(b)) => (total.minus(&b), false),
        (true, None) => (total, true),
    }
}

/// Seconds from start to end (or to now while running), to one decimal.
fn elapsed_seconds(started_ms: u64, ended_ms: Option<u64>, now_ms: u64) -> f64 {
    let ms = ended_ms.unwrap_or(now_ms).saturating_sub(started_ms);
    (ms as f64 / 100.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_enum_has_one_name_and_serde_agrees() {
        for e in [
            EndedBy::Codex,
            EndedBy::CancelTool,
            EndedBy::ClientCancel,
            EndedBy::TaskCancel,
            EndedBy::Attach,
            EndedBy::SessionClosed,
            EndedBy::Cli,
            EndedBy::Timeout,
            EndedBy::Crash,
            EndedBy::RecoveredAtStart,
        ] {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
        for k in [
            FailureKind::Authentication,
            FailureKind::RateLimit,
            FailureKind::ServerError,
            FailureKind::ModelNotFound,
            FailureKind::ModelUnavailable,
            FailureKind::SessionNotFound,
            FailureKind::Network,
            FailureKind::BadRequest,
            FailureKind::Sandbox,
            FailureKind::Timeout,
            FailureKind::ProcessCrash,
            FailureKind::Interrupted,
            FailureKind::DiskFull,
            FailureKind::Unknown,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for s in [Sandbox::ReadOnly, Sandbox::FullAccess] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            let parsed = <Sandbox as clap::ValueEnum>::from_str(s.as_str(), false).unwrap();
            assert_eq!(parsed, s);
        }
    }
}
