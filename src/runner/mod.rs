//! Running codex: the detached supervisor process that owns one run, how it is launched
//! (a new session, or a tmux session for full-access tasks), how its outcome is decided, and
//! how a process tree is stopped.

mod ancestry;
mod app_server_driver;
mod app_server_talk;
mod codex_process;
mod drive;
mod driver;
mod exec_driver;
mod failure;
mod failure_rows;
mod launch;
mod live_view;
mod liveness;
mod notify;
mod outcome;
mod process;
mod pump;
mod queue;
mod run;
mod run_clock;
mod scan;
mod supervisor;

pub(crate) use crate::vocab::Launch;
pub(crate) use ancestry::supervising_task_dir;
pub(crate) use driver::{Chosen, Driver};
pub(crate) use launch::{LaunchError, Started as LaunchStarted, stop_launch_servers};
pub(crate) use live_view::LiveView;
pub(crate) use liveness::orphaned;
pub(crate) use notify::task_ended;
pub(crate) use outcome::{Finalizer, conclude_from_files};
pub(crate) use queue::live_waiters;
pub(crate) use supervisor::run_supervisor;
