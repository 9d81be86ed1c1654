//! `codex_land` and `codex-mcp land`: a full-access task's work brought into the person's
//! branch with git itself — squash, merge or rebase, what Codex left uncommitted committed
//! first — and every way it must not happen leaving the checkout exactly as it was.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::*;

const COMMIT: &str = "git -c user.name=codex -c user.email=codex@example.invalid commit -qm";

/// A finished full-access task that committed `committed` and left `loose` uncommitted (each
/// `(path, text)`), in the fixture's repository on `main`.
async fn finished_task(
    fx: &Fixture,
    client: &Client,
    topic: &str,
    committed: (&str, &str),
    loose: Option<(&str, &str)>,
) -> Value {
    let mut shell = format!(
        "printf '{}' > {} && git add {} && {COMMIT} 'codex: {}'",
        committed.1, committed.0, committed.0, committed.0
    );
    if let Some((path, text)) = loose {
        shell.push_str(&format!(" && printf '{text}' > {path}"));
    }
    let prompt = format!("Do the work.\n@shell {shell}\n@answer done");
    let v = call_body(client, "codex", full_task(&prompt, &fx.work, topic)).await;
    assert_eq!(v["status"], "completed", "{v}");
    v
}

/// A repository on `main` with `files`, whose person has a name for commits (as a person's
/// git config has).
fn person_repo(fx: &Fixture, files: &[(&str, &str)]) {
    init_repo(&fx.work, files);
    git(&fx.work, &["config", "user.name", "Person"]);
    git(
        &fx.work,
        &["config", "user.email", "person@example.invalid"],
    );
}

/// The person's checkout as git sees it: HEAD, the index's tree, and `git status`.
fn checkout_state(dir: &Path) -> (String, String, String) {
    (
        git(dir, &["rev-parse", "HEAD"]),
        git(dir, &["write-tree"]),
        git(dir, &["status", "--porcelain", "--untracked-files=all"]),
    )
}

