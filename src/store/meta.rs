//! `meta.json`: the one record of a task that every server process and the supervisor share.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::conversation::{Approval, Conversation, InputRequest, Steer};
use crate::vocab::{
    ApprovalPolicy, CodexEngine, CodexOptions, LandHow, Launch, Review, ReviewLaunch, Usage,
};
pub(crate) use crate::vocab::{EndedBy, FailureKind, Sandbox, TaskStatus};

/// Why a task failed, in a form a caller can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Failure {
    pub kind: FailureKind,
    /// True when running it again (with its `session_id`) may well succeed.
    pub retryable: bool,
    /// One sentence on what to do.
    pub hint: String,
    /// What Codex said beyond the task's `error`: the end of its stderr (absent when there is
    /// nothing more).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// One attempt of a task that was retried after a retryable failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Attempt {
    /// 1 for the first run.
    pub attempt: u32,
    /// RFC 3339 UTC.
    pub ended_at: String,
    pub failure: FailureKind,
    pub error: String,
}

/// How a read-only task that ran without Codex's sandbox was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReadonlyAudit {
    /// `fallback`: Codex ran with full access and an instruction to change nothing, because
    /// CODEXMCP_READONLY_FALLBACK is on.
    pub mode: AuditMode,
    /// How many changes the audit found.
    pub violations_detected: usize,
    /// Each change: a path changed in the directory while the task ran (by anyone), a file
    /// change Codex reported, or a command of Codex's that writes.
    pub violations: Vec<String>,
    pub verdict: Verdict,
    /// What the audit cannot see.
    #[serde(default)]
    pub not_seen: String,
}

/// How read-only was enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditMode {
    Fallback,
}

/// Whether the audit found a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Clean,
    Violation,
}

/// A request to stop a task, as its `cancel-requested` file holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    pub by: EndedBy,
    /// The client's reason, when it gave one.
    #[serde(default)]
    pub reason: Option<String>,
    /// RFC 3339 UTC.
    pub at: String,
    /// The process that asked (a cancel by a server or the command line) runs the notify
    /// program itself once the task's processes are gone, so the supervisor does not: it may
    /// be stopped with its tree before a program it started could run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub canceller_notifies: bool,
    /// A cancel given as the answer to Codex's question: its number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<u64>,
}

/// What a finished task produced. Written once, when the task leaves `running`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    pub session_id: Option<String>,
    /// The start of Codex's answer (all of it when short; `answer.md` holds a long one).
    pub result: String,
    pub exit_code: Option<i32>,
    /// The session's token total as codex reported it at the end of the turn.
    pub usage: Usage,
    pub error: Option<String>,
    #[serde(default)]
    pub ended_by: Option<EndedBy>,
    /// The whole answer's length in characters.
    #[serde(default)]
    pub answer_chars: Option<usize>,
    /// A failed task: what kind of failure, and what to do.
    #[serde(default)]
    pub failure: Option<Failure>,
    /// A review task: what Codex's review found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
}

/// Everything known about one task, as `meta.json` holds it. The fields a task is born with are
/// public; what changes over its life (its status, warnings, placement, launch and end) is read
/// through accessors and changed only through the transition methods below, so every change of
/// state has a name. The groups are flattened: `meta.json` keeps its flat layout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskMeta {
    pub task_id: String,
    pub topic: String,
    pub sandbox: Sandbox,
    /// The session this task resumes, when it is a resume.
    pub resume_session_id: Option<String>,
    status: TaskStatus,
    pub started_at: String,
    pub started_at_ms: u64,
    pub log_file: PathBuf,
    /// A resume: the session's token total before this task, when the store knows it.
    #[serde(default)]
    pub usage_before: Option<Usage>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(flatten)]
    placement: Placement,
    #[serde(flatten)]
    launch: LaunchRecord,
    #[serde(flatten)]
    end: EndRecord,
    #[serde(flatten)]
    conversation: Conversation,
}

/// Where a task runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Placement {
    /// The directory the caller asked for.
    pub cwd: PathBuf,
    /// Where codex actually runs (the same as `cwd` for read-only tasks).
    pub run_dir: PathBuf,
    /// Full-access tasks: the isolated worktree they run in.
    #[serde(default)]
    pub worktree: Option<WorktreeRecord>,
    /// `<cwd>/.codex-tasks/<topic>` when the link could be made.
    #[serde(default)]
    pub link: Option<PathBuf>,
}

