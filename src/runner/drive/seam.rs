//! What a driver is: what it can do, and how it runs Codex (`driver.rs` picks one; each is a
//! file of its own).

use std::path::Path;

use super::run::{Ran, RunEnv};
use crate::codex::{CodexOptions, CodexSandbox};
use crate::store::{TaskFiles, TaskMeta};
use crate::vocab::ReviewLaunch;

/// What one driver can do, and how it runs Codex.
pub(in crate::runner) trait Drive: Sync {
    /// A prompt can be steered into a running turn.
    fn can_steer(&self) -> bool;
    /// Codex can stop and ask a person (`approval_policy` applies).
    fn asks_approvals(&self) -> bool;
    /// A Codex profile is given on its command line (`-p`); else its settings go to the
    /// thread.
    fn takes_profile(&self) -> bool;
    /// It needs Codex's `app-server` command.
    fn needs_app_server(&self) -> bool;
    /// The program it runs, for a person.
    fn program(&self) -> &'static str;
    /// Codex's arguments for a task's first run.
    fn first_args(&self, first: &FirstRun<'_>) -> Vec<String>;
    /// The command line of a run that continues `session` after a failed one.
    fn resume_argv(&self, meta: &TaskMeta, session: &str) -> Option<Vec<String>>;
    /// One run, to its end.
    fn run(&self, run: RunOf<'_>, env: &RunEnv<'_>) -> std::io::Result<Ran>;
}

/// What a task's first run is given.
pub(in crate::runner) struct FirstRun<'a> {
    pub sandbox: CodexSandbox,
    pub run_dir: &'a Path,
    pub session: Option<&'a str>,
    pub options: &'a CodexOptions,
    pub review: Option<&'a ReviewLaunch>,
}

/// One run: the task, its command line, its prompt file and the session it continues.
pub(in crate::runner) struct RunOf<'a> {
    pub files: &'a TaskFiles,
    pub meta: &'a TaskMeta,
    pub argv: &'a [String],
    pub prompt: &'a Path,
    pub session: Option<&'a str>,
}
