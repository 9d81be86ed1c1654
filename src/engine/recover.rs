//! Finalizing a task whose supervisor is gone without writing a result (it was killed, or the
//! machine rebooted). Everything needed is in the task folder: the log, and the progress the
//! supervisor saved, from whose offset the log scan resumes.

use super::{Engine, EngineError};
use crate::runner::{Finalizer, Launch, conclude_from_files, orphaned, task_ended};
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

    /// Stops what a dead supervisor left running, as its launch knows how, and closes what
    /// the launch left.
    fn stop_leftovers(&self, meta: &TaskMeta) {
        let launch = Launch::of(meta);
        launch.stop_leftovers(meta);
        let _ = launch.close(&self.config);
    }
}
