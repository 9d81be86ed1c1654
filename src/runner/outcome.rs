//! How a run's final status is decided: from the event stream and the exit status together.
//! The supervisor decides when codex exits; a cancel or a recovery decides from the task's
//! files when the supervisor cannot. Both go through [`conclude`].

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::codex::{LineAssembler, MESSAGE_KEEP_CHARS, Progress, TurnEnd};
use crate::store::{
    Outcome, TaskFiles, TaskStatus, open_nofollow, read_json, read_tail, write_json,
};
use crate::text::shorten;

/// How much of codex's stderr is read for an error message.
const STDERR_TAIL_BYTES: u64 = 8 * 1024;

/// How the codex process ended, when that is known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExitInfo {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

/// Everything the outcome of a run depends on.
struct Decision<'a> {
    progress: &'a Progress,
    /// `None` when the supervisor vanished and the exit status is unknown.
    exit: Option<ExitInfo>,
    cancel_requested: bool,
    /// Codex did finish its turn but did not exit, so the supervisor stopped it.
    stopped_after_turn: bool,
    stderr_tail: &'a str,
    log_file: &'a Path,
}

/// The final status and outcome of a run.
fn decide_outcome(d: Decision<'_>) -> (TaskStatus, Outcome) {
    let p = d.progress;
    let exit_ok = match d.exit {
        Some(e) => e.code == Some(0) || (d.stopped_after_turn && p.turn_completed()),
        None => true,
    };
    let mut outcome = Outcome {
        session_id: p.session_id.clone(),
        result: truncate_result(&p.answer, p.answer_chars, d.log_file),
        exit_code: d.exit.and_then(|e| e.code),
        usage: p.usage,
        error: None,
    };
    let stderr = stderr_excerpt(d.stderr_tail);
    let status = if d.cancel_requested && !(p.turn_completed() && exit_ok) {
        outcome.error = Some("cancelled by codex_cancel".into());
        TaskStatus::Cancelled
    } else {
        match (&p.turn_end, d.exit) {
            (Some(TurnEnd::Completed), _) if exit_ok => TaskStatus::Completed,
            (Some(TurnEnd::Failed { message }), _) => {
                outcome.error = Some(format!("codex reported a failed turn: {message}"));
                TaskStatus::Failed
            }
            (_, Some(e)) if !exit_ok || p.turn_end.is_none() => {
                outcome.error = Some(format!(
                    "codex {} without finishing the turn{}",
                    describe_exit(e),
                    stderr
                        .map(|s| format!("; its stderr ends with:\n{s}"))
                        .unwrap_or_default()
                ));
                TaskStatus::Failed
            }
            (_, None) => {
                outcome.error = Some(format!(
                    "interrupted: supervisor exited without a result{}",
                    stderr
                        .map(|s| format!("; codex's stderr ends with:\n{s}"))
                        .unwrap_or_default()
                ));
                TaskStatus::Failed
            }
            _ => TaskStatus::Completed,
        }
    };
    (status, outcome)
}

fn describe_exit(e: ExitInfo) -> String {
    match (e.code, e.signal) {
        (Some(c), _) => format!("exited with code {c}"),
        (None, Some(s)) => format!("was killed by signal {s}"),
        (None, None) => "ended".into(),
    }
}

/// The outcome of a run, decided from `progress` and how codex ended (`None`: unknown, the
/// supervisor is gone) together with the task's files: whether a cancel was asked for and the
/// end of codex's stderr. The progress is saved first, so its file agrees with the record.
pub fn conclude(
    files: &TaskFiles,
    progress: &Progress,
    exit: Option<ExitInfo>,
    stopped_after_turn: bool,
) -> (TaskStatus, Outcome) {
    let _ = write_json(&files.progress(), progress);
    let stderr_tail = read_tail(&files.stderr(), STDERR_TAIL_BYTES);
    decide_outcome(Decision {
        progress,
        exit,
        cancel_requested: files.cancel_marker().exists(),
        stopped_after_turn,
        stderr_tail: &stderr_tail,
        log_file: &files.log(),
    })
}

/// The outcome of a run whose supervisor can no longer report one, decided from its files.
pub fn conclude_from_files(files: &TaskFiles) -> (TaskStatus, Outcome) {
    conclude(files, &scan_log(files), None, false)
}

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

/// The last lines of stderr that say something (codex prints a harmless banner there).
fn stderr_excerpt(tail: &str) -> Option<String> {
    let useful: Vec<&str> = tail
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("Reading additional input from stdin"))
        .collect();
    if useful.is_empty() {
        return None;
    }
    let start = useful.len().saturating_sub(20);
    Some(shorten(&useful[start..].join("\n"), 2_000))
}

