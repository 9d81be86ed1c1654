//! Landing a full-access task's work in a branch of the person's, with git itself. The new
//! commits are made in the task's own worktree — what Codex left uncommitted first, then the
//! squash, the merge or the rebase on top of the target branch — and the target branch only
//! moves forward to them at the end (`git merge --ff-only` where it is checked out, an atomic
//! `update-ref` where it is not). So a conflict, a refusing hook or any failure leaves the
//! person's checkout exactly as it was: its HEAD, index and files are not touched until the
//! one step that cannot half-happen.

use std::path::{Path, PathBuf};

use super::git_cli::{GitFailure, dirty_paths, git, git_ok};
use crate::vocab::LandHow;

/// What to land, and where.
pub struct LandPlan<'a> {
    /// The person's checkout the task started from (the repository's main worktree).
    pub checkout: &'a Path,
    /// The task's worktree and its branch.
    pub worktree: &'a Path,
    pub branch: &'a str,
    /// The branch to land in; default: the one checked out in `checkout`.
    pub into: Option<&'a str>,
    pub how: LandHow,
    /// The commit message (squash, merge, and the commit of what was left uncommitted).
    pub message: &'a str,
}

/// What a landing did.
#[derive(Debug, Clone)]
pub struct LandDone {
    pub into: String,
    pub committed_leftovers: Option<String>,
    /// `<short sha> <subject>`, oldest first.
    pub commits: Vec<String>,
    pub diff_stat: String,
    pub head: String,
}

/// Why a landing did not happen. Nothing of the person's was changed in any case.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LandError {
    #[error("{0}")]
    Refused(String),
    #[error(
        "the task's work conflicts with `{into}` in {}: {}. Nothing was changed in your \
         checkout; the worktree and its branch are kept. {resolve}",
        files.len(),
        files.join(", ")
    )]
    Conflict {
        into: String,
        files: Vec<String>,
        resolve: String,
    },
    #[error("the commit was refused (by a hook, or by git itself), so nothing landed:\n{0}")]
    Hook(String),
    #[error("{0}")]
    Git(String),
}

impl From<GitFailure> for LandError {
    fn from(f: GitFailure) -> Self {
        LandError::Git(f.to_string())
    }
}

/// Lands `plan`'s branch; see the module's comment for the order of the steps.
pub fn land(plan: &LandPlan<'_>) -> Result<LandDone, LandError> {
    refuse_if_busy(plan.checkout)?;
    let (into, checked_out_at) = target_branch(plan)?;
    on_its_branch(plan)?;
    let old = git(plan.checkout, &["rev-parse", &format!("refs/heads/{into}")])?;
    let leftovers = dirty_paths(plan.worktree)?;
    let ahead = git(
        plan.worktree,
        &["rev-list", "--count", &format!("{old}..HEAD")],
    )?;
    if ahead.trim() == "0" && leftovers.is_empty() {
        return Err(LandError::Refused(format!(
            "nothing to land: `{into}` already has every commit of `{}`",
            plan.branch
        )));
    }
    // Everything is checked before anything is made, even in the task's worktree.
    if let Some(dir) = &checked_out_at {
        refuse_if_touched(plan, &old, &leftovers, dir)?;
    }
    let committed_leftovers = commit_leftovers(plan, !leftovers.is_empty())?;
    let tip = build_tip(plan, &into, &old)?;
    move_into(plan, &into, &old, &tip, checked_out_at.as_deref())?;
    let log = git(
        plan.checkout,
        &[
            "log",
            "--reverse",
            "--format=%h %s",
            &format!("{old}..{tip}"),
        ],
    )?;
    Ok(LandDone {
        into,
        committed_leftovers,
        commits: log.lines().map(str::to_string).collect(),
        diff_stat: git(plan.checkout, &["diff", "--stat", &old, &tip])?,
        head: tip,
    })
}

/// A checkout in the middle of a merge, rebase, cherry-pick or revert is the person's to
/// finish first.
fn refuse_if_busy(checkout: &Path) -> Result<(), LandError> {
    for marker in [
        "MERGE_HEAD",
        "rebase-merge",
        "rebase-apply",
        "CHERRY_PICK_HEAD",
        "REVERT_HEAD",
    ] {
        let path = git(checkout, &["rev-parse", "--git-path", marker])?;
        if checkout.join(&path).exists() || Path::new(&path).exists() {
            return Err(LandError::Refused(format!(
                "{} is in the middle of a {} ({marker}): finish or abort it first",
                checkout.display(),
                if marker.starts_with("rebase") {
                    "rebase"
                } else {
                    "merge or pick"
                }
            )));
        }
    }
    Ok(())
}

