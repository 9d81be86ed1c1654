//! The MCP tasks extension (SEP-2663), driven by rmcp's own client declaring it, as Claude Code's
//! interactive sessions do: a `codex` call that does not end within the inline window is answered
//! with a task; `tasks/get`, `tasks/cancel` and `tasks/update` are answered from the store, by any
//! server process. Clients that do not declare the extension see plain calls, as before.

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rmcp::ServiceError;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams, ClientCapabilities,
    ClientConfig, ErrorCode, GetTaskParams, Implementation, ProtocolVersion, TaskPayload,
    TaskStatus, UpdateTaskParams,
};
use serde_json::{Value, json};

use crate::support::*;

/// A client that declares the tasks extension on every request.
fn tasks_client_info() -> ClientConfig {
    ClientConfig::new(
        ClientCapabilities::builder().enable_tasks().build(),
        Implementation::new("tasks-test-client", "1.0"),
    )
}

/// A fixture whose servers answer every `codex` call from a tasks client with a task.
async fn always_tasks() -> Fixture {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_TASK_INLINE_MS".into(), "0".into()));
    fx
}

async fn tasks_client(fx: &Fixture) -> (Client<ClientConfig>, u32) {
    fx.client_and_pid(tasks_client_info()).await
}

async fn call_once<H: rmcp::ClientHandler>(
    client: &Client<H>,
    arguments: Value,
) -> CallToolResponse {
    client
        .call_tool_once(CallToolRequestParams::new("codex").with_arguments(args(arguments)))
        .await
        .expect("tools/call")
}

fn task_id_of(r: &CallToolResponse) -> String {
    match r {
        CallToolResponse::Task(t) => t.task.task_id.clone(),
        other => panic!("expected a task, got {other:?}"),
    }
}

async fn get<H: rmcp::ClientHandler>(client: &Client<H>, id: &str) -> rmcp::model::GetTaskResult {
    client
        .get_task(GetTaskParams::new(id))
        .await
        .unwrap_or_else(|e| panic!("tasks/get {id}: {e}"))
}

