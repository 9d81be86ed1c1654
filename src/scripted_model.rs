//! A scripted Responses-API model: an in-process HTTP server that codex talks to instead of
//! OpenAI, offline and without credentials. The test suite drives the real Codex CLI against
//! it, and `codex-mcp doctor --smoke` uses it to prove an installation end to end. What it answers is read from directives in the user's prompt, one per line:
//!
//! - `@shell <command>`: a step that makes codex run the command (waiting for it);
//! - `@escalate <command>`: the same, asking to run it outside the sandbox
//!   (`sandbox_permissions: "require_escalated"`): under `on-request`, codex asks first;
//! - `@add_file <path> <text>`: a step that makes codex create a file with `apply_patch`
//!   (codex offers that tool only for a bundled model slug; see `Fixture::use_bundled_model`);
//! - `@mcp <server> <tool> <json>`: a step that makes codex call `tool` of its MCP server
//!   `server` (`[mcp_servers.<server>]` in its config) with those arguments;
//! - `@parallel <step> && <step> …`: one step of several tool calls in one reply, as models
//!   make parallel calls (e.g. `@parallel @escalate touch a && @escalate touch b`);
//! - `@say <text>`: a message the model says before its first step;
//! - `@answer <text>`: the final answer (default `done`);
//! - `@answer_len <n>`: a final answer of `n` characters;
//! - `@delay_ms <n>`: wait before every reply (a slow model);
//! - `@fail`: every request gets HTTP 500 (codex then reports `turn.failed`);
//! - `@status <code> <message>`: every request gets that HTTP status and error message;
//! - `@status_json <code> <json>`: every request gets that HTTP status with that JSON body as it
//!   is (e.g. a 429 whose `error.type` is `usage_limit_reached`);
//! - `@response_failed <code> <message>`: every reply streams `response.failed` with that error
//!   `code` (e.g. `context_length_exceeded`, `insufficient_quota`) and message;
//! - `@cut_stream`: every reply stops after its first event, as a dropped connection does
//!   (codex reports "Reconnecting..." and retries as its config allows).
//!
//! A review turn of Codex's review mode is answered as a reviewer would: see `review.rs`
//! (`@finding P<n> <path>:<start>-<end> <title> | <body>` markers in the change).
//!
//! A request for a model whose name starts with `unknown-` gets HTTP 400 with the message a
//! real backend gives, so a test can see codex's refusal reach the caller.
//!
//! The step is found from the number of tool outputs after the last user message, so the server keeps no
//! state per conversation and a resumed session starts from its new prompt.

mod review;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Input tokens each reply reports.
pub const USAGE_INPUT: u64 = 100;
/// Cached input tokens each reply reports.
pub const USAGE_CACHED: u64 = 10;
/// Output tokens each reply reports.
pub const USAGE_OUTPUT: u64 = 20;
/// Reasoning tokens each reply reports.
pub const USAGE_REASONING: u64 = 5;

/// A running scripted model, serving until the runtime that started it ends.
#[derive(Clone)]
pub struct MockModel {
    /// The loopback port it listens on: `http://127.0.0.1:<port>/v1` is its base URL.
    pub port: u16,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl MockModel {
    /// Starts the model on a free loopback port.
    pub async fn start() -> std::io::Result<MockModel> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, recorded).await;
                });
            }
        });
        Ok(MockModel { port, requests })
    }

    /// The `config.toml` that points a Codex home at this model (`model` is the slug codex
    /// is told; a bundled slug makes codex offer `apply_patch`).
    pub fn codex_config(&self, model: &str) -> String {
        format!(
            "model = \"{model}\"\nmodel_provider = \"mock\"\n[model_providers.mock]\nname = \"mock\"\n\
             base_url = \"http://127.0.0.1:{}/v1\"\nwire_api = \"responses\"\n\
             request_max_retries = 0\nstream_max_retries = 0\n",
            self.port
        )
    }

    /// Every request body received so far.
    pub fn requests(&self) -> Vec<Value> {
        lock(&self.requests).clone()
    }

    /// The outputs of tool calls codex reported back (deduplicated: history repeats them).
    pub fn tool_outputs(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.requests() {
            for i in r["input"].as_array().into_iter().flatten() {
                if i["type"] == "function_call_output" {
                    let o = i["output"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i["output"].to_string());
                    let key = format!("{}{}", i["call_id"], o);
                    if !out.contains(&key) {
                        out.push(key);
                    }
                }
            }
        }
        out
    }

    /// The user prompts the model has seen (the last user message of each request).
    pub fn prompts(&self) -> Vec<String> {
        self.requests().iter().filter_map(last_user_text).collect()
    }
}

