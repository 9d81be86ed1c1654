//! The rmcp server handler: routes tool calls to the engine and maps engine errors to tool
//! errors (`isError: true`) whose text a calling model can act on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams,
    CancelledNotificationParam, ContentBlock, CustomRequest, CustomResult, GetTaskParams,
    GetTaskResult, Implementation, JsonObject, ListToolsResult, PaginatedRequestParams, RequestId,
    ServerCapabilities, ServerConfig, Tool, UpdateTaskParams,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::args::parse_args;
use super::notify::ProgressReporter;
use super::task;
use super::tools::{INSTRUCTIONS, ToolKind, all_tools, input_of};
use crate::engine::{
    CallEnd, CancelArgs, DEFAULT_LIST_LIMIT, Engine, EngineError, LandArgs, ReviewArgs, ReviewView,
    StatusArgs, StatusResult, TaskBatch, TaskRequest, TaskSpec, TaskView, WaitFor, WaitForArg,
    parse_task_id,
};
use crate::store::EndedBy;

/// rmcp cancels a request's token before it hands over the notification with the reason; this
/// is how long a cancelled call waits for that reason. No notification at all means the
/// connection closed.
const REASON_WAIT: Duration = Duration::from_millis(500);
/// Reasons kept for requests nobody asked about (calls that were not waiting) are dropped
/// past this many.
const REASONS_KEPT: usize = 1_000;

/// The MCP server: one per client connection.
#[derive(Clone)]
pub struct CodexMcp {
    engine: Engine,
    tools: Arc<Vec<Tool>>,
    /// `notifications/cancelled` received: the request it cancels, and the client's reason.
    cancels: Arc<Mutex<HashMap<RequestId, Option<String>>>>,
}

impl CodexMcp {
    pub fn new(engine: Engine) -> Self {
        CodexMcp {
            engine,
            tools: Arc::new(all_tools()),
            cancels: Arc::default(),
        }
    }

    pub(super) fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(super) fn args<T: DeserializeOwned>(
        &self,
        kind: ToolKind,
        args: Option<&JsonObject>,
    ) -> Result<T, EngineError> {
        parse_args(&input_of(&self.tools, kind), args)
    }

    fn spec(&self, kind: ToolKind, args: Option<&JsonObject>) -> Result<TaskSpec, EngineError> {
        TaskSpec::try_from(self.args::<TaskRequest>(kind, args)?)
    }

