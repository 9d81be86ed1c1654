//! What the supervisor starts, it starts clean: an empty signal mask and default dispositions,
//! whatever the supervisor itself blocks for its own signal handling. Proven with the native
//! Codex binary (as Homebrew and the release tarball install it), which, unlike the npm shim,
//! does not reset the mask for its children.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use crate::support::*;

/// The native `codex` binary inside the pinned npm install (not the Node shim).
fn native_codex() -> PathBuf {
    let shim = codex_bin();
    let modules = shim.parent().unwrap().parent().unwrap().join("@openai");
    let found = std::fs::read_dir(&modules)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("codex-"))
        .flat_map(|e| {
            std::fs::read_dir(e.path().join("vendor"))
                .into_iter()
                .flatten()
        })
        .flatten()
        .map(|triple| triple.path().join("bin/codex"))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| panic!("no native codex under {}", modules.display()))
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_in_a_task_run_with_no_blocked_signals() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), native_codex().display().to_string()));
    // The program run at a task's end starts clean too.
    let notified = fx.tmp.path().join("notify-signals.txt");
    let notify = json!([
        "sh",
        "-c",
        format!(
            "grep -E '^SigBlk' /proc/self/status > '{}' 2>/dev/null || echo none > '{}'",
            notified.display(),
            notified.display()
        ),
        "notify"
    ]);
    fx.extra_env
        .push(("CODEXMCP_NOTIFY".into(), notify.to_string()));
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let client = fx.client().await;
    // `timeout` stops its command with SIGTERM: with SIGTERM blocked it would wait 30 s. A
    // full-access task runs its commands without Codex's sandbox, which would hide the mask.
    let prompt = "@shell (grep SigBlk /proc/self/status || echo SigBlk: none) && \
                  s=$(date +%s) && timeout 2 sleep 30; echo took $(( $(date +%s) - s ))s\n\
                  @answer checked";
    let t0 = std::time::Instant::now();
    let v = call_body(
        &client,
        "codex",
        full_task(prompt, &fx.work, "check-signals-v1"),
    )
    .await;
    let took = t0.elapsed();
    assert_eq!(v["status"], "completed", "{v}");
    assert!(took < Duration::from_secs(20), "the task took {took:?}");
    let log = std::fs::read_to_string(fx.task_dir("codex-check-signals-v1").join("codex-exec.log"))
        .unwrap();
    if cfg!(target_os = "linux") {
        assert!(
            log.contains("SigBlk:\\t0000000000000000"),
            "a command ran with blocked signals: {}",
            log.lines().find(|l| l.contains("SigBlk")).unwrap_or(&log)
        );
    }
    let took_line = log
        .split("took ")
        .filter_map(|r| r.split('s').next())
        .find_map(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no timing in the log: {log}"));
    assert!(took_line <= 5, "`timeout 2 sleep 30` took {took_line} s");
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&notified).map_or(true, |t| !t.ends_with('\n')) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the notify program never ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if cfg!(target_os = "linux") {
        let text = std::fs::read_to_string(&notified).unwrap();
        assert_eq!(
            text.trim(),
            "SigBlk:\t0000000000000000",
            "the notify program: {text}"
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_notify_program_is_stopped_with_what_it_started() {
    let mut fx = Fixture::new().await;
    let notify = json!(["sh", "-c", "sleep 3361 & sleep 3362", "notify"]);
    fx.extra_env
        .push(("CODEXMCP_NOTIFY".into(), notify.to_string()));
    fx.extra_env
        .push(("CODEXMCP_NOTIFY_TIMEOUT".into(), "1".into()));
    let client = fx.client().await;
    for n in 1..=3 {
        let v = call_body(
            &client,
            "codex",
            task("@answer done", &fx.work, &format!("ask-notified-v{n}")),
        )
        .await;
        assert_eq!(v["status"], "completed");
    }
    // Each ended task ran the program once; each run is stopped at its limit, with its child.
    let start = std::time::Instant::now();
    while !pids_matching("sleep 336").is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "notify programs leaked: {:?}",
            pids_matching("sleep 336")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_notify_program_runs_whoever_ends_the_task() {
    let mut fx = Fixture::new().await;
    let out = fx.tmp.path().join("notified.jsonl");
    let notify = json!(["sh", "-c", format!("cat >> '{}'", out.display()), "notify"]);
    fx.extra_env
        .push(("CODEXMCP_NOTIFY".into(), notify.to_string()));
    let client = fx.client().await;
    // Ended by its supervisor, then by a cancel (the engine records that end itself).
    call_body(
        &client,
        "codex",
        task("@answer done", &fx.work, "ask-ends-v1"),
    )
    .await;
    let id = dispatch_running(
        &client,
        task("@shell sleep 3401\n@answer never", &fx.work, "ask-ends-v2"),
    )
    .await;
    call_body(&client, "codex_cancel", json!({"task_id": id})).await;
    let start = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.lines().count() >= 2 {
            assert!(
                text.contains("\"completed\"") && text.contains("\"cancelled\""),
                "{text}"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "notified: {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.cancel().await.unwrap();
}
