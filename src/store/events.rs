//! `<home>/events.jsonl`: one line per change of any task's status, appended by every server
//! and supervisor (a single `write` with `O_APPEND`, so lines from several processes never
//! mix), and rotated to `events.jsonl.1` past a size, so it never grows without bound. When a
//! task ends, `CODEXMCP_NOTIFY` is also run.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::child::with_clean_signals;

use super::fsutil::open_append;
use super::layout::open_lock_file;
use super::{Store, TaskMeta, TaskStatus, now_ms, rfc3339};

/// Past this size the log is rotated.
const ROTATE_BYTES: u64 = 4 * 1024 * 1024;

/// One change of a task's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskEvent {
    /// RFC 3339 UTC.
    pub time: String,
    pub task_id: String,
    /// `None` when the task was created.
    pub from: Option<TaskStatus>,
    pub to: TaskStatus,
    /// `start`, `slot` (it got a place to run), `queued`, or who ended it: `codex`,
    /// `cancel_tool`, `client_cancel`, `task_cancel`, `attach`, `session_closed`, `cli`,
    /// `timeout`, `crash`, `recovered_at_start`.
    pub cause: String,
}

impl Store {
    /// The event log.
    pub fn events_file(&self) -> PathBuf {
        self.home().join("events.jsonl")
    }

    /// Appends `event`; a log that cannot be written never stops a task.
    pub fn record_event(&self, event: &TaskEvent) {
        let Ok(mut line) = serde_json::to_vec(event) else {
            return;
        };
        line.push(b'\n');
        let path = self.events_file();
        self.rotate_if_large(&path);
        if let Ok(mut f) = open_append(&path) {
            let _ = f.write_all(&line);
        }
    }

    fn rotate_if_large(&self, path: &Path) {
        let large = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.len() > ROTATE_BYTES);
        if !large(path) {
            return;
        }
        // One process rotates; the others see the fresh file when they look again.
        let Ok(lock) = open_lock_file(&self.home().join(".events.lock")) else {
            return;
        };
        if lock.lock().is_ok() && large(path) {
            let _ = std::fs::rename(path, path.with_extension("jsonl.1"));
        }
    }
}

/// Records `meta`'s move from `from` (when it changed), and runs the notify program when the
/// task ended.
pub(super) fn on_transition(task_dir: &Path, from: Option<TaskStatus>, meta: &TaskMeta) {
    let Some(store) = Store::of_task_dir(task_dir) else {
        return;
    };
    let ended_by = meta
        .outcome
        .as_ref()
        .and_then(|o| o.ended_by)
        .map(|e| e.as_str().to_string());
    let cause = match (from, meta.status) {
        (None, _) => "start".to_string(),
        (_, to) if to.is_final() => ended_by.unwrap_or_else(|| "codex".into()),
        (_, TaskStatus::Running) => "slot".into(),
        _ => "queued".into(),
    };
    store.record_event(&TaskEvent {
        time: rfc3339(now_ms()),
        task_id: meta.task_id.clone(),
        from,
        to: meta.status,
        cause,
    });
    if meta.status.is_final() {
        notify(meta);
    }
}

/// Runs `CODEXMCP_NOTIFY` (argv, no shell) with one JSON argument describing the ended task,
/// as Codex's own `notify` setting does. It is not waited for, and cannot hold a task up.
fn notify(meta: &TaskMeta) {
    let Some(setting) = &crate::config::current().notify else {
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
    let outcome = meta.outcome.as_ref();
    let summary = outcome
        .and_then(|o| o.error.clone())
        .or_else(|| outcome.map(|o| o.result.clone()))
        .unwrap_or_default();
    let payload = serde_json::json!({
        "type": "task-ended",
        "task_id": meta.task_id,
        "status": meta.status,
        "topic": meta.topic,
        "cwd": meta.cwd,
        "ended_by": outcome.and_then(|o| o.ended_by),
        "summary": crate::text::shorten(&summary, 300),
        "elapsed_seconds": meta.elapsed_seconds(now_ms()),
        "log_file": meta.log_file,
    });
    let mut argv: Vec<String> = std::iter::once(program.clone())
        .chain(args.iter().cloned())
        .collect();
    argv.push(payload.to_string());
    let limit = crate::config::current().notify_timeout;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_rotated_past_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        store.ensure().unwrap();
        let event = |n: u32| TaskEvent {
            time: rfc3339(now_ms()),
            task_id: format!("codex-review-e_{n}-v1"),
            from: Some(TaskStatus::Running),
            to: TaskStatus::Completed,
            cause: "codex".into(),
        };
        std::fs::write(store.events_file(), vec![b'x'; ROTATE_BYTES as usize + 1]).unwrap();
        store.record_event(&event(1));
        let rotated = store.events_file().with_extension("jsonl.1");
        assert!(std::fs::metadata(&rotated).unwrap().len() > ROTATE_BYTES);
        let fresh = std::fs::read_to_string(store.events_file()).unwrap();
        assert_eq!(fresh.lines().count(), 1);
        assert_eq!(
            serde_json::from_str::<TaskEvent>(fresh.trim()).unwrap(),
            event(1).clone().with_time(&fresh)
        );
    }

    impl TaskEvent {
        fn with_time(mut self, line: &str) -> TaskEvent {
            self.time = serde_json::from_str::<TaskEvent>(line.trim()).unwrap().time;
            self
        }
    }
}
