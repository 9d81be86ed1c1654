//! The words of a conversation with a running task: what Codex asks about, the answers a
//! person can give, and who gave one.

use serde::{Deserialize, Serialize};

use super::EndedBy;

/// What a question of Codex's is about.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum QuestionKind {
    /// Run a command outside the sandbox, or one Codex does not trust.
    Command,
    /// Send input to a command that is already running.
    WriteStdin,
    /// Let a command reach a host on the network.
    Network,
    /// Apply a patch to files.
    FileChange,
    /// More file or network access for the rest of the turn or session.
    Permissions,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An answer to a question Codex asks: `accept` (this once), `accept_for_session` (this and
/// the like for the rest of the session), `decline` (Codex goes on without it), `cancel`
/// (decline, and end the turn).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    clap::ValueEnum,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Decision {
    Accept,
    AcceptForSession,
    Decline,
    Cancel,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// True for the answers that let Codex go ahead.
    pub fn accepts(self) -> bool {
        matches!(self, Decision::Accept | Decision::AcceptForSession)
    }
}

/// Who answered a question (or said something to a task). Set by what delivered the answer,
/// never read from what a letter claims: a letter naming anything else is refused.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Answerer {
    /// The calling model, with codex_reply.
    CodexReply,
    /// The person, through their MCP client (`tasks/update`).
    TasksUpdate,
    /// The person at a terminal (`codex-mcp approve`/`deny`/`reply`, or a foreground `run`).
    Cli,
    /// Nobody, within CODEXMCP_APPROVAL_TIMEOUT: declined.
    Timeout,
    /// Nobody: the task's `approval_policy` is `never`, so the question was declined at once.
    Policy,
    /// Nobody: the question could not be recorded (a full disk), so it was declined at once.
    Unrecorded,
}

impl Answerer {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Who ended a task whose question this answerer answered with `cancel`.
    pub fn ended_by(self) -> EndedBy {
        match self {
            Answerer::TasksUpdate => EndedBy::TaskCancel,
            Answerer::Cli => EndedBy::Cli,
            _ => EndedBy::CancelTool,
        }
    }
}

impl std::fmt::Display for Answerer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn serde_and_strum_say_the_same_names() {
        for k in QuestionKind::VARIANTS {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for d in Decision::VARIANTS {
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
        for a in Answerer::VARIANTS {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
        assert!(serde_json::from_str::<Answerer>("\"someone\"").is_err());
    }
}
