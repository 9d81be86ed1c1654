//! How a run's final status is decided: from the event stream and the exit status together.
//! The supervisor decides when codex exits; a cancel or a recovery decides from the task's
//! files when the supervisor cannot. Both go through [`conclude`].

use std::path::Path;

use super::failure::{FailedRun, ProcessEnd, classify};
use super::scan::scan_log;
use crate::codex::{Progress, Stderr, TurnEnd, review_from_json, sandbox_starts};
use crate::store::{
    CancelRequest, EndedBy, Failure, FailureKind, Outcome, TaskFiles, TaskStatus, read_tail,
    write_json,
};
use crate::text::keep_end;

/// How much of codex's stderr is read for an error message.
const STDERR_TAIL_BYTES: u64 = 8 * 1024;
/// How much of it an error message keeps.
const STDERR_KEEP_CHARS: usize = 2_000;

/// How the codex process ended, when that is known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExitInfo {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

/// How a run ended, as far as its supervisor saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunEnd {
    /// `None` when the supervisor vanished and the exit status is unknown.
    pub exit: Option<ExitInfo>,
    /// Codex did finish its turn but did not exit, so the supervisor stopped it.
    pub stopped_after_turn: bool,
    /// The time limit (seconds) passed and the supervisor stopped codex.
    pub timed_out: Option<u64>,
    /// Codex said nothing but errors (it could not reach its model) for this many seconds, and
    /// the supervisor stopped it.
    pub unreachable: Option<u64>,
    /// The log could not be written in full (a full disk).
    pub log_incomplete: bool,
}

/// Who finalizes a run whose supervisor is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finalizer {
    /// A server starting up.
    Startup,
    /// Any other reader of the task.
    Reader,
}

/// Everything the outcome of a run depends on.
struct Decision<'a> {
    progress: &'a Progress,
    end: RunEnd,
    cancel: Option<CancelRequest>,
    stderr_tail: &'a str,
    /// What the supervisor itself last said (it writes there only when something is wrong).
    supervisor_tail: &'a str,
    log_file: &'a Path,
    finalizer: Option<Finalizer>,
    /// The Codex that ran, to hold a sandbox verdict to the sandbox check.
    codex: Option<&'a Path>,
}

/// The final status and outcome of a run.
fn decide_outcome(d: Decision<'_>) -> (TaskStatus, Outcome) {
    let p = d.progress;
    let exit_ok = match d.end.exit {
        Some(e) => e.code == Some(0) || (d.end.stopped_after_turn && p.turn_completed()),
        None => true,
    };
    let done = p.turn_completed() && exit_ok;
    let mut outcome = Outcome {
        session_id: p.session_id.clone(),
        result: p.answer.clone(),
        exit_code: d.end.exit.and_then(|e| e.code),
        usage: p.usage,
        error: None,
        ended_by: Some(EndedBy::Codex),
        answer_chars: Some(p.answer_chars),
        failure: None,
        // The reviewer's own JSON, where the engine gave it (exec gives only its rendering,
        // which the task's view reads).
        review: p.review_json.as_deref().and_then(review_from_json),
    };
    if let Some(cancel) = d.cancel.as_ref().filter(|_| !done) {
        outcome.error = Some(cancel_error(cancel));
        outcome.ended_by = Some(cancel.by);
        // Codex was stopped: how its process ended says nothing of the task.
        outcome.exit_code = None;
        return (TaskStatus::Cancelled, outcome);
    }
    if let Some(limit) = d.end.timed_out.filter(|_| !done) {
        outcome.error = Some(format!(
            "timed out after {limit} s (timeout_seconds): codex and everything it started were \
             stopped. What it did so far is in the log: {}",
            d.log_file.display()
        ));
        outcome.ended_by = Some(EndedBy::Timeout);
        return with_failure(&d, TaskStatus::Failed, outcome);
    }
    if let Some(limit) = d.end.unreachable.filter(|_| !done) {
        outcome.error = Some(format!(
            "Codex could not reach its model for {limit} s (CODEXMCP_MODEL_UNREACHABLE_TIMEOUT) \
             and was stopped; its last words: {}",
            p.last_error.as_deref().unwrap_or("none")
        ));
        outcome.ended_by = Some(EndedBy::Unreachable);
        return with_failure(&d, TaskStatus::Failed, outcome);
    }
    let status = natural_end(&d, exit_ok, &mut outcome);
    if d.finalizer == Some(Finalizer::Startup) {
        outcome.ended_by = Some(EndedBy::RecoveredAtStart);
    }
    with_failure(&d, status, outcome)
}

