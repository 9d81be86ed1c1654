//! Several tasks in one answer: `codex_status` with `task_ids`. Each id gets an entry, in the
//! order asked; an id that is no task is reported as such, not as a failure of the call. The
//! answers share the result's size budget.

use super::EngineError;
use super::contract::{BatchEntry, BriefTask, MissingTask, NotFound, TaskBatch, TaskView};
use crate::store::TaskStatus;

/// Room kept for the batch's own fields.
const BATCH_OVERHEAD: usize = 300;

/// How much of an error a brief entry keeps.
const BRIEF_ERROR_CHARS: usize = 160;

impl TaskBatch {
    /// The batch of `views` (one per id in `task_ids`), their answers cut so the whole stays
    /// within `budget` characters.
    pub fn of(
        task_ids: &[String],
        views: Vec<Result<TaskView, EngineError>>,
        budget: usize,
    ) -> TaskBatch {
        let mut views: Vec<Result<TaskView, String>> = views
            .into_iter()
            .map(|v| v.map_err(|e| e.to_string()))
            .collect();
        share_budget(&mut views, budget);
        let count = |s: &dyn Fn(TaskStatus) -> bool| {
            views
                .iter()
                .filter(|v| v.as_ref().is_ok_and(|v| s(v.status)))
                .count()
        };
        let ended = count(&|s| s.is_final());
        let running = count(&|s| !s.is_final());
        let tasks = task_ids
            .iter()
            .zip(views)
            .map(|(id, v)| match v {
                Ok(view) => BatchEntry::Task(Box::new(view)),
                Err(error) => BatchEntry::Missing(MissingTask {
                    task_id: id.clone(),
                    status: NotFound::NotFound,
                    error,
                }),
            })
            .collect();
        let mut batch = TaskBatch {
            tasks,
            ended,
            running,
            note: None,
        };
        batch.fit_to(budget);
        batch
    }

    /// When the views together still exceed `budget` (many tasks, a small budget), the largest
    /// are cut to their status, and at last the briefs lose their error.
    fn fit_to(&mut self, budget: usize) {
        let size = |b: &TaskBatch| serde_json::to_string(b).map_or(0, |s| s.len());
        while size(self) > budget {
            let largest = self
                .tasks
                .iter()
                .enumerate()
                .filter_map(|(i, e)| match e {
                    BatchEntry::Task(v) => Some((i, v.json_chars())),
                    _ => None,
                })
                .max_by_key(|(_, n)| *n);
            self.note = Some(
                "some tasks are cut to their status to keep this result within \
                 CODEXMCP_MAX_RESULT_CHARS: call codex_status with one task_id for its whole view"
                    .into(),
            );
            match largest {
                Some((i, _)) => {
                    if let BatchEntry::Task(v) = &self.tasks[i] {
                        self.tasks[i] = BatchEntry::Brief(BriefTask::of(v));
                    }
                }
                None => {
                    for e in &mut self.tasks {
                        if let BatchEntry::Brief(b) = e {
                            b.error = None;
                        }
                    }
                    return;
                }
            }
        }
    }
}

impl BriefTask {
    fn of(view: &TaskView) -> BriefTask {
        BriefTask {
            task_id: view.task_id.clone(),
            status: view.status,
            success: view.success,
            error: view
                .error
                .as_ref()
                .map(|e| crate::text::shorten(e, BRIEF_ERROR_CHARS)),
        }
    }
}

/// Each task is first cut to an equal share of the budget; then each finished one gets its
/// fixed fields plus an equal share of what is left for answers.
fn share_budget(views: &mut [Result<TaskView, String>], budget: usize) {
    let each = budget.saturating_sub(BATCH_OVERHEAD) / views.len().max(1);
    for view in views.iter_mut().flatten() {
        view.trim_fields(each);
    }
    let fixed: usize = views
        .iter()
        .map(|v| match v {
            Ok(view) => view.size_without_answer(),
            Err(e) => e.len() + 100,
        })
        .sum();
    let with_answers = views
        .iter()
        .filter(|v| v.as_ref().is_ok_and(TaskView::has_answer))
        .count()
        .max(1);
    let share = budget.saturating_sub(fixed + BATCH_OVERHEAD) / with_answers;
    for view in views.iter_mut().flatten() {
        let own = view.size_without_answer() + share;
        view.fit(0, own);
    }
}
