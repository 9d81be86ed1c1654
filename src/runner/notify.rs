//! What happens when a task ends, whoever ended it (its supervisor, a cancel, a recovery): the
//! person's `CODEXMCP_NOTIFY` program runs, with the configuration of the process that ended the
//! task, under a watchdog with a time limit.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use crate::child::with_clean_signals;
use crate::config::Config;
use crate::store::{TaskMeta, now_ms};

/// Runs `CODEXMCP_NOTIFY` (argv, no shell) with one JSON argument describing the ended task,
/// as Codex's own `notify` setting does. It is not waited for, and cannot hold a task up.
pub fn task_ended(config: &Config, meta: &TaskMeta) {
    let outcome = meta.outcome();
    let summary = outcome
        .and_then(|o| o.error.clone())
        .or_else(|| outcome.map(|o| o.result.clone()))
        .unwrap_or_default();
    let mut payload = about("task-ended", meta);
    payload["ended_by"] = serde_json::json!(outcome.and_then(|o| o.ended_by));
    payload["summary"] = serde_json::json!(crate::text::shorten(&summary, 300));
    run_notify(config, payload);
}

/// Runs `CODEXMCP_NOTIFY` when Codex asks a question and the task waits for a person: status
/// `input_required`, and the question.
pub fn input_required(config: &Config, meta: &TaskMeta) {
    let mut payload = about("input-required", meta);
    payload["input_request"] = serde_json::json!(meta.conversation().input_request);
    run_notify(config, payload);
}

/// What every notification says of its task.
fn about(kind: &str, meta: &TaskMeta) -> serde_json::Value {
    serde_json::json!({
        "type": kind,
        "task_id": meta.task_id,
        "status": meta.status(),
        "topic": meta.topic,
        "cwd": meta.placement().cwd,
        "elapsed_seconds": meta.elapsed_seconds(now_ms()),
        "log_file": meta.log_file,
    })
}

fn run_notify(config: &Config, payload: serde_json::Value) {
    let Some(setting) = &config.notify else {
        return;
    };
    let argv: Vec<String> = if setting.value.trim_start().starts_with('[') {
        serde_json::from_str(&setting.value).unwrap_or_default()
    } else {
        vec![setting.value.clone()]
    };
    let Some((program, args)) = argv.split_first() else {
        return;
    };
    let mut argv: Vec<String> = std::iter::once(program.clone())
        .chain(args.iter().cloned())
        .collect();
    argv.push(payload.to_string());
    let limit = config.notify_timeout;
    // A watchdog of its own runs it, so that its time limit holds after this process has
    // exited (a supervisor ends right after recording the end). It has a session of its own:
    // the end of a tmux task's session must not hang it up.
    let watchdog = std::env::current_exe().map(|exe| {
        let mut cmd = Command::new(exe);
        cmd.arg("notify-run")
            .arg("--timeout-ms")
            .arg(limit.as_millis().to_string())
            .arg("--")
            .args(&argv)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    });
    let spawned = match watchdog {
        Ok(mut cmd) => {
            with_clean_signals(&mut cmd);
            // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
            unsafe {
                cmd.pre_exec(|| {
                    nix::unistd::setsid().map_err(std::io::Error::from)?;
                    Ok(())
                });
            }
            cmd.spawn()
        }
        Err(e) => Err(e),
    };
    if let Ok(mut child) = spawned {
        // Reaped in the background: a server that runs for days gathers no zombies.
        std::thread::spawn(move || child.wait());
    }
}
