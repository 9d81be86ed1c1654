//! How a task's supervisor was launched, read from the task's record, with what the engine
//! and the command line do to such a task: see whether it is gone, close what it left, and
//! tell or let a person attach. Outside `runner/`, nothing names tmux; a new kind of launch
//! (a container, another machine) is one variant here and one launcher file beside it.

use std::os::unix::process::CommandExt;

use super::launch::{LaunchError, launch_in_tmux, spawn_supervisor};
use super::tmux::{Tmux, TmuxError};
use crate::config::Config;
use crate::store::{Sandbox, TaskFiles, TaskMeta};

/// Where a task's supervisor runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// In a session of its own, detached from any terminal (read-only tasks).
    Detached,
    /// As the only process of this tmux session (full-access tasks).
    TmuxSession(String),
}

impl Launch {
    /// The launch a new task gets: a read-only one runs detached; a full-access one in a tmux
    /// session of its own, named after its topic, so a person can watch it.
    pub fn for_task(sandbox: Sandbox, topic: &str) -> Launch {
        match sandbox {
            Sandbox::ReadOnly => Launch::Detached,
            Sandbox::FullAccess => Launch::TmuxSession(format!("codex-{topic}")),
        }
    }

    /// What the task's record keeps of it (`tmux_session`).
    pub fn recorded_session(&self) -> Option<String> {
        match self {
            Launch::TmuxSession(session) => Some(session.clone()),
            Launch::Detached => None,
        }
    }

    /// Checks, before anything is written, that this launch can be made: tmux is there and
    /// the session's name is free. A session of that name left by a task of ours that no
    /// longer runs (`running` says, given the task id tmux was told) is closed; anyone
    /// else's is refused, and one of a running task left for the caller to refuse by topic.
    pub fn ready(
        &self,
        config: &Config,
        running: impl FnOnce(&str) -> bool,
    ) -> Result<(), TmuxError> {
        let Launch::TmuxSession(session) = self else {
            return Ok(());
        };
        let tmux = Tmux::locate(config)?;
        if !tmux.has_session(session) {
            return Ok(());
        }
        let Some(tag) = tmux.session_tag(session) else {
            return Err(TmuxError::SessionExists(session.clone()));
        };
        if !running(&tag) {
            tmux.kill_session(session)?;
        }
        Ok(())
    }

    /// Starts `exe`'s supervisor of the task in `files`. Returns the supervisor when this
    /// process spawned it directly (awaiting it is how a blocking call learns of the end at
    /// once), and what the person should know about their tmux settings.
    pub fn start(
        &self,
        config: &Config,
        exe: &std::path::Path,
        files: &TaskFiles,
    ) -> Result<(Option<tokio::process::Child>, Vec<String>), LaunchError> {
        match self {
            Launch::Detached => spawn_supervisor(exe, &files.dir, &files.supervisor_log())
                .map(|child| (Some(child), Vec::new())),
            Launch::TmuxSession(session) => {
                let tmux = Tmux::locate(config)?;
                launch_in_tmux(&tmux, exe, &files.dir, session).map(|w| (None, w))
            }
        }
    }

    /// The launch recorded on `meta`.
    pub fn of(meta: &TaskMeta) -> Launch {
        match &meta.launch().tmux_session {
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
