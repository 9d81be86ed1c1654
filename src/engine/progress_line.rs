//! A running task in one line under 200 characters — "running `cargo test` (12s) · 3 commands
//! done · 2 files changed · 1m05s", or "retrying: Reconnecting… 3/5" — the same words in the
//! MCP progress, an MCP task's `statusMessage` and `codex-mcp show`.

use super::EngineError;
use super::contract::TaskView;
use crate::codex::Phase;
use crate::store::now_ms;
use crate::text::{clock as duration, shorten};

impl TaskView {
    /// What the task does now.
    pub fn progress_line(&self) -> String {
        if let Some(n) = self.queue_position {
            return format!("queued, position {n} · {}", duration(self.elapsed_seconds));
        }
        if let Some(q) = &self.input_request {
            let more = match self.input_requests.len() {
                0 | 1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            return format!(
                "waiting for an answer: Codex asks to {}{more} · {}",
                shorten(&q.what(), 90),
                duration(self.elapsed_seconds)
            );
        }
        let Some(p) = &self.progress else {
            return format!("{} · {}", self.status, duration(self.elapsed_seconds));
        };
        let mut line = format!(
            "{} · {} commands done · {} files changed · {}",
            self.doing(60),
            p.commands_run,
            p.files_changed,
            duration(self.elapsed_seconds)
        );
        if p.idle_seconds >= 60.0 {
            line.push_str(&format!(" · no event for {}", duration(p.idle_seconds)));
        }
        line
    }

    /// Several tasks of a wait in one line: "2 of 3 not finished · codex-a: running `cargo
    /// test` (12s) · codex-b: thinking".
    pub fn progress_lines(views: &[Result<TaskView, EngineError>]) -> String {
        let running: Vec<&TaskView> = views
            .iter()
            .flatten()
            .filter(|v| !v.status.is_final())
            .collect();
        let mut line = format!("{} of {} not finished", running.len(), views.len());
        for v in running {
            line.push_str(&format!(" · {}: {}", v.task_id, v.doing(30)));
        }
        line
    }

    /// What a running task is doing now: "running `cargo test` (12s)", "retrying: …", or its
    /// phase.
    fn doing(&self, command_max: usize) -> String {
        if let Some(n) = self.queue_position {
            return format!("queued, position {n}");
        }
        let Some(p) = &self.progress else {
            return self.status.to_string();
        };
        if let (true, Some(e)) = (p.retrying, &p.last_error) {
            return format!("retrying: {}", shorten(e, command_max + 20));
        }
        match (p.phase, &p.last_command, p.command_started_at_ms) {
            (Phase::RunningCommand, Some(cmd), Some(at)) => format!(
                "running `{}` ({})",
                shorten(cmd, command_max),
                duration(now_ms().saturating_sub(at) as f64 / 1000.0)
            ),
            (Phase::RunningCommand, Some(cmd), None) => {
                format!("running `{}`", shorten(cmd, command_max))
            }
            (phase, _, _) => phase.as_str().replace('_', " "),
        }
    }
}
