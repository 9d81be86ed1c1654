//! Following tasks to their end: a blocking `codex` call, and `codex_status` waits on one
//! task or several.
//!
//! The server that launched a supervisor awaits it as its child, so it learns of the end at
//! once. Any other wait watches the task's record: `meta.json` is replaced (renamed over) by
//! every write, so a cheap `stat` every 50 ms sees the final write within that time, and only a
//! changed record is read. Every second each task is also checked for a dead supervisor.

use std::future::Future;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::contract::{DispatchView, TaskView};
use super::spec::TaskSpec;
use super::start::Started;
use super::{Engine, EngineError};
use crate::store::{EndedBy, TaskFiles, TaskId, TaskStatus};

/// How often a waiting call hears of progress.
const TICK: Duration = Duration::from_secs(3);
/// How often a watched record is looked at.
const POLL: Duration = Duration::from_millis(50);
/// How often a watched task is checked for a dead supervisor.
const LIVENESS_EVERY: Duration = Duration::from_secs(1);

/// A task started by this process and followed by its caller: what the start returned, and
/// the news of its supervisor's exit when that is this process's child.
pub struct Followed {
    pub view: DispatchView,
    task_id: TaskId,
    reaped: Option<oneshot::Receiver<()>>,
}

/// How a client ended a blocking call before its task did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEnd {
    /// The client sent `notifications/cancelled`, with its reason when it gave one.
    Cancelled(Option<String>),
    /// The connection is gone (the client closed it, or the server is stopping).
    Gone,
}

/// Whether a wait on several tasks ends when all of them have ended (or ask), or the first;
/// a person's wait (`codex-mcp wait`) also ends as soon as one asks, since someone must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitFor {
    All,
    Any,
    AllUnlessOneAsks,
}

/// True when a cancel's reason says the client's own time limit for the call passed (Claude
/// Code sends "McpError: MCP error -32001: Request timed out"). Such a cancel only means the
/// client stopped waiting: the task keeps running.
pub fn is_client_timeout(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("-32001") || r.contains("timed out") || r.contains("timeout")
}

impl Engine {
    /// A client stopped waiting for the blocking call that runs `task_id`.
    async fn client_ended_call(&self, task_id: &TaskId, end: CallEnd) -> Result<(), EngineError> {
        match end {
            CallEnd::Cancelled(reason) if !reason.as_deref().is_some_and(is_client_timeout) => {
                self.off_thread(task_id, move |e, id| {
                    super::cancel::cancel(e, id, EndedBy::ClientCancel, reason).map(|_| ())
                })
                .await
            }
            CallEnd::Cancelled(reason) => {
                let why = reason.unwrap_or_default();
                tracing::info!(task = %task_id, %why, "the client timed out; the task keeps running");
                self.off_thread(task_id, move |e, id| e.note_detached(id, &why))
                    .await
            }
            CallEnd::Gone => Ok(()),
        }
    }

    /// Records on a running task that the client timed out waiting for it, so a later status
    /// tells the caller the task went on.
    fn note_detached(&self, task_id: &TaskId, reason: &str) -> Result<(), EngineError> {
        self.store.task(task_id).update_meta(|m| {
            if !m.status().is_final() {
                m.warn([format!(
                    "the client stopped waiting for the codex call that started this task \
                     ({reason}); the task kept running, and codex_status reports its result"
                )]);
            }
        })?;
        Ok(())
    }

