//! Codex's app-server protocol as codex-mcp speaks it (0.169; see
//! ../shared/codex-cli/app-server.md): one type per message it sends (`client.rs`) and per
//! message it reads (`server.rs`), each with its method written once, as codex-rs's protocol
//! crate does. `schema_check.rs` holds every one of them to the JSON Schema the pinned Codex
//! generates, so a Codex that renames or drops a field fails a test instead of a task.
//! Nothing here does I/O.

mod client;
#[cfg(test)]
mod schema_check;
mod server;

pub use client::{
    AccountRead, ApprovalAnswer, ClientRequest, CommandExec, ElicitationAction, ElicitationAnswer,
    GrantScope, Initialize, ModelList, PermissionsAnswer, ReviewAnswer, ReviewStart, SandboxPolicy,
    ThreadResume, ThreadSettings, ThreadStart, ToolCallAnswer, TurnInterrupt, TurnStart, TurnSteer,
    UserInput, UserInputAnswer, initialized_line, request_line,
};
pub use server::{
    CommandOutput, Initialized, ItemNotification, Model, ServerNotification, ServerRequest,
    ThreadItem, ThreadOpened, TurnCompleted, TurnError, TurnStatus,
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One line app-server wrote, by what it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The answer to one of our requests: its result, read by whoever sent the request (it
    /// knows the request's `Response` type), or the error's message.
    Response {
        id: u64,
        result: Result<Value, String>,
    },
    /// A question app-server asks us (an approval), to be answered with its `id`.
    Request { id: Value, request: ServerRequest },
    /// Something that happened.
    Notification(ServerNotification),
}

/// A JSON-RPC line as it comes, before it is known which message it is.
#[derive(Deserialize)]
struct Envelope {
    id: Option<Value>,
    method: Option<String>,
    #[serde(default)]
    params: Value,
    result: Option<Value>,
    error: Option<Value>,
}

impl Incoming {
    /// The message on one line; `None` for a line that is not a JSON-RPC message.
    pub fn parse(line: &str) -> Option<Incoming> {
        let e: Envelope = serde_json::from_str(line.trim()).ok()?;
        match (e.method, e.id) {
            (Some(method), Some(id)) => Some(Incoming::Request {
                id,
                request: ServerRequest::read(&method, e.params),
            }),
            (Some(method), None) => Some(Incoming::Notification(ServerNotification::read(
                &method, e.params,
            ))),
            (None, Some(id)) => {
                let id = id.as_u64()?;
                let result = match e.error {
                    Some(err) => Err(err["message"]
                        .as_str()
                        .map_or_else(|| err.to_string(), str::to_string)),
                    None => Ok(e.result.unwrap_or(Value::Null)),
                };
                Some(Incoming::Response { id, result })
            }
            (None, None) => None,
        }
    }
}

/// The answer line to app-server's request `id`.
pub fn answer_line(id: &Value, result: &impl Serialize) -> String {
    #[derive(Serialize)]
    struct Line<'a, R> {
        id: &'a Value,
        result: &'a R,
    }
    line(&Line { id, result })
}

/// The line that refuses app-server's request `id` (JSON-RPC's error `code`).
pub fn error_line(id: &Value, code: i64, message: &str) -> String {
    #[derive(Serialize)]
    struct Error<'a> {
        code: i64,
        message: &'a str,
    }
    #[derive(Serialize)]
    struct Line<'a> {
        id: &'a Value,
        error: Error<'a>,
    }
    line(&Line {
        id,
        error: Error { code, message },
    })
}

/// One message on one line. Messages are plain structs of strings, numbers and JSON values,
/// which always serialize (as `serde_json::json!` assumes of what it is given).
fn line(message: &impl Serialize) -> String {
    serde_json::to_string(message).unwrap_or_default()
}
