//! Reading one task. Every read first finalizes a task whose supervisor died, so a status never
//! claims `running` for a run that is over.

use super::contract::TaskView;
use super::{Engine, EngineError};
use crate::runner::Launch;
use crate::store::{TaskId, TaskMeta, TaskStatus};

impl Engine {
    /// The task's record after finalizing it if its supervisor is gone, and completing it if it
    /// is finished.
    pub(super) fn reconciled_meta(&self, task_id: &TaskId) -> Result<TaskMeta, EngineError> {
        let files = self.store.task(task_id);
        let meta = self
            .finalize_orphan(&files)?
            .ok_or_else(|| EngineError::NotFound(task_id.clone()))?;
        self.settle(&files, meta)
    }
}

/// Finalizes every task left `running` by supervisors that are gone. Run at startup.
pub(super) fn recover_all(engine: &Engine) -> usize {
    let Ok(ids) = engine.store.task_ids() else {
        return 0;
    };
    ids.iter()
        .filter(|id| {
            let files = engine.store.task(id);
            let running = files
                .read_summary()
                .ok()
                .flatten()
                .is_some_and(|t| !t.status.is_final());
            running
                && engine
                    .finalize_at_start(&files)
                    .ok()
                    .flatten()
                    .is_some_and(|m| m.status().is_final())
        })
        .count()
}

/// Replaces this process with one attached to `view`'s task on this terminal, however the
/// task was launched. Returns only when that could not be done, saying why.
pub(super) fn attach_here(engine: &Engine, view: &TaskView) -> String {
    let meta = TaskId::parse(&view.task_id)
        .ok()
        .and_then(|id| engine.store.task(&id).read_meta().ok().flatten());
    match meta {
        Some(meta) => Launch::of(&meta).attach_here(&engine.config),
        None => format!("{} has no readable record", view.task_id),
    }
}

/// One task in full: its progress while it runs, its result once finished.
/// A full disk does not make this fail: the task is reported as recorded, and a warning
/// names the disk.
pub(super) fn status(engine: &Engine, task_id: &TaskId) -> Result<TaskView, EngineError> {
    let files = engine.store.task(task_id);
    let meta = match engine.reconciled_meta(task_id) {
        Ok(m) => m,
        Err(EngineError::Store(e)) if e.is_disk_full() => files
            .read_meta()?
            .ok_or_else(|| EngineError::NotFound(task_id.clone()))?,
        Err(e) => return Err(e),
    };
    let mut view = TaskView::build(&files, &meta);
    if meta.status() == TaskStatus::Queued {
        let pool = engine.store.pool(Launch::of(&meta).host());
        view.queue_position = pool.queue_position(task_id);
    }
    if !meta.status().is_final()
        && let Some(warning) = engine.store.disk_full_warning()
    {
        view.warnings.push(warning);
    }
    Ok(view)
}
