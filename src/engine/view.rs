//! What the tools report about a task: built from `meta.json` and, while it runs,
//! `progress.json`. Both are small files, whatever the size of the log. The result types
//! themselves are in `contract/`.

use super::answer::Answer;
use super::contract::{DispatchView, IsolationView, ProgressView, TaskView};
use crate::codex::{Progress, Usage, relative_to, review_from_text};
use crate::runner::Launch;
use crate::store::{
    Failure, Outcome, TaskFiles, TaskMeta, TaskStatus, now_ms, own_usage, read_json, session_total,
};
use crate::vocab::Review;

impl TaskView {
    /// The view of the task recorded in `meta`. A finished task's `result` is filled in by
    /// [`TaskView::fit`], which keeps it within the result's size budget.
    pub fn build(files: &TaskFiles, meta: &TaskMeta) -> TaskView {
        let now = now_ms();
        let mut view = TaskView::recorded(meta, now);
        let total = match (meta.outcome(), meta.status().is_final()) {
            (Some(o), true) => view.add_outcome(files, meta, o),
            _ => view.add_progress(files, meta, now),
        };
        view.set_usage(meta, total);
        if meta.status().is_final() {
            view.add_git_summary(meta);
        }
        view
    }

    /// What the record says of the task itself, before its outcome or progress is read.
    fn recorded(meta: &TaskMeta, now: u64) -> TaskView {
        let launch = meta.launch();
        let reviewed = launch.review.as_ref().map(|r| {
            let folder = meta.placement().run_dir.display();
            format!("{} in {folder}", r.describe())
        });
        TaskView {
            success: meta.status() == TaskStatus::Completed,
            status: meta.status(),
            queue_position: None,
            task_id: meta.task_id.clone(),
            topic: meta.topic.clone(),
            sandbox: meta.sandbox,
            cwd: meta.placement().cwd.display().to_string(),
            host: launch.launched.host().map(str::to_string),
            session_id: meta.resume_session_id.clone(),
            result: None,
            result_total_chars: None,
            next_offset: None,
            exit_code: None,
            elapsed_seconds: meta.elapsed_seconds(now),
            usage: Usage::default(),
            session_usage: Usage::default(),
            usage_is_cumulative: false,
            model: launch.options.model.clone(),
            reasoning_effort: launch
                .options
                .reasoning_effort
                .as_ref()
                .map(|e| e.to_string()),
            profile: launch.options.profile.clone(),
            timeout_seconds: launch.timeout_seconds,
            log_file: meta.log_file.display().to_string(),
            started_at: meta.started_at.clone(),
            ended_at: meta.end().ended_at.clone(),
            error: None,
            failure: None,
            readonly_audit: meta.end().readonly_audit.clone(),
            attempts: meta.end().attempts.clone(),
            input_request: meta.conversation().oldest().cloned(),
            input_requests: meta.conversation().open().to_vec(),
            approvals: meta.conversation().approvals().to_vec(),
            approvals_left_out: None,
            steers: meta.conversation().steers().to_vec(),
            steers_left_out: None,
            ended_by: None,
            warnings: meta.warnings().to_vec(),
            progress: None,
            review: None,
            isolation: IsolationView::of(meta),
            answer: None,
            reviewed,
        }
    }

    /// A finished task's outcome: its answer, how it ended and why; returns its usage.
    fn add_outcome(&mut self, files: &TaskFiles, meta: &TaskMeta, o: &Outcome) -> Usage {
        self.session_id = o.session_id.clone().or(self.session_id.take());
        self.answer = Some(Answer::of(files, o));
        self.exit_code = o.exit_code;
        self.error = o.error.clone();
        self.failure = o.failure.clone().map(|f| without_error(f, &o.error));
        // An attempt that failed the same way as the task says so, not the words again.
        for a in &mut self.attempts {
            if o.error.as_deref() == Some(a.error.as_str()) {
                a.error = "as `error`".into();
            }
        }
        self.ended_by = o.ended_by;
        self.review = review_of(meta, o, self.answer.as_ref());
        o.usage
    }

    fn set_usage(&mut self, meta: &TaskMeta, recorded: Usage) {
        let resumed = meta.resume_session_id.is_some();
        let engine = meta.launch().engine;
        let (own, cumulative) = own_usage(recorded, resumed, meta.usage_before, engine);
        self.usage = own;
        self.usage_is_cumulative = cumulative;
        // Codex reports usage when a turn ends; until then the session stands where it was.
        self.session_usage = match meta.usage_before {
            Some(before) if recorded.is_zero() => before,
            before => session_total(recorded, before, engine),
        };
    }

    /// Returns the session's token total so far.
    fn add_progress(&mut self, files: &TaskFiles, meta: &TaskMeta, now: u64) -> Usage {
        let p: Progress = read_json(&files.progress())
            .ok()
            .flatten()
            .unwrap_or_default();
        self.session_id = p.session_id.clone().or(self.session_id.take());
        let last = p.last_event_at_ms.unwrap_or(meta.started_at_ms);
        self.progress = Some(ProgressView {
            phase: p.phase,
            commands_run: p.commands_run,
            files_changed: p.files_changed,
            last_message: p.last_message,
            last_command: p.last_command,
            idle_seconds: seconds(now.saturating_sub(last)),
            last_error_seconds_ago: p
                .last_error
                .as_ref()
                .and(p.last_error_at_ms)
                .map(|at| seconds(now.saturating_sub(at))),
            retrying: p.last_error_at_ms.is_some() && p.last_error_at_ms >= p.last_event_at_ms,
            last_error: p.last_error,
            command_started_at_ms: p.command_started_at_ms,
        });
        p.usage
    }

