//! Blocking read-only tasks against the real Codex CLI and the scripted model.

/// How the OS sandbox refuses a write: bubblewrap's read-only mounts on Linux, Seatbelt on macOS.
#[cfg(target_os = "linux")]
const WRITE_REFUSED: &str = "Read-only file system";
#[cfg(not(target_os = "linux"))]
const WRITE_REFUSED: &str = "Operation not permitted";

use std::time::Duration;

use crate::support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn server_introduces_itself_and_its_tools() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let info = client.peer_info().expect("server info");
    let server = info.server_info.clone().expect("server_info");
    assert_eq!(server.name, "codex-mcp");
    assert_eq!(server.version, env!("CARGO_PKG_VERSION"));
    let instructions = info.instructions.clone().unwrap_or_default();
    for word in [
        "codex_dispatch",
        "codex_status",
        "session_id",
        "review-auth_module-v1",
    ] {
        assert!(instructions.contains(word), "instructions lack {word}");
    }
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<_> = tools.iter().map(|t| t.name.to_string()).collect();
    assert_eq!(
        names,
        [
            "codex",
            "codex_dispatch",
            "codex_status",
            "codex_reply",
            "codex_cancel",
            "codex_review",
            "codex_land"
        ]
    );
    let codex = &tools[0];
    assert!(codex.output_schema.is_some());
    // Clients show a tool's own title; it is set, not only inside the annotations.
    for t in &tools {
        assert!(
            t.title.as_deref().is_some_and(|x| !x.is_empty()),
            "{} has no title",
            t.name
        );
        assert!(t.output_schema.is_some(), "{} has no output schema", t.name);
    }
    let schema = serde_json::Value::Object(codex.input_schema.as_ref().clone());
    assert_eq!(
        schema["properties"]["topic"]["pattern"],
        "^[a-z]+-[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*-v[0-9]{1,6}$"
    );
    assert_eq!(schema["additionalProperties"], false);
    for p in ["prompt", "cwd", "topic", "sandbox", "session_id"] {
        let d = schema["properties"][p]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(d.len() > 30, "{p} lacks a description");
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn codex_returns_the_answer_usage_and_session() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let prompt = "Explain the module.\n@answer The answer is 42.";
    let r = call(
        &client,
        "codex",
        task(prompt, &fx.work, "explain-answer-v1"),
    )
    .await;
    let v = body(&r);
    assert!(!is_error(&r), "{v}");
    assert_eq!(v["success"], true);
    assert_eq!(v["status"], "completed");
    assert_eq!(v["task_id"], "codex-explain-answer-v1");
    assert_eq!(v["result"], "The answer is 42.");
    assert_eq!(v["exit_code"], 0);
    let sid = v["session_id"].as_str().unwrap();
    assert_eq!(sid.len(), 36, "{sid}");
    assert_eq!(
        v["usage"],
        json!({"input_tokens": model::USAGE_INPUT, "cached_input_tokens": model::USAGE_CACHED,
               "output_tokens": model::USAGE_OUTPUT, "reasoning_output_tokens": model::USAGE_REASONING})
    );
    assert!(v["elapsed_seconds"].as_f64().unwrap() > 0.0);
    assert!(v.get("error").is_none());
    let log = std::path::PathBuf::from(v["log_file"].as_str().unwrap());
    assert_eq!(
        log,
        fx.task_dir("codex-explain-answer-v1")
            .join("codex-exec.log")
    );
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("turn.completed")
    );
    // The prompt reached the model intact, through stdin.
    assert!(
        fx.model.prompts().iter().any(|p| p == prompt),
        "{:?}",
        fx.model.prompts()
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_cannot_write_even_after_resume() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let first = fx.work.join("blocked.txt");
    let prompt = format!(
        "@shell touch {} && echo wrote\n@answer tried",
        first.display()
    );
    let v = call_body(
        &client,
        "codex",
        task(&prompt, &fx.work, "review-write_attempt-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert!(!first.exists(), "read-only task wrote a file");
    // Codex logs no command event for a failed command; the refusal is what the model was told.
    assert!(
        fx.model
            .tool_outputs()
            .iter()
            .any(|o| o.contains(WRITE_REFUSED))
    );
    let sid = v["session_id"].as_str().unwrap().to_string();

    let second = fx.work.join("blocked-after-resume.txt");
    let prompt2 = format!("@shell touch {}\n@answer tried again", second.display());
    let mut a = task(&prompt2, &fx.work, "review-write_attempt-v2");
    a["session_id"] = json!(sid);
    let r = call(&client, "codex", a).await;
    let v2 = body(&r);
    assert_eq!(v2["status"], "completed", "{v2}");
    assert_eq!(
        v2["session_id"], sid,
        "resume must continue the same session"
    );
    assert_eq!(v2["result"], "tried again");
    assert!(!second.exists(), "a resumed read-only session wrote a file");
    let refusals = fx
        .model
        .tool_outputs()
        .iter()
        .filter(|o| o.contains(WRITE_REFUSED))
        .count();
    assert!(
        refusals >= 2,
        "the resumed write was not refused by the sandbox"
    );
    // `usage` is the turn's own; the session's running total includes the first turn.
    assert_eq!(v2["usage"], v["usage"]);
    assert!(
        v2["session_usage"]["input_tokens"].as_u64().unwrap()
            > v["usage"]["input_tokens"].as_u64().unwrap()
    );
    // The resume was told read-only explicitly (app-server: `thread/resume` with its sandbox).
    let (sandbox, resumed) = codex_sandbox_of(&fx, "codex-review-write_attempt-v2");
    assert_eq!((sandbox.as_str(), resumed), ("read-only", true));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn model_failure_is_a_tool_error_with_the_message() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let r = call(
        &client,
        "codex",
        task("@fail", &fx.work, "review-failing-v1"),
    )
    .await;
    assert!(is_error(&r));
    let v = body(&r);
    assert_eq!(v["success"], false);
    assert_eq!(v["status"], "failed");
    // app-server's failed turn reads as `codex exec` reports it.
    assert_eq!(v["exit_code"], 1);
    let err = v["error"].as_str().unwrap();
    assert!(err.contains("failed turn"), "{err}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn large_outputs_leave_results_small() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let prompt = "@shell head -c 3000000 /dev/zero | tr '\\0' x\n@answer_len 50000";
    let r = call(
        &client,
        "codex",
        task(prompt, &fx.work, "review-big_output-v1"),
    )
    .await;
    let v = body(&r);
    assert_eq!(v["status"], "completed", "{v}");
    let log_len = std::fs::metadata(v["log_file"].as_str().unwrap())
        .unwrap()
        .len();
    // Codex itself caps a command's aggregated output at about 1 MB.
    assert!(
        log_len > 1_000_000,
        "the command output should be in the log ({log_len} bytes)"
    );
    let result = v["result"].as_str().unwrap();
    assert!(
        result.chars().count() < 41_000,
        "result has {} chars",
        result.chars().count()
    );
    // The cut says how to read on, and the fields say where.
    assert!(result.contains("result_offset"), "{result}");
    assert_eq!(v["result_total_chars"], 50_000);
    assert!(v["next_offset"].as_u64().unwrap() > 30_000);
    let whole = serde_json::to_string(&v).unwrap();
    assert!(whole.len() < 60_000, "response is {} bytes", whole.len());
    let _ = Duration::ZERO;
    client.cancel().await.unwrap();
}
