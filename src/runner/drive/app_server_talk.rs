//! The conversation with one app-server (`app_server_driver.rs` runs the process): what it
//! answers to our requests, the questions it asks, the letters others leave for the task
//! (steers and answers), and the events each of these puts into the task's log.

use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use serde_json::{Value, json};

use super::run::RunEnv;
use crate::codex::protocol::{
    ClientRequest, Incoming, Initialize, ItemNotification, ReviewStart, ServerNotification,
    ServerRequest, ThreadItem, ThreadOpened, ThreadResume, ThreadSettings, ThreadStart,
    TurnCompleted, TurnInterrupt, TurnStart, TurnStatus, TurnSteer, UserInput, initialized_line,
    request_line,
};
use crate::codex::{self, Asked, CodexSandbox, Question, Translator};
use crate::store::{
    Approval, CancelRequest, InputRequest, Letter, Reply, Steer, TaskFiles, TaskMeta, now_ms,
    rfc3339, write_json,
};
use crate::vocab::{Answerer, Decision};

/// What a request we sent was for, to act on its answer.
pub(in crate::runner) enum Purpose {
    Initialize,
    OpenThread,
    StartTurn,
    /// A steer, and the letter that asked for it.
    Steer {
        letter: String,
        prompt: String,
    },
    Interrupt,
    /// The thread asked for again on a new session with a host, after the last was lost.
    Resume,
}

/// A question Codex asked and waits on.
pub(in crate::runner) struct Open {
    pub(in crate::runner) rpc_id: Value,
    /// The question as Codex asked it: the answer is in its words.
    pub(in crate::runner) asked: ServerRequest,
    pub(in crate::runner) request: InputRequest,
    pub(in crate::runner) since: Instant,
}

/// The conversation with one app-server.
pub(in crate::runner) struct Talk<'a> {
    pub(in crate::runner) files: &'a TaskFiles,
    pub(in crate::runner) meta: &'a TaskMeta,
    pub(in crate::runner) env: &'a RunEnv<'a>,
    /// Where our messages go, one per line (app-server's stdin); closing it ends the server.
    pub(in crate::runner) stdin: Option<Box<dyn Write + Send>>,
    /// Where translated events go: the pump copies them to the log and the progress.
    pub(in crate::runner) events: std::io::PipeWriter,
    pub(in crate::runner) translator: Translator,
    pub(in crate::runner) pending: HashMap<u64, Purpose>,
    pub(in crate::runner) next_id: u64,
    pub(in crate::runner) thread: Option<String>,
    pub(in crate::runner) turn: Option<String>,
    /// The questions Codex waits on, oldest first: it may ask several at once.
    pub(in crate::runner) questions: Vec<Open>,
    /// Answers given by nobody that the record could not take yet (a full disk): written as
    /// soon as it can, at the latest with the task's end.
    pub(in crate::runner) unrecorded: Vec<Approval>,
    /// The paths of each patch of the turn, by item id.
    pub(in crate::runner) file_changes: HashMap<String, Vec<String>>,
    /// The items heard completed, by id (a resumed turn's are not told twice).
    pub(in crate::runner) completed_items: std::collections::HashSet<String>,
    /// Steers that came before the turn started: sent when it has.
    pub(in crate::runner) early_steers: Vec<(String, String)>,
    /// The highest question number given so far in the task (numbers go on across runs and
    /// are never given twice).
    pub(in crate::runner) asked: u64,
    /// A notification that could not be read was said on the task (once is enough).
    pub(in crate::runner) warned_unreadable: bool,
    pub(in crate::runner) turn_over: bool,
    /// app-server answered the handshake.
    pub(in crate::runner) initialized: bool,
    /// The thread was asked for again after a "not initialized" (once at most), or will be
    /// when the handshake is answered.
    pub(in crate::runner) reopened: bool,
    pub(in crate::runner) reopen_when_initialized: bool,
    pub(in crate::runner) prompt: String,
    pub(in crate::runner) session: Option<String>,
}

