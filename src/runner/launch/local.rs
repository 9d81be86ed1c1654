//! What the launches on this machine share: the task's processes are this machine's, found
//! from the supervisor's recorded pid, which is safe to signal only while its liveness lock
//! proves it alive.

use std::time::Duration;

use super::LaunchError;
use crate::runner::tree::process::{list_processes, terminate_tree};
use crate::store::{Liveness, TaskFiles, TaskMeta};

/// How long a stopped tree has after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(5);
/// The same, for what a dead supervisor left.
const LEFTOVER_GRACE: Duration = Duration::from_secs(2);

/// Stops the supervisor's whole tree: Codex and its commands are its descendants and group
/// members; Codex's own recorded pid may already belong to someone else.
pub(super) fn stop_tree(files: &TaskFiles, meta: &TaskMeta) -> Result<(), LaunchError> {
    let Some(sup) = meta
        .launch()
        .supervisor_pid
        .filter(|_| files.supervisor_liveness() == Liveness::Alive)
    else {
        return Ok(());
    };
    let sup = sup as i32;
    terminate_tree(&[sup], Some(sup), TERM_GRACE).map_err(|pids| LaunchError::StillAlive {
        task_id: meta.task_id.clone(),
        pids,
    })
}

/// Stops what a dead supervisor left running: its process group, but only when Codex's
/// recorded pid is still in that group (so a reused pid is never signalled).
pub(super) fn stop_leftovers(meta: &TaskMeta) {
    let (Some(sup), Some(codex)) = (meta.launch().supervisor_pid, meta.launch().codex_pid) else {
        return;
    };
    let group = sup as i32;
    let ours = list_processes()
        .unwrap_or_default()
        .iter()
        .any(|p| p.pid == codex as i32 && p.pgid == group && !p.zombie);
    if ours {
        let _ = terminate_tree(&[codex as i32], Some(group), LEFTOVER_GRACE);
    }
}
