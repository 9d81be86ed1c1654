//! Settings that cannot be used as given are never ignored in silence: each is said, with the
//! value that applies instead, by `codex-mcp doctor` and in the warnings of every task started
//! while it stands.

use std::ffi::OsString;

use super::*;
use crate::vocab::CodexEngine;
use std::str::FromStr;

/// The variables codex-mcp reads; any other `CODEXMCP_` name is likely a typo.
const KNOWN: &[&str] = &[
    HOME_VAR,
    WORKTREE_ROOT_VAR,
    EXIT_GRACE_VAR,
    LOG_FILE_VAR,
    TASK_TIMEOUT_VAR,
    MAX_RESULT_CHARS_VAR,
    DEPTH_VAR,
    MAX_PARALLEL_VAR,
    READONLY_FALLBACK_VAR,
    NOTIFY_VAR,
    NOTIFY_TIMEOUT_VAR,
    UNREACHABLE_VAR,
    MAX_DEPTH_VAR,
    TASK_INLINE_MS_VAR,
    TASK_POLL_MS_VAR,
    ENGINE_VAR,
    APPROVAL_TIMEOUT_VAR,
    super::hosts::HOSTS_FILE_VAR,
    super::hosts::HOST_RECONNECT_VAR,
];

/// What is wrong with the settings `lookup` gives, each with what applies instead.
pub(super) fn problems(lookup: &dyn Fn(&str) -> Option<OsString>, config: &Config) -> Vec<String> {
    let get = |name: &str| {
        lookup(name)
            .filter(|v| !v.is_empty())
            .map(|v| v.to_string_lossy().trim().to_string())
    };
    let mut out = Vec::new();
    let whole = |name: &str, applies: String, out: &mut Vec<String>| {
        if let Some(v) = get(name)
            && v.parse::<u64>().is_err()
        {
            out.push(format!(
                "{name}={v} is not a whole number; {applies} applies instead"
            ));
        }
    };
    whole_numbers(config, &whole, &mut out);
    if let Some(v) = get(ENGINE_VAR)
        && CodexEngine::from_str(v.trim()).is_err()
    {
        out.push(format!(
            "{ENGINE_VAR}={v} is not `app-server` or `exec`; {} applies instead",
            config.engine.as_str()
        ));
    }
    if let Some(v) = get(MAX_RESULT_CHARS_VAR).and_then(|v| v.parse::<usize>().ok())
        && v < MIN_MAX_RESULT_CHARS
    {
        out.push(format!(
            "{MAX_RESULT_CHARS_VAR}={v} is below the least a result needs; \
             {MIN_MAX_RESULT_CHARS} applies instead"
        ));
    }
    if let Some(v) = get(MAX_PARALLEL_VAR)
        && v == "0"
    {
        out.push(format!(
            "{MAX_PARALLEL_VAR}=0 would run nothing; 1 applies instead"
        ));
    }
    if let Some(v) = get(READONLY_FALLBACK_VAR)
        && !matches!(
            v.to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on" | "0" | "false" | "no" | "off"
        )
    {
        out.push(format!(
            "{READONLY_FALLBACK_VAR}={v} is not one of 1, true, yes, on, 0, false, no, off; the \
             fallback is off"
        ));
    }
    if let Some(problem) = notify_problem(config) {
        out.push(problem);
    }
    out
}

/// The settings that must be whole numbers and are not.
fn whole_numbers(
    config: &Config,
    whole: &dyn Fn(&str, String, &mut Vec<String>),
    out: &mut Vec<String>,
) {
    whole(MAX_PARALLEL_VAR, config.max_parallel.to_string(), out);
    whole(MAX_DEPTH_VAR, config.max_depth.to_string(), out);
    whole(
        EXIT_GRACE_VAR,
        format!("{} ms", config.exit_grace.as_millis()),
        out,
    );
    whole(
        TASK_INLINE_MS_VAR,
        format!("{} ms", config.task_inline.as_millis()),
        out,
    );
    whole(
        TASK_POLL_MS_VAR,
        format!("{} ms", config.task_poll.as_millis()),
        out,
    );
    whole(
        NOTIFY_TIMEOUT_VAR,
        format!("{} s", config.notify_timeout.as_secs()),
        out,
    );
    whole(
        APPROVAL_TIMEOUT_VAR,
        format!("{} s", config.approval_timeout.as_secs()),
        out,
    );
    whole(
        UNREACHABLE_VAR,
        format!("{} s", config.model_unreachable.as_secs()),
        out,
    );
    whole(
        MAX_RESULT_CHARS_VAR,
        config.max_result_chars.to_string(),
        out,
    );
}

/// The notify program: a path or a JSON array whose program exists.
fn notify_problem(config: &Config) -> Option<String> {
    let setting = config.notify.as_ref()?;
    let argv: Vec<String> = if setting.value.trim_start().starts_with('[') {
        match serde_json::from_str(&setting.value) {
            Ok(argv) => argv,
            Err(e) => {
                return Some(format!(
                    "{NOTIFY_VAR} is not a JSON array of strings ({e}); nothing is run when a \
                     task ends"
                ));
            }
        }
    } else {
        vec![setting.value.clone()]
    };
    let program = argv.first()?;
    let found = if program.contains('/') {
        is_executable(std::path::Path::new(program))
    } else {
        config.find_on_path(program).is_some()
    };
    (!found).then(|| {
        format!(
            "{NOTIFY_VAR} names `{program}`, which is not an executable program here; nothing \
             is run when a task ends"
        )
    })
}

/// Whether `name` is a variable codex-mcp reads.
pub(crate) fn is_setting(name: &str) -> bool {
    KNOWN.contains(&name)
        || CODEX_BIN_VARS.contains(&name)
        || MODEL_VARS.contains(&name)
        || PROFILE_VARS.contains(&name)
        || REASONING_EFFORT_VARS.contains(&name)
}

/// `CODEXMCP_` variables in this environment that codex-mcp does not read (a typo, or a setting
/// of another version). The test suite's own `CODEXMCP_TEST_` variables are not settings.
pub(super) fn unknown_variables() -> Vec<String> {
    let known = |name: &str| is_setting(name) || name.starts_with("CODEXMCP_TEST_");
    std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| k.starts_with("CODEXMCP_") && !known(k))
        .map(|k| format!("{k} is not a setting of codex-mcp (a typo?); it is ignored"))
        .collect()
}
