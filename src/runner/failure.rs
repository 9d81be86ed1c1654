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
    /// Codex was stopped after it could not reach its model for too long.
    pub unreachable: bool,
    /// The kind app-server gave the error (`codexErrorInfo`: `usageLimitExceeded`,
    /// `httpConnectionFailed`…), when it gave one.
    pub error_info: Option<&'a str>,
}

/// The kind of failure, whether retrying may help, what to do, and Codex's own words.
pub fn classify(run: &FailedRun<'_>) -> Failure {
    let kind = kind_of(run);
    // The error is said in `error`; the detail adds only what Codex's stderr says beyond it.
    let stderr = run.stderr.trim();
    let detail = if stderr.is_empty() || run.error.contains(stderr) {
        String::new()
    } else {
        format!("codex's stderr ends with:\n{stderr}")
    };
    Failure {
        kind,
        retryable: matches!(
            kind,
            FailureKind::RateLimit
                | FailureKind::ServerError
                | FailureKind::Network
                | FailureKind::ProcessCrash
                | FailureKind::Interrupted
        ),
        hint: hint(kind).to_string(),
        detail,
    }
}

/// Codex's words, in the order they are tried: the first row with a match names the kind.
/// Status codes come first (Codex words a 500 as "high demand", which is not a rate limit), and
/// every row is proven against what the real Codex CLI prints (`tests` below, and
/// `tests/it/failures.rs` against the CLI itself).
const ROWS: &[(FailureKind, &[&str])] = &[
    (
        FailureKind::SessionNotFound,
        &[
            "no rollout found for thread id",
            "session not found",
            "thread not found",
        ],
    ),
    (
        FailureKind::DiskFull,
        &["no space left on device", "disk quota exceeded"],
    ),
    (
        FailureKind::ServerError,
        &[
            "status 500",
            "status 502",
            "status 503",
            "status 504",
            "currently experiencing high demand",
            "internal server error",
            "bad gateway",
            "service unavailable",
            "gateway timeout",
            "overloaded",
        ],
    ),
    (
        FailureKind::Authentication,
        &[
            "status 401",
            "401 unauthorized",
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
        ],
    ),
    (
        FailureKind::RateLimit,
        &[
            "status 429",
            "429 too many requests",
            "too many requests",
            "rate limit",
            "rate_limit",
            "quota",
            "usage limit",
        ],
    ),
    (
        FailureKind::ModelNotFound,
        &[
            "model_not_found",
            "unknown model",
            "model not found",
            "does not exist",
        ],
    ),
    (
        FailureKind::ModelUnavailable,
        &[
            "model is not supported",
            "not supported with",
            "unsupported model",
            "model is not available",
            "do not have access to the model",
        ],
    ),
    (
        FailureKind::Sandbox,
        &[
            "sandbox",
            "bwrap",
            "bubblewrap",
            "landlock",
            "seatbelt",
            "seccomp",
        ],
    ),
    (
        FailureKind::Network,
        &[
            "error sending request",
            "connection refused",
            "connection reset",
            "could not resolve",
            "dns error",
            "network",
            "stream disconnected",
            "tls",
            "timed out",
        ],
    ),
    (
        FailureKind::BadRequest,
        &[
            "status 400",
            "400 bad request",
            "bad request",
            "invalid_request",
            "invalid request",
            // Codex passes a 400's JSON body on as it came.
            "{\"error\":",
        ],
    ),
];

fn kind_of(run: &FailedRun<'_>) -> FailureKind {
    match run.ended_by {
        Some(EndedBy::Timeout) => return FailureKind::Timeout,
        Some(EndedBy::RecoveredAtStart) => return FailureKind::Interrupted,
        _ => {}
    }
    if run.log_incomplete {
        return FailureKind::DiskFull;
    }
    if let Some(kind) = run.error_info.and_then(typed_kind) {
        return kind;
    }
    let text = format!("{}\n{}", run.error, run.stderr).to_ascii_lowercase();
    let text = text.replace("{\"error\": ", "{\"error\":");
    if let Some((kind, _)) = ROWS
        .iter()
        .find(|(_, words)| words.iter().any(|w| text.contains(w)))
    {
        return *kind;
    }
    if run.unreachable {
        FailureKind::Network
    } else if run.ended_by == Some(EndedBy::Crash) && text.contains("interrupted") {
        FailureKind::Interrupted
    } else if run.crashed || text.contains("could not start codex") {
        FailureKind::ProcessCrash
    } else {
        FailureKind::Unknown
    }
}

