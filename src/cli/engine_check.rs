//! The doctor's `engine` check: which program drives Codex, and why.

use std::path::Path;

use crate::config::{Config, ENGINE_VAR, ENGINES};

/// What the check found: whether tasks can run as configured, what it says, what to do.
pub struct EngineFinding {
    pub ok: bool,
    pub detail: String,
    pub fix: Option<String>,
}

/// `app-server` needs a Codex with that command; `exec` always works (and is said as the
/// choice it is).
pub fn engine_finding(config: &Config, codex: Option<&Path>) -> EngineFinding {
    let set = std::env::var(ENGINE_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let why = match &set {
        Some(v) if ENGINES.contains(&v.trim()) => format!("{ENGINE_VAR}={}", v.trim()),
        Some(v) => format!("{ENGINE_VAR}={v} is not an engine, so the default applies"),
        None => "the default".to_string(),
    };
    if config.engine == "exec" {
        return EngineFinding {
            ok: true,
            detail: format!(
                "exec (`codex exec --json`), by {why}: tasks cannot be steered with codex_reply \
                 nor ask for approvals"
            ),
            fix: None,
        };
    }
    let Some(codex) = codex else {
        return EngineFinding {
            ok: true,
            detail: format!("app-server, by {why}; not checked: Codex does not start"),
            fix: None,
        };
    };
    match crate::codex::has_app_server(codex) {
        true => EngineFinding {
            ok: true,
            detail: format!(
                "app-server (`codex app-server`), by {why}: tasks can be steered and can ask \
                 for approvals; tasks with a `profile` run on exec"
            ),
            fix: None,
        },
        false => EngineFinding {
            ok: false,
            detail: format!(
                "app-server, by {why}, but this Codex has no `app-server` command (`{} \
                 app-server --help` failed), so tasks run on exec",
                codex.display()
            ),
            fix: Some(format!(
                "update Codex (npm install -g @openai/codex), or set {ENGINE_VAR}=exec"
            )),
        },
    }
}
