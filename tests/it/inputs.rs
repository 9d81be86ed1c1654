//! Bad arguments are tool errors that name the parameter, and leave nothing on disk.

use crate::support::*;
use serde_json::{Value, json};

fn assert_refused(r: &rmcp::model::CallToolResult, param: &str, accepted: &str) {
    assert!(is_error(r), "not an error: {r:?}");
    let text = error_text(r);
    assert!(
        text.contains(&format!("`{param}`")) || text.contains(param),
        "{text} should name {param}"
    );
    assert!(text.contains(accepted), "{text} should say `{accepted}`");
}

fn nothing_created(fx: &Fixture) {
    let tasks = fx.tasks_dir();
    let n = std::fs::read_dir(&tasks)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name() != ".lock")
                .count()
        })
        .unwrap_or(0);
    assert_eq!(n, 0, "a task folder was created");
    assert!(
        !fx.work.join(".codex-tasks").exists(),
        "a link folder was created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_arguments_are_refused_with_what_is_accepted() {
    let fx = Fixture::new().await;
    let a_file = fx.tmp.path().join("f.txt");
    std::fs::write(&a_file, "a file").unwrap();
    let client = fx.client().await;
    let good = task("@answer x", &fx.work, "review-inputs-v1");
    let with = |k: &str, v: Value| {
        let mut a = good.clone();
        a[k] = v;
        a
    };
    let without = |k: &str| {
        let mut a = good.clone();
        a.as_object_mut().unwrap().remove(k);
        a
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (with("prompt", json!("   ")), "prompt", "empty"),
        (without("prompt"), "prompt", "required"),
        (with("prompt", json!(7)), "prompt", "expected a string"),
        (with("cwd", json!("relative/dir")), "cwd", "absolute path"),
        (
            with("cwd", json!("/definitely/not/here")),
            "cwd",
            "does not exist",
        ),
        (
            with("cwd", json!(a_file.display().to_string())),
            "cwd",
            "is not a directory",
        ),
        (
            with("topic", json!("Review-x-v1")),
            "topic",
            "<type>-<desc>-v<N>",
        ),
        (
            with("topic", json!("review-x")),
            "topic",
            "review-auth_module-v1",
        ),
        (
            with("topic", json!("review-../../etc-v1")),
            "topic",
            "letters, digits",
        ),
        (
            with("sandbox", json!("workspace-write")),
            "sandbox",
            "`read-only` or `full-access`",
        ),
        (with("session_id", json!("--last")), "session_id", "UUID"),
        (
            with("model", json!("--dangerous")),
            "model",
            "not a model name",
        ),
        (with("model", json!("a b")), "model", "letters, digits"),
        (
            with("profile", json!("../x")),
            "profile",
            "not a profile name",
        ),
        (
            with("reasoning_effort", json!("extreme")),
            "reasoning_effort",
            "low, medium, high, xhigh, max",
        ),
        (
            with("timeout_seconds", json!(0)),
            "timeout_seconds",
            "1 to 86400",
        ),
        (
            with("timeout_seconds", json!(86_401)),
            "timeout_seconds",
            "1 to 86400",
        ),
        (
            with("session_id", json!("not-a-uuid")),
            "session_id",
            "UUID",
        ),
        (
            with("extra", json!(1)),
            "extra",
            "accepts: prompt, cwd, topic, sandbox, session_id, timeout_seconds, model, reasoning_effort, profile, retries",
        ),
    ];
    for tool in ["codex", "codex_dispatch"] {
        for (a, param, accepted) in &cases {
            let r = call(&client, tool, a.clone()).await;
            assert_refused(&r, param, accepted);
        }
    }
    nothing_created(&fx);
    assert!(fx.model.requests().is_empty(), "codex must not have run");

    for (tool, a, param, accepted) in [
        (
            "codex_status",
            json!({"task_id": "../../etc/passwd"}),
            "task_id",
            "codex-",
        ),
        (
            "codex_status",
            json!({"task_id": "codex-a/b"}),
            "task_id",
            "task_id",
        ),
        (
            "codex_status",
            json!({"task_id": "codex-none-v1"}),
            "codex-none-v1",
            "list tasks",
        ),
        ("codex_status", json!({"limit": 0}), "limit", "1 to 200"),
        (
            "codex_status",
            json!({"task_ids": []}),
            "task_ids",
            "1 to 20",
        ),
        (
            "codex_status",
            json!({"task_id": "codex-a-b-v1", "task_ids": ["codex-a-b-v1"]}),
            "task_ids",
            "not both",
        ),
        (
            "codex_status",
            json!({"wait_seconds": 5}),
            "wait_seconds",
            "task_id",
        ),
        (
            "codex_status",
            json!({"task_id": "codex-a-b-v1", "wait_seconds": 601}),
            "wait_seconds",
            "0 to 600",
        ),
        (
            "codex_status",
            json!({"verbose": true}),
            "verbose",
            "accepts: task_id, task_ids, wait_seconds, wait_for, result_offset, limit",
        ),
        ("codex_cancel", json!({}), "task_id", "required"),
        (
            "codex_cancel",
            json!({"task_id": "codex-x/../../y"}),
            "task_id",
            "codex-",
        ),
    ] {
        let r = call(&client, tool, a).await;
        assert_refused(&r, param, accepted);
    }
    nothing_created(&fx);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_codex_says_how_to_install_it() {
    let mut fx = Fixture::new().await;
    fx.extra_env.push((
        CODEX_BIN_VAR.into(),
        fx.work.join("no-codex-here").display().to_string(),
    ));
    let client = fx.client().await;
    let r = call(
        &client,
        "codex",
        task("@answer x", &fx.work, "review-missing-v1"),
    )
    .await;
    assert!(is_error(&r));
    let text = error_text(&r);
    assert!(
        text.contains("npm install -g @openai/codex") && text.contains("CODEX_BIN"),
        "{text}"
    );
    nothing_created(&fx);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_codex_setting_is_refused_before_anything_runs() {
    let mut fx = Fixture::new().await;
    fx.extra_env.push(("CODEX_PROFILE".into(), "--last".into()));
    let client = fx.client().await;
    let r = call(
        &client,
        "codex_dispatch",
        task("@answer x", &fx.work, "review-profile-v1"),
    )
    .await;
    assert!(is_error(&r));
    assert!(error_text(&r).contains("CODEX_PROFILE"));
    nothing_created(&fx);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_codex_bin_codex_is_found_on_path() {
    let mut fx = Fixture::new().await;
    let bin = fx.tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(codex_bin(), bin.join("codex")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    fx.extra_env.push((CODEX_BIN_VAR.into(), String::new()));
    fx.extra_env.push(("PATH".into(), path));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer via PATH", &fx.work, "review-path-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "via PATH");
    let argv0 = read_meta(&fx, "codex-review-path-v1")["argv"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(argv0, bin.join("codex").display().to_string());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_older_codex_bin_name_still_works() {
    let mut fx = Fixture::new().await;
    fx.extra_env.push((CODEX_BIN_VAR.into(), String::new()));
    fx.extra_env
        .push(("CODEX_BIN".into(), codex_bin().display().to_string()));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer old name", &fx.work, "review-old_name-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "old name");
    client.cancel().await.unwrap();
}
