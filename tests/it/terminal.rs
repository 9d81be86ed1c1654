//! The person's first ten minutes at the terminal: commands that speak the command line's
//! language, JSON that parses, usage errors that exit 2, and work that is easy to find.

use std::time::Duration;

use serde_json::Value;

use crate::support::*;

fn parses(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_detached_runs_in_a_loop_start_twenty_tasks() {
    let fx = Fixture::new().await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let (code, out, err) = fx.cli(&["run", "--detach", &format!("@answer {n}")]).await;
        assert_eq!(code, 0, "run {n}: {err}");
        assert!(err.contains("codex-mcp logs -f"), "{err}");
        ids.push(out.trim().to_string());
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 20, "{ids:?}");
    let (code, out, err) = fx.cli(&["wait", "--timeout", "120"]).await;
    assert_eq!(code, 2, "wait needs ids: {out}{err}");
    let mut args = vec!["wait", "--timeout", "120"];
    args.extend(ids.iter().map(String::as_str));
    let (code, out, err) = fx.cli(&args).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().count(), 20, "one line a task:\n{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_json_output_is_one_document_and_usage_errors_exit_2() {
    let fx = Fixture::new().await;
    let (code, out, _) = fx.cli(&["doctor", "--json", "--smoke"]).await;
    let v = parses(&out);
    assert!(
        v["checks"].is_array() && v["smoke"]["steps"].is_array(),
        "{v}"
    );
    assert_eq!(v["smoke"]["passed"], true, "{v}");
    assert!(code == 0 || code == 1);
    let (_, out, _) = fx.cli(&["doctor", "--json"]).await;
    assert!(parses(&out).is_array());
    let (_, out, _) = fx.cli(&["gc", "--json", "--dry-run"]).await;
    assert!(parses(&out).is_array());
    let (code, out, _) = fx
        .cli(&["run", "--detach", "--topic", "ask-json-v1", "@answer j"])
        .await;
    assert_eq!(code, 0);
    let id = out.trim().to_string();
    let (_, out, _) = fx.cli(&["wait", "--json", &id]).await;
    assert_eq!(parses(&out)["tasks"][0]["status"], "completed");
    let (_, out, _) = fx.cli(&["cancel", "--json", &id]).await;
    assert_eq!(parses(&out)[0]["cancelled"], false);

    // Usage errors, refused before anything starts, exit 2 and speak of flags.
    for args in [
        vec!["run", "--timeout", "0", "x"],
        vec!["run", "--topic", "not a topic", "x"],
        vec!["list", "-n", "0"],
    ] {
        let (code, _, err) = fx.cli(&args).await;
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            !err.contains("timeout_seconds") && !err.contains("codex_status"),
            "{err}"
        );
    }
    let (_, _, err) = fx.cli(&["run", "--timeout", "0", "x"]).await;
    assert!(err.contains("--timeout"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_are_named_by_topic_and_hints_name_commands() {
    let fx = Fixture::new().await;
    let (code, _, err) = fx
        .cli(&["run", "--topic", "review-auth-v1", "@answer fine"])
        .await;
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = fx.cli(&["show", "review-auth-v1"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("codex-review-auth-v1"), "{out}");
    let (code, _, err) = fx.cli(&["show", "review-nothing-v1"]).await;
    assert_eq!(code, 2);
    // The suggestion names a task that exists, never the one that was not found.
    assert!(err.contains("did you mean codex-review-auth-v1"), "{err}");
    assert!(
        !err.contains("did you mean codex-review-nothing-v1"),
        "{err}"
    );
    // A busy topic's hint is a command, and follows it.
    let (_, id, _) = fx
        .cli(&[
            "run",
            "--detach",
            "--topic",
            "review-busy-v1",
            "@shell sleep 3371\n@answer x",
        ])
        .await;
    let (code, _, err) = fx
        .cli(&["run", "--topic", "review-busy-v1", "@answer again"])
        .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("codex-mcp logs -f") && err.contains("codex-mcp cancel"),
        "{err}"
    );
    assert!(!err.contains("codex_status"), "{err}");
    let (code, _, _) = fx.cli(&["cancel", "review-busy-v1"]).await;
    assert_eq!(code, 0);
    let (_, out, _) = fx.cli(&["show", "--json", id.trim()]).await;
    assert_eq!(parses(&out)["status"], "cancelled");
    // A follow-up from the terminal: --session continues the conversation.
    let (_, out, _) = fx.cli(&["show", "--json", "review-auth-v1"]).await;
    let session = parses(&out)["session_id"].as_str().unwrap().to_string();
    let (code, _, err) = fx
        .cli(&[
            "run",
            "--topic",
            "review-auth-v2",
            "--session",
            &session,
            "--retries",
            "1",
            "--effort",
            "low",
            "@answer again",
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = fx.cli(&["show", "--json", "review-auth-v2"]).await;
    let v = parses(&out);
    assert_eq!(v["session_id"], session.as_str());
    assert_eq!(v["reasoning_effort"], "low");
}

#[tokio::test(flavor = "multi_thread")]
async fn full_access_runs_end_with_where_the_work_is_and_finished_tasks_offer_no_session() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let prompt = "@shell echo x > x.txt && git add x.txt && git -c user.name=t -c user.email=t@example.invalid commit -qm x\n@answer made x";
    let (code, out, err) = fx
        .cli(&[
            "run",
            "--sandbox",
            "full-access",
            "--topic",
            "implement-x-v1",
            prompt,
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "made x");
    for needle in [
        "worktree",
        "agent/implement-x (1 commit ahead of main)",
        "x.txt",
        "codex-mcp review --task codex-implement-x-v1",
        "codex-mcp land codex-implement-x-v1",
        "git diff main...agent/implement-x",
        "codex-mcp show codex-implement-x-v1",
    ] {
        assert!(err.contains(needle), "{needle} missing:\n{err}");
    }
    // `git merge` is not advised by hand: `land` does it, and says what it did.
    assert!(!err.contains("git merge"), "{err}");
    let (_, out, _) = fx.cli(&["show", "--json", "implement-x-v1"]).await;
    let v = parses(&out);
    assert!(
        v.get("attach_command").is_none() && v.get("tmux_session").is_none(),
        "{v}"
    );
    // attach without a terminal says so and follows the log.
    let (_, id, _) = fx
        .cli(&[
            "run",
            "--detach",
            "--sandbox",
            "full-access",
            "--topic",
            "implement-y-v1",
            "@shell sleep 2\n@answer y",
        ])
        .await;
    // Attached to once Codex runs in its session.
    let progress = fx.task_dir(id.trim()).join("progress.json");
    eventually("the task's command", Duration::from_secs(30), || {
        std::fs::read_to_string(&progress).is_ok_and(|p| p.contains("running_command"))
    })
    .await;
    let (code, _, err) = fx.cli(&["attach", id.trim()]).await;
    assert!(
        err.contains("no terminal")
            && err.contains("tmux -L codex-mcp attach -t =codex-implement-y-v1"),
        "{err}"
    );
    assert_eq!(code, 0, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_does_not_call_a_codex_that_is_not_installed_logged_out() {
    let mut fx = Fixture::new().await;
    std::fs::write(fx.codex_home.join("config.toml"), "").unwrap();
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), "/nonexistent/codex".into()));
    let (_, out, _) = fx.cli(&["doctor", "--json"]).await;
    let checks = parses(&out);
    let login = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "login")
        .unwrap()
        .clone();
    assert_ne!(login["status"], "fail", "{login}");
    assert!(!login.to_string().contains("not logged in"), "{login}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_settings_are_said_by_doctor_and_in_each_tasks_warnings() {
    let mut fx = Fixture::new().await;
    for (k, v) in [
        ("CODEXMCP_MAX_PARALLEL", "abc"),
        ("CODEXMCP_MAX_RESULT_CHARS", "100"),
        ("CODEXMCP_NOTIFY", "/nonexistent/notify-me"),
        ("CODEXMCP_MAX_PARALEL", "4"),
    ] {
        fx.extra_env.push((k.into(), v.into()));
    }
    let (code, out, _) = fx.cli(&["doctor", "--json"]).await;
    assert_eq!(code, 1);
    let settings = parses(&out)
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "settings")
        .unwrap()
        .to_string();
    for needle in [
        "CODEXMCP_MAX_PARALLEL=abc",
        "CODEXMCP_MAX_RESULT_CHARS=100",
        "/nonexistent/notify-me",
        "CODEXMCP_MAX_PARALEL is not a setting",
    ] {
        assert!(settings.contains(needle), "{needle}: {settings}");
    }
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer ok", &fx.work, "ask-settings-v1"),
    )
    .await;
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("CODEXMCP_MAX_PARALLEL=abc"), "{warnings}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_say_things_once_and_exactly() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    // No `null` among the values offered; ASCII where ASCII is meant.
    let mut args = task("x", &fx.work, "ask-words-v1");
    args["reasoning_effort"] = "huge".into();
    let r = call(&client, "codex", args).await;
    let said = error_text(&r);
    assert!(
        said.contains("xhigh") && !said.contains("minimal") && !said.contains("null"),
        "{said}"
    );
    let r = call(&client, "codex", task("x", &fx.work, "ask-wörds-v1")).await;
    assert!(error_text(&r).contains("ASCII"), "{}", error_text(&r));
    // A failed run: its error once, without Codex's unrelated stderr lines or an empty label.
    let v = call_body(
        &client,
        "codex",
        task("@status 400 bad input", &fx.work, "ask-words-v2"),
    )
    .await;
    let error = v["error"].as_str().unwrap();
    let detail = v["failure"]["detail"].as_str().unwrap_or_default();
    assert!(!detail.contains("bad input"), "{detail}");
    assert!(
        !detail.contains("PATH aliases") && !error.contains("PATH aliases"),
        "{v}"
    );
    assert!(!error.trim_end().ends_with("ends with:"), "{error}");
    client.cancel().await.unwrap();
    // doctor says the fix once.
    let mut fx = fx;
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), "/nonexistent/codex".into()));
    let (_, out, _) = fx.cli(&["doctor"]).await;
    let line = out.lines().find(|l| l.contains(" codex ")).unwrap();
    assert_eq!(
        line.matches("npm install -g @openai/codex").count(),
        1,
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_run_has_one_log_link_of_its_own() {
    let fx = Fixture::new().await;
    for n in 1..=2 {
        let (code, _, err) = fx
            .cli(&[
                "run",
                "--topic",
                "review-twice-v1",
                &format!("@answer run {n}"),
            ])
            .await;
        assert_eq!(code, 0, "{err}");
    }
    let links = fx.work.join(".codex-tasks");
    let target = |name: &str| std::fs::read_link(links.join(name)).unwrap();
    assert_eq!(
        target("review-twice-v1"),
        fx.task_dir("codex-review-twice-v1")
    );
    assert_eq!(
        target("review-twice-v1-r2"),
        fx.task_dir("codex-review-twice-v1-r2")
    );
    let names: Vec<_> = std::fs::read_dir(&links)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "one link per run, no twin: {names:?}");
    let first = std::fs::read_to_string(links.join("review-twice-v1/codex-exec.log")).unwrap();
    assert!(first.contains("run 1"), "{first}");
    // Outside git nothing excludes the folder: doctor says so.
    let (_, out, _) = fx.cli(&["doctor"]).await;
    assert!(
        out.contains(".codex-tasks") && out.contains("not a git repository"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_terminal_or_a_term_leaves_the_run_going() {
    let fx = Fixture::new().await;
    for (signal, topic) in [
        (nix::sys::signal::Signal::SIGHUP, "review-hup-v1"),
        (nix::sys::signal::Signal::SIGTERM, "review-term-v1"),
    ] {
        let mut run = tokio::process::Command::from(fx.cli_command(&[
            "run",
            "--topic",
            topic,
            "@shell sleep 3381\n@answer x",
        ]))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
        let id = format!("codex-{topic}");
        let start = std::time::Instant::now();
        while !std::fs::read_to_string(fx.task_dir(&id).join("progress.json"))
            .is_ok_and(|p| p.contains("running_command"))
        {
            assert!(start.elapsed() < Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let pid = nix::unistd::Pid::from_raw(run.id().unwrap() as i32);
        nix::sys::signal::kill(pid, signal).unwrap();
        tokio::time::timeout(Duration::from_secs(10), run.wait())
            .await
            .expect("the run did not end on the signal")
            .unwrap();
        // The run is gone; the task it started is not: its supervisor and Codex's command
        // still run.
        let (_, out, _) = fx.cli(&["show", "--json", &id]).await;
        assert_eq!(parses(&out)["status"], "running", "{signal}: {out}");
        let supervisor = read_meta(&fx, &id)["supervisor_pid"].as_i64().unwrap();
        assert!(!process_ended(supervisor), "{signal}: the supervisor ended");
        assert!(
            !pids_matching("sleep 3381").is_empty(),
            "{signal}: the command ended"
        );
        let (code, _, _) = fx.cli(&["cancel", &id]).await;
        assert_eq!(code, 0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_the_server_says_what_it_is_and_wait_says_when_it_timed_out() {
    let fx = Fixture::new().await;
    // The bare command, typed in a terminal (a tmux pane), as a new user does.
    let ok = fx
        .person_tmux()
        .args(["new-session", "-d", "-s", "bare", "-x", "200", "-y", "20"])
        .arg(env!("CARGO_BIN_EXE_codex-mcp"))
        .status()
        .unwrap();
    assert!(ok.success());
    let start = std::time::Instant::now();
    let screen = loop {
        let out = fx
            .person_tmux()
            .args(["capture-pane", "-p", "-t", "=bare:"])
            .output()
            .unwrap();
        let screen = String::from_utf8_lossy(&out.stdout).into_owned();
        if screen.contains("MCP server") || start.elapsed() > Duration::from_secs(10) {
            break screen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(screen.contains("codex-mcp install claude"), "{screen}");
    assert!(fx.person_has_session("bare"), "it stopped serving");

    let (_, id, _) = fx
        .cli(&["run", "--detach", "@shell sleep 3391\n@answer x"])
        .await;
    let (code, _, err) = fx.cli(&["wait", "--timeout", "1", id.trim()]).await;
    assert_eq!(code, 3);
    assert!(err.contains("timed out after 1 s"), "{err}");
    fx.cli(&["cancel", id.trim()]).await;
}
