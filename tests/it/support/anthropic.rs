//! A scripted Anthropic Messages API, so that the real Claude Code can run offline against the
//! built server (`ANTHROPIC_BASE_URL`). The script is a list of tool calls. To a request that
//! offers tools, it answers with the next call the conversation has not made yet (counted by
//! the calls in it); a tool Claude Code lists by name only (deferred) is first loaded with
//! `ToolSearch` (`select:<name>`), as a real model does. Once every call has its result, it
//! answers by echoing the last result as text. To anything else (Claude Code's own side requests) it answers "ok". Every
//! request is kept for the test to read.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Set to a folder to keep a copy of every request Claude Code sends, for debugging a test.
const DUMP_VAR: &str = "CODEXMCP_TEST_API_DUMP";

/// What the echoing answer starts with.
pub const ECHO_PREFIX: &str = "TOOL RESULT:";

#[derive(Clone)]
pub struct ScriptedClaude {
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
}

/// One request Claude Code sent: its path, its JSON body, and when it arrived (ms since the
/// epoch).
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub body: Value,
    pub at_ms: u64,
}

/// What the model does next, in order.
#[derive(Clone)]
pub enum Step {
    /// Calls a tool with this input.
    Call(String, Value),
    /// Calls a tool with an input made from the request's body (e.g. an id an earlier result
    /// gave).
    CallWith(String, Arc<dyn Fn(&Value) -> Value + Send + Sync>),
    /// Ends its turn saying this; the next step answers the next message (from the person, or
    /// a notification Claude Code adds).
    Say(String),
}

impl Step {
    fn tool(&self) -> Option<&str> {
        match self {
            Step::Call(tool, _) | Step::CallWith(tool, _) => Some(tool),
            Step::Say(_) => None,
        }
    }
}

type Script = Arc<Vec<Step>>;

impl ScriptedClaude {
    /// Serves until the test's runtime ends; the model makes `calls` one after another.
    pub async fn start(calls: &[(&str, Value)]) -> ScriptedClaude {
        let steps: Vec<Step> = calls
            .iter()
            .map(|(tool, input)| Step::Call(tool.to_string(), input.clone()))
            .collect();
        ScriptedClaude::with_steps(steps).await
    }

    /// Serves until the test's runtime ends; the model takes `steps` one after another, then
    /// echoes the last tool result it got.
    pub async fn with_steps(steps: Vec<Step>) -> ScriptedClaude {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let script: Script = Arc::new(steps);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (recorded, script) = (recorded.clone(), script.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, recorded, script).await;
                });
            }
        });
        ScriptedClaude { port, requests }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The `tool_result` blocks Claude Code sent back to the model, in order (from the
    /// longest conversation seen).
    pub fn tool_results(&self) -> Vec<Value> {
        self.requests()
            .iter()
            .map(|r| tool_results_in(&r.body))
            .max_by_key(Vec::len)
            .unwrap_or_default()
    }

    /// The names of the tools Claude Code offered the model, loaded or deferred, in any
    /// request: on a loaded machine its first request may go out before an MCP server is
    /// connected, and the server's tools are offered from the next one.
    pub fn offered_tools(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .requests()
            .into_iter()
            .flat_map(|r| tool_names_offered(&r.body))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Claude Code's tool that loads a deferred tool's schema (`select:<name>`).
pub const TOOL_SEARCH: &str = "ToolSearch";

/// Every `tool_use` block the model sent in a request's conversation, oldest first.
fn tool_uses_in(body: &Value) -> Vec<Value> {
    blocks_in(body, "assistant", "tool_use")
}

fn blocks_in(body: &Value, role: &str, kind: &str) -> Vec<Value> {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == role)
        .filter_map(|m| m["content"].as_array())
        .flatten()
        .filter(|b| b["type"] == kind)
        .cloned()
        .collect()
}

/// Every tool result in a request's conversation, oldest first, but those of `ToolSearch`:
/// loading a tool is Claude Code's business, the results of the scripted calls are the test's.
fn tool_results_in(body: &Value) -> Vec<Value> {
    let searches: Vec<Value> = tool_uses_in(body)
        .into_iter()
        .filter(|u| u["name"] == TOOL_SEARCH)
        .map(|u| u["id"].clone())
        .collect();
    blocks_in(body, "user", "tool_result")
        .into_iter()
        .filter(|r| !searches.contains(&r["tool_use_id"]))
        .collect()
}

/// The steps the conversation has taken so far: the model's calls (its `ToolSearch` calls
/// aside) and the turns it ended by saying something.
fn steps_taken(body: &Value) -> usize {
    let calls = tool_uses_in(body)
        .iter()
        .filter(|u| u["name"] != TOOL_SEARCH)
        .count();
    calls + blocks_in(body, "assistant", "text").len()
}

/// Every text the conversation holds (system prompt, messages, tool results): where Claude Code
/// tells the model things, such as a task's notification.
pub fn conversation_text(body: &Value) -> String {
    let mut texts = Vec::new();
    collect_texts(&body["system"], &mut texts);
    collect_texts(&body["messages"], &mut texts);
    texts.join("\n")
}

/// Whether the model can call `tool` now: its schema is among the request's tools, or an
/// earlier `ToolSearch` selected it. Claude Code lists MCP tools by name only (deferred), so
/// the model loads each before its first call, as a real model does.
fn loaded(body: &Value, tool: &str) -> bool {
    let listed = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| t["name"] == tool && t["defer_loading"] != true);
    listed
        || tool_uses_in(body).iter().any(|u| {
            u["name"] == TOOL_SEARCH
                && u["input"]["query"]
                    .as_str()
                    .and_then(|q| q.strip_prefix("select:"))
                    .is_some_and(|names| names.split(',').any(|n| n.trim() == tool))
        })
}

