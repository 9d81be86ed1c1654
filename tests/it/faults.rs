//! Faults the real Codex CLI cannot be made to show, played by a fake `codex` script:
//! a crash mid-stream, a hang after `turn.completed`, and garbage on stdout.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::json;

fn fake_codex(fx: &mut Fixture, script: &str) {
    let path = fx.tmp.path().join("fake-codex");
    std::fs::write(&path, format!("#!/bin/sh\ncat > /dev/null\n{script}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), path.display().to_string()));
    // A fake that plays `codex exec`.
    fx.extra_env.push(("CODEXMCP_ENGINE".into(), "exec".into()));
}

const STARTED: &str = r#"echo '{"type":"thread.started","thread_id":"01a200e7-30c1-7f70-988f-0d0342cef250"}'
echo '{"type":"turn.started"}'
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_mid_stream_fails_with_the_stderr_tail() {
    let mut fx = Fixture::new().await;
    fake_codex(
        &mut fx,
        &format!(
            "{STARTED}printf '{{\"type\":\"item.completed\",\"item\":{{\"id\":\"x\",\"type\":\"agent_mes'\necho 'thread main panicked: index out of bounds' >&2\nexit 101\n"
        ),
    );
    let client = fx.client().await;
    let r = call(&client, "codex", task("go", &fx.work, "fix-crash-v1")).await;
    assert!(is_error(&r));
    let v = body(&r);
    assert_eq!(v["status"], "failed");
    assert_eq!(v["exit_code"], 101);
    let e = v["error"].as_str().unwrap();
    assert!(
        e.contains("exited with code 101") && e.contains("index out of bounds"),
        "{e}"
    );
    assert_eq!(v["session_id"], "01a200e7-30c1-7f70-988f-0d0342cef250");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hang_after_the_turn_completes_is_stopped_and_the_task_completes() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_EXIT_GRACE_MS".into(), "300".into()));
    fake_codex(
        &mut fx,
        &format!(
            "{STARTED}echo '{{\"type\":\"item.completed\",\"item\":{{\"id\":\"m\",\"type\":\"agent_message\",\"text\":\"finished\"}}}}'\n\
             echo '{{\"type\":\"turn.completed\",\"usage\":{{\"input_tokens\":7,\"cached_input_tokens\":1,\"output_tokens\":2,\"reasoning_output_tokens\":0}}}}'\n\
             exec sleep 3073\n"
        ),
    );
    let client = fx.client().await;
    let t0 = Instant::now();
    let r = call(&client, "codex", task("go", &fx.work, "fix-hang-v1")).await;
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t0.elapsed()
    );
    let v = body(&r);
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "finished");
    assert_eq!(v["usage"]["input_tokens"], 7);
    assert!(v["warnings"][0].as_str().unwrap().contains("did not exit"));
    assert!(pids_matching("sleep 3073").is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_on_stdout_does_not_break_the_result() {
    let mut fx = Fixture::new().await;
    fake_codex(
        &mut fx,
        &format!(
            "echo 'Welcome to codex!'\n{STARTED}printf '\\001\\002\\377\\n'\necho '{{not json'\n\
             echo '{{\"type\":\"item.completed\",\"item\":{{\"id\":\"m\",\"type\":\"agent_message\",\"text\":\"still fine\"}}}}'\n\
             echo '{{\"type\":\"turn.completed\",\"usage\":{{}}}}'\n"
        ),
    );
    let client = fx.client().await;
    let v = call_body(&client, "codex", task("go", &fx.work, "fix-garbage-v1")).await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "still fine");
    assert_eq!(v["usage"]["input_tokens"], 0);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn codex_that_cannot_execute_fails_with_a_reason() {
    let mut fx = Fixture::new().await;
    let path = fx.tmp.path().join("broken-codex");
    std::fs::write(&path, "#!/nonexistent/interpreter\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), path.display().to_string()));
    // A fake that plays `codex exec`.
    fx.extra_env.push(("CODEXMCP_ENGINE".into(), "exec".into()));
    let client = fx.client().await;
    let r = call(&client, "codex", task("go", &fx.work, "fix-broken-v1")).await;
    assert!(is_error(&r));
    let v = body(&r);
    assert_eq!(v["status"], "failed");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("could not start codex"),
        "{v}"
    );
    let _ = json!(null);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_codex_leaves_behind_are_stopped_when_it_exits() {
    let mut fx = Fixture::new().await;
    // One background job stays in codex's process group; on Linux another escapes into a
    // session of its own (reparented to the supervisor, a child subreaper, when codex exits).
    let escape = if cfg!(target_os = "linux") {
        "setsid sleep 3083 &\n"
    } else {
        ""
    };
    fake_codex(
        &mut fx,
        &format!(
            "{STARTED}sleep 3082 &\n{escape}\
             echo '{{\"type\":\"item.completed\",\"item\":{{\"id\":\"m\",\"type\":\"agent_message\",\"text\":\"left a server running\"}}}}'\n\
             echo '{{\"type\":\"turn.completed\",\"usage\":{{}}}}'\n"
        ),
    );
    let client = fx.client().await;
    let t0 = Instant::now();
    let v = call_body(&client, "codex", task("go", &fx.work, "fix-strays-v1")).await;
    // The strays held codex's stdout open; stopping them first keeps the end prompt.
    assert!(
        t0.elapsed() < Duration::from_millis(1800),
        "took {:?}",
        t0.elapsed()
    );
    assert_eq!(v["status"], "completed", "{v}");
    assert!(v["warnings"].to_string().contains("left running"), "{v}");
    assert!(
        pids_matching("sleep 3082").is_empty(),
        "a background job outlived the task"
    );
    assert!(
        pids_matching("sleep 3083").is_empty(),
        "an escaped job outlived the task"
    );
    // The same through a full-access task, whose blocking call polls the record: the warning
    // must arrive with the final status, not after it.
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let v = call_body(
        &client,
        "codex",
        full_task("go", &fx.work, "fix-strays_fa-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert!(v["warnings"].to_string().contains("left running"), "{v}");
    assert!(pids_matching("sleep 3082").is_empty());
    client.cancel().await.unwrap();
}