/// Every file of the checkout (`.git` aside), with its bytes.
fn files_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.file_name()
                .is_some_and(|n| n == ".git" || n == ".codex-tasks")
            {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn land_args(id: &str, extra: Value) -> Value {
    let mut args = json!({"task_id": id});
    for (k, v) in extra.as_object().unwrap() {
        args[k] = v.clone();
    }
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn a_squash_lands_commits_and_leftovers_as_one_commit_and_removes_the_worktree() {
    let fx = Fixture::new().await;
    person_repo(&fx, &[("README.md", "hello\n")]);
    std::fs::write(fx.work.join("mine.txt"), "my own work in progress\n").unwrap();
    let client = fx.client().await;
    let done = finished_task(
        &fx,
        &client,
        "implement-greeting-v1",
        ("hello.txt", "hi\\n"),
        Some(("extra.txt", "left over\\n")),
    )
    .await;
    let worktree = PathBuf::from(done["worktree_dir"].as_str().unwrap());
    let before = git(&fx.work, &["rev-parse", "HEAD"]);

    let v = call_body(
        &client,
        "codex_land",
        land_args("codex-implement-greeting-v1", json!({})),
    )
    .await;
    assert_eq!(v["how"], "squash", "{v}");
    assert_eq!(v["into"], "main");
    assert!(v["committed_leftovers"].is_string(), "{v}");
    assert_eq!(v["commits"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["worktree_removed"], true);
    // main gained one commit with all of the work, on top of where it was.
    let head = git(&fx.work, &["rev-parse", "HEAD"]);
    assert_eq!(v["head"].as_str().unwrap(), head.trim());
    assert_eq!(git(&fx.work, &["rev-parse", "HEAD~1"]), before);
    let message = git(&fx.work, &["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("implement-greeting-v1: Do the work."),
        "{message}"
    );
    assert!(
        message.contains("Codex-Task: codex-implement-greeting-v1"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(fx.work.join("hello.txt")).unwrap(),
        "hi\n"
    );
    assert_eq!(
        std::fs::read_to_string(fx.work.join("extra.txt")).unwrap(),
        "left over\n"
    );
    // The person's own uncommitted work is where it was.
    assert_eq!(
        std::fs::read_to_string(fx.work.join("mine.txt")).unwrap(),
        "my own work in progress\n"
    );
    assert!(git(&fx.work, &["status", "--porcelain"]).contains("?? mine.txt"));
    // Nothing left for gc to lose: the worktree and its branch are gone.
    assert!(!worktree.exists());
    assert!(!git(&fx.work, &["branch", "--list"]).contains("agent/implement-greeting"));
    // The task says so.
    let s = call_body(
        &client,
        "codex_status",
        json!({"task_id": "codex-implement-greeting-v1"}),
    )
    .await;
    assert_eq!(s["landed"]["into"], "main", "{s}");
    assert_eq!(s["landed"]["how"], "squash");
    assert_eq!(s["landed"]["head"].as_str().unwrap(), head.trim());
    // Landing twice is refused.
    let r = call(
        &client,
        "codex_land",
        land_args("codex-implement-greeting-v1", json!({})),
    )
    .await;
    assert!(
        is_error(&r) && error_text(&r).contains("already landed"),
        "{r:?}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn merge_and_rebase_land_as_git_would_and_keep_can_keep_the_worktree() {
    let fx = Fixture::new().await;
    person_repo(&fx, &[("README.md", "hello\n")]);
    let client = fx.client().await;
    finished_task(&fx, &client, "implement-one-v1", ("one.txt", "1\\n"), None).await;
    finished_task(&fx, &client, "implement-two-v1", ("two.txt", "2\\n"), None).await;
    // main moves on meanwhile.
    std::fs::write(fx.work.join("main.txt"), "main\n").unwrap();
    git(&fx.work, &["add", "main.txt"]);
    git(&fx.work, &["commit", "-qm", "main moves on"]);

    let v = call_body(
        &client,
        "codex_land",
        land_args(
            "codex-implement-one-v1",
            json!({"how": "merge", "keep": true}),
        ),
    )
    .await;
    assert_eq!(v["how"], "merge", "{v}");
    assert_eq!(v["worktree_removed"], false);
    let parents = git(&fx.work, &["log", "-1", "--format=%P"]);
    assert_eq!(parents.split_whitespace().count(), 2, "a merge commit");
    assert!(fx.work.join("one.txt").exists());
    assert!(git(&fx.work, &["branch", "--list"]).contains("agent/implement-one"));

    let v = call_body(
        &client,
        "codex_land",
        land_args("codex-implement-two-v1", json!({"how": "rebase"})),
    )
    .await;
    assert_eq!(v["how"], "rebase", "{v}");
    let subjects = git(&fx.work, &["log", "--format=%s", "-3"]);
    assert!(subjects.starts_with("codex: two.txt\n"), "{subjects}");
    let parents = git(&fx.work, &["log", "-1", "--format=%P"]);
    assert_eq!(parents.split_whitespace().count(), 1, "replayed, no merge");
    assert!(fx.work.join("two.txt").exists() && fx.work.join("one.txt").exists());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_leaves_the_checkout_byte_for_byte_and_says_how_to_resolve() {
    let fx = Fixture::new().await;
    person_repo(&fx, &[("shared.txt", "base\n")]);
    let client = fx.client().await;
    let done = finished_task(
        &fx,
        &client,
        "fix-shared-v1",
        ("shared.txt", "codex version\\n"),
        None,
    )
    .await;
    let worktree = PathBuf::from(done["worktree_dir"].as_str().unwrap());
    std::fs::write(fx.work.join("shared.txt"), "my version\n").unwrap();
    git(&fx.work, &["commit", "-qam", "mine"]);
    // Some of the person's own changes lie around, staged and not.
    std::fs::write(fx.work.join("notes.txt"), "notes\n").unwrap();
    std::fs::write(fx.work.join("staged.txt"), "staged\n").unwrap();
    git(&fx.work, &["add", "staged.txt"]);
    let state = checkout_state(&fx.work);
    let files = files_of(&fx.work);

    for how in ["squash", "merge", "rebase"] {
        let r = call(
            &client,
            "codex_land",
            land_args("codex-fix-shared-v1", json!({"how": how})),
        )
        .await;
        assert!(is_error(&r), "{how}: {r:?}");
        let e = error_text(&r);
        assert!(e.contains("conflicts") && e.contains("shared.txt"), "{e}");
        assert!(e.contains("resolve by hand"), "{e}");
        assert_eq!(
            checkout_state(&fx.work),
            state,
            "{how} changed the checkout"
        );
        assert_eq!(files_of(&fx.work), files, "{how} changed a file");
        assert!(worktree.exists(), "the worktree is kept");
    }
    assert!(
        read_meta(&fx, "codex-fix-shared-v1")
            .get("landed")
            .is_none()
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dirty_checkout_and_a_failing_hook_are_refused_and_nothing_changes() {
    let fx = Fixture::new().await;
    person_repo(&fx, &[("app.txt", "v1\n")]);
    let client = fx.client().await;
    finished_task(
        &fx,
        &client,
        "fix-app-v1",
        ("app.txt", "v2\\n"),
        Some(("loose.txt", "loose\\n")),
    )
    .await;
    // The person is editing the very file the task changed.
    std::fs::write(fx.work.join("app.txt"), "v1 and my edit\n").unwrap();
    let state = checkout_state(&fx.work);
    let r = call(
        &client,
        "codex_land",
        land_args("codex-fix-app-v1", json!({})),
    )
    .await;
    assert!(is_error(&r), "{r:?}");
    let e = error_text(&r);
    assert!(
        e.contains("uncommitted changes") && e.contains("app.txt"),
        "{e}"
    );
    assert!(e.contains("git stash"), "{e}");
    assert_eq!(checkout_state(&fx.work), state);
    git(&fx.work, &["checkout", "--", "app.txt"]);

    // A pre-commit hook that refuses: its words come back, and nothing lands.
    let hooks = fx.work.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("pre-commit");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'lint failed: tabs in app.txt' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let state = checkout_state(&fx.work);
    let r = call(
        &client,
        "codex_land",
        land_args("codex-fix-app-v1", json!({})),
    )
    .await;
    assert!(is_error(&r), "{r:?}");
    let e = error_text(&r);
    assert!(
        e.contains("hook") && e.contains("lint failed: tabs in app.txt"),
        "{e}"
    );
    assert_eq!(checkout_state(&fx.work), state);
    // What Codex left is still left, uncommitted, in its worktree.
    let wt = fx.work.parent().unwrap().join("work-agent-fix-app");
    assert!(git(&wt, &["status", "--porcelain"]).contains("loose.txt"));

    // Once the hook passes, the landing goes through it.
    std::fs::write(
        &hook,
        "#!/bin/sh\necho ran >> \"$(git rev-parse --git-common-dir)/hook-ran\"\n",
    )
    .unwrap();
    let v = call_body(
        &client,
        "codex_land",
        land_args("codex-fix-app-v1", json!({})),
    )
    .await;
    assert_eq!(v["into"], "main", "{v}");
    assert!(
        fx.work.join(".git/hook-ran").exists(),
        "the pre-commit hook ran"
    );
    assert_eq!(
        std::fs::read_to_string(fx.work.join("app.txt")).unwrap(),
        "v2\n"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn what_cannot_land_is_refused_with_why() {
    let fx = Fixture::new().await;
    person_repo(&fx, &[("a.txt", "a\n")]);
    let client = fx.client().await;
    let ro = call_body(&client, "codex", task("@answer hi", &fx.work, "ask-x-v1")).await;
    assert_eq!(ro["status"], "completed");
    let refused = |r: rmcp::model::CallToolResult| {
        assert!(is_error(&r), "{r:?}");
        error_text(&r)
    };
    let e = refused(
        call(
            &client,
            "codex_land",
            land_args("codex-ask-x-v1", json!({})),
        )
        .await,
    );
    assert!(e.contains("only a full-access task"), "{e}");
    let e = refused(call(&client, "codex_land", land_args("codex-none-v1", json!({}))).await);
    assert!(e.contains("no task"), "{e}");
    // A running task is not landed under it.
    let id = dispatch_running(
        &client,
        full_task(
            "@shell sleep 30\n@answer late",
            &fx.work,
            "implement-slow-v1",
        ),
    )
    .await;
    let e = refused(call(&client, "codex_land", land_args(&id, json!({}))).await);
    assert!(e.contains("still running"), "{e}");
    call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    // A task with nothing of its own to land.
    let nothing = call_body(
        &client,
        "codex",
        full_task("@answer nothing to do", &fx.work, "implement-nothing-v1"),
    )
    .await;
    assert_eq!(nothing["status"], "completed");
    let e = refused(
        call(
            &client,
            "codex_land",
            land_args("codex-implement-nothing-v1", json!({})),
        )
        .await,
    );
    assert!(e.contains("nothing to land"), "{e}");
    let e = refused(
        call(
            &client,
            "codex_land",
            land_args("codex-implement-nothing-v1", json!({"into": "nope"})),
        )
        .await,
    );
    assert!(e.contains("no branch `nope`"), "{e}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_terminal_lands_by_topic_into_a_branch_not_checked_out() {
    let fx = Fixture::new().await;
    person_repo(&fx, &[("a.txt", "a\n")]);
    git(&fx.work, &["branch", "release"]);
    let client = fx.client().await;
    finished_task(
        &fx,
        &client,
        "implement-cli-v1",
        ("cli.txt", "cli\\n"),
        None,
    )
    .await;
    client.cancel().await.unwrap();
    let main_before = git(&fx.work, &["rev-parse", "main"]);
    let state = checkout_state(&fx.work);
    let (code, out, err) = fx
        .cli(&[
            "land",
            "implement-cli-v1",
            "--into",
            "release",
            "-m",
            "Add the cli",
        ])
        .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("landed codex-implement-cli-v1 in release (squash)"),
        "{out}"
    );
    // release moved, main and the checkout did not.
    assert_eq!(git(&fx.work, &["rev-parse", "main"]), main_before);
    assert_eq!(checkout_state(&fx.work), state);
    let message = git(&fx.work, &["log", "-1", "--format=%B", "release"]);
    assert!(
        message.starts_with("Add the cli\n\nCodex-Task: codex-implement-cli-v1"),
        "{message}"
    );
    assert_eq!(git(&fx.work, &["show", "release:cli.txt"]), "cli\n");
    // A second landing says why not, exit status 1.
    let (code, _, err) = fx.cli(&["land", "implement-cli-v1", "--json"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("already landed"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_counts_commits_and_leftovers_apart_and_suggests_what_fits() {
    let fx = Fixture::new().await;
    person_repo(&fx, &[("a.txt", "a\n")]);
    // Codex changed a file and committed nothing: the work is all uncommitted.
    let (code, out, err) = fx
        .cli(&[
            "run",
            "--sandbox",
            "full-access",
            "--topic",
            "fix-loose-v1",
            "@shell printf 'b\\n' > a.txt && printf 'new\\n' > new.txt\n@answer changed",
        ])
        .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("0 commits ahead of main, 2 paths changed but not committed"),
        "{err}"
    );
    let next = err
        .lines()
        .find(|l| l.starts_with("next"))
        .unwrap_or_default();
    assert!(
        next.contains("codex-mcp review --task codex-fix-loose-v1")
            && next.contains("codex-mcp land codex-fix-loose-v1"),
        "{err}"
    );
    assert!(
        !next.contains("git merge") && !next.contains("git diff"),
        "{next}"
    );
    // The tool result says the same, for the calling model.
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex_status",
        json!({"task_id": "codex-fix-loose-v1"}),
    )
    .await;
    assert_eq!(v["commits_ahead"], 0);
    assert_eq!(v["uncommitted_changes"], 2);
    let steps = v["next_steps"].as_str().unwrap();
    assert!(
        steps.contains("codex_review") && steps.contains("codex_land"),
        "{steps}"
    );
    // show says it too, then that it landed.
    let (_, out, _) = fx.cli(&["show", "fix-loose-v1"]).await;
    assert!(out.contains("2 paths changed but not committed"), "{out}");
    call_body(
        &client,
        "codex_land",
        json!({"task_id": "codex-fix-loose-v1"}),
    )
    .await;
    let (_, out, _) = fx.cli(&["show", "fix-loose-v1"]).await;
    assert!(
        out.contains("landed") && out.contains("in main (squash)"),
        "{out}"
    );
    let v = call_body(
        &client,
        "codex_status",
        json!({"task_id": "codex-fix-loose-v1"}),
    )
    .await;
    assert!(v.get("next_steps").is_none(), "{v}");
    client.cancel().await.unwrap();
}
