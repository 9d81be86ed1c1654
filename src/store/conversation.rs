//! What was said to a running task besides its prompt: the questions Codex asks now, the
//! answers given, and the prompts steered into its turn. Kept in `meta.json` so that any
//! server process, the command line and a server started after a restart see the same.

use serde::{Deserialize, Serialize};

use crate::vocab::{Answerer, Decision, QuestionKind};

/// The longest text of a question kept in the record (command, reason, each path); the whole
/// question is in the task's log.
pub const QUESTION_TEXT_MAX: usize = 4_000;
/// The most paths of a file change kept in the record.
pub const QUESTION_PATHS_MAX: usize = 50;

/// A question Codex asks before it goes on: what a person needs to decide, in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InputRequest {
    /// The question's number in this task (1 for the first, never reused); an answer names it
    /// (`codex_reply`'s `request_id`).
    pub id: u64,
    /// What it is about (run a `command`, `write_stdin` to one, reach a `network` host, a
    /// `file_change`, more `permissions`).
    pub kind: QuestionKind,
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
    /// A network question: the host the command wants to reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
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
        let command = self.command.as_deref();
        match (self.kind, command) {
            (QuestionKind::WriteStdin, Some(c)) => format!("send input to the running `{c}`"),
            (QuestionKind::WriteStdin, None) => "send input to a running command".into(),
            (QuestionKind::Network, _) => {
                let host = self.host.as_deref().unwrap_or("the network");
                match command {
                    Some(c) => format!("let `{c}` reach {host}"),
                    None => format!("reach {host}"),
                }
            }
            (QuestionKind::FileChange, _) if !self.paths.is_empty() => {
                format!("change {}", self.paths.join(", "))
            }
            (QuestionKind::FileChange, _) => "apply a change to files".into(),
            (QuestionKind::Permissions, _) => "get more permissions".into(),
            (QuestionKind::Command, Some(c)) => format!("run `{c}`"),
            (QuestionKind::Command, None) => "run a command".into(),
        }
    }

    /// The question in one line for a person: "question 2: Codex asks to run `touch a` in /w
    /// (why: …)".
    pub fn line(&self) -> String {
        let place = self
            .cwd
            .as_ref()
            .map(|c| format!(" in {c}"))
            .unwrap_or_default();
        let why = self
            .reason
            .as_ref()
            .map(|r| format!(" (why: {r})"))
            .unwrap_or_default();
        format!(
            "question {}: Codex asks to {}{place}{why}",
            self.id,
            self.what()
        )
    }

    /// The question as the record keeps it: each text at most [`QUESTION_TEXT_MAX`]
    /// characters and [`QUESTION_PATHS_MAX`] paths, a cut one saying where the whole is.
    pub fn bounded(mut self) -> InputRequest {
        let cut = |s: &mut String| {
            let total = s.chars().count();
            if total > QUESTION_TEXT_MAX {
                let kept: String = s.chars().take(QUESTION_TEXT_MAX).collect();
                *s = format!(
                    "{kept} … [cut: {} more characters; the whole question is in the task's \
                     codex-exec.log]",
                    total - QUESTION_TEXT_MAX
                );
            }
        };
        [
            &mut self.command,
            &mut self.cwd,
            &mut self.reason,
            &mut self.host,
        ]
        .into_iter()
        .flatten()
        .for_each(cut);
        self.paths.iter_mut().for_each(cut);
        if self.paths.len() > QUESTION_PATHS_MAX {
            let more = self.paths.len() - QUESTION_PATHS_MAX;
            self.paths.truncate(QUESTION_PATHS_MAX);
            self.paths.push(format!(
                "… and {more} more (the task's codex-exec.log lists them)"
            ));
        }
        self
    }
}

/// A question answered, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Approval {
    /// The number of the question this answers (the `id` of its `input_request`).
    #[serde(alias = "id")]
    pub request_id: u64,
    pub kind: QuestionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    pub decision: Decision,
    /// Who answered: `codex_reply`, `tasks_update`, `cli`, or nobody (`timeout`, `policy`,
    /// `unrecorded`: always a decline).
    pub by: Answerer,
    /// RFC 3339 UTC.
    pub at: String,
    /// Why nobody's answer was given, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A prompt delivered into the running turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Steer {
    pub prompt: String,
    /// RFC 3339 UTC.
    pub at: String,
}