/// The branch to land in, and where it is checked out (if anywhere).
fn target_branch(plan: &LandPlan<'_>) -> Result<(String, Option<PathBuf>), LandError> {
    let into = match plan.into {
        Some(b) => b.to_string(),
        None => git(
            plan.checkout,
            &["symbolic-ref", "--quiet", "--short", "HEAD"],
        )
        .map_err(|_| {
            LandError::Refused(format!(
                "{} is on a detached HEAD: say which branch to land in (`into`)",
                plan.checkout.display()
            ))
        })?,
    };
    if into.starts_with('-') || !git_ok(plan.checkout, &["check-ref-format", "--branch", &into]) {
        return Err(LandError::Refused(format!("`{into}` is not a branch name")));
    }
    if into == plan.branch {
        return Err(LandError::Refused(format!(
            "`{into}` is the task's own branch: land it in another"
        )));
    }
    if !git_ok(
        plan.checkout,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{into}"),
        ],
    ) {
        return Err(LandError::Refused(format!(
            "there is no branch `{into}` in {}",
            plan.checkout.display()
        )));
    }
    let at = checked_out_where(plan.checkout, &into)?;
    match &at {
        Some(dir) if !same_dir(dir, plan.checkout) => Err(LandError::Refused(format!(
            "`{into}` is checked out in another worktree, {}: land from there, or into the \
             branch of {}",
            dir.display(),
            plan.checkout.display()
        ))),
        _ => Ok((into, at)),
    }
}

