//! `codex-mcp events`: the log of every task's status changes, from every server and
//! supervisor sharing the store.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::engine::Engine;
use crate::store::TaskEvent;

/// `codex-mcp events`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp events\n  codex-mcp events -f\n  codex-mcp events --json | jq 'select(.to == \"failed\")'"
)]
pub struct EventsArgs {
    /// Keep printing new events as they come
    #[arg(short = 'f', long)]
    follow: bool,
    /// Print each event as one JSON object per line (JSON Lines, not one document)
    #[arg(long)]
    json: bool,
}

/// Prints the events (the rotated file first), and with `-f` goes on.
pub fn events(args: &EventsArgs, engine: &Engine) -> ExitCode {
    let path = engine.events_file();
    let print = |line: &str| print_event(line, args.json);
    let mut rest = String::new();
    // The older half, kept from the last rotation.
    if let Ok(text) = std::fs::read_to_string(path.with_extension("jsonl.1")) {
        text.lines().for_each(print);
    }
    let mut at = (0u64, 0u64);
    loop {
        at = read_from(&path, at, &mut rest, &print);
        if !args.follow {
            return ExitCode::SUCCESS;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Reads `path` from `(inode, offset)` on, printing whole lines; starts over when the file was
/// rotated. Returns where it stopped.
fn read_from(
    path: &Path,
    (inode, offset): (u64, u64),
    rest: &mut String,
    print: &dyn Fn(&str),
) -> (u64, u64) {
    let Ok(mut f) = std::fs::File::open(path) else {
        return (inode, offset);
    };
    let Ok(md) = f.metadata() else {
        return (inode, offset);
    };
    let offset = if md.ino() != inode || md.len() < offset {
        rest.clear();
        0
    } else {
        offset
    };
    if f.seek(SeekFrom::Start(offset)).is_err() {
        return (md.ino(), offset);
    }
    let mut text = String::new();
    let read = f.read_to_string(&mut text).unwrap_or(0) as u64;
    rest.push_str(&text);
    while let Some(end) = rest.find('\n') {
        let line: String = rest.drain(..=end).collect();
        print(line.trim_end());
    }
    (md.ino(), offset + read)
}

fn print_event(line: &str, json: bool) {
    if line.trim().is_empty() {
        return;
    }
    if json {
        println!("{line}");
        return;
    }
    match serde_json::from_str::<TaskEvent>(line) {
        Ok(e) => {
            let from = e.from.map_or("new".to_string(), |s| s.to_string());
            let mut cause = e.cause.to_string();
            if let Some(id) = e.request_id {
                cause.push_str(&format!(" question {id}"));
            }
            if let Some(by) = e.by {
                cause.push_str(&format!(" by {by}"));
            }
            println!("{}  {}  {from} → {}  ({cause})", e.time, e.task_id, e.to);
        }
        Err(_) => println!("{line}"),
    }
}
