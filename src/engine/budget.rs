//! Keeping a task's view within a result's size budget whatever its fields hold: an error of
//! megabytes, a long stderr tail, hundreds of warnings. The answer is paged by character
//! offset (`answer.rs` knows where it is); the other free-text fields are cut, longest first,
//! each ending with where the whole text is.

use super::contract::TaskView;

/// Room kept for the note that ends a cut answer.
const NOTE_RESERVE: usize = 400;
/// The other fields are cut to leave an answer at least this much room, budget allowing.
const MIN_WINDOW: usize = 1_000;

/// The caps tried in turn on each free-text field, until the view fits.
const CAPS: [usize; 8] = [8_000, 4_000, 2_000, 1_000, 500, 250, 120, 60];
/// Warnings kept, at the smallest caps, before the rest are counted instead.
const WARNINGS_KEPT: usize = 5;
/// Steers and approvals kept (the newest), at the smallest caps, before the rest are counted.
const CONVERSATION_KEPT: usize = 5;

impl TaskView {
    /// This view as JSON, in characters (its answer as filled in so far).
    pub(super) fn json_chars(&self) -> usize {
        serde_json::to_string(self).map_or(0, |s| s.len())
    }

    /// Cuts the free-text fields (error, failure detail and hint, warnings, attempts' errors,
    /// the progress messages) until the view is at most `target` characters of JSON, or as
    /// small as cutting makes it.
    pub(super) fn trim_fields(&mut self, target: usize) {
        for cap in CAPS {
            if self.json_chars() <= target {
                return;
            }
            let whole = format!("{} and codex-stderr.log beside it", self.log_file);
            let cut = |s: &mut String| cut_to(s, cap, &whole);
            if let Some(e) = self.error.as_mut() {
                cut(e);
            }
            if let Some(f) = self.failure.as_mut() {
                cut(&mut f.detail);
                cut(&mut f.hint);
            }
            self.warnings.iter_mut().for_each(cut);
            self.attempts.iter_mut().for_each(|a| cut(&mut a.error));
            if let Some(p) = self.progress.as_mut() {
                [&mut p.last_message, &mut p.last_command, &mut p.last_error]
                    .into_iter()
                    .flatten()
                    .for_each(cut);
            }
            if let Some(a) = self.readonly_audit.as_mut() {
                a.violations.iter_mut().for_each(cut);
            }
            self.cut_conversation(&|s: &mut String| cut_to(s, cap, &whole));
            if let Some(r) = self.review.as_mut() {
                r.explanation.iter_mut().for_each(cut);
                r.findings.iter_mut().for_each(|f| cut(&mut f.body));
            }
        }
        self.drop_surplus_warnings(target);
        self.drop_older_conversation(target);
        self.drop_later_findings(target);
    }

    /// When even short findings do not fit, the first ones stay (Codex lists the most urgent
    /// first) and the rest are counted; the answer and the log have them all.
    fn drop_later_findings(&mut self, target: usize) {
        while self.json_chars() > target
            && let Some(r) = self.review.as_mut()
            && r.findings.pop().is_some()
        {
            r.findings_omitted += 1;
        }
    }

    /// Cuts the texts of the conversation: the questions, the answers' commands, the steers.
    fn cut_conversation(&mut self, cut: &dyn Fn(&mut String)) {
        for q in self
            .input_request
            .iter_mut()
            .chain(&mut self.input_requests)
        {
            cut_question(q, cut);
        }
        for a in &mut self.approvals {
            a.command.iter_mut().for_each(cut);
            a.note.iter_mut().for_each(cut);
        }
        self.steers.iter_mut().for_each(|s| cut(&mut s.prompt));
    }

    /// When even cut texts do not fit, the newest steers and answers stay and the older ones
    /// are counted. The open questions all stay: each is needed to answer it.
    fn drop_older_conversation(&mut self, target: usize) {
        if self.json_chars() <= target {
            return;
        }
        if self.steers.len() > CONVERSATION_KEPT {
            let more = self.steers.len() - CONVERSATION_KEPT;
            self.steers.drain(..more);
            self.steers_left_out = Some(more);
        }
        if self.approvals.len() > CONVERSATION_KEPT {
            let more = self.approvals.len() - CONVERSATION_KEPT;
            self.approvals.drain(..more);
            self.approvals_left_out = Some(more);
        }
    }

