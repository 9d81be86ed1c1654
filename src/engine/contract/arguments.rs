//! What the tools accept: `codex` and `codex_dispatch` take a [`TaskRequest`] (shared with the
//! command line's `run`), `codex_status` [`StatusArgs`], `codex_cancel` [`CancelArgs`].

use schemars::JsonSchema;
use serde::Deserialize;

use crate::codex::{MODEL_PATTERN, NAME_MAX, PROFILE_PATTERN};
use crate::config::hosts::{HOST_NAME_MAX, HOST_NAME_PATTERN};
use crate::store::{Sandbox, TASK_ID_MAX_LEN, TASK_ID_PATTERN};
use crate::vocab::EFFORT_MAX;
use crate::vocab::{ApprovalPolicy, Decision, LandHow};

/// The longest topic.
pub const TOPIC_MAX: usize = 80;
/// The largest prompt, in bytes.
pub const PROMPT_MAX_BYTES: usize = 1024 * 1024;

/// The most retries a task may ask for.
pub const MAX_RETRIES: u32 = 3;

/// The longest time limit a task may set: one day.
pub const MAX_TIMEOUT_SECONDS: u64 = 86_400;

/// An effort's name, as the schema says it: a lowercase word.
pub const EFFORT_PATTERN: &str = "^[a-z]+$";

/// The JSON-schema form of the topic rule, shown to calling models.
pub const TOPIC_PATTERN: &str = "^[a-z]+-[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*-v[0-9]{1,6}$";

/// The arguments of `codex` and `codex_dispatch`: one task, as the caller sent it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskRequest {
    /// The complete task for Codex, in plain language: what to do, where, and what to report
    /// back. Codex sees only this text and the files in `cwd`.
    #[schemars(length(min = 1))]
    pub prompt: String,
    /// Absolute path of an existing directory Codex works in, normally the project root (e.g.
    /// /home/me/project).
    pub cwd: String,
    /// The task's name, `<type>-<desc>-v<N>`: type in lowercase letters (review, implement,
    /// fix…), desc in letters, digits, `_` (parts joined by `-`), N a version. Example:
    /// `review-auth_module-v1`.
    #[schemars(pattern(TOPIC_PATTERN), length(max = TOPIC_MAX))]
    pub topic: String,
    /// `read-only`: Codex reads and runs commands, every write refused (reviews, questions).
    /// `full-access`: Codex works in its own git worktree on branch `agent/<type>-<desc>` (cwd
    /// must be in a git repository with a commit, on a branch); codex-mcp never writes to your
    /// checkout, and a change Codex makes there is reported (`checkout_changes`).
    pub sandbox: Sandbox,
    /// Optional. An earlier result's `session_id` (a UUID), to continue that conversation.
    #[serde(default)]
    #[schemars(extend("format" = "uuid"))]
    pub session_id: Option<String>,
    /// Optional. The longest this task may run, in seconds; then it is stopped and fails as
    /// "timed out" (default: the server's CODEXMCP_TASK_TIMEOUT, else none).
    #[serde(default)]
    #[schemars(range(min = 1, max = MAX_TIMEOUT_SECONDS))]
    pub timeout_seconds: Option<u64>,
    /// Optional. The model (`codex -m`), one of Codex's catalog (a provider of your own: any
    /// name). A follow-up keeps its session's unless it names another.
    #[serde(default)]
    #[schemars(pattern(MODEL_PATTERN), length(max = NAME_MAX))]
    pub model: Option<String>,
    /// Optional. How hard the model reasons: `low`, `medium`, `high`, `xhigh`, and on most
    /// models `max`, `ultra` (Codex's catalog decides). Kept by a follow-up.
    #[serde(default)]
    #[schemars(pattern(EFFORT_PATTERN), length(max = EFFORT_MAX))]
    pub reasoning_effort: Option<String>,
    /// Optional. A Codex profile (`$CODEX_HOME/<name>.config.toml`). Kept by a follow-up.
    #[serde(default)]
    #[schemars(pattern(PROFILE_PATTERN), length(max = NAME_MAX))]
    pub profile: Option<String>,
    /// Optional (default 0). How many times a failure that may pass (a rate limit, the network,
    /// a crash) is retried by resuming the session; each attempt is listed in the result.
    #[serde(default)]
    #[schemars(range(max = MAX_RETRIES))]
    pub retries: Option<u32>,
    /// Optional. When Codex asks before it acts: `never` (default; what its sandbox refuses
    /// fails), `on-request` (it may ask to go outside its sandbox), `untrusted` (it asks before
    /// commands it does not trust). While it asks, the task is `input_required`: answer each of
    /// its `input_requests` with codex_reply (`decision`, `request_id`); unanswered in 15
    /// minutes, declined. An accepted request runs outside Codex's sandbox.
    #[serde(default)]
    pub approval_policy: Option<ApprovalPolicy>,
    /// Optional. A host of the server's hosts.toml to run on (`cwd` is a path there), or `any`.
    #[serde(default)]
    #[schemars(pattern(HOST_NAME_PATTERN), length(max = HOST_NAME_MAX))]
    pub host: Option<String>,
}

