//! Codex's model catalog, as `codex app-server`'s `model/list` gives it: each model and the
//! reasoning efforts it offers. Reasoning efforts are the catalog's words, not a list kept
//! here: the built-in list below is what applies when the catalog cannot be read.

use serde::{Deserialize, Serialize};

/// The efforts Codex 0.169 and 0.171 offer (`low` … `ultra`; no `minimal`), for when its
/// catalog cannot be read.
pub const BUILTIN_EFFORTS: [&str; 6] = ["low", "medium", "high", "xhigh", "max", "ultra"];

/// The efforts Codex 0.169 and 0.171 honour for a model outside their catalog (a provider of
/// your own): an `ultra` is quietly run as `medium` (checked against the real CLI,
/// `tests/it/catalog.rs`), so it is refused instead.
pub const UNCATALOGUED_EFFORTS: [&str; 5] = ["low", "medium", "high", "xhigh", "max"];

/// The longest effort name taken.
pub const EFFORT_MAX: usize = 32;

/// What a Codex binary offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub models: Vec<CatalogModel>,
}

/// One model of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogModel {
    /// The name `model` takes (`gpt-6.1-sol`).
    pub model: String,
    /// Not offered in Codex's picker, but usable by name.
    pub hidden: bool,
    /// Codex's default model.
    pub is_default: bool,
    pub default_effort: Option<String>,
    /// The efforts it offers.
    pub efforts: Vec<String>,
}

impl Catalog {
    /// The model named `name`, hidden or not.
    pub fn find(&self, name: &str) -> Option<&CatalogModel> {
        self.models.iter().find(|m| m.model == name)
    }

    /// Codex's default model.
    pub fn default_model(&self) -> Option<&CatalogModel> {
        self.models.iter().find(|m| m.is_default)
    }

    /// The models a person picks from (the hidden ones left out), by name.
    pub fn offered(&self) -> Vec<&str> {
        self.models
            .iter()
            .filter(|m| !m.hidden)
            .map(|m| m.model.as_str())
            .collect()
    }
}

/// A reasoning effort: a word of Codex's model catalog (`high`, `xhigh`…), checked for its form
/// when it is made; whether the task's model offers it is checked against the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Effort(String);

impl Effort {
    /// `word` as an effort, when it is an effort's form (a short lowercase word).
    pub fn parse(word: &str) -> Option<Effort> {
        is_effort_word(word).then(|| Effort(word.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Effort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `effort` could be an effort's name at all: a short lowercase word.
pub fn is_effort_word(effort: &str) -> bool {
    !effort.is_empty()
        && effort.len() <= EFFORT_MAX
        && effort.chars().all(|c| c.is_ascii_lowercase())
}
