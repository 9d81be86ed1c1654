//! Where a supervisor shows its run as it goes.

use std::io::Write;

/// Whether the supervisor also prints a readable account of the run on its stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveView {
    /// Stdout goes nowhere (a detached read-only task).
    Off,
    /// Stdout is the task's tmux pane, which a person may be watching.
    Pane,
}

impl LiveView {
    /// Writes to the pane; a pane that is gone (session killed) must not stop the supervisor.
    pub(in crate::runner) fn show(self, text: &str) {
        if self == LiveView::Pane {
            let _ = writeln!(std::io::stdout(), "{text}");
        }
    }
}
