//! Finding the Codex CLI, and how that fails.

use std::path::PathBuf;

use crate::config::{CODEX_BIN_VARS, Config, is_executable};

/// Why codex cannot be run with the current settings.
#[derive(Debug, thiserror::Error)]
pub enum CodexError {
    #[error(
        "the Codex CLI was not found: {detail}. Install it with `npm install -g @openai/codex` \
         (tested with 0.169.0), or set CODEXMCP_CODEX_BIN to the path of the codex executable"
    )]
    NotFound { detail: String },
    #[error("environment variable {name} has an unusable value; accepted: {accepted}")]
    BadSetting {
        name: &'static str,
        accepted: &'static str,
    },
}

/// The codex executable, as an absolute path: the configured one, otherwise `codex` on `PATH`.
pub fn locate_codex(config: &Config) -> Result<PathBuf, CodexError> {
    let found = match &config.codex_bin {
        Some(bin) => {
            let path = PathBuf::from(&bin.value);
            if !is_executable(&path) {
                return Err(CodexError::NotFound {
                    detail: format!("{}={} is not an executable file", bin.var, path.display()),
                });
            }
            path
        }
        None => config
            .find_on_path("codex")
            .ok_or_else(|| CodexError::NotFound {
                detail: format!("{} is not set and no `codex` is on PATH", CODEX_BIN_VARS[0]),
            })?,
    };
    Ok(std::path::absolute(&found).unwrap_or(found))
}

/// Whether the Codex at `codex` has the `app-server` command (asked once per executable and
/// process: `codex app-server --help`). An older Codex runs its tasks on exec instead.
pub fn has_app_server(codex: &std::path::Path) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashMap<PathBuf, bool>>> = OnceLock::new();
    // Held while asking: forty tasks started at once make one probe, not forty.
    let mut seen = match SEEN.get_or_init(Mutex::default).lock() {
        Ok(seen) => seen,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(known) = seen.get(codex).copied() {
        return known;
    }
    let mut cmd = std::process::Command::new(codex);
    let has = crate::child::with_clean_signals(&mut cmd)
        .args(["app-server", "--help"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    seen.insert(codex.to_path_buf(), has);
    has
}
