//! The rmcp server handler: routes tool calls to the engine and maps engine errors to tool
//! errors (`isError: true`) whose text a calling model can act on.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::Serialize;
use serde_json::json;

use super::args::Args;
use super::progress::ProgressReporter;
use super::tools::{self, INSTRUCTIONS};
use crate::engine::{Engine, EngineError, TaskSpec, TaskView, parse_task_id};

const DEFAULT_LIST: u64 = 20;
const MAX_LIST: u64 = 200;

#[derive(Clone)]
pub struct CodexMcp {
    engine: Engine,
    tools: std::sync::Arc<Vec<Tool>>,
}

impl CodexMcp {
    pub fn new(engine: Engine) -> Self {
        CodexMcp {
            engine,
            tools: std::sync::Arc::new(tools::all_tools()),
        }
    }

    fn spec(args: &Args<'_>) -> Result<TaskSpec, EngineError> {
        TaskSpec::new(
            args.required_str("prompt")?,
            args.required_str("cwd")?,
            args.required_str("topic")?,
            args.required_str("sandbox")?,
            args.optional_str("session_id")?,
        )
    }

    async fn run_codex(
        &self,
        req: &CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, EngineError> {
        let args = Args::new(req.arguments.as_ref(), tools::TASK_PARAMS)?;
        let spec = Self::spec(&args)?;
        let started = self.engine.run_blocking(move |e| e.start(spec)).await?;
        let mut reporter = ProgressReporter::new(ctx.peer.clone(), ctx.meta.get_progress_token());
        let view = self
            .engine
            .wait(started, ctx.ct.cancelled_owned(), |view| {
                reporter.report(&view)
            })
            .await?;
        Ok(task_result(&view))
    }

    async fn dispatch(&self, req: &CallToolRequestParams) -> Result<CallToolResult, EngineError> {
        let args = Args::new(req.arguments.as_ref(), tools::TASK_PARAMS)?;
        let spec = Self::spec(&args)?;
        let started = self.engine.run_blocking(move |e| e.start(spec)).await?;
        let meta = started.meta.clone();
        self.engine.reap_in_background(started);
        let mut body = json!({
            "task_id": meta.task_id,
            "status": meta.status.as_str(),
            "topic": meta.topic,
            "started_at": meta.started_at,
            "log_file": meta.log_file.display().to_string(),
        });
        if let Some(wt) = &meta.worktree {
            body["worktree_dir"] = json!(wt.dir.display().to_string());
            body["agent_branch"] = json!(wt.branch);
            body["base_branch"] = json!(wt.base_branch);
        }
        if let Some(session) = &meta.tmux_session {
            body["tmux_session"] = json!(session);
            body["attach_command"] = json!(crate::runner::attach_command(session));
        }
        if !meta.warnings.is_empty() {
            body["warnings"] = json!(meta.warnings);
        }
        Ok(CallToolResult::structured(body))
    }

    async fn status(&self, req: &CallToolRequestParams) -> Result<CallToolResult, EngineError> {
        let args = Args::new(req.arguments.as_ref(), tools::STATUS_PARAMS)?;
        match args.optional_str("task_id")? {
            Some(id) => {
                let id = parse_task_id(id)?;
                let view = self.engine.run_blocking(move |e| e.status(&id)).await?;
                Ok(structured(&view, false))
            }
            None => {
                let limit = args.optional_u64("limit")?.unwrap_or(DEFAULT_LIST);
                if !(1..=MAX_LIST).contains(&limit) {
                    return Err(EngineError::invalid(
                        "limit",
                        format!("{limit} is out of range; accepted: 1 to {MAX_LIST}"),
                    ));
                }
                let listing = self
                    .engine
                    .run_blocking(move |e| e.list(limit as usize))
                    .await?;
                Ok(structured(&listing, false))
            }
        }
    }

    async fn cancel(&self, req: &CallToolRequestParams) -> Result<CallToolResult, EngineError> {
        let args = Args::new(req.arguments.as_ref(), tools::CANCEL_PARAMS)?;
        let id = parse_task_id(args.required_str("task_id")?)?;
        let done = self.engine.run_blocking(move |e| e.cancel(&id)).await?;
        let mut body = serde_json::to_value(&done.view).unwrap_or_default();
        body["cancelled"] = json!(done.changed);
        if !done.changed {
            body["note"] = json!(format!(
                "the task had already finished ({}); nothing was changed",
                done.view.status
            ));
        }
        Ok(CallToolResult::structured(body))
    }
}

fn structured<T: Serialize>(value: &T, is_error: bool) -> CallToolResult {
    let v = serde_json::to_value(value).unwrap_or_default();
    if is_error {
        CallToolResult::structured_error(v)
    } else {
        CallToolResult::structured(v)
    }
}

/// A finished task that did not complete is a tool error: the call did not do its job, and
/// the structured body says why.
fn task_result(view: &TaskView) -> CallToolResult {
    structured(view, !view.success)
}

fn tool_error(e: &EngineError) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(e.to_string())])
}

impl ServerHandler for CodexMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
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

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        let outcome = match name.as_str() {
            tools::CODEX => self.run_codex(&request, ctx).await,
            tools::DISPATCH => self.dispatch(&request).await,
            tools::STATUS => self.status(&request).await,
            tools::CANCEL => self.cancel(&request).await,
            other => {
                return Err(ErrorData::invalid_params(
                    format!(
                        "unknown tool `{other}`; available: codex, codex_dispatch, codex_status, codex_cancel"
                    ),
                    None,
                ));
            }
        };
        let result = outcome.unwrap_or_else(|e| {
            tracing::info!(tool = %name, error = %e, "tool call refused");
            tool_error(&e)
        });
        Ok(result.into())
    }
}
