//! One run of Codex as the supervisor and its drivers share it: what a run is given (its
//! environment, its limits, the stop signal) and what it leaves.

use crate::runner::launch::live_view::LiveView;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use super::pump::Tracked;
use crate::config::Config;
use crate::runner::end::outcome::RunEnd;

/// What every run of codex gets besides its command line and prompt.
#[derive(Clone, Copy)]
pub(in crate::runner) struct RunEnv<'a> {
    /// The environment handed over by the server (full-access tasks), else this process's.
    pub(in crate::runner) env: Option<&'a BTreeMap<String, String>>,
    /// How deep in delegation codex runs: a codex-mcp started inside it sees this and refuses
    /// to go deeper than CODEXMCP_MAX_DEPTH.
    pub(in crate::runner) depth: u32,
    /// Whether a person may be watching the run in a tmux pane.
    pub(in crate::runner) view: LiveView,
    /// The stop signal, and where to record codex's pid for it.
    pub(in crate::runner) stop: &'a Stop,
    /// When the supervisor stops codex on its own.
    pub(in crate::runner) limits: Limits,
    /// The supervisor's configuration (the notify program, the approval timeout).
    pub(in crate::runner) config: &'a Config,
}

/// What one run of codex left.
pub(in crate::runner) struct Ran {
    pub(in crate::runner) tracked: Tracked,
    pub(in crate::runner) end: RunEnd,
    pub(in crate::runner) warnings: Vec<String>,
    /// Answers the record could not take while the run went on (a full disk).
    pub(in crate::runner) late_approvals: Vec<crate::store::Approval>,
}

/// What the signal thread shares: which stop signal arrived, and the codex to pass it on to.
#[derive(Clone)]
pub(in crate::runner) struct Stop {
    pub(in crate::runner) signal: Arc<AtomicI32>,
    pub(in crate::runner) codex_pid: Arc<AtomicI32>,
}

impl Stop {
    pub(in crate::runner) fn requested(&self) -> bool {
        self.signal.load(Ordering::SeqCst) != 0
    }
}

/// When the supervisor stops codex on its own.
#[derive(Debug, Clone, Copy)]
pub(in crate::runner) struct Limits {
    /// How long codex may linger after its turn.
    pub(in crate::runner) exit_grace: Duration,
    /// How long codex may say nothing but errors (cannot reach its model).
    pub(in crate::runner) unreachable: Duration,
    /// The task's time limit: its length in seconds, and when it passes.
    pub(in crate::runner) deadline: Option<(u64, Instant)>,
}

impl Limits {
    /// The limits of a run starting now, under `config`, for a task of `timeout_seconds`.
    pub(in crate::runner) fn from_now(config: &Config, timeout_seconds: Option<u64>) -> Limits {
        Limits {
            exit_grace: config.exit_grace,
            unreachable: config.model_unreachable,
            deadline: timeout_seconds.map(|s| (s, Instant::now() + Duration::from_secs(s))),
        }
    }
}
