//! Codex's app-server protocol (0.169; see ../shared/codex-cli/app-server.md), as far as a task
//! needs it: the messages a driver sends, what it receives, and the translation of app-server
//! notifications into the `codex exec --json` events every reader of a task's log already
//! knows. One log format, whichever driver ran: `codex-mcp logs`, progress, recovery and the
//! outcome read the same lines. Nothing here does I/O.

use serde_json::{Value, json};

use super::CodexSandbox;
use crate::vocab::{ApprovalPolicy, Decision, QuestionKind, ReviewTarget, Usage};

/// One line app-server wrote, by what it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The answer to one of our requests.
    Response {
        id: u64,
        result: Result<Value, String>,
    },
    /// A question app-server asks us (an approval), to be answered with its `id`.
    Request {
        id: Value,
        method: String,
        params: Value,
    },
    /// Something that happened.
    Notification { method: String, params: Value },
}

impl Incoming {
    /// The message on one line; `None` for a line that is not a JSON object.
    pub fn parse(line: &str) -> Option<Incoming> {
        let v: Value = serde_json::from_str(line.trim()).ok()?;
        let method = v["method"].as_str().map(str::to_string);
        match (method, v.get("id")) {
            (Some(method), Some(id)) => Some(Incoming::Request {
                id: id.clone(),
                method,
                params: v["params"].clone(),
            }),
            (Some(method), None) => Some(Incoming::Notification {
                method,
                params: v["params"].clone(),
            }),
            (None, Some(id)) => {
                let id = id.as_u64()?;
                let result = match v.get("error") {
                    Some(e) => Err(e["message"]
                        .as_str()
                        .map_or_else(|| e.to_string(), str::to_string)),
                    None => Ok(v["result"].clone()),
                };
                Some(Incoming::Response { id, result })
            }
            (None, None) => None,
        }
    }
}

/// A request line.
pub fn request(id: u64, method: &str, params: Value) -> String {
    json!({"id": id, "method": method, "params": params}).to_string()
}

/// The handshake's request.
pub fn initialize(id: u64) -> String {
    request(
        id,
        "initialize",
        json!({"clientInfo": {"name": "codex-mcp", "version": env!("CARGO_PKG_VERSION")}}),
    )
}

/// The notification that ends the handshake.
pub fn initialized() -> String {
    json!({"method": "initialized"}).to_string()
}

/// How a thread runs: its folder, sandbox, approval policy and model, and a profile's settings.
#[derive(Debug, Clone, Copy)]
pub struct ThreadSettings<'a> {
    pub cwd: &'a str,
    pub sandbox: CodexSandbox,
    pub approval: ApprovalPolicy,
    pub model: Option<&'a str>,
    pub config: Option<&'a Value>,
    /// Instructions beside Codex's own (a review's focus), as the thread's developer
    /// instructions.
    pub developer_instructions: Option<&'a str>,
}

/// A new thread, or the thread `session` resumed with the sandbox and policy given explicitly
/// (a resumed read-only turn stays read-only whatever the last turn had).
pub fn open_thread(id: u64, session: Option<&str>, s: ThreadSettings<'_>) -> String {
    let mut params = json!({
        "cwd": s.cwd,
        "sandbox": s.sandbox.as_str(),
        "approvalPolicy": s.approval.as_str(),
    });
    if let Some(m) = s.model {
        params["model"] = json!(m);
    }
    if let Some(c) = s.config {
        params["config"] = c.clone();
    }
    if let Some(i) = s.developer_instructions {
        params["developerInstructions"] = json!(i);
    }
    match session {
        Some(thread) => {
            params["threadId"] = json!(thread);
            request(id, "thread/resume", params)
        }
        None => request(id, "thread/start", params),
    }
}

/// A turn with `text` as its input.
pub fn start_turn(id: u64, thread: &str, text: &str) -> String {
    request(
        id,
        "turn/start",
        json!({"threadId": thread, "input": [{"type": "text", "text": text}]}),
    )
}

/// A turn of Codex's review mode on `thread`, reviewing `target`.
pub fn start_review(id: u64, thread: &str, target: &ReviewTarget) -> String {
    request(
        id,
        "review/start",
        json!({"threadId": thread, "target": target}),
    )
}

/// `text` delivered into the running turn `turn`.
pub fn steer(id: u64, thread: &str, turn: &str, text: &str) -> String {
    request(
        id,
        "turn/steer",
        json!({"threadId": thread, "expectedTurnId": turn, "input": [{"type": "text", "text": text}]}),
    )
}