async fn serve(mut stream: TcpStream, recorded: Arc<Mutex<Vec<Value>>>) -> std::io::Result<()> {
    let Some((request_line, body)) = read_request(&mut stream).await? else {
        return Ok(());
    };
    if !request_line.starts_with("POST") || !request_line.contains("/responses") {
        return respond(&mut stream, "404 Not Found", "text/plain", b"not here").await;
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return respond(&mut stream, "400 Bad Request", "text/plain", b"bad json").await;
    };
    lock(&recorded).push(request.clone());
    if let Some((status, error)) = unknown_model(&request) {
        let body = json!({ "error": error }).to_string();
        return respond(&mut stream, &status, "application/json", body.as_bytes()).await;
    }
    let prompt = last_user_text(&request).unwrap_or_default();
    let mut script = Script::parse(&prompt);
    if review::is_review(&request) {
        // Codex's reviewer: looks at the change, then gives its verdict, unless told otherwise.
        if script.steps.is_empty() {
            script
                .steps
                .push(vec![Step::Shell(review::inspect_command(&prompt))]);
        }
        if !script.answer_given {
            script.answer = review::verdict(&request);
        }
    }
    if script.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(script.delay_ms)).await;
    }
    if script.cut_stream {
        let frame = json!({"type": "response.created", "response": {"id": "resp_cut"}});
        let sse = format!("event: response.created\ndata: {frame}\n\n");
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(sse.as_bytes()).await?;
        return stream.shutdown().await;
    }
    if let Some((code, body)) = &script.status_json {
        let status = format!("{code} Error");
        return respond(&mut stream, &status, "application/json", body.as_bytes()).await;
    }
    if let Some((status, error)) = refusal(&script) {
        let body = json!({ "error": error }).to_string();
        return respond(&mut stream, &status, "application/json", body.as_bytes()).await;
    }
    if let Some((code, message)) = &script.response_failed {
        let frame = json!({"type": "response.failed", "response": {"id": "resp_failed",
            "error": {"code": code, "message": message}}});
        let sse = format!("event: response.failed\ndata: {frame}\n\n");
        return respond(&mut stream, "200 OK", "text/event-stream", sse.as_bytes()).await;
    }
    let outputs = tool_outputs_since_last_user(&request);
    let sse = stream_of(outputs, reply_items(outputs, &script));
    respond(&mut stream, "200 OK", "text/event-stream", sse.as_bytes()).await
}

