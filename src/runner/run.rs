//! One run of Codex as the supervisor and its drivers share it: what a run is given (its
//! environment, its limits, the stop signal) and what it leaves.

use super::live_view::LiveView;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use super::outcome::RunEnd;
use super::pump::Tracked;
use crate::config::Config;

/// What every run of codex gets besides its command line and prompt.
#[derive(Clone, Copy)]
pub(super) struct RunEnv<'a> {
    /// The environment handed over by the server (full-access tasks), else this process's.
    pub(super) env: Option<&'a BTreeMap<String, String>>,
    /// How deep in delegation codex runs: a codex-mcp started inside it sees this and refuses
    /// to go deeper than CODEXMCP_MAX_DEPTH.
    pub(super) depth: u32,
    /// Whether a person may be watching the run in a tmux pane.
    pub(super) view: LiveView,
    /// The stop signal, and where to record codex's pid for it.
    pub(super) stop: &'a Stop,
    /// When the supervisor stops codex on its own.
    pub(super) limits: Limits,
    /// The supervisor's configuration (the notify program, the approval timeout).
    pub(super) config: &'a Config,
}

/// What one run of codex left.
pub(super) struct Ran {
    pub(super) tracked: Tracked,
    pub(super) end: RunEnd,
    pub(super) warnings: Vec<String>,
    /// Answers the record could not take while the run went on (a full disk).
    pub(super) late_approvals: Vec<crate::store::Approval>,
}

/// What the signal thread shares: which stop signal arrived, and the codex to pass it on to.
#[derive(Clone)]
pub(super) struct Stop {
    pub(super) signal: Arc<AtomicI32>,
    pub(super) codex_pid: Arc<AtomicI32>,
}

impl Stop {
    pub(super) fn requested(&self) -> bool {
        self.signal.load(Ordering::SeqCst) != 0
    }
}

/// When the supervisor stops codex on its own.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// How long codex may linger after its turn.
    pub(super) exit_grace: Duration,
    /// How long codex may say nothing but errors (cannot reach its model).
    pub(super) unreachable: Duration,
    /// The task's time limit: its length in seconds, and when it passes.
    pub(super) deadline: Option<(u64, Instant)>,
}

impl Limits {
    /// The limits of a run starting now, under `config`, for a task of `timeout_seconds`.
    pub(super) fn from_now(config: &Config, timeout_seconds: Option<u64>) -> Limits {
        Limits {
            exit_grace: config.exit_grace,
            unreachable: config.model_unreachable,
            deadline: timeout_seconds.map(|s| (s, Instant::now() + Duration::from_secs(s))),
        }
    }
}