/// Ends the running turn; the thread stays and can be resumed.
pub fn interrupt(id: u64, thread: &str, turn: &str) -> String {
    request(
        id,
        "turn/interrupt",
        json!({"threadId": thread, "turnId": turn}),
    )
}

/// The answer to the approval request `method` (with `params`) with `id`: `decision` in the
/// words that request takes.
pub fn approval_answer(id: &Value, method: &str, params: &Value, decision: Decision) -> String {
    let result = match method {
        // Permissions are granted by echoing them back, for the turn or the session; a decline
        // grants nothing.
        "item/permissions/requestApproval" => match decision {
            Decision::Accept | Decision::AcceptForSession => json!({
                "permissions": params["permissions"].clone(),
                "scope": if decision == Decision::Accept { "turn" } else { "session" },
            }),
            Decision::Decline | Decision::Cancel => json!({"permissions": {}, "scope": "turn"}),
        },
        // The first protocol's questions take its review words.
        "execCommandApproval" | "applyPatchApproval" => json!({"decision": match decision {
            Decision::Accept => "approved",
            Decision::AcceptForSession => "approved_for_session",
            Decision::Decline => "denied",
            Decision::Cancel => "abort",
        }}),
        _ => json!({"decision": decision.app_server_word()}),
    };
    json!({"id": id, "result": result}).to_string()
}

/// What app-server asks a person, in the words of a task's `input_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub kind: QuestionKind,
    pub command: Option<String>,
    pub cwd: Option<String>,
    pub reason: Option<String>,
    /// A network question: the host.
    pub host: Option<String>,
    /// The item it is about (a patch's paths are known by it).
    pub item: Option<String>,
}

/// A request app-server sent us, by what codex-mcp does with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Asked {
    /// A question for a person.
    Question(Question),
    /// Something codex-mcp does not answer on a person's behalf: declined at once with this
    /// answer line; `what` names it for the task's warning.
    Declined { what: String, answer: String },
}

/// What app-server's request `method` with `id` and `params` asks.
pub fn asked(id: &Value, method: &str, params: &Value) -> Asked {
    let text = |k: &str| params[k].as_str().map(str::to_string);
    let declined = |what: String, result: Value| Asked::Declined {
        what,
        answer: json!({"id": id, "result": result}).to_string(),
    };
    let kind = match method {
        "item/commandExecution/requestApproval" | "execCommandApproval" => {
            match params["kind"].as_str().unwrap_or("command") {
                "command" if params["networkApprovalContext"].is_object() => QuestionKind::Network,
                "command" => QuestionKind::Command,
                "writeStdin" => QuestionKind::WriteStdin,
                other => {
                    let answer = approval_answer(id, method, params, Decision::Decline);
                    return Asked::Declined {
                        what: format!(
                            "a command approval of a kind this version does not know (`{other}`)"
                        ),
                        answer,
                    };
                }
            }
        }
        "item/fileChange/requestApproval" | "applyPatchApproval" => QuestionKind::FileChange,
        "item/permissions/requestApproval" => QuestionKind::Permissions,
        "mcpServer/elicitation/request" => {
            let server = text("serverName").unwrap_or_default();
            return declined(
                format!("input for its MCP server `{server}` (mcpServer/elicitation/request)"),
                json!({"action": "decline"}),
            );
        }
        "item/tool/requestUserInput" => {
            return declined(
                "free-text answers to its questions (item/tool/requestUserInput)".into(),
                json!({"answers": {}}),
            );
        }
        "item/tool/call" => {
            let tool = text("tool").unwrap_or_default();
            return declined(
                format!("a call of the client tool `{tool}` (item/tool/call)"),
                json!({"success": false, "contentItems": []}),
            );
        }
        other => {
            return Asked::Declined {
                what: format!("`{other}`, a request this version does not know"),
                answer: json!({"id": id, "error": {"code": -32601, "message": format!("codex-mcp does not answer {other}")}}).to_string(),
            };
        }
    };
    let command = match &params["command"] {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    };
    Asked::Question(Question {
        kind,
        command,
        cwd: text("cwd"),
        reason: text("reason"),
        host: params["networkApprovalContext"]["host"]
            .as_str()
            .map(str::to_string),
        item: text("itemId"),
    })
}

/// Folds app-server notifications into `codex exec --json` event lines.
#[derive(Debug, Default)]
pub struct Translator {
    /// The tokens of the turn so far: the sum of each model request's `last`, exact.
    turn_usage: Usage,
    /// Inside Codex's review mode (between `enteredReviewMode` and `exitedReviewMode`), where
    /// the reviewer's own JSON comes as a message before Codex renders it.
    in_review: bool,
    /// The reviewer's JSON message, by id: it may complete after the review mode has ended.
    review_output: Option<Value>,
    /// The kind of the last error app-server reported (`codexErrorInfo`).
    error_info: Option<String>,
    last_error: Option<String>,
}

