//! The on-disk layout: private task folders, the workspace link, git's private exclude file,
//! environment pass-through, and status on a task with a gigabyte log.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn task_folder_link_and_git_exclude() {
    let fx = Fixture::new().await;
    git(&fx.work, &["init", "-q"]);
    git(
        &fx.work,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "init",
        ],
    );
    let sub = fx.work.join("pkg");
    std::fs::create_dir(&sub).unwrap();
    let client = fx.client().await;
    let prompt = "Review this.\n@answer reviewed";
    let v = call_body(&client, "codex", task(prompt, &fx.work, "review-layout-v1")).await;
    assert_eq!(v["status"], "completed", "{v}");

    let dir = fx.task_dir("codex-review-layout-v1");
    assert_eq!(mode(&fx.store_home), 0o700);
    assert_eq!(mode(&fx.tasks_dir()), 0o700);
    assert_eq!(mode(&dir), 0o700);
    for f in [
        "meta.json",
        "prompt.md",
        "codex-exec.log",
        "codex-stderr.log",
        "progress.json",
    ] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("prompt.md")).unwrap(),
        prompt
    );
    let meta: Value =
        serde_json::from_slice(&std::fs::read(dir.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["status"], "completed");
    assert_eq!(meta["topic"], "review-layout-v1");

    let link = fx.work.join(".codex-tasks/review-layout-v1");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_link(&link).unwrap(), dir);
    let via_link = std::fs::read_to_string(link.join("codex-exec.log")).unwrap();
    assert!(via_link.contains("turn.completed"));
    let exclude = std::fs::read_to_string(fx.work.join(".git/info/exclude")).unwrap();
    assert_eq!(exclude.matches(".codex-tasks/").count(), 1);
    assert!(
        !fx.work.join(".gitignore").exists(),
        "the user's .gitignore must not be created"
    );
    assert_eq!(
        git(&fx.work, &["status", "--porcelain"]),
        "",
        "the link must be invisible to git"
    );

    // A task from a subdirectory links there, and the exclude line is not repeated.
    let v = call_body(
        &client,
        "codex",
        task("@answer sub", &sub, "review-layout_sub-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed");
    assert!(
        sub.join(".codex-tasks/review-layout_sub-v1/codex-exec.log")
            .exists()
    );
    let exclude = std::fs::read_to_string(fx.work.join(".git/info/exclude")).unwrap();
    assert_eq!(exclude.matches(".codex-tasks/").count(), 1);
    assert_eq!(git(&fx.work, &["status", "--porcelain"]), "");

    // A rerun gets a link of its own; the first run's keeps its name and its log.
    let v = call_body(
        &client,
        "codex",
        task("@answer again", &fx.work, "review-layout-v1"),
    )
    .await;
    assert_eq!(v["task_id"], "codex-review-layout-v1-r2");
    assert_eq!(std::fs::read_link(&link).unwrap(), dir);
    assert_eq!(
        std::fs::read_link(fx.work.join(".codex-tasks/review-layout-v1-r2")).unwrap(),
        fx.task_dir("codex-review-layout-v1-r2")
    );
    let names: Vec<_> = std::fs::read_dir(fx.work.join(".codex-tasks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("review-layout-v1"))
        .collect();
    assert_eq!(names.len(), 2, "one link per run, no twins: {names:?}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_planted_symlink_is_not_followed() {
    let fx = Fixture::new().await;
    let elsewhere = fx.tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, fx.work.join(".codex-tasks")).unwrap();
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer ok", &fx.work, "review-planted-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed");
    assert!(
        v["warnings"][0].as_str().unwrap().contains("symbolic link"),
        "{v}"
    );
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "wrote through a planted link"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_and_reasoning_effort_reach_codex() {
    for (profile_var, effort_var) in [
        ("CODEXMCP_PROFILE", "CODEXMCP_REASONING_EFFORT"),
        // The names before the CODEXMCP_ prefix keep working.
        ("CODEX_PROFILE", "CODEX_REASONING_EFFORT"),
    ] {
        settings_reach_codex(profile_var, effort_var).await;
    }
}

async fn settings_reach_codex(profile_var: &str, effort_var: &str) {
    let mut fx = Fixture::new().await;
    std::fs::write(fx.codex_home.join("fast.config.toml"), "").unwrap();
    fx.extra_env.push((profile_var.into(), "fast".into()));
    fx.extra_env.push((effort_var.into(), "high".into()));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer ok", &fx.work, "review-settings-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    let req = &fx.model.requests()[0];
    assert_eq!(req["reasoning"]["effort"], "high", "{}", req["reasoning"]);
    let meta: Value = serde_json::from_slice(
        &std::fs::read(fx.task_dir("codex-review-settings-v1").join("meta.json")).unwrap(),
    )
    .unwrap();
    let argv: Vec<String> = serde_json::from_value(meta["argv"].clone()).unwrap();
    if argv.iter().any(|a| a == "app-server") {
        // app-server takes no -p: the profile's settings are given to the thread.
        assert_eq!(meta["engine"], "app-server", "{meta}");
        let log = std::fs::read_to_string(
            fx.task_dir("codex-review-settings-v1")
                .join("codex-exec.log"),
        )
        .unwrap();
        assert!(log.contains("\"profile\":\"fast\""), "{log}");
    } else {
        assert_eq!(&argv[1..3], ["-p", "fast"]);
    }
    client.cancel().await.unwrap();
}

/// A fake codex: the real CLI caps its events near 1 MB, so only a stand-in can produce a
/// gigabyte log. It writes 64 events of 16 MiB each, then keeps a command running.
const HUGE_LOG_CODEX: &str = r#"#!/bin/sh
cat > /dev/null
echo '{"type":"thread.started","thread_id":"01a200e7-30c1-7f70-988f-0d0342cef250"}'
echo '{"type":"turn.started"}'
i=0
while [ $i -lt 64 ]; do
  printf '{"type":"item.completed","item":{"id":"i%s","type":"command_execution","command":"gen %s","aggregated_output":"' $i $i
  head -c 16777216 /dev/zero | tr '\0' x
  printf '","exit_code":0,"status":"completed"}}\n'
  i=$((i+1))
done
echo '{"type":"item.started","item":{"id":"w","type":"command_execution","command":"wait 4242","aggregated_output":"","status":"in_progress"}}'
exec sleep 4242
"#;

fn rss_kib(pid: u32) -> u64 {
    let out = std::process::Command::new("ps")
        .args(["-o", "rss=", "-p", &pid.to_string()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn status_on_a_gigabyte_log_is_fast_and_small() {
    let mut fx = Fixture::new().await;
    let fake = fx.tmp.path().join("fake-codex");
    std::fs::write(&fake, HUGE_LOG_CODEX).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), fake.display().to_string()));
    // A fake that plays `codex exec`.
    fx.extra_env.push(("CODEXMCP_ENGINE".into(), "exec".into()));
    let (client, server_pid) = fx.client_and_pid(()).await;
    let id = call_body(
        &client,
        "codex_dispatch",
        task("go", &fx.work, "review-huge_log-v1"),
    )
    .await["task_id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = wait_until(&client, &id, Duration::from_secs(240), |v| {
        v["progress"]["commands_run"] == 64
    })
    .await;
    let log_len = std::fs::metadata(fx.task_dir(&id).join("codex-exec.log"))
        .unwrap()
        .len();
    assert!(log_len >= 1 << 30, "log is only {log_len} bytes");
    assert_eq!(v["progress"]["last_command"], "wait 4242");
    for _ in 0..5 {
        let t0 = Instant::now();
        let r = call(&client, "codex_status", json!({"task_id": id})).await;
        eprintln!("measured: codex_status on a 1 GiB log {:?}", t0.elapsed());
        assert!(
            t0.elapsed() < Duration::from_millis(500),
            "status took {:?}",
            t0.elapsed()
        );
        assert!(serde_json::to_string(&body(&r)).unwrap().len() < 5_000);
    }
    let meta: Value =
        serde_json::from_slice(&std::fs::read(fx.task_dir(&id).join("meta.json")).unwrap())
            .unwrap();
    let supervisor = meta["supervisor_pid"].as_u64().unwrap() as u32;
    for (who, pid) in [("server", server_pid), ("supervisor", supervisor)] {
        let rss = rss_kib(pid);
        eprintln!("measured: {who} RSS {rss} KiB");
        assert!(rss > 0 && rss < 100 * 1024, "{who} uses {rss} KiB");
    }
    let c = call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    assert_eq!(c["status"], "cancelled");
    assert!(pids_matching("sleep 4242").is_empty());
    std::fs::remove_file(fx.task_dir(&id).join("codex-exec.log")).unwrap();
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn task_folders_left_by_another_tool_are_never_overwritten_or_fatal() {
    let fx = Fixture::new().await;
    let legacy = fx.task_dir("codex-review-legacy-v1");
    std::fs::create_dir_all(&legacy).unwrap();
    std::fs::write(
        legacy.join("meta.json"),
        r#"{"id": "abc", "state": "done", "output": "old"}"#,
    )
    .unwrap();
    std::fs::write(legacy.join("codex-exec.log"), "old log\n").unwrap();
    let client = fx.client().await;

    let v = call_body(
        &client,
        "codex",
        task("@answer new", &fx.work, "review-legacy-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["task_id"], "codex-review-legacy-v1-r2");
    assert_eq!(
        std::fs::read_to_string(legacy.join("codex-exec.log")).unwrap(),
        "old log\n"
    );

    let list = call_body(&client, "codex_status", json!({})).await;
    assert_eq!(list["total"], 1, "{list}");
    let r = call(
        &client,
        "codex_status",
        json!({"task_id": "codex-review-legacy-v1"}),
    )
    .await;
    assert!(is_error(&r));
    assert!(
        error_text(&r).contains("not valid task data"),
        "{}",
        error_text(&r)
    );
    client.cancel().await.unwrap();
}
