//! Tasks outlive the server that started them, and tasks whose supervisor died are finalized
//! from their files — at startup and on every status call.

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};

use crate::support::*;

async fn gone(pid: u32) {
    let t0 = Instant::now();
    while pid_alive(pid as i32) {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "process {pid} did not exit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[derive(Debug, Clone, Copy)]
enum End {
    StdinEof,
    Sigterm,
    Sigkill,
}

#[tokio::test(flavor = "multi_thread")]
async fn dispatched_tasks_survive_the_server_ending_in_every_way() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let ends = [End::StdinEof, End::Sigterm, End::Sigkill];
    let mut servers = Vec::new();
    let mut tasks = Vec::new();
    for (i, end) in ends.into_iter().enumerate() {
        let (client, pid) = fx.client_and_pid(()).await;
        let ro = call_body(
            &client,
            "codex_dispatch",
            task(
                &format!("@delay_ms 5000\n@answer read-only {end:?}"),
                &fx.work,
                &format!("review-survive_{i}-v1"),
            ),
        )
        .await;
        let fa = call_body(
            &client,
            "codex_dispatch",
            full_task(
                &format!("@shell sleep 5 && echo {i} > out{i}.txt\n@answer full {end:?}"),
                &fx.work,
                &format!("implement-survive_{i}-v1"),
            ),
        )
        .await;
        tasks.push((
            ro["task_id"].as_str().unwrap().to_string(),
            format!("read-only {end:?}"),
        ));
        tasks.push((
            fa["task_id"].as_str().unwrap().to_string(),
            format!("full {end:?}"),
        ));
        servers.push((client, pid, end));
    }
    for (client, pid, end) in servers {
        match end {
            End::StdinEof => client.cancel().await.map(|_| ()).unwrap(),
            End::Sigterm => kill(Pid::from_raw(pid as i32), Signal::SIGTERM).unwrap(),
            End::Sigkill => kill(Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap(),
        }
        gone(pid).await;
    }

    let (client, _) = fx.client_and_pid(()).await;
    for (id, _) in &tasks {
        let live = call_body(&client, "codex_status", json!({"task_id": id})).await;
        // A task whose supervisor is still taking its place says `queued` for a moment.
        assert!(
            live["status"] == "running" || live["status"] == "queued",
            "a new server must see the task still running: {live}"
        );
    }
    for (id, expect) in &tasks {
        let done = wait_final(&client, id, Duration::from_secs(60)).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(&done["result"], expect);
        if id.starts_with("codex-implement") {
            assert_eq!(done["uncommitted_changes"], 1, "{done}");
        }
    }
    client.cancel().await.unwrap();
}

async fn killed_supervisor_case(fx: &Fixture, client: &Client, args: Value, marker: &str) {
    let id = call_body(client, "codex_dispatch", args).await["task_id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_until(client, &id, Duration::from_secs(60), |v| {
        v["progress"]["phase"] == "running_command"
    })
    .await;
    let meta = read_meta(fx, &id);
    let supervisor = meta["supervisor_pid"].as_i64().unwrap() as i32;
    kill(Pid::from_raw(supervisor), Signal::SIGKILL).unwrap();
    gone(supervisor as u32).await;
    let v = wait_final(client, &id, Duration::from_secs(20)).await;
    assert_eq!(v["status"], "failed", "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .starts_with("interrupted: supervisor exited without a result"),
        "{v}"
    );
    assert!(
        pids_matching(marker).is_empty(),
        "codex's command outlived the finalization"
    );
    assert!(!pid_alive(meta["codex_pid"].as_i64().unwrap() as i32));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_supervisor_is_finalized_as_failed() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let client = fx.client().await;
    killed_supervisor_case(
        &fx,
        &client,
        task("@shell sleep 3076\n@answer x", &fx.work, "review-orphan-v1"),
        "sleep 3076",
    )
    .await;
    killed_supervisor_case(
        &fx,
        &client,
        full_task(
            "@shell sleep 3077\n@answer x",
            &fx.work,
            "implement-orphan-v1",
        ),
        "sleep 3077",
    )
    .await;
    assert!(!fx.tmux_has_session("codex-implement-orphan-v1"));
    // The topic is free again.
    let v = call_body(
        &client,
        "codex",
        task("@answer back", &fx.work, "review-orphan-v1"),
    )
    .await;
    assert_eq!(v["task_id"], "codex-review-orphan-v1-r2");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_server_finalizes_orphans_at_startup() {
    let fx = Fixture::new().await;
    let (client, pid) = fx.client_and_pid(()).await;
    let id = call_body(
        &client,
        "codex_dispatch",
        task(
            "@shell sleep 3078\n@answer x",
            &fx.work,
            "review-startup-v1",
        ),
    )
    .await["task_id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_until(&client, &id, Duration::from_secs(60), |v| {
        v["progress"]["phase"] == "running_command"
    })
    .await;
    client.cancel().await.unwrap();
    gone(pid).await;
    let supervisor = read_meta(&fx, &id)["supervisor_pid"].as_i64().unwrap() as i32;
    kill(Pid::from_raw(supervisor), Signal::SIGKILL).unwrap();
    gone(supervisor as u32).await;
    assert_eq!(
        read_meta(&fx, &id)["status"],
        "running",
        "nothing has looked at it yet"
    );

    // A new server, with no tool call at all, finalizes the task on its own.
    let (client, _) = fx.client_and_pid(()).await;
    let t0 = Instant::now();
    loop {
        let meta = read_meta(&fx, &id);
        if meta["status"] == "failed" {
            assert!(
                meta["outcome"]["error"]
                    .as_str()
                    .unwrap()
                    .contains("interrupted")
            );
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "startup recovery did not run: {meta}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(pids_matching("sleep 3078").is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reused_pid_does_not_keep_a_dead_task_running_and_is_not_killed() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer real", &fx.work, "review-reuse-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed");
    // Forge what a crash leaves when the supervisor's pid now belongs to someone else: the
    // record says running and names a live, unrelated process.
    use std::os::unix::process::CommandExt;
    let mut stranger = std::process::Command::new("sleep")
        .arg("3079")
        .process_group(0)
        .spawn()
        .unwrap();
    let dir = fx.task_dir("codex-review-reuse-v1");
    let mut meta = read_meta(&fx, "codex-review-reuse-v1");
    meta["status"] = json!("running");
    meta["outcome"] = Value::Null;
    meta["ended_at_ms"] = Value::Null;
    let mut finished = std::process::Command::new("true").spawn().unwrap();
    finished.wait().unwrap();
    meta["supervisor_pid"] = json!(stranger.id());
    meta["codex_pid"] = json!(finished.id());
    std::fs::write(dir.join("meta.json"), serde_json::to_vec(&meta).unwrap()).unwrap();

    let v = call_body(
        &client,
        "codex_status",
        json!({"task_id": "codex-review-reuse-v1"}),
    )
    .await;
    assert_ne!(
        v["status"], "running",
        "a live pid alone must not make a task look alive"
    );
    assert_eq!(
        v["status"], "completed",
        "the log ends with turn.completed: {v}"
    );
    assert_eq!(v["result"], "real");
    assert!(
        stranger.try_wait().unwrap().is_none(),
        "an unrelated process was killed"
    );
    stranger.kill().unwrap();
    stranger.wait().unwrap();
    client.cancel().await.unwrap();
}
