//! Finalizing a task whose supervisor is gone without writing a result (it was killed, or the
//! machine rebooted). Everything needed is in the task folder: the log, and the progress the
//! supervisor saved, from whose offset the log scan resumes.

use std::time::Duration;

use super::{Engine, EngineError};
use crate::runner::{
    Finalizer, Launch, conclude_from_files, list_processes, orphaned, task_ended, terminate_tree,
};
use crate::store::{Liveness, TaskFiles, TaskMeta};

impl Engine {
    /// True when a task recorded as running has no supervisor any more (the runner's rule).
    fn is_orphaned(&self, files: &TaskFiles, meta: &TaskMeta) -> bool {
        orphaned(files, meta, &self.config)
    }

    /// Finalizes an orphaned task from its log and stops any of its processes still running.
    /// Returns the record as it stands afterwards.
    pub(super) fn finalize_orphan(
        &self,
        files: &TaskFiles,
    ) -> Result<Option<TaskMeta>, EngineError> {
        self.finalize(files, false, Finalizer::Reader)
    }

    /// Like [`Engine::finalize_orphan`], by a server starting up.
    pub(super) fn finalize_at_start(
        &self,
        files: &TaskFiles,
    ) -> Result<Option<TaskMeta>, EngineError> {
        self.finalize(files, false, Finalizer::Startup)
    }

    /// Like [`Engine::finalize_orphan`], for a supervisor this process saw exit: no startup
    /// grace applies.
    pub(super) fn finalize_exited(
        &self,
        files: &TaskFiles,
    ) -> Result<Option<TaskMeta>, EngineError> {
        self.finalize(files, true, Finalizer::Reader)
    }

    fn finalize(
        &self,
        files: &TaskFiles,
        known_exited: bool,
        finalizer: Finalizer,
    ) -> Result<Option<TaskMeta>, EngineError> {
        let Some(meta) = files.read_meta()? else {
            return Ok(None);
        };
        let dead = known_exited
            && !meta.status().is_final()
            && files.supervisor_liveness() == Liveness::Dead;
        if !dead && !self.is_orphaned(files, &meta) {
            return Ok(Some(meta));
        }
        self.stop_leftovers(&meta);
        files.discard_launch_env();
        let (status, outcome) = conclude_from_files(files, finalizer);
        let updated = files.update_meta(|m| {
            // Re-checked under the task lock: another server may have finalized it meanwhile.
            files.supervisor_liveness() == Liveness::Dead && m.finish(status, outcome)
        })?;
        if let Some((meta, true)) = &updated {
            task_ended(&self.config, meta);
        }
        Ok(updated.map(|(m, _)| m))
    }

    /// Stops what a dead supervisor left running: its process group, but only when codex's
    /// recorded pid is still in that group (so a reused pid is never signalled), and the
    /// task's tmux session.
    fn stop_leftovers(&self, meta: &TaskMeta) {
        if let (Some(sup), Some(codex)) = (meta.launch().supervisor_pid, meta.launch().codex_pid) {
            let group = sup as i32;
            let ours = list_processes()
                .unwrap_or_default()
                .iter()
                .any(|p| p.pid == codex as i32 && p.pgid == group && !p.zombie);
            if ours {
                let _ = terminate_tree(&[codex as i32], Some(group), Duration::from_secs(2));
            }
        }
        let _ = Launch::of(meta).close(&self.config);
    }
}