/// A failed run gets its kind of failure and what to do about it, from the facts in order:
/// who stopped it, how Codex's process ended, Codex's typed error, its message, its stderr.
fn with_failure(d: &Decision<'_>, status: TaskStatus, mut o: Outcome) -> (TaskStatus, Outcome) {
    if status == TaskStatus::Failed {
        let p = d.progress;
        let message = match &p.turn_end {
            Some(TurnEnd::Failed { message }) => message.as_str(),
            _ => p.last_error.as_deref().unwrap_or_default(),
        };
        let stderr = Stderr::read(d.stderr_tail).error_text();
        let failure = classify(&FailedRun {
            ended_by: o.ended_by,
            process: process_end(d),
            error_info: p.error_info.as_deref(),
            message,
            stderr: &keep_end(&stderr, STDERR_KEEP_CHARS),
            log_incomplete: d.end.log_incomplete,
        });
        let mut failure = held_to_the_sandbox_check(failure, d);
        // Said once: an error that already carries Codex's stderr needs no detail repeating it.
        if o.error
            .as_deref()
            .is_some_and(|e| e.contains(stderr.trim()))
        {
            failure.detail.clear();
        }
        o.failure = Some(failure);
    }
    (status, o)
}

/// A sandbox failure read from Codex's words (not its typed `sandboxError`) stands only if the
/// check `doctor` runs agrees: Codex's sandbox does not start here. Otherwise the words were
/// about something else, and no one is told to weaken the sandbox.
fn held_to_the_sandbox_check(mut f: Failure, d: &Decision<'_>) -> Failure {
    let typed = d.progress.error_info.as_deref() == Some("sandboxError");
    if f.kind != FailureKind::Sandbox || typed {
        return f;
    }
    let starts = d.codex.is_some_and(|codex| sandbox_starts(codex).is_ok());
    if starts {
        f.kind = FailureKind::Unknown;
        f.retryable = false;
        f.hint = "Codex's stderr mentions its sandbox, but `codex sandbox` starts here (as `codex-mcp doctor` checks): read `detail` and the log.".into();
    }
    f
}

/// How Codex's process ended, for the classifier.
fn process_end(d: &Decision<'_>) -> ProcessEnd {
    let p = d.progress;
    match d.end.exit {
        _ if p.turn_end.is_some() => ProcessEnd::FinishedTurn,
        None => ProcessEnd::Unknown,
        Some(ExitInfo {
            signal: Some(s), ..
        }) => ProcessEnd::Signal(s),
        Some(e) if p.turn_started() => ProcessEnd::ExitedMidTurn(e.code),
        Some(e) => ProcessEnd::ExitedBeforeTurn(e.code),
    }
}

/// How a run ended that nobody stopped: by codex's events and its exit.
fn natural_end(d: &Decision<'_>, exit_ok: bool, outcome: &mut Outcome) -> TaskStatus {
    let p = d.progress;
    let errors = Stderr::read(d.stderr_tail).error_text();
    let stderr = match errors.is_empty() {
        true => String::new(),
        false => format!(
            "; its stderr ends with:\n{}",
            keep_end(&errors, STDERR_KEEP_CHARS)
        ),
    };
    match (&p.turn_end, d.end.exit) {
        (Some(TurnEnd::Completed), _) if exit_ok => TaskStatus::Completed,
        (Some(TurnEnd::Failed { message }), _) => {
            outcome.error = Some(format!("codex reported a failed turn: {message}"));
            TaskStatus::Failed
        }
        (_, Some(e)) if !exit_ok || p.turn_end.is_none() => {
            let finished = if p.turn_completed() {
                " after finishing the turn"
            } else if p.turn_started() {
                " without finishing the turn"
            } else {
                " before it started the turn"
            };
            outcome.error = Some(format!("codex {}{finished}{stderr}", describe_exit(e)));
            if e.code.is_none() {
                outcome.ended_by = Some(EndedBy::Crash);
            }
            TaskStatus::Failed
        }
        (_, None) => {
            outcome.error = Some(if p.events == 0 && !d.supervisor_tail.is_empty() {
                format!(
                    "the task's supervisor could not start codex; it said:\n{}",
                    d.supervisor_tail
                )
            } else {
                format!("interrupted: supervisor exited without a result{stderr}")
            });
            outcome.ended_by = Some(EndedBy::Crash);
            TaskStatus::Failed
        }
        _ => TaskStatus::Completed,
    }
}

