//! The plain words every layer shares about a task — its sandbox, the options Codex runs with,
//! the tokens it used — as types with no I/O and no dependency on any layer, so that `codex`
//! and `store` need not import each other.

use serde::{Deserialize, Deserializer, Serialize};

/// What codex may do: `read-only` (every write refused by the OS sandbox) or `full-access`
/// (anything, inside the task's own git worktree).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum Sandbox {
    ReadOnly,
    FullAccess,
}

impl Sandbox {
    pub fn as_str(self) -> &'static str {
        match self {
            Sandbox::ReadOnly => "read-only",
            Sandbox::FullAccess => "full-access",
        }
    }
}

impl std::fmt::Display for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How codex runs one task: each is passed through when set, and codex's own configuration
/// decides when not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodexOptions {
    /// `-m <model>`: never checked against a list (model names change and differ by
    /// account); codex's own refusal is what the caller sees.
    #[serde(default)]
    pub model: Option<String>,
    /// `-c model_reasoning_effort="<effort>"`.
    #[serde(default)]
    pub reasoning_effort: Option<String>,
    /// `codex -p <name>` layers `$CODEX_HOME/<name>.config.toml`.
    #[serde(default)]
    pub profile: Option<String>,
}

/// Token counts as codex reports them at the end of a turn: the thread's running total, so a
/// resumed session includes its earlier turns.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Usage {
    #[serde(default, deserialize_with = "lenient")]
    pub input_tokens: u64,
    #[serde(default, deserialize_with = "lenient")]
    pub cached_input_tokens: u64,
    #[serde(default, deserialize_with = "lenient")]
    pub output_tokens: u64,
    #[serde(default, deserialize_with = "lenient")]
    pub reasoning_output_tokens: u64,
}

/// A field of a newer or odd schema: `null`, a missing value or one of another type reads as
/// the default, so one field never costs the whole event.
pub(crate) fn lenient<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned + Default>(
    d: D,
) -> Result<T, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).unwrap_or_default())
}

impl Usage {
    /// What was used since `earlier` (each count, never below zero).
    pub fn minus(&self, earlier: &Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens.saturating_sub(earlier.input_tokens),
            cached_input_tokens: self
                .cached_input_tokens
                .saturating_sub(earlier.cached_input_tokens),
            output_tokens: self.output_tokens.saturating_sub(earlier.output_tokens),
            reasoning_output_tokens: self
                .reasoning_output_tokens
                .saturating_sub(earlier.reasoning_output_tokens),
        }
    }

    /// The sum of both.
    pub fn plus(&self, other: &Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens + other.input_tokens,
            cached_input_tokens: self.cached_input_tokens + other.cached_input_tokens,
            output_tokens: self.output_tokens + other.output_tokens,
            reasoning_output_tokens: self.reasoning_output_tokens + other.reasoning_output_tokens,
        }
    }

    /// Input plus output tokens (cached and reasoning tokens are part of those).
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }

    pub fn is_zero(&self) -> bool {
        self.total() == 0
    }
}

/// How hard the model thinks (`model_reasoning_effort`): one name per value, for the tools'
/// schema (serde), the command line (clap) and Codex's config alike.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
#[value(rename_all = "lowercase")]
pub enum ReasoningEffort {
    Minimal,
    Low,
    Medium,
    High,
    Xhigh,
}

impl ReasoningEffort {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::Minimal => "minimal",
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
            ReasoningEffort::Xhigh => "xhigh",
        }
    }

    /// The effort `name` names, if any.
    pub fn parse(name: &str) -> Option<ReasoningEffort> {
        <ReasoningEffort as clap::ValueEnum>::value_variants()
            .iter()
            .copied()
            .find(|e| e.as_str() == name)
    }
}
