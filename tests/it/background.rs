//! Dispatched tasks: immediate return, live status, cancel of the whole process tree,
//! topic rules, concurrency and the task list.

use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn dispatch_returns_at_once_then_status_follows_and_cancel_kills_the_tree() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    // A unique sleep length marks this test's processes.
    let prompt = "@shell echo started && sleep 3071\n@answer never";
    let t0 = Instant::now();
    let r = call(
        &client,
        "codex_dispatch",
        task(prompt, &fx.work, "review-long_task-v1"),
    )
    .await;
    let took = t0.elapsed();
    let v = body(&r);
    eprintln!("measured: codex_dispatch round trip {took:?}");
    assert!(took < Duration::from_millis(100), "dispatch took {took:?}");
    assert_eq!(v["task_id"], "codex-review-long_task-v1");
    assert_eq!(v["status"], "running");
    assert_eq!(v["topic"], "review-long_task-v1");
    assert!(v["started_at"].as_str().unwrap().ends_with('Z'));
    assert!(v["log_file"].as_str().unwrap().ends_with("codex-exec.log"));

    let id = "codex-review-long_task-v1";
    let running = wait_until(&client, id, Duration::from_secs(30), |v| {
        v["progress"]["phase"] == "running_command"
    })
    .await;
    assert_eq!(running["status"], "running");
    assert!(
        running["progress"]["last_command"]
            .as_str()
            .unwrap()
            .contains("sleep 3071")
    );
    assert_eq!(running["progress"]["commands_run"], 0);
    assert!(running["session_id"].as_str().is_some());
    assert!(running.get("result").is_none());
    assert!(
        !pids_matching("sleep 3071").is_empty(),
        "the command should be running"
    );

    let m = read_meta(&fx, id);
    let supervisor = m["supervisor_pid"].as_i64().unwrap() as i32;
    let codex = m["codex_pid"].as_i64().unwrap() as i32;
    let t0 = Instant::now();
    let c = call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_eq!(c["status"], "cancelled", "{c}");
    assert_eq!(c["cancelled"], true);
    assert_eq!(c["success"], false);
    for pid in [supervisor, codex] {
        assert!(!pid_alive(pid), "pid {pid} survived the cancel");
    }
    assert!(
        pids_matching("sleep 3071").is_empty(),
        "the command survived the cancel"
    );
    let after = call_body(&client, "codex_status", json!({"task_id": id})).await;
    assert_eq!(after["status"], "cancelled");
    assert_eq!(after["error"], "cancelled by codex_cancel");
    assert_eq!(after["ended_by"], "cancel_tool");

    // Cancelling again changes nothing and says so.
    let again = call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    assert_eq!(again["status"], "cancelled");
    assert_eq!(again["cancelled"], false);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_of_a_finished_task_reports_it_unchanged() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer all good", &fx.work, "review-quick-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed");
    let before = std::fs::read(fx.task_dir("codex-review-quick-v1").join("meta.json")).unwrap();
    let c = call(
        &client,
        "codex_cancel",
        json!({"task_id": "codex-review-quick-v1"}),
    )
    .await;
    assert!(!is_error(&c));
    let c = body(&c);
    assert_eq!(c["status"], "completed");
    assert_eq!(c["cancelled"], false);
    assert_eq!(c["result"], "all good");
    assert!(c["note"].as_str().unwrap().contains("already finished"));
    let after = std::fs::read(fx.task_dir("codex-review-quick-v1").join("meta.json")).unwrap();
    assert_eq!(
        before, after,
        "a cancel of a finished task must not touch it"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_topic_is_refused_and_a_finished_one_gets_a_new_id() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let slow = task("@delay_ms 3000\n@answer slow", &fx.work, "review-topic-v1");
    let first = call_body(&client, "codex_dispatch", slow.clone()).await;
    assert_eq!(first["task_id"], "codex-review-topic-v1");
    let refused = call(&client, "codex_dispatch", slow.clone()).await;
    assert!(is_error(&refused));
    let text = error_text(&refused);
    assert!(
        text.contains("codex-review-topic-v1") && text.contains("review-topic-v2"),
        "{text}"
    );
    let done = wait_final(&client, "codex-review-topic-v1", Duration::from_secs(60)).await;
    assert_eq!(done["status"], "completed");

    let rerun = call_body(
        &client,
        "codex",
        task("@answer again", &fx.work, "review-topic-v1"),
    )
    .await;
    assert_eq!(rerun["task_id"], "codex-review-topic-v1-r2");
    assert_eq!(rerun["result"], "again");
    // The first task is untouched.
    let old = call_body(
        &client,
        "codex_status",
        json!({"task_id": "codex-review-topic-v1"}),
    )
    .await;
    assert_eq!(old["result"], "slow");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_concurrent_dispatches_all_complete() {
    let fx = Fixture::new().await;
    let client = std::sync::Arc::new(fx.client().await);
    let mut handles = Vec::new();
    for i in 0..8 {
        let client = client.clone();
        let a = task(
            &format!("@delay_ms 300\n@answer answer {i}"),
            &fx.work,
            &format!("review-parallel_{i}-v1"),
        );
        handles.push(tokio::spawn(async move {
            call_body(&client, "codex_dispatch", a).await
        }));
    }
    let mut ids = Vec::new();
    for h in handles {
        ids.push(h.await.unwrap()["task_id"].as_str().unwrap().to_string());
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 8, "{ids:?}");
    for (i, id) in ids.iter().enumerate() {
        let v = wait_final(&client, id, Duration::from_secs(120)).await;
        assert_eq!(v["status"], "completed", "{v}");
        assert_eq!(v["result"], format!("answer {i}"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_task_list_is_newest_first_and_bounded() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    for i in 1..=3 {
        let v = call_body(
            &client,
            "codex",
            task("@answer ok", &fx.work, &format!("review-listed-v{i}")),
        )
        .await;
        assert_eq!(v["status"], "completed");
    }
    let all = call_body(&client, "codex_status", json!({})).await;
    assert_eq!(all["total"], 3);
    let tasks = all["tasks"].as_array().unwrap();
    let ids: Vec<&str> = tasks
        .iter()
        .map(|t| t["task_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "codex-review-listed-v3",
            "codex-review-listed-v2",
            "codex-review-listed-v1"
        ]
    );
    // Each entry is an object a caller can read field by field.
    let first = &tasks[0];
    assert_eq!(first["status"], "completed");
    assert_eq!(first["topic"], "review-listed-v3");
    assert_eq!(first["sandbox"], "read-only");
    assert_eq!(first["cwd"], fx.work.display().to_string());
    assert!(first["started_at"].as_str().unwrap().ends_with('Z'));
    assert!(first["elapsed_seconds"].as_f64().unwrap() > 0.0);
    assert!(
        first.get("result").is_none(),
        "the list stays small: {first}"
    );
    let two = call_body(&client, "codex_status", json!({"limit": 2})).await;
    assert_eq!(two["shown"], 2);
    assert_eq!(two["total"], 3);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_task_list_stays_fast_and_small_with_a_thousand_large_tasks() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer_len 40000", &fx.work, "review-template-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed");
    let template: Value = read_meta(&fx, "codex-review-template-v1");
    for i in 0..1000 {
        let id = format!("codex-review-bulk_{i}-v1");
        let dir = fx.task_dir(&id);
        std::fs::create_dir(&dir).unwrap();
        let mut m = template.clone();
        m["task_id"] = json!(id);
        m["topic"] = json!(format!("review-bulk_{i}-v1"));
        m["started_at_ms"] = json!(template["started_at_ms"].as_u64().unwrap() - 1000 - i);
        std::fs::write(dir.join("meta.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    }
    let t0 = Instant::now();
    let r = call(&client, "codex_status", json!({"limit": 200})).await;
    let took = t0.elapsed();
    eprintln!("measured: task list over 1001 tasks {took:?}");
    let v = body(&r);
    assert_eq!(v["total"], 1001);
    assert_eq!(v["tasks"][0]["task_id"], "codex-review-template-v1");
    assert!(
        serde_json::to_string(&v).unwrap().len() < 40_000,
        "the list must stay small"
    );
    // As many as fit the budget are listed, and the caller is told what was left out.
    let shown = v["shown"].as_u64().unwrap();
    assert!((150..200).contains(&shown), "{shown} shown");
    assert_eq!(v["tasks"].as_array().unwrap().len() as u64, shown);
    assert!(
        v["note"].as_str().unwrap().contains("`limit`"),
        "{}",
        v["note"]
    );
    let few = call_body(&client, "codex_status", json!({"limit": 20})).await;
    assert_eq!(few["shown"], 20);
    assert!(few.get("note").is_none());
    assert!(took < Duration::from_secs(3), "listing took {took:?}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_racing_for_one_topic_start_exactly_one_task() {
    let fx = Fixture::new().await;
    let a = std::sync::Arc::new(fx.client().await);
    let b = std::sync::Arc::new(fx.client().await);
    let mut calls = Vec::new();
    for i in 0..6 {
        let client = if i % 2 == 0 { a.clone() } else { b.clone() };
        let args = task(
            "@delay_ms 2000\n@answer once",
            &fx.work,
            "review-contended-v1",
        );
        calls.push(tokio::spawn(async move {
            call(&client, "codex_dispatch", args).await
        }));
    }
    let mut started = Vec::new();
    let mut refused = 0;
    for c in calls {
        let r = c.await.unwrap();
        if is_error(&r) {
            assert!(
                error_text(&r).contains("already has a running task"),
                "{}",
                error_text(&r)
            );
            refused += 1;
        } else {
            started.push(body(&r)["task_id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        started,
        ["codex-review-contended-v1"],
        "exactly one start may win"
    );
    assert_eq!(refused, 5);
    let done = wait_final(&b, &started[0], Duration::from_secs(60)).await;
    assert_eq!(done["result"], "once");
    assert_eq!(
        fx.model
            .prompts()
            .iter()
            .filter(|p| p.contains("@answer once"))
            .count(),
        1
    );
}
