//! What codex-mcp makes of app-server's messages (their types are in `protocol/`): the
//! questions for a person and the answers in each question's words, and the translation of
//! app-server notifications into the `codex exec --json` events every reader of a task's log
//! already knows. One log format, whichever driver ran: `codex-mcp logs`, progress, recovery and the
//! outcome read the same lines. Nothing here does I/O.

use serde_json::{Value, json};

use super::protocol::{
    ApprovalAnswer, ElicitationAction, ElicitationAnswer, GrantScope, PermissionsAnswer,
    ReviewAnswer, ServerNotification, ServerRequest, ThreadItem, ToolCallAnswer, TurnError,
    TurnStatus, UserInputAnswer, answer_line, error_line,
};
use crate::vocab::{Decision, QuestionKind, Usage};

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
    /// A patch's paths, when the question names them itself.
    pub paths: Vec<String>,
}

impl Question {
    /// A question of `kind` with nothing more known yet.
    fn of(kind: QuestionKind) -> Question {
        Question {
            kind,
            command: None,
            cwd: None,
            reason: None,
            host: None,
            item: None,
            paths: Vec::new(),
        }
    }
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

/// What app-server's request `request` with `id` asks.
pub fn asked(id: &Value, request: &ServerRequest) -> Asked {
    let question = match request {
        ServerRequest::CommandApproval(p) => {
            let kind = match p.kind.as_deref().unwrap_or("command") {
                "command" if p.network_approval_context.is_some() => QuestionKind::Network,
                "command" => QuestionKind::Command,
                "writeStdin" => QuestionKind::WriteStdin,
                other => {
                    return Asked::Declined {
                        what: format!(
                            "a command approval of a kind this version does not know (`{other}`)"
                        ),
                        answer: answer_line_for(id, request, Decision::Decline),
                    };
                }
            };
            Question {
                command: p.command.clone(),
                cwd: p.cwd.clone(),
                reason: p.reason.clone(),
                host: p.network_approval_context.as_ref().map(|n| n.host.clone()),
                item: Some(p.item_id.clone()),
                ..Question::of(kind)
            }
        }
        ServerRequest::LegacyCommandApproval(p) => Question {
            command: Some(p.command.join(" ")),
            cwd: Some(p.cwd.clone()),
            reason: p.reason.clone(),
            ..Question::of(QuestionKind::Command)
        },
        ServerRequest::FileChangeApproval(p) => Question {
            reason: p.reason.clone(),
            item: Some(p.item_id.clone()),
            ..Question::of(QuestionKind::FileChange)
        },
        ServerRequest::LegacyPatchApproval(p) => Question {
            reason: p.reason.clone(),
            paths: p.file_changes.keys().cloned().collect(),
            ..Question::of(QuestionKind::FileChange)
        },
        ServerRequest::PermissionsApproval(p) => Question {
            cwd: Some(p.cwd.clone()),
            reason: p.reason.clone(),
            ..Question::of(QuestionKind::Permissions)
        },
        other => return declined(id, other),
    };
    Asked::Question(question)
}

/// A request that is no question for a person, declined in its own words.
fn declined(id: &Value, request: &ServerRequest) -> Asked {
    let typed = |what: String, result: &dyn erased::Answer| Asked::Declined {
        what,
        answer: result.line(id),
    };
    let refused = |what: String, code: i64, message: String| Asked::Declined {
        what,
        answer: error_line(id, code, &message),
    };
    match request {
        ServerRequest::Elicitation(p) => typed(
            format!(
                "input for its MCP server `{}` (mcpServer/elicitation/request)",
                p.server_name
            ),
            &ElicitationAnswer {
                action: ElicitationAction::Decline,
            },
        ),
        ServerRequest::UserInput(_) => typed(
            "free-text answers to its questions (item/tool/requestUserInput)".into(),
            &UserInputAnswer::default(),
        ),
        ServerRequest::ToolCall(p) => typed(
            format!("a call of the client tool `{}` (item/tool/call)", p.tool),
            &ToolCallAnswer::default(),
        ),
        ServerRequest::Unreadable { method, why } => refused(
            format!("`{method}` in a form this version cannot read ({why})"),
            -32602,
            format!("codex-mcp could not read {method}: {why}"),
        ),
        other => refused(
            format!("`{}`, a request this version does not know", other.method()),
            -32601,
            format!("codex-mcp does not answer {}", other.method()),
        ),
    }
}

/// The answer line to the question `request` with `id`: `decision` in the words that request
/// takes. Only questions are answered this way; anything else is refused.
pub fn answer_line_for(id: &Value, request: &ServerRequest, decision: Decision) -> String {
    match request {
        ServerRequest::CommandApproval(_) | ServerRequest::FileChangeApproval(_) => answer_line(
            id,
            &ApprovalAnswer {
                decision: decision.into(),
            },
        ),
        ServerRequest::LegacyCommandApproval(_) | ServerRequest::LegacyPatchApproval(_) => {
            answer_line(
                id,
                &ReviewAnswer {
                    decision: decision.into(),
                },
            )
        }
        ServerRequest::PermissionsApproval(p) => {
            let answer = match decision {
                Decision::Accept | Decision::AcceptForSession => PermissionsAnswer {
                    permissions: p.permissions.clone(),
                    scope: if decision == Decision::Accept {
                        GrantScope::Turn
                    } else {
                        GrantScope::Session
                    },
                },
                Decision::Decline | Decision::Cancel => PermissionsAnswer {
                    permissions: Value::Object(Default::default()),
                    scope: GrantScope::Turn,
                },
            };
            answer_line(id, &answer)
        }
        other => error_line(
            id,
            -32601,
            &format!("codex-mcp does not answer {}", other.method()),
        ),
    }
}

/// An answer of any type, as a line.
mod erased {
    pub trait Answer {
        fn line(&self, id: &serde_json::Value) -> String;
    }

