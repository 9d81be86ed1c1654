//! The app-server driver: a Codex run is one `codex app-server` process speaking JSON-RPC on
//! its stdio, one thread in it, the task's prompt as its first turn. Unlike `codex exec`, it can
//! be talked to while it runs: a prompt steered into the turn, the answer to a question Codex
//! asks. Others reach it through the task's mailbox (`store/mailbox.rs`); what it hears is
//! translated into the events `codex exec --json` writes (`codex/app_server.rs`), so the log,
//! the progress and the outcome read the same whichever driver ran.

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use serde_json::json;

use super::app_server_talk::Talk;
use super::codex_process::{
    DRAIN_AFTER_EXIT, KILL_AFTER, codex_command, codex_started, run_warnings, start_log_pump,
    stop_strays,
};
use super::outcome::{ExitInfo, RunEnd};
use super::process::terminate_tree;
use super::pump::lock;
use super::run::{Ran, RunEnv};
use crate::codex::{Incoming, TurnEnd};
use crate::store::{TaskFiles, TaskMeta, now_ms, open_nofollow};

/// How often the mailbox is looked at.
const MAIL_EVERY: Duration = Duration::from_millis(100);
/// How long a cancelled turn gets to end before the server's stdin is closed.
const INTERRUPT_GRACE: Duration = Duration::from_secs(2);
/// How long app-server may take to start the turn (it answers in a fraction of a second).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs one thread of `codex app-server` to the end of its turn.
pub(super) fn run(
    files: &TaskFiles,
    meta: &TaskMeta,
    argv: &[String],
    prompt: &Path,
    session: Option<&str>,
    env: &RunEnv<'_>,
) -> std::io::Result<Ran> {
    let text = std::io::read_to_string(open_nofollow(prompt)?)?;
    let mut cmd = codex_command(files, meta, argv, env)?;
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = cmd.spawn()?;
    codex_started(&child, files, env);
    let (events_in, events_out) = std::io::pipe()?;
    let (tracked, drained) =
        start_log_pump(events_in, files, env.view).map_err(std::io::Error::other)?;
    let incoming = read_lines(&mut child);
    let stdin = child
        .stdin
        .take()
        .map(|s| Box::new(s) as Box<dyn std::io::Write + Send>);
    let mut talk = Talk::new(files, meta, env, stdin, events_out, text, session);
    talk.begin();
    let mut end = talk.converse(&mut child, &incoming, &tracked);
    let late_approvals = std::mem::take(&mut talk.unrecorded);
    drop(talk);
    let strays = stop_strays();
    let _ = drained.recv_timeout(DRAIN_AFTER_EXIT);
    let warnings = run_warnings(files, end.stopped_after_turn, env.stop, strays);
    let tracked = std::mem::take(&mut *lock(&tracked));
    end.log_incomplete = tracked.log_error.is_some();
    // app-server exits 0 whatever became of the turn; a failed turn reads as `codex exec`
    // reports it, exit code 1.
    if let Some(exit) = end.exit.as_mut()
        && exit.code == Some(0)
        && matches!(tracked.progress.turn_end, Some(TurnEnd::Failed { .. }))
    {
        exit.code = Some(1);
    }
    Ok(Ran {
        tracked,
        end,
        warnings,
        late_approvals,
    })
}

/// A thread reading app-server's stdout, one message per line.
fn read_lines(child: &mut Child) -> Receiver<Incoming> {
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(message) = Incoming::parse(&line)
                    && tx.send(message).is_err()
                {
                    break;
                }
            }
        });
    }
    rx
}

/// When things happened in a run, for its limits.
struct Clock {
    started: Instant,
    turn_over_at: Option<Instant>,
    interrupted_at: Option<Instant>,
    term_sent_at: Option<Instant>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            started: Instant::now(),
            turn_over_at: None,
            interrupted_at: None,
            term_sent_at: None,
        }
    }
}

