//! The doctor's checks of Codex itself: where it is and its version, its home, its login, its
//! model catalog, its sandbox.

use std::path::{Path, PathBuf};

use super::{Check, Verdict};
use crate::codex::{locate_codex, probe};
use crate::config::Config;
use crate::text::shorten;

/// The Codex CLI versions this build's tests ran against, oldest first.
const TESTED_CODEX: [&str; 2] = ["0.169.0", "0.171.0"];

/// `0.171.0` as numbers, to tell whether a version is within the tested range.
fn version_of(text: &str) -> Option<(u32, u32, u32)> {
    let v = text.split_whitespace().last()?;
    let mut n = v
        .split('.')
        .map(|p| p.trim_start_matches('v').parse::<u32>().ok());
    Some((n.next()??, n.next()??, n.next()??))
}

/// A CODEX_HOME that names no folder stops Codex at every start: said as such, with what to do.
pub(super) fn check_codex_home() -> Option<Check> {
    let home = std::env::var_os("CODEX_HOME").filter(|v| !v.is_empty())?;
    let path = PathBuf::from(home);
    if path.is_dir() {
        return Some(Check::new(
            "codex_home",
            Verdict::Ok,
            format!("CODEX_HOME={}", path.display()),
        ));
    }
    Some(
        Check::new(
            "codex_home",
            Verdict::Fail,
            format!(
                "CODEX_HOME points to {}, which does not exist: Codex refuses to start",
                path.display()
            ),
        )
        .fix(format!(
            "create it (mkdir -p {} && codex login), or unset CODEX_HOME so Codex uses ~/.codex",
            path.display()
        )),
    )
}

pub(super) fn check_codex(config: &Config, checks: &mut Vec<Check>) -> Option<PathBuf> {
    let codex = match locate_codex(config) {
        Ok(p) => p,
        Err(e) => {
            // The error's own text says how to install Codex: the fix says it once, not twice.
            let detail = match &e {
                crate::codex::CodexError::NotFound { detail } => format!("not found: {detail}"),
                other => other.to_string(),
            };
            checks.push(
                Check::new("codex", Verdict::Fail, detail)
                    .fix("npm install -g @openai/codex, or set CODEXMCP_CODEX_BIN to its path"),
            );
            return None;
        }
    };
    let check = version_check(&codex);
    let works = check.status != Verdict::Fail;
    // Which program a task really starts, when it is not the one named.
    let check = match crate::codex::native_behind(&codex) {
        Some(native) if works => {
            let detail = format!(
                "{}; tasks start the binary npm's launcher runs, {}, directly (no Node start)",
                check.detail,
                native.binary.display()
            );
            Check { detail, ..check }
        }
        _ => check,
    };
    checks.push(check);
    works.then_some(codex)
}

/// Whether `codex` starts, and whether its version is one this build was tested with.
fn version_check(codex: &Path) -> Check {
    let (ok, said) = probe(codex, &["--version"], None);
    let line = said.lines().last().unwrap_or_default().to_string();
    if !ok {
        Check::new(
            "codex",
            Verdict::Fail,
            format!(
                "{} does not start: {}",
                codex.display(),
                shorten(&said, 200)
            ),
        )
        .fix("reinstall it: npm install -g @openai/codex")
    } else if !within_tested(&line) {
        Check::new(
            "codex",
            Verdict::Note,
            format!(
                "{} ({line}), outside the versions this build was tested with ({} to {})",
                codex.display(),
                TESTED_CODEX[0],
                TESTED_CODEX[1]
            ),
        )
        .fix(format!(
            "install a tested one (npm install -g @openai/codex@{}), or expect a change in Codex \
             to show",
            TESTED_CODEX[1]
        ))
    } else {
        Check::new(
            "codex",
            Verdict::Ok,
            format!(
                "{} ({line}; this build was tested with {} and {})",
                codex.display(),
                TESTED_CODEX[0],
                TESTED_CODEX[1]
            ),
        )
    }
}

/// Whether the version `line` names is within the tested ones.
fn within_tested(line: &str) -> bool {
    let (Some(v), Some(lo), Some(hi)) = (
        version_of(line),
        version_of(TESTED_CODEX[0]),
        version_of(TESTED_CODEX[1]),
    ) else {
        return false;
    };
    (lo..=hi).contains(&v)
}

