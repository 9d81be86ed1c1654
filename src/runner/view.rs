//! The readable live view a full-access task shows in its tmux pane.

use crate::codex::{Line, shorten};

/// One human line for an event, or nothing for events not worth showing.
pub fn render(line: &Line<'_>) -> Option<String> {
    let bytes = match line {
        Line::Whole(b) => *b,
        Line::Oversized(_) => return Some("  … (a very large event; see the log)".into()),
    };
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let item = &v["item"];
    let text = |k: &str| item[k].as_str().unwrap_or_default().to_string();
    match (v["type"].as_str()?, item["type"].as_str()) {
        ("thread.started", _) => Some(format!(
            "session {}",
            v["thread_id"].as_str().unwrap_or("?")
        )),
        ("item.started", Some("command_execution")) => {
            Some(format!("$ {}", shorten(&text("command"), 200)))
        }
        ("item.completed", Some("command_execution")) => Some(format!(
            "  ↳ exit {} · {} bytes of output",
            item["exit_code"]
                .as_i64()
                .map(|c| c.to_string())
                .unwrap_or_else(|| "?".into()),
            text("aggregated_output").len()
        )),
        ("item.completed", Some("file_change")) => {
            let files: Vec<String> = item["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    format!(
                        "{} {}",
                        c["kind"].as_str().unwrap_or("?"),
                        c["path"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            Some(format!("✎ {}", shorten(&files.join(", "), 300)))
        }
        ("item.completed", Some("agent_message")) => {
            Some(format!("» {}", shorten(&text("text"), 600)))
        }
        ("item.completed", Some("reasoning")) => Some(format!("· {}", shorten(&text("text"), 200))),
        ("turn.completed", _) => Some(format!("✔ turn completed · tokens {}", v["usage"])),
        ("turn.failed", _) => Some(format!(
            "✘ turn failed: {}",
            v["error"]["message"].as_str().unwrap_or("?")
        )),
        ("error", _) => Some(format!("! {}", v["message"].as_str().unwrap_or("?"))),
        _ => None,
    }
}
