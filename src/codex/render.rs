//! Codex's events as a person reads them: the live view in a full-access task's tmux pane
//! (one line per event), and `codex-mcp run` and `logs` (with the end of each command's
//! output).

use super::events::{Decoded, Event, Item};
use crate::text::shorten;

/// How much a rendering shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// One line per event (the tmux pane).
    Brief,
    /// Also the last lines of each command's output (a log read at the terminal).
    Full,
    /// As `Full`, with long messages shortened (the feed of `codex-mcp run`, which prints
    /// the answer whole at the end).
    Feed,
}

/// How many lines of a command's output a full rendering shows.
const OUTPUT_LINES: usize = 6;

/// What a person sees of one decoded line of the stream, or nothing for lines not worth
/// showing.
pub fn render(line: &Decoded, detail: Detail) -> Option<String> {
    let Decoded::Event { event, whole } = line else {
        return None;
    };
    let text = render_event(event, detail)?;
    Some(if *whole {
        text
    } else {
        format!("{text} (a very large event, cut; see the log)")
    })
}

fn render_event(event: &Event, detail: Detail) -> Option<String> {
    match event {
        Event::ThreadStarted { thread_id } => Some(format!("session {thread_id}")),
        Event::ItemStarted {
            item: Item::CommandExecution { command, .. },
        } => Some(format!("$ {}", shorten(command, 200))),
        Event::ItemCompleted { item } => render_completed(item, detail),
        Event::TurnCompleted { usage } => Some(format!(
            "✔ turn completed · tokens: {} in ({} cached), {} out ({} reasoning)",
            usage.input_tokens,
            usage.cached_input_tokens,
            usage.output_tokens,
            usage.reasoning_output_tokens
        )),
        Event::TurnFailed { error } => Some(format!("✘ turn failed: {}", error.message)),
        Event::Error { message } => Some(format!("! {message}")),
        Event::SteerDelivered { prompt } => Some(format!("→ told Codex: {}", shorten(prompt, 200))),
        Event::ApprovalRequested { request } => {
            let paths: Vec<&str> = request["paths"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str())
                .collect();
            let paths = paths.join(", ");
            let what = request["command"]
                .as_str()
                .or((!paths.is_empty()).then_some(paths.as_str()))
                .or(request["reason"].as_str())
                .unwrap_or_default();
            Some(format!(
                "? Codex asks ({}): {} — answer with codex-mcp approve/deny",
                request["kind"].as_str().unwrap_or("approval"),
                shorten(what, 200)
            ))
        }
        Event::ApprovalAnswered { approval } => Some(format!(
            "✓ answered: {} (by {})",
            approval["decision"].as_str().unwrap_or_default(),
            approval["by"].as_str().unwrap_or_default()
        )),
        _ => None,
    }
}

fn render_completed(item: &Item, detail: Detail) -> Option<String> {
    match item {
        Item::CommandExecution {
            output, exit_code, ..
        } => {
            let mut text = format!(
                "  ↳ exit {} · {} bytes of output",
                exit_code.map_or_else(|| "?".into(), |c| c.to_string()),
                output.bytes
            );
            if detail != Detail::Brief {
                let lines: Vec<&str> = output.tail.trim_end().lines().collect();
                for l in &lines[lines.len().saturating_sub(OUTPUT_LINES)..] {
                    text.push_str(&format!("\n    │ {}", shorten(l, 200)));
                }
            }
            Some(text)
        }
        Item::FileChange { changes } => {
            let files: Vec<String> = changes
                .iter()
                .map(|c| format!("{} {}", c.kind, c.path))
                .collect();
            Some(format!("✎ {}", shorten(&files.join(", "), 300)))
        }
        Item::AgentMessage { text } if detail == Detail::Full => Some(format!("» {}", text.trim())),
        Item::AgentMessage { text } => Some(format!("» {}", shorten(text, 600))),
        Item::Reasoning { text } => Some(format!("· {}", shorten(text, 200))),
        Item::McpToolCall { server, tool } => Some(format!("⚙ mcp {server}/{tool}")),
        Item::WebSearch { query } => Some(format!("⌕ {}", shorten(query, 200))),
        Item::TodoList { items } => {
            let done = items.iter().filter(|i| i.completed).count();
            Some(format!("☐ plan: {done}/{} done", items.len()))
        }
        Item::Error { message } => Some(format!("! {}", shorten(message, 300))),
        Item::ReviewStarted { text } => Some(format!("⚖ reviewing {}", shorten(text, 200))),
        // Its rendering follows as the answer: the JSON is not shown twice.
        Item::ReviewOutput { .. } | Item::Other => None,
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
            |l| shown.extend(render(&decode(&l), Detail::Brief)),
        );
        assert_eq!(shown[0], "session 01a200e7-31d8-7503-af38-3e3cc916bdd6");
        assert_eq!(shown[1], "$ /bin/bash -lc 'echo one > a.txt'");
        assert!(shown[2].starts_with("  ↳ exit 0 · "), "{shown:?}");
        assert!(shown.last().unwrap().starts_with("✔ turn completed"));
        let mut full = Vec::new();
        LineAssembler::new().feed(
            include_bytes!("../../tests/fixtures/transcripts/shell_commands.jsonl"),
            |l| full.extend(render(&decode(&l), Detail::Full)),
        );
        assert!(full[2].contains("│ pyenv: cannot rehash"), "{full:?}");
    }
}
