//! The task list: `codex_status` without a `task_id`, and `codex-mcp list`. It reads only the
//! small fields of each record, so a store of thousands of tasks lists in milliseconds, and it
//! stops adding entries at a size budget, so the answer stays cheap for a calling model.

use super::contract::{TaskList, TaskListEntry};
use super::{Engine, EngineError};
use crate::codex::Usage;
use crate::store::{TaskStatus, TaskSummary, now_ms};

/// Room kept in the result budget for the list's own fields.
const LIST_OVERHEAD: usize = 1_000;

impl TaskListEntry {
    fn of(t: &TaskSummary, now: u64) -> TaskListEntry {
        TaskListEntry {
            tokens: t.own_usage().0.total(),
            task_id: t.task_id.clone(),
            status: t.status,
            topic: t.topic.clone(),
            sandbox: t.sandbox,
            cwd: t.cwd.display().to_string(),
            host: crate::runner::Launch::host(&t.launched).map(str::to_string),
            started_at: t.started_at.clone(),
            elapsed_seconds: t.elapsed_seconds(now),
            input_request: None,
            input_requests: Vec::new(),
        }
        .with_questions(t.open_questions())
    }

    /// The entry with the questions its task waits on, each text cut short: one long question
    /// must not push a task out of the list.
    fn with_questions(mut self, mut open: Vec<crate::store::InputRequest>) -> TaskListEntry {
        for q in &mut open {
            super::budget::cut_question(q, &|s| {
                super::budget::cut_to(s, LIST_TEXT_MAX, "codex_status with its task_id")
            });
        }
        self.input_request = open.first().cloned();
        self.input_requests = open;
        self
    }
}

/// The longest text of a question in the list.
const LIST_TEXT_MAX: usize = 300;

/// Which tasks a list holds.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// The newest this many.
    pub limit: usize,
    /// Only tasks in this status.
    pub status: Option<TaskStatus>,
    /// Only tasks started for this directory.
    pub cwd: Option<std::path::PathBuf>,
    /// At most this many characters of entries (a tool result); none for a person.
    pub budget: Option<usize>,
}

/// The newest tasks `filter` lets through. A task listed as running whose supervisor is
/// gone is finalized first, so the list never claims `running` for a run that is over.
pub(super) fn list_where(engine: &Engine, filter: &ListFilter) -> Result<TaskList, EngineError> {
    let limit = filter.limit;
    let ids = engine.store.task_ids()?;
    let mut tasks: Vec<(TaskSummary, _)> = ids
        .into_iter()
        .filter_map(|id| {
            let files = engine.store.task(&id);
            files.read_summary().ok().flatten().map(|t| (t, files))
        })
        .filter(|(t, _)| filter.cwd.as_ref().is_none_or(|c| &t.cwd == c))
        .collect();
    tasks.sort_by(|(a, _), (b, _)| {
        b.started_at_ms
            .cmp(&a.started_at_ms)
            .then(b.task_id.cmp(&a.task_id))
    });
    for (t, files) in tasks.iter_mut().filter(|(t, _)| !t.status.is_final()) {
        if engine.finalize_orphan(files).is_ok()
            && let Ok(Some(fresh)) = files.read_summary()
        {
            *t = fresh;
        }
    }
    if let Some(status) = filter.status {
        tasks.retain(|(t, _)| t.status == status);
    }
    let total = tasks.len();
    tasks.truncate(limit);
    let now = now_ms();
    let wanted = tasks.len();
    let budget = filter.budget.unwrap_or(usize::MAX);
    let mut used = 0;
    let mut total_usage = Usage::default();
    let entries: Vec<TaskListEntry> = tasks
        .iter()
        .take_while(|(t, _)| {
            let e = TaskListEntry::of(t, now);
            used += serde_json::to_string(&e).map_or(0, |s| s.len() + 1);
            used <= budget
        })
        .map(|(t, _)| {
            total_usage = total_usage.plus(&t.own_usage().0);
            TaskListEntry::of(t, now)
        })
        .collect();
    let note = (entries.len() < wanted).then(|| {
        format!(
            "{} more of the {wanted} asked for were left out to keep this answer small; ask \
             for a smaller `limit`, or for one task by `task_id`",
            wanted - entries.len()
        )
    });
    Ok(TaskList {
        total,
        shown: entries.len(),
        tasks: entries,
        total_usage,
        note,
    })
}

/// The newest `limit` tasks, as many as fit the result budget (`codex_status`).
pub(super) fn list(engine: &Engine, limit: usize) -> Result<TaskList, EngineError> {
    list_where(
        engine,
        &ListFilter {
            limit,
            budget: Some(engine.config.max_result_chars.saturating_sub(LIST_OVERHEAD)),
            ..ListFilter::default()
        },
    )
}
