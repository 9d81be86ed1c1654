//! What kind of failure a failed task had, and what to do about it. The cause is read from the
//! strongest evidence first, as a careful person debugging a failed job would: how the run was
//! stopped or how the process ended, then Codex's typed error (`codexErrorInfo`), then an HTTP
//! status, then Codex's own error message for the turn, and only last the error lines Codex
//! wrote to stderr for this run. Codex's start-up warnings (the bubblewrap line, …) are never
//! evidence: `stderr.rs` takes them out first. A hint never advises weakening a safety unless
//! that safety itself failed.

use super::failure_rows::{Found, STDERR_ROWS, WORD_ROWS, by_status, by_typed, by_words};
use crate::store::{EndedBy, Failure, FailureKind};

/// How Codex's process ended, as far as the supervisor knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessEnd {
    /// Codex ended its turn (it completed or failed) before it exited.
    FinishedTurn,
    /// Killed by a signal before it finished its turn.
    Signal(i32),
    /// Exited after its turn had started, without finishing it.
    ExitedMidTurn(Option<i32>),
    /// Exited before any turn started: it could not start one.
    ExitedBeforeTurn(Option<i32>),
    /// How it ended is not known (its supervisor is gone).
    Unknown,
}

/// What is known of a failed run.
pub struct FailedRun<'a> {
    /// Who ended it, when that was not Codex: a time limit, the unreachable-model watchdog, a
    /// supervisor that vanished.
    pub ended_by: Option<EndedBy>,
    pub process: ProcessEnd,
    /// The kind app-server gave the error (`codexErrorInfo`: `usageLimitExceeded`,
    /// `httpConnectionFailed:404`…), when it gave one.
    pub error_info: Option<&'a str>,
    /// Codex's own error message for the turn (its `turn.failed`), or its last error event.
    pub message: &'a str,
    /// The error lines Codex wrote to stderr during this run (start-up warnings left out).
    pub stderr: &'a str,
    /// The log could not be written in full (a full disk).
    pub log_incomplete: bool,
}

/// The kind of failure, whether retrying may help, what to do, and what Codex said beyond
/// the task's error.
pub fn classify(run: &FailedRun<'_>) -> Failure {
    let found = by_stop(run)
        .or_else(|| by_process(run))
        .or_else(|| run.error_info.and_then(|info| by_typed(info, run.message)))
        .or_else(|| by_status(run.error_info, run.message))
        .or_else(|| by_words(WORD_ROWS, run.message))
        .or_else(|| by_words(STDERR_ROWS, run.stderr))
        .or_else(|| by_start(run))
        .unwrap_or_else(|| Found::of(FailureKind::Unknown));
    let mut detail = Vec::new();
    let stderr = run.stderr.trim();
    if !stderr.is_empty() && !run.message.contains(stderr) {
        detail.push(format!("codex's stderr ends with:\n{stderr}"));
    }
    // A typed kind this version does not know, or Codex's catch-all, is kept as it was said.
    if found.kind == FailureKind::Unknown
        && let Some(info) = run.error_info
    {
        detail.push(format!("codexErrorInfo: {info}"));
    }
    Failure {
        kind: found.kind,
        retryable: is_retryable(found.kind),
        hint: found.hint.unwrap_or_else(|| found.kind.hint()).to_string(),
        detail: detail.join("\n"),
    }
}

/// The kinds worth running again as they are.
fn is_retryable(kind: FailureKind) -> bool {
    matches!(
        kind,
        FailureKind::RateLimit
            | FailureKind::ServerError
            | FailureKind::Network
            | FailureKind::ProcessCrash
            | FailureKind::Interrupted
            | FailureKind::HostUnreachable
    )
}

/// The supervisor's own stops, and a full disk, are facts before anything Codex said.
fn by_stop(run: &FailedRun<'_>) -> Option<Found> {
    match run.ended_by {
        Some(EndedBy::Timeout) => return Some(Found::of(FailureKind::Timeout)),
        Some(EndedBy::RecoveredAtStart) => return Some(Found::of(FailureKind::Interrupted)),
        // It could not reach its model: the network, unless Codex's words say it was refused.
        Some(EndedBy::Unreachable) => {
            let refused =
                by_words(WORD_ROWS, run.message).filter(|f| f.kind == FailureKind::Authentication);
            return Some(refused.unwrap_or(Found::of(FailureKind::Network)));
        }
        Some(EndedBy::Crash) if run.process == ProcessEnd::Unknown => {
            return Some(Found::of(FailureKind::Interrupted));
        }
        _ => {}
    }
    run.log_incomplete.then(|| Found::of(FailureKind::DiskFull))
}

/// A Codex killed by a signal, or that exited in the middle of its turn, crashed: whatever its
/// log said last (a cut-off fragment is no cause).
fn by_process(run: &FailedRun<'_>) -> Option<Found> {
    match run.process {
        ProcessEnd::Signal(_) | ProcessEnd::ExitedMidTurn(_) => {
            Some(Found::of(FailureKind::ProcessCrash))
        }
        _ => None,
    }
}

/// A Codex that could not even start its turn, and said nothing this knows.
fn by_start(run: &FailedRun<'_>) -> Option<Found> {
    matches!(run.process, ProcessEnd::ExitedBeforeTurn(_))
        .then(|| Found::of(FailureKind::ProcessCrash))
}

#[cfg(test)]
#[path = "failure_tests.rs"]
mod tests;
