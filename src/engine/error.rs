use std::path::PathBuf;

use crate::codex::CodexError;
use crate::runner::LaunchError;
use crate::store::{StoreError, TaskId};
use crate::workspace::WorktreeError;

/// Every way a request to the engine can fail. Messages are written for the calling model:
/// they say what was wrong and what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("invalid `{param}`: {message}")]
    InvalidArgument { param: String, message: String },
    #[error(
        "topic `{topic}` already has a running task `{task_id}`. Follow it with codex_status, \
         stop it with codex_cancel, or start another such as `{suggestion}`"
    )]
    TopicBusy {
        topic: String,
        task_id: TaskId,
        suggestion: String,
    },
    #[error(
        "the worktree `{}` is in use by running task `{task_id}`; two tasks never share a \
         worktree. Wait for it or cancel it, or use another description in the topic",
        dir.display()
    )]
    WorktreeBusy { dir: PathBuf, task_id: String },
    #[error(transparent)]
    Worktree(#[from] WorktreeError),
    #[error("no task `{0}` exists; call codex_status without task_id to list tasks")]
    NotFound(TaskId),
    #[error(transparent)]
    Codex(#[from] CodexError),
    #[error(transparent)]
    Setting(#[from] crate::config::SettingError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Launch(#[from] LaunchError),
    #[error("no free task id is left for topic `{0}`; use a new topic version")]
    IdsExhausted(String),
    #[error(
        "cannot find this program's own executable, which runs each task's supervisor: {0}. \
         Start codex-mcp by its absolute path"
    )]
    NoExecutable(#[source] std::io::Error),
    #[error(
        "this server's own program `{}` is gone (upgraded or removed since the server started), \
         and no `codex-mcp` is on PATH to run the task's supervisor. Restart the MCP server \
         (in Claude Code: /mcp, then reconnect)",
        .0.display()
    )]
    ExecutableGone(PathBuf),
    #[error(
        "this server runs inside a Codex task started by codex-mcp (delegation depth {depth}), \
         and CODEXMCP_MAX_DEPTH={max} allows no deeper tasks: Codex would be delegating to \
         itself. Do this work directly; raise CODEXMCP_MAX_DEPTH where nesting is intended"
    )]
    TooDeep { depth: u32, max: u32 },
    /// A landing that did not happen: why, and what to do. Nothing of the person's changed.
    #[error("{0}")]
    Land(String),
    #[error("internal error: {0}; the task store is unchanged, try the call again")]
    Internal(String),
}

impl EngineError {
    /// A bad argument: `param` names it, `message` says what was wrong and what is accepted.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        EngineError::InvalidArgument {
            param: param.into(),
            message: message.into(),
        }
    }
}
