//! Incremental progress of one codex run, fed line by line. It keeps only bounded state
//! (counters, the last message, a capped set of paths), so a gigabyte log costs no memory,
//! and it is serializable so a later reader can pick up where the last one stopped.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::events::{Decoded, Event, Item, decode};
use super::lines::Line;
use crate::text::shorten;
use crate::vocab::Usage;

/// The answer is kept up to this many characters; longer ones are cut when reported.
pub const MESSAGE_KEEP_CHARS: usize = 40_000;
const PATHS_KEPT: usize = 1_000;
const SHORT: usize = 300;

/// What codex is doing now.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
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
pub enum Phase {
    #[default]
    Starting,
    Thinking,
    RunningCommand,
    EditingFiles,
    CallingTool,
    Finished,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// How the turn ended, once it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TurnEnd {
    Completed,
    Failed { message: String },
}

/// The state of one run, as `progress.json` holds it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    pub session_id: Option<String>,
    pub phase: Phase,
    pub commands_run: u64,
    pub files_changed: u64,
    #[serde(default)]
    changed_paths: BTreeSet<String>,
    pub last_message: Option<String>,
    pub last_command: Option<String>,
    pub usage: Usage,
    pub turn_end: Option<TurnEnd>,
    /// The latest top-level `error` event (a warning unless a `turn.failed` follows).
    pub last_error: Option<String>,
    /// The last agent message, kept up to [`MESSAGE_KEEP_CHARS`].
    pub answer: String,
    /// The answer's full length in characters, to say how much was cut.
    pub answer_chars: usize,
    pub events: u64,
    pub unparsed_lines: u64,
    /// Log offset just past the last line folded into this state.
    pub log_offset: u64,
    /// When the last event arrived (epoch ms), for telling a stuck task from a thinking one.
    #[serde(default)]
    pub last_event_at_ms: Option<u64>,
    /// When the command now running started (epoch ms).
    #[serde(default)]
    pub command_started_at_ms: Option<u64>,
    /// When `last_error` arrived (epoch ms).
    #[serde(default)]
    pub last_error_at_ms: Option<u64>,
    /// Since when Codex has said nothing but top-level errors (reconnecting to its model, say):
    /// the first of an unbroken run of them (epoch ms); `None` once anything else happens.
    #[serde(default)]
    pub errors_since_ms: Option<u64>,
    /// Commands that write (redirections, `rm`, `git commit`…), for the audit of a read-only
    /// task that ran without Codex's sandbox. At most [`MUTATING_KEPT`].
    #[serde(default)]
    pub mutating_commands: Vec<String>,
    /// The kind of a failed turn's error, when app-server gave one (`codexErrorInfo`).
    #[serde(default)]
    pub error_info: Option<String>,
    /// A review's structured output, as the reviewer wrote it (app-server), kept up to
    /// [`MESSAGE_KEEP_CHARS`].
    #[serde(default)]
    pub review_json: Option<String>,
}

/// How many writing commands are kept.
const MUTATING_KEPT: usize = 50;

impl Progress {
    pub fn turn_completed(&self) -> bool {
        matches!(self.turn_end, Some(TurnEnd::Completed))
    }

    /// Whether Codex started a turn (it may not have finished it).
    pub fn turn_started(&self) -> bool {
        self.phase != Phase::Starting || self.turn_end.is_some()
    }

    /// Decodes one line and folds it in, for readers that need nothing else from the line.
    pub fn feed(&mut self, line: Line<'_>) {
        self.apply(&decode(&line));
    }

    /// Folds one decoded line into the state.
    pub fn apply(&mut self, line: &Decoded) {
        match line {
            Decoded::Blank => {}
            Decoded::Garbage => self.unparsed_lines += 1,
            Decoded::Event { event, whole } => {
                self.events += 1;
                self.apply_event(event, *whole);
            }
        }
    }