impl Translator {
    /// The exec events `method` with `params` amounts to (often none).
    pub fn translate(&mut self, method: &str, params: &Value) -> Vec<Value> {
        match method {
            "thread/started" => vec![thread_started(params["thread"]["id"].as_str())],
            "turn/started" => {
                self.turn_usage = Usage::default();
                vec![json!({"type": "turn.started"})]
            }
            "item/started" | "item/completed" => {
                let kind = if method == "item/started" {
                    "item.started"
                } else {
                    "item.completed"
                };
                let item = &params["item"];
                match item["type"].as_str() {
                    Some("enteredReviewMode") => self.in_review = true,
                    Some("exitedReviewMode") => self.in_review = false,
                    _ => {}
                }
                self.review_item(item)
                    .or_else(|| exec_item(item))
                    .map(|item| vec![json!({"type": kind, "item": item})])
                    .unwrap_or_default()
            }
            "thread/tokenUsage/updated" => {
                let last = &params["tokenUsage"]["last"];
                let n = |k: &str| last[k].as_u64().unwrap_or(0);
                self.turn_usage.input_tokens += n("inputTokens");
                self.turn_usage.cached_input_tokens += n("cachedInputTokens");
                self.turn_usage.output_tokens += n("outputTokens");
                self.turn_usage.reasoning_output_tokens += n("reasoningOutputTokens");
                Vec::new()
            }
            "error" => {
                let message = params["error"]["message"].as_str().unwrap_or("error");
                self.error_info = error_info(&params["error"]["codexErrorInfo"]);
                self.last_error = Some(message.to_string());
                vec![json!({"type": "error", "message": message})]
            }
            "turn/completed" => vec![self.turn_end(&params["turn"])],
            // The plan, as exec writes it: a todo list re-sent whole as it is ticked off.
            "turn/plan/updated" => {
                let items: Vec<Value> = params["plan"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| json!({"text": s["step"], "completed": s["status"] == "completed"}))
                    .collect();
                vec![
                    json!({"type": "item.updated", "item": {"id": "plan", "type": "todo_list", "items": items}}),
                ]
            }
            _ => Vec::new(),
        }
    }

    /// In review mode: the review's start (what is reviewed, in Codex's words), and the
    /// reviewer's JSON, kept as the review's structured output rather than taken for the
    /// answer (Codex's rendering of it is the answer, as exec gives it).
    fn review_item(&mut self, item: &Value) -> Option<Value> {
        let id = item["id"].clone();
        match item["type"].as_str()? {
            "enteredReviewMode" => {
                Some(json!({"id": id, "type": "review_started", "text": item["review"]}))
            }
            "agentMessage" if self.review_output.as_ref() == Some(&id) => {
                Some(json!({"id": id, "type": "review_output", "text": item["text"]}))
            }
            "agentMessage"
                if self.in_review
                    && item["text"]
                        .as_str()
                        .and_then(super::review::review_from_json)
                        .is_some() =>
            {
                self.review_output = Some(id.clone());
                Some(json!({"id": id, "type": "review_output", "text": item["text"]}))
            }
            _ => None,
        }
    }

    fn turn_end(&mut self, turn: &Value) -> Value {
        let u = self.turn_usage;
        match turn["status"].as_str() {
            Some("completed") => json!({"type": "turn.completed", "usage": {
                "input_tokens": u.input_tokens,
                "cached_input_tokens": u.cached_input_tokens,
                "output_tokens": u.output_tokens,
                "reasoning_output_tokens": u.reasoning_output_tokens,
            }}),
            Some("interrupted") => {
                json!({"type": "turn.failed", "error": {"message": "the turn was interrupted"}})
            }
            _ => {
                let message = turn["error"]["message"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| self.last_error.clone())
                    .unwrap_or_else(|| "turn failed".into());
                let info = error_info(&turn["error"]["codexErrorInfo"]).or(self.error_info.take());
                json!({"type": "turn.failed", "error": {"message": message, "codex_error_info": info}})
            }
        }
    }
}

/// `thread.started` for `thread`: app-server announces a new thread, and a resumed one is
/// announced by its driver the same way.
pub fn thread_started(thread: Option<&str>) -> Value {
    json!({"type": "thread.started", "thread_id": thread.unwrap_or_default()})
}

