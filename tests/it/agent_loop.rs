//! The calling agent's loop: waiting in one call, several tasks at once, time limits, options
//! per call, usage that adds up, answers that page, and what a client's cancel means.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::*;

fn with(mut args: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        args[k] = v.clone();
    }
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_model_fails_with_codexs_own_message() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let r = call(
        &client,
        "codex",
        with(
            task("@answer x", &fx.work, "review-bad_model-v1"),
            json!({"model": "unknown-model-9"}),
        ),
    )
    .await;
    let v = body(&r);
    eprintln!("{v}");
    assert!(is_error(&r));
    assert_eq!(v["status"], "failed");
    assert_eq!(v["model"], "unknown-model-9");
    assert!(
        v["error"].as_str().unwrap().contains("does not exist"),
        "{}",
        v["error"]
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_returns_moments_after_the_end_and_a_short_wait_returns_live_progress() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let id = call_body(
        &client,
        "codex_dispatch",
        task("@delay_ms 3000\n@answer waited", &fx.work, "review-wait-v1"),
    )
    .await["task_id"]
        .as_str()
        .unwrap()
        .to_string();

    // The time runs out first: the live view, with how long codex has been quiet.
    let t0 = Instant::now();
    let v = call_body(
        &client,
        "codex_status",
        json!({"task_id": id, "wait_seconds": 1}),
    )
    .await;
    let took = t0.elapsed();
    assert!(
        (Duration::from_millis(900)..Duration::from_millis(2500)).contains(&took),
        "{took:?}"
    );
    assert_eq!(v["status"], "running", "{v}");
    assert!(
        v["progress"]["idle_seconds"].as_f64().unwrap() >= 0.0,
        "{v}"
    );

    // A second server (it did not start the task) is woken by the end, not by a slow poll.
    let other = fx.client().await;
    let v = call_body(
        &other,
        "codex_status",
        json!({"task_id": id, "wait_seconds": 60}),
    )
    .await;
    let returned_at = now_ms();
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "waited");
    let ended_at = read_meta(&fx, &id)["ended_at_ms"].as_u64().unwrap();
    let late = returned_at.saturating_sub(ended_at);
    eprintln!("measured: codex_status wait returned {late} ms after the task ended");
    assert!(late < 250, "returned {late} ms after the end");
    client.cancel().await.unwrap();
    other.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn several_tasks_in_one_call_with_all_and_with_any() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let mut ids = Vec::new();
    for (i, delay) in [500, 2500, 5000].into_iter().enumerate() {
        let v = call_body(
            &client,
            "codex_dispatch",
            task(
                &format!("@delay_ms {delay}\n@answer answer {i}"),
                &fx.work,
                &format!("review-batch_{i}-v1"),
            ),
        )
        .await;
        ids.push(v["task_id"].as_str().unwrap().to_string());
    }
    let asked = json!([ids[2], "codex-nothing-here-v1", ids[0], "../etc", ids[1]]);

    // `any`: back when the first one lands, the others still running, in the order asked.
    let t0 = Instant::now();
    let v = call_body(
        &client,
        "codex_status",
        json!({"task_ids": asked, "wait_seconds": 60, "wait_for": "any"}),
    )
    .await;
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
    let tasks = v["tasks"].as_array().unwrap();
    let order: Vec<&str> = tasks
        .iter()
        .map(|t| t["task_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        asked
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect::<Vec<_>>()
    );
    assert_eq!(tasks[2]["status"], "completed", "{v}");
    assert_eq!(tasks[2]["result"], "answer 0");
    assert_eq!(tasks[0]["status"], "running");
    assert_eq!(v["ended"], 1);
    assert_eq!(v["running"], 2);
    // Ids that are no task are reported one by one, not as a failed call.
    assert_eq!(tasks[1]["status"], "not_found");
    assert!(tasks[1]["error"].as_str().unwrap().contains("no task"));
    assert_eq!(tasks[3]["status"], "not_found");
    assert!(
        tasks[3]["error"]
            .as_str()
            .unwrap()
            .contains("not a task id")
    );

    // `all`: back when the last one lands, each with its full result.
    let v = call_body(
        &client,
        "codex_status",
        json!({"task_ids": asked, "wait_seconds": 60}),
    )
    .await;
    assert!(t0.elapsed() < Duration::from_secs(15));
    assert_eq!(
        (v["ended"].clone(), v["running"].clone()),
        (json!(3), json!(0))
    );
    for (entry, answer) in [(0, "answer 2"), (2, "answer 0"), (4, "answer 1")] {
        assert_eq!(v["tasks"][entry]["status"], "completed", "{v}");
        assert_eq!(v["tasks"][entry]["result"], answer);
    }
    // Without a wait, the same call answers at once.
    let t0 = Instant::now();
    let v = call_body(&client, "codex_status", json!({"task_ids": [ids[0]]})).await;
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert_eq!(v["tasks"][0]["result"], "answer 0");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_sends_progress_that_says_what_runs_now() {
    let fx = Fixture::new().await;
    let (client, rec) = recording_client(&fx).await;
    let id = call_body(
        &client,
        "codex_dispatch",
        task(
            "@shell sleep 7\n@answer slept",
            &fx.work,
            "review-progress_wait-v1",
        ),
    )
    .await["task_id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = call_body(
        &client,
        "codex_status",
        json!({"task_id": id, "wait_seconds": 60}),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    let seen = rec.messages();
    assert!(!seen.is_empty(), "no progress during a 7 s wait");
    assert!(seen.iter().all(|m| m.chars().count() < 200), "{seen:?}");
    assert!(
        seen.iter()
            .any(|m| m.contains("running `") && m.contains("sleep 7") && m.contains("s)")),
        "{seen:?}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_time_limit_stops_the_whole_tree_even_with_no_server_running() {
    let mut fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let (client, server) = fx.client_and_pid(()).await;
    let ro = call_body(
        &client,
        "codex_dispatch",
        with(
            task(
                "@shell sleep 3091\n@answer never",
                &fx.work,
                "review-slow-v1",
            ),
            json!({"timeout_seconds": 3}),
        ),
    )
    .await;
    let fa = call_body(
        &client,
        "codex_dispatch",
        with(
            full_task("@shell sleep 3092\n@answer never", &fx.work, "fix-slow-v1"),
            json!({"timeout_seconds": 3}),
        ),
    )
    .await;
    // The server goes away; the supervisors enforce the limit on their own.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    drop(client);
    let t0 = Instant::now();
    for id in [&ro["task_id"], &fa["task_id"]] {
        let id = id.as_str().unwrap();
        loop {
            let m = read_meta(&fx, id);
            if m["status"] != "running" {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(30), "{id} still running");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert!(
        pids_matching("sleep 3091").is_empty(),
        "a read-only command survived"
    );
    assert!(
        pids_matching("sleep 3092").is_empty(),
        "a full-access command survived"
    );
    let client = fx.client().await;
    for id in [&ro["task_id"], &fa["task_id"]] {
        let v = call_body(&client, "codex_status", json!({"task_id": id})).await;
        assert_eq!(v["status"], "failed", "{v}");
        assert_eq!(v["ended_by"], "timeout");
        assert_eq!(v["timeout_seconds"], 3);
        let e = v["error"].as_str().unwrap();
        assert!(
            e.contains("timed out after 3 s") && e.contains("codex-exec.log"),
            "{e}"
        );
    }
    client.cancel().await.unwrap();

    // CODEXMCP_TASK_TIMEOUT is the default of tasks that set none.
    fx.extra_env
        .push(("CODEXMCP_TASK_TIMEOUT".into(), "2".into()));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task(
            "@shell sleep 3093\n@answer never",
            &fx.work,
            "review-default_limit-v1",
        ),
    )
    .await;
    assert_eq!(
        (v["status"].clone(), v["timeout_seconds"].clone()),
        (json!("failed"), json!(2))
    );
    assert!(pids_matching("sleep 3093").is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn model_effort_and_profile_reach_the_model_and_carry_over_to_a_follow_up() {
    let fx = Fixture::new().await;
    std::fs::write(
        fx.codex_home.join("fast.config.toml"),
        "model = \"profile-model\"\n",
    )
    .unwrap();
    let client = fx.client().await;
    let first = call_body(
        &client,
        "codex",
        with(
            task("@answer one", &fx.work, "review-options-v1"),
            json!({"profile": "fast", "reasoning_effort": "high"}),
        ),
    )
    .await;
    assert_eq!(first["status"], "completed", "{first}");
    assert_eq!(
        (first["profile"].clone(), first["reasoning_effort"].clone()),
        (json!("fast"), json!("high"))
    );
    let seen = |n: usize| {
        let r = &fx.model.requests()[n];
        (r["model"].clone(), r["reasoning"]["effort"].clone())
    };
    assert_eq!(seen(0), (json!("profile-model"), json!("high")));
    let meta = read_meta(&fx, "codex-review-options-v1");
    assert_eq!(meta["options"]["profile"], "fast");

    // A follow-up that names nothing keeps them.
    let sid = first["session_id"].clone();
    let second = call_body(
        &client,
        "codex",
        with(
            task("@answer two", &fx.work, "review-options-v2"),
            json!({"session_id": sid}),
        ),
    )
    .await;
    assert_eq!(second["status"], "completed", "{second}");
    assert_eq!(second["reasoning_effort"], "high");
    assert_eq!(seen(1), (json!("profile-model"), json!("high")));

    // One that names others uses those.
    let third = call_body(
        &client,
        "codex",
        with(
            task("@answer three", &fx.work, "review-options-v3"),
            json!({"session_id": sid, "model": "gpt-explicit", "reasoning_effort": "low"}),
        ),
    )
    .await;
    assert_eq!(third["status"], "completed", "{third}");
    assert_eq!(third["model"], "gpt-explicit");
    assert_eq!(seen(2), (json!("gpt-explicit"), json!("low")));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_is_each_turns_own_and_the_session_total_adds_up() {
    usage_adds_up("app-server").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_is_each_turns_own_on_the_exec_engine_too() {
    usage_adds_up("exec").await;
}

async fn usage_adds_up(engine: &str) {
    let mut fx = Fixture::new().await;
    fx.extra_env.push(("CODEXMCP_ENGINE".into(), engine.into()));
    let client = fx.client().await;
    let one_turn = json!({"input_tokens": model::USAGE_INPUT, "cached_input_tokens": model::USAGE_CACHED,
        "output_tokens": model::USAGE_OUTPUT, "reasoning_output_tokens": model::USAGE_REASONING});
    let first = call_body(
        &client,
        "codex",
        task("@answer one", &fx.work, "review-usage-v1"),
    )
    .await;
    assert_eq!(first["usage"], one_turn);
    assert_eq!(first["session_usage"], one_turn);
    let sid = first["session_id"].clone();
    let second = call_body(
        &client,
        "codex",
        with(
            task("@answer two", &fx.work, "review-usage-v2"),
            json!({"session_id": sid}),
        ),
    )
    .await;
    assert_eq!(second["usage"], one_turn, "{second}");
    assert_eq!(
        second["session_usage"]["input_tokens"],
        2 * model::USAGE_INPUT
    );
    assert!(second.get("usage_is_cumulative").is_none());

    // The list shows each task's own tokens and their sum.
    let list = call_body(&client, "codex_status", json!({})).await;
    let per_turn = model::USAGE_INPUT + model::USAGE_OUTPUT;
    assert_eq!(list["tasks"][0]["tokens"], per_turn);
    assert_eq!(list["tasks"][1]["tokens"], per_turn);
    assert_eq!(list["total_usage"]["input_tokens"], 2 * model::USAGE_INPUT);

    // When the store no longer knows the session's earlier total: app-server counts the
    // turn's own tokens exactly; exec only knows the session's total, and says so.
    std::fs::remove_dir_all(fx.task_dir("codex-review-usage-v1")).unwrap();
    std::fs::remove_dir_all(fx.task_dir("codex-review-usage-v2")).unwrap();
    let third = call_body(
        &client,
        "codex",
        with(
            task("@answer three", &fx.work, "review-usage-v3"),
            json!({"session_id": sid}),
        ),
    )
    .await;
    if engine == "exec" {
        assert_eq!(third["usage_is_cumulative"], true, "{third}");
        assert_eq!(third["usage"]["input_tokens"], 3 * model::USAGE_INPUT);
    } else {
        assert!(third.get("usage_is_cumulative").is_none(), "{third}");
        assert_eq!(third["usage"], one_turn, "{third}");
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_multi_megabyte_answer_stays_within_the_budget_and_pages_through() {
    const LEN: usize = 3_000_000;
    let mut fx = Fixture::new().await;
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task(
            &format!("@answer_len {LEN}"),
            &fx.work,
            "review-huge_answer-v1",
        ),
    )
    .await;
    assert_eq!(v["status"], "completed");
    let size = serde_json::to_string(&v).unwrap().len();
    assert!(size <= 40_000, "a {size}-character result");
    assert_eq!(v["result_total_chars"], LEN);
    let mut read = v["result"].as_str().unwrap().to_string();
    read.truncate(read.rfind("\n\n[cut:").unwrap());
    let mut next = v["next_offset"].as_u64().unwrap();
    assert_eq!(read.len() as u64, next);
    client.cancel().await.unwrap();

    // A larger budget pages faster; every page stays within it.
    fx.extra_env
        .push(("CODEXMCP_MAX_RESULT_CHARS".into(), "500000".into()));
    let client = fx.client().await;
    let mut pages = 1;
    loop {
        let v = call_body(
            &client,
            "codex_status",
            json!({"task_id": "codex-review-huge_answer-v1", "result_offset": next}),
        )
        .await;
        assert!(serde_json::to_string(&v).unwrap().len() <= 500_000);
        let text = v["result"].as_str().unwrap();
        read.push_str(&text[..text.rfind("\n\n[").unwrap()]);
        pages += 1;
        match v["next_offset"].as_u64() {
            Some(n) => next = n,
            None => break,
        }
        assert!(pages < 20);
    }
    assert_eq!(read.len(), LEN);
    assert!(read.bytes().all(|b| b == b'a'));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_is_made_by_the_first_task_not_by_a_health_check() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    client.list_all_tools().await.unwrap();
    let list = call_body(&client, "codex_status", json!({})).await;
    assert_eq!(list["total"], 0);
    let r = call(&client, "codex_status", json!({"task_id": "codex-none-v1"})).await;
    assert!(is_error(&r));
    client.cancel().await.unwrap();
    assert!(
        !fx.store_home.exists(),
        "a server that ran no task made the store"
    );
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer made", &fx.work, "review-store-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed");
    assert_eq!(mode(&fx.tasks_dir()), 0o700);
    client.cancel().await.unwrap();
}