/// How many tasks the list shows when `limit` is not given.
pub const DEFAULT_LIST_LIMIT: u32 = 20;

/// The longest a `codex_status` call waits.
pub const MAX_WAIT_SECONDS: u64 = 600;

/// The most tasks one `codex_status` call reports by id.
pub const MAX_TASK_IDS: usize = 20;

/// The arguments of `codex_status`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusArgs {
    /// One task: a `task_id` from codex or codex_dispatch. Omit it (and `task_ids`) to list
    /// tasks.
    #[schemars(pattern(TASK_ID_PATTERN), length(max = TASK_ID_MAX_LEN))]
    pub task_id: Option<String>,
    /// Several tasks in one call (1 to 20 ids): each is reported, in this order; an id that is
    /// no task is reported as `not_found` without failing the call.
    #[schemars(
        length(min = 1, max = MAX_TASK_IDS),
        inner(pattern(TASK_ID_PATTERN), length(max = TASK_ID_MAX_LEN))
    )]
    pub task_ids: Option<Vec<String>>,
    /// Seconds to wait for the task (or tasks) to end before answering, 0 to 600 (default 0:
    /// answer at once). The call returns as soon as they have ended, or when the time is up
    /// with their live progress. Use it instead of polling.
    #[schemars(range(min = 0, max = MAX_WAIT_SECONDS), extend("default" = 0))]
    pub wait_seconds: Option<u64>,
    /// With `task_ids` and `wait_seconds`: `all` (default) waits until every task has ended,
    /// `any` returns as soon as the first one ends.
    pub wait_for: Option<WaitForArg>,
    /// With `task_id`: the character of the answer to start from, to read a long answer in
    /// parts. Pass the `next_offset` of the previous result.
    #[schemars(range(min = 0))]
    pub result_offset: Option<u64>,
    /// Without task_id: how many tasks to list, newest first (default 20).
    #[schemars(range(min = 1, max = 200), extend("default" = DEFAULT_LIST_LIMIT))]
    pub limit: Option<u32>,
}

/// When a wait on several tasks ends.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WaitForArg {
    All,
    Any,
}

/// The arguments of `codex_cancel`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelArgs {
    /// The `task_id` of the task to stop.
    #[schemars(pattern(TASK_ID_PATTERN), length(max = TASK_ID_MAX_LEN))]
    pub task_id: String,
}

/// The arguments of `codex_reply`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyArgs {
    /// The `task_id` of the task to talk to.
    #[schemars(pattern(TASK_ID_PATTERN), length(max = TASK_ID_MAX_LEN))]
    pub task_id: String,
    /// What to tell Codex. A running task gets it in its current turn (steered: Codex reads it
    /// at its next model request); a queued task starts with it added to its prompt; an ended
    /// task (completed, failed or cancelled) gets it as a follow-up turn in the same session,
    /// a new task (next topic version, same worktree) answered like codex_dispatch. Give
    /// `prompt` or `decision`, not both.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub prompt: Option<String>,
    /// The answer to a question of a task that is `input_required` (one of its
    /// `input_requests`): `accept` (this once), `accept_for_session` (this and the like, for
    /// the session), `decline` (Codex goes on without it), `cancel` (decline and stop the
    /// turn). Needs `request_id`. An accepted request runs outside Codex's sandbox.
    #[serde(default)]
    pub decision: Option<Decision>,
    /// With `decision`, required: the `id` of the question answered (from `input_requests`).
    /// An answer is given to that question only: if it is no longer open, nothing is
    /// answered and the error says what is open now.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub request_id: Option<u64>,
}