/// The kind app-server's `codexErrorInfo` names, when it names one this knows.
fn typed_kind(info: &str) -> Option<FailureKind> {
    // An HTTP status says more than the name of the connection step that saw it.
    let (name, status) = match info.split_once(':') {
        Some((name, code)) => (name, code.parse::<u16>().ok()),
        None => (info, None),
    };
    match status {
        Some(500..=599) => return Some(FailureKind::ServerError),
        Some(429) => return Some(FailureKind::RateLimit),
        Some(401 | 403) => return Some(FailureKind::Authentication),
        // Another status: the words of the message tell more (a 400 about a model, say).
        Some(_) => return None,
        None => {}
    }
    Some(match name {
        "contextWindowExceeded" => FailureKind::ContextWindow,
        "usageLimitExceeded" | "sessionBudgetExceeded" => FailureKind::UsageLimit,
        "rateLimitExceeded" => FailureKind::RateLimit,
        "serverOverloaded" | "internalServerError" | "policyCapacityUnavailable" => {
            FailureKind::ServerError
        }
        "modelNotFound" => FailureKind::ModelNotFound,
        "unauthorized" => FailureKind::Authentication,
        "badRequest" => FailureKind::BadRequest,
        "sandboxError" => FailureKind::Sandbox,
        "httpConnectionFailed"
        | "responseStreamConnectionFailed"
        | "responseStreamDisconnected"
        | "responseTooManyFailedAttempts" => FailureKind::Network,
        _ => return None,
    })
}

