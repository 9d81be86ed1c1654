//! What was said to a running task besides its prompt: the question Codex asks now, if any,
//! the answers given, and the prompts steered into its turn. Kept in `meta.json` so that any
//! server process, the command line and a server started after a restart see the same.

use serde::{Deserialize, Serialize};

use crate::vocab::Decision;

/// A question Codex asks before it goes on: what a person needs to decide, in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InputRequest {
    /// The question's number in this task (1 for the first); answers name it.
    pub id: u64,
    /// `command` (run a command outside the sandbox, or one it does not trust),
    /// `file_change` (apply a patch) or `permissions` (more file or network access).
    pub kind: String,
    /// The command Codex wants to run, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Where it would run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Why Codex asks, in its words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A file change: the paths the patch adds, changes or deletes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// The answers accepted: `accept`, `accept_for_session`, `decline`, `cancel`.
    pub decisions: Vec<Decision>,
    /// RFC 3339 UTC.
    pub asked_at: String,
    /// Epoch ms, for the unanswered-question timeout.
    #[serde(default)]
    pub asked_at_ms: u64,
}

impl InputRequest {
    /// What Codex asks to do, in a few words after "Codex asks to": "run `touch a`", "change
    /// a.txt, b.txt", "get more permissions".
    pub fn what(&self) -> String {
        match (&self.command, self.kind.as_str()) {
            (Some(c), _) => format!("run `{c}`"),
            (None, "file_change") if !self.paths.is_empty() => {
                format!("change {}", self.paths.join(", "))
            }
            (None, "file_change") => "apply a change to files".into(),
            (None, "permissions") => "get more permissions".into(),
            (None, _) => "go on".into(),
        }
    }
}

/// A question answered, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Approval {
    /// The question's number.
    pub id: u64,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    pub decision: Decision,
    /// Who answered: `codex_reply`, `tasks_update` (the person, through their MCP client),
    /// `cli` (`codex-mcp approve`/`deny`) or `timeout` (nobody, in CODEXMCP_APPROVAL_TIMEOUT).
    pub by: String,
    /// RFC 3339 UTC.
    pub at: String,
}

/// A prompt delivered into the running turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Steer {
    pub prompt: String,
    /// RFC 3339 UTC.
    pub at: String,
}

/// The conversation with a running task, as its record keeps it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Conversation {
    /// The question Codex waits on, while it waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_request: Option<InputRequest>,
    /// Every question answered, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// Every prompt steered into the task, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steers: Vec<Steer>,
}
