//! Keeping a task's view within a result's size budget whatever its fields hold: an error of
//! megabytes, a long stderr tail, hundreds of warnings. The answer is paged (`answer.rs`); the
//! other free-text fields are cut, longest first, each ending with where the whole text is.

use super::view::TaskView;

/// The caps tried in turn on each free-text field, until the view fits.
const CAPS: [usize; 8] = [8_000, 4_000, 2_000, 1_000, 500, 250, 120, 60];
/// Warnings kept, at the smallest caps, before the rest are counted instead.
const WARNINGS_KEPT: usize = 5;

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
        }
        self.drop_surplus_warnings(target);
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

/// `s` cut to about `cap` characters, ending with how much was cut and where the rest is.
fn cut_to(s: &mut String, cap: usize, whole: &str) {
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

#[cfg(test)]
mod tests {
    use crate::engine::view::TaskView;
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
