//! The tables the classifier (`failure.rs`) reads: every `codexErrorInfo` value Codex 0.169 and
//! 0.171 define, the HTTP statuses, and Codex's words. Each row is proven by a unit test fed what
//! the real Codex CLI printed (`failure_tests.rs`), and each kind by a run of the CLI itself
//! (`tests/it/failures.rs`).

use crate::store::FailureKind;

/// A kind found, with a hint more precise than the kind's own when the evidence gives one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub kind: FailureKind,
    pub hint: Option<&'static str>,
}

impl Found {
    pub fn of(kind: FailureKind) -> Found {
        Found { kind, hint: None }
    }

    fn with(kind: FailureKind, hint: &'static str) -> Found {
        Found {
            kind,
            hint: Some(hint),
        }
    }

    /// The hint the words themselves call for (lowercase `text`).
    fn with_words(self, text: &str) -> Found {
        if self.kind == FailureKind::Configuration && text.contains("codex_home points to") {
            return Found::with(self.kind, CODEX_HOME_MISSING);
        }
        self
    }
}

/// What to do when CODEX_HOME names a folder that does not exist.
pub const CODEX_HOME_MISSING: &str = "CODEX_HOME points to a folder that does not exist (the path is in `error`): create it (`mkdir -p` it, then `codex login`), or unset CODEX_HOME where codex-mcp runs so Codex uses ~/.codex.";

/// The kind `codexErrorInfo` names: a name, or `name:status` when it carries an HTTP status
/// (which the status table reads). `None` for a name that says nothing more than the other
/// evidence (`other`, and a connection failure that carries a status); a name this version does
/// not know is `unknown`, kept verbatim in the failure's detail.
pub fn by_typed(info: &str, message: &str) -> Option<Found> {
    let (name, status) = match info.split_once(':') {
        Some((name, code)) => (name, code.parse::<u16>().ok()),
        None => (info, None),
    };
    if let Some(&(_, kind, hint)) = TYPED_ROWS.iter().find(|row| row.0 == name) {
        return Some(Found { kind, hint });
    }
    match name {
        // A 400 about a model is about that model.
        "badRequest" => {
            let model = by_words(WORD_ROWS, message).filter(|f| {
                matches!(
                    f.kind,
                    FailureKind::ModelNotFound | FailureKind::ModelUnavailable
                )
            });
            by_status(None, message)
                .or(model)
                .or(Some(Found::of(FailureKind::BadRequest)))
        }
        // A connection failure with a status is read by its status; without one, it is the
        // network.
        n if CONNECTION_FAILURES.contains(&n) => {
            status.is_none().then(|| Found::of(FailureKind::Network))
        }
        "other" => None,
        _ => Some(Found::of(FailureKind::Unknown)),
    }
}

/// The `codexErrorInfo` names that say their kind by themselves, with advice where the kind's
/// own is not enough.
const TYPED_ROWS: &[(&str, FailureKind, Option<&str>)] = {
    use FailureKind::*;
    &[
        ("contextWindowExceeded", ContextWindow, None),
        ("usageLimitExceeded", UsageLimit, None),
        (
            "sessionBudgetExceeded",
            UsageLimit,
            Some(
                "The session's budget is spent: start a new session (no `session_id`), or raise the budget in Codex's settings.",
            ),
        ),
        ("rateLimitExceeded", RateLimit, None),
        (
            "flexUnavailable",
            ModelUnavailable,
            Some(
                "The flex service tier is not available for this request now: retry later, or run it on the default tier (Codex's `service_tier` setting).",
            ),
        ),
        ("serverOverloaded", ServerError, None),
        ("internalServerError", ServerError, None),
        (
            "policyCapacityUnavailable",
            ServerError,
            Some(
                "The model's safety checks had no capacity for this request: retry in a moment (with `session_id` to continue).",
            ),
        ),
        ("modelNotFound", ModelNotFound, None),
        ("cyberPolicy", Policy, None),
        ("bioPolicy", Policy, None),
        ("misalignmentPolicyViolation", Policy, None),
        (
            "inferenceHookDenied",
            Policy,
            Some(
                "Your workspace's inference hook denied this request: ask whoever manages the workspace, or change the task.",
            ),
        ),
        ("tooManyDenials", ApprovalsDeclined, None),
        ("unauthorized", Authentication, None),
        (
            "activeTurnNotSteerable",
            BadRequest,
            Some(
                "Codex's turn could not take more input (a review or a compaction runs): wait for the task to end, then follow it up.",
            ),
        ),
        (
            "threadRollbackFailed",
            Unknown,
            Some("Codex could not roll its thread back: start a new session (no `session_id`)."),
        ),
        ("sandboxError", Sandbox, None),
        // codex-mcp's own, written by the link to a host (`runner/drive/host_link.rs`).
        (HOST_UNREACHABLE, HostUnreachable, None),
        (HOST_REFUSED, HostRefused, None),
    ]
};

/// The kinds the link to a host gives a run it could not make or keep, beside Codex's own
/// `codexErrorInfo` names (facts, not words: read before any message).
pub const HOST_UNREACHABLE: &str = "codexMcpHostUnreachable";
pub const HOST_REFUSED: &str = "codexMcpHostRefused";

/// The `codexErrorInfo` names of a connection that failed.
const CONNECTION_FAILURES: &[&str] = &[
    "httpConnectionFailed",
    "responseStreamConnectionFailed",
    "responseStreamDisconnected",
    "responseTooManyFailedAttempts",
];

