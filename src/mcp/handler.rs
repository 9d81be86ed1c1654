//! The rmcp server handler: routes tool calls to the engine and maps engine errors to tool
//! errors (`isError: true`) whose text a calling model can act on.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::args::{CancelArgs, DEFAULT_LIST_LIMIT, StatusArgs, parse_args};
use super::notify::ProgressReporter;
use super::tools::{INSTRUCTIONS, StatusResult, ToolKind, all_tools, input_of};
use crate::engine::{Engine, EngineError, TaskRequest, TaskSpec, parse_task_id};

/// The MCP server: one per client connection.
#[derive(Clone)]
pub struct CodexMcp {
    engine: Engine,
    tools: Arc<Vec<Tool>>,
}

impl CodexMcp {
    pub fn new(engine: Engine) -> Self {
        CodexMcp {
            engine,
            tools: Arc::new(all_tools()),
        }
    }

    fn args<T: DeserializeOwned>(
        &self,
        kind: ToolKind,
        args: Option<&JsonObject>,
    ) -> Result<T, EngineError> {
        parse_args(&input_of(&self.tools, kind), args)
    }

    fn spec(&self, kind: ToolKind, args: Option<&JsonObject>) -> Result<TaskSpec, EngineError> {
        TaskSpec::try_from(self.args::<TaskRequest>(kind, args)?)
    }

    async fn run_codex(
        &self,
        args: Option<&JsonObject>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, EngineError> {
        let spec = self.spec(ToolKind::Codex, args)?;
        let mut reporter = ProgressReporter::new(ctx.peer.clone(), ctx.meta.get_progress_token());
        let view = self
            .engine
            .run(spec, ctx.ct.cancelled_owned(), |view| {
                reporter.report(&view)
            })
            .await?;
        // A finished task that did not complete is a tool error: the call did not do its job,
        // and the structured body says why.
        Ok(structured(&view, !view.success))
    }

    async fn dispatch(&self, args: Option<&JsonObject>) -> Result<CallToolResult, EngineError> {
        let spec = self.spec(ToolKind::Dispatch, args)?;
        Ok(structured(&self.engine.dispatch(spec).await?, false))
    }

    async fn status(&self, args: Option<&JsonObject>) -> Result<CallToolResult, EngineError> {
        let args: StatusArgs = self.args(ToolKind::Status, args)?;
        let result = match args.task_id {
            Some(id) => {
                let id = parse_task_id(&id)?;
                let view = self.engine.run_blocking(move |e| e.status(&id)).await?;
                StatusResult::Task(Box::new(view))
            }
            None => {
                let limit = args.limit.unwrap_or(DEFAULT_LIST_LIMIT) as usize;
                StatusResult::List(self.engine.run_blocking(move |e| e.list(limit)).await?)
            }
        };
        Ok(structured(&result, false))
    }

    async fn cancel(&self, args: Option<&JsonObject>) -> Result<CallToolResult, EngineError> {
        let args: CancelArgs = self.args(ToolKind::Cancel, args)?;
        let id = parse_task_id(&args.task_id)?;
        let done = self.engine.run_blocking(move |e| e.cancel(&id)).await?;
        Ok(structured(&done, false))
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
            ToolKind::Dispatch => self.dispatch(args).await,
            ToolKind::Status => self.status(args).await,
            ToolKind::Cancel => self.cancel(args).await,
        };
        let result = outcome.unwrap_or_else(|e| {
            tracing::info!(tool = kind.name(), error = %e, "tool call refused");
            tool_error(&e)
        });
        Ok(result.into())
    }
}
