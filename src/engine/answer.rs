//! A finished task's answer, cut to fit a result's size budget and paged by character offset.
//! Every tool result stays under CODEXMCP_MAX_RESULT_CHARS, so a several-megabyte answer never
//! breaks a client; the caller reads the rest with `result_offset`.

use std::path::PathBuf;

use super::view::TaskView;
use crate::store::{Outcome, TaskFiles};

/// Room kept for the note that ends a cut answer.
const NOTE_RESERVE: usize = 400;
/// The other fields are cut to leave an answer at least this much room, budget allowing.
const MIN_WINDOW: usize = 1_000;

/// Where a finished task's whole answer is.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `answer.md`, written when the answer was longer than the record holds.
    file: Option<PathBuf>,
    /// The answer as the record holds it (all of it when short).
    stored: String,
    total_chars: usize,
    /// How much of it can be read: less than the total when `answer.md` could not be written
    /// (a full disk when the task ended).
    readable_chars: usize,
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
    fn window(&self, offset: usize, max: usize) -> String {
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

impl TaskView {
    /// True for a finished task whose answer [`TaskView::fit`] has yet to fill in.
    pub fn has_answer(&self) -> bool {
        self.answer.is_some()
    }

    /// What the view costs as JSON before its answer is filled in, with room for the note of a
    /// cut answer.
    pub fn size_without_answer(&self) -> usize {
        serde_json::to_string(self).map_or(0, |s| s.len()) + NOTE_RESERVE + 60
    }

    /// Fills in `result` from character `offset` on, as much as keeps the whole view within
    /// `budget` characters of JSON; a cut answer ends with a note saying how to read on.
    /// The other long fields are cut first when the view would not fit otherwise, leaving the
    /// answer a window of at least [`MIN_WINDOW`] characters when the budget allows it.
    pub fn fit(&mut self, offset: usize, budget: usize) {
        let floor = if self.answer.is_some() {
            NOTE_RESERVE + MIN_WINDOW.min(budget / 4)
        } else {
            0
        };
        self.trim_fields(budget.saturating_sub(floor));
        let Some(answer) = self.answer.take() else {
            return;
        };
        let total = answer.total_chars;
        // What the view costs without its text, with room for the paging fields and note.
        self.result = Some(String::new());
        self.result_total_chars = Some(total);
        self.next_offset = Some(total);
        let overhead = serde_json::to_string(self).map_or(0, |s| s.len()) + NOTE_RESERVE;
        let room = budget.saturating_sub(overhead);
        let offset = offset.min(total);
        let mut text = answer.window(offset, room);
        // JSON escapes (quotes, newlines, control characters) make text longer than itself.
        while json_len(&text) > room && !text.is_empty() {
            let keep = text.chars().count() * room / json_len(&text);
            text = text.chars().take(keep.saturating_sub(1)).collect();
        }
        let end = offset + text.chars().count();
        if offset == 0 && end >= total {
            self.result = Some(text);
            self.result_total_chars = None;
            self.next_offset = None;
            return;
        }
        let readable = answer.readable_chars;
        let more = end < readable;
        let note = if !more && readable < total {
            // Paging ends where what was kept ends: the rest cannot be read.
            format!(
                "\n\n[the end of what was kept: characters {offset} to {end} of {total}; the last \
                 {} characters of the answer were lost (the disk was full when the task ended)]",
                total - readable
            )
        } else if more {
            format!(
                "\n\n[cut: characters {offset} to {end} of {total} are shown. Call codex_status \
                 with task_id `{}` and result_offset {end} for the next part]",
                self.task_id
            )
        } else {
            format!("\n\n[the end: characters {offset} to {end} of {total}]")
        };
        self.result = Some(text + &note);
        self.next_offset = more.then_some(end);
    }
}

fn json_len(s: &str) -> usize {
    serde_json::to_string(s).map_or(0, |j| j.len())
}

#[cfg(test)]
mod tests {
    use super::*;
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