fn hint(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Authentication => {
            "Log in with `codex login` (or give the server OPENAI_API_KEY), then run the task again."
        }
        FailureKind::RateLimit => {
            "Wait a minute and retry (with `session_id` to continue), or use another model."
        }
        FailureKind::UsageLimit => {
            "The account's usage limit is reached: wait until it resets (Codex says when), or use another account or API key."
        }
        FailureKind::ContextWindow => {
            "The conversation no longer fits the model's context: start a new session (no `session_id`) with a shorter prompt that points to files."
        }
        FailureKind::ServerError => {
            "The model's API failed on its side: retry in a moment (with `session_id` to continue)."
        }
        FailureKind::ModelNotFound => {
            "Pick another model with `model`: this one does not exist (check its spelling)."
        }
        FailureKind::ModelUnavailable => {
            "Pick another model with `model`: this one is not offered to this account."
        }
        FailureKind::SessionNotFound => {
            "Codex does not know that session: start a new one by calling again without `session_id`."
        }
        FailureKind::Network => {
            "Codex could not reach its model: check the network and the proxy (HTTPS_PROXY) of the machine running codex-mcp, and that Codex is logged in (`codex login`) or has an API key (OPENAI_API_KEY), then retry."
        }
        FailureKind::BadRequest => {
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
            unreachable: false,
            error_info: None,
        })
        .kind
    }

    /// One test per row of the classifier, each fed what the real Codex CLI 0.169.0 printed
    /// (its turn.failed message, or its stderr) against a model API answering that way.
    macro_rules! seen {
        ($($name:ident: $error:expr, $stderr:expr => $kind:ident;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(kind($error, $stderr), FailureKind::$kind);
            }
        )*};
    }

    seen! {
        a_500_is_a_server_error_though_codex_says_high_demand: "codex reported a failed turn: We’re currently experiencing high demand, which may cause temporary errors.", "" => ServerError;
        a_502_is_a_server_error: "codex reported a failed turn: unexpected status 502 Bad Gateway: Bad gateway, url: http://127.0.0.1:1/v1/responses", "" => ServerError;
        a_503_is_a_server_error: "codex reported a failed turn: unexpected status 503 Service Unavailable: Service Unavailable, url: http://127.0.0.1:1/v1/responses", "" => ServerError;
        a_429_is_a_rate_limit: "codex reported a failed turn: exceeded retry limit, last status: 429 Too Many Requests", "" => RateLimit;
        a_400_is_a_bad_request: "codex reported a failed turn: {\"error\": {\"message\": \"Invalid value for reasoning\", \"type\": \"x\", \"code\": null}}", "" => BadRequest;
        an_unknown_model_is_model_not_found: "codex reported a failed turn: {\"error\":{\"code\":\"model_not_found\",\"message\":\"The model `unknown-model-1` does not exist or you do not have access to it.\",\"type\":\"invalid_request_error\"}}", "" => ModelNotFound;
        a_404_model_is_model_not_found: "codex reported a failed turn: unexpected status 404 Not Found: The model gpt-9 does not exist or you do not have access to it., url: http://127.0.0.1:1/v1/responses", "" => ModelNotFound;
        a_model_not_offered_to_the_account_is_unavailable: "codex reported a failed turn: {\"detail\":\"The 'gpt-5.1-codex-max' model is not supported when using Codex with a ChatGPT account.\"}", "" => ModelUnavailable;
        a_401_is_authentication: "codex reported a failed turn: unexpected status 401 Unauthorized: Incorrect API key provided, url: http://127.0.0.1:1/v1/responses", "" => Authentication;
        an_unknown_session_is_session_not_found: "codex exited with code 1 without finishing the turn", "Error: thread/resume: thread/resume failed: no rollout found for thread id 01a21551-5ff7-7601-9123-2d01385aba40 (code -32600)" => SessionNotFound;
        a_dropped_stream_is_the_network: "codex reported a failed turn: stream disconnected before completion: error sending request for url (http://127.0.0.1:1/v1/responses)", "" => Network;
        bwrap_failing_is_the_sandbox: "", "bwrap: setting up uid map: Permission denied" => Sandbox;
        new_words_are_unknown: "something new", "" => Unknown;
    }

    #[test]
    fn app_servers_typed_kinds_come_first() {
        for (info, kind) in [
            ("contextWindowExceeded", FailureKind::ContextWindow),
            ("usageLimitExceeded", FailureKind::UsageLimit),
            ("unauthorized", FailureKind::Authentication),
            ("httpConnectionFailed", FailureKind::Network),
            (
                "responseStreamConnectionFailed:502",
                FailureKind::ServerError,
            ),
            ("httpConnectionFailed:429", FailureKind::RateLimit),
            ("internalServerError", FailureKind::ServerError),
            ("sandboxError", FailureKind::Sandbox),
        ] {
            let f = classify(&FailedRun {
                ended_by: Some(EndedBy::Codex),
                // Words another row would take, to show the typed kind wins.
                error: "status 429 Too Many Requests",
                stderr: "",
                crashed: false,
                log_incomplete: false,
                unreachable: false,
                error_info: Some(info),
            });
            assert_eq!(f.kind, kind, "{info}");
        }
    }

    #[test]
    fn server_errors_are_retryable_and_an_unknown_session_is_not() {
        let f = |error: &str, stderr: &str| {
            classify(&FailedRun {
                ended_by: Some(EndedBy::Codex),
                error,
                stderr,
                crashed: false,
                log_incomplete: false,
                unreachable: false,
                error_info: None,
            })
        };
        assert!(f("We’re currently experiencing high demand", "").retryable);
        let s = f("", "no rollout found for thread id 01a2");
        assert!(
            !s.retryable && s.hint.contains("without `session_id`"),
            "{s:?}"
        );
    }

    #[test]
    fn how_it_ended_decides_first_and_the_hint_says_what_to_do() {
        let f = classify(&FailedRun {
            ended_by: Some(EndedBy::Timeout),
            error: "timed out after 3 s",
            stderr: "",
            crashed: true,
            log_incomplete: false,
            unreachable: false,
            error_info: None,
        });
        assert_eq!(f.kind, FailureKind::Timeout);
        assert!(!f.retryable && f.hint.contains("timeout_seconds"));
        let f = classify(&FailedRun {
            ended_by: Some(EndedBy::Crash),
            error: "codex was killed by signal 9 without finishing the turn",
            stderr: "thread 'main' panicked",
            crashed: true,
            log_incomplete: false,
            unreachable: false,
            error_info: None,
        });
        assert_eq!(f.kind, FailureKind::ProcessCrash);
        assert!(f.retryable && f.detail.contains("panicked"));
    }
}
