//! Running Codex: the drivers (`driver.rs` picks one, `seam.rs` is what one is), the Codex
//! process they share, copying its events into the log and progress, and one clock for a run.

pub(super) mod app_server_driver;
pub(super) mod app_server_talk;
pub(super) mod codex_process;
pub(super) mod driver;
pub(super) mod exec_driver;
pub(super) mod host_link;
pub(super) mod host_session;
pub(super) mod host_worktree;
pub(super) mod pump;
pub(super) mod run;
pub(super) mod run_clock;
pub(super) mod seam;