/// How a task is run: its command, options and limits, and the processes that run it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LaunchRecord {
    /// The full codex command line (program first); never passed through a shell.
    pub argv: Vec<String>,
    /// How codex runs: the options the call gave, else those of the session's previous task,
    /// else the configured defaults.
    #[serde(default)]
    pub options: CodexOptions,
    /// The time limit in seconds, counted from when codex starts.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// How many times a retryable failure is retried (resuming the session).
    #[serde(default)]
    pub retries: u32,
    /// A read-only task run with full access and audited (CODEXMCP_READONLY_FALLBACK).
    #[serde(default)]
    pub readonly_fallback: bool,
    /// Where the task stands in a chain of delegation, and the limits the chain shares.
    #[serde(default)]
    pub lineage: Option<Lineage>,
    /// Where the supervisor was launched (the runner's `Launch` says what that means). A
    /// record of a release before the launch was kept whole holds a full-access task's tmux
    /// session's name alone, as `tmux_session`: it is read as that launch.
    #[serde(
        default,
        alias = "tmux_session",
        deserialize_with = "launch_or_session"
    )]
    pub launched: Launch,
    /// Which program drives Codex (`exec` for records older than the choice).
    #[serde(default)]
    pub engine: CodexEngine,
    /// When Codex asks before it acts.
    #[serde(default)]
    pub approval_policy: ApprovalPolicy,
    /// app-server: the settings of the task's profile, given to its thread (`thread/start`'s
    /// `config`), since `codex app-server` takes no `-p`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_config: Option<serde_json::Value>,
    /// A review task: what Codex reviews, in its review mode, and the caller's instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewLaunch>,
    #[serde(default)]
    pub supervisor_pid: Option<u32>,
    #[serde(default)]
    pub codex_pid: Option<u32>,
}

/// A launch as written now, or an earlier release's `tmux_session` (a name, or null).
pub(super) fn launch_or_session<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Launch, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Launch(Launch),
        Session(Option<String>),
    }
    Ok(match Written::deserialize(d)? {
        Written::Launch(l) => l,
        Written::Session(name) => Launch::from_session_name(name),
    })
}

/// How a task ended, and what was taken of it afterwards.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EndRecord {
    #[serde(default)]
    pub ended_at: Option<String>,
    #[serde(default)]
    pub ended_at_ms: Option<u64>,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// The attempts that failed and were retried, oldest first.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// A read-only fallback task's audit, taken when it ended.
    #[serde(default)]
    pub readonly_audit: Option<ReadonlyAudit>,
    /// Set once a finished task's records are complete (its branch summary taken, its
    /// session and handed-over environment gone), so that is done once.
    #[serde(default)]
    pub settled: bool,
    /// Full-access: what the task changed on its branch, taken when it ended.
    #[serde(default)]
    pub branch_summary: Option<BranchSummary>,
    /// Full-access: paths of the person's own checkout (the repository's main worktree) that
    /// changed while the task ran, taken when it ended.
    #[serde(default)]
    pub checkout_changes: Option<Vec<String>>,
    /// Full-access: the task's work brought into the person's branch (`codex_land`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landed: Option<Landed>,
}

/// A full-access task's work, landed in a branch of the person's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Landed {
    /// `squash`, `merge` or `rebase`.
    pub how: LandHow,
    /// The branch it landed in.
    pub into: String,
    /// The commit of what Codex had left uncommitted, made before landing, when there was any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_leftovers: Option<String>,
    /// The commits the landing added to `into`, oldest first.
    pub commits: Vec<String>,
    /// `into`'s new head.
    pub head: String,
    /// RFC 3339 UTC.
    pub at: String,
    /// Whether the worktree and its branch were kept (`keep`).
    #[serde(default)]
    pub kept: bool,
}

/// What is taken of a task once Codex has ended, before (or, when the supervisor could not,
/// after) its end is recorded.
#[derive(Debug, Clone, Default)]
pub struct EndFindings {
    pub branch_summary: Option<BranchSummary>,
    pub checkout_changes: Option<Vec<String>>,
    pub warnings: Vec<String>,
}

