//! `codex-mcp logs` and `codex-mcp attach`: a task's log as a person reads it — agent messages,
//! each command with its exit code and the end of its output, file changes, reasoning, errors,
//! the turn's usage — and following it live.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::codex::{Detail, LineAssembler, decode, render};
use crate::engine::{Engine, TaskView, parse_task_id};
use crate::store::TaskStatus;

/// How often a followed log and its task are looked at.
const FOLLOW_EVERY: Duration = Duration::from_millis(200);

/// `codex-mcp logs`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp logs codex-fix-flaky_test-v1\n  codex-mcp logs -f codex-fix-flaky_test-v1\n  codex-mcp logs --raw codex-fix-flaky_test-v1 | jq .type"
)]
pub struct LogsArgs {
    /// The task, e.g. codex-fix-flaky_test-v1
    task_id: String,
    /// Follow a running task until it ends (exit status as `run`: 0 completed, 1 not)
    #[arg(short = 'f', long)]
    follow: bool,
    /// Print Codex's JSONL as it is
    #[arg(long)]
    raw: bool,
}

/// `codex-mcp attach`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  codex-mcp attach codex-implement-login_form-v1")]
pub struct AttachArgs {
    /// The task, e.g. codex-implement-login_form-v1
    task_id: String,
}

/// Reads a log from where it stopped last and prints what is new.
pub struct LogReader {
    path: PathBuf,
    offset: u64,
    lines: LineAssembler,
    detail: Option<Detail>,
    /// The file being read (device, inode), to notice it deleted or replaced.
    identity: Option<(u64, u64)>,
    /// What was last said about the file, so it is said once.
    said: Option<&'static str>,
}

impl LogReader {
    /// `detail` `None`: the raw JSONL.
    pub fn new(path: PathBuf, detail: Option<Detail>) -> LogReader {
        LogReader {
            path,
            offset: 0,
            lines: LineAssembler::new(),
            detail,
            identity: None,
            said: None,
        }
    }

    /// Says once, on stderr, what happened to the file being followed.
    fn say(&mut self, what: &'static str) {
        if self.said != Some(what) {
            eprintln!("codex-mcp: the log {} {what}", self.path.display());
            self.said = Some(what);
        }
    }

    /// Prints what was added to the log since the last call.
    pub fn print_new(&mut self, out: &mut dyn Write) {
        let Ok(mut f) = crate::store::open_nofollow(&self.path) else {
            if self.identity.is_some() {
                self.say("was deleted; what it held is gone, the task goes on");
            }
            return;
        };
        if let Ok(md) = f.metadata() {
            let now = (md.dev(), md.ino());
            let replaced = self.identity.is_some_and(|was| was != now);
            if replaced || md.len() < self.offset {
                self.say(if replaced {
                    "was replaced by another file; reading that one from its start"
                } else {
                    "was truncated; reading it again from its start"
                });
                self.offset = 0;
                self.lines = LineAssembler::new();
            }
            self.identity = Some(now);
        }
        if f.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        let mut buf = vec![0u8; 256 * 1024];
        while let Ok(n) = f.read(&mut buf) {
            if n == 0 {
                break;
            }
            self.offset += n as u64;
            match self.detail {
                None => {
                    let _ = out.write_all(&buf[..n]);
                }
                Some(detail) => self.lines.feed(&buf[..n], |l| {
                    if let Some(text) = render(&decode(&l), detail) {
                        let _ = writeln!(out, "{text}");
                    }
                }),
            }
        }
        let _ = out.flush();
    }
}

/// Prints the log, and with `-f` follows it until the task ends.
pub fn logs(args: &LogsArgs, engine: &Engine) -> ExitCode {
    let view = match super::words::task_named(engine, &args.task_id)
        .and_then(|id| engine.blocking_status(&id))
    {
        Ok(v) => v,
        Err(e) => return super::failed(&e),
    };
    let detail = (!args.raw).then_some(Detail::Full);
    let mut reader = LogReader::new(PathBuf::from(&view.log_file), detail);
    let mut out = std::io::stdout();
    if !args.follow {
        reader.print_new(&mut out);
        return ExitCode::SUCCESS;
    }
    match follow(engine, &view, &mut reader, &mut out) {
        Ok(end) => end_code(&end),
        Err(code) => code,
    }
}

/// Prints the log as it grows until the task ends; returns the task as it ended.
pub fn follow(
    engine: &Engine,
    view: &TaskView,
    reader: &mut LogReader,
    out: &mut dyn Write,
) -> Result<TaskView, ExitCode> {
    let id = parse_task_id(&view.task_id).map_err(|e| super::failed(&e))?;
    loop {
        reader.print_new(out);
        let now = engine.blocking_status(&id).map_err(|e| super::failed(&e))?;
        if now.status.is_final() {
            reader.print_new(out);
            return Ok(now);
        }
        std::thread::sleep(FOLLOW_EVERY);
    }
}

/// 0 when the task completed, 1 when it did not (as `run`).
pub fn end_code(view: &TaskView) -> ExitCode {
    if view.status == TaskStatus::Completed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Attaches to a full-access task's tmux session; follows a read-only task's log.
pub fn attach(args: &AttachArgs, engine: &Engine) -> ExitCode {
    let view = match super::words::task_named(engine, &args.task_id)
        .and_then(|id| engine.blocking_status(&id))
    {
        Ok(v) => v,
        Err(e) => return super::failed(&e),
    };
    let mut out = std::io::stdout();
    let command = view
        .isolation
        .as_ref()
        .and_then(|i| i.attach_command.clone());
    if let Some(command) = command.filter(|_| !view.status.is_final()) {
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
            // Replaces this process, as `tmux attach` in a shell would.
            let why = engine.attach_here(&view);
            eprintln!("codex-mcp: {why}; following the log instead");
        } else {
            eprintln!(
                "codex-mcp: no terminal here to attach to the task's tmux session; from one, run \
                 `{command}` (Ctrl-b d detaches). Following its log instead:"
            );
        }
    } else if view.status.is_final() {
        eprintln!("{} has ended ({}); its log:", view.task_id, view.status);
    }
    let mut reader = LogReader::new(PathBuf::from(&view.log_file), Some(Detail::Full));
    match follow(engine, &view, &mut reader, &mut out) {
        Ok(end) => end_code(&end),
        Err(code) => code,
    }
}
