//! The real Claude Code (pinned, from npm) as the client: registered with `codex-mcp install
//! claude`, its model played by a scripted Anthropic Messages API, calling the tools and
//! passing what they return to its model. What Claude Code does with our results is what these
//! tests pin down: it sends the model `JSON.stringify(structuredContent)` (the text block is
//! dropped), an error as the error's text with `is_error`, and replaces any result over about
//! 50,000 characters with a 2 KB preview and a file path.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::anthropic::{ECHO_PREFIX, ScriptedClaude, tool_result_text};
use crate::support::*;

/// Registers the built binary with Claude Code in the fixture's HOME, the way a person does.
async fn register(fx: &mut Fixture) -> PathBuf {
    let claude = fx.use_claude();
    let (code, out, err) = fx.cli(&["install", "claude"]).await;
    assert_eq!(code, 0, "{out}{err}");
    claude
}

/// `claude -p` against the scripted API, allowed to use the codex tools: exit status, stdout
/// (the model's last answer), stderr. The server Claude Code starts inherits the fixture's
/// environment (its store, its Codex).
async fn claude_print(fx: &Fixture, claude: &Path, api: &ScriptedClaude) -> (i32, String, String) {
    let out = tokio::process::Command::new(claude)
        .args(["-p", "Ask Codex.", "--allowedTools", "mcp__codex"])
        .envs(fx.env())
        .env_remove("CLAUDE_CONFIG_DIR")
        .env("ANTHROPIC_BASE_URL", api.base_url())
        .env("ANTHROPIC_API_KEY", "sk-ant-scripted")
        // `claude -p` connects MCP servers in the background and may ask the model before ours
        // answers; a script that needs the tools in its first turn waits for them, as here.
        .env("MCP_CONNECTION_NONBLOCKING", "0")
        .current_dir(&fx.work)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn task(fx: &Fixture, prompt: &str, topic: &str) -> Value {
    json!({"prompt": prompt, "cwd": fx.work, "topic": topic, "sandbox": "read-only"})
}

/// A tool result as the model received it: Claude Code's text, parsed as JSON.
fn received(block: &Value) -> Value {
    let text = tool_result_text(block);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not the JSON of a result ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_code_calls_codex_and_its_model_gets_the_answer() {
    let mut fx = Fixture::new().await;
    // `claude -p` does not declare the MCP tasks extension: even a server told to answer every
    // codex call with a task answers this one plainly.
    fx.extra_env
        .push(("CODEXMCP_TASK_INLINE_MS".into(), "0".into()));
    let claude = register(&mut fx).await;
    let api = ScriptedClaude::start(&[(
        "mcp__codex__codex",
        task(
            &fx,
            "Say the magic word.\n@answer The magic word is xyzzy",
            "ask-magic_word-v1",
        ),
    )])
    .await;

    let (code, out, err) = claude_print(&fx, &claude, &api).await;
    assert_eq!(code, 0, "{out}\n{err}");

    // Claude Code offered its model our tools, under the names a person's allow-list uses.
    let offered = api.offered_tools();
    for tool in ["codex", "codex_dispatch", "codex_status", "codex_cancel"] {
        assert!(
            offered.contains(&format!("mcp__codex__{tool}")),
            "{offered:?}"
        );
    }
    // The scripted Codex model's answer came back through the server and Claude Code to
    // Claude's model, and from it to the person.
    let results = api.tool_results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_ne!(results[0]["is_error"], true);
    let body = received(&results[0]);
    assert_eq!(body["status"], "completed");
    assert_eq!(body["result"], "The magic word is xyzzy");
    assert_eq!(body["task_id"], "codex-ask-magic_word-v1");
    assert!(out.starts_with(ECHO_PREFIX), "{out}");
    assert!(out.contains("The magic word is xyzzy"), "{out}");
    // And the task is in the store like any other.
    assert_eq!(
        read_meta(&fx, "codex-ask-magic_word-v1")["status"],
        "completed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_code_passes_on_errors_and_pages_through_a_long_answer() {
    let mut fx = Fixture::new().await;
    let claude = register(&mut fx).await;
    let api = ScriptedClaude::start(&[
        ("mcp__codex__codex", task(&fx, "x", "not a topic")),
        (
            "mcp__codex__codex",
            task(&fx, "Write a lot.\n@answer_len 100000", "write-long-v1"),
        ),
        (
            "mcp__codex__codex_status",
            json!({"task_id": "codex-write-long-v1", "result_offset": 40000}),
        ),
    ])
    .await;

    let (code, out, err) = claude_print(&fx, &claude, &api).await;
    assert_eq!(code, 0, "{out}\n{err}");
    let results = api.tool_results();
    assert_eq!(results.len(), 3, "{results:#?}");

    // A bad argument reaches the model as an error naming the parameter and what is accepted.
    assert_eq!(results[0]["is_error"], true);
    let said = tool_result_text(&results[0]);
    assert!(
        said.contains("`topic`") && said.contains("Accepted"),
        "{said}"
    );

    // A 100,000-character answer: the default budget keeps the result under Claude Code's
    // limit, so the model gets it whole, not a 2 KB preview, with the way to the rest.
    let text = tool_result_text(&results[1]);
    assert!(!text.contains("persisted-output"), "{}", &text[..300]);
    // The answer comes last: a preview of the start would still show every other field.
    let (at_result, at_next) = (text.find("\"result\":"), text.find("\"next_offset\":"));
    assert!(at_next.is_some() && at_result > at_next, "{}", &text[..600]);
    let first = received(&results[1]);
    assert_eq!(first["result_total_chars"], 100_000);
    let next = first["next_offset"].as_u64().unwrap();
    assert!(
        (30_000..=40_000).contains(&next),
        "the default budget: {next}"
    );

    // The model pages on with codex_status from where it chose (the script asks for 40,000).
    let second = received(&results[2]);
    assert_eq!(second["result_total_chars"], 100_000);
    assert!(
        second["next_offset"].as_u64().unwrap() > 70_000,
        "{}",
        second["next_offset"]
    );
    assert!(second["result"].as_str().unwrap().starts_with("aaaa"));
}
