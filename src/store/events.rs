//! `<home>/events.jsonl`: one line per change of any task's status, appended by every server
//! and supervisor (a single `write` with `O_APPEND`, so lines from several processes never
//! mix), and rotated to `events.jsonl.1` past a size, so it never grows without bound. When a
//! task ends, `CODEXMCP_NOTIFY` is also run.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::fsutil::open_append;
use super::layout::open_lock_file;
use super::{Store, TaskMeta, TaskStatus, now_ms, rfc3339};

/// Past this size the log is rotated.
const ROTATE_BYTES: u64 = 4 * 1024 * 1024;

/// One change of a task's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskEvent {
    /// RFC 3339 UTC.
    pub time: String,
    pub task_id: String,
    /// `None` when the task was created.
    pub from: Option<TaskStatus>,
    pub to: TaskStatus,
    /// `start`, `slot` (it got a place to run), `queued`, or who ended it: `codex`,
    /// `cancel_tool`, `client_cancel`, `task_cancel`, `attach`, `session_closed`, `cli`,
    /// `timeout`, `crash`, `recovered_at_start`.
    pub cause: String,
}

impl Store {
    /// The event log.
    pub fn events_file(&self) -> PathBuf {
        self.home().join("events.jsonl")
    }

    /// Appends `event`; a log that cannot be written never stops a task.
    pub fn record_event(&self, event: &TaskEvent) {
        let Ok(mut line) = serde_json::to_vec(event) else {
            return;
        };
        line.push(b'\n');
        let path = self.events_file();
        self.rotate_if_large(&path);
        if let Ok(mut f) = open_append(&path) {
            let _ = f.write_all(&line);
        }
    }

    fn rotate_if_large(&self, path: &Path) {
        let large = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.len() > ROTATE_BYTES);
        if !large(path) {
            return;
        }
        // One process rotates; the others see the fresh file when they look again.
        let Ok(lock) = open_lock_file(&self.home().join(".events.lock")) else {
            return;
        };
        if lock.lock().is_ok() && large(path) {
            let _ = std::fs::rename(path, path.with_extension("jsonl.1"));
        }
    }
}

/// Records `meta`'s move from `from` (when it changed) in the event log. Whoever ends a task
/// runs the notify program, with its own configuration (`runner::task_ended`).
pub(super) fn on_transition(task_dir: &Path, from: Option<TaskStatus>, meta: &TaskMeta) {
    let Some(store) = Store::of_task_dir(task_dir) else {
        return;
    };
    let ended_by = meta
        .outcome
        .as_ref()
        .and_then(|o| o.ended_by)
        .map(|e| e.as_str().to_string());
    let cause = match (from, meta.status) {
        (None, _) => "start".to_string(),
        (_, to) if to.is_final() => ended_by.unwrap_or_else(|| "codex".into()),
        (_, TaskStatus::Running) => "slot".into(),
        _ => "queued".into(),
    };
    store.record_event(&TaskEvent {
        time: rfc3339(now_ms()),
        task_id: meta.task_id.clone(),
        from,
        to: meta.status,
        cause,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_rotated_past_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        store.ensure().unwrap();
        let event = |n: u32| TaskEvent {
            time: rfc3339(now_ms()),
            task_id: format!("codex-review-e_{n}-v1"),
            from: Some(TaskStatus::Running),
            to: TaskStatus::Completed,
            cause: "codex".into(),
        };
        std::fs::write(store.events_file(), vec![b'x'; ROTATE_BYTES as usize + 1]).unwrap();
        store.record_event(&event(1));
        let rotated = store.events_file().with_extension("jsonl.1");
        assert!(std::fs::metadata(&rotated).unwrap().len() > ROTATE_BYTES);
        let fresh = std::fs::read_to_string(store.events_file()).unwrap();
        assert_eq!(fresh.lines().count(), 1);
        assert_eq!(
            serde_json::from_str::<TaskEvent>(fresh.trim()).unwrap(),
            event(1).clone().with_time(&fresh)
        );
    }

    impl TaskEvent {
        fn with_time(mut self, line: &str) -> TaskEvent {
            self.time = serde_json::from_str::<TaskEvent>(line.trim()).unwrap().time;
            self
        }
    }
}