impl EndFindings {
    /// Writes the findings into the record (those it does not hold yet).
    pub fn apply(self, meta: &mut TaskMeta) {
        if meta.end.branch_summary.is_none() {
            meta.end.branch_summary = self.branch_summary;
        }
        if meta.end.checkout_changes.is_none() {
            meta.end.checkout_changes = self.checkout_changes;
            meta.warnings.extend(self.warnings);
        }
    }
}

/// A task's place in a chain of delegation. Codex starts its own MCP servers with a scrubbed
/// environment, so a codex-mcp server that Codex starts inside a task cannot learn its depth,
/// its store or its limits from variables: it finds the task among its ancestor processes and
/// reads them here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    /// How deep the task's Codex runs (1: started by a server that no task started).
    pub depth: u32,
    /// `CODEXMCP_MAX_DEPTH` of the server at the top of the chain.
    pub max_depth: u32,
    /// `CODEXMCP_MAX_PARALLEL` of that server: every task of the chain shares it.
    pub max_parallel: usize,
}

/// What a full-access task changed on its branch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BranchSummary {
    pub commits_ahead: usize,
    pub diff_stat: String,
    pub uncommitted_changes: usize,
}

/// The git worktree of a full-access task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorktreeRecord {
    pub repo_root: PathBuf,
    pub dir: PathBuf,
    pub branch: String,
    pub base_branch: String,
    /// A worktree on a host: how to bring its branch to this machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bring_home: Option<String>,
}

impl TaskMeta {
    /// A new task's record: `running` (see [`TaskMeta::queue`]), nothing ended yet; a resume
    /// sets `resume_session_id` and `usage_before` after.
    pub fn born(
        task_id: String,
        topic: String,
        sandbox: Sandbox,
        now_ms: u64,
        log_file: PathBuf,
        placement: Placement,
        launch: LaunchRecord,
    ) -> TaskMeta {
        TaskMeta {
            task_id,
            topic,
            sandbox,
            resume_session_id: None,
            status: TaskStatus::Running,
            started_at: super::rfc3339(now_ms),
            started_at_ms: now_ms,
            log_file,
            usage_before: None,
            warnings: Vec::new(),
            placement,
            launch,
            end: EndRecord::default(),
            conversation: Conversation::default(),
        }
    }

    pub fn status(&self) -> TaskStatus {
        self.status
    }
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
    pub fn placement(&self) -> &Placement {
        &self.placement
    }
    pub fn launch(&self) -> &LaunchRecord {
        &self.launch
    }
    pub fn end(&self) -> &EndRecord {
        &self.end
    }
    pub fn conversation(&self) -> &Conversation {
        &self.conversation
    }
    pub fn outcome(&self) -> Option<&Outcome> {
        self.end.outcome.as_ref()
    }

    /// Waits for a place before it starts (a new task, before its record is first written).
    pub fn queue(&mut self) {
        self.status = TaskStatus::Queued;
    }

    /// Moves between `queued` and `running`; an ended task stays ended, and a task waiting
    /// for an answer stays waiting.
    pub fn move_to(&mut self, status: TaskStatus) {
        let waiting = self.status == TaskStatus::InputRequired && status == TaskStatus::Running;
        if !self.status.is_final() && !status.is_final() && !waiting {
            self.status = status;
        }
    }

    /// Says something the caller should know, with every view of the task.
    pub fn warn(&mut self, warnings: impl IntoIterator<Item = String>) {
        self.warnings.extend(warnings);
    }

    /// The task's work landed in a branch of the person's.
    pub fn landed(&mut self, landed: Landed) {
        self.end.landed = Some(landed);
    }

    /// A task on a host got its worktree there (made by its supervisor, before its thread).
    pub fn worktree_made(&mut self, run_dir: PathBuf, worktree: WorktreeRecord) {
        self.placement.run_dir = run_dir;
        self.placement.worktree = Some(worktree);
    }

    /// The `.codex-tasks` link was made.
    pub fn linked(&mut self, link: Option<PathBuf>) {
        self.placement.link = link;
    }

    /// The supervisor took charge.
    pub fn supervised_by(&mut self, pid: u32) {
        self.launch.supervisor_pid = Some(pid);
    }

    /// Codex (or the newest attempt's Codex) started.
    pub fn codex_started(&mut self, pid: u32) {
        self.launch.codex_pid = Some(pid);
    }

