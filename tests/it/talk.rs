//! Talking to a task through Codex's app-server, against the real Codex CLI: a prompt steered
//! into a running turn, a follow-up of an ended task, and Codex's questions answered from every
//! place a person or a caller can be (codex_reply, tasks/update, `codex-mcp approve`/`deny`),
//! or by nobody in time.

use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ClientCapabilities, ClientConfig, GetTaskParams,
    Implementation, TaskPayload, UpdateTaskParams,
};
use serde_json::{Value, json};

use crate::support::*;

const LONG: Duration = Duration::from_secs(60);

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

/// A read-only task that asks to write `file` outside its sandbox, then answers `done`.
fn asking(fx: &Fixture, file: &str, topic: &str) -> Value {
    let path = fx.work.join(file);
    with(
        task(
            &format!("@escalate touch {}\n@answer done", path.display()),
            &fx.work,
            topic,
        ),
        json!({"approval_policy": "on-request"}),
    )
}

/// Dispatches `arguments` and waits until the task asks its question.
async fn dispatch_asking<H: rmcp::ClientHandler>(client: &Client<H>, arguments: Value) -> Value {
    let d = call_body(client, "codex_dispatch", arguments).await;
    let id = d["task_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{d}"))
        .to_string();
    wait_until(client, &id, LONG, |v| v["status"] == "input_required").await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_steer_reaches_the_running_turn_and_the_result_reflects_it() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let id = dispatch_running(
        &client,
        task(
            "@shell sleep 3\n@answer not steered",
            &fx.work,
            "review-steer-v1",
        ),
    )
    .await;
    let r = call_body(
        &client,
        "codex_reply",
        json!({"task_id": id, "prompt": "@answer steered"}),
    )
    .await;
    assert_eq!(r["delivered"], "steer", "{r}");
    assert_eq!(r["task_id"], id.as_str());
    // The session the running task is in, as its own status says.
    let now = call_body(&client, "codex_status", json!({"task_id": id})).await;
    assert!(r["session_id"].is_string(), "{r}");
    assert_eq!(r["session_id"], now["session_id"], "{r}");
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"], "steered", "{done}");
    assert_eq!(done["steers"][0]["prompt"], "@answer steered");
    // The model's next request carried it.
    assert!(
        fx.model
            .prompts()
            .iter()
            .any(|p| p.contains("@answer steered"))
    );
    let log = std::fs::read_to_string(fx.task_dir(&id).join("codex-exec.log")).unwrap();
    assert!(log.contains("\"steer.delivered\""), "{log}");
    let (_, shown, _) = fx.cli(&["logs", &id]).await;
    assert!(shown.contains("told Codex: @answer steered"), "{shown}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_follow_up_continues_the_session_as_a_new_task_in_the_same_worktree() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("a.txt", "a\n")]);
    let client = fx.client().await;
    let first = call_body(
        &client,
        "codex",
        full_task("@answer one", &fx.work, "fix-talk-v1"),
    )
    .await;
    assert_eq!(first["status"], "completed", "{first}");
    let r = call_body(
        &client,
        "codex_reply",
        json!({"task_id": "codex-fix-talk-v1", "prompt": "@answer two"}),
    )
    .await;
    assert_eq!(r["delivered"], "follow_up", "{r}");
    assert_eq!(r["task_id"], "codex-fix-talk-v2", "{r}");
    assert_eq!(r["session_id"], first["session_id"]);
    let second = wait_final(&client, "codex-fix-talk-v2", LONG).await;
    assert_eq!(second["status"], "completed", "{second}");
    assert_eq!(second["result"], "two");
    assert_eq!(second["session_id"], first["session_id"], "{second}");
    assert_eq!(
        second["isolation"]["worktree_dir"], first["isolation"]["worktree_dir"],
        "{second}"
    );
    // Its own turn's tokens only.
    assert_eq!(second["usage"]["input_tokens"], model::USAGE_INPUT);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_that_cannot_be_delivered_says_what_to_do_instead() {
    let mut fx = Fixture::new().await;
    let client = fx.client().await;
    // Unknown task; both prompt and decision; neither.
    for (arguments, word) in [
        (
            json!({"task_id": "codex-nothing-here-v1", "prompt": "hi"}),
            "codex-nothing-here-v1",
        ),
        (
            json!({"task_id": "codex-x-y-v1", "prompt": "hi", "decision": "accept"}),
            "not both",
        ),
        (json!({"task_id": "codex-x-y-v1"}), "prompt"),
        (
            json!({"task_id": "codex-x-y-v1", "decision": "maybe"}),
            "decision",
        ),
    ] {
        let r = call(&client, "codex_reply", arguments.clone()).await;
        assert!(is_error(&r), "{arguments}");
        assert!(
            error_text(&r).contains(word),
            "{arguments}: {}",
            error_text(&r)
        );
    }
    // A decision for a task that asks nothing.
    let done = call_body(
        &client,
        "codex",
        task("@answer hi", &fx.work, "ask-quiet-v1"),
    )
    .await;
    assert_eq!(done["status"], "completed");
    let r = call(
        &client,
        "codex_reply",
        json!({"task_id": "codex-ask-quiet-v1", "decision": "accept", "request_id": 1}),
    )
    .await;
    assert!(
        error_text(&r).contains("asks nothing"),
        "{}",
        error_text(&r)
    );
    client.cancel().await.unwrap();

    // The exec engine cannot be steered, nor ask.
    fx.extra_env.push(("CODEXMCP_ENGINE".into(), "exec".into()));
    let client = fx.client().await;
    let id = dispatch_running(
        &client,
        task("@shell sleep 5\n@answer x", &fx.work, "ask-exec-v1"),
    )
    .await;
    let r = call(
        &client,
        "codex_reply",
        json!({"task_id": id, "prompt": "more"}),
    )
    .await;
    assert!(
        error_text(&r).contains("cannot be steered"),
        "{}",
        error_text(&r)
    );
    let r = call(
        &client,
        "codex_dispatch",
        asking(&fx, "x.txt", "ask-exec_policy-v1"),
    )
    .await;
    assert!(is_error(&r));
    assert!(
        error_text(&r).contains("approval_policy"),
        "{}",
        error_text(&r)
    );
    call(&client, "codex_cancel", json!({"task_id": id})).await;
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_is_answered_through_codex_reply_each_way() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    for (decision, topic, written) in [
        ("decline", "ask-decline-v1", false),
        ("accept", "ask-accept-v1", true),
        ("accept_for_session", "ask-session-v1", true),
    ] {
        let file = format!("{topic}.txt");
        let asked = dispatch_asking(&client, asking(&fx, &file, topic)).await;
        let q = &asked["input_request"];
        assert_eq!(q["kind"], "command", "{asked}");
        assert!(q["command"].as_str().unwrap().contains("touch"), "{asked}");
        assert_eq!(q["reason"], "the scripted model needs it");
        assert_eq!(
            q["decisions"],
            json!(["accept", "accept_for_session", "decline", "cancel"])
        );
        let id = asked["task_id"].as_str().unwrap().to_string();
        let r = call_body(
            &client,
            "codex_reply",
            json!({"task_id": id, "decision": decision, "request_id": q["id"]}),
        )
        .await;
        assert_eq!(r["delivered"], "answer", "{r}");
        assert_eq!(r["request_id"], q["id"], "{r}");
        let done = wait_final(&client, &id, LONG).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert!(done.get("input_request").is_none(), "{done}");
        assert_eq!(done["approvals"][0]["decision"], decision);
        assert_eq!(done["approvals"][0]["by"], "codex_reply");
        assert_eq!(done["approvals"][0]["request_id"], q["id"]);
        assert_eq!(fx.work.join(&file).exists(), written, "{decision}");
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_nobody_answers_is_declined_and_a_wait_returns_when_one_is_asked() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_APPROVAL_TIMEOUT".into(), "3".into()));
    let marker = fx.tmp.path().join("notified");
    let notify = fx.tmp.path().join("notify.sh");
    std::fs::write(&notify, format!("#!/bin/sh\ncat >> {}\n", marker.display())).unwrap();
    std::fs::set_permissions(&notify, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    fx.extra_env
        .push(("CODEXMCP_NOTIFY".into(), notify.display().to_string()));
    let client = fx.client().await;
    let d = call_body(
        &client,
        "codex_dispatch",
        asking(&fx, "late.txt", "ask-late-v1"),
    )
    .await;
    let id = d["task_id"].as_str().unwrap().to_string();
    // A wait returns as soon as the task asks.
    let asked = call_body(
        &client,
        "codex_status",
        json!({"task_id": id, "wait_seconds": 60}),
    )
    .await;
    assert_eq!(asked["status"], "input_required", "{asked}");
    // Past the approval timeout the question is declined and the task goes on to its end.
    let done = wait_until(&client, &id, LONG, |v| {
        !["running", "queued", "input_required"].contains(&v["status"].as_str().unwrap_or(""))
    })
    .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["approvals"][0]["decision"], "decline", "{done}");
    assert_eq!(done["approvals"][0]["by"], "timeout");
    assert!(!fx.work.join("late.txt").exists());
    let notes = std::fs::read_to_string(&marker).unwrap_or_default();
    assert!(notes.contains("\"status\":\"input_required\""), "{notes}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_person_at_a_terminal_answers_and_a_new_server_sees_the_question() {
    let fx = Fixture::new().await;
    let (client, server_pid) = fx.client_and_pid(()).await;
    let asked = dispatch_asking(&client, asking(&fx, "cli.txt", "ask-cli-v1")).await;
    let id = asked["task_id"].as_str().unwrap().to_string();
    // The server that started it goes away; the question stays.
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server_pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    drop(client);
    let other = fx.client().await;
    let seen = call_body(&other, "codex_status", json!({"task_id": id})).await;
    assert_eq!(seen["status"], "input_required", "{seen}");
    let (code, out, _) = fx.cli(&["show", &id]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("asks") && out.contains("codex-mcp approve"),
        "{out}"
    );
    let (_, shown, _) = fx.cli(&["logs", &id]).await;
    assert!(shown.contains("? Codex asks (command)"), "{shown}");
    let (_, listed, _) = fx.cli(&["list"]).await;
    assert!(
        listed.contains("input_required") && listed.contains(&format!("{id} asks to run")),
        "{listed}"
    );
    let listed = call_body(&other, "codex_status", json!({})).await;
    assert_eq!(
        listed["tasks"][0]["input_request"]["kind"], "command",
        "{listed}"
    );
    let (code, out, err) = fx.cli(&["approve", &id]).await;
    assert_eq!(code, 0, "{out}{err}");
    let done = wait_final(&other, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["approvals"][0]["by"], "cli");
    assert!(fx.work.join("cli.txt").exists());
    // `deny` on a task that asks nothing says so.
    let (code, _, err) = fx.cli(&["deny", &id]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("asks nothing"), "{err}");
    other.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_mcp_task_asks_the_person_and_tasks_update_answers() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_TASK_INLINE_MS".into(), "0".into()));
    let info = ClientConfig::new(
        ClientCapabilities::builder().enable_tasks().build(),
        Implementation::new("tasks-test-client", "1.0"),
    );
    let client = fx.client_with(info).await;
    let r = client
        .call_tool_once(
            CallToolRequestParams::new("codex").with_arguments(args(asking(
                &fx,
                "update.txt",
                "ask-update-v1",
            ))),
        )
        .await
        .unwrap();
    let CallToolResponse::Task(created) = r else {
        panic!("expected a task: {r:?}")
    };
    let id = created.task.task_id.clone();
    let start = std::time::Instant::now();
    let key = loop {
        let got = client
            .get_task(GetTaskParams::new(id.clone()))
            .await
            .unwrap();
        let v = serde_json::to_value(&got).unwrap();
        if let TaskPayload::InputRequired { input_requests } = &got.task.payload {
            let (key, request) = input_requests.iter().next().unwrap();
            let request = serde_json::to_value(request).unwrap();
            assert_eq!(request["method"], "elicitation/create", "{v}");
            assert_eq!(request["params"]["mode"], "form");
            assert!(
                request["params"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("touch"),
                "{v}"
            );
            break key.clone();
        }
        assert!(start.elapsed() < LONG, "never asked: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let responses = [(key, json!({"action": "accept", "content": {}}))].into();
    client
        .update_task(UpdateTaskParams::new(id.clone(), responses))
        .await
        .unwrap();
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["approvals"][0]["by"], "tasks_update");
    assert!(fx.work.join("update.txt").exists());
    // A follow-up from this client is a task too: its result is pushed when it ends.
    let r = client
        .call_tool_once(
            CallToolRequestParams::new("codex_reply")
                .with_arguments(args(json!({"task_id": id, "prompt": "@answer again"}))),
        )
        .await
        .unwrap();
    let CallToolResponse::Task(follow) = r else {
        panic!("expected a task: {r:?}")
    };
    assert_eq!(follow.task.task_id, "codex-ask-update-v2");
    let again = wait_final(&client, "codex-ask-update-v2", LONG).await;
    assert_eq!(again["result"], "again", "{again}");
    assert_eq!(again["session_id"], done["session_id"]);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocking_call_returns_when_codex_asks() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let v = call_body(&client, "codex", asking(&fx, "block.txt", "ask-block-v1")).await;
    assert_eq!(v["status"], "input_required", "{v}");
    assert_eq!(v["input_request"]["kind"], "command");
    let id = v["task_id"].as_str().unwrap().to_string();
    let r = call_body(
        &client,
        "codex_reply",
        json!({"task_id": id, "decision": "cancel", "request_id": v["input_request"]["id"]}),
    )
    .await;
    assert_eq!(r["delivered"], "answer");
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "cancelled", "{done}");
    // Worded as what it was: the answer `cancel`, not a codex_cancel call; no exit code.
    let error = done["error"].as_str().unwrap();
    assert!(error.contains("answer `cancel`"), "{done}");
    assert!(!error.contains("codex_cancel"), "{done}");
    assert!(done["exit_code"].is_null(), "{done}");
    assert!(!fx.work.join("block.txt").exists());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_says_which_engine_drives_codex_and_why() {
    let mut fx = Fixture::new().await;
    let engine_check = |out: &str| -> Value {
        let checks: Value = serde_json::from_str(out).unwrap();
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == "engine")
            .cloned()
            .unwrap_or_else(|| panic!("no engine check: {out}"))
    };
    let (_, out, _) = fx.cli(&["doctor", "--json"]).await;
    let c = engine_check(&out);
    assert_eq!(c["status"], "ok", "{c}");
    assert!(
        c["detail"].as_str().unwrap().starts_with("app-server"),
        "{c}"
    );
    fx.extra_env.push(("CODEXMCP_ENGINE".into(), "exec".into()));
    let (_, out, _) = fx.cli(&["doctor", "--json"]).await;
    let c = engine_check(&out);
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("CODEXMCP_ENGINE=exec"),
        "{c}"
    );
    // A Codex without app-server: a failure with the way out.
    let old = fx.tmp.path().join("old-codex");
    std::fs::write(&old, "#!/bin/sh\n[ \"$1\" = app-server ] && { echo 'unknown command' >&2; exit 2; }\necho 'codex-cli 0.40.0'\n").unwrap();
    std::fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    fx.extra_env.retain(|(k, _)| k != "CODEXMCP_ENGINE");
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), old.display().to_string()));
    let (_, out, _) = fx.cli(&["doctor", "--json"]).await;
    let c = engine_check(&out);
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        c["fix"].as_str().unwrap().contains("CODEXMCP_ENGINE=exec"),
        "{c}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_codex_without_app_server_runs_its_tasks_on_exec_with_a_warning() {
    let mut fx = Fixture::new().await;
    let old = fx.tmp.path().join("older-codex");
    std::fs::write(
        &old,
        format!(
            "#!/bin/sh\n[ \"$1\" = app-server ] && exit 2\nexec {} \"$@\"\n",
            codex_bin().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), old.display().to_string()));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer fine", &fx.work, "ask-older-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "fine");
    let warned = v["warnings"].to_string();
    assert!(warned.contains("no `app-server` command"), "{v}");
    assert_eq!(read_meta(&fx, "codex-ask-older-v1")["engine"], "exec");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_right_after_the_start_waits_for_the_turn_and_one_to_a_queued_task_joins_its_prompt()
 {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_MAX_PARALLEL".into(), "1".into()));
    let client = fx.client().await;
    // Steered the moment it was dispatched, before its turn began.
    let first = call_body(
        &client,
        "codex_dispatch",
        task(
            "@shell sleep 2\n@answer not steered",
            &fx.work,
            "review-early-v1",
        ),
    )
    .await;
    // Queued behind it.
    let second = call_body(
        &client,
        "codex_dispatch",
        task("Say hello.\n@answer first", &fx.work, "review-queued-v1"),
    )
    .await;
    assert_eq!(second["status"], "queued", "{second}");
    let r = call_body(
        &client,
        "codex_reply",
        json!({"task_id": first["task_id"], "prompt": "@answer early"}),
    )
    .await;
    assert_eq!(r["delivered"], "steer", "{r}");
    let r = call_body(
        &client,
        "codex_reply",
        json!({"task_id": second["task_id"], "prompt": "@answer second"}),
    )
    .await;
    assert_eq!(r["delivered"], "queued", "{r}");
    let id1 = first["task_id"].as_str().unwrap();
    let id2 = second["task_id"].as_str().unwrap();
    let done = wait_final(&client, id1, LONG).await;
    assert_eq!(done["result"], "early", "{done}");
    let done = wait_final(&client, id2, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"], "second", "{done}");
    assert_eq!(done["steers"][0]["prompt"], "@answer second");
    let prompt = std::fs::read_to_string(fx.task_dir(id2).join("prompt.md")).unwrap();
    assert!(
        prompt.contains("Say hello.") && prompt.contains("@answer second"),
        "{prompt}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_waiting_for_an_answer_can_be_cancelled_and_leaves_nothing() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let asked = dispatch_asking(&client, asking(&fx, "never.txt", "ask-stop-v1")).await;
    let id = asked["task_id"].as_str().unwrap().to_string();
    let supervisor = read_meta(&fx, &id)["supervisor_pid"].as_i64().unwrap() as i32;
    let r = call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    assert_eq!(r["cancelled"], true, "{r}");
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "cancelled", "{done}");
    assert!(done.get("input_request").is_none(), "{done}");
    assert!(!pid_alive(supervisor));
    assert!(!fx.work.join("never.txt").exists());
    // Its session can be followed up.
    let r = call_body(
        &client,
        "codex_reply",
        json!({"task_id": id, "prompt": "@answer back"}),
    )
    .await;
    assert_eq!(r["delivered"], "follow_up", "{r}");
    let again = wait_final(&client, r["task_id"].as_str().unwrap(), LONG).await;
    assert_eq!(again["result"], "back", "{again}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stand_in_that_only_plays_codex_exec_still_runs_its_tasks() {
    let mut fx = Fixture::new().await;
    // Whatever its arguments, it reads its input and prints an exec turn, as the fakes of
    // earlier tests and of people's own wrappers do.
    let fake = fx.tmp.path().join("exec-only-codex");
    std::fs::write(
        &fake,
        "#!/bin/sh\ncat > /dev/null\n\
         echo '{\"type\":\"thread.started\",\"thread_id\":\"01a200e7-30c1-7f70-988f-0d0342cef250\"}'\n\
         echo '{\"type\":\"turn.started\"}'\n\
         echo '{\"type\":\"item.completed\",\"item\":{\"id\":\"m\",\"type\":\"agent_message\",\"text\":\"played\"}}'\n\
         echo '{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}'\n\
         sleep 30\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), fake.display().to_string()));
    fx.extra_env
        .push(("CODEXMCP_EXIT_GRACE_MS".into(), "300".into()));
    let client = fx.client().await;
    // It hangs after its turn whatever it is asked: the probe does not wait for it.
    let start = std::time::Instant::now();
    let v = call_body(
        &client,
        "codex",
        task("anything", &fx.work, "ask-played-v1"),
    )
    .await;
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "played");
    assert_eq!(read_meta(&fx, "codex-ask-played-v1")["engine"], "exec");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_asks_before_a_command_it_does_not_trust() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let path = fx.work.join("untrusted.txt");
    let args = with(
        task(
            &format!("@shell touch {}\n@answer done", path.display()),
            &fx.work,
            "ask-untrusted-v1",
        ),
        json!({"approval_policy": "untrusted"}),
    );
    let asked = dispatch_asking(&client, args).await;
    assert_eq!(asked["input_request"]["kind"], "command", "{asked}");
    let id = asked["task_id"].as_str().unwrap().to_string();
    let r = call_body(
        &client,
        "codex_reply",
        json!({"task_id": id, "decision": "accept", "request_id": asked["input_request"]["id"]}),
    )
    .await;
    assert_eq!(r["delivered"], "answer");
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(path.exists());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_change_codex_asks_for_is_answered_too() {
    let fx = Fixture::new().await;
    fx.use_bundled_model();
    let client = fx.client().await;
    let args = with(
        task(
            "@add_file patched.txt hello\n@answer done",
            &fx.work,
            "ask-patch-v1",
        ),
        json!({"approval_policy": "untrusted"}),
    );
    let asked = dispatch_asking(&client, args).await;
    let q = &asked["input_request"];
    assert_eq!(q["kind"], "file_change", "{asked}");
    assert!(q["paths"].to_string().contains("patched.txt"), "{asked}");
    let id = asked["task_id"].as_str().unwrap().to_string();
    call_body(
        &client,
        "codex_reply",
        json!({"task_id": id, "decision": "accept", "request_id": q["id"]}),
    )
    .await;
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(fx.work.join("patched.txt").exists(), "{done}");
    client.cancel().await.unwrap();
}
