//! `codex-mcp supervise <task_dir>`: the process that owns one codex run. It is started in its
//! own session (or as a tmux pane), so it outlives the MCP server. It feeds codex the prompt
//! file on stdin, copies the raw JSONL to the task log while folding it into `progress.json`,
//! and writes the final outcome into `meta.json` itself, so no server needs to be alive when
//! the run ends.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, Signal, kill};
use nix::unistd::Pid;

use super::drive::driver::Driver;
use super::drive::pump::Tracked;
use super::drive::run::{Limits, RunEnv, Stop};
use super::drive::seam::RunOf;
use super::end::outcome::{ExitInfo, RunEnd, conclude};
use super::launch::live_view::LiveView;
use super::queue::wait_for_slot;
use crate::codex::MESSAGE_KEEP_CHARS;
use crate::config::Config;
use crate::store::{
    Approval, Attempt, CancelRequest, EndFindings, EndedBy, Outcome, StoreError, TaskFiles,
    TaskMeta, TaskStatus, now_ms, open_append, rfc3339, write_atomic,
};

/// The pause before the first retry; it doubles for each further one.
const RETRY_BACKOFF: Duration = Duration::from_secs(2);

/// Runs the supervisor of the task in `task_dir` until codex has ended and the outcome is
/// recorded.
pub fn run_supervisor(task_dir: &Path, view: LiveView) -> ExitCode {
    // Already a session leader when tmux started us; that failure is expected.
    let _ = nix::unistd::setsid();
    // Processes codex leaves behind come back to us instead of to init, so they can be
    // stopped when the run ends (Linux; elsewhere the process group covers most of them).
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_child_subreaper(true);
    match supervise(&TaskFiles::at(task_dir), view) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codex-mcp supervisor: {e}");
            ExitCode::FAILURE
        }
    }
}

fn supervise(files: &TaskFiles, view: LiveView) -> Result<(), StoreError> {
    let env = super::launch::take_environment(files);
    let config = env.as_ref().map_or_else(Config::from_env, |e| {
        Config::from_lookup(|k| e.get(k).map(OsString::from))
    });
    // Signals are taken by a dedicated thread; every thread inherits this mask. Every program
    // started from here resets it (`child::with_clean_signals`): a mask survives exec.
    let signals = SigSet::from_iter([Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP]);
    let _ = signals.thread_block();
    let _alive = files.hold_alive_lock()?;
    let meta = files
        .update_meta(|m| m.supervised_by(std::process::id()))?
        .map(|(m, ())| m)
        .ok_or_else(|| missing(files))?;
    if meta.status().is_final() {
        return Ok(());
    }
    let stop = forward_signals(signals, files.clone(), view);
    if files.cancel_marker().exists() {
        return finish_cancelled(files, &config);
    }
    let stopped = || stop.requested() || files.cancel_marker().exists();
    // A task's chain of delegation shares its limits, whatever this process's environment.
    let (depth, max_parallel) = match meta.launch().lineage {
        Some(l) => (l.depth, l.max_parallel),
        None => (config.depth + 1, config.max_parallel),
    };
    // A host's places are its own (hosts.toml's `max_parallel`), as the file says now.
    let max_parallel = match super::Launch::of(&meta).host() {
        Some(host) => crate::config::hosts::Hosts::load(&config)
            .ok()
            .and_then(|hosts| hosts.get(host).map(|h| h.max_parallel))
            .unwrap_or(crate::config::hosts::DEFAULT_HOST_PARALLEL),
        None => max_parallel,
    };
    let Some(_slot) = wait_for_slot(files, &meta, max_parallel, &config, stopped)? else {
        return finish_cancelled(files, &config);
    };
    view.show(&header(&meta, files));
    // The time limit counts from here: waiting in the queue does not use it up.
    let limits = Limits::from_now(&config, meta.launch().timeout_seconds);
    let run_env = RunEnv {
        env: env.as_ref(),
        depth,
        view,
        stop: &stop,
        limits,
        config: &config,
    };
    let driver = Driver::of(&meta);
    run_attempts(files, &meta, driver, &run_env)?;
    let status = files.read_meta().ok().flatten().map(|m| m.status());
    view.show(&format!(
        "\ntask {}; this window closes now.",
        status.map_or("?", |s| s.as_str())
    ));
    Ok(())
}

