//! Answers that land where they were meant, against the real Codex CLI: every answer names
//! its question, every question Codex asks at once is kept and answered on its own, and what is
//! said to a task stays within the result budget.

use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ClientCapabilities, ClientConfig, GetTaskParams,
    Implementation, TaskPayload, UpdateTaskParams,
};
use serde_json::{Value, json};

use crate::support::*;

const LONG: Duration = Duration::from_secs(60);

fn asking(fx: &Fixture, prompt: &str, topic: &str) -> Value {
    let mut t = task(prompt, &fx.work, topic);
    t["approval_policy"] = json!("on-request");
    t
}

/// A task that asks two questions at once (two tool calls in one model reply, each needing
/// approval): to write `a.txt` and `b.txt`.
fn asking_two(fx: &Fixture, topic: &str) -> Value {
    let prompt = format!(
        "@parallel @escalate touch {} && @escalate touch {}\n@answer both asked",
        fx.work.join("a.txt").display(),
        fx.work.join("b.txt").display()
    );
    asking(fx, &prompt, topic)
}

/// The open question whose command touches `file`.
fn question_for<'a>(view: &'a Value, file: &str) -> &'a Value {
    view["input_requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["command"].as_str().unwrap_or_default().contains(file))
        .unwrap_or_else(|| panic!("no question about {file}: {view}"))
}

async fn dispatch<H: rmcp::ClientHandler>(client: &Client<H>, arguments: Value) -> String {
    let d = call_body(client, "codex_dispatch", arguments).await;
    d["task_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{d}"))
        .to_string()
}

async fn reply<H: rmcp::ClientHandler>(client: &Client<H>, arguments: Value) -> Value {
    call_body(client, "codex_reply", arguments).await
}

