//! Tasks on other hosts: each "host" is a real `codex app-server` started by the test on this
//! machine's loopback with its own HOME and CODEX_HOME, reached over a WebSocket with a
//! capability token or through `codex app-server proxy` on a unix socket (the command a host
//! entry runs through ssh, docker exec or kubectl exec).

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::hosts::{TestHost, write_hosts, write_hosts_text};
use crate::support::*;

const LONG: Duration = Duration::from_secs(90);

/// A follow-up of the ended task `id` runs on `host` in the same session, and completes.
async fn a_follow_up_resumes_there(client: &Client, id: &str, session: &str, host: &str) {
    let r = call_body(
        client,
        "codex_reply",
        json!({"task_id": id, "prompt": "@answer resumed there"}),
    )
    .await;
    let next = r["task_id"].as_str().unwrap().to_string();
    let v = wait_final(client, &next, LONG).await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["host"], host);
    assert_eq!(v["session_id"], session, "{v}");
}

fn on(host: &str, prompt: &str, cwd: &std::path::Path, topic: &str) -> Value {
    let mut t = task(prompt, cwd, topic);
    t["host"] = json!(host);
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_task_runs_on_a_websocket_host_and_on_a_proxied_one() {
    let fx = Fixture::new().await;
    let ws = TestHost::ws(&fx, "lab").await;
    let proxied = TestHost::unix(&fx, "devbox").await;
    write_hosts(&fx, &[(&ws, 2), (&proxied, 2)]);
    // The folder exists on the host; the test's hosts share this machine's disk.
    let client = fx.client().await;
    for (host, topic) in [
        ("lab", "review-on_lab-v1"),
        ("devbox", "review-on_devbox-v1"),
    ] {
        let v = call_body(
            &client,
            "codex",
            on(host, "@shell pwd\n@answer done there", &fx.work, topic),
        )
        .await;
        assert_eq!(v["status"], "completed", "{host}: {v}");
        assert_eq!(v["result"], "done there");
        assert_eq!(v["host"], host, "{v}");
        assert!(
            v["warnings"].to_string().contains("no .codex-tasks link"),
            "{v}"
        );
        assert!(!fx.work.join(".codex-tasks").exists());
        // Codex ran there: the host's own CODEX_HOME holds the session.
        let home = if host == "lab" {
            &ws.home
        } else {
            &proxied.home
        };
        assert!(
            home.join(".codex/sessions").is_dir(),
            "{host}: no session there"
        );
    }
    let list = call_body(&client, "codex_status", json!({})).await;
    let hosts: Vec<&str> = list["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["host"].as_str())
        .collect();
    assert_eq!(hosts.len(), 2, "{list}");
    // The terminal says where each ran, and runs one there too.
    let (_, listed, _) = fx.cli(&["list"]).await;
    assert!(
        listed.contains("lab:") && listed.contains("devbox:"),
        "{listed}"
    );
    let (_, shown, _) = fx.cli(&["show", "review-on_lab-v1"]).await;
    assert!(shown.contains("on host lab"), "{shown}");
    let work = fx.work.display().to_string();
    let (code, out, err) = fx
        .cli(&[
            "run",
            "--host",
            "lab",
            "--cwd",
            &work,
            "@answer from the terminal",
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "from the terminal");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_host_is_refused_before_anything_starts_naming_the_hosts_there() {
    let fx = Fixture::new().await;
    let ws = TestHost::ws(&fx, "lab").await;
    write_hosts(&fx, &[(&ws, 1)]);
    let client = fx.client().await;
    let r = call(
        &client,
        "codex_dispatch",
        on("nowhere", "@answer x", &fx.work, "review-nowhere-v1"),
    )
    .await;
    assert_eq!(r.is_error, Some(true));
    let text = format!("{r:?}");
    assert!(text.contains("nowhere") && text.contains("lab"), "{text}");
    assert!(!fx.store_home.join("tasks/codex-review-nowhere-v1").exists());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_is_host_refused_and_a_host_down_is_host_unreachable() {
    let fx = Fixture::new().await;
    let ws = TestHost::ws(&fx, "lab").await;
    write_hosts(&fx, &[(&ws, 1)]);
    if let crate::support::hosts::Reach::Ws { token_file, .. } = &ws.reach {
        std::fs::write(token_file, "not-the-token\n").unwrap();
    }
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        on("lab", "@answer x", &fx.work, "review-bad_token-v1"),
    )
    .await;
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(v["failure"]["kind"], "host_refused", "{v}");
    assert_eq!(v["failure"]["retryable"], false, "{v}");
    assert!(v["error"].to_string().contains("401"), "{v}");

    let mut down = TestHost::unix(&fx, "devbox").await;
    write_hosts(&fx, &[(&down, 1)]);
    down.kill();
    let v = call_body(
        &client,
        "codex",
        on("devbox", "@answer x", &fx.work, "review-down-v1"),
    )
    .await;
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(v["failure"]["kind"], "host_unreachable", "{v}");
    assert_eq!(v["failure"]["retryable"], true, "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_on_a_host_is_cancelled_and_stopped_by_its_time_limit() {
    let fx = Fixture::new().await;
    let ws = TestHost::ws(&fx, "lab").await;
    write_hosts(&fx, &[(&ws, 2)]);
    let client = fx.client().await;
    let id = dispatch_running(
        &client,
        on(
            "lab",
            "@shell sleep 3711\n@answer never",
            &fx.work,
            "review-cancel_there-v1",
        ),
    )
    .await;
    let v = call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    assert_eq!(v["status"], "cancelled", "{v}");
    // The turn was interrupted there (the host's Codex ends its command itself, in its own
    // time), and nothing of the task is left here.
    let log = std::fs::read_to_string(fx.task_dir(&id).join("codex-exec.log")).unwrap();
    assert!(log.contains("interrupted"), "{log}");
    let supervisor = read_meta(&fx, &id)["supervisor_pid"].as_i64().unwrap();
    eventually("the supervisor to end", LONG, || process_ended(supervisor)).await;
    assert!(
        read_meta(&fx, &id)["codex_pid"].is_null(),
        "no pid of the host's is recorded"
    );
    let mut timed = on(
        "lab",
        "@shell sleep 3712\n@answer never",
        &fx.work,
        "review-slow_there-v1",
    );
    timed["timeout_seconds"] = json!(3);
    let v = call_body(&client, "codex", timed).await;
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(v["failure"]["kind"], "timeout", "{v}");
    let log = std::fs::read_to_string(
        fx.task_dir("codex-review-slow_there-v1")
            .join("codex-exec.log"),
    )
    .unwrap();
    assert!(log.contains("interrupted"), "{log}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_on_a_host_is_steered_and_its_question_answered_here() {
    let fx = Fixture::new().await;
    let ws = TestHost::ws(&fx, "lab").await;
    write_hosts(&fx, &[(&ws, 2)]);
    let client = fx.client().await;
    let id = dispatch_running(
        &client,
        on(
            "lab",
            "@shell sleep 3\n@answer not steered",
            &fx.work,
            "review-steer_there-v1",
        ),
    )
    .await;
    let r = call_body(
        &client,
        "codex_reply",
        json!({"task_id": id, "prompt": "@answer steered there"}),
    )
    .await;
    assert_eq!(r["delivered"], "steer", "{r}");
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["result"], "steered there", "{done}");

    let file = fx.work.join("asked.txt");
    let mut asking = on(
        "lab",
        &format!("@escalate touch {}\n@answer done", file.display()),
        &fx.work,
        "review-ask_there-v1",
    );
    asking["approval_policy"] = json!("on-request");
    let d = call_body(&client, "codex_dispatch", asking).await;
    let id = d["task_id"].as_str().unwrap().to_string();
    let asked = wait_until(&client, &id, LONG, |v| v["status"] == "input_required").await;
    let q = &asked["input_requests"][0];
    assert!(q["command"].to_string().contains("touch"), "{asked}");
    let (code, out, err) = fx
        .cli(&["approve", &id, "--request", &q["id"].to_string(), "--yes"])
        .await;
    assert_eq!(code, 0, "{out}{err}");
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(file.exists(), "the accepted command ran on the host");
    assert_eq!(done["approvals"][0]["by"], "cli", "{done}");
    client.cancel().await.unwrap();
}

/// The host's command (here the proxy, as ssh would be) is cut mid-turn and comes back within
/// the reconnect window: the task resumes its thread there and completes.
#[tokio::test(flavor = "multi_thread")]
async fn a_connection_cut_and_restored_in_time_lets_the_task_complete() {
    let fx = Fixture::new().await;
    let host = TestHost::unix(&fx, "devbox").await;
    write_hosts(&fx, &[(&host, 2)]);
    let client = fx.client().await;
    let id = dispatch_running(
        &client,
        on(
            "devbox",
            "@shell sleep 4\n@answer survived the cut",
            &fx.work,
            "review-cut-v1",
        ),
    )
    .await;
    // The proxy carrying the session dies; the host's app-server (and the turn) stay.
    let proxies = pids_matching("app-server proxy --sock");
    assert!(!proxies.is_empty());
    for pid in proxies {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"], "survived the cut", "{done}");
    let log = std::fs::read_to_string(fx.task_dir(&id).join("codex-exec.log")).unwrap();
    assert!(log.contains("\"host.reconnected\""), "{log}");
    client.cancel().await.unwrap();
}

/// The host's app-server dies mid-turn and stays down past the window: `host_unreachable`,
/// retryable, the session kept; once it is back, a follow-up resumes the thread there.
#[tokio::test(flavor = "multi_thread")]
async fn a_host_lost_for_good_is_host_unreachable_and_a_follow_up_resumes_there() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_HOST_RECONNECT".into(), "2".into()));
    let mut host = TestHost::unix(&fx, "devbox").await;
    write_hosts(&fx, &[(&host, 2)]);
    let client = fx.client().await;
    let id = dispatch_running(
        &client,
        on(
            "devbox",
            "@shell sleep 3713\n@answer never",
            &fx.work,
            "review-lost-v1",
        ),
    )
    .await;
    host.kill();
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["failure"]["kind"], "host_unreachable", "{done}");
    assert_eq!(done["failure"]["retryable"], true);
    assert!(
        done["error"]
            .to_string()
            .contains("CODEXMCP_HOST_RECONNECT"),
        "{done}"
    );
    let session = done["session_id"]
        .as_str()
        .expect("the session is kept")
        .to_string();
    host.start().await;
    a_follow_up_resumes_there(&client, &id, &session, "devbox").await;
    client.cancel().await.unwrap();
}

/// Twenty tasks over three hosts with `host: "any"` and two places each: each host runs at
/// most two at once, they spread evenly, and all complete.
#[tokio::test(flavor = "multi_thread")]
async fn twenty_tasks_on_any_host_spread_over_three_and_respect_each_hosts_places() {
    let fx = Fixture::new().await;
    let a = TestHost::ws(&fx, "alpha").await;
    let b = TestHost::ws(&fx, "beta").await;
    let c = TestHost::unix(&fx, "gamma").await;
    write_hosts(&fx, &[(&a, 2), (&b, 2), (&c, 2)]);
    let client = std::sync::Arc::new(fx.client().await);
    let mut ids = Vec::new();
    for i in 0..20 {
        let d = call_body(
            &client,
            "codex_dispatch",
            on(
                "any",
                "@shell sleep 1\n@answer placed",
                &fx.work,
                &format!("review-any_{i}-v1"),
            ),
        )
        .await;
        ids.push(d["task_id"].as_str().unwrap().to_string());
    }
    let mut most = std::collections::HashMap::<String, usize>::new();
    let mut placed = std::collections::HashMap::<String, usize>::new();
    // Each look counts the tasks running on each host, until all have ended.
    let all_ended = || {
        let mut running = std::collections::HashMap::<String, usize>::new();
        let mut ended = 0;
        for id in &ids {
            let m = read_meta(&fx, id);
            let status = m["status"].as_str().unwrap_or_default();
            let host = m["launched"]["host"].as_str().unwrap_or_default();
            if status == "running" {
                *running.entry(host.to_string()).or_default() += 1;
            }
            if ["completed", "failed", "cancelled"].contains(&status) {
                ended += 1;
            }
        }
        for (h, n) in running {
            let e = most.entry(h).or_default();
            *e = (*e).max(n);
        }
        ended == ids.len()
    };
    eventually("all twenty to end", Duration::from_secs(240), all_ended).await;
    for id in &ids {
        let v = call_body(&client, "codex_status", json!({"task_id": id})).await;
        assert_eq!(v["status"], "completed", "{v}");
        *placed
            .entry(v["host"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(placed.len(), 3, "{placed:?}");
    assert!(placed.values().all(|n| (6..=7).contains(n)), "{placed:?}");
    assert!(
        most.values().all(|n| *n <= 2),
        "more than two at once on a host: {most:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hosts_lists_each_host_with_its_state_and_doctor_notes_one_that_is_down() {
    let fx = Fixture::new().await;
    let ws = TestHost::ws(&fx, "lab").await;
    let mut down = TestHost::unix(&fx, "devbox").await;
    write_hosts(&fx, &[(&ws, 3), (&down, 1)]);
    down.kill();
    let (code, out, err) = fx.cli(&["hosts", "--json"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let lab = &v["hosts"][0];
    assert_eq!(lab["name"], "lab");
    assert_eq!(lab["max_parallel"], 3);
    assert!(lab["check"]["initialize_ms"].is_number(), "{v}");
    assert!(
        lab["check"]["codex_version"]
            .as_str()
            .unwrap()
            .starts_with("0.1"),
        "{v}"
    );
    assert_eq!(lab["check"]["sandbox_ok"], true, "{v}");
    assert!(
        !out.contains("token-of-lab"),
        "the token is never shown: {out}"
    );
    let devbox = &v["hosts"][1];
    assert!(devbox["check"]["error"].is_string(), "{v}");
    let (_, text, _) = fx.cli(&["hosts"]).await;
    assert!(
        text.contains("lab") && text.contains("answers in"),
        "{text}"
    );
    let (code, out, _) = fx.cli(&["doctor", "--json"]).await;
    let checks: Value = serde_json::from_str(&out).unwrap();
    let host = |name: &str| {
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == format!("host {name}"))
            .cloned()
            .unwrap_or_else(|| panic!("no check of {name}: {checks}"))
    };
    assert_eq!(host("lab")["status"], "ok", "{checks}");
    assert_eq!(
        host("devbox")["status"],
        "note",
        "a host down is a note: {checks}"
    );
    // Whether doctor passes is this machine's business (its Codex login here); a host down
    // never fails it.
    let failing: Vec<&Value> = checks
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert!(
        failing
            .iter()
            .all(|c| !c["check"].to_string().contains("host")),
        "{failing:?}"
    );
    let _ = code;
}

/// A full-access task on a host works in a worktree made there beside the repository, on its
/// `agent/…` branch; the result names the host, the worktree and the branch, and how to bring
/// the work home; the person's checkout there is not touched, and `land` says how instead.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_access_task_on_a_host_works_in_a_worktree_made_there() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("a.txt", "a\n")]);
    let host = TestHost::unix(&fx, "devbox").await;
    write_hosts(&fx, &[(&host, 2)]);
    let client = fx.client().await;
    let mut t = full_task(
        "@shell printf 'new\\n' > b.txt && git add b.txt && git -c user.name=t -c user.email=t@t commit -qm b\n@answer committed there",
        &fx.work,
        "implement-there-v1",
    );
    t["host"] = json!("devbox");
    let v = call_body(&client, "codex", t).await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["host"], "devbox");
    let wt = fx.work.parent().unwrap().join("work-agent-implement-there");
    assert_eq!(v["worktree_dir"], wt.display().to_string(), "{v}");
    assert_eq!(v["agent_branch"], "agent/implement-there");
    assert_eq!(v["commits_ahead"], 1, "{v}");
    assert!(wt.join("b.txt").exists());
    assert!(
        !fx.work.join("b.txt").exists(),
        "the person's checkout is untouched"
    );
    // Reached by a command that is no ssh: the branch is pushed from there.
    let push = "git -C ";
    assert!(v["next_steps"].to_string().contains(push), "{v}");
    let landed = call(&client, "codex_land", json!({"task_id": v["task_id"]})).await;
    assert_eq!(landed.is_error, Some(true));
    assert!(format!("{landed:?}").contains(push), "{landed:?}");
    client.cancel().await.unwrap();
}

/// A host reached through a real sshd on 127.0.0.1: `ssh … codex app-server proxy` carries the
/// session; a read-only task and a full-access one run there, and the full-access result says
/// how to fetch the branch over ssh.
#[tokio::test(flavor = "multi_thread")]
async fn a_host_reached_over_ssh_runs_tasks_and_says_how_to_fetch_the_work() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("a.txt", "a\n")]);
    let sshd = crate::support::hosts::TestSshd::start(&fx).await;
    let host = TestHost::unix(&fx, "devbox").await;
    write_hosts_text(
        &fx,
        &crate::support::hosts::command_entry("devbox", &sshd.command_for(&host), 2),
    );
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        on("devbox", "@answer over ssh", &fx.work, "review-ssh-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "over ssh");
    let mut t = full_task(
        "@shell printf 'x\\n' > s.txt && git add s.txt && git -c user.name=t -c user.email=t@t commit -qm s\n@answer done",
        &fx.work,
        "implement-by_ssh-v1",
    );
    t["host"] = json!("devbox");
    let v = call_body(&client, "codex", t).await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["commits_ahead"], 1, "{v}");
    let steps = v["next_steps"].as_str().unwrap();
    let fetch = format!("git fetch ssh://127.0.0.1:{}", sshd.port);
    assert!(steps.contains(&fetch), "{steps}");
    let (code, out, _) = fx.cli(&["hosts", "--json"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("initialize_ms"), "{out}");
    client.cancel().await.unwrap();
}

/// A Kubernetes pod (or a container) is a host whose command is `kubectl exec -i POD -- codex
/// app-server proxy` (`docker exec -i C …`): with no cluster here, a stand-in `kubectl` that
/// checks the shape and runs what follows `--` carries the session.
#[tokio::test(flavor = "multi_thread")]
async fn a_pod_is_a_host_reached_by_kubectl_exec() {
    let mut fx = Fixture::new().await;
    let host = TestHost::unix(&fx, "pod").await;
    let bin = fx.tmp.path().join("standin-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let seen = fx.tmp.path().join("kubectl-args");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> {seen}\n[ \"$1 $2\" = \"exec -i\" ] || exit 64\n\
         while [ \"$1\" != \"--\" ]; do shift; done\nshift\nexec \"$@\"\n",
        seen = seen.display()
    );
    std::fs::write(bin.join("kubectl"), script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("kubectl"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    fx.extra_env.push(("PATH".into(), path));
    let crate::support::hosts::Reach::Unix { sock } = &host.reach else {
        unreachable!()
    };
    let argv: Vec<String> = ["kubectl", "exec", "-i", "codex-0", "--"]
        .iter()
        .map(|s| s.to_string())
        .chain([
            codex_bin().display().to_string(),
            "app-server".into(),
            "proxy".into(),
            "--sock".into(),
            sock.display().to_string(),
        ])
        .collect();
    write_hosts_text(&fx, &crate::support::hosts::command_entry("pod", &argv, 1));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        on("pod", "@answer from the pod", &fx.work, "review-pod-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "from the pod");
    let args = std::fs::read_to_string(&seen).unwrap();
    assert!(args.starts_with("exec -i codex-0 -- "), "{args}");
    client.cancel().await.unwrap();
}

/// The supervisor of a host's task dies (a crash, a kill): the task is finalized as any task
/// here is — `interrupted`, retryable, its session kept — and a follow-up resumes the thread on
/// the host.
#[tokio::test(flavor = "multi_thread")]
async fn a_host_task_whose_supervisor_dies_ends_truthfully_and_resumes_there() {
    let fx = Fixture::new().await;
    let host = TestHost::ws(&fx, "lab").await;
    write_hosts(&fx, &[(&host, 2)]);
    let client = fx.client().await;
    let id = dispatch_running(
        &client,
        on(
            "lab",
            "@shell sleep 3714\n@answer never",
            &fx.work,
            "review-orphan_there-v1",
        ),
    )
    .await;
    let supervisor = read_meta(&fx, &id)["supervisor_pid"].as_i64().unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(supervisor as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    eventually("the supervisor to end", LONG, || process_ended(supervisor)).await;
    let v = wait_final(&client, &id, LONG).await;
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(v["failure"]["kind"], "interrupted", "{v}");
    assert_eq!(v["failure"]["retryable"], true);
    let session = v["session_id"]
        .as_str()
        .expect("the session is kept")
        .to_string();
    a_follow_up_resumes_there(&client, &id, &session, "lab").await;
    client.cancel().await.unwrap();
}