    /// Like [`Progress::apply`] for a line read as it arrived, at `now_ms`.
    pub fn apply_at(&mut self, line: &Decoded, now_ms: u64) {
        self.apply(line);
        let Decoded::Event { event, .. } = line else {
            return;
        };
        self.last_event_at_ms = Some(now_ms);
        // Top-level errors are Codex's own trouble (reconnecting to its model); an error item
        // is a warning that does not stop the turn, and must not start the count.
        let error = matches!(event, Event::Error { .. });
        self.errors_since_ms = match error {
            true => self.errors_since_ms.or(Some(now_ms)),
            false => None,
        };
        match event {
            Event::Error { .. }
            | Event::ItemCompleted {
                item: Item::Error { .. },
            } => self.last_error_at_ms = Some(now_ms),
            Event::ItemStarted {
                item: Item::CommandExecution { .. },
            } => self.command_started_at_ms = Some(now_ms),
            Event::ItemCompleted {
                item: Item::CommandExecution { .. },
            }
            | Event::TurnCompleted { .. }
            | Event::TurnFailed { .. } => self.command_started_at_ms = None,
            _ => {}
        }
    }

    fn apply_event(&mut self, ev: &Event, whole: bool) {
        match ev {
            Event::ThreadStarted { thread_id } => self.session_id = Some(thread_id.clone()),
            Event::TurnStarted => self.phase = Phase::Thinking,
            Event::ItemStarted { item } | Event::ItemUpdated { item } => self.item_started(item),
            Event::ItemCompleted { item } => self.item_completed(item, whole),
            Event::TurnCompleted { usage } => {
                self.usage = *usage;
                self.phase = Phase::Finished;
                self.turn_end = Some(TurnEnd::Completed);
            }
            Event::TurnFailed { error } => {
                self.phase = Phase::Finished;
                let message = if error.message.is_empty() {
                    self.last_error
                        .clone()
                        .unwrap_or_else(|| "turn failed".into())
                } else {
                    error.message.clone()
                };
                self.turn_end = Some(TurnEnd::Failed { message });
                self.error_info = error.info.clone();
            }
            Event::Error { message } => self.last_error = Some(shorten(message, 2_000)),
            Event::SteerDelivered { .. }
            | Event::ApprovalRequested { .. }
            | Event::ApprovalAnswered { .. }
            | Event::Unknown => {}
        }
    }

    fn item_started(&mut self, item: &Item) {
        match item {
            Item::CommandExecution { command, .. } => {
                self.phase = Phase::RunningCommand;
                self.last_command = Some(shorten(command, SHORT));
            }
            Item::FileChange { .. } => self.phase = Phase::EditingFiles,
            Item::McpToolCall { .. } => self.phase = Phase::CallingTool,
            // app-server starts the reviewer's message whole, and may never complete it.
            Item::ReviewOutput { text } => self.keep_review(text),
            _ => {}
        }
    }

    fn keep_review(&mut self, text: &str) {
        self.review_json = Some(text.chars().take(MESSAGE_KEEP_CHARS).collect());
    }

    /// `whole` is false for an event read from the start of an oversized line: an answer in
    /// it is incomplete, so it is reported as cut.
    fn item_completed(&mut self, item: &Item, whole: bool) {
        match item {
            Item::AgentMessage { text } => {
                self.last_message = Some(shorten(text, SHORT));
                self.answer = text.chars().take(MESSAGE_KEEP_CHARS).collect();
                self.answer_chars = if whole {
                    text.chars().count()
                } else {
                    text.chars().count().max(MESSAGE_KEEP_CHARS + 1)
                };
                self.phase = Phase::Thinking;
            }
            Item::CommandExecution { command, .. } => {
                self.commands_run += 1;
                self.last_command = Some(shorten(command, SHORT));
                self.phase = Phase::Thinking;
                if writes_files(command) && self.mutating_commands.len() < MUTATING_KEPT {
                    self.mutating_commands.push(shorten(command, SHORT));
                }
            }
            Item::FileChange { changes } => {
                for c in changes {
                    self.note_path(&c.path);
                }
                self.phase = Phase::Thinking;
            }
            Item::McpToolCall { server, tool } => {
                self.last_command = Some(shorten(&format!("mcp {server}/{tool}"), SHORT));
                self.phase = Phase::Thinking;
            }
            Item::Error { message } => self.last_error = Some(shorten(message, 2_000)),
            Item::ReviewOutput { text } => self.keep_review(text),
            Item::ReviewStarted { .. }
            | Item::Reasoning { .. }
            | Item::WebSearch { .. }
            | Item::TodoList { .. }
            | Item::Other => {}
        }
    }

