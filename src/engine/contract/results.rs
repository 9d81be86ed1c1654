//! What the tools return about a task: `codex` and `codex_status` with a `task_id` return a
//! [`TaskView`], `codex_dispatch` a [`DispatchView`], `codex_cancel` a [`CancelView`].

use schemars::JsonSchema;
use serde::Serialize;

use crate::codex::{Phase, Usage};
use crate::engine::answer::Answer;
use crate::store::{Approval, InputRequest, Steer};
use crate::store::{Attempt, EndedBy, Failure, Landed, ReadonlyAudit, Sandbox, TaskStatus};
use crate::vocab::{Decision, Review};

/// One task: the result of `codex`, and of `codex_status` with a `task_id`. Finished tasks
/// carry the result fields; running ones carry `progress`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskView {
    /// True when the task completed.
    pub success: bool,
    /// `queued` (waiting for a place), `running`, `input_required` (Codex waits for answers
    /// to `input_requests`), or how it ended.
    pub status: TaskStatus,
    /// A queued task: its place in the queue (1 runs next).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<usize>,
    /// `codex-<topic>`, or `codex-<topic>-r<N>` when the topic ran before.
    pub task_id: String,
    pub topic: String,
    pub sandbox: Sandbox,
    /// The directory the task was started for (resolved; on `host`, a path there).
    pub cwd: String,
    /// The host Codex runs on (absent: this machine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
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
    /// This task's own tokens (known once its turn ends).
    pub usage: Usage,
    /// The session's running total, earlier turns included.
    pub session_usage: Usage,
    /// True when `usage` is the session's running total (its earlier total is unknown).
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
    /// A failed task: its `kind`, whether it is `retryable`, a `hint` on what to do, and
    /// `detail` (what Codex said beyond `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// A read-only task that ran without Codex's sandbox (CODEXMCP_READONLY_FALLBACK): what
    /// the audit found once it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readonly_audit: Option<ReadonlyAudit>,
    /// The attempts that failed and were retried (`retries`), oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
    /// The oldest of `input_requests`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_request: Option<InputRequest>,
    /// While `input_required`: every question Codex waits on, oldest first. Answer each with
    /// codex_reply {task_id, decision, request_id: its `id`}.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_requests: Vec<InputRequest>,
    /// The questions answered (each with its `request_id`, who answered and when), oldest first;
    /// the newest when the list is long.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// How many older approvals were left out (budget).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approvals_left_out: Option<usize>,
    /// The prompts steered into the task, oldest first; the newest when the list is long.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steers: Vec<Steer>,
    /// How many older steers were left out (budget).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steers_left_out: Option<usize>,
    /// Who or what ended the task (`codex`: it finished by itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<EndedBy>,
    /// Things the caller should know, e.g. processes that had to be stopped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Live progress of a running task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<ProgressView>,
    /// A review task (codex_review), once ended: `verdict`, `explanation`, `findings`, as
    /// codex_review returns them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub review: Option<Review>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<IsolationView>,
    // Last, so that a client showing only the start of a long result (Claude Code shows its
    // model a 2 KB preview of results over about 50,000 characters) still shows every other
    // field, `next_offset` among them.
    /// Codex's final answer; a long one is cut with a note, `result_total_chars` and
    /// `next_offset` (read on with codex_status `result_offset`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Where the whole answer is, for cutting and paging it.
    #[serde(skip)]
    #[schemars(skip)]
    pub(in crate::engine) answer: Option<Answer>,
    /// A review task: what it reviews, in words (its result is a codex_review result).
    #[serde(skip)]
    #[schemars(skip)]
    pub reviewed: Option<String>,
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
    #[serde(rename = "tmux_session", skip_serializing_if = "Option::is_none")]
    pub watched_in: Option<String>,
    /// Full-access, while the task runs: the command a person runs to watch it live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach_command: Option<String>,
    /// Full-access, finished: commits on the agent branch not on the base branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits_ahead: Option<usize>,
    /// Full-access, finished: `git diff --stat` of the worktree (committed and not) against the
    /// base branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_stat: Option<String>,
    /// Full-access, finished: paths changed in the worktree but not committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncommitted_changes: Option<usize>,
    /// Full-access, finished: paths of the person's own checkout that changed while the task
    /// ran (by it or by the person; `HEAD` when it moved).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout_changes: Option<Vec<String>>,
    /// Full-access, finished with work not yet landed: what to do with it (codex_review, then
    /// codex_land).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_steps: Option<String>,
    /// Full-access, landed (codex_land): `how`, `into`, the `commits` it added, the new `head`,
    /// `at`, and whether the worktree was `kept`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub landed: Option<Landed>,
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
    /// Seconds since Codex's last event (growing in one `phase`: maybe stuck).
    pub idle_seconds: f64,
    /// The latest problem Codex reported (e.g. "Reconnecting... 3/5"); not an end by itself.
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

