//! Full-access tasks: isolated git worktrees, tmux sessions, and the user's checkout untouched.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::*;
use serde_json::json;

const COMMIT: &str = "git -c user.name=codex -c user.email=codex@example.invalid commit -qm";

fn worktree_of(fx: &Fixture, kind_desc: &str) -> PathBuf {
    fx.work
        .parent()
        .unwrap()
        .join(format!("work-agent-{kind_desc}"))
}

fn branches(dir: &Path) -> String {
    git(dir, &["branch", "--list", "--format=%(refname:short)"])
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_land_on_the_agent_branch_and_the_checkout_stays_untouched() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let head_before = git(&fx.work, &["rev-parse", "HEAD"]);
    std::fs::write(fx.work.join("local-notes.txt"), "mine, not committed\n").unwrap();
    let client = fx.client().await;
    let prompt = format!(
        "Add a greeting.\n@shell printf 'hi\\n' > hello.txt && git add hello.txt && {COMMIT} 'add hello' && printf 'draft\\n' > wip.txt\n@answer added hello.txt"
    );
    let r = call(
        &client,
        "codex",
        full_task(&prompt, &fx.work, "implement-greeting-v1"),
    )
    .await;
    let returned_at = now_ms();
    let v = body(&r);
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "added hello.txt");
    let wt = worktree_of(&fx, "implement-greeting");
    assert_eq!(v["worktree_dir"], wt.display().to_string());
    assert_eq!(v["agent_branch"], "agent/implement-greeting");
    assert_eq!(v["base_branch"], "main");
    assert_eq!(v["commits_ahead"], 1);
    let stat = v["diff_stat"].as_str().unwrap();
    assert!(
        stat.contains("hello.txt") && stat.contains("wip.txt") && stat.contains("2 files changed"),
        "{stat}"
    );
    assert_eq!(v["uncommitted_changes"], 1);
    // The session closed with the task: a finished task offers none to attach to.
    assert!(v.get("tmux_session").is_none(), "{v}");
    assert!(v.get("attach_command").is_none(), "{v}");
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("uncommitted change"), "{warnings}");

    // The blocking call returned promptly after the run ended.
    let ended = read_meta(&fx, "codex-implement-greeting-v1")["ended_at_ms"]
        .as_u64()
        .unwrap();
    assert!(
        returned_at.saturating_sub(ended) < 200,
        "returned {} ms after the end",
        returned_at - ended
    );

    // The work is in the worktree, on the agent branch.
    assert_eq!(
        std::fs::read_to_string(wt.join("hello.txt")).unwrap(),
        "hi\n"
    );
    assert!(wt.join("wip.txt").exists());
    assert_eq!(
        git(&wt, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "agent/implement-greeting"
    );
    // The user's checkout is exactly as it was.
    assert!(!fx.work.join("hello.txt").exists() && !fx.work.join("wip.txt").exists());
    assert_eq!(git(&fx.work, &["rev-parse", "HEAD"]), head_before);
    assert_eq!(
        git(&fx.work, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "main"
    );
    assert_eq!(
        git(&fx.work, &["status", "--porcelain"]),
        "?? local-notes.txt\n"
    );
    // The session ended with the task; the link points at the task.
    assert!(!fx.tmux_has_session("codex-implement-greeting-v1"));
    assert!(
        fx.work
            .join(".codex-tasks/implement-greeting-v1/codex-exec.log")
            .exists()
    );
    // Codex ran with the full-access sandbox inside the worktree.
    let (sandbox, _) = codex_sandbox_of(&fx, "codex-implement-greeting-v1");
    assert_eq!(sandbox, "danger-full-access");
    assert_eq!(
        Path::new(&codex_cwd_of(&fx, "codex-implement-greeting-v1")),
        wt
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tasks_run_at_once_in_their_own_worktrees_and_sessions() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let client = fx.client().await;
    let mut ids = Vec::new();
    for name in ["one", "two"] {
        let prompt = format!("@shell echo {name} > {name}.txt && sleep 2\n@answer {name} done");
        let t0 = std::time::Instant::now();
        let v = call_body(
            &client,
            "codex_dispatch",
            full_task(&prompt, &fx.work, &format!("implement-{name}-v1")),
        )
        .await;
        let took = t0.elapsed();
        eprintln!("measured: full-access codex_dispatch round trip {took:?}");
        assert!(took < Duration::from_millis(500), "dispatch took {took:?}");
        assert_eq!(v["agent_branch"], format!("agent/implement-{name}"));
        assert_eq!(
            v["attach_command"],
            format!("tmux -L codex-mcp attach -t =codex-implement-{name}-v1")
        );
        ids.push(v["task_id"].as_str().unwrap().to_string());
    }
    for (id, name) in ids.iter().zip(["one", "two"]) {
        let v = wait_until(&client, id, Duration::from_secs(60), |v| {
            v["progress"]["phase"] == "running_command"
        })
        .await;
        assert_eq!(
            v["attach_command"],
            format!("tmux -L codex-mcp attach -t =codex-implement-{name}-v1")
        );
    }
    // Both sessions are alive at the same time, and each pane shows its run.
    for name in ["one", "two"] {
        let session = format!("codex-implement-{name}-v1");
        assert!(fx.tmux_has_session(&session), "{session} missing");
        let pane = fx
            .tmux()
            .args(["capture-pane", "-p", "-t", &format!("={session}:")])
            .output()
            .unwrap();
        let pane = String::from_utf8_lossy(&pane.stdout);
        assert!(
            pane.contains(&format!(
                "$ /bin/bash -lc 'echo {name} > {name}.txt && sleep 2'"
            )) || pane.contains(&format!("echo {name}")),
            "pane of {session}:\n{pane}"
        );
    }
    for (id, name) in ids.iter().zip(["one", "two"]) {
        let v = wait_final(&client, id, Duration::from_secs(60)).await;
        assert_eq!(v["status"], "completed", "{v}");
        let wt = worktree_of(&fx, &format!("implement-{name}"));
        assert_eq!(
            std::fs::read_to_string(wt.join(format!("{name}.txt"))).unwrap(),
            format!("{name}\n")
        );
        assert_eq!(v["uncommitted_changes"], 1, "{v}\n{}", read_meta(&fx, id));
        assert_eq!(v["commits_ahead"], 0);
    }
    assert!(!worktree_of(&fx, "implement-one").join("two.txt").exists());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_worktree_is_refused_cancel_cleans_up_and_resume_reuses_it() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let client = fx.client().await;
    let first = full_task(
        "@shell echo first > first.txt && sleep 3075\n@answer never",
        &fx.work,
        "implement-login-v1",
    );
    let v = call_body(&client, "codex_dispatch", first).await;
    let id = v["task_id"].as_str().unwrap().to_string();
    let running = wait_until(&client, &id, Duration::from_secs(60), |v| {
        v["progress"]["phase"] == "running_command"
    })
    .await;
    let sid = running["session_id"].as_str().unwrap().to_string();

    // Same type and description, another version: the same worktree, which is busy.
    let r = call(
        &client,
        "codex_dispatch",
        full_task("@answer x", &fx.work, "implement-login-v2"),
    )
    .await;
    assert!(is_error(&r));
    let text = error_text(&r);
    assert!(
        text.contains("codex-implement-login-v1") && text.contains("work-agent-implement-login"),
        "{text}"
    );
    assert!(
        fx.task_dir("codex-implement-login-v2")
            .symlink_metadata()
            .is_err(),
        "a refused start created a task"
    );

    let meta = read_meta(&fx, &id);
    let c = call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    assert_eq!(c["status"], "cancelled");
    assert!(
        !fx.tmux_has_session("codex-implement-login-v1"),
        "the tmux session survived the cancel"
    );
    assert!(
        pids_matching("sleep 3075").is_empty(),
        "the command survived the cancel"
    );
    for key in ["supervisor_pid", "codex_pid"] {
        assert!(
            !pid_alive(meta[key].as_i64().unwrap() as i32),
            "{key} survived"
        );
    }

    // Resuming v1's session as v2 reuses v1's worktree and branch.
    let mut resume = full_task(
        "@shell cat first.txt > second.txt\n@answer resumed",
        &fx.work,
        "implement-login-v2",
    );
    resume["session_id"] = json!(sid);
    let v2 = call_body(&client, "codex", resume).await;
    assert_eq!(v2["status"], "completed", "{v2}");
    assert_eq!(v2["session_id"], sid);
    let wt = worktree_of(&fx, "implement-login");
    assert_eq!(v2["worktree_dir"], wt.display().to_string());
    assert_eq!(
        std::fs::read_to_string(wt.join("second.txt")).unwrap(),
        "first\n"
    );
    let (sandbox, resumed) = codex_sandbox_of(&fx, "codex-implement-login-v2");
    assert_eq!((sandbox.as_str(), resumed), ("danger-full-access", true));
    assert_eq!(git(&fx.work, &["worktree", "list"]).lines().count(), 2);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subdirectory_cwd_runs_in_the_same_subdirectory_of_the_worktree() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("pkg/lib.txt", "lib\n")]);
    let client = fx.client().await;
    let sub = fx.work.join("pkg");
    let v = call_body(
        &client,
        "codex",
        full_task(
            "@shell pwd > where.txt\n@answer ok",
            &sub,
            "implement-sub-v1",
        ),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    let wt_sub = worktree_of(&fx, "implement-sub").join("pkg");
    assert_eq!(
        std::fs::read_to_string(wt_sub.join("where.txt"))
            .unwrap()
            .trim(),
        wt_sub.display().to_string()
    );
    assert!(!sub.join("where.txt").exists());
    assert!(
        sub.join(".codex-tasks/implement-sub-v1").exists(),
        "the link goes where the caller works"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn outside_a_git_repository_full_access_is_refused() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let r = call(
        &client,
        "codex",
        full_task("@answer x", &fx.work, "implement-nogit-v1"),
    )
    .await;
    assert!(is_error(&r));
    let text = error_text(&r);
    assert!(
        text.contains("not inside a git repository") && text.contains("read-only"),
        "{text}"
    );
    assert!(!fx.tasks_dir().join("codex-implement-nogit-v1").exists());
    assert!(!worktree_of(&fx, "implement-nogit").exists());
    assert!(fx.model.requests().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn awkward_repositories_get_clear_errors_and_nothing_half_made() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let refused =
        |text: &str, needle: &str| assert!(text.contains(needle), "{text} lacks {needle}");

    // No commits yet.
    git(&fx.work, &["init", "-q"]);
    let r = call(
        &client,
        "codex",
        full_task("@answer x", &fx.work, "implement-empty-v1"),
    )
    .await;
    refused(&error_text(&r), "no commits");
    assert!(!worktree_of(&fx, "implement-empty").exists());
    git(
        &fx.work,
        &["commit", "-q", "--allow-empty", "-m", "initial"],
    );

    // Detached HEAD.
    git(&fx.work, &["checkout", "-q", "--detach"]);
    let r = call(
        &client,
        "codex",
        full_task("@answer x", &fx.work, "implement-detached-v1"),
    )
    .await;
    refused(&error_text(&r), "detached");
    git(&fx.work, &["checkout", "-q", "main"]);

    // The worktree path is taken by something else.
    let squatter = worktree_of(&fx, "implement-taken");
    std::fs::create_dir_all(&squatter).unwrap();
    std::fs::write(squatter.join("keep.txt"), "precious").unwrap();
    let r = call(
        &client,
        "codex",
        full_task("@answer x", &fx.work, "implement-taken-v1"),
    )
    .await;
    refused(&error_text(&r), "not a worktree of this repository");
    assert_eq!(
        std::fs::read_to_string(squatter.join("keep.txt")).unwrap(),
        "precious"
    );

    // The agent branch is checked out elsewhere (here: in the user's checkout).
    git(&fx.work, &["checkout", "-q", "-b", "agent/implement-mine"]);
    let r = call(
        &client,
        "codex",
        full_task("@answer x", &fx.work, "implement-mine-v1"),
    )
    .await;
    refused(&error_text(&r), "is checked out at");
    git(&fx.work, &["checkout", "-q", "main"]);

    // A worktree at the path on another branch.
    let other = worktree_of(&fx, "implement-other");
    git(
        &fx.work,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "feature",
            other.to_str().unwrap(),
        ],
    );
    let r = call(
        &client,
        "codex",
        full_task("@answer x", &fx.work, "implement-other-v1"),
    )
    .await;
    refused(&error_text(&r), "worktree on branch `feature`");

    // Nothing was left behind by any refusal.
    assert_eq!(branches(&fx.work), "agent/implement-mine\nfeature\nmain\n");
    assert_eq!(git(&fx.work, &["worktree", "list"]).lines().count(), 2);
    assert!(!worktree_of(&fx, "implement-detached").exists());
    assert!(fx.model.requests().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_tmux_server_environment_does_not_reach_codex() {
    let mut fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    // A tmux server already running, started with an environment that is now out of date.
    fx.foreign_tmux_session(
        "someone-else",
        &[
            ("CODEXMCP_STALE_MARKER", "old"),
            ("CODEXMCP_FRESH_MARKER", "old"),
        ],
    );
    fx.extra_env
        .push(("CODEXMCP_FRESH_MARKER".into(), "new".into()));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        full_task(
            "@shell env > env.txt\n@answer ok",
            &fx.work,
            "implement-env-v1",
        ),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    let env = std::fs::read_to_string(worktree_of(&fx, "implement-env").join("env.txt")).unwrap();
    assert!(env.contains("CODEXMCP_FRESH_MARKER=new"), "{env}");
    assert!(
        !env.contains("CODEXMCP_STALE_MARKER"),
        "stale tmux environment leaked:\n{env}"
    );
    assert!(env.contains(&format!("CODEX_HOME={}", fx.codex_home.display())));
    assert!(
        !fx.task_dir("codex-implement-env-v1")
            .join("launch-env.json")
            .exists(),
        "the environment file must not stay on disk"
    );
    assert!(
        fx.tmux_has_session("someone-else"),
        "another session was touched"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worktree_root_can_be_moved_and_a_failed_creation_is_rolled_back() {
    let mut fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let root = fx.tmp.path().join("agent-trees");
    fx.extra_env
        .push(("CODEXMCP_WORKTREE_ROOT".into(), root.display().to_string()));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        full_task(
            "@shell touch made.txt\n@answer ok",
            &fx.work,
            "implement-rooted-v1",
        ),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    let wt = root
        .canonicalize()
        .unwrap()
        .join("work-agent-implement-rooted");
    assert_eq!(v["worktree_dir"], wt.display().to_string());
    assert!(wt.join("made.txt").exists());
    client.cancel().await.unwrap();

    // A root that cannot hold a directory: git2 fails after the branch was made.
    let blocker = fx.tmp.path().join("a-file");
    std::fs::write(&blocker, "not a directory").unwrap();
    fx.extra_env.push((
        "CODEXMCP_WORKTREE_ROOT".into(),
        blocker.join("sub").display().to_string(),
    ));
    let client = fx.client().await;
    let r = call(
        &client,
        "codex",
        full_task("@answer x", &fx.work, "implement-blocked-v1"),
    )
    .await;
    assert!(is_error(&r), "{r:?}");
    assert!(
        !branches(&fx.work).contains("agent/implement-blocked"),
        "a half-made branch was left"
    );
    assert_eq!(git(&fx.work, &["worktree", "list"]).lines().count(), 2);
    assert!(!fx.task_dir("codex-implement-blocked-v1").exists());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_targeted_by_exact_name() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    // A session whose name merely starts with the task's session name.
    fx.foreign_tmux_session("codex-implement-prefix-v10", &[]);
    let client = fx.client().await;
    let v = call(
        &client,
        "codex_dispatch",
        full_task(
            "@shell sleep 3080\n@answer x",
            &fx.work,
            "implement-prefix-v1",
        ),
    )
    .await;
    assert!(
        !is_error(&v),
        "a prefix match was taken for an existing session: {}",
        error_text(&v)
    );
    let id = body(&v)["task_id"].as_str().unwrap().to_string();
    wait_until(&client, &id, Duration::from_secs(60), |v| {
        v["progress"]["phase"] == "running_command"
    })
    .await;
    let c = call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    assert_eq!(c["status"], "cancelled");
    assert!(!fx.tmux_has_session("codex-implement-prefix-v1"));
    assert!(
        fx.tmux_has_session("codex-implement-prefix-v10"),
        "cancel closed a session it does not own"
    );
    assert!(pids_matching("sleep 3080").is_empty());

    // A leftover session with the exact name is reported, not reused or killed.
    fx.foreign_tmux_session("codex-implement-prefix-v2", &[]);
    let r = call(
        &client,
        "codex_dispatch",
        full_task("@answer x", &fx.work, "implement-prefix-v2"),
    )
    .await;
    assert!(is_error(&r));
    assert!(
        error_text(&r).contains("tmux -L codex-mcp kill-session -t =codex-implement-prefix-v2"),
        "{}",
        error_text(&r)
    );
    assert!(fx.tmux_has_session("codex-implement-prefix-v2"));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_shows_the_latest_message_and_files_changed() {
    let fx = Fixture::new().await;
    fx.use_bundled_model();
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let client = fx.client().await;
    let prompt = "@say Writing the notes first.\n@add_file notes.txt first note\n@shell sleep 3081\n@answer x";
    let id = call_body(
        &client,
        "codex_dispatch",
        full_task(prompt, &fx.work, "implement-notes-v1"),
    )
    .await["task_id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = wait_until(&client, &id, Duration::from_secs(60), |v| {
        v["progress"]["phase"] == "running_command"
    })
    .await;
    assert_eq!(v["progress"]["files_changed"], 1, "{v}");
    assert_eq!(v["progress"]["last_message"], "Writing the notes first.");
    assert_eq!(v["progress"]["last_command"], "/bin/bash -lc 'sleep 3081'");
    assert!(v["usage"]["input_tokens"].as_u64().is_some());
    let wt = worktree_of(&fx, "implement-notes");
    assert_eq!(
        std::fs::read_to_string(wt.join("notes.txt")).unwrap(),
        "first note\n"
    );
    let c = call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    assert_eq!(c["status"], "cancelled");
    assert!(
        c["diff_stat"].as_str().unwrap().contains("notes.txt"),
        "{c}"
    );
    assert!(pids_matching("sleep 3081").is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn paths_with_shell_metacharacters_reach_no_shell() {
    let mut fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let nasty = fx
        .tmp
        .path()
        .join("store $(touch PWNED) ; touch PWNED2 'q\" `id`");
    let roots = fx.tmp.path().join("trees & $HOME");
    fx.store_home = nasty.clone();
    fx.extra_env
        .push(("CODEXMCP_WORKTREE_ROOT".into(), roots.display().to_string()));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        full_task(
            "@shell touch made.txt\n@answer ok",
            &fx.work,
            "implement-quoted-v1",
        ),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert!(
        v["log_file"]
            .as_str()
            .unwrap()
            .starts_with(nasty.to_str().unwrap())
    );
    assert!(roots.join("work-agent-implement-quoted/made.txt").exists());
    let worktree = roots.join("work-agent-implement-quoted");
    for dir in [fx.tmp.path(), &fx.work, &fx.home, &worktree, &roots] {
        for f in ["PWNED", "PWNED2"] {
            assert!(
                !dir.join(f).exists(),
                "a shell ran part of a path in {}",
                dir.display()
            );
        }
    }
    client.cancel().await.unwrap();
}