/// The conversation with a running task, as its record keeps it. `meta.json` holds the open
/// questions as `input_requests` (oldest first) and, for readers that know one, the oldest as
/// `input_request`; a record written before there could be several reads as one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "OnDisk", into = "OnDisk")]
pub struct Conversation {
    /// The questions Codex waits on, oldest first.
    pub(super) open: Vec<InputRequest>,
    /// Every question answered, oldest first.
    pub(super) approvals: Vec<Approval>,
    /// Every prompt steered into the task, oldest first.
    pub(super) steers: Vec<Steer>,
    /// The highest question number given in this task, so a number is never given twice.
    pub(super) asked: u64,
}

impl Conversation {
    /// The questions Codex waits on, oldest first.
    pub fn open(&self) -> &[InputRequest] {
        &self.open
    }
    /// The oldest open question.
    pub fn oldest(&self) -> Option<&InputRequest> {
        self.open.first()
    }
    /// The open question `id`.
    pub fn question(&self, id: u64) -> Option<&InputRequest> {
        self.open.iter().find(|q| q.id == id)
    }
    pub fn approvals(&self) -> &[Approval] {
        &self.approvals
    }
    pub fn steers(&self) -> &[Steer] {
        &self.steers
    }
    /// The number the next question gets.
    pub fn next_question(&self) -> u64 {
        let answered = self.approvals.iter().map(|a| a.request_id).max();
        let open = self.open.iter().map(|q| q.id).max();
        self.asked.max(answered.unwrap_or(0)).max(open.unwrap_or(0)) + 1
    }
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_request: Option<InputRequest>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    input_requests: Vec<InputRequest>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    approvals: Vec<Approval>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    steers: Vec<Steer>,
    #[serde(default, skip_serializing_if = "is_zero")]
    questions_asked: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl From<OnDisk> for Conversation {
    fn from(d: OnDisk) -> Conversation {
        let open = match (d.input_requests.is_empty(), d.input_request) {
            (true, Some(one)) => vec![one],
            _ => d.input_requests,
        };
        Conversation {
            open,
            approvals: d.approvals,
            steers: d.steers,
            asked: d.questions_asked,
        }
    }
}

impl From<Conversation> for OnDisk {
    fn from(c: Conversation) -> OnDisk {
        OnDisk {
            input_request: c.open.first().cloned(),
            input_requests: c.open,
            approvals: c.approvals,
            steers: c.steers,
            questions_asked: c.asked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(id: u64, command: &str) -> InputRequest {
        InputRequest {
            id,
            kind: QuestionKind::Command,
            command: Some(command.into()),
            cwd: None,
            reason: None,
            paths: Vec::new(),
            host: None,
            decisions: vec![Decision::Accept],
            asked_at: String::new(),
            asked_at_ms: 0,
        }
    }

    #[test]
    fn an_older_record_with_one_question_reads_as_a_list_of_one() {
        let old = serde_json::json!({
            "input_request": question(3, "touch a"),
            "approvals": [{"id": 2, "kind": "command", "decision": "accept", "by": "cli", "at": "t"}]
        });
        let c: Conversation = serde_json::from_value(old).unwrap();
        assert_eq!(c.open().len(), 1);
        assert_eq!(c.approvals()[0].request_id, 2);
        assert_eq!(c.next_question(), 4);
        let written = serde_json::to_value(&c).unwrap();
        assert_eq!(written["input_requests"][0]["id"], 3);
        assert_eq!(written["input_request"]["id"], 3);
    }

    #[test]
    fn a_long_question_is_kept_bounded() {
        let mut q = question(1, &"x".repeat(100_000));
        q.paths = (0..500).map(|i| format!("f{i}")).collect();
        let b = q.bounded();
        let json = serde_json::to_string(&b).unwrap();
        assert!(json.len() < 10_000, "{}", json.len());
        assert!(b.command.unwrap().contains("codex-exec.log"));
        assert_eq!(b.paths.len(), QUESTION_PATHS_MAX + 1);
    }
}
