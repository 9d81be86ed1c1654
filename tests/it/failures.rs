//! Failure kinds from the real Codex CLI's own words, one run per kind: the scripted model API
//! answers with an HTTP status, names an unknown model, or Codex is asked to resume a session
//! it does not know.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn each_kind_of_failure_is_named_from_what_codex_said() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let cases: Vec<(&str, Value, &str, bool)> = vec![
        (
            "s500",
            json!({"prompt": "@status 500 We are busy"}),
            "server_error",
            true,
        ),
        (
            "s502",
            json!({"prompt": "@status 502 upstream failed"}),
            "server_error",
            true,
        ),
        (
            "s503",
            json!({"prompt": "@status 503 down for maintenance"}),
            "server_error",
            true,
        ),
        (
            "s429",
            json!({"prompt": "@status 429 Rate limit reached"}),
            "rate_limit",
            true,
        ),
        (
            "s400",
            json!({"prompt": "@status 400 Invalid value for reasoning"}),
            "bad_request",
            false,
        ),
        (
            "model",
            json!({"prompt": "@answer x", "model": "unknown-model-1"}),
            "model_not_found",
            false,
        ),
        (
            "session",
            json!({"prompt": "@answer x", "session_id": "01a21551-5ff7-7601-9123-2d01385aba40"}),
            "session_not_found",
            false,
        ),
    ];
    let mut ids = Vec::new();
    for (name, extra, _, _) in &cases {
        let mut args = task("", &fx.work, &format!("ask-fail_{name}-v1"));
        for (k, v) in extra.as_object().unwrap() {
            args[k] = v.clone();
        }
        let d = call_body(&client, "codex_dispatch", args).await;
        ids.push(d["task_id"].as_str().unwrap().to_string());
    }
    for ((name, _, kind, retryable), id) in cases.iter().zip(&ids) {
        let v = wait_final(&client, id, Duration::from_secs(60)).await;
        assert_eq!(v["status"], "failed", "{name}: {v}");
        assert_eq!(v["failure"]["kind"], *kind, "{name}: {v}");
        assert_eq!(v["failure"]["retryable"], *retryable, "{name}: {v}");
    }
    let session = wait_final(&client, &ids[6], Duration::from_secs(5)).await;
    let hint = session["failure"]["hint"].as_str().unwrap();
    assert!(hint.contains("without `session_id`"), "{hint}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_out_of_reach_ends_the_task_in_bounded_time_with_what_to_do() {
    let mut fx = Fixture::new().await;
    // Codex reconnects for ever to a model that drops every stream.
    let config = fx.codex_home.join("config.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("stream_max_retries = 0", "stream_max_retries = 1000");
    std::fs::write(&config, text).unwrap();
    fx.extra_env
        .push(("CODEXMCP_MODEL_UNREACHABLE_TIMEOUT".into(), "3".into()));
    let client = fx.client().await;
    let t0 = std::time::Instant::now();
    let v = call_body(
        &client,
        "codex",
        task("@cut_stream", &fx.work, "ask-offline-v1"),
    )
    .await;
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t0.elapsed()
    );
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(v["failure"]["kind"], "network", "{v}");
    assert_eq!(v["failure"]["retryable"], true);
    // Stopped by codex-mcp's own watchdog, and said so.
    assert_eq!(v["ended_by"], "unreachable", "{v}");
    let hint = v["failure"]["hint"].as_str().unwrap();
    assert!(
        hint.contains("codex login") && hint.contains("proxy"),
        "{hint}"
    );
    let error = v["error"].as_str().unwrap();
    assert!(
        error.contains("could not reach its model for 3 s"),
        "{error}"
    );
    assert!(error.contains("Reconnecting"), "{error}");
    client.cancel().await.unwrap();
}
