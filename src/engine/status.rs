//! Reading tasks: one in full, or the list. Every read first finalizes tasks whose
//! supervisor died, so a status never claims `running` for a run that is over.

use super::recover::finalize_orphan;
use super::view::{TaskListing, TaskView, listing_line};
use super::{Engine, EngineError};
use crate::store::{TaskMeta, TaskStatus, TaskSummary};

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

    /// The newest `limit` tasks, one line each. Reads only the small fields of each record.
    pub fn list(&self, limit: usize) -> Result<TaskListing, EngineError> {
        let mut tasks: Vec<TaskSummary> = self
            .store
            .task_ids()?
            .iter()
            .filter_map(|id| self.store.task(id).read_summary().ok().flatten())
            .collect();
        tasks.sort_by(|a, b| {
            b.started_at_ms
                .cmp(&a.started_at_ms)
                .then(b.task_id.cmp(&a.task_id))
        });
        let total = tasks.len();
        tasks.truncate(limit);
        for t in tasks.iter_mut().filter(|t| t.status == TaskStatus::Running) {
            let files = self.store.task(&t.task_id);
            if finalize_orphan(&files).is_ok()
                && let Ok(Some(fresh)) = files.read_summary()
            {
                *t = fresh;
            }
        }
        Ok(TaskListing {
            total,
            shown: tasks.len(),
            tasks: tasks.iter().map(listing_line).collect(),
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
                let running = files
                    .read_summary()
                    .ok()
                    .flatten()
                    .is_some_and(|t| t.status == TaskStatus::Running);
                running
                    && finalize_orphan(&files)
                        .ok()
                        .flatten()
                        .is_some_and(|m| m.status.is_final())
            })
            .count()
    }
}
