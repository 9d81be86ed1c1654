//! What `codex_review` and `codex_land` return.

use schemars::JsonSchema;
use serde::Serialize;

use super::TaskView;
use crate::codex::Usage;
use crate::store::{EndedBy, Failure, TaskStatus};
use crate::vocab::{Finding, LandHow, ReviewVerdict};

/// The result of `codex_review`: Codex's review of a change, as findings and as it wrote it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReviewView {
    /// True when the review ran to its end (whatever it found).
    pub success: bool,
    /// `running`, or how the review task ended.
    pub status: TaskStatus,
    /// The review task; codex_status reads it again.
    pub task_id: String,
    /// What was reviewed, and where.
    pub reviewed: String,
    /// `correct` or `incorrect`: Codex's overall verdict, where it gives one (the exec engine
    /// does not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<ReviewVerdict>,
    /// Codex's overall explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Codex's confidence in its verdict, 0 to 1, where it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// What Codex found, most urgent first: `title`, `priority` (0 = drop everything, 3 = nice
    /// to have), `file` (relative to the folder reviewed), `lines` {start, end}, `body`,
    /// `confidence`.
    pub findings: Vec<Finding>,
    /// Findings left out to fit the result (`review` and the log have them all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings_omitted: Option<usize>,
    /// What went wrong, when the review did not run to its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A failed review: `kind`, `retryable`, `hint`, `detail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Who or what ended the review task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<EndedBy>,
    /// The review's Codex session, to ask about it with codex_reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The review's own tokens.
    pub usage: Usage,
    pub elapsed_seconds: f64,
    pub log_file: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The whole review's length in characters, when `review` holds only part of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_total_chars: Option<usize>,
    /// Where the rest of `review` starts: codex_status `result_offset` reads on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
    /// Codex's review exactly as it wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
}

impl ReviewView {
    /// The review result of a review task's view (already fitted to the result budget).
    pub fn of(view: TaskView) -> ReviewView {
        let review = view.review.unwrap_or_default();
        ReviewView {
            success: view.success,
            status: view.status,
            task_id: view.task_id,
            reviewed: view.reviewed.unwrap_or_default(),
            verdict: review.verdict,
            explanation: review.explanation,
            confidence: review.confidence,
            findings: review.findings,
            findings_omitted: (review.findings_omitted > 0).then_some(review.findings_omitted),
            error: view.error,
            failure: view.failure,
            ended_by: view.ended_by,
            session_id: view.session_id,
            usage: view.usage,
            elapsed_seconds: view.elapsed_seconds,
            log_file: view.log_file,
            warnings: view.warnings,
            review_total_chars: view.result_total_chars,
            next_offset: view.next_offset,
            review: view.result,
        }
    }
}

/// The result of `codex_land`: what landed where.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LandView {
    pub task_id: String,
    /// `squash`, `merge` or `rebase`.
    pub how: LandHow,
    /// The branch the work landed in.
    pub into: String,
    /// The commit made first of what Codex had left uncommitted in its worktree, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committed_leftovers: Option<String>,
    /// The commits added to `into`, oldest first: `<sha> <subject>`.
    pub commits: Vec<String>,
    /// `git diff --stat` of what `into` gained.
    pub diff_stat: String,
    /// `into`'s new head.
    pub head: String,
    /// True when the task's worktree and branch were removed (not with `keep`).
    pub worktree_removed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