/// The names of the tools Claude Code offered: those whose schemas it sent, and the deferred
/// ones it lists by name for `ToolSearch`.
fn tool_names_offered(body: &Value) -> Vec<String> {
    let mut names: Vec<String> = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    let mut texts: Vec<&str> = Vec::new();
    collect_texts(&body["system"], &mut texts);
    collect_texts(&body["messages"], &mut texts);
    for text in texts {
        if let Some(at) = text.find("available via ToolSearch") {
            // The names follow the sentence's line, one a line, up to a blank line.
            let names_start = text[at..].find('\n').map_or(text.len(), |n| at + n + 1);
            names.extend(
                text[names_start..]
                    .lines()
                    .take_while(|l| !l.trim().is_empty())
                    .map(|l| l.trim().to_string()),
            );
        }
    }
    names
}

/// Every string under `v`.
fn collect_texts<'a>(v: &'a Value, into: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => into.push(s),
        Value::Array(items) => items.iter().for_each(|i| collect_texts(i, into)),
        Value::Object(map) => map.values().for_each(|i| collect_texts(i, into)),
        _ => {}
    }
}

/// The text of a tool result block (its content is a string or a list of blocks).
pub fn tool_result_text(block: &Value) -> String {
    match &block["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

async fn serve(
    mut stream: TcpStream,
    recorded: Arc<Mutex<Vec<Request>>>,
    script: Script,
) -> std::io::Result<()> {
    let (path, body) = read_request(&mut stream).await?;
    let at_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    recorded.lock().unwrap().push(Request {
        path: path.clone(),
        body: body.clone(),
        at_ms,
    });
    // For a person reading what Claude Code sent: every request, numbered, in that folder.
    if let Some(dir) = std::env::var_os(DUMP_VAR) {
        let n = recorded.lock().unwrap().len();
        let text = json!({"path": path, "body": body}).to_string();
        let _ = std::fs::write(
            std::path::Path::new(&dir).join(format!("{n:03}.json")),
            text,
        );
    }
    if path.starts_with("/v1/messages/count_tokens") {
        let body = json!({"input_tokens": 100}).to_string();
        return respond(&mut stream, "200 OK", "application/json", &body).await;
    }
    if !path.starts_with("/v1/messages") {
        let body = json!({"type": "error", "error": {"type": "not_found_error", "message": path}});
        return respond(
            &mut stream,
            "404 Not Found",
            "application/json",
            &body.to_string(),
        )
        .await;
    }
    let offers_tools = body["tools"].as_array().is_some_and(|t| !t.is_empty());
    let results = tool_results_in(&body);
    let step = tool_uses_in(&body).len() + 1;
    let next = script.get(steps_taken(&body)).filter(|_| offers_tools);
    let content = match next {
        Some(s) if s.tool().is_some_and(|t| !loaded(&body, t)) => json!({
            "type": "tool_use", "id": format!("toolu_scripted_{step}"),
            "name": TOOL_SEARCH,
            "input": {"query": format!("select:{}", s.tool().unwrap_or_default()), "max_results": 5}
        }),
        Some(Step::Call(tool, input)) => json!({
            "type": "tool_use", "id": format!("toolu_scripted_{step}"),
            "name": tool, "input": input
        }),
        Some(Step::CallWith(tool, make)) => json!({
            "type": "tool_use", "id": format!("toolu_scripted_{step}"),
            "name": tool, "input": make(&body)
        }),
        Some(Step::Say(text)) => json!({"type": "text", "text": text}),
        None => match results.last() {
            Some(last) if offers_tools => {
                json!({"type": "text", "text": format!("{ECHO_PREFIX} {}", tool_result_text(last))})
            }
            _ => json!({"type": "text", "text": "ok"}),
        },
    };
    let stop = if content["type"] == "tool_use" {
        "tool_use"
    } else {
        "end_turn"
    };
    let model = body["model"]
        .as_str()
        .unwrap_or("claude-scripted")
        .to_string();
    if body["stream"] == true {
        respond(
            &mut stream,
            "200 OK",
            "text/event-stream",
            &sse(&model, &content, stop),
        )
        .await
    } else {
        let message = json!({
            "id": "msg_scripted", "type": "message", "role": "assistant", "model": model,
            "content": [content], "stop_reason": stop, "stop_sequence": null,
            "usage": {"input_tokens": 100, "output_tokens": 20}
        });
        respond(
            &mut stream,
            "200 OK",
            "application/json",
            &message.to_string(),
        )
        .await
    }
}

/// The message as the streaming API sends it: start, one content block, delta, stop.
fn sse(model: &str, content: &Value, stop: &str) -> String {
    let (start, delta) = if content["type"] == "tool_use" {
        (
            json!({"type": "tool_use", "id": content["id"], "name": content["name"], "input": {}}),
            json!({"type": "input_json_delta", "partial_json": content["input"].to_string()}),
        )
    } else {
        (
            json!({"type": "text", "text": ""}),
            json!({"type": "text_delta", "text": content["text"]}),
        )
    };
    let events = [
        json!({"type": "message_start", "message": {
            "id": "msg_scripted", "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 100, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": start}),
        json!({"type": "content_block_delta", "index": 0, "delta": delta}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
               "usage": {"output_tokens": 20}}),
        json!({"type": "message_stop"}),
    ];
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect()
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<(String, Value)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let header_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok((String::new(), Value::Null));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let path = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_default()
        .to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let lower = l.to_ascii_lowercase();
            lower
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&buf[header_end..]).unwrap_or(Value::Null);
    Ok((path, body))
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    ctype: &str,
    body: &str,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}
