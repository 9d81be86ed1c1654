//! The current Claude Code, interactive in a terminal as a person runs it, follows a long
//! `codex` call as an MCP task: it moves the call to the background at once, polls it, and
//! pushes Codex's answer to its model when the task ends; its TaskStop cancels the task.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::anthropic::{ScriptedClaude, Step, conversation_text, tool_result_text};
use crate::support::interactive::InteractiveClaude;
use crate::support::*;

/// The id Claude Code gave the model for the backgrounded call whose result is the last one:
/// "To stop it, use TaskStop with task_id \"<id>\"".
fn background_id(body: &Value) -> Value {
    let text = body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"].as_array())
        .flatten()
        .filter(|b| b["type"] == "tool_result")
        .map(tool_result_text)
        .rfind(|t| t.contains("TaskStop with task_id"))
        .unwrap_or_default();
    let id = text
        .split("TaskStop with task_id \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    json!({"task_id": id})
}

/// Milliseconds since the epoch of an RFC 3339 UTC time as the store writes it
/// (`2026-11-26T00:16:11.936Z`).
fn epoch_ms(t: &str) -> u64 {
    let n = |r: std::ops::Range<usize>| t[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19);
    let ms = t.get(20..23).map_or(0, |f| f.parse::<i64>().unwrap_or(0));
    (secs * 1000 + ms) as u64
}

#[test]
fn epoch_ms_reads_the_stores_times() {
    assert_eq!(epoch_ms("1970-01-01T00:00:01.500Z"), 1_500);
    assert_eq!(epoch_ms("2026-11-26T00:16:11.936Z"), 1_795_652_171_936);
}

#[tokio::test(flavor = "multi_thread")]
async fn interactive_claude_code_gets_codexs_answer_pushed_and_stops_a_task() {
    let mut fx = Fixture::new().await;
    let claude = fx.use_claude();
    let pushed = json!({"prompt": "@shell sleep 6\n@answer the answer from codex A",
                        "cwd": fx.work, "topic": "review-pushed-v1", "sandbox": "read-only"});
    let stopped = json!({"prompt": "@shell sleep 3271\n@answer never",
                         "cwd": fx.work, "topic": "review-stopped-v1", "sandbox": "read-only"});
    let api = ScriptedClaude::with_steps(vec![
        Step::Call("mcp__codex__codex".into(), pushed),
        Step::Say("Codex is on it; I will read its answer when it arrives.".into()),
        Step::Call("mcp__codex__codex".into(), stopped),
        Step::CallWith("TaskStop".into(), std::sync::Arc::new(background_id)),
        Step::Say("Stopped the second one.".into()),
    ])
    .await;

    let (fx_ref, api_ref) = (&fx, &api);
    tokio::task::block_in_place(|| {
        let cc = InteractiveClaude::start(
            fx_ref,
            &claude,
            api_ref,
            &[("CODEXMCP_TASK_INLINE_MS", "1000")],
        );
        cc.type_line("Ask Codex for its review, please.");
        // The person sees the background task while it runs.
        cc.wait_for_screen(Duration::from_secs(60), |s| s.contains("Codex is on it"));
        let start = Instant::now();
        while read_meta_status(fx_ref, "codex-review-stopped-v1") != Some("cancelled".into()) {
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "the second task was never cancelled:\n{}",
                cc.screen()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    });

    // The codex call was answered as a task and moved to the background at once.
    let results = api.tool_results();
    let first = tool_result_text(&results[0]);
    assert!(
        first.contains("started server-side task codex-review-pushed-v1")
            && first.contains("moved to the background"),
        "{first}"
    );

    // The first request to the model after the task ended carries Codex's answer, in time.
    let ended = epoch_ms(
        read_meta(&fx, "codex-review-pushed-v1")["ended_at"]
            .as_str()
            .unwrap(),
    );
    let next = api
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1/messages") && !r.path.contains("count_tokens"))
        .find(|r| r.at_ms >= ended)
        .expect("a request after the task ended");
    let text = conversation_text(&next.body);
    assert!(
        text.contains("<task-notification>") && text.contains("the answer from codex A"),
        "the next request lacks the notification: {}",
        &text[text.len().saturating_sub(2000)..]
    );
    let lag = next.at_ms - ended;
    eprintln!("measured: task end to the model's next request {lag} ms");
    assert!(
        lag <= 3_000,
        "the result reached the model {lag} ms after the end"
    );

    // The second task, stopped from the client (TaskStop → tasks/cancel), left nothing behind.
    let v = read_meta(&fx, "codex-review-stopped-v1");
    assert_eq!(v["status"], "cancelled");
    let client = fx.client().await;
    let status = call_body(
        &client,
        "codex_status",
        json!({"task_id": "codex-review-stopped-v1"}),
    )
    .await;
    assert_eq!(status["ended_by"], "task_cancel", "{status}");
    // The record may say `cancelled` a moment before the cancel has verified the tree gone.
    let supervisor = v["supervisor_pid"].as_i64().unwrap() as i32;
    let start = Instant::now();
    while !pids_matching("sleep 3271").is_empty() || pid_alive(supervisor) {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "a process of the stopped task survived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.cancel().await.unwrap();
}

fn read_meta_status(fx: &Fixture, id: &str) -> Option<String> {
    let bytes = std::fs::read(fx.task_dir(id).join("meta.json")).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v["status"].as_str().map(str::to_string)
}
