//! Completing a finished task's records, once: the first reader after the end takes the branch
//! summary of a full-access task (a diff can take seconds in a large worktree, so it is not
//! repeated on every status), closes a session a user's tmux settings kept, and removes the
//! environment handed to the supervisor.

use super::{Engine, EngineError};
use crate::runner::Tmux;
use crate::store::{BranchSummary, TaskFiles, TaskMeta};
use crate::workspace::summarize;

impl Engine {
    /// Returns the record as it stands afterwards.
    pub(super) fn settle(
        &self,
        files: &TaskFiles,
        meta: TaskMeta,
    ) -> Result<TaskMeta, EngineError> {
        if !meta.status.is_final() || meta.settled {
            return Ok(meta);
        }
        files.discard_launch_env();
        files.release_reserve();
        if let Some(session) = &meta.tmux_session
            && let Ok(tmux) = Tmux::locate(&self.config)
        {
            let _ = tmux.kill_session(session);
        }
        let (summary, warning) = match &meta.worktree {
            Some(wt) => match summarize(&wt.dir, &wt.base_branch) {
                Ok(g) => (
                    Some(BranchSummary {
                        commits_ahead: g.commits_ahead,
                        diff_stat: g.diff_stat,
                        uncommitted_changes: g.uncommitted_changes,
                    }),
                    None,
                ),
                Err(e) => (
                    None,
                    Some(format!(
                        "cannot read the worktree `{}`: {e}",
                        wt.dir.display()
                    )),
                ),
            },
            None => (None, None),
        };
        let updated = files.update_meta(|m| {
            m.settled = true;
            m.branch_summary = summary;
            m.warnings.extend(warning);
        })?;
        Ok(updated.map_or(meta, |(m, ())| m))
    }
}
