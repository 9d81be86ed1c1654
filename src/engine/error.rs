use crate::codex::CodexError;
use crate::store::StoreError;

/// Every way a request to the engine can fail. Messages are written for the calling model:
/// they say what was wrong and what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("invalid `{param}`: {message}")]
    InvalidArgument {
        param: &'static str,
        message: String,
    },
    #[error(
        "topic `{topic}` already has a running task `{task_id}`. Follow it with codex_status, \
         stop it with codex_cancel, or start a new version such as `{suggestion}`"
    )]
    TopicBusy {
        topic: String,
        task_id: String,
        suggestion: String,
    },
    #[error(
        "the worktree `{}` is in use by running task `{task_id}`; two tasks never share a          worktree. Wait for it or cancel it, or use another description in the topic",
        dir.display()
    )]
    WorktreeBusy {
        dir: std::path::PathBuf,
        task_id: String,
    },
    #[error(transparent)]
    Worktree(#[from] crate::workspace::WorktreeError),
    #[error("no task `{0}` exists; call codex_status without task_id to list tasks")]
    NotFound(String),
    #[error(transparent)]
    Codex(#[from] CodexError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not start the task: {0}")]
    Launch(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "cancel could not stop every process of task `{task_id}`; still alive: {pids:?}. \
         Kill them by hand (kill -9) and call codex_cancel again"
    )]
    StillAlive { task_id: String, pids: Vec<i32> },
}

impl EngineError {
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        EngineError::InvalidArgument {
            param,
            message: message.into(),
        }
    }
}
