//! The task lifecycle: validate a request, start a supervised codex run, follow it, cancel it,
//! list tasks, and finalize runs whose supervisor vanished.

mod answer;
mod batch;
mod budget;
mod cancel;
mod error;
mod findings;
mod gc;
mod history;
mod lineage;
mod listing;
mod recover;
mod settle;
mod spec;
mod start;
mod status;
mod view;
mod wait;

pub(crate) use batch::{BatchEntry, TaskBatch};
pub(crate) use error::EngineError;
pub(crate) use findings::end_findings;
pub(crate) use gc::GcRules;
pub(crate) use listing::{ListFilter, TaskList, TaskListEntry};
pub(crate) use spec::{TaskRequest, TaskSpec, parse_task_id};
pub(crate) use view::{CancelView, DispatchView, TaskView};
pub(crate) use wait::{CallEnd, WaitFor};

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::store::{Store, StoreError};

/// The engine of one process (a server or a command). Cheap to clone and share; all state
/// lives in the store.
#[derive(Debug, Clone)]
pub struct Engine {
    store: Store,
    /// The binary that runs supervisors (this executable).
    exe: PathBuf,
    config: Arc<Config>,
}

impl Engine {
    /// The most characters one tool result may hold.
    pub fn result_budget(&self) -> usize {
        self.config.max_result_chars
    }

    /// How long a `codex` call the client would follow as an MCP task waits for a quick end.
    pub fn task_inline(&self) -> std::time::Duration {
        self.config.task_inline
    }

    /// The polling interval suggested with an MCP task.
    pub fn task_poll(&self) -> std::time::Duration {
        self.config.task_poll
    }

    /// Whether people asked for no colours (NO_COLOR).
    pub fn no_color(&self) -> bool {
        self.config.no_color
    }

    /// The log of every task's status changes.
    pub fn events_file(&self) -> std::path::PathBuf {
        self.store.events_file()
    }
}

impl Engine {
    /// The engine over the store `config` names (created by the first task that needs it), or,
    /// in a process started beneath a codex-mcp task, over that task's store and limits.
    pub fn from_config(config: Config) -> Result<Self, EngineError> {
        let config = lineage::beneath_task(config);
        let home = config.store_home.clone().ok_or(StoreError::NoHome)?;
        let store = Store::at(&home);
        let exe = std::env::current_exe().map_err(EngineError::NoExecutable)?;
        Ok(Engine {
            store,
            exe,
            config: Arc::new(config),
        })
    }
}