/// The worktree `branch` is checked out in, if any.
fn checked_out_where(checkout: &Path, branch: &str) -> Result<Option<PathBuf>, LandError> {
    let list = git(checkout, &["worktree", "list", "--porcelain"])?;
    let wanted = format!("branch refs/heads/{branch}");
    Ok(list.split("\n\n").find_map(|block| {
        let mut lines = block.lines();
        let dir = lines.next()?.strip_prefix("worktree ")?;
        lines.any(|l| l == wanted).then(|| PathBuf::from(dir))
    }))
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The worktree must be on the task's branch: its work is that branch.
fn on_its_branch(plan: &LandPlan<'_>) -> Result<(), LandError> {
    let head = git(
        plan.worktree,
        &["symbolic-ref", "--quiet", "--short", "HEAD"],
    )
    .ok();
    match head.as_deref() == Some(plan.branch) {
        true => Ok(()),
        false => Err(LandError::Refused(format!(
            "the task's worktree {} is not on its branch `{}` (it is on {}): switch it back \
             (git -C {} switch {}) and land again",
            plan.worktree.display(),
            plan.branch,
            head.as_deref().unwrap_or("a detached HEAD"),
            plan.worktree.display(),
            plan.branch
        ))),
    }
}

/// Commits everything Codex left uncommitted in the worktree (new files too), through the
/// repository's hooks. A hook that refuses leaves the worktree's index as it was.
fn commit_leftovers(plan: &LandPlan<'_>, any: bool) -> Result<Option<String>, LandError> {
    if !any {
        return Ok(None);
    }
    let index_before = git(plan.worktree, &["write-tree"]).ok();
    git(plan.worktree, &["add", "-A", "--", ".", ":!.codex-tasks"])?;
    if let Err(refused) = git(plan.worktree, &["commit", "-q", "-m", plan.message]) {
        match index_before {
            Some(tree) => drop(git(plan.worktree, &["read-tree", &tree])),
            None => drop(git(plan.worktree, &["reset", "-q"])),
        }
        return Err(LandError::Hook(refused.said));
    }
    Ok(Some(git(plan.worktree, &["rev-parse", "HEAD"])?))
}

/// The person's own uncommitted files that the landing would change: each is theirs to
/// commit or stash first.
fn refuse_if_touched(
    plan: &LandPlan<'_>,
    old: &str,
    leftovers: &[String],
    dir: &Path,
) -> Result<(), LandError> {
    let changed = git(
        plan.worktree,
        &["diff", "--name-only", "-z", &format!("{old}...HEAD")],
    )?;
    let touched: Vec<&str> = changed
        .split('\0')
        .filter(|p| !p.is_empty())
        .chain(leftovers.iter().map(String::as_str))
        .collect();
    let dirty = dirty_paths(dir)?;
    let both: Vec<&String> = dirty
        .iter()
        .filter(|d| touched.contains(&d.as_str()))
        .collect();
    if both.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = both.iter().map(|s| s.as_str()).collect();
    Err(LandError::Refused(format!(
        "your checkout {} has uncommitted changes to {} the landing would change: {}. Commit or \
         stash them (git stash), then land again; nothing was changed",
        dir.display(),
        if names.len() == 1 { "a file" } else { "files" },
        names.join(", ")
    )))
}

/// The commit `into` will move to, made in the task's worktree.
fn build_tip(plan: &LandPlan<'_>, into: &str, old: &str) -> Result<String, LandError> {
    let wt = plan.worktree;
    let conflict = |files: Vec<String>| LandError::Conflict {
        into: into.to_string(),
        files,
        resolve: resolve_by_hand(plan, into),
    };
    match plan.how {
        LandHow::Rebase => {
            if git(wt, &["rebase", "-q", old]).is_err() {
                let files = conflicted(wt);
                let _ = git(wt, &["rebase", "--abort"]);
                return Err(conflict(files));
            }
            Ok(git(wt, &["rev-parse", "HEAD"])?)
        }
        LandHow::Squash | LandHow::Merge => {
            git(wt, &["checkout", "-q", "--detach", old])?;
            let made = squash_or_merge(plan, old);
            let back = git(wt, &["checkout", "-q", plan.branch]);
            let tip = made.map_err(|e| match e {
                Made::Conflict(files) => conflict(files),
                Made::Failed(e) => e,
            })?;
            back?;
            Ok(tip)
        }
    }
}

enum Made {
    Conflict(Vec<String>),
    Failed(LandError),
}

/// On a detached HEAD at `old` in the worktree: the squash commit or the merge commit.
fn squash_or_merge(plan: &LandPlan<'_>, old: &str) -> Result<String, Made> {
    let wt = plan.worktree;
    let merged = match plan.how {
        LandHow::Merge => git(
            wt,
            &["merge", "-q", "--no-ff", "-m", plan.message, plan.branch],
        ),
        _ => git(wt, &["merge", "-q", "--squash", plan.branch]),
    };
    if merged.is_err() {
        let files = conflicted(wt);
        let _ = git(wt, &["merge", "--abort"]);
        let _ = git(wt, &["reset", "-q", "--hard", old]);
        return match files.is_empty() {
            false => Err(Made::Conflict(files)),
            true => Err(Made::Failed(
                merged
                    .err()
                    .map_or(LandError::Git("merge failed".into()), Into::into),
            )),
        };
    }
    if plan.how == LandHow::Squash && git_ok(wt, &["diff", "--cached", "--quiet"]) {
        let _ = git(wt, &["reset", "-q", "--hard", old]);
        return Err(Made::Failed(LandError::Refused(format!(
            "nothing to land: the branch it lands in already has every change of `{}`",
            plan.branch
        ))));
    }
    if plan.how == LandHow::Squash
        && let Err(refused) = git(wt, &["commit", "-q", "-m", plan.message])
    {
        let _ = git(wt, &["reset", "-q", "--hard", old]);
        return Err(Made::Failed(LandError::Hook(refused.said)));
    }
    git(wt, &["rev-parse", "HEAD"]).map_err(|e| Made::Failed(e.into()))
}

/// The files a failed merge or rebase left in conflict.
fn conflicted(dir: &Path) -> Vec<String> {
    git(dir, &["diff", "--name-only", "--diff-filter=U", "-z"])
        .map(|o| {
            o.split('\0')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// How a person lands it by hand, resolving the conflicts themselves.
fn resolve_by_hand(plan: &LandPlan<'_>, into: &str) -> String {
    let (checkout, wt, branch) = (
        plan.checkout.display(),
        plan.worktree.display(),
        plan.branch,
    );
    match plan.how {
        LandHow::Rebase => format!(
            "To resolve by hand: git -C {wt} rebase {into}, fix each conflict, git rebase \
             --continue; then land again"
        ),
        LandHow::Merge => format!(
            "To resolve by hand: in {checkout} on `{into}`, git merge {branch}, fix the \
             conflicts, git commit"
        ),
        LandHow::Squash => format!(
            "To resolve by hand: in {checkout} on `{into}`, git merge --squash {branch}, fix the \
             conflicts, git commit"
        ),
    }
}

/// Moves `into` from `old` to `tip`: a fast-forward of the checkout where it is checked out
/// (git refuses before touching anything if a file of the person's is in the way), else an
/// update of the ref that succeeds only if it still points at `old`.
fn move_into(
    plan: &LandPlan<'_>,
    into: &str,
    old: &str,
    tip: &str,
    checked_out_at: Option<&Path>,
) -> Result<(), LandError> {
    let moved = match checked_out_at {
        Some(dir) => git(dir, &["merge", "-q", "--ff-only", tip]),
        None => git(
            plan.checkout,
            &["update-ref", &format!("refs/heads/{into}"), tip, old],
        ),
    };
    moved.map(|_| ()).map_err(|e| {
        LandError::Refused(format!(
            "`{into}` could not be moved to the landed work ({e}); nothing was changed in your \
             checkout, and the work is at {tip} in the task's worktree",
        ))
    })
}
