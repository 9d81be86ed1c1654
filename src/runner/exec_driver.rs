//! The exec driver: a Codex run is one `codex exec --json` process, the prompt on its stdin and
//! its JSONL events on its stdout. Today the only driver (see `driver.rs`).

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::ancestry::is_supervisor;
use super::live_view::LiveView;
use super::outcome::{ExitInfo, RunEnd};
use super::process::{list_processes, terminate_tree};
use super::pump::{Tracked, lock, pump};
use super::run::{Limits, Ran, RunEnv, Stop};
use crate::child::with_clean_signals;
use crate::config::DEPTH_VAR;
use crate::store::{StoreError, TaskFiles, TaskMeta, now_ms, open_append, open_nofollow};

/// How long to keep reading after codex exits, in case a grandchild holds its stdout open.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);
/// How long codex gets between SIGTERM and SIGKILL.
const KILL_AFTER: Duration = Duration::from_secs(5);

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
    let codex_pid = child.id() as i32;
    stop.codex_pid.store(codex_pid, Ordering::SeqCst);
    let _ = files.update_meta(|m| m.codex_started(codex_pid as u32));
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
    })
}

fn spawn_codex(
    files: &TaskFiles,
    meta: &TaskMeta,
    argv: &[String],
    prompt: &Path,
    env: &RunEnv<'_>,
) -> std::io::Result<Child> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty codex command line"))?;
    let prompt = open_nofollow(prompt)?;
    let stderr = open_append(&files.stderr()).map_err(std::io::Error::other)?;
    let mut cmd = Command::new(program);
    with_clean_signals(&mut cmd)
        .args(args)
        .current_dir(&meta.placement().run_dir)
        .stdin(Stdio::from(prompt))
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr));
    if let Some(vars) = env.env {
        cmd.env_clear().envs(vars);
    }
    cmd.env(DEPTH_VAR, env.depth.to_string());
    if meta.launch().readonly_fallback {
        // Without a sandbox, a command could reach the person's tmux server and leave a
        // process there that writes after the audit and outlives the task: no way to it. A
        // server it starts itself lands in the task's folder and is stopped as a stray.
        cmd.env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env("TMUX_TMPDIR", files.dir.join("no-tmux"));
    }
    cmd.spawn()
}

/// A reader thread for codex's stdout; the receiver hears when it has read everything.
fn start_pump(
    child: &mut Child,
    files: &TaskFiles,
    view: LiveView,
) -> Result<(Arc<Mutex<Tracked>>, Receiver<()>), StoreError> {
    let tracked = Arc::new(Mutex::new(Tracked::default()));
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    if let Some(stdout) = child.stdout.take() {
        let tracked = tracked.clone();
        let log = open_append(&files.log())?;
        let progress_path = files.progress();
        std::thread::spawn(move || {
            pump(stdout, log, &tracked, &progress_path, view);
            let _ = done_tx.send(());
        });
    }
    Ok((tracked, done_rx))
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

/// What the caller should know about how the run ended besides its status.
fn run_warnings(
    files: &TaskFiles,
    stopped_after_turn: bool,
    stop: &Stop,
    strays: usize,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if stopped_after_turn {
        warnings.push("codex did not exit after finishing its turn and was stopped".into());
    }
    if let Ok(sig) = Signal::try_from(stop.signal.load(Ordering::SeqCst))
        && !files.cancel_marker().exists()
    {
        let hint = if sig == Signal::SIGHUP {
            " (was its tmux session closed?)"
        } else {
            ""
        };
        warnings.push(format!(
            "the supervisor received {sig} and stopped codex{hint}"
        ));
    }
    if strays > 0 {
        warnings.push(format!(
            "stopped {strays} process(es) codex left running when it exited"
        ));
    }
    warnings
}

/// Stops what codex left running after it exited: our remaining descendants (orphans are
/// reparented to us on Linux) and members of our process group. Returns how many there were.
fn stop_strays() -> usize {
    let me = std::process::id() as i32;
    let group = nix::unistd::getpgrp().as_raw();
    let procs = list_processes().unwrap_or_default();
    // A task that Codex started through codex-mcp (nested delegation) is reparented to us
    // when its server exits, but it is a task of its own, in the store: it lives on.
    let strays: Vec<i32> = procs
        .iter()
        .filter(|p| p.pid != me && !p.zombie && (p.ppid == me || p.pgid == group))
        .filter(|p| !is_supervisor(p.pid))
        .map(|p| p.pid)
        .collect();
    if !strays.is_empty() {
        let _ = terminate_tree(&strays, None, Duration::from_secs(2));
    }
    // Reap the ones that were our children, so none stays a zombie.
    while let Ok(status) = nix::sys::wait::waitpid(None, Some(nix::sys::wait::WaitPidFlag::WNOHANG))
    {
        if status == nix::sys::wait::WaitStatus::StillAlive {
            break;
        }
    }
    strays.len()
}
