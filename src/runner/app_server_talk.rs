//! The conversation with one app-server (`app_server_driver.rs` runs the process): what it
//! answers to our requests, the questions it asks, the letters others leave for the task
//! (steers and answers), and the events each of these puts into the task's log.

use std::collections::HashMap;
use std::io::Write;
use std::process::ChildStdin;
use std::time::Instant;

use serde_json::{Value, json};

use super::run::RunEnv;
use crate::codex::{self, CodexSandbox, Incoming, ThreadSettings, Translator};
use crate::store::{
    Approval, CancelRequest, EndedBy, InputRequest, Letter, Reply, Steer, TaskFiles, TaskMeta,
    now_ms, rfc3339, write_json,
};
use crate::vocab::Decision;

/// What a request we sent was for, to act on its answer.
pub(super) enum Purpose {
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

/// A question Codex asked and waits on.
pub(super) struct Open {
    pub(super) rpc_id: Value,
    pub(super) method: String,
    pub(super) params: Value,
    pub(super) request: InputRequest,
    pub(super) since: Instant,
}

/// The conversation with one app-server.
pub(super) struct Talk<'a> {
    pub(super) files: &'a TaskFiles,
    pub(super) meta: &'a TaskMeta,
    pub(super) env: &'a RunEnv<'a>,
    pub(super) stdin: Option<ChildStdin>,
    /// Where translated events go: the pump copies them to the log and the progress.
    pub(super) events: std::io::PipeWriter,
    pub(super) translator: Translator,
    pub(super) pending: HashMap<u64, Purpose>,
    pub(super) next_id: u64,
    pub(super) thread: Option<String>,
    pub(super) turn: Option<String>,
    pub(super) question: Option<Open>,
    /// The paths of each patch of the turn, by item id.
    pub(super) file_changes: HashMap<String, Vec<String>>,
    /// Steers that came before the turn started: sent when it has.
    pub(super) early_steers: Vec<(String, String)>,
    /// Questions asked so far in the task (numbers go on across runs).
    pub(super) asked: u64,
    pub(super) turn_over: bool,
    pub(super) prompt: String,
    pub(super) session: Option<String>,
}

impl Talk<'_> {
    pub(super) fn hear(&mut self, message: Incoming) {
        match message {
            Incoming::Response { id, result } => {
                if let Some(purpose) = self.pending.remove(&id) {
                    self.answered(purpose, result);
                }
            }
            Incoming::Request { id, method, params } => self.asked(id, method, params),
            Incoming::Notification { method, params } => {
                self.note_file_change(&params["item"]);
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
    pub(super) fn answered(&mut self, purpose: Purpose, result: Result<Value, String>) {
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
    pub(super) fn asked(&mut self, rpc_id: Value, method: String, params: Value) {
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
            paths: params["itemId"]
                .as_str()
                .and_then(|item| self.file_changes.get(item).cloned())
                .unwrap_or_default(),
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

    /// The paths a patch touches, kept by its item id: app-server's question about it names
    /// only the item.
    fn note_file_change(&mut self, item: &Value) {
        if item["type"] != "fileChange" {
            return;
        }
        let (Some(id), Some(changes)) = (item["id"].as_str(), item["changes"].as_array()) else {
            return;
        };
        let paths = changes
            .iter()
            .filter_map(|c| c["path"].as_str().map(str::to_string))
            .collect();
        self.file_changes.insert(id.to_string(), paths);
    }

    pub(super) fn read_mail(&mut self) {
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

    pub(super) fn steer(&mut self, letter: String, prompt: String) {
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
    pub(super) fn refuse_early_steers(&mut self) {
        for (letter, _) in std::mem::take(&mut self.early_steers) {
            let error = Some("the task's turn is over".to_string());
            self.files.reply(&letter, &Reply { ok: false, error });
        }
    }

    /// Gives the open question `id` its answer.
    pub(super) fn decide(&mut self, id: u64, decision: Decision, by: &str) -> Reply {
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
        if decision == Decision::Cancel {
            let cancel = CancelRequest {
                by: match by {
                    "tasks_update" => EndedBy::TaskCancel,
                    "cli" => EndedBy::Cli,
                    _ => EndedBy::CancelTool,
                },
                reason: Some(format!("the answer to question {id} was cancel")),
                at: rfc3339(now_ms()),
                canceller_notifies: false,
            };
            let _ = write_json(&self.files.cancel_marker(), &cancel);
        }
        Reply {
            ok: true,
            error: None,
        }
    }

    /// A question nobody answered in time is declined: nothing is accepted without an answer.
    pub(super) fn expire_question(&mut self) {
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
    pub(super) fn withdraw_question(&mut self) {
        if self.question.take().is_some() {
            let _ = self.files.update_meta(|m| m.answered(None));
        }
    }

    pub(super) fn interrupt(&mut self) {
        if let (Some(thread), Some(turn)) = (self.thread.clone(), self.turn.clone())
            && !self.turn_over
        {
            let id = self.request(Purpose::Interrupt);
            self.write(&codex::interrupt(id, &thread, &turn));
        } else {
            self.stdin = None;
        }
    }

    pub(super) fn send_initialize(&mut self) {
        let id = self.request(Purpose::Initialize);
        self.write(&codex::initialize(id));
    }

    pub(super) fn request(&mut self, purpose: Purpose) -> u64 {
        self.next_id += 1;
        self.pending.insert(self.next_id, purpose);
        self.next_id
    }

    /// One line to app-server; a server that is gone is seen by the wait loop.
    pub(super) fn write(&mut self, line: &str) {
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
    pub(super) fn log(&mut self, event: &Value) {
        let _ = writeln!(self.events, "{event}");
    }
}
