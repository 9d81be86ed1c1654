//! What every driver does with the Codex process it runs: start it with the task's
//! environment, copy what it says into the log, and stop what it leaves behind.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::Signal;

use super::pump::{Tracked, pump};
use super::run::{RunEnv, Stop};
use crate::child::with_clean_signals;
use crate::codex::Stderr;
use crate::config::DEPTH_VAR;
use crate::runner::launch::live_view::LiveView;
use crate::runner::tree::ancestry::is_supervisor;
use crate::runner::tree::process::{list_processes, terminate_tree};
use crate::store::{StoreError, TaskFiles, TaskMeta, ensure_private_dir, open_append};

/// How long to keep reading after codex exits, in case a grandchild holds its stdout open.
pub(in crate::runner) const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);
/// How long codex gets between SIGTERM and SIGKILL.
pub(in crate::runner) const KILL_AFTER: Duration = Duration::from_secs(5);

/// `argv` as a command in the task's folder and environment, its stderr to the task's; the
/// driver sets its stdin and stdout.
pub(in crate::runner) fn codex_command(
    files: &TaskFiles,
    meta: &TaskMeta,
    argv: &[String],
    env: &RunEnv<'_>,
) -> std::io::Result<Command> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty codex command line"))?;
    let stderr = open_append(&files.stderr()).map_err(std::io::Error::other)?;
    // npm's launcher is skipped for the binary it would run, set up as it would set it up.
    let native = crate::codex::native_behind(std::path::Path::new(program));
    let mut cmd = Command::new(
        native
            .as_ref()
            .map_or(program.as_ref(), |n| n.binary.as_os_str()),
    );
    with_clean_signals(&mut cmd)
        .args(args)
        .current_dir(&meta.placement().run_dir)
        .stderr(Stdio::from(stderr));
    if let Some(vars) = env.env {
        cmd.env_clear().envs(vars);
    }
    if let Some(native) = &native {
        for var in &native.env_remove {
            cmd.env_remove(var);
        }
        cmd.envs(native.env.iter().map(|(k, v)| (k, v)));
    }
    cmd.env(DEPTH_VAR, env.depth.to_string());
    if meta.launch().readonly_fallback {
        // Without a sandbox, a command could reach the person's tmux server and leave a
        // process there that writes after the audit and outlives the task: no way to it. A
        // server it starts itself lands in the task's folder and is stopped as a stray. The
        // folder must exist: tmux falls back to /tmp, the person's own, when it does not.
        let own = files.sockets_dir();
        ensure_private_dir(&own).map_err(std::io::Error::other)?;
        cmd.env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env("TMUX_TMPDIR", own);
    }
    Ok(cmd)
}

/// Records that `child` is the run's Codex: for the stop signal to reach, and in the record.
pub(in crate::runner) fn codex_started(
    child: &std::process::Child,
    files: &TaskFiles,
    env: &RunEnv<'_>,
) {
    let pid = child.id();
    env.stop.codex_pid.store(pid as i32, Ordering::SeqCst);
    let _ = files.update_meta(|m| m.codex_started(pid));
}

/// A thread that copies `events` (JSONL as exec writes it) into the task's log and progress;
/// the receiver hears when it has read everything.
pub(in crate::runner) fn start_log_pump(
    events: impl Read + Send + 'static,
    files: &TaskFiles,
    view: LiveView,
) -> Result<(Arc<Mutex<Tracked>>, Receiver<()>), StoreError> {
    let tracked = Arc::new(Mutex::new(Tracked::default()));
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let log = open_append(&files.log())?;
    let progress_path = files.progress();
    let shared = tracked.clone();
    std::thread::spawn(move || {
        pump(events, log, &shared, &progress_path, view);
        let _ = done_tx.send(());
    });
    Ok((tracked, done_rx))
}

/// What the caller should know about how the run ended besides its status.
pub(in crate::runner) fn run_warnings(
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
    warnings.extend(start_up_warnings(files));
    warnings
}

/// What Codex said about its own setup as it started (no bubblewrap on PATH, say): never the
/// cause of a failure, but worth a word, once.
fn start_up_warnings(files: &TaskFiles) -> Vec<String> {
    let Ok(file) = crate::store::open_nofollow(&files.stderr()) else {
        return Vec::new();
    };
    let mut head = Vec::new();
    let _ = file.take(START_UP_BYTES).read_to_end(&mut head);
    let said = Stderr::read(&String::from_utf8_lossy(&head)).warnings;
    let known = files.read_meta().ok().flatten();
    said.into_iter()
        .filter(|w| !known.as_ref().is_some_and(|m| m.warnings().contains(w)))
        .collect()
}

/// How much of the start of Codex's stderr is read for its start-up warnings.
const START_UP_BYTES: u64 = 64 * 1024;

/// Stops what codex left running after it exited: our remaining descendants (orphans are
/// reparented to us on Linux) and members of our process group. Returns how many there were.
pub(in crate::runner) fn stop_strays() -> usize {
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
