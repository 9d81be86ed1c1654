//! Talking to a task: a prompt (steered into a running turn, added to a queued task's prompt,
//! or a follow-up turn of an ended task's session), or the answer to one of Codex's questions.
//! Only the supervisor talks to Codex; a reply reaches it as a letter in the task's mailbox,
//! and is confirmed by the supervisor's answer. An answer names its question: it is given to
//! that question or to none.

use std::time::{Duration, Instant};

use super::contract::{Delivered, PROMPT_MAX_BYTES, ReplyView};
use super::spec::TaskSpec;
use super::{Engine, EngineError};
use crate::runner::{Driver, orphaned};
use crate::store::{
    Awaited, InputRequest, Letter, Reply, Steer, TaskFiles, TaskId, TaskMeta, TaskStatus, now_ms,
    rfc3339, write_atomic,
};
use crate::vocab::{Answerer, Decision};

/// How long a reply waits for the supervisor to confirm it (Codex accepts a steer at once; an
/// answer is handed over at once).
const CONFIRM_WAIT: Duration = Duration::from_secs(15);
/// How long a steer that came as the turn ended waits for the task's end, to follow it up.
const END_WAIT: Duration = Duration::from_secs(30);
/// The largest prompt steered into a running turn or added to a queued task's prompt.
pub const REPLY_MAX_BYTES: usize = 64 * 1024;

/// What a reply carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyWith {
    Prompt(String),
    /// The answer to the open question `request_id`.
    Decision {
        request_id: u64,
        decision: Decision,
    },
}

/// What a reply came to.
#[derive(Debug)]
pub enum Delivery {
    /// Delivered to the task itself.
    Done(ReplyView),
    /// A follow-up task to start; `turn_had_ended` when the prompt was meant as a steer but the
    /// turn ended first.
    FollowUp {
        spec: Box<TaskSpec>,
        turn_had_ended: bool,
    },
}

impl Engine {
    fn steer(
        &self,
        task_id: &TaskId,
        files: &TaskFiles,
        prompt: String,
    ) -> Result<Delivery, EngineError> {
        let meta = self.reconciled_meta(task_id)?;
        if !Driver::of(&meta).can_steer() {
            return Err(EngineError::invalid(
                "task_id",
                format!(
                    "task `{}` runs on the exec engine (`codex exec`), which cannot be steered: \
                     wait for it to end and reply then (a follow-up in the same session), or \
                     cancel it and start again",
                    meta.task_id
                ),
            ));
        }
        let letter = files.post(&Letter::Steer {
            prompt: prompt.clone(),
        })?;
        match self.await_supervisor(files, &letter) {
            Awaited::Replied(r) if r.ok => Ok(Delivery::Done(self.reply_view(
                task_id,
                Delivered::Steer,
                None,
            )?)),
            Awaited::Replied(r) if !r.turn_over => Err(not_taken(&meta, &r)),
            // The turn ended before the prompt reached it: the prompt is not lost, it goes on
            // as a follow-up of the session once the task has ended.
            Awaited::Replied(_) | Awaited::Unread => self.after_the_turn(task_id, prompt),
            other => Err(unconfirmed(&meta, &other)),
        }
    }

