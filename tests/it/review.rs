//! `codex_review` and `codex-mcp review`: Codex's own review mode (app-server `review/start`,
//! `codex exec review`) run read-only on the uncommitted changes, a branch, a commit or a
//! full-access task's work, its findings read back from what Codex gave. The scripted model
//! plays the reviewer: it runs the command Codex's prompt names, and reports each
//! `@finding P<n> <path>:<lines> <title> | <body>` line it sees there.

use serde_json::{Value, json};

use crate::support::*;

const COMMIT: &str = "git -c user.name=codex -c user.email=codex@example.invalid commit -qm";

/// Whether this run of the suite is on the exec engine (no verdict there: exec prints only
/// Codex's rendering of the review).
fn on_exec() -> bool {
    std::env::var("CODEXMCP_TEST_ENGINE").as_deref() == Ok("exec")
}

fn review_args(fx: &Fixture, extra: Value) -> Value {
    let mut args = json!({"cwd": fx.work.display().to_string()});
    for (k, v) in extra.as_object().unwrap() {
        args[k] = v.clone();
    }
    args
}

fn titles(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|f| f["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_uncommitted_changes_are_reviewed_and_the_findings_come_back_typed() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("src/lib.rs", "fn a() {}\n")]);
    std::fs::write(
        fx.work.join("src/lib.rs"),
        "fn a() {}\nfn b() { // @finding P1 src/lib.rs:2-2 Handle the error | b() drops it.\n}\n",
    )
    .unwrap();
    std::fs::write(
        fx.work.join("new.txt"),
        "x @finding P3 new.txt:1-1 Name it better | A nit.\n",
    )
    .unwrap();
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex_review",
        review_args(&fx, json!({"instructions": "FOCUS-ON-ERRORS please"})),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["success"], true);
    assert!(
        v["reviewed"].as_str().unwrap().contains("uncommitted"),
        "{v}"
    );
    assert_eq!(titles(&v), ["Handle the error", "Name it better"]);
    let f = &v["findings"][0];
    assert_eq!(f["priority"], 1);
    assert_eq!(f["file"], "src/lib.rs", "relative to the folder reviewed");
    assert_eq!(f["lines"], json!({"start": 2, "end": 2}));
    assert_eq!(f["body"], "b() drops it.");
    assert_eq!(v["findings"][1]["priority"], 3);
    // The review as Codex wrote it, whole.
    let review = v["review"].as_str().unwrap();
    assert!(review.contains("- [P1] Handle the error"), "{review}");
    if on_exec() {
        assert!(v.get("verdict").is_none(), "{v}");
    } else {
        assert_eq!(v["verdict"], "incorrect");
        assert_eq!(f["confidence"], 0.7);
    }
    // Read-only, in Codex's review mode, with the caller's focus beside Codex's guidelines.
    let id = v["task_id"].as_str().unwrap();
    let meta = read_meta(&fx, id);
    assert_eq!(meta["sandbox"], "read-only");
    assert_eq!(meta["review"]["target"]["type"], "uncommittedChanges");
    let requests = serde_json::to_string(&fx.model.requests()).unwrap();
    assert!(requests.contains("# Review guidelines"), "not review mode");
    assert!(
        requests.contains("FOCUS-ON-ERRORS please"),
        "instructions lost"
    );
    // The same task through codex_status: the text, and the findings beside it.
    let s = call_body(&client, "codex_status", json!({"task_id": id})).await;
    assert_eq!(s["review"]["findings"][0]["file"], "src/lib.rs", "{s}");
    assert!(s["result"].as_str().unwrap().contains("Handle the error"));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_branch_against_its_base_and_a_single_commit_are_reviewed() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("a.txt", "one\n")]);
    git(&fx.work, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(
        fx.work.join("a.txt"),
        "one\ntwo @finding P2 a.txt:2-2 First feature commit | In the first.\n",
    )
    .unwrap();
    git(&fx.work, &["commit", "-qam", "first"]);
    std::fs::write(
        fx.work.join("b.txt"),
        "@finding P1 b.txt:1-1 Second feature commit | In the second.\n",
    )
    .unwrap();
    git(&fx.work, &["add", "b.txt"]);
    git(&fx.work, &["commit", "-qm", "second"]);
    let client = fx.client().await;

    let v = call_body(
        &client,
        "codex_review",
        review_args(&fx, json!({"target": {"base": "main"}})),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    let mut found = titles(&v);
    found.sort();
    assert_eq!(found, ["First feature commit", "Second feature commit"]);
    assert_eq!(
        read_meta(&fx, v["task_id"].as_str().unwrap())["review"]["target"],
        json!({"type": "baseBranch", "branch": "main"})
    );

    // One commit: its own change only, named by a revision.
    let v = call_body(
        &client,
        "codex_review",
        review_args(&fx, json!({"target": {"commit": "HEAD~1"}})),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(titles(&v), ["First feature commit"]);
    let target = &read_meta(&fx, v["task_id"].as_str().unwrap())["review"]["target"];
    assert_eq!(
        target["sha"],
        git(&fx.work, &["rev-parse", "HEAD~1"]).trim()
    );
    assert_eq!(target["title"], "first");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_access_tasks_work_is_reviewed_commits_and_leftovers_alike() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let client = fx.client().await;
    let prompt = format!(
        "Build it.\n@shell printf 'x @finding P1 feature.txt:1-1 Committed issue | In a commit.\\n' > feature.txt && git add feature.txt && {COMMIT} feature && printf 'y @finding P2 notes.txt:1-1 Left over | Not committed.\\n' > notes.txt\n@answer built"
    );
    let done = call_body(
        &client,
        "codex",
        full_task(&prompt, &fx.work, "implement-feature-v1"),
    )
    .await;
    assert_eq!(done["status"], "completed", "{done}");
    let worktree = done["worktree_dir"].as_str().unwrap().to_string();

    let v = call_body(
        &client,
        "codex_review",
        json!({"task_id": "codex-implement-feature-v1"}),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    let mut found = titles(&v);
    found.sort();
    assert_eq!(found, ["Committed issue", "Left over"]);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| { f["file"] == "feature.txt" || f["file"] == "notes.txt" })
    );
    assert!(v["reviewed"].as_str().unwrap().contains(&worktree), "{v}");
    // Reviewed where the work is, read-only, linked where the person started it.
    let meta = read_meta(&fx, v["task_id"].as_str().unwrap());
    assert_eq!(meta["run_dir"], worktree);
    assert_eq!(meta["cwd"], fx.work.display().to_string());
    assert_eq!(meta["review"]["of_task"], "codex-implement-feature-v1");
    // The work itself is untouched by its review.
    assert!(std::path::Path::new(&worktree).join("notes.txt").exists());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_review_that_cannot_be_done_is_refused_at_once_with_what_to_do() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("a.txt", "one\n")]);
    let client = fx.client().await;
    let e = refused(&client, review_args(&fx, json!({}))).await;
    assert!(
        e.contains("no uncommitted changes") && e.contains("\"commit\": \"HEAD\""),
        "{e}"
    );
    let e = refused(
        &client,
        review_args(&fx, json!({"target": {"base": "nope"}})),
    )
    .await;
    assert!(e.contains("`nope` is not a branch"), "{e}");
    let e = refused(
        &client,
        review_args(&fx, json!({"target": {"commit": "--all"}})),
    )
    .await;
    assert!(e.contains("names no commit"), "{e}");
    let e = refused(&client, json!({"target": "uncommitted"})).await;
    assert!(e.contains("`cwd`") && e.contains("required"), "{e}");
    let e = refused(&client, review_args(&fx, json!({"target": {"oops": "x"}}))).await;
    assert!(e.contains("target"), "{e}");
    // A read-only task has no work of its own.
    let ro = call_body(&client, "codex", task("@answer hi", &fx.work, "ask-x-v1")).await;
    assert_eq!(ro["status"], "completed");
    let e = refused(&client, json!({"task_id": "codex-ask-x-v1"})).await;
    assert!(e.contains("read-only"), "{e}");
    let e = refused(&client, json!({"task_id": "codex-nothing-v1"})).await;
    assert!(e.contains("no task"), "{e}");
    // Nothing started for any of them.
    let list = call_body(&client, "codex_status", json!({})).await;
    assert_eq!(list["tasks"].as_array().unwrap().len(), 1, "{list}");
    client.cancel().await.unwrap();
}