/// The kind an HTTP status names: from `codexErrorInfo` (`name:404`), else from Codex's message
/// (`unexpected status 404 Not Found`, `last status: 429 Too Many Requests`).
pub fn by_status(info: Option<&str>, message: &str) -> Option<Found> {
    let from_info = info
        .and_then(|i| i.split_once(':'))
        .and_then(|(_, code)| code.parse::<u16>().ok());
    let status = from_info.or_else(|| status_in(message))?;
    let text = message.to_ascii_lowercase();
    use FailureKind::*;
    Some(match status {
        400 | 404 if text.contains("model") && mentions_missing(&text) => Found::of(ModelNotFound),
        400 => Found::of(BadRequest),
        404 => Found::with(
            BadRequest,
            "The model's API answered 404 Not Found: check the model provider's `base_url` in Codex's config.toml, and `model`.",
        ),
        413 => Found::with(
            BadRequest,
            "The request was too large for the model's API: shorten the prompt, or point to files instead of including them.",
        ),
        401 | 403 => Found::of(Authentication),
        408 => Found::of(Network),
        429 if text.contains("usage limit") || text.contains("quota") => Found::of(UsageLimit),
        429 => Found::of(RateLimit),
        500..=599 => Found::of(ServerError),
        _ => return None,
    })
}

fn mentions_missing(text: &str) -> bool {
    [
        "does not exist",
        "not found",
        "unknown model",
        "model_not_found",
    ]
    .iter()
    .any(|w| text.contains(w))
}

/// The first row whose words `text` holds (case aside).
pub fn by_words(rows: &[(FailureKind, &[&str])], text: &str) -> Option<Found> {
    let text = text
        .to_ascii_lowercase()
        .replace("{\"error\": ", "{\"error\":");
    rows.iter()
        .find(|(_, words)| words.iter().any(|w| text.contains(w)))
        .map(|(kind, _)| Found::of(*kind).with_words(&text))
}

/// The HTTP status a message of Codex's names: `unexpected status 404 Not Found: …`, `last
/// status: 429 Too Many Requests`, `status 500`.
fn status_in(message: &str) -> Option<u16> {
    let lower = message.to_ascii_lowercase();
    let at = lower.find("status")?;
    lower[at + "status".len()..]
        .trim_start_matches([':', ' '])
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .filter(|n| (100..600).contains(n))
}

/// Codex's words in its message for the turn, in the order they are tried.
pub const WORD_ROWS: &[(FailureKind, &[&str])] = &[
    (
        FailureKind::SessionNotFound,
        &[
            "no rollout found for thread id",
            "session not found",
            "thread not found",
        ],
    ),
    (
        FailureKind::Configuration,
        &[
            "codex_home points to",
            "error loading config",
            "error loading configuration",
            "config profile",
        ],
    ),
    (
        FailureKind::DiskFull,
        &["no space left on device", "disk quota exceeded"],
    ),
    (
        FailureKind::UsageLimit,
        &[
            "hit your usage limit",
            "usage limit reached",
            "quota exceeded",
            "insufficient_quota",
            "exceeded your current quota",
        ],
    ),
    (
        FailureKind::ContextWindow,
        &[
            "ran out of room in the model's context window",
            "context_length_exceeded",
            "context window",
        ],
    ),
    (
        FailureKind::ServerError,
        &[
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
            "401 unauthorized",
            "unauthorized",
            "invalid api key",
            "incorrect api key",
            "invalid_api_key",
            "not logged in",
            "please log in",
            "codex login",
            "token has expired",
            "token expired",
        ],
    ),
    (
        FailureKind::RateLimit,
        &[
            "429 too many requests",
            "too many requests",
            "rate limit",
            "rate_limit",
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
        FailureKind::Network,
        &[
            "error sending request",
            "connection refused",
            "connection reset",
            "could not resolve",
            "failed to lookup address",
            "dns error",
            "stream disconnected",
            "reconnecting",
            "timed out",
        ],
    ),
    (
        FailureKind::BadRequest,
        &[
            "400 bad request",
            "bad request",
            "invalid_request",
            "invalid request",
            // Codex passes a 400's JSON body on as it came.
            "{\"error\":",
        ],
    ),
];

/// The words of Codex's stderr that name a cause of this run: the few that say the same as its
/// messages, and the sandbox's own refusals — never the word "sandbox" alone, which Codex's
/// start-up warnings carry.
pub const STDERR_ROWS: &[(FailureKind, &[&str])] = &[
    (
        FailureKind::SessionNotFound,
        &["no rollout found for thread id", "thread not found"],
    ),
    (
        FailureKind::Configuration,
        &[
            "codex_home points to",
            "error loading config",
            "error finding codex home",
        ],
    ),
    (
        FailureKind::DiskFull,
        &["no space left on device", "disk quota exceeded"],
    ),
    (
        FailureKind::Sandbox,
        &[
            "bwrap: setting up uid map",
            "bwrap: no permissions to creat",
            "bwrap: creating new namespace failed",
            "bwrap: loopback: failed",
            "sandbox-exec: ",
            "landlock: failed",
        ],
    ),
    (
        FailureKind::Authentication,
        &[
            "not logged in",
            "please log in",
            "invalid api key",
            "401 unauthorized",
        ],
    ),
];
