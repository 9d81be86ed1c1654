//! The task store: `<home>/tasks/<task_id>/` folders shared by every server process and
//! supervisor, with atomic writes, private modes and per-task locks.

mod clock;
mod codex_cache;
mod conversation;
mod error;
mod events;
mod fsutil;
mod layout;
mod mailbox;
mod meta;
mod queue;
mod summary;

pub(crate) use crate::vocab::{TASK_ID_MAX_LEN, TASK_ID_PATTERN, TaskId};
pub(crate) use clock::{now_ms, rfc3339};
pub(crate) use conversation::{Approval, InputRequest, Steer};
pub(crate) use error::StoreError;
pub(crate) use events::TaskEvent;
pub(crate) use fsutil::{
    ensure_private_dir, open_append, open_nofollow, read_json, read_tail, write_atomic, write_json,
};
pub(crate) use layout::{Liveness, Store, TaskFiles, free_bytes};
pub(crate) use mailbox::{Awaited, Letter, Reply};
pub(crate) use meta::{
    Attempt, AuditMode, BranchSummary, CancelRequest, EndFindings, EndedBy, Failure, FailureKind,
    Landed, LaunchRecord, Lineage, Outcome, Placement, ReadonlyAudit, Sandbox, TaskMeta,
    TaskStatus, Verdict, WorktreeRecord, own_usage, session_total,
};
pub(crate) use queue::{Pool, QueueEntry, Slot};
pub(crate) use summary::TaskSummary;
