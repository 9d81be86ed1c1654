//! Every reply stays within `CODEXMCP_MAX_RESULT_CHARS`, whatever its fields hold: failed tasks
//! with long errors too, one at a time or twenty in a batch. Long fields are cut with a pointer
//! to the log; a field is never said twice.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

/// A task whose model answers every request with HTTP 400 and a long message.
fn failing(fx: &Fixture, n: usize) -> Value {
    let message = format!(
        "rejected {n}: {}",
        "the request was not accepted ".repeat(120)
    );
    task(
        &format!("@status 400 {message}"),
        &fx.work,
        &format!("ask-refused_{n}-v1"),
    )
}

fn reply_chars(r: &rmcp::model::CallToolResult) -> usize {
    serde_json::to_string(r.structured_content.as_ref().unwrap())
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_tasks_with_long_errors_stay_within_the_budget() {
    let mut fx = Fixture::new().await;
    let client = fx.client().await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let d = call_body(&client, "codex_dispatch", failing(&fx, n)).await;
        ids.push(d["task_id"].as_str().unwrap().to_string());
    }
    let r = call(
        &client,
        "codex_status",
        json!({"task_ids": ids, "wait_seconds": 120}),
    )
    .await;
    let batch = body(&r);
    assert_eq!(batch["ended"], 20, "{batch}");
    let size = reply_chars(&r);
    eprintln!("measured: a batch of 20 failed tasks is {size} characters");
    assert!(size <= 40_000, "{size} characters");
    client.cancel().await.unwrap();

    // One failed task under the smallest budget, whole but cut, with its error said once.
    fx.extra_env
        .push(("CODEXMCP_MAX_RESULT_CHARS".into(), "4000".into()));
    let small = fx.client().await;
    let r = call(&small, "codex_status", json!({"task_id": ids[0]})).await;
    let v = body(&r);
    assert!(
        reply_chars(&r) <= 4_000,
        "{} characters: {v}",
        reply_chars(&r)
    );
    assert_eq!(v["status"], "failed");
    let error = v["error"].as_str().unwrap();
    assert!(error.contains("rejected 0"), "{error}");
    assert!(v.to_string().contains("codex-exec.log"), "{v}");
    let detail = v["failure"]["detail"].as_str().unwrap_or_default();
    assert!(
        !detail.contains("rejected 0"),
        "the detail repeats the error: {detail}"
    );
    let _ = Duration::ZERO;
    small.cancel().await.unwrap();
}
