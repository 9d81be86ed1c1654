//! The events of `codex exec --json`, one per line of its stdout, as typed values (the schema
//! of Codex CLI 0.169; see ../shared/codex-cli). Each line is decoded once, by [`decode`]; the
//! progress state, the outcome and the tmux pane all read the result.
//!
//! Unknown event and item types decode to `Unknown` and `Other`, and missing fields to their
//! defaults, so a newer CLI keeps working.

use serde::{Deserialize, Deserializer};

use super::lines::Line;
use crate::vocab::{Usage, lenient};

/// `turn.failed`'s error: an object with a `message`, or (seen in other schemas) the message
/// itself.
fn error_body<'de, D: Deserializer<'de>>(d: D) -> Result<ErrorBody, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let message = v["message"].as_str().or(v.as_str()).unwrap_or_default();
    Ok(ErrorBody {
        message: message.to_string(),
        info: v["codex_error_info"].as_str().map(str::to_string),
    })
}

/// One line of the stream, by its `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// `thread.started`: the session (thread) id, a UUID that `codex exec resume` takes.
    #[serde(rename = "thread.started")]
    ThreadStarted {
        #[serde(default, deserialize_with = "lenient")]
        thread_id: String,
    },
    /// `turn.started`: the model began working on the prompt.
    #[serde(rename = "turn.started")]
    TurnStarted,
    /// `item.started`: a step began (a command started running, a patch is being applied).
    #[serde(rename = "item.started")]
    ItemStarted { item: Item },
    /// `item.updated`: a step in progress changed (a todo list was ticked).
    #[serde(rename = "item.updated")]
    ItemUpdated { item: Item },
    /// `item.completed`: a step ended. The last `agent_message` of a turn is the answer.
    #[serde(rename = "item.completed")]
    ItemCompleted { item: Item },
    /// `turn.completed`: the turn ended normally.
    #[serde(rename = "turn.completed")]
    TurnCompleted {
        #[serde(default, deserialize_with = "lenient")]
        usage: Usage,
    },
    /// `turn.failed`: the turn ended in an error; exit code 1 follows.
    #[serde(rename = "turn.failed")]
    TurnFailed {
        #[serde(default, deserialize_with = "error_body")]
        error: ErrorBody,
    },
    /// `error`: a problem codex reports (retrying, a stream error). Only a following
    /// `turn.failed` makes it fatal.
    #[serde(rename = "error")]
    Error {
        #[serde(default, deserialize_with = "lenient")]
        message: String,
    },
    /// `steer.delivered` (written by codex-mcp's app-server driver): a prompt given to the
    /// running turn.
    #[serde(rename = "steer.delivered")]
    SteerDelivered {
        #[serde(default, deserialize_with = "lenient")]
        prompt: String,
    },
    /// `approval.requested` (the app-server driver): Codex asks before it acts.
    #[serde(rename = "approval.requested")]
    ApprovalRequested {
        #[serde(default)]
        request: serde_json::Value,
    },
    /// `approval.answered` (the app-server driver): the answer, and who gave it.
    #[serde(rename = "approval.answered")]
    ApprovalAnswered {
        #[serde(default)]
        approval: serde_json::Value,
    },
    /// An event type this version does not know.
    #[serde(other)]
    Unknown,
}

/// The `error` object of `turn.failed`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ErrorBody {
    #[serde(default, deserialize_with = "lenient")]
    pub message: String,
    /// The kind of error app-server gave (`codexErrorInfo`), carried into the log by its
    /// driver; `codex exec` gives none.
    #[serde(default, deserialize_with = "lenient")]
    pub info: Option<String>,
}

