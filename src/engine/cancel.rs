//! Cancelling: mark the intent on disk (so the supervisor records `cancelled`), stop the whole
//! process tree, verify it is gone, and make sure the record says so.

use std::time::{Duration, Instant};

use super::recover::outcome_from_files;
use super::view::TaskView;
use super::{Engine, EngineError};
use crate::runner::{Tmux, terminate_tree};
use crate::store::{TaskStatus, now_ms, rfc3339, write_atomic};

const TERM_GRACE: Duration = Duration::from_secs(5);

/// What a cancel did.
pub struct Cancelled {
    pub view: TaskView,
    /// False when the task had already finished and nothing was changed.
    pub changed: bool,
}

impl Engine {
    /// Blocking: it waits for the processes to be gone (a few seconds at most).
    pub fn cancel(&self, task_id: &str) -> Result<Cancelled, EngineError> {
        let files = self.store.task(task_id);
        let meta = self.current_meta(task_id)?;
        if meta.status.is_final() {
            return Ok(Cancelled {
                view: TaskView::build(&files, &meta),
                changed: false,
            });
        }
        write_atomic(&files.cancel_marker(), rfc3339(now_ms()).as_bytes())?;

        // A supervisor that has not yet recorded its pid will see the marker and not start codex.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut meta = meta;
        while meta.supervisor_pid.is_none() && !meta.status.is_final() && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
            meta = files
                .read_meta()?
                .ok_or_else(|| EngineError::NotFound(task_id.into()))?;
        }
        // The supervisor's pid is safe to signal: its lock proves it alive (a dead one would
        // have been finalized above). Codex and its commands are found as its descendants and
        // group members; codex's own recorded pid may already belong to someone else.
        if let Some(sup) = meta.supervisor_pid.filter(|_| files.supervisor_alive()) {
            let sup = sup as i32;
            terminate_tree(&[sup], Some(sup), TERM_GRACE).map_err(|pids| {
                EngineError::StillAlive {
                    task_id: task_id.into(),
                    pids,
                }
            })?;
        }

        if let Some(session) = &meta.tmux_session
            && let Ok(tmux) = Tmux::locate()
        {
            tmux.kill_session(session);
            if tmux.has_session(session) {
                return Err(EngineError::Launch(format!(
                    "tmux session `{session}` could not be closed; close it with `tmux kill-session -t {session}`"
                )));
            }
        }
        let (status, outcome) = outcome_from_files(&files, true);
        let (meta, _) = files
            .update_meta(|m| m.finish(status, outcome))?
            .ok_or_else(|| EngineError::NotFound(task_id.into()))?;
        Ok(Cancelled {
            changed: meta.status == TaskStatus::Cancelled,
            view: TaskView::build(&files, &meta),
        })
    }
}
