//! The plain words every layer shares about a task — its id, its status, its sandbox, who ended
//! it, what kind of failure it had, the options Codex runs with, the tokens it used — as types
//! with no I/O and no dependency on any layer, so that `codex` and `store` need not import each
//! other. `store` re-exports them where they were.

mod catalog;
mod land;
mod launch;
mod review;
mod talk;
mod task_id;

pub(crate) use catalog::{
    BUILTIN_EFFORTS, Catalog, CatalogModel, EFFORT_MAX, Effort, UNCATALOGUED_EFFORTS,
};

pub(crate) use land::LandHow;
pub(crate) use launch::{Detached, Launch, RemoteHost, TmuxSession};
pub(crate) use review::{
    Finding, LineRange, Review, ReviewLaunch, ReviewTarget, ReviewVerdict, short as short_sha,
};
pub(crate) use talk::{Answerer, Decision, QuestionKind};

pub(crate) use task_id::{TASK_ID_MAX_LEN, TASK_ID_PATTERN, TaskId};

use serde::{Deserialize, Deserializer, Serialize};

/// What codex may do: `read-only` (every write refused by the OS sandbox) or `full-access`
/// (anything, inside the task's own git worktree).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    clap::ValueEnum,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Sandbox {
    ReadOnly,
    FullAccess,
}

impl Sandbox {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::fmt::Display for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How codex runs one task: each is passed through when set, and codex's own configuration
/// decides when not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodexOptions {
    /// `-m <model>`: never checked against a list (model names change and differ by
    /// account); codex's own refusal is what the caller sees.
    #[serde(default)]
    pub model: Option<String>,
    /// `-c model_reasoning_effort="<effort>"`.
    #[serde(default)]
    pub reasoning_effort: Option<Effort>,
    /// `codex -p <name>` layers `$CODEX_HOME/<name>.config.toml`.
    #[serde(default)]
    pub profile: Option<String>,
}

/// Token counts as codex reports them at the end of a turn: the thread's running total, so a
/// resumed session includes its earlier turns.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Usage {
    #[serde(default, deserialize_with = "lenient")]
    pub input_tokens: u64,
    #[serde(default, deserialize_with = "lenient")]
    pub cached_input_tokens: u64,
    #[serde(default, deserialize_with = "lenient")]
    pub output_tokens: u64,
    #[serde(default, deserialize_with = "lenient")]
    pub reasoning_output_tokens: u64,
}

/// A field of a newer or odd schema: `null`, a missing value or one of another type reads as
/// the default, so one field never costs the whole event.
pub(crate) fn lenient<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned + Default>(
    d: D,
) -> Result<T, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).unwrap_or_default())
}

impl Usage {
    /// What was used since `earlier` (each count, never below zero).
    pub fn minus(&self, earlier: &Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens.saturating_sub(earlier.input_tokens),
            cached_input_tokens: self
                .cached_input_tokens
                .saturating_sub(earlier.cached_input_tokens),
            output_tokens: self.output_tokens.saturating_sub(earlier.output_tokens),
            reasoning_output_tokens: self
                .reasoning_output_tokens
                .saturating_sub(earlier.reasoning_output_tokens),
        }
    }

    /// The sum of both.
    pub fn plus(&self, other: &Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens + other.input_tokens,
            cached_input_tokens: self.cached_input_tokens + other.cached_input_tokens,
            output_tokens: self.output_tokens + other.output_tokens,
            reasoning_output_tokens: self.reasoning_output_tokens + other.reasoning_output_tokens,
        }
    }

    /// Input plus output tokens (cached and reasoning tokens are part of those).
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }

    pub fn is_zero(&self) -> bool {
        self.total() == 0
    }
}

/// Which program drives a task's Codex runs (`CODEXMCP_ENGINE`): `app-server` (one thread of
/// `codex app-server`, which can be steered and asks for approvals) or `exec` (one `codex exec
/// --json` per run, for older Codex versions and as the way out). Records written before there
/// was a choice are `exec`. What each can do is the runner's `Driver`'s to say.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum CodexEngine {
    #[default]
    Exec,
    AppServer,
}

impl CodexEngine {
    /// The engine a server runs tasks on when `CODEXMCP_ENGINE` names none.
    pub const CONFIGURED_DEFAULT: CodexEngine = CodexEngine::AppServer;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the tokens a run records are its own turn's (app-server reports each model
    /// request's), rather than the session's running total (`codex exec` reports that).
    pub fn usage_is_per_turn(self) -> bool {
        matches!(self, CodexEngine::AppServer)
    }
}

/// When Codex asks before it acts (`approval_policy`): `never` (it does not ask; what its
/// sandbox refuses fails), `on-request` (it may ask to run something outside its sandbox),
/// `untrusted` (it asks before any command it does not trust).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    clap::ValueEnum,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ApprovalPolicy {
    #[default]
    Never,
    OnRequest,
    Untrusted,
}

impl ApprovalPolicy {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn is_never(&self) -> bool {
        *self == ApprovalPolicy::Never
    }
}

/// Where a task is in its life; `queued`, `running` and `input_required` are not final.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting for one of the CODEXMCP_MAX_PARALLEL places to run.
    Queued,
    Running,
    /// Running; Codex waits for an answer to a question (`input_requests`).
    InputRequired,
    Completed,
    Failed,
    Cancelled,
}

