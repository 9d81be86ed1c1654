//! What the tools report about a task: built from `meta.json` and, while it runs,
//! `progress.json`. Both are small files, whatever the size of the log. These types are the
//! tools' results; their JSON schemas are the tools' output schemas.

use schemars::JsonSchema;
use serde::Serialize;

use super::answer::Answer;
use crate::codex::{Phase, Progress, Usage};
use crate::runner::{Launch, attach_command};
use crate::store::{
    Attempt, EndedBy, Failure, ReadonlyAudit, Sandbox, TaskFiles, TaskMeta, TaskStatus, now_ms,
    own_usage, read_json,
};

/// One task: the result of `codex`, and of `codex_status` with a `task_id`. Finished tasks
/// carry the result fields; running ones carry `progress`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskView {
    /// True when the task completed.
    pub success: bool,
    /// `queued` (waiting for one of CODEXMCP_MAX_PARALLEL places), `running`, `completed`,
    /// `failed` or `cancelled`.
    pub status: TaskStatus,
    /// A queued task: its place in the queue (1 runs next).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<usize>,
    /// `codex-<topic>`, or `codex-<topic>-r<N>` when the topic ran before.
    pub task_id: String,
    pub topic: String,
    pub sandbox: Sandbox,
    /// The directory the task was started for (resolved).
    pub cwd: String,
    /// The Codex session; pass it back as `session_id` to continue this conversation.
    pub session_id: Option<String>,
    /// The whole answer's length in characters, when `result` holds only part of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_total_chars: Option<usize>,
    /// Where the rest of the answer starts: pass it as `result_offset` to codex_status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
    /// Codex's exit code; null when it was killed by a signal or is unknown.
    pub exit_code: Option<i32>,
    /// Wall time from start to end (to now while running).
    pub elapsed_seconds: f64,
    /// This task's own tokens (known once its turn ends). For a resumed session: the
    /// session's total after this task minus its total before.
    pub usage: Usage,
    /// The session's running total, earlier turns included.
    pub session_usage: Usage,
    /// True when `usage` is really the session's running total: a resumed session whose
    /// earlier total the store does not know.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub usage_is_cumulative: bool,
    /// The model Codex was told to use (`-m`); absent: Codex's configured default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The reasoning effort Codex was given; absent: Codex's configured default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// The Codex profile used (`-p`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The task's time limit in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// The raw `codex exec --json` log.
    pub log_file: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// RFC 3339 UTC, once finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// What went wrong, when the task did not complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A failed task: `kind` (authentication, rate_limit, server_error, model_not_found,
    /// model_unavailable, session_not_found, network, bad_request, sandbox, timeout,
    /// process_crash, interrupted, disk_full, unknown),
    /// `retryable`, a `hint` on what to do, and `detail` (what Codex said beyond `error`: the
    /// end of its stderr).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// A read-only task that ran without Codex's sandbox (CODEXMCP_READONLY_FALLBACK): what
    /// the audit found once it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readonly_audit: Option<ReadonlyAudit>,
    /// The attempts that failed and were retried (`retries`), oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
    /// Who or what ended the task: `codex` (it finished), `cancel_tool`, `client_cancel`,
    /// `task_cancel`, `attach` (Ctrl-C in its tmux pane), `session_closed`, `cli`, `timeout`,
    /// `crash`, or `recovered_at_start`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<EndedBy>,
    /// Things the caller should know, e.g. processes that had to be stopped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Live progress of a running task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<ProgressView>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<IsolationView>,
    // Last, so that a client showing only the start of a long result (Claude Code shows its
    // model a 2 KB preview of results over about 50,000 characters) still shows every other
    // field, `next_offset` among them.
    /// Codex's final answer. One that does not fit the result's size budget
    /// (CODEXMCP_MAX_RESULT_CHARS) is cut, ends with a note, and comes with
    /// `result_total_chars` and `next_offset`: call codex_status with `result_offset` for more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Where the whole answer is, for cutting and paging it.
    #[serde(skip)]
    #[schemars(skip)]
    pub(super) answer: Option<Answer>,
}