    /// Codex asks a question and waits for the answer (it may wait on several at once).
    pub fn ask(&mut self, question: InputRequest) {
        let c = &mut self.conversation;
        c.asked = c.asked.max(question.id);
        if c.question(question.id).is_none() {
            c.open.push(question);
        }
        if self.status == TaskStatus::Running {
            self.status = TaskStatus::InputRequired;
        }
    }

    /// Question `id` was answered (`approval`); Codex goes on with it. The task runs again once
    /// no question is open.
    pub fn answered(&mut self, id: u64, approval: Approval) {
        let c = &mut self.conversation;
        c.open.retain(|q| q.id != id);
        c.approvals.push(approval);
        self.running_again();
    }

    /// Answers given while the record could not be written (a full disk), kept now.
    pub fn answered_late(&mut self, approvals: Vec<Approval>) {
        let c = &mut self.conversation;
        for a in approvals {
            c.open.retain(|q| q.id != a.request_id);
            if !c.approvals.contains(&a) {
                c.approvals.push(a);
            }
        }
        self.running_again();
    }

    /// The turn ended with questions open: they are no longer asked.
    pub fn withdraw_questions(&mut self) {
        self.conversation.open.clear();
        self.running_again();
    }

    fn running_again(&mut self) {
        if self.conversation.open.is_empty() && self.status == TaskStatus::InputRequired {
            self.status = TaskStatus::Running;
        }
    }

    /// A prompt was delivered into the running turn.
    pub fn steered(&mut self, steer: Steer) {
        self.conversation.steers.push(steer);
    }

    /// A queued task's prompt grew by a reply (`codex_reply` before it started).
    pub fn note_queued_reply(&mut self, steer: Steer) {
        self.conversation.steers.push(steer);
    }

    /// An attempt failed and the task goes on with another.
    pub fn retried(&mut self, attempt: Attempt) {
        self.end.attempts.push(attempt);
    }

    /// Records the end of a task, unless it already ended (the first writer wins: a cancel and
    /// the supervisor may race). Returns whether this call ended it.
    pub fn finish(&mut self, status: TaskStatus, outcome: Outcome) -> bool {
        if self.status.is_final() {
            return false;
        }
        // A question left open when the task ended is answered by nobody.
        self.conversation.open.clear();
        let now = super::now_ms();
        self.status = status;
        self.end.outcome = Some(outcome);
        self.end.ended_at_ms = Some(now);
        self.end.ended_at = Some(super::rfc3339(now));
        true
    }

    /// An ended task's records are complete: what was taken of it after its end is kept.
    pub fn settle(&mut self, findings: EndFindings, audit: Option<ReadonlyAudit>) {
        self.end.settled = true;
        findings.apply(self);
        self.end.readonly_audit = audit;
    }

    pub fn elapsed_seconds(&self, now_ms: u64) -> f64 {
        elapsed_seconds(self.started_at_ms, self.end.ended_at_ms, now_ms)
    }
}

/// The tokens a task used itself, and whether that is really the session's running total (a
/// resume whose earlier total the store does not know). `codex exec` records the session's
/// total after the turn, so a resume's own tokens are that minus the total before it;
/// app-server's driver records the turn's own tokens, exact, and nothing is subtracted.
pub fn own_usage(
    recorded: Usage,
    resumed: bool,
    before: Option<Usage>,
    engine: CodexEngine,
) -> (Usage, bool) {
    match (engine.usage_is_per_turn(), resumed, before) {
        (true, _, _) | (_, false, _) => (recorded, false),
        (_, true, Some(b)) => (recorded.minus(&b), false),
        (_, true, None) => (recorded, true),
    }
}

/// The session's total after a task that recorded `recorded`.
pub fn session_total(recorded: Usage, before: Option<Usage>, engine: CodexEngine) -> Usage {
    match (engine.usage_is_per_turn(), before) {
        (true, Some(b)) => b.plus(&recorded),
        _ => recorded,
    }
}