    /// Returns when the tasks have ended as `mode` asks, or at `deadline`. An id that is not a
    /// task counts as ended for `All` and not for `Any`.
    async fn until_ended(&self, task_ids: &[TaskId], mode: WaitFor, deadline: Option<Instant>) {
        let mut watches: Vec<Watch> = task_ids
            .iter()
            .map(|id| Watch::new(self.store.task(id), id.clone()))
            .collect();
        let mut checked_at = Instant::now() - LIVENESS_EVERY;
        loop {
            let full = checked_at.elapsed() >= LIVENESS_EVERY;
            if full {
                checked_at = Instant::now();
            }
            watches = match self
                .run_blocking(move |e| {
                    watches.iter_mut().for_each(|w| w.look(e, full));
                    Ok(watches)
                })
                .await
            {
                Ok(w) => w,
                Err(_) => return,
            };
            let settled = |w: &Watch| matches!(w.state, State::Ended | State::Asks);
            let done = match mode {
                WaitFor::All => watches.iter().all(|w| w.state != State::Running),
                WaitFor::Any => {
                    watches.iter().any(settled) || watches.iter().all(|w| w.state == State::Missing)
                }
                WaitFor::AllUnlessOneAsks => {
                    watches.iter().any(|w| w.state == State::Asks)
                        || watches.iter().all(|w| w.state != State::Running)
                }
            };
            let now = Instant::now();
            if done || deadline.is_some_and(|d| now >= d) {
                return;
            }
            let pause = deadline.map_or(POLL, |d| POLL.min(d - now));
            tokio::time::sleep(pause).await;
        }
    }

    /// Runs blocking engine work (file reads, locks, process termination) on a blocking
    /// thread, so a slow finalization never stalls the async workers serving other calls.
    pub(super) async fn run_blocking<T: Send + 'static>(
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

    /// Reaps a supervisor this process spawned, in the background (no zombies), and finalizes
    /// the task if it died without a result. The receiver hears when that is done; `None` when
    /// the supervisor is not this process's child (it runs in tmux).
    fn reap_in_background(&self, started: Started) -> Option<oneshot::Receiver<()>> {
        let mut child = started.child?;
        let (done_tx, done_rx) = oneshot::channel();
        let engine = self.clone();
        let task_id = started.task_id;
        tokio::spawn(async move {
            let _ = child.wait().await;
            let _ = engine
                .off_thread(&task_id, |e, id| e.finalize_exited(&e.store.task(id)))
                .await;
            let _ = done_tx.send(());
        });
        Some(done_rx)
    }
}

/// Waits until the tasks have ended (all of them, or any), or for `duration`. `tick`
/// receives the live views every [`TICK`] meanwhile.
pub(super) async fn wait_tasks(
    engine: &Engine,
    task_ids: &[TaskId],
    mode: WaitFor,
    duration: Duration,
    mut tick: impl FnMut(&[Result<TaskView, EngineError>]),
) {
    let ended = engine.until_ended(task_ids, mode, Some(Instant::now() + duration));
    tokio::pin!(ended);
    let mut ticker = tokio::time::interval_at(Instant::now() + TICK, TICK);
    loop {
        tokio::select! {
            _ = &mut ended => return,
            _ = ticker.tick() => tick(&statuses(engine, task_ids).await),
        }
    }
}

/// The current view of each task, in order.
pub(super) async fn statuses(
    engine: &Engine,
    task_ids: &[TaskId],
) -> Vec<Result<TaskView, EngineError>> {
    let ids = task_ids.to_vec();
    engine
        .run_blocking(move |e| Ok(ids.iter().map(|id| super::status::status(e, id)).collect()))
        .await
        .unwrap_or_else(|err| {
            let text = err.to_string();
            task_ids
                .iter()
                .map(|_| Err(EngineError::Internal(text.clone())))
                .collect()
        })
}

/// Starts a task and follows it to its end. When `stop` resolves first, the client gave up
/// on the call: a cancel with a reason other than a client time-out cancels the task;
/// otherwise the task keeps running and its result stays in `codex_status`. `tick`
/// receives the live view every [`TICK`].
pub(super) async fn run(
    engine: &Engine,
    spec: TaskSpec,
    stop: impl Future<Output = CallEnd>,
    mut tick: impl FnMut(TaskView),
) -> Result<TaskView, EngineError> {
    let started = engine.run_blocking(move |e| e.start(spec)).await?;
    let task_id = started.task_id.clone();
    let reaped = engine.reap_in_background(started);
    // The call returns when the task ends, or asks a question nobody here can answer:
    // the caller answers with codex_reply, then waits with codex_status.
    let ended = async {
        let watched = engine.until_ended(std::slice::from_ref(&task_id), WaitFor::All, None);
        match reaped {
            Some(done) => {
                tokio::select! {
                    _ = done => {}
                    () = watched => {}
                }
            }
            None => watched.await,
        }
    };
    tokio::pin!(ended, stop);
    let mut ticker = tokio::time::interval_at(Instant::now() + TICK, TICK);
    loop {
        tokio::select! {
            _ = &mut ended => break,
            end = &mut stop => {
                engine.client_ended_call(&task_id, end).await?;
                break;
            }
            _ = ticker.tick() => {
                if let Ok(view) = engine.off_thread(&task_id, super::status::status).await {
                    tick(view);
                }
            }
        }
    }
    engine.off_thread(&task_id, super::status::status).await
}

