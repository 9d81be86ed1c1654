//! A task's model and reasoning effort, checked against Codex's own model catalog before the
//! task starts, so a value the model does not take is refused at once with the values it does —
//! not found out minutes later as a failed turn. The catalog is read once per Codex binary
//! (`store/codex_cache.rs`); when it cannot be read, the documented built-in efforts apply and
//! models are not checked.

use std::path::Path;

use super::{Engine, EngineError};
use crate::codex::{CodexOptions, CodexSettings, builtin_efforts, read_catalog};
use crate::vocab::{BUILTIN_EFFORTS, Catalog, UNCATALOGUED_EFFORTS};

/// Where a task's option came from, to name it in a refusal.
#[derive(Debug, Clone, Copy)]
pub(super) enum Given {
    /// The call's parameter (or the session's earlier task).
    Parameter,
    /// A setting of the server (`CODEXMCP_MODEL`, `CODEXMCP_REASONING_EFFORT`).
    Setting(&'static str),
}

impl Engine {
    /// Codex's catalog for the binary at `codex`: from the store, else asked of Codex and kept.
    /// `None` when it cannot be read (an older Codex, a broken one).
    pub(super) fn catalog(&self, codex: &Path) -> Option<Catalog> {
        let facts = self.store.codex_facts(codex);
        if let Some(catalog) = facts.catalog {
            return Some(catalog);
        }
        if facts.app_server == Some(false) {
            return None;
        }
        let catalog = read_catalog(codex).ok()?;
        self.store.learn_codex_facts(codex, |f| {
            f.catalog = Some(catalog.clone());
            f.app_server = Some(true);
        });
        Some(catalog)
    }

    /// Refuses a model or an effort Codex does not offer: the model is looked up only when the
    /// models are OpenAI's own (a provider of your own has models the catalog does not know);
    /// the effort is held to what the model offers, or to every effort the catalog knows.
    pub(super) fn check_model_and_effort(
        &self,
        codex: &Path,
        options: &CodexOptions,
        model_from: Given,
        effort_from: Given,
    ) -> Result<(), EngineError> {
        if options.model.is_none() && options.reasoning_effort.is_none() {
            return Ok(());
        }
        let settings = self
            .config
            .codex_home
            .as_deref()
            .map(|home| CodexSettings::read(home, options.profile.as_deref()))
            .unwrap_or_default();
        let catalog = self.catalog(codex);
        if let (Some(model), Some(catalog)) = (&options.model, &catalog)
            && settings.uses_openai()
            && catalog.find(model).is_none()
        {
            return Err(refusal(
                model_from,
                "model",
                format!(
                    "`{model}` is not a model Codex offers; it offers {} (a hidden model may be \
                     named too). A provider of your own in Codex's config.toml is not checked",
                    catalog.offered().join(", ")
                ),
            ));
        }
        let Some(effort) = &options.reasoning_effort else {
            return Ok(());
        };
        let model = options.model.clone().or(settings.model);
        let (offered, whose) = efforts_offered(catalog.as_ref(), model.as_deref());
        if offered.iter().any(|o| o == effort.as_str()) {
            return Ok(());
        }
        Err(refusal(
            effort_from,
            "reasoning_effort",
            format!(
                "`{effort}` is not an effort {whose} offers; it offers {}",
                offered.join(", ")
            ),
        ))
    }
}

/// The efforts `model` (or Codex's default) takes, and whose they are in words: from the
/// catalog when it could be read and knows the model, else the lists codex-mcp knows.
fn efforts_offered(catalog: Option<&Catalog>, model: Option<&str>) -> (Vec<String>, String) {
    let words = |list: &[&str]| list.iter().map(|e| e.to_string()).collect::<Vec<_>>();
    match (catalog, model) {
        (None, _) => (
            words(&BUILTIN_EFFORTS),
            format!(
                "Codex (its catalog could not be read; the built-in list: {})",
                builtin_efforts()
            ),
        ),
        (Some(c), Some(m)) => match c.find(m) {
            Some(known) => (known.efforts.clone(), format!("model `{m}`")),
            None => (
                words(&UNCATALOGUED_EFFORTS),
                format!("a model outside Codex's catalog (`{m}`)"),
            ),
        },
        (Some(c), None) => match c.default_model() {
            Some(d) => (
                d.efforts.clone(),
                format!("Codex's default model `{}`", d.model),
            ),
            None => (words(&BUILTIN_EFFORTS), "Codex".to_string()),
        },
    }
}

fn refusal(from: Given, param: &str, message: String) -> EngineError {
    match from {
        Given::Parameter => EngineError::invalid(param, message),
        Given::Setting(var) => EngineError::invalid(param, format!("{message} (set by {var})")),
    }
}