/// Seconds from start to end (or to now while running), to one decimal.
pub(super) fn elapsed_seconds(started_ms: u64, ended_ms: Option<u64>, now_ms: u64) -> f64 {
    let ms = ended_ms.unwrap_or(now_ms).saturating_sub(started_ms);
    (ms as f64 / 100.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_enum_has_one_name_and_serde_agrees() {
        use strum::VariantArray;
        for e in EndedBy::VARIANTS {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
        for k in FailureKind::VARIANTS {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for s in TaskStatus::VARIANTS {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in Sandbox::VARIANTS {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            let parsed = <Sandbox as clap::ValueEnum>::from_str(s.as_str(), false).unwrap();
            assert_eq!(parsed, *s);
        }
        for p in ApprovalPolicy::VARIANTS {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for e in CodexEngine::VARIANTS {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
            assert_eq!(e.as_str().parse::<CodexEngine>().unwrap(), *e);
        }
        for h in LandHow::VARIANTS {
            assert_eq!(serde_json::to_value(h).unwrap(), h.as_str());
        }
    }

    #[test]
    fn the_groups_keep_meta_json_flat_and_read_older_records() {
        // A record as the first releases wrote it: flat, and without the later fields.
        let old = serde_json::json!({
            "task_id": "codex-x-v1", "topic": "x-v1", "sandbox": "read-only",
            "cwd": "/w", "run_dir": "/w", "resume_session_id": null, "status": "completed",
            "started_at": "2026-01-01T00:00:00Z", "started_at_ms": 1,
            "ended_at": "2026-01-01T00:00:01Z", "ended_at_ms": 1001,
            "argv": ["codex", "exec"], "supervisor_pid": 7, "codex_pid": 8,
            "log_file": "/s/codex-exec.log", "link": null,
            "outcome": {"session_id": "s", "result": "ok", "exit_code": 0,
                        "usage": {"input_tokens": 1, "cached_input_tokens": 0, "output_tokens": 2},
                        "error": null}
        });
        let meta: TaskMeta = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(meta.status(), TaskStatus::Completed);
        assert_eq!(meta.launch().launched, Launch::default(), "detached");
        // A full-access task of that era named its tmux session alone.
        let mut full = old.clone();
        full["tmux_session"] = serde_json::json!("codex-x");
        let full: TaskMeta = serde_json::from_value(full).unwrap();
        let session = Launch::from_session_name(Some("codex-x".into()));
        assert_eq!(full.launch().launched, session);
        let rewritten = serde_json::to_value(&full).unwrap();
        assert_eq!(
            rewritten["launched"],
            serde_json::json!({"kind": "tmux", "session": "codex-x"})
        );
        assert!(rewritten.get("tmux_session").is_none(), "{rewritten}");
        let again: TaskMeta = serde_json::from_value(rewritten).unwrap();
        assert_eq!(again.launch().launched, session);
        assert_eq!(meta.placement().run_dir, PathBuf::from("/w"));
        assert_eq!(meta.launch().codex_pid, Some(8));
        assert_eq!(meta.end().ended_at_ms, Some(1001));
        assert_eq!(meta.outcome().map(|o| o.result.as_str()), Some("ok"));
        assert!(!meta.end().settled && meta.end().attempts.is_empty());

        let written = serde_json::to_value(&meta).unwrap();
        for key in [
            "cwd",
            "argv",
            "codex_pid",
            "ended_at_ms",
            "outcome",
            "settled",
        ] {
            assert!(
                written.get(key).is_some(),
                "{key} is not at the top of meta.json"
            );
        }
        for group in ["placement", "launch", "end"] {
            assert!(
                written.get(group).is_none(),
                "{group} is nested in meta.json"
            );
        }
    }

    #[test]
    fn an_ended_task_stays_ended() {
        let mut meta: TaskMeta = serde_json::from_value(serde_json::json!({
            "task_id": "codex-x-v1", "topic": "x-v1", "sandbox": "read-only",
            "cwd": "/w", "run_dir": "/w", "resume_session_id": null, "status": "queued",
            "started_at": "t", "started_at_ms": 1, "argv": [], "log_file": "/l"
        }))
        .unwrap();
        meta.move_to(TaskStatus::Running);
        assert_eq!(meta.status(), TaskStatus::Running);
        assert!(meta.finish(TaskStatus::Cancelled, Outcome::default()));
        assert!(!meta.finish(TaskStatus::Completed, Outcome::default()));
        meta.move_to(TaskStatus::Running);
        assert_eq!(meta.status(), TaskStatus::Cancelled);
    }
}
