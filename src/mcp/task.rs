//! The MCP tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663): a `codex` call from a
//! client that declares it is answered with a task the client follows by itself, and the
//! `tasks/get`, `tasks/cancel` and `tasks/update` requests are answered from the store — by any
//! server process, also after the one that started the task is gone.
//!
//! What each side sees: the calling model gets the task's final result pushed to it (Claude
//! Code wakes it with a task notification); the person sees `statusMessage`, the one-line
//! progress, and can stop the task from the client.

use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::{
    CallToolResponse, CallToolResult, CreateTaskResult, DetailedTask, JsonObject, Task,
    TaskPayload, TaskStatus,
};
use serde_json::Value;

use crate::engine::{EngineError, TaskView};
use crate::store::{InputRequest, TaskStatus as Status, now_ms, rfc3339};
use crate::vocab::Decision;

/// Where Claude Code looks, in a task handle's `_meta`, for text to show its model at once.
const AGENT_TASK: &str = "com.anthropic/agent-task";

/// The handle's `_meta`: what the calling model reads the moment its call becomes a task —
/// which task, that the result comes by itself, how to get it if it does not, and (full access)
/// where the work happens. At most a few hundred characters (Claude Code takes 20,000).
pub fn immediate_response(view: &TaskView) -> rmcp::model::MetaObject {
    let id = &view.task_id;
    let mut text = format!(
        "codex-mcp started Codex task `{id}` ({}); it runs in the background and its result \
         will arrive as a task notification when it ends. If no notification arrives, call \
         codex_status with task_id `{id}` (add wait_seconds to wait for the end).",
        view.sandbox
    );
    if let Some(iso) = &view.isolation {
        text.push_str(&format!(
            " Codex works in the git worktree {} on branch `{}` (made from `{}`).",
            iso.worktree_dir, iso.agent_branch, iso.base_branch
        ));
    }
    let mut meta = JsonObject::new();
    meta.insert(
        AGENT_TASK.into(),
        serde_json::json!({ "modelImmediateResponse": text }),
    );
    rmcp::model::MetaObject(meta)
}

/// The task a client follows for a `codex` call that did not end within the inline window.
pub fn created(view: &TaskView, poll: Duration) -> Task {
    base(view, TaskStatus::Working, poll).with_status_message(view.progress_line())
}

/// A task as `tasks/get` reports it: `working` with its progress line while it is queued or
/// running; `completed` with exactly the result the blocking `codex` call returns once it has
/// ended (a failed Codex run is a completed task whose result is a tool error: `failed` is for
/// protocol errors); `cancelled` when it was stopped.
pub fn detailed(
    view: &TaskView,
    result: impl FnOnce() -> CallToolResult,
    poll: Duration,
) -> DetailedTask {
    match view.status {
        Status::Queued | Status::Running => {
            DetailedTask::new(created(view, poll), TaskPayload::Working)
        }
        Status::InputRequired => {
            let input_requests: rmcp::model::InputRequests =
                view.input_requests.iter().filter_map(elicitation).collect();
            if input_requests.is_empty() {
                return DetailedTask::new(created(view, poll), TaskPayload::Working);
            }
            DetailedTask::new(
                base(view, TaskStatus::InputRequired, poll)
                    .with_status_message(view.progress_line()),
                TaskPayload::InputRequired { input_requests },
            )
        }
        Status::Completed | Status::Failed => DetailedTask::new(
            base(view, TaskStatus::Completed, poll),
            TaskPayload::Completed {
                result: object(&result()),
            },
        ),
        Status::Cancelled => {
            let task = base(view, TaskStatus::Cancelled, poll);
            let task = match &view.error {
                Some(why) => task.with_status_message(why.clone()),
                None => task,
            };
            DetailedTask::new(task, TaskPayload::Cancelled)
        }
    }
}

/// The fields every answer carries. A task is kept in the store until a person removes it
/// (`codex-mcp gc`), so it has no time to live.
fn base(view: &TaskView, status: TaskStatus, poll: Duration) -> Task {
    let mut task = Task::new(
        view.task_id.clone(),
        status,
        view.started_at.clone(),
        last_updated(view),
    )
    .with_poll_interval_ms(u64::try_from(poll.as_millis()).unwrap_or(u64::MAX));
    task.ttl_ms = None;
    task
}

/// When the task last changed: its end, else its last event, else its start.
fn last_updated(view: &TaskView) -> String {
    if let Some(end) = &view.ended_at {
        return end.clone();
    }
    match &view.progress {
        Some(p) => rfc3339(now_ms().saturating_sub((p.idle_seconds * 1000.0) as u64)),
        None => view.started_at.clone(),
    }
}

