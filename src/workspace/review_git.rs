//! What a review asks of git before it starts, read with git2: the repository a folder is in,
//! whether it has changes to review, a revision's commit, a branch, and where a task's branch
//! forked. Each failure is a sentence a person can act on.

use std::path::{Path, PathBuf};

use git2::{BranchType, Repository};

use super::branch::uncommitted_paths;

/// The working folder of the repository `dir` is in.
pub fn repository_of(dir: &Path) -> Result<PathBuf, String> {
    let repo = Repository::discover(dir).map_err(|_| {
        format!(
            "{} is not in a git repository: Codex reviews changes git knows of",
            dir.display()
        )
    })?;
    repo.workdir().map(Path::to_path_buf).ok_or_else(|| {
        format!(
            "{} is a bare repository: there is no working tree to review",
            dir.display()
        )
    })
}

/// Whether the working tree at `root` has staged, unstaged or untracked changes.
pub fn has_changes(root: &Path) -> Result<bool, String> {
    let repo = Repository::open(root).map_err(|e| e.message().to_string())?;
    Ok(uncommitted_paths(&repo).map_err(|e| e.message().to_string())? > 0)
}

/// The full id and the subject of the commit `rev` names (`HEAD`, a sha, `main~2`…).
pub fn commit_of(root: &Path, rev: &str) -> Result<(String, String), String> {
    let repo = Repository::open(root).map_err(|e| e.message().to_string())?;
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| format!("`{rev}` names no commit in {}", root.display()))?;
    let subject = commit.summary().unwrap_or_default().to_string();
    Ok((commit.id().to_string(), subject))
}

/// Whether `name` is a branch of the repository at `root`, local or remote-tracking.
pub fn is_branch(root: &Path, name: &str) -> bool {
    Repository::open(root).is_ok_and(|repo| {
        repo.find_branch(name, BranchType::Local).is_ok()
            || repo.find_branch(name, BranchType::Remote).is_ok()
    })
}

/// The commit `branch` forked from `base` at (their merge base), seen from `worktree`.
pub fn fork_point(worktree: &Path, branch: &str, base: &str) -> Result<String, String> {
    let repo = Repository::open(worktree).map_err(|e| e.message().to_string())?;
    let tip = |name: &str| {
        repo.find_branch(name, BranchType::Local)
            .and_then(|b| b.get().peel_to_commit())
            .map(|c| c.id())
            .map_err(|_| format!("the branch `{name}` is gone"))
    };
    let at = repo
        .merge_base(tip(branch)?, tip(base)?)
        .map_err(|_| format!("`{branch}` and `{base}` share no commit"))?;
    Ok(at.to_string())
}