/// The result of `codex_cancel`: the task as it stands after the cancel — every field of the
/// codex tool's result, with `cancelled` and `note`. Its schema names the fields a caller of
/// codex_cancel acts on and allows the rest, so tools/list does not repeat the task's whole
/// schema a third time.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = only_cancel_fields)]
pub struct CancelView {
    #[serde(flatten)]
    pub task: TaskView,
    /// False when the task had already finished and nothing was changed.
    pub cancelled: bool,
    /// Why nothing was changed, when `cancelled` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How a reply reached its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Delivered {
    /// Into the running turn (Codex accepted it).
    Steer,
    /// Added to the prompt a queued task starts with.
    Queued,
    /// The answer to the task's question, handed to Codex.
    Answer,
    /// A new task continues the ended task's session.
    FollowUp,
}

/// What `codex_reply` returns.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReplyView {
    /// `steer`, `queued`, `answer` or `follow_up`.
    pub delivered: Delivered,
    /// The task that carries the reply: the same task, or (a follow-up) the new one.
    pub task_id: String,
    /// That task's status now.
    pub status: TaskStatus,
    /// The Codex session, when known.
    pub session_id: Option<String>,
    /// The question answered, for `answer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<u64>,
    /// The answer given, for `answer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// What happens next.
    pub next: String,
}

impl ReplyView {
    /// The reply that started `task`, a follow-up in `session`; `turn_had_ended` when the
    /// prompt was sent to steer a turn that ended before it arrived.
    pub fn follow_up(
        task: &DispatchView,
        session: Option<String>,
        turn_had_ended: bool,
    ) -> ReplyView {
        let next = match turn_had_ended {
            true => {
                "the task's turn had ended before the prompt reached it, so it was sent as a                  follow-up: a new task continues the session; follow it with codex_status"
            }
            false => "a new task continues the session; follow it with codex_status",
        };
        ReplyView {
            delivered: Delivered::FollowUp,
            task_id: task.task_id.clone(),
            status: task.status,
            session_id: session,
            request_id: None,
            decision: None,
            next: next.into(),
        }
    }
}

/// The fields codex_cancel's schema spells out; the task's other fields are allowed as they are.
const CANCEL_FIELDS: [&str; 7] = [
    "cancelled",
    "note",
    "success",
    "status",
    "task_id",
    "error",
    "ended_by",
];

fn only_cancel_fields(schema: &mut schemars::Schema) {
    if let Some(serde_json::Value::Object(props)) = schema.get_mut("properties") {
        props.retain(|k, _| CANCEL_FIELDS.contains(&k.as_str()));
    }
    if let Some(serde_json::Value::Array(required)) = schema.get_mut("required") {
        required.retain(|k| k.as_str().is_some_and(|k| CANCEL_FIELDS.contains(&k)));
    }
    schema.insert(
        "description".into(),
        "The task after the cancel: every field of the codex tool's result, and `cancelled`."
            .into(),
    );
    schema.insert("additionalProperties".into(), true.into());
}
