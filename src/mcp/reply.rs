//! `codex_reply`, and the answer a person gives through their client (`tasks/update`).

use rmcp::ErrorData;
use rmcp::RoleServer;
use rmcp::model::{CallToolResponse, JsonObject, UpdateTaskParams};
use rmcp::service::RequestContext;

use super::handler::{CodexMcp, structured};
use super::task;
use super::tools::ToolKind;
use crate::engine::{Delivery, EngineError, ReplyArgs, ReplyView, ReplyWith, parse_task_id};
use crate::vocab::Answerer;

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
        let with = reply_with(args.prompt, args.decision, args.request_id)?;
        match self.engine().reply(&id, with, Answerer::CodexReply).await? {
            Delivery::Done(view) => Ok(structured(&view, false).into()),
            Delivery::FollowUp {
                spec,
                turn_had_ended,
            } => {
                let session = spec.session_id.clone();
                if ctx
                    .client_capabilities()
                    .is_some_and(|caps| caps.supports_tasks())
                {
                    return self.run_as_task(*spec, ctx).await;
                }
                let started = self.engine().dispatch(*spec).await?;
                let view = ReplyView::follow_up(&started, session, turn_had_ended);
                Ok(structured(&view, false).into())
            }
        }
    }

    /// `tasks/update`: the person's answers to questions of an `input_required` task, any
    /// subset of those open. Every answer is checked before any is given: an answer to a
    /// question that is not open, or one that is not well formed, answers nothing.
    pub(super) async fn answer_from_client(
        &self,
        request: &UpdateTaskParams,
    ) -> Result<(), ErrorData> {
        let raw = &request.task_id;
        let id = parse_task_id(raw).map_err(|e| task::request_error(raw, e))?;
        let view = self.engine().status(&id).await;
        let view = view.map_err(|e| task::request_error(raw, e))?;
        if view.input_requests.is_empty() {
            return Err(task::no_input_error(&request.task_id));
        }
        let answers =
            task::decisions_of(&request.input_responses, &view.input_requests).map_err(|why| {
                ErrorData::invalid_params(why, Some(serde_json::json!({"taskId": raw})))
            })?;
        for (request_id, decision) in answers {
            let with = ReplyWith::Decision {
                request_id,
                decision,
            };
            let delivered = self.engine().reply(&id, with, Answerer::TasksUpdate).await;
            delivered.map_err(|e| task::request_error(raw, e))?;
            tracing::info!(task = %raw, request_id, decision = decision.as_str(), "tasks/update answered");
        }
        Ok(())
    }
}

/// What `codex_reply`'s arguments ask for: a prompt, or a decision bound to its question.
fn reply_with(
    prompt: Option<String>,
    decision: Option<crate::vocab::Decision>,
    request_id: Option<u64>,
) -> Result<ReplyWith, EngineError> {
    match (prompt, decision, request_id) {
        (Some(_), Some(_), _) => Err(EngineError::invalid(
            "decision",
            "give `prompt` (something to tell Codex) or `decision` (the answer to its question), \
             not both",
        )),
        (None, None, _) => Err(EngineError::invalid(
            "prompt",
            "say what to tell the task (`prompt`), or answer one of its questions (`decision`: \
             accept, accept_for_session, decline or cancel, with `request_id`)",
        )),
        (Some(_), None, Some(_)) => Err(EngineError::invalid(
            "request_id",
            "it names the question a `decision` answers; a `prompt` takes none",
        )),
        (Some(prompt), None, None) => Ok(ReplyWith::Prompt(crate::engine::parse_prompt(prompt)?)),
        (None, Some(_), None) => Err(EngineError::invalid(
            "request_id",
            "it is required with `decision`: the `id` of the question you answer, from the \
             task's `input_requests` (codex_status shows them). Nothing was answered",
        )),
        (None, Some(decision), Some(request_id)) => Ok(ReplyWith::Decision {
            request_id,
            decision,
        }),
    }
}