#[tokio::test(flavor = "multi_thread")]
async fn two_questions_asked_at_once_are_both_kept_and_answered_each_on_its_own() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let id = dispatch(&client, asking_two(&fx, "ask-two-v1")).await;
    let asked = wait_until(&client, &id, LONG, |v| {
        v["input_requests"].as_array().is_some_and(|q| q.len() == 2)
    })
    .await;
    assert_eq!(asked["status"], "input_required", "{asked}");
    assert_eq!(
        asked["input_request"], asked["input_requests"][0],
        "{asked}"
    );
    let (a, b) = (question_for(&asked, "a.txt"), question_for(&asked, "b.txt"));
    assert_ne!(a["id"], b["id"]);
    // The list and the person's commands see both too.
    let listed = call_body(&client, "codex_status", json!({})).await;
    assert_eq!(
        listed["tasks"][0]["input_requests"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{listed}"
    );
    let (_, shown, _) = fx.cli(&["show", &id]).await;
    assert!(
        shown.contains(&format!("--request {}", a["id"]))
            && shown.contains(&format!("--request {}", b["id"])),
        "{shown}"
    );

    // One answered: the task still waits on the other.
    let r = reply(
        &client,
        json!({"task_id": id, "decision": "accept", "request_id": b["id"]}),
    )
    .await;
    assert_eq!(r["delivered"], "answer", "{r}");
    assert_eq!(r["request_id"], b["id"], "{r}");
    let half = call_body(&client, "codex_status", json!({"task_id": id})).await;
    assert_eq!(half["status"], "input_required", "{half}");
    assert_eq!(
        half["input_requests"].as_array().unwrap().len(),
        1,
        "{half}"
    );
    assert_eq!(half["input_requests"][0]["id"], a["id"], "{half}");

    // The other, differently.
    reply(
        &client,
        json!({"task_id": id, "decision": "decline", "request_id": a["id"]}),
    )
    .await;
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done.get("input_requests").is_none(), "{done}");
    assert!(
        fx.work.join("b.txt").exists(),
        "the accepted command did not run"
    );
    assert!(!fx.work.join("a.txt").exists(), "the declined command ran");
    let approvals = done["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 2, "{done}");
    let of = |q: &Value| {
        approvals
            .iter()
            .find(|x| x["request_id"] == q["id"])
            .unwrap_or_else(|| panic!("no answer to {q}: {done}"))
    };
    assert_eq!(of(b)["decision"], "accept");
    assert_eq!(of(a)["decision"], "decline");

    // The event log tells each question and each answer with its own cause.
    let (_, events, _) = fx.cli(&["events", "--json"]).await;
    let mine: Vec<Value> = events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["task_id"] == id.as_str())
        .collect();
    let count = |cause: &str| mine.iter().filter(|e| e["cause"] == cause).count();
    assert_eq!(count("asked"), 2, "{mine:?}");
    assert_eq!(count("answered"), 2, "{mine:?}");
    assert!(
        mine.iter()
            .any(|e| e["cause"] == "answered" && e["by"] == "codex_reply"),
        "{mine:?}"
    );
    assert_eq!(count("queued"), 0, "{mine:?}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_meant_for_an_earlier_question_answers_nothing() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let (first, second) = (fx.work.join("first.txt"), fx.work.join("second.txt"));
    let prompt = format!(
        "@escalate touch {}\n@escalate touch {}\n@answer two in a row",
        first.display(),
        second.display()
    );
    let id = dispatch(&client, asking(&fx, &prompt, "ask-late-v1")).await;
    let q1 = wait_until(&client, &id, LONG, |v| v["status"] == "input_required").await;
    let q1 = q1["input_request"].clone();
    // A decision must name its question.
    let r = call(
        &client,
        "codex_reply",
        json!({"task_id": id, "decision": "accept"}),
    )
    .await;
    assert!(is_error(&r));
    assert!(error_text(&r).contains("request_id"), "{}", error_text(&r));
    reply(
        &client,
        json!({"task_id": id, "decision": "accept", "request_id": q1["id"]}),
    )
    .await;
    // Codex asks the next question (a different command).
    let asked = wait_until(&client, &id, LONG, |v| {
        v["input_request"]["id"]
            .as_u64()
            .is_some_and(|n| Some(n) != q1["id"].as_u64())
    })
    .await;
    let q2 = asked["input_request"].clone();
    assert!(
        q2["command"].as_str().unwrap().contains("second.txt"),
        "{q2}"
    );
    // The answer meant for the first arrives late: refused, quoting the question open now.
    let r = call(
        &client,
        "codex_reply",
        json!({"task_id": id, "decision": "accept", "request_id": q1["id"]}),
    )
    .await;
    assert!(is_error(&r), "a stale answer was taken");
    let text = error_text(&r);
    assert!(
        text.contains("not open") && text.contains("second.txt") && text.contains("nothing"),
        "{text}"
    );
    // Nothing was answered: the second command did not run, the task still asks.
    let still = call_body(&client, "codex_status", json!({"task_id": id})).await;
    assert_eq!(still["status"], "input_required", "{still}");
    assert_eq!(still["approvals"].as_array().unwrap().len(), 1, "{still}");
    assert!(!second.exists());
    // The same from the terminal: `approve --request` with the old number.
    let old = q1["id"].to_string();
    let (code, _, err) = fx.cli(&["approve", &id, "--request", &old, "--yes"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("second.txt"), "{err}");
    assert!(!second.exists());
    // The right number, declined from the terminal; the question was shown first.
    let n = q2["id"].to_string();
    let (code, out, err) = fx.cli(&["deny", &id, "--request", &n]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("second.txt") && out.contains(&fx.work.display().to_string()),
        "the question was not shown: {out}"
    );
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(first.exists() && !second.exists(), "{done}");
    assert_eq!(done["approvals"][1]["request_id"], q2["id"], "{done}");
    assert_eq!(done["approvals"][1]["by"], "cli", "{done}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_terminal_names_the_question_when_several_are_open() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let id = dispatch(&client, asking_two(&fx, "ask-cli_two-v1")).await;
    let asked = wait_until(&client, &id, LONG, |v| {
        v["input_requests"].as_array().is_some_and(|q| q.len() == 2)
    })
    .await;
    // Which one? The command says, and answers nothing.
    let (code, _, err) = fx.cli(&["approve", &id]).await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--request") && err.contains("a.txt") && err.contains("b.txt"),
        "{err}"
    );
    // `wait` returns at once, says what is asked and how to answer.
    let start = std::time::Instant::now();
    let (code, _, err) = fx.cli(&["wait", &id, "--timeout", "60"]).await;
    assert_eq!(code, 4, "{err}");
    assert!(start.elapsed() < Duration::from_secs(10));
    let a = question_for(&asked, "a.txt")["id"].to_string();
    assert!(
        err.contains(&format!("codex-mcp approve {id} --request {a}"))
            && err.contains(&format!("codex-mcp deny {id} --request {a}")),
        "{err}"
    );
    assert!(!err.contains("timed out"), "{err}");
    for q in asked["input_requests"].as_array().unwrap() {
        let n = q["id"].to_string();
        let (code, out, err) = fx.cli(&["approve", &id, "--request", &n, "--json"]).await;
        assert_eq!(code, 0, "{out}{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["request_id"], q["id"], "{v}");
    }
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(fx.work.join("a.txt").exists() && fx.work.join("b.txt").exists());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn each_question_is_declined_on_its_own_clock() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_APPROVAL_TIMEOUT".into(), "2".into()));
    let client = fx.client().await;
    let id = dispatch(&client, asking_two(&fx, "ask-clocks-v1")).await;
    let done = wait_final(&client, &id, LONG).await;
    let done = match done["status"].as_str() {
        Some("input_required") => {
            wait_until(&client, &id, LONG, |v| v["status"] == "completed").await
        }
        _ => done,
    };
    assert_eq!(done["status"], "completed", "{done}");
    let approvals = done["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 2, "{done}");
    assert!(
        approvals
            .iter()
            .all(|a| a["by"] == "timeout" && a["decision"] == "decline"),
        "{done}"
    );
    assert!(!fx.work.join("a.txt").exists() && !fx.work.join("b.txt").exists());
    client.cancel().await.unwrap();
}

fn tasks_client_info() -> ClientConfig {
    ClientConfig::new(
        ClientCapabilities::builder().enable_tasks().build(),
        Implementation::new("tasks-test-client", "1.0"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_get_shows_every_question_and_tasks_update_answers_any_of_them() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_TASK_INLINE_MS".into(), "0".into()));
    let client = fx.client_with(tasks_client_info()).await;
    let r = client
        .call_tool_once(
            CallToolRequestParams::new("codex").with_arguments(args(asking_two(&fx, "ask-get-v1"))),
        )
        .await
        .unwrap();
    let CallToolResponse::Task(created) = r else {
        panic!("expected a task: {r:?}")
    };
    let id = created.task.task_id.clone();
    let start = std::time::Instant::now();
    let requests = loop {
        let got = client
            .get_task(GetTaskParams::new(id.clone()))
            .await
            .unwrap();
        if let TaskPayload::InputRequired { input_requests } = &got.task.payload
            && input_requests.len() == 2
        {
            break input_requests.clone();
        }
        assert!(start.elapsed() < LONG, "never asked twice");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let key_for = |file: &str| {
        requests
            .iter()
            .find(|(_, r)| serde_json::to_string(r).unwrap().contains(file))
            .map(|(k, _)| k.clone())
            .unwrap()
    };
    let (ka, kb) = (key_for("a.txt"), key_for("b.txt"));
    // A malformed answer, or one to no open question, answers nothing.
    for (key, answer, word) in [
        (kb.clone(), json!({"action": "maybe"}), "action"),
        (kb.clone(), json!({"content": {}}), "missing"),
        (
            "approval-99".to_string(),
            json!({"action": "accept"}),
            "not an open question",
        ),
    ] {
        let e = client
            .update_task(UpdateTaskParams::new(id.clone(), [(key, answer)].into()))
            .await
            .unwrap_err();
        let text = format!("{e:?}");
        assert!(
            text.contains("-32602") || text.contains("InvalidParams") || text.contains("invalid"),
            "{text}"
        );
        assert!(text.contains(word), "{text}");
    }
    let still = read_meta(&fx, &id);
    assert!(
        still["approvals"].is_null(),
        "something was answered: {still}"
    );
    // A subset: one answer.
    let accept = json!({"action": "accept", "content": {}});
    client
        .update_task(UpdateTaskParams::new(id.clone(), [(kb, accept)].into()))
        .await
        .unwrap();
    let got = client
        .get_task(GetTaskParams::new(id.clone()))
        .await
        .unwrap();
    match &got.task.payload {
        TaskPayload::InputRequired { input_requests } => {
            assert_eq!(input_requests.keys().collect::<Vec<_>>(), vec![&ka]);
        }
        other => panic!("{other:?}"),
    }
    let decline = json!({"action": "decline"});
    client
        .update_task(UpdateTaskParams::new(id.clone(), [(ka, decline)].into()))
        .await
        .unwrap();
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(fx.work.join("b.txt").exists() && !fx.work.join("a.txt").exists());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_request_with_a_malformed_task_id_is_invalid_params() {
    let fx = Fixture::new().await;
    let client = fx.client_with(tasks_client_info()).await;
    for method in ["tasks/get", "tasks/cancel"] {
        let request = rmcp::model::ClientRequest::CustomRequest(rmcp::model::CustomRequest::new(
            method,
            Some(json!({"taskId": 5})),
        ));
        let e = client.send_request(request).await.unwrap_err();
        let text = format!("{e:?}");
        assert!(
            text.contains("-32602") || text.contains("InvalidParams"),
            "{method}: {text}"
        );
        assert!(!text.contains("-32601"), "{method}: {text}");
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn what_is_said_to_a_task_stays_within_the_result_budget() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    // A steer over the limit is refused with the limit named; nothing is delivered.
    let id = dispatch_running(
        &client,
        task("@shell sleep 4\n@answer fine", &fx.work, "ask-big-v1"),
    )
    .await;
    let r = call(
        &client,
        "codex_reply",
        json!({"task_id": id, "prompt": "x".repeat(1024 * 1024)}),
    )
    .await;
    assert!(is_error(&r));
    assert!(error_text(&r).contains("65536"), "{}", error_text(&r));
    // A long question, and many steers: every read stays within the budget, and the list
    // keeps the task.
    let long = format!("@escalate true {}\n@answer asked long", "q".repeat(60_000));
    let asked = dispatch(&client, asking(&fx, &long, "ask-long-v1")).await;
    wait_until(&client, &asked, LONG, |v| v["status"] == "input_required").await;
    let v = call(&client, "codex_status", json!({"task_id": asked})).await;
    let text = error_text(&v);
    assert!(text.len() <= 40_000, "{}", text.len());
    assert!(
        text.contains("codex-exec.log"),
        "no pointer to the whole question"
    );
    let listed = call(&client, "codex_status", json!({})).await;
    let listed_text = error_text(&listed);
    assert!(listed_text.len() <= 40_000);
    assert!(
        listed_text.contains(&asked),
        "the asking task dropped out of the list"
    );
    let (_, shown, _) = fx.cli(&["show", &asked]).await;
    assert!(shown.contains("qqqq"), "{shown}");
    // Steers recorded on a task (as a long-running one gathers them).
    let meta_path = fx.task_dir(&id).join("meta.json");
    wait_final(&client, &id, LONG).await;
    let mut meta: Value = serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    meta["steers"] = (0..2_000)
        .map(|i| json!({"prompt": format!("steer {i} {}", "s".repeat(60)), "at": "2026-12-01T00:00:00Z"}))
        .collect();
    meta["steers"][1999]["prompt"] = json!("y".repeat(1024 * 1024));
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let v = call(&client, "codex_status", json!({"task_id": id})).await;
    let text = error_text(&v);
    assert!(text.len() <= 40_000, "{}", text.len());
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(
        v["steers_left_out"].as_u64().unwrap() > 1_000,
        "{}",
        v["steers_left_out"]
    );
    assert!(
        v["steers"].as_array().unwrap().last().unwrap()["prompt"]
            .as_str()
            .unwrap()
            .contains("[cut: "),
        "the newest steer is not the one kept"
    );
    call(&client, "codex_cancel", json!({"task_id": asked})).await;
    client.cancel().await.unwrap();
}

/// A Codex that lingers after its turn (app-server has exited, the wrapper has not): the
/// window in which a steer arrives after the turn ended but before the task did.
fn lingering_codex(fx: &Fixture) -> std::path::PathBuf {
    let wrapper = fx.tmp.path().join("lingering-codex");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\n{} \"$@\"\nsleep 4\n", codex_bin().display()),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    wrapper
}

#[tokio::test(flavor = "multi_thread")]
async fn a_steer_that_comes_as_the_turn_ends_becomes_a_follow_up_and_says_so() {
    let mut fx = Fixture::new().await;
    let wrapper = lingering_codex(&fx);
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), wrapper.display().to_string()));
    let client = fx.client().await;
    let id = dispatch(&client, task("@answer first", &fx.work, "ask-ending-v1")).await;
    // The turn is over (its end is in the log); the task is not.
    let log = fx.task_dir(&id).join("codex-exec.log");
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("turn.completed")
    {
        assert!(start.elapsed() < LONG, "the turn never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = reply(&client, json!({"task_id": id, "prompt": "@answer second"})).await;
    assert_eq!(r["delivered"], "follow_up", "{r}");
    assert!(r["next"].as_str().unwrap().contains("had ended"), "{r}");
    assert_eq!(r["task_id"], "codex-ask-ending-v2", "{r}");
    let first = wait_final(&client, &id, LONG).await;
    assert!(first.get("steers").is_none(), "claimed as steered: {first}");
    let second = wait_final(&client, "codex-ask-ending-v2", LONG).await;
    assert_eq!(second["result"], "second", "{second}");
    assert_eq!(second["session_id"], first["session_id"]);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_letter_whose_supervisor_is_gone_is_answered_at_once_and_removed() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let id = dispatch_running(
        &client,
        task("@shell sleep 3203\n@answer never", &fx.work, "ask-gone-v1"),
    )
    .await;
    let supervisor = read_meta(&fx, &id)["supervisor_pid"].as_i64().unwrap() as i32;
    let pid = nix::unistd::Pid::from_raw(supervisor);
    // It reads no more letters, then dies.
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
    let inbox = fx.task_dir(&id).join("inbox");
    let sent = {
        let client = &client;
        let id = id.clone();
        async move { reply(client, json!({"task_id": id, "prompt": "@answer after"})).await }
    };
    let killer = async {
        let start = std::time::Instant::now();
        while std::fs::read_dir(&inbox).map_or(0, |d| d.count()) == 0 {
            assert!(start.elapsed() < LONG);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
        std::time::Instant::now()
    };
    let (r, killed_at) = tokio::join!(sent, killer);
    assert!(
        killed_at.elapsed() < Duration::from_secs(8),
        "the reply waited for nobody: {:?}",
        killed_at.elapsed()
    );
    assert_eq!(r["delivered"], "follow_up", "{r}");
    let letters: Vec<_> = std::fs::read_dir(&inbox)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != "rejected")
        .collect();
    assert!(letters.is_empty(), "the letter stayed: {letters:?}");
    let again = wait_final(&client, r["task_id"].as_str().unwrap(), LONG).await;
    assert_eq!(again["result"], "after", "{again}");
    assert!(pids_matching("sleep 3203").is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn what_is_no_letter_is_moved_aside_and_the_task_goes_on() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_APPROVAL_TIMEOUT".into(), "3".into()));
    let client = fx.client().await;
    let file = fx.work.join("late.txt");
    let prompt = format!(
        "@escalate touch {}\n@answer declined in time",
        file.display()
    );
    let id = dispatch(&client, asking(&fx, &prompt, "ask-junk-v1")).await;
    let inbox = fx.task_dir(&id).join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    nix::unistd::mkfifo(&inbox.join("0-fifo.json"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", inbox.join("1-link.json")).unwrap();
    std::fs::create_dir(inbox.join("2-dir.json")).unwrap();
    std::fs::write(inbox.join("3-big.json"), vec![b' '; 300 * 1024]).unwrap();
    // The approval timeout still holds, whatever is in the inbox.
    let done = wait_until(&client, &id, LONG, |v| v["status"] == "completed").await;
    assert_eq!(done["approvals"][0]["by"], "timeout", "{done}");
    let warned = done["warnings"].to_string();
    assert!(
        warned.contains("FIFO") && warned.contains("inbox/rejected"),
        "{done}"
    );
    let rejected = std::fs::read_dir(inbox.join("rejected")).unwrap().count();
    assert_eq!(rejected, 4);
    client.cancel().await.unwrap();
}
