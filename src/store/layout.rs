//! Paths and locks of the store. Several server processes share it, so every
//! read-modify-write of a task record happens under that task's lock.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::events::EventLog;
use super::fsutil::{ensure_private_dir, open_lock_file, read_json, write_json};
use super::{CancelRequest, EndedBy, StoreError, TaskId, TaskMeta, TaskSummary};

const TASKS_DIR: &str = "tasks";
/// Below this much free space, records may fail to be written.
const LOW_SPACE_BYTES: u64 = 512 * 1024;
/// Enough for a task's final record (its answer's first 40,000 characters included) twice.
const RESERVE_BYTES: usize = 256 * 1024;

/// The shared folder of every task: `<home>/tasks/<task_id>/`. It is created by the first task
/// that needs it, not when a server starts: a client checking the server's health must leave
/// nothing behind.
#[derive(Debug, Clone)]
pub struct Store {
    home: PathBuf,
    tasks: PathBuf,
}

impl Store {
    /// The store under `home`, e.g. `~/.codexmcp`; nothing is created yet.
    pub fn at(home: &Path) -> Store {
        Store {
            home: home.to_path_buf(),
            tasks: home.join(TASKS_DIR),
        }
    }

    /// The store's root, e.g. `~/.codexmcp`.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The store of the task folder `dir` (`<home>/tasks/<id>`): what a supervisor, which is
    /// handed its task's folder, shares with the servers.
    /// The store's event log: every status change of every task.
    pub fn event_log(&self) -> EventLog {
        EventLog::at(self.home())
    }

    /// The event log's file.
    pub fn events_file(&self) -> PathBuf {
        self.event_log().file()
    }

    pub fn of_task_dir(dir: &Path) -> Option<Store> {
        let home = dir.parent()?.parent()?;
        Some(Store::at(home))
    }

    /// Creates the store's folders (0700) if they are missing.
    pub fn ensure(&self) -> Result<(), StoreError> {
        ensure_private_dir(&self.home)?;
        ensure_private_dir(&self.tasks)
    }

    pub fn task(&self, task_id: &TaskId) -> TaskFiles {
        TaskFiles {
            dir: self.tasks.join(task_id.as_str()),
        }
    }

    /// Serializes task creation across every server process sharing this store (creating the
    /// store first when needed).
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        self.ensure()?;
        let path = self.tasks.join(".lock");
        let file = open_lock_file(&path)?;
        file.lock().map_err(|e| StoreError::io(&path, e))?;
        Ok(StoreLock { _file: file })
    }

    /// When the filesystem holding the store is (nearly) full: a warning naming it.
    pub fn disk_full_warning(&self) -> Option<String> {
        let at = if self.tasks.exists() {
            &self.tasks
        } else {
            &self.home
        };
        let free = free_bytes(at)?;
        (free < LOW_SPACE_BYTES).then(|| {
            format!(
                "the disk holding the task store {} is full ({free} bytes free): task records \
                 and logs cannot be written until space is freed there",
                at.display()
            )
        })
    }

    /// Task ids present in the store (folder names), in no particular order. Folders whose
    /// name is not a task id are not tasks.
    pub fn task_ids(&self) -> Result<Vec<TaskId>, StoreError> {
        let rd = match std::fs::read_dir(&self.tasks) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io(&self.tasks, e)),
        };
        Ok(rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter_map(|n| TaskId::parse(&n).ok())
            .collect())
    }
}

/// Held while a new task id is chosen and its folder made.
pub struct StoreLock {
    _file: File,
}

/// The files of one task.
#[derive(Debug, Clone)]
pub struct TaskFiles {
    pub dir: PathBuf,
}

impl TaskFiles {
    /// The event log of the store this task is in.
    fn event_log(&self) -> Option<EventLog> {
        Store::of_task_dir(&self.dir).map(|s| s.event_log())
    }

    /// The files of the task folder `dir` (the supervisor is handed its folder's path).
    pub fn at(dir: &Path) -> TaskFiles {
        TaskFiles {
            dir: dir.to_path_buf(),
        }
    }

