//! What is taken of a full-access task once Codex has ended: what it changed on its branch,
//! and the paths of the person's own checkout that changed while it ran (`danger-full-access`
//! has no jail: an absolute path in the prompt is enough to write there). The supervisor takes
//! them before it records the end; a task it did not end gets them from its first reader.

use crate::store::{BranchSummary, EndFindings, TaskFiles, TaskMeta, read_json};
use crate::workspace::{Snapshot, summarize};

/// The findings `meta` does not hold yet (none for a read-only task).
pub(crate) fn end_findings(files: &TaskFiles, meta: &TaskMeta) -> EndFindings {
    let mut found = EndFindings::default();
    let Some(wt) = &meta.placement().worktree else {
        return found;
    };
    if meta.end().branch_summary.is_none() {
        match summarize(&wt.dir, &wt.base_branch) {
            Ok(g) => {
                found.branch_summary = Some(BranchSummary {
                    commits_ahead: g.commits_ahead,
                    diff_stat: g.diff_stat,
                    uncommitted_changes: g.uncommitted_changes,
                })
            }
            Err(e) => found.warnings.push(format!(
                "cannot read the worktree `{}`: {e}",
                wt.dir.display()
            )),
        }
    }
    if meta.end().checkout_changes.is_none() {
        checkout_changes(files, &wt.repo_root, &mut found);
    }
    found
}

/// Compares the person's checkout with its state when the task started.
fn checkout_changes(files: &TaskFiles, root: &std::path::Path, found: &mut EndFindings) {
    let Ok(Some(before)) = read_json::<Snapshot>(&files.checkout_before()) else {
        found.checkout_changes = Some(Vec::new());
        found.warnings.push(format!(
            "the state of your checkout `{}` when the task started is missing: whether the \
             task changed it was not checked",
            root.display()
        ));
        return;
    };
    let changed = Snapshot::of_checkout(root).changed_paths_since(&before);
    if !changed.is_empty() {
        let shown: Vec<&str> = changed.iter().take(10).map(String::as_str).collect();
        let more = changed.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        found.warnings.push(format!(
            "your checkout `{}` changed while the task ran: {}{more}. A full-access task is \
             not confined to its worktree, so it may have written there (or you did, \
             meanwhile): look with `git status` in it",
            root.display(),
            shown.join(", ")
        ));
    }
    found.checkout_changes = Some(changed);
}