/// The longest review instructions, in bytes.
pub const INSTRUCTIONS_MAX_BYTES: usize = 64 * 1024;

/// The arguments of `codex_review`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewArgs {
    /// Absolute path of the git repository (or a folder in it) to review. Not needed when a
    /// task's work is reviewed: that task's worktree is.
    #[serde(default)]
    pub cwd: Option<String>,
    /// What to review: `"uncommitted"` (default: staged, unstaged and untracked changes),
    /// `{"base": "<branch>"}` (the current branch against a base branch), `{"commit": "<sha>"}`
    /// (the changes one commit made), or `{"task": "<task_id>"}` (a full-access task's work:
    /// its commits and what it left uncommitted, against the branch it started from).
    #[serde(default)]
    pub target: Option<ReviewTargetArg>,
    /// Optional. Extra review instructions, beside Codex's own review guidelines: a focus
    /// ("security", "the error handling"), or a stance ("adversarial: try to break it").
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub instructions: Option<String>,
    /// Optional. A full-access task whose work to review; the same as `target: {"task": …}`.
    #[serde(default)]
    #[schemars(pattern(TASK_ID_PATTERN), length(max = TASK_ID_MAX_LEN))]
    pub task_id: Option<String>,
    /// Optional. The review task's name, `<type>-<desc>-v<N>` (default: `review-<what>-v1`).
    #[serde(default)]
    #[schemars(pattern(TOPIC_PATTERN), length(max = TOPIC_MAX))]
    pub topic: Option<String>,
    /// Optional. The model that reviews, as for codex.
    #[serde(default)]
    #[schemars(pattern(MODEL_PATTERN), length(max = NAME_MAX))]
    pub model: Option<String>,
    /// Optional. How hard it reasons, as for codex.
    #[serde(default)]
    #[schemars(pattern(EFFORT_PATTERN), length(max = EFFORT_MAX))]
    pub reasoning_effort: Option<String>,
    /// Optional. The longest the review may run, in seconds.
    #[serde(default)]
    #[schemars(range(min = 1, max = MAX_TIMEOUT_SECONDS))]
    pub timeout_seconds: Option<u64>,
    /// Optional. A host to review on, as for codex.
    #[serde(default)]
    #[schemars(pattern(HOST_NAME_PATTERN), length(max = HOST_NAME_MAX))]
    pub host: Option<String>,
}

/// What `codex_review` reviews.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum ReviewTargetArg {
    /// The working tree's changes: staged, unstaged and untracked.
    Uncommitted,
    /// The current branch against this base branch.
    Base(String),
    /// The changes this commit made (a sha, or any revision such as `HEAD`).
    Commit(String),
    /// The work of this full-access task.
    Task(String),
}

/// The arguments of `codex_land`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LandArgs {
    /// The full-access task whose work to land; it must have ended.
    #[schemars(pattern(TASK_ID_PATTERN), length(max = TASK_ID_MAX_LEN))]
    pub task_id: String,
    /// Optional. `squash` (default: one commit), `merge` (a merge commit), or `rebase` (the
    /// task's commits replayed on top).
    #[serde(default)]
    pub how: Option<LandHow>,
    /// Optional. The commit message (squash and merge, and the commit of what Codex left
    /// uncommitted); default: made from the task's topic and prompt, with a `Codex-Task:`
    /// trailer.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub message: Option<String>,
    /// Optional. The branch to land in (default: the one checked out where the task started).
    #[serde(default)]
    #[schemars(length(min = 1, max = 250))]
    pub into: Option<String>,
    /// Optional (default false). Keep the task's worktree and branch after landing.
    #[serde(default)]
    pub keep: Option<bool>,
}
