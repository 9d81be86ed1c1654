//! A test per row of the classifier, each fed what the real Codex CLI (0.169.0, 0.171.0)
//! printed against a model API answering that way, and the order of evidence.

use super::*;
use crate::codex::Stderr;

/// What Codex's app-server prints at every start on a machine without bubblewrap on PATH.
const BUBBLEWRAP: &str = "2026-12-01T22:33:03.709888Z ERROR codex_app_server: Codex could not find bubblewrap on PATH. Install bubblewrap with your OS package manager. See the sandbox prerequisites: https://developers.openai.com/codex/concepts/sandboxing#prerequisites. Codex will use the bundled bubblewrap in the meantime.";

fn run<'a>(message: &'a str, stderr: &'a str, info: Option<&'a str>) -> FailedRun<'a> {
    FailedRun {
        ended_by: Some(EndedBy::Codex),
        process: ProcessEnd::FinishedTurn,
        error_info: info,
        message,
        stderr,
        log_incomplete: false,
    }
}

/// The kind of a turn that failed with `message`, Codex's stderr holding `stderr` (start-up
/// lines included, as the supervisor reads it).
fn kind(message: &str, stderr: &str) -> FailureKind {
    let errors = Stderr::read(&format!("{BUBBLEWRAP}\n{stderr}")).error_text();
    classify(&run(message, &errors, None)).kind
}

macro_rules! seen {
    ($($name:ident: $error:expr, $stderr:expr => $kind:ident;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(kind($error, $stderr), FailureKind::$kind);
        }
    )*};
}

seen! {
    a_500_is_a_server_error_though_codex_says_high_demand: "We’re currently experiencing high demand, which may cause temporary errors.", "" => ServerError;
    a_502_is_a_server_error: "unexpected status 502 Bad Gateway: Bad gateway, url: http://127.0.0.1:1/v1/responses", "" => ServerError;
    a_503_is_a_server_error: "unexpected status 503 Service Unavailable: Service Unavailable, url: http://127.0.0.1:1/v1/responses", "" => ServerError;
    a_429_is_a_rate_limit: "exceeded retry limit, last status: 429 Too Many Requests", "" => RateLimit;
    a_400_is_a_bad_request: "{\"error\":{\"message\":\"Invalid value for reasoning\",\"type\":\"error\"}}", "" => BadRequest;
    a_404_about_a_model_is_model_not_found: "unexpected status 404 Not Found: The model gpt-9 does not exist, url: http://127.0.0.1:1/v1/responses", "" => ModelNotFound;
    a_404_about_nothing_else_is_a_bad_request: "unexpected status 404 Not Found: Not found here, url: http://127.0.0.1:1/v1/responses", "" => BadRequest;
    a_413_is_a_bad_request: "unexpected status 413 Payload Too Large: too large, url: http://127.0.0.1:1/v1/responses", "" => BadRequest;
    an_unknown_model_is_model_not_found: "{\"error\":{\"code\":\"model_not_found\",\"message\":\"The model `unknown-model-1` does not exist or you do not have access to it.\",\"type\":\"invalid_request_error\"}}", "" => ModelNotFound;
    a_model_not_offered_to_the_account_is_unavailable: "{\"detail\":\"The 'gpt-5.1-codex-max' model is not supported when using Codex with a ChatGPT account.\"}", "" => ModelUnavailable;
    a_401_is_authentication: "unexpected status 401 Unauthorized: Incorrect API key provided, url: http://127.0.0.1:1/v1/responses", "" => Authentication;
    a_403_is_authentication: "unexpected status 403 Forbidden: forbidden here, url: http://127.0.0.1:1/v1/responses", "" => Authentication;
    a_usage_limit_on_exec_is_a_usage_limit: "You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at May 18th, 2033 3:33 AM.", "" => UsageLimit;
    an_exhausted_quota_on_exec_is_a_usage_limit: "Quota exceeded. Check your plan and billing details.", "" => UsageLimit;
    a_full_context_on_exec_is_context_window: "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.", "" => ContextWindow;
    an_unknown_session_is_session_not_found: "", "Error: thread/resume: thread/resume failed: no rollout found for thread id 01a21551-5ff7-7601-9123-2d01385aba40 (code -32600)" => SessionNotFound;
    a_dropped_stream_is_the_network: "stream disconnected before completion: error sending request for url (http://127.0.0.1:1/v1/responses)", "" => Network;
    a_missing_codex_home_is_configuration: "", "Error: CODEX_HOME points to \"/tmp/x/nope\", but that path does not exist" => Configuration;
    bwrap_failing_for_the_run_is_the_sandbox: "", "bwrap: setting up uid map: Permission denied" => Sandbox;
    the_bubblewrap_warning_alone_is_no_cause: "something new", "" => Unknown;
}

