//! The one rule for "is this task's supervisor gone?", used by recovery (which finalizes such a
//! task) and by the queue (which stops waiting behind it).

use crate::config::Config;
use crate::store::{Liveness, TaskFiles, TaskMeta, now_ms};
use crate::vocab::Launch;

/// How long a freshly created task may go without its supervisor taking its lock.
const STARTUP_GRACE_MS: u64 = 30_000;
/// A supervisor that has not taken its lock this long after launch, and has said why in its
/// log or lost its tmux session, did not start.
const EARLY_DEATH_MS: u64 = 1_000;

/// True when the task, recorded as not ended, has no supervisor any more: its liveness lock is
/// free after the supervisor took it, or was never taken within the start-up grace (sooner when
/// the supervisor left words in its log, or its launch says what it made is gone — asked only
/// then, so a status read of a live task costs a lock probe).
pub fn orphaned(files: &TaskFiles, meta: &TaskMeta, config: &Config) -> bool {
    if meta.status().is_final() || files.supervisor_liveness() != Liveness::Dead {
        return false;
    }
    if meta.launch().supervisor_pid.is_some() {
        return true;
    }
    let age = now_ms().saturating_sub(meta.started_at_ms);
    let launch_gone = || Launch::of(meta).is_gone(config);
    age > STARTUP_GRACE_MS
        || (age > EARLY_DEATH_MS && (!files.supervisor_log_tail().is_empty() || launch_gone()))
}
