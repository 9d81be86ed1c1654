//! A blocking `codex` call as a client sees it: progress notifications while it runs, and the
//! task stopped when the client cancels the call.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, ClientRequest, ProgressNotificationParam,
};
use rmcp::service::{NotificationContext, PeerRequestOptions};
use rmcp::{ClientHandler, RoleClient};
use serde_json::json;

use crate::support::*;

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<ProgressNotificationParam>>>);

impl ClientHandler for Recorder {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _ctx: NotificationContext<RoleClient>,
    ) {
        self.0.lock().unwrap().push(params);
    }
}

async fn recording_client(fx: &Fixture) -> (Client<Recorder>, Recorder) {
    let rec = Recorder::default();
    (fx.client_with(rec.clone()).await, rec)
}

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
    let seen = rec.0.lock().unwrap().clone();
    assert!(
        !seen.is_empty(),
        "no progress notification during a 4.5 s call"
    );
    let msg = seen[0].message.clone().unwrap_or_default();
    assert!(
        msg.contains("commands") && msg.contains("files changed"),
        "{msg}"
    );
    assert!(
        seen.windows(2).all(|w| w[1].progress > w[0].progress),
        "progress must increase"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_the_call_stops_the_task() {
    let fx = Fixture::new().await;
    let (client, _) = recording_client(&fx).await;
    let params = CallToolRequestParams::new("codex").with_arguments(args(task(
        "@shell sleep 3072\n@answer never",
        &fx.work,
        "review-interrupted-v1",
    )));
    let handle = start_call(&client, params).await;
    let id = "codex-review-interrupted-v1";
    // The same client asks for status while its blocking call runs.
    let mut waited = 0;
    loop {
        let r = call(&client, "codex_status", json!({"task_id": id})).await;
        // The call may not have created the task yet.
        let v = if is_error(&r) {
            json!(error_text(&r))
        } else {
            body(&r)
        };
        if v["progress"]["phase"] == "running_command" {
            break;
        }
        waited += 1;
        assert!(waited < 300, "the command never started: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!pids_matching("sleep 3072").is_empty());
    handle
        .cancel(Some("user pressed Esc".into()))
        .await
        .unwrap();
    let mut waited = 0;
    loop {
        let v = body(&call(&client, "codex_status", json!({"task_id": id})).await);
        if v["status"] == "cancelled" {
            break;
        }
        waited += 1;
        assert!(waited < 150, "the task was not cancelled: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        pids_matching("sleep 3072").is_empty(),
        "the command survived"
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
    tokio::time::sleep(Duration::from_secs(2)).await;
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