/// Where a full-access task works and, once it is finished, what it changed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IsolationView {
    /// Full-access: the git worktree Codex works in.
    pub worktree_dir: String,
    /// Full-access: the branch of that worktree (`agent/<type>-<desc>`).
    pub agent_branch: String,
    /// Full-access: the branch the worktree started from.
    pub base_branch: String,
    /// Full-access, while the task runs: the tmux session it runs in (closed when it ends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmux_session: Option<String>,
    /// Full-access, while the task runs: the command a person runs to watch it live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach_command: Option<String>,
    /// Full-access, finished: commits on the agent branch not on the base branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits_ahead: Option<usize>,
    /// Full-access, finished: `git diff --stat` of the worktree (committed and uncommitted)
    /// against the merge-base with the base branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_stat: Option<String>,
    /// Full-access, finished: paths changed in the worktree but not committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncommitted_changes: Option<usize>,
    /// Full-access, finished: paths of the person's own checkout (the repository's main
    /// worktree, tracked and untracked files; `HEAD` when it moved) that changed while the
    /// task ran, by the task or by the person meanwhile. Empty when none did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout_changes: Option<Vec<String>>,
}

/// What a running task is doing.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProgressView {
    pub phase: Phase,
    /// Shell commands Codex finished.
    pub commands_run: u64,
    /// Distinct files in Codex's file changes.
    pub files_changed: u64,
    /// The latest agent message, shortened.
    pub last_message: Option<String>,
    /// The latest command, shortened.
    pub last_command: Option<String>,
    /// Seconds since Codex's last event: a task that keeps growing this while `phase` stays
    /// the same may be stuck rather than thinking.
    pub idle_seconds: f64,
    /// The latest problem Codex reported (e.g. "Reconnecting... 3/5 (stream disconnected…)"
    /// while it cannot reach its model); it does not end the task by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// How long ago `last_error` was reported, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error_seconds_ago: Option<f64>,
    /// True when the latest event is that error: Codex is retrying, not working.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub retrying: bool,
    /// When the command now running started (epoch ms), for progress lines.
    #[serde(skip)]
    #[schemars(skip)]
    pub command_started_at_ms: Option<u64>,
}

impl TaskView {
    /// The view of the task recorded in `meta`.
    /// The view of the task recorded in `meta`. A finished task's `result` is filled in by
    /// [`TaskView::fit`], which keeps it within the result's size budget.
    pub fn build(files: &TaskFiles, meta: &TaskMeta) -> TaskView {
        let now = now_ms();
        let mut view = TaskView {
            success: meta.status() == TaskStatus::Completed,
            status: meta.status(),
            queue_position: None,
            task_id: meta.task_id.clone(),
            topic: meta.topic.clone(),
            sandbox: meta.sandbox,
            cwd: meta.placement().cwd.display().to_string(),
            session_id: meta.resume_session_id.clone(),
            result: None,
            result_total_chars: None,
            next_offset: None,
            exit_code: None,
            elapsed_seconds: meta.elapsed_seconds(now),
            usage: Usage::default(),
            session_usage: Usage::default(),
            usage_is_cumulative: false,
            model: meta.launch().options.model.clone(),
            reasoning_effort: meta.launch().options.reasoning_effort.clone(),
            profile: meta.launch().options.profile.clone(),
            timeout_seconds: meta.launch().timeout_seconds,
            log_file: meta.log_file.display().to_string(),
            started_at: meta.started_at.clone(),
            ended_at: meta.end().ended_at.clone(),
            error: None,
            failure: None,
            readonly_audit: meta.end().readonly_audit.clone(),
            attempts: meta.end().attempts.clone(),
            ended_by: None,
            warnings: meta.warnings().to_vec(),
            progress: None,
            isolation: IsolationView::of(meta),
            answer: None,
        };
        let total = match (meta.outcome(), meta.status().is_final()) {
            (Some(o), true) => {
                view.session_id = o.session_id.clone().or(view.session_id);
                view.answer = Some(Answer::of(files, o));
                view.exit_code = o.exit_code;
                view.error = o.error.clone();
                view.failure = o.failure.clone().map(|f| without_error(f, &o.error));
                // An attempt that failed the same way as the task says so, not the words again.
                for a in &mut view.attempts {
                    if o.error.as_deref() == Some(a.error.as_str()) {
                        a.error = "as `error`".into();
                    }
                }
                view.ended_by = o.ended_by;
                o.usage
            }
            _ => view.add_progress(files, meta, now),
        };
        view.set_usage(meta, total);
        if meta.status().is_final() {
            view.add_git_summary(meta);
        }
        view
    }

    fn set_usage(&mut self, meta: &TaskMeta, session_total: Usage) {
        let resumed = meta.resume_session_id.is_some();
        let (own, cumulative) = own_usage(session_total, resumed, meta.usage_before);
        self.usage = own;
        self.usage_is_cumulative = cumulative;
        // Codex reports usage when a turn ends; until then the session stands where it was.
        self.session_usage = match meta.usage_before {
            Some(before) if session_total.is_zero() => before,
            _ => session_total,
        };
    }

