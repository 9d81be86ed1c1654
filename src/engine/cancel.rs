//! Cancelling: mark the intent on disk (so the supervisor records `cancelled`), stop the whole
//! process tree, verify it is gone, and make sure the record says so.

use std::time::{Duration, Instant};

use super::contract::{CancelView, TaskView};
use super::{Engine, EngineError};
use crate::runner::{Finalizer, Launch, conclude_from_files, task_ended};
use crate::store::{
    CancelRequest, EndedBy, TaskFiles, TaskId, TaskMeta, TaskStatus, now_ms, rfc3339,
};

/// How long a cancel waits for a just-launched supervisor to record its pid.
const SUPERVISOR_START_WAIT: Duration = Duration::from_secs(5);

impl Engine {
    /// A supervisor that has not yet recorded its pid will see the cancel marker and not start
    /// codex; this waits until it has recorded its pid or ended.
    fn wait_for_supervisor(
        &self,
        task_id: &TaskId,
        files: &TaskFiles,
        mut meta: TaskMeta,
    ) -> Result<TaskMeta, EngineError> {
        let deadline = Instant::now() + SUPERVISOR_START_WAIT;
        while meta.launch().supervisor_pid.is_none()
            && !meta.status().is_final()
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
            meta = files
                .read_meta()?
                .ok_or_else(|| EngineError::NotFound(task_id.clone()))?;
        }
        Ok(meta)
    }
}

/// Stops the task; `by` and `reason` say who asked and why, for the record. Blocking: it
/// waits for the processes to be gone (a few seconds at most).
pub(super) fn cancel(
    engine: &Engine,
    task_id: &TaskId,
    by: EndedBy,
    reason: Option<String>,
) -> Result<CancelView, EngineError> {
    let files = engine.store.task(task_id);
    let meta = engine.reconciled_meta(task_id)?;
    if meta.status().is_final() {
        return Ok(CancelView {
            note: Some(format!(
                "the task had already finished ({}); nothing was changed",
                meta.status()
            )),
            task: TaskView::build(&files, &meta),
            cancelled: false,
        });
    }
    let first = files.request_cancel(&CancelRequest {
        by,
        reason,
        at: rfc3339(now_ms()),
        canceller_notifies: true,
        answer: None,
    })?;
    let meta = engine.wait_for_supervisor(task_id, &files, meta)?;
    // The launch stops what it started, however and wherever it started it.
    let launch = Launch::of(&meta);
    launch.stop(&files, &meta)?;
    launch.close(&engine.config)?;
    let (status, outcome) = conclude_from_files(&files, Finalizer::Reader);
    let (meta, ended) = files
        .update_meta(|m| m.finish(status, outcome))?
        .ok_or_else(|| EngineError::NotFound(task_id.clone()))?;
    // This cancel runs the notify program when it ended the task, or when its supervisor
    // recorded the cancel it asked for (and left the notifying to it).
    if ended || (first && meta.status() == TaskStatus::Cancelled) {
        task_ended(&engine.config, &meta);
    }
    let meta = engine.settle(&files, meta)?;
    // Two cancels racing both stop the tree; the one whose request came first stopped the
    // task, and only it says so.
    let cancelled = first && meta.status() == TaskStatus::Cancelled;
    Ok(CancelView {
        cancelled,
        note: (!first).then(|| {
            format!(
                "another cancel of this task came first; the task is {}",
                meta.status()
            )
        }),
        task: TaskView::build(&files, &meta),
    })
}
