//! Finalizing a task whose supervisor is gone without writing a result (it was killed, or the
//! machine rebooted). Everything needed is in the task folder: the log, and the progress the
//! supervisor saved, from whose offset the log scan resumes.

use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use super::outcome::Decision;
use super::{EngineError, decide_outcome};
use crate::codex::{LineAssembler, Progress};
use crate::runner::{Tmux, list_processes, terminate_tree};
use crate::store::{Outcome, TaskFiles, TaskMeta, TaskStatus, now_ms, read_json, read_tail};

/// How long a freshly created task may go without its supervisor taking its lock.
pub const STARTUP_GRACE_MS: u64 = 30_000;

/// Progress of a log, resumed from the last saved state: reads only what was not folded yet.
pub fn scan_log(files: &TaskFiles) -> Progress {
    let mut progress: Progress = read_json(&files.progress())
        .ok()
        .flatten()
        .unwrap_or_default();
    let Ok(mut f) = crate::store::open_nofollow(&files.log()) else {
        return progress;
    };
    let start = progress.log_offset;
    if f.seek(SeekFrom::Start(start)).is_err() {
        return progress;
    }
    let mut lines = LineAssembler::starting_at(start);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match f.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => lines.feed(&buf[..n], |l| progress.feed(l)),
        }
    }
    lines.finish(|l| progress.feed(l));
    progress.log_offset = lines.line_end_offset();
    progress
}

/// Stops what a dead supervisor left running: its process group, but only when codex's
/// recorded pid is still in that group (so a reused pid is never signalled), and the task's tmux
/// session.
pub fn stop_leftovers(meta: &TaskMeta) {
    if let (Some(sup), Some(codex)) = (meta.supervisor_pid, meta.codex_pid) {
        let group = sup as i32;
        let ours = list_processes()
            .unwrap_or_default()
            .iter()
            .any(|p| p.pid == codex as i32 && p.pgid == group && !p.zombie);
        if ours {
            let _ = terminate_tree(&[codex as i32], Some(group), Duration::from_secs(2));
        }
    }
    if let Some(session) = &meta.tmux_session
        && let Ok(tmux) = Tmux::locate()
    {
        tmux.kill_session(session);
    }
}

/// The outcome of a run whose supervisor can no longer report one, decided from its files:
/// the log (scanned from the saved progress on) and the end of codex's stderr.
pub fn outcome_from_files(files: &TaskFiles, cancel_requested: bool) -> (TaskStatus, Outcome) {
    let progress = scan_log(files);
    let _ = crate::store::write_json(&files.progress(), &progress);
    let stderr_tail = read_tail(&files.stderr(), 8 * 1024);
    decide_outcome(Decision {
        progress: &progress,
        exit: None,
        cancel_requested,
        stopped_after_turn: false,
        stderr_tail: &stderr_tail,
        log_file: &files.log(),
    })
}

/// True when a task recorded as running has no supervisor any more.
pub fn is_orphaned(files: &TaskFiles, meta: &TaskMeta) -> bool {
    if meta.status.is_final() || files.supervisor_alive() {
        return false;
    }
    // Before the supervisor takes its lock there is a short window; only a task that has
    // been without one for long is declared dead.
    meta.supervisor_pid.is_some() || now_ms().saturating_sub(meta.started_at_ms) > STARTUP_GRACE_MS
}

/// Finalizes an orphaned task from its log and stops any of its processes still running.
/// Returns the record as it stands afterwards.
pub fn finalize_orphan(files: &TaskFiles) -> Result<Option<TaskMeta>, EngineError> {
    finalize(files, false)
}

/// Like [`finalize_orphan`], for a supervisor this process saw exit: no startup grace applies.
pub fn finalize_exited(files: &TaskFiles) -> Result<Option<TaskMeta>, EngineError> {
    finalize(files, true)
}

fn finalize(files: &TaskFiles, known_exited: bool) -> Result<Option<TaskMeta>, EngineError> {
    let Some(meta) = files.read_meta()? else {
        return Ok(None);
    };
    let dead = known_exited && !meta.status.is_final() && !files.supervisor_alive();
    if !dead && !is_orphaned(files, &meta) {
        return Ok(Some(meta));
    }
    stop_leftovers(&meta);
    let (status, outcome) = outcome_from_files(files, files.cancel_marker().exists());
    let updated = files.update_meta(|m| {
        // Re-checked under the task lock: another server may have finalized it meanwhile.
        if !files.supervisor_alive() {
            m.finish(status, outcome);
        }
    })?;
    Ok(updated.map(|(m, ())| m))
}
