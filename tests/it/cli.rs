//! The person's command line: the same engine and store as the servers, readable output, and
//! `--json` with the fields `codex_status` gives.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn help_version_and_usage_errors() {
    let fx = Fixture::new().await;
    let (code, out, _) = fx.cli(&["--version"]).await;
    assert_eq!(
        (code, out.trim()),
        (
            0,
            format!("codex-mcp {}", env!("CARGO_PKG_VERSION")).as_str()
        )
    );
    for sub in [
        "run",
        "list",
        "show",
        "logs",
        "attach",
        "cancel",
        "wait",
        "gc",
        "doctor",
        "events",
        "completions",
        "serve",
        "install",
        "uninstall",
    ] {
        let (code, out, _) = fx.cli(&[sub, "--help"]).await;
        assert_eq!(code, 0, "{sub} --help");
        assert!(
            out.contains("Example"),
            "{sub} --help has no example:\n{out}"
        );
    }
    let (code, _, err) = fx.cli(&["frobnicate"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("frobnicate") && err.contains("Usage"), "{err}");
    let (code, out, _) = fx.cli(&["completions", "bash"]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("codex-mcp") && out.contains("complete"),
        "{out}"
    );
    for shell in ["zsh", "fish"] {
        assert_eq!(fx.cli(&["completions", shell]).await.0, 0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn run_prints_the_feed_then_the_answer_and_exits_by_the_outcome() {
    let fx = Fixture::new().await;
    let (code, out, err) = fx
        .cli(&["run", "@shell echo from-the-shell\n@answer The answer."])
        .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "The answer.\n", "the answer alone goes to stdout");
    assert!(
        err.contains("$ ") && err.contains("from-the-shell"),
        "the feed: {err}"
    );
    let id = err
        .lines()
        .next()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    assert!(
        id.starts_with("codex-run-") && id.ends_with("-v1"),
        "the default topic is run-<timestamp>-v1: {id}"
    );
    // The same task, seen by a server.
    let client = fx.client().await;
    let v = call_body(&client, "codex_status", serde_json::json!({"task_id": id})).await;
    assert_eq!(v["result"], "The answer.");
    assert_eq!(v["cwd"], fx.work.display().to_string());
    client.cancel().await.unwrap();

    let (code, _, err) = fx
        .cli(&["run", "--topic", "review-fails-v1", "@fail"])
        .await;
    assert_eq!(code, 1);
    assert!(err.contains("failed"), "{err}");

    let (code, out, _) = fx
        .cli_with_stdin(
            &["run", "--json", "--topic", "review-stdin-v1", "-"],
            "@answer from stdin",
        )
        .await;
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(
        (v["status"].as_str(), v["result"].as_str()),
        (Some("completed"), Some("from stdin"))
    );

    let (code, out, _) = fx
        .cli(&[
            "run",
            "--detach",
            "--topic",
            "review-detached-v1",
            "@delay_ms 1500\n@answer later",
        ])
        .await;
    assert_eq!((code, out.trim()), (0, "codex-review-detached-v1"));
    let (code, out, _) = fx.cli(&["wait", "codex-review-detached-v1"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("completed") && out.contains("later"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_cancels_the_run_and_leaves_no_process() {
    let fx = Fixture::new().await;
    let mut cmd = tokio::process::Command::from(fx.cli_command(&[
        "run",
        "--topic",
        "review-interrupt-v1",
        "@shell sleep 3095\n@answer never",
    ]));
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    // (The run's own command line holds the prompt, so the task's phase tells when the
    // command runs, not a process listing.)
    let t0 = Instant::now();
    loop {
        let (_, out, _) = fx
            .cli(&["show", "--json", "codex-review-interrupt-v1"])
            .await;
        if out.contains("running_command") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the command never ran"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id().unwrap() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(130));
    let (_, out, _) = fx
        .cli(&["show", "--json", "codex-review-interrupt-v1"])
        .await;
    let v = json(&out);
    assert_eq!(v["status"], "cancelled", "{v}");
    assert_eq!(v["ended_by"], "cli");
    assert!(
        pids_matching("sleep 3095").is_empty(),
        "the command survived: {:?}",
        pids_matching("sleep 3095")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_and_show_read_like_a_person_wants_or_as_json() {
    let fx = Fixture::new().await;
    let other = fx.tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    assert_eq!(
        fx.cli(&["run", "--topic", "review-one-v1", "@answer one"])
            .await
            .0,
        0
    );
    assert_eq!(
        fx.cli(&["run", "--topic", "review-two-v1", "@fail"])
            .await
            .0,
        1
    );
    let other_cwd = other.display().to_string();
    assert_eq!(
        fx.cli(&[
            "run",
            "--cwd",
            &other_cwd,
            "--topic",
            "review-three-v1",
            "@answer three"
        ])
        .await
        .0,
        0
    );
    let (code, out, _) = fx.cli(&["list"]).await;
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("TOKENS") && lines[0].contains("CWD"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("codex-review-three-v1"),
        "newest first: {out}"
    );
    assert!(
        lines[2].contains("failed") && lines[3].contains("completed"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "no colours off a terminal");
    let (_, out, _) = fx.cli(&["list", "--status", "failed"]).await;
    assert!(
        out.contains("review-two-v1") && !out.contains("review-one-v1"),
        "{out}"
    );
    let (_, out, _) = fx.cli(&["list", "--cwd", &other_cwd, "--json"]).await;
    let v = json(&out);
    assert_eq!(v["shown"], 1);
    assert_eq!(v["tasks"][0]["task_id"], "codex-review-three-v1");
    let (_, out, _) = fx.cli(&["list", "-n", "1", "--json"]).await;
    assert_eq!(json(&out)["shown"], 1);

    let (code, out, _) = fx.cli(&["show", "codex-review-one-v1"]).await;
    assert_eq!(code, 0);
    for word in [
        "codex-review-one-v1",
        "completed",
        "usage",
        "read-only",
        "answer",
        "one",
    ] {
        assert!(out.contains(word), "show lacks {word}:\n{out}");
    }
    let (_, out, _) = fx.cli(&["show", "--json", "codex-review-two-v1"]).await;
    let v = json(&out);
    assert!(v["failure"]["kind"].as_str().is_some(), "{v}");
    let (code, _, err) = fx.cli(&["show", "codex-nothing-v1"]).await;
    assert_eq!(code, 2, "a task that is not there is a usage error");
    assert!(err.contains("no task"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_read_like_a_story_raw_is_the_jsonl_and_follow_waits_for_the_end() {
    let fx = Fixture::new().await;
    fx.use_bundled_model();
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let (code, _, err) = fx
        .cli(&[
            "run",
            "--sandbox",
            "full-access",
            "--topic",
            "implement-story-v1",
            "@say Looking around first.\n@shell echo line-one && echo line-two\n@add_file notes.txt written\n@answer All done.",
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = fx.cli(&["logs", "codex-implement-story-v1"]).await;
    assert_eq!(code, 0);
    for piece in [
        "» Looking around first.",
        "$ ",
        "↳ exit 0",
        "│ line-two",
        "✎ add",
        "notes.txt",
        "» All done.",
        "✔ turn completed · tokens",
    ] {
        assert!(out.contains(piece), "the log lacks {piece:?}:\n{out}");
    }
    let (_, raw, _) = fx.cli(&["logs", "--raw", "codex-implement-story-v1"]).await;
    let log = std::fs::read_to_string(
        fx.task_dir("codex-implement-story-v1")
            .join("codex-exec.log"),
    )
    .unwrap();
    assert_eq!(raw, log, "--raw is the JSONL as it is");

    let (_, out, _) = fx
        .cli(&[
            "run",
            "--detach",
            "--topic",
            "review-followed-v1",
            "@shell sleep 2\n@answer followed",
        ])
        .await;
    let t0 = Instant::now();
    let (code, out, _) = fx.cli(&["logs", "-f", out.trim()]).await;
    assert!(
        t0.elapsed() >= Duration::from_secs(1),
        "-f returned before the end"
    );
    assert_eq!(code, 0);
    assert!(out.contains("» followed"), "{out}");
    // attach on a read-only task follows its log, too.
    let (code, out, _) = fx.cli(&["attach", "codex-review-followed-v1"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("» followed"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_leaves_no_process_and_wait_reports_how_tasks_ended() {
    let fx = Fixture::new().await;
    let (_, out, _) = fx
        .cli(&[
            "run",
            "--detach",
            "--topic",
            "review-long-v1",
            "@shell sleep 3096\n@answer never",
        ])
        .await;
    let long = out.trim().to_string();
    let (_, out, _) = fx
        .cli(&[
            "run",
            "--detach",
            "--topic",
            "review-short-v1",
            "@answer short",
        ])
        .await;
    let short = out.trim().to_string();
    // The time runs out: exit status 3, the running task said as running.
    let (code, out, _) = fx.cli(&["wait", "--timeout", "2", &short, &long]).await;
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("running") && out.contains("completed"),
        "{out}"
    );
    let t0 = Instant::now();
    while !fx
        .cli(&["show", "--json", &long])
        .await
        .1
        .contains("running_command")
    {
        assert!(t0.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, out, _) = fx.cli(&["cancel", &long, &short]).await;
    assert_eq!(code, 0);
    assert!(out.contains(&format!("cancelled {long}")), "{out}");
    assert!(out.contains("had already ended (completed)"), "{out}");
    assert!(
        pids_matching("sleep 3096").is_empty(),
        "the command survived the cancel"
    );
    let (code, out, _) = fx.cli(&["wait", "--json", &long, &short]).await;
    assert_eq!(code, 1, "a cancelled task is not a completed one");
    let v = json(&out);
    assert_eq!(v["tasks"][0]["ended_by"], "cli");
    assert_eq!(v["tasks"][1]["result"], "short");
    let (code, _, err) = fx.cli(&["cancel", "codex-nothing-v1"]).await;
    assert_eq!(code, 2, "a task that is not there is a usage error");
    assert!(err.contains("no task"), "{err}");
}

/// A folder of links to the programs the doctor needs, but not to `without`.
fn path_without(fx: &Fixture, without: &str) -> String {
    let bin = fx.tmp.path().join(format!("bin-without-{without}"));
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["node", "git", "tmux", "sh"] {
        if tool == without {
            continue;
        }
        let found = std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .map(|d| d.join(tool))
            .find(|p| p.exists());
        if let Some(p) = found {
            std::os::unix::fs::symlink(p, bin.join(tool)).unwrap();
        }
    }
    bin.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_explains_what_is_missing_and_its_smoke_test_runs_offline() {
    let mut fx = Fixture::new().await;
    let (code, out, _) = fx.cli(&["doctor"]).await;
    assert_eq!(code, 0, "{out}");
    for check in [
        "codex", "login", "git", "tmux", "store", "sandbox", "claude", "cursor",
    ] {
        assert!(
            out.lines()
                .any(|l| l[l.find(' ').unwrap() + 1..].starts_with(check)),
            "no {check} line:\n{out}"
        );
    }
    let (_, out, _) = fx.cli(&["doctor", "--json"]).await;
    let checks = json(&out);
    assert!(
        checks
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] != "fail"),
        "{checks}"
    );

    let t0 = Instant::now();
    let (code, out, err) = fx.cli(&["doctor", "--smoke"]).await;
    assert_eq!(code, 0, "{out}{err}");
    for step in [
        "read-only task",
        "full-access task",
        "cleaned up",
        "smoke test passed",
    ] {
        assert!(out.contains(step), "{step}:\n{out}");
    }
    eprintln!("measured: doctor --smoke {:?}", t0.elapsed());
    assert!(
        !std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .flatten()
            .any(
                |e| e.file_name().to_string_lossy().contains("codex-mcp-smoke-")
                    && e.metadata()
                        .is_ok_and(|m| m.modified().unwrap().elapsed().unwrap() < t0.elapsed())
            ),
        "the smoke test left its folder"
    );

    // codex missing: said, with the fix, and a failing exit status.
    fx.extra_env.push((CODEX_BIN_VAR.into(), String::new()));
    fx.extra_env
        .push(("PATH".into(), path_without(&fx, "codex")));
    let (code, out, _) = fx.cli(&["doctor"]).await;
    assert_eq!(code, 1, "{out}");
    let check = |name: &str| {
        out.lines()
            .find(|l| l.chars().skip(2).collect::<String>().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line:\n{out}"))
            .to_string()
    };
    let line = check("codex");
    assert!(
        line.starts_with('✘') && line.contains("npm install -g @openai/codex"),
        "{out}"
    );

    // tmux missing: full-access tasks cannot run.
    fx.extra_env
        .retain(|(k, _)| k != CODEX_BIN_VAR && k != "PATH");
    fx.extra_env
        .push(("PATH".into(), path_without(&fx, "tmux")));
    let (code, out, _) = fx.cli(&["doctor"]).await;
    assert_eq!(code, 1, "{out}");
    let line = out
        .lines()
        .find(|l| l.chars().skip(2).collect::<String>().starts_with("tmux"))
        .unwrap();
    assert!(
        line.starts_with('✘') && line.contains("full-access"),
        "{out}"
    );
    assert!(!out.contains("✘ sandbox"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_notify_program_receives_the_ended_task_as_json() {
    let mut fx = Fixture::new().await;
    let got = fx.tmp.path().join("notified.json");
    let script = fx.tmp.path().join("notify.sh");
    std::fs::write(&script, format!("#!/bin/sh\ncat >> {}\n", got.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    fx.extra_env.push((
        "CODEXMCP_NOTIFY".into(),
        format!("[\"{}\"]", script.display()),
    ));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer ping", &fx.work, "review-notify-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed");
    // Notified by the supervisor as it ends: once it is gone, nothing more can come.
    let supervisor = read_meta(&fx, "codex-review-notify-v1")["supervisor_pid"]
        .as_i64()
        .unwrap();
    eventually("the notify program's line", Duration::from_secs(10), || {
        std::fs::read_to_string(&got).is_ok_and(|l| l.ends_with('\n')) && process_ended(supervisor)
    })
    .await;
    let lines = std::fs::read_to_string(&got).unwrap();
    let n = json(lines.lines().next().unwrap());
    assert_eq!(n["task_id"], "codex-review-notify-v1");
    assert_eq!(n["status"], "completed");
    assert_eq!(n["topic"], "review-notify-v1");
    assert_eq!(n["cwd"], fx.work.display().to_string());
    assert_eq!(n["summary"], "ping");
    assert_eq!(lines.lines().count(), 1, "notified once: {lines}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn events_from_two_servers_interleave_and_none_is_lost() {
    let fx = Fixture::new().await;
    let a = std::sync::Arc::new(fx.client().await);
    let b = std::sync::Arc::new(fx.client().await);
    let mut calls = Vec::new();
    for i in 0..12 {
        let client = if i % 2 == 0 { a.clone() } else { b.clone() };
        let args = task(
            &format!("@answer {i}"),
            &fx.work,
            &format!("review-ev_{i}-v1"),
        );
        calls.push(tokio::spawn(async move {
            call_body(&client, "codex", args).await
        }));
    }
    for c in calls {
        assert_eq!(c.await.unwrap()["status"], "completed");
    }
    let (code, out, _) = fx.cli(&["events", "--json"]).await;
    assert_eq!(code, 0);
    let events: Vec<Value> = out.lines().map(json).collect();
    for i in 0..12 {
        let id = format!("codex-review-ev_{i}-v1");
        let mine: Vec<&Value> = events.iter().filter(|e| e["task_id"] == id).collect();
        assert_eq!(mine.first().unwrap()["cause"], "start", "{mine:?}");
        let last = mine.last().unwrap();
        assert_eq!(
            (last["to"].as_str(), last["cause"].as_str()),
            (Some("completed"), Some("codex")),
            "{mine:?}"
        );
    }
    let (_, readable, _) = fx.cli(&["events"]).await;
    assert!(
        readable.contains("running → completed  (codex)"),
        "{readable}"
    );
    assert!(readable.lines().count() >= 24);

    // -f goes on printing what happens next.
    let mut follower = tokio::process::Command::from(fx.cli_command(&["events", "-f"]));
    follower
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut follower = follower.spawn().unwrap();
    let seen = Gathered::from(follower.stdout.take().unwrap());
    let v = call_body(
        &a,
        "codex",
        task("@answer later", &fx.work, "review-ev_late-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed");
    eventually(
        "events -f printing the new task's end",
        Duration::from_secs(10),
        || {
            seen.text()
                .contains("codex-review-ev_late-v1  running → completed")
        },
    )
    .await;
    follower.start_kill().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn gc_removes_only_what_holds_no_work_of_its_own() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let commit = |file: &str| {
        format!(
            "@shell printf '{file}\\n' > {file}.txt && git add {file}.txt && git -c user.name=t -c user.email=t@example.invalid commit -qm {file}\n@answer {file}"
        )
    };
    let kinds = [
        ("merged", commit("merged")),
        ("squashed", commit("squashed")),
        ("unmerged", commit("unmerged")),
        (
            "dirty",
            "@shell printf 'wip\\n' > wip.txt\n@answer dirty".to_string(),
        ),
        ("empty", "@answer nothing".to_string()),
    ];
    for (name, prompt) in &kinds {
        let topic = format!("implement-{name}-v1");
        let (code, _, err) = fx
            .cli(&["run", "--sandbox", "full-access", "--topic", &topic, prompt])
            .await;
        assert_eq!(code, 0, "{name}: {err}");
    }
    git(&fx.work, &["merge", "-q", "agent/implement-merged"]);
    git(
        &fx.work,
        &["merge", "-q", "--squash", "agent/implement-squashed"],
    );
    git(&fx.work, &["commit", "-q", "-m", "squash"]);
    let (_, out, _) = fx
        .cli(&[
            "run",
            "--detach",
            "--sandbox",
            "full-access",
            "--topic",
            "implement-busy-v1",
            "@shell sleep 3097\n@answer x",
        ])
        .await;
    let busy = out.trim().to_string();
    let t0 = Instant::now();
    while !fx
        .cli(&["show", "--json", &busy])
        .await
        .1
        .contains("running_command")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the busy task never ran its command"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let wt = |name: &str| {
        fx.tmp
            .path()
            .canonicalize()
            .unwrap()
            .join(format!("work-agent-implement-{name}"))
    };
    let branches = || git(&fx.work, &["branch", "--list", "agent/*"]);

    let (code, plan, _) = fx.cli(&["gc", "--dry-run", "--older-than", "0s"]).await;
    assert_eq!(code, 0);
    for (name, verb, why) in [
        ("merged", "would remove", "no commits that main lacks"),
        (
            "squashed",
            "would remove",
            "its changes are already in main",
        ),
        ("empty", "would remove", "no commits that main lacks"),
        ("unmerged", "would keep", "1 commit(s) not in main"),
        ("dirty", "would keep", "uncommitted change"),
        ("busy", "would keep", "is running"),
    ] {
        let line = plan
            .lines()
            .find(|l| l.contains(&format!("agent-implement-{name} ")))
            .unwrap_or_else(|| panic!("no plan for {name}:\n{plan}"));
        assert!(
            line.starts_with(verb) && line.contains(why),
            "{name}: {line}"
        );
    }
    assert!(wt("merged").exists(), "a dry run changed something");
    assert_eq!(branches().lines().count(), 6);

    let (code, done, _) = fx.cli(&["gc", "--older-than", "0s"]).await;
    assert_eq!(code, 0, "{done}");
    assert!(
        done.lines()
            .any(|l| l.starts_with("removed") && l.contains("task codex-implement-merged-v1")),
        "{done}"
    );
    assert!(
        done.lines().any(|l| l.starts_with("kept")
            && l.contains("task codex-implement-unmerged-v1")
            && l.contains("worktree is kept")),
        "{done}"
    );
    for name in ["merged", "squashed", "empty"] {
        assert!(!wt(name).exists(), "{name}'s worktree is still there");
        assert!(
            !branches().contains(&format!("agent/implement-{name}")),
            "{name}'s branch"
        );
        assert!(!fx.task_dir(&format!("codex-implement-{name}-v1")).exists());
        assert!(
            !fx.work
                .join(format!(".codex-tasks/implement-{name}-v1"))
                .exists(),
            "{name}'s link"
        );
    }
    for name in ["unmerged", "dirty", "busy"] {
        assert!(wt(name).exists(), "{name}'s worktree was removed");
        assert!(branches().contains(&format!("agent/implement-{name}")));
        assert!(fx.task_dir(&format!("codex-implement-{name}-v1")).exists());
    }
    assert!(wt("dirty").join("wip.txt").exists());

    // --force takes what holds work, never what runs.
    let (_, done, _) = fx.cli(&["gc", "--older-than", "0s", "--force"]).await;
    assert!(!wt("unmerged").exists() && !wt("dirty").exists(), "{done}");
    assert!(wt("busy").exists(), "a running task's worktree was removed");
    let (_, out, _) = fx.cli(&["show", "--json", &busy]).await;
    assert_eq!(
        json(&out)["status"],
        "running",
        "the running task was touched"
    );
    assert_eq!(fx.cli(&["cancel", &busy]).await.0, 0);
}