    /// The paths Codex's file changes touched (at most 1,000).
    pub fn changed_paths(&self) -> impl Iterator<Item = &String> {
        self.changed_paths.iter()
    }

    fn note_path(&mut self, path: &str) {
        if self.changed_paths.contains(path) {
            return;
        }
        self.files_changed += 1;
        if self.changed_paths.len() < PATHS_KEPT {
            self.changed_paths.insert(path.to_string());
        }
    }
}

/// True for a shell command that writes files: a redirection into a file, or a program that
/// creates, changes or removes files (`rm`, `mv`, `sed -i`, `git commit`, `npm install`…).
pub fn writes_files(command: &str) -> bool {
    let mut text = command.to_string();
    for h in HARMLESS_REDIRECTIONS {
        text = text.replace(h, " ");
    }
    if text.contains('>') {
        return true;
    }
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || ";&|()'\"`".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        let next = words.get(i + 1).copied().unwrap_or_default();
        let program = w.rsplit('/').next().unwrap_or(w);
        WRITERS.contains(&program)
            || ((program == "sed" || program == "perl")
                && next.starts_with("-")
                && next.contains('i'))
            || (program == "git" && GIT_WRITES.contains(&next))
            || (INSTALLERS.contains(&program) && INSTALL_VERBS.contains(&next))
    })
}