    /// A steer that came too late for its turn: a follow-up once the task has ended; a steer
    /// again if the task goes on with another attempt.
    fn after_the_turn(&self, task_id: &TaskId, prompt: String) -> Result<Delivery, EngineError> {
        let until = Instant::now() + END_WAIT;
        loop {
            let meta = self.reconciled_meta(task_id)?;
            if meta.status().is_final() {
                return Ok(Delivery::FollowUp {
                    spec: Box::new(self.follow_up_spec(&meta, prompt)?),
                    turn_had_ended: true,
                });
            }
            if Instant::now() >= until {
                return self.steer(task_id, &self.store.task(task_id), prompt);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn answer(
        &self,
        task_id: &TaskId,
        files: &TaskFiles,
        meta: &TaskMeta,
        request_id: u64,
        decision: Decision,
        by: Answerer,
    ) -> Result<Delivery, EngineError> {
        let open = meta.conversation().open();
        if open.is_empty() {
            return Err(EngineError::invalid(
                "decision",
                format!(
                    "task `{}` asks nothing now (it is {}): a decision answers a question of a \
                     task that is `input_required`, and nothing was answered. To say something \
                     to it, send `prompt` instead",
                    meta.task_id,
                    meta.status()
                ),
            ));
        }
        if meta.conversation().question(request_id).is_none() {
            return Err(not_open(meta, request_id, open));
        }
        let letter = files.post(&Letter::Answer {
            id: request_id,
            decision,
            by,
        })?;
        match self.await_supervisor(files, &letter) {
            Awaited::Replied(r) if r.ok => Ok(Delivery::Done(self.reply_view(
                task_id,
                Delivered::Answer,
                Some((request_id, decision)),
            )?)),
            // It was answered or withdrawn meanwhile: say what is open now.
            Awaited::Replied(_) | Awaited::Unread => {
                let now = self.reconciled_meta(task_id)?;
                Err(not_open(&now, request_id, now.conversation().open()))
            }
            other => Err(unconfirmed(meta, &other)),
        }
    }

    /// Waits for the supervisor to answer a letter, taking it back when nobody is left to read
    /// it (the task ended, or its supervisor is gone).
    fn await_supervisor(&self, files: &TaskFiles, letter: &str) -> Awaited {
        let unread = || match files.read_meta() {
            Ok(Some(m)) => m.status().is_final() || orphaned(files, &m, &self.config),
            _ => true,
        };
        files.await_reply(letter, CONFIRM_WAIT, unread)
    }

    /// What `codex_reply` answers: the task as it is now (its session, when Codex opened one).
    fn reply_view(
        &self,
        task_id: &TaskId,
        delivered: Delivered,
        answered: Option<(u64, Decision)>,
    ) -> Result<ReplyView, EngineError> {
        let now = super::status::status(self, task_id)?;
        let next = match delivered {
            Delivered::Steer => {
                "Codex applies it at its next model request; follow the task with codex_status"
            }
            Delivered::Queued => "it is added to the prompt the task starts with",
            Delivered::Answer if now.status == TaskStatus::InputRequired => {
                "Codex goes on with it; the task still waits on its other question(s) in \
                 `input_requests`"
            }
            Delivered::Answer => "Codex goes on; follow the task with codex_status",
            Delivered::FollowUp => "a new task continues the session",
        };
        Ok(ReplyView {
            delivered,
            task_id: now.task_id,
            status: now.status,
            session_id: now.session_id,
            request_id: answered.map(|(id, _)| id),
            decision: answered.map(|(_, d)| d),
            next: next.to_string(),
        })
    }

    /// The next turn of an ended task's session, as a new task: the next version of its topic,
    /// the same folder (and worktree), sandbox, options and approval policy.
    pub(super) fn follow_up_spec(
        &self,
        meta: &TaskMeta,
        prompt: String,
    ) -> Result<TaskSpec, EngineError> {
        let session = meta
            .outcome()
            .and_then(|o| o.session_id.clone())
            .or_else(|| meta.resume_session_id.clone())
            .ok_or_else(|| {
                EngineError::invalid(
                    "task_id",
                    format!(
                        "task `{}` ended before Codex opened a session, so there is nothing to \
                         follow up: start a new task with codex_dispatch",
                        meta.task_id
                    ),
                )
            })?;
        let topic = super::spec::parse_topic(&meta.topic)?;
        let next = super::spec::parse_topic(&topic.next_version())?;
        Ok(TaskSpec {
            prompt: super::spec::parse_prompt(prompt)?,
            cwd: meta.placement().cwd.clone(),
            topic: next,
            sandbox: meta.sandbox,
            session_id: Some(session),
            options: meta.launch().options.clone(),
            timeout_seconds: meta.launch().timeout_seconds,
            retries: meta.launch().retries,
            approval_policy: meta.launch().approval_policy,
            // A follow-up of a review is a conversation about it, in the place it reviewed.
            review: None,
            run_dir: (meta.sandbox == crate::store::Sandbox::ReadOnly
                && meta.placement().run_dir != meta.placement().cwd)
                .then(|| meta.placement().run_dir.clone()),
            // A follow-up runs where its session is: on the same host.
            host: crate::runner::Launch::of(meta).host().map(str::to_string),
        })
    }
}

/// Delivers `reply` to the task `task_id`; `by` says who answers a question. A prompt to an
/// ended task starts a follow-up: the new task's spec is returned for the caller to start.
pub(super) fn reply(
    engine: &Engine,
    task_id: &TaskId,
    reply: ReplyWith,
    by: Answerer,
) -> Result<Delivery, EngineError> {
    let files = engine.store.task(task_id);
    let meta = engine.reconciled_meta(task_id)?;
    match reply {
        ReplyWith::Decision {
            request_id,
            decision,
        } => engine.answer(task_id, &files, &meta, request_id, decision, by),
        ReplyWith::Prompt(prompt) if meta.status().is_final() => Ok(Delivery::FollowUp {
            spec: Box::new(engine.follow_up_spec(&meta, prompt)?),
            turn_had_ended: false,
        }),
        ReplyWith::Prompt(prompt) => {
            check_reply_size(&prompt)?;
            if meta.status() == TaskStatus::Queued && add_to_queued(&files, &prompt)? {
                return Ok(Delivery::Done(engine.reply_view(
                    task_id,
                    Delivered::Queued,
                    None,
                )?));
            }
            // Running, or it started meanwhile: steer it.
            engine.steer(task_id, &files, prompt)
        }
    }
}

/// A steer or a reply to a queued task is at most [`REPLY_MAX_BYTES`].
fn check_reply_size(prompt: &str) -> Result<(), EngineError> {
    if prompt.len() > REPLY_MAX_BYTES {
        return Err(EngineError::invalid(
            "prompt",
            format!(
                "it is {} bytes; a reply to a running or queued task takes at most {} bytes \
                 (64 KiB). Put the rest in a file in the task's folder and tell Codex to read \
                 it, or wait for the task to end and follow it up (a follow-up takes up to 1 MiB)",
                prompt.len(),
                REPLY_MAX_BYTES
            ),
        ));
    }
    Ok(())
}

/// The refusal of an answer to question `asked`, which is not open: it quotes what is.
fn not_open(meta: &TaskMeta, asked: u64, open: &[InputRequest]) -> EngineError {
    let now = match open {
        [] => format!("it asks nothing now (it is {})", meta.status()),
        [one] => format!(
            "the question open now is {}; answer it with request_id {}",
            one.line(),
            one.id
        ),
        many => format!(
            "the questions open now are: {}",
            many.iter()
                .map(|q| format!("{} (request_id {})", q.line(), q.id))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    EngineError::invalid(
        "request_id",
        format!(
            "question {asked} is not open in task `{}`, so nothing was answered: {now}",
            meta.task_id
        ),
    )
}

fn not_taken(meta: &TaskMeta, reply: &Reply) -> EngineError {
    EngineError::invalid(
        "task_id",
        format!(
            "task `{}` did not take it: {}",
            meta.task_id,
            reply.error.as_deref().unwrap_or("no reason given")
        ),
    )
}

/// A letter the supervisor did not confirm in time.
fn unconfirmed(meta: &TaskMeta, how: &Awaited) -> EngineError {
    let secs = CONFIRM_WAIT.as_secs();
    EngineError::Internal(match how {
        Awaited::Withdrawn => format!(
            "task `{}`'s supervisor did not read the reply within {secs} s, so it was taken \
             back: nothing was delivered. Check the task with codex_status and send it again",
            meta.task_id
        ),
        _ => format!(
            "task `{}`'s supervisor took the reply but did not confirm it within {secs} s; it \
             may still be delivered. Check with codex_status (`steers`, `approvals`) before \
             sending it again",
            meta.task_id
        ),
    })
}

/// Adds `prompt` to a queued task's prompt, under the record's lock so the supervisor cannot
/// start it meanwhile. False when it is no longer queued. The prompt as a whole stays within
/// the prompt limit: past it, nothing is added.
fn add_to_queued(files: &TaskFiles, prompt: &str) -> Result<bool, EngineError> {
    let path = files.prompt();
    let added = files.update_meta(|m| {
        if m.status() != TaskStatus::Queued {
            return Ok(false);
        }
        let before = std::fs::read_to_string(&path).unwrap_or_default();
        let whole = format!("{before}\n\n{prompt}");
        if whole.len() > PROMPT_MAX_BYTES {
            return Err(EngineError::invalid(
                "prompt",
                format!(
                    "the queued task's prompt would grow to {} bytes, over the {} bytes (1 MiB) a \
                     prompt may hold; nothing was added",
                    whole.len(),
                    PROMPT_MAX_BYTES
                ),
            ));
        }
        write_atomic(&path, whole.as_bytes())?;
        m.note_queued_reply(Steer {
            prompt: prompt.to_string(),
            at: rfc3339(now_ms()),
        });
        Ok(true)
    })?;
    added
        .map(|(_, r)| r)
        .transpose()
        .map(|r| r.unwrap_or(false))
}