fn object(result: &CallToolResult) -> JsonObject {
    match serde_json::to_value(result) {
        Ok(Value::Object(map)) => map,
        _ => JsonObject::new(),
    }
}

/// A `taskId` that names no task, or is not a task id at all, is the caller's mistake: an
/// invalid-params error that names it and says where ids come from.
pub fn request_error(task_id: &str, e: EngineError) -> ErrorData {
    let data = Some(serde_json::json!({ "taskId": task_id }));
    match e {
        EngineError::NotFound(_) => ErrorData::invalid_params(
            format!(
                "unknown taskId `{task_id}`: no such task in the codex-mcp store (tasks ids are \
                 the `task_id`s codex returns, like `codex-review-auth-v1`)"
            ),
            data,
        ),
        EngineError::InvalidArgument { message, .. } => {
            ErrorData::invalid_params(format!("invalid taskId `{task_id}`: {message}"), data)
        }
        other => ErrorData::internal_error(other.to_string(), data),
    }
}

/// The key of question `id` in `inputRequests` (and in the client's `inputResponses`).
pub fn input_key(id: u64) -> String {
    format!("approval-{id}")
}

/// The longest message of a question shown to a person.
const MESSAGE_MAX: usize = 2_000;

/// The question as an `elicitation/create` form with no fields: the client shows the message
/// and Accept / Decline, and the person's choice is the answer to this question alone.
fn elicitation(q: &InputRequest) -> Option<(String, rmcp::model::InputRequest)> {
    let mut message = q.line().replacen("question", "Question", 1);
    if q.kind.as_str() != "file_change" || q.command.is_some() {
        message.push_str(". Accepting lets it run outside Codex's sandbox.");
    } else {
        message.push_str(". Accepting lets Codex write these files.");
    }
    let message = crate::text::shorten(&message, MESSAGE_MAX);
    let request = serde_json::json!({
        "method": "elicitation/create",
        "params": {
            "mode": "form",
            "message": message,
            "requestedSchema": {"type": "object", "properties": {}},
        },
    });
    let request = serde_json::from_value(request).ok()?;
    Some((input_key(q.id), request))
}

/// The answers a client's `inputResponses` gives, each to the open question its key names:
/// accept → accept, decline → decline, cancel → cancel (decline, and end the turn). An answer
/// to a question that is not open, or one without a known `action`, is refused with what is
/// wrong, before anything is answered.
pub fn decisions_of(
    responses: &rmcp::model::InputResponses,
    open: &[InputRequest],
) -> Result<Vec<(u64, Decision)>, String> {
    let keys: Vec<String> = open.iter().map(|q| input_key(q.id)).collect();
    if responses.is_empty() {
        return Err(format!(
            "inputResponses is empty: answer one or more of the open questions {}",
            keys.join(", ")
        ));
    }
    let mut answers = Vec::new();
    for (key, answer) in responses.iter() {
        let Some(q) = open.iter().find(|q| &input_key(q.id) == key) else {
            return Err(format!(
                "`{key}` is not an open question of this task (open now: {}); nothing was answered",
                keys.join(", ")
            ));
        };
        let decision = match answer.get("action").and_then(|a| a.as_str()) {
            Some("accept") => Decision::Accept,
            Some("decline") => Decision::Decline,
            Some("cancel") => Decision::Cancel,
            other => {
                return Err(format!(
                    "the answer to `{key}` has action {}: accepted are \"accept\", \"decline\" and \"cancel\"; nothing was answered",
                    other.map_or_else(|| "missing".to_string(), |a| format!("\"{a}\""))
                ));
            }
        };
        answers.push((q.id, decision));
    }
    Ok(answers)
}

/// What `tasks/update` answers for a task that asks nothing now.
pub fn no_input_error(task_id: &str) -> ErrorData {
    ErrorData::invalid_params(
        format!(
            "task `{task_id}` asks for no input now: Codex has no open question. Follow it with \
             tasks/get, or stop it with tasks/cancel"
        ),
        Some(serde_json::json!({ "taskId": task_id })),
    )
}
/// The task a call became, for a client that follows MCP tasks, with the words its model reads
/// at once (Claude Code shows its model the handle's `modelImmediateResponse`, and never its
/// `statusMessage`).
pub(super) fn task_response(
    created: rmcp::model::Task,
    view: &crate::engine::TaskView,
) -> CallToolResponse {
    let mut result = CreateTaskResult::new(created);
    result.meta = Some(immediate_response(view));
    CallToolResponse::Task(result)
}