/// Codex's default model and its efforts, as its catalog says; what a task's `model` and
/// `reasoning_effort` are held to.
pub(super) fn check_models(config: &Config, codex: &Path) -> Check {
    let settings = config
        .codex_home
        .as_deref()
        .map(|h| crate::codex::CodexSettings::read(h, None))
        .unwrap_or_default();
    let picked = match (&settings.model, settings.uses_openai()) {
        (Some(m), true) => format!("; Codex's config.toml picks `{m}`"),
        (Some(m), false) => format!(
            "; Codex's config.toml picks `{m}` of its own provider `{}` (not in the catalog: \
             models are not checked)",
            settings.provider.as_deref().unwrap_or_default()
        ),
        (None, _) => String::new(),
    };
    match crate::codex::read_catalog(codex) {
        Ok(catalog) => {
            let default = catalog.default_model().map_or_else(
                || "no default model".to_string(),
                |m| {
                    format!(
                        "default model `{}` (efforts {})",
                        m.model,
                        m.efforts.join(", ")
                    )
                },
            );
            Check::new(
                "models",
                Verdict::Ok,
                format!(
                    "{default}; {} models offered, {} hidden{picked}",
                    catalog.offered().len(),
                    catalog.models.len() - catalog.offered().len()
                ),
            )
        }
        Err(e) => Check::new(
            "models",
            Verdict::Note,
            format!(
                "Codex's model catalog could not be read ({}): a task's effort is held to the \
                 built-in list ({}){picked}",
                shorten(&e, 120),
                crate::codex::builtin_efforts()
            ),
        ),
    }
}

pub(super) fn check_login(config: &Config, codex: Option<&Path>) -> Check {
    if let Some(codex) = codex {
        let (ok, said) = probe(codex, &["login", "status"], None);
        if ok {
            return Check::new("login", Verdict::Ok, shorten(&said, 120));
        }
    }
    if let Some(var) = config.api_key_var {
        return Check::new("login", Verdict::Ok, format!("API key in {var}"));
    }
    // A provider of the user's own (a local model, a gateway) needs no OpenAI login.
    let provider = config
        .codex_home
        .as_ref()
        .and_then(|h| std::fs::read_to_string(h.join("config.toml")).ok())
        .and_then(|text| {
            text.lines()
                .map(str::trim)
                .find(|l| l.starts_with("model_provider") && l.contains('='))
                .and_then(|l| l.split('=').nth(1))
                .map(|v| v.trim().trim_matches('"').to_string())
        })
        .filter(|p| p != "openai");
    match provider {
        Some(p) => Check::new(
            "login",
            Verdict::Note,
            format!("not logged in to OpenAI; Codex uses the provider `{p}` from its config.toml"),
        ),
        // Without a Codex that starts, whether it is logged in cannot be told.
        None if codex.is_none() => Check::new(
            "login",
            Verdict::Note,
            "not checked: Codex must start first (see above); then log in with `codex login`",
        ),
        None => Check::new(
            "login",
            Verdict::Fail,
            "Codex is not logged in and no API key is set",
        )
        .fix("run `codex login`, or give the server OPENAI_API_KEY"),
    }
}

pub(super) fn check_sandbox(config: &Config, codex: &Path) -> Check {
    let (ok, said) = match crate::codex::sandbox_starts(codex) {
        Ok(()) => (true, String::new()),
        Err(said) => (false, said),
    };
    match (ok, config.readonly_fallback) {
        (true, _) => Check::new("sandbox", Verdict::Ok, "Codex's read-only sandbox starts"),
        (false, true) => Check::new(
            "sandbox",
            Verdict::Note,
            format!("Codex's read-only sandbox cannot start ({}); CODEXMCP_READONLY_FALLBACK is on, so read-only tasks run audited", shorten(&said, 120)),
        ),
        (false, false) => Check::new(
            "sandbox",
            Verdict::Fail,
            format!("Codex's read-only sandbox cannot start here ({})", shorten(&said, 160)),
        )
        .fix("common in containers: set CODEXMCP_READONLY_FALLBACK=1 (read-only tasks then run with an audit), or allow user namespaces (Ubuntu: sysctl kernel.apparmor_restrict_unprivileged_userns=0)"),
    }
}
