//! The command line speaks its own language. The engine's messages are written for a calling
//! model and name the tools' things (`codex_status`, `timeout_seconds`); a person who typed a
//! command gets the command line's (`codex-mcp show`, `--timeout`). Tasks are named by id or by
//! topic.

use crate::engine::{Engine, EngineError, parse_task_id};
use crate::store::TaskId;

/// Tool words and their command-line counterparts, longest first where one contains another.
const TERMS: &[(&str, &str)] = &[
    // A refusal about the task itself reads without the parameter's name.
    ("invalid `task_id`: ", ""),
    ("invalid `decision`: ", ""),
    ("invalid `request_id`: ", "invalid --request: "),
    ("request_id", "--request"),
    (
        "send `prompt` instead",
        "send it with `codex-mcp reply ID \"…\"` instead",
    ),
    (
        "call codex_status without task_id to list tasks",
        "list them with `codex-mcp list`",
    ),
    ("omit it to list tasks", "list them with `codex-mcp list`"),
    (
        "Follow it with codex_status",
        "Follow it with `codex-mcp logs -f ID`",
    ),
    (
        "stop it with codex_cancel",
        "stop it with `codex-mcp cancel ID`",
    ),
    ("call codex_cancel again", "run `codex-mcp cancel ID` again"),
    (
        "codex_status reports its result",
        "`codex-mcp show ID` shows its result",
    ),
    (
        "codex_status has its result",
        "`codex-mcp show ID` shows its result",
    ),
    ("codex_status", "`codex-mcp show`"),
    ("codex_cancel", "`codex-mcp cancel`"),
    ("codex_dispatch", "`codex-mcp run --detach`"),
    ("`timeout_seconds`", "--timeout"),
    ("timeout_seconds", "--timeout"),
    (
        "with `session_id` to continue",
        "with --session to continue",
    ),
    ("without `session_id`", "without --session"),
    ("`session_id`", "--session"),
    ("`reasoning_effort`", "--effort"),
    ("`result_offset`", "`codex-mcp show`"),
    ("`retries`", "--retries"),
    ("`model`", "--model"),
    ("`profile`", "--profile"),
    ("`topic`", "--topic"),
    ("`sandbox`", "--sandbox"),
    ("`cwd`", "--cwd"),
    ("`task_id`", "the task id"),
];

/// `text` (an engine message, a hint, a warning) in command-line terms.
pub(super) fn for_terminal(text: &str) -> String {
    TERMS
        .iter()
        .fold(text.to_string(), |t, (tool, cli)| t.replace(tool, cli))
}

/// The task a person named: a task id (`codex-review-auth-v1`), or a topic (`review-auth-v1`,
/// the newest run of it).
pub(super) fn task_named(engine: &Engine, raw: &str) -> Result<TaskId, EngineError> {
    if raw.starts_with("codex-") {
        return parse_task_id(raw);
    }
    let Ok(first) = parse_task_id(&format!("codex-{raw}")) else {
        return parse_task_id(raw);
    };
    let mut newest = None;
    if engine.blocking_status(&first).is_ok() {
        newest = Some(first.clone());
        for n in 2..1_000 {
            match parse_task_id(&format!("codex-{raw}-r{n}")) {
                Ok(id) if engine.blocking_status(&id).is_ok() => newest = Some(id),
                _ => break,
            }
        }
    }
    newest.ok_or_else(|| {
        EngineError::invalid(
            "task_id",
            format!("no task `{raw}`; did you mean codex-{raw}? (`codex-mcp list` shows them)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_words_become_command_line_words() {
        let e = "topic `review-x-v1` already has a running task `codex-review-x-v1`. Follow it \
                 with codex_status, stop it with codex_cancel, or start a new version";
        let t = for_terminal(e);
        assert!(
            t.contains("codex-mcp logs -f ID") && t.contains("codex-mcp cancel ID"),
            "{t}"
        );
        assert!(!t.contains("codex_"), "{t}");
        let t = for_terminal("invalid `timeout_seconds`: 0 is not accepted");
        assert_eq!(t, "invalid --timeout: 0 is not accepted");
        let t = for_terminal("retry (with `session_id` to continue)");
        assert_eq!(t, "retry (with --session to continue)");
    }
}
