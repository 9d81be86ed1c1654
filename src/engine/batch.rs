//! Several tasks in one answer: `codex_status` with `task_ids`. Each id gets an entry, in the
//! order asked; an id that is no task is reported as such, not as a failure of the call. The
//! answers share the result's size budget.

use schemars::JsonSchema;
use serde::Serialize;

use super::EngineError;
use super::view::TaskView;
use crate::store::TaskStatus;

/// Room kept for the batch's own fields.
const BATCH_OVERHEAD: usize = 300;

/// The tasks asked for, in the order asked.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskBatch {
    /// One entry per id asked for: the task (as codex_status reports one), or `not_found`.
    pub tasks: Vec<BatchEntry>,
    /// How many of them have ended.
    pub ended: usize,
    /// How many are still running.
    pub running: usize,
}

/// One entry of a batch.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum BatchEntry {
    Task(Box<TaskView>),
    Missing(MissingTask),
}

/// An id that names no task.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MissingTask {
    pub task_id: String,
    pub status: NotFound,
    /// Why, and what to do.
    pub error: String,
}

/// The status of an id that names no task.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotFound {
    NotFound,
}

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
        TaskBatch {
            tasks,
            ended,
            running,
        }
    }
}

/// Each finished task gets its fixed fields plus an equal share of what is left for answers.
fn share_budget(views: &mut [Result<TaskView, String>], budget: usize) {
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
