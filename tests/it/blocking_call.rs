//! A blocking `codex` call as a client sees it: progress notifications while it runs, and the
//! task stopped when the client cancels the call.

use std::time::Duration;

use rmcp::RoleClient;
use rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest};
use rmcp::service::PeerRequestOptions;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_long_blocking_call_sends_progress() {
    let fx = Fixture::new().await;
    let (client, rec) = recording_client(&fx).await;
    let params = CallToolRequestParams::new("codex").with_arguments(args(task(
        "@delay_ms 4500\n@answer slow but sure",
        &fx.work,
        "review-progress-v1",
    )));
    let r = client.call_tool(params).await.unwrap();
    contract::check_result("codex", &r);
    assert_eq!(body(&r)["result"], "slow but sure");
    let seen = rec.notifications();
    assert!(
        !seen.is_empty(),
        "no progress notification during a 4.5 s call"
    );
    let msg = seen[0].message.clone().unwrap_or_default();
    assert!(
        msg.contains("commands done") && msg.contains("files changed"),
        "{msg}"
    );
    assert!(
        seen.windows(2).all(|w| w[1].progress > w[0].progress),
        "progress must increase"
    );
    client.cancel().await.unwrap();
}

/// Starts a blocking `codex` call for `prompt` and returns once its command runs.
async fn call_with_running_command(
    client: &Client<Recorder>,
    fx: &Fixture,
    prompt: &str,
    topic: &str,
) -> rmcp::service::RequestHandle<RoleClient> {
    let params =
        CallToolRequestParams::new("codex").with_arguments(args(task(prompt, &fx.work, topic)));
    let handle = start_call(client, params).await;
    let id = format!("codex-{topic}");
    // The same client asks for status while its blocking call runs.
    let mut waited = 0;
    loop {
        let r = call(client, "codex_status", json!({"task_id": id})).await;
        // The call may not have created the task yet.
        let v = if is_error(&r) {
            json!(error_text(&r))
        } else {
            body(&r)
        };
        if v["progress"]["phase"] == "running_command" {
            return handle;
        }
        waited += 1;
        assert!(waited < 300, "the command never started: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_users_interrupt_stops_the_task_and_says_who_and_why() {
    let fx = Fixture::new().await;
    let (client, _) = recording_client(&fx).await;
    let topic = "review-interrupted-v1";
    let handle =
        call_with_running_command(&client, &fx, "@shell sleep 3072\n@answer never", topic).await;
    assert!(!pids_matching("sleep 3072").is_empty());
    handle
        .cancel(Some("AbortError: user-cancel".into()))
        .await
        .unwrap();
    let v = wait_final(
        &client,
        "codex-review-interrupted-v1",
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(v["status"], "cancelled", "{v}");
    assert_eq!(v["ended_by"], "client_cancel");
    assert_eq!(
        v["error"],
        "cancelled by the client: AbortError: user-cancel"
    );
    assert!(
        pids_matching("sleep 3072").is_empty(),
        "the command survived"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_timing_out_leaves_the_task_running_and_its_result_in_status() {
    let fx = Fixture::new().await;
    let (client, _) = recording_client(&fx).await;
    let topic = "review-timed_out_client-v1";
    let handle =
        call_with_running_command(&client, &fx, "@shell sleep 4\n@answer survived", topic).await;
    // What Claude Code sends when its MCP_TOOL_TIMEOUT fires.
    handle
        .cancel(Some("McpError: MCP error -32001: Request timed out".into()))
        .await
        .unwrap();
    // The server has heard the client give up once the task says so; it runs on.
    let running = wait_until(
        &client,
        "codex-review-timed_out_client-v1",
        Duration::from_secs(10),
        |v| v["warnings"].to_string().contains("stopped waiting"),
    )
    .await;
    assert_eq!(running["status"], "running", "{running}");
    let v = call_body(
        &client,
        "codex_status",
        json!({"task_id": "codex-review-timed_out_client-v1", "wait_seconds": 60}),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "survived");
    assert_eq!(v["ended_by"], "codex");
    assert!(
        v["warnings"].to_string().contains("stopped waiting"),
        "the answer must say the client's call ended early: {v}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_goes_away_mid_call_does_not_stop_the_task() {
    let fx = Fixture::new().await;
    let (client, _) = recording_client(&fx).await;
    let params = CallToolRequestParams::new("codex").with_arguments(args(task(
        "@shell sleep 4\n@answer finished anyway",
        &fx.work,
        "review-abandoned-v1",
    )));
    let handle = start_call(&client, params).await;
    // Walked away from once its command runs.
    let progress = fx
        .task_dir("codex-review-abandoned-v1")
        .join("progress.json");
    eventually("the task's command", Duration::from_secs(30), || {
        std::fs::read_to_string(&progress).is_ok_and(|p| p.contains("running_command"))
    })
    .await;
    // The client closes its connection without cancelling the call (a window closed).
    drop(handle);
    client.cancel().await.unwrap();
    let other = fx.client().await;
    let v = wait_final(&other, "codex-review-abandoned-v1", Duration::from_secs(60)).await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "finished anyway");
    other.cancel().await.unwrap();
}

/// Sends a tools/call without waiting for it, so the test can cancel it or walk away.
async fn start_call(
    client: &Client<Recorder>,
    params: CallToolRequestParams,
) -> rmcp::service::RequestHandle<RoleClient> {
    client
        .send_request_with_option(
            ClientRequest::CallToolRequest(CallToolRequest::new(params)),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap()
}
