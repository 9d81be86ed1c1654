//! The capacity limits, shared by every process using the store. A pool is this machine's
//! (in the store's folder) or one host's (`hosts/<name>/`): `slots/<k>.lock` for k below its
//! limit, each held (flock) by the supervisor of a task whose codex runs, and
//! `queue/<arrival>-<task_id>`, an empty file per task waiting for a slot. Locks are released
//! by the kernel when a supervisor dies, so a slot is never lost; entries are named by arrival
//! time, so waiting tasks start in the order they came.

use std::fs::File;
use std::path::PathBuf;

use super::fsutil::ensure_private_dir;
use super::fsutil::open_lock_file;
use super::{Store, StoreError, TaskId};

/// A slot held for as long as this value lives.
pub struct Slot {
    _lock: File,
}

/// One task waiting in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub file: PathBuf,
    pub task_id: TaskId,
}

/// The places of this machine, or of one host, and the tasks waiting for them.
#[derive(Debug, Clone)]
pub struct Pool {
    dir: PathBuf,
}

impl Store {
    /// The pool of `host` (a host of the hosts file), or this machine's.
    pub fn pool(&self, host: Option<&str>) -> Pool {
        Pool {
            dir: match host {
                Some(h) => self.home().join("hosts").join(h),
                None => self.home().to_path_buf(),
            },
        }
    }
}

impl Pool {
    fn slots_dir(&self) -> PathBuf {
        self.dir.join("slots")
    }

    fn queue_dir(&self) -> PathBuf {
        self.dir.join("queue")
    }

    /// Puts `task_id` in the queue, in the place of its arrival time.
    pub fn enqueue(&self, task_id: &TaskId, arrived_ms: u64) -> Result<QueueEntry, StoreError> {
        let dir = self.queue_dir();
        ensure_private_dir(&dir)?;
        let file = dir.join(format!("{arrived_ms:013}-{task_id}"));
        if !file.exists() {
            super::write_atomic(&file, b"")?;
        }
        Ok(QueueEntry {
            file,
            task_id: task_id.clone(),
        })
    }

    /// The tasks waiting, first come first.
    pub fn queue(&self) -> Vec<QueueEntry> {
        let Ok(rd) = std::fs::read_dir(self.queue_dir()) else {
            return Vec::new();
        };
        let mut entries: Vec<QueueEntry> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let (_, id) = name.split_once('-')?;
                Some(QueueEntry {
                    task_id: TaskId::parse(id).ok()?,
                    file: e.path(),
                })
            })
            .collect();
        entries.sort_by(|a, b| a.file.cmp(&b.file));
        entries
    }

    /// Where `task_id` stands in the queue (1 is next), when it waits.
    pub fn queue_position(&self, task_id: &TaskId) -> Option<usize> {
        self.queue()
            .iter()
            .position(|e| &e.task_id == task_id)
            .map(|i| i + 1)
    }

    /// How many of `limit` slots are free now (each is probed for an instant).
    pub fn free_slots(&self, limit: usize) -> usize {
        (0..limit)
            .filter(|k| self.try_slot(*k).ok().flatten().is_some())
            .count()
    }

    /// Takes a free slot among `limit`, if there is one.
    pub fn take_slot(&self, limit: usize) -> Result<Option<Slot>, StoreError> {
        for k in 0..limit {
            if let Some(slot) = self.try_slot(k)? {
                return Ok(Some(slot));
            }
        }
        Ok(None)
    }

    fn try_slot(&self, k: usize) -> Result<Option<Slot>, StoreError> {
        let dir = self.slots_dir();
        ensure_private_dir(&dir)?;
        let path = dir.join(format!("{k}.lock"));
        let file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Slot { _lock: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(StoreError::io(&path, e)),
        }
    }
}

impl QueueEntry {
    /// Leaves the queue.
    pub fn leave(&self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_tasks_keep_their_order_and_slots_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        store.ensure().unwrap();
        let store = store.pool(None);
        let id = |s: &str| TaskId::parse(s).unwrap();
        store.enqueue(&id("codex-b-x-v1"), 2_000).unwrap();
        store.enqueue(&id("codex-a-x-v1"), 1_000).unwrap();
        store.enqueue(&id("codex-c-x-v1"), 10_000_000).unwrap();
        assert_eq!(store.queue_position(&id("codex-a-x-v1")), Some(1));
        assert_eq!(store.queue_position(&id("codex-c-x-v1")), Some(3));
        let first = store.take_slot(2).unwrap().unwrap();
        assert_eq!(store.free_slots(2), 1);
        let second = store.take_slot(2).unwrap().unwrap();
        assert!(store.take_slot(2).unwrap().is_none());
        drop(first);
        assert_eq!(store.free_slots(2), 1);
        drop(second);
        store.queue()[0].leave();
        assert_eq!(store.queue_position(&id("codex-b-x-v1")), Some(1));
    }

    #[test]
    fn each_host_has_places_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        store.ensure().unwrap();
        let here = store.pool(None).take_slot(1).unwrap().unwrap();
        let there = store.pool(Some("devbox")).take_slot(1).unwrap();
        assert!(
            there.is_some(),
            "a full machine leaves a host's places free"
        );
        assert!(store.pool(Some("devbox")).take_slot(1).unwrap().is_none());
        assert_eq!(store.pool(Some("lab")).free_slots(2), 2);
        drop(here);
    }
}
