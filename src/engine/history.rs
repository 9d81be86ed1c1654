//! What the store knows about a Codex session from the tasks that ran in it: the options a
//! follow-up inherits, and the session's token total before the follow-up (so its own usage
//! is a difference, not the session's running total).

use super::spec::TaskSpec;
use super::{Engine, EngineError};
use crate::codex::{CodexOptions, Usage};
use crate::store::{TaskId, TaskSummary};

/// The earlier tasks of one session, as far as they matter to the next one.
#[derive(Debug, Clone, Default)]
pub struct SessionHistory {
    /// The options of the newest task of the session.
    pub options: CodexOptions,
    /// The session's token total after its newest finished turn, when codex reported one.
    pub usage_total: Option<Usage>,
}

impl Engine {
    /// Reads only the small fields of each record.
    pub(super) fn session_history(&self, session_id: &str) -> SessionHistory {
        let mut tasks: Vec<TaskSummary> = self
            .store
            .task_ids()
            .unwrap_or_default()
            .iter()
            .filter_map(|id| self.store.task(id).read_summary().ok().flatten())
            .filter(|t| t.session_id() == Some(session_id))
            .collect();
        tasks.sort_by_key(|t| t.started_at_ms);
        let options = tasks.last().map(|t| t.options.clone()).unwrap_or_default();
        let usage_total = tasks
            .iter()
            .rev()
            .filter(|t| t.status.is_final())
            .filter_map(|t| t.session_total())
            .find(|u| !u.is_zero());
        SessionHistory {
            options,
            usage_total,
        }
    }
}

/// The follow-up of `session`'s newest task with `prompt`: the same folder (and worktree),
/// sandbox, options and approval policy, the next version of its topic. `None` when no task
/// of the store ran in that session (it was started outside codex-mcp).
pub(super) fn session_follow_up(
    engine: &Engine,
    session: &str,
    prompt: String,
) -> Result<Option<TaskSpec>, EngineError> {
    let newest = engine
        .store
        .task_ids()?
        .iter()
        .filter_map(|id| engine.store.task(id).read_summary().ok().flatten())
        .filter(|t| t.session_id() == Some(session))
        .max_by_key(|t| t.started_at_ms);
    let Some(newest) = newest else {
        return Ok(None);
    };
    let id = TaskId::parse(&newest.task_id)
        .map_err(|e| EngineError::invalid("session_id", e.to_string()))?;
    let meta = engine.reconciled_meta(&id)?;
    if !meta.status().is_final() {
        return Err(EngineError::invalid(
            "session_id",
            format!(
                "session {session} is in use by task `{}`, which is {}: talk to it with \
                 codex_reply instead, or wait for it to end",
                meta.task_id,
                meta.status()
            ),
        ));
    }
    engine.follow_up_spec(&meta, prompt).map(Some)
}
