//! A finished task's answer, cut to fit a result's size budget and paged by character offset.
//! Every tool result stays under CODEXMCP_MAX_RESULT_CHARS, so a several-megabyte answer never
//! breaks a client; the caller reads the rest with `result_offset`.

use std::path::PathBuf;

use crate::store::{Outcome, TaskFiles};

/// Where a finished task's whole answer is.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `answer.md`, written when the answer was longer than the record holds.
    file: Option<PathBuf>,
    /// The answer as the record holds it (all of it when short).
    stored: String,
    pub(super) total_chars: usize,
    /// How much of it can be read: less than the total when `answer.md` could not be written
    /// (a full disk when the task ended).
    pub(super) readable_chars: usize,
}

impl Answer {
    pub fn of(files: &TaskFiles, outcome: &Outcome) -> Answer {
        let stored_chars = outcome.result.chars().count();
        let total_chars = outcome
            .answer_chars
            .unwrap_or(stored_chars)
            .max(stored_chars);
        let file = files.answer();
        let file = (total_chars > stored_chars && file.is_file()).then_some(file);
        Answer {
            readable_chars: if file.is_some() {
                total_chars
            } else {
                stored_chars
            },
            file,
            stored: outcome.result.clone(),
            total_chars,
        }
    }

    /// Up to `max` characters from character `offset`.
    pub(super) fn window(&self, offset: usize, max: usize) -> String {
        let whole;
        let text = match &self.file {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(t) => {
                    whole = t;
                    &whole
                }
                Err(_) => &self.stored,
            },
            None => &self.stored,
        };
        text.chars().skip(offset).take(max).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::contract::TaskView;
    use crate::store::{Sandbox, TaskMeta, TaskStatus};

    fn finished(answer: &str) -> (tempfile::TempDir, TaskView) {
        let dir = tempfile::tempdir().unwrap();
        let files = TaskFiles::at(dir.path());
        let keep: String = answer.chars().take(100).collect();
        if answer.chars().count() > 100 {
            std::fs::write(files.answer(), answer).unwrap();
        }
        let meta: TaskMeta = serde_json::from_value(serde_json::json!({
            "task_id": "codex-review-x-v1", "topic": "review-x-v1", "sandbox": Sandbox::ReadOnly,
            "cwd": "/w", "run_dir": "/w", "resume_session_id": null, "status": TaskStatus::Completed,
            "started_at": "", "started_at_ms": 0, "ended_at": "", "ended_at_ms": 1, "argv": [],
            "supervisor_pid": null, "codex_pid": null, "log_file": "/l", "link": null,
            "outcome": {"session_id": null, "result": keep, "exit_code": 0,
                        "usage": {}, "error": null, "answer_chars": answer.chars().count()}
        }))
        .unwrap();
        let view = TaskView::build(&files, &meta);
        (dir, view)
    }

    #[test]
    fn a_short_answer_is_whole_and_has_no_paging_fields() {
        let (_d, mut v) = finished("short");
        v.fit(0, 40_000);
        assert_eq!(v.result.as_deref(), Some("short"));
        assert_eq!((v.result_total_chars, v.next_offset), (None, None));
    }

    #[test]
    fn a_long_answer_pages_to_its_end_within_the_budget() {
        let answer: String = (0..30_000).map(|i| format!("é\"{i}\n")).collect();
        let total = answer.chars().count();
        let mut read = String::new();
        let mut offset = 0;
        for _ in 0..100 {
            let (_d, mut v) = finished(&answer);
            v.fit(offset, 10_000);
            assert!(serde_json::to_string(&v).unwrap().len() <= 10_000);
            assert_eq!(v.result_total_chars, Some(total));
            let text = v.result.clone().unwrap();
            let body = &text[..text.rfind("\n\n[").unwrap()];
            read.push_str(body);
            match v.next_offset {
                Some(next) => offset = next,
                None => break,
            }
        }
        assert_eq!(read, answer);
    }
}
