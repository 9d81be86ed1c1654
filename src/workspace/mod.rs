//! What a task does in the user's repository (for the engine and the supervisor): the `.codex-tasks/<topic>` log link (and its
//! line in git's `info/exclude`), the isolated git worktree of a full-access task, and the
//! summary of what a task changed on its branch.

mod branch;
mod git_cli;
mod land;
mod link;
mod review_git;
mod snapshot;
mod summary;
mod worktree;

pub(crate) use branch::{
    BranchWork, WorktreeExtras, branch_work, remove_worktree_and_branch, uncommitted_changes,
    worktree_extras,
};
pub(crate) use land::{LandPlan, land};
pub(crate) use link::{LINK_DIR, Linked, link_task};
pub(crate) use review_git::{commit_of, fork_point, has_changes, is_branch, repository_of};
pub(crate) use snapshot::Snapshot;
pub(crate) use summary::summarize;
pub(crate) use worktree::{
    Worktree, WorktreeError, locate as locate_worktree, prepare as prepare_worktree,
};
