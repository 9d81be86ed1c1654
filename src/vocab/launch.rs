//! Where a task's supervisor was launched, as the task's record keeps it: one tagged value
//! (`{"kind": "detached"}`, `{"kind": "tmux", "session": "codex-<topic>"}`, `{"kind":
//! "remote", "host": "devbox"}`). What each kind
//! does — start, check, stop, close, attach — is the runner's (`runner/launch/`), a file per
//! kind; nothing else asks which kind it is.

use serde::{Deserialize, Serialize};

/// Where a task's supervisor runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Launch {
    /// In a session of its own, detached from any terminal (read-only tasks).
    Detached(Detached),
    /// As the only process of a tmux session a person can attach to (full-access tasks).
    Tmux(TmuxSession),
    /// On this machine, detached, talking to the app-server of a host of the hosts file, where
    /// Codex runs (`{"kind": "remote", "host": "devbox"}`).
    Remote(RemoteHost),
}

/// A detached launch: nothing to name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detached {}

/// A launch in the tmux session `session`, on codex-mcp's own tmux server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TmuxSession {
    pub session: String,
}

/// A task whose Codex runs on the host `host`; its supervisor stays on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteHost {
    pub host: String,
}

impl Default for Launch {
    fn default() -> Self {
        Launch::Detached(Detached {})
    }
}

impl Launch {
    /// What a record of a release before the launch was kept whole says: a full-access task's
    /// tmux session's name alone (`tmux_session`), or none.
    pub fn from_session_name(session: Option<String>) -> Launch {
        match session {
            Some(session) => Launch::Tmux(TmuxSession { session }),
            None => Launch::default(),
        }
    }
}