impl TaskStatus {
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            TaskStatus::Running | TaskStatus::Queued | TaskStatus::InputRequired
        )
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who or what ended a task.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EndedBy {
    /// Codex finished (well or not) on its own.
    Codex,
    /// A `codex_cancel` call.
    CancelTool,
    /// The MCP client cancelled the blocking call that ran the task.
    ClientCancel,
    /// The MCP client cancelled the task it was following as an MCP task (`tasks/cancel`).
    TaskCancel,
    /// A person in the task's tmux pane stopped it (Ctrl-C).
    Attach,
    /// The task's tmux session was closed (`tmux kill-session`, or its tmux server ended).
    SessionClosed,
    /// A person at the command line.
    Cli,
    /// The task's time limit passed.
    Timeout,
    /// Codex could not reach its model for CODEXMCP_MODEL_UNREACHABLE_TIMEOUT and was stopped.
    Unreachable,
    /// Codex or its supervisor died unexpectedly.
    Crash,
    /// A server starting up found the task's supervisor gone and finalized it.
    RecoveredAtStart,
}

impl EndedBy {
    /// Its name, as the tools and the event log write it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What kind of failure a failed task had.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FailureKind {
    /// Codex is not logged in, or its key was refused (HTTP 401, 403).
    #[strum(
        message = "Log in with `codex login` (or give the server OPENAI_API_KEY), then run the task again."
    )]
    Authentication,
    /// Too many requests for now (HTTP 429).
    #[strum(
        message = "Wait a minute and retry (with `session_id` to continue), or use another model."
    )]
    RateLimit,
    /// The account's usage limit (or the session's budget) is reached.
    #[strum(
        message = "The account's usage limit is reached: wait until it resets (Codex says when), or use another account or API key."
    )]
    UsageLimit,
    /// The conversation no longer fits the model's context window.
    #[strum(
        message = "The conversation no longer fits the model's context: start a new session (no `session_id`) with a shorter prompt that points to files."
    )]
    ContextWindow,
    /// The model's API failed on its side (HTTP 500, 502, 503, 504).
    #[strum(
        message = "The model's API failed on its side: retry in a moment (with `session_id` to continue)."
    )]
    ServerError,
    /// The model named does not exist.
    #[strum(
        message = "Pick another model with `model`: this one does not exist (check its spelling)."
    )]
    ModelNotFound,
    /// The model exists but is not offered to this account (or this service tier).
    #[strum(message = "Pick another model with `model`: this one is not offered to this account.")]
    ModelUnavailable,
    /// The session to continue (`session_id`) is not known to Codex.
    #[strum(
        message = "Codex does not know that session: start a new one by calling again without `session_id`."
    )]
    SessionNotFound,
    /// Codex could not reach its model.
    #[strum(
        message = "Codex could not reach its model: check the network and the proxy (HTTPS_PROXY) of the machine running codex-mcp, and that Codex is logged in (`codex login`) or has an API key (OPENAI_API_KEY), then retry."
    )]
    Network,
    /// The model's API refused the request as malformed (HTTP 400, 404, 413).
    #[strum(
        message = "The model's API refused the request: check `model`, `reasoning_effort`, `profile`, the model provider's settings in Codex's config.toml, and the prompt's size."
    )]
    BadRequest,
    /// The request was refused under the model's usage policy, or by the workspace's hook.
    #[strum(
        message = "The request was refused under the model's usage policy: rephrase the task or do this part another way; the same prompt will be refused again."
    )]
    Policy,
    /// Codex stopped after too many of its requests were declined.
    #[strum(
        message = "Codex stopped after too many of its requests were declined: answer its questions, or give it the access the task needs."
    )]
    ApprovalsDeclined,
    /// Codex's own setup is wrong: CODEX_HOME, its config.toml, a profile.
    #[strum(
        message = "Codex's own setup is wrong: read `error`, fix Codex's config.toml (or the profile) in CODEX_HOME, and run `codex-mcp doctor`."
    )]
    Configuration,
    /// Codex's sandbox could not start for this run.
    #[strum(
        message = "Codex's sandbox could not start here (common in containers): run `codex-mcp doctor`, or set CODEXMCP_READONLY_FALLBACK=1."
    )]
    Sandbox,
    /// The task's time limit passed.
    #[strum(
        message = "Raise `timeout_seconds` or split the task; continue it with its `session_id`."
    )]
    Timeout,
    /// Codex was killed, or exited without finishing its turn.
    #[strum(
        message = "Codex stopped unexpectedly: retry (with `session_id` to continue; `retries` does it by itself); if it repeats, run `codex-mcp doctor` and read the log."
    )]
    ProcessCrash,
    /// The task's supervisor was stopped before the run ended.
    #[strum(
        message = "The task's supervisor was stopped (a restart, a kill): run it again, with `session_id` to continue."
    )]
    Interrupted,
    /// Its host could not be reached, or was lost and not won back.
    #[strum(
        message = "The host could not be reached: check it is up and its app-server runs (`codex-mcp hosts`), then retry; a follow-up with `session_id` resumes the thread kept there."
    )]
    HostUnreachable,
    /// Its host refused (a wrong token, no Codex there).
    #[strum(
        message = "The host refused: fix its entry in hosts.toml (token, command) or install and start Codex's app-server there (`codex app-server daemon bootstrap`), then run `codex-mcp doctor`."
    )]
    HostRefused,
    /// The disk holding the task store is full.
    #[strum(message = "Free disk space where the task store is (CODEXMCP_HOME), then retry.")]
    DiskFull,
    /// None of the above; `failure.detail` and the log say more.
    #[strum(message = "Read `detail` and the log; run `codex-mcp doctor` to check the setup.")]
    Unknown,
}

impl FailureKind {
    /// Its name, as the tools write it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// What to do about it (each kind's `message` above; a finding may say it more
    /// precisely).
    pub fn hint(self) -> &'static str {
        strum::EnumMessage::get_message(&self).unwrap_or_default()
    }
}
