//! Secrets stay where they were: the tmux server codex-mcp starts hands its environment to no
//! session of the person's, what the notify program is told is in no process's arguments, and
//! every file of a task is private.

use std::time::Duration;

use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_persons_own_tmux_sessions_never_see_the_servers_environment() {
    let mut fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    fx.extra_env.push((
        "CODEXMCP_TEST_SECRET_TOKEN".into(),
        "hunter2-in-the-server".into(),
    ));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex_dispatch",
        full_task("@shell sleep 2\n@answer done", &fx.work, "fix-secret-v1"),
    )
    .await;
    let id = v["task_id"].as_str().unwrap().to_string();
    // While the task's tmux server runs, the person opens a session of their own.
    assert!(fx.tmux_has_session("codex-fix-secret-v1"), "{v}");
    let seen = fx.tmp.path().join("persons-env");
    let ok = fx
        .person_tmux()
        .env_remove("CODEXMCP_TEST_SECRET_TOKEN")
        .args(["new-session", "-d", "-s", "work", "sh", "-c"])
        .arg(format!("env > {}; sleep 30", seen.display()))
        .status()
        .unwrap();
    assert!(ok.success());
    let start = std::time::Instant::now();
    while std::fs::metadata(&seen).map_or(true, |m| m.len() == 0) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the session never ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let env = std::fs::read_to_string(&seen).unwrap();
    assert!(
        !env.contains("hunter2"),
        "the server's secret reached the person: {env}"
    );
    // The task itself still got the environment it was started with.
    let done = wait_final(&client, &id, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(mode(&fx.task_dir(&id).join("supervisor.log")), 0o600);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_notify_payload_is_in_no_process_arguments() {
    let mut fx = Fixture::new().await;
    let out = fx.tmp.path().join("notified.jsonl");
    // It takes its time, so its arguments (and its watchdog's) can be looked at meanwhile.
    let notify = json!([
        "sh",
        "-c",
        format!("sleep 2; cat >> '{}'", out.display()),
        "notify"
    ]);
    fx.extra_env
        .push(("CODEXMCP_NOTIFY".into(), notify.to_string()));
    let client = fx.client().await;
    call_body(
        &client,
        "codex",
        task("@answer the private answer", &fx.work, "ask-private-v1"),
    )
    .await;
    let start = std::time::Instant::now();
    let mut looked = 0;
    while std::fs::metadata(&out).map_or(true, |m| m.len() == 0) {
        let ps = std::process::Command::new("ps")
            .args(["-A", "-ww", "-o", "args="])
            .output()
            .unwrap();
        let all = String::from_utf8_lossy(&ps.stdout);
        if all.contains("notify-run") {
            looked += 1;
        }
        assert!(
            !all.contains("the private answer") && !all.contains("task-ended"),
            "the payload is in a process's arguments:\n{all}"
        );
        assert!(start.elapsed() < Duration::from_secs(15), "never notified");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(looked > 0, "the notify program was never seen running");
    let text = std::fs::read_to_string(&out).unwrap();
    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(v["type"], "task-ended", "{v}");
    assert_eq!(v["task_id"], "codex-ask-private-v1");
    client.cancel().await.unwrap();
}
