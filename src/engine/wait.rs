//! Following a task to its end. The server that launched the supervisor awaits the child
//! itself, so a blocking call returns the moment the run ends; any other server polls the
//! small record.

use std::future::Future;
use std::time::Duration;

use super::spec::TaskSpec;
use super::start::Started;
use super::view::{DispatchView, TaskView};
use super::{Engine, EngineError};
use crate::store::TaskId;

const TICK: Duration = Duration::from_secs(3);
/// Polling a small file this often keeps a blocking call within ~50 ms of the end.
const POLL: Duration = Duration::from_millis(50);

impl Engine {
    /// Starts a task and returns at once; the supervisor is reaped in the background.
    pub async fn dispatch(&self, spec: TaskSpec) -> Result<DispatchView, EngineError> {
        let started = self.run_blocking(move |e| e.start(spec)).await?;
        let view = DispatchView::of(&started.meta);
        self.reap_in_background(started);
        Ok(view)
    }

    /// Starts a task and follows it to its end. `cancelled` resolving (the client gave up on
    /// the call) cancels the task; `tick` receives the live view every few seconds.
    pub async fn run(
        &self,
        spec: TaskSpec,
        cancelled: impl Future<Output = ()>,
        tick: impl FnMut(TaskView),
    ) -> Result<TaskView, EngineError> {
        let started = self.run_blocking(move |e| e.start(spec)).await?;
        self.wait(started, cancelled, tick).await
    }

    async fn wait(
        &self,
        started: Started,
        cancelled: impl Future<Output = ()>,
        mut tick: impl FnMut(TaskView),
    ) -> Result<TaskView, EngineError> {
        let task_id = started.task_id;
        let mut child = started.child;
        let own_child = child.is_some();
        let ended = async {
            match child.as_mut() {
                Some(c) => {
                    let _ = c.wait().await;
                }
                None => loop {
                    match self.off_thread(&task_id, |e, id| e.current_meta(id)).await {
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
                    self.off_thread(&task_id, |e, id| e.cancel(id)).await?;
                    break;
                }
                _ = ticker.tick() => {
                    if let Ok(view) = self.off_thread(&task_id, |e, id| e.status(id)).await {
                        tick(view);
                    }
                }
            }
        }
        if own_child {
            self.off_thread(&task_id, |e, id| e.finalize_exited(&e.store.task(id)))
                .await?;
        }
        self.off_thread(&task_id, |e, id| e.status(id)).await
    }

    /// Runs blocking engine work (file reads, locks, process termination) on a blocking
    /// thread, so a slow finalization never stalls the async workers serving other calls.
    pub async fn run_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Engine) -> Result<T, EngineError> + Send + 'static,
    ) -> Result<T, EngineError> {
        let engine = self.clone();
        tokio::task::spawn_blocking(move || f(&engine))
            .await
            .map_err(|e| EngineError::Internal(format!("a worker thread failed: {e}")))?
    }

    async fn off_thread<T: Send + 'static>(
        &self,
        task_id: &TaskId,
        f: impl FnOnce(&Engine, &TaskId) -> Result<T, EngineError> + Send + 'static,
    ) -> Result<T, EngineError> {
        let id = task_id.clone();
        self.run_blocking(move |e| f(e, &id)).await
    }

    /// Reaps a dispatched task's supervisor in the background (no zombies) and finalizes the
    /// task if the supervisor died without a result.
    fn reap_in_background(&self, started: Started) {
        let Some(mut child) = started.child else {
            return;
        };
        let engine = self.clone();
        let task_id = started.task_id;
        tokio::spawn(async move {
            let _ = child.wait().await;
            let _ = engine
                .off_thread(&task_id, |e, id| e.finalize_exited(&e.store.task(id)))
                .await;
        });
    }
}