/// `codexErrorInfo`'s name: a string, or the one key of an object, with the HTTP status it
/// carries when it carries one (`{"httpConnectionFailed": {"httpStatusCode": 502}}` →
/// `httpConnectionFailed:502`).
fn error_info(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => {
            o.iter()
                .next()
                .map(|(name, detail)| match detail["httpStatusCode"].as_u64() {
                    Some(code) => format!("{name}:{code}"),
                    None => name.clone(),
                })
        }
        _ => None,
    }
}

/// An app-server item as exec writes it; `None` for items exec does not show (the user's own
/// message).
fn exec_item(item: &Value) -> Option<Value> {
    let id = item["id"].clone();
    let status = |v: &Value| snake(v.as_str().unwrap_or("completed"));
    Some(match item["type"].as_str()? {
        "agentMessage" => json!({"id": id, "type": "agent_message", "text": item["text"]}),
        "reasoning" => {
            let text = item["summary"]
                .as_array()
                .map(|parts| {
                    parts
                        .iter()
                        .filter_map(|p| p.as_str().or(p["text"].as_str()))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            json!({"id": id, "type": "reasoning", "text": text})
        }
        "commandExecution" => json!({
            "id": id,
            "type": "command_execution",
            "command": item["command"],
            "aggregated_output": item["aggregatedOutput"].as_str().unwrap_or_default(),
            "exit_code": item["exitCode"],
            "status": status(&item["status"]),
        }),
        "fileChange" => {
            let changes: Vec<Value> = item["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let kind = c["kind"]
                        .as_str()
                        .or(c["kind"]["type"].as_str())
                        .unwrap_or("update");
                    json!({"path": c["path"], "kind": kind})
                })
                .collect();
            json!({"id": id, "type": "file_change", "changes": changes, "status": status(&item["status"])})
        }
        "mcpToolCall" => json!({
            "id": id,
            "type": "mcp_tool_call",
            "server": item["server"],
            "tool": item["tool"],
            "arguments": item["arguments"],
            "result": item["result"],
            "error": item["error"],
            "status": status(&item["status"]),
        }),
        "webSearch" => json!({"id": id, "type": "web_search", "query": item["query"]}),
        _ => return None,
    })
}

/// `inProgress` → `in_progress`.
fn snake(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codex::{Decoded, Event, Item, decode};

    #[test]
    fn each_kind_of_request_is_what_it_is() {
        let id = json!(7);
        let ask = |method: &str, params: Value| asked(&id, method, &params);
        let kind = |a: Asked| match a {
            Asked::Question(q) => Some(q.kind),
            Asked::Declined { .. } => None,
        };
        let cmd = "item/commandExecution/requestApproval";
        assert_eq!(
            kind(ask(cmd, json!({"command": "ls"}))),
            Some(QuestionKind::Command)
        );
        assert_eq!(
            kind(ask(cmd, json!({"kind": "writeStdin", "command": "cat"}))),
            Some(QuestionKind::WriteStdin)
        );
        let net = ask(
            cmd,
            json!({"command": "curl x", "networkApprovalContext": {"host": "example.com", "protocol": "https"}}),
        );
        match net {
            Asked::Question(q) => {
                assert_eq!(q.kind, QuestionKind::Network);
                assert_eq!(q.host.as_deref(), Some("example.com"));
            }
            other => panic!("{other:?}"),
        }
        for (method, params, named) in [
            (cmd, json!({"kind": "humanCommand"}), "humanCommand"),
            (
                "mcpServer/elicitation/request",
                json!({"serverName": "docs"}),
                "docs",
            ),
            ("item/tool/requestUserInput", json!({}), "requestUserInput"),
            ("item/tool/call", json!({"tool": "t"}), "item/tool/call"),
            ("something/new", json!({}), "something/new"),
        ] {
            match ask(method, params) {
                Asked::Declined { what, answer } => {
                    assert!(what.contains(named), "{what}");
                    let v: Value = serde_json::from_str(&answer).unwrap();
                    assert_eq!(v["id"], 7);
                    assert!(!answer.contains("accept"), "{answer}");
                }
                other => panic!("{method}: {other:?}"),
            }
        }
        let v1: Value = serde_json::from_str(&approval_answer(
            &id,
            "execCommandApproval",
            &json!({}),
            Decision::Decline,
        ))
        .unwrap();
        assert_eq!(v1["result"]["decision"], "denied");
    }

    fn decoded(v: &Value) -> Decoded {
        let bytes = v.to_string().into_bytes();
        decode(&crate::codex::lines::Line::Whole(&bytes))
    }

    #[test]
    fn a_turn_reads_as_exec_wrote_it() {
        let mut t = Translator::default();
        let started = t.translate("thread/started", &json!({"thread": {"id": "th-1"}}));
        assert!(matches!(
            decoded(&started[0]),
            Decoded::Event { event: Event::ThreadStarted { ref thread_id }, .. } if thread_id == "th-1"
        ));
        t.translate("turn/started", &json!({}));
        let cmd = t.translate(
            "item/completed",
            &json!({"item": {"type": "commandExecution", "id": "c", "command": "/bin/bash -lc 'echo hi'",
                "aggregatedOutput": "hi\n", "exitCode": 0, "status": "completed"}}),
        );
        assert!(matches!(
            decoded(&cmd[0]),
            Decoded::Event {
                event: Event::ItemCompleted {
                    item: Item::CommandExecution {
                        exit_code: Some(0),
                        ..
                    }
                },
                ..
            }
        ));
        for _ in 0..2 {
            t.translate(
                "thread/tokenUsage/updated",
                &json!({"tokenUsage": {"total": {"inputTokens": 999}, "last": {"inputTokens": 100,
                    "cachedInputTokens": 10, "outputTokens": 20, "reasoningOutputTokens": 5}}}),
            );
        }
        let end = t.translate("turn/completed", &json!({"turn": {"status": "completed"}}));
        match decoded(&end[0]) {
            Decoded::Event {
                event: Event::TurnCompleted { usage },
                ..
            } => {
                assert_eq!((usage.input_tokens, usage.output_tokens), (200, 40));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_failed_turn_keeps_its_typed_kind() {
        let mut t = Translator::default();
        t.translate(
            "error",
            &json!({"error": {"message": "You've hit your usage limit.", "codexErrorInfo": "usageLimitExceeded"}, "willRetry": false}),
        );
        let end = t.translate(
            "turn/completed",
            &json!({"turn": {"status": "failed", "error": {"message": "You've hit your usage limit.",
                "codexErrorInfo": {"httpConnectionFailed": {"httpStatusCode": null}}}}}),
        );
        match decoded(&end[0]) {
            Decoded::Event {
                event: Event::TurnFailed { error },
                ..
            } => {
                assert_eq!(error.message, "You've hit your usage limit.");
                assert_eq!(error.info.as_deref(), Some("httpConnectionFailed"));
            }
            other => panic!("{other:?}"),
        }
        let end = t.translate(
            "turn/completed",
            &json!({"turn": {"status": "failed", "error": {"message": "bad gateway",
                "codexErrorInfo": {"responseStreamConnectionFailed": {"httpStatusCode": 502}}}}}),
        );
        match decoded(&end[0]) {
            Decoded::Event {
                event: Event::TurnFailed { error },
                ..
            } => {
                assert_eq!(
                    error.info.as_deref(),
                    Some("responseStreamConnectionFailed:502")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_plan_reads_as_execs_todo_list() {
        let mut t = Translator::default();
        let plan = t.translate(
            "turn/plan/updated",
            &json!({"plan": [{"step": "read", "status": "completed"}, {"step": "fix", "status": "inProgress"}]}),
        );
        match decoded(&plan[0]) {
            Decoded::Event {
                event:
                    Event::ItemUpdated {
                        item: Item::TodoList { items },
                    },
                ..
            } => {
                assert_eq!(items.len(), 2);
                assert!(items[0].completed && !items[1].completed);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lines_are_told_apart() {
        assert_eq!(
            Incoming::parse(r#"{"id":3,"result":{"turnId":"t"}}"#),
            Some(Incoming::Response {
                id: 3,
                result: Ok(json!({"turnId": "t"}))
            })
        );
        assert_eq!(
            Incoming::parse(
                r#"{"id":4,"error":{"code":-32600,"message":"no active turn to steer"}}"#
            ),
            Some(Incoming::Response {
                id: 4,
                result: Err("no active turn to steer".into())
            })
        );
        let q = Incoming::parse(
            r#"{"id":0,"method":"item/commandExecution/requestApproval","params":{"command":"/bin/bash -lc 'touch a'","cwd":"/w","reason":"needs it"}}"#,
        );
        let Some(Incoming::Request { id, method, params }) = q else {
            panic!("{q:?}")
        };
        let Asked::Question(question) = asked(&id, &method, &params) else {
            panic!("not a question")
        };
        assert_eq!(question.kind, QuestionKind::Command);
        assert_eq!(question.reason.as_deref(), Some("needs it"));
        assert!(Incoming::parse("not json").is_none());
    }
}
