//! The doctor's `engine` check: which program drives Codex, and why.

use std::path::Path;
use std::str::FromStr;

use crate::config::{Config, ENGINE_VAR};
use crate::runner::Driver;
use crate::vocab::CodexEngine;

/// What the check found: whether tasks can run as configured, what it says, what to do.
pub struct EngineFinding {
    pub ok: bool,
    pub detail: String,
    pub fix: Option<String>,
}

/// The configured driver, asked what it needs and what it can do: one that needs Codex's
/// `app-server` is held to this Codex having it.
pub fn engine_finding(config: &Config, codex: Option<&Path>) -> EngineFinding {
    let set = std::env::var(ENGINE_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let why = match &set {
        Some(v) if CodexEngine::from_str(v.trim()).is_ok() => format!("{ENGINE_VAR}={}", v.trim()),
        Some(v) => format!("{ENGINE_VAR}={v} is not an engine, so the default applies"),
        None => "the default".to_string(),
    };
    let driver = Driver::configured(config);
    let name = config.engine.as_str();
    let can = match driver.can_steer() && driver.asks_approvals() {
        true => "tasks can be steered and can ask for approvals",
        false => "tasks cannot be steered with codex_reply nor ask for approvals",
    };
    let ok = |detail: String| EngineFinding {
        ok: true,
        detail,
        fix: None,
    };
    let Some(codex) = codex.filter(|_| driver.needs_app_server()) else {
        let unchecked = match codex {
            None => "; not checked: Codex does not start",
            Some(_) => "",
        };
        return ok(format!(
            "{name} ({}), by {why}: {can}{unchecked}",
            driver.program()
        ));
    };
    match crate::codex::has_app_server(codex) {
        true => ok(format!(
            "{name} ({}), by {why}: {can}; a task's `profile` is given to its thread",
            driver.program()
        )),
        false => EngineFinding {
            ok: false,
            detail: format!(
                "{name}, by {why}, but this Codex has no `app-server` command (`{} \
                 app-server --help` failed), so tasks run on exec",
                codex.display()
            ),
            fix: Some(format!(
                "update Codex (npm install -g @openai/codex), or set {ENGINE_VAR}=exec"
            )),
        },
    }
}
