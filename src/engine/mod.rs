//! The task lifecycle, behind one API (`api.rs`): validate a request, start a supervised Codex
//! run, follow it, reply to it, cancel it, list tasks, review and land work, collect what
//! ended long ago, and finalize runs whose supervisor vanished.

mod answer;
mod api;
mod batch;
mod budget;
mod cancel;
mod catalog_check;
mod contract;
mod error;
mod gc;
mod history;
mod hosts;
mod land;
mod lineage;
mod listing;
mod progress_line;
mod recover;
mod reply;
mod review;
mod settings_check;
mod settle;
mod spec;
mod start;
mod status;
mod view;
mod wait;

pub(crate) use contract::{
    BatchEntry, CancelArgs, CancelView, DEFAULT_LIST_LIMIT, Delivered, DispatchView, LandArgs,
    LandView, ReplyArgs, ReplyView, ReviewArgs, ReviewTargetArg, ReviewView, StatusArgs,
    StatusResult, TaskBatch, TaskList, TaskListEntry, TaskRequest, TaskView, WaitForArg,
};
pub(crate) use error::EngineError;
pub(crate) use gc::GcRules;
pub(crate) use hosts::HostsReport;
pub(crate) use listing::ListFilter;
pub(crate) use reply::{Delivery, ReplyWith};
pub(crate) use spec::{TaskSpec, parse_prompt, parse_task_id};
pub(crate) use wait::{CallEnd, Followed, WaitFor};

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::store::Store;

/// The engine of one process (a server or a command). Cheap to clone and share; all state
/// lives in the store.
#[derive(Debug, Clone)]
pub struct Engine {
    store: Store,
    /// The binary that runs supervisors (this executable).
    exe: PathBuf,
    config: Arc<Config>,
}
