//! `notifications/progress` for calls that wait (a blocking `codex` call, a `codex_status`
//! wait), sent only when the client asked for them (its request carried a progress token).
//! They keep long calls alive in clients that time out idle requests, and show the person what
//! Codex is doing now, in one line under 200 characters.

use rmcp::RoleServer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::Peer;

use crate::codex::Phase;
use crate::engine::{EngineError, TaskView};
use crate::store::now_ms;
use crate::text::{clock as duration, shorten};

/// The longest progress line sent.
const LINE_MAX: usize = 190;

/// Sends the progress of one waiting call to its client.
pub struct ProgressReporter {
    peer: Peer<RoleServer>,
    token: Option<ProgressToken>,
    sent: u32,
}

impl ProgressReporter {
    pub fn new(peer: Peer<RoleServer>, token: Option<ProgressToken>) -> Self {
        ProgressReporter {
            peer,
            token,
            sent: 0,
        }
    }

    /// Reports one task.
    pub fn report(&mut self, view: &TaskView) {
        self.send(task_line(view));
    }

    /// Reports the tasks of a wait: one in full, several in brief.
    pub fn report_all(&mut self, views: &[Result<TaskView, EngineError>]) {
        match views {
            [Ok(view)] => self.send(task_line(view)),
            _ => self.send(tasks_line(views)),
        }
    }

    /// Sends one notification (without waiting for the transport) with a growing counter.
    fn send(&mut self, line: String) {
        let Some(token) = self.token.clone() else {
            return;
        };
        self.sent += 1;
        let param = ProgressNotificationParam::new(token, f64::from(self.sent))
            .with_message(shorten(&line, LINE_MAX));
        let peer = self.peer.clone();
        tokio::spawn(async move {
            let _ = peer.notify_progress(param).await;
        });
    }
}

/// "running `cargo test` (12s) · 3 commands done · 2 files changed · 1m05s".
pub fn task_line(view: &TaskView) -> String {
    if let Some(n) = view.queue_position {
        return format!("queued, position {n} · {}", duration(view.elapsed_seconds));
    }
    if let Some(q) = &view.input_request {
        return format!(
            "waiting for an answer: Codex asks to {} · {}",
            shorten(&q.what(), 90),
            duration(view.elapsed_seconds)
        );
    }
    let Some(p) = &view.progress else {
        return format!("{} · {}", view.status, duration(view.elapsed_seconds));
    };
    let mut line = format!(
        "{} · {} commands done · {} files changed · {}",
        doing(view, 60),
        p.commands_run,
        p.files_changed,
        duration(view.elapsed_seconds)
    );
    if p.idle_seconds >= 60.0 {
        line.push_str(&format!(" · no event for {}", duration(p.idle_seconds)));
    }
    line
}

/// "2 of 3 running · codex-a: running `cargo test` (12s) · codex-b: thinking".
fn tasks_line(views: &[Result<TaskView, EngineError>]) -> String {
    let running: Vec<&TaskView> = views
        .iter()
        .flatten()
        .filter(|v| !v.status.is_final())
        .collect();
    let mut line = format!("{} of {} not finished", running.len(), views.len());
    for v in running {
        line.push_str(&format!(" · {}: {}", v.task_id, doing(v, 30)));
    }
    line
}

/// What a running task is doing now: "running `cargo test` (12s)", or its phase.
fn doing(view: &TaskView, command_max: usize) -> String {
    if let Some(n) = view.queue_position {
        return format!("queued, position {n}");
    }
    let Some(p) = &view.progress else {
        return view.status.to_string();
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