/// Polls `tasks/get` as a client does until the task leaves `working`.
async fn until_done<H: rmcp::ClientHandler>(
    client: &Client<H>,
    id: &str,
    timeout: Duration,
) -> rmcp::model::GetTaskResult {
    let start = Instant::now();
    loop {
        let t = get(client, id).await;
        if t.task.status() != TaskStatus::Working {
            return t;
        }
        assert!(start.elapsed() < timeout, "{id} still working: {t:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `CallToolResult` a completed task carries.
fn result_of(t: &rmcp::model::GetTaskResult) -> CallToolResult {
    match &t.task.payload {
        TaskPayload::Completed { result } => {
            serde_json::from_value(Value::Object(result.clone())).expect("a CallToolResult")
        }
        other => panic!("expected a completed task, got {other:?}"),
    }
}

fn error_code(e: &ServiceError) -> (ErrorCode, String) {
    match e {
        ServiceError::McpError(d) => (d.code, d.message.to_string()),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_codex_call_becomes_a_task_whose_result_is_the_blocking_calls() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_TASK_INLINE_MS".into(), "300".into()));
    let (client, _) = tasks_client(&fx).await;

    // The server advertises the extension.
    let info = client.peer_info().expect("server info");
    assert!(
        info.capabilities.supports_tasks(),
        "{:?}",
        info.capabilities
    );

    let t0 = Instant::now();
    let r = call_once(
        &client,
        task(
            "@shell echo started && sleep 3\n@answer the slow answer",
            &fx.work,
            "review-slow_task-v1",
        ),
    )
    .await;
    let took = t0.elapsed();
    let CallToolResponse::Task(created) = &r else {
        panic!("expected a task, got {r:?}");
    };
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    assert_eq!(created.task.task_id, "codex-review-slow_task-v1");
    assert_eq!(created.task.status, TaskStatus::Working);
    assert_eq!(created.task.poll_interval_ms, Some(1000));
    assert_eq!(created.task.ttl_ms, None);
    assert!(created.task.created_at.ends_with('Z'));
    assert!(
        created
            .task
            .status_message
            .as_deref()
            .is_some_and(|m| !m.is_empty()),
        "{created:?}"
    );
    // On the wire, `ttlMs` is an explicit null (no time to live) and `resultType` says task.
    let wire = serde_json::to_value(created).unwrap();
    assert_eq!(wire["resultType"], "task");
    assert!(wire.get("ttlMs").is_some_and(Value::is_null), "{wire}");

    // While it runs: working, with the one-line progress the person sees.
    let running = get(&client, "codex-review-slow_task-v1").await;
    assert_eq!(running.task.status(), TaskStatus::Working);
    assert!(running.task.task.status_message.is_some());
    assert_eq!(running.task.task.poll_interval_ms, Some(1000));

    let done = until_done(
        &client,
        "codex-review-slow_task-v1",
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(done.task.status(), TaskStatus::Completed);
    let result = result_of(&done);
    assert_ne!(result.is_error, Some(true));
    let b = body(&result);
    assert_eq!(b["status"], "completed");
    assert_eq!(b["result"], "the slow answer");
    // Exactly what a status read of the finished task returns, and the text carries the same.
    let status = call_body(
        &client,
        "codex_status",
        json!({"task_id": "codex-review-slow_task-v1"}),
    )
    .await;
    assert_eq!(b, status);
    assert_eq!(
        read_meta(&fx, "codex-review-slow_task-v1")["status"],
        "completed"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quick_task_is_answered_inline_and_inline_zero_always_makes_a_task() {
    let fx = Fixture::new().await;
    let (client, _) = tasks_client(&fx).await;
    let r = call_once(&client, task("@answer quick", &fx.work, "ask-quick-v1")).await;
    let CallToolResponse::Complete(result) = r else {
        panic!("a quick task is answered inline: {r:?}");
    };
    assert_eq!(body(&result)["result"], "quick");
    client.cancel().await.unwrap();

    let mut fx = fx;
    fx.extra_env
        .push(("CODEXMCP_TASK_INLINE_MS".into(), "0".into()));
    fx.extra_env
        .push(("CODEXMCP_TASK_POLL_MS".into(), "250".into()));
    let (client, _) = tasks_client(&fx).await;
    let r = call_once(&client, task("@answer quick", &fx.work, "ask-quick-v2")).await;
    let CallToolResponse::Task(created) = &r else {
        panic!("CODEXMCP_TASK_INLINE_MS=0 always answers with a task: {r:?}");
    };
    assert_eq!(created.task.poll_interval_ms, Some(250));
    let done = until_done(&client, &task_id_of(&r), Duration::from_secs(30)).await;
    assert_eq!(body(&result_of(&done))["result"], "quick");

    // A client that does not declare the extension gets a plain answer, whatever the setting.
    let plain = fx.client().await;
    let r = call(
        &plain,
        "codex",
        task("@answer plain", &fx.work, "ask-quick-v3"),
    )
    .await;
    assert_eq!(body(&r)["result"], "plain");
    // And asking it for tasks is refused as the extension says (the capability is missing).
    let err = plain
        .get_task(GetTaskParams::new("codex-ask-quick-v3"))
        .await
        .unwrap_err();
    assert_eq!(error_code(&err).0, ErrorCode(-32021), "{err:?}");
    plain.cancel().await.unwrap();
    client.cancel().await.unwrap();

    // The handshake era (`initialize`, 2025-11-25): the extension is advertised there too, and
    // a client that declared it at `initialize` gets tasks.
    let legacy = tasks_client_info().with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE);
    let (client, _) = fx.client_and_pid(legacy).await;
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.protocol_version,
        ProtocolVersion::LATEST_WITH_INITIALIZE
    );
    assert!(
        info.capabilities.supports_tasks(),
        "{:?}",
        info.capabilities
    );
    let r = call_once(&client, task("@answer old era", &fx.work, "ask-quick-v4")).await;
    let done = until_done(&client, &task_id_of(&r), Duration::from_secs(30)).await;
    assert_eq!(body(&result_of(&done))["result"], "old era");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_run_is_a_completed_task_with_a_tool_error_and_bad_arguments_make_no_task() {
    let fx = always_tasks().await;
    let (client, _) = tasks_client(&fx).await;

    let r = call_once(&client, task("@fail", &fx.work, "ask-failing-v1")).await;
    let done = until_done(&client, &task_id_of(&r), Duration::from_secs(60)).await;
    assert_eq!(done.task.status(), TaskStatus::Completed, "{done:?}");
    let result = result_of(&done);
    assert_eq!(result.is_error, Some(true));
    let b = body(&result);
    assert_eq!(b["status"], "failed");
    assert!(b["error"].as_str().is_some_and(|e| !e.is_empty()), "{b}");

    // A bad argument is an immediate tool error naming the parameter, and no task is made.
    let r = call_once(&client, task("x", &fx.work, "not a topic")).await;
    let CallToolResponse::Complete(result) = r else {
        panic!("a bad argument is answered at once: {r:?}");
    };
    assert!(is_error(&result));
    assert!(error_text(&result).contains("`topic`"), "{result:?}");
    let dirs: Vec<_> = std::fs::read_dir(fx.tasks_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with("codex-"))
        .collect();
    assert_eq!(dirs, vec![std::ffi::OsString::from("codex-ask-failing-v1")]);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_cancel_stops_the_whole_tree_and_unknown_ids_are_named() {
    let fx = always_tasks().await;
    let (client, _) = tasks_client(&fx).await;
    let r = call_once(
        &client,
        task(
            "@shell sleep 3171\n@answer never",
            &fx.work,
            "review-stopme-v1",
        ),
    )
    .await;
    let id = task_id_of(&r);
    wait_until(&client, &id, Duration::from_secs(30), |v| {
        v["progress"]["phase"] == "running_command"
    })
    .await;
    assert!(!pids_matching("sleep 3171").is_empty());
    let m = read_meta(&fx, &id);
    let supervisor = m["supervisor_pid"].as_i64().unwrap() as i32;

    client
        .cancel_task(CancelTaskParams::new(id.clone()))
        .await
        .expect("tasks/cancel is acknowledged");
    let t = get(&client, &id).await;
    assert_eq!(t.task.status(), TaskStatus::Cancelled, "{t:?}");
    assert!(
        pids_matching("sleep 3171").is_empty(),
        "the command survived"
    );
    assert!(!pid_alive(supervisor), "the supervisor survived");
    let v = call_body(&client, "codex_status", json!({"task_id": id})).await;
    assert_eq!(v["status"], "cancelled");
    assert_eq!(v["ended_by"], "task_cancel", "{v}");
    assert!(v["error"].as_str().unwrap().contains("tasks/cancel"), "{v}");
    assert_eq!(
        t.task.task.status_message.as_deref(),
        v["error"].as_str(),
        "the person sees why it ended"
    );

    // Cancelling an ended task changes nothing.
    client
        .cancel_task(CancelTaskParams::new(id.clone()))
        .await
        .unwrap();
    let again = call_body(&client, "codex_status", json!({"task_id": id})).await;
    assert_eq!(again, v);

    // An unknown or malformed id is an invalid-params error that names it.
    for bad in ["codex-never-was-v1", "../etc/passwd"] {
        let err = client.get_task(GetTaskParams::new(bad)).await.unwrap_err();
        let (code, message) = error_code(&err);
        assert_eq!(code, ErrorCode::INVALID_PARAMS, "{message}");
        assert!(message.contains(bad), "{message}");
        let err = client
            .cancel_task(CancelTaskParams::new(bad))
            .await
            .unwrap_err();
        assert_eq!(error_code(&err).0, ErrorCode::INVALID_PARAMS);
    }
    // No task asks for input yet: tasks/update says so.
    let err = client
        .update_task(UpdateTaskParams::new(id.clone(), Default::default()))
        .await
        .unwrap_err();
    let (code, message) = error_code(&err);
    assert_eq!(code, ErrorCode::INVALID_PARAMS);
    assert!(message.contains("asks for no input"), "{message}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_server_answers_for_a_task_after_the_first_was_killed() {
    let fx = always_tasks().await;
    let (first, pid) = tasks_client(&fx).await;
    let r = call_once(
        &first,
        task(
            "@shell sleep 2\n@answer survived the server",
            &fx.work,
            "review-orphaned-v1",
        ),
    )
    .await;
    let id = task_id_of(&r);
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap();
    drop(first);

    let (second, _) = tasks_client(&fx).await;
    let running = get(&second, &id).await;
    assert_eq!(running.task.status(), TaskStatus::Working);
    let done = until_done(&second, &id, Duration::from_secs(60)).await;
    let b = body(&result_of(&done));
    assert_eq!(b["status"], "completed", "{b}");
    assert_eq!(b["result"], "survived the server");
    second.cancel().await.unwrap();
}

/// Claude Code polls every task once a second: each `tasks/get` must stay cheap, also for a
/// full-access task whose worktree holds 20,000 untracked files, running and ended.
#[tokio::test(flavor = "multi_thread")]
async fn tasks_get_stays_cheap_with_twenty_thousand_untracked_files() {
    let fx = always_tasks().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let (client, _) = tasks_client(&fx).await;
    let prompt = "@shell mkdir -p many && cd many && seq 1 20000 | xargs touch && echo made\n\
                  @shell sleep 4\n@answer made many files";
    let r = call_once(
        &client,
        full_task(prompt, &fx.work, "implement-many_files-v1"),
    )
    .await;
    let id = task_id_of(&r);
    wait_until(&client, &id, Duration::from_secs(60), |v| {
        v["progress"]["last_command"]
            .as_str()
            .is_some_and(|c| c.contains("sleep 4"))
    })
    .await;
    let worktree = fx
        .work
        .parent()
        .unwrap()
        .join("work-agent-implement-many_files");
    assert_eq!(
        std::fs::read_dir(worktree.join("many")).unwrap().count(),
        20_000
    );

    let measure = |label: &'static str, times: &mut Vec<Duration>| {
        times.sort();
        let median = times[times.len() / 2];
        let worst = *times.last().unwrap();
        eprintln!("measured: tasks/get {label}: median {median:?}, worst {worst:?}");
        (median, worst)
    };
    let mut running = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let t = get(&client, &id).await;
        running.push(t0.elapsed());
        assert_eq!(t.task.status(), TaskStatus::Working);
    }
    let (median, _) = measure("running", &mut running);
    assert!(median <= Duration::from_millis(5), "{median:?}");

    // Every get after the end, the first one included, is as cheap: the branch summary is
    // taken once, by the supervisor, before it records the end.
    let mut ended = Vec::new();
    let start = Instant::now();
    loop {
        let t0 = Instant::now();
        let t = get(&client, &id).await;
        let took = t0.elapsed();
        if t.task.status() != TaskStatus::Working {
            ended.push(took);
            if ended.len() == 20 {
                let b = body(&result_of(&t));
                assert_eq!(b["status"], "completed", "{b}");
                let stat = b["diff_stat"].as_str().unwrap();
                assert!(stat.contains("20000 files changed"), "{stat}");
                break;
            }
        } else {
            running.push(took);
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (median, worst) = measure("ended", &mut ended);
    assert!(median <= Duration::from_millis(5), "{median:?}");
    assert!(
        worst <= Duration::from_millis(50),
        "the first read after the end: {worst:?}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_review_followed_as_a_task_answers_with_its_findings() {
    let fx = always_tasks().await;
    init_repo(&fx.work, &[("a.txt", "a\n")]);
    std::fs::write(
        fx.work.join("a.txt"),
        "a @finding P1 a.txt:1-1 Task-borne finding | Found.\n",
    )
    .unwrap();
    let (client, _) = tasks_client(&fx).await;
    let r = client
        .call_tool_once(
            CallToolRequestParams::new("codex_review")
                .with_arguments(args(json!({"cwd": fx.work.display().to_string()}))),
        )
        .await
        .expect("tools/call");
    let id = task_id_of(&r);
    let done = until_done(&client, &id, Duration::from_secs(60)).await;
    let b = body(&result_of(&done));
    assert_eq!(b["status"], "completed", "{b}");
    assert_eq!(b["findings"][0]["title"], "Task-borne finding", "{b}");
    assert_eq!(b["findings"][0]["file"], "a.txt");
    assert!(b["review"].as_str().unwrap().contains("Task-borne finding"));
    client.cancel().await.unwrap();
}