/// Reads one HTTP request: its request line and its body (chunked or with a length); `None`
/// when the connection closed first.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let header_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut content_length = 0usize;
    let mut chunked = false;
    for l in lines {
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = buf[header_end..].to_vec();
    let done = |body: &[u8]| match chunked {
        true => find(body, b"0\r\n\r\n").is_some(),
        false => body.len() >= content_length,
    };
    while !done(&body) {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    if chunked {
        body = dechunk(&body);
    }
    Ok(Some((request_line, body)))
}

/// The HTTP status and error body a real backend gives a model it does not know.
fn unknown_model(request: &Value) -> Option<(String, Value)> {
    let model = request["model"]
        .as_str()
        .filter(|m| m.starts_with("unknown-"))?;
    let error = json!({
        "message": format!("The model `{model}` does not exist or you do not have access to it."),
        "type": "invalid_request_error", "code": "model_not_found"});
    Some(("400 Bad Request".into(), error))
}

/// The HTTP status and error body that `@status` and `@fail` ask for.
fn refusal(script: &Script) -> Option<(String, Value)> {
    if let Some((code, message)) = &script.status {
        return Some((
            format!("{code} Error"),
            json!({"message": message, "type": "error"}),
        ));
    }
    script.fail.then(|| {
        (
            "500 Internal Server Error".into(),
            json!({"message": "scripted model failure", "type": "server_error"}),
        )
    })
}

/// What the model says after `outputs` tool outputs: the message before the first step, then
/// the calls of the step those outputs lead to, or the answer once the steps are done.
fn reply_items(outputs: usize, script: &Script) -> Vec<Value> {
    let message = |id: String, text: &str| {
        json!({
            "type": "message",
            "role": "assistant",
            "id": id,
            "content": [{"type": "output_text", "text": text}],
        })
    };
    let mut items = Vec::new();
    if outputs == 0
        && !script.steps.is_empty()
        && let Some(say) = &script.say
    {
        items.push(message("msg_say".into(), say));
    }
    // Each call of a step comes back as one output: the step is where the outputs so far end.
    let mut seen = 0;
    let group = script.steps.iter().find(|g| {
        let here = seen == outputs;
        seen += g.len();
        here
    });
    match group {
        Some(calls) => {
            for (i, call) in calls.iter().enumerate() {
                items.push(call.item(&format!("call_{outputs}_{i}")));
            }
        }
        None => items.push(message(format!("msg_{outputs}"), &script.answer)),
    }
    items
}

impl Step {
    /// The tool call this step makes, with `call_id`.
    fn item(&self, call_id: &str) -> Value {
        match self {
            Step::Shell(cmd) => json!({
                "type": "function_call",
                "name": "exec_command",
                "call_id": call_id,
                "arguments": json!({"cmd": cmd, "yield_time_ms": 3_600_000}).to_string(),
            }),
            Step::Escalate(cmd) => json!({
                "type": "function_call",
                "name": "exec_command",
                "call_id": call_id,
                "arguments": json!({"cmd": cmd, "yield_time_ms": 3_600_000,
                    "sandbox_permissions": "require_escalated",
                    "justification": "the scripted model needs it"}).to_string(),
            }),
            Step::AddFile(path, text) => json!({
                "type": "custom_tool_call",
                "name": "apply_patch",
                "call_id": call_id,
                "input": format!("*** Begin Patch\n*** Add File: {path}\n+{text}\n*** End Patch\n"),
            }),
            // Codex offers an MCP server's tools as a namespace `mcp__<server>`.
            Step::Mcp {
                server,
                tool,
                arguments,
            } => json!({
                "type": "function_call",
                "name": tool,
                "namespace": format!("mcp__{server}"),
                "call_id": call_id,
                "arguments": arguments,
            }),
        }
    }
}

/// The items as the Responses API streams them: each done, then the response completed with
/// its usage.
fn stream_of(step: usize, items: Vec<Value>) -> String {
    let mut frames: Vec<Value> = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| json!({"type": "response.output_item.done", "output_index": i, "item": item}))
        .collect();
    frames.push(
        json!({"type": "response.completed", "response": {"id": format!("resp_{step}"), "usage": {
            "input_tokens": USAGE_INPUT,
            "input_tokens_details": {"cached_tokens": USAGE_CACHED},
            "output_tokens": USAGE_OUTPUT,
            "output_tokens_details": {"reasoning_tokens": USAGE_REASONING},
            "total_tokens": USAGE_INPUT + USAGE_OUTPUT,
        }}}),
    );
    frames
        .iter()
        .map(|f| {
            format!(
                "event: {}\ndata: {}\n\n",
                f["type"].as_str().unwrap_or_default(),
                f
            )
        })
        .collect()
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    ctype: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}

enum Step {
    Shell(String),
    Escalate(String),
    AddFile(String, String),
    /// A tool of one of Codex's own MCP servers, with its arguments as JSON text.
    Mcp {
        server: String,
        tool: String,
        arguments: String,
    },
}

impl Step {
    /// The step one directive asks for; `None` for a line that is no step.
    fn parse(line: &str) -> Option<Step> {
        let line = line.trim();
        if let Some(c) = line.strip_prefix("@escalate ") {
            return Some(Step::Escalate(c.to_string()));
        }
        if let Some(c) = line.strip_prefix("@shell ") {
            return Some(Step::Shell(c.to_string()));
        }
        if let Some(rest) = line.strip_prefix("@add_file ") {
            let (path, text) = rest.split_once(' ').unwrap_or((rest, ""));
            return Some(Step::AddFile(path.to_string(), text.to_string()));
        }
        let rest = line.strip_prefix("@mcp ")?;
        let mut f = rest.splitn(3, ' ');
        let (server, tool) = (f.next().unwrap_or_default(), f.next().unwrap_or_default());
        Some(Step::Mcp {
            server: server.to_string(),
            tool: tool.to_string(),
            arguments: f.next().unwrap_or("{}").to_string(),
        })
    }
}

