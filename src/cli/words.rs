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
    ("`approval_policy`", "--approval-policy"),
    ("approval_policy", "--approval-policy"),
    ("sandbox `read-only`", "`--sandbox read-only`"),
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

/// `text` (an engine message, a hint, a warning) in command-line terms: the commands it
/// suggests name the task the text is about, when it names one.
pub(super) fn for_terminal(text: &str) -> String {
    let said = TERMS
        .iter()
        .fold(text.to_string(), |t, (tool, cli)| t.replace(tool, cli));
    match first_task_id(text) {
        Some(id) => said
            .replace(" ID`", &format!(" {id}`"))
            .replace(" ID ", &format!(" {id} ")),
        None => said,
    }
}

/// The first task id a text names (`codex-review-x-v1`; `codex-mcp` is the program).
fn first_task_id(text: &str) -> Option<&str> {
    text.match_indices("codex-").find_map(|(start, _)| {
        let rest = &text[start..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        let id = &rest[..end];
        let word_start =
            start == 0 || !text[..start].ends_with(|c: char| c.is_ascii_alphanumeric());
        (word_start && id.len() > "codex-".len() && !id.starts_with("codex-mcp")).then_some(id)
    })
}

/// The task a person named: a task id (`codex-review-auth-v1`), or a topic (`review-auth-v1`,
/// the newest run of it). A name that is neither is refused, suggesting the tasks whose ids or
/// topics are nearest to it — only tasks that exist.
pub(super) fn task_named(engine: &Engine, raw: &str) -> Result<TaskId, EngineError> {
    let ids = engine.task_ids();
    let exists = |id: &str| ids.iter().any(|t| t.as_str() == id);
    if raw.starts_with("codex-") && exists(raw) {
        return parse_task_id(raw);
    }
    let first = format!("codex-{raw}");
    if exists(&first) {
        let newest = (2..1_000)
            .map(|n| format!("codex-{raw}-r{n}"))
            .take_while(|id| exists(id))
            .last()
            .unwrap_or(first);
        return parse_task_id(&newest);
    }
    let near = nearest(raw, &ids);
    let said = match near.as_slice() {
        [] => format!("no task `{raw}` in the store (`codex-mcp list` shows the tasks there are)"),
        names => format!(
            "no task `{raw}` in the store; did you mean {}? (`codex-mcp list` shows them all)",
            names.join(", ")
        ),
    };
    Err(EngineError::invalid("task_id", said))
}

/// Up to three task ids nearest to `raw` (compared with the id and with its topic), by edit
/// distance, within a third of the name's length.
fn nearest(raw: &str, ids: &[TaskId]) -> Vec<String> {
    let limit = (raw.len() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = ids
        .iter()
        .map(|id| {
            let id = id.as_str();
            let topic = id.strip_prefix("codex-").unwrap_or(id);
            (distance(raw, id).min(distance(raw, topic)), id)
        })
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, id)| id.to_string())
        .collect()
}

/// Levenshtein distance, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// "2 commits ahead of main, 3 paths changed but not committed", or that there is nothing.
pub(super) fn work_counts(ahead: usize, loose: usize, base: &str) -> String {
    let commits = match ahead {
        1 => format!("1 commit ahead of {base}"),
        n => format!("{n} commits ahead of {base}"),
    };
    match (ahead, loose) {
        (0, 0) => format!("no commits ahead of {base}, nothing uncommitted: Codex changed nothing"),
        (_, 0) => commits,
        (_, 1) => format!("{commits}, 1 path changed but not committed"),
        (_, n) => format!("{commits}, {n} paths changed but not committed"),
    }
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
            t.contains("codex-mcp logs -f codex-review-x-v1")
                && t.contains("codex-mcp cancel codex-review-x-v1"),
            "{t}"
        );
        assert!(!t.contains("codex_"), "{t}");
        let t = for_terminal("invalid `timeout_seconds`: 0 is not accepted");
        assert_eq!(t, "invalid --timeout: 0 is not accepted");
        let t = for_terminal("retry (with `session_id` to continue)");
        assert_eq!(t, "retry (with --session to continue)");
    }

    #[test]
    fn names_are_near_by_edit_distance() {
        assert_eq!(distance("review-auth-v1", "review-auht-v1"), 2);
        assert_eq!(distance("", "abc"), 3);
        let ids: Vec<TaskId> = ["codex-review-auth-v1", "codex-fix-db-v2"]
            .iter()
            .map(|i| TaskId::parse(i).unwrap())
            .collect();
        assert_eq!(
            nearest("review-auht-v1", &ids),
            vec!["codex-review-auth-v1"]
        );
        assert!(nearest("something-else-v9", &ids).is_empty());
    }
}
