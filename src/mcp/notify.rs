//! `notifications/progress` for a blocking `codex` call, sent only when the client asked for
//! them (its request carried a progress token). They keep long calls alive in clients that
//! time out idle requests, and show the user what Codex is doing.

use rmcp::RoleServer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::Peer;

use crate::engine::TaskView;
use crate::text::shorten;

/// Sends the progress of one blocking call to its client.
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

    /// Sends one notification (without waiting for the transport) with a growing counter.
    pub fn report(&mut self, view: &TaskView) {
        let Some(token) = self.token.clone() else {
            return;
        };
        self.sent += 1;
        let param =
            ProgressNotificationParam::new(token, f64::from(self.sent)).with_message(message(view));
        let peer = self.peer.clone();
        tokio::spawn(async move {
            let _ = peer.notify_progress(param).await;
        });
    }
}

fn message(view: &TaskView) -> String {
    match &view.progress {
        Some(p) => {
            let mut m = format!(
                "{} · {:.0}s · {} commands · {} files changed",
                p.phase.as_str(),
                view.elapsed_seconds,
                p.commands_run,
                p.files_changed
            );
            if let Some(c) = &p.last_command {
                m.push_str(&format!(" · last: {}", shorten(c, 80)));
            }
            m
        }
        None => view.status.to_string(),
    }
}
