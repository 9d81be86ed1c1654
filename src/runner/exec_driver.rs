//! The exec driver: a Codex run is one `codex exec --json` process, the prompt on its stdin and
//! its JSONL events on its stdout (see `driver.rs` for the other driver).

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::codex_process::{
    DRAIN_AFTER_EXIT, KILL_AFTER, codex_command, codex_started, run_warnings, start_log_pump,
    stop_strays,
};
use super::live_view::LiveView;
use super::outcome::{ExitInfo, RunEnd};
use super::process::terminate_tree;
use super::pump::{Tracked, lock};
use super::run::{Limits, Ran, RunEnv, Stop};
use crate::store::{StoreError, TaskFiles, TaskMeta, now_ms, open_nofollow};

/// Runs `codex exec --json` once, to its end: the prompt on its stdin, its JSONL copied to
/// the task's log and folded into its progress.
pub(super) fn run(
    files: &TaskFiles,
    meta: &TaskMeta,
    argv: &[String],
    prompt: &Path,
    env: &RunEnv<'_>,
) -> std::io::Result<Ran> {
    let RunEnv {
        view, stop, limits, ..
    } = *env;
    let mut child = spawn_codex(files, meta, argv, prompt, env)?;
    codex_started(&child, files, env);
    let (tracked, drained) = start_pump(&mut child, files, view).map_err(std::io::Error::other)?;
    let mut end = wait_codex(&mut child, &tracked, &files.progress(), stop, limits);
    // Strays first: one that inherited codex's stdout would hold the pipe open and delay
    // the end of the log by the whole drain timeout.
    let strays = stop_strays();
    let _ = drained.recv_timeout(DRAIN_AFTER_EXIT);
    let warnings = run_warnings(files, end.stopped_after_turn, stop, strays);
    let tracked = std::mem::take(&mut *lock(&tracked));
    end.log_incomplete = tracked.log_error.is_some();
    Ok(Ran {
        tracked,
        end,
        warnings,
        late_approvals: Vec::new(),
    })
}

fn spawn_codex(
    files: &TaskFiles,
    meta: &TaskMeta,
    argv: &[String],
    prompt: &Path,
    env: &RunEnv<'_>,
) -> std::io::Result<Child> {
    let prompt = open_nofollow(prompt)?;
    let mut cmd = codex_command(files, meta, argv, env)?;
    cmd.stdin(Stdio::from(prompt)).stdout(Stdio::piped());
    cmd.spawn()
}

/// A reader thread for codex's stdout; the receiver hears when it has read everything.
fn start_pump(
    child: &mut Child,
    files: &TaskFiles,
    view: LiveView,
) -> Result<(Arc<Mutex<Tracked>>, Receiver<()>), StoreError> {
    match child.stdout.take() {
        Some(stdout) => start_log_pump(stdout, files, view),
        None => Ok((
            Arc::new(Mutex::new(Tracked::default())),
            std::sync::mpsc::channel().1,
        )),
    }
}

/// Waits for codex, stopping it when asked by a signal, when it lingers after its turn, or when
/// the task's time limit passes (then with its whole process tree).
fn wait_codex(
    child: &mut Child,
    tracked: &Mutex<Tracked>,
    progress_path: &Path,
    stop: &Stop,
    limits: Limits,
) -> RunEnd {
    let mut turn_done_at: Option<Instant> = None;
    let mut term_sent_at: Option<Instant> = None;
    let mut end = RunEnd::default();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                end.exit = Some(ExitInfo {
                    code: status.code(),
                    signal: status.signal(),
                });
                return end;
            }
            Ok(None) => {}
            // The supervisor saw codex end even when it could not read its status.
            Err(_) => {
                end.exit = Some(ExitInfo::default());
                return end;
            }
        }
        let erring_since = {
            let mut t = lock(tracked);
            t.save(progress_path, false);
            if turn_done_at.is_none() && t.progress.turn_end.is_some() {
                turn_done_at = Some(Instant::now());
            }
            t.progress.errors_since_ms
        };
        if let Some(since) = erring_since
            && term_sent_at.is_none()
            && now_ms().saturating_sub(since) >= limits.unreachable.as_millis() as u64
        {
            end.unreachable = Some(limits.unreachable.as_secs());
            let _ = terminate_tree(&[child.id() as i32], None, KILL_AFTER);
            term_sent_at = Some(Instant::now());
        }
        if let Some((seconds, at)) = limits.deadline
            && end.timed_out.is_none()
            && Instant::now() >= at
        {
            end.timed_out = Some(seconds);
            // TERM to codex and every descendant, KILL to what is left after the grace.
            let _ = terminate_tree(&[child.id() as i32], None, KILL_AFTER);
            term_sent_at = Some(Instant::now());
        }
        let lingering = turn_done_at.is_some_and(|t| t.elapsed() >= limits.exit_grace);
        let asked = stop.requested();
        if (lingering || asked) && term_sent_at.is_none() {
            end.stopped_after_turn = lingering && !asked;
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
            term_sent_at = Some(Instant::now());
        }
        if term_sent_at.is_some_and(|t| t.elapsed() >= KILL_AFTER) {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
