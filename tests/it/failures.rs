//! Failure kinds from the real Codex CLI's own words, one run per kind: the scripted model API
//! answers with an HTTP status, names an unknown model, or Codex is asked to resume a session
//! it does not know.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

/// Which engine this run of the suite drives Codex with (scripts/test.sh runs the failure tests
/// on both).
fn on_app_server() -> bool {
    std::env::var("CODEXMCP_TEST_ENGINE").map_or(true, |e| e == "app-server")
}

/// A folder holding a `bwrap` (the one Codex bundles), to put first on PATH: Codex then finds a
/// bubblewrap of the system's and says nothing about it.
fn bubblewrap_on_path(fx: &Fixture) -> String {
    let bundled = std::fs::canonicalize(codex_bin())
        .unwrap()
        .ancestors()
        .find_map(|d| {
            let p = d.join("node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/codex-resources/bwrap");
            p.exists().then_some(p)
        });
    let dir = fx.tmp.path().join("with-bwrap");
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(bwrap) = bundled {
        std::os::unix::fs::symlink(bwrap, dir.join("bwrap")).unwrap();
    }
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Whether a `bwrap` is on this process's PATH.
fn bwrap_on(path: &str) -> bool {
    std::env::split_paths(path).any(|d| d.join("bwrap").exists())
}

#[tokio::test(flavor = "multi_thread")]
async fn each_kind_of_failure_is_named_from_what_codex_did() {
    let app_server = on_app_server();
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
            "s404",
            json!({"prompt": "@status 404 Not found here"}),
            "bad_request",
            false,
        ),
        (
            "s401",
            json!({"prompt": "@status 401 Incorrect API key provided"}),
            "authentication",
            false,
        ),
        (
            "usage",
            json!({"prompt": "@status_json 429 {\"error\":{\"type\":\"usage_limit_reached\",\"plan_type\":\"plus\",\"resets_at\":1999999999}}"}),
            "usage_limit",
            false,
        ),
        (
            "quota",
            json!({"prompt": "@response_failed insufficient_quota You exceeded your current quota"}),
            "usage_limit",
            false,
        ),
        (
            "context",
            json!({"prompt": "@response_failed context_length_exceeded Your input exceeds the context window"}),
            "context_window",
            false,
        ),
        (
            "policy",
            json!({"prompt": "@response_failed cyber_policy This request was blocked"}),
            // exec's events carry no typed kind, and Codex's words name none.
            if app_server { "policy" } else { "unknown" },
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
    // Once with Codex finding no bubblewrap on PATH (it then warns at every start), once with.
    for with_bwrap in [false, true] {
        let mut fx = Fixture::new().await;
        let path = if with_bwrap {
            bubblewrap_on_path(&fx)
        } else {
            std::env::var("PATH").unwrap_or_default()
        };
        let warned = !bwrap_on(&path) && app_server;
        fx.extra_env.push(("PATH".into(), path));
        let client = fx.client().await;
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
            assert_eq!(
                v["failure"]["kind"], *kind,
                "{name} (bwrap {with_bwrap}): {v}"
            );
            assert_eq!(v["failure"]["retryable"], *retryable, "{name}: {v}");
            let hint = v["failure"]["hint"].as_str().unwrap();
            assert!(!hint.contains("READONLY_FALLBACK"), "{name}: {hint}");
            let detail = v["failure"]["detail"].as_str().unwrap_or_default();
            assert!(!detail.contains("bubblewrap"), "{name}: {detail}");
            let warnings = v["warnings"].to_string();
            assert_eq!(
                warnings.matches("Codex could not find bubblewrap").count(),
                usize::from(warned),
                "{name} (bwrap {with_bwrap}): {warnings}"
            );
        }
        let session = wait_final(&client, &ids[12], Duration::from_secs(5)).await;
        let hint = session["failure"]["hint"].as_str().unwrap();
        assert!(hint.contains("without `session_id`"), "{hint}");
        client.cancel().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_codex_killed_mid_turn_crashed_and_is_retried() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let mut args = task(
        "@shell sleep 3311\n@answer never",
        &fx.work,
        "ask-killed-v1",
    );
    args["retries"] = json!(1);
    let id = dispatch_running(&client, args).await;
    let codex = read_meta(&fx, &id)["codex_pid"].as_i64().unwrap() as i32;
    // Codex and its children (the native binary under the npm shim), as an OOM killer or a
    // person's kill -9 would; its supervisor lives on.
    let _ = std::process::Command::new("pkill")
        .args(["-KILL", "-P", &codex.to_string()])
        .status();
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(codex),
        nix::sys::signal::Signal::SIGKILL,
    );
    // The retry resumes the session; its own run is killed too, by the same hand.
    let v = wait_until(&client, &id, Duration::from_secs(60), |v| {
        v["attempts"].as_array().is_some_and(|a| !a.is_empty()) || v["status"] == "failed"
    })
    .await;
    assert_eq!(v["attempts"][0]["failure"], "process_crash", "{v}");
    call(&client, "codex_cancel", json!({"task_id": id})).await;
    assert!(pids_matching("sleep 3311").is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn no_login_and_no_codex_home_are_named_for_what_they_are() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_MODEL_UNREACHABLE_TIMEOUT".into(), "3".into()));
    // Codex's own provider, no login, no network: it reconnects until the watchdog stops it.
    std::fs::write(fx.codex_home.join("config.toml"), "").unwrap();
    let client = fx.client().await;
    let v = call_body(&client, "codex", task("hello", &fx.work, "ask-nologin-v1")).await;
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(v["failure"]["kind"], "network", "{v}");
    assert_eq!(v["ended_by"], "unreachable", "{v}");
    let hint = v["failure"]["hint"].as_str().unwrap();
    assert!(
        hint.contains("codex login") && !hint.contains("READONLY_FALLBACK"),
        "{hint}"
    );
    client.cancel().await.unwrap();
    // CODEX_HOME naming a folder that does not exist.
    let missing = fx.tmp.path().join("no-such-codex-home");
    fx.extra_env
        .push(("CODEX_HOME".into(), missing.display().to_string()));
    let client = fx.client().await;
    let v = call_body(&client, "codex", task("hello", &fx.work, "ask-nohome-v1")).await;
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(v["failure"]["kind"], "configuration", "{v}");
    let hint = v["failure"]["hint"].as_str().unwrap();
    assert!(
        hint.contains("unset CODEX_HOME") && !hint.contains("READONLY_FALLBACK"),
        "{hint}"
    );
    let error = v["error"].as_str().unwrap();
    assert!(error.contains("CODEX_HOME points to"), "{error}");
    assert!(
        !error.contains("<unknown>"),
        "the backtrace's noise is kept: {error}"
    );
    client.cancel().await.unwrap();
    let (_, out, _) = fx.cli(&["doctor", "--json"]).await;
    let checks: Value = serde_json::from_str(&out).unwrap();
    let home = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["detail"].to_string().contains("CODEX_HOME"))
        .unwrap_or_else(|| panic!("doctor says nothing of CODEX_HOME: {out}"));
    assert_eq!(home["status"], "fail", "{home}");
    assert!(
        home["fix"].as_str().unwrap().contains("unset CODEX_HOME"),
        "{home}"
    );
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
