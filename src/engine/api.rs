//! Everything the engine offers its callers — the MCP server and the command line — in one
//! block. The work is done in the files named beside each method; this is the list to read
//! first. The async methods run their blocking part (file reads, locks, process termination)
//! on tokio's blocking pool, so no caller wraps them; the `blocking_` ones are for code that
//! is not async (the command line's one-shot commands).

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{
    CallEnd, CancelView, DispatchView, Engine, EngineError, Followed, GcRules, LandArgs, LandView,
    ListFilter, ReviewArgs, TaskList, TaskSpec, TaskView, WaitFor,
    gc::GcItem,
    lineage,
    reply::{Delivery, ReplyWith},
};
use crate::config::Config;
use crate::store::{EndedBy, Store, StoreError, TaskId};
use crate::vocab::Answerer;

impl Engine {
    // --- Making one -------------------------------------------------------------------------

    /// The engine over the store `config` names (created by the first task that needs it), or,
    /// in a process started beneath a codex-mcp task, over that task's store and limits.
    pub fn from_config(config: Config) -> Result<Self, EngineError> {
        let config = lineage::beneath_task(config);
        let home = config.store_home.clone().ok_or(StoreError::NoHome)?;
        let store = Store::at(&home);
        let exe = std::env::current_exe().map_err(EngineError::NoExecutable)?;
        Ok(Engine {
            store,
            exe,
            config: Arc::new(config),
        })
    }

    // --- Settings the edges need ------------------------------------------------------------

    /// The most characters one tool result may hold.
    pub fn result_budget(&self) -> usize {
        self.config.max_result_chars
    }

    /// How long a `codex` call the client would follow as an MCP task waits for a quick end.
    pub fn task_inline(&self) -> Duration {
        self.config.task_inline
    }

    /// The polling interval suggested with an MCP task.
    pub fn task_poll(&self) -> Duration {
        self.config.task_poll
    }

    /// Whether people asked for no colours (NO_COLOR).
    pub fn no_color(&self) -> bool {
        self.config.no_color
    }

    /// The log of every task's status changes.
    pub fn events_file(&self) -> PathBuf {
        self.store.events_file()
    }

    // --- Starting a task (start.rs, wait.rs) -----------------------------------------------

    /// Starts a task and returns at once; the supervisor is reaped in the background.
    pub async fn dispatch(&self, spec: TaskSpec) -> Result<DispatchView, EngineError> {
        super::wait::dispatch(self, spec).await
    }

    /// Starts a task whose caller follows it with [`Engine::settled`].
    pub async fn dispatch_followed(&self, spec: TaskSpec) -> Result<Followed, EngineError> {
        super::wait::dispatch_followed(self, spec).await
    }

    /// Returns when a followed task has ended or asks a question; at once when it ends.
    pub async fn settled(&self, followed: &mut Followed) {
        super::wait::settled(self, followed).await
    }

    /// Starts a task and follows it to its end. When `stop` resolves first, the client gave up
    /// on the call: a cancel with a reason other than a client time-out cancels the task;
    /// otherwise the task keeps running and its result stays in `codex_status`. `tick`
    /// receives the live view every few seconds.
    pub async fn run(
        &self,
        spec: TaskSpec,
        stop: impl Future<Output = CallEnd>,
        tick: impl FnMut(TaskView),
    ) -> Result<TaskView, EngineError> {
        super::wait::run(self, spec, stop, tick).await
    }

    // --- Reviews and landings (review.rs, land.rs) -----------------------------------------

    /// The task a `codex_review` asks for, checked against the repository (run it like any).
    pub async fn review_spec(&self, args: ReviewArgs) -> Result<TaskSpec, EngineError> {
        self.run_blocking(move |e| super::review::review_spec(e, args))
            .await
    }

    /// [`Engine::review_spec`] for code that is not async.
    pub fn blocking_review_spec(&self, args: ReviewArgs) -> Result<TaskSpec, EngineError> {
        super::review::review_spec(self, args)
    }

    /// Lands an ended full-access task's work in the person's branch (`codex_land`).
    pub async fn land(&self, args: LandArgs) -> Result<LandView, EngineError> {
        self.run_blocking(move |e| super::land::land(e, args)).await
    }

    /// [`Engine::land`] for code that is not async.
    pub fn blocking_land(&self, args: LandArgs) -> Result<LandView, EngineError> {
        super::land::land(self, args)
    }

    // --- Reading tasks (status.rs, listing.rs, wait.rs) -------------------------------------

    /// One task in full: its progress while it runs, its result once finished.
    pub async fn status(&self, task_id: &TaskId) -> Result<TaskView, EngineError> {
        let id = task_id.clone();
        self.run_blocking(move |e| super::status::status(e, &id))
            .await
    }

    /// [`Engine::status`] for code that is not async.
    pub fn blocking_status(&self, task_id: &TaskId) -> Result<TaskView, EngineError> {
        super::status::status(self, task_id)
    }