    /// Resolves when the client gives up on request `id`: with the reason of its cancel, or
    /// as gone when its connection closed.
    async fn call_end(&self, ctx: RequestContext<RoleServer>) -> CallEnd {
        ctx.ct.cancelled().await;
        let deadline = tokio::time::Instant::now() + REASON_WAIT;
        loop {
            let reason = self
                .cancels
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&ctx.id);
            if let Some(reason) = reason {
                return CallEnd::Cancelled(reason);
            }
            if tokio::time::Instant::now() >= deadline {
                return CallEnd::Gone;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn run_codex(
        &self,
        args: Option<&JsonObject>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, EngineError> {
        let spec = self.spec(ToolKind::Codex, args)?;
        self.run_spec(spec, ctx).await
    }

    /// `codex_review`: a review task, run like a `codex` call.
    async fn run_review(
        &self,
        args: Option<&JsonObject>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, EngineError> {
        let args: ReviewArgs = self.args(ToolKind::Review, args)?;
        let spec = self.engine.review_spec(args).await?;
        self.run_spec(spec, ctx).await
    }

    async fn land(&self, args: Option<&JsonObject>) -> Result<CallToolResult, EngineError> {
        let args: LandArgs = self.args(ToolKind::Land, args)?;
        Ok(structured(&self.engine.land(args).await?, false))
    }

    /// Runs a task and answers with its result: blocking (with progress), or as an MCP task
    /// for a client that follows them.
    async fn run_spec(
        &self,
        spec: TaskSpec,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, EngineError> {
        let as_task = ctx
            .client_capabilities()
            .is_some_and(|caps| caps.supports_tasks());
        if !as_task {
            let mut reporter =
                ProgressReporter::new(ctx.peer.clone(), ctx.meta.get_progress_token());
            let view = self
                .engine
                .run(spec, self.call_end(ctx), |view| reporter.report(&view))
                .await?;
            return Ok(self.codex_result(view).into());
        }
        self.run_as_task(spec, ctx).await
    }

    /// Starts `spec` for a client that follows MCP tasks: a task that ends within the inline
    /// window is answered as usual (a background task costs the model a turn), any other with
    /// the task, at that moment.
    pub(super) async fn run_as_task(
        &self,
        spec: TaskSpec,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, EngineError> {
        let mut reporter = ProgressReporter::new(ctx.peer.clone(), ctx.meta.get_progress_token());
        let inline = self.engine.task_inline();
        let until = async {
            tokio::select! {
                end = self.call_end(ctx) => end,
                () = tokio::time::sleep(inline) => CallEnd::Gone,
            }
        };
        let view = self
            .engine
            .run(spec, until, |view| reporter.report(&view))
            .await?;
        if view.status.is_final() {
            return Ok(self.codex_result(view).into());
        }
        let created = task::created(&view, self.engine.task_poll());
        tracing::info!(task = %view.task_id, "answered as an MCP task");
        Ok(task::task_response(created, &view))
    }

    /// The status of the task a `tasks/*` request names; an id that is not a task's, or names
    /// none, is the request's invalid-params error.
    pub(super) async fn task_status(&self, raw: &str) -> Result<TaskView, ErrorData> {
        let id = parse_task_id(raw).map_err(|e| task::request_error(raw, e))?;
        let view = self.engine.status(&id).await;
        view.map_err(|e| task::request_error(raw, e))
    }

    /// What the blocking `codex` call returns for a task, and what `tasks/get` returns once
    /// the task has ended: the task within the result budget. A finished task that did not
    /// complete is a tool error: the call did not do its job, and the structured body says why.
    fn codex_result(&self, mut view: TaskView) -> CallToolResult {
        view.fit(0, self.engine.result_budget());
        let failed = view.status.is_final() && !view.success;
        // A review task answers as codex_review does.
        match view.reviewed.is_some() {
            true => structured(&ReviewView::of(view), failed),
            false => structured(&view, failed),
        }
    }

    async fn dispatch(&self, args: Option<&JsonObject>) -> Result<CallToolResult, EngineError> {
        let spec = self.spec(ToolKind::Dispatch, args)?;
        Ok(structured(&self.engine.dispatch(spec).await?, false))
    }

    async fn status(
        &self,
        args: Option<&JsonObject>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, EngineError> {
        let args: StatusArgs = self.args(ToolKind::Status, args)?;
        let wait = Duration::from_secs(args.wait_seconds.unwrap_or(0));
        let budget = self.engine.result_budget();
        let mut reporter = ProgressReporter::new(ctx.peer.clone(), ctx.meta.get_progress_token());
        let result = match (args.task_id.clone(), args.task_ids.clone()) {
            (Some(_), Some(_)) => {
                return Err(EngineError::invalid(
                    "task_ids",
                    "give either `task_id` (one task) or `task_ids` (several), not both",
                ));
            }
            (Some(id), None) => {
                let id = parse_task_id(&id)?;
                if !wait.is_zero() {
                    let ids = [id.clone()];
                    self.engine
                        .wait_tasks(&ids, WaitFor::All, wait, |v| reporter.report_all(v))
                        .await;
                }
                let mut view = self.engine.status(&id).await?;
                let offset = usize::try_from(args.result_offset.unwrap_or(0)).unwrap_or(usize::MAX);
                view.fit(offset, budget);
                StatusResult::Task(Box::new(view))
            }
            (None, Some(ids)) => {
                if args.result_offset.is_some() {
                    return Err(EngineError::invalid(
                        "result_offset",
                        "it pages one task's answer: use it with `task_id`, not `task_ids`",
                    ));
                }
                let mode = match args.wait_for {
                    Some(WaitForArg::Any) => WaitFor::Any,
                    _ => WaitFor::All,
                };
                StatusResult::Batch(self.batch(&ids, mode, wait, &mut reporter, budget).await)
            }
            (None, None) => StatusResult::List(self.list(&args).await?),
        };
        Ok(structured(&result, false))
    }

    /// The task list; the parameters that concern named tasks are refused by name.
    async fn list(&self, args: &StatusArgs) -> Result<crate::engine::TaskList, EngineError> {
        let given = [
            ("wait_seconds", args.wait_seconds.is_some_and(|w| w > 0)),
            ("wait_for", args.wait_for.is_some()),
            ("result_offset", args.result_offset.is_some()),
        ];
        if let Some((param, _)) = given.iter().find(|(_, g)| *g) {
            return Err(EngineError::invalid(
                *param,
                "it applies to tasks named by `task_id` or `task_ids`; the list has no use for it",
            ));
        }
        let limit = args.limit.unwrap_or(DEFAULT_LIST_LIMIT) as usize;
        self.engine.list(limit).await
    }

    /// Several tasks: an id that is not a task id is reported in its entry like an unknown one.
    async fn batch(
        &self,
        ids: &[String],
        mode: WaitFor,
        wait: Duration,
        reporter: &mut ProgressReporter,
        budget: usize,
    ) -> TaskBatch {
        let parsed: Vec<_> = ids.iter().map(|id| parse_task_id(id)).collect();
        let valid: Vec<_> = parsed.iter().flatten().cloned().collect();
        if !wait.is_zero() && !valid.is_empty() {
            self.engine
                .wait_tasks(&valid, mode, wait, |v| reporter.report_all(v))
                .await;
        }
        let mut found = self.engine.statuses(&valid).await.into_iter();
        let views = parsed
            .into_iter()
            .map(|p| match p {
                Ok(_) => found
                    .next()
                    .unwrap_or_else(|| Err(EngineError::Internal("missing status".into()))),
                Err(e) => Err(e),
            })
            .collect();
        TaskBatch::of(ids, views, budget)
    }

    async fn cancel(&self, args: Option<&JsonObject>) -> Result<CallToolResult, EngineError> {
        let args: CancelArgs = self.args(ToolKind::Cancel, args)?;
        let id = parse_task_id(&args.task_id)?;
        let mut done = self.engine.cancel(&id, EndedBy::CancelTool, None).await?;
        done.task.fit(0, self.engine.result_budget());
        Ok(structured(&done, false))
    }
}

pub(super) fn structured<T: Serialize>(value: &T, is_error: bool) -> CallToolResult {
    let v = serde_json::to_value(value).unwrap_or_default();
    if is_error {
        CallToolResult::structured_error(v)
    } else {
        CallToolResult::structured(v)
    }
}

fn tool_error(e: &EngineError) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(e.to_string())])
}

impl ServerHandler for CodexMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tasks()
                .build(),
        )
        .with_server_info(
            Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
                .with_title("Codex MCP")
                .with_description("Delegate coding tasks to the OpenAI Codex CLI"),
        )
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn on_cancelled(
        &self,
        notification: CancelledNotificationParam,
        _context: NotificationContext<RoleServer>,
    ) {
        let Some(id) = notification.request_id else {
            return;
        };
        let mut cancels = self.cancels.lock().unwrap_or_else(|p| p.into_inner());
        if cancels.len() >= REASONS_KEPT {
            cancels.clear();
        }
        cancels.insert(id, notification.reason);
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(kind) = ToolKind::from_name(&request.name) else {
            let names: Vec<&str> = ToolKind::ALL.iter().map(|k| k.name()).collect();
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown tool `{}`; available: {}",
                    request.name,
                    names.join(", ")
                ),
                None,
            ));
        };
        let args = request.arguments.as_ref();
        let outcome = match kind {
            ToolKind::Codex => self.run_codex(args, ctx).await,
            ToolKind::Dispatch => self.dispatch(args).await.map(Into::into),
            ToolKind::Status => self.status(args, ctx).await.map(Into::into),
            ToolKind::Reply => self.reply(args, ctx).await,
            ToolKind::Cancel => self.cancel(args).await.map(Into::into),
            ToolKind::Review => self.run_review(args, ctx).await,
            ToolKind::Land => self.land(args).await.map(Into::into),
        };
        Ok(outcome.unwrap_or_else(|e| {
            tracing::info!(tool = kind.name(), error = %e, "tool call refused");
            tool_error(&e).into()
        }))
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        let view = self.task_status(&request.task_id).await?;
        // The result is built only for a task that has one: a poll of a running task reads
        // two small files and answers.
        let result = || self.codex_result(view.clone());
        let detailed = task::detailed(&view, result, self.engine.task_poll());
        Ok(GetTaskResult::new(detailed))
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let raw = &request.task_id;
        let id = parse_task_id(raw).map_err(|e| task::request_error(raw, e))?;
        let done = self.engine.cancel(&id, EndedBy::TaskCancel, None).await;
        let done = done.map_err(|e| task::request_error(raw, e))?;
        tracing::info!(task = %request.task_id, cancelled = done.cancelled, "tasks/cancel");
        Ok(())
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.answer_from_client(&request).await
    }

    /// A request rmcp could not read as its method's type arrives here. For the task methods
    /// this server serves, that is the caller's malformed params (`-32602`), not an unknown
    /// method.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let served = ["tasks/get", "tasks/update", "tasks/cancel"];
        if served.contains(&request.method.as_str()) {
            return Err(ErrorData::invalid_params(
                format!(
                    "invalid params for {}: `taskId` must be a string naming a task (like \
                     `codex-review-auth-v1`){}",
                    request.method,
                    match request.method.as_str() {
                        "tasks/update" => ", and `inputResponses` an object of answers",
                        _ => "",
                    }
                ),
                request.params,
            ));
        }
        Err(ErrorData::new(
            rmcp::model::ErrorCode::METHOD_NOT_FOUND,
            request.method,
            None,
        ))
    }
}
