//! Running codex: the detached supervisor process that owns one run, how it is launched,
//! and how a whole process tree is stopped.

mod launch;
mod process;
mod supervisor;

pub use launch::spawn_supervisor;
pub use process::{ProcInfo, list_processes, pid_alive, terminate_tree, tree_pids};
pub use supervisor::run_supervisor;
