//! The app-server driver: a Codex run is one `codex app-server` process speaking JSON-RPC on
//! its stdio, one thread in it, the task's prompt as its first turn. Unlike `codex exec`, it can
//! be talked to while it runs: a prompt steered into the turn, the answer to a question Codex
//! asks. Others reach it through the task's mailbox (`store/mailbox.rs`); what it hears is
//! translated into the events `codex exec --json` writes (`codex/app_server.rs`), so the log,
//! the progress and the outcome read the same whichever driver ran.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::codex_process::{
    DRAIN_AFTER_EXIT, KILL_AFTER, codex_command, run_warnings, start_log_pump, stop_strays,
};
use super::outcome::{ExitInfo, RunEnd};
use super::process::terminate_tree;
use super::pump::lock;
use super::run::{Ran, RunEnv};
use crate::codex::{self, CodexSandbox, Incoming, ThreadSettings, Translator, TurnEnd};
use crate::store::{
    Approval, CancelRequest, EndedBy, InputRequest, Letter, Reply, Steer, TaskFiles, TaskMeta,
    now_ms, open_nofollow, rfc3339, write_json,
};
use crate::vocab::Decision;

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
    let pid = child.id() as i32;
    env.stop.codex_pid.store(pid, Ordering::SeqCst);
    let _ = files.update_meta(|m| m.codex_started(pid as u32));
    let (events_in, events_out) = std::io::pipe()?;
    let (tracked, drained) =
        start_log_pump(events_in, files, env.view).map_err(std::io::Error::other)?;
    let incoming = read_lines(&mut child);
    let mut talk = Talk {
        files,
        meta,
        env,
        stdin: child.stdin.take(),
        events: events_out,
        translator: Translator::default(),
        pending: HashMap::new(),
        next_id: 0,
        thread: None,
        turn: None,
        question: None,
        early_steers: Vec::new(),
        asked: meta.conversation().approvals.len() as u64,
        turn_over: false,
        prompt: text,
        session: session.map(str::to_string),
    };
    talk.send_initialize();
    let mut end = talk.converse(&mut child, &incoming, &tracked);
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

/// What a request we sent was for, to act on its answer.
enum Purpose {
    Initialize,
    OpenThread,
    StartTurn,
    /// A steer, and the letter that asked for it.
    Steer {
        letter: String,
        prompt: String,
    },
    Interrupt,
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

/// A question Codex asked and waits on.
struct Open {
    rpc_id: Value,
    method: String,
    params: Value,
    request: InputRequest,
    since: Instant,
}

/// The conversation with one app-server.
struct Talk<'a> {
    files: &'a TaskFiles,
    meta: &'a TaskMeta,
    env: &'a RunEnv<'a>,
    stdin: Option<ChildStdin>,
    /// Where translated events go: the pump copies them to the log and the progress.
    events: std::io::PipeWriter,
    translator: Translator,
    pending: HashMap<u64, Purpose>,
    next_id: u64,
    thread: Option<String>,
    turn: Option<String>,
    question: Option<Open>,
    /// Steers that came before the turn started: sent when it has.
    early_steers: Vec<(String, String)>,
    /// Questions asked so far in the task (numbers go on across runs).
    asked: u64,
    turn_over: bool,
    prompt: String,
    session: Option<String>,
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
                self.expire_question();
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

    fn hear(&mut self, message: Incoming) {
        match message {
            Incoming::Response { id, result } => {
                if let Some(purpose) = self.pending.remove(&id) {
                    self.answered(purpose, result);
                }
            }
            Incoming::Request { id, method, params } => self.asked(id, method, params),
            Incoming::Notification { method, params } => {
                if method == "turn/started"
                    && let Some(turn) = params["turn"]["id"].as_str()
                {
                    self.turn = Some(turn.to_string());
                }
                if method == "turn/completed" {
                    self.turn_over = true;
                    self.refuse_early_steers();
                    self.withdraw_question();
                }
                for event in self.translator.translate(&method, &params) {
                    self.log(&event);
                }
            }
        }
    }