    /// Returns the session's token total so far.
    fn add_progress(&mut self, files: &TaskFiles, meta: &TaskMeta, now: u64) -> Usage {
        let p: Progress = read_json(&files.progress())
            .ok()
            .flatten()
            .unwrap_or_default();
        self.session_id = p.session_id.clone().or(self.session_id.take());
        let last = p.last_event_at_ms.unwrap_or(meta.started_at_ms);
        self.progress = Some(ProgressView {
            phase: p.phase,
            commands_run: p.commands_run,
            files_changed: p.files_changed,
            last_message: p.last_message,
            last_command: p.last_command,
            idle_seconds: seconds(now.saturating_sub(last)),
            last_error_seconds_ago: p
                .last_error
                .as_ref()
                .and(p.last_error_at_ms)
                .map(|at| seconds(now.saturating_sub(at))),
            retrying: p.last_error_at_ms.is_some() && p.last_error_at_ms >= p.last_event_at_ms,
            last_error: p.last_error,
            command_started_at_ms: p.command_started_at_ms,
        });
        p.usage
    }

    /// What the task changed on its branch, as taken when it ended.
    fn add_git_summary(&mut self, meta: &TaskMeta) {
        if let (Some(iso), Some(g)) = (self.isolation.as_mut(), &meta.end().branch_summary) {
            iso.commits_ahead = Some(g.commits_ahead);
            iso.diff_stat = Some(g.diff_stat.clone());
            iso.uncommitted_changes = Some(g.uncommitted_changes);
        }
        if let Some(iso) = self.isolation.as_mut() {
            iso.checkout_changes = meta.end().checkout_changes.clone();
        }
    }
}

/// Milliseconds as seconds, to one decimal.
fn seconds(ms: u64) -> f64 {
    (ms as f64 / 100.0).round() / 10.0
}

impl IsolationView {
    /// The worktree and session of a full-access task; `None` for a read-only one.
    fn of(meta: &TaskMeta) -> Option<IsolationView> {
        let wt = meta.placement().worktree.as_ref()?;
        // Recorded with every full-access task; named by the same rule if not.
        let session = meta
            .launch()
            .tmux_session
            .clone()
            .or_else(|| Launch::for_task(meta.sandbox, &meta.topic).recorded_session())
            .unwrap_or_default();
        let live = !meta.status().is_final();
        Some(IsolationView {
            worktree_dir: wt.dir.display().to_string(),
            agent_branch: wt.branch.clone(),
            base_branch: wt.base_branch.clone(),
            // The session closes when the task ends: a finished task has none to offer.
            attach_command: live.then(|| attach_command(&session)),
            tmux_session: live.then_some(session),
            commits_ahead: None,
            diff_stat: None,
            uncommitted_changes: None,
            checkout_changes: None,
        })
    }
}

/// The result of `codex_dispatch`: the task that was started.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DispatchView {
    /// Use it with codex_status and codex_cancel.
    pub task_id: String,
    /// `running`, or `queued` when CODEXMCP_MAX_PARALLEL tasks already run.
    pub status: TaskStatus,
    pub topic: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// The raw log being written.
    pub log_file: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<IsolationView>,
    /// Things the caller should know, e.g. the checkout has uncommitted changes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl DispatchView {
    pub fn of(meta: &TaskMeta) -> DispatchView {
        DispatchView {
            task_id: meta.task_id.clone(),
            status: meta.status(),
            topic: meta.topic.clone(),
            started_at: meta.started_at.clone(),
            log_file: meta.log_file.display().to_string(),
            isolation: IsolationView::of(meta),
            warnings: meta.warnings().to_vec(),
        }
    }
}

/// The result of `codex_cancel`: the task as it stands after the cancel.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CancelView {
    #[serde(flatten)]
    pub task: TaskView,
    /// False when the task had already finished and nothing was changed.
    pub cancelled: bool,
    /// Why nothing was changed, when `cancelled` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A failure whose `detail` does not repeat the task's `error`: Codex's message is said once,
/// and the detail keeps what it adds (the end of Codex's stderr).
fn without_error(mut failure: Failure, error: &Option<String>) -> Failure {
    if let Some(error) = error.as_deref().map(str::trim).filter(|e| !e.is_empty())
        && let Some(rest) = failure.detail.trim_start().strip_prefix(error)
    {
        failure.detail = rest.trim_start().to_string();
    }
    failure
}