impl<'a> Talk<'a> {
    /// The conversation of a run starting now: nothing sent yet. Question numbers go on from
    /// the task's record as it is now (an earlier attempt may have asked some).
    pub(in crate::runner) fn new(
        files: &'a TaskFiles,
        meta: &'a TaskMeta,
        env: &'a RunEnv<'a>,
        stdin: Option<Box<dyn Write + Send>>,
        events: std::io::PipeWriter,
        prompt: String,
        session: Option<&str>,
    ) -> Talk<'a> {
        let asked = files.read_meta().ok().flatten().map_or_else(
            || meta.conversation().next_question(),
            |m| m.conversation().next_question(),
        ) - 1;
        Talk {
            files,
            meta,
            env,
            stdin,
            events,
            translator: Translator::default(),
            pending: HashMap::new(),
            next_id: 0,
            thread: None,
            turn: None,
            questions: Vec::new(),
            unrecorded: Vec::new(),
            file_changes: HashMap::new(),
            completed_items: Default::default(),
            early_steers: Vec::new(),
            asked,
            warned_unreadable: false,
            turn_over: false,
            initialized: false,
            reopened: false,
            reopen_when_initialized: false,
            prompt,
            session: session.map(str::to_string),
        }
    }
}

impl Talk<'_> {
    pub(in crate::runner) fn hear(&mut self, message: Incoming) {
        match message {
            Incoming::Response { id, result } => {
                if let Some(purpose) = self.pending.remove(&id) {
                    self.answered(purpose, result);
                }
            }
            Incoming::Request { id, request } => self.asked(id, request),
            Incoming::Notification(n) => self.noticed(&n),
        }
    }

    /// Keeps what a notification says that the talk needs (a patch's paths, the turn, its
    /// end), and logs it as exec would.
    fn noticed(&mut self, n: &ServerNotification) {
        match n {
            ServerNotification::ItemStarted(i) => self.note_file_change(&i.item),
            ServerNotification::ItemCompleted(i) => {
                self.note_file_change(&i.item);
                if let Some(id) = i.item.id() {
                    self.completed_items.insert(id.to_string());
                }
            }
            ServerNotification::TurnStarted(t) => self.turn = Some(t.turn.id.clone()),
            ServerNotification::Unreadable { method, why } => self.warn_unreadable(method, why),
            _ => {}
        }
        if n.ends_turn() {
            self.turn_over = true;
            self.refuse_early_steers();
            self.withdraw_questions();
        }
        for event in self.translator.translate(n) {
            self.log(&event);
        }
    }

    /// A notification codex-mcp reads came in a form it cannot: said once on the task, so a
    /// Codex that changed its protocol is visible rather than silently half-read.
    fn warn_unreadable(&mut self, method: &str, why: &str) {
        tracing::warn!(method, why, "an app-server notification could not be read");
        if std::mem::replace(&mut self.warned_unreadable, true) {
            return;
        }
        let warning = format!(
            "Codex sent `{method}` in a form this version of codex-mcp cannot read ({why}); \
             progress may be incomplete"
        );
        let _ = self.files.update_meta(|m| m.warn([warning]));
    }

    /// Acts on the answer to one of our requests.
    pub(in crate::runner) fn answered(&mut self, purpose: Purpose, result: Result<Value, String>) {
        match (purpose, result) {
            (Purpose::Initialize, Ok(_)) => {
                self.initialized = true;
                if std::mem::take(&mut self.reopen_when_initialized) {
                    self.open_thread();
                }
            }
            // A server that took the thread before the handshake (not 0.169 or 0.171, which
            // read in order) is asked again once the handshake is done.
            (Purpose::OpenThread, Err(e))
                if e.to_ascii_lowercase().contains("not initialized") && !self.reopened =>
            {
                self.reopened = true;
                if self.initialized {
                    self.open_thread();
                } else {
                    self.reopen_when_initialized = true;
                }
            }
            (Purpose::OpenThread, Ok(result)) => self.thread_opened(result),
            (Purpose::StartTurn, Ok(result)) => {
                let started = serde_json::from_value::<<TurnStart as ClientRequest>::Response>;
                if let Ok(started) = started(result) {
                    self.turn = Some(started.turn.id);
                }
                for (letter, prompt) in std::mem::take(&mut self.early_steers) {
                    self.steer(letter, prompt);
                }
            }
            (Purpose::Steer { letter, prompt }, result) => {
                self.steer_answered(letter, prompt, result.map(drop));
            }
            (Purpose::Interrupt, _) => {}
            (Purpose::Resume, Ok(result)) => self.thread_resumed(result),
            // The run cannot go on: say so as exec would, and end it.
            // Said once: a refused handshake also refuses the thread sent behind it.
            (
                Purpose::Initialize | Purpose::OpenThread | Purpose::StartTurn | Purpose::Resume,
                Err(_),
            ) if self.turn_over => {}
            (
                Purpose::Initialize | Purpose::OpenThread | Purpose::StartTurn | Purpose::Resume,
                Err(e),
            ) => {
                self.log(&json!({"type": "error", "message": e}));
                self.log(&json!({"type": "turn.failed", "error": {"message": e}}));
                self.turn_over = true;
                self.refuse_early_steers();
            }
        }
    }

    /// The thread is open: its turn starts.
    fn thread_opened(&mut self, result: Value) {
        let opened = serde_json::from_value::<<ThreadStart as ClientRequest>::Response>;
        let thread = opened(result).ok().map(|o| o.thread.id);
        if self.session.is_some() {
            // A resumed thread is not announced: say it as exec does.
            self.log(&codex::thread_started(thread.as_deref()));
        }
        self.thread = thread;
        self.start_turn();
    }

    /// A steer delivered is kept on the record; one refused says why to whoever sent it.
    fn steer_answered(&mut self, letter: String, prompt: String, result: Result<(), String>) {
        match result {
            Ok(()) => {
                let steer = Steer {
                    prompt: prompt.clone(),
                    at: rfc3339(now_ms()),
                };
                let _ = self.files.update_meta(|m| m.steered(steer));
                self.log(&json!({"type": "steer.delivered", "prompt": prompt}));
                self.files.reply(&letter, &Reply::ok());
            }
            // The turn ended between the look and the steer: said as such, so the caller
            // can send it as a follow-up.
            Err(_) if self.turn_over => self.files.reply(&letter, &Reply::turn_over()),
            Err(e) => self.files.reply(&letter, &Reply::refused(e)),
        }
    }

    /// The thread is open: its turn starts, a review task's in Codex's review mode.
    fn start_turn(&mut self) {
        let id = self.request(Purpose::StartTurn);
        let thread = self.thread.clone().unwrap_or_default();
        let line = match &self.meta.launch().review {
            Some(review) => request_line(
                id,
                &ReviewStart {
                    thread_id: &thread,
                    target: &review.target,
                },
            ),
            None => request_line(
                id,
                &TurnStart {
                    thread_id: &thread,
                    input: [UserInput::Text { text: &self.prompt }],
                },
            ),
        };
        self.write(&line);
    }

    /// A request from Codex: a question for a person waits in the task's record for an
    /// answer; anything codex-mcp does not answer on a person's behalf is declined at once,
    /// with a warning on the task that names it.
    pub(in crate::runner) fn asked(&mut self, rpc_id: Value, asked: ServerRequest) {
        let question = match codex::asked(&rpc_id, &asked) {
            Asked::Question(q) => q,
            Asked::Declined { what, answer } => {
                self.write(&answer);
                let warning = format!("Codex asked for {what}; codex-mcp declined it");
                self.log(&json!({"type": "error", "message": warning}));
                let _ = self.files.update_meta(|m| m.warn([warning]));
                return;
            }
        };
        self.asked += 1;
        let request = self.input_request(question);
        // The whole question goes to the log; the record keeps a bounded one.
        self.log(&json!({"type": "approval.requested", "request": request}));
        let open = Open {
            rpc_id,
            asked,
            request: request.clone().bounded(),
            since: Instant::now(),
        };
        let id = request.id;
        self.questions.push(open);
        if self.meta.launch().approval_policy.is_never() {
            let note = "the task's approval_policy is `never`: nothing is accepted";
            self.decline_unasked(id, Answerer::Policy, note.into());
            return;
        }
        match self.record_question(id) {
            Ok(meta) => crate::runner::end::notify::input_required(self.env.config, &meta),
            Err(e) => {
                let note =
                    format!("the question could not be recorded ({e}), so nobody could answer it");
                self.decline_unasked(id, Answerer::Unrecorded, note);
            }
        }
    }

    fn input_request(&self, q: Question) -> InputRequest {
        let now = now_ms();
        InputRequest {
            id: self.asked,
            kind: q.kind,
            command: q.command,
            cwd: q.cwd,
            reason: q.reason,
            paths: if q.paths.is_empty() {
                q.item
                    .and_then(|item| self.file_changes.get(&item).cloned())
                    .unwrap_or_default()
            } else {
                q.paths
            },
            host: q.host,
            decisions: <Decision as strum::VariantArray>::VARIANTS.to_vec(),
            asked_at: rfc3339(now),
            asked_at_ms: now,
        }
    }

    /// Writes open question `id` into the task's record (it makes the task
    /// `input_required`), trying a few times: a question nobody can see cannot be answered.
    fn record_question(&self, id: u64) -> Result<TaskMeta, crate::store::StoreError> {
        let Some(q) = self.questions.iter().find(|q| q.request.id == id) else {
            return Err(crate::store::StoreError::io(
                self.files.meta(),
                std::io::Error::other("no such question"),
            ));
        };
        let mut last = None;
        for pause in [0, 100, 300] {
            std::thread::sleep(std::time::Duration::from_millis(pause));
            match self.files.update_meta(|m| m.ask(q.request.clone())) {
                Ok(Some((meta, ()))) => return Ok(meta),
                Ok(None) => return Err(missing_record(self.files)),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| missing_record(self.files)))
    }

    /// Declines question `id` at once, for nobody (`by` says why nobody could answer).
    fn decline_unasked(&mut self, id: u64, by: Answerer, note: String) {
        self.log(&json!({"type": "error", "message": format!("question {id} declined: {note}")}));
        self.decide_with_note(id, Decision::Decline, by, Some(note));
    }

    /// The paths a patch touches, kept by its item id: app-server's question about it names
    /// only the item.
    fn note_file_change(&mut self, item: &ThreadItem) {
        if let ThreadItem::FileChange { id, changes, .. } = item {
            let paths = changes.iter().map(|c| c.path.clone()).collect();
            self.file_changes.insert(id.clone(), paths);
        }
    }

    pub(in crate::runner) fn read_mail(&mut self) {
        let mail = self.files.take_letters();
        if !mail.rejected.is_empty() {
            let _ = self.files.update_meta(|m| m.warn(mail.rejected.clone()));
        }
        for name in &mail.refused {
            let why = "it was not a letter codex-mcp writes, and was moved to inbox/rejected/";
            self.files.reply(name, &Reply::refused(why));
        }
        for (name, letter) in mail.letters {
            match letter {
                Letter::Steer { prompt } => self.steer(name, prompt),
                Letter::Answer { id, decision, by } => {
                    let reply = self.decide(id, decision, by);
                    self.files.reply(&name, &reply);
                }
            }
        }
        self.flush_unrecorded();
        self.files.sweep_replies();
    }

    pub(in crate::runner) fn steer(&mut self, letter: String, prompt: String) {
        if self.turn_over {
            self.files.reply(&letter, &Reply::turn_over());
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
        let steer = TurnSteer {
            thread_id: &thread,
            expected_turn_id: &turn,
            input: [UserInput::Text { text: &prompt }],
        };
        self.write(&request_line(id, &steer));
    }

    /// The turn is over before it could take the steers that waited for it.
    pub(in crate::runner) fn refuse_early_steers(&mut self) {
        for (letter, _) in std::mem::take(&mut self.early_steers) {
            self.files.reply(&letter, &Reply::turn_over());
        }
    }

    /// Gives the open question `id` its answer; any other id is refused, and nothing is
    /// answered.
    pub(in crate::runner) fn decide(&mut self, id: u64, decision: Decision, by: Answerer) -> Reply {
        self.decide_with_note(id, decision, by, None)
    }

    fn decide_with_note(
        &mut self,
        id: u64,
        decision: Decision,
        by: Answerer,
        note: Option<String>,
    ) -> Reply {
        let Some(i) = self.questions.iter().position(|q| q.request.id == id) else {
            return Reply::refused(format!(
                "question {id} is not open (answered, or the task moved on)"
            ));
        };
        let open = self.questions.remove(i);
        self.write(&codex::answer_line_for(&open.rpc_id, &open.asked, decision));
        let approval = Approval {
            request_id: id,
            kind: open.request.kind,
            command: open.request.command.clone(),
            decision,
            by,
            at: rfc3339(now_ms()),
            note,
        };
        self.log(&json!({"type": "approval.answered", "approval": approval}));
        if self
            .files
            .update_meta(|m| m.answered(id, approval.clone()))
            .is_err()
        {
            self.unrecorded.push(approval);
        }
        if decision == Decision::Cancel {
            let cancel = CancelRequest {
                by: by.ended_by(),
                reason: Some(format!(
                    "the answer to question {id} was `cancel` (by {by})"
                )),
                at: rfc3339(now_ms()),
                canceller_notifies: false,
                answer: Some(id),
            };
            let _ = write_json(&self.files.cancel_marker(), &cancel);
        }
        Reply::ok()
    }

    /// Answers that the record could not take when they were given, written now if it can.
    fn flush_unrecorded(&mut self) {
        if self.unrecorded.is_empty() {
            return;
        }
        let late = self.unrecorded.clone();
        if self.files.update_meta(|m| m.answered_late(late)).is_ok() {
            self.unrecorded.clear();
        }
    }

    /// Each question nobody answered in time is declined, on its own clock: nothing is
    /// accepted without an answer.
    pub(in crate::runner) fn expire_questions(&mut self) {
        let limit = self.env.config.approval_timeout;
        let late: Vec<u64> = self
            .questions
            .iter()
            .filter(|q| q.since.elapsed() >= limit)
            .map(|q| q.request.id)
            .collect();
        for id in late {
            self.decide(id, Decision::Decline, Answerer::Timeout);
        }
    }

    /// The turn ended with questions open: they are no longer asked.
    pub(in crate::runner) fn withdraw_questions(&mut self) {
        if !self.questions.is_empty() {
            self.questions.clear();
            let _ = self.files.update_meta(|m| m.withdraw_questions());
        }
    }

    pub(in crate::runner) fn interrupt(&mut self) {
        if let (Some(thread), Some(turn)) = (self.thread.clone(), self.turn.clone())
            && !self.turn_over
        {
            let id = self.request(Purpose::Interrupt);
            let interrupt = TurnInterrupt {
                thread_id: &thread,
                turn_id: &turn,
            };
            self.write(&request_line(id, &interrupt));
        } else {
            self.stdin = None;
        }
    }

    /// The handshake and the thread's start, sent at once: app-server reads its input in
    /// order, so the thread starts as soon as the handshake is done, without a round trip
    /// between them (about 20 ms a task).
    pub(in crate::runner) fn begin(&mut self) {
        let id = self.request(Purpose::Initialize);
        self.write(&request_line(id, &Initialize::default()));
        self.write(&initialized_line());
        self.open_thread();
    }

    /// Asks app-server for the task's thread: a new one, or the session's.
    fn open_thread(&mut self) {
        let id = self.request(Purpose::OpenThread);
        let run_dir = self.meta.placement().run_dir.to_string_lossy().into_owned();
        let settings = self.thread_settings(&run_dir);
        let line = match self.session.as_deref() {
            Some(thread_id) => request_line(
                id,
                &ThreadResume {
                    thread_id,
                    settings,
                },
            ),
            None => request_line(id, &ThreadStart(settings)),
        };
        // How the thread runs, for whoever reads the log: app-server takes it here, not on a
        // command line.
        let told = json!({
            "type": "thread.settings",
            "cwd": settings.cwd,
            "sandbox": settings.sandbox.as_str(),
            "approval_policy": settings.approval_policy.as_str(),
            "resume": self.session,
            "profile": self.meta.launch().options.profile,
            "host": self.meta.launch().launched.host(),
        });
        self.write(&line);
        if !self.reopened {
            self.log(&told);
        }
    }

    /// How the task's thread runs, in `run_dir`.
    fn thread_settings<'s>(&'s self, run_dir: &'s str) -> ThreadSettings<'s> {
        let launch = self.meta.launch();
        ThreadSettings {
            cwd: run_dir,
            sandbox: CodexSandbox::for_task(self.meta.sandbox, launch.readonly_fallback),
            approval_policy: launch.approval_policy,
            model: launch.options.model.as_deref(),
            config: launch.thread_config.as_ref(),
            developer_instructions: launch
                .review
                .as_ref()
                .and_then(|r| r.instructions.as_deref()),
        }
    }

    /// A new session with the host, after the last was lost: the handshake again, then the
    /// task's thread (which the host's app-server kept) — or, if it had none yet, the start
    /// of it. What was asked on the lost session cannot be answered on this one.
    pub(in crate::runner) fn relinked(&mut self, stdin: Box<dyn Write + Send>) {
        self.stdin = Some(stdin);
        self.pending
            .retain(|_, p| !matches!(p, Purpose::Steer { .. }));
        self.withdraw_questions();
        self.log(&json!({"type": "host.reconnected"}));
        let id = self.request(Purpose::Initialize);
        self.write(&request_line(id, &Initialize::default()));
        self.write(&initialized_line());
        let Some(thread_id) = self.thread.clone() else {
            self.open_thread();
            return;
        };
        let id = self.request(Purpose::Resume);
        let run_dir = self.meta.placement().run_dir.to_string_lossy().into_owned();
        let resume = ThreadResume {
            thread_id: &thread_id,
            settings: self.thread_settings(&run_dir),
        };
        let line = request_line(id, &resume);
        self.write(&line);
    }

    /// The thread is back: a turn that ended while nobody listened is told now, as it went;
    /// one still running goes on telling; one never started starts.
    fn thread_resumed(&mut self, result: Value) {
        let Ok(opened) = serde_json::from_value::<ThreadOpened>(result) else {
            return;
        };
        let Some(turn_id) = self.turn.clone() else {
            self.start_turn();
            return;
        };
        let Some(turn) = opened.thread.turns.into_iter().find(|t| t.id == turn_id) else {
            return;
        };
        if turn.status == TurnStatus::InProgress {
            return;
        }
        // Only what was not heard before the link was lost.
        for item in &turn.items {
            if item
                .id()
                .is_some_and(|id| self.completed_items.contains(id))
            {
                continue;
            }
            let n = ServerNotification::ItemCompleted(ItemNotification { item: item.clone() });
            self.noticed(&n);
        }
        self.noticed(&ServerNotification::TurnCompleted(TurnCompleted { turn }));
    }

    /// The host could not be reached (or was lost and not won back): the turn fails, with the
    /// kind the link gave (a fact the outcome reads before any words).
    pub(in crate::runner) fn host_failed(&mut self, message: &str, info: &str) {
        if self.turn_over {
            return;
        }
        self.log(&json!({"type": "error", "message": message}));
        self.log(&json!({"type": "turn.failed",
            "error": {"message": message, "codex_error_info": info}}));
        self.turn_over = true;
        self.refuse_early_steers();
        self.withdraw_questions();
    }

    pub(in crate::runner) fn request(&mut self, purpose: Purpose) -> u64 {
        self.next_id += 1;
        self.pending.insert(self.next_id, purpose);
        self.next_id
    }

    /// One line to app-server; a server that is gone is seen by the wait loop.
    pub(in crate::runner) fn write(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            // One write a message: Codex reads whole lines, and a line split in pieces costs a
            // wake-up each.
            let sent = stdin
                .write_all(format!("{line}\n").as_bytes())
                .and_then(|()| stdin.flush());
            if sent.is_err() {
                self.stdin = None;
            }
        }
    }

    /// One event into the task's log, as exec writes it.
    pub(in crate::runner) fn log(&mut self, event: &Value) {
        // Formatted first, written once: a `Value` written straight to the pipe is a system
        // call per token.
        let _ = self.events.write_all(format!("{event}\n").as_bytes());
    }
}