/// A codex_review call that must be refused: its error text.
async fn refused(client: &Client, args: Value) -> String {
    let r = call(client, "codex_review", args).await;
    assert!(is_error(&r), "{r:?}");
    error_text(&r)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_terminal_prints_findings_by_file_and_json_as_the_tool_does() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("a.txt", "one\n"), ("z.txt", "zed\n")]);
    std::fs::write(
        fx.work.join("z.txt"),
        "zed @finding P2 z.txt:1-1 Later file | Z body.\n",
    )
    .unwrap();
    std::fs::write(
        fx.work.join("a.txt"),
        "one @finding P0 a.txt:1-3 Urgent one | A body.\n",
    )
    .unwrap();
    let (code, out, err) = fx.cli(&["review", "focus here"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let a = out.find("\na.txt\n").unwrap_or_else(|| panic!("{out}"));
    let z = out.find("\nz.txt\n").unwrap_or_else(|| panic!("{out}"));
    assert!(a < z, "grouped by file, in order:\n{out}");
    assert!(out.contains("P0 1-3"), "{out}");
    assert!(
        out.contains("Urgent one") && out.contains("A body."),
        "{out}"
    );
    assert!(out.contains("2 finding(s)"), "{out}");

    let (code, out, _) = fx.cli(&["review", "--json"]).await;
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let mut found = titles(&v);
    found.sort();
    assert_eq!(found, ["Later file", "Urgent one"]);
    for key in [
        "task_id", "reviewed", "findings", "review", "usage", "log_file",
    ] {
        assert!(v.get(key).is_some(), "--json lacks {key}: {v}");
    }
    // A usage mistake is refused with status 2.
    let (code, _, err) = fx
        .cli(&["review", "--base", "main", "--commit", "HEAD"])
        .await;
    assert_eq!(code, 2, "{err}");
}
