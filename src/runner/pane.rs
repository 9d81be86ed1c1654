//! The readable live view a full-access task shows in its tmux pane: one line per event worth
//! a person's attention.

use crate::codex::{Decoded, Event, Item};
use crate::text::shorten;

/// One human line for a decoded line of the stream, or nothing for lines not worth showing.
pub fn render(line: &Decoded) -> Option<String> {
    let Decoded::Event { event, whole } = line else {
        return None;
    };
    let text = render_event(event)?;
    Some(if *whole {
        text
    } else {
        format!("{text} (a very large event, cut; see the log)")
    })
}

fn render_event(event: &Event) -> Option<String> {
    match event {
        Event::ThreadStarted { thread_id } => Some(format!("session {thread_id}")),
        Event::ItemStarted {
            item: Item::CommandExecution { command, .. },
        } => Some(format!("$ {}", shorten(command, 200))),
        Event::ItemCompleted { item } => render_completed(item),
        Event::TurnCompleted { usage } => Some(format!(
            "✔ turn completed · tokens: {} in ({} cached), {} out ({} reasoning)",
            usage.input_tokens,
            usage.cached_input_tokens,
            usage.output_tokens,
            usage.reasoning_output_tokens
        )),
        Event::TurnFailed { error } => Some(format!("✘ turn failed: {}", error.message)),
        Event::Error { message } => Some(format!("! {message}")),
        _ => None,
    }
}

fn render_completed(item: &Item) -> Option<String> {
    match item {
        Item::CommandExecution {
            output, exit_code, ..
        } => Some(format!(
            "  ↳ exit {} · {} bytes of output",
            exit_code.map_or_else(|| "?".into(), |c| c.to_string()),
            output.bytes
        )),
        Item::FileChange { changes } => {
            let files: Vec<String> = changes
                .iter()
                .map(|c| format!("{} {}", c.kind, c.path))
                .collect();
            Some(format!("✎ {}", shorten(&files.join(", "), 300)))
        }
        Item::AgentMessage { text } => Some(format!("» {}", shorten(text, 600))),
        Item::Reasoning { text } => Some(format!("· {}", shorten(text, 200))),
        Item::McpToolCall { server, tool } => Some(format!("⚙ mcp {server}/{tool}")),
        Item::WebSearch { query } => Some(format!("⌕ {}", shorten(query, 200))),
        Item::TodoList { items } => {
            let done = items.iter().filter(|i| i.completed).count();
            Some(format!("☐ plan: {done}/{} done", items.len()))
        }
        Item::Error { message } => Some(format!("! {}", shorten(message, 300))),
        Item::Other => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codex::{LineAssembler, decode};

    #[test]
    fn a_real_transcript_reads_as_a_story() {
        let mut shown = Vec::new();
        LineAssembler::new().feed(
            include_bytes!("../../tests/fixtures/transcripts/shell_commands.jsonl"),
            |l| shown.extend(render(&decode(&l))),
        );
        assert_eq!(shown[0], "session 01a200e7-31d8-7503-af38-3e3cc916bdd6");
        assert_eq!(shown[1], "$ /bin/bash -lc 'echo one > a.txt'");
        assert!(shown[2].starts_with("  ↳ exit 0 · "), "{shown:?}");
        assert!(shown.last().unwrap().starts_with("✔ turn completed"));
    }
}
