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
            && first.contains("in the background"),
        "{first}"
    );
    // With it, the words codex-mcp gave the handle for the model: which task, and how to get
    // its result if no notification comes.
    assert!(
        first.contains("codex_status with task_id `codex-review-pushed-v1`")
            && first.contains("task notification"),
        "the model did not get the handle's words: {first}"
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

#[tokio::test(flavor = "multi_thread")]
async fn interactive_claude_code_shows_codexs_question_and_the_persons_accept_reaches_codex() {
    let mut fx = Fixture::new().await;
    let claude = fx.use_claude();
    let file = fx.work.join("approved.txt");
    let asking = json!({
        "prompt": format!("@escalate touch {}\n@answer written after the approval", file.display()),
        "cwd": fx.work, "topic": "fix-approved-v1", "sandbox": "read-only",
        "approval_policy": "on-request",
    });
    let api = ScriptedClaude::with_steps(vec![
        Step::Call("mcp__codex__codex".into(), asking),
        Step::Say("Codex is on it.".into()),
        Step::Say("Codex finished.".into()),
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
        cc.type_line("Ask Codex to create the file.");
        // Claude Code shows the person what Codex asks, with Accept / Decline.
        let shown = cc.wait_for_screen(Duration::from_secs(90), |s| {
            s.contains("requests your input") || s.contains("Codex asks to run")
        });
        assert!(shown.contains("touch"), "{shown}");
        // As a person does: once the dialog has settled, Enter on Accept (selected first); a
        // key pressed while it still draws can be lost, so a dialog still up is answered again.
        std::thread::sleep(Duration::from_millis(700));
        cc.press("Enter");
        let start = Instant::now();
        let mut pressed_at = Instant::now();
        while read_meta_status(fx_ref, "codex-fix-approved-v1") != Some("completed".into()) {
            if pressed_at.elapsed() > Duration::from_secs(3)
                && read_meta_status(fx_ref, "codex-fix-approved-v1")
                    == Some("input_required".into())
                && cc.screen().contains("requests your input")
            {
                cc.press("Enter");
                pressed_at = Instant::now();
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the task did not complete after Accept:\n{}\n{}",
                cc.screen(),
                read_meta(fx_ref, "codex-fix-approved-v1")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        // The result reaches the model.
        let start = Instant::now();
        while !api_ref.requests().iter().any(|r| {
            conversation_text(&r.body).contains("<task-notification>")
                && conversation_text(&r.body).contains("written after the approval")
        }) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the result never reached the model:\n{}",
                cc.screen()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    assert!(file.exists(), "the accepted command did not run");
    let v = read_meta(&fx, "codex-fix-approved-v1");
    assert_eq!(v["approvals"][0]["decision"], "accept", "{v}");
    assert_eq!(v["approvals"][0]["by"], "tasks_update", "{v}");
}

/// The question Claude Code shows in its input dialog: its number and the file its command
/// touches.
fn shown_question(screen: &str) -> Option<(u64, String)> {
    let line = screen
        .lines()
        .find(|l| l.trim_start().starts_with("Question "))?;
    let number = line.trim_start()["Question ".len()..]
        .split(':')
        .next()?
        .parse()
        .ok()?;
    let file = ["a.txt", "b.txt"].into_iter().find(|f| line.contains(f))?;
    Some((number, file.to_string()))
}

#[tokio::test(flavor = "multi_thread")]
async fn interactive_claude_code_answers_two_questions_each_on_the_one_it_showed() {
    let mut fx = Fixture::new().await;
    let claude = fx.use_claude();
    let (a, b) = (fx.work.join("a.txt"), fx.work.join("b.txt"));
    let asking = json!({
        "prompt": format!("@parallel @escalate touch {} && @escalate touch {}\n@answer both answered",
                          a.display(), b.display()),
        "cwd": fx.work, "topic": "fix-two-v1", "sandbox": "read-only",
        "approval_policy": "on-request",
    });
    let api = ScriptedClaude::with_steps(vec![
        Step::Call("mcp__codex__codex".into(), asking),
        Step::Say("Codex is on it.".into()),
        Step::Say("Codex finished.".into()),
    ])
    .await;
    let (fx_ref, api_ref) = (&fx, &api);
    let (accepted, declined) = tokio::task::block_in_place(|| {
        let cc = InteractiveClaude::start(
            fx_ref,
            &claude,
            api_ref,
            &[("CODEXMCP_TASK_INLINE_MS", "1000")],
        );
        cc.type_line("Ask Codex to create the files.");
        // Both questions are open at once; Claude Code shows one, then the other.
        let first = cc.wait_for_screen(Duration::from_secs(90), |s| shown_question(s).is_some());
        let accepted = shown_question(&first).unwrap();
        std::thread::sleep(Duration::from_millis(700));
        cc.press("Enter");
        let second = cc.wait_for_screen(Duration::from_secs(30), |s| {
            shown_question(s).is_some_and(|q| q != accepted)
        });
        let declined = shown_question(&second).unwrap();
        std::thread::sleep(Duration::from_millis(700));
        cc.press("Down");
        std::thread::sleep(Duration::from_millis(300));
        cc.press("Enter");
        let start = Instant::now();
        while read_meta_status(fx_ref, "codex-fix-two-v1") != Some("completed".into()) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the task did not complete:\n{}\n{}",
                cc.screen(),
                read_meta(fx_ref, "codex-fix-two-v1")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        (accepted, declined)
    });
    // Each answer landed on the question the person saw when giving it.
    let v = read_meta(&fx, "codex-fix-two-v1");
    let answer = |n: u64| {
        v["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["request_id"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("no answer to question {n}: {v}"))
    };
    assert_eq!(answer(accepted.0)["decision"], "accept", "{v}");
    assert_eq!(answer(declined.0)["decision"], "decline", "{v}");
    assert!(
        answer(accepted.0)["command"]
            .as_str()
            .unwrap()
            .contains(&accepted.1)
    );
    assert!(
        fx.work.join(&accepted.1).exists(),
        "the accepted command did not run"
    );
    assert!(
        !fx.work.join(&declined.1).exists(),
        "the declined command ran"
    );
}
