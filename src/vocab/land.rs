//! How a full-access task's work is brought into a branch of the person's.

use serde::{Deserialize, Serialize};

/// `squash` (one new commit with all of the task's work; the default), `merge` (a merge
/// commit joining the task's branch), `rebase` (the task's commits replayed on top).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum LandHow {
    #[default]
    Squash,
    Merge,
    Rebase,
}

impl LandHow {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}