impl Talk<'_> {
    /// Runs the conversation until app-server exits, stopping it when the turn is over, when
    /// asked to, or when the limits say.
    fn converse(
        &mut self,
        child: &mut Child,
        incoming: &Receiver<Incoming>,
        tracked: &std::sync::Mutex<super::pump::Tracked>,
    ) -> RunEnd {
        let mut end = RunEnd::default();
        let mut clock = Clock::default();
        let mut mail_at = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                end.exit = Some(ExitInfo {
                    code: status.code(),
                    signal: status.signal(),
                });
                // What it wrote last is still in the channel.
                self.drain(incoming);
                return end;
            }
            self.drain(incoming);
            if mail_at.elapsed() >= MAIL_EVERY {
                mail_at = Instant::now();
                self.read_mail();
                self.expire_questions();
            }
            let erring_since = {
                let mut t = lock(tracked);
                t.save(&self.files.progress(), false);
                t.progress.errors_since_ms
            };
            self.give_up_on_handshake(&clock);
            self.enforce(child, &mut end, &mut clock, erring_since);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A server that never starts the turn (a Codex without app-server) fails the run.
    fn give_up_on_handshake(&mut self, clock: &Clock) {
        if self.turn.is_none() && !self.turn_over && clock.started.elapsed() >= HANDSHAKE_TIMEOUT {
            let message = format!(
                "codex app-server did not start the turn within {} s: if this Codex is too old \
                 for app-server, set CODEXMCP_ENGINE=exec",
                HANDSHAKE_TIMEOUT.as_secs()
            );
            self.log(&json!({"type": "turn.failed", "error": {"message": message}}));
            self.turn_over = true;
        }
    }

    /// Ends the server when the turn is over, and stops the turn when asked to or when a
    /// limit passes: interrupt first (the session stays resumable), then the process tree.
    fn enforce(
        &mut self,
        child: &mut Child,
        end: &mut RunEnd,
        clock: &mut Clock,
        erring_since: Option<u64>,
    ) {
        let limits = self.env.limits;
        if self.turn_over && clock.turn_over_at.is_none() {
            clock.turn_over_at = Some(Instant::now());
            // On its stdin's end app-server exits, and stops what it started.
            self.stdin = None;
        }
        let stop = self.env.stop.requested();
        if let Some((seconds, at)) = limits.deadline
            && Instant::now() >= at
            && end.timed_out.is_none()
        {
            end.timed_out = Some(seconds);
        }
        if erring_since.is_some_and(|since| {
            now_ms().saturating_sub(since) >= limits.unreachable.as_millis() as u64
        }) && end.unreachable.is_none()
        {
            end.unreachable = Some(limits.unreachable.as_secs());
        }
        let must_stop = stop || end.timed_out.is_some() || end.unreachable.is_some();
        if must_stop && clock.interrupted_at.is_none() {
            clock.interrupted_at = Some(Instant::now());
            self.interrupt();
        }
        if clock
            .interrupted_at
            .is_some_and(|t| t.elapsed() >= INTERRUPT_GRACE)
        {
            self.stdin = None;
        }
        let lingering = clock
            .turn_over_at
            .is_some_and(|t| t.elapsed() >= limits.exit_grace);
        let hard_stop = clock
            .interrupted_at
            .is_some_and(|t| t.elapsed() >= INTERRUPT_GRACE * 2);
        if (lingering || hard_stop) && clock.term_sent_at.is_none() {
            end.stopped_after_turn = lingering && !stop;
            let _ = terminate_tree(&[child.id() as i32], None, KILL_AFTER);
            clock.term_sent_at = Some(Instant::now());
        }
        if clock
            .term_sent_at
            .is_some_and(|t| t.elapsed() >= KILL_AFTER)
        {
            let _ = child.kill();
        }
    }

    fn drain(&mut self, incoming: &Receiver<Incoming>) {
        loop {
            match incoming.try_recv() {
                Ok(message) => self.hear(message),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return,
            }
        }
    }
}
