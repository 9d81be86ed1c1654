//! `<home>/events.jsonl`: one line per change of any task's status, appended by every server
//! and supervisor (a single `write` with `O_APPEND`, so lines from several processes never
//! mix), and rotated to `events.jsonl.1` past a size, so it never grows without bound. When a
//! task ends, `CODEXMCP_NOTIFY` is also run.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::fsutil::{open_append, open_lock_file};
use super::{EndedBy, TaskMeta, TaskStatus, now_ms, rfc3339};
use crate::vocab::Answerer;

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
    pub cause: EventCause,
    /// `asked` and `answered`: the question's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<u64>,
    /// `answered`: who answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Answerer>,
}

/// Why a task's status changed. Written as one word: `start`, `slot` (it got a place to run),
/// `queued`, `asked` (Codex asked a question), `answered` (a question was answered),
/// `withdrawn` (the turn ended with questions open), or who
/// ended it (an [`EndedBy`]: `codex`, `cancel_tool`, `client_cancel`, `task_cancel`, `attach`,
/// `session_closed`, `cli`, `timeout`, `unreachable`, `crash`, `recovered_at_start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventCause {
    Start,
    Slot,
    Queued,
    Asked,
    Answered,
    /// The turn ended while questions were open: nobody answered them.
    Withdrawn,
    #[serde(untagged)]
    Ended(EndedBy),
}

impl EventCause {
    pub fn as_str(self) -> &'static str {
        match self {
            EventCause::Start => "start",
            EventCause::Slot => "slot",
            EventCause::Queued => "queued",
            EventCause::Asked => "asked",
            EventCause::Answered => "answered",
            EventCause::Withdrawn => "withdrawn",
            EventCause::Ended(by) => by.as_str(),
        }
    }
}

impl std::fmt::Display for EventCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The store's event log (`events.jsonl`, rotated to `events.jsonl.1` past 4 MiB).
pub struct EventLog {
    home: PathBuf,
}

impl EventLog {
    /// The event log of the store at `home`.
    pub fn at(home: &Path) -> EventLog {
        EventLog {
            home: home.to_path_buf(),
        }
    }

    /// The event log's file.
    pub fn file(&self) -> PathBuf {
        self.home.join("events.jsonl")
    }

    /// Appends `event`; a log that cannot be written never stops a task.
    pub fn record(&self, event: &TaskEvent) {
        let Ok(mut line) = serde_json::to_vec(event) else {
            return;
        };
        line.push(b'\n');
        let path = self.file();
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
        let Ok(lock) = open_lock_file(&self.home.join(".events.lock")) else {
            return;
        };
        if lock.lock().is_ok() && large(path) {
            let _ = std::fs::rename(path, path.with_extension("jsonl.1"));
        }
    }
}

/// What a record said before a change, for the events the change makes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Before {
    pub status: Option<TaskStatus>,
    pub questions_asked: u64,
    pub approvals: usize,
}

impl Before {
    pub fn of(meta: &TaskMeta) -> Before {
        let c = meta.conversation();
        Before {
            status: Some(meta.status()),
            questions_asked: c.next_question() - 1,
            approvals: c.approvals().len(),
        }
    }
}

/// Records in the event log what changed from `before` to `meta`: each question asked and each
/// answer given, with its number (and who answered), and any other move of its status. Whoever
/// ends a task runs the notify program, with its own configuration (`runner::task_ended`).
pub(super) fn on_transition(log: &EventLog, before: Option<Before>, meta: &TaskMeta) {
    let from = before.and_then(|b| b.status);
    let event = |cause, request_id, by| TaskEvent {
        time: rfc3339(now_ms()),
        task_id: meta.task_id.clone(),
        from,
        to: meta.status(),
        cause,
        request_id,
        by,
    };
    let c = meta.conversation();
    let mut told = false;
    if let Some(b) = before {
        for q in c.open().iter().filter(|q| q.id > b.questions_asked) {
            log.record(&event(EventCause::Asked, Some(q.id), None));
            told = true;
        }
        for a in c.approvals().iter().skip(b.approvals) {
            log.record(&event(EventCause::Answered, Some(a.request_id), Some(a.by)));
            told = true;
        }
    }
    if told && !meta.status().is_final() || before.is_some() && from == Some(meta.status()) {
        return;
    }
    let ended_by = meta.outcome().and_then(|o| o.ended_by);
    let cause = match (from, meta.status()) {
        (None, _) => EventCause::Start,
        (_, to) if to.is_final() => EventCause::Ended(ended_by.unwrap_or(EndedBy::Codex)),
        (Some(TaskStatus::InputRequired), TaskStatus::Running) => EventCause::Withdrawn,
        (_, TaskStatus::InputRequired) => EventCause::Asked,
        (_, TaskStatus::Running) => EventCause::Slot,
        _ => EventCause::Queued,
    };
    log.record(&event(cause, None, None));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_rotated_past_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::at(dir.path());
        let event = |n: u32| TaskEvent {
            time: rfc3339(now_ms()),
            task_id: format!("codex-review-e_{n}-v1"),
            from: Some(TaskStatus::Running),
            to: TaskStatus::Completed,
            cause: EventCause::Ended(EndedBy::Codex),
            request_id: None,
            by: None,
        };
        std::fs::write(log.file(), vec![b'x'; ROTATE_BYTES as usize + 1]).unwrap();
        log.record(&event(1));
        let rotated = log.file().with_extension("jsonl.1");
        assert!(std::fs::metadata(&rotated).unwrap().len() > ROTATE_BYTES);
        let fresh = std::fs::read_to_string(log.file()).unwrap();
        assert_eq!(fresh.lines().count(), 1);
        assert_eq!(
            serde_json::from_str::<TaskEvent>(fresh.trim()).unwrap(),
            event(1).clone().with_time(&fresh)
        );
    }

    #[test]
    fn each_cause_is_written_as_its_one_word_and_read_back() {
        let causes = [
            EventCause::Start,
            EventCause::Slot,
            EventCause::Queued,
            EventCause::Asked,
            EventCause::Answered,
            EventCause::Withdrawn,
            EventCause::Ended(EndedBy::Codex),
            EventCause::Ended(EndedBy::TaskCancel),
            EventCause::Ended(EndedBy::RecoveredAtStart),
        ];
        for cause in causes {
            let json = serde_json::to_value(cause).unwrap();
            assert_eq!(json, serde_json::Value::from(cause.as_str()));
            assert_eq!(serde_json::from_value::<EventCause>(json).unwrap(), cause);
        }
        assert!(serde_json::from_str::<EventCause>("\"nonsense\"").is_err());
    }

    impl TaskEvent {
        fn with_time(mut self, line: &str) -> TaskEvent {
            self.time = serde_json::from_str::<TaskEvent>(line.trim()).unwrap().time;
            self
        }
    }
}
