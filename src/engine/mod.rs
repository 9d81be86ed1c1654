//! The task lifecycle: validate a request, start a supervised codex run, follow it, cancel it,
//! and finalize runs whose supervisor vanished.

mod cancel;
mod error;
mod outcome;
mod recover;
mod spec;
mod start;
mod status;
mod view;
mod wait;

pub use cancel::Cancelled;
pub use error::EngineError;
pub use outcome::{Decision, ExitInfo, decide_outcome, truncate_result};
pub use recover::{finalize_exited, finalize_orphan, scan_log};
pub use spec::{TOPIC_PATTERN, TaskSpec, Topic, parse_session_id, parse_task_id, parse_topic};
pub use start::Started;
pub use view::{TaskListing, TaskView};

use std::path::PathBuf;

use crate::store::Store;

/// The engine of one server process. Cheap to share; all state lives in the store.
#[derive(Debug, Clone)]
pub struct Engine {
    store: Store,
    /// The binary that runs supervisors (this executable).
    exe: PathBuf,
}

impl Engine {
    pub fn new(store: Store, exe: PathBuf) -> Self {
        Engine { store, exe }
    }

    pub fn from_env() -> Result<Self, EngineError> {
        let store = Store::from_env()?;
        let exe = std::env::current_exe()
            .map_err(|e| EngineError::Launch(format!("cannot find this executable: {e}")))?;
        Ok(Engine::new(store, exe))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
