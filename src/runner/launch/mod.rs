//! Launching a task's supervisor, and everything done to a task because of where it was
//! launched: whether the launch can be made, making it, whether what it made is gone, stopping
//! the task's processes, closing what it left, and attaching a person. The kind is kept on the
//! task's record (`vocab::Launch`); each kind does its whole job in a file of its own
//! (`detached.rs`, `tmux_session.rs`, `remote.rs`) and callers ask the launch, never which
//! kind it is. A new
//! kind is one variant of `vocab::Launch`, one file here, and one arm of [`Launch::kind`].

mod detached;
pub(super) mod live_view;
pub(super) mod liveness;
mod local;
mod remote;
mod spawn;
mod tmux;
mod tmux_session;

use std::path::Path;

pub(crate) use spawn::take_environment;
use tmux::TmuxError;

use crate::config::Config;
use crate::store::{Sandbox, StoreError, TaskFiles, TaskMeta};
use crate::vocab::{Detached, Launch, RemoteHost, TmuxSession};

/// Ends the servers launches started whose sockets are in `dir` (a temporary store's, once
/// its tasks are done: `doctor --smoke`).
pub(crate) fn stop_launch_servers(config: &Config, dir: &Path) {
    tmux::kill_server_in(config, dir);
}

/// Why a launch, or something done to a launched task, could not be done.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("could not launch the supervisor {}: {source}", exe.display())]
    Spawn {
        exe: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tmux(#[from] TmuxError),
    /// A host that cannot be used: not in the hosts file, or its entry is wrong.
    #[error("{0}")]
    Host(String),
    #[error(
        "cancel could not stop every process of task `{task_id}`; still alive: {pids:?}. \
         Kill them by hand (kill -9) and call codex_cancel again"
    )]
    StillAlive { task_id: String, pids: Vec<i32> },
}

/// A launch just made: the supervisor when this process spawned it directly (awaiting it is
/// how a blocking call learns of the end at once), and what the person should know.
pub(crate) struct Started {
    pub child: Option<tokio::process::Child>,
    pub warnings: Vec<String>,
}

/// How a person watches a launched task while it runs: what to call it, and the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Watch {
    pub name: String,
    pub command: String,
}

/// What one kind of launch does. Each kind is a file of its own.
trait Kind {
    /// Checks, before anything is written, that the launch can be made; `running` says
    /// whether a task (by id) is still running, for what an earlier one may have left.
    fn ready(&self, config: &Config, running: &dyn Fn(&str) -> bool) -> Result<(), LaunchError>;
    /// Starts `exe`'s supervisor of the task in `files`.
    fn start(&self, config: &Config, exe: &Path, files: &TaskFiles)
    -> Result<Started, LaunchError>;
    /// True when what the launch made is known to be gone.
    fn is_gone(&self, config: &Config) -> bool;
    /// Stops the task's processes (the supervisor, Codex, all they started), verified.
    fn stop(&self, files: &TaskFiles, meta: &TaskMeta) -> Result<(), LaunchError>;
    /// Stops what a dead supervisor left running, when it can be told apart from others'.
    fn stop_leftovers(&self, meta: &TaskMeta);
    /// Closes what the launch left behind.
    fn close(&self, config: &Config) -> Result<(), LaunchError>;
    /// How a person watches the task, when they can.
    fn watch(&self) -> Option<Watch>;
    /// Replaces this process with one attached to the task; returns why when it cannot.
    fn attach_here(&self, config: &Config) -> String;
    /// The host of the hosts file Codex runs on; `None` for this machine.
    fn host(&self) -> Option<&str> {
        None
    }
}

impl Launch {
    /// The launch a new task gets: one on a host talks to it from here; a read-only one runs
    /// detached; a full-access one in a tmux session of its own, named after its topic, so a
    /// person can watch it.
    pub fn for_task(sandbox: Sandbox, topic: &str, host: Option<&str>) -> Launch {
        match (host, sandbox) {
            (Some(host), _) => Launch::Remote(RemoteHost {
                host: host.to_string(),
            }),
            (None, Sandbox::ReadOnly) => Launch::Detached(Detached {}),
            (None, Sandbox::FullAccess) => Launch::Tmux(TmuxSession {
                session: format!("codex-{topic}"),
            }),
        }
    }

    /// The host of the hosts file Codex runs on; `None` for this machine.
    pub fn host(&self) -> Option<&str> {
        self.kind().host()
    }

    /// The launch recorded on `meta`.
    pub fn of(meta: &TaskMeta) -> Launch {
        meta.launch().launched.clone()
    }

    fn kind(&self) -> &dyn Kind {
        match self {
            Launch::Detached(d) => d,
            Launch::Tmux(t) => t,
            Launch::Remote(r) => r,
        }
    }

    pub fn ready(
        &self,
        config: &Config,
        running: impl Fn(&str) -> bool,
    ) -> Result<(), LaunchError> {
        self.kind().ready(config, &running)
    }

    pub fn start(
        &self,
        config: &Config,
        exe: &Path,
        files: &TaskFiles,
    ) -> Result<Started, LaunchError> {
        self.kind().start(config, exe, files)
    }

    pub fn is_gone(&self, config: &Config) -> bool {
        self.kind().is_gone(config)
    }

    pub fn stop(&self, files: &TaskFiles, meta: &TaskMeta) -> Result<(), LaunchError> {
        self.kind().stop(files, meta)
    }

    pub fn stop_leftovers(&self, meta: &TaskMeta) {
        self.kind().stop_leftovers(meta)
    }

    pub fn close(&self, config: &Config) -> Result<(), LaunchError> {
        self.kind().close(config)
    }

    pub fn watch(&self) -> Option<Watch> {
        self.kind().watch()
    }

    pub fn attach_here(&self, config: &Config) -> String {
        self.kind().attach_here(config)
    }
}