/// Runs Codex until an attempt ends in a way not worth retrying (or a stop), and records the
/// end.
fn run_attempts(
    files: &TaskFiles,
    meta: &TaskMeta,
    driver: Driver,
    run_env: &RunEnv<'_>,
) -> Result<(), StoreError> {
    let (config, stop) = (run_env.config, run_env.stop);
    let mut attempt = Try::first(files, meta);
    loop {
        let (argv, prompt) = (&attempt.argv, &attempt.prompt);
        let session = attempt.session.as_deref();
        let of = RunOf {
            files,
            meta,
            argv,
            prompt,
            session,
        };
        let run = match driver.run(of, run_env) {
            Ok(run) => run,
            Err(e) => return fail_to_start(files, meta, &e, config),
        };
        let (status, outcome) = conclude(files, &run.tracked.progress, run.end);
        if let Some(next) = attempt.retry(files, meta, &outcome, stop) {
            record_attempt(files, &attempt, &outcome, run_env.view)?;
            if !backoff(attempt.number, files, stop) {
                return finish_cancelled(files, config);
            }
            attempt = next;
            continue;
        }
        let end = End {
            status,
            outcome,
            warnings: run.warnings,
            late_approvals: run.late_approvals,
            // Taken before the end is recorded, so the end record is whole when it appears:
            // every later read of the task (a client polls each task once a second) costs
            // the same.
            // (The record as it is now: a host's task got its worktree during the run.)
            findings: files
                .read_meta()
                .ok()
                .flatten()
                .filter(|m| m.placement().worktree.is_some())
                .map(|m| super::end::findings::end_findings(files, &m, config)),
        };
        return finish(files, &run.tracked, end, config);
    }
}

/// One run of codex: the first, or a retry that resumes the session.
struct Try {
    number: u32,
    argv: Vec<String>,
    prompt: PathBuf,
    /// The session the run continues, when it does.
    session: Option<String>,
}

impl Try {
    fn first(files: &TaskFiles, meta: &TaskMeta) -> Try {
        Try {
            number: 1,
            argv: meta.launch().argv.clone(),
            prompt: files.prompt(),
            session: meta.resume_session_id.clone(),
        }
    }

    /// The next attempt, when this one failed in a way worth retrying, retries are left, and
    /// nobody asked to stop. It resumes the session when there is one.
    fn retry(
        &self,
        files: &TaskFiles,
        meta: &TaskMeta,
        outcome: &Outcome,
        stop: &Stop,
    ) -> Option<Try> {
        let failure = outcome.failure.as_ref().filter(|f| f.retryable)?;
        if self.number > meta.launch().retries
            || stop.requested()
            || files.cancel_marker().exists()
            || outcome.ended_by == Some(EndedBy::Timeout)
        {
            return None;
        }
        let Some(session) = &outcome.session_id else {
            return Some(Try {
                number: self.number + 1,
                ..Try::first(files, meta)
            });
        };
        let prompt = files.retry_prompt();
        let text = format!(
            "Your previous attempt at this task stopped because of an error ({:?}: {}). \
             Continue where you stopped and finish the task as it was asked.",
            failure.kind,
            outcome
                .error
                .as_deref()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
        );
        write_atomic(&prompt, text.as_bytes()).ok()?;
        let argv = Driver::of(meta).resume_argv(meta, session)?;
        Some(Try {
            number: self.number + 1,
            argv,
            prompt,
            session: Some(session.clone()),
        })
    }
}