/// The answer as reported: at most [`MESSAGE_KEEP_CHARS`] characters, with a note that gives
/// the log's path when it was cut.
fn truncate_result(answer: &str, total_chars: usize, log_file: &Path) -> String {
    if total_chars <= MESSAGE_KEEP_CHARS && answer.chars().count() <= MESSAGE_KEEP_CHARS {
        return answer.to_string();
    }
    let kept: String = answer.chars().take(MESSAGE_KEEP_CHARS).collect();
    format!(
        "{kept}\n\n[truncated: the answer has {total_chars} characters and only the first {MESSAGE_KEEP_CHARS} are shown; the full text is in {}]",
        log_file.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codex::Usage;

    fn progress(jsonl: &str) -> Progress {
        let mut p = Progress::default();
        LineAssembler::new().feed(jsonl.as_bytes(), |l| p.feed(l));
        p
    }

    fn decide(
        p: &Progress,
        exit: Option<ExitInfo>,
        cancel: bool,
        stderr: &str,
    ) -> (TaskStatus, Outcome) {
        decide_outcome(Decision {
            progress: p,
            exit,
            cancel_requested: cancel,
            stopped_after_turn: false,
            stderr_tail: stderr,
            log_file: Path::new("/t/codex-exec.log"),
        })
    }

    const OK: Option<ExitInfo> = Some(ExitInfo {
        code: Some(0),
        signal: None,
    });

    #[test]
    fn completed_turn_and_zero_exit() {
        let p = progress(include_str!(
            "../../tests/fixtures/transcripts/plain_answer.jsonl"
        ));
        let (s, o) = decide(&p, OK, false, "");
        assert_eq!(s, TaskStatus::Completed);
        assert_eq!(o.result, "The code looks fine.");
        assert_eq!(
            o.session_id.as_deref(),
            Some("01a200e7-30c1-7f70-988f-0d0342cef250")
        );
        assert_eq!(
            o.usage,
            Usage {
                input_tokens: 100,
                cached_input_tokens: 10,
                output_tokens: 20,
                reasoning_output_tokens: 5
            }
        );
        assert!(o.error.is_none());
    }

    #[test]
    fn failed_turn_carries_model_message() {
        let p = progress(include_str!(
            "../../tests/fixtures/transcripts/model_failure.jsonl"
        ));
        let (s, o) = decide(
            &p,
            Some(ExitInfo {
                code: Some(1),
                signal: None,
            }),
            false,
            "",
        );
        assert_eq!(s, TaskStatus::Failed);
        assert!(o.error.unwrap().contains("high demand"));
    }

    #[test]
    fn exit_without_terminal_event_uses_stderr() {
        let p = progress("{\"type\":\"thread.started\",\"thread_id\":\"x\"}\n");
        let (s, o) = decide(
            &p,
            Some(ExitInfo {
                code: Some(2),
                signal: None,
            }),
            false,
            "Reading additional input from stdin...\nError: config broken\n",
        );
        assert_eq!(s, TaskStatus::Failed);
        let e = o.error.unwrap();
        assert!(
            e.contains("code 2") && e.contains("config broken") && !e.contains("Reading"),
            "{e}"
        );
    }

    #[test]
    fn nonzero_exit_after_completed_turn_fails() {
        let p = progress(include_str!(
            "../../tests/fixtures/transcripts/plain_answer.jsonl"
        ));
        let (s, _) = decide(
            &p,
            Some(ExitInfo {
                code: Some(3),
                signal: None,
            }),
            false,
            "boom",
        );
        assert_eq!(s, TaskStatus::Failed);
    }

    #[test]
    fn vanished_supervisor() {
        let p = progress("{\"type\":\"turn.started\"}\n");
        let (s, o) = decide(&p, None, false, "");
        assert_eq!(s, TaskStatus::Failed);
        assert!(
            o.error
                .unwrap()
                .starts_with("interrupted: supervisor exited without a result")
        );
        let p = progress(include_str!(
            "../../tests/fixtures/transcripts/plain_answer.jsonl"
        ));
        assert_eq!(decide(&p, None, false, "").0, TaskStatus::Completed);
    }

    #[test]
    fn cancel_wins_unless_already_done() {
        let p = progress("{\"type\":\"turn.started\"}\n");
        let killed = Some(ExitInfo {
            code: None,
            signal: Some(15),
        });
        assert_eq!(decide(&p, killed, true, "").0, TaskStatus::Cancelled);
        let p = progress(include_str!(
            "../../tests/fixtures/transcripts/plain_answer.jsonl"
        ));
        assert_eq!(decide(&p, OK, true, "").0, TaskStatus::Completed);
    }

    #[test]
    fn long_answers_are_cut_with_a_pointer_to_the_log() {
        let long = "é".repeat(MESSAGE_KEEP_CHARS + 5);
        let r = truncate_result(
            &long,
            MESSAGE_KEEP_CHARS + 5,
            Path::new("/t/codex-exec.log"),
        );
        assert!(r.chars().count() < MESSAGE_KEEP_CHARS + 300);
        assert!(r.contains("/t/codex-exec.log") && r.contains("truncated"));
        assert_eq!(truncate_result("short", 5, Path::new("/x")), "short");
    }
}