fn cancel_error(cancel: &CancelRequest) -> String {
    if let Some(question) = cancel.answer {
        return format!(
            "cancelled by the answer `cancel` to Codex's question {question} ({})",
            cancel
                .reason
                .as_deref()
                .unwrap_or("declined, and the turn stopped")
        );
    }
    match (cancel.by, &cancel.reason) {
        (EndedBy::ClientCancel, Some(r)) => format!("cancelled by the client: {r}"),
        (EndedBy::ClientCancel, None) => "cancelled by the client (it gave no reason)".into(),
        (EndedBy::Cli, _) => "cancelled from the command line (codex-mcp cancel)".into(),
        (EndedBy::Attach, _) => "stopped by a person in its tmux pane (Ctrl-C)".into(),
        (EndedBy::SessionClosed, _) => {
            "stopped because its tmux session was closed (tmux kill-session, or the tmux server \
             ended)"
                .into()
        }
        (EndedBy::TaskCancel, _) => {
            "cancelled by the client, which was following it as an MCP task (tasks/cancel)".into()
        }
        _ => "cancelled by codex_cancel".into(),
    }
}

fn describe_exit(e: ExitInfo) -> String {
    match (e.code, e.signal) {
        (Some(c), _) => format!("exited with code {c}"),
        (None, Some(s)) => format!("was killed by signal {s}"),
        (None, None) => "ended".into(),
    }
}

/// The outcome of a run, decided from `progress` and how codex ended together with the task's
/// files: whether a cancel was asked for and the end of codex's stderr. The progress is saved
/// first, so its file agrees with the record.
pub fn conclude(files: &TaskFiles, progress: &Progress, end: RunEnd) -> (TaskStatus, Outcome) {
    decide_from(files, progress, end, None)
}

/// The outcome of a run whose supervisor can no longer report one, decided from its files.
pub fn conclude_from_files(files: &TaskFiles, finalizer: Finalizer) -> (TaskStatus, Outcome) {
    decide_from(files, &scan_log(files), RunEnd::default(), Some(finalizer))
}