    /// Acts on the answer to one of our requests.
    fn answered(&mut self, purpose: Purpose, result: Result<Value, String>) {
        match (purpose, result) {
            (Purpose::Initialize, Ok(_)) => {
                self.write(&codex::initialized());
                let id = self.request(Purpose::OpenThread);
                let run_dir = self.meta.placement().run_dir.to_string_lossy().into_owned();
                let launch = self.meta.launch();
                let settings = ThreadSettings {
                    cwd: &run_dir,
                    sandbox: CodexSandbox::for_task(self.meta.sandbox, launch.readonly_fallback),
                    approval: launch.approval_policy,
                    model: launch.options.model.as_deref(),
                };
                let line = codex::open_thread(id, self.session.as_deref(), settings);
                self.write(&line);
                // How the thread runs, for whoever reads the log: app-server takes it here, not
                // on a command line.
                let told = json!({
                    "type": "thread.settings",
                    "cwd": settings.cwd,
                    "sandbox": settings.sandbox.as_str(),
                    "approval_policy": settings.approval.as_str(),
                    "resume": self.session,
                });
                self.log(&told);
            }
            (Purpose::OpenThread, Ok(result)) => {
                let thread = result["thread"]["id"].as_str().map(str::to_string);
                if self.session.is_some() {
                    // A resumed thread is not announced: say it as exec does.
                    self.log(&codex::thread_started(thread.as_deref()));
                }
                self.thread = thread;
                let id = self.request(Purpose::StartTurn);
                let line =
                    codex::start_turn(id, self.thread.as_deref().unwrap_or_default(), &self.prompt);
                self.write(&line);
            }
            (Purpose::StartTurn, Ok(result)) => {
                if let Some(turn) = result["turn"]["id"].as_str() {
                    self.turn = Some(turn.to_string());
                }
                for (letter, prompt) in std::mem::take(&mut self.early_steers) {
                    self.steer(letter, prompt);
                }
            }
            (Purpose::Steer { letter, prompt }, result) => {
                let error = result.err();
                if error.is_none() {
                    let steer = Steer {
                        prompt: prompt.clone(),
                        at: rfc3339(now_ms()),
                    };
                    let _ = self.files.update_meta(|m| m.steered(steer));
                    self.log(&json!({"type": "steer.delivered", "prompt": prompt}));
                }
                self.files.reply(
                    &letter,
                    &Reply {
                        ok: error.is_none(),
                        error,
                    },
                );
            }
            (Purpose::Interrupt, _) => {}
            // The run cannot go on: say so as exec would, and end it.
            (Purpose::Initialize | Purpose::OpenThread | Purpose::StartTurn, Err(e)) => {
                self.log(&json!({"type": "error", "message": e}));
                self.log(&json!({"type": "turn.failed", "error": {"message": e}}));
                self.turn_over = true;
                self.refuse_early_steers();
            }
        }
    }

    /// A question from Codex: it waits in the task's record for an answer.
    fn asked(&mut self, rpc_id: Value, method: String, params: Value) {
        let Some(q) = codex::question(&method, &params) else {
            // A request this driver does not serve: refused, so Codex does not wait on it.
            let refusal = json!({"id": rpc_id, "error": {"code": -32601, "message": "not supported by codex-mcp"}});
            self.write(&refusal.to_string());
            return;
        };
        self.asked += 1;
        let now = now_ms();
        let request = InputRequest {
            id: self.asked,
            kind: q.kind.to_string(),
            command: q.command,
            cwd: q.cwd,
            reason: q.reason,
            decisions: Decision::ALL.to_vec(),
            asked_at: rfc3339(now),
            asked_at_ms: now,
        };
        self.log(&json!({"type": "approval.requested", "request": request}));
        if let Ok(Some((meta, ()))) = self.files.update_meta(|m| m.ask(request.clone())) {
            super::notify::input_required(self.env.config, &meta);
        }
        self.question = Some(Open {
            rpc_id,
            method,
            params,
            request,
            since: Instant::now(),
        });
    }

    fn read_mail(&mut self) {
        for (name, letter) in self.files.take_letters() {
            match letter {
                Letter::Steer { prompt } => self.steer(name, prompt),
                Letter::Answer { id, decision, by } => {
                    let reply = self.decide(id, decision, &by);
                    self.files.reply(&name, &reply);
                }
            }
        }
    }

