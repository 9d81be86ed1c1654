//! `codex_reply`, and the answer a person gives through their client (`tasks/update`).

use rmcp::ErrorData;
use rmcp::RoleServer;
use rmcp::model::{CallToolResponse, CreateTaskResult, JsonObject, UpdateTaskParams};
use rmcp::service::RequestContext;

use super::handler::{CodexMcp, structured};
use super::task;
use super::tools::ToolKind;
use crate::engine::{Delivery, EngineError, ReplyArgs, ReplyView, ReplyWith, parse_task_id};

/// Who answered, as a task's record keeps it.
const BY_TOOL: &str = "codex_reply";
const BY_CLIENT: &str = "tasks_update";

impl CodexMcp {
    /// `codex_reply`: a prompt or a decision to a task. A follow-up is started like
    /// codex_dispatch, or, for a client that follows MCP tasks, like `codex` (its result is
    /// pushed when it ends).
    pub(super) async fn reply(
        &self,
        args: Option<&JsonObject>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, EngineError> {
        let args: ReplyArgs = self.args(ToolKind::Reply, args)?;
        let id = parse_task_id(&args.task_id)?;
        let with = match (args.prompt, args.decision) {
            (Some(_), Some(_)) => {
                return Err(EngineError::invalid(
                    "decision",
                    "give `prompt` (something to tell Codex) or `decision` (the answer to its \
                     question), not both",
                ));
            }
            (None, None) => {
                return Err(EngineError::invalid(
                    "prompt",
                    "say what to tell the task (`prompt`), or answer its question (`decision`: \
                     accept, accept_for_session, decline or cancel)",
                ));
            }
            (Some(prompt), None) => ReplyWith::Prompt(crate::engine::parse_prompt(prompt)?),
            (None, Some(decision)) => ReplyWith::Decision(decision),
        };
        match self.engine().reply(&id, with, BY_TOOL).await? {
            Delivery::Done(view) => Ok(structured(&view, false).into()),
            Delivery::FollowUp(spec) => {
                let session = spec.session_id.clone();
                if ctx
                    .client_capabilities()
                    .is_some_and(|caps| caps.supports_tasks())
                {
                    return self.run_as_task(spec, ctx).await;
                }
                let started = self.engine().dispatch(spec).await?;
                Ok(structured(&ReplyView::follow_up(&started, session), false).into())
            }
        }
    }

    /// `tasks/update`: the person's answer to the question of an `input_required` task.
    pub(super) async fn answer_from_client(
        &self,
        request: &UpdateTaskParams,
    ) -> Result<(), ErrorData> {
        let raw = &request.task_id;
        let id = parse_task_id(raw).map_err(|e| task::request_error(raw, e))?;
        let view = self.engine().status(&id).await;
        let view = view.map_err(|e| task::request_error(raw, e))?;
        let Some(question) = view.input_request.as_ref() else {
            return Err(task::no_input_error(&request.task_id));
        };
        let Some(decision) = task::decision_of(&request.input_responses, question.id) else {
            return Err(ErrorData::invalid_params(
                format!(
                    "no answer to `{}` in inputResponses: that is the open question of task `{}`",
                    task::input_key(question.id),
                    request.task_id
                ),
                None,
            ));
        };
        let delivered = self
            .engine()
            .reply(&id, ReplyWith::Decision(decision), BY_CLIENT)
            .await;
        delivered.map_err(|e| task::request_error(raw, e))?;
        tracing::info!(task = %raw, decision = decision.as_str(), "tasks/update answered");
        Ok(())
    }
}

/// The task a follow-up became, for a client that follows MCP tasks.
pub(super) fn task_response(created: rmcp::model::Task) -> CallToolResponse {
    CallToolResponse::Task(CreateTaskResult::new(created))
}
