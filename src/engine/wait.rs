//! Following a task to its end. The server that launched the supervisor awaits the child
//! itself, so a blocking call returns the moment the run ends; any other server polls the
//! small record.

use std::future::Future;
use std::time::Duration;

use super::recover::finalize_exited;
use super::start::Started;
use super::view::TaskView;
use super::{Engine, EngineError};

const TICK: Duration = Duration::from_secs(3);
/// Polling a small file this often keeps a blocking call within ~50 ms of the end.
const POLL: Duration = Duration::from_millis(50);

impl Engine {
    /// Waits for `started` to finish. `cancelled` resolving (the client gave up on the call)
    /// cancels the task; `tick` receives the live view every few seconds.
    pub async fn wait(
        &self,
        started: Started,
        cancelled: impl Future<Output = ()>,
        mut tick: impl FnMut(TaskView),
    ) -> Result<TaskView, EngineError> {
        let task_id = started.meta.task_id.clone();
        let mut child = started.child;
        let own_child = child.is_some();
        let ended = async {
            match child.as_mut() {
                Some(c) => {
                    let _ = c.wait().await;
                }
                None => loop {
                    match self.current_meta(&task_id) {
                        Ok(m) if !m.status.is_final() => tokio::time::sleep(POLL).await,
                        _ => break,
                    }
                },
            }
        };
        tokio::pin!(ended, cancelled);
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + TICK, TICK);
        loop {
            tokio::select! {
                _ = &mut ended => break,
                _ = &mut cancelled => {
                    let engine = self.clone();
                    let id = task_id.clone();
                    tokio::task::spawn_blocking(move || engine.cancel(&id))
                        .await
                        .map_err(|e| EngineError::Launch(format!("cancel task failed: {e}")))??;
                    break;
                }
                _ = ticker.tick() => {
                    if let Ok(view) = self.status(&task_id) {
                        tick(view);
                    }
                }
            }
        }
        if own_child {
            finalize_exited(&self.store.task(&task_id))?;
        }
        self.status(&task_id)
    }

    /// Reaps a dispatched task's supervisor in the background (no zombies) and finalizes the
    /// task if the supervisor died without a result.
    pub fn reap_in_background(&self, started: Started) {
        let Some(mut child) = started.child else {
            return;
        };
        let engine = self.clone();
        let task_id = started.meta.task_id;
        tokio::spawn(async move {
            let _ = child.wait().await;
            let _ = finalize_exited(&engine.store.task(&task_id));
        });
    }
}
