//! Reading tasks: one in full, or the list. Every read first finalizes tasks whose
//! supervisor died, so a status never claims `running` for a run that is over.

use super::recover::finalize_orphan;
use super::view::{TaskListing, TaskView, listing_line};
use super::{Engine, EngineError};
use crate::store::{TaskMeta, TaskStatus};

impl Engine {
    pub fn status(&self, task_id: &str) -> Result<TaskView, EngineError> {
        let files = self.store.task(task_id);
        let meta = self.current_meta(task_id)?;
        Ok(TaskView::build(&files, &meta))
    }

    /// The task's record after finalizing it if its supervisor is gone.
    pub fn current_meta(&self, task_id: &str) -> Result<TaskMeta, EngineError> {
        let files = self.store.task(task_id);
        finalize_orphan(&files)?.ok_or_else(|| EngineError::NotFound(task_id.to_string()))
    }

    /// The newest `limit` tasks, one line each.
    pub fn list(&self, limit: usize) -> Result<TaskListing, EngineError> {
        let mut metas: Vec<TaskMeta> = Vec::new();
        for id in self.store.task_ids()? {
            let files = self.store.task(&id);
            let Ok(Some(meta)) = files.read_meta() else {
                continue;
            };
            metas.push(meta);
        }
        metas.sort_by(|a, b| {
            b.started_at_ms
                .cmp(&a.started_at_ms)
                .then(b.task_id.cmp(&a.task_id))
        });
        let total = metas.len();
        metas.truncate(limit);
        for meta in metas.iter_mut().filter(|m| m.status == TaskStatus::Running) {
            if let Ok(Some(fresh)) = finalize_orphan(&self.store.task(&meta.task_id)) {
                *meta = fresh;
            }
        }
        Ok(TaskListing {
            total,
            shown: metas.len(),
            tasks: metas.iter().map(listing_line).collect(),
        })
    }

    /// Finalizes every task left `running` by supervisors that are gone. Run at startup.
    pub fn recover_all(&self) -> usize {
        let Ok(ids) = self.store.task_ids() else {
            return 0;
        };
        ids.iter()
            .filter(|id| {
                let files = self.store.task(id);
                let before = files.read_meta().ok().flatten().map(|m| m.status);
                let after = finalize_orphan(&files).ok().flatten().map(|m| m.status);
                before == Some(TaskStatus::Running) && after.is_some_and(|s| s.is_final())
            })
            .count()
    }
}