    /// The current view of each task, in order.
    pub async fn statuses(&self, task_ids: &[TaskId]) -> Vec<Result<TaskView, EngineError>> {
        super::wait::statuses(self, task_ids).await
    }

    /// Waits until the tasks have ended (all of them, or any), or for `duration`. `tick`
    /// receives the live views every few seconds meanwhile.
    pub async fn wait_tasks(
        &self,
        task_ids: &[TaskId],
        mode: WaitFor,
        duration: Duration,
        tick: impl FnMut(&[Result<TaskView, EngineError>]),
    ) {
        super::wait::wait_tasks(self, task_ids, mode, duration, tick).await
    }

    /// The newest `limit` tasks, as many as fit the result budget (`codex_status`).
    pub async fn list(&self, limit: usize) -> Result<TaskList, EngineError> {
        self.run_blocking(move |e| super::listing::list(e, limit))
            .await
    }

    /// The newest tasks `filter` lets through (the command line's `list`). Blocking.
    pub fn list_where(&self, filter: &ListFilter) -> Result<TaskList, EngineError> {
        super::listing::list_where(self, filter)
    }

    /// The ids of every task in the store, for naming one by a person's words. Blocking.
    pub fn task_ids(&self) -> Vec<TaskId> {
        self.store.task_ids().unwrap_or_default()
    }

    /// Replaces this process with one attached to `view`'s task on this terminal, however the
    /// task was launched. Returns only when that could not be done, saying why.
    pub fn attach_here(&self, view: &TaskView) -> String {
        super::status::attach_here(self, view)
    }

    // --- Stopping a task (cancel.rs) -------------------------------------------------------

    /// Stops the task and everything it started; `by` and `reason` say who asked and why, for
    /// the record. Answers once the processes are gone (a few seconds at most).
    pub async fn cancel(
        &self,
        task_id: &TaskId,
        by: EndedBy,
        reason: Option<String>,
    ) -> Result<CancelView, EngineError> {
        let id = task_id.clone();
        self.run_blocking(move |e| super::cancel::cancel(e, &id, by, reason))
            .await
    }

    /// [`Engine::cancel`] for code that is not async.
    pub fn blocking_cancel(
        &self,
        task_id: &TaskId,
        by: EndedBy,
        reason: Option<String>,
    ) -> Result<CancelView, EngineError> {
        super::cancel::cancel(self, task_id, by, reason)
    }

    // --- Talking to a task (reply.rs) -----------------------------------------------------

    /// Delivers a prompt or an answer to `task_id` (`by`: who answers, for the record). A
    /// prompt to an ended task comes back as the follow-up task to start
    /// ([`Delivery::FollowUp`]): the caller starts it as it starts any task.
    pub async fn reply(
        &self,
        task_id: &TaskId,
        reply: ReplyWith,
        by: Answerer,
    ) -> Result<Delivery, EngineError> {
        let id = task_id.clone();
        self.run_blocking(move |e| super::reply::reply(e, &id, reply, by))
            .await
    }

    /// [`Engine::reply`] for code that is not async.
    pub fn blocking_reply(
        &self,
        task_id: &TaskId,
        reply: ReplyWith,
        by: Answerer,
    ) -> Result<Delivery, EngineError> {
        super::reply::reply(self, task_id, reply, by)
    }

    /// The follow-up of the newest task that ran in `session` (history.rs), for `run
    /// --session`; `None` when no task of the store ran in it. Blocking.
    pub fn blocking_session_follow_up(
        &self,
        session: &str,
        prompt: String,
    ) -> Result<Option<TaskSpec>, EngineError> {
        super::history::session_follow_up(self, session, prompt)
    }

    /// What every task started with no options of its own would be refused for or warned of,
    /// in the task's words (settings_check.rs), for `doctor`. Blocking: it may ask Codex for
    /// its catalog.
    pub fn blocking_settings_problems(&self) -> Vec<String> {
        super::settings_check::settings_problems(self)
    }

    /// The hosts of the hosts file, with how busy each is and, when `check`, what a check of
    /// each found (hosts.rs). Blocking: each check talks to its host.
    pub fn blocking_hosts(&self, check: bool) -> Result<super::hosts::HostsReport, EngineError> {
        super::hosts::hosts_report(self, check)
    }

    // --- Housekeeping (recover.rs, gc.rs) ---------------------------------------------------

    /// Finalizes every task left `running` by supervisors that are gone. Blocking; a server
    /// runs it at startup.
    pub fn recover_all(&self) -> usize {
        super::status::recover_all(self)
    }

    /// Decides (and, unless a dry run, does) what gc removes. Returns every decision. Blocking.
    pub fn gc(&self, rules: GcRules) -> Result<Vec<GcItem>, EngineError> {
        super::gc::gc(self, rules)
    }
}
