//! The server's own settings, checked as a task's start checks them, for `codex-mcp doctor`: a
//! setting every task would refuse (a time limit of 0, an effort the model does not offer, a
//! profile that cannot be read) is said before a task is tried, in the task's own words.

use super::catalog_check::Given;
use super::contract::MAX_TIMEOUT_SECONDS;
use super::{Engine, EngineError};
use crate::codex::{CodexOptions, locate_codex};
use crate::runner::Driver;

/// What a task started with no options of its own would be refused for, or warned of;
/// empty when nothing.
pub(super) fn settings_problems(engine: &Engine) -> Vec<String> {
    let mut out: Vec<String> = engine.config.problems.clone();
    if let Some(t) = &engine.config.task_timeout
        && let Err(e) = t.parse_in(1..=MAX_TIMEOUT_SECONDS)
    {
        out.push(e.to_string());
    }
    let defaults = match CodexOptions::from_config(&engine.config) {
        Ok(d) => d,
        Err(e) => {
            out.push(e.to_string());
            return out;
        }
    };
    let Ok(codex) = locate_codex(&engine.config) else {
        return out;
    };
    let from = |s: &Option<crate::config::Setting>| match s {
        Some(s) => Given::Setting(s.var),
        None => Given::Parameter,
    };
    let checked = engine.check_model_and_effort(
        &codex,
        &defaults,
        from(&engine.config.model),
        from(&engine.config.reasoning_effort),
    );
    if let Err(e) = checked {
        out.push(refusal_words(e));
    }
    if let Some(note) = Driver::choose(&engine.config, &engine.store, &codex, &defaults).note {
        out.push(note);
    }
    out
}

/// A refusal as a setting's problem: without the parameter's label.
fn refusal_words(e: EngineError) -> String {
    match e {
        EngineError::InvalidArgument { message, .. } => message,
        other => other.to_string(),
    }
}
