//! Whether an agent branch and its worktree hold work of their own, and removing them when
//! they do not (`codex-mcp gc`).

use std::path::Path;

use git2::{BranchType, Repository, StatusOptions, WorktreePruneOptions};

use super::LINK_DIR;

/// What an agent branch holds that its base branch does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchWork {
    /// The branch is gone already.
    Missing,
    /// No commits of its own.
    Nothing,
    /// Commits whose changes the base already has (merged, squash-merged, cherry-picked):
    /// merging the branch into its base would change nothing.
    Merged,
    /// This many commits with changes the base lacks.
    Unmerged(usize),
}

/// Judges `branch` against `base` in the repository at `repo_root`, by content.
pub fn branch_work(repo_root: &Path, branch: &str, base: &str) -> Result<BranchWork, git2::Error> {
    let repo = Repository::open(repo_root)?;
    let Ok(agent) = repo.find_branch(branch, BranchType::Local) else {
        return Ok(BranchWork::Missing);
    };
    let agent = agent.get().peel_to_commit()?;
    let base = repo
        .find_branch(base, BranchType::Local)?
        .get()
        .peel_to_commit()?;
    let (ahead, _) = repo.graph_ahead_behind(agent.id(), base.id())?;
    if ahead == 0 {
        return Ok(BranchWork::Nothing);
    }
    let merged = repo.merge_commits(&base, &agent, None)?;
    if merged.has_conflicts() {
        return Ok(BranchWork::Unmerged(ahead));
    }
    let mut merged = merged;
    let tree = merged.write_tree_to(&repo)?;
    Ok(if tree == base.tree_id() {
        BranchWork::Merged
    } else {
        BranchWork::Unmerged(ahead)
    })
}

/// Paths changed, staged or untracked in a worktree (its `.codex-tasks` links aside).
pub fn uncommitted_changes(worktree: &Path) -> Result<usize, git2::Error> {
    uncommitted_paths(&Repository::open(worktree)?)
}

/// Changed, staged or untracked paths in a repository's checkout (the link folder aside).
pub(super) fn uncommitted_paths(repo: &Repository) -> Result<usize, git2::Error> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true).include_ignored(false);
    Ok(repo
        .statuses(Some(&mut opts))?
        .iter()
        .filter(|s| !s.path().is_some_and(|p| p.starts_with(LINK_DIR)))
        .count())
}

/// What a worktree holds beyond its branch's commits and its uncommitted changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorktreeExtras {
    /// Ignored paths (a `.env`, a `build/`): top-level entries as git status lists them.
    pub ignored: usize,
    /// A HEAD that is not the branch (detached, or another branch) with commits that neither
    /// the base nor the branch has: its commit, and how many there are.
    pub head_elsewhere: Option<(String, usize)>,
}

/// What the worktree at `dir`, made for `branch` from `base`, holds that removing it with the
/// branch would lose beyond the branch's own commits and the uncommitted changes.
pub fn worktree_extras(
    dir: &Path,
    branch: &str,
    base: &str,
) -> Result<WorktreeExtras, git2::Error> {
    let repo = Repository::open(dir)?;
    let mut opts = StatusOptions::new();
    opts.include_untracked(false)
        .include_ignored(true)
        .recurse_ignored_dirs(false);
    let ignored = repo
        .statuses(Some(&mut opts))?
        .iter()
        .filter(|s| s.status().contains(git2::Status::IGNORED))
        .filter(|s| !s.path().is_some_and(|p| p.starts_with(LINK_DIR)))
        .count();
    let head = repo.head()?;
    let on_branch = head.is_branch() && head.shorthand() == Some(branch);
    let head_elsewhere = match (on_branch, head.target()) {
        (false, Some(at)) => {
            let reachable_from = |name: &str| -> bool {
                repo.find_branch(name, BranchType::Local)
                    .ok()
                    .and_then(|b| b.get().target())
                    .is_some_and(|tip| {
                        tip == at || repo.graph_descendant_of(tip, at).unwrap_or(false)
                    })
            };
            if reachable_from(base) || reachable_from(branch) {
                None
            } else {
                let base_tip = repo
                    .find_branch(base, BranchType::Local)?
                    .get()
                    .peel_to_commit()?
                    .id();
                let (ahead, _) = repo.graph_ahead_behind(at, base_tip)?;
                Some((at.to_string()[..12].to_string(), ahead))
            }
        }
        _ => None,
    };
    Ok(WorktreeExtras {
        ignored,
        head_elsewhere,
    })
}

/// Removes the worktree at `dir` (its folder and git's record of it) and then `branch`.
pub fn remove_worktree_and_branch(
    repo_root: &Path,
    dir: &Path,
    branch: &str,
) -> Result<(), git2::Error> {
    let repo = Repository::open(repo_root)?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| git2::Error::from_str(&e.to_string()))?;
    }
    let admin_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Ok(wt) = repo.find_worktree(&admin_name) {
        wt.prune(Some(
            WorktreePruneOptions::new().valid(true).working_tree(true),
        ))?;
    }
    if let Ok(mut b) = repo.find_branch(branch, BranchType::Local) {
        b.delete()?;
    }
    Ok(())
}
