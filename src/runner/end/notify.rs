//! What happens when a task ends, whoever ended it (its supervisor, a cancel, a recovery): the
//! person's `CODEXMCP_NOTIFY` program runs, with the configuration of the process that ended the
//! task, under a watchdog with a time limit.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use crate::child::with_clean_signals;
use crate::config::Config;
use crate::store::{TaskMeta, now_ms};

/// Runs `CODEXMCP_NOTIFY` (argv, no shell) with a JSON document describing the ended task on
/// its standard input: never in an argument, where every user of the machine could read it
/// with `ps`. It is not waited for, and cannot hold a task up.
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
/// `input_required`, the question just asked (`input_request`) and every open one.
pub fn input_required(config: &Config, meta: &TaskMeta) {
    let mut payload = about("input-required", meta);
    // Short, so the whole document fits a pipe's buffer (it is written before this returns).
    let open: Vec<_> = meta
        .conversation()
        .open()
        .iter()
        .rev()
        .take(5)
        .rev()
        .map(|q| {
            let mut q = q.clone();
            for text in [&mut q.command, &mut q.cwd, &mut q.reason, &mut q.host]
                .into_iter()
                .flatten()
            {
                *text = crate::text::shorten(text, 500);
            }
            q.paths.truncate(10);
            q
        })
        .collect();
    payload["input_request"] = serde_json::json!(open.last());
    payload["input_requests"] = serde_json::json!(open);
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
    let argv: Vec<String> = std::iter::once(program.clone())
        .chain(args.iter().cloned())
        .collect();
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
            .stdin(Stdio::piped())
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
        // Written now, before a supervisor that is about to exit does: the document is a few
        // KiB, which a pipe's buffer takes whether or not the watchdog reads yet.
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(format!("{payload}\n").as_bytes());
        }
        // Reaped in the background: a server that runs for days gathers no zombies.
        std::thread::spawn(move || child.wait());
    }
}