    pub fn meta(&self) -> PathBuf {
        self.dir.join("meta.json")
    }
    pub fn prompt(&self) -> PathBuf {
        self.dir.join("prompt.md")
    }
    pub fn log(&self) -> PathBuf {
        self.dir.join("codex-exec.log")
    }
    pub fn stderr(&self) -> PathBuf {
        self.dir.join("codex-stderr.log")
    }
    pub fn progress(&self) -> PathBuf {
        self.dir.join("progress.json")
    }
    pub fn supervisor_log(&self) -> PathBuf {
        self.dir.join("supervisor.log")
    }
    /// Held (flock) by the supervisor for its whole life: free means it is gone,
    /// whatever has happened to its pid since.
    pub fn alive_lock(&self) -> PathBuf {
        self.dir.join("supervisor.lock")
    }
    pub fn cancel_marker(&self) -> PathBuf {
        self.dir.join("cancel-requested")
    }
    /// The environment a full-access task's supervisor must give codex (it may hold API keys:
    /// removed as soon as it is read, and whenever the task ends).
    pub fn launch_env(&self) -> PathBuf {
        self.dir.join("launch-env.json")
    }
    /// Removes what must not outlive a task: the handed-over environment.
    pub fn discard_launch_env(&self) {
        let _ = std::fs::remove_file(self.launch_env());
    }
    /// Space set aside when the task is made, freed for the final write if the disk fills.
    pub fn reserve(&self) -> PathBuf {
        self.dir.join("reserved-space")
    }
    /// Sets [`TaskFiles::reserve`] aside: real blocks, not a sparse file.
    pub fn make_reserve(&self) -> Result<(), StoreError> {
        super::write_atomic(&self.reserve(), &vec![0u8; RESERVE_BYTES])
    }
    /// Gives the reserved space back.
    pub fn release_reserve(&self) {
        let _ = std::fs::remove_file(self.reserve());
    }
    /// The state of the person's checkout when a full-access task started.
    pub fn checkout_before(&self) -> PathBuf {
        self.dir.join("checkout-before.json")
    }
    /// The state of the task's directory before an audited read-only task ran.
    pub fn audit_before(&self) -> PathBuf {
        self.dir.join("audit-before.json")
    }
    /// A read-only fallback task's own folder for the sockets of the servers what it runs
    /// starts (its TMUX_TMPDIR), so nothing it runs reaches the person's; removed when the
    /// task is settled.
    pub fn sockets_dir(&self) -> PathBuf {
        self.dir.join("no-tmux")
    }
    /// The prompt of a retry, which resumes the session.
    pub fn retry_prompt(&self) -> PathBuf {
        self.dir.join("retry-prompt.md")
    }
    /// The whole final answer, however long (the record holds its start).
    pub fn answer(&self) -> PathBuf {
        self.dir.join("answer.md")
    }

    /// Who asked for this task to stop, when someone did. A marker from an older version
    /// (a bare timestamp) was written by `codex_cancel`.
    pub fn cancel_request(&self) -> Option<CancelRequest> {
        let path = self.cancel_marker();
        match read_json::<CancelRequest>(&path) {
            Ok(found) => found,
            Err(_) => path.exists().then(|| CancelRequest {
                by: EndedBy::CancelTool,
                reason: None,
                at: String::new(),
                canceller_notifies: false,
                answer: None,
            }),
        }
    }

    /// Records a request to stop this task, which its supervisor honours. Returns false when
    /// another request came first (two cancels racing): that one is the task's cancel.
    pub fn request_cancel(&self, request: &CancelRequest) -> Result<bool, StoreError> {
        let _lock = self.lock()?;
        if self.cancel_marker().exists() {
            return Ok(false);
        }
        write_json(&self.cancel_marker(), request)?;
        Ok(true)
    }