    /// What the task changed on its branch, as taken when it ended.
    fn add_git_summary(&mut self, meta: &TaskMeta) {
        if let (Some(iso), Some(g)) = (self.isolation.as_mut(), &meta.end().branch_summary) {
            iso.commits_ahead = Some(g.commits_ahead);
            iso.diff_stat = Some(g.diff_stat.clone());
            iso.uncommitted_changes = Some(g.uncommitted_changes);
        }
        if let Some(iso) = self.isolation.as_mut() {
            iso.checkout_changes = meta.end().checkout_changes.clone();
            iso.next_steps = match meta
                .placement()
                .worktree
                .as_ref()
                .and_then(|w| w.bring_home.as_ref())
            {
                // On a host: the work is there, and comes here by git.
                Some(home) => Some(format!(
                    "the work is on branch `{}` in `{}` on host `{}`: {home}, then review and \
                     merge it as any branch",
                    iso.agent_branch,
                    iso.worktree_dir,
                    self.host.as_deref().unwrap_or_default()
                )),
                None => next_steps(iso, &meta.task_id),
            };
        }
    }
}

/// What to do with a finished full-access task's work, as its state says: nothing when it is
/// landed or there is none.
fn next_steps(iso: &IsolationView, task_id: &str) -> Option<String> {
    if iso.landed.is_some() {
        return None;
    }
    let ahead = iso.commits_ahead.unwrap_or(0);
    let loose = iso.uncommitted_changes.unwrap_or(0);
    if ahead == 0 && loose == 0 {
        return Some("Codex changed nothing in its worktree: nothing to land".into());
    }
    Some(format!(
        "{ahead} commit(s) ahead of {}, {loose} path(s) changed but not committed: review with \
         codex_review {{\"task_id\": \"{task_id}\"}}, then land with codex_land (it commits \
         what is uncommitted)",
        iso.base_branch
    ))
}

/// What a completed review task found: the reviewer's own JSON where the engine kept it, else
/// Codex's rendering of it (the answer), read back; files relative to the folder reviewed.
fn review_of(meta: &TaskMeta, o: &Outcome, answer: Option<&Answer>) -> Option<Review> {
    meta.launch().review.as_ref()?;
    if meta.status() != TaskStatus::Completed {
        return None;
    }
    let review = match (&o.review, answer) {
        (Some(r), _) => r.clone(),
        (None, Some(a)) => review_from_text(&a.window(0, usize::MAX)),
        (None, None) => review_from_text(&o.result),
    };
    Some(relative_to(review, &meta.placement().run_dir))
}

/// Milliseconds as seconds, to one decimal.
fn seconds(ms: u64) -> f64 {
    (ms as f64 / 100.0).round() / 10.0
}

impl IsolationView {
    /// The worktree and session of a full-access task; `None` for a read-only one.
    fn of(meta: &TaskMeta) -> Option<IsolationView> {
        let wt = meta.placement().worktree.as_ref()?;
        // Recorded with every full-access task; named by the same rule if not.
        let watch = Launch::of(meta)
            .watch()
            .or_else(|| Launch::for_task(meta.sandbox, &meta.topic, None).watch());
        // What the launch made goes when the task ends: a finished task has none to offer.
        let watch = watch.filter(|_| !meta.status().is_final());
        Some(IsolationView {
            landed: meta.end().landed.clone(),
            next_steps: None,
            worktree_dir: wt.dir.display().to_string(),
            agent_branch: wt.branch.clone(),
            base_branch: wt.base_branch.clone(),
            attach_command: watch.as_ref().map(|w| w.command.clone()),
            watched_in: watch.map(|w| w.name),
            commits_ahead: None,
            diff_stat: None,
            uncommitted_changes: None,
            checkout_changes: None,
        })
    }
}

impl DispatchView {
    pub fn of(meta: &TaskMeta) -> DispatchView {
        DispatchView {
            task_id: meta.task_id.clone(),
            status: meta.status(),
            topic: meta.topic.clone(),
            started_at: meta.started_at.clone(),
            log_file: meta.log_file.display().to_string(),
            isolation: IsolationView::of(meta),
            warnings: meta.warnings().to_vec(),
        }
    }
}

/// A failure whose `detail` does not repeat the task's `error`: Codex's message is said once,
/// and the detail keeps what it adds (the end of Codex's stderr).
fn without_error(mut failure: Failure, error: &Option<String>) -> Failure {
    if let Some(error) = error.as_deref().map(str::trim).filter(|e| !e.is_empty())
        && let Some(rest) = failure.detail.trim_start().strip_prefix(error)
    {
        failure.detail = rest.trim_start().to_string();
    }
    failure
}