/// Redirections that write no file.
const HARMLESS_REDIRECTIONS: &[&str] = &[
    "2>&1",
    ">&2",
    "1>&2",
    "2>/dev/null",
    ">/dev/null",
    "> /dev/null",
    "&>/dev/null",
];
/// Programs that create, change or remove files.
const WRITERS: &[&str] = &[
    "rm",
    "rmdir",
    "mv",
    "cp",
    "touch",
    "mkdir",
    "ln",
    "chmod",
    "chown",
    "truncate",
    "dd",
    "tee",
    "install",
    "patch",
    "unlink",
    "shred",
    "apply_patch",
];
/// git's commands that change the checkout, its index or its refs.
const GIT_WRITES: &[&str] = &[
    "add",
    "commit",
    "reset",
    "checkout",
    "switch",
    "restore",
    "rm",
    "mv",
    "stash",
    "apply",
    "am",
    "merge",
    "rebase",
    "cherry-pick",
    "revert",
    "clean",
    "push",
    "pull",
    "tag",
    "init",
    "clone",
];
/// Package managers, and their verbs that write packages into the directory.
const INSTALLERS: &[&str] = &["npm", "yarn", "pnpm", "pip", "pip3", "cargo", "go", "gem"];
const INSTALL_VERBS: &[&str] = &[
    "install",
    "i",
    "ci",
    "add",
    "update",
    "get",
    "uninstall",
    "remove",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codex::LineAssembler;

    fn run(jsonl: &str) -> Progress {
        let mut p = Progress::default();
        let mut a = LineAssembler::new();
        a.feed(jsonl.as_bytes(), |l| p.feed(l));
        p
    }

    #[test]
    fn oversized_command_event_still_counts() {
        let big = "y".repeat(super::super::lines::MAX_LINE + 1);
        let line = format!(
            "{{\"type\":\"item.completed\",\"item\":{{\"id\":\"i\",\"type\":\"command_execution\",\"command\":\"cat \\\"big\\\"\",\"aggregated_output\":\"{big}\"}}}}\n"
        );
        let p = run(&line);
        assert_eq!(p.commands_run, 1);
        assert_eq!(p.last_command.as_deref(), Some("cat \"big\""));
    }

    macro_rules! transcript {
        ($name:literal) => {
            include_str!(concat!(
                "../../tests/fixtures/transcripts/",
                $name,
                ".jsonl"
            ))
        };
    }

    #[test]
    fn real_transcripts() {
        let p = run(transcript!("shell_commands"));
        assert_eq!(p.commands_run, 2);
        assert_eq!(p.last_command.as_deref(), Some("/bin/bash -lc 'cat a.txt'"));
        assert!(p.turn_completed());
        assert!(p.answer.starts_with("Wrote a.txt."));
        assert_eq!(p.usage.input_tokens, 300);
        assert_eq!(p.unparsed_lines, 0);

        let p = run(transcript!("file_change"));
        assert_eq!(p.files_changed, 1);
        assert_eq!(p.commands_run, 0);
        assert_eq!(p.phase, Phase::Finished);

        let p = run(transcript!("resume"));
        assert_eq!(
            p.session_id.as_deref(),
            Some("01a200e7-30c1-7f70-988f-0d0342cef250")
        );
        assert_eq!(p.answer, "Second turn.");

        let p = run(transcript!("readonly_write_denied"));
        assert!(p.answer.contains("Read-only file system"));
        assert_eq!(p.usage.reasoning_output_tokens, 10);

        let p = run(transcript!("model_failure"));
        assert!(
            matches!(p.turn_end, Some(TurnEnd::Failed { ref message }) if message.contains("high demand"))
        );
        assert_eq!(
            p.last_error.as_deref(),
            Some("We’re currently experiencing high demand, which may cause temporary errors.")
        );
    }

    #[test]
    fn progress_resumes_from_a_saved_state() {
        let text = transcript!("shell_commands");
        let cut = text
            .find("{\"type\":\"item.started\",\"item\":{\"id\":\"item_1\"")
            .unwrap();
        let mut first = Progress::default();
        let mut a = LineAssembler::new();
        a.feed(&text.as_bytes()[..cut], |l| first.feed(l));
        first.log_offset = a.line_end_offset();
        let saved: Progress =
            serde_json::from_str(&serde_json::to_string(&first).unwrap()).unwrap();
        let mut resumed = saved.clone();
        let mut b = LineAssembler::starting_at(saved.log_offset);
        b.feed(&text.as_bytes()[saved.log_offset as usize..], |l| {
            resumed.feed(l)
        });
        let whole = run(text);
        assert_eq!(resumed.commands_run, whole.commands_run);
        assert_eq!(resumed.answer, whole.answer);
        assert_eq!(b.line_end_offset(), text.len() as u64);
    }

    #[test]
    fn garbage_lines_are_counted_not_fatal() {
        let p = run(
            "not json\n{\"type\":\"turn.started\"}\n\u{1}\u{2}\n{\"type\":\"future.event\",\"x\":1}\n",
        );
        assert_eq!(p.unparsed_lines, 2);
        assert_eq!(p.phase, Phase::Thinking);
    }

    #[test]
    fn writing_commands_are_told_from_reading_ones() {
        for c in [
            "/bin/bash -lc 'echo x > f.txt'",
            "/bin/bash -lc 'rm -rf build'",
            "sed -i s/a/b/ x.rs",
            "/bin/bash -lc 'git commit -am wip'",
            "npm install left-pad",
            "/usr/bin/touch a",
        ] {
            assert!(writes_files(c), "{c}");
        }
        for c in [
            "/bin/bash -lc 'cat README.md'",
            "rg -n foo 2>&1",
            "ls -la >/dev/null",
            "git status",
            "git log --oneline",
            "sed -n 1,5p x.rs",
        ] {
            assert!(!writes_files(c), "{c}");
        }
    }

    #[test]
    fn failed_turn_without_message_uses_last_error() {
        let p = run(
            "{\"type\":\"error\",\"message\":\"boom\"}\n{\"type\":\"turn.failed\",\"error\":{}}\n",
        );
        assert_eq!(
            p.turn_end,
            Some(TurnEnd::Failed {
                message: "boom".into()
            })
        );
    }
}