    /// When even short warnings do not fit, the first few stay and the rest are counted.
    fn drop_surplus_warnings(&mut self, target: usize) {
        if self.json_chars() <= target || self.warnings.len() <= WARNINGS_KEPT {
            return;
        }
        let more = self.warnings.len() - WARNINGS_KEPT;
        self.warnings.truncate(WARNINGS_KEPT);
        self.warnings.push(format!(
            "… and {more} more warning(s), in the task's meta.json beside {}",
            self.log_file
        ));
    }
}

/// A question's texts cut with `cut` (its paths: each, and past a few, counted).
pub(super) fn cut_question(q: &mut crate::store::InputRequest, cut: &dyn Fn(&mut String)) {
    [&mut q.command, &mut q.cwd, &mut q.reason, &mut q.host]
        .into_iter()
        .flatten()
        .for_each(cut);
    q.paths.iter_mut().for_each(cut);
    // Once cut, the list holds its first few and the count of the rest.
    if q.paths.len() > CONVERSATION_KEPT + 1 {
        let more = q.paths.len() - CONVERSATION_KEPT;
        q.paths.truncate(CONVERSATION_KEPT);
        q.paths
            .push(format!("… and {more} more (codex-mcp show lists them)"));
    }
}

/// `s` cut to about `cap` characters, ending with how much was cut and where the rest is.
pub(super) fn cut_to(s: &mut String, cap: usize, whole: &str) {
    let total = s.chars().count();
    if total <= cap {
        return;
    }
    let kept: String = s.chars().take(cap).collect();
    *s = format!(
        "{kept} … [cut: {} more characters; see {whole}]",
        total - cap
    );
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
        // A task that did not complete and said nothing has no result, not an empty one.
        if total == 0 && self.status != crate::store::TaskStatus::Completed {
            return;
        }
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
    use crate::engine::contract::TaskView;
    use crate::store::{Sandbox, TaskFiles, TaskMeta, TaskStatus};

    fn failed(error: &str, warnings: usize) -> TaskView {
        let meta: TaskMeta = serde_json::from_value(serde_json::json!({
            "task_id": "codex-review-x-v1", "topic": "review-x-v1", "sandbox": Sandbox::ReadOnly,
            "cwd": "/w", "run_dir": "/w", "resume_session_id": null, "status": TaskStatus::Failed,
            "started_at": "", "started_at_ms": 0, "ended_at": "", "ended_at_ms": 1, "argv": [],
            "supervisor_pid": null, "codex_pid": null, "log_file": "/store/tasks/x/codex-exec.log",
            "link": null,
            "warnings": (0..warnings).map(|i| format!("warning {i}: {}", "w".repeat(300))).collect::<Vec<_>>(),
            "outcome": {"session_id": null, "result": "", "exit_code": 1, "usage": {},
                        "error": error,
                        "failure": {"kind": "unknown", "retryable": false, "hint": "h",
                                    "detail": format!("{error}\ncodex's stderr ends with:\n{}", "s".repeat(20_000))}}
        }))
        .unwrap();
        TaskView::build(&TaskFiles::at(std::path::Path::new("/nonexistent")), &meta)
    }

    #[test]
    fn a_failed_task_with_long_fields_fits_any_budget_and_says_where_the_rest_is() {
        for budget in [4_000, 10_000, 40_000] {
            let mut v = failed(&"e".repeat(50_000), 200);
            v.fit(0, budget);
            let json = serde_json::to_string(&v).unwrap();
            assert!(json.len() <= budget, "{} > {budget}", json.len());
            assert!(json.contains("[cut: "), "{json}");
            assert!(json.contains("codex-exec.log"), "{json}");
        }
    }

    #[test]
    fn twenty_failed_tasks_in_one_batch_stay_within_the_budget() {
        for budget in [4_000, 40_000] {
            let ids: Vec<String> = (0..20).map(|i| format!("codex-review-x{i}-v1")).collect();
            let views = (0..20).map(|_| Ok(failed(&"e".repeat(5_000), 3))).collect();
            let batch = crate::engine::TaskBatch::of(&ids, views, budget);
            let json = serde_json::to_string(&batch).unwrap();
            assert!(json.len() <= budget, "{} > {budget}", json.len());
        }
    }

    #[test]
    fn the_failure_detail_does_not_repeat_the_error() {
        let v = failed("the model said no", 0);
        let detail = &v.failure.as_ref().unwrap().detail;
        assert!(!detail.contains("the model said no"), "{detail}");
        assert!(detail.starts_with("codex's stderr ends with:"), "{detail}");
    }
}