fn missing_record(files: &TaskFiles) -> crate::store::StoreError {
    crate::store::StoreError::io(
        files.meta(),
        std::io::Error::new(std::io::ErrorKind::NotFound, "the task's record is missing"),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicI32;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::config::Config;
    use crate::runner::LiveView;
    use crate::runner::drive::run::{Limits, Stop};

    /// What the talk wrote to app-server, kept for the test to read.
    #[derive(Clone, Default)]
    struct Sent(Arc<Mutex<Vec<u8>>>);

    impl Write for Sent {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sent {
        fn lines(&self) -> Vec<Value> {
            String::from_utf8_lossy(&self.0.lock().unwrap())
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        }
    }

    fn meta(policy: &str) -> TaskMeta {
        serde_json::from_value(json!({
            "task_id": "codex-ask-unit-v1", "topic": "ask-unit-v1", "sandbox": "read-only",
            "cwd": "/w", "run_dir": "/w", "resume_session_id": null, "status": "running",
            "started_at": "t", "started_at_ms": 1, "argv": [], "log_file": "/l",
            "engine": "app-server", "approval_policy": policy
        }))
        .unwrap()
    }

    /// Runs `act` on a talk of a task with `policy`; returns what was sent and the record.
    fn talk(policy: &str, corrupt: bool, act: impl FnOnce(&mut Talk<'_>)) -> (Vec<Value>, String) {
        let dir = tempfile::tempdir().unwrap();
        let files = TaskFiles::at(dir.path());
        let meta = meta(policy);
        files.write_meta(&meta).unwrap();
        if corrupt {
            std::fs::write(files.meta(), "{").unwrap();
        }
        let config = Config::from_lookup(|_| None);
        let stop = Stop {
            signal: Arc::new(AtomicI32::new(0)),
            codex_pid: Arc::new(AtomicI32::new(0)),
        };
        let env = RunEnv {
            env: None,
            depth: 1,
            view: LiveView::Off,
            stop: &stop,
            limits: Limits::from_now(&config, None),
            config: &config,
        };
        let sent = Sent::default();
        let (_log_in, log_out) = std::io::pipe().unwrap();
        let mut t = Talk::new(
            &files,
            &meta,
            &env,
            Some(Box::new(sent.clone())),
            log_out,
            String::new(),
            None,
        );
        act(&mut t);
        let record = std::fs::read_to_string(files.meta()).unwrap();
        (sent.lines(), record)
    }

    fn approval(command: &str) -> Value {
        json!({"threadId": "t", "turnId": "u", "itemId": "i", "command": command, "cwd": "/w",
               "reason": "needs it", "startedAtMs": 1})
    }

    #[test]
    fn a_question_asked_under_policy_never_is_declined_at_once() {
        let (sent, record) = talk("never", false, |t| {
            t.asked(
                json!(0),
                ServerRequest::read("item/commandExecution/requestApproval", approval("rm x")),
            );
            assert!(t.questions.is_empty());
        });
        assert_eq!(sent[0]["id"], 0);
        assert_eq!(sent[0]["result"]["decision"], "decline", "{sent:?}");
        let meta: TaskMeta = serde_json::from_str(&record).unwrap();
        assert_eq!(meta.status(), crate::store::TaskStatus::Running);
        let a = &meta.conversation().approvals()[0];
        assert_eq!((a.by, a.decision), (Answerer::Policy, Decision::Decline));
        assert!(a.note.as_deref().unwrap().contains("never"));
    }

    #[test]
    fn a_kind_this_version_does_not_know_is_declined_with_a_warning_naming_it() {
        let (sent, record) = talk("on-request", false, |t| {
            let mut params = approval("x");
            params["kind"] = json!("quantumCommand");
            t.asked(
                json!(3),
                ServerRequest::read("item/commandExecution/requestApproval", params),
            );
            t.asked(
                json!(4),
                ServerRequest::read("item/tool/requestUserInput", json!({"questions": []})),
            );
            assert!(t.questions.is_empty());
        });
        assert_eq!(sent[0]["result"]["decision"], "decline", "{sent:?}");
        assert_eq!(sent[1]["id"], 4, "{sent:?}");
        assert!(record.contains("quantumCommand"), "{record}");
        assert!(record.contains("requestUserInput"), "{record}");
    }

    #[test]
    fn writing_stdin_is_asked_as_what_it_is() {
        let (_, record) = talk("on-request", false, |t| {
            let mut params = approval("python3");
            params["kind"] = json!("writeStdin");
            t.asked(
                json!(5),
                ServerRequest::read("item/commandExecution/requestApproval", params),
            );
        });
        let meta: TaskMeta = serde_json::from_str(&record).unwrap();
        let q = &meta.conversation().open()[0];
        assert_eq!(q.kind, crate::vocab::QuestionKind::WriteStdin);
        assert!(
            q.what().starts_with("send input to the running"),
            "{}",
            q.what()
        );
    }

    #[test]
    fn a_question_that_cannot_be_recorded_is_declined_at_once_and_kept_for_later() {
        let (sent, _) = talk("on-request", true, |t| {
            t.asked(
                json!(7),
                ServerRequest::read("item/commandExecution/requestApproval", approval("x")),
            );
            assert!(t.questions.is_empty());
            assert_eq!(t.unrecorded.len(), 1);
            let a = &t.unrecorded[0];
            assert_eq!(a.by, Answerer::Unrecorded);
            assert!(a.note.as_deref().unwrap().contains("could not be recorded"));
        });
        assert_eq!(sent[0]["result"]["decision"], "decline", "{sent:?}");
    }

    #[test]
    fn an_answer_to_a_question_not_open_answers_nothing() {
        let (sent, record) = talk("on-request", false, |t| {
            t.asked(
                json!(1),
                ServerRequest::read("item/commandExecution/requestApproval", approval("a")),
            );
            t.asked(
                json!(2),
                ServerRequest::read("item/commandExecution/requestApproval", approval("b")),
            );
            assert!(!t.decide(9, Decision::Accept, Answerer::Cli).ok);
            assert!(t.decide(2, Decision::Accept, Answerer::Cli).ok);
            assert!(!t.decide(2, Decision::Accept, Answerer::Cli).ok);
        });
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0]["id"], 2);
        let meta: TaskMeta = serde_json::from_str(&record).unwrap();
        assert_eq!(meta.status(), crate::store::TaskStatus::InputRequired);
        assert_eq!(meta.conversation().open().len(), 1);
    }
}
