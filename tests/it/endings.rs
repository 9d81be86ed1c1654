//! Honest endings: who ended a task is who the record names, and only one caller is told it
//! stopped the task.

use std::time::Duration;

use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn of_two_racing_cancels_only_the_first_says_it_stopped_the_task() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let other = fx.client().await;
    for n in 1..=3 {
        let topic = format!("review-raced_cancel-v{n}");
        let id = dispatch_running(
            &client,
            task("@shell sleep 3301\n@answer never", &fx.work, &topic),
        )
        .await;
        let (a, b) = tokio::join!(
            call_body(&client, "codex_cancel", json!({"task_id": id})),
            call_body(&other, "codex_cancel", json!({"task_id": id})),
        );
        let told = [&a, &b].iter().filter(|v| v["cancelled"] == true).count();
        assert_eq!(told, 1, "round {n}: {a}\n{b}");
        for v in [&a, &b] {
            assert_eq!(v["status"], "cancelled", "{v}");
        }
        let loser = if a["cancelled"] == true { &b } else { &a };
        assert!(
            loser["note"]
                .as_str()
                .is_some_and(|n| n.contains("came first")),
            "{loser}"
        );
    }
    assert!(pids_matching("sleep 3301").is_empty());
    client.cancel().await.unwrap();
    other.cancel().await.unwrap();
}

/// Starts a full-access task that runs a long command, and waits until the command runs.
async fn running_in_tmux(fx: &Fixture, client: &Client, topic: &str, marker: &str) -> String {
    let prompt = format!("@shell sleep {marker}\n@answer never");
    dispatch_running(client, full_task(&prompt, &fx.work, topic)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_in_the_pane_or_a_killed_session_is_a_person_stopping_the_task() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let client = fx.client().await;

    let id = running_in_tmux(&fx, &client, "fix-interrupted-v1", "3321").await;
    let pane = fx
        .tmux()
        .args(["capture-pane", "-p", "-t", "=codex-fix-interrupted-v1:"])
        .output()
        .unwrap();
    let pane = String::from_utf8_lossy(&pane.stdout);
    assert!(
        pane.contains("Ctrl-b d"),
        "the pane does not say how to detach:\n{pane}"
    );
    let ok = fx
        .tmux()
        .args(["send-keys", "-t", "=codex-fix-interrupted-v1:", "C-c"])
        .status()
        .unwrap();
    assert!(ok.success());
    let v = wait_final(&client, &id, Duration::from_secs(30)).await;
    assert_eq!(v["status"], "cancelled", "{v}");
    assert_eq!(v["ended_by"], "attach", "{v}");
    assert!(v["error"].as_str().unwrap().contains("Ctrl-C"), "{v}");
    assert!(v.get("failure").is_none(), "{v}");

    let id = running_in_tmux(&fx, &client, "fix-session_gone-v1", "3322").await;
    let ok = fx
        .tmux()
        .args(["kill-session", "-t", "=codex-fix-session_gone-v1"])
        .status()
        .unwrap();
    assert!(ok.success());
    let v = wait_final(&client, &id, Duration::from_secs(30)).await;
    assert_eq!(v["status"], "cancelled", "{v}");
    assert_eq!(v["ended_by"], "session_closed", "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("tmux session was closed"),
        "{v}"
    );
    for marker in ["sleep 3321", "sleep 3322"] {
        let start = std::time::Instant::now();
        while !pids_matching(marker).is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "{marker} survived"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_queue_entry_left_by_a_dead_supervisor_makes_no_new_task_wait() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_MAX_PARALLEL".into(), "1".into()));
    let client = fx.client().await;
    let holder = dispatch_running(
        &client,
        task(
            "@shell sleep 3331\n@answer never",
            &fx.work,
            "review-holder-v1",
        ),
    )
    .await;
    let queued = call_body(
        &client,
        "codex_dispatch",
        task("@answer later", &fx.work, "review-crashed_waiter-v1"),
    )
    .await;
    assert_eq!(queued["status"], "queued", "{queued}");
    let waiter = queued["task_id"].as_str().unwrap();
    let start = std::time::Instant::now();
    let supervisor = loop {
        if let Some(pid) = read_meta(&fx, waiter)["supervisor_pid"].as_i64() {
            break pid as i32;
        }
        assert!(start.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The queued task's supervisor dies (kill -9): its queue entry stays behind.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(supervisor),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    call_body(&client, "codex_cancel", json!({"task_id": holder})).await;
    // A place is free: a new task runs at once.
    let next = call_body(
        &client,
        "codex_dispatch",
        task("@answer now", &fx.work, "review-after_crash-v1"),
    )
    .await;
    assert_eq!(next["status"], "running", "{next}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_whose_stdout_is_closed_exits_though_stdin_stays_open() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let fx = Fixture::new().await;
    let mut server = fx
        .command()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = server.stdin.take().unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let send = |m: serde_json::Value| format!("{m}\n");
    stdin
        .write_all(
            send(
                json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"}}}),
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut line = String::new();
    stdout.read_line(&mut line).await.unwrap();
    assert!(line.contains("\"result\""), "{line}");
    stdin
        .write_all(
            send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).as_bytes(),
        )
        .await
        .unwrap();
    // The client stops reading; its stdin to the server stays open.
    drop(stdout);
    let _ = stdin
        .write_all(send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})).as_bytes())
        .await;
    let ended = tokio::time::timeout(Duration::from_secs(10), server.wait()).await;
    assert!(
        ended.is_ok(),
        "the server kept running with nobody reading its replies"
    );
    drop(stdin);
}

/// `codex-mcp attach` on a terminal becomes a client of the task's own tmux session (the exact
/// session, found through the recorded launch), and detaching leaves the task running.
#[tokio::test(flavor = "multi_thread")]
async fn attach_on_a_terminal_joins_the_tasks_session() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let client = fx.client().await;
    let id = running_in_tmux(&fx, &client, "fix-watched-v1", "3341").await;
    // A look-alike whose name starts the same: an inexact target would pick either.
    fx.foreign_tmux_session("codex-fix-watched-v1x", &[]);
    let clients = |session: &str| {
        let out = fx
            .tmux()
            .args(["list-clients", "-t", &format!("={session}")])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    assert_eq!(clients("codex-fix-watched-v1"), 0);

    // The person's terminal: a pane of its own tmux session, running the command.
    let mut cmd = fx.person_tmux();
    cmd.args([
        "new-session",
        "-d",
        "-s",
        "person",
        "-x",
        "120",
        "-y",
        "30",
        "env",
    ]);
    for (k, v) in fx.env() {
        cmd.arg(format!("{k}={v}"));
    }
    cmd.args([env!("CARGO_BIN_EXE_codex-mcp"), "attach", &id]);
    assert!(cmd.status().unwrap().success());

    let start = std::time::Instant::now();
    while clients("codex-fix-watched-v1") == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the person's terminal never joined the task's session"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(clients("codex-fix-watched-v1x"), 0);

    // Ctrl-b d detaches the person; the task keeps running.
    let ok = fx
        .person_tmux()
        .args(["send-keys", "-t", "=person:", "C-b", "d"])
        .status()
        .unwrap();
    assert!(ok.success());
    let start = std::time::Instant::now();
    while clients("codex-fix-watched-v1") > 0 {
        assert!(start.elapsed() < Duration::from_secs(15), "never detached");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let v = call_body(&client, "codex_status", json!({"task_id": id})).await;
    assert_eq!(v["status"], "running", "{v}");
    call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    client.cancel().await.unwrap();
}