    fn steer(&mut self, letter: String, prompt: String) {
        if self.turn_over {
            let error = Some("the task's turn is over".to_string());
            self.files.reply(&letter, &Reply { ok: false, error });
            return;
        }
        let (Some(thread), Some(turn)) = (self.thread.clone(), self.turn.clone()) else {
            // Replied to as soon as the turn starts, a moment from now.
            self.early_steers.push((letter, prompt));
            return;
        };
        let id = self.request(Purpose::Steer {
            letter,
            prompt: prompt.clone(),
        });
        self.write(&codex::steer(id, &thread, &turn, &prompt));
    }

    /// The turn is over before it could take the steers that waited for it.
    fn refuse_early_steers(&mut self) {
        for (letter, _) in std::mem::take(&mut self.early_steers) {
            let error = Some("the task's turn is over".to_string());
            self.files.reply(&letter, &Reply { ok: false, error });
        }
    }

    /// Gives the open question `id` its answer.
    fn decide(&mut self, id: u64, decision: Decision, by: &str) -> Reply {
        let Some(open) = self.question.take_if(|q| q.request.id == id) else {
            return Reply {
                ok: false,
                error: Some(format!(
                    "question {id} is not open (answered, or the task moved on)"
                )),
            };
        };
        let word = decision.app_server_word();
        self.write(&codex::approval_answer(
            &open.rpc_id,
            &open.method,
            &open.params,
            word,
        ));
        let approval = Approval {
            id,
            kind: open.request.kind.clone(),
            command: open.request.command.clone(),
            decision,
            by: by.to_string(),
            at: rfc3339(now_ms()),
        };
        self.log(&json!({"type": "approval.answered", "approval": approval}));
        let _ = self.files.update_meta(|m| m.answered(Some(approval)));
        self.env
            .view
            .show(&format!("answered {}: {}", by, decision.as_str()));
        if decision == Decision::Cancel {
            let cancel = CancelRequest {
                by: match by {
                    "tasks_update" => EndedBy::TaskCancel,
                    "cli" => EndedBy::Cli,
                    _ => EndedBy::CancelTool,
                },
                reason: Some(format!("the answer to question {id} was cancel")),
                at: rfc3339(now_ms()),
            };
            let _ = write_json(&self.files.cancel_marker(), &cancel);
        }
        Reply {
            ok: true,
            error: None,
        }
    }

    /// A question nobody answered in time is declined: nothing is accepted without an answer.
    fn expire_question(&mut self) {
        let limit = self.env.config.approval_timeout;
        if let Some(id) = self
            .question
            .as_ref()
            .filter(|q| q.since.elapsed() >= limit)
            .map(|q| q.request.id)
        {
            self.decide(id, Decision::Decline, "timeout");
        }
    }

    /// The turn ended with a question open: it is no longer asked.
    fn withdraw_question(&mut self) {
        if self.question.take().is_some() {
            let _ = self.files.update_meta(|m| m.answered(None));
        }
    }

    fn interrupt(&mut self) {
        if let (Some(thread), Some(turn)) = (self.thread.clone(), self.turn.clone())
            && !self.turn_over
        {
            let id = self.request(Purpose::Interrupt);
            self.write(&codex::interrupt(id, &thread, &turn));
        } else {
            self.stdin = None;
        }
    }

    fn send_initialize(&mut self) {
        let id = self.request(Purpose::Initialize);
        self.write(&codex::initialize(id));
    }

    fn request(&mut self, purpose: Purpose) -> u64 {
        self.next_id += 1;
        self.pending.insert(self.next_id, purpose);
        self.next_id
    }

    /// One line to app-server; a server that is gone is seen by the wait loop.
    fn write(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            let sent = stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.write_all(b"\n"))
                .and_then(|()| stdin.flush());
            if sent.is_err() {
                self.stdin = None;
            }
        }
    }

    /// One event into the task's log, as exec writes it.
    fn log(&mut self, event: &Value) {
        let _ = writeln!(self.events, "{event}");
    }
}