    /// Creates the folder; fails if it already exists, which is how ids stay unique.
    pub fn create_dir(&self) -> std::io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().mode(0o700).create(&self.dir)
    }

    pub fn read_meta(&self) -> Result<Option<TaskMeta>, StoreError> {
        read_json(&self.meta())
    }

    pub fn read_summary(&self) -> Result<Option<TaskSummary>, StoreError> {
        read_json(&self.meta())
    }

    pub fn write_meta(&self, meta: &TaskMeta) -> Result<(), StoreError> {
        write_json(&self.meta(), meta)
    }

    /// Writes a new task's first record, and notes its creation in the event log.
    pub fn create_meta(&self, meta: &TaskMeta) -> Result<(), StoreError> {
        self.write_meta(meta)?;
        if let Some(log) = self.event_log() {
            super::events::on_transition(&log, None, meta);
        }
        Ok(())
    }

    /// Locks this task's record for a read-modify-write.
    pub fn lock(&self) -> Result<TaskLock, StoreError> {
        let path = self.dir.join(".meta.lock");
        let file = open_lock_file(&path)?;
        file.lock().map_err(|e| StoreError::io(&path, e))?;
        Ok(TaskLock { _file: file })
    }

    /// Held while the task's work is landed, so two landings never run at once; `None` when
    /// another holds it.
    pub fn try_land_lock(&self) -> Result<Option<TaskLock>, StoreError> {
        let path = self.dir.join(".land.lock");
        let file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(TaskLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(StoreError::io(&path, e)),
        }
    }

    /// Applies `change` to the record under the task lock and writes it back atomically.
    pub fn update_meta<R>(
        &self,
        change: impl FnOnce(&mut TaskMeta) -> R,
    ) -> Result<Option<(TaskMeta, R)>, StoreError> {
        let _guard = self.lock()?;
        let Some(mut meta) = self.read_meta()? else {
            return Ok(None);
        };
        let before = super::events::Before::of(&meta);
        let r = change(&mut meta);
        self.write_meta(&meta)?;
        let after = super::events::Before::of(&meta);
        if (after.status, after.questions_asked, after.approvals)
            != (before.status, before.questions_asked, before.approvals)
            && let Some(log) = self.event_log()
        {
            super::events::on_transition(&log, Some(before), &meta);
        }
        Ok(Some((meta, r)))
    }

    /// Whether the supervisor process of this task holds its lock. A lock that cannot be
    /// opened or tried says nothing, and a task is never declared dead on that.
    pub fn supervisor_liveness(&self) -> Liveness {
        let path = self.alive_lock();
        let file = match open_lock_file(&path) {
            Ok(f) => f,
            Err(_) if !self.dir.is_dir() => return Liveness::Dead,
            Err(_) => return Liveness::Unknown,
        };
        match file.try_lock() {
            Ok(()) => Liveness::Dead,
            Err(std::fs::TryLockError::WouldBlock) => Liveness::Alive,
            Err(std::fs::TryLockError::Error(_)) => Liveness::Unknown,
        }
    }

    /// The end of the supervisor's own log: what it said before it died.
    pub fn supervisor_log_tail(&self) -> String {
        super::read_tail(&self.supervisor_log(), 2_000)
            .trim()
            .to_string()
    }

    /// Takes the liveness lock for the life of the returned file (the supervisor's side).
    /// A liveness check holds it for an instant, so a few retries are expected; a lock still
    /// held after seconds means another supervisor owns this task.
    pub fn hold_alive_lock(&self) -> Result<File, StoreError> {
        let path = self.alive_lock();
        let file = open_lock_file(&path)?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(e) => {
                    return Err(StoreError::io(
                        &path,
                        std::io::Error::other(format!("another supervisor holds this task: {e}")),
                    ));
                }
            }
        }
    }
}

/// Free space on the filesystem holding `path`, for this user.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let stat = nix::sys::statvfs::statvfs(path).ok()?;
    // The field types differ between Linux and macOS.
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    Some(u64::from(stat.blocks_available()) * u64::from(stat.fragment_size()))
}

/// What a task's liveness lock says of its supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    Dead,
    /// The lock could not be opened or tried (out of descriptors, permissions).
    Unknown,
}

/// Held while a task record is being changed.
pub struct TaskLock {
    _file: File,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_lock_that_cannot_be_opened_is_not_a_dead_supervisor() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let files = TaskFiles {
            dir: dir.path().to_path_buf(),
        };
        // A directory in the lock's place cannot be opened as a file.
        std::fs::create_dir(files.alive_lock()).unwrap();
        std::fs::set_permissions(files.alive_lock(), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        assert_eq!(files.supervisor_liveness(), Liveness::Unknown);
    }

    #[test]
    fn a_momentary_liveness_probe_does_not_stop_a_supervisor_from_starting() {
        let dir = tempfile::tempdir().unwrap();
        let files = TaskFiles {
            dir: dir.path().to_path_buf(),
        };
        // Someone probing liveness holds the lock when the supervisor starts.
        let probe = open_lock_file(&files.alive_lock()).unwrap();
        probe.try_lock().unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(probe);
        });
        let held = files
            .hold_alive_lock()
            .expect("the supervisor must wait out a probe");
        release.join().unwrap();
        assert_eq!(files.supervisor_liveness(), Liveness::Alive);
        drop(held);
        // Another test of this process may be forking a child at this moment: between fork and
        // exec the child shares the lock's file description, and with it the lock.
        let start = std::time::Instant::now();
        while files.supervisor_liveness() != Liveness::Dead
            && start.elapsed() < Duration::from_secs(2)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(files.supervisor_liveness(), Liveness::Dead);
    }
}
