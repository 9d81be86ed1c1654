//! The app-server driver: a Codex run is one `codex app-server` process speaking JSON-RPC on
//! its stdio, one thread in it, the task's prompt as its first turn. Unlike `codex exec`, it can
//! be talked to while it runs: a prompt steered into the turn, the answer to a question Codex
//! asks. Others reach it through the task's mailbox (`store/mailbox.rs`); what it hears is
//! translated into the events `codex exec --json` writes (`codex/app_server.rs`), so the log,
//! the progress and the outcome read the same whichever driver ran.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use serde_json::json;

use super::app_server_talk::Talk;
use super::codex_process::{
    DRAIN_AFTER_EXIT, codex_command, codex_started, run_warnings, start_log_pump, stop_strays,
};
use super::host_link::{self, LinkError};
use super::host_worktree;
use super::pump::lock;
use super::run::{Ran, RunEnv};
use super::run_clock::{Halt, Look, Peer, RunClock};
use super::seam::{Drive, FirstRun, RunOf};
use crate::codex::protocol::Incoming;
use crate::codex::{TurnEnd, app_server_argv};
use crate::config::hosts::{Host, Hosts};
use crate::runner::Launch;
use crate::runner::end::failure_rows::{HOST_REFUSED, HOST_UNREACHABLE};
use crate::runner::end::outcome::{ExitInfo, RunEnd};
use crate::store::{Sandbox, TaskFiles, TaskMeta, open_nofollow};

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

/// Runs one thread of `codex app-server` — here, or on the task's host — to the end of its
/// turn.
fn run_once(
    files: &TaskFiles,
    meta: &TaskMeta,
    argv: &[String],
    prompt: &Path,
    session: Option<&str>,
    env: &RunEnv<'_>,
) -> std::io::Result<Ran> {
    let text = std::io::read_to_string(open_nofollow(prompt)?)?;
    // A full-access task on a host works in its worktree there, made before its thread.
    let (placed, unplaced) = match place_on_host(files, meta, env) {
        Ok(m) => (m, None),
        Err(e) => (None, Some(e)),
    };
    let meta = placed.as_ref().unwrap_or(meta);
    let opened = match unplaced {
        Some(e) => Err(e),
        None => Server::open(files, meta, argv, env)?,
    };
    let (events_in, events_out) = std::io::pipe()?;
    let (tracked, drained) =
        start_log_pump(events_in, files, env.view).map_err(std::io::Error::other)?;
    let mut talk = Talk::new(files, meta, env, None, events_out, text, session);
    let mut end = talk.run(opened, &tracked);
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

/// A full-access task on a host that has no worktree yet gets one there; its record as it is
/// then (`None`: nothing to do). Failing to make it fails the run: Codex never works in the
/// person's own checkout.
fn place_on_host(
    files: &TaskFiles,
    meta: &TaskMeta,
    env: &RunEnv<'_>,
) -> Result<Option<TaskMeta>, HostError> {
    let launch = Launch::of(meta);
    let Some(name) = launch.host() else {
        return Ok(None);
    };
    if meta.sandbox != Sandbox::FullAccess || meta.placement().worktree.is_some() {
        return Ok(None);
    }
    let host = host_named(name, env)?;
    let (run_dir, wt) = host_worktree::prepare(&host, files, meta).map_err(HostError::Refused)?;
    match files.update_meta(|m| m.worktree_made(run_dir, wt)) {
        Ok(Some((m, ()))) => Ok(Some(m)),
        Ok(None) => Err(HostError::Refused("the task's record is gone".into())),
        Err(e) => Err(HostError::Refused(e.to_string())),
    }
}

/// The host `name` of the hosts file as it is now.
fn host_named(name: &str, env: &RunEnv<'_>) -> Result<Host, HostError> {
    let hosts = Hosts::load(env.config).map_err(|e| HostError::Refused(e.to_string()))?;
    hosts.get(name).cloned().ok_or_else(|| {
        HostError::Refused(format!(
            "`{name}` is no longer a host of {} (hosts there: {})",
            hosts.file.display(),
            hosts.names()
        ))
    })
}

/// The app-server a run talks to: `codex app-server` here on pipes, or a host's over a
/// WebSocket session (which, lost, is linked again).
struct Server {
    peer: Box<dyn Peer>,
    incoming: Receiver<Incoming>,
    writer: Option<Box<dyn std::io::Write + Send>>,
    /// The task's host, to link to again when the session is lost; `None` here.
    host: Option<Host>,
}

impl Server {
    /// The task's app-server: started here, or linked on its host. The outer error is this
    /// machine's (Codex could not be started); the inner one the host's.
    fn open(
        files: &TaskFiles,
        meta: &TaskMeta,
        argv: &[String],
        env: &RunEnv<'_>,
    ) -> std::io::Result<Result<Server, HostError>> {
        let Some(name) = Launch::of(meta).host().map(str::to_string) else {
            let mut cmd = codex_command(files, meta, argv, env)?;
            cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
            let mut child = cmd.spawn()?;
            codex_started(&child, files, env);
            let incoming = read_lines(&mut child);
            let writer = child
                .stdin
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Write + Send>);
            return Ok(Ok(Server {
                peer: Box::new(child),
                incoming,
                writer,
                host: None,
            }));
        };
        let host = match host_named(&name, env) {
            Ok(host) => host,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Server::link(host, files).map_err(HostError::from))
    }

    /// A session with `host`.
    fn link(host: Host, files: &TaskFiles) -> Result<Server, LinkError> {
        let (link, incoming) = host_link::connect(&host, &files.stderr())?;
        Ok(Server {
            writer: Some(link.writer()),
            peer: Box::new(link),
            incoming,
            host: Some(host),
        })
    }
}

