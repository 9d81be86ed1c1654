//! What kind of failure a failed task had, and what to do about it: read from how the run
//! ended and from Codex's own words (its error message and the end of its stderr).

use crate::store::{EndedBy, Failure, FailureKind};

/// What is known of a failed run.
pub struct FailedRun<'a> {
    pub ended_by: Option<EndedBy>,
    /// The task's error, as decided.
    pub error: &'a str,
    /// The end of codex's stderr.
    pub stderr: &'a str,
    /// Codex was killed by a signal, or ended without finishing its turn.
    pub crashed: bool,
    /// The log could not be written in full (a full disk).
    pub log_incomplete: bool,
}

/// The kind of failure, whether retrying may help, what to do, and Codex's own words.
pub fn classify(run: &FailedRun<'_>) -> Failure {
    let kind = kind_of(run);
    let mut detail = run.error.trim().to_string();
    let stderr = run.stderr.trim();
    if !stderr.is_empty() && !detail.contains(stderr) {
        detail.push_str("\ncodex's stderr ends with:\n");
        detail.push_str(stderr);
    }
    Failure {
        kind,
        retryable: matches!(
            kind,
            FailureKind::RateLimit
                | FailureKind::Network
                | FailureKind::ProcessCrash
                | FailureKind::Interrupted
        ),
        hint: hint(kind).to_string(),
        detail,
    }
}

fn kind_of(run: &FailedRun<'_>) -> FailureKind {
    let text = format!("{}\n{}", run.error, run.stderr).to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    match run.ended_by {
        Some(EndedBy::Timeout) => return FailureKind::Timeout,
        Some(EndedBy::RecoveredAtStart) => return FailureKind::Interrupted,
        _ => {}
    }
    if run.log_incomplete || has(&["no space left on device", "disk quota exceeded"]) {
        FailureKind::DiskFull
    } else if has(&[
        "401",
        "unauthorized",
        "invalid api key",
        "incorrect api key",
        "invalid_api_key",
        "not logged in",
        "please log in",
        "codex login",
        "authentication",
        "token has expired",
        "token expired",
    ]) {
        FailureKind::Authentication
    } else if has(&[
        "429",
        "rate limit",
        "rate_limit",
        "too many requests",
        "quota",
        "usage limit",
        "high demand",
        "overloaded",
    ]) {
        FailureKind::RateLimit
    } else if text.contains("model")
        && has(&[
            "does not exist",
            "not found",
            "not supported",
            "unsupported",
            "model_not_found",
            "unknown model",
            "not available",
            "no access",
            "do not have access",
        ])
    {
        FailureKind::ModelUnavailable
    } else if has(&[
        "sandbox",
        "bwrap",
        "bubblewrap",
        "landlock",
        "seatbelt",
        "seccomp",
    ]) {
        FailureKind::Sandbox
    } else if has(&[
        "error sending request",
        "connection refused",
        "connection reset",
        "could not resolve",
        "dns error",
        "network",
        "stream disconnected",
        "tls",
        "timed out",
    ]) {
        FailureKind::Network
    } else if has(&["400", "invalid_request", "bad request", "invalid request"]) {
        FailureKind::InvalidRequest
    } else if run.ended_by == Some(EndedBy::Crash) && text.contains("interrupted") {
        FailureKind::Interrupted
    } else if run.crashed || has(&["could not start codex"]) {
        FailureKind::ProcessCrash
    } else {
        FailureKind::Unknown
    }
}

fn hint(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Authentication => {
            "Log in with `codex login` (or give the server OPENAI_API_KEY), then run the task again."
        }
        FailureKind::RateLimit => {
            "Wait a minute and retry (with `session_id` to continue), or use another model."
        }
        FailureKind::ModelUnavailable => {
            "Pick another model with `model`: this one is unknown or not offered to this account."
        }
        FailureKind::Network => {
            "Check the network and proxy settings of the machine running codex-mcp, then retry."
        }
        FailureKind::InvalidRequest => {
            "The model's API refused the request: check `model`, `reasoning_effort`, `profile` and the prompt's size."
        }
        FailureKind::Sandbox => {
            "Codex's sandbox could not start here (common in containers): run `codex-mcp doctor`, or set CODEXMCP_READONLY_FALLBACK=1."
        }
        FailureKind::Timeout => {
            "Raise `timeout_seconds` or split the task; continue it with its `session_id`."
        }
        FailureKind::ProcessCrash => {
            "Codex stopped unexpectedly: retry (with `session_id` to continue); if it repeats, run `codex-mcp doctor` and read the log."
        }
        FailureKind::Interrupted => {
            "The task's supervisor was stopped (a restart, a kill): run it again, with `session_id` to continue."
        }
        FailureKind::DiskFull => {
            "Free disk space where the task store is (CODEXMCP_HOME), then retry."
        }
        FailureKind::Unknown => {
            "Read `detail` and the log; run `codex-mcp doctor` to check the setup."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(error: &str, stderr: &str) -> FailureKind {
        classify(&FailedRun {
            ended_by: Some(EndedBy::Codex),
            error,
            stderr,
            crashed: false,
            log_incomplete: false,
        })
        .kind
    }

    #[test]
    fn codexs_words_name_the_kind() {
        assert_eq!(
            kind(
                "codex reported a failed turn: unexpected status 401 Unauthorized",
                ""
            ),
            FailureKind::Authentication
        );
        assert_eq!(
            kind("", "Error: invalid API key"),
            FailureKind::Authentication
        );
        assert_eq!(
            kind(
                "exceeded retry limit, last status: 429 Too Many Requests",
                ""
            ),
            FailureKind::RateLimit
        );
        assert_eq!(
            kind(
                "We’re currently experiencing high demand, which may cause temporary errors.",
                ""
            ),
            FailureKind::RateLimit
        );
        assert_eq!(
            kind(
                "The model `x` does not exist or you do not have access to it.",
                ""
            ),
            FailureKind::ModelUnavailable
        );
        assert_eq!(
            kind("stream disconnected before completion", ""),
            FailureKind::Network
        );
        assert_eq!(
            kind("", "bwrap: setting up uid map: Permission denied"),
            FailureKind::Sandbox
        );
        assert_eq!(
            kind(
                "unexpected status 400 Bad Request: invalid_request_error",
                ""
            ),
            FailureKind::InvalidRequest
        );
        assert_eq!(kind("something new", ""), FailureKind::Unknown);
    }

    #[test]
    fn how_it_ended_decides_first_and_the_hint_says_what_to_do() {
        let f = classify(&FailedRun {
            ended_by: Some(EndedBy::Timeout),
            error: "timed out after 3 s",
            stderr: "",
            crashed: true,
            log_incomplete: false,
        });
        assert_eq!(f.kind, FailureKind::Timeout);
        assert!(!f.retryable && f.hint.contains("timeout_seconds"));
        let f = classify(&FailedRun {
            ended_by: Some(EndedBy::Crash),
            error: "codex was killed by signal 9 without finishing the turn",
            stderr: "thread 'main' panicked",
            crashed: true,
            log_incomplete: false,
        });
        assert_eq!(f.kind, FailureKind::ProcessCrash);
        assert!(f.retryable && f.detail.contains("panicked"));
    }
}
