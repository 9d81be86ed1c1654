use std::path::PathBuf;

/// Failures of the on-disk store. Each carries the path so the message is actionable.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid task data: {source}")]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("refusing to use {path}: {reason}")]
    Unsafe { path: PathBuf, reason: String },
    #[error("cannot find the home directory; set CODEXMCP_HOME to choose where tasks are stored")]
    NoHome,
    #[error(
        "cannot write {path}: the disk holding it is full ({source}). Free some space there, or \
         move the task store (CODEXMCP_HOME) to another disk"
    )]
    DiskFull {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// True when the filesystem is full (or the user's quota is): a condition that passes
    /// when space is freed, unlike the others.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::DiskFull { .. })
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if is_disk_full(&source) {
            StoreError::DiskFull { path, source }
        } else {
            StoreError::Io { path, source }
        }
    }
}

/// True for "no space left on device" and "disk quota exceeded".
fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(c) if c == nix::libc::ENOSPC || c == nix::libc::EDQUOT
    )
}
