//! Reading a task's log after the fact (its supervisor is gone): the progress saved last, then
//! only the part of the log it does not cover yet.

use std::io::{Read, Seek, SeekFrom};

use crate::codex::{LineAssembler, Progress};
use crate::store::{TaskFiles, open_nofollow, read_json};

/// Progress of a log, resumed from the last saved state: reads only what was not folded yet.
pub fn scan_log(files: &TaskFiles) -> Progress {
    let mut progress: Progress = read_json(&files.progress())
        .ok()
        .flatten()
        .unwrap_or_default();
    let Ok(mut f) = open_nofollow(&files.log()) else {
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