struct Script {
    /// Each step is one model reply: one tool call, or several at once (`@parallel`).
    steps: Vec<Vec<Step>>,
    say: Option<String>,
    answer: String,
    /// `@answer` (or `@answer_len`) said what to answer.
    answer_given: bool,
    delay_ms: u64,
    fail: bool,
    cut_stream: bool,
    status: Option<(u16, String)>,
    status_json: Option<(u16, String)>,
    response_failed: Option<(String, String)>,
}

impl Script {
    fn parse(prompt: &str) -> Script {
        let mut s = Script {
            steps: Vec::new(),
            say: None,
            answer: "done".into(),
            answer_given: false,
            delay_ms: 0,
            fail: false,
            cut_stream: false,
            status: None,
            status_json: None,
            response_failed: None,
        };
        for line in prompt.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("@parallel ") {
                let calls: Vec<Step> = rest.split(" && ").filter_map(Step::parse).collect();
                if !calls.is_empty() {
                    s.steps.push(calls);
                }
            } else if let Some(step) = Step::parse(line) {
                s.steps.push(vec![step]);
            } else if let Some(t) = line.strip_prefix("@say ") {
                s.say = Some(t.to_string());
            } else if let Some(a) = line.strip_prefix("@answer_len ") {
                s.answer = "a".repeat(a.trim().parse().unwrap_or(0));
                s.answer_given = true;
            } else if let Some(a) = line.strip_prefix("@answer ") {
                s.answer = a.to_string();
                s.answer_given = true;
            } else if let Some(d) = line.strip_prefix("@delay_ms ") {
                s.delay_ms = d.trim().parse().unwrap_or(0);
            } else if line == "@fail" {
                s.fail = true;
            } else if let Some(rest) = line.strip_prefix("@status_json ") {
                let (code, body) = rest.split_once(' ').unwrap_or((rest, "{}"));
                s.status_json = Some((code.parse().unwrap_or(500), body.to_string()));
            } else if let Some(rest) = line.strip_prefix("@response_failed ") {
                let (code, message) = rest.split_once(' ').unwrap_or((rest, "failed"));
                s.response_failed = Some((code.to_string(), message.to_string()));
            } else if let Some(rest) = line.strip_prefix("@status ") {
                let (code, message) = rest.split_once(' ').unwrap_or((rest, "error"));
                s.status = Some((code.parse().unwrap_or(500), message.to_string()));
            } else if line == "@cut_stream" {
                s.cut_stream = true;
            }
        }
        s
    }
}

fn last_user_index(request: &Value) -> Option<usize> {
    let input = request["input"].as_array()?;
    input
        .iter()
        .rposition(|i| i["type"] == "message" && i["role"] == "user")
}

fn last_user_text(request: &Value) -> Option<String> {
    let input = request["input"].as_array()?;
    let item = &input[last_user_index(request)?];
    let text = match &item["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    Some(text)
}

fn tool_outputs_since_last_user(request: &Value) -> usize {
    let Some(input) = request["input"].as_array() else {
        return 0;
    };
    let start = last_user_index(request).map(|i| i + 1).unwrap_or(0);
    input[start..]
        .iter()
        .filter(|i| {
            matches!(
                i["type"].as_str(),
                Some("function_call_output" | "custom_tool_call_output")
            )
        })
        .count()
}

fn lock(requests: &Mutex<Vec<Value>>) -> std::sync::MutexGuard<'_, Vec<Value>> {
    requests.lock().unwrap_or_else(|p| p.into_inner())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = find(body, b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&body[..i]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = i + 2;
        out.extend_from_slice(&body[start..(start + size).min(body.len())]);
        body = &body[(start + size + 2).min(body.len())..];
    }
    out
}
