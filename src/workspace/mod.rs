//! What the engine does in the user's repository: the `.codex-tasks/<topic>` link, and the
//! isolated git worktree of a full-access task.

mod link;
mod summary;
mod worktree;

pub use link::{LINK_DIR, link_task};
pub use summary::{GitSummary, summarize};
pub use worktree::{
    Worktree, WorktreeError, locate as locate_worktree, prepare as prepare_worktree,
};
