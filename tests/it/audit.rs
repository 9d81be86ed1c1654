//! The read-only fallback's audit (`CODEXMCP_READONLY_FALLBACK`), against what a task without
//! a sandbox can do that a plain diff of tracked files does not show: plant code for git to
//! run in `.git/`, write ignored files, reach the person's tmux server. And a change the person
//! makes meanwhile is reported as such, not blamed on Codex.

use std::time::Duration;

use serde_json::Value;

use crate::support::*;

async fn fallback_fixture() -> Fixture {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_READONLY_FALLBACK".into(), "1".into()));
    init_repo(
        &fx.work,
        &[("README.md", "hello\n"), (".gitignore", ".env\nbuild/\n")],
    );
    std::fs::write(fx.work.join(".env"), "TOKEN=mine\n").unwrap();
    fx
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_sees_git_hooks_config_ignored_files_and_no_tmux_is_reachable() {
    let fx = fallback_fixture().await;
    // The person's own tmux server, with a session of theirs.
    fx.persons_tmux_session("persons-session");
    let client = fx.client().await;
    let prompt = "@shell printf '#!/bin/sh\\necho planted\\n' > .git/hooks/post-checkout && chmod +x .git/hooks/post-checkout\n\
                  @shell git config alias.st '!touch planted'\n\
                  @shell echo 'EXTRA=1' >> .env && mkdir -p build && echo x > build/out.txt\n\
                  @shell echo \"tmux=[$TMUX] tmpdir=[$TMUX_TMPDIR]\"; test -d \"$TMUX_TMPDIR\" && echo tmpdir-exists; tmux ls 2>&1 | head -1\n\
                  @answer only looked";
    let v = call_body(&client, "codex", task(prompt, &fx.work, "review-plant-v1")).await;
    assert_eq!(v["status"], "completed", "{v}");
    let audit = &v["readonly_audit"];
    assert_eq!(audit["verdict"], "VIOLATION", "{audit}");
    let found = audit["violations"].to_string();
    for path in [
        ".git/hooks/post-checkout",
        ".git/config",
        ".env",
        "build/out.txt",
    ] {
        assert!(found.contains(path), "{path} not seen: {found}");
    }
    assert!(found.contains("changed while the task ran"), "{found}");
    assert!(
        audit["not_seen"]
            .as_str()
            .is_some_and(|s| s.contains("daemon")),
        "{audit}"
    );

    // No way to the person's tmux server from the task.
    let log = std::fs::read_to_string(fx.task_dir("codex-review-plant-v1").join("codex-exec.log"))
        .unwrap();
    let output: Value = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "item.completed")
        .map(|e| e["item"]["aggregated_output"].clone())
        .find(|o| o.as_str().is_some_and(|s| s.contains("tmux=[")))
        .unwrap();
    let output = output.as_str().unwrap();
    assert!(output.contains("tmux=[]"), "{output}");
    assert!(
        !output.contains(&fx.tmux_tmpdir.display().to_string()),
        "{output}"
    );
    assert!(!output.contains("persons-session"), "{output}");
    // Its own folder existed (tmux falls back to /tmp, the person's, when it does not), and
    // is gone with the task.
    assert!(output.contains("tmpdir-exists"), "{output}");
    assert!(
        !fx.task_dir("codex-review-plant-v1")
            .join("no-tmux")
            .exists()
    );
    assert!(fx.person_has_session("persons-session"));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_the_person_makes_meanwhile_is_not_blamed_on_codex() {
    let fx = fallback_fixture().await;
    let client = fx.client().await;
    let prompt = "@shell sleep 3\n@answer looked";
    let d = call_body(
        &client,
        "codex_dispatch",
        task(prompt, &fx.work, "review-meanwhile-v1"),
    )
    .await;
    let id = d["task_id"].as_str().unwrap();
    wait_until(&client, id, Duration::from_secs(30), |v| {
        v["progress"]["phase"] == "running_command"
    })
    .await;
    // The person keeps working in the checkout.
    std::fs::write(fx.work.join("my-notes.txt"), "mine\n").unwrap();
    let v = wait_final(&client, id, Duration::from_secs(60)).await;
    let audit = &v["readonly_audit"];
    let found: Vec<String> = audit["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        found,
        ["changed while the task ran: created: my-notes.txt"],
        "{audit}"
    );
    assert!(!audit.to_string().contains("by codex"), "{audit}");
    client.cancel().await.unwrap();
}
