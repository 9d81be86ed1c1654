//! What a full-access task did to its branch, read from the worktree with git2.

use std::path::Path;

use git2::{BranchType, DiffOptions, DiffStatsFormat, Repository, StatusOptions};
use serde::Serialize;

const DIFF_STAT_MAX_LINES: usize = 60;

#[derive(Debug, Clone, Serialize)]
pub struct GitSummary {
    /// Commits on the agent branch that the base branch does not have.
    pub commits_ahead: usize,
    /// `git diff --stat` of the worktree (committed and uncommitted) against the merge-base.
    pub diff_stat: String,
    /// Changed, staged or untracked paths not yet committed in the worktree.
    pub uncommitted_changes: usize,
}

pub fn summarize(worktree: &Path, base_branch: &str) -> Result<GitSummary, git2::Error> {
    let repo = Repository::open(worktree)?;
    let head = repo.head()?.peel_to_commit()?;
    let base = repo
        .find_branch(base_branch, BranchType::Local)?
        .get()
        .peel_to_commit()?;
    let (commits_ahead, _) = repo.graph_ahead_behind(head.id(), base.id())?;
    let merge_base = repo.find_commit(repo.merge_base(head.id(), base.id())?)?;
    let mut opts = DiffOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true);
    let diff = repo.diff_tree_to_workdir_with_index(Some(&merge_base.tree()?), Some(&mut opts))?;
    let stats = diff.stats()?;
    let text = stats.to_buf(DiffStatsFormat::FULL, 80)?;
    let text = String::from_utf8_lossy(&text);
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.len() > DIFF_STAT_MAX_LINES {
        let summary = lines.pop().unwrap_or_default();
        lines.truncate(DIFF_STAT_MAX_LINES - 2);
        lines.push(" …");
        lines.push(summary);
    }
    let mut status_opts = StatusOptions::new();
    status_opts.include_untracked(true).include_ignored(false);
    let uncommitted_changes = repo.statuses(Some(&mut status_opts))?.len();
    Ok(GitSummary {
        commits_ahead,
        diff_stat: lines.join("\n"),
        uncommitted_changes,
    })
}
