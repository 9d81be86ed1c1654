//! The exec driver: a Codex run is one `codex exec --json` process, the prompt on its stdin and
//! its JSONL events on its stdout (see `driver.rs` for the other driver).

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::codex_process::{
    DRAIN_AFTER_EXIT, codex_command, codex_started, run_warnings, start_log_pump, stop_strays,
};
use super::pump::{Tracked, lock};
use super::run::{Limits, Ran, RunEnv, Stop};
use super::run_clock::{Halt, Look, RunClock};
use super::seam::{Drive, FirstRun, RunOf};
use crate::codex::{CodexSandbox, exec_argv, exec_review_argv, next_run_argv};
use crate::runner::end::outcome::{ExitInfo, RunEnd};
use crate::runner::launch::live_view::LiveView;
use crate::store::{StoreError, TaskFiles, TaskMeta, open_nofollow};

/// The exec driver.
pub(in crate::runner) struct ExecDriver;

impl Drive for ExecDriver {
    fn can_steer(&self) -> bool {
        false
    }

    fn asks_approvals(&self) -> bool {
        false
    }

    fn takes_profile(&self) -> bool {
        true
    }

    fn needs_app_server(&self) -> bool {
        false
    }

    fn program(&self) -> &'static str {
        "`codex exec --json`"
    }

    /// `codex exec --json …`, or `codex exec review …` for a review.
    fn first_args(&self, f: &FirstRun<'_>) -> Vec<String> {
        match f.review {
            Some(review) => exec_review_argv(f.sandbox, f.run_dir, f.options, review),
            None => exec_argv(f.sandbox, f.run_dir, f.session, f.options),
        }
    }

    /// `codex exec resume <session>`, the recorded launch kept: whatever the first run had
    /// before codex's own arguments (the program, any wrapper) stays. `codex exec review` has
    /// no resume: a review is run again whole.
    fn resume_argv(&self, meta: &TaskMeta, session: &str) -> Option<Vec<String>> {
        let launch = meta.launch();
        if launch.review.is_some() {
            return Some(launch.argv.clone());
        }
        let sandbox = CodexSandbox::for_task(meta.sandbox, launch.readonly_fallback);
        let args =
            |session| exec_argv(sandbox, &meta.placement().run_dir, session, &launch.options);
        next_run_argv(
            &launch.argv,
            &args(meta.resume_session_id.as_deref()),
            args(Some(session)),
        )
    }

    fn run(&self, run: RunOf<'_>, env: &RunEnv<'_>) -> std::io::Result<Ran> {
        run_once(run.files, run.meta, run.argv, run.prompt, env)
    }
}

/// Runs `codex exec --json` once, to its end: the prompt on its stdin, its JSONL copied to
/// the task's log and folded into its progress.
fn run_once(
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

/// Asking `codex exec` is stopping it: the clock goes straight to its process tree.
struct ExecHalt;

impl Halt for ExecHalt {}

/// Waits for codex, stopping it as the run's clock says: when asked by a signal, when it
/// lingers after its turn, or when the task's limits pass (then with its whole process tree).
fn wait_codex(
    child: &mut Child,
    tracked: &Mutex<Tracked>,
    progress_path: &Path,
    stop: &Stop,
    limits: Limits,
) -> RunEnd {
    let mut clock = RunClock::new(limits);
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
        let look = {
            let mut t = lock(tracked);
            t.save(progress_path, false);
            Look {
                turn_over: t.progress.turn_end.is_some(),
                stop_requested: stop.requested(),
                erring_since: t.progress.errors_since_ms,
            }
        };
        clock.tick(child, &mut ExecHalt, look, &mut end);
        std::thread::sleep(Duration::from_millis(20));
    }
}