/// Returns when a followed task has ended or asks: at once when its supervisor is this
/// process's child and exits, else when its record says so.
pub(super) async fn settled(engine: &Engine, followed: &mut Followed) {
    let watched = engine.until_ended(
        std::slice::from_ref(&followed.task_id),
        WaitFor::AllUnlessOneAsks,
        None,
    );
    let Some(done) = followed.reaped.as_mut() else {
        return watched.await;
    };
    let reaped = tokio::select! {
        _ = done => true,
        () = watched => false,
    };
    if reaped {
        followed.reaped = None;
    }
}

/// Starts a task for a caller that follows it itself (the terminal's `run`).
pub(super) async fn dispatch_followed(
    engine: &Engine,
    spec: TaskSpec,
) -> Result<Followed, EngineError> {
    let started = engine.run_blocking(move |e| e.start(spec)).await?;
    let view = DispatchView::of(&started.meta);
    let task_id = started.task_id.clone();
    let reaped = engine.reap_in_background(started);
    Ok(Followed {
        view,
        task_id,
        reaped,
    })
}

/// Starts a task and returns at once; the supervisor is reaped in the background.
pub(super) async fn dispatch(engine: &Engine, spec: TaskSpec) -> Result<DispatchView, EngineError> {
    let started = engine.run_blocking(move |e| e.start(spec)).await?;
    let view = DispatchView::of(&started.meta);
    engine.reap_in_background(started);
    Ok(view)
}

/// What identifies one version of a task's record: every write replaces the file, so a new
/// file (device, inode), time or size means it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RecordStamp {
    dev: u64,
    ino: u64,
    mtime: i64,
    mtime_nsec: i64,
    len: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    /// Codex waits for a person's answer.
    Asks,
    Ended,
    Missing,
}

/// One task a wait is watching.
struct Watch {
    files: TaskFiles,
    task_id: TaskId,
    /// Identity and size of the record last read: any write replaces the file.
    seen: Option<RecordStamp>,
    state: State,
}

impl Watch {
    fn new(files: TaskFiles, task_id: TaskId) -> Watch {
        Watch {
            files,
            task_id,
            seen: None,
            state: State::Running,
        }
    }

    /// Reads the record when it changed (or when `full`, which also finalizes a task whose
    /// supervisor died).
    fn look(&mut self, engine: &Engine, full: bool) {
        if matches!(self.state, State::Ended | State::Missing) {
            return;
        }
        let now = std::fs::metadata(self.files.meta())
            .ok()
            .map(|m| RecordStamp {
                dev: m.dev(),
                ino: m.ino(),
                mtime: m.mtime(),
                mtime_nsec: m.mtime_nsec(),
                len: m.len(),
            });
        if !full && now == self.seen && now.is_some() {
            return;
        }
        self.seen = now;
        self.state = match engine.reconciled_meta(&self.task_id) {
            Ok(m) if m.status().is_final() => State::Ended,
            // A question stops a wait too: someone has to answer it before the task goes on.
            Ok(m) if m.status() == TaskStatus::InputRequired => State::Asks,
            Ok(_) => State::Running,
            Err(EngineError::NotFound(_)) => State::Missing,
            Err(_) => State::Running,
        };
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_timeouts_are_told_apart_from_interrupts() {
        for r in [
            "McpError: MCP error -32001: Request timed out",
            "Request timeout",
            "timed out after 60000ms",
        ] {
            assert!(super::is_client_timeout(r), "{r}");
        }
        for r in ["AbortError: user-cancel", "user pressed Esc", ""] {
            assert!(!super::is_client_timeout(r), "{r}");
        }
    }
}
