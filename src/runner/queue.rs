//! A supervisor's wait for one of the CODEXMCP_MAX_PARALLEL places. The queue lives in the
//! store, so tasks start in order as others end, whichever servers queued them and whether
//! or not any server still runs.

use std::time::Duration;

use super::launch::liveness::orphaned;
use crate::config::Config;
use crate::store::{
    Pool, QueueEntry, Slot, Store, StoreError, TaskFiles, TaskId, TaskMeta, TaskStatus,
};

const POLL: Duration = Duration::from_millis(100);

/// Leaves the queue however the wait ends.
struct InQueue(QueueEntry);

impl Drop for InQueue {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// Waits until this task may run, and returns its place, held until it is dropped; `None`
/// when `stopped` said to stop first. The record says `queued` while it waits. A task on a
/// host waits for one of that host's places.
pub(super) fn wait_for_slot(
    files: &TaskFiles,
    meta: &TaskMeta,
    limit: usize,
    config: &Config,
    stopped: impl Fn() -> bool,
) -> Result<Option<Slot>, StoreError> {
    let (Some(store), Ok(id)) = (Store::of_task_dir(&files.dir), TaskId::parse(&meta.task_id))
    else {
        return Ok(None);
    };
    let pool = store.pool(super::Launch::of(meta).host());
    let mine = InQueue(pool.enqueue(&id, meta.started_at_ms)?);
    let mut shown = meta.status();
    loop {
        if stopped() {
            return Ok(None);
        }
        let ahead = pool
            .queue()
            .into_iter()
            .take_while(|e| e.task_id != mine.0.task_id)
            .filter(|e| still_waiting(&store, e, config))
            .count();
        if ahead < pool.free_slots(limit)
            && let Some(slot) = pool.take_slot(limit)?
        {
            drop(mine);
            set_status(files, TaskStatus::Running)?;
            return Ok(Some(slot));
        }
        if shown != TaskStatus::Queued {
            set_status(files, TaskStatus::Queued)?;
            shown = TaskStatus::Queued;
        }
        std::thread::sleep(POLL);
    }
}

/// How many tasks really wait in the pool's queue: entries left by a supervisor that died or
/// a task that ended are removed on the way, so they make no new task wait.
pub fn live_waiters(store: &Store, pool: &Pool, config: &Config) -> usize {
    pool.queue()
        .iter()
        .filter(|e| still_waiting(store, e, config))
        .count()
}

/// An entry whose task ended or whose supervisor died waits for nothing: it is removed, so
/// it holds up no one.
fn still_waiting(store: &Store, entry: &QueueEntry, config: &Config) -> bool {
    let files = store.task(&entry.task_id);
    let waiting = match files.read_meta() {
        Ok(Some(m)) if !m.status().is_final() => !orphaned(&files, &m, config),
        Ok(_) => false,
        // Unreadable now (being written): it may well be waiting.
        Err(_) => true,
    };
    if !waiting {
        entry.leave();
    }
    waiting
}

fn set_status(files: &TaskFiles, status: TaskStatus) -> Result<(), StoreError> {
    files.update_meta(|m| m.move_to(status))?;
    Ok(())
}