/// One step of a turn, by its `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    /// Something the model says; the last one of a turn is the answer.
    AgentMessage {
        #[serde(default, deserialize_with = "lenient")]
        text: String,
    },
    /// A summary of the model's reasoning.
    Reasoning {
        #[serde(default, deserialize_with = "lenient")]
        text: String,
    },
    /// A shell command. `exit_code` and the output are known once it completed.
    CommandExecution {
        #[serde(default, deserialize_with = "lenient")]
        command: String,
        #[serde(default, rename = "aggregated_output")]
        output: CommandOutput,
        #[serde(default, deserialize_with = "lenient")]
        exit_code: Option<i32>,
    },
    /// Files added, deleted or updated by a patch.
    FileChange {
        #[serde(default, deserialize_with = "lenient")]
        changes: Vec<FileChange>,
    },
    /// A call to a tool of one of codex's own MCP servers.
    McpToolCall {
        #[serde(default, deserialize_with = "lenient")]
        server: String,
        #[serde(default, deserialize_with = "lenient")]
        tool: String,
    },
    /// A web search.
    WebSearch {
        #[serde(default, deserialize_with = "lenient")]
        query: String,
    },
    /// The model's plan, re-sent whole as it is ticked off.
    TodoList {
        #[serde(default, deserialize_with = "lenient")]
        items: Vec<TodoItem>,
    },
    /// A problem that does not end the turn (an unknown model slug, say).
    Error {
        #[serde(default, deserialize_with = "lenient")]
        message: String,
    },
    /// Codex entered its review mode; `text` says what it reviews ("current changes").
    ReviewStarted {
        #[serde(default, deserialize_with = "lenient")]
        text: String,
    },
    /// The reviewer's own JSON (app-server only): findings, verdict, confidences.
    ReviewOutput {
        #[serde(default, deserialize_with = "lenient")]
        text: String,
    },
    /// An item type this version does not know.
    #[serde(other)]
    Other,
}

/// One file of a `file_change` item.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct FileChange {
    #[serde(default, deserialize_with = "lenient")]
    pub path: String,
    /// `add`, `delete` or `update`.
    #[serde(default, deserialize_with = "lenient")]
    pub kind: String,
}

/// One entry of a `todo_list` item.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TodoItem {
    #[serde(default, deserialize_with = "lenient")]
    pub text: String,
    #[serde(default, deserialize_with = "lenient")]
    pub completed: bool,
}

/// A command's `aggregated_output`, which can be megabytes: only its size and its end are
/// kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    pub bytes: usize,
    /// The last [`OUTPUT_TAIL_CHARS`] characters.
    pub tail: String,
}

/// How much of a command's output is kept.
pub const OUTPUT_TAIL_CHARS: usize = 2_000;

