//! Process trees: listing processes, stopping a tree (TERM, then KILL, verified), and finding
//! the task a process runs beneath.

pub(super) mod ancestry;
pub(super) mod process;
