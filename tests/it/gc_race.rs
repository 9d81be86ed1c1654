//! `codex-mcp gc` racing new tasks: nothing of a running task is ever touched. gc decides and
//! removes each worktree under the store lock that starting a task takes, after checking again
//! that no task that has not ended uses it.

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
