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
    DRAIN_AFTER_EXIT, codex_command, codex_started, run_warnings, start_log_pump, stop_strays,
};
use super::pump::lock;
use super::run::{Ran, RunEnv};
use super::run_clock::{Halt, Look, RunClock};
use super::seam::{Drive, FirstRun, RunOf};
use crate::codex::protocol::Incoming;
use crate::codex::{TurnEnd, app_server_argv};
use crate::runner::end::outcome::{ExitInfo, RunEnd};
use crate::store::{TaskFiles, TaskMeta, open_nofollow};

/// How often the mailbox is looked at.
const MAIL_EVERY: Duration = Duration::from_millis(100);
/// How long a cancelled turn gets to end before the server's stdin is closed.
const INTERRUPT_GRACE: Duration = Duration::from_secs(2);
/// How long app-server may take to start the turn (it answers in a fraction of a second).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// The app-server driver.
pub(in crate::runner) struct AppServerDriver;

impl Drive for AppServerDriver {
    fn can_steer(&self) -> bool {
        true
    }

    fn asks_approvals(&self) -> bool {
        true
    }

    /// `codex app-server` takes no `-p`: a profile's settings are given to its thread.
    fn takes_profile(&self) -> bool {
        false
    }

    fn needs_app_server(&self) -> bool {
        true
    }

    fn program(&self) -> &'static str {
        "`codex app-server`"
    }

    /// `codex app-server`; the task's folder, sandbox, session and review are given to the
    /// thread it opens.
    fn first_args(&self, f: &FirstRun<'_>) -> Vec<String> {
        app_server_argv(f.options)
    }

    /// The session is the thread's, given when the run opens it: the command is the same.
    fn resume_argv(&self, meta: &TaskMeta, _session: &str) -> Option<Vec<String>> {
        Some(meta.launch().argv.clone())
    }

    fn run(&self, run: RunOf<'_>, env: &RunEnv<'_>) -> std::io::Result<Ran> {
        run_once(run.files, run.meta, run.argv, run.prompt, run.session, env)
    }
}

/// Runs one thread of `codex app-server` to the end of its turn.
fn run_once(
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
        let mut clock = RunClock::new(self.env.limits);
        let started = Instant::now();
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
            self.give_up_on_handshake(started);
            let look = Look {
                turn_over: self.turn_over,
                stop_requested: self.env.stop.requested(),
                erring_since,
            };
            clock.tick(child, self, look, &mut end);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A server that never starts the turn (a Codex without app-server) fails the run.
    fn give_up_on_handshake(&mut self, started: Instant) {
        if self.turn.is_none() && !self.turn_over && started.elapsed() >= HANDSHAKE_TIMEOUT {
            let message = format!(
                "codex app-server did not start the turn within {} s: if this Codex is too old \
                 for app-server, set CODEXMCP_ENGINE=exec",
                HANDSHAKE_TIMEOUT.as_secs()
            );
            self.log(&json!({"type": "turn.failed", "error": {"message": message}}));
            self.turn_over = true;
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

/// app-server is asked: its turn is interrupted (the session stays resumable), then its input
/// closed; its tree is stopped only if that does not end it.
impl Halt for Talk<'_> {
    fn ask_to_stop(&mut self) {
        self.interrupt();
    }

    fn asked_grace(&self) -> Duration {
        INTERRUPT_GRACE * 2
    }

    fn while_asked(&mut self, since: Duration) {
        if since >= INTERRUPT_GRACE {
            self.stdin = None;
        }
    }

    /// On its input's end app-server exits, and stops what it started.
    fn turn_is_over(&mut self) {
        self.stdin = None;
    }
}
