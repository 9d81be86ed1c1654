//! `codex-mcp logs -f` notices when the log it follows is deleted or replaced, and says so,
//! instead of going quiet.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn logs_follow_says_when_the_log_is_replaced_or_deleted() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let id = dispatch_running(
        &client,
        task(
            "@shell sleep 3341\n@answer never",
            &fx.work,
            "review-followed-v1",
        ),
    )
    .await;
    let log = fx.task_dir(&id).join("codex-exec.log");
    let mut follower = tokio::process::Command::from(fx.cli_command(&["logs", "-f", &id]))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = Gathered::from(follower.stdout.take().unwrap());
    let err = Gathered::from(follower.stderr.take().unwrap());
    let soon = Duration::from_secs(20);
    eventually("logs -f printing the log", soon, || !out.text().is_empty()).await;
    // Replaced (a rename over it), then deleted.
    let other = fx.tmp.path().join("other.log");
    std::fs::write(&other, "{\"type\":\"turn.started\"}\n").unwrap();
    std::fs::rename(&other, &log).unwrap();
    eventually("logs -f saying the log was replaced", soon, || {
        err.text().contains("was replaced")
    })
    .await;
    std::fs::remove_file(&log).unwrap();
    eventually("logs -f saying the log was deleted", soon, || {
        err.text().contains("was deleted")
    })
    .await;
    call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    let t0 = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), follower.wait())
        .await
        .expect("logs -f did not end with the task")
        .unwrap();
    assert!(t0.elapsed() < Duration::from_secs(10));
    client.cancel().await.unwrap();
}
