//! Delegation through the real Codex: Codex configured with codex-mcp as one of its own MCP
//! servers (`[mcp_servers.<name>]`), and a scripted model that calls the `codex` tools through
//! it. Codex starts its MCP servers with a scrubbed environment (HOME, LANG, PATH), so the
//! nested server must learn its depth, its store and its capacity from the task it runs
//! beneath, not from variables.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

/// Adds this build as MCP server `codexmcp` of the fixture's Codex, started the way Codex
/// starts it: no environment of ours, but `codex` found on PATH.
fn codex_runs_codex_mcp(fx: &mut Fixture) {
    let path = fx.codex_home.join("config.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.push_str(&format!(
        "\n[mcp_servers.codexmcp]\ncommand = \"{}\"\ndefault_tools_approval_mode = \"approve\"\nstartup_timeout_sec = 20\ntool_timeout_sec = 120\n",
        env!("CARGO_BIN_EXE_codex-mcp")
    ));
    std::fs::write(&path, config).unwrap();
    let codex_dir = codex_bin().parent().unwrap().display().to_string();
    let path_var = format!("{codex_dir}:{}", std::env::var("PATH").unwrap_or_default());
    fx.extra_env.push(("PATH".into(), path_var));
    // Found on PATH, as a person's Codex finds it: nothing names it for the nested server.
    fx.extra_env.push((CODEX_BIN_VAR.into(), String::new()));
}

/// The prompt of an outer task whose model calls `tool` of the nested server with `args`.
fn calling(tool: &str, args: Value) -> String {
    format!("@mcp codexmcp {tool} {args}\n@answer outer done")
}

/// The `mcp_tool_call` item of a task's log: its result text and whether it is an error.
fn mcp_call(fx: &Fixture, id: &str) -> (String, bool) {
    let log = std::fs::read_to_string(fx.task_dir(id).join("codex-exec.log")).unwrap();
    let item: Value = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "item.completed" && e["item"]["type"] == "mcp_tool_call")
        .map(|e| e["item"].clone())
        .next()
        .unwrap_or_else(|| panic!("no MCP call in the log of {id}:\n{log}"));
    let text = item["result"]["content"][0]["text"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| item.to_string());
    let is_error = item["status"] == "failed";
    (text, is_error)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_codex_starts_inside_a_task_refuses_at_the_depth_limit() {
    let mut fx = Fixture::new().await;
    codex_runs_codex_mcp(&mut fx);
    let client = fx.client().await;
    let nested = json!({"prompt": "@answer nested", "cwd": fx.work, "topic": "ask-nested-v1",
                        "sandbox": "read-only"});
    let v = call_body(
        &client,
        "codex",
        task(&calling("codex", nested), &fx.work, "ask-outer-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    let (text, is_error) = mcp_call(&fx, "codex-ask-outer-v1");
    assert!(is_error, "the nested call was not refused: {text}");
    assert!(
        text.contains("CODEXMCP_MAX_DEPTH") && text.contains("depth 1"),
        "{text}"
    );
    // Nothing was started, in this store or in the one HOME would give.
    assert!(!fx.task_dir("codex-ask-nested-v1").exists());
    assert!(!fx.home.join(".codexmcp/tasks/codex-ask-nested-v1").exists());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nested_task_shares_the_store_and_the_capacity_of_its_parent() {
    let mut fx = Fixture::new().await;
    codex_runs_codex_mcp(&mut fx);
    fx.extra_env.push(("CODEXMCP_MAX_DEPTH".into(), "2".into()));
    fx.extra_env
        .push(("CODEXMCP_MAX_PARALLEL".into(), "1".into()));
    let client = fx.client().await;
    let nested = json!({"prompt": "@answer from the nested task", "cwd": fx.work,
                        "topic": "ask-nested-v1", "sandbox": "read-only"});
    let v = call_body(
        &client,
        "codex",
        task(&calling("codex_dispatch", nested), &fx.work, "ask-outer-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    let (text, is_error) = mcp_call(&fx, "codex-ask-outer-v1");
    assert!(!is_error, "{text}");
    let dispatched: Value = serde_json::from_str(&text).unwrap();
    // The only place (CODEXMCP_MAX_PARALLEL=1) was the outer task's: the nested one waited.
    assert_eq!(dispatched["status"], "queued", "{dispatched}");
    // It is in the parent's store, and runs once the parent has ended.
    let done = wait_until(
        &client,
        "codex-ask-nested-v1",
        Duration::from_secs(60),
        |v| !matches!(v["status"].as_str(), Some("queued" | "running")),
    )
    .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"], "from the nested task");
    assert!(
        !fx.home.join(".codexmcp").exists(),
        "a second store was made"
    );
    assert_eq!(read_meta(&fx, "codex-ask-nested-v1")["lineage"]["depth"], 2);
    client.cancel().await.unwrap();
}
