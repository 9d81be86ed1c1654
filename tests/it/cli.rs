//! The human command line: version, list and status read the same store the servers use.

use crate::support::*;

fn run(fx: &Fixture, args: &[&str]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_codex-mcp"));
    for (k, v) in fx.env() {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn version_list_and_status() {
    let fx = Fixture::new().await;
    let (code, out, _) = run(&fx, &["--version"]);
    assert_eq!(
        (code, out.trim()),
        (
            0,
            format!("codex-mcp {}", env!("CARGO_PKG_VERSION")).as_str()
        )
    );

    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer listed", &fx.work, "review-cli-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed");
    client.cancel().await.unwrap();

    let (code, out, _) = run(&fx, &["list"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("codex-review-cli-v1 | completed |"),
        "{out}"
    );
    assert!(out.contains("(1 of 1 tasks)"));

    let (code, out, _) = run(&fx, &["status", "codex-review-cli-v1"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["result"], "listed");

    let (code, _, err) = run(&fx, &["status", "../etc"]);
    assert_eq!(code, 1);
    assert!(err.contains("task_id"), "{err}");
    let (code, _, err) = run(&fx, &["frobnicate"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown command") && err.contains("Usage"),
        "{err}"
    );
}
