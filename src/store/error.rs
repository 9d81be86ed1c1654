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
}

impl StoreError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}
