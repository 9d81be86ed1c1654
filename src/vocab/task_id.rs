//! Task ids name folders in the store, so only a checked [`TaskId`] can become a path.

use std::fmt;

/// `codex-` followed by letters, digits, `-` and `_`: a plain folder name, never a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TaskId(String);

/// The rule a task id follows, as a JSON-schema pattern.
pub(crate) const TASK_ID_PATTERN: &str = "^codex-[A-Za-z0-9_-]+$";
/// The longest task id accepted.
pub(crate) const TASK_ID_MAX_LEN: usize = 128;

/// A string that is not a task id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a task id")]
pub(crate) struct InvalidTaskId(pub String);

impl TaskId {
    /// Checks `s` against [`TASK_ID_PATTERN`] and [`TASK_ID_MAX_LEN`].
    pub fn parse(s: &str) -> Result<TaskId, InvalidTaskId> {
        let ok = s.len() <= TASK_ID_MAX_LEN
            && s.strip_prefix("codex-").is_some_and(|rest| {
                !rest.is_empty()
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if ok {
            Ok(TaskId(s.to_string()))
        } else {
            Err(InvalidTaskId(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_ids() {
        assert!(TaskId::parse("codex-review-x-v1-r2").is_ok());
        for bad in [
            "../x",
            "codex-a/b",
            "codex-..",
            "x",
            "codex-a.b",
            "codex-",
            &format!("codex-{}", "a".repeat(TASK_ID_MAX_LEN)),
        ] {
            assert!(TaskId::parse(bad).is_err(), "{bad}");
        }
    }
}