impl<'de> Deserialize<'de> for CommandOutput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = CommandOutput;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, s: &str) -> Result<CommandOutput, E> {
                let count = s.chars().count();
                Ok(CommandOutput {
                    bytes: s.len(),
                    tail: s
                        .chars()
                        .skip(count.saturating_sub(OUTPUT_TAIL_CHARS))
                        .collect(),
                })
            }
            fn visit_unit<E>(self) -> Result<CommandOutput, E> {
                Ok(CommandOutput::default())
            }
            // Anything but a string is not output worth keeping, and no reason to lose the
            // event.
            fn visit_bool<E>(self, _: bool) -> Result<CommandOutput, E> {
                Ok(CommandOutput::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<CommandOutput, E> {
                Ok(CommandOutput::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<CommandOutput, E> {
                Ok(CommandOutput::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<CommandOutput, E> {
                Ok(CommandOutput::default())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<CommandOutput, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(CommandOutput::default())
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<CommandOutput, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(CommandOutput::default())
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// What one line of the stream turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// An empty line.
    Blank,
    /// A line that is not an event (a banner, a partial write, garbage).
    Garbage,
    /// An event. `whole` is false when the line was too long to parse and the event was read
    /// from its first bytes: its texts are then cut short and later fields are missing.
    Event { event: Event, whole: bool },
}

/// Decodes one line of the stream.
pub fn decode(line: &Line<'_>) -> Decoded {
    match line {
        Line::Whole(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Decoded::Blank,
        Line::Whole(bytes) => match serde_json::from_slice::<Event>(bytes) {
            Ok(event) => Decoded::Event { event, whole: true },
            Err(_) => match decode_loosely(bytes) {
                Some(event) => Decoded::Event { event, whole: true },
                None => Decoded::Garbage,
            },
        },
        Line::Oversized(prefix) => match decode_prefix(&String::from_utf8_lossy(prefix)) {
            Some(event) => Decoded::Event {
                event,
                whole: false,
            },
            None => Decoded::Garbage,
        },
    }
}

/// An event whose shape did not fit (a newer schema, an odd field): read by its `type`, so the
/// end of a turn is never missed.
fn decode_loosely(bytes: &[u8]) -> Option<Event> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let item = || serde_json::from_value(v["item"].clone()).unwrap_or(Item::Other);
    Some(match v["type"].as_str()? {
        "thread.started" => Event::ThreadStarted {
            thread_id: text(&v["thread_id"]),
        },
        "turn.started" => Event::TurnStarted,
        "item.started" => Event::ItemStarted { item: item() },
        "item.updated" => Event::ItemUpdated { item: item() },
        "item.completed" => Event::ItemCompleted { item: item() },
        "turn.completed" => Event::TurnCompleted {
            usage: serde_json::from_value(v["usage"].clone()).unwrap_or_default(),
        },
        "turn.failed" => Event::TurnFailed {
            error: ErrorBody {
                message: v["error"]["message"]
                    .as_str()
                    .or(v["error"].as_str())
                    .unwrap_or_default()
                    .to_string(),
                info: v["error"]["codex_error_info"].as_str().map(str::to_string),
            },
        },
        "error" => Event::Error {
            message: text(&v["message"]),
        },
        _ => Event::Unknown,
    })
}

/// An item event too large to parse whole: its first bytes still name the event and item
/// types, and the command or text that comes before the large output.
fn decode_prefix(text: &str) -> Option<Event> {
    let mut types = string_values(text, "type");
    let event = types.next()?;
    let item_type = types.next();
    let first = |key: &str| string_values(text, key).next().unwrap_or_default();
    let item = match item_type.as_deref() {
        Some("command_execution") => Item::CommandExecution {
            command: first("command"),
            output: CommandOutput::default(),
            exit_code: None,
        },
        Some("agent_message") => Item::AgentMessage {
            text: first("text"),
        },
        Some("reasoning") => Item::Reasoning {
            text: first("text"),
        },
        _ => Item::Other,
    };
    match event.as_str() {
        "item.started" => Some(Event::ItemStarted { item }),
        "item.updated" => Some(Event::ItemUpdated { item }),
        "item.completed" => Some(Event::ItemCompleted { item }),
        _ => None,
    }
}

/// The decoded values of `"key":"..."` in possibly truncated JSON text, in order.
fn string_values<'a>(text: &'a str, key: &'a str) -> impl Iterator<Item = String> + 'a {
    let needle = format!("\"{key}\":\"");
    let mut rest = text;
    std::iter::from_fn(move || {
        let at = rest.find(&needle)?;
        let (value, tail) = decode_partial_string(&rest[at + needle.len()..]);
        rest = tail;
        Some(value)
    })
}

/// Decodes a JSON string body up to its closing quote or the end of the text.
fn decode_partial_string(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 1..]),
            '\\' => match chars.next().map(|(_, e)| e) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                    if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        out.push(ch);
                    }
                }
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    (out, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(s: &str) -> Decoded {
        decode(&Line::Whole(s.as_bytes()))
    }

    #[test]
    fn a_completed_command_keeps_its_exit_code_and_the_end_of_its_output() {
        let long = "x".repeat(OUTPUT_TAIL_CHARS + 10);
        let d = whole(&format!(
            r#"{{"type":"item.completed","item":{{"id":"i","type":"command_execution","command":"ls","aggregated_output":"{long}end","exit_code":2,"status":"failed"}}}}"#
        ));
        let Decoded::Event {
            event:
                Event::ItemCompleted {
                    item:
                        Item::CommandExecution {
                            command,
                            output,
                            exit_code,
                        },
                },
            whole: true,
        } = d
        else {
            panic!("{d:?}")
        };
        assert_eq!((command.as_str(), exit_code), ("ls", Some(2)));
        assert_eq!(output.bytes, OUTPUT_TAIL_CHARS + 13);
        assert_eq!(output.tail.chars().count(), OUTPUT_TAIL_CHARS);
        assert!(output.tail.ends_with("end"));
    }

    #[test]
    fn unknown_types_and_garbage_are_not_errors() {
        assert_eq!(
            whole(r#"{"type":"future.event","x":1}"#),
            Decoded::Event {
                event: Event::Unknown,
                whole: true
            }
        );
        assert!(matches!(
            whole(r#"{"type":"item.completed","item":{"id":"i","type":"hologram"}}"#),
            Decoded::Event {
                event: Event::ItemCompleted { item: Item::Other },
                ..
            }
        ));
        assert_eq!(whole("Welcome to codex"), Decoded::Garbage);
        assert_eq!(whole("  "), Decoded::Blank);
    }

    #[test]
    fn a_null_or_odd_field_never_hides_the_end_of_a_turn() {
        for line in [
            r#"{"type":"turn.completed","usage":{"input_tokens":null,"cached_input_tokens":5,"output_tokens":"7","reasoning_output_tokens":1.5}}"#,
            r#"{"type":"turn.completed","usage":null}"#,
            r#"{"type":"turn.completed","usage":"soon","extra":{"new":[1,2]}}"#,
            r#"{"type":"turn.completed"}"#,
        ] {
            assert!(
                matches!(
                    whole(line),
                    Decoded::Event {
                        event: Event::TurnCompleted { .. },
                        ..
                    }
                ),
                "{line}"
            );
        }
        let Decoded::Event {
            event: Event::TurnCompleted { usage },
            ..
        } = whole(
            r#"{"type":"turn.completed","usage":{"input_tokens":null,"cached_input_tokens":5}}"#,
        )
        else {
            panic!()
        };
        assert_eq!((usage.input_tokens, usage.cached_input_tokens), (0, 5));
        assert!(matches!(
            whole(r#"{"type":"turn.failed","error":"quota"}"#),
            Decoded::Event { event: Event::TurnFailed { error }, .. } if error.message == "quota"
        ));
        assert!(matches!(
            whole(r#"{"type":"item.completed","item":{"type":"agent_message","text":null}}"#),
            Decoded::Event {
                event: Event::ItemCompleted {
                    item: Item::AgentMessage { .. }
                },
                ..
            }
        ));
        assert!(matches!(
            whole(
                r#"{"type":"item.completed","item":{"type":"command_execution","command":"x","aggregated_output":{"weird":1},"exit_code":"0"}}"#
            ),
            Decoded::Event {
                event: Event::ItemCompleted {
                    item: Item::CommandExecution { .. }
                },
                ..
            }
        ));
    }

    #[test]
    fn an_oversized_line_is_read_from_its_start() {
        let prefix = r#"{"type":"item.completed","item":{"id":"i","type":"command_execution","command":"cat \"big\"","aggregated_output":"yyyy"#;
        assert_eq!(
            decode(&Line::Oversized(prefix.as_bytes())),
            Decoded::Event {
                event: Event::ItemCompleted {
                    item: Item::CommandExecution {
                        command: "cat \"big\"".into(),
                        output: CommandOutput::default(),
                        exit_code: None
                    }
                },
                whole: false
            }
        );
        assert_eq!(
            decode(&Line::Oversized(b"{\"type\":\"turn.comp")),
            Decoded::Garbage
        );
    }
}
