//! Copying codex's stdout into the task log byte for byte, decoding each line once, and
//! folding it into the progress state (saved to `progress.json`, throttled) and the pane.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::codex::{Decoded, Detail, Event, Item, LineAssembler, Progress, decode, render};
use crate::runner::launch::live_view::LiveView;
use crate::store::{now_ms, write_json};

const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// Progress plus when it was last saved. Saves are throttled; whatever a burst left unsaved is
/// flushed by the wait loop once output goes quiet, so a status never lags for long.
pub(in crate::runner) struct Tracked {
    pub progress: Progress,
    /// The last agent message whole (progress keeps only its start), for `answer.md`.
    pub answer: String,
    /// Why the log stopped being written, when it did (a full disk): it ends there.
    pub log_error: Option<String>,
    saved_at: Instant,
    dirty: bool,
}

impl Default for Tracked {
    fn default() -> Self {
        Tracked {
            progress: Progress::default(),
            answer: String::new(),
            log_error: None,
            saved_at: Instant::now() - PROGRESS_EVERY,
            dirty: false,
        }
    }
}

impl Tracked {
    pub fn save(&mut self, path: &Path, force: bool) {
        if force || (self.dirty && self.saved_at.elapsed() >= PROGRESS_EVERY) {
            let _ = write_json(path, &self.progress);
            self.saved_at = Instant::now();
            self.dirty = false;
        }
    }
}

/// Copies codex's stdout to the log byte for byte; each line is decoded once, then folded into
/// the progress and shown in the pane.
pub(in crate::runner) fn pump(
    mut stdout: impl Read,
    mut log: File,
    tracked: &Mutex<Tracked>,
    progress_path: &Path,
    view: LiveView,
) {
    let mut lines = LineAssembler::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut logged: u64 = 0;
    loop {
        let n = match stdout.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let mut guard = lock(tracked);
        let t = &mut *guard;
        // A full disk must not stop codex: progress still advances from what was read. The log
        // stops at the first failed write, so it holds no gap, and says so.
        if t.log_error.is_none()
            && let Err(e) = log.write_all(&buf[..n])
        {
            t.log_error = Some(format!("after {logged} bytes: {e}"));
        }
        logged += n as u64;
        let terminal_before = t.progress.turn_end.is_some();
        lines.feed(&buf[..n], |l| {
            let decoded = decode(&l);
            if let Some(text) = render(&decoded, Detail::Brief) {
                view.show(&text);
            }
            t.progress.apply_at(&decoded, now_ms());
            if let Decoded::Event {
                event:
                    Event::ItemCompleted {
                        item: Item::AgentMessage { text },
                    },
                ..
            } = decoded
            {
                t.answer = text;
            }
        });
        t.progress.log_offset = lines.line_end_offset();
        let turn_ended = t.progress.turn_end.is_some() != terminal_before;
        t.dirty = true;
        t.save(progress_path, turn_ended);
        drop(guard);
    }
    let mut t = lock(tracked);
    lines.finish(|l| t.progress.feed(l));
    t.save(progress_path, true);
}

pub(in crate::runner) fn lock(p: &Mutex<Tracked>) -> MutexGuard<'_, Tracked> {
    p.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
