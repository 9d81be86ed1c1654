//! The task store: `<root>/tasks/<task_id>/` folders shared by every server process.

mod clock;
mod error;
mod fsutil;
mod layout;
mod meta;

pub use clock::{now_ms, rfc3339};
pub use error::StoreError;
pub use fsutil::{
    ensure_private_dir, open_append, open_nofollow, read_json, read_tail, write_atomic, write_json,
};
pub use layout::{Store, StoreLock, TaskFiles, TaskLock};
pub use meta::{Outcome, Sandbox, TaskMeta, TaskStatus, TaskSummary, WorktreeRecord};