    impl<T: serde::Serialize> Answer for T {
        fn line(&self, id: &serde_json::Value) -> String {
            super::answer_line(id, self)
        }
    }
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
    review_output: Option<String>,
    /// The kind of the last error app-server reported (`codexErrorInfo`).
    error_info: Option<String>,
    last_error: Option<String>,
}

impl Translator {
    /// The exec events `notification` amounts to (often none).
    pub fn translate(&mut self, notification: &ServerNotification) -> Vec<Value> {
        use ServerNotification as N;
        match notification {
            N::ThreadStarted(t) => vec![thread_started(Some(&t.thread.id))],
            N::TurnStarted(_) => {
                self.turn_usage = Usage::default();
                vec![json!({"type": "turn.started"})]
            }
            N::ItemStarted(n) => self.item("item.started", &n.item),
            N::ItemCompleted(n) => self.item("item.completed", &n.item),
            N::TokenUsageUpdated(n) => {
                let last = n.token_usage.last;
                self.turn_usage.input_tokens += last.input_tokens;
                self.turn_usage.cached_input_tokens += last.cached_input_tokens;
                self.turn_usage.output_tokens += last.output_tokens;
                self.turn_usage.reasoning_output_tokens += last.reasoning_output_tokens;
                Vec::new()
            }
            N::Error(n) => {
                self.error_info = n.error.codex_error_info.as_ref().and_then(error_info);
                self.last_error = Some(n.error.message.clone());
                vec![json!({"type": "error", "message": n.error.message})]
            }
            N::TurnCompleted(n) => vec![self.turn_end(n.turn.status, n.turn.error.as_ref())],
            // The plan, as exec writes it: a todo list re-sent whole as it is ticked off.
            N::PlanUpdated(n) => {
                let items: Vec<Value> = n
                    .plan
                    .iter()
                    .map(|s| json!({"text": s.step, "completed": s.status == "completed"}))
                    .collect();
                vec![
                    json!({"type": "item.updated", "item": {"id": "plan", "type": "todo_list", "items": items}}),
                ]
            }
            // A turn's end that cannot be read still ends the turn, said as what it is.
            N::Unreadable { method, why } if method == N::TURN_COMPLETED => {
                let error = TurnError {
                    message: format!("codex-mcp could not read Codex's {method}: {why}"),
                    codex_error_info: None,
                };
                vec![self.turn_end(TurnStatus::Unknown, Some(&error))]
            }
            N::Unreadable { .. } | N::Other { .. } => Vec::new(),
        }
    }

    fn item(&mut self, kind: &str, item: &ThreadItem) -> Vec<Value> {
        match item {
            ThreadItem::EnteredReviewMode { .. } => self.in_review = true,
            ThreadItem::ExitedReviewMode { .. } => self.in_review = false,
            _ => {}
        }
        self.review_item(item)
            .or_else(|| exec_item(item))
            .map(|item| vec![json!({"type": kind, "item": item})])
            .unwrap_or_default()
    }

