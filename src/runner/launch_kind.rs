//! How a task's supervisor was launched, read from the task's record, with what the engine
//! and the command line do to such a task: see whether it is gone, close what it left, and
//! tell or let a person attach. Outside `runner/`, nothing names tmux; a new kind of launch
//! (a container, another machine) is one variant here and one launcher file beside it.

use std::os::unix::process::CommandExt;

use super::tmux::{Tmux, TmuxError};
use crate::config::Config;
use crate::store::TaskMeta;

/// Where a task's supervisor runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// In a session of its own, detached from any terminal (read-only tasks).
    Detached,
    /// As the only process of this tmux session (full-access tasks).
    TmuxSession(String),
}

impl Launch {
    /// The launch recorded on `meta`.
    pub fn of(meta: &TaskMeta) -> Launch {
        match &meta.tmux_session {
            Some(session) => Launch::TmuxSession(session.clone()),
            None => Launch::Detached,
        }
    }

    /// True when what the launch made is known to be gone (its tmux session closed). `tmux`
    /// finds tmux; it is asked only for a tmux launch, so a detached task costs nothing.
    pub(super) fn is_gone(&self, tmux: impl FnOnce() -> Option<Tmux>) -> bool {
        match self {
            Launch::TmuxSession(session) => tmux().is_some_and(|t| !t.has_session(session)),
            Launch::Detached => false,
        }
    }

    /// Closes what the launch left behind (a tmux session); a detached launch leaves nothing.
    /// Without tmux on the PATH there is no session of ours to close.
    pub fn close(&self, config: &Config) -> Result<(), TmuxError> {
        match self {
            Launch::TmuxSession(session) => match Tmux::locate(config) {
                Ok(tmux) => tmux.kill_session(session),
                Err(_) => Ok(()),
            },
            Launch::Detached => Ok(()),
        }
    }

    /// Replaces this process with one attached to the task, on this terminal. Returns only
    /// when that could not be done, saying why.
    pub fn attach_here(&self, config: &Config) -> String {
        match self {
            Launch::TmuxSession(session) => match Tmux::locate(config) {
                Ok(tmux) => format!("cannot run tmux: {}", tmux.attach(session).exec()),
                Err(e) => e.to_string(),
            },
            Launch::Detached => "the task runs detached; there is nothing to attach to".into(),
        }
    }
}