fn decide_from(
    files: &TaskFiles,
    progress: &Progress,
    end: RunEnd,
    finalizer: Option<Finalizer>,
) -> (TaskStatus, Outcome) {
    let _ = write_json(&files.progress(), progress);
    let stderr_tail = read_tail(&files.stderr(), STDERR_TAIL_BYTES);
    let supervisor_tail = files.supervisor_log_tail();
    let codex = files
        .read_meta()
        .ok()
        .flatten()
        .and_then(|m| m.launch().argv.first().map(std::path::PathBuf::from));
    decide_outcome(Decision {
        progress,
        end,
        cancel: files.cancel_request(),
        stderr_tail: &stderr_tail,
        supervisor_tail: &supervisor_tail,
        log_file: &files.log(),
        finalizer,
        codex: codex.as_deref(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codex::{LineAssembler, Usage};

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
            end: RunEnd {
                exit,
                ..RunEnd::default()
            },
            cancel: cancel.then(|| CancelRequest {
                by: EndedBy::CancelTool,
                reason: None,
                at: String::new(),
                canceller_notifies: false,
                answer: None,
            }),
            stderr_tail: stderr,
            supervisor_tail: "",
            log_file: Path::new("/t/codex-exec.log"),
            finalizer: None,
            codex: None,
        })
    }

    const OK: Option<ExitInfo> = Some(ExitInfo {
        code: Some(0),
        signal: None,
    });

    #[test]
    fn completed_turn_and_zero_exit() {
        let p = progress(include_str!(
            "../../../tests/fixtures/transcripts/plain_answer.jsonl"
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
            "../../../tests/fixtures/transcripts/model_failure.jsonl"
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
            "../../../tests/fixtures/transcripts/plain_answer.jsonl"
        ));
        let (s, o) = decide(
            &p,
            Some(ExitInfo {
                code: Some(3),
                signal: None,
            }),
            false,
            "boom",
        );
        assert_eq!(s, TaskStatus::Failed);
        // It did finish its turn; the error must not say otherwise.
        let e = o.error.unwrap();
        assert!(e.contains("after finishing the turn"), "{e}");
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
            "../../../tests/fixtures/transcripts/plain_answer.jsonl"
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
            "../../../tests/fixtures/transcripts/plain_answer.jsonl"
        ));
        assert_eq!(decide(&p, OK, true, "").0, TaskStatus::Completed);
    }

    #[test]
    fn the_end_of_long_stderr_lines_is_kept() {
        let p = progress("{\"type\":\"turn.started\"}\n");
        let noise = format!("WARN {}\n", "x".repeat(1_500));
        let stderr = format!("{}Error: invalid API key\n", noise.repeat(5));
        let exit = Some(ExitInfo {
            code: Some(1),
            signal: None,
        });
        let e = decide(&p, exit, false, &stderr).1.error.unwrap();
        assert!(e.ends_with("Error: invalid API key"), "{e}");
        assert!(e.chars().count() < STDERR_KEEP_CHARS + 200);
    }

    #[test]
    fn who_ended_the_task_is_recorded() {
        let running = progress("{\"type\":\"turn.started\"}\n");
        let killed = Some(ExitInfo {
            code: None,
            signal: Some(15),
        });
        let end = |p: &Progress, end: RunEnd, cancel: Option<CancelRequest>, f| {
            decide_outcome(Decision {
                progress: p,
                end,
                cancel,
                stderr_tail: "",
                supervisor_tail: "",
                log_file: Path::new("/t/codex-exec.log"),
                finalizer: f,
                codex: None,
            })
        };
        let client = CancelRequest {
            by: EndedBy::ClientCancel,
            reason: Some("AbortError: user-cancel".into()),
            at: String::new(),
            canceller_notifies: false,
            answer: None,
        };
        let (s, o) = end(
            &running,
            RunEnd {
                exit: killed,
                ..RunEnd::default()
            },
            Some(client),
            None,
        );
        assert_eq!(
            (s, o.ended_by),
            (TaskStatus::Cancelled, Some(EndedBy::ClientCancel))
        );
        assert_eq!(
            o.error.unwrap(),
            "cancelled by the client: AbortError: user-cancel"
        );

        let (s, o) = end(
            &running,
            RunEnd {
                exit: killed,
                timed_out: Some(30),
                ..RunEnd::default()
            },
            None,
            None,
        );
        assert_eq!(
            (s, o.ended_by),
            (TaskStatus::Failed, Some(EndedBy::Timeout))
        );
        let e = o.error.unwrap();
        assert!(
            e.contains("timed out after 30 s") && e.contains("/t/codex-exec.log"),
            "{e}"
        );

        let (_, o) = end(&running, RunEnd::default(), None, Some(Finalizer::Startup));
        assert_eq!(o.ended_by, Some(EndedBy::RecoveredAtStart));
        let (_, o) = end(&running, RunEnd::default(), None, Some(Finalizer::Reader));
        assert_eq!(o.ended_by, Some(EndedBy::Crash));
        let done = progress(include_str!(
            "../../../tests/fixtures/transcripts/plain_answer.jsonl"
        ));
        let (s, o) = end(
            &done,
            RunEnd {
                exit: OK,
                ..RunEnd::default()
            },
            None,
            None,
        );
        assert_eq!(
            (s, o.ended_by),
            (TaskStatus::Completed, Some(EndedBy::Codex))
        );
    }
}