/// Why a host's app-server could not be talked to.
#[derive(Debug)]
enum HostError {
    Unreachable(String),
    Refused(String),
}

impl From<LinkError> for HostError {
    fn from(e: LinkError) -> HostError {
        match e {
            LinkError::Unreachable { .. } => HostError::Unreachable(e.to_string()),
            LinkError::Refused { .. } => HostError::Refused(e.to_string()),
        }
    }
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostError::Unreachable(why) | HostError::Refused(why) => f.write_str(why),
        }
    }
}

impl HostError {
    /// The kind of failure it makes, as the outcome reads it.
    fn kind(&self) -> &'static str {
        match self {
            HostError::Unreachable(_) => HOST_UNREACHABLE,
            HostError::Refused(_) => HOST_REFUSED,
        }
    }
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
    /// The run with the server `opened`, to its end; a server that could not be had fails
    /// the run, with the kind its host gave.
    fn run(
        &mut self,
        opened: Result<Server, HostError>,
        tracked: &std::sync::Mutex<super::pump::Tracked>,
    ) -> RunEnd {
        match opened {
            Ok(mut server) => {
                self.stdin = server.writer.take();
                self.begin();
                self.converse(&mut server, tracked)
            }
            Err(e) => {
                self.host_failed(&e.to_string(), e.kind());
                RunEnd {
                    exit: Some(ExitInfo {
                        code: Some(1),
                        signal: None,
                    }),
                    ..RunEnd::default()
                }
            }
        }
    }

    /// Runs the conversation until app-server exits, stopping it when the turn is over, when
    /// asked to, or when the limits say. A host's session that is lost mid-turn is linked
    /// again, for as long as `CODEXMCP_HOST_RECONNECT` allows.
    fn converse(
        &mut self,
        server: &mut Server,
        tracked: &std::sync::Mutex<super::pump::Tracked>,
    ) -> RunEnd {
        let mut end = RunEnd::default();
        let mut clock = RunClock::new(self.env.limits);
        let started = Instant::now();
        let mut mail_at = Instant::now();
        loop {
            if let Some(exit) = server.peer.ended() {
                // What it wrote last is still in the channel.
                self.drain(&server.incoming);
                if server.peer.lost() && !self.turn_over && !self.env.stop.requested() {
                    if self.relink(server) {
                        continue;
                    }
                    end.exit = Some(ExitInfo {
                        code: Some(1),
                        signal: None,
                    });
                    return end;
                }
                end.exit = Some(exit);
                return end;
            }
            self.drain(&server.incoming);
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
            clock.tick(server.peer.as_mut(), self, look, &mut end);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Links to the host again, trying with a growing pause until the reconnect window
    /// closes or the task is stopped; false when it could not (the turn has failed then).
    fn relink(&mut self, server: &mut Server) -> bool {
        let Some(host) = server.host.clone() else {
            return false;
        };
        let window = self.env.config.host_reconnect;
        let since = Instant::now();
        let mut pause = Duration::from_millis(250);
        let mut last = String::from("the connection was lost");
        while since.elapsed() < window && !self.env.stop.requested() {
            match Server::link(host.clone(), self.files) {
                Ok(mut linked) => {
                    let writer = linked.writer.take();
                    *server = linked;
                    if let Some(writer) = writer {
                        self.relinked(writer);
                    }
                    return true;
                }
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(pause.min(window.saturating_sub(since.elapsed())));
            pause = (pause * 2).min(Duration::from_secs(5));
        }
        let message = format!(
            "the connection to host `{}` was lost mid-turn and not won back within {} s              (CODEXMCP_HOST_RECONNECT): {last}. The thread is kept there: a follow-up with              its session_id resumes it",
            host.name,
            window.as_secs()
        );
        self.host_failed(&message, HOST_UNREACHABLE);
        false
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

    /// On its input's end app-server exits, and stops what it started (a host's ends the
    /// session).
    fn turn_is_over(&mut self) {
        self.stdin = None;
    }
}
