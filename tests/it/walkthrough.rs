//! What a person reads, re-tried as a new user would: names that suggest only tasks that exist,
//! one exit status per mistake, the terminal's own words, what a full-access run says before
//! and after, a closed pipe, and doctor's view of the registrations and of an older Codex.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

fn parses(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_that_is_no_task_suggests_only_tasks_that_exist_and_exits_2_everywhere() {
    let fx = Fixture::new().await;
    let (code, _, err) = fx
        .cli(&["run", "--topic", "review-auth_module-v1", "@answer ok"])
        .await;
    assert_eq!(code, 0, "{err}");
    // Near an existing task: it is offered.
    let (code, _, err) = fx.cli(&["show", "review-auth_modul-v1"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("did you mean codex-review-auth_module-v1"),
        "{err}"
    );
    // Near nothing: nothing is made up.
    for args in [
        vec!["show", "fix-something_else-v9"],
        vec!["logs", "fix-something_else-v9"],
        vec!["cancel", "fix-something_else-v9"],
        vec!["wait", "fix-something_else-v9"],
        vec!["approve", "fix-something_else-v9", "--yes"],
        vec!["reply", "fix-something_else-v9", "hi"],
        vec!["show", "codex-fix-something_else-v9"],
    ] {
        let (code, _, err) = fx.cli(&args).await;
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.contains("did you mean"), "{args:?}: {err}");
        assert!(!err.contains("invalid the task id"), "{args:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_terminal_says_things_in_its_own_words() {
    let mut fx = Fixture::new().await;
    fx.extra_env.push(("CODEXMCP_ENGINE".into(), "exec".into()));
    let (code, _, err) = fx
        .cli(&["run", "--approval-policy", "on-request", "@answer x"])
        .await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--approval-policy") && !err.contains("approval_policy"),
        "{err}"
    );
    fx.extra_env.retain(|(k, _)| k != "CODEXMCP_ENGINE");
    // A busy topic: the commands name the task, not `ID`.
    let (_, id, _) = fx
        .cli(&[
            "run",
            "--detach",
            "--topic",
            "review-busy-v1",
            "@shell sleep 3117\n@answer x",
        ])
        .await;
    let (code, _, err) = fx
        .cli(&["run", "--detach", "--topic", "review-busy-v1", "@answer y"])
        .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("codex-mcp logs -f codex-review-busy-v1"),
        "{err}"
    );
    assert!(!err.contains(" ID"), "{err}");
    let (code, _, _) = fx.cli(&["cancel", id.trim()]).await;
    assert_eq!(code, 0);
    // A failed or cancelled task has no empty result.
    let (_, out, _) = fx.cli(&["show", "--json", id.trim()]).await;
    let v = parses(&out);
    assert_eq!(v["status"], "cancelled", "{v}");
    assert!(v.get("result").is_none(), "{v}");
    // Outside git: full access advises `git init` for a project folder, never for home.
    let (code, _, err) = fx
        .cli(&[
            "run",
            "--sandbox",
            "full-access",
            "--topic",
            "fix-plain-v1",
            "@answer x",
        ])
        .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("git init") && err.contains("--sandbox read-only"),
        "{err}"
    );
    let (code, _, err) = fx
        .cli(&[
            "run",
            "--cwd",
            &fx.home.display().to_string(),
            "--sandbox",
            "full-access",
            "--topic",
            "fix-home-v1",
            "@answer x",
        ])
        .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        !err.contains("git init") && err.contains("no project"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_access_run_says_where_it_works_before_and_what_it_left_after() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    std::fs::write(fx.work.join("README.md"), "changed, not committed\n").unwrap();
    let (code, out, err) = fx
        .cli(&[
            "run",
            "--detach",
            "--sandbox",
            "full-access",
            "--topic",
            "fix-detached-v1",
            "@shell sleep 1\n@answer d",
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    let id = out.trim();
    for needle in [
        "worktree  ",
        "branch    agent/fix-detached (from main)",
        "tmux -L codex-mcp attach -t =codex-fix-detached-v1",
        "uncommitted change",
    ] {
        assert!(err.contains(needle), "{needle} missing:\n{err}");
    }
    let (code, _, _) = fx.cli(&["wait", id]).await;
    assert_eq!(code, 0);
    // In the foreground, the warning comes before Codex's first word.
    let (code, _, err) = fx
        .cli(&[
            "run",
            "--sandbox",
            "full-access",
            "--topic",
            "fix-foreground-v1",
            "@say starting now\n@shell true\n@answer f",
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    let warned = err.find("uncommitted change").unwrap_or(usize::MAX);
    let said = err.find("starting now").unwrap_or(0);
    assert!(
        warned < said,
        "the warning came after Codex started:\n{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retrying_task_says_so_in_show_as_in_the_progress() {
    let fx = Fixture::new().await;
    let config = fx.codex_home.join("config.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("stream_max_retries = 0", "stream_max_retries = 1000");
    std::fs::write(&config, text).unwrap();
    let client = fx.client().await;
    let d = call_body(
        &client,
        "codex_dispatch",
        task("@cut_stream", &fx.work, "ask-retry_show-v1"),
    )
    .await;
    let id = d["task_id"].as_str().unwrap().to_string();
    wait_until(&client, &id, Duration::from_secs(60), |v| {
        v["progress"]["retrying"] == true
    })
    .await;
    let (_, out, _) = fx.cli(&["show", &id]).await;
    assert!(out.contains("retrying: Reconnecting"), "{out}");
    call(&client, "codex_cancel", json!({"task_id": id})).await;
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_stdout_ends_a_command_quietly() {
    let fx = Fixture::new().await;
    let (code, _, err) = fx
        .cli(&["run", "--topic", "review-pipe-v1", "@answer_len 200000"])
        .await;
    assert_eq!(code, 0, "{err}");
    let exe = env!("CARGO_BIN_EXE_codex-mcp");
    for command in [
        "show review-pipe-v1",
        "logs review-pipe-v1",
        "completions bash",
        "list",
    ] {
        let script = format!("set -o pipefail; '{exe}' {command} | head -c 10 >/dev/null");
        let out = std::process::Command::new("bash")
            .args(["-c", &script])
            .env_clear()
            .envs(fx.env())
            .current_dir(&fx.work)
            .output()
            .unwrap();
        let status = out.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(status == 0 || status == 141, "{command}: {status} {stderr}");
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_reads_registrations_as_they_were_meant() {
    let fx = Fixture::new().await;
    let find = |out: &str, name: &str, words: &str| -> Value {
        let all = parses(out);
        all.as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["check"] == name && c["detail"].as_str().unwrap_or_default().contains(words)
            })
            .cloned()
            .unwrap_or_else(|| panic!("no {name} check about {words}: {out}"))
    };
    // The project's shared entry runs codex-mcp from PATH on purpose: not flagged.
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_codex-mcp"))
        .parent()
        .unwrap();
    std::fs::write(
        fx.work.join(".mcp.json"),
        r#"{"mcpServers": {"codex": {"command": "codex-mcp", "args": []}}}"#,
    )
    .unwrap();
    let mut with_path = fx.cli_command(&["doctor", "--json"]);
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    with_path.env("PATH", path);
    let out = String::from_utf8(with_path.output().unwrap().stdout).unwrap();
    let project = find(&out, "claude", "for the project");
    assert_eq!(project["status"], "ok", "{project}");
    // An entry whose settings every task would refuse is named, with a fix that keeps them.
    let exe = env!("CARGO_BIN_EXE_codex-mcp");
    std::fs::write(
        fx.home.join(".claude.json"),
        json!({"mcpServers": {"codex": {"command": exe, "args": [],
            "env": {"CODEXMCP_TASK_TIMEOUT": "0", "CODEXMCP_MAX_PARALLEL": "2"}}}})
        .to_string(),
    )
    .unwrap();
    let (_, out, _) = fx.cli(&["doctor", "--json"]).await;
    let entry = find(&out, "claude", "user scope");
    assert_eq!(entry["status"], "fail", "{entry}");
    assert!(
        entry["detail"]
            .as_str()
            .unwrap()
            .contains("CODEXMCP_TASK_TIMEOUT"),
        "{entry}"
    );
    assert!(
        entry["fix"]
            .as_str()
            .unwrap()
            .contains("-e CODEXMCP_MAX_PARALLEL=2"),
        "{entry}"
    );
    // Two scopes name `codex`: which one runs is said.
    let scopes = find(&out, "claude", "several of Claude Code's scopes");
    assert_eq!(scopes["status"], "note", "{scopes}");
    // serve --help's example is an entry doctor accepts.
    let (_, help, _) = fx.cli(&["serve", "--help"]).await;
    assert!(
        help.contains("claude mcp add --scope user codex -- \"$(command -v codex-mcp)\""),
        "{help}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_uses_the_sandbox_command_of_an_older_codex() {
    let mut fx = Fixture::new().await;
    // Codex 0.130 and older: `codex sandbox linux -- …`; `codex sandbox -- …` is refused.
    let old = fx.tmp.path().join("old-codex");
    std::fs::write(
        &old,
        "#!/bin/sh\ncase \"$1 $2\" in\n  'sandbox linux') shift 3; exec \"$@\" ;;\n  'sandbox --') echo \"error: unrecognized subcommand '--'\" >&2; echo 'Usage: codex sandbox <COMMAND>' >&2; exit 2 ;;\n  '--version ') echo 'codex-cli 0.130.0' ;;\n  *) exit 2 ;;\nesac\n",
    )
    .unwrap();
    std::fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), old.display().to_string()));
    let (_, out, err) = fx.cli(&["doctor", "--json"]).await;
    assert!(out.starts_with('['), "{out}\n{err}");
    let checks = parses(&out);
    let sandbox = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "sandbox")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(sandbox["status"], "ok", "{sandbox}");
    let codex = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "codex")
        .unwrap();
    assert_eq!(codex["status"], "note", "{codex}");
    // A Codex without app-server ends at once: the catalog's note says so, not that it waited.
    let models = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "models")
        .unwrap();
    let said = models["detail"].as_str().unwrap();
    assert!(said.contains("ended without answering"), "{models}");
    assert!(!said.contains("within"), "{models}");
    assert!(
        codex["detail"]
            .as_str()
            .unwrap()
            .contains("outside the versions"),
        "{codex}"
    );
}
