//! Running codex: the detached supervisor process that owns one run, how it is launched
//! (a new session, or a tmux session for full-access tasks), and how a process tree is stopped.

mod launch;
mod process;
mod supervisor;
mod tmux;
mod view;

pub use launch::{launch_in_tmux, spawn_supervisor, take_environment};
pub use process::{ProcInfo, list_processes, pid_alive, terminate_tree, tree_pids};
pub use supervisor::run_supervisor;
pub use tmux::{Tmux, attach_command};
