//! What is taken of a full-access task once Codex has ended: what it changed on its branch,
//! and the paths of the person's own checkout that changed while it ran (`danger-full-access`
//! has no jail: an absolute path in the prompt is enough to write there). The supervisor takes
//! them before it records the end; a task it did not end gets them from its first reader.

use crate::config::Config;
use crate::config::hosts::Hosts;
use crate::runner::Launch;
use crate::store::{BranchSummary, EndFindings, TaskFiles, TaskMeta, read_json};
use crate::workspace::{Snapshot, summarize};

/// The findings `meta` does not hold yet (none for a read-only task). A host's task's branch
/// is read on its host; its checkout there is not compared (it is not on this machine).
pub(crate) fn end_findings(files: &TaskFiles, meta: &TaskMeta, config: &Config) -> EndFindings {
    let mut found = EndFindings::default();
    let Some(wt) = &meta.placement().worktree else {
        return found;
    };
    if let Some(host) = Launch::of(meta).host() {
        if meta.end().branch_summary.is_none() {
            match on_host(host, files, wt, config) {
                Ok(summary) => found.branch_summary = Some(summary),
                Err(e) => found.warnings.push(format!(
                    "the worktree `{}` on host `{host}` could not be read: {e}",
                    wt.dir.display()
                )),
            }
        }
        return found;
    }
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

/// The branch of a task on `host`, read there.
fn on_host(
    host: &str,
    files: &TaskFiles,
    wt: &crate::store::WorktreeRecord,
    config: &Config,
) -> Result<BranchSummary, String> {
    let hosts = Hosts::load(config).map_err(|e| e.to_string())?;
    let host = hosts
        .get(host)
        .ok_or_else(|| format!("`{host}` is no longer in {}", hosts.file.display()))?;
    crate::runner::drive::host_worktree::summary(host, files, wt)
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
