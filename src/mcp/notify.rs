//! `notifications/progress` for calls that wait (a blocking `codex` call, a `codex_status`
//! wait), sent only when the client asked for them (its request carried a progress token).
//! They keep long calls alive in clients that time out idle requests, and show the person what
//! Codex is doing now, in one line under 200 characters.

use rmcp::RoleServer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::Peer;

use crate::engine::{EngineError, TaskView};
use crate::text::shorten;

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
        self.send(view.progress_line());
    }

    /// Reports the tasks of a wait: one in full, several in brief.
    pub fn report_all(&mut self, views: &[Result<TaskView, EngineError>]) {
        match views {
            [Ok(view)] => self.send(view.progress_line()),
            _ => self.send(TaskView::progress_lines(views)),
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
