//! The terminal side of the conversation, as a person has it: `codex-mcp reply`, `run
//! --session` keeping the session's sandbox and worktree, and a terminal that asks the person
//! when Codex asks (a foreground `run`, and `approve`'s confirmation).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

const LONG: Duration = Duration::from_secs(60);

fn parses(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Starts `codex-mcp args…` in a terminal of its own (a pane of the person's tmux server) in
/// the work folder, with the test's environment.
fn in_a_terminal(fx: &Fixture, name: &str, args: &[&str]) {
    let mut cmd = fx.person_tmux();
    // The pane stays after the command ends, so its last words can be read.
    cmd.args([
        "start-server",
        ";",
        "set-option",
        "-gw",
        "remain-on-exit",
        "on",
        ";",
    ])
    .args(["new-session", "-d", "-s", name, "-x", "200", "-y", "50"])
    .args(["-c", &fx.work.display().to_string()])
    .arg("env");
    for (k, v) in fx.env() {
        cmd.arg(format!("{k}={v}"));
    }
    cmd.args(["NO_COLOR=1", env!("CARGO_BIN_EXE_codex-mcp")])
        .args(args);
    assert!(cmd.status().unwrap().success(), "could not open a terminal");
}

fn screen(fx: &Fixture, name: &str) -> String {
    let out = fx
        .person_tmux()
        .args([
            "capture-pane",
            "-p",
            "-J",
            "-S",
            "-200",
            "-t",
            &format!("={name}:"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn wait_for_screen(fx: &Fixture, name: &str, what: &str) -> String {
    let start = Instant::now();
    loop {
        let s = screen(fx, name);
        if s.contains(what) {
            return s;
        }
        assert!(start.elapsed() < LONG, "`{what}` never showed:\n{s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn type_line(fx: &Fixture, name: &str, text: &str) {
    let target = format!("={name}:");
    for keys in [vec!["-l", text], vec!["Enter"]] {
        let ok = fx
            .person_tmux()
            .args(["send-keys", "-t", &target])
            .args(keys)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reply_steers_joins_a_queued_prompt_and_follows_up() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_MAX_PARALLEL".into(), "1".into()));
    let (_, first, _) = fx
        .cli(&[
            "run",
            "--detach",
            "--topic",
            "review-reply-v1",
            "@shell sleep 3\n@answer not steered",
        ])
        .await;
    let first = first.trim().to_string();
    let (_, queued, _) = fx
        .cli(&[
            "run",
            "--detach",
            "--topic",
            "review-reply_q-v1",
            "Say hi.\n@answer first",
        ])
        .await;
    let queued = queued.trim().to_string();
    // A queued one: joins its prompt.
    let (code, out, err) = fx.cli(&["reply", &queued, "@answer joined"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("added to the prompt"), "{out}");
    // A running one, from stdin: steered.
    let client = fx.client().await;
    wait_until(&client, &first, LONG, |v| {
        v["progress"]["phase"] == "running_command"
    })
    .await;
    let (code, out, err) = fx
        .cli_with_stdin(&["reply", "review-reply-v1", "-"], "@answer steered\n")
        .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("steered into the running turn"), "{out}");
    let steered = wait_final(&client, &first, LONG).await;
    assert_eq!(steered["result"], "steered", "{steered}");
    let done = wait_final(&client, &queued, LONG).await;
    assert_eq!(done["result"], "joined", "{done}");
    // An ended one: a follow-up in the same session, as codex_reply answers (--json).
    let (code, out, err) = fx.cli(&["reply", &first, "@answer again", "--json"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let r = parses(&out);
    assert_eq!(r["delivered"], "follow_up", "{r}");
    assert_eq!(r["task_id"], "codex-review-reply-v2", "{r}");
    let again = wait_final(&client, "codex-review-reply-v2", LONG).await;
    assert_eq!(again["result"], "again", "{again}");
    assert_eq!(again["session_id"], steered["session_id"], "{again}");
    // Refused: nothing to say; a task that does not exist.
    let (code, _, err) = fx.cli(&["reply", &first, "  "]).await;
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = fx.cli(&["reply", "codex-nothing-here-v1", "hi"]).await;
    assert_ne!(code, 0);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn run_session_keeps_the_sessions_sandbox_and_worktree() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let (code, _, err) = fx
        .cli(&[
            "run",
            "--sandbox",
            "full-access",
            "--topic",
            "fix-session-v1",
            "@shell echo one > one.txt\n@answer one",
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = fx.cli(&["show", "--json", "codex-fix-session-v1"]).await;
    let first = parses(&out);
    let session = first["session_id"].as_str().unwrap().to_string();
    // No --sandbox: the session's own, in its worktree, as a follow-up.
    let (code, out, err) = fx
        .cli(&[
            "run",
            "--session",
            &session,
            "@shell test -f one.txt && echo two > two.txt\n@answer two",
        ])
        .await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "two", "{err}");
    let (_, out, _) = fx.cli(&["show", "--json", "codex-fix-session-v2"]).await;
    let second = parses(&out);
    assert_eq!(second["sandbox"], "full-access", "{second}");
    assert_eq!(second["worktree_dir"], first["worktree_dir"], "{second}");
    assert_eq!(second["session_id"], session.as_str());
    let wt = std::path::PathBuf::from(first["worktree_dir"].as_str().unwrap());
    assert!(wt.join("two.txt").exists());
    assert!(
        !fx.work.join("two.txt").exists(),
        "the checkout was written"
    );
    // A different sandbox, said out loud.
    let (code, _, err) = fx
        .cli(&[
            "run",
            "--session",
            &session,
            "--sandbox",
            "read-only",
            "--topic",
            "review-session-v1",
            "@answer three",
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("the session ran full-access"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreground_run_on_a_terminal_asks_the_person() {
    let fx = Fixture::new().await;
    let file = fx.work.join("asked.txt");
    let prompt = format!("@escalate touch {}\n@answer written", file.display());
    in_a_terminal(
        &fx,
        "run",
        &[
            "run",
            "--approval-policy",
            "on-request",
            "--topic",
            "ask-term-v1",
            &prompt,
        ],
    );
    let shown = wait_for_screen(&fx, "run", "[s]ession").await;
    assert!(
        shown.contains("asked.txt") && shown.contains("question 1"),
        "{shown}"
    );
    type_line(&fx, "run", "y");
    let done = wait_for_screen(&fx, "run", "written").await;
    assert!(done.contains("question 1: accept"), "{done}");
    assert!(file.exists(), "the accepted command did not run");
    let (_, out, _) = fx.cli(&["show", "--json", "codex-ask-term-v1"]).await;
    let v = parses(&out);
    assert_eq!(v["approvals"][0]["by"], "cli", "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn approve_on_a_terminal_shows_the_question_and_asks_first() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let file = fx.work.join("confirmed.txt");
    let mut t = task(
        &format!("@escalate touch {}\n@answer done", file.display()),
        &fx.work,
        "ask-confirm-v1",
    );
    t["approval_policy"] = "on-request".into();
    let d = call_body(&client, "codex_dispatch", t).await;
    let id = d["task_id"].as_str().unwrap().to_string();
    wait_until(&client, &id, LONG, |v| v["status"] == "input_required").await;
    // No: nothing is answered.
    in_a_terminal(&fx, "no", &["approve", &id]);
    let shown = wait_for_screen(&fx, "no", "[y/N]").await;
    assert!(
        shown.contains("confirmed.txt") && shown.contains("the scripted model needs it"),
        "the question was not shown before the confirmation:\n{shown}"
    );
    type_line(&fx, "no", "n");
    wait_for_screen(&fx, "no", "not answered").await;
    let still = call_body(&client, "codex_status", serde_json::json!({"task_id": id})).await;
    assert_eq!(still["status"], "input_required", "{still}");
    // Yes: accepted.
    in_a_terminal(&fx, "yes", &["approve", &id]);
    wait_for_screen(&fx, "yes", "[y/N]").await;
    type_line(&fx, "yes", "y");
    wait_for_screen(&fx, "yes", "accepted").await;
    let done = wait_final(&client, &id, LONG).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(file.exists());
    client.cancel().await.unwrap();
}