/// Notes a failed attempt that will be retried, in the record and the pane.
fn record_attempt(
    files: &TaskFiles,
    attempt: &Try,
    outcome: &Outcome,
    view: LiveView,
) -> Result<(), StoreError> {
    let Some(failure) = &outcome.failure else {
        return Ok(());
    };
    let error = outcome.error.clone().unwrap_or_default();
    view.show(&format!(
        "attempt {} failed ({:?}): {error}; retrying",
        attempt.number, failure.kind
    ));
    files.update_meta(|m| {
        m.retried(Attempt {
            attempt: attempt.number,
            ended_at: rfc3339(now_ms()),
            failure: failure.kind,
            error: error.clone(),
        })
    })?;
    Ok(())
}

/// Waits before retry `number` + 1 (2 s, 4 s, 8 s). False when a stop was asked for meanwhile.
fn backoff(number: u32, files: &TaskFiles, stop: &Stop) -> bool {
    let until = Instant::now() + RETRY_BACKOFF * 2u32.pow(number.saturating_sub(1));
    while Instant::now() < until {
        if stop.requested() || files.cancel_marker().exists() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// Records a task that was asked to stop before codex ran (again).
fn finish_cancelled(files: &TaskFiles, config: &Config) -> Result<(), StoreError> {
    let tracked = Tracked::default();
    let (status, outcome) = conclude(files, &tracked.progress, RunEnd::default());
    finish(files, &tracked, End::of(status, outcome), config)
}

/// What the pane shows first: which task this is, where it runs, and where its log is.
fn header(meta: &TaskMeta, files: &TaskFiles) -> String {
    format!(
        "Detach without stopping the task: Ctrl-b d. Ctrl-C here stops it.\n\
         codex-mcp task {} ({})\nin {}\nlog {}\n",
        meta.task_id,
        meta.sandbox,
        meta.placement().run_dir.display(),
        files.log().display()
    )
}

/// Who a stop signal in a task's tmux pane comes from: Ctrl-C is a person stopping the task,
/// a hang-up its session closing. Elsewhere (a detached supervisor) a signal names nobody.
fn stopped_by(view: LiveView, sig: Signal) -> Option<EndedBy> {
    match (view, sig) {
        (LiveView::Pane, Signal::SIGINT) => Some(EndedBy::Attach),
        (LiveView::Pane, Signal::SIGHUP) => Some(EndedBy::SessionClosed),
        _ => None,
    }
}

/// A signal thread: records which stop signal arrived, records who stopped the task when the
/// signal names someone (before Codex's end is decided), and passes SIGTERM on to codex.
fn forward_signals(signals: SigSet, files: TaskFiles, view: LiveView) -> Stop {
    let stop = Stop {
        signal: Arc::new(AtomicI32::new(0)),
        codex_pid: Arc::new(AtomicI32::new(0)),
    };
    let seen = stop.clone();
    std::thread::spawn(move || {
        while let Ok(sig) = signals.wait() {
            if let Some(by) = stopped_by(view, sig) {
                let _ = files.request_cancel(&CancelRequest {
                    by,
                    reason: Some(format!("{sig}")),
                    at: rfc3339(now_ms()),
                    canceller_notifies: false,
                    answer: None,
                });
            }
            seen.signal.store(sig as i32, Ordering::SeqCst);
            let pid = seen.codex_pid.load(Ordering::SeqCst);
            if pid > 0 {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
        }
    });
    stop
}

fn missing(files: &TaskFiles) -> StoreError {
    StoreError::io(
        files.meta(),
        std::io::Error::new(std::io::ErrorKind::NotFound, "task record is missing"),
    )
}

fn fail_to_start(
    files: &TaskFiles,
    meta: &TaskMeta,
    e: &std::io::Error,
    config: &Config,
) -> Result<(), StoreError> {
    // A missing working directory makes the spawn fail as if codex itself were missing.
    let message = if meta.placement().run_dir.is_dir() {
        format!(
            "could not start codex ({}): {e}",
            meta.launch()
                .argv
                .first()
                .map(String::as_str)
                .unwrap_or("?")
        )
    } else {
        format!(
            "could not start codex: the task's working directory `{}` is gone (removed while \
             the task started?)",
            meta.placement().run_dir.display()
        )
    };
    let _ = writeln!(open_append(&files.stderr())?, "{message}");
    let end = RunEnd {
        exit: Some(ExitInfo {
            code: Some(127),
            signal: None,
        }),
        ..RunEnd::default()
    };
    let tracked = Tracked::default();
    let (status, outcome) = conclude(files, &tracked.progress, end);
    finish(files, &tracked, End::of(status, outcome), config)
}

/// Decides the outcome and records it, unless someone (a cancel) already finalized the task.
/// The warnings go in the same write as the status: a caller that sees the task finished must
/// also see why it needs attention.
fn finish(
    files: &TaskFiles,
    tracked: &Tracked,
    end: End,
    config: &Config,
) -> Result<(), StoreError> {
    let End {
        status,
        outcome,
        mut warnings,
        late_approvals,
        findings,
    } = end;
    warnings.extend(keep_answer_whole(files, tracked));
    let ended = record_final(files, |m| {
        let ended = m.finish(status, outcome.clone());
        if ended {
            m.answered_late(late_approvals.clone());
            m.warn(warnings.iter().cloned());
            if let Some(f) = &findings {
                f.clone().apply(m);
            }
        }
        ended
    })?;
    let canceller_notifies = files.cancel_request().is_some_and(|c| c.canceller_notifies);
    if let Some(meta) =
        ended.filter(|m| !(canceller_notifies && m.status() == TaskStatus::Cancelled))
    {
        super::end::notify::task_ended(config, &meta);
    }
    Ok(())
}

/// The record holds the start of the answer; a long one is kept whole beside it, so a caller
/// can page through it. On a full disk the space set aside at the task's start goes to the
/// answer first: the record's own final write waits for space if it must. Says what was not
/// kept, and a log that stopped short.
fn keep_answer_whole(files: &TaskFiles, tracked: &Tracked) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut answer_cut = false;
    if tracked.answer.chars().count() > MESSAGE_KEEP_CHARS {
        let write = || write_atomic(&files.answer(), tracked.answer.as_bytes());
        let written = write().or_else(|e| match e.is_disk_full() {
            true => {
                files.release_reserve();
                write()
            }
            false => Err(e),
        });
        if let Err(e) = written {
            answer_cut = true;
            warnings.push(format!(
                "only the first {MESSAGE_KEEP_CHARS} characters of the answer were kept: {e}"
            ));
        }
    }
    if let Some(why) = &tracked.log_error {
        let result = if answer_cut {
            "The result holds the start of the answer"
        } else {
            "The result is complete"
        };
        warnings.push(format!(
            "the log {} is incomplete: writing it stopped {why}. {result}",
            files.log().display()
        ));
    }
    warnings
}

/// A run's end as the supervisor records it, in one write.
struct End {
    status: TaskStatus,
    outcome: Outcome,
    warnings: Vec<String>,
    /// Answers the record could not take while the run went on.
    late_approvals: Vec<Approval>,
    /// A full-access task's findings.
    findings: Option<EndFindings>,
}

impl End {
    fn of(status: TaskStatus, outcome: Outcome) -> End {
        End {
            status,
            outcome,
            warnings: Vec::new(),
            late_approvals: Vec::new(),
            findings: None,
        }
    }
}

/// Writes the task's end. On a full disk the space reserved at the task's start is freed for
/// it, and the write is retried until it succeeds: the outcome in hand (answer, session, usage)
/// is never traded for an "interrupted".
fn record_final(
    files: &TaskFiles,
    change: impl Fn(&mut TaskMeta) -> bool,
) -> Result<Option<TaskMeta>, StoreError> {
    let mut pause = Duration::from_millis(500);
    let mut freed = false;
    loop {
        match files.update_meta(&change) {
            Ok(written) => {
                files.release_reserve();
                // The record as this write ended it; `None` when someone else ended it first.
                return Ok(written.and_then(|(m, ended)| ended.then_some(m)));
            }
            Err(e) if e.is_disk_full() => {
                if !freed {
                    files.release_reserve();
                    freed = true;
                    continue;
                }
                eprintln!("codex-mcp supervisor: {e}; retrying in {pause:?}");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(30));
            }
            Err(e) => return Err(e),
        }
    }
}