    /// In review mode: the review's start (what is reviewed, in Codex's words), and the
    /// reviewer's JSON, kept as the review's structured output rather than taken for the
    /// answer (Codex's rendering of it is the answer, as exec gives it).
    fn review_item(&mut self, item: &ThreadItem) -> Option<Value> {
        match item {
            ThreadItem::EnteredReviewMode { id, review } => {
                Some(json!({"id": id, "type": "review_started", "text": review}))
            }
            ThreadItem::AgentMessage { id, text }
                if self.review_output.as_ref() == Some(id)
                    || (self.in_review && super::review::review_from_json(text).is_some()) =>
            {
                self.review_output = Some(id.clone());
                Some(json!({"id": id, "type": "review_output", "text": text}))
            }
            _ => None,
        }
    }

    fn turn_end(&mut self, status: TurnStatus, error: Option<&TurnError>) -> Value {
        let u = self.turn_usage;
        match status {
            TurnStatus::Completed => json!({"type": "turn.completed", "usage": {
                "input_tokens": u.input_tokens,
                "cached_input_tokens": u.cached_input_tokens,
                "output_tokens": u.output_tokens,
                "reasoning_output_tokens": u.reasoning_output_tokens,
            }}),
            TurnStatus::Interrupted => {
                json!({"type": "turn.failed", "error": {"message": "the turn was interrupted"}})
            }
            TurnStatus::Failed | TurnStatus::InProgress | TurnStatus::Unknown => {
                let message = error
                    .map(|e| e.message.clone())
                    .or_else(|| self.last_error.clone())
                    .unwrap_or_else(|| "turn failed".into());
                let info = error
                    .and_then(|e| e.codex_error_info.as_ref())
                    .and_then(error_info)
                    .or(self.error_info.take());
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
fn exec_item(item: &ThreadItem) -> Option<Value> {
    Some(match item {
        ThreadItem::AgentMessage { id, text } => {
            json!({"id": id, "type": "agent_message", "text": text})
        }
        ThreadItem::Reasoning { id, summary } => {
            json!({"id": id, "type": "reasoning", "text": summary.join("\n")})
        }
        ThreadItem::CommandExecution {
            id,
            command,
            aggregated_output,
            exit_code,
            status,
        } => json!({
            "id": id,
            "type": "command_execution",
            "command": command,
            "aggregated_output": aggregated_output.as_deref().unwrap_or_default(),
            "exit_code": exit_code,
            "status": snake(status),
        }),
        ThreadItem::FileChange {
            id,
            changes,
            status,
        } => {
            let changes: Vec<Value> = changes
                .iter()
                .map(|c| json!({"path": c.path, "kind": c.kind.kind}))
                .collect();
            json!({"id": id, "type": "file_change", "changes": changes, "status": snake(status)})
        }
        ThreadItem::McpToolCall {
            id,
            server,
            tool,
            arguments,
            result,
            error,
            status,
        } => json!({
            "id": id,
            "type": "mcp_tool_call",
            "server": server,
            "tool": tool,
            "arguments": arguments,
            "result": result,
            "error": error,
            "status": snake(status),
        }),
        ThreadItem::WebSearch { id, query } => {
            json!({"id": id, "type": "web_search", "query": query})
        }
        ThreadItem::EnteredReviewMode { .. }
        | ThreadItem::ExitedReviewMode { .. }
        | ThreadItem::Other => return None,
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
    use crate::codex::protocol::Incoming;
    use crate::codex::{Decoded, Event, Item, decode};

    /// `params` of a command approval beside what every one carries.
    fn command(mut params: Value) -> Value {
        params["itemId"] = json!("i");
        params
    }

    fn translate(t: &mut Translator, method: &str, params: Value) -> Vec<Value> {
        t.translate(&ServerNotification::read(method, params))
    }

    #[test]
    fn each_kind_of_request_is_what_it_is() {
        let id = json!(7);
        let ask = |method: &str, params: Value| asked(&id, &ServerRequest::read(method, params));
        let kind = |a: Asked| match a {
            Asked::Question(q) => Some(q.kind),
            Asked::Declined { .. } => None,
        };
        let cmd = "item/commandExecution/requestApproval";
        assert_eq!(
            kind(ask(cmd, command(json!({"command": "ls"})))),
            Some(QuestionKind::Command)
        );
        assert_eq!(
            kind(ask(
                cmd,
                command(json!({"kind": "writeStdin", "command": "cat"}))
            )),
            Some(QuestionKind::WriteStdin)
        );
        let net = ask(
            cmd,
            command(
                json!({"command": "curl x", "networkApprovalContext": {"host": "example.com", "protocol": "https"}}),
            ),
        );
        match net {
            Asked::Question(q) => {
                assert_eq!(q.kind, QuestionKind::Network);
                assert_eq!(q.host.as_deref(), Some("example.com"));
            }
            other => panic!("{other:?}"),
        }
        for (method, params, named) in [
            (
                cmd,
                command(json!({"kind": "humanCommand"})),
                "humanCommand",
            ),
            (cmd, json!({"command": "no item id"}), "cannot read"),
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
        let legacy = ServerRequest::read(
            "execCommandApproval",
            json!({"command": ["ls"], "cwd": "/w"}),
        );
        let v1: Value =
            serde_json::from_str(&answer_line_for(&id, &legacy, Decision::Decline)).unwrap();
        assert!(
            v1["result"]["decision"]["denied"]["rejection"].is_string(),
            "{v1}"
        );
    }

    fn decoded(v: &Value) -> Decoded {
        let bytes = v.to_string().into_bytes();
        decode(&crate::codex::lines::Line::Whole(&bytes))
    }

    #[test]
    fn a_turn_reads_as_exec_wrote_it() {
        let mut t = Translator::default();
        let started = translate(&mut t, "thread/started", json!({"thread": {"id": "th-1"}}));
        assert!(matches!(
            decoded(&started[0]),
            Decoded::Event { event: Event::ThreadStarted { ref thread_id }, .. } if thread_id == "th-1"
        ));
        translate(&mut t, "turn/started", json!({"turn": {"id": "u"}}));
        let cmd = translate(
            &mut t,
            "item/completed",
            json!({"item": {"type": "commandExecution", "id": "c", "command": "/bin/bash -lc 'echo hi'",
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
            translate(
                &mut t,
                "thread/tokenUsage/updated",
                json!({"tokenUsage": {"total": {"inputTokens": 999}, "last": {"inputTokens": 100,
                    "cachedInputTokens": 10, "outputTokens": 20, "reasoningOutputTokens": 5}}}),
            );
        }
        let end = translate(
            &mut t,
            "turn/completed",
            json!({"turn": {"status": "completed"}}),
        );
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
        translate(
            &mut t,
            "error",
            json!({"error": {"message": "You've hit your usage limit.", "codexErrorInfo": "usageLimitExceeded"}, "willRetry": false}),
        );
        let end = translate(
            &mut t,
            "turn/completed",
            json!({"turn": {"status": "failed", "error": {"message": "You've hit your usage limit.",
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
        let end = translate(
            &mut t,
            "turn/completed",
            json!({"turn": {"status": "failed", "error": {"message": "bad gateway",
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
        let plan = translate(
            &mut t,
            "turn/plan/updated",
            json!({"plan": [{"step": "read", "status": "completed"}, {"step": "fix", "status": "inProgress"}]}),
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
            r#"{"id":0,"method":"item/commandExecution/requestApproval","params":{"itemId":"i","command":"/bin/bash -lc 'touch a'","cwd":"/w","reason":"needs it"}}"#,
        );
        let Some(Incoming::Request { id, request }) = q else {
            panic!("{q:?}")
        };
        let Asked::Question(question) = asked(&id, &request) else {
            panic!("not a question")
        };
        assert_eq!(question.kind, QuestionKind::Command);
        assert_eq!(question.reason.as_deref(), Some("needs it"));
        assert!(Incoming::parse("not json").is_none());
    }

    #[test]
    fn a_turn_end_that_cannot_be_read_still_ends_the_turn_and_says_why() {
        let mut t = Translator::default();
        let end = ServerNotification::read("turn/completed", json!({"turn": 3}));
        assert!(end.ends_turn());
        match decoded(&t.translate(&end)[0]) {
            Decoded::Event {
                event: Event::TurnFailed { error },
                ..
            } => assert!(
                error.message.contains("could not read"),
                "{}",
                error.message
            ),
            other => panic!("{other:?}"),
        }
    }
}
