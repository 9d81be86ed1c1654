//! Talking to a task: a prompt (steered into a running turn, added to a queued task's prompt,
//! or a follow-up turn of an ended task's session), or the answer to Codex's question. Only
//! the supervisor talks to Codex; a reply reaches it as a letter in the task's mailbox, and is
//! confirmed by the supervisor's answer.

use std::time::Duration;

use super::contract::{Delivered, ReplyView};
use super::spec::TaskSpec;
use super::{Engine, EngineError};
use crate::store::{
    Letter, Steer, TaskFiles, TaskId, TaskMeta, TaskStatus, now_ms, rfc3339, write_atomic,
};
use crate::vocab::{CodexEngine, Decision};

/// How long a reply waits for the supervisor to confirm it (Codex accepts a steer at once; an
/// answer is handed over at once).
const CONFIRM_WAIT: Duration = Duration::from_secs(15);

/// What a reply carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyWith {
    Prompt(String),
    Decision(Decision),
}

impl Engine {
    /// Delivers `reply` to the task `task_id`; `by` says who answers a question. A prompt to an
    /// ended task starts a follow-up: the new task's spec is returned for the caller to start.
    pub(super) fn deliver(
        &self,
        task_id: &TaskId,
        reply: ReplyWith,
        by: &str,
    ) -> Result<Delivery, EngineError> {
        let files = self.store.task(task_id);
        let meta = self.current_meta(task_id)?;
        match reply {
            ReplyWith::Decision(decision) => self.answer(task_id, &files, &meta, decision, by),
            ReplyWith::Prompt(prompt) if meta.status().is_final() => {
                Ok(Delivery::FollowUp(self.follow_up_spec(&meta, prompt)?))
            }
            ReplyWith::Prompt(prompt) if meta.status() == TaskStatus::Queued => {
                match add_to_queued(&files, &prompt)? {
                    true => Ok(Delivery::Done(view(&meta, Delivered::Queued, None))),
                    // It started meanwhile: steer it.
                    false => self.steer(task_id, &files, &self.current_meta(task_id)?, prompt),
                }
            }
            ReplyWith::Prompt(prompt) => self.steer(task_id, &files, &meta, prompt),
        }
    }

    fn steer(
        &self,
        task_id: &TaskId,
        files: &TaskFiles,
        meta: &TaskMeta,
        prompt: String,
    ) -> Result<Delivery, EngineError> {
        if meta.launch().engine == CodexEngine::Exec {
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
        let letter = files.post(&Letter::Steer { prompt })?;
        self.confirmed(files, &letter, meta)?;
        let now = self.current_meta(task_id)?;
        Ok(Delivery::Done(view(&now, Delivered::Steer, None)))
    }

    fn answer(
        &self,
        task_id: &TaskId,
        files: &TaskFiles,
        meta: &TaskMeta,
        decision: Decision,
        by: &str,
    ) -> Result<Delivery, EngineError> {
        let Some(question) = meta.conversation().input_request.clone() else {
            return Err(EngineError::invalid(
                "decision",
                format!(
                    "task `{}` asks nothing now (it is {}): a decision answers a task that is \
                     `input_required`. To say something to it, send `prompt` instead",
                    meta.task_id,
                    meta.status()
                ),
            ));
        };
        let letter = files.post(&Letter::Answer {
            id: question.id,
            decision,
            by: by.to_string(),
        })?;
        self.confirmed(files, &letter, meta)?;
        let now = self.current_meta(task_id)?;
        Ok(Delivery::Done(view(
            &now,
            Delivered::Answer,
            Some(decision),
        )))
    }

    /// Waits for the supervisor to confirm a letter; its refusal is the caller's error.
    fn confirmed(
        &self,
        files: &TaskFiles,
        letter: &str,
        meta: &TaskMeta,
    ) -> Result<(), EngineError> {
        match files.await_reply(letter, CONFIRM_WAIT) {
            Some(reply) if reply.ok => Ok(()),
            Some(reply) => Err(EngineError::invalid(
                "task_id",
                format!(
                    "task `{}` did not take it: {}",
                    meta.task_id,
                    reply.error.unwrap_or_default()
                ),
            )),
            None => Err(EngineError::Internal(format!(
                "task `{}`'s supervisor did not confirm within {} s; the reply stays in its \
                 mailbox and is delivered when it reads it. Check with codex_status",
                meta.task_id,
                CONFIRM_WAIT.as_secs()
            ))),
        }
    }

    /// The next turn of an ended task's session, as a new task: the next version of its topic,
    /// the same folder (and worktree), sandbox, options and approval policy.
    fn follow_up_spec(&self, meta: &TaskMeta, prompt: String) -> Result<TaskSpec, EngineError> {
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
            prompt,
            cwd: meta.placement().cwd.clone(),
            topic: next,
            sandbox: meta.sandbox,
            session_id: Some(session),
            options: meta.launch().options.clone(),
            timeout_seconds: meta.launch().timeout_seconds,
            retries: meta.launch().retries,
            approval_policy: meta.launch().approval_policy,
        })
    }
}

/// What a reply came to.
#[derive(Debug)]
pub enum Delivery {
    /// Delivered to the task itself.
    Done(ReplyView),
    /// A follow-up task to start.
    FollowUp(TaskSpec),
}

/// Adds `prompt` to a queued task's prompt, under the record's lock so the supervisor cannot
/// start it meanwhile. False when it is no longer queued.
fn add_to_queued(files: &TaskFiles, prompt: &str) -> Result<bool, EngineError> {
    let path = files.prompt();
    let added = files.update_meta(|m| {
        if m.status() != TaskStatus::Queued {
            return Ok(false);
        }
        let before = std::fs::read_to_string(&path).unwrap_or_default();
        write_atomic(&path, format!("{before}\n\n{prompt}").as_bytes())?;
        m.note_queued_reply(Steer {
            prompt: prompt.to_string(),
            at: rfc3339(now_ms()),
        });
        Ok::<bool, crate::store::StoreError>(true)
    })?;
    Ok(added.map(|(_, r)| r).transpose()?.unwrap_or(false))
}

fn view(meta: &TaskMeta, delivered: Delivered, decision: Option<Decision>) -> ReplyView {
    let next = match delivered {
        Delivered::Steer => {
            "Codex applies it at its next model request; follow the task with codex_status"
        }
        Delivered::Queued => "it is added to the prompt the task starts with",
        Delivered::Answer => "Codex goes on; follow the task with codex_status",
        Delivered::FollowUp => "a new task continues the session",
    };
    ReplyView {
        delivered,
        task_id: meta.task_id.clone(),
        status: meta.status(),
        session_id: meta.outcome().and_then(|o| o.session_id.clone()),
        decision,
        next: next.to_string(),
    }
}
