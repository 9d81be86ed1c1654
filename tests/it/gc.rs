//! `codex-mcp gc`: nothing of a running task is ever touched, even racing a start (gc decides
//! and removes each worktree under the store lock that starting a task takes, after checking
//! again that no task that has not ended uses it); work that is not on the agent branch (a
//! detached HEAD's commits, ignored files) is kept unless `--force`, and `--force` says exactly
//! what it deleted.

use std::time::Duration;

use serde_json::json;

use crate::support::*;

const COMMIT: &str = "git -c user.name=codex -c user.email=codex@example.invalid commit -qm";

#[tokio::test(flavor = "multi_thread")]
async fn gc_racing_a_new_task_never_removes_the_worktree_it_runs_in() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let client = fx.client().await;
    let mut kept_for_a_start = 0;
    for n in 1..=16u64 {
        // The previous task of the topic has ended: its worktree is gc's to take, unless the
        // task starting at this very moment takes it first.
        let mut gc =
            tokio::process::Command::from(fx.cli_command(&["gc", "--older-than", "0s", "--force"]));
        let gc = gc
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(n % 6)).await;
        let topic = format!("implement-race-v{n}");
        let prompt = format!(
            "@shell sleep 0.5 && echo {n} > work{n}.txt && git add -A && {COMMIT} 'work {n}'\n@answer did {n}"
        );
        let d = call_body(
            &client,
            "codex_dispatch",
            full_task(&prompt, &fx.work, &topic),
        )
        .await;
        let plan =
            String::from_utf8_lossy(&gc.wait_with_output().await.unwrap().stdout).into_owned();
        let Some(id) = d["task_id"].as_str() else {
            // Refused cleanly (say, a worktree half removed): fine, and it said why.
            assert!(d.to_string().len() > 2, "iteration {n}: {d}");
            continue;
        };
        let v = call_body(
            &client,
            "codex_status",
            json!({"task_id": id, "wait_seconds": 60}),
        )
        .await;
        if plan.contains("started in it meanwhile") {
            kept_for_a_start += 1;
        }
        // Never "completed" over a worktree taken from under it: its commit is on its branch,
        // and its summary was read from its worktree.
        assert_eq!(v["status"], "completed", "iteration {n}: {v}\n{plan}");
        // One commit of its own, plus the previous task's when gc had to keep the worktree.
        assert!(
            v["commits_ahead"].as_u64().is_some_and(|c| c >= 1),
            "iteration {n}: {v}\n{plan}"
        );
        assert!(
            !v["warnings"]
                .to_string()
                .contains("cannot read the worktree"),
            "iteration {n}: the worktree went while the task ran: {v}\n{plan}"
        );
        let log = git(&fx.work, &["log", "--format=%s", "agent/implement-race"]);
        assert!(
            log.contains(&format!("work {n}")),
            "iteration {n}: {log}\n{plan}"
        );
    }
    eprintln!(
        "measured: gc kept a worktree for a task that started meanwhile {kept_for_a_start} times of 16"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn gc_keeps_detached_commits_and_ignored_files_and_force_says_what_it_deleted() {
    let fx = Fixture::new().await;
    init_repo(
        &fx.work,
        &[("README.md", "hello\n"), (".gitignore", ".env\n")],
    );
    let runs = [
        (
            "detached",
            format!(
                "@shell git checkout -q --detach && echo d > d.txt && git add d.txt && {COMMIT} detached\n@answer d"
            ),
        ),
        (
            "ignored",
            "@shell echo TOKEN=1 > .env\n@answer i".to_string(),
        ),
        ("dirty", "@shell echo wip > wip.txt\n@answer w".to_string()),
    ];
    for (name, prompt) in &runs {
        let topic = format!("implement-{name}-v1");
        let (code, _, err) = fx
            .cli(&["run", "--sandbox", "full-access", "--topic", &topic, prompt])
            .await;
        assert_eq!(code, 0, "{name}: {err}");
    }
    let wt = |name: &str| {
        fx.work
            .parent()
            .unwrap()
            .join(format!("work-agent-implement-{name}"))
    };
    let line_for = |out: &str, name: &str| {
        out.lines()
            .find(|l| l.contains(&format!("agent-implement-{name} ")))
            .unwrap_or_else(|| panic!("no line for {name}:\n{out}"))
            .to_string()
    };

    let (code, kept, _) = fx.cli(&["gc", "--older-than", "0s"]).await;
    assert_eq!(code, 0, "{kept}");
    let detached = line_for(&kept, "detached");
    assert!(
        detached.starts_with("kept")
            && detached.contains("1 commit(s) not in main on a detached HEAD"),
        "{detached}"
    );
    let ignored = line_for(&kept, "ignored");
    assert!(
        ignored.starts_with("kept") && ignored.contains("1 ignored path(s)"),
        "{ignored}"
    );
    assert!(wt("detached").exists() && wt("ignored").join(".env").exists());

    let (_, forced, _) = fx.cli(&["gc", "--older-than", "0s", "--force"]).await;
    for (name, deleted) in [
        (
            "detached",
            "--force: deleted 1 commit(s) not in main on a detached HEAD",
        ),
        ("ignored", "--force: deleted 1 ignored path(s)"),
        ("dirty", "--force: deleted 1 uncommitted change(s)"),
    ] {
        let line = line_for(&forced, name);
        assert!(
            line.starts_with("removed") && line.contains(deleted),
            "{line}"
        );
        assert!(!line.contains("no commits that main lacks"), "{line}");
        assert!(!wt(name).exists(), "{name}");
    }
}