#[test]
fn every_typed_kind_codex_defines_has_a_row() {
    use FailureKind::*;
    // Every `codexErrorInfo` value of Codex 0.169 and 0.171 (0.171 adds bioPolicy).
    let rows = [
        ("contextWindowExceeded", ContextWindow),
        ("sessionBudgetExceeded", UsageLimit),
        ("usageLimitExceeded", UsageLimit),
        ("rateLimitExceeded", RateLimit),
        ("flexUnavailable", ModelUnavailable),
        ("serverOverloaded", ServerError),
        ("modelNotFound", ModelNotFound),
        ("policyCapacityUnavailable", ServerError),
        ("cyberPolicy", Policy),
        ("bioPolicy", Policy),
        ("misalignmentPolicyViolation", Policy),
        ("tooManyDenials", ApprovalsDeclined),
        ("internalServerError", ServerError),
        ("unauthorized", Authentication),
        ("badRequest", BadRequest),
        ("threadRollbackFailed", Unknown),
        ("sandboxError", Sandbox),
        ("inferenceHookDenied", Policy),
        ("httpConnectionFailed", Network),
        ("responseStreamConnectionFailed", Network),
        ("responseStreamDisconnected", Network),
        ("responseTooManyFailedAttempts", Network),
        ("httpConnectionFailed:502", ServerError),
        ("responseTooManyFailedAttempts:429", RateLimit),
        ("httpConnectionFailed:401", Authentication),
        ("activeTurnNotSteerable", BadRequest),
        ("other", Unknown),
    ];
    for (info, expected) in rows {
        // Words another row would take, to show the typed kind wins where it says more.
        let f = classify(&run("blocked", "", Some(info)));
        assert_eq!(f.kind, expected, "{info}");
        assert!(!f.hint.is_empty(), "{info}");
        if expected != Sandbox {
            assert!(!f.hint.contains("READONLY_FALLBACK"), "{info}: {}", f.hint);
        }
    }
    // A value this version does not know is kept as it was said.
    let f = classify(&run("blocked", "", Some("quantumEntanglement")));
    assert_eq!(f.kind, Unknown);
    assert!(f.detail.contains("quantumEntanglement"), "{f:?}");
    // `other` leaves the cause to the rest of the evidence.
    let f = classify(&run("Quota exceeded. Check your plan", "", Some("other")));
    assert_eq!(f.kind, UsageLimit);
}

#[test]
fn how_the_run_ended_comes_before_anything_codex_said() {
    let words = "The model `x` does not exist";
    let base = |process, ended_by| FailedRun {
        ended_by,
        process,
        error_info: Some("badRequest"),
        message: words,
        stderr: "",
        log_incomplete: false,
    };
    // Killed mid-turn, whatever the log's last fragment said: a crash, retryable.
    for process in [ProcessEnd::Signal(9), ProcessEnd::ExitedMidTurn(Some(101))] {
        let f = classify(&base(process, Some(EndedBy::Crash)));
        assert_eq!(f.kind, FailureKind::ProcessCrash, "{process:?}");
        assert!(f.retryable);
    }
    let f = classify(&base(ProcessEnd::FinishedTurn, Some(EndedBy::Timeout)));
    assert_eq!(f.kind, FailureKind::Timeout);
    assert!(!f.retryable && f.hint.contains("timeout_seconds"));
    // The unreachable-model watchdog: the network, or a refusal where Codex says so.
    let mut offline = base(ProcessEnd::FinishedTurn, Some(EndedBy::Unreachable));
    offline.message = "Reconnecting... 5/5";
    offline.error_info = None;
    assert_eq!(classify(&offline).kind, FailureKind::Network);
    offline.message = "Reconnecting... 5/5 (unexpected status 401 Unauthorized)";
    assert_eq!(classify(&offline).kind, FailureKind::Authentication);
    let f = classify(&base(ProcessEnd::Unknown, Some(EndedBy::Crash)));
    assert_eq!(f.kind, FailureKind::Interrupted);
}

#[test]
fn a_login_problem_is_never_called_the_sandbox() {
    // Not logged in on a machine without bubblewrap: the watchdog stopped Codex retrying.
    let errors = Stderr::read(BUBBLEWRAP).error_text();
    let f = classify(&FailedRun {
        ended_by: Some(EndedBy::Unreachable),
        process: ProcessEnd::FinishedTurn,
        error_info: None,
        message: "Reconnecting... 5/5",
        stderr: &errors,
        log_incomplete: false,
    });
    assert_eq!(f.kind, FailureKind::Network);
    assert!(f.hint.contains("codex login") && !f.hint.contains("READONLY_FALLBACK"));
    assert!(!f.detail.contains("bubblewrap"), "{f:?}");
}

#[test]
fn a_missing_codex_home_says_what_to_do_about_it() {
    let stderr = "Error: CODEX_HOME points to \"/tmp/x/nope\", but that path does not exist";
    let f = classify(&FailedRun {
        ended_by: Some(EndedBy::Codex),
        process: ProcessEnd::ExitedBeforeTurn(Some(1)),
        error_info: None,
        message: "",
        stderr,
        log_incomplete: false,
    });
    assert_eq!(f.kind, FailureKind::Configuration);
    assert!(
        f.hint.contains("unset CODEX_HOME") && f.hint.contains("mkdir"),
        "{f:?}"
    );
    assert!(!f.retryable);
}

#[test]
fn retryable_kinds_and_an_unknown_session() {
    let f = |message: &str, stderr: &str| classify(&run(message, stderr, None));
    assert!(f("We’re currently experiencing high demand", "").retryable);
    let s = f("", "no rollout found for thread id 01a2");
    assert!(
        !s.retryable && s.hint.contains("without `session_id`"),
        "{s:?}"
    );
    assert!(!f("You’ve hit your usage limit.", "").retryable);
}

#[test]
fn every_kind_says_what_to_do() {
    for kind in <FailureKind as strum::VariantArray>::VARIANTS {
        assert!(kind.hint().len() > 20, "{kind:?} has no advice");
    }
}
