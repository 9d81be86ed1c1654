//! Codex's review mode in plain words: what a review task asks Codex to review (as Codex's
//! own protocol names it), and what a review found, as every layer reads it.

use serde::{Deserialize, Serialize};

/// What Codex reviews, in app-server's words (`review/start`'s `target`); `codex exec review`
/// takes the same as flags. A task's work is reviewed as `Custom`: instructions codex-mcp
/// writes that name its base commit and its uncommitted files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ReviewTarget {
    /// The working tree's changes: staged, unstaged and untracked.
    UncommittedChanges,
    /// The current branch against a base branch (from their merge base).
    BaseBranch { branch: String },
    /// The changes one commit introduced.
    Commit {
        sha: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// Free-form instructions saying what to review.
    Custom { instructions: String },
}

impl ReviewTarget {
    /// In a person's words, for the task's prompt and the terminal.
    pub fn describe(&self) -> String {
        match self {
            ReviewTarget::UncommittedChanges => "the uncommitted changes".into(),
            ReviewTarget::BaseBranch { branch } => format!("the changes against `{branch}`"),
            ReviewTarget::Commit { sha, .. } => format!("commit {}", short(sha)),
            ReviewTarget::Custom { .. } => "as instructed".into(),
        }
    }
}

/// A review task as its record keeps it: the target, and the caller's extra instructions
/// (focus, an adversarial stance), which Codex gets as developer instructions beside its own
/// review guidelines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewLaunch {
    pub target: ReviewTarget,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// The full-access task whose work is reviewed, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of_task: Option<String>,
}

impl ReviewLaunch {
    /// What is reviewed, in a person's words.
    pub fn describe(&self) -> String {
        match &self.of_task {
            Some(task) => format!("the work of task {task}"),
            None => self.target.describe(),
        }
    }
}

/// Codex's overall verdict on the change.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ReviewVerdict {
    /// "patch is correct": nothing blocking.
    Correct,
    /// "patch is incorrect": something must be fixed.
    Incorrect,
}

/// What a review found, read from Codex's review output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Review {
    /// Codex's overall verdict, where it gives one (the app-server engine; exec prints only
    /// the explanation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<ReviewVerdict>,
    /// Codex's overall explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Codex's confidence in its verdict, 0 to 1, where it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Each finding, most urgent first as Codex listed them.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Findings left out to fit the result (the log has them all).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub findings_omitted: usize,
}

/// One finding of a review.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// What is wrong, without the priority tag.
    pub title: String,
    /// 0 (drop everything) to 3 (nice to have), where Codex gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// The file, relative to the reviewed folder (absolute when outside it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The first and last line the finding is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<LineRange>,
    /// Why it is a problem.
    #[serde(default)]
    pub body: String,
    /// Codex's confidence in the finding, 0 to 1, where it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// An inclusive range of lines, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LineRange {
    pub start: u32,
    pub end: u32,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The first 12 characters of a commit id.
pub fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
