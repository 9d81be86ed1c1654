//! The second program this binary is: the supervisor (`codex-mcp supervise <task_dir>`), one
//! per task, that owns its Codex runs and outlives the server that started it — and what the
//! others do to a task because of it. In wings:
//!
//! - `launch/`: where a supervisor runs (detached, or a tmux session a person can attach to),
//!   a file per kind: starting it, knowing it is gone, stopping and closing it, attaching;
//!   the live view in its pane.
//! - `drive/`: running Codex (a file per driver: `codex exec`, `codex app-server`), the Codex
//!   process and its events, one clock for a run.
//! - `end/`: how a run ends: its outcome and the kind of a failure, what a full-access task
//!   left, telling someone.
//! - `tree/`: process trees, and the task a process runs beneath.
//!
//! `supervisor.rs` is the program's main loop, `queue.rs` its wait for a place.

mod drive;
mod end;
mod launch;
mod queue;
mod supervisor;
mod tree;

pub(crate) use crate::vocab::Launch;
pub(crate) use drive::driver::{Chosen, Driver};
pub(crate) use drive::host_session::{HostCheck, check_hosts};
pub(crate) use end::findings::end_findings;
pub(crate) use end::notify::task_ended;
pub(crate) use end::outcome::{Finalizer, conclude_from_files};
pub(crate) use launch::live_view::LiveView;
pub(crate) use launch::liveness::orphaned;
pub(crate) use launch::{LaunchError, Started as LaunchStarted, stop_launch_servers};
pub(crate) use queue::live_waiters;
pub(crate) use supervisor::run_supervisor;
pub(crate) use tree::ancestry::supervising_task_dir;
